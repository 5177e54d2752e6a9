#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A pin directory nobody else controls, and a lock nobody holds forever.
# On the lab's bpffs (a fresh mount: mode 1777, root's): a pin directory
# owned by another uid, or writable by others without the sticky bit, or
# below such a directory, is refused by writers and readers (exit 2, an
# Error naming the directory, owner and mode), and nothing is pinned there.
# A process holding flock(1) on the pin directory makes writers fail after
# --wait SECONDS (or $LBXDP_LOCK_WAIT) naming its pid, changing no map; a
# writer whose wait outlasts the holder goes ahead. A trailing slash names
# the same directory; a name ending in -attaching or -purging is refused
# (exit 1); detach and purge of a directory without lbxdp's config (the
# bpffs root, given by mistake) refuse (exit 2) and touch nothing.
# shellcheck disable=SC2317 # predicates are called through check
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init pindir

e2e_lab d generic
BPFFS=$(dirname "$LAB_PIN_DIR")
NOBODY=65534
W1=$(lab_ip web1)
CONF_MAPS="config vips vip_info vip_addrs backends tables vip_slot"
snapshot() { # FILE [PIN]: the maps a writer may change
	local pin=${2:-$LAB_PIN_DIR} m
	for m in $CONF_MAPS; do
		echo "== $m"
		bpftool -j map dump pinned "$pin/$m"
	done >"$1"
}

# [TRY_ENV=NAME=VALUE] try RC 'WORD|WORD...' SECONDS PIN ARGS...: lbxdp
# --pin-dir PIN ARGS in the lb namespace, with LBXDP_LOCK_WAIT unset but for
# TRY_ENV, must exit RC within SECONDS (a generous bound, never a lower
# one), its first Error line naming every WORD. Sets TRY_OK (yes/no) and
# TRY_DESC; stderr is left in $E2E_TMP/err.
try() {
	local want=$1 words=$2 bound=$3 pin=$4 rc=0 t0 ms w msg missing=""
	shift 4
	t0=$(date +%s%N)
	env -u LBXDP_LOCK_WAIT ${TRY_ENV:+"$TRY_ENV"} timeout -s KILL 30 \
		ip netns exec "${LAB_PREFIX}lb" "$LBXDP" --pin-dir "$pin" "$@" \
		>"$E2E_TMP/out" 2>"$E2E_TMP/err" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	msg=$(grep -m1 '^Error: ' "$E2E_TMP/err" || true)
	IFS='|' read -r -a wl <<<"$words"
	for w in "${wl[@]}"; do
		if [[ "$msg" != *"$w"* ]]; then
			missing="$missing '$w'"
		fi
	done
	TRY_OK=no
	if [ "$rc" = "$want" ] && [ -z "$missing" ] && [ "$ms" -le $((bound * 1000)) ]; then
		TRY_OK=yes
	fi
	TRY_DESC="${TRY_ENV:+$TRY_ENV }lbxdp $*: exit $rc (want $want) in $ms ms (bound $bound s); ${msg:-no Error: line}${missing:+ (does not name$missing)}"
}

check "the lab's bpffs is a fresh mount, mode 1777, root's ($(stat -c %a/%u "$BPFFS")), and lbxdp works below it" \
	[ "$(stat -c %a/%u "$BPFFS")" = 1777/0 ]
try 0 "" 20 "$LAB_PIN_DIR" vip list
check "$TRY_DESC" [ "$TRY_OK" = yes ]

# 1. A pin directory another user made first: attach refuses it and pins
# nothing there (on lo, where nothing else holds XDP: only the pin
# directory can make it fail).
HOSTILE=$BPFFS/hostile
mkdir "$HOSTILE"
chown "$NOBODY" "$HOSTILE"
chmod 0700 "$HOSTILE"
try 2 "pin directory $HOSTILE|uid $NOBODY|mode 0700|chown root $HOSTILE" 20 \
	"$HOSTILE" attach lo --mode generic
check "$TRY_DESC" [ "$TRY_OK" = yes ]
pinned=$(find "$HOSTILE" -mindepth 1 -printf '%f ')
check "nothing pinned in $HOSTILE ($pinned)" [ -z "$pinned" ]

