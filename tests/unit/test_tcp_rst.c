/*
 * Resets and the checks around them: RFC 9293 §3.10.7.3 (SYN-SENT),
 * §3.10.7.4 (first step: sequence acceptability; second: RST; fourth: SYN
 * with RFC 5961 §4's challenge ACK; fifth: ACK), §3.10.5 (ABORT), MUST-12
 * (the user learns of a reset), MUST-66 (RST accepted with a zero window).
 *
 * I is our ISN (f.our_iss), FX_P the peer's. After the passive fixture
 * SND.NXT = I+1, RCV.NXT = FX_P+1 and RCV.WND = 65535.
 */
#include "check.h"
#include "tcp_close_fixture.h"

static void rst_at(struct fx *f, uint32_t seq)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = seq});
}

/* ------------------------------------------------ MUST-12: reset reported */

enum observer { BY_RECV, BY_SEND, BY_SO_ERROR };

/* An in-window RST in ESTABLISHED closes the connection; the user learns
 * ECONNRESET from whichever call comes first, once. */
static int reset_seen_by(enum observer how)
{
	struct fx f;
	char buf[8];
	int ok = 1;

	if (fx_init(&f, NULL))
		return 0;
	int s = fx_passive_established(&f, FX_P);
	rst_at(&f, FX_P + 1);
	ok &= fx_pending(&f) == 0;
	ok &= fx_conn_state(&f) == SYNACK_CLOSED;
	ok &= fx_state(&f, s) == SYNACK_CLOSED;
	unsigned ev = synack_sock_events(f.st, s);
	ok &= (ev & SYNACK_EV_ERR) && (ev & SYNACK_EV_HUP);
	switch (how) {
	case BY_RECV:
		ok &= synack_sock_recv(f.st, s, buf, sizeof(buf)) == -ECONNRESET;
		ok &= synack_sock_recv(f.st, s, buf, sizeof(buf)) == 0; /* then EOF */
		break;
	case BY_SEND:
		ok &= synack_sock_send(f.st, s, "x", 1) == -ECONNRESET;
		ok &= synack_sock_send(f.st, s, "x", 1) == -EPIPE;
		break;
	case BY_SO_ERROR: {
		int v = 0;
		ok &= synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &v) == 0 && v == -ECONNRESET;
		ok &= synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &v) == 0 && v == 0;
		ok &= !(synack_sock_events(f.st, s) & SYNACK_EV_ERR);
		break;
	}
	}
	struct synack_counters c = fx_ctr(&f);
	ok &= c.estab_resets == 1 && c.rst_in == 1;
	ok &= c.transitions[SYNACK_ESTABLISHED][SYNACK_CLOSED] == 1;
	ok &= synack_sock_close(f.st, s) == 0;
	ok &= fx_pending(&f) == 0; /* no answer to a reset, and no FIN after it */
	fx_free(&f);
	return ok;
}

TEST(must12_rst_in_established_reported_to_recv)
{
	CHECK(reset_seen_by(BY_RECV));
}

TEST(must12_rst_in_established_reported_to_send)
{
	CHECK(reset_seen_by(BY_SEND));
}

TEST(must12_rst_in_established_reported_to_so_error)
{
	CHECK(reset_seen_by(BY_SO_ERROR));
}

/* §3.10.7.4 second step, FIN-WAIT-1: reset, reported (MUST-12). RFC 1213's
 * tcpEstabResets counts only ESTABLISHED and CLOSE-WAIT. */
TEST(must12_rst_in_fin_wait_1_reported)
{
	struct fx f;
	char buf[8];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	fx_flush(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_FIN_WAIT_1);
	rst_at(&f, FX_P + 1);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), -ECONNRESET);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_FIN_WAIT_1][SYNACK_CLOSED], 1);
	CHECK_EQ(c.estab_resets, 0);
	/* the FIN is not retransmitted */
	fx_wait(&f, 30 * FX_SEC);
	FX_NOTHING(&f);
	fx_free(&f);
}

