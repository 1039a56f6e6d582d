/*
 * sim_bulk.h: one host (10.0.0.1) sends LEN bytes to another (10.0.0.2)
 * over the simulator through the public API, every byte checked, with the
 * sender's cwnd sampled (time-weighted integral and peak) on the way.
 * Shared by tests/sim/test_sim_cc.c and test_sim_ecn.c, which set up the
 * link and the knobs (sim_pair.h) and drive step() with synack_sim_run().
 */
#ifndef SYNACK_TESTS_SIM_BULK_H
#define SYNACK_TESTS_SIM_BULK_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "sim_pair.h"

#define RTT_US 60000ull
#define BUF (1024u * 1024)
#define LEN (4u * 1024 * 1024)

struct run {
	synack_sim *sim;
	synack_stack *st[2];
	int sock[2], lsock;
	size_t sent, got;
	int error;
	uint64_t last_t, cwnd_time; /* integral of cwnd over time, bytes*µs */
	uint32_t max_cwnd;
	struct synack_tcp_info info;
};

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 31 + (i >> 11));
}

static void pump(struct run *r)
{
	int err = sim_send_pattern(r->st[0], r->sock[0], LEN, &r->sent, pattern);

	if (!err)
		err = sim_recv_check(r->st[1], r->sock[1], &r->got, pattern);
	if (err)
		r->error = err;
}

static void sample(struct run *r)
{
	uint64_t now = synack_sim_now(r->sim);
	if (synack_sock_info(r->st[0], r->sock[0], &r->info))
		return;
	r->cwnd_time += (uint64_t)r->info.cwnd * (now - r->last_t);
	r->last_t = now;
	if (r->info.cwnd > r->max_cwnd)
		r->max_cwnd = r->info.cwnd;
}

static int step(void *ctx)
{
	struct run *r = ctx;

	if (r->error)
		return 1;
	if (r->sock[1] < 0) {
		r->sock[1] = synack_sock_accept(r->st[1], r->lsock, NULL);
		if (r->sock[1] < 0)
			return 0;
	}
	if (!(synack_sock_events(r->st[0], r->sock[0]) & SYNACK_EV_OUT))
		return 0;
	sample(r);
	pump(r);
	return r->got == LEN;

#endif
