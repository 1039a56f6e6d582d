/*
 * tw_bench.c: the TIME-WAIT table at scale (src/tcp/timewait.c).
 *
 * For each table size N (default 1e3, 1e5, 1e6, 1e7) it fills one stack's
 * TIME-WAIT table with N entries spread over one 2*MSL (as a server closing
 * connections at a steady rate would), then measures at that size:
 *   - bytes per entry: the table's own accounting (slab chunks, buckets,
 *     chunk index; sn_tw_memory) and the growth of the resident set;
 *   - lookup: hits on random live entries, and misses;
 *   - walk: the connection table (synack_stack_foreach_conn) over all N
 *     entries, ns per entry and the growth of the resident set meanwhile
 *     (zero: rows are handed out in place, never copied);
 *   - steady state: time moves on so that the oldest entries expire (through
 *     synack_stack_poll, the real path: wheel, FIFO, counters, port release)
 *     and as many new connections enter TIME-WAIT, keeping the size at N.
 * Times are wall-clock nanoseconds per operation (CLOCK_MONOTONIC), best of
 * three rounds; the fill time includes the doubling of the buckets. Wall
 * time grows with the size once the table outgrows the CPU caches (each
 * lookup is a bucket and an entry, two cache misses at random); the work
 * per operation does not, which --instructions shows: it runs each size
 * again under callgrind and prints instructions per lookup, expiry and
 * insert (the inclusive cost of the phase_* functions divided by their
 * operation counts).
 * Figures, never pass/fail: it prints "result NAME VALUE UNIT" lines too.
 * 1e7 entries take about 0.6 GiB and a minute; run it outside CI
 * (`--quick` is the smoke test).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "stack/stack.h"
#include "tcp/timewait.h"

#define US_ADDR 0x0a000001u
#define MSL_US (30u * 1000000u)
#define SPAN_US (2ull * MSL_US)

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rss_bytes(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (uint64_t)res * 4096u;
}

/* Connection number i: a distinct 4-tuple towards port 80 of ours. */
static inline void key(uint64_t i, struct synack_endpoint *l, struct synack_endpoint *r)
{
	*l = (struct synack_endpoint){US_ADDR, 80};
	*r = (struct synack_endpoint){0x0b000000u + (uint32_t)(i >> 14), (uint16_t)(1024 + (i & 0x3fff))};
}

static inline int insert(synack_stack *st, uint64_t i)
{
	struct synack_endpoint l, r;
	key(i, &l, &r);
	return sn_tw_insert(st, &l, &r, (uint32_t)i, (uint32_t)i * 3u, 65535, 0, NULL) != NULL;
}

static inline int lookup(synack_stack *st, uint64_t i)
{
	struct synack_endpoint l, r;
	key(i, &l, &r);
	return sn_tw_lookup(st, l.addr, l.port, r.addr, r.port) != NULL;
}

struct figures {
	double bytes_table, bytes_rss, fill_ns, hit_ns, miss_ns, expire_ns, insert_ns;
	double walk_ns, walk_extra_bytes; /* synack_stack_foreach_conn over the table */
	uint64_t n_hit, n_miss, n_expired, n_inserted; /* operations done, all rounds */
};

static int count_row(void *ctx, const struct synack_conn_info *ci)
{
	*(uint64_t *)ctx += ci->timer_expires != 0;
	return 0;
}

/* The connection table walks the entries in place: time per entry and how
 * much the resident set grows meanwhile (nothing is copied). */
