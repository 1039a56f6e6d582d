#!/usr/bin/env bash
# many.sh: many short connections in a row (10,000 by default), Linux's TCP
# connecting to `synack serve --echo`: connect, 32 bytes there and back,
# close (Linux closes first and keeps the TIME-WAITs). Every one must
# succeed; the rate is printed.
source "$(dirname "$0")/lib.sh"
interop_init many python3

N=${SYNACK_INTEROP_CONNS:-10000}
start_serve "$WORK/echo.log" --echo --port 7 --count "$N" --stats
in_ns python3 - "$SYNACK_ADDR" "$N" <<'PY'
import socket, sys, time
addr, n = sys.argv[1], int(sys.argv[2])
msg = b"0123456789abcdef0123456789abcdef"
t0 = time.time()
for i in range(n):
    s = socket.create_connection((addr, 7), timeout=10)
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        b = s.recv(64)
        assert b, "connection %d: EOF after %d bytes" % (i, len(got))
        got += b
    assert got == msg, "connection %d: echo differs" % i
    s.close()
dt = time.time() - t0
print("%d short connections in %.2f s: %.0f connections/s" % (n, dt, n / dt))
PY
wait "$SERVE_PID" || fail "synack serve failed"
grep -q "$N connections served" "$WORK/echo.log" || fail "$(cat "$WORK/echo.log")"
tail -n 4 "$WORK/echo.log"
echo "PASS many"
