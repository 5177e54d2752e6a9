#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: generic
# VRRP with unicast_peer (links that carry no multicast) against
# keepalived (Debian's, -P: VRRP only) as the peer, in v2 then v3, whose
# checksum covers the unicast destination: keepalived stays BACKUP on
# lbxdp's unicast adverts; lbxdp's priority falls (its vrrp_script
# fails), keepalived preempts, and lbxdp takes keepalived's unicast
# adverts as its master's. A lower priority's advert at MASTER adds its
# gratuitous ARPs to the master's. Multicast adverts of the same VRID are
# not even queued to the daemon's socket (keepalived: IP_MULTICAST_ALL
# off), even while another socket of the LB's namespace has joined the
# VRRP group; unicast ones to another address of the LB are dropped. An
# advert summed as keepalived before 1.3.7 summed v3 unicast ones is
# taken, and lbxdp's adverts are summed so from then on, as keepalived's,
# across a reload too; with old_unicast_checksum never, keepalived drops
# our new sums, and we drop old ones; with old_unicast_checksum,
# keepalived takes ours again (in v2, which sums no pseudo-header, it
# changes nothing).
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # functions run through e2e_wait
# shellcheck disable=SC2034 # csum, rx, ...: read in check ... eval '...'
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init vrrp_unicast

e2e_vrrp_peer_lab u "$E2E_MODE"
LB_IP=$(lab_ip lb)
CLIENT_IP=$(lab_ip client)
OTHER_IP=198.18.0.250
VIP=$LAB_VIP
CONF=$E2E_TMP/lbxdp.conf
KCONF=$E2E_TMP/ka.conf
OKFILE=$E2E_TMP/script-ok

# unicast FILE SRC PEER VERSION: the instance sends to PEER from SRC, in
# VRRP VERSION (v3: no authentication).
unicast() {
	local auth=""
	[ "$4" = 3 ] && auth='/^    authentication {/,/^    }/d'
	sed -i -e "s|^    advert_int 1|    advert_int 1\n    version $4\n    unicast_src_ip $2\n    unicast_peer {\n        $3\n    }|" \
		-e "$auth" "$1"
}

inst() { e2e_vrrp_inst "$1"; }
state_is() { [ "$(inst state)" = "$1" ]; }
us_vip() { e2e_vip_on "${LAB_PREFIX}lb"; }
ka_vip() { e2e_vip_on "$KA"; }
# the VRRP group, joined in the LB's namespace (by the probe's socket)
group_joined() {
	ip -n "${LAB_PREFIX}lb" maddr show dev eth0 | grep -q ' 224\.0\.0\.18$'
}
# the client's adverts that the probe heard in the LB's namespace
heard() { grep -c " from $CLIENT_IP " "$E2E_TMP/joined"; }
# adverts taken since RX0 was read
more_rx() { [ "$(inst adverts_received)" -gt "$RX0" ]; }
# kill keepalived, again until its parent has no child left to restart
ka_gone() {
	local pid
	for pid in $(ip netns pids "$KA"); do
		kill -9 "$pid" 2>/dev/null || true
	done
	[ -z "$(ip netns pids "$KA")" ]
}
# the daemon says a peer sums v3 unicast adverts as old keepalived
old_sums() {
	grep -q "$CLIENT_IP sends VRRPv3 unicast checksums as keepalived before 1.3.7" \
		"$(lab_state)/daemon3.log"
}
# times the daemon switched to old v3 unicast sums
switches() {
	grep -c "sends VRRPv3 unicast checksums as keepalived before 1.3.7" \
		"$(lab_state)/daemon3.log" || true
}
# ka_count TEXT: lines of keepalived's v3 log with TEXT
ka_count() { grep -c "$1" "$E2E_TMP/ka3.log" || true; }
ka_backup() { grep -q "Entering BACKUP STATE" "$E2E_TMP/ka$1.log"; }

