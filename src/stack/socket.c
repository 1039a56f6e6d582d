/*
 * socket.c: the BSD-shaped, non-blocking socket API over the tcp layer.
 *
 * A descriptor indexes st->socks. A socket owns its options and, once it
 * connects or listens, points at its TCB; the TCB points back until the user
 * closes (then the connection is an orphan that finishes on its own) or the
 * connection ends (then sn_sock_tcb_gone() leaves the outcome on the socket:
 * a pending error, or end-of-stream with any unread bytes kept in `rest`).
 * Errors are negative errno values, as Linux reports them.
 *
 * Memory: the socket itself is small (flags, error, TCB, local address);
 * its options and what it keeps after the connection (unread bytes, an
 * RST's payload) are a struct sn_sock_opt from the stack's sockopt_pool,
 * taken only when an option is set away from the stack's default or there
 * is something to keep, and given back when the socket is closed. So a
 * server's accepted sockets carry no block unless their listener had one
 * (its options are inherited) or the connection left something behind.
 */
#include <errno.h>
#include <string.h>

#include "stack/stack.h"

static struct sn_sock *sock_get(struct synack_stack *st, int s)
{
	if (s < 0 || (uint32_t)s >= st->cfg.max_sockets || !st->socks[s].in_use)
		return NULL;
	return &st->socks[s];
}

int synack_sock_open(synack_stack *st)
{
	int s = st->free_sock;

	if (s < 0)
		return -EMFILE;
	struct sn_sock *so = &st->socks[s];
	st->free_sock = so->next_free;
	*so = (struct sn_sock){.in_use = 1, .next_free = -1};
	return s;
}

static void sock_opt_defaults(const struct synack_stack *st, struct sn_sock_opt *o)
{
	*o = (struct sn_sock_opt){
		.linger = -1,
		.ttl = 64,
		.sndbuf = st->cfg.sndbuf,
		.rcvbuf = st->cfg.rcvbuf,
		.cc_algo = (uint8_t)st->cfg.tcp_congestion_control,
	};
}

const struct sn_sock_opt *sn_sock_opt(const struct synack_stack *st, const struct sn_sock *so,
				      struct sn_sock_opt *tmp)
{
	if (so->opt)
		return so->opt;
	sock_opt_defaults(st, tmp);
	return tmp;
}

struct sn_sock_opt *sn_sock_opt_mut(struct synack_stack *st, struct sn_sock *so)
{
	if (!so->opt && (so->opt = sn_pool_get(&st->sockopt_pool)))
		sock_opt_defaults(st, so->opt);
	return so->opt;
}

/* Give up the socket's hold on its port, of whichever kind it took. */
static void sock_unhold(struct synack_stack *st, struct sn_sock *so)
{
	if (so->bound_restricted)
		sn_port_release_restricted(st, so->local.port);
	else
		sn_port_release(st, so->local.port, so->bound_reuse ? SN_PORT_REUSE : 0);
}

static void sock_release(struct synack_stack *st, struct sn_sock *so)
{
	if (so->bound)
		sock_unhold(st, so);
	if (so->opt) {
		sn_ring_free(&so->opt->rest);
		sn_pool_put(&st->sockopt_pool, so->opt);
	}
	*so = (struct sn_sock){.next_free = st->free_sock};
	st->free_sock = (int)(so - st->socks);
}

void sn_sock_tcb_gone(struct synack_stack *st, struct sn_tcb *tcb, int err)
{
	struct sn_sock *so = tcb->sock;
	struct sn_sock_opt *o;

	so->tcb = NULL;
	tcb->sock = NULL;
	so->was_connected |= tcb->syn_acked;
	if (err) {
		so->error = err;
		return;
	}
	so->eof = tcb->fin_rcvd;
	if (!sn_ring_len(&tcb->rcvbuf))
		return;
	if (!(o = sn_sock_opt_mut(st, so))) { /* no memory to keep what the user has not read */
		so->error = -ENOBUFS;
		return;
	}
	o->rest = tcb->rcvbuf; /* keep what the user has not read */
	tcb->rcvbuf = (struct sn_ring){0};
}

