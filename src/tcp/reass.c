/*
 * reass.c: the receive queue, in order and out of order (SHLD-31).
 *
 * Payload is written straight into the receive ring at its final place:
 * offset seq - RCV.NXT past the ring's tail. In-order bytes are committed
 * (made readable) at once; bytes past a hole stay uncommitted and are
 * described by tcb->ooo[], a short sorted list of disjoint ranges. When the
 * hole fills, every range that now touches RCV.NXT is committed too. The
 * caller has trimmed the segment to the receive window, so it always fits
 * in the ring; the only limit is SN_OOO_MAX ranges (then the segment is
 * dropped and counted, and the sender will retransmit it).
 *
 * Each range carries a stamp of the out-of-order arrival that last grew it,
 * so the ranges can be reported as SACK blocks in RFC 2018 §4's order (the
 * block with the latest segment first, then the most recently changed).
 * Generating SACK options from them is a later task (docs/configuration.md,
 * tcp_sack); tcp_reass_sack_blocks() is the interface it will use.
 */
#include <string.h>

#include "tcp/tcb.h"

/* Insert [s, e) into the sorted range list, merging overlaps. */
static int ooo_add(struct sn_tcb *tcb, uint32_t s, uint32_t e)
{
	struct sn_seq_range *r = tcb->ooo;
	int n = tcb->nooo, i = 0;

	while (i < n && seq_lt(r[i].end, s))
		i++;
	/* merge every range that overlaps or touches [s, e) */
	int j = i;
	while (j < n && seq_leq(r[j].start, e)) {
		s = seq_min(s, r[j].start);
		e = seq_max(e, r[j].end);
		j++;
	}
	if (j == i && n == SN_OOO_MAX)
		return -1;
	memmove(&r[i + 1], &r[j], (size_t)(n - j) * sizeof(*r));
	memmove(&tcb->ooo_stamp[i + 1], &tcb->ooo_stamp[j], (size_t)(n - j) * sizeof(uint32_t));
	r[i] = (struct sn_seq_range){s, e};
	tcb->ooo_stamp[i] = ++tcb->ooo_clock;
	tcb->nooo = (uint8_t)(n - (j - i) + 1);
	return 0;
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
		memmove(&tcb->ooo[0], &tcb->ooo[1], (size_t)(tcb->nooo - 1) * sizeof(tcb->ooo[0]));
		memmove(&tcb->ooo_stamp[0], &tcb->ooo_stamp[1],
			(size_t)(tcb->nooo - 1) * sizeof(tcb->ooo_stamp[0]));
		tcb->nooo--;
	}
	return advanced;
}

int tcp_reass_store(struct sn_tcb *tcb, uint32_t seq, const uint8_t *data, uint32_t len)
{
	if (len == 0)
		return 0;
	if (seq == tcb->rcv_nxt) {
		if (sn_ring_write_at(&tcb->rcvbuf, 0, data, len) != len)
			return -1; /* no buffer memory: dropped, the peer resends */
		sn_ring_commit(&tcb->rcvbuf, len);
		tcb->rcv_nxt += len;
		return (int)(len + ooo_drain(tcb));
	}
	/* bytes stored past the tail stay invisible until a range names them */
	if (sn_ring_write_at(&tcb->rcvbuf, seq - tcb->rcv_nxt, data, len) != len)
		return -1;
	if (ooo_add(tcb, seq, seq + len) < 0)
		return -1;
	return 0;
}

uint32_t tcp_reass_sack_blocks(const struct sn_tcb *tcb, struct sn_seq_range *out, uint32_t max)
{
	uint8_t used[SN_OOO_MAX] = {0};
	uint32_t n = 0;

	/* selection by stamp, newest first: at most SN_OOO_MAX ranges */
	while (n < max && n < tcb->nooo) {
		int best = -1;
		for (int i = 0; i < tcb->nooo; i++)
			if (!used[i] && (best < 0 || (int32_t)(tcb->ooo_stamp[i] -
							      tcb->ooo_stamp[best]) > 0))
				best = i;
		if (best < 0)
			break;
		used[best] = 1;
		out[n++] = tcb->ooo[best];
	}
	return n;
}
