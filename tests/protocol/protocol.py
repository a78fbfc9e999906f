#!/usr/bin/env python3
"""Protocol tier: what libiscsi's iscsi-test-cu does not exercise, checked
against the target's exact answers (RFC 7143): digests, multiple
connections per session, session reinstatement, CHAP (one-way and mutual),
discovery, task management and the target's NOP-In ping.

usage: protocol.py config OUT PORT      writes the tandemd config this uses
       protocol.py run HOST PORT        runs every case; one "PASS name" or
                                        "FAIL name: why" line each

Only ever connects to the address it is given (the tier passes 127.0.0.1).
"""
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iscsi_client import (  # noqa: E402
    Conn, OP_LOGOUT_RSP, OP_NOP_IN, OP_R2T, OP_REJECT, OP_TEXT_RSP,
    OP_TMF_RSP, RSVD, SessionSeq, TMF_ABORT_TASK, TMF_LUN_RESET,
    TMF_TARGET_WARM_RESET, cdb_inquiry, cdb_read10, cdb_write10, crc32c,
    text_decode)

P = "iqn.2026-11.org.tandem.protocol:"
TGT_MAIN = P + "main"
TGT_CHAP = P + "chap"
TGT_HIDDEN = P + "hidden"
N_LISTED = 30
TGT_LISTED = ["%slisted-%02d-a-deliberately-long-target-name-so-that-sendtargets-"
              "needs-several-text-pdus" % (P, i) for i in range(N_LISTED)]

I = "iqn.2026-11.org.tandem.initiator:"
INIT_CHAP1, INIT_CHAP2 = I + "chap-one", I + "chap-mutual"
CHAP1 = ("chapuser1", "chapsecret-one-16")
CHAP2 = ("chapuser2", "chapsecret-two-16")
CHAP2_TARGET = ("tandemtarget", "targetsecret-16b")
INIT_SEER = I + "seer"          # the one initiator HIDDEN's ACL names
INIT_STRANGER = I + "stranger"  # named by no ACL

BLOCK = 512


# ---- config ----

def write_config(out, port):
    def ram(name, size):
        return {"plugin": "ramdisk", "name": name, "size": size,
                "wwn": str(uuid.uuid4())}

    def tpg(auth, demo, luns, acls=(), params=None):
        return {"tag": 1, "enable": True,
                "attributes": {"authentication": auth, "generate_node_acls": demo,
                               "demo_mode_write_protect": 0},
                "parameters": params or {},
                "luns": [{"index": i, "storage_object": "/backstores/ramdisk/" + so}
                         for i, so in enumerate(luns)],
                "node_acls": list(acls),
                "portals": [{"ip_address": "127.0.0.1", "port": port}]}

    def acl(name, **chap):
        a = {"node_wwn": name,
             "mapped_luns": [{"index": 0, "tpg_lun": 0, "write_protect": False}]}
        a.update(chap)
        return a

    cfg = {
        "storage_objects": [ram("ram0", 16 << 20), ram("ram1", 8 << 20),
                            ram("ram2", 8 << 20)],
        "targets": [
            {"fabric": "iscsi", "wwn": TGT_MAIN, "tpgs": [tpg(0, 1, ["ram0"])]},
            {"fabric": "iscsi", "wwn": TGT_CHAP, "tpgs": [tpg(
                1, 0, ["ram1"], params={"AuthMethod": "CHAP"}, acls=[
                    acl(INIT_CHAP1, chap_userid=CHAP1[0], chap_password=CHAP1[1]),
                    acl(INIT_CHAP2, chap_userid=CHAP2[0], chap_password=CHAP2[1],
                        chap_mutual_userid=CHAP2_TARGET[0],
                        chap_mutual_password=CHAP2_TARGET[1])])]},
            {"fabric": "iscsi", "wwn": TGT_HIDDEN,
             "tpgs": [tpg(0, 0, ["ram2"], acls=[acl(INIT_SEER)])]},
        ] + [{"fabric": "iscsi", "wwn": n, "tpgs": [tpg(0, 1, [])]} for n in TGT_LISTED],
    }
    with open(out, "w") as f:
        json.dump(cfg, f, indent=1)


# ---- running cases ----

results = []


def record(name, ok, why=""):
    results.append(ok)
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why), flush=True)


def case(name):
    def wrap(fn):
        t0 = time.monotonic()
        try:
            r = fn()
            ok, why = (r, "") if isinstance(r, bool) else r
        except Exception as e:  # noqa: BLE001 - a failure is a failure
            ok, why = False, "%s: %s" % (type(e).__name__, e)
        if os.environ.get("PROTOCOL_TIMES"):
            why += " [%.1fs]" % (time.monotonic() - t0)
        record(name, ok, why)
        return fn
    return wrap


def check(cond, why):
    if not cond:
        raise AssertionError(why)


def status_str(s):
    return "0x%04x" % s if s is not None else "none"


def conn(**kw):
    return Conn(HOST, PORT, **kw)


