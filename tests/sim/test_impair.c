/*
 * test_impair.c: the seeded fault injector (include/synack/impair.h).
 *
 * The injector is pure, so each case feeds it a fixed seed and counts what
 * it decides: the spec parser, each impairment alone, and reproducibility
 * (same seed, same decisions; another seed, others).
 */
#include <errno.h>

#include "check.h"
#include "synack/impair.h"
#include "wire/csum.h"

#define DRAWS 100000

static struct synack_impair_params no_impairment(void)
{
	return (struct synack_impair_params){0};
}

TEST(parse_full_spec)
{
	struct synack_impair_params p;

	CHECK_EQ(synack_impair_parse("loss=1%,dup=0.5%,reorder=2%,delay=10ms,jitter=2ms,corrupt=0.1%", &p), 0);
	CHECK_EQ(p.loss_ppm, 10000);
	CHECK_EQ(p.dup_ppm, 5000);
	CHECK_EQ(p.reorder_ppm, 20000);
	CHECK_EQ(p.delay_us, 10000);
	CHECK_EQ(p.jitter_us, 2000);
	CHECK_EQ(p.corrupt_ppm, 1000);
	CHECK_EQ(p.reorder_us, 0);
}

TEST(parse_units)
{
	struct synack_impair_params p;

	CHECK_EQ(synack_impair_parse("delay=250us,jitter=1.5s,reorder_delay=0.5ms", &p), 0);
	CHECK_EQ(p.delay_us, 250);
	CHECK_EQ(p.jitter_us, 1500000);
	CHECK_EQ(p.reorder_us, 500);
	CHECK_EQ(synack_impair_parse("loss=100%,dup=250ppm,corrupt=.25%", &p), 0);
	CHECK_EQ(p.loss_ppm, 1000000);
	CHECK_EQ(p.dup_ppm, 250);
	CHECK_EQ(p.corrupt_ppm, 2500);
	CHECK_EQ(p.delay_us, 0); /* fields not named stay 0 */
	CHECK_EQ(synack_impair_parse("", &p), 0);
	CHECK_EQ(p.loss_ppm, 0);
}

TEST(parse_rejects_bad_specs)
{
	static const char *bad[] = {
		"loss",	       "loss=",	      "loss=1",	       "loss=101%",  "loss=-1%",
		"loss=1%%",    "loss=abc%",   "delay=10",      "delay=10m",  "delay=10 ms",
		"jitter=ms",   "bogus=1%",    "loss=1%,",      ",loss=1%",   "loss=1%,,dup=1%",
		"delay=1.2.3ms", "loss=0.0000001%", "delay=99999999999999999999s", "=1%",
		"delay=5000s", /* over 2^32 us */
	};
	struct synack_impair_params p = {.loss_ppm = 42};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (synack_impair_parse(bad[i], &p) != -EINVAL) {
			fprintf(stderr, "accepted bad spec \"%s\"\n", bad[i]);
			CHECK(0);
		}
	}
	CHECK_EQ(p.loss_ppm, 42); /* untouched on error */
	CHECK_EQ(synack_impair_parse(NULL, &p), -EINVAL);
}

TEST(no_impairment_delivers_one_copy_now)
{
	struct synack_impair_params p = no_impairment();
	struct synack_impair im;
	struct synack_impair_copy c[2];

	synack_impair_init(&im, &p, 1);
	for (uint64_t now = 0; now < 1000; now += 7) {
		CHECK_EQ(synack_impair_decide(&im, now, c), 1);
		CHECK_EQ(c[0].deliver_at, now);
		CHECK_EQ(c[0].corrupt, 0);
	}
	CHECK_EQ(im.stats.lost + im.stats.duplicated + im.stats.reordered + im.stats.corrupted, 0);
	CHECK_EQ(im.stats.delayed, 0);
}

TEST(fixed_delay)
{
	struct synack_impair_params p = {.delay_us = 10000};
	struct synack_impair im;
	struct synack_impair_copy c[2];

	synack_impair_init(&im, &p, 1);
	CHECK_EQ(synack_impair_decide(&im, 5, c), 1);
	CHECK_EQ(c[0].deliver_at, 10005);
	CHECK_EQ(im.stats.delayed, 1); /* counted, so a test can see the delay was applied */
}

