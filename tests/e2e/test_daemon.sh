#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: native generic
# lbxdp daemon with the seed's keepalived.conf, addresses and timers
# changed only: it attaches by itself, splits 1:2, takes a server whose
# listener stops out after its keepalived bound and back within a
# delay_loop, keeps an operator's --down over passing checks, reloads a
# weight without breaking a connection, refuses a bad file and keeps
# running, and a kill -9 and restart lose no flow and flap no server.
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # e2e_daemon_ready and state run through e2e_wait
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init daemon

SEED=$LAB_ROOT/tests/e2e/seed-master.conf
# The seed's timers, shortened: delay_loop 6 -> 1, connect_timeout 3 -> 1,
# nb_get_retry 3 -> 2, delay_before_retry 3 -> 1. A refused connection
# takes a server down after delay_loop + retry x delay_before_retry.
DELAY=1
RETRY=2
DBR=1
BOUND=$((DELAY + RETRY * DBR))

e2e_daemon_lab m "$E2E_MODE"
W1=$(lab_ip web1)
W2=$(lab_ip web2)
CONF=$E2E_TMP/lbxdp.conf
hits=$E2E_TMP/hits
ST=$(lab_state)

sed -e "s/192\.168\.4\.15/$LAB_VIP/; s/192\.168\.4\.100/$W1/; s/192\.168\.4\.200/$W2/" \
	-e "s/delay_loop 6/delay_loop $DELAY/; s/connect_timeout 3/connect_timeout 1/" \
	-e "s/nb_get_retry 3/nb_get_retry $RETRY/; s/delay_before_retry 3/delay_before_retry $DBR/" \
	"$SEED" >"$CONF"
# The lab's XDP mode (an lbxdp extension block; the default is native).
printf 'lbxdp_xdp {\n    mode %s\n}\n' "$E2E_MODE" >>"$CONF"

summary() {
	echo "web1 $(lab_count web1 <"$1"), web2 $(lab_count web2 <"$1"), failed $(grep -c '^FAIL' "$1" || true)"
}

# state HOST: the backend record's state in the maps.
state() {
	lab_lbxdp -j backend list >"$E2E_TMP/list.json" 2>/dev/null || return 0
	lab_json_backend "$E2E_TMP/list.json" "$(lab_ip "$1")" state
}

start_daemon() {
	lab_bg lb "daemon$1" "$LBXDP" --pin-dir "$LAB_PIN_DIR" daemon -f "$CONF"
	DAEMON_PID=$LAB_BG_PID
	E2E_PIDS="${E2E_PIDS:-} $DAEMON_PID"
}


web_pid() {
	awk -v n="http-$1" '$2 == n { p = $1 } END { print p }' "$ST/pids"
}


check "daemon -t: the seed's file is good (exit 0)" \
	lab_lbxdp daemon -t -f "$CONF"
check "daemon status without a daemon: exit 2" \
	eval '! lab_lbxdp daemon status 2>/dev/null'

start_daemon 1
e2e_wait 20 e2e_daemon_ready
check "daemon attaches by itself and says ready" e2e_daemon_ready
if ! e2e_daemon_ready; then
	diag "$(cat "$ST/daemon1.log")"
	exit 1
fi
# The seed's vrrp_instance (state MASTER, no peer here) starts as backup,
# which removes the lab's VIP, and is master after Master_Down_Interval.
master() { lab_lbxdp -j daemon status 2>/dev/null | grep -q '"state": *"MASTER"'; }
e2e_wait 20 master
check "the seed's vrrp_instance, alone, is MASTER" master
check "a second daemon on the pin dir refuses, naming the first's pid" \
	eval "! LAB_LBXDP_TIMEOUT=10 lab_lbxdp daemon -f '$CONF' 2>'$E2E_TMP/second.err' &&
		grep -q 'pid $DAEMON_PID' '$E2E_TMP/second.err'"

lab_hits 30 >"$hits"
check "the seed's weights split 30 connections 1:2 ($(summary "$hits"))" \
	in_range "$(lab_count web1 <"$hits")" 5 15 "$(lab_count web2 <"$hits")" 15 25 \
	"$(grep -c '^FAIL' "$hits" || true)" 0 0

