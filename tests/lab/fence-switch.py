#!/usr/bin/python3
"""The tandem lab's power switch: the host-side daemon fence_tandemlab talks to.

Runs on the host, inside the lab's network namespace (it listens only on the
lab bridge address), in the host's PID namespace so that it can act on the
lab's User-Mode Linux instances. Protocol (docs/fencing.md): one request
line per TCP connection, one reply line:

    status HOST  -> on | off
    off HOST     -> ok, once every process of HOST is gone (cgroup.kill of
                    the host's cgroup: a hard power-off, never a clean halt)
    on HOST      -> ok, once HOST has been started again (tests/lab/lab boot,
                    keeping its disks, like a power cycle)
    list         -> HOST:on HOST:off ...
    else         -> error TEXT

Usage: fence-switch.py --listen IP --port N --lab LABSCRIPT --cgroup DIR
                       --log FILE HOST...
"""
import argparse
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time

MAX_LINE = 256


def procs(cg, host):
    try:
        with open(os.path.join(cg, host, "cgroup.procs")) as f:
            return [p for p in f.read().split() if p]
    except OSError:
        return []


class Switch:
    def __init__(self, args):
        self.args = args
        self.hosts = args.hosts
        self.lock = threading.Lock()     # one power action at a time
        self.logf = open(args.log, "a", buffering=1)

    def log(self, msg):
        self.logf.write("%s %s\n" % (time.strftime("%H:%M:%S"), msg))

    def state(self, host):
        return "on" if procs(self.args.cgroup, host) else "off"

    def off(self, host):
        kill = os.path.join(self.args.cgroup, host, "cgroup.kill")
        end = time.monotonic() + 20
        while procs(self.args.cgroup, host):
            try:
                with open(kill, "w") as f:
                    f.write("1")
            except OSError:
                pass
            if time.monotonic() > end:
                return "error %s did not die" % host
            time.sleep(0.05)
        return "ok"

    def on(self, host):
        if self.state(host) == "on":
            return "ok"
        r = subprocess.run([self.args.lab, "boot", host], capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            return "error boot failed: %s" % (r.stderr or r.stdout).strip()[-200:]
        return "ok"

    def handle(self, line, peer):
        words = line.split()
        if not words:
            return "error empty request"
        op = words[0]
        if op == "list" and len(words) == 1:
            return " ".join("%s:%s" % (h, self.state(h)) for h in self.hosts)
        if op not in ("status", "off", "on") or len(words) != 2:
            return "error unknown request"
        host = words[1]
        if host not in self.hosts:
            return "error unknown host %s" % host
        if op == "status":
            return self.state(host)
        with self.lock:
            t = time.monotonic()
            reply = self.off(host) if op == "off" else self.on(host)
            self.log("%s %s %s from %s: %s (%.2fs)" % (op, host, "power", peer, reply,
                                                     time.monotonic() - t))
        return reply


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        data = self.rfile.readline(MAX_LINE + 1)
        if len(data) > MAX_LINE or not data.endswith(b"\n"):
            reply = "error request too long or not a line"
        else:
            try:
                reply = self.server.switch.handle(data.decode("ascii").strip(),
                                                  self.client_address[0])
            except (UnicodeDecodeError, subprocess.TimeoutExpired) as e:
                reply = "error %s" % e
        self.wfile.write((reply + "\n").encode("ascii", "replace"))


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--port", type=int, default=7777)
    ap.add_argument("--lab", required=True)
    ap.add_argument("--cgroup", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("hosts", nargs="+")
    args = ap.parse_args()
    srv = Server((args.listen, args.port), Handler)
    srv.switch = Switch(args)
    srv.switch.log("listening on %s:%d for %s" % (args.listen, args.port, " ".join(args.hosts)))
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    srv.serve_forever()
    srv.switch.log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
