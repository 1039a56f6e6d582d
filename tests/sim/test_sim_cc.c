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

#define A_ADDR 0x0a000001u
#define B_ADDR 0x0a000002u
#define PORT 5001
#define SEC 1000000ull
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
	uint8_t buf[16384];

	while (r->sent < LEN) {
		size_t k = LEN - r->sent < sizeof(buf) ? LEN - r->sent : sizeof(buf);
		for (size_t i = 0; i < k; i++)
			buf[i] = pattern(r->sent + i);
		ssize_t n = synack_sock_send(r->st[0], r->sock[0], buf, k);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			r->error = (int)n;
			return;
		}
		r->sent += (size_t)n;
	}
	for (;;) {
		ssize_t n = synack_sock_recv(r->st[1], r->sock[1], buf, sizeof(buf));
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			r->error = n ? (int)n : -EPIPE;
			return;
		}
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(r->got + (size_t)i))
				r->error = -EBADMSG;
		r->got += (size_t)n;
	}
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
}

static int run(const char *cc, uint64_t seed, uint64_t *elapsed_us, struct run *r)
{
	struct synack_impair_params link = {.delay_us = RTT_US / 2, .loss_ppm = 3000};
	struct synack_config cfg;
	struct synack_endpoint any = {0, PORT}, to = {B_ADDR, PORT};
	int err;

	*r = (struct run){.sock = {-1, -1}, .lsock = -1};
	if ((err = synack_sim_create(seed, &r->sim)))
		return err;
	synack_sim_set_default_link(r->sim, &link);
	synack_config_default(&cfg);
	cfg.sndbuf = cfg.rcvbuf = BUF;
	cfg.addr = A_ADDR;
	if ((err = synack_sim_add_host(r->sim, &cfg, &r->st[0])))
		return err;
	cfg.addr = B_ADDR;
	if ((err = synack_sim_add_host(r->sim, &cfg, &r->st[1])))
		return err;
	r->lsock = synack_sock_open(r->st[1]);
	if ((err = synack_sock_bind(r->st[1], r->lsock, &any)) ||
	    (err = synack_sock_listen(r->st[1], r->lsock, 4)))
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
