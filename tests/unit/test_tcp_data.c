/*
 * Data transfer: in-order and out-of-order delivery (SHLD-31), duplicates,
 * trimming to the receive window, delayed ACKs (SHLD-18/19, RFC 5681 §4.2),
 * segmentation by MSS (MUST-14..16, MUST-65, MUST-67) and Nagle (SHLD-7,
 * MUST-17). RFC 9293 §3.8.6, §3.10.7.4 seventh step.
 */
#include "check.h"
#include "tcp_fixture.h"

#define PEER_ISS 1000u

static uint8_t pat[70000];

/* Stream byte i of either direction is pat[i]: a pattern that shows
 * misplaced, duplicated or lost bytes. */
static void pat_init(void)
{
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 7 + i / 251 + 3);
}

/* The peer sends stream bytes [off, off+n) with window wnd. */
static void peer_data(struct fx *f, uint32_t off, uint32_t n)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_PSH, .seq = f->peer_iss + 1 + off,
				  .ack = f->our_iss + 1, .wnd = 65535, .data = pat + off, .len = n});
}

/* The peer acknowledges our stream bytes up to off, window wnd. */
static void peer_ack(struct fx *f, uint32_t peer_off, uint32_t off, uint16_t wnd)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = f->peer_iss + 1 + peer_off,
				  .ack = f->our_iss + 1 + off, .wnd = wnd});
}

/* Read everything readable; returns the count, checks it against pat
 * from stream offset *at and moves *at on (-1 on a mismatch). */
static long read_check(struct fx *f, int s, uint32_t *at)
{
	static uint8_t buf[70000];
	ssize_t n = synack_sock_recv(f->st, s, buf, sizeof(buf));
	if (n < 0)
		return n;
	if (memcmp(buf, pat + *at, (size_t)n) != 0)
		return -1000;
	*at += (uint32_t)n;
	return n;
}

static struct synack_tcp_info info(struct fx *f, int s)
{
	struct synack_tcp_info ti;
	memset(&ti, 0, sizeof(ti));
	synack_sock_info(f->st, s, &ti);
	return ti;
}

/* ------------------------------------------------------------ delivery */

/* §3.10.7.4 seventh: in-order text goes to the user at once, RCV.NXT
 * advances over it, and the user reads exactly the bytes sent. */
TEST(rfc9293_3_10_7_4_in_order_delivery)
{
	struct fx f;
	uint32_t at = 0;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	CHECK(s >= 0);
	peer_data(&f, 0, 100);
	peer_data(&f, 100, 300);
	CHECK_EQ(info(&f, s).rcv_nxt, PEER_ISS + 1 + 400);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_IN);
	CHECK_EQ(read_check(&f, s, &at), 400);
	CHECK_EQ(synack_sock_recv(f.st, s, (uint8_t[8]){0}, 8), -EAGAIN);
	fx_free(&f);
}

/* SHLD-31 and RFC 5681 §4.2: a segment past a hole is queued, not
 * delivered, and draws an immediate duplicate ACK (ack = RCV.NXT); when the
 * hole fills, everything queued is delivered in order and ACKed at once. */
TEST(shld31_out_of_order_queued_until_hole_fills)
{
	struct fx f;
	struct sn_tcp_seg o;
	uint32_t at = 0;
	struct synack_counters c;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	peer_data(&f, 200, 100); /* [200,300) */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(o.ack, PEER_ISS + 1);
	CHECK_EQ(o.len, 0);
	CHECK_EQ(fx_pending(&f), 0);
	peer_data(&f, 100, 100); /* [100,200): still a hole at 0 */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1);
	CHECK_EQ(synack_sock_recv(f.st, s, (uint8_t[8]){0}, 8), -EAGAIN);
	synack_stack_counters(f.st, &c);
	CHECK_EQ(c.ooo_segs, 2);
	peer_data(&f, 0, 100); /* fills it: an immediate ACK of all 300 */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 300);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(read_check(&f, s, &at), 300);
	fx_free(&f);
}

