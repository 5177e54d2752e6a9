#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# kill_each.sh PIN SNAPSHOT 'SVC...' ARGS...: runs `lbxdp ARGS` from the
# state saved in SNAPSHOT, killed (SIGKILL, by strace) at the N-th call of
# each syscall S it makes, for every S that `strace -c` counts and every N up
# to its count; a kill at N means the calls 1..N-1 of S took effect.
# KILL_SYSCALLS lists the S to try (default: the calls that change what is
# pinned or attached: bpf, the file calls on the pin directory, netlink
# sends); a kill at any other call has the effect of one at the next of
# these, so they give every outcome there is. KILL_SYSCALLS=all tries every
# S (minutes a command). After each kill the next writer runs (`timeout set
# active 30`, the value there is: it changes nothing itself, it repairs).
# The state is then compared (kt fp: the
# records, all that is derived from them, and the verdicts of a new flow,
# its next packet, a table miss and a fragment for each SVC) with the state
# before the command and after it run whole. Each S must give before, then
# after, switching once as N grows. Prints one line:
#   RUNS KILLS NAMES SEQUENCES|OK
# and exits 1, with what differed on stderr, if any S did not.
# Runs where PIN's namespace is (the caller's ip netns exec).
#
# KILL_RESTORE, a shell command, puts PIN back instead of `kt restore` (for
# attach and detach, whose state is more than the maps' contents: it sees
# $pin and $snap); CMD_LBXDP is the lbxdp binary of the killed command (a
# newer build), $LBXDP the one of every other command.
set -u
pin=$1 snap=$2 svcs=$3
shift 3
: "${LBXDP:?}" "${KT:?}"
cmd=${CMD_LBXDP:-$LBXDP}
export pin snap
tmp=$(mktemp -d /tmp/lbxdp-kill.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2206 # one word a service
svc=($svcs)

fp() {
	"$KT" fp "$pin" "${svc[@]}"
}

# The active window is 30 s in every state the test makes; writing it
# again changes nothing, and nothing is pinned when it fails.
next_writer() {
	"$LBXDP" --pin-dir "$pin" timeout set active 30 >/dev/null 2>&1
	return 0
}

restore() {
	local rc=0
	if [ -n "${KILL_RESTORE:-}" ]; then
		bash -c "$KILL_RESTORE" >"$tmp/restore" 2>&1 || rc=$?
	else
		"$KT" restore "$pin" "$snap" >"$tmp/restore" 2>&1 || rc=$?
	fi
	if [ "$rc" != 0 ]; then
		echo "cannot restore the state between runs:" >&2
		tail -5 "$tmp/restore" >&2
		exit 2
	fi
}

# Each state is measured from the snapshot: the probe leaves flows.
restore
fp >"$tmp/before"
restore
if ! "$cmd" --pin-dir "$pin" "$@" >/dev/null 2>"$tmp/err"; then
	echo "lbxdp $* fails when not killed: $(head -1 "$tmp/err")" >&2
	exit 1
fi
next_writer
fp >"$tmp/after"
if cmp -s "$tmp/before" "$tmp/after"; then
	echo "lbxdp $* changes nothing that the comparison sees" >&2
	exit 1
fi

restore
strace -f -c -o "$tmp/count" "$cmd" --pin-dir "$pin" "$@" >/dev/null 2>&1
# "% time seconds usecs/call calls [errors] syscall" between two rulers.
awk '/^------/ { n++; next } n == 1 && $NF != "total" { print $NF, $4 }' \
	"$tmp/count" >"$tmp/all"
want=${KILL_SYSCALLS:-bpf mkdir mkdirat unlink unlinkat rmdir rename renameat renameat2 sendto sendmsg}
while read -r sc count; do
	if [ "$want" = all ] || [[ " $want " == *" $sc "* ]]; then
		echo "$sc $count"
	fi
done <"$tmp/all" >"$tmp/calls"

runs=0 kills=0 names=0 bad=""
while read -r sc count; do
	names=$((names + 1))
	seq=""
	for ((n = 1; n <= count; n++)); do
		restore
		rc=0
		# The shell's "Killed" goes nowhere either.
		{ strace -f -qq -o /dev/null -e trace="$sc" \
			-e inject="$sc":signal=KILL:when="$n" \
			"$cmd" --pin-dir "$pin" "$@" >/dev/null 2>&1 || rc=$?; } 2>/dev/null
		runs=$((runs + 1))
		[ "$rc" -ne 137 ] || kills=$((kills + 1))
		next_writer
		fp >"$tmp/now"
		if cmp -s "$tmp/now" "$tmp/before"; then
			seq+=B
		elif cmp -s "$tmp/now" "$tmp/after"; then
			seq+=A
		else
			seq+=X
			if [ -n "${KILL_DEBUG_DIR:-}" ]; then
				cp "$tmp/now" "$KILL_DEBUG_DIR/x-$sc-$n"
				cp "$tmp/after" "$tmp/before" "$KILL_DEBUG_DIR/"
			fi
			{
				echo "killed at $sc call $n: neither before nor after; against after:"
				diff "$tmp/after" "$tmp/now" | head -12
			} >&2
		fi
	done
	if ! [[ "$seq" =~ ^B*A*$ ]]; then
		bad+=" $sc:$seq"
	fi
done <"$tmp/calls"
restore
echo "$runs $kills $names ${bad:-OK}"
[ -z "$bad" ]
