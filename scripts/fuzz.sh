#!/usr/bin/env bash
# fuzz.sh: a long fuzzing campaign (not part of the test suite, which runs
# each target for a short fixed number of inputs).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]        each target for SECONDS (default 600),
#                                               one after the other, on all cores (-fork)
#   scripts/fuzz.sh --runs N [TARGET...]        each target for exactly N executions, one
#                                               process per target, as many at once as cores
#
# TARGET is a name like fuzz_input (default: every fuzz/fuzz_*.c). Each runs on
# a scratch copy of its committed corpus in build-fuzz/fuzz-campaign/<name>/
# (kept between campaigns, so a later one goes on from where the last left
# off); crash reproducers land in build-fuzz/fuzz-crashes/. Save a reproducer
# into fuzz/corpus/<name>/ once the bug is fixed, so the test suite replays it
# for ever. Prints each target's executions, coverage and exit status; exits
# non-zero if any target found something.
#
# Builds (clang, ASan+UBSan, libFuzzer):
#   build-fuzz/        every target, with libFuzzer's default instrumentation
#   build-fuzz-nocmp/  the targets in NOCMP below, without comparison tracing
#                      (-fno-sanitize-coverage=trace-cmp). fuzz_api's input is
#                      a program of socket calls; the stack compares sequence
#                      numbers and times that the input never contains, so the
#                      comparison hooks (about 40% of its time) only feed the
#                      mutator values it cannot use. Without them it runs about
#                      twice as many inputs per second, with the same edge
#                      coverage guidance and the same sanitizers.
# ASan keeps 8 MiB of freed memory in quarantine (default 256 MiB): each
# input frees a few hundred KiB, so a use after free within an input is still
# caught, and the page faults of cycling 256 MiB (a third of the time of
# fuzz_api and fuzz_input) are gone.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

NOCMP=(fuzz_api)
runs=""
secs=600
case "${1:-}" in
-h | --help)
	sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
--runs)
	runs=${2:?--runs needs a number}
	shift 2
	;;
[0-9]*)
	secs=$1
	shift
	;;
esac
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
for t in "${targets[@]}"; do
	[ -f "fuzz/$t.c" ] || { echo "fuzz.sh: no target $t (fuzz/$t.c)" >&2; exit 2; }
done

bash scripts/deps.sh
build() { # DIR EXTRA_CFLAGS
	CC=clang cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DSYNACK_SANITIZE=ON -DSYNACK_FUZZ=ON -DCMAKE_C_FLAGS="$2" >/dev/null
}
build build-fuzz ""
cmake --build build-fuzz
is_nocmp() { printf '%s\n' "${NOCMP[@]}" | grep -qxF "$1"; }
for t in "${targets[@]}"; do
	if is_nocmp "$t"; then
		build build-fuzz-nocmp "-fno-sanitize-coverage=trace-cmp"
		cmake --build build-fuzz-nocmp --target "${NOCMP[@]}"
		break
	fi
done

binary() { # TARGET
	if is_nocmp "$1"; then echo "build-fuzz-nocmp/fuzz/$1"; else echo "build-fuzz/fuzz/$1"; fi
}

mkdir -p build-fuzz/fuzz-crashes build-fuzz/fuzz-campaign
export ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=8 UBSAN_OPTIONS=halt_on_error=1
echo "fuzz.sh: commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src include fuzz 2>/dev/null || echo ' (with uncommitted changes)')"

# prepare NAME: the campaign's corpus directory, seeded from the committed one.
prepare() {
	local work=build-fuzz/fuzz-campaign/$1
	mkdir -p "$work"
	[ -d "fuzz/corpus/$1" ] && cp -rn "fuzz/corpus/$1/." "$work/"
	echo "$work"
}

# summarise LOG: the last status line and the final stats of one run.
summarise() {
	{
		{ grep -E '^#[0-9]+: cov:' "$1" || true; } | tail -1 # -fork's last status line
		grep -E '#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|SUMMARY|ERROR|^rc=' "$1" || true
	} | sed 's/^/    /'
}

fail=0
if [ -z "$runs" ]; then
	for t in "${targets[@]}"; do
		name=${t#fuzz_}
		work=$(prepare "$name")
		echo "== $t: $secs s on $(nproc) cores"
		log=build-fuzz/fuzz-campaign/$name.log
		rc=0
		"$(binary "$t")" -max_total_time="$secs" -fork="$(nproc)" -ignore_crashes=1 \
			-artifact_prefix="build-fuzz/fuzz-crashes/$name-" -print_final_stats=1 "$work" \
			>"$log" 2>&1 || rc=$?
		echo "rc=$rc" >>"$log"
		summarise "$log"
		[ $rc -eq 0 ] || fail=1
	done
else
	# one process per target (its -runs counts executions exactly), at most
	# nproc at once
	pids=() names=()
	for t in "${targets[@]}"; do
		while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do sleep 5; done
		name=${t#fuzz_}
		work=$(prepare "$name")
		log=build-fuzz/fuzz-campaign/$name.log
		echo "== $t: $runs executions (log $log)"
		(
			rc=0
			"$(binary "$t")" -runs="$runs" -artifact_prefix="build-fuzz/fuzz-crashes/$name-" \
				-print_final_stats=1 "$work" >"$log" 2>&1 || rc=$?
			echo "rc=$rc" >>"$log"
			exit $rc
		) &
		pids+=($!) names+=("$name")
	done
	for i in "${!pids[@]}"; do
		rc=0
		wait "${pids[$i]}" || rc=$?
		echo "== fuzz_${names[$i]}: exit $rc"
		summarise "build-fuzz/fuzz-campaign/${names[$i]}.log"
		[ $rc -eq 0 ] || fail=1
	done
fi
echo "reproducers (if any): $(ls build-fuzz/fuzz-crashes | wc -l) in build-fuzz/fuzz-crashes/"
exit $fail
