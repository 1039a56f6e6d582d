/*
 * Bad input through synack_stack_input: every malformed or misaddressed
 * datagram is dropped with its own counter and no reply, and a connection
 * on the same stack goes on unharmed. RFC 9293 MUST-2/3 (checksum), MUST-7
 * and MUST-68 (option lengths), MUST-6 and MUST-64 (unknown options, any
 * alignment), MUST-50 (IP options ignored), MUST-57 (broadcast/multicast),
 * §3.9.2.1 (bad source addresses); RFC 791/1122 for the IPv4 checks.
 */
#include "check.h"
#include "tcp_fixture.h"
#include "wire/csum.h"

#define PEER_ISS 1000u

static uint8_t pat[4096];

static void pat_init(void)
{
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 17 + 9);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

/* Recompute the IPv4 header checksum after editing the header. */
static void fix_ip(uint8_t *b)
{
	size_t ihl = (size_t)(b[0] & 0x0f) * 4;
	if (ihl < 20)
		ihl = 20;
	wr16(b + 10, 0);
	wr16(b + 10, sn_csum_fold(sn_csum_add(0, b, ihl)));
}

/* Recompute the TCP checksum (pseudo-header from the IPv4 header). */
static void fix_tcp(uint8_t *b)
{
	size_t ihl = (size_t)(b[0] & 0x0f) * 4;
	uint16_t tcp_len = (uint16_t)(rd16(b + 2) - ihl);
	uint8_t *t = b + ihl;
	wr16(t + 16, 0);
	wr16(t + 16, sn_csum_fold(sn_csum_add(sn_csum_pseudo4(rd32(b + 12), rd32(b + 16),
							       SN_IPPROTO_TCP, tcp_len),
					      t, tcp_len)));
}

/* A valid in-order data segment of n octets from the peer at stream
 * offset off; returns the datagram length. */
static size_t good_seg(struct fx *f, uint8_t *buf, uint32_t off, uint32_t n)
{
	return fx_build(f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_PSH,
					    .seq = f->peer_iss + 1 + off, .ack = f->our_iss + 1,
					    .wnd = 65535, .data = pat + off, .len = n},
			buf);
}

static uint64_t total_drops(const struct synack_counters *c)
{
	uint64_t n = 0;
	for (int i = 0; i < SYNACK_DROP_MAX; i++)
		n += c->drops[i];
	return n;
}

/* Feed buf and check: exactly one drop, counted as why, nothing sent, the
 * connection's receive side untouched. */
static int dropped_as(struct fx *f, int s, const uint8_t *buf, size_t len, enum synack_drop why)
{
	struct synack_counters a, b;
	struct synack_tcp_info t0, t1;

	synack_stack_counters(f->st, &a);
	synack_sock_info(f->st, s, &t0);
	fx_in_raw(f, buf, len);
	synack_stack_counters(f->st, &b);
	synack_sock_info(f->st, s, &t1);
	if (b.drops[why] != a.drops[why] + 1 || total_drops(&b) != total_drops(&a) + 1) {
		fprintf(stderr, "  want drop %s; counted:", synack_drop_name(why));
		for (int i = 0; i < SYNACK_DROP_MAX; i++)
			if (b.drops[i] != a.drops[i])
				fprintf(stderr, " %s", synack_drop_name((enum synack_drop)i));
		fprintf(stderr, "\n");
		return 0;
	}
	return fx_pending(f) == 0 && b.segs_in == a.segs_in && t1.rcv_nxt == t0.rcv_nxt &&
	       t1.state == SYNACK_ESTABLISHED;
}

/* The connection still works both ways: peer data at *off is delivered
 * and ACKed, and our data goes out. */
static int still_works(struct fx *f, int s, uint32_t *off)
{
	uint8_t buf[2048], got[200];
	struct sn_tcp_seg o;

	fx_flush(f);
	size_t len = good_seg(f, buf, *off, 100);
	fx_in_raw(f, buf, len);
	*off += 100;
	if (synack_sock_recv(f->st, s, got, sizeof(got)) != 100 || memcmp(got, pat + *off - 100, 100))
		return 0;
	fx_wait(f, 40 * FX_MS); /* the delayed ACK */
	if (!fx_out(f, &o) || o.ack != f->peer_iss + 1 + *off)
		return 0;
	if (synack_sock_send(f->st, s, "pong", 4) != 4 || !fx_out(f, &o) || o.len != 4)
		return 0;
	/* the peer ACKs it so Nagle never holds the next check's data */
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = f->peer_iss + 1 + *off,
				  .ack = o.seq + 4, .wnd = 65535});
	fx_flush(f);
	return 1;
}

