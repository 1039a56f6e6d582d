#!/usr/bin/env bash
# bulk.sh: 100 MB transfers both ways between the Linux kernel's TCP (nc) and
# `synack connect` over TUN, clean and through synack's seeded fault injector
# wrapped around the TUN link (--impair: both directions, the same spec):
#
#   clean   no impairment (default 64 KiB buffers)
#   offload Linux -> synack, clean, with --offload (SYNACK_TUN_OFFLOAD): the
#           kernel's TSO super-segments arrive whole, so synack reads fewer
#           than a quarter of the datagrams 1448-byte segments would take
#   loss1   1% loss
#   loss5   5% loss
#   rough   reordering 2% (held back 3 ms), duplication 2%, delay 1 ms,
#           corruption 1% (no jitter: at these packet rates 1 ms of jitter
#           reorders nearly every datagram; impair.sh has a jitter scenario)
#
# SYNACK_INTEROP_BULK_MB (default 100) sets the size of every transfer.
# Linux's side uses the namespace's default congestion control (printed
# first; on a kernel that defaults to BBR, which does not back off on random
# loss, the Linux -> synack rates under loss are not comparable with
# synack's loss-based CUBIC); SYNACK_INTEROP_LINUX_CC=cubic (or reno) sets
# it on the route to synack (`ip route ... congctl`, which a namespace may
# set even where its tcp_allowed_congestion_control does not list it). The
# impaired runs give synack 4 MiB send and receive buffers, as an
# application moving bulk data sets SO_SNDBUF/SO_RCVBUF (Linux's own
# buffers autotune up to 4-6 MiB), with synack's default 200 ms floor for
# its retransmission timeout, as Linux's (SYNACK_INTEROP_RTO_MIN_US sets
# another, e.g. 20000; before RACK-TLP the 5% loss run to Linux needed that
# 20 ms floor: 885 timeouts and 200 s for 100 MB with the default). Each transfer's SHA-256 is computed on
# both ends as the bytes go by: synack connect's --sha256 on synack's side,
# sha256sum on Linux's side (of the file nc sends, or of the stream nc
# receives). Each impairment must show in the fault injector's counters in
# both directions (lost; dup, reordered, delayed, corrupted), and corruption
# must be caught by the checksums on both ends: synack's drop counters
# (tcp_checksum, ip_checksum) and Linux's TcpInCsumErrors + IpExtInCsumErrors,
# with the data intact. The time and throughput of every transfer are
# printed; they are not checked.
source "$(dirname "$0")/lib.sh"
interop_init bulk nc sha256sum nstat

MB=${SYNACK_INTEROP_BULK_MB:-100}
N=$((MB * 1000000))
BUFS=(--sysctl net.synack.sndbuf=4194304 --sysctl net.synack.rcvbuf=4194304)
if [ -n "${SYNACK_INTEROP_RTO_MIN_US:-}" ]; then
	BUFS+=(--sysctl "net.synack.rto_min_us=$SYNACK_INTEROP_RTO_MIN_US")
fi
ROUGH="reorder=2%,reorder_delay=3ms,delay=1ms,dup=2%,corrupt=1%"
head -c "$N" /dev/urandom >"$WORK/src.bin"
WANT=$(sha "$WORK/src.bin")
START=$(date +%s%N)

rate() { # bytes, t0 ns, t1 ns
	awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%6.1f s %7.1f MB/s", (b - a) / 1e9, n / 1e6 / ((b - a) / 1e9) }'
}

# synack sends the file to nc -l, which hands it to sha256sum.
to_linux() {
	local name=$1 port=9101 t0 t1
	shift
	start_bg "$WORK/nc-$name.log" sh -c "nc -l -d $KERNEL_ADDR $port | sha256sum >$WORK/linux-$name.sha"
	local nc_pid=$LAST_PID
	wait_for_listen $port
	t0=$(date +%s%N)
	in_ns "$SYNACK" connect --sha256 --stats "$@" "$KERNEL_ADDR" "$port" <"$WORK/src.bin" \
		>/dev/null 2>"$WORK/synack-$name-to.log" ||
		fail "$name: synack connect failed: $(tail -n 3 "$WORK/synack-$name-to.log")"
	wait "$nc_pid" || true
	t1=$(date +%s%N)
	grep -q "sent $N bytes sha256 $WANT" "$WORK/synack-$name-to.log" ||
		fail "$name: synack's end: $(grep sent "$WORK/synack-$name-to.log")"
	[ "$(cut -d' ' -f1 "$WORK/linux-$name.sha")" = "$WANT" ] || fail "$name: Linux's end: sha256 differs"
	printf '%-7s synack -> Linux %4d MB %s  sha256 ok on both ends\n' "$name" "$MB" "$(rate "$N" "$t0" "$t1")"
}

