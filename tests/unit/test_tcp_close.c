/*
 * Closing a connection: RFC 9293 §3.6 (active, passive, simultaneous close,
 * half-close), §3.10.4 (CLOSE), §3.8.1 (a lost FIN is retransmitted), and the
 * Linux behaviours the socket layer copies (RST on close with unread data or
 * SO_LINGER 0, a closing listener resets its queue, tcp_fin_timeout).
 *
 * I is our ISN (f.our_iss), FX_P the peer's; the peer's window is 65535.
 */
#include "check.h"
#include "tcp_close_fixture.h"

/* §3.6 case 1 (Figure 12): ESTABLISHED -> FIN-WAIT-1 (our FIN takes one
 * sequence number) -> FIN-WAIT-2 on its ACK -> TIME-WAIT on the peer's FIN,
 * which we ACK; TIME-WAIT lasts exactly 2*MSL (MUST-13) with a non-default
 * MSL, then CLOSED. */
TEST(rfc9293_3_6_active_close_fin_wait_time_wait_2msl)
{
	struct fx f;
	const uint64_t msl = 7 * FX_SEC;
	struct synack_config cfg = fx_cfg_msl((uint32_t)msl);

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_1);

	fx_wait(&f, 10 * FX_MS);
	fx_peer_ack(&f, FX_P + 1, I + 2); /* the FIN took sequence number I+1 */
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_2);

	fx_wait(&f, 10 * FX_MS);
	fx_peer_fin(&f, FX_P + 1, I + 2);
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);

	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_ESTABLISHED][SYNACK_FIN_WAIT_1], 1);
	CHECK_EQ(c.transitions[SYNACK_FIN_WAIT_1][SYNACK_FIN_WAIT_2], 1);
	CHECK_EQ(c.transitions[SYNACK_FIN_WAIT_2][SYNACK_TIME_WAIT], 1);
	CHECK_EQ(c.tw_entered, 1);
	CHECK_EQ(c.tw_expired, 0);
	CHECK_EQ(c.in_state[SYNACK_TIME_WAIT], 1);
	CHECK_EQ(c.in_state[SYNACK_FIN_WAIT_2], 0);

	fx_wait(&f, 2 * msl - 1);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_wait(&f, 1);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	FX_NOTHING(&f);

	c = fx_ctr(&f);
	CHECK_EQ(c.tw_expired, 1);
	CHECK_EQ(c.transitions[SYNACK_TIME_WAIT][SYNACK_CLOSED], 1);
	CHECK_EQ(c.in_state[SYNACK_TIME_WAIT], 0);
	CHECK_EQ(c.illegal_transitions, 0);
	fx_free(&f);
}

/* §3.6 case 1, the other side (Figure 12): the peer's FIN after its data
 * moves us to CLOSE-WAIT; RECEIVE returns the data then end of stream
 * (§3.10.3); CLOSE sends our FIN (LAST-ACK) and its ACK ends the connection
 * with no TIME-WAIT on this side. */
TEST(rfc9293_3_6_passive_close_close_wait_last_ack)
{
	struct fx f;
	char buf[16];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_PSH | SN_TCP_FIN, .seq = FX_P + 1,
				   .ack = I + 1, .wnd = 65535, .data = "hello", .len = 5});
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 7); /* 5 bytes and the FIN */
	FX_NOTHING(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSE_WAIT);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_RDHUP);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_OUT);

	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 0);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 0);

	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 7);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_LAST_ACK);

	fx_peer_ack(&f, FX_P + 7, I + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);

	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_ESTABLISHED][SYNACK_CLOSE_WAIT], 1);
	CHECK_EQ(c.transitions[SYNACK_CLOSE_WAIT][SYNACK_LAST_ACK], 1);
	CHECK_EQ(c.transitions[SYNACK_LAST_ACK][SYNACK_CLOSED], 1);
	CHECK_EQ(c.tw_entered, 0);
	CHECK_EQ(c.in_state[SYNACK_LAST_ACK], 0);
	fx_free(&f);
}

