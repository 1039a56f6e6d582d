/*
 * output.c: what a connection sends, and how a segment is put on the wire.
 *
 * tcp_output() is called after anything that may allow sending: a user SEND
 * or CLOSE, an ACK that opens the window, a timer. It sends, in order, the
 * SYN (or SYN,ACK) while the handshake runs, then data segments as the
 * windows allow, then the FIN once all data is out, then a pure ACK if one
 * is owed and nothing else carried it. Data is sent only past the sender's
 * silly window avoidance and Nagle tests (RFC 9293 §3.8.6.2.1, MUST-38,
 * SHLD-7, MUST-17): a full segment, or all queued data when nothing is
 * unacknowledged (or Nagle is off), or at least half the largest window the
 * peer has offered.
 *
 * tcp_emit() builds one IPv4+TCP datagram in the stack's scratch buffer,
 * copying the payload from the send ring, and hands it to the driver. Its
 * options come from options.c (MSS, window scale, SACK-permitted on SYNs;
 * timestamps on every segment once negotiated). The window field is RCV.WND
 * >> Rcv.Wind.Shift rounded up, so the right edge the peer computes never
 * lies left of one we advertised before (SHLD-14, RFC 7323 §2.4); rcv_adv
 * records that edge, which may pass the free buffer by less than one scale
 * unit (input.c keeps only what fits).
 */
#include <string.h>

#include "stack/stack.h"
#include "tcp/tcb.h"
#include "wire/bytes.h"
#include "wire/csum.h"
#include "wire/ipv4.h"

uint32_t tcp_data_end(const struct sn_tcb *tcb)
{
	uint32_t syn = tcb->syn_acked ? 0 : 1;
	uint32_t fin = tcb->fin_queued && !tcb->fin_acked ? 1 : 0;
	return syn + sn_ring_len(&tcb->sndbuf) + fin;
}

/* RCV.WND with receiver SWS avoidance (MUST-39): the right edge moves only
 * by at least min(half the buffer, one MSS), and never moves left (SHLD-14).
 * A closed window stays closed until that much is free (§3.8.6.2.2). */
uint32_t tcp_rcv_window(struct sn_tcb *tcb)
{
	uint32_t space = sn_ring_space(&tcb->rcvbuf);
	uint32_t max = tcp_rcv_wnd_max(tcb);
	uint32_t edge = tcb->rcv_nxt + (space < max ? space : max);
	uint32_t half = tcb->rcvbuf.cap / 2;
	uint32_t step = half < tcb->rcv_mss ? half : tcb->rcv_mss;

	if (seq_lt(tcb->rcv_adv, tcb->rcv_nxt))
		tcb->rcv_adv = tcb->rcv_nxt;
	if (seq_gt(edge, tcb->rcv_adv) && edge - tcb->rcv_adv >= step)
		tcb->rcv_adv = edge;
	return tcb->rcv_adv - tcb->rcv_nxt;
}

/* In-order data arrived. SHLD-19: an ACK at least every second full-sized
 * segment; but while the application is behind, such an ACK would only
 * report a window shrinking toward zero, and the application's read right
 * after it (the event loop reads a batch of datagrams, then runs the
 * application) would need a window update of its own. So, as Linux's
 * __tcp_ack_snd_check ("right edge of window advances far enough;
 * tcp_recvmsg() will send ACK otherwise"), the ACK goes now only if the
 * window it would carry is at least half the largest it can be (the
 * buffer, or what the header can say without window scaling); otherwise it waits
 * for the read (tcp_window_update), whose ACK carries the reopened window,
 * or for the delayed-ACK timer (SHLD-18: within 500 ms). */
void tcp_ack_in_order(struct sn_tcb *tcb)
{
	if (tcb->delack_segs < UINT8_MAX)
		tcb->delack_segs++;
	if (tcb->delack_segs < 2)
		return;
	uint32_t space = sn_ring_space(&tcb->rcvbuf), max = tcp_rcv_wnd_max(tcb);
	uint32_t full = tcb->rcvbuf.cap < max ? tcb->rcvbuf.cap : max; /* the largest window */
	if ((space < max ? space : max) >= full / 2)
		tcb->ack_now = 1;
}

/* The window field for a segment now (RFC 7323 §2.3): SEG.WND = RCV.WND >>
 * Rcv.Wind.Shift, rounded up so the edge never moves left; a SYN's window
 * is never scaled (§2.2). rcv_adv becomes the edge the peer will compute. */
