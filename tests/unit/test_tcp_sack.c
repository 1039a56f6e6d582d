/*
 * SACK, both sides, against a scripted peer: the receiver's blocks (RFC 2018
 * §4: every ACK while data is queued out of order, the block with the latest
 * segment first, as many as fit), D-SACK (RFC 2883 §4, tcp_dsack), and the
 * sender's scoreboard and RFC 6675 loss recovery (IsLost, pipe, NextSeg,
 * entry on the DupThresh-th SACKed segment, RecoveryPoint, exit, RTO per
 * §5.1), with RFC 2018 §8's rules for blocks that cannot be trusted. The
 * sender's tests run with tcp_recovery 0: RACK (test_tcp_rack.c) replaces
 * DupThresh loss detection when it is on.
 */
#include "check.h"
#include "stack/stack.h"
#include "tcp/tcb.h"
#include "tcp_fixture.h"

#define PEER_ISS 5000u
#define MSS 1000u

static uint8_t pat[64000];

static void pat_init(void)
{
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 13 + i / 97 + 1);
}

static struct synack_counters counters(struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c;
}

/* ESTABLISHED by a passive open whose SYN offered SACK-permitted (and
 * timestamps when ts), MSS 1000. tcp_sack is on unless c says otherwise. */
static int sack_conn(struct fx *f, struct synack_config *c, int ts)
{
	struct synack_config d;

	if (!c) {
		synack_config_default(&d);
		d.tcp_sack = 1;
		/* RFC 6675 (4.2) as written: ssthresh = FlightSize / 2 */
		d.tcp_congestion_control = SYNACK_CC_RENO;
		/* RFC 6675's DupThresh loss detection, not RACK (test_tcp_rack.c) */
		d.tcp_recovery = 0;
		c = &d;
	}
	pat_init();
	if (fx_init(f, c))
		return -1;
	int s = fx_passive_open_syn(f, &(struct fx_seg){.seq = PEER_ISS, .wnd = 65535, .mss = MSS,
							.sack_ok = 1, .ts = (uint8_t)ts, .tsval = 100},
				    NULL);
	fx_flush(f);
	return s;
}

static struct sn_tcb *tcb_of(struct fx *f, int s)
{
	return f->st->socks[s].tcb;
}

/* Peer data at offset off (bytes past its ISN + 1). */
static void peer_data(struct fx *f, uint32_t off, uint32_t len)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1 + off,
				  .ack = f->our_iss + 1, .wnd = 65535, .data = pat + off,
				  .len = len});
}

#define R(o) (PEER_ISS + 1 + (o)) /* the peer's sequence number at offset o */

/* ---------------------------------------------------------- receiver */

/* RFC 2018 §4: each out-of-order segment is ACKed at once with SACK
 * blocks; the first holds the segment just received, the rest follow from
 * the most recently reported; without timestamps four fit. */
TEST(rfc2018_4_every_ack_carries_blocks_latest_first)
{
	struct fx f;
	struct sn_tcp_seg o;
	int s = sack_conn(&f, NULL, 0);
	CHECK(s >= 0);
	static const uint32_t at[] = {2000, 6000, 4000, 8000, 10000};
	for (int i = 0; i < 5; i++) {
		peer_data(&f, at[i], 1000);
		CHECK(fx_out(&f, &o));
		CHECK_EQ(o.ack, R(0));
		CHECK_EQ(o.opts.nsack, i + 1 < 4 ? i + 1 : 4);
		CHECK_EQ(o.opts.sack[0].left, R(at[i]));
		CHECK_EQ(o.opts.sack[0].right, R(at[i] + 1000));
	}
	/* the last ACK: 10000, 8000, 4000, 6000 (2000 is the oldest: left out) */
	CHECK_EQ(o.opts.sack[1].left, R(8000));
	CHECK_EQ(o.opts.sack[2].left, R(4000));
	CHECK_EQ(o.opts.sack[3].left, R(6000));
	/* a segment that extends [4000, 5000) makes that block first again */
	peer_data(&f, 5000, 500);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.opts.sack[0].left, R(4000));
	CHECK_EQ(o.opts.sack[0].right, R(5500));
	CHECK_EQ(o.opts.sack[1].left, R(10000));
	/* filling the first hole ACKs through [2000, 3000) and drops that block */
	peer_data(&f, 0, 2000);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, R(3000));
	CHECK_EQ(o.opts.nsack, 4);
	for (int i = 0; i < 4; i++)
		CHECK(seq_gt(o.opts.sack[i].left, R(3000)));
	/* everything in: no blocks */
	peer_data(&f, 3000, 1000);
	peer_data(&f, 5500, 500);
	peer_data(&f, 7000, 1000);
	peer_data(&f, 9000, 1000);
	while (fx_out(&f, &o))
		;
	CHECK_EQ(o.ack, R(11000));
	CHECK_EQ(o.opts.nsack, 0);
	fx_free(&f);
}

