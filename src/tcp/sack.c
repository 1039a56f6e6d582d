/*
 * sack.c: the sender's side of SACK. A scoreboard of what the peer reports
 * holding above SND.UNA (RFC 2018 §3), and loss recovery from it (RFC 6675:
 * IsLost, pipe, NextSeg, recovery entry and exit). NewReno (cc.c, RFC 6582)
 * stays the recovery of connections that did not negotiate SACK, or whose
 * peer never sent a block.
 *
 * The scoreboard is a short sorted list of disjoint, non-touching SACKed
 * ranges, each inside (SND.UNA, SND.MAX]. It is allocated from the stack's
 * bounded pool the first time a connection receives a SACK block, so a
 * connection that never sees loss pays only a pointer in its TCB; it goes
 * back with the TCB. A block that would need a range past SN_SB_MAX is
 * ignored (less information, never wrong information).
 *
 * Trust: blocks are advisory (RFC 2018 §8). A block is used only when it
 * lies inside (SND.UNA, SND.MAX] (RFC 2018 §8, RFC 6675 §1 caveats);
 * otherwise it is ignored and counted (TcpExtTCPSACKDiscard). A D-SACK
 * (RFC 2883 §4: the first block below the cumulative ACK, or inside the
 * second) is counted and not recorded. SACKed data is never released: the
 * send ring drops bytes only on the cumulative ACK. A scoreboard range that
 * the cumulative ACK lands on or inside means the receiver dropped what it
 * had reported (reneging): the scoreboard is cleared, and what it held is
 * resent like any other loss.
 *
 * A retransmission timeout keeps the scoreboard (RFC 6675 §5.1: SACK
 * information SHOULD go on being used after an RTO, as Linux does; RFC
 * 2018 §8's older advice was to clear it). RecoveryPoint becomes HighData,
 * and until SND.UNA reaches it (rto_loss, Linux's TCP_CA_Loss) every
 * unSACKed octet below it is lost: pipe and NextSeg resend the holes from
 * SND.UNA up, in slow start from one segment, skipping what the peer
 * holds, then send new data. Reneging cannot strand data: SND.UNA is never
 * SACKed, so the first resend that fills the hole below a reneged range
 * brings a cumulative ACK that lands on it (cleared, above). A second
 * timeout with no cumulative progress in between clears the scoreboard
 * anyway (reneging suspected, RFC 6675 §5.1): go-back-N over everything,
 * so a forged or dropped block costs at most one RTO, never the data.
 *
 * RFC 6675 names: HighACK = SND.UNA, HighData = SND.MAX, RecoveryPoint =
 * tcb->recover, DupThresh = 3. HighRxt and RescueRxt live in the scoreboard
 * and are one past the octet they name (sequence ranges are half-open).
 *
 * With RACK (rack.c, tcp_recovery), loss is what RACK marks, not what
 * DupThresh infers: IsLost(), pipe and NextSeg's rule (1) read RACK's
 * marks, recovery begins when RACK marks a loss, and NextSeg's rules (3)
 * and (4) (resending what is merely unSACKed) give way to the tail loss
 * probe. The scoreboard's block lives in sack.h with RACK's state.
 */
#include <string.h>

#include "stack/stack.h"
#include "tcp/sack.h"

size_t tcp_sack_sb_size(void)
{
	return sizeof(struct sn_sack_sb);
}

void tcp_sack_free(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (tcb->sb)
		sn_pool_put(&st->sack_pool, tcb->sb);
	tcb->sb = NULL;
}

/* ---------------------------------------------------------- scoreboard */

static uint32_t rlen(const struct sn_seq_range *r)
{
	return r->end - r->start;
}

uint32_t tcp_sack_sacked_in(const struct sn_sack_sb *sb, uint32_t s, uint32_t e)
{
	uint32_t b = 0;

	for (int i = 0; i < sb->n && seq_lt(sb->r[i].start, e); i++)
		if (seq_gt(sb->r[i].end, s))
			b += seq_min(sb->r[i].end, e) - seq_max(sb->r[i].start, s);
	return b;
}

