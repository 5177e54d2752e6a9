#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A writer killed at any syscall leaves nothing that the next writer does not
# repair: each writing command, from one configuration (services of every
# scheduler, persistence, a port-0 service, a drained record), is killed at
# every call of every syscall it makes (tests/killed/kill_each.sh), and the
# next writer must leave exactly the state before the command or the state
# after it, switching once as the kill moves later.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init killed
if ! command -v strace >/dev/null; then
	echo "not ok - killed: strace missing (run scripts/deps.sh)"
	exit 1
fi
KT=$LAB_OUTPUT/tests/kt
if [ ! -x "$KT" ]; then
	echo "not ok - killed: $KT missing (make $KT)"
	exit 1
fi
export KT LBXDP

e2e_lab k generic 3
W1=$(lab_ip web1)
W2=$(lab_ip web2)
W3=$(lab_ip web3)
# Small maps, so that a run restores them in milliseconds.
lab_lbxdp detach --purge >/dev/null
lab_lbxdp attach eth0 --mode generic --max-vips 8 --max-backends 4 \
	--ring-size 401 --flows 1024 2>/dev/null
S1=198.18.0.10:80/tcp # wrr, web1 1, web2 2
S2=198.18.0.10:0/udp  # mh on every UDP port, web2
S3=198.18.0.30:443    # sh with persistence, web1, web3 down
S4=198.18.0.30:8443   # wrr, web3 drained (a flow left, idle)
S5=198.18.0.32:80     # the daemon's (kt dadd): web1, web2 held down by the operator
NEW=198.18.0.31:8080  # added by a test: a new address
# Idle timeouts shorter than the machine's uptime: `kt age` dates every
# flow at the clock's origin (boot), so they are expired only then (the
# default 900 s TCP timeout is not, on a machine booted minutes ago).
lab_lbxdp timeout set tcp 60 udp 40
lab_lbxdp vip add $S1
lab_lbxdp backend add $S1 "$W1" --weight 1
lab_lbxdp backend add $S1 "$W2" --weight 2
lab_lbxdp vip add $S2 --sched mh
lab_lbxdp backend add $S2 "$W2"
lab_lbxdp vip add $S3 --sched sh --persist 30
lab_lbxdp backend add $S3 "$W1"
lab_lbxdp backend add $S3 "$W3"
lab_lbxdp backend set $S3 "$W3" --down
lab_lbxdp vip add $S4
lab_lbxdp backend add $S4 "$W3"
"$KT" probe "$LAB_PIN_DIR" $S4 >/dev/null
lab_lbxdp backend del $S4 "$W3"
"$KT" dadd "$LAB_PIN_DIR" $S5
"$KT" dadd "$LAB_PIN_DIR" $S5 "$W1" 1 02:00:00:00:00:01
"$KT" dadd "$LAB_PIN_DIR" $S5 "$W2" 2 02:00:00:00:00:02
lab_lbxdp backend set $S5 "$W2" --down
"$KT" age "$LAB_PIN_DIR"
SNAP=$E2E_TMP/base.snap
"$KT" save "$LAB_PIN_DIR" "$SNAP"
SVCS="$S1 $S2 198.18.0.10:53/udp $S3 $S4 $S5 $NEW 198.18.0.10:81/tcp"

# killed DESCRIPTION ARGS...: lbxdp ARGS killed at each of its syscalls.
# KILLED_ONLY=PATTERN runs only the commands whose description matches.
killed() {
	local what=$1 out rc=0
	shift
	if [[ "$what" != *${KILLED_ONLY:-}* ]]; then
		return 0
	fi
	out=$(KILL_RESTORE=${KILL_RESTORE:-} CMD_LBXDP=${CMD_LBXDP:-} \
		timeout -s KILL 900 ip netns exec "${LAB_PREFIX}lb" \
		bash "$E2E_DIR/../killed/kill_each.sh" "$LAB_PIN_DIR" "$SNAP" \
		"$SVCS" "$@" 2>"$E2E_TMP/kill.err") || rc=$?
	read -r runs kills names result <<<"${out:-0 0 0 none}"
	# shellcheck disable=SC2016 # expands when checked
	check "$what: killed at each of its $runs syscalls ($names kinds, $kills kills), the next writer leaves the state before or after, switching once: ${result}" \
		eval '[ "$rc" = 0 ] && [ "$result" = OK ] && [ "$kills" -gt 0 ]'
	if [ "$rc" != 0 ]; then
		# kt says "nothing pinned" for every state without maps.
		diag "$(grep -v '^Error: nothing pinned' "$E2E_TMP/kill.err" | head -30)"
	fi
}