/* Several holes, filled from the right: every byte arrives once, in
 * order; a segment that only fills part of a gap is ACKed at once. */
TEST(shld31_several_holes_filled_in_any_order)
{
	struct fx f;
	struct sn_tcp_seg o;
	uint32_t at = 0;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	peer_data(&f, 400, 100);
	peer_data(&f, 200, 100);
	peer_data(&f, 300, 100); /* joins [200,300) and [400,500) */
	peer_data(&f, 0, 100);   /* delivers [0,100) only */
	fx_flush(&f);
	CHECK_EQ(read_check(&f, s, &at), 100);
	peer_data(&f, 100, 100); /* delivers the rest */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 500);
	CHECK_EQ(read_check(&f, s, &at), 400);
	fx_free(&f);
}

/* §3.10.7.4 first: a segment wholly before RCV.NXT is a duplicate: not
 * acceptable, answered with an ACK, nothing delivered twice. */
TEST(rfc9293_3_10_7_4_duplicate_segment_delivered_once)
{
	struct fx f;
	struct sn_tcp_seg o;
	uint32_t at = 0;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	peer_data(&f, 0, 100);
	fx_flush(&f);
	uint64_t seq_drops = fx_counter_drop(&f, SYNACK_DROP_SEQ);
	peer_data(&f, 0, 100);
	CHECK(fx_out(&f, &o)); /* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(o.seq, f.our_iss + 1);
	CHECK_EQ(o.ack, PEER_ISS + 1 + 100);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_SEQ), seq_drops + 1);
	CHECK_EQ(read_check(&f, s, &at), 100);
	CHECK_EQ(synack_sock_recv(f.st, s, (uint8_t[8]){0}, 8), -EAGAIN);
	fx_free(&f);
}

/* §3.10.7.4: a retransmission overlapping what was received is trimmed to
 * its new bytes; the old ones are not delivered again. */
TEST(rfc9293_3_10_7_4_overlapping_retransmission_trimmed)
{
	struct fx f;
	uint32_t at = 0;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	peer_data(&f, 0, 100);
	peer_data(&f, 50, 100); /* [50,150): 50 old, 50 new */
	CHECK_EQ(info(&f, s).rcv_nxt, PEER_ISS + 1 + 150);
	CHECK_EQ(read_check(&f, s, &at), 150);
	fx_free(&f);
}

/* Overlaps among out-of-order segments, and a hole-filler that overlaps
 * queued data on both sides: each byte is delivered once, in place. */
TEST(shld31_overlapping_out_of_order_segments_delivered_once)
{
	struct fx f;
	struct sn_tcp_seg o;
	uint32_t at = 0;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	peer_data(&f, 100, 100); /* [100,200) */
	peer_data(&f, 150, 150); /* [150,300) */
	peer_data(&f, 120, 20);  /* inside what is queued */
	peer_data(&f, 400, 50);  /* [400,450) */
	fx_flush(&f);
	peer_data(&f, 0, 120); /* [0,120): delivers up to 300 */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 300);
	peer_data(&f, 250, 200); /* [250,450): overlaps both sides */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 450);
	CHECK_EQ(read_check(&f, s, &at), 450);
	CHECK_EQ(synack_sock_recv(f.st, s, (uint8_t[8]){0}, 8), -EAGAIN);
	fx_free(&f);
}

/* §3.10.7.4 first (trimming) and §3.8.6.1: text beyond RCV.NXT+RCV.WND is
 * cut off and counted; the rest is kept and ACKed at once, showing the
 * closed window. A FIN past the window is cut with the text. */
TEST(rfc9293_3_10_7_4_data_beyond_window_trimmed)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;
	uint32_t at = 0;

	pat_init();
	synack_config_default(&c);
	c.rcvbuf = 1000;
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	CHECK_EQ(info(&f, s).rcv_wnd, 1000);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_FIN, .seq = PEER_ISS + 1,
				   .ack = f.our_iss + 1, .wnd = 65535, .data = pat, .len = 1400});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK); /* the FIN was trimmed away: not ACKed */
	CHECK_EQ(o.ack, PEER_ISS + 1 + 1000);
	CHECK_EQ(o.wnd, 0);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_RCV_WINDOW), 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK_EQ(read_check(&f, s, &at), 1000);
	fx_free(&f);
}

