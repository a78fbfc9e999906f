#!/usr/bin/env python3
"""Hostile input against a running tandemd: each case must get the
protocol's own answer (a Reject PDU, a login failure status, CHECK
CONDITION, a dropped command) and the daemon must keep serving other
sessions. Prints one "PASS name" or "FAIL name: why" line per case.

usage: hostile.py HOST PORT TARGET_IQN LUN
Only ever connects to the address it is given (the tier passes 127.0.0.1).
"""
import socket
import struct
import sys
import time

HOST, PORT, TARGET, LUN = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
INITIATOR = "iqn.2026-11.org.tandem:hostile"
results = []


def record(name, ok, why=""):
    results.append(ok)
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why), flush=True)


def pad4(b):
    return b + b"\0" * ((4 - len(b) % 4) % 4)


def bhs(op, flags, dsl=0, lun=0, itt=0, rest=b""):
    h = bytearray(48)
    h[0] = op
    h[1] = flags
    h[5:8] = dsl.to_bytes(3, "big")
    h[8:16] = lun.to_bytes(8, "big")
    h[16:20] = struct.pack(">I", itt)
    h[20:20 + len(rest)] = rest
    return bytes(h)


class Conn:
    def __init__(self, timeout=5.0):
        self.s = socket.create_connection((HOST, PORT), timeout=timeout)
        self.cmdsn = 1
        self.itt = 1

    def send(self, data):
        self.s.sendall(data)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed by target")
            buf += chunk
        return buf

    def recv_pdu(self):
        h = self.recv_exact(48)
        ahs = h[4] * 4
        dsl = int.from_bytes(h[5:8], "big")
        self.recv_exact(ahs)
        data = self.recv_exact(dsl + (4 - dsl % 4) % 4)[:dsl] if dsl else b""
        return h, data

    def closed(self, wait=5.0):
        """True when the target closes the connection within wait seconds."""
        self.s.settimeout(wait)
        try:
            while True:
                if not self.s.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def login(self, keys, csg=1, nsg=3, transit=True, version_min=0):
        text = pad4(b"".join(k.encode() + b"\0" for k in keys))
        flags = (0x80 if transit else 0) | (csg << 2) | nsg
        h = bytearray(bhs(0x43, flags, len(text.rstrip(b"\0")) + 1 if text else 0, itt=self.itt))
        dsl = len(b"".join(k.encode() + b"\0" for k in keys))
        h[5:8] = dsl.to_bytes(3, "big")
        h[3] = version_min
        h[8:14] = bytes([0x40, 0, 0, 0x12, 0x34, 0x56])
        h[24:28] = struct.pack(">I", self.cmdsn)
        self.send(bytes(h) + text)
        return self.recv_pdu()

    def normal_login(self):
        h, data = self.login(["InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                              "SessionType=Normal", "AuthMethod=None",
                              "ImmediateData=Yes", "InitialR2T=No",
                              "MaxRecvDataSegmentLength=65536"])
        if h[0] & 0x3F != 0x23 or h[36] != 0:
            raise RuntimeError("login refused: status %02x%02x" % (h[36], h[37]))
        self.exp_statsn = struct.unpack(">I", h[24:28])[0] + 1
        # A new nexus first sees POWER ON OCCURRED, as a real initiator does.
        for _ in range(4):
            if self.scsi(bytes(6))[0] == 0:
                break
        return data

    def scsi(self, cdb, read_len=0, write=b"", cmdsn=None):
        self.itt += 1
        flags = 0x80 | (0x40 if read_len else 0) | (0x20 if write else 0) | 0x01
        edtl = read_len or len(write)
        rest = struct.pack(">III", edtl, self.cmdsn if cmdsn is None else cmdsn,
                           self.exp_statsn)
        h = bytearray(bhs(0x01, flags, len(write), lun=LUN << 48, itt=self.itt, rest=rest))
        h[32:32 + len(cdb)] = cdb
        self.send(bytes(h) + pad4(write))
        if cmdsn is None:
            self.cmdsn += 1
        data = b""
        while True:
            rh, rd = self.recv_pdu()
            op = rh[0] & 0x3F
            if op == 0x25:          # Data-In
                data += rd
                if rh[1] & 0x01:
                    return rh[3], data, b""
            elif op == 0x21:        # SCSI Response
                return rh[3], data, rd[2:] if rd else b""
            elif op == 0x20:        # NOP-In ping: answer it
                self.nop_reply(rh)
            else:
                raise RuntimeError("unexpected opcode 0x%02x" % op)

    def nop_reply(self, rh):
        h = bytearray(bhs(0x40, 0x80, itt=0xFFFFFFFF))
        h[20:24] = rh[20:24]
        h[24:28] = struct.pack(">I", self.cmdsn)
        self.send(bytes(h))

    def nop(self):
        self.itt += 1
        h = bytearray(bhs(0x40, 0x80, itt=self.itt, rest=struct.pack(">III", 0xFFFFFFFF, self.cmdsn, self.exp_statsn)))
        self.send(bytes(h))
        rh, _ = self.recv_pdu()
        return rh[0] & 0x3F

    def close(self):
        self.s.close()


