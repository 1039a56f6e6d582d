/*
 * pool.h: a bounded pool of fixed-size objects.
 *
 * Objects are carved from chunks allocated as the pool grows (so an idle
 * stack holds little memory) up to a hard cap; freed objects go on a free
 * list and are reused first. Reaching the cap makes sn_pool_get() return NULL,
 * which callers turn into an error code or a counted drop (DESIGN.md,
 * Invariants). Objects are zeroed on get.
 *
 * A pool that grows large (sn_pool_huge_after) takes its later chunks as
 * whole huge pages (base/bigmem.h): a million TCBs then span a few hundred
 * TLB entries instead of a hundred thousand (issue #6, flat cost per
 * segment), while a small stack never maps one.
 */
#ifndef SYNACK_BASE_POOL_H
#define SYNACK_BASE_POOL_H

#include <stddef.h>
#include <stdint.h>

struct sn_pool {
	size_t obj_size;    /* rounded up to pointer alignment */
	size_t per_chunk;   /* objects per chunk */
	size_t cap;         /* most objects live at once */
	size_t live;        /* objects handed out */
	size_t carved;      /* objects ever carved from chunks */
	void *free_list;    /* freed objects, linked through their first word */
	void *chunks;       /* chunk list, linked through each chunk's first word */
	uint8_t *cur;       /* next uncarved object in the newest chunk */
	size_t cur_left;    /* uncarved objects left there */
	size_t huge_after;  /* once this many are carved, chunks are huge pages (0: never) */
	size_t align;       /* objects start on this boundary (sn_pool_align; 0: malloc's) */
};

void sn_pool_init(struct sn_pool *p, size_t obj_size, size_t per_chunk, size_t cap);
void sn_pool_destroy(struct sn_pool *p); /* frees every chunk */
/* Chunks carved after n objects are SN_BIGMEM_HUGE bytes on huge pages. */
void sn_pool_huge_after(struct sn_pool *p, size_t n);
/* Objects start on align-byte boundaries (a power of two, at most 4096)
 * and their size is rounded up to a multiple of it: with 64, a 440-byte
 * TCB spans exactly 7 cache lines instead of straddling 8 half the time.
 * Call before the first get. */
void sn_pool_align(struct sn_pool *p, size_t align);
void *sn_pool_get(struct sn_pool *p);     /* zeroed object or NULL */
void sn_pool_put(struct sn_pool *p, void *obj);

#endif
