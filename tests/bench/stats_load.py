#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Helpers of tests/bench/stats.sh (the stats page's benchmark).

  stats_load.py accepts PORT OUT
      a TCP listener on every address's PORT: accepts and closes; each
      accept is a line "MS ADDR" in OUT (CLOCK_MONOTONIC ms, the address
      connected to: the real server the daemon checked)
  stats_load.py now
      CLOCK_MONOTONIC ms, as the other commands read it
  stats_load.py latency URL USER:PASS N
      N GETs of URL one after the other, each on a new connection:
      JSON {n, errors, bytes, median_ms, p99_ms, max_ms}
  stats_load.py load URL USER:PASS RATE SECS PATH...
      GETs of URL + PATH (the paths in turn) started at RATE a second for
      SECS, each on a new connection, several at once if one is slow:
      JSON {sent, errors, kinds (of the errors), rate, median_ms, p99_ms}
  stats_load.py jitter OUT PERIOD_MS FROM:TO...
      the intervals between consecutive checks of each server, both in
      one window [FROM, TO) ms: JSON {n, servers, median_ms, p1_ms, p99_ms,
      spread_ms (p99 - p1), stdev_ms, late_ms (p99 of interval - PERIOD)}
"""
import base64
import collections
import concurrent.futures
import http.client
import json
import signal
import socket
import statistics
import sys
import time
import urllib.parse


def now_ms():
    return time.monotonic() * 1000


def pct(v, p):
    """The p-th percentile of sorted @v (nearest rank)."""
    if not v:
        return None
    k = max(0, min(len(v) - 1, int(round(p / 100 * len(v) + 0.5)) - 1))
    return v[k]


def accepts(port, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(4096)
    f = open(out, "a", buffering=1 << 16)
    signal.signal(signal.SIGTERM, lambda *a: (f.flush(), sys.exit(0)))
    last = now_ms()
    while True:
        c, _ = s.accept()
        t = now_ms()
        addr = c.getsockname()[0]
        c.close()
        f.write("%.3f %s\n" % (t, addr))
        if t - last > 500:  # the reader sees lines at most 0.5 s late
            f.flush()
            last = t


def get(url, auth):
    u = urllib.parse.urlsplit(url)
    t0 = now_ms()
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        c.request("GET", u.path, headers={"Authorization": auth,
                                        "Connection": "close"})
        r = c.getresponse()
        body = r.read()
        ok = r.status == 200 or "HTTP %d" % r.status
    except (OSError, http.client.HTTPException) as e:
        body, ok = b"", type(e).__name__
    finally:
        c.close()
    return now_ms() - t0, len(body), ok


def basic(cred):
    return "Basic " + base64.b64encode(cred.encode()).decode()


def summary(ms):
    ms = sorted(ms)
    return {"median_ms": round(statistics.median(ms), 2) if ms else None,
            "p99_ms": round(pct(ms, 99), 2) if ms else None,
            "max_ms": round(ms[-1], 2) if ms else None}


def latency(url, cred, n):
    auth, ms, size, errors = basic(cred), [], 0, 0
    for _ in range(n):
        t, size, ok = get(url, auth)
        if ok is True:
            ms.append(t)
        else:
            errors += 1
    return dict(n=n, errors=errors, bytes=size, **summary(ms))


def load(url, cred, rate, secs, paths):
    auth, futs = basic(cred), []
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as ex:
        t0 = time.monotonic()
        k = 0
        while k < rate * secs:
            due = t0 + k / rate
            d = due - time.monotonic()
            if d > 0:
                time.sleep(d)
            futs.append(ex.submit(get, url + paths[k % len(paths)], auth))
            k += 1
        res = [f.result() for f in futs]
        took = time.monotonic() - t0
    ms = [t for t, _, ok in res if ok is True]
    kinds = collections.Counter(ok for _, _, ok in res if ok is not True)
    return dict(sent=len(res), errors=sum(kinds.values()),
                kinds=", ".join("%d %s" % (n, k) for k, n in kinds.items()),
                rate=round(len(res) / took, 1), **summary(ms))


def jitter(out, period, windows):
    iv, seen = [], set()
    lines = [l.split() for l in open(out)]
    for w in windows:
        lo, hi = map(float, w.split(":"))
        last = {}
        for p in lines:
            if len(p) != 2 or not lo <= float(p[0]) < hi:
                continue
            t = float(p[0])
            if p[1] in last:
                iv.append(t - last[p[1]])
            last[p[1]] = t
        seen |= set(last)
    iv.sort()
    if len(iv) < 2:
        return {"n": len(iv)}
    late = sorted(x - period for x in iv)
    r = lambda x: round(x, 2)
    return {"n": len(iv), "servers": len(seen),
            "median_ms": r(statistics.median(iv)), "p1_ms": r(pct(iv, 1)),
            "p99_ms": r(pct(iv, 99)), "spread_ms": r(pct(iv, 99) - pct(iv, 1)),
            "stdev_ms": r(statistics.pstdev(iv)), "late_ms": r(pct(late, 99))}


def main(a):
    if a[1] == "accepts":
        accepts(int(a[2]), a[3])
        return
    if a[1] == "now":
        out = round(now_ms())
    elif a[1] == "latency":
        out = latency(a[2], a[3], int(a[4]))
    elif a[1] == "load":
        out = load(a[2], a[3], float(a[4]), float(a[5]), a[6:])
    elif a[1] == "jitter":
        out = jitter(a[2], float(a[3]), a[4:])
    else:
        sys.exit("stats_load.py: no command " + a[1])
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
