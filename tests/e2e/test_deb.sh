#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The Debian package (make deb): it builds, lintian finds no error, dpkg
# installs the binary, man page, unit and examples (and nothing in /etc);
# the unit passes systemd-analyze verify and its exposure score is at most
# EXPOSURE_MAX (systemd is not PID 1 here: the unit is checked offline).
# The installed daemon, under the unit's capability bounding set and no new
# privileges, on the installed example (the lab's addresses put in), tells
# NOTIFY_SOCKET READY=1, RELOADING=1 and READY=1 around a reload,
# STOPPING=1, and STATUS= lines, all from its own pid; it attaches, is
# VRRP master and forwards, and adopts the pinned program on a restart.
# prerm leaves the program attached on an upgrade and detaches it on
# remove; purge removes the pinned maps and every file of the package.
# The maintainer scripts work on the lab's pin directory (LBXDP_PIN_DIR),
# never on /sys/fs/bpf/lbxdp. A package left by a killed run is purged
# first; the EXIT trap purges what this run installed.
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # predicates run through e2e_wait
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init deb

# The unit's exposure (systemd-analyze security, 0 = locked down, 10 =
# none): 3.1 with the hardening of scripts/lbxdp.service.in (see README).
EXPOSURE_MAX=3.1
UNIT=/lib/systemd/system/lbxdp.service
EXAMPLE=/usr/share/doc/lbxdp/examples/lbxdp.conf

for tool in dpkg-buildpackage dh lintian systemd-analyze setpriv; do
	if ! command -v "$tool" >/dev/null; then
		echo "not ok - deb: $tool missing (run scripts/deps.sh)"
		exit 1
	fi
done

installed() {
	[ -n "$(dpkg-query -W -f='${db:Status-Abbrev}' lbxdp 2>/dev/null)" ]
}

# dpkg_do ARGS...: dpkg, waiting (bounded) for a lock another dpkg or apt
# on this machine holds; output in E2E_TMP/dpkg.log.
dpkg_do() {
	local i
	for i in $(seq 60); do
		if dpkg "$@" >"$E2E_TMP/dpkg.log" 2>&1; then
			return 0
		fi
		grep -q 'lock' "$E2E_TMP/dpkg.log" || break
		sleep 1
	done
	diag "dpkg $*: $(cat "$E2E_TMP/dpkg.log")"
	return 1
}

# The maintainer scripts act on LBXDP_PIN_DIR: a directory of no one
# until the lab's exists.
export LBXDP_PIN_DIR=$E2E_TMP/no-pin-dir
deb_cleanup() {
	if installed; then
		dpkg --purge lbxdp >/dev/null 2>&1 || true
	fi
}
trap 'rc=$?; deb_cleanup; (exit $rc); e2e_cleanup' EXIT

if installed; then
	diag "lbxdp installed (a killed run?): purged first"
	dpkg_do --purge lbxdp
fi

# --- build and lintian ---
DEB_DIR=$LAB_OUTPUT/deb
check "make deb builds the package" \
	eval 'make -s -C "$LAB_ROOT" deb OUTPUT="$LAB_OUTPUT" >"$E2E_TMP/make.log" 2>&1'
DEB=$(find "$DEB_DIR" -maxdepth 1 -name 'lbxdp_*.deb' | head -1)
if [ -z "$DEB" ]; then
	diag "$(tail -30 "$E2E_TMP/make.log")"
	exit 1
fi
VERSION=$(dpkg-deb -f "$DEB" Version)
lintian --allow-root --display-info "$DEB_DIR"/lbxdp_*.changes >"$E2E_TMP/lintian.log" 2>&1 || true
diag "lintian: $(grep -c '^E:' "$E2E_TMP/lintian.log") errors, $(grep -c '^W:' "$E2E_TMP/lintian.log") warnings, $(grep -c '^I:' "$E2E_TMP/lintian.log") info"
if grep -q '^[EWI]:' "$E2E_TMP/lintian.log"; then
	diag "$(grep '^[EWI]:' "$E2E_TMP/lintian.log")"
fi
check "lintian reports no error" eval '! grep -q "^E:" "$E2E_TMP/lintian.log"'

