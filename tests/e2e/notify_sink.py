#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""notify_sink.py SOCKET OUT: systemd's side of sd_notify for a test. Binds
a datagram socket at SOCKET (the daemon's $NOTIFY_SOCKET) and writes one
line to OUT for each assignment of each datagram: "PID NAME=VALUE", PID
from the sender's credentials (SO_PASSCRED), as systemd checks it for
NotifyAccess=main. Runs until killed."""
import os
import socket
import struct
import sys


def main():
    path, out = sys.argv[1:3]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.bind(path)
    creds_len = struct.calcsize("3i")
    with open(out, "a", encoding="utf-8") as f:
        while True:
            msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(creds_len))
            pid = 0
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", data[:creds_len])[0]
            for line in msg.decode("utf-8", "replace").split("\n"):
                if line:
                    f.write(f"{pid} {line}\n")
            f.flush()
            os.fsync(f.fileno())


if __name__ == "__main__":
    sys.exit(main())