# Connections held open (slowget.py's HOLD: the first line read, then the
# window closed until RELEASE exists) across web2's fall and return, each
# from a source port of its own. Those on web1 must end whole: two opened
# before (wrr places them: opened one by one until two are on web1), and
# four opened while web2 is down (all on web1; had their flows been lost
# when web2 came back, wrr would place most of them on web2: reset).
RELEASE=$E2E_TMP/release
held_pids=()
held_names=()
has_line() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge 1 ]; }
# hold_open NAME PORT: one held download; prints its first line (the server).
hold_open() {
	timeout 600 ip netns exec "${LAB_PREFIX}client" python3 \
		"$E2E_DIR/slowget.py" "$LAB_VIP" 80 /big.bin "$E2E_TMP/held$1" \
		100000000 "$2" "$RELEASE" 2>"$E2E_TMP/held$1.err" &
	held_pids+=("$!")
	held_names+=("$1")
	E2E_PIDS="$E2E_PIDS $!"
	e2e_wait 10 has_line "$E2E_TMP/held$1"
	on="$on $(head -n 1 "$E2E_TMP/held$1" 2>/dev/null || echo none)"
}
on=""
for ((i = 0; i < 20; i++)); do
	hold_open "a$i" $((20100 + i))
	[ "$(grep -o web1 <<<"$on" | wc -l)" -lt 2 ] || break
done
check "held connections open before web2 stops, two on web1 (on:$on)" \
	eval '[ "$(grep -o web1 <<<"$on" | wc -l)" -eq 2 ] && [[ "$on" != *none* ]]'

# web2's listener stops: refused connections take it down, not sooner
# than retry x delay_before_retry (the checker's own timers), and within
# a bound the test gives slack for the machine.
kill "$(web_pid web2)"
t0=$(date +%s%N)
e2e_wait $((BOUND * 3 + 2)) eval '[ "$(state web2)" = down ]'
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
check "web2's listener stopped: down in the maps after $ms ms (bound ${BOUND}s)" \
	eval '[ "$(state web2)" = down ] && [ "$ms" -ge $((RETRY * DBR * 1000)) ]'
lab_hits 20 >"$hits"
check "web2 down: 20 new connections all to web1 ($(summary "$hits"))" \
	[ "$(lab_count web1 <"$hits")" -eq 20 ]
on=""
for ((i = 0; i < 4; i++)); do
	hold_open "b$i" $((20200 + i))
done
check "web2 down: 4 held connections opened now all on web1 (on:$on)" \
	[ "$on" = " web1 web1 web1 web1" ]

lab_web_start web2 "$ST/www/web2"
e2e_wait $((DELAY * 3 + 3)) eval '[ "$(state web2)" = up ]'
check "web2's listener back: up again within a delay_loop or so" \
	[ "$(state web2)" = up ]
lab_hits 10 "http://$LAB_VIP/" 20300 >"$hits"
check "web2 back: it gets new connections again ($(summary "$hits"))" \
	in_range "$(lab_count web2 <"$hits")" 1 10 "$(grep -c '^FAIL' "$hits" || true)" 0 0