# --- install ---
check "dpkg -i installs it" dpkg_do -i "$DEB"
dpkg -L lbxdp >"$E2E_TMP/files"
check "binary in /usr/sbin, says the package's version ($VERSION)" \
	eval '/usr/sbin/lbxdp --version | grep -qF "lbxdp $VERSION "'
check "man page, unit and example installed" \
	eval 'man -w 8 lbxdp | grep -q /usr/share/man/man8/lbxdp.8 &&
		[ -f "$UNIT" ] && [ -f "$EXAMPLE" ] &&
		[ -f /usr/share/doc/lbxdp/examples/lbxdp-backup.conf ]'
check "nothing in /etc: no configuration until the operator writes it" \
	eval '! grep -q "^/etc" "$E2E_TMP/files" && [ ! -e /etc/lbxdp ]'
check "the unit starts only once /etc/lbxdp/lbxdp.conf exists" \
	grep -qx 'ConditionPathExists=/etc/lbxdp/lbxdp.conf' "$UNIT"
# The unit's ExecStartPre, run twice in a mount namespace of its own with
# /sys/fs/bpf unmounted: a bpffs after the first, the same one after the
# second (a directory made in between is still there, not hidden).
pre=$(sed -n 's/^ExecStartPre=+//p' "$UNIT")
check "the unit's ExecStartPre mounts bpffs if missing, never over one" \
	unshare -m --propagation private env PRE="$pre" sh -c '
		while mountpoint -q /sys/fs/bpf; do umount -l /sys/fs/bpf; done
		[ "$(stat -f -c %T /sys/fs/bpf)" != bpf_fs ] || exit 1
		eval "$PRE" && [ "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs ] &&
			mkdir /sys/fs/bpf/lbxdp-deb-test && eval "$PRE" &&
			[ -d /sys/fs/bpf/lbxdp-deb-test ]'

# --- the unit, offline ---
check "systemd-analyze verify: no complaint" \
	eval '[ -z "$(systemd-analyze verify "$UNIT" 2>&1)" ]'
systemd-analyze security --offline=yes "$UNIT" >"$E2E_TMP/security" 2>&1 || true
score=$(sed -n 's/.*Overall exposure level for lbxdp.service: \([0-9.]*\).*/\1/p' \
	"$E2E_TMP/security")
diag "exposure score: ${score:-none}"
check "systemd-analyze security: exposure ${score:-?} <= $EXPOSURE_MAX" \
	eval '[ -n "$score" ] && awk -v s="$score" -v m="$EXPOSURE_MAX" "BEGIN { exit !(s <= m) }"'

# --- the installed daemon under the unit's capabilities, sd_notify ---
LBXDP=/usr/sbin/lbxdp
e2e_daemon_lab d native
export LBXDP_PIN_DIR=$LAB_PIN_DIR
ST=$(lab_state)
CONF=$E2E_TMP/lbxdp.conf
sed -e "s/192\.168\.4\.15/$LAB_VIP/; s/192\.168\.4\.100/$(lab_ip web1)/" \
	-e "s/192\.168\.4\.200/$(lab_ip web2)/; s/delay_loop 6/delay_loop 1/" \
	-e "s/connect_timeout 3/connect_timeout 1/; s/nb_get_retry 3/nb_get_retry 1/" \
	-e "s/delay_before_retry 3/delay_before_retry 1/" "$EXAMPLE" >"$CONF"
# CAP_BPF ... as setpriv names them: -all,+bpf,...
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z ' 'a-z\n' |
	sed -n 's/^cap_\(.*\)/+\1/p' | paste -sd, -)
diag "bounding set: $caps"
NOTES=$E2E_TMP/notify.log
SOCK=$E2E_TMP/notify.sock
lab_bg lb notify /usr/bin/python3 "$LAB_ROOT/tests/e2e/notify_sink.py" "$SOCK" "$NOTES"
E2E_PIDS="$E2E_PIDS $LAB_BG_PID"
e2e_wait 10 test -S "$SOCK"

