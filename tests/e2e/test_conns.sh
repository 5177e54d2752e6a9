#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: native generic
# CONNS (10000) long-lived connections through two VIPs, half to an mh one
# and half to a wrr one, each exchanging a line a second with its server
# (tests/e2e/conns.py), while the CLI adds a server (then a second wave of
# connections opens), drains one (backend del), re-weights one, takes one
# down and quiesces one (weight 0). After each change every live
# connection has two more answers before the next. Every connection of a
# server that stayed up must end with all its answers, from its server, in
# order: no reset, no timeout (10 s a round), no answer from another.
# Those of the server taken down are re-scheduled (README, backend states)
# and only counted.
#   CONNS=N        connections in all (even, at most 12000)
#   CONNS_PERIOD=S seconds between a connection's lines (default 1)
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # predicates are called through e2e_wait
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init conns

CONNS=${CONNS:-10000}
PERIOD=${CONNS_PERIOD:-1}
ROUND_TMO=10
if ! [[ "$CONNS" =~ ^[0-9]+$ ]] || [ $((CONNS % 2)) -ne 0 ] ||
	[ "$CONNS" -lt 20 ] || [ "$CONNS" -gt 12000 ]; then
	echo "not ok - conns: CONNS must be even, 20-12000, not '$CONNS'"
	exit 1
fi
# A socket a connection in the client, up to all of a VIP's in a server.
ulimit -n $((CONNS + 4096))

T0=$SECONDS
e2e_lab c "$E2E_MODE" 5
MH=$LAB_VIP:9001
WRR=$LAB_VIP:9002
PER_VIP=$((CONNS / 2))
WAVE1=$((PER_VIP * 4 / 5)) # before any change; the rest after the add
WAVE2=$((PER_VIP - WAVE1))
OUT=$E2E_TMP/conns
mkdir -p "$OUT"
declare -A W
for i in 1 2 3 4 5; do
	W[web$i]=$(lab_ip "web$i")
done

for i in 1 2 3 4 5; do
	lab_sysctl "web$i" net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
	lab_bg "web$i" "conns-web$i" python3 "$E2E_DIR/conns.py" serve "web$i" 9001 9002
done
srv_ready() {
	local i
	for i in 1 2 3 4 5; do
		grep -q '^ready' "$(lab_state)/conns-web$i.log" 2>/dev/null || return 1
	done
}
e2e_wait 20 srv_ready
check "the line servers listen on web1-web5" srv_ready

# web1-web4 in both VIPs; web5 comes later.
for svc in "$MH/mh" "$WRR/wrr"; do
	lab_lbxdp vip add "${svc%/*}" --sched "${svc##*/}"
	lab_lbxdp backend add "${svc%/*}" "${W[web1]}" --weight 1
	lab_lbxdp backend add "${svc%/*}" "${W[web2]}" --weight 2
	lab_lbxdp backend add "${svc%/*}" "${W[web3]}" --weight 1
	lab_lbxdp backend add "${svc%/*}" "${W[web4]}" --weight 1
done

# prog KEY: a number from the client's progress file (-1 before it has one).
prog() {
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print -1 }' \
		"$OUT/progress" 2>/dev/null || echo -1
}

# Client source ports, their own range below the kernel's (32768-): mh
# 20000-, wrr 20000+PER_VIP-; each VIP's second wave after its first.
lab_bg client conns-client python3 "$E2E_DIR/conns.py" client "$OUT" \
	"$LAB_VIP" "$(lab_ip client)" "$PERIOD" "$ROUND_TMO" \
	"9001:$WAVE1:20000:0" "9001:$WAVE2:$((20000 + WAVE1)):2" \
	"9002:$WAVE1:$((20000 + PER_VIP)):0" "9002:$WAVE2:$((20000 + PER_VIP + WAVE1)):2"
CLIENT=$LAB_BG_PID

# settled N: the client has seen mark N, opens nothing, and every live
# connection has two answers since.
settled() {
	[ "$(prog mark)" = "$1" ] && [ "$(prog opening)" = 0 ] &&
		[ "$(prog behind)" = 0 ] && [ "$(prog conns)" -gt 0 ]
}

step=0
# change WHAT: after the change made just before, mark it and wait (60 s at
# most) until every live connection has had two answers since.
change() {
	local t=$SECONDS
	step=$((step + 1))
	touch "$OUT/mark-$step"
	e2e_wait 60 settled "$step"
	check "$1: every live connection answered twice since ($((SECONDS - t)) s; live $(prog live), ended $(prog ended))" \
		settled "$step"
}

