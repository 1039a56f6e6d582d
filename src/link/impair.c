/*
 * impair.c: the seeded fault injector (include/synack/impair.h).
 *
 * An impairment is pure: its whole state is the parameters, a private
 * xoshiro256** generator and a few counters, so the same seed and the same
 * sequence of calls give the same decisions on any host. It never sees the
 * datagrams it decides about (except to corrupt them), never allocates and
 * never reads a clock: callers pass `now` and get absolute delivery times.
 *
 * The generator is the base layer's (src/base/rng.c, xoshiro256** seeded by
 * splitmix64); the public header keeps its state as plain words.
 *
 * Corruption flips 1..3 bits at distinct positions within their 16-bit word
 * (bit index mod 16 all different). Such a change is always caught by the
 * Internet checksum (RFC 1071): flipping bit k of a word moves the ones'
 * complement sum by +-2^k, and a sum of at most three distinct +-2^k can be
 * neither 0 nor +-0xffff. Real links drop almost all corrupted frames on
 * their CRC; what reaches IP is what the checksum must catch, and a fault
 * injector whose damage could slip past every checksum would make end-to-end
 * byte-integrity tests fail for reasons no TCP can fix.
 */
#include <errno.h>
#include <string.h>

#include "base/rng.h"
#include "synack/impair.h"

/* ---------------------------------------------------------------- rng */

/* The public struct keeps the generator's state as plain words (the header
 * is public; base/rng.h is not); it is exactly a struct sn_rng. */
_Static_assert(sizeof(struct sn_rng) == sizeof(((struct synack_impair *)0)->rng),
	       "synack_impair.rng holds a struct sn_rng");

static struct sn_rng *rng_of(struct synack_impair *im)
{
	return (struct sn_rng *)(void *)im->rng;
}

/* True with probability ppm/1e6; draws nothing when ppm is 0, so a zero
 * parameter leaves the stream of the others untouched. */
static int rng_chance(struct sn_rng *r, uint32_t ppm)
{
	if (ppm == 0)
		return 0;
	return sn_rng_below(r, 1000000) < ppm;
}

/* ---------------------------------------------------------------- parse */

/*
 * A non-negative decimal with up to six fraction digits, in millionths:
 * "0.5" -> 500000. Returns the end of the number, or NULL if there is none,
 * it has more than six fraction digits, or it overflows.
 */
static const char *parse_micro(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *start = s;

	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX / 1000000 - 9) / 10)
			return NULL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	int int_digits = (int)(s - start);
	v *= 1000000;
	*out = v;
	if (*s != '.')
		return int_digits ? s : NULL;
	s++;
	uint64_t scale = 100000;
	const char *frac = s;
	for (; *s >= '0' && *s <= '9'; s++, scale /= 10) {
		if (scale == 0)
			return NULL;
		v += (uint64_t)(*s - '0') * scale;
	}
	if (int_digits == 0 && s == frac)
		return NULL;
	*out = v;
	return s;
}

/* "10ms" -> 10000. Units are required: us, ms or s. */
static int parse_time(const char *s, const char *end, uint32_t *out)
{
	uint64_t micro, us;
	const char *u = parse_micro(s, &micro);

	if (!u)
		return -EINVAL;
	size_t n = (size_t)(end - u);
	if (n == 2 && !memcmp(u, "us", 2))
		us = micro / 1000000;
	else if (n == 2 && !memcmp(u, "ms", 2))
		us = micro / 1000;
	else if (n == 1 && *u == 's')
		us = micro;
	else
		return -EINVAL;
	if (us > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)us;
	return 0;
}

/* "1.5%" -> 15000, "200ppm" -> 200. Units are required; at most 100%. */
static int parse_prob(const char *s, const char *end, uint32_t *out)
{
	uint64_t micro, ppm;
	const char *u = parse_micro(s, &micro);

	if (!u)
		return -EINVAL;
	size_t n = (size_t)(end - u);
	if (n == 1 && *u == '%')
		ppm = micro / 100;
	else if (n == 3 && !memcmp(u, "ppm", 3))
		ppm = micro / 1000000;
	else
		return -EINVAL;
	if (ppm > 1000000)
		return -EINVAL;
	*out = (uint32_t)ppm;
	return 0;
}

struct impair_key {
	const char *name;
	int is_time;
	size_t offset; /* of the uint32_t field in struct synack_impair_params */
};

static const struct impair_key impair_keys[] = {
	{"delay", 1, offsetof(struct synack_impair_params, delay_us)},
	{"jitter", 1, offsetof(struct synack_impair_params, jitter_us)},
	{"loss", 0, offsetof(struct synack_impair_params, loss_ppm)},
	{"dup", 0, offsetof(struct synack_impair_params, dup_ppm)},
	{"reorder", 0, offsetof(struct synack_impair_params, reorder_ppm)},
	{"reorder_delay", 1, offsetof(struct synack_impair_params, reorder_us)},
	{"corrupt", 0, offsetof(struct synack_impair_params, corrupt_ppm)},
	{"ce", 0, offsetof(struct synack_impair_params, ce_ppm)},
};

