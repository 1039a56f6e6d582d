/*
 * test_tcp_wire.c: TCP header and option parse and build (RFC 9293 §3.1,
 * §3.2; RFC 7323; RFC 2018). Hand-made segments go through a helper that
 * writes the fixed header and a correct checksum, so each case isolates the
 * one thing it breaks.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "wire/csum.h"
#include "wire/ipv4.h"
#include "wire/tcp_wire.h"

#define SRC 0x0a000001u
#define DST 0x0a000002u

static void set_csum(uint8_t *buf, size_t len)
{
	uint16_t c;

	buf[16] = buf[17] = 0;
	c = sn_csum_fold(sn_csum_add(sn_csum_pseudo4(SRC, DST, SN_IPPROTO_TCP, (uint16_t)len),
				     buf, len));
	buf[16] = (uint8_t)(c >> 8);
	buf[17] = (uint8_t)c;
}

/* A segment 1234 -> 80, seq 1000, ack 2000, SYN|ACK, window 65535, with
 * optlen option bytes (rounded up to words with EOL) and paylen payload
 * bytes 0, 1, 2, ... Returns the total length. */
static size_t raw_seg(uint8_t *buf, const uint8_t *opts, size_t optlen, size_t paylen)
{
	size_t padded = (optlen + 3) / 4 * 4;
	size_t hdr_len = 20 + padded;
	const uint8_t fixed[20] = {0x04, 0xd2, 0x00, 0x50, 0, 0, 0x03, 0xe8, 0, 0, 0x07, 0xd0,
				   (uint8_t)(hdr_len / 4 << 4), SN_TCP_SYN | SN_TCP_ACK,
				   0xff, 0xff, 0, 0, 0, 0};

	memcpy(buf, fixed, 20);
	memset(buf + 20, 0, padded);
	if (optlen)
		memcpy(buf + 20, opts, optlen);
	for (size_t i = 0; i < paylen; i++)
		buf[hdr_len + i] = (uint8_t)i;
	set_csum(buf, hdr_len + paylen);
	return hdr_len + paylen;
}

/* Parse a segment whose options are the given bytes. */
static int parse_opts(const uint8_t *opts, size_t optlen, struct sn_tcp_seg *seg)
{
	uint8_t buf[128];
	size_t len = raw_seg(buf, opts, optlen, 0);

	return sn_tcp_parse(buf, len, SRC, DST, seg);
}

/* ---------------------------------------------------------------- header */

