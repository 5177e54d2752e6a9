#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# make profile ROW='TEXT': where lbxdp's XDP program spends one pps row of
# the benchmark. Runs `bench -r TEXT` (its own namespaces, as make bench),
# samples the bench's CPU with perf while the row's rounds run (baseline
# and lbxdp in turn, as measured), and puts the samples that land in
# lbxdp_xdp on its source lines and JITed instructions. Not a measurement
# for BENCHMARKS.md: it says where the time of one goes. Needs root, perf
# (linux-perf) and objdump (binutils).
#
#   ROW=TEXT   the bench's -r: a pps row ("a stream of 10M", "established,
#              wrr VIP"); the first of its pps rows is profiled
#   TOP=N      lines and instructions shown (25)
#   CPU=N      the CPU the bench runs on (the last one)
#   BENCH_ARGS more options of the bench (-L: by the loop)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUTPUT=${OUTPUT:-.output}
PY=/usr/bin/python3
ROW=${ROW:-}
TOP=${TOP:-25}
CPU=${CPU:-$(($(getconf _NPROCESSORS_ONLN) - 1))}
read -r -a extra <<< "${BENCH_ARGS:-}"

die() {
	echo "profile: $*" >&2
	exit 1
}

[ -n "$ROW" ] || die "say which row: make profile ROW='a stream of 10M'"
[ "$(id -u)" -eq 0 ] || die "needs root (the bench, perf on a CPU)"
command -v perf > /dev/null || die "needs perf: apt-get install linux-perf"
command -v objdump > /dev/null || die "needs objdump: apt-get install binutils"
for b in bench jitdump; do
	[ -x "$OUTPUT/tests/$b" ] || die "$OUTPUT/tests/$b is missing: run 'make profile'"
done

tmp=$(mktemp -d /tmp/lbxdp-profile.XXXXXX)
bench_pid=
perf_pid=
cleanup() {
	[ -z "$perf_pid" ] || kill -TERM "$perf_pid" 2> /dev/null || true
	[ -z "$bench_pid" ] || kill -TERM "$bench_pid" 2> /dev/null || true
	wait 2> /dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# Until the bench's stderr has a line matching $1; false if the bench
# ended first or after $2 seconds.
await() {
	local i

	for ((i = 0; i < $2 * 20; i++)); do
		grep -q "$1" "$tmp/bench.err" && return 0
		kill -0 "$bench_pid" 2> /dev/null || return 1
		sleep 0.05
	done
	return 1
}

"$OUTPUT/tests/bench" -C "$CPU" -r "$ROW" "${extra[@]}" \
	> "$tmp/bench.out" 2> "$tmp/bench.err" &
bench_pid=$!
if ! await '^bench: pps rounds$' 900; then
	cat "$tmp/bench.err" >&2
	die "no pps rounds for ROW='$ROW' (is it a pps row?)"
fi
"$OUTPUT/tests/jitdump" lbxdp_xdp "$tmp/image" > "$tmp/lines"
perf record -q -o "$tmp/perf.data" -C "$CPU" -F 20000 > /dev/null 2>&1 &
perf_pid=$!
await '^bench: pps rounds done$' 900 || true
kill -TERM "$perf_pid" 2> /dev/null || true
wait "$perf_pid" || true
perf_pid=
wait "$bench_pid" || die "the bench failed: $(tail -3 "$tmp/bench.err")"
bench_pid=
grep '^| pps' "$tmp/bench.out" | head -1
perf script -i "$tmp/perf.data" -F ip,sym 2> /dev/null > "$tmp/samples"
"$PY" tests/profile/annotate.py lbxdp_xdp "$tmp/lines" "$tmp/image" \
	"$tmp/samples" "$TOP"
