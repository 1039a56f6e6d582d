/*
 * timewait.c: the compact TIME-WAIT table (see timewait.h for the layout).
 *
 * Invariants:
 *  - an entry is live iff SN_TW_F_USED is set; a live entry is on exactly one
 *    hash chain and exactly one expiry FIFO, and holds its local port;
 *  - every FIFO is sorted by expiry (ties in insertion order) and its wheel
 *    timer is armed at its head's expiry exactly when it is not empty;
 *  - count <= the max_timewait in force when each entry was inserted.
 * Segment processing follows RFC 9293 §3.10.7.4 for TIME-WAIT with MUST-13
 * (2*MSL restarted by a retransmitted FIN), MAY-2 / RFC 6191 (a new SYN may
 * reopen) and RFC 1337 (tcp_rfc1337), in the order of Linux's
 * tcp_timewait_state_process: PAWS, RST, new SYN, TS.Recent from a valid
 * bare ACK, the retransmitted FIN, then an ACK to anything else, rate limited
 * per entry (tw_oow_limited).
 */
#include <errno.h>
#include <stdlib.h>

#include "stack/stack.h"
#include "tcp/tcb.h"
#include "tcp/timewait.h"

#define CHUNK_ENTRIES (1u << SN_TW_CHUNK_SHIFT)
#define BUCKETS_MIN 1024u

static inline struct sn_tw *tw_at(const struct sn_tw_table *t, uint32_t i)
{
	return &t->chunks[i >> SN_TW_CHUNK_SHIFT][i & (CHUNK_ENTRIES - 1)];
}

static inline unsigned tw_queue_of(const struct sn_tw *tw)
{
	return (tw->flags >> SN_TW_Q_SHIFT) & (SN_TW_QUEUES - 1);
}

static uint32_t tw_hash(const struct synack_stack *st, uint32_t laddr, uint16_t lport,
			uint32_t raddr, uint16_t rport)
{
	return (uint32_t)sn_siphash_tuple(&st->hash_key, laddr, raddr, lport, rport);
}

static void tw_queue_fired(struct sn_timer *t, uint64_t now, void *ctx);

