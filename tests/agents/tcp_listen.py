#!/usr/bin/python3
"""Accepts TCP connections on ADDR PORT and holds them open, silent, until
killed: the server side of a portal's connections in the agents' tests.
usage: tcp_listen.py ADDR PORT READYFILE"""
import socket
import sys


def main():
    addr, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # The portal address may come and go while this listens.
    srv.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND
    srv.bind((addr, port))
    srv.listen(16)
    open(ready, "w").close()
    held = []
    while True:
        conn, _ = srv.accept()
        held.append(conn)


if __name__ == "__main__":
    main()
