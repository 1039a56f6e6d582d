/*
 * timewait.c: the compact TIME-WAIT table (see timewait.h).
 *
 * Lookup is a chained hash on the 4-tuple keyed with the stack's secret, like
 * the connection table. The 2*MSL timer of each entry is a wheel timer inside
 * the entry; a retransmitted FIN restarts it (MUST-13).
 */
#include <errno.h>
#include <stdlib.h>

#include "stack/stack.h"
#include "tcp/tcb.h"
#include "tcp/timewait.h"

static uint32_t tw_bucket(struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			  uint16_t rport)
{
	return (uint32_t)sn_siphash_tuple(&st->hash_key, laddr, raddr, lport, rport) & st->tw.mask;
}

int sn_tw_init(struct synack_stack *st, uint32_t cap)
{
	uint32_t n = 16;

	while (n < cap && n < (1u << 24))
		n <<= 1;
	st->tw.hash = calloc(n, sizeof(*st->tw.hash));
	if (!st->tw.hash)
		return -ENOMEM;
	st->tw.mask = n - 1;
	st->tw.count = 0;
	sn_pool_init(&st->tw.pool, sizeof(struct sn_tw), 1024, cap);
	return 0;
}

void sn_tw_destroy(struct synack_stack *st)
{
	sn_pool_destroy(&st->tw.pool);
	free(st->tw.hash);
	st->tw.hash = NULL;
}

struct sn_tw *sn_tw_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			   uint16_t rport)
{
	if (!st->tw.count)
		return NULL;
	struct sn_tw *tw = st->tw.hash[tw_bucket(st, laddr, lport, raddr, rport)];
	for (; tw; tw = tw->hash_next)
		if (tw->laddr == laddr && tw->lport == lport && tw->raddr == raddr &&
		    tw->rport == rport)
			return tw;
	return NULL;
}

static void tw_unlink(struct synack_stack *st, struct sn_tw *tw)
{
	struct sn_tw **pp = &st->tw.hash[tw_bucket(st, tw->laddr, tw->lport, tw->raddr, tw->rport)];

	while (*pp && *pp != tw)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = tw->hash_next;
	sn_wheel_cancel(&st->wheel, &tw->timer);
	sn_port_release(st, tw->lport);
	st->tw.count--;
	sn_pool_put(&st->tw.pool, tw);
}

static void tw_end(struct synack_stack *st, struct sn_tw *tw, const char *why)
{
	struct synack_endpoint local = {tw->laddr, tw->lport}, remote = {tw->raddr, tw->rport};

	tcp_note_transition(st, &local, &remote, SYNACK_TIME_WAIT, SYNACK_CLOSED, why);
	tw_unlink(st, tw);
}

static void tw_expired(struct sn_timer *t, uint64_t now, void *ctx)
{
	struct synack_stack *st = ctx;
	(void)now;
	st->ctr.tw_expired++;
	tw_end(st, sn_container_of(t, struct sn_tw, timer), "2MSL timeout");
}

static void tw_restart(struct synack_stack *st, struct sn_tw *tw)
{
	sn_wheel_add(&st->wheel, &tw->timer, st->now + 2ull * st->cfg.msl_us);
}

struct sn_tw *sn_tw_insert(struct synack_stack *st, const struct synack_endpoint *local,
			   const struct synack_endpoint *remote, uint32_t snd_nxt,
			   uint32_t rcv_nxt, uint32_t rcv_wnd)
{
	struct sn_tw *tw = sn_pool_get(&st->tw.pool);

	if (!tw)
		return NULL;
	tw->laddr = local->addr;
	tw->lport = local->port;
	tw->raddr = remote->addr;
	tw->rport = remote->port;
	tw->snd_nxt = snd_nxt;
	tw->rcv_nxt = rcv_nxt;
	tw->rcv_wnd = rcv_wnd;
	uint32_t b = tw_bucket(st, tw->laddr, tw->lport, tw->raddr, tw->rport);
	tw->hash_next = st->tw.hash[b];
	st->tw.hash[b] = tw;
	st->tw.count++;
	sn_port_hold(st, tw->lport);
	sn_timer_init(&tw->timer, tw_expired);
	tw_restart(st, tw);
	return tw;
}

