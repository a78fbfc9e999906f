#!/usr/bin/python3
"""Lab configuration derived from the cluster description (lab.ini).

    labcfg.py crm GENERATED_CRM [--standin]   the CIB to load in the lab
    labcfg.py saveconfig LAB_INI              tandemd's saveconfig.json
    labcfg.py wwn LAB_INI                     the LU's NAA as udev names it
    labcfg.py info LAB_INI                    shell variables (IQN, VIP, ...)

--standin: until the tandem OCF agents exist (ocf:tandem:target, lun,
portal), the generated group g_r0 cannot run. The lab then replaces it with
stand-ins built from resource-agents' own agents, with the same ids and the
same place in the constraints: target_r0 = ocf:heartbeat:anything running
`tandemd -f` with a saveconfig.json that holds the target and its LUs (so
no lun_* primitive), portal_r0 = ocf:heartbeat:IPaddr2 with the portal's
address. Fencing, the DRBD promotable clone, the colocation, the order and
the location rules are the generated ones, unchanged.
"""
import configparser
import json
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


def params(stmt):
    m = re.search(r"\bparams (.*?)(?: op |$)", stmt)
    res = {}
    if m:
        for kv in re.findall(r'(\w+)=("[^"]*"|\S+)', m.group(1)):
            res[kv[0]] = kv[1].strip('"')
    return res


def crm(path, standin):
    with open(path) as f:
        stmts = statements(f.read())
    # the lab's hosts share 2 cores: without this Pacemaker throttles its
    # transitions whenever the machine is busy (lab setting, not generated)
    for i, st in enumerate(stmts):
        if st.startswith("property "):
            stmts[i] = st + " load-threshold=1000%"
            break
    if not standin:
        return "\n".join(stmts) + "\n"
    keep, targets, portals, groups = [], {}, {}, []
    for s in stmts:
        w = s.split()
        if w[0] == "primitive" and w[2].startswith("ocf:tandem:"):
            kind = w[2].split(":")[2]
            if kind == "target":
                targets[w[1]] = params(s)
            elif kind == "portal":
                portals[w[1]] = params(s)
            continue
        if w[0] == "group":
            groups.append(w[1:])
            continue
        keep.append(s)
    out = keep[:]
    out.append("# lab stand-ins for the tandem OCF agents (tests/lab/labcfg.py)")
    for g in groups:
        gid, members = g[0], g[1:]
        names = []
        for mid in members:
            if mid in targets:
                out.append("primitive %s ocf:heartbeat:anything params "
                           "binfile=/usr/sbin/tandemd "
                           'cmdline_options="-f -c /etc/tandem/saveconfig.json" '
                           "pidfile=/run/tandemd.pid logfile=/var/log/tandemd.log "
                           "errlogfile=/var/log/tandemd.log stop_timeout=20 "
                           "op start interval=0s timeout=30s "
                           "op stop interval=0s timeout=60s "
                           "op monitor interval=10s timeout=20s" % mid)
                names.append(mid)
            elif mid in portals:
                p = portals[mid]
                nic = " nic=%s" % p["nic"] if p.get("nic") else ""
                out.append("primitive %s ocf:heartbeat:IPaddr2 params ip=%s "
                           "cidr_netmask=%s%s "
                           "op start interval=0s timeout=20s "
                           "op stop interval=0s timeout=20s "
                           "op monitor interval=10s timeout=20s"
                           % (mid, p["ip"], p.get("cidr_netmask", "24"), nic))
                names.append(mid)
        out.append("group %s %s" % (gid, " ".join(names)))
    return "\n".join(out) + "\n"


def lun_list(m):
    for r in m["resources"]:
        for l in r["luns"]:
            yield r, l


def saveconfig(ini):
    m = model(ini)
    sos, targets = [], []
    for r in m["resources"]:
        luns = []
        for l in r["luns"]:
            name = l["name"]
            sos.append({"plugin": "block", "name": name,
                        "dev": "/dev/drbd%d" % l["minor"],
                        "wwn": l["serial"], "write_back": False,
                        "vendor_id": l.get("vendor_id", "TANDEM"),
                        "product_id": l.get("product_id", "tandem"),
                        "attributes": {"block_size": 512, "emulate_write_cache": 0}})
            luns.append({"index": l["lun"], "storage_object": "/backstores/block/%s" % name})
        targets.append({"fabric": "iscsi", "wwn": r["target_iqn"], "tpgs": [{
            "tag": r.get("tpg_tag", 1), "enable": True,
            "attributes": {"authentication": 0, "generate_node_acls": 1,
                           "demo_mode_write_protect": 0, "cache_dynamic_acls": 1},
            "luns": luns,
            "portals": [{"ip_address": p["ip"], "port": r.get("portal_port", 3260)}
                        for p in r["portals"]]}]})
    return json.dumps({"storage_objects": sos, "targets": targets}, indent=1) + "\n"


def naa_from_serial(serial):
    """tandemd's (and LIO's) rule: NAA 6, company id 0x001405, then the
    serial's first 25 hex digits (target/daemon/config_util.c)."""
    digits = [c for c in serial.lower() if c in "0123456789abcdef"][:25]
    return "6001405" + "".join(digits).ljust(25, "0")


def main(argv):
    if argv[0] == "crm":
        sys.stdout.write(crm(argv[1], "--standin" in argv[2:]))
    elif argv[0] == "saveconfig":
        sys.stdout.write(saveconfig(argv[1]))
    elif argv[0] == "wwn":
        for r, l in lun_list(model(argv[1])):
            print(naa_from_serial(l["serial"]))
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
        print("LAB_SERIAL=%s" % l["serial"])
        print("LAB_INI_WWN=%s" % l["wwn"])
        print("LAB_NAA=%s" % naa_from_serial(l["serial"]))
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