TEST(rfc9293_3_1_fixed_header_fields)
{
	uint8_t buf[64];
	struct sn_tcp_seg seg;
	size_t len = raw_seg(buf, NULL, 0, 5);

	buf[18] = 0x12; /* urgent pointer */
	buf[19] = 0x34;
	set_csum(buf, len);
	CHECK_EQ(sn_tcp_parse(buf, len, SRC, DST, &seg), 0);
	CHECK_EQ(seg.sport, 1234);
	CHECK_EQ(seg.dport, 80);
	CHECK_EQ(seg.seq, 1000);
	CHECK_EQ(seg.ack, 2000);
	CHECK_EQ(seg.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK_EQ(seg.hdr_len, 20);
	CHECK_EQ(seg.wnd, 65535);
	CHECK_EQ(seg.urp, 0x1234);
	CHECK_EQ(seg.len, 5);
	CHECK(seg.payload == buf + 20);
	CHECK_EQ(seg.payload[4], 4);
	CHECK_EQ(sn_tcp_seg_seqlen(&seg), 6); /* §3.4: SYN counts one */
	CHECK(!seg.opts.has_mss && !seg.opts.has_ts && !seg.opts.sack_ok && !seg.opts.nsack);
}

TEST(tcp_truncated_shorter_than_header)
{
	uint8_t buf[64];
	struct sn_tcp_seg seg;

	raw_seg(buf, NULL, 0, 0);
	for (size_t len = 0; len < 20; len++)
		CHECK_EQ(sn_tcp_parse(buf, len, SRC, DST, &seg), SYNACK_DROP_TCP_TRUNCATED);
}

TEST(tcp_hdr_len_data_offset_below_5)
{
	uint8_t buf[64];
	struct sn_tcp_seg seg;
	size_t len = raw_seg(buf, NULL, 0, 20);

	for (uint8_t doff = 0; doff < 5; doff++) {
		buf[12] = (uint8_t)(doff << 4);
		set_csum(buf, len);
		CHECK_EQ(sn_tcp_parse(buf, len, SRC, DST, &seg), SYNACK_DROP_TCP_HDR_LEN);
	}
}

TEST(tcp_hdr_len_data_offset_past_segment)
{
	uint8_t buf[64];
	struct sn_tcp_seg seg;
	size_t len = raw_seg(buf, NULL, 0, 3); /* 23 bytes */

	buf[12] = 6 << 4; /* 24-byte header in a 23-byte segment */
	set_csum(buf, len);
	CHECK_EQ(sn_tcp_parse(buf, len, SRC, DST, &seg), SYNACK_DROP_TCP_HDR_LEN);
	buf[12] = 15 << 4;
	set_csum(buf, len);
	CHECK_EQ(sn_tcp_parse(buf, len, SRC, DST, &seg), SYNACK_DROP_TCP_HDR_LEN);
}

/* MUST-3: the receiver checks the checksum over pseudo-header, header and data. */
TEST(must3_checksum_mismatch_dropped)
{
	uint8_t buf[64];
	struct sn_tcp_seg seg;
	const uint8_t mss[] = {2, 4, 0x05, 0xb4};
	size_t len = raw_seg(buf, mss, sizeof(mss), 7);

	CHECK_EQ(sn_tcp_parse(buf, len, SRC, DST, &seg), 0);
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x01; /* at byte 12 this is a reserved bit, not the offset */
		CHECK_EQ(sn_tcp_parse(buf, len, SRC, DST, &seg), SYNACK_DROP_TCP_CHECKSUM);
		buf[i] ^= 0x01;
	}
	/* The pseudo-header counts too: the wrong addresses fail. */
	CHECK_EQ(sn_tcp_parse(buf, len, SRC + 1, DST, &seg), SYNACK_DROP_TCP_CHECKSUM);
	CHECK_EQ(sn_tcp_parse(buf, len, SRC, DST ^ 0x100, &seg), SYNACK_DROP_TCP_CHECKSUM);
	/* And the length: a segment cut short by one byte fails. */
	CHECK_EQ(sn_tcp_parse(buf, len - 1, SRC, DST, &seg), SYNACK_DROP_TCP_CHECKSUM);
}

/* A TCP length above 65535 cannot come from IPv4 and has no pseudo-header. */
TEST(must3_oversized_segment_rejected)
{
	static uint8_t buf[70000];
	struct sn_tcp_seg seg;

	raw_seg(buf, NULL, 0, 0);
	CHECK_EQ(sn_tcp_parse(buf, sizeof(buf), SRC, DST, &seg), SYNACK_DROP_TCP_CHECKSUM);
}

/* MUST-2: what build writes verifies, payload included. */
TEST(must2_build_checksum_verifies)
{
	uint8_t buf[128];
	struct sn_tcp_seg seg = {.sport = 1, .dport = 2, .seq = 3, .ack = 4,
				 .flags = SN_TCP_ACK | SN_TCP_PSH, .wnd = 5, .len = 11};

	memcpy(buf + 20, "hello world", 11);
	CHECK_EQ(sn_tcp_build(buf, &seg, SRC, DST), 20);
	CHECK_EQ(sn_csum_fold(sn_csum_add(sn_csum_pseudo4(SRC, DST, 6, 31), buf, 31)), 0);
}

/* ---------------------------------------------------------------- options */

