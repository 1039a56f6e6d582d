/*
 * bigmem.h: zeroed memory for a stack's large, randomly accessed tables
 * (the 4-tuple hash table, the socket array, the TCB pool's chunks), on
 * huge pages where the OS offers them.
 *
 * Why (issue #6, flat cost per segment): with a million connections a
 * segment to a random one touches its hash bucket, TCB and socket, spread
 * over hundreds of MiB; with 4 KiB pages each of those is a TLB miss whose
 * page walk itself misses the cache. 2 MiB pages let the TLB cover them.
 *
 * On Linux a request of at least SN_BIGMEM_HUGE bytes is an anonymous
 * mapping aligned to 2 MiB and advised MADV_HUGEPAGE (transparent huge
 * pages: used when the system's setting is "madvise" or "always", ignored
 * when it is "never"); pages are still faulted in only when touched. Smaller
 * requests, other systems and a failed mapping fall back to calloc: the
 * same zeroed memory on ordinary pages.
 */
#ifndef SYNACK_BASE_BIGMEM_H
#define SYNACK_BASE_BIGMEM_H

#include <stddef.h>

#define SN_BIGMEM_HUGE ((size_t)2 << 20) /* a huge page, and the smallest request mapped */

struct sn_bigmem {
	void *p;       /* the zeroed memory, or NULL */
	size_t mapped; /* bytes mapped (a multiple of SN_BIGMEM_HUGE); 0: from calloc */
};

/* Zeroed memory for size bytes: m->p, NULL if none can be had. */
void sn_bigmem_alloc(struct sn_bigmem *m, size_t size);
void sn_bigmem_free(struct sn_bigmem *m);

#endif