/* §3.6 case 2 (Figure 13): FIN crosses FIN. FIN-WAIT-1 -> CLOSING on the
 * peer's FIN (which does not ACK ours; we ACK it), then TIME-WAIT on the ACK
 * of our FIN. */
TEST(rfc9293_3_6_simultaneous_close_through_closing)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_FIN_WAIT_1);

	fx_peer_fin(&f, FX_P + 1, I + 1); /* its FIN, sent before ours arrived */
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSING);

	fx_peer_ack(&f, FX_P + 2, I + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED); /* the socket sees the end */

	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_FIN_WAIT_1][SYNACK_CLOSING], 1);
	CHECK_EQ(c.transitions[SYNACK_CLOSING][SYNACK_TIME_WAIT], 1);
	CHECK_EQ(c.transitions[SYNACK_FIN_WAIT_1][SYNACK_FIN_WAIT_2], 0);
	CHECK_EQ(c.tw_entered, 1);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	fx_free(&f);
}

/* §3.3.2 Note 2 and §3.10.7.4 eighth step, FIN-WAIT-1: a FIN that also
 * acknowledges our FIN goes straight to TIME-WAIT, never FIN-WAIT-2. */
TEST(rfc9293_3_3_2_note2_fin_ack_in_fin_wait_1_to_time_wait)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	fx_peer_fin(&f, FX_P + 1, I + 2);
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);

	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_FIN_WAIT_1][SYNACK_TIME_WAIT], 1);
	CHECK_EQ(c.transitions[SYNACK_FIN_WAIT_1][SYNACK_FIN_WAIT_2], 0);
	CHECK_EQ(c.transitions[SYNACK_FIN_WAIT_2][SYNACK_TIME_WAIT], 0);
	CHECK_EQ(c.transitions[SYNACK_FIN_WAIT_1][SYNACK_CLOSING], 0);
	CHECK_EQ(c.tw_entered, 1);
	CHECK_EQ(c.illegal_transitions, 0);
	fx_free(&f);
}

/* §3.6: "a TCP implementation ... may continue to RECEIVE until told that
 * the remote side has closed". After shutdown(SHUT_WR) the peer keeps
 * sending in FIN-WAIT-2; we receive and ACK it (MUST-58 aggregation: the
 * delayed ACK covers it), then its FIN brings TIME-WAIT. */
TEST(rfc9293_3_6_half_close_receive_in_fin_wait_2)
{
	struct fx f;
	char buf[16];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	fx_peer_ack(&f, FX_P + 1, I + 2);
	CHECK_EQ(fx_state(&f, s), SYNACK_FIN_WAIT_2);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), -EPIPE);

	fx_peer_data(&f, FX_P + 1, I + 2, "abc");
	fx_wait(&f, synack_stack_config(f.st)->delack_us);
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 4);
	FX_NOTHING(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_FIN_WAIT_2);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "abc", 3) == 0);

	fx_peer_data(&f, FX_P + 4, I + 2, "defg");
	fx_peer_data(&f, FX_P + 8, I + 2, "hi");
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 10); /* every second segment */
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 6);
	CHECK(memcmp(buf, "defghi", 6) == 0);

	fx_peer_fin(&f, FX_P + 10, I + 2);
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 11);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 0);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	fx_free(&f);
}

/* §3.6 and §3.10.2: after the peer's FIN (CLOSE-WAIT) we may still SEND;
 * the data goes out with ACK of the FIN, then our close sends FIN after it. */
