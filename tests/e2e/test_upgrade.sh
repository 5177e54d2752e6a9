#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: native generic
# Attach is idempotent; a newer build (other program code) replaces lbxdp's
# own program through bpf_link_update while traffic runs, without losing a
# connection; a foreign XDP program is replaced only with --force; killing
# lbxdp never stops forwarding (the link is pinned).
# shellcheck disable=SC2317 # predicates are called through check
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init upgrade

json_get() {
	python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# has TEXT WORD: TEXT contains WORD.
has() { [[ "$1" == *"$2"* ]]; }

# answered N: N new connections to the VIP, all answered by web1/web2.
answered() { [ "$(lab_hits "$1" | grep -cE '^web[12]$')" = "$1" ]; }

xdp_on_lb() { [ "$(ip netns exec "${LAB_PREFIX}lb" ip -d link show dev eth0 | grep -c 'prog/xdp')" -gt 0 ]; }

# A build whose program code differs (never-true branch, see lbxdp.bpf.c).
ALT=$E2E_TMP/alt
make -s -C "$LAB_ROOT" OUTPUT="$ALT" BPF_EXTRA_CFLAGS=-DLBXDP_TEST_SALT=0xfffffff0U \
	"$ALT/lbxdp" >"$E2E_TMP/alt-build.log" 2>&1 ||
	{ cat "$E2E_TMP/alt-build.log" >&2; exit 1; }

e2e_lab u "$E2E_MODE"
if [ "$E2E_MODE" = native ]; then
	OTHER=generic XDP_FLAG=xdpdrv
else
	OTHER=native XDP_FLAG=xdpgeneric
fi

# The id of lbxdp's pinned XDP link: the same id is the same attachment.
link_id() { bpftool -j link show pinned "$LAB_PIN_DIR/link" | json_get id; }

# bpftool users read the maps by field name (BTF), not as hex.
dump_has() { [ "$(bpftool map dump pinned "$LAB_PIN_DIR/$1" | grep -c "\"$2\"")" -gt 0 ]; }
check "bpftool map dump shows named fields: backends.weight" dump_has backends weight
check "bpftool map dump shows named fields: stats.forwarded" dump_has stats forwarded
check "bpftool map dump shows named fields: vips.persist_sec" dump_has vips persist_sec
check "bpftool map dump shows named fields: config.tcp_timeout" dump_has config tcp_timeout
id0=$(lab_lbxdp -j status | json_get prog_id)
tag0=$(lab_lbxdp -j status | json_get prog_tag)

out=$(lab_lbxdp attach eth0 --mode "$E2E_MODE" 2>&1)
id1=$(lab_lbxdp -j status | json_get prog_id)
check "attach again: says nothing to do ('$out')" has "$out" "nothing to do"
check "attach again: program $id0 unchanged ($id1)" [ "$id0" = "$id1" ]

rc=0
out=$(lab_lbxdp attach eth0 --mode "$OTHER" 2>&1) || rc=$?
check "attach again asking another mode: refused with exit 2 ($rc)" [ "$rc" = 2 ]
check "the refusal says detach first ('$out')" has "$out" "detach first"

# Clients keep connecting while the program is swapped, twice.
lab_hits 120 >"$E2E_TMP/hits" &
hits_pid=$!
sleep 1
link0=$(link_id)
# The per-CPU flow memo that builds before flow_memo_cpu pinned (abi.h),
# and a flow_memo_cpu of another layout (its size alone: 1024 is
# BPF_F_MMAPABLE), as a build whose memo differs leaves it: the program
# that runs keeps its own.
bpftool map create "$LAB_PIN_DIR/flow_memo" type percpu_array key 4 \
	value 64 entries 4096 name flow_memo
rm "$LAB_PIN_DIR/flow_memo_cpu"
bpftool map create "$LAB_PIN_DIR/flow_memo_cpu" type array key 4 \
	value 64 entries 8 name flow_memo_cpu flags 1024
memo_id() { bpftool -j map show pinned "$LAB_PIN_DIR/flow_memo_cpu" | json_get id; }
stale_id=$(memo_id)
# A load that fails (a pinned ring_left of another size, which libbpf
# will not reuse) leaves the stale memo pinned: the maps stay whole.
mv "$LAB_PIN_DIR/ring_left" "$LAB_PIN_DIR/ring_left_saved"
bpftool map create "$LAB_PIN_DIR/ring_left" type array key 4 value 8 \
	entries 1 name ring_left
rc=0
LBXDP=$ALT/lbxdp lab_lbxdp attach eth0 >"$E2E_TMP/failed-load" 2>&1 || rc=$?
mv "$LAB_PIN_DIR/ring_left_saved" "$LAB_PIN_DIR/ring_left"
check "a load that fails: attach exits non-zero ($rc)" [ "$rc" != 0 ]
check "a load that fails: the stale flow_memo_cpu stays pinned ($(memo_id), was $stale_id)" \
	[ "$(memo_id)" = "$stale_id" ]
check "a load that fails: the maps still open (vip list)" lab_lbxdp vip list
out=$(LBXDP=$ALT/lbxdp lab_lbxdp attach eth0 2>&1)
id2=$(lab_lbxdp -j status | json_get prog_id)
tag2=$(lab_lbxdp -j status | json_get prog_tag)
link2=$(link_id)
check "newer build: replaced without a gap ('$out')" has "$out" "without a gap"
# A detach and a new attach would make a new link: the program was
# swapped inside the one link, so the interface never ran without it.
check "newer build: swapped in the same XDP link (link $link0 -> $link2)" \
	[ "${link0:-none}" = "$link2" ]
check "newer build: another program ($id0 -> $id2)" [ "$id0" != "$id2" ]
check "newer build: another tag ($tag0 -> $tag2)" [ "$tag0" != "$tag2" ]
# Builds of this ABI before it still open it: one may run, or come back.
check "newer build: the earlier builds' flow_memo stays pinned" \
	[ -e "$LAB_PIN_DIR/flow_memo" ]
# 4096 memos for each possible CPU (the last of /sys/.../possible, + 1).
ncpu=$(awk -F'[-,]' '{print $NF + 1}' /sys/devices/system/cpu/possible)
memos=$(bpftool -j map show pinned "$LAB_PIN_DIR/flow_memo_cpu" |
	json_get max_entries)
check "newer build: the flow_memo_cpu of another layout made anew ($memos memos, want $((ncpu * 4096)))" \
	[ "$memos" = $((ncpu * 4096)) ]
sleep 1
out=$(lab_lbxdp attach eth0 2>&1)
tag3=$(lab_lbxdp -j status | json_get prog_tag)
link3=$(link_id)
check "and back: still the same XDP link ($link3)" [ "${link3:-none}" = "$link0" ]
check "and back to this build ('$out'): tag $tag3, want $tag0" \
	[ "$tag3" = "$tag0" ]
wait "$hits_pid"
n=$(grep -cE '^web[12]$' "$E2E_TMP/hits" || true)
nfail=$(grep -c '^FAIL' "$E2E_TMP/hits" || true)
check "120 connections during two program swaps: $n answered, $nfail failed" \
	in_range "$n" 120 120 "$nfail" 0 0

# The pinned link outlives lbxdp and its process; detach stops it.
check "every lbxdp command has exited, the VIP is still forwarded: 10 of 10" \
	answered 10

# The interface's MAC changes: status says the program's copy is stale,
# attach again takes the new one up, and the VIP is forwarded again.
mac_stale() { [ "$(lab_lbxdp -j status 2>/dev/null | json_get mac_stale)" = "$1" ]; }
new_mac=02:00:5e:12:34:56
check "status: the program's MAC is the interface's" mac_stale False
ip netns exec "${LAB_PREFIX}lb" ip link set dev eth0 address "$new_mac"
ip netns exec "${LAB_PREFIX}client" ip neigh flush all
warn=$(lab_lbxdp status 2>&1 >/dev/null || true)
check "eth0's MAC changed: status warns and says to attach again ('$warn')" \
	has "$warn" "attach eth0"
check "status -j: mac_stale" mac_stale True
rc=0
lab_lbxdp attach eth0 --mode "$OTHER" >/dev/null 2>&1 || rc=$?
refused_kept() { [ "$1" = 2 ] && mac_stale True; }
check "attach in the other mode, refused (exit $rc): the program keeps its MAC" \
	refused_kept "$rc"
out=$(lab_lbxdp attach eth0 2>&1)
check "attach again: takes up the new MAC ('$out')" has "$out" "$new_mac"
check "status: no longer stale" mac_stale False
check "the VIP is forwarded from the new MAC: 6 of 6 answered" answered 6

# A foreign program: refused without --force, replaced with it.
lab_lbxdp detach eth0 2>/dev/null
ip netns exec "${LAB_PREFIX}lb" ip link set dev eth0 "$XDP_FLAG" obj "$LAB_XDP_PASS" sec xdp
rc=0
out=$(lab_lbxdp attach eth0 --mode "$E2E_MODE" 2>&1) || rc=$?
check "foreign XDP program: attach refused with exit 2 ($rc)" [ "$rc" = 2 ]
check "the refusal says --force ('$out')" has "$out" "--force"
check "after the refusal the foreign program is still there" xdp_on_lb
out=$(lab_lbxdp attach eth0 --mode "$E2E_MODE" --force 2>&1)
id4=$(lab_lbxdp -j status | json_get prog_id)
check "--force replaces it ('$out'): program $id4, 9 of 9 answered" answered 9

e2e_done
