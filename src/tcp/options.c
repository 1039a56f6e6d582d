/*
 * options.c: the TCP options Linux peers use, and what a connection does
 * with them: window scaling and timestamps (RFC 7323), SACK-permitted
 * (RFC 2018 §2). The wire layer parses and builds the bytes; this file
 * decides which options a segment carries and applies what arrives.
 *
 * Negotiation happens on the SYNs only. Our SYN offers what the stack's knobs
 * allow (tcp_window_scaling, tcp_timestamps, tcp_sack); the peer's SYN or
 * SYN,ACK leaves an option on only when both sides sent it, so a SYN,ACK
 * never carries an option the SYN did not (§2.2, §3.2). A window scale or
 * SACK-permitted option outside a SYN is ignored (§2.2); a TSopt on a
 * connection that did not negotiate timestamps is ignored (§3.2).
 *
 * Window scaling (§2): our shift Rcv.Wind.Shift is the smallest that lets the
 * 16-bit field cover the receive buffer, at most 14; the peer's shift is
 * clamped to 14 by the parser. Window fields of SYNs are never scaled.
 *
 * Timestamps: TSval is a 1 ms clock taken from `now` plus a per-connection
 * offset (isn.c; §5.4: between 1 ms and 1 s per tick, monotonic). TSecr is
 * TS.Recent, which moves only by rule (2) of §4.3 (SEG.TSval >= TS.Recent and
 * SEG.SEQ <= Last.ACK.sent), so delayed ACKs echo the earliest unacknowledged
 * segment and holes echo the last segment that advanced RCV.NXT. PAWS (§5.3
 * R1) rejects a non-RST segment whose TSval is older than TS.Recent, unless
 * TS.Recent is more than 24 days old (§5.5). RTT samples come from TSecr on
 * every ACK that advances SND.UNA (§4.1 RTTM rule), retransmitted or not (no
 * Karn ambiguity: the echo names the transmission), weighted by Appendix G
 * so many samples per RTT keep RFC 6298's history. A segment without a TSopt
 * on a timestamp connection is accepted, unchecked, as Linux does (§3.2 says
 * SHOULD drop; paths that strip options exist, and nothing is lost but PAWS
 * for that segment).
 *
 * SACK (RFC 2018 §4, RFC 2883): once SACK-permitted is negotiated, every
 * ACK sent while out-of-order data is queued carries SACK blocks from
 * reass.c, most recent first, and a duplicate segment is reported once as a
 * D-SACK block in front of them (tcp_dsack). What we do with the blocks the
 * peer sends is sack.c's business.
 *
 * Invariant: the options of any segment we build fit in 40 bytes. The most a
 * SYN carries is MSS (4) + sackOK,TS (12) + NOP,WS (4) = 20; other segments
 * carry at most NOP,NOP,TS (12) + NOP,NOP,SACK with 3 blocks (28) = 40, or
 * 4 blocks (36) without timestamps; the wire layer trims blocks to fit.
 */
#include "stack/stack.h"
#include "tcp/tcb.h"

#define WSCALE_MAX 14 /* RFC 7323 §2.3 */
#define WND_FIELD_MAX 65535u
#define PAWS_IDLE_US (24ull * 24 * 3600 * SN_US_PER_SEC) /* §5.5: 24 days */

/* Timestamps compare like sequence numbers (§5.2). */
static inline int ts_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

uint8_t tcp_wscale_for(uint32_t rcvbuf)
{
	uint8_t s = 0;

	while (s < WSCALE_MAX && (WND_FIELD_MAX << s) < rcvbuf)
		s++;
	return s;
}

uint32_t tcp_ts_now(const struct synack_stack *st, const struct sn_tcb *tcb)
{
	return (uint32_t)(st->now / SN_US_PER_MS) + tcb->ts_offset;
}

void tcp_opts_offer(struct synack_stack *st, struct sn_tcb *tcb)
{
	tcb->ws_ok = st->cfg.tcp_window_scaling != 0;
	tcb->rcv_wscale = tcb->ws_ok ? tcp_wscale_for(tcb->rcvbuf.cap) : 0;
	tcb->snd_wscale = 0;
	tcb->sack_ok = st->cfg.tcp_sack != 0;
	tcb->dsack_ok = st->cfg.tcp_dsack != 0;
	tcb->ts_ok = st->cfg.tcp_timestamps != 0;
	tcb->ts_offset = tcp_ts_offset(st, &tcb->local, &tcb->remote);
	tcb->ts_syn = tcp_ts_now(st, tcb);
	tcp_ecn_offer(st, tcb); /* ECN setup rides on the same SYNs (RFC 3168 §6.1.1) */
}

void tcp_opts_negotiate(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	if (tcb->ws_ok && seg->opts.has_wscale) {
		/* §2.3: Snd.Wind.Shift = S (at most 14), Rcv.Wind.Shift = R */
		tcb->snd_wscale = seg->opts.wscale > WSCALE_MAX ? WSCALE_MAX : seg->opts.wscale;
	} else {
		tcb->ws_ok = 0; /* "otherwise, it MUST set both ... to zero" */
		tcb->snd_wscale = 0;
		tcb->rcv_wscale = 0;
	}
	tcb->sack_ok = tcb->sack_ok && seg->opts.sack_ok;
	tcb->ts_ok = tcb->ts_ok && seg->opts.has_ts;
	if (tcb->ts_ok) { /* Appendix D: save SEG.TSval in TS.Recent */
		tcb->ts_recent = seg->opts.ts_val;
		tcb->ts_recent_age = st->now;
		tcb->ts_recent_set = 1;
		/* §3.7.1: every segment from now on carries 12 option bytes,
		 * which come off the payload, so that header, options and data
		 * stay within the MSS the peer announced (take_mss ran first) */
		if (tcb->snd_mss > 64 + tcp_fixed_optlen(tcb))
			tcb->snd_mss = (uint16_t)(tcb->snd_mss - tcp_fixed_optlen(tcb));
	}
	tcp_ecn_negotiate(st, tcb, seg);
}

