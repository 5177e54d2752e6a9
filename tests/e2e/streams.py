#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Long-lived TCP streams and new connections through the VIP, for
tests/e2e/test_failover_load.sh.

  streams.py serve NAME PORT
        answer each line of each connection with "NAME LINE".
  streams.py client VIP PORT N HTTP_PORT DIR
        N streams to VIP:PORT, each sending a numbered line every 100 ms
        and reading its answer (15 s at most: TCP retransmits across a
        failover); DIR/stream-I gets "TIME NAME" per answer, or
        "TIME error WHY" and the stream ends, DIR/stream-I.port its port. Meanwhile a new connection
        to VIP:HTTP_PORT every 100 ms (1 s to connect and answer):
        DIR/new gets "TIME ok" or "TIME fail WHY". Ends when DIR/stop
        exists. TIME: CLOCK_MONOTONIC seconds.
"""
import os
import socket
import sys
import threading
import time


def serve(name, port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(64)

    def one(c):
        with c, c.makefile("rwb", buffering=0) as f:
            for line in f:
                f.write(name.encode() + b" " + line)

    while True:
        c, _ = srv.accept()
        threading.Thread(target=one, args=(c,), daemon=True).start()


def stopped(d):
    return os.path.exists(os.path.join(d, "stop"))


def stream(vip, port, i, d):
    with open(os.path.join(d, f"stream-{i}"), "w", buffering=1) as log:
        try:
            s = socket.create_connection((vip, port), timeout=5)
            with open(os.path.join(d, f"stream-{i}.port"), "w") as pf:
                pf.write(f"{s.getsockname()[1]}\n")
            s.settimeout(15)
            f = s.makefile("rwb", buffering=0)
            n = 0
            while not stopped(d):
                n += 1
                f.write(b"%d\n" % n)
                line = f.readline()
                if not line.endswith(b" %d\n" % n):
                    raise OSError(f"answer {line!r} to line {n}")
                log.write(f"{time.monotonic():.3f} {line.split()[0].decode()}\n")
                time.sleep(0.1)
            s.close()
        except OSError as e:
            log.write(f"{time.monotonic():.3f} error {e}\n")


def new_conns(vip, port, d):
    with open(os.path.join(d, "new"), "w", buffering=1) as log:
        while not stopped(d):
            t = time.monotonic()
            try:
                with socket.create_connection((vip, port), timeout=1) as s:
                    s.settimeout(1)
                    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    if not s.recv(64).startswith(b"HTTP/"):
                        raise OSError("no HTTP answer")
                log.write(f"{t:.3f} ok\n")
            except OSError as e:
                log.write(f"{t:.3f} fail {e}\n")
            time.sleep(max(0, 0.1 - (time.monotonic() - t)))


def client(vip, port, n, http_port, d):
    ts = [threading.Thread(target=stream, args=(vip, port, i, d))
          for i in range(n)]
    ts.append(threading.Thread(target=new_conns, args=(vip, http_port, d)))
    for t in ts:
        t.start()
    for t in ts:
        t.join()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 7 and sys.argv[1] == "client":
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
               int(sys.argv[5]), sys.argv[6])
    else:
        sys.exit(__doc__)
