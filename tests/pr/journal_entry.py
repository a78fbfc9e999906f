#!/usr/bin/env python3
"""Reads and writes tandem's WRITE ATOMIC journal in a fileio LU's backing
file with an internal metadata area (the last MiB, rounded down to 4 KiB),
from its documented layout (docs/persistent-reservations.md) and not from
tandemd's code, so that the crash test checks the format as well.

  journal_entry.py show FILE
      prints "empty", "not a journal", "torn" or
      "STATE seq N lba L blocks B" (STATE pending or done)
  journal_entry.py craft FILE SEQ LBA BLOCKS SEED [done|other-lu|torn-data|torn-header]
      writes what a crash between the journal write and the done write
      leaves: the data (a pattern from SEED) and a pending header naming
      LBA and BLOCKS, with the LU's NAA read from the PR store's header;
      the last word spoils it in one way
  journal_entry.py pattern BLOCKS SEED
      writes the data that craft uses to stdout
Blocks are 512 bytes. tandemd must not be running on FILE.
"""
import os
import struct
import sys

BLOCK = 512
MIB = 1 << 20
HDR_OFF = 4096
DATA_OFF = 768 * 1024
HDR_LEN = 512
MAGIC = b"TDATOMJL"
PENDING, DONE = 1, 2


def crc32c(data, crc=0):
    table = crc32c.table
    if not table:
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


crc32c.table = []


def area(path):
    return (os.path.getsize(path) - MIB) & ~4095


def pattern(blocks, seed):
    return bytes((seed + i * 7 + (i >> 9)) & 0xFF for i in range(blocks * BLOCK))


def header(state, seq, lba, blocks, data_crc, naa):
    h = MAGIC + struct.pack(">IIIIQQI", 1, state, BLOCK, blocks, seq, lba, data_crc)
    h += b"\0" * 4 + naa
    h += b"\0" * (HDR_LEN - 4 - len(h))
    return h + struct.pack(">I", crc32c(h))


def show(path):
    with open(path, "rb") as f:
        f.seek(area(path) + HDR_OFF)
        h = f.read(HDR_LEN)
    if h == b"\0" * HDR_LEN:
        return "empty"
    if h[:8] != MAGIC:
        return "not a journal"
    if struct.unpack(">I", h[-4:])[0] != crc32c(h[:-4]):
        return "torn"
    _, state, _, blocks, seq, lba, _ = struct.unpack(">IIIIQQI", h[8:44])
    name = {PENDING: "pending", DONE: "done"}.get(state, "state %d" % state)
    return "%s seq %d lba %d blocks %d" % (name, seq, lba, blocks)


def craft(path, seq, lba, blocks, seed, spoil):
    a = area(path)
    data = pattern(blocks, seed)
    with open(path, "r+b") as f:
        f.seek(a + 24)
        naa = f.read(16)
        if spoil == "other-lu":
            naa = naa[:15] + bytes([naa[15] ^ 0xFF])
        h = header(DONE if spoil == "done" else PENDING, seq, lba, blocks,
                   crc32c(data), naa)
        if spoil == "torn-header":
            h = h[:100] + b"\x5a" + h[101:]
        if spoil == "torn-data":
            data = data[:BLOCK] + bytes(BLOCK) + data[2 * BLOCK:]
        f.seek(a + DATA_OFF)
        f.write(data)
        f.seek(a + HDR_OFF)
        f.write(h)
        f.flush()
        os.fsync(f.fileno())


def main(argv):
    if len(argv) >= 3 and argv[1] == "show":
        print(show(argv[2]))
    elif len(argv) in (7, 8) and argv[1] == "craft":
        craft(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), int(argv[6]),
              argv[7] if len(argv) == 8 else "")
    elif len(argv) == 4 and argv[1] == "pattern":
        sys.stdout.buffer.write(pattern(int(argv[2]), int(argv[3])))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
