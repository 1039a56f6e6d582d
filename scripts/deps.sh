#!/usr/bin/env bash
# deps.sh: make sure the Debian 12 packages that synack's build and test suite
# need are installed. Fast (no network, no apt) when everything is there;
# otherwise runs `apt-get update` once and installs only what is missing.
# Needs root only when something has to be installed.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

# package             why
#   cmake, ninja-build  the build (cmake -G Ninja)
#   gcc, libc6-dev      the default compiler and the C library headers
#                       (libc6-dev is only a Recommends of gcc, so name it)
#   clang               the sanitizer and fuzz builds
#   libclang-rt-14-dev  libFuzzer and the ASan/UBSan runtimes for clang 14
#   valgrind            callgrind figures in bench/
#   python3             test and tool helpers
#   make                the odd hand build
#   iproute2            interop tests: ip netns, ip tuntap, ss, nstat
#   curl                interop tests: the HTTP client against synack serve
#   netcat-openbsd      interop tests: nc -l as synack connect's peer
#   tcpdump             interop tests: the packet capture, decoded with -vv
#   tshark              interop tests: Wireshark's dissectors check synack's own
#                       capture (--pcap) for malformed packets and bad checksums
#   iputils-ping        interop tests: ICMP echo to synack
#   cppcheck, clang-tidy  static analysis (scripts/lint.sh)
PACKAGES=(cmake ninja-build gcc libc6-dev clang libclang-rt-14-dev valgrind python3 make
	iproute2 curl netcat-openbsd tcpdump tshark iputils-ping cppcheck clang-tidy)
# Commands those packages must provide (catches a half-removed package).
COMMANDS=(cmake ninja gcc clang valgrind python3 make ip curl nc tcpdump tshark ping cppcheck clang-tidy)

installed() {
	# "ii" = wanted install, currently installed; dpkg -s alone also accepts
	# packages that were removed but left config files behind.
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | cut -c1-2)" = "ii" ]
}

missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done
for c in "${COMMANDS[@]}"; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "deps.sh: command '$c' not found although its package is installed" >&2
		missing+=("$c")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

# Command names that are not package names map to their package.
pkgs=()
for m in "${missing[@]}"; do
	case "$m" in
	ninja) pkgs+=(ninja-build) ;;
	ip) pkgs+=(iproute2) ;;
	nc) pkgs+=(netcat-openbsd) ;;
	ping) pkgs+=(iputils-ping) ;;
	*) pkgs+=("$m") ;;
	esac
done
# De-duplicate, keep order.
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | awk '!seen[$0]++')

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing Debian packages: ${pkgs[*]}" >&2
	echo "deps.sh: run as root (or: sudo apt-get install ${pkgs[*]})" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps.sh: missing packages (${pkgs[*]}) and no apt-get: this script targets Debian 12" >&2
	exit 1
fi

echo "deps.sh: installing ${pkgs[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" </dev/null >/dev/null
for p in "${PACKAGES[@]}"; do
	if ! installed "$p"; then
		echo "deps.sh: $p still not installed after apt-get install" >&2
		exit 1
	fi
done
echo "deps.sh: done"
