/*
 * demux.c: finding the connection a segment belongs to, and local ports.
 *
 * Connections live in a chained hash table on the 4-tuple, keyed with a
 * per-stack SipHash secret so that an attacker cannot aim tuples at one
 * bucket (DESIGN.md, Performance): SipHash-1-3, run once per segment that
 * misses the one-entry cache of the last connection found (st->last_conn,
 * cleared when that connection leaves the table), which back-to-back
 * segments of one flow hit, and that synack_stack_input_batch has not
 * hashed already (st->conn_hint: the bucket its prefetch computed).
 * Listeners are few and sit on a list; several
 * may share a port when they restrict the foreign socket (RFC 9293 §3.9.1
 * fully specified passive OPEN, MUST-42), and a SYN goes to the most
 * specific one that matches.
 * struct sn_port_count counts the holders of each local port (bound
 * sockets, connections, TIME-WAIT entries), those of them without
 * SO_REUSEADDR, the restricted listeners and their sockets, which is all
 * bind() needs for Linux's rule, and those that keep the port to
 * themselves: everything but connections whose port connect() picked and
 * their TIME-WAIT entries. The counts live in pages of 256 ports, allocated
 * when a port in the page is first chosen (bind, connect, listen's
 * autobind: sn_port_reserve) and kept until the stack goes, so a stack
 * that uses a few ports holds a few KiB, not 1 MiB of counters; a port in
 * a page never allocated has no holder.
 *
 * Ephemeral ports are tried in RFC 6056 algorithm 3's order: a keyed hash
 * of the destination picks where to start, and a counter moves the start
 * along. bind() to port 0 takes a port nobody holds. connect() takes, as
 * Linux's __inet_hash_connect does, the first port that nobody holds
 * exclusively and whose 4-tuple to this destination is free, or held only
 * by a TIME-WAIT entry tcp_tw_reuse may take over: so ports are shared
 * across destinations, and each port costs two 4-tuple hash lookups, never
 * a scan of the TIME-WAIT table.
 */
#include <errno.h>
#include <stdlib.h>

#include "stack/stack.h"

/* The 4-tuple table has a power-of-two number of buckets, at least 4/3 of
 * max_conns: at most three quarters full, so that a lookup finds its
 * connection second in its chain in about a quarter of lookups at most,
 * not half (each a dependent cache miss with many connections: issue #6),
 * for 8 x 8/3 = 21 bytes per connection at worst (the 512-byte budget). */
int sn_demux_init(struct synack_stack *st)
{
	uint64_t want = (uint64_t)st->cfg.max_conns + st->cfg.max_conns / 3;
	uint32_t n = 16;

	while (n < want && n < (1u << 25))
		n <<= 1;
	sn_bigmem_alloc(&st->hash_mem, (size_t)n * sizeof(*st->hash));
	st->hash = st->hash_mem.p;
	if (!st->hash)
		return -ENOMEM;
	st->hash_mask = n - 1;
	return 0;
}

void sn_demux_free(struct synack_stack *st)
{
	sn_bigmem_free(&st->hash_mem);
	st->hash = NULL;
	for (uint32_t i = 0; i < SN_PORT_PAGES; i++) {
		free(st->port_page[i]);
		st->port_page[i] = NULL;
	}
}

static const struct sn_port_count no_holders;

/* The counts of port p; a page never allocated holds no one. */
static const struct sn_port_count *port_peek(const struct synack_stack *st, uint16_t p)
{
	const struct sn_port_count *pg = st->port_page[p >> SN_PORT_PAGE_BITS];

	return pg ? &pg[p & ((1u << SN_PORT_PAGE_BITS) - 1)] : &no_holders;
}

/* The counts of port p to change, its page allocated if need be; NULL only
 * if that allocation fails. */
static struct sn_port_count *port_get(struct synack_stack *st, uint16_t p)
{
	struct sn_port_count **pg = &st->port_page[p >> SN_PORT_PAGE_BITS];

	if (!*pg)
		*pg = calloc(1u << SN_PORT_PAGE_BITS, sizeof(**pg));
	return *pg ? &(*pg)[p & ((1u << SN_PORT_PAGE_BITS) - 1)] : NULL;
}

int sn_port_reserve(struct synack_stack *st, uint16_t port)
{
	return port_get(st, port) ? 0 : -ENOMEM;
}

static struct sn_tcb **bucket(struct synack_stack *st, const struct synack_endpoint *l,
			      const struct synack_endpoint *r)
{
	uint64_t h = sn_siphash13_tuple(&st->hash_key, l->addr, r->addr, l->port, r->port);
	return &st->hash[h & st->hash_mask];
}

