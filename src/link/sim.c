/*
 * sim.c: an in-process network of synack stacks on a virtual clock
 * (include/synack/sim.h).
 *
 * The simulator is a link driver like any other: it owns stacks ("hosts"),
 * installs itself as their output callback, and feeds them datagrams and the
 * time through the public API only. Between the hosts sits one switch: a
 * datagram goes to the host owning its destination address through the link
 * (from, to), whose fault injector (impair.c) decides when each copy arrives,
 * whether it is lost, duplicated, held back or corrupted.
 *
 * In-flight datagrams wait in a binary min-heap ordered by (deliver_at, seq),
 * seq being the order of insertion, so equal times deliver in the order sent
 * and a run never depends on heap internals. The output callback runs inside
 * the stack's input, poll and socket calls; it only copies the datagram into
 * the heap, so no stack is ever re-entered.
 *
 * A step jumps the clock to the next event t (earliest delivery, or earliest
 * host deadline), delivers every datagram due at t that was queued before the
 * step began (in order), then polls the hosts. Every host is polled at t, not
 * only those due: an early poll is harmless and it brings each stack's clock
 * to t, so socket calls the driver makes between steps act at the
 * simulator's time (synack.h: socket calls act at the stack's latest time).
 *
 * Determinism: host seeds (when the config gives none) come from the
 * simulator's RNG in the order hosts are added; each link's injector is
 * seeded from the simulator's seed and the link's two addresses, so the
 * order in which links are first used does not matter. Invariants: the heap
 * never holds more than max_inflight datagrams (beyond it, datagrams are
 * lost and counted), and the clock never goes backwards.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "synack/sim.h"

#define SIM_MAX_INFLIGHT (1u << 20)
/* Polls at one instant that leave a host still due at that instant; past
 * this, the host's deadline is treated as one µs later so time moves on
 * (a livelock guard: a stack that keeps asking for "now" is a bug, but it
 * must not hang the test that finds it). */
#define SIM_MAX_SAME_TIME_POLLS 10000

struct sim_host {
	struct synack_sim *sim; /* back pointer for the output callback */
	synack_stack *st;
	uint32_t addr;
	uint64_t polled_at;     /* the last instant this host was polled */
	uint32_t same_time_polls; /* consecutive polls at polled_at */
};

struct sim_link {
	uint32_t from, to;
	int explicit_params;    /* set by synack_sim_set_link: the default no longer applies */
	struct synack_impair im;
};

struct sim_event {
	uint64_t at;            /* delivery time */
	uint64_t seq;           /* insertion order: ties deliver first-in first-out */
	struct sim_host *to;
	uint8_t *pkt;           /* owned copy */
	size_t len;
};

struct synack_sim {
	uint64_t now;
	uint64_t seed;
	struct sn_rng rng;      /* host seeds */
	struct sim_host **hosts;
	size_t nhosts, cap_hosts;
	struct sim_link *links;
	size_t nlinks, cap_links;
	struct synack_impair_params default_p;
	struct sim_event *heap;
	size_t nheap, cap_heap;
	uint64_t next_seq;
	synack_sim_tap_fn tap;
	void *tap_ctx;
	uint64_t sent, delivered, lost;
	uint64_t overflow;      /* lost because the heap was full or out of memory */
};

/* ---------------------------------------------------------------- heap */

