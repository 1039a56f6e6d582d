#!/usr/bin/env bash
# pcap.sh: a packet capture of one run (an HTTP GET and POST through
# `synack serve`, and a ping answered by synack's ICMP echo) taken with tcpdump inside the namespace, then decoded
# again with `tcpdump -vv`, which verifies every IPv4 and TCP checksum and
# parses the TCP options: no "bad cksum", "incorrect" or malformed/
# truncated option may appear. The capture is kept when the test fails.
source "$(dirname "$0")/lib.sh"
interop_init pcap curl tcpdump ping

mkdir "$WORK/root"
head -c 300000 /dev/urandom >"$WORK/root/f.bin"
start_bg "$WORK/tcpdump.log" tcpdump -i tun0 -n -U -s 0 -w "$WORK/run.pcap"
TCPDUMP_PID=$LAST_PID
wait_for_log "$WORK/tcpdump.log" "listening on"
start_serve "$WORK/serve.log" --root "$WORK/root"
in_ns ping -c 2 -i 0.2 -W 2 "$SYNACK_ADDR" >"$WORK/ping.log" || fail "ping: $(cat "$WORK/ping.log")"
grep -E "packets transmitted" "$WORK/ping.log"
in_ns curl -sS -m 20 -o /dev/null "http://$SYNACK_ADDR/f.bin"
in_ns curl -sS -m 20 -o /dev/null --data-binary @"$WORK/root/f.bin" "http://$SYNACK_ADDR/up"
wait_for_closed 80
stop_pid "$SERVE_PID"
stop_pid "$TCPDUMP_PID"
tcpdump -vv -n -r "$WORK/run.pcap" >"$WORK/decoded.txt" 2>/dev/null
n=$(grep -c ' IP ' "$WORK/decoded.txt" || true)
syn=$(grep -c 'Flags \[S\.\]' "$WORK/decoded.txt" || true)
[ "$n" -gt 100 ] || fail "only $n packets captured"
[ "$syn" -ge 2 ] || fail "no SYN,ACK from synack in the capture"
if grep -Eni 'bad (tcp |udp |ip )?cksum|incorrect|malformed|truncated|invalid|\[\|tcp\]' "$WORK/decoded.txt" | head -5 >&2; then
	cp "$WORK/run.pcap" /tmp/synack-interop-bad.pcap
	fail "tcpdump -vv found bad checksums or malformed headers (capture: /tmp/synack-interop-bad.pcap)"
fi
echo "capture: $n packets, every IPv4 and TCP checksum correct, options well-formed:"
grep -m 3 'Flags \[S' "$WORK/decoded.txt" | sed 's/^/    /'
echo "PASS pcap"
