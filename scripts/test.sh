#!/usr/bin/env bash
# test.sh: synack's whole test suite, the README's second quick-start command.
#
#   scripts/test.sh            all four stages
#   scripts/test.sh --quick    stage (a) only
#
# Stages (each a separate build directory under the repo root):
#   (a) build/       gcc, RelWithDebInfo: ctest -LE fuzz (this includes the
#                    interop tests with Linux over TUN, label interop; they
#                    skip with a message without root, /dev/net/tun or netns)
#   (b) build-asan/  clang, ASan+UBSan (SYNACK_SANITIZE=ON): ctest -LE 'fuzz|interop'
#   (c) build-fuzz/  clang, ASan+UBSan+libFuzzer (SYNACK_FUZZ=ON): ctest -L fuzz
#                    (each fuzz target runs a fixed, short number of iterations)
#   (d) build-lint/  cppcheck and clang-tidy (.clang-tidy) over src, tools,
#                    adapters and examples, every finding an error (scripts/lint.sh)
# Stops at the first failure; always ends with one summary line per stage.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

quick=0
for arg in "$@"; do
	case "$arg" in
	--quick) quick=1 ;;
	-h | --help)
		sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "test.sh: unknown argument '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done

STAGES=(a b c d)
declare -A DESC=(
	[a]="gcc RelWithDebInfo, unit + sim + interop tests (build/)"
	[b]="clang ASan+UBSan, unit + sim tests (build-asan/)"
	[c]="clang ASan+UBSan libFuzzer, short fuzz runs (build-fuzz/)"
	[d]="static analysis: cppcheck + clang-tidy (build-lint/)"
)
declare -A RESULT=([a]="not run" [b]="not run" [c]="not run" [d]="not run")
if [ $quick -eq 1 ]; then
	RESULT[b]="skipped (--quick)"
	RESULT[c]="skipped (--quick)"
	RESULT[d]="skipped (--quick)"
fi
current=""
start_all=$SECONDS

summary() {
	local rc=$?
	if [ -n "$current" ]; then
		RESULT[$current]="FAILED (exit $rc)"
	fi
	if [ "$current" = deps ]; then
		echo "test.sh: scripts/deps.sh failed; nothing was built" >&2
	fi
	echo
	echo "==================== synack test summary ===================="
	for s in "${STAGES[@]}"; do
		printf 'stage (%s) %-58s %s\n' "$s" "${DESC[$s]}" "${RESULT[$s]}"
	done
	if [ $rc -eq 0 ]; then
		echo "ALL PASSED$([ $quick -eq 1 ] && echo " (quick: stage (a) only)") ($((SECONDS - start_all))s)"
	else
		echo "FAILED in ${DESC[$current]:-$current}: see the output above"
	fi
}
trap summary EXIT

banner() {
	echo
	echo "=============================================================="
	echo "== stage ($1): ${DESC[$1]}"
	echo "=============================================================="
}

# configure DIR COMPILER CMAKE_ARGS...: (re)configure DIR with Ninja and the
# given compiler. A cache made with another generator or compiler (say, a hand
# build with Makefiles) cannot be reused, so it is dropped first.
configure() {
	local dir=$1 cc=$2
	shift 2
	local cc_path
	cc_path="$(command -v "$cc")"
	if [ -f "$dir/CMakeCache.txt" ]; then
		if ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt" ||
			! grep -q "^CMAKE_C_COMPILER:[A-Z]*=$cc_path\$" "$dir/CMakeCache.txt"; then
			echo "test.sh: $dir was configured differently; starting it afresh"
			rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
		fi
	fi
	cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER="$cc_path" "$@"
}

run_stage() {
	local s=$1
	local t0=$SECONDS
	current=$s
	banner "$s"
	"stage_$s"
	current=""
	RESULT[$s]="passed ($((SECONDS - t0))s)"
}

stage_a() {
	configure build gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build
	(cd build && ctest --output-on-failure --no-tests=error -j2 -LE fuzz)
}

sanitizer_env() {
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
}

stage_b() {
	sanitizer_env
	configure build-asan clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNACK_SANITIZE=ON
	cmake --build build-asan
	(cd build-asan && ctest --output-on-failure --no-tests=error -j2 -LE 'fuzz|interop')
}

stage_c() {
	sanitizer_env
	configure build-fuzz clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNACK_SANITIZE=ON \
		-DSYNACK_FUZZ=ON
	cmake --build build-fuzz
	(cd build-fuzz && ctest --output-on-failure --no-tests=error -L fuzz)
}

stage_d() {
	bash scripts/lint.sh
}

current=deps
DESC[deps]="the dependency check (scripts/deps.sh)"
echo "== checking build dependencies (scripts/deps.sh)"
bash scripts/deps.sh
current=""

run_stage a
if [ $quick -eq 0 ]; then
	run_stage b
	run_stage c
	run_stage d
fi
