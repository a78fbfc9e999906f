#!/usr/bin/env python3
"""An iSCSI session held open while tandemctl changes something, and what
it saw. Two modes:

    session_probe.py watch PORT TARGET INITIATOR READY GO
        Logs in to 127.0.0.1:PORT, clears LUN 0's unit attentions, records
        what LUN 0 reports (WCE of the caching mode page, LBPU of the Logical
        Block Provisioning VPD page), creates READY and waits for GO. Then,
        on the same connection: the unit attentions now queued (TEST UNIT
        READY until GOOD), what LUN 0 reports, and whether a WRITE and a READ
        of it back are GOOD. Prints that as one JSON object.
    session_probe.py discovery PORT INITIATOR READY GO
        Logs in a discovery session, creates READY, keeps it (answering
        pings) until GO appears, logs out.

Exit 0 when the session did all that; 1 with the reason when the login or
the connection failed; 2 when GO never came (60 s).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "protocol"))
import iscsi_client as ic  # noqa: E402

MODE_SENSE_CACHING = bytes([0x1A, 0x08, 0x08, 0, 252, 0])
VPD_LBP = bytes([0x12, 1, 0xB2, 0, 64, 0])


def reports(conn):
    m = conn.scsi(MODE_SENSE_CACHING, read_len=252)
    v = conn.scsi(VPD_LBP, read_len=64)
    if m.status or v.status:
        raise ic.ProtocolError("MODE SENSE %r, INQUIRY %r" % (m.sense_key(), v.sense_key()))
    return {"wce": bool(m.data[4 + m.data[3] + 2] & 0x04), "lbpu": bool(v.data[5] & 0x80)}


def unit_attentions(conn):
    seen = []
    for _ in range(6):
        r = conn.scsi(bytes(6))
        if r.status == 0:
            return seen
        seen.append(list(r.sense_key() or ()))
    raise ic.ProtocolError("TEST UNIT READY never GOOD: %r" % seen)


def wait_for(conn, ready, go, ping=True):
    """Until GO: a normal session pings the target (NOP-Out), which proves
    it answers; a discovery session, which RFC 7143 confines to Text and
    Logout, only answers the target's pings."""
    open(ready, "w").close()
    deadline = time.time() + 60
    while not os.path.exists(go):
        if time.time() > deadline:
            print("%s never appeared" % go, file=sys.stderr)
            return False
        if ping:
            p = conn.nop(timeout=5)
            if p is None or p.op != ic.OP_NOP_IN:
                raise ic.ProtocolError("NOP-Out got %r" % (p,))
            time.sleep(0.2)
            continue
        quiet, p = conn.quiet(0.2)
        if not quiet:
            raise ic.ProtocolError("unexpected %r on a discovery session" % (p,))
    return True


def watch(port, target, initiator, ready, go):
    conn = ic.Conn("127.0.0.1", int(port))
    r = conn.login(initiator, target, op_keys=[("ImmediateData", "Yes"),
                                               ("InitialR2T", "No")])
    if not r.ok:
        print("login refused: status 0x%04x" % r.status, file=sys.stderr)
        return 1
    conn.clear_ua(0)
    out = {"tsih": r.tsih, "before": reports(conn)}
    if not wait_for(conn, ready, go):
        return 2
    out["uas"] = unit_attentions(conn)
    out["after"] = reports(conn)
    w = conn.scsi(ic.cdb_write10(16, 1), write=b"\x5c" * 512)
    rd = conn.scsi(ic.cdb_read10(16, 1), read_len=512)
    out["io"] = w.status == 0 and rd.status == 0 and rd.data == b"\x5c" * 512
    conn.logout()
    print(json.dumps(out))
    return 0


def discovery(port, initiator, ready, go):
    conn = ic.Conn("127.0.0.1", int(port))
    r = conn.login(initiator, discovery=True)
    if not r.ok:
        print("discovery login refused: status 0x%04x" % r.status, file=sys.stderr)
        return 1
    if not wait_for(conn, ready, go, ping=False):
        return 2
    conn.logout()
    return 0


def main(argv):
    if len(argv) == 7 and argv[1] == "watch":
        return watch(*argv[2:])
    if len(argv) == 6 and argv[1] == "discovery":
        return discovery(*argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (ic.ProtocolError, ic.Closed, OSError) as e:
        print("session failed: %s" % e, file=sys.stderr)
        sys.exit(1)
