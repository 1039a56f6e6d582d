/*
 * lifecycle.c: connections per second, client and server stacks in one
 * process on one core (docs/performance.md).
 *
 * Each connection: connect, a 64-byte request, a 64-byte reply, close (by
 * the client by default; --close server or --close rst for the variants).
 * The two stacks are joined by the zero-delay wire of bench/common/wire.c and
 * driven through the public socket API only. `--concurrency` connections are
 * in flight at once; each turn of the event loop reads the clock once, polls
 * both stacks, opens new connections, moves every connection one step on,
 * and runs the wire until it is quiet. TIME-WAIT entries are created and
 * expire during the run on the stacks' ordinary timers; `--msl-ms` sets the
 * MSL (2*MSL of TIME-WAIT): with one client address the client's TIME-WAIT
 * entries hold its ephemeral ports (1024-65535 here), so their number,
 * rate x 2*MSL, must stay below 64512 (the Linux kernel meets the same limit
 * with tcp_tw_reuse, on by default for loopback).
 *
 * Prints connections per second (wall clock), CPU microseconds per
 * connection (getrusage), peak RSS, the largest TIME-WAIT table seen, and
 * with --callgrind the instructions per connection inside synack (both
 * stacks, every synack_* call, excluding the wire's copy) from a shorter run
 * under callgrind.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

enum close_mode { CLOSE_CLIENT, CLOSE_SERVER, CLOSE_RST };
static const char *const close_names[] = {"client", "server", "rst"};

enum conn_step { C_FREE, C_CONNECTING, C_WAIT_REPLY, C_WAIT_EOF, S_WAIT_REQ, S_WAIT_EOF };

struct opts {
	uint64_t conns, warmup, cg_conns;
	uint32_t concurrency, buf, msl_ms;
	enum close_mode close;
	int callgrind, cg_child, quick;
};

struct side {
	synack_stack *st;
	uint8_t *step;  /* [max_sockets]: enum conn_step per descriptor */
	int *active;    /* descriptors with a connection in progress */
	uint32_t nactive;
};

struct run {
	struct opts o;
	struct side cli, srv;
	struct bench_wire wire;
	int listener;
	struct synack_endpoint server_ep;
	uint64_t started, done, failed, tw_peak;
	uint8_t req[64], reply[64];
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: lifecycle [options]\n"
		"Connections per second between two synack stacks in one process on one core:\n"
		"connect, 64-byte request, 64-byte reply, close. Prints figures, never pass/fail.\n\n"
		"  --conns N          connections to time (default 1M; k/M suffixes)\n"
		"  --warmup N         connections before timing starts (default 20k)\n"
		"  --concurrency N    connections in flight at once (default 64)\n"
		"  --close MODE       client (default): the client closes first (TIME-WAIT on\n"
		"                     the client); server: the server closes first; rst: the\n"
		"                     client closes with SO_LINGER 0 (RST, no TIME-WAIT)\n"
		"  --buf BYTES        send and receive buffer per connection (default 4096)\n"
		"  --msl-ms MS        MSL of both stacks; TIME-WAIT lasts 2*MSL (default 10)\n"
		"  --callgrind        also count instructions per connection under callgrind\n"
		"                     (valgrind), in a run of --cg-conns connections\n"
		"  --cg-conns N       connections for the callgrind run (default 20k)\n"
		"  --quick            a tiny run (smoke test)\n"
		"  --help             this text\n");
}

static void quick(void *dst)
{
	struct opts *o = dst;

	o->quick = 1;
	o->conns = 2000;
	o->warmup = 200;
}

