/*
 * fuzz_api.c: libFuzzer target for socket API call sequences, end to end.
 *
 * Two stacks (10.0.0.1 and 10.0.0.2) on the simulator, over a link whose
 * impairments the input chooses. The input is a program: each byte pair is
 * one operation on one of a few sockets of either stack (open, bind,
 * listen, accept, connect, send, send_urgent, recv, shutdown, close, abort,
 * setopt) or a step of virtual time. Only the public API is used.
 *
 * Besides "no crash, no leak, no UB" (ASan/UBSan), it checks what the API
 * promises:
 *  - no state change outside RFC 9293's diagram (illegal_transitions == 0);
 *  - the per-state gauges equal what the connection table lists;
 *  - a deadline from poll is in the future or UINT64_MAX;
 *  - bytes: every send writes a stream that is a deterministic function of
 *    the count sent so far on that socket; whatever a connected peer reads
 *    must match that stream, in order, without gaps (TCP's whole promise);
 *  - after all sockets are closed and a day of virtual time passes, no
 *    connection is left on either stack.
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "synack/sim.h"
#include "synack/synack.h"

#define NSOCK 4 /* per stack */
#define SEC 1000000ull

struct side {
	synack_stack *st;
	int fd[NSOCK];
	uint64_t sent[NSOCK];  /* bytes accepted by send on this socket */
	uint64_t rcvd[NSOCK];  /* bytes read */
	uint32_t peer_tag[NSOCK]; /* identity of the stream being read (see tag) */
	uint32_t my_tag[NSOCK];   /* identity of the stream being written */
};

struct run {
	synack_sim *sim;
	struct side s[2];
};

/* The byte at offset i of the stream written by a socket whose local port
 * is `port` on host `host`: a reader checks what it reads against the
 * writer named by its peer's address. */
static uint8_t stream_byte(uint32_t tag, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull ^ tag;
	return (uint8_t)(x >> 56);
}

/* The harness's own per-byte loops (filling what is sent, checking what is
 * read) are kept out of the coverage instrumentation: traced, they cost a
 * third of each run and tell the fuzzer nothing about the stack. */
#define HARNESS_LOOP __attribute__((noinline, no_sanitize("coverage")))

static HARNESS_LOOP void stream_fill(uint8_t *buf, size_t len, uint32_t tag, uint64_t off)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = stream_byte(tag, off + i);
}

/* 1 if buf[0..len) is not the stream `tag` from offset off. */
static HARNESS_LOOP int stream_differs(const uint8_t *buf, size_t len, uint32_t tag, uint64_t off)
{
	int bad = 0;

	for (size_t i = 0; i < len; i++)
		bad |= buf[i] != stream_byte(tag, off + i);
	return bad;
}

static uint32_t tag_of(uint32_t addr, uint16_t port)
{
	return addr * 65537u ^ port;
}

static int count_cb(void *ctx, const struct synack_conn_info *ci)
{
	uint64_t *n = ctx;
	if ((unsigned)ci->state < SYNACK_NSTATES)
		n[ci->state]++;
	return 0;
}

static void check_stack(synack_stack *st)
{
	struct synack_counters c;
	uint64_t n[SYNACK_NSTATES] = {0};

	synack_stack_counters(st, &c);
	if (c.illegal_transitions)
		abort();
	synack_stack_foreach_conn(st, count_cb, n);
	for (int i = 1; i < SYNACK_NSTATES; i++)
		if (n[i] != c.in_state[i])
			abort();
	uint64_t d = synack_stack_next_deadline(st);
	if (d != UINT64_MAX && d < synack_stack_now(st))
		abort();
}

static void do_send(struct side *sd, int k, uint8_t arg, int urgent)
{
	uint8_t buf[4096];
	size_t len = (size_t)arg * 16 + 1;
	struct synack_endpoint me;

	if (synack_sock_local(sd->st, sd->fd[k], &me))
		return;
	uint32_t tag = tag_of(me.addr, me.port);
	if (tag != sd->my_tag[k]) { /* a new connection (connect may be retried) */
		sd->my_tag[k] = tag;
		sd->sent[k] = 0;
	}
	/* (the stream identity is the local address and port; reconnecting
	 * from the same port resets it in do_op) */
	stream_fill(buf, len, tag, sd->sent[k]);
	ssize_t r = urgent ? synack_sock_send_urgent(sd->st, sd->fd[k], buf, len)
			   : synack_sock_send(sd->st, sd->fd[k], buf, len);
	if (getenv("FUZZ_API_TRACE"))
		fprintf(stderr, "send fd %d port %u: %zd (had %llu)\n", sd->fd[k], me.port, r,
			(unsigned long long)sd->sent[k]);
	if (r > 0)
		sd->sent[k] += (uint64_t)r;
}

static void do_recv(struct side *sd, int k, uint8_t arg)
{
	uint8_t buf[4096];
	struct synack_endpoint peer;
	size_t len = (size_t)arg * 16 + 1;

	if (synack_sock_peer(sd->st, sd->fd[k], &peer))
		return;
	uint32_t tag = tag_of(peer.addr, peer.port);
	if (sd->rcvd[k] && tag != sd->peer_tag[k])
		abort(); /* the peer of a connection never changes */
	sd->peer_tag[k] = tag;
	ssize_t r = synack_sock_recv(sd->st, sd->fd[k], buf, len);
	if (getenv("FUZZ_API_TRACE"))
		fprintf(stderr, "recv fd %d from port %u: %zd (had %llu)\n", sd->fd[k], peer.port, r,
			(unsigned long long)sd->rcvd[k]);
	if (r > 0 && stream_differs(buf, (size_t)r, tag, sd->rcvd[k]))
		abort(); /* a byte lost, duplicated, reordered or corrupted */
	if (r > 0)
		sd->rcvd[k] += (uint64_t)r;
}

