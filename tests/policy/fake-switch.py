#!/usr/bin/python3
"""A stand-in for the lab power switch daemon, for testing fence_tandemlab:
speaks the protocol of docs/fencing.md on 127.0.0.1 only, with made-up
hosts whose power state is a dictionary. It answers at most MAX requests
and stops by itself after DEADLINE seconds.
usage: fake-switch.py PORTFILE LOGFILE HOST[=on|off]... """
import os
import socket
import sys
import time

MAX, DEADLINE = 200, 60


def main():
    portfile, logfile, hosts = sys.argv[1], sys.argv[2], sys.argv[3:]
    state = {}
    for h in hosts:
        name, _eq, st = h.partition("=")
        state[name] = st or "on"
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(1.0)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.replace(portfile + ".tmp", portfile)
    end = time.monotonic() + DEADLINE
    served = 0
    log = open(logfile, "a")
    while served < MAX and time.monotonic() < end:
        try:
            conn, _addr = srv.accept()
        except socket.timeout:
            continue
        served += 1
        with conn:
            conn.settimeout(5)
            data = b""
            try:
                while b"\n" not in data and len(data) < 512:
                    chunk = conn.recv(512)
                    if not chunk:
                        break
                    data += chunk
            except socket.timeout:
                continue
            words = data.decode("ascii", "replace").split()
            log.write(" ".join(words) + "\n")
            log.flush()
            if words == ["list"]:
                reply = " ".join("%s:%s" % kv for kv in sorted(state.items()))
            elif len(words) == 2 and words[0] in ("status", "on", "off"):
                op, host = words
                if host not in state:
                    reply = "error no such host %s" % host
                elif op == "status":
                    reply = state[host]
                else:
                    state[host] = op
                    reply = "ok"
            else:
                reply = "error bad request"
            conn.sendall((reply + "\n").encode("ascii"))


if __name__ == "__main__":
    main()
