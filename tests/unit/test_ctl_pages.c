/*
 * The control socket of `synack serve` (tools/ctl.c) paging through a big
 * table: a live stack in an event loop (a link that carries nothing) with
 * 120,000 TIME-WAIT entries, 2.4 times CTL_ROWS_MAX, serves a real unix
 * socket in a temporary directory; `synack ss --ctl`'s client (ctl_ss) runs
 * in a second thread (it touches only its socket, never the stack). It must
 * list every entry exactly once with one header and a summary that adds the
 * pages up, with a state or port filter too; a client of before the cursor
 * (a request without one) still gets one answer bounded at CTL_ROWS_MAX.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "check.h"
#include "ctl.h"
#include "stack/stack.h"
#include "synack/link.h"
#include "tcp/timewait.h"

#define NTW 120000u
#define TW_BASE 0x0b000000u

static ssize_t null_recv(struct synack_link *l, uint64_t now, uint8_t *buf, size_t cap)
{
	(void)l, (void)now, (void)buf, (void)cap;
	return 0;
}
static int null_send(struct synack_link *l, uint64_t now, const uint8_t *pkt, size_t len)
{
	(void)l, (void)now, (void)pkt, (void)len;
	return 0;
}
static int null_fd(const struct synack_link *l)
{
	(void)l;
	return -1;
}
static uint64_t null_deadline(const struct synack_link *l)
{
	(void)l;
	return UINT64_MAX;
}
static void null_poll(struct synack_link *l, uint64_t now)
{
	(void)l, (void)now;
}
static void null_destroy(struct synack_link *l)
{
	(void)l;
}
static const struct synack_link_ops null_ops = {"null", null_recv, null_send, null_fd,
						null_deadline, null_poll, null_destroy};

struct env {
	synack_stack *st;
	struct synack_link link;
	synack_loop *loop;
	struct ctl_server *srv;
	char dir[64], path[96];
};

/* The socket file and directory of the last env_open, removed at exit too:
 * a failed CHECK returns from its test before env_close. */
static char cleanup_dir[64], cleanup_path[96];

static void cleanup_files(void)
{
	if (cleanup_path[0])
		unlink(cleanup_path);
	if (cleanup_dir[0])
		rmdir(cleanup_dir);
}

static int env_open(struct env *e)
{
	struct synack_config c;

	synack_config_default(&c);
	c.addr = 0x0a000001u;
	c.msl_us = 3600u * 1000000u; /* nothing expires during the test */
	c.max_timewait = 2 * NTW;
	*e = (struct env){.link = {.ops = &null_ops}};
	snprintf(e->dir, sizeof(e->dir), "/tmp/synack-ctl-XXXXXX");
	if (!mkdtemp(e->dir) || synack_stack_create(&c, &e->st) ||
	    synack_loop_create(e->st, &e->link, &e->loop))
		return -1;
	snprintf(e->path, sizeof(e->path), "%s/ctl.sock", e->dir);
	if (!cleanup_dir[0])
		atexit(cleanup_files);
	memcpy(cleanup_dir, e->dir, sizeof(cleanup_dir));
	memcpy(cleanup_path, e->path, sizeof(cleanup_path));
	for (uint32_t i = 0; i < NTW; i++) {
		struct synack_endpoint l = {c.addr, (uint16_t)(5000 + i % 2)}, r = {TW_BASE + i, 9000};
		if (!sn_tw_insert(e->st, &l, &r, 1, 1, 65535, 0, NULL))
			return -1;
	}
	return ctl_server_open(&e->srv, e->path, e->loop, "test");
}

static void env_close(struct env *e)
{
	ctl_server_close(e->srv);
	synack_loop_destroy(e->loop);
	synack_stack_destroy(e->st);
	rmdir(e->dir);
}

struct client {
	const char *path;
	struct conntable_opts o;
	const char *raw;    /* a raw request line (ctl_request) instead of ctl_ss */
	char *text;
	size_t len;
	int rc;
	atomic_int done;
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	FILE *f = open_memstream(&c->text, &c->len);

	c->rc = !f ? -1 : c->raw ? ctl_request(c->path, c->raw, f, "test")
				 : ctl_ss(c->path, &c->o, f, "test");
	if (f)
		fclose(f);
	atomic_store(&c->done, 1);
	return NULL;
}

