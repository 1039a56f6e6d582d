/*
 * impair_link.c: the fault injector as a link decorator
 * (synack_impair_link_create in include/synack/impair.h).
 *
 * The decorator sits between a stack and any link. Each direction has its
 * own injector (impair.c): on transmit, every datagram the stack sends is
 * decided at once (lost, or one or two copies, each with a delivery time and
 * maybe corrupted); on receive, every datagram the inner link produces is
 * decided the same way. A copy due now goes straight through; a later one
 * waits in the delay queue, a binary min-heap ordered by (time, insertion
 * order) so equal times keep their order, shared by both directions and
 * bounded by SYNACK_IMPAIR_LINK_MAX_QUEUED (beyond: dropped, counted in
 * queue_drops). next_deadline() is the heap's top, which the event loop
 * folds into its wait; poll(now) sends the transmit copies that are due,
 * recv(now) returns the receive copies that are due.
 *
 * recv reads the inner link dry (up to one batch) before it answers, so a
 * datagram the injector holds back never blocks those behind it: that is
 * how reordering happens on a real device that delivers in order.
 *
 * Counting: the decorator's own stats say what crossed it toward the stack
 * (rx_*) and what it handed to the inner link (tx_*); drops by the inner
 * link stay in the inner link's stats; the injectors' decisions are in
 * synack_impair_link_stats().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "synack/impair.h"
#include "synack/link.h"

#define IL_RX_BATCH 64       /* inner datagrams pulled per recv call */
#define IL_RXBUF 65536

struct il_item {
	uint64_t at, seq;
	int tx;                  /* 1: toward the inner link; 0: toward the stack */
	size_t len;
	uint8_t *pkt;            /* owned copy */
};

struct impair_link {
	struct synack_link base; /* first */
	struct synack_link *inner;
	struct synack_impair rx, tx;
	int rx_on, tx_on;
	struct il_item *heap;
	size_t n, cap;
	uint64_t seq;
	uint8_t buf[IL_RXBUF];
};

/* ---------------------------------------------------------------- heap */

