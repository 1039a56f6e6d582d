/*
 * Out-of-order ranges past the first block (SHLD-31, issue #5: "the receiver
 * keeps only 8 out-of-order ranges per connection"). A connection's ranges
 * live in a block outside the TCB, taken on the first out-of-order segment
 * and given back when the last range drains; it grows by tiers up to
 * SN_OOO_RANGES_MAX ranges, beyond which a segment that needs a new range is
 * dropped and counted (ooo_full); a grown block is charged to ooo_mem_max
 * (ooo_mem when it does not fit). Every byte still reaches the application
 * in order and intact.
 */
#include <string.h>

#include "check.h"
#include "stack/stack.h"
#include "tcp_fixture.h"

static uint8_t pattern[4 * SN_OOO_RANGES_MAX];

static void fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 13 + 5);
}

/* Peer data at stream offset off of the pattern; our output is consumed. */
static void data_at(struct fx *f, uint32_t off, uint32_t len)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = f->peer_iss + 1 + off,
				  .ack = f->our_iss + 1, .wnd = 65535, .data = pattern + off,
				  .len = len});
	fx_flush(f);
}

static struct sn_tcb *tcb_of(struct fx *f, int s)
{
	return f->st->socks[s].tcb;
}

static int fixture(struct fx *f, uint32_t ooo_mem_max)
{
	struct synack_config c;

	synack_config_default(&c);
	c.ooo_mem_max = ooo_mem_max;
	if (fx_init(f, &c))
		return -1;
	return fx_passive_established(f, 1000);
}

/* Read everything and compare with the pattern from offset 0. */
static int read_all_intact(struct fx *f, int s, uint32_t len)
{
	static char buf[sizeof(pattern)];
	uint32_t got = 0;

	for (ssize_t n; got < len && (n = synack_sock_recv(f->st, s, buf + got, len - got)) > 0;)
		got += (uint32_t)n;
	return got == len && memcmp(buf, pattern, len) == 0;
}

/* 200 ranges (12 times the first block's 16): all kept, the SACK blocks
 * name the latest first (RFC 2018 §4), and filling the holes delivers
 * every byte; the block goes back when the last range drains. */
TEST(shld31_ooo_ranges_grow_past_the_first_block)
{
	struct fx f;
	struct sn_seq_range b[4];

	fill_pattern();
	int s = fixture(&f, 0);
	CHECK(s >= 0);
	struct sn_tcb *tcb = tcb_of(&f, s);
	CHECK(tcb->ooo == NULL);
	for (uint32_t k = 0; k < 200; k++)
		data_at(&f, 20 * k + 10, 10);
	CHECK_EQ(tcp_reass_ooo_ranges(tcb), 200);
	CHECK_EQ(tcp_reass_ooo_bytes(tcb), 2000);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_OOO_FULL), 0);
	CHECK_EQ(tcp_reass_sack_blocks(tcb, b, 4), 4);
	CHECK_EQ(b[0].start, f.peer_iss + 1 + 20 * 199 + 10);
	CHECK_EQ(b[1].start, f.peer_iss + 1 + 20 * 198 + 10);
	CHECK_EQ(b[3].start, f.peer_iss + 1 + 20 * 196 + 10);
	for (uint32_t k = 0; k < 200; k++)
		data_at(&f, 20 * k, 10);
	CHECK(tcb->ooo == NULL);
	CHECK_EQ(f.st->ctr.ooo_bytes, 0);
	CHECK_EQ(f.st->ooo_meta, 0);
	CHECK(read_all_intact(&f, s, 4000));
	fx_free(&f);
}

/* The per-connection bound: with SN_OOO_RANGES_MAX ranges held, a segment
 * that needs one more is dropped and counted (ooo_full); one that joins a
 * range it touches is still taken. The peer's retransmission of the dropped
 * bytes is taken once the holes fill. */
