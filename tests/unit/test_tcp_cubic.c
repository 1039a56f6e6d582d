/*
 * CUBIC (RFC 9438) and the choice of algorithm (MAY-18: alternative
 * conformant congestion control). White-box: the integer formulas of cc.c
 * against RFC 9438's equations evaluated in double precision here (the
 * engine has no floating point), the window's reaction to congestion events
 * and its growth on a bare TCB; then through a stack: TCP_CONGESTION by
 * name, the tcp_congestion_control default, a listener's children, and a
 * fast retransmit that reduces ssthresh by beta_cubic = 0.7.
 */
#include "check.h"
#include "stack/stack.h"
#include "tcp/tcb.h"
#include "tcp_fixture.h"

#define MSS 1460u
#define SEGS(n) ((uint32_t)((n) * MSS))

static double dabs(double x)
{
	return x < 0 ? -x : x;
}

/* RFC 9438 Figure 1 in segments and seconds, C = 0.4. */
static double w_cubic_ref(double w_max_segs, double k_s, double t_s)
{
	double d = t_s - k_s;
	return 0.4 * d * d * d + w_max_segs;
}

/* The stack whose clock and knobs the bare TCBs below run under. */
static synack_stack *bare_st;

static synack_stack *bare_stack(void)
{
	struct synack_config c;
	if (!bare_st) {
		synack_config_default(&c);
		c.addr = FX_US;
		synack_stack_create(&c, &bare_st);
	}
	return bare_st;
}

__attribute__((destructor)) static void bare_stack_free(void)
{
	synack_stack_destroy(bare_st);
	bare_st = NULL;
}

/* An ACK of acked new bytes at time now. */
static void ack_at(struct sn_tcb *t, uint32_t acked, uint64_t now)
{
	synack_stack *st = bare_stack();
	st->now = now; /* white-box: the cc tests pick their own times */
	tcp_cc_on_ack(st, t, acked);
}

/* A bare established TCB running `algo` with n segments in flight. */
static void bare_tcb(struct sn_tcb *t, unsigned algo, uint32_t cwnd, uint32_t flight)
{
	memset(t, 0, sizeof(*t));
	t->snd_mss = MSS;
	t->iss = 1000;
	tcp_cc_select(t, algo);
	tcp_cc_init(t);
	t->cwnd = cwnd;
	t->snd_una = 5000;
	t->snd_nxt = t->snd_max = 5000 + flight;
	t->recover = 4000;
}

/* Three duplicate ACKs: a loss event through the shared NewReno code. */
static int three_dupacks(struct sn_tcb *t)
{
	tcp_cc_on_dupack(bare_stack(), t);
	tcp_cc_on_dupack(bare_stack(), t);
	return tcp_cc_on_dupack(bare_stack(), t);
}

/* The full ACK (RFC 6582) of everything sent before the loss ends
 * recovery; an ssthresh of new data sent during recovery stays in flight,
 * so the deflated cwnd is ssthresh. */
static void full_ack(struct sn_tcb *t)
{
	uint32_t acked = t->recover - t->snd_una;
	t->snd_max = t->recover + t->ssthresh;
	t->snd_una = t->recover;
	tcp_cc_recovery_ack(t, t->snd_una, acked);
}

/* Everything in flight is ACKed and `flight` more bytes are sent. */
static void next_window(struct sn_tcb *t, uint32_t flight)
{
	t->snd_una = t->snd_max;
	t->snd_max = t->snd_una + flight;
}

TEST(rfc9438_integer_cube_root)
{
	static const uint64_t xs[] = {0, 1, 7, 8, 9, 26, 27, 28, 999, 1000, 1001, 123456789,
				      (1ull << 54) - 1, 1ull << 54, 18446744073709551615ull};
	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		uint64_t y = tcp_cubic_cbrt(xs[i]);
		CHECK(y * y * y <= xs[i]);
		/* (y+1)^3 > x, in 128 bits' worth of care: y < 2^22 */
		CHECK((y + 1) * (y + 1) * (y + 1) > xs[i] || y + 1 > 2642245);
	}
	for (uint64_t x = 0; x < 70000; x++) {
		uint64_t y = tcp_cubic_cbrt(x);
		CHECK(y * y * y <= x && (y + 1) * (y + 1) * (y + 1) > x);
	}
}

