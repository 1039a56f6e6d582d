/*
 * The compact TIME-WAIT table itself (src/tcp/timewait.c), white-box: entry
 * size, hash growth, exact expiry through the expiry FIFOs (also when the MSL
 * is lowered at runtime, which puts entries out of insertion order), the
 * runtime tcp_max_tw_buckets bound, and the in-place walk in expiry order.
 */
#include "check.h"
#include "stack/stack.h"
#include "tcp/timewait.h"

#define SEC 1000000ull
#define US_ADDR 0x0a000001u

static synack_stack *mk(uint32_t msl_us, uint32_t max_tw)
{
	struct synack_config c;
	synack_stack *st = NULL;

	synack_config_default(&c);
	c.addr = US_ADDR;
	c.msl_us = msl_us;
	c.max_timewait = max_tw;
	if (synack_stack_create(&c, &st))
		return NULL;
	synack_stack_poll(st, 0);
	return st;
}

static struct sn_tw *put(synack_stack *st, uint32_t i)
{
	struct synack_endpoint l = {US_ADDR, 80}, r = {0x0b000000u + (i >> 14), (uint16_t)(1024 + (i & 0x3fff))};
	return sn_tw_insert(st, &l, &r, 100 + i, 200 + i, 65535, 0, NULL);
}

static int has(synack_stack *st, uint32_t i)
{
	return sn_tw_lookup(st, US_ADDR, 80, 0x0b000000u + (i >> 14), (uint16_t)(1024 + (i & 0x3fff))) != NULL;
}

static void set_msl(synack_stack *st, uint32_t msl_us)
{
	struct synack_config c = *synack_stack_config(st);
	c.msl_us = msl_us;
	synack_stack_reconfigure(st, &c);
}

/* The layout budget: 56 bytes per entry (52 until the per-entry
 * tcp_invalid_ratelimit stamp), no pointers, no timer inside. */
TEST(timewait_entry_is_56_bytes)
{
	CHECK_EQ(sizeof(struct sn_tw), 56);
	CHECK_EQ(_Alignof(struct sn_tw), 4);
}

/* 100000 entries: the buckets double as the table fills (load factor at
 * most 1), every entry is found with its own numbers, none is found twice,
 * and all of them expire exactly at 2*MSL, not a microsecond earlier. */
TEST(timewait_table_grows_finds_and_expires_100k)
{
	synack_stack *st = mk(30 * SEC, 200000);
	CHECK(st != NULL);
	for (uint32_t i = 0; i < 100000; i++)
		CHECK(put(st, i) != NULL);
	CHECK_EQ(st->tw.count, 100000);
	CHECK(st->tw.mask + 1 >= st->tw.count);
	for (uint32_t i = 0; i < 100000; i += 7) {
		struct sn_tw *tw = sn_tw_lookup(st, US_ADDR, 80, 0x0b000000u + (i >> 14),
						(uint16_t)(1024 + (i & 0x3fff)));
		CHECK(tw != NULL);
		CHECK_EQ(tw->snd_nxt, 100 + i);
		CHECK_EQ(tw->rcv_nxt, 200 + i);
	}
	CHECK(!sn_tw_lookup(st, US_ADDR, 81, 0x0b000000u, 1024));
	synack_stack_poll(st, 60 * SEC - 1);
	CHECK_EQ(st->tw.count, 100000);
	synack_stack_poll(st, 60 * SEC);
	CHECK_EQ(st->tw.count, 0);
	struct synack_counters c;
	synack_stack_counters(st, &c);
	CHECK_EQ(c.tw_expired, 100000);
	CHECK_EQ(synack_stack_next_deadline(st), UINT64_MAX);
	/* freed entries are reused: no new slab chunk */
	uint32_t chunks = st->tw.nchunks;
	for (uint32_t i = 0; i < 100000; i++)
		CHECK(put(st, i) != NULL);
	CHECK_EQ(st->tw.nchunks, chunks);
	synack_stack_destroy(st);
}

/* A runtime MSL change keeps each entry's own expiry, and entries created
 * after the MSL was lowered expire before older ones: each of six entries
 * (the MSL lowered five times, more than there are expiry FIFOs) goes
 * exactly at its own time. */