/* MUST-14, MUST-65 (parse side), MUST-64: MSS read at any alignment. */
TEST(must14_must64_mss_parsed_at_odd_offset)
{
	const uint8_t o[] = {1, 2, 4, 0x05, 0xb4, 1, 1, 1};
	struct sn_tcp_seg seg;

	CHECK_EQ(parse_opts(o, sizeof(o), &seg), 0);
	CHECK(seg.opts.has_mss);
	CHECK_EQ(seg.opts.mss, 1460);
	CHECK_EQ(seg.hdr_len, 28);
}

TEST(rfc7323_wscale_and_timestamps_parsed)
{
	const uint8_t o[] = {1, 3, 3, 7, 8, 10, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe};
	struct sn_tcp_seg seg;

	CHECK_EQ(parse_opts(o, sizeof(o), &seg), 0);
	CHECK(seg.opts.has_wscale);
	CHECK_EQ(seg.opts.wscale, 7);
	CHECK(seg.opts.has_ts);
	CHECK_EQ(seg.opts.ts_val, 1);
	CHECK_EQ(seg.opts.ts_ecr, 0xfffffffeu);
	CHECK(!seg.opts.has_mss);
}

/* RFC 7323 §2.3: a shift count above 14 is used as 14. */
TEST(rfc7323_2_3_wscale_clamped_to_14)
{
	const uint8_t vals[] = {14, 15, 200, 255};
	struct sn_tcp_seg seg;

	for (size_t i = 0; i < sizeof(vals); i++) {
		const uint8_t o[] = {3, 3, vals[i], 1};

		CHECK_EQ(parse_opts(o, sizeof(o), &seg), 0);
		CHECK_EQ(seg.opts.wscale, 14);
	}
}

/* Build writes the shift count it is given, even an illegal one, so a test
 * peer can send it; the receiving parse applies the clamp. */
TEST(rfc7323_2_3_build_writes_wscale_as_given)
{
	uint8_t buf[64];
	struct sn_tcp_seg seg = {.flags = SN_TCP_SYN, .opts = {.has_wscale = 1, .wscale = 15}};
	struct sn_tcp_seg out;

	CHECK_EQ(sn_tcp_build(buf, &seg, SRC, DST), 24);
	CHECK_EQ(buf[23], 15);
	CHECK_EQ(sn_tcp_parse(buf, 24, SRC, DST, &out), 0);
	CHECK_EQ(out.opts.wscale, 14);
}

/* MUST-6: an unsupported option is skipped by its length. */
TEST(must6_unknown_option_skipped)
{
	const uint8_t o[] = {30, 6, 0xde, 0xad, 0xbe, 0xef, 254, 2, 2, 4, 0x02, 0x18};
	struct sn_tcp_seg seg;

	CHECK_EQ(parse_opts(o, sizeof(o), &seg), 0);
	CHECK(seg.opts.has_mss);
	CHECK_EQ(seg.opts.mss, 536);
}

/* RFC 9293 §3.2: EOL ends the list; whatever follows is padding. */
TEST(rfc9293_3_2_eol_in_middle_ends_options)
{
	const uint8_t o[] = {2, 4, 0x05, 0xb4, 0, 3, 0, 8, 1, 1, 1, 1};
	struct sn_tcp_seg seg;

	CHECK_EQ(parse_opts(o, sizeof(o), &seg), 0);
	CHECK(seg.opts.has_mss);
	CHECK(!seg.opts.has_wscale); /* the bad "3, 0" after EOL is never read */
	CHECK(!seg.opts.has_ts);
}

TEST(rfc9293_3_2_nop_only)
{
	const uint8_t o[40] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
			       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	struct sn_tcp_seg seg;

	CHECK_EQ(parse_opts(o, sizeof(o), &seg), 0);
	CHECK_EQ(seg.hdr_len, 60);
}