TEST(must12_rst_in_fin_wait_2_reported)
{
	struct fx f;
	char buf[8];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	fx_peer_ack(&f, FX_P + 1, I + 2);
	fx_flush(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_FIN_WAIT_2);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST | SN_TCP_ACK, .seq = FX_P + 1, .ack = I + 2});
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), -ECONNRESET);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_FIN_WAIT_2][SYNACK_CLOSED], 1);
	CHECK_EQ(c.estab_resets, 0);
	CHECK_EQ(c.tw_entered, 0);
	fx_free(&f);
}

TEST(must12_rst_in_close_wait_reported)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	fx_peer_fin(&f, FX_P + 1, I + 1);
	fx_flush(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSE_WAIT);
	rst_at(&f, FX_P + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), -ECONNRESET);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_CLOSE_WAIT][SYNACK_CLOSED], 1);
	CHECK_EQ(c.estab_resets, 1);
	fx_free(&f);
}

/* §3.10.7.4 second step: "All segment queues should be flushed": unread
 * data goes with the connection and RECEIVE gets "reset" at once (Linux
 * would hand out the queued bytes first), and nothing queued is sent or
 * retransmitted afterwards. */
TEST(rfc9293_3_10_7_4_rst_flushes_segment_queues)
{
	struct fx f;
	char buf[8];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	fx_peer_data(&f, FX_P + 1, I + 1, "abc");
	CHECK_EQ(synack_sock_send(f.st, s, "xyz", 3), 3);
	fx_flush(&f);
	rst_at(&f, FX_P + 4);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), -ECONNRESET);
	fx_wait(&f, 60 * FX_SEC);
	FX_NOTHING(&f);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_NOTHING(&f);
	fx_free(&f);
}

/* ------------------------------------------------ quiet resets */

/* §3.10.7.4 second step, CLOSING: "enter the CLOSED state, delete the TCB"
 * with no error for the user (its FIN exchange was under way). */
TEST(rfc9293_3_10_7_4_rst_in_closing_closes_quietly)
{
	struct fx f;
	char buf[8];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	fx_peer_fin(&f, FX_P + 1, I + 1);
	fx_flush(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSING);
	rst_at(&f, FX_P + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	int v = 1;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 0);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_CLOSING][SYNACK_CLOSED], 1);
	CHECK_EQ(c.tw_entered, 0);
	CHECK_EQ(c.estab_resets, 0);
	fx_free(&f);
}

TEST(rfc9293_3_10_7_4_rst_in_last_ack_closes_quietly)
{
	struct fx f;
	char buf[8];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	fx_peer_fin(&f, FX_P + 1, I + 1);
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	fx_flush(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_LAST_ACK);
	rst_at(&f, FX_P + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	int v = 1;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 0);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_LAST_ACK][SYNACK_CLOSED], 1);
	CHECK_EQ(c.estab_resets, 0);
	fx_wait(&f, 30 * FX_SEC); /* no FIN retransmission */
	FX_NOTHING(&f);
	fx_free(&f);
}

/* An orphan (closed by the user) in LAST-ACK also just goes. */
TEST(rfc9293_3_10_7_4_rst_in_orphaned_last_ack)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	fx_peer_fin(&f, FX_P + 1, I + 1);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	fx_flush(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_LAST_ACK);
	rst_at(&f, FX_P + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	fx_free(&f);
}

/* ------------------------------------------------ RST acceptability */

/* §3.10.7.4 first step: an RST outside the window is dropped silently and
 * counted (rst_seq); the connection carries on. */
