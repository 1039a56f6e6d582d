/*
 * sha256.c: SHA-256 as FIPS 180-4 §6.2 specifies it, one 64-byte block at a
 * time; no tables beyond the round constants, no allocation.
 *
 * It runs on every byte `synack serve` and `synack connect` receive, so it
 * must not be what limits a transfer: the rounds are unrolled by eight with
 * the working variables renamed rather than moved, the schedule lives in a
 * 16-word ring, and whole blocks are hashed in place (a round that shifted
 * the eight words with memmove ran at 40 MB/s and capped synack's receive
 * over TUN there; this one runs three times faster). Where the CPU has the
 * SHA extensions (x86-64, CPUID leaf 7 EBX bit 29, with SSSE3 and SSE4.1),
 * whole blocks go through SHA256RNDS2/MSG1/MSG2 instead, which is faster
 * again by an order of magnitude; sha256_init picks once per context, so
 * there is no global state, and both paths give the same digest
 * (tests/unit/test_sha256.c checks both).
 */
#include <stdio.h>
#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define SHA256_HAVE_SHANI 1
#endif

#include "sha256.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2};

static inline uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

/* Message schedule word i (i >= 16), computed in a 16-word ring. */
#define SIG0(x) (ror(x, 7) ^ ror(x, 18) ^ ((x) >> 3))
#define SIG1(x) (ror(x, 17) ^ ror(x, 19) ^ ((x) >> 10))
#define W(i) (w[(i)&15] += SIG1(w[((i)-2) & 15]) + w[((i)-7) & 15] + SIG0(w[((i)-15) & 15]))

/* One round (§6.2.2 step 3) with the working variables renamed instead of
 * shifted: round i+1 passes them in rotated by one, so no copies. */
#define ROUND(a, b, c, d, e, f, g, h, k, wi)                                            \
	do {                                                                            \
		uint32_t t1 = (h) + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +             \
			      (((e) & (f)) ^ (~(e) & (g))) + (k) + (wi);                \
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +                   \
			      (((a) & (b)) ^ ((a) & (c)) ^ ((b) & (c)));                \
		(d) += t1;                                                              \
		(h) = t1 + t2;                                                          \
	} while (0)

#define EIGHT(i, WI)                                                                    \
	do {                                                                            \
		ROUND(a, b, c, d, e, f, g, h, K[(i) + 0], WI((i) + 0));                 \
		ROUND(h, a, b, c, d, e, f, g, K[(i) + 1], WI((i) + 1));                 \
		ROUND(g, h, a, b, c, d, e, f, K[(i) + 2], WI((i) + 2));                 \
		ROUND(f, g, h, a, b, c, d, e, K[(i) + 3], WI((i) + 3));                 \
		ROUND(e, f, g, h, a, b, c, d, K[(i) + 4], WI((i) + 4));                 \
		ROUND(d, e, f, g, h, a, b, c, K[(i) + 5], WI((i) + 5));                 \
		ROUND(c, d, e, f, g, h, a, b, K[(i) + 6], WI((i) + 6));                 \
		ROUND(b, c, d, e, f, g, h, a, K[(i) + 7], WI((i) + 7));                 \
	} while (0)
#define WFIRST(i) w[i]

/* The compression function (§6.2.2) on one 64-byte block read in place. */
static void block_c(uint32_t hv[8], const uint8_t *p)
{
	uint32_t w[16];
	uint32_t a = hv[0], b = hv[1], c = hv[2], d = hv[3];
	uint32_t e = hv[4], f = hv[5], g = hv[6], h = hv[7];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	EIGHT(0, WFIRST);
	EIGHT(8, WFIRST);
	EIGHT(16, W);
	EIGHT(24, W);
	EIGHT(32, W);
	EIGHT(40, W);
	EIGHT(48, W);
	EIGHT(56, W);
	hv[0] += a;
	hv[1] += b;
	hv[2] += c;
	hv[3] += d;
	hv[4] += e;
	hv[5] += f;
	hv[6] += g;
	hv[7] += h;
}

#ifdef SHA256_HAVE_SHANI
/* §6.2.2 with the SHA extensions: the state as ABEF/CDGH, four rounds per
 * two SHA256RNDS2, the schedule four words at a time (W[t..t+3] from
 * W[t-16..t-1] by SHA256MSG1, an add of W[t-7..t-4], SHA256MSG2). */
__attribute__((target("sha,ssse3,sse4.1"))) static void blocks_shani(uint32_t hv[8],
									  const uint8_t *p,
									  size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&hv[0]), 0xB1);
	__m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&hv[4]), 0x1B);
	__m128i s0 = _mm_alignr_epi8(tmp, s1, 8); /* ABEF */
	s1 = _mm_blend_epi16(s1, tmp, 0xF0);      /* CDGH */

	for (; n; n--, p += 64) {
		__m128i w[4], save0 = s0, save1 = s1;
#pragma GCC unroll 16
		for (int g = 0; g < 16; g++) {
			if (g < 4)
				w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
			else
				w[g & 3] = _mm_sha256msg2_epu32(
					_mm_add_epi32(_mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]),
						      _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4)),
					w[(g + 3) & 3]);
			__m128i m = _mm_add_epi32(w[g & 3], _mm_loadu_si128((const __m128i *)&K[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, m);
			s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0E));
		}
		s0 = _mm_add_epi32(s0, save0);
		s1 = _mm_add_epi32(s1, save1);
	}
	tmp = _mm_shuffle_epi32(s0, 0x1B);       /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xB1);        /* DCHG */
	s0 = _mm_blend_epi16(tmp, s1, 0xF0);     /* DCBA */
	s1 = _mm_alignr_epi8(s1, tmp, 8);        /* HGFE */
	_mm_storeu_si128((__m128i *)&hv[0], s0);
	_mm_storeu_si128((__m128i *)&hv[4], s1);
}

static int cpu_has_shani(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return 0;
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
}
#endif

static void blocks(struct sha256 *c, const uint8_t *p, size_t n)
{
#ifdef SHA256_HAVE_SHANI
	if (c->shani) {
		blocks_shani(c->h, p, n);
		return;
	}
#endif
	for (; n; n--, p += 64)
		block_c(c->h, p);
}

void sha256_init(struct sha256 *c)
{
	static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(c->h, h0, sizeof(h0));
	c->len = 0;
	c->nbuf = 0;
#ifdef SHA256_HAVE_SHANI
	c->shani = cpu_has_shani();
#else
	c->shani = 0;
#endif
}

/* Whole blocks are compressed straight from the caller's buffer; only a
 * partial block at either end goes through c->buf. */
void sha256_update(struct sha256 *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	c->len += len;
	if (c->nbuf) {
		size_t n = 64 - c->nbuf < len ? 64 - c->nbuf : len;
		memcpy(c->buf + c->nbuf, p, n);
		c->nbuf += n;
		p += n;
		len -= n;
		if (c->nbuf < 64)
			return;
		blocks(c, c->buf, 1);
		c->nbuf = 0;
	}
	blocks(c, p, len / 64);
	p += len / 64 * 64;
	len %= 64;
	memcpy(c->buf, p, len);
	c->nbuf = len;
}

void sha256_hex(struct sha256 *c, char out[65])
{
	uint64_t bits = c->len * 8;
	uint8_t pad[72] = {0x80};
	size_t padlen = (c->nbuf < 56 ? 56 : 120) - c->nbuf;

	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(c, pad, padlen + 8);
	for (int i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", c->h[i]);
}