# One with maps in it, that another user now owns (attached, then chowned):
# every command, writer or reader, refuses it; the maps stay as they were.
TAKEN=$BPFFS/taken
try 0 "" 30 "$TAKEN" attach lo --mode generic
check "$TRY_DESC; made mode $(stat -c %a "$TAKEN")" [ "$TRY_OK/$(stat -c %a "$TAKEN")" = yes/700 ]
try 0 "" 20 "$TAKEN" vip add 198.18.0.20:80
check "$TRY_DESC" [ "$TRY_OK" = yes ]
snapshot "$E2E_TMP/taken0" "$TAKEN"
chown "$NOBODY" "$TAKEN"
for cmd in "vip add 198.18.0.21:80" "vip del 198.18.0.20:80" "timeout set tcp 100" \
	"flood set off" "detach" "detach --purge" "attach lo --mode generic" \
	"vip list" "status" "backend list" "flow list" "stats"; do
	# shellcheck disable=SC2086 # split the command into words
	try 2 "pin directory $TAKEN|uid $NOBODY|mode 0700" 20 "$TAKEN" $cmd
	same=no
	snapshot "$E2E_TMP/taken1" "$TAKEN"
	if cmp -s "$E2E_TMP/taken0" "$E2E_TMP/taken1"; then
		same=yes
	fi
	check "$TRY_DESC; maps unchanged: $same" [ "$TRY_OK/$same" = yes/yes ]
done
chown 0 "$TAKEN"
try 0 "" 20 "$TAKEN" detach --purge
check "chowned back to root: $TRY_DESC" [ "$TRY_OK" = yes ]

# 2. A directory above the pin directory that others may write in without
# the sticky bit: refused, nothing made below it; with the sticky bit: fine.
OPEN=$BPFFS/open
mkdir "$OPEN"
for mode in 0777 0770; do
	chmod "$mode" "$OPEN"
	try 2 "$OPEN, above pin directory $OPEN/lb,|uid 0|mode $mode|chmod go-w $OPEN" 20 \
		"$OPEN/lb" attach lo --mode generic
	check "$TRY_DESC" [ "$TRY_OK" = yes ]
	check "mode $mode: no $OPEN/lb made" [ ! -e "$OPEN/lb" ]
done
# The pin directory itself writable by its group.
chmod 0755 "$OPEN"
mkdir "$OPEN/gw"
chmod 0770 "$OPEN/gw"
try 2 "pin directory $OPEN/gw|mode 0770|chmod go-w $OPEN/gw" 20 \
	"$OPEN/gw" attach lo --mode generic
check "$TRY_DESC" [ "$TRY_OK" = yes ]
pinned=$(find "$OPEN/gw" -mindepth 1 -printf '%f ')
check "nothing pinned in $OPEN/gw ($pinned)" [ -z "$pinned" ]
# Two levels up: the walk goes past the first directory above.
mkdir "$OPEN/deep"
chmod 0777 "$OPEN"
try 2 "$OPEN, above pin directory $OPEN/deep/lb,|mode 0777" 20 \
	"$OPEN/deep/lb" attach lo --mode generic
check "$TRY_DESC" [ "$TRY_OK" = yes ]
check "no $OPEN/deep/lb made" [ ! -e "$OPEN/deep/lb" ]
chmod 1777 "$OPEN"
try 0 "" 30 "$OPEN/lb" attach lo --mode generic
check "below a sticky 1777 directory: $TRY_DESC" [ "$TRY_OK" = yes ]
# A pin directory in use, whose parent others may now write: refused too.
chmod 0777 "$OPEN"
for cmd in "vip list" "vip add 198.18.0.20:80" "detach --purge"; do
	# shellcheck disable=SC2086 # split the command into words
	try 2 "$OPEN, above pin directory $OPEN/lb,|mode 0777" 20 "$OPEN/lb" $cmd
	check "$TRY_DESC" [ "$TRY_OK" = yes ]
done
chmod 1777 "$OPEN"
try 0 "" 20 "$OPEN/lb" detach --purge
check "sticky again: $TRY_DESC" [ "$TRY_OK" = yes ]

