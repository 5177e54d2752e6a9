#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# CLI errors against a live lab: bad input exits 1, state errors exit 2, each
# with an "Error:" on stderr naming the bad argument, and a failed command
# changes nothing: `lbxdp -j backend list`, `status` and the maps that hold
# the configuration (config with its generation, vips, backends, the table
# headers and flip counts), byte for byte.
# shellcheck disable=SC2317 # predicates are called through check
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init errors

e2e_lab e generic
W1=$(lab_ip web1)
W2=$(lab_ip web2)
NOBPF=$E2E_TMP/notbpffs # an existing directory that is not on a bpffs
mkdir -p "$NOBPF"
# The maps a command may write, as bpftool dumps them. No traffic runs
# while the errors are tried, so none of them moves by itself.
CONF_MAPS="config vips vip_info vip_addrs backends tables vip_slot"
snapshot() { # FILE: the lists and the maps
	{
		lab_lbxdp -j backend list
		lab_lbxdp -j status
		for m in $CONF_MAPS; do
			echo "== $m"
			bpftool -j map dump pinned "$LAB_PIN_DIR/$m"
		done
	} >"$1"
}
snapshot "$E2E_TMP/state0"

# expect RC 'WORD|WORD...' ARGS...: run lbxdp ARGS in the lb namespace; it
# must exit RC, print "Error: ..." containing every WORD, and change nothing.
# PIN (default: the lab's) is the --pin-dir used.
expect() {
	local want=$1 words=$2 rc=0 msg w missing="" same=yes
	local pin=${PIN:-$LAB_PIN_DIR}
	shift 2
	timeout 20 ip netns exec "${LAB_PREFIX}lb" "$LBXDP" --pin-dir "$pin" "$@" \
		>"$E2E_TMP/out" 2>"$E2E_TMP/err" || rc=$?
	msg=$(grep -m1 '^Error: ' "$E2E_TMP/err" || true)
	IFS='|' read -r -a wl <<<"$words"
	for w in "${wl[@]}"; do
		if [[ "$msg" != *"$w"* ]]; then
			missing="$missing '$w'"
		fi
	done
	snapshot "$E2E_TMP/state1"
	if ! cmp -s "$E2E_TMP/state0" "$E2E_TMP/state1"; then
		same=no
	fi
	check "lbxdp${PIN:+ --pin-dir $pin} $*: exit $rc (want $want), lists and maps unchanged: $same; ${msg:-no Error: line}${missing:+ (does not name$missing)}" \
		[ "$rc/$same/$missing" = "$want/yes/" ]
	if [ "$same" = no ]; then
		diag "what changed:" "$(diff "$E2E_TMP/state0" "$E2E_TMP/state1" | head -20)"
		cp "$E2E_TMP/state1" "$E2E_TMP/state0"
	fi
}

# Usage errors: exit 1.
expect 1 "198.18.0.10:http" vip add 198.18.0.10:http
expect 1 "70000" vip add 198.18.0.10:70000
expect 1 "sctp" vip add 198.18.0.10:80/sctp
# A backend that is not there yet, with its MAC: only the weight is wrong.
expect 1 "--weight|70000" backend add "$LAB_SVC" 198.18.0.13 \
	--mac 02:00:00:00:00:13 --weight 70000
expect 1 "300.1.2.3" backend add "$LAB_SVC" 300.1.2.3
expect 1 "--mode|turbo" attach eth0 --mode turbo
# Capacities that cannot work, checked before any map is made.
FRESH=$(dirname "$LAB_PIN_DIR")/fresh # on the lab's bpffs, no maps yet
mkdir -p "$FRESH"
PIN=$FRESH expect 1 "--ring-size|251|--max-backends|256" attach eth0 --ring-size 251
expect 1 "tcp" timeout set tcp 0
expect 1 "--bogus" backend list --bogus
expect 1 "udp|value" timeout set tcp 5 udp
expect 1 "--mac|02:00:zz" backend set "$LAB_SVC" "$W1" --mac 02:00:zz
expect 1 "--weight|--mac" backend set "$LAB_SVC" "$W1"
# The wrr schedule is capped (LBXDP_WRR_MAX entries): web1 at 5001 beside
# web2 at 2 would need 5003. Checked before any record is written.
expect 1 "$W1|--weight 5001|wrr schedule" backend set "$LAB_SVC" "$W1" --weight 5001

