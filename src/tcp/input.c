/*
 * input.c: SEGMENT ARRIVES, RFC 9293 §3.10.7, as a chain of named steps.
 *
 * A parsed, checksum-verified segment is matched to a connection (4-tuple
 * table), else to a TIME-WAIT entry, else to a listener, else it gets the
 * reset a CLOSED port gives (§3.10.7.1). For a connection the steps run in
 * the RFC's order: check sequence number, check RST, check SYN, check ACK,
 * check URG, process text, check FIN; then output
 * sends whatever the segment made owed (ACK, data, FIN).
 *
 * Each step returns STEP_GO to continue or STEP_DONE when the segment is
 * used up (dropped, or the connection is gone: the TCB must not be touched).
 *
 * RFC 7323 sits inside these steps: the SYNs negotiate the options
 * (options.c), PAWS runs before the sequence check and an acceptable segment
 * may update TS.Recent (§5.3 R1-R3), and the window field is scaled once, on
 * arrival, by Snd.Wind.Shift (§2.3) for the ACK step.
 *
 * Segments to an ESTABLISHED connection that header prediction recognises
 * (in-order data, or a pure ACK of new data, with nothing unusual) take
 * fastpath.c's shortcut instead; it does exactly what these steps would.
 */
#include <errno.h>
#include <string.h>

#include "stack/stack.h"
#include "tcp/tcb.h"
#include "tcp/syncookie.h"
#include "tcp/timewait.h"

enum { STEP_GO = 0, STEP_DONE = 1 };

static void conn_input(struct synack_stack *st, struct sn_tcb *tcb, struct sn_tcp_seg *seg);

/* ---------------------------------------------------------- helpers */

static void drop(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
		 enum synack_drop why)
{
	sn_count_drop(st, why, seg, tcb->remote.addr, tcb->local.addr);
}

static void take_mss(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	/* MUST-15: 536 when the peer sends no MSS option; MUST-16: never more
	 * than our own link allows. */
	uint32_t mss = seg->opts.has_mss ? seg->opts.mss : 536;
	uint32_t ours = (uint32_t)st->cfg.mtu - 40;

	if (mss > ours)
		mss = ours;
	mss -= tcp_route_optlen(tcb->route); /* §3.7.1: IP options come off the MSS */
	if (mss < 64)
		mss = 64; /* a floor against absurd MSS values */
	tcb->snd_mss = (uint16_t)mss;
}

/* Window update rule of §3.10.7.4 (ACK processing); wnd is SEG.WND scaled
 * (RFC 7323 §2.3). */
void tcp_update_window(struct sn_tcb *tcb, const struct sn_tcp_seg *seg, uint32_t wnd)
{
	if (seq_lt(tcb->snd_wl1, seg->seq) ||
	    (tcb->snd_wl1 == seg->seq && seq_leq(tcb->snd_wl2, seg->ack))) {
		tcb->snd_wnd = wnd;
		tcb->snd_wl1 = seg->seq;
		tcb->snd_wl2 = seg->ack;
		if (tcb->snd_wnd > tcb->max_snd_wnd)
			tcb->max_snd_wnd = tcb->snd_wnd;
	}
}

/* ---------------------------------------------------------- LISTEN */

/* iss_min: NULL, or the lowest ISN allowed (a reopened TIME-WAIT, MAY-2). */
static struct sn_tcb *spawn_child(struct synack_stack *st, struct sn_tcb *lis, uint32_t src,
				  const struct sn_tcp_seg *seg, const uint32_t *iss_min)
{
	struct sn_sock *ls = lis->sock;
	struct sn_tcb *c = tcb_alloc(st, sn_sock_sndbuf(st, ls), sn_sock_rcvbuf(st, ls));
	if (!c)
		return NULL;
	c->local = (struct synack_endpoint){lis->local.addr ? lis->local.addr : st->cfg.addr,
					    seg->dport};
	c->remote = (struct synack_endpoint){src, seg->sport};
	c->parent = lis;
	c->passive = 1;
	c->nodelay = lis->nodelay;
	c->keepalive = lis->keepalive;
	c->user_timeout_us = lis->user_timeout_us;
	c->keepidle_s = lis->keepidle_s;
	c->keepintvl_s = lis->keepintvl_s;
	c->keepcnt = lis->keepcnt;
	c->reuseaddr = lis->reuseaddr;
	c->ttl = lis->ttl;
	c->tos = lis->tos;
	if (st->rx_route.n && st->rx_route_src == src)
		tcp_route_store(st, c, &st->rx_route); /* MUST-53: answer by the reversed route
		                                        * (no memory for it: directly) */
	c->cc.algo = lis->cc.algo;
	tcp_state_clone_listen(st, c);
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->iss = tcp_isn(st, &c->local, &c->remote);
	if (iss_min && seq_lt(c->iss, *iss_min))
		c->iss = *iss_min;
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->snd_wnd = seg->wnd;
	c->max_snd_wnd = seg->wnd;
	c->snd_wl1 = seg->seq;
	c->last_ack_sent = c->rcv_nxt;
	take_mss(st, c, seg);
	tcp_opts_offer(st, c);
	tcp_opts_negotiate(st, c, seg); /* the SYN,ACK answers only what the SYN offered */
	tcp_cc_init(c);
	sn_conn_insert(st, c);
	sn_port_hold(st, c->local.port, sn_tcb_port_how(c));
	sn_list_insert_tail(&lis->lq->synq, &c->qlink);
	lis->lq->nsynq++;
	return c;
}

