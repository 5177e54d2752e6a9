#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Who owns what, and the daemon's health state, as the CLI shows and keeps
# them: services and backends added as the daemon adds them (kt dadd) and
# health entries written as it writes them (kt health) show in `backend
# list` and `status` (text and -j) and in bpftool's dumps; an operator's
# `backend set` on a daemon's backend is held as an override until `--auto`
# (refused on the CLI's own); `backend del` and `vip del` of the daemon's
# are refused while a daemon runs (a fake one: its pid file, locked) and
# allowed when none does; a meta entry of another gen reads as the CLI's.
# Then a pin directory without these maps (the three unpinned): read as all
# the CLI's, the daemon's writes refused until `attach` creates the maps,
# which it does, keeping every service. One made by the build before them
# is of map ABI 3: `attach` upgrades it and creates them on the way.
# shellcheck disable=SC2317 # predicates are called through check
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init meta

OLD_COMMIT=73aca5e # the last commit before the daemon's maps
KT=$LAB_OUTPUT/tests/kt
for tool in bpftool git flock systemd-escape; do
	command -v "$tool" >/dev/null ||
		{ echo "not ok - $E2E_NAME: $tool missing (run scripts/deps.sh)"; exit 1; }
done
if [ ! -x "$KT" ]; then
	echo "not ok - $E2E_NAME: $KT missing (make $KT)"
	exit 1
fi
export LBXDP_RUN_DIR=$E2E_TMP/run

e2e_lab m generic 3
W1=$(lab_ip web1)
W2=$(lab_ip web2)
W3=$(lab_ip web3)
D=198.18.0.40:80 # the daemon's service: web1 (weight 1), web3 (weight 2)
"$KT" dadd "$LAB_PIN_DIR" $D
"$KT" dadd "$LAB_PIN_DIR" $D "$W1" 1 02:00:00:00:00:01
"$KT" dadd "$LAB_PIN_DIR" $D "$W3" 2 02:00:00:00:00:03

# has TEXT WORD: TEXT contains WORD.
has() { [[ "$1" == *"$2"* ]]; }

# exit_says WANT RC TEXT WORD...: RC is WANT and TEXT contains every WORD.
exit_says() {
	local want=$1 rc=$2 text=$3 w
	shift 3
	[ "$rc" = "$want" ] || return 1
	for w; do
		has "$text" "$w" || return 1
	done
}

# pinned all|none MAP...: every MAP is pinned in the lab's pin directory,
# or none is.
pinned() {
	local how=$1 m
	shift
	for m; do
		if [ -e "$LAB_PIN_DIR/$m" ]; then
			[ "$how" = all ] || return 1
		else
			[ "$how" = none ] || return 1
		fi
	done
}

# be SVC ADDR EXPR: a Python expression of backend ADDR of SVC (as b) in
# `lbxdp -j backend list`, printed.
be() {
	lab_lbxdp -j backend list | python3 -c '
import json, sys
for s in json.load(sys.stdin):
    for b in s["backends"]:
        if s["service"].startswith(sys.argv[1]) and b["address"] == sys.argv[2]:
            print(eval(sys.argv[3]))' "$@"
}

# is SVC ADDR EXPR WANT: be's answer is WANT.
is() {
	local got
	got=$(be "$1" "$2" "$3")
	[ "$got" = "$4" ] || { diag "$2 of $1: $3 is '$got', not '$4'"; return 1; }
}

svc_owner() { # SVC: its owner in vip list -j
	lab_lbxdp -j vip list | python3 -c '
import json, sys
print([v["owner"] for v in json.load(sys.stdin) if v["service"].startswith(sys.argv[1])])' "$1"
}

# Owners, and no check yet.
check "vip list -j: the daemon's service is the daemon's" [ "$(svc_owner $D)" = "['daemon']" ]
check "vip list -j: the lab's service is the CLI's" [ "$(svc_owner $LAB_SVC)" = "['cli']" ]
check "backend list -j: a daemon's backend before any check: owner daemon, not checked, set by config, no override" \
	is $D "$W1" '(b["owner"], b["health"], b["set_by"], b["check"], b["operator"])' \
	"('daemon', 'not checked', 'config', None, None)"
