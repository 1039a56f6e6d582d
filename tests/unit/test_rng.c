/* test_rng.c: the seeded generator is the published algorithm, deterministic,
 * and its derived draws (below, chance_ppm, fill) are in range and unbiased. */
#include "check.h"

#include "base/rng.h"

/* Published first outputs of xoshiro256** from state {1, 2, 3, 4}. */
TEST(xoshiro_reference_outputs)
{
	struct sn_rng r = {.s = {1, 2, 3, 4}};

	CHECK_EQ(sn_rng_next(&r), 11520);
	CHECK_EQ(sn_rng_next(&r), 0);
	CHECK_EQ(sn_rng_next(&r), 1509978240);
	CHECK(sn_rng_next(&r) == 1215971899390074240ull);
}

/* splitmix64's first output from 0 is the well-known 0xe220a8397b1dcdaf. */
TEST(seed_through_splitmix64)
{
	struct sn_rng r;

	sn_rng_seed(&r, 0);
	CHECK(r.s[0] == 0xe220a8397b1dcdafull);
	CHECK(r.s[0] | r.s[1] | r.s[2] | r.s[3]);
}

TEST(same_seed_same_stream)
{
	struct sn_rng a, b;

	sn_rng_seed(&a, 42);
	sn_rng_seed(&b, 42);
	for (int i = 0; i < 1000; i++)
		CHECK(sn_rng_next(&a) == sn_rng_next(&b));
}

TEST(different_seeds_differ)
{
	struct sn_rng a, b;
	int same = 0;

	sn_rng_seed(&a, 1);
	sn_rng_seed(&b, 2);
	for (int i = 0; i < 100; i++)
		same += sn_rng_next(&a) == sn_rng_next(&b);
	CHECK_EQ(same, 0);
}

TEST(below_stays_in_range)
{
	static const uint64_t bounds[] = {1, 2, 3, 7, 10, 1000, 1000000, (1ull << 63) + 1, UINT64_MAX};
	struct sn_rng r;

	sn_rng_seed(&r, 7);
	for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++)
		for (int i = 0; i < 2000; i++)
			CHECK(sn_rng_below(&r, bounds[b]) < bounds[b]);
	CHECK_EQ(sn_rng_below(&r, 0), 0);
	CHECK_EQ(sn_rng_below(&r, 1), 0);
}

/* Every value of a small bound comes up, each near its expected share. */
TEST(below_hits_every_value_evenly)
{
	enum { BOUND = 6, DRAWS = 60000 };
	unsigned count[BOUND] = {0};
	struct sn_rng r;

	sn_rng_seed(&r, 12345);
	for (int i = 0; i < DRAWS; i++)
		count[sn_rng_below(&r, BOUND)]++;
	for (int v = 0; v < BOUND; v++) {
		CHECK(count[v] > DRAWS / BOUND * 95 / 100);
		CHECK(count[v] < DRAWS / BOUND * 105 / 100);
	}
}

/*
 * With bound = 2^63 + 2^62, a modulo-biased draw would land in [0, 2^62) half
 * again as often as in any other quarter-sized range; rejection makes the low
 * third exactly a third.
 */
TEST(below_is_not_modulo_biased)
{
	const uint64_t bound = (1ull << 63) + (1ull << 62);
	struct sn_rng r;
	int low = 0, n = 30000;

	sn_rng_seed(&r, 99);
	for (int i = 0; i < n; i++)
		low += sn_rng_below(&r, bound) < (1ull << 62);
	/* Unbiased: 1/3 (10000). Modulo reduction would give 1/2 (15000). */
	CHECK(low > 9400 && low < 10600);
}

TEST(chance_ppm_rates)
{
	static const uint32_t ppms[] = {10000, 250000, 500000, 900000};
	struct sn_rng r;
	int n = 200000;

	sn_rng_seed(&r, 2024);
	for (size_t k = 0; k < sizeof(ppms) / sizeof(ppms[0]); k++) {
		int hits = 0;
		for (int i = 0; i < n; i++)
			hits += sn_rng_chance_ppm(&r, ppms[k]);
		double expect = (double)n * ppms[k] / 1e6;
		CHECK(hits > expect * 0.95 && hits < expect * 1.05);
	}
	for (int i = 0; i < 1000; i++) {
		CHECK(!sn_rng_chance_ppm(&r, 0));
		CHECK(sn_rng_chance_ppm(&r, 1000000));
	}
}

/* fill writes exactly len bytes, little-endian words of the stream. */
TEST(fill_matches_stream)
{
	struct sn_rng a, b;
	uint8_t buf[21];

	memset(buf, 0xee, sizeof(buf));
	sn_rng_seed(&a, 5);
	sn_rng_seed(&b, 5);
	sn_rng_fill(&a, buf, 19);
	for (int w = 0; w < 3; w++) {
		uint64_t v = sn_rng_next(&b);
		for (int i = 0; i < 8 && w * 8 + i < 19; i++)
			CHECK_EQ(buf[w * 8 + i], (uint8_t)(v >> (8 * i)));
	}
	CHECK_EQ(buf[19], 0xee);
	CHECK_EQ(buf[20], 0xee);
	/* The partial word is consumed: the next draw is the fourth. */
	CHECK(sn_rng_next(&a) == sn_rng_next(&b));
	sn_rng_fill(&a, buf, 0);
}