/* MUST-7: length byte 0 or 1 would loop or step backwards; it is malformed. */
TEST(must7_option_len_zero_rejected)
{
	const uint8_t o[] = {30, 0, 1, 1};
	struct sn_tcp_seg seg;

	CHECK_EQ(parse_opts(o, sizeof(o), &seg), SYNACK_DROP_TCP_OPTION);
}

TEST(must7_option_len_one_rejected)
{
	const uint8_t o[] = {1, 30, 1, 1};
	struct sn_tcp_seg seg;

	CHECK_EQ(parse_opts(o, sizeof(o), &seg), SYNACK_DROP_TCP_OPTION);
}

/* MUST-7: an option that runs past the header is malformed. */
TEST(must7_option_len_past_header_rejected)
{
	const uint8_t unknown[] = {1, 1, 30, 3};    /* needs 3, 2 left */
	const uint8_t mss[] = {1, 1, 1, 2, 4, 5, 0xb4, 0}; /* fits, then EOL: ok */
	const uint8_t ts[] = {8, 10, 0, 0, 0, 0, 0, 0}; /* says 10, header has 8 */
	struct sn_tcp_seg seg;

	CHECK_EQ(parse_opts(unknown, sizeof(unknown), &seg), SYNACK_DROP_TCP_OPTION);
	CHECK_EQ(parse_opts(mss, sizeof(mss), &seg), 0);
	CHECK_EQ(parse_opts(ts, sizeof(ts), &seg), SYNACK_DROP_TCP_OPTION);
}

/* MUST-68: every option but EOL and NOP has a length; a kind in the last
 * byte has none, and one whose length runs one byte too far is cut off. */
TEST(must68_truncated_option_at_end)
{
	const uint8_t kind_only[] = {1, 1, 1, 2};
	const uint8_t short_mss[] = {1, 2, 4, 5};
	const uint8_t unknown_kind_only[] = {1, 1, 1, 99};
	struct sn_tcp_seg seg;

	CHECK_EQ(parse_opts(kind_only, sizeof(kind_only), &seg), SYNACK_DROP_TCP_OPTION);
	CHECK_EQ(parse_opts(short_mss, sizeof(short_mss), &seg), SYNACK_DROP_TCP_OPTION);
	CHECK_EQ(parse_opts(unknown_kind_only, sizeof(unknown_kind_only), &seg),
		 SYNACK_DROP_TCP_OPTION);
}

/* MUST-7: a known option with the wrong length is malformed. */
TEST(must7_known_option_wrong_length_rejected)
{
	static const struct {
		uint8_t o[12];
	} bad[] = {
		{{2, 3, 5, 1}},                          /* MSS len 3 */
		{{2, 5, 5, 0xb4, 0, 1, 1, 1}},           /* MSS len 5 */
		{{3, 2, 1, 1}},                          /* WS len 2 */
		{{3, 4, 7, 0}},                          /* WS len 4 */
		{{4, 3, 0, 1}},                          /* SACK-permitted len 3 */
		{{4, 4, 0, 0}},                          /* SACK-permitted len 4 */
		{{8, 8, 0, 0, 0, 1, 0, 0}},              /* TS len 8 */
		{{8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0}}, /* TS len 12 */
		{{5, 2, 1, 1}},                          /* SACK with no block */
		{{5, 9, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1}},  /* SACK len 9 */
		{{5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1}}, /* SACK len 11 */
	};
	struct sn_tcp_seg seg;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(parse_opts(bad[i].o, sizeof(bad[i].o), &seg), SYNACK_DROP_TCP_OPTION);
}

