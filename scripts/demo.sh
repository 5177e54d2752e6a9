#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make demo`: a direct-routing load balancer in network namespaces, with
# real HTTP traffic. Everything it creates is named lbxdp-demo-* and removed
# on exit; `make demo-down` (scripts/lab.sh down) cleans a killed demo.
set -euo pipefail
# shellcheck source=scripts/lab.sh
source "$(dirname "$0")/lab.sh"

P=$LAB_DEMO_PREFIX
N=30

heading() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ -t 1 ] || heading() { printf '\n== %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespaces, XDP, bpffs)" >&2
	exit 1
fi
if [ ! -x "$LBXDP" ] || [ ! -r "$LAB_XDP_PASS" ]; then
	echo "demo: $LBXDP or $LAB_XDP_PASS missing: run make first" >&2
	exit 1
fi

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	heading "Cleaning up: namespaces $P*, web servers, bpffs"
	lab_down "$P" && echo "done"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_down "$P" # what an earlier, killed demo left

heading "Building the lab: a bridge and four hosts, each in its own namespace"
cat <<EOF
  client  198.18.0.1                     curl
  lb      198.18.0.2, VIP 198.18.0.10    lbxdp (XDP on eth0)
  web1    198.18.0.11, VIP on lo         python3 http.server, answers "web1"
  web2    198.18.0.12, VIP on lo         python3 http.server, answers "web2"
Requests go client -> lb -> web (lbxdp rewrites only the destination MAC);
replies go web -> client directly, from the VIP.
EOF
bash "$LAB_ROOT/scripts/lab.sh" up "$P" native 2
LAB_PREFIX=$P
lab_bpffs_mount
echo "lab up; lbxdp state pinned in $LAB_PIN_DIR"

heading "Attaching lbxdp to the lb's eth0 (native XDP)"
if ! lab_lbxdp attach eth0 --mode native 2>&1; then
	echo "native XDP attach failed: falling back to generic XDP"
	lab_lbxdp attach eth0 --mode generic 2>&1
fi

heading "Service $LAB_SVC, scheduler wrr: web1 weight 1, web2 weight 2"
echo "+ lbxdp vip add $LAB_SVC"
lab_lbxdp vip add "$LAB_SVC"
echo "+ lbxdp backend add $LAB_SVC $(lab_ip web1) --weight 1"
lab_lbxdp backend add "$LAB_SVC" "$(lab_ip web1)" --weight 1
echo "+ lbxdp backend add $LAB_SVC $(lab_ip web2) --weight 2"
lab_lbxdp backend add "$LAB_SVC" "$(lab_ip web2)" --weight 2

# demo_hits N [-v]: N requests (-v: a line each); counts them in n1, n2
# and nfail, and adds the failures to $fails.
fails=0
demo_hits() {
	local out i
	n1=0 n2=0 nfail=0
	for ((i = 1; i <= $1; i++)); do
		out=$(lab_get -s "http://$LAB_VIP/" 2>/dev/null) || out=FAILED
		[ "${2:-}" = -v ] && printf 'request %2d: %s\n' "$i" "$out"
		case "$out" in
		web1) n1=$((n1 + 1)) ;;
		web2) n2=$((n2 + 1)) ;;
		*) nfail=$((nfail + 1)) ;;
		esac
	done
	echo "$1 requests: web1 $n1, web2 $n2, failed $nfail"
	fails=$((fails + nfail))
}

heading "$N requests from the client: curl -s http://$LAB_VIP/"
demo_hits "$N" -v

echo "(weights 1:2, so expect web1: $((N / 3)), web2: $((2 * N / 3)))"

heading "lbxdp backend list"
lab_lbxdp backend list

heading "lbxdp flow list: each connection's entry in the flow table"
lab_lbxdp flow list | sed -n 1,6p

heading "lbxdp stats"
lab_lbxdp stats

# demo_wait SECONDS STATE: until web2's record is STATE (or the bound).
demo_wait() {
	local t0 ms s=""
	t0=$(date +%s%3N)
	while :; do
		ms=$(($(date +%s%3N) - t0))
		lab_lbxdp -j backend list >"$ST/list.json" 2>/dev/null &&
			s=$(lab_json_backend "$ST/list.json" "$(lab_ip web2)" state)
		[ "$s" = "$2" ] || [ "$ms" -ge $(($1 * 1000)) ] && break
		sleep 0.1
	done
	echo "web2 is $s after $((ms / 1000)).$((ms % 1000 / 100)) s"
}

heading "The daemon: keepalived's LVS-DR configuration, health-checked"
ST=$(lab_state)
MODE=$(lab_lbxdp -j status | /usr/bin/python3 -c \
	'import json, sys; print(json.load(sys.stdin)["mode"])' 2>/dev/null) ||
	MODE=native
lab_seed_conf "$ST/keepalived.conf" "$MODE" 1 2 1
cat <<EOF
The seed's keepalived.conf with the lab's addresses and shorter timers
(delay_loop 1, nb_get_retry 2, delay_before_retry 1): $ST/keepalived.conf.
The daemon runs it as it is. The CLI's service goes first, so that the
file may define it.
EOF
echo "+ lbxdp vip del $LAB_SVC"
lab_lbxdp vip del "$LAB_SVC"
echo "+ lbxdp daemon -f keepalived.conf &"
lab_bg lb daemon "$LBXDP" --pin-dir "$LAB_PIN_DIR" daemon -f "$ST/keepalived.conf"
for ((i = 0; i < 100; i++)); do
	lab_lbxdp -j daemon status 2>/dev/null | grep -q '"ready": *true' && break
	sleep 0.1
done
# The file's vrrp_instance has no peer here: master after 3.6 s.
for ((i = 0; i < 100; i++)); do
	lab_lbxdp -j daemon status 2>/dev/null | grep -q '"state": *"MASTER"' && break
	sleep 0.1
done
sed 's/^/  daemon: /' "$ST/daemon.log"
demo_hits 15
echo "+ lbxdp backend list"
lab_lbxdp backend list

heading "web2's web server stops: its TCP_CHECK fails, the daemon takes it out"
kill "$(lab_web_pid web2)"
demo_wait 15 down
demo_hits 15

heading "web2's web server starts again: back after a passing check"
lab_web_start web2 "$ST/www/web2"
demo_wait 15 up
demo_hits 15
echo "+ lbxdp daemon status"
lab_lbxdp daemon status
echo "+ lbxdp daemon stop"
lab_lbxdp daemon stop
sleep 0.5
sed 's/^/  daemon: /' "$ST/daemon.log"

[ "$fails" -eq 0 ]