/* Our TSval clock for a 4-tuple that has no TCB (options.c's, same offset). */
static uint32_t ts_now_for(const struct synack_stack *st, const struct synack_endpoint *local,
			   const struct synack_endpoint *remote)
{
	return (uint32_t)(st->now / SN_US_PER_MS) + tcp_ts_offset(st, local, remote);
}

/* Answer a SYN with a SYN cookie and keep nothing (syncookie.h). */
static void listen_send_cookie(struct synack_stack *st, struct sn_tcb *lis, uint32_t src,
			       const struct sn_tcp_seg *seg)
{
	struct synack_endpoint local = {lis->local.addr ? lis->local.addr : st->cfg.addr,
					seg->dport};
	struct synack_endpoint remote = {src, seg->sport};
	uint32_t rcvbuf = sn_sock_rcvbuf(st, lis->sock);
	struct sn_tcp_opts o;
	uint32_t iss = tcp_syncookie_make(st, &local, &remote, seg->seq, &seg->opts,
					  ts_now_for(st, &local, &remote), tcp_wscale_for(rcvbuf), &o);
	uint16_t ours = (uint16_t)(st->cfg.mtu - 40);

	o.mss = ours; /* we announce our own MSS; the cookie keeps the peer's */
	st->ctr.syncookies_sent++;
	tcp_emit_bare_opts(st, &local, &remote, iss, seg->seq + 1, SN_TCP_SYN | SN_TCP_ACK,
			   (uint16_t)(rcvbuf < 65535 ? rcvbuf : 65535), &o);
}

/* An ACK to a listener may complete a cookie handshake: rebuild the
 * connection in SYN-RECEIVED as if we had kept it, then let the ordinary
 * steps take the ACK (and any data riding on it). Returns 0 if it did. */
static int listen_cookie_ack(struct synack_stack *st, struct sn_tcb *lis, uint32_t src,
			     struct sn_tcp_seg *seg)
{
	struct synack_endpoint local = {lis->local.addr ? lis->local.addr : st->cfg.addr,
					seg->dport};
	struct synack_endpoint remote = {src, seg->sport};
	struct sn_tcp_seg syn = {.sport = seg->sport, .dport = seg->dport, .seq = seg->seq - 1,
				 .wnd = seg->wnd, .flags = SN_TCP_SYN};

	if (!st->cfg.syncookies || !tcp_syncookie_recent(st) ||
	    (seg->flags & (SN_TCP_SYN | SN_TCP_RST)) ||
	    tcp_syncookie_check(st, &local, &remote, seg->seq, seg->ack, &seg->opts,
				ts_now_for(st, &local, &remote), &syn.opts) < 0)
		return -1;
	uint32_t iss = seg->ack - 1;
	struct sn_tcb *c = spawn_child(st, lis, src, &syn, &iss);
	if (!c)
		return -1;
	st->ctr.syncookies_recv++;
	st->ctr.passive_opens++;
	c->iss = iss;
	c->snd_una = iss;
	c->snd_nxt = c->snd_max = iss + 1; /* the SYN,ACK went out, statelessly */
	if (c->ts_ok)
		c->ts_syn = syn.opts.ts_ecr; /* the SYN,ACK's TSval */
	tcp_rcv_window(c);                   /* and advertised our window */
	tcp_set_state(st, c, SYNACK_SYN_RECEIVED, "rcv ACK with SYN cookie");
	conn_input(st, c, seg);
	return 0;
}

static int synq_full(const struct synack_stack *st, const struct sn_tcb *lis)
{
	return lis->lq->nsynq >= st->cfg.max_syn_backlog ||
	       lis->lq->nsynq >= 2 * lis->lq->backlog + 16;
}

/* LISTEN (§3.10.7.2). */
static void listen_input(struct synack_stack *st, struct sn_tcb *lis, uint32_t src, uint32_t dst,
			 struct sn_tcp_seg *seg, const uint32_t *iss_min)
{
	if (seg->flags & SN_TCP_RST) { /* first: an RST is ignored */
		sn_count_drop(st, SYNACK_DROP_LISTEN_OTHER, seg, src, dst);
		return;
	}
	if (seg->flags & SN_TCP_ACK) { /* second: <SEQ=SEG.ACK><CTL=RST> */
		if (listen_cookie_ack(st, lis, src, seg) == 0)
			return;
		if (st->cfg.syncookies && tcp_syncookie_recent(st))
			st->ctr.syncookies_failed++;
		sn_count_drop(st, SYNACK_DROP_LISTEN_ACK, seg, src, dst);
		tcp_reply_rst(st, src, dst, seg);
		return;
	}
	if (!(seg->flags & SN_TCP_SYN)) { /* fourth: anything else */
		sn_count_drop(st, SYNACK_DROP_LISTEN_OTHER, seg, src, dst);
		return;
	}
	if (lis->lq->nacceptq >= lis->lq->backlog) { /* as Linux: no room to hand it out */
		st->ctr.listen_overflows++;
		sn_count_drop(st, SYNACK_DROP_BACKLOG, seg, src, dst);
		return;
	}
	if (st->cfg.syncookies == 2 || (st->cfg.syncookies == 1 && synq_full(st, lis))) {
		listen_send_cookie(st, lis, src, seg);
		return;
	}
	if (synq_full(st, lis)) {
		sn_count_drop(st, SYNACK_DROP_SYN_QUEUE, seg, src, dst);
		return;
	}
	/* third: a SYN. Data or FIN riding on it is not queued: the peer will
	 * send it again once we have acknowledged only the SYN. */
	struct sn_tcb *c = spawn_child(st, lis, src, seg, iss_min);
	if (!c) {
		sn_count_drop(st, SYNACK_DROP_NO_MEMORY, seg, src, dst);
		return;
	}
	st->ctr.passive_opens++;
	tcp_set_state(st, c, SYNACK_SYN_RECEIVED, "rcv SYN");
	tcp_output(st, c);
}

