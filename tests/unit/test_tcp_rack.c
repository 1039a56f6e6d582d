/*
 * RACK-TLP (RFC 8985) and D-SACK undo (RFC 3708 with RFC 2883) on the
 * sender, against a scripted peer on a virtual clock: loss judged by send
 * time rather than duplicate counts (§6.2), the reordering window and its
 * timer (§6.2 step 4, §6.3), reordering seen (step 3) and the window's
 * growth on D-SACK, lost retransmissions, the tail loss probe (§7.2-7.4),
 * the undo of a needless reduction, and the knobs (tcp_recovery,
 * tcp_early_retrans) that turn each off.
 *
 * The connection: passive open with SACK-permitted, MSS 1000, a 100 ms
 * round trip measured on the handshake and on one segment of data (so
 * min_RTT = 100 ms and the reordering window, once used, is 25 ms), Reno.
 */
#include "check.h"
#include "stack/stack.h"
#include "tcp/sack.h"
#include "tcp_fixture.h"

#define PEER_ISS 7000u
#define MSS 1000u
#define RTT (100 * FX_MS)

static uint8_t pat[64000];

static struct synack_counters counters(struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c;
}

static struct sn_tcb *tcb_of(struct fx *f, int s)
{
	return f->st->socks[s].tcb;
}

/* ESTABLISHED with SACK and a measured 100 ms RTT; one segment sent and
 * ACKed (offset 0..MSS), everything consumed. cfg NULL: defaults, Reno. */
static int rack_conn(struct fx *f, struct synack_config *cfg)
{
	struct synack_config d;
	struct sn_tcp_seg o;

	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 7 + i / 251);
	if (!cfg) {
		synack_config_default(&d);
		cfg = &d;
	}
	cfg->tcp_congestion_control = SYNACK_CC_RENO;
	if (fx_init(f, cfg) || fx_listen(f) < 0)
		return -1;
	f->peer_iss = PEER_ISS;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = PEER_ISS, .wnd = 65535, .mss = MSS,
				  .sack_ok = 1});
	if (!fx_out(f, &o))
		return -1;
	f->our_iss = o.seq;
	fx_wait(f, RTT);
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = o.seq + 1,
				  .wnd = 65535});
	int s = synack_sock_accept(f->st, f->lsock, NULL);
	if (s < 0 || synack_sock_send(f->st, s, pat, MSS) != MSS)
		return -1;
	fx_wait(f, RTT);
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1,
				  .ack = f->our_iss + 1 + MSS, .wnd = 65535});
	tcb_of(f, s)->cwnd = 20 * MSS;
	fx_flush(f);
	return s;
}

/* Our stream from offset MSS on (the warm-up segment is offset 0). */
#define OFF(k) (MSS + (k) * MSS)

static void send_at(struct fx *f, int s, uint32_t k, uint32_t n)
{
	synack_sock_send(f->st, s, pat + OFF(k), n * MSS);
}

/* An ACK of stream offset a with nb SACK blocks: [b0, b1), then [c0, c1)
 * (a first block below a is a D-SACK, RFC 2883 §4). */
static void peer_ack(struct fx *f, uint32_t a, int nb, uint32_t b0, uint32_t b1, uint32_t c0,
		     uint32_t c1)
{
	struct fx_seg seg = {.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = f->our_iss + 1 + a,
			     .wnd = 65535, .nsack = (uint8_t)nb};
	seg.sack[0].left = f->our_iss + 1 + b0;
	seg.sack[0].right = f->our_iss + 1 + b1;
	seg.sack[1].left = f->our_iss + 1 + c0;
	seg.sack[1].right = f->our_iss + 1 + c1;
	fx_in(f, &seg);
}

/* The next segment out is data at stream offset off (one MSS). */
static int is_seg(struct fx *f, uint32_t off)
{
	struct sn_tcp_seg o;
	return fx_out(f, &o) && o.seq == f->our_iss + 1 + off && o.len == MSS;
}

/* Segment 0 at t, segment 1 at t + gap; after one RTT the peer SACKs
 * segment 1 only. */
