/*
 * reass.c: the receive queue, in order and out of order (SHLD-31).
 *
 * Payload is written straight into the receive ring at its final place:
 * offset seq - RCV.NXT past the ring's tail. In-order bytes are committed
 * (made readable) at once; bytes past a hole stay uncommitted and are
 * described by the connection's out-of-order block (tcb->ooo): a sorted
 * array of disjoint, non-touching ranges. When the hole fills, every range
 * that now touches RCV.NXT is committed too. The caller has trimmed the
 * segment to the receive window, so it always fits in the ring.
 *
 * The block lives outside the TCB, in the stack's pools, and only while the
 * connection holds data out of order: a connection that sees no loss pays a
 * pointer. It starts with room for SN_OOO_TIER0 ranges and moves to a
 * larger tier when full (the tiers grow eightfold up to SN_OOO_RANGES_MAX,
 * the per-connection bound), because a large window at a few percent loss
 * has dozens of holes at once and every range dropped for lack of room is
 * data the sender must send again and SACK information it never gets.
 * Beyond SN_OOO_RANGES_MAX the segment is dropped and counted (ooo_full).
 * The first tier costs about what the ranges cost when they were part of
 * the TCB and is not charged; larger blocks are charged to ooo_mem_max
 * with the data (st->ooo_meta), so the stack-wide bound covers them too: a
 * block that would pass it is not grown and the segment is dropped
 * (ooo_mem). The block goes back to its pool when the last range drains.
 *
 * Stack-wide, st->ctr.ooo_bytes counts the bytes all ranges hold (the sum
 * of every connection's ranges, kept exact by every function here and by
 * tcp_reass_free). When storing a segment out of order would pass
 * ooo_mem_max, this connection's data above the segment is pruned first,
 * the highest sequence (the newest the peer sent) first, as Linux's
 * tcp_prune_ofo_queue does; if that is not enough, the segment is dropped
 * (SYNACK_DROP_OOO_MEM). Pruned bytes were SACKed, if SACK is on: RFC 2018
 * §8 lets a receiver renege, and the sender keeps them until they are
 * cumulatively acknowledged.
 *
 * Each range carries a stamp from the block's clock, taken when the latest
 * out-of-order segment went into it (a new range, or one that grew or
 * merged), so the ranges go out as SACK blocks in RFC 2018 §4's order: the
 * block holding the most recently received segment first, then the most
 * recently changed others (options.c puts as many on every ACK as fit).
 *
 * Duplicates (RFC 2883, D-SACK): a segment wholly or partly at or below
 * RCV.NXT, or one that repeats bytes already queued out of order, is
 * remembered in tcb->dsack so the next ACK reports it as its first block,
 * followed by the ordinary blocks (§4: the block holding the duplicate,
 * if it lies above RCV.NXT, is then the most recent one).
 */
#include <string.h>

#include "stack/stack.h"
#include "tcp/tcb.h"

struct sn_ooo_range {
	uint32_t start, end; /* [start, end), all above RCV.NXT */
	uint32_t stamp;      /* the block's clock when a segment last went in */
};

struct sn_ooo {
	uint16_t n;          /* ranges in use, at least 1 while the block is held */
	uint8_t tier;        /* capacity: ooo_tier_cap[tier] ranges */
	uint32_t clock;      /* the last stamp given */
	uint32_t bytes;      /* sum of the ranges' lengths */
	struct sn_ooo_range r[];
};

static const uint16_t ooo_tier_cap[SN_OOO_TIERS] = {SN_OOO_TIER0, SN_OOO_TIER0 * 8,
						    SN_OOO_RANGES_MAX};

_Static_assert(SN_OOO_TIER0 * 64 == SN_OOO_RANGES_MAX, "tiers grow eightfold");

size_t tcp_reass_block_size(int tier)
{
	return sizeof(struct sn_ooo) + ooo_tier_cap[tier] * sizeof(struct sn_ooo_range);
}

/* What a block of this tier is charged against ooo_mem_max. */
static uint64_t ooo_charge(int tier)
{
	return tier ? tcp_reass_block_size(tier) : 0;
}

void tcp_reass_note_dup(struct sn_tcb *tcb, uint32_t start, uint32_t end)
{
	if (!tcb->sack_ok || !tcb->dsack_ok || !seq_lt(start, end))
		return;
	tcb->dsack = (struct sn_seq_range){start, end};
	tcb->dsack_pending = 1;
}