TEST(loss_100_loses_all)
{
	struct synack_impair_params p = {.loss_ppm = 1000000};
	struct synack_impair im;
	struct synack_impair_copy c[2];

	synack_impair_init(&im, &p, 7);
	for (int i = 0; i < 1000; i++)
		CHECK_EQ(synack_impair_decide(&im, (uint64_t)i, c), 0);
	CHECK_EQ(im.stats.seen, 1000);
	CHECK_EQ(im.stats.lost, 1000);
}

TEST(loss_10_percent_within_band)
{
	struct synack_impair_params p = {.loss_ppm = 100000};
	struct synack_impair im;
	struct synack_impair_copy c[2];
	int lost = 0;

	synack_impair_init(&im, &p, 12345);
	for (int i = 0; i < DRAWS; i++)
		lost += synack_impair_decide(&im, 0, c) == 0;
	/* Expected 10,000, sd ~95: a +-10% band is over 10 sd wide. */
	CHECK(lost > 9000 && lost < 11000);
	CHECK_EQ(im.stats.lost, lost);
}

TEST(dup_makes_two_copies)
{
	struct synack_impair_params p = {.dup_ppm = 1000000, .delay_us = 100, .jitter_us = 50};
	struct synack_impair im;
	struct synack_impair_copy c[2];

	synack_impair_init(&im, &p, 3);
	for (int i = 0; i < 100; i++) {
		CHECK_EQ(synack_impair_decide(&im, 1000, c), 2);
		CHECK(c[0].deliver_at >= 1100 && c[0].deliver_at <= 1150);
		CHECK(c[1].deliver_at >= 1100 && c[1].deliver_at <= 1150);
	}
	CHECK_EQ(im.stats.duplicated, 100);
}

TEST(dup_rate_within_band)
{
	struct synack_impair_params p = {.dup_ppm = 50000};
	struct synack_impair im;
	struct synack_impair_copy c[2];
	int dups = 0;

	synack_impair_init(&im, &p, 99);
	for (int i = 0; i < DRAWS; i++)
		dups += synack_impair_decide(&im, 0, c) == 2;
	CHECK(dups > 4500 && dups < 5500);
}

TEST(reorder_adds_reorder_us)
{
	struct synack_impair_params p = {.delay_us = 1000, .reorder_ppm = 1000000, .reorder_us = 20000};
	struct synack_impair im;
	struct synack_impair_copy c[2];

	synack_impair_init(&im, &p, 5);
	CHECK_EQ(synack_impair_decide(&im, 0, c), 1);
	CHECK_EQ(c[0].deliver_at, 21000);
	CHECK_EQ(im.stats.reordered, 1);

	/* At 30%, about 30% of copies are held back, and only by reorder_us. */
	p.reorder_ppm = 300000;
	synack_impair_init(&im, &p, 5);
	int held = 0;
	for (int i = 0; i < DRAWS; i++) {
		CHECK_EQ(synack_impair_decide(&im, 0, c), 1);
		CHECK(c[0].deliver_at == 1000 || c[0].deliver_at == 21000);
		held += c[0].deliver_at == 21000;
	}
	CHECK(held > 28000 && held < 32000);
}

TEST(jitter_bounded_and_spread)
{
	struct synack_impair_params p = {.delay_us = 5000, .jitter_us = 2000};
	struct synack_impair im;
	struct synack_impair_copy c[2];
	uint64_t lo = UINT64_MAX, hi = 0, sum = 0;

	synack_impair_init(&im, &p, 11);
	for (int i = 0; i < DRAWS; i++) {
		CHECK_EQ(synack_impair_decide(&im, 100, c), 1);
		uint64_t d = c[0].deliver_at - 100;
		CHECK(d >= 5000 && d <= 7000);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		sum += d;
	}
	CHECK(lo < 5050 && hi > 6950); /* the whole range is used */
	CHECK(sum / DRAWS > 5900 && sum / DRAWS < 6100);
}

static int bits_differing(const uint8_t *a, const uint8_t *b, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < len; i++)
		n += __builtin_popcount((unsigned)(a[i] ^ b[i]));
	return n;
}

/* Ones' complement sum of a buffer (RFC 1071), folded. */
static uint16_t ones_sum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

