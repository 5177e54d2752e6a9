#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# An upgrade across the map ABI keeps the user's services: the previous
# ABI's lbxdp (built from its commit) sets up services of every scheduler
# and backends in every state, then this release's attach upgrades its
# pinned maps while clients connect: every record is kept (ids, gens,
# weights, states, MACs, knobs), the XDP link is the same, the flow table
# is new and holds the old one's live flows. Killed at any step, the next
# attach finishes the upgrade; failed before the swap, it leaves the maps to
# the old release.
# shellcheck disable=SC2317 # predicates are called through check
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init upgrade_abi

OLD_COMMIT=109f92b # a commit of ABI 3
for tool in strace bpftool git; do
	command -v "$tool" >/dev/null ||
		{ echo "not ok - $E2E_NAME: $tool missing (run scripts/deps.sh)"; exit 1; }
done
e2e_git cat-file -e "$OLD_COMMIT^{commit}" 2>/dev/null ||
	{ echo "not ok - $E2E_NAME: commit $OLD_COMMIT is not in this clone (a shallow one? git fetch --unshallow)"; exit 1; }

# The previous release, from its commit (no checkout: an archive).
NEW=$LBXDP
OLD_SRC=$E2E_TMP/old
OLD=$E2E_TMP/old-out/lbxdp
mkdir -p "$OLD_SRC"
e2e_git archive "$OLD_COMMIT" | tar -x -C "$OLD_SRC"
make -C "$OLD_SRC" OUTPUT="$E2E_TMP/old-out" "$OLD" >"$E2E_TMP/old-build.log" 2>&1 ||
	{ cat "$E2E_TMP/old-build.log" >&2; exit 1; }

# has TEXT WORD: TEXT contains WORD.
has() { [[ "$1" == *"$2"* ]]; }

