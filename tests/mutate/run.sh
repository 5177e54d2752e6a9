#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# make mutate: for each mutation of tests/mutate/mutations (its format is
# described at its top), a copy of the tree with that one change is built
# and the suites the mutation names are run there (tests/run.sh with
# SUITES). The table at the end says which test caught each mutation: the
# first "not ok" line, or SURVIVED. The work tree is never written: every
# change is made to a copy (of the files git tracks or does not ignore, as
# they are now) under a temporary directory, removed on exit. As root, for
# the bpf and e2e suites. A mutation takes about a minute on 2 cores (the
# copy's build and its suites), so the whole list takes hours: MUTATIONS
# runs the ones a change concerns.
#
# Exit status: 0 every mutation caught; 1 one survived, does not apply
# (its text is not found exactly once), does not build, makes a program
# the verifier refuses (NO LOAD: no test of its guard ran), or the list
# is bad; 2 the unmutated copy does not build or fails the suites named.
#
#   MUTATIONS='id ...'   run only these mutations
#   MUTATE_TIMEOUT=S     seconds a mutation's suites may take (default 900;
#                        a run that hangs past it counts as caught)
#   MUTATE_KEEP=1        keep the temporary directory (logs), say where
#   MUTATE_LIST=FILE     another list (default tests/mutate/mutations)
#   run.sh --check       only check that the list is well formed and that
#                        every mutation applies (no build, no suite)
set -u
cd "$(dirname "$0")/../.." || exit 2
LIST=${MUTATE_LIST:-tests/mutate/mutations}
TIMEOUT=${MUTATE_TIMEOUT:-900}
ONLY=${MUTATIONS:-}

TMP=$(mktemp -d /tmp/lbxdp-mutate.XXXXXX) || exit 2
# The copies have no .git: the tests that build an older commit read this
# repository's (tests/e2e/lib.sh e2e_git).
LBXDP_GIT_ROOT=$PWD
export LBXDP_GIT_ROOT
child=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "$child" ]; then
		kill -TERM "$child" 2>/dev/null
		wait "$child" 2>/dev/null
	fi
	if [ "${MUTATE_KEEP:-}" = 1 ]; then
		echo "logs kept in $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '%s\n' "$*" >&2; }

# Run "$@" under timeout in the background, so that a signal to this script
# reaches it (timeout forwards it to the whole run) before the copy goes.
run_bounded() {
	timeout -k 10 "$TIMEOUT" "$@" &
	child=$!
	wait "$child"
	local rc=$?
	child=""
	return $rc
}

# --- the list ---

ids=() descs=() files=() froms=() tos=() suites=()
list_err=0

list_error() { # line, message
	say "Error: $LIST:$1: $2"
	list_err=1
}

valid_suite() {
	case "$1" in
	bpf | checks) return 0 ;;
	unit-test_*) [ -f "tests/unit/${1#unit-}.c" ] ;;
	e2e-test_*)
		local t=${1#e2e-}
		[ -f "tests/e2e/$t.sh" ] ||
			{ [ -f "tests/e2e/${t%-*}.sh" ] &&
				grep -q "^# e2e-modes:.*\<${t##*-}\>" "tests/e2e/${t%-*}.sh"; }
		;;
	*) return 1 ;;
	esac
}

# One record, when its block ends at line @1.
rec_id="" rec_desc="" rec_file="" rec_from="" rec_to="" rec_suites=""
rec_fields=" "
flush() {
	local f s i
	[ "$rec_fields" = " " ] && return
	for f in id desc file from to suites; do
		case "$rec_fields" in
		*" $f "*) ;;
		*) list_error "$1" "mutation '${rec_id:-?}' has no '$f:'" ;;
		esac
	done
	[ -n "$rec_from" ] || list_error "$1" "mutation '$rec_id': empty 'from:'"
	[ -f "$rec_file" ] || list_error "$1" "mutation '$rec_id': no file $rec_file"
	[ -n "$rec_suites" ] || list_error "$1" "mutation '$rec_id': no suites"
	for s in $rec_suites; do
		valid_suite "$s" ||
			list_error "$1" "mutation '$rec_id': '$s' is no suite (bpf, checks, unit-test_NAME, e2e-test_NAME[-MODE])"
	done
	for i in "${ids[@]}"; do
		[ "$i" = "$rec_id" ] && list_error "$1" "mutation id '$rec_id' used twice"
	done
	ids+=("$rec_id")
	descs+=("$rec_desc")
	files+=("$rec_file")
	froms+=("$rec_from")
	tos+=("$rec_to")
	suites+=("$rec_suites")
	rec_id="" rec_desc="" rec_file="" rec_from="" rec_to="" rec_suites=""
	rec_fields=" "
}

