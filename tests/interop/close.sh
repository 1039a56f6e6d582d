#!/usr/bin/env bash
# close.sh: every way a connection between synack and Linux ends, with the
# Linux side's states read from `ss -tan`:
#   - synack closes first: Linux sits in CLOSE-WAIT, then LAST-ACK (synack
#     is stopped so the last ACK waits), then nothing;
#   - Linux closes first: TIME-WAIT on the Linux side (the active closer);
#   - both at once (50 ms of delay each way so the FINs cross): CLOSING,
#     then TIME-WAIT on the Linux side;
#   - half-close: Linux shuts its sending side, synack's echo still flows;
#   - close with unread data: synack sends RST (ECONNRESET on Linux);
#   - SO_LINGER 0: RST, and no TIME-WAIT anywhere on Linux;
#   - a connect to a port synack does not listen on: RST, ECONNREFUSED.
source "$(dirname "$0")/lib.sh"
interop_init close python3 ss

PEER="$(dirname "$0")/peer.py"
py() { in_ns python3 "$PEER" "$@"; }

# synack closes first (hold mode closes 300 ms after accepting)
start_serve "$WORK/hold.log" --hold --port 9 --hold-ms 300
py passive-close "$SYNACK_ADDR" 9 "$SERVE_PID"
stop_pid "$SERVE_PID"

# Linux closes first, and half-close, against the echo server
start_serve "$WORK/echo.log" --echo --port 7
py active-close "$SYNACK_ADDR" 7
py half-close "$SYNACK_ADDR" 7
py refused "$SYNACK_ADDR" 9999
stop_pid "$SERVE_PID"

# close with unread data: synack's close sends RST
start_serve "$WORK/unread.log" --hold --port 9 --hold-ms 300
py unread-rst "$SYNACK_ADDR" 9
stop_pid "$SERVE_PID"

# SO_LINGER 0 on synack's side
start_serve "$WORK/linger.log" --hold --port 9 --hold-ms 300 --linger0
py linger0 "$SYNACK_ADDR" 9
stop_pid "$SERVE_PID"

# both at once: 250 ms each way, both close 500 ms after the connection opens
start_serve "$WORK/both.log" --hold --port 9 --hold-ms 500 --impair delay=250ms
py simultaneous "$SYNACK_ADDR" 9
stop_pid "$SERVE_PID"
echo "PASS close"