TEST(rfc9293_3_6_half_close_send_in_close_wait)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	fx_peer_fin(&f, FX_P + 1, I + 1);
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 2);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSE_WAIT);

	CHECK_EQ(synack_sock_send(f.st, s, "xyz", 3), 3);
	struct sn_tcp_seg o;
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK | SN_TCP_PSH);
	CHECK_EQ(o.seq, I + 1);
	CHECK_EQ(o.ack, FX_P + 2);
	CHECK_EQ(o.len, 3);
	CHECK(memcmp(o.payload, "xyz", 3) == 0);
	fx_peer_ack(&f, FX_P + 2, I + 4);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSE_WAIT);

	CHECK_EQ(synack_sock_send(f.st, s, "uv", 2), 2);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, I + 4);
	CHECK_EQ(o.len, 2);
	fx_peer_ack(&f, FX_P + 2, I + 6);

	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 6, FX_P + 2);
	CHECK_EQ(fx_conn_state(&f), SYNACK_LAST_ACK);
	fx_peer_ack(&f, FX_P + 2, I + 7);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	FX_NOTHING(&f);
	fx_free(&f);
}

/* §3.10.4: CLOSE with data still queued: the FIN follows the last byte and
 * takes the sequence number after it. CLOSE implies PUSH (§3.8) and nothing
 * more will be written, so Nagle no longer holds the tail: it goes at once
 * with the FIN on it (Linux's tcp_send_fin does the same). */
TEST(rfc9293_3_10_4_close_fin_follows_queued_data)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	CHECK_EQ(synack_sock_send(f.st, s, "abc", 3), 3);
	CHECK(fx_out(&f, &o)); /* sent at once: nothing was unacknowledged */
	CHECK_EQ(o.seq, I + 1);
	CHECK_EQ(o.len, 3);
	CHECK_EQ(synack_sock_send(f.st, s, "de", 2), 2); /* Nagle holds this */
	FX_NOTHING(&f);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	CHECK(fx_out(&f, &o)); /* the rest, with the FIN riding on it */
	CHECK_EQ(o.flags, SN_TCP_ACK | SN_TCP_PSH | SN_TCP_FIN);
	CHECK_EQ(o.seq, I + 4);
	CHECK_EQ(o.ack, FX_P + 1);
	CHECK_EQ(o.len, 2);
	CHECK(memcmp(o.payload, "de", 2) == 0);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_1);

	fx_peer_ack(&f, FX_P + 1, I + 4);
	FX_NOTHING(&f);
	fx_peer_ack(&f, FX_P + 1, I + 6);
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_1); /* data acked, FIN not */
	fx_peer_ack(&f, FX_P + 1, I + 7);
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_2);
	fx_free(&f);
}

/* §3.10.4 SYN-SENT: CLOSE deletes the TCB; nothing is sent. */
TEST(rfc9293_3_10_4_close_in_syn_sent_sends_nothing)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	fx_wait(&f, 10 * FX_SEC); /* no SYN retransmission after the close */
	FX_NOTHING(&f);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_SYN_SENT][SYNACK_CLOSED], 1);
	fx_free(&f);
}

/* A second shutdown(SHUT_WR), and close after it, send no second FIN. */
TEST(rfc9293_3_10_4_close_when_closing_sends_no_second_fin)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	FX_NOTHING(&f);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_1);
	fx_free(&f);
}

/* §3.8.1 and RFC 6298 (5.4)-(5.6): a lost FIN is retransmitted when the RTO
 * expires, with the same sequence number, and the timer backs off (doubles)
 * each time; the peer's eventual ACK of it gives FIN-WAIT-2. */