static uint32_t sb_bytes(const struct sn_sack_sb *sb)
{
	uint32_t b = 0;

	for (int i = 0; i < sb->n; i++)
		b += rlen(&sb->r[i]);
	return b;
}

static void sb_remove(struct sn_sack_sb *sb, int i, int count)
{
	if (!count)
		return;
	memmove(&sb->r[i], &sb->r[i + count], (size_t)(sb->n - i - count) * sizeof(sb->r[0]));
	sb->n = (uint8_t)(sb->n - count);
}

/* Insert [l, r), merging ranges it overlaps or touches; -1 if full. */
static int sb_add(struct sn_sack_sb *sb, uint32_t l, uint32_t r)
{
	int i = 0;

	while (i < sb->n && seq_lt(sb->r[i].end, l))
		i++;
	int j = i;
	while (j < sb->n && seq_leq(sb->r[j].start, r)) {
		l = seq_min(l, sb->r[j].start);
		r = seq_max(r, sb->r[j].end);
		j++;
	}
	if (j == i) {
		if (sb->n == SN_SB_MAX)
			return -1;
		memmove(&sb->r[i + 1], &sb->r[i], (size_t)(sb->n - i) * sizeof(sb->r[0]));
		sb->n++;
	} else if (j > i + 1) {
		sb_remove(sb, i + 1, j - i - 1);
	}
	sb->r[i] = (struct sn_seq_range){l, r};
	return 0;
}

/* The cumulative ACK moved: forget what it covers. A range it lands on or
 * inside was reported and then dropped by the receiver (RFC 2018 §8
 * reneging): nothing in the scoreboard can be trusted any more. */
static void sb_prune(struct synack_stack *st, struct sn_tcb *tcb)
{
	struct sn_sack_sb *sb = tcb->sb;
	int k = 0;

	while (k < sb->n && seq_leq(sb->r[k].end, tcb->snd_una))
		k++;
	sb_remove(sb, 0, k);
	if (sb->n && seq_leq(sb->r[0].start, tcb->snd_una)) {
		st->ctr.sack_reneging++;
		sb->n = 0;
		if (sb->rto_loss) /* what it held is lost too: resend from here */
			sb->high_rxt = tcb->snd_una;
	}
}

/* RFC 2883 §4: a first block below the cumulative ACK, or inside the
 * second block, reports a duplicate, not new data. */
static int is_dsack(const struct sn_tcp_seg *seg)
{
	const struct sn_tcp_opts *o = &seg->opts;

	if (seq_lt(o->sack[0].left, seg->ack))
		return 1;
	return o->nsack > 1 && seq_leq(o->sack[1].left, o->sack[0].left) &&
	       seq_leq(o->sack[0].right, o->sack[1].right);
}

/* The part of [l, r) the scoreboard does not hold yet, as one range from
 * its first unSACKed octet to its last (for RACK's news). */
static void note_new(const struct sn_sack_sb *sb, uint32_t l, uint32_t r, struct sn_sack_news *n)
{
	uint32_t s = l, e = r;

	for (int k = 0; k < sb->n; k++) {
		if (seq_leq(sb->r[k].start, s) && seq_gt(sb->r[k].end, s))
			s = sb->r[k].end;
		if (seq_lt(sb->r[k].start, e) && seq_geq(sb->r[k].end, e))
			e = sb->r[k].start;
	}
	if (!seq_lt(s, e) || n->nnew >= SN_TCP_SACK_MAX)
		return;
	/* kept in ascending order: RFC 8985 §6.2 step 3 takes what an ACK
	 * delivered in ascending order of sequence. Blocks come most recent
	 * first (RFC 2018 §4), so after a lost ACK one ACK can extend a lower
	 * block and add a higher one; taken in block order, the lower piece
	 * would look delivered below RACK.fack, i.e. reordered. */
	int k = n->nnew++;
	for (; k > 0 && seq_gt(n->newr[k - 1].start, s); k--)
		n->newr[k] = n->newr[k - 1];
	n->newr[k] = (struct sn_seq_range){s, e};
}

