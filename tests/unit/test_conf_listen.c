/*
 * Simultaneous LISTENs for one port (RFC 9293 §3.9.1 OPEN with a foreign
 * socket, MUST-42): fully and partly specified passive OPENs
 * (synack_sock_restrict) share a local port with each other and with one
 * unspecified listener, and a SYN goes to the most specific that matches;
 * a listener also coexists with a connection of the same local port in
 * SYN-SENT or SYN-RECEIVED.
 */
#include "check.h"
#include "tcp_fixture.h"

#define PEER_B 0x0a000003u
#define PEER_C 0x0a000004u

/* A header-only segment from src:sport to our FX_PORT. */
static void seg_from(struct fx *f, uint32_t src, uint16_t sport, uint8_t flags, uint32_t seq,
		     uint32_t ack)
{
	uint8_t buf[128];
	struct sn_tcp_seg seg = {.sport = sport, .dport = FX_PORT, .seq = seq, .ack = ack,
				 .flags = flags, .wnd = 65535};
	if (flags & SN_TCP_SYN) {
		seg.opts.has_mss = 1;
		seg.opts.mss = 1460;
	}
	size_t hlen = sn_tcp_build(buf + SN_IPV4_HDR_LEN, &seg, src, FX_US);
	struct sn_ipv4 ip = {.hdr_len = SN_IPV4_HDR_LEN, .total_len = (uint16_t)(SN_IPV4_HDR_LEN + hlen),
			     .ttl = 64, .proto = SN_IPPROTO_TCP, .src = src, .dst = FX_US};
	sn_ipv4_build(buf, &ip);
	fx_in_raw(f, buf, ip.total_len);
}

/* The whole handshake from src:sport; 1 if our SYN,ACK came back. */
static int handshake_from(struct fx *f, uint32_t src, uint16_t sport)
{
	struct sn_tcp_seg o;

	seg_from(f, src, sport, SN_TCP_SYN, 7000, 0);
	if (!fx_out(f, &o) || o.flags != (SN_TCP_SYN | SN_TCP_ACK) || o.dport != sport)
		return 0;
	seg_from(f, src, sport, SN_TCP_ACK, 7001, o.seq + 1);
	return 1;
}

/* A listener on FX_PORT restricted to foreign (NULL: unrestricted). */
static int listener(struct fx *f, const struct synack_endpoint *foreign)
{
	struct synack_endpoint ep = {0, FX_PORT};
	int s = synack_sock_open(f->st);

	if (s < 0 || (foreign && synack_sock_restrict(f->st, s, foreign)) ||
	    synack_sock_bind(f->st, s, &ep) || synack_sock_listen(f->st, s, 8))
		return -1;
	return s;
}

/* The peer of the connection accept takes from l; {0, 0} if none. */
static struct synack_endpoint accepted(struct fx *f, int l)
{
	struct synack_endpoint peer = {0, 0};
	int s = synack_sock_accept(f->st, l, &peer);
	if (s >= 0)
		synack_sock_close(f->st, s);
	fx_flush(f); /* the FIN of that close */
	return peer;
}

/* MUST-42: one unspecified listener and three specified ones on port 80
 * (bound in that order, none with SO_REUSEADDR); each SYN reaches the most
 * specific listener that matches it. */
TEST(must42_most_specific_listener_gets_the_syn)
{
	struct fx f;
	struct synack_endpoint full = {FX_PEER, 40000}, addr_only = {FX_PEER, 0},
			       other = {PEER_B, 41000};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int any = listener(&f, NULL);
	int l_full = listener(&f, &full);
	int l_addr = listener(&f, &addr_only);
	int l_other = listener(&f, &other);
	CHECK(any >= 0 && l_full >= 0 && l_addr >= 0 && l_other >= 0);

	CHECK(handshake_from(&f, FX_PEER, 40000));
	CHECK(handshake_from(&f, FX_PEER, 40001));
	CHECK(handshake_from(&f, PEER_B, 41000));
	CHECK(handshake_from(&f, PEER_B, 41001));
	CHECK(handshake_from(&f, PEER_C, 40000));

	struct synack_endpoint p = accepted(&f, l_full);
	CHECK_EQ(p.addr, FX_PEER);
	CHECK_EQ(p.port, 40000);
	CHECK_EQ(accepted(&f, l_full).port, 0);
	p = accepted(&f, l_addr);
	CHECK_EQ(p.addr, FX_PEER);
	CHECK_EQ(p.port, 40001);
	CHECK_EQ(accepted(&f, l_addr).port, 0);
	p = accepted(&f, l_other);
	CHECK_EQ(p.addr, PEER_B);
	CHECK_EQ(p.port, 41000);
	CHECK_EQ(accepted(&f, l_other).port, 0);
	p = accepted(&f, any);
	CHECK_EQ(p.addr, PEER_B);
	CHECK_EQ(p.port, 41001);
	p = accepted(&f, any);
	CHECK_EQ(p.addr, PEER_C);
	CHECK_EQ(accepted(&f, any).port, 0);
	fx_free(&f);
}

/* MUST-42: the order does not matter: specified listeners first, then the
 * unspecified one; without any unspecified listener a SYN that matches no
 * restriction is refused like one to a closed port (§3.10.7.1). */
