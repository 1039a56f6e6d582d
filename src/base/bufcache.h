/*
 * bufcache.h: a bounded cache of freed byte-ring storage, by capacity.
 *
 * A connection's send and receive rings get their storage from malloc with
 * the first byte queued and give it back when the connection ends. A
 * server that opens and closes connections at a high rate frees blocks at
 * the top of the heap so often that glibc trims the heap and grows it
 * again (two brk system calls per connection or so): the lifecycle
 * benchmark's close-by-server and RST runs spent five times the CPU of
 * close-by-client, all of it in the kernel. The cache keeps up to max_bytes
 * of freed storage, in up to SN_BUFCACHE_CLASSES capacities (the stack's
 * default buffer sizes, in practice), for the next connections to reuse.
 * Blocks of other capacities, or past the bound, go back to free().
 */
#ifndef SYNACK_BASE_BUFCACHE_H
#define SYNACK_BASE_BUFCACHE_H

#include <stddef.h>
#include <stdint.h>

#define SN_BUFCACHE_CLASSES 4

struct sn_bufcache {
	struct {
		uint32_t cap;  /* 0: class unused */
		uint32_t n;    /* blocks held */
		void *head;    /* blocks linked through their first bytes */
	} cls[SN_BUFCACHE_CLASSES];
	size_t bytes;      /* held in all classes */
	size_t max_bytes;
};

void sn_bufcache_init(struct sn_bufcache *c, size_t max_bytes);
/* A block of exactly cap bytes from the cache, or NULL (then malloc). */
void *sn_bufcache_get(struct sn_bufcache *c, uint32_t cap);
/* Takes a malloc'd block of cap bytes: cached, or freed. NULL is ignored. */
void sn_bufcache_put(struct sn_bufcache *c, void *buf, uint32_t cap);
/* Frees every block held. */
void sn_bufcache_drain(struct sn_bufcache *c);

#endif
