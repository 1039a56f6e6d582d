/*
 * RFC 9293 requirements on addresses, OPEN and options that fit no other
 * file: MUST-41, MUST-43, MUST-46, MUST-63, MUST-69.
 */
#include "check.h"
#include "tcp_fixture.h"

/* A SYN from src (any address) to us, built by hand. */
static size_t syn_from_addr(uint8_t *buf, uint32_t src, uint16_t sport)
{
	struct sn_tcp_seg seg = {.sport = sport, .dport = FX_PORT, .seq = 1000,
				 .flags = SN_TCP_SYN, .wnd = 65535};
	size_t hlen = sn_tcp_build(buf + SN_IPV4_HDR_LEN, &seg, src, FX_US);
	struct sn_ipv4 ip = {.hdr_len = 20, .total_len = (uint16_t)(20 + hlen), .ttl = 64,
			     .proto = SN_IPPROTO_TCP, .src = src, .dst = FX_US};
	sn_ipv4_build(buf, &ip);
	return ip.total_len;
}

/* MUST-63: a SYN from an invalid source (broadcast, multicast, zero,
 * loopback, our own address) is dropped without a SYN,ACK or RST. */
TEST(must63_syn_from_invalid_source_dropped)
{
	struct fx f;
	uint32_t bad[] = {0xffffffffu, 0xe0000005u, 0, 0x7f000001u, FX_US};
	uint8_t buf[128];

	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK(fx_listen(&f) >= 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		fx_in_raw(&f, buf, syn_from_addr(buf, bad[i], 4000));
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_IP_BAD_SRC), 5);
	fx_in_raw(&f, buf, syn_from_addr(buf, FX_PEER, 4000)); /* a valid one is answered */
	CHECK_EQ(fx_pending(&f), 1);
	fx_free(&f);
}

/* MUST-46: OPEN to an invalid remote address or port is refused. */
TEST(must46_open_to_invalid_address_refused)
{
	struct fx f;
	struct synack_endpoint zero = {0, 80}, port0 = {FX_PEER, 0}, bc = {0xffffffffu, 80},
			       mc = {0xe1000001u, 80};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &zero), -EINVAL);
	CHECK_EQ(synack_sock_connect(f.st, s, &port0), -EINVAL);
	CHECK_EQ(synack_sock_connect(f.st, s, &bc), -ENETUNREACH);
	CHECK_EQ(synack_sock_connect(f.st, s, &mc), -ENETUNREACH);
	CHECK_EQ(synack_sock_connect(f.st, s, NULL), -EINVAL);
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* MUST-43: OPEN takes an optional local address: bind() names it (it must
 * be the stack's own) and the SYN comes from it; a foreign one is refused. */
TEST(must43_optional_local_address_in_open)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct sn_ipv4 ip;
	struct synack_endpoint mine = {FX_US, 4321}, foreign = {0x0a000063u, 4321};
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &foreign), -EADDRNOTAVAIL);
	CHECK_EQ(synack_sock_bind(f.st, s, &mine), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.sport, 4321);
	CHECK_EQ(sn_ipv4_parse(f.last.buf, f.last.len, &ip), 0);
	CHECK_EQ(ip.src, FX_US);
	fx_free(&f);
}

/* MUST-41: a passive OPEN does not interfere with other connections: the
 * listener keeps accepting while earlier connections from it live and
 * die, and a second listener on another port works beside it. */
TEST(must41_passive_open_does_not_interfere)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint other = {0, 8080};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int a = fx_passive_established(&f, 1000);
	CHECK(a >= 0);
	int l2 = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, l2, &other), 0);
	CHECK_EQ(synack_sock_listen(f.st, l2, 4), 0);
	/* the first connection is reset; the listener does not care */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = 1001});
	CHECK_EQ(fx_state(&f, a), SYNACK_CLOSED);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 5000, .wnd = 65535, .sport = 40001});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 7000, .wnd = 65535, .sport = 40002,
				   .dport = 8080});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK_EQ(o.sport, 8080);
	fx_free(&f);
}

/* MUST-69: the option area is padded to a 32-bit boundary, and anything
 * after an end-of-options is zero. For every combination the builder can
 * write: the length is a multiple of 4, and after an EOL only zeros. */
TEST(must69_options_padded_with_zero)
{
	uint8_t buf[128];

	for (unsigned m = 0; m < 32; m++) {
		struct sn_tcp_seg seg = {.sport = 1, .dport = 2, .flags = SN_TCP_SYN, .wnd = 1};
		seg.opts.has_mss = m & 1;
		seg.opts.mss = 1460;
		seg.opts.has_wscale = (m >> 1) & 1;
		seg.opts.wscale = 7;
		seg.opts.sack_ok = (m >> 2) & 1;
		seg.opts.has_ts = (m >> 3) & 1;
		seg.opts.ts_val = 0x01020304;
		seg.opts.nsack = (m >> 4) & 1;
		seg.opts.sack[0].left = 5;
		seg.opts.sack[0].right = 9;
		memset(buf, 0xa5, sizeof(buf));
		size_t hlen = sn_tcp_build(buf, &seg, FX_US, FX_PEER);
		CHECK_EQ(hlen % 4, 0);
		int after_eol = 0;
		for (size_t i = SN_TCP_HDR_LEN; i < hlen;) {
			if (after_eol) {
				CHECK_EQ(buf[i], 0);
				i++;
			} else if (buf[i] == 0) {
				after_eol = 1;
				i++;
			} else if (buf[i] == 1) {
				i++;
			} else {
				CHECK(buf[i + 1] >= 2);
				i += buf[i + 1];
			}
		}
	}
}