/* Figure 2: K = cubic_root((W_max - cwnd_epoch) / C), so C*K^3 equals
 * W_max - cwnd_epoch; K is in ms, so within 1 ms of the real root. */
TEST(rfc9438_4_2_k_from_w_max_and_cwnd_epoch)
{
	static const uint32_t cases[][2] = {{100, 70}, {10, 7}, {1000, 700}, {45, 44}, {3000, 2100}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double diff = (double)cases[i][0] - cases[i][1];
		int32_t k = tcp_cubic_k_ms(SEGS(cases[i][0]), SEGS(cases[i][1]), MSS);
		double lo = (k / 1000.0), hi = (k + 1) / 1000.0;
		CHECK(0.4 * lo * lo * lo <= diff + 1e-9);
		CHECK(0.4 * hi * hi * hi > diff);
	}
	/* 100 -> 70 segments: K = cbrt(75) s = 4.217 s */
	CHECK_EQ(tcp_cubic_k_ms(SEGS(100), SEGS(70), MSS), 4217);
	/* a cwnd_epoch above W_max: K < 0, the curve starts at cwnd_epoch */
	int32_t k = tcp_cubic_k_ms(SEGS(70), SEGS(100), MSS);
	CHECK_EQ(k, -4217);
	CHECK(dabs((double)tcp_cubic_window(SEGS(70), k, 0, MSS) - SEGS(100)) < 2 * MSS / 100.0);
}

/* Figure 1 at given times, concave (t < K), plateau (t = K) and convex
 * (t > K): within 0.01 segment of the real-valued curve. */
TEST(rfc9438_4_2_window_curve_at_given_times)
{
	const double w_max = 100, k_s = 4.217;
	int32_t k = tcp_cubic_k_ms(SEGS(100), SEGS(70), MSS);
	static const uint32_t t_ms[] = {0, 500, 1000, 2000, 3000, 4000, 4217, 5000, 6000, 8000, 10000, 20000};
	for (size_t i = 0; i < sizeof(t_ms) / sizeof(t_ms[0]); i++) {
		double want = w_cubic_ref(w_max, k_s, t_ms[i] / 1000.0) * MSS;
		double got = tcp_cubic_window(SEGS(100), k, t_ms[i], MSS);
		CHECK(dabs(got - want) < 0.01 * MSS + 0.0005 * want);
	}
	CHECK_EQ(tcp_cubic_window(SEGS(100), k, 4217, MSS), SEGS(100)); /* W(K) = W_max */
	/* at t = 0 the curve is at cwnd_epoch = beta * W_max */
	CHECK(dabs((double)tcp_cubic_window(SEGS(100), k, 0, MSS) - SEGS(70)) < MSS / 100.0);
}

/* §4.6: on a loss event ssthresh = FlightSize * 0.7, W_max = cwnd; the
 * shared NewReno recovery then runs with that ssthresh. Reno halves. */
TEST(rfc9438_4_6_multiplicative_decrease_beta_0_7)
{
	struct sn_tcb t;

	bare_tcb(&t, SYNACK_CC_CUBIC, SEGS(100), SEGS(100));
	CHECK_EQ(three_dupacks(&t), 1);
	CHECK_EQ(t.ssthresh, SEGS(70));
	CHECK_EQ(t.cwnd, SEGS(73));
	CHECK_EQ(t.cc.cubic->w_max, SEGS(100));
	CHECK_EQ(t.cc.cubic->cwnd_prior, SEGS(100));
	full_ack(&t);
	CHECK_EQ(t.cwnd, SEGS(70));

	bare_tcb(&t, SYNACK_CC_RENO, SEGS(100), SEGS(100));
	CHECK_EQ(three_dupacks(&t), 1);
	CHECK_EQ(t.ssthresh, SEGS(50));

	/* the 2 SMSS floor */
	bare_tcb(&t, SYNACK_CC_CUBIC, SEGS(2), SEGS(2));
	CHECK_EQ(three_dupacks(&t), 1);
	CHECK_EQ(t.ssthresh, SEGS(2));
}