int synack_sock_bind(synack_stack *st, int s, const struct synack_endpoint *local)
{
	struct sn_sock *so = sock_get(st, s);
	uint16_t port;

	if (!so)
		return -EBADF;
	if (!local)
		return -EINVAL;
	if (so->bound || so->tcb)
		return -EINVAL;
	if (local->addr != 0 && local->addr != st->cfg.addr)
		return -EADDRNOTAVAIL;
	if (local->port == 0) {
		/* no free ephemeral port: Linux's bind (and listen's autobind)
		 * say -EADDRINUSE; only connect says -EADDRNOTAVAIL */
		struct synack_endpoint any = {0, 0};
		int err = sn_port_ephemeral(st, &any, &port);
		if (err)
			return err == -ENOMEM ? err : -EADDRINUSE;
	} else {
		/* a restricted socket shares the port (MUST-42); listen checks
		 * that no listener has the same restriction */
		int err = so->restricted ? 0 : sn_port_bindable(st, local->port, so->reuseaddr);
		if (!err)
			err = sn_port_reserve(st, local->port);
		if (err)
			return err;
		port = local->port;
	}
	if (so->restricted)
		sn_port_hold_restricted(st, port);
	else
		sn_port_hold(st, port, so->reuseaddr ? SN_PORT_REUSE : 0);
	so->local = (struct synack_endpoint){local->addr, port};
	so->bound = 1;
	so->bound_reuse = so->reuseaddr;
	so->bound_restricted = so->restricted;
	return 0;
}

int synack_sock_restrict(synack_stack *st, int s, const struct synack_endpoint *foreign)
{
	struct sn_sock *so = sock_get(st, s);
	struct synack_endpoint f = foreign ? *foreign : (struct synack_endpoint){0, 0};
	unsigned restricted = f.addr != 0 || f.port != 0;

	if (!so)
		return -EBADF;
	if (so->tcb || so->was_connected)
		return -EINVAL;
	if (so->bound && so->bound_restricted != restricted) {
		/* the port hold changes kind; lifting the restriction must
		 * pass the ordinary bind rule */
		sock_unhold(st, so);
		if (!restricted && sn_port_bindable(st, so->local.port, so->bound_reuse)) {
			sn_port_hold_restricted(st, so->local.port);
			return -EADDRINUSE;
		}
		if (restricted)
			sn_port_hold_restricted(st, so->local.port);
		else
			sn_port_hold(st, so->local.port, so->bound_reuse ? SN_PORT_REUSE : 0);
		so->bound_restricted = restricted;
	}
	if (restricted || so->opt) {
		struct sn_sock_opt *o = sn_sock_opt_mut(st, so);
		if (!o)
			return -ENOMEM;
		o->foreign = f;
	}
	so->restricted = restricted;
	return 0;
}

/* The options a new TCB takes from its socket. 0 or -ENOMEM (no block for
 * its source route). */
static int sock_opts_to_tcb(struct synack_stack *st, const struct sn_sock *so,
			    struct sn_tcb *tcb)
{
	struct sn_sock_opt tmp;
	const struct sn_sock_opt *o = sn_sock_opt(st, so, &tmp);

	tcb->nodelay = so->nodelay;
	tcb->keepalive = so->keepalive;
	tcb->keepidle_s = o->keepidle_s;
	tcb->keepintvl_s = o->keepintvl_s;
	tcb->keepcnt = o->keepcnt;
	tcb->reuseaddr = so->reuseaddr;
	tcb->user_timeout_us = o->user_timeout_us;
	tcb->ttl = o->ttl;
	tcb->tos = o->tos;
	tcp_cc_select(tcb, o->cc_algo);
	tcb->route_user = o->route.n != 0;
	return tcp_route_store(st, tcb, &o->route); /* MUST-51 (the MSS accounts for it
	                                              * at the SYN,ACK) */
}

