#!/usr/bin/python3
"""Print the configuration section of a CIB in a canonical text form, so two
CIBs built by different tools (crmsh, pcs) can be compared with diff.

What is dropped or rewritten, and why:
- the status section and the <cib> attributes (epoch, feature set...);
- generated ids of nvpairs, attribute sets, operations, rules and
  expressions (each tool names them its own way); ids of resources,
  constraints and nodes are kept, they are part of the design;
- the legacy role names Master/Slave become Promoted/Unpromoted, and a
  role of Started (the default) on a colocation is dropped;
- order: name/value sets, operations, top-level resources, constraints and
  nodes are sorted; a group's members keep their order (it is the start
  order).
usage: cibnorm.py CIB.xml
"""
import sys
import xml.etree.ElementTree as ET

KEEP_ID = {"primitive", "group", "clone", "bundle", "node", "rsc_location",
           "rsc_colocation", "rsc_order", "rsc_ticket", "cluster_property_set"}
ROLES = {"Master": "Promoted", "Slave": "Unpromoted"}
ROLE_ATTRS = ("role", "rsc-role", "with-rsc-role", "first-action", "then-action")
SORTED_KIDS = {"instance_attributes", "meta_attributes", "utilization",
               "operations", "resources", "constraints", "nodes",
               "crm_config", "cluster_property_set", "rsc_defaults",
               "op_defaults", "clone", "rule"}


def norm(e):
    attrs = dict(e.attrib)
    if e.tag not in KEEP_ID:
        attrs.pop("id", None)
    for k in ROLE_ATTRS:
        if k in attrs:
            attrs[k] = ROLES.get(attrs[k], attrs[k])
    if e.tag == "rsc_colocation":
        for k in ("rsc-role", "with-rsc-role"):
            if attrs.get(k) == "Started":
                del attrs[k]
    # a group's meta/instance sets may come before or after its members
    kids = [norm(k) for k in e]
    if e.tag in SORTED_KIDS:
        kids.sort()
    elif e.tag == "group":
        sets = sorted(k for k in kids if not k[0].startswith("primitive"))
        kids = sets + [k for k in kids if k[0].startswith("primitive")]
    head = e.tag + "".join(' %s="%s"' % (k, attrs[k]) for k in sorted(attrs))
    return (head, tuple(kids))


def show(node, depth, out):
    out.append("  " * depth + node[0])
    for k in node[1]:
        show(k, depth + 1, out)


def main():
    root = ET.parse(sys.argv[1]).getroot()
    conf = root.find("configuration")
    if conf is None:
        sys.exit("%s: no configuration section" % sys.argv[1])
    out = []
    show(norm(conf), 0, out)
    print("\n".join(out))


if __name__ == "__main__":
    main()