/* One "key=value" item, [s, end). */
static int parse_item(const char *s, const char *end, struct synack_impair_params *p)
{
	const char *eq = memchr(s, '=', (size_t)(end - s));

	if (!eq || eq + 1 == end)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(impair_keys) / sizeof(impair_keys[0]); i++) {
		const struct impair_key *k = &impair_keys[i];
		if (strlen(k->name) != (size_t)(eq - s) || memcmp(k->name, s, (size_t)(eq - s)))
			continue;
		uint32_t *field = (uint32_t *)((char *)p + k->offset);
		return k->is_time ? parse_time(eq + 1, end, field) : parse_prob(eq + 1, end, field);
	}
	return -EINVAL;
}

/*
 * Comma-separated key=value items; keys: delay, jitter, reorder_delay (times:
 * us, ms, s) and loss, dup, reorder, corrupt, ce (probabilities: % or ppm). An
 * empty spec means no impairment. *p is written only on success.
 */
int synack_impair_parse(const char *spec, struct synack_impair_params *p)
{
	struct synack_impair_params tmp = {0};

	if (!spec || !p)
		return -EINVAL;
	const char *s = spec;
	while (*s) {
		const char *end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		int err = parse_item(s, end, &tmp);
		if (err)
			return err;
		s = *end ? end + 1 : end;
		if (*end && !*s)
			return -EINVAL; /* trailing comma */
	}
	*p = tmp;
	return 0;
}

/* ---------------------------------------------------------------- decide */

void synack_impair_init(struct synack_impair *im, const struct synack_impair_params *p, uint64_t seed)
{
	memset(im, 0, sizeof(*im));
	if (p)
		im->p = *p;
	sn_rng_seed(rng_of(im), seed); /* splitmix64: the state is never all zero */
}

/* One copy: fixed delay, jitter, maybe held back, maybe corrupted. */
static struct synack_impair_copy impair_copy(struct synack_impair *im, uint64_t now)
{
	const struct synack_impair_params *p = &im->p;
	struct synack_impair_copy c = {.deliver_at = now + p->delay_us, .corrupt = 0};

	if (p->jitter_us)
		c.deliver_at += sn_rng_below(rng_of(im), (uint64_t)p->jitter_us + 1);
	if (rng_chance(rng_of(im), p->reorder_ppm)) {
		c.deliver_at += p->reorder_us;
		im->stats.reordered++;
	}
	if (rng_chance(rng_of(im), p->corrupt_ppm)) {
		c.corrupt = 1;
		im->stats.corrupted++;
	}
	c.ce = rng_chance(rng_of(im), p->ce_ppm); /* last: no draw, same streams, when 0 */
	return c;
}

int synack_impair_decide(struct synack_impair *im, uint64_t now, struct synack_impair_copy out[2])
{
	im->stats.seen++;
	if (rng_chance(rng_of(im), im->p.loss_ppm)) {
		im->stats.lost++;
		return 0;
	}
	int n = 1;
	if (rng_chance(rng_of(im), im->p.dup_ppm)) {
		im->stats.duplicated++;
		n = 2;
	}
	for (int i = 0; i < n; i++) {
		out[i] = impair_copy(im, now);
		im->stats.delayed += out[i].deliver_at > now;
	}
	return n;
}

int synack_impair_mark_ce(struct synack_impair *im, uint8_t *pkt, size_t len)
{
	if (len < 20 || (pkt[0] >> 4) != 4 || (pkt[1] & 3) == 0 || (pkt[1] & 3) == 3)
		return 0;
	/* RFC 1624 (3): HC' = ~(~HC + ~m + m') for the word holding the TOS */
	uint32_t m = (uint32_t)pkt[0] << 8 | pkt[1];
	uint32_t m2 = m | 3;
	uint32_t hc = (uint32_t)pkt[10] << 8 | pkt[11];
	uint32_t sum = (~hc & 0xffff) + (~m & 0xffff) + m2;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	pkt[1] = (uint8_t)m2;
	pkt[10] = (uint8_t)(~sum >> 8);
	pkt[11] = (uint8_t)~sum;
	im->stats.ce_marked++;
	return 1;
}

void synack_impair_corrupt(struct synack_impair *im, uint8_t *pkt, size_t len)
{
	uint64_t bits = (uint64_t)len * 8, chosen[3];
	int n = 1 + (int)sn_rng_below(rng_of(im), 3);

	if (len == 0)
		return;
	if ((uint64_t)n > bits)
		n = (int)bits;
	for (int i = 0; i < n; i++) {
		uint64_t b;
		int clash;
		do { /* distinct bit positions within the 16-bit word: see the top */
			b = sn_rng_below(rng_of(im), bits);
			clash = 0;
			for (int j = 0; j < i; j++)
				clash |= (chosen[j] % 16) == (b % 16);
		} while (clash);
		chosen[i] = b;
		pkt[b / 8] ^= (uint8_t)(1u << (b % 8));
	}
}
