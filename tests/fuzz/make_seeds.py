#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_conn: valid full-feature-phase PDUs after
the harness's canned login (first byte 1 = normal session, 2 = discovery),
so that mutation starts from traffic that reaches every handler."""
import os
import struct
import sys


def pad(b):
    return b + b"\0" * ((4 - len(b) % 4) % 4)


def pdu(op, flags, itt, lun=0, rest=b"", cdb=b"", data=b""):
    h = bytearray(48)
    h[0], h[1] = op, flags
    h[5:8] = len(data).to_bytes(3, "big")
    h[8:16] = lun.to_bytes(8, "big")
    h[16:20] = struct.pack(">I", itt)
    h[20:20 + len(rest)] = rest
    h[32:32 + len(cdb)] = cdb
    return bytes(h) + pad(data)


def scsi(itt, cmdsn, cdb, flags=0x80, edtl=0, data=b""):
    return pdu(0x01, flags, itt, rest=struct.pack(">III", edtl, cmdsn, 1), cdb=cdb, data=data)


seeds = {
    "inquiry": b"\x01" + scsi(2, 1, b"\x12\0\0\0\x24\0", 0xC1, 36),
    "tur_read10": b"\x01" + scsi(2, 1, bytes(6)) + scsi(3, 2, b"\x28\0\0\0\0\0\0\0\x08\0", 0xC1, 4096),
    "write_immediate": b"\x01" + scsi(2, 1, b"\x2a\0\0\0\0\x10\0\0\x01\0", 0xA1, 512, b"\xa5" * 512),
    "write_r2t": b"\x01" + scsi(2, 1, b"\x2a\0\0\0\0\x10\0\0\x10\0", 0xA1, 8192, b"\x11" * 1024)
                 + pdu(0x05, 0x80, 2, rest=struct.pack(">IIIIII", 0xFFFFFFFF, 0, 1, 0, 0, 1024), data=b"\x22" * 1024),
    "nop": b"\x01" + pdu(0x40, 0x80, 9, rest=struct.pack(">III", 0xFFFFFFFF, 1, 1), data=b"ping"),
    "tmf_abort": b"\x01" + pdu(0x42, 0x81, 7, rest=struct.pack(">IIII", 2, 1, 1, 1)),
    "logout": b"\x01" + pdu(0x46, 0x80, 8, rest=struct.pack(">III", 0, 1, 1)),
    "sendtargets": b"\x02" + pdu(0x44, 0x80, 3, rest=struct.pack(">III", 0xFFFFFFFF, 1, 1),
                                 data=b"SendTargets=All\0"),
    "report_luns": b"\x01" + scsi(2, 1, b"\xa0\0\0\0\0\0\0\0\x01\0\0\0", 0xC1, 256),
    "raw_login_chap": b"\x00" + pdu(0x43, 0x01, 1, rest=struct.pack(">II", 0, 1),
                                    data=b"InitiatorName=iqn.2026-11.org.tandem:i\0"
                                         b"TargetName=iqn.2026-11.org.tandem:fuzz\0"
                                         b"AuthMethod=CHAP\0"),
}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
