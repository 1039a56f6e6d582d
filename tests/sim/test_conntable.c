/*
 * The connection table printer behind `synack ss` (tools/conntable.c) and
 * its simulated workload (tools/simload.c), compiled into this test: ss's
 * timer spelling, state filters, port filters, the per-state summary and
 * the ipvsadm layout, on the server of a small simulated run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../tools/conntable.c"
#include "../../tools/simload.c"

static int count(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The table as text (malloc'd, NUL-terminated). */
static char *print(synack_stack *st, const struct conntable_opts *o, uint64_t *rows)
{
	FILE *f = tmpfile();
	if (!f)
		return NULL;
	*rows = conntable_print(f, st, o);
	long len = ftell(f);
	char *text = calloc(1, (size_t)len + 1);
	rewind(f);
	if (text && fread(text, 1, (size_t)len, f) != (size_t)len)
		text[0] = 0;
	fclose(f);
	return text;
}

/* iproute2's print_ms_timer, to the letter. */
TEST(conntable_ms_timer_spelled_like_ss)
{
	char b[32];
	CHECK(strcmp(conntable_ms_timer(42000, b, sizeof(b)), "42sec") == 0);
	CHECK(strcmp(conntable_ms_timer(72000, b, sizeof(b)), "1min12sec") == 0);
	CHECK(strcmp(conntable_ms_timer(660500, b, sizeof(b)), "11min") == 0);
	CHECK(strcmp(conntable_ms_timer(1500, b, sizeof(b)), "1.500ms") == 0);
	CHECK(strcmp(conntable_ms_timer(15300, b, sizeof(b)), "15sec") == 0);
	CHECK(strcmp(conntable_ms_timer(200, b, sizeof(b)), "200ms") == 0);
	CHECK(strcmp(conntable_ms_timer(0, b, sizeof(b)), "") == 0);
}

TEST(conntable_state_names_like_ss)
{
	CHECK_EQ(conntable_state_mask("time-wait"), 1u << SYNACK_TIME_WAIT);
	CHECK_EQ(conntable_state_mask("listening"), 1u << SYNACK_LISTEN);
	CHECK(conntable_state_mask("connected") & (1u << SYNACK_TIME_WAIT));
	CHECK(!(conntable_state_mask("connected") & (1u << SYNACK_LISTEN)));
	CHECK_EQ(conntable_state_mask("bogus"), 0);
}

/* 7 connections closed by the server and 2 left open, 18 s later: every
 * row, the filters, the summary, both layouts. */
TEST(conntable_rows_filters_summary_and_ipvs)
{
	struct simload_opts so;
	struct simload sl = {0};
	struct conntable_opts o;
	uint64_t rows;

	simload_opts_default(&so);
	so.conns = 7;
	so.live = 2;
	CHECK_EQ(simload_run(&so, &sl), 0);

	conntable_opts_default(&o);
	char *all = print(sl.server, &o, &rows);
	CHECK(all != NULL);
	if (!all)
		return;
	CHECK_EQ(rows, 10);
	CHECK_EQ(count(all, "\nTIME-WAIT  "), 7);
	CHECK_EQ(count(all, "timer:(timewait,41sec,0)"), 7);
	CHECK_EQ(count(all, "\nESTAB      "), 2);
	CHECK_EQ(count(all, "timer:(keepalive,119min,0)"), 2);
	CHECK(strstr(all, "\nLISTEN     0      500    0.0.0.0:80 ") != NULL);
	CHECK(strstr(all, "Total: 10\n  LISTEN      1\n  ESTAB       2\n  TIME-WAIT   7\n") != NULL);
	free(all);

	o.state_mask = conntable_state_mask("time-wait");
	o.header = 0;
	char *tw = print(sl.server, &o, &rows);
	CHECK(tw != NULL);
	if (!tw)
		return;
	CHECK_EQ(rows, 7);
	CHECK_EQ(count(tw, "ESTAB"), 0);
	CHECK(strncmp(tw, "TIME-WAIT", 9) == 0);
	free(tw);

	conntable_opts_default(&o);
	o.sport = 81;
	char *none = print(sl.server, &o, &rows);
	CHECK(none != NULL);
	if (!none)
		return;
	CHECK_EQ(rows, 0);
	CHECK(strstr(none, "Total: 0\n") != NULL);
	free(none);

	conntable_opts_default(&o);
	o.layout = CONNTABLE_IPVS;
	o.rows = 1;
	o.summary = 0;
	char *ipvs = print(sl.server, &o, &rows);
	CHECK(ipvs != NULL);
	if (!ipvs)
		return;
	CHECK_EQ(rows, 10);
	CHECK(strncmp(ipvs, "IPVS connection entries\npro expire state", 40) == 0);
	CHECK_EQ(count(ipvs, "TCP 00:41  TIME_WAIT   10.0.1.1:"), 7);
	free(ipvs);
	simload_free(&sl);
}

/* The bounds a reader of a live stack sets (tools/ctl.c): max_rows stops
 * the rows, max_visits the walk; either way a line says so and the summary
 * comes from the stack's per-state gauges, which stay exact (a state filter
 * applies to them; a port filter cannot, so only walked entries count). */
TEST(conntable_bounded_walk_summary_from_gauges)
{
	struct simload_opts so;
	struct simload sl = {0};
	struct conntable_opts o;
	uint64_t rows;

	simload_opts_default(&so);
	so.conns = 7;
	so.live = 2;
	CHECK_EQ(simload_run(&so, &sl), 0);

	conntable_opts_default(&o);
	o.max_rows = 4;
	char *t = print(sl.server, &o, &rows);
	CHECK(t != NULL);
	if (!t)
		return;
	CHECK_EQ(rows, 4);
	CHECK(strstr(t, "(stopped after 4 rows, 4 entries walked: the bound of this reader)\n") != NULL);
	CHECK(strstr(t, "Total: 10\n  LISTEN      1\n  ESTAB       2\n  TIME-WAIT   7\n") != NULL);
	free(t);

	conntable_opts_default(&o);
	o.max_visits = 3;
	o.state_mask = conntable_state_mask("time-wait");
	t = print(sl.server, &o, &rows);
	CHECK(t != NULL);
	if (!t)
		return;
	CHECK(rows <= 3);
	CHECK(strstr(t, "entries walked: the bound of this reader)\n") != NULL);
	CHECK(strstr(t, "Total: 7\n  TIME-WAIT   7\n") != NULL);
	free(t);

	conntable_opts_default(&o);
	o.max_rows = 1;
	o.sport = 80;
	t = print(sl.server, &o, &rows);
	CHECK(t != NULL);
	if (!t)
		return;
	CHECK_EQ(rows, 1);
	CHECK(strstr(t, "(totals: of the entries walked only)\nTotal: 1\n") != NULL);
	free(t);

	/* unbounded (the default): no such line */
	conntable_opts_default(&o);
	t = print(sl.server, &o, &rows);
	CHECK(t != NULL && strstr(t, "stopped after") == NULL);
	free(t);
	simload_free(&sl);
}
