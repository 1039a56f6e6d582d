/*
 * timers.c: the connection's timers, named after what they do.
 *
 * Each deadline is plain data (tcb->deadline[], absolute µs, 0 = off); one
 * wheel timer per TCB is armed for the earliest. When it fires, every due
 * deadline runs its handler:
 *   REXMT    retransmit SYN/data/FIN with exponential backoff; at R1
 *            (retries1) retransmissions of one segment give IP negative
 *            advice and flag the socket (MUST-20, SHLD-9); give up after
 *            R2 (syn_retries for a SYN, synack_retries for a passive open's
 *            SYN,ACK, retries2 for data) or the user
 *            timeout (RFC 9293 §3.8.3, MUST-20..23; RFC 6298 §5). On a RACK
 *            connection the same deadline may be a tail loss probe timeout
 *            or RACK's reordering timer instead (RFC 8985 §8; rack.c)
 *   PERSIST  zero-window probe (MUST-35..37; SHLD-29/30: first after RTO, backoff)
 *   DELACK   the delayed ACK (SHLD-18: under 500 ms)
 *   KEEP     keepalive probe (MUST-24..29; off unless SO_KEEPALIVE): after
 *            keepalive_time of silence (MUST-26/28: configurable, default
 *            2 h), up to keepalive_probes probes keepalive_intvl apart, then
 *            -ETIMEDOUT; each per socket through TCP_KEEPIDLE/INTVL/CNT
 *   FINWAIT2 an orphaned connection stuck in FIN-WAIT-2 is closed (tcp_fin_timeout)
 */
#include <errno.h>

#include "stack/stack.h"
#include "tcp/sack.h"


/* Lazy re-arm: the wheel timer moves only when a deadline comes earlier
 * than its expiry. A later or cleared deadline leaves it where it is; it
 * then fires early, tcp_timer_fired finds nothing due and arms it for the
 * earliest deadline left. On an ACK of new data, RFC 6298 (5.3) restarts
 * the retransmission timer (clear, then set one RTO on): with this, that
 * costs two stores, not a cancel and an insert per ACK (BSD's and Linux's
 * delayed timer work does the same). sn_stack_next_deadline may therefore
 * be early, never late (a spurious wakeup, at most one per armed TCB). */
static void rearm(struct synack_stack *st, struct sn_tcb *tcb)
{
	uint64_t first = 0;

	for (int i = 0; i < SN_T_COUNT; i++)
		if (tcb->deadline[i] && (!first || tcb->deadline[i] < first))
			first = tcb->deadline[i];
	if (!first)
		return;
	if (!sn_timer_pending(&tcb->timer) || tcb->timer.expires > first)
		sn_wheel_add(&st->wheel, &tcb->timer, first);
}

void tcp_timer_set(struct synack_stack *st, struct sn_tcb *tcb, enum sn_tcb_timer which, uint64_t at)
{
	tcb->deadline[which] = at ? at : 1;
	if (tcb->timers_running)
		return; /* tcp_timer_fired arms the wheel when its handlers are done */
	if (sn_timer_pending(&tcb->timer) && tcb->timer.expires <= tcb->deadline[which])
		return; /* the armed timer comes first anyway (lazy re-arm) */
	rearm(st, tcb);
}

void tcp_timer_clear(struct synack_stack *st, struct sn_tcb *tcb, enum sn_tcb_timer which)
{
	/* An armed timer stays where it is (lazy re-arm); one that is not
	 * armed (inside tcp_timer_fired) is armed when its handlers finish. */
	tcb->deadline[which] = 0;
	(void)st;
}

uint32_t tcp_rto_current(const struct synack_stack *st, const struct sn_tcb *tcb)
{
	uint64_t rto = (uint64_t)tcb->rto_us << (tcb->backoff < 16 ? tcb->backoff : 16);
	return rto > st->cfg.rto_max_us ? st->cfg.rto_max_us : (uint32_t)rto;
}

static uint32_t user_timeout(const struct synack_stack *st, const struct sn_tcb *tcb)
{
	return tcb->user_timeout_us ? tcb->user_timeout_us : st->cfg.user_timeout_us;
}