# Values that parse but make no sense: exit 1, before any map is read.
expect 1 "0.0.0.0:80|unspecified" vip add 0.0.0.0:80
expect 1 "255.255.255.255:80|broadcast" vip add 255.255.255.255:80
expect 1 "224.0.0.18:80|multicast" vip add 224.0.0.18:80
expect 1 "127.0.0.1:80|loopback" vip add 127.0.0.1:80/udp
expect 1 "198.18.0.10|VIP itself" backend add "$LAB_SVC" 198.18.0.10
expect 1 "224.0.0.1|multicast" backend add "$LAB_SVC" 224.0.0.1
expect 1 "127.0.0.2|loopback" backend add "$LAB_SVC" 127.0.0.2
expect 1 "0.0.0.0|unspecified" backend add "$LAB_SVC" 0.0.0.0
expect 1 "255.255.255.255|broadcast" backend add "$LAB_SVC" 255.255.255.255
# The edges of the LB's own prefix on the attached interface (eth0 holds
# 198.18.0.2/24): no host has them.
expect 1 "198.18.0.0|network address of 198.18.0.0/24|eth0" \
	backend add "$LAB_SVC" 198.18.0.0 --mac 02:00:00:00:00:0d
expect 1 "198.18.0.255|broadcast address of 198.18.0.0/24|eth0" \
	backend add "$LAB_SVC" 198.18.0.255
# A MAC that is no one host's: a broadcast one would flood every VIP frame
# to every host on the link.
expect 1 "--mac|00:00:00:00:00:00|zero" backend add "$LAB_SVC" 198.18.0.13 --mac 00:00:00:00:00:00
expect 1 "--mac|ff:ff:ff:ff:ff:ff|broadcast" backend add "$LAB_SVC" 198.18.0.13 --mac ff:ff:ff:ff:ff:ff
expect 1 "--mac|01:00:5e:00:00:01|multicast" backend add "$LAB_SVC" 198.18.0.13 --mac 01:00:5e:00:00:01
expect 1 "--mac|33:33:00:00:00:01|multicast" backend set "$LAB_SVC" "$W1" --mac 33:33:00:00:00:01
# The same MACs written by hand in the neighbour table: state, exit 2.
lab_exec lb ip neigh replace 198.18.0.50 lladdr 01:00:5e:00:00:01 dev eth0 nud permanent
lab_exec lb ip neigh replace 198.18.0.51 lladdr 00:00:00:00:00:00 dev eth0 nud permanent
expect 2 "198.18.0.50|neighbour table|multicast|--mac" backend add "$LAB_SVC" 198.18.0.50
expect 2 "198.18.0.51|neighbour table|zero|--mac" backend add "$LAB_SVC" 198.18.0.51

# State errors: exit 2.
expect 2 "198.18.0.10:81" backend add 198.18.0.10:81 "$W2"
expect 2 "198.18.0.10:80|already" vip add "$LAB_SVC"
expect 2 "$W1|already" backend add "$LAB_SVC" "$W1"
expect 2 "198.18.0.13" backend set "$LAB_SVC" 198.18.0.13 --down
expect 2 "198.18.0.13" backend del "$LAB_SVC" 198.18.0.13
expect 2 "nosuch0" attach nosuch0
expect 2 "nosuch0" detach nosuch0
# Not on the LB's link at all: no route, or a route elsewhere.
expect 2 "198.19.0.1|neighbour" backend add "$LAB_SVC" 198.19.0.1
# On the link, but nobody answers ARP.
expect 2 "198.18.0.99" backend add "$LAB_SVC" 198.18.0.99
# Pin directories that are not on a bpffs: the message says how to mount one.
PIN=$NOBPF expect 2 "mount -t bpf bpf" backend list
PIN=$NOBPF expect 2 "mount -t bpf bpf" attach eth0 --mode generic
PIN=$NOBPF/lb expect 2 "mount -t bpf bpf" vip add "$LAB_SVC"
if [ ! -e /tmp/notbpffs ]; then
	PIN=/tmp/notbpffs expect 2 "mount -t bpf bpf" backend list
