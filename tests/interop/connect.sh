#!/usr/bin/env bash
# connect.sh: `synack connect` as the client of Linux programs over TUN:
# an HTTP GET from python's http.server, and raw streams with `nc -l` both
# ways (synack sends its stdin; nc sends a file), each checked by SHA-256
# on both ends; then a connect to a closed port (RST -> ECONNREFUSED).
source "$(dirname "$0")/lib.sh"
interop_init connect python3 nc sha256sum

SIZE_MB=${SYNACK_INTEROP_MB:-10}
head -c $((SIZE_MB * 1000000)) /dev/urandom >"$WORK/big.bin"
want=$(sha "$WORK/big.bin")

# HTTP GET against python3 -m http.server
start_bg "$WORK/http.log" python3 -m http.server --bind "$KERNEL_ADDR" --directory "$WORK" 8000
HTTP_PID=$LAST_PID
for i in $(seq 50); do in_ns bash -c "echo >/dev/tcp/$KERNEL_ADDR/8000" 2>/dev/null && break; sleep 0.1; done
in_ns "$SYNACK" connect -q "http://$KERNEL_ADDR:8000/big.bin" -o "$WORK/got-http.bin"
[ "$(sha "$WORK/got-http.bin")" = "$want" ] || fail "GET from http.server: sha256 differs"
echo "synack connect GET from python http.server, ${SIZE_MB} MB: sha256 matches"
stop_pid "$HTTP_PID"

# synack -> nc: synack's stdin to nc's stdout
start_bg "$WORK/nc1.log" sh -c "exec nc -l -N $KERNEL_ADDR 9001 >$WORK/nc-got.bin"
NC_PID=$LAST_PID
wait_for_listen 9001
in_ns "$SYNACK" connect --sha256 "$KERNEL_ADDR" 9001 <"$WORK/big.bin" >/dev/null 2>"$WORK/c1.log"
wait "$NC_PID" || true
[ "$(sha "$WORK/nc-got.bin")" = "$want" ] || fail "synack -> nc: sha256 differs"
grep -q "sent $((SIZE_MB * 1000000)) bytes sha256 $want" "$WORK/c1.log" || fail "synack -> nc: $(cat "$WORK/c1.log")"
echo "synack connect -> nc -l, ${SIZE_MB} MB: sha256 matches on both ends"

# nc -> synack: nc's file to synack's stdout (-d: synack sends nothing and
# closes after nc's FIN, like nc -d)
start_bg "$WORK/nc2.log" sh -c "exec nc -l -N $KERNEL_ADDR 9002 <$WORK/big.bin"
NC_PID=$LAST_PID
wait_for_listen 9002
in_ns "$SYNACK" connect -d --sha256 "$KERNEL_ADDR" 9002 >"$WORK/got-nc.bin" 2>"$WORK/c2.log"
wait "$NC_PID" || true
[ "$(sha "$WORK/got-nc.bin")" = "$want" ] || fail "nc -> synack: sha256 differs"
grep -q "received $((SIZE_MB * 1000000)) bytes sha256 $want" "$WORK/c2.log" || fail "nc -> synack: $(cat "$WORK/c2.log")"
echo "nc -l -> synack connect, ${SIZE_MB} MB: sha256 matches on both ends"

# closed port: Linux answers the SYN with RST
if in_ns "$SYNACK" connect "$KERNEL_ADDR" 9 </dev/null >/dev/null 2>"$WORK/c3.log"; then
	fail "connect to a closed port succeeded"
fi
grep -q "10.9.0.1:9: Connection refused" "$WORK/c3.log" || fail "closed port: $(cat "$WORK/c3.log")"
echo "synack connect to a closed port: $(cat "$WORK/c3.log")"
echo "PASS connect"