/* With timestamps the option space holds three blocks (RFC 2018 §3). */
TEST(rfc2018_3_three_blocks_beside_timestamps)
{
	struct fx f;
	struct sn_tcp_seg o;
	int s = sack_conn(&f, NULL, 1);
	CHECK(s >= 0);
	for (uint32_t i = 1; i <= 4; i++) {
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = R(2000 * i),
					   .ack = f.our_iss + 1, .wnd = 65535, .data = pat,
					   .len = 1000, .ts = 1, .tsval = 200 + i});
		CHECK(fx_out(&f, &o));
	}
	CHECK(o.opts.has_ts);
	CHECK_EQ(o.opts.nsack, 3);
	CHECK_EQ(o.opts.sack[0].left, R(8000));
	CHECK_EQ(o.hdr_len, 60);
	fx_free(&f);
}

/* RFC 2018 §4 applies only when SACK-permitted was negotiated. */
TEST(rfc2018_4_no_blocks_without_sack_permitted)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;
	synack_config_default(&c);
	c.tcp_sack = 0;
	int s = sack_conn(&f, &c, 0);
	CHECK(s >= 0);
	peer_data(&f, 2000, 1000);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, R(0));
	CHECK_EQ(o.opts.nsack, 0);
	CHECK_EQ(o.hdr_len, 20);
	fx_free(&f);
}

/* RFC 2883 §4.1.1: a segment below RCV.NXT is ACKed with a D-SACK block
 * naming it; §4.1.2: a duplicate of queued out-of-order data is reported
 * first, then the block that holds it. Reported once. */
TEST(rfc2883_4_dsack_for_duplicate_segments)
{
	struct fx f;
	struct sn_tcp_seg o;
	int s = sack_conn(&f, NULL, 0);
	CHECK(s >= 0);
	peer_data(&f, 0, 1000);
	peer_data(&f, 1000, 1000); /* second segment: ACKed at once (SHLD-19) */
	while (fx_out(&f, &o))
		;
	peer_data(&f, 0, 1000); /* old */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, R(2000));
	CHECK_EQ(o.opts.nsack, 1);
	CHECK_EQ(o.opts.sack[0].left, R(0));
	CHECK_EQ(o.opts.sack[0].right, R(1000));
	/* partly old: the old part only */
	peer_data(&f, 1500, 1000);
	fx_wait(&f, 500 * FX_MS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, R(2500));
	CHECK_EQ(o.opts.nsack, 1);
	CHECK_EQ(o.opts.sack[0].left, R(1500));
	CHECK_EQ(o.opts.sack[0].right, R(2000));
	/* out of order, then again */
	peer_data(&f, 5000, 1000);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.opts.nsack, 1);
	peer_data(&f, 5000, 1000);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.opts.nsack, 2);
	CHECK_EQ(o.opts.sack[0].left, R(5000));
	CHECK_EQ(o.opts.sack[0].right, R(6000));
	CHECK_EQ(o.opts.sack[1].left, R(5000));
	CHECK_EQ(o.opts.sack[1].right, R(6000));
	/* the next ACK no longer carries it */
	peer_data(&f, 7000, 1000);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.opts.nsack, 2);
	CHECK_EQ(o.opts.sack[0].left, R(7000));
	CHECK_EQ(counters(&f).dsack_sent, 3);
	fx_free(&f);
}

/* tcp_dsack = 0: duplicates are ACKed without a D-SACK block. */
TEST(knob_tcp_dsack_off)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;
	synack_config_default(&c);
	c.tcp_sack = 1;
	c.tcp_dsack = 0;
	int s = sack_conn(&f, &c, 0);
	CHECK(s >= 0);
	peer_data(&f, 0, 1000);
	fx_wait(&f, 500 * FX_MS);
	fx_flush(&f);
	peer_data(&f, 0, 1000);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, R(1000));
	CHECK_EQ(o.opts.nsack, 0);
	fx_free(&f);
}

