/*
 * synack_stack_walk_conn (src/stack/table.c): the connection table in
 * bounded steps from a cursor, what `synack ss --ctl` pages through a live
 * stack with. A stack with a listener, a live connection and 100,000
 * TIME-WAIT entries: walked in pages of a few thousand entries, every entry
 * comes exactly once, as from synack_stack_foreach_conn; an entry the
 * callback declines is the first of the next page; with entries expiring
 * and new ones arriving between pages, every entry that lives throughout
 * still comes exactly once.
 */
#include "check.h"
#include "tcp_close_fixture.h"
#include "stack/stack.h"
#include "tcp/timewait.h"

#define NTW 100000u
#define TW_BASE 0x0b000000u /* entry i: 11.x.y.z = TW_BASE + i, port 9000 */
#define MSL (30 * FX_SEC)

struct seen {
	uint8_t *tw;         /* [2 * NTW] times each TIME-WAIT entry came */
	uint64_t listeners, conns, rows;
	uint64_t decline_at; /* decline the row after this many in a page (0: never) */
	uint64_t page_rows;
};

static int count(void *ctx, const struct synack_conn_info *ci)
{
	struct seen *s = ctx;

	if (s->decline_at && s->page_rows == s->decline_at)
		return 1;
	s->page_rows++;
	s->rows++;
	if (ci->state == SYNACK_LISTEN)
		s->listeners++;
	else if (ci->state != SYNACK_TIME_WAIT)
		s->conns++;
	else if (ci->remote.addr - TW_BASE < 2 * NTW && s->tw[ci->remote.addr - TW_BASE] < 255)
		s->tw[ci->remote.addr - TW_BASE]++;
	return 0;
}

static void add_tw(struct fx *f, uint32_t i)
{
	struct synack_endpoint l = {FX_US, 5000}, r = {TW_BASE + i, 9000};
	sn_tw_insert(f->st, &l, &r, 1, 1, 65535, 0, NULL);
}

/* A stack with a listener, one ESTABLISHED connection and NTW entries. */
static int setup(struct fx *f, struct seen *s)
{
	struct synack_config c = fx_cfg_msl(MSL);

	c.max_timewait = 4 * NTW;
	*s = (struct seen){.tw = calloc(2 * NTW, 1)};
	if (!s->tw || fx_init(f, &c) || fx_passive_established(f, FX_P) < 0)
		return -1;
	for (uint32_t i = 0; i < NTW; i++)
		add_tw(f, i);
	return f->st->tw.count == NTW ? 0 : -1;
}

TEST(walk_conn_pages_visit_every_entry_once)
{
	struct fx f;
	struct seen s, all;
	uint64_t cursor = 0;
	int pages = 0;

	CHECK_EQ(setup(&f, &s), 0);
	while (synack_stack_walk_conn(f.st, &cursor, 7919, count, &s))
		pages++;
	CHECK_EQ(pages, (int)((NTW + 2) / 7919)); /* the last call ends the walk */
	CHECK_EQ(s.listeners, 1);
	CHECK_EQ(s.conns, 1);
	CHECK_EQ(s.rows, NTW + 2);
	for (uint32_t i = 0; i < NTW; i++)
		CHECK_EQ(s.tw[i], 1);
	/* done: another call with the final cursor visits nothing */
	CHECK_EQ(synack_stack_walk_conn(f.st, &cursor, 10, count, &s), 0);
	CHECK_EQ(s.rows, NTW + 2);
	/* the same rows as the one-shot walk */
	all = (struct seen){.tw = calloc(2 * NTW, 1)};
	CHECK(all.tw != NULL);
	synack_stack_foreach_conn(f.st, count, &all);
	CHECK_EQ(all.rows, s.rows);
	CHECK_EQ(memcmp(all.tw, s.tw, 2 * NTW), 0);
	free(all.tw);
	free(s.tw);
	fx_free(&f);
}

/* The callback stops a page (as a row bound does): the entry it declined
 * opens the next page, so nothing is lost and nothing repeats. */
TEST(walk_conn_declined_entry_opens_next_page)
{
	struct fx f;
	struct seen s;
	uint64_t cursor = 0, pages = 0;
	int more;

	CHECK_EQ(setup(&f, &s), 0);
	s.decline_at = 5000;
	do {
		s.page_rows = 0;
		more = synack_stack_walk_conn(f.st, &cursor, 0, count, &s);
		pages++;
		CHECK(s.page_rows <= 5000);
	} while (more && pages < 1000);
	CHECK_EQ(pages, (NTW + 2 + 4999) / 5000);
	CHECK_EQ(s.rows, NTW + 2);
	for (uint32_t i = 0; i < NTW; i++)
		CHECK_EQ(s.tw[i], 1);
	free(s.tw);
	fx_free(&f);
}

/* Between pages time passes and the table churns: entries expire (their
 * slots are reused by new ones) and new entries arrive. Every entry that
 * lives through the walk comes exactly once; none comes twice. */
TEST(walk_conn_churn_between_pages)
{
	struct fx f;
	struct seen s;
	uint64_t cursor = 0;
	uint32_t next = NTW;
	int pages = 0;

	CHECK_EQ(setup(&f, &s), 0);
	/* entries 0 .. NTW/2 expire at 60 s, mid-walk; the rest are renewed
	 * at 40 s (expiring at 100 s, after the walk) */
	fx_wait(&f, 40 * FX_SEC);
	for (uint32_t i = NTW / 2; i < NTW; i++) {
		struct sn_tw *tw = sn_tw_lookup(f.st, FX_US, 5000, TW_BASE + i, 9000);
		CHECK(tw != NULL);
		sn_tw_kill(f.st, tw, "test");
		add_tw(&f, i);
	}
	while (synack_stack_walk_conn(f.st, &cursor, 4096, count, &s) && pages < 10000) {
		pages++;
		fx_wait(&f, FX_SEC);
		for (int k = 0; k < 500 && next < 2 * NTW; k++)
			add_tw(&f, next++);
	}
	CHECK(pages > 20);
	CHECK(synack_stack_now(f.st) > 2 * MSL); /* the first half expired meanwhile */
	CHECK(synack_stack_now(f.st) < 40 * FX_SEC + 2 * MSL); /* the rest did not */
	for (uint32_t i = NTW / 2; i < NTW; i++)
		CHECK_EQ(s.tw[i], 1); /* lived throughout */
	for (uint32_t i = 0; i < 2 * NTW; i++)
		CHECK(s.tw[i] <= 1);
	free(s.tw);
	fx_free(&f);
}
