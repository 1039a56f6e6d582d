/*
 * sockopt.c: socket options, readiness and STATUS (RFC 9293 §3.10.6).
 */
#include <errno.h>
#include <string.h>

#include "stack/stack.h"
#include "wire/ipv4.h"

static struct sn_sock *sock_get(struct synack_stack *st, int s)
{
	if (s < 0 || (uint32_t)s >= st->cfg.max_sockets || !st->socks[s].in_use)
		return NULL;
	return &st->socks[s];
}

/* The socket's option block for a setter; NULL: -ENOMEM (socket.c). */
#define OPT_MUT(o, st, so)                                                     \
	struct sn_sock_opt *o = sn_sock_opt_mut(st, so);                       \
	if (!(o))                                                              \
		return -ENOMEM

static int set_buf(struct synack_stack *st, struct sn_sock *so, enum synack_opt opt, int value)
{
	if (so->tcb)
		return -EISCONN; /* buffers are sized when the connection starts */
	if (value < 1 || value > (1 << 30))
		return -EINVAL;
	OPT_MUT(o, st, so);
	if (opt == SYNACK_SO_SNDBUF)
		o->sndbuf = (uint32_t)value;
	else
		o->rcvbuf = (uint32_t)value;
	return 0;
}

/* IP_TTL (1..255, MUST-49) and IP_TOS (MUST-48) apply at once. IP_TOS sets
 * the DS field only: the ECN bits belong to TCP (RFC 3168 §5, ecn.c), so
 * they are cleared, as Linux clears them for TCP sockets. */
static int set_ip(struct synack_stack *st, struct sn_sock *so, enum synack_opt opt, int value)
{
	if (value < (opt == SYNACK_IP_TTL ? 1 : 0) || value > 255)
		return -EINVAL;
	OPT_MUT(o, st, so);
	if (opt == SYNACK_IP_TTL)
		o->ttl = (uint8_t)value;
	else
		o->tos = (uint8_t)(value & ~SN_IP_ECN_MASK);
	if (so->tcb) {
		so->tcb->ttl = o->ttl;
		so->tcb->tos = o->tos;
	}
	return 0;
}

/* TCP_KEEPIDLE/KEEPINTVL (s, 1..32767) and TCP_KEEPCNT (1..127), Linux's
 * ranges (MUST-26: the keepalive interval is configurable). A live
 * connection takes them at once; a new idle time restarts the idle period
 * when no probe is outstanding. */
static int set_keep(struct synack_stack *st, struct sn_sock *so, enum synack_opt opt, int value)
{
	struct sn_tcb *tcb = so->tcb;

	if (value < 1 || value > (opt == SYNACK_TCP_KEEPCNT ? 127 : 32767))
		return -EINVAL;
	OPT_MUT(o, st, so);
	if (opt == SYNACK_TCP_KEEPIDLE)
		o->keepidle_s = (uint16_t)value;
	else if (opt == SYNACK_TCP_KEEPINTVL)
		o->keepintvl_s = (uint16_t)value;
	else
		o->keepcnt = (uint8_t)value;
	if (!tcb)
		return 0;
	tcb->keepidle_s = o->keepidle_s;
	tcb->keepintvl_s = o->keepintvl_s;
	tcb->keepcnt = o->keepcnt;
	if (opt == SYNACK_TCP_KEEPIDLE && tcb->keepalive && !tcb->probes)
		tcp_keepalive_reset(st, tcb);
	return 0;
}

static int get_keep(struct synack_stack *st, const struct sn_sock_opt *o, enum synack_opt opt)
{
	if (opt == SYNACK_TCP_KEEPIDLE)
		return o->keepidle_s ? o->keepidle_s : (int)(st->cfg.keepalive_time_us / SN_US_PER_SEC);
	if (opt == SYNACK_TCP_KEEPINTVL)
		return o->keepintvl_s ? o->keepintvl_s
				      : (int)(st->cfg.keepalive_intvl_us / SN_US_PER_SEC);
	return o->keepcnt ? o->keepcnt : (int)st->cfg.keepalive_probes;
}

/* TCP_CONGESTION: a live connection switches at once, as Linux's
 * tcp_set_congestion_control, keeping cwnd and ssthresh. */
static int set_cc(struct synack_stack *st, struct sn_sock *so, int value)
{
	if (value < 0 || !tcp_cc_name((unsigned)value))
		return -ENOENT;
	OPT_MUT(o, st, so);
	o->cc_algo = (uint8_t)value;
	if (so->tcb)
		tcp_cc_select(so->tcb, o->cc_algo);
	return 0;
}

int synack_sock_set_congestion(synack_stack *st, int s, const char *name)
{
	struct sn_sock *so = sock_get(st, s);

	if (!so)
		return -EBADF;
	if (!name)
		return -EINVAL;
	int algo = tcp_cc_by_name(name, strlen(name));
	return algo < 0 ? algo : set_cc(st, so, algo);
}

