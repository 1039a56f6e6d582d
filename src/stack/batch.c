/*
 * batch.c: synack_stack_input_batch, the input of a driver that reads
 * datagrams in batches (issue #6: cost per segment flat from 1e3 to 1e6
 * connections).
 *
 * With a million connections a segment to a random one misses the cache on
 * its headers (when they were written long ago), its hash bucket and its
 * TCB, one after the other, each miss a DRAM round trip the CPU
 * mostly waits out. Over a batch the misses can overlap: a software
 * pipeline runs five stages ahead of the datagram being processed, each
 * SN_BATCH_DIST datagrams ahead of the next and each reading only lines the
 * stage before asked for: prefetch the headers; read the 4-tuple from them
 * (no checks: only a hint), hash it, prefetch the bucket; prefetch the
 * chain's first TCB (its first lines: the lookup's and the fast path's
 * fields, tcb.h); if it does not match, prefetch the next TCB's first line
 * (with about one connection per bucket, half the lookups that find a
 * connection would find it second: a chain walked a stage early is not a
 * miss the stage after waits for); find the matching TCB, prefetch it if it
 * is not the first. Not the socket: a segment's processing does not touch
 * it (the application's calls do), and its line cost 5-10% at 1e5 and 1e6
 * (issue #6). Then the datagram goes through
 * synack_stack_input as usual, in order, its lookup handed the bucket stage
 * 4 computed (st->conn_hint) instead of hashing the tuple a second time.
 * Prefetches change no state and every pointer a stage
 * follows is read from the table as it is at that moment, so the batch
 * does exactly what n single calls do (tests/unit/test_batch_input.c); a
 * datagram whose headers are not IPv4/TCP is simply not prefetched. A
 * stack with few connections, all in the cache, skips the pipeline.
 */
#include <stddef.h>

#include "stack/stack.h"
#include "tcp/tcb.h"
#include "wire/bytes.h"
#include "wire/ipv4.h"

/* Below this many connections the table and the TCBs stay in the cache
 * and the extra hash per datagram would be pure cost. */
#define SN_BATCH_PREFETCH_MIN 8192

/* A datagram's 4-tuple, read straight from its headers; 0 if they do not
 * look like IPv4 carrying TCP (no checks beyond that: only a hint). */
struct batch_hint {
	struct synack_endpoint local, remote;
	struct sn_tcb **bucket;
};

static int batch_tuple(const uint8_t *pkt, size_t len, struct batch_hint *h)
{
	if (len < 20 || pkt[0] >> 4 != 4 || pkt[9] != SN_IPPROTO_TCP)
		return 0;
	size_t ihl = (size_t)(pkt[0] & 15) * 4;
	if (ihl < 20 || len < ihl + 4)
		return 0;
	h->local = (struct synack_endpoint){get32(pkt + 16), get16(pkt + ihl + 2)};
	h->remote = (struct synack_endpoint){get32(pkt + 12), get16(pkt + ihl)};
	return 1;
}

/* Prefetch the bytes of a TCB the lookup and the fast path read (tcb.h
 * puts them first: through the deadlines and the socket pointer) from
 * line `from` on; TCBs start on lines (stack.c aligns the pool). */
static inline void prefetch_tcb(const struct sn_tcb *t, size_t from)
{
	const uint8_t *p = (const uint8_t *)t;

	for (size_t off = from * 64; off < offsetof(struct sn_tcb, sb); off += 64)
		__builtin_prefetch(p + off);
}

static int tuple_is(const struct sn_tcb *t, const struct batch_hint *h)
{
	return t->local.port == h->local.port && t->remote.port == h->remote.port &&
	       t->remote.addr == h->remote.addr && t->local.addr == h->local.addr;
}

/* The pipeline's distance: a stage works this many datagrams ahead of the
 * next one, so a line it asks for has about as long to arrive as the
 * stack takes for that many datagrams (about 60 ns each in cache). */
#define SN_BATCH_DIST 3
#define SN_BATCH_STAGES 5
#define SN_BATCH_RING 32 /* > SN_BATCH_STAGES * SN_BATCH_DIST hints in flight */

/* Stage s (1..5) for datagram j: 5 its headers; 4 its tuple, bucket; 3 the
 * chain's first TCB; 2 if that one does not match, the next one's first
 * line (its link and 4-tuple); 1 the matching TCB when it was not the
 * first. Each reads only lines the stage before asked for, but for chains
 * longer than two. */
static void batch_stage(struct synack_stack *st, const uint8_t *const *pkts, const size_t *lens,
			struct batch_hint *h, int s)
{
	const struct sn_tcb *t = s <= 3 && h->bucket ? *h->bucket : NULL; /* after stage 4 */

	switch (s) {
	case 5:
		__builtin_prefetch(*pkts);
		__builtin_prefetch(*pkts + (*lens < 60 ? *lens : 60) - (*lens > 0));
		return;
	case 4:
		h->bucket = NULL;
		if (batch_tuple(*pkts, *lens, h)) {
			h->bucket = sn_conn_bucket(st, &h->local, &h->remote);
			__builtin_prefetch(h->bucket);
		}
		return;
	case 3:
		if (t)
			prefetch_tcb(t, 0);
		return;
	case 2:
		if (t && !tuple_is(t, h) && t->hash_next)
			__builtin_prefetch(t->hash_next);
		return;
	default:
		if (!t || tuple_is(t, h))
			return;
		for (t = t->hash_next; t && !tuple_is(t, h); t = t->hash_next)
			;
		if (t)
			prefetch_tcb(t, 1);
		return;
	}
}

/* One datagram through synack_stack_input, its lookup handed the bucket
 * stage 4 computed (demux.c checks the hint is for the tuple it looks up). */
static void batch_input(struct synack_stack *st, uint64_t now, const uint8_t *pkt, size_t len,
			const struct batch_hint *h)
{
	st->conn_hint.local = h->local;
	st->conn_hint.remote = h->remote;
	st->conn_hint.bucket = h->bucket;
	synack_stack_input(st, now, pkt, len);
	st->conn_hint.bucket = NULL;
}

void synack_stack_input_batch(synack_stack *st, uint64_t now, const uint8_t *const *pkts,
			      const size_t *lens, size_t n)
{
	struct batch_hint h[SN_BATCH_RING];
	const long ahead = SN_BATCH_STAGES * SN_BATCH_DIST;

	if (st->nconns < SN_BATCH_PREFETCH_MIN) {
		for (size_t i = 0; i < n; i++)
			synack_stack_input(st, now, pkts[i], lens[i]);
		return;
	}
	/* k is the datagram processed; stage s works on k + s * DIST */
	for (long k = -ahead; k < (long)n; k++) {
		for (int s = SN_BATCH_STAGES; s >= 1; s--) {
			long j = k + s * SN_BATCH_DIST;
			if (j >= 0 && j < (long)n)
				batch_stage(st, pkts + j, lens + j, &h[j % SN_BATCH_RING], s);
		}
		if (k >= 0)
			batch_input(st, now, pkts[k], lens[k], &h[k % SN_BATCH_RING]);
	}
}
