#!/usr/bin/env python3
"""Task management across I_T nexuses: a LOGICAL UNIT RESET, a TARGET WARM
RESET or a PERSISTENT RESERVE OUT with PREEMPT AND ABORT from session A
ends the tasks session B has on the LU (SAM-5 5.6, SPC-4 5.12.11.2.6), on
whatever worker B runs: B never gets a status for them (TAS=0), A gets its
answer only once they are gone, and B learns why from a unit attention.

The daemon runs with two workers and A and B connect one after the other,
so the accepting thread hands them to different workers.

usage: cross_nexus.py config OUT PORT FILE   writes the tandemd config
       cross_nexus.py run HOST PORT          one "PASS name" / "FAIL name:
                                             why" line a case, then DONE

LUN 0 is a ramdisk (reservations in memory: PERSISTENT RESERVE OUT commits
at once); LUN 1 a sparse fileio file with its reservation store inside
(the commit waits for the store write). Only ever connects to HOST.
"""
import json
import os
import socket
import struct
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iscsi_client import (  # noqa: E402
    Conn, OP_R2T, OP_SCSI_RSP, OP_TMF_RSP, TMF_LUN_RESET,
    TMF_TARGET_WARM_RESET, cdb_read10, cdb_write10)

TGT = "iqn.2026-11.org.tandem.protocol:cross"
I = "iqn.2026-11.org.tandem.initiator:"
BLOCK = 512
# ImmediateData=No and InitialR2T=Yes: a WRITE's data moves only when the
# target asks for it, so a WRITE whose R2T goes unanswered stays in flight.
KEYS = [("HeaderDigest", "None"), ("DataDigest", "None"),
        ("MaxRecvDataSegmentLength", "65536"), ("InitialR2T", "Yes"),
        ("ImmediateData", "No")]
TMF_FUNCTION_COMPLETE = 0
STATUS_GOOD, STATUS_CHECK, STATUS_CONFLICT = 0x00, 0x02, 0x18
UA = 0x6
ASC_BUS_DEVICE_RESET = (0x29, 0x03)
ASC_REGISTRATIONS_PREEMPTED = (0x2A, 0x05)


def write_config(out, port, path):
    cfg = {
        "storage_objects": [
            {"plugin": "ramdisk", "name": "xram", "size": 8 << 20,
             "wwn": str(uuid.uuid4())},
            {"plugin": "fileio", "name": "xfile", "dev": path, "size": 8 << 20,
             "write_back": False, "wwn": str(uuid.uuid4())},
        ],
        "targets": [{"fabric": "iscsi", "wwn": TGT, "tpgs": [{
            "tag": 1, "enable": True,
            "attributes": {"authentication": 0, "generate_node_acls": 1,
                           "demo_mode_write_protect": 0},
            "luns": [{"index": 0, "storage_object": "/backstores/ramdisk/xram"},
                     {"index": 1, "storage_object": "/backstores/fileio/xfile"}],
            "node_acls": [],
            "portals": [{"ip_address": "127.0.0.1", "port": port}]}]}],
    }
    with open(out, "w") as f:
        json.dump(cfg, f, indent=1)


results = []


def case(name):
    def wrap(fn):
        try:
            r = fn()
            ok, why = (r, "") if isinstance(r, bool) else r
        except Exception as e:  # noqa: BLE001 - a failure is a failure
            ok, why = False, "%s: %s" % (type(e).__name__, e)
        results.append(ok)
        print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why), flush=True)
        return fn
    return wrap


def check(cond, why):
    if not cond:
        raise AssertionError(why)


def login(name, n):
    c = Conn(HOST, PORT)
    r = c.login(I + name, TGT, op_keys=KEYS, isid=bytes([0x80, 0, 0, 0x77, 0, n]))
    check(r.ok, "login of %s refused: 0x%04x" % (name, r.status))
    check(c.params.get("ImmediateData") == "No" and c.params.get("InitialR2T") == "Yes",
          "negotiated %r" % c.params)
    for lun in (0, 1):
        c.clear_ua(lun)
    return c


