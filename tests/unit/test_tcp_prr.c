/*
 * Proportional Rate Reduction (RFC 6937) in RFC 6675 fast recovery: the
 * arithmetic of tcp_prr_sndcnt on the examples of RFC 6937 §3.1 (cwnd =
 * FlightSize = 20 segments, ssthresh 10, Limited Transmit, one loss or 15),
 * its edges (the forced fast retransmit, banked sending opportunities, the
 * ssthresh cap, whole segments), and the same first example driven through
 * the stack with a scripted peer: one segment for every two delivered
 * while pipe > ssthresh, pipe = ssthresh when the round trip is over, and
 * cwnd = ssthresh when recovery ends.
 */
#include "check.h"
#include "stack/stack.h"
#include "tcp/sack.h"
#include "tcp_fixture.h"

#define MSS 1000u
#define PEER_ISS 9000u

/* RFC 6937 §3.1, one segment lost of 20: recovery starts on the third
 * duplicate ACK (after two Limited Transmit segments) with pipe 18 and
 * RecoverFS 20; each ACK delivers one segment. While pipe > ssthresh, PRR
 * sends ssthresh/RecoverFS = one segment per two delivered (the fast
 * retransmit first), so the reduction is spread over the round trip instead
 * of RFC 6675's half window of silence; after the 17 ACKs of the round trip
 * pipe is exactly ssthresh. */
TEST(rfc6937_3_1_one_loss_spreads_the_reduction)
{
	static const uint32_t want[17] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0};
	uint32_t pipe = 20 * MSS, pd = 0, out = 0;

	for (int k = 0; k < 17; k++) {
		pipe -= MSS; /* one more segment SACKed (and at the first, one lost) */
		if (k == 0)
			pipe -= MSS;
		pd += MSS;
		uint32_t snd = tcp_prr_sndcnt(pd, out, 20 * MSS, 10 * MSS, pipe, MSS, MSS, 0);
		CHECK_EQ(snd / MSS, want[k]);
		out += snd;
		pipe += snd;
	}
	CHECK_EQ(pipe, 10 * MSS);
	CHECK_EQ(out, 8 * MSS);
}

/* RFC 6937 §3.1, segments 0..14 lost: the ACKs of 15 and 16 send Limited
 * Transmit, the ACK of 17 finds the loss with pipe 4 (< ssthresh 10). With
 * the slow start reduction bound on every ACK (RFC 6937's PRR-SSRB) each
 * ACK sends its delivered segment plus one: 2, 2, 2 with pipe 4, 5, 6, the
 * figure's PRR-SSRB row. These ACKs are duplicates (SND.UNA does not move),
 * so Linux (and RFC 9937) add no extra segment: 1, 1, 1 with pipe 4, 4, 4,
 * the figure's PRR-CRB row. */
TEST(rfc6937_3_1_burst_loss_reduction_bound)
{
	for (int safe = 1; safe >= 0; safe--) {
		uint32_t pipe = 5 * MSS, pd = 0, out = 0;
		for (int k = 0; k < 3; k++) {
			pipe -= MSS;
			pd += MSS;
			CHECK_EQ(pipe, (safe ? 4 + (uint32_t)k : 4) * MSS);
			uint32_t snd = tcp_prr_sndcnt(pd, out, 20 * MSS, 10 * MSS, pipe, MSS, MSS, safe);
			CHECK_EQ(snd, (safe ? 2 : 1) * MSS);
			out += snd;
			pipe += snd;
		}
	}
}

/* The edges: the fast retransmit goes even when the proportion rounds to
 * nothing; a sending opportunity missed (nothing to send) is banked and
 * spent later, up to ssthresh - pipe; the proportion is counted in whole
 * segments (a quarter segment owed rounds up to one). */
TEST(rfc6937_sndcnt_edges)
{
	/* 1 byte delivered of RecoverFS 100 segments: still one segment */
	CHECK_EQ(tcp_prr_sndcnt(1, 0, 100 * MSS, 50 * MSS, 90 * MSS, 1, MSS, 0), MSS);
	/* nothing sent for 5 delivered segments (app-limited): the bank */
	CHECK_EQ(tcp_prr_sndcnt(6 * MSS, MSS, 20 * MSS, 10 * MSS, 2 * MSS, MSS, MSS, 0), 5 * MSS);
	/* ... never past ssthresh */
	CHECK_EQ(tcp_prr_sndcnt(16 * MSS, MSS, 20 * MSS, 10 * MSS, 8 * MSS, MSS, MSS, 1), 2 * MSS);
	/* pipe exactly ssthresh: nothing */
	CHECK_EQ(tcp_prr_sndcnt(6 * MSS, MSS, 20 * MSS, 10 * MSS, 10 * MSS, MSS, MSS, 1), 0);
	/* CEIL(2500 * 10 / 20) = 1250 bytes owed, 1000 sent: one more segment */
	CHECK_EQ(tcp_prr_sndcnt(2500, MSS, 20 * MSS, 10 * MSS, 15 * MSS, 500, MSS, 0), MSS);
}

/* ---------------------------------------------------------- through the stack */

static uint8_t pat[64 * MSS];

/* ESTABLISHED with SACK, MSS 1000, Reno, DupThresh loss detection (RFC
 * 6937's examples assume RFC 6675's), cwnd 20 segments; 40 queued. */