static void time_walk(synack_stack *st, uint64_t n, struct figures *fg)
{
	uint64_t rows = 0, rss0 = rss_bytes(), t0 = now_ns();

	synack_stack_foreach_conn(st, count_row, &rows);
	fg->walk_ns = (double)(now_ns() - t0) / (double)(rows ? rows : 1);
	fg->walk_extra_bytes = (double)(rss_bytes() - rss0);
	if (rows != n)
		fprintf(stderr, "tw_bench: walked %llu rows of %llu\n", (unsigned long long)rows,
			(unsigned long long)n);
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

/* The measured phases: functions of their own so that callgrind can count
 * their instructions (--instructions). */
unsigned phase_lookup(synack_stack *st, uint64_t lo, uint64_t n, uint64_t ops, int hit);
void phase_expire(synack_stack *st, uint64_t now);
void phase_insert(synack_stack *st, uint64_t first, uint64_t count);

/* Random hits (or misses: keys past everything inserted) among the live
 * entries [lo, lo + n). Returns how many were found. */
__attribute__((noinline)) unsigned phase_lookup(synack_stack *st, uint64_t lo, uint64_t n,
						uint64_t ops, int hit)
{
	uint64_t x = 88172645463325252ull;
	unsigned found = 0;

	for (uint64_t k = 0; k < ops; k++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint64_t i = hit ? lo + x % n : lo + n + 100000000ull + x % n;
		found += (unsigned)lookup(st, i);
	}
	return found;
}

__attribute__((noinline)) void phase_expire(synack_stack *st, uint64_t now)
{
	synack_stack_poll(st, now);
}

__attribute__((noinline)) void phase_insert(synack_stack *st, uint64_t first, uint64_t count)
{
	for (uint64_t k = 0; k < count; k++)
		insert(st, first + k);
}

static double time_lookups(synack_stack *st, uint64_t lo, uint64_t n, uint64_t ops, int hit,
			   unsigned *sink)
{
	uint64_t t0 = now_ns();

	*sink += phase_lookup(st, lo, n, ops, hit);
	return (double)(now_ns() - t0) / (double)ops;
}

static int run_size(uint64_t n, uint64_t ops, int rounds, struct figures *fg)
{
	struct synack_config cfg;
	synack_stack *st;
	unsigned sink = 0;

	synack_config_default(&cfg);
	cfg.addr = US_ADDR;
	cfg.msl_us = MSL_US;
	cfg.max_timewait = (uint32_t)n;
	if (synack_stack_create(&cfg, &st))
		return -ENOMEM;
	uint64_t rss0 = rss_bytes(), step = SPAN_US / n ? SPAN_US / n : 1, t = 1;
	synack_stack_poll(st, t); /* entry i enters TIME-WAIT at about 1 + i * step */
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		if ((i & 1023) == 0)
			synack_stack_poll(st, t + i * step);
		if (!insert(st, i)) {
			synack_stack_destroy(st);
			return -ENOMEM;
		}
	}
	fg->fill_ns = (double)(now_ns() - t0) / (double)n;
	fg->bytes_table = (double)sn_tw_memory(st) / (double)n;
	fg->bytes_rss = (double)(rss_bytes() - rss0) / (double)n;
	time_walk(st, n, fg);

	fg->hit_ns = fg->miss_ns = fg->expire_ns = fg->insert_ns = 1e30;
	uint64_t lo = 0, next = n, batch = n / 4 < 1000 ? n / 4 : 1000;
	uint64_t p = SPAN_US; /* the first entries expire at 1 + 2*MSL */
	fg->n_hit = fg->n_miss = fg->n_expired = fg->n_inserted = 0;
	for (int round = 0; round < rounds; round++) {
		fg->hit_ns = min_d(fg->hit_ns, time_lookups(st, lo, n, ops, 1, &sink));
		fg->miss_ns = min_d(fg->miss_ns, time_lookups(st, lo, n, ops, 0, &sink));
		fg->n_hit += ops;
		fg->n_miss += ops;
		/* steady state: each step of time expires about `batch` of the
		 * oldest entries, then as many new ones come in */
		uint64_t exp_ns = 0, ins_ns = 0, done = 0;
		struct synack_counters c0, c1;
		synack_stack_counters(st, &c0);
		while (done < ops) {
			p += batch * step;
			uint64_t a = now_ns();
			phase_expire(st, p);
			uint64_t b = now_ns();
			phase_insert(st, next, batch);
			next += batch;
			ins_ns += now_ns() - b;
			exp_ns += b - a;
			done += batch;
		}
		synack_stack_counters(st, &c1);
		uint64_t expired = c1.tw_expired - c0.tw_expired;
		fg->n_expired += expired;
		fg->n_inserted += done;
		lo = next - st->tw.count;
		fg->expire_ns = min_d(fg->expire_ns, (double)exp_ns / (double)(expired ? expired : 1));
		fg->insert_ns = min_d(fg->insert_ns, (double)ins_ns / (double)done);
	}
	if (st->tw.count < n * 9 / 10)
		fprintf(stderr, "tw_bench: table shrank to %u of %llu\n", st->tw.count,
			(unsigned long long)n);
	synack_stack_destroy(st);
	return sink == 0xffffffffu; /* keeps the lookups from being optimised away */
}

