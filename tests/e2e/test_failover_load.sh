#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Failover under load: an lbxdp pair on the seed's files (LB1 master,
# LB2 backup), a client with long-lived TCP streams through the VIP and a
# new connection every 100 ms, and LB1 dies (kill -9 of its daemon, then
# its link down: the XDP program it leaves would go on forwarding). The
# streams must survive on LB2 with the same servers: with lb_algo mh by
# the Maglev table alone, with wrr by flow sync (lvs_sync_daemon), which
# must have put every stream's flow, on its server, into LB2's flow table
# before the kill; so must mh with flow sync, whose master tracks every
# flow (README, "just enough tracking"). New
# connections that failed meanwhile are counted, with how long they did.
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # functions run through e2e_wait
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init failover_load
# shellcheck source=tests/e2e/vrrp_lib.sh
source "$E2E_DIR/vrrp_lib.sh"

NSTREAMS=6
SPORT=9000 # the streams' service, beside the seed's HTTP one
V=2
IMPL[lb1]=lbxdp
IMPL[lb2]=lbxdp
KEY=$E2E_TMP/sync.key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$KEY"
chmod 600 "$KEY"

# conf OUT master|backup ALGO SYNC: the seed's file for the lab, quicker
# checks, a second service (the streams') and, with SYNC=1, flow sync.
conf() {
	local lvs=()
	if [ "$4" = 1 ]; then
		lvs=(-e '/^ *router_id /a\   lvs_sync_daemon eth0 inst VI_1')
	fi
	mkconf "$1" "$2" -e "s/lb_algo wrr/lb_algo $3/" \
		-e 's/delay_loop 6/delay_loop 1/; s/connect_timeout 3/connect_timeout 1/' \
		"${lvs[@]}"
	cat >>"$1" <<EOF
virtual_server $VIP $SPORT {
    delay_loop 1
    lb_algo $3
    lb_kind DR
    protocol TCP
    real_server $W1 $SPORT {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server $W2 $SPORT {
        weight 2
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
EOF
	if [ "$4" = 1 ]; then
		printf 'lbxdp_xdp {\n    sync_key_file %s\n}\n' "$KEY" >>"$1"
	fi
}

status() {
	LBXDP_RUN_DIR="$(lab_state)/$1/run" lb_lbxdp "$1" -j daemon status 2>/dev/null
}

# all_up LB: every real server of LB's daemon is up in its maps.
all_up() {
	status "$1" | /usr/bin/python3 -c '
import json, sys
vs = json.load(sys.stdin)["virtual_servers"]
sys.exit(not vs or not all(r["up"] for v in vs for r in v["real_servers"]))'
}

# sync_field LB FIELD: LB's flow_sync FIELD, or "none".
sync_field() {
	status "$1" | /usr/bin/python3 -c '
import json, sys
print(json.load(sys.stdin).get("flow_sync", {}).get(sys.argv[1], "none"))' "$2"
}

inst_state() {
	status "$1" | /usr/bin/python3 -c '
import json, sys
print(json.load(sys.stdin)["vrrp_instances"][0]["state"])'
}

# answered_since T: every stream has an answer after time T.
answered_since() {
	local i
	for ((i = 0; i < NSTREAMS; i++)); do
		awk -v t="$1" '$1 > t && $2 != "error" { f = 1 } END { exit !f }' \
			"$OUT/stream-$i" || return 1
	done
}

streams_up() { answered_since 0; }

# new_ok_since T: the last 5 new connections began after T and succeeded
# (one begun before the takeover may fail up to its 1 s timeout after it).
new_ok_since() {
	[ "$(tail -5 "$OUT/new" | awk -v t="$1" '$1 > t && $2 == "ok"' |
		wc -l)" = 5 ]
}

has() { [[ "$1" == *"$2"* ]]; }

# The streams' clock (CLOCK_MONOTONIC).
now() { /usr/bin/python3 -c 'import time; print(f"{time.monotonic():.3f}")'; }

# lb2_has_streams: LB2's flow table holds every stream's flow, on the
# server that the stream has its answers from.
lb2_has_streams() {
	/usr/bin/python3 - "$PIN_BASE/lb2" "$OUT" "$NSTREAMS" "$VIP" "$SPORT" \
		"${IP[client]}" "$W1" "$W2" <<'EOF'
import json, socket, struct, subprocess, sys
pin, out, n, vip, sport, client, w1, w2 = sys.argv[1:]


def dump(m):
    r = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", f"{pin}/{m}"],
                       check=True, capture_output=True)
    return [e["formatted"] for e in json.loads(r.stdout)]


def ip(be32):  # a __be32 as bpftool reads it: a host-order number
    return socket.inet_ntoa(struct.pack("<I", be32))


addr = {e["key"]: ip(e["value"]["addr"][0]) for e in dump("backends")}
# The flow table: buckets of three ways (lbxdp/flowtab.h); the lab's one
# service, so a way's client and port name its flow.
flows = {}
for e in dump("flows"):
    for w in e["value"]["w"]:
        if w["seen"] and (ip(w["saddr"]), socket.ntohs(w["dport"])) == \
                (client, int(sport)):
            flows[socket.ntohs(w["sport"])] = addr.get(w["backend"])
names = {w1: "web1", w2: "web2"}
bad = 0
for i in range(int(n)):
    port = int(open(f"{out}/stream-{i}.port").read())
    host = open(f"{out}/stream-{i}").readline().split()[1]
    got = names.get(flows.get(port), flows.get(port))
    if got != host:
        print(f"stream {i} (port {port}) answers from {host}, the LB's flow: {got}")
        bad += 1
sys.exit(bad != 0)
EOF
}

# sync_drop LB on|off: LB's input drops flow sync's datagrams (a link
# that loses them), or no more.
sync_drop() {
	if [ "$2" = off ]; then
		ip netns exec "$LAB_PREFIX$1" nft delete table ip lbxdp_e2e
		return
	fi
	ip netns exec "$LAB_PREFIX$1" nft -f - <<'EOF'
table ip lbxdp_e2e {
	chain in { type filter hook input priority 0; udp dport 8848 drop; }
}
EOF
}

# line_of LB TEXT: the number of the first line of LB's log with TEXT.
line_of() { grep -n -m1 -F "$2" "${LOG[$1]}" | cut -d: -f1; }

# junk N: N datagrams of 1400 zero bytes to the sync group, from LB1's
# side (what a master's burst is to a backup's socket; none decodes).
junk() {
	ip netns exec "${LAB_PREFIX}lb1" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[2]))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
for _ in range(int(sys.argv[1])):
    s.sendto(bytes(1400), ("224.0.0.81", 8848))' "$1" "${IP[lb1]}"
}