/* §4.7 fast convergence: a loss below the previous W_max releases
 * bandwidth, W_max = cwnd * (1 + 0.7) / 2; a loss above it keeps cwnd. */
TEST(rfc9438_4_7_fast_convergence)
{
	struct sn_tcb t;

	bare_tcb(&t, SYNACK_CC_CUBIC, SEGS(100), SEGS(100));
	three_dupacks(&t);
	full_ack(&t);
	t.cwnd = SEGS(80);
	next_window(&t, SEGS(80));
	CHECK_EQ(three_dupacks(&t), 1);
	CHECK_EQ(t.cc.cubic->w_max, SEGS(68)); /* 0.85 * 80 */
	CHECK_EQ(t.ssthresh, SEGS(56));
	full_ack(&t);
	t.cwnd = SEGS(90);
	next_window(&t, SEGS(90));
	CHECK_EQ(three_dupacks(&t), 1);
	CHECK_EQ(t.cc.cubic->w_max, SEGS(90));
}

/* §4.4/§4.5: each ACK in avoidance moves cwnd by (target - cwnd) / cwnd
 * per segment, target = W_cubic(t + RTT) bounded by [cwnd, 1.5 cwnd]; the
 * epoch starts at the first ACK after recovery, with K from W_max and
 * cwnd_epoch. Checked against Figure 1 at several times. */
TEST(rfc9438_4_4_growth_towards_w_cubic_t_plus_rtt)
{
	struct sn_tcb t;
	const uint64_t t0 = 50 * FX_SEC, rtt_us = 100 * FX_MS;

	bare_tcb(&t, SYNACK_CC_CUBIC, SEGS(100), SEGS(100));
	three_dupacks(&t);
	full_ack(&t);
	t.rtt_valid = 1;
	t.srtt_us = (uint32_t)rtt_us;
	ack_at(&t, MSS, t0); /* the epoch starts: t = 0 */
	CHECK_EQ(t.cc.cubic->k_ms, 4217);
	CHECK_EQ(t.cc.cubic->cwnd_epoch, SEGS(70));
	static const uint32_t at_ms[] = {1000, 3000, 4000, 4500, 6000, 7000};
	for (size_t i = 0; i < sizeof(at_ms) / sizeof(at_ms[0]); i++) {
		uint32_t before = t.cwnd;
		double ts = (at_ms[i] + rtt_us / 1000) / 1000.0;
		double target = w_cubic_ref(100, 4.217, ts) * MSS;
		if (target < before)
			target = before;
		if (target > before * 1.5)
			target = before * 1.5;
		double want = before + (target - before) * MSS / before;
		t.cc.cubic->acc = 0;   /* compare one ACK's step on its own */
		t.cc.cubic->w_est = 0; /* and stay out of the Reno-friendly region */
		ack_at(&t, MSS, t0 + at_ms[i] * FX_MS);
		CHECK(dabs((double)t.cwnd - want) <= 2.0);
	}
}

/* §4.3 Reno-friendly region: with a small W_max and a short RTT Reno would
 * grow faster than the curve; cwnd follows W_est, which grows by
 * alpha_cubic = 3(1-0.7)/(1+0.7) segments per window, then by 1 once W_est
 * reaches cwnd_prior. */