/* Keep REXMT armed while sequence space is outstanding and the peer's
 * window is open; PERSIST when data waits with nothing outstanding, behind
 * a zero window or one too small for sender SWS avoidance. The one
 * octet a probe put out does not count as outstanding: the persist timer
 * resends it, and the ACKs that answer it are not duplicate ACKs (as in
 * BSD, where "outstanding data other than a window probe" arms REXMT). */
void tcp_timers_after_send(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (tcb->snd_wnd != 0 && tcb->snd_max != tcb->snd_una) {
		/* the usual case, decided early: data in flight into an open
		 * window (so no probe): the persist timer is off, and the
		 * retransmission timer runs (RFC 6298 (5.1)), or a tail loss
		 * probe's timeout where RFC 8985 §7.2 allows one */
		tcp_timer_clear(st, tcb, SN_T_PERSIST);
		if (!tcb->deadline[SN_T_REXMT] && !tcp_tlp_arm(st, tcb))
			tcp_timer_set(st, tcb, SN_T_REXMT, st->now + tcp_rto_current(st, tcb));
		return;
	}
	int probe_only = tcb->snd_wnd == 0 && tcb->snd_max - tcb->snd_una == 1 &&
			 sn_ring_len(&tcb->sndbuf) > 0 && tcp_state_synchronized(tcb->state);
	int outstanding = tcb->snd_max != tcb->snd_una && !probe_only;
	int blocked = tcp_data_end(tcb) != (tcb->snd_nxt - tcb->snd_una) &&
		      tcp_state_synchronized(tcb->state);

	blocked |= probe_only;
	if (blocked && !outstanding) {
		tcp_timer_clear(st, tcb, SN_T_REXMT);
		if (!tcb->deadline[SN_T_PERSIST])
			tcp_timer_set(st, tcb, SN_T_PERSIST, st->now + tcp_rto_current(st, tcb));
		return;
	}
	if (!blocked || outstanding)
		tcp_timer_clear(st, tcb, SN_T_PERSIST);
	if (!outstanding) {
		tcp_timer_clear(st, tcb, SN_T_REXMT);
		tcb->first_rexmt_at = 0;
		return;
	}
	if (!tcb->deadline[SN_T_REXMT]) /* a zero window: no probe (RFC 8985 §7.2) */
		tcp_timer_set(st, tcb, SN_T_REXMT, st->now + tcp_rto_current(st, tcb));
}

static int retries_exhausted(struct synack_stack *st, struct sn_tcb *tcb)
{
	uint32_t ut = user_timeout(st, tcb);
	uint32_t limit = st->cfg.retries2;

	if (tcb_syn_unacked(tcb)) /* a passive open's SYN,ACK has its own R2 */
		limit = tcb->passive ? st->cfg.synack_retries : st->cfg.syn_retries;

	if (ut)
		return st->now - tcb->first_rexmt_at >= ut;
	return tcb->nretrans > limit;
}

/* The next expiry: one (backed-off) RTO from now, but no later than the
 * user timeout, so that the connection ends when the user timeout says and
 * not up to a doubled RTO later (Linux: tcp_clamp_rto_to_user_timeout). */
static uint64_t rexmt_deadline(struct synack_stack *st, const struct sn_tcb *tcb)
{
	uint64_t at = st->now + tcp_rto_current(st, tcb);
	uint32_t ut = user_timeout(st, tcb);

	if (ut && tcb->first_rexmt_at + ut < at)
		at = tcb->first_rexmt_at + ut;
	return at;
}

/* Count one more zero-window probe; past R2 of them unanswered (any ACK
 * resets the count) the connection ends. Returns 1 if it did. */
static int probe_or_give_up(struct synack_stack *st, struct sn_tcb *tcb)
{
	tcb->probes++;
	st->ctr.zero_window_probes++;
	if (tcb->probes <= st->cfg.retries2 + 1)
		return 0;
	st->ctr.conn_timeouts++;
	tcp_close_tcb(st, tcb, -ETIMEDOUT, "zero-window probes unanswered");
	return 1;
}

/* The peer shrank its window to zero with data in flight (MUST-34,
 * SHLD-17): the retransmissions become zero-window probes, one octet at
 * SND.UNA, and the connection lives as long as the peer answers them
 * (MUST-37), as in Linux's tcp_retransmit_timer. The rest goes again from
 * SND.UNA once the window opens. */