# start_daemon NAME: the installed daemon as the unit runs it.
start_daemon() {
	lab_bg lb "$1" env NOTIFY_SOCKET="$SOCK" setpriv --no-new-privs \
		--inh-caps=-all --bounding-set="-all,$caps" -- \
		"$LBXDP" daemon -f "$CONF"
	DAEMON_PID=$LAB_BG_PID
	E2E_PIDS="$E2E_PIDS $DAEMON_PID"
}
gone() { ! kill -0 "$DAEMON_PID" 2>/dev/null; }
# says N WORD: WORD (e.g. READY=1) is in the notify log N times.
says() { [ "$(grep -c " $2\$" "$NOTES")" -ge "$1" ]; }
master() { lab_lbxdp -j daemon status 2>/dev/null | grep -q '"state": *"MASTER"'; }
attached() { ip -n "${LAB_PREFIX}lb" link show eth0 | grep -q 'prog/xdp'; }

start_daemon daemon1
e2e_wait 20 says 1 READY=1
check "under the unit's capabilities: READY=1 on NOTIFY_SOCKET" says 1 READY=1
if ! says 1 READY=1; then
	diag "$(cat "$ST/daemon1.log")"
	exit 1
fi
e2e_wait 20 master
check "it attached, is the VRRP master and forwards to the real servers" \
	eval 'attached && master && lab_get "http://$LAB_VIP/" | grep -qx "web[12]"'
check "reload through the control socket" \
	eval 'lab_lbxdp daemon reload >"$E2E_TMP/reload.out" 2>&1'
e2e_wait 10 says 2 READY=1
kill -TERM "$DAEMON_PID"
e2e_wait 20 gone
check "SIGTERM: it exits, the program stays attached" eval 'gone && attached'
d1=$DAEMON_PID
# The messages of this run: "PID NAME=VALUE" lines.
order=$(awk -v p="$d1" '$1 == p { split($2, kv, "="); print kv[1] }' "$NOTES" |
	grep -v '^STATUS$' | paste -sd' ' -)
diag "notify order: $order"
check "READY, RELOADING, READY, STOPPING in that order" \
	[ "$order" = "READY RELOADING READY STOPPING" ]
check "STATUS= lines after READY, with the daemon's summary" \
	eval 'awk -v p="$d1" "\$1 == p" "$NOTES" | sed -n "/ READY=1/,\$p" |
		grep -q "^$d1 STATUS=..*"'
check "every message from the daemon's own pid (NotifyAccess=main)" \
	eval '! awk -v p="$d1" "\$1 != p" "$NOTES" | grep -q .'
diag "$(grep -m1 STATUS= "$NOTES")"

: >"$NOTES"
start_daemon daemon2
e2e_wait 20 says 1 READY=1
check "restarted under the same capabilities, it adopts the program: READY=1" \
	eval 'says 1 READY=1 && attached'
kill -TERM "$DAEMON_PID"
e2e_wait 20 gone
check "stopped again" gone

# --- prerm and postrm on the lab's pinned program ---
check "dpkg -i over itself (prerm upgrade): the program stays attached" \
	eval 'dpkg_do -i "$DEB" && attached && [ -e "$LAB_PIN_DIR/link" ]'
check "dpkg -r: removed, the program detached, the maps still pinned" \
	eval 'dpkg_do -r lbxdp && ! attached && [ ! -e "$LAB_PIN_DIR/link" ] &&
		[ -e "$LAB_PIN_DIR/vips" ] && [ ! -e /usr/sbin/lbxdp ] && [ ! -e "$UNIT" ]'
check "dpkg --purge after -r: the pinned maps gone, the package unknown" \
	eval 'dpkg_do --purge lbxdp && [ ! -e "$LAB_PIN_DIR" ] && ! installed'

# Install, attach, purge at once: prerm remove detaches, postrm purge
# unpins.
LBXDP=$LAB_OUTPUT/lbxdp
dpkg_do -i "$DEB"
lab_lbxdp attach eth0 --mode native 2>"$E2E_TMP/attach.err"
lab_lbxdp vip add "$LAB_SVC"
check "dpkg --purge: detached, the maps unpinned" \
	eval 'attached=$(attached && echo yes); dpkg_do --purge lbxdp &&
		[ "$attached" = yes ] && ! attached && [ ! -e "$LAB_PIN_DIR" ]'
left=$(while read -r f; do
	if [ -e "$f" ] && [ ! -d "$f" ]; then echo "$f"; fi
	if [ -d "$f" ] && [ -z "$(ls -A "$f")" ]; then echo "$f (empty dir)"; fi
done <"$E2E_TMP/files")
check "no file of the package left" [ -z "$left" ]
[ -z "$left" ] || diag "left: $left"
e2e_done