TEST(rfc9438_4_3_reno_friendly_region)
{
	struct sn_tcb t;
	const uint64_t t0 = 10 * FX_SEC;

	bare_tcb(&t, SYNACK_CC_CUBIC, SEGS(10), SEGS(10));
	three_dupacks(&t);
	full_ack(&t);
	CHECK_EQ(t.cwnd, SEGS(7));
	t.rtt_valid = 1;
	t.srtt_us = 10 * FX_MS;
	double w_est = SEGS(7);
	uint64_t now = t0;
	for (int rtt = 0; rtt < 5; rtt++) {
		uint32_t n = t.cwnd / MSS;
		for (uint32_t a = 0; a < n; a++) {
			double alpha = w_est >= SEGS(10) ? 1.0 : 0.9 / 1.7;
			uint32_t cwnd_before = t.cwnd;
			ack_at(&t, MSS, now);
			w_est += alpha * MSS * MSS / cwnd_before;
		}
		now += 10 * FX_MS;
		/* the cubic curve barely moves in 50 ms: cwnd is W_est */
		CHECK(dabs((double)t.cwnd - w_est) < 8.0);
	}
	/* five windows at about 0.53 segment each */
	CHECK(t.cwnd > SEGS(9) && t.cwnd < SEGS(10));
	CHECK_EQ(t.cc.cubic->alpha_one, 0);
	for (int i = 0; i < 40; i++)
		ack_at(&t, MSS, now);
	CHECK_EQ(t.cc.cubic->alpha_one, 1);
}

/* §4.8: a timeout gives Reno's loss window (1 SMSS) with CUBIC's
 * ssthresh; the first avoidance stage after it starts a curve with K = 0
 * and W_max = the cwnd it starts from. */
TEST(rfc9438_4_8_timeout)
{
	struct sn_tcb t;

	bare_tcb(&t, SYNACK_CC_CUBIC, SEGS(40), SEGS(40));
	t.nretrans = 1;
	tcp_cc_on_timeout(bare_stack(), &t);
	CHECK_EQ(t.cwnd, MSS);
	CHECK_EQ(t.ssthresh, SEGS(28));
	t.nretrans = 0;
	t.snd_una = t.snd_max;
	/* slow start after a timeout counts at most 1 SMSS per ACK (RFC 3465
	 * §2.3) up to ssthresh */
	ack_at(&t, 3 * MSS, FX_SEC);
	CHECK_EQ(t.cwnd, SEGS(2));
	while (t.cwnd < t.ssthresh)
		ack_at(&t, MSS, FX_SEC);
	uint32_t start = t.cwnd;
	ack_at(&t, MSS, 2 * FX_SEC);
	CHECK_EQ(t.cc.cubic->k_ms, 0);
	CHECK_EQ(t.cc.cubic->w_max, start);
}

/* ---------------------------------------------------------------- through a stack */

static int passive_est(struct fx *f, const struct synack_config *cfg, const char *lis_cc)
{
	struct sn_tcp_seg o;
	if (fx_init(f, cfg) || fx_listen(f) < 0)
		return -1;
	if (lis_cc && synack_sock_set_congestion(f->st, f->lsock, lis_cc))
		return -1;
	f->peer_iss = 1000;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535, .mss = MSS});
	if (!fx_out(f, &o))
		return -1;
	f->our_iss = o.seq;
	fx_wait(f, 100 * FX_MS);
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1, .wnd = 65535});
	fx_flush(f);
	return synack_sock_accept(f->st, f->lsock, NULL);
}

/* TCP_CONGESTION as Linux: by name, -ENOENT for an unknown one; the
 * stack's tcp_congestion_control is the default (cubic, as Linux). */
