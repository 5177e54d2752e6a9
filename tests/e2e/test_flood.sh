#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: native generic
# The flood guard with real TCP: at 1 new flow a second per CPU nearly every
# connection's SYN to the (wrr) VIP is placed by Maglev without a flow entry;
# every connection still completes on one server, the split follows the
# weights, and each connection has its flow entry from its first packet
# after the SYN. Then the CLI: show, set, off, and bad values that change
# nothing.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init flood

N=300

json_num() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

d=$E2E_TMP
e2e_lab f "$E2E_MODE"

lab_lbxdp -j flood >"$d/flood0.json"
t=$(json_num "$d/flood0.json" 'd["flood_rate"]')
check "the guard is on by default at 10000 new flows/s per CPU (says $t)" [ "$t" = 10000 ]
check "lbxdp flood set 1" lab_lbxdp flood set 1
lab_lbxdp -j status >"$d/status.json"
t=$(json_num "$d/status.json" 'd["flood_rate"]')
check "status shows flood_rate 1 ($t)" [ "$t" = 1 ]

# syn_retrans: the client's SYN retransmissions so far. A SYN-ACK late by a
# second (a loaded machine) makes one; without an entry it is placed, and
# counted, again.
syn_retrans() {
	# shellcheck disable=SC2016 # awk's fields, not the shell's
	lab_exec client awk '$1 == "TcpExt:" && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == "TcpExt:" { print $c["TCPSynRetrans"] }' /proc/net/netstat
}

lab_lbxdp -j stats >"$d/stats0.json"
e2e_json "$d/before.json"
r0=$(syn_retrans)
t0=$(date +%s)
# Ports of our own: a reused one would rightly follow its old entry.
lab_hits "$N" "http://$LAB_VIP/" 20000 >"$d/hits"
secs=$(($(date +%s) - t0 + 1))
ncpu=$(nproc)
lab_lbxdp -j stats >"$d/stats1.json"
e2e_json "$d/after.json"
r=$(($(syn_retrans) - r0))
diag "SYN retransmissions: $r"

n1=$(lab_count web1 <"$d/hits")
n2=$(lab_count web2 <"$d/hits")
nfail=$(grep -c '^FAIL' "$d/hits" || true)
check "$N connections under the guard: $((n1 + n2)) answered by web1/web2, $nfail failed" \
	in_range $((n1 + n2)) "$N" "$N" "$nfail" 0 0
# Each connection's Maglev slot is as good as a coin toss of p = 1/3 for
# web1: 100 +- 8.2 over 300, and 70-130 is 3.7 sigma. The fixed ports fix
# the toss (web1 gets about 95), and an even split (150) is far outside.
check "weighted Maglev keeps 1:2: web1 $n1 (want 70-130), web2 $n2 (want 170-230)" \
	in_range "$n1" 70 130 "$n2" 170 230

sl=$(($(json_num "$d/stats1.json" 'd["events"]["flood_stateless"]') -
	$(json_num "$d/stats0.json" 'd["events"]["flood_stateless"]')))
# At most one tracked SYN a second on each CPU (the guard then holds 3 s).
check "flood_stateless +$sl: all but one SYN a second per CPU ($ncpu) over ${secs}s" \
	in_range "$sl" $((N - ncpu * (secs + 1))) $((N + r))
mr=$(($(json_num "$d/stats1.json" 'd["events"]["flow_miss_nonsyn"]') -
	$(json_num "$d/stats0.json" 'd["events"]["flow_miss_nonsyn"]')))
# Once each: a connection's next packets find the entry its first one made
# (two packets that race on two CPUs may both miss).
check "each of those connections' first packet after the SYN missed the table ($mr)" \
	in_range "$mr" $((sl - r)) $((sl + N / 20))

nf1=$(($(e2e_field "$d/after.json" web1 new_flows) - $(e2e_field "$d/before.json" web1 new_flows)))
nf2=$(($(e2e_field "$d/after.json" web2 new_flows) - $(e2e_field "$d/before.json" web2 new_flows)))
check "new_flows count each connection once: web1 +$nf1 (saw $n1), web2 +$nf2 (saw $n2), $r SYNs resent" \
	in_range "$nf1" "$n1" $((n1 + r)) "$nf2" "$n2" $((n2 + r)) $((nf1 + nf2)) "$N" $((N + r))
f1=$(($(e2e_field "$d/after.json" web1 flows) - $(e2e_field "$d/before.json" web1 flows)))
f2=$(($(e2e_field "$d/after.json" web2 flows) - $(e2e_field "$d/before.json" web2 flows)))
check "every connection has its flow entry: web1 +$f1 flows, web2 +$f2 flows, for $N" \
	in_range "$f1" "$n1" "$n1" "$f2" "$n2" "$n2"

check "lbxdp flood set off" lab_lbxdp flood set off
lab_lbxdp -j flood >"$d/flood1.json"
t=$(json_num "$d/flood1.json" 'd["flood_rate"]')
check "the guard is off (rate $t)" [ "$t" = 0 ]
t=$(lab_lbxdp flood)
check "lbxdp flood says off ('$t')" grep -q 'off' <<<"$t"

for bad in "set 0" "set -5" "set lots" "set 100000001" "set 10 20" "bogus" "set"; do
	# shellcheck disable=SC2086 # the words are the arguments
	err=$(lab_lbxdp flood $bad 2>&1 >/dev/null) && rc=0 || rc=$?
	check "lbxdp flood $bad exits 1 and says why ('$err')" \
		[ "$rc" = 1 -a -n "$err" ]
done
lab_lbxdp -j flood >"$d/flood2.json"
t=$(json_num "$d/flood2.json" 'd["flood_rate"]')
check "the bad commands left the guard off (rate $t)" [ "$t" = 0 ]

lab_lbxdp -j stats >"$d/stats2.json"
lab_hits 30 >"$d/hits2"
lab_lbxdp -j stats >"$d/stats3.json"
n=$(($(lab_count web1 <"$d/hits2") + $(lab_count web2 <"$d/hits2")))
sl=$(($(json_num "$d/stats3.json" 'd["events"]["flood_stateless"]') -
	$(json_num "$d/stats2.json" 'd["events"]["flood_stateless"]')))
mr=$(($(json_num "$d/stats3.json" 'd["events"]["flow_miss_nonsyn"]') -
	$(json_num "$d/stats2.json" 'd["events"]["flow_miss_nonsyn"]')))
check "guard off: 30 connections answered ($n), every SYN tracked (flood_stateless +$sl, misses +$mr)" \
	in_range "$n" 30 30 "$sl" 0 0 "$mr" 0 0
e2e_done
