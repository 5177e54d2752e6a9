# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
# Shared by the shell benchmarks of make bench (tests/bench/*.sh), which
# each own one section of BENCHMARKS.md between markers.

# bench_stats VALUES...: "MIN MEDIAN MAX" of the integers (the lower median
# of an even count).
bench_stats() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
		print v[1], v[int((NR + 1) / 2)], v[NR] }'
}

# bench_splice FILE NAME SECTION: SECTION, from "<!-- NAME: begin" to
# "<!-- NAME: end -->", replaces FILE's section of that name, or is
# appended to FILE; the other sections stay as they are.
bench_splice() {
	if [ -f "$1" ] && grep -q "<!-- $2: begin" "$1"; then
		/usr/bin/python3 - "$@" <<'PY'
import re, sys
p, name, sec = sys.argv[1:4]
s = open(p).read()
n = re.escape(name)
s = re.sub(r"<!-- %s: begin.*?<!-- %s: end -->" % (n, n), lambda m: sec, s,
           flags=re.S)
open(p, "w").write(s)
PY
	else
		printf '\n%s\n' "$3" >>"$1"
	fi
}
