/*
 * Three-way handshake and simultaneous open: RFC 9293 §3.5, §3.10.7.
 */
#include "check.h"
#include "tcp_fixture.h"

/* §3.5 Figure 6: passive open answers SYN with SYN,ACK (ack = SEG.SEQ+1,
 * MSS option, MUST-14) and reaches ESTABLISHED on the ACK. */
TEST(rfc9293_3_5_passive_open_three_way_handshake)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK(fx_listen(&f) >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535, .mss = 1460});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK_EQ(o.ack, 1001);
	CHECK(o.opts.has_mss);
	CHECK_EQ(o.opts.mss, 1460);
	CHECK_EQ(fx_conn_state(&f), SYNACK_SYN_RECEIVED);
	CHECK_EQ(synack_sock_accept(f.st, f.lsock, NULL), -EAGAIN);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1, .wnd = 65535});
	CHECK_EQ(fx_pending(&f), 0);
	int s = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK(s >= 0);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_free(&f);
}

/* Active open: SYN with MSS, then ACK of the SYN,ACK; ESTABLISHED. */
TEST(rfc9293_3_5_active_open_three_way_handshake)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EALREADY);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN);
	CHECK(o.opts.has_mss);
	CHECK_EQ(fx_state(&f, s), SYNACK_SYN_SENT);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = 5000, .ack = o.seq + 1,
				   .wnd = 65535, .mss = 1000});
	struct sn_tcp_seg a;
	CHECK(fx_out(&f, &a));
	CHECK_EQ(a.flags, SN_TCP_ACK);
	CHECK_EQ(a.seq, o.seq + 1);
	CHECK_EQ(a.ack, 5001);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EISCONN);
	int mss = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_TCP_MAXSEG, &mss), 0);
	CHECK_EQ(mss, 1000); /* MUST-14: the peer's MSS bounds ours */
	fx_free(&f);
}

/* MUST-10: simultaneous open. SYN crosses SYN: SYN-SENT -> SYN-RECEIVED,
 * send SYN,ACK; the peer's SYN,ACK then makes it ESTABLISHED. */
TEST(must10_simultaneous_open)
{
	struct fx f;
	struct sn_tcp_seg o, sa;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 7000, .wnd = 65535, .mss = 1460});
	CHECK_EQ(fx_state(&f, s), SYNACK_SYN_RECEIVED);
	CHECK(fx_out(&f, &sa));
	CHECK_EQ(sa.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK_EQ(sa.seq, o.seq);
	CHECK_EQ(sa.ack, 7001);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = 7000, .ack = o.seq + 1,
				   .wnd = 65535, .mss = 1460});
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_free(&f);
}

/* MUST-11: an RST in SYN-RECEIVED from a passive open returns to LISTEN:
 * the half-open connection goes, the listener stays and accepts again. */
TEST(must11_syn_received_rst_returns_to_listen)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK(fx_listen(&f) >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535});
	CHECK(fx_out(&f, &o));
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = 1001});
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	struct synack_counters c;
	synack_stack_counters(f.st, &c);
	CHECK_EQ(c.transitions[SYNACK_SYN_RECEIVED][SYNACK_LISTEN], 1);
	CHECK_EQ(c.in_state[SYNACK_LISTEN], 1);
	CHECK_EQ(c.in_state[SYNACK_SYN_RECEIVED], 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 9000, .wnd = 65535});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	fx_free(&f);
}

/* §3.10.7.1: a segment to a port nobody listens on draws RST; with ACK
 * set <SEQ=SEG.ACK><CTL=RST>, without <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
TEST(rfc9293_3_10_7_1_closed_port_resets)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(fx_init(&f, NULL), 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 100});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_RST | SN_TCP_ACK);
	CHECK_EQ(o.seq, 0);
	CHECK_EQ(o.ack, 1001);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1, .ack = 777, .wnd = 100});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_RST);
	CHECK_EQ(o.seq, 777);
	/* an RST is never answered */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = 1});
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_NO_SOCKET), 2);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_RST_NO_SOCKET), 1);
	fx_free(&f);
}

/* A connect to a closed port: RST,ACK in SYN-SENT -> ECONNREFUSED (MUST-12). */
TEST(must12_connect_refused_reported)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	/* an RST whose ACK is unacceptable is ignored */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST | SN_TCP_ACK, .seq = 0, .ack = o.seq + 5});
	CHECK_EQ(fx_state(&f, s), SYNACK_SYN_SENT);
	fx_flush(&f);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST | SN_TCP_ACK, .seq = 0, .ack = o.seq + 1});
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_ERR);
	int err = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &err), 0);
	CHECK_EQ(err, -ECONNREFUSED);
	fx_free(&f);
}

/* MUST-23 / RFC 6298: a SYN is retransmitted with exponential backoff and
 * the open fails with ETIMEDOUT after syn_retries retransmissions. */
TEST(must23_syn_retransmission_backoff_and_timeout)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT};

	synack_config_default(&c);
	c.syn_retries = 3;
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	uint64_t gap = 1 * FX_SEC; /* RFC 6298 (2.1): initial RTO 1 s */
	for (int i = 0; i < 3; i++) {
		fx_wait(&f, gap - 1);
		CHECK_EQ(fx_pending(&f), 0);
		fx_wait(&f, 1);
		CHECK(fx_out(&f, &o));
		CHECK_EQ(o.flags, SN_TCP_SYN);
		gap *= 2;
	}
	fx_wait(&f, gap);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	int err = 0;
	synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &err);
	CHECK_EQ(err, -ETIMEDOUT);
	fx_free(&f);
}

/* MUST-46: an OPEN to a broadcast or multicast address is refused. */
TEST(must46_no_open_to_broadcast_or_multicast)
{
	struct fx f;
	struct synack_endpoint bc = {0xffffffffu, 80}, mc = {0xe0000001u, 80};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &bc), -ENETUNREACH);
	CHECK_EQ(synack_sock_connect(f.st, s, &mc), -ENETUNREACH);
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* MUST-23: with the default configuration a SYN is retried for at least
 * three minutes before the open fails. */
TEST(must23_default_syn_retries_last_three_minutes)
{
	struct fx f;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	fx_wait(&f, 180 * FX_SEC);
	CHECK_EQ(fx_state(&f, s), SYNACK_SYN_SENT);
	fx_wait(&f, 200 * FX_SEC);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	fx_free(&f);
}