/* Update() of RFC 6675 §4 with RFC 2018 §8 validation: returns the bytes
 * newly SACKed by this segment; tells n what they were and of a D-SACK. */
static uint32_t sb_update(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
			  struct sn_sack_news *n)
{
	struct sn_sack_sb *sb = tcb->sb;
	uint32_t before = sb_bytes(sb);

	for (int i = 0; i < seg->opts.nsack; i++) {
		uint32_t l = seg->opts.sack[i].left, r = seg->opts.sack[i].right;
		if (i == 0 && is_dsack(seg)) {
			st->ctr.dsack_recv++;
			n->dsack = 1;
			n->dsack_l = l;
			n->dsack_r = r;
			continue;
		}
		if (!seq_lt(tcb->snd_una, l) || !seq_lt(l, r) || seq_gt(r, tcb->snd_max)) {
			st->ctr.sack_discard++;
			continue;
		}
		note_new(sb, l, r, n);
		if (sb_add(sb, l, r) < 0)
			st->ctr.sack_discard++;
	}
	uint32_t after = sb_bytes(sb);
	return after > before ? after - before : 0;
}

/* ---------------------------------------------------------- RFC 6675 §4 */

/* The hole below range k (k == n: above every range), within
 * [SND.UNA, SND.MAX). */
static struct sn_seq_range hole(const struct sn_tcb *tcb, int k)
{
	const struct sn_sack_sb *sb = tcb->sb;
	uint32_t s = k == 0 ? tcb->snd_una : sb->r[k - 1].end;
	uint32_t e = k == sb->n ? tcb->snd_max : sb->r[k].start;

	return (struct sn_seq_range){s, e};
}

/* IsLost() for every octet of the hole below range k: DupThresh ranges
 * SACKed above it, or more than (DupThresh - 1) * SMSS bytes. One answer
 * serves the whole hole, since every octet in it has the same ranges above. */
static int hole_lost(const struct sn_tcb *tcb, int k)
{
	const struct sn_sack_sb *sb = tcb->sb;
	uint32_t above = 0;

	if (sb->n - k >= DUPTHRESH)
		return 1;
	for (int i = k; i < sb->n; i++)
		above += rlen(&sb->r[i]);
	return above > (DUPTHRESH - 1u) * tcb->snd_mss;
}

/* Where the lost part of hole k (h) ends: all of it by DupThresh; after a
 * timeout, whatever lies below RecoveryPoint; else none (h.start). */
static uint32_t lost_end(const struct sn_tcb *tcb, int k, struct sn_seq_range h)
{
	if (k < tcb->sb->n && hole_lost(tcb, k))
		return h.end;
	if (tcb->sb->rto_loss && seq_lt(h.start, tcb->recover))
		return seq_min(h.end, tcb->recover);
	return h.start;
}

int tcp_sack_is_lost(const struct sn_tcb *tcb, uint32_t seq)
{
	if (!tcb->sb)
		return 0;
	if (tcp_rack_active(tcb))
		return tcp_rack_is_lost(tcb, seq);
	for (int k = 0; k <= tcb->sb->n; k++) {
		struct sn_seq_range h = hole(tcb, k);
		if (seq_lt(seq, h.end))
			return seq_geq(seq, h.start) && seq_lt(seq, lost_end(tcb, k, h));
	}
	return 0;
}

int tcp_sack_driven(const struct sn_tcb *tcb)
{
	return tcb->sack_recovery || (tcb->sb && tcb->sb->rto_loss);
}

/* SetPipe(): octets not SACKed and not lost are in the network, and so are
 * octets retransmitted in this recovery (below HighRxt). */