static int close_mode(const char *v, void *dst)
{
	for (int k = 0; k < 3; k++)
		if (!strcmp(v, close_names[k])) {
			*(enum close_mode *)dst = (enum close_mode)k;
			return 0;
		}
	return -1;
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.conns = 1000000, .warmup = 20000, .cg_conns = 20000,
			   .concurrency = 64, .buf = 4096, .msl_ms = 10};
	const struct bench_optspec spec[] = {
		{"--quick", BENCH_OPT_CALL, o, quick, NULL},
		{"--callgrind", BENCH_OPT_FLAG, &o->callgrind, NULL, NULL},
		{"--cg-child", BENCH_OPT_FLAG, &o->cg_child, NULL, NULL},
		{"--conns", BENCH_OPT_COUNT, &o->conns, NULL, NULL},
		{"--warmup", BENCH_OPT_COUNT, &o->warmup, NULL, NULL},
		{"--cg-conns", BENCH_OPT_COUNT, &o->cg_conns, NULL, NULL},
		{"--concurrency", BENCH_OPT_U32, &o->concurrency, NULL, NULL},
		{"--buf", BENCH_OPT_U32, &o->buf, NULL, NULL},
		{"--msl-ms", BENCH_OPT_U32, &o->msl_ms, NULL, NULL},
		{"--close", BENCH_OPT_STR, &o->close, NULL, close_mode},
		{NULL, BENCH_OPT_FLAG, NULL, NULL, NULL},
	};
	bench_parse_opts(argc, argv, "lifecycle", spec, usage);
	if (o->concurrency < 1 || o->concurrency > 30000 || o->conns < 1 || o->msl_ms < 1) {
		fprintf(stderr, "lifecycle: --concurrency 1..30000, --conns and --msl-ms >= 1\n");
		exit(2);
	}
}

static void side_init(struct side *sd, const struct opts *o, uint32_t addr, uint64_t seed)
{
	struct synack_config cfg;

	synack_config_default(&cfg);
	cfg.addr = addr;
	cfg.seed = seed;
	cfg.port_lo = 1024;
	cfg.port_hi = 65535;
	cfg.max_sockets = 2 * o->concurrency + 16;
	cfg.max_conns = 2 * o->concurrency + 16;
	cfg.max_timewait = 65536;
	cfg.sndbuf = o->buf;
	cfg.rcvbuf = o->buf;
	cfg.msl_us = o->msl_ms * 1000u;
	sd->st = bench_stack(&cfg);
	sd->step = calloc(cfg.max_sockets, 1);
	sd->active = calloc(cfg.max_sockets, sizeof(int));
	if (!sd->step || !sd->active) {
		fprintf(stderr, "lifecycle: out of memory\n");
		exit(1);
	}
}

static void side_add(struct side *sd, int s, enum conn_step step)
{
	sd->step[s] = (uint8_t)step;
	sd->active[sd->nactive++] = s;
}

/* Close s and forget it; the caller's loop index must not advance. */
static void side_close(struct side *sd, uint32_t idx, int linger0)
{
	int s = sd->active[idx];

	if (linger0)
		BENCH_CG(synack_sock_setopt(sd->st, s, SYNACK_SO_LINGER, 0));
	BENCH_CG(synack_sock_close(sd->st, s));
	sd->step[s] = C_FREE;
	sd->active[idx] = sd->active[--sd->nactive];
}

static void open_conns(struct run *r, uint64_t limit)
{
	while (r->cli.nactive < r->o.concurrency && r->started < limit) {
		int s, rc;
		BENCH_CG(s = synack_sock_open(r->cli.st));
		if (s < 0)
			return;
		BENCH_CG(rc = synack_sock_connect(r->cli.st, s, &r->server_ep));
		if (rc != -EINPROGRESS) {
			/* -EADDRNOTAVAIL: every port is held by TIME-WAIT; wait */
			BENCH_CG(synack_sock_close(r->cli.st, s));
			return;
		}
		side_add(&r->cli, s, C_CONNECTING);
		r->started++;
	}
}

/* Returns 1 when the connection at idx is finished (and removed). */
static int client_step(struct run *r, uint32_t idx)
{
	struct side *c = &r->cli;
	int s = c->active[idx];
	uint8_t buf[128];
	ssize_t n;
	unsigned ev;

	switch (c->step[s]) {
	case C_CONNECTING:
		BENCH_CG(ev = synack_sock_events(c->st, s));
		if (ev & SYNACK_EV_ERR)
			break;
		if (!(ev & SYNACK_EV_OUT))
			return 0;
		BENCH_CG(n = synack_sock_send(c->st, s, r->req, sizeof(r->req)));
		if (n != (ssize_t)sizeof(r->req))
			break;
		c->step[s] = C_WAIT_REPLY;
		return 0;
	case C_WAIT_REPLY:
		BENCH_CG(n = synack_sock_recv(c->st, s, buf, sizeof(buf)));
		if (n == -EAGAIN)
			return 0;
		if (n != (ssize_t)sizeof(r->reply) || memcmp(buf, r->reply, sizeof(r->reply)))
			break;
		if (r->o.close == CLOSE_SERVER) {
			c->step[s] = C_WAIT_EOF;
			return 0;
		}
		side_close(c, idx, r->o.close == CLOSE_RST);
		r->done++;
		return 1;
	case C_WAIT_EOF:
		BENCH_CG(n = synack_sock_recv(c->st, s, buf, sizeof(buf)));
		if (n == -EAGAIN)
			return 0;
		if (n != 0)
			break;
		side_close(c, idx, 0);
		r->done++;
		return 1;
	default:
		break;
	}
	r->failed++;
	side_close(c, idx, 0);
	return 1;
}