static void two_segments_second_sacked(struct fx *f, int s, uint64_t gap)
{
	send_at(f, s, 0, 1);
	fx_wait(f, gap);
	send_at(f, s, 1, 1);
	fx_wait(f, RTT);
	fx_flush(f);
	peer_ack(f, OFF(0), 1, OFF(1), OFF(2), 0, 0);
}

/* RFC 8985 §6.2 step 5: a segment is lost once a segment sent more than
 * the reordering window (min_RTT/4 = 25 ms) after it is delivered. One
 * SACK suffices; RFC 6675's DupThresh would wait for three. */
TEST(rfc8985_6_2_loss_by_send_time_one_sack)
{
	struct fx f;
	int s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	two_segments_second_sacked(&f, s, 50 * FX_MS);
	CHECK(is_seg(&f, OFF(0)));
	CHECK(tcb_of(&f, s)->in_recovery);
	CHECK_EQ(counters(&f).sack_recoveries, 1);
	CHECK_EQ(counters(&f).fast_retrans, 1);
	fx_free(&f);

	/* tcp_recovery 0: DupThresh, one SACKed segment is not enough */
	struct synack_config c;
	synack_config_default(&c);
	c.tcp_recovery = 0;
	s = rack_conn(&f, &c);
	CHECK(s >= 0);
	two_segments_second_sacked(&f, s, 50 * FX_MS);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK(!tcb_of(&f, s)->in_recovery);
	fx_free(&f);
}

/* §6.2 step 5 and §6.3: a segment sent only 10 ms before the delivered
 * one is within the window; the reordering timer fires when the window
 * has passed (RACK.rtt + reo_wnd after its send: 15 ms later) and then
 * it is lost. */
TEST(rfc8985_6_3_reordering_timer)
{
	struct fx f;
	int s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	two_segments_second_sacked(&f, s, 10 * FX_MS);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(tcb_of(&f, s)->sb->rack.timer, SN_RX_REO);
	fx_wait(&f, 14 * FX_MS);
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 2 * FX_MS);
	CHECK(is_seg(&f, OFF(0)));
	CHECK_EQ(counters(&f).rack_reo_timeouts, 1);
	CHECK_EQ(counters(&f).rto_timeouts, 0);
	fx_free(&f);
}

/* §6.2 step 3: the late segment arrives inside the window: nothing is
 * resent, and reordering is seen (TcpExtTCPSACKReorder), which keeps the
 * window open from then on, even with DupThresh segments SACKed. */
TEST(rfc8985_6_2_step3_reordering_seen_no_retransmission)
{
	struct fx f;
	int s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	two_segments_second_sacked(&f, s, 10 * FX_MS);
	fx_wait(&f, 5 * FX_MS);
	peer_ack(&f, OFF(2), 0, 0, 0, 0, 0);
	fx_wait(&f, 600 * FX_MS);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(counters(&f).retrans_segs, 0);
	CHECK_EQ(counters(&f).sack_reorder, 1);
	CHECK(tcb_of(&f, s)->sb->rack.reord_seen);
	/* now four segments at once, the first late: three SACKed would be
	 * DupThresh, but reordering was seen: the 25 ms window holds */
	send_at(&f, s, 2, 4);
	fx_wait(&f, RTT);
	fx_flush(&f);
	peer_ack(&f, OFF(2), 1, OFF(3), OFF(6), 0, 0);
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 24 * FX_MS);
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 2 * FX_MS);
	CHECK(is_seg(&f, OFF(2)));
	fx_free(&f);
}

/* Step 3 on a cumulative ACK with nothing SACKed: the peer SACKed
 * [3, 5) (RACK.fack = 5), then reneged (an ACK of 3, RFC 2018 §8: the
 * scoreboard is cleared), then ACKs 4: a never-resent segment delivered
 * below RACK.fack is reordering, counted on each such ACK. The last ACK
 * takes rack.c's closed form (SND.UNA's records unmarked, in time order,
 * nothing SACKed): it must count it as the record walk does. */
