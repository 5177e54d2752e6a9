#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: native generic
# A UDP service through the VIP: each datagram from a new
# source port is a new flow, split 1:2 by wrr; the servers answer from the
# VIP straight to the client (DR); a down server gets no datagrams.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init udp

UDP_PORT=5353
SVC=$LAB_VIP:$UDP_PORT/udp
N=150
e2e_lab d "$E2E_MODE"
W1=$(lab_ip web1)
W2=$(lab_ip web2)
for w in web1 web2; do
	lab_bg "$w" "udp-$w" python3 "$E2E_DIR/udp_echo.py" serve "$w" "$LAB_VIP" "$UDP_PORT"
done
lab_lbxdp vip add "$SVC"
lab_lbxdp backend add "$SVC" "$W1" --weight 1
lab_lbxdp backend add "$SVC" "$W2" --weight 2
# Wait for the servers to bind (not through the VIP: its counters must only
# see the datagrams below).
# shellcheck disable=SC2317 # called through e2e_wait
bound() { lab_exec "$1" ss -Hlun "sport = :$UDP_PORT" | grep -q .; }
for w in web1 web2; do
	e2e_wait 10 bound "$w"
done

ask() {
	timeout $((6 * $1 + 20)) ip netns exec "${LAB_PREFIX}client" \
		python3 "$E2E_DIR/udp_echo.py" ask "$LAB_VIP" "$UDP_PORT" "$1"
}

ask "$N" >"$E2E_TMP/answers"
n1=$(lab_count web1 <"$E2E_TMP/answers")
n2=$(lab_count web2 <"$E2E_TMP/answers")
nf=$(lab_count FAIL <"$E2E_TMP/answers")
check "$N datagrams to $SVC, answered from the VIP: web1 $n1, web2 $n2, failed $nf" \
	in_range $((n1 + n2)) "$N" "$N" "$nf" 0 0
check "split 1:2 within 15%: web1 $n1 (want 42-58), web2 $n2 (want 92-108)" \
	in_range "$n1" 42 58 "$n2" 92 108

lab_lbxdp -j backend list "$SVC" >"$E2E_TMP/list.json"
f1=$(e2e_field "$E2E_TMP/list.json" web1 packets)
f2=$(e2e_field "$E2E_TMP/list.json" web2 packets)
check "backend list counts every datagram forwarded: web1 $f1, web2 $f2 packets" \
	[ "$f1/$f2" = "$n1/$n2" ]

lab_lbxdp backend set "$SVC" "$W1" --down
ask 30 >"$E2E_TMP/answers"
check "web1 down: 30 datagrams all answered by web2 ($(lab_count web2 <"$E2E_TMP/answers"))" \
	[ "$(lab_count web2 <"$E2E_TMP/answers")" -eq 30 ]
e2e_done
