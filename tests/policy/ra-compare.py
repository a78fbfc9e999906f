#!/usr/bin/python3
"""Compare an agent's real meta-data with its stand-in in ra-stubs/: the
parameter names, their required/unique flags and content types, and the
action names must agree, so the policy tests check the configuration
against what the agent really accepts.
usage: ra-compare.py STUB.xml REAL.xml   (exit 1 and a list of differences)"""
import sys
import xml.etree.ElementTree as ET


def shape(path):
    root = ET.parse(path).getroot()
    params = {}
    for p in root.iter("parameter"):
        c = p.find("content")
        params[p.get("name")] = (p.get("required", "0"), p.get("unique", "0"),
                                 c.get("type") if c is not None else None)
    actions = {a.get("name") for a in root.iter("action")}
    return params, actions


def main():
    sp, sa = shape(sys.argv[1])
    rp, ra = shape(sys.argv[2])
    diffs = []
    for name in sorted(set(sp) | set(rp)):
        if name not in rp:
            diffs.append("parameter %s: only in the stand-in" % name)
        elif name not in sp:
            diffs.append("parameter %s: only in the agent" % name)
        elif sp[name] != rp[name]:
            diffs.append("parameter %s: stand-in (required, unique, type) %s, agent %s"
                         % (name, sp[name], rp[name]))
    for a in sorted(sa ^ ra):
        diffs.append("action %s: only in the %s" % (a, "stand-in" if a in sa else "agent"))
    for d in diffs:
        print(d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