static void server_accept(struct run *r)
{
	int s;

	for (;;) {
		BENCH_CG(s = synack_sock_accept(r->srv.st, r->listener, NULL));
		if (s < 0)
			return;
		side_add(&r->srv, s, S_WAIT_REQ);
	}
}

static int server_step(struct run *r, uint32_t idx)
{
	struct side *sv = &r->srv;
	int s = sv->active[idx];
	uint8_t buf[128];
	ssize_t n;

	BENCH_CG(n = synack_sock_recv(sv->st, s, buf, sizeof(buf)));
	if (n == -EAGAIN)
		return 0;
	if (sv->step[s] == S_WAIT_REQ && n == (ssize_t)sizeof(r->req) &&
	    !memcmp(buf, r->req, sizeof(r->req))) {
		BENCH_CG(n = synack_sock_send(sv->st, s, r->reply, sizeof(r->reply)));
		if (n != (ssize_t)sizeof(r->reply)) {
			r->failed++;
		} else if (r->o.close != CLOSE_SERVER) {
			sv->step[s] = S_WAIT_EOF;
			return 0;
		}
	} else if (sv->step[s] == S_WAIT_EOF && n == 0) {
		/* the client's FIN */
	} else if (!(sv->step[s] == S_WAIT_EOF && n == -ECONNRESET && r->o.close == CLOSE_RST)) {
		r->failed++;
	}
	side_close(sv, idx, 0);
	return 1;
}

static void note_timewait(struct run *r)
{
	struct synack_counters c;
	uint64_t tw = 0;

	synack_stack_counters(r->cli.st, &c);
	tw += c.in_state[SYNACK_TIME_WAIT];
	synack_stack_counters(r->srv.st, &c);
	tw += c.in_state[SYNACK_TIME_WAIT];
	if (tw > r->tw_peak)
		r->tw_peak = tw;
}

/* Run until `limit` connections have finished. */
static void run_until(struct run *r, uint64_t limit)
{
	uint64_t turns = 0;

	while (r->done + r->failed < limit) {
		uint64_t now = bench_now_us();
		BENCH_CG(synack_stack_poll(r->cli.st, now));
		BENCH_CG(synack_stack_poll(r->srv.st, now));
		open_conns(r, limit);
		bench_wire_run(&r->wire, now);
		server_accept(r);
		for (uint32_t i = 0; i < r->srv.nactive;)
			i += !server_step(r, i);
		bench_wire_run(&r->wire, now);
		for (uint32_t i = 0; i < r->cli.nactive;)
			i += !client_step(r, i);
		bench_wire_run(&r->wire, now);
		if ((++turns & 255) == 0)
			note_timewait(r);
	}
}

static void setup(struct run *r)
{
	side_init(&r->cli, &r->o, 0x0a000001, 1);
	side_init(&r->srv, &r->o, 0x0a000002, 2);
	if (bench_wire_init(&r->wire, r->cli.st, r->srv.st, 4u << 20)) {
		fprintf(stderr, "lifecycle: out of memory\n");
		exit(1);
	}
	r->server_ep = (struct synack_endpoint){0x0a000002, 80};
	r->listener = synack_sock_open(r->srv.st);
	struct synack_endpoint any = {0, 80};
	if (r->listener < 0 || synack_sock_bind(r->srv.st, r->listener, &any) ||
	    synack_sock_listen(r->srv.st, r->listener, (int)r->o.concurrency * 2)) {
		fprintf(stderr, "lifecycle: cannot listen\n");
		exit(1);
	}
	for (size_t i = 0; i < sizeof(r->req); i++) {
		r->req[i] = (uint8_t)('a' + i % 26);
		r->reply[i] = (uint8_t)('A' + i % 26);
	}
}

