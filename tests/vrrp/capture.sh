#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Regenerates tests/unit/vrrp/*.hex: adverts of a real keepalived (Debian's
# 2.2.7), captured in network namespaces of its own. Root only; the unit
# test reads the committed files and needs neither root nor keepalived.
#
#   bash tests/vrrp/capture.sh [OUTDIR]     (default tests/unit/vrrp)
#
# Two namespaces lbxvc<pid>-ka (keepalived) and lbxvc<pid>-cap (an
# AF_PACKET socket) joined by a veth pair, 198.18.10.1 and .2/24. For each
# case keepalived starts as MASTER with nobody else on the link; the first
# advert it sends is kept, then SIGTERM makes it send priority 0, which is
# kept too.
set -euo pipefail

BASE=lbxvc
P=$BASE$$-
KA_IP=198.18.10.1
CAP_IP=198.18.10.2
VIP1=198.18.10.100
VIP2=198.18.10.101
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$TOP/tests/unit/vrrp}
TMP=""
CAP_PID=""

die() {
	echo "capture: $*" >&2
	exit 1
}

ns_list() {
	ip netns list 2>/dev/null | awk -v p="$1" 'index($1, p) == 1 { print $1 }'
}

# Kill what runs in PREFIX's namespaces (by pid), delete them.
ns_down() {
	local ns pid
	for ns in $(ns_list "$1"); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
	done
	for ns in $(ns_list "$1"); do
		ip netns del "$ns" 2>/dev/null || true
	done
}

cleanup() {
	set +e
	[ -n "$CAP_PID" ] && kill "$CAP_PID" 2>/dev/null
	ns_down "$P"
	[ -n "$TMP" ] && rm -rf "$TMP"
}

# Namespaces of earlier runs that died before cleaning up (pid gone).
reap_stale() {
	local ns rest pid
	for ns in $(ns_list "$BASE"); do
		rest=${ns#"$BASE"}
		pid=${rest%%-*}
		case "$pid" in '' | *[!0-9]*) continue ;; esac
		kill -0 "$pid" 2>/dev/null || ns_down "$BASE$pid-"
	done
}

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
command -v keepalived >/dev/null || die "keepalived missing (apt-get install keepalived)"
trap cleanup EXIT
trap 'exit 130' INT TERM
reap_stale
TMP=$(mktemp -d /tmp/lbxdp-vrrpcap.XXXXXX)
mkdir -p "$OUT"

ip netns add "${P}ka"
ip netns add "${P}cap"
ip -n "${P}ka" link add eth0 type veth peer name eth0 netns "${P}cap"
ip -n "${P}ka" addr add "$KA_IP/24" dev eth0
ip -n "${P}cap" addr add "$CAP_IP/24" dev eth0
ip -n "${P}ka" link set lo up
ip -n "${P}ka" link set eth0 up
ip -n "${P}cap" link set eth0 up

# sed, not head: keepalived writes on after the first line (SIGPIPE)
KA_VERSION=$(keepalived --version 2>&1 | sed -n 1p)

# write_conf FILE VERSION ADVERT_INT AUTH(yes/no)
write_conf() {
	local auth=""
	if [ "$4" = yes ]; then
		auth="authentication {
        auth_type PASS
        auth_pass 1111
    }"
	fi
	cat >"$1" <<EOF
global_defs {
    router_id capture
    vrrp_version $2
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 50
    priority 100
    advert_int $3
    $auth
    virtual_ipaddress {
        $VIP1
        $VIP2
    }
}
EOF
}

# wait_for SECONDS CMD...: until CMD succeeds, polling every 0.1 s.
wait_for() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# has_prio FILE PRIO: a captured packet (hex line) with this priority.
has_prio() {
	[ -n "$(pick "$1" "$2")" ]
}

# pick FILE PRIO: the first captured packet with VRRP priority PRIO.
pick() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import sys
for line in open(sys.argv[1]):
    p = bytes.fromhex(line.strip())
    ihl = (p[0] & 15) * 4
    if len(p) > ihl + 2 and p[ihl + 2] == int(sys.argv[2]):
        print(line.strip())
        break
EOF
}

# write_hex HEX FILE DESCRIPTION CONF
write_hex() {
	{
		echo "# $3"
		echo "# Captured from $KA_VERSION by tests/vrrp/capture.sh:"
		echo "# keepalived -P -n -l in a network namespace, config below; the"
		echo "# whole IPv4 packet as an AF_PACKET socket saw it on the peer."
		sed '/^[[:space:]]*$/d; s/^/#   /' "$4"
		echo "$1" | fold -w 32 | sed 's/../& /g; s/ $//'
	} >"$2"
}

# capture NAME VERSION ADVERT_INT AUTH DESCRIPTION
capture() {
	local name=$1 conf=$TMP/$1.conf cap=$TMP/$1.cap dir=$TMP/$1 ka m z
	mkdir -p "$dir"
	write_conf "$conf" "$2" "$3" "$4"
	: >"$cap"
	ip netns exec "${P}cap" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
s.bind(("eth0", 0x0800))
with open(sys.argv[1], "a") as f:
    while True:
        p = s.recv(65535)
        if len(p) >= 20 and p[9] == 112:
            f.write(p.hex() + "\n")
            f.flush()
' "$cap" &
	CAP_PID=$!
	sleep 0.5 # the socket is bound before keepalived starts
	ip netns exec "${P}ka" keepalived -P -n -l -D -f "$conf" \
		-p "$dir/keepalived.pid" -r "$dir/vrrp.pid" -c "$dir/checkers.pid" \
		>"$dir/log" 2>&1 &
	ka=$!
	wait_for 15 has_prio "$cap" 100 || die "$name: no advert (log: $(cat "$dir/log"))"
	kill -TERM "$ka"
	wait_for 10 has_prio "$cap" 0 || die "$name: no priority 0 advert on stop"
	wait "$ka" || true
	kill "$CAP_PID" 2>/dev/null || true
	wait "$CAP_PID" 2>/dev/null || true
	CAP_PID=""
	m=$(pick "$cap" 100)
	z=$(pick "$cap" 0)
	write_hex "$m" "$OUT/${name}.hex" "$5, priority 100" "$conf"
	write_hex "$z" "$OUT/${name}_prio0.hex" \
		"$5, priority 0 sent on SIGTERM" "$conf"
	echo "capture: $OUT/$name.hex $OUT/${name}_prio0.hex"
}

capture v2_pass 2 1 yes "VRRP v2, PASS 1111, vrid 50, advert_int 1, two VIPs"
capture v2_noauth 2 1 no "VRRP v2, no authentication, vrid 50, advert_int 1"
capture v3 3 1 no "VRRP v3, vrid 50, advert_int 1, two VIPs"
capture v3_half 3 0.5 no "VRRP v3, vrid 50, advert_int 0.5, two VIPs"
