#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# lbxdp's VRRP codec and sockets on the wire against keepalived (Debian's
# 2.2.7), v2 and v3, in two namespaces of the test joined by a veth pair:
# our socket hears keepalived's adverts and decodes them to its settings;
# our adverts at a higher priority make keepalived a backup that gives up
# its VIP, as a real peer's would. (The daemon's VRRP comes next.)
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # functions run through e2e_wait
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init vrrp_wire

PROBE=$LAB_ROOT/${OUTPUT:-.output}/tests/vrrp_probe
if ! command -v keepalived >/dev/null || [ ! -x "$PROBE" ]; then
	not_ok "$E2E_NAME: keepalived or $PROBE missing (scripts/deps.sh, make)"
	exit 1
fi

LAB_PREFIX=$E2E_BASE$$w-
KA=${LAB_PREFIX}ka
US=${LAB_PREFIX}lb
KA_IP=198.18.10.1
US_IP=198.18.10.2
VIP=198.18.10.100
ip netns add "$KA"
ip netns add "$US"
ip link add va netns "$KA" type veth peer name vb netns "$US"
ip -n "$KA" addr add "$KA_IP/24" dev va
ip -n "$US" addr add "$US_IP/24" dev vb
ip -n "$KA" link set va up
ip -n "$US" link set vb up

ka_vip() { ip -n "$KA" -4 addr show dev va | grep -q " $VIP/"; }
ka_stop() {
	local pid
	for pid in $(ip netns pids "$KA"); do
		kill -9 "$pid" 2>/dev/null || true
	done
	e2e_wait 10 eval '[ -z "$(ip netns pids "$KA")" ]'
	ip -n "$KA" addr del "$VIP/32" dev va 2>/dev/null || true
}

for v in 2 3; do
	conf=$E2E_TMP/ka$v.conf
	log=$E2E_TMP/ka$v.log
	auth=""
	[ "$v" = 2 ] && auth='authentication {
        auth_type PASS
        auth_pass 1111
    }'
	cat >"$conf" <<EOF
global_defs {
    router_id lbxdp_wire
    vrrp_version $v
}
vrrp_instance VI_1 {
    state MASTER
    interface va
    virtual_router_id 50
    priority 100
    advert_int 1
    $auth
    virtual_ipaddress {
        $VIP
    }
}
EOF
	ip netns exec "$KA" keepalived -P -n -l -D -f "$conf" \
		-p "$E2E_TMP/ka$v.pid" -r "$E2E_TMP/vrrp$v.pid" \
		-c "$E2E_TMP/chk$v.pid" >"$log" 2>&1 </dev/null &
	disown "$!"

	# keepalived's adverts, decoded by our socket and codec.
	ip netns exec "$US" "$PROBE" vb recv 2 10000 >"$E2E_TMP/recv$v" || true
	want="from $KA_IP ttl 255 v$v vrid 50 prio 100 interval_cs 100"
	if [ "$v" = 2 ]; then
		want="$want auth 1 pass '1111' addrs $VIP"
	else
		want="$want auth 0 pass '' addrs $VIP"
	fi
	check "v$v: our socket hears keepalived's adverts and decodes them ($(head -1 "$E2E_TMP/recv$v"))" \
		eval '[ "$(grep -cxF "$want" "$E2E_TMP/recv$v")" = 2 ]'
	e2e_wait 10 ka_vip
	check "v$v: keepalived alone is master and holds the VIP" ka_vip

	# Ours at priority 200, every second, as a master's: keepalived
	# yields and removes its VIP.
	ip netns exec "$US" "$PROBE" vb send "$US_IP" "$v" 50 200 100 4 1111 \
		"$VIP" &
	sender=$!
	e2e_wait 10 eval '! ka_vip'
	check "v$v: our priority 200 adverts make keepalived a backup without the VIP" \
		eval '! ka_vip && grep -q "higher priority 200" "$log"'
	wait "$sender" || true
	ka_stop
done
e2e_done
