/*
 * siphash.c: SipHash-2-4 (Aumasson and Bernstein, 2012).
 *
 * A keyed 64-bit PRF: with a secret key, an attacker who picks the input
 * (a 4-tuple, say) can neither predict the output nor force collisions. Two
 * compression rounds per 8-byte word, four finalisation rounds. Input words
 * are read as little-endian regardless of the host, as the reference does.
 *
 * SipHash-1-3 (one compression round, three finalisation rounds; the
 * variant Rust's HashMap and Python's str hash use) keys the connection
 * table, where it runs once per segment: still a keyed PRF, about 40% fewer
 * rounds. The ISN and SYN cookies keep SipHash-2-4.
 */
#include "base/siphash.h"

struct sip_state {
	uint64_t v0, v1, v2, v3;
};

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void sip_round(struct sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl(s->v2, 32);
}

/* The constants are "somepseudorandomlygeneratedbytes" in ASCII. */
static inline void sip_init(struct sip_state *s, const struct sn_siphash_key *key)
{
	s->v0 = key->k0 ^ 0x736f6d6570736575ull;
	s->v1 = key->k1 ^ 0x646f72616e646f6dull;
	s->v2 = key->k0 ^ 0x6c7967656e657261ull;
	s->v3 = key->k1 ^ 0x7465646279746573ull;
}

static inline void sip_compress(struct sip_state *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

static inline uint64_t sip_finish(struct sip_state *s)
{
	s->v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* SipHash-1-3: one compression round per word, three to finish. */
static inline void sip13_compress(struct sip_state *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	s->v0 ^= m;
}

static inline uint64_t sip13_finish(struct sip_state *s)
{
	s->v2 ^= 0xff;
	for (int i = 0; i < 3; i++)
		sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

static inline uint64_t load_le(const uint8_t *p, size_t n)
{
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++)
		m |= (uint64_t)p[i] << (8 * i);
	return m;
}

uint64_t sn_siphash(const struct sn_siphash_key *key, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t tail = len & 7;
	const uint8_t *end = p + (len - tail);
	struct sip_state s;

	sip_init(&s, key);
	for (; p != end; p += 8)
		sip_compress(&s, load_le(p, 8));
	/* Last word: leftover bytes, with the length mod 256 in the top byte. */
	sip_compress(&s, load_le(p, tail) | ((uint64_t)len << 56));
	return sip_finish(&s);
}

uint64_t sn_siphash13(const struct sn_siphash_key *key, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t tail = len & 7;
	const uint8_t *end = p + (len - tail);
	struct sip_state s;

	sip_init(&s, key);
	for (; p != end; p += 8)
		sip13_compress(&s, load_le(p, 8));
	sip13_compress(&s, load_le(p, tail) | ((uint64_t)len << 56));
	return sip13_finish(&s);
}

/* The 12 bytes are one full word (saddr, daddr) and a 4-byte tail. */
uint64_t sn_siphash_tuple(const struct sn_siphash_key *key, uint32_t saddr, uint32_t daddr,
			  uint16_t sport, uint16_t dport)
{
	struct sip_state s;

	sip_init(&s, key);
	sip_compress(&s, (uint64_t)saddr | ((uint64_t)daddr << 32));
	sip_compress(&s, (uint64_t)sport | ((uint64_t)dport << 16) | (12ull << 56));
	return sip_finish(&s);
}

uint64_t sn_siphash13_tuple(const struct sn_siphash_key *key, uint32_t saddr, uint32_t daddr,
			    uint16_t sport, uint16_t dport)
{
	struct sip_state s;

	sip_init(&s, key);
	sip13_compress(&s, (uint64_t)saddr | ((uint64_t)daddr << 32));
	sip13_compress(&s, (uint64_t)sport | ((uint64_t)dport << 16) | (12ull << 56));
	return sip13_finish(&s);
}
