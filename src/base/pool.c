/*
 * pool.c: a bounded pool of fixed-size objects (TCBs, TIME-WAIT entries,
 * segments).
 *
 * Memory comes in chunks of per_chunk objects, allocated only when the free
 * list is empty and the newest chunk is used up, so the hot path (get after
 * put) never calls malloc and an idle pool holds one chunk at most per
 * per_chunk objects ever live at once. Chunks are kept until destroy: objects
 * are never returned to malloc individually.
 *
 * Invariants: live <= cap; carved <= cap; live = carved - (free list length).
 * Each chunk starts with a header linking it into p->chunks and saying how
 * it was allocated (mapped: a huge-page chunk from bigmem.c, else malloc),
 * padded to max_align_t so objects in it are as aligned as malloc's memory
 * allows; a pool given a larger alignment (sn_pool_align) starts its
 * objects at the first aligned address after the header, and each chunk
 * has room for that padding (chunk_lead).
 */
#include "base/pool.h"

#include "base/bigmem.h"

#include <stdlib.h>
#include <string.h>

union chunk_hdr {
	struct {
		void *next;
		size_t mapped; /* bytes mapped (sn_bigmem), 0: from malloc */
	} h;
	max_align_t align;
};

void sn_pool_init(struct sn_pool *p, size_t obj_size, size_t per_chunk, size_t cap)
{
	const size_t a = sizeof(void *);

	/* Freed objects link through their first word, so it must fit one. */
	if (obj_size < a)
		obj_size = a;
	memset(p, 0, sizeof(*p));
	p->obj_size = (obj_size + a - 1) / a * a;
	p->per_chunk = per_chunk ? per_chunk : 1;
	p->cap = cap;
}

void sn_pool_destroy(struct sn_pool *p)
{
	void *c = p->chunks;

	while (c) {
		union chunk_hdr *hdr = c;
		struct sn_bigmem m = {c, hdr->h.mapped};
		c = hdr->h.next;
		sn_bigmem_free(&m);
	}
	p->chunks = NULL;
	p->free_list = NULL;
	p->cur = NULL;
	p->cur_left = 0;
	p->live = 0;
	p->carved = 0;
}

void sn_pool_huge_after(struct sn_pool *p, size_t n)
{
	p->huge_after = n;
}

void sn_pool_align(struct sn_pool *p, size_t align)
{
	p->align = align;
	p->obj_size = (p->obj_size + align - 1) / align * align;
}

/* Bytes a chunk gives up before its first object: the header, and as much
 * padding as the alignment can need (chunks are at least max_align_t
 * aligned, from malloc or a mapping). */
static size_t chunk_lead(const struct sn_pool *p)
{
	const size_t hdr = sizeof(union chunk_hdr), base = _Alignof(max_align_t);

	return p->align > base ? hdr + p->align - base : hdr;
}

/* The first object of chunk c: right after its header, aligned. */
static uint8_t *chunk_first(const struct sn_pool *p, union chunk_hdr *c)
{
	uintptr_t a = (uintptr_t)(c + 1);

	if (p->align > 1)
		a = (a + p->align - 1) & ~(uintptr_t)(p->align - 1);
	return (uint8_t *)a;
}

/* A chunk of size bytes: on huge pages (bigmem.c) or from malloc. */
static union chunk_hdr *chunk_alloc(size_t size, int huge)
{
	struct sn_bigmem m = {NULL, 0};
	union chunk_hdr *c;

	if (!huge) {
		c = malloc(size);
		if (c)
			c->h.mapped = 0;
		return c;
	}
	sn_bigmem_alloc(&m, size);
	c = m.p;
	if (c)
		c->h.mapped = m.mapped;
	return c;
}

/* Allocate a new chunk, never carving past cap. 0 or -1 when out of memory.
 * Past huge_after a chunk is one huge page, as many objects as fit. */
static int pool_grow(struct sn_pool *p)
{
	const size_t lead = chunk_lead(p);
	size_t n = p->cap - p->carved, per = p->per_chunk;
	int huge = p->huge_after && p->carved >= p->huge_after &&
		   (SN_BIGMEM_HUGE - lead) / p->obj_size > per;

	if (huge)
		per = (SN_BIGMEM_HUGE - lead) / p->obj_size;
	if (n > per)
		n = per;
	union chunk_hdr *c = chunk_alloc(n == per && huge ? SN_BIGMEM_HUGE : lead + n * p->obj_size, huge);
	if (!c)
		return -1;
	c->h.next = p->chunks;
	p->chunks = c;
	p->cur = chunk_first(p, c);
	p->cur_left = n;
	return 0;
}

static void *pool_carve(struct sn_pool *p)
{
	void *obj;

	if (p->cur_left == 0 && pool_grow(p) != 0)
		return NULL;
	obj = p->cur;
	p->cur += p->obj_size;
	p->cur_left--;
	p->carved++;
	return obj;
}

void *sn_pool_get(struct sn_pool *p)
{
	void *obj;

	if (p->live >= p->cap)
		return NULL;
	if (p->free_list) {
		obj = p->free_list;
		p->free_list = *(void **)obj;
	} else {
		obj = pool_carve(p);
		if (!obj)
			return NULL;
	}
	memset(obj, 0, p->obj_size);
	p->live++;
	return obj;
}

void sn_pool_put(struct sn_pool *p, void *obj)
{
	if (!obj)
		return;
	*(void **)obj = p->free_list;
	p->free_list = obj;
	p->live--;
}