check "backend list -j: the CLI's backend: owner cli, not checked, set by the operator" \
	is $LAB_SVC "$W1" '(b["owner"], b["health"], b["set_by"])' "('cli', 'not checked', 'operator')"

# The daemon's checks, as it writes them (no lock).
"$KT" health "$LAB_PIN_DIR" $D "$W1" up 0 5 3 TCP_CHECK "connected"
"$KT" health "$LAB_PIN_DIR" $D "$W3" down 3 0 2 HTTP_GET "HTTP 503" 2
check "backend list -j: web1 up by its check: TCP_CHECK, connected, fails 0, oks 5" \
	is $D "$W1" '(b["health"], b["set_by"], b["check"]["checker"], b["check"]["reason"], b["check"]["fails"], b["check"]["oks"])' \
	"('up', 'check', 'TCP_CHECK', 'connected', 0, 5)"
check "backend list -j: web3 down by its check: HTTP_GET, HTTP 503, fails 3, oks 0" \
	is $D "$W3" '(b["health"], b["set_by"], b["check"]["checker"], b["check"]["reason"], b["check"]["fails"], b["check"]["oks"])' \
	"('down', 'check', 'HTTP_GET', 'HTTP 503', 3, 0)"
check "backend list -j: web3's last check is 2 s old (within 2-60 s)" \
	is $D "$W3" '2000 <= b["check"]["age_ms"] <= 60000' True
text=$(lab_lbxdp backend list)
check "backend list: web3's line says owner daemon, health down" \
	grep -qE "^  -> $W3 .* daemon +down\$" <<<"$text"
check "backend list: web3's check, reason, age and counts under it" \
	grep -qE "^ +health down, set by check; last check HTTP_GET [0-9]+ s ago: HTTP 503; fails 3, oks 0\$" <<<"$text"
# The daemon's 16 and 64 bytes may be full, with no NUL.
"$KT" health "$LAB_PIN_DIR" $D "$W1" up 0 6 1 MISC_CHECK_LONG_NAME \
	"$(printf 'r%.0s' {1..70})"
check "backend list -j: a checker and reason that fill their fields are cut there (16, 64)" \
	is $D "$W1" '(b["check"]["checker"], len(b["check"]["reason"]))' "('MISC_CHECK_LONG_', 64)"
"$KT" health "$LAB_PIN_DIR" $D "$W1" up 0 7 1 TCP_CHECK "connected"

# bpftool reads them by field name.
dump() { bpftool map dump pinned "$LAB_PIN_DIR/$1"; }
check "bpftool map dump health: checker and reason as text" \
	grep -q '"checker": "HTTP_GET"' <(dump health)
check "bpftool map dump backend_meta: owner, op, cfg_weight by name" \
	grep -q '"cfg_weight": 2' <(dump backend_meta)
check "bpftool map dump vip_meta: owner by name" grep -q '"owner": 1' <(dump vip_meta)

