/*
 * synack_counters_foreach (what `synack stat` prints): every scalar counter
 * of struct synack_counters appears exactly once under its name, the state
 * gauges and non-zero transitions follow, then one line per drop reason.
 */
#include <string.h>

#include "check.h"
#include "synack/synack.h"

#define NSCALAR (offsetof(struct synack_counters, drops) / sizeof(uint64_t))

struct seen {
	int hits[NSCALAR];
	int n, drops, trans, est;
	uint64_t twov, curr;
};

static int seen_cb(void *ctx, const char *name, uint64_t v)
{
	struct seen *s = ctx;
	s->n++;
	if (v >= 1000 && v < 1000 + NSCALAR)
		s->hits[v - 1000]++;
	if (!strncmp(name, "SynackDrop_", 11))
		s->drops++;
	if (!strncmp(name, "SynackTrans", 11))
		s->trans++;
	if (!strcmp(name, "TcpExtTCPTimeWaitOverflow"))
		s->twov = v;
	if (!strcmp(name, "TcpCurrEstab"))
		s->curr = v;
	if (!strcmp(name, "SynackStateESTABLISHED") || !strcmp(name, "SynackStateTIMEWAIT"))
		s->est++;
	return 0;
}

/* A counter added to the struct without a name would be missing here. */
TEST(counters_foreach_names_every_counter_once)
{
	struct synack_counters c;
	struct seen s;
	uint64_t *f = (uint64_t *)&c;

	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < NSCALAR; i++)
		f[i] = 1000 + i;
	c.in_state[SYNACK_ESTABLISHED] = 2;
	c.in_state[SYNACK_CLOSE_WAIT] = 1;
	c.transitions[SYNACK_ESTABLISHED][SYNACK_FIN_WAIT_1] = 5;
	c.transitions[SYNACK_TIME_WAIT][SYNACK_CLOSED] = 6;
	synack_counters_foreach(&c, seen_cb, &s);
	for (size_t i = 0; i < NSCALAR; i++)
		CHECK_EQ(s.hits[i], 1);
	CHECK_EQ(s.twov, 1000 + offsetof(struct synack_counters, tw_killed) / sizeof(uint64_t));
	CHECK_EQ(s.curr, 3);
	CHECK_EQ(s.est, 2);
	CHECK_EQ(s.trans, 2);
	CHECK_EQ(s.drops, SYNACK_DROP_MAX - 1);
}

static int stop_cb(void *ctx, const char *name, uint64_t v)
{
	(void)name, (void)v;
	return ++*(int *)ctx == 3;
}

TEST(counters_foreach_stops_when_asked)
{
	struct synack_counters c;
	int n = 0;

	memset(&c, 0, sizeof(c));
	synack_counters_foreach(&c, stop_cb, &n);
	CHECK_EQ(n, 3);
}
