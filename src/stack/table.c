/*
 * table.c: the connection table (what `ss -tan -o` shows): listeners, live
 * connections, then TIME-WAIT entries, each with the timer that runs next.
 * Two walks: synack_stack_foreach_conn (all of it at once, TIME-WAIT in
 * expiry order) and synack_stack_walk_conn, resumable from a cursor so that
 * a reader of a live stack can page through millions of entries in bounded
 * steps. Its cursor names a section (listeners, connections, TIME-WAIT) and
 * a position in it: for the lists, how many of the section's entries came
 * before (as Linux's inet_diag dumps resume by count within a bucket); for
 * TIME-WAIT, the entry's slot, which it keeps for life.
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

#define WALK_SPAN (1ull << 56) /* cursor = section * WALK_SPAN + position */
enum { WALK_LISTENERS, WALK_CONNS, WALK_TIMEWAIT, WALK_DONE };

/* Section sec of the walk (a list of TCBs) from its entry number *pos:
 * 1 if stopped early (budget spent, or fn declined the entry at *pos). */
static int walk_list(synack_stack *st, int sec, uint64_t *pos, uint64_t *budget,
		     int (*fn)(void *ctx, const struct synack_conn_info *ci), void *ctx)
{
	struct sn_list *head = sec == WALK_LISTENERS ? &st->listeners : &st->conns;
	struct sn_list *p;
	struct synack_conn_info ci;
	uint64_t n = 0;

	for (p = head->next; p != head; p = p->next) {
		const struct sn_tcb *t = sec == WALK_LISTENERS
						 ? sn_container_of(p, struct sn_tcb, qlink)
						 : sn_container_of(p, struct sn_tcb, all);
		if (sec == WALK_CONNS && t->listener)
			continue; /* not accepted yet: foreach_conn leaves them out too */
		if (n++ < *pos)
			continue; /* shown by an earlier call */
		if (!*budget)
			return 1;
		conn_row(st, t, &ci);
		if (fn(ctx, &ci))
			return 1;
		--*budget;
		++*pos;
	}
	return 0;
}

int synack_stack_walk_conn(synack_stack *st, uint64_t *cursor, uint64_t max_visits,
			   int (*fn)(void *ctx, const struct synack_conn_info *ci), void *ctx)
{
	uint64_t sec = *cursor / WALK_SPAN, pos = *cursor % WALK_SPAN;
	uint64_t budget = max_visits ? max_visits : UINT64_MAX;
	int more = 0;

	while (sec < WALK_DONE) {
		if (sec == WALK_TIMEWAIT) {
			uint32_t slot = pos > UINT32_MAX ? UINT32_MAX : (uint32_t)pos;
			more = sn_tw_walk(st, &slot, &budget, fn, ctx);
			pos = slot;
		} else {
			more = walk_list(st, (int)sec, &pos, &budget, fn, ctx);
		}
		if (more)
			break;
		sec++;
		pos = 0;
	}
	*cursor = sec * WALK_SPAN + pos;
	return more;
}
