/*
 * sim_pair.h: the two-host scaffolding of the simulation tests (and of
 * bench/sack_loss.c): host A (10.0.0.1, the client) and host B (10.0.0.2,
 * listening on PORT) on one seeded simulator whose every link is `link`,
 * and the loops that move a byte pattern through the public socket API,
 * checking every byte received; struct sim_flow runs one such transfer
 * from A to B to its end. Used by sim_bulk.h (test_sim_cc, test_sim_ecn),
 * test_sim_sack, test_sim_rack, test_sim_wscale, test_sim_ackwar and by
 * bench/sack_loss.c and bench/recovery.c.
 */
#ifndef SYNACK_TESTS_SIM_PAIR_H
#define SYNACK_TESTS_SIM_PAIR_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/sim.h"

#define A_ADDR 0x0a000001u
#define B_ADDR 0x0a000002u
#define PORT 5001
#define SEC 1000000ull

/* The simulator (seed; every link as *link), hosts A (st[0]) and B (st[1])
 * with cfg (its addr set here), and B's listener on PORT with a backlog of
 * 4 in *lsock. 0 or a negative errno. */
static inline int sim_pair_open(uint64_t seed, const struct synack_impair_params *link,
				struct synack_config cfg, synack_sim **sim, synack_stack *st[2],
				int *lsock)
{
	struct synack_endpoint any = {0, PORT};
	int err;

	if ((err = synack_sim_create(seed, sim)))
		return err;
	synack_sim_set_default_link(*sim, link);
	for (int i = 0; i < 2; i++) {
		cfg.addr = i ? B_ADDR : A_ADDR;
		if ((err = synack_sim_add_host(*sim, &cfg, &st[i])))
			return err;
	}
	*lsock = synack_sock_open(st[1]);
	if ((err = synack_sock_bind(st[1], *lsock, &any)) || (err = synack_sock_listen(st[1], *lsock, 4)))
		return err;
	return 0;
}

typedef uint8_t (*sim_pattern_fn)(size_t i);

/* Send pattern bytes [*sent, len) on socket s as far as its buffer takes
 * them, 16 KiB a call. 0, or the send's error. */
static inline int sim_send_pattern(synack_stack *st, int s, size_t len, size_t *sent,
				   sim_pattern_fn pattern)
{
	uint8_t buf[16384];

	while (*sent < len) {
		size_t k = len - *sent < sizeof(buf) ? len - *sent : sizeof(buf);
		for (size_t i = 0; i < k; i++)
			buf[i] = pattern(*sent + i);
		ssize_t n = synack_sock_send(st, s, buf, k);
		if (n == -EAGAIN)
			break;
		if (n <= 0)
			return (int)n;
		*sent += (size_t)n;
	}
	return 0;
}

/* Read everything socket s holds, each byte checked against the pattern
 * at its offset (*got counts them). 0; -EBADMSG after a byte that differs;
 * the recv's error, or -EPIPE at an early end of stream. */
static inline int sim_recv_check(synack_stack *st, int s, size_t *got, sim_pattern_fn pattern)
{
	uint8_t buf[16384];
	int err = 0;

	for (;;) {
		ssize_t n = synack_sock_recv(st, s, buf, sizeof(buf));
		if (n == -EAGAIN)
			return err;
		if (n <= 0)
			return n ? (int)n : -EPIPE;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(*got + (size_t)i))
				err = -EBADMSG;
		*got += (size_t)n;
	}
}

/* One transfer of len pattern bytes from A (sock[0], which connects) to B
 * (sock[1], accepted from lsock). Open it with sim_pair_open on
 * &sim, st, &lsock, with sock = {-1, -1}. */
struct sim_flow {
	synack_sim *sim;
	synack_stack *st[2];
	int sock[2], lsock;
	size_t len, sent, got;
	int error;
	sim_pattern_fn pattern;
};

/* A synack_sim_run step for a struct sim_flow: accept B's side once, send
 * what A's buffer takes, read and check all that B holds. 1 (stop) once
 * every byte arrived, or on an error (left in error). */
static inline int sim_flow_step(void *ctx)
{
	struct sim_flow *f = ctx;
	int err;

	if (f->error)
		return 1;
	if (f->sock[1] < 0) {
		f->sock[1] = synack_sock_accept(f->st[1], f->lsock, NULL);
		if (f->sock[1] < 0)
			return 0;
	}
	err = sim_send_pattern(f->st[0], f->sock[0], f->len, &f->sent, f->pattern);
	if (!err)
		err = sim_recv_check(f->st[1], f->sock[1], &f->got, f->pattern);
	f->error = err;
	return err || f->got == f->len;
}

/* Connect A to B and run the flow to its end, for at most limit_us of
 * virtual time. *us: from connect to the last byte read. 0, or a negative
 * errno (-ETIMEDOUT when the limit came first). */
static inline int sim_flow_run(struct sim_flow *f, uint64_t limit_us, uint64_t *us)
{
	struct synack_endpoint to = {B_ADDR, PORT};
	int err;

	f->sock[0] = synack_sock_open(f->st[0]);
	uint64_t t0 = synack_sim_now(f->sim);
	if ((err = synack_sock_connect(f->st[0], f->sock[0], &to)) != -EINPROGRESS)
		return err < 0 ? err : -EPROTO;
	if (!synack_sim_run(f->sim, sim_flow_step, f, limit_us) || f->error)
		return f->error ? f->error : -ETIMEDOUT;
	*us = synack_sim_now(f->sim) - t0;
	return 0;
}

#endif
