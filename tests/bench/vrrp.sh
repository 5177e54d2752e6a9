#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The VRRP benchmark (part of make bench): how long the backup of a pair
# takes to become master when the master stops cleanly (SIGTERM: it sends
# priority 0) and when it is killed (kill -9 of its process group), for a
# pair of lbxdp daemons and a pair of keepalived in the same run, rounds
# interleaved so that both see the same load. The lab and the measure are
# tests/e2e/test_vrrp_pair.sh's (tests/e2e/vrrp_lib.sh): the seed's files,
# priorities 100/50, advert_int 1, VRRP v2, times from the adverts' kernel
# receive times on a third namespace. Writes the "VRRP takeover" section
# of BENCHMARKS.md. Needs root; namespaces lbxb<pid>p1-*, addresses from
# 198.18.0.0/15, removed on exit.
#
#   BENCH_ROUNDS=N   rounds of each implementation and event (default 5)
#   BENCH_OUT=FILE   the report (default BENCHMARKS.md)
# shellcheck disable=SC2016 # e2e_wait eval '...' expands when polled
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${BENCH_OUT:-BENCHMARKS.md}
ROUNDS=${BENCH_ROUNDS:-5}

[ "$(id -u)" -eq 0 ] || {
	echo "bench: needs root" >&2
	exit 1
}
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh
E2E_BASE=lbxb
e2e_init vrrp_bench
# shellcheck source=tests/e2e/vrrp_lib.sh
source tests/e2e/vrrp_lib.sh

fail() {
	echo "bench: $*" >&2
	for lb in lb1 lb2; do
		[ -n "${LOG[$lb]:-}" ] && tail -n 20 "${LOG[$lb]}" >&2
	done
	exit 1
}

# takeover IMPL stop|kill: a fresh pair of IMPL (lb1 master, lb2 backup,
# settled: lb2 has heard lb1 since it became backup), then lb1 stopped or
# killed; TAKEOVER_US: lb2's takeover in microseconds (takeover_us).
takeover() {
	local m how=$2 # e2e_wait's eval sees its own $2
	IMPL[lb1]=$1 IMPL[lb2]=$1
	lb_start lb1 "$C_M"
	e2e_wait 10 eval '[ "$(holders)" = lb1 ]'
	lb_start lb2 "$C_B"
	e2e_wait 15 backup_ready lb2
	m=$(mark)
	e2e_wait 5 eval '[ "$(sent_since "$m" lb1)" -ge 2 ]'
	if ! backup_ready lb2 || [ "$(holders)" != lb1 ] ||
		[ "$(sent_since "$m" lb1)" -lt 2 ] || [ "$(sent_since "$m" lb2)" != 0 ]; then
		fail "$1 pair did not settle (holders: $(holders))"
	fi
	m=$(mark)
	if [ "$how" = stop ]; then
		lb_stop lb1 TERM
	else
		lb_stop lb1 KILL
	fi
	e2e_wait 10 eval '[ -n "$(takeover_us "$m" lb1 lb2 "$how")" ]'
	TAKEOVER_US=$(takeover_us "$m" lb1 lb2 "$how")
	[ -n "$TAKEOVER_US" ] || fail "$1 $how: lb2 did not take over within 10 s"
	lb_stop lb2
	vip_clear lb1
	vip_clear lb2
}

V=2
C_M=$E2E_TMP/master.conf
C_B=$E2E_TMP/backup.conf
mkconf "$C_M" master
mkconf "$C_B" backup
pair_lab p1
declare -A US
for ((r = 1; r <= ROUNDS; r++)); do
	for impl in lbxdp ka; do
		for mode in stop kill; do
			takeover "$impl" "$mode"
			US[$impl$mode]="${US[$impl$mode]:-} $TAKEOVER_US"
			diag "round $r: $impl, $mode: $(sec "$TAKEOVER_US") s"
		done
	done
done
keep
lab_down "$LAB_PREFIX"
LAB_PREFIX=""

SKEW=$(skew_us 50)
MDI=$(mdi_us 50)
KILL_AIM=$((MDI + 50000))
# row EVENT stop|kill: its table row, with the aim's verdict for lbxdp.
row() {
	local lx ka ratio aim met=missed
	# shellcheck disable=SC2086 # the lists of values
	read -r -a lx <<<"$(bench_stats ${US[lbxdp$2]})"
	# shellcheck disable=SC2086
	read -r -a ka <<<"$(bench_stats ${US[ka$2]})"
	ratio=$(awk -v a="${lx[1]}" -v b="${ka[1]}" 'BEGIN { printf "%.3f", a / b }')
	if [ "$2" = stop ]; then
		[ "${lx[1]}" -le "${ka[1]}" ] && met=met
		aim="median no slower than keepalived's ($met)"
	else
		[ "${lx[2]}" -le "$KILL_AIM" ] && met=met
		aim="every round <= Master_Down_Interval + 50 ms = $(sec "$KILL_AIM") s ($met)"
	fi
	printf '| %s | %s s | %s .. %s s | %s s | %s .. %s s | %sx | %s |' "$1" \
		"$(sec "${lx[1]}")" "$(sec "${lx[0]}")" "$(sec "${lx[2]}")" \
		"$(sec "${ka[1]}")" "$(sec "${ka[0]}")" "$(sec "${ka[2]}")" \
		"$ratio" "$aim"
}
section=$(
	cat <<EOF
<!-- vrrp: begin (tests/bench/vrrp.sh) -->
## VRRP takeover

\`tests/bench/vrrp.sh\` (run by \`make bench\`), commit $(git describe --always --dirty 2>/dev/null || echo unknown),
$(keepalived --version 2>&1 | head -1 | cut -d' ' -f1-2).
A pair on one bridge in namespaces (tests/e2e/vrrp_lib.sh, as
\`test_vrrp_pair.sh\`): LB1 on the seed's master file (priority 100), LB2 on
its backup file (priority 50), advert_int 1, VRRP v2, addresses changed only;
both \`lbxdp daemon\`, or both keepalived (\`-P\`: VRRP only), each in a
session of its own. $ROUNDS rounds of each pair and event, interleaved in this
one run, each from a fresh start. Takeover is read from the kernel receive
times of the adverts on a third namespace: from the master's priority 0
advert (clean stop: SIGTERM to the main process) or its last advert (kill -9
of its process group, keepalived's VRRP child with it; the RFC's timer runs
from that advert, and the kill lands anywhere in the second after it) to the
backup's first advert as master. For the backup (priority 50) Skew_Time is
(256 − 50)/256 = $(sec "$SKEW") s and Master_Down_Interval 3 × 1 + Skew_Time =
$(sec "$MDI") s: the RFC's takeover on a clean stop and on a kill.

| takeover | lbxdp median | lbxdp min .. max | keepalived median | keepalived min .. max | lbxdp / keepalived (medians) | aim for lbxdp |
| --- | ---: | ---: | ---: | ---: | ---: | --- |
$(row "clean stop (SIGTERM)" stop)
$(row "kill -9 (process group)" kill)
<!-- vrrp: end -->
EOF
)
printf '%s\n' "$section"
bench_splice "$OUT" vrrp "$section"
e2e_done