TEST(rfc9293_3_10_7_4_out_of_window_rst_ignored)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	rst_at(&f, FX_P);                 /* left of RCV.NXT */
	rst_at(&f, FX_P + 1 + 65535);     /* RCV.NXT + RCV.WND: just past the edge */
	rst_at(&f, FX_P + 1 + 0x40000000u);
	FX_NOTHING(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_RST_SEQ), 3);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.estab_resets, 0);
	CHECK_EQ(synack_sock_send(f.st, s, "ok", 2), 2);
	FX_EXPECT(&f, SN_TCP_ACK | SN_TCP_PSH, f.our_iss + 1, FX_P + 1);
	fx_free(&f);
}

/* §3.10.7.4 (RFC 5961 §3 check 2): an RST whose sequence number is exactly
 * RCV.NXT resets the connection. */
TEST(rfc9293_3_10_7_4_rst_at_rcv_nxt_resets)
{
	struct fx f;
	char buf[8];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	fx_peer_data(&f, FX_P + 1, I + 1, "0123456789");
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 8);
	fx_flush(&f);
	rst_at(&f, FX_P + 11);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), -ECONNRESET);
	fx_free(&f);
}

/* RFC 9293 without RFC 5961 §3 (synack_config.rfc5961 = 0): any RST
 * inside the window resets (the last in-window sequence number here). With
 * RFC 5961 on (the default) it draws a challenge ACK: test_tcp_rfc5961.c. */
TEST(rfc9293_3_10_7_4_rst_inside_window_resets)
{
	struct fx f;
	struct synack_config c;

	synack_config_default(&c);
	c.rfc5961 = 0;
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	rst_at(&f, FX_P + 1 + 65534);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	int v = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &v), 0);
	CHECK_EQ(v, -ECONNRESET);
	fx_free(&f);
}

/* MUST-66: with a zero receive window, an RST at RCV.NXT is still
 * processed (and the data that does not fit is not). */
TEST(must66_rst_accepted_with_zero_window)
{
	struct fx f;
	static char fill[1000];

	CHECK_EQ(fx_init(&f, NULL), 0);
	struct synack_endpoint ep = {0, FX_PORT};
	f.lsock = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, f.lsock, SYNACK_SO_RCVBUF, (int)sizeof(fill)), 0);
	CHECK_EQ(synack_sock_bind(f.st, f.lsock, &ep), 0);
	CHECK_EQ(synack_sock_listen(f.st, f.lsock, 4), 0);
	int s = fx_passive_another(&f, FX_PEER_PORT, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	memset(fill, 'z', sizeof(fill));
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = FX_P + 1, .ack = I + 1,
				   .wnd = 65535, .data = fill, .len = sizeof(fill)});
	struct synack_tcp_info ti;
	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	CHECK_EQ(ti.rcv_wnd, 0);
	CHECK_EQ(ti.rcv_nxt, FX_P + 1 + sizeof(fill));
	fx_flush(&f);
	fx_peer_data(&f, FX_P + 1001, I + 1, "x"); /* no room: ACK, not taken */
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 1001);
	rst_at(&f, FX_P + 1002);                   /* not RCV.NXT: ignored */
	FX_NOTHING(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	rst_at(&f, FX_P + 1001);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	CHECK_EQ(fx_ctr(&f).estab_resets, 1);
	fx_free(&f);
}

/* §3.10.7.3 SYN-SENT: an RST without ACK cannot be checked against our SYN
 * ("drop the segment and return"); the connection keeps trying. */
TEST(rfc9293_3_10_7_3_syn_sent_rst_without_ack_ignored)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	uint32_t I = o.seq;
	rst_at(&f, 0);
	rst_at(&f, 12345);
	FX_NOTHING(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_SYN_SENT);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_RST_SEQ), 2);
	int v = 1;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &v), 0);
	CHECK_EQ(v, 0);
	/* the handshake still completes */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = FX_P, .ack = I + 1,
				   .wnd = 65535});
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_free(&f);
}

/* §3.10.7.3 SYN-SENT: RST,ACK acknowledging our SYN: "connection reset"
 * (refused); the reset is counted as a failed attempt, not an estab reset. */