/* Inclusive instructions of fn in a callgrind output file, or -1. */
static double cg_inclusive(const char *file, const char *fn)
{
	char cmd[512], line[1024];
	double ir = -1;

	snprintf(cmd, sizeof(cmd), "callgrind_annotate --inclusive=yes %s 2>/dev/null", file);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		if (!strstr(line, fn) || ir >= 0)
			continue;
		char digits[64];
		size_t k = 0;
		for (const char *c = line; *c && *c != '(' && k + 1 < sizeof(digits); c++)
			if (*c >= '0' && *c <= '9')
				digits[k++] = *c;
		digits[k] = 0;
		if (k)
			ir = strtod(digits, NULL);
	}
	pclose(p);
	return ir;
}

/* One size again under callgrind, counting only the phase_* functions. */
static int instructions(const char *self, uint64_t n, uint64_t ops)
{
	char file[128], cmd[1024];
	unsigned long long hit = 0, miss = 0, exp = 0, ins = 0;

	snprintf(file, sizeof(file), "/tmp/tw_bench.%d.%llu.cg", (int)getpid(),
		 (unsigned long long)n);
	snprintf(cmd, sizeof(cmd),
		 "valgrind --tool=callgrind --collect-atstart=no --toggle-collect=phase_lookup "
		 "--toggle-collect=phase_expire --toggle-collect=phase_insert "
		 "--callgrind-out-file=%s %s --cg-child --sizes %llu --ops %llu 2>/dev/null",
		 file, self, (unsigned long long)n, (unsigned long long)ops);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	int got = fscanf(p, "counts %llu %llu %llu %llu", &hit, &miss, &exp, &ins);
	int rc = pclose(p);
	if (got != 4 || rc != 0) {
		fprintf(stderr, "tw_bench: callgrind run failed (is valgrind installed?)\n");
		remove(file);
		return -1;
	}
	double lk = cg_inclusive(file, "phase_lookup"), ex = cg_inclusive(file, "phase_expire");
	double in = cg_inclusive(file, "phase_insert");
	remove(file);
	printf("%10llu %12.1f %12.1f %12.1f\n", (unsigned long long)n, lk / (double)(hit + miss),
	       ex / (double)(exp ? exp : 1), in / (double)(ins ? ins : 1));
	printf("result tw_lookup_instr_%llu %.1f instructions\n", (unsigned long long)n,
	       lk / (double)(hit + miss));
	printf("result tw_expire_instr_%llu %.1f instructions\n", (unsigned long long)n,
	       ex / (double)(exp ? exp : 1));
	printf("result tw_insert_instr_%llu %.1f instructions\n", (unsigned long long)n,
	       in / (double)(ins ? ins : 1));
	fflush(stdout);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tw_bench [--quick] [--sizes N,N,...] [--ops N] [--instructions]\n\n"
		"Fills a stack's TIME-WAIT table with N entries (default sizes 1e3, 1e5, 1e6,\n"
		"1e7) and prints bytes per entry (table accounting and resident set growth)\n"
		"and wall-clock ns per lookup (hit, miss), per expiry and per insert at that\n"
		"size in steady state (best of 3 rounds of --ops operations, default 1e6),\n"
		"and the cost of walking the whole table for the connection table (ns per\n"
		"entry, growth of the resident set).\n"
		"--instructions: instead, run each size under callgrind (one round) and print\n"
		"instructions per lookup (hits and misses), per expiry and per insert.\n"
		"--quick: sizes 1e3,1e4 and 1e4 ops (the smoke test). Figures, not pass/fail.\n");
}

struct opts {
	uint64_t sizes[16], ops;
	int nsizes, instr, cg_child;
};