static uint16_t rcv_wnd_field(struct sn_tcb *tcb, int syn)
{
	uint32_t wnd = tcp_rcv_window(tcb);
	uint32_t shift = syn ? 0 : tcb->rcv_wscale;
	uint32_t field = (uint32_t)(((uint64_t)wnd + (1u << shift) - 1) >> shift);

	if (field > 65535)
		field = 65535;
	tcb->rcv_adv = tcb->rcv_nxt + (field << shift);
	return (uint16_t)field;
}

/* Put the IPv4 header in front of the TCP segment at txbuf + 20. With a
 * source route (RFC 791 §3.1, MUST-51/53) the segment moves up to make room
 * for the option, and the datagram goes to the first gateway; the TCP
 * checksum already covers the final destination (RFC 9293 §3.1). */
static void emit_datagram(struct synack_stack *st, uint32_t src, uint32_t dst, size_t tcp_len,
			  uint8_t ttl, uint8_t tos, const struct synack_route *route)
{
	uint8_t opt[40];
	size_t olen = route && route->n ? sn_ipv4_build_srr(opt, route->strict, route->hops,
							    route->n, dst) : 0;

	if (olen && SN_IPV4_HDR_LEN + olen + tcp_len <= st->txcap) {
		memmove(st->txbuf + SN_IPV4_HDR_LEN + olen, st->txbuf + SN_IPV4_HDR_LEN, tcp_len);
		memcpy(st->txbuf + SN_IPV4_HDR_LEN, opt, olen);
		dst = route->hops[0];
	} else {
		olen = 0;
	}
	struct sn_ipv4 ip = {
		.hdr_len = (uint8_t)(SN_IPV4_HDR_LEN + olen),
		.total_len = (uint16_t)(SN_IPV4_HDR_LEN + olen + tcp_len),
		.id = 0,
		.frag = SN_IPV4_DF,
		.ttl = ttl,
		.tos = tos,
		.proto = SN_IPPROTO_TCP,
		.src = src,
		.dst = dst,
	};
	sn_ipv4_build(st->txbuf, &ip);
	sn_emit_datagram(st, st->txbuf, ip.total_len);
}

/* Counted before the segment is traced and handed to the driver. */
static void emit_count(struct synack_stack *st, struct sn_tcb *tcb, uint8_t flags, int retransmit)
{
	st->ctr.segs_out++;
	if (retransmit) {
		st->ctr.retrans_segs++;
		tcb->total_retrans++;
	}
	if (flags & SN_TCP_RST)
		st->ctr.rst_out++;
}

/* After any segment of the connection went out: an ACK sent cancels the
 * delayed ACK (RFC 7323 §4.3 (1) records what it acknowledged), and the
 * first new data starts an RTT measurement (RFC 6298 §3, Karn: never on a
 * retransmission). */
static void emit_done(struct synack_stack *st, struct sn_tcb *tcb, uint32_t seq, uint8_t flags,
		      uint32_t ack, uint32_t seqlen, int retransmit)
{
	if (flags & SN_TCP_ACK) {
		tcb->last_ack_sent = ack; /* RFC 7323 §4.3 (1) */
		tcb->ack_now = 0;
		tcb->delack_segs = 0;
		tcp_timer_clear(st, tcb, SN_T_DELACK);
	}
	if (seqlen && !(flags & (SN_TCP_SYN | SN_TCP_RST)))
		tcp_rack_on_send(st, tcb, seq, seqlen, retransmit); /* RFC 8985 send times */
	if (!retransmit && seqlen && !tcb->timing) {
		tcb->timing = 1;
		tcb->rtt_seq = seq + seqlen;
		tcb->rtt_start = st->now;
	}
}

/* Header prediction's other half: the segment a synchronized connection
 * sends nearly always (data or an ACK; no SYN or RST; options the
 * timestamps alone or none; no SACK block, urgent pointer or source route;
 * nobody tracing) is written straight into txbuf: IPv4 header, TCP header,
 * NOP,NOP,TS. Byte for byte what sn_tcp_build and sn_ipv4_build write for
 * it (tests/unit/test_fastpath.c compares every datagram with this off).
 * Returns 0, having sent nothing, for any other segment. */
