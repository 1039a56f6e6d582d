/*
 * IP source routes (RFC 9293 §3.9.2.1; RFC 791 §3.1 LSRR/SSRR): the
 * application's route for an active open (MUST-51) beats a received one
 * (MUST-52); a passive open answers by the reversed route of the SYN
 * (MUST-53) and a later, different route replaces it (SHLD-24). Like
 * Linux (accept_source_route = 0) and as RFC 7126 advises, source-routed
 * datagrams are dropped unless the accept_source_route knob is on.
 */
#include "check.h"
#include "tcp_fixture.h"

#define GW1 0x0a010001u
#define GW2 0x0a020002u
#define GW3 0x0a030003u

/* A datagram from the peer carrying s, which came by the gateways
 * rec[0..n) (as recorded on the way: rec[0] the first). completed: 1 the
 * pointer is past the last address, 0 at the first, -1 a malformed pointer
 * (2). opt_type: LSRR or SSRR. */
static void in_routed(struct fx *f, const struct fx_seg *s, uint8_t opt_type, const uint32_t *rec,
		      unsigned n, int completed)
{
	uint8_t plain[2048], buf[2048];
	size_t len = fx_build(f, s, plain);
	size_t olen = 3 + 4 * n, pad = (olen + 3) & ~(size_t)3;

	memset(buf, 0, sizeof(buf));
	buf[SN_IPV4_HDR_LEN] = opt_type;
	buf[SN_IPV4_HDR_LEN + 1] = (uint8_t)olen;
	buf[SN_IPV4_HDR_LEN + 2] = (uint8_t)(completed > 0 ? olen + 1 : completed ? 2 : 4);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *a = buf + SN_IPV4_HDR_LEN + 3 + 4 * i;
		a[0] = (uint8_t)(rec[i] >> 24);
		a[1] = (uint8_t)(rec[i] >> 16);
		a[2] = (uint8_t)(rec[i] >> 8);
		a[3] = (uint8_t)rec[i];
	}
	memcpy(buf + SN_IPV4_HDR_LEN + pad, plain + SN_IPV4_HDR_LEN, len - SN_IPV4_HDR_LEN);
	struct sn_ipv4 ip = {.hdr_len = (uint8_t)(SN_IPV4_HDR_LEN + pad),
			     .total_len = (uint16_t)(len + pad), .ttl = 64,
			     .proto = SN_IPPROTO_TCP, .src = FX_PEER, .dst = FX_US};
	sn_ipv4_build(buf, &ip);
	fx_in_raw(f, buf, ip.total_len);
}

/* The next datagram we sent: its IP header, its source route (n = 0 if
 * none) and its segment, checksummed against the final destination. */
struct out {
	struct sn_ipv4 ip;
	struct sn_ipv4_srr srr;
	struct sn_tcp_seg seg;
};
static int out_routed(struct fx *f, struct out *o)
{
	memset(o, 0, sizeof(*o));
	if (f->rd >= f->nout)
		return 0;
	f->last = f->out[f->rd++];
	if (sn_ipv4_parse(f->last.buf, f->last.len, &o->ip) ||
	    sn_ipv4_find_srr(f->last.buf, o->ip.hdr_len, &o->srr) < 0)
		return 0;
	return sn_tcp_parse(f->last.buf + o->ip.hdr_len, o->ip.total_len - o->ip.hdr_len, FX_US,
			    FX_PEER, &o->seg) == 0;
}

static struct synack_config with_srr(void)
{
	struct synack_config c;
	synack_config_default(&c);
	c.accept_source_route = 1;
	return c;
}

/* MUST-53: a SYN that came by GW1 then GW2 is answered by GW2 then GW1:
 * the SYN,ACK goes to GW2 with a loose source route <GW1, peer>, and so
 * does every later segment of the connection; its options come off the
 * MSS (RFC 9293 §3.7.1: 12 octets). */
