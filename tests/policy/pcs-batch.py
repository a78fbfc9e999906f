#!/usr/bin/python3 -Es
"""Run many pcs commands without paying pcs's start-up for each one.

pcs spends most of a `pcs -f FILE ...` call importing itself (about half a
second, several seconds on a loaded 2-core machine), and the policy tests
run about a hundred such calls. This helper imports pcs once and then runs
every command in a child forked from that process, so each command still
runs pcs's real command-line entry point in a fresh process state, with the
caller's arguments, working directory, environment, standard input, output
and error, and its exit status goes back to the caller.

  pcs-batch.py serve SOCKET        the server (imports pcs, then waits)
  pcs-batch.py call SOCKET ARGS... one pcs command through the server
A `pcs` wrapper that runs "call" is put first in PATH by tests/policy/run.sh,
so the generated cluster.pcs.sh runs unchanged. Set POLICY_REAL_PCS=1 for
run.sh to use /usr/sbin/pcs itself instead.
"""
import json
import os
import signal
import socket
import struct
import sys


def serve(path):
    from pcs.entry_points import cli     # the import we pay only once
    import pcs.app                       # noqa: F401  (and its command tree)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)    # children reap themselves
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(16)
    # stop with the caller: exit when our parent goes away
    parent = os.getppid()
    srv.settimeout(1.0)
    while True:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            if os.getppid() != parent:
                return 0
            continue
        conn.settimeout(None)
        msg, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
        if len(fds) != 3:
            conn.close()
            for fd in fds:
                os.close(fd)
            continue
        if os.fork() == 0:
            srv.close()
            req = json.loads(msg.decode())
            for i, fd in enumerate(fds):
                os.dup2(fd, i)
                os.close(fd)
            os.chdir(req["cwd"])
            os.environ.clear()
            os.environ.update(req["env"])
            sys.argv = ["pcs"] + req["argv"]
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 0
            try:
                code = cli.main()
            except SystemExit as e:
                code = e.code
            except BaseException as e:       # report, like an uncaught error
                sys.stderr.write("pcs-batch: %r\n" % (e,))
                code = 1
            if code is None:
                code = 0
            elif not isinstance(code, int):
                sys.stderr.write("%s\n" % code)
                code = 1
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                conn.sendall(struct.pack("!i", code))
                os._exit(0)
        for fd in fds:
            os.close(fd)
        conn.close()


def call(path, argv):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    req = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
    socket.send_fds(s, [json.dumps(req).encode()], [0, 1, 2])
    data = b""
    while len(data) < 4:
        chunk = s.recv(4 - len(data))
        if not chunk:
            sys.stderr.write("pcs-batch: the pcs process died\n")
            return 1
        data += chunk
    return struct.unpack("!i", data)[0]


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        sys.exit(serve(sys.argv[2]))
    if len(sys.argv) >= 3 and sys.argv[1] == "call":
        sys.exit(call(sys.argv[2], sys.argv[3:]))
    sys.exit(__doc__)
