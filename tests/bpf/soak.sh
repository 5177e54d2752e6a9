#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# make soak: the model test (tests/bpf/test_model.c) over seeds FIRST..LAST,
# each alone, as root. A seed that fails keeps its output in
# $OUTPUT/soak/seed-N.log, with the last events that repeat it; the rest
# print one line: the packets checked live, and those left unchecked near a
# timeout. About 1.5 s a seed on 2 cores. Exit status 1 if any seed failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
OUTPUT=${OUTPUT:-.output}
first=${1:-2000}
last=${2:-2099}
bin=$OUTPUT/tests/bpf_test

for n in "$first" "$last"; do
	case $n in
	'' | *[!0-9]*)
		echo "soak: seeds must be numbers: '$first' '$last'" >&2
		exit 2
		;;
	esac
done
first=$((10#$first)) last=$((10#$last)) # 0999 is 999, not octal
if [ "$first" -gt "$last" ]; then
	echo "soak: SOAK_FIRST $first is past SOAK_LAST $last" >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "soak: needs root (the model runs the XDP program)" >&2
	exit 2
fi
if [ ! -x "$bin" ]; then
	echo "soak: no $bin: make $bin first" >&2
	exit 2
fi
mkdir -p "$OUTPUT/soak"
log=$OUTPUT/soak/seed.log
failed=()
for ((s = first; s <= last; s++)); do
	if LBXDP_BPF_TESTS=model LBXDP_MODEL_SEED=$s "$bin" >"$log" 2>&1; then
		live=$(awk '/live, same server  /{print $NF; exit}' "$log")
		fuzzy=$(awk '/near the timeout/{print $NF; exit}' "$log")
		echo "ok seed $s: $live live, $fuzzy near a timeout"
		rm -f "$OUTPUT/soak/seed-$s.log" # an earlier failure's
	else
		mv "$log" "$OUTPUT/soak/seed-$s.log"
		echo "not ok seed $s: $OUTPUT/soak/seed-$s.log"
		failed+=("$s")
	fi
done
rm -f "$log"
if [ ${#failed[@]} -gt 0 ]; then
	echo "# seeds $first-$last: ${#failed[@]} failed: ${failed[*]}"
	exit 1
fi
echo "# seeds $first-$last: all passed"
