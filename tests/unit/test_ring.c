/* test_ring.c: FIFO order across wrap-around, peeking at offsets, out-of-order
 * writes committed later, odd capacities and the empty ring. */
#include "check.h"

#include "base/ring.h"

static void fill_seq(uint8_t *b, uint32_t n, uint8_t start)
{
	for (uint32_t i = 0; i < n; i++)
		b[i] = (uint8_t)(start + i);
}

TEST(push_pop_fifo)
{
	struct sn_ring r;
	uint8_t in[10], out[10];

	CHECK_EQ(sn_ring_init(&r, 10), 0);
	fill_seq(in, 10, 0);
	CHECK_EQ(sn_ring_push(&r, in, 4), 4);
	CHECK_EQ(sn_ring_len(&r), 4);
	CHECK_EQ(sn_ring_space(&r), 6);
	CHECK_EQ(sn_ring_pop(&r, out, 10), 4);
	CHECK(memcmp(in, out, 4) == 0);
	CHECK_EQ(sn_ring_pop(&r, out, 1), 0);
	sn_ring_free(&r);
}

TEST(push_stops_at_capacity)
{
	struct sn_ring r;
	uint8_t in[16];

	fill_seq(in, 16, 0);
	CHECK_EQ(sn_ring_init(&r, 7), 0);
	CHECK_EQ(sn_ring_push(&r, in, 16), 7);
	CHECK_EQ(sn_ring_space(&r), 0);
	CHECK_EQ(sn_ring_push(&r, in, 1), 0);
	sn_ring_free(&r);
}

/* Capacity 7 (not a power of two); many rounds of odd-sized pushes and pops
 * move the head all round the buffer, checked against a running counter. */
TEST(wraparound_odd_capacity)
{
	struct sn_ring r;
	uint8_t buf[7];
	uint8_t next_in = 0, next_out = 0;

	CHECK_EQ(sn_ring_init(&r, 7), 0);
	for (int round = 0; round < 500; round++) {
		uint32_t n = (uint32_t)(round * 5 % 8), got;
		fill_seq(buf, 7, next_in);
		got = sn_ring_push(&r, buf, n);
		CHECK(got <= n);
		next_in = (uint8_t)(next_in + got);
		got = sn_ring_pop(&r, buf, (uint32_t)(round * 3 % 6));
		for (uint32_t i = 0; i < got; i++)
			CHECK_EQ(buf[i], (uint8_t)(next_out + i));
		next_out = (uint8_t)(next_out + got);
		CHECK_EQ(sn_ring_len(&r), (uint8_t)(next_in - next_out));
	}
	sn_ring_free(&r);
}

TEST(pop_null_discards)
{
	struct sn_ring r;
	uint8_t in[5] = {1, 2, 3, 4, 5}, out[5];

	CHECK_EQ(sn_ring_init(&r, 5), 0);
	sn_ring_push(&r, in, 5);
	CHECK_EQ(sn_ring_pop(&r, NULL, 2), 2);
	CHECK_EQ(sn_ring_pop(&r, out, 5), 3);
	CHECK_EQ(out[0], 3);
	sn_ring_free(&r);
}

/* Peek reads unacknowledged data at seq - SND.UNA, across the wrap. */
TEST(peek_at_offsets_across_wrap)
{
	struct sn_ring r;
	uint8_t in[10], out[10];

	CHECK_EQ(sn_ring_init(&r, 10), 0);
	fill_seq(in, 10, 0);
	sn_ring_push(&r, in, 8);
	sn_ring_pop(&r, NULL, 6); /* head now at index 6 */
	fill_seq(in, 10, 100);
	CHECK_EQ(sn_ring_push(&r, in, 8), 8); /* wraps */
	CHECK_EQ(sn_ring_len(&r), 10);
	/* Contents: 6, 7, 100..107. */
	CHECK_EQ(sn_ring_peek(&r, 0, out, 3), 3);
	CHECK_EQ(out[0], 6);
	CHECK_EQ(out[1], 7);
	CHECK_EQ(out[2], 100);
	CHECK_EQ(sn_ring_peek(&r, 5, out, 100), 5);
	CHECK_EQ(out[0], 103);
	CHECK_EQ(out[4], 107);
	CHECK_EQ(sn_ring_peek(&r, 9, out, 1), 1);
	CHECK_EQ(out[0], 107);
	CHECK_EQ(sn_ring_peek(&r, 10, out, 1), 0);
	CHECK_EQ(sn_ring_peek(&r, 0xffffffffu, out, 1), 0);
	CHECK_EQ(sn_ring_len(&r), 10); /* peek removed nothing */
	sn_ring_free(&r);
}

/* Out-of-order data: the segment after a hole lands in place, is invisible
 * until the hole is filled and both are committed. */
