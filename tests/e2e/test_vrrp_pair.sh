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
# shellcheck source=tests/e2e/vrrp_lib.sh
source "$(dirname "$0")/vrrp_lib.sh"

# Each LB's addresses on eth0 but its own, for the checks' descriptions.
held() {
	local lb
	for lb in lb1 lb2; do
		printf '%s: %s; ' "$lb" "$(ip -n "$LAB_PREFIX$lb" -4 -o addr show dev eth0 |
			awk -v me="${IP[$lb]}/24" '$4 != me { printf "%s ", $4 }')"
	done
}

# lb1_adverts MARK: LB1's distinct adverts after MARK, without their time.
lb1_adverts() {
	awk -v m="$1" -v a="${IP[lb1]}" 'NR > m && $2 == "from" && $3 == a' "$CAP" |
		cut -d' ' -f2- | sort -u
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

	# Settling: LB1 alone master, keepalived's adverts on the wire. LB2
	# starts once LB1 adverts: on a loaded machine LB1's start may take
	# longer than LB2's Master_Down_Interval, and LB2 would rightly be
	# master for a moment (a CI run saw it). LB1 stops only once LB2 is
	# a backup: an lbxdp daemon attaches and resolves its servers first,
	# and a priority 0 sent before it listens is rightly not heard (a CI
	# run saw the takeover take Master_Down_Interval).
	m=$(mark)
	lb_start lb1 "$c_m"
	e2e_wait 10 eval '[ "$(sent_since "$m" lb1)" -ge 1 ]'
	lb_start lb2 "$c_b"
	e2e_wait 10 eval '[ "$(holders)" = lb1 ] && backup_ready lb2'
	check "$T: settled, lb1 alone holds the VIP, lb2 a backup (holders: $(holders))" \
		eval '[ "$(holders)" = lb1 ] && backup_ready lb2'
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