int synack_sock_set_route(synack_stack *st, int s, const struct synack_route *route)
{
	struct sn_sock *so = sock_get(st, s);
	struct synack_route r = {0};

	if (!so)
		return -EBADF;
	if (route && route->n) {
		if (route->n > SYNACK_ROUTE_MAX)
			return -EINVAL;
		r.strict = route->strict ? 1 : 0;
		r.n = route->n;
		for (unsigned i = 0; i < r.n; i++) {
			uint32_t a = route->hops[i];
			if (a == 0 || a == 0xffffffffu || (a >> 28) == 0xe)
				return -EINVAL;
			r.hops[i] = a;
		}
	}
	if (so->listening)
		return -EINVAL;
	if (r.n || so->opt) {
		struct sn_sock_opt *o = sn_sock_opt_mut(st, so);
		if (!o)
			return -ENOMEM;
		o->route = r;
	}
	if (so->tcb)
		return tcp_route_set(st, so->tcb, &r, 1); /* MUST-52: the application's wins */
	return 0;
}

ssize_t synack_sock_rst_data(synack_stack *st, int s, void *buf, size_t len)
{
	struct sn_sock *so = sock_get(st, s);

	if (!so)
		return -EBADF;
	size_t have = so->opt ? so->opt->rst_len : 0;
	size_t n = have < len ? have : len;
	if (n)
		memcpy(buf, so->opt->rst_data, n);
	return (ssize_t)n;
}

int synack_sock_route(synack_stack *st, int s, struct synack_route *route)
{
	struct sn_sock *so = sock_get(st, s);

	if (!so || !route)
		return -EBADF;
	struct sn_sock_opt tmp;
	if (so->tcb)
		*route = so->tcb->route ? *so->tcb->route : (struct synack_route){0};
	else
		*route = sn_sock_opt(st, so, &tmp)->route;
	return 0;
}

int synack_sock_listen(synack_stack *st, int s, int backlog)
{
	struct sn_sock *so = sock_get(st, s);

	if (!so)
		return -EBADF;
	if (backlog < 1)
		backlog = 1;
	if (backlog > 65535)
		backlog = 65535;
	if (so->tcb && so->tcb->state == SYNACK_LISTEN) {
		so->tcb->lq->backlog = (uint32_t)backlog;
		return 0;
	}
	if (so->tcb || so->was_connected || so->shut_wr)
		return -EINVAL;
	if (!so->bound) {
		struct synack_endpoint any = {0, 0};
		int err = synack_sock_bind(st, s, &any);
		if (err)
			return err;
	}
	struct sn_sock_opt tmp;
	const struct synack_endpoint foreign = sn_sock_opt(st, so, &tmp)->foreign;
	if (sn_listener_same(st, so->local.port, &foreign))
		return -EADDRINUSE;
	struct sn_listen *lq = sn_pool_get(&st->listen_pool);
	struct sn_tcb *tcb = lq ? tcb_alloc(st, 0, 0) : NULL;
	if (!tcb) {
		if (lq)
			sn_pool_put(&st->listen_pool, lq);
		return -ENOBUFS;
	}
	tcb->local = so->local;
	tcb->listener = 1;
	tcb->lq = lq;
	sn_list_init(&lq->synq);
	sn_list_init(&lq->acceptq);
	lq->backlog = (uint32_t)backlog;
	lq->foreign = foreign;
	tcb->restricted = so->restricted;
	(void)sock_opts_to_tcb(st, so, tcb); /* a listener sends by no route of its own */
	tcb->sock = so;
	so->tcb = tcb;
	so->listening = 1;
	if (tcb->restricted)
		sn_port_hold_restricted(st, tcb->local.port);
	else
		sn_port_hold(st, tcb->local.port, sn_tcb_port_how(tcb));
	sn_list_insert_tail(&st->listeners, &tcb->qlink);
	tcp_set_state(st, tcb, SYNACK_LISTEN, "listen");
	return 0;
}