static uint32_t info_rcv_nxt(struct fx *f, int s)
{
	struct synack_tcp_info ti;
	synack_sock_info(f->st, s, &ti);
	return ti.rcv_nxt;
}

static int setup(struct fx *f)
{
	pat_init();
	if (fx_init(f, NULL))
		return -1;
	return fx_passive_established(f, PEER_ISS);
}

/* ------------------------------------------------------------ IPv4 */

/* Zero-length, one-byte and short datagrams: IP_TRUNCATED. */
TEST(rfc791_truncated_datagrams)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	CHECK(s >= 0);
	size_t len = good_seg(&f, buf, 0, 100);
	CHECK(dropped_as(&f, s, buf, 0, SYNACK_DROP_IP_TRUNCATED));
	CHECK(dropped_as(&f, s, buf, 1, SYNACK_DROP_IP_TRUNCATED));
	CHECK(dropped_as(&f, s, buf, 19, SYNACK_DROP_IP_TRUNCATED));
	/* total length says more than arrived */
	CHECK(dropped_as(&f, s, buf, len - 1, SYNACK_DROP_IP_TRUNCATED));
	CHECK(dropped_as(&f, s, buf, 20, SYNACK_DROP_IP_TRUNCATED));
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* A zero-length datagram with a NULL pointer is handled too. */
TEST(rfc791_null_empty_datagram)
{
	struct fx f;
	uint32_t off = 0;

	int s = setup(&f);
	CHECK(dropped_as(&f, s, NULL, 0, SYNACK_DROP_IP_TRUNCATED));
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* Version other than 4 (IPv6's 6, and 0): IP_VERSION. */
TEST(rfc791_wrong_ip_version)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	uint8_t versions[] = {6, 0, 5, 15};
	for (unsigned i = 0; i < sizeof(versions); i++) {
		size_t len = good_seg(&f, buf, 0, 100);
		buf[0] = (uint8_t)(versions[i] << 4 | 5);
		fix_ip(buf);
		CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_IP_VERSION));
	}
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* IHL below 5, IHL past the datagram, total length below IHL:
 * IP_HDR_LEN. */
TEST(rfc791_bad_ip_header_length)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		size_t len = good_seg(&f, buf, 0, 100);
		buf[0] = (uint8_t)(0x40 | ihl);
		fix_ip(buf);
		CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_IP_HDR_LEN));
	}
	size_t len = good_seg(&f, buf, 0, 0); /* 40 octets */
	buf[0] = 0x4f;                        /* 60-octet header */
	CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_IP_HDR_LEN));
	len = good_seg(&f, buf, 0, 100);
	wr16(buf + 2, 16); /* total length 16 < 20 */
	fix_ip(buf);
	CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_IP_HDR_LEN));
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* A header checksum that does not sum to zero: IP_CHECKSUM; any single
 * flipped bit in the header is caught. */
TEST(rfc791_bad_ip_checksum)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	for (int bit = 0; bit < 160; bit++) {
		size_t len = good_seg(&f, buf, 0, 100);
		if (bit < 8)
			continue; /* the version/IHL octet has its own reasons */
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_IP_CHECKSUM));
	}
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* Fragments are not reassembled: more-fragments set, or an offset:
 * IP_FRAGMENT. DF alone is fine. */
TEST(rfc791_fragments_dropped)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	uint16_t frags[] = {SN_IPV4_MF, 1, SN_IPV4_MF | 8, 0x1fff, SN_IPV4_DF | 3};
	for (unsigned i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		size_t len = good_seg(&f, buf, 0, 100);
		wr16(buf + 6, frags[i]);
		fix_ip(buf);
		CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_IP_FRAGMENT));
	}
	size_t len = good_seg(&f, buf, 0, 100);
	wr16(buf + 6, SN_IPV4_DF);
	fix_ip(buf);
	fx_in_raw(&f, buf, len);
	off = 100;
	CHECK_EQ(synack_sock_recv(f.st, s, (uint8_t[200]){0}, 200), 100);
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* A protocol other than TCP (ICMP, UDP, 255): IP_PROTO, no reply (no
 * ICMP protocol-unreachable either). */
TEST(rfc791_non_tcp_protocol)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	uint8_t protos[] = {17, 0, 255, 41};
	for (unsigned i = 0; i < sizeof(protos); i++) {
		size_t len = good_seg(&f, buf, 0, 100);
		buf[9] = protos[i];
		fix_ip(buf);
		CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_IP_PROTO));
	}
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* A destination other than our address, including broadcast and
 * multicast (MUST-57: silently discarded): IP_NOT_OURS. */