# LB2's drops: those that did not decode, and its socket's overflow.
drops() {
	status lb2 | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)["flow_sync"]["dropped"]
print(sum(v for k, v in d.items()
          if k not in ("replayed", "while_master", "overflow")), d["overflow"])'
}

# A burst the backup's daemon cannot take at once (stopped): its socket
# holds hundreds of datagrams (the default buffer, ~90), and says how
# many it dropped once the daemon reads again (SO_RXQ_OVFL). The count
# comes with the next datagram: one more after the queue drained. 6000,
# as more than its ~1800 reach it whatever the veth drops before it.
overflow() {
	local bad0 ovf0 bad1 ovf1
	read -r bad0 ovf0 < <(drops)
	kill -STOP -- "-${PID[lb2]}"
	junk 6000
	kill -CONT -- "-${PID[lb2]}"
	e2e_wait 10 eval '[ "$(drops)" = "$(sleep 0.3; drops)" ]'
	junk 1
	e2e_wait 10 eval 'read -r _ ovf1 < <(drops); [ "$ovf1" -gt "$ovf0" ]'
	read -r bad1 ovf1 < <(drops)
	check "$what: 6001 datagrams at a stopped backup: $((bad1 - bad0)) queued and read, $((ovf1 - ovf0)) dropped by its socket and counted" \
		eval '[ $((bad1 - bad0)) -ge 500 ] && [ $((ovf1 - ovf0)) -ge 1 ]'
}

