/*
 * SHLD-2 (RFC 9293 §3.5.3, RFC 1122 4.2.2.12): an RST may contain data,
 * such as text on why it was sent. synack accepts such an RST like any
 * other, counts it (SynackRstWithData) and keeps its first
 * SYNACK_RST_DATA_MAX bytes for the application (synack_sock_rst_data).
 */
#include "check.h"
#include "tcp_fixture.h"

static uint64_t rst_data_count(struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c.rst_with_data;
}

/* SHLD-2: an in-window RST at RCV.NXT carrying text resets the connection
 * (the reader gets ECONNRESET) and the text is reported. */
TEST(shld2_rst_data_reported_to_application)
{
	struct fx f;
	static const char why[] = "closed by policy 42";
	char buf[SYNACK_RST_DATA_MAX];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_rst_data(f.st, s, buf, sizeof(buf)), 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = 1001, .data = why,
				   .len = sizeof(why) - 1});
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), -ECONNRESET);
	CHECK_EQ(rst_data_count(&f), 1);
	ssize_t n = synack_sock_rst_data(f.st, s, buf, sizeof(buf));
	CHECK_EQ(n, (ssize_t)sizeof(why) - 1);
	CHECK_EQ(memcmp(buf, why, sizeof(why) - 1), 0);
	CHECK_EQ(synack_sock_rst_data(f.st, s, buf, 6), 6); /* a short buffer gets the start */
	CHECK_EQ(memcmp(buf, "closed", 6), 0);
	CHECK_EQ(synack_sock_rst_data(f.st, 999, buf, 6), -EBADF);
	fx_free(&f);
}

/* SHLD-2 in SYN-SENT: an RST,ACK refusing our SYN with text; the text is
 * cut to SYNACK_RST_DATA_MAX bytes. An RST without data reports nothing. */
TEST(shld2_rst_data_refused_connect_truncated)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT};
	char text[200], buf[256];

	memset(text, 'x', sizeof(text));
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	f.our_port = o.sport;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST | SN_TCP_ACK, .seq = 0, .ack = o.seq + 1,
				   .data = text, .len = sizeof(text)});
	int err = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &err), 0);
	CHECK_EQ(err, -ECONNREFUSED);
	CHECK_EQ(synack_sock_rst_data(f.st, s, buf, sizeof(buf)), SYNACK_RST_DATA_MAX);
	CHECK_EQ(buf[SYNACK_RST_DATA_MAX - 1], 'x');
	CHECK_EQ(rst_data_count(&f), 1);
	fx_free(&f);

	CHECK_EQ(fx_init(&f, NULL), 0);
	s = fx_passive_established(&f, 1000);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = 1001});
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), -ECONNRESET);
	CHECK_EQ(synack_sock_rst_data(f.st, s, buf, sizeof(buf)), 0);
	CHECK_EQ(rst_data_count(&f), 0);
	fx_free(&f);
}