TEST(may18_tcp_congestion_sockopt)
{
	struct fx f;
	int v = -1;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(strcmp(synack_sock_congestion(f.st, s), "cubic"), 0);
	CHECK_EQ(synack_sock_set_congestion(f.st, s, "reno"), 0);
	CHECK_EQ(strcmp(synack_sock_congestion(f.st, s), "reno"), 0);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_TCP_CONGESTION, &v), 0);
	CHECK_EQ(v, SYNACK_CC_RENO);
	CHECK_EQ(synack_sock_set_congestion(f.st, s, "bbr"), -ENOENT);
	CHECK_EQ(synack_sock_set_congestion(f.st, s, "cubicx"), -ENOENT);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_CONGESTION, 7), -ENOENT);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_CONGESTION, SYNACK_CC_CUBIC), 0);
	CHECK_EQ(strcmp(synack_sock_congestion(f.st, s), "cubic"), 0);
	CHECK_EQ(synack_sock_set_congestion(f.st, 999, "reno"), -EBADF);
	CHECK(synack_sock_congestion(f.st, 999) == NULL);
	CHECK_EQ(strcmp(synack_cc_name(SYNACK_CC_RENO), "reno"), 0);
	CHECK(synack_cc_name(9) == NULL);
	fx_free(&f);

	/* the stack knob: sockets opened afterwards take it */
	struct synack_config cfg;
	synack_config_default(&cfg);
	CHECK_EQ(cfg.tcp_congestion_control, SYNACK_CC_CUBIC);
	cfg.tcp_congestion_control = SYNACK_CC_RENO;
	CHECK_EQ(fx_init(&f, &cfg), 0);
	s = synack_sock_open(f.st);
	CHECK_EQ(strcmp(synack_sock_congestion(f.st, s), "reno"), 0);
	cfg.tcp_congestion_control = 9;
	CHECK_EQ(synack_stack_reconfigure(f.st, &cfg), -EINVAL);
	fx_free(&f);
}

/* Sends 40 segments' worth and ACKs one at a time until n are in flight. */
static int grow_flight(struct fx *f, int s, uint32_t n)
{
	static uint8_t data[40 * MSS];
	struct synack_tcp_info ti;
	if (synack_sock_send(f->st, s, data, sizeof(data)) != (ssize_t)sizeof(data))
		return -1;
	for (uint32_t acked = 1; synack_sock_info(f->st, s, &ti) == 0 && ti.snd_nxt - ti.snd_una < n * MSS;
	     acked++)
		fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = f->our_iss + 1 + acked * MSS,
					  .wnd = 65535});
	fx_flush(f);
	return 0;
}

/* A listener's children take its algorithm; a fast retransmit on a cubic
 * connection sets ssthresh to 0.7 * FlightSize, on a reno one to half. */
TEST(may18_cubic_connection_reduces_by_beta)
{
	static const char *const names[] = {"cubic", "reno"};
	static const uint32_t num[] = {7, 5};

	for (int i = 0; i < 2; i++) {
		struct fx f;
		struct synack_tcp_info ti;
		int s = passive_est(&f, NULL, names[i]);
		CHECK(s >= 0);
		CHECK_EQ(strcmp(synack_sock_congestion(f.st, s), names[i]), 0);
		CHECK_EQ(grow_flight(&f, s, 10), 0);
		synack_sock_info(f.st, s, &ti);
		uint32_t flight = ti.snd_nxt - ti.snd_una;
		CHECK(flight >= 10 * MSS);
		for (int d = 0; d < 3; d++)
			fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = ti.snd_una,
						   .wnd = 65535});
		synack_sock_info(f.st, s, &ti);
		CHECK_EQ(ti.ssthresh, (uint32_t)((uint64_t)flight * num[i] / 10));
		CHECK_EQ(ti.cwnd, ti.ssthresh + 3 * MSS);
		fx_free(&f);
	}
}

/* ---------------------------------------------------------------- CUBIC's block */

/* Issue #6 (memory per connection): CUBIC's state is a block from the
 * stack's cubic_pool taken at the first congestion event, not part of
 * every TCB; a connection in slow start holds none, a reno one never does,
 * and the block goes back with the TCB. */