TEST(rfc9293_3_8_1_lost_fin_retransmitted_with_backoff)
{
	struct fx f;
	struct synack_tcp_info ti;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	uint64_t rto = ti.rto_us;
	CHECK(rto >= synack_stack_config(f.st)->rto_min_us);

	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);

	fx_wait(&f, rto - 1);
	FX_NOTHING(&f);
	fx_wait(&f, 1);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	FX_NOTHING(&f);

	fx_wait(&f, 2 * rto - 1);
	FX_NOTHING(&f);
	fx_wait(&f, 1);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);

	fx_wait(&f, 4 * rto - 1);
	FX_NOTHING(&f);
	fx_wait(&f, 1);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	FX_NOTHING(&f);

	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	CHECK_EQ(ti.retransmits, 3);
	CHECK_EQ(ti.state, SYNACK_FIN_WAIT_1);
	CHECK_EQ(ti.snd_una, I + 1);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.retrans_segs, 3);
	CHECK_EQ(c.rto_timeouts, 3);

	fx_peer_ack(&f, FX_P + 1, I + 2);
	CHECK_EQ(fx_state(&f, s), SYNACK_FIN_WAIT_2);
	fx_wait(&f, 60 * FX_SEC); /* nothing outstanding: no more retransmissions */
	FX_NOTHING(&f);
	fx_free(&f);
}

/* Linux tcp_fin_timeout (RFC 9293 has no FIN-WAIT-2 timer; §3.6 lets the
 * peer keep its side open for ever): an orphaned connection whose FIN was
 * ACKed but whose peer never sends its own FIN is closed after
 * fin_timeout_us. A connection still owned by a socket waits. */
TEST(linux_orphaned_fin_wait_2_ends_after_fin_timeout)
{
	struct fx f;
	struct synack_config cfg;
	const uint64_t tmo = 3 * FX_SEC;

	synack_config_default(&cfg);
	cfg.fin_timeout_us = (uint32_t)tmo;
	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	fx_wait(&f, 5 * FX_MS);
	fx_peer_ack(&f, FX_P + 1, I + 2);
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_2);

	fx_wait(&f, tmo - 1);
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_2);
	fx_wait(&f, 1);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	FX_NOTHING(&f);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_FIN_WAIT_2][SYNACK_CLOSED], 1);
	CHECK_EQ(c.tw_entered, 0);
	CHECK_EQ(c.in_state[SYNACK_FIN_WAIT_2], 0);
	/* the peer's late FIN finds no connection: RST */
	fx_peer_fin(&f, FX_P + 1, I + 2);
	FX_EXPECT(&f, SN_TCP_RST, I + 2, 0);
	fx_free(&f);
}

/* The same timer does not touch a half-closed connection its socket owns. */
TEST(linux_fin_timeout_spares_owned_fin_wait_2)
{
	struct fx f;
	struct synack_config cfg;

	synack_config_default(&cfg);
	cfg.fin_timeout_us = 3 * FX_SEC;
	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	fx_peer_ack(&f, FX_P + 1, I + 2);
	fx_wait(&f, 10 * FX_SEC);
	CHECK_EQ(fx_state(&f, s), SYNACK_FIN_WAIT_2);
	/* closing it now orphans it: the timer starts then */
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	fx_wait(&f, 3 * FX_SEC - 1);
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_2);
	fx_wait(&f, 1);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	fx_free(&f);
}

/* SHLD-3 (§3.6, RFC 2525 §2.17): closing with received data unread sends
 * RST to show that data was lost, not FIN (Linux too):
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>. */
TEST(shld3_close_with_unread_data_sends_rst)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	fx_peer_data(&f, FX_P + 1, I + 1, "unread");
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_RST | SN_TCP_ACK, I + 1, FX_P + 7);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.rst_out, 1);
	CHECK_EQ(c.tw_entered, 0);
	CHECK_EQ(c.transitions[SYNACK_ESTABLISHED][SYNACK_CLOSED], 1);
	CHECK_EQ(c.transitions[SYNACK_ESTABLISHED][SYNACK_FIN_WAIT_1], 0);
	fx_wait(&f, 10 * FX_SEC);
	FX_NOTHING(&f);
	fx_free(&f);
}

/* The same in CLOSE-WAIT: data before the FIN left unread. */
TEST(shld3_close_in_close_wait_with_unread_data_sends_rst)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	fx_peer_data(&f, FX_P + 1, I + 1, "ab");
	fx_peer_fin(&f, FX_P + 3, I + 1);
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 4);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSE_WAIT);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_RST | SN_TCP_ACK, I + 1, FX_P + 4);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	fx_free(&f);
}