static int emit_predicted(struct synack_stack *st, struct sn_tcb *tcb, uint32_t seq, uint8_t flags,
			  uint32_t payload_len, int retransmit)
{
	if ((flags & (SN_TCP_SYN | SN_TCP_RST)) || !(flags & SN_TCP_ACK) || !tcb->syn_acked ||
	    tcb->urg_send || tcb->route || st->trace_fn || st->fastpath_off ||
	    (tcb->sack_ok && (tcb->ooo || tcb->dsack_pending)))
		return 0;
	uint8_t *ip = st->txbuf, *th = st->txbuf + SN_IPV4_HDR_LEN;
	uint32_t ack = tcb->rcv_nxt;
	uint32_t hlen = tcb->ts_ok ? SN_TCP_HDR_LEN + 12 : SN_TCP_HDR_LEN;
	uint16_t wnd = rcv_wnd_field(tcb, 0);
	uint8_t tos = (uint8_t)((tcb->tos & ~SN_IP_ECN_MASK) |
				tcp_ecn_out(tcb, &flags, payload_len, retransmit));
	uint32_t len = 0;

	if (payload_len) /* our SYN is acknowledged: no SYN below the data */
		len = sn_ring_peek(&tcb->sndbuf, seq - tcb->snd_una, th + hlen, payload_len);
	put16(th, tcb->local.port);
	put16(th + 2, tcb->remote.port);
	put32(th + 4, seq);
	put32(th + 8, ack);
	put32(th + 12, (uint32_t)(hlen / 4 << 4) << 24 | (uint32_t)flags << 16 | wnd);
	put32(th + 16, 0); /* checksum, urgent pointer */
	if (tcb->ts_ok) { /* RFC 7323 Appendix A's layout, as sn_tcp_build */
		put32(th + 20, 0x0101080au);
		put32(th + 24, tcp_ts_now(st, tcb));
		put32(th + 28, tcb->ts_recent);
	}
	uint32_t tcp_len = hlen + len, total = SN_IPV4_HDR_LEN + tcp_len;
	put16(th + 16, sn_csum_tcp4(tcb->local.addr, tcb->remote.addr, th, tcp_len));
	put32(ip, 0x45000000u | (uint32_t)tos << 16 | total);
	put32(ip + 4, SN_IPV4_DF); /* id 0, DF, offset 0 */
	put32(ip + 8, (uint32_t)tcb->ttl << 24 | (uint32_t)SN_IPPROTO_TCP << 16);
	put32(ip + 12, tcb->local.addr);
	put32(ip + 16, tcb->remote.addr);
	put16(ip + 10, sn_csum_ip4_hdr(ip, SN_IPV4_HDR_LEN));
	emit_count(st, tcb, flags, retransmit);
	sn_emit_datagram(st, ip, total);
	emit_done(st, tcb, seq, flags, ack, len + ((flags & SN_TCP_FIN) ? 1u : 0u), retransmit);
	return 1;
}

/* A full-sized data segment has no room for SACK blocks beyond the
 * timestamps snd_mss already allows for (§3.7.1: options come off the
 * MSS). RFC 2018 §4 asks for as many blocks as fit, so the ones that do not
 * are left off (the most recent, and a D-SACK, come first and stay); pure
 * ACKs and shorter segments carry them all. */
static void fit_sack_blocks(const struct sn_tcb *tcb, struct sn_tcp_opts *o, uint32_t payload_len)
{
	uint32_t room = (uint32_t)tcb->snd_mss + tcp_fixed_optlen(tcb);

	while (o->nsack && payload_len + sn_tcp_opts_len(o) > room)
		o->nsack--;
}

