#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: native
# flow list, as an operator reads the flow table: connections from known
# client ports are each listed once, with the server that answered them;
# those of a backend (a draining or down one too) and backend list's FLOWS
# agree; text and JSON; entries idle past the timeout are gone; bad
# arguments are refused, naming what is wrong.
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init flow_list

N=12
PORT0=40100
e2e_lab f "$E2E_MODE"
W1=$(lab_ip web1)
W2=$(lab_ip web2)
C=$(lab_ip client)
J=$E2E_TMP/flows.json

# pairs FILE: "CLIENT_PORT SERVER" of each entry of `flow list -j` in FILE,
# sorted; fails on an entry not of the client, the service and port 80, or
# whose idle and expiry do not add up to the 900 s TCP timeout.
pairs() {
	python3 - "$1" "$C" "$LAB_SVC/tcp" <<'EOF'
import json, sys
ok = True
out = []
for e in json.load(open(sys.argv[1])):
    if (e["client"], e["service"], e["port"]) != (sys.argv[2], sys.argv[3], 80) \
       or not 899999 <= e["idle_ms"] + e["expires_ms"] <= 900000:
        print("unexpected entry:", e, file=sys.stderr)
        ok = False
    out.append("%d %s" % (e["client_port"], e["server"]))
for line in sorted(out):
    print(line)
sys.exit(0 if ok else 1)
EOF
}

rc=0
lab_lbxdp -j flow list >"$J" || rc=$?
check "before any connection: an empty JSON array, exit 0 ($(cat "$J"), $rc)" \
	eval '[ "$rc" = 0 ] && [ "$(tr -d " \n" <"$J")" = "[]" ]'

lab_hits "$N" "" "$PORT0" >"$E2E_TMP/hits"
: >"$E2E_TMP/want"
i=0
while read -r who; do
	case "$who" in
	web1 | web2) echo "$((PORT0 + i)) $(lab_ip "$who")" >>"$E2E_TMP/want" ;;
	*) diag "connection $i: $who" ;;
	esac
	i=$((i + 1))
done <"$E2E_TMP/hits"
sort -o "$E2E_TMP/want" "$E2E_TMP/want"
n1=$(grep -c " $W1\$" "$E2E_TMP/want" || true)
n2=$(grep -c " $W2\$" "$E2E_TMP/want" || true)
check "$N connections from ports $PORT0.. all answered (web1 $n1, web2 $n2)" \
	eval '[ "$((n1 + n2))" -eq "$N" ] && [ "$n1" -gt 0 ] && [ "$n2" -gt 0 ]'

lab_lbxdp -j flow list >"$J"
pairs "$J" >"$E2E_TMP/got" || not_ok "flow list -j: an entry not of the lab's connections"
check "flow list -j: each connection once, with the server that answered it" \
	cmp -s "$E2E_TMP/want" "$E2E_TMP/got"
if ! cmp -s "$E2E_TMP/want" "$E2E_TMP/got"; then
	diag "want:" "$(cat "$E2E_TMP/want")" "got:" "$(cat "$E2E_TMP/got")"
fi

for w in 1 2; do
	addr=$(lab_ip "web$w")
	lab_lbxdp -j flow list "$LAB_SVC" "$addr" >"$J"
	pairs "$J" >"$E2E_TMP/got$w" || not_ok "flow list SERVICE web$w: an entry not of the lab's connections"
	grep " $addr\$" "$E2E_TMP/want" >"$E2E_TMP/want$w" || true
	check "flow list SERVICE web$w: its $(wc -l <"$E2E_TMP/want$w") connections alone" \
		cmp -s "$E2E_TMP/want$w" "$E2E_TMP/got$w"
done
e2e_json "$E2E_TMP/list.json"
f1=$(e2e_field "$E2E_TMP/list.json" web1 flows)
f2=$(e2e_field "$E2E_TMP/list.json" web2 flows)
check "backend list counts the same flows (web1 $f1 of $n1, web2 $f2 of $n2)" \
	eval '[ "$f1" = "$n1" ] && [ "$f2" = "$n2" ]'