/* SHLD-3, second half: "or if new data is received after CLOSE is called,
 * its TCP implementation SHOULD send a RST". Nobody will read it: the
 * orphan in FIN-WAIT-2 answers new data with a reset (as Linux does, from
 * the segment: <SEQ=SEG.ACK><CTL=RST>) and is gone. */
TEST(shld3_data_after_close_in_fin_wait_2_draws_rst)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	fx_peer_ack(&f, FX_P + 1, I + 2);
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_2);
	fx_peer_data(&f, FX_P + 1, I + 2, "more");
	FX_EXPECT(&f, SN_TCP_RST, I + 2, 0);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_FIN_WAIT_2][SYNACK_CLOSED], 1);
	CHECK_EQ(c.tw_entered, 0);
	fx_free(&f);
}

/* The same in FIN-WAIT-1, data that does not yet ACK our FIN. */
TEST(shld3_data_after_close_in_fin_wait_1_draws_rst)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	fx_peer_data(&f, FX_P + 1, I + 1, "more");
	FX_EXPECT(&f, SN_TCP_RST, I + 1, 0);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	CHECK_EQ(fx_ctr(&f).transitions[SYNACK_FIN_WAIT_1][SYNACK_CLOSED], 1);
	fx_free(&f);
}

/* Not new data: a retransmission of bytes already received before the
 * close, or a bare FIN, is handled normally (ACK; FIN leads to TIME-WAIT). */
TEST(shld3_old_data_or_fin_after_close_is_no_reset)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	char buf[8];

	fx_peer_data(&f, FX_P + 1, I + 1, "ab");
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 2);
	fx_flush(&f);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 3);
	fx_peer_ack(&f, FX_P + 3, I + 2);
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_2);
	fx_peer_data(&f, FX_P + 1, I + 2, "ab"); /* old: unacceptable, ACKed */
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 3);
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_2);
	fx_peer_data(&f, FX_P + 2, I + 2, "b"); /* old too, inside nothing new */
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 3);
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_2);
	fx_peer_fin(&f, FX_P + 3, I + 2);
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 4);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_free(&f);
}

/* SO_LINGER with a zero timeout: close aborts (RST, §3.10.5) and the
 * connection skips FIN-WAIT and TIME-WAIT entirely, as on Linux. */
TEST(so_linger_zero_close_sends_rst_skips_time_wait)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;

	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_LINGER, 0), 0);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_RST | SN_TCP_ACK, I + 1, FX_P + 1);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.tw_entered, 0);
	CHECK_EQ(c.in_state[SYNACK_TIME_WAIT], 0);
	CHECK_EQ(c.transitions[SYNACK_ESTABLISHED][SYNACK_CLOSED], 1);
	/* the port is free again at once: a new SYN is accepted */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 50000, .wnd = 65535});
	struct sn_tcp_seg o;
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK_EQ(o.ack, 50001);
	fx_free(&f);
}

/* SO_LINGER 0 inherited from the listener by an accepted socket. */
TEST(so_linger_zero_inherited_by_accepted_socket)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK(fx_listen(&f) >= 0);
	CHECK_EQ(synack_sock_setopt(f.st, f.lsock, SYNACK_SO_LINGER, 0), 0);
	int s = fx_passive_another(&f, FX_PEER_PORT, FX_P);
	CHECK(s >= 0);
	int v = -1;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_LINGER, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_RST | SN_TCP_ACK, f.our_iss + 1, FX_P + 1);
	fx_free(&f);
}

/* Closing a listener resets the connections it has not handed out: one
 * still in SYN-RECEIVED, one ESTABLISHED in the accept queue (Linux
 * inet_csk_listen_stop). They go to CLOSED, not back to LISTEN. */
