#!/usr/bin/python3
"""Lab configuration derived from the cluster description (lab.ini).

    labcfg.py crm GENERATED_CRM   the CIB to load in the lab
    labcfg.py info LAB_INI        shell variables (IQN, VIP, ...)

The CIB is the one tandem-config generated, with two lab settings: a
load threshold (the hosts share 2 cores) and port_gate=false on the portal
(the User-Mode Linux kernel has no nftables families).
"""
import configparser
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
TANDEM_CONFIG = os.path.join(HERE, "..", "..", "cluster-config", "tandem-config")


def model(ini):
    """The parts of the description the lab needs (checked first by
    tandem-config, which refuses a bad description)."""
    subprocess.run([sys.executable, TANDEM_CONFIG, "check", ini], check=True,
                   stdout=subprocess.DEVNULL)
    cp = configparser.ConfigParser(interpolation=None,
                                   inline_comment_prefixes=("#", ";"))
    cp.optionxform = str
    cp.read(ini)
    cl = cp["cluster"]
    res = {}
    for sec in cp.sections():
        kind, _, name = sec.partition(" ")
        if kind == "resource":
            s = cp[sec]
            portals = []
            for line in s.get("portals", "").strip().splitlines():
                w = line.split()
                ip, _, prefix = w[0].partition("/")
                portals.append({"ip": ip, "prefix": prefix or "24",
                                "nic": w[1] if len(w) > 1 else ""})
            res[name] = {"name": name, "target_iqn": s["target_iqn"].strip(),
                         "tpg_tag": int(s.get("tpg_tag", "1")),
                         "portal_port": int(s.get("portal_port", "3260")),
                         "drbd_port": int(s.get("port", "7789")),
                         "portals": portals, "group": "g_" + name, "luns": []}
    for sec in cp.sections():
        kind, _, name = sec.partition(" ")
        if kind == "lun":
            s = cp[sec]
            res[s["resource"].strip()]["luns"].append({
                "name": name, "lun": int(s["lun"]), "minor": int(s["minor"]),
                "serial": s["serial"].strip(), "wwn": s["wwn"].strip(),
                "vendor_id": s.get("vendor_id", cl.get("vendor_id", "TANDEM")).strip(),
                "product_id": s.get("product_id", cl.get("product_id", "tandem")).strip()})
    return {"resources": list(res.values())}


def statements(text):
    """crm configure text -> list of statements (continuations joined)."""
    out, cur = [], ""
    for line in text.splitlines():
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1].strip() + " "
        else:
            cur += line.strip()
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out


def crm(path):
    with open(path) as f:
        stmts = statements(f.read())
    for i, st in enumerate(stmts):
        w = st.split()
        # the lab's hosts share 2 cores: without this Pacemaker throttles
        # its transitions whenever the machine is busy; and a UML guest has
        # one CPU, for which Pacemaker runs two actions at a time: a slow
        # monitor of ocf:linbit:drbd would hold the group's starts back
        if w[0] == "property":
            stmts[i] = st + " load-threshold=1000% node-action-limit=4"
        # UML's kernel cannot run the portal's nftables gate
        elif w[0] == "primitive" and w[2] == "ocf:tandem:portal":
            stmts[i] = re.sub(r"\bparams\b", "params port_gate=false", st, count=1)
    return "\n".join(stmts) + "\n"


def main(argv):
    if argv[0] == "crm":
        sys.stdout.write(crm(argv[1]))
    elif argv[0] == "info":
        m = model(argv[1])
        r = m["resources"][0]
        l = r["luns"][0]
        print("LAB_IQN=%s" % r["target_iqn"])
        print("LAB_VIP=%s" % r["portals"][0]["ip"])
        print("LAB_PORT=%s" % r.get("portal_port", 3260))
        print("LAB_RES=%s" % r["name"])
        print("LAB_GROUP=%s" % r.get("group", "g_" + r["name"]))
        print("LAB_DRBD_DEV=/dev/drbd%d" % l["minor"])
        print("LAB_DRBD_PORT=%d" % r["drbd_port"])
        print("LAB_SERIAL=%s" % l["serial"])
        # udev names the LU by its NAA: the wwn the lun agent sets
        print("LAB_NAA=%s" % l["wwn"][len("naa."):])
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