def held_write(c, lun, lba, seed):
    """A WRITE of 8 blocks whose R2T is left unanswered: in flight."""
    data = bytes([seed]) * (8 * BLOCK)
    t = c.scsi_send(cdb_write10(lba, 8), lun=lun, write=data, immediate_data=False)
    check(c.scsi_wait(t, answer_r2t=False) is None and t["r2ts"],
          "the WRITE was answered instead of asking for its data")
    return t


def expect_sense(r, status, sense, what):
    check(r.status == status, "%s: status 0x%02x, expected 0x%02x (sense %r)"
          % (what, r.status, status, r.sense_key()))
    if sense:
        check(r.sense_key() == sense, "%s: sense %r, expected %r" % (what, r.sense_key(), sense))


def tmf_answer(c, itt, timeout=10):
    p = c.recv(timeout)
    check(p.op == OP_TMF_RSP and p.itt == itt, "got %r instead of the TMF response" % p)
    return p.hdr[2]


def quiet(c, wait, what):
    q, p = c.quiet(wait)
    check(q, "%s got %r (an aborted task must end with no status)" % (what, p))


def read(c, lun, lba, n=8):
    r = c.scsi(cdb_read10(lba, n), lun=lun, read_len=n * BLOCK)
    check(r.status == STATUS_GOOD, "READ at %d: status 0x%02x" % (lba, r.status))
    return r.data


def pr_out(c, lun, sa, rk, sark, rtype=0):
    cdb = struct.pack(">BBB2xIB", 0x5F, sa, rtype, 24, 0)
    param = struct.pack(">QQ", rk, sark) + bytes(8)
    return c.scsi(cdb, lun=lun, write=param)


def pr_read_keys(c, lun):
    cdb = struct.pack(">BB5xHB", 0x5E, 0, 512, 0)
    r = c.scsi(cdb, lun=lun, read_len=512)
    check(r.status == STATUS_GOOD, "READ KEYS: status 0x%02x" % r.status)
    n = struct.unpack(">I", r.data[4:8])[0] // 8
    return [struct.unpack(">Q", r.data[8 + 8 * i:16 + 8 * i])[0] for i in range(n)]


PRO_REGISTER, PRO_RESERVE, PRO_CLEAR, PRO_PREEMPT_AND_ABORT = 0, 1, 3, 5
PR_TYPE_WE = 1
KEY_A, KEY_B = 0xA0A0, 0xB0B0


