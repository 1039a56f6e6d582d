/*
 * fastpath.c: header prediction for ESTABLISHED connections (Van Jacobson's
 * fast path, as in 4.4BSD's tcp_input and Linux's tcp_rcv_established).
 *
 * Nearly every segment of a busy connection is one of two kinds: the next
 * in-order data segment, or a pure ACK of new data. For those, most of the
 * RFC 9293 §3.10.7 steps in input.c are tests that cannot fire. This file
 * recognises them with a few comparisons and then does, in the same order,
 * exactly what the steps would have done: TS.Recent update (RFC 7323 §4.3),
 * window update, the ACK of new data (tcp_ack_new_data and congestion
 * control, shared with input.c), keepalive restart, the text into the
 * receive queue with the delayed-ACK rule (SHLD-19), then output. On a SACK
 * connection the ACK takes tcp_sack_ack_predicted, tcp_sack_ack without the
 * scoreboard work a segment with no blocks and nothing SACKed cannot need;
 * when output could send nothing (tcp_output_may_send), only its timers run.
 * The counters hp_hits and hp_acks (Linux's TCPHPHits, TCPHPAcks) say how
 * often.
 *
 * The invariant is behavioural: with the fast path on or off, a stack sends
 * the same bytes at the same times (tests/unit/test_fastpath.c runs seeded
 * simulations both ways and compares every datagram). So the preconditions
 * are strict, and everything else falls through to the full steps:
 *  - state ESTABLISHED, our SYN acknowledged; no IP source route on the
 *    datagram (SHLD-24: the full steps may adopt it);
 *  - flags ACK, optionally PSH: no SYN, FIN, RST, URG, ECE or CWR; no CE
 *    mark in the IP header (RFC 3168: the ECN echo is set in ecn.c);
 *  - SEG.SEQ = RCV.NXT, and the text fits both the advertised window and
 *    the receive ring (so the first step would trim nothing);
 *  - options: none, or just the timestamps the connection negotiated, with
 *    a TSval not older than TS.Recent (so PAWS has nothing to say); no SACK
 *    blocks, no SYN-only options;
 *  - SND.UNA <= SEG.ACK <= SND.MAX, acknowledging no FIN; a pure ACK must
 *    acknowledge new data (an ACK of nothing may be a duplicate ACK);
 *  - no recovery, duplicate-ACK count, urgent mode or out-of-order queue,
 *    no SACKed data in the scoreboard (sack.c prunes it and watches for
 *    reneging on every ACK); ECN's echo and CWR state only change what
 *    output sends, which the fast path shares.
 */
#include "stack/stack.h"
#include "tcp/sack.h"
#include "tcp/tcb.h"
#include "wire/ipv4.h"

/* The options of a predicted segment: exactly what the connection sends. */
__attribute__((always_inline)) static inline int opts_predicted(const struct sn_tcb *tcb,
								 const struct sn_tcp_seg *seg)
{
	const struct sn_tcp_opts *o = &seg->opts;

	if (o->has_mss || o->has_wscale || o->sack_ok || o->nsack || o->has_ts != tcb->ts_ok)
		return 0;
	/* RFC 7323 §5.3 R1: an older TSval is PAWS's to judge (timestamps
	 * compare like sequence numbers, §5.2) */
	return !o->has_ts || !tcb->ts_recent_set || !seq_lt(o->ts_val, tcb->ts_recent);
}

static int predicted(const struct synack_stack *st, const struct sn_tcb *tcb,
		     const struct sn_tcp_seg *seg)
{
	/* a source-routed segment takes the full steps: SHLD-24 may adopt
	 * its route (input.c adopt_route) */
	if (st->fastpath_off || tcb->state != SYNACK_ESTABLISHED || !tcb->syn_acked ||
	    st->rx_route.n)
		return 0;
	if ((seg->flags & (uint8_t)~SN_TCP_PSH) != SN_TCP_ACK || seg->seq != tcb->rcv_nxt ||
	    seg->ecn == SN_IP_ECN_CE)
		return 0;
	if (tcb->in_recovery || tcb->dupacks || tcb->urg_send || tcb->ooo || tcb->ooo_fin)
		return 0;
	if (tcb->sb && tcb->sb->n) /* SACKed ranges (sack.h) */
		return 0;
	uint32_t acked = seg->ack - tcb->snd_una;
	if (seq_lt(seg->ack, tcb->snd_una) || seq_gt(seg->ack, tcb->snd_max) ||
	    acked > sn_ring_len(&tcb->sndbuf))
		return 0;
	if (seg->len == 0 ? acked == 0
			  : seg->len > tcb->rcv_adv - tcb->rcv_nxt ||
				    seg->len > sn_ring_space(&tcb->rcvbuf))
		return 0;
	return opts_predicted(tcb, seg);
}

/* In-order text on a connection with nothing out of order: process_text. */
static void fast_text(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	int adv = tcp_reass_store(st, tcb, seg->seq, seg->payload, seg->len);

	if (adv < 0) /* no buffer memory: dropped and counted as input.c does */
		sn_count_drop(st, adv == -2 ? SYNACK_DROP_OOO_MEM : SYNACK_DROP_OOO_FULL, seg,
			      tcb->remote.addr, tcb->local.addr);
	tcp_ack_in_order(tcb); /* SHLD-19 */
}

int tcp_fastpath(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	if (!predicted(st, tcb, seg))
		return 0;
	tcp_ts_recent_update(st, tcb, seg);                         /* first step, R3 */
	tcp_update_window(tcb, seg, (uint32_t)seg->wnd << tcb->snd_wscale); /* fifth */
	if (seg->ack != tcb->snd_una) { /* as process_ack_cc, outside recovery */
		uint32_t acked = tcp_ack_new_data(st, tcb, seg);
		if (!tcb->sack_ok || !tcp_sack_ack_predicted(st, tcb, seg, acked))
			tcp_cc_on_ack(st, tcb, acked);
	}
	tcp_keepalive_reset(st, tcb);
	if (seg->len) {                                             /* seventh */
		st->ctr.hp_hits++;
		fast_text(st, tcb, seg);
	} else {
		st->ctr.hp_acks++;
	}
	if (tcb->delack_segs && !tcb->ack_now && !tcb->deadline[SN_T_DELACK])
		tcp_timer_set(st, tcb, SN_T_DELACK, st->now + st->cfg.delack_us);
	/* tcp_output, which with nothing it may send only sets the timers
	 * (ESTABLISHED, our SYN acknowledged: it walks nothing else) */
	if (tcp_output_may_send(tcb))
		tcp_output(st, tcb);
	else
		tcp_timers_after_send(st, tcb);
	return 1;
}