t=$SECONDS
e2e_wait 300 eval '[ "$(prog conns)" = $((2 * WAVE1)) ] && settled 0'
check "$((2 * WAVE1)) connections open, each answered twice ($((SECONDS - t)) s; live $(prog live), ended $(prog ended))" \
	eval '[ "$(prog live)" = $((2 * WAVE1)) ]'
t_run=$SECONDS

for svc in "$MH" "$WRR"; do
	lab_lbxdp backend add "$svc" "${W[web5]}" --weight 1
done
change "backend add web5"
touch "$OUT/wave-2"
t=$SECONDS
e2e_wait 120 eval '[ "$(prog conns)" = "$CONNS" ] && [ "$(prog opening)" = 0 ]'
change "$((2 * WAVE2)) more connections ($((SECONDS - t)) s to open)"
for svc in "$MH" "$WRR"; do
	lab_lbxdp backend del "$svc" "${W[web1]}"
done
change "backend del web1 (drain)"
for svc in "$MH" "$WRR"; do
	lab_lbxdp backend set "$svc" "${W[web2]}" --weight 3
done
change "backend set web2 --weight 3"
for svc in "$MH" "$WRR"; do
	lab_lbxdp backend set "$svc" "${W[web4]}" --down
done
change "backend set web4 --down"
for svc in "$MH" "$WRR"; do
	lab_lbxdp backend set "$svc" "${W[web3]}" --weight 0
done
change "backend set web3 --weight 0 (quiesce)"

touch "$OUT/stop"
client_gone() { ! kill -0 "$CLIENT" 2>/dev/null; }
e2e_wait $((ROUND_TMO + 20)) client_gone
check "the client closed every connection and wrote its result" \
	eval 'client_gone && [ "$(grep -c . "$OUT/result")" = "$CONNS" ]'
diag "$CONNS connections ($E2E_MODE): $((SECONDS - t_run)) s of changes, $((SECONDS - T0)) s in all"
R=$OUT/result
if [ ! -s "$R" ]; then
	diag "no result; the client's log:" "$(tail -20 "$(lab_state)/conns-client.log")"
	e2e_done
fi

# The result, a line a connection: PORT WAVE SPORT SERVER ROUNDS STATUS
# MARK DETAIL. Per VIP and server: connections (first wave+second), ok,
# and each way they ended otherwise.
for port in 9001 9002; do
	awk -v p="$port" '$1 == p {
		n[$4]++; w[$4, $2]++; st[$4, $6]++; s[$4]; all[$6]
	} END {
		for (h in s) {
			line = sprintf("%s: %d (%d+%d)", h, n[h], w[h, 0], w[h, 2])
			for (x in all)
				if (st[h, x])
					line = line sprintf(", %s %d", x, st[h, x])
			print line
		}
	}' "$R" | sort | sed "s/^/$port /" | while IFS= read -r line; do
		diag "$line"
	done
done
# Each unexpected end, the first 10 (counted in awk: head would end the
# pipe early, and pipefail the test with it).
awk '$4 != "web4" && $6 != "ok" && n++ < 10' "$R" | while IFS= read -r line; do
	diag "unexpected: $line"
done

count() { awk "$1" "$R" | grep -c . || true; }
for port in 9001 9002; do
	sched=mh
	[ "$port" = 9001 ] || sched=wrr
	shares=""
	for i in 1 2 3 4; do
		shares="$shares $(count "\$1 == $port && \$2 == 0 && \$4 == \"web$i\"")"
	done
	n5=$(count "\$1 == $port && \$2 == 2 && \$4 == \"web5\"")
	# Weights 1:2:1:1: each server's share of the first wave at least half
	# its due, so that each change meets connections.
	lo=$((WAVE1 / 10))
	read -r s1 s2 s3 s4 <<<"$shares"
	check "$sched: first wave on web1-web4 by 1:2:1:1 ($shares of $WAVE1), second wave on web5 too ($n5 of $WAVE2)" \
		in_range "$s1" "$lo" "$WAVE1" "$s2" $((2 * lo)) "$WAVE1" "$s3" "$lo" "$WAVE1" \
		"$s4" "$lo" "$WAVE1" "$n5" 1 "$WAVE2"
	stayed=$(count "\$1 == $port && \$4 != \"web4\"")
	ok=$(count "\$1 == $port && \$4 != \"web4\" && \$6 == \"ok\"")
	down=$(count "\$1 == $port && \$4 == \"web4\"")
	broken=$(count "\$1 == $port && \$4 == \"web4\" && \$6 != \"ok\"")
	check "$sched: every connection of a server that stayed up survived ($ok of $stayed; web4's, taken down: $broken of $down broken)" \
		[ "$ok" = "$stayed" ]
done
e2e_done