int sn_tw_init(struct synack_stack *st)
{
	struct sn_tw_table *t = &st->tw;

	*t = (struct sn_tw_table){.free_head = SN_TW_NIL};
	t->buckets = malloc(BUCKETS_MIN * sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	for (uint32_t b = 0; b < BUCKETS_MIN; b++)
		t->buckets[b] = SN_TW_NIL;
	t->mask = BUCKETS_MIN - 1;
	for (int q = 0; q < SN_TW_QUEUES; q++) {
		t->q[q].head = t->q[q].tail = SN_TW_NIL;
		sn_timer_init(&t->q[q].timer, tw_queue_fired);
	}
	return 0;
}

void sn_tw_destroy(struct synack_stack *st)
{
	struct sn_tw_table *t = &st->tw;

	for (int q = 0; q < SN_TW_QUEUES; q++)
		sn_wheel_cancel(&st->wheel, &t->q[q].timer);
	for (uint32_t c = 0; c < t->nchunks; c++)
		free(t->chunks[c]);
	free(t->chunks);
	free(t->buckets);
	t->chunks = NULL;
	t->buckets = NULL;
}

size_t sn_tw_memory(const struct synack_stack *st)
{
	const struct sn_tw_table *t = &st->tw;

	return (size_t)t->nchunks * CHUNK_ENTRIES * sizeof(struct sn_tw) +
	       (size_t)t->chunks_cap * sizeof(*t->chunks) +
	       ((size_t)t->mask + 1) * sizeof(*t->buckets);
}

/* ---------------------------------------------------------- slab */

static uint32_t slab_get(struct sn_tw_table *t)
{
	if (t->free_head != SN_TW_NIL) {
		uint32_t i = t->free_head;
		t->free_head = tw_at(t, i)->hnext;
		return i;
	}
	if (t->carved == SN_TW_NIL)
		return SN_TW_NIL;
	if ((t->carved >> SN_TW_CHUNK_SHIFT) == t->nchunks) {
		if (t->nchunks == t->chunks_cap) {
			uint32_t cap = t->chunks_cap ? 2 * t->chunks_cap : 4;
			struct sn_tw **c = realloc(t->chunks, cap * sizeof(*c));
			if (!c)
				return SN_TW_NIL;
			t->chunks = c;
			t->chunks_cap = cap;
		}
		struct sn_tw *chunk = malloc(CHUNK_ENTRIES * sizeof(*chunk));
		if (!chunk)
			return SN_TW_NIL;
		t->chunks[t->nchunks++] = chunk;
	}
	return t->carved++;
}

static void slab_put(struct sn_tw_table *t, uint32_t i)
{
	struct sn_tw *tw = tw_at(t, i);

	tw->flags = 0;
	tw->hnext = t->free_head;
	t->free_head = i;
}

/* ---------------------------------------------------------- hash */

/* Double the buckets when entries outnumber them. O(n) once per doubling,
 * amortised O(1) per insert; on allocation failure chains just get longer. */
static void hash_grow(struct synack_stack *st)
{
	struct sn_tw_table *t = &st->tw;
	uint32_t n = (t->mask + 1) * 2;

	if (t->mask >= (1u << 30))
		return;
	uint32_t *nb = malloc((size_t)n * sizeof(*nb));
	if (!nb)
		return;
	for (uint32_t b = 0; b < n; b++)
		nb[b] = SN_TW_NIL;
	for (uint32_t b = 0; b <= t->mask; b++) {
		for (uint32_t i = t->buckets[b], next; i != SN_TW_NIL; i = next) {
			struct sn_tw *tw = tw_at(t, i);
			uint32_t h = tw_hash(st, tw->laddr, tw->lport, tw->raddr, tw->rport) & (n - 1);
			next = tw->hnext;
			tw->hnext = nb[h];
			nb[h] = i;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->mask = n - 1;
}

static uint32_t hash_find(const struct synack_stack *st, uint32_t laddr, uint16_t lport,
			  uint32_t raddr, uint16_t rport)
{
	const struct sn_tw_table *t = &st->tw;
	uint32_t i = t->buckets[tw_hash(st, laddr, lport, raddr, rport) & t->mask];

	while (i != SN_TW_NIL) {
		const struct sn_tw *tw = tw_at(t, i);
		if (tw->raddr == raddr && tw->rport == rport && tw->lport == lport &&
		    tw->laddr == laddr)
			return i;
		i = tw->hnext;
	}
	return SN_TW_NIL;
}

/* Unlink tw from its chain; returns its index. */
static uint32_t hash_unlink(struct synack_stack *st, const struct sn_tw *tw)
{
	struct sn_tw_table *t = &st->tw;
	uint32_t *pp = &t->buckets[tw_hash(st, tw->laddr, tw->lport, tw->raddr, tw->rport) & t->mask];

	while (*pp != SN_TW_NIL && tw_at(t, *pp) != tw)
		pp = &tw_at(t, *pp)->hnext;
	uint32_t i = *pp;
	if (i != SN_TW_NIL)
		*pp = tw->hnext;
	return i;
}

/* ---------------------------------------------------------- expiry FIFOs */

static void queue_arm(struct synack_stack *st, struct sn_tw_queue *q)
{
	if (q->head == SN_TW_NIL) {
		sn_wheel_cancel(&st->wheel, &q->timer);
		return;
	}
	uint64_t at = sn_tw_expires(tw_at(&st->tw, q->head));
	if (!sn_timer_pending(&q->timer) || q->timer.expires != at)
		sn_wheel_add(&st->wheel, &q->timer, at);
}

/* Take tw off its FIFO; rearm: re-arm the FIFO's timer if the head changed
 * (the expiry loop arms it once, at the end). */
static void queue_unlink(struct synack_stack *st, struct sn_tw *tw, int rearm)
{
	struct sn_tw_table *t = &st->tw;
	struct sn_tw_queue *q = &t->q[tw_queue_of(tw)];
	uint32_t head = q->head;

	if (tw->qprev != SN_TW_NIL)
		tw_at(t, tw->qprev)->qnext = tw->qnext;
	else
		q->head = tw->qnext;
	if (tw->qnext != SN_TW_NIL)
		tw_at(t, tw->qnext)->qprev = tw->qprev;
	else
		q->tail = tw->qprev;
	if (rearm && q->head != head)
		queue_arm(st, q);
}

/* The FIFO to put an entry expiring at `at` on: the one whose tail expires
 * latest but not after `at`, else an empty one; -1 if every tail is later. */
static int queue_pick(const struct sn_tw_table *t, uint64_t at)
{
	int best = -1, empty = -1;
	uint64_t best_at = 0;

	for (int q = 0; q < SN_TW_QUEUES; q++) {
		if (t->q[q].tail == SN_TW_NIL) {
			if (empty < 0)
				empty = q;
			continue;
		}
		uint64_t tail_at = sn_tw_expires(tw_at(t, t->q[q].tail));
		if (tail_at <= at && (best < 0 || tail_at > best_at)) {
			best = q;
			best_at = tail_at;
		}
	}
	return best >= 0 ? best : empty;
}

/* Put entry i (tw) on a FIFO in order of its expiry. */
static void queue_insert(struct synack_stack *st, uint32_t i, struct sn_tw *tw)
{
	struct sn_tw_table *t = &st->tw;
	uint64_t at = sn_tw_expires(tw);
	int qn = queue_pick(t, at);
	uint32_t after;

	if (qn < 0) {
		/* the MSL was lowered SN_TW_QUEUES times within one 2*MSL: walk
		 * back from the tail of FIFO 0 to the place (rare, O(distance)) */
		qn = 0;
		after = t->q[0].tail;
		while (after != SN_TW_NIL && sn_tw_expires(tw_at(t, after)) > at)
			after = tw_at(t, after)->qprev;
	} else {
		after = t->q[qn].tail;
	}
	struct sn_tw_queue *q = &t->q[qn];
	tw->flags = (uint8_t)((tw->flags & ~(uint8_t)((SN_TW_QUEUES - 1) << SN_TW_Q_SHIFT)) |
			      (qn << SN_TW_Q_SHIFT));
	tw->qprev = after;
	tw->qnext = after == SN_TW_NIL ? q->head : tw_at(t, after)->qnext;
	if (tw->qnext != SN_TW_NIL)
		tw_at(t, tw->qnext)->qprev = i;
	else
		q->tail = i;
	if (after != SN_TW_NIL) {
		tw_at(t, after)->qnext = i;
	} else {
		q->head = i;
		queue_arm(st, q);
	}
}

static void set_expiry(struct sn_tw *tw, uint64_t at)
{
	tw->expires_lo = (uint32_t)at;
	tw->expires_hi = (uint32_t)(at >> 32);
}

/* ---------------------------------------------------------- entries */

struct sn_tw *sn_tw_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			   uint16_t rport)
{
	if (!st->tw.count)
		return NULL;
	uint32_t i = hash_find(st, laddr, lport, raddr, rport);
	return i == SN_TW_NIL ? NULL : tw_at(&st->tw, i);
}

struct sn_tw *sn_tw_insert(struct synack_stack *st, const struct synack_endpoint *local,
			   const struct synack_endpoint *remote, uint32_t snd_nxt,
			   uint32_t rcv_nxt, uint32_t rcv_wnd, unsigned port_how,
			   const struct sn_tw_ts *ts)
{
	struct sn_tw_table *t = &st->tw;

	if (t->count >= st->cfg.max_timewait)
		return NULL;
	uint32_t i = slab_get(t);
	if (i == SN_TW_NIL)
		return NULL;
	struct sn_tw *tw = tw_at(t, i);
	*tw = (struct sn_tw){
		.laddr = local->addr,
		.raddr = remote->addr,
		.lport = local->port,
		.rport = remote->port,
		.snd_nxt = snd_nxt,
		.rcv_nxt = rcv_nxt,
		.rcv_wnd = rcv_wnd > 65535 ? 65535 : (uint16_t)rcv_wnd,
		.flags = SN_TW_F_USED | (port_how & SN_PORT_REUSE ? SN_TW_F_REUSE : 0) |
			 (port_how & SN_PORT_SHARED ? SN_TW_F_SHARED : 0) | (ts ? SN_TW_F_TS : 0),
		.ts_recent = ts ? ts->ts_recent : 0,
		.ts_recent_age = ts ? ts->ts_recent_age : 0,
	};
	if (t->count >= t->mask + 1)
		hash_grow(st);
	uint32_t b = tw_hash(st, tw->laddr, tw->lport, tw->raddr, tw->rport) & t->mask;
	tw->hnext = t->buckets[b];
	t->buckets[b] = i;
	t->count++;
	sn_port_hold(st, tw->lport, port_how);
	set_expiry(tw, st->now + 2ull * st->cfg.msl_us);
	queue_insert(st, i, tw);
	return tw;
}

/* Remove a live entry from every structure and free it. */
static void tw_remove(struct synack_stack *st, struct sn_tw *tw, int rearm)
{
	queue_unlink(st, tw, rearm);
	uint32_t i = hash_unlink(st, tw);
	sn_port_release(st, tw->lport, (tw->flags & SN_TW_F_REUSE ? SN_PORT_REUSE : 0) |
					       (tw->flags & SN_TW_F_SHARED ? SN_PORT_SHARED : 0));
	st->tw.count--;
	slab_put(&st->tw, i);
}

static void tw_end(struct synack_stack *st, struct sn_tw *tw, const char *why)
{
	struct synack_endpoint local = {tw->laddr, tw->lport}, remote = {tw->raddr, tw->rport};

	tcp_note_transition(st, &local, &remote, SYNACK_TIME_WAIT, SYNACK_CLOSED, why);
	tw_remove(st, tw, 1);
}

/* §3.10.8 TIME-WAIT TIMEOUT: every head of this FIFO that is due goes. */
static void tw_queue_fired(struct sn_timer *timer, uint64_t now, void *ctx)
{
	struct synack_stack *st = ctx;
	struct sn_tw_queue *q = sn_container_of(timer, struct sn_tw_queue, timer);
	(void)now;

	while (q->head != SN_TW_NIL) {
		struct sn_tw *tw = tw_at(&st->tw, q->head);
		if (sn_tw_expires(tw) > st->now)
			break;
		struct synack_endpoint local = {tw->laddr, tw->lport}, remote = {tw->raddr, tw->rport};
		st->ctr.tw_expired++;
		tcp_note_transition(st, &local, &remote, SYNACK_TIME_WAIT, SYNACK_CLOSED,
				    "2MSL timeout");
		tw_remove(st, tw, 0);
	}
	queue_arm(st, q); /* once, for the new head */
}

static void tw_restart(struct synack_stack *st, struct sn_tw *tw)
{
	uint32_t i = hash_find(st, tw->laddr, tw->lport, tw->raddr, tw->rport);

	queue_unlink(st, tw, 1);
	set_expiry(tw, st->now + 2ull * st->cfg.msl_us);
	queue_insert(st, i, tw);
}

void sn_tw_kill(struct synack_stack *st, struct sn_tw *tw, const char *why)
{
	tw_end(st, tw, why);
}

int sn_tw_syn_is_new(struct synack_stack *st, const struct sn_tw *tw, const struct sn_tcp_seg *seg)
{
	/* RFC 6191 §2, no timestamps: the SYN's sequence number is greater
	 * than the last one seen on the old connection */
	int seq_new = seq_gt(seg->seq, tw->rcv_nxt);

	/* Timestamps decide when both incarnations use them: the old one did
	 * and the new one would (the SYN offers them and our SYN,ACK would).
	 * When only the new one would, RFC 6191 honors the SYN; we take the
	 * sequence rule as Linux does, because a segment without a TSopt is
	 * not dropped (options.c), so PAWS would not shield the new
	 * incarnation from the old one's duplicates. */
	if (!(tw->flags & SN_TW_F_TS) || !st->cfg.tcp_timestamps || !seg->opts.has_ts)
		return seq_new;
	if ((int32_t)(seg->opts.ts_val - tw->ts_recent) > 0)
		return 1; /* newer than the last timestamp seen */
	if (seg->opts.ts_val == tw->ts_recent)
		return seq_new;
	st->ctr.paws_rejected++; /* older: an old duplicate (RFC 7323 §5) */
	return 0;
}

int sn_tw_reusable(const struct synack_stack *st, const struct sn_tw *tw)
{
	/* tcp_tw_reuse = 1 only: 2 is Linux's loopback-only, and nothing
	 * here is loopback. The new incarnation's timestamps (the same
	 * per-4-tuple offset, a later clock) then exceed everything the old
	 * one sent, so the peer's PAWS rejects the old duplicates. */
	if (st->cfg.tcp_tw_reuse != 1 || !(tw->flags & SN_TW_F_TS))
		return 0;
	return (int32_t)(sn_tw_now_ms(st->now) - tw->ts_recent_age) >=
	       (int32_t)(st->cfg.tw_reuse_delay_us / 1000u);
}

uint32_t sn_tw_recycle(struct synack_stack *st, struct sn_tw *tw, const char *why)
{
	uint32_t iss_min = tw->snd_nxt + 65535 + 2;

	tw_end(st, tw, why);
	return iss_min;
}

/* tcp_invalid_ratelimit in TIME-WAIT, as Linux's tcp_oow_rate_limited from
 * tcp_timewait_state_process: an ACK in answer to a segment that takes no
 * sequence space (a pure ACK PAWS rejected) or carries a SYN (an old or
 * unwanted SYN) goes at most once per invalid_ratelimit_us per entry; the
 * others are dropped unanswered, counted (TcpExtTCPACKSkippedTimeWait).
 * Data and FINs are always answered: they are not part of an ACK loop, and
 * a retransmitted FIN must be re-ACKed every time (MUST-13). A spoofed SYN
 * flood at one 4-tuple thus gets at most two ACKs a second out of us.
 * Returns 1 if this one goes unanswered. */
static int tw_oow_limited(struct synack_stack *st, struct sn_tw *tw, const struct sn_tcp_seg *seg)
{
	/* the ms clock plus one, so that 0 means "never" even at time 0 */
	uint32_t now_ms = sn_tw_now_ms(st->now) + 1;
	uint32_t limit_ms = st->cfg.invalid_ratelimit_us / SN_US_PER_MS;

	if ((sn_tcp_seg_seqlen(seg) > 0 && !(seg->flags & SN_TCP_SYN)) || limit_ms == 0)
		return 0;
	if (tw->last_oow_ack_ms && now_ms - tw->last_oow_ack_ms < limit_ms) {
		st->ctr.oow_acks_skipped_tw++;
		return 1;
	}
	tw->last_oow_ack_ms = now_ms ? now_ms : 1;
	return 0;
}

static void tw_ack(struct synack_stack *st, struct sn_tw *tw)
{
	struct synack_endpoint local = {tw->laddr, tw->lport}, remote = {tw->raddr, tw->rport};

	if (!(tw->flags & SN_TW_F_TS)) {
		tcp_emit_bare(st, &local, &remote, tw->snd_nxt, tw->rcv_nxt, SN_TCP_ACK, tw->rcv_wnd);
		return;
	}
	/* RFC 7323 §3.2: the connection's TSopt, from its clock (the offset is
	 * a function of the 4-tuple, isn.c) and echoing TS.Recent */
	uint32_t ts_val = sn_tw_now_ms(st->now) + tcp_ts_offset(st, &local, &remote);
	tcp_emit_bare_ts(st, &local, &remote, tw->snd_nxt, tw->rcv_nxt, SN_TCP_ACK, tw->rcv_wnd,
			 ts_val, tw->ts_recent);
}

/* An RST in TIME-WAIT. Linux's default (tcp_rfc1337 = 0): an RST exactly at
 * RCV.NXT ends TIME-WAIT early, any other is dropped. RFC 1337 (TIME-WAIT
 * assassination, hazard H1-H3; tcp_rfc1337 = 1): ignore it, the entry lives
 * out its 2*MSL. */
static void tw_rst(struct synack_stack *st, struct sn_tw *tw, const struct sn_tcp_seg *seg)
{
	if (seg->seq != tw->rcv_nxt) {
		sn_count_drop(st, SYNACK_DROP_RST_SEQ, seg, tw->raddr, tw->laddr);
		return;
	}
	if (st->cfg.tcp_rfc1337) {
		st->ctr.tw_rst_ignored++;
		sn_count_drop(st, SYNACK_DROP_TIMEWAIT, seg, tw->raddr, tw->laddr);
		return;
	}
	st->ctr.rst_in++;
	st->ctr.tw_rst_killed++;
	tw_end(st, tw, "rcv RST");
}

/* RFC 7323 §5.5: TS.Recent older than 24 days is no longer valid (ms). */
#define TW_PAWS_IDLE_MS (24u * 24 * 3600 * 1000)
/* Linux's TCP_PAWS_MSL (60 s, in ms): how long PAWS holds RSTs back. */
#define TW_PAWS_RST_MS (60u * 1000)

/* RFC 7323 §5.3 R1 against an entry: the segment's TSval is older than
 * TS.Recent, and TS.Recent was stored less than valid_ms ago. */
static int tw_paws_old(const struct synack_stack *st, const struct sn_tw *tw,
		       const struct sn_tcp_seg *seg, uint32_t valid_ms)
{
	if (!(tw->flags & SN_TW_F_TS) || !seg->opts.has_ts)
		return 0;
	if ((int32_t)(seg->opts.ts_val - tw->ts_recent) >= 0)
		return 0;
	return sn_tw_now_ms(st->now) - tw->ts_recent_age < valid_ms;
}

/* A segment PAWS found old: counted (paws_rejected, drop reason paws), and
 * ACKed as §5.3 R1 says unless it is an RST (never answered), within the
 * rate limit. */
static void tw_paws_drop(struct synack_stack *st, struct sn_tw *tw, const struct sn_tcp_seg *seg)
{
	st->ctr.paws_rejected++;
	sn_count_drop(st, SYNACK_DROP_PAWS, seg, tw->raddr, tw->laddr);
	if (!(seg->flags & SN_TCP_RST) && !tw_oow_limited(st, tw, seg))
		tw_ack(st, tw);
}

/* RFC 7323 §4.3 / §5.3 R3 in TIME-WAIT: a segment that passed PAWS, lies at
 * RCV.NXT (SEG.SEQ <= Last.ACK.sent, which is RCV.NXT here) and takes no
 * sequence space (the only acceptable kind now: a bare ACK) stores its
 * TSval as TS.Recent, and now as its age, as Linux's tw_ts_recent and
 * tw_ts_recent_stamp. So PAWS here rejects against the peer's current
 * clock, and tcp_tw_reuse's delay runs from the last timestamp heard. As
 * everywhere (options.c, §5.2) nothing from an RST updates it, and as in
 * Linux a retransmitted FIN (below RCV.NXT, not acceptable) does not: our
 * re-ACK echoes the TSval of the FIN that advanced RCV.NXT (§4.3 (B)). */
static void tw_ts_recent_update(struct synack_stack *st, struct sn_tw *tw,
				const struct sn_tcp_seg *seg)
{
	if (!(tw->flags & SN_TW_F_TS) || !seg->opts.has_ts || seg->seq != tw->rcv_nxt ||
	    sn_tcp_seg_seqlen(seg) != 0)
		return;
	tw->ts_recent = seg->opts.ts_val;
	tw->ts_recent_age = sn_tw_now_ms(st->now);
}

/* SEGMENT ARRIVES in TIME-WAIT (§3.10.7.4 with MUST-13). PAWS (RFC 7323
 * §5.3) first, as Linux's tcp_timewait_state_process: a non-SYN segment
 * with an older TSval is ACKed and dropped; it restarts nothing. An RST is
 * exempt from PAWS in RFC 7323 §5.3, but in TIME-WAIT an old duplicate RST
 * would end the entry early (RFC 1337 hazard H1), so, as Linux
 * (tcp_paws_reject with rst), one with an older TSval is dropped unless
 * TS.Recent is older than TCP_PAWS_MSL (the peer may have rebooted). SYNs
 * are judged by sn_tw_syn_is_new(), which applies PAWS itself. */
int sn_tw_input(struct synack_stack *st, struct sn_tw *tw, const struct sn_tcp_seg *seg,
		int can_reopen, uint32_t *iss_min)
{
	if (seg->flags & SN_TCP_RST) {
		if (tw_paws_old(st, tw, seg, TW_PAWS_RST_MS))
			tw_paws_drop(st, tw, seg);
		else
			tw_rst(st, tw, seg);
		return 0;
	}
	if (can_reopen && (seg->flags & SN_TCP_SYN) && !(seg->flags & SN_TCP_ACK) &&
	    sn_tw_syn_is_new(st, tw, seg)) {
		/* a new incarnation (MAY-2, RFC 6191); our ISN must lie beyond
		 * everything the old one sent (MAY-2 condition 1) */
		st->ctr.tw_syn_accepted++;
		*iss_min = sn_tw_recycle(st, tw, "rcv SYN (new incarnation)");
		return 1;
	}
	if (!(seg->flags & SN_TCP_SYN) && tw_paws_old(st, tw, seg, TW_PAWS_IDLE_MS)) {
		tw_paws_drop(st, tw, seg);
		return 0;
	}
	if ((seg->flags & SN_TCP_FIN) && seg->seq + seg->len + 1 == tw->rcv_nxt) {
		/* the peer's FIN again: our last ACK was lost. Re-ACK (never
		 * rate limited), restart 2MSL */
		st->ctr.tw_fin_reacked++;
		tw_restart(st, tw);
		tw_ack(st, tw);
		return 0;
	}
	if (!(seg->flags & SN_TCP_SYN))
		tw_ts_recent_update(st, tw, seg);
	sn_count_drop(st, SYNACK_DROP_TIMEWAIT, seg, tw->raddr, tw->laddr);
	/* anything else that takes sequence space: ACK, SYNs within the limit */
	if (sn_tcp_seg_seqlen(seg) > 0 && !tw_oow_limited(st, tw, seg))
		tw_ack(st, tw);
	return 0;
}

static void tw_row(const struct sn_tw *tw, struct synack_conn_info *ci)
{
	*ci = (struct synack_conn_info){
		.state = SYNACK_TIME_WAIT,
		.local = {tw->laddr, tw->lport},
		.remote = {tw->raddr, tw->rport},
		.sock = -1,
		.timer = SYNACK_TIMER_TIMEWAIT,
		.timer_expires = sn_tw_expires(tw),
	};
}

int sn_tw_foreach(struct synack_stack *st, int (*fn)(void *ctx, const struct synack_conn_info *ci),
		  void *ctx)
{
	const struct sn_tw_table *t = &st->tw;
	struct synack_conn_info ci;

	for (int q = 0; q < SN_TW_QUEUES; q++) {
		for (uint32_t i = t->q[q].head; i != SN_TW_NIL;) {
			const struct sn_tw *tw = tw_at(t, i);
			tw_row(tw, &ci);
			i = tw->qnext;
			if (fn(ctx, &ci))
				return 1;
		}
	}
	return 0;
}

int sn_tw_walk(struct synack_stack *st, uint32_t *slot, uint64_t *budget,
	       int (*fn)(void *ctx, const struct synack_conn_info *ci), void *ctx)
{
	const struct sn_tw_table *t = &st->tw;
	struct synack_conn_info ci;

	/* slab order: an entry keeps its slot for life, so a resumed walk
	 * neither repeats nor misses one that lives throughout */
	for (; *slot < t->carved; ++*slot) {
		if (!*budget)
			return 1;
		--*budget;
		const struct sn_tw *tw = tw_at(t, *slot);
		if (!(tw->flags & SN_TW_F_USED))
			continue;
		tw_row(tw, &ci);
		if (fn(ctx, &ci)) {
			++*budget; /* not taken: the next walk visits it again */
			return 1;
		}
	}
	return 0;
}