/* RFC 2018 §3: SACK carries 1..4 blocks of (left, right). */
TEST(rfc2018_sack_one_to_four_blocks)
{
	for (uint8_t n = 1; n <= 4; n++) {
		/* 40 bytes of option space; 8 spare so that gcc -O3's
		 * -Wstringop-overflow, which loses the bound i < n <= 4 when it
		 * unrolls these loops, sees room for the copies */
		uint8_t o[40 + 8];
		struct sn_tcp_seg seg;
		size_t k = 0;

		o[k++] = 1;
		o[k++] = 1;
		o[k++] = 5;
		o[k++] = (uint8_t)(2 + 8 * n);
		for (uint8_t i = 0; i < n; i++) {
			const uint8_t blk[8] = {0, 0, 0x10, i, 0, 0, 0x20, i};

			memcpy(o + k, blk, 8);
			k += 8;
		}
		CHECK_EQ(parse_opts(o, k, &seg), 0);
		CHECK_EQ(seg.opts.nsack, n);
		for (uint8_t i = 0; i < n; i++) {
			CHECK_EQ(seg.opts.sack[i].left, 0x1000u + i);
			CHECK_EQ(seg.opts.sack[i].right, 0x2000u + i);
		}
	}
}

/* A full 40 bytes of options (MUST-4 set plus two SACK blocks), packed
 * tightly with no alignment (MUST-64). */
TEST(must64_options_fill_40_bytes_exactly)
{
	const uint8_t o[40] = {
		2, 4, 0x05, 0xb4,                 /* MSS */
		3, 3, 2,                          /* WS */
		4, 2,                             /* SACK-permitted */
		8, 10, 0, 0, 0, 9, 0, 0, 0, 8,    /* TS */
		5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, /* SACK x2 */
		1, 1, 1,
	};
	struct sn_tcp_seg seg;

	CHECK_EQ(parse_opts(o, sizeof(o), &seg), 0);
	CHECK_EQ(seg.hdr_len, 60);
	CHECK(seg.opts.has_mss && seg.opts.has_wscale && seg.opts.sack_ok && seg.opts.has_ts);
	CHECK_EQ(seg.opts.mss, 1460);
	CHECK_EQ(seg.opts.wscale, 2);
	CHECK_EQ(seg.opts.ts_val, 9);
	CHECK_EQ(seg.opts.ts_ecr, 8);
	CHECK_EQ(seg.opts.nsack, 2);
	CHECK_EQ(seg.opts.sack[1].right, 4);
}

TEST(rfc2018_sack_four_blocks_fill_40_bytes)
{
	uint8_t o[40] = {1, 1, 5, 34};
	struct sn_tcp_seg seg;

	for (size_t i = 4; i < 36; i++)
		o[i] = (uint8_t)i;
	o[36] = o[37] = o[38] = o[39] = 1;
	CHECK_EQ(parse_opts(o, sizeof(o), &seg), 0);
	CHECK_EQ(seg.opts.nsack, 4);
	/* Five blocks (length 42) do not fit the 38 bytes left. */
	o[3] = 42;
	CHECK_EQ(parse_opts(o, sizeof(o), &seg), SYNACK_DROP_TCP_OPTION);
}

/* ---------------------------------------------------------------- build */

/* Linux's SYN: mss, sackOK, TS, nop, wscale. */
TEST(build_syn_linux_layout)
{
	uint8_t buf[80];
	struct sn_tcp_seg seg = {.sport = 40000, .dport = 80, .seq = 1, .flags = SN_TCP_SYN,
				 .wnd = 64240,
				 .opts = {.has_mss = 1, .mss = 1460, .sack_ok = 1, .has_ts = 1,
					  .ts_val = 0x01020304, .ts_ecr = 0, .has_wscale = 1,
					  .wscale = 7}};
	const uint8_t want[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0,
				1, 3, 3, 7};

	CHECK_EQ(sn_tcp_opts_len(&seg.opts), 20);
	CHECK_EQ(sn_tcp_build(buf, &seg, SRC, DST), 40);
	CHECK_EQ(seg.hdr_len, 40);
	CHECK_EQ(buf[12], 10 << 4);
	CHECK(memcmp(buf + 20, want, sizeof(want)) == 0);
}

