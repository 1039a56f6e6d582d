# lib.sh: what every interop test shares (sourced, not run).
#
# Topology, one network namespace per test, nothing outside it touched:
#
#   +------------------------- netns synack-<test>-<pid> --------------------------+
#   |  Linux TCP (curl, python3, nc, ss)      synack (serve / connect)             |
#   |        10.9.0.1/24  ==== tun0 (kernel side) ==== /dev/net/tun ==== 10.9.0.2  |
#   +-------------------------------------------------------------------------------+
#
# The kernel routes 10.9.0.0/24 into tun0; synack reads and writes the
# device's other end. Only addresses inside the namespace are used.
#
# Every test: `source lib.sh; interop_init NAME` (skips with exit 77 when
# root, /dev/net/tun or `ip netns` are missing), then `start_bg CMD...` for
# background processes (killed by PID on exit), `in_ns CMD...` to run inside
# the namespace. The EXIT trap kills what start_bg started (each in its own
# process group, so a pipeline's every process goes), then any process still
# inside the test's namespace (only the test put processes there), and
# deletes the namespace (and with it tun0), on success and on failure alike.
set -euo pipefail

SYNACK=${SYNACK:?SYNACK must name the synack binary}
KERNEL_ADDR=10.9.0.1
SYNACK_ADDR=10.9.0.2
NS=""
WORK=""
PIDS=()

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

cleanup() {
	local rc=$?
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && { kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; }
	done
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && wait "$p" 2>/dev/null || true
	done
	if [ -n "$NS" ]; then
		local left
		left=$(ip netns pids "$NS" 2>/dev/null || true)
		[ -n "$left" ] && kill $left 2>/dev/null || true
		ip netns del "$NS" 2>/dev/null || true
	fi
	if [ -n "$WORK" ]; then
		if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
			echo "--- logs in $WORK (kept after a failure) ---" >&2
			for f in "$WORK"/*.log; do
				[ -f "$f" ] && { echo "== $f" >&2; tail -n 20 "$f" >&2; }
			done
		else
			rm -rf "$WORK"
		fi
	fi
	exit $rc
}

# A test killed by SIGKILL (ctest's timeout) never runs its EXIT trap, so its
# namespace outlives it. Each test first deletes the namespaces that earlier
# tests left this way: named synack-<test>-<pid> as below, with no process
# <pid> any more (a running test's namespace is never touched), after ending
# the processes those tests had started inside them.
sweep_stale_namespaces() {
	local ns pid left
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^synack-[a-z0-9_-]+-[0-9]+$' || true); do
		pid=${ns##*-}
		kill -0 "$pid" 2>/dev/null && continue
		left=$(ip netns pids "$ns" 2>/dev/null || true)
		[ -n "$left" ] && kill $left 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null && echo "removed namespace $ns, left by a killed test" >&2
	done
	return 0
}

# interop_init NAME [COMMAND...]: check what the test needs, make the namespace.
interop_init() {
	local name=$1
	shift
	[ "$(id -u)" -eq 0 ] || skip "interop tests need root (network namespaces, TUN devices)"
	[ -c /dev/net/tun ] || skip "/dev/net/tun is missing (modprobe tun)"
	command -v ip >/dev/null || skip "ip (iproute2) is not installed"
	for c in "$@"; do
		command -v "$c" >/dev/null || fail "$c is not installed (scripts/deps.sh installs it)"
	done
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	WORK=$(mktemp -d /tmp/synack-interop-XXXXXX)
	sweep_stale_namespaces
	NS="synack-$name-$$"
	ip netns add "$NS" 2>"$WORK/netns.log" || { NS=""; skip "cannot create a network namespace: $(cat "$WORK/netns.log")"; }
	in_ns ip link set lo up
	in_ns ip tuntap add dev tun0 mode tun
	in_ns ip addr add "$KERNEL_ADDR/24" dev tun0
	in_ns ip link set tun0 up
}

in_ns() {
	ip netns exec "$NS" "$@"
}

# start_bg LOG CMD...: run CMD inside the namespace in the background, in a
# process group of its own (its PID is the group's id).
start_bg() {
	local log=$1
	shift
	setsid ip netns exec "$NS" "$@" >"$log" 2>&1 &
	PIDS+=($!)
	LAST_PID=$!
}

# stop_pid PID: end one process this test started (its process group), and
# reap it.
stop_pid() {
	kill -- "-$1" 2>/dev/null || kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# wait_for_log FILE PATTERN [SECONDS]
wait_for_log() {
	local i
	for i in $(seq 1 $((${3:-10} * 20))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "timed out waiting for '$2' in $1: $(tail -n 5 "$1" 2>/dev/null)"
}

# wait_for_listen PORT [SECONDS]: until a Linux socket in the namespace
# listens on PORT (a listener started in the background, e.g. nc -l), at
# most SECONDS (default 10): a fixed sleep is too short on a loaded machine.
wait_for_listen() {
	local i
	for i in $(seq 1 $((${2:-10} * 20))); do
		[ -n "$(in_ns ss -Hltn "sport = :$1")" ] && return 0
		sleep 0.05
	done
	fail "timed out waiting for a listener on port $1"
}

# wait_for_closed PORT [SECONDS]: until Linux has no connection to or from
# PORT other than in TIME-WAIT (every FIN and last ACK exchanged), at most
# SECONDS (default 10).
wait_for_closed() {
	local i
	for i in $(seq 1 $((${2:-10} * 20))); do
		[ -z "$(in_ns ss -tanH "( sport = :$1 or dport = :$1 )" | awk '$1 != "TIME-WAIT"')" ] &&
			return 0
		sleep 0.05
	done
	fail "timed out waiting for the connections of port $1 to close: $(ss_states "$1")"
}

# start_serve LOG ARGS...: synack serve on tun0, waits until it listens.
start_serve() {
	local log=$1
	shift
	start_bg "$log" "$SYNACK" serve --dev tun0 --addr "$SYNACK_ADDR" "$@"
	SERVE_PID=$LAST_PID
	wait_for_log "$log" "listening on"
}

sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# ss_state PORT: the Linux side's states of connections to or from PORT.
ss_states() {
	in_ns ss -tanH "( sport = :$1 or dport = :$1 )" | awk '{print $1}' | sort | tr '\n' ' '
}
