/*
 * bigmem.c: zeroed memory for large tables, on 2 MiB-aligned anonymous
 * mappings advised MADV_HUGEPAGE where the OS has them (bigmem.h says why).
 *
 * Invariants: m->mapped != 0 exactly when m->p came from mmap, is aligned
 * to SN_BIGMEM_HUGE and spans m->mapped bytes; otherwise m->p came from
 * calloc (or is NULL).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, madvise */
#include "base/bigmem.h"

#include <stdint.h>
#include <stdlib.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(__linux__) && defined(MADV_HUGEPAGE)
/* A mapping of len bytes (a multiple of SN_BIGMEM_HUGE) aligned to
 * SN_BIGMEM_HUGE: map len plus one huge page, trim both ends. */
static void *map_aligned(size_t len)
{
	const size_t h = SN_BIGMEM_HUGE;
	uint8_t *raw = mmap(NULL, len + h, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (raw == MAP_FAILED)
		return NULL;
	uint8_t *p = (uint8_t *)(((uintptr_t)raw + h - 1) & ~(uintptr_t)(h - 1));
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	if (p + len < raw + len + h)
		munmap(p + len, (size_t)(raw + len + h - (p + len)));
	/* only advice: without THP the mapping works on 4 KiB pages */
	(void)madvise(p, len, MADV_HUGEPAGE);
	return p;
}
#endif

void sn_bigmem_alloc(struct sn_bigmem *m, size_t size)
{
	m->p = NULL;
	m->mapped = 0;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
	if (size >= SN_BIGMEM_HUGE && size <= SIZE_MAX - 2 * SN_BIGMEM_HUGE) {
		size_t len = (size + SN_BIGMEM_HUGE - 1) & ~(SN_BIGMEM_HUGE - 1);
		m->p = map_aligned(len);
		if (m->p) {
			m->mapped = len;
			return;
		}
	}
#endif
	m->p = calloc(1, size ? size : 1);
}

void sn_bigmem_free(struct sn_bigmem *m)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
	if (m->mapped) {
		munmap(m->p, m->mapped);
		m->p = NULL;
		m->mapped = 0;
		return;
	}
#endif
	free(m->p);
	m->p = NULL;
	m->mapped = 0;
}