uint32_t tcp_sack_pipe(const struct sn_tcb *tcb)
{
	const struct sn_sack_sb *sb = tcb->sb;
	uint32_t pipe = 0;

	if (tcp_rack_active(tcb))
		return tcp_rack_pipe(tcb);

	for (int k = 0; k <= sb->n; k++) {
		struct sn_seq_range h = hole(tcb, k);
		if (!seq_lt(h.start, h.end))
			continue;
		pipe += h.end - lost_end(tcb, k, h);
		if (tcp_sack_driven(tcb) && seq_lt(h.start, sb->high_rxt))
			pipe += seq_min(h.end, sb->high_rxt) - h.start;
	}
	return pipe;
}

enum { NEXT_NONE, NEXT_LOST, NEXT_NEW, NEXT_UNSACKED, NEXT_RESCUE };

/* NextSeg() rules (1) and (3): the lowest unSACKed octet above HighRxt,
 * lost (rule 1: below the highest SACKed octet, or after a timeout below
 * RecoveryPoint) or not (rule 3: below the highest SACKed octet). */
static int next_hole(const struct sn_tcb *tcb, int need_lost, struct sn_seq_range *out)
{
	const struct sn_sack_sb *sb = tcb->sb;

	for (int k = 0; k <= sb->n; k++) {
		struct sn_seq_range h = hole(tcb, k);
		uint32_t s = seq_max(h.start, sb->high_rxt);
		uint32_t e = need_lost ? lost_end(tcb, k, h) : k < sb->n ? h.end : h.start;
		if (!seq_lt(s, e))
			continue;
		*out = (struct sn_seq_range){s, e};
		return 1;
	}
	return 0;
}

/* Bytes of unsent data the peer's window lets us send now (rule 2). */
static uint32_t new_data_room(const struct sn_tcb *tcb)
{
	uint32_t off = tcb->snd_max - tcb->snd_una;
	uint32_t ring = sn_ring_len(&tcb->sndbuf);
	uint32_t avail = ring > off ? ring - off : 0;
	uint32_t wnd = tcb->snd_wnd > off ? tcb->snd_wnd - off : 0;
	uint32_t len = avail < wnd ? avail : wnd;

	if (len > tcb->snd_mss)
		len = tcb->snd_mss;
	return len < tcb->snd_mss && len < avail ? 0 : len; /* no runts into a small window */
}

/* NextSeg() of RFC 6675 §4; *seg is the range to send (rule 2: its start). */
static int next_seg(struct sn_tcb *tcb, struct sn_seq_range *seg)
{
	struct sn_sack_sb *sb = tcb->sb;
	int rack = tcp_rack_active(tcb);

	if (rack ? tcp_rack_next_lost(tcb, seg) : next_hole(tcb, 1, seg))
		return NEXT_LOST;
	uint32_t room = new_data_room(tcb);
	if (room) {
		*seg = (struct sn_seq_range){tcb->snd_max, tcb->snd_max + room};
		return NEXT_NEW;
	}
	if (rack || sb->rto_loss)
		return NEXT_NONE; /* rules (3) and (4): TLP's job under RACK;
				   * after a timeout everything unSACKed is lost */
	if (next_hole(tcb, 0, seg))
		return NEXT_UNSACKED;
	/* rule (4): one rescue retransmission per recovery, of the highest
	 * unSACKed octet, once HighACK passes RescueRxt */
	if (sb->rescue_set && !seq_gt(tcb->snd_una, sb->rescue_rxt))
		return NEXT_NONE;
	for (int k = sb->n; k >= 0; k--) {
		struct sn_seq_range h = hole(tcb, k);
		if (seq_lt(h.start, h.end)) {
			uint32_t len = rlen(&h) < tcb->snd_mss ? rlen(&h) : tcb->snd_mss;
			*seg = (struct sn_seq_range){h.end - len, h.end};
			sb->rescue_rxt = tcb->recover;
			sb->rescue_set = 1;
			return NEXT_RESCUE;
		}
	}
	return NEXT_NONE;
}

/* Send [s, e) of already-sent sequence space again: the data, and our FIN
 * if the range reaches it. Returns the sequence space sent. */