/* Our SYN has just been acknowledged. If it had to be sent again, the
 * initial window is one segment (RFC 5681 §3.1) and, with no RTT sample
 * taken, the RTO starts at 3 s (RFC 6298 (5.7); Linux's fallback too). */
static void syn_acked_after_loss(struct synack_stack *st, struct sn_tcb *tcb)
{
	uint32_t three_s = (uint32_t)(3 * SN_US_PER_SEC);

	if (!tcb->total_retrans)
		return;
	tcb->cwnd = tcb->snd_mss;
	if (tcb->rtt_valid)
		return;
	if (three_s > st->cfg.rto_max_us)
		three_s = st->cfg.rto_max_us;
	if (tcb->rto_us < three_s)
		tcb->rto_us = three_s;
	tcb->backoff = 0;
}

/* ---------------------------------------------------------- SYN-SENT */

static int syn_sent_ack_ok(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	if (!(seg->flags & SN_TCP_ACK))
		return 1;
	if (seq_leq(seg->ack, tcb->iss) || seq_gt(seg->ack, tcb->snd_max)) {
		drop(st, tcb, seg, SYNACK_DROP_ACK_OLD);
		tcp_reply_rst(st, tcb->remote.addr, tcb->local.addr, seg);
		return 0;
	}
	if (!(seg->flags & SN_TCP_RST) && !tcp_ts_synack_echo_ok(st, tcb, seg)) {
		/* its TSecr is no TSval of this SYN: an old duplicate (a
		 * previous incarnation's, after tcp_tw_reuse). Linux resets. */
		st->ctr.paws_rejected++;
		drop(st, tcb, seg, SYNACK_DROP_PAWS);
		tcp_reply_rst(st, tcb->remote.addr, tcb->local.addr, seg);
		return 0;
	}
	return 1;
}

static void syn_sent_input(struct synack_stack *st, struct sn_tcb *tcb, struct sn_tcp_seg *seg);
static void process_text_and_fin(struct synack_stack *st, struct sn_tcb *tcb, struct sn_tcp_seg *seg);

/* SHLD-2: an acceptable RST may carry data (diagnostic text): count it and
 * keep its first bytes for the user (synack_sock_rst_data). */
static void rst_keep_data(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	if (!seg->len)
		return;
	st->ctr.rst_with_data++;
	if (!tcb->sock)
		return;
	struct sn_sock_opt *o = sn_sock_opt_mut(st, tcb->sock);
	if (!o)
		return; /* no memory to keep it: counted above, not kept */
	uint32_t n = seg->len < SYNACK_RST_DATA_MAX ? seg->len : SYNACK_RST_DATA_MAX;
	memcpy(o->rst_data, seg->payload, n);
	o->rst_len = (uint8_t)n;
}

static void syn_sent_input(struct synack_stack *st, struct sn_tcb *tcb, struct sn_tcp_seg *seg)
{
	if (!syn_sent_ack_ok(st, tcb, seg))
		return;
	if (seg->flags & SN_TCP_RST) {
		if (seg->flags & SN_TCP_ACK) { /* acceptable ACK: the port is closed */
			rst_keep_data(st, tcb, seg);
			tcp_close_tcb(st, tcb, -ECONNREFUSED, "rcv RST");
		} else {
			drop(st, tcb, seg, SYNACK_DROP_RST_SEQ);
		}
		return;
	}
	if (!(seg->flags & SN_TCP_SYN)) {
		drop(st, tcb, seg, SYNACK_DROP_LISTEN_OTHER);
		return;
	}
	if (!(seg->flags & SN_TCP_ACK) && tcp_paws_reject(st, tcb, seg)) {
		/* a SYN older than the TS.Recent inherited through tcp_tw_reuse */
		drop(st, tcb, seg, SYNACK_DROP_PAWS);
		return;
	}
	tcb->irs = seg->seq;
	tcb->rcv_nxt = seg->seq + 1;
	tcb->rcv_adv = tcb->rcv_nxt;
	tcb->last_ack_sent = tcb->rcv_nxt;
	take_mss(st, tcb, seg);
	tcp_opts_negotiate(st, tcb, seg);
	tcp_cc_init(tcb);
	tcb->snd_wnd = seg->wnd;
	tcb->max_snd_wnd = seg->wnd;
	tcb->snd_wl1 = seg->seq;
	tcb->snd_wl2 = seg->ack;
	tcb->ack_now = 1;
	if (!(seg->flags & SN_TCP_ACK)) {
		/* simultaneous open (MUST-10): SYN,ACK from ISS again */
		tcp_set_state(st, tcb, SYNACK_SYN_RECEIVED, "rcv SYN (simultaneous open)");
		tcb->snd_nxt = tcb->iss;
		tcp_output(st, tcb);
		return;
	}
	tcb->snd_una = seg->ack;
	tcb->syn_acked = 1;
	/* Appendix D: with timestamps, Snd.TSclock - SEG.TSecr is the first RTT */
	if (!tcp_ts_rtt_sample(st, tcb, seg, 1) && tcb->timing && seq_geq(seg->ack, tcb->rtt_seq))
		tcp_rtt_sample(tcb, (uint32_t)(st->now - tcb->rtt_start), st->cfg.rto_min_us,
			       st->cfg.rto_max_us);
	tcb->timing = 0;
	tcb->nretrans = 0;
	tcb->r1_reached = 0;
	tcb->backoff = 0;
	syn_acked_after_loss(st, tcb);
	tcp_timer_clear(st, tcb, SN_T_REXMT);
	tcp_set_state(st, tcb, SYNACK_ESTABLISHED, "rcv SYN,ACK");
	tcp_keepalive_reset(st, tcb);
	/* sixth step onward: data or FIN that came with the SYN,ACK */
	seg->seq++;
	seg->flags &= (uint8_t)~SN_TCP_SYN;
	process_text_and_fin(st, tcb, seg);
}

