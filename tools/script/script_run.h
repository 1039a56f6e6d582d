/*
 * script_run.h: the interpreter's state, shared by script_run.c (virtual
 * clock, segments in and out) and script_sys.c (system calls, sysctls,
 * asserts). Private to tools/script.
 *
 * The stack under test is 192.168.0.1 and the scripted peer 192.0.2.1, as in
 * packetdrill; neither exists outside this process. Script file descriptors
 * start at 3 like a fresh process's and map to synack sockets. One
 * connection is "the socket under test": the 4-tuple of every scripted
 * segment, the socket %{ assert }% reads.
 *
 * Sequence numbers as packetdrill maps them: inbound SEG.SEQ is the peer's
 * own number, written as is; our numbers (outbound SEG.SEQ, inbound SEG.ACK
 * and SACK edges) are relative to our ISN, learnt from each SYN we send.
 * Our timestamp values are mapped the same way through the first TS val we
 * send.
 */
#ifndef SYNACK_TOOLS_SCRIPT_RUN_H
#define SYNACK_TOOLS_SCRIPT_RUN_H

#include "script.h"

#define SC_LOCAL_ADDR 0xc0a80001u  /* 192.168.0.1 */
#define SC_REMOTE_ADDR 0xc0000201u /* 192.0.2.1 */
#define SC_LOCAL_PORT 8080         /* bind(fd, ..., ...) */
#define SC_REMOTE_PORT 40000       /* the peer's port */
#define SC_FD_BASE 3
#define SC_MAX_FDS 64
#define SC_OUTQ 128

struct sc_outpkt {
	uint8_t buf[2048];
	size_t len;
	int64_t t;                 /* when the stack sent it */
};

struct sc_fd {
	int in_use;
	int sock;                  /* synack descriptor */
	int nonblock;              /* O_NONBLOCK */
	int connecting;            /* a blocking connect is waiting for the handshake */
};

/* A blocking call that has not returned yet (packetdrill runs it in its own
 * thread; here it is retried whenever the stack may have changed). */
struct sc_pending {
	int active;
	const struct sc_event *ev;
	int64_t start, end;        /* when it began; when the script says it returns */
	int64_t deadline;          /* poll's timeout (INT64_MAX: none) */
	int64_t progress;          /* bytes a blocking write has queued so far */
};

struct sc_result {
	int64_t ret;
	int err;                   /* errno when ret == -1 */
};

struct sc_runner {
	const struct sc_script *sc;
	const struct sc_run_opts *o;
	FILE *out;
	struct synack_config cfg;
	synack_stack *st;
	int64_t now;
	int64_t last_time;         /* when the previous event happened */
	struct sc_outpkt q[SC_OUTQ];
	int qhead, qn, qlost;
	struct sc_fd fds[SC_MAX_FDS];
	int sut;                   /* script fd of the socket under test, -1 none */
	uint16_t lport, rport;
	int have_lport;
	uint32_t isn_off;          /* live = script + isn_off for our sequence numbers */
	int have_isn;
	uint32_t ts_off;
	int have_ts;
	struct sc_pending pend;
	int failed;
	int events_run;
};

/* Reports a failure at ev (NULL: the script as a whole), printing the
 * script line and the message; marks the run failed. Later calls are
 * ignored so the first failure is the one reported. */
void sc_fail(struct sc_runner *r, const struct sc_event *ev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Further "  label: text" lines under the last failure. */
void sc_fail_detail(struct sc_runner *r, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int64_t sc_tolerance(const struct sc_runner *r, int64_t gap);

/* script_sys.c */
int sc_ensure_stack(struct sc_runner *r, const struct sc_event *ev);
/* Runs a syscall event starting at start (the script's return time end). */
void sc_syscall_begin(struct sc_runner *r, const struct sc_event *ev, int64_t start, int64_t end);
/* Retries the blocked call; finishes it if it can return now. */
void sc_pending_retry(struct sc_runner *r);
void sc_sysctl_run(struct sc_runner *r, const struct sc_event *ev);
void sc_assert_run(struct sc_runner *r, const struct sc_event *ev);

#endif
