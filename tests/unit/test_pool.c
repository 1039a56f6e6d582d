/* test_pool.c: the cap is hard, freed objects are reused before new ones are
 * carved, objects come back zeroed, memory grows a chunk at a time, and
 * destroy releases every chunk (ASan's leak check verifies that). */
#include "check.h"

#include "base/pool.h"

struct obj {
	uint64_t a, b;
	char name[13];
};

static size_t nchunks(const struct sn_pool *p)
{
	size_t n = 0;

	for (void *c = p->chunks; c; c = *(void **)c)
		n++;
	return n;
}

TEST(cap_reached_returns_null)
{
	struct sn_pool p;
	void *o[5];

	sn_pool_init(&p, sizeof(struct obj), 2, 5);
	for (int i = 0; i < 5; i++) {
		o[i] = sn_pool_get(&p);
		CHECK(o[i] != NULL);
	}
	CHECK(sn_pool_get(&p) == NULL);
	CHECK_EQ(p.live, 5);
	sn_pool_put(&p, o[2]);
	CHECK(sn_pool_get(&p) == o[2]);
	CHECK(sn_pool_get(&p) == NULL);
	sn_pool_destroy(&p);
}

TEST(cap_zero_gives_nothing)
{
	struct sn_pool p;

	sn_pool_init(&p, 8, 4, 0);
	CHECK(sn_pool_get(&p) == NULL);
	CHECK(p.chunks == NULL);
	sn_pool_destroy(&p);
}

TEST(objects_distinct_and_aligned)
{
	struct sn_pool p;
	struct obj *o[20];

	sn_pool_init(&p, sizeof(struct obj), 7, 20);
	CHECK_EQ(p.obj_size % sizeof(void *), 0);
	CHECK(p.obj_size >= sizeof(struct obj));
	for (int i = 0; i < 20; i++) {
		o[i] = sn_pool_get(&p);
		CHECK(o[i] != NULL);
		CHECK_EQ((uintptr_t)o[i] % _Alignof(struct obj), 0);
		o[i]->a = (uint64_t)i; /* would clobber a neighbour if they overlap */
		memset(o[i]->name, 'x', sizeof(o[i]->name));
	}
	for (int i = 0; i < 20; i++)
		CHECK_EQ(o[i]->a, i);
	sn_pool_destroy(&p);
}

TEST(reuse_after_put_lifo)
{
	struct sn_pool p;
	void *a, *b;

	sn_pool_init(&p, 24, 4, 100);
	a = sn_pool_get(&p);
	b = sn_pool_get(&p);
	sn_pool_put(&p, a);
	sn_pool_put(&p, b);
	CHECK(sn_pool_get(&p) == b);
	CHECK(sn_pool_get(&p) == a);
	CHECK_EQ(p.carved, 2);
	CHECK_EQ(p.live, 2);
	sn_pool_destroy(&p);
}

/* The free list threads through the first word; get must scrub it and the
 * caller's leftovers. */
TEST(get_returns_zeroed)
{
	struct sn_pool p;
	struct obj *o;

	sn_pool_init(&p, sizeof(struct obj), 4, 4);
	o = sn_pool_get(&p);
	memset(o, 0xab, sizeof(*o));
	sn_pool_put(&p, o);
	o = sn_pool_get(&p);
	CHECK_EQ(o->a, 0);
	CHECK_EQ(o->b, 0);
	for (size_t i = 0; i < sizeof(o->name); i++)
		CHECK_EQ(o->name[i], 0);
	sn_pool_destroy(&p);
}

/* Chunks are added only when the free list and the current chunk are empty,
 * and the last one is trimmed to the cap. */
TEST(grows_in_chunks)
{
	struct sn_pool p;
	void *o[10];

	sn_pool_init(&p, 16, 4, 10);
	CHECK_EQ(nchunks(&p), 0);
	o[0] = sn_pool_get(&p);
	CHECK_EQ(nchunks(&p), 1);
	for (int i = 1; i < 4; i++)
		o[i] = sn_pool_get(&p);
	CHECK_EQ(nchunks(&p), 1);
	sn_pool_put(&p, o[1]);
	o[1] = sn_pool_get(&p); /* reused: still one chunk */
	CHECK_EQ(nchunks(&p), 1);
	o[4] = sn_pool_get(&p);
	CHECK_EQ(nchunks(&p), 2);
	for (int i = 5; i < 10; i++)
		o[i] = sn_pool_get(&p);
	CHECK_EQ(nchunks(&p), 3);
	CHECK_EQ(p.cur_left, 0); /* third chunk held just the 2 up to the cap */
	CHECK(sn_pool_get(&p) == NULL);
	CHECK_EQ(nchunks(&p), 3);
	for (int i = 0; i < 10; i++)
		sn_pool_put(&p, o[i]);
	CHECK_EQ(p.live, 0);
	sn_pool_destroy(&p);
	CHECK(p.chunks == NULL);
}

TEST(tiny_objects_and_put_null)
{
	struct sn_pool p;
	uint8_t *a, *b;

	sn_pool_init(&p, 1, 0, 3); /* per_chunk 0 means one per chunk */
	CHECK(p.obj_size >= sizeof(void *));
	a = sn_pool_get(&p);
	b = sn_pool_get(&p);
	CHECK(a && b && a != b);
	sn_pool_put(&p, NULL);
	CHECK_EQ(p.live, 2);
	sn_pool_destroy(&p);
}

/* Many get/put cycles hold memory to what peak use needed. */
TEST(churn_stays_bounded)
{
	struct sn_pool p;
	void *o[8] = {0};
	uint32_t x = 12345;

	sn_pool_init(&p, 40, 8, 64);
	for (int i = 0; i < 10000; i++) {
		x = x * 1103515245u + 12345u;
		int k = (int)((x >> 16) % 8);
		if (o[k]) {
			sn_pool_put(&p, o[k]);
			o[k] = NULL;
		} else {
			o[k] = sn_pool_get(&p);
			CHECK(o[k] != NULL);
		}
	}
	CHECK(p.carved <= 8);
	CHECK_EQ(nchunks(&p), 1);
	sn_pool_destroy(&p);
}

/* sn_pool_align (issue #6: a TCB on whole cache lines): every object, in
 * every chunk and after reuse, starts on the boundary, and its size is
 * rounded up to it, so none shares a line with its neighbour. */
TEST(aligned_pool_objects_start_on_lines)
{
	struct sn_pool p;
	uint8_t *o[40];

	sn_pool_init(&p, 440, 7, 40);
	sn_pool_align(&p, 64);
	CHECK_EQ(p.obj_size, 448);
	for (int i = 0; i < 40; i++) {
		o[i] = sn_pool_get(&p);
		CHECK(o[i] != NULL);
		CHECK_EQ((uintptr_t)o[i] % 64, 0);
		memset(o[i], 0x5a, 448); /* ASan: the whole rounded size is ours */
	}
	CHECK_EQ(nchunks(&p), 6);
	sn_pool_put(&p, o[3]);
	CHECK(sn_pool_get(&p) == o[3]);
	CHECK(sn_pool_get(&p) == NULL);
	sn_pool_destroy(&p);
}
