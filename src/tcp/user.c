/*
 * user.c: the user calls on a connection, RFC 9293 §3.10.1-3.10.5, state by
 * state. The socket layer (src/stack/socket.c) maps descriptors and options
 * onto these; here is only what the RFC says each call does in each state.
 */
#include <errno.h>

#include "stack/stack.h"
#include "tcp/tcb.h"

/* OPEN, active (§3.10.1): ISS, send SYN, SYN-SENT. Local and remote are set.
 * iss_min: NULL, or the lowest ISN allowed (a TIME-WAIT 4-tuple taken over
 * by tcp_tw_reuse: beyond the old connection, MAY-2 condition 1). */
int tcp_user_connect(struct synack_stack *st, struct sn_tcb *tcb, const uint32_t *iss_min)
{
	tcb->iss = tcp_isn(st, &tcb->local, &tcb->remote);
	if (iss_min && seq_lt(tcb->iss, *iss_min))
		tcb->iss = *iss_min;
	tcb->snd_una = tcb->snd_nxt = tcb->snd_max = tcb->iss;
	tcp_opts_offer(st, tcb);
	tcp_cc_init(tcb);
	st->ctr.active_opens++;
	tcp_set_state(st, tcb, SYNACK_SYN_SENT, "connect");
	tcp_output(st, tcb);
	return 0;
}

/* SEND (§3.10.2). */
ssize_t tcp_user_send(struct synack_stack *st, struct sn_tcb *tcb, const void *buf, size_t len,
		      int urgent)
{
	switch (tcb->state) {
	case SYNACK_SYN_SENT:
	case SYNACK_SYN_RECEIVED:
	case SYNACK_ESTABLISHED:
	case SYNACK_CLOSE_WAIT:
		break;
	default: /* "connection closing": our FIN is queued or sent */
		return -EPIPE;
	}
	if (tcb->fin_queued)
		return -EPIPE;
	uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	n = sn_ring_push(&tcb->sndbuf, buf, n);
	if (n == 0)
		return len ? -EAGAIN : 0;
	if (urgent) {
		/* the urgent pointer marks the octet after the urgent data */
		tcb->snd_up = tcb->snd_una + (tcb->syn_acked ? 0 : 1) + sn_ring_len(&tcb->sndbuf);
		tcb->urg_send = 1;
	}
	if (tcb->syn_acked)
		tcp_output(st, tcb);
	return n;
}

/* The user made room in the receive buffer. Send the ACK that
 * tcp_ack_in_order held back for this read (two or more segments unACKed),
 * carrying the reopened window, as Linux's tcp_cleanup_rbuf does; else a
 * window update when the window at least doubles and grows by the SWS step
 * (MUST-39), so a reader that drains a full buffer unblocks the sender
 * without an ACK per read. */
void tcp_window_update(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (!tcp_state_synchronized(tcb->state) || tcb->fin_rcvd)
		return;
	uint32_t cur = tcb->rcv_adv - tcb->rcv_nxt;
	uint32_t space = sn_ring_space(&tcb->rcvbuf);
	uint32_t max = tcp_rcv_wnd_max(tcb);
	uint32_t wnd = space < max ? space : max;
	uint32_t half = tcb->rcvbuf.cap / 2;
	uint32_t step = half < tcb->rcv_mss ? half : tcb->rcv_mss;

	if (tcb->delack_segs >= 2 || (wnd >= 2 * cur && wnd - cur >= step)) {
		tcb->ack_now = 1;
		tcp_output(st, tcb);
	}
}

uint32_t tcp_urgent_pending(const struct sn_tcb *tcb)
{
	uint32_t read_seq = tcb->rcv_nxt - sn_ring_len(&tcb->rcvbuf);

	if (!tcb->urg_rcvd || !seq_gt(tcb->rcv_up, read_seq))
		return 0;
	return tcb->rcv_up - read_seq;
}

/* RECEIVE (§3.10.3): bytes, 0 at the end of the stream, or -EAGAIN. */
ssize_t tcp_user_recv(struct synack_stack *st, struct sn_tcb *tcb, void *buf, size_t len)
{
	uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;

	n = sn_ring_pop(&tcb->rcvbuf, buf, n);
	if (n) {
		tcp_window_update(st, tcb);
		return n;
	}
	if (tcb->fin_rcvd || len == 0)
		return 0;
	return -EAGAIN;
}

/* Reset every connection a closing listener has not handed out. */
static void close_listener(struct synack_stack *st, struct sn_tcb *lis)
{
	struct sn_list *queues[2] = {&lis->lq->synq, &lis->lq->acceptq};
	struct sn_list *pos, *tmp;

	for (int q = 0; q < 2; q++) {
		sn_list_for_each_safe(pos, tmp, queues[q])
		{
			struct sn_tcb *c = sn_container_of(pos, struct sn_tcb, qlink);
			tcp_send_rst(st, c);
			c->passive = 0; /* no return to LISTEN: the listener is going */
			tcp_close_tcb(st, c, 0, "listener closed");
		}
	}
	tcp_set_state(st, lis, SYNACK_CLOSED, "close");
	tcb_free(st, lis);
}

/* CLOSE (§3.10.4): the sending direction ends after the queued data. Returns
 * 1 if the TCB is gone. */
int tcp_user_close(struct synack_stack *st, struct sn_tcb *tcb)
{
	switch (tcb->state) {
	case SYNACK_LISTEN:
		close_listener(st, tcb);
		return 1;
	case SYNACK_SYN_SENT:
		tcp_close_tcb(st, tcb, 0, "close");
		return 1;
	case SYNACK_SYN_RECEIVED:
	case SYNACK_ESTABLISHED:
		tcb->fin_queued = 1;
		tcp_set_state(st, tcb, SYNACK_FIN_WAIT_1, "close");
		break;
	case SYNACK_CLOSE_WAIT:
		tcb->fin_queued = 1;
		tcp_set_state(st, tcb, SYNACK_LAST_ACK, "close");
		break;
	default: /* already closing */
		return 0;
	}
	if (tcb->syn_acked)
		tcp_output(st, tcb);
	return 0;
}

/* ABORT (§3.10.5): RST in the states that have told the peer anything,
 * then CLOSED. The TCB is gone afterwards. */
int tcp_user_abort(struct synack_stack *st, struct sn_tcb *tcb)
{
	switch (tcb->state) {
	case SYNACK_LISTEN:
		close_listener(st, tcb);
		return 0;
	case SYNACK_SYN_RECEIVED:
	case SYNACK_ESTABLISHED:
	case SYNACK_FIN_WAIT_1:
	case SYNACK_FIN_WAIT_2:
	case SYNACK_CLOSE_WAIT:
		tcp_send_rst(st, tcb);
		break;
	default:
		break;
	}
	tcb->passive = 0;
	tcp_close_tcb(st, tcb, 0, "abort");
	return 0;
}
