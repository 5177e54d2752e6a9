#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# e2e-modes: native generic
# backend set --down: the server gets no new connections; --up: it gets its
# share again.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init down

e2e_lab u "$E2E_MODE"
W1=$(lab_ip web1)
J=$E2E_TMP/list.json
hits=$E2E_TMP/hits

# summary FILE: "web1 N, web2 N, failed N"
summary() {
	echo "web1 $(lab_count web1 <"$1"), web2 $(lab_count web2 <"$1"), failed $(grep -c '^FAIL' "$1" || true)"
}

lab_hits 30 >"$hits"
check "before: 30 connections shared 1:2 ($(summary "$hits"))" \
	in_range "$(lab_count web1 <"$hits")" 5 15 "$(lab_count web2 <"$hits")" 15 25 \
	"$(grep -c '^FAIL' "$hits" || true)" 0 0

check "backend set web1 --down succeeds" lab_lbxdp backend set "$LAB_SVC" "$W1" --down
e2e_json "$J"
s=$(e2e_field "$J" web1 state)
w=$(e2e_field "$J" web1 weight)
nf1=$(e2e_field "$J" web1 new_flows)
check "web1 listed as down, weight kept (state '$s', weight $w)" [ "$s/$w" = down/1 ]

lab_hits 30 >"$hits"
check "web1 down: 30 new connections all to web2 ($(summary "$hits"))" \
	[ "$(lab_count web2 <"$hits")" -eq 30 ]
e2e_json "$J"
nf=$(e2e_field "$J" web1 new_flows)
check "web1 down: its new_flows counter did not move ($nf1 -> $nf)" [ "$nf" = "$nf1" ]

check "backend set web1 --up succeeds" lab_lbxdp backend set "$LAB_SVC" "$W1" --up
e2e_json "$J"
s=$(e2e_field "$J" web1 state)
check "web1 listed as up again (state '$s')" [ "$s" = up ]

lab_hits 30 >"$hits"
check "web1 up again: it gets its share of 30 new connections ($(summary "$hits"))" \
	in_range "$(lab_count web1 <"$hits")" 5 15 "$(lab_count web2 <"$hits")" 15 25 \
	"$(grep -c '^FAIL' "$hits" || true)" 0 0
e2e_json "$J"
nf=$(e2e_field "$J" web1 new_flows)
check "web1 up again: its new_flows counter grows ($nf1 -> $nf)" [ "$nf" -gt "$nf1" ]
e2e_done