/* --sizes N,N,...: up to 16 table sizes, each a count (k/M suffixes) */
static int parse_sizes(const char *v, void *dst)
{
	struct opts *o = dst;
	char buf[256], *save = NULL;
	int k = 0;

	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (k == 16)
			return -1;
		o->sizes[k++] = bench_parse_count("--sizes", tok);
	}
	o->nsizes = k;
	return k ? 0 : -1;
}

static void quick(void *dst)
{
	struct opts *o = dst;

	o->sizes[0] = 1000, o->sizes[1] = 10000, o->nsizes = 2, o->ops = 10000;
}

int main(int argc, char **argv)
{
	struct opts o = {{1000, 100000, 1000000, 10000000}, 1000000, 4, 0, 0};
	const struct bench_optspec spec[] = {
		{"--quick", BENCH_OPT_CALL, &o, quick, NULL},
		{"--sizes", BENCH_OPT_STR, &o, NULL, parse_sizes},
		{"--ops", BENCH_OPT_COUNT, &o.ops, NULL, NULL},
		{"--instructions", BENCH_OPT_FLAG, &o.instr, NULL, NULL},
		{"--cg-child", BENCH_OPT_FLAG, &o.cg_child, NULL, NULL},
		{NULL, BENCH_OPT_FLAG, NULL, NULL, NULL},
	};
	bench_parse_opts(argc, argv, "tw_bench", spec, usage);
	uint64_t *sizes = o.sizes, ops = o.ops;
	int nsizes = o.nsizes, instr = o.instr, cg_child = o.cg_child;

	if (ops < 1)
		ops = 1;
	if (cg_child) {
		struct figures fg;
		if (run_size(sizes[0], ops, 1, &fg) < 0)
			return 1;
		printf("counts %llu %llu %llu %llu\n", (unsigned long long)fg.n_hit,
		       (unsigned long long)fg.n_miss, (unsigned long long)fg.n_expired,
		       (unsigned long long)fg.n_inserted);
		return 0;
	}
	if (instr) {
		printf("TIME-WAIT table under callgrind: instructions per operation, %llu ops\n",
		       (unsigned long long)ops);
		printf("%10s %12s %12s %12s\n", "entries", "lookup", "expire", "insert");
		for (int k = 0; k < nsizes; k++)
			if (instructions(argv[0], sizes[k], ops))
				return 1;
		return 0;
	}
	printf("TIME-WAIT table: %zu-byte entries, MSL %u s, ops per round %llu\n",
	       sizeof(struct sn_tw), MSL_US / 1000000u, (unsigned long long)ops);
	printf("%10s %9s %9s %8s %8s %8s %8s %8s %8s %9s\n", "entries", "B/entry", "B/e(RSS)",
	       "fill ns", "hit ns", "miss ns", "expire", "insert", "walk ns", "walk +KiB");
	for (int k = 0; k < nsizes; k++) {
		struct figures fg;
		if (sizes[k] < 4 || sizes[k] > 100000000ull || run_size(sizes[k], ops, 3, &fg) < 0) {
			fprintf(stderr, "tw_bench: size %llu failed\n", (unsigned long long)sizes[k]);
			return 1;
		}
		printf("%10llu %9.1f %9.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %9.0f\n",
		       (unsigned long long)sizes[k], fg.bytes_table, fg.bytes_rss, fg.fill_ns,
		       fg.hit_ns, fg.miss_ns, fg.expire_ns, fg.insert_ns, fg.walk_ns,
		       fg.walk_extra_bytes / 1024);
		printf("result tw_bytes_per_entry_%llu %.1f B\n", (unsigned long long)sizes[k],
		       fg.bytes_table);
		printf("result tw_lookup_ns_%llu %.1f ns\n", (unsigned long long)sizes[k], fg.hit_ns);
		printf("result tw_expire_ns_%llu %.1f ns\n", (unsigned long long)sizes[k], fg.expire_ns);
		printf("result tw_insert_ns_%llu %.1f ns\n", (unsigned long long)sizes[k], fg.insert_ns);
		fflush(stdout);
	}
	return 0;
}