/* RFC 2018 §4: while out-of-order data is queued, every ACK carries SACK
 * blocks, as many as fit beside the other options (the wire layer drops
 * the ones that do not: 3 with timestamps, 4 without); an RFC 2883
 * duplicate goes first, once. */
static void sack_fill(struct synack_stack *st, struct sn_tcb *tcb, struct sn_tcp_opts *o)
{
	struct sn_seq_range b[SN_TCP_SACK_MAX];
	uint32_t n = 0;

	if (tcb->dsack_pending) {
		b[n++] = tcb->dsack;
		tcb->dsack_pending = 0;
		st->ctr.dsack_sent++;
	}
	n += tcp_reass_sack_blocks(tcb, b + n, SN_TCP_SACK_MAX - n);
	for (uint32_t i = 0; i < n; i++) {
		o->sack[i].left = b[i].start;
		o->sack[i].right = b[i].end;
	}
	o->nsack = (uint8_t)n;
}

void tcp_opts_fill(struct synack_stack *st, struct sn_tcb *tcb, uint8_t flags, struct sn_tcp_opts *o)
{
	if (tcb->sack_ok && (flags & SN_TCP_ACK) && !(flags & (SN_TCP_SYN | SN_TCP_RST)))
		sack_fill(st, tcb, o);
	if (flags & SN_TCP_SYN) {
		o->has_mss = 1; /* MUST-14 */
		o->mss = tcb->rcv_mss;
		o->has_wscale = tcb->ws_ok;
		o->wscale = tcb->rcv_wscale;
		o->sack_ok = tcb->sack_ok;
	}
	if (tcb->ts_ok) {
		/* §3.2: on every segment, the RST of an abort included (as
		 * Linux); TSecr only when the ACK bit is on */
		o->has_ts = 1;
		o->ts_val = tcp_ts_now(st, tcb);
		o->ts_ecr = (flags & SN_TCP_ACK) ? tcb->ts_recent : 0;
	}
}

uint32_t tcp_seg_wnd(const struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	if (seg->flags & SN_TCP_SYN)
		return seg->wnd; /* §2.2: never scaled on a SYN */
	return (uint32_t)seg->wnd << tcb->snd_wscale;
}

uint32_t tcp_rcv_wnd_max(const struct sn_tcb *tcb)
{
	return WND_FIELD_MAX << tcb->rcv_wscale;
}

int tcp_paws_reject(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	/* §5.2: an RST is never subjected to PAWS */
	if (!tcb->ts_ok || !tcb->ts_recent_set || !seg->opts.has_ts || (seg->flags & SN_TCP_RST))
		return 0;
	if (!ts_lt(seg->opts.ts_val, tcb->ts_recent))
		return 0;
	if (st->now - tcb->ts_recent_age > PAWS_IDLE_US) {
		/* §5.5: TS.Recent is outdated after 24 days idle; accept the
		 * segment and take its TSval (Appendix D) */
		tcb->ts_recent = seg->opts.ts_val;
		tcb->ts_recent_age = st->now;
		return 0;
	}
	st->ctr.paws_rejected++;
	return 1;
}

void tcp_ts_recent_update(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	/* §5.2: nothing from an RST updates connection state */
	if (!tcb->ts_ok || !seg->opts.has_ts || (seg->flags & SN_TCP_RST))
		return;
	if (ts_lt(seg->opts.ts_val, tcb->ts_recent) || seq_gt(seg->seq, tcb->last_ack_sent))
		return;
	tcb->ts_recent = seg->opts.ts_val;
	tcb->ts_recent_age = st->now;
	tcb->ts_recent_set = 1;
}

int tcp_ts_rtt_sample(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
		      uint32_t flight)
{
	/* TSecr 0 is what a segment without ACK carries: no echo (Linux too) */
	if (!tcb->ts_ok || !seg->opts.has_ts || !(seg->flags & SN_TCP_ACK) || seg->opts.ts_ecr == 0)
		return 0;
	uint32_t ticks = tcp_ts_now(st, tcb) - seg->opts.ts_ecr;
	if ((int32_t)ticks < 0)
		return 0; /* an echo of a TSval we have not sent yet: not ours */
	if (ticks == 0)
		ticks = 1; /* under one tick of the 1 ms clock: count one (Linux) */
	uint64_t r = (uint64_t)ticks * SN_US_PER_MS;
	/* Appendix G: ExpectedSamples = ceil(FlightSize / (SMSS * 2)) */
	uint32_t per = 2u * tcb->snd_mss;
	uint32_t n = (flight + per - 1) / per;
	tcp_rtt_sample_n(tcb, r > UINT32_MAX ? UINT32_MAX : (uint32_t)r, n ? n : 1,
			 st->cfg.rto_min_us, st->cfg.rto_max_us);
	return 1;
}

int tcp_ts_synack_echo_ok(const struct synack_stack *st, const struct sn_tcb *tcb,
			  const struct sn_tcp_seg *seg)
{
	if (!tcb->ts_ok || !seg->opts.has_ts || !(seg->flags & SN_TCP_ACK) || seg->opts.ts_ecr == 0)
		return 1;
	/* between(TSecr, TSval of our first SYN, now), as tcp_rcv_synsent_state_process() */
	return !ts_lt(seg->opts.ts_ecr, tcb->ts_syn) && !ts_lt(tcp_ts_now(st, tcb), seg->opts.ts_ecr);
}
