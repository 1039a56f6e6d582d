/*
 * Misbehaving receivers (issue #7 item 4; Savage et al., "TCP congestion
 * control with a misbehaving receiver", 1999): a receiver that splits its
 * ACKs (ACK division), floods duplicate ACKs during fast recovery (dup-ACK
 * spoofing), or acknowledges data not yet sent (optimistic ACKing) must not
 * make the sender's window grow faster than the data really delivered.
 * Each defence is shown on and, where a knob turns it off, off, so the test
 * fails without it; each has a counter.
 */
#include "check.h"
#include "tcp/seq.h"
#include "tcp_fixture.h"

#define PEER_ISS 1000u
#define MSS 1460u

static uint8_t data[64 * MSS];

static struct synack_tcp_info info(struct fx *f, int s)
{
	struct synack_tcp_info ti;
	memset(&ti, 0, sizeof(ti));
	synack_sock_info(f->st, s, &ti);
	return ti;
}

static struct synack_counters counters(struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c;
}

/* ESTABLISHED (passive, 100 ms RTT) with `algo`, tcp_abc and the dup-ACK
 * bound as given, a 64-segment send buffer queued. */
static int est(struct fx *f, int algo, int abc, int bound)
{
	struct sn_tcp_seg o;
	struct synack_config c;
	synack_config_default(&c);
	c.tcp_congestion_control = (uint8_t)algo;
	c.tcp_abc = (uint8_t)abc;
	c.tcp_dupack_bound = (uint8_t)bound;
	c.sndbuf = sizeof(data);
	if (fx_init(f, &c) || fx_listen(f) < 0)
		return -1;
	f->peer_iss = PEER_ISS;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = PEER_ISS, .wnd = 65535, .mss = MSS});
	if (!fx_out(f, &o))
		return -1;
	f->our_iss = o.seq;
	fx_wait(f, 100 * FX_MS);
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = o.seq + 1, .wnd = 65535});
	int s = synack_sock_accept(f->st, f->lsock, NULL);
	if (s < 0 || synack_sock_send(f->st, s, data, sizeof(data)) != (ssize_t)sizeof(data))
		return -1;
	fx_flush(f);
	return s;
}

static void ack_to(struct fx *f, uint32_t off)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = f->our_iss + 1 + off,
				  .wnd = 65535});
}

/* The same bytes ACKed as whole segments, or each segment in `parts` ACKs:
 * returns cwnd after `segs` segments are ACKed. */
static uint32_t cwnd_after(int algo, int abc, uint32_t segs, uint32_t parts, uint64_t *small)
{
	struct fx f;
	int s = est(&f, algo, abc, 1);
	if (s < 0)
		return 0;
	for (uint32_t i = 0; i < segs; i++) {
		for (uint32_t p = 1; p <= parts; p++)
			ack_to(&f, i * MSS + p * MSS / parts);
		fx_flush(&f);
	}
	uint32_t cwnd = info(&f, s).cwnd;
	*small = counters(&f).abc_small_acks;
	fx_free(&f);
	return cwnd;
}

/* ACK division: splitting every segment's ACK in ten gains nothing under
 * byte counting (RFC 3465), in slow start and in avoidance, for Reno and
 * CUBIC; with per-ACK growth (tcp_abc 0) the same bytes grow cwnd about
 * tenfold in slow start. SynackAbcSmallAcks counts the split ACKs. */
TEST(issue7_ack_division_gains_nothing_rfc3465)
{
	uint64_t small = 0;
	for (int algo = SYNACK_CC_RENO; algo <= SYNACK_CC_CUBIC; algo++) {
		uint32_t whole = cwnd_after(algo, 2, 6, 1, &small);
		CHECK_EQ(small, 0);
		uint32_t split = cwnd_after(algo, 2, 6, 10, &small);
		CHECK_EQ(split, whole);
		CHECK_EQ(small, 6 * 10);
	}
	uint32_t whole = cwnd_after(SYNACK_CC_RENO, 0, 6, 1, &small);
	uint32_t split = cwnd_after(SYNACK_CC_RENO, 0, 6, 10, &small);
	CHECK_EQ(whole, 9 * MSS);  /* IW 3 + 6 */
	CHECK_EQ(split, 63 * MSS); /* IW 3 + 60: one SMSS per ACK */
	CHECK_EQ(small, 0);        /* no byte counting, nothing counted */
}

/* ACK division in congestion avoidance: after a timeout (ssthresh 2 SMSS)
 * the split ACKs of the same bytes give the same cwnd as whole ones. */