TEST(must53_passive_open_answers_by_reversed_route)
{
	struct fx f;
	struct out o;
	struct synack_config c = with_srr();
	const uint32_t rec[] = {GW1, GW2};

	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK(fx_listen(&f) >= 0);
	in_routed(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535, .mss = 1460},
		  SN_IPOPT_LSRR, rec, 2, 1);
	CHECK(out_routed(&f, &o));
	CHECK_EQ(o.seg.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK_EQ(o.ip.dst, GW2);
	CHECK_EQ(o.ip.hdr_len, 32);
	CHECK_EQ(o.srr.strict, 0);
	CHECK_EQ(o.srr.completed, 0);
	CHECK_EQ(o.srr.n, 2);
	CHECK_EQ(o.srr.addr[0], GW1);
	CHECK_EQ(o.srr.addr[1], FX_PEER);
	uint32_t iss = o.seg.seq;

	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = iss + 1, .wnd = 65535});
	int s = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK(s >= 0);
	struct synack_route r;
	CHECK_EQ(synack_sock_route(f.st, s, &r), 0);
	CHECK_EQ(r.n, 2);
	CHECK_EQ(r.hops[0], GW2);
	CHECK_EQ(r.hops[1], GW1);
	struct synack_tcp_info ti;
	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	CHECK_EQ(ti.snd_mss, 1460 - 12);
	CHECK_EQ(synack_sock_send(f.st, s, "hi", 2), 2);
	CHECK(out_routed(&f, &o));
	CHECK_EQ(o.seg.len, 2);
	CHECK_EQ(o.ip.dst, GW2);
	CHECK_EQ(o.srr.n, 2);
	fx_free(&f);
}

/* SHLD-24: a later segment that came by a different route (GW3 alone)
 * replaces the return route; the MSS follows the smaller options. */
TEST(shld24_later_source_route_overrides)
{
	struct fx f;
	struct out o;
	struct synack_config c = with_srr();
	const uint32_t rec[] = {GW1, GW2}, rec2[] = {GW3};

	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK(fx_listen(&f) >= 0);
	in_routed(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535, .mss = 1460},
		  SN_IPOPT_LSRR, rec, 2, 1);
	CHECK(out_routed(&f, &o));
	uint32_t iss = o.seg.seq;
	in_routed(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = iss + 1, .wnd = 65535},
		  SN_IPOPT_SSRR, rec2, 1, 1);
	int s = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), 1);
	CHECK(out_routed(&f, &o));
	CHECK_EQ(o.ip.dst, GW3);
	CHECK_EQ(o.srr.strict, 1);
	CHECK_EQ(o.srr.n, 1);
	CHECK_EQ(o.srr.addr[0], FX_PEER);
	struct synack_tcp_info ti;
	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	CHECK_EQ(ti.snd_mss, 1460 - 8);
	/* a segment without a route leaves the route alone */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = iss + 2, .wnd = 65535});
	CHECK_EQ(synack_sock_send(f.st, s, "y", 1), 1);
	CHECK(out_routed(&f, &o));
	CHECK_EQ(o.ip.dst, GW3);
	fx_free(&f);
}

/* MUST-51, MUST-52: the application gives a strict route for its active
 * open; the SYN goes to GW1 with <GW2, GW3, peer>; the peer's SYN,ACK
 * comes by another route, and our ACK still goes the application's way. */
TEST(must51_must52_application_source_route)
{
	struct fx f;
	struct out o;
	struct synack_config c = with_srr();
	struct synack_route app = {.strict = 1, .n = 3, .hops = {GW1, GW2, GW3}};
	struct synack_endpoint remote = {FX_PEER, FX_PEER_PORT};
	const uint32_t rec[] = {GW3};

	CHECK_EQ(fx_init(&f, &c), 0);
	int s = synack_sock_open(f.st);
	struct synack_route bad = {.n = SYNACK_ROUTE_MAX + 1};
	CHECK_EQ(synack_sock_set_route(f.st, s, &bad), -EINVAL);
	CHECK_EQ(synack_sock_set_route(f.st, s, &app), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &remote), -EINPROGRESS);
	CHECK(out_routed(&f, &o));
	CHECK_EQ(o.seg.flags, SN_TCP_SYN);
	CHECK_EQ(o.ip.dst, GW1);
	CHECK_EQ(o.srr.strict, 1);
	CHECK_EQ(o.srr.n, 3);
	CHECK_EQ(o.srr.addr[0], GW2);
	CHECK_EQ(o.srr.addr[1], GW3);
	CHECK_EQ(o.srr.addr[2], FX_PEER);
	f.our_port = o.seg.sport;
	in_routed(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = 5000,
				       .ack = o.seg.seq + 1, .wnd = 65535, .mss = 1460},
		  SN_IPOPT_LSRR, rec, 1, 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK(out_routed(&f, &o));
	CHECK_EQ(o.seg.flags, SN_TCP_ACK);
	CHECK_EQ(o.ip.dst, GW1);
	CHECK_EQ(o.srr.n, 3);
	in_routed(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_PSH, .seq = 5001,
				       .ack = o.seg.seq, .wnd = 65535, .data = "ab", .len = 2},
		  SN_IPOPT_LSRR, rec, 1, 1);
	CHECK_EQ(synack_sock_send(f.st, s, "z", 1), 1);
	while (out_routed(&f, &o))
		CHECK_EQ(o.ip.dst, GW1);
	struct synack_tcp_info ti;
	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	CHECK_EQ(ti.snd_mss, 1460 - 16);
	fx_free(&f);
}

