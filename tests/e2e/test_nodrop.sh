#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Taking a server out of the schedule never drops a packet another server
# could take: `backend set --weight 0`, `--down` and `backend del` flip the
# tables without the server before they mark its record, so no SYN meets a
# table that names a record already out. Each change runs with every bpf
# syscall delayed (strace), so that it takes seconds, while a client opens
# connections without a pause; none may be dropped as no_backend, and all
# must be answered.
# shellcheck disable=SC2317 # predicates are called through check
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init nodrop
if ! command -v strace >/dev/null; then
	echo "not ok - nodrop: strace missing (run scripts/deps.sh)"
	exit 1
fi

e2e_lab n generic 3
W=([1]=$(lab_ip web1) [2]=$(lab_ip web2) [3]=$(lab_ip web3))
lab_lbxdp backend add "$LAB_SVC" "${W[3]}" --weight 1
hits=$E2E_TMP/hits
port=20000 # three runs of 9000 ports, then 20 each

no_backend() {
	lab_lbxdp -j stats | /usr/bin/python3 -c \
		'import json, sys; print(json.load(sys.stdin)["reasons"]["no_backend"])'
}

# client FILE STOP PORT0: connections from ports PORT0.. until STOP exists
# (at most 9000, the ports a run has), one result a line in FILE, as
# lab_hits writes them.
client() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 300 ip netns exec "${LAB_PREFIX}client" bash -c '
		for ((i = 0; i < 9000; i++)); do
			[ -e "$2" ] && break
			if out=$(curl -s --fail --connect-timeout 5 --max-time 15 \
				--local-port $(($3 + i)) "http://$4/"); then
				printf "%s\n" "${out%%$'"'"'\n'"'"'*}"
			else
				echo "FAIL($?)"
			fi
		done' client - "$2" "$3" "$LAB_VIP" >"$1"
}

# slowly WHAT WEB ARGS...: `lbxdp ARGS` with each bpf call delayed 500 ms
# (seconds between its first write and its last), under a client
# that opens connections throughout; then WEB must get no new one.
slowly() {
	local what=$1 web=$2 nb0 nb1 n fail pid stop=$E2E_TMP/stop
	shift 2
	nb0=$(no_backend)
	rm -f "$stop"
	client "$hits" "$stop" $port &
	pid=$!
	port=$((port + 9000))
	e2e_wait 10 grep -q . "$hits"
	timeout -s KILL 120 ip netns exec "${LAB_PREFIX}lb" strace -f -qq \
		-o /dev/null -e trace=bpf -e inject=bpf:delay_enter=500000 \
		"$LBXDP" --pin-dir "$LAB_PIN_DIR" "$@" >/dev/null 2>"$E2E_TMP/err" ||
		not_ok "$what: lbxdp $* failed: $(head -1 "$E2E_TMP/err")"
	touch "$stop"
	wait "$pid" || true
	nb1=$(no_backend)
	n=$(grep -c . "$hits" || true)
	fail=$(grep -c '^FAIL' "$hits" || true)
	# shellcheck disable=SC2016 # expands when checked
	check "$what, its writes spread over seconds, under $n connections: no_backend +$((nb1 - nb0)), $fail failed" \
		eval '[ "$((nb1 - nb0))/$fail" = 0/0 ] && [ "$n" -ge 5 ]'
	lab_hits 20 "http://$LAB_VIP/" $port >"$hits"
	port=$((port + 20))
	check "$what: then $web takes no new connection ($(lab_count "$web" <"$hits") of 20)" \
		[ "$(lab_count "$web" <"$hits")/$(grep -c '^FAIL' "$hits" || true)" = 0/0 ]
}

slowly "backend set --weight 0" web1 backend set "$LAB_SVC" "${W[1]}" --weight 0
slowly "backend set --down" web2 backend set "$LAB_SVC" "${W[2]}" --down
lab_lbxdp backend set "$LAB_SVC" "${W[1]}" --weight 1
slowly "backend del" web1 backend del "$LAB_SVC" "${W[1]}"
e2e_done