TEST(issue7_ack_division_in_congestion_avoidance)
{
	uint32_t got[2];
	for (int split = 0; split < 2; split++) {
		struct fx f;
		int s = est(&f, SYNACK_CC_RENO, 2, 1);
		CHECK(s >= 0);
		fx_wait(&f, info(&f, s).rto_us); /* timeout: ssthresh 2 SMSS, cwnd 1 */
		CHECK_EQ(info(&f, s).ssthresh, 2 * MSS);
		for (uint32_t i = 0; i < 12; i++) {
			uint32_t parts = split ? 5 : 1;
			for (uint32_t p = 1; p <= parts; p++)
				ack_to(&f, i * MSS + p * MSS / parts);
			fx_flush(&f);
		}
		got[split] = info(&f, s).cwnd;
		CHECK(got[split] > 2 * MSS); /* it did grow, in avoidance */
		fx_free(&f);
	}
	CHECK_EQ(got[1], got[0]);
}

/* Eight segments in flight, the first lost: fast recovery, then `n` more
 * duplicate ACKs. Returns the socket; *sent counts new segments sent. */
static int recovery_flood(struct fx *f, int bound, uint32_t n, uint32_t *sent)
{
	int s = est(f, SYNACK_CC_RENO, 2, bound);
	struct sn_tcp_seg o;
	if (s < 0)
		return -1;
	uint32_t acked = 0;
	while (info(f, s).cwnd < 8 * MSS)
		ack_to(f, ++acked * MSS);
	fx_flush(f);
	for (int i = 0; i < 3; i++)
		ack_to(f, acked * MSS);
	fx_flush(f); /* the fast retransmission */
	uint32_t top = info(f, s).snd_nxt;
	*sent = 0;
	for (uint32_t i = 0; i < n; i++)
		ack_to(f, acked * MSS);
	while (fx_out(f, &o))
		*sent += seq_gt(o.seq + o.len, top) && o.len;
	return s;
}

/* Duplicate-ACK spoofing: 100 duplicates during recovery with 8 segments
 * outstanding. Bounded (the default), cwnd inflates by at most the
 * segments outstanding and about as many new segments go out; the rest
 * are counted in SynackDupAcksIgnored. Unbounded, every duplicate inflates
 * cwnd and clocks out a new segment. */
TEST(issue7_dupack_spoofing_bounded_by_segments_outstanding)
{
	struct fx f;
	uint32_t sent_bounded, sent_open;

	int s = recovery_flood(&f, 1, 100, &sent_bounded);
	CHECK(s >= 0);
	struct synack_tcp_info ti = info(&f, s);
	uint32_t segs_out = (ti.snd_nxt - ti.snd_una + MSS - 1) / MSS;
	CHECK(ti.cwnd <= ti.ssthresh + segs_out * MSS);
	/* the 9 segments beyond the hole: 7, and the 2 that Limited Transmit
	 * (RFC 3042) sent on the first two duplicates */
	CHECK_EQ(ti.cwnd, ti.ssthresh + 9 * MSS);
	CHECK(sent_bounded <= 4);
	CHECK(counters(&f).dupacks_ignored >= 90);
	fx_free(&f);

	s = recovery_flood(&f, 0, 100, &sent_open);
	CHECK(s >= 0);
	ti = info(&f, s);
	CHECK_EQ(ti.cwnd, ti.ssthresh + 103 * MSS);
	CHECK(sent_open >= 30); /* as far as the peer's 64 KiB window reaches */
	printf("100 duplicate ACKs in recovery, 8 segments outstanding: bounded %u new segments "
	       "sent, unbounded %u\n", sent_bounded, sent_open);
	CHECK_EQ(counters(&f).dupacks_ignored, 0);
	fx_free(&f);
}

/* A legitimate recovery is untouched: the duplicates of the segments
 * really outstanding all inflate (RFC 5681 §3.2 step 4). */
TEST(issue7_dupack_bound_spares_legitimate_recovery)
{
	struct fx f;
	uint32_t sent;

	int s = recovery_flood(&f, 1, 4, &sent);
	CHECK(s >= 0);
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.cwnd, ti.ssthresh + 7 * MSS);
	CHECK_EQ(counters(&f).dupacks_ignored, 0);
	fx_free(&f);
}

/* Optimistic ACKing: an ACK for data not yet sent is dropped (RFC 9293
 * §3.10.7.4, RFC 5961 §5.2: a challenge ACK), moves neither SND.UNA nor
 * cwnd, and is counted (drop reason ack_unsent). */
TEST(issue7_ack_of_unsent_data_ignored)
{
	struct fx f;
	struct sn_tcp_seg o;
	int s = est(&f, SYNACK_CC_CUBIC, 2, 1);
	CHECK(s >= 0);
	struct synack_tcp_info before = info(&f, s);
	ack_to(&f, 40 * MSS); /* only 3 segments were sent */
	struct synack_tcp_info after = info(&f, s);
	CHECK_EQ(after.snd_una, before.snd_una);
	CHECK_EQ(after.cwnd, before.cwnd);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_ACK_UNSENT), 1);
	CHECK(fx_out(&f, &o)); /* the challenge ACK */
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(o.len, 0);
	fx_free(&f);
}