static int shrunk_window_probe(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (probe_or_give_up(st, tcb))
		return 1;
	tcb->timing = 0; /* Karn */
	tcb->snd_nxt = tcb->snd_una;
	tcp_emit(st, tcb, tcb->snd_una, SN_TCP_ACK, 1, 1);
	if (tcb->backoff < 30)
		tcb->backoff++;
	tcp_timer_set(st, tcb, SN_T_REXMT, st->now + tcp_rto_current(st, tcb));
	return 0;
}

static int rexmt_fired(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (tcb->snd_max == tcb->snd_una)
		return 0;
	switch (tcp_rexmt_kind_take(tcb)) { /* one deadline, three timers (RFC 8985 §8) */
	case SN_RX_PTO:
		tcp_tlp_fire(st, tcb);
		return 0;
	case SN_RX_REO:
		tcp_sack_reo_timeout(st, tcb);
		return 0;
	default:
		break;
	}
	if (tcb->snd_wnd == 0 && sn_ring_len(&tcb->sndbuf) && tcp_state_synchronized(tcb->state))
		return shrunk_window_probe(st, tcb);
	if (!tcb->first_rexmt_at)
		tcb->first_rexmt_at = st->now;
	tcb->nretrans++;
	st->ctr.rto_timeouts++;
	if (retries_exhausted(st, tcb)) {
		st->ctr.conn_timeouts++;
		if (user_timeout(st, tcb))
			st->ctr.user_timeouts++;
		tcp_close_tcb(st, tcb, -ETIMEDOUT, "retransmission timeout");
		return 1;
	}
	if (tcb->nretrans >= st->cfg.retries1 && !tcb->r1_reached) {
		/* MUST-20: R1 reached, negative advice to IP; SHLD-9: the
		 * user sees SYNACK_EV_STALL until an ACK clears it */
		tcb->r1_reached = 1;
		sn_ip_negative_advice(st, &tcb->local, &tcb->remote);
	}
	tcp_cc_on_timeout(st, tcb);
	if (!tcp_sack_on_timeout(st, tcb))
		tcb->snd_nxt = tcb->snd_una; /* go back N (else over the holes only) */
	if (tcb->backoff < 30)
		tcb->backoff++;
	tcb->timing = 0;            /* Karn: no sample from a retransmitted segment */
	tcp_output(st, tcb);
	tcp_timer_set(st, tcb, SN_T_REXMT, rexmt_deadline(st, tcb));
	return 0;
}

/* MUST-38 (§3.8.6.2.1 (d)): the window is open but too small for the
 * sender's SWS test and nothing outstanding will bring an ACK: at the
 * override timeout send what fits, so the connection cannot deadlock. */
static void sws_override(struct synack_stack *st, struct sn_tcb *tcb)
{
	uint32_t off = tcb->snd_nxt - tcb->snd_una;
	uint32_t ring = sn_ring_len(&tcb->sndbuf);
	uint32_t len = ring > off ? ring - off : 0;

	if (len > tcb->snd_wnd)
		len = tcb->snd_wnd;
	if (len > tcb->snd_mss)
		len = tcb->snd_mss;
	if (len) {
		tcp_emit(st, tcb, tcb->snd_nxt, SN_TCP_ACK | SN_TCP_PSH, len, 0);
		tcb->snd_nxt += len;
		tcb->snd_max = seq_max(tcb->snd_max, tcb->snd_nxt);
	}
	tcp_output(st, tcb); /* a FIN that may follow; arms REXMT */
}

static int persist_fired(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (!tcp_state_synchronized(tcb->state) || tcp_data_end(tcb) == 0)
		return 0;
	if (tcb->snd_wnd != 0) {
		sws_override(st, tcb);
		return 0;
	}
	/* One byte at SND.UNA: new data, or the unacknowledged probe byte again.
	 * The window may stay zero forever as long as the peer answers (MUST-37). */
	if (probe_or_give_up(st, tcb))
		return 1;
	int retransmit = tcb->snd_max != tcb->snd_una;
	if (retransmit)
		tcb->timing = 0; /* Karn (MUST-18): the probe octet went before */
	tcp_emit(st, tcb, tcb->snd_una, SN_TCP_ACK, 1, retransmit);
	/* SND.NXT stays at SND.UNA: when the window opens, the octet goes
	 * again with the data behind it (BSD does the same) */
	if (!retransmit)
		tcb->snd_max = tcb->snd_una + 1;
	if (tcb->backoff < 30)
		tcb->backoff++;
	tcp_timer_set(st, tcb, SN_T_PERSIST, st->now + tcp_rto_current(st, tcb));
	return 0;
}