static void reorder_count_after_reneging(int walk_only, uint64_t *n)
{
	struct fx f;
	int s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	f.st->fastpath_off = walk_only != 0;
	send_at(&f, s, 0, 6);
	fx_wait(&f, RTT);
	fx_flush(&f);
	peer_ack(&f, OFF(0), 1, OFF(3), OFF(5), 0, 0);
	peer_ack(&f, OFF(1), 1, OFF(3), OFF(5), 0, 0); /* below fack: 1 */
	peer_ack(&f, OFF(3), 0, 0, 0, 0, 0);           /* reneging: 2 */
	CHECK_EQ(counters(&f).sack_reneging, 1);
	uint64_t closed = f.st->rack_closed_forms;
	peer_ack(&f, OFF(4), 0, 0, 0, 0, 0);           /* closed form: 3 */
	CHECK_EQ(f.st->rack_closed_forms > closed, !walk_only);
	CHECK_EQ(counters(&f).retrans_segs, 0);
	*n = counters(&f).sack_reorder;
	fx_free(&f);
}

TEST(rfc8985_6_2_step3_cumulative_ack_below_fack_closed_form)
{
	uint64_t walk = 0, closed = 0;

	reorder_count_after_reneging(1, &walk);
	reorder_count_after_reneging(0, &closed);
	CHECK_EQ(walk, 3);
	CHECK_EQ(closed, 3);
}

/* RACK finds a lost retransmission as it finds any loss: a segment sent
 * after the retransmission is delivered and the retransmission is not
 * (TcpExtTCPLostRetransmit); it goes again at once, without the RTO.
 * Segment 0 at t, 1 and 2 at t + 50 ms; the peer SACKs 1: 0 is resent.
 * New data (3) waits for PRR's next ACK (RFC 6937: sending in recovery
 * is clocked by delivery), which SACKs 2; 3 arrives, the resend does not. */
TEST(rfc8985_lost_retransmission_detected)
{
	struct fx f;
	int s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	send_at(&f, s, 0, 1);
	fx_wait(&f, 50 * FX_MS);
	send_at(&f, s, 1, 2);
	fx_wait(&f, RTT);
	fx_flush(&f);
	peer_ack(&f, OFF(0), 1, OFF(1), OFF(2), 0, 0);
	CHECK(is_seg(&f, OFF(0)));
	send_at(&f, s, 3, 1);
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 50 * FX_MS);
	peer_ack(&f, OFF(0), 1, OFF(1), OFF(3), 0, 0);
	CHECK(is_seg(&f, OFF(3))); /* new data, 50 ms after the retransmission */
	fx_wait(&f, RTT);
	peer_ack(&f, OFF(0), 1, OFF(1), OFF(4), 0, 0);
	CHECK(is_seg(&f, OFF(0)));
	CHECK_EQ(counters(&f).lost_retransmit, 1);
	CHECK_EQ(counters(&f).retrans_segs, 2);
	CHECK_EQ(counters(&f).rto_timeouts, 0);
	fx_free(&f);
}

/* Four segments, the last two lost (a tail loss): the probe timeout
 * (2 * SRTT + 2 ms, before the RTO) resends the last segment
 * (TcpExtTCPLossProbes); its SACK lets RACK find the other loss, repaired
 * by fast recovery. No retransmission timeout. */
TEST(rfc8985_7_3_tail_loss_probe_resends_last_segment)
{
	struct fx f;
	int s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	send_at(&f, s, 0, 4);
	fx_wait(&f, RTT);
	fx_flush(&f);
	peer_ack(&f, OFF(2), 0, 0, 0, 0, 0);
	struct sn_tcb *tcb = tcb_of(&f, s);
	CHECK_EQ(tcb->sb->rack.timer, SN_RX_PTO);
	uint64_t pto = 2ull * tcb->srtt_us + 2 * FX_MS;
	CHECK_EQ(tcb->deadline[SN_T_REXMT], f.now + pto);
	CHECK(pto < tcp_rto_current(f.st, tcb));
	fx_wait(&f, pto - 1);
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 1);
	CHECK(is_seg(&f, OFF(3)));
	CHECK_EQ(counters(&f).loss_probes, 1);
	fx_wait(&f, RTT);
	peer_ack(&f, OFF(2), 1, OFF(3), OFF(4), 0, 0);
	CHECK(is_seg(&f, OFF(2)));
	CHECK(tcb->in_recovery);
	peer_ack(&f, OFF(4), 0, 0, 0, 0, 0);
	CHECK(!tcb->in_recovery);
	CHECK_EQ(counters(&f).rto_timeouts, 0);
	fx_free(&f);

	/* tcp_early_retrans 0: no probe; the RTO goes back to SND.UNA */
	struct synack_config c;
	synack_config_default(&c);
	c.tcp_early_retrans = 0;
	s = rack_conn(&f, &c);
	CHECK(s >= 0);
	send_at(&f, s, 0, 4);
	fx_wait(&f, RTT);
	peer_ack(&f, OFF(2), 0, 0, 0, 0, 0);
	fx_flush(&f);
	fx_wait(&f, tcp_rto_current(f.st, tcb_of(&f, s)));
	CHECK(is_seg(&f, OFF(2)));
	CHECK_EQ(counters(&f).loss_probes, 0);
	CHECK_EQ(counters(&f).rto_timeouts, 1);
	fx_free(&f);
}