TEST(timewait_msl_lowered_at_runtime_each_entry_expires_exactly)
{
	static const uint32_t msl[6] = {10 * SEC, 1 * SEC, SEC / 2, SEC / 4, SEC / 10, SEC / 25};
	uint64_t at[6], t = 0;
	synack_stack *st = mk(msl[0], 100);

	CHECK(st != NULL);
	for (int i = 0; i < 6; i++) {
		t += 100000; /* 100 ms apart */
		synack_stack_poll(st, t);
		set_msl(st, msl[i]);
		CHECK(put(st, (uint32_t)i) != NULL);
		at[i] = t + 2ull * msl[i];
	}
	for (int n = 0; n < 6; n++) {
		/* the next to go is the one with the earliest expiry */
		int next = -1;
		for (int i = 0; i < 6; i++)
			if (has(st, (uint32_t)i) && (next < 0 || at[i] < at[next]))
				next = i;
		CHECK(next >= 0);
		CHECK(synack_stack_next_deadline(st) <= at[next]);
		synack_stack_poll(st, at[next] - 1);
		CHECK(has(st, (uint32_t)next));
		synack_stack_poll(st, at[next]);
		CHECK(!has(st, (uint32_t)next));
		CHECK_EQ(st->tw.count, (uint32_t)(5 - n));
	}
	synack_stack_destroy(st);
}

/* tcp_max_tw_buckets changes at runtime: raising it admits more entries,
 * lowering it below the count purges nothing and only refuses new ones. */
TEST(tcp_max_tw_buckets_runtime_change_no_purge)
{
	synack_stack *st = mk(30 * SEC, 2);
	CHECK(st != NULL);
	CHECK(put(st, 1) != NULL);
	CHECK(put(st, 2) != NULL);
	CHECK(put(st, 3) == NULL);
	struct synack_config c = *synack_stack_config(st);
	c.max_timewait = 3;
	CHECK_EQ(synack_stack_reconfigure(st, &c), 0);
	CHECK(put(st, 3) != NULL);
	c.max_timewait = 1;
	CHECK_EQ(synack_stack_reconfigure(st, &c), 0);
	CHECK_EQ(st->tw.count, 3);
	CHECK(has(st, 1) && has(st, 2) && has(st, 3));
	CHECK(put(st, 4) == NULL);
	synack_stack_destroy(st);
}

struct walk {
	uint64_t last;
	uint32_t n;
	int sorted;
};

static int walk_cb(void *ctx, const struct synack_conn_info *ci)
{
	struct walk *w = ctx;
	if (ci->state != SYNACK_TIME_WAIT || ci->timer != SYNACK_TIMER_TIMEWAIT)
		w->sorted = 0;
	if (ci->timer_expires < w->last)
		w->sorted = 0;
	w->last = ci->timer_expires;
	w->n++;
	return 0;
}

/* The connection table walks TIME-WAIT entries in place, soonest expiry
 * first (one FIFO while the MSL is constant). */
TEST(timewait_foreach_walks_every_entry_in_expiry_order)
{
	synack_stack *st = mk(30 * SEC, 10000);
	struct walk w = {0, 0, 1};

	CHECK(st != NULL);
	for (uint32_t i = 0; i < 5000; i++) {
		synack_stack_poll(st, i * 1000ull);
		CHECK(put(st, i) != NULL);
	}
	synack_stack_foreach_conn(st, walk_cb, &w);
	CHECK_EQ(w.n, 5000);
	CHECK(w.sorted);
	CHECK_EQ(w.last, 4999 * 1000ull + 60 * SEC);
	synack_stack_destroy(st);
}

/* MUST-13 with a runtime MSL change: a retransmitted FIN restarts an old
 * entry with the new MSL, which moves it behind (or ahead of) entries made
 * since; each still goes at its exact time. */
TEST(timewait_restart_after_msl_change_expires_exactly)
{
	synack_stack *st = mk(10 * SEC, 100);
	CHECK(st != NULL);
	struct sn_tw *a = put(st, 1); /* expires at 20 s */
	CHECK(a != NULL);
	set_msl(st, 1 * SEC);
	synack_stack_poll(st, 1 * SEC);
	CHECK(put(st, 2) != NULL); /* expires at 3 s */
	synack_stack_poll(st, 2 * SEC);
	struct sn_tcp_seg fin = {.flags = SN_TCP_FIN | SN_TCP_ACK, .seq = a->rcv_nxt - 1,
				 .ack = a->snd_nxt, .sport = a->rport, .dport = a->lport};
	uint32_t iss_min = 0;
	CHECK_EQ(sn_tw_input(st, a, &fin, 0, &iss_min), 0); /* A now expires at 4 s */
	CHECK_EQ(st->ctr.tw_fin_reacked, 1);
	synack_stack_poll(st, 3 * SEC - 1);
	CHECK(has(st, 1) && has(st, 2));
	synack_stack_poll(st, 3 * SEC);
	CHECK(has(st, 1) && !has(st, 2));
	synack_stack_poll(st, 4 * SEC - 1);
	CHECK(has(st, 1));
	synack_stack_poll(st, 4 * SEC);
	CHECK(!has(st, 1));
	CHECK_EQ(synack_stack_next_deadline(st), UINT64_MAX);
	synack_stack_destroy(st);
}
