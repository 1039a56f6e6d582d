/*
 * ring.c: a fixed-capacity byte ring for a connection's send and receive
 * queues.
 *
 * Invariants: head < cap (or 0 when cap is 0), len <= cap. Readable bytes run
 * from head for len bytes, wrapping at cap. Bytes past the tail may hold data
 * stored by sn_ring_write_at() (out-of-order segments) that becomes readable
 * only when sn_ring_commit() extends len over it. Capacity need not be a power
 * of two, so positions wrap by comparison, not masking; position arithmetic is
 * done in 64 bits so that head + offset cannot overflow for large rings.
 */
#include "base/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int sn_ring_init(struct sn_ring *r, uint32_t cap)
{
	/* Storage comes with the first byte stored (ring_storage): a
	 * connection that never carries data (half-open, refused, a SYN
	 * flood's) costs no buffer memory. */
	r->buf = NULL;
	r->cap = cap;
	r->head = 0;
	r->len = 0;
	return 0;
}

/* 0 once the ring has its storage, -1 if it cannot get it. */
static int ring_storage(struct sn_ring *r)
{
	if (!r->buf && r->cap)
		r->buf = malloc(r->cap);
	return r->buf ? 0 : -1;
}

void sn_ring_free(struct sn_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->head = r->len = 0;
}

/* Storage index of the byte off bytes past head; off < 2 * cap. */
static uint32_t ring_pos(const struct sn_ring *r, uint64_t off)
{
	uint64_t pos = (uint64_t)r->head + off;

	if (pos >= r->cap)
		pos -= r->cap;
	return (uint32_t)pos;
}

/* Copy n bytes out of storage starting at pos, wrapping once if needed. */
static void copy_out(const struct sn_ring *r, uint32_t pos, uint8_t *out, uint32_t n)
{
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;

	memcpy(out, r->buf + pos, first);
	memcpy(out + first, r->buf, n - first);
}

static void copy_in(struct sn_ring *r, uint32_t pos, const uint8_t *data, uint32_t n)
{
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;

	memcpy(r->buf + pos, data, first);
	memcpy(r->buf, data + first, n - first);
}

uint32_t sn_ring_push(struct sn_ring *r, const void *data, uint32_t n)
{
	uint32_t space = sn_ring_space(r);

	if (n > space)
		n = space;
	if (n == 0 || ring_storage(r) < 0)
		return 0;
	copy_in(r, ring_pos(r, r->len), data, n);
	r->len += n;
	return n;
}

uint32_t sn_ring_pop(struct sn_ring *r, void *out, uint32_t n)
{
	if (n > r->len)
		n = r->len;
	if (n == 0)
		return 0;
	if (out)
		copy_out(r, r->head, out, n);
	r->head = ring_pos(r, n);
	r->len -= n;
	return n;
}

uint32_t sn_ring_peek(const struct sn_ring *r, uint32_t off, void *out, uint32_t n)
{
	if (off >= r->len)
		return 0;
	if (n > r->len - off)
		n = r->len - off;
	if (n == 0)
		return 0;
	copy_out(r, ring_pos(r, off), out, n);
	return n;
}

uint32_t sn_ring_write_at(struct sn_ring *r, uint32_t off, const void *data, uint32_t n)
{
	if (n == 0 || (uint64_t)off + n > sn_ring_space(r) || ring_storage(r) < 0)
		return 0;
	copy_in(r, ring_pos(r, (uint64_t)r->len + off), data, n);
	return n;
}

void sn_ring_commit(struct sn_ring *r, uint32_t n)
{
	/* Clamp rather than corrupt len if a caller overshoots the contract
	 * (or commits what no write_at stored). */
	if (n > sn_ring_space(r))
		n = sn_ring_space(r);
	if (!r->buf)
		n = 0;
	r->len += n;
}
