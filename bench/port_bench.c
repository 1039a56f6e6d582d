/*
 * port_bench.c: the cost of connect()'s ephemeral port choice
 * (sn_port_connect in src/stack/demux.c) next to a large TIME-WAIT table.
 *
 * For each size N (default 1e3, 1e5, 1e6) one stack holds N TIME-WAIT
 * entries left by connections whose ports connect() picked (spread over
 * ip_local_port_range, towards many servers, as a busy client leaves them),
 * plus one destination D with every port of the range in TIME-WAIT. Then:
 *   - connect_ok: connect() of an unbound socket to a new destination; every
 *     port is held, but only by shared holders whose 4-tuples differ, so the
 *     first port tried works (two 4-tuple hash lookups), then abort;
 *   - connect_exhausted: connect() to D with tcp_tw_reuse = 0, which tries
 *     every port of the range (two lookups each) before -EADDRNOTAVAIL, as
 *     Linux's __inet_hash_connect does; per attempt and per port.
 * Neither walks the TIME-WAIT table: the figures stay flat in N but for
 * cache misses once the table outgrows the caches. Wall-clock, best of
 * three rounds; "result NAME VALUE UNIT" lines too. Figures, never
 * pass/fail; --quick is the smoke test (1e3 only).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "stack/stack.h"
#include "tcp/timewait.h"

#define US_ADDR 0x0a000001u
#define D_ADDR 0x0c000001u

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void discard(void *ctx, const uint8_t *pkt, size_t len)
{
	(void)ctx, (void)pkt, (void)len;
}

static int fill(synack_stack *st, const struct synack_config *c, uint64_t n)
{
	uint32_t range = (uint32_t)c->port_hi - c->port_lo + 1;
	struct synack_endpoint d = {D_ADDR, 443};

	for (uint64_t i = 0; i < n; i++) {
		struct synack_endpoint l = {US_ADDR, (uint16_t)(c->port_lo + i % range)};
		struct synack_endpoint r = {0x0b000000u + (uint32_t)(i / range), 80};
		if (!sn_tw_insert(st, &l, &r, 1, 1, 65535, SN_PORT_SHARED, NULL))
			return -1;
	}
	for (uint32_t p = 0; p < range; p++) {
		struct synack_endpoint l = {US_ADDR, (uint16_t)(c->port_lo + p)};
		if (!sn_tw_insert(st, &l, &d, 1, 1, 65535, SN_PORT_SHARED, NULL))
			return -1;
	}
	return 0;
}

/* ns per successful connect() to a fresh destination. */
static double time_ok(synack_stack *st, int ops, uint32_t base)
{
	uint64_t t0 = now_ns();

	for (int k = 0; k < ops; k++) {
		struct synack_endpoint r = {base + (uint32_t)k, 80};
		int s = synack_sock_open(st);
		if (synack_sock_connect(st, s, &r) != -EINPROGRESS)
			return -1;
		synack_sock_abort(st, s);
	}
	return (double)(now_ns() - t0) / ops;
}

/* ns per connect() to D that finds the range exhausted. */
static double time_exhausted(synack_stack *st, int ops)
{
	struct synack_endpoint d = {D_ADDR, 443};
	uint64_t t0 = now_ns();

	for (int k = 0; k < ops; k++) {
		int s = synack_sock_open(st);
		if (synack_sock_connect(st, s, &d) != -EADDRNOTAVAIL)
			return -1;
		synack_sock_close(st, s);
	}
	return (double)(now_ns() - t0) / ops;
}

static int run_size(uint64_t n, int ok_ops, int fail_ops)
{
	struct synack_config c;
	synack_stack *st;

	synack_config_default(&c);
	c.addr = US_ADDR;
	c.seed = 7;
	c.max_timewait = (uint32_t)n + 70000;
	if (synack_stack_create(&c, &st))
		return -1;
	synack_stack_set_output(st, discard, NULL);
	uint32_t range = (uint32_t)c.port_hi - c.port_lo + 1;
	double ok = 1e18, fail = 1e18;
	int err = fill(st, &c, n);
	for (int round = 0; round < 3 && !err; round++) {
		double a = time_ok(st, ok_ops, 0x0d000000u + (uint32_t)round * (uint32_t)ok_ops);
		double b = time_exhausted(st, fail_ops);
		err = a < 0 || b < 0;
		ok = a < ok ? a : ok;
		fail = b < fail ? b : fail;
	}
	if (!err) {
		uint64_t total = n + range;
		printf("%10llu  %12.0f  %16.1f  %10.1f\n", (unsigned long long)total, ok, fail / 1000,
		       fail / range);
		printf("result port_connect_ok_ns.%llu %.0f ns\n", (unsigned long long)total, ok);
		printf("result port_connect_exhausted_us.%llu %.1f us\n", (unsigned long long)total,
		       fail / 1000);
	}
	synack_stack_destroy(st);
	return err ? -1 : 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: port_bench [--quick]\n"
		     "connect()'s port choice beside N TIME-WAIT entries (N = 1e3, 1e5, 1e6):\n"
		     "ns per connect() to a new destination, and us for one to a destination\n"
		     "whose every port is in TIME-WAIT. Prints figures, never pass/fail.\n\n"
		     "  --quick   1e3 entries only (smoke test)\n"
		     "  --help    this text\n");
}

int main(int argc, char **argv)
{
	static const uint64_t full[] = {1000, 100000, 1000000};
	int quick = 0;
	const struct bench_optspec spec[] = {
		{"--quick", BENCH_OPT_FLAG, &quick, NULL, NULL},
		{NULL, BENCH_OPT_FLAG, NULL, NULL, NULL},
	};

	bench_parse_opts(argc, argv, "port_bench", spec, usage);
	printf("connect()'s port choice next to N TIME-WAIT entries (ip_local_port_range "
	       "32768-60999)\n");
	printf("%10s  %12s  %16s  %10s\n", "entries", "connect ns", "exhausted us", "ns/port");
	for (size_t i = 0; i < (quick ? 1 : sizeof(full) / sizeof(full[0])); i++)
		if (run_size(full[i], quick ? 200 : 20000, quick ? 3 : 20)) {
			fprintf(stderr, "port_bench: a connect() did not do what it should\n");
			return 1;
		}
	return 0;
}
