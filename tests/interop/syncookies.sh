#!/usr/bin/env bash
# syncookies.sh: the Linux kernel's TCP against `synack serve` answering every
# SYN with a SYN cookie (net.ipv4.tcp_syncookies=2, RFC 4987 §3.6). Linux
# offers timestamps, window scaling and SACK; synack's cookie carries the
# last two in TSval (src/tcp/syncookie.h), so the connections rebuilt from
# the cookie must keep them: the Linux side's `ss -ti` shows ts, sack and
# wscale, and multi-megabyte transfers in both directions (which need scaled
# windows) arrive intact without a retransmission.
source "$(dirname "$0")/lib.sh"
interop_init syncookies curl python3 sha256sum

SIZE_MB=${SYNACK_INTEROP_COOKIE_MB:-4}
mkdir "$WORK/root"
head -c $((SIZE_MB * 1000000)) /dev/urandom >"$WORK/root/big.bin"
want=$(sha "$WORK/root/big.bin")
start_serve "$WORK/serve.log" --root "$WORK/root" --stats \
	--sysctl net.ipv4.tcp_syncookies=2 --sysctl net.ipv4.tcp_sack=1 \
	--sysctl net.synack.rcvbuf=1048576

# what Linux negotiated with a cookie SYN,ACK: struct tcp_info's
# tcpi_options (byte 5) and tcpi_snd_wscale (low nibble of byte 6)
in_ns python3 - "$SYNACK_ADDR" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], 80), timeout=10)
info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
opts, snd_wscale = info[5], info[6] & 15
names = [n for b, n in ((1, "timestamps"), (2, "sack"), (4, "wscale")) if opts & b]
print("Linux's TCP_INFO for a cookie connection: %s, synack's shift %d" % (" ".join(names), snd_wscale))
assert opts & 7 == 7, "options %#x: expected timestamps, sack and wscale" % opts
assert snd_wscale == 5, "synack's window scale should be 5 for a 1 MiB buffer, Linux saw %d" % snd_wscale
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
reply = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    reply += d
assert b"hello from synack" in reply, reply
PY

in_ns curl -sS -m 120 -o "$WORK/got.bin" "http://$SYNACK_ADDR/big.bin"
[ "$(sha "$WORK/got.bin")" = "$want" ] || fail "download through a cookie connection: sha256 differs"
echo "curl GET ${SIZE_MB} MB over a cookie connection: sha256 matches"
up=$(in_ns curl -sS -m 120 --data-binary @"$WORK/root/big.bin" "http://$SYNACK_ADDR/upload")
[ "$up" = "sha256 $want bytes $((SIZE_MB * 1000000))" ] || fail "upload: server said '$up'"
echo "curl POST ${SIZE_MB} MB over a cookie connection: server's sha256 matches"

stop_pid "$SERVE_PID"
nstat=$(grep '^nstat:' "$WORK/serve.log")
echo "$nstat"
recv=$(echo "$nstat" | grep -o 'TcpExtSyncookiesRecv [0-9]*' | awk '{print $2}')
[ "${recv:-0}" -ge 3 ] || fail "expected at least 3 cookie handshakes, got '${recv:-0}'"
echo "$nstat" | grep -q 'TcpExtSyncookiesFailed' && fail "a genuine cookie failed validation"
# A window scale misread on either side makes synack send beyond Linux's
# window again and again: retransmissions by the hundred. A few are not a
# fault: on this shared machine Linux's ACK (sent from softirq context, which
# may be deferred to ksoftirqd under load) can come after synack's tail loss
# probe timer (RFC 8985) has fired.
counter() { echo "$nstat" | { grep -o "$1 [0-9]*" || true; } | awk '{print $2}'; }
out=$(counter TcpOutSegs) retrans=$(counter TcpRetransSegs)
[ "${retrans:-0}" -eq 0 ] || echo "note: $retrans of ${out:-0} segments retransmitted (probes: $(counter TcpExtTCPLossProbes))"
[ $((${retrans:-0} * 100)) -le "${out:-0}" ] ||
	fail "${retrans} of ${out} segments retransmitted on a clean link (window scaling wrong?)"
grep -q "illegal" "$WORK/serve.log" && fail "illegal transitions"
echo "PASS syncookies"
