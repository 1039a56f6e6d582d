/*
 * Half-open connections (RFC 9293 §3.5.1) and listener backlogs.
 */
#include "check.h"
#include "tcp_fixture.h"

/* §3.5.1 Figure 10: the peer crashed and reconnects with the same 4-tuple.
 * Its SYN in our ESTABLISHED connection draws an ACK (RFC 5961 challenge);
 * the peer, in SYN-SENT, answers that ACK with <SEQ=SEG.ACK><CTL=RST>, which
 * is exactly RCV.NXT, so we reset; its next SYN then finds a listener. */
TEST(rfc9293_3_5_1_half_open_detected_when_peer_reconnects)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 400, .wnd = 65535});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(o.ack, 1001);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = o.ack});
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	CHECK_EQ(synack_sock_recv(f.st, s, &o, 1), -ECONNRESET);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 400, .wnd = 65535});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK_EQ(o.ack, 401);
	fx_free(&f);
}

/* §3.5.1 Figure 11: we crashed (no connection); the peer's data draws a
 * reset with <SEQ=SEG.ACK>, which the peer will accept. */
TEST(rfc9293_3_5_1_data_for_lost_connection_draws_rst)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(fx_init(&f, NULL), 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_PSH, .seq = 300, .ack = 100,
				   .wnd = 1000, .data = "hello", .len = 5});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_RST);
	CHECK_EQ(o.seq, 100);
	fx_free(&f);
}

/* The listener's backlog bounds connections waiting for accept: a SYN
 * beyond it is dropped (the peer retries) and counted. */
TEST(listen_backlog_full_drops_syn_and_counts)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint ep = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int l = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, l, &ep), 0);
	CHECK_EQ(synack_sock_listen(f.st, l, 2), 0);
	for (int i = 0; i < 2; i++) {
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535,
					   .sport = (uint16_t)(5000 + i)});
		CHECK(fx_out(&f, &o));
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1,
					   .wnd = 65535, .sport = (uint16_t)(5000 + i)});
	}
	CHECK(synack_sock_events(f.st, l) & SYNACK_EV_IN);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535, .sport = 5002});
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_BACKLOG), 1);
	/* accept hands connections out in arrival order */
	struct synack_endpoint peer;
	CHECK(synack_sock_accept(f.st, l, &peer) >= 0);
	CHECK_EQ(peer.port, 5000);
	CHECK(synack_sock_accept(f.st, l, &peer) >= 0);
	CHECK_EQ(peer.port, 5001);
	CHECK_EQ(synack_sock_accept(f.st, l, &peer), -EAGAIN);
	CHECK_EQ(synack_sock_events(f.st, l) & SYNACK_EV_IN, 0);
	/* room again: the retried SYN is answered */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535, .sport = 5002});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	fx_free(&f);
}

/* A passive SYN-RECEIVED whose SYN,ACK is never answered gives up after
 * synack_retries retransmissions (tcp_synack_retries; syn_retries is for
 * active opens) and goes back to LISTEN (MUST-11 spirit). */
TEST(syn_received_gives_up_after_synack_retries)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;

	synack_config_default(&c);
	c.synack_retries = 2;
	c.syn_retries = 9; /* not this one */
	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK(fx_listen(&f) >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535});
	CHECK(fx_out(&f, &o));
	fx_wait(&f, 1 * FX_SEC);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	fx_wait(&f, 2 * FX_SEC);
	CHECK(fx_out(&f, &o));
	fx_wait(&f, 4 * FX_SEC);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	struct synack_counters k;
	synack_stack_counters(f.st, &k);
	CHECK_EQ(k.in_state[SYNACK_LISTEN], 1);
	CHECK_EQ(k.attempt_fails, 1);
	fx_free(&f);
}
