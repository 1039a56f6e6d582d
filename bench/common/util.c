/*
 * util.c: clocks, resource usage, callgrind control, option parsing and
 * result lines for the benchmarks (bench.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include "bench.h"

int bench_cg_enabled;

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_now_us(void)
{
	return bench_now_ns() / 1000u;
}

uint64_t bench_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

uint64_t bench_peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_maxrss;
}

uint64_t bench_rss_kib(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) / 1024u;
}

/* ---------------------------------------------------------------- callgrind */

/* Collection is on exactly while the stack runs: bench_cg_on() toggles it
 * on, bench_cg_off() back off. depth makes nested pairs harmless (the
 * wire's output callback runs inside synack_stack_input). */
static int cg_depth;

void bench_cg_enable(int on)
{
	bench_cg_enabled = on && RUNNING_ON_VALGRIND;
}

void bench_cg_on(void)
{
	if (bench_cg_enabled && cg_depth++ == 0)
		CALLGRIND_TOGGLE_COLLECT;
}

void bench_cg_off(void)
{
	if (bench_cg_enabled && cg_depth > 0 && --cg_depth == 0)
		CALLGRIND_TOGGLE_COLLECT;
}

int bench_cg_pause(void)
{
	if (!bench_cg_enabled || cg_depth == 0)
		return 0;
	int saved = cg_depth;
	cg_depth = 1;
	bench_cg_off();
	return saved;
}

void bench_cg_resume(int saved)
{
	if (!saved)
		return;
	bench_cg_on();
	cg_depth = saved;
}

int bench_under_valgrind(void)
{
	return RUNNING_ON_VALGRIND ? 1 : 0;
}

static int run_and_wait(char **args, int quiet)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (quiet) {
			int fd = open("/dev/null", O_WRONLY);
			if (fd >= 0) {
				dup2(fd, 1);
				close(fd);
			}
		}
		execvp(args[0], args);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static double parse_ir(const char *s)
{
	double v = 0;

	while (*s == ' ')
		s++;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			v = v * 10 + (*s - '0');
		else if (*s != ',')
			break;
	}
	return v;
}

static int matches_any(const char *line, const char *list)
{
	char buf[256];

	if (!list)
		return 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strstr(line, tok))
			return 1;
	return 0;
}

/* callgrind_annotate lists self cost per function: "1,234 (5.6%)  file:fn [obj]". */
static int annotate(const char *file, const char *exclude, struct bench_cg_result *out)
{
	char cmd[512], line[1024];

	snprintf(cmd, sizeof(cmd), "callgrind_annotate --threshold=100 --inclusive=no %s", file);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	*out = (struct bench_cg_result){0};
	int have_total = 0;
	while (fgets(line, sizeof(line), p)) {
		const char *paren = strstr(line, " (");
		if (!paren || parse_ir(line) <= 0)
			continue;
		if (strstr(line, "PROGRAM TOTALS")) {
			out->total = parse_ir(line);
			have_total = 1;
		} else if (matches_any(paren, exclude)) {
			out->excluded += parse_ir(line);
		}
	}
	return pclose(p) == 0 && have_total ? 0 : -1;
}

int bench_callgrind_run(char **argv, const char *const *extra, const char *exclude,
			struct bench_cg_result *out)
{
	char self[4096], outfile[128];
	char *args[64];
	int n = 0;
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (len <= 0)
		return -1;
	self[len] = '\0';
	snprintf(outfile, sizeof(outfile), "/tmp/synack-bench-cg.%d.%lu", (int)getpid(),
		 (unsigned long)bench_now_ns());
	char outopt[160];
	snprintf(outopt, sizeof(outopt), "--callgrind-out-file=%s", outfile);
	args[n++] = "valgrind";
	args[n++] = "--tool=callgrind";
	args[n++] = "--collect-atstart=no";
	args[n++] = "--quiet";
	args[n++] = outopt;
	args[n++] = self;
	for (int i = 1; argv[i] && n < 50; i++)
		args[n++] = argv[i];
	for (int i = 0; extra && extra[i] && n < 62; i++)
		args[n++] = (char *)extra[i];
	args[n] = NULL;
	int rc = run_and_wait(args, 1);
	if (rc != 0) {
		fprintf(stderr, "bench: valgrind exited with %d (is valgrind installed?)\n", rc);
		unlink(outfile);
		return -1;
	}
	rc = annotate(outfile, exclude, out);
	unlink(outfile);
	return rc;
}

