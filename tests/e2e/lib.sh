# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
# Shared by tests/e2e/test_*.sh: TAP output, a lab per test with its own
# namespace prefix (lbxt<pid><tag>-) and its own bpffs, cleanup on exit.
#
#   source "$(dirname "$0")/lib.sh"
#   e2e_init NAME                  root check (else SKIP), traps, stale labs
#   e2e_lab TAG MODE [NWEB]        lab up, bpffs, attach, VIP, web1 w1, web2 w2
#
# A test that works the same in both XDP modes says so in a line
# "# e2e-modes: native generic": tests/run.sh then runs it once in each,
# with E2E_MODE set (native when it is run by hand).
#   check "what" CMD...            ok / not ok from CMD's status
#   e2e_done                       exit status from the checks

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lab.sh
source "$E2E_DIR/../../scripts/lab.sh"

E2E_NAME=e2e
E2E_FAILED=0
E2E_PASSED=0
E2E_PIDS=""
E2E_TMP=""
E2E_BASE=lbxt
# Run once per mode, a test's lines name the mode they ran in.
E2E_LABEL=${E2E_MODE:+$E2E_MODE: }
E2E_MODE=${E2E_MODE:-native}

diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# One TAP line each: newlines in a description become spaces.
ok() {
	local d=$*
	echo "ok - $E2E_LABEL${d//$'\n'/ }"
	E2E_PASSED=$((E2E_PASSED + 1))
}

not_ok() {
	local d=$*
	echo "not ok - $E2E_LABEL${d//$'\n'/ }"
	E2E_FAILED=$((E2E_FAILED + 1))
}

# check "description" CMD...: ok if CMD succeeds.
check() {
	local what=$1
	shift
	if "$@"; then
		ok "$what"
	else
		not_ok "$what"
	fi
}

# e2e_git ARGS...: git in the repository the tests come from, for the
# tests that build an older commit: LBXDP_GIT_ROOT if set (make mutate
# runs a copy without .git), else the lab's root. (Root may run the tests
# in a clone another user owns.)
e2e_git() {
	local root=${LBXDP_GIT_ROOT:-$LAB_ROOT}
	git -c safe.directory="$root" -C "$root" "$@"
}

# e2e_wait SECONDS CMD...: until CMD succeeds, for up to SECONDS, trying
# every 0.1 s. Never fails: the check that follows says what was missing.
e2e_wait() {
	local end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	# Bounded by time, not by tries: a slow predicate (a loaded machine)
	# must not stretch a failing wait far past its bound.
	while :; do
		"$@" && return 0
		[ "$(date +%s%N)" -lt "$end" ] || return 0
		sleep 0.1
	done
}

# in_range VALUE LOW HIGH [VALUE LOW HIGH...]: integers, each within bounds.
in_range() {
	while [ $# -ge 3 ]; do
		[[ "$1" =~ ^-?[0-9]+$ ]] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ] ||
			return 1
		shift 3
	done
}

e2e_cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM ERR
	set +e
	if [ "$rc" -ne 0 ] && [ "$E2E_FAILED" -eq 0 ]; then
		not_ok "$E2E_NAME: aborted (exit $rc, last failing command at line ${E2E_ERR_LINE:-?})"
	fi
	for pid in $E2E_PIDS; do
		kill -9 "$pid" 2>/dev/null
	done
	if [ -n "${LAB_PREFIX:-}" ]; then
		lab_down "$LAB_PREFIX"
	fi
	if [ -n "$E2E_TMP" ]; then
		rm -rf "$E2E_TMP"
	fi
	if [ "$rc" -eq 0 ] && [ "$E2E_FAILED" -ne 0 ]; then
		rc=1
	fi
	exit "$rc"
}

e2e_init() {
	E2E_NAME=$1
	if [ "$(id -u)" -ne 0 ]; then
		echo "ok - $E2E_NAME # SKIP needs root"
		exit 0
	fi
	local tool
	for tool in ip curl python3 ethtool timeout; do
		if ! command -v "$tool" >/dev/null; then
			echo "not ok - $E2E_NAME: $tool missing (run scripts/deps.sh)"
			exit 1
		fi
	done
	if [ ! -x "$LBXDP" ] || [ ! -r "$LAB_XDP_PASS" ]; then
		echo "not ok - $E2E_NAME: $LBXDP or $LAB_XDP_PASS missing (run make)"
		exit 1
	fi
	set -eEuo pipefail
	trap 'E2E_ERR_LINE=$LINENO' ERR
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
	E2E_TMP=$(mktemp -d /tmp/lbxdp-e2e.XXXXXX)
	# Labs of earlier runs killed before their cleanup (their pid is gone).
	lab_reap_stale "$E2E_BASE"
}

