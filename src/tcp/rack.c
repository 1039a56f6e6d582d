/*
 * rack.c: RACK-TLP loss detection (RFC 8985) and D-SACK undo (RFC 2883 §4,
 * RFC 3708) for connections that negotiated SACK.
 *
 * RACK ("recent acknowledgment") says a segment is lost when a segment sent
 * sufficiently later has been delivered: later by more than the reordering
 * window, which is zero until reordering is seen (and the DupThresh shortcut
 * applies), then min_RTT/4 times a multiplier that D-SACKs raise (§6.2 step
 * 4), never above SRTT. Segments not yet that old arm the reordering timer
 * (§6.3). Loss is thus judged by time, not by counting duplicate ACKs: a
 * lost retransmission is found like any other loss, and reordering shorter
 * than the window costs no retransmission. sack.c asks IsLost(), pipe and
 * NextSeg's rule (1) from the marks RACK leaves.
 *
 * TLP (tail loss probe, §7): while nothing is SACKed and no recovery runs,
 * the REXMT deadline is a probe timeout of 2*SRTT (+ the worst-case delayed
 * ACK when one segment is out, + 2 ms as Linux), never later than the RTO.
 * When it fires one segment goes out: new data if the peer's window allows,
 * else the last segment again. Its ACK (SACK blocks) lets RACK find what the
 * tail lost without waiting for the RTO; an ACK above the probe that is no
 * D-SACK of it says the probe repaired a single loss, and cwnd is reduced
 * (§7.4). At most one probe per flight.
 *
 * Undo: a recovery episode remembers cwnd and ssthresh from before its
 * reduction and counts the bytes it resends; D-SACKs for resent data count
 * them off. When all are reported duplicates, every retransmission was
 * needless (the data was late, not lost) and the reduction is undone
 * (Linux's tcp_try_undo_dsack). A D-SACK that reports a fast
 * retransmission also counts as reordering seen: the reordering window
 * takes over from the DupThresh shortcut. (One that reports a loss probe
 * does not: a probe follows a lost or late ACK, not a later segment that
 * arrived first.)
 *
 * The three timers of §8 (RTO, PTO, reordering) share the REXMT deadline;
 * rack.timer says which one it is (Linux's icsk_pending does the same).
 * Times here are the low 32 bits of the µs clock (differences under 35
 * minutes compare correctly).
 */
#include <string.h>

#include "stack/stack.h"
#include "tcp/sack.h"

#define TS(r) ((r)->ts_fl & ~SN_REC_FLAGS)
#define FL(r) ((r)->ts_fl & SN_REC_FLAGS)
#define REO_PERSIST 16                   /* RFC 8985 §6.2 step 4 */
#define TLP_WCDELACK_US 200000u          /* §7.2 WCDelAckT */
#define TLP_SLACK_US 2000u               /* Linux's TCP_TIMEOUT_MIN */
#define RECOVERY_RACK 1u                 /* tcp_recovery bits, as Linux */
#define RECOVERY_STATIC_REO 2u
#define RECOVERY_NO_DUPTHRESH 4u

static uint32_t now32(const struct synack_stack *st)
{
	return (uint32_t)st->now & ~SN_REC_FLAGS;
}

static int ts_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* How far stamp() may run ahead of the clock; a last stamp further ahead
 * than this is a stale one from before the 32-bit µs clock wrapped. */
#define STAMP_AHEAD_MAX_US 4096u

/* The time a record is stamped with. The stack's clock is read once per
 * turn of the event loop, so a burst of new data and a retransmission
 * decided a moment later, on the next ACK of the same batch, carry the same
 * time. RACK_sent_after() would then order them by sequence and take the
 * retransmission (lower in sequence) for the earlier one, and the first
 * SACK of the new data would mark it lost at once: a spurious resend, a
 * D-SACK, a "lost retransmission" that was not (RFC 8985 §6.2 step 2
 * assumes timestamps fine enough to order transmissions; Linux stamps each
 * skb in ns). So stamps never go back, and a send that is lower in
 * sequence than the one stamped before it, at the same time or earlier,
 * gets one step (8 µs) more: ordered by (time, sequence), records are in
 * the order they were sent. Sends in ascending sequence (new data, the
 * holes resent from the lowest up) share the time and need no step, so a
 * stamp runs ahead of the clock only by a step per turn in which sequence
 * went back; since() reads such a record's age as 0. */
static uint32_t stamp(struct sn_rack *rk, uint32_t now, uint32_t seq, uint32_t end)
{
	if (!ts_after(now, rk->last_stamp) &&
	    rk->last_stamp - now <= STAMP_AHEAD_MAX_US)
		now = rk->last_stamp + (seq_lt(seq, rk->last_end) ? SN_REC_FLAGS + 1 : 0);
	rk->last_stamp = now;
	rk->last_end = end;
	return now;
}