/* ---------------------------------------------------------- step 1: sequence */

static int seq_acceptable(const struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	uint32_t wnd = tcb->rcv_adv - tcb->rcv_nxt;
	uint32_t len = sn_tcp_seg_seqlen(seg);
	uint32_t lo = tcb->rcv_nxt, hi = tcb->rcv_nxt + wnd;

	if (wnd == 0)
		/* MUST-66: ACKs and RSTs at RCV.NXT still count; text is trimmed */
		return seg->seq == lo;
	if (len == 0)
		return seq_in(seg->seq, lo, hi);
	/* The RFC's two tests miss a segment that starts before the window
	 * and ends past it; its middle is new data, so accept and trim it
	 * ("only the new parts are processed"), as BSD and Linux do. */
	return seq_in(seg->seq, lo, hi) || seq_in(seg->seq + len - 1, lo, hi) ||
	       (seq_lt(seg->seq, lo) && seq_geq(seg->seq + len - 1, hi));
}

/* Cut the segment down to the receive window: bytes before RCV.NXT were
 * seen already; bytes past the right edge are not ours to keep. */
static void trim_to_window(struct synack_stack *st, struct sn_tcb *tcb, struct sn_tcp_seg *seg)
{
	uint32_t wnd = tcb->rcv_adv - tcb->rcv_nxt;

	if (seq_lt(seg->seq, tcb->rcv_nxt)) {
		uint32_t skip = tcb->rcv_nxt - seg->seq;
		int syn = (seg->flags & SN_TCP_SYN) != 0;
		if (syn) {
			seg->flags &= (uint8_t)~SN_TCP_SYN;
			skip--;
		}
		if (skip > seg->len)
			skip = seg->len;
		if (!syn) /* RFC 2883 §4.1.1: the old part is a duplicate */
			tcp_reass_note_dup(tcb, seg->seq, seg->seq + skip);
		seg->payload += skip;
		seg->len -= skip;
		seg->seq += skip;
	}
	uint32_t room = tcb->rcv_nxt + wnd - seg->seq;
	/* With window scaling the edge we advertised may pass the free
	 * buffer by less than one scale unit (output.c): keep what fits. */
	uint32_t space = sn_ring_space(&tcb->rcvbuf);
	uint32_t off = seg->seq - tcb->rcv_nxt;
	if (room > space - (off < space ? off : space))
		room = off < space ? space - off : 0;
	if (seg->len > room) {
		drop(st, tcb, seg, SYNACK_DROP_RCV_WINDOW);
		seg->len = room;
		seg->flags &= (uint8_t)~SN_TCP_FIN;
		tcb->ack_now = 1;
	}
}

/* The peer's SYN again while our SYN is unacknowledged: in SYN-RECEIVED, or
 * in the FIN-WAIT-1 a CLOSE there leads to (§3.10.4). With ACK it is the
 * SYN,ACK of a simultaneous open (RFC 9293 Figure 8, line 7): its SYN is old
 * news, its ACK is not. Without, the peer did not get our SYN,ACK. */
static int syn_received_dup_syn(struct synack_stack *st, struct sn_tcb *tcb, struct sn_tcp_seg *seg)
{
	if (seg->flags & SN_TCP_ACK) {
		seg->seq++;
		seg->flags &= (uint8_t)~SN_TCP_SYN;
		return STEP_GO;
	}
	tcb->ack_now = 1;
	tcp_output(st, tcb);
	return STEP_DONE;
}

/* An unacceptable segment is answered with an ACK (§3.10.7.4, RFC 7323
 * §5.3), but a pure ACK at most once per tcp_invalid_ratelimit per
 * connection, as Linux does (tcp_oow_rate_limited): two peers that find each
 * other's ACKs unacceptable would otherwise trade them as fast as the path
 * allows. Data and SYNs are always answered (a zero-window probe carries a
 * byte). Returns 1 if this one goes unanswered. */
static int oow_ack_limited(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
			   uint64_t *skipped)
{
	/* the ms clock plus one, so that 0 means "never" even at time 0 */
	uint32_t now_ms = (uint32_t)(st->now / SN_US_PER_MS) + 1;
	uint32_t limit_ms = st->cfg.invalid_ratelimit_us / SN_US_PER_MS;

	if (seg->len || (seg->flags & (SN_TCP_SYN | SN_TCP_FIN)) || limit_ms == 0)
		return 0;
	if (tcb->last_oow_ack_ms && now_ms - tcb->last_oow_ack_ms < limit_ms) {
		(*skipped)++;
		return 1;
	}
	tcb->last_oow_ack_ms = now_ms ? now_ms : 1;
	return 0;
}