TEST(must57_wrong_destination_address)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	uint32_t dsts[] = {FX_US + 1, 0xffffffffu, 0x0a0000ffu, 0xe0000001u, 0xefffffffu, 0,
			   0x7f000001u};
	for (unsigned i = 0; i < sizeof(dsts) / sizeof(dsts[0]); i++) {
		size_t len = good_seg(&f, buf, 0, 100);
		wr32(buf + 16, dsts[i]);
		fix_ip(buf);
		fix_tcp(buf);
		CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_IP_NOT_OURS));
	}
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* A source that no segment may come from (§3.9.2.1, RFC 1122 3.2.1.3):
 * broadcast, multicast, our own address, zero, loopback: IP_BAD_SRC,
 * and no RST goes back to it. */
TEST(rfc1122_bad_source_address)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	uint32_t srcs[] = {0xffffffffu, 0xe0000001u, 0xe00000fbu, FX_US, 0, 0x7f000001u};
	for (unsigned i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		/* a SYN to the listener would draw a SYN,ACK if accepted */
		size_t len = fx_build(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 77,
							   .wnd = 1000, .sport = 999},
				      buf);
		wr32(buf + 12, srcs[i]);
		fix_ip(buf);
		fix_tcp(buf);
		CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_IP_BAD_SRC));
	}
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* MUST-50: IP options are skipped; the segment behind them counts. */
TEST(must50_ip_options_ignored)
{
	struct fx f;
	uint8_t buf[2048], ip[2048];
	uint32_t off = 0;

	int s = setup(&f);
	size_t len = good_seg(&f, buf, 0, 100);
	memcpy(ip, buf, 20);
	ip[0] = 0x47;                          /* IHL 7: 8 octets of options */
	memcpy(ip + 20, (uint8_t[8]){0x94, 4, 0, 0, 1, 1, 1, 0}, 8); /* router alert, NOPs, EOL */
	memcpy(ip + 28, buf + 20, len - 20);
	wr16(ip + 2, (uint16_t)(len + 8));
	fix_ip(ip);
	fix_tcp(ip);
	fx_in_raw(&f, ip, len + 8);
	CHECK_EQ(synack_sock_recv(f.st, s, (uint8_t[200]){0}, 200), 100);
	off = 100;
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* Link-layer padding past the total length is ignored, not read as data. */
TEST(rfc791_padding_past_total_length_ignored)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	size_t len = good_seg(&f, buf, 0, 10);
	memset(buf + len, 0xee, 30);
	fx_in_raw(&f, buf, len + 30);
	uint8_t got[64];
	CHECK_EQ(synack_sock_recv(f.st, s, got, sizeof(got)), 10);
	CHECK_EQ(memcmp(got, pat, 10), 0);
	off = 10;
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* ------------------------------------------------------------ TCP */

/* MUST-3: a segment whose checksum does not verify is dropped
 * (TCP_CHECKSUM); a flipped bit anywhere in the header or payload, or
 * in the pseudo-header's addresses, is caught. */
TEST(must3_bad_tcp_checksum)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	size_t len = good_seg(&f, buf, 0, 100);
	for (size_t at = 20; at < len; at += 7) {
		len = good_seg(&f, buf, 0, 100);
		buf[at] ^= 0x10;
		if (at == 20 + 12)
			continue; /* the data offset has its own reason */
		CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_TCP_CHECKSUM));
	}
	/* a zero checksum field is not "no checksum" in TCP */
	len = good_seg(&f, buf, 0, 100);
	wr16(buf + 20 + 16, 0);
	CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_TCP_CHECKSUM));
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* MUST-2: what we send carries correct IPv4 and TCP checksums. */
TEST(must2_sent_checksums_verify)
{
	struct fx f;
	struct sn_tcp_seg o;

	int s = setup(&f);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 333), 333);
	CHECK(fx_out(&f, &o)); /* fx_out verifies both checksums */
	CHECK_EQ(o.len, 333);
	const uint8_t *b = f.last.buf;
	CHECK_EQ(sn_csum_fold(sn_csum_add(0, b, 20)), 0);
	size_t tl = rd16(b + 2) - 20u;
	CHECK_EQ(sn_csum_fold(sn_csum_add(sn_csum_pseudo4(FX_US, FX_PEER, SN_IPPROTO_TCP,
							  (uint16_t)tl),
					  b + 20, tl)),
		 0);
	fx_free(&f);
}