/* Time since a record's stamp; 0 for one stamped ahead of the clock. */
static uint32_t since(const struct synack_stack *st, uint32_t ts)
{
	uint32_t now = now32(st);

	return ts_after(ts, now) ? 0 : now - ts;
}

/* RACK_sent_after(): later in time, or at the same time higher in sequence. */
static int sent_after(uint32_t t1, uint32_t seq1, uint32_t t2, uint32_t seq2)
{
	return ts_after(t1, t2) || (t1 == t2 && seq_gt(seq1, seq2));
}

/* ---------------------------------------------------------- send records */

static uint32_t rec_start(const struct sn_rack *rk, int i)
{
	return i ? rk->rec[i - 1].end : rk->rec_base;
}

static uint32_t rec_tail(const struct sn_rack *rk)
{
	return rk->nrec ? rk->rec[rk->nrec - 1].end : rk->rec_base;
}

static void rec_insert(struct sn_rack *rk, int i, uint32_t end, uint32_t ts_fl)
{
	memmove(&rk->rec[i + 1], &rk->rec[i], (size_t)(rk->nrec - i) * sizeof(rk->rec[0]));
	rk->rec[i] = (struct sn_rack_rec){end, ts_fl};
	rk->nrec++;
}

static void rec_remove(struct sn_rack *rk, int i, int count)
{
	if (!count)
		return;
	memmove(&rk->rec[i], &rk->rec[i + count], (size_t)(rk->nrec - i - count) * sizeof(rk->rec[0]));
	rk->nrec = (uint8_t)(rk->nrec - count);
}

static uint32_t ts_gap(uint32_t a, uint32_t b)
{
	return ts_after(a, b) ? a - b : b - a;
}

/* Records below `end` may now be marked or out of time order (sack.h). */
static void mark_below(struct sn_rack *rk, uint32_t end)
{
	if (seq_gt(end, rk->mark_end))
		rk->mark_end = end;
}

/* Record i is SACKed throughout: its time no longer matters to RACK. */
static int rec_sacked(const struct sn_sack_sb *sb, int i)
{
	const struct sn_rack *rk = &sb->rack;
	uint32_t s = rec_start(rk, i), e = rk->rec[i].end;

	return tcp_sack_sacked_in(sb, s, e) == e - s;
}

/* The array is full: merge two neighbours. A record SACKed throughout
 * merges into its neighbour for free, which keeps its own time and marks
 * (only unSACKed octets are ever judged). Otherwise the two closest in
 * time, preferring the same marks; the merged record keeps the later time
 * (never earlier than a segment's real send time), is retransmitted if
 * either was, and lost only if both were. */
static void rec_merge_one(struct sn_sack_sb *sb)
{
	struct sn_rack *rk = &sb->rack;
	int best = 0, keep = -1;
	uint64_t best_cost = UINT64_MAX;

	for (int i = 0; i + 1 < rk->nrec; i++) {
		const struct sn_rack_rec *a = &rk->rec[i], *b = &rk->rec[i + 1];
		if (rec_sacked(sb, i) || rec_sacked(sb, i + 1)) {
			best = i;
			keep = rec_sacked(sb, i) ? i + 1 : i;
			break;
		}
		uint64_t cost = ts_gap(TS(a), TS(b));
		if ((FL(a) ^ FL(b)) & SN_REC_LOST)
			cost += 1ull << 33;
		if ((FL(a) ^ FL(b)) & SN_REC_RTX)
			cost += 1ull << 32;
		if (cost < best_cost) {
			best_cost = cost;
			best = i;
		}
	}
	const struct sn_rack_rec *a = &rk->rec[best], *b = &rk->rec[best + 1];
	uint32_t ts_fl;
	if (keep >= 0) {
		ts_fl = rk->rec[keep].ts_fl;
	} else {
		uint32_t ts = ts_after(TS(a), TS(b)) ? TS(a) : TS(b);
		uint32_t fl = ((FL(a) | FL(b)) & (SN_REC_RTX | SN_REC_COARSE)) |
			      (FL(a) & FL(b) & SN_REC_LOST);
		if (TS(a) != TS(b))
			fl |= SN_REC_COARSE;
		ts_fl = ts | fl;
	}
	rk->rec[best + 1].ts_fl = ts_fl;
	if (seq_lt(rec_start(rk, best), rk->mark_end)) /* never straddle mark_end */
		mark_below(rk, rk->rec[best + 1].end);
	rec_remove(rk, best, 1);
}

static void rec_room(struct sn_sack_sb *sb, int need)
{
	while (sb->rack.nrec + need > SN_RACK_RECS)
		rec_merge_one(sb);
}

