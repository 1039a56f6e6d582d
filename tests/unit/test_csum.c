/*
 * test_csum.c: the Internet checksum (RFC 1071) and the IPv4 pseudo-header
 * (RFC 9293 §3.1, MUST-2/MUST-3). The fast 64-bit path is checked against
 * RFC 1071's own vectors, a captured IPv4 header, and a byte-pair reference
 * implementation at every alignment and length.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "wire/csum.h"

/* RFC 1071 §4.1, one byte pair at a time: the obviously right version. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* xorshift64: deterministic test data without a global. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fill_random(uint8_t *p, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)next_rand(&seed);
}

/* RFC 1071 §3 numerical example: the sum of 0001 f203 f4f5 f6f7 is ddf2. */
TEST(rfc1071_numerical_example)
{
	const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	CHECK_EQ(sn_csum_fold(sn_csum_add(0, b, sizeof(b))), (uint16_t)~0xddf2);
	CHECK_EQ(ref_csum(b, sizeof(b)), (uint16_t)~0xddf2);
}

/* RFC 791 header checksum on a captured header: 45 00 00 73 ... b8 61. */
TEST(rfc791_captured_header_checksum)
{
	uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		       0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

	/* Verifying over a header that includes its checksum gives 0. */
	CHECK_EQ(sn_csum_fold(sn_csum_add(0, h, sizeof(h))), 0);
	h[10] = h[11] = 0;
	CHECK_EQ(sn_csum_fold(sn_csum_add(0, h, sizeof(h))), 0xb861);
}

TEST(rfc1071_empty_and_zero)
{
	const uint8_t z[16] = {0};

	CHECK_EQ(sn_csum_fold(sn_csum_add(0, z, 0)), 0xffff);
	CHECK_EQ(sn_csum_fold(sn_csum_add(0, z, sizeof(z))), 0xffff);
	/* Minus zero: a sum of ffff folds to checksum 0. */
	CHECK_EQ(sn_csum_fold(0xffff), 0);
	CHECK_EQ(sn_csum_fold(0xffffffffffffffffull), 0);
}

/* RFC 1071 §4.1: an odd last byte is padded with a zero on the right. */
TEST(rfc1071_odd_length_padded_right)
{
	const uint8_t one[] = {0xab};
	const uint8_t three[] = {0x12, 0x34, 0x56};

	CHECK_EQ(sn_csum_fold(sn_csum_add(0, one, 1)), (uint16_t)~0xab00);
	CHECK_EQ(sn_csum_fold(sn_csum_add(0, three, 3)), (uint16_t)~(0x1234 + 0x5600));
	for (size_t len = 1; len < 64; len += 2) {
		uint8_t b[64];

		fill_random(b, len, len * 7 + 1);
		CHECK_EQ(sn_csum_fold(sn_csum_add(0, b, len)), ref_csum(b, len));
	}
}

/* All ones stresses the end-around carry of the 64-bit accumulator. */
TEST(rfc1071_carries_all_ones)
{
	uint8_t b[1500];

	memset(b, 0xff, sizeof(b));
	for (size_t len = 0; len <= sizeof(b); len += 37)
		CHECK_EQ(sn_csum_fold(sn_csum_add(0, b, len)), ref_csum(b, len));
	CHECK_EQ(sn_csum_fold(sn_csum_add(0xffffffffffffffffull, b, 1500)), ref_csum(b, 1500));
}

/* Every alignment offset 0..15 and every length 0..300 on random data. */
TEST(rfc1071_every_alignment_matches_reference)
{
	uint8_t buf[16 + 300 + 8];

	fill_random(buf, sizeof(buf), 42);
	for (size_t off = 0; off < 16; off++)
		for (size_t len = 0; len <= 300; len++)
			CHECK_EQ(sn_csum_fold(sn_csum_add(0, buf + off, len)),
				 ref_csum(buf + off, len));
}

TEST(rfc1071_large_random_buffers)
{
	static uint8_t buf[65536 + 16];

	fill_random(buf, sizeof(buf), 7);
	for (size_t off = 0; off < 8; off++)
		CHECK_EQ(sn_csum_fold(sn_csum_add(0, buf + off, 65535)),
			 ref_csum(buf + off, 65535));
}

/* RFC 1071 §2(C): the sum is the same however the buffer is split, as long
 * as every piece but the last has even length. */
TEST(rfc1071_chaining_even_pieces)
{
	uint8_t buf[257];

	fill_random(buf, sizeof(buf), 99);
	for (size_t cut = 0; cut <= sizeof(buf); cut += 2) {
		uint64_t s = sn_csum_add(0, buf, cut);

		s = sn_csum_add(s, buf + cut, sizeof(buf) - cut);
		CHECK_EQ(sn_csum_fold(s), ref_csum(buf, sizeof(buf)));
	}
}

/* RFC 9293 §3.1 pseudo-header: src, dst, zero, PTCL, TCP length. */
TEST(must2_pseudo_header_matches_bytes)
{
	const uint8_t ph[] = {10, 0, 0, 1, 192, 168, 200, 254, 0, 6, 0x05, 0xdc};
	uint64_t s = sn_csum_pseudo4(0x0a000001, 0xc0a8c8fe, 6, 1500);

	CHECK_EQ(sn_csum_fold(s), ref_csum(ph, sizeof(ph)));
	s = sn_csum_pseudo4(0xffffffff, 0xffffffff, 255, 0xffff);
	const uint8_t ph2[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 255, 0xff, 0xff};
	CHECK_EQ(sn_csum_fold(s), ref_csum(ph2, sizeof(ph2)));
}

/* MUST-2: the one-call checksums the hot paths use (sn_csum_tcp4 for a
 * segment with its pseudo-header, sn_csum_ip4_hdr for a header) equal the
 * byte-pair reference over pseudo-header + segment, at every length up to
 * 200 bytes (headers: no 64-byte block) and at 1500 and 65535. */
TEST(must2_one_call_tcp4_and_ip4_hdr_match_reference)
{
	static uint8_t buf[12 + 65535];
	uint64_t seed = 0x5eed;
	const size_t lens[] = {1500, 65535};

	for (size_t i = 12; i < sizeof(buf); i++)
		buf[i] = (uint8_t)next_rand(&seed);
	for (size_t k = 0; k < 200 + 2; k++) {
		size_t len = k < 200 ? k : lens[k - 200];
		uint8_t *seg = buf + 12;
		const uint8_t ph[] = {10, 0, 0, 1, 192, 168, 200, 254, 0, 6, (uint8_t)(len >> 8),
				      (uint8_t)len};
		memcpy(buf, ph, sizeof(ph));
		CHECK_EQ(sn_csum_tcp4(0x0a000001, 0xc0a8c8fe, seg, len), ref_csum(buf, 12 + len));
		CHECK_EQ(sn_csum_ip4_hdr(seg, len), ref_csum(seg, len));
	}
}
