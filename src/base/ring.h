/*
 * ring.h: a byte ring buffer for a connection's send and receive queues.
 *
 * Fixed capacity set at creation (any size, not only powers of two). Besides
 * FIFO push/pop it supports the two things TCP needs without copies elsewhere:
 *  - peek at an offset from the head (retransmission reads unacknowledged data
 *    that is still queued: offset = seq - SND.UNA);
 *  - write at an offset beyond the tail without committing it (out-of-order
 *    data lands in its final place; sn_ring_commit() later makes it readable
 *    when the hole before it is filled).
 */
#ifndef SYNACK_BASE_RING_H
#define SYNACK_BASE_RING_H

#include <stddef.h>
#include <stdint.h>

struct sn_ring {
	uint8_t *buf;
	uint32_t cap;  /* bytes of storage */
	uint32_t head; /* index of the first readable byte */
	uint32_t len;  /* readable bytes */
};

/* Sets the capacity; storage is allocated when the first byte is stored
 * (push or write_at then return 0 if malloc fails). Always 0. cap may be 0
 * (an empty ring that accepts nothing). */
int sn_ring_init(struct sn_ring *r, uint32_t cap);
void sn_ring_free(struct sn_ring *r);
static inline uint32_t sn_ring_len(const struct sn_ring *r)
{
	return r->len;
}
static inline uint32_t sn_ring_space(const struct sn_ring *r)
{
	return r->cap - r->len;
}
/* Append up to n bytes; returns how many were appended. */
uint32_t sn_ring_push(struct sn_ring *r, const void *data, uint32_t n);
/* Remove up to n bytes into out (out may be NULL to discard); returns count. */
uint32_t sn_ring_pop(struct sn_ring *r, void *out, uint32_t n);
/* Copy up to n bytes starting off bytes past the head, without removing;
 * returns count (0 when off >= len). */
uint32_t sn_ring_peek(const struct sn_ring *r, uint32_t off, void *out, uint32_t n);
/* Store n bytes at off bytes past the tail (off + n <= space), not readable
 * yet. Returns n, or 0 if it does not fit (or storage cannot be had): the
 * caller must then not commit. */
uint32_t sn_ring_write_at(struct sn_ring *r, uint32_t off, const void *data, uint32_t n);
/* Make n more bytes past the tail readable (previously stored with
 * sn_ring_write_at); n <= space. */
void sn_ring_commit(struct sn_ring *r, uint32_t n);

#endif