uint32_t tcp_sack_resend(struct synack_stack *st, struct sn_tcb *tcb, uint32_t s, uint32_t e)
{
	uint32_t data_end = tcb->snd_una + sn_ring_len(&tcb->sndbuf);
	uint32_t len = seq_lt(s, data_end) ? seq_min(e, data_end) - s : 0;
	uint8_t flags = SN_TCP_ACK;

	if (len > tcb->snd_mss)
		len = tcb->snd_mss;
	if (len && s + len == data_end)
		flags |= SN_TCP_PSH; /* as when it first went: the end of what is queued */
	if (s + len == data_end && tcb->fin_queued && seq_gt(tcb->snd_max, data_end) &&
	    seq_gt(e, data_end))
		flags |= SN_TCP_FIN;
	if (!len && !(flags & SN_TCP_FIN))
		return 0;
	tcb->timing = 0; /* Karn */
	tcp_emit(st, tcb, s, flags, len, 1);
	return len + ((flags & SN_TCP_FIN) ? 1u : 0u);
}

/* NextSeg rule (2): one segment of new data at HighData. */
uint32_t tcp_sack_send_new(struct synack_stack *st, struct sn_tcb *tcb, uint32_t len)
{
	uint32_t off = tcb->snd_max - tcb->snd_una;
	uint8_t flags = SN_TCP_ACK;

	if (len == sn_ring_len(&tcb->sndbuf) - off) {
		flags |= SN_TCP_PSH;
		if (tcb->fin_queued)
			flags |= SN_TCP_FIN;
	}
	tcp_emit(st, tcb, tcb->snd_max, flags, len, 0);
	uint32_t used = len + ((flags & SN_TCP_FIN) ? 1u : 0u);
	tcb->snd_max += used;
	tcb->snd_nxt = tcb->snd_max;
	return used;
}

/* Step (C) of RFC 6675 §5: while cwnd - pipe >= 1 SMSS, send what NextSeg
 * names. Returns the segments sent. */
int tcp_sack_output(struct synack_stack *st, struct sn_tcb *tcb)
{
	struct sn_sack_sb *sb = tcb->sb;
	uint32_t pipe = tcp_sack_pipe(tcb);
	int sent = 0;

	while (tcb->cwnd >= pipe && tcb->cwnd - pipe >= tcb->snd_mss) {
		struct sn_seq_range seg;
		int rule = next_seg(tcb, &seg);
		uint32_t used;
		if (rule == NEXT_NONE)
			break;
		if (rule == NEXT_NEW) {
			used = tcp_sack_send_new(st, tcb, seg.end - seg.start);
		} else {
			used = tcp_sack_resend(st, tcb, seg.start, seg.end);
			if (rule != NEXT_RESCUE) /* (C.2) */
				sb->high_rxt = seq_max(sb->high_rxt, seg.start + used);
		}
		if (!used)
			break;
		pipe += used; /* (C.4) */
		if (tcb->sack_recovery)
			sb->prr_out += used; /* RFC 6937: every transmission */
		sent++;
	}
	return sent;
}

/* ---------------------------------------------------------- RFC 6675 §5 */

/* ---------------------------------------------------------- RFC 6937 */

uint32_t tcp_prr_sndcnt(uint32_t prr_delivered, uint32_t prr_out, uint32_t recover_fs,
			uint32_t ssthresh, uint32_t pipe, uint32_t delivered, uint32_t mss, int safe)
{
	uint64_t snd;

	if (pipe > ssthresh) {
		/* proportional: the reduction spread over the round trip;
		 * rounded up to whole segments, as Linux counts packets */
		uint64_t fs = recover_fs ? recover_fs : 1;
		uint64_t target = ((uint64_t)prr_delivered * ssthresh + fs - 1) / fs;
		target = (target + mss - 1) / mss * mss;
		snd = target > prr_out ? target - prr_out : 0;
	} else {
		/* the reduction bound: what was delivered, one SMSS more on a
		 * safe ACK (slow start inside recovery), never past ssthresh */
		uint32_t banked = prr_delivered > prr_out ? prr_delivered - prr_out : 0;
		uint64_t limit = (uint64_t)(banked > delivered ? banked : delivered) + (safe ? mss : 0);
		snd = limit < ssthresh - pipe ? limit : ssthresh - pipe;
	}
	if (!prr_out && snd < mss)
		snd = mss; /* the fast retransmit goes whatever the arithmetic says */
	return snd > UINT32_MAX ? UINT32_MAX : (uint32_t)snd;
}

