#!/usr/bin/env bash
# tshark.sh: synack's own capture (--pcap, the capture tap around the TUN
# link) of a run with Linux's TCP — a ping, an HTTP GET and POST of 300 kB
# through `synack serve`, and `synack connect` to nc -l both ways with
# half-closes — decoded by Wireshark's dissectors (tshark) with IPv4 and
# TCP checksum validation on: no malformed packet, no bad checksum, no
# expert message of severity error. Warnings and notes are printed (a full
# 64 KiB window is one), not failed. Skips (77) when tshark is missing:
# scripts/deps.sh installs it. The captures are kept when the test fails.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark is not installed (scripts/deps.sh installs it)"
interop_init tshark curl nc ping

mkdir "$WORK/root"
head -c 300000 /dev/urandom >"$WORK/root/f.bin"
SERVE_PCAP="$WORK/serve.pcap"
CONN_PCAP="$WORK/connect.pcap"

start_serve "$WORK/serve.log" --root "$WORK/root" --pcap "$SERVE_PCAP"
in_ns ping -c 2 -i 0.2 -W 2 "$SYNACK_ADDR" >"$WORK/ping.log" || fail "ping: $(cat "$WORK/ping.log")"
in_ns curl -sS -m 20 -o /dev/null "http://$SYNACK_ADDR/f.bin" || fail "GET failed"
in_ns curl -sS -m 20 -o /dev/null --data-binary @"$WORK/root/f.bin" "http://$SYNACK_ADDR/up" || fail "POST failed"
wait_for_closed 80
stop_pid "$SERVE_PID" # SIGTERM: serve exits, the capture is complete

start_bg "$WORK/nc.log" sh -c "exec nc -l -N $KERNEL_ADDR 9003 <$WORK/root/f.bin >$WORK/nc-got.bin"
NC_PID=$LAST_PID
wait_for_listen 9003
# nc -l quits as soon as the network side has sent FIN and its stdin buffer
# happens to be empty, even if its stdin has more to send (OpenBSD nc's
# "listen and net in gone" rule). So synack's stdin stays open, and its FIN
# waits, until it has received nc's whole file (at most 20 s).
feed_then_wait() {
	local i
	cat "$WORK/root/f.bin"
	for i in $(seq 1 400); do
		[ "$(stat -c %s "$WORK/connect-got.bin" 2>/dev/null || echo 0)" -ge 300000 ] && return 0
		sleep 0.05
	done
}
: >"$WORK/connect-got.bin"
feed_then_wait | in_ns "$SYNACK" connect --pcap "$CONN_PCAP" "$KERNEL_ADDR" 9003 \
	>"$WORK/connect-got.bin" 2>"$WORK/connect.log" || fail "connect: $(cat "$WORK/connect.log")"
wait "$NC_PID" || true
cmp -s "$WORK/nc-got.bin" "$WORK/root/f.bin" || fail "connect -> nc: bytes differ"
cmp -s "$WORK/connect-got.bin" "$WORK/root/f.bin" || fail "nc -> connect: bytes differ"

# One dissection per capture (tshark starts slowly): per packet, the IPv4,
# TCP and ICMP checksum status (0 bad, 1 good, 2 unverified; several values
# when an ICMP error quotes a datagram), the malformed marker and the expert
# severities (8388608 = error). Every checksum present must be verified
# good, not merely "not bad".
TSHARK_OPTS=(-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE)
check() { # name, file
	local name=$1 f=$2 n bad err
	tshark -r "$f" "${TSHARK_OPTS[@]}" -T fields -E separator='|' -e frame.number \
		-e ip.checksum.status -e tcp.checksum.status -e icmp.checksum.status -e _ws.malformed \
		-e _ws.expert.severity >"$WORK/$name.fields" 2>/dev/null || fail "$name: tshark cannot read $f"
	read -r n bad err < <(awk -F'|' '
		$2 != "" { ip++ }
		{ for (i = 2; i <= 4; i++) { k = split($i, v, ","); for (j = 1; j <= k; j++) if (v[j] != "1") { bad++; break } } }
		$5 != "" { bad++ }
		$6 ~ /8388608/ { err++ }
		END { print ip + 0, bad + 0, err + 0 }' "$WORK/$name.fields")
	[ "$n" -gt 50 ] || fail "$name: only $n IPv4 packets in the capture"
	tshark -r "$f" "${TSHARK_OPTS[@]}" -q -z expert 2>/dev/null |
		awk '/^(Errors|Warns|Notes)/ { on = 1 } /^Chats/ { on = 0 } on' | sed 's/^/    /'
	if [ "$bad" -ne 0 ] || [ "$err" -ne 0 ]; then
		cp "$f" "/tmp/synack-interop-tshark-$name.pcap"
		tshark -r "$f" "${TSHARK_OPTS[@]}" -Y '_ws.malformed || _ws.expert.severity == error' \
			2>/dev/null | head -5 >&2
		fail "$name: $bad packets malformed or with a checksum not verified good, $err with expert errors (capture: /tmp/synack-interop-tshark-$name.pcap)"
	fi
	echo "$name: $n packets, every IPv4/TCP/ICMP checksum verified good, no malformed packet, no expert error"
}
check serve "$SERVE_PCAP"
check connect "$CONN_PCAP"
synack_synack=$(tshark -r "$SERVE_PCAP" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 1' -T fields \
	-E separator=' ' -e tcp.options.mss_val -e tcp.options.wscale.shift -e tcp.options.timestamp.tsval \
	-e tcp.options.sack_perm 2>/dev/null | head -n 1)
echo "synack's SYN,ACK as tshark decodes it (MSS, window scale, TSval, SACK-permitted): $synack_synack"
echo "PASS tshark"
