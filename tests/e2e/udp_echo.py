#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""UDP through the VIP, for tests/e2e/test_udp.sh.

  udp_echo.py serve NAME ADDR PORT   answer every datagram with NAME; bound to
                                     ADDR (the VIP, as a DR server must, so
                                     that replies leave from it)
  udp_echo.py ask ADDR PORT N        N datagrams, each from a new socket (a new
                                     flow); prints each answer, or FAIL. The
                                     socket is connected, so only an answer
                                     from ADDR:PORT counts.
"""
import socket
import sys


def serve(name, addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        _, peer = s.recvfrom(2048)
        s.sendto(name.encode(), peer)


def ask(addr, port, n):
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.connect((addr, port))
        try:
            s.send(b"who %d" % i)
            print(s.recv(2048).decode(), flush=True)
        except OSError:
            print("FAIL", flush=True)
        finally:
            s.close()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "ask":
        ask(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