# e2e_lab TAG MODE [NWEB]: fresh lab lbxt<pid>TAG-, bpffs, lbxdp attached in
# MODE, VIP 198.18.0.10:80 with web1 (weight 1) and web2 (weight 2).
e2e_lab() {
	local tag=$1 mode=$2 nweb=${3:-2}
	if [ -n "${LAB_PREFIX:-}" ]; then
		lab_down "$LAB_PREFIX"
	fi
	LAB_PREFIX=$E2E_BASE$$$tag-
	LAB_PIN_DIR=""
	bash "$LAB_ROOT/scripts/lab.sh" up "$LAB_PREFIX" "$mode" "$nweb"
	lab_bpffs_mount
	lab_lbxdp attach eth0 --mode "$mode" 2>"$E2E_TMP/attach.err"
	lab_lbxdp vip add "$LAB_SVC"
	lab_lbxdp backend add "$LAB_SVC" "$(lab_ip web1)" --weight 1
	lab_lbxdp backend add "$LAB_SVC" "$(lab_ip web2)" --weight 2
}

# e2e_daemon_lab TAG MODE: a fresh lab (web1, web2) and bpffs with nothing
# attached, for lbxdp daemon to attach; the daemon's run directory (pid
# file, control socket) in E2E_TMP. Sets LAB_PIN_DIR.
e2e_daemon_lab() {
	LAB_PREFIX=$E2E_BASE$$$1-
	bash "$LAB_ROOT/scripts/lab.sh" up "$LAB_PREFIX" "$2" 2
	lab_bpffs_mount
	export LBXDP_RUN_DIR=$E2E_TMP/run
}

# e2e_vrrp_peer_lab TAG MODE: e2e_daemon_lab for VRRP against keepalived:
# lb without the VIP that the lab gives it by hand (VRRP holds it here),
# and keepalived's namespace KA at KA_IP on the lab's bridge (its name has
# the lab's prefix: lab_down removes it and its processes). PROBE: the
# VRRP probe. The test fails where keepalived or the probe is missing.
e2e_vrrp_peer_lab() {
	PROBE=$LAB_OUTPUT/tests/vrrp_probe
	if ! command -v keepalived >/dev/null || [ ! -x "$PROBE" ]; then
		not_ok "$E2E_NAME: keepalived or $PROBE missing (scripts/deps.sh, make)"
		exit 1
	fi
	e2e_daemon_lab "$1" "$2"
	KA=${LAB_PREFIX}ka
	KA_IP=198.18.0.3
	ip -n "${LAB_PREFIX}lb" addr del "$LAB_VIP/32" dev eth0
	ip netns add "$KA"
	ip -n "$KA" link set lo up
	ip -n "${LAB_PREFIX}br" link add ka type veth peer name eth0 netns "$KA"
	ip -n "${LAB_PREFIX}br" link set ka master br0 up
	ip -n "$KA" addr add "$KA_IP/24" dev eth0
	ip -n "$KA" link set eth0 up
}

# e2e_vrrp_script FILE OKFILE: a vrrp_script chk in FILE that passes
# while OKFILE exists, weight -60 (a track_script names it).
e2e_vrrp_script() {
	cat >>"$1" <<EOF
vrrp_script chk {
    script "/usr/bin/test -e $2"
    interval 1
    weight -60
}
EOF
}

# e2e_vrrp_inst FIELD: the lab daemon's first VRRP instance's FIELD (a.b
# for b of a) in `daemon status -j`.
e2e_vrrp_inst() {
	lab_lbxdp -j daemon status 2>/dev/null | /usr/bin/python3 -c '
import json, sys
v = json.load(sys.stdin)["vrrp_instances"][0]
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1" 2>/dev/null
}

# e2e_vip_on NS: NS's eth0 holds the lab's VIP.
e2e_vip_on() { ip -n "$1" -4 addr show dev eth0 | grep -q " $LAB_VIP/32 "; }

# e2e_daemon_ready: the lab's daemon answers and says it is ready.
e2e_daemon_ready() {
	lab_lbxdp -j daemon status 2>/dev/null | grep -q '"ready": *true'
}

# e2e_json FILE: `lbxdp -j backend list` into FILE.
e2e_json() {
	lab_lbxdp -j backend list >"$1"
}

# e2e_field FILE HOST FIELD: a backend's field from e2e_json output.
e2e_field() {
	lab_json_backend "$1" "$(lab_ip "$2")" "$3"
}

e2e_done() {
	# The EXIT trap cleans up and turns failed checks into a non-zero exit.
	exit 0
}
