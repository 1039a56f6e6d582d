#!/usr/bin/env python3
"""peer.py: the Linux side of the close tests (tests/interop/close.sh).

Each subcommand drives one scenario against a synack server with the
kernel's TCP and checks the Linux socket's states with `ss -tan`. Exit
status 0 on success; an AssertionError (and exit 1) says what differed.
"""
import os
import signal
import socket
import subprocess
import sys
import time


def ss_states(port):
    out = subprocess.run(["ss", "-tanH", "( sport = :%d or dport = :%d )" % (port, port)],
                         capture_output=True, text=True, check=True).stdout
    return sorted(line.split()[0] for line in out.splitlines() if line.strip())


def wait_state(port, state, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        if state in ss_states(port):
            return
        time.sleep(0.01)
    raise AssertionError("no %s on port %d: %s" % (state, port, ss_states(port)))


def connect(addr, port):
    return socket.create_connection((addr, port), timeout=10)


def passive_close(addr, port, synack_pid):
    """synack closes first: CLOSE-WAIT here; with synack stopped, our FIN
    waits for its ACK in LAST-ACK; once synack runs again, nothing."""
    s = connect(addr, port)
    assert s.recv(10) == b"", "expected EOF from synack's close"
    wait_state(port, "CLOSE-WAIT")
    print("synack closed first: Linux in", ss_states(port))
    os.kill(synack_pid, signal.SIGSTOP)
    try:
        s.close()
        wait_state(port, "LAST-ACK")
        print("Linux closed with synack stopped:", ss_states(port))
    finally:
        os.kill(synack_pid, signal.SIGCONT)
    end = time.time() + 5
    while ss_states(port) and time.time() < end:
        time.sleep(0.02)
    assert ss_states(port) == [], ss_states(port)
    print("after synack's ACK: no connection left on Linux")


def active_close(addr, port):
    s = connect(addr, port)
    s.sendall(b"ping")
    assert s.recv(10) == b"ping"
    s.close()
    wait_state(port, "TIME-WAIT")
    print("Linux closed first: Linux in", ss_states(port))


def half_close(addr, port):
    s = connect(addr, port)
    data = os.urandom(200000)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = bytearray()
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    assert bytes(got) == data, "echo after half-close differs (%d of %d bytes)" % (len(got), len(data))
    s.close()
    print("half-close: %d bytes echoed after Linux's FIN, then synack's FIN" % len(got))


def expect_reset(s):
    try:
        b = s.recv(10)
        raise AssertionError("expected a reset, got %r" % b)
    except ConnectionResetError:
        pass


def unread_rst(addr, port):
    s = connect(addr, port)
    s.sendall(b"x" * 100)  # synack never reads it
    expect_reset(s)
    assert "TIME-WAIT" not in ss_states(port) and "CLOSE-WAIT" not in ss_states(port)
    print("close with unread data: Linux got ECONNRESET")


def linger0(addr, port):
    s = connect(addr, port)
    expect_reset(s)
    s.close()
    assert ss_states(port) == [], ss_states(port)
    print("SO_LINGER 0: Linux got ECONNRESET, no state left")


def simultaneous(addr, port):
    s = connect(addr, port)
    t0 = time.time()
    # 250 ms each way: connect returns at 500 ms, synack accepts at 750 ms
    # and closes at 1250 ms, its FIN landing here at 1500 ms. Our FIN at
    # 1250 ms lands there at 1500 ms: each side is in FIN-WAIT-1 when the
    # other's FIN arrives, so both go through CLOSING (RFC 9293 Figure 13).
    # The FINs cross as long as the two closes are less than 250 ms apart,
    # which a loaded machine (or an ASan build) keeps; 50 ms did not.
    time.sleep(max(0.0, 0.75 - (time.time() - t0)))
    s.shutdown(socket.SHUT_WR)
    seen = set()
    end = time.time() + 3
    while time.time() < end:
        st = ss_states(port)
        seen.update(st)
        if st == ["TIME-WAIT"]:
            break
        time.sleep(0.005)
    s.close()
    assert "TIME-WAIT" in seen, seen
    assert "CLOSING" in seen, seen
    print("simultaneous close: Linux went through", sorted(seen))


def refused(addr, port):
    try:
        socket.create_connection((addr, port), timeout=5)
        raise AssertionError("connect to a closed synack port succeeded")
    except ConnectionRefusedError:
        print("connect to a closed synack port: ECONNREFUSED")


def main():
    cmd, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fns = {"passive-close": lambda: passive_close(addr, port, int(sys.argv[4])),
           "active-close": lambda: active_close(addr, port),
           "half-close": lambda: half_close(addr, port),
           "unread-rst": lambda: unread_rst(addr, port),
           "linger0": lambda: linger0(addr, port),
           "simultaneous": lambda: simultaneous(addr, port),
           "refused": lambda: refused(addr, port)}
    fns[cmd]()


if __name__ == "__main__":
    main()