/* A segment starting before RCV.NXT and ending past the window is trimmed
 * on both sides. */
TEST(rfc9293_3_10_7_4_trim_both_edges)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;
	uint32_t at = 0;

	pat_init();
	synack_config_default(&c);
	c.rcvbuf = 1000;
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	peer_data(&f, 0, 300);
	fx_wait(&f, 100 * FX_MS);
	fx_flush(&f);
	peer_data(&f, 200, 1200); /* [200,1400): window ends at 1000 */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 1000);
	CHECK_EQ(read_check(&f, s, &at), 1000);
	fx_free(&f);
}

/* A FIN after a hole is held until the hole fills (§3.10.7.4 eighth:
 * only a FIN at RCV.NXT is processed); then data and end of stream. */
TEST(rfc9293_3_10_7_4_out_of_order_fin_waits_for_hole)
{
	struct fx f;
	struct sn_tcp_seg o;
	uint32_t at = 0;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_FIN, .seq = PEER_ISS + 1 + 100,
				   .ack = f.our_iss + 1, .wnd = 65535, .data = pat + 100, .len = 100});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	peer_data(&f, 0, 100);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 200 + 1); /* data and FIN */
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSE_WAIT);
	CHECK_EQ(read_check(&f, s, &at), 200);
	CHECK_EQ(synack_sock_recv(f.st, s, (uint8_t[8]){0}, 8), 0);
	fx_free(&f);
}

/* ------------------------------------------------------------ delayed ACK */

/* SHLD-18 / MUST-40: one in-order segment is ACKed by the delayed-ACK
 * timer, delack_us later (< 500 ms), not at once. */
TEST(shld18_single_segment_acked_after_delack)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;
	struct synack_counters k;

	pat_init();
	synack_config_default(&c);
	c.delack_us = 100 * FX_MS;
	CHECK_EQ(fx_init(&f, &c), 0);
	fx_passive_established(&f, PEER_ISS);
	peer_data(&f, 0, 100);
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 100 * FX_MS - 1);
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 1);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(o.ack, PEER_ISS + 1 + 100);
	CHECK_EQ(fx_pending(&f), 0);
	synack_stack_counters(f.st, &k);
	CHECK_EQ(k.delayed_acks, 1);
	fx_wait(&f, 10 * FX_SEC); /* and nothing more */
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* MUST-40: the delay can never be configured to 500 ms or more. */
TEST(must40_delack_below_500ms_enforced)
{
	struct synack_config c;
	synack_stack *st;

	synack_config_default(&c);
	CHECK(c.delack_us < 500 * FX_MS);
	c.addr = FX_US;
	c.delack_us = 500 * FX_MS;
	CHECK_EQ(synack_stack_create(&c, &st), -EINVAL);
	c.delack_us = 499 * FX_MS;
	CHECK_EQ(synack_stack_create(&c, &st), 0);
	c.delack_us = 600 * FX_MS;
	CHECK_EQ(synack_stack_reconfigure(st, &c), -EINVAL);
	synack_stack_destroy(st);
}

/* SHLD-19 / RFC 5681 §4.2: an ACK for at least every second full-sized
 * segment goes at once; a third segment waits for the timer again. */
TEST(shld19_every_second_full_segment_acked_at_once)
{
	struct fx f;
	struct sn_tcp_seg o;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	fx_passive_established(&f, PEER_ISS);
	peer_data(&f, 0, 1460);
	CHECK_EQ(fx_pending(&f), 0);
	peer_data(&f, 1460, 1460);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 2920);
	CHECK_EQ(fx_pending(&f), 0);
	peer_data(&f, 2920, 1460);
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 40 * FX_MS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 3 * 1460);
	fx_free(&f);
}

/* MUST-58/59: six segments arriving back to back draw three ACKs, each
 * covering everything received so far. */
