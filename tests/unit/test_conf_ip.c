/*
 * What TCP asks of IP for a connection (RFC 9293 §3.9.1, §3.9.2): the IP
 * identification of retransmissions (MAY-4) and the Diffserv field the
 * application sets (SHLD-21, SHLD-22).
 */
#include "check.h"
#include "tcp_fixture.h"

/* The IP header of the datagram fx_out just returned. */
static struct sn_ipv4 last_ip(struct fx *f)
{
	struct sn_ipv4 ip = {0};
	(void)sn_ipv4_parse(f->last.buf, f->last.len, &ip);
	return ip;
}

/* MAY-4: a retransmission may carry the same IP identification as the
 * original. synack sends atomic datagrams (DF set, RFC 6864), all with id 0,
 * so the retransmitted segment's datagram is identified exactly as the
 * first one was. */
TEST(may4_retransmission_keeps_ip_identity)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, "hello", 5), 5);
	CHECK(fx_out(&f, &o));
	struct sn_ipv4 first = last_ip(&f);
	CHECK_EQ(first.frag & SN_IPV4_DF, SN_IPV4_DF);
	fx_wait(&f, 2 * FX_SEC);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, f.our_iss + 1);
	CHECK_EQ(o.len, 5);
	struct sn_ipv4 again = last_ip(&f);
	CHECK_EQ(again.id, first.id);
	CHECK_EQ(again.frag, first.frag);
	fx_free(&f);
}

/* SHLD-22: the Diffserv field the application gives is passed to IP
 * unchanged (DSCP EF, 0xb8), on the SYN,ACK of an accepted connection as on
 * its data. The two ECN bits set here (0xbb) are not the DS field: they are
 * TCP's (RFC 3168 §5), dropped from IP_TOS as Linux drops them on TCP
 * sockets, and Not-ECT on a connection without ECN. */
TEST(shld22_diffserv_passed_unchanged_to_ip)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint ep = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int l = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, l, SYNACK_IP_TOS, 0xbb), 0);
	CHECK_EQ(synack_sock_bind(f.st, l, &ep), 0);
	CHECK_EQ(synack_sock_listen(f.st, l, 4), 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535, .mss = 1460});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK_EQ(last_ip(&f).tos, 0xb8);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1, .wnd = 65535});
	int s = synack_sock_accept(f.st, l, NULL);
	CHECK(s >= 0);
	int v = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_IP_TOS, &v), 0);
	CHECK_EQ(v, 0xb8);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), 1);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(last_ip(&f).tos, 0xb8);
	fx_free(&f);
}

/* SHLD-21: the application may change the Diffserv field while the
 * connection runs; the next datagram, a retransmission included, carries
 * the new value. */
TEST(shld21_diffserv_changed_during_connection)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_active_established(&f, 5000);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, "a", 1), 1);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(last_ip(&f).tos, 0);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_IP_TOS, 0x28), 0);
	fx_wait(&f, 250 * FX_MS); /* the retransmission of "a" (RTO 200 ms: RTT ~0) */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.len, 1);
	CHECK_EQ(last_ip(&f).tos, 0x28);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 5001, .ack = o.seq + 1, .wnd = 65535});
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_IP_TOS, 0x10), 0);
	CHECK_EQ(synack_sock_send(f.st, s, "b", 1), 1);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(last_ip(&f).tos, 0x10);
	fx_free(&f);
}