/* ---------------------------------------------------------- sender */

/* Queue n segments of MSS bytes with cwnd opened to let them all out;
 * consume what we send. Our sequence number at offset o is S(o). */
static void send_segs(struct fx *f, int s, int n)
{
	struct sn_tcb *tcb = tcb_of(f, s);
	tcb->cwnd = 40 * MSS;
	CHECK_EQ(synack_sock_send(f->st, s, pat, (size_t)n * MSS), (ssize_t)n * MSS);
	struct sn_tcp_seg o;
	int got = 0;
	while (fx_out(f, &o))
		got++;
	CHECK_EQ(got, n);
}

#define S(o) (f.our_iss + 1 + (o))

/* An ACK from the peer: cumulative ack at our offset a, blocks in offsets. */
static void peer_ack(struct fx *f, uint32_t a, int n, const uint32_t (*b)[2])
{
	struct fx_seg seg = {.flags = SN_TCP_ACK, .seq = R(0), .ack = f->our_iss + 1 + a,
			     .wnd = 65535, .nsack = (uint8_t)n};
	for (int i = 0; i < n; i++) {
		seg.sack[i].left = f->our_iss + 1 + b[i][0];
		seg.sack[i].right = f->our_iss + 1 + b[i][1];
	}
	fx_in(f, &seg);
}

/* Without RACK (tcp_recovery 0) the scoreboard exists only once a block
 * arrives; the TCB itself holds only a pointer to it (issue #6: small
 * TCBs). With RACK it comes with the first data sent (test_tcp_rack.c). */
TEST(rfc6675_scoreboard_allocated_on_first_block)
{
	struct fx f;
	int s = sack_conn(&f, NULL, 0);
	CHECK(s >= 0);
	send_segs(&f, s, 4);
	CHECK(tcb_of(&f, s)->sb == NULL);
	peer_ack(&f, MSS, 0, NULL);
	CHECK(tcb_of(&f, s)->sb == NULL);
	peer_ack(&f, MSS, 1, (const uint32_t[][2]){{2 * MSS, 3 * MSS}});
	CHECK(tcb_of(&f, s)->sb != NULL);
	CHECK_EQ(tcp_sack_sacked_bytes(tcb_of(&f, s)), MSS);
	CHECK_EQ(f.st->sack_pool.live, 1);
	synack_sock_abort(f.st, s);
	CHECK_EQ(f.st->sack_pool.live, 0);
	fx_free(&f);
}

/* RFC 6675 §5 (1)-(4): two SACKed segments are not enough; the third
 * SACKed segment (DupThresh) starts recovery: RecoveryPoint = HighData,
 * ssthresh = cwnd = FlightSize / 2, the first hole is retransmitted. */
TEST(rfc6675_5_recovery_on_dupthresh_sacked_segments)
{
	struct fx f;
	struct sn_tcp_seg o;
	int s = sack_conn(&f, NULL, 0);
	CHECK(s >= 0);
	send_segs(&f, s, 10);
	struct sn_tcb *tcb = tcb_of(&f, s);
	peer_ack(&f, 0, 1, (const uint32_t[][2]){{1 * MSS, 2 * MSS}});
	peer_ack(&f, 0, 1, (const uint32_t[][2]){{1 * MSS, 3 * MSS}});
	CHECK_EQ(fx_pending(&f), 0);
	CHECK(!tcb->in_recovery);
	CHECK(!tcp_sack_is_lost(tcb, S(0)));
	peer_ack(&f, 0, 1, (const uint32_t[][2]){{1 * MSS, 4 * MSS}});
	CHECK(tcb->in_recovery && tcb->sack_recovery);
	CHECK(tcp_sack_is_lost(tcb, S(0)));
	CHECK_EQ(tcb->recover, S(10 * MSS));
	CHECK_EQ(tcb->ssthresh, 5 * MSS);
	/* PRR (RFC 6937): cwnd = pipe (6 unSACKed not lost, 4..9) + sndcnt
	 * (the fast retransmit) */
	CHECK_EQ(tcb->cwnd, 7 * MSS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, S(0));
	CHECK_EQ(o.len, MSS);
	/* pipe: 6 unSACKed not lost (4..9) + 1 retransmitted = 7 = cwnd */
	CHECK_EQ(tcp_sack_pipe(tcb), 7 * MSS);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(counters(&f).sack_recoveries, 1);
	fx_free(&f);
}

