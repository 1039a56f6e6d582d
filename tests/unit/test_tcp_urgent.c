/*
 * Urgent data: RFC 9293 §3.8.5 (MUST-30..33, MUST-62, MUST-66), and the
 * IP fields an application may set (MUST-48, MUST-49).
 */
#include "check.h"
#include "tcp_fixture.h"

/* MUST-30/62: send_urgent sets URG with the pointer at the first octet
 * after the urgent data; once it is acknowledged URG stops. */
TEST(must30_must62_urgent_pointer_marks_first_non_urgent_octet)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send_urgent(f.st, s, "!!", 2), 2);
	CHECK(fx_out(&f, &o));
	CHECK(o.flags & SN_TCP_URG);
	CHECK_EQ(o.len, 2);
	CHECK_EQ(o.seq + o.urp, f.our_iss + 1 + 2);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 2, .wnd = 65535});
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), 1);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags & SN_TCP_URG, 0);
	fx_free(&f);
}

/* MUST-31: urgent data longer than a segment: every segment before the
 * pointer carries URG. */
TEST(must31_urgent_data_of_any_length)
{
	struct fx f;
	struct sn_tcp_seg o;
	static char big[3000];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_NODELAY, 1), 0);
	CHECK_EQ(synack_sock_send_urgent(f.st, s, big, sizeof big), 3000);
	uint32_t end = f.our_iss + 1 + 3000;
	int segs = 0;
	while (fx_out(&f, &o)) {
		CHECK(o.flags & SN_TCP_URG);
		CHECK_EQ(o.seq + o.urp, end);
		segs++;
	}
	CHECK_EQ(segs, 3);
	fx_free(&f);
}

/* MUST-32/33: the receiver learns of urgent data (EV_PRI) and how much is
 * unread (urgent_pending); it reads it in line. */
TEST(must32_must33_receiver_told_of_urgent_data)
{
	struct fx f;
	struct synack_tcp_info ti;
	char buf[16];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_events(f.st, s) & SYNACK_EV_PRI, 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_URG | SN_TCP_PSH, .seq = 1001,
				   .ack = f.our_iss + 1, .wnd = 65535, .data = "abcdef", .len = 6,
				   .urp = 4});
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_PRI);
	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	CHECK_EQ(ti.urgent_pending, 4);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, 3), 3);
	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	CHECK_EQ(ti.urgent_pending, 1);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, 3), 3);
	CHECK_EQ(synack_sock_events(f.st, s) & SYNACK_EV_PRI, 0);
	CHECK_EQ(memcmp(buf, "def", 3), 0);
	fx_free(&f);
}

/* MUST-66: URG is processed even when the receive window is zero. */
TEST(must66_urg_processed_with_zero_window)
{
	struct fx f;
	struct synack_config c;
	static char fill[1024];

	synack_config_default(&c);
	c.rcvbuf = 1024;
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = f.our_iss + 1,
				   .wnd = 65535, .data = fill, .len = 1024});
	fx_flush(&f);
	/* window is now zero; an ACK at RCV.NXT with URG pointing ahead */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_URG, .seq = 1001 + 1024,
				   .ack = f.our_iss + 1, .wnd = 65535, .urp = 10});
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_PRI);
	fx_free(&f);
}

/* MUST-49, MUST-48: TTL and TOS of outgoing datagrams are the socket's. */
TEST(must48_must49_ttl_and_tos_settable)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct sn_ipv4 ip;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_IP_TTL, 0), -EINVAL);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_IP_TTL, 7), 0);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_IP_TOS, 0x10), 0);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), 1);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(sn_ipv4_parse(f.last.buf, f.last.len, &ip), 0);
	CHECK_EQ(ip.ttl, 7);
	CHECK_EQ(ip.tos, 0x10);
	int v = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_IP_TTL, &v), 0);
	CHECK_EQ(v, 7);
	fx_free(&f);
}
