#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Runs every suite and ends with "N passed, N failed, N skipped".
# Each suite prints TAP lines: "ok - name", "not ok - name",
# "ok - name # SKIP reason". Suites needing root skip without it; under CI
# (CI=true) a skip counts as a failure.
# SUITES='bpf unit-test_sched e2e-test_drain' runs only those (the names of
# the "# suite" lines; an e2e test run in several modes is all of them by
# its name without the mode, e.g. e2e-test_udp); a name that is no suite is
# an error (exit 2).
set -u
cd "$(dirname "$0")/.." || exit 2
OUTPUT=${OUTPUT:-.output}
export OUTPUT
SUITES=${SUITES:-}
pass=0 fail=0 skip=0
matched=" "

# Whether suite @1 (also known as @2, its name without the mode) is to run.
wanted() {
	local w
	[ -z "$SUITES" ] && return 0
	for w in $SUITES; do
		if [ "$w" = "$1" ] || [ "$w" = "${2:-}" ]; then
			matched="$matched$w "
			return 0
		fi
	done
	return 1
}

# Whether any suite whose name starts with @1 is to run (the skips
# without root: every such name counts as found).
wanted_any() {
	local w found=1
	[ -z "$SUITES" ] && return 0
	for w in $SUITES; do
		case "$w" in "$1"*)
			matched="$matched$w "
			found=0
			;;
		esac
	done
	return $found
}

LOG_DIR=$(mktemp -d /tmp/lbxdp-test.XXXXXX)

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
	local name=$1 rc t0=$SECONDS
	shift
	echo "# suite $name"
	"$@" >"$LOG_DIR/$name.out" 2>"$LOG_DIR/$name.err"
	rc=$?
	# Where make test's time goes (CI has 90 minutes on 2 cores).
	echo "# suite $name: $((SECONDS - t0)) s"
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
	wanted "unit-$(basename "$t")" || continue
	run_suite "unit-$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
done

# The checkers against servers on 127.0.0.1: no root needed.
if wanted checks; then
	if [ -x "$OUTPUT/tests/checks_test" ]; then
		run_suite checks env CMOCKA_MESSAGE_OUTPUT=TAP \
			"$OUTPUT/tests/checks_test"
	else
		echo "# suite checks"
		echo "not ok - checks: $OUTPUT/tests/checks_test not built"
		fail=$((fail + 1))
	fi
fi

if [ "$(id -u)" -ne 0 ]; then
	for s in bpf e2e; do
		wanted_any "$s" || continue
		echo "ok - $s # SKIP needs root"
		skip=$((skip + 1))
	done
else
	if wanted bpf; then
		run_suite bpf "$OUTPUT/tests/bpf_test"
	fi
	# A test that names "# e2e-modes: native generic" runs once in each,
	# with E2E_MODE set; the others choose their modes themselves.
	for t in tests/e2e/test_*.sh; do
		[ -f "$t" ] || continue
		name=e2e-$(basename "$t" .sh)
		modes=$(sed -n 's/^# e2e-modes: *//p' "$t")
		if [ -z "$modes" ]; then
			wanted "$name" || continue
			run_suite "$name" bash "$t"
			continue
		fi
		for m in $modes; do
			wanted "$name-$m" "$name" || continue
			run_suite "$name-$m" env E2E_MODE="$m" bash "$t"
		done
	done
fi

rm -rf "$LOG_DIR"
echo "$pass passed, $fail failed, $skip skipped"
for w in $SUITES; do
	case "$matched" in
	*" $w "*) ;;
	*)
		echo "Error: SUITES names '$w', which is no suite" >&2
		exit 2
		;;
	esac
done
if [ "$fail" -ne 0 ]; then
	exit 1
fi
if [ "$skip" -ne 0 ] && [ "${CI:-}" = true ]; then
	echo "CI: skipped suites count as failures" >&2
	exit 1
fi
exit 0
