#!/usr/bin/env bash
# ctl.sh: the control socket of a running `synack serve` (tools/ctl.c).
# curl makes HTTP requests that synack answers and closes first, so synack's
# side of each ends in TIME-WAIT; then, against the live stack:
#   - `synack ss --ctl` lists the listener and the TIME-WAIT entries with
#     their countdown (timer:(timewait,NNsec,0)), filters by state, and its
#     summary counts them;
#   - `synack stat --ctl` counts them (SynackTwEntered, SynackStateTIMEWAIT);
#   - a request the server does not know gets "error: " and exit status 1;
#   - after serve exits the socket file is gone.
# The socket lives in the test's work directory; the namespace is removed on
# exit, success or failure (lib.sh).
source "$(dirname "$0")/lib.sh"
interop_init ctl curl python3

CTL="$WORK/ctl.sock"
N=3
start_serve "$WORK/serve.log" --http --port 80 --ctl "$CTL"
wait_for_log "$WORK/serve.log" "control socket $CTL"
for i in $(seq 1 $N); do
	in_ns curl -s --max-time 5 -o /dev/null "http://$SYNACK_ADDR/" || fail "curl $i failed"
done

# the kernel's last ACK may still be on its way: up to 2 s for all N entries
tw=0
for i in $(seq 1 40); do
	"$SYNACK" ss --ctl "$CTL" >"$WORK/ss.out" || fail "synack ss --ctl failed"
	tw=$(grep -c '^TIME-WAIT ' "$WORK/ss.out" || true)
	[ "$tw" -eq $N ] && break
	sleep 0.05
done
cat "$WORK/ss.out"
[ "$tw" -eq $N ] || fail "expected $N TIME-WAIT rows, got $tw"
grep -q "^LISTEN .*0\.0\.0\.0:80 " "$WORK/ss.out" || fail "no listener row"
grep -q "^TIME-WAIT .*$SYNACK_ADDR:80 .*$KERNEL_ADDR:[0-9]* *timer:(timewait,[0-9]*sec,0)$" \
	"$WORK/ss.out" || fail "no TIME-WAIT row with a timewait countdown"
grep -q "^  TIME-WAIT *$N$" "$WORK/ss.out" || fail "summary does not count $N TIME-WAIT"

"$SYNACK" ss --ctl "$CTL" --state time-wait --no-header >"$WORK/tw.out" || fail "ss --state"
[ "$(grep -c '^TIME-WAIT ' "$WORK/tw.out")" -eq $N ] || fail "--state time-wait rows"
grep -q '^LISTEN' "$WORK/tw.out" && fail "--state time-wait printed the listener"

"$SYNACK" stat --ctl "$CTL" >"$WORK/stat.out" || fail "synack stat --ctl failed"
cat "$WORK/stat.out"
head -1 "$WORK/stat.out" | grep -q "^#synack serve $SYNACK_ADDR on tun0 (pid $SERVE_PID), stack time" ||
	fail "stat header"
grep -q "^SynackTwEntered  *$N$" "$WORK/stat.out" || fail "SynackTwEntered is not $N"
grep -q "^SynackStateTIMEWAIT  *$N$" "$WORK/stat.out" || fail "TIME-WAIT gauge is not $N"
grep -q "^TcpPassiveOpens  *$N$" "$WORK/stat.out" || fail "TcpPassiveOpens is not $N"

# an unknown request: "error: ..." from the server
python3 - "$CTL" >"$WORK/bad.out" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"bogus\n")
print(s.recv(4096).decode(), end="")
PY
grep -q '^error: bad request' "$WORK/bad.out" || fail "no error for a bad request: $(cat "$WORK/bad.out")"

stop_pid "$SERVE_PID"
[ ! -e "$CTL" ] || fail "the control socket file outlived serve"
"$SYNACK" ss --ctl "$CTL" 2>"$WORK/gone.err" && fail "ss --ctl worked without a server"
grep -q "cannot reach" "$WORK/gone.err" || fail "no message when the server is gone"
echo "PASS ctl"
