#!/usr/bin/env python3
"""WRITE ATOMIC(16)s in flight at once on one LU, from two sessions that
tandemd puts on different workers (one a CPU): they take turns on the LU's
one journal, each waiting for it rather than being refused, and the turn
passes between workers. Every command must end GOOD and every range hold
its own data afterwards.

usage: atomic_concurrent.py HOST PORT TARGET    prints what it found; exit 0
                                                when all is well
Only ever connects to HOST. Uses tests/protocol's raw iSCSI client.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "protocol"))
from iscsi_client import Conn, OP_SCSI_RSP, cdb_read10  # noqa: E402

SESSIONS, PER_SESSION, BLOCKS, BLOCK = 2, 6, 8, 512
FIRST_LBA, STRIDE = 1000, 16


def write_atomic16(lba, blocks):
    return (bytes([0x9C, 0]) + struct.pack(">Q", lba) + bytes(2) +
            struct.pack(">H", blocks) + bytes(2))


def main(host, port, target):
    conns = []
    for i in range(SESSIONS):
        c = Conn(host, port, timeout=30.0)
        r = c.login("iqn.2026-11.org.tandem:atomic-concurrent-%d" % i, target=target)
        if not r.ok:
            print("login %d refused: status %04x" % (i, r.status))
            return 1
        c.clear_ua(0)
        conns.append(c)
    ranges = {}
    for i, c in enumerate(conns):
        for k in range(PER_SESSION):
            n = i * PER_SESSION + k
            lba = FIRST_LBA + n * STRIDE
            data = bytes([n + 1]) * (BLOCKS * BLOCK)
            c.scsi_send(write_atomic16(lba, BLOCKS), write=data)
            ranges[lba] = data
    bad = []
    for i, c in enumerate(conns):
        got = 0
        while got < PER_SESSION:
            p = c.recv(30)
            if p.op != OP_SCSI_RSP:
                continue
            got += 1
            if p.hdr[3] != 0:
                bad.append("session %d ITT %08x: status %02x" % (i, p.itt, p.hdr[3]))
    for lba, data in sorted(ranges.items()):
        r = conns[0].scsi(cdb_read10(lba, BLOCKS), read_len=len(data))
        if r.status != 0 or r.data != data:
            bad.append("LBA %d: status %02x, %s" % (lba, r.status,
                       "data differs" if r.data != data else "data right"))
    for c in conns:
        c.logout()
    print("%d WRITE ATOMIC(16) in flight from %d sessions: %s"
          % (len(ranges), SESSIONS, "; ".join(bad) if bad else "all GOOD, all ranges right"))
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
