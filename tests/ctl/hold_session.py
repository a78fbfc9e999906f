#!/usr/bin/env python3
"""Holds one iSCSI session open across a live configuration change.

    hold_session.py PORT TARGET INITIATOR USER SECRET READY GO

Logs in to 127.0.0.1:PORT (CHAP with USER/SECRET; USER "-" for none),
reads LUN 0's first block, creates the file READY, then keeps the session
alive (answering pings) until the file GO appears, and reads again on the
same connection. Exit 0 when both reads were GOOD; 1 with the reason when
the login, a read or the connection failed; 2 when GO never came (60 s).
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "protocol"))
import iscsi_client as ic  # noqa: E402


def read_block(conn):
    conn.clear_ua(0)
    r = conn.scsi(ic.cdb_read10(0, 1), read_len=512)
    if r.status != 0:
        raise ic.ProtocolError("READ(10) status 0x%02x sense %r" % (r.status, r.sense_key()))
    return r


def main():
    port, target, initiator, user, secret, ready, go = sys.argv[1:8]
    conn = ic.Conn("127.0.0.1", int(port))
    chap = None if user == "-" else {"user": user, "secret": secret}
    r = conn.login(initiator, target, chap=chap)
    if not r.ok:
        print("login refused: status 0x%04x" % r.status, file=sys.stderr)
        return 1
    read_block(conn)
    open(ready, "w").close()
    deadline = time.time() + 60
    while not os.path.exists(go):
        if time.time() > deadline:
            print("%s never appeared" % go, file=sys.stderr)
            return 2
        # NOP-Out keeps the connection in use and proves it still answers.
        p = conn.nop(timeout=5)
        if p is None or p.op != ic.OP_NOP_IN:
            print("NOP-Out got %r" % (p,), file=sys.stderr)
            return 1
        time.sleep(0.2)
    read_block(conn)
    conn.logout()
    print("session kept working")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ic.ProtocolError, ic.Closed, OSError) as e:
        print("session failed: %s" % e, file=sys.stderr)
        sys.exit(1)
