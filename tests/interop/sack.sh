#!/usr/bin/env bash
# sack.sh: SACK with the Linux kernel's TCP (RFC 2018, RFC 2883, RFC 6675),
# through synack's fault injector dropping 5% of the segments both ways.
#
# With tcp_sack on (synack's default): Linux's TCP_INFO (tcpi_options, what
# `ss -ti` reads) says SACK on the connection, printed with ss -ti; a download (synack sends) recovers with synack's RFC 6675
# code from Linux's SACK blocks (synack's TcpExtTCPSackRecovery > 0); an
# upload (Linux sends) recovers with Linux's own SACK recovery from the
# blocks synack sends (Linux's TcpExtTCPSackRecovery > 0). SHA-256 is
# checked on both ends. The same transfers with tcp_sack=0 (NewReno on both
# sides) run for comparison; the times of both are printed.
source "$(dirname "$0")/lib.sh"
interop_init sack curl python3 sha256sum nstat ss

SIZE_MB=${SYNACK_INTEROP_SACK_MB:-4}
LOSS=${SYNACK_INTEROP_SACK_LOSS:-5%}
mkdir "$WORK/root"
head -c $((SIZE_MB * 1000000)) /dev/urandom >"$WORK/root/big.bin"
want=$(sha "$WORK/root/big.bin")

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
# counter NAME TEXT: the value of an nstat-style "NAME value" pair, 0 if absent
counter() { echo "$2" | awk -v n="$1" '{for (i = 1; i < NF; i++) if ($i == n) v = $(i + 1)} END {print v + 0}'; }
# Linux's counter NAME in this test's namespace: absolute (-a), so no nstat
# history file (shared between namespaces) is read or written
linux_counter() { in_ns nstat -asz "$1" | awk -v n="$1" '$1 == n {v = $2} END {print v + 0}'; }

# A POST whose connection Linux's ss -ti shows halfway through the body.
ss_upload() {
	in_ns python3 - "$SYNACK_ADDR" "$WORK/root/big.bin" "$want" <<'PY'
import socket, subprocess, sys
addr, path, want = sys.argv[1], sys.argv[2], sys.argv[3]
body = open(path, "rb").read()
s = socket.create_connection((addr, 80), timeout=120)
s.sendall(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
s.sendall(body[: len(body) // 2])
ss = subprocess.run(["ss", "-tiH", "dst", addr], capture_output=True, text=True).stdout
# tcpi_options (byte 5 of struct tcp_info): 1 timestamps, 2 SACK, 4 wscale;
# this ss prints sacked:/lost: counts (Reno emulates them) but not the options
opts = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)[5]
print("Linux's ss -ti mid-upload: " + " ".join(ss.split()))
print("Linux's tcpi_options: %#x" % opts)
s.sendall(body[len(body) // 2 :])
reply = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    reply += d
assert ("sha256 %s bytes %d" % (want, len(body))).encode() in reply, reply
print("sack" if opts & 2 else "nosack")
PY
}

run() {
	local sack=$1 log="$WORK/serve-$1.log" t0 t1 t2 out
	start_serve "$log" --root "$WORK/root" --impair "loss=$LOSS" --seed 11 --stats \
		--sysctl net.ipv4.tcp_sack="$sack"
	local rec0 rexmit0
	rec0=$(linux_counter TcpExtTCPSackRecovery)
	rexmit0=$(linux_counter TcpRetransSegs)
	t0=$(date +%s%N)
	in_ns curl -sS -m 300 -o "$WORK/got.bin" "http://$SYNACK_ADDR/big.bin" ||
		fail "tcp_sack=$sack: download failed"
	[ "$(sha "$WORK/got.bin")" = "$want" ] || fail "tcp_sack=$sack: download sha256 differs"
	t1=$(date +%s%N)
	out=$(ss_upload) || fail "tcp_sack=$sack: upload failed"
	t2=$(date +%s%N)
	echo "$out" | head -n 2
	[ "$(echo "$out" | tail -n 1)" = "$([ "$sack" = 1 ] && echo sack || echo nosack)" ] ||
		fail "tcp_sack=$sack: Linux's TCP_INFO says $(echo "$out" | tail -n 1)"
	local linux_rec linux_rexmit
	linux_rec=$(($(linux_counter TcpExtTCPSackRecovery) - rec0))
	linux_rexmit=$(($(linux_counter TcpRetransSegs) - rexmit0))
	stop_pid "$SERVE_PID"
	local nst ours
	nst=$(grep '^nstat:' "$log")
	ours=$(counter TcpExtTCPSackRecovery "$nst")
	printf 'tcp_sack=%s loss %s: download %5s s (synack: %s SACK recoveries, %s segments resent), upload %5s s (Linux: %s SACK recoveries, %s segments resent); sha256 ok both ways\n' \
		"$sack" "$LOSS" "$(secs "$t0" "$t1")" "$ours" "$(counter TcpRetransSegs "$nst")" \
		"$(secs "$t1" "$t2")" "${linux_rec:-0}" "${linux_rexmit:-0}"
	echo "    synack: D-SACK sent $(counter SynackDSACKSent "$nst"), received $(counter TcpExtTCPDSACKRecv "$nst"); blocks ignored $(counter TcpExtTCPSACKDiscard "$nst")"
	if [ "$sack" = 1 ]; then
		[ "$ours" -gt 0 ] || fail "synack never entered SACK recovery as the sender"
		[ "${linux_rec:-0}" -gt 0 ] || fail "Linux never used synack's SACK blocks to recover"
	else
		[ "$ours" = 0 ] || fail "SACK recovery without SACK"
		[ "${linux_rec:-0}" = 0 ] || fail "Linux used SACK recovery without SACK"
	fi
	grep -q "illegal" "$log" && fail "illegal transitions"
	return 0
}

run 1
run 0
echo "PASS sack"
