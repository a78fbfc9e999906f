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
MiB = 1024 * 1024


RAMDISK_ONLY = os.environ.get("CTL_LIVE_RAMDISK") == "1"


def file_so(work, name, uuid):
    if RAMDISK_ONLY:
        return {"plugin": "ramdisk", "name": name, "size": 64 * MiB}
    with open(os.path.join(work, name), "wb") as f:
        f.truncate(64 * MiB)
    return {"plugin": "fileio", "name": name, "dev": os.path.join(work, name),
            "size": 64 * MiB, "write_back": False, "wwn": uuid(), "pr_store": "none"}


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
        cfg = json.loads(json.dumps(before["config"]))
        cfg["storage_objects"][0]["size"] = 32 * MiB
        r = self.apply(cfg)
        self.ok("a setting a live storage object cannot change is refused",
                not r.get("ok") and r.get("error", "").startswith(
                    "storage_objects[0].size:"), r)
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
            self.check_add_lun(c)
            self.check_remove_lun_inflight(c)
        a, b = self.check_acl_chap()
        if b:
            self.check_acl_delete(b)
        if c:
            self.check_portals(c)
        if a:
            self.check_tpg_delete(a)
        self.check_refusals()
        self.check_skip_unsupported()
        self.check_concurrent()
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
