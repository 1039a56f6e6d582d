/*
 * rng.h: the stack's seeded pseudo-random generator.
 *
 * Every random choice in synack (ISN secret, ephemeral ports, simulator
 * impairments) draws from an sn_rng owned by a stack or a simulator, so the
 * same seed gives the same run byte for byte (DESIGN.md, Determinism).
 * Algorithm: xoshiro256** seeded through splitmix64. Not for cryptography:
 * secrets are derived from it once and then used as SipHash keys.
 */
#ifndef SYNACK_BASE_RNG_H
#define SYNACK_BASE_RNG_H

#include <stdint.h>

struct sn_rng {
	uint64_t s[4]; /* xoshiro256** state; never all zero */
};

void sn_rng_seed(struct sn_rng *rng, uint64_t seed);
uint64_t sn_rng_next(struct sn_rng *rng);
/* Uniform in [0, bound) without modulo bias; bound 0 returns 0. */
uint64_t sn_rng_below(struct sn_rng *rng, uint64_t bound);
/* True with probability ppm / 1,000,000. */
int sn_rng_chance_ppm(struct sn_rng *rng, uint32_t ppm);
void sn_rng_fill(struct sn_rng *rng, void *buf, unsigned len);

#endif