/* An accepted socket inherits its listener's options (Linux's
 * inet_csk_clone: keepalive, linger, TTL, TOS, congestion control). It
 * needs an option block only if one of them is not the default. */
static int accept_opts(struct synack_stack *st, const struct sn_sock *ls, const struct sn_tcb *c,
		       struct sn_sock *cs)
{
	cs->nodelay = ls->nodelay;
	cs->keepalive = ls->keepalive;
	cs->reuseaddr = ls->reuseaddr;
	cs->no_stall_report = ls->no_stall_report;
	cs->was_connected = 1;
	if (!ls->opt && c->ttl == 64 && c->tos == 0 && c->cc.algo == st->cfg.tcp_congestion_control)
		return 0;
	struct sn_sock_opt *o = sn_sock_opt_mut(st, cs);
	if (!o)
		return -ENOMEM;
	if (ls->opt) {
		o->keepidle_s = ls->opt->keepidle_s;
		o->keepintvl_s = ls->opt->keepintvl_s;
		o->keepcnt = ls->opt->keepcnt;
		o->linger = ls->opt->linger;
	}
	o->ttl = c->ttl;
	o->tos = c->tos;
	o->cc_algo = c->cc.algo;
	return 0;
}

int synack_sock_accept(synack_stack *st, int s, struct synack_endpoint *peer)
{
	struct sn_sock *so = sock_get(st, s);

	if (!so)
		return -EBADF;
	if (!so->tcb || so->tcb->state != SYNACK_LISTEN)
		return -EINVAL;
	struct sn_tcb *lis = so->tcb;
	if (sn_list_empty(&lis->lq->acceptq))
		return -EAGAIN;
	int ns = synack_sock_open(st);
	if (ns < 0)
		return ns;
	struct sn_tcb *c = sn_container_of(lis->lq->acceptq.next, struct sn_tcb, qlink);
	struct sn_sock *cs = &st->socks[ns];
	if (accept_opts(st, so, c, cs) < 0) {
		sock_release(st, cs);
		return -ENOMEM;
	}
	sn_list_remove(&c->qlink);
	lis->lq->nacceptq--;
	c->parent = NULL;
	cs->tcb = c;
	cs->local = c->local;
	c->sock = cs;
	if (peer)
		*peer = c->remote;
	sn_trace_user(st, c, "accept");
	return ns;
}

static int connect_check(struct synack_stack *st, struct sn_sock *so, const struct synack_endpoint *r)
{
	if (so->tcb) /* a listener is not "unconnected" either: Linux says -EISCONN */
		return tcb_syn_unacked(so->tcb) ? -EALREADY : -EISCONN;
	if (so->error) {
		int err = so->error;
		so->error = 0;
		return err;
	}
	if (so->was_connected)
		return -EISCONN;
	if (!r || r->addr == 0 || r->port == 0)
		return -EINVAL;
	/* MUST-46: no OPEN to a broadcast or multicast address */
	if (r->addr == 0xffffffffu || (r->addr >> 28) == 0xe)
		return -ENETUNREACH;
	(void)st;
	return 0;
}

/* tcp_tw_reuse takes over a TIME-WAIT 4-tuple, as Linux's tcp_twsk_unique():
 * the entry goes, the new ISN lies beyond the old connection (returned) and
 * the new TCB inherits TS.Recent, so PAWS keeps the old duplicates out. */
static uint32_t tw_take_over(struct synack_stack *st, struct sn_tcb *tcb, struct sn_tw *tw)
{
	uint64_t age_us = (uint64_t)(sn_tw_now_ms(st->now) - tw->ts_recent_age) * SN_US_PER_MS;

	tcb->ts_recent = tw->ts_recent;
	tcb->ts_recent_age = st->now > age_us ? st->now - age_us : 0;
	tcb->ts_recent_set = 1;
	st->ctr.tw_recycled++;
	return sn_tw_recycle(st, tw, "tcp_tw_reuse");
}