/* Make x a record boundary. Needs a free slot. */
static void rec_split(struct sn_rack *rk, uint32_t x)
{
	for (int i = 0; i < rk->nrec; i++) {
		if (seq_leq(rk->rec[i].end, x))
			continue;
		if (seq_lt(rec_start(rk, i), x))
			rec_insert(rk, i, x, rk->rec[i].ts_fl);
		return;
	}
}

/* [s, e) was just sent (again): one record with that time and marks. */
static void rec_assign(struct sn_sack_sb *sb, uint32_t s, uint32_t e, uint32_t ts_fl)
{
	struct sn_rack *rk = &sb->rack;

	if (seq_lt(s, rk->rec_base))
		s = rk->rec_base;
	if (!seq_lt(s, e) || seq_gt(s, rec_tail(rk)))
		return;
	rec_room(sb, 3);
	rec_split(rk, s);
	rec_split(rk, e);
	int i = 0;
	while (i < rk->nrec && seq_leq(rk->rec[i].end, s))
		i++;
	int j = i;
	while (j < rk->nrec && seq_leq(rk->rec[j].end, e))
		j++;
	rec_remove(rk, i, j - i);
	rec_insert(rk, i, e, ts_fl);
	mark_below(rk, e); /* a time out of sequence order */
}

/* Segments sent within this much of each other share a record. */
static uint32_t granule(const struct sn_tcb *tcb)
{
	uint32_t base = tcb->sb->rack.min_rtt_us ? tcb->sb->rack.min_rtt_us : tcb->srtt_us;
	return base / 16;
}

/* The block arrives on the first data sent. Whatever is already in flight
 * gets one record timed now: later than it was sent, so never taken as
 * lost early. */
static int rack_start(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (!tcb->sb) {
		tcb->sb = sn_pool_get(&st->sack_pool);
		if (!tcb->sb) {
			st->ctr.sack_nomem++;
			return -1;
		}
	}
	struct sn_rack *rk = &tcb->sb->rack;
	rk->on = 1;
	rk->nrec = 0;
	rk->rec_base = tcb->snd_una;
	rk->mark_end = tcb->snd_una;
	/* what is in flight counts as sent now, up to SND.MAX (the record below) */
	rk->last_stamp = now32(st);
	rk->last_end = tcb->snd_max;
	if (!rk->reo_wnd_mult)
		rk->reo_wnd_mult = 1;
	if (tcb->snd_max != tcb->snd_una)
		rec_insert(rk, 0, tcb->snd_max, now32(st) | SN_REC_COARSE);
	return 0;
}

void tcp_rack_on_send(struct synack_stack *st, struct sn_tcb *tcb, uint32_t seq, uint32_t len,
		      int retransmit)
{
	if (!len || !tcb->sack_ok)
		return;
	if (retransmit && tcb->sb && tcb->sb->rack.undo_set)
		tcb->sb->rack.undo_rtx += len;
	if (!(st->cfg.tcp_recovery & RECOVERY_RACK)) { /* knob off: DupThresh from now on */
		if (tcb->sb)
			tcb->sb->rack.on = 0;
		return;
	}
	if (!tcp_rack_active(tcb) && rack_start(st, tcb))
		return;
	struct sn_rack *rk = &tcb->sb->rack;
	uint32_t e = seq + len, now = stamp(rk, now32(st), seq, e);

	if (!retransmit && seq == rec_tail(rk)) { /* new data: extend or append */
		struct sn_rack_rec *last = rk->nrec ? &rk->rec[rk->nrec - 1] : NULL;
		if (last && !(FL(last) & (SN_REC_RTX | SN_REC_LOST)) &&
		    now - TS(last) <= granule(tcb)) {
			/* never straddle mark_end: it is a record boundary
			 * no higher than the tail, so the last record starts
			 * below it exactly when it is the tail */
			if (rk->mark_end == seq)
				rk->mark_end = e;
			last->end = e;
			last->ts_fl = now | FL(last);
			return;
		}
		rec_room(tcb->sb, 1);
		rec_insert(rk, rk->nrec, e, now);
		return;
	}
	rec_assign(tcb->sb, seq, e, now | (retransmit ? SN_REC_RTX : 0));
}

/* ---------------------------------------------------------- §6.2 steps 1-3 */

/* One newly delivered piece [s, e) of record r: min_RTT (step 1), the
 * candidate for RACK.xmit_ts (step 2), reordering (step 3). */
