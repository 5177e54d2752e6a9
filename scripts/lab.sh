#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# DR lab in network namespaces, and helpers for scripts that source it.
#
#   scripts/lab.sh up PREFIX native|generic [NWEB]   build the lab (NWEB 1-5)
#   scripts/lab.sh down [PREFIX]                      remove it (default: the demo's)
#
# Topology (every address in 198.18.0.0/15, nothing in the root namespace):
#
#   PREFIXbr       bridge br0; ports client, lb, web1, web2[, web3...web5]
#   PREFIXclient   eth0 198.18.0.1/24
#   PREFIXlb       eth0 198.18.0.2/24 + VIP 198.18.0.10/32 (answers ARP for it)
#   PREFIXwebN     eth0 198.18.0.1N/24, VIP on lo, arp_ignore=1 arp_announce=2,
#                  python3 http.server on :80 serving index.html = "webN\n"
#                  and big.bin = "webN\n" + LAB_BIG_BYTES of random data
#
# lab.sh does not attach lbxdp; the caller runs, e.g.
#   lab_bpffs_mount; lab_lbxdp attach eth0 --mode native; lab_lbxdp vip add ...
# `source scripts/lab.sh` only defines functions and variables.
# shellcheck disable=SC2034 # variables are for the scripts that source this

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_OUTPUT=${OUTPUT:-.output}
case "$LAB_OUTPUT" in
/*) ;;
*) LAB_OUTPUT=$LAB_ROOT/$LAB_OUTPUT ;;
esac
LBXDP=${LBXDP:-$LAB_OUTPUT/lbxdp}
LAB_XDP_PASS=${LAB_XDP_PASS:-$LAB_OUTPUT/xdp_pass.bpf.o}
LAB_STATE_BASE=${LAB_STATE_BASE:-/run/lbxdp-lab}
LAB_DEMO_PREFIX=lbxdp-demo-
LAB_NET=198.18.0
LAB_VIP=198.18.0.10
LAB_SVC=198.18.0.10:80
LAB_BIG_BYTES=${LAB_BIG_BYTES:-2097152}
LAB_PREFIX=${LAB_PREFIX:-}

lab_log() { printf '%s\n' "$*" >&2; }
lab_die() {
	lab_log "lab: $*"
	return 1
}

# Address of a lab host: client, lb, web1..web3.
lab_ip() {
	case "$1" in
	client) echo "$LAB_NET.1" ;;
	lb) echo "$LAB_NET.2" ;;
	web[1-9]) echo "$LAB_NET.1${1#web}" ;;
	*) lab_die "unknown host '$1'" ;;
	esac
}

lab_state() { echo "$LAB_STATE_BASE/${1:-$LAB_PREFIX}"; }

# Namespaces whose name starts with PREFIX.
lab_ns_list() {
	local p=$1 ns
	[ -n "$p" ] || return 0
	ip netns list 2>/dev/null | while read -r ns _; do
		case "$ns" in
		"$p"*) echo "$ns" ;;
		esac
	done
}

# lab_exec HOST CMD...: run in PREFIXHOST.
lab_exec() {
	local host=$1
	shift
	ip netns exec "$LAB_PREFIX$host" "$@"
}

# lab_bg HOST NAME CMD...: start CMD in the background in PREFIXHOST, output
# to STATE/NAME.log, pid recorded in STATE/pids (killed by lab_down).
lab_bg() {
	local host=$1 name=$2 st
	shift 2
	st=$(lab_state)
	mkdir -p "$st"
	ip netns exec "$LAB_PREFIX$host" "$@" >"$st/$name.log" 2>&1 </dev/null &
	LAB_BG_PID=$!
	echo "$LAB_BG_PID $name" >>"$st/pids"
	# lab_down kills it: no "Killed" job notice from this shell.
	disown "$LAB_BG_PID"
}

# Mount a private bpffs (ip netns exec remounts /sys, so /sys/fs/bpf is not
# usable inside); lab_lbxdp passes DIR/lb as --pin-dir. lab_down unmounts it.
lab_bpffs_mount() {
	local st dir
	st=$(lab_state)
	mkdir -p "$st"
	dir=$(mktemp -d /tmp/lbxdp-bpffs.XXXXXX)
	echo "$dir" >"$st/bpffs"
	mount -t bpf bpf "$dir" || lab_die "cannot mount a bpffs at $dir"
	LAB_PIN_DIR=$dir/lb
}

# lab_lbxdp ARGS...: lbxdp in the lb namespace with the lab's pin dir,
# killed after LAB_LBXDP_TIMEOUT seconds (exit 137) so nothing hangs.
lab_lbxdp() {
	if [ -z "${LAB_PIN_DIR:-}" ]; then
		LAB_PIN_DIR=$(cat "$(lab_state)/bpffs")/lb
	fi
	timeout -s KILL "${LAB_LBXDP_TIMEOUT:-60}" ip netns exec "${LAB_PREFIX}lb" \
		"$LBXDP" --pin-dir "$LAB_PIN_DIR" "$@"
}

# lab_get [CURL ARGS...] URL: one request from the client, body on stdout.
lab_get() {
	timeout 15 ip netns exec "${LAB_PREFIX}client" \
		curl -sS --fail --connect-timeout 3 --max-time 10 "$@"
}

# lab_hits N [URL [PORT0]]: N requests from the client, each on a new
# connection; one line per request: the body's first line, or FAIL(curl exit
# code). With PORT0, request i comes from port PORT0+i: the kernel's own
# choice may reuse the ports of a connection a moment ago (seen within 300),
# which the LB rightly treats as that flow again.
lab_hits() {
	local n=$1 url=${2:-http://$LAB_VIP/} port0=${3:-}
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout $((n + 60)) ip netns exec "${LAB_PREFIX}client" bash -c '
		for ((i = 0; i < $1; i++)); do
			local_port=()
			if [ -n "$3" ]; then
				local_port=(--local-port $(($3 + i)))
			fi
			if out=$(curl -s --fail --connect-timeout 5 --max-time 15 \
				"${local_port[@]}" "$2"); then
				printf "%s\n" "${out%%$'"'"'\n'"'"'*}"
			else
				echo "FAIL($?)"
			fi
		done' lab_hits "$n" "$url" "$port0"
}

# lab_ping HOST ADDR: 3 pings from PREFIXHOST, quietly; status says if all came back.
lab_ping() {
	timeout 10 ip netns exec "$LAB_PREFIX$1" ping -q -n -c 3 -i 0.2 -W 2 "$2" >/dev/null 2>&1
}

# lab_count WORD < lines: how many lines are exactly WORD.
lab_count() { grep -cx -- "$1" || true; }

# lab_wait_http HOST_IP PORT EXPECT: wait until the client gets EXPECT.
lab_wait_http() {
	local ip=$1 port=$2 want=$3 i
	for ((i = 0; i < 100; i++)); do
		if [ "$(timeout 3 ip netns exec "${LAB_PREFIX}client" curl -s \
			--max-time 1 "http://$ip:$port/" 2>/dev/null)" = "$want" ]; then
			return 0
		fi
		sleep 0.1
	done
	lab_die "no answer '$want' from $ip:$port"
}

# lab_web_start NAME DIR: python3 http.server on :80 in PREFIXNAME.
lab_web_start() {
	local host=$1 dir=$2
	lab_bg "$host" "http-$host" python3 -m http.server --bind 0.0.0.0 80 \
		--directory "$dir"
}

# lab_web_pid NAME: the pid of NAME's web server (lab_web_start, lab up).
lab_web_pid() {
	awk -v n="http-$1" '$2 == n { p = $1 } END { print p }' "$(lab_state)/pids"
}

# lab_seed_conf OUT MODE DELAY RETRY DBR: the seed's keepalived.conf for the
# lab: its addresses, XDP MODE, delay_loop DELAY, connect_timeout 1,
# nb_get_retry RETRY and delay_before_retry DBR (the seed's 6, 3, 3, 3 make
# a lab wait long).
lab_seed_conf() {
	sed -e "s/192\.168\.4\.15/$LAB_VIP/; s/192\.168\.4\.100/$(lab_ip web1)/" \
		-e "s/192\.168\.4\.200/$(lab_ip web2)/; s/delay_loop 6/delay_loop $3/" \
		-e "s/connect_timeout 3/connect_timeout 1/; s/nb_get_retry 3/nb_get_retry $4/" \
		-e "s/delay_before_retry 3/delay_before_retry $5/" \
		"$LAB_ROOT/tests/e2e/seed-master.conf" >"$1"
	# The lab's XDP mode: an lbxdp extension block (default: native).
	printf 'lbxdp_xdp {\n    mode %s\n}\n' "$2" >>"$1"
}

lab_sysctl() { # HOST KEY=VALUE...
	local host=$1
	shift
	ip netns exec "$LAB_PREFIX$host" sysctl -qw "$@" >/dev/null
}

# lab_up PREFIX MODE [NWEB]
lab_up() {
	local p=$1 mode=$2 nweb=${3:-2} st host i hosts addr
	case "$mode" in
	native | generic) ;;
	*) lab_die "mode must be native or generic, not '$mode'" || return ;;
	esac
	case "$nweb" in
	[1-5]) ;;
	*) lab_die "NWEB must be 1-5, not '$nweb'" || return ;;
	esac
	[ -n "$p" ] || lab_die "empty prefix" || return
	[ -r "$LAB_XDP_PASS" ] || lab_die "$LAB_XDP_PASS missing: run make" || return
	LAB_PREFIX=$p
	lab_down "$p"
	st=$(lab_state "$p")
	mkdir -p "$st/www"
	hosts="client lb"
	for ((i = 1; i <= nweb; i++)); do
		hosts="$hosts web$i"
	done
	echo "$hosts" >"$st/hosts"

	ip netns add "${p}br"
	ip -n "${p}br" link set lo up
	lab_sysctl br net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "${p}br" link add br0 type bridge
	ip -n "${p}br" link set br0 up
	for host in $hosts; do
		ip netns add "$p$host"
		ip -n "$p$host" link set lo up
		lab_sysctl "$host" net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		# eth0 in the host, its peer (named after the host) a br0 port.
		ip -n "${p}br" link add "$host" type veth peer name eth0 netns "$p$host"
		ip -n "${p}br" link set "$host" master br0 up
		addr=$(lab_ip "$host")
		ip -n "$p$host" addr add "$addr/24" dev eth0
		ip -n "$p$host" link set eth0 up
	done
	ip -n "${p}lb" addr add "$LAB_VIP/32" dev eth0

	# Real servers: VIP on lo, never answering ARP for it.
	head -c "$LAB_BIG_BYTES" /dev/urandom >"$st/payload"
	for ((i = 1; i <= nweb; i++)); do
		host=web$i
		ip -n "$p$host" addr add "$LAB_VIP/32" dev lo
		lab_sysctl "$host" net.ipv4.conf.all.arp_ignore=1 \
			net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.eth0.arp_ignore=1 \
			net.ipv4.conf.eth0.arp_announce=2 \
			net.ipv4.conf.lo.arp_ignore=1 \
			net.ipv4.conf.lo.arp_announce=2
		mkdir -p "$st/www/$host"
		echo "$host" >"$st/www/$host/index.html"
		{
			echo "$host"
			cat "$st/payload"
		} >"$st/www/$host/big.bin"
	done
	rm -f "$st/payload"

	# Native XDP_TX on a veth delivers only if the peer has an XDP program;
	# senders' partial checksums would not survive XDP_TX (DESIGN.md §7).
	if [ "$mode" = native ]; then
		ip -n "${p}br" link set dev lb xdpdrv obj "$LAB_XDP_PASS" sec xdp
	fi
	for host in $hosts; do
		[ "$host" = lb ] && continue
		ip netns exec "$p$host" ethtool -K eth0 tx off >/dev/null
	done

	for ((i = 1; i <= nweb; i++)); do
		lab_web_start "web$i" "$st/www/web$i"
	done
	for ((i = 1; i <= nweb; i++)); do
		lab_wait_http "$(lab_ip "web$i")" 80 "web$i" || return
	done
	echo "$mode" >"$st/mode"
}

# lab_down [PREFIX]: kill the lab's processes, delete its namespaces,
# unmount its bpffs. Without PREFIX: the demo's.
lab_down() {
	local p=${1:-$LAB_DEMO_PREFIX} st ns pid pids dir i
	[ -n "$p" ] || return 0
	st=$(lab_state "$p")
	pids=""
	if [ -f "$st/pids" ]; then
		while read -r pid _; do
			# Only if it still runs in one of the lab's namespaces.
			[ -n "$pid" ] && pids="$pids $pid"
		done <"$st/pids"
	fi
	for ns in $(lab_ns_list "$p"); do
		pids="$pids $(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
	done
	for pid in $pids; do
		if lab_pid_in_lab "$pid" "$p"; then
			kill -9 "$pid" 2>/dev/null || true
		fi
	done
	for ((i = 0; i < 50; i++)); do
		local alive=0
		for pid in $pids; do
			if lab_pid_in_lab "$pid" "$p"; then
				alive=1
			fi
		done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for ns in $(lab_ns_list "$p"); do
		ip netns del "$ns" 2>/dev/null || true
	done
	if [ -f "$st/bpffs" ]; then
		dir=$(cat "$st/bpffs")
		case "$dir" in
		/tmp/lbxdp-bpffs.*)
			if mountpoint -q "$dir"; then
				umount "$dir" || umount -l "$dir" || true
			fi
			rmdir "$dir" 2>/dev/null || true
			;;
		esac
	fi
	rm -rf "$st"
	rmdir "$LAB_STATE_BASE" 2>/dev/null || true
	if [ -n "$(lab_ns_list "$p")" ]; then
		lab_die "namespaces left: $(lab_ns_list "$p" | tr '\n' ' ')"
	fi
}

# True if PID runs in a network namespace named PREFIX*.
lab_pid_in_lab() {
	local pid=$1 p=$2 ns
	[ -e "/proc/$pid" ] || return 1
	for ns in $(lab_ns_list "$p"); do
		if [ "$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null)" = \
			"$(stat -L -c %i "/run/netns/$ns" 2>/dev/null)" ]; then
			return 0
		fi
	done
	return 1
}

# Remove the labs of test runs that died without cleaning up: prefixes
# BASE<pid>[tag]- whose pid no longer runs (namespaces and state dirs).
lab_reap_stale() {
	local base=$1 name prefix rest pid
	for name in $(lab_ns_list "$base") $(ls "$LAB_STATE_BASE" 2>/dev/null); do
		case "$name" in
		"$base"[0-9]*-*) ;;
		*) continue ;;
		esac
		prefix=${name%%-*}-
		rest=${prefix#"$base"}
		pid=${rest%%[!0-9]*}
		if ! kill -0 "$pid" 2>/dev/null; then
			lab_down "$prefix" 2>/dev/null || true
		fi
	done
}

# lab_json_backend FILE ADDR FIELD: a field of backend ADDR in the output
# of `lbxdp -j backend list` (empty if the backend is absent); FIELD may
# name one in an object, as check.reason.
lab_json_backend() {
	python3 - "$@" <<'EOF'
import json, sys
data = json.load(open(sys.argv[1]))
for svc in data:
    for be in svc.get("backends", []):
        if be.get("address") == sys.argv[2]:
            for key in sys.argv[3].split("."):
                be = (be or {}).get(key, "")
            print(be)
            sys.exit(0)
EOF
}

lab_usage() {
	cat >&2 <<EOF
Usage: $0 up PREFIX native|generic [NWEB]
       $0 down [PREFIX]       (default prefix: $LAB_DEMO_PREFIX)
EOF
	return 1
}

lab_main() {
	set -euo pipefail
	[ "$(id -u)" -eq 0 ] || lab_die "needs root"
	case "${1:-}" in
	up)
		[ $# -ge 3 ] || lab_usage
		lab_up "$2" "$3" "${4:-2}"
		;;
	down)
		lab_down "${2:-$LAB_DEMO_PREFIX}"
		;;
	*) lab_usage ;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	lab_main "$@"
fi