static void teardown(struct run *r)
{
	bench_wire_free(&r->wire);
	synack_stack_destroy(r->cli.st);
	synack_stack_destroy(r->srv.st);
	free(r->cli.step);
	free(r->cli.active);
	free(r->srv.step);
	free(r->srv.active);
}

static void report_counters(struct run *r)
{
	struct synack_counters c, s;

	synack_stack_counters(r->cli.st, &c);
	synack_stack_counters(r->srv.st, &s);
	printf("  segments: client out %llu, server out %llu (%.2f per connection);"
	       " TIME-WAIT entered %llu, expired %llu, killed %llu; wire drops %llu\n",
	       (unsigned long long)c.segs_out, (unsigned long long)s.segs_out,
	       (double)(c.segs_out + s.segs_out) / (double)(r->done ? r->done : 1),
	       (unsigned long long)(c.tw_entered + s.tw_entered),
	       (unsigned long long)(c.tw_expired + s.tw_expired),
	       (unsigned long long)(c.tw_killed + s.tw_killed),
	       (unsigned long long)(r->wire.a_to_b.drops + r->wire.b_to_a.drops));
}

/* Under callgrind: warm up, then count only the measured connections. */
static int cg_child(struct run *r)
{
	run_until(r, r->o.warmup);
	uint64_t base = r->done;
	bench_cg_enable(1);
	run_until(r, r->o.warmup + r->o.conns);
	bench_cg_enable(0);
	printf("cg-child conns %llu\n", (unsigned long long)(r->done - base));
	teardown(r);
	return 0;
}

static void count_instructions(char **argv, const struct opts *o, const char *tag)
{
	char conns[32];
	snprintf(conns, sizeof(conns), "%llu", (unsigned long long)o->cg_conns);
	const char *extra[] = {"--cg-child", "--conns", conns, "--warmup", "2000", NULL};
	struct bench_cg_result cg;

	if (bench_callgrind_run(argv, extra, BENCH_SELF, &cg)) {
		printf("  instructions: callgrind run failed\n");
		return;
	}
	double per = (cg.total - cg.excluded) / (double)o->cg_conns;
	printf("  instructions per connection (callgrind, %llu connections, both stacks): %.0f\n",
	       (unsigned long long)o->cg_conns, per);
	char name[96];
	snprintf(name, sizeof(name), "lifecycle.%s.instructions_per_conn", tag);
	bench_result(name, per, "instr");
}

int main(int argc, char **argv)
{
	static struct run r;

	parse(argc, argv, &r.o);
	setup(&r);
	if (r.o.cg_child)
		return cg_child(&r);

	const char *tag = close_names[r.o.close];
	run_until(&r, r.o.warmup);
	uint64_t done0 = r.done, cpu0 = bench_cpu_us(), t0 = bench_now_ns();
	run_until(&r, r.o.warmup + r.o.conns);
	uint64_t t1 = bench_now_ns(), cpu1 = bench_cpu_us();
	uint64_t n = r.done - done0;
	double secs = (double)(t1 - t0) / 1e9;
	double rate = (double)n / secs;
	double cpu_per = (double)(cpu1 - cpu0) / (double)n;

	printf("lifecycle (close by %s): %llu connections in %.3f s, concurrency %u,"
	       " buffers %u B, MSL %u ms\n",
	       tag, (unsigned long long)n, secs, r.o.concurrency, r.o.buf, r.o.msl_ms);
	printf("  %.0f connections/s, %.3f CPU us per connection, peak RSS %llu KiB,"
	       " TIME-WAIT peak %llu, failed %llu\n",
	       rate, cpu_per, (unsigned long long)bench_peak_rss_kib(),
	       (unsigned long long)r.tw_peak, (unsigned long long)r.failed);
	report_counters(&r);
	char name[96];
	snprintf(name, sizeof(name), "lifecycle.%s.conns_per_sec", tag);
	bench_result(name, rate, "conn/s");
	snprintf(name, sizeof(name), "lifecycle.%s.cpu_us_per_conn", tag);
	bench_result(name, cpu_per, "us");
	snprintf(name, sizeof(name), "lifecycle.%s.peak_rss", tag);
	bench_result(name, (double)bench_peak_rss_kib(), "KiB");
	snprintf(name, sizeof(name), "lifecycle.%s.timewait_peak", tag);
	bench_result(name, (double)r.tw_peak, "entries");
	teardown(&r);
	if (r.o.callgrind)
		count_instructions(argv, &r.o, tag);
	return r.failed ? 1 : 0;
}
