"""A small raw-socket iSCSI initiator for protocol tests (RFC 7143).

It speaks just enough of the protocol to drive a target through the paths
the tests need, and it checks what it receives: header and data digests
(CRC32C, computed here), StatSN, the text format of login and text
responses. Nothing here hides a protocol error: a digest mismatch, a PDU of
the wrong kind or a closed connection raises, and the test that caused it
fails.

Only ever connects to the address it is given (the tier uses 127.0.0.1).
"""
import hashlib
import os
import socket
import struct
import time

# ---- CRC32C (Castagnoli, reflected polynomial 0x82F63B78) ----

def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    """CRC32C of data; pass a previous result as crc to continue it."""
    crc ^= 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283, "CRC32C check value"
# RFC 3720 B.4: 32 bytes of zeroes give the digest bytes aa 36 91 8a, i.e.
# the CRC goes on the wire least significant byte first.
assert struct.pack("<I", crc32c(bytes(32))) == bytes([0xAA, 0x36, 0x91, 0x8A])

# ---- constants ----

OP_NOP_OUT, OP_SCSI_CMD, OP_TMF_REQ, OP_LOGIN_REQ = 0x00, 0x01, 0x02, 0x03
OP_TEXT_REQ, OP_DATA_OUT, OP_LOGOUT_REQ = 0x04, 0x05, 0x06
OP_NOP_IN, OP_SCSI_RSP, OP_TMF_RSP, OP_LOGIN_RSP = 0x20, 0x21, 0x22, 0x23
OP_TEXT_RSP, OP_DATA_IN, OP_LOGOUT_RSP = 0x24, 0x25, 0x26
OP_R2T, OP_ASYNC, OP_REJECT = 0x31, 0x32, 0x3F
IMMEDIATE = 0x40
RSVD = 0xFFFFFFFF

OP_NAMES = {
    OP_NOP_IN: "NOP-In", OP_SCSI_RSP: "SCSI Response", OP_TMF_RSP: "TMF Response",
    OP_LOGIN_RSP: "Login Response", OP_TEXT_RSP: "Text Response",
    OP_DATA_IN: "Data-In", OP_LOGOUT_RSP: "Logout Response", OP_R2T: "R2T",
    OP_ASYNC: "Async Message", OP_REJECT: "Reject",
}

TMF_ABORT_TASK, TMF_LUN_RESET, TMF_TARGET_WARM_RESET = 1, 5, 6


class ProtocolError(Exception):
    """The target sent something the protocol does not allow here."""


class DigestError(ProtocolError):
    pass


class Closed(Exception):
    """The target closed the connection."""


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def text_encode(pairs):
    """[("Key", "value"), ...] or ["Key=value", ...] -> NUL-terminated text."""
    out = b""
    for p in pairs:
        if isinstance(p, tuple):
            p = "%s=%s" % p
        out += p.encode() + b"\0"
    return out


def text_decode(data):
    """Login/Text data -> list of (key, value); raises on malformed text."""
    if data and not data.endswith(b"\0"):
        raise ProtocolError("text data does not end in NUL: %r" % data[-16:])
    pairs = []
    for item in data.split(b"\0")[:-1]:
        if b"=" not in item:
            raise ProtocolError("text item without '=': %r" % item[:64])
        k, v = item.split(b"=", 1)
        try:
            pairs.append((k.decode(), v.decode()))
        except UnicodeDecodeError:
            raise ProtocolError("text item is not UTF-8: %r" % item[:64])
    return pairs


class PDU:
    """A received PDU: the 48-byte header and the data segment."""

    def __init__(self, hdr, data):
        self.hdr = hdr
        self.data = data
        self.op = hdr[0] & 0x3F
        self.flags = hdr[1]
        self.itt = struct.unpack(">I", hdr[16:20])[0]
        self.ttt = struct.unpack(">I", hdr[20:24])[0]
        self.statsn = struct.unpack(">I", hdr[24:28])[0]
        self.exp_cmdsn = struct.unpack(">I", hdr[28:32])[0]
        self.max_cmdsn = struct.unpack(">I", hdr[32:36])[0]
        self.dsl = int.from_bytes(hdr[5:8], "big")

    def u32(self, off):
        return struct.unpack(">I", self.hdr[off:off + 4])[0]

    @property
    def name(self):
        return OP_NAMES.get(self.op, "opcode 0x%02x" % self.op)

    def __repr__(self):
        return "<%s flags=%02x itt=%08x ttt=%08x statsn=%d dsl=%d>" % (
            self.name, self.flags, self.itt, self.ttt, self.statsn, self.dsl)