uint64_t tcp_keepidle_us(const struct synack_stack *st, const struct sn_tcb *tcb)
{
	return tcb->keepidle_s ? tcb->keepidle_s * (uint64_t)SN_US_PER_SEC : st->cfg.keepalive_time_us;
}

uint64_t tcp_keepintvl_us(const struct synack_stack *st, const struct sn_tcb *tcb)
{
	return tcb->keepintvl_s ? tcb->keepintvl_s * (uint64_t)SN_US_PER_SEC
				: st->cfg.keepalive_intvl_us;
}

uint32_t tcp_keepcnt(const struct synack_stack *st, const struct sn_tcb *tcb)
{
	return tcb->keepcnt ? tcb->keepcnt : st->cfg.keepalive_probes;
}

static int keep_fired(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (!tcb->keepalive || !tcp_state_synchronized(tcb->state))
		return 0;
	if (tcb->probes >= tcp_keepcnt(st, tcb)) {
		st->ctr.conn_timeouts++;
		st->ctr.keepalive_timeouts++;
		tcp_close_tcb(st, tcb, -ETIMEDOUT, "keepalive timeout");
		return 1;
	}
	tcb->probes++;
	st->ctr.keepalive_probes++;
	/* MUST-29 permits a probe with no data: SEG.SEQ = SND.NXT - 1 (here SND.MAX - 1) draws an ACK. */
	tcp_emit(st, tcb, tcb->snd_max - 1, SN_TCP_ACK, 0, 0);
	tcp_timer_set(st, tcb, SN_T_KEEP, st->now + tcp_keepintvl_us(st, tcb));
	return 0;
}

/* Returns 1 when the handler ended the connection (the TCB is gone). */
static int run_due(struct synack_stack *st, struct sn_tcb *tcb, enum sn_tcb_timer which)
{
	switch (which) {
	case SN_T_REXMT:
		return rexmt_fired(st, tcb);
	case SN_T_PERSIST:
		return persist_fired(st, tcb);
	case SN_T_DELACK:
		if (tcb->delack_segs || tcb->ack_now) {
			st->ctr.delayed_acks++;
			tcp_send_ack(st, tcb);
		}
		return 0;
	case SN_T_KEEP:
		return keep_fired(st, tcb);
	case SN_T_FINWAIT2:
		if (tcb->state != SYNACK_FIN_WAIT_2 || tcb->sock)
			return 0;
		tcp_close_tcb(st, tcb, 0, "FIN-WAIT-2 timeout");
		return 1;
	default:
		return 0;
	}
}

/*
 * Run every deadline that is due, then arm the wheel once for the earliest
 * one left. Handlers only record deadlines while this runs (timers_running):
 * arming from inside one (say REXMT's retransmission) would put the timer
 * back at a deadline that a later handler of this same call is about to run
 * (KEEP due at the same instant), leaving it due and firing for nothing at
 * the next poll, so synack_stack_poll(t) would return t (found by
 * fuzz_input). A handler may also make an earlier deadline due again; the
 * scan repeats, a bounded number of times.
 */
void tcp_timer_fired(struct sn_timer *t, uint64_t now, void *ctx)
{
	struct synack_stack *st = ctx;
	struct sn_tcb *tcb = sn_container_of(t, struct sn_tcb, timer);
	int ran = 1;
	(void)now;

	tcb->timers_running = 1;
	for (int pass = 0; ran && pass <= SN_T_COUNT; pass++) {
		ran = 0;
		for (int i = 0; i < SN_T_COUNT; i++) {
			if (!tcb->deadline[i] || tcb->deadline[i] > st->now)
				continue;
			tcb->deadline[i] = 0;
			ran = 1;
			if (run_due(st, tcb, (enum sn_tcb_timer)i))
				return; /* the TCB is gone */
		}
	}
	tcb->timers_running = 0;
	rearm(st, tcb);
}

void tcp_keepalive_reset(struct synack_stack *st, struct sn_tcb *tcb)
{
	tcb->probes = 0;
	if (tcb->keepalive && tcp_state_synchronized(tcb->state))
		tcp_timer_set(st, tcb, SN_T_KEEP, st->now + tcp_keepidle_us(st, tcb));
}
