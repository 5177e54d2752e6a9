#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A VRRP pair on one bridge: LB1 runs the seed's keepalived-lvs-dr-master.conf
# (priority 100), LB2 its -backup.conf (priority 50), addresses changed
# only, each side keepalived (-P: VRRP only, its service added with the
# lbxdp CLI) or lbxdp daemon. v2 and v3: one VIP holder after settling; a
# clean stop and a kill -9 hand over within the RFC's bounds, measured
# between the adverts' kernel receive times on a third namespace (so not
# on this machine's speed); the client's ARP follows and new connections
# through the VIP succeed; a restarted LB1 preempts, one with nopreempt
# does not; a wrong password, a v2 interval and a VIP list mismatch leave
# both sides master with keepalived's log lines.
#
#   VRRP_PAIRS='lbxdp:ka ka:lbxdp lbxdp:lbxdp'
#                          LB1:LB2 implementations (ka or lbxdp); ka:ka
#                          checks the lab and the bounds against keepalived
#   VRRP_VERSIONS='2 3'
#   VRRP_JOBS=N            pairs run at once, each in a lab of its own
#                          (default 1: the takeover bounds are 0.25 s, so
#                          the daemons measured should not share the CPUs
#                          with another pair); a pair runs its scenarios in
#                          turn
#   VRRP_KEEP=DIR          keep each lab's logs and adverts (DIR/PREFIX)
# shellcheck disable=SC2016 # check ... eval '...' expands when checked
# shellcheck disable=SC2317 # functions run through e2e_wait
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init vrrp_pair

VRRP_PAIRS=${VRRP_PAIRS:-lbxdp:ka ka:lbxdp lbxdp:lbxdp}
VRRP_VERSIONS=${VRRP_VERSIONS:-2 3}
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

# Each LB's addresses on eth0 but its own, for the checks' descriptions.
held() {
	local lb
	for lb in lb1 lb2; do
		printf '%s: %s; ' "$lb" "$(ip -n "$LAB_PREFIX$lb" -4 -o addr show dev eth0 |
			awk -v me="${IP[$lb]}/24" '$4 != me { printf "%s ", $4 }')"
	done
}

mark() { wc -l <"$CAP"; }

# adverts MARK: "TS ADDR PRIO" of each advert heard after line MARK.
adverts() {
	awk -v m="$1" 'NR > m && $2 == "from" { print $1, $3, $10 }' "$CAP"
}