static int before(const struct il_item *a, const struct il_item *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void swap(struct il_item *h, size_t i, size_t j)
{
	struct il_item t = h[i];
	h[i] = h[j];
	h[j] = t;
}

static int heap_push(struct impair_link *il, struct il_item *it)
{
	if (il->n >= SYNACK_IMPAIR_LINK_MAX_QUEUED)
		return -ENOBUFS;
	if (il->n == il->cap) {
		size_t cap = il->cap ? 2 * il->cap : 64;
		struct il_item *h = realloc(il->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		il->heap = h;
		il->cap = cap;
	}
	it->seq = il->seq++;
	size_t i = il->n++;
	il->heap[i] = *it;
	while (i > 0 && before(&il->heap[i], &il->heap[(i - 1) / 2])) {
		swap(il->heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

static struct il_item heap_pop(struct impair_link *il)
{
	struct il_item *h = il->heap, top = h[0];
	size_t i = 0, n = --il->n;

	h[0] = h[n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && before(&h[l], &h[m]))
			m = l;
		if (r < n && before(&h[r], &h[m]))
			m = r;
		if (m == i)
			break;
		swap(h, i, m);
		i = m;
	}
	return top;
}

/* ---------------------------------------------------------------- deciding */

/* Decide one datagram's fate in direction tx and queue its copies. A copy
 * is always queued, even when due now: the caller drains what is due, so
 * copies of one datagram and earlier ones keep their order. */
static void il_decide(struct impair_link *il, uint64_t now, int tx, const uint8_t *pkt, size_t len)
{
	struct synack_impair *im = tx ? &il->tx : &il->rx;
	struct synack_impair_copy c[2];
	int n = 1;

	c[0] = (struct synack_impair_copy){now, 0, 0};
	if (tx ? il->tx_on : il->rx_on)
		n = synack_impair_decide(im, now, c);
	for (int i = 0; i < n; i++) {
		struct il_item it = {.at = c[i].deliver_at, .tx = tx, .len = len, .pkt = malloc(len ? len : 1)};
		if (!it.pkt) {
			il->base.stats.queue_drops++;
			continue;
		}
		memcpy(it.pkt, pkt, len);
		if (c[i].ce)
			synack_impair_mark_ce(im, it.pkt, len);
		if (c[i].corrupt)
			synack_impair_corrupt(im, it.pkt, len);
		if (heap_push(il, &it) < 0) {
			free(it.pkt);
			il->base.stats.queue_drops++;
		}
	}
}

/* Hand every transmit copy due at now to the inner link. Receive copies at
 * the top are left for recv; the heap top is only a bound, so transmit
 * copies behind a due receive copy wait for the next call (both run each
 * loop round). */
static void il_flush_tx(struct impair_link *il, uint64_t now)
{
	while (il->n && il->heap[0].at <= now && il->heap[0].tx) {
		struct il_item it = heap_pop(il);
		/* it owns pkt; the heap slot it left is dead (the analyzer cannot
		 * see that a push overwrites it before any reuse) */
		if (synack_link_send(il->inner, now, it.pkt, it.len) == 0) { // NOLINT(clang-analyzer-unix.Malloc)
			il->base.stats.tx_packets++;
			il->base.stats.tx_bytes += it.len;
		}
		free(it.pkt);
	}
}

/* ---------------------------------------------------------------- ops */

static ssize_t il_recv(struct synack_link *l, uint64_t now, uint8_t *buf, size_t cap)
{
	struct impair_link *il = (struct impair_link *)l;

	for (int i = 0; i < IL_RX_BATCH; i++) {
		ssize_t n = synack_link_recv(il->inner, now, il->buf, sizeof(il->buf));
		if (n <= 0)
			break;
		il_decide(il, now, 0, il->buf, (size_t)n);
	}
	for (;;) {
		il_flush_tx(il, now);
		if (!il->n || il->heap[0].at > now)
			return 0;
		struct il_item it = heap_pop(il);
		size_t len = it.len < cap ? it.len : cap;
		memcpy(buf, it.pkt, len);
		free(it.pkt);
		l->stats.rx_packets++;
		l->stats.rx_bytes += len;
		return (ssize_t)len;
	}
}

static int il_send(struct synack_link *l, uint64_t now, const uint8_t *pkt, size_t len)
{
	struct impair_link *il = (struct impair_link *)l;

	il_decide(il, now, 1, pkt, len);
	il_flush_tx(il, now);
	return 0;
}

static int il_fd(const struct synack_link *l)
{
	return synack_link_fd(((const struct impair_link *)l)->inner);
}

static uint64_t il_next_deadline(const struct synack_link *l)
{
	const struct impair_link *il = (const struct impair_link *)l;
	uint64_t inner = synack_link_next_deadline(il->inner);
	uint64_t mine = il->n ? il->heap[0].at : UINT64_MAX;
	return mine < inner ? mine : inner;
}

static void il_poll(struct synack_link *l, uint64_t now)
{
	struct impair_link *il = (struct impair_link *)l;

	il_flush_tx(il, now);
	synack_link_poll(il->inner, now);
}

static void il_destroy(struct synack_link *l)
{
	struct impair_link *il = (struct impair_link *)l;

	for (size_t i = 0; i < il->n; i++)
		free(il->heap[i].pkt);
	free(il->heap);
	synack_link_destroy(il->inner);
	free(il);
}

static const struct synack_link_ops impair_link_ops = {
	.kind = "impair",
	.recv = il_recv,
	.send = il_send,
	.fd = il_fd,
	.next_deadline = il_next_deadline,
	.poll = il_poll,
	.destroy = il_destroy,
};

int synack_impair_link_create(struct synack_link *inner, const struct synack_impair_params *rx,
			      const struct synack_impair_params *tx, uint64_t seed,
			      struct synack_link **out)
{
	if (!inner || !out)
		return -EINVAL;
	struct impair_link *il = calloc(1, sizeof(*il));
	if (!il)
		return -ENOMEM;
	il->base.ops = &impair_link_ops;
	il->inner = inner;
	il->rx_on = rx != NULL;
	il->tx_on = tx != NULL;
	/* distinct streams per direction from one seed */
	synack_impair_init(&il->rx, rx, seed ^ 0x7278000000000000ull);
	synack_impair_init(&il->tx, tx, seed ^ 0x7478000000000000ull);
	*out = &il->base;
	return 0;
}

int synack_impair_link_stats(const struct synack_link *l, struct synack_impair_stats *rx,
			     struct synack_impair_stats *tx)
{
	if (!l || l->ops != &impair_link_ops)
		return -EINVAL;
	const struct impair_link *il = (const struct impair_link *)l;
	if (rx)
		*rx = il->rx.stats;
	if (tx)
		*tx = il->tx.stats;
	return 0;
}
