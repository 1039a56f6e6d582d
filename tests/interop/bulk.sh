#!/usr/bin/env bash
# bulk.sh: large transfers both ways between the Linux kernel's TCP (nc) and
# `synack connect` over TUN: SYNACK_INTEROP_BULK_MB (default 100) MB clean,
# then SYNACK_INTEROP_LOSSY_MB (default 100) MB through synack's seeded fault
# injector wrapped around the TUN link with 1% loss on both directions.
# Each transfer's SHA-256 is computed on both ends as the bytes go by:
# synack connect's --sha256 on synack's side, sha256sum on Linux's side
# (of the file nc sends, or of the stream nc receives). The throughput of
# every transfer is printed; its timing is not checked.
#
# Loss of 5%, reordering, duplication, delay and corruption run in
# impair.sh at a smaller size: at 5% loss synack's sender (no SACK blocks
# yet, every reordering a fast retransmit) moves well under 1 MB/s.
source "$(dirname "$0")/lib.sh"
interop_init bulk nc sha256sum

CLEAN_MB=${SYNACK_INTEROP_BULK_MB:-100}
LOSSY_MB=${SYNACK_INTEROP_LOSSY_MB:-100}
MAX_MB=$((CLEAN_MB > LOSSY_MB ? CLEAN_MB : LOSSY_MB))
head -c $((MAX_MB * 1000000)) /dev/urandom >"$WORK/big.bin"

rate() { # bytes, t0 ns, t1 ns
	awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%6.1f s %7.1f MB/s", (b - a) / 1e9, n / 1e6 / ((b - a) / 1e9) }'
}

# synack sends SIZE bytes to nc -l, which hands them to sha256sum.
to_linux() {
	local name=$1 mb=$2
	shift 2
	local n=$((mb * 1000000)) port=9101 t0 t1
	head -c "$n" "$WORK/big.bin" >"$WORK/src.bin"
	local want
	want=$(sha "$WORK/src.bin")
	start_bg "$WORK/nc-$name.log" sh -c "nc -l -d $KERNEL_ADDR $port | sha256sum >$WORK/linux-$name.sha"
	local nc_pid=$LAST_PID
	sleep 0.3
	t0=$(date +%s%N)
	in_ns "$SYNACK" connect --sha256 --stats "$@" "$KERNEL_ADDR" "$port" <"$WORK/src.bin" \
		>/dev/null 2>"$WORK/synack-$name.log" || fail "$name: synack connect failed: $(tail -n 3 "$WORK/synack-$name.log")"
	wait "$nc_pid" || true
	t1=$(date +%s%N)
	grep -q "sent $n bytes sha256 $want" "$WORK/synack-$name.log" ||
		fail "$name: synack's end: $(grep sent "$WORK/synack-$name.log")"
	[ "$(cut -d' ' -f1 "$WORK/linux-$name.sha")" = "$want" ] || fail "$name: Linux's end: sha256 differs"
	printf '%-8s synack -> Linux %4d MB %s  sha256 ok on both ends\n' "$name" "$mb" "$(rate "$n" "$t0" "$t1")"
}

# nc -l sends SIZE bytes from a file (its SHA-256 by sha256sum); synack
# connect -d reads until nc's FIN and hashes what it got.
from_linux() {
	local name=$1 mb=$2
	shift 2
	local n=$((mb * 1000000)) port=9102 t0 t1
	head -c "$n" "$WORK/big.bin" >"$WORK/src.bin"
	local want
	want=$(sha "$WORK/src.bin")
	start_bg "$WORK/nc-$name.log" sh -c "exec nc -l -N $KERNEL_ADDR $port <$WORK/src.bin"
	local nc_pid=$LAST_PID
	sleep 0.3
	t0=$(date +%s%N)
	in_ns "$SYNACK" connect -d --sha256 --stats -o /dev/null "$@" "$KERNEL_ADDR" "$port" \
		2>"$WORK/synack-$name.log" || fail "$name: synack connect failed: $(tail -n 3 "$WORK/synack-$name.log")"
	t1=$(date +%s%N)
	wait "$nc_pid" || true
	grep -q "received $n bytes sha256 $want" "$WORK/synack-$name.log" ||
		fail "$name: synack's end: $(grep received "$WORK/synack-$name.log")"
	printf '%-8s Linux -> synack %4d MB %s  sha256 ok on both ends\n' "$name" "$mb" "$(rate "$n" "$t0" "$t1")"
}

counters() { # what the fault injector did and what synack retransmitted
	grep -hE '^impair|^stack' "$WORK/synack-$1.log" | sed 's/^/    /'
}

to_linux clean "$CLEAN_MB"
from_linux clean "$CLEAN_MB"
to_linux loss1 "$LOSSY_MB" --impair loss=1% --seed 7
counters loss1
from_linux loss1 "$LOSSY_MB" --impair loss=1% --seed 7
counters loss1
echo "PASS bulk"
