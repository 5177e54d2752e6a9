#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The stats page's benchmark (part of make bench): a daemon checking 1,000
# real servers (10 virtual servers of 100, TCP_CHECK every second) with
# lbxdp_stats on. How long the page, its ;json and ;csv exports and
# /metrics take to serve, and whether serving them at 50 requests a
# second delays the health checks: the spread of the intervals between
# consecutive checks of each server, as the servers' accept log sees it,
# in windows without and with that load, alternating in this one run.
# Writes the "Stats page" section of BENCHMARKS.md. Needs root; its own
# namespaces (prefix lbxb<pid>s-), addresses from 198.18.0.0/15, removed
# on exit.
#
#   BENCH_NRS=N      real servers (default 1000, 10 virtual servers)
#   BENCH_N=N        requests of each kind timed one after the other (200)
#   BENCH_RATE=R     requests a second of the load (50)
#   BENCH_SECS=S     seconds of each window (15), BENCH_ROUNDS pairs (2)
#   BENCH_OUT=FILE   the report (default BENCHMARKS.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUTPUT=${OUTPUT:-.output}
LBXDP=$PWD/$OUTPUT/lbxdp
OUT=${BENCH_OUT:-BENCHMARKS.md}
NRS=${BENCH_NRS:-1000}
NVS=10
N=${BENCH_N:-200}
RATE=${BENCH_RATE:-50}
SECS=${BENCH_SECS:-15}
ROUNDS=${BENCH_ROUNDS:-2}
PY=/usr/bin/python3
HELPER=$PWD/tests/bench/stats_load.py
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

P=lbxb$$s-
TMP=$(mktemp -d /tmp/lbxdp-bench.XXXXXX)
BPF=$TMP/bpffs
PIN=$BPF/lb
ACC=$TMP/accepts
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

fail() {
	echo "bench: $*" >&2
	tail -20 "$TMP/daemon.log" >&2 || true
	exit 1
}