/* §7.3: with unsent data the peer's window takes, the probe is new data
 * (cwnd aside); at most one probe per flight. */
TEST(rfc8985_7_3_probe_sends_new_data_once)
{
	struct fx f;
	int s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	struct sn_tcb *tcb = tcb_of(&f, s);
	tcb->cwnd = 2 * MSS;
	send_at(&f, s, 0, 4); /* two go, two wait for cwnd */
	CHECK_EQ(fx_pending(&f), 2);
	fx_flush(&f);
	fx_wait(&f, tcb->deadline[SN_T_REXMT] - f.now);
	CHECK(is_seg(&f, OFF(2)));
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(counters(&f).loss_probes, 1);
	CHECK_EQ(counters(&f).retrans_segs, 0);
	CHECK_EQ(tcb->sb->rack.timer, SN_RX_RTO); /* the next expiry is the RTO */
	fx_wait(&f, tcb->deadline[SN_T_REXMT] - f.now);
	CHECK_EQ(counters(&f).loss_probes, 1);
	CHECK_EQ(counters(&f).rto_timeouts, 1);
	fx_free(&f);
}

/* §7.4: an ACK past the probe that is no D-SACK of it says the probe
 * repaired a lone loss: cwnd and ssthresh are reduced
 * (TcpExtTCPLossProbeRecovery). A D-SACK of the probe says both copies
 * arrived: no reduction. */
TEST(rfc8985_7_4_probe_ack_loss_or_not)
{
	for (int dup = 0; dup < 2; dup++) {
		struct fx f;
		int s = rack_conn(&f, NULL);
		CHECK(s >= 0);
		struct sn_tcb *tcb = tcb_of(&f, s);
		send_at(&f, s, 0, 4);
		fx_wait(&f, RTT);
		peer_ack(&f, OFF(3), 0, 0, 0, 0, 0);
		fx_flush(&f);
		fx_wait(&f, tcb->deadline[SN_T_REXMT] - f.now);
		CHECK(is_seg(&f, OFF(3)));
		fx_wait(&f, RTT);
		if (dup) /* the original came after all: the probe is a duplicate */
			peer_ack(&f, OFF(4), 1, OFF(3), OFF(4), 0, 0);
		else
			peer_ack(&f, OFF(4), 0, 0, 0, 0, 0);
		uint32_t cwnd = tcb->cwnd;
		send_at(&f, s, 4, 1);
		fx_wait(&f, RTT);
		peer_ack(&f, OFF(5), 0, 0, 0, 0, 0);
		CHECK_EQ(counters(&f).loss_probe_recovery, dup ? 0u : 1u);
		/* a D-SACK of the probe says an ACK was lost, not that the
		 * path reorders (the probe is a timer's resend) */
		CHECK(!tcb->sb->rack.reord_seen);
		CHECK_EQ(counters(&f).sack_reorder, 0);
		if (dup)
			CHECK(tcb->cwnd >= cwnd);
		else
			CHECK(tcb->cwnd < cwnd && tcb->ssthresh == tcb->cwnd);
		CHECK(!tcb->sb->rack.tlp_set);
		fx_free(&f);
	}
}

/* RFC 3708 / RFC 2883 §4: recovery for a segment that was only late. The
 * original arrives after all, then the D-SACK of the retransmission says
 * every byte resent in the episode was a duplicate: cwnd and ssthresh go
 * back to what they were (TcpExtTCPDSACKUndo). The D-SACK also grows the
 * reordering window (RFC 8985 §6.2 step 4) and counts as reordering. */