void sn_tw_kill(struct synack_stack *st, struct sn_tw *tw, const char *why)
{
	tw_end(st, tw, why);
}

static void tw_ack(struct synack_stack *st, struct sn_tw *tw)
{
	struct synack_endpoint local = {tw->laddr, tw->lport}, remote = {tw->raddr, tw->rport};
	uint16_t wnd = tw->rcv_wnd > 65535 ? 65535 : (uint16_t)tw->rcv_wnd;

	tcp_emit_bare(st, &local, &remote, tw->snd_nxt, tw->rcv_nxt, SN_TCP_ACK, wnd);
}

/* SEGMENT ARRIVES in TIME-WAIT (§3.10.7.4 with MUST-13). */
int sn_tw_input(struct synack_stack *st, struct sn_tw *tw, const struct sn_tcp_seg *seg,
		int can_reopen, uint32_t *iss_min)
{
	uint32_t wnd = tw->rcv_wnd ? tw->rcv_wnd : 1;

	if (seg->flags & SN_TCP_RST) {
		/* an in-window RST ends TIME-WAIT (RFC 9293; RFC 1337 is a knob
		 * for later: docs/conformance.md) */
		if (seq_in(seg->seq, tw->rcv_nxt, tw->rcv_nxt + wnd)) {
			st->ctr.rst_in++;
			tw_end(st, tw, "rcv RST");
		} else {
			sn_count_drop(st, SYNACK_DROP_RST_SEQ, seg, tw->raddr, tw->laddr);
		}
		return 0;
	}
	if (can_reopen && (seg->flags & SN_TCP_SYN) && !(seg->flags & SN_TCP_ACK) &&
	    seq_gt(seg->seq, tw->rcv_nxt)) {
		/* a new incarnation whose ISN lies beyond the old stream (MAY-2,
		 * RFC 6191 without timestamps). Ours must lie beyond everything
		 * the old one sent (MAY-2 condition 1); Linux adds a window. */
		*iss_min = tw->snd_nxt + 65535 + 2;
		tw_end(st, tw, "rcv SYN (new incarnation)");
		return 1;
	}
	if ((seg->flags & SN_TCP_FIN) && seg->seq + seg->len + 1 == tw->rcv_nxt) {
		/* the peer's FIN again: our last ACK was lost. Re-ACK, restart 2MSL */
		st->ctr.tw_fin_reacked++;
		tw_restart(st, tw);
		tw_ack(st, tw);
		return 0;
	}
	sn_count_drop(st, SYNACK_DROP_TIMEWAIT, seg, tw->raddr, tw->laddr);
	if (sn_tcp_seg_seqlen(seg) > 0)
		tw_ack(st, tw); /* anything else that takes sequence space: ACK */
	return 0;
}

static int tw_visit(struct synack_stack *st, struct sn_tw *tw,
		    int (*fn)(void *ctx, const struct synack_conn_info *ci), void *ctx)
{
	struct synack_conn_info ci = {
		.state = SYNACK_TIME_WAIT,
		.local = {tw->laddr, tw->lport},
		.remote = {tw->raddr, tw->rport},
		.sock = -1,
		.timer = SYNACK_TIMER_TIMEWAIT,
		.timer_expires = tw->timer.expires,
	};
	(void)st;
	return fn(ctx, &ci);
}

int sn_tw_foreach(struct synack_stack *st, int (*fn)(void *ctx, const struct synack_conn_info *ci),
		  void *ctx)
{
	if (!st->tw.count)
		return 0;
	for (uint32_t b = 0; b <= st->tw.mask; b++)
		for (struct sn_tw *tw = st->tw.hash[b]; tw; tw = tw->hash_next)
			if (tw_visit(st, tw, fn, ctx))
				return 1;
	return 0;
}
