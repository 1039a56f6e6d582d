/*
 * table.c: the connection table (what `ss -tan -o` shows): listeners, live
 * connections, then TIME-WAIT entries, each with the timer that runs next.
 */
#include "stack/stack.h"

static const enum synack_timer_kind timer_kind[SN_T_COUNT] = {
	[SN_T_REXMT] = SYNACK_TIMER_ON,
	[SN_T_PERSIST] = SYNACK_TIMER_PERSIST,
	[SN_T_DELACK] = SYNACK_TIMER_DELACK,
	[SN_T_KEEP] = SYNACK_TIMER_KEEPALIVE,
	[SN_T_FINWAIT2] = SYNACK_TIMER_FINWAIT2,
};

static void conn_row(struct synack_stack *st, const struct sn_tcb *t, struct synack_conn_info *ci)
{
	*ci = (struct synack_conn_info){
		.state = t->state,
		.local = t->local,
		.remote = t->remote,
		.sock = t->sock ? (int)(t->sock - st->socks) : -1,
		/* a listener, as ss shows it: Recv-Q the accept queue, Send-Q the backlog */
		.send_queue = t->state == SYNACK_LISTEN ? t->lq->backlog : sn_ring_len(&t->sndbuf),
		.recv_queue = t->state == SYNACK_LISTEN ? t->lq->nacceptq : sn_ring_len(&t->rcvbuf),
		.retransmits = t->nretrans,
	};
	for (int i = 0; i < SN_T_COUNT; i++) {
		if (t->deadline[i] && (!ci->timer_expires || t->deadline[i] < ci->timer_expires)) {
			ci->timer_expires = t->deadline[i];
			ci->timer = timer_kind[i];
		}
	}
}

void synack_stack_foreach_conn(synack_stack *st,
			       int (*fn)(void *ctx, const struct synack_conn_info *ci), void *ctx)
{
	struct sn_list *pos, *tmp;
	struct synack_conn_info ci;

	sn_list_for_each_safe(pos, tmp, &st->listeners)
	{
		conn_row(st, sn_container_of(pos, struct sn_tcb, qlink), &ci);
		if (fn(ctx, &ci))
			return;
	}
	sn_list_for_each_safe(pos, tmp, &st->conns)
	{
		struct sn_tcb *t = sn_container_of(pos, struct sn_tcb, all);
		if (t->listener)
			continue;
		conn_row(st, t, &ci);
		if (fn(ctx, &ci))
			return;
	}
	sn_tw_foreach(st, fn, ctx);
}
