/*
 * The stack-wide bound on out-of-order data (ooo_mem_max; issue #7,
 * "global memory for out-of-order data, pruning the newest first"): the
 * gauge SynackOfoBytes counts what all connections hold past a hole; at the
 * limit a connection's highest-sequence data is pruned in favour of a
 * segment nearer RCV.NXT, and a segment that cannot be made room for is
 * dropped (ooo_mem) without touching other connections' data.
 */
#include <string.h>

#include "check.h"
#include "tcp_fixture.h"

static struct synack_counters ctr(struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c;
}

static uint8_t pattern[8192];

static void fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
}

/* Peer data at stream offset off (0 = the first byte after the SYN). */
static void data_at(struct fx *f, uint16_t sport, uint32_t irs, uint32_t off, uint32_t len)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = irs + 1 + off, .ack = f->our_iss + 1,
				  .wnd = 65535, .sport = sport, .data = pattern + off, .len = len});
}

static int ooo_fixture(struct fx *f, uint32_t max)
{
	struct synack_config c;
	synack_config_default(&c);
	c.ooo_mem_max = max;
	if (fx_init(f, &c))
		return -1;
	return fx_passive_established(f, 1000);
}

/* Pruning from the top: [1000,2000) [3000,4000) [5000,6000) fill a 3000-byte
 * budget; [2000,3000) arrives and [5000,6000), the highest, makes room;
 * then [7000,8000), above everything held, is dropped. Filling [0,1000)
 * delivers 0..4000 intact and the gauge returns to zero. */
TEST(ooo_mem_max_prunes_highest_sequence_first)
{
	struct fx f;
	char buf[8192];

	fill_pattern();
	int s = ooo_fixture(&f, 3000);
	CHECK(s >= 0);
	data_at(&f, 0, 1000, 1000, 1000);
	data_at(&f, 0, 1000, 3000, 1000);
	data_at(&f, 0, 1000, 5000, 1000);
	CHECK_EQ(ctr(&f).ooo_bytes, 3000);
	CHECK_EQ(ctr(&f).ooo_pruned, 0);
	data_at(&f, 0, 1000, 2000, 1000);
	CHECK_EQ(ctr(&f).ooo_bytes, 3000);
	CHECK_EQ(ctr(&f).ooo_pruned, 1000);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_OOO_MEM), 0);
	data_at(&f, 0, 1000, 7000, 1000);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_OOO_MEM), 1);
	CHECK_EQ(ctr(&f).ooo_bytes, 3000);
	data_at(&f, 0, 1000, 0, 1000);
	CHECK_EQ(ctr(&f).ooo_bytes, 0);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof buf), 4000);
	CHECK(memcmp(buf, pattern, 4000) == 0);
	/* the pruned and dropped bytes come again and are taken */
	data_at(&f, 0, 1000, 4000, 2000);
	data_at(&f, 0, 1000, 6000, 2000);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof buf), 4000);
	CHECK(memcmp(buf, pattern + 4000, 4000) == 0);
	fx_free(&f);
}

/* The bound is stack-wide: a second connection cannot queue data out of
 * order while the first holds the budget, and its segment is what goes,
 * not the first connection's data. When the first one's hole fills, the
 * second gets room. */
TEST(ooo_mem_max_is_shared_and_spares_other_connections)
{
	struct fx f;
	struct sn_tcp_seg o;
	char buf[8192];

	fill_pattern();
	int s = ooo_fixture(&f, 2000);
	CHECK(s >= 0);
	uint32_t iss_a = f.our_iss;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 5000, .wnd = 65535, .mss = 1460,
				   .sport = 40001});
	CHECK(fx_out(&f, &o));
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 5001, .ack = o.seq + 1,
				   .wnd = 65535, .sport = 40001});
	int s2 = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK(s2 >= 0);
	uint32_t iss_b = o.seq;

	f.our_iss = iss_a;
	data_at(&f, 0, 1000, 1000, 2000); /* A: 2000 bytes past a hole */
	CHECK_EQ(ctr(&f).ooo_bytes, 2000);
	f.our_iss = iss_b;
	data_at(&f, 40001, 5000, 1000, 500); /* B: no room */
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_OOO_MEM), 1);
	CHECK_EQ(ctr(&f).ooo_bytes, 2000);
	CHECK_EQ(ctr(&f).ooo_pruned, 0);
	f.our_iss = iss_a;
	data_at(&f, 0, 1000, 0, 1000); /* A's hole fills */
	CHECK_EQ(ctr(&f).ooo_bytes, 0);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof buf), 3000);
	CHECK(memcmp(buf, pattern, 3000) == 0);
	f.our_iss = iss_b;
	data_at(&f, 40001, 5000, 1000, 500); /* now B has room */
	CHECK_EQ(ctr(&f).ooo_bytes, 500);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_OOO_MEM), 1);
	/* closing B with data still out of order releases its share */
	CHECK_EQ(synack_sock_abort(f.st, s2), 0);
	CHECK_EQ(ctr(&f).ooo_bytes, 0);
	fx_free(&f);
}

/* ooo_mem_max = 0: no stack-wide bound; each receive buffer still bounds
 * its own connection. */
TEST(ooo_mem_max_zero_means_unbounded)
{
	struct fx f;

	fill_pattern();
	CHECK(ooo_fixture(&f, 0) >= 0);
	for (uint32_t off = 1000; off < 8000; off += 2000)
		data_at(&f, 0, 1000, off, 1000);
	CHECK_EQ(ctr(&f).ooo_bytes, 4000);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_OOO_MEM), 0);
	fx_free(&f);
}