void tcp_emit(struct synack_stack *st, struct sn_tcb *tcb, uint32_t seq, uint8_t flags,
	      uint32_t payload_len, int retransmit)
{
	if (emit_predicted(st, tcb, seq, flags, payload_len, retransmit))
		return;
	struct sn_tcp_seg seg = {
		.sport = tcb->local.port,
		.dport = tcb->remote.port,
		.seq = seq,
		.flags = flags,
	};
	tcp_opts_fill(st, tcb, flags, &seg.opts);
	if (payload_len)
		fit_sack_blocks(tcb, &seg.opts, payload_len);
	if (flags & SN_TCP_ACK)
		seg.ack = tcb->rcv_nxt;
	if (tcb->urg_send && seq_gt(tcb->snd_up, seq) && !(flags & (SN_TCP_SYN | SN_TCP_RST))) {
		/* MUST-31: urgent data of any length: point as far as 16 bits reach */
		uint32_t up = tcb->snd_up - seq;
		seg.flags |= SN_TCP_URG;
		seg.urp = (uint16_t)(up > 65535 ? 65535 : up);
	}
	if (!(flags & SN_TCP_RST))
		seg.wnd = rcv_wnd_field(tcb, flags & SN_TCP_SYN);
	/* RFC 3168: ECE/CWR and the IP ECN field; IP_TOS sets only the DSCP */
	uint8_t tos = (uint8_t)((tcb->tos & ~SN_IP_ECN_MASK) |
				tcp_ecn_out(tcb, &seg.flags, payload_len, retransmit));
	uint8_t *tcp = st->txbuf + SN_IPV4_HDR_LEN;
	size_t hlen = SN_TCP_HDR_LEN + sn_tcp_opts_len(&seg.opts);
	if (payload_len) {
		uint32_t off = seq - tcb->snd_una - (tcb->syn_acked ? 0 : 1);
		seg.len = sn_ring_peek(&tcb->sndbuf, off, tcp + hlen, payload_len);
	}
	sn_tcp_build(tcp, &seg, tcb->local.addr, tcb->remote.addr);
	seg.payload = tcp + hlen;
	emit_count(st, tcb, flags, retransmit);
	sn_trace_seg(st, SYNACK_TRACE_SEG_OUT, &tcb->local, &tcb->remote, &seg, retransmit);
	emit_datagram(st, tcb->local.addr, tcb->remote.addr, hlen + seg.len, tcb->ttl, tos,
		      tcb->route);
	emit_done(st, tcb, seq, flags, seg.ack, sn_tcp_seg_seqlen(&seg), retransmit);
}

/* The sequence number of a pure ACK, which must be acceptable to the peer
 * (§3.10.7.4), or the peer answers it with an ACK and two such peers trade
 * ACKs forever. SND.MAX, not SND.NXT: after a timeout SND.NXT moves back to
 * resend, and an ACK below what the peer already has is unacceptable. But
 * never past the right edge of the peer's window (SND.UNA + SND.WND), where
 * a zero-window probe's byte leaves SND.MAX: a closed window accepts only
 * SEG.SEQ = RCV.NXT (Linux: tcp_acceptable_seq). An open scaled window may
 * have been rounded down by less than one unit (RFC 7323 §2.4): SND.MAX
 * within that of the edge is still in the window the peer meant. */
static uint32_t ack_seq(const struct sn_tcb *tcb)
{
	uint32_t edge = tcb->snd_una + tcb->snd_wnd;

	if (!tcb->syn_acked || seq_leq(tcb->snd_max, edge))
		return tcb->snd_max;
	if (tcb->snd_wnd && tcb->snd_max - edge < (1u << tcb->snd_wscale))
		return tcb->snd_max;
	return edge;
}

void tcp_send_ack(struct synack_stack *st, struct sn_tcb *tcb)
{
	tcp_emit(st, tcb, ack_seq(tcb), SN_TCP_ACK, 0, 0);
}

void tcp_send_rst(struct synack_stack *st, struct sn_tcb *tcb)
{
	/* ABORT: <SEQ=SND.NXT><CTL=RST> (§3.10.5); with the ACK bit, as Linux
	 * does, when the peer's ISN is known. */
	uint8_t flags = SN_TCP_RST;
	if (tcp_state_synchronized(tcb->state) || tcb->state == SYNACK_SYN_RECEIVED)
		flags |= SN_TCP_ACK;
	tcp_emit(st, tcb, tcb->snd_max, flags, 0, 0);
}

static void emit_bare(struct synack_stack *st, const struct synack_endpoint *local,
		      const struct synack_endpoint *remote, uint32_t seq, uint32_t ack, uint8_t flags,
		      uint16_t wnd, const struct sn_tcp_opts *opts)
{
	struct sn_tcp_seg seg = {
		.sport = local->port,
		.dport = remote->port,
		.seq = seq,
		.ack = (flags & SN_TCP_ACK) ? ack : 0,
		.flags = flags,
		.wnd = wnd,
	};
	if (opts)
		seg.opts = *opts;
	size_t hlen = sn_tcp_build(st->txbuf + SN_IPV4_HDR_LEN, &seg, local->addr, remote->addr);

	st->ctr.segs_out++;
	if (flags & SN_TCP_RST)
		st->ctr.rst_out++;
	sn_trace_seg(st, SYNACK_TRACE_SEG_OUT, local, remote, &seg, 0);
	/* a reply to a source-routed datagram goes back by its route (MUST-53) */
	emit_datagram(st, local->addr, remote->addr, hlen, 64, 0,
		      st->rx_route.n && st->rx_route_src == remote->addr ? &st->rx_route : NULL);
}

