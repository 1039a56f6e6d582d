/*
 * impair.h: synack's seeded fault injector.
 *
 * A decorator that sits on any link (the simulator's, the TUN driver's
 * receive and transmit paths: synack_impair_link_create) and decides, for each datagram, what the
 * network does to it: delay with jitter, loss, duplication, reordering
 * (an extra delay for a chosen datagram so later ones overtake it), and bit
 * corruption. Decisions come only from its own seeded RNG, so a seed
 * reproduces a run exactly. The kernel on our machines has no netem; this is
 * what stands in for it.
 */
#ifndef SYNACK_IMPAIR_H
#define SYNACK_IMPAIR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Probabilities are in parts per million (10000 = 1%). */
struct synack_impair_params {
	uint32_t delay_us;      /* fixed one-way delay */
	uint32_t jitter_us;     /* + uniform [0, jitter_us]; may reorder */
	uint32_t loss_ppm;
	uint32_t dup_ppm;       /* a second copy, delayed independently */
	uint32_t reorder_ppm;   /* hold this datagram back by reorder_us more */
	uint32_t reorder_us;
	uint32_t corrupt_ppm;   /* flip 1..3 random bits of the datagram */
	uint32_t ce_ppm;        /* ECN: mark an ECT datagram Congestion Experienced
	                         * (RFC 3168 §5); Not-ECT datagrams pass unmarked */
};

/* One copy of a datagram the impairment lets through. */
struct synack_impair_copy {
	uint64_t deliver_at;    /* absolute µs */
	int corrupt;            /* 1: flip bits before delivery (synack_impair_corrupt) */
	int ce;                 /* 1: mark CE before delivery (synack_impair_mark_ce) */
};

struct synack_impair_stats {
	uint64_t seen, lost, duplicated, reordered, corrupted;
	uint64_t ce_marked;     /* ECT datagrams marked CE */
	uint64_t delayed;       /* copies delivered later than they were decided (delay,
	                         * jitter, reordering) */
};

struct synack_impair {
	struct synack_impair_params p;
	uint64_t rng[4];        /* xoshiro256** state, private */
	struct synack_impair_stats stats;
};

/* "loss=1%,dup=0.5%,reorder=2%,delay=10ms,jitter=2ms,corrupt=0.1%,ce=1%" ->
 * params (fields not named stay 0). Units: us, ms, s; % or ppm. 0 or -EINVAL. */
int synack_impair_parse(const char *spec, struct synack_impair_params *p);
void synack_impair_init(struct synack_impair *im, const struct synack_impair_params *p, uint64_t seed);
/* Decide the fate of one datagram sent at now: writes 0, 1 or 2 copies into
 * out[] and returns how many (0 = lost). */
int synack_impair_decide(struct synack_impair *im, uint64_t now, struct synack_impair_copy out[2]);
/* Flip 1..3 random bits of pkt[0..len) (deterministic from the RNG). */
void synack_impair_corrupt(struct synack_impair *im, uint8_t *pkt, size_t len);
/* Set the ECN field of an ECT(0)/ECT(1) IPv4 datagram to CE and fix its
 * header checksum, as a congested router's AQM would (RFC 3168 §5); a
 * Not-ECT or non-IPv4 datagram is left alone. Returns 1 if it marked. */
int synack_impair_mark_ce(struct synack_impair *im, uint8_t *pkt, size_t len);

/* ---------------------------------------------------------------- link decorator */

struct synack_link; /* link.h */

/* The largest number of datagrams the decorator holds back (both
 * directions together); beyond, a datagram is dropped and counted in the
 * link's queue_drops. */
#define SYNACK_IMPAIR_LINK_MAX_QUEUED 16384

/*
 * Wraps inner (any link, e.g. a TUN device) in the fault injector, one
 * synack_impair per direction: datagrams inner receives are impaired on
 * their way up (rx), datagrams sent go through tx before they reach inner.
 * Delayed copies wait in a bounded queue ordered by delivery time; the
 * decorator's next_deadline() is the earliest of them, so the event loop
 * wakes for them. rx and tx may be NULL (no impairment that way); the two
 * injectors are seeded from seed, so a seed reproduces the decisions (not
 * the timing of a real device). The decorator owns inner from then on:
 * synack_link_destroy() frees both. 0, -EINVAL or -ENOMEM (inner is left
 * alone on failure).
 */
int synack_impair_link_create(struct synack_link *inner, const struct synack_impair_params *rx,
			      const struct synack_impair_params *tx, uint64_t seed,
			      struct synack_link **out);
/* The injectors' counters (either pointer may be NULL); -EINVAL if l is not
 * an impairment link. */
int synack_impair_link_stats(const struct synack_link *l, struct synack_impair_stats *rx,
			     struct synack_impair_stats *tx);

#ifdef __cplusplus
}
#endif

#endif