n=0
while IFS= read -r line || [ -n "$line" ]; do
	n=$((n + 1))
	case "$line" in
	"#"*) continue ;;
	"")
		flush "$n"
		continue
		;;
	esac
	key=${line%%:*}
	if [ "$key" = "$line" ]; then
		list_error "$n" "expected 'KEY: VALUE'"
		continue
	fi
	val=${line#*:}
	val=${val# }
	case "$rec_fields" in *" $key "*) list_error "$n" "'$key:' given twice" ;; esac
	rec_fields="$rec_fields$key "
	case "$key" in
	id) rec_id=$val ;;
	desc) rec_desc=$val ;;
	file) rec_file=$val ;;
	from) rec_from=$val ;;
	to) rec_to=$val ;;
	suites) rec_suites=$val ;;
	*) list_error "$n" "unknown key '$key'" ;;
	esac
done <"$LIST"
flush "$n"
[ "$list_err" = 0 ] || exit 1

sel=()
for i in "${!ids[@]}"; do
	if [ -n "$ONLY" ]; then
		case " $ONLY " in *" ${ids[$i]} "*) ;; *) continue ;; esac
	fi
	sel+=("$i")
done
for w in $ONLY; do
	case " ${ids[*]} " in
	*" $w "*) ;;
	*)
		say "Error: MUTATIONS names '$w', which is not in $LIST"
		exit 1
		;;
	esac
done

# Apply mutation @1 in the tree @2. Prints why not, and fails, if its text
# is not in its file exactly once. \n, \t and \\ in from/to are a newline,
# a tab and a backslash.
apply() {
	M_FROM=${froms[$1]} M_TO=${tos[$1]} perl -e '
		sub unesc {
			my $s = shift;
			$s =~ s/\\(n|t|\\)/$1 eq "n" ? "\n" : $1 eq "t" ? "\t" : "\\"/ge;
			return $s;
		}
		my ($path, $from, $to) = ($ARGV[0], unesc($ENV{M_FROM}),
					  unesc($ENV{M_TO}));
		open(my $in, "<", $path) or die "$path: $!\n";
		local $/;
		my $text = <$in>;
		close($in);
		my $count = () = $text =~ /\Q$from\E/g;
		if ($count != 1) {
			print "does not apply: its text occurs $count times in $ARGV[1]\n";
			exit 1;
		}
		$text =~ s/\Q$from\E/$to/;
		open(my $out, ">", $path) or die "$path: $!\n";
		print $out $text;
		close($out) or die "$path: $!\n";
	' "$2/${files[$1]}" "${files[$1]}"
}

if [ "${1:-}" = --check ]; then
	for i in "${sel[@]}"; do
		mkdir -p "$TMP/c/$(dirname "${files[$i]}")"
		cp "${files[$i]}" "$TMP/c/${files[$i]}"
		if ! why=$(apply "$i" "$TMP/c"); then
			say "${ids[$i]}: $why"
			list_err=1
		fi
	done
	[ "$list_err" = 0 ] && say "${#sel[@]} mutations, each applies"
	exit $list_err
fi

# --- the copies ---

# The tracked files and the untracked ones git does not ignore, as they
# are in the work tree now (changes not yet committed included).
BASE=$TMP/base
mkdir "$BASE" || exit 2
git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	done | xargs -0 cp -a --parents -t "$BASE" || exit 2

build() { # dir, log [suites]: everything, or what those suites run
	local t targets=()
	for t in ${3:-}; do
		case "$t" in
		bpf) targets+=(.output/tests/bpf_test) ;;
		checks) targets+=(.output/tests/checks_test) ;;
		unit-*) targets+=(".output/unit/${t#unit-}") ;;
		*) targets+=(all .output/tests/kt .output/tests/vrrp_probe) ;;
		esac
	done
	# A unit test compiles every pure source with the sanitizers: build
	# only the binaries a mutation's suites run, not all of them.
	[ ${#targets[@]} -gt 0 ] || targets=(all unit .output/tests/bpf_test
		.output/tests/kt .output/tests/checks_test
		.output/tests/vrrp_probe)
	make -C "$1" --no-print-directory "${targets[@]}" >"$2" 2>&1
}

