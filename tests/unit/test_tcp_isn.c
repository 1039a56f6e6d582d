/*
 * Initial sequence numbers, RFC 9293 §3.4.1: ISN = M + F(4-tuple, secret)
 * with M a clock ticking every 4 µs (MUST-8) and F a keyed PRF (SHLD-1)
 * whose secret is the stack's own, so it cannot be computed from outside
 * (MUST-9).
 */
#include "check.h"
#include "tcp_fixture.h"

#define PEER_ISS 5000u

/* A SYN to the listener from (src, sport); returns the ISN of the SYN,ACK
 * (0 and *ok = 0 if none came), then resets the half-open connection so
 * the 4-tuple is free again (MUST-11: back to LISTEN). */
static uint32_t isn_for(struct fx *f, uint32_t src, uint16_t sport, int *ok)
{
	uint8_t buf[128];
	struct sn_tcp_seg seg = {.sport = sport, .dport = f->our_port, .seq = PEER_ISS,
				 .flags = SN_TCP_SYN, .wnd = 65535};
	struct sn_tcp_seg o;

	sn_tcp_build(buf + SN_IPV4_HDR_LEN, &seg, src, FX_US);
	struct sn_ipv4 ip = {.hdr_len = SN_IPV4_HDR_LEN,
			     .total_len = (uint16_t)(SN_IPV4_HDR_LEN + SN_TCP_HDR_LEN),
			     .ttl = 64, .proto = SN_IPPROTO_TCP, .src = src, .dst = FX_US};
	sn_ipv4_build(buf, &ip);
	fx_in_raw(f, buf, ip.total_len);
	*ok = fx_out(f, &o) && o.flags == (SN_TCP_SYN | SN_TCP_ACK) && o.dport == sport;
	if (!*ok)
		return 0;
	struct sn_tcp_seg rst = {.sport = sport, .dport = f->our_port, .seq = PEER_ISS + 1,
				 .flags = SN_TCP_RST};
	sn_tcp_build(buf + SN_IPV4_HDR_LEN, &rst, src, FX_US);
	sn_ipv4_build(buf, &ip);
	fx_in_raw(f, buf, ip.total_len);
	fx_flush(f);
	return o.seq;
}

static int listen_with_seed(struct fx *f, uint64_t seed)
{
	struct synack_config c;
	synack_config_default(&c);
	c.seed = seed;
	if (fx_init(f, &c))
		return -1;
	return fx_listen(f);
}

/* MUST-8: the same 4-tuple later gets a larger ISN, by exactly the clock:
 * one tick per 4 µs (RFC 9293 §3.4.1). */
TEST(must8_isn_clock_driven_4us_tick)
{
	struct fx f;
	int ok;

	CHECK(listen_with_seed(&f, 1) >= 0);
	uint32_t a = isn_for(&f, FX_PEER, FX_PEER_PORT, &ok);
	CHECK(ok);
	fx_wait(&f, 4);
	uint32_t b = isn_for(&f, FX_PEER, FX_PEER_PORT, &ok);
	CHECK(ok);
	CHECK_EQ(b - a, 1);
	fx_wait(&f, 3); /* t = 7 µs: still the same tick */
	CHECK_EQ(isn_for(&f, FX_PEER, FX_PEER_PORT, &ok), b);
	fx_wait(&f, 1 * FX_SEC - 7);
	uint32_t c = isn_for(&f, FX_PEER, FX_PEER_PORT, &ok);
	CHECK(ok);
	CHECK_EQ(c - a, 250000);
	fx_wait(&f, 3600 * FX_SEC); /* an hour on: 9e8 ticks, still ahead */
	uint32_t d = isn_for(&f, FX_PEER, FX_PEER_PORT, &ok);
	CHECK_EQ(d - c, 900000000u);
	fx_free(&f);
}

/* MUST-8: the clock wraps about every 4.77 hours (2^32 * 4 µs); the ISN
 * follows it modulo 2^32. */
TEST(must8_isn_clock_wraps_modulo_2_32)
{
	struct fx f;
	int ok;

	CHECK(listen_with_seed(&f, 1) >= 0);
	uint32_t a = isn_for(&f, FX_PEER, FX_PEER_PORT, &ok);
	CHECK(ok);
	fx_wait(&f, 4ull * 0x100000000ull + 40);
	uint32_t b = isn_for(&f, FX_PEER, FX_PEER_PORT, &ok);
	CHECK(ok);
	CHECK_EQ(b - a, 10);
	fx_free(&f);
}

