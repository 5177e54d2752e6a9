#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: generic
# A vrrp_sync_group of two instances (VRID 51, VIP .10; VRID 52, VIP .11)
# on an lbxdp pair: LB1 priority 100, its VI_1 tracking a veth; LB2
# priority 50. The instances move together, as keepalived 2.2.7's do:
#   - LB2 no longer hears VRID 51 (a tc filter on its ingress): its VI_1
#     runs out but the group holds it in BACKUP, as VI_2 still hears LB1;
#   - it hears neither: both MASTER together on LB2;
#   - it hears VRID 51 again: VI_1 steps down and takes VI_2 with it,
#     which still hears nothing (without the group it would stay MASTER);
#   - LB1's tracked link goes down: both to FAULT, both VIPs to LB2; up:
#     both preempt back;
# with the group's notify (GROUP G STATE 0) once per group transition,
# after the instances', and STOP after theirs on a clean stop.
#
#   SYNC_LB2=ka   LB2 is keepalived (-P) on the same file, to check these
#                 expectations against keepalived 2.2.7: its states and
#                 holds are not shown, so the VIPs and notify lines are
#                 checked, and a hold is waited for as 2 x its
#                 Master_Down_Interval (8 s)
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # functions run through e2e_wait
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init vrrp_syncgroup

LB2_IMPL=${SYNC_LB2:-lbxdp}
if [ "$LB2_IMPL" = ka ] && ! command -v keepalived >/dev/null; then
	not_ok "$E2E_NAME: keepalived missing (scripts/deps.sh)"
	exit 1
fi

VIP1=198.18.0.10
VIP2=198.18.0.11
declare -A IP=([lb1]=198.18.0.2 [lb2]=198.18.0.3) PID PRIO=([lb1]=100 [lb2]=50)

LAB_PREFIX=$E2E_BASE$$sg-
mkdir -p "$(lab_state)"
ip netns add "${LAB_PREFIX}br"
ip -n "${LAB_PREFIX}br" link set lo up
ip -n "${LAB_PREFIX}br" link add br0 type bridge
ip -n "${LAB_PREFIX}br" link set br0 up
for lb in lb1 lb2; do
	ip netns add "$LAB_PREFIX$lb"
	ip -n "$LAB_PREFIX$lb" link set lo up
	lab_sysctl "$lb" net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n "${LAB_PREFIX}br" link add "$lb" type veth peer name eth0 \
		netns "$LAB_PREFIX$lb"
	ip -n "${LAB_PREFIX}br" link set "$lb" master br0 up
	ip -n "$LAB_PREFIX$lb" addr add "${IP[$lb]}/24" dev eth0
	ip -n "$LAB_PREFIX$lb" link set eth0 up
	# a drop: tc redirects there (this kernel has mirred, no gact)
	ip -n "$LAB_PREFIX$lb" link add sink type veth peer name sinkpeer
	ip -n "$LAB_PREFIX$lb" link set sink up
	tc -n "$LAB_PREFIX$lb" qdisc add dev eth0 clsact
done
ip -n "${LAB_PREFIX}lb1" link add trk type veth peer name trkpeer
ip -n "${LAB_PREFIX}lb1" link set trkpeer up
ip -n "${LAB_PREFIX}lb1" link set trk up
lab_bpffs_mount
PIN_BASE=${LAB_PIN_DIR%/lb}

printf '#!/bin/sh\necho "$@" >>"$(dirname "$0")/notify.log"\n' >"$E2E_TMP/notify.sh"
# mkconf LB: its file, in E2E_TMP/LB/
mkconf() {
	local lb=$1 d=$E2E_TMP/$1 track=""
	mkdir -p "$d"
	cp "$E2E_TMP/notify.sh" "$d/notify.sh"
	chmod 755 "$d/notify.sh"
	[ "$lb" = lb1 ] && track='track_interface {
        trk
    }'
	cat >"$d/lbxdp.conf" <<EOF