void tcp_emit_bare(struct synack_stack *st, const struct synack_endpoint *local,
		   const struct synack_endpoint *remote, uint32_t seq, uint32_t ack, uint8_t flags,
		   uint16_t wnd)
{
	emit_bare(st, local, remote, seq, ack, flags, wnd, NULL);
}

void tcp_emit_bare_opts(struct synack_stack *st, const struct synack_endpoint *local,
			const struct synack_endpoint *remote, uint32_t seq, uint32_t ack,
			uint8_t flags, uint16_t wnd, const struct sn_tcp_opts *o)
{
	emit_bare(st, local, remote, seq, ack, flags, wnd, o);
}

void tcp_emit_bare_ts(struct synack_stack *st, const struct synack_endpoint *local,
		      const struct synack_endpoint *remote, uint32_t seq, uint32_t ack, uint8_t flags,
		      uint16_t wnd, uint32_t ts_val, uint32_t ts_ecr)
{
	struct sn_tcp_opts o = {.has_ts = 1, .ts_val = ts_val, .ts_ecr = ts_ecr};

	emit_bare(st, local, remote, seq, ack, flags, wnd, &o);
}

void tcp_reply_rst(struct synack_stack *st, uint32_t src, uint32_t dst, const struct sn_tcp_seg *in)
{
	struct synack_endpoint local = {dst, in->dport}, remote = {src, in->sport};

	if (in->flags & SN_TCP_RST)
		return; /* never answer a reset with a reset */
	if (in->flags & SN_TCP_ACK) /* <SEQ=SEG.ACK><CTL=RST> */
		tcp_emit_bare(st, &local, &remote, in->ack, 0, SN_TCP_RST, 0);
	else /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		tcp_emit_bare(st, &local, &remote, 0, in->seq + sn_tcp_seg_seqlen(in),
			      SN_TCP_RST | SN_TCP_ACK, 0);
}

/* Sender SWS avoidance and Nagle: may a segment of len bytes go now? */
static int may_send(const struct sn_tcb *tcb, uint32_t len, uint32_t avail)
{
	if (len >= tcb->snd_mss)
		return 1;
	if (seq_lt(tcb->snd_nxt, tcb->snd_max))
		return 1; /* retransmitting what was already sent */
	if (len == avail && (tcb->nodelay || tcb->snd_una == tcb->snd_max))
		return 1; /* all queued data, nothing unacknowledged (Nagle) */
	if (len == avail && tcb->fin_queued)
		return 1; /* CLOSE pushes (§3.8) and no more data will come to
			   * coalesce with: the tail goes with the FIN, as in Linux */
	return len >= tcb->max_snd_wnd / 2 && tcb->max_snd_wnd > 0;
}

/* RFC 3042 Limited Transmit: on each of the first two duplicate ACKs one
 * new segment beyond cwnd (FlightSize <= cwnd + 2*SMSS), cwnd unchanged, so
 * that a small window still draws the duplicates fast retransmit needs.
 * With SACK, what the peer reports holding has left the network and as
 * much new data may replace it (RFC 6675 §5 (2) allows RFC 3042 before
 * recovery; under RACK the wait for the reordering window can be longer
 * than two duplicates, as Linux's in-flight count allows). */
static uint32_t limited_transmit(const struct sn_tcb *tcb)
{
	if (tcb->in_recovery || !tcb->dupacks || tcb->snd_nxt != tcb->snd_max)
		return 0;
	uint32_t sacked = tcp_sack_sacked_bytes(tcb);
	if (sacked)
		return sacked;
	return (tcb->dupacks < 2 ? tcb->dupacks : 2u) * tcb->snd_mss;
}

/* Send data segments (and the FIN riding on the last one); returns how
 * many segments went out. */
