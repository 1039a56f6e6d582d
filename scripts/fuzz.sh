#!/usr/bin/env bash
# fuzz.sh: a long fuzzing campaign (not part of the test suite, which runs
# each target for a short fixed number of inputs).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Builds build-fuzz/ (clang, ASan+UBSan, libFuzzer) and runs each target
# (default: every fuzz/fuzz_*.c) for SECONDS (default 600) on a scratch copy
# of its committed corpus, on all cores with -fork. Prints each target's
# executions and coverage; crash reproducers land in build-fuzz/fuzz-crashes/.
# Save a reproducer into fuzz/corpus/<name>/ once the bug is fixed, so the
# test suite replays it for ever.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

secs=${1:-600}
shift || true
bash scripts/deps.sh
CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DSYNACK_SANITIZE=ON -DSYNACK_FUZZ=ON >/dev/null
cmake --build build-fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
mkdir -p build-fuzz/fuzz-crashes
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1
for t in "${targets[@]}"; do
	name=${t#fuzz_}
	work=build-fuzz/fuzz-campaign/$name
	rm -rf "$work" && mkdir -p "$work"
	[ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$work/"
	echo "== $t: $secs s"
	"build-fuzz/fuzz/$t" -max_total_time="$secs" -fork="$(nproc)" -ignore_crashes=1 \
		-artifact_prefix="build-fuzz/fuzz-crashes/$name-" -print_final_stats=1 "$work" \
		2>&1 | grep -E 'DONE|cov:.*exec/s|stat::number_of_executed_units|crash|ERROR' | tail -4
done
echo "reproducers (if any): $(ls build-fuzz/fuzz-crashes | wc -l) in build-fuzz/fuzz-crashes/"