/* ---------------------------------------------------------------- output, options */

void bench_result(const char *name, double value, const char *unit)
{
	printf("result %s %.6g %s\n", name, value, unit);
}

/* "--name VALUE" or "--name=VALUE": 1 and *val when argv[*i] is that option
 * (advancing *i past a separate value). */
static int bench_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "%s needs a value\n", name);
		exit(2);
	}
	*val = argv[++*i];
	return 1;
}

uint64_t bench_parse_count(const char *opt, const char *s)
{
	char *end;
	double v = strtod(s, &end);
	double mul = 1;

	if (end == s || v < 0)
		goto bad;
	if (*end == 'k' || *end == 'K')
		mul = 1e3;
	else if (*end == 'M')
		mul = 1e6;
	else if (*end == 'G')
		mul = 1e9;
	if (mul != 1 && end[1] == 'i') {
		mul = *end == 'G' ? 1073741824.0 : *end == 'M' ? 1048576.0 : 1024.0;
		end++;
	}
	if (mul != 1)
		end++;
	if (*end != '\0')
		goto bad;
	return (uint64_t)(v * mul);
bad:
	fprintf(stderr, "%s: bad number '%s'\n", opt, s);
	exit(2);
}

/* One option's value into its destination: 1, or 0 when the value is bad. */
static int opt_set(const struct bench_optspec *o, const char *v)
{
	char *end;
	uint64_t n;
	double d;

	switch (o->kind) {
	case BENCH_OPT_FLAG:
		*(int *)o->dst = 1;
		return 1;
	case BENCH_OPT_CALL:
		o->fn(o->dst);
		return 1;
	case BENCH_OPT_COUNT:
		*(uint64_t *)o->dst = bench_parse_count(o->name, v);
		return 1;
	case BENCH_OPT_U32:
		n = bench_parse_count(o->name, v);
		if (n > UINT32_MAX)
			return 0;
		*(uint32_t *)o->dst = (uint32_t)n;
		return 1;
	case BENCH_OPT_NUM:
		d = strtod(v, &end);
		if (end == v || *end != '\0' || !isfinite(d))
			return 0;
		*(double *)o->dst = d;
		return 1;
	case BENCH_OPT_STR:
		if (o->check)
			return o->check(v, o->dst) == 0;
		*(const char **)o->dst = v;
		return 1;
	}
	return 0;
}

void bench_parse_opts(int argc, char **argv, const char *prog, const struct bench_optspec *spec,
		      void (*usage)(FILE *out))
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		const struct bench_optspec *o;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		for (o = spec; o->name; o++) {
			int bare = o->kind == BENCH_OPT_FLAG || o->kind == BENCH_OPT_CALL;
			if (bare ? !strcmp(a, o->name) : bench_opt(argc, argv, &i, o->name, &v))
				break;
		}
		if (!o->name)
			fprintf(stderr, "%s: unknown option '%s'\n\n", prog, a);
		else if (!opt_set(o, v))
			fprintf(stderr, "%s: %s: bad value '%s'\n\n", prog, o->name, v);
		else
			continue;
		usage(stderr);
		exit(2);
	}
}

synack_stack *bench_stack(const struct synack_config *cfg)
{
	synack_stack *st;
	int err = synack_stack_create(cfg, &st);

	if (err) {
		fprintf(stderr, "bench: synack_stack_create: %s\n", strerror(-err));
		exit(1);
	}
	return st;
}