/* isn_tick_us sets the clock's rate. */
TEST(must8_isn_tick_configurable)
{
	struct fx f;
	struct synack_config c;
	int ok;

	synack_config_default(&c);
	c.isn_tick_us = 1;
	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK(fx_listen(&f) >= 0);
	uint32_t a = isn_for(&f, FX_PEER, FX_PEER_PORT, &ok);
	fx_wait(&f, 1000);
	uint32_t b = isn_for(&f, FX_PEER, FX_PEER_PORT, &ok);
	CHECK(ok);
	CHECK_EQ(b - a, 1000);
	fx_free(&f);
}

/* SHLD-1 / MUST-9: at one instant, different 4-tuples (peer port, peer
 * address) get unrelated ISNs: all distinct, and not a linear function of
 * the port (the differences between neighbours are not constant, and no
 * two are within 2^12 of each other). */
TEST(shld1_different_tuples_unrelated_isns)
{
	struct fx f;
	uint32_t isn[96];
	int ok, n = 0;

	CHECK(listen_with_seed(&f, 7) >= 0);
	for (uint16_t p = 0; p < 64; p++) {
		isn[n++] = isn_for(&f, FX_PEER, (uint16_t)(40000 + p), &ok);
		CHECK(ok);
	}
	for (uint32_t a = 0; a < 32; a++) {
		isn[n++] = isn_for(&f, FX_PEER + 1 + a, FX_PEER_PORT, &ok);
		CHECK(ok);
	}
	CHECK_EQ(f.now, 0); /* all at the same clock reading */
	int same_step = 1;
	for (int i = 2; i < 64; i++)
		same_step &= (isn[i] - isn[i - 1]) == (isn[1] - isn[0]);
	CHECK(!same_step);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			uint32_t d = isn[i] - isn[j];
			CHECK(d > 4096 && d < 0u - 4096);
		}
	/* roughly half the bits differ between neighbours, on average */
	unsigned bits = 0;
	for (int i = 1; i < n; i++)
		bits += (unsigned)__builtin_popcount(isn[i] ^ isn[i - 1]);
	CHECK(bits > 12 * (unsigned)(n - 1) && bits < 20 * (unsigned)(n - 1));
	fx_free(&f);
}

/* MUST-9: the PRF is keyed with the stack's secret: two stacks with
 * different seeds give different ISNs for the same 4-tuple at the same
 * time, and different offsets between two tuples (so one stack's ISNs say
 * nothing about another's); the same seed repeats exactly (determinism,
 * DESIGN.md). */
TEST(must9_isn_secret_per_stack_seed)
{
	struct fx f1, f2, f3;
	int ok;

	CHECK(listen_with_seed(&f1, 1) >= 0);
	CHECK(listen_with_seed(&f2, 2) >= 0);
	CHECK(listen_with_seed(&f3, 1) >= 0);
	uint32_t a1 = isn_for(&f1, FX_PEER, 40000, &ok);
	uint32_t b1 = isn_for(&f1, FX_PEER, 40001, &ok);
	uint32_t a2 = isn_for(&f2, FX_PEER, 40000, &ok);
	uint32_t b2 = isn_for(&f2, FX_PEER, 40001, &ok);
	uint32_t a3 = isn_for(&f3, FX_PEER, 40000, &ok);
	uint32_t b3 = isn_for(&f3, FX_PEER, 40001, &ok);
	CHECK(ok);
	CHECK(a1 != a2);
	CHECK(b1 != b2);
	CHECK(a1 - b1 != a2 - b2);
	CHECK_EQ(a3, a1);
	CHECK_EQ(b3, b1);
	fx_free(&f1);
	fx_free(&f2);
	fx_free(&f3);
}

/* §3.4.1 applies to active opens too: our SYN's ISN follows the clock
 * for the same 4-tuple, and differs for another remote port. */
TEST(rfc9293_3_4_1_active_open_isn)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint l = {0, 5555};

	CHECK_EQ(fx_init(&f, NULL), 0);
	uint32_t isn[3];
	uint16_t rport[3] = {80, 80, 81};
	uint64_t at[3] = {0, 2 * FX_SEC, 2 * FX_SEC};
	for (int i = 0; i < 3; i++) {
		fx_wait(&f, at[i] - f.now);
		struct synack_endpoint r = {FX_PEER, rport[i]};
		int s = synack_sock_open(f.st);
		CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_REUSEADDR, 1), 0);
		CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
		CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
		CHECK(fx_out(&f, &o));
		CHECK_EQ(o.flags, SN_TCP_SYN);
		isn[i] = o.seq;
		CHECK_EQ(synack_sock_close(f.st, s), 0); /* CLOSE in SYN-SENT: gone */
		fx_flush(&f);
	}
	CHECK_EQ(isn[1] - isn[0], 500000);
	uint32_t d = isn[2] - isn[1];
	CHECK(d > 4096 && d < 0u - 4096);
	fx_free(&f);
}