def isid(n):
    return bytes([0x80, 0x12, 0x34, 0x00, n >> 8, n & 0xFF])


NORMAL_KEYS = [("HeaderDigest", "None"), ("DataDigest", "None"),
               ("MaxRecvDataSegmentLength", "65536")]


def login_main(initiator, keys=NORMAL_KEYS, n=1, **kw):
    c = conn()
    r = c.login(initiator, TGT_MAIN, op_keys=keys, isid=isid(n), **kw)
    check(r.ok, "login of %s refused: %s" % (initiator, status_str(r.status)))
    return c, r


def pattern(seed, n):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += struct.pack(">II", seed, i)
        i += 1
    return bytes(out[:n])


def write_read(c, lba, data, **kw):
    blocks = len(data) // BLOCK
    t = c.scsi_send(cdb_write10(lba, blocks), write=data, **kw)
    r = c.scsi_wait(t)
    check(r.status == 0, "WRITE at %d: status %d sense %r" % (lba, r.status, r.sense_key()))
    rr = c.scsi(cdb_read10(lba, blocks), read_len=len(data))
    check(rr.status == 0, "READ at %d: status %d" % (lba, rr.status))
    check(rr.data == data, "READ at %d returned other data (%d bytes)" % (lba, len(rr.data)))
    return t


# ---- 7 (started first, checked last). NOP-In ping of an idle session ----

nop_state = {"stop": threading.Event(), "pings": []}


def nop_idle_session():
    """Logs in, then sends nothing of its own: records when each ping of
    the target comes and answers it at once, until told to stop."""
    try:
        c = conn(timeout=30)
        c.auto_ping = False
        r = c.login(I + "idle", TGT_MAIN, op_keys=NORMAL_KEYS, isid=isid(7))
        if not r.ok:
            nop_state["error"] = "login refused: " + status_str(r.status)
            return
        nop_state["conn"] = c
        t0 = time.monotonic()
        nop_state["exp_statsn"] = c.exp_statsn
        while not nop_state["stop"].is_set():
            try:
                p = c.recv_pdu(timeout=0.25)
            except socket.timeout:
                continue
            nop_state["pings"].append((time.monotonic() - t0, p))
            if p.op != OP_NOP_IN or p.itt != RSVD:
                return
            c.answer_ping(p)
    except Exception as e:  # noqa: BLE001
        nop_state["error"] = "%s: %s" % (type(e).__name__, e)


