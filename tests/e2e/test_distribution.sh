#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# wrr 1:2 through the VIP with real TCP connections, in native and generic
# XDP; traffic that is not for a VIP service still reaches the LB's own stack;
# the per-backend counters agree with what the client saw.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init distribution

N=300

# json_num FILE PYTHON-EXPR: evaluate EXPR over the JSON document `d`.
json_num() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

run_mode() {
	local mode=$1 tag=$2 d=$E2E_TMP/$1 hits n1 n2 nfail d1 d2 dv b t
	mkdir -p "$d/lbwww"
	e2e_lab "$tag" "$mode"
	lab_lbxdp -j status >"$d/status.json"
	t=$(json_num "$d/status.json" 'd["mode"] if d["attached"] else "none"')
	check "$mode: lbxdp attached to the lb's eth0 in $mode mode (status says '$t')" \
		[ "$t" = "$mode" ]

	# A service of the LB itself, on its own address and on the VIP's
	# address at a port that is no VIP service: XDP must pass both.
	echo lb >"$d/lbwww/index.html"
	lab_bg lb http-lb python3 -m http.server --bind 0.0.0.0 8080 --directory "$d/lbwww"
	lab_wait_http "$(lab_ip lb)" 8080 lb

	e2e_json "$d/before.json"
	lab_lbxdp -j stats >"$d/stats-before.json"
	hits=$d/hits
	# Ports of our own, so each connection is a new flow: the kernel's
	# choice may reuse one, which rightly follows its old entry.
	lab_hits "$N" "http://$LAB_VIP/" 20000 >"$hits"
	n1=$(lab_count web1 <"$hits")
	n2=$(lab_count web2 <"$hits")
	nfail=$(grep -c '^FAIL' "$hits" || true)
	check "$mode: $N connections to the VIP: $((n1 + n2)) answered by web1/web2, $nfail failed" \
		in_range $((n1 + n2)) "$N" "$N" "$nfail" 0 0 "$(wc -l <"$hits")" "$N" "$N"
	check "$mode: split 1:2 within 15%: web1 $n1 (want 85-115), web2 $n2 (want 170-230)" \
		in_range "$n1" 85 115 "$n2" 170 230

	e2e_json "$d/after.json"
	lab_lbxdp -j stats >"$d/stats-after.json"
	d1=$(($(e2e_field "$d/after.json" web1 new_flows) - $(e2e_field "$d/before.json" web1 new_flows)))
	d2=$(($(e2e_field "$d/after.json" web2 new_flows) - $(e2e_field "$d/before.json" web2 new_flows)))
	check "$mode: backend list new_flows agree with the answers: web1 +$d1 (saw $n1), web2 +$d2 (saw $n2)" \
		in_range "$d1" "$n1" "$n1" "$d2" "$n2" "$n2"
	check "$mode: web2's new_flows about twice web1's: $d2 / $d1" \
		in_range "$d1" 1 "$N" $((d2 * 100 / (d1 > 0 ? d1 : 1))) 170 230
	dv=$(($(json_num "$d/stats-after.json" 'd["vips"][0]["new_flows"]') -
		$(json_num "$d/stats-before.json" 'd["vips"][0]["new_flows"]')))
	check "$mode: VIP new_flows +$dv for $N connections" in_range "$dv" "$N" "$N"
	b=$(e2e_field "$d/after.json" web1 packets)
	check "$mode: web1 forwarded packets counted ($b)" [ "$b" -ge $((n1 * 4)) ]

	# Non-VIP traffic to the LB.
	t=$(lab_get "http://$(lab_ip lb):8080/" 2>&1 || true)
	check "$mode: HTTP to the LB's own address 198.18.0.2:8080 answered by the LB ('$t')" [ "$t" = lb ]
	t=$(lab_get "http://$LAB_VIP:8080/" 2>&1 || true)
	check "$mode: HTTP to the VIP at a non-service port 8080 answered by the LB ('$t')" [ "$t" = lb ]
	check "$mode: ping 198.18.0.2 from the client" \
		lab_ping client "$(lab_ip lb)"
	lab_lbxdp -j stats >"$d/stats-end.json"
	t=$(($(json_num "$d/stats-end.json" 'd["reasons"]["passed"]') -
		$(json_num "$d/stats-after.json" 'd["reasons"]["passed"]')))
	check "$mode: XDP passed the non-VIP frames to the stack ($t counted as passed)" [ "$t" -ge 10 ]
}

run_mode native n
run_mode generic g
e2e_done