static int tuple_is(const struct sn_tcb *t, const struct synack_endpoint *local,
		    const struct synack_endpoint *remote)
{
	return t->local.port == local->port && t->remote.port == remote->port &&
	       t->remote.addr == remote->addr && t->local.addr == local->addr;
}

struct sn_tcb **sn_conn_bucket(struct synack_stack *st, const struct synack_endpoint *local,
			       const struct synack_endpoint *remote)
{
	return bucket(st, local, remote);
}

static int endpoints_are(const struct synack_endpoint *a, const struct synack_endpoint *b)
{
	return a->port == b->port && a->addr == b->addr;
}

/* The tuple's bucket: the batch's hint when it is for this tuple (computed
 * by the same function, so always the same bucket), else hashed. */
static struct sn_tcb **lookup_bucket(struct synack_stack *st, const struct synack_endpoint *l,
				     const struct synack_endpoint *r)
{
	if (st->conn_hint.bucket && endpoints_are(&st->conn_hint.remote, r) &&
	    endpoints_are(&st->conn_hint.local, l)) {
		st->conn_hint_hits++;
		return st->conn_hint.bucket;
	}
	return bucket(st, l, r);
}

struct sn_tcb *sn_conn_lookup(struct synack_stack *st, const struct synack_endpoint *local,
			      const struct synack_endpoint *remote)
{
	struct sn_tcb *t = st->last_conn;

	if (t && tuple_is(t, local, remote))
		return t; /* back-to-back segments of one flow: no hash */
	for (t = *lookup_bucket(st, local, remote); t; t = t->hash_next)
		if (tuple_is(t, local, remote)) {
			st->last_conn = t;
			return t;
		}
	return NULL;
}

void sn_conn_insert(struct synack_stack *st, struct sn_tcb *tcb)
{
	struct sn_tcb **b = bucket(st, &tcb->local, &tcb->remote);
	tcb->hash_next = *b;
	*b = tcb;
}

void sn_conn_remove(struct synack_stack *st, struct sn_tcb *tcb)
{
	struct sn_tcb **pp = bucket(st, &tcb->local, &tcb->remote);

	while (*pp && *pp != tcb)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = tcb->hash_next;
	tcb->hash_next = NULL;
	if (st->last_conn == tcb)
		st->last_conn = NULL;
}

/* How specifically listener l takes a segment from src:sport to addr: 3
 * for a foreign address and port that both match, 2 the address, 1 the
 * port, 0 an unrestricted listener; -1 if it does not take it (MUST-42). */
static int listener_match(const struct sn_tcb *l, uint32_t addr, uint32_t src, uint16_t sport)
{
	if (l->local.addr != 0 && l->local.addr != addr)
		return -1;
	const struct synack_endpoint *f = &l->lq->foreign;

	if ((f->addr && f->addr != src) || (f->port && f->port != sport))
		return -1;
	return (f->addr ? 2 : 0) + (f->port ? 1 : 0);
}

struct sn_tcb *sn_listener_lookup(struct synack_stack *st, uint32_t addr, uint16_t port,
				  uint32_t src, uint16_t sport)
{
	struct sn_list *pos, *tmp;
	struct sn_tcb *best = NULL;
	int best_match = -1;

	sn_list_for_each_safe(pos, tmp, &st->listeners)
	{
		struct sn_tcb *l = sn_container_of(pos, struct sn_tcb, qlink);
		int m = l->local.port == port ? listener_match(l, addr, src, sport) : -1;
		if (m > best_match) {
			best = l;
			best_match = m;
		}
	}
	return best;
}

struct sn_tcb *sn_listener_same(struct synack_stack *st, uint16_t port,
				const struct synack_endpoint *foreign)
{
	struct sn_list *pos, *tmp;

	sn_list_for_each_safe(pos, tmp, &st->listeners)
	{
		struct sn_tcb *l = sn_container_of(pos, struct sn_tcb, qlink);
		if (l->local.port == port && l->lq->foreign.addr == foreign->addr &&
		    l->lq->foreign.port == foreign->port)
			return l;
	}
	return NULL;
}

void sn_port_hold(struct synack_stack *st, uint16_t port, unsigned how)
{
	/* the page exists: the port was reserved when it was chosen, or is
	 * held already (pages are never freed before the stack) */
	struct sn_port_count *c = port_get(st, port);

	if (!c)
		return;
	c->users++;
	if (!(how & SN_PORT_REUSE))
		c->noreuse++;
	if (!(how & SN_PORT_SHARED))
		c->excl++;
}