static int check_sequence(struct synack_stack *st, struct sn_tcb *tcb, struct sn_tcp_seg *seg)
{
	if (tcp_paws_reject(st, tcb, seg)) {
		/* RFC 7323 §5.3 R1, before the acceptability test: an old
		 * duplicate. ACK (half-open detection) and drop. */
		drop(st, tcb, seg, SYNACK_DROP_PAWS);
		if (oow_ack_limited(st, tcb, seg, &st->ctr.oow_acks_skipped_paws))
			return STEP_DONE;
		tcb->ack_now = 1;
		tcp_output(st, tcb);
		return STEP_DONE;
	}
	if (!tcb->syn_acked && (seg->flags & SN_TCP_SYN) && seg->seq == tcb->irs &&
	    syn_received_dup_syn(st, tcb, seg) == STEP_DONE)
		return STEP_DONE;
	if (seq_acceptable(tcb, seg)) {
		tcp_ts_recent_update(st, tcb, seg); /* R3, from the untrimmed SEG.SEQ */
		trim_to_window(st, tcb, seg);
		return STEP_GO;
	}
	drop(st, tcb, seg, (seg->flags & SN_TCP_RST) ? SYNACK_DROP_RST_SEQ : SYNACK_DROP_SEQ);
	if (!(seg->flags & SN_TCP_RST) &&
	    !oow_ack_limited(st, tcb, seg, &st->ctr.oow_acks_skipped_seq)) {
		if (seg->len && seq_leq(seg->seq + seg->len, tcb->rcv_nxt))
			tcp_reass_note_dup(tcb, seg->seq, seg->seq + seg->len); /* RFC 2883 §4.1.1 */
		tcb->ack_now = 1; /* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
		tcp_output(st, tcb);
	}
	return STEP_DONE;
}

/* ---------------------------------------------------------- steps 2-3: RST, SYN */

static int check_rst(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	if (!(seg->flags & SN_TCP_RST))
		return STEP_GO;
	if (st->cfg.rfc5961 && seg->seq != tcb->rcv_nxt) {
		/* RFC 5961 §3.2: in the window but not exactly RCV.NXT */
		drop(st, tcb, seg, SYNACK_DROP_RST_CHALLENGE);
		tcp_challenge_ack(st, tcb);
		return STEP_DONE;
	}
	st->ctr.rst_in++;
	rst_keep_data(st, tcb, seg);
	switch (tcb->state) {
	case SYNACK_SYN_RECEIVED:
		/* MUST-11: back to LISTEN if passive, else refused */
		tcp_close_tcb(st, tcb, tcb->passive ? 0 : -ECONNREFUSED, "rcv RST");
		break;
	case SYNACK_ESTABLISHED:
	case SYNACK_FIN_WAIT_1:
	case SYNACK_FIN_WAIT_2:
	case SYNACK_CLOSE_WAIT:
		st->ctr.estab_resets += tcb->state == SYNACK_ESTABLISHED ||
					tcb->state == SYNACK_CLOSE_WAIT;
		tcp_close_tcb(st, tcb, -ECONNRESET, "rcv RST");
		break;
	default: /* CLOSING, LAST-ACK */
		tcp_close_tcb(st, tcb, 0, "rcv RST");
		break;
	}
	return STEP_DONE;
}

static int check_syn(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	if (!(seg->flags & SN_TCP_SYN))
		return STEP_GO;
	if (tcb->state == SYNACK_SYN_RECEIVED && tcb->passive) {
		/* §3.10.7.4 fourth: return this connection to LISTEN */
		tcp_close_tcb(st, tcb, 0, "rcv SYN in window");
		return STEP_DONE;
	}
	/* RFC 5961 §4.2, as RFC 9293 recommends: a challenge ACK, whatever
	 * the sequence number. RFC 793 reset the connection instead. */
	drop(st, tcb, seg, SYNACK_DROP_SYN_CHALLENGE);
	if (!st->cfg.rfc5961) {
		tcp_send_rst(st, tcb);
		st->ctr.estab_resets += tcb->state == SYNACK_ESTABLISHED ||
					tcb->state == SYNACK_CLOSE_WAIT;
		tcp_close_tcb(st, tcb, -ECONNRESET, "rcv SYN in window");
		return STEP_DONE;
	}
	tcp_challenge_ack(st, tcb);
	return STEP_DONE;
}

/* ---------------------------------------------------------- step 5: ACK */

static int syn_received_ack(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
			    uint32_t wnd)
{
	if (!seq_lt(tcb->snd_una, seg->ack) || seq_gt(seg->ack, tcb->snd_max)) {
		drop(st, tcb, seg, SYNACK_DROP_ACK_OLD);
		tcp_reply_rst(st, tcb->remote.addr, tcb->local.addr, seg);
		return STEP_DONE;
	}
	if (tcb->parent && tcb->state == SYNACK_SYN_RECEIVED &&
	    tcb->parent->lq->nacceptq >= tcb->parent->lq->backlog) {
		/* the accept queue is full: as Linux, drop the ACK (our SYN,ACK
		 * will be retransmitted and the peer ACKs again) or, with
		 * tcp_abort_on_overflow, reset */
		st->ctr.listen_overflows++;
		drop(st, tcb, seg, SYNACK_DROP_ACCEPT_QUEUE);
		if (st->cfg.abort_on_overflow) {
			tcp_send_rst(st, tcb);
			tcb->passive = 0;
			tcp_close_tcb(st, tcb, 0, "accept queue full");
		}
		return STEP_DONE;
	}
	tcb->snd_wnd = wnd;
	tcb->max_snd_wnd = wnd;
	tcb->snd_wl1 = seg->seq;
	tcb->snd_wl2 = seg->ack;
	if (tcb->state == SYNACK_SYN_RECEIVED)
		tcp_set_state(st, tcb, SYNACK_ESTABLISHED, "rcv ACK of SYN");
	if (tcb->parent) {
		struct sn_tcb *lis = tcb->parent;
		sn_list_remove(&tcb->qlink);
		lis->lq->nsynq--;
		sn_list_insert_tail(&lis->lq->acceptq, &tcb->qlink);
		lis->lq->nacceptq++;
	}
	tcp_keepalive_reset(st, tcb);
	return STEP_GO;
}

/* Returns the bytes of data acknowledged (not counting our SYN or FIN). */
uint32_t tcp_ack_new_data(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	uint32_t ack = seg->ack;
	uint32_t flight = tcp_flight_size(tcb);
	uint32_t acked = ack - tcb->snd_una;
	uint32_t data = sn_ring_len(&tcb->sndbuf);

	if (!tcb->syn_acked) { /* the ACK also covers our SYN */
		tcb->syn_acked = 1;
		acked--;
		tcb->snd_una++;
	}
	if (acked > data) { /* the rest is our FIN */
		tcb->fin_acked = 1;
		acked = data;
	}
	sn_ring_pop(&tcb->sndbuf, NULL, acked);
	tcb->snd_una = ack;
	if (tcb->urg_send && seq_geq(ack, tcb->snd_up))
		tcb->urg_send = 0; /* the urgent data is delivered: out of urgent mode */
	if (seq_lt(tcb->snd_nxt, tcb->snd_una))
		tcb->snd_nxt = tcb->snd_una;
	if (tcp_ts_rtt_sample(st, tcb, seg, flight)) {
		/* RFC 7323 §4: the echo names the transmission it measures,
		 * so retransmissions need no Karn exclusion */
		tcb->timing = 0;
		tcb->backoff = 0;
	} else if (tcb->timing && seq_geq(ack, tcb->rtt_seq)) {
		tcp_rtt_sample(tcb, (uint32_t)(st->now - tcb->rtt_start), st->cfg.rto_min_us,
			       st->cfg.rto_max_us);
		tcb->timing = 0;
		tcb->backoff = 0;
	}
	tcb->nretrans = 0;
	tcb->r1_reached = 0;
	tcb->first_rexmt_at = 0;
	tcb->probes = 0;
	tcp_timer_clear(st, tcb, SN_T_REXMT); /* RFC 6298 (5.3): restart on new data */
	return acked;
}

static void retransmit_head(struct synack_stack *st, struct sn_tcb *tcb)
{
	uint32_t len = sn_ring_len(&tcb->sndbuf);
	uint8_t flags = SN_TCP_ACK;

	if (len > tcb->snd_mss)
		len = tcb->snd_mss;
	if (len == sn_ring_len(&tcb->sndbuf) && tcb->fin_queued && seq_gt(tcb->snd_max, tcb->snd_una + len))
		flags |= SN_TCP_FIN;
	if (!len && !(flags & SN_TCP_FIN))
		return;
	tcb->timing = 0; /* Karn */
	tcp_emit(st, tcb, tcb->snd_una, flags, len, 1);
}

/* wnd: SEG.WND scaled; old_wnd: SND.WND before this segment's window update. */
static void process_ack_cc(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
			   uint32_t wnd, uint32_t old_wnd)
{
	uint32_t ack = seg->ack, old_una = tcb->snd_una;
	int advanced = seq_lt(tcb->snd_una, ack);
	/* cwnd grows by data acknowledged: the ACK of our SYN is not new
	 * data (RFC 5681 (3.1): cwnd starts at IW) */
	uint32_t acked = advanced ? tcp_ack_new_data(st, tcb, seg) : 0;

	/* with SACK blocks from the peer, RFC 6675 and RACK (sack.c) decide */
	if (tcb->sack_ok && tcb->syn_acked &&
	    tcp_sack_ack(st, tcb, seg, old_una, acked, advanced))
		return;
	if (advanced) {
		if (tcb->in_recovery) {
			if (tcp_cc_recovery_ack(tcb, ack, acked))
				retransmit_head(st, tcb);
		} else {
			tcp_cc_on_ack(st, tcb, acked);
		}
		return;
	}
	/* RFC 5681 §2: a duplicate ACK carries no data, does not move the
	 * window (compared with the window before this segment's update),
	 * and arrives while data is outstanding: the retransmission timer
	 * runs (an answer to a zero-window probe is not a duplicate ACK, nor
	 * is an ACK of a closed window: the receiver is full, not missing
	 * data). */
	if (ack == tcb->snd_una && seg->len == 0 && !(seg->flags & (SN_TCP_SYN | SN_TCP_FIN)) &&
	    wnd == old_wnd && wnd != 0 && tcb->snd_max != tcb->snd_una &&
	    tcb->deadline[SN_T_REXMT]) {
		if (tcp_cc_on_dupack(st, tcb)) {
			st->ctr.fast_retrans++;
			retransmit_head(st, tcb);
		}
	}
}

/* An ACK for data not yet sent is dropped with an ACK (§3.10.7.4 fifth);
 * RFC 5961 §5.2 also drops one older than SND.UNA - MAX.SND.WND, and makes
 * both answers rate-limited challenge ACKs. */
static int ack_out_of_range(struct synack_stack *st, struct sn_tcb *tcb,
			    const struct sn_tcp_seg *seg)
{
	enum synack_drop why;

	if (seq_gt(seg->ack, tcb->snd_max))
		why = SYNACK_DROP_ACK_UNSENT;
	else if (st->cfg.rfc5961 && seq_lt(seg->ack, tcb->snd_una - tcb->max_snd_wnd))
		why = SYNACK_DROP_ACK_TOO_OLD;
	else
		return 0;
	drop(st, tcb, seg, why);
	if (st->cfg.rfc5961) {
		tcp_challenge_ack(st, tcb);
	} else {
		tcb->ack_now = 1;
		tcp_output(st, tcb);
	}
	return 1;
}

static int check_ack(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
		     uint32_t wnd)
{
	if (!(seg->flags & SN_TCP_ACK)) {
		drop(st, tcb, seg, SYNACK_DROP_NO_ACK);
		return STEP_DONE;
	}
	int syn_unacked = !tcb->syn_acked;
	if (tcb->state == SYNACK_SYN_RECEIVED || syn_unacked)
		if (syn_received_ack(st, tcb, seg, wnd) == STEP_DONE)
			return STEP_DONE;
	if (ack_out_of_range(st, tcb, seg))
		return STEP_DONE;
	uint32_t old_wnd = tcb->snd_wnd;
	if (seq_leq(tcb->snd_una, seg->ack))
		tcp_update_window(tcb, seg, wnd);
	process_ack_cc(st, tcb, seg, wnd, old_wnd);
	tcp_ecn_input(st, tcb, seg);
	if (syn_unacked && tcb->syn_acked)
		syn_acked_after_loss(st, tcb);
	if (!tcb->fin_acked)
		return STEP_GO;
	switch (tcb->state) {
	case SYNACK_FIN_WAIT_1:
		if ((seg->flags & SN_TCP_FIN) && seg->seq == tcb->rcv_nxt)
			return STEP_GO; /* FIN,ACK: straight to TIME-WAIT in step 8 */
		tcp_set_state(st, tcb, SYNACK_FIN_WAIT_2, "rcv ACK of FIN");
		if (!tcb->sock)
			tcp_timer_set(st, tcb, SN_T_FINWAIT2, st->now + st->cfg.fin_timeout_us);
		return STEP_GO;
	case SYNACK_CLOSING:
		tcp_enter_time_wait(st, tcb, "rcv ACK of FIN");
		return STEP_DONE;
	case SYNACK_LAST_ACK:
		tcp_close_tcb(st, tcb, 0, "rcv ACK of FIN");
		return STEP_DONE;
	default:
		return STEP_GO;
	}
}

/* ---------------------------------------------------------- step 6: URG */

/* §3.10.7.4 sixth: RCV.UP <- max(RCV.UP, SEG.UP); the pointer marks the
 * first octet after the urgent data (MUST-62). Urgent data stays in line;
 * the user learns of it through SYNACK_EV_PRI and tcpi urgent_pending
 * (MUST-32, MUST-33). Processed even when the window is zero (MUST-66). */
static void check_urg(struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	if (!(seg->flags & SN_TCP_URG) || seg->urp == 0)
		return;
	if (tcb->state != SYNACK_ESTABLISHED && tcb->state != SYNACK_FIN_WAIT_1 &&
	    tcb->state != SYNACK_FIN_WAIT_2)
		return; /* after the peer's FIN, URG means nothing */
	uint32_t up = seg->seq + seg->urp;
	if (!tcb->urg_rcvd || seq_gt(up, tcb->rcv_up)) {
		tcb->rcv_up = up;
		tcb->urg_rcvd = 1;
	}
}

/* ---------------------------------------------------------- steps 7-8: text, FIN */

/* SHLD-3 (§3.6): new data after the user's CLOSE has no reader; send RST to
 * show it was lost and end the connection, as Linux and 4.4BSD do (reply to
 * the segment: <SEQ=SEG.ACK><CTL=RST>). Old bytes were trimmed away in the
 * first step, so any text left is new. */
static int check_closed_reader(struct synack_stack *st, struct sn_tcb *tcb,
			       const struct sn_tcp_seg *seg)
{
	if (seg->len == 0 || tcb->sock)
		return STEP_GO;
	if (tcb->state != SYNACK_FIN_WAIT_1 && tcb->state != SYNACK_FIN_WAIT_2)
		return STEP_GO;
	tcp_reply_rst(st, tcb->remote.addr, tcb->local.addr, seg);
	tcp_close_tcb(st, tcb, 0, "data after close");
	return STEP_DONE;
}

static int accepts_text(enum synack_state s)
{
	return s == SYNACK_ESTABLISHED || s == SYNACK_FIN_WAIT_1 || s == SYNACK_FIN_WAIT_2;
}

static void process_text(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	if (seg->len == 0 || !accepts_text(tcb->state))
		return;
	int had_ooo = tcb->ooo != NULL;
	int in_order = seg->seq == tcb->rcv_nxt;
	int adv = tcp_reass_store(st, tcb, seg->seq, seg->payload, seg->len);

	if (adv < 0)
		drop(st, tcb, seg, adv == -2 ? SYNACK_DROP_OOO_MEM : SYNACK_DROP_OOO_FULL);
	if (!in_order || had_ooo) {
		/* out of order, or filling a hole: ACK at once (RFC 5681 §4.2) */
		if (!in_order && adv >= 0)
			st->ctr.ooo_segs++;
		tcb->ack_now = 1;
		return;
	}
	tcp_ack_in_order(tcb); /* SHLD-19 */
}

static void fin_arrived(struct synack_stack *st, struct sn_tcb *tcb)
{
	tcb->rcv_nxt++;
	tcb->fin_rcvd = 1;
	tcb->ooo_fin = 0;
	tcb->ack_now = 1;
	switch (tcb->state) {
	case SYNACK_SYN_RECEIVED:
	case SYNACK_ESTABLISHED:
		tcp_set_state(st, tcb, SYNACK_CLOSE_WAIT, "rcv FIN");
		break;
	case SYNACK_FIN_WAIT_1:
		if (tcb->fin_acked) {
			tcp_send_ack(st, tcb);
			tcp_enter_time_wait(st, tcb, "rcv FIN,ACK"); /* FIN+ACK straight to TIME-WAIT */
			return;
		}
		tcp_set_state(st, tcb, SYNACK_CLOSING, "rcv FIN (simultaneous close)");
		break;
	case SYNACK_FIN_WAIT_2:
		tcp_send_ack(st, tcb);
		tcp_enter_time_wait(st, tcb, "rcv FIN");
		return;
	default: /* CLOSE-WAIT, CLOSING, LAST-ACK: a retransmitted FIN; ACK it */
		break;
	}
	tcp_output(st, tcb);
}

static void process_text_and_fin(struct synack_stack *st, struct sn_tcb *tcb, struct sn_tcp_seg *seg)
{
	process_text(st, tcb, seg);
	if ((seg->flags & SN_TCP_FIN) && !tcb->fin_rcvd) {
		uint32_t fin_seq = seg->seq + seg->len;
		if (fin_seq == tcb->rcv_nxt) {
			fin_arrived(st, tcb);
			return; /* the TCB may be gone (TIME-WAIT) */
		}
		if (seq_gt(fin_seq, tcb->rcv_nxt)) {
			tcb->ooo_fin = 1; /* held until the hole before it fills */
			tcb->ooo_fin_seq = fin_seq;
		}
	} else if (tcb->ooo_fin && tcb->ooo_fin_seq == tcb->rcv_nxt && !tcb->fin_rcvd) {
		fin_arrived(st, tcb);
		return;
	}
	if (tcb->delack_segs && !tcb->ack_now && !tcb->deadline[SN_T_DELACK])
		tcp_timer_set(st, tcb, SN_T_DELACK, st->now + st->cfg.delack_us);
	tcp_output(st, tcb);
}

/* ---------------------------------------------------------- dispatch */

/* SHLD-24: an acceptable segment that came by a source route different
 * from the one we answer by replaces it, unless the application chose the
 * route (MUST-52). */
static void adopt_route(struct synack_stack *st, struct sn_tcb *tcb)
{
	const struct synack_route *r = &st->rx_route;

	if (!r->n || tcb->route_user || st->rx_route_src != tcb->remote.addr)
		return;
	const struct synack_route *cur = tcb->route;
	if (cur && cur->n == r->n && cur->strict == r->strict &&
	    !memcmp(cur->hops, r->hops, r->n * sizeof(r->hops[0])))
		return;
	tcp_route_set(st, tcb, r, 0); /* no memory for it: the old route stays */
}

static void conn_input(struct synack_stack *st, struct sn_tcb *tcb, struct sn_tcp_seg *seg)
{
	if (tcb->state == SYNACK_SYN_SENT) {
		syn_sent_input(st, tcb, seg);
		return;
	}
	/* scaled now, while the SYN bit still says whether it may be */
	uint32_t wnd = tcp_seg_wnd(tcb, seg);
	if (check_sequence(st, tcb, seg) || check_rst(st, tcb, seg) || check_syn(st, tcb, seg) ||
	    check_ack(st, tcb, seg, wnd) || check_closed_reader(st, tcb, seg))
		return;
	adopt_route(st, tcb);
	tcp_keepalive_reset(st, tcb);
	check_urg(tcb, seg);
	process_text_and_fin(st, tcb, seg);
}

void tcp_input(struct synack_stack *st, uint32_t src, uint32_t dst, struct sn_tcp_seg *seg)
{
	struct synack_endpoint local = {dst, seg->dport}, remote = {src, seg->sport};

	sn_trace_seg(st, SYNACK_TRACE_SEG_IN, &local, &remote, seg, 0);
	/* back-to-back segments of one flow hit demux.c's one-entry cache:
	 * checked here, without the call */
	struct sn_tcb *tcb = st->last_conn;
	if (!tcb || tcb->remote.addr != src || tcb->remote.port != seg->sport ||
	    tcb->local.port != seg->dport || tcb->local.addr != dst)
		tcb = sn_conn_lookup(st, &local, &remote);
	if (tcb) {
		if (!tcp_fastpath(st, tcb, seg)) /* header prediction, fastpath.c */
			conn_input(st, tcb, seg);
		return;
	}
	struct sn_tcb *lis = sn_listener_lookup(st, dst, seg->dport, src, seg->sport);
	struct sn_tw *tw = sn_tw_lookup(st, dst, seg->dport, src, seg->sport);
	uint32_t iss_min = 0;
	int reopen = tw != NULL; /* tw is freed when it yields to the listener */
	if (tw && !sn_tw_input(st, tw, seg, lis != NULL, &iss_min))
		return;
	if (lis) {
		listen_input(st, lis, src, dst, seg, reopen ? &iss_min : NULL);
		return;
	}
	/* CLOSED (§3.10.7.1): a reset for anything but a reset */
	if (seg->flags & SN_TCP_RST) {
		sn_count_drop(st, SYNACK_DROP_RST_NO_SOCKET, seg, src, dst);
		return;
	}
	sn_count_drop(st, SYNACK_DROP_NO_SOCKET, seg, src, dst);
	tcp_reply_rst(st, src, dst, seg);
}
