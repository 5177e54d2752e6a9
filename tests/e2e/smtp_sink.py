#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Servers for test_daemon_mail.sh (apt's python3-aiosmtpd: /usr/bin/python3).

  smtp_sink.py sink ADDR PORT OUT     an SMTP server (aiosmtpd): each mail
                                      it accepts is a JSON line in OUT
  smtp_sink.py silent ADDR PORT OUT   accepts connections and never says a
                                      word; the CLOCK_MONOTONIC ms of each
                                      accept is a line in OUT
  smtp_sink.py accepts ADDR PORT OUT  accepts and closes; the CLOCK_MONOTONIC
                                      ms of each accept is a line in OUT
"""
import email
import email.policy
import json
import signal
import socket
import sys
import time


def now_ms():
    return int(time.monotonic() * 1000)


def sink(addr, port, out):
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            msg = email.message_from_bytes(envelope.content,
                                           policy=email.policy.default)
            rec = {
                "helo": session.host_name,
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "headers": {k: str(v) for k, v in msg.items()},
                "body": msg.get_content().strip(),
                "raw": envelope.content.decode("utf-8", "replace"),
            }
            with open(out, "a") as f:
                f.write(json.dumps(rec) + "\n")
            return "250 OK"

    ctl = Controller(Handler(), hostname=addr, port=port)
    ctl.start()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        signal.pause()
    finally:
        ctl.stop()


def listen(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    return s


def silent(addr, port, out):
    s = listen(addr, port)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)
        with open(out, "a") as f:
            f.write("%d\n" % now_ms())


def accepts(addr, port, out):
    s = listen(addr, port)
    while True:
        c, _ = s.accept()
        c.close()
        with open(out, "a") as f:
            f.write("%d\n" % now_ms())


def main():
    mode, addr, port, out = sys.argv[1:5]
    {"sink": sink, "silent": silent, "accepts": accepts}[mode](
        addr, int(port), out)


if __name__ == "__main__":
    main()