TEST(close_listener_resets_unaccepted_connections)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK(fx_listen(&f) >= 0);
	/* peer port 40001: handshake complete, not accepted */
	f.peer_port = 40001;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535});
	CHECK(fx_out(&f, &o));
	uint32_t iss1 = o.seq;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = iss1 + 1, .wnd = 65535});
	CHECK_EQ(fx_conn_state(&f), SYNACK_ESTABLISHED);
	/* peer port 40002: only the SYN */
	f.peer_port = 40002;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 7000, .wnd = 65535});
	CHECK(fx_out(&f, &o));
	uint32_t iss2 = o.seq;
	CHECK_EQ(fx_conn_state(&f), SYNACK_SYN_RECEIVED);
	FX_NOTHING(&f);

	CHECK_EQ(synack_sock_close(f.st, f.lsock), 0);
	int seen1 = 0, seen2 = 0;
	while (fx_out(&f, &o)) {
		CHECK_EQ(o.flags, SN_TCP_RST | SN_TCP_ACK);
		if (o.dport == 40001) {
			CHECK_EQ(o.seq, iss1 + 1);
			CHECK_EQ(o.ack, 1001);
			seen1++;
		} else {
			CHECK_EQ(o.dport, 40002);
			CHECK_EQ(o.seq, iss2 + 1);
			CHECK_EQ(o.ack, 7001);
			seen2++;
		}
	}
	CHECK_EQ(seen1, 1);
	CHECK_EQ(seen2, 1);
	f.peer_port = 40001;
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	f.peer_port = 40002;
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_ESTABLISHED][SYNACK_CLOSED], 1);
	CHECK_EQ(c.transitions[SYNACK_SYN_RECEIVED][SYNACK_CLOSED], 1);
	CHECK_EQ(c.transitions[SYNACK_SYN_RECEIVED][SYNACK_LISTEN], 0);
	CHECK_EQ(c.transitions[SYNACK_LISTEN][SYNACK_CLOSED], 1);
	CHECK_EQ(c.in_state[SYNACK_LISTEN], 0);
	CHECK_EQ(c.in_state[SYNACK_ESTABLISHED], 0);
	CHECK_EQ(c.in_state[SYNACK_SYN_RECEIVED], 0);
	/* the port is closed now: a new SYN draws RST,ACK */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 9000, .wnd = 65535});
	FX_EXPECT(&f, SN_TCP_RST | SN_TCP_ACK, 0, 9001);
	fx_free(&f);
}

/* An accepted connection is the user's: closing the listener leaves it. */
TEST(close_listener_keeps_accepted_connections)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_close(f.st, f.lsock), 0);
	FX_NOTHING(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK_EQ(synack_sock_send(f.st, s, "ok", 2), 2);
	FX_EXPECT(&f, SN_TCP_ACK | SN_TCP_PSH, f.our_iss + 1, FX_P + 1);
	fx_free(&f);
}

/* §3.10.4 SYN-RECEIVED: CLOSE before our SYN is acknowledged (here after a
 * simultaneous open) queues the FIN; it goes once the SYN is ACKed, with
 * the sequence number after the SYN. */
TEST(rfc9293_3_10_4_close_in_syn_received_fin_after_syn_acked)
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
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = FX_P, .wnd = 65535});
	FX_EXPECT(&f, SN_TCP_SYN | SN_TCP_ACK, I, FX_P + 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_SYN_RECEIVED);

	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_NOTHING(&f); /* no FIN before the SYN is acknowledged */
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_1);

	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = FX_P, .ack = I + 1,
				   .wnd = 65535});
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	FX_NOTHING(&f);
	fx_peer_fin(&f, FX_P + 1, I + 2);
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_SYN_RECEIVED][SYNACK_FIN_WAIT_1], 1);
	CHECK_EQ(c.illegal_transitions, 0);
	fx_free(&f);
}

/* §3.6, FIN-WAIT-2: the peer's last data and FIN in one segment; the ACK
 * covers both, TIME-WAIT follows, and the half-closed socket still reads
 * the data, then end of stream. */
