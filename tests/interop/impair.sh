#!/usr/bin/env bash
# impair.sh: bulk transfers both ways between curl (Linux's TCP) and
# `synack serve` through synack's own fault injector wrapped around the TUN
# link (the kernel here has no netem): loss 1% and 5%, reordering,
# duplication, delay with jitter, and corruption. Each scenario downloads
# and uploads SYNACK_INTEROP_IMPAIR_MB (default 4) MB; SHA-256 is checked on
# both ends. Corruption must be caught: the stacks' checksum drops count it
# (synack's drop counters; Linux's InCsumErrors) and the bytes still match.
# bulk.sh moves 100 MB each way at 1% and 5% loss and through reordering,
# duplication, delay and corruption together, with `synack connect` and nc;
# this test keeps each impairment on its own, over HTTP with `synack serve`.
source "$(dirname "$0")/lib.sh"
interop_init impair curl python3 sha256sum nstat

SIZE_MB=${SYNACK_INTEROP_IMPAIR_MB:-4}
mkdir "$WORK/root"
head -c $((SIZE_MB * 1000000)) /dev/urandom >"$WORK/root/big.bin"
want=$(sha "$WORK/root/big.bin")

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

scenario() {
	local name=$1 spec=$2
	local log="$WORK/serve-$name.log" t0 t1
	start_serve "$log" --root "$WORK/root" --impair "$spec" --seed 7 --stats
	t0=$(date +%s%N)
	in_ns curl -sS -m 300 -o "$WORK/got.bin" "http://$SYNACK_ADDR/big.bin" ||
		fail "$name: download failed"
	[ "$(sha "$WORK/got.bin")" = "$want" ] || fail "$name: download sha256 differs"
	t1=$(date +%s%N)
	up=$(in_ns curl -sS -m 300 --data-binary @"$WORK/root/big.bin" "http://$SYNACK_ADDR/up") ||
		fail "$name: upload failed"
	[ "$up" = "sha256 $want bytes $((SIZE_MB * 1000000))" ] || fail "$name: upload: '$up'"
	stop_pid "$SERVE_PID"
	printf '%-9s %-40s down %5s s  up %5s s  sha256 ok both ways\n' "$name" "$spec" \
		"$(secs "$t0" "$t1")" "$(secs "$t1" "$(date +%s%N)")"
	grep -E '^impair|^drops' "$log" | sed 's/^/    /'
}

in_ns nstat -n >/dev/null
scenario loss1 "loss=1%"
scenario loss5 "loss=5%"
scenario reorder "reorder=5%,reorder_delay=3ms,delay=1ms"
scenario dup "dup=5%"
scenario delay "delay=10ms,jitter=2ms"
scenario corrupt "corrupt=1%"
grep -qE 'drops:.*(tcp_checksum|ip_checksum)' "$WORK/serve-corrupt.log" ||
	fail "corrupt: synack counted no checksum drop"
csum=$(in_ns nstat -az TcpInCsumErrors IpExtInCsumErrors | awk 'NR>1 {s += $2} END {print s+0}')
echo "corrupt: synack's checksum drops above; Linux's TcpInCsumErrors+IpInCsumErrors: $csum"
[ "$csum" -gt 0 ] || fail "corrupt: Linux counted no checksum error"
echo "PASS impair"
