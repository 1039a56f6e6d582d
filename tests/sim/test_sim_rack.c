/*
 * test_sim_rack.c: RACK-TLP (RFC 8985) against RFC 6675's DupThresh under
 * the same seeded reordering and the same seeded loss.
 *
 * One host sends 1 MiB to another over a 60 ms round trip (1 MiB buffers,
 * SACK, CUBIC). "reorder": 5% of datagrams each way are held back 10 ms, so
 * later ones overtake them; nothing is lost. "loss": 5% are dropped each
 * way. Each of 6 seeds runs twice from the same simulator seed: RACK-TLP
 * (tcp_recovery 1, tcp_early_retrans 3, the defaults) and DupThresh without
 * tail loss probes (0, 0). Every byte must arrive, in order, intact.
 *
 * Under reordering every retransmission is spurious. DupThresh resends a
 * segment as soon as three later ones are SACKed, however late it merely
 * is; RACK waits the reordering window (min_RTT/4, widened by D-SACKs, §6.2)
 * and resends only what stays missing past it: the RACK runs must resend
 * less than a quarter as much. Under loss, a lost tail or a lost
 * retransmission costs DupThresh a retransmission timeout; RACK finds lost
 * retransmissions by time and TLP probes the tail (§7): the RACK runs must
 * take fewer timeouts. The figures are printed per seed and in total; the
 * seeds are fixed, so a build always prints the same ones.
 */
#include <errno.h>

#include "check.h"
#include "sim_pair.h"

#define RTT_US 60000u
#define BUF (1024u * 1024)
#define LEN (1024u * 1024)
#define NSEEDS 6

struct run {
	struct sim_flow f; /* the transfer (tests/sim_pair.h) */
	struct synack_counters ctr, rctr;
};

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 151 + (i >> 10));
}

static int setup(struct run *r, uint64_t seed, int reorder, int rack)
{
	struct synack_impair_params link = {.delay_us = RTT_US / 2};
	struct synack_config cfg;

	if (reorder) {
		link.reorder_ppm = 50000;
		link.reorder_us = 10000;
	} else {
		link.loss_ppm = 50000;
	}
	*r = (struct run){.f = {.sock = {-1, -1}, .lsock = -1, .len = LEN, .pattern = pattern}};
	synack_config_default(&cfg);
	cfg.sndbuf = cfg.rcvbuf = BUF;
	cfg.tcp_recovery = (uint8_t)(rack ? 1 : 0);
	cfg.tcp_early_retrans = (uint8_t)(rack ? 3 : 0);
	return sim_pair_open(seed, &link, cfg, &r->f.sim, r->f.st, &r->f.lsock);
}

static int run(uint64_t seed, int reorder, int rack, struct run *r, uint64_t *us)
{
	int err = setup(r, seed, reorder, rack);

	if (!err)
		err = sim_flow_run(&r->f, 900 * SEC, us);
	if (err)
		return err;
	synack_stack_counters(r->f.st[0], &r->ctr);
	synack_stack_counters(r->f.st[1], &r->rctr);
	return 0;
}

struct totals {
	uint64_t rexmit, dups, rto, probes, us;
};

static void scenario(int reorder, struct totals t[2])
{
	for (uint64_t seed = 3000; seed < 3000 + NSEEDS; seed++) {
		for (int rack = 0; rack < 2; rack++) {
			struct run r;
			uint64_t us = 0;
			CHECK_EQ(run(seed, reorder, rack, &r, &us), 0);
			CHECK_EQ(r.f.got, LEN);
			if (!rack)
				CHECK_EQ(r.ctr.loss_probes, 0);
			printf("%s seed %llu %-9s: 1 MiB in %6.2f s, %4llu segments resent, "
			       "%3llu duplicates received, %2llu recoveries, %2llu timeouts, "
			       "%2llu probes\n",
			       reorder ? "reorder" : "loss", (unsigned long long)seed,
			       rack ? "RACK-TLP" : "DupThresh", us / 1e6,
			       (unsigned long long)r.ctr.retrans_segs,
			       (unsigned long long)r.rctr.dsack_sent,
			       (unsigned long long)r.ctr.sack_recoveries,
			       (unsigned long long)r.ctr.rto_timeouts,
			       (unsigned long long)r.ctr.loss_probes);
			t[rack].rexmit += r.ctr.retrans_segs;
			t[rack].dups += r.rctr.dsack_sent;
			t[rack].rto += r.ctr.rto_timeouts;
			t[rack].probes += r.ctr.loss_probes;
			t[rack].us += us;
			synack_sim_destroy(r.f.sim);
		}
	}
	printf("%s total: RACK-TLP %llu resent, %llu timeouts, %.2f s; DupThresh %llu resent, "
	       "%llu timeouts, %.2f s\n",
	       reorder ? "reorder" : "loss", (unsigned long long)t[1].rexmit,
	       (unsigned long long)t[1].rto, t[1].us / 1e6, (unsigned long long)t[0].rexmit,
	       (unsigned long long)t[0].rto, t[0].us / 1e6);
}

/* RFC 8985 §6.2 (reordering window, D-SACK adaptation), §2.2: reordering
 * alone makes RACK resend a fraction of what DupThresh resends. */
TEST(rfc8985_6_2_reordering_costs_few_retransmissions)
{
	struct totals t[2] = {{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}};

	scenario(1, t);
	CHECK(t[0].dups > 0);
	CHECK(t[1].rexmit * 4 < t[0].rexmit);
	CHECK(t[1].dups * 4 < t[0].dups); /* what the receiver got twice */
	CHECK(t[1].us < t[0].us);
}

/* RFC 8985 §7 (TLP) and lost retransmissions found by time: fewer
 * retransmission timeouts under the same loss. */
TEST(rfc8985_7_loss_fewer_timeouts)
{
	struct totals t[2] = {{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}};

	scenario(0, t);
	CHECK(t[1].probes > 0);
	CHECK(t[1].rto < t[0].rto);
}
