# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
# A VRRP pair on one bridge, for tests/e2e/test_vrrp_pair.sh and
# tests/bench/vrrp.sh: LB1 and LB2 run keepalived (-P: VRRP only) or lbxdp
# daemon on the seed's files (addresses changed only), a third namespace
# (cap) logs every advert with the kernel's receive time, so takeover
# times come from the packets, not from this machine's speed.
#
#   source tests/e2e/lib.sh; e2e_init NAME; source tests/e2e/vrrp_lib.sh
#   pair_lab TAG                 the lab (client lb1 lb2 cap web1 web2)
#   IMPL[lb1]=ka|lbxdp; V=2|3; mkconf FILE master|backup; lb_start lb1 FILE
#   m=$(mark); lb_stop lb1 KILL; takeover_us "$m" lb1 lb2 kill
# shellcheck disable=SC2034 # variables are for the scripts that source this

PROBE=$LAB_OUTPUT/tests/vrrp_probe
EX_MASTER=$LAB_ROOT/tests/e2e/seed-master.conf
EX_BACKUP=$LAB_ROOT/tests/e2e/seed-backup.conf
if ! command -v keepalived >/dev/null || [ ! -x "$PROBE" ]; then
	not_ok "$E2E_NAME: keepalived or $PROBE missing (scripts/deps.sh, make)"
	exit 1
fi

VIP=$LAB_VIP
VIP3=198.18.0.21 # LB1's instead of VIP, for a VIP list mismatch
W1=$(lab_ip web1)
W2=$(lab_ip web2)
declare -A IP=([client]=198.18.0.1 [lb1]=198.18.0.2 [lb2]=198.18.0.3
	[cap]=198.18.0.4 [web1]=$W1 [web2]=$W2)

declare -A IMPL PID LOG
RUNS=0

# Microsecond bounds from RFC 3768 (v2, seconds) and RFC 5798 (v3,
# centiseconds, integer division), advert_int 1: skew and
# Master_Down_Interval of priority $1.
skew_us() {
	if [ "$V" = 2 ]; then
		echo $(((256 - $1) * 1000000 / 256))
	else
		local cs=$(((256 - $1) * 100 / 256)) # whole centiseconds
		echo $((cs * 10000))
	fi
}
mdi_us() { echo $((3000000 + $(skew_us "$1"))); }

# The lab: client, lb1, lb2, cap (the advert watcher), web1, web2 on br0,
# native XDP (the examples' default), the servers' VIP on lo.
pair_lab() {
	local host st
	lab_lock
	if [ -n "${LAB_PREFIX:-}" ]; then
		keep
		lab_down "$LAB_PREFIX"
	fi
	LAB_PREFIX=$E2E_BASE$$$1-
	st=$(lab_state)
	mkdir -p "$st"
	ip netns add "${LAB_PREFIX}br"
	ip -n "${LAB_PREFIX}br" link set lo up
	ip -n "${LAB_PREFIX}br" link add br0 type bridge
	ip -n "${LAB_PREFIX}br" link set br0 up
	for host in client lb1 lb2 cap web1 web2; do
		ip netns add "$LAB_PREFIX$host"
		ip -n "$LAB_PREFIX$host" link set lo up
		lab_sysctl "$host" net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		ip -n "${LAB_PREFIX}br" link add "$host" type veth peer name eth0 \
			netns "$LAB_PREFIX$host"
		ip -n "${LAB_PREFIX}br" link set "$host" master br0 up
		ip -n "$LAB_PREFIX$host" addr add "${IP[$host]}/24" dev eth0
		ip -n "$LAB_PREFIX$host" link set eth0 up
	done
	for host in web1 web2; do
		ip -n "$LAB_PREFIX$host" addr add "$VIP/32" dev lo
		lab_sysctl "$host" net.ipv4.conf.all.arp_ignore=1 \
			net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.eth0.arp_ignore=1 \
			net.ipv4.conf.eth0.arp_announce=2
		mkdir -p "$st/www/$host"
		echo "$host" >"$st/www/$host/index.html"
		lab_web_start "$host" "$st/www/$host"
	done
	# Native XDP_TX needs an XDP program on the peer; senders' partial
	# checksums do not survive it (DESIGN.md §7).
	for host in lb1 lb2; do
		ip -n "${LAB_PREFIX}br" link set dev "$host" xdpdrv \
			obj "$LAB_XDP_PASS" sec xdp
	done
	for host in client web1 web2; do
		ip netns exec "$LAB_PREFIX$host" ethtool -K eth0 tx off >/dev/null
	done
	lab_bpffs_mount
	PIN_BASE=${LAB_PIN_DIR%/lb}
	lab_bg cap watch "$PROBE" eth0 watch
	CAP=$st/watch.log
	e2e_wait 10 grep -q '^# watching' "$CAP"
	lab_wait_http "$W1" 80 web1
	lab_wait_http "$W2" 80 web2
	lab_unlock
}

# One lab built or removed at a time among the children of one run: a
# directory, as a lock fd would be inherited by the lab's servers. Bounded:
# a child killed while holding it delays the others, never stops them.
lab_lock() {
	[ -n "${VRRP_LOCK:-}" ] || return 0
	e2e_wait 60 mkdir "$VRRP_LOCK" 2>/dev/null
}
lab_unlock() {
	[ -n "${VRRP_LOCK:-}" ] || return 0
	rmdir "$VRRP_LOCK" 2>/dev/null || true
}