json_get() {
	python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
# json_get_0 KEY: KEY of the first object of a JSON list on stdin.
json_get_0() {
	python3 -c 'import json,sys; print(json.load(sys.stdin)[0][sys.argv[1]])' "$1"
}

old() { LBXDP=$OLD lab_lbxdp "$@"; }
new() { LBXDP=$NEW lab_lbxdp "$@"; }

# answered N [HOSTS]: N new connections to the VIP, all answered by HOSTS
# (an extended regexp; web1 or web2 if omitted).
answered() { [ "$(lab_hits "$1" | grep -cE "^(${2:-web1|web2})\$")" = "$1" ]; }

# MAC of fake backend N (they are never sent traffic).
fmac() { printf '02:00:00:00:01:%02x' "$1"; }

# With the old lbxdp, on an empty pin dir: services of every scheduler,
# backends in every state (setup_more: the rest). The traffic service (the
# lab's VIP) is mh: a connection the old program placed after the copy of
# the flows, just before the swap, keeps its server too (Maglev places it
# the same).
setup_services() {
	# Capacities other than the defaults, kept too (and small: quick).
	old attach eth0 --mode "$E2E_MODE" --max-vips 8 --max-backends 16 \
		--ring-size 1601 2>/dev/null
	old timeout set tcp 901 udp 302 active 33
	old flood set 12345
	old vip add "$LAB_SVC" --sched mh
	old backend add "$LAB_SVC" "$(lab_ip web1)" --weight 1
	old backend add "$LAB_SVC" "$(lab_ip web2)" --weight 2
	old backend add "$LAB_SVC" "$(lab_ip web3)" --weight 1
	# wrr with persistence: weights, quiesced, down, and an id reused
	# (the freed record's gen moves on).
	old vip add 198.18.0.20:80 --persist 300
	old backend add 198.18.0.20:80 198.18.0.101 --weight 5 --mac "$(fmac 1)"
	old backend add 198.18.0.20:80 198.18.0.102 --weight 0 --mac "$(fmac 2)"
	old backend add 198.18.0.20:80 198.18.0.103 --weight 2 --mac "$(fmac 3)"
	old backend set 198.18.0.20:80 198.18.0.103 --down
	# sh on every UDP port, with persistence; one backend down.
	old vip add 198.18.0.22:0/udp --sched sh --persist 60
	old backend add 198.18.0.22:0/udp 198.18.0.106 --weight 7 --mac "$(fmac 6)"
	old backend add 198.18.0.22:0/udp 198.18.0.107 --mac "$(fmac 7)"
	old backend set 198.18.0.22:0/udp 198.18.0.107 --down
}

setup_more() {
	old vip add 198.18.0.21:443 --sched rr
	old backend add 198.18.0.21:443 198.18.0.104 --weight 3 --mac "$(fmac 4)"
	old backend add 198.18.0.21:443 198.18.0.105 --mac "$(fmac 5)"
	# A record freed and reused: its gen moves on.
	old backend add 198.18.0.21:443 198.18.0.109 --mac "$(fmac 9)"
	old backend del 198.18.0.21:443 198.18.0.109
	old backend add 198.18.0.21:443 198.18.0.110 --mac "$(fmac 10)"
	# A service deleted: its id and records are free, gens kept.
	old vip add 198.18.0.23:80
	old backend add 198.18.0.23:80 198.18.0.108 --mac "$(fmac 8)"
	old vip del 198.18.0.23:80
}

dump() { bpftool -j map dump pinned "$LAB_PIN_DIR/$1"; }

# snapshot DIR: the records as bpftool reads them (BTF: by field name).
snapshot() {
	mkdir -p "$1"
	dump backends >"$1/backends"
	dump vips >"$1/vips"
	dump config >"$1/config"
}

# same_records BEFORE AFTER: every backend record equal, field for field
# (free ones too: their gens); the VIPs equal; the config equal but for its
# ABI version and gen, and the flow table's shape and seed, new in ABI 4,
# and the flow tags' flag, which must be set.
same_records() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
def load(d, m):
    return [e["formatted"] for e in json.load(open(f"{d}/{m}"))]
b, a = sys.argv[1], sys.argv[2]
ok = True
if load(b, "backends") != load(a, "backends"):
    print("# backends differ", file=sys.stderr); ok = False
def vips(d, flags):
    out = []
    for e in load(d, "vips"):
        v = dict(e["value"])
        if v.pop("flags") != flags:
            return None
        out.append((json.dumps(e["key"], sort_keys=True), json.dumps(v, sort_keys=True)))
    return sorted(out)
vb, va = vips(b, 0), vips(a, 0)
if vb is None or va is None or vb != va or not vb:
    print(f"# vips differ: {vb} / {va}", file=sys.stderr); ok = False
cb, ca = load(b, "config")[0]["value"], load(a, "config")[0]["value"]
if cb["abi_version"] != 3 or ca["abi_version"] != 4:
    print("# config: ABI versions", file=sys.stderr); ok = False
for k in ("abi_version", "gen"):
    cb.pop(k); ca.pop(k)
# The flow tags (flags bit 2), whole after the upgrade's retag.
if not ca["flags"] & 2:
    print("# config: the flow tags not whole", file=sys.stderr); ok = False
ca["flags"] &= ~2
if not ca.pop("ft_nbuckets", 0) or "ft_seed" not in ca:
    print("# config: no flow table shape", file=sys.stderr); ok = False
ca.pop("ft_seed", None)
if cb != ca:
    print(f"# config differs: {cb} / {ca}", file=sys.stderr); ok = False
sys.exit(0 if ok else 1)
EOF
}

# same_list BEFORE AFTER KEYS: two `-j vip list` or `-j backend list`
# outputs, by these fields (a backend list: every service's backends).
same_list() {
	python3 - "$@" <<'EOF'
import json, sys
keys = sys.argv[3].split(",")
def rows(f):
    out = []
    for e in json.load(open(f)):
        if "backends" in keys:
            out.append(tuple(e[k] for k in keys))
        else:
            for be in e["backends"]:
                if be["state"] != "draining":
                    out.append((e["service"],) + tuple(be[k] for k in keys))
    return sorted(out)
b, a = rows(sys.argv[1]), rows(sys.argv[2])
if b != a or not b:
    print(f"# {b}\n# {a}", file=sys.stderr)
sys.exit(0 if b == a and b else 1)
EOF
}

# says_upgrade RC OUT: refused (exit 2), saying to run attach to upgrade.
says_upgrade() { [ "$1" = 2 ] && has "$2" "lbxdp attach" && has "$2" upgrade && ! has "$2" purge; }
# upgraded RC OUT: an attach that upgraded the maps, or finished it.
upgraded() { [ "$1" = 0 ] && has "$2" "upgrade"; }
# refused_killed RC SRC SOUT: attach was killed (SIGKILL), status then
# refused (exit 2) and said to run attach.
refused_killed() { [ "$1" = 137 ] && [ "$2" = 2 ] && has "$3" "lbxdp attach"; }

same_link_new_prog() { [ "$1" = "$2" ] && [ "$3" != "$4" ]; }
kept_all() { same_records "$1" "$2" && no_side_dir; }