# Leftovers of a killed run: namespaces whose pid is gone.
for ns in $(ip netns list | awk '/^lbxb[0-9]+s-/ { print $1 }'); do
	pid=${ns#lbxb}
	pid=${pid%%[!0-9]*}
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

# The listener logs each check's accept: real-time priority, so that its
# own scheduling does not blur the daemon's timing under load.
ip netns exec "${P}srv" chrt -f 50 "$PY" "$HELPER" accepts 80 "$ACC" &
LISTENER=$!
PIDS="$PIDS $LISTENER"

PER=$((NRS / NVS))
{
	cat <<EOF
lbxdp_xdp {
    mode generic
    max_vips $NVS
    max_backends $PER
}
lbxdp_stats {
    bind 127.0.0.1:1080
    uri /stats
    realm "bench"
    auth admin:bench
    admin admin
    refresh 2s
}
EOF
	for ((v = 0; v < NVS; v++)); do
		echo "virtual_server 198.18.0.$((10 + v)) 80 {"
		echo "    delay_loop 1"
		echo "    lb_algo wrr"
		echo "    lb_kind DR"
		echo "    protocol TCP"
		for ((i = v * PER; i < (v + 1) * PER; i++)); do
			echo "    real_server $(rs_ip "$i") 80 {"
			echo "        TCP_CHECK {"
			echo "            connect_timeout 1"
			echo "        }"
			echo "    }"
		done
		echo "}"
	done
} >"$TMP/stats.conf"

lbxdp() { ip netns exec "${P}lb" "$LBXDP" --pin-dir "$PIN" "$@"; }
nup() {
	lbxdp -j backend list 2>/dev/null | "$PY" -c 'import json, sys
print(sum(b["state"] == "up" for s in json.load(sys.stdin) for b in s.get("backends", [])))' 2>/dev/null ||
		echo 0
}
ip netns exec "${P}lb" "$LBXDP" --pin-dir "$PIN" daemon -f "$TMP/stats.conf" \
	>"$TMP/daemon.log" 2>&1 &
DAEMON=$!
PIDS="$PIDS $DAEMON"
for ((i = 0; i < 600; i++)); do
	lbxdp -j daemon status 2>/dev/null | grep -q '"ready": *true' && break
	sleep 0.1
done
for ((i = 0; i < 120; i++)); do
	[ "$(nup)" = "$NRS" ] && break
	sleep 0.5
done
[ "$(nup)" = "$NRS" ] || fail "$(nup) of $NRS servers up"
sleep 2

in_lb() { ip netns exec "${P}lb" "$PY" "$HELPER" "$@"; }
URL=http://127.0.0.1:1080
CRED=admin:bench
# field JSON KEY: a value of a helper's JSON.
field() { "$PY" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# Each kind of request, N times one after the other, nothing else asked.
declare -A LAT
for path in /stats "/stats;json" "/stats;csv" /metrics; do
	LAT[$path]=$(in_lb latency "$URL$path" "$CRED" "$N")
	[ "$(field "${LAT[$path]}" errors)" = 0 ] || fail "$path: ${LAT[$path]}"
done

# The windows: idle, loaded, alternating; the daemon's CPU in each.
HZ=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$DAEMON/stat"; }
idle_w=() load_w=()
idle_t=0 load_t=0 idle_ms=0 load_ms=0
LOADS=()
for ((r = 0; r < ROUNDS; r++)); do
	c0=$(ticks)
	t0=$(in_lb now)
	sleep "$SECS"
	t1=$(in_lb now)
	c1=$(ticks)
	idle_w+=("$t0:$t1")
	idle_t=$((idle_t + c1 - c0)) idle_ms=$((idle_ms + t1 - t0))
	c0=$(ticks)
	t0=$(in_lb now)
	LOADS+=("$(in_lb load "$URL" "$CRED" "$RATE" "$SECS" /stats "/stats;json" "/stats;csv" /metrics)")
	t1=$(in_lb now)
	c1=$(ticks)
	load_w+=("$t0:$t1")
	load_t=$((load_t + c1 - c0)) load_ms=$((load_ms + t1 - t0))
done
sleep 1
kill -TERM "$LISTENER" 2>/dev/null || true # it flushes its log
sleep 0.5
up_end=$(nup)
# One at a time, the mix costs the mean of the four medians a request.
cost=$(for p in /stats "/stats;json" "/stats;csv" /metrics; do field "${LAT[$p]}" median_ms; done |
	awk -v r="$RATE" '{ s += $1 } END { printf "%.1f ms a request, %.0f ms a second at %s req/s", s / NR, s / NR * r, r }')
# What the stats server said of the load (libmicrohttpd's warnings).
said=$({ grep -o 'stats: .*' "$TMP/daemon.log" | grep -v '^stats: serving' || true; } |
	sed 's/[0-9][0-9.:]*/N/g' | sort | uniq -c | sort -rn | head -3 |
	awk '{ n = $1; $1 = ""; printf "%s%d × \"%s\"", s, n, substr($0, 2); s = "; " }')
IDLE=$("$PY" "$HELPER" jitter "$ACC" 1000 "${idle_w[@]}")
LOAD=$("$PY" "$HELPER" jitter "$ACC" 1000 "${load_w[@]}")

cpu() { awk -v c="$1" -v hz="$HZ" -v ms="$2" 'BEGIN { printf "%.1f", 100 * c / hz / (ms / 1000) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
lat_row() { # PATH WHAT
	local j=${LAT[$1]}
	printf '| %s | %s | %s | %s | %s |\n' "$2" "$(field "$j" bytes)" \
		"$(field "$j" median_ms)" "$(field "$j" p99_ms)" "$(field "$j" max_ms)"
}
jit_row() { # WHAT KEY
	printf '| %s | %s | %s | %s |\n' "$1" "$(field "$IDLE" "$2")" \
		"$(field "$LOAD" "$2")" "$(ratio "$(field "$LOAD" "$2")" "$(field "$IDLE" "$2")")"
}
sent=0 errs=0 lrate=() lmed=() lp99=() kinds=""
for j in "${LOADS[@]}"; do
	sent=$((sent + $(field "$j" sent)))
	errs=$((errs + $(field "$j" errors)))
	k=$(field "$j" kinds)
	[ -z "$k" ] || kinds="$kinds${kinds:+; }$k"
	lrate+=("$(field "$j" rate)")
	lmed+=("$(field "$j" median_ms)")
	lp99+=("$(field "$j" p99_ms)")
done

section=$(
	cat <<EOF
<!-- stats: begin (tests/bench/stats.sh) -->
## The stats page

\`tests/bench/stats.sh\` (run by \`make bench\`), commit $(git describe --always --dirty 2>/dev/null || echo unknown).
The real daemon checking $NRS real servers ($NVS virtual servers of $PER, TCP_CHECK,
delay_loop 1 s) on-link in a namespace, all up, with \`lbxdp_stats\` on
(auth, an admin user: the page has each row's action form).

Serving, $N requests of each kind one after the other from the lb
namespace, each on a new connection, as the admin user (ms, from connect
to the body's last byte):

| request | bytes | median (ms) | p99 (ms) | max (ms) |
| --- | ---: | ---: | ---: | ---: |
$(lat_row /stats "page (/stats)")
$(lat_row "/stats;json" "/stats;json")
$(lat_row "/stats;csv" "/stats;csv")
$(lat_row /metrics "/metrics")

The health checks with and without $RATE requests a second of the four kinds in
turn: $ROUNDS pairs of windows of ${SECS} s, idle then loaded, in this one run. The intervals
between consecutive checks of each server, from the servers' accept log
(a listener at real-time priority, CLOCK_MONOTONIC at each accept); spread
is p99 − p1 of the intervals, late the p99 of interval − 1 s:

| checks | no stats load | $RATE req/s | loaded / idle |
| --- | ---: | ---: | ---: |
| intervals measured | $(field "$IDLE" n) | $(field "$LOAD" n) | |
$(jit_row "median interval (ms)" median_ms)
$(jit_row "p1 interval (ms)" p1_ms)
$(jit_row "p99 interval (ms)" p99_ms)
$(jit_row "spread, p99 − p1 (ms)" spread_ms)
$(jit_row "standard deviation (ms)" stdev_ms)
$(jit_row "late, p99 (ms)" late_ms)
| daemon CPU (% of one core) | $(cpu "$idle_t" "$idle_ms") | $(cpu "$load_t" "$load_ms") | $(ratio "$(cpu "$load_t" "$load_ms")" "$(cpu "$idle_t" "$idle_ms")") |

The load: $sent requests, $errs failed${kinds:+ ($kinds)}, $(printf '%s ' "${lrate[@]}")req/s reached in its windows;
their median $(printf '%s ' "${lmed[@]}")ms, p99 $(printf '%s ' "${lp99[@]}")ms. $up_end of $NRS servers up at the end.
The daemon's log of the stats server: ${said:-nothing}.
Served one at a time the mix takes $cost:
past 1000 ms a second the server's threads need more than one core, and
when other work holds the second one requests queue up to the server's
connection limits (16 from one address), refused past them: the failed
requests above, and the daemon's log lines. The machine is shared: a run
while it is otherwise quiet serves the whole load.
<!-- stats: end -->
EOF
)
printf '%s\n' "$section"
bench_splice "$OUT" stats "$section"
