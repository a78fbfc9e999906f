#!/usr/bin/env python3
"""tandemd's control socket and live reconfiguration, against a running
tandemd on 127.0.0.1, with the raw iSCSI client of tests/protocol/.

  live.py config OUT PORT IQN WORKDIR      writes the starting saveconfig.json
  live.py run CTLCALL SOCKET PORT PORT2 IQN WORKDIR PID LOG
                                           runs the checks, one line each:
                                           "PASS name" or "FAIL name: why"

The checks run in order and build on each other (each applies a change to
what the previous one left), as an administrator's session would.

With CTL_LIVE_RAMDISK=1 (the valgrind run) file0 and file1 are ramdisks:
valgrind cannot see the kernel fill buffers through io_uring, so file reads
would drown real reports; the check that the removed LU's file is closed
then does not apply and is not run.
"""
import json
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "protocol"))
import iscsi_client as ic  # noqa: E402

ADDR = "127.0.0.1"
INI_S = "iqn.2026-11.org.tandem:ctl-s"
INI_A = "iqn.2026-11.org.tandem:ctl-a"
INI_B = "iqn.2026-11.org.tandem:ctl-b"
INI_D = "iqn.2026-11.org.tandem:ctl-d"
MiB = 1024 * 1024


RAMDISK_ONLY = os.environ.get("CTL_LIVE_RAMDISK") == "1"


def file_so(work, name, uuid):
    if RAMDISK_ONLY:
        return {"plugin": "ramdisk", "name": name, "size": 64 * MiB}
    with open(os.path.join(work, name), "wb") as f:
        f.truncate(64 * MiB)
    return {"plugin": "fileio", "name": name, "dev": os.path.join(work, name),
            "size": 64 * MiB, "write_back": False, "wwn": uuid(), "pr_store": "none"}


# Sense keys of the unit attentions a live storage object change posts.
UA_MODE_CHANGED = (6, 0x2A, 0x01)
UA_CAPACITY_CHANGED = (6, 0x2A, 0x09)
UA_INQUIRY_CHANGED = (6, 0x3F, 0x03)
UA_POWER_ON = (6, 0x29, 0x00)
CDB_VPD_LBP = bytes([0x12, 1, 0xB2, 0, 64, 0])
CDB_READ_CAPACITY16 = bytes([0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0])
CDB_MODE_SENSE_CACHING = bytes([0x1A, 0x08, 0x08, 0, 252, 0])


def so_path(name):
    return "/backstores/%s/%s" % ("ramdisk" if RAMDISK_ONLY else "fileio", name)


def write_config(out, port, iqn, work):
    def uuid():
        with open("/proc/sys/kernel/random/uuid") as f:
            return f.read().strip()
    portal = [{"ip_address": ADDR, "port": port}]
    cfg = {
        "storage_objects": [
            {"plugin": "ramdisk", "name": "ram0", "size": 16 * MiB},
            file_so(work, "file0", uuid),
            file_so(work, "file1", uuid),
        ],
        "targets": [
            {"fabric": "iscsi", "wwn": iqn, "tpgs": [{
                "tag": 1, "enable": True,
                "attributes": {"authentication": 0, "generate_node_acls": 1,
                               "demo_mode_write_protect": 0},
                "luns": [
                    {"index": 0, "storage_object": "/backstores/ramdisk/ram0"},
                    {"index": 2, "storage_object": so_path("file1")},
                ],
                "node_acls": [], "portals": portal}]},
            {"fabric": "iscsi", "wwn": iqn + "-acl", "tpgs": [{
                "tag": 1, "enable": True,
                "attributes": {"authentication": 0, "generate_node_acls": 0},
                "luns": [{"index": 0, "storage_object": so_path("file0")}],
                "node_acls": [
                    {"node_wwn": INI_A, "mapped_luns": [{"index": 0, "tpg_lun": 0}]},
                    {"node_wwn": INI_B, "mapped_luns": [{"index": 0, "tpg_lun": 0}]},
                ],
                "portals": portal}]},
        ],
    }
    with open(out, "w") as f:
        json.dump(cfg, f, indent=2)