TEST(build_ts_only_and_sackok_only_layout)
{
	uint8_t buf[80];
	struct sn_tcp_seg seg = {.flags = SN_TCP_ACK,
				 .opts = {.has_ts = 1, .ts_val = 5, .ts_ecr = 6}};
	const uint8_t ts[] = {1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6};
	const uint8_t sok[] = {2, 4, 2, 0x18, 1, 1, 4, 2};

	CHECK_EQ(sn_tcp_build(buf, &seg, SRC, DST), 32);
	CHECK(memcmp(buf + 20, ts, sizeof(ts)) == 0);
	seg.opts = (struct sn_tcp_opts){.has_mss = 1, .mss = 536, .sack_ok = 1};
	seg.flags = SN_TCP_SYN;
	CHECK_EQ(sn_tcp_build(buf, &seg, SRC, DST), 28);
	CHECK(memcmp(buf + 20, sok, sizeof(sok)) == 0);
}

TEST(build_sack_blocks_layout)
{
	uint8_t buf[80];
	struct sn_tcp_seg seg = {.flags = SN_TCP_ACK,
				 .opts = {.nsack = 2, .sack = {{1, 2}, {3, 4}}}};
	const uint8_t want[] = {1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4};

	CHECK_EQ(sn_tcp_build(buf, &seg, SRC, DST), 40);
	CHECK(memcmp(buf + 20, want, sizeof(want)) == 0);
}

/* SACK blocks that do not fit in 40 bytes are left out (RFC 2018 §3: with
 * timestamps, at most 3 blocks). */
TEST(rfc2018_build_drops_blocks_that_do_not_fit)
{
	uint8_t buf[80];
	struct sn_tcp_seg seg = {.flags = SN_TCP_ACK,
				 .opts = {.has_ts = 1, .nsack = 4,
					  .sack = {{1, 2}, {3, 4}, {5, 6}, {7, 8}}}};
	struct sn_tcp_seg out;

	CHECK_EQ(sn_tcp_opts_len(&seg.opts), 40);
	CHECK_EQ(sn_tcp_build(buf, &seg, SRC, DST), 60);
	CHECK_EQ(seg.opts.nsack, 3);
	CHECK_EQ(sn_tcp_parse(buf, 60, SRC, DST, &out), 0);
	CHECK_EQ(out.opts.nsack, 3);
	CHECK_EQ(out.opts.sack[2].right, 6);
	seg.opts.nsack = 200; /* nonsense count: at most SN_TCP_SACK_MAX */
	seg.opts.has_ts = 0;
	CHECK_EQ(sn_tcp_opts_len(&seg.opts), 36);
	CHECK_EQ(sn_tcp_build(buf, &seg, SRC, DST), 56);
	CHECK_EQ(seg.opts.nsack, 4);
}

/* Expected SACK blocks that fit after the other options. */
static unsigned expect_nsack(const struct sn_tcp_opts *o, unsigned want)
{
	unsigned base = (o->has_mss ? 4u : 0u) + (o->has_ts ? 12u : o->sack_ok ? 4u : 0u) +
			(o->has_wscale ? 4u : 0u);

	while (want > 0 && base + 4 + 8 * want > 40)
		want--;
	return want;
}

static int opts_equal(const struct sn_tcp_opts *a, const struct sn_tcp_opts *b)
{
	if (a->has_mss != b->has_mss || a->has_wscale != b->has_wscale ||
	    a->sack_ok != b->sack_ok || a->has_ts != b->has_ts || a->nsack != b->nsack)
		return 0;
	if ((a->has_mss && a->mss != b->mss) || (a->has_wscale && a->wscale != b->wscale))
		return 0;
	if (a->has_ts && (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr))
		return 0;
	for (unsigned i = 0; i < a->nsack; i++)
		if (a->sack[i].left != b->sack[i].left || a->sack[i].right != b->sack[i].right)
			return 0;
	return 1;
}