TEST(shld31_ooo_ranges_per_connection_bound_counted_drop)
{
	struct fx f;

	fill_pattern();
	int s = fixture(&f, 0);
	CHECK(s >= 0);
	struct sn_tcb *tcb = tcb_of(&f, s);
	for (uint32_t k = 0; k < SN_OOO_RANGES_MAX; k++)
		data_at(&f, 2 * k + 1, 1);
	CHECK_EQ(tcp_reass_ooo_ranges(tcb), SN_OOO_RANGES_MAX);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_OOO_FULL), 0);
	data_at(&f, 2 * SN_OOO_RANGES_MAX + 1, 1); /* a new range: no room */
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_OOO_FULL), 1);
	data_at(&f, 2 * SN_OOO_RANGES_MAX, 1); /* touches the last range */
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_OOO_FULL), 1);
	CHECK_EQ(tcp_reass_ooo_ranges(tcb), SN_OOO_RANGES_MAX);
	CHECK_EQ(tcp_reass_ooo_bytes(tcb), SN_OOO_RANGES_MAX + 1);
	for (uint32_t k = 0; k < SN_OOO_RANGES_MAX; k++)
		data_at(&f, 2 * k, 1);
	CHECK(tcb->ooo == NULL);
	data_at(&f, 2 * SN_OOO_RANGES_MAX + 1, 1); /* the retransmission */
	CHECK(read_all_intact(&f, s, 2 * SN_OOO_RANGES_MAX + 2));
	fx_free(&f);
}

/* ooo_mem_max holds the grown blocks too: the first block (SN_OOO_TIER0
 * ranges) is free as the ranges in the TCB were; growing past it needs
 * room for the larger block, else the segment is dropped (ooo_mem). With
 * that room it grows, and the charge goes when the ranges drain. */
TEST(ooo_mem_max_charges_grown_range_blocks)
{
	struct fx f;
	uint32_t first = SN_OOO_TIER0 * 10;

	fill_pattern();
	int s = fixture(&f, first + 10 + (uint32_t)tcp_reass_block_size(1) - 1);
	CHECK(s >= 0);
	struct sn_tcb *tcb = tcb_of(&f, s);
	for (uint32_t k = 0; k < SN_OOO_TIER0; k++)
		data_at(&f, 20 * k + 10, 10);
	CHECK_EQ(f.st->ooo_meta, 0);
	data_at(&f, 20 * SN_OOO_TIER0 + 10, 10); /* one byte short of room */
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_OOO_MEM), 1);
	CHECK_EQ(tcp_reass_ooo_ranges(tcb), SN_OOO_TIER0);
	CHECK_EQ(f.st->ooo_meta, 0);
	fx_free(&f);

	s = fixture(&f, first + 10 + (uint32_t)tcp_reass_block_size(1));
	CHECK(s >= 0);
	tcb = tcb_of(&f, s);
	for (uint32_t k = 0; k <= SN_OOO_TIER0; k++)
		data_at(&f, 20 * k + 10, 10);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_OOO_MEM), 0);
	CHECK_EQ(tcp_reass_ooo_ranges(tcb), SN_OOO_TIER0 + 1);
	CHECK_EQ(f.st->ooo_meta, tcp_reass_block_size(1));
	for (uint32_t k = 0; k <= SN_OOO_TIER0; k++)
		data_at(&f, 20 * k, 10);
	CHECK_EQ(f.st->ooo_meta, 0);
	CHECK(read_all_intact(&f, s, 20 * (SN_OOO_TIER0 + 1)));
	fx_free(&f);
}

/* A connection that ends with data out of order gives its block and its
 * share of ooo_mem_max back. */
TEST(ooo_ranges_freed_with_the_connection)
{
	struct fx f;

	fill_pattern();
	int s = fixture(&f, 1u << 20);
	CHECK(s >= 0);
	for (uint32_t k = 0; k < 3 * SN_OOO_TIER0; k++)
		data_at(&f, 20 * k + 10, 10);
	CHECK(f.st->ooo_meta > 0);
	CHECK_EQ(f.st->ctr.ooo_bytes, 30 * SN_OOO_TIER0);
	CHECK_EQ(synack_sock_abort(f.st, s), 0);
	CHECK_EQ(f.st->ooo_meta, 0);
	CHECK_EQ(f.st->ctr.ooo_bytes, 0);
	fx_free(&f);
}
