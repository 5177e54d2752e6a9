#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: native generic
# kill -9 of lbxdp processes never disturbs forwarding or the tables: while a
# client makes connections without pause, kill a running `stats -w 1`, and
# churn a third backend (add/del) killing the writers mid-change. Every
# connection succeeds and `backend list` stays consistent.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init kill

ROUNDS=30
e2e_lab k "$E2E_MODE" 3
W3=$(lab_ip web3)
J=$E2E_TMP/list.json
loop_out=$E2E_TMP/loop
stop=$E2E_TMP/stop

# The client: one new connection after another until $stop exists.
# shellcheck disable=SC2016 # expanded by the inner bash
timeout 300 ip netns exec "${LAB_PREFIX}client" bash -c '
	while [ ! -e "$1" ]; do
		if out=$(curl -s --fail --connect-timeout 5 --max-time 15 "$2"); then
			printf "%s\n" "$out"
		else
			echo "FAIL($?)"
		fi
	done' client-loop "$stop" "http://$LAB_VIP/" >"$loop_out" 2>&1 &
loop_pid=$!
E2E_PIDS="$E2E_PIDS $loop_pid"
sleep 1

# lbxdp in the lb namespace, in the background, $! being lbxdp itself.
lbxdp_bg() {
	ip netns exec "${LAB_PREFIX}lb" "$LBXDP" --pin-dir "$LAB_PIN_DIR" "$@" &
}

# Bash reports each killed job ("Killed") on stderr: keep the shell's own
# stderr aside while we kill, and show what else it said afterwards.
exec 3>&2 2>"$E2E_TMP/shell.err"

# A stats watcher, killed while it runs.
lbxdp_bg stats -w 1 >"$E2E_TMP/stats.out" 2>&1
stats_pid=$!
E2E_PIDS="$E2E_PIDS $stats_pid"
# Killed once it has reported (a second after it starts; up to 10 s on a
# loaded machine).
e2e_wait 10 grep -q '^SERVICE' "$E2E_TMP/stats.out"
running=no
if kill -0 "$stats_pid" 2>/dev/null; then
	running=yes
fi
kill -9 "$stats_pid" 2>/dev/null || true
rc=0
wait "$stats_pid" || rc=$?
reports=$(grep -c '^SERVICE' "$E2E_TMP/stats.out" || true)
check "lbxdp stats -w 1 ran ($running, $reports reports) and died of kill -9 (exit $rc)" \
	[ "$running/$rc/$((reports > 0))" = yes/137/1 ]

# Churn web3: every other round the writer is killed 0-25 ms into its run
# (one takes about 20 ms).
killed=0 completed=0 refused=0
for ((r = 0; r < ROUNDS; r++)); do
	for op in add del; do
		if ((r % 2 == 0)); then
			lbxdp_bg backend "$op" "$LAB_SVC" "$W3" >/dev/null 2>>"$E2E_TMP/churn.err"
			pid=$!
			sleep "$(printf '0.%03d' $((RANDOM % 25)))"
			kill -9 "$pid" 2>/dev/null || true
			rc=0
			wait "$pid" || rc=$?
		else
			rc=0
			timeout -s KILL 20 ip netns exec "${LAB_PREFIX}lb" "$LBXDP" \
				--pin-dir "$LAB_PIN_DIR" backend "$op" "$LAB_SVC" "$W3" \
				>/dev/null 2>>"$E2E_TMP/churn.err" || rc=$?
		fi
		case "$rc" in
		0) completed=$((completed + 1)) ;;
		137) killed=$((killed + 1)) ;;
		2) refused=$((refused + 1)) ;; # e.g. add of a backend a killed add left
		*) diag "backend $op web3 exited $rc" ;;
		esac
	done
done
check "web3 add/del churn: $killed writers killed mid-run, $completed completed, $refused refused (state errors)" \
	in_range "$killed" 3 $((ROUNDS * 2)) "$completed" $((ROUNDS / 2)) $((ROUNDS * 2)) \
	$((killed + completed + refused)) $((ROUNDS * 2)) $((ROUNDS * 2))

exec 2>&3 3>&-
grep -v ' Killed ' "$E2E_TMP/shell.err" >&2 || true