TEST(must58_acks_aggregated_over_a_burst)
{
	struct fx f;
	struct sn_tcp_seg o;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	fx_passive_established(&f, PEER_ISS);
	for (uint32_t i = 0; i < 6; i++)
		peer_data(&f, i * 1460, 1460);
	for (uint32_t i = 1; i <= 3; i++) {
		CHECK(fx_out(&f, &o));
		CHECK_EQ(o.ack, PEER_ISS + 1 + i * 2920);
	}
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* Data we send carries the ACK that the delayed-ACK timer would have
 * sent: the timer then sends nothing. */
TEST(shld18_delayed_ack_piggybacked_on_data)
{
	struct fx f;
	struct sn_tcp_seg o;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	peer_data(&f, 0, 100);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 50), 50);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.len, 50);
	CHECK_EQ(o.ack, PEER_ISS + 1 + 100);
	fx_wait(&f, 40 * FX_MS);
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* ------------------------------------------------------------ sending */

/* §3.7: a large SEND goes out in MSS-sized segments, the initial window's
 * worth at once (RFC 5681 IW = 3 segments for SMSS 1460), each carrying
 * the right bytes; the short tail waits for an ACK (Nagle, SHLD-7) and
 * carries PSH. */
TEST(rfc9293_3_7_send_segmented_by_mss)
{
	struct fx f;
	struct sn_tcp_seg o;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 4000), 4000);
	for (uint32_t i = 0; i < 2; i++) {
		CHECK(fx_out(&f, &o));
		CHECK_EQ(o.seq, f.our_iss + 1 + i * 1460);
		CHECK_EQ(o.len, 1460);
		CHECK_EQ(memcmp(o.payload, pat + i * 1460, 1460), 0);
		CHECK_EQ(o.flags, SN_TCP_ACK);
		CHECK(!o.opts.has_mss); /* MUST-65 */
	}
	CHECK_EQ(fx_pending(&f), 0);
	peer_ack(&f, 0, 2920, 65535);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, f.our_iss + 1 + 2920);
	CHECK_EQ(o.len, 1080);
	CHECK_EQ(o.flags, SN_TCP_ACK | SN_TCP_PSH);
	CHECK_EQ(memcmp(o.payload, pat + 2920, 1080), 0);
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* MUST-14 / MUST-67: our SYN carries an MSS option of MTU - 40. */
TEST(must14_must67_syn_carries_mss_from_mtu)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN);
	CHECK(o.opts.has_mss);
	CHECK_EQ(o.opts.mss, 1460);
	fx_free(&f);

	synack_config_default(&c);
	c.mtu = 1000;
	CHECK_EQ(fx_init(&f, &c), 0);
	s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	CHECK(o.opts.has_mss);
	CHECK_EQ(o.opts.mss, 960);
	fx_free(&f);

	/* and on the SYN,ACK of a passive open */
	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK(fx_listen(&f) >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = PEER_ISS, .wnd = 65535, .mss = 1460});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK(o.opts.has_mss);
	CHECK_EQ(o.opts.mss, 960);
	fx_free(&f);
}

/* MUST-15: without an MSS option from the peer, we send at most 536. */
TEST(must15_default_send_mss_536)
{
	struct fx f;
	struct sn_tcp_seg o;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK(fx_listen(&f) >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = PEER_ISS, .wnd = 65535});
	CHECK(fx_out(&f, &o));
	f.our_iss = o.seq;
	f.peer_iss = PEER_ISS;
	peer_ack(&f, 0, 0, 65535);
	int s = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK(s >= 0);
	int mss = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_TCP_MAXSEG, &mss), 0);
	CHECK_EQ(mss, 536);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 3000), 3000);
	uint32_t total = 0;
	while (fx_out(&f, &o)) {
		CHECK_EQ(o.len, 536);
		total += o.len;
	}
	CHECK_EQ(total, 4 * 536); /* IW for SMSS 536 is 4 segments */
	fx_free(&f);
}

/* MUST-16: segments never exceed the peer's MSS, nor our own MTU when
 * the peer offers more. */