/* accept_source_route = 0 (the default, as Linux): a source-routed SYN is
 * dropped and counted, with no answer. With it on, a route that is not
 * done (we would have to forward) and a malformed one are dropped too. */
TEST(must53_source_routes_dropped_unless_accept_source_route)
{
	struct fx f;
	struct out o;
	struct synack_config c = with_srr();
	const uint32_t rec[] = {GW1};
	const struct fx_seg syn = {.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535, .mss = 1460};

	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK_EQ(synack_stack_config(f.st)->accept_source_route, 0);
	CHECK(fx_listen(&f) >= 0);
	in_routed(&f, &syn, SN_IPOPT_LSRR, rec, 1, 1);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_IP_SRCROUTE), 1);
	CHECK_EQ(strcmp(synack_drop_name(SYNACK_DROP_IP_SRCROUTE), "ip_source_route"), 0);
	fx_in(&f, &syn); /* the same SYN without the option is answered */
	CHECK(fx_out(&f, &o.seg));
	fx_free(&f);

	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK(fx_listen(&f) >= 0);
	in_routed(&f, &syn, SN_IPOPT_LSRR, rec, 1, 0);
	in_routed(&f, &syn, SN_IPOPT_SSRR, rec, 1, -1);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_IP_SRCROUTE), 2);
	fx_free(&f);
}

/* MUST-53 for replies without a connection: the RST to a source-routed
 * SYN for a closed port goes back by the reversed route. */
TEST(must53_reset_follows_reversed_route)
{
	struct fx f;
	struct out o;
	struct synack_config c = with_srr();
	const uint32_t rec[] = {GW1, GW2};

	CHECK_EQ(fx_init(&f, &c), 0);
	in_routed(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535},
		  SN_IPOPT_LSRR, rec, 2, 1);
	CHECK(out_routed(&f, &o));
	CHECK_EQ(o.seg.flags, SN_TCP_RST | SN_TCP_ACK);
	CHECK_EQ(o.ip.dst, GW2);
	CHECK_EQ(o.srr.n, 2);
	CHECK_EQ(o.srr.addr[0], GW1);
	CHECK_EQ(o.srr.addr[1], FX_PEER);
	fx_free(&f);
}

/* SHLD-24 for in-order data on an ESTABLISHED connection, the shape header
 * prediction takes (src/tcp/fastpath.c): a segment that came by a source
 * route still replaces the return route, so a source-routed datagram goes
 * through the full steps. */
TEST(shld24_in_order_data_adopts_route)
{
	struct fx f;
	struct out o;
	struct synack_config c = with_srr();
	const uint32_t rec[] = {GW3};

	CHECK_EQ(fx_init(&f, &c), 0);
	int s = fx_passive_established(&f, 5000);
	CHECK(s >= 0);
	struct synack_counters c0, c1;
	synack_stack_counters(f.st, &c0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_PSH, .seq = f.peer_iss + 1,
				  .ack = f.our_iss + 1, .wnd = 65535, .data = "ab", .len = 2});
	synack_stack_counters(f.st, &c1);
	CHECK_EQ(c1.hp_hits, c0.hp_hits + 1); /* that shape is predicted */
	fx_flush(&f);
	in_routed(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_PSH, .seq = f.peer_iss + 3,
				       .ack = f.our_iss + 1, .wnd = 65535, .data = "cd", .len = 2},
		  SN_IPOPT_SSRR, rec, 1, 1);
	fx_flush(&f);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), 1);
	CHECK(out_routed(&f, &o));
	CHECK_EQ(o.ip.dst, GW3);
	CHECK_EQ(o.srr.strict, 1);
	CHECK_EQ(o.srr.n, 1);
	fx_free(&f);
}