/* An IP payload shorter than a TCP header: TCP_TRUNCATED. */
TEST(rfc9293_3_1_truncated_tcp_header)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	for (uint16_t n = 0; n < 20; n += 3) {
		good_seg(&f, buf, 0, 0);
		wr16(buf + 2, (uint16_t)(20 + n));
		fix_ip(buf);
		CHECK(dropped_as(&f, s, buf, 20u + n, SYNACK_DROP_TCP_TRUNCATED));
	}
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* Data offset below 5, or past the segment: TCP_HDR_LEN. */
TEST(rfc9293_3_1_bad_data_offset)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	for (uint8_t doff = 0; doff < 5; doff++) {
		size_t len = good_seg(&f, buf, 0, 100);
		buf[20 + 12] = (uint8_t)(doff << 4);
		fix_tcp(buf);
		CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_TCP_HDR_LEN));
	}
	size_t len = good_seg(&f, buf, 0, 10); /* 30 octets of TCP */
	buf[20 + 12] = 0xf0;                   /* a 60-octet header */
	fix_tcp(buf);
	CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_TCP_HDR_LEN));
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* A data segment with the given option bytes (padded with EOL to a
 * multiple of 4); returns the datagram length. */
static size_t seg_with_opts(struct fx *f, uint8_t *buf, const uint8_t *opts, size_t olen,
			    uint32_t off, uint32_t n)
{
	size_t padded = (olen + 3) & ~(size_t)3;
	size_t len = good_seg(f, buf, off, n);
	memmove(buf + 40 + padded, buf + 40, len - 40);
	memset(buf + 40, 0, padded);
	memcpy(buf + 40, opts, olen);
	buf[20 + 12] = (uint8_t)(((20 + padded) / 4) << 4);
	wr16(buf + 2, (uint16_t)(len + padded));
	fix_ip(buf);
	fix_tcp(buf);
	return len + padded;
}

/* MUST-7 / MUST-68: an option length of 0 or 1, one running past the
 * header, or a known option with the wrong length: TCP_OPTION, no crash,
 * no reply. */
TEST(must7_must68_illegal_option_length)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	static const struct {
		uint8_t b[12];
		size_t n;
	} bad[] = {
		{{2, 0, 5, 0}, 4},                /* MSS, length 0 */
		{{2, 1, 5, 0}, 4},                /* MSS, length 1 */
		{{99, 0}, 2},                     /* unknown kind, length 0 */
		{{99, 1, 0, 0}, 4},               /* unknown kind, length 1 */
		{{99, 9, 0, 0}, 4},               /* runs past the header */
		{{1, 1, 1, 99}, 4},               /* no room for the length byte */
		{{2, 3, 5, 0}, 4},                /* MSS of length 3 */
		{{2, 8, 5, 180, 0, 0, 0, 0}, 8},  /* MSS of length 8 */
		{{3, 4, 7, 0}, 4},                /* window scale of length 4 */
		{{4, 3, 0, 0}, 4},                /* SACK-permitted of length 3 */
		{{8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 12}, /* timestamps of length 9 */
		{{5, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 12}, /* SACK of length 9 */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = seg_with_opts(&f, buf, bad[i].b, bad[i].n, 0, 100);
		CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_TCP_OPTION));
	}
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* MUST-6 / MUST-64 / MUST-5: unknown options are skipped by their length,
 * options are read at any alignment and in any segment, and what follows
 * EOL is padding: the segment is accepted and its data delivered. */
TEST(must6_must64_unknown_and_unaligned_options_accepted)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	static const struct {
		uint8_t b[16];
		size_t n;
	} good[] = {
		{{99, 2}, 2},                                /* unknown, empty */
		{{200, 6, 1, 2, 3, 4}, 6},                   /* unknown with a body */
		{{1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 11},    /* NOP, timestamps at offset 1 */
		{{1, 1, 1, 3, 3, 7}, 6},                     /* NOPs, window scale at offset 3 */
		{{0, 2, 0, 5, 1, 9, 9}, 7},                  /* EOL, then garbage: not read */
		{{1, 99, 3, 0, 1, 77, 2, 1}, 8},             /* unknown at odd offsets */
	};
	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t len = seg_with_opts(&f, buf, good[i].b, good[i].n, off, 50);
		fx_in_raw(&f, buf, len);
		uint8_t got[64];
		CHECK_EQ(synack_sock_recv(f.st, s, got, sizeof(got)), 50);
		CHECK_EQ(memcmp(got, pat + off, 50), 0);
		off += 50;
	}
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_TCP_OPTION), 0);
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* MUST-64 on a SYN: an MSS option at an odd offset is still found. */
TEST(must64_mss_option_unaligned_on_syn)
{
	struct fx f;
	struct sn_tcp_seg o;
	uint8_t buf[128];

	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK(fx_listen(&f) >= 0);
	size_t len = fx_build(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = PEER_ISS,
						   .wnd = 65535},
			      buf);
	uint8_t opts[8] = {1, 2, 4, 0x02, 0x00, 1, 1, 0}; /* NOP, MSS 512, NOPs, EOL */
	memcpy(buf + 40, opts, 8);
	buf[20 + 12] = 7 << 4;
	wr16(buf + 2, (uint16_t)(len + 8));
	fix_ip(buf);
	fix_tcp(buf);
	fx_in_raw(&f, buf, len + 8);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = o.seq + 1,
				   .wnd = 65535});
	int s = synack_sock_accept(f.st, f.lsock, NULL);
	int mss = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_TCP_MAXSEG, &mss), 0);
	CHECK_EQ(mss, 512);
	fx_free(&f);
}

