#!/usr/bin/python3
"""Judges of the failover suite (tests/failover/run.sh, docs/failover.md).

    analyze.py roles LOG1 LOG2
        Each LOG has lines "EPOCH ROLE" sampled on one node (ROLE Primary,
        Secondary, Down). Prints "two_primaries N overlap S" and exits 1
        when both nodes were Primary at the same time: the runs of Primary
        samples of one node must not overlap those of the other.
    analyze.py first-primary LOG SINCE
        The epoch of the first Primary sample in LOG at or after SINCE
        ("-" if none).
    analyze.py timeline SINCE < pacemaker log lines
        Seconds from the epoch SINCE to the first fencing, promotion, portal
        start after it, and to the cluster going idle after that start:
        "fenced F promoted P portal S converged C" ("-" for none).
    analyze.py steps SINCE < pacemaker and iscsid log lines
        Every line at or after SINCE, "+S.S line" with S.S the seconds
        since SINCE, in time order: where the pause went, step by step.
    analyze.py table RESULTS.tsv
        The results (scenario, run, verdict, pause, converged, acked, note)
        as a Markdown table, one row per scenario, runs summarised.
    analyze.py docs DOC.md TABLE.md [NAME]
        Puts TABLE.md between DOC.md's "<!-- NAME:begin -->" and
        "<!-- NAME:end -->" lines (NAME: results).
"""
import datetime
import os
import statistics
import sys


def runs_of_primary(path):
    out, start, last = [], None, None
    try:
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) != 2:
                    continue
                try:
                    t = float(w[0])
                except ValueError:
                    continue
                if w[1] == "Primary":
                    if start is None:
                        start = t
                    last = t
                elif start is not None:
                    out.append((start, last))
                    start = None
    except OSError:
        return out
    if start is not None:
        out.append((start, last))
    return out


def roles(a, b):
    ra, rb = runs_of_primary(a), runs_of_primary(b)
    both, worst = 0, 0.0
    for s0, e0 in ra:
        for s1, e1 in rb:
            lo, hi = max(s0, s1), min(e0, e1)
            if lo <= hi:
                both += 1
                worst = max(worst, hi - lo)
    print("two_primaries %d overlap %.1f" % (both, worst))
    return 1 if both else 0


def first_primary(path, since):
    for s, _ in runs_of_primary(path):
        if s >= since:
            print("%.3f" % s)
            return 0
    print("-")
    return 0


def stamp(line, year):
    # "Nov 25 04:08:58.284 node2 ..." (Pacemaker's own log format)
    w = line.split()
    if len(w) < 3:
        return None
    try:
        t = datetime.datetime.strptime("%d %s %s %s" % (year, w[0], w[1], w[2]),
                                       "%Y %b %d %H:%M:%S.%f")
    except ValueError:
        return None
    return t.timestamp()


def timeline(since):
    year = datetime.datetime.fromtimestamp(since).year
    first = {"fenced": None, "promoted": None, "portal": None}
    idle = []
    for line in sys.stdin:
        t = stamp(line, year)
        if t is None or t < since:
            continue
        if "Operation 'off' targeting" in line:
            key = "fenced"
        elif "promote operation" in line:
            key = "promoted"
        elif "portal_r0" in line:
            key = "portal"
        elif "S_IDLE" in line:
            idle.append(t)
            continue
        else:
            continue
        if first[key] is None or t < first[key]:
            first[key] = t
    ev = dict(first)
    # idle again: the DC's first S_IDLE after the portal started (the
    # lines may come from both nodes' logs, in any order)
    after = [t for t in idle if first["portal"] is not None and t >= first["portal"]]
    ev["converged"] = min(after) if after else None
    print(" ".join("%s %s" % (k, "-" if v is None else "%.1f" % (v - since))
                   for k, v in ev.items()))
    return 0


def steps(since):
    year = datetime.datetime.fromtimestamp(since).year
    rows = []
    for line in sys.stdin:
        t = stamp(line, year)
        if t is not None and t >= since:
            rows.append((t, line.rstrip("\n")))
    for t, line in sorted(rows):
        print("+%.1f %s" % (t - since, line))
    return 0


def num(x):
    try:
        return float(x)
    except ValueError:
        return None


def table(path):
    rows = {}
    order = []
    with open(path) as f:
        for line in f:
            w = line.rstrip("\n").split("\t")
            if len(w) < 7:
                continue
            if w[0] not in rows:
                rows[w[0]] = []
                order.append(w[0])
            rows[w[0]].append(w)
    print("| scenario | runs | passed | I/O pause, s (median / max) "
          "| converged, s (median) | verified (writes; ext4: files) | notes |")
    print("|---|---|---|---|---|---|---|")
    for sc in order:
        r = rows[sc]
        passed = sum(1 for w in r if w[2] == "PASS")
        pauses = [p for p in (num(w[3]) for w in r) if p is not None]
        convs = [c for c in (num(w[4]) for w in r) if c is not None]
        acked = sum(int(w[5]) for w in r if w[5].isdigit())
        note = r[-1][6].replace("|", "/")
        pause = ("%.1f / %.1f" % (statistics.median(pauses), max(pauses))
                 if pauses else "-")
        conv = "%.1f" % statistics.median(convs) if convs else "-"
        print("| %s | %d | %d | %s | %s | %d | %s |"
              % (sc, len(r), passed, pause, conv, acked, note))
    return 0


def docs(doc, tablefile, name):
    begin, end = "<!-- %s:begin -->" % name, "<!-- %s:end -->" % name
    with open(doc) as f:
        text = f.read()
    if begin not in text or end not in text:
        sys.stderr.write("%s has no %s ... %s section\n" % (doc, begin, end))
        return 1
    with open(tablefile) as f:
        tab = f.read().strip("\n")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(doc + ".tmp", "w") as f:
        f.write(head + begin + "\n" + tab + "\n" + end + tail)
    os.replace(doc + ".tmp", doc)
    return 0


def main(argv):
    if argv[:1] == ["roles"] and len(argv) == 3:
        return roles(argv[1], argv[2])
    if argv[:1] == ["first-primary"] and len(argv) == 3:
        return first_primary(argv[1], float(argv[2]))
    if argv[:1] == ["timeline"] and len(argv) == 2:
        return timeline(float(argv[1]))
    if argv[:1] == ["steps"] and len(argv) == 2:
        return steps(float(argv[1]))
    if argv[:1] == ["table"] and len(argv) == 2:
        return table(argv[1])
    if argv[:1] == ["docs"] and len(argv) in (3, 4):
        return docs(argv[1], argv[2], argv[3] if len(argv) == 4 else "results")
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
