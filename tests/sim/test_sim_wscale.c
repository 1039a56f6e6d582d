/*
 * test_sim_wscale.c: what RFC 7323 window scaling is for (§1.1, "long, fat
 * pipes"), end to end through the simulator and the public API.
 *
 * Two hosts with 256 KiB send and receive buffers on a clean link with a
 * 50 ms round trip move 1 MiB each way at the same time, reading everything
 * as it arrives. Run once with window scaling (the default) and once with
 * tcp_window_scaling = 0, where the 16-bit window field caps what may be in
 * flight at 64 KiB: then no schedule can deliver 1 MiB in fewer than
 * 1 MiB / 64 KiB = 16 round trips. With scaling the windows may open to the
 * buffers (shift 3 both ways) and congestion control is the only limit, so
 * the same transfer ends inside those 16 round trips. The simulated link has
 * no rate limit, so what the scaled run spends is mostly slow start from
 * three segments. The two runs are compared in virtual time; the figures are
 * printed.
 */
#include <errno.h>

#include "check.h"
#include "sim_pair.h"

#define RTT_US 50000ull
#define BUF (256u * 1024)
#define LEN (1024u * 1024)

struct run {
	synack_sim *sim;
	synack_stack *st[2];    /* [0] client, [1] server */
	int sock[2], lsock;
	size_t sent[2], got[2];
	int error;
	uint32_t max_snd_wnd;   /* largest SND.WND either side saw */
	struct synack_tcp_info info[2];
};

static uint8_t pattern(int side, size_t i)
{
	return (uint8_t)(i * 29 + (size_t)side * 83 + (i >> 10));
}

static uint8_t pattern0(size_t i)
{
	return pattern(0, i);
}

static uint8_t pattern1(size_t i)
{
	return pattern(1, i);
}

static void pump(struct run *r, int side)
{
	static const sim_pattern_fn patterns[2] = {pattern0, pattern1};
	synack_stack *st = r->st[side];
	int s = r->sock[side];
	int err = sim_send_pattern(st, s, LEN, &r->sent[side], patterns[side]);

	if (!err)
		err = sim_recv_check(st, s, &r->got[side], patterns[1 - side]);
	if (err) {
		r->error = err;
		if (err != -EBADMSG)
			return;
	}
	struct synack_tcp_info ti;
	if (synack_sock_info(st, s, &ti) == 0) {
		r->info[side] = ti;
		if (ti.snd_wnd > r->max_snd_wnd)
			r->max_snd_wnd = ti.snd_wnd;
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
	if (!(synack_sock_events(r->st[0], r->sock[0]) & SYNACK_EV_OUT))
		return 0;
	pump(r, 0);
	pump(r, 1);
	return r->got[0] == LEN && r->got[1] == LEN;
}

/* One run; the virtual time from connect to both sides holding 1 MiB. */
static int run(int window_scaling, uint64_t *elapsed_us, struct run *r)
{
	struct synack_impair_params link = {.delay_us = RTT_US / 2};
	struct synack_config cfg;
	struct synack_endpoint to = {B_ADDR, PORT};
	int err;

	*r = (struct run){.sock = {-1, -1}, .lsock = -1};
	synack_config_default(&cfg);
	cfg.sndbuf = cfg.rcvbuf = BUF;
	cfg.tcp_window_scaling = (uint8_t)window_scaling;
	if ((err = sim_pair_open(7, &link, cfg, &r->sim, r->st, &r->lsock)))
		return err;
	r->sock[0] = synack_sock_open(r->st[0]);
	uint64_t t0 = synack_sim_now(r->sim);
	if ((err = synack_sock_connect(r->st[0], r->sock[0], &to)) != -EINPROGRESS)
		return err;
	if (!synack_sim_run(r->sim, step, r, 120 * SEC) || r->error)
		return r->error ? r->error : -ETIMEDOUT;
	*elapsed_us = synack_sim_now(r->sim) - t0;
	return 0;
}

/* RFC 7323 §1.1 and §2: 1 MiB each way, 256 KiB buffers, 50 ms RTT. */
TEST(rfc7323_2_window_scaling_fills_a_long_fat_pipe)
{
	struct run scaled, capped;
	uint64_t t_scaled = 0, t_capped = 0;

	CHECK_EQ(run(1, &t_scaled, &scaled), 0);
	CHECK_EQ(run(0, &t_capped, &capped), 0);
	printf("1 MiB each way, 256 KiB buffers, RTT 50 ms: window scaling %.3f s (%.1f RTT, peak "
	       "SND.WND %u), 64 KiB windows %.3f s (%.1f RTT, peak SND.WND %u)\n",
	       t_scaled / 1e6, (double)t_scaled / RTT_US, scaled.max_snd_wnd, t_capped / 1e6,
	       (double)t_capped / RTT_US, capped.max_snd_wnd);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(scaled.got[i], LEN);
		CHECK_EQ(capped.got[i], LEN);
		CHECK_EQ(scaled.info[i].snd_wscale, 3);
		CHECK_EQ(scaled.info[i].rcv_wscale, 3);
		CHECK_EQ(capped.info[i].snd_wscale, 0);
		CHECK_EQ(capped.info[i].rcv_wscale, 0);
	}
	CHECK(scaled.max_snd_wnd > 65535);
	CHECK(capped.max_snd_wnd <= 65535);
	/* 64 KiB per round trip at most: never under 16 RTTs; with scaling the
	 * transfer beats that bound (slow start from 3 segments takes most of
	 * the time: the simulated link has no rate limit) and takes at most
	 * two thirds of the capped run's time */
	CHECK(t_capped >= (LEN / 65536) * RTT_US);
	CHECK(t_scaled < (LEN / 65536) * RTT_US);
	CHECK(t_scaled * 3 < t_capped * 2);
	synack_sim_destroy(scaled.sim);
	synack_sim_destroy(capped.sim);
}