/* The congestion control algorithm decides the reduction on entry (cc.h:
 * tcp_cc_congestion_event): CUBIC's ssthresh is 0.7 FlightSize (RFC 9438
 * §4.6), and pipe still governs what goes out. */
TEST(rfc6675_4_2_reduction_from_the_connection_algorithm)
{
	struct fx f;
	struct synack_config c;
	synack_config_default(&c);
	c.tcp_sack = 1;
	c.tcp_congestion_control = SYNACK_CC_CUBIC;
	c.tcp_recovery = 0;
	int s = sack_conn(&f, &c, 0);
	CHECK(s >= 0);
	send_segs(&f, s, 10);
	struct sn_tcb *tcb = tcb_of(&f, s);
	peer_ack(&f, 0, 1, (const uint32_t[][2]){{1 * MSS, 4 * MSS}});
	CHECK(tcb->sack_recovery);
	CHECK_EQ(tcb->ssthresh, 7 * MSS);
	CHECK_EQ(tcb->cwnd, 7 * MSS);
	fx_free(&f);
}

/* Several holes: NextSeg rule (1) retransmits each lost hole once, lowest
 * first, as pipe falls below cwnd; rule (2) then sends new data; the
 * cumulative ACK of RecoveryPoint ends recovery with cwnd = ssthresh. */
TEST(rfc6675_nextseg_multiple_holes_and_recovery_exit)
{
	struct fx f;
	struct sn_tcp_seg o;
	int s = sack_conn(&f, NULL, 0);
	CHECK(s >= 0);
	send_segs(&f, s, 10);
	struct sn_tcb *tcb = tcb_of(&f, s);
	tcb->cwnd = 10 * MSS;
	CHECK_EQ(synack_sock_send(f.st, s, pat, 5 * MSS), 5 * MSS); /* waits: cwnd full */
	CHECK_EQ(fx_pending(&f), 0);
	/* lost: 0, 3, 6; the peer has 1-2, 4-5, 7-9 */
	static const uint32_t b[][2] = {{7 * MSS, 10 * MSS}, {4 * MSS, 6 * MSS}, {1 * MSS, 3 * MSS}};
	peer_ack(&f, 0, 3, b);
	CHECK(tcb->in_recovery);
	CHECK(tcp_sack_is_lost(tcb, S(3 * MSS)));
	CHECK(tcp_sack_is_lost(tcb, S(6 * MSS)));
	/* cwnd 5 MSS; pipe after the first retransmission = 1: three lost
	 * holes go out, then new data while pipe < cwnd */
	uint32_t want[] = {0, 3 * MSS, 6 * MSS, 10 * MSS, 11 * MSS};
	for (int i = 0; i < 5; i++) {
		CHECK(fx_out(&f, &o));
		CHECK_EQ(o.seq, S(want[i]));
	}
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(counters(&f).retrans_segs, 3);
	/* a partial ACK: nothing retransmitted twice, recovery goes on */
	peer_ack(&f, 3 * MSS, 2, (const uint32_t[][2]){{7 * MSS, 10 * MSS}, {4 * MSS, 6 * MSS}});
	CHECK(tcb->in_recovery);
	CHECK_EQ(counters(&f).retrans_segs, 3);
	while (fx_out(&f, &o))
		CHECK(seq_geq(o.seq, S(12 * MSS)));
	/* RecoveryPoint (10 MSS) acknowledged: recovery ends */
	peer_ack(&f, 10 * MSS, 0, NULL);
	CHECK(!tcb->in_recovery && !tcb->sack_recovery);
	CHECK_EQ(tcb->cwnd, 5 * MSS);
	fx_free(&f);
}

/* RFC 2018 §8, RFC 6675 §1: blocks outside (SND.UNA, SND.MAX] are
 * ignored and counted; they neither start recovery nor fill the board. */