/* Port 0 on either side: TCP_BAD_PORT, no RST. */
TEST(rfc9293_3_1_port_zero)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;

	int s = setup(&f);
	size_t len = fx_build(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 5, .wnd = 1000,
						   .sport = 0},
			      buf);
	wr16(buf + 20, 0);
	fix_tcp(buf);
	CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_TCP_BAD_PORT));
	len = good_seg(&f, buf, 0, 100);
	wr16(buf + 22, 0);
	fix_tcp(buf);
	CHECK(dropped_as(&f, s, buf, len, SYNACK_DROP_TCP_BAD_PORT));
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* ------------------------------------------------------------ fuzz-like */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Random bytes of random lengths: every datagram dropped and counted,
 * nothing sent, the connection unharmed. */
TEST(rfc9293_random_bytes_dropped)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;
	struct synack_counters a, b;

	int s = setup(&f);
	synack_stack_counters(f.st, &a);
	for (int i = 0; i < 5000; i++) {
		size_t len = rnd() % 1600;
		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rnd();
		fx_in_raw(&f, buf, len);
	}
	synack_stack_counters(f.st, &b);
	CHECK_EQ(total_drops(&b) - total_drops(&a), 5000);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* One flipped bit anywhere in a valid segment, sometimes cut short: the
 * checksums (or the length and version checks) catch every one of them;
 * nothing is delivered, nothing sent. */
TEST(must3_single_bit_errors_always_caught)
{
	struct fx f;
	uint8_t buf[2048];
	uint32_t off = 0;
	struct synack_counters a, b;

	int s = setup(&f);
	synack_stack_counters(f.st, &a);
	for (int i = 0; i < 5000; i++) {
		size_t len = good_seg(&f, buf, 0, 100);
		buf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		if (rnd() % 4 == 0)
			len = rnd() % len;
		fx_in_raw(&f, buf, len);
	}
	synack_stack_counters(f.st, &b);
	CHECK_EQ(total_drops(&b) - total_drops(&a), 5000);
	CHECK_EQ(b.segs_in, a.segs_in);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(info_rcv_nxt(&f, s), PEER_ISS + 1);
	CHECK(still_works(&f, s, &off));
	fx_free(&f);
}

/* Several flipped bits can cancel out in the Internet checksum, so some
 * mutants get through: whatever they do, the stack does not crash and
 * the connection goes on from wherever the stream got to. */
TEST(rfc9293_mutated_segments_survive)
{
	struct fx f;
	uint8_t buf[2048], sink[4096];
	uint32_t off = 0;

	int s = setup(&f);
	for (int i = 0; i < 5000; i++) {
		size_t len = good_seg(&f, buf, off, 100);
		int flips = 2 + (int)(rnd() % 6);
		for (int k = 0; k < flips; k++)
			buf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		if (rnd() % 8 == 0)
			len = rnd() % (len + 1);
		fx_in_raw(&f, buf, len);
	}
	CHECK(fx_state(&f, s) == SYNACK_ESTABLISHED || fx_state(&f, s) == SYNACK_CLOSE_WAIT ||
	      fx_state(&f, s) == SYNACK_CLOSED);
	if (fx_state(&f, s) == SYNACK_ESTABLISHED) {
		while (synack_sock_recv(f.st, s, sink, sizeof(sink)) > 0)
			;
		off = info_rcv_nxt(&f, s) - PEER_ISS - 1;
		CHECK(still_works(&f, s, &off));
	}
	fx_free(&f);
}
