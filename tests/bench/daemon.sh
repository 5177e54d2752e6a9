#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The daemon's benchmark (part of make bench): how long a failed server
# takes to leave the schedule and to come back, against the bound its
# keepalived timers give, and the daemon's CPU and memory while it checks
# 1,000 real servers every second. Writes the "Daemon" section of
# BENCHMARKS.md. Needs root; everything runs in its own namespaces
# (prefix lbxb<pid>-), addresses from 198.18.0.0/15, removed on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUTPUT=${OUTPUT:-.output}
LBXDP=$PWD/$OUTPUT/lbxdp
OUT=${BENCH_OUT:-BENCHMARKS.md}
NRS=${BENCH_NRS:-1000}
SECS=${BENCH_SECS:-30}
ROUNDS=${BENCH_ROUNDS:-5}
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh

[ "$(id -u)" -eq 0 ] || {
	echo "bench: needs root" >&2
	exit 1
}
[ -x "$LBXDP" ] || {
	echo "bench: $LBXDP missing: run make" >&2
	exit 1
}

P=lbxb$$-
TMP=$(mktemp -d /tmp/lbxdp-bench.XXXXXX)
BPF=$TMP/bpffs
PIN=$BPF/lb
export LBXDP_RUN_DIR=$TMP/run
GC_OLD=$(sysctl -n net.ipv4.neigh.default.gc_thresh1 \
	net.ipv4.neigh.default.gc_thresh2 net.ipv4.neigh.default.gc_thresh3 |
	tr '\n' ' ')
PIDS=""

cleanup() {
	local pid t1 t2 t3
	set +e
	for pid in $PIDS; do
		kill -9 "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	for ns in lb srv; do
		ip netns del "$P$ns" 2>/dev/null
	done
	umount "$BPF" 2>/dev/null
	read -r t1 t2 t3 <<<"$GC_OLD"
	sysctl -qw net.ipv4.neigh.default.gc_thresh1="$t1" \
		net.ipv4.neigh.default.gc_thresh2="$t2" \
		net.ipv4.neigh.default.gc_thresh3="$t3"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Leftovers of a killed run: namespaces whose pid is gone.
for ns in $(ip netns list | awk '/^lbxb[0-9]+-/ { print $1 }'); do
	pid=${ns#lbxb}
	pid=${pid%%-*}
	kill -0 "$pid" 2>/dev/null || ip netns del "$ns"
done

# The kernel's neighbour table is global and holds 1,024 entries: room for
# the servers (restored on exit).
sysctl -qw net.ipv4.neigh.default.gc_thresh1=$((NRS * 2)) \
	net.ipv4.neigh.default.gc_thresh2=$((NRS * 4)) \
	net.ipv4.neigh.default.gc_thresh3=$((NRS * 8))

ip netns add "${P}lb"
ip netns add "${P}srv"
ip -n "${P}lb" link add eth0 type veth peer name eth0 netns "${P}srv"
ip -n "${P}lb" link set lo up
ip -n "${P}srv" link set lo up
ip -n "${P}lb" addr add 198.18.0.2/16 dev eth0
ip -n "${P}lb" link set eth0 up
ip -n "${P}srv" link set eth0 up
# Server i: 198.18.(1 + i / 250).(1 + i % 250); one listener answers all.
rs_ip() { echo "198.18.$((1 + $1 / 250)).$((1 + $1 % 250))"; }
for ((i = 0; i < NRS; i++)); do
	echo "address add $(rs_ip "$i")/16 dev eth0"
done | ip -n "${P}srv" -batch -
mkdir -p "$BPF"
mount -t bpf bpf "$BPF"

# A TCP listener on port 80 of every address: accepts and closes.
listener() { # PORT
	ip netns exec "${P}srv" /usr/bin/python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(4096)
while True:
    c, _ = s.accept()
    c.close()' "$1" &
	LISTENER=$!
	PIDS="$PIDS $LISTENER"
}

daemon_start() { # CONF
	ip netns exec "${P}lb" "$LBXDP" --pin-dir "$PIN" daemon -f "$1" \
		>"$TMP/daemon.log" 2>&1 &
	DAEMON=$!
	PIDS="$PIDS $DAEMON"
	for ((i = 0; i < 600; i++)); do
		if ip netns exec "${P}lb" "$LBXDP" --pin-dir "$PIN" -j daemon \
			status 2>/dev/null | grep -q '"ready": *true'; then
			return 0
		fi
		sleep 0.1
	done
	echo "bench: the daemon did not get ready" >&2
	cat "$TMP/daemon.log" >&2
	exit 1
}

daemon_stop() {
	ip netns exec "${P}lb" "$LBXDP" --pin-dir "$PIN" daemon stop >/dev/null
	wait "$DAEMON" 2>/dev/null || true
}

# state RIP: its record's state in the maps.
state() {
	ip netns exec "${P}lb" "$LBXDP" --pin-dir "$PIN" -j backend list |
		/usr/bin/python3 -c '
import json, sys
for svc in json.load(sys.stdin):
    for b in svc.get("backends", []):
        if b["address"] == sys.argv[1]:
            print(b["state"])' "$1"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_state RIP STATE: ms until it is so (polled every 20 ms).
wait_state() {
	local t0 i
	t0=$(now_ms)
	for ((i = 0; i < 3000; i++)); do
		if [ "$(state "$1")" = "$2" ]; then
			echo $(($(now_ms) - t0))
			return 0
		fi
		sleep 0.02
	done
	echo "bench: $1 never became $2" >&2
	return 1
}

# Detection: keepalived's timers, short. A refused connection takes a
# server down after delay_loop + retry x delay_before_retry (at most: the
# failure may come up to a delay_loop after the listener stops, the
# retries after it); a success brings it back within a delay_loop.
DELAY=1
RETRY=2
DBR=1
cat >"$TMP/detect.conf" <<EOF
lbxdp_xdp {
    mode generic
}
virtual_server 198.18.0.10 80 {
    delay_loop $DELAY
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server $(rs_ip 0) 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry $RETRY
            delay_before_retry $DBR
        }
    }
}
EOF
listener 80
daemon_start "$TMP/detect.conf"
down_ms=()
up_ms=()
for ((r = 0; r < ROUNDS; r++)); do
	kill "$LISTENER"
	wait "$LISTENER" 2>/dev/null || true
	ms=$(wait_state "$(rs_ip 0)" down) || exit 1
	down_ms+=("$ms")
	listener 80
	ms=$(wait_state "$(rs_ip 0)" up) || exit 1
	up_ms+=("$ms")
done
daemon_stop
ip netns exec "${P}lb" "$LBXDP" --pin-dir "$PIN" detach --purge >/dev/null

# Load: NRS servers over 4 VIPs, TCP_CHECK every second.
{
	cat <<EOF
lbxdp_xdp {
    mode generic
    max_vips 4
    max_backends $(((NRS + 3) / 4))
}
EOF
	for ((v = 0; v < 4; v++)); do
		echo "virtual_server 198.18.0.$((10 + v)) 80 {"
		echo "    delay_loop 1"
		echo "    lb_algo wrr"
		echo "    lb_kind DR"
		echo "    protocol TCP"
		for ((i = v; i < NRS; i += 4)); do
			echo "    real_server $(rs_ip "$i") 80 {"
			echo "        TCP_CHECK {"
			echo "            connect_timeout 1"
			echo "        }"
			echo "    }"
		done
		echo "}"
	done
} >"$TMP/load.conf"
daemon_start "$TMP/load.conf"
HZ=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$DAEMON/stat"; }
sleep 3
c0=$(ticks)
t0=$(now_ms)
sleep "$SECS"
c1=$(ticks)
t1=$(now_ms)
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$DAEMON/status")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$DAEMON/status")
up=$(ip netns exec "${P}lb" "$LBXDP" --pin-dir "$PIN" -j backend list |
	/usr/bin/python3 -c 'import json, sys; print(sum(b["state"] == "up" for s in json.load(sys.stdin) for b in s.get("backends", [])))')