fi

# An attach refused for a foreign XDP program pins nothing, so a retry
# with other capacities is not refused for maps the refusal left. On a
# veth pair of the lb namespace's own, with its own pin directory.
BPFFS=$(dirname "$LAB_PIN_DIR")
pins() { # DIR: what is pinned there, or that there is no DIR
	find "$1" -mindepth 1 -maxdepth 1 -printf '%f ' 2>/dev/null || echo "no directory"
}
lab_exec lb ip link add lbxf0 type veth peer name lbxf1
lab_exec lb ip link set dev lbxf1 up
lab_exec lb ip link set dev lbxf0 up
lab_exec lb ip link set dev lbxf0 xdpgeneric obj "$LAB_XDP_PASS" sec xdp
PIN=$BPFFS/foreign expect 2 "lbxf0|--force" attach lbxf0 --mode generic
check "the refused attach left no pin directory ($(pins "$BPFFS/foreign"))" \
	[ ! -e "$BPFFS/foreign" ]
mkdir -p "$BPFFS/foreign"
PIN=$BPFFS/foreign expect 2 "lbxf0|--force" attach lbxf0 --mode generic
check "the refused attach pinned nothing in an existing directory ($(pins "$BPFFS/foreign"))" \
	[ -z "$(pins "$BPFFS/foreign")" ]
lab_exec lb ip link set dev lbxf0 xdpgeneric off
max_vips() { # PIN: max_vips of the maps pinned there
	lab_exec lb "$LBXDP" --pin-dir "$1" -j status 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["max_vips"])'
}
check "the foreign program gone, attach with --max-vips 4 works" \
	lab_exec lb "$LBXDP" --pin-dir "$BPFFS/foreign" attach lbxf0 --mode generic --max-vips 4 2>/dev/null
check "the maps have --max-vips 4 ($(max_vips "$BPFFS/foreign"))" \
	[ "$(max_vips "$BPFFS/foreign")" = 4 ]
lab_exec lb "$LBXDP" --pin-dir "$BPFFS/foreign" detach --purge 2>/dev/null
# A failure after the load (a bridge has no native XDP: the link is refused)
# unpins what this attach pinned too.
lab_exec lb ip link add lbxb0 type bridge
lab_exec lb ip link set dev lbxb0 up
PIN=$BPFFS/bridge expect 2 "lbxb0|native" attach lbxb0 --mode native
check "the failed native attach left no pin directory ($(pins "$BPFFS/bridge"))" \
	[ ! -e "$BPFFS/bridge" ]
check "attach lbxb0 in generic mode with --max-vips 4 then works" \
	lab_exec lb "$LBXDP" --pin-dir "$BPFFS/bridge" attach lbxb0 --mode generic --max-vips 4 2>/dev/null
check "the maps have --max-vips 4 ($(max_vips "$BPFFS/bridge"))" \
	[ "$(max_vips "$BPFFS/bridge")" = 4 ]
lab_exec lb "$LBXDP" --pin-dir "$BPFFS/bridge" detach --purge 2>/dev/null

# Capacities are fixed when the maps are made: another one is refused with
# the command that recreates them.
expect 2 "--max-vips|detach --purge" attach eth0 --mode generic --max-vips 7
expect 2 "--ring-size|detach --purge" attach eth0 --mode generic --ring-size 251