/* Run the client while the loop serves it (at most 60 s). */
static int run_client(struct env *e, struct client *c)
{
	pthread_t t;
	uint64_t t0 = synack_loop_now();

	c->path = e->path;
	if (pthread_create(&t, NULL, client_main, c))
		return -1;
	while (!atomic_load(&c->done) && synack_loop_now() - t0 < 60ull * 1000000u) {
		synack_loop_run_once(e->loop, 20);
		ctl_server_tick(e->srv, synack_loop_now());
	}
	pthread_join(t, NULL);
	return c->rc;
}

/* Count rows: TIME-WAIT rows per entry (seen[i]), header and other lines. */
struct tally {
	uint8_t *seen;
	uint64_t tw_rows, headers, total, tw_total, dup;
};

static void tally(const char *text, struct tally *t)
{
	*t = (struct tally){.seen = calloc(NTW, 1)};
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		char line[256];
		unsigned a, b, cc, d, port;
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		/* sscanf on a copy: on the whole text it would strlen() it each time */
		snprintf(line, sizeof(line), "%.*s", (int)(n < 255 ? n : 255), p);
		if (!strncmp(line, "TIME-WAIT ", 10) &&
		    sscanf(line + 10, "%*u %*u %*s %u.%u.%u.%u:%u", &a, &b, &cc, &d, &port) == 5) {
			uint32_t i = (a << 24 | b << 16 | cc << 8 | d) - TW_BASE;
			if (i < NTW && t->seen[i]++)
				t->dup++;
			t->tw_rows++;
		} else if (!strncmp(p, "State ", 6)) {
			t->headers++;
		} else if (!strncmp(p, "Total: ", 7)) {
			t->total = strtoull(p + 7, NULL, 10);
		} else if (!strncmp(p, "  TIME-WAIT ", 12)) {
			t->tw_total = strtoull(p + 12, NULL, 10);
		}
		p = nl ? nl + 1 : NULL;
	}
}

TEST(ctl_ss_pages_through_more_than_rows_max)
{
	struct env e;
	struct client c = {0};
	struct tally t;

	CHECK(NTW > 2 * CTL_ROWS_MAX);
	CHECK_EQ(env_open(&e), 0);
	conntable_opts_default(&c.o);
	CHECK_EQ(run_client(&e, &c), 0);
	tally(c.text, &t);
	CHECK_EQ(t.headers, 1);
	CHECK_EQ(t.tw_rows, NTW);
	CHECK_EQ(t.dup, 0);
	CHECK_EQ(t.total, NTW);
	CHECK_EQ(t.tw_total, NTW);
	CHECK(strstr(c.text, "#next") == NULL && strstr(c.text, "#end") == NULL);
	CHECK(strstr(c.text, "stopped after") == NULL);
	free(t.seen);
	free(c.text);
	env_close(&e);
}

/* A port filter (half the entries) and summary-only: the pages add up. */
TEST(ctl_ss_pages_with_filters_add_up)
{
	struct env e;
	struct client c = {0}, s = {0};
	struct tally t;

	CHECK_EQ(env_open(&e), 0);
	conntable_opts_default(&c.o);
	c.o.sport = 5001;
	c.o.header = 0;
	CHECK_EQ(run_client(&e, &c), 0);
	tally(c.text, &t);
	CHECK_EQ(t.headers, 0);
	CHECK_EQ(t.tw_rows, NTW / 2);
	CHECK_EQ(t.dup, 0);
	CHECK_EQ(t.total, NTW / 2);
	free(t.seen);
	conntable_opts_default(&s.o);
	s.o.rows = 0;
	s.o.state_mask = conntable_state_mask("time-wait");
	CHECK_EQ(run_client(&e, &s), 0);
	tally(s.text, &t);
	CHECK_EQ(t.tw_rows, 0);
	CHECK_EQ(t.total, NTW);
	CHECK_EQ(t.tw_total, NTW);
	free(t.seen);
	free(c.text);
	free(s.text);
	env_close(&e);
}

/* A request without a cursor (a client of before it): one answer, bounded
 * at CTL_ROWS_MAX rows, saying so, with the summary from the gauges. */
TEST(ctl_ss_request_without_cursor_stays_bounded)
{
	struct env e;
	struct client c = {.raw = "ss 0 0 -1 -1 1 1 1"};
	struct tally t;

	CHECK_EQ(env_open(&e), 0);
	CHECK_EQ(run_client(&e, &c), 0);
	tally(c.text, &t);
	CHECK_EQ(t.tw_rows, CTL_ROWS_MAX);
	CHECK(strstr(c.text, "(stopped after 50000 rows") != NULL);
	free(t.seen);
	free(c.text);
	env_close(&e);
}
