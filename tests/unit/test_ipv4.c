/*
 * test_ipv4.c: IPv4 header parse and build (RFC 791 §3.1). Each case names
 * the check it covers and the drop reason it expects.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "wire/csum.h"
#include "wire/ipv4.h"

/* The captured header of RFC 1071-style examples: UDP, 0x73 bytes long. */
static const uint8_t captured[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
				     0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

static void fix_csum(uint8_t *h)
{
	size_t hl = (size_t)(h[0] & 0x0f) * 4;

	h[10] = h[11] = 0;
	uint16_t c = sn_csum_fold(sn_csum_add(0, h, hl));
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
}

/* A datagram of total bytes from the captured header, payload zeroed. */
static void make_dgram(uint8_t *buf, size_t total)
{
	memset(buf, 0, total);
	memcpy(buf, captured, sizeof(captured));
	buf[2] = (uint8_t)(total >> 8);
	buf[3] = (uint8_t)total;
	fix_csum(buf);
}

TEST(rfc791_parse_captured_header)
{
	uint8_t buf[0x73];
	struct sn_ipv4 ip;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, captured, sizeof(captured));
	CHECK_EQ(sn_ipv4_parse(buf, sizeof(buf), &ip), 0);
	CHECK_EQ(ip.hdr_len, 20);
	CHECK_EQ(ip.tos, 0);
	CHECK_EQ(ip.total_len, 0x73);
	CHECK_EQ(ip.id, 0);
	CHECK_EQ(ip.frag, SN_IPV4_DF);
	CHECK_EQ(ip.ttl, 64);
	CHECK_EQ(ip.proto, 17);
	CHECK_EQ(ip.src, 0xc0a80001u);
	CHECK_EQ(ip.dst, 0xc0a800c7u);
	CHECK(!sn_ipv4_is_fragment(&ip));
}

TEST(rfc791_build_matches_capture_and_round_trips)
{
	const struct sn_ipv4 in = {.tos = 0, .total_len = 0x73, .id = 0, .frag = SN_IPV4_DF,
				   .ttl = 64, .proto = 17, .src = 0xc0a80001, .dst = 0xc0a800c7};
	uint8_t buf[0x73] = {0};
	struct sn_ipv4 out;

	sn_ipv4_build(buf, &in);
	CHECK(memcmp(buf, captured, 20) == 0);
	CHECK_EQ(sn_ipv4_parse(buf, sizeof(buf), &out), 0);
	CHECK_EQ(out.hdr_len, 20);
	CHECK_EQ(out.total_len, in.total_len);
	CHECK_EQ(out.src, in.src);
	CHECK_EQ(out.dst, in.dst);
	CHECK_EQ(out.proto, in.proto);
}

TEST(rfc791_build_tcp_fields)
{
	const struct sn_ipv4 in = {.tos = 0x10, .total_len = 40, .id = 0xbeef, .frag = 0,
				   .ttl = 255, .proto = SN_IPPROTO_TCP,
				   .src = 0x0a000001, .dst = 0x0a000002};
	uint8_t buf[40] = {0};
	struct sn_ipv4 out;

	sn_ipv4_build(buf, &in);
	CHECK_EQ(sn_csum_fold(sn_csum_add(0, buf, 20)), 0);
	CHECK_EQ(sn_ipv4_parse(buf, sizeof(buf), &out), 0);
	CHECK_EQ(out.tos, 0x10);
	CHECK_EQ(out.id, 0xbeef);
	CHECK_EQ(out.ttl, 255);
	CHECK_EQ(out.proto, SN_IPPROTO_TCP);
}

TEST(ip_truncated_shorter_than_header)
{
	uint8_t buf[20];
	struct sn_ipv4 ip;

	make_dgram(buf, 20);
	for (size_t len = 0; len < 20; len++)
		CHECK_EQ(sn_ipv4_parse(buf, len, &ip), SYNACK_DROP_IP_TRUNCATED);
}

TEST(ip_version_not_4)
{
	uint8_t buf[40];
	struct sn_ipv4 ip;

	make_dgram(buf, 40);
	buf[0] = 0x65; /* IPv6 */
	fix_csum(buf);
	CHECK_EQ(sn_ipv4_parse(buf, 40, &ip), SYNACK_DROP_IP_VERSION);
	buf[0] = 0x05;
	CHECK_EQ(sn_ipv4_parse(buf, 40, &ip), SYNACK_DROP_IP_VERSION);
}

TEST(ip_hdr_len_ihl_below_5)
{
	uint8_t buf[40];
	struct sn_ipv4 ip;

	make_dgram(buf, 40);
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		buf[0] = (uint8_t)(0x40 | ihl);
		CHECK_EQ(sn_ipv4_parse(buf, 40, &ip), SYNACK_DROP_IP_HDR_LEN);
	}
}