static int prr_conn(struct fx *f, int prr)
{
	struct synack_config c;

	synack_config_default(&c);
	c.tcp_congestion_control = SYNACK_CC_RENO;
	c.tcp_recovery = 0;
	c.tcp_prr = (uint8_t)prr;
	if (fx_init(f, &c))
		return -1;
	int s = fx_passive_open_syn(f, &(struct fx_seg){.seq = PEER_ISS, .wnd = 65535, .mss = MSS,
							.sack_ok = 1},
				    NULL);
	if (s < 0)
		return -1;
	fx_flush(f);
	f->st->socks[s].tcb->cwnd = 20 * MSS;
	return synack_sock_send(f->st, s, pat, sizeof(pat)) > 0 ? s : -1;
}

/* The peer: cumulative ACK of the first segment's start, SACK [j, k + 1). */
static void sack_range(struct fx *f, uint32_t j, uint32_t k)
{
	struct fx_seg seg = {.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = f->our_iss + 1,
			     .wnd = 65535, .nsack = 1};
	seg.sack[0].left = f->our_iss + 1 + j * MSS;
	seg.sack[0].right = f->our_iss + 1 + (k + 1) * MSS;
	fx_in(f, &seg);
}

/* Segment 0 of 20 lost; the peer SACKs 1..19 one ACK at a time. Limited
 * Transmit on the first two, the fast retransmit on the third, then one
 * new segment on every second ACK (RFC 6937 §3.1's first example); pipe =
 * ssthresh = 10 segments after the last; the ACK of everything ends
 * recovery with cwnd = ssthresh. */
TEST(rfc6937_3_1_one_loss_through_the_stack)
{
	static const char want[] = "NNR.N.N.N.N.N.N.N..";
	struct fx f;
	struct sn_tcp_seg o;
	int s = prr_conn(&f, 1);
	CHECK(s >= 0);
	struct sn_tcb *tcb = f.st->socks[s].tcb;
	int n = 0;
	while (fx_out(&f, &o))
		n++;
	CHECK_EQ(n, 20);
	for (uint32_t k = 1; k <= 19; k++) {
		sack_range(&f, 1, k);
		char got = '.';
		if (fx_out(&f, &o))
			got = o.seq == f.our_iss + 1 ? 'R' : 'N';
		CHECK_EQ(got, want[k - 1]);
		CHECK_EQ(fx_pending(&f), 0); /* never more than one per ACK */
	}
	CHECK(tcb->sack_recovery);
	CHECK_EQ(tcb->ssthresh, 10 * MSS);
	CHECK_EQ(tcp_sack_pipe(tcb), 10 * MSS);
	/* the retransmission arrives: everything sent is ACKed */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1,
				   .ack = tcb->snd_max, .wnd = 65535});
	CHECK(!tcb->in_recovery);
	CHECK_EQ(tcb->cwnd, 10 * MSS);
	fx_free(&f);
}

/* The segments one ACK sent: 'N' for new data (at or past offset `fresh`
 * segments), 'R' for a retransmission, in order. */
static void sent_on_ack(struct fx *f, uint32_t fresh, char *buf, size_t len)
{
	struct sn_tcp_seg o;
	size_t n = 0;

	while (n + 1 < len && fx_out(f, &o))
		buf[n++] = o.seq - (f->our_iss + 1) >= fresh * MSS ? 'N' : 'R';
	buf[n] = 0;
}

/* RFC 6937 §3.1's second example through the stack: segments 0..14 of 20
 * lost; the ACKs of 15 and 16 send Limited Transmit, the ACK of 17 finds
 * the loss with pipe 4 of ssthresh 10. tcp_prr 1 (RFC 6937's PRR-SSRB):
 * 2R on each of the three ACKs; tcp_prr 2 (Linux, RFC 9937: these ACKs do
 * not advance SND.UNA): 1R each; tcp_prr 0 (RFC 6675 alone): cwnd =
 * ssthresh at once, 6R on the first ACK, then one per ACK (the figure's
 * RFC 6675 row, whose cwnd of 11 sends 7 at first). */
TEST(knob_tcp_prr_burst_loss_through_the_stack)
{
	static const char *const want[3][3] = {
		{"RRRRRR", "R", "R"}, {"RR", "RR", "RR"}, {"R", "R", "R"}};
	char got[16];

	for (int prr = 0; prr <= 2; prr++) {
		struct fx f;
		struct sn_tcp_seg o;
		int s = prr_conn(&f, prr);
		CHECK(s >= 0);
		while (fx_out(&f, &o))
			;
		sack_range(&f, 15, 15);
		sent_on_ack(&f, 20, got, sizeof(got));
		CHECK(!strcmp(got, "N"));
		sack_range(&f, 15, 16);
		sent_on_ack(&f, 20, got, sizeof(got));
		CHECK(!strcmp(got, "N"));
		for (uint32_t k = 17; k <= 19; k++) {
			sack_range(&f, 15, k);
			sent_on_ack(&f, 22, got, sizeof(got));
			CHECK(!strcmp(got, want[prr][k - 17]));
		}
		CHECK_EQ(f.st->socks[s].tcb->ssthresh, 10 * MSS);
		fx_free(&f);
	}
}