keep() {
	if [ -n "${VRRP_KEEP:-}" ]; then
		mkdir -p "$VRRP_KEEP"
		cp -r "$(lab_state)" "$VRRP_KEEP/" 2>/dev/null || true
	fi
}

# lb_lbxdp LB ARGS...: the lbxdp CLI in LB's namespace, on its pin dir.
lb_lbxdp() {
	local lb=$1
	shift
	timeout -s KILL 60 ip netns exec "$LAB_PREFIX$lb" \
		"$LBXDP" --pin-dir "$PIN_BASE/$lb" "$@"
}

# mkconf OUT master|backup [SED...]: the example, the lab's addresses, the
# version of this round, then SED.
mkconf() {
	local out=$1 ex=$EX_MASTER ver=()
	[ "$2" = backup ] && ex=$EX_BACKUP
	shift 2
	[ "$V" = 3 ] && ver=(-e '/^ *router_id /a\   vrrp_version 3')
	sed -e "s/192\.168\.4\.15/$VIP/; s/192\.168\.4\.100/$W1/" \
		-e "s/192\.168\.4\.200/$W2/" "${ver[@]}" "$@" "$ex" >"$out"
}

# lb_start LB CONF: LB's implementation on CONF, in a session of its own
# (its process group is what kill -9 hits).
lb_start() {
	local lb=$1 d
	d=$(lab_state)/$lb
	RUNS=$((RUNS + 1))
	mkdir -p "$d"
	rm -f "$d"/*.pid
	case "${IMPL[$lb]}" in
	ka)
		lab_bg "$lb" "$lb-$RUNS" setsid keepalived -n -l -D -P -f "$2" \
			-p "$d/ka.pid" -r "$d/vrrp.pid" -c "$d/chk.pid"
		;;
	lbxdp)
		lab_bg "$lb" "$lb-$RUNS" env LBXDP_RUN_DIR="$d/run" setsid \
			"$LBXDP" --pin-dir "$PIN_BASE/$lb" daemon -f "$2"
		;;
	esac
	PID[$lb]=$LAB_BG_PID
	LOG[$lb]=$(lab_state)/$lb-$RUNS.log
}

lb_gone() { ! kill -0 -- "-${PID[$1]}" 2>/dev/null; }

# lb_stop LB [SIGNAL]: SIGTERM to the main process (a clean stop), or
# SIGKILL to its whole process group; until none of it is left.
lb_stop() {
	local lb=$1
	[ -n "${PID[$lb]:-}" ] || return 0
	if [ "${2:-TERM}" = KILL ]; then
		kill -KILL -- "-${PID[$lb]}" 2>/dev/null || true
	else
		kill -TERM "${PID[$lb]}" 2>/dev/null || true
	fi
	e2e_wait 15 lb_gone "$lb"
	lb_gone "$lb" || kill -KILL -- "-${PID[$lb]}" 2>/dev/null || true
	PID[$lb]=""
}

holds() { ip -n "$LAB_PREFIX$1" -4 addr show dev eth0 | grep -q " $2/"; }

# Who holds the VIP on eth0: "", "lb1", "lb2" or "lb1 lb2".
holders() {
	local lb out=""
	for lb in lb1 lb2; do
		if holds "$lb" "$VIP"; then
			out="$out $lb"
		fi
	done
	echo "${out# }"
}

# vip_clear LB: remove what a killed LB left, as the next round starts clean.
vip_clear() {
	local a
	for a in "$VIP" "$VIP3"; do
		ip -n "$LAB_PREFIX$1" addr del "$a/32" dev eth0 2>/dev/null || true
	done
}

mark() { wc -l <"$CAP"; }

# adverts MARK: "TS ADDR PRIO" of each advert heard after line MARK.
adverts() {
	awk -v m="$1" 'NR > m && $2 == "from" { print $1, $3, $10 }' "$CAP"
}

# takeover_us MARK OLD NEW stop|kill: microseconds from OLD's priority 0
# advert after MARK (stop), or from OLD's last advert before NEW's first
# after MARK (kill), to NEW's first advert as master; empty if not yet.
takeover_us() {
	adverts 0 | awk -v m="$(adverts "$1" | head -1)" -v old="${IP[$2]}" \
		-v new="${IP[$3]}" -v how="$4" '
	BEGIN { split(m, first, " "); t_mark = first[1] }
	t_mark == "" { exit }
	how == "stop" && $2 == old && $3 == 0 && $1 >= t_mark && t0 == "" { t0 = $1 }
	how == "kill" && $2 == old && t1 == "" { t0 = $1 }
	$2 == new && $3 > 0 && $1 >= t_mark && t1 == "" &&
		(how == "kill" || t0 != "") { t1 = $1 }
	END { if (t0 != "" && t1 != "") printf "%d\n", (t1 - t0) * 1e6 + 0.5 }'
}

# sent_since MARK LB: how many adverts LB sent after MARK.
sent_since() { adverts "$1" | awk -v a="${IP[$2]}" '$2 == a' | wc -l; }

sec() { awk -v u="$1" 'BEGIN { printf "%.3f", u / 1e6 }'; }

# backup_ready LB: the side is up and a backup (keepalived's log says so,
# lbxdp's status does).
backup_ready() {
	case "${IMPL[$1]}" in
	ka) grep -q 'Entering BACKUP STATE' "${LOG[$1]}" ;;
	lbxdp) LBXDP_RUN_DIR="$(lab_state)/$1/run" lb_lbxdp "$1" daemon status 2>/dev/null |
		grep -q '^vrrp_instance VI_1: BACKUP' ;;
	esac
}