static struct sn_tcp_opts combo_opts(unsigned mask, unsigned nsack)
{
	struct sn_tcp_opts o = {
		.has_mss = mask & 1, .has_wscale = (mask >> 1) & 1, .sack_ok = (mask >> 2) & 1,
		.has_ts = (mask >> 3) & 1, .mss = (uint16_t)(1000 + mask), .wscale = (uint8_t)(mask % 15),
		.ts_val = 0x80000000u + mask, .ts_ecr = ~mask, .nsack = (uint8_t)nsack,
	};

	for (unsigned i = 0; i < SN_TCP_SACK_MAX; i++) {
		o.sack[i].left = 0xfffffff0u + i;
		o.sack[i].right = 100u * i + mask;
	}
	return o;
}

/* Build then parse gives back every field, for every option combination,
 * SACK count and a few payload lengths (odd ones too). */
TEST(must4_round_trip_all_option_combinations)
{
	static const uint32_t paylens[] = {0, 1, 7, 1460};
	uint8_t buf[60 + 1460];

	for (unsigned mask = 0; mask < 16; mask++)
		for (unsigned nsack = 0; nsack <= SN_TCP_SACK_MAX; nsack++)
			for (size_t p = 0; p < 4; p++) {
				struct sn_tcp_seg in = {
					.sport = 0xfffe, .dport = 1, .seq = 0xfffffff0u + mask,
					.ack = mask * 12345u, .flags = (uint8_t)(mask * 17 + nsack),
					.wnd = (uint16_t)(mask * 999), .urp = 7, .len = paylens[p],
					.opts = combo_opts(mask, nsack),
				};
				struct sn_tcp_seg out;
				size_t olen = sn_tcp_opts_len(&in.opts);

				CHECK_EQ(olen % 4, 0);
				CHECK(olen <= SN_TCP_MAX_OPT_LEN);
				for (uint32_t i = 0; i < in.len; i++)
					buf[20 + olen + i] = (uint8_t)(i * 31 + mask);
				CHECK_EQ(sn_tcp_build(buf, &in, SRC, DST), 20 + olen);
				CHECK_EQ(in.opts.nsack, expect_nsack(&in.opts, nsack));
				CHECK_EQ(sn_tcp_parse(buf, 20 + olen + in.len, SRC, DST, &out), 0);
				CHECK_EQ(out.sport, in.sport);
				CHECK_EQ(out.dport, in.dport);
				CHECK_EQ(out.seq, in.seq);
				CHECK_EQ(out.ack, in.ack);
				CHECK_EQ(out.flags, in.flags);
				CHECK_EQ(out.wnd, in.wnd);
				CHECK_EQ(out.urp, in.urp);
				CHECK_EQ(out.hdr_len, in.hdr_len);
				CHECK_EQ(out.len, in.len);
				CHECK(out.payload == buf + 20 + olen);
				CHECK(opts_equal(&in.opts, &out.opts));
			}
}

/* ---------------------------------------------------------------- print */

TEST(flags_str_tcpdump_letters)
{
	char s[9];

	CHECK_STR(sn_tcp_flags_str(SN_TCP_SYN, s), "S");
	CHECK_STR(sn_tcp_flags_str(SN_TCP_SYN | SN_TCP_ACK, s), "S.");
	CHECK_STR(sn_tcp_flags_str(SN_TCP_FIN | SN_TCP_PSH | SN_TCP_ACK, s), "FP.");
	CHECK_STR(sn_tcp_flags_str(SN_TCP_ACK, s), ".");
	CHECK_STR(sn_tcp_flags_str(SN_TCP_RST, s), "R");
	CHECK_STR(sn_tcp_flags_str(SN_TCP_RST | SN_TCP_ACK, s), "R.");
	CHECK_STR(sn_tcp_flags_str(SN_TCP_SYN | SN_TCP_ECE | SN_TCP_CWR, s), "SEW");
	CHECK_STR(sn_tcp_flags_str(0, s), "none");
	CHECK_STR(sn_tcp_flags_str(0xff, s), "FSRPUEW.");
}