link_id() { bpftool -j link show pinned "$LAB_PIN_DIR/link" | json_get id; }
map_id() { bpftool -j map show pinned "$LAB_PIN_DIR/$1" | json_get id; }
no_side_dir() { [ ! -e "$LAB_PIN_DIR/abi3" ]; }
# live_maps_pinned: the program on the link reads the maps pinned in the
# pin dir (not those of an earlier attempt): config's id is among its maps.
live_maps_pinned() {
	local prog
	prog=$(bpftool -j link show pinned "$LAB_PIN_DIR/link" | json_get prog_id)
	bpftool -j prog show id "$prog" | python3 -c '
import json, sys
sys.exit(0 if int(sys.argv[1]) in json.load(sys.stdin)["map_ids"] else 1)' "$(map_id config)"
}

# The lab, with web3; its services are replaced by setup_services.
LBXDP=$OLD e2e_lab a "$E2E_MODE" 3
setup_old_lab() {
	new detach --purge 2>/dev/null
	setup_services
}
setup_old_lab
setup_more

# web3 serves 3 connections alone, then is removed: draining.
old backend set "$LAB_SVC" "$(lab_ip web1)" --down
old backend set "$LAB_SVC" "$(lab_ip web2)" --down
n=$(lab_hits 3 | grep -c '^web3$' || true)
old backend set "$LAB_SVC" "$(lab_ip web1)" --up
old backend set "$LAB_SVC" "$(lab_ip web2)" --up
old backend del "$LAB_SVC" "$(lab_ip web3)"
web3_state=$(old -j backend list "$LAB_SVC" | python3 -c '
import json, sys
for be in json.load(sys.stdin)[0]["backends"]:
    if be["address"] == sys.argv[1]: print(be["state"])' "$(lab_ip web3)")
check "old release: web3 answered 3, then drains ($n, ${web3_state:-none})" \
	[ "$n:${web3_state:-}" = 3:draining ]

# udp_flows: the flows of the sh UDP service's backend .106, by backend list.
udp_flows() {
	"$1" -j backend list 198.18.0.22:0/udp | python3 -c '
import json, sys
for be in json.load(sys.stdin)[0]["backends"]:
    if be["address"] == "198.18.0.106": print(be["flows"])'
}
# Three UDP flows to the sh service, each with an entry (the client sends
# to the LB's MAC; the fake server's MAC takes them nowhere).
lbmac=$(ip -n "${LAB_PREFIX}lb" -j link show eth0 | json_get_0 address)
ip -n "${LAB_PREFIX}client" neigh replace 198.18.0.22 lladdr "$lbmac" dev eth0
# udp_send SPORT...: a datagram to the sh service from each client port.
udp_send() {
	ip netns exec "${LAB_PREFIX}client" python3 -c '
import socket, sys
for p in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", int(p)))
    s.sendto(b"x", ("198.18.0.22", 5353))
    s.close()' "$@"
}
udp_send 41001 41002 41003
udp0=$(udp_flows old)
check "old release: 3 UDP flows to the sh service, each an entry (${udp0:-none})" \
	[ "${udp0:-}" = 3 ]
check "old release: 10 of 10 connections answered by web1/web2" answered 10

# This release on the old maps: readers and writers say to attach.
for cmd in status "vip list" "backend list" "vip add 198.18.0.30:80"; do
	rc=0
	# shellcheck disable=SC2086 # the command's words
	out=$(new $cmd 2>&1) || rc=$?
	check "new '$cmd' on ABI-3 maps: exit 2 ($rc), says to run attach to upgrade ('$out')" \
		says_upgrade "$rc" "$out"
done

B=$E2E_TMP/before
snapshot "$B"
old -j vip list >"$B/vip-list"
old -j backend list >"$B/backend-list"
link0=$(link_id)
flows0=$(map_id flows)
prog0=$(old -j status | json_get prog_id)

# Clients connect all through the upgrade.
lab_hits 60 >"$E2E_TMP/hits" &
hits_pid=$!
sleep 1
rc=0
out=$(new attach eth0 2>&1) || rc=$?
sleep 1
wait "$hits_pid"
nok=$(grep -cE '^web[12]$' "$E2E_TMP/hits" || true)
check "attach upgrades (exit $rc): '$out'" upgraded "$rc" "$out"
check "60 connections during the upgrade: $nok answered by web1/web2" [ "$nok" = 60 ]
link1=$(link_id)
prog1=$(new -j status | json_get prog_id)
check "the same XDP link ($link0 -> $link1), another program ($prog0 -> $prog1)" \
	same_link_new_prog "$link0" "$link1" "$prog0" "$prog1"
check "no side directory left" no_side_dir
check "the program on the link reads the maps pinned now" live_maps_pinned

A=$E2E_TMP/after
snapshot "$A"
check "every record kept: backends (ids, gens, weights, states, MACs), VIPs, config knobs" \
	same_records "$B" "$A"
new -j vip list >"$A/vip-list"
check "vip list: the same services, ids, schedulers, persistence, usable backends" \
	same_list "$B/vip-list" "$A/vip-list" service,id,sched,persist,backends
check "the flow table is a new map ($flows0 -> $(map_id flows))" \
	[ "$flows0" != "$(map_id flows)" ]
udp1=$(udp_flows new)
check "the 3 UDP flows copied into the new table (${udp1:-none})" \
	[ "${udp1:-}" = 3 ]
new -j backend list >"$A/backend-list"
check "backend list: every backend, id, weight, state and MAC" \
	same_list "$B/backend-list" "$A/backend-list" address,id,weight,state,mac
check "after the upgrade: 10 of 10 connections answered" answered 10
out=$(new attach eth0 2>&1)
check "attach again: nothing to do ('$out')" has "$out" "nothing to do"

# Killed at any step, the next attach finishes the upgrade. For each kill
# point: the old release's maps, anew; this release's attach killed at the
# Nth call of a syscall; readers then refuse and say to attach; the next
# attach upgrades with every record kept, and clients are answered all the
# while.
setup_old_lab
strace -f -qq -o "$E2E_TMP/trace" -e trace=bpf,unlink,unlinkat \
	ip netns exec "${LAB_PREFIX}lb" "$NEW" --pin-dir "$LAB_PIN_DIR" attach eth0 \
	>/dev/null 2>&1
ulink=$(grep -q 'unlinkat(' "$E2E_TMP/trace" && echo unlinkat || echo unlink)
grep 'bpf(' "$E2E_TMP/trace" >"$E2E_TMP/bpf"
grep "$ulink(" "$E2E_TMP/trace" >"$E2E_TMP/unlink"
# nth FILE PATTERN: the line number of PATTERN's first match in FILE.
nth() { grep -m1 -n -- "$2" "$1" | cut -d: -f1; }
nbpf=$(wc -l <"$E2E_TMP/bpf")
nul=$(wc -l <"$E2E_TMP/unlink")
pin1=$(nth "$E2E_TMP/bpf" BPF_OBJ_PIN)                 # an old map aside
pinc=$(nth "$E2E_TMP/bpf" 'BPF_OBJ_PIN.*abi3/config') # the copy's mark
swap=$(nth "$E2E_TMP/bpf" BPF_LINK_UPDATE)
# The cleanup's first unpin: the last unlink of abi3/config.
unpin=$(grep -n 'abi3/config' "$E2E_TMP/unlink" | tail -1 | cut -d: -f1)
check "an upgrade: $nbpf bpf calls (pins aside $pin1-$pinc, swap $swap), $nul $ulink calls (cleanup from $unpin)" \
	in_range "${pin1:-0}" 2 "${pinc:-0}" "${pinc:-0}" $((pin1 + 1)) "${swap:-0}" \
	"${swap:-0}" $((pinc + 2)) "$nbpf" "${unpin:-0}" 3 "$nul"
# Before anything; in the copy; at its mark and just after; loading and
# writing the new maps; at the swap and just after; unpinning the old maps
# from DIR; at the cleanup's first unpin and after; at its last.
points="bpf:1 bpf:$((pin1 + 1)) bpf:$pinc bpf:$((pinc + 1))"
points="$points bpf:$(((pinc + swap) / 2)) bpf:$swap bpf:$((swap + 1))"
points="$points $ulink:$((unpin / 2)) $ulink:$unpin $ulink:$((unpin + 1)) $ulink:$nul"
port=42000
for pt in $points; do
	sc=${pt%:*} when=${pt#*:}
	port=$((port + 10))
	setup_old_lab
	K=$E2E_TMP/kill-$sc-$when
	snapshot "$K.before"
	lab_hits 6 >"$K.hits" &
	hits_pid=$!
	rc=0
	# (The shell's "Killed" notice goes nowhere.)
	{ timeout -s KILL 60 strace -f -qq -o /dev/null -e trace="$sc" \
		-e inject="$sc:signal=KILL:when=$when" \
		ip netns exec "${LAB_PREFIX}lb" "$NEW" --pin-dir "$LAB_PIN_DIR" \
		attach eth0 >/dev/null 2>&1; } 2>/dev/null || rc=$?
	srv=0
	sout=$(new status 2>&1) || srv=$?
	check "attach killed at $sc call $when (exit $rc): status refuses ($srv), says to attach ('$sout')" \
		refused_killed "$rc" "$srv" "$sout"
	# Flows placed meanwhile, by the old program or (killed after the
	# swap) the new one: the next attach keeps their entries.
	udp_send $((port + 1)) $((port + 2)) $((port + 3))
	rc=0
	out=$(new attach eth0 2>&1) || rc=$?
	wait "$hits_pid"
	snapshot "$K.after"
	udpk=$(udp_flows new)
	check "killed at $sc call $when: 3 UDP flows placed meanwhile, 3 in the table after (${udpk:-none})" \
		[ "${udpk:-}" = 3 ]
	check "killed at $sc call $when: the next attach upgrades ('$out')" \
		upgraded "$rc" "$out"
	check "killed at $sc call $when: every record kept, no side directory left" \
		kept_all "$K.before" "$K.after"
	check "killed at $sc call $when: the program on the link reads the maps pinned now" \
		live_maps_pinned
	nok=$(grep -cE '^web[123]$' "$K.hits" || true)
	check "killed at $sc call $when: 6 of 6 connections answered meanwhile ($nok)" \
		[ "$nok" = 6 ]
	check "killed at $sc call $when: 4 of 4 answered after" \
		answered 4 "web1|web2|web3"
	# And a change made now is seen at once.
	new backend set "$LAB_SVC" "$(lab_ip web1)" --down
	new backend set "$LAB_SVC" "$(lab_ip web3)" --down
	check "killed at $sc call $when: web1 and web3 set down, 6 of 6 answered by web2" \
		answered 6 web2
done

# An attach that fails (not killed) after the copy and before the swap gives
# DIR back to the old release: its commands work on maps as they were,
# nothing is left aside, and the next attach upgrades. Failed while
# loading, and at the swap (strace makes the call fail with EPERM).
same_dumps() { cmp -s "$1/backends" "$2/backends" && cmp -s "$1/vips" "$2/vips" &&
	cmp -s "$1/config" "$2/config"; }
given_back() { [ "$1" = 2 ] && [ "$2" = 0 ] && no_side_dir && same_dumps "$3" "$4"; }
for when in $(((pinc + swap) / 2)) "$swap"; do
	setup_old_lab
	F=$E2E_TMP/fail-$when
	snapshot "$F.before"
	rc=0
	strace -f -qq -o /dev/null -e trace=bpf -e inject="bpf:error=EPERM:when=$when" \
		ip netns exec "${LAB_PREFIX}lb" "$NEW" --pin-dir "$LAB_PIN_DIR" attach eth0 \
		>"$F.out" 2>&1 || rc=$?
	snapshot "$F.after"
	orc=0
	old vip list >/dev/null 2>&1 || orc=$?
	check "attach failed at bpf call $when (exit $rc): the old release's vip list works ($orc), no abi3 left, its maps as they were" \
		given_back "$rc" "$orc" "$F.before" "$F.after"
	check "attach failed at bpf call $when: 4 of 4 answered" \
		answered 4 "web1|web2|web3"
	rc=0
	out=$(new attach eth0 2>&1) || rc=$?
	check "attach failed at bpf call $when: the next attach upgrades ('$out')" \
		upgraded "$rc" "$out"
done

# A flow the old program places between the first copy and the swap is in
# the new table too, copied again after the swap: attach held 3 s at the
# swap (its bpf calls before it are in the trace, which strace writes as
# each returns), three new UDP flows meanwhile.
setup_old_lab
udp_send 41001 41002 41003
W=$E2E_TMP/window
strace -f -qq -o "$W.trace" -e trace=bpf \
	-e inject="bpf:delay_enter=3000000:when=$swap" \
	ip netns exec "${LAB_PREFIX}lb" "$NEW" --pin-dir "$LAB_PIN_DIR" attach eth0 \
	>"$W.out" 2>&1 &
held_pid=$!
held() { [ "$(grep -c 'bpf(' "$W.trace" 2>/dev/null)" -ge $((swap - 1)) ]; }
e2e_wait 60 held
check "attach held at the swap (bpf call $swap)" held
udp_send 41011 41012 41013
rc=0
wait "$held_pid" || rc=$?
udp2=$(udp_flows new)
check "3 UDP flows placed while attach was held at the swap, after it 6 of 6 in the new table (exit $rc, ${udp2:-none})" \
	[ "$rc:${udp2:-}" = 0:6 ]

e2e_done