/* One ACK of an RFC 6675 recovery (or the event that starts one):
 * prr_delivered grows by what it delivered, and cwnd = pipe + sndcnt.
 * An ACK that delivers nothing leaves cwnd alone (as Linux), and cwnd
 * never falls below one segment, so an empty pipe still sends. */
static void prr_on_ack(const struct synack_stack *st, struct sn_tcb *tcb, uint32_t delivered,
		       int safe)
{
	struct sn_sack_sb *sb = tcb->sb;

	if (!sb->prr || (!delivered && sb->prr_out))
		return;
	safe |= st->cfg.tcp_prr == 1; /* RFC 6937's PRR-SSRB: every ACK */
	sb->prr_delivered += delivered;
	uint32_t pipe = tcp_sack_pipe(tcb);
	uint32_t snd = tcp_prr_sndcnt(sb->prr_delivered, sb->prr_out, sb->recover_fs, tcb->ssthresh,
				      pipe, delivered, tcb->snd_mss, safe);
	uint64_t cwnd = (uint64_t)pipe + snd;
	if (cwnd < tcb->snd_mss)
		cwnd = tcb->snd_mss;
	tcb->cwnd = cwnd > UINT32_MAX ? UINT32_MAX : (uint32_t)cwnd;
}

/* ---------------------------------------------------------- RFC 6675 §5 */

/* Step (4): fast retransmit and enter loss recovery. ssthresh from the
 * connection's algorithm (4.2); cwnd from PRR (RFC 6937) for this ACK,
 * which delivered `delivered` bytes, and for each ACK after it. Under RACK
 * the first segment resent is the lowest RACK marked lost. */
static void enter_recovery(struct synack_stack *st, struct sn_tcb *tcb, uint32_t delivered,
			   int safe)
{
	struct sn_sack_sb *sb = tcb->sb;
	uint32_t prior_cwnd = tcb->cwnd, prior_ssthresh = tcb->ssthresh;
	uint32_t flight = tcp_flight_size(tcb);
	struct sn_seq_range h = hole(tcb, 0);

	tcb->recover = tcb->snd_max;                   /* (4.1) RecoveryPoint = HighData */
	tcb->ssthresh = tcp_cc_loss_ssthresh(st, tcb);     /* (4.2), RFC 5681 §3.2 (2) */
	tcb->in_recovery = 1;
	tcb->sack_recovery = 1;
	tcb->dupacks = 0;
	st->ctr.fast_retrans++;
	st->ctr.sack_recoveries++;
	tcp_rack_episode_start(tcb, prior_cwnd, prior_ssthresh); /* for D-SACK undo */
	/* RFC 6937: RecoverFS is the FlightSize ssthresh came from (without
	 * what Limited Transmit sent: Linux's prior_cwnd when cwnd-bound) */
	sb->recover_fs = flight < prior_cwnd ? flight : prior_cwnd;
	sb->prr_delivered = 0;
	sb->prr_out = 0;
	sb->prr = st->cfg.tcp_prr != 0;
	sb->high_rxt = tcb->snd_una;
	tcb->cwnd = tcb->ssthresh; /* RFC 6675 (4.2), unless PRR sets it */
	prr_on_ack(st, tcb, delivered, safe);
	if (tcp_rack_active(tcb) && !tcp_rack_next_lost(tcb, &h))
		return;
	/* (4.3) the first segment presumed dropped: HighACK + 1 */
	uint32_t used = tcp_sack_resend(st, tcb, h.start, h.end);
	sb->prr_out += used;
	sb->high_rxt = h.start + used;
	sb->rescue_rxt = sb->high_rxt;
	sb->rescue_set = 1;
	/* (4.4), (4.5): pipe and step (C) run in tcp_output */
}

