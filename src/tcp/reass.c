/*
 * reass.c: the receive queue, in order and out of order (SHLD-31).
 *
 * Payload is written straight into the receive ring at its final place:
 * offset seq - RCV.NXT past the ring's tail. In-order bytes are committed
 * (made readable) at once; bytes past a hole stay uncommitted and are
 * described by tcb->ooo[], a short sorted list of disjoint ranges. When the
 * hole fills, every range that now touches RCV.NXT is committed too. The
 * caller has trimmed the segment to the receive window, so it always fits
 * in the ring; one connection's out-of-order data is bounded by its receive
 * buffer and by SN_OOO_MAX ranges (beyond, the segment is dropped and
 * counted, and the sender will retransmit it).
 *
 * Stack-wide, st->ctr.ooo_bytes counts the bytes all ranges hold (the sum
 * of every connection's ranges, kept exact by every function here and by
 * tcb_free). When storing a segment out of order would pass ooo_mem_max,
 * this connection's data above the segment is pruned first, the highest
 * sequence (the newest the peer sent) first, as Linux's
 * tcp_prune_ofo_queue does; if that is not enough, the segment is dropped
 * (SYNACK_DROP_OOO_MEM). Pruned bytes were SACKed, if SACK is on: RFC 2018
 * §8 lets a receiver renege, and the sender keeps them until they are
 * cumulatively acknowledged.
 *
 * Each range carries a recency rank (ooo_age: 0 for the range the latest
 * out-of-order segment went into, then the next most recently changed), so
 * the ranges go out as SACK blocks in RFC 2018 §4's order: the block holding
 * the most recently received segment first, then the most recently reported
 * others (options.c puts as many on every ACK as fit).
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

void tcp_reass_note_dup(struct sn_tcb *tcb, uint32_t start, uint32_t end)
{
	if (!tcb->sack_ok || !tcb->dsack_ok || !seq_lt(start, end))
		return;
	tcb->dsack = (struct sn_seq_range){start, end};
	tcb->dsack_pending = 1;
}

/* Replace ranges [i, j) (j == i: none) by [s, e), the youngest range. The
 * others keep their order of age behind it: ages stay 0..nooo-1. */
static void ooo_replace(struct sn_tcb *tcb, int i, int j, uint32_t s, uint32_t e)
{
	struct sn_seq_range *r = tcb->ooo;
	uint8_t *age = tcb->ooo_age;
	int n = tcb->nooo;
	uint8_t next[SN_OOO_MAX] = {0};

	for (int k = 0; k < n; k++) {
		next[k] = 1;
		for (int m = 0; m < n; m++)
			if ((m < i || m >= j) && age[m] < age[k])
				next[k]++;
	}
	memcpy(age, next, (size_t)n);
	memmove(&r[i + 1], &r[j], (size_t)(n - j) * sizeof(*r));
	memmove(&age[i + 1], &age[j], (size_t)(n - j));
	r[i] = (struct sn_seq_range){s, e};
	age[i] = 0;
	tcb->nooo = (uint8_t)(n - (j - i) + 1);
}

/* Insert [s, e) into the sorted range list, merging overlaps; the first
 * part of it that was queued already is a duplicate (RFC 2883). */
static int ooo_add(struct sn_tcb *tcb, uint32_t s, uint32_t e)
{
	struct sn_seq_range *r = tcb->ooo;
	int n = tcb->nooo, i = 0;

	while (i < n && seq_lt(r[i].end, s))
		i++;
	/* merge every range that overlaps or touches [s, e) */
	int j = i;
	uint32_t s0 = s, e0 = e;
	int dup = 0;
	while (j < n && seq_leq(r[j].start, e)) {
		uint32_t ds = seq_max(s0, r[j].start), de = seq_min(e0, r[j].end);
		if (!dup && seq_lt(ds, de)) { /* not when they only touch */
			tcp_reass_note_dup(tcb, ds, de);
			dup = 1;
		}
		s = seq_min(s, r[j].start);
		e = seq_max(e, r[j].end);
		j++;
	}
	if (j == i && n == SN_OOO_MAX)
		return -1;
	ooo_replace(tcb, i, j, s, e);
	return 0;
}

/* A range of age gone left the list: the older ones move up one rank. */
static void ooo_age_close(struct sn_tcb *tcb, uint8_t gone)
{
	for (int k = 0; k < tcb->nooo; k++)
		tcb->ooo_age[k] = (uint8_t)(tcb->ooo_age[k] - (tcb->ooo_age[k] > gone));
}