class SessionSeq:
    """CmdSN state, shared by the connections of one session (MC/S)."""

    def __init__(self, cmdsn=1):
        self.cmdsn = cmdsn
        self.exp_cmdsn = cmdsn
        self.max_cmdsn = cmdsn


class ScsiResult:
    def __init__(self, status, data=b"", sense=b"", rsp=None):
        self.status = status
        self.data = data
        self.sense = sense
        self.rsp = rsp

    def sense_key(self):
        """(key, asc, ascq) from fixed or descriptor sense, or None."""
        s = self.sense
        if not s:
            return None
        code = s[0] & 0x7F
        if code in (0x70, 0x71) and len(s) >= 14:
            return s[2] & 0x0F, s[12], s[13]
        if code in (0x72, 0x73) and len(s) >= 4:
            return s[1] & 0x0F, s[2], s[3]
        return None


class LoginResult:
    def __init__(self):
        self.status = None          # (class << 8) | detail of the last response
        self.keys = {}              # every key the target sent, last wins
        self.responses = []         # (PDU, [(key, value)]) in order
        self.tsih = 0
        self.chap = {}              # what the CHAP exchange saw

    @property
    def ok(self):
        return self.status == 0


def chap_hash(alg, ident, secret, challenge):
    name = {5: "md5", 6: "sha1", 7: "sha256", 8: "sha3_256"}[alg]
    h = hashlib.new(name)
    h.update(bytes([ident]) + secret.encode() + challenge)
    return h.digest()


def parse_binary(v):
    """RFC 7143 6.1 binary value: 0x... hex or 0b... base64."""
    import base64
    if v[:2] in ("0x", "0X"):
        return bytes.fromhex(v[2:])
    if v[:2] in ("0b", "0B"):
        return base64.b64decode(v[2:])
    raise ProtocolError("not a binary value: %r" % v)


