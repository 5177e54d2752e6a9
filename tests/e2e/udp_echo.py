#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""UDP through the VIP, for tests/e2e/test_udp.sh and test_daemon_checks.sh.

  udp_echo.py serve NAME ADDR[,ADDR...] PORT
                        answer every datagram with NAME, from the address
                        it was sent to: bound to the VIP, as a DR server
                        must, so that replies leave from it (and to the
                        server's own address, for health checks). A DNS
                        query (QR clear, one question) gets a DNS answer
                        instead: the query's id and question, no records,
                        rcode 3 (NXDOMAIN) if its name begins with the
                        label "nxdomain", else 0.
  udp_echo.py ask ADDR PORT N [PORT0]
                        N datagrams, each from a new socket (a new flow,
                        from port PORT0 + i with PORT0); prints each
                        answer, or FAIL. The socket is connected, so only
                        an answer from ADDR:PORT counts.
"""
import select
import socket
import sys


def dns_answer(q):
    """The answer to DNS query q, or None if q is not one."""
    if len(q) < 17 or q[2] & 0x80 or q[4:6] != b"\0\1":
        return None
    end = q.find(b"\0", 12)
    if end < 0 or end + 5 > len(q):
        return None
    nx = q[12] == 8 and q[13:21].lower() == b"nxdomain"
    flags = bytes([0x80 | (q[2] & 0x01), 0x80 | (3 if nx else 0)])
    return q[:2] + flags + b"\0\1\0\0\0\0\0\0" + q[12:end + 5]


def serve(name, addrs, port):
    socks = []
    for addr in addrs.split(","):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, port))
        socks.append(s)
    while True:
        ready, _, _ = select.select(socks, [], [])
        for s in ready:
            data, peer = s.recvfrom(2048)
            s.sendto(dns_answer(data) or name.encode(), peer)


def ask(addr, port, n, port0):
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        if port0:
            s.bind(("", port0 + i))
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
        ask(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
            int(sys.argv[5]) if len(sys.argv) > 5 else 0)
    else:
        sys.exit(__doc__)