killed "vip add on a new address" vip add $NEW --sched mh
killed "vip add beside a port-0 service" vip add 198.18.0.10:53/udp
killed "vip del of a service with backends" vip del $S1
killed "vip del of a persistent service" vip del $S3
killed "backend add" backend add $S1 "$W3" --weight 3
killed "backend set --weight (stays in the schedule)" backend set $S1 "$W1" --weight 5
killed "backend set --weight 0 (leaves the schedule)" backend set $S1 "$W2" --weight 0
killed "backend set --down" backend set $S1 "$W1" --down
killed "backend set --up" backend set $S3 "$W3" --up
killed "backend del" backend del $S1 "$W1"
killed "backend list freeing a drained record" backend list
# The daemon's backends: the operator's override goes into backend_meta
# before the record (kt state shows both).
killed "backend set --down of the daemon's (an override)" backend set $S5 "$W1" --down
# (--weight writes its override as --down does; del of the daemon's is
# the CLI's del once no daemon runs: their kills would repeat these.)
killed "backend set --auto" backend set $S5 "$W2" --auto
killed "timeout set" timeout set tcp 100 udp 50
killed "flood set" flood set 500

# attach and detach change more than the maps' contents: each run puts the
# pin directory and the interface back with KILL_RESTORE (see kill_each.sh).
ATTACH="attach eth0 --mode generic --max-vips 8 --max-backends 4 --ring-size 401 --flows 1024"
read -r -a ATTACH_ARGS <<<"$ATTACH"
export ATTACH LAB_XDP_PASS
# shellcheck disable=SC2016 # expanded by kill_each.sh
{
	# The configuration above, attached again if a run detached it (a
	# foreign program, which a test before left, removed first).
	ATTACHED='ip link set dev eth0 xdpgeneric off 2>/dev/null
		"$LBXDP" --pin-dir "$pin" $ATTACH; "$KT" restore "$pin" "$snap"'
	# Nothing pinned (a purge also removes what a killed attach left).
	NOTHING='"$LBXDP" --pin-dir "$pin" detach --purge; ip link set dev eth0 xdpgeneric off'
	FOREIGN='ip link set dev eth0 xdpgeneric obj "$LAB_XDP_PASS" sec xdp'
}
KILL_RESTORE=$ATTACHED killed "detach" detach eth0
KILL_RESTORE=$ATTACHED killed "detach --purge" detach eth0 --purge
KILL_RESTORE=$NOTHING killed "attach on a fresh pin directory" "${ATTACH_ARGS[@]}"
KILL_RESTORE="$NOTHING; $FOREIGN" \
	killed "attach --force over a foreign program" "${ATTACH_ARGS[@]}" --force
# A build whose program differs (a never-true branch, see lbxdp.bpf.c),
# swapped in over the configuration above and swapped back after each run.
ALT=$E2E_TMP/alt
if make -s -C "$LAB_ROOT" OUTPUT="$ALT" \
	BPF_EXTRA_CFLAGS=-DLBXDP_TEST_SALT=0xfffffff0U "$ALT/lbxdp" \
	>"$E2E_TMP/alt-build.log" 2>&1; then
	CMD_LBXDP=$ALT/lbxdp KILL_RESTORE=$ATTACHED \
		killed "attach of a new build" attach eth0 --mode generic
else
	not_ok "attach of a new build: cannot build it: $(tail -3 "$E2E_TMP/alt-build.log")"
fi
e2e_done
