/*
 * wire.c: the benchmarks' zero-delay wire between two stacks (bench.h).
 *
 * Each direction is an arena of length-prefixed records filled by the
 * sender's output callback and emptied, in order, by the driver. A queue
 * is delivered from a snapshot of its length: only the sender appends to
 * it, and the sender is not running while the driver delivers to the other
 * side, so the records delivered are exactly those queued before the call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static int queue_init(struct bench_queue *q, size_t cap)
{
	*q = (struct bench_queue){.buf = malloc(cap), .cap = cap};
	return q->buf ? 0 : -ENOMEM;
}

/* The output callback. Collection is switched off for the copy so that
 * callgrind counts the stack, not the wire (bench.h). */
static __attribute__((noinline)) void wire_out(void *ctx, const uint8_t *pkt, size_t len)
{
	struct bench_queue *q = ctx;
	size_t rec = (sizeof(uint32_t) + len + 7) & ~(size_t)7;

	int cg = bench_cg_pause();
	if (q->used + rec > q->cap) {
		q->drops++;
	} else {
		uint32_t l = (uint32_t)len;
		memcpy(q->buf + q->used, &l, sizeof(l));
		memcpy(q->buf + q->used + sizeof(l), pkt, len);
		q->used += rec;
		q->pkts++;
	}
	bench_cg_resume(cg);
}

int bench_wire_init(struct bench_wire *w, synack_stack *a, synack_stack *b, size_t cap)
{
	*w = (struct bench_wire){.a = a, .b = b};
	if (queue_init(&w->a_to_b, cap) || queue_init(&w->b_to_a, cap)) {
		bench_wire_free(w);
		return -ENOMEM;
	}
	synack_stack_set_output(a, wire_out, &w->a_to_b);
	synack_stack_set_output(b, wire_out, &w->b_to_a);
	return 0;
}

void bench_wire_free(struct bench_wire *w)
{
	free(w->a_to_b.buf);
	free(w->b_to_a.buf);
	w->a_to_b.buf = w->b_to_a.buf = NULL;
}

static size_t deliver(struct bench_queue *q, synack_stack *to, uint64_t now)
{
	size_t end = q->used, n = 0;

	for (size_t off = 0; off < end; n++) {
		uint32_t len;
		memcpy(&len, q->buf + off, sizeof(len));
		BENCH_CG(synack_stack_input(to, now, q->buf + off + sizeof(len), len));
		off += (sizeof(len) + len + 7) & ~(size_t)7;
	}
	q->used = 0; /* the receiver never appends to its own inbound queue */
	return n;
}

size_t bench_wire_deliver_to_b(struct bench_wire *w, uint64_t now)
{
	return deliver(&w->a_to_b, w->b, now);
}

size_t bench_wire_deliver_to_a(struct bench_wire *w, uint64_t now)
{
	return deliver(&w->b_to_a, w->a, now);
}

size_t bench_wire_run(struct bench_wire *w, uint64_t now)
{
	size_t total = 0, n;

	do {
		n = bench_wire_deliver_to_b(w, now);
		n += bench_wire_deliver_to_a(w, now);
		total += n;
	} while (n);
	return total;
}
