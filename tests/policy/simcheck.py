#!/usr/bin/python3
"""Assertions on what crm_simulate produced, for tests/policy/run.sh.

usage: simcheck.py [--graph GRAPH.xml] [--state STATUS.xml] ASSERTION...

Placement, read from `crm_mon --output-as=xml` of the resulting CIB
(--state, a file holding that output):
  on:RSC@NODE            RSC is active on NODE (and nowhere else)
  on:RSC:ROLE@NODE       an instance of RSC has ROLE (Promoted, Unpromoted)
                         on NODE
  off:RSC@NODE           RSC has no instance on NODE
Transition graph (--graph, written by crm_simulate -G):
  do:ACTION              the graph contains ACTION
  dont:ACTION            the graph does not contain ACTION
  before:ACTION<ACTION   both exist and the second waits (transitively) for
                         the first
  quiet:RSC              no start/stop/promote/demote/migrate of RSC at all
where ACTION is RSC:OP@NODE (a real action on NODE), RSC:OP@* (on any node,
including the pseudo actions that stand for a fenced node's stops), or
stonith@NODE (fencing NODE).
Prints one line per failed assertion; exit status 1 if any failed.
"""
import sys
import xml.etree.ElementTree as ET

MOVES = {"start", "stop", "promote", "demote", "migrate_to", "migrate_from"}


def load_graph(path):
    actions = {}        # id -> (rsc, op, node, kind)
    inputs = {}         # id -> set of ids it waits for
    root = ET.parse(path).getroot()
    for syn in root.iter("synapse"):
        aset = syn.find("action_set")
        ins = set()
        inp = syn.find("inputs")
        if inp is not None:
            for trig in inp.iter("trigger"):
                for a in trig:
                    ins.add(a.get("id"))
        for a in aset:
            aid = a.get("id")
            op = a.get("operation")
            prim = a.find("primitive")
            if a.tag == "crm_event" and op == "stonith":
                rsc = "stonith"
            elif prim is not None:
                rsc = prim.get("id")
            else:   # pseudo action: RSC_OP_0 in operation_key
                key = a.get("operation_key", "")
                suffix = "_%s_0" % op
                rsc = key[:-len(suffix)] if key.endswith(suffix) else key
            actions[aid] = (rsc, op, a.get("on_node"), a.tag)
            inputs.setdefault(aid, set()).update(ins)
    return actions, inputs


def parse_action(spec):
    left, _at, node = spec.partition("@")
    if left == "stonith":
        return ("stonith", "stonith", node)
    rsc, _c, op = left.rpartition(":")
    return (rsc, op, node)


def find(actions, spec):
    rsc, op, node = parse_action(spec)
    hits = []
    for aid, (r, o, n, tag) in actions.items():
        if r != rsc or o != op:
            continue
        if node == "*" or n == node:
            hits.append(aid)
    return hits


def ancestors(inputs, aid):
    seen = set()
    todo = [aid]
    while todo:
        x = todo.pop()
        for y in inputs.get(x, ()):
            if y not in seen:
                seen.add(y)
                todo.append(y)
    return seen


def load_state(path):
    placed = []     # (rsc, role, node)
    root = ET.parse(path).getroot()
    res = root.find("resources")
    if res is None:
        return placed
    for r in res.iter("resource"):
        for n in r.findall("node"):
            placed.append((r.get("id"), r.get("role"), n.get("name")))
    return placed


def main(argv):
    graph = state = None
    checks = []
    i = 0
    while i < len(argv):
        if argv[i] == "--graph":
            graph = load_graph(argv[i + 1])
            i += 2
        elif argv[i] == "--state":
            state = load_state(argv[i + 1])
            i += 2
        else:
            checks.append(argv[i])
            i += 1
    if not checks:
        print("no assertion given")
        return 1
    bad = []
    for c in checks:
        kind, _c, arg = c.partition(":")
        if kind in ("on", "off"):
            if state is None:
                bad.append("%s: no --state" % c)
                continue
            left, _at, node = arg.partition("@")
            rsc, _c2, role = left.partition(":")
            where = [(ro, n) for r, ro, n in state if r == rsc]
            if kind == "off":
                if any(n == node for _ro, n in where):
                    bad.append("%s: %s runs on %s" % (c, rsc, node))
            elif role:
                if (role, node) not in where:
                    bad.append("%s: %s is %s" % (c, rsc, where or "stopped"))
            elif [n for _ro, n in where] != [node]:
                bad.append("%s: %s runs on %s" % (c, rsc, [n for _ro, n in where] or "no node"))
            continue
        if graph is None:
            bad.append("%s: no --graph" % c)
            continue
        actions, inputs = graph
        if kind == "do":
            if not find(actions, arg):
                bad.append("%s: not in the transition" % c)
        elif kind == "dont":
            if find(actions, arg):
                bad.append("%s: in the transition" % c)
        elif kind == "before":
            a, _lt, b = arg.partition("<")
            fa, fb = find(actions, a), find(actions, b)
            if not fa or not fb:
                bad.append("%s: %s missing" % (c, a if not fa else b))
                continue
            for x in fb:
                if not set(fa) & ancestors(inputs, x):
                    bad.append("%s: %s does not wait for %s" % (c, b, a))
                    break
        elif kind == "quiet":
            moves = sorted({"%s@%s" % (o, n) for r, o, n, _t in actions.values()
                            if r == arg and o in MOVES})
            if moves:
                bad.append("%s: %s" % (c, " ".join(moves)))
        else:
            bad.append("%s: unknown assertion" % c)
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
