/*
 * bench.h: what the benchmarks share.
 *
 * The wire: two stacks joined directly by their output callbacks. Each
 * direction is a FIFO of datagrams (a flat, bounded byte arena): a stack's
 * output callback copies the datagram in (the stack's scratch buffer is
 * reused by its next segment, so a copy is unavoidable), and the driver
 * delivers the queue to the other stack with synack_stack_input(). There
 * is no delay, no loss and no event queue: the cheapest correct driver.
 * Delivery never happens inside an output callback, so no stack is ever
 * re-entered. A full arena drops the datagram and counts it (wire.drops);
 * the benchmarks size it so that never happens and print the count.
 *
 * Measuring: figures come from clock_gettime(CLOCK_MONOTONIC) (wall),
 * getrusage (CPU time, peak RSS) and callgrind (instructions). Under
 * `valgrind --tool=callgrind --collect-atstart=no` the benchmarks switch
 * collection on only around calls into synack (BENCH_CG(...)), and off again
 * while the wire copies a datagram, so the count is the stack's own work;
 * bench_callgrind_run() re-executes the benchmark that way and reads the
 * totals back. Outside valgrind the toggles are a few no-op instructions.
 *
 * Every benchmark prints human-readable lines and, for scripts/bench.sh,
 * lines "result NAME VALUE UNIT" (one figure each).
 */
#ifndef SYNACK_BENCH_H
#define SYNACK_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/synack.h"

/* ---------------------------------------------------------------- wire */

struct bench_queue {
	uint8_t *buf;      /* records: uint32_t len, then len bytes, padded to 8 */
	size_t cap, used;
	uint64_t pkts;     /* datagrams queued, ever */
	uint64_t drops;    /* arena full */
};

struct bench_wire {
	synack_stack *a, *b;
	struct bench_queue a_to_b, b_to_a;
};

/* 0 or -ENOMEM. Installs both output callbacks. cap: bytes per direction. */
int bench_wire_init(struct bench_wire *w, synack_stack *a, synack_stack *b, size_t cap);
void bench_wire_free(struct bench_wire *w);
/* Deliver everything queued for one side at time now (datagrams the
 * delivery provokes in the other direction stay queued). Returns how many. */
size_t bench_wire_deliver_to_b(struct bench_wire *w, uint64_t now);
size_t bench_wire_deliver_to_a(struct bench_wire *w, uint64_t now);
/* Deliver both ways until both queues are empty. Returns datagrams delivered. */
size_t bench_wire_run(struct bench_wire *w, uint64_t now);

/* ---------------------------------------------------------------- measuring */

uint64_t bench_now_us(void);        /* CLOCK_MONOTONIC */
uint64_t bench_now_ns(void);
uint64_t bench_cpu_us(void);        /* user + system time of this process */
uint64_t bench_peak_rss_kib(void);  /* ru_maxrss */
uint64_t bench_rss_kib(void);       /* current resident set, /proc/self/statm */

/* Callgrind collection. bench_cg_enable(1) at the start of the measured
 * part; BENCH_CG(expr) evaluates expr with collection on. */
extern int bench_cg_enabled;
void bench_cg_on(void);
void bench_cg_off(void);
void bench_cg_enable(int on);
/* Switch collection off if it is on (returns what bench_cg_resume needs). */
int bench_cg_pause(void);
void bench_cg_resume(int saved);
#define BENCH_CG(expr)                                                                             \
	do {                                                                                       \
		bench_cg_on();                                                                     \
		expr;                                                                              \
		bench_cg_off();                                                                    \
	} while (0)

/* Is this process running under valgrind? */
int bench_under_valgrind(void);
/* Re-run argv (with extra arguments appended) under callgrind, collection
 * off at start, and return the instructions collected, split into the total
 * and the part spent in the functions whose names contain any of the
 * comma-separated substrings in `exclude` (NULL: none); -1 on failure.
 * The program's own output goes to /dev/null. */
struct bench_cg_result {
	double total;     /* Ir collected */
	double excluded;  /* Ir in the excluded functions (self cost) */
};
int bench_callgrind_run(char **argv, const char *const *extra, const char *exclude,
			struct bench_cg_result *out);

/* ---------------------------------------------------------------- output */

/* Names of the benchmarks' own functions that run while collection is on
 * (the toggles themselves, the wire's callback): for `exclude`. */
#define BENCH_SELF "bench_cg_,wire_out,bench_wire_"

void bench_result(const char *name, double value, const char *unit);

/* A count with an optional k/M/G (x1000) or Ki/Mi/Gi (x1024) suffix; exits on error. */
uint64_t bench_parse_count(const char *opt, const char *s);

/* A benchmark's command line as a table: each option's name, what its
 * value is and where it goes. */
enum bench_optkind {
	BENCH_OPT_FLAG,   /* no value: *(int *)dst = 1 */
	BENCH_OPT_CALL,   /* no value: fn(dst), in command-line order (--quick) */
	BENCH_OPT_COUNT,  /* bench_parse_count: uint64_t */
	BENCH_OPT_U32,    /* the same, at most UINT32_MAX: uint32_t */
	BENCH_OPT_NUM,    /* a finite decimal number: double */
	BENCH_OPT_STR,    /* the text itself: const char * */
};
struct bench_optspec {
	const char *name; /* "--bytes" (also taken as --bytes=VALUE) */
	enum bench_optkind kind;
	void *dst;
	void (*fn)(void *dst);   /* BENCH_OPT_CALL */
	int (*check)(const char *val, void *dst); /* BENCH_OPT_STR: 0, or the value is bad */
};
/* Parses argv[1..] by spec (ended by a NULL name): --help or -h prints
 * usage(stdout) and exits 0; an unknown option, a missing or bad value
 * prints what is wrong and usage(stderr), and exits 2. */
void bench_parse_opts(int argc, char **argv, const char *prog, const struct bench_optspec *spec,
		      void (*usage)(FILE *out));

/* ---------------------------------------------------------------- kernel (netns.c) */

struct sockaddr_in;
/* Move this process into a network namespace of its own with lo up (needs
 * root): 0, or -1 after printing "PROG: skipped: why". */
int bench_enter_netns(const char *prog);
/* An interface's flags, after or-ing `set` into them (0: just read): -1 on error. */
int bench_if_flags(int fd, const char *name, short set);
struct sockaddr_in bench_sin(uint32_t addr, uint16_t port); /* host order in */
/* A kernel TCP listener (SO_REUSEADDR, backlog 1024) on addr:port, or -1. */
int bench_tcp_listen(uint32_t addr, uint16_t port);
/* Read exactly n bytes: 0, or -1 on EOF or error. */
int bench_read_full(int fd, void *buf, size_t n);

/* A stack with the benchmark defaults: given address and seed, small tables
 * otherwise as cfg_in says. Exits on failure. */
synack_stack *bench_stack(const struct synack_config *cfg);

#endif