def run():
    nop_thread = threading.Thread(target=nop_idle_session, daemon=True)
    nop_thread.start()
    t_start = time.monotonic()

    # ==== 1. digests ====
    DIG = [("HeaderDigest", "CRC32C"), ("DataDigest", "CRC32C"),
           ("InitialR2T", "No"), ("ImmediateData", "Yes"),
           ("FirstBurstLength", "65536"), ("MaxBurstLength", "262144"),
           ("MaxRecvDataSegmentLength", "8192")]
    st = {}

    @case("digests: CRC32C negotiated both ways; NOP-Out/NOP-In echo with digests")
    def _():
        c = conn()
        st["c"] = c
        r = c.login(I + "digest", TGT_MAIN, op_keys=DIG, isid=isid(1))
        check(r.ok, "login refused: " + status_str(r.status))
        check(r.keys.get("HeaderDigest") == "CRC32C" and r.keys.get("DataDigest") == "CRC32C",
              "answered HeaderDigest=%s DataDigest=%s" % (r.keys.get("HeaderDigest"),
                                                           r.keys.get("DataDigest")))
        payload = b"digest-ping-13"[:13]    # not a multiple of 4: padding
        p = c.nop(payload)                  # every received PDU is verified
        check(p.op == OP_NOP_IN and p.data == payload,
              "NOP-In %r data %r" % (p, p.data))
        return True

    @case("digests: INQUIRY Data-In; WRITE by immediate data, by R2T, by both "
          "with unsolicited Data-Out; READ back identical")
    def _():
        c = st["c"]
        c.clear_ua()
        r = c.scsi(cdb_inquiry(255), read_len=255)
        n = 5 + r.data[4] if len(r.data) > 4 else -1
        check(r.status == 0 and len(r.data) == n and r.data[8:16] == b"TANDEM  ",
              "INQUIRY status %d, %d bytes: %r" % (r.status, len(r.data), r.data[:16]))
        # The Data-In carrying status reports the short transfer.
        check(r.rsp.flags & 0x02 and r.rsp.u32(44) == 255 - n,
              "INQUIRY residual: flags %02x count %d" % (r.rsp.flags, r.rsp.u32(44)))
        write_read(c, 2000, pattern(1, 4096))                      # immediate only
        big = pattern(2, 200 * 1024)
        t = write_read(c, 3000, big, immediate_data=False, unsolicited=False)
        check(len(t["r2ts"]) >= 1, "no R2T for a write sent without data")
        t = write_read(c, 4000, pattern(3, 200 * 1024))            # imm + unsol + R2T
        check(len(t["r2ts"]) >= 1, "no R2T for the part beyond FirstBurstLength")
        return True

    @case("digests: a NOP-Out with a corrupted data digest gets Reject 0x02; "
          "the session goes on")
    def _():
        c = st["c"]
        itt = c.next_itt()
        h = c.bhs(0x40, 0x80, itt)
        h[20:24] = struct.pack(">I", RSVD)
        h[24:28] = struct.pack(">I", c.seq.cmdsn)
        h[28:32] = struct.pack(">I", c.exp_statsn)
        c.send_pdu(h, b"0123456789abcdef", bad_data_digest=True)
        p = c.recv()
        check(p.op == OP_REJECT, "expected Reject, got %r" % p)
        check(p.hdr[2] == 0x02, "Reject reason 0x%02x, expected 0x02" % p.hdr[2])
        check(p.itt == RSVD, "Reject ITT %08x" % p.itt)
        check(len(p.data) == 48 and p.data[16:20] == struct.pack(">I", itt),
              "Reject does not carry the rejected header")
        q = c.nop(b"after")
        check(q.op == OP_NOP_IN and q.data == b"after", "no NOP-In after the Reject: %r" % q)
        r = c.scsi(cdb_inquiry(36), read_len=36)
        check(r.status == 0, "INQUIRY after the Reject: status %d" % r.status)
        return True

    @case("digests: a PDU with a corrupted header digest closes the connection")
    def _():
        c = st["c"]
        h = c.bhs(0x40, 0x80, c.next_itt())
        h[20:24] = struct.pack(">I", RSVD)
        h[24:28] = struct.pack(">I", c.seq.cmdsn)
        c.send_pdu(h, bad_hdr_digest=True)
        closed = c.closed(5)
        c.close()
        return closed, "connection still open 5 s after a header digest error"

    @case("digests: a Data-Out with a corrupted data digest closes the connection (ERL 0)")
    def _():
        c = conn()
        r = c.login(I + "digest", TGT_MAIN, op_keys=DIG, isid=isid(2))
        check(r.ok and c.dd, "login: %s, DataDigest=%s" % (status_str(r.status),
                                                          r.keys.get("DataDigest")))
        c.clear_ua()
        data = pattern(4, 64 * 1024)
        t = c.scsi_send(cdb_write10(6000, 128), write=data, immediate_data=False,
                        unsolicited=False)
        check(c.scsi_wait(t, answer_r2t=False) is None, "no R2T")
        r2t = t["r2ts"][0]
        c.data_out(t, r2t.ttt, r2t.u32(40), min(c.chunk, r2t.u32(44)), bad_data_digest=True)
        closed = c.closed(5)
        c.close()
        return closed, "connection still open 5 s after a Data-Out digest error"

    @case("digests: offered None,CRC32C gives None; CRC32C,None gives CRC32C "
          "(the first of the initiator's list)")
    def _():
        got = []
        for offer, want, dig in (("None,CRC32C", "None", False), ("CRC32C,None", "CRC32C", True)):
            c = conn()
            r = c.login(I + "digest", TGT_MAIN, isid=isid(3),
                        op_keys=[("HeaderDigest", offer), ("DataDigest", offer)])
            check(r.ok, "login refused: " + status_str(r.status))
            hd, dd = r.keys.get("HeaderDigest"), r.keys.get("DataDigest")
            got.append((offer, hd, dd))
            check(hd == want and dd == want, "offered %s, answered %s/%s" % (offer, hd, dd))
            check(c.hd == dig, "digest state")
            p = c.nop(b"xyz")
            check(p.op == OP_NOP_IN and p.data == b"xyz", "NOP after %s: %r" % (offer, p))
            lo = c.logout(0)
            check(lo.op == OP_LOGOUT_RSP and lo.hdr[2] == 0, "logout %r" % lo)
            c.close()
        return True

    @case("digests: libiscsi (qemu-io) with header-digest=crc32c writes and reads back")
    def _():
        opts = ("driver=iscsi,transport=tcp,portal=%s:%d,target=%s,lun=0,"
                "header-digest=crc32c,initiator-name=%s" % (HOST, PORT, TGT_MAIN, I + "qemu"))
        p = subprocess.run(["qemu-io", "--image-opts", opts,
                            "-c", "write -P 0x5c 4M 192k", "-c", "read -P 0x5c 4M 192k"],
                           capture_output=True, text=True, timeout=60)
        out = p.stdout + p.stderr
        ok = p.returncode == 0 and "Pattern verification failed" not in out and \
            "read 196608/196608" in out
        return ok, "rc %d: %s" % (p.returncode, out.strip()[-300:])

    # ==== 2. MC/S ====
    mc = {}

    @case("MC/S: MaxConnections=2 negotiated; a second connection (same ISID, "
          "TSIH, CID 1) joins the session")
    def _():
        seq = SessionSeq()
        a = conn(seq=seq)
        r = a.login(I + "mcs", TGT_MAIN, isid=isid(20),
                    op_keys=NORMAL_KEYS + [("MaxConnections", "2"), ("InitialR2T", "No"),
                                           ("ImmediateData", "Yes"),
                                           ("FirstBurstLength", "65536")])
        check(r.ok, "leading login: " + status_str(r.status))
        check(r.keys.get("MaxConnections") == "2", "MaxConnections=%s" % r.keys.get("MaxConnections"))
        check(r.tsih != 0, "TSIH 0 in the final response")
        mc.update(a=a, seq=seq, tsih=r.tsih)
        b = conn(seq=seq)
        b.params = dict(a.params)   # the session's keys hold on every connection
        rb = b.login(I + "mcs", TGT_MAIN, isid=isid(20), tsih=r.tsih, cid=1, op_keys=NORMAL_KEYS)
        check(rb.ok, "second connection: " + status_str(rb.status))
        check(rb.tsih == r.tsih, "second connection got TSIH %d, session has %d" % (rb.tsih, r.tsih))
        mc["b"] = b
        a.clear_ua()
        for x in (a, b):
            p = x.nop(b"mcs")
            check(p.op == OP_NOP_IN, "NOP on CID %d: %r" % (x.cid, p))
        return True

    @case("MC/S: a command ahead in CmdSN waits on one connection until the one "
          "before it arrives on the other")
    def _():
        a, b, seq = mc["a"], mc["b"], mc["seq"]
        sn = seq.cmdsn
        da, db = pattern(20, 4096), pattern(21, 4096)
        tb = b.scsi_send(cdb_write10(5000, 8), write=db, cmdsn=sn + 1)
        quiet, p = b.quiet(0.7)
        check(quiet, "CmdSN %d answered before CmdSN %d arrived: %r" % (sn + 1, sn, p))
        ta = a.scsi_send(cdb_write10(5008, 8), write=da, cmdsn=sn)
        seq.cmdsn = sn + 2
        ra, rb = a.scsi_wait(ta), b.scsi_wait(tb)
        check(ra.status == 0 and rb.status == 0, "statuses %d/%d" % (ra.status, rb.status))
        check(rb.rsp.exp_cmdsn == sn + 2, "ExpCmdSN %d after both, expected %d"
              % (rb.rsp.exp_cmdsn, sn + 2))
        x = a.scsi(cdb_read10(5000, 16), read_len=8192)
        y = b.scsi(cdb_read10(5000, 16), read_len=8192)
        check(x.data == db + da and y.data == db + da, "data written on one connection "
              "reads back differently on the other")
        return True

    @case("MC/S: a WRITE waiting for its CmdSN takes its unsolicited Data-Out "
          "meanwhile and completes when its turn comes")
    def _():
        a, b, seq = mc["a"], mc["b"], mc["seq"]
        check(b.params.get("InitialR2T") == "No", "InitialR2T=%s" % b.params.get("InitialR2T"))
        sn = seq.cmdsn
        seq.cmdsn = sn + 2
        data = pattern(23, 96 * 1024)
        b.chunk = 8192          # immediate 8 KiB, Data-Out to 64 KiB, R2T for the rest
        tb = b.scsi_send(cdb_write10(5200, len(data) // BLOCK), write=data, cmdsn=sn + 1)
        b.chunk = 16384
        quiet, p = b.quiet(0.5)
        check(quiet, "CmdSN %d answered before CmdSN %d arrived: %r" % (sn + 1, sn, p))
        r = a.scsi_wait(a.scsi_send(bytes(6), cmdsn=sn))
        check(r.status == 0, "TEST UNIT READY (CmdSN %d): status %d" % (sn, r.status))
        rb = b.scsi_wait(tb, timeout=5)
        check(rb.status == 0, "WRITE: status %d sense %r" % (rb.status, rb.sense_key()))
        offs = [(x.u32(40), x.u32(44)) for x in tb["r2ts"]]
        check(offs == [(65536, len(data) - 65536)], "R2Ts %r, expected only the part "
              "beyond FirstBurstLength" % offs)
        x = a.scsi(cdb_read10(5200, len(data) // BLOCK), read_len=len(data))
        check(x.status == 0 and x.data == data, "READ back differs")
        return True

    @case("MC/S: ABORT TASK of a command still waiting for its CmdSN: Function "
          "complete, no status for it, and the CmdSNs after it still run")
    def _():
        a, b, seq = mc["a"], mc["b"], mc["seq"]
        sn = seq.cmdsn
        seq.cmdsn = sn + 2      # sn and sn + 1 are taken below
        tb = b.scsi_send(cdb_write10(5100, 8), write=pattern(22, 4096), cmdsn=sn + 1)
        quiet, p = b.quiet(0.5)
        check(quiet, "CmdSN %d answered before CmdSN %d arrived: %r" % (sn + 1, sn, p))
        itt = b.tmf(TMF_ABORT_TASK, rtt=tb["itt"], refcmdsn=sn + 1)
        p = b.recv()
        check(p.op == OP_TMF_RSP and p.itt == itt and p.hdr[2] == 0,
              "ABORT TASK answered %r response %d" % (p, p.hdr[2]))
        r = a.scsi_wait(a.scsi_send(bytes(6), cmdsn=sn))
        check(r.status == 0, "TEST UNIT READY (CmdSN %d): status %d" % (sn, r.status))
        # The aborted command's CmdSN was received (RFC 7143 11.5.1): the
        # next one must not wait for it.
        seq.cmdsn = sn + 3
        r = a.scsi_wait(a.scsi_send(bytes(6), cmdsn=sn + 2), timeout=5)
        check(r.status == 0, "TEST UNIT READY (CmdSN %d): status %d" % (sn + 2, r.status))
        quiet, p = b.quiet(0.3)
        check(quiet, "the aborted command got %r" % p)
        x = a.scsi(cdb_read10(5100, 8), read_len=4096)
        check(x.status == 0 and x.data != pattern(22, 4096), "the aborted WRITE was executed")
        return True

    @case("MC/S: a third connection beyond MaxConnections gets 0x0206")
    def _():
        c = conn(seq=mc["seq"])
        r = c.login(I + "mcs", TGT_MAIN, isid=isid(20), tsih=mc["tsih"], cid=2, op_keys=NORMAL_KEYS)
        closed = c.closed(5)
        c.close()
        check(r.status == 0x0206, "status " + status_str(r.status))
        return closed, "connection not closed after the refusal"

    @case("MC/S: logout of the leading connection (reason 1) leaves the other working")
    def _():
        a, b = mc["a"], mc["b"]
        p = a.logout(1)
        check(p.op == OP_LOGOUT_RSP and p.hdr[2] == 0, "logout response %r (response %d)"
              % (p, p.hdr[2]))
        check(a.closed(5), "logged-out connection not closed")
        a.close()
        q = b.nop(b"still")
        check(q.op == OP_NOP_IN and q.data == b"still", "NOP on CID 1: %r" % q)
        r = b.scsi(cdb_read10(5000, 8), read_len=4096)
        check(r.status == 0 and r.data == pattern(21, 4096), "READ on CID 1 after the logout")
        return True

    @case("MC/S: logout with reason 0 closes every connection of the session")
    def _():
        b = mc["b"]
        c = None
        for _ in range(10):     # the target frees CID 0 just after closing it
            c = conn(seq=mc["seq"])
            r = c.login(I + "mcs", TGT_MAIN, isid=isid(20), tsih=mc["tsih"], cid=2,
                        op_keys=NORMAL_KEYS)
            if r.status != 0x0206:
                break
            c.close()
            time.sleep(0.1)
        check(r.ok, "CID 2 could not join: " + status_str(r.status))
        check(c.nop().op == OP_NOP_IN, "NOP on CID 2")
        p = b.logout(0)
        check(p.op == OP_LOGOUT_RSP and p.hdr[2] == 0, "logout response %r" % p)
        check(b.closed(5), "connection that logged out not closed")
        check(c.closed(5), "the session's other connection (CID 2) not closed")
        b.close()
        c.close()
        d = conn()
        r = d.login(I + "mcs", TGT_MAIN, isid=isid(20), tsih=mc["tsih"], cid=3, op_keys=NORMAL_KEYS)
        d.close()
        check(r.status == 0x020A, "joining the ended session: status %s, expected 0x020a"
              % status_str(r.status))
        return True

    # ==== 3. session reinstatement ====
    @case("reinstatement: a new leading login with the same InitiatorName and ISID "
          "closes the old connection; the new session works")
    def _():
        a, ra = login_main(I + "reinstate", n=30)
        a.clear_ua()
        b, rb = login_main(I + "reinstate", n=30)
        check(rb.tsih != ra.tsih, "the new session reuses TSIH %d" % ra.tsih)
        check(a.closed(5), "old connection still open")
        a.close()
        b.clear_ua()
        r = b.scsi(cdb_inquiry(36), read_len=36)
        check(r.status == 0 and len(r.data) == 36, "INQUIRY on the new session")
        c = conn()
        rc = c.login(I + "reinstate", TGT_MAIN, isid=isid(30), tsih=ra.tsih, cid=1,
                     op_keys=NORMAL_KEYS)
        c.close()
        check(rc.status == 0x020A, "joining the reinstated session: " + status_str(rc.status))
        b.logout(0)
        b.close()
        return True

    # ==== 4. CHAP ====
    def chap_login(initiator, chap, n=40, keys=NORMAL_KEYS):
        c = conn()
        r = c.login(initiator, TGT_CHAP, op_keys=keys, isid=isid(n), chap=chap)
        return c, r

    def chap_ok(initiator, chap, n):
        c, r = chap_login(initiator, chap, n)
        check(r.ok, "login refused: " + status_str(r.status))
        c.clear_ua()
        x = c.scsi(cdb_inquiry(36), read_len=36)
        check(x.status == 0, "INQUIRY after CHAP login: status %d" % x.status)
        c.logout(0)
        c.close()
        return r

    @case("CHAP MD5 (CHAP_A=5): the ACL's credentials log in")
    def _():
        chap_ok(INIT_CHAP1, dict(user=CHAP1[0], secret=CHAP1[1], alg=5), 41)
        return True

    @case("CHAP SHA-256 (CHAP_A=7): the ACL's credentials log in")
    def _():
        chap_ok(INIT_CHAP1, dict(user=CHAP1[0], secret=CHAP1[1], alg=7), 42)
        return True

    @case("CHAP: a wrong password gets 0x0201 and the connection is closed")
    def _():
        c, r = chap_login(INIT_CHAP1, dict(user=CHAP1[0], secret="wrong-secret-1234"), 43)
        closed = c.closed(5)
        c.close()
        check(r.status == 0x0201, "status " + status_str(r.status))
        return closed, "not closed"

    @case("CHAP: an initiator with no ACL (generate_node_acls=0) gets 0x0202")
    def _():
        c, r = chap_login(INIT_STRANGER, dict(user=CHAP1[0], secret=CHAP1[1]), 44)
        c.close()
        check(len(r.responses) == 1, "refused only after %d responses" % len(r.responses))
        return r.status == 0x0202, "status " + status_str(r.status)

    @case("CHAP: AuthMethod=None is refused (0x0201) when authentication=1")
    def _():
        c, r = chap_login(INIT_CHAP1, None, 45)
        c.close()
        return r.status == 0x0201, "status " + status_str(r.status)

    @case("CHAP mutual: the target answers the initiator's challenge with the "
          "mutual secret (CHAP_N and CHAP_R verified)")
    def _():
        r = chap_ok(INIT_CHAP2, dict(user=CHAP2[0], secret=CHAP2[1], alg=5,
                                     mutual=CHAP2_TARGET), 46)
        check(r.chap.get("target_response_ok"), "target's CHAP_N=%r / CHAP_R wrong"
              % r.chap.get("target_name"))
        r = chap_ok(INIT_CHAP2, dict(user=CHAP2[0], secret=CHAP2[1], alg=7,
                                     mutual=CHAP2_TARGET), 47)
        check(r.chap.get("target_response_ok"), "SHA-256: target's CHAP_R wrong")
        return True

    @case("CHAP mutual: the target's own challenge sent back (reflection) is refused (0x0201)")
    def _():
        c, r = chap_login(INIT_CHAP2, dict(user=CHAP2[0], secret=CHAP2[1], alg=5,
                                           mutual=CHAP2_TARGET, reflect=True), 48)
        c.close()
        check("target_response_ok" not in r.chap, "the target answered its own challenge")
        return r.status == 0x0201, "status " + status_str(r.status)

    def inq(url, initiator):
        p = subprocess.run(["iscsi-inq", "-i", initiator, url], capture_output=True,
                           text=True, timeout=30)
        return p.returncode, (p.stdout + p.stderr).strip()

    @case("CHAP with libiscsi: iscsi-inq with the right secret works, a wrong one fails")
    def _():
        url = "iscsi://%s%%%s@%s:%d/%s/0" % (CHAP1[0], CHAP1[1], HOST, PORT, TGT_CHAP)
        rc, out = inq(url, INIT_CHAP1)
        check(rc == 0 and "Vendor:TANDEM" in out, "right secret: rc %d %s" % (rc, out[-200:]))
        url = "iscsi://%s%%%s@%s:%d/%s/0" % (CHAP1[0], "not-the-secret-9", HOST, PORT, TGT_CHAP)
        rc, out = inq(url, INIT_CHAP1)
        check(rc != 0 and "Vendor:" not in out, "wrong secret accepted: rc %d" % rc)
        return True

    @case("CHAP with libiscsi: mutual CHAP verifies the target; a wrong target "
          "secret makes libiscsi refuse it")
    def _():
        base = "iscsi://%s%%%s@%s:%d/%s/0?target_user=%s&target_password=" % (
            CHAP2[0], CHAP2[1], HOST, PORT, TGT_CHAP, CHAP2_TARGET[0])
        rc, out = inq(base + CHAP2_TARGET[1], INIT_CHAP2)
        check(rc == 0 and "Vendor:TANDEM" in out, "mutual: rc %d %s" % (rc, out[-200:]))
        rc, out = inq(base + "other-target-pw1", INIT_CHAP2)
        check(rc != 0 and "Vendor:" not in out,
              "libiscsi accepted a target response made with another secret")
        return True

    # ==== 5. discovery ====
    def discover(initiator, mrdsl="512", n=50):
        d = conn()
        r = d.login(initiator, discovery=True, isid=isid(n),
                    op_keys=[("HeaderDigest", "None"), ("DataDigest", "None"),
                             ("MaxRecvDataSegmentLength", mrdsl)])
        check(r.ok, "discovery login: " + status_str(r.status))
        return d

    def send_targets(d, what="All"):
        """The whole SendTargets answer, following Continue; returns
        (list of (key, value), list of PDUs)."""
        itt = d.text([("SendTargets", what)])
        data, pdus = b"", []
        for _ in range(200):
            p = d.recv()
            check(p.op == OP_TEXT_RSP and p.itt == itt, "expected Text Response, got %r" % p)
            pdus.append(p)
            data += p.data
            if p.flags & 0x40:
                check(not p.flags & 0x80, "Text Response with both F and C")
                check(p.ttt != RSVD, "Continue bit with the reserved TTT")
                d.text([], ttt=p.ttt, itt=itt)
                continue
            check(p.flags & 0x80, "last Text Response without F")
            check(p.ttt == RSVD, "final Text Response with TTT %08x" % p.ttt)
            return text_decode(data), pdus
        raise AssertionError("SendTargets never ended")

    def targets_of(pairs):
        out, cur = {}, None
        for k, v in pairs:
            if k == "TargetName":
                cur = v
                check(cur not in out, "%s listed twice" % cur)
                out[cur] = []
            elif k == "TargetAddress":
                check(cur is not None, "TargetAddress before any TargetName")
                out[cur].append(v)
            else:
                raise AssertionError("unexpected key %s in SendTargets" % k)
        return out

    ds = {}

    @case("discovery: SendTargets=All lists exactly the targets the initiator may "
          "see, each with TargetAddress=127.0.0.1:PORT,1")
    def _():
        d = discover(I + "discover", n=51)
        ds["d"] = d
        pairs, pdus = send_targets(d)
        ds["pdus"] = pdus
        got = targets_of(pairs)
        want = set([TGT_MAIN] + TGT_LISTED)
        check(TGT_HIDDEN not in got, "%s (its ACL does not name the initiator) is listed" % TGT_HIDDEN)
        check(TGT_CHAP not in got, "%s (its ACLs do not name the initiator) is listed" % TGT_CHAP)
        check(set(got) == want, "missing %s, extra %s" % (sorted(want - set(got))[:3],
                                                          sorted(set(got) - want)[:3]))
        addr = "%s:%d,1" % (HOST, PORT)
        bad = [(n, a) for n, a in got.items() if a != [addr]]
        check(not bad, "addresses %r, expected [%r]" % (bad[:2], addr))
        return True

    @case("discovery: the long answer arrives in Text PDUs of at most 512 bytes "
          "joined by the Continue bit")
    def _():
        pdus = ds["pdus"]
        sizes = [p.dsl for p in pdus]
        check(len(pdus) >= 4, "only %d Text Response PDUs for %d targets" % (len(pdus), N_LISTED))
        check(max(sizes) <= 512, "a Text Response of %d bytes (MaxRecvDataSegmentLength=512)"
              % max(sizes))
        check(all(p.flags & 0x40 for p in pdus[:-1]), "Continue bit missing before the end")
        return True

    @case("discovery: a SCSI command in a discovery session gets Reject (protocol "
          "error) and the session goes on")
    def _():
        d = ds["d"]
        t = d.scsi_send(bytes(6), immediate=True)
        p = d.recv()
        check(p.op == OP_REJECT, "expected Reject, got %r" % p)
        check(p.hdr[2] == 0x04, "reason 0x%02x, expected 0x04" % p.hdr[2])
        check(p.data[:1] == b"\x41" and p.data[16:20] == struct.pack(">I", t["itt"]),
              "Reject does not carry the SCSI command's header")
        pairs, _ = send_targets(d, TGT_MAIN)
        check(targets_of(pairs) == {TGT_MAIN: ["%s:%d,1" % (HOST, PORT)]},
              "SendTargets=%s after the Reject: %r" % (TGT_MAIN, pairs))
        p = d.logout(0)
        check(p.op == OP_LOGOUT_RSP and p.hdr[2] == 0, "logout %r" % p)
        d.close()
        return True

    @case("discovery: the initiator a target's ACL names does see that target")
    def _():
        d = discover(INIT_SEER, mrdsl="8192", n=52)
        pairs, _ = send_targets(d)
        got = targets_of(pairs)
        d.close()
        check(TGT_HIDDEN in got, "%s not listed for %s" % (TGT_HIDDEN, INIT_SEER))
        return TGT_CHAP not in got, "%s listed" % TGT_CHAP

    # ==== 6. task management ====
    tm = {}

    @case("TMF: ABORT TASK of a WRITE waiting for Data-Out gets Function complete "
          "and the task no status")
    def _():
        c, r = login_main(I + "tmf-a", n=60, keys=NORMAL_KEYS + [
            ("InitialR2T", "Yes"), ("ImmediateData", "No"), ("MaxBurstLength", "262144"),
            ("MaxOutstandingR2T", "1")])
        check(r.keys.get("InitialR2T") == "Yes" and r.keys.get("ImmediateData") == "No",
              "InitialR2T=%s ImmediateData=%s" % (r.keys.get("InitialR2T"),
                                                  r.keys.get("ImmediateData")))
        tm["a"] = c
        c.clear_ua()
        t = c.scsi_send(cdb_write10(8192, 2048), write=bytes(1 << 20))
        check(c.scsi_wait(t, answer_r2t=False) is None, "no R2T")
        r2t = t["r2ts"][0]
        check(r2t.op == OP_R2T and r2t.u32(40) == 0 and r2t.u32(44) == 262144,
              "R2T offset %d length %d" % (r2t.u32(40), r2t.u32(44)))
        itt = c.tmf(TMF_ABORT_TASK, lun=0, rtt=t["itt"], refcmdsn=t["cmdsn"])
        p = c.recv()
        check(p.op == OP_TMF_RSP and p.itt == itt, "expected the TMF response, got %r" % p)
        check(p.hdr[2] == 0, "response %d, expected 0 (Function complete)" % p.hdr[2])
        quiet, q = c.quiet(1.0)
        check(quiet, "after the abort the target sent %r" % q)
        # The task is gone: aborting it again finds nothing, and its
        # RefCmdSN is behind ExpCmdSN (RFC 7143 11.5.1 c): Task does not exist.
        itt = c.tmf(TMF_ABORT_TASK, lun=0, rtt=t["itt"], refcmdsn=t["cmdsn"])
        p = c.recv()
        check(p.op == OP_TMF_RSP and p.itt == itt and p.hdr[2] == 1,
              "second ABORT TASK answered %r response %d, expected 1 (task does not exist)"
              % (p, p.hdr[2]))
        x = c.scsi(cdb_read10(0, 8), read_len=4096)
        check(x.status == 0, "READ after the abort: status %d" % x.status)
        return True

    @case("TMF: LUN RESET gets Function complete; another session on the LU then "
          "sees UNIT ATTENTION 29h/03h once")
    def _():
        a = tm["a"]
        b, _ = login_main(I + "tmf-b", n=61)
        tm["b"] = b
        b.clear_ua()
        itt = a.tmf(TMF_LUN_RESET, lun=0)
        p = a.recv()
        check(p.op == OP_TMF_RSP and p.itt == itt and p.hdr[2] == 0,
              "LUN RESET answered %r response %d" % (p, p.hdr[2]))
        r = b.scsi(bytes(6))
        check(r.status == 2 and r.sense_key() == (6, 0x29, 0x03),
              "other session: status %d sense %r" % (r.status, r.sense_key()))
        r = b.scsi(bytes(6))
        check(r.status == 0, "second TEST UNIT READY: status %d sense %r"
              % (r.status, r.sense_key()))
        return True

    @case("TMF: TARGET WARM RESET gets Function complete and the session goes on")
    def _():
        a, b = tm["a"], tm["b"]
        itt = a.tmf(TMF_TARGET_WARM_RESET)
        p = a.recv()
        check(p.op == OP_TMF_RSP and p.itt == itt and p.hdr[2] == 0,
              "TARGET WARM RESET answered %r response %d" % (p, p.hdr[2]))
        check(a.nop().op == OP_NOP_IN, "NOP after the reset")
        for x in (a, b):
            x.logout(0)
            x.close()
        return True

    # ==== 7. NOP-In ====
    @case("NOP-In: an idle session gets a ping (ITT ffffffff, TTT set) within "
          "15-20 s; answering it keeps the session")
    def _():
        # The ping is due 15 s after login: wait for it if the cases
        # before were quicker.
        while not nop_state["pings"] and "error" not in nop_state and \
                time.monotonic() - t_start < 25:
            time.sleep(0.1)
        nop_state["stop"].set()
        nop_thread.join(timeout=5)
        check("error" not in nop_state, nop_state.get("error", ""))
        check(nop_state["pings"], "no PDU at all on the idle session")
        dt, p = nop_state["pings"][0]
        check(p.op == OP_NOP_IN and p.itt == RSVD and p.ttt != RSVD,
              "idle session got %r" % p)
        check(14.0 <= dt <= 20.0, "ping after %.1f s" % dt)
        check(p.statsn == nop_state["exp_statsn"], "ping StatSN %d, expected %d (not advanced)"
              % (p.statsn, nop_state["exp_statsn"]))
        c = nop_state["conn"]
        c.auto_ping = True
        q = c.nop(b"alive")
        check(q.op == OP_NOP_IN and q.data == b"alive", "after answering: %r" % q)
        c.logout(0)
        c.close()
        return True

    @case("the daemon still serves after all of the above")
    def _():
        c, _ = login_main(I + "final", n=99)
        c.clear_ua()
        r = c.scsi(cdb_inquiry(36), read_len=36)
        c.logout(0)
        c.close()
        return r.status == 0 and len(r.data) == 36, "INQUIRY status %d" % r.status

    print("DONE %d cases" % len(results), flush=True)
    return all(results)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "config":
        write_config(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    if len(sys.argv) != 4 or sys.argv[1] != "run":
        sys.exit(__doc__)
    HOST, PORT = sys.argv[2], int(sys.argv[3])
    assert crc32c(b"123456789") == 0xE3069283
    sys.exit(0 if run() else 1)