for v in 2 3; do
	# lbxdp: the master's file (priority 100, -60 while its script
	# fails), unicast to keepalived.
	touch "$OKFILE"
	lab_seed_conf "$CONF" "$E2E_MODE" 1 1 1
	unicast "$CONF" "$LB_IP" "$KA_IP" "$v"
	sed -i "s|^    advert_int 1|    advert_int 1\n    track_script {\n        chk\n    }|" \
		"$CONF"
	# v2 sums no pseudo-header: nothing to choose
	[ "$v" = 2 ] &&
		sed -i "s|^    unicast_peer {|    old_unicast_checksum\n    unicast_peer {|" \
			"$CONF"
	[ "$v" = 2 ] &&
		sed -i "s|^    advert_int 1|    advert_int 1\n    garp_master_delay 10\n    garp_lower_prio_repeat 1\n    garp_lower_prio_delay 3|" \
			"$CONF"
	e2e_vrrp_script "$CONF" "$OKFILE"
	lab_bg lb "daemon$v" "$LBXDP" --pin-dir "$LAB_PIN_DIR" daemon -f "$CONF"
	DPID=$LAB_BG_PID
	e2e_wait 20 eval 'state_is MASTER && us_vip'
	check "v$v: lbxdp (100) alone is MASTER and holds the VIP" \
		eval 'state_is MASTER && us_vip'
	if [ "$v" = 2 ]; then
		# Two lower priority adverts, 1 s apart, within
		# garp_master_delay (10 s): garp_lower_prio_repeat's 1 ARP now
		# and 1 after garp_lower_prio_delay (3 s) for each, besides the
		# master's 5 now and 5 after 10 s.
		ip netns exec "${LAB_PREFIX}client" "$PROBE" eth0 send \
			"$CLIENT_IP:$LB_IP" 2 50 10 100 2 1111 "$VIP" >/dev/null
		e2e_wait 10 eval '[ "$(inst adverts_received)" = 2 ]'
		check "v2: two lower priority unicast adverts are taken at MASTER" \
			eval '[ "$(inst adverts_received)" = 2 ]'
	fi

	# keepalived: the backup's file (priority 50), unicast to lbxdp.
	lab_seed_conf "$KCONF" "$E2E_MODE" 1 1 1
	sed -i -e 's/state MASTER/state BACKUP/; s/priority 100/priority 50/' \
		-e '/^lbxdp_xdp/,$d' "$KCONF"
	unicast "$KCONF" "$KA_IP" "$LB_IP" "$v"
	ip netns exec "$KA" keepalived -n -l -D -P -f "$KCONF" \
		-p "$E2E_TMP/ka$v.pid" -r "$E2E_TMP/ka-vrrp$v.pid" \
		-c "$E2E_TMP/ka-chk$v.pid" >"$E2E_TMP/ka$v.log" 2>&1 </dev/null &
	disown "$!"
	e2e_wait 10 ka_backup "$v"
	check "v$v: keepalived (50) starts as BACKUP" ka_backup "$v"
	# keepalived's Master_Down_Interval is 3.8 s: past it, it is still
	# BACKUP only if our unicast adverts reached it and it took them.
	sleep 5
	check "v$v: keepalived takes our unicast adverts: still BACKUP, no VIP after 5 s" \
		eval '! ka_vip && ! grep -q "Entering MASTER STATE" "$E2E_TMP/ka$v.log"'
	# (keepalived 2.x takes a v3 checksum computed over the group's
	# address too, as old keepalived sent it to unicast peers, and says so)
	if [ "$v" = 3 ]; then
		check "v3: ... with the checksum over the peer's address" \
			eval '! grep -qi "checksum" "$E2E_TMP/ka$v.log"'
	else
		e2e_wait 15 eval '[ "$(inst gratuitous_arps)" -ge 14 ]'
		check "v2: gratuitous ARPs: 5 + 5 as MASTER, 2 × (1 + 1) for the lower priorities ($(inst gratuitous_arps) of 14)" \
			eval '[ "$(inst gratuitous_arps)" = 14 ]'
	fi

	# Our priority falls to 40: keepalived preempts and we take its
	# unicast adverts (else our down timer would make us MASTER again).
	rm -f "$OKFILE"
	e2e_wait 15 eval 'state_is BACKUP && ka_vip && ! us_vip'
	check "v$v: priority 40: keepalived preempts, lbxdp is BACKUP without the VIP" \
		eval 'state_is BACKUP && ka_vip && ! us_vip'
	RX0=$(inst adverts_received)
	e2e_wait 10 more_rx
	check "v$v: lbxdp takes keepalived's unicast adverts: its master is $KA_IP" \
		eval '[ "$(inst master)" = "$KA_IP" ] && more_rx'

	if [ "$v" = 3 ]; then
		# keepalived before 1.3.7 summed v3 unicast adverts over the
		# group's address: such an advert is taken, and from then on
		# lbxdp sums its own so, as keepalived does (2.2.7 takes them
		# too, and says so).
		ip netns exec "${LAB_PREFIX}client" "$PROBE" eth0 send \
			"$CLIENT_IP:$LB_IP:old" 3 50 45 100 1 - "$VIP" >/dev/null
		e2e_wait 10 old_sums
		check "v3: an advert summed as keepalived before 1.3.7 did is taken" \
			old_sums
		touch "$OKFILE"
		e2e_wait 15 eval 'state_is MASTER && us_vip && ! ka_vip'
		check "v3: priority 100 again: lbxdp preempts keepalived with adverts summed so" \
			eval 'state_is MASTER && us_vip && ! ka_vip &&
				grep -q "Setting unicast VRRPv3 checksum to old version" \
					"$E2E_TMP/ka3.log"'
		check "v3: status says the old sums" \
			eval '[ "$(inst unicast_checksum)" = old ]'

		# A reload keeps the switch (keepalived's makes its instances
		# anew), for keepalived, switched, takes old sums only: it
		# stays BACKUP past its down interval.
		masters=$(ka_count "Entering MASTER STATE")
		check "v3: reload: applied, our sums stay old" \
			eval 'lab_lbxdp daemon reload >/dev/null 2>&1 &&
				[ "$(inst unicast_checksum)" = old ]'
		sleep 5
		check "v3: ... keepalived takes them: still BACKUP after 5 s" \
			eval '! ka_vip &&
				[ "$(ka_count "Entering MASTER STATE")" = "$masters" ]'

		# old_unicast_checksum never: new sums, which keepalived drops:
		# it takes over (its own are new sums still, which we take);
		# an advert summed the old way is dropped.
		sed -i "s|^    unicast_peer {|    old_unicast_checksum never\n    unicast_peer {|" \
			"$CONF"
		inval=$(ka_count "Invalid VRRPv3 checksum")
		check "v3: reload with old_unicast_checksum never: applied, new sums" \
			eval 'lab_lbxdp daemon reload >/dev/null 2>&1 &&
				[ "$(inst unicast_checksum)" = new ]'
		e2e_wait 15 eval '[ "$(ka_count "Entering MASTER STATE")" -gt "$masters" ]'
		check "v3: ... keepalived drops them and takes over" \
			eval '[ "$(ka_count "Entering MASTER STATE")" -gt "$masters" ] &&
				[ "$(ka_count "Invalid VRRPv3 checksum")" -gt "$inval" ] &&
				ka_vip'
		csum=$(inst dropped.checksum)
		ip netns exec "${LAB_PREFIX}client" "$PROBE" eth0 send \
			"$CLIENT_IP:$LB_IP:old" 3 50 45 100 1 - "$VIP" >/dev/null
		e2e_wait 10 eval '[ "$(inst dropped.checksum)" -gt "$csum" ]'
		check "v3: ... an advert summed the old way is dropped: no switch" \
			eval '[ "$(inst dropped.checksum)" -gt "$csum" ] &&
				[ "$(inst unicast_checksum)" = new ] &&
				[ "$(switches)" = 1 ] && state_is MASTER'

		# old_unicast_checksum: old sums from the start; either is
		# taken
		sed -i "s|^    old_unicast_checksum never|    old_unicast_checksum|" \
			"$CONF"
		check "v3: reload with old_unicast_checksum: applied" \
			eval 'lab_lbxdp daemon reload >/dev/null 2>&1'
		e2e_wait 15 eval '! ka_vip'
		check "v3: ... keepalived takes our old sums and yields" \
			eval '! ka_vip && state_is MASTER && us_vip &&
				[ "$(inst unicast_checksum)" = old ] &&
				lab_lbxdp daemon status | grep -q ", old unicast checksums$"'
		csum=$(inst dropped.checksum)
		rx=$(inst adverts_received)
		ip netns exec "${LAB_PREFIX}client" "$PROBE" eth0 send \
			"$CLIENT_IP:$LB_IP" 3 50 45 100 1 - "$VIP" >/dev/null
		e2e_wait 10 eval '[ "$(inst adverts_received)" -gt "$rx" ]'
		ip netns exec "${LAB_PREFIX}client" "$PROBE" eth0 send \
			"$CLIENT_IP:$LB_IP:old" 3 50 45 100 1 - "$VIP" >/dev/null
		e2e_wait 10 eval '[ "$(inst adverts_received)" -gt $((rx + 1)) ]'
		check "v3: ... adverts of either sum are taken (no switch said)" \
			eval '[ "$(inst adverts_received)" = $((rx + 2)) ] &&
				[ "$(inst dropped.checksum)" = "$csum" ] &&
				[ "$(switches)" = 1 ] && state_is MASTER'
	else
		check "v2: status says new sums, with old_unicast_checksum (v3's)" \
			eval '[ "$(inst unicast_checksum)" = new ] &&
				! lab_lbxdp daemon status | grep -q "old unicast"'
	fi

	if [ "$v" = 2 ]; then
		# Multicast adverts of our VRID at priority 254, the right
		# password, while a socket of the LB's namespace has joined
		# the group: the kernel delivers them there, but not to our
		# socket. A wrong password's advert sent to us after them is
		# queued behind them on our socket: once it is counted, they
		# would have been.
		ip netns exec "${LAB_PREFIX}lb" "$PROBE" eth0 watch \
			>"$E2E_TMP/joined" &
		joined=$!
		e2e_wait 10 group_joined
		auth=$(inst dropped.auth)
		ip netns exec "${LAB_PREFIX}client" "$PROBE" eth0 send \
			"$CLIENT_IP" 2 50 254 100 3 1111 "$VIP" >/dev/null
		e2e_wait 10 eval '[ "$(heard)" = 3 ]'
		kill "$joined"
		ip netns exec "${LAB_PREFIX}client" "$PROBE" eth0 send \
			"$CLIENT_IP:$LB_IP" 2 50 254 100 1 2222 "$VIP" >/dev/null
		e2e_wait 10 eval '[ "$(inst dropped.auth)" -gt "$auth" ]'
		check "multicast adverts reached the LB's namespace ($(heard) of 3)" \
			eval '[ "$(heard)" = 3 ]'
		check "... none was queued to our unicast instance (dropped as destination: $(inst dropped.destination))" \
			eval '[ "$(inst dropped.auth)" -gt "$auth" ] &&
				[ "$(inst dropped.destination)" = 0 ]'

		# Unicast ones to an address of ours other than
		# unicast_src_ip: keepalived's socket, bound to that, never
		# takes them.
		ip -n "${LAB_PREFIX}lb" addr add "$OTHER_IP/32" dev eth0
		ip netns exec "${LAB_PREFIX}client" "$PROBE" eth0 send \
			"$CLIENT_IP:$OTHER_IP" 2 50 254 100 3 1111 "$VIP" \
			>/dev/null
		e2e_wait 10 eval '[ "$(inst dropped.destination)" = 3 ]'
		check "3 unicast adverts to another address of ours: dropped (destination)" \
			eval '[ "$(inst dropped.destination)" = 3 ]'
		ip -n "${LAB_PREFIX}lb" addr del "$OTHER_IP/32" dev eth0
	fi

	kill -TERM "$DPID"
	e2e_wait 10 eval '! kill -0 "$DPID" 2>/dev/null'
	e2e_wait 10 ka_gone
	ip -n "$KA" addr del "$VIP/32" dev eth0 2>/dev/null || true
done
e2e_done
