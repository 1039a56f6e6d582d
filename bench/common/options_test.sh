#!/bin/sh
# options_test.sh PROG [OPTION BADVALUE]: a benchmark's command line keeps the
# rules every one shares (bench_parse_opts in bench/common/util.c): --help
# prints the usage and exits 0; an unknown option, and OPTION with BADVALUE,
# exit 2 with a message that names it, never a run on a silently wrong value.
prog=$1
name=$(basename "$prog")
fail() { echo "FAIL $name: $*"; exit 1; }
"$prog" --help | grep -q '^usage:' || fail "--help prints no usage"
out=$("$prog" --no-such-option 2>&1 >/dev/null)
rc=$?
[ $rc -eq 2 ] || fail "an unknown option exits $rc, not 2"
printf '%s\n' "$out" | grep -q -- "--no-such-option" || fail "no message names the option: $out"
if [ $# -ge 3 ]; then
	out=$("$prog" "$2" "$3" 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq 2 ] || fail "$2 $3 exits $rc, not 2"
	printf '%s\n' "$out" | grep -q -- "$2" || fail "no message names $2: $out"
fi
echo "ok $name"
