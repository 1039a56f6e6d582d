#!/usr/bin/env bash
# demo.sh: the README's first quick-start command. Installs what is missing,
# builds synack (Release, in build/) and runs the simulated demo:
#
#   scripts/demo.sh [demo options...]     -> build/synack demo [demo options...]
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/deps.sh

# build/ is shared with scripts/test.sh stage (a): same generator and compiler,
# so switching between the two only reconfigures the build type. A cache made
# another way (say, a hand build with Makefiles) cannot be reused.
cc_path="$(command -v gcc)"
if [ -f build/CMakeCache.txt ]; then
	if ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' build/CMakeCache.txt ||
		! grep -q "^CMAKE_C_COMPILER:[A-Z]*=$cc_path\$" build/CMakeCache.txt; then
		echo "demo.sh: build/ was configured differently; starting it afresh"
		rm -rf build/CMakeCache.txt build/CMakeFiles
	fi
fi

echo "== building synack (Release, build/)"
cmake -S . -B build -G Ninja -DCMAKE_C_COMPILER="$cc_path" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target synack_cli

echo "== build/synack demo $*"
exec build/synack demo "$@"