def run():
    @case("LUN RESET from A aborts B's WRITE in flight on another worker: "
          "A gets FUNCTION COMPLETE, B no status, then 29/03 on its next command")
    def _():
        a = login("reset-a", 1)
        b = login("reset-b", 2)
        before = read(a, 0, 100)
        tb = held_write(b, 0, 100, 0x5B)
        itt = a.tmf(TMF_LUN_RESET, lun=0)
        check(tmf_answer(a, itt) == TMF_FUNCTION_COMPLETE, "LUN RESET not FUNCTION COMPLETE")
        quiet(b, 1.0, "B's WRITE (ITT %08x)" % tb["itt"])
        expect_sense(b.scsi(bytes(6), lun=0), STATUS_CHECK, (UA,) + ASC_BUS_DEVICE_RESET,
                     "B's TEST UNIT READY after the reset")
        check(b.scsi(bytes(6), lun=0).status == STATUS_GOOD, "B's second TEST UNIT READY")
        check(read(b, 0, 100) == before, "the aborted WRITE reached the medium")
        # SAM-5: a logical unit reset is reported to every I_T nexus, the
        # one that asked for it included (libiscsi's MultipathIO.Reset).
        expect_sense(a.scsi(bytes(6), lun=0), STATUS_CHECK, (UA,) + ASC_BUS_DEVICE_RESET,
                     "A's TEST UNIT READY after its own reset")
        check(a.scsi(bytes(6), lun=0).status == STATUS_GOOD, "A's second TEST UNIT READY")
        # B's session goes on: its CmdSN window lost nothing.
        for i in range(4):
            t = b.scsi_send(cdb_write10(200 + 8 * i, 8), lun=0, write=bytes([i]) * 4096,
                            immediate_data=False)
            check(b.scsi_wait(t).status == STATUS_GOOD, "B's WRITE %d after the reset" % i)
        for c in (a, b):
            c.logout(0)
            c.close()
        return True

    @case("LUN RESET from A drops B's command queued for its CmdSN; "
          "B's missing CmdSN then meets 29/03, the queued one never answers")
    def _():
        a = login("queued-a", 3)
        b = login("queued-b", 4)
        sn = b.seq.cmdsn
        b.seq.cmdsn = sn + 2
        tq = b.scsi_send(cdb_write10(300, 8), lun=0, write=b"\x77" * 4096,
                         immediate_data=False, cmdsn=sn + 1)
        quiet(b, 0.5, "B's command ahead of its CmdSN")
        itt = a.tmf(TMF_LUN_RESET, lun=0)
        check(tmf_answer(a, itt) == TMF_FUNCTION_COMPLETE, "LUN RESET not FUNCTION COMPLETE")
        r = b.scsi_wait(b.scsi_send(bytes(6), lun=0, cmdsn=sn))
        expect_sense(r, STATUS_CHECK, (UA,) + ASC_BUS_DEVICE_RESET, "B's TEST UNIT READY")
        quiet(b, 1.0, "B's queued WRITE (ITT %08x)" % tq["itt"])
        r = b.scsi_wait(b.scsi_send(bytes(6), lun=0, cmdsn=sn + 2))
        check(r.status == STATUS_GOOD, "B's next command (CmdSN %d) after the dropped one" % (sn + 2))
        b.seq.cmdsn = sn + 3
        for c in (a, b):
            c.logout(0)
            c.close()
        return True

    @case("TARGET WARM RESET from A aborts B's WRITEs on both LUs and "
          "reports 29/03 to B on each")
    def _():
        a = login("warm-a", 5)
        b = login("warm-b", 6)
        t0 = held_write(b, 0, 400, 0x10)
        t1 = held_write(b, 1, 400, 0x11)
        itt = a.tmf(TMF_TARGET_WARM_RESET)
        check(tmf_answer(a, itt) == TMF_FUNCTION_COMPLETE, "WARM RESET not FUNCTION COMPLETE")
        quiet(b, 1.0, "B's WRITEs (ITT %08x, %08x)" % (t0["itt"], t1["itt"]))
        for lun in (0, 1):
            expect_sense(b.scsi(bytes(6), lun=lun), STATUS_CHECK, (UA,) + ASC_BUS_DEVICE_RESET,
                         "B's TEST UNIT READY on LUN %d" % lun)
            check(a.scsi(bytes(6), lun=lun).status == STATUS_GOOD,
                  "A, which reset the target, on LUN %d" % lun)
        for c in (a, b):
            c.logout(0)
            c.close()
        return True

    @case("LUN RESET while B streams WRITEs and READs: every B task ends with a "
          "status or none, A gets FUNCTION COMPLETE, both sessions go on")
    def _():
        a = login("storm-a", 7)
        b = login("storm-b", 8)
        b.chunk = 65536
        tasks = []
        for i in range(24):
            if i % 2:
                tasks.append(b.scsi_send(cdb_read10(64 * i, 64), lun=1, read_len=64 * BLOCK))
            else:
                t = b.scsi_send(cdb_write10(64 * i, 64), lun=1, write=bytes([i]) * (64 * BLOCK),
                                immediate_data=False)
                tasks.append(t)
        itt = a.tmf(TMF_LUN_RESET, lun=1)
        check(tmf_answer(a, itt, 20) == TMF_FUNCTION_COMPLETE, "LUN RESET not FUNCTION COMPLETE")
        # B answers what it is asked for until the target falls silent.
        by_itt = {t["itt"]: t for t in tasks}
        ended, ua_itts = set(), []
        while True:
            try:
                p = b.recv(1.5)
            except socket.timeout:
                break
            t = by_itt.get(p.itt)
            check(t is not None and p.itt not in ended,
                  "B got %r for no task in flight" % p)
            if p.op == OP_R2T:
                b.data_out(t, p.ttt, p.u32(40), p.u32(44))
            elif p.op == OP_SCSI_RSP or (p.flags & 0x01):
                ended.add(p.itt)
                if p.hdr[3] == STATUS_GOOD:
                    continue
                # A command that reached the target after the reset meets
                # its unit attention; nothing else may fail.
                n = struct.unpack(">H", p.data[:2])[0] if len(p.data) >= 2 else 0
                sense = p.data[2:2 + n]
                check(p.hdr[3] == STATUS_CHECK and len(sense) >= 14 and
                      (sense[2] & 0xF, sense[12], sense[13]) == (UA,) + ASC_BUS_DEVICE_RESET,
                      "B's ITT %08x ended with status 0x%02x sense %r"
                      % (p.itt, p.hdr[3], bytes(sense[:14])))
                ua_itts.append(p.itt)
        check(len(ua_itts) <= 1, "the unit attention was reported %d times" % len(ua_itts))
        r = b.scsi(bytes(6), lun=1)
        if ua_itts:
            check(r.status == STATUS_GOOD, "B's TEST UNIT READY: 0x%02x" % r.status)
        else:
            expect_sense(r, STATUS_CHECK, (UA,) + ASC_BUS_DEVICE_RESET, "B's TEST UNIT READY")
        check(b.scsi(bytes(6), lun=1).status == STATUS_GOOD, "B's session stuck after the reset")
        expect_sense(a.scsi(bytes(6), lun=1), STATUS_CHECK, (UA,) + ASC_BUS_DEVICE_RESET,
                     "A's TEST UNIT READY after its own reset")
        check(a.scsi(bytes(6), lun=1).status == STATUS_GOOD, "A's session after the reset")
        for c in (a, b):
            c.logout(0)
            c.close()
        return True

    for lun, what in ((0, "in-memory reservations"), (1, "reservations stored on the LU")):
        @case("PREEMPT AND ABORT (%s): B's WRITE in flight is aborted, A gets GOOD "
              "after it, B gets 2A/05 then RESERVATION CONFLICT" % what)
        def _():
            a = login("pa-a-%d" % lun, 10 + lun)
            b = login("pa-b-%d" % lun, 20 + lun)
            for c, key in ((a, KEY_A), (b, KEY_B)):
                r = pr_out(c, lun, PRO_REGISTER, 0, key)
                check(r.status == STATUS_GOOD, "REGISTER 0x%x: 0x%02x" % (key, r.status))
            r = pr_out(b, lun, PRO_RESERVE, KEY_B, 0, PR_TYPE_WE)
            check(r.status == STATUS_GOOD, "B's RESERVE: 0x%02x" % r.status)
            before = read(a, lun, 500)
            tb = held_write(b, lun, 500, 0x3C)
            r = pr_out(a, lun, PRO_PREEMPT_AND_ABORT, KEY_A, KEY_B, PR_TYPE_WE)
            check(r.status == STATUS_GOOD, "A's PREEMPT AND ABORT: 0x%02x %r"
                  % (r.status, r.sense_key()))
            quiet(b, 1.0, "B's WRITE (ITT %08x)" % tb["itt"])
            check(pr_read_keys(a, lun) == [KEY_A], "keys after the preemption: %r"
                  % pr_read_keys(a, lun))
            expect_sense(b.scsi(bytes(6), lun=lun), STATUS_CHECK,
                         (UA,) + ASC_REGISTRATIONS_PREEMPTED, "B's TEST UNIT READY")
            t = b.scsi_send(cdb_write10(500, 8), lun=lun, write=b"\x3D" * 4096,
                            immediate_data=False)
            r = b.scsi_wait(t)
            expect_sense(r, STATUS_CONFLICT, None, "B's WRITE after the preemption")
            check(read(a, lun, 500) == before, "an aborted or refused WRITE reached the medium")
            r = pr_out(a, lun, PRO_CLEAR, KEY_A, 0)
            check(r.status == STATUS_GOOD, "CLEAR: 0x%02x" % r.status)
            for c in (a, b):
                c.logout(0)
                c.close()
            return True

    print("DONE %d cases" % len(results), flush=True)
    return all(results)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "config":
        write_config(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        sys.exit(0)
    if len(sys.argv) != 4 or sys.argv[1] != "run":
        sys.exit(__doc__)
    HOST, PORT = sys.argv[2], int(sys.argv[3])
    sys.exit(0 if run() else 1)