static void reset_slot(struct side *sd, int k, int fd)
{
	sd->fd[k] = fd;
	sd->sent[k] = sd->rcvd[k] = 0;
	sd->peer_tag[k] = 0;
	sd->my_tag[k] = 0;
}

static void do_op(struct run *r, uint8_t op, uint8_t arg)
{
	struct side *sd = &r->s[op & 1];
	int k = (op >> 1) & (NSOCK - 1);
	int fd = sd->fd[k];
	struct synack_endpoint ep = {0, (uint16_t)(80 + (arg & 3))};
	struct synack_endpoint peer = {(op & 1) ? 0x0a000001u : 0x0a000002u, ep.port};

	switch ((op >> 3) % 14) {
	case 0:
		if (fd < 0 || synack_sock_close(sd->st, fd) == 0)
			reset_slot(sd, k, synack_sock_open(sd->st));
		break;
	case 1:
		synack_sock_bind(sd->st, fd, &ep);
		break;
	case 2:
		synack_sock_listen(sd->st, fd, 1 + (arg & 7));
		break;
	case 3: {
		int nfd = synack_sock_accept(sd->st, fd, NULL);
		if (nfd >= 0) {
			int j = (k + 1 + (arg & 1)) & (NSOCK - 1);
			if (sd->fd[j] >= 0)
				synack_sock_close(sd->st, sd->fd[j]);
			reset_slot(sd, j, nfd);
		}
		break;
	}
	case 4:
		/* a connect that starts a new connection starts a new stream,
		 * even from the same bound port after a refused attempt */
		if (synack_sock_connect(sd->st, fd, &peer) == -EINPROGRESS) {
			sd->sent[k] = 0;
			sd->my_tag[k] = 0;
		}
		break;
	case 5:
	case 6:
		do_send(sd, k, arg, 0);
		break;
	case 7:
	case 8:
		do_recv(sd, k, arg);
		break;
	case 9:
		synack_sock_shutdown(sd->st, fd, arg % 3);
		break;
	case 10:
		synack_sock_setopt(sd->st, fd, (enum synack_opt)(1 + arg % 12), (int)(arg >> 4) - 1);
		break;
	case 11:
		if (synack_sock_abort(sd->st, fd) == 0)
			reset_slot(sd, k, synack_sock_open(sd->st));
		break;
	case 12:
		do_send(sd, k, arg, 1);
		break;
	default:
		synack_sim_run_until(r->sim, synack_sim_now(r->sim) + (uint64_t)arg * arg * 100);
		break;
	}
}

static int setup(struct run *r, const uint8_t *data, size_t size)
{
	struct synack_impair_params link = {.delay_us = 1000};
	struct synack_config cfg;

	if (size >= 2) { /* the first two bytes choose the link's impairments */
		link.loss_ppm = (uint32_t)(data[0] & 15) * 10000;
		link.dup_ppm = (uint32_t)(data[0] >> 4) * 5000;
		link.reorder_ppm = (uint32_t)(data[1] & 15) * 10000;
		link.reorder_us = 3000;
		link.jitter_us = (uint32_t)(data[1] >> 4) * 200;
	}
	if (synack_sim_create(1, &r->sim))
		return -1;
	synack_sim_set_default_link(r->sim, &link);
	synack_config_default(&cfg);
	cfg.sndbuf = cfg.rcvbuf = 8192;
	cfg.max_sockets = 16;
	cfg.max_conns = 32;
	cfg.max_timewait = 8;
	cfg.msl_us = 2 * SEC;
	for (int h = 0; h < 2; h++) {
		cfg.addr = 0x0a000001u + (uint32_t)h;
		if (synack_sim_add_host(r->sim, &cfg, &r->s[h].st))
			return -1;
		for (int k = 0; k < NSOCK; k++)
			reset_slot(&r->s[h], k, synack_sock_open(r->s[h].st));
	}
	return 0;
}

static void teardown_check(struct run *r)
{
	for (int h = 0; h < 2; h++)
		for (int k = 0; k < NSOCK; k++)
			if (r->s[h].fd[k] >= 0)
				synack_sock_close(r->s[h].st, r->s[h].fd[k]);
	/* orphans finish or time out: R2, FIN-WAIT-2 and TIME-WAIT all end
	 * well within a day of virtual time */
	synack_sim_run_until(r->sim, synack_sim_now(r->sim) + 86400 * SEC);
	for (int h = 0; h < 2; h++) {
		uint64_t n[SYNACK_NSTATES] = {0};
		synack_stack_foreach_conn(r->s[h].st, count_cb, n);
		for (int i = 1; i < SYNACK_NSTATES; i++)
			if (n[i])
				abort(); /* a connection that never ends */
		check_stack(r->s[h].st);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	if (size > 4096 || setup(&r, data, size)) {
		if (r.sim)
			synack_sim_destroy(r.sim);
		return 0;
	}
	for (size_t i = 2; i + 1 < size; i += 2) {
		do_op(&r, data[i], data[i + 1]);
		synack_sim_run_until(r.sim, synack_sim_now(r.sim) + 100);
		check_stack(r.s[0].st);
		check_stack(r.s[1].st);
	}
	teardown_check(&r);
	synack_sim_destroy(r.sim);
	return 0;
}
