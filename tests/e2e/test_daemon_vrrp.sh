#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: generic
# The daemon's VRRP against keepalived (Debian's, -P: VRRP only) as its
# peer on the lab's bridge: lbxdp runs the seed's master file (priority
# 100) with a vrrp_script (weight -60), a notify script and ha_suspend,
# keepalived the backup's (priority 50). What a user sees: who holds the
# VIP, `daemon status`, the notify arguments, the checks suspended while
# backup, FAULT while the link is down, adverts with a wrong password
# and unicast ones dropped and counted, and a VIP that a killed daemon
# left removed by the next one.
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # functions run through e2e_wait
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init daemon_vrrp

e2e_vrrp_peer_lab v "$E2E_MODE"
LB_IP=$(lab_ip lb)
VIP=$LAB_VIP
CONF=$E2E_TMP/lbxdp.conf
KCONF=$E2E_TMP/ka.conf
NOTIFY=$E2E_TMP/notify.log
OKFILE=$E2E_TMP/script-ok

# keepalived: the backup's file (state BACKUP, priority 50), VRRP only.
lab_seed_conf "$KCONF" "$E2E_MODE" 1 1 1
sed -i -e 's/state MASTER/state BACKUP/; s/priority 100/priority 50/' \
	-e '/^lbxdp_xdp/,$d' "$KCONF"
ip netns exec "$KA" keepalived -n -l -D -P -f "$KCONF" \
	-p "$E2E_TMP/ka.pid" -r "$E2E_TMP/ka-vrrp.pid" -c "$E2E_TMP/ka-chk.pid" \
	>"$E2E_TMP/ka.log" 2>&1 </dev/null &
disown "$!"

# lbxdp: the master's file, with tracking, a notify script and ha_suspend.
printf '#!/bin/sh\necho "$@" >>%s\n' "$NOTIFY" >"$E2E_TMP/notify.sh"
chmod 755 "$E2E_TMP/notify.sh"
touch "$OKFILE"
lab_seed_conf "$CONF" "$E2E_MODE" 1 1 1
sed -i -e "s|^    advert_int 1|    advert_int 1\n    track_script {\n        chk\n    }\n    notify $E2E_TMP/notify.sh|" \
	-e 's/^    lb_kind DR/    lb_kind DR\n    ha_suspend/' "$CONF"
e2e_vrrp_script "$CONF" "$OKFILE"

start_daemon() {
	lab_bg lb "daemon$1" "$LBXDP" --pin-dir "$LAB_PIN_DIR" daemon -f "$CONF"
	DPID=$LAB_BG_PID
}
inst() { e2e_vrrp_inst "$1"; }
state_is() { [ "$(inst state)" = "$1" ]; }
us_vip() { e2e_vip_on "${LAB_PREFIX}lb"; }
ka_vip() { e2e_vip_on "$KA"; }
notified() { grep -qx "INSTANCE VI_1 $1" "$NOTIFY" 2>/dev/null; }
suspended() { lab_lbxdp daemon status 2>/dev/null | grep -c "(suspended)"; }

start_daemon 1
e2e_wait 20 eval 'state_is MASTER && us_vip && ! ka_vip'
check "lbxdp (100) is MASTER and holds the VIP, keepalived (50) none" \
	eval 'state_is MASTER && us_vip && ! ka_vip'
check "status: the master is our address ($LB_IP)" \
	eval '[ "$(inst master)" = "$LB_IP" ] && [ "$(inst priority)" = 100 ]'
e2e_wait 10 notified "MASTER 100"
check "notify: INSTANCE VI_1 MASTER 100" notified "MASTER 100"
check "ha_suspend: the checks run while MASTER" eval '[ "$(suspended)" = 0 ]'
# Its gratuitous ARPs' socket sends only: no ARP on the link is queued to
# a socket nobody reads (a packet socket bound to ARP's protocol would be).
arp_socks() {
	ip netns exec "${LAB_PREFIX}lb" awk 'NR > 1 && $4 == "0806"' /proc/net/packet |
		wc -l
}
check "no packet socket takes ARP in the LB's namespace ($(arp_socks))" \
	eval '[ "$(arp_socks)" = 0 ]'

# The script fails: priority 40 < keepalived's 50, which preempts.
rm -f "$OKFILE"
e2e_wait 10 eval '[ "$(inst priority)" = 40 ]'
check "vrrp_script fails: priority 100 - 60 = 40" \
	eval '[ "$(inst priority)" = 40 ] && [ "$(inst configured_priority)" = 100 ]'