static int output_data(struct synack_stack *st, struct sn_tcb *tcb)
{
	int sent = 0;
	uint32_t ring_len = sn_ring_len(&tcb->sndbuf);
	uint32_t cwnd = tcb->cwnd, lt = limited_transmit(tcb);
	uint32_t wnd = tcb->snd_wnd < cwnd + lt ? tcb->snd_wnd : cwnd + lt;

	for (;;) {
		uint32_t off = tcb->snd_nxt - tcb->snd_una;
		uint32_t avail = ring_len > off ? ring_len - off : 0;
		uint32_t usable = wnd > off ? wnd - off : 0;
		uint32_t len = avail < usable ? avail : usable;
		if (len > tcb->snd_mss)
			len = tcb->snd_mss;
		if (len == 0 || !may_send(tcb, len, avail))
			break;
		uint8_t flags = SN_TCP_ACK;
		if (len == avail) {
			flags |= SN_TCP_PSH;
			if (tcb->fin_queued)
				flags |= SN_TCP_FIN;
		}
		if (off + len > cwnd)
			st->ctr.limited_transmit++;
		tcp_emit(st, tcb, tcb->snd_nxt, flags, len, seq_lt(tcb->snd_nxt, tcb->snd_max));
		tcb->snd_nxt += len + ((flags & SN_TCP_FIN) ? 1 : 0);
		tcb->snd_max = seq_max(tcb->snd_max, tcb->snd_nxt);
		sent++;
	}
	return sent;
}

/* The FIN alone, once every byte before it has been sent. */
static int output_fin(struct synack_stack *st, struct sn_tcb *tcb)
{
	uint32_t fin_seq = tcb->snd_una + sn_ring_len(&tcb->sndbuf);

	if (!tcb->fin_queued || tcb->fin_acked || tcb->snd_nxt != fin_seq)
		return 0;
	tcp_emit(st, tcb, fin_seq, SN_TCP_FIN | SN_TCP_ACK, 0, seq_lt(fin_seq, tcb->snd_max));
	tcb->snd_nxt = fin_seq + 1;
	tcb->snd_max = seq_max(tcb->snd_max, tcb->snd_nxt);
	return 1;
}

/* SYN-SENT sends SYN; SYN-RECEIVED (and a FIN-WAIT-1 reached from it)
 * sends SYN,ACK, until our SYN is acknowledged. */
static void output_syn(struct synack_stack *st, struct sn_tcb *tcb)
{
	uint8_t flags = SN_TCP_SYN;

	if (tcb->state != SYNACK_SYN_SENT)
		flags |= SN_TCP_ACK;
	if (tcb->snd_nxt == tcb->iss) {
		tcp_emit(st, tcb, tcb->iss, flags, 0, tcb->snd_max != tcb->iss);
		tcb->snd_nxt = tcb->iss + 1;
		tcb->snd_max = tcb->snd_nxt;
	} else if (tcb->ack_now && (flags & SN_TCP_ACK)) {
		/* a duplicate SYN while in SYN-RECEIVED: repeat our SYN,ACK */
		tcp_emit(st, tcb, tcb->iss, flags, 0, 1);
	}
	tcb->ack_now = 0;
}

/* Could output_data, output_fin or an owed ACK send anything? Not with
 * every queued byte sent, no FIN queued and no ACK owed: the usual case
 * after an ACK or in-order data arrives, decided without the walk. */
int tcp_output_may_send(const struct sn_tcb *tcb)
{
	return tcb->ack_now || tcb->fin_queued || tcp_sack_driven(tcb) ||
	       tcb->snd_nxt - tcb->snd_una != sn_ring_len(&tcb->sndbuf);
}

void tcp_output(struct synack_stack *st, struct sn_tcb *tcb)
{
	switch (tcb->state) {
	case SYNACK_CLOSED:
	case SYNACK_LISTEN:
	case SYNACK_TIME_WAIT:
		return;
	default:
		break;
	}
	uint32_t max0 = tcb->snd_max;

	if (!tcb->syn_acked) {
		output_syn(st, tcb);
	} else if (tcp_output_may_send(tcb)) {
		/* RFC 6675 recovery, and the recovery after a timeout with
		 * SACK, send by pipe and NextSeg (sack.c) */
		int sent = tcp_sack_driven(tcb) ? tcp_sack_output(st, tcb) : output_data(st, tcb);
		sent += output_fin(st, tcb);
		if (!sent && tcb->ack_now)
			tcp_send_ack(st, tcb);
	}
	if (tcb->snd_max != max0)
		tcp_tlp_new_data(st, tcb);
	tcp_timers_after_send(st, tcb);
}