# The first "not ok" line of a run's output @1, with its suite.
first_fail() {
	awk '/^# suite /{ s = $3 } /^not ok/{ print "[" s "] " $0; exit }' "$1"
}

all_suites=""
for i in "${sel[@]}"; do
	for s in ${suites[$i]}; do
		case " $all_suites " in *" $s "*) ;; *) all_suites="$all_suites $s" ;; esac
	done
done
# Without root the bpf and e2e suites skip: every mutation would survive.
case "$all_suites" in
*" bpf"* | *" e2e-"*)
	if [ "$(id -u)" -ne 0 ]; then
		say "Error: the bpf and e2e suites need root: run make mutate as root"
		exit 2
	fi
	;;
esac

say "mutate: building the unmutated copy in $BASE"
if ! build "$BASE" "$TMP/base-build.log"; then
	tail -20 "$TMP/base-build.log" >&2
	say "Error: the unmutated tree does not build"
	exit 2
fi
say "mutate: the unmutated copy against${all_suites}"
run_bounded env SUITES="$all_suites" OUTPUT=.output bash "$BASE/tests/run.sh" \
	>"$TMP/base-run.log" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
	# The failed assertions too: an unmutated run that fails once in
	# many needs them to be looked into.
	awk '/^(not )?ok /{ if (/^not ok/) { printf "%s", d; print; exit }
		d = "" } /^#   /{ d = d $0 "\n" }' "$TMP/base-run.log" >&2
	tail -5 "$TMP/base-run.log" >&2
	say "Error: the unmutated tree fails its suites (exit $rc): every mutation would look caught"
	exit 2
fi

results=() bys=()
bad=0
k=0
for i in "${sel[@]}"; do
	k=$((k + 1))
	id=${ids[$i]}
	dir=$TMP/m
	log=$TMP/$id
	say "mutate: [$k/${#sel[@]}] $id (${suites[$i]})"
	rm -rf "$dir"
	# Built objects come along, older than the mutated file: make
	# rebuilds only what depends on it.
	cp -a "$BASE" "$dir" || exit 2
	if ! why=$(apply "$i" "$dir"); then
		results+=("NOT APPLIED")
		bys+=("$why")
		bad=1
		continue
	fi
	if ! build "$dir" "$log.build" "${suites[$i]}"; then
		results+=("NO BUILD")
		bys+=("$(grep -m1 -E 'error|Error' "$log.build")")
		bad=1
		continue
	fi
	run_bounded env SUITES="${suites[$i]}" OUTPUT=.output \
		bash "$dir/tests/run.sh" >"$log.run" 2>&1
	rc=$?
	by=$(first_fail "$log.run")
	# A program the verifier refuses fails every bpf test at its set-up:
	# that proves no test of the guard, only the mutation's cost.
	if grep -q 'cannot load the XDP program' "$log.run"; then
		results+=("NO LOAD")
		bys+=("$(grep -m1 -E 'Too large|invalid|R[0-9]+ |unbounded|out of bounds' "$log.run")")
		bad=1
	elif [ "$rc" -eq 0 ]; then
		results+=("SURVIVED")
		bys+=("")
		bad=1
	elif [ -n "$by" ]; then
		results+=("CAUGHT")
		bys+=("$by")
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		results+=("CAUGHT")
		bys+=("(the suites hung: killed after ${TIMEOUT}s)")
	else
		results+=("CAUGHT")
		bys+=("(tests/run.sh exited $rc)")
	fi
	# As it goes, so that a run cut short still says what it found.
	say "mutate:   ${results[-1]} ${bys[-1]}"
	rm -rf "$dir"
done

caught=0
printf '\n%-24s %-11s %s\n' MUTATION RESULT "DESCRIPTION / CAUGHT BY"
for j in "${!sel[@]}"; do
	i=${sel[$j]}
	printf '%-24s %-11s %s\n' "${ids[$i]}" "${results[$j]}" "${descs[$i]}"
	[ -n "${bys[$j]}" ] && printf '%-36s %s\n' "" "${bys[$j]}"
	[ "${results[$j]}" = CAUGHT ] && caught=$((caught + 1))
done
printf '\n%d of %d mutations caught\n' "$caught" "${#sel[@]}"
exit $bad