# lb1_adverts MARK: LB1's distinct adverts after MARK, without their time.
lb1_adverts() {
	awk -v m="$1" -v a="${IP[lb1]}" 'NR > m && $2 == "from" && $3 == a' "$CAP" |
		cut -d' ' -f2- | sort -u
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

# quiet_after MARK LB SLACK_US: LB sent no advert later than SLACK_US after
# the first one the other LB sent after MARK.
quiet_after() {
	local other=lb1
	[ "$2" = lb1 ] && other=lb2
	adverts "$1" | awk -v me="${IP[$2]}" -v other="${IP[$other]}" -v s="$3" '
	$2 == other && t == "" { t = $1 }
	$2 == me { last = $1 }
	END { exit !(t != "" && (last == "" || (last - t) * 1e6 <= s)) }'
}

# heard_until MARK LB T: an advert of LB after MARK at or after time T.
heard_until() {
	adverts "$1" | awk -v a="${IP[$2]}" -v t="$3" \
		'$2 == a && $1 >= t { f = 1 } END { exit !f }'
}

# sent_since MARK LB: how many adverts LB sent after MARK.
sent_since() { adverts "$1" | awk -v a="${IP[$2]}" '$2 == a' | wc -l; }

mac_of() { ip -n "$LAB_PREFIX$1" -br link show dev eth0 | awk '{ print $3 }'; }
client_arp_is() {
	ip -n "${LAB_PREFIX}client" neigh show "$VIP" dev eth0 | grep -q "lladdr $(mac_of "$1") "
}

hits_ok() {
	lab_hits 4 >"$E2E_TMP/hits"
	[ "$(grep -c '^web[12]$' "$E2E_TMP/hits")" = 4 ]
}

# in_us_range VALUE LOW HIGH
in_us_range() { [ -n "$1" ] && in_range "$1" "$2" "$3"; }
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

# logs_drop LB KA_TEXT LBXDP_TEXT: LB's log has the line of its
# implementation for a dropped advert of the other LB.
logs_drop() {
	local other=lb1
	[ "$1" = lb1 ] && other=lb2
	if [ "${IMPL[$1]}" = ka ]; then
		grep -qF -- "$2" "${LOG[$1]}"
	else
		grep -qF -- "advert from ${IP[$other]} dropped: $3" "${LOG[$1]}"
	fi
}

# phase WHAT: where the time goes (a diagnostic line).
phase() {
	local now
	now=$(date +%s%N)
	diag "$T: $1: $(((now - PHASE_NS) / 1000000)) ms"
	PHASE_NS=$now
}

round() {
	local pair=$1 t m lo hi c d kind mode want lb
	local c_m=$E2E_TMP/m$V.conf c_b=$E2E_TMP/b$V.conf c_np=$E2E_TMP/np$V.conf
	T="v$V $pair"
	PHASE_NS=$(date +%s%N)
	mkconf "$c_m" master
	mkconf "$c_b" backup
	mkconf "$c_np" master -e 's/state MASTER/state BACKUP/' \
		-e '/priority 100/a\    nopreempt'

	# Settling: LB1 alone master, keepalived's adverts on the wire.
	m=$(mark)
	lb_start lb1 "$c_m"
	lb_start lb2 "$c_b"
	e2e_wait 10 eval '[ "$(holders)" = lb1 ]'
	check "$T: settled, lb1 alone holds the VIP (holders: $(holders))" \
		eval '[ "$(holders)" = lb1 ]'
	local auth="auth 1 pass '1111'"
	[ "$V" = 3 ] && auth="auth 0 pass ''"
	want="from ${IP[lb1]} ttl 255 v$V vrid 50 prio 100 interval_cs 100 $auth addrs $VIP"
	e2e_wait 5 eval '[ "$(sent_since "$m" lb1)" -ge 1 ]'
	check "$T: lb1's adverts are the master example's: $(lb1_adverts "$m" | head -1)" \
		eval '[ "$(lb1_adverts "$m")" = "$want" ]'
	check "$T: lb2 sent no advert" eval '[ "$(sent_since "$m" lb2)" = 0 ]'
	# v3 has no authentication: keepalived ignores the block with a
	# warning, and so does lbxdp.
	if [ "$V" = 3 ]; then
		for lb in lb1 lb2; do
			check "$T: $lb (${IMPL[$lb]}) warns that v3 ignores the authentication block" \
				grep -qiE 'authentication.*(ignor|not used)|version 3 does not support auth' "${LOG[$lb]}"
		done
	fi
	check "$T: the client reaches the servers through lb1" \
		eval 'hits_ok && client_arp_is lb1'
	phase settled

	# Clean stop: priority 0, then LB2 within its skew time.
	for mode in stop kill; do
		m=$(mark)
		if [ "$mode" = stop ]; then
			lb_stop lb1 TERM
			t=$(skew_us 50)
			lo=$((t - 50000)) hi=$((t + 250000))
		else
			lb_stop lb1 KILL
			t=$(mdi_us 50)
			lo=$((t - 50000)) hi=$((t + 200000))
		fi
		e2e_wait 10 eval '[ -n "$(takeover_us "$m" lb1 lb2 "$mode")" ]'
		t=$(takeover_us "$m" lb1 lb2 "$mode")
		check "$T: $mode of the master: lb2 takes over in $(sec "${t:-0}") s (bounds $(sec $lo)-$(sec $hi) s)" \
			in_us_range "$t" "$lo" "$hi"
		e2e_wait 5 holds lb2 "$VIP"
		if [ "$mode" = stop ]; then
			check "$T: $mode: lb2 holds the VIP, lb1 none (holders: $(holders))" \
				eval '[ "$(holders)" = lb2 ]'
		else
			check "$T: $mode: lb2 holds the VIP (holders: $(holders))" \
				holds lb2 "$VIP"
		fi
		e2e_wait 10 client_arp_is lb2
		check "$T: $mode: the client's ARP follows to lb2, new connections succeed" \
			eval 'client_arp_is lb2 && hits_ok'
		phase "$mode"
		[ "$mode" = kill ] && break

		# The restarted LB1 preempts; LB2 stops advertising at once.
		m=$(mark)
		lb_start lb1 "$c_m"
		e2e_wait $((4 + $(mdi_us 100) / 1000000)) eval '[ "$(holders)" = lb1 ]'
		check "$T: a restarted lb1 preempts (holders: $(holders))" \
			eval '[ "$(holders)" = lb1 ]'
		check "$T: lb2 stops advertising when lb1 does" \
			quiet_after "$m" lb2 500000
		phase preempt
	done

	# nopreempt (state BACKUP): LB1 restarts, removes the VIP its killed
	# predecessor left, and stays backup past its Master_Down_Interval
	# of LB2's adverts.
	m=$(mark)
	lb_start lb1 "$c_np"
	e2e_wait 10 backup_ready lb1
	e2e_wait 5 eval '! holds lb1 "$VIP"'
	check "$T: a restarted lb1 removes the VIP its killed predecessor left (holders: $(holders))" \
		eval '[ "$(holders)" = lb2 ]'
	t=$(date +%s.%N)
	t=$(awk -v t="$t" -v d="$(mdi_us 100)" 'BEGIN { printf "%.6f", t + d / 1e6 + 1 }')
	e2e_wait 10 heard_until "$m" lb2 "$t"
	check "$T: nopreempt: lb1 stays backup past its Master_Down_Interval (holders: $(holders), lb1 adverts: $(sent_since "$m" lb1))" \
		eval 'heard_until "$m" lb2 "$t" && [ "$(holders)" = lb2 ] && [ "$(sent_since "$m" lb1)" = 0 ]'
	lb_stop lb1
	phase nopreempt

	# Mismatches (what keepalived does, so with a keepalived side): LB1 restarts on a file that differs from LB2's, LB2
	# (master) drops its adverts and stays master; both log why. (A
	# keepalived master that hears them restarts its advert timer: it
	# keeps its VIP but goes quiet while they come every second.) Once
	# LB2 has logged the drop it has handled the advert.
	for kind in pass interval vips; do
		[[ "$pair" == *ka* ]] || continue
		case "$kind" in
		pass)
			[ "$V" = 2 ] || continue
			mkconf "$c_m" master -e 's/auth_pass 1111/auth_pass 2222/'
			c="received an invalid passwd!" d="an invalid password"
			;;
		interval)
			[ "$V" = 2 ] || continue
			mkconf "$c_m" master -e 's/advert_int 1/advert_int 2/'
			c="advertisement interval mismatch"
			d="an advertisement interval mismatch"
			;;
		vips)
			# Lists of one length: another length is another drop
			# ("unexpected ip number count").
			mkconf "$c_m" master -e "s/^        $VIP\$/        $VIP3/"
			c="ip address associated with VRID 50 not present in MASTER advert"
			d="a VIP list other than ours"
			;;
		esac
		m=$(mark)
		lb_start lb1 "$c_m"
		e2e_wait 12 eval 'holds lb1 "$VIP" || holds lb1 "$VIP3"'
		e2e_wait 4 eval 'logs_drop lb1 "$c" "$d" && logs_drop lb2 "$c" "$d"'
		check "$T: $kind mismatch: both sides master ($(held))" \
			eval '(holds lb1 "$VIP" || holds lb1 "$VIP3") && holds lb2 "$VIP" &&
				[ "$(sent_since "$m" lb1)" -ge 1 ]'
		check "$T: $kind mismatch: both log the drop (keepalived: '$c', lbxdp: '$d')" \
			eval 'logs_drop lb1 "$c" "$d" && logs_drop lb2 "$c" "$d"'
		lb_stop lb1
		vip_clear lb1
		phase "$kind"
	done
	lb_stop lb2
	vip_clear lb2
}

