/*
 * ecn.c: Explicit Congestion Notification for TCP, RFC 3168 §6.1 (SHLD-8).
 *
 * Negotiation rides on the SYNs: an ECN-setup SYN carries ECE and CWR, an
 * ECN-setup SYN,ACK carries ECE alone (§6.1.1); tcp_ecn says whether we
 * ask (1) and whether we accept (1, 2). Once both sides agree (ecn_ok):
 *
 *   sending     new data segments go out ECT(0); SYNs, pure ACKs,
 *               retransmissions and window probes go out Not-ECT
 *               (§6.1.1, §6.1.4, §6.1.5, §6.1.6). An ACK with ECE is
 *               congestion: cwnd and ssthresh are reduced as for a loss
 *               (the connection's algorithm decides ssthresh) but nothing is
 *               retransmitted, at most once per window of data
 *               (ecn_recover), and the next new data segment carries CWR
 *               (§6.1.2).
 *   receiving   a CE-marked segment makes every following ACK carry ECE
 *               until a segment with CWR arrives (§6.1.3); a segment with
 *               both CWR and CE starts a new echo.
 *
 * The IP ECN field reaches TCP in seg->ecn (set by the stack from the IPv4
 * header) and leaves through tcp_ecn_out()'s return value.
 */
#include "stack/stack.h"
#include "tcp/tcb.h"
#include "wire/ipv4.h"

void tcp_ecn_offer(struct synack_stack *st, struct sn_tcb *tcb)
{
	/* SYN-SENT: our SYN asks (tcp_ecn=1); a passive open decides on the
	 * peer's SYN in tcp_ecn_negotiate */
	tcb->ecn_ok = st->cfg.tcp_ecn == 1;
	tcb->ecn_echo = 0;
	tcb->ecn_cwr = 0;
	tcb->ecn_recover = tcb->iss;
}

void tcp_ecn_negotiate(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	uint8_t f = seg->flags & (SN_TCP_ECE | SN_TCP_CWR);

	if (seg->flags & SN_TCP_ACK) /* a SYN,ACK answers our SYN: ECE alone */
		tcb->ecn_ok = tcb->ecn_ok && f == SN_TCP_ECE;
	else /* a SYN: ECE and CWR both, and we accept */
		tcb->ecn_ok = st->cfg.tcp_ecn != 0 && f == (SN_TCP_ECE | SN_TCP_CWR);
	tcb->ecn_recover = tcb->iss;
}

/* A segment sent while the peer's window is zero can only be a probe. */
static int ect_allowed(const struct sn_tcb *tcb, uint8_t flags, uint32_t payload_len, int retransmit)
{
	return payload_len && !retransmit && !(flags & SN_TCP_RST) && tcb->snd_wnd != 0;
}

uint8_t tcp_ecn_out(struct sn_tcb *tcb, uint8_t *flags, uint32_t payload_len, int retransmit)
{
	if (*flags & SN_TCP_SYN) {
		if (*flags & SN_TCP_ACK) {
			if (tcb->ecn_ok)
				*flags |= SN_TCP_ECE;
			return SN_IP_ECN_NOT_ECT;
		}
		/* §6.1.1.1: a SYN sent again goes without the ECN request, in
		 * case a middlebox drops ECN-setup SYNs (Linux's fallback) */
		if (retransmit)
			tcb->ecn_ok = 0;
		if (tcb->ecn_ok)
			*flags |= SN_TCP_ECE | SN_TCP_CWR;
		return SN_IP_ECN_NOT_ECT;
	}
	if (!tcb->ecn_ok || (*flags & SN_TCP_RST))
		return SN_IP_ECN_NOT_ECT;
	if ((*flags & SN_TCP_ACK) && tcb->ecn_echo)
		*flags |= SN_TCP_ECE;
	if (!ect_allowed(tcb, *flags, payload_len, retransmit))
		return SN_IP_ECN_NOT_ECT;
	if (tcb->ecn_cwr) {
		*flags |= SN_TCP_CWR;
		tcb->ecn_cwr = 0;
	}
	return SN_IP_ECN_ECT0;
}

/* §6.1.2: ECE is congestion, answered like a loss but without resending. */
static void ecn_reduce(struct synack_stack *st, struct sn_tcb *tcb)
{
	uint32_t ssthresh = tcp_cc_congestion_event(st, tcb);

	tcb->ssthresh = ssthresh;
	if (tcb->cwnd > ssthresh)
		tcb->cwnd = ssthresh;
	if (tcb->cwnd < tcb->snd_mss)
		tcb->cwnd = tcb->snd_mss;
	tcb->ecn_recover = tcb->snd_max;
	tcb->ecn_cwr = 1;
	st->ctr.ecn_reductions++;
}

void tcp_ecn_input(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg)
{
	if (!tcb->ecn_ok || (seg->flags & SN_TCP_SYN))
		return;
	if (seg->flags & SN_TCP_CWR)
		tcb->ecn_echo = 0;
	if (seg->ecn == SN_IP_ECN_CE) {
		st->ctr.ecn_ce_rcvd++;
		tcb->ecn_echo = 1;
	}
	/* once per window, and not on top of a loss recovery's reduction */
	if ((seg->flags & SN_TCP_ECE) && !tcb->in_recovery && seq_gt(seg->ack, tcb->ecn_recover))
		ecn_reduce(st, tcb);
}