TEST(issue6_cubic_block_taken_at_first_congestion_event_given_back)
{
	static const char *const names[] = {"cubic", "reno"};

	for (int i = 0; i < 2; i++) {
		struct fx f;
		struct synack_tcp_info ti;
		int s = passive_est(&f, NULL, names[i]);
		CHECK(s >= 0);
		CHECK_EQ(grow_flight(&f, s, 10), 0);
		CHECK_EQ(f.st->cubic_pool.live, 0); /* slow start: no block yet */
		synack_sock_info(f.st, s, &ti);
		for (int d = 0; d < 3; d++)
			fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = ti.snd_una,
						   .wnd = 65535});
		CHECK_EQ(f.st->cubic_pool.live, i == 0 ? 1u : 0u);
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = 1001});
		CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
		CHECK_EQ(f.st->cubic_pool.live, 0); /* the TCB went, its block with it */
		CHECK_EQ(f.st->ctr.cubic_nomem, 0);
		fx_free(&f);
	}
}

/* The pool exhausted at a congestion event: the connection gets Reno's
 * ssthresh (half, not 0.7) and Reno's growth (one SMSS per cwnd of bytes
 * ACKed), counted once in SynackCubicNoMem, not again per ACK; the next
 * congestion event with a block to be had is CUBIC's again. */
TEST(issue6_cubic_pool_exhausted_falls_back_to_reno)
{
	synack_stack *st = bare_stack();
	struct sn_tcb t;
	size_t cap = st->cubic_pool.cap;
	uint64_t nomem = st->ctr.cubic_nomem;

	st->cubic_pool.cap = st->cubic_pool.live; /* white-box: no block to be had */
	bare_tcb(&t, SYNACK_CC_CUBIC, SEGS(100), SEGS(100));
	CHECK_EQ(three_dupacks(&t), 1);
	CHECK(t.cc.cubic == NULL);
	CHECK_EQ(st->ctr.cubic_nomem, nomem + 1);
	CHECK_EQ(t.ssthresh, SEGS(50)); /* Reno's FlightSize / 2 */
	full_ack(&t);
	CHECK_EQ(t.cwnd, SEGS(50));
	for (int a = 0; a < 50; a++)
		ack_at(&t, MSS, 3 * FX_SEC);
	CHECK_EQ(t.cwnd, SEGS(51)); /* RFC 5681 §3.1 with byte counting */
	CHECK_EQ(st->ctr.cubic_nomem, nomem + 1);

	st->cubic_pool.cap = cap;
	next_window(&t, SEGS(50));
	CHECK_EQ(three_dupacks(&t), 1);
	CHECK(t.cc.cubic != NULL);
	CHECK_EQ(t.ssthresh, SEGS(35)); /* beta_cubic = 0.7 again */
	CHECK_EQ(t.cc.cubic->w_max, SEGS(51));
	CHECK_EQ(st->ctr.cubic_nomem, nomem + 1);
	size_t live = st->cubic_pool.live;
	tcp_cc_free(st, &t);
	CHECK_EQ(st->cubic_pool.live, live - 1);
}

/* Through a stack with the pool exhausted: the fast retransmit still goes
 * out (no data is lost to the missing block) with Reno's reduction. */
TEST(issue6_cubic_pool_exhausted_fast_retransmit_still_sent)
{
	struct fx f;
	struct synack_tcp_info ti;
	struct sn_tcp_seg o;
	int s = passive_est(&f, NULL, "cubic");

	CHECK(s >= 0);
	f.st->cubic_pool.cap = 0;
	CHECK_EQ(grow_flight(&f, s, 10), 0);
	synack_sock_info(f.st, s, &ti);
	uint32_t flight = ti.snd_nxt - ti.snd_una, una = ti.snd_una;
	for (int d = 0; d < 3; d++)
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = una, .wnd = 65535});
	int resent = 0;
	while (fx_out(&f, &o))
		resent |= o.seq == una && o.len > 0;
	CHECK(resent);
	synack_sock_info(f.st, s, &ti);
	CHECK_EQ(ti.ssthresh, flight / 2);
	CHECK_EQ(f.st->ctr.cubic_nomem, 1);
	CHECK_EQ(f.st->cubic_pool.live, 0);
	fx_free(&f);
}
