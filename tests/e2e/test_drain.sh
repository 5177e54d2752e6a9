#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: native generic
# backend del drains: long-lived connections on the removed server finish
# with the right content, new connections avoid it, backend list shows it
# draining with active flows, then active 0, then the record is freed once
# no flow refers to it (tcp timeout) and a writer collects it.
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init drain

TCP_TMO=6
ACTIVE=3
NDL=3
RATE=120000 # bytes/s; big.bin is 2 MiB: about 17 s per download, so they
# still run at the mid-drain check however slow the steps before it

e2e_lab d "$E2E_MODE" 3
W1=$(lab_ip web1)
W2=$(lab_ip web2)
W3=$(lab_ip web3)
J=$E2E_TMP/list.json
BIG=$(lab_state)/www/web1/big.bin
lab_lbxdp timeout set tcp "$TCP_TMO" active "$ACTIVE"

# Quiesce web2 so the long downloads land on web1, then restore it.
lab_lbxdp backend set "$LAB_SVC" "$W2" --weight 0
dl_pids=()
for ((i = 1; i <= NDL; i++)); do
	timeout 60 ip netns exec "${LAB_PREFIX}client" python3 "$E2E_DIR/slowget.py" \
		"$LAB_VIP" 80 /big.bin "$E2E_TMP/dl$i" "$RATE" 2>"$E2E_TMP/dl$i.err" &
	dl_pids+=("$!")
	E2E_PIDS="$E2E_PIDS $!"
done
# shellcheck disable=SC2317 # called through e2e_wait
started() { [ "$(stat -c %s "$E2E_TMP/dl$1" 2>/dev/null || echo 0)" -ge 5 ]; }
first=""
for ((i = 1; i <= NDL; i++)); do
	e2e_wait 5 started "$i"
	first="$first $(head -n 1 "$E2E_TMP/dl$i" 2>/dev/null || echo none)"
done
lab_lbxdp backend set "$LAB_SVC" "$W2" --weight 2
check "$NDL slow downloads started on web1 (first lines:$first)" \
	[ "$first" = "$(printf ' web1%.0s' $(seq "$NDL"))" ]
e2e_json "$J"
a=$(e2e_field "$J" web1 active)
check "web1 shows $NDL active flows before the del (active $a)" [ "$a" = "$NDL" ]

check "backend del web1 succeeds" lab_lbxdp backend del "$LAB_SVC" "$W1"
t_del=$(date +%s)
e2e_json "$J"
s=$(e2e_field "$J" web1 state)
a=$(e2e_field "$J" web1 active)
check "web1 listed as draining with active > 0 right after del (state '$s', active $a)" \
	eval '[ "$s" = draining ] && in_range "$a" 1 "$NDL"'

hits=$E2E_TMP/hits
lab_hits 30 >"$hits"
n2=$(lab_count web2 <"$hits")
check "30 new connections during the drain all go to web2 (web2 $n2, web1 $(lab_count web1 <"$hits"), failed $(grep -c '^FAIL' "$hits" || true))" \
	[ "$n2" -eq 30 ]

# Half way through the downloads: still draining, still active.
sleep 3
running=0
for pid in "${dl_pids[@]}"; do
	if kill -0 "$pid" 2>/dev/null; then
		running=$((running + 1))
	fi
done
e2e_json "$J"
s=$(e2e_field "$J" web1 state)
a=$(e2e_field "$J" web1 active)
check "$(($(date +%s) - t_del)) s after del, with $running downloads running: web1 draining, active $a > 0" \
	eval '[ "$running" -gt 0 ] && [ "$s" = draining ] && [ "$a" -gt 0 ]'

fails=0
for ((i = 1; i <= NDL; i++)); do
	rc=0
	wait "${dl_pids[$((i - 1))]}" || rc=$?
	if [ "$rc" -ne 0 ] || ! cmp -s "$E2E_TMP/dl$i" "$BIG"; then
		fails=$((fails + 1))
		diag "download $i: slowget exit $rc, $(stat -c %s "$E2E_TMP/dl$i" 2>/dev/null || echo 0) of $(stat -c %s "$BIG") bytes, $(tail -n 1 "$E2E_TMP/dl$i.err")"
	fi
done
t_end=$(date +%s)
check "the $NDL downloads from the drained web1 completed, byte for byte ($((t_end - t_del)) s after del; $fails bad)" \
	[ "$fails" -eq 0 ]

# active falls to 0 within the active window (+ slack) after the last packet.
a=""
for ((t = 0; t < (ACTIVE + 4) * 4; t++)); do
	e2e_json "$J"
	a=$(e2e_field "$J" web1 active)
	[ "$a" = 0 ] && break
	sleep 0.25
done
check "web1's active count reaches 0 after the downloads ($(($(date +%s) - t_end)) s, window ${ACTIVE} s; active '$a')" \
	[ "$a" = 0 ]
s=$(e2e_field "$J" web1 state)
check "web1 still listed as draining while its idle flows are within the tcp timeout (state '$s')" \
	[ "$s" = draining ]

# After the tcp timeout no flow refers to web1: the next gc frees it.
f=""
for ((t = 0; t < (TCP_TMO + 4) * 4; t++)); do
	e2e_json "$J"
	f=$(e2e_field "$J" web1 flows)
	[ -z "$f" ] || [ "$f" = 0 ] && break
	sleep 0.25
done
check "web1's flows reach 0 within the tcp timeout ($(($(date +%s) - t_end)) s after the downloads; flows '$f')" \
	eval '[ -z "$f" ] || [ "$f" = 0 ]'
e2e_json "$J"
if [ -z "$(e2e_field "$J" web1 state)" ]; then
	diag "backend list itself freed web1's record"
else
	diag "web1 still listed after its flows expired; the next writer (backend add) collects it"
fi
check "backend add web3 succeeds" lab_lbxdp backend add "$LAB_SVC" "$W3" --weight 1
e2e_json "$J"
s=$(e2e_field "$J" web1 state)
s3=$(e2e_field "$J" web3 state)
check "web1's drained record is gone, web3 is up (web1 '$s', web3 '$s3')" \
	eval '[ -z "$s" ] && [ "$s3" = up ]'

lab_hits 30 >"$hits"
n1=$(lab_count web1 <"$hits")
n2=$(lab_count web2 <"$hits")
n3=$(lab_count web3 <"$hits")
check "30 connections after: web1 $n1 (want 0), web2 $n2 (want 20), web3 $n3 (want 10)" \
	in_range "$n1" 0 0 "$n2" 15 25 "$n3" 5 15 $((n2 + n3)) 30 30
e2e_done