TEST(rfc9293_3_10_7_3_syn_sent_rst_ack_refuses)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST | SN_TCP_ACK, .seq = 0, .ack = o.seq + 1});
	FX_NOTHING(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_ERR);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -ECONNREFUSED);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.attempt_fails, 1);
	CHECK_EQ(c.estab_resets, 0);
	fx_wait(&f, 10 * FX_SEC); /* no SYN retransmission */
	FX_NOTHING(&f);
	fx_free(&f);
}

/* ------------------------------------------------ ABORT */

/* §3.10.5 ESTABLISHED: ABORT sends <SEQ=SND.NXT><CTL=RST> (with ACK, as
 * Linux does), flushes the queues, deletes the TCB and frees the
 * descriptor. SND.NXT counts data already sent. */
TEST(rfc9293_3_10_5_abort_sends_rst_and_frees)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(synack_sock_send(f.st, s, "abc", 3), 3);
	fx_flush(&f);
	CHECK_EQ(synack_sock_abort(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_RST | SN_TCP_ACK, I + 4, FX_P + 1);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), -EBADF);
	CHECK_EQ(synack_sock_abort(f.st, s), -EBADF);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.rst_out, 1);
	CHECK_EQ(c.transitions[SYNACK_ESTABLISHED][SYNACK_CLOSED], 1);
	CHECK_EQ(c.in_state[SYNACK_ESTABLISHED], 0);
	fx_wait(&f, 60 * FX_SEC); /* nothing retransmitted */
	FX_NOTHING(&f);
	/* the peer's next segment finds no connection */
	fx_peer_data(&f, FX_P + 1, I + 4, "late");
	FX_EXPECT(&f, SN_TCP_RST, I + 4, 0);
	fx_free(&f);
}

/* §3.10.5 after a go-back-N rewind: the RST carries the highest sequence
 * number sent, so the peer finds it in its window. */
TEST(rfc9293_3_10_5_abort_after_retransmission_uses_snd_max)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_NODELAY, 1), 0);
	CHECK_EQ(synack_sock_send(f.st, s, "abc", 3), 3);
	CHECK_EQ(synack_sock_send(f.st, s, "def", 3), 3);
	struct synack_tcp_info ti;
	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	fx_wait(&f, ti.rto_us); /* RTO: rewinds and resends */
	fx_flush(&f);
	CHECK_EQ(synack_sock_abort(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_RST | SN_TCP_ACK, I + 7, FX_P + 1);
	fx_free(&f);
}

/* §3.10.5 CLOSE-WAIT: ABORT sends RST too. */
TEST(rfc9293_3_10_5_abort_in_close_wait_sends_rst)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	fx_peer_fin(&f, FX_P + 1, I + 1);
	fx_flush(&f);
	CHECK_EQ(synack_sock_abort(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_RST | SN_TCP_ACK, I + 1, FX_P + 2);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	fx_free(&f);
}

/* §3.10.5 SYN-SENT: no RST (the peer knows nothing of us); the TCB goes. */
TEST(rfc9293_3_10_5_abort_in_syn_sent_sends_nothing)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(synack_sock_abort(f.st, s), 0);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	fx_wait(&f, 10 * FX_SEC);
	FX_NOTHING(&f);
	fx_free(&f);
}

/* §3.10.5 CLOSING, LAST-ACK: "respond with ok and delete the TCB", no RST. */
TEST(rfc9293_3_10_5_abort_in_last_ack_sends_nothing)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	fx_peer_fin(&f, FX_P + 1, I + 1);
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	fx_flush(&f);
	CHECK_EQ(synack_sock_abort(f.st, s), 0);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	fx_free(&f);
}

/* ------------------------------------------------ other §3.10.7.4 checks */

/* §3.10.7.4 first step: a segment with an unacceptable sequence number
 * (beyond the window, or wholly old) draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
 * and is dropped (seq_unacceptable); its data is not taken. */