/* (A): a cumulative ACK at or past RecoveryPoint ends recovery; the
 * scoreboard above it stays. cwnd = ssthresh (RFC 6937 §3.1), unless a
 * D-SACK undid the reduction. */
static void leave_recovery(struct sn_tcb *tcb)
{
	if (tcb->sb->prr)
		tcb->cwnd = tcb->ssthresh;
	tcb->sb->prr = 0;
	tcb->in_recovery = 0;
	tcb->sack_recovery = 0;
	tcb->dupacks = 0;
	tcp_rack_recovery_exit(tcb);
}

/* The scoreboard, the reports RACK reads, and the block itself for a
 * connection that had none (NULL: none to be had). */
static struct sn_sack_sb *sb_take_ack(struct synack_stack *st, struct sn_tcb *tcb,
				      const struct sn_tcp_seg *seg, struct sn_sack_news *n,
				      uint32_t *newly)
{
	if (tcb->sb) {
		tcp_rack_on_cumack(st, tcb, n);
		sb_prune(st, tcb);
	}
	if (seg->opts.nsack && !tcb->sb) {
		tcb->sb = sn_pool_get(&st->sack_pool);
		if (!tcb->sb)
			st->ctr.sack_nomem++; /* NewReno for this connection */
	}
	if (!tcb->sb)
		return NULL;
	if (seg->opts.nsack) {
		tcb->sb->blocks_seen = 1;
		*newly = sb_update(st, tcb, seg, n);
	}
	return tcb->sb;
}

/* RFC 6937 DeliveredData: the change in SND.UNA (data bytes) plus the
 * change in SACKed bytes (sacked0 before this ACK); 0 after reneging. */
static uint32_t delivered_data(const struct sn_sack_sb *sb, uint32_t acked, uint32_t sacked0)
{
	int64_t d = (int64_t)acked + sb_bytes(sb) - sacked0;

	return d > 0 ? (uint32_t)d : 0;
}

int tcp_sack_ack(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
		 uint32_t old_una, uint32_t acked, int advanced)
{
	struct sn_sack_news news; /* newr[] is read only below nnew */
	uint32_t newly = 0, sacked0 = tcb->sb ? sb_bytes(tcb->sb) : 0;

	news.old_una = old_una;
	news.dsack = news.cand_set = news.reordered = 0;
	news.nnew = 0;
	struct sn_sack_sb *sb = sb_take_ack(st, tcb, seg, &news, &newly);

	if (!sb)
		return 0;
	tcp_rack_on_ack(st, tcb, seg, &news, advanced);
	uint32_t delivered = delivered_data(sb, acked, sacked0);
	uint16_t nlost0 = sb->rack.nlost;
	if (!sb->blocks_seen)
		return 0; /* the peer never SACKed: NewReno */
	if (sb->rto_loss && seq_geq(tcb->snd_una, tcb->recover))
		sb->rto_loss = 0; /* the timeout's recovery is over (RFC 6675 §5.1) */
	if (tcb->in_recovery && !tcb->sack_recovery)
		return 0; /* a NewReno recovery begun before the first block runs on */
	int rack = tcp_rack_active(tcb);
	if (tcb->in_recovery) {
		if (rack) /* lost retransmissions, and losses in new data */
			tcp_rack_detect_loss(st, tcb);
		if (advanced && seq_geq(tcb->snd_una, tcb->recover)) {
			leave_recovery(tcb);
			return 1;
		}
		/* safe (tcp_prr 2, Linux's and RFC 9937's condition for the
		 * reduction bound's extra segment): SND.UNA moved and the ACK
		 * showed no further loss (no new RACK mark; without RACK, no
		 * newly SACKed data that could make a hole lost) */
		prr_on_ack(st, tcb, delivered,
			   advanced && (rack ? sb->rack.nlost == nlost0 : !newly));
		return 1; /* (B): pipe and NextSeg run in tcp_output */
	}
	if (advanced)
		tcp_cc_on_ack(st, tcb, acked); /* resets DupAcks */
	/* §2: an ACK that SACKs new data is a duplicate ACK, whatever else it
	 * carries; §5 (1)-(2): DupThresh of them, or IsLost(HighACK + 1);
	 * under RACK (RFC 8985 §6.2 step 5): a segment RACK marks lost */
	if (newly && tcb->dupacks < UINT8_MAX)
		tcb->dupacks++;
	if (rack) {
		if (tcp_rack_detect_loss(st, tcb) && seq_geq(tcb->snd_una, tcb->recover))
			enter_recovery(st, tcb, delivered, 0);
		return 1;
	}
	if (newly && seq_geq(tcb->snd_una, tcb->recover) &&
	    (tcb->dupacks >= DUPTHRESH || tcp_sack_is_lost(tcb, tcb->snd_una)))
		enter_recovery(st, tcb, delivered, 0);
	return 1;
}

