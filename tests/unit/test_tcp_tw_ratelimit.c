/*
 * tcp_invalid_ratelimit in TIME-WAIT (Linux: tcp_timewait_state_process ->
 * tcp_oow_rate_limited with the entry's tw_last_oow_ack_time, counted in
 * TcpExtTCPACKSkippedTimeWait). An ACK in answer to a segment that takes no
 * sequence space (a pure ACK PAWS rejects) or carries a SYN (an old
 * duplicate SYN, or one no listener takes) goes at most once per
 * invalid_ratelimit_us (500 ms) per entry. A retransmitted FIN is re-ACKed
 * every time and restarts 2*MSL (RFC 9293 §3.10.7.4, MUST-13), and data is
 * always answered, as in Linux (not part of an ACK loop).
 */
#include "check.h"
#include "tcp_close_fixture.h"
#include "tcp/timewait.h"

#define MSL (30 * FX_SEC)
#define T0 50000u /* the peer's TSval at its FIN */

/* An entry for FX_PORT <-> the peer: passive open, our close, the peer's
 * ACK and FIN; with timestamps when ts (TS.Recent T0), no listener left. */
static int tw_entry(struct fx *f, uint32_t ratelimit_us, int ts)
{
	struct synack_config c = fx_cfg_msl(MSL);
	struct sn_tcp_seg o;

	c.invalid_ratelimit_us = ratelimit_us;
	if (fx_init(f, &c))
		return -1;
	int s = fx_passive_open_syn(f, &(struct fx_seg){.seq = FX_P, .wnd = 65535, .mss = 1460,
							.ts = (uint8_t)ts, .tsval = T0 - 3},
				    NULL);
	uint32_t i = f->our_iss;
	if (s < 0 || synack_sock_close(f->st, s) || !fx_out(f, &o) ||
	    synack_sock_close(f->st, f->lsock))
		return -1;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = FX_P + 1, .ack = i + 2,
				  .wnd = 65535, .ts = (uint8_t)ts, .tsval = T0 - 1});
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_FIN | SN_TCP_ACK, .seq = FX_P + 1, .ack = i + 2,
				  .wnd = 65535, .ts = (uint8_t)ts, .tsval = T0});
	if (!fx_out(f, &o) || fx_conn_state(f) != SYNACK_TIME_WAIT)
		return -1;
	fx_flush(f);
	return 0;
}

/* An old duplicate SYN (below RCV.NXT). */
static void old_syn(struct fx *f)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = FX_P, .wnd = 65535});
}

/* SYNs: one ACK, then none within 500 ms (counted), one again after. */
TEST(tcp_invalid_ratelimit_timewait_syn_acks_limited)
{
	struct fx f;

	CHECK_EQ(tw_entry(&f, 500000, 0), 0);
	uint32_t I = f.our_iss;
	old_syn(&f);
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	for (int k = 0; k < 5; k++) {
		fx_wait(&f, 99 * FX_MS);
		old_syn(&f);
		FX_NOTHING(&f);
	}
	CHECK_EQ(fx_ctr(&f).oow_acks_skipped_tw, 5);
	fx_wait(&f, 5 * FX_MS); /* 500 ms after the ACK */
	old_syn(&f);
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	CHECK_EQ(fx_ctr(&f).oow_acks_skipped_tw, 5);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_TIMEWAIT), 7);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_free(&f);
}

/* Pure ACKs PAWS rejects (RFC 7323 §5.3 R1) share the entry's limit with
 * SYNs; every one still counts in paws_rejected. */
TEST(tcp_invalid_ratelimit_timewait_paws_acks_limited)
{
	struct fx f;

	CHECK_EQ(tw_entry(&f, 500000, 1), 0);
	uint32_t I = f.our_iss;
	for (int k = 0; k < 3; k++)
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = FX_P + 2, .ack = I + 2,
					   .wnd = 65535, .ts = 1, .tsval = T0 - 10});
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	FX_NOTHING(&f);
	old_syn(&f);
	FX_NOTHING(&f);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.paws_rejected, 3);
	CHECK_EQ(c.oow_acks_skipped_tw, 3);
	fx_free(&f);
}

/* MUST-13: every retransmitted FIN is re-ACKed and restarts 2*MSL, also
 * within the limit and right after a limited ACK; the FINs do not use the
 * limit up either (a SYN after them is answered). Data too is answered. */
TEST(tcp_invalid_ratelimit_timewait_fin_always_reacked)
{
	struct fx f;
	struct fx_find q;

	CHECK_EQ(tw_entry(&f, 500000, 0), 0);
	uint32_t I = f.our_iss;
	for (int k = 0; k < 4; k++) {
		fx_wait(&f, 10 * FX_MS);
		fx_peer_fin(&f, FX_P + 1, I + 2);
		FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	}
	CHECK_EQ(fx_ctr(&f).tw_fin_reacked, 4);
	q = (struct fx_find){f.our_port, f.peer_port, SYNACK_CLOSED, {0}};
	synack_stack_foreach_conn(f.st, fx_find_cb, &q);
	CHECK_EQ(q.ci.timer_expires, f.now + 2 * MSL);
	old_syn(&f);
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	old_syn(&f);
	FX_NOTHING(&f);
	fx_peer_fin(&f, FX_P + 1, I + 2);
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = FX_P + 2, .ack = I + 2,
				   .wnd = 65535, .data = "x", .len = 1});
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	CHECK_EQ(fx_ctr(&f).tw_fin_reacked, 5);
	CHECK_EQ(fx_ctr(&f).oow_acks_skipped_tw, 1);
	fx_free(&f);
}

/* invalid_ratelimit_us = 0 (Linux: tcp_invalid_ratelimit = 0): every SYN is
 * answered. */
TEST(tcp_invalid_ratelimit_timewait_zero_answers_all)
{
	struct fx f;

	CHECK_EQ(tw_entry(&f, 0, 0), 0);
	for (int k = 0; k < 4; k++) {
		old_syn(&f);
		FX_EXPECT(&f, SN_TCP_ACK, f.our_iss + 2, FX_P + 2);
	}
	CHECK_EQ(fx_ctr(&f).oow_acks_skipped_tw, 0);
	fx_free(&f);
}

/* The stamp is per entry: a second TIME-WAIT entry answers its first SYN
 * while the first entry is within its limit. */
TEST(tcp_invalid_ratelimit_timewait_per_entry)
{
	struct fx f;

	CHECK_EQ(tw_entry(&f, 500000, 0), 0);
	uint32_t I = f.our_iss;
	old_syn(&f);
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	/* a second entry: our port and the peer's address, another peer port */
	struct sn_tw *tw = sn_tw_insert(f.st, &(struct synack_endpoint){FX_US, FX_PORT},
					&(struct synack_endpoint){FX_PEER, FX_PEER_PORT + 1},
					77, FX_P + 2, 65535, 0, NULL);
	CHECK(tw != NULL);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = FX_P, .wnd = 65535,
				   .sport = FX_PEER_PORT + 1});
	FX_EXPECT(&f, SN_TCP_ACK, 77, FX_P + 2);
	old_syn(&f);
	FX_NOTHING(&f);
	CHECK_EQ(fx_ctr(&f).oow_acks_skipped_tw, 1);
	fx_free(&f);
}