TEST(rfc3708_dsack_undo_restores_cwnd)
{
	struct fx f;
	int s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	struct sn_tcb *tcb = tcb_of(&f, s);
	uint32_t cwnd0 = tcb->cwnd, ssthresh0 = tcb->ssthresh;
	two_segments_second_sacked(&f, s, 50 * FX_MS);
	CHECK(is_seg(&f, OFF(0)));
	CHECK(tcb->cwnd < cwnd0);
	fx_wait(&f, 10 * FX_MS);
	peer_ack(&f, OFF(2), 0, 0, 0, 0, 0); /* the original, late */
	CHECK(!tcb->in_recovery);
	CHECK(tcb->cwnd < cwnd0);
	CHECK_EQ(counters(&f).dsack_undo, 0);
	fx_wait(&f, 90 * FX_MS);
	peer_ack(&f, OFF(2), 1, OFF(0), OFF(1), 0, 0); /* D-SACK of the resend */
	CHECK_EQ(counters(&f).dsack_undo, 1);
	CHECK_EQ(counters(&f).dsack_recv, 1);
	CHECK_EQ(tcb->cwnd, cwnd0);
	CHECK_EQ(tcb->ssthresh, ssthresh0);
	CHECK_EQ(tcb->sb->rack.reo_wnd_mult, 2);
	CHECK(tcb->sb->rack.reord_seen);
	fx_free(&f);

	/* no D-SACK, no undo */
	s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	tcb = tcb_of(&f, s);
	two_segments_second_sacked(&f, s, 50 * FX_MS);
	fx_wait(&f, 10 * FX_MS);
	peer_ack(&f, OFF(2), 0, 0, 0, 0, 0);
	fx_wait(&f, 90 * FX_MS);
	peer_ack(&f, OFF(2), 0, 0, 0, 0, 0);
	CHECK_EQ(counters(&f).dsack_undo, 0);
	CHECK(tcb->cwnd < cwnd0);
	fx_free(&f);
}

/* The send records live in the SACK block, taken from the stack's pool
 * when the first data goes out (the TCB holds a pointer), and go back
 * with the connection; tcp_recovery 0 takes none until a SACK block comes. */
TEST(knob_tcp_recovery_block_with_first_data)
{
	struct fx f;
	struct synack_config c;

	for (int rack = 1; rack >= 0; rack--) {
		synack_config_default(&c);
		c.tcp_recovery = (uint8_t)rack;
		int s = rack_conn(&f, &c);
		CHECK(s >= 0);
		CHECK_EQ(tcb_of(&f, s)->sb != NULL, rack);
		CHECK_EQ(tcp_rack_active(tcb_of(&f, s)), rack);
		CHECK_EQ(f.st->sack_pool.live, (size_t)rack);
		synack_sock_abort(f.st, s);
		CHECK_EQ(f.st->sack_pool.live, 0);
		fx_free(&f);
	}
}

/* Ten segments; the peer holds 2..9 and the fast retransmissions of 0
 * and 1 are lost too, so the RTO fires with the scoreboard full. */
static void rto_with_holes_0_and_1(struct fx *f, int s)
{
	send_at(f, s, 0, 10);
	fx_wait(f, RTT);
	fx_flush(f);
	peer_ack(f, OFF(0), 1, OFF(2), OFF(10), 0, 0);
	CHECK(is_seg(f, OFF(0)) && is_seg(f, OFF(1)));
	CHECK_EQ(fx_pending(f), 0);
	struct sn_tcb *tcb = tcb_of(f, s);
	/* the probe timeout armed with the flight comes first and, with
	 * recovery running, only arms the RTO */
	for (int i = 0; i < 3 && !counters(f).rto_timeouts; i++)
		fx_wait(f, tcb->deadline[SN_T_REXMT] - f->now);
	CHECK_EQ(counters(f).rto_timeouts, 1);
	CHECK_EQ(counters(f).sack_recovery_fail, 1); /* TcpExtTCPSackRecoveryFail */
}

/* RFC 6675 §5.1 with RFC 8985 §6.3: after the RTO the scoreboard stays,
 * every unSACKed segment is lost, and the resends (slow start from one
 * segment) are the holes only: 0, then 1, never the SACKed 2..9. */
