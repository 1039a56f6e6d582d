/*
 * Huge pages for large tables (issue #6, flat cost per segment): a large
 * request is a 2 MiB-aligned mapping the kernel may back with transparent
 * huge pages (smaps says THPeligible), zeroed; a small one is ordinary
 * calloc memory; a pool past its huge_after threshold carves whole huge
 * pages, within its cap, and destroy returns them (ASan's leak check and
 * the RSS). White-box: base/bigmem.h and base/pool.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/bigmem.h"
#include "base/pool.h"
#include "check.h"

#define HUGE SN_BIGMEM_HUGE

/* 1 if transparent huge pages are not switched off on this system. */
static int thp_available(void)
{
	char line[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	return line[0] && !strstr(line, "[never]");
}

/* smaps' THPeligible for the mapping that holds p: 1, 0, or -1 if not found. */
static int thp_eligible(const void *p)
{
	char line[256];
	int in = 0, r = -1;
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		int v;
		if (in && sscanf(line, "THPeligible: %d", &v) == 1) {
			r = v;
			break;
		}
	}
	fclose(f);
	return r;
}

TEST(bigmem_large_request_is_aligned_zeroed_and_advised)
{
	struct sn_bigmem m;

	sn_bigmem_alloc(&m, 3 * HUGE + 5);
	CHECK(m.p != NULL);
#if defined(__linux__)
	CHECK_EQ(m.mapped, 4 * HUGE);
	CHECK_EQ((uintptr_t)m.p % HUGE, 0);
	if (thp_available())
		CHECK_EQ(thp_eligible(m.p), 1);
#endif
	uint8_t *b = m.p;
	CHECK_EQ(b[0] | b[HUGE] | b[3 * HUGE + 4], 0);
	memset(b, 0xab, 3 * HUGE + 5);
	CHECK_EQ(b[3 * HUGE + 4], 0xab);
	sn_bigmem_free(&m);
	CHECK(m.p == NULL);
	CHECK_EQ(m.mapped, 0);
}

TEST(bigmem_small_request_is_plain_calloc)
{
	struct sn_bigmem m;

	sn_bigmem_alloc(&m, HUGE - 1);
	CHECK(m.p != NULL);
	CHECK_EQ(m.mapped, 0);
	CHECK_EQ(((uint8_t *)m.p)[HUGE - 2], 0);
	sn_bigmem_free(&m);
	sn_bigmem_alloc(&m, 0);
	CHECK(m.p != NULL);
	sn_bigmem_free(&m);
}

static size_t nchunks(const struct sn_pool *p)
{
	size_t n = 0;

	for (void *c = p->chunks; c; c = *(void **)c)
		n++;
	return n;
}

/* Below the threshold chunks are per_chunk objects from malloc; past it
 * each chunk is one huge page holding as many objects as fit after the
 * chunk header, and the last one is trimmed to the cap. */
TEST(pool_chunks_become_huge_pages_past_threshold)
{
	enum { OBJ = 440, PER = 256, AFTER = 512 };
	struct sn_pool p;
	size_t fit = (HUGE - 64) / OBJ, cap = AFTER + fit + 10;

	sn_pool_init(&p, OBJ, PER, cap);
	sn_pool_huge_after(&p, AFTER);
	for (size_t i = 0; i < AFTER; i++)
		CHECK(sn_pool_get(&p) != NULL);
	CHECK_EQ(nchunks(&p), 2);
	uint8_t *first = sn_pool_get(&p);
	CHECK_EQ(nchunks(&p), 3);
#if defined(__linux__)
	size_t hdr = (uintptr_t)first % HUGE; /* right after the chunk header */
	CHECK(hdr > 0 && hdr <= 64);
	fit = (HUGE - hdr) / OBJ;
	cap = AFTER + fit + 10;
	p.cap = cap; /* white-box: the cap for exactly 10 past the huge page */
	if (thp_available())
		CHECK_EQ(thp_eligible(first), 1);
#endif
	uint8_t *last = first;
	for (size_t i = 1; i < fit; i++)
		last = sn_pool_get(&p);
	CHECK_EQ(nchunks(&p), 3); /* the huge page holds fit objects */
	CHECK(last == first + (fit - 1) * OBJ);
	for (size_t i = 0; i < 10; i++)
		CHECK(sn_pool_get(&p) != NULL);
	CHECK_EQ(nchunks(&p), 4); /* 10 left to the cap: a small chunk */
	CHECK(sn_pool_get(&p) == NULL);
	CHECK_EQ(p.live, cap);
	sn_pool_destroy(&p);
	CHECK(p.chunks == NULL);
}

/* An aligned pool's huge page (sn_pool_align, issue #6): its objects start
 * on 64-byte lines right after the chunk header (at most 128 bytes with
 * the padding) and fill the page. */
TEST(aligned_pool_huge_page_objects_on_lines)
{
	enum { OBJ = 440, AFTER = 16 };
	struct sn_pool p;
	size_t fit = (HUGE - 128) / 448;

	sn_pool_init(&p, OBJ, AFTER, AFTER + fit);
	sn_pool_align(&p, 64);
	sn_pool_huge_after(&p, AFTER);
	for (size_t i = 0; i < AFTER; i++)
		CHECK(sn_pool_get(&p) != NULL);
	uint8_t *first = sn_pool_get(&p), *last = first;
	CHECK_EQ((uintptr_t)first % 64, 0);
	for (size_t i = 1; i < fit; i++) {
		last = sn_pool_get(&p);
		CHECK_EQ((uintptr_t)last % 64, 0);
	}
	CHECK(last == first + (fit - 1) * 448); /* all in the one page */
	memset(last, 0x5a, 448); /* the last one fits in the chunk (ASan) */
	CHECK(sn_pool_get(&p) == NULL);
	sn_pool_destroy(&p);
}
