/*
 * test_sim_sack.c: SACK (RFC 2018, RFC 6675) against NewReno (RFC 6582)
 * under the same seeded loss.
 *
 * One host sends 2 MiB to another over a 60 ms round trip with 1 MiB
 * buffers (window scaling on); the link loses 3% of datagrams each way.
 * Each of 24 seeds runs twice, from the same simulator seed: with tcp_sack
 * on both hosts, and with it off on both (NewReno). Reno congestion control
 * in both runs, so only loss recovery differs. Every byte must arrive, in
 * order, intact, in every run. With several losses in one window (slow
 * start's overshoot above all), NewReno repairs one hole per round trip and
 * falls back to the retransmission timer more often, whose go-back-N
 * resends data the receiver already holds; SACK repairs every hole it knows
 * of and resends only those. The test checks that the SACK runs retransmit
 * fewer bytes and take fewer timeouts in total than the NewReno runs, and
 * prints the figures per seed and in total (retransmitted bytes and
 * segments, timeouts, completion time in virtual time). The loss patterns diverge once the two runs send
 * differently, so single seeds may go either way; the seeds are fixed, so
 * a build always prints the same figures.
 *
 * The loss rate was 1% while the receiver kept at most 8 out-of-order
 * ranges: NewReno's runs then lost data the receiver had to drop, and
 * resent it. Since the receiver keeps up to SN_OOO_RANGES_MAX ranges, both
 * runs resend about the same bytes at 1% (532,900 NewReno, 538,740 SACK
 * over the 24 seeds); at 3% SACK's repair of several holes per round trip
 * shows (1,678,448 against 1,737,124 bytes, 116 against 177 timeouts).
 */
#include <errno.h>

#include "check.h"
#include "sim_pair.h"

#define RTT_US 60000ull
#define BUF (1024u * 1024)
#define LEN (2u * 1024 * 1024)
#define LOSS_PPM 30000
#define NSEEDS 24 /* seeds 1000..1023, as bench/sack_loss */

struct run {
	struct sim_flow f; /* the transfer (tests/sim_pair.h) */
	uint64_t rexmit_bytes; /* payload bytes the sender sent again (trace) */
	struct synack_tcp_info info;
	struct synack_counters ctr;
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

static int setup(struct run *r, uint64_t seed, int sack)
{
	struct synack_impair_params link = {.delay_us = RTT_US / 2, .loss_ppm = LOSS_PPM};
	struct synack_config cfg;
	int err;

	*r = (struct run){.f = {.sock = {-1, -1}, .lsock = -1, .len = LEN, .pattern = pattern}};
	synack_config_default(&cfg);
	cfg.sndbuf = cfg.rcvbuf = BUF;
	cfg.tcp_sack = (uint8_t)sack;
	cfg.tcp_congestion_control = SYNACK_CC_RENO;
	if ((err = sim_pair_open(seed, &link, cfg, &r->f.sim, r->f.st, &r->f.lsock)))
		return err;
	synack_stack_set_trace(r->f.st[0], on_trace, r);
	return 0;
}

/* The transfer; *us is its virtual duration from connect to the last byte. */
static int run(uint64_t seed, int sack, struct run *r, uint64_t *us)
{
	int err = setup(r, seed, sack);

	if (!err)
		err = sim_flow_run(&r->f, 900 * SEC, us);
	if (err)
		return err;
	synack_sock_info(r->f.st[0], r->f.sock[0], &r->info);
	synack_stack_counters(r->f.st[0], &r->ctr);
	return 0;
}

static void report(uint64_t seed, const char *name, const struct run *r, uint64_t us)
{
	printf("seed %llu %-7s: 2 MiB in %6.2f s, retransmitted %7llu bytes (%4u segments; "
	       "%3llu fast retransmits, %3llu SACK recoveries, %3llu timeouts)\n",
	       (unsigned long long)seed, name, us / 1e6, (unsigned long long)r->rexmit_bytes,
	       r->info.total_retrans, (unsigned long long)r->ctr.fast_retrans,
	       (unsigned long long)r->ctr.sack_recoveries, (unsigned long long)r->ctr.rto_timeouts);
}

/* RFC 6675 §1: with SACK, a sender retransmits what was lost and little
 * else; every byte still arrives once, in order. */
TEST(rfc6675_sack_fewer_retransmissions_than_newreno_same_seeded_loss)
{
	uint64_t bytes[2] = {0, 0}, time_us[2] = {0, 0}, rto[2] = {0, 0};

	for (uint64_t seed = 1000; seed < 1000 + NSEEDS; seed++) {
		for (int sack = 1; sack >= 0; sack--) {
			struct run r;
			uint64_t us = 0;
			CHECK_EQ(run(seed, sack, &r, &us), 0);
			CHECK_EQ(r.f.got, LEN);
			CHECK(r.rexmit_bytes > 0); /* the loss hit this flow */
			CHECK_EQ(!!(r.info.options & SYNACK_TCPI_OPT_SACK), sack);
			if (sack)
				CHECK(r.ctr.sack_recoveries > 0);
			else
				CHECK_EQ(r.ctr.sack_recoveries, 0);
			report(seed, sack ? "SACK" : "NewReno", &r, us);
			bytes[sack] += r.rexmit_bytes;
			rto[sack] += r.ctr.rto_timeouts;
			time_us[sack] += us;
			synack_sim_destroy(r.f.sim);
		}
	}
	printf("total over %d seeds: SACK retransmitted %llu bytes, %llu timeouts, %.2f s; "
	       "NewReno %llu bytes, %llu timeouts, %.2f s\n",
	       NSEEDS, (unsigned long long)bytes[1], (unsigned long long)rto[1], time_us[1] / 1e6,
	       (unsigned long long)bytes[0], (unsigned long long)rto[0], time_us[0] / 1e6);
	CHECK(bytes[1] < bytes[0]);
	CHECK(rto[1] < rto[0]);
}