TEST(rfc6675_5_1_rto_resends_only_the_holes)
{
	struct fx f;
	int s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	rto_with_holes_0_and_1(&f, s);
	struct sn_tcb *tcb = tcb_of(&f, s);
	CHECK_EQ(tcp_sack_sacked_bytes(tcb), 8 * MSS);
	CHECK(is_seg(&f, OFF(0)));
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, RTT);
	peer_ack(&f, OFF(1), 1, OFF(2), OFF(10), 0, 0);
	CHECK(is_seg(&f, OFF(1)));
	CHECK_EQ(fx_pending(&f), 0); /* cwnd 2, nothing else unSACKed */
	fx_wait(&f, RTT);
	peer_ack(&f, OFF(10), 0, 0, 0, 0, 0);
	CHECK_EQ(sn_ring_len(&tcb->sndbuf), 0);
	CHECK_EQ(counters(&f).retrans_segs, 4);
	CHECK_EQ(counters(&f).rto_timeouts, 1);
	fx_free(&f);
}

/* The receiver may discard what it SACKed (RFC 2018 §8). After the RTO
 * its cumulative ACK stops at the reneged range: the scoreboard is
 * cleared (TcpExtTCPSACKReneging) and 2..9, marked lost by the RTO, go
 * again; everything is delivered. */
TEST(rfc2018_8_reneging_after_rto_resends_the_reneged_data)
{
	struct fx f;
	struct sn_tcp_seg o;
	int s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	rto_with_holes_0_and_1(&f, s);
	struct sn_tcb *tcb = tcb_of(&f, s);
	CHECK(is_seg(&f, OFF(0)));
	fx_wait(&f, RTT);
	peer_ack(&f, OFF(1), 1, OFF(2), OFF(10), 0, 0);
	CHECK(is_seg(&f, OFF(1)));
	fx_wait(&f, RTT);
	peer_ack(&f, OFF(2), 0, 0, 0, 0, 0); /* 2..9 dropped by the receiver */
	CHECK_EQ(counters(&f).sack_reneging, 1);
	CHECK_EQ(tcp_sack_sacked_bytes(tcb), 0);
	uint32_t next = OFF(2);
	for (int i = 0; i < 8 && next < OFF(10); i++) {
		int got = 0;
		while (fx_out(&f, &o)) {
			CHECK_EQ(o.seq, f.our_iss + 1 + next);
			next += o.len;
			got++;
		}
		CHECK(got > 0);
		fx_wait(&f, RTT);
		peer_ack(&f, next, 0, 0, 0, 0, 0);
	}
	CHECK_EQ(next, OFF(10));
	CHECK_EQ(sn_ring_len(&tcb->sndbuf), 0);
	CHECK_EQ(counters(&f).rto_timeouts, 1);
	fx_free(&f);
}

/* A second timeout with no cumulative progress since the first suspects
 * reneging (RFC 6675 §5.1 allows clearing): the scoreboard goes, and the
 * resends go back N over the SACKed data too. */
TEST(rfc6675_5_1_second_rto_without_progress_clears_scoreboard)
{
	struct fx f;
	int s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	rto_with_holes_0_and_1(&f, s);
	struct sn_tcb *tcb = tcb_of(&f, s);
	CHECK(is_seg(&f, OFF(0)));
	CHECK_EQ(tcp_sack_sacked_bytes(tcb), 8 * MSS);
	fx_wait(&f, tcb->deadline[SN_T_REXMT] - f.now); /* lost again */
	CHECK_EQ(counters(&f).rto_timeouts, 2);
	CHECK_EQ(counters(&f).loss_failures, 1); /* TcpExtTCPLossFailures */
	CHECK_EQ(tcp_sack_sacked_bytes(tcb), 0);
	CHECK(is_seg(&f, OFF(0)));
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, RTT);
	peer_ack(&f, OFF(1), 0, 0, 0, 0, 0);
	CHECK(is_seg(&f, OFF(1)) && is_seg(&f, OFF(2)));
	fx_free(&f);
}