static void delivered(struct synack_stack *st, struct sn_tcb *tcb, struct sn_sack_news *n,
		      const struct sn_rack_rec *r, uint32_t e)
{
	struct sn_rack *rk = &tcb->sb->rack;
	uint32_t ts = TS(r), rtt = since(st, ts);

	if (!(FL(r) & (SN_REC_RTX | SN_REC_COARSE)) && (!rk->min_rtt_us || rtt < rk->min_rtt_us))
		rk->min_rtt_us = rtt ? rtt : 1;
	if (!(FL(r) & SN_REC_RTX) && rk->fack_set && seq_lt(e, rk->fack))
		n->reordered = 1;
	if (!rk->fack_set || seq_gt(e, rk->fack)) {
		rk->fack = e;
		rk->fack_set = 1;
	}
	/* an ACK of the original may come back for a retransmission: an RTT
	 * under min_RTT cannot be the retransmission's (§6.2 step 2) */
	if ((FL(r) & SN_REC_RTX) && rk->min_rtt_us && rtt < rk->min_rtt_us)
		return;
	if (!n->cand_set || sent_after(ts, e, n->cand_ts, n->cand_end)) {
		n->cand_ts = ts;
		n->cand_end = e;
		n->cand_set = 1;
	}
}

/* Every record piece inside [s, e) (cum: that the scoreboard did not hold
 * already: SACKed before, delivered before). */
static void delivered_range(struct synack_stack *st, struct sn_tcb *tcb, struct sn_sack_news *n,
			    uint32_t s, uint32_t e, int cum)
{
	const struct sn_rack *rk = &tcb->sb->rack;

	for (int i = 0; i < rk->nrec && seq_lt(rec_start(rk, i), e); i++) {
		uint32_t rs = seq_max(rec_start(rk, i), s), re = seq_min(rk->rec[i].end, e);
		if (!seq_lt(rs, re))
			continue;
		if (!cum || tcp_sack_sacked_in(tcb->sb, rs, re) < re - rs)
			delivered(st, tcb, n, &rk->rec[i], re);
	}
}

/* Steps 1-3 for [rec_base, SND.UNA) when nothing in it was SACKed before
 * and its `last` + 1 records carry no mark and were timed in sequence
 * order (mark_end at rec_base, sack.h): what delivered_range works out
 * piece by piece, in closed form. The pieces' ends rise, their times do
 * not fall and none was resent, so the last piece is the candidate (step
 * 2) and gives min_RTT's sample unless it is coarse (step 1; then the full
 * walk), and a piece ends below RACK.fack only if the first one does
 * (step 3). Returns 0, having changed nothing, to leave it to the walk. */
__attribute__((always_inline)) static inline int cumack_in_order(struct synack_stack *st,
								  struct sn_tcb *tcb,
								  struct sn_sack_news *n, int last)
{
	struct sn_rack *rk = &tcb->sb->rack;
	const struct sn_rack_rec *r = &rk->rec[last];
	uint32_t first_end = seq_min(rk->rec[0].end, tcb->snd_una);
	uint32_t e = seq_min(r->end, tcb->snd_una), ts = TS(r), rtt = since(st, ts);

	if (st->fastpath_off || FL(r) & SN_REC_COARSE)
		return 0;
	if (!rk->min_rtt_us || rtt < rk->min_rtt_us)
		rk->min_rtt_us = rtt ? rtt : 1;
	if (rk->fack_set && seq_lt(first_end, rk->fack))
		n->reordered = 1;
	if (!rk->fack_set || seq_gt(e, rk->fack)) {
		rk->fack = e;
		rk->fack_set = 1;
	}
	n->cand_ts = ts;
	n->cand_end = e;
	n->cand_set = 1;
	st->rack_closed_forms++;
	return 1;
}

/* tcp_rack_on_cumack's body, inlined into it and into the predicted
 * ACK's one-frame tcp_rack_on_plain_ack. */
__attribute__((always_inline)) static inline void on_cumack(struct synack_stack *st,
							    struct sn_tcb *tcb,
							    struct sn_sack_news *n)
{
	struct sn_rack *rk = &tcb->sb->rack;

	if (!rk->on || !seq_lt(rk->rec_base, tcb->snd_una))
		return;
	int k = 0;
	while (k < rk->nrec && seq_leq(rk->rec[k].end, tcb->snd_una))
		k++;
	int last = k < rk->nrec && seq_lt(rec_start(rk, k), tcb->snd_una) ? k : k - 1;
	if (last < 0 || rk->mark_end != rk->rec_base || tcb->sb->n ||
	    !cumack_in_order(st, tcb, n, last))
		delivered_range(st, tcb, n, rk->rec_base, tcb->snd_una, 1);
	rec_remove(rk, 0, k);
	rk->rec_base = tcb->snd_una;
	if (seq_lt(rk->mark_end, rk->rec_base))
		rk->mark_end = rk->rec_base;
}

void tcp_rack_on_cumack(struct synack_stack *st, struct sn_tcb *tcb, struct sn_sack_news *n)
{
	on_cumack(st, tcb, n);
}

/* ---------------------------------------------------------- D-SACK */

