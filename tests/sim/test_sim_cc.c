/*
 * test_sim_cc.c: Reno and CUBIC (RFC 9438) side by side under the same
 * seeded loss (MAY-18: an alternative conformant algorithm).
 *
 * One host sends 4 MiB to another over a 60 ms round trip with 1 MiB
 * buffers and window scaling; the link loses 0.3% of datagrams each way,
 * from the same simulator seed in both runs. Both runs must deliver every
 * byte, in order, intact. Their figures (virtual time, throughput,
 * time-weighted mean and peak cwnd, retransmissions) are printed: CUBIC
 * backs off to 0.7 of the flight instead of 0.5 and regrows along its
 * curve, so it keeps a larger mean window after the same losses. What is
 * checked is delivery and that the loss hit each flow; the comparison is
 * printed, not asserted (the unit tests in test_tcp_cubic.c pin the
 * formulas).
 */
#include <errno.h>

#include "check.h"
#include "synack/sim.h"

#include "sim_bulk.h"
}

static int run(const char *cc, uint64_t seed, uint64_t *elapsed_us, struct run *r)
{
	struct synack_impair_params link = {.delay_us = RTT_US / 2, .loss_ppm = 3000};
	struct synack_config cfg;
	struct synack_endpoint to = {B_ADDR, PORT};
	int err;

	*r = (struct run){.sock = {-1, -1}, .lsock = -1};
	synack_config_default(&cfg);
	cfg.sndbuf = cfg.rcvbuf = BUF;
	if ((err = sim_pair_open(seed, &link, cfg, &r->sim, r->st, &r->lsock)))
		return err;
	r->sock[0] = synack_sock_open(r->st[0]);
	if ((err = synack_sock_set_congestion(r->st[0], r->sock[0], cc)))
		return err;
	uint64_t t0 = synack_sim_now(r->sim);
	r->last_t = t0;
	if ((err = synack_sock_connect(r->st[0], r->sock[0], &to)) != -EINPROGRESS)
		return err;
	if (!synack_sim_run(r->sim, step, r, 600 * SEC) || r->error)
		return r->error ? r->error : -ETIMEDOUT;
	*elapsed_us = synack_sim_now(r->sim) - t0;
	return 0;
}

static void report(const char *cc, uint64_t seed, const struct run *r, uint64_t us)
{
	struct synack_counters c;
	synack_stack_counters(r->st[0], &c);
	printf("seed %llu %-5s: 4 MiB in %.2f s (%.1f Mbit/s), cwnd mean %.1f peak %.1f segments, "
	       "%u retransmitted (%llu fast, %llu timeouts), ssthresh %u\n",
	       (unsigned long long)seed, cc, us / 1e6, LEN * 8.0 / (double)us,
	       (double)r->cwnd_time / (double)us / r->info.snd_mss, (double)r->max_cwnd / r->info.snd_mss,
	       r->info.total_retrans, (unsigned long long)c.fast_retrans,
	       (unsigned long long)c.rto_timeouts, r->info.ssthresh);
}

/* MAY-18: both algorithms deliver every byte under the same seeded loss. */
TEST(may18_reno_and_cubic_same_seeded_loss)
{
	static const uint64_t seeds[] = {11, 12, 13};
	double sum[2] = {0, 0};

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		static const char *const algos[] = {"reno", "cubic"};
		for (int a = 0; a < 2; a++) {
			struct run r;
			uint64_t us = 0;
			CHECK_EQ(run(algos[a], seeds[i], &us, &r), 0);
			CHECK_EQ(r.got, LEN);
			CHECK(r.info.total_retrans > 0); /* the loss really hit this flow */
			report(algos[a], seeds[i], &r, us);
			sum[a] += LEN * 8.0 / (double)us;
			synack_sim_destroy(r.sim);
		}
	}
	printf("mean throughput: reno %.1f Mbit/s, cubic %.1f Mbit/s\n", sum[0] / 3, sum[1] / 3);
}