TEST(write_at_then_commit)
{
	struct sn_ring r;
	uint8_t a[3] = {1, 2, 3}, b[4] = {4, 5, 6, 7}, out[16];

	CHECK_EQ(sn_ring_init(&r, 9), 0);
	sn_ring_push(&r, out, 6);
	sn_ring_pop(&r, NULL, 6); /* head at 6: the data below wraps */
	CHECK_EQ(sn_ring_write_at(&r, 3, b, 4), 4);
	CHECK_EQ(sn_ring_len(&r), 0);
	CHECK_EQ(sn_ring_peek(&r, 0, out, 16), 0);
	CHECK_EQ(sn_ring_write_at(&r, 0, a, 3), 3);
	sn_ring_commit(&r, 7);
	CHECK_EQ(sn_ring_len(&r), 7);
	CHECK_EQ(sn_ring_pop(&r, out, 16), 7);
	for (int i = 0; i < 7; i++)
		CHECK_EQ(out[i], i + 1);
	sn_ring_free(&r);
}

TEST(write_at_refuses_past_space)
{
	struct sn_ring r;
	uint8_t d[8] = {0};

	CHECK_EQ(sn_ring_init(&r, 8), 0);
	sn_ring_push(&r, d, 3);
	CHECK_EQ(sn_ring_write_at(&r, 2, d, 3), 3); /* ends exactly at cap */
	CHECK_EQ(sn_ring_write_at(&r, 2, d, 4), 0);
	CHECK_EQ(sn_ring_write_at(&r, 5, d, 1), 0);
	CHECK_EQ(sn_ring_write_at(&r, 0xffffffffu, d, 2), 0); /* no overflow */
	sn_ring_commit(&r, 100); /* overshoot is clamped, not corrupting */
	CHECK_EQ(sn_ring_len(&r), 8);
	sn_ring_free(&r);
}

/* A committed write_at is indistinguishable from a push of the same bytes. */
TEST(commit_then_push_continues)
{
	struct sn_ring r;
	uint8_t x[2] = {9, 8}, y[2] = {7, 6}, out[4];

	CHECK_EQ(sn_ring_init(&r, 5), 0);
	sn_ring_write_at(&r, 0, x, 2);
	sn_ring_commit(&r, 2);
	CHECK_EQ(sn_ring_push(&r, y, 2), 2);
	CHECK_EQ(sn_ring_pop(&r, out, 4), 4);
	CHECK_EQ(out[0], 9);
	CHECK_EQ(out[3], 6);
	sn_ring_free(&r);
}

TEST(capacity_zero)
{
	struct sn_ring r;
	uint8_t b[4] = {0};

	CHECK_EQ(sn_ring_init(&r, 0), 0);
	CHECK_EQ(sn_ring_space(&r), 0);
	CHECK_EQ(sn_ring_push(&r, b, 4), 0);
	CHECK_EQ(sn_ring_pop(&r, b, 4), 0);
	CHECK_EQ(sn_ring_peek(&r, 0, b, 4), 0);
	CHECK_EQ(sn_ring_write_at(&r, 0, b, 1), 0);
	sn_ring_commit(&r, 0);
	CHECK_EQ(sn_ring_len(&r), 0);
	sn_ring_free(&r);
	sn_ring_free(&r); /* idempotent */
}

TEST(capacity_one)
{
	struct sn_ring r;
	uint8_t v;

	CHECK_EQ(sn_ring_init(&r, 1), 0);
	for (int i = 0; i < 10; i++) {
		v = (uint8_t)i;
		CHECK_EQ(sn_ring_push(&r, &v, 1), 1);
		CHECK_EQ(sn_ring_push(&r, &v, 1), 0);
		v = 0xff;
		CHECK_EQ(sn_ring_pop(&r, &v, 1), 1);
		CHECK_EQ(v, i);
	}
	sn_ring_free(&r);
}

/* Storage is allocated with the first byte stored, not at init: a
 * connection that never carries data costs no buffer memory. */
TEST(storage_allocated_on_first_write)
{
	struct sn_ring r;

	CHECK_EQ(sn_ring_init(&r, 100), 0);
	CHECK(r.buf == NULL);
	CHECK_EQ(sn_ring_space(&r), 100);
	uint8_t out[4];
	CHECK_EQ(sn_ring_peek(&r, 0, out, 4), 0);
	CHECK_EQ(sn_ring_pop(&r, out, 4), 0);
	sn_ring_commit(&r, 10); /* nothing was stored: nothing to commit */
	CHECK_EQ(sn_ring_len(&r), 0);
	CHECK(r.buf == NULL);
	CHECK_EQ(sn_ring_write_at(&r, 5, "ab", 2), 2);
	CHECK(r.buf != NULL);
	CHECK_EQ(sn_ring_push(&r, "xyz", 3), 3);
	CHECK_EQ(sn_ring_pop(&r, out, 3), 3);
	CHECK_EQ(memcmp(out, "xyz", 3), 0);
	sn_ring_free(&r);
}