# Maps of another ABI version: every command refuses them, saying how to
# recreate them. The first word of config is the version in every ABI.
lists_vips() { lab_lbxdp vip list >/dev/null; }
refuses_abi() {
	[ "$1" = 2 ] && [[ "$2" == *"ABI version 99"* ]] && [[ "$2" == *"detach --purge"* ]]
}
cfgmap=$LAB_PIN_DIR/config
bpftool -j map lookup pinned "$cfgmap" key hex 00 00 00 00 >"$E2E_TMP/cfg.json"
mapfile -t cfgbytes < <(python3 -c 'import json,sys
for b in json.load(open(sys.argv[1]))["value"]: print(b)' "$E2E_TMP/cfg.json")
bpftool map update pinned "$cfgmap" key hex 00 00 00 00 \
	value hex 63 00 00 00 "${cfgbytes[@]:4}"
for cmd in "vip list" "flow list" "backend add $LAB_SVC $W2" "attach eth0 --mode generic"; do
	rc=0
	# shellcheck disable=SC2086 # split the command into words
	msg=$(lab_lbxdp $cmd 2>&1 >/dev/null) || rc=$?
	check "ABI 99 pinned: lbxdp $cmd exits 2 ($rc) naming the version and the way out ($msg)" \
		refuses_abi "$rc" "$msg"
done
bpftool map update pinned "$cfgmap" key hex 00 00 00 00 value hex "${cfgbytes[@]}"
check "ABI restored: vip list works again" lists_vips

lab_hits 6 >"$E2E_TMP/hits"
check "the VIP still forwards after the failed commands ($(grep -c '^web' "$E2E_TMP/hits" || true) of 6 answered)" \
	[ "$(grep -c '^web' "$E2E_TMP/hits" || true)" -eq 6 ]

# Weights already there can make the schedule too long too: web1 at 5001,
# down (out of the schedule), cannot come up beside web2 at 2. That is
# state, not a bad value (exit 2), and names no --weight.
lab_lbxdp backend set "$LAB_SVC" "$W1" --down --weight 5001
snapshot "$E2E_TMP/state0"
expect 2 "$W1|wrr schedule|lower a weight" backend set "$LAB_SVC" "$W1" --up
lab_lbxdp backend set "$LAB_SVC" "$W1" --weight 1 --up

# Capacities reached: attach anew with room for 2 VIPs of 2 backends.
lab_lbxdp detach eth0 --purge 2>/dev/null
lab_lbxdp attach eth0 --mode generic --max-vips 2 --max-backends 2 2>/dev/null
lab_lbxdp vip add "$LAB_SVC"
lab_lbxdp vip add 198.18.0.10:81
lab_lbxdp backend add "$LAB_SVC" "$W1"
lab_lbxdp backend add "$LAB_SVC" "$W2"
snapshot "$E2E_TMP/state0"
expect 2 "198.18.0.10:82|--max-vips" vip add 198.18.0.10:82
expect 2 "198.18.0.13|198.18.0.10:80|--max-backends" backend add "$LAB_SVC" 198.18.0.13 --mac 02:00:00:00:00:0d

# A finished drain holds its record until backend list or a writer that
# needs the room frees it: web2 is drained with flows, which then idle past
# the (short) TCP timeout; a backend add that finds the VIP full frees it.
state_of() { # HOST-ADDR: its state in backend list, or "gone"
	lab_lbxdp -j backend list >"$E2E_TMP/l.json"
	local st
	st=$(lab_json_backend "$E2E_TMP/l.json" "$1" state)
	echo "${st:-gone}"
}
lab_hits 6 >"$E2E_TMP/hits2"
check "web2 has connections to drain ($(grep -c '^web2$' "$E2E_TMP/hits2" || true) of 6)" \
	[ "$(grep -c '^web2$' "$E2E_TMP/hits2" || true)" -gt 0 ]
lab_lbxdp backend del "$LAB_SVC" "$W2"
st=$(state_of "$W2")
check "web2 draining ($st)" [ "$st" = draining ]
# Only now the short timeout: its flows are past it after the sleep.
lab_lbxdp timeout set tcp 4
sleep 5
check "backend add to the full VIP frees the finished drain and succeeds" \
	lab_lbxdp backend add "$LAB_SVC" 198.18.0.13 --mac 02:00:00:00:00:0d
check "web2's record is gone ($(state_of "$W2")), 198.18.0.13 is up ($(state_of 198.18.0.13))" \
	[ "$(state_of "$W2")/$(state_of 198.18.0.13)" = gone/up ]
e2e_done
