#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: generic
# lbxdp daemon -l: every line goes to syslog and none to stderr: the
# configuration's FILE:LINE errors, the library's "Error:" lines and the
# daemon's own. The daemon runs in a private mount namespace whose /dev/log
# is a socket of the test (no syslog daemon is needed, none is touched).
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # functions run through e2e_wait
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init daemon_syslog

if ! command -v unshare >/dev/null; then
	not_ok "$E2E_NAME: unshare missing (run scripts/deps.sh)"
	exit 1
fi

e2e_daemon_lab s "$E2E_MODE"
W1=$(lab_ip web1)
CONF=$E2E_TMP/lbxdp.conf
LOG=$E2E_TMP/syslog
SOCK=$E2E_TMP/log.sock

# The test's /dev/log: each datagram a line of $LOG.
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
' "$SOCK" "$LOG" &
E2E_PIDS="${E2E_PIDS:-} $!"
disown "$!"
e2e_wait 10 test -S "$SOCK"

# logged_daemon ERRFILE ARGS...: lbxdp ARGS in the lab's lb namespace, in a
# mount namespace whose /dev/log is $SOCK; stderr into ERRFILE.
logged_daemon() {
	local err=$1
	shift
	unshare -m --propagation private sh -c '
		mount -t tmpfs lbxdp-dev /dev && mknod -m 666 /dev/null c 1 3 &&
		touch /dev/log && mount --bind "$1" /dev/log || exit 99
		shift
		exec ip netns exec "$@"' sh "$SOCK" "${LAB_PREFIX}lb" \
		"$LBXDP" --pin-dir "$LAB_PIN_DIR" "$@" 2>"$err" </dev/null
}

# A line of $LOG with syslog priority PRI (daemon facility) matching RE.
logged() {
	grep -qE "^<$1>.*$2" "$LOG"
}
ERR=27  # LOG_DAEMON | LOG_ERR
INFO=30 # LOG_DAEMON | LOG_INFO

# A file with an error: exit 1, its FILE:LINE error in syslog, as LOG_ERR.
printf 'virtual_server %s 80 {\n  bogus_keyword 1\n}\n' "$LAB_VIP" >"$CONF"
rc=0
logged_daemon "$E2E_TMP/bad.err" daemon -l -f "$CONF" || rc=$?
check "daemon -l, a bad file: exit 1 (got $rc)" [ "$rc" = 1 ]
check "daemon -l, a bad file: nothing on stderr" [ ! -s "$E2E_TMP/bad.err" ]
check "daemon -l, a bad file: its FILE:LINE error is in syslog, as an error" \
	logged "$ERR" "lbxdp\[[0-9]+\]: $CONF:2: error: .*bogus_keyword"

cat >"$CONF" <<EOF
virtual_server $LAB_VIP 80 {
    delay_loop 1
    lb_kind DR
    protocol TCP
    real_server $W1 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
lbxdp_xdp {
    mode $E2E_MODE
}
EOF

# A pin directory that others may write: the library refuses it, with an
# "Error:" line that must reach syslog too.
OPEN=$(dirname "$LAB_PIN_DIR")/open
mkdir -m 0777 "$OPEN"
chmod 0777 "$OPEN"
rc=0
LAB_PIN_DIR=$OPEN/lb logged_daemon "$E2E_TMP/lib.err" daemon -l -f "$CONF" ||
	rc=$?
check "daemon -l, a pin directory others may write: exit 2 (got $rc)" \
	[ "$rc" = 2 ]
check "daemon -l, the library's error: nothing on stderr" \
	[ ! -s "$E2E_TMP/lib.err" ]
check "daemon -l, the library's Error: line is in syslog, as an error" \
	logged "$ERR" "lbxdp\[[0-9]+\]: Error: .*$OPEN"

# A file that defines a service the CLI made: refused at start, the
# FILE:LINE error naming vip del in syslog.
lab_lbxdp attach eth0 --mode "$E2E_MODE" 2>/dev/null
lab_lbxdp vip add "$LAB_SVC"
rc=0
logged_daemon "$E2E_TMP/cli.err" daemon -l -f "$CONF" || rc=$?
check "daemon -l, a service the CLI made: exit 1 (got $rc), nothing on stderr" \
	eval '[ "$rc" = 1 ] && [ ! -s "$E2E_TMP/cli.err" ]'
check "daemon -l, a service the CLI made: the error naming vip del is in syslog" \
	logged "$ERR" "lbxdp\[[0-9]+\]: $CONF:1: error: .*lbxdp vip del"
lab_lbxdp vip del "$LAB_SVC"

# A good file: the daemon runs, its lines go to syslog, none to stderr.
logged_daemon "$E2E_TMP/run.err" daemon -l -f "$CONF" &
E2E_PIDS="${E2E_PIDS:-} $!"
disown "$!"
e2e_wait 20 e2e_daemon_ready
check "daemon -l runs and says ready" e2e_daemon_ready
e2e_wait 10 logged "$INFO" "lbxdp\[[0-9]+\]: ready: "
check "daemon -l: its ready line is in syslog" \
	logged "$INFO" "lbxdp\[[0-9]+\]: ready: "
check "daemon -l: stop" eval 'lab_lbxdp daemon stop >/dev/null'
check "daemon -l: nothing on stderr while it ran" [ ! -s "$E2E_TMP/run.err" ]
e2e_done