status_j() { lab_lbxdp -j status | python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"; }
check "status -j: no daemon running, 2 checked (1 up, 1 down), no override" \
	[ "$(status_j '(s["daemon"], s["health"])')" = "({'running': False, 'pid': None}, {'checked': 2, 'up': 1, 'down': 1, 'pending': 0, 'overrides': 0})" ]
check "status: daemon: not running" grep -q '^daemon: *not running$' <(lab_lbxdp status)

# An operator's override on the daemon's backends: the record and the meta.
lab_lbxdp backend set $D "$W3" --weight 5
lab_lbxdp backend set $D "$W3" --up
lab_lbxdp backend set $D "$W1" --down
check "set --weight 5, --up on web3 (down by its check): up, weight 5, held by the operator" \
	is $D "$W3" '(b["state"], b["weight"], b["set_by"], b["operator"], b["health"])' \
	"('up', 5, 'operator', {'state': 'up', 'weight': 5}, 'down')"
check "set --down on web1 (up by its check): down, held by the operator" \
	is $D "$W1" '(b["state"], b["operator"], b["health"])' "('down', {'state': 'down', 'weight': None}, 'up')"
check "backend list: the operator's view beside the check's" \
	grep -qE "^ +operator: up, weight 5; the check's view: down, weight 2\$" <(lab_lbxdp backend list)
check "status -j: 2 overrides" [ "$(status_j 's["health"]["overrides"]')" = 2 ]
# The daemon's own backend set (lbxdp_backend_set) leaves the override: a
# CLI-owned backend's set records none.
lab_lbxdp backend set $LAB_SVC "$W2" --weight 3
check "set on the CLI's own backend records no override" \
	is $LAB_SVC "$W2" '(b["weight"], b["operator"], b["set_by"])' "(3, None, 'operator')"
lab_lbxdp backend set $LAB_SVC "$W2" --weight 2

# --auto: on the CLI's, refused (state: exit 2); with a value, a usage error.
rc=0
err=$(lab_lbxdp backend set $LAB_SVC "$W1" --auto 2>&1) || rc=$?
check "set --auto on the CLI's backend: exit 2 ($rc), says it is not the daemon's ('$err')" \
	exit_says 2 "$rc" "$err" "not checked by lbxdp daemon"
rc=0
err=$(lab_lbxdp backend set $D "$W3" --auto --weight 3 2>&1) || rc=$?
check "set --auto --weight: exit 1 ($rc, '$err')" exit_says 1 "$rc" "$err" "--auto"
check "the refused --auto changed nothing" \
	is $D "$W3" '(b["weight"], b["operator"])' "(5, {'state': 'up', 'weight': 5})"
lab_lbxdp backend set $D "$W3" --auto
check "set --auto on web3: override gone, back to its check (record kept until the daemon applies it)" \
	is $D "$W3" '(b["operator"], b["set_by"], b["weight"], b["state"])' "(None, 'check', 5, 'up')"

# A meta entry describes only the record of its gen.
id=$(be $LAB_SVC "$W1" 'b["id"]')
gen=$(bpftool -j map lookup pinned "$LAB_PIN_DIR/backends" key $((id & 255)) $((id >> 8)) 0 0 |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["formatted"]["value"]["gen"])')
meta_hex() { # GEN: owner daemon, op down, as bytes
	printf '%02x %02x %02x %02x 01 02 00 00 00 00 00 00 00 00 00 00' \
		$(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $(($1 >> 24))
}
# shellcheck disable=SC2046 # bytes as words
bpftool map update pinned "$LAB_PIN_DIR/backend_meta" key $((id & 255)) $((id >> 8)) 0 0 \
	value hex $(meta_hex $((gen + 1)))
check "a daemon's meta of another gen reads as the CLI's, no override" \
	is $LAB_SVC "$W1" '(b["owner"], b["operator"])' "('cli', None)"
# shellcheck disable=SC2046
bpftool map update pinned "$LAB_PIN_DIR/backend_meta" key $((id & 255)) $((id >> 8)) 0 0 \
	value hex $(meta_hex "$gen")
# backend list repairs: the record follows an override it lacks (a set
# killed between the two).
check "the same meta of the record's gen reads as the daemon's (the check is the gen), and the record follows its override" \
	is $LAB_SVC "$W1" '(b["owner"], b["operator"], b["state"])' "('daemon', {'state': 'down', 'weight': None}, 'down')"
lab_lbxdp backend set $LAB_SVC "$W1" --auto
lab_lbxdp backend set $LAB_SVC "$W1" --up
# shellcheck disable=SC2046
bpftool map update pinned "$LAB_PIN_DIR/backend_meta" key $((id & 255)) $((id >> 8)) 0 0 \
	value hex $(printf '00 %.0s' {1..16})

# A running daemon (a fake: its pid file, locked) owns its configuration.
PIDF=$LBXDP_RUN_DIR/$(systemd-escape --path "$LAB_PIN_DIR").pid
mkdir -p "$LBXDP_RUN_DIR"
(
	exec 9>"$PIDF"
	flock -x 9
	echo "$BASHPID" >&9
	exec sleep 600
) &
FAKE=$!
E2E_PIDS="$E2E_PIDS $FAKE"
e2e_wait 5 grep -q "pid $FAKE" <(lab_lbxdp status)
check "status: daemon: running, pid $FAKE" grep -q "^daemon: *running, pid $FAKE\$" <(lab_lbxdp status)
check "status -j: daemon running, its pid" \
	[ "$(status_j 's["daemon"]')" = "{'running': True, 'pid': $FAKE}" ]
snap() { lab_lbxdp -j backend list | python3 -c '
import json, sys
d = json.load(sys.stdin)
for s in d:
    for b in s["backends"]:
        b.pop("check")
print(json.dumps(d, sort_keys=True))'; }
before=$(snap)
rc=0
err=$(lab_lbxdp backend del $D "$W1" 2>&1) || rc=$?
check "backend del of the daemon's while it runs: exit 2 ($rc)" [ "$rc" = 2 ]
check "  ... says who owns it and what to do ('$err')" \
	has "$err" "owned by lbxdp daemon (pid $FAKE): remove it from its configuration and reload"
rc=0
err=$(lab_lbxdp vip del $D 2>&1) || rc=$?
check "vip del of the daemon's while it runs: exit 2 ($rc)" [ "$rc" = 2 ]
check "  ... says who owns it and what to do ('$err')" \
	has "$err" "owned by lbxdp daemon (pid $FAKE): remove it from its configuration and reload"
check "  ... and both changed nothing" [ "$(snap)" = "$before" ]
lab_lbxdp backend set $D "$W3" --down
check "backend set --down of the daemon's while it runs: an override" \
	is $D "$W3" '(b["state"], b["operator"])' "('down', {'state': 'down', 'weight': None})"
kill "$FAKE"
wait "$FAKE" 2>/dev/null || true
check "status: daemon: not running once it is gone" grep -q '^daemon: *not running$' <(lab_lbxdp status)
# (-j: the backend as list shows it; list itself would free the drained
# record, which has no flows)
check "backend del of the daemon's with no daemon: drains, the daemon's" \
	[ "$(lab_lbxdp -j backend del $D "$W1" | python3 -c 'import json,sys; b=json.load(sys.stdin); print(b["state"], b["owner"])')" = "draining daemon" ]
# Re-added by the CLI: a revive, now the CLI's, no override kept.
lab_lbxdp backend add $D "$W1" --mac 02:00:00:00:00:01
check "re-added by the CLI while draining: the CLI's, no override (its down flag kept, as a revive keeps it)" \
	is $D "$W1" '(b["state"], b["owner"], b["operator"])' "('down', 'cli', None)"
d_id=$(be $D "$W1" 'b["id"]')
lab_lbxdp vip del $D
check "vip del of the daemon's with no daemon: gone" [ "$(svc_owner $D)" = "[]" ]
# Its records are free; the next add takes web1's id, whose health entry
# (up, of the old gen) is not the new record's.
lab_lbxdp vip add 198.18.0.43:80
lab_lbxdp backend add 198.18.0.43:80 "$W2" --mac 02:00:00:00:00:02
check "a reused id ($d_id): the old holder's health entry reads as not checked" \
	is 198.18.0.43:80 "$W2" '(b["id"], b["health"], b["check"], b["owner"])' "($d_id, 'not checked', None, 'cli')"

# A pin directory without these maps, as the build before them leaves it:
# first this build's with the three unpinned, then (if its commit is in
# the clone: not in make mutate's copy) one the build before made.
# pins_checks WHAT: the checks, on the lab's pin directory as WHAT left it.
pins_checks() {
	local what=$1 rc err out before
	check "$what: no vip_meta, backend_meta, health pinned" \
		pinned none vip_meta backend_meta health
	err=$(lab_lbxdp status 2>&1 >/dev/null)
	check "$what: status says to attach again ('$err')" has "$err" "attach eth0' again"
	check "$what: status -j: daemon_maps false" [ "$(status_j 's["daemon_maps"]')" = False ]
	check "$what: backend list -j: all the CLI's, not checked" \
		is $LAB_SVC "$W2" '(b["owner"], b["health"], b["operator"], b["weight"])' "('cli', 'not checked', None, 2)"
	lab_lbxdp vip add 198.18.0.41:80
	lab_lbxdp backend add 198.18.0.41:80 "$W3" --mac 02:00:00:00:00:03
	lab_lbxdp backend set 198.18.0.41:80 "$W3" --down
	check "$what: the CLI's writes work (add, set)" is 198.18.0.41:80 "$W3" 'b["state"]' down
	rc=0
	err=$(lab_lbxdp backend set 198.18.0.41:80 "$W3" --auto 2>&1) || rc=$?
	check "$what: set --auto: exit 2 ($rc), the CLI's" exit_says 2 "$rc" "$err" "not checked"
	rc=0
	err=$("$KT" dadd "$LAB_PIN_DIR" 198.18.0.42:80 2>&1) || rc=$?
	check "$what: the daemon's vip add: refused, exit 2 ($rc), says to attach again ('$err')" \
		exit_says 2 "$rc" "$err" "map vip_meta is not pinned" "lbxdp attach IFACE' again"
	rc=0
	err=$("$KT" dadd "$LAB_PIN_DIR" 198.18.0.41:80 "$W2" 1 02:00:00:00:00:02 2>&1) || rc=$?
	check "$what: the daemon's backend add: refused, exit 2 ($rc), says to attach again ('$err')" \
		exit_says 2 "$rc" "$err" "map backend_meta is not pinned"
	before=$(snap)
	rc=0
	out=$(lab_lbxdp attach eth0 --mode generic 2>&1) || rc=$?
	check "$what: attach of this build: exit 0 ($rc: $out)" [ "$rc" = 0 ]
	check "$what:   ... creates vip_meta, backend_meta and health" \
		pinned all vip_meta backend_meta health
	check "$what:   ... keeps every service and backend" [ "$(snap)" = "$before" ]
	check "$what:   ... status -j: daemon_maps true" [ "$(status_j 's["daemon_maps"]')" = True ]
	"$KT" dadd "$LAB_PIN_DIR" 198.18.0.42:80
	check "$what:   ... the daemon's writes work" [ "$(svc_owner 198.18.0.42:80)" = "['daemon']" ]
	check "$what:   ... traffic still flows" [ "$(lab_hits 3 | grep -cE '^web[12]$')" = 3 ]
}

lab_lbxdp vip del 198.18.0.43:80
rm "$LAB_PIN_DIR/vip_meta" "$LAB_PIN_DIR/backend_meta" "$LAB_PIN_DIR/health"
pins_checks "unpinned"

if ! e2e_git cat-file -e "$OLD_COMMIT^{commit}" 2>/dev/null; then
	ok "the build of $OLD_COMMIT # SKIP not in this repository (a shallow clone?)"
	e2e_done
fi
OLD_SRC=$E2E_TMP/old
OLD=$E2E_TMP/old-out/lbxdp
mkdir -p "$OLD_SRC"
e2e_git archive "$OLD_COMMIT" | tar -x -C "$OLD_SRC"
make -C "$OLD_SRC" OUTPUT="$E2E_TMP/old-out" "$OLD" >"$E2E_TMP/old-build.log" 2>&1 ||
	{ cat "$E2E_TMP/old-build.log" >&2; exit 1; }
old() { LBXDP=$OLD lab_lbxdp "$@"; }
lab_lbxdp detach --purge 2>/dev/null
old attach eth0 --mode generic 2>/dev/null
old vip add $LAB_SVC
old backend add $LAB_SVC "$W1" --weight 1
old backend add $LAB_SVC "$W2" --weight 2
what="made by $OLD_COMMIT (map ABI 3)"
# snap_core: services and their backends, by what both builds list.
snap_core() { lab_lbxdp -j backend list | python3 -c '
import json, sys
print(sorted((s["service"], b["id"], b["address"], b["weight"], b["state"])
             for s in json.load(sys.stdin) for b in s["backends"]))'; }
upgraded_ok() { [ "$1" = 0 ] && has "$2" upgrade; }
before=$(LBXDP=$OLD snap_core)
rc=0
out=$(lab_lbxdp attach eth0 --mode generic 2>&1) || rc=$?
check "$what: attach of this build upgrades it: exit 0 ($rc: $out)" \
	upgraded_ok "$rc" "$out"
check "$what:   ... creates vip_meta, backend_meta and health" \
	pinned all vip_meta backend_meta health
check "$what:   ... keeps every service and backend ($before)" \
	[ "$(snap_core)" = "$before" ]
check "$what:   ... status -j: daemon_maps true" [ "$(status_j 's["daemon_maps"]')" = True ]
"$KT" dadd "$LAB_PIN_DIR" 198.18.0.42:80
check "$what:   ... the daemon's writes work" [ "$(svc_owner 198.18.0.42:80)" = "['daemon']" ]
check "$what:   ... traffic still flows" [ "$(lab_hits 3 | grep -cE '^web[12]$')" = 3 ]
e2e_done