daemon_stop

stats() { # values...: "min / median / max"
	bench_stats "$@" | awk '{ printf "%d / %d / %d", $1, $2, $3 }'
}
cpu=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v ms=$((t1 - t0)) \
	'BEGIN { printf "%.2f", 100 * c / hz / (ms / 1000) }')
bound_down=$(((DELAY + RETRY * DBR) * 1000))
section=$(
	cat <<EOF
<!-- daemon: begin (tests/bench/daemon.sh) -->
## The daemon

\`tests/bench/daemon.sh\` (run by \`make bench\`), commit $(git describe --always --dirty 2>/dev/null || echo unknown).
Real servers on-link in a namespace, the real daemon, TCP_CHECK.

Detection, $ROUNDS rounds, ms (min / median / max), with delay_loop $DELAY s,
retry $RETRY, delay_before_retry $DBR s, connect_timeout 1 s; time from the
listener's stop (or start) until \`backend list\` shows the record's new
state (polled every 20 ms):

| event | measured (ms) | bound from the timers (ms) |
| --- | --- | --- |
| down: connection refused | $(stats "${down_ms[@]}") | $bound_down (delay_loop + retry × delay_before_retry) |
| up: listener back | $(stats "${up_ms[@]}") | $((DELAY * 1000)) (one delay_loop) |

Load: $NRS real servers over 4 virtual servers, each checked every second
(TCP_CHECK), measured over ${SECS} s once all were up ($up of $NRS up at the end):

| daemon | measured | aim |
| --- | --- | --- |
| CPU | ${cpu} % of one core | < 5 % |
| resident memory | $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB) | < 32 MiB |
<!-- daemon: end -->
EOF
)
printf '%s\n' "$section"
bench_splice "$OUT" daemon "$section"