/* The 4-tuple for a connect(): an unbound socket's port is picked for this
 * destination (sn_port_connect: shared by 4-tuple, as Linux's autobind);
 * a bound socket keeps its port and needs its 4-tuple free, or held by a
 * TIME-WAIT entry tcp_tw_reuse may take over (*tw). */
static int connect_tuple(struct synack_stack *st, const struct sn_sock *so,
			 const struct synack_endpoint *remote, struct synack_endpoint *local,
			 struct sn_tw **tw)
{
	*local = (struct synack_endpoint){st->cfg.addr, so->local.port};
	if (!so->bound)
		return sn_port_connect(st, remote, &local->port, tw);
	if (sn_conn_lookup(st, local, remote))
		return -EADDRNOTAVAIL;
	*tw = sn_tw_lookup(st, local->addr, local->port, remote->addr, remote->port);
	if (*tw && !sn_tw_reusable(st, *tw))
		return -EADDRNOTAVAIL;
	return 0;
}

int synack_sock_connect(synack_stack *st, int s, const struct synack_endpoint *remote)
{
	struct sn_sock *so = sock_get(st, s);
	struct synack_endpoint local;
	struct sn_tw *tw;

	if (!so)
		return -EBADF;
	int err = connect_check(st, so, remote);
	if (!err)
		err = connect_tuple(st, so, remote, &local, &tw);
	if (err)
		return err;
	struct sn_tcb *tcb = tcb_alloc(st, sn_sock_sndbuf(st, so), sn_sock_rcvbuf(st, so));
	if (!tcb)
		return -ENOBUFS;
	if (sock_opts_to_tcb(st, so, tcb) < 0) { /* not in any table yet */
		tcb_free(st, tcb);
		return -ENOBUFS;
	}
	tcb->local = local;
	tcb->remote = *remote;
	tcb->port_shared = !so->bound;
	tcb->sock = so;
	so->tcb = tcb;
	sn_port_hold(st, local.port, sn_tcb_port_how(tcb));
	sn_conn_insert(st, tcb);
	uint32_t iss_min = tw ? tw_take_over(st, tcb, tw) : 0;
	tcp_user_connect(st, tcb, tw ? &iss_min : NULL);
	return -EINPROGRESS;
}

static ssize_t sock_send(synack_stack *st, int s, const void *buf, size_t len, int urgent)
{
	struct sn_sock *so = sock_get(st, s);

	if (!so)
		return -EBADF;
	if (!so->tcb) {
		if (so->error) {
			int err = so->error;
			so->error = 0;
			return err;
		}
		return so->was_connected ? -EPIPE : -ENOTCONN;
	}
	if (so->tcb->state == SYNACK_LISTEN)
		return -ENOTCONN;
	if (so->shut_wr)
		return -EPIPE;
	return tcp_user_send(st, so->tcb, buf, len, urgent);
}

ssize_t synack_sock_send(synack_stack *st, int s, const void *buf, size_t len)
{
	return sock_send(st, s, buf, len, 0);
}

ssize_t synack_sock_send_urgent(synack_stack *st, int s, const void *buf, size_t len)
{
	return sock_send(st, s, buf, len, 1);
}