TEST(ip_hdr_len_ihl_past_buffer)
{
	uint8_t buf[24];
	struct sn_ipv4 ip;

	make_dgram(buf, 24);
	buf[0] = 0x46; /* 24 bytes: exactly the buffer, fine */
	fix_csum(buf);
	CHECK_EQ(sn_ipv4_parse(buf, 24, &ip), 0);
	CHECK_EQ(ip.hdr_len, 24);
	buf[0] = 0x47; /* 28 bytes: past it */
	CHECK_EQ(sn_ipv4_parse(buf, 24, &ip), SYNACK_DROP_IP_HDR_LEN);
	buf[0] = 0x4f;
	CHECK_EQ(sn_ipv4_parse(buf, 24, &ip), SYNACK_DROP_IP_HDR_LEN);
}

TEST(ip_options_skipped_payload_after_them)
{
	uint8_t buf[60 + 4];
	struct sn_ipv4 ip;

	make_dgram(buf, sizeof(buf));
	buf[0] = 0x4f; /* 60-byte header, options all NOP */
	memset(buf + 20, 1, 40);
	fix_csum(buf);
	CHECK_EQ(sn_ipv4_parse(buf, sizeof(buf), &ip), 0);
	CHECK_EQ(ip.hdr_len, 60);
	CHECK_EQ(ip.total_len - ip.hdr_len, 4);
}

TEST(ip_total_len_past_buffer_truncated)
{
	uint8_t buf[60];
	struct sn_ipv4 ip;

	make_dgram(buf, 60);
	CHECK_EQ(sn_ipv4_parse(buf, 59, &ip), SYNACK_DROP_IP_TRUNCATED);
	CHECK_EQ(sn_ipv4_parse(buf, 20, &ip), SYNACK_DROP_IP_TRUNCATED);
	CHECK_EQ(sn_ipv4_parse(buf, 60, &ip), 0);
}

TEST(ip_total_len_below_hdr_len)
{
	uint8_t buf[40];
	struct sn_ipv4 ip;

	make_dgram(buf, 40);
	buf[2] = 0;
	buf[3] = 19;
	fix_csum(buf);
	CHECK_EQ(sn_ipv4_parse(buf, 40, &ip), SYNACK_DROP_IP_HDR_LEN);
	buf[3] = 0;
	fix_csum(buf);
	CHECK_EQ(sn_ipv4_parse(buf, 40, &ip), SYNACK_DROP_IP_HDR_LEN);
	buf[0] = 0x46; /* 24-byte header, total 20 */
	buf[3] = 20;
	fix_csum(buf);
	CHECK_EQ(sn_ipv4_parse(buf, 40, &ip), SYNACK_DROP_IP_HDR_LEN);
	buf[3] = 24; /* header only, no payload: fine */
	fix_csum(buf);
	CHECK_EQ(sn_ipv4_parse(buf, 40, &ip), 0);
	CHECK_EQ(ip.total_len, 24);
}

/* RFC 791 §3.2: link padding after total_len is allowed; total_len wins. */
TEST(ip_link_padding_trimmed)
{
	uint8_t buf[64];
	struct sn_ipv4 ip;

	make_dgram(buf, 46);
	memset(buf + 46, 0xaa, sizeof(buf) - 46);
	CHECK_EQ(sn_ipv4_parse(buf, sizeof(buf), &ip), 0);
	CHECK_EQ(ip.total_len, 46);
}

TEST(ip_checksum_bad)
{
	uint8_t buf[40];
	struct sn_ipv4 ip;

	make_dgram(buf, 40);
	CHECK_EQ(sn_ipv4_parse(buf, 40, &ip), 0);
	for (size_t i = 0; i < 20; i++) {
		/* Byte 0 (version, IHL) is checked before the checksum. */
		buf[i] ^= 0x04;
		if (i != 0)
			CHECK_EQ(sn_ipv4_parse(buf, 40, &ip), SYNACK_DROP_IP_CHECKSUM);
		buf[i] ^= 0x04;
	}
	/* The payload is not covered by the header checksum. */
	buf[30] ^= 0xff;
	CHECK_EQ(sn_ipv4_parse(buf, 40, &ip), 0);
}

TEST(ip_fragments_flagged)
{
	uint8_t buf[40];
	struct sn_ipv4 ip;
	const uint16_t frags[] = {SN_IPV4_MF, 1, SN_IPV4_MF | 185, 0x1fff, SN_IPV4_DF | 3};

	for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		make_dgram(buf, 40);
		buf[6] = (uint8_t)(frags[i] >> 8);
		buf[7] = (uint8_t)frags[i];
		fix_csum(buf);
		CHECK_EQ(sn_ipv4_parse(buf, 40, &ip), 0);
		CHECK_EQ(ip.frag, frags[i]);
		CHECK(sn_ipv4_is_fragment(&ip));
	}
	make_dgram(buf, 40); /* DF alone is not a fragment */
	CHECK_EQ(sn_ipv4_parse(buf, 40, &ip), 0);
	CHECK(!sn_ipv4_is_fragment(&ip));
}