TEST(rfc2018_8_blocks_outside_the_window_ignored)
{
	struct fx f;
	int s = sack_conn(&f, NULL, 0);
	CHECK(s >= 0);
	send_segs(&f, s, 4);
	struct sn_tcb *tcb = tcb_of(&f, s);
	peer_ack(&f, MSS, 0, NULL);
	for (int i = 0; i < 4; i++) /* past SND.MAX, inverted, at SND.UNA */
		peer_ack(&f, MSS, 3,
			 (const uint32_t[][2]){{3 * MSS, 9 * MSS}, {3 * MSS, 2 * MSS}, {MSS, 2 * MSS}});
	CHECK_EQ(counters(&f).sack_discard, 12);
	CHECK_EQ(tcp_sack_sacked_bytes(tcb), 0);
	CHECK(!tcb->in_recovery);
	CHECK_EQ(fx_pending(&f), 0);
	/* a D-SACK (below the cumulative ACK) is counted, not recorded */
	peer_ack(&f, MSS, 1, (const uint32_t[][2]){{0, MSS}});
	CHECK_EQ(counters(&f).dsack_recv, 1);
	CHECK_EQ(tcp_sack_sacked_bytes(tcb), 0);
	fx_free(&f);
}

/* Reneging (RFC 2018 §8): the receiver may drop what it SACKed. A
 * cumulative ACK that lands inside SACKed data clears the scoreboard, and
 * SACKed data stays in the send buffer until cumulatively ACKed. */
TEST(rfc2018_8_reneging_clears_scoreboard_data_kept)
{
	struct fx f;
	int s = sack_conn(&f, NULL, 0);
	CHECK(s >= 0);
	send_segs(&f, s, 6);
	struct sn_tcb *tcb = tcb_of(&f, s);
	peer_ack(&f, 0, 1, (const uint32_t[][2]){{2 * MSS, 5 * MSS}});
	CHECK_EQ(tcp_sack_sacked_bytes(tcb), 3 * MSS);
	CHECK_EQ(sn_ring_len(&tcb->sndbuf), 6 * MSS);
	peer_ack(&f, 3 * MSS, 0, NULL);
	CHECK_EQ(counters(&f).sack_reneging, 1);
	CHECK_EQ(tcp_sack_sacked_bytes(tcb), 0);
	CHECK_EQ(sn_ring_len(&tcb->sndbuf), 3 * MSS);
	fx_free(&f);
}

/* RFC 6675 §5.1: the scoreboard outlives the RTO. Every unSACKed octet
 * below RecoveryPoint is lost; the resends, in slow start from one
 * segment, cover the holes only, and no new recovery starts before
 * RecoveryPoint is ACKed. */
TEST(rfc6675_5_1_rto_keeps_scoreboard_resends_only_holes)
{
	struct fx f;
	struct sn_tcp_seg o;
	int s = sack_conn(&f, NULL, 0);
	CHECK(s >= 0);
	send_segs(&f, s, 8);
	struct sn_tcb *tcb = tcb_of(&f, s);
	/* holes [0, 2) and [4, 5): both lost by DupThresh's byte rule */
	const uint32_t blocks[][2] = {{2 * MSS, 4 * MSS}, {5 * MSS, 8 * MSS}};
	peer_ack(&f, 0, 2, blocks);
	CHECK(tcb->in_recovery);
	for (uint32_t off = 0; off < 8 * MSS; off += MSS)
		if (off < 2 * MSS || off == 4 * MSS)
			CHECK(fx_out(&f, &o) && o.seq == S(off));
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, tcb->deadline[SN_T_REXMT] - f.now); /* every resend was lost */
	CHECK(!tcb->in_recovery && !tcb->sack_recovery);
	CHECK_EQ(counters(&f).sack_recovery_fail, 1);
	CHECK_EQ(tcp_sack_sacked_bytes(tcb), 5 * MSS);
	CHECK_EQ(tcb->recover, S(8 * MSS));
	CHECK(tcp_sack_is_lost(tcb, S(4 * MSS)) && !tcp_sack_is_lost(tcb, S(5 * MSS)));
	CHECK(fx_out(&f, &o) && o.seq == S(0) && o.len == MSS); /* cwnd: one segment */
	CHECK_EQ(fx_pending(&f), 0);
	peer_ack(&f, MSS, 2, blocks); /* cwnd 2: the rest of the holes, nothing SACKed */
	CHECK(fx_out(&f, &o) && o.seq == S(1 * MSS));
	CHECK(fx_out(&f, &o) && o.seq == S(4 * MSS));
	CHECK_EQ(fx_pending(&f), 0);
	CHECK(!tcb->in_recovery); /* HighACK < RecoveryPoint: no new recovery */
	peer_ack(&f, 8 * MSS, 0, NULL);
	CHECK_EQ(sn_ring_len(&tcb->sndbuf), 0);
	CHECK_EQ(counters(&f).retrans_segs, 6);
	fx_free(&f);
}