# The walk stops at the bpffs mount: a directory that others may write
# above it (here on /tmp's file system) cannot replace a mount point.
WIDE=$E2E_TMP/wide
mkdir -m 0777 "$WIDE"
mkdir "$WIDE/fs"
mount -t bpf bpf "$WIDE/fs"
try 0 "" 30 "$WIDE/fs/lb" attach lo --mode generic
wide_desc="below a bpffs mounted in a 0777 directory: $TRY_DESC"
wide_ok=$TRY_OK
try 0 "" 20 "$WIDE/fs/lb" detach --purge
umount "$WIDE/fs"
check "$wide_desc" [ "$wide_ok" = yes ]

# 3. The lock. The holder: flock(1) on the pin directory (-o: its command
# does not hold the lock), named by its pid in /proc/locks; killed to
# release it.
held() { ! flock -n "$LAB_PIN_DIR" true; }
flock -o "$LAB_PIN_DIR" sleep 300 &
HOLDER=$!
E2E_PIDS="$E2E_PIDS $HOLDER"
e2e_wait 10 held
check "flock(1), pid $HOLDER, holds $LAB_PIN_DIR" held
snapshot "$E2E_TMP/state0"

# locked WAIT ARGS...: lbxdp ARGS (TRY_ENV as for try) fails within 8 s
# (the default wait is 10 s) naming the holder and --wait, having said
# once that it waits up to WAIT s (nothing for 0), and changes no map.
locked() {
	local wait=$1 said same=no
	shift
	try 2 "pid $HOLDER (flock)|--wait" 8 "$LAB_PIN_DIR" "$@"
	said=$(grep -c "^waiting up to $wait s for the lock on $LAB_PIN_DIR, held by pid $HOLDER (flock)$" \
		"$E2E_TMP/err" || true)
	snapshot "$E2E_TMP/state1"
	if cmp -s "$E2E_TMP/state0" "$E2E_TMP/state1"; then
		same=yes
	fi
	check "held: $TRY_DESC; said it waits: $said; maps unchanged: $same" \
		[ "$TRY_OK/$said/$same" = "yes/$((wait > 0))/yes" ]
}
locked 1 --wait 1 vip add 198.18.0.10:81
locked 1 --wait=1 backend set "$LAB_SVC" "$W1" --weight 5
locked 1 backend del "$LAB_SVC" "$W1" --wait 1
locked 0 --wait 0 vip add 198.18.0.10:81
TRY_ENV=LBXDP_LOCK_WAIT=1 locked 1 vip del "$LAB_SVC"
TRY_ENV=LBXDP_LOCK_WAIT=1 locked 1 timeout set tcp 100
TRY_ENV=LBXDP_LOCK_WAIT=30 locked 1 --wait 1 flood set off
locked 1 --wait 1 attach eth0 --mode generic
locked 1 --wait 1 detach
locked 1 --wait 1 detach --purge

# Bad waits are usage errors.
try 1 "--wait|abc" 20 "$LAB_PIN_DIR" --wait abc vip add 198.18.0.10:81
check "$TRY_DESC" [ "$TRY_OK" = yes ]
TRY_ENV=LBXDP_LOCK_WAIT=-1 try 1 "LBXDP_LOCK_WAIT|-1" 20 "$LAB_PIN_DIR" vip list
check "$TRY_DESC" [ "$TRY_OK" = yes ]

