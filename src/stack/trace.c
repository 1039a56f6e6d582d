/*
 * trace.c: the stack's event trace. Every state change, segment in and out,
 * drop and user call becomes one struct synack_trace_event handed to the
 * hook the driver installed; tools (the demo's sequence diagram, tables,
 * timelines) are built from it and never from the TCB (DESIGN.md).
 */
#include "stack/stack.h"

void synack_stack_set_trace(synack_stack *st, synack_trace_fn fn, void *ctx)
{
	st->trace_fn = fn;
	st->trace_ctx = ctx;
}

void sn_trace_state(struct synack_stack *st, const struct synack_endpoint *local,
		    const struct synack_endpoint *remote, enum synack_state from,
		    enum synack_state to, const char *why)
{
	if (!st->trace_fn)
		return;
	struct synack_trace_event ev = {
		.now = st->now,
		.kind = SYNACK_TRACE_STATE,
		.local = *local,
		.remote = *remote,
		.old_state = from,
		.new_state = to,
		.what = why,
	};
	st->trace_fn(st->trace_ctx, &ev);
}

void sn_trace_seg_emit(struct synack_stack *st, enum synack_trace_kind kind,
		       const struct synack_endpoint *local, const struct synack_endpoint *remote,
		       const struct sn_tcp_seg *seg, int retransmit)
{
	struct synack_trace_event ev = {
		.now = st->now,
		.kind = kind,
		.local = *local,
		.remote = *remote,
		.seg = {seg->flags, seg->seq, seg->ack, seg->len, seg->wnd,
			seg->opts.has_mss ? seg->opts.mss : 0, (uint8_t)retransmit},
	};
	st->trace_fn(st->trace_ctx, &ev);
}

void sn_trace_user(struct synack_stack *st, const struct sn_tcb *tcb, const char *what)
{
	if (!st->trace_fn)
		return;
	struct synack_trace_event ev = {
		.now = st->now,
		.kind = SYNACK_TRACE_USER,
		.what = what,
	};
	if (tcb) {
		ev.local = tcb->local;
		ev.remote = tcb->remote;
		ev.old_state = ev.new_state = tcb->state;
	}
	st->trace_fn(st->trace_ctx, &ev);
}