ssize_t synack_sock_recv(synack_stack *st, int s, void *buf, size_t len)
{
	struct sn_sock *so = sock_get(st, s);

	if (!so)
		return -EBADF;
	if (so->shut_rd)
		return 0;
	if (!so->tcb) {
		if (so->opt && sn_ring_len(&so->opt->rest))
			return sn_ring_pop(&so->opt->rest, buf,
					   len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
		if (so->error) {
			int err = so->error;
			so->error = 0;
			return err;
		}
		return so->was_connected ? 0 : -ENOTCONN;
	}
	if (so->tcb->state == SYNACK_LISTEN)
		return -ENOTCONN;
	if (tcb_syn_unacked(so->tcb) && so->tcb->state == SYNACK_SYN_SENT)
		return -EAGAIN;
	return tcp_user_recv(st, so->tcb, buf, len);
}

int synack_sock_shutdown(synack_stack *st, int s, int how)
{
	struct sn_sock *so = sock_get(st, s);

	if (!so)
		return -EBADF;
	if (how != SYNACK_SHUT_RD && how != SYNACK_SHUT_WR && how != SYNACK_SHUT_RDWR)
		return -EINVAL;
	if (!so->tcb || so->tcb->state == SYNACK_LISTEN)
		return -ENOTCONN;
	sn_trace_user(st, so->tcb, "shutdown");
	if (how != SYNACK_SHUT_WR) {
		so->shut_rd = 1;
		so->tcb->rd_shut = 1;
	}
	if (how != SYNACK_SHUT_RD && !so->shut_wr) {
		so->shut_wr = 1;
		struct sn_tcb *tcb = so->tcb;
		if (tcp_user_close(st, tcb) && so->tcb == tcb)
			so->tcb = NULL;
	}
	return 0;
}

/* The closed connection lives on as an orphan. Past tcp_max_orphans it is
 * reset and destroyed at once, as Linux's tcp_close does (tcp_check_oom:
 * "too many orphaned sockets", LINUX_MIB_TCPABORTONMEMORY). Returns 1 if
 * the TCB is gone. */
static int orphan_too_many(struct synack_stack *st, struct sn_tcb *tcb)
{
	tcb->orphan = 1;
	st->norphans++;
	if (st->norphans <= st->cfg.max_orphans)
		return 0;
	st->ctr.orphans_killed++;
	sn_log(st, SYNACK_LOG_ORPHANS, "TCP: too many orphaned sockets");
	tcp_send_rst(st, tcb);
	tcb->passive = 0;
	tcp_close_tcb(st, tcb, 0, "too many orphans");
	return 1;
}

/* Close of a connection: RST instead of FIN when SO_LINGER is 0 or unread
 * data would be lost (RFC 9293 §3.10.4 lets CLOSE abort; Linux does this). */
static void close_conn(struct synack_stack *st, struct sn_sock *so, struct sn_tcb *tcb)
{
	int rst = (so->opt && so->opt->linger == 0) || sn_ring_len(&tcb->rcvbuf) > 0;

	tcb->sock = NULL;
	so->tcb = NULL;
	if (rst) {
		tcp_user_abort(st, tcb);
		return;
	}
	if (tcp_user_close(st, tcb))
		return;
	if (orphan_too_many(st, tcb))
		return;
	if (tcb->state == SYNACK_FIN_WAIT_2) /* orphaned after a half-close */
		tcp_timer_set(st, tcb, SN_T_FINWAIT2, st->now + st->cfg.fin_timeout_us);
}

int synack_sock_close(synack_stack *st, int s)
{
	struct sn_sock *so = sock_get(st, s);

	if (!so)
		return -EBADF;
	struct sn_tcb *tcb = so->tcb;
	sn_trace_user(st, tcb, "close");
	if (tcb && tcb->state == SYNACK_LISTEN) {
		tcb->sock = NULL;
		so->tcb = NULL;
		tcp_user_close(st, tcb);
	} else if (tcb) {
		close_conn(st, so, tcb);
	}
	sock_release(st, so);
	return 0;
}

int synack_sock_abort(synack_stack *st, int s)
{
	struct sn_sock *so = sock_get(st, s);

	if (!so)
		return -EBADF;
	struct sn_tcb *tcb = so->tcb;
	sn_trace_user(st, tcb, "abort");
	if (tcb) {
		tcb->sock = NULL;
		so->tcb = NULL;
		tcp_user_abort(st, tcb);
	}
	sock_release(st, so);
	return 0;
}