lab_lbxdp flow list >"$E2E_TMP/text"
diag "$(head -n 3 "$E2E_TMP/text")"
first=$(grep -c "^$LAB_SVC/tcp  *$C:$PORT0  *80  *$(awk 'NR == 1 { print $2 }' "$E2E_TMP/want") " \
	"$E2E_TMP/text" || true)
check "flow list (text): a header and $N lines; port $PORT0's names its server ($first)" \
	eval '[ "$(head -n 1 "$E2E_TMP/text" | awk "{ print \$1 }")" = SERVICE ] &&
		[ "$(wc -l <"$E2E_TMP/text")" -eq $((N + 1)) ] && [ "$first" = 1 ]'

check "backend del web1 (drains)" lab_lbxdp backend del "$LAB_SVC" "$W1"
lab_lbxdp -j flow list "$LAB_SVC" "$W1" >"$J"
pairs "$J" >"$E2E_TMP/got1" || not_ok "flow list SERVICE web1: an entry not of the lab's connections"
check "flow list SERVICE web1 while it drains: its connections still" \
	cmp -s "$E2E_TMP/want1" "$E2E_TMP/got1"
check "backend set web2 --down" lab_lbxdp backend set "$LAB_SVC" "$W2" --down
lab_lbxdp -j flow list "$LAB_SVC" "$W2" >"$J"
pairs "$J" >"$E2E_TMP/got2" || not_ok "flow list SERVICE web2: an entry not of the lab's connections"
check "flow list SERVICE web2 while it is down: its connections, until their next packets" \
	cmp -s "$E2E_TMP/want2" "$E2E_TMP/got2"

# expect CODE WORD ARGS...: lbxdp ARGS exits CODE, WORD on stderr.
# shellcheck disable=SC2317 # called through check
expect() {
	local code=$1 word=$2 rc=0
	shift 2
	lab_lbxdp "$@" >/dev/null 2>"$E2E_TMP/err" || rc=$?
	[ "$rc" -eq "$code" ] && grep -qF -- "$word" "$E2E_TMP/err"
}
check "flow list of no such service: exit 2, names it" \
	expect 2 198.18.0.99:80 flow list 198.18.0.99:80
check "flow list of no such backend: exit 2, names it" \
	expect 2 "no backend 198.18.0.250" flow list "$LAB_SVC" 198.18.0.250
check "flow list with an extra argument: exit 1, names it" \
	expect 1 "'extra'" flow list "$LAB_SVC" "$W2" extra
check "flow list of a bad service: exit 1, names it" \
	expect 1 nonsense flow list nonsense
check "flo: exit 1, ambiguous between flood and flow" \
	expect 1 ambiguous flo list
lab_lbxdp flow list -h >"$E2E_TMP/help"
check "flow list -h: usage on stdout, exit 0" grep -q '^Usage: lbxdp flow list' "$E2E_TMP/help"
# shellcheck disable=SC2317 # called through check
full() {
	local rc=0
	lab_lbxdp flow list >/dev/full 2>"$E2E_TMP/err" || rc=$?
	[ "$rc" -eq 2 ] && grep -qF "cannot write the output" "$E2E_TMP/err"
}
check "flow list into a full disk (/dev/full): exit 2, says so" full

# A timeout of 2 s: the entries go once idle past it.
lab_lbxdp timeout set tcp 2
# shellcheck disable=SC2317 # called through e2e_wait
none_left() {
	local out
	out=$(lab_lbxdp -j flow list) && [ "$(tr -d ' \n' <<<"$out")" = "[]" ]
}
e2e_wait 15 none_left
check "with the TCP timeout at 2 s, no entry is listed once idle past it" none_left
e2e_done
