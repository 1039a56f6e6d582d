#!/bin/sh
# cli_sysctl.sh: `synack serve --sysctl NAME=VALUE` (tools/tunhost.c) checks
# names and values as scripts do, before touching any device: unknown names,
# out-of-range values, malformed values and fixed knobs are refused with
# exit status 2 and a sentence; a good one is taken (the run then fails only
# on the device, which the test names so that it cannot exist).
SYNACK=${1:?usage: cli_sysctl.sh SYNACK}
fail() { echo "FAIL: $*" >&2; exit 1; }

expect_refused() { # MESSAGE-PATTERN ARGS...
	pat=$1; shift
	out=$("$SYNACK" serve --dev synack-no-such-dev "$@" 2>&1); rc=$?
	[ $rc -eq 2 ] || fail "serve $*: exit $rc, expected 2 ($out)"
	echo "$out" | grep -q -- "$pat" || fail "serve $*: said '$out', expected /$pat/"
	echo "refused as expected: $*"
}

expect_refused "unknown sysctl" --sysctl net.ipv4.tcp_bogus=1
expect_refused "unknown sysctl" --sysctl net.ipv4.tcp_syncookies
expect_refused "out of range" --sysctl net.ipv4.tcp_syncookies=3
expect_refused "bad value" --sysctl net.ipv4.tcp_syncookies=2x
expect_refused "out of range" --sysctl "net.ipv4.ip_local_port_range=40000"
expect_refused "lo <= hi" --sysctl "net.ipv4.ip_local_port_range=40000 30000"
expect_refused "needs a value" --sysctl

out=$("$SYNACK" serve --dev synack-no-such-dev --sysctl net.ipv4.tcp_syncookies=2 \
	--sysctl "net.ipv4.ip_local_port_range=40000 40999" 2>&1)
echo "$out" | grep -qi "sysctl" && fail "good --sysctl values refused: $out"
echo "good values accepted (then: $(echo "$out" | head -n 1))"
echo "PASS cli_sysctl"