# nc -l sends the file; synack connect -d reads until nc's FIN and hashes it.
from_linux() {
	local name=$1 port=9102 t0 t1
	shift
	start_bg "$WORK/nc-$name.log" sh -c "exec nc -l -N $KERNEL_ADDR $port <$WORK/src.bin"
	local nc_pid=$LAST_PID
	wait_for_listen $port
	t0=$(date +%s%N)
	in_ns "$SYNACK" connect -d --sha256 --stats -o /dev/null "$@" "$KERNEL_ADDR" "$port" \
		2>"$WORK/synack-$name-from.log" ||
		fail "$name: synack connect failed: $(tail -n 3 "$WORK/synack-$name-from.log")"
	t1=$(date +%s%N)
	wait "$nc_pid" || true
	grep -q "received $N bytes sha256 $WANT" "$WORK/synack-$name-from.log" ||
		fail "$name: synack's end: $(grep received "$WORK/synack-$name-from.log")"
	printf '%-7s Linux -> synack %4d MB %s  sha256 ok on both ends\n' "$name" "$MB" "$(rate "$N" "$t0" "$t1")"
}

# impaired LOG FIELD...: print the injector's and the stack's counters, and
# check that each FIELD (lost, dup, reordered, delayed, corrupted) is
# non-zero in both directions.
impaired() {
	local log=$1 dir f v
	shift
	grep -hE '^impair|^stack|^drops' "$log" | sed 's/^/    /'
	for dir in rx tx; do
		for f in "$@"; do
			v=$(sed -n "s/^impair $dir:.* $f \([0-9]*\).*/\1/p" "$log")
			[ "${v:-0}" -gt 0 ] || fail "$log: the fault injector's $dir $f is ${v:-missing}"
		done
	done
}

csum_errors() { # Linux's checksum error counters in the namespace, summed
	in_ns nstat -az TcpInCsumErrors IpExtInCsumErrors | awk 'NR > 1 { s += $2 } END { print s + 0 }'
}

# corruption_caught LOG BEFORE: synack dropped corrupted datagrams on its
# checksums, and Linux counted checksum errors since BEFORE.
corruption_caught() {
	local now
	grep -qE '^drops:.*(tcp_checksum|ip_checksum) [1-9]' "$1" || fail "$1: synack counted no checksum drop"
	now=$(csum_errors)
	[ "$now" -gt "$2" ] || fail "$1: Linux counted no checksum error"
	echo "    Linux: TcpInCsumErrors + IpExtInCsumErrors $(($now - $2))"
}

# offloaded LOG: the link read super-segments (more than 4 segments' worth
# each on average) and the stack dropped none on its checksum.
offloaded() {
	local rx
	rx=$(sed -n 's/^link: rx \([0-9]*\).*/\1/p' "$1")
	echo "    link: $rx datagrams read for $N bytes"
	[ "${rx:-0}" -gt 0 ] && [ "$rx" -lt $((N / 1448 / 4)) ] || fail "$1: no super-segments ($rx datagrams)"
	! grep -qE '^drops:.*checksum' "$1" || fail "$1: checksum drops with offload"
}

if [ -n "${SYNACK_INTEROP_LINUX_CC:-}" ]; then
	in_ns ip route replace "${KERNEL_ADDR%.*}.0/24" dev tun0 src "$KERNEL_ADDR" congctl "$SYNACK_INTEROP_LINUX_CC" ||
		fail "congctl $SYNACK_INTEROP_LINUX_CC refused"
	echo "Linux congestion control: $SYNACK_INTEROP_LINUX_CC (route to synack)"
else
	echo "Linux congestion control: $(in_ns sysctl -n net.ipv4.tcp_congestion_control) (namespace default)"
fi
in_ns nstat -n >/dev/null
to_linux clean
from_linux clean
from_linux offload --offload
offloaded "$WORK/synack-offload-from.log"
out=$(in_ns "$SYNACK" connect --offload --impair loss=1% "$KERNEL_ADDR" 9 </dev/null 2>&1) &&
	fail "--offload with --impair was accepted"
grep -q "cannot be combined" <<<"$out" || fail "--offload with --impair: $out"
for loss in 1 5; do
	to_linux "loss$loss" --impair "loss=$loss%" --seed 7 "${BUFS[@]}"
	impaired "$WORK/synack-loss$loss-to.log" lost
	from_linux "loss$loss" --impair "loss=$loss%" --seed 7 "${BUFS[@]}"
	impaired "$WORK/synack-loss$loss-from.log" lost
done
echo "rough: $ROUGH"
for way in to from; do
	before=$(csum_errors)
	"${way}_linux" rough --impair "$ROUGH" --seed 7 "${BUFS[@]}"
	impaired "$WORK/synack-rough-$way.log" dup reordered delayed corrupted
	corruption_caught "$WORK/synack-rough-$way.log" "$before"
done
echo "PASS bulk ($(awk -v a="$START" -v b="$(date +%s%N)" 'BEGIN { printf "%.0f", (b - a) / 1e9 }') s)"