/* RFC 8985 §6.2 step 2 orders transmissions by (time, sequence). The
 * stack's clock is read once per turn of the event loop, so new data sent
 * on one ACK and a retransmission sent on the next ACK of the same batch
 * share a time; ordered by sequence, the retransmission (lower) would pass
 * for the earlier one, and the SACK of the new data would mark it lost
 * again at once (TcpExtTCPLostRetransmit, a needless third copy). Record
 * stamps keep the order of transmission. */
TEST(rfc8985_6_2_step2_retransmission_after_new_data_same_tick)
{
	struct fx f;
	int s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	send_at(&f, s, 0, 6);
	fx_wait(&f, RTT);
	fx_flush(&f);
	/* one instant: segment 0 ACKed, new data (6) goes out; then 2..5
	 * SACKed, so 1 is lost (DupThresh SACKed, no reordering seen) */
	peer_ack(&f, OFF(1), 0, 0, 0, 0, 0);
	send_at(&f, s, 6, 1);
	CHECK(is_seg(&f, OFF(6)));
	peer_ack(&f, OFF(1), 1, OFF(2), OFF(6), 0, 0);
	CHECK(is_seg(&f, OFF(1)));
	CHECK_EQ(fx_pending(&f), 0);
	/* the new data arrives first, as it was sent first */
	fx_wait(&f, FX_MS);
	peer_ack(&f, OFF(1), 1, OFF(2), OFF(7), 0, 0);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(counters(&f).lost_retransmit, 0);
	peer_ack(&f, OFF(7), 0, 0, 0, 0, 0);
	CHECK_EQ(counters(&f).retrans_segs, 1);
	CHECK_EQ(counters(&f).rto_timeouts, 0);
	fx_free(&f);
}

/* §6.2 step 3 takes what an ACK delivered in ascending order of sequence.
 * Blocks come most recent first (RFC 2018 §4): after a lost ACK, one ACK
 * can SACK a new higher segment (first block) and extend a lower block.
 * Nothing arrived out of order, so no reordering is seen. */
TEST(rfc8985_6_2_step3_blocks_taken_in_sequence_order)
{
	struct fx f;
	int s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	send_at(&f, s, 0, 6);
	fx_wait(&f, RTT);
	peer_ack(&f, OFF(0), 1, OFF(1), OFF(2), 0, 0); /* 0 lost */
	/* the ACK that SACKed 1..3 is lost; 3 is lost as well */
	peer_ack(&f, OFF(0), 2, OFF(4), OFF(5), OFF(1), OFF(3));
	CHECK_EQ(counters(&f).sack_reorder, 0);
	CHECK(!tcb_of(&f, s)->sb->rack.reord_seen);
	fx_free(&f);
}

/* A D-SACK of the loss probe's resend: the tail segment had arrived and
 * only its ACK was lost (the segment before it was lost). No segment
 * arrived before one sent earlier, so RACK.reordering_seen stays FALSE and
 * the DupThresh shortcut stays; the D-SACK still widens the reordering
 * window (§6.2 step 4). The fast retransmission's case, which is
 * reordering, is rfc3708_dsack_undo_restores_cwnd. */
TEST(rfc8985_6_2_dsack_of_probe_is_no_reordering)
{
	struct fx f;
	int s = rack_conn(&f, NULL);
	CHECK(s >= 0);
	struct sn_tcb *tcb = tcb_of(&f, s);
	send_at(&f, s, 0, 4);
	fx_wait(&f, RTT);
	peer_ack(&f, OFF(2), 0, 0, 0, 0, 0);
	fx_flush(&f);
	fx_wait(&f, tcb->deadline[SN_T_REXMT] - f.now);
	CHECK(is_seg(&f, OFF(3))); /* the probe */
	CHECK_EQ(counters(&f).loss_probes, 1);
	fx_wait(&f, RTT);
	peer_ack(&f, OFF(2), 2, OFF(3), OFF(4), OFF(3), OFF(4));
	CHECK_EQ(counters(&f).dsack_recv, 1);
	CHECK(!tcb->sb->rack.reord_seen);
	CHECK_EQ(counters(&f).sack_reorder, 0);
	CHECK_EQ(tcb->sb->rack.reo_wnd_mult, 2);
	CHECK(is_seg(&f, OFF(2))); /* 2 lost: sent before 3, which arrived */
	fx_free(&f);
}