TEST(rfc9293_3_6_fin_wait_2_data_with_fin)
{
	struct fx f;
	char buf[16];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	fx_peer_ack(&f, FX_P + 1, I + 2);
	fx_flush(&f);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_FIN, .seq = FX_P + 1, .ack = I + 2,
				   .wnd = 65535, .data = "bye", .len = 3});
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 5);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "bye", 3) == 0);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 0);
	fx_free(&f);
}

/* §3.10.7.4 eighth step: a FIN past a hole is not processed until the hole
 * fills; then CLOSE-WAIT, with one ACK covering everything. */
TEST(rfc9293_3_10_7_4_fin_beyond_hole_waits_for_the_data)
{
	struct fx f;
	char buf[16];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_FIN, .seq = FX_P + 4, .ack = I + 1,
				   .wnd = 65535, .data = "def", .len = 3});
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 1); /* duplicate ACK for the hole */
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), -EAGAIN);
	fx_peer_data(&f, FX_P + 1, I + 1, "abc");
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 8);
	FX_NOTHING(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSE_WAIT);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 6);
	CHECK(memcmp(buf, "abcdef", 6) == 0);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 0);
	fx_free(&f);
}

/* §3.10.7.4: the peer's FIN again in CLOSE-WAIT (our ACK was lost) is old
 * and draws an ACK; nothing changes. */
TEST(rfc9293_3_10_7_4_retransmitted_fin_in_close_wait_reacked)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	fx_peer_fin(&f, FX_P + 1, I + 1);
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 2);
	fx_peer_fin(&f, FX_P + 1, I + 1);
	FX_EXPECT(&f, SN_TCP_ACK, I + 1, FX_P + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSE_WAIT);
	CHECK_EQ(fx_ctr(&f).transitions[SYNACK_ESTABLISHED][SYNACK_CLOSE_WAIT], 1);
	fx_free(&f);
}

/* §3.8.1 in LAST-ACK and CLOSING: our unacknowledged FIN is retransmitted
 * after the RTO like any other sequence space. */
TEST(rfc9293_3_8_1_fin_retransmitted_in_last_ack_and_closing)
{
	struct fx f;
	struct synack_tcp_info ti;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	fx_peer_fin(&f, FX_P + 1, I + 1);
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	fx_flush(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_LAST_ACK);
	fx_wait(&f, ti.rto_us);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 2);
	fx_peer_ack(&f, FX_P + 2, I + 2);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	fx_free(&f);

	CHECK_EQ(fx_init(&f, NULL), 0);
	s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	I = f.our_iss;
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	fx_peer_fin(&f, FX_P + 1, I + 1);
	fx_flush(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSING);
	fx_wait(&f, ti.rto_us);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 2);
	fx_peer_ack(&f, FX_P + 2, I + 2);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_free(&f);
}

/* MUST-20 for the FIN: when it is never acknowledged the connection is
 * aborted after R2 retransmissions and the user told ETIMEDOUT. */
TEST(must20_unacked_fin_gives_up_after_r2)
{
	struct fx f;
	struct synack_config cfg;
	struct synack_tcp_info ti;

	synack_config_default(&cfg);
	cfg.retries2 = 2;
	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	uint64_t rto = ti.rto_us;
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	fx_wait(&f, rto);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	fx_wait(&f, 2 * rto);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	fx_wait(&f, 4 * rto - 1);
	FX_NOTHING(&f);
	CHECK_EQ(fx_state(&f, s), SYNACK_FIN_WAIT_1);
	fx_wait(&f, 1);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	int v = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &v), 0);
	CHECK_EQ(v, -ETIMEDOUT);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.conn_timeouts, 1);
	CHECK_EQ(c.transitions[SYNACK_FIN_WAIT_1][SYNACK_CLOSED], 1);
	fx_free(&f);
}
