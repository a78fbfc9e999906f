#!/usr/bin/python3
"""An initiator stand-in: connects to ADDR PORT, writes its local port to
OUT.port, then waits without sending anything; when the connection is
reset or closed it writes the wall-clock time and what happened to OUT.
usage: tcp_client.py ADDR PORT OUT"""
import os
import socket
import sys
import time


def main():
    addr, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    s = socket.create_connection((addr, port), timeout=10)
    s.settimeout(None)
    with open(out + ".port.tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(out + ".port.tmp", out + ".port")
    try:
        data = s.recv(1)
        what = "closed" if not data else "data"
    except ConnectionResetError:
        what = "reset"
    except OSError as e:
        what = "error %s" % e.errno
    with open(out + ".tmp", "w") as f:
        f.write("%.6f %s\n" % (time.time(), what))
    os.rename(out + ".tmp", out)


if __name__ == "__main__":
    main()
