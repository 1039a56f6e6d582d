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
#include "synack/sim.h"

#define A_ADDR 0x0a000001u
#define B_ADDR 0x0a000002u
#define PORT 5001
#define SEC 1000000ull
#define RTT_US 60000u
#define BUF (1024u * 1024)
#define LEN (1024u * 1024)
#define NSEEDS 6

struct run {
	synack_sim *sim;
	synack_stack *st[2];
	int sock[2], lsock;
	size_t sent, got;
	int error;
	struct synack_counters ctr, rctr;
};

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 151 + (i >> 10));
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
	pump(r);
	return r->got == LEN;
}

static int setup(struct run *r, uint64_t seed, int reorder, int rack)
{
	struct synack_impair_params link = {.delay_us = RTT_US / 2};
	struct synack_config cfg;
	struct synack_endpoint any = {0, PORT};
	int err;

	if (reorder) {
		link.reorder_ppm = 50000;
		link.reorder_us = 10000;
	} else {
		link.loss_ppm = 50000;
	}
	*r = (struct run){.sock = {-1, -1}, .lsock = -1};
	if ((err = synack_sim_create(seed, &r->sim)))
		return err;
	synack_sim_set_default_link(r->sim, &link);
	synack_config_default(&cfg);
	cfg.sndbuf = cfg.rcvbuf = BUF;
	cfg.tcp_recovery = (uint8_t)(rack ? 1 : 0);
	cfg.tcp_early_retrans = (uint8_t)(rack ? 3 : 0);
	for (int i = 0; i < 2; i++) {
		cfg.addr = i ? B_ADDR : A_ADDR;
		if ((err = synack_sim_add_host(r->sim, &cfg, &r->st[i])))
			return err;
	}
	r->lsock = synack_sock_open(r->st[1]);
	if ((err = synack_sock_bind(r->st[1], r->lsock, &any)) ||
	    (err = synack_sock_listen(r->st[1], r->lsock, 4)))
		return err;
	return 0;
}

static int run(uint64_t seed, int reorder, int rack, struct run *r, uint64_t *us)
{
	struct synack_endpoint to = {B_ADDR, PORT};
	int err = setup(r, seed, reorder, rack);

	if (err)
		return err;
	r->sock[0] = synack_sock_open(r->st[0]);
	uint64_t t0 = synack_sim_now(r->sim);
	if ((err = synack_sock_connect(r->st[0], r->sock[0], &to)) != -EINPROGRESS)
		return err;
	if (!synack_sim_run(r->sim, step, r, 900 * SEC) || r->error)
		return r->error ? r->error : -ETIMEDOUT;
	*us = synack_sim_now(r->sim) - t0;
	synack_stack_counters(r->st[0], &r->ctr);
	synack_stack_counters(r->st[1], &r->rctr);
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
			CHECK_EQ(r.got, LEN);
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
			synack_sim_destroy(r.sim);
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
