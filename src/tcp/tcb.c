/*
 * tcb.c: a TCB's birth and death, and the composite moves that end a
 * connection (STYLE.md rule 2: enter TIME-WAIT and close are functions, not
 * pasted blocks).
 */
#include <errno.h>

#include "stack/stack.h"
#include "tcp/tcb.h"
#include "tcp/timewait.h"

struct sn_tcb *tcb_alloc(struct synack_stack *st, uint32_t sndbuf, uint32_t rcvbuf)
{
	struct sn_tcb *tcb = sn_pool_get(&st->tcb_pool);

	if (!tcb)
		return NULL;
	if (sn_ring_init(&tcb->sndbuf, sndbuf) < 0 || sn_ring_init(&tcb->rcvbuf, rcvbuf) < 0) {
		sn_ring_free(&tcb->sndbuf);
		sn_pool_put(&st->tcb_pool, tcb);
		return NULL;
	}
	/* storage freed by connections before, if the cache holds some of
	 * that size; else the rings take it from malloc with their first byte */
	tcb->sndbuf.buf = sn_bufcache_get(&st->bufcache, sndbuf);
	tcb->rcvbuf.buf = sn_bufcache_get(&st->bufcache, rcvbuf);
	sn_list_init(&tcb->qlink);
	sn_timer_init(&tcb->timer, tcp_timer_fired);
	sn_list_insert_tail(&st->conns, &tcb->all);
	/* state: SYNACK_CLOSED (0) from the zeroed pool object; only state.c
	 * writes it from here on */
	tcb->rcv_mss = (uint16_t)(st->cfg.mtu - 40); /* MUST-67: MTU minus headers */
	tcb->snd_mss = 536;                          /* MUST-15 until told otherwise */
	tcb->ttl = 64;
	tcp_rtt_init(tcb, st->cfg.rto_initial_us);
	st->nconns++;
	return tcb;
}

int tcp_route_store(struct synack_stack *st, struct sn_tcb *tcb, const struct synack_route *route)
{
	if (!route->n) {
		if (tcb->route)
			sn_pool_put(&st->route_pool, tcb->route);
		tcb->route = NULL;
		return 0;
	}
	if (!tcb->route && !(tcb->route = sn_pool_get(&st->route_pool)))
		return -ENOMEM;
	*tcb->route = *route;
	return 0;
}

int tcp_route_set(struct synack_stack *st, struct sn_tcb *tcb, const struct synack_route *route,
		  int user)
{
	uint32_t mss = (uint32_t)tcb->snd_mss + tcp_route_optlen(tcb->route);

	if (tcp_route_store(st, tcb, route) < 0)
		return -ENOMEM;
	tcb->route_user = user && route->n;
	mss -= tcp_route_optlen(route);
	tcb->snd_mss = (uint16_t)(mss < 64 ? 64 : mss);
	return 0;
}

/* A ring's storage goes to the stack's cache (base/bufcache.h), or free(). */
static void release_ring(struct synack_stack *st, struct sn_ring *r)
{
	sn_bufcache_put(&st->bufcache, r->buf, r->cap);
	r->buf = NULL;
	sn_ring_free(r);
}

void tcb_free(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (tcb->listener)
		sn_list_remove(&tcb->qlink); /* listeners sit on st->listeners via qlink */
	else if (tcb->local.port)
		sn_conn_remove(st, tcb);
	if (tcb->parent) {
		sn_list_remove(&tcb->qlink);
		if (tcb->syn_acked)
			tcb->parent->lq->nacceptq--;
		else
			tcb->parent->lq->nsynq--;
	}
	if (tcb->local.port && tcb->restricted)
		sn_port_release_restricted(st, tcb->local.port);
	else if (tcb->local.port)
		sn_port_release(st, tcb->local.port, sn_tcb_port_how(tcb));
	if (tcb->orphan)
		st->norphans--;
	tcp_state_forget(st, tcb);
	sn_wheel_cancel(&st->wheel, &tcb->timer);
	sn_list_remove(&tcb->all);
	release_ring(st, &tcb->sndbuf);
	release_ring(st, &tcb->rcvbuf);
	if (tcb->listener)
		sn_pool_put(&st->listen_pool, tcb->lq);
	else
		tcp_reass_free(st, tcb);
	tcp_sack_free(st, tcb);
	tcp_cc_free(st, tcb);
	if (tcb->route)
		sn_pool_put(&st->route_pool, tcb->route);
	st->nconns--;
	sn_pool_put(&st->tcb_pool, tcb);
}

void tcp_close_tcb(struct synack_stack *st, struct sn_tcb *tcb, int err, const char *why)
{
	enum synack_state from = tcb->state;

	if (err == -ETIMEDOUT && tcb->soft_err)
		err = tcb->soft_err; /* SHLD-25: say why it timed out (Linux: tcp_write_err) */
	if (from == SYNACK_SYN_SENT || from == SYNACK_SYN_RECEIVED)
		st->ctr.attempt_fails++;
	if (from == SYNACK_SYN_RECEIVED && tcb->passive && !tcb->sock)
		tcp_set_state(st, tcb, SYNACK_LISTEN, why); /* MUST-11 */
	else
		tcp_set_state(st, tcb, SYNACK_CLOSED, why);
	if (tcb->sock)
		sn_sock_tcb_gone(st, tcb, err);
	tcb_free(st, tcb);
}

void tcp_enter_time_wait(struct synack_stack *st, struct sn_tcb *tcb, const char *why)
{
	/* the entry re-ACKs with the window field as we sent it (scaled,
	 * RFC 7323 §2.3), and keeps TS.Recent for RFC 6191 and tcp_tw_reuse */
	uint32_t shift = tcb->rcv_wscale;
	uint32_t wnd_field = (tcb->rcv_adv - tcb->rcv_nxt + (1u << shift) - 1) >> shift;
	struct sn_tw_ts ts = {tcb->ts_recent, sn_tw_now_ms(tcb->ts_recent_age)};

	tcp_set_state(st, tcb, SYNACK_TIME_WAIT, why);
	st->ctr.tw_entered++;
	if (!sn_tw_insert(st, &tcb->local, &tcb->remote, tcb->snd_max, tcb->rcv_nxt, wnd_field,
			  sn_tcb_port_how(tcb), tcb->ts_ok ? &ts : NULL)) {
		/* tcp_max_tw_buckets reached: the connection ends here, as in
		 * Linux (tcp_time_wait: "TCP: time wait bucket table overflow") */
		st->ctr.tw_killed++;
		sn_log(st, SYNACK_LOG_TW_OVERFLOW, "TCP: time wait bucket table overflow");
		tcp_note_transition(st, &tcb->local, &tcb->remote, SYNACK_TIME_WAIT, SYNACK_CLOSED,
				    "TIME-WAIT table full");
	}
	tcp_state_handoff(tcb);
	if (tcb->sock)
		sn_sock_tcb_gone(st, tcb, 0);
	tcb_free(st, tcb);
}