TEST(must16_segments_bounded_by_effective_mss)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT};

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	f.our_iss = o.seq;
	f.peer_iss = PEER_ISS;
	f.our_port = o.sport;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = PEER_ISS,
				   .ack = o.seq + 1, .wnd = 65535, .mss = 700});
	fx_flush(&f);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 3000), 3000);
	uint32_t total = 0;
	while (fx_out(&f, &o)) {
		CHECK(o.len <= 700);
		CHECK_EQ(memcmp(o.payload, pat + total, o.len), 0);
		total += o.len;
	}
	CHECK_EQ(total, 2800); /* IW 4 * 700 */
	fx_free(&f);

	/* a peer MSS above our MTU - 40 is bounded by ours */
	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK(fx_listen(&f) >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = PEER_ISS, .wnd = 65535, .mss = 9000});
	CHECK(fx_out(&f, &o));
	f.our_iss = o.seq;
	f.peer_iss = PEER_ISS;
	peer_ack(&f, 0, 0, 65535);
	s = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 3000), 3000);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.len, 1460);
	CHECK(f.last.len <= 1500);
	fx_free(&f);
}

/* MUST-67 with a lowered MTU: segments we send fit the MTU too. */
TEST(must67_lowered_mtu_bounds_segments)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;

	pat_init();
	synack_config_default(&c);
	c.mtu = 576;
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = fx_passive_established(&f, PEER_ISS); /* the peer offers 1460 */
	int mss = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_TCP_MAXSEG, &mss), 0);
	CHECK_EQ(mss, 536);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 2000), 2000);
	while (fx_out(&f, &o)) {
		CHECK(o.len <= 536);
		CHECK(f.last.len <= 576);
	}
	fx_free(&f);
}

/* ------------------------------------------------------------ Nagle */

/* SHLD-7 (§3.7.4): with data outstanding, a small segment waits until
 * the outstanding data is ACKed; then it goes, everything queued in one
 * segment. */
TEST(shld7_nagle_small_segment_waits_for_ack)
{
	struct fx f;
	struct sn_tcp_seg o;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 10), 10);
	CHECK(fx_out(&f, &o)); /* nothing outstanding: goes at once */
	CHECK_EQ(o.len, 10);
	CHECK_EQ(synack_sock_send(f.st, s, pat + 10, 10), 10);
	CHECK_EQ(synack_sock_send(f.st, s, pat + 20, 10), 10);
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 50 * FX_MS);
	peer_ack(&f, 0, 10, 65535);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, f.our_iss + 1 + 10);
	CHECK_EQ(o.len, 20);
	CHECK_EQ(memcmp(o.payload, pat + 10, 20), 0);
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* SHLD-7: a full-sized segment goes even with data outstanding; only the
 * small tail waits. */
TEST(shld7_nagle_full_segment_always_goes)
{
	struct fx f;
	struct sn_tcp_seg o;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 10), 10);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(synack_sock_send(f.st, s, pat + 10, 1500), 1500);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, f.our_iss + 1 + 10);
	CHECK_EQ(o.len, 1460);
	CHECK_EQ(fx_pending(&f), 0); /* the 40-byte tail waits */
	peer_ack(&f, 0, 1470, 65535);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, f.our_iss + 1 + 1470);
	CHECK_EQ(o.len, 40);
	fx_free(&f);
}

/* MUST-17: TCP_NODELAY turns Nagle off: small segments go at once, and
 * setting it sends what Nagle was holding. */
TEST(must17_nodelay_sends_small_segments_at_once)
{
	struct fx f;
	struct sn_tcp_seg o;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 10), 10);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(synack_sock_send(f.st, s, pat + 10, 10), 10);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_NODELAY, 1), 0);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, f.our_iss + 1 + 10);
	CHECK_EQ(o.len, 10);
	CHECK_EQ(synack_sock_send(f.st, s, pat + 20, 5), 5);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, f.our_iss + 1 + 20);
	CHECK_EQ(o.len, 5);
	CHECK_EQ(memcmp(o.payload, pat + 20, 5), 0);
	fx_free(&f);
}
