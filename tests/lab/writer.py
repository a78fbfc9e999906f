#!/usr/bin/python3
"""Client-side workload of the lab: acknowledged writes, pause, verify.

    writer.py write FILE ACKLOG STOPFILE MAXSECONDS
        Writes 4 KiB records 0, 1, 2 ... at offset seq*4096 of FILE, each
        followed by fdatasync(); only once fdatasync returned (the write is
        acknowledged, so on DRBD protocol C it is on both nodes) is
        "seq time" appended to ACKLOG (on the client's own disk). Stops when
        STOPFILE exists or after MAXSECONDS.
    writer.py pause ACKLOG [SINCE]
        The longest gap between two consecutive acknowledgements (after
        epoch time SINCE): the I/O pause an application saw.
    writer.py verify FILE ACKLOG
        Reads every acknowledged record back and checks its contents.
"""
import hashlib
import os
import sys
import time

REC = 4096


def record(seq):
    head = b"TANDEM-LAB seq=%012d\n" % seq
    body = hashlib.sha256(b"%d" % seq).digest() * (REC // 32)
    return (head + body)[:REC]


def write(path, acklog, stopfile, maxsec):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    end = time.time() + float(maxsec)
    seq = 0
    with open(acklog, "a", buffering=1) as log:
        log.write("start %.6f\n" % time.time())
        while time.time() < end and not os.path.exists(stopfile):
            os.pwrite(fd, record(seq), seq * REC)
            os.fdatasync(fd)
            log.write("%d %.6f\n" % (seq, time.time()))
            seq += 1
            time.sleep(0.01)
    os.close(fd)
    return 0


def acks(acklog):
    out = []
    with open(acklog) as f:
        for line in f:
            w = line.split()
            if len(w) == 2 and w[0].isdigit():
                out.append((int(w[0]), float(w[1])))
    return out


def pause(acklog, since=0.0):
    a = acks(acklog)
    best = (0.0, None, None)
    for (s0, t0), (s1, t1) in zip(a, a[1:]):
        if t1 < since:
            continue
        if t1 - t0 > best[0]:
            best = (t1 - t0, (s0, t0), (s1, t1))
    if best[1] is None:
        print("pause 0 records %d" % len(a))
        return 1
    print("pause %.2f after_seq %d at %.6f resumed_seq %d at %.6f records %d"
          % (best[0], best[1][0], best[1][1], best[2][0], best[2][1], len(a)))
    return 0


def verify(path, acklog):
    a = acks(acklog)
    bad = []
    with open(path, "rb") as f:
        for seq, _t in a:
            f.seek(seq * REC)
            if f.read(REC) != record(seq):
                bad.append(seq)
    print("verified %d acknowledged records, %d bad%s"
          % (len(a), len(bad), (": " + " ".join(map(str, bad[:20]))) if bad else ""))
    return 1 if bad or not a else 0


def main(argv):
    if argv[:1] == ["write"] and len(argv) == 5:
        return write(*argv[1:])
    if argv[:1] == ["pause"] and len(argv) in (2, 3):
        return pause(argv[1], float(argv[2]) if len(argv) == 3 else 0.0)
    if argv[:1] == ["verify"] and len(argv) == 3:
        return verify(argv[1], argv[2])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