const char *synack_sock_congestion(synack_stack *st, int s)
{
	struct sn_sock *so = sock_get(st, s);
	struct sn_sock_opt tmp;
	return so ? tcp_cc_name(sn_sock_opt(st, so, &tmp)->cc_algo) : NULL;
}

const char *synack_cc_name(int algo)
{
	return algo < 0 ? NULL : tcp_cc_name((unsigned)algo);
}

static int set_user_timeout(struct synack_stack *st, struct sn_sock *so, int value)
{
	OPT_MUT(o, st, so);
	o->user_timeout_us = (uint32_t)value * 1000u;
	if (so->tcb)
		so->tcb->user_timeout_us = o->user_timeout_us;
	return 0;
}

int synack_sock_setopt(synack_stack *st, int s, enum synack_opt opt, int value)
{
	struct sn_sock *so = sock_get(st, s);
	struct sn_tcb *tcb;

	if (!so)
		return -EBADF;
	tcb = so->tcb;
	switch (opt) {
	case SYNACK_SO_REUSEADDR:
		so->reuseaddr = value != 0;
		return 0;
	case SYNACK_SO_LINGER: {
		OPT_MUT(o, st, so);
		o->linger = value < 0 ? -1 : value;
		return 0;
	}
	case SYNACK_SO_KEEPALIVE:
		so->keepalive = value != 0;
		if (tcb) {
			tcb->keepalive = so->keepalive;
			tcp_keepalive_reset(st, tcb);
			if (!tcb->keepalive)
				tcp_timer_clear(st, tcb, SN_T_KEEP);
		}
		return 0;
	case SYNACK_SO_SNDBUF:
	case SYNACK_SO_RCVBUF:
		return set_buf(st, so, opt, value);
	case SYNACK_TCP_NODELAY:
		so->nodelay = value != 0;
		if (tcb) {
			tcb->nodelay = so->nodelay;
			if (tcb->nodelay && tcb->syn_acked)
				tcp_output(st, tcb); /* MUST-17: pending small data goes now */
		}
		return 0;
	case SYNACK_TCP_USER_TIMEOUT:
		if (value < 0)
			return -EINVAL;
		return set_user_timeout(st, so, value);
	case SYNACK_IP_TTL:
	case SYNACK_IP_TOS:
		return set_ip(st, so, opt, value);
	case SYNACK_TCP_KEEPIDLE:
	case SYNACK_TCP_KEEPINTVL:
	case SYNACK_TCP_KEEPCNT:
		return set_keep(st, so, opt, value);
	case SYNACK_TCP_CONGESTION:
		return set_cc(st, so, value);
	case SYNACK_TCP_STALL_REPORT:
		so->no_stall_report = value == 0;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int synack_sock_getopt(synack_stack *st, int s, enum synack_opt opt, int *value)
{
	struct sn_sock *so = sock_get(st, s);
	struct sn_sock_opt tmp;

	if (!so)
		return -EBADF;
	if (!value)
		return -EINVAL;
	const struct sn_sock_opt *o = sn_sock_opt(st, so, &tmp);
	switch (opt) {
	case SYNACK_SO_REUSEADDR:
		*value = so->reuseaddr;
		return 0;
	case SYNACK_SO_LINGER:
		*value = o->linger;
		return 0;
	case SYNACK_SO_KEEPALIVE:
		*value = so->keepalive;
		return 0;
	case SYNACK_SO_SNDBUF:
		*value = (int)o->sndbuf;
		return 0;
	case SYNACK_SO_RCVBUF:
		*value = (int)o->rcvbuf;
		return 0;
	case SYNACK_SO_ERROR:
		*value = so->error;
		so->error = 0;
		if (!*value && so->tcb) { /* then a soft ICMP error (SHLD-25), as Linux's sk_err_soft */
			*value = so->tcb->soft_err;
			so->tcb->soft_err = 0;
		}
		return 0;
	case SYNACK_TCP_NODELAY:
		*value = so->nodelay;
		return 0;
	case SYNACK_TCP_USER_TIMEOUT:
		*value = (int)(o->user_timeout_us / 1000u);
		return 0;
	case SYNACK_TCP_MAXSEG:
		*value = so->tcb ? so->tcb->snd_mss : 536;
		return 0;
	case SYNACK_IP_TTL:
		*value = o->ttl;
		return 0;
	case SYNACK_IP_TOS:
		*value = o->tos;
		return 0;
	case SYNACK_TCP_KEEPIDLE:
	case SYNACK_TCP_KEEPINTVL:
	case SYNACK_TCP_KEEPCNT:
		*value = get_keep(st, o, opt);
		return 0;
	case SYNACK_TCP_CONGESTION:
		*value = o->cc_algo;
		return 0;
	case SYNACK_TCP_STALL_REPORT:
		*value = !so->no_stall_report;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

static unsigned conn_events(const struct sn_sock *so, const struct sn_tcb *tcb)
{
	unsigned ev = 0;

	if (tcb->state == SYNACK_LISTEN)
		return tcb->lq->nacceptq ? SYNACK_EV_IN : 0;
	if (sn_ring_len(&tcb->rcvbuf) || tcb->fin_rcvd || so->shut_rd)
		ev |= SYNACK_EV_IN;
	if (tcb->fin_rcvd)
		ev |= SYNACK_EV_RDHUP;
	if (tcp_urgent_pending(tcb))
		ev |= SYNACK_EV_PRI;
	if (tcb->r1_reached && !so->no_stall_report)
		ev |= SYNACK_EV_STALL; /* SHLD-9, unless disabled (SHLD-20) */
	if (tcb->fin_rcvd && so->shut_wr)
		ev |= SYNACK_EV_HUP;
	if ((tcb->state == SYNACK_ESTABLISHED || tcb->state == SYNACK_CLOSE_WAIT) &&
	    !so->shut_wr && sn_ring_space(&tcb->sndbuf))
		ev |= SYNACK_EV_OUT;
	return ev;
}

unsigned synack_sock_events(synack_stack *st, int s)
{
	struct sn_sock *so = sock_get(st, s);

	if (!so)
		return 0;
	if (so->tcb)
		return conn_events(so, so->tcb);
	if (so->error)
		return SYNACK_EV_ERR | SYNACK_EV_HUP | SYNACK_EV_IN | SYNACK_EV_OUT;
	if (so->was_connected)
		return SYNACK_EV_IN | SYNACK_EV_HUP | (so->eof ? SYNACK_EV_RDHUP : 0u);
	return SYNACK_EV_OUT | SYNACK_EV_HUP; /* a fresh socket, as Linux reports it */
}

static void fill_info(struct synack_stack *st, const struct sn_tcb *t, struct synack_tcp_info *i)
{
	*i = (struct synack_tcp_info){
		.state = t->state,
		.local = t->local,
		.remote = t->remote,
		.snd_una = t->snd_una,
		.snd_nxt = t->snd_nxt,
		.snd_wnd = t->snd_wnd,
		.iss = t->iss,
		.rcv_nxt = t->rcv_nxt,
		.rcv_wnd = t->rcv_adv - t->rcv_nxt,
		.irs = t->irs,
		.snd_mss = t->snd_mss,
		.rcv_mss = t->rcv_mss,
		.cwnd = t->cwnd,
		.ssthresh = t->ssthresh,
		.srtt_us = t->srtt_us,
		.rttvar_us = t->rttvar_us,
		.rto_us = tcp_rto_current(st, t),
		.retransmits = t->nretrans,
		.total_retrans = t->total_retrans,
		.send_queue = sn_ring_len(&t->sndbuf),
		.recv_queue = sn_ring_len(&t->rcvbuf),
		.urgent_pending = tcp_urgent_pending(t),
		.options = (uint8_t)((t->ts_ok ? SYNACK_TCPI_OPT_TIMESTAMPS : 0) |
				     (t->sack_ok ? SYNACK_TCPI_OPT_SACK : 0) |
				     (t->ws_ok ? SYNACK_TCPI_OPT_WSCALE : 0) |
				     (t->ecn_ok ? SYNACK_TCPI_OPT_ECN : 0)),
		.snd_wscale = t->snd_wscale,
		.rcv_wscale = t->rcv_wscale,
	};
}

int synack_sock_info(synack_stack *st, int s, struct synack_tcp_info *info)
{
	struct sn_sock *so = sock_get(st, s);

	if (!so)
		return -EBADF;
	if (!info)
		return -EINVAL;
	if (!so->tcb) {
		*info = (struct synack_tcp_info){.state = SYNACK_CLOSED, .local = so->local};
		return 0;
	}
	fill_info(st, so->tcb, info);
	return 0;
}

int synack_sock_local(synack_stack *st, int s, struct synack_endpoint *ep)
{
	struct sn_sock *so = sock_get(st, s);

	if (!so || !ep)
		return so ? -EINVAL : -EBADF;
	*ep = so->tcb ? so->tcb->local : so->local;
	return 0;
}

int synack_sock_peer(synack_stack *st, int s, struct synack_endpoint *ep)
{
	struct sn_sock *so = sock_get(st, s);

	if (!so || !ep)
		return so ? -EINVAL : -EBADF;
	if (!so->tcb || so->tcb->state == SYNACK_LISTEN)
		return -ENOTCONN;
	*ep = so->tcb->remote;
	return 0;
}