static int rec_rtx_in(const struct sn_rack *rk, uint32_t s, uint32_t e)
{
	for (int i = 0; i < rk->nrec; i++)
		if (seq_lt(rec_start(rk, i), e) && seq_gt(rk->rec[i].end, s) &&
		    (FL(&rk->rec[i]) & SN_REC_RTX))
			return 1;
	return 0;
}

static int any_lost(const struct sn_rack *rk)
{
	for (int i = 0; i < rk->nrec; i++)
		if (FL(&rk->rec[i]) & SN_REC_LOST)
			return 1;
	return 0;
}

/* RFC 3708 §3 / Linux's tcp_try_undo_dsack: every byte resent in the
 * episode came back as a duplicate, so none was lost. A recovery still
 * running goes on to RecoveryPoint with the restored window: leaving it
 * early would strand what RACK marks lost meanwhile, since no new
 * recovery may begin below RecoveryPoint (RFC 6675 §5 (2)). */
static void undo(struct synack_stack *st, struct sn_tcb *tcb)
{
	struct sn_rack *rk = &tcb->sb->rack;

	rk->undo_set = 0;
	st->ctr.dsack_undo++;
	tcp_cc_undo(tcb, rk->prior_cwnd, rk->prior_ssthresh);
	tcb->sb->prr = 0; /* the restored cwnd stands: no more reduction */
}

/* [l, r) is what the loss probe resent (§7.3: the last segment). A timer
 * resends without evidence that a later segment arrived first, so a D-SACK
 * of the probe says an ACK was lost or late, not that the path reorders
 * (Linux sets reordering from SACKs of never-resent data only). The RTO's
 * resends need no such test: they go out from the lowest hole up, so
 * their D-SACKs arrive with a cumulative ACK that has already taken their
 * records, and `ours` below does not hold. */
static int probe_resend(const struct sn_rack *rk, uint32_t l, uint32_t r)
{
	return rk->tlp_set && rk->tlp_rtx && seq_lt(l, rk->tlp_end_seq) &&
	       seq_geq(r, rk->tlp_end_seq);
}

static void on_dsack(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_sack_news *n)
{
	struct sn_rack *rk = &tcb->sb->rack;
	uint32_t l = n->dsack_l, r = n->dsack_r;
	/* our resend, if below the old SND.UNA (the records are gone) or in
	 * a retransmitted record */
	int ours = seq_leq(r, n->old_una) || rec_rtx_in(rk, l, r);

	/* a fast retransmission came back twice: RACK or DupThresh took a
	 * segment for lost because a later one arrived first, and the
	 * original arrived after all */
	if (ours && tcb->total_retrans && !rk->reord_seen && !probe_resend(rk, l, r)) {
		rk->reord_seen = 1;
		st->ctr.sack_reorder++;
	}
	if (rk->undo_set && ours && seq_gt(r, rk->undo_marker)) {
		uint32_t len = r - l;
		rk->undo_rtx -= len < rk->undo_rtx ? len : rk->undo_rtx;
		if (!rk->undo_rtx)
			undo(st, tcb);
	}
	/* §6.2 step 4: one step of the reordering window per round trip */
	if (!rk->dsack_round_set && !(st->cfg.tcp_recovery & RECOVERY_STATIC_REO)) {
		rk->dsack_round = tcb->snd_max;
		rk->dsack_round_set = 1;
		if (rk->reo_wnd_mult < UINT8_MAX)
			rk->reo_wnd_mult++;
		rk->reo_wnd_persist = REO_PERSIST;
	}
}

/* ---------------------------------------------------------- TLP §7.4 */

__attribute__((always_inline)) static inline void tlp_on_ack(struct synack_stack *st,
							      struct sn_tcb *tcb,
							      const struct sn_tcp_seg *seg,
							      const struct sn_sack_news *n,
							      int advanced)
{
	struct sn_rack *rk = &tcb->sb->rack;
	uint32_t end = rk->tlp_end_seq;

	if (!rk->tlp_set || seq_lt(seg->ack, end))
		return;
	if (!rk->tlp_rtx) {
		rk->tlp_set = 0; /* the probe was new data, and it arrived */
	} else if (n->dsack && seq_lt(n->dsack_l, end) && seq_geq(n->dsack_r, end)) {
		rk->tlp_set = 0; /* original and probe both arrived: no loss */
	} else if (seq_gt(seg->ack, end)) {
		/* the probe repaired a loss: a congestion event */
		rk->tlp_set = 0;
		tcb->ssthresh = tcp_cc_congestion_event(st, tcb);
		tcb->cwnd = tcb->ssthresh;
		st->ctr.loss_probe_recovery++;
	} else if (!advanced && !seg->opts.nsack && !seg->len) {
		rk->tlp_set = 0; /* a plain duplicate: both arrived */
	}
}

/* Steps 2 and 3 with what this ACK delivered, the end of a D-SACK round,
 * the D-SACK itself and §7.4. */