# survived: $bad, how many streams broke or moved to another server
# (each told).
survived() {
	local i hosts
	bad=0
	for ((i = 0; i < NSTREAMS; i++)); do
		hosts=$(awk '{ print $2 }' "$OUT/stream-$i" | sort -u | tr '\n' ' ')
		if [ "$(echo "$hosts" | wc -w)" != 1 ] || [ "$hosts" = "error " ]; then
			bad=$((bad + 1))
			diag "stream $i: $(grep -c . "$OUT/stream-$i") answers from: $hosts$(grep -m1 error "$OUT/stream-$i")"
		fi
	done
}

# A backup that starts asks the master for every live entry (a join);
# here LB2's answers are dropped, so it gives up (10 s) and lacks the
# streams' flows (LB1's next refresh scan is 75 s away). A planned
# switchover: LB1's daemon stops (priority 0) and hands over before it
# exits: every live entry once more, which LB2 installs, so the streams
# keep their servers. Then LB1 comes back: it joins, LB2 answers, and LB1
# preempts only once it has the flows (an unanswered join holds it, as
# preempt_delay would); LB2 hands over in turn.
handover() {
	local what="wrr with flow sync, a stop" i bad t_over inst0 inst1 t_up
	pair_lab wrr
	for i in 1 2; do
		lab_bg "web$i" "stream-web$i" /usr/bin/python3 \
			"$E2E_DIR/streams.py" serve "web$i" "$SPORT"
	done
	conf "$E2E_TMP/lb1.conf" master wrr 1
	conf "$E2E_TMP/lb2.conf" backup wrr 1
	# A table of 4096 flows: a pass ends within ms.
	sed -i '/^lbxdp_xdp {/a\    flows 4096' "$E2E_TMP/lb1.conf" "$E2E_TMP/lb2.conf"
	lb_start lb1 "$E2E_TMP/lb1.conf"
	e2e_wait 20 eval '[ "$(holders)" = lb1 ] && all_up lb1'
	OUT=$(lab_state)/client
	mkdir -p "$OUT"
	lab_bg client streams /usr/bin/python3 "$E2E_DIR/streams.py" client \
		"$VIP" "$SPORT" "$NSTREAMS" 80 "$OUT"
	e2e_wait 20 streams_up
	sync_drop lb2 on
	lb_start lb2 "$E2E_TMP/lb2.conf"
	e2e_wait 20 eval 'backup_ready lb2 && all_up lb2'
	e2e_wait 20 eval '[ "$(sync_field lb2 joins_unanswered)" = 1 ]'
	check "$what: $NSTREAMS streams through LB1; LB2, started after them, its sync input dropped, asked $(sync_field lb2 joins_sent) times, gave up, and lacks their flows" \
		eval 'streams_up && backup_ready lb2 &&
			[ "$(sync_field lb2 joined)" = False ] &&
			[ "$(sync_field lb2 joining)" = False ] &&
			[ "$(sync_field lb1 joins_received)" -ge 1 ] &&
			! lb2_has_streams >/dev/null'
	sync_drop lb2 off

	inst0=$(sync_field lb2 installed_flows)
	lb_stop lb1
	e2e_wait 10 lb2_has_streams
	inst1=$(sync_field lb2 installed_flows)
	check "$what: LB1 stopped, having handed over every stream's flow to LB2, on its server ($(grep -o 'handed over.*' "${LOG[lb1]}"); LB2 installed $((inst1 - inst0)))" \
		eval 'lb2_has_streams && [ $((inst1 - inst0)) -ge "$NSTREAMS" ] &&
			grep -q "flow sync: handed over before stopping: [1-9]" "${LOG[lb1]}"'
	e2e_wait 15 eval '[ "$(inst_state lb2)" = MASTER ] && holds lb2 "$VIP"'
	t_over=$(now)
	e2e_wait 30 answered_since "$t_over"
	check "$what: every stream answered through LB2" \
		answered_since "$t_over"

	# LB1 back (priority 100 over 50), its sync input dropped: its join
	# unanswered holds its preemption past Master_Down_Interval (3.6 s).
	sync_drop lb1 on
	t_up=$(now)
	lb_start lb1 "$E2E_TMP/lb1.conf"
	e2e_wait 20 eval '[ "$(sync_field lb1 joining)" = True ]'
	sleep "$(awk -v t="$t_up" -v n="$(now)" 'BEGIN { d = t + 6 - n; print (d > 0 ? d : 0) }')"
	check "$what: LB1 back, its join unanswered: still backup 6 s after its start, LB2 master" \
		eval '[ "$(sync_field lb1 joining)" = True ] &&
			[ "$(inst_state lb1)" = BACKUP ] && [ "$(holders)" = lb2 ]'
	# Its next join is answered: it has the flows, then preempts; LB2
	# steps down and hands its flows over, marked, which LB1 takes.
	sync_drop lb1 off
	e2e_wait 20 eval '[ "$(holders)" = lb1 ] &&
		[ "$(sync_field lb1 received_in_handover)" -gt 0 ] &&
		[ "$(sync_field lb2 handing_over)" = False ]'
	check "$what: LB1 joined ($(grep -o 'joined.*' "${LOG[lb1]}")), then preempted; LB2 handed its flows over ($(sync_field lb1 received_in_handover) datagrams taken by LB1 as new master)" \
		eval '[ "$(holders)" = lb1 ] && [ "$(sync_field lb2 role)" = backup ] &&
			[ "$(sync_field lb1 joined)" = True ] &&
			[ "$(line_of lb1 "flow sync: joined")" -lt \
				"$(line_of lb1 "VI_1: BACKUP -> MASTER")" ] &&
			[ "$(sync_field lb1 received_in_handover)" -gt 0 ] &&
			[ "$(sync_field lb2 handing_over)" = False ]'
	t_over=$(now)
	e2e_wait 30 answered_since "$t_over"
	touch "$OUT/stop"
	e2e_wait 20 eval '! pgrep -f "streams.py client" >/dev/null'
	survived
	check "$what: $NSTREAMS of $NSTREAMS streams survived both moves on their servers ($bad broke or moved)" \
		[ "$bad" = 0 ]
	# LB1's sync output refused (nft: sendto fails, EPERM): its stop's
	# handover cannot be sent, and ends after 1 s of that, not in 10 s.
	ip netns exec "${LAB_PREFIX}lb1" nft -f - <<'NFT'
table ip lbxdp_e2e_out {
	chain out { type filter hook output priority 0; udp dport 8848 drop; }
}
NFT
	lb_stop lb1
	check "$what: LB1's stop, its sync output refused: the handover ends early ($(grep -o 'the handover cannot be sent.*' "${LOG[lb1]}"))" \
		grep -q "the handover cannot be sent (Operation not permitted)" "${LOG[lb1]}"
	lb_stop lb2
}

