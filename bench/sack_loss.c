/*
 * sack_loss.c: SACK (RFC 2018 with RFC 6675 loss recovery) against NewReno
 * (RFC 6582) under loss, in the network simulator's virtual time.
 *
 * For each loss rate, each seed runs one bulk transfer twice from the same
 * simulator seed: tcp_sack on both hosts, then off on both. Reno congestion
 * control both times, so only loss recovery differs. The link has a fixed
 * one-way delay and loses datagrams independently at the given rate, both
 * ways (data and ACKs). Figures per loss rate, summed over the seeds:
 * payload bytes retransmitted (from the trace), retransmission timeouts,
 * and completion time in virtual time (connect to the last byte read). The
 * receiver checks every byte; a transfer that fails is an error (exit 1).
 * Figures, not pass/fail: docs/performance.md shows them.
 *
 *   sack_loss [--quick] [--bytes N] [--rtt-ms N] [--buf N] [--seeds N]
 *             [--loss P,P,...]   (percent)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/sim_pair.h" /* the two hosts and the byte pattern's loops, as test_sim_sack */
#include "bench.h"

#define MAX_LOSSES 16

struct opts {
	uint64_t bytes;
	uint32_t rtt_ms, buf, seeds;
	double loss[MAX_LOSSES];
	int nloss;
};

struct run {
	const struct opts *o;
	struct sim_flow f; /* the transfer (tests/sim_pair.h) */
	uint64_t rexmit_bytes;
};

/* What one loss rate and one recovery add up to over the seeds. */
struct tally {
	uint64_t rexmit_bytes, timeouts, us;
};

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 131 + (i >> 9));
}

static void on_trace(void *ctx, const struct synack_trace_event *ev)
{
	struct run *r = ctx;

	if (ev->kind == SYNACK_TRACE_SEG_OUT && ev->seg.retransmit)
		r->rexmit_bytes += ev->seg.len;
}

static int setup(struct run *r, uint64_t seed, double loss, int sack)
{
	struct synack_impair_params link = {.delay_us = r->o->rtt_ms * 500u,
					    .loss_ppm = (uint32_t)(loss * 10000.0 + 0.5)};
	struct synack_config cfg;
	int err;

	synack_config_default(&cfg);
	cfg.sndbuf = cfg.rcvbuf = r->o->buf;
	cfg.tcp_sack = (uint8_t)sack;
	cfg.tcp_congestion_control = SYNACK_CC_RENO;
	if ((err = sim_pair_open(seed, &link, cfg, &r->f.sim, r->f.st, &r->f.lsock)))
		return err;
	synack_stack_set_trace(r->f.st[0], on_trace, r);
	return 0;
}

static int transfer(const struct opts *o, uint64_t seed, double loss, int sack, struct tally *t)
{
	struct run r = {.o = o,
			.f = {.sock = {-1, -1}, .lsock = -1, .len = (size_t)o->bytes, .pattern = pattern}};
	struct synack_counters c;
	uint64_t us = 0;
	int err = setup(&r, seed, loss, sack);

	if (!err)
		err = sim_flow_run(&r.f, 3600 * SEC, &us);
	t->us += us;
	if (!err) {
		synack_stack_counters(r.f.st[0], &c);
		t->rexmit_bytes += r.rexmit_bytes;
		t->timeouts += c.rto_timeouts;
	}
	if (r.f.sim)
		synack_sim_destroy(r.f.sim);
	return err;
}

static int parse_losses(struct opts *o, const char *s)
{
	o->nloss = 0;
	while (*s && o->nloss < MAX_LOSSES) {
		char *end;
		double v = strtod(s, &end);
		if (end == s || v < 0 || v >= 100)
			return -EINVAL;
		o->loss[o->nloss++] = v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -EINVAL;
	}
	return o->nloss ? 0 : -EINVAL;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sack_loss [--quick] [--bytes N] [--rtt-ms N] [--buf N] [--seeds N] "
		"[--loss P,P,...]\n\n"
		"Bulk transfers over the simulator with independent loss both ways (P percent),\n"
		"each seed once with SACK (RFC 6675 recovery) and once without (NewReno), Reno\n"
		"congestion control: retransmitted bytes, timeouts, completion time in virtual\n"
		"time. Defaults: 4 MiB, 60 ms RTT, 1 MiB buffers, 10 seeds, loss 0.5,1,2,5.\n"
		"--quick: 256 KiB, 2 seeds, loss 1,5 (the smoke test). Figures, not pass/fail.\n");
}

static void quick(void *dst)
{
	struct opts *o = dst;

	o->bytes = 256u << 10;
	o->seeds = 2;
	parse_losses(o, "1,5");
}

static int losses(const char *v, void *dst)
{
	return parse_losses(dst, v);
}

static int parse(struct opts *o, int argc, char **argv)
{
	*o = (struct opts){.bytes = 4u << 20, .rtt_ms = 60, .buf = 1u << 20, .seeds = 10};
	parse_losses(o, "0.5,1,2,5");
	const struct bench_optspec spec[] = {
		{"--quick", BENCH_OPT_CALL, o, quick, NULL},
		{"--bytes", BENCH_OPT_COUNT, &o->bytes, NULL, NULL},
		{"--rtt-ms", BENCH_OPT_U32, &o->rtt_ms, NULL, NULL},
		{"--buf", BENCH_OPT_U32, &o->buf, NULL, NULL},
		{"--seeds", BENCH_OPT_U32, &o->seeds, NULL, NULL},
		{"--loss", BENCH_OPT_STR, o, NULL, losses},
		{NULL, BENCH_OPT_FLAG, NULL, NULL, NULL},
	};
	bench_parse_opts(argc, argv, "sack_loss", spec, usage);
	return o->bytes && o->rtt_ms && o->buf && o->seeds ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	struct opts o;

	if (parse(&o, argc, argv)) {
		usage(stderr);
		return 2;
	}
	printf("sack_loss: %llu bytes per transfer, RTT %u ms, buffers %u, %u seeds, Reno\n",
	       (unsigned long long)o.bytes, o.rtt_ms, o.buf, o.seeds);
	printf("%6s  %-8s %14s %9s %12s\n", "loss", "recovery", "rexmit bytes", "timeouts",
	       "time (mean)");
	for (int l = 0; l < o.nloss; l++) {
		struct tally t[2] = {{0, 0, 0}, {0, 0, 0}}; /* [sack] */
		for (uint32_t s = 0; s < o.seeds; s++) {
			for (int sack = 1; sack >= 0; sack--) {
				int err = transfer(&o, 1000 + s, o.loss[l], sack, &t[sack]);
				if (err) {
					fprintf(stderr, "sack_loss: seed %u loss %.2f%% %s: %s\n", 1000 + s,
						o.loss[l], sack ? "SACK" : "NewReno", strerror(-err));
					return 1;
				}
			}
		}
		for (int sack = 1; sack >= 0; sack--) {
			const char *name = sack ? "SACK" : "NewReno";
			double mean_s = (double)t[sack].us / o.seeds / 1e6;
			printf("%5.1f%%  %-8s %14llu %9llu %10.2f s\n", o.loss[l], name,
			       (unsigned long long)t[sack].rexmit_bytes,
			       (unsigned long long)t[sack].timeouts, mean_s);
			printf("result sack_loss_%g_%s_rexmit_bytes %llu bytes\n", o.loss[l], name,
			       (unsigned long long)t[sack].rexmit_bytes);
			printf("result sack_loss_%g_%s_time %.3f s\n", o.loss[l], name, mean_s);
		}
	}
	return 0;
}