__attribute__((always_inline)) static inline void on_ack_news(struct synack_stack *st,
							       struct sn_tcb *tcb,
							       const struct sn_tcp_seg *seg,
							       const struct sn_sack_news *n,
							       int advanced)
{
	struct sn_rack *rk = &tcb->sb->rack;

	if (n->cand_set) { /* step 2 */
		rk->rtt_us = since(st, n->cand_ts);
		if (!rk->xmit_set || sent_after(n->cand_ts, n->cand_end, rk->xmit_ts, rk->end_seq)) {
			rk->xmit_ts = n->cand_ts;
			rk->end_seq = n->cand_end;
			rk->xmit_set = 1;
		}
	}
	if (n->reordered) { /* step 3 */
		rk->reord_seen = 1;
		st->ctr.sack_reorder++;
	}
	if (rk->dsack_round_set && seq_geq(tcb->snd_una, rk->dsack_round))
		rk->dsack_round_set = 0;
	if (n->dsack)
		on_dsack(st, tcb, n);
	tlp_on_ack(st, tcb, seg, n, advanced);
}

/* The rest of §6.2 (after the cumulative ACK, sack_ack has the news of
 * the SACK blocks) and §7.4. */
void tcp_rack_on_ack(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
		     struct sn_sack_news *n, int advanced)
{
	if (tcb->sb->rack.on)
		for (int k = 0; k < n->nnew; k++)
			delivered_range(st, tcb, n, n->newr[k].start, n->newr[k].end, 0);
	on_ack_news(st, tcb, seg, n, advanced);
}

void tcp_rack_on_plain_ack(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	struct sn_sack_news n; /* no blocks: nothing newly SACKed, no D-SACK */

	n.dsack = n.cand_set = n.reordered = 0;
	n.nnew = 0;
	on_cumack(st, tcb, &n);
	on_ack_news(st, tcb, seg, &n, 1);
}

void tcp_rack_recovery_exit(struct sn_tcb *tcb)
{
	struct sn_rack *rk = &tcb->sb->rack;

	if (rk->reo_wnd_persist && --rk->reo_wnd_persist == 0)
		rk->reo_wnd_mult = 1;
}

void tcp_rack_episode_start(struct sn_tcb *tcb, uint32_t prior_cwnd, uint32_t prior_ssthresh)
{
	struct sn_rack *rk = &tcb->sb->rack;

	rk->undo_set = 1;
	rk->undo_marker = tcb->snd_una;
	rk->undo_rtx = 0;
	rk->prior_cwnd = prior_cwnd;
	rk->prior_ssthresh = prior_ssthresh;
}

void tcp_rack_on_timeout(struct sn_tcb *tcb, int lost)
{
	struct sn_rack *rk = &tcb->sb->rack;

	/* RFC 8985 §6.3 marks the first segment and those sent more than
	 * RACK.rtt + reo_wnd ago; after a timeout of at least 200 ms that is
	 * all of them in practice, and marking all lets pipe start from zero
	 * with cwnd at one segment (Linux's tcp_timeout_mark_lost leaves
	 * only recently sent ones unmarked). SACKed octets are never resent. */
	for (int i = 0; i < rk->nrec; i++)
		rk->rec[i].ts_fl = lost ? rk->rec[i].ts_fl | SN_REC_LOST
					: rk->rec[i].ts_fl & ~SN_REC_LOST;
	if (lost)
		mark_below(rk, rec_tail(rk));
	rk->tlp_set = 0;
	rk->undo_set = 0; /* no undo across a timeout (no Eifel/F-RTO here) */
	rk->timer = SN_RX_RTO;
	tcp_rack_recovery_exit(tcb);
}

/* ---------------------------------------------------------- §6.2 step 5 */

/* RACK_update_reo_wnd()'s result: 0 while no reordering was seen and
 * recovery runs or DupThresh segments are SACKed, else min_RTT/4 times the
 * multiplier, at most SRTT. */
static uint32_t reo_wnd(const struct synack_stack *st, const struct sn_tcb *tcb)
{
	const struct sn_rack *rk = &tcb->sb->rack;

	if (!rk->reord_seen) {
		if (tcb->in_recovery || seq_lt(tcb->snd_una, tcb->recover))
			return 0;
		if (!(st->cfg.tcp_recovery & RECOVERY_NO_DUPTHRESH) &&
		    (tcb->dupacks >= DUPTHRESH ||
		     tcp_sack_sacked_bytes(tcb) >= DUPTHRESH * (uint32_t)tcb->snd_mss))
			return 0;
	}
	uint64_t w = (uint64_t)rk->reo_wnd_mult * rk->min_rtt_us / 4;
	return w < tcb->srtt_us ? (uint32_t)w : tcb->srtt_us;
}