# Several pairs: each in a child of its own (its own lab, traps, TAP
# lines), VRRP_JOBS at a time; their lines are shown and counted here in
# the order of the list. The adverts' kernel times keep the bounds exact
# whatever the load. The children build and remove their labs one at a
# time: concurrent `ip netns add/del` can fail ("Peer netns reference is
# invalid").
read -ra pairs <<<"$VRRP_PAIRS"
CHILDREN=""
stop_children() {
	local pid
	for pid in $CHILDREN; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $CHILDREN; do
		wait "$pid" 2>/dev/null || true
	done
}
if [ "${#pairs[@]}" -gt 1 ]; then
	trap 'rc=$?; stop_children; (exit $rc); e2e_cleanup' EXIT
	jobs_max=${VRRP_JOBS:-1}
	declare -a pids
	for ((i = 0; i < ${#pairs[@]}; i++)); do
		while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
			sleep 0.5
		done
		VRRP_PAIRS=${pairs[$i]} VRRP_LOCK=$E2E_TMP/lab.lock \
			bash "$0" >"$E2E_TMP/pair$i" 2>&1 &
		pids[i]=$!
		CHILDREN="$CHILDREN $!"
	done
	for ((i = 0; i < ${#pairs[@]}; i++)); do
		rc=0
		wait "${pids[$i]}" || rc=$?
		while IFS= read -r line; do
			case "$line" in
			"not ok"*) not_ok "${line#not ok - }" ;;
			"ok"*) ok "${line#ok - }" ;;
			*) diag "${line#\# }" ;;
			esac
		done <"$E2E_TMP/pair$i"
		if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$E2E_TMP/pair$i"; then
			not_ok "${pairs[$i]}: exited $rc"
		fi
	done
	CHILDREN=""
	e2e_done
fi

n=0
for pair in $VRRP_PAIRS; do
	n=$((n + 1))
	IMPL[lb1]=${pair%%:*}
	IMPL[lb2]=${pair#*:}
	pair_lab "p$n"
	for lb in lb1 lb2; do
		if [ "${IMPL[$lb]}" = ka ]; then
			lb_lbxdp "$lb" attach eth0 --mode native >/dev/null 2>&1
			lb_lbxdp "$lb" vip add "$LAB_SVC"
			lb_lbxdp "$lb" backend add "$LAB_SVC" "$W1" --weight 1
			lb_lbxdp "$lb" backend add "$LAB_SVC" "$W2" --weight 2
		fi
	done
	for V in $VRRP_VERSIONS; do
		round "$pair"
	done
	diag "$pair: $SECONDS s"
done
keep
lab_lock
lab_down "$LAB_PREFIX"
LAB_PREFIX=""
lab_unlock
e2e_done