class Checks:
    def __init__(self, ctlcall, sock, port, port2, iqn, work, pid, log):
        self.ctlcall, self.sock = ctlcall, sock
        self.port, self.port2, self.iqn = port, port2, iqn
        self.work, self.pid, self.log = work, pid, log
        self.failed = 0

    # ---- reporting ----

    def ok(self, name, cond, why=""):
        if cond:
            print("PASS %s" % name)
        else:
            self.failed += 1
            print("FAIL %s: %s" % (name, why))
        sys.stdout.flush()
        return cond

    # ---- the control socket ----

    def call(self, req, timeout_ms=60000):
        p = subprocess.run([self.ctlcall, self.sock, json.dumps(req), str(timeout_ms)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=timeout_ms / 1000 + 10)
        if p.returncode == 2:
            raise RuntimeError("ctlcall: " + p.stderr.strip())
        return json.loads(p.stdout)

    def call_async(self, req):
        return subprocess.Popen([self.ctlcall, self.sock, json.dumps(req)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True)

    @staticmethod
    def finish(proc, timeout=60):
        out, err = proc.communicate(timeout=timeout)
        if proc.returncode == 2:
            raise RuntimeError("ctlcall: " + err.strip())
        return json.loads(out)

    def config(self):
        return self.call({"op": "get_config"})["config"]

    def apply(self, cfg, **kw):
        req = {"op": "apply_config", "config": cfg}
        req.update(kw)
        return self.call(req)

    def status(self):
        return self.call({"op": "status"})

    def generation(self):
        return self.call({"op": "ping"})["generation"]

    # ---- iSCSI ----

    def login(self, initiator, target, port=None, chap=None, isid=1):
        c = ic.Conn(ADDR, port or self.port)
        c.isid = bytes([0x80, 0, 0, 0, 0, isid])
        r = c.login(initiator, target, chap=chap,
                    op_keys=[("ImmediateData", "Yes"), ("InitialR2T", "No"),
                             ("MaxRecvDataSegmentLength", "262144")])
        return c, r

    @staticmethod
    def tur(c, lun=0):
        return c.scsi(bytes(6), lun=lun)

    @staticmethod
    def report_luns(c):
        r = c.scsi(bytes([0xA0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0]), lun=0,
                   read_len=4096)
        if r.status:
            return r, None
        n = struct.unpack(">I", r.data[:4])[0] // 8
        return r, sorted(struct.unpack(">H", r.data[8 + 8 * i:10 + 8 * i])[0] & 0x3FFF
                         for i in range(n))

    def pending_uas(self, c, lun=0):
        """The unit attentions queued for the nexus, taken with TEST UNIT
        READY until it is GOOD."""
        seen = []
        for _ in range(6):
            t = self.tur(c, lun)
            if t.status == 0:
                return seen
            seen.append(t.sense_key())
        return seen + ["never GOOD"]

    @staticmethod
    def so_of(cfg, name):
        return [s for s in cfg["storage_objects"] if s["name"] == name][0]

    def tpg_of(self, cfg, iqn):
        return [t for t in cfg["targets"] if t["wwn"] == iqn][0]["tpgs"][0]

    def fd_targets(self):
        d = "/proc/%d/fd" % self.pid
        out = []
        for n in os.listdir(d):
            try:
                out.append(os.readlink(os.path.join(d, n)))
            except OSError:
                pass
        return out

    # ---- the checks ----

    def check_ping(self):
        r = self.call({"op": "ping"})
        self.ok("ping answers version, pid, config_path, generation",
                r.get("ok") and r.get("pid") == self.pid and r.get("version")
                and r.get("config_path", "").endswith("saveconfig.json")
                and isinstance(r.get("generation"), int), r)

    def check_round_trip(self):
        before = self.call({"op": "get_config"})
        so = before["config"]["storage_objects"][0]
        filled = all(k in so for k in ("wwn", "naa", "vendor_id", "product_id",
                                       "pr_store"))
        self.ok("get_config fills in generated values (ramdisk wwn, naa, "
                "vendor/product, pr_store)", filled, so)
        r = self.apply(before["config"])
        self.ok("get_config applied back unchanged is no change (config_parse "
                "gives the live objects)",
                r.get("ok") and r.get("changes") == [] and
                r.get("generation") == before["generation"], r)

    def check_status_session(self):
        c, r = self.login(INI_S, self.iqn)
        if not self.ok("demo-mode login to %s" % self.iqn, r.ok, r.status):
            return None
        c.clear_ua(0)
        local = "%s:%d" % c.s.getpeername()[:2]
        peer = "%s:%d" % c.s.getsockname()[:2]
        st = self.status()
        sessions = [s for t in st["targets"] if t["name"] == self.iqn
                    for g in t["tpgs"] for s in g["sessions"]]
        found = [s for s in sessions if s["initiator"] == INI_S]
        conn_ok = bool(found) and found[0]["connections"] and \
            found[0]["connections"][0]["local"] == local and \
            found[0]["connections"][0]["peer"] == peer
        self.ok("status lists the session with its connection's local and peer "
                "addresses", conn_ok, found or sessions)
        tpg = [g for t in st["targets"] if t["name"] == self.iqn for g in t["tpgs"]][0]
        self.ok("status lists the portal as listening",
                tpg["portals"] == [{"ip_address": ADDR, "port": self.port,
                                    "listening": True}], tpg["portals"])
        c.scsi(ic.cdb_read10(0, 8), lun=0, read_len=4096)
        st = self.status()
        ram0 = [s for s in st["storage"] if s["name"] == "ram0"][0]
        self.ok("status counts a LU's reads and bytes",
                ram0["reads"] >= 1 and ram0["read_bytes"] >= 4096 and
                ram0["inflight"] == 0 and ram0["lun_refs"] == 1, ram0)
        return c

    def check_add_lun(self, c):
        cfg = self.config()
        cfg["storage_objects"].append({"plugin": "ramdisk", "name": "ram1",
                                       "size": 8 * MiB})
        self.tpg_of(cfg, self.iqn)["luns"].append(
            {"index": 1, "storage_object": "/backstores/ramdisk/ram1"})
        gen = self.generation()
        r = self.apply(cfg, generation=gen)
        self.ok("apply_config adds a storage object and a LUN under a live session",
                r.get("ok") and r.get("generation") == gen + 1 and
                "storage object ram1 added" in r.get("changes", []), r)
        t = self.tur(c, 0)
        self.ok("the session gets REPORTED LUNS DATA HAS CHANGED",
                t.status == 2 and t.sense_key() == (6, 0x3F, 0x0E), t.sense_key())
        rr, luns = self.report_luns(c)
        self.ok("REPORT LUNS then lists the new LUN", luns == [0, 1, 2],
                (rr.status, luns))
        c.clear_ua(1)
        rd = c.scsi(ic.cdb_read10(0, 8), lun=1, read_len=4096)
        self.ok("the new LUN serves READ on the same session",
                rd.status == 0 and len(rd.data) == 4096, rd.sense_key())

    def check_remove_lun_inflight(self, c):
        c.clear_ua(2)
        # A WRITE whose R2T goes unanswered stays in flight for as long as
        # the test wants: the drain cannot be over before it is asked for,
        # however slow the daemon runs (valgrind).
        # 1 MiB: more than FirstBurstLength, so an R2T is needed.
        held = c.scsi_send(ic.cdb_write10(0, 2048), lun=2, write=b"\x5a" * MiB,
                           immediate_data=False)
        self.ok("a WRITE is held in flight (its R2T unanswered)",
                c.scsi_wait(held, answer_r2t=False) is None and held["r2ts"],
                "answered without an R2T")
        n = 24
        tasks = [c.scsi_send(ic.cdb_read10(i * 2048, 2048), lun=2, read_len=MiB)
                 for i in range(n)]
        busy = 0
        for _ in range(50):
            f1 = [s for s in self.status()["storage"] if s["name"] == "file1"][0]
            busy = f1["inflight"]
            if busy:
                break
            time.sleep(0.02)
        self.ok("commands are in flight on the LUN about to go (status inflight)",
                busy > 0, busy)
        cfg = self.config()
        cfg["storage_objects"] = [s for s in cfg["storage_objects"]
                                  if s["name"] != "file1"]
        tpg = self.tpg_of(cfg, self.iqn)
        tpg["luns"] = [l for l in tpg["luns"] if l["index"] != 2]
        proc = self.call_async({"op": "apply_config", "config": cfg})
        time.sleep(0.5)
        self.ok("apply_config does not answer while the removed LUN has commands "
                "in flight", proc.poll() is None, "answered early")
        good = 0
        for t in tasks:
            res = c.scsi_wait(t)
            good += res.status == 0 and len(res.data) == MiB
        self.ok("every command in flight completed", good == n, "%d of %d" % (good, n))
        time.sleep(0.2)
        self.ok("apply_config still waits for the held WRITE", proc.poll() is None,
                "answered with a command in flight")
        r2t = held["r2ts"][0]
        c.data_out(held, r2t.ttt, r2t.u32(40), r2t.u32(44))
        res = c.scsi_wait(held)
        self.ok("the held WRITE completes once its data arrives", res.status == 0,
                res.sense_key())
        r = self.finish(proc)
        self.ok("then apply_config answers, the LUN and object removed",
                r.get("ok") and "storage object file1 removed" in r.get("changes", []), r)
        path = os.path.join(self.work, "file1")
        if not RAMDISK_ONLY:
            self.ok("the removed LU's file is closed", path not in self.fd_targets(),
                    "tandemd still has %s open" % path)
        t = self.tur(c, 0)
        if t.status == 2 and t.sense_key() == (6, 0x3F, 0x0E):
            t = self.tur(c, 0)
        rd = c.scsi(ic.cdb_read10(0, 1), lun=2, read_len=512)
        self.ok("a new command to the removed LUN gets LOGICAL UNIT NOT SUPPORTED",
                rd.status == 2 and rd.sense_key() == (5, 0x25, 0x00), rd.sense_key())
        with open(self.log) as f:
            self.ok("the log says the LU was drained", "storage object file1: draining"
                    in f.read(), "no drain line")

    def lbp_state(self, c, lun=0):
        """(LBPU of the Logical Block Provisioning VPD page, LBPME of READ
        CAPACITY (16), 3PC of standard INQUIRY), or the failing status."""
        vpd = c.scsi(CDB_VPD_LBP, lun=lun, read_len=64)
        cap = c.scsi(CDB_READ_CAPACITY16, lun=lun, read_len=32)
        inq = c.scsi(ic.cdb_inquiry(), lun=lun, read_len=96)
        if vpd.status or cap.status or inq.status:
            return ("status", vpd.status, cap.status, inq.status)
        return (bool(vpd.data[5] & 0x80), bool(cap.data[14] & 0x80),
                bool(inq.data[5] & 0x08))

    def check_live_attributes(self, c):
        c.clear_ua(0)
        before = self.call({"op": "get_config"})
        was = self.lbp_state(c)
        self.ok("ram0 starts without UNMAP and with EXTENDED COPY (LBPU 0, LBPME 0, "
                "3PC 1)", was == (False, False, True), was)
        cfg = json.loads(json.dumps(before["config"]))
        attrs = self.so_of(cfg, "ram0")["attributes"]
        attrs["emulate_tpu"] = 1
        attrs["emulate_3pc"] = 0
        r = self.apply(cfg, generation=before["generation"])
        changes = r.get("changes", [])
        self.ok("apply_config changes emulate_tpu and emulate_3pc of an exported LU in "
                "place", r.get("ok") and r.get("generation") == before["generation"] + 1
                and "storage object ram0: attributes.emulate_tpu 0 -> 1" in changes
                and "storage object ram0: attributes.emulate_3pc 1 -> 0" in changes
                and not any("ram0 removed" in x or "ram0 added" in x for x in changes), r)
        uas = self.pending_uas(c)
        self.ok("the session gets INQUIRY DATA HAS CHANGED and CAPACITY DATA HAS "
                "CHANGED", sorted(uas) == sorted([UA_INQUIRY_CHANGED, UA_CAPACITY_CHANGED]),
                uas)
        now = self.lbp_state(c)
        self.ok("the same session then sees the new values (LBPU 1, LBPME 1, 3PC 0)",
                now == (True, True, False), now)
        rd = c.scsi(ic.cdb_read10(0, 8), lun=0, read_len=4096)
        self.ok("the session keeps working: READ on the same connection",
                rd.status == 0 and len(rd.data) == 4096, rd.sense_key())
        cfg = self.config()
        self.so_of(cfg, "ram0")["attributes"]["emulate_3pc"] = 1
        r = self.apply(cfg)
        uas = self.pending_uas(c)
        self.ok("turning emulate_3pc back on posts INQUIRY DATA HAS CHANGED alone",
                r.get("ok") and uas == [UA_INQUIRY_CHANGED], (r, uas))

    def check_write_back(self, a):
        """file0 is LUN 0 of INI_A and INI_B; a ramdisk has no write_back to
        turn. On while exported is refused; the way out (unexport, turn it
        on, export again) works; off while exported changes live."""
        if RAMDISK_ONLY:
            return
        acl_iqn = self.iqn + "-acl"

        def wce(conn):
            m = conn.scsi(CDB_MODE_SENSE_CACHING, lun=0, read_len=252)
            if m.status:
                return ("status", m.status, m.sense_key())
            return bool(m.data[4 + m.data[3] + 2] & 0x04)

        def with_wb(cfg, on):
            so = self.so_of(cfg, "file0")
            so["write_back"] = on
            so["attributes"]["emulate_write_cache"] = int(on)
            return cfg

        a.clear_ua(0)
        self.ok("file0 starts write-through (WCE 0)", wce(a) is False, wce(a))
        before = self.call({"op": "get_config"})
        index = [s["name"] for s in before["config"]["storage_objects"]].index("file0")
        r = self.apply(with_wb(json.loads(json.dumps(before["config"])), True))
        err = r.get("error", "")
        self.ok("turning write_back on while a LUN exports the object is refused naming "
                "the key, the LUN, why and the way out",
                not r.get("ok") and err.startswith(
                    'storage_objects[%d].write_back: cannot turn on (attribute '
                    'emulate_write_cache) while storage object "file0" is exported '
                    '(%s/tpg1/lun0): ' % (index, acl_iqn)) and
                "never sends SYNCHRONIZE CACHE" in err and
                err.endswith("remove its LUNs, turn it on, then export it again: "
                             "initiators read the new setting when they next log in "
                             "or rescan the LUN"), r)
        uas = self.pending_uas(a)
        self.ok("and nothing changed: configuration, generation, no unit attention, "
                "WCE 0", self.call({"op": "get_config"}) == before and uas == [] and
                wce(a) is False, (uas, wce(a)))

        # The way out, one step at a time, as tandemctl takes it.
        exported = self.tpg_of(before["config"], acl_iqn)
        cfg = self.config()
        tpg = self.tpg_of(cfg, acl_iqn)
        tpg["luns"] = []
        for acl in tpg["node_acls"]:
            acl["mapped_luns"] = []
        r = self.apply(cfg)
        self.ok("file0's LUN removed", r.get("ok"), r)
        r = self.apply(with_wb(self.config(), True))
        changes = r.get("changes", [])
        self.ok("with no LUN exporting it, write_back turns on in place",
                r.get("ok") and any(x.startswith("storage object file0: write_back true")
                                    for x in changes) and
                not any("file0 removed" in x or "file0 added" in x for x in changes), r)
        cfg = self.config()
        tpg = self.tpg_of(cfg, acl_iqn)
        tpg["luns"] = exported["luns"]
        mapped = {x["node_wwn"]: x["mapped_luns"] for x in exported["node_acls"]}
        for acl in tpg["node_acls"]:
            acl["mapped_luns"] = mapped[acl["node_wwn"]]
        r = self.apply(cfg)
        self.ok("file0 exported again", r.get("ok"), r)
        n, rn = self.login(INI_A, acl_iqn, isid=5,
                           chap={"user": "usera", "secret": "secret-a-123"})
        if self.ok("a new login to the LUN exported again", rn.ok, rn.status):
            n.clear_ua(0)
            self.ok("reads WCE 1", wce(n) is True, wce(n))
            n.logout()
        n.close()
        uas = self.pending_uas(a)
        self.ok("the session that stayed logged in meets the LU as a new one (its "
                "state went with the LUN): POWER ON OR RESET, then WCE 1",
                uas == [UA_POWER_ON] and wce(a) is True, (uas, wce(a)))
        wr = a.scsi(ic.cdb_write10(8, 1), lun=0, write=b"\xa5" * 512)
        rd = a.scsi(ic.cdb_read10(8, 1), lun=0, read_len=512)
        self.ok("the session keeps working: WRITE and READ back",
                wr.status == 0 and rd.status == 0 and rd.data == b"\xa5" * 512,
                (wr.sense_key(), rd.sense_key()))

        r = self.apply(with_wb(self.config(), False))
        uas = self.pending_uas(a)
        self.ok("turning it off while exported changes live: MODE PARAMETERS CHANGED, "
                "WCE 0", r.get("ok") and uas == [UA_MODE_CHANGED] and wce(a) is False,
                (r, uas))
        with open(self.log) as f:
            self.ok("the log says the cache was flushed",
                    "storage object file0: write_back off, flushing" in f.read(),
                    "no flush line")

    def check_acl_chap(self):
        acl_iqn = self.iqn + "-acl"
        a, ra = self.login(INI_A, acl_iqn)
        b, rb = self.login(INI_B, acl_iqn, isid=2)
        if not self.ok("ACL logins before the change", ra.ok and rb.ok,
                       (ra.status, rb.status)):
            return None, None
        a.clear_ua(0)
        b.clear_ua(0)
        cfg = self.config()
        tpg = self.tpg_of(cfg, acl_iqn)
        tpg["attributes"]["authentication"] = 1
        acl = [x for x in tpg["node_acls"] if x["node_wwn"] == INI_A][0]
        acl["chap_userid"] = "usera"
        acl["chap_password"] = "secret-a-123"
        r = self.apply(cfg)
        self.ok("apply_config turns CHAP on for an ACL", r.get("ok") and any(
            "ACL %s changed" % INI_A in x for x in r.get("changes", [])), r)
        t = self.tur(a, 0)
        self.ok("the ACL's existing session keeps working", t.status == 0, t.sense_key())
        n, rn = self.login(INI_A, acl_iqn, isid=3)
        n.close()
        self.ok("a new login without CHAP is refused", rn.status is not None and
                rn.status >> 8 == 2, rn.status)
        n, rn = self.login(INI_A, acl_iqn, isid=3,
                           chap={"user": "usera", "secret": "secret-a-123"})
        self.ok("a new login with the new CHAP secret succeeds", rn.ok, rn.status)
        n.close()
        return a, b

    def check_acl_delete(self, b):
        acl_iqn = self.iqn + "-acl"
        cfg = self.config()
        tpg = self.tpg_of(cfg, acl_iqn)
        tpg["node_acls"] = [x for x in tpg["node_acls"] if x["node_wwn"] != INI_B]
        r = self.apply(cfg)
        self.ok("apply_config deletes an ACL", r.get("ok") and
                ("%s/tpg1: ACL %s removed" % (acl_iqn, INI_B)) in r.get("changes", []), r)
        asyncs = []
        try:
            while True:
                p = b.recv_pdu(timeout=2)
                if p.op == ic.OP_ASYNC:
                    asyncs.append(p.hdr[36])
        except (ic.Closed, OSError, ic.ProtocolError):
            pass
        self.ok("its session got Async Message logout request and was closed",
                asyncs == [1], asyncs)
        st = self.status()
        left = [s for t in st["targets"] for g in t["tpgs"] for s in g["sessions"]
                if s["initiator"] == INI_B]
        self.ok("status no longer lists it once apply_config answered", not left, left)
        n, rn = self.login(INI_B, acl_iqn, isid=4)
        n.close()
        self.ok("the deleted ACL's initiator can no longer log in",
                rn.status == 0x0202, rn.status)

    def check_portals(self, c):
        cfg = self.config()
        self.tpg_of(cfg, self.iqn)["portals"].append({"ip_address": ADDR,
                                                      "port": self.port2})
        r = self.apply(cfg)
        st = self.status()
        tpg = [g for t in st["targets"] if t["name"] == self.iqn for g in t["tpgs"]][0]
        self.ok("apply_config adds a portal: listening",
                r.get("ok") and {"ip_address": ADDR, "port": self.port2,
                                 "listening": True} in tpg["portals"], (r, tpg["portals"]))
        c2, r2 = self.login(INI_S, self.iqn, port=self.port2, isid=9)
        self.ok("a login on the new portal succeeds", r2.ok, r2.status)
        c2.clear_ua(0)
        cfg = self.config()
        tpg = self.tpg_of(cfg, self.iqn)
        tpg["portals"] = [p for p in tpg["portals"] if p["port"] != self.port2]
        r = self.apply(cfg)
        refused = False
        try:
            socket.create_connection((ADDR, self.port2), timeout=2).close()
        except ConnectionRefusedError:
            refused = True
        self.ok("apply_config removes the portal: connections refused",
                r.get("ok") and refused, r)
        t = self.tur(c2, 0)
        self.ok("a session established on the removed portal stays", t.status == 0,
                t.sense_key())
        c2.close()

    def check_tpg_delete(self, a):
        acl_iqn = self.iqn + "-acl"
        cfg = self.config()
        cfg["targets"] = [t for t in cfg["targets"] if t["wwn"] != acl_iqn]
        cfg["storage_objects"] = [s for s in cfg["storage_objects"]
                                  if s["name"] != "file0"]
        r = self.apply(cfg)
        self.ok("apply_config removes a target with a live session",
                r.get("ok") and ("target %s removed" % acl_iqn) in r.get("changes", []), r)
        self.ok("its session was logged out before the answer",
                a.closed(wait=0.5), "connection still open")
        st = self.status()
        self.ok("status no longer has the target",
                all(t["name"] != acl_iqn for t in st["targets"]), st["targets"])

    def check_refusals(self):
        before = self.call({"op": "get_config"})
        cfg = json.loads(json.dumps(before["config"]))
        self.tpg_of(cfg, self.iqn)["luns"].append(
            {"index": 7, "storage_object": "/backstores/ramdisk/nope"})
        r = self.apply(cfg)
        self.ok("a bad config is refused naming the JSON path",
                not r.get("ok") and r.get("error", "").startswith(
                    "targets[0].tpgs[0].luns[") and "storage_object" in r["error"], r)
        exported = 'storage object "ram0" is exported (%s/tpg1/lun0): ' % self.iqn
        for key, value, why in (("size", 32 * MiB, "without losing what it holds"),
                                ("attributes.block_size", 4096, "blocks of this size"),
                                ("wwn", "0f6ea8a2-3b8b-4a55-9c0e-3a3f2b1c0d9e",
                                 "multipath would take it for another disk")):
            cfg = json.loads(json.dumps(before["config"]))
            so = cfg["storage_objects"][0]
            if "." in key:
                so["attributes"][key.split(".")[1]] = value
            else:
                so[key] = value
            r = self.apply(cfg)
            err = r.get("error", "")
            self.ok("%s of an exported storage object is refused naming the attribute, "
                    "the LUN and why" % key,
                    not r.get("ok") and err.startswith("storage_objects[0].%s: cannot change "
                                                       "while %s" % (key, exported))
                    and why in err, r)
        r = self.apply(before["config"], generation=before["generation"] - 1)
        self.ok("a stale generation is refused as a conflict",
                not r.get("ok") and r.get("conflict") is True, r)
        after = self.call({"op": "get_config"})
        self.ok("nothing changed after the refusals", after == before,
                "configuration or generation moved")

    def check_skip_unsupported(self):
        cfg = self.config()
        n = len(cfg["storage_objects"])
        cfg["storage_objects"].append({"plugin": "pscsi", "name": "p0",
                                       "dev": "/dev/sg0"})
        tpg = self.tpg_of(cfg, self.iqn)
        tpg["luns"].append({"index": 5, "storage_object": "/backstores/pscsi/p0"})
        cfg["storage_objects"].append({"plugin": "ramdisk", "name": "ram5",
                                       "size": 4 * MiB})
        tpg["luns"].append({"index": 6, "storage_object": "/backstores/ramdisk/ram5"})
        r = self.apply(cfg)
        self.ok("an unsupported object is refused by default",
                not r.get("ok") and ("storage_objects[%d].plugin" % n) in r.get("error", ""), r)
        r = self.apply(cfg, skip_unsupported=True)
        paths = [x["path"] for x in r.get("refused", [])]
        self.ok("skip_unsupported applies the rest and lists what it skipped",
                r.get("ok") and paths[:1] == ["storage_objects[%d]" % n] and
                len(paths) == 2 and "storage object ram5 added" in r.get("changes", []),
                r)

    def check_unexported(self):
        """ram7 and ram8 (check_concurrent: one of them) have no LUN."""
        st = self.status()
        by = {x["name"]: x for x in st["storage"]}
        spare = [n for n in ("ram7", "ram8") if n in by]
        self.ok("status: an exported object is attached and says where",
                by["ram0"]["attached"] is True and by["ram0"]["lun_refs"] == 1 and
                by["ram0"]["luns"] == [{"target": self.iqn, "tpg": 1, "lun": 0}], by["ram0"])
        if not self.ok("status: an object no LUN maps is not attached", len(spare) == 1 and
                       by[spare[0]]["attached"] is False and by[spare[0]]["luns"] == [] and
                       by[spare[0]]["lun_refs"] == 0, [by.get(n) for n in spare]):
            return
        before = self.call({"op": "get_config"})
        cfg = json.loads(json.dumps(before["config"]))
        self.so_of(cfg, spare[0])["size"] = 8 * MiB
        r = self.apply(cfg)
        self.ok("a fixed setting of an object no LUN exports is refused with the way "
                "out", not r.get("ok") and 'storage object "%s" is open: ' % spare[0]
                in r.get("error", "") and "delete it and add it back" in r["error"], r)
        self.ok("and nothing changed", self.call({"op": "get_config"}) == before,
                "configuration or generation moved")

    def check_discovery_status(self):
        d = ic.Conn(ADDR, self.port)
        r = d.login(INI_D, discovery=True)
        if not self.ok("a discovery login", r.ok, r.status):
            d.close()
            return
        st = self.status()
        found = [x for x in st.get("discovery_sessions", []) if x["initiator"] == INI_D]
        addr = "%s:%d" % d.s.getsockname()[:2]
        self.ok("status lists the discovery session: initiator, address, one "
                "connection, type discovery", len(found) == 1 and
                found[0]["type"] == "discovery" and found[0]["address"] == addr and
                found[0]["connection_count"] == 1 and
                found[0]["connections"][0]["peer"] == addr, st.get("discovery_sessions"))
        normal = [x for t in st["targets"] for g in t["tpgs"] for x in g["sessions"]]
        self.ok("normal sessions say so, with their address and connection count",
                normal and all(x["type"] == "normal" and x["connection_count"] ==
                               len(x["connections"]) and x["address"] ==
                               x["connections"][0]["peer"] for x in normal), normal)
        d.logout()
        d.close()
        gone = False
        for _ in range(50):
            st = self.status()
            if not [x for x in st["discovery_sessions"] if x["initiator"] == INI_D]:
                gone = True
                break
            time.sleep(0.05)
        self.ok("the discovery session leaves status once it logged out", gone,
                st["discovery_sessions"])

    def check_concurrent(self):
        base = self.call({"op": "get_config"})
        procs = []
        for name in ("ram7", "ram8"):
            cfg = json.loads(json.dumps(base["config"]))
            cfg["storage_objects"].append({"plugin": "ramdisk", "name": name,
                                           "size": 4 * MiB})
            procs.append(self.call_async({"op": "apply_config", "config": cfg,
                                          "generation": base["generation"]}))
        res = [self.finish(p) for p in procs]
        oks = [r for r in res if r.get("ok")]
        conflicts = [r for r in res if not r.get("ok") and r.get("conflict")]
        self.ok("two changes from the same generation at once: one applies, the "
                "other is refused as a conflict",
                len(oks) == 1 and len(conflicts) == 1 and
                oks[0]["generation"] == base["generation"] + 1 and
                conflicts[0]["generation"] == base["generation"] + 1, res)

    def run(self):
        self.check_ping()
        self.check_round_trip()
        c = self.check_status_session()
        if c:
            self.check_discovery_status()
            self.check_add_lun(c)
            self.check_remove_lun_inflight(c)
            self.check_live_attributes(c)
        a, b = self.check_acl_chap()
        if a:
            self.check_write_back(a)
        if b:
            self.check_acl_delete(b)
        if c:
            self.check_portals(c)
        if a:
            self.check_tpg_delete(a)
        self.check_refusals()
        self.check_skip_unsupported()
        self.check_concurrent()
        self.check_unexported()
        if c:
            t = self.tur(c, 0)
            if t.status == 2:
                t = self.tur(c, 0)
            self.ok("the first session survived every change", t.status == 0,
                    t.sense_key())
            c.close()
        return 1 if self.failed else 0


def main(argv):
    if len(argv) == 6 and argv[1] == "config":
        write_config(argv[2], int(argv[3]), argv[4], argv[5])
        return 0
    if len(argv) == 10 and argv[1] == "run":
        ctlcall, sock, port, port2, iqn, work, pid, log = argv[2:]
        return Checks(ctlcall, sock, int(port), int(port2), iqn, work,
                      int(pid), log).run()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