/* Arm the reordering timer, unless an earlier RTO is due first. */
static void arm_reo(struct synack_stack *st, struct sn_tcb *tcb, uint32_t in_us)
{
	struct sn_rack *rk = &tcb->sb->rack;
	uint64_t at = st->now + in_us;
	uint64_t cur = tcb->deadline[SN_T_REXMT];

	if (cur && rk->timer == SN_RX_RTO && cur <= at)
		return;
	rk->timer = SN_RX_REO;
	tcp_timer_set(st, tcb, SN_T_REXMT, at);
}

/* Mark record i's part below `below` lost (splitting it off if need be). */
static void mark_lost(struct synack_stack *st, struct sn_rack *rk, int i, uint32_t below)
{
	if (seq_lt(below, rk->rec[i].end)) {
		if (rk->nrec == SN_RACK_RECS)
			return; /* no room to split: wait for the next ACK */
		rec_insert(rk, i, below, rk->rec[i].ts_fl);
	}
	if (FL(&rk->rec[i]) & SN_REC_RTX)
		st->ctr.lost_retransmit++;
	rk->rec[i].ts_fl |= SN_REC_LOST;
	rk->nlost++;
	mark_below(rk, rk->rec[i].end);
}

/* What the walk below finds when every record is unmarked and timed in
 * sequence order (mark_end at rec_base, sack.h) and the first was not sent
 * before RACK.xmit_ts (RACK_sent_after of its part above SND.UNA, or no
 * xmit_ts yet): then no record was, nothing is or becomes lost, no timer
 * is due. The usual ACK of a connection without loss ends here. */
static int nothing_to_judge(struct synack_stack *st, const struct sn_tcb *tcb)
{
	const struct sn_rack *rk = &tcb->sb->rack;

	if (st->fastpath_off || rk->mark_end != rk->rec_base)
		return 0;
	if (rk->nrec && rk->xmit_set) {
		uint32_t ts = TS(&rk->rec[0]), s = seq_max(rk->rec_base, tcb->snd_una);
		if (!ts_after(ts, rk->xmit_ts) && (ts != rk->xmit_ts || seq_lt(s, rk->end_seq)))
			return 0;
	}
	st->rack_closed_forms++;
	return 1;
}

int tcp_rack_detect_loss(struct synack_stack *st, struct sn_tcb *tcb)
{
	struct sn_rack *rk = &tcb->sb->rack;
	uint32_t reo, now = now32(st), timeout = 0;
	int lost = 0;

	if (nothing_to_judge(st, tcb))
		return 0;
	if (!rk->xmit_set)
		return any_lost(rk);
	reo = reo_wnd(st, tcb);
	for (int i = 0; i < rk->nrec; i++) {
		const struct sn_rack_rec *r = &rk->rec[i];
		uint32_t s = seq_max(rec_start(rk, i), tcb->snd_una), e = r->end, ts = TS(r);
		if (FL(r) & SN_REC_LOST) {
			lost = 1;
			continue;
		}
		if (!seq_lt(s, e) || ts_after(ts, rk->xmit_ts))
			continue;
		if (ts == rk->xmit_ts) { /* sent together: by sequence */
			if (!seq_lt(s, rk->end_seq))
				continue;
			e = seq_min(e, rk->end_seq);
		}
		if (tcp_sack_sacked_in(tcb->sb, s, e) == e - s)
			continue; /* delivered */
		int32_t remaining = (int32_t)(ts + rk->rtt_us + reo - now);
		if (remaining > 0) {
			if ((uint32_t)remaining > timeout)
				timeout = (uint32_t)remaining;
			continue;
		}
		mark_lost(st, rk, i, e);
		lost = 1;
	}
	if (timeout)
		arm_reo(st, tcb, timeout);
	return lost;
}

/* ---------------------------------------------------------- marks for sack.c */

int tcp_rack_is_lost(const struct sn_tcb *tcb, uint32_t seq)
{
	const struct sn_rack *rk = &tcb->sb->rack;

	for (int i = 0; i < rk->nrec; i++)
		if (seq_lt(seq, rk->rec[i].end))
			return seq_geq(seq, rec_start(rk, i)) && (FL(&rk->rec[i]) & SN_REC_LOST) &&
			       !tcp_sack_sacked_in(tcb->sb, seq, seq + 1);
	return 0;
}

/* The first unSACKed octet range inside [s, e). */
static int first_unsacked(const struct sn_sack_sb *sb, uint32_t s, uint32_t e,
			  struct sn_seq_range *out)
{
	for (int k = 0; k < sb->n && seq_lt(s, e); k++) {
		if (seq_leq(sb->r[k].end, s))
			continue;
		if (seq_lt(s, sb->r[k].start)) {
			*out = (struct sn_seq_range){s, seq_min(e, sb->r[k].start)};
			return 1;
		}
		s = sb->r[k].end;
	}
	if (!seq_lt(s, e))
		return 0;
	*out = (struct sn_seq_range){s, e};
	return 1;
}

