/*
 * recovery.c: loss detection under reordering and under loss, in the
 * network simulator's virtual time: RACK-TLP (RFC 8985: tcp_recovery 1,
 * tcp_early_retrans 3, the defaults) against RFC 6675's DupThresh without
 * tail loss probes (tcp_recovery 0, tcp_early_retrans 0), both with SACK,
 * D-SACK, Limited Transmit and the default congestion control (CUBIC).
 *
 * Each scenario runs each seed twice from the same simulator seed, once per
 * detector. The link has a fixed one-way delay both ways; "reorder" holds 5%
 * of datagrams back by an extra delay (so later ones overtake them), "loss"
 * drops 5% independently, both ways. Figures per scenario and detector,
 * summed over the seeds: segments retransmitted, spurious ones (segments the
 * receiver got twice: its D-SACKs), out-of-order segments the receiver had
 * to drop (past its out-of-order range or memory bounds: what it drops is
 * lost and must be resent, even with no loss on the link), retransmission timeouts, loss
 * probes, undone reductions, and the mean completion time (connect to the
 * last byte read). The receiver checks every byte; a failed transfer is an error
 * (exit 1). Figures, not pass/fail: docs/performance.md shows them.
 *
 *   recovery [--quick] [--bytes N] [--rtt-ms N] [--reorder-ms N] [--seeds N]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/sim_pair.h" /* the two hosts and the transfer, as test_sim_rack */
#include "bench.h"

#define PCT5 50000u /* 5% in ppm */

struct opts {
	uint64_t bytes;
	uint32_t rtt_ms, reorder_ms, seeds, buf;
};


struct tally {
	uint64_t rexmit, spurious, rcv_drops, timeouts, probes, undo, us;
};

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 131 + (i >> 9));
}

static int setup(struct sim_flow *f, const struct opts *o, uint64_t seed, int reorder, int rack)
{
	struct synack_impair_params link = {.delay_us = o->rtt_ms * 500u};
	struct synack_config cfg;

	if (reorder) {
		link.reorder_ppm = PCT5;
		link.reorder_us = o->reorder_ms * 1000u;
	} else {
		link.loss_ppm = PCT5;
	}
	synack_config_default(&cfg);
	cfg.sndbuf = cfg.rcvbuf = o->buf;
	cfg.tcp_recovery = (uint8_t)(rack ? 1 : 0);
	cfg.tcp_early_retrans = (uint8_t)(rack ? 3 : 0);
	return sim_pair_open(seed, &link, cfg, &f->sim, f->st, &f->lsock);
}

static int transfer(const struct opts *o, uint64_t seed, int reorder, int rack, struct tally *t)
{
	struct sim_flow f = {.sock = {-1, -1}, .lsock = -1, .len = (size_t)o->bytes, .pattern = pattern};
	struct synack_counters c, rc;
	uint64_t us = 0;
	int err = setup(&f, o, seed, reorder, rack);

	if (!err)
		err = sim_flow_run(&f, 3600 * SEC, &us);
	t->us += us;
	if (!err) {
		synack_stack_counters(f.st[0], &c);
		synack_stack_counters(f.st[1], &rc);
		t->rexmit += c.retrans_segs;
		t->spurious += rc.dsack_sent;
		t->rcv_drops += rc.drops[SYNACK_DROP_OOO_FULL] + rc.drops[SYNACK_DROP_OOO_MEM];
		t->timeouts += c.rto_timeouts;
		t->probes += c.loss_probes;
		t->undo += c.dsack_undo;
	}
	if (f.sim)
		synack_sim_destroy(f.sim);
	return err;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: recovery [--quick] [--bytes N] [--rtt-ms N] [--reorder-ms N] [--seeds N]\n\n"
		"Bulk transfers over the simulator under 5%% reordering (held back by\n"
		"--reorder-ms) and under 5%% loss both ways, each seed with RACK-TLP\n"
		"(tcp_recovery 1, tcp_early_retrans 3) and with RFC 6675 DupThresh and no\n"
		"probes (0, 0): retransmitted and spurious segments, timeouts, probes,\n"
		"undos, mean completion time in virtual time. Defaults: 4 MiB, 60 ms RTT,\n"
		"reordering by 10 ms, 1 MiB buffers, 10 seeds. --quick: 256 KiB, 2 seeds.\n"
		"Figures, not pass/fail.\n");
}

static void quick(void *dst)
{
	struct opts *o = dst;

	o->bytes = 256u << 10;
	o->seeds = 2;
}

static int parse(struct opts *o, int argc, char **argv)
{
	*o = (struct opts){.bytes = 4u << 20, .rtt_ms = 60, .reorder_ms = 10, .seeds = 10,
			   .buf = 1u << 20};
	const struct bench_optspec spec[] = {
		{"--quick", BENCH_OPT_CALL, o, quick, NULL},
		{"--bytes", BENCH_OPT_COUNT, &o->bytes, NULL, NULL},
		{"--rtt-ms", BENCH_OPT_U32, &o->rtt_ms, NULL, NULL},
		{"--reorder-ms", BENCH_OPT_U32, &o->reorder_ms, NULL, NULL},
		{"--seeds", BENCH_OPT_U32, &o->seeds, NULL, NULL},
		{NULL, BENCH_OPT_FLAG, NULL, NULL, NULL},
	};
	bench_parse_opts(argc, argv, "recovery", spec, usage);
	return o->bytes && o->rtt_ms && o->seeds ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	static const char *const scen[] = {"loss 5%", "reorder 5%"};
	static const char *const det[] = {"DupThresh", "RACK-TLP"};
	struct opts o;

	if (parse(&o, argc, argv)) {
		usage(stderr);
		return 2;
	}
	printf("recovery: %llu bytes per transfer, RTT %u ms, reordering by %u ms, %u seeds, "
	       "CUBIC\n",
	       (unsigned long long)o.bytes, o.rtt_ms, o.reorder_ms, o.seeds);
	printf("%-10s %-9s %7s %8s %9s %8s %6s %5s %11s\n", "scenario", "detector", "rexmit",
	       "spurious", "rcv drops", "timeouts", "probes", "undo", "time (mean)");
	for (int reorder = 1; reorder >= 0; reorder--) {
		struct tally t[2];
		memset(t, 0, sizeof(t));
		for (uint32_t s = 0; s < o.seeds; s++) {
			for (int rack = 0; rack < 2; rack++) {
				int err = transfer(&o, 2000 + s, reorder, rack, &t[rack]);
				if (err) {
					fprintf(stderr, "recovery: seed %u %s %s: %s\n", 2000 + s,
						scen[reorder], det[rack], strerror(-err));
					return 1;
				}
			}
		}
		for (int rack = 0; rack < 2; rack++) {
			double mean_s = (double)t[rack].us / o.seeds / 1e6;
			printf("%-10s %-9s %7llu %8llu %9llu %8llu %6llu %5llu %9.2f s\n",
			       scen[reorder], det[rack], (unsigned long long)t[rack].rexmit,
			       (unsigned long long)t[rack].spurious,
			       (unsigned long long)t[rack].rcv_drops,
			       (unsigned long long)t[rack].timeouts,
			       (unsigned long long)t[rack].probes, (unsigned long long)t[rack].undo,
			       mean_s);
			printf("result recovery_%s_%s_spurious %llu segments\n",
			       reorder ? "reorder" : "loss", rack ? "rack" : "dupthresh",
			       (unsigned long long)t[rack].spurious);
			printf("result recovery_%s_%s_time %.3f s\n", reorder ? "reorder" : "loss",
			       rack ? "rack" : "dupthresh", mean_s);
		}
	}
	return 0;
}
