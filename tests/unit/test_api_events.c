/*
 * Readiness events (synack_sock_events), the non-blocking contract.
 */
#include "check.h"
#include "tcp_fixture.h"

TEST(events_follow_the_connection_lifecycle)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_events(f.st, s), SYNACK_EV_OUT | SYNACK_EV_HUP);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK_EQ(synack_sock_events(f.st, s), 0); /* SYN-SENT: nothing yet */
	CHECK_EQ(synack_sock_recv(f.st, s, &o, 1), -EAGAIN);
	CHECK(fx_out(&f, &o));
	f.our_port = o.sport;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = 100, .ack = o.seq + 1,
				   .wnd = 65535, .mss = 1460});
	CHECK_EQ(synack_sock_events(f.st, s), SYNACK_EV_OUT);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 101, .ack = o.seq + 1, .wnd = 65535,
				   .data = "abc", .len = 3});
	CHECK_EQ(synack_sock_events(f.st, s), SYNACK_EV_OUT | SYNACK_EV_IN);
	char buf[8];
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof buf), 3);
	CHECK_EQ(synack_sock_events(f.st, s), SYNACK_EV_OUT);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_FIN, .seq = 104, .ack = o.seq + 1,
				   .wnd = 65535});
	CHECK_EQ(synack_sock_events(f.st, s), SYNACK_EV_OUT | SYNACK_EV_IN | SYNACK_EV_RDHUP);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof buf), 0);
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_HUP);
	CHECK_EQ(synack_sock_events(f.st, s) & SYNACK_EV_OUT, 0);
	CHECK_EQ(synack_sock_events(f.st, 999), 0);
	fx_free(&f);
}

/* A reset connection reports EV_ERR until SO_ERROR is read. */
TEST(events_err_after_reset)
{
	struct fx f;
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = 1001});
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_ERR);
	int err = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &err), 0);
	CHECK_EQ(err, -ECONNRESET);
	CHECK_EQ(synack_sock_events(f.st, s) & SYNACK_EV_ERR, 0);
	fx_free(&f);
}

/* Sending fills the send buffer; EV_OUT goes away and send says -EAGAIN,
 * and comes back as the peer acknowledges. */
TEST(events_out_tracks_send_buffer_space)
{
	struct fx f;
	struct synack_config c;
	struct sn_tcp_seg o;
	static char big[8192];

	synack_config_default(&c);
	c.sndbuf = 4096;
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, big, sizeof big), 4096);
	CHECK_EQ(synack_sock_events(f.st, s) & SYNACK_EV_OUT, 0);
	CHECK_EQ(synack_sock_send(f.st, s, big, 1), -EAGAIN);
	CHECK(fx_out(&f, &o));
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + o.len,
				   .wnd = 65535});
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_OUT);
	fx_free(&f);
}