def case(name):
    def wrap(fn):
        try:
            ok, why = fn()
        except Exception as e:  # noqa: BLE001 - a failure is a failure
            ok, why = False, "%s: %s" % (type(e).__name__, e)
        record(name, ok, why)
        return fn
    return wrap


def serving():
    c = Conn()
    try:
        c.normal_login()
        status, data, _ = c.scsi(bytes([0x12, 0, 0, 0, 36, 0]), read_len=36)
        return status == 0 and len(data) == 36
    finally:
        c.close()


@case("undefined opcode gets a Reject and the session goes on")
def _():
    c = Conn()
    c.normal_login()
    c.send(bhs(0x1F, 0x80, itt=77))
    rh, rd = c.recv_pdu()
    if rh[0] & 0x3F != 0x3F:
        return False, "expected Reject, got opcode 0x%02x" % (rh[0] & 0x3F)
    if rd[:1] != b"\x1f":
        return False, "Reject does not carry the offending header"
    ok = c.nop() == 0x20
    c.close()
    return ok, "no NOP-In after the Reject"


@case("login with garbage keys fails with an initiator error")
def _():
    c = Conn()
    h, _ = c.login(["InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                    "\x01\xffbad key=1", "no equals sign"])
    ok = h[0] & 0x3F == 0x23 and h[36] == 0x02
    closed = c.closed()
    c.close()
    return ok and closed, "status %02x%02x, closed=%s" % (h[36], h[37], closed)


@case("unknown login key is answered NotUnderstood and the login succeeds")
def _():
    c = Conn()
    h, data = c.login(["InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                       "SessionType=Normal", "AuthMethod=None", "FooBarKey=baz"])
    c.close()
    return h[36] == 0 and b"FooBarKey=NotUnderstood" in data, "status %02x, %r" % (h[36], data)


@case("login to an unknown target fails with target not found")
def _():
    c = Conn()
    h, _ = c.login(["InitiatorName=" + INITIATOR, "TargetName=iqn.2026-11.org.nowhere:x",
                    "SessionType=Normal"])
    c.close()
    return (h[36], h[37]) == (0x02, 0x03), "status %02x%02x" % (h[36], h[37])


@case("login asking for an unsupported version fails with 0x0205")
def _():
    c = Conn()
    h, _ = c.login(["InitiatorName=" + INITIATOR, "TargetName=" + TARGET], version_min=2)
    c.close()
    return (h[36], h[37]) == (0x02, 0x05), "status %02x%02x" % (h[36], h[37])


@case("READ(16) past the end gets LOGICAL BLOCK ADDRESS OUT OF RANGE")
def _():
    c = Conn()
    c.normal_login()
    cdb = bytes([0x88, 0]) + (1 << 62).to_bytes(8, "big") + (8).to_bytes(4, "big") + b"\0\0"
    status, _, sense = c.scsi(cdb, read_len=4096)
    c.close()
    key, asc = (sense[2] & 0xF, sense[12]) if sense and sense[0] & 0x7F in (0x70, 0x71) else \
        ((sense[1] & 0xF, sense[2]) if sense else (None, None))
    return status == 2 and key == 5 and asc == 0x21, "status %d key %s asc %s" % (status, key, asc)


@case("16 MiB data segment is refused and the connection closed")
def _():
    c = Conn()
    c.normal_login()
    h = bytearray(bhs(0x40, 0x80, dsl=0xFFFFFF, itt=5, rest=struct.pack(">III", 0xFFFFFFFF, c.cmdsn, c.exp_statsn)))
    c.send(bytes(h))
    try:
        c.send(b"\0" * 65536)
    except OSError:
        pass
    rh, _ = c.recv_pdu()
    ok = rh[0] & 0x3F == 0x3F and c.closed()
    c.close()
    return ok and serving(), "no Reject and close, or the daemon stopped serving"


@case("a connection stalled mid-PDU does not stop other sessions")
def _():
    stalled = Conn()
    stalled.normal_login()
    stalled.send(bhs(0x01, 0x80)[:20])      # half a header, then nothing
    ok = serving() and serving()
    stalled.close()
    return ok, "another session was not served"


@case("a command outside the CmdSN window is dropped, the next in order runs")
def _():
    c = Conn()
    c.normal_login()
    c.itt += 1
    rest = struct.pack(">III", 0, c.cmdsn + 100000, c.exp_statsn)
    h = bytearray(bhs(0x01, 0x80, lun=LUN << 48, itt=c.itt, rest=rest))
    h[32] = 0x00                              # TEST UNIT READY
    c.send(bytes(h))
    status, _, _ = c.scsi(bytes([0x00] * 6))  # in order: must be answered
    c.close()
    return status in (0, 2), "status %s" % status


@case("SNACK at ErrorRecoveryLevel 0 gets a Reject")
def _():
    c = Conn()
    c.normal_login()
    c.send(bhs(0x10, 0x80, itt=0xFFFFFFFF))
    rh, _ = c.recv_pdu()
    ok = rh[0] & 0x3F == 0x3F and c.nop() == 0x20
    c.close()
    return ok, "no Reject, or the session did not go on"


@case("the daemon still serves after all of the above")
def _():
    return serving(), "no answer to a fresh login and INQUIRY"

sys.exit(0 if all(results) else 1)