static int event_before(const struct sim_event *a, const struct sim_event *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_swap(struct sim_event *h, size_t i, size_t j)
{
	struct sim_event t = h[i];

	h[i] = h[j];
	h[j] = t;
}

static int heap_push(synack_sim *sim, const struct sim_event *ev)
{
	if (sim->nheap == sim->cap_heap) {
		size_t cap = sim->cap_heap ? 2 * sim->cap_heap : 256;
		struct sim_event *h = realloc(sim->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		sim->heap = h;
		sim->cap_heap = cap;
	}
	size_t i = sim->nheap++;
	sim->heap[i] = *ev;
	while (i > 0 && event_before(&sim->heap[i], &sim->heap[(i - 1) / 2])) {
		heap_swap(sim->heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

static struct sim_event heap_pop(synack_sim *sim)
{
	struct sim_event *h = sim->heap, top = h[0];
	size_t i = 0, n = --sim->nheap;

	h[0] = h[n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && event_before(&h[l], &h[m]))
			m = l;
		if (r < n && event_before(&h[r], &h[m]))
			m = r;
		if (m == i)
			break;
		heap_swap(h, i, m);
		i = m;
	}
	return top;
}

/* ---------------------------------------------------------------- hosts and links */

static struct sim_host *find_host(const synack_sim *sim, uint32_t addr)
{
	for (size_t i = 0; i < sim->nhosts; i++)
		if (sim->hosts[i]->addr == addr)
			return sim->hosts[i];
	return NULL;
}

static struct sim_link *find_link(const synack_sim *sim, uint32_t from, uint32_t to)
{
	for (size_t i = 0; i < sim->nlinks; i++)
		if (sim->links[i].from == from && sim->links[i].to == to)
			return &sim->links[i];
	return NULL;
}

/* The link's injector seed depends only on the simulator's seed and the pair. */
static uint64_t link_seed(const synack_sim *sim, uint32_t from, uint32_t to)
{
	struct sn_rng r;

	sn_rng_seed(&r, sim->seed);
	return sn_rng_next(&r) ^ (((uint64_t)from << 32 | to) * 0x9e3779b97f4a7c15ull);
}

/* The link (from, to), created with the default parameters on first use. */
static struct sim_link *get_link(synack_sim *sim, uint32_t from, uint32_t to)
{
	struct sim_link *l = find_link(sim, from, to);

	if (l)
		return l;
	if (sim->nlinks == sim->cap_links) {
		size_t cap = sim->cap_links ? 2 * sim->cap_links : 8;
		struct sim_link *links = realloc(sim->links, cap * sizeof(*links));
		if (!links)
			return NULL;
		sim->links = links;
		sim->cap_links = cap;
	}
	l = &sim->links[sim->nlinks++];
	l->from = from;
	l->to = to;
	l->explicit_params = 0;
	synack_impair_init(&l->im, &sim->default_p, link_seed(sim, from, to));
	return l;
}

/* ---------------------------------------------------------------- the wire */

static void sim_tap(synack_sim *sim, enum synack_sim_fate fate, const uint8_t *pkt, size_t len)
{
	if (sim->tap)
		sim->tap(sim->tap_ctx, sim->now, fate, pkt, len);
}

static void sim_lose(synack_sim *sim, const uint8_t *pkt, size_t len)
{
	sim->lost++;
	sim_tap(sim, SYNACK_SIM_LOST, pkt, len);
}

/* Queue one copy for delivery, CE-marked and/or corrupted by im as c says. */
static void enqueue_copy(synack_sim *sim, struct sim_host *to, const uint8_t *pkt, size_t len,
			 const struct synack_impair_copy *c, struct synack_impair *im)
{
	struct sim_event ev = {.at = c->deliver_at, .seq = sim->next_seq++, .to = to, .len = len};

	if (sim->nheap >= SIM_MAX_INFLIGHT || !(ev.pkt = malloc(len ? len : 1))) {
		sim->overflow++;
		sim_lose(sim, pkt, len);
		return;
	}
	memcpy(ev.pkt, pkt, len);
	if (c->ce)
		synack_impair_mark_ce(im, ev.pkt, len);
	if (c->corrupt)
		synack_impair_corrupt(im, ev.pkt, len);
	if (heap_push(sim, &ev)) {
		free(ev.pkt);
		sim->overflow++;
		sim_lose(sim, pkt, len);
	}
}

static uint32_t ipv4_dst(const uint8_t *pkt)
{
	return (uint32_t)pkt[16] << 24 | (uint32_t)pkt[17] << 16 | (uint32_t)pkt[18] << 8 | pkt[19];
}

/* The output callback of every host: the datagram enters the link. */
static void sim_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct sim_host *from = ctx;
	synack_sim *sim = from->sim;
	struct synack_impair_copy copies[2];

	sim->sent++;
	sim_tap(sim, SYNACK_SIM_SENT, pkt, len);
	struct sim_host *to = len >= 20 ? find_host(sim, ipv4_dst(pkt)) : NULL;
	struct sim_link *link = to ? get_link(sim, from->addr, to->addr) : NULL;
	if (!link) {
		sim_lose(sim, pkt, len);
		return;
	}
	int n = synack_impair_decide(&link->im, sim->now, copies);
	if (n == 0)
		sim_lose(sim, pkt, len);
	for (int i = 0; i < n; i++)
		enqueue_copy(sim, to, pkt, len, &copies[i], &link->im);
}

/* ---------------------------------------------------------------- lifecycle */

int synack_sim_create(uint64_t seed, synack_sim **out)
{
	synack_sim *sim = calloc(1, sizeof(*sim));

	if (!sim)
		return -ENOMEM;
	sim->seed = seed;
	sn_rng_seed(&sim->rng, seed);
	*out = sim;
	return 0;
}

void synack_sim_destroy(synack_sim *sim)
{
	if (!sim)
		return;
	for (size_t i = 0; i < sim->nheap; i++)
		free(sim->heap[i].pkt);
	for (size_t i = 0; i < sim->nhosts; i++) {
		synack_stack_destroy(sim->hosts[i]->st);
		free(sim->hosts[i]);
	}
	free(sim->heap);
	free(sim->hosts);
	free(sim->links);
	free(sim);
}

static int grow_hosts(synack_sim *sim)
{
	if (sim->nhosts < sim->cap_hosts)
		return 0;
	size_t cap = sim->cap_hosts ? 2 * sim->cap_hosts : 4;
	struct sim_host **hosts = realloc(sim->hosts, cap * sizeof(*hosts));
	if (!hosts)
		return -ENOMEM;
	sim->hosts = hosts;
	sim->cap_hosts = cap;
	return 0;
}

int synack_sim_add_host(synack_sim *sim, const struct synack_config *cfg, synack_stack **out)
{
	struct synack_config c;
	struct sim_host *h;
	int err;

	if (!sim || !cfg || cfg->addr == 0)
		return -EINVAL;
	if (find_host(sim, cfg->addr))
		return -EEXIST;
	c = *cfg;
	if (c.seed == 0)
		c.seed = sn_rng_next(&sim->rng) | 1; /* 0 would ask for another draw */
	if ((err = grow_hosts(sim)))
		return err;
	if (!(h = calloc(1, sizeof(*h))))
		return -ENOMEM;
	if ((err = synack_stack_create(&c, &h->st)))
		goto err_free;
	h->sim = sim;
	h->addr = c.addr;
	synack_stack_set_output(h->st, sim_output, h);
	synack_stack_poll(h->st, sim->now); /* start its clock at ours */
	sim->hosts[sim->nhosts++] = h;
	if (out)
		*out = h->st;
	return 0;
err_free:
	free(h);
	return err;
}

int synack_sim_set_link(synack_sim *sim, uint32_t from, uint32_t to, const struct synack_impair_params *p)
{
	if (!sim || !p)
		return -EINVAL;
	struct sim_link *l = get_link(sim, from, to);
	if (!l)
		return -ENOMEM;
	l->im.p = *p;
	l->explicit_params = 1;
	return 0;
}

void synack_sim_set_default_link(synack_sim *sim, const struct synack_impair_params *p)
{
	sim->default_p = *p;
	for (size_t i = 0; i < sim->nlinks; i++)
		if (!sim->links[i].explicit_params)
			sim->links[i].im.p = *p;
}

void synack_sim_set_tap(synack_sim *sim, synack_sim_tap_fn fn, void *ctx)
{
	sim->tap = fn;
	sim->tap_ctx = ctx;
}

/* ---------------------------------------------------------------- time */

uint64_t synack_sim_now(const synack_sim *sim)
{
	return sim->now;
}

/* When the host wants its next poll, as the simulator schedules it. */
static uint64_t host_due(const synack_sim *sim, const struct sim_host *h)
{
	uint64_t d = synack_stack_next_deadline(h->st);

	if (d <= sim->now && h->polled_at == sim->now && h->same_time_polls >= SIM_MAX_SAME_TIME_POLLS)
		return sim->now + 1;
	return d;
}

uint64_t synack_sim_next_event(const synack_sim *sim)
{
	uint64_t t = sim->nheap ? sim->heap[0].at : UINT64_MAX;

	for (size_t i = 0; i < sim->nhosts; i++) {
		uint64_t d = host_due(sim, sim->hosts[i]);
		if (d < t)
			t = d;
	}
	return t != UINT64_MAX && t < sim->now ? sim->now : t;
}

/* Deliver the datagrams due now that were queued before this step began. */
static void deliver_due(synack_sim *sim, uint64_t before_seq)
{
	while (sim->nheap && sim->heap[0].at <= sim->now && sim->heap[0].seq < before_seq) {
		struct sim_event ev = heap_pop(sim);
		sim->delivered++;
		/* ev owns pkt; the heap slot it came from is dead (the analyzer
		 * cannot see that a push overwrites it before any reuse) */
		sim_tap(sim, SYNACK_SIM_DELIVERED, ev.pkt, ev.len); // NOLINT(clang-analyzer-unix.Malloc)
		synack_stack_input(ev.to->st, sim->now, ev.pkt, ev.len);
		free(ev.pkt);
	}
}

static void poll_hosts(synack_sim *sim)
{
	for (size_t i = 0; i < sim->nhosts; i++) {
		struct sim_host *h = sim->hosts[i];
		if (h->polled_at == sim->now) {
			h->same_time_polls++;
		} else {
			h->polled_at = sim->now;
			h->same_time_polls = 0;
		}
		synack_stack_poll(h->st, sim->now);
	}
}

int synack_sim_step(synack_sim *sim, uint64_t until)
{
	uint64_t t = synack_sim_next_event(sim);

	if (t == UINT64_MAX || t > until) {
		if (until > sim->now && until != UINT64_MAX) {
			sim->now = until;
			poll_hosts(sim);
		}
		return 0;
	}
	sim->now = t;
	deliver_due(sim, sim->next_seq);
	poll_hosts(sim);
	return 1;
}

void synack_sim_run_until(synack_sim *sim, uint64_t until)
{
	while (synack_sim_step(sim, until))
		;
}

int synack_sim_run(synack_sim *sim, int (*done)(void *ctx), void *ctx, uint64_t deadline)
{
	for (;;) {
		if (done(ctx))
			return 1;
		if (sim->now >= deadline)
			return 0;
		if (!synack_sim_step(sim, deadline))
			return done(ctx) ? 1 : 0;
	}
}

void synack_sim_stats(const synack_sim *sim, struct synack_sim_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->sent = sim->sent;
	out->delivered = sim->delivered;
	out->lost = sim->lost;
	for (size_t i = 0; i < sim->nlinks; i++) {
		const struct synack_impair_stats *s = &sim->links[i].im.stats;
		out->duplicated += s->duplicated;
		out->reordered += s->reordered;
		out->corrupted += s->corrupted;
	}
}