e2e_wait 15 eval 'state_is BACKUP && ka_vip && ! us_vip'
check "keepalived takes the VIP over, lbxdp is BACKUP without it" \
	eval 'state_is BACKUP && ka_vip && ! us_vip'
e2e_wait 10 notified "BACKUP 40"
check "notify: INSTANCE VI_1 BACKUP 40" notified "BACKUP 40"
check "status: the master is keepalived ($KA_IP)" \
	eval '[ "$(inst master)" = "$KA_IP" ]'
check "ha_suspend: both servers' checks suspended while BACKUP" \
	eval '[ "$(suspended)" = 2 ]'

# Adverts with a wrong password: dropped, counted, no change of state.
drops_ge() { [ "$(inst dropped.auth)" -ge "$1" ]; }
want=$(($(inst dropped.auth) + 3))
ip netns exec "${LAB_PREFIX}client" "$PROBE" eth0 send "$(lab_ip client)" \
	2 50 254 100 3 2222 "$VIP" >/dev/null
e2e_wait 10 drops_ge "$want"
check "3 adverts with a wrong password: counted as dropped (auth)" \
	drops_ge "$want"
check "... and logged once, with the sender" \
	eval '[ "$(grep -c "advert from $(lab_ip client) dropped: an invalid password" \
		"$(lab_state)/daemon1.log")" = 1 ]'

# Unicast adverts (the right password) to an instance without
# unicast_peer: dropped as keepalived drops them, counted.
dest_ge() { [ "$(inst dropped.destination)" -ge "$1" ]; }
want=$(($(inst dropped.destination) + 3))
ip netns exec "${LAB_PREFIX}client" "$PROBE" eth0 send \
	"$(lab_ip client):$LB_IP" 2 50 254 100 3 1111 "$VIP" >/dev/null
e2e_wait 10 dest_ge "$want"
check "3 unicast adverts to a multicast instance: dropped (destination)" \
	dest_ge "$want"

# The script passes again: priority 100 preempts keepalived.
touch "$OKFILE"
e2e_wait 15 eval 'state_is MASTER && us_vip && ! ka_vip'
check "vrrp_script passes: lbxdp preempts and holds the VIP alone" \
	eval 'state_is MASTER && us_vip && ! ka_vip'
e2e_wait 10 eval '[ "$(grep -cx "INSTANCE VI_1 MASTER 100" "$NOTIFY")" = 2 ]'
check "notify: INSTANCE VI_1 MASTER 100 again" \
	eval '[ "$(grep -cx "INSTANCE VI_1 MASTER 100" "$NOTIFY")" = 2 ]'
check "ha_suspend: the checks run again" eval '[ "$(suspended)" = 0 ]'

# The link goes down: FAULT, the VIP goes; back up: MASTER again.
ip -n "${LAB_PREFIX}br" link set lb down
e2e_wait 10 eval 'state_is FAULT && ! us_vip'
check "link down: FAULT, the VIP removed" eval 'state_is FAULT && ! us_vip'
e2e_wait 10 notified "FAULT 100"
check "notify: INSTANCE VI_1 FAULT 100" notified "FAULT 100"
ip -n "${LAB_PREFIX}br" link set lb up
e2e_wait 15 eval 'state_is MASTER && us_vip && ! ka_vip'
check "link up: MASTER again, one VIP holder" \
	eval 'state_is MASTER && us_vip && ! ka_vip'

# kill -9 leaves the VIP; the next daemon (priority 40: the script fails,
# so it stays backup) removes it at start.
kill -9 "$DPID"
e2e_wait 15 ka_vip
check "kill -9: keepalived takes over, our VIP stays behind" \
	eval 'ka_vip && us_vip'
rm -f "$OKFILE"
start_daemon 2
e2e_wait 15 eval 'state_is BACKUP && ! us_vip'
check "the next daemon removes the VIP it finds, and stays BACKUP" \
	eval 'state_is BACKUP && ! us_vip && ka_vip'

# A clean stop: notify STOP.
kill -TERM "$DPID"
e2e_wait 10 notified "STOP 40"
check "SIGTERM: notify INSTANCE VI_1 STOP 40" notified "STOP 40"
e2e_done