TEST(must42_specified_listeners_first_then_unspecified)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint full = {FX_PEER, 40000};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int l_full = listener(&f, &full);
	CHECK(l_full >= 0);
	seg_from(&f, PEER_B, 40000, SN_TCP_SYN, 9000, 0);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_RST | SN_TCP_ACK);
	CHECK_EQ(o.ack, 9001);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_NO_SOCKET), 1);

	int any = listener(&f, NULL);
	CHECK(any >= 0);
	CHECK(handshake_from(&f, PEER_B, 40000));
	CHECK(handshake_from(&f, FX_PEER, 40000));
	CHECK_EQ(accepted(&f, any).addr, PEER_B);
	CHECK_EQ(accepted(&f, l_full).addr, FX_PEER);
	fx_free(&f);
}

/* MUST-42 limits: two listeners with the same restriction, or two
 * unspecified ones, cannot share the port (-EADDRINUSE, MUST-41: the first
 * is untouched); a restriction comes before listen (-EINVAL after). When a
 * specified listener closes, its SYNs go to the unspecified one. */
TEST(must42_same_restriction_twice_is_in_use)
{
	struct fx f;
	struct synack_endpoint full = {FX_PEER, 40000}, ep = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int any = listener(&f, NULL);
	int l_full = listener(&f, &full);
	CHECK(any >= 0 && l_full >= 0);
	CHECK_EQ(listener(&f, NULL), -1);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_restrict(f.st, s, &full), 0);
	CHECK_EQ(synack_sock_bind(f.st, s, &ep), 0);
	CHECK_EQ(synack_sock_listen(f.st, s, 4), -EADDRINUSE);
	/* lifting the restriction of a bound socket: the port is taken */
	CHECK_EQ(synack_sock_restrict(f.st, s, NULL), -EADDRINUSE);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	CHECK_EQ(synack_sock_restrict(f.st, l_full, NULL), -EINVAL);

	CHECK(handshake_from(&f, FX_PEER, 40000));
	CHECK_EQ(accepted(&f, l_full).port, 40000);
	CHECK_EQ(synack_sock_close(f.st, l_full), 0);
	CHECK(handshake_from(&f, FX_PEER, 40000 + 1));
	CHECK_EQ(accepted(&f, any).port, 40001);
	fx_free(&f);
}

/* MUST-42 port accounting: once every specified listener is gone the port
 * is free again for a plain bind without SO_REUSEADDR; bind, then
 * restrict, works too. */
TEST(must42_restricted_port_holds_released)
{
	struct fx f;
	struct synack_endpoint addr_only = {FX_PEER, 0}, ep = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int a = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, a, &ep), 0);
	CHECK_EQ(synack_sock_restrict(f.st, a, &addr_only), 0);
	CHECK_EQ(synack_sock_listen(f.st, a, 4), 0);
	int b = listener(&f, NULL);
	CHECK(b >= 0);
	CHECK_EQ(synack_sock_close(f.st, b), 0);
	CHECK_EQ(synack_sock_close(f.st, a), 0);
	int c = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, c, &ep), 0);
	int d = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, d, &ep), -EADDRINUSE);
	fx_free(&f);
}

/* MUST-42 as RFC 9293 §3.9.1 words it: LISTEN on a port while a
 * connection of the same local port is in SYN-SENT, and again while one is
 * in SYN-RECEIVED; the connections go on undisturbed. */
TEST(must42_listen_while_syn_sent_and_syn_received)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint remote = {PEER_B, 5000}, ep = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int c = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, c, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, c, &ep), 0);
	CHECK_EQ(synack_sock_connect(f.st, c, &remote), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN);
	CHECK_EQ(fx_state(&f, c), SYNACK_SYN_SENT);
	uint32_t iss = o.seq;

	/* a specified listener, and an unspecified one with SO_REUSEADDR */
	struct synack_endpoint only = {FX_PEER, 0};
	int l1 = listener(&f, &only);
	int l2 = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, l2, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, l2, &ep), 0);
	CHECK_EQ(synack_sock_listen(f.st, l2, 4), 0);
	CHECK(l1 >= 0);

	/* a SYN to the listener puts a connection in SYN-RECEIVED ... */
	seg_from(&f, FX_PEER, 40000, SN_TCP_SYN, 7000, 0);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	/* ... and another LISTEN on the port meanwhile: a specified one binds
	 * over the SYN-RECEIVED connection without SO_REUSEADDR */
	struct synack_endpoint c_only = {PEER_C, 0};
	int l3 = listener(&f, &c_only);
	CHECK(l3 >= 0);
	CHECK(handshake_from(&f, PEER_C, 42000));
	CHECK_EQ(accepted(&f, l3).addr, PEER_C);
	seg_from(&f, FX_PEER, 40000, SN_TCP_ACK, 7001, o.seq + 1);
	CHECK_EQ(accepted(&f, l1).port, 40000);

	/* the SYN-SENT connection completes */
	seg_from(&f, PEER_B, 5000, SN_TCP_SYN | SN_TCP_ACK, 3000, iss + 1);
	CHECK_EQ(fx_state(&f, c), SYNACK_ESTABLISHED);
	fx_free(&f);
}
