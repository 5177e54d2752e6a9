#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Many long-lived TCP connections through the VIP, for tests/e2e/test_conns.sh.

  conns.py serve NAME PORT...
        answer each line "N" of each connection with "NAME N"; "ready"
        on stdout once every port listens.
  conns.py client DIR VIP SRC PERIOD TIMEOUT SPEC...
        SPEC is PORT:COUNT:SPORT0:WAVE: COUNT connections to VIP:PORT from
        SRC, ports SPORT0.. (their own range: no kernel-chosen port, no
        collision with another run's); wave 0 opens at start, wave W once
        DIR/wave-W exists. Each connection sends "1", "2"... one a PERIOD
        (spread over the period), waits TIMEOUT s at most for each answer,
        learns its server from the first and ends at the first answer from
        another server, out of order, or a reset, end or timeout. While
        connections open, the others wait after their first answer (rounds
        slow the opening down ten times). DIR/mark-K
        (K = 1, 2...) marks a change made: DIR/progress says how many live
        connections have not yet had 2 answers to lines sent after the
        latest mark ("behind"). When DIR/stop exists every connection ends
        its round and closes; DIR/result gets a line a connection,
        "PORT WAVE SPORT SERVER ROUNDS STATUS MARK DETAIL", STATUS ok or
        what ended it, MARK the latest mark then; then the client exits.
"""
import asyncio
import os
import socket
import sys
import time

AFTER_MARK = 2  # answers to lines sent after a mark that make it seen


async def serve(name, ports):
    tag = name.encode() + b" "

    async def one(reader, writer):
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                writer.write(tag + line)
        except OSError:
            pass
        writer.close()

    servers = [await asyncio.start_server(one, "0.0.0.0", p, backlog=4096,
                                          reuse_address=True)
               for p in ports]
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


class Conn:
    __slots__ = ("port", "wave", "sport", "server", "rounds", "status",
                 "mark", "detail", "seen_mark", "seen")

    def __init__(self, port, wave, sport):
        self.port, self.wave, self.sport = port, wave, sport
        self.server = "-"
        self.rounds = 0
        self.status = None  # None: connecting; "live"; or why it ended
        self.mark = 0
        self.detail = ""
        self.seen_mark = 0  # the mark its answers count for, and how many
        self.seen = 0


class Client:
    def __init__(self, d, vip, src, period, timeout, specs):
        self.d, self.vip, self.src = d, vip, src
        self.period, self.timeout = period, timeout
        self.specs = specs
        self.conns = []
        self.mark = 0
        self.mark_t = 0.0
        self.stop = False
        self.opening = 0
        # At most this many connects at once: the servers' backlogs.
        self.sem = asyncio.Semaphore(256)
        self.opened = asyncio.Event()

    def path(self, name):
        return os.path.join(self.d, name)

    def end(self, c, status, detail=""):
        c.status, c.detail, c.mark = status, detail, self.mark

    async def run(self, c, t0):
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            async with self.sem:
                # Bound and connected by hand: asyncio's open_connection
                # resolves both addresses in its thread pool, at about a
                # hundred connections a second.
                sock.setblocking(False)
                sock.bind((self.src, c.sport))
                async with asyncio.timeout(self.timeout):
                    await loop.sock_connect(sock, (self.vip, c.port))
                reader, writer = await asyncio.open_connection(sock=sock)
        except (OSError, asyncio.TimeoutError) as e:
            sock.close()
            self.end(c, "connect", repr(e))
            return
        finally:
            self.opening -= 1
        writer.get_extra_info("socket").setsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.status = "live"
        nxt = t0
        first = True
        try:
            while not self.stop:
                now = loop.time()
                if nxt > now:
                    await asyncio.sleep(nxt - now)
                    if self.stop:
                        break
                nxt = max(nxt + self.period, loop.time())
                n = c.rounds + 1
                sent = time.monotonic()
                mark = self.mark
                writer.write(b"%d\n" % n)
                try:
                    # asyncio.timeout: no task a round, as wait_for makes.
                    async with asyncio.timeout(self.timeout):
                        line = await reader.readline()
                except asyncio.TimeoutError:
                    self.end(c, "timeout", f"no answer to {n} in {self.timeout} s")
                    break
                if not line:
                    self.end(c, "eof", f"closed before answering {n}")
                    break
                f = line.split()
                name = f[0].decode(errors="replace") if f else "?"
                if c.server == "-":
                    c.server = name
                if len(f) != 2 or name != c.server:
                    self.end(c, "moved", f"answer {line!r} to {n}")
                    break
                if f[1] != b"%d" % n:
                    self.end(c, "order", f"answer {line!r} to {n}")
                    break
                c.rounds = n
                if first or not self.opened.is_set():
                    # Rounds while connections open slow the opening
                    # down: the first answer only, until all are open.
                    first = False
                    await self.opened.wait()
                    nxt = max(nxt, loop.time())
                if sent > self.mark_t and mark == self.mark:
                    if c.seen_mark != mark:
                        c.seen_mark, c.seen = mark, 0
                    c.seen += 1
        except ConnectionResetError as e:
            self.end(c, "reset", repr(e))
        except OSError as e:
            self.end(c, "error", repr(e))
        if c.status == "live":
            self.end(c, "ok")
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), self.timeout)
        except (OSError, asyncio.TimeoutError):
            pass

    def open_wave(self, wave, tasks):
        loop = asyncio.get_running_loop()
        now = loop.time()
        for port, count, sport0, w in self.specs:
            if w != wave:
                continue
            for i in range(count):
                c = Conn(port, wave, sport0 + i)
                self.conns.append(c)
                self.opening += 1
                # Spread over the period: rounds that are not bursts.
                t0 = now + self.period * (len(self.conns) % 997) / 997
                tasks.append(asyncio.create_task(self.run(c, t0)))

    def progress(self):
        live = behind = failed = 0
        for c in self.conns:
            if c.status == "live":
                live += 1
                if c.seen_mark != self.mark or c.seen < AFTER_MARK:
                    behind += 1
            elif c.status is not None:
                failed += 1
        tmp = self.path("progress.tmp")
        with open(tmp, "w") as f:
            f.write(f"mark {self.mark}\nconns {len(self.conns)}\n"
                    f"opening {self.opening}\nlive {live}\n"
                    f"behind {behind}\nended {failed}\n")
        os.replace(tmp, self.path("progress"))

    async def main(self):
        tasks = []
        waves = sorted({s[3] for s in self.specs})
        self.open_wave(waves.pop(0), tasks)
        while not self.stop:
            if waves and os.path.exists(self.path(f"wave-{waves[0]}")):
                self.open_wave(waves.pop(0), tasks)
            if os.path.exists(self.path(f"mark-{self.mark + 1}")):
                self.mark += 1
                self.mark_t = time.monotonic()
            self.stop = os.path.exists(self.path("stop"))
            if self.opening == 0 or self.stop:
                self.opened.set()
            else:
                self.opened.clear()
            self.progress()
            await asyncio.sleep(0.1)
        await asyncio.gather(*tasks)
        self.progress()
        tmp = self.path("result.tmp")
        with open(tmp, "w") as f:
            for c in self.conns:
                f.write(f"{c.port} {c.wave} {c.sport} {c.server} {c.rounds} "
                        f"{c.status} {c.mark} {c.detail}\n")
        os.replace(tmp, self.path("result"))


def client(d, vip, src, period, timeout, specs):
    specs = [tuple(int(x) for x in s.split(":")) for s in specs]
    asyncio.run(Client(d, vip, src, float(period), float(timeout),
                       specs).main())


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "serve":
        asyncio.run(serve(sys.argv[2], [int(p) for p in sys.argv[3:]]))
    elif len(sys.argv) >= 8 and sys.argv[1] == "client":
        client(*sys.argv[2:7], sys.argv[7:])
    else:
        sys.exit(__doc__)