# round ALGO SYNC: one failover; checks and a report of what clients saw.
round() {
	local algo=$1 sync=$2 what t_kill bad
	what=$algo
	[ "$sync" = 0 ] || what="$algo with flow sync"
	pair_lab "$algo"
	for i in 1 2; do
		lab_bg "web$i" "stream-web$i" /usr/bin/python3 \
			"$E2E_DIR/streams.py" serve "web$i" "$SPORT"
	done
	conf "$E2E_TMP/lb1.conf" master "$algo" "$sync"
	conf "$E2E_TMP/lb2.conf" backup "$algo" "$sync"
	lb_start lb1 "$E2E_TMP/lb1.conf"
	lb_start lb2 "$E2E_TMP/lb2.conf"
	e2e_wait 20 eval '[ "$(holders)" = lb1 ] && backup_ready lb2'
	e2e_wait 20 eval 'all_up lb1 && all_up lb2'
	check "$what: LB1 holds the VIP, LB2 is backup, every server up on both ($(holders))" \
		eval '[ "$(holders)" = lb1 ] && backup_ready lb2 && all_up lb1 && all_up lb2'

	OUT=$(lab_state)/client
	mkdir -p "$OUT"
	lab_bg client streams /usr/bin/python3 "$E2E_DIR/streams.py" client \
		"$VIP" "$SPORT" "$NSTREAMS" 80 "$OUT"
	e2e_wait 20 streams_up
	check "$what: $NSTREAMS streams through LB1 answered" streams_up
	if [ "$sync" = 1 ]; then
		e2e_wait 20 lb2_has_streams
		check "$what: LB1 sends ($(sync_field lb1 role)), LB2 holds every stream's flow, on its server ($(sync_field lb2 installed_flows) flows installed)" \
			eval '[ "$(sync_field lb1 role)" = master ] && lb2_has_streams'
		[ "$algo" = wrr ] && overflow
	else
		check "$what: no flow sync runs ($(sync_field lb2 role))" \
			eval '[ "$(sync_field lb2 role)" = none ]'
	fi

	t_kill=$(now)
	lb_stop lb1 KILL
	ip -n "${LAB_PREFIX}lb1" link set eth0 down
	e2e_wait 15 eval '[ "$(inst_state lb2)" = MASTER ] && holds lb2 "$VIP"'
	check "$what: LB1 killed, LB2 master with the VIP" \
		eval '[ "$(inst_state lb2)" = MASTER ] && holds lb2 "$VIP"'
	t_over=$(now)
	# TCP retransmits back off: 0.2, 0.4 ... s, so the streams come back
	# seconds after the takeover.
	e2e_wait 30 answered_since "$t_over"
	check "$what: every stream answered through LB2" \
		answered_since "$t_over"
	e2e_wait 20 new_ok_since "$t_over"
	touch "$OUT/stop"
	e2e_wait 20 eval '! pgrep -f "streams.py client" >/dev/null'

	survived
	check "$what: $NSTREAMS of $NSTREAMS streams survived on their servers ($bad broke or moved)" \
		[ "$bad" = 0 ]
	# New connections: how many failed, first to last failure.
	read -r nok nfail span < <(awk -v t="$t_kill" '
		$2 == "ok" { ok++ }
		$2 == "fail" { fail++; if (first == "") first = $1; last = $1 }
		END { printf "%d %d %.1f\n", ok, fail, fail ? last - first + 1 : 0 }' "$OUT/new")
	diag "$what: new connections: $nok ok, $nfail failed, for ${span} s (takeover bound: Master_Down_Interval $(sec "$(mdi_us 50)") s)"
	check "$what: new connections succeed again: the last 5, begun after the takeover, ok" \
		new_ok_since "$t_over"
	lb_stop lb2
	lb_stop lb1
}

round mh 0
round wrr 1
round mh 1
handover

# A key others may read is refused with the file and line that name it.
chmod 644 "$KEY"
rc=0
out=$(LBXDP_RUN_DIR="$(lab_state)/lb2/run" lb_lbxdp lb2 daemon \
	-f "$E2E_TMP/lb2.conf" 2>&1) || rc=$?
line=$(grep -n sync_key_file "$E2E_TMP/lb2.conf" | cut -d: -f1)
check "a key file others may read: the daemon exits ($rc) naming it (line $line)" \
	eval '[ "$rc" != 0 ] && has "$out" "lb2.conf:$line: error: sync_key_file $KEY: readable by others"'
lab_down "$LAB_PREFIX"
e2e_done