/* Give the block back once its last range is gone. */
static void ooo_release_if_empty(struct synack_stack *st, struct sn_tcb *tcb)
{
	struct sn_ooo *o = tcb->ooo;

	if (!o || o->n)
		return;
	st->ooo_meta -= ooo_charge(o->tier);
	sn_pool_put(&st->ooo_pool[o->tier], o);
	tcb->ooo = NULL;
}

void tcp_reass_free(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (tcb->listener || !tcb->ooo)
		return; /* a listener's queues share the pointer's storage */
	st->ctr.ooo_bytes -= tcb->ooo->bytes;
	tcb->ooo->n = 0;
	ooo_release_if_empty(st, tcb);
}

/* The block is full and len new bytes need a range: move it to the next
 * tier, if the per-connection bound and ooo_mem_max allow. 0, -1
 * (SN_OOO_RANGES_MAX) or -2 (memory). */
static int ooo_grow(struct synack_stack *st, struct sn_tcb *tcb, uint32_t len)
{
	struct sn_ooo *o = tcb->ooo, *g;
	int t = o->tier + 1;

	if (t >= SN_OOO_TIERS)
		return -1;
	uint64_t more = ooo_charge(t) - ooo_charge(o->tier), max = st->cfg.ooo_mem_max;
	if (max && st->ctr.ooo_bytes + st->ooo_meta + more + len > max)
		return -2;
	if (!(g = sn_pool_get(&st->ooo_pool[t])))
		return -2;
	memcpy(g, o, sizeof(*o) + o->n * sizeof(o->r[0]));
	g->tier = (uint8_t)t;
	st->ooo_meta += more;
	sn_pool_put(&st->ooo_pool[o->tier], o);
	tcb->ooo = g;
	return 0;
}

/* The first range whose end is at or past s (the sequence numbers of the
 * ranges all lie within one window above RCV.NXT, so they compare in order). */