/* tcp_sack_ack for the ACK header prediction takes (fastpath.c): new data
 * acknowledged, no SACK block, nothing SACKed, no recovery. The scoreboard
 * has nothing to prune or learn, DeliveredData (RFC 6937) is the bytes
 * acked, no ACK is a duplicate (RFC 6675 §2): what remains is RACK's
 * bookkeeping (RFC 8985 §6.2 steps 1-4, §7.4), the cumulative ACK's cwnd
 * growth and RACK's loss check (step 5), in tcp_sack_ack's order. */
int tcp_sack_ack_predicted(struct synack_stack *st, struct sn_tcb *tcb,
			   const struct sn_tcp_seg *seg, uint32_t acked)
{
	struct sn_sack_sb *sb = tcb->sb;

	if (!sb)
		return 0; /* NewReno: no block was ever taken */
	tcp_rack_on_plain_ack(st, tcb, seg);
	if (!sb->blocks_seen)
		return 0; /* the peer never SACKed: NewReno */
	if (sb->rto_loss && seq_geq(tcb->snd_una, tcb->recover))
		sb->rto_loss = 0; /* the timeout's recovery is over (RFC 6675 §5.1) */
	tcp_cc_on_ack(st, tcb, acked);
	if (tcp_rack_active(tcb) && tcp_rack_detect_loss(st, tcb) &&
	    seq_geq(tcb->snd_una, tcb->recover))
		enter_recovery(st, tcb, acked, 0);
	return 1;
}

void tcp_sack_reo_timeout(struct synack_stack *st, struct sn_tcb *tcb)
{
	st->ctr.rack_reo_timeouts++;
	if (tcp_rack_active(tcb) && tcp_rack_detect_loss(st, tcb) && !tcb->in_recovery &&
	    seq_geq(tcb->snd_una, tcb->recover))
		enter_recovery(st, tcb, 0, 0);
	tcp_output(st, tcb);
}

int tcp_sack_on_timeout(struct synack_stack *st, struct sn_tcb *tcb)
{
	struct sn_sack_sb *sb = tcb->sb;
	int fast = tcb->sack_recovery;

	tcb->sack_recovery = 0;
	if (!sb)
		return 0;
	if (fast) /* what the timeout interrupted, as Linux's tcp_retransmit_timer counts */
		st->ctr.sack_recovery_fail++;
	else if (sb->rto_loss)
		st->ctr.loss_failures++;
	else if (sb->n)
		st->ctr.sack_failures++;
	sb->prr = 0;
	sb->rescue_set = 0;
	sb->high_rxt = tcb->snd_una;
	/* RFC 6675 §5.1: keep what the peer reported, unless a timeout
	 * follows a timeout with no cumulative progress (reneging suspected) */
	if (tcb->nretrans > 1)
		sb->n = 0;
	sb->rto_loss = sb->blocks_seen && tcb->syn_acked;
	tcp_rack_on_timeout(tcb, sb->rto_loss);
	return sb->rto_loss;
}

uint32_t tcp_sack_sacked_bytes(const struct sn_tcb *tcb)
{
	return tcb->sb ? sb_bytes(tcb->sb) : 0;
}