TEST(rfc9293_3_10_7_4_unacceptable_seq_draws_ack)
{
	struct fx f;
	char buf[8];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	fx_peer_data(&f, FX_P + 1 + 65535, I + 1, "far");
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 1);
	fx_peer_data(&f, FX_P - 10, I + 1, "old"); /* ends before RCV.NXT */
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 1);
	fx_peer_ack(&f, FX_P + 1 + 70000, I + 1); /* empty, beyond the window */
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 1);
	FX_NOTHING(&f);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_SEQ), 3);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), -EAGAIN);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_free(&f);
}

/* §3.10.7.4 fourth step, RFC 5961 §4: a SYN in a synchronized state, even
 * in the window, draws a challenge ACK and is dropped; no reset. */
TEST(rfc5961_4_syn_in_established_draws_challenge_ack)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = FX_P + 1, .wnd = 65535});
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 1);
	FX_NOTHING(&f);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = FX_P + 5000, .wnd = 65535});
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 1);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = FX_P - 5000, .wnd = 65535});
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 1);
	FX_NOTHING(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.estab_resets, 0);
	CHECK_EQ(c.rst_out, 0);
	CHECK_EQ(c.drops[SYNACK_DROP_SYN_CHALLENGE], 2); /* the two in the window */
	CHECK_EQ(c.drops[SYNACK_DROP_SEQ], 1);           /* the old one */
	CHECK_EQ(c.challenge_acks, 2);
	/* the connection works as before */
	fx_peer_data(&f, FX_P + 1, I + 1, "hi");
	char buf[4];
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 2);
	fx_free(&f);
}

/* The same in CLOSE-WAIT and FIN-WAIT-2 (all synchronized states). */
TEST(rfc5961_4_syn_in_close_wait_and_fin_wait_2_draws_challenge_ack)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	fx_peer_fin(&f, FX_P + 1, I + 1);
	fx_flush(&f);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = FX_P + 2, .wnd = 65535});
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 2);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSE_WAIT);
	fx_free(&f);

	CHECK_EQ(fx_init(&f, NULL), 0);
	s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	I = f.our_iss;
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	fx_peer_ack(&f, FX_P + 1, I + 2);
	fx_flush(&f);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = FX_P + 1, .wnd = 65535});
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_FIN_WAIT_2);
	fx_free(&f);
}

/* §3.10.7.4 fifth step: "If the ACK acks something not yet sent (SEG.ACK >
 * SND.NXT), then send an ACK, drop the segment, and return" (ack_unsent);
 * its data is not taken. */
TEST(rfc9293_3_10_7_4_ack_of_unsent_data_draws_ack)
{
	struct fx f;
	char buf[8];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	fx_peer_data(&f, FX_P + 1, I + 1000, "abc");
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 1);
	FX_NOTHING(&f);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_ACK_UNSENT), 1);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), -EAGAIN);
	struct synack_tcp_info ti;
	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	CHECK_EQ(ti.snd_una, I + 1);
	CHECK_EQ(ti.rcv_nxt, FX_P + 1);
	/* a FIN with such an ACK is not processed either */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_FIN | SN_TCP_ACK, .seq = FX_P + 1,
				   .ack = I + 1000, .wnd = 65535});
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_free(&f);
}

/* §3.10.7.4 fifth step: "if the ACK bit is off, drop the segment and
 * return" (no_ack): no reply, no data, no FIN taken. */
TEST(rfc9293_3_10_7_4_segment_without_ack_dropped)
{
	struct fx f;
	char buf[8];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_PSH, .seq = FX_P + 1, .wnd = 65535,
				   .data = "abc", .len = 3});
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_FIN, .seq = FX_P + 1, .wnd = 65535});
	fx_in(&f, &(struct fx_seg){.flags = 0, .seq = FX_P + 1, .wnd = 65535});
	FX_NOTHING(&f);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_NO_ACK), 3);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), -EAGAIN);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_wait(&f, FX_SEC); /* not even a delayed ACK */
	FX_NOTHING(&f);
	fx_free(&f);
}