TEST(corrupt_flips_one_to_three_bits)
{
	struct synack_impair_params p = {.corrupt_ppm = 1000000};
	struct synack_impair im;
	struct synack_impair_copy c[2];
	uint8_t orig[60], pkt[60];
	int seen[4] = {0};

	synack_impair_init(&im, &p, 21);
	for (size_t i = 0; i < sizeof(orig); i++)
		orig[i] = (uint8_t)(i * 37 + 1);
	for (int i = 0; i < 10000; i++) {
		CHECK_EQ(synack_impair_decide(&im, 0, c), 1);
		CHECK_EQ(c[0].corrupt, 1);
		memcpy(pkt, orig, sizeof(pkt));
		synack_impair_corrupt(&im, pkt, sizeof(pkt));
		int n = bits_differing(orig, pkt, sizeof(pkt));
		CHECK(n >= 1 && n <= 3);
		seen[n]++;
		/* Always visible to the Internet checksum (see impair.c). */
		CHECK(ones_sum(orig, sizeof(orig)) != ones_sum(pkt, sizeof(pkt)));
	}
	CHECK(seen[1] > 0 && seen[2] > 0 && seen[3] > 0);
	CHECK_EQ(im.stats.corrupted, 10000);
}

TEST(corrupt_tiny_packets)
{
	struct synack_impair im;
	uint8_t one = 0x5a;

	synack_impair_init(&im, NULL, 2);
	for (int i = 0; i < 100; i++) {
		uint8_t b = one;
		synack_impair_corrupt(&im, &b, 1);
		CHECK(b != one);
	}
	synack_impair_corrupt(&im, NULL, 0); /* nothing to flip, no crash */
}

/* Runs 1000 decisions with every impairment on, into a digest. */
static uint64_t decision_digest(uint64_t seed)
{
	struct synack_impair_params p = {.delay_us = 5000, .jitter_us = 2000, .loss_ppm = 20000,
					 .dup_ppm = 10000, .reorder_ppm = 20000, .reorder_us = 20000,
					 .corrupt_ppm = 50000};
	struct synack_impair im;
	struct synack_impair_copy c[2];
	uint64_t h = 1469598103934665603ull;

	synack_impair_init(&im, &p, seed);
	for (int i = 0; i < 1000; i++) {
		int n = synack_impair_decide(&im, (uint64_t)i * 1000, c);
		h = (h ^ (uint64_t)n) * 1099511628211ull;
		for (int k = 0; k < n; k++) {
			h = (h ^ c[k].deliver_at) * 1099511628211ull;
			h = (h ^ (uint64_t)c[k].corrupt) * 1099511628211ull;
		}
	}
	return h;
}

TEST(same_seed_same_decisions)
{
	CHECK(decision_digest(1) == decision_digest(1));
	CHECK(decision_digest(0) == decision_digest(0));
	CHECK(decision_digest(1) != decision_digest(2));
	CHECK(decision_digest(0) != decision_digest(1));
}

/* RFC 3168 §5: a CE mark turns ECT(0) and ECT(1) into CE with a valid
 * header checksum; Not-ECT and CE datagrams are left alone. ce=N% draws
 * a mark decision per copy at that rate. */
TEST(rfc3168_ce_marks_ect_datagrams_only)
{
	struct synack_impair_params p;
	struct synack_impair im;
	struct synack_impair_copy c[2];

	CHECK_EQ(synack_impair_parse("ce=2%", &p), 0);
	CHECK_EQ(p.ce_ppm, 20000);
	synack_impair_init(&im, &p, 5);
	int marks = 0;
	for (int i = 0; i < DRAWS; i++) {
		CHECK_EQ(synack_impair_decide(&im, 0, c), 1);
		marks += c[0].ce;
	}
	CHECK(marks > DRAWS * 2 / 100 * 8 / 10 && marks < DRAWS * 2 / 100 * 12 / 10);
	for (uint8_t ecn = 0; ecn < 4; ecn++) {
		uint8_t pkt[20] = {0x45, (uint8_t)(0xb8 | ecn), 0, 20, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0,
				   10, 0, 0, 1, 10, 0, 0, 2};
		uint64_t before = im.stats.ce_marked;
		uint16_t sum = sn_csum_fold(sn_csum_add(0, pkt, 20));
		pkt[10] = (uint8_t)(sum >> 8);
		pkt[11] = (uint8_t)sum;
		int marked = synack_impair_mark_ce(&im, pkt, sizeof(pkt));
		CHECK_EQ(marked, ecn == 1 || ecn == 2);
		CHECK_EQ(im.stats.ce_marked - before, (uint64_t)marked);
		CHECK_EQ(pkt[1] & 3, marked ? 3 : ecn);
		CHECK_EQ(pkt[1] >> 2, 0xb8 >> 2); /* DSCP kept */
		CHECK_EQ(sn_csum_fold(sn_csum_add(0, pkt, 20)), 0);
	}
}