void sn_port_release(struct synack_stack *st, uint16_t port, unsigned how)
{
	struct sn_port_count *c = st->port_page[port >> SN_PORT_PAGE_BITS]
					  ? port_get(st, port) : NULL;

	if (!c)
		return;
	if (c->users > 0)
		c->users--;
	if (!(how & SN_PORT_REUSE) && c->noreuse > 0)
		c->noreuse--;
	if (!(how & SN_PORT_SHARED) && c->excl > 0)
		c->excl--;
}

void sn_port_hold_restricted(struct synack_stack *st, uint16_t port)
{
	struct sn_port_count *c;

	sn_port_hold(st, port, SN_PORT_REUSE);
	if ((c = port_get(st, port)) != NULL)
		c->restricted++;
}

void sn_port_release_restricted(struct synack_stack *st, uint16_t port)
{
	struct sn_port_count *c = st->port_page[port >> SN_PORT_PAGE_BITS]
					  ? port_get(st, port) : NULL;

	sn_port_release(st, port, SN_PORT_REUSE);
	if (c && c->restricted > 0)
		c->restricted--;
}

int sn_port_bindable(struct synack_stack *st, uint16_t port, int reuseaddr)
{
	static const struct synack_endpoint any = {0, 0};
	const struct sn_port_count *c = port_peek(st, port);

	if (c->users <= c->restricted)
		return 0;
	/* SO_REUSEADDR (Linux): both sides must allow it, and never over an
	 * (unrestricted) listener. A TIME-WAIT entry keeps its socket's flag. */
	if (reuseaddr && c->noreuse == 0 && !sn_listener_same(st, port, &any))
		return 0;
	return -EADDRINUSE;
}

/* Where RFC 6056 algorithm 3 starts for this destination: F(local address,
 * remote address, remote port) with a secret key, plus the moving counter. */
static uint32_t port_start(struct synack_stack *st, const struct synack_endpoint *remote)
{
	uint64_t h = sn_siphash_tuple(&st->port_key, st->cfg.addr, remote->addr, 0, remote->port);
	return (uint32_t)h + st->port_hint;
}

static uint16_t port_nth(const struct synack_stack *st, uint32_t start, uint32_t i)
{
	uint32_t n = (uint32_t)st->cfg.port_hi - st->cfg.port_lo + 1;
	return (uint16_t)(st->cfg.port_lo + (start + i) % n);
}

int sn_port_ephemeral(struct synack_stack *st, const struct synack_endpoint *remote, uint16_t *port)
{
	uint32_t n = (uint32_t)st->cfg.port_hi - st->cfg.port_lo + 1;
	uint32_t start = port_start(st, remote);

	for (uint32_t i = 0; i < n; i++) {
		uint16_t p = port_nth(st, start, i);
		if (port_peek(st, p)->users == 0) {
			if (sn_port_reserve(st, p))
				return -ENOMEM;
			st->port_hint += i + 1;
			*port = p;
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}

/* May connect() use local port p to reach remote? (Linux: a bind bucket
 * made by connect, then __inet_check_established and tcp_twsk_unique.) */
static int port_connectable(struct synack_stack *st, uint16_t p,
			    const struct synack_endpoint *remote, struct sn_tw **tw)
{
	const struct sn_port_count *c = port_peek(st, p);

	*tw = NULL;
	if (c->users == 0)
		return 1;
	if (c->excl > 0) /* a listener, a bind(), a passive connection */
		return 0;
	struct synack_endpoint local = {st->cfg.addr, p};
	if (sn_conn_lookup(st, &local, remote))
		return 0;
	struct sn_tw *e = sn_tw_lookup(st, local.addr, p, remote->addr, remote->port);
	if (e && !sn_tw_reusable(st, e))
		return 0;
	*tw = e;
	return 1;
}

int sn_port_connect(struct synack_stack *st, const struct synack_endpoint *remote, uint16_t *port,
		    struct sn_tw **tw)
{
	uint32_t n = (uint32_t)st->cfg.port_hi - st->cfg.port_lo + 1;
	uint32_t start = port_start(st, remote);

	for (uint32_t i = 0; i < n; i++) {
		uint16_t p = port_nth(st, start, i);
		if (port_connectable(st, p, remote, tw)) {
			if (sn_port_reserve(st, p))
				return -ENOMEM;
			st->port_hint += i + 1;
			*port = p;
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}
