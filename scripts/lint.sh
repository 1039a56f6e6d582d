#!/usr/bin/env bash
# lint.sh: static analysis of the library and the CLI, part of scripts/test.sh.
#   cppcheck   warnings, performance and portability, as errors
#   clang-tidy the checks in .clang-tidy (clang-analyzer, bugprone), as errors
# Needs a compile_commands.json: configures build-lint/ for it (no build).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

echo "== cppcheck"
cppcheck -q --enable=warning,performance,portability --error-exitcode=1 --inline-suppr \
	--std=c11 -Iinclude -Isrc -Itools -Itools/script -Iadapters/packetdrill src tools examples adapters 2>&1

echo "== clang-tidy"
cmake -S . -B build-lint -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
files=$(ls src/*/*.c tools/*.c tools/script/*.c adapters/*/*.c examples/*.c)
# -P2: the machine has two cores; each file is independent.
echo "$files" | xargs -P2 -n4 clang-tidy -p build-lint --quiet 2>/dev/null
echo "lint: clean"