other=$(grep -v -e '^Error: backend 198.18.0.13 already in ' \
	-e '^Error: backend 198.18.0.13 not in ' -e '^Warning: ' "$E2E_TMP/churn.err" || true)
check "the churn's refusals are only 'already in' / 'not in' ($(wc -l <"$E2E_TMP/churn.err") errors)" \
	[ -z "$other" ]
[ -z "$other" ] || diag "$other"

# A second past the last kill, and enough connections to mean something
# however slow the machine.
sleep 1
# shellcheck disable=SC2317 # called through e2e_wait
loop_has() { [ "$(wc -l <"$loop_out")" -ge "$1" ]; }
e2e_wait 60 loop_has 100
touch "$stop"
rc=0
wait "$loop_pid" || rc=$?
total=$(wc -l <"$loop_out")
n1=$(lab_count web1 <"$loop_out")
n2=$(lab_count web2 <"$loop_out")
n3=$(lab_count web3 <"$loop_out")
nfail=$(grep -c '^FAIL' "$loop_out" || true)
check "client loop: $total connections during the kills, $nfail failed (web1 $n1, web2 $n2, web3 $n3)" \
	in_range "$rc" 0 0 "$nfail" 0 0 $((n1 + n2 + n3)) "$total" "$total" "$total" 100 1000000
check "web1 and web2 both served during the kills (web1 $n1, web2 $n2)" \
	in_range "$n1" 1 "$total" "$n2" "$n1" "$total"

rc=0
e2e_json "$J" 2>"$E2E_TMP/list.err" || rc=$?
check "lbxdp -j backend list works after the kills (exit $rc)" [ "$rc" -eq 0 ]
if [ -s "$E2E_TMP/list.err" ]; then
	diag "backend list said: $(cat "$E2E_TMP/list.err")"
fi
verdict=$(python3 - "$J" <<'EOF'
import json, sys
svcs = json.load(open(sys.argv[1]))
bad = []
if len(svcs) != 1 or svcs[0]["service"] != "198.18.0.10:80/tcp":
    bad.append("services %s" % [s.get("service") for s in svcs])
bes = [b for s in svcs for b in s["backends"]]
by = {}
for b in bes:
    by.setdefault(b["address"], []).append(b)
for addr, weight in (("198.18.0.11", 1), ("198.18.0.12", 2)):
    got = by.get(addr, [])
    if len(got) != 1:
        bad.append("%s listed %d times" % (addr, len(got)))
    elif got[0]["state"] != "up" or got[0]["weight"] != weight:
        bad.append("%s %s weight %s" % (addr, got[0]["state"], got[0]["weight"]))
if len(by.get("198.18.0.13", [])) > 1:
    bad.append("198.18.0.13 listed %d times" % len(by["198.18.0.13"]))
extra = set(by) - {"198.18.0.11", "198.18.0.12", "198.18.0.13"}
if extra:
    bad.append("unknown backends %s" % sorted(extra))
ids = [b["id"] for b in bes]
if len(ids) != len(set(ids)):
    bad.append("duplicate ids %s" % ids)
w3 = by.get("198.18.0.13", [{}])[0].get("state", "absent")
print("consistent; web3 %s" % w3 if not bad else "; ".join(bad))
EOF
)
check "backend list consistent: web1 and web2 up once each, web3 at most once ($verdict)" \
	[ "${verdict%%;*}" = consistent ]

# And the tables still steer new flows: a clean del of web3 (if listed and
# not draining), then 30 connections split 1:2 between web1 and web2.
s3=$(e2e_field "$J" web3 state)
if [ -n "$s3" ] && [ "$s3" != draining ]; then
	lab_lbxdp backend del "$LAB_SVC" "$W3"
fi
hits=$E2E_TMP/hits
lab_hits 30 >"$hits"
check "after the kills: 30 new connections, web1 $(lab_count web1 <"$hits"), web2 $(lab_count web2 <"$hits"), failed $(grep -c '^FAIL' "$hits" || true)" \
	in_range "$(lab_count web1 <"$hits")" 5 15 "$(lab_count web2 <"$hits")" 15 25
rc=0
lab_lbxdp stats >/dev/null 2>&1 || rc=$?
check "lbxdp stats works after its watcher was killed (exit $rc)" [ "$rc" -eq 0 ]
e2e_done
