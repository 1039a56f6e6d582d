#!/usr/bin/env bash
# bench.sh: run every benchmark and print one table, synack beside the Linux
# kernel (docs/performance.md). Figures, never pass/fail.
#
#   scripts/bench.sh [--build-dir DIR] [--quick] [--no-callgrind] [--log FILE]
#
#   --build-dir DIR  a configured build (default build-bench, Release, made if missing)
#   --quick          tiny sizes (seconds, not minutes); figures are noisy
#   --no-callgrind   skip the instruction counts (they need valgrind)
#   --log FILE       keep every benchmark's full output (default: a temp file)
#
# Also: `cmake --build DIR --target bench`. The kernel columns need root (the
# kernel benchmarks make their own network namespaces; kernel_tun also a TUN
# device in it); without it they read "-".
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-bench"
QUICK=()
CG=(--callgrind)
LOG=""
while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) BUILD="$(cd "$2" 2>/dev/null && pwd || echo "$2")"; shift 2 ;;
	--quick) QUICK=(--quick); shift ;;
	--no-callgrind) CG=(); shift ;;
	--log) LOG="$2"; shift 2 ;;
	-h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
if [ ${#CG[@]} -gt 0 ] && ! command -v valgrind >/dev/null; then
	echo "bench.sh: valgrind not found: no instruction counts" >&2
	CG=()
fi
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$BUILD" --target lifecycle bulk scale kernel kernel_tun >/dev/null
B="$BUILD/bench"
[ -n "$LOG" ] || LOG="$(mktemp /tmp/synack-bench.XXXXXX)"
: >"$LOG"

run() { # name, command...
	local name=$1
	shift
	echo "== $name: $*" | sed "s|$B/||" | tee -a "$LOG" >&2
	local rc=0
	"$@" >>"$LOG" 2>&1 || rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		echo "bench.sh: $name exited with $rc (see $LOG)" >&2
	fi
}

run lifecycle "$B/lifecycle" "${QUICK[@]}" "${CG[@]}"
run lifecycle-server-close "$B/lifecycle" --close server "${QUICK[@]}" "${CG[@]}"
run lifecycle-rst "$B/lifecycle" --close rst "${QUICK[@]}" "${CG[@]}"
run bulk "$B/bulk" "${QUICK[@]}" "${CG[@]}"
run bulk-mtu65535 "$B/bulk" --mtu 65535 "${QUICK[@]}"
run scale "$B/scale" "${QUICK[@]}"
run kernel "$B/kernel" "${QUICK[@]}"
run kernel_tun "$B/kernel_tun" "${QUICK[@]}"

# ---------------------------------------------------------------- the table
awk '
$1 == "result" { v[$2] = $3 }
function num(k) { return (k in v) ? v[k] : "" }
function fmt(k, f) { return (k in v) ? sprintf(f, v[k]) : "-" }
function ratio(a, b) { return (a in v && b in v && v[b] > 0) ? sprintf("%.1fx", v[a] / v[b]) : "-" }
function three(f) {
	return fmt("scale.1000." f, "%.0f") " / " fmt("scale.100000." f, "%.0f") " / " fmt("scale.1000000." f, "%.0f")
}
function row(what, syn, ker, rat, target) {
	printf "| %-52s | %16s | %14s | %8s | %-22s |\n", what, syn, ker, rat, target
}
END {
	printf "| %-52s | %16s | %14s | %8s | %-22s |\n", "figure", "synack", "Linux", "ratio", "target"
	printf "|%s|%s|%s|%s|%s|\n", "------------------------------------------------------", \
		"------------------:", "----------------:", "---------:", "------------------------"
	row("lifecycle, close by client: connections/s (1 core)", fmt("lifecycle.client.conns_per_sec", "%.0f"),
	    fmt("kernel.lifecycle.1cpu.conns_per_sec", "%.0f"),
	    ratio("lifecycle.client.conns_per_sec", "kernel.lifecycle.1cpu.conns_per_sec"), ">= 500000, >= 30x")
	row("  same, kernel on 2 cores", "", fmt("kernel.lifecycle.2cpu.conns_per_sec", "%.0f"),
	    ratio("lifecycle.client.conns_per_sec", "kernel.lifecycle.2cpu.conns_per_sec"), "")
	row("lifecycle, close by server: connections/s", fmt("lifecycle.server.conns_per_sec", "%.0f"), "", "", "")
	row("lifecycle, RST close: connections/s", fmt("lifecycle.rst.conns_per_sec", "%.0f"), "", "", "")
	row("lifecycle, close by client: CPU us per connection", fmt("lifecycle.client.cpu_us_per_conn", "%.2f"),
	    fmt("kernel.lifecycle.1cpu.cpu_us_per_conn", "%.2f"),
	    ratio("kernel.lifecycle.1cpu.cpu_us_per_conn", "lifecycle.client.cpu_us_per_conn"), "")
	row("lifecycle, close by client: instructions/connection", fmt("lifecycle.client.instructions_per_conn", "%.0f"), "", "", "")
	row("lifecycle, close by server: instructions/connection", fmt("lifecycle.server.instructions_per_conn", "%.0f"), "", "", "")
	row("lifecycle, RST close: instructions/connection", fmt("lifecycle.rst.instructions_per_conn", "%.0f"), "", "", "")
	row("lifecycle, close by client: peak RSS KiB", fmt("lifecycle.client.peak_rss", "%.0f"), "", "", "")
	row("bulk, MTU 1500: Gbit/s (1 core, checksums)", fmt("bulk.mtu1500.gbit_per_sec", "%.2f"),
	    fmt("kernel.bulk.1cpu.gbit_per_sec", "%.2f"),
	    ratio("bulk.mtu1500.gbit_per_sec", "kernel.bulk.1cpu.gbit_per_sec"), ">= 40")
	row("  same, Gbit/s per CPU second of the process", fmt("bulk.mtu1500.gbit_per_cpu_sec", "%.2f"), "", "", "")
	row("bulk, MTU 65535: Gbit/s", fmt("bulk.mtu65535.gbit_per_sec", "%.2f"),
	    fmt("kernel.bulk.1cpu.gbit_per_sec", "%.2f"),
	    ratio("bulk.mtu65535.gbit_per_sec", "kernel.bulk.1cpu.gbit_per_sec"), ">= 40")
	row("  kernel bulk on 2 cores", "", fmt("kernel.bulk.2cpu.gbit_per_sec", "%.2f"), "", "")
	row("instructions: send a data segment", fmt("bulk.instr_tx_per_data_seg", "%.0f"), "", "", "")
	row("instructions: receive a data segment (+ACKs sent)", fmt("bulk.instr_rx_per_data_seg", "%.0f"), "", "", "")
	row("instructions: receive a pure ACK", fmt("bulk.instr_per_ack", "%.0f"), "", "", "<= 400")
	row("instructions: per data segment, all phases", fmt("bulk.instr_per_data_seg", "%.0f"), "", "", "<= 400")
	row("TUN: bulk Linux -> synack, MB/s (Linux: over lo)", fmt("kernel_tun.bulk_to_synack.synack", "%.1f"),
	    fmt("kernel_tun.bulk_to_synack.linux_lo", "%.1f"), fmt("kernel_tun.bulk_to_synack.ratio", "%.2fx"), "")
	row("TUN: bulk synack -> Linux, MB/s (Linux: over lo)", fmt("kernel_tun.bulk_from_synack.synack", "%.1f"),
	    fmt("kernel_tun.bulk_from_synack.linux_lo", "%.1f"), fmt("kernel_tun.bulk_from_synack.ratio", "%.2fx"), "")
	row("TUN: connections/s, Linux client, 64 B each way", fmt("kernel_tun.conns.synack", "%.0f"),
	    fmt("kernel_tun.conns.linux_lo", "%.0f"), fmt("kernel_tun.conns.ratio", "%.2fx"), "")
	row("scale: TCB bytes", fmt("scale.tcb_bytes", "%.0f"), "", "", "")
	row("scale: bytes/connection without buffers", fmt("scale.conn_bytes_without_buffers", "%.0f"), "", "", "<= 512")
	row("scale: RSS bytes/connection at 1e6 (1 KiB buffers)", fmt("scale.1000000.rss_per_conn", "%.0f"), "", "", "<= 2147 (2 GiB)")
	row("scale: ns per segment at 1e3", fmt("scale.1000.ns_per_segment", "%.1f"), "", "", "")
	row("scale: ns per segment at 1e5", fmt("scale.100000.ns_per_segment", "%.1f"), "", "", "")
	row("scale: ns per segment at 1e6", fmt("scale.1000000.ns_per_segment", "%.1f"), "", "", "within 20% of 1e3")
	row("scale: CPU ns per segment, 1e3 / 1e5 / 1e6", three("cpu_ns_per_segment"), "", "", "")
	row("  same, batched (synack_stack_input_batch)", three("cpu_ns_per_segment_batched"), "", "", "")
	row("  same, batched, from driver buffers", three("cpu_ns_per_segment_driver_batched"), "", "",
	    "")
	row("  1e6 / 1e3 of that", ratio("scale.1000000.cpu_ns_per_segment_driver_batched",
	    "scale.1000.cpu_ns_per_segment_driver_batched"), "", "", "<= 1.2x (within 20%)")
	row("scale: ns per lookup at 1e3 / 1e5 / 1e6", fmt("scale.1000.ns_per_lookup", "%.1f") " / " \
	    fmt("scale.100000.ns_per_lookup", "%.1f") " / " fmt("scale.1000000.ns_per_lookup", "%.1f"), "", "", "")
}' "$LOG"
echo
echo "full output: $LOG"