class Conn:
    """One TCP connection to the target, and the iSCSI state on it."""

    def __init__(self, host, port, timeout=10.0, seq=None):
        self.host, self.port = host, port
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.hd = False             # header digest in force
        self.dd = False             # data digest in force
        self.seq = seq or SessionSeq()
        self.exp_statsn = 0
        self._itt = 0x1000
        self.isid = bytes([0x80, 0x00, 0x00, 0x00, 0x00, 0x01])
        self.tsih = 0
        self.cid = 0
        self.max_send = 8192        # the target's MaxRecvDataSegmentLength
        self.chunk = 16384          # Data-Out PDUs carry at most this much
        self.params = {}            # negotiated operational keys
        self.auto_ping = True       # answer NOP-In pings inside recv()
        self.pings = []             # (time, PDU) of pings seen
        self.asyncs = []
        self.rbuf = b""
        self._login_itt = self.next_itt()

    # ---- raw I/O ----

    def next_itt(self):
        self._itt += 1
        return self._itt

    def send_raw(self, b):
        self.s.sendall(b)

    def build(self, hdr, data=b"", bad_hdr_digest=False, bad_data_digest=False):
        hdr = bytearray(hdr)
        hdr[5:8] = len(data).to_bytes(3, "big")
        out = bytes(hdr)
        if self.hd:
            d = crc32c(hdr) ^ (0x5A5A5A5A if bad_hdr_digest else 0)
            out += struct.pack("<I", d)
        if data:
            p = pad4(data)
            out += p
            if self.dd:
                d = crc32c(p) ^ (0x00010000 if bad_data_digest else 0)
                out += struct.pack("<I", d)
        return out

    def send_pdu(self, hdr, data=b"", **kw):
        self.send_raw(self.build(hdr, data, **kw))

    def _recv_exact(self, n, timeout):
        deadline = time.monotonic() + timeout
        while len(self.rbuf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no PDU from the target within %.1fs" % timeout)
            self.s.settimeout(left)
            try:
                chunk = self.s.recv(max(65536, n - len(self.rbuf)))
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                raise Closed("connection closed by the target")
            self.rbuf += chunk
        out, self.rbuf = self.rbuf[:n], self.rbuf[n:]
        return out

    def recv_pdu(self, timeout=None):
        """The next PDU, digests verified; pings are not handled here."""
        t = self.timeout if timeout is None else timeout
        hdr = self._recv_exact(48, t)
        ahs = self._recv_exact(hdr[4] * 4, t) if hdr[4] else b""
        if self.hd:
            got = struct.unpack("<I", self._recv_exact(4, t))[0]
            want = crc32c(hdr + ahs)
            if got != want:
                raise DigestError("header digest 0x%08x, computed 0x%08x" % (got, want))
        dsl = int.from_bytes(hdr[5:8], "big")
        data = b""
        if dsl:
            padded = self._recv_exact(dsl + (-dsl % 4), t)
            data = padded[:dsl]
            if self.dd:
                got = struct.unpack("<I", self._recv_exact(4, t))[0]
                want = crc32c(padded)
                if got != want:
                    raise DigestError("data digest 0x%08x, computed 0x%08x" % (got, want))
        p = PDU(hdr, data)
        self._track(p)
        return p

    def _track(self, p):
        # PDUs that carry status advance StatSN (RFC 7143 4.2.2.2).
        status = p.op in (OP_SCSI_RSP, OP_TMF_RSP, OP_TEXT_RSP, OP_LOGOUT_RSP,
                          OP_REJECT, OP_LOGIN_RSP, OP_ASYNC) or \
            (p.op == OP_DATA_IN and p.flags & 0x01) or \
            (p.op == OP_NOP_IN and p.itt != RSVD)
        if status:
            self.exp_statsn = (p.statsn + 1) & 0xFFFFFFFF
        if p.op != OP_LOGIN_RSP and p.op in OP_NAMES:
            self.seq.exp_cmdsn = p.exp_cmdsn
            self.seq.max_cmdsn = p.max_cmdsn

    def recv(self, timeout=None):
        """The next PDU that is not a NOP-In ping (answered) or Async."""
        while True:
            p = self.recv_pdu(timeout)
            if p.op == OP_NOP_IN and p.itt == RSVD and self.auto_ping:
                self.pings.append((time.monotonic(), p))
                self.answer_ping(p)
                continue
            if p.op == OP_ASYNC:
                self.asyncs.append(p)
                continue
            return p

    def quiet(self, wait):
        """True when nothing but pings arrives within wait seconds."""
        try:
            p = self.recv(timeout=wait)
        except socket.timeout:
            return True, None
        return False, p

    def closed(self, wait=5.0):
        """True when the target closes the connection within wait seconds
        (whatever it sends before that is discarded)."""
        deadline = time.monotonic() + wait
        self.s.settimeout(wait)
        try:
            while time.monotonic() < deadline:
                self.s.settimeout(max(0.01, deadline - time.monotonic()))
                if not self.s.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        return False

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    # ---- header helpers ----

    def bhs(self, op, flags, itt, lun=0):
        h = bytearray(48)
        h[0] = op
        h[1] = flags
        h[8:16] = lun_field(lun)
        h[16:20] = struct.pack(">I", itt)
        return h

    # ---- login ----

    def login_pdu(self, pairs, csg, nsg, transit=True, cont=False, itt=None,
                  version_min=0):
        """Sends one Login Request and returns (PDU, pairs) of the answer."""
        data = text_encode(pairs)
        h = bytearray(48)
        h[0] = OP_LOGIN_REQ | IMMEDIATE
        h[1] = (0x80 if transit else 0) | (0x40 if cont else 0) | (csg << 2) | (nsg if transit else 0)
        h[3] = version_min
        h[8:14] = self.isid
        h[14:16] = struct.pack(">H", self.tsih)
        h[16:20] = struct.pack(">I", self._login_itt if itt is None else itt)
        h[20:22] = struct.pack(">H", self.cid)
        h[24:28] = struct.pack(">I", self.seq.cmdsn)
        h[28:32] = struct.pack(">I", self.exp_statsn)
        # Login PDUs never carry digests, whatever is being negotiated.
        hd, dd, self.hd, self.dd = self.hd, self.dd, False, False
        try:
            self.send_pdu(h, data)
            p = self.recv_pdu()
        finally:
            self.hd, self.dd = hd, dd
        if p.op != OP_LOGIN_RSP:
            raise ProtocolError("expected a Login Response, got %r" % p)
        return p, text_decode(p.data)

    def login(self, initiator, target=None, discovery=False, op_keys=(),
              chap=None, isid=None, tsih=0, cid=0, security=True):
        """A whole login. chap: dict(user, secret, alg=5, mutual=None or
        (user, secret), reflect=False). Returns a LoginResult; raises only
        on a protocol violation, not on a refused login."""
        if isid is not None:
            self.isid = isid
        self.tsih = tsih
        self.cid = cid
        self._login_itt = self.next_itt()
        r = LoginResult()

        def step(pairs, csg, nsg, transit=True):
            p, kv = self.login_pdu(pairs, csg, nsg, transit)
            r.responses.append((p, kv))
            r.status = p.hdr[36] << 8 | p.hdr[37]
            for k, v in kv:
                r.keys[k] = v
            if r.status == 0:
                self.exp_statsn = (p.statsn + 1) & 0xFFFFFFFF
            return p, dict(kv)

        ident = [("InitiatorName", initiator)]
        if discovery:
            ident.append(("SessionType", "Discovery"))
        else:
            ident += [("TargetName", target), ("SessionType", "Normal")]
        if security:
            auth = "CHAP" if chap else "None"
            p, kv = step(ident + [("AuthMethod", auth)], 0, 1)
            if r.status:
                return r
            if chap:
                if kv.get("AuthMethod") != "CHAP":
                    raise ProtocolError("AuthMethod answered %r" % kv.get("AuthMethod"))
                if p.flags & 0x80:
                    raise ProtocolError("target left the security stage before CHAP")
                if not self._chap(r, step, chap):
                    return r
            elif not p.flags & 0x80 or p.flags & 3 != 1:
                raise ProtocolError("security stage did not move on: flags %02x" % p.flags)
            first = list(op_keys)
        else:
            first = ident + list(op_keys)
        p, kv = step(first, 1, 3)
        for _ in range(4):
            if r.status or (p.flags & 0x80 and p.flags & 3 == 3):
                break
            p, kv = step([], 1, 3)
        if r.status:
            return r
        if not (p.flags & 0x80 and p.flags & 3 == 3):
            raise ProtocolError("login never reached full feature phase")
        self.tsih = r.tsih = struct.unpack(">H", p.hdr[14:16])[0]
        self.seq.exp_cmdsn = p.exp_cmdsn
        self.seq.max_cmdsn = p.max_cmdsn
        self.params.update(r.keys)
        # Digests start with the first PDU after the final Login Response.
        self.hd = r.keys.get("HeaderDigest") == "CRC32C"
        self.dd = r.keys.get("DataDigest") == "CRC32C"
        if "MaxRecvDataSegmentLength" in r.keys:
            self.max_send = int(r.keys["MaxRecvDataSegmentLength"])
        return r

    def _chap(self, r, step, chap):
        alg = chap.get("alg", 5)
        p, kv = step([("CHAP_A", str(alg))], 0, 1, transit=False)
        if r.status:
            return False
        if kv.get("CHAP_A") != str(alg):
            raise ProtocolError("CHAP_A answered %r" % kv.get("CHAP_A"))
        ident = int(kv["CHAP_I"])
        challenge = parse_binary(kv["CHAP_C"])
        r.chap["target_challenge"] = challenge
        resp = chap_hash(alg, ident, chap["secret"], challenge)
        pairs = [("CHAP_N", chap["user"]), ("CHAP_R", "0x" + resp.hex())]
        mutual = chap.get("mutual")
        if mutual:
            my_id = 0x42
            my_chal = challenge if chap.get("reflect") else os.urandom(16)
            pairs += [("CHAP_I", str(my_id)), ("CHAP_C", "0x" + my_chal.hex())]
        p, kv = step(pairs, 0, 1)
        if r.status:
            return False
        if mutual:
            want = chap_hash(alg, my_id, mutual[1], my_chal)
            r.chap["target_name"] = kv.get("CHAP_N")
            r.chap["target_response_ok"] = (
                kv.get("CHAP_N") == mutual[0] and "CHAP_R" in kv and
                parse_binary(kv["CHAP_R"]) == want)
        if not (p.flags & 0x80 and p.flags & 3 == 1):
            raise ProtocolError("CHAP done but the target did not move to "
                                "the operational stage: flags %02x" % p.flags)
        return True

    # ---- full feature phase ----

    def nop(self, data=b"", immediate=True, timeout=None, **kw):
        """NOP-Out ping; returns the NOP-In (or whatever came instead)."""
        itt = self.next_itt()
        h = self.bhs(OP_NOP_OUT | (IMMEDIATE if immediate else 0), 0x80, itt)
        h[20:24] = struct.pack(">I", RSVD)
        h[24:28] = struct.pack(">I", self.seq.cmdsn)
        h[28:32] = struct.pack(">I", self.exp_statsn)
        if not immediate:
            self.seq.cmdsn += 1
        self.send_pdu(h, data, **kw)
        return self.recv(timeout)

    def answer_ping(self, p):
        h = self.bhs(OP_NOP_OUT | IMMEDIATE, 0x80, RSVD)
        h[8:16] = p.hdr[8:16]
        h[20:24] = p.hdr[20:24]
        h[24:28] = struct.pack(">I", self.seq.cmdsn)
        h[28:32] = struct.pack(">I", self.exp_statsn)
        self.send_pdu(h)

    def scsi_send(self, cdb, lun=0, read_len=0, write=None, immediate_data=True,
                  unsolicited=True, cmdsn=None, immediate=False, attr=1,
                  edtl=None, itt=None):
        """Sends a SCSI Command (with immediate data and unsolicited Data-Out
        as the session allows and the caller wants). Returns a task dict
        for scsi_wait()."""
        itt = self.next_itt() if itt is None else itt
        write = write or b""
        edtl = (read_len or len(write)) if edtl is None else edtl
        ini_r2t = self.params.get("InitialR2T", "Yes") == "Yes"
        imm_ok = self.params.get("ImmediateData", "Yes") == "Yes"
        fb = int(self.params.get("FirstBurstLength", "65536"))
        imm = b""
        if write and imm_ok and immediate_data:
            imm = write[:min(fb, self.max_send, self.chunk)]
        unsol_end = 0
        if write and not ini_r2t and unsolicited:
            unsol_end = min(fb, len(write))
        unsol_end = max(unsol_end, len(imm))
        more_unsol = unsol_end > len(imm)
        flags = (0x00 if more_unsol else 0x80) | (0x40 if read_len else 0) | \
            (0x20 if write else 0) | attr
        h = self.bhs(OP_SCSI_CMD | (IMMEDIATE if immediate else 0), flags, itt, lun)
        sn = self.seq.cmdsn if cmdsn is None else cmdsn
        h[20:24] = struct.pack(">I", edtl)
        h[24:28] = struct.pack(">I", sn)
        h[28:32] = struct.pack(">I", self.exp_statsn)
        h[32:32 + len(cdb)] = cdb
        if cmdsn is None and not immediate:
            self.seq.cmdsn += 1
        self.send_pdu(h, imm)
        task = {"itt": itt, "write": write, "lun": lun, "cmdsn": sn, "r2ts": []}
        if more_unsol:
            self.data_out(task, RSVD, len(imm), unsol_end - len(imm))
        return task

    def data_out(self, task, ttt, off, length, bad_data_digest=False):
        """Data-Out PDUs for [off, off+length) of the task's data."""
        sn = 0
        end = off + length
        while off < end:
            n = min(self.max_send, self.chunk, end - off)
            h = self.bhs(OP_DATA_OUT, 0x80 if off + n == end else 0, task["itt"], task["lun"])
            h[20:24] = struct.pack(">I", ttt)
            h[28:32] = struct.pack(">I", self.exp_statsn)
            h[36:40] = struct.pack(">I", sn)
            h[40:44] = struct.pack(">I", off)
            self.send_pdu(h, task["write"][off:off + n], bad_data_digest=bad_data_digest)
            off += n
            sn += 1

    def scsi_wait(self, task, timeout=None, answer_r2t=True):
        """Collects Data-In, answers R2Ts, returns a ScsiResult."""
        data = b""
        while True:
            p = self.recv(timeout)
            if p.itt != task["itt"]:
                raise ProtocolError("%r for another task while waiting for ITT %08x"
                                    % (p, task["itt"]))
            if p.op == OP_DATA_IN:
                off = p.u32(40)
                if off != len(data):
                    raise ProtocolError("Data-In at offset %d, expected %d" % (off, len(data)))
                data += p.data
                if p.flags & 0x01:
                    return ScsiResult(p.hdr[3], data, b"", p)
            elif p.op == OP_R2T:
                task["r2ts"].append(p)
                if not answer_r2t:
                    return None
                self.data_out(task, p.ttt, p.u32(40), p.u32(44))
            elif p.op == OP_SCSI_RSP:
                sense = b""
                if p.data:
                    n = struct.unpack(">H", p.data[:2])[0]
                    sense = p.data[2:2 + n]
                return ScsiResult(p.hdr[3], data, sense, p)
            else:
                raise ProtocolError("unexpected %r during a SCSI command" % p)

    def scsi(self, cdb, timeout=None, **kw):
        return self.scsi_wait(self.scsi_send(cdb, **kw), timeout)

    def clear_ua(self, lun=0):
        """TEST UNIT READY until GOOD: a new nexus first sees POWER ON."""
        for _ in range(4):
            r = self.scsi(bytes(6), lun=lun)
            if r.status == 0:
                return r
        raise ProtocolError("TEST UNIT READY never returned GOOD (last sense %r)"
                            % (r.sense_key(),))

    def tmf(self, function, lun=0, rtt=RSVD, refcmdsn=0):
        itt = self.next_itt()
        h = self.bhs(OP_TMF_REQ | IMMEDIATE, 0x80 | function, itt, lun)
        h[20:24] = struct.pack(">I", rtt)
        h[24:28] = struct.pack(">I", self.seq.cmdsn)
        h[28:32] = struct.pack(">I", self.exp_statsn)
        h[32:36] = struct.pack(">I", refcmdsn)
        self.send_pdu(h)
        return itt

    def text(self, pairs, ttt=RSVD, itt=None, final=True):
        """One Text Request (non-immediate: it takes a CmdSN)."""
        itt = self.next_itt() if itt is None else itt
        h = self.bhs(OP_TEXT_REQ, 0x80 if final else 0x40, itt)
        h[20:24] = struct.pack(">I", ttt)
        h[24:28] = struct.pack(">I", self.seq.cmdsn)
        h[28:32] = struct.pack(">I", self.exp_statsn)
        self.seq.cmdsn += 1
        self.send_pdu(h, text_encode(pairs))
        return itt

    def logout(self, reason=0, cid=None):
        itt = self.next_itt()
        h = self.bhs(OP_LOGOUT_REQ | IMMEDIATE, 0x80 | reason, itt)
        h[20:22] = struct.pack(">H", self.cid if cid is None else cid)
        h[24:28] = struct.pack(">I", self.seq.cmdsn)
        h[28:32] = struct.pack(">I", self.exp_statsn)
        self.send_pdu(h)
        return self.recv()


def lun_field(lun):
    if lun < 256:
        return bytes([0, lun]) + bytes(6)
    return bytes([0x40 | (lun >> 8), lun & 0xFF]) + bytes(6)


# ---- CDBs ----

def cdb_inquiry(alloc=96):
    return bytes([0x12, 0, 0, alloc >> 8, alloc & 0xFF, 0])


def cdb_read10(lba, blocks):
    return struct.pack(">BBIBHB", 0x28, 0, lba, 0, blocks, 0)


def cdb_write10(lba, blocks):
    return struct.pack(">BBIBHB", 0x2A, 0, lba, 0, blocks, 0)