global_defs {
    router_id $lb
}
lbxdp_xdp {
    interface eth0
    mode generic
}
vrrp_sync_group G {
    group {
        VI_1
        VI_2
    }
    notify $d/notify.sh
    notify_master "$d/notify.sh group-master"
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority ${PRIO[$lb]}
    advert_int 1
    virtual_ipaddress {
        $VIP1
    }
    $track
    notify $d/notify.sh
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    priority ${PRIO[$lb]}
    advert_int 1
    virtual_ipaddress {
        $VIP2
    }
    notify $d/notify.sh
}
EOF
}

is_ka() { [ "$1" = lb2 ] && [ "$LB2_IMPL" = ka ]; }
lb_start() {
	if is_ka "$1"; then
		sed -i '/^lbxdp_xdp/,/^}/d' "$E2E_TMP/$1/lbxdp.conf"
		lab_bg "$1" "daemon-$1" keepalived -n -l -D -P \
			-f "$E2E_TMP/$1/lbxdp.conf" -p "$E2E_TMP/$1/ka.pid" \
			-r "$E2E_TMP/$1/vrrp.pid" -c "$E2E_TMP/$1/chk.pid"
		PID[$1]=$LAB_BG_PID
		return
	fi
	lab_bg "$1" "daemon-$1" \
		env LBXDP_RUN_DIR="$E2E_TMP/$1/run" \
		"$LBXDP" --pin-dir "$PIN_BASE/$1" daemon -f "$E2E_TMP/$1/lbxdp.conf"
	PID[$1]=$LAB_BG_PID
}
# status LB: `daemon status -j`
status() {
	LBXDP_RUN_DIR=$E2E_TMP/$1/run timeout -s KILL 20 \
		ip netns exec "$LAB_PREFIX$1" "$LBXDP" --pin-dir "$PIN_BASE/$1" \
		-j daemon status 2>/dev/null
}
# field LB EXPR: a Python expression on status LB's JSON (s)
field() {
	status "$1" | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
i = {v["name"]: v for v in s["vrrp_instances"]}
g = {v["name"]: v for v in s["vrrp_sync_groups"]}
print(eval(sys.argv[1]))' "$2" 2>/dev/null
}
states() { field "$1" 'i["VI_1"]["state"] + " " + i["VI_2"]["state"]'; }
states_are() { is_ka "$1" || [ "$(states "$1")" = "$2" ]; }
held() {
	if is_ka "$1"; then
		sleep 8
		return 0
	fi
	[ "$(field "$1" "i[\"$2\"][\"held\"]")" = True ]
}
unheld() { is_ka "$1" || ! held "$1" "$2"; }
# ka_backups LB: keepalived logged both instances' BACKUP
ka_backups() {
	[ "$(grep -c "Entering BACKUP STATE" "$(lab_state)/daemon-$1.log")" -ge 2 ]
}
# vips LB: the VIPs LB holds: "", "1", "2" or "1 2"
vips() {
	local a out=""
	a=$(ip -n "$LAB_PREFIX$1" -4 addr show dev eth0)
	[[ "$a" == *" $VIP1/32 "* ]] && out=1
	[[ "$a" == *" $VIP2/32 "* ]] && out="${out:+$out }2"
	echo "$out"
}
# holding LB1_VIPS LB2_VIPS
holding() { [ "$(vips lb1)" = "$1" ] && [ "$(vips lb2)" = "$2" ]; }
where() { echo "lb1 [$(vips lb1)] $(states lb1); lb2 [$(vips lb2)] $(states lb2)"; }
# group LB: the group's notify lines, in order
group() { grep '^GROUP' "$E2E_TMP/$1/notify.log" 2>/dev/null | tr '\n' ';'; }
drop() { # LB VRID: LB's ingress drops VRRP adverts of VRID
	tc -n "$LAB_PREFIX$1" filter add dev eth0 ingress pref "$2" protocol ip \
		u32 match ip protocol 112 0xff match u8 "$2" 0xff at 21 \
		action mirred egress redirect dev sink
}
undrop() { tc -n "$LAB_PREFIX$1" filter del dev eth0 ingress pref "$2"; }
last_cause() { field "$1" "i[\"$2\"][\"transitions\"][-1][\"cause\"]"; }

mkconf lb1
mkconf lb2
lb_start lb1
e2e_wait 20 eval 'holding "1 2" ""'
check "LB1 alone: both instances MASTER together ($(where))" \
	eval 'holding "1 2" "" && states_are lb1 "MASTER MASTER"'
check "status: the group and each instance's group" \
	eval '[ "$(field lb1 "g[\"G\"][\"state\"] + i[\"VI_1\"][\"sync_group\"] + i[\"VI_2\"][\"sync_group\"]")" = MASTERGG ]'
e2e_wait 10 eval '[ "$(group lb1)" = "GROUP G BACKUP 0;GROUP G MASTER 0;" ]'
check "group notify: GROUP G BACKUP 0 at start, GROUP G MASTER 0 once ($(group lb1))" \
	eval '[ "$(group lb1)" = "GROUP G BACKUP 0;GROUP G MASTER 0;" ]'
check "group notify_master ran once" \
	eval '[ "$(grep -c "^group-master$" "$E2E_TMP/lb1/notify.log")" = 1 ]'
# (the scripts run at once, in any order: the log says in which order
# the daemon moved)
moves() { # LB TO: the daemon's transitions to TO, in order
	grep -o "vrrp_[a-z_]* [A-Z_0-9]*: [A-Z]* -> $2" \
		"$(lab_state)/daemon-$1.log" | cut -d: -f1 | tr "\n" ";"
}
check "the instances moved (either first), then the group ($(moves lb1 MASTER))" \
	eval '[[ "$(moves lb1 MASTER)" =~ ^vrrp_instance\ VI_[12]\;vrrp_instance\ VI_[12]\;vrrp_sync_group\ G\;$ ]]'

# A reload that keeps both instances keeps the group's state, unnotified.
ctl() { # LB ARGS...: the CLI on LB's daemon
	local lb=$1
	shift
	LBXDP_RUN_DIR=$E2E_TMP/$lb/run timeout -s KILL 30 \
		ip netns exec "$LAB_PREFIX$lb" "$LBXDP" --pin-dir "$PIN_BASE/$lb" "$@"
}
# shellcheck disable=SC2034 # read by the eval below
before=$(grep -c "vrrp_sync_group G:" "$(lab_state)/daemon-lb1.log")
check "reload: applied" eval 'ctl lb1 daemon reload >/dev/null 2>&1'
check "... the group and its instances stay MASTER, with no transition" \
	eval 'holding "1 2" "" && states_are lb1 "MASTER MASTER" &&
		[ "$(field lb1 "g[\"G\"][\"state\"]")" = MASTER ] &&
		[ "$(grep -c "vrrp_sync_group G:" "$(lab_state)/daemon-lb1.log")" = "$before" ]'

# A reload that adds a VIP to an instance keeps it MASTER, as keepalived's
# does: the VIP added at once, no transition (a restart of the instance
# would fail over to the peer and back). Then one that moves it to the
# other instance, which comes first in the file (its addition must not be
# undone by the other's removal), and one that takes it away.
VIP3=198.18.0.12
has_vip3() { [[ "$(ip -n "${LAB_PREFIX}lb1" -4 addr show dev eth0)" == *" $VIP3/32 "* ]]; }
moved() { grep -c -- " -> " "$(lab_state)/daemon-lb1.log"; }
# shellcheck disable=SC2034 # read by the evals below
nmoves=$(moved)
# vip3_on VI [REFRESH]: lb1's file with VIP3 on VI (1 or 2), and
# garp_master_refresh REFRESH on VI_2, reloaded
vip3_on() {
	local v="VIP$1"
	mkconf lb1
	sed -i "s|^        ${!v}\$|        ${!v}\n        $VIP3|" "$E2E_TMP/lb1/lbxdp.conf"
	[ -z "${2:-}" ] ||
		sed -i "s|^    virtual_router_id 52|    virtual_router_id 52\n    garp_master_refresh $2|" \
			"$E2E_TMP/lb1/lbxdp.conf"
	ctl lb1 daemon reload >/dev/null 2>&1
}
check "reload with a VIP more on VI_2, and its ARPs refreshed each second: applied" \
	vip3_on 2 1
e2e_wait 5 has_vip3
check "... VI_2 holds it, both stay MASTER, with no transition" \
	eval 'has_vip3 && holding "1 2" "" && states_are lb1 "MASTER MASTER" &&
		[ "$(moved)" = "$nmoves" ]'
check "reload with it moved to VI_1, and no refresh: applied" vip3_on 1
# (a refresh turned off came due at once, and again, for ever)
sleep 1.5
check "... the daemon still answers, 1.5 s later" \
	eval 'ctl lb1 daemon status >/dev/null 2>&1'
check "... it stays, both stay MASTER, with no transition" \
	eval 'has_vip3 && holding "1 2" "" && states_are lb1 "MASTER MASTER" &&
		[ "$(moved)" = "$nmoves" ]'
mkconf lb1
check "reload without it: applied" eval 'ctl lb1 daemon reload >/dev/null 2>&1'
e2e_wait 5 eval '! has_vip3'
check "... no instance holds it, both stay MASTER, with no transition" \
	eval '! has_vip3 && holding "1 2" "" && states_are lb1 "MASTER MASTER" &&
		[ "$(moved)" = "$nmoves" ]'

# A reload that turns garp_master_refresh on and changes no VIP starts the
# refresh: 4 ARPs for VI_2's VIP each second. VI_2's second set for VIP3
# may be still to come: 5 rounds of its VIPs, 10 ARPs at most; the
# refresh goes past that.
garps() { field lb1 'i["VI_2"]["gratuitous_arps"]'; }
mkconf lb1
sed -i "s|^    virtual_router_id 52|    virtual_router_id 52\n    garp_master_refresh 1\n    garp_master_refresh_repeat 4|" \
	"$E2E_TMP/lb1/lbxdp.conf"
# shellcheck disable=SC2034 # read by the evals below
g0=$(garps)
check "reload with VI_2's ARPs refreshed each second, no VIP changed: applied" \
	eval 'ctl lb1 daemon reload >/dev/null 2>&1'
e2e_wait 10 eval '[ "$(garps)" -ge $((g0 + 12)) ]'
check "... they are ($(($(garps) - g0)) more ARPs, past a second set's 10)" \
	eval '[ "$(garps)" -ge $((g0 + 12)) ]'
mkconf lb1
check "reload without the refresh: applied" \
	eval 'ctl lb1 daemon reload >/dev/null 2>&1'

lb_start lb2
if is_ka lb2; then
	e2e_wait 20 ka_backups lb2
else
	e2e_wait 20 eval 'states_are lb2 "BACKUP BACKUP"'
fi
check "LB2 starts BACKUP, holds nothing" \
	eval 'states_are lb2 "BACKUP BACKUP" && holding "1 2" ""'

# LB2 no longer hears VRID 51: its VI_1 runs out, held by its group.
drop lb2 51
e2e_wait 15 held lb2 VI_1
check "LB2 deaf to VRID 51: VI_1 held in BACKUP by the group ($(where))" \
	eval 'held lb2 VI_1 && holding "1 2" "" && states_are lb2 "BACKUP BACKUP"'
is_ka lb2 || check "... and logged" grep -q "vrrp_instance VI_1: held in BACKUP by sync group G" \
	"$(lab_state)/daemon-lb2.log"

# It hears neither: VI_2 runs out too, both MASTER on LB2 at once.
drop lb2 52
e2e_wait 15 eval '[ "$(vips lb2)" = "1 2" ]'
check "LB2 deaf to both: both MASTER together on LB2 ($(where))" \
	eval '[ "$(vips lb2)" = "1 2" ] && states_are lb2 "MASTER MASTER"'
e2e_wait 10 eval '[ "$(group lb2)" = "GROUP G BACKUP 0;GROUP G MASTER 0;" ]'
check "LB2 group notify: MASTER once ($(group lb2))" \
	eval '[ "$(group lb2)" = "GROUP G BACKUP 0;GROUP G MASTER 0;" ]'

# VRID 51 heard again: VI_1 steps down to LB1's 100, VI_2 with it.
undrop lb2 51
e2e_wait 10 eval 'holding "1 2" ""'
check "VI_1 loses to LB1: VI_2 follows to BACKUP though it hears nothing ($(where))" \
	eval 'holding "1 2" "" && states_are lb2 "BACKUP BACKUP"'
is_ka lb2 || check "... its cause: the group ($(last_cause lb2 VI_2))" \
	eval '[ "$(last_cause lb2 VI_2)" = "sync group G: BACKUP of VI_1" ]'
e2e_wait 15 held lb2 VI_2
check "VI_2 runs out: held in BACKUP, LB1 keeps both ($(where))" \
	eval 'held lb2 VI_2 && holding "1 2" ""'
e2e_wait 10 eval '[ "$(group lb2)" = "GROUP G BACKUP 0;GROUP G MASTER 0;GROUP G BACKUP 0;" ]'
check "LB2 group notify: BACKUP once ($(group lb2))" \
	eval '[ "$(group lb2)" = "GROUP G BACKUP 0;GROUP G MASTER 0;GROUP G BACKUP 0;" ]'
undrop lb2 52
e2e_wait 10 unheld lb2 VI_2

# LB1's VI_1 tracks trk: down, the whole group to FAULT and to LB2.
ip -n "${LAB_PREFIX}lb1" link set trk down
e2e_wait 15 eval 'holding "" "1 2"'
check "LB1's tracked link down: both FAULT, both VIPs on LB2 ($(where))" \
	eval 'holding "" "1 2" && states_are lb1 "FAULT FAULT" &&
		states_are lb2 "MASTER MASTER"'
check "... VI_2's cause: the group ($(last_cause lb1 VI_2))" \
	eval '[ "$(last_cause lb1 VI_2)" = "sync group G: fault of VI_1" ]'
ip -n "${LAB_PREFIX}lb1" link set trk up
e2e_wait 15 eval 'holding "1 2" ""'
check "link up: both preempt back to LB1 together ($(where))" \
	eval 'holding "1 2" "" && states_are lb1 "MASTER MASTER" &&
		states_are lb2 "BACKUP BACKUP"'
e2e_wait 10 eval '[ "$(group lb1)" = "GROUP G BACKUP 0;GROUP G MASTER 0;GROUP G FAULT 0;GROUP G BACKUP 0;GROUP G MASTER 0;" ]'
check "LB1 group notify: FAULT, BACKUP, MASTER once each ($(group lb1))" \
	eval '[ "$(group lb1)" = "GROUP G BACKUP 0;GROUP G MASTER 0;GROUP G FAULT 0;GROUP G BACKUP 0;GROUP G MASTER 0;" ]'

# A clean stop: the instances' STOP, then the group's.
kill -TERM "${PID[lb1]}"
e2e_wait 15 eval '[ "$(grep -c STOP "$E2E_TMP/lb1/notify.log")" = 3 ]'
check "SIGTERM: INSTANCE VI_1 and VI_2 STOP, GROUP G STOP 0" \
	eval '[ "$(grep STOP "$E2E_TMP/lb1/notify.log" | sort | tr "\n" ";")" = "GROUP G STOP 0;INSTANCE VI_1 STOP 100;INSTANCE VI_2 STOP 100;" ]'
check "... the group's after the instances' ($(moves lb1 INIT))" \
	eval '[ "$(moves lb1 INIT)" = "vrrp_instance VI_1;vrrp_instance VI_2;vrrp_sync_group G;" ]'
e2e_wait 15 eval '[ "$(vips lb2)" = "1 2" ]'
check "LB2 takes both over" eval '[ "$(vips lb2)" = "1 2" ]'
e2e_done
