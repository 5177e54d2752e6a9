#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""slowget.py HOST PORT PATH OUT RATE [SPORT [HOLD]]: one HTTP/1.0 GET on one
TCP connection, read at RATE bytes/s with a small receive buffer, so the
connection keeps sending ACKs through the load balancer until its last byte
(curl 7.88's --limit-rate is not steady enough for that). The body goes to
OUT, flushed as it comes. Exit 0 only on status 200 with the whole
Content-Length.

SPORT: the connection's source port (0: the kernel's choice), so that a
test knows its flows. HOLD: a file; once the body's first line is in OUT,
stop reading (the connection stays open, its window closed) until HOLD
exists, for at most 300 s, then read the rest."""
import os
import socket
import sys
import time


def main():
    host, port, path, out, rate = sys.argv[1:6]
    port, rate = int(port), int(rate)
    sport = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    hold = sys.argv[7] if len(sys.argv) > 7 else None
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    if sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", sport))
    s.settimeout(10)
    s.connect((host, port))
    s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = s.recv(4096)
        if not data:
            sys.exit("slowget: connection closed in the headers")
        buf += data
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    if lines[0].split()[1] != "200":
        sys.exit("slowget: %s" % lines[0])
    length = None
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v)
    got = len(body)
    start = time.monotonic()
    with open(out, "wb") as f:
        f.write(body)
        f.flush()
        while hold and b"\n" not in body:
            data = s.recv(4096)
            if not data:
                break
            body += data
            f.write(data)
            f.flush()
            got += len(data)
        if hold:
            end = time.monotonic() + 300
            while not os.path.exists(hold):
                if time.monotonic() > end:
                    sys.exit("slowget: %s never came" % hold)
                time.sleep(0.1)
            s.settimeout(30)
            start = time.monotonic() - got / rate
        while True:
            data = s.recv(4096)
            if not data:
                break
            f.write(data)
            f.flush()
            got += len(data)
            delay = start + got / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    if length is None or got != length:
        sys.exit("slowget: got %d bytes of %s" % (got, length))


if __name__ == "__main__":
    try:
        main()
    except OSError as e:
        sys.exit("slowget: %s" % e)
