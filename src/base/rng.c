/*
 * rng.c: xoshiro256** (Blackman and Vigna, 2018), seeded through splitmix64.
 *
 * One generator per stack or simulator; the whole state is the four words in
 * struct sn_rng, so equal seeds give equal streams (DESIGN.md, Determinism).
 * splitmix64 spreads any 64-bit seed (including 0) over the 256-bit state, and
 * never yields four zero words in a row, so the state is never all zero.
 */
#include "base/rng.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void sn_rng_seed(struct sn_rng *rng, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&seed);
}

uint64_t sn_rng_next(struct sn_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/*
 * Rejection sampling: draws landing in the final partial copy of [0, bound)
 * are redrawn, so every residue is equally likely. threshold = 2^64 mod bound
 * is the size of that partial copy; at worst half the draws are rejected.
 */
uint64_t sn_rng_below(struct sn_rng *rng, uint64_t bound)
{
	if (bound == 0)
		return 0;
	uint64_t threshold = (0 - bound) % bound;
	for (;;) {
		uint64_t r = sn_rng_next(rng);
		if (r >= threshold)
			return r % bound;
	}
}

int sn_rng_chance_ppm(struct sn_rng *rng, uint32_t ppm)
{
	/* Always exactly one draw (bar rare rejections), whatever ppm is. */
	return sn_rng_below(rng, 1000000) < ppm;
}

void sn_rng_fill(struct sn_rng *rng, void *buf, unsigned len)
{
	uint8_t *p = buf;

	while (len > 0) {
		uint64_t r = sn_rng_next(rng);

		/* Little-endian bytes, so a seed fills the same bytes on any host. */
		for (int i = 0; i < 8 && len > 0; i++, len--)
			*p++ = (uint8_t)(r >> (8 * i));
	}
}
