#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Runs every suite and ends with "N passed, N failed, N skipped".
# Each suite prints TAP lines: "ok - name", "not ok - name",
# "ok - name # SKIP reason". Suites needing root skip without it; under CI
# (CI=true) a skip counts as a failure.
set -u
cd "$(dirname "$0")/.." || exit 2
OUTPUT=${OUTPUT:-.output}
export OUTPUT
LOG_DIR=$(mktemp -d /tmp/lbxdp-test.XXXXXX)
pass=0 fail=0 skip=0

tally() { # suite-name, then the suite's output on stdin
	local name=$1 line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case "$line" in
		"not ok"*) fail=$((fail + 1)) ;;
		"ok"*"# SKIP"* | "ok"*"# skip"*) skip=$((skip + 1)) ;;
		"ok"*) pass=$((pass + 1)) ;;
		esac
	done
	return 0
}

run_suite() { # name, command...
	local name=$1 rc
	shift
	echo "# suite $name"
	"$@" >"$LOG_DIR/$name.out" 2>"$LOG_DIR/$name.err"
	rc=$?
	tally "$name" <"$LOG_DIR/$name.out"
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$LOG_DIR/$name.out"; then
		# A crash or a setup failure must not pass silently.
		echo "not ok - $name exited $rc"
		fail=$((fail + 1))
	fi
	if [ "$rc" -ne 0 ]; then
		sed 's/^/#   /' "$LOG_DIR/$name.err" | tail -40
	fi
}

for t in "$OUTPUT"/unit/test_*; do
	[ -x "$t" ] || continue
	run_suite "unit-$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
done

if [ "$(id -u)" -ne 0 ]; then
	for s in bpf e2e; do
		echo "ok - $s # SKIP needs root"
		skip=$((skip + 1))
	done
else
	run_suite bpf "$OUTPUT/tests/bpf_test"
	# A test that names "# e2e-modes: native generic" runs once in each,
	# with E2E_MODE set; the others choose their modes themselves.
	for t in tests/e2e/test_*.sh; do
		[ -f "$t" ] || continue
		modes=$(sed -n 's/^# e2e-modes: *//p' "$t")
		if [ -z "$modes" ]; then
			run_suite "e2e-$(basename "$t" .sh)" bash "$t"
			continue
		fi
		for m in $modes; do
			run_suite "e2e-$(basename "$t" .sh)-$m" env E2E_MODE="$m" bash "$t"
		done
	done
fi

rm -rf "$LOG_DIR"
echo "$pass passed, $fail failed, $skip skipped"
if [ "$fail" -ne 0 ]; then
	exit 1
fi
if [ "$skip" -ne 0 ] && [ "${CI:-}" = true ]; then
	echo "CI: skipped suites count as failures" >&2
	exit 1
fi
exit 0