/* Commit every range that now starts at or before RCV.NXT. */
static uint32_t ooo_drain(struct sn_tcb *tcb)
{
	uint32_t advanced = 0;

	while (tcb->nooo && seq_leq(tcb->ooo[0].start, tcb->rcv_nxt)) {
		if (seq_gt(tcb->ooo[0].end, tcb->rcv_nxt)) {
			uint32_t n = tcb->ooo[0].end - tcb->rcv_nxt;
			sn_ring_commit(&tcb->rcvbuf, n);
			tcb->rcv_nxt += n;
			advanced += n;
		}
		uint8_t gone = tcb->ooo_age[0];
		memmove(&tcb->ooo[0], &tcb->ooo[1], (size_t)(tcb->nooo - 1) * sizeof(tcb->ooo[0]));
		memmove(&tcb->ooo_age[0], &tcb->ooo_age[1], (size_t)(tcb->nooo - 1));
		tcb->nooo--;
		ooo_age_close(tcb, gone);
	}
	return advanced;
}

uint32_t tcp_reass_ooo_bytes(const struct sn_tcb *tcb)
{
	uint32_t n = 0;

	for (int i = 0; i < tcb->nooo; i++)
		n += tcb->ooo[i].end - tcb->ooo[i].start;
	return n;
}

/* Discard up to want bytes of out-of-order data above seq, highest first.
 * Returns the bytes discarded. */
static uint32_t ooo_prune_above(struct sn_tcb *tcb, uint32_t seq, uint32_t want)
{
	uint32_t got = 0;

	while (got < want && tcb->nooo) {
		struct sn_seq_range *r = &tcb->ooo[tcb->nooo - 1];
		uint32_t floor = seq_max(r->start, seq);
		if (!seq_lt(floor, r->end))
			break; /* nothing above seq is left */
		uint32_t cut = seq_min(r->end - floor, want - got);
		r->end -= cut;
		got += cut;
		if (r->end == r->start) {
			tcb->nooo--;
			ooo_age_close(tcb, tcb->ooo_age[tcb->nooo]);
		}
	}
	if (got)
		tcb->ooo_fin = 0; /* a FIN held past pruned data comes again */
	return got;
}

/* Room for len more out-of-order bytes within ooo_mem_max, pruning this
 * connection's data above seq if needed. 0, or -1 if there is none. */
static int ooo_make_room(struct synack_stack *st, struct sn_tcb *tcb, uint32_t seq, uint32_t len)
{
	uint64_t max = st->cfg.ooo_mem_max, held = st->ctr.ooo_bytes;

	if (max == 0 || held + len <= max)
		return 0;
	uint64_t need = held + len - max;
	uint32_t got = ooo_prune_above(tcb, seq + len, need > UINT32_MAX ? UINT32_MAX
									  : (uint32_t)need);
	st->ctr.ooo_bytes -= got;
	st->ctr.ooo_pruned += got;
	return got >= need ? 0 : -1;
}

int tcp_reass_store(struct synack_stack *st, struct sn_tcb *tcb, uint32_t seq,
		    const uint8_t *data, uint32_t len)
{
	uint32_t before = tcb->nooo ? tcp_reass_ooo_bytes(tcb) : 0;

	if (len == 0)
		return 0;
	if (seq == tcb->rcv_nxt) {
		if (sn_ring_write_at(&tcb->rcvbuf, 0, data, len) != len)
			return -1; /* no buffer memory: dropped, the peer resends */
		sn_ring_commit(&tcb->rcvbuf, len);
		tcb->rcv_nxt += len;
		uint32_t adv = len + (tcb->nooo ? ooo_drain(tcb) : 0);
		if (before)
			st->ctr.ooo_bytes -= before - tcp_reass_ooo_bytes(tcb);
		return (int)adv;
	}
	if (ooo_make_room(st, tcb, seq, len) < 0)
		return -2;
	before = tcp_reass_ooo_bytes(tcb);
	/* bytes stored past the tail stay invisible until a range names them */
	if (sn_ring_write_at(&tcb->rcvbuf, seq - tcb->rcv_nxt, data, len) != len)
		return -1;
	if (ooo_add(tcb, seq, seq + len) < 0)
		return -1;
	st->ctr.ooo_bytes += tcp_reass_ooo_bytes(tcb) - before;
	return 0;
}

uint32_t tcp_reass_sack_blocks(const struct sn_tcb *tcb, struct sn_seq_range *out, uint32_t max)
{
	uint32_t n = 0;

	/* ages are a permutation of 0..nooo-1: the block of age a goes a-th */
	for (uint32_t age = 0; age < tcb->nooo && n < max; age++)
		for (int i = 0; i < tcb->nooo; i++)
			if (tcb->ooo_age[i] == age)
				out[n++] = tcb->ooo[i];
	return n;
}