/* The timeout counters, named as Linux's tcp_retransmit_timer counts
 * them: one SACKed segment is not enough for DupThresh, so the RTO finds
 * SACKed data outside recovery (TcpExtTCPSackFailures); it keeps the
 * block and resends the hole below it only. */
TEST(rfc6675_5_1_rto_outside_recovery_counted)
{
	struct fx f;
	struct sn_tcp_seg o;
	int s = sack_conn(&f, NULL, 0);
	CHECK(s >= 0);
	send_segs(&f, s, 3);
	struct sn_tcb *tcb = tcb_of(&f, s);
	peer_ack(&f, 0, 1, (const uint32_t[][2]){{2 * MSS, 3 * MSS}});
	CHECK(!tcb->in_recovery);
	fx_wait(&f, tcb->deadline[SN_T_REXMT] - f.now);
	CHECK_EQ(counters(&f).sack_failures, 1);
	CHECK_EQ(counters(&f).sack_recovery_fail + counters(&f).loss_failures, 0);
	CHECK(fx_out(&f, &o) && o.seq == S(0));
	peer_ack(&f, MSS, 1, (const uint32_t[][2]){{2 * MSS, 3 * MSS}});
	CHECK(fx_out(&f, &o) && o.seq == S(MSS));
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* A forged block (or one the receiver reneged on, RFC 2018 §8) cannot
 * make us skip data: the first cumulative ACK after the RTO lands on the
 * range, clears the scoreboard, and everything from there goes again. */
TEST(rfc6675_5_1_rto_forged_block_found_by_the_cumulative_ack)
{
	struct fx f;
	struct sn_tcp_seg o;
	int s = sack_conn(&f, NULL, 0);
	CHECK(s >= 0);
	send_segs(&f, s, 6);
	struct sn_tcb *tcb = tcb_of(&f, s);
	/* the "peer" claims 1..5 but holds none of it */
	peer_ack(&f, 0, 1, (const uint32_t[][2]){{1 * MSS, 6 * MSS}});
	CHECK(tcb->in_recovery);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, S(0));
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, tcb->deadline[SN_T_REXMT] - f.now); /* the RTO */
	CHECK_EQ(tcp_sack_sacked_bytes(tcb), 5 * MSS);
	CHECK(fx_out(&f, &o) && o.seq == S(0));
	CHECK_EQ(fx_pending(&f), 0);
	uint32_t next = MSS;
	for (int i = 0; i < 4 && next < 6 * MSS; i++) {
		peer_ack(&f, next, 0, NULL);
		while (fx_out(&f, &o)) {
			CHECK_EQ(o.seq, S(next));
			next += o.len;
		}
	}
	CHECK_EQ(next, 6 * MSS);
	CHECK_EQ(counters(&f).sack_reneging, 1);
	CHECK_EQ(tcp_sack_sacked_bytes(tcb), 0);
	CHECK(!tcb->in_recovery);
	fx_free(&f);
}

/* The peer's SACK blocks are ignored without SACK-permitted: NewReno
 * (RFC 6582) on the third duplicate ACK, no scoreboard. */
TEST(rfc6582_newreno_without_sack_permitted)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;
	synack_config_default(&c);
	c.tcp_sack = 0;
	int s = sack_conn(&f, &c, 0);
	CHECK(s >= 0);
	send_segs(&f, s, 6);
	for (uint32_t i = 2; i <= 4; i++)
		peer_ack(&f, 0, 1, (const uint32_t[][2]){{MSS, i * MSS}});
	CHECK(tcb_of(&f, s)->sb == NULL);
	CHECK(tcb_of(&f, s)->in_recovery && !tcb_of(&f, s)->sack_recovery);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, S(0));
	CHECK_EQ(counters(&f).sack_recoveries, 0);
	fx_free(&f);
}