static int ooo_find(const struct sn_ooo *o, uint32_t s)
{
	int lo = 0, hi = o->n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (seq_lt(o->r[mid].end, s))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Insert [s, e) into the sorted range list, merging what it overlaps or
 * touches; the first part of it that was queued already is a duplicate
 * (RFC 2883). 0, or ooo_grow's error when a new range finds no room. */
static int ooo_add(struct synack_stack *st, struct sn_tcb *tcb, uint32_t s, uint32_t e)
{
	struct sn_ooo *o = tcb->ooo;
	int i = ooo_find(o, s), j = i, dup = 0;
	uint32_t s0 = s, e0 = e, merged = 0;

	while (j < o->n && seq_leq(o->r[j].start, e)) {
		uint32_t ds = seq_max(s0, o->r[j].start), de = seq_min(e0, o->r[j].end);
		if (!dup && seq_lt(ds, de)) { /* not when they only touch */
			tcp_reass_note_dup(tcb, ds, de);
			dup = 1;
		}
		s = seq_min(s, o->r[j].start);
		e = seq_max(e, o->r[j].end);
		merged += o->r[j].end - o->r[j].start;
		j++;
	}
	if (j == i && o->n == ooo_tier_cap[o->tier]) {
		int err = ooo_grow(st, tcb, e - s);
		if (err)
			return err;
		o = tcb->ooo;
	}
	memmove(&o->r[i + 1], &o->r[j], (size_t)(o->n - j) * sizeof(o->r[0]));
	o->r[i] = (struct sn_ooo_range){s, e, ++o->clock};
	o->n = (uint16_t)(o->n - (j - i) + 1);
	o->bytes += (e - s) - merged;
	return 0;
}

/* Commit every range that now starts at or before RCV.NXT. */
static uint32_t ooo_drain(struct synack_stack *st, struct sn_tcb *tcb)
{
	struct sn_ooo *o = tcb->ooo;
	uint32_t advanced = 0, gone = 0;
	int k = 0;

	for (; k < o->n && seq_leq(o->r[k].start, tcb->rcv_nxt); k++) {
		if (seq_gt(o->r[k].end, tcb->rcv_nxt)) {
			uint32_t n = o->r[k].end - tcb->rcv_nxt;
			sn_ring_commit(&tcb->rcvbuf, n);
			tcb->rcv_nxt += n;
			advanced += n;
		}
		gone += o->r[k].end - o->r[k].start;
	}
	memmove(&o->r[0], &o->r[k], (size_t)(o->n - k) * sizeof(o->r[0]));
	o->n = (uint16_t)(o->n - k);
	o->bytes -= gone;
	st->ctr.ooo_bytes -= gone;
	ooo_release_if_empty(st, tcb);
	return advanced;
}

uint32_t tcp_reass_ooo_bytes(const struct sn_tcb *tcb)
{
	return tcb->ooo ? tcb->ooo->bytes : 0;
}

uint32_t tcp_reass_ooo_ranges(const struct sn_tcb *tcb)
{
	return tcb->ooo ? tcb->ooo->n : 0;
}

/* Discard up to want bytes of out-of-order data above seq, highest first.
 * Returns the bytes discarded. */
static uint32_t ooo_prune_above(struct synack_stack *st, struct sn_tcb *tcb, uint32_t seq,
				uint32_t want)
{
	struct sn_ooo *o = tcb->ooo;
	uint32_t got = 0;

	while (o && got < want && o->n) {
		struct sn_ooo_range *r = &o->r[o->n - 1];
		uint32_t floor = seq_max(r->start, seq);
		if (!seq_lt(floor, r->end))
			break; /* nothing above seq is left */
		uint32_t cut = seq_min(r->end - floor, want - got);
		r->end -= cut;
		got += cut;
		if (r->end == r->start)
			o->n--;
	}
	if (!got)
		return 0;
	o->bytes -= got;
	tcb->ooo_fin = 0; /* a FIN held past pruned data comes again */
	ooo_release_if_empty(st, tcb);
	return got;
}

/* Room for len more out-of-order bytes within ooo_mem_max (which also
 * holds the charged blocks), pruning this connection's data above seq if
 * needed. 0, or -1 if there is none. */
static int ooo_make_room(struct synack_stack *st, struct sn_tcb *tcb, uint32_t seq, uint32_t len)
{
	uint64_t max = st->cfg.ooo_mem_max, held = st->ctr.ooo_bytes + st->ooo_meta;

	if (max == 0 || held + len <= max)
		return 0;
	uint64_t need = held + len - max;
	uint32_t got = ooo_prune_above(st, tcb, seq + len,
				       need > UINT32_MAX ? UINT32_MAX : (uint32_t)need);
	st->ctr.ooo_bytes -= got;
	st->ctr.ooo_pruned += got;
	return got >= need ? 0 : -1;
}

/* [seq, seq + len) past a hole: into the ring and the range list. */
static int store_ooo(struct synack_stack *st, struct sn_tcb *tcb, uint32_t seq,
		     const uint8_t *data, uint32_t len)
{
	if (ooo_make_room(st, tcb, seq, len) < 0)
		return -2;
	if (!tcb->ooo && !(tcb->ooo = sn_pool_get(&st->ooo_pool[0])))
		return -1;
	/* bytes stored past the tail stay invisible until a range names them */
	uint32_t before = tcb->ooo->bytes;
	int err = sn_ring_write_at(&tcb->rcvbuf, seq - tcb->rcv_nxt, data, len) == len
			  ? ooo_add(st, tcb, seq, seq + len)
			  : -1;
	if (!err)
		st->ctr.ooo_bytes += tcb->ooo->bytes - before;
	ooo_release_if_empty(st, tcb);
	return err;
}

int tcp_reass_store(struct synack_stack *st, struct sn_tcb *tcb, uint32_t seq,
		    const uint8_t *data, uint32_t len)
{
	if (len == 0)
		return 0;
	if (seq != tcb->rcv_nxt)
		return store_ooo(st, tcb, seq, data, len);
	if (sn_ring_write_at(&tcb->rcvbuf, 0, data, len) != len)
		return -1; /* no buffer memory: dropped, the peer resends */
	sn_ring_commit(&tcb->rcvbuf, len);
	tcb->rcv_nxt += len;
	return (int)(len + (tcb->ooo ? ooo_drain(st, tcb) : 0));
}

/* Stamps compare on the clock's circle: a newer than b. */
static int stamp_newer(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

uint32_t tcp_reass_sack_blocks(const struct sn_tcb *tcb, struct sn_seq_range *out, uint32_t max)
{
	const struct sn_ooo *o = tcb->ooo;
	uint32_t n = 0, last = 0;

	/* stamps are distinct: pick the newest, then the newest older than it, ... */
	while (o && n < max && n < o->n) {
		int best = -1;
		for (int i = 0; i < o->n; i++) {
			if (n && !stamp_newer(last, o->r[i].stamp))
				continue;
			if (best < 0 || stamp_newer(o->r[i].stamp, o->r[best].stamp))
				best = i;
		}
		if (best < 0)
			break;
		out[n++] = (struct sn_seq_range){o->r[best].start, o->r[best].end};
		last = o->r[best].stamp;
	}
	return n;
}
