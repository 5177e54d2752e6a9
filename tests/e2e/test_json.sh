#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# -j means JSON on stdout, for every command: each write command prints
# one JSON document (the object written, as the listings show it, or null
# when nothing is left to show), help is JSON or nothing, an error leaves
# stdout empty, and stats -w is one JSON document a line (JSON Lines).
# shellcheck disable=SC2317 # predicates are called through check
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init json

e2e_lab j generic
W1=$(lab_ip web1)
W2=$(lab_ip web2)
SVC2=198.18.0.10:81/tcp

# jrun ARGS...: lbxdp -j ARGS in the lab, stdout in $E2E_TMP/out; its status.
jrun() {
	lab_lbxdp -j "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
}

# is_json FILE [EXPR]: FILE is exactly one JSON document (and EXPR, Python
# over it as o, holds).
is_json() {
	/usr/bin/python3 -c 'import json, sys
o = json.load(open(sys.argv[1]))
sys.exit(0 if len(sys.argv) < 3 or eval(sys.argv[2]) else 1)' "$@" 2>/dev/null
}

# write_json WHAT EXPR ARGS...: lbxdp -j ARGS succeeds and prints one JSON
# document for which EXPR holds.
write_json() {
	local what=$1 expr=$2 rc=0
	shift 2
	jrun "$@" || rc=$?
	check "-j $*: exit $rc, stdout is JSON: $what ($(head -c 300 "$E2E_TMP/out"))" \
		is_json "$E2E_TMP/out" "$expr"
}

write_json "the status, attached" 'o["attached"] is True and o["interface"] == "eth0"' \
	attach eth0 --mode generic
write_json "the service written" \
	'o["service"] == "'$SVC2'" and o["sched"] == "mh" and o["persist"] == 5' \
	vip add $SVC2 --sched mh --persist 5
write_json "the backend written" \
	'o["service"] == "'$SVC2'" and o["address"] == "'"$W1"'" and o["weight"] == 3 and o["state"] == "up"' \
	backend add $SVC2 "$W1" --weight 3
write_json "the backend written, with a --mac" \
	'o["address"] == "'"$W2"'" and o["mac"] == "02:00:00:00:00:0c"' \
	backend add $SVC2 "$W2" --mac 02:00:00:00:00:0c
write_json "the backend changed" \
	'o["address"] == "'"$W1"'" and o["weight"] == 7 and o["state"] == "down"' \
	backend set $SVC2 "$W1" --weight 7 --down
# A deleted backend drains, flows or none (backend list frees it later).
write_json "the backend draining, without flows" \
	'o["address"] == "'"$W2"'" and o["state"] == "draining" and o["flows"] == 0' \
	backend del $SVC2 "$W2"
# With flows too.
lab_hits 6 >"$E2E_TMP/hits"
write_json "the backend draining, with its flows" \
	'o["address"] == "'"$W2"'" and o["state"] == "draining" and o["flows"] > 0' \
	backend del "$LAB_SVC" "$W2"
write_json "the timeouts" 'o == {"tcp": 100, "udp": 300, "active": 20}' \
	timeout set tcp 100 active 20
write_json "the flood rate" 'o == {"flood_rate": 500}' flood set 500
write_json "the flood guard off" 'o == {"flood_rate": 0}' flood set off
write_json "null" 'o is None' vip del $SVC2
write_json "null" 'o is None' detach eth0
write_json "the status, attached again" 'o["attached"] is True' \
	attach eth0 --mode generic

# Help: JSON or nothing on stdout, wherever it is asked for.
for h in "help" "-h" "vip help" "vip -h" "vip add -h" "backend help" \
	"backend set -h" "attach -h" "detach -h" "status -h" "stats -h" \
	"timeout -h" "timeout set -h" "flood -h" "vip" "backend"; do
	rc=0
	# shellcheck disable=SC2086 # split the command into words
	jrun $h || rc=$?
	if [ -s "$E2E_TMP/out" ]; then
		check "-j $h: exit $rc, stdout is JSON with the usage" \
			is_json "$E2E_TMP/out" '"Usage: lbxdp" in o["usage"]'
	else
		check "-j $h: exit $rc, stdout empty" true
	fi
done

# An error prints nothing on stdout.
for e in "vip add 198.18.0.10:99999" "backend add $LAB_SVC $W1" \
	"attach nosuch0" "timeout set tcp 0"; do
	rc=0
	# shellcheck disable=SC2086 # split the command into words
	jrun $e || rc=$?
	# shellcheck disable=SC2016 # expands when checked
	check "-j $e: refused (exit $rc), stdout empty" \
		eval '[ "$rc" != 0 ] && [ ! -s "$E2E_TMP/out" ]'
done

# stats -w -j: JSON Lines, one document a line, each flushed on its own.
stats_lines() {
	/usr/bin/python3 -c 'import json, sys
lines = open(sys.argv[1]).read().splitlines()
docs = [json.loads(l) for l in lines]
sys.exit(0 if len(docs) == 2 and all(
    "interval" in d and "reasons" in d and "vips" in d for d in docs) else 1)' "$1" 2>/dev/null
}
jrun stats -w 1 -c 2
check "-j stats -w 1 -c 2: two lines, each one JSON document ($(wc -l <"$E2E_TMP/out") lines)" \
	stats_lines "$E2E_TMP/out"
e2e_done