# bg_writer ARGS...: lbxdp ARGS in the background (vip add needs no
# namespace), stderr in $E2E_TMP/bg.err; BG is its pid.
bg_writer() {
	env -u LBXDP_LOCK_WAIT "$LBXDP" --pin-dir "$LAB_PIN_DIR" "$@" \
		>/dev/null 2>"$E2E_TMP/bg.err" &
	BG=$!
	E2E_PIDS="$E2E_PIDS $BG"
}
saying() {
	grep -q "^waiting up to $1 s for the lock on $LAB_PIN_DIR, held by pid $HOLDER (flock)$" \
		"$E2E_TMP/bg.err"
}
# The default is 10 s: said, then the writer is killed (it holds nothing).
bg_writer vip add 198.18.0.10:81
e2e_wait 20 saying 10
check "with no --wait a writer waits up to 10 s: $(head -1 "$E2E_TMP/bg.err")" saying 10
disown "$BG" # no "Killed" notice
kill -9 "$BG" 2>/dev/null || true
# A writer whose wait outlasts the holder goes ahead once it is gone.
bg_writer --wait 120 vip add 198.18.0.10:81
e2e_wait 20 saying 120
check "a writer with --wait 120 waits: $(head -1 "$E2E_TMP/bg.err")" saying 120
holder_child=$(pgrep -P "$HOLDER" || true)
# shellcheck disable=SC2086 # its child: none or one pid
kill -9 "$HOLDER" $holder_child 2>/dev/null || true
wait "$HOLDER" 2>/dev/null || true
rc=0
wait "$BG" || rc=$?
check "holder gone: the waiting vip add exits $rc" [ "$rc" = 0 ]
lab_lbxdp vip list >"$E2E_TMP/vips"
check "198.18.0.10:81 is listed after it" grep -q '^198.18.0.10:81/tcp ' "$E2E_TMP/vips"
hits=$(lab_hits 4 | grep -c '^web' || true)
check "the VIP still forwards ($hits of 4 answered)" [ "$hits" -eq 4 ]

# Names. A trailing slash names the same directory: a fresh attach there
# and its purge work (DIR/-attaching would be inside DIR). A name that
# ends in a sibling's suffix is refused: attach and detach of another
# directory would take it for their leftovers and empty it.
lab_exec lb ip link add lbxs0 type veth peer name lbxs1
lab_exec lb ip link set dev lbxs0 up
try 0 "" 30 "$BPFFS/slash/" attach lbxs0 --mode generic
check "$TRY_DESC" [ "$TRY_OK" = yes ]
try 0 "" 20 "$BPFFS/slash" vip list
check "then without the slash: $TRY_DESC" [ "$TRY_OK" = yes ]
try 0 "" 20 "$BPFFS/slash//" detach --purge
purged() { [ "$TRY_OK" = yes ] && [ ! -e "$BPFFS/slash" ]; }
check "$TRY_DESC; $BPFFS/slash gone" purged
for name in lb-attaching lb-purging/; do
	try 1 "--pin-dir|-attaching|-purging" 20 "$BPFFS/$name" vip list
	check "$TRY_DESC" [ "$TRY_OK" = yes ]
done

# A directory that holds another tool's pin but no config of ours: an
# attach refuses it, and leaves the pin and the interface as they were.
mkdir "$BPFFS/other"
lab_exec lb bpftool map create "$BPFFS/other/theirs" type array key 4 value 4 \
	entries 1 name theirs
try 2 "$BPFFS/other|not lbxdp's|by hand" 30 "$BPFFS/other" \
	attach lbxs0 --mode generic
refused() {
	[ "$TRY_OK" = yes ] && [ -e "$BPFFS/other/theirs" ] &&
		[ ! -e "$BPFFS/other-attaching" ] &&
		! lab_exec lb ip link show dev lbxs0 | grep -q xdp
}
check "$TRY_DESC; their pin kept, lbxs0 without XDP" refused
rm -r "$BPFFS/other"

# A pin directory given by mistake (here the bpffs root, which holds the
# lab's pin directory) is not lbxdp's: detach and purge touch nothing.
snapshot "$E2E_TMP/maps.before"
for cmd in detach "detach --purge"; do
	# shellcheck disable=SC2086 # the command's words
	try 2 "$BPFFS|not lbxdp's" 20 "$BPFFS" $cmd
	check "$TRY_DESC" [ "$TRY_OK" = yes ]
done
snapshot "$E2E_TMP/maps.after"
check "the lab's pins and maps unchanged" \
	cmp -s "$E2E_TMP/maps.before" "$E2E_TMP/maps.after"
hits=$(lab_hits 4 | grep -c '^web' || true)
check "the VIP still forwards ($hits of 4 answered)" [ "$hits" -eq 4 ]
e2e_done