touch "$RELEASE"
bad=""
whole=0
for ((i = 0; i < ${#held_pids[@]}; i++)); do
	n=${held_names[$i]}
	rc=0
	wait "${held_pids[$i]}" || rc=$?
	[ "$(head -n 1 "$E2E_TMP/held$n")" = web1 ] || continue
	if [ "$rc" -eq 0 ] && cmp -s "$E2E_TMP/held$n" "$ST/www/web1/big.bin"; then
		whole=$((whole + 1))
	else
		bad="$bad $n($(stat -c %s "$E2E_TMP/held$n") bytes, $(tail -n 1 "$E2E_TMP/held$n.err"))"
	fi
done
check "the $whole held connections on web1 came through web2's stop and start whole${bad:+; broken:$bad}" \
	eval '[ -z "$bad" ] && [ "$whole" -eq 6 ]'

# An operator's --down holds over passing checks until --auto.
lab_lbxdp backend set "$LAB_SVC" "$W1" --down
sleep $((DELAY * 3))
check "operator's --down on web1 holds over 3 passing checks" \
	[ "$(state web1)" = down ]
lab_lbxdp backend set "$LAB_SVC" "$W1" --auto
e2e_wait 10 eval '[ "$(state web1)" = up ]'
check "--auto hands web1 back to its checks: up" [ "$(state web1)" = up ]

# A reload that changes one weight: a long download on web2 survives.
RATE=60000 # 2 MiB: about 35 s, past the restart
lab_bg client slow /usr/bin/python3 "$LAB_ROOT/tests/e2e/slowget.py" \
	"$LAB_VIP" 80 /big.bin "$E2E_TMP/slow.out" "$RATE"
SLOW=$LAB_BG_PID
sleep 1
sed -i '0,/weight 1/s//weight 3/' "$CONF"
check "daemon reload (web1 weight 1 -> 3) succeeds" \
	eval 'lab_lbxdp daemon reload >/dev/null'
lab_lbxdp -j backend list >"$E2E_TMP/list.json"
w=$(lab_json_backend "$E2E_TMP/list.json" "$W1" weight)
check "web1's weight is 3 after the reload (got $w)" [ "$w" = 3 ]
printf 'virtual_server %s 80 {\n  bogus_keyword 1\n' "$LAB_VIP" >>"$CONF"
check "a bad file: daemon reload fails, naming FILE:LINE" \
	eval "! lab_lbxdp daemon reload 2>'$E2E_TMP/bad.err' &&
		grep -q '$CONF:[0-9]*: error' '$E2E_TMP/bad.err'"
lab_lbxdp -j backend list >"$E2E_TMP/list.json"
w=$(lab_json_backend "$E2E_TMP/list.json" "$W1" weight)
check "after the bad reload the running configuration stays (weight $w)" \
	eval 'e2e_daemon_ready && [ "$w" = 3 ]'

# A service the CLI made: left alone by reloads and restarts; a file that
# defines it is refused, naming vip del.
CLI_SVC=$LAB_VIP:8080
lab_lbxdp vip add "$CLI_SVC"
lab_lbxdp backend add "$CLI_SVC" "$W1"
sed -i '$d' "$CONF"
sed -i '$d' "$CONF"
# And a backend the CLI adds to the daemon's service (the client host is
# on-link; weight 0 sends it nothing): the daemon's file lacks it, yet no
# reload drains it.
CLIENT=$(lab_ip client)
lab_lbxdp backend add "$LAB_SVC" "$CLIENT" --weight 0
check "a reload leaves the CLI's service alone" \
	eval 'lab_lbxdp daemon reload >/dev/null &&
		lab_lbxdp vip list | grep -q "$CLI_SVC"'
lab_lbxdp -j backend list >"$E2E_TMP/list.json"
s=$(lab_json_backend "$E2E_TMP/list.json" "$CLIENT" state)
check "a reload leaves the CLI's backend in the daemon's service alone (state '$s')" \
	[ "$s" = quiesced ]
cp "$CONF" "$E2E_TMP/good.conf"
printf 'virtual_server %s 8080 {\n  lb_kind DR\n  protocol TCP\n  real_server %s 8080 {\n  }\n}\n' \
	"$LAB_VIP" "$W2" >>"$CONF"
check "a file that defines the CLI's service is refused, naming vip del" \
	eval "! lab_lbxdp daemon reload 2>'$E2E_TMP/cli.err' &&
		grep -q 'lbxdp vip del $CLI_SVC' '$E2E_TMP/cli.err'"
cp "$E2E_TMP/good.conf" "$CONF"

# A reload that changes the scheduler does it in place: the service keeps
# its id, the CLI's backend in it and (checked at the end) the download.
vip_field() { # FIELD: of the daemon's service in vip list -j
	lab_lbxdp -j vip list | python3 -c '
import json, sys
for v in json.load(sys.stdin):
    if v["service"] in (sys.argv[1], sys.argv[1] + "/tcp"):
        print(v[sys.argv[2]])' "$LAB_SVC" "$1"
}
id0=$(vip_field id)
# (keepalived's mh hashes the source alone: lbxdp's sh.)
for algo in mh:sh wrr:wrr; do
	want=${algo#*:}
	algo=${algo%:*}
	sed -i "s/lb_algo [a-z]*/lb_algo $algo/" "$CONF"
	check "daemon reload (lb_algo $algo) succeeds" \
		eval 'lab_lbxdp daemon reload >/dev/null'
	lab_lbxdp -j backend list >"$E2E_TMP/list.json"
	s=$(lab_json_backend "$E2E_TMP/list.json" "$CLIENT" state)
	check "lb_algo $algo in place: sched $(vip_field sched), id $(vip_field id) (was $id0), the CLI's backend $s" \
		eval '[ "$(vip_field sched)" = $want ] &&
			[ "$(vip_field id)" = "$id0" ] && [ "$s" = quiesced ]'
	[ "$want" = sh ] || continue
	# Opened by sh, these have no flow entry (README, "just enough
	# tracking"); the reload to wrr must keep them where sh put them.
	RELEASE=$E2E_TMP/release-sh
	held_pids=()
	held_names=()
	on=""
	for ((i = 0; i < 8; i++)); do
		hold_open "s$i" $((20400 + i))
	done
	check "sh: 8 held connections open (on:$on)" \
		eval '[[ "$on" != *none* ]]'
done
touch "$RELEASE"
bad=""
for ((i = 0; i < ${#held_pids[@]}; i++)); do
	n=${held_names[$i]}
	rc=0
	wait "${held_pids[$i]}" || rc=$?
	web=$(head -n 1 "$E2E_TMP/held$n")
	if [ "$rc" -ne 0 ] || ! cmp -s "$E2E_TMP/held$n" "$ST/www/$web/big.bin"; then
		bad="$bad $n($web, $(stat -c %s "$E2E_TMP/held$n") bytes, $(tail -n 1 "$E2E_TMP/held$n.err"))"
	fi
done
check "the 8 connections sh placed came through the reload to wrr whole${bad:+; broken:$bad}" \
	[ -z "$bad" ]

# web1 changes its MAC and says so (arp_notify: a gratuitous ARP): the
# daemon follows the neighbour table, so connections keep reaching it.
NEWMAC=02:00:5e:10:00:01
lab_sysctl web1 net.ipv4.conf.eth0.arp_notify=1
lab_exec web1 ip link set eth0 address "$NEWMAC"
mac_is() {
	lab_lbxdp -j backend list >"$E2E_TMP/mac.json" 2>/dev/null &&
		[ "$(lab_json_backend "$E2E_TMP/mac.json" "$W1" mac)" = "$1" ]
}
e2e_wait 10 mac_is "$NEWMAC"
check "web1's new MAC is in its record" mac_is "$NEWMAC"
lab_hits 15 >"$hits"
check "web1 keeps serving after its MAC changed ($(summary "$hits"))" \
	eval '[ "$(lab_count web1 <"$hits")" -ge 2 ] &&
		[ "$(grep -c "^FAIL" "$hits" || true)" -eq 0 ]'

# kill -9: forwarding goes on; a restart adopts without a flap.
kill -9 "$DAEMON_PID"
lab_hits 10 >"$hits"
check "daemon killed: 10 connections still served ($(summary "$hits"))" \
	[ "$(grep -c '^FAIL' "$hits" || true)" -eq 0 ]
start_daemon 2
e2e_wait 20 e2e_daemon_ready
check "restarted daemon adopts the maps and is ready" e2e_daemon_ready
check "the CLI's service is still there after the restart" \
	eval 'lab_lbxdp vip list | grep -q "$CLI_SVC"' 
# Three delay_loops: the first results of its checks are in.
sleep $((DELAY * 3))
check "the restart took no server down or up, added or removed nothing" \
	eval '! grep -E ": (up|down) \(|: added|: removed" "$ST/daemon2.log"'
e2e_wait 60 eval "! kill -0 $SLOW 2>/dev/null"
check "the download open across reload, kill -9 and restart is whole" \
	eval 'cmp -s "$E2E_TMP/slow.out" "$ST/www/web1/big.bin" ||
		cmp -s "$E2E_TMP/slow.out" "$ST/www/web2/big.bin"'

check "daemon stop: exit 0" eval 'lab_lbxdp daemon stop >/dev/null'
e2e_wait 10 eval '! kill -0 $DAEMON_PID 2>/dev/null'
lab_hits 10 >"$hits"
check "daemon stopped: the maps still forward ($(summary "$hits"))" \
	[ "$(grep -c '^FAIL' "$hits" || true)" -eq 0 ]
e2e_done