int tcp_rack_next_lost(const struct sn_tcb *tcb, struct sn_seq_range *out)
{
	const struct sn_rack *rk = &tcb->sb->rack;

	for (int i = 0; i < rk->nrec; i++) {
		uint32_t s = seq_max(rec_start(rk, i), tcb->snd_una);
		if (!(FL(&rk->rec[i]) & SN_REC_LOST) || !seq_lt(s, rk->rec[i].end))
			continue;
		if (first_unsacked(tcb->sb, s, rk->rec[i].end, out))
			return 1;
	}
	return 0;
}

uint32_t tcp_rack_pipe(const struct sn_tcb *tcb)
{
	const struct sn_rack *rk = &tcb->sb->rack;
	uint32_t pipe = 0;

	for (int i = 0; i < rk->nrec; i++) {
		uint32_t s = seq_max(rec_start(rk, i), tcb->snd_una), e = rk->rec[i].end;
		if ((FL(&rk->rec[i]) & SN_REC_LOST) || !seq_lt(s, e))
			continue;
		pipe += (e - s) - tcp_sack_sacked_in(tcb->sb, s, e);
	}
	return pipe;
}

/* ---------------------------------------------------------- TLP §7.2, §7.3 */

__attribute__((always_inline)) static inline int tlp_may_probe(const struct synack_stack *st,
								const struct sn_tcb *tcb)
{
	uint8_t er = st->cfg.tcp_early_retrans;

	return (er == 3 || er == 4) && tcp_rack_active(tcb) && tcb->syn_acked &&
	       tcp_state_synchronized(tcb->state) && !tcb->in_recovery &&
	       seq_geq(tcb->snd_una, tcb->recover) && !tcb->nretrans && tcb->snd_wnd &&
	       tcb->snd_max != tcb->snd_una && !tcb->sb->rack.tlp_set && !tcb->sb->n;
}

int tcp_tlp_arm(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (!tlp_may_probe(st, tcb))
		return 0;
	uint64_t pto = SN_US_PER_SEC, rto = tcp_rto_current(st, tcb);
	if (tcb->rtt_valid) {
		pto = 2ull * tcb->srtt_us + TLP_SLACK_US;
		if (tcb->snd_max - tcb->snd_una <= tcb->snd_mss)
			pto += TLP_WCDELACK_US;
	}
	if (pto > rto)
		pto = rto;
	tcb->sb->rack.timer = SN_RX_PTO;
	tcp_timer_set(st, tcb, SN_T_REXMT, st->now + pto);
	return 1;
}

void tcp_tlp_new_data(struct synack_stack *st, struct sn_tcb *tcb)
{
	/* §7.2: restart the PTO after new data goes out */
	if (tcb->sb && tcb->sb->rack.timer == SN_RX_PTO && tcb->deadline[SN_T_REXMT])
		tcp_timer_clear(st, tcb, SN_T_REXMT);
}

int tcp_rexmt_kind_take(struct sn_tcb *tcb)
{
	if (!tcb->sb)
		return SN_RX_RTO;
	int k = tcb->sb->rack.timer;
	tcb->sb->rack.timer = SN_RX_RTO;
	return k;
}

/* TLP_send_probe(): new data if the peer's window takes it (cwnd aside),
 * else the last segment again; then the RTO, not another probe. */
void tcp_tlp_fire(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (tlp_may_probe(st, tcb)) {
		struct sn_rack *rk = &tcb->sb->rack;
		uint32_t flight = tcb->snd_max - tcb->snd_una, ring = sn_ring_len(&tcb->sndbuf);
		uint32_t avail = ring > flight ? ring - flight : 0;
		uint32_t wnd = tcb->snd_wnd > flight ? tcb->snd_wnd - flight : 0;
		uint32_t len = avail < wnd ? avail : wnd;
		if (len > tcb->snd_mss)
			len = tcb->snd_mss;
		if (len && (len == avail || len == tcb->snd_mss)) {
			tcp_sack_send_new(st, tcb, len);
			rk->tlp_rtx = 0;
		} else {
			uint32_t data_end = tcb->snd_una + ring;
			uint32_t s = data_end - (ring < tcb->snd_mss ? ring : tcb->snd_mss);
			if (seq_lt(tcb->snd_max, data_end))
				s = tcb->snd_max - (flight < tcb->snd_mss ? flight : tcb->snd_mss);
			tcp_sack_resend(st, tcb, s, tcb->snd_max);
			rk->tlp_rtx = 1;
		}
		rk->tlp_set = 1;
		rk->tlp_end_seq = tcb->snd_max;
		st->ctr.loss_probes++;
	}
	tcp_timer_set(st, tcb, SN_T_REXMT, st->now + tcp_rto_current(st, tcb));
}
