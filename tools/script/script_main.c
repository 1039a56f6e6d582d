/*
 * script_main.c: `synack script`, runs packetdrill-syntax scripts against a
 * synack stack on a virtual clock and reports each one.
 *
 *   synack script [options] FILE...
 *   synack script [options] --dir DIR     (every *.pkt under DIR, sorted)
 *
 * Each script gets a fresh stack. Output: "ok" or "FAIL" per script, the
 * failure's line, expected and actual; a summary line last. Exit status 0
 * when all pass, 1 when any fails (parse errors included), 2 bad usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "script.h"

struct file_list {
	char **v;
	size_t n, cap;
};

static int list_add(struct file_list *l, const char *path)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strdup(path)))
		return -1;
	l->n++;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/* Every *.pkt below dir (recursively). */
static int collect(const char *dir, struct file_list *l)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d) {
		fprintf(stderr, "synack script: cannot open %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		char path[4096];
		struct stat sb;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			if (collect(path, l)) {
				closedir(d);
				return -1;
			}
		} else if (ends_with(e->d_name, ".pkt") && list_add(l, path)) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? 2 * cap : 8192;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Parses and runs one file; 0 passed, 1 failed. */
static int run_file(const char *path, const struct sc_run_opts *o)
{
	char err[512];
	struct sc_script s;
	char *text = read_file(path);
	if (!text) {
		printf("FAIL %s: cannot read: %s\n", path, strerror(errno));
		return 1;
	}
	int rc = sc_parse(path, text, &s, err, sizeof(err));
	free(text);
	if (rc) {
		printf("FAIL %s\n%s: parse error\n", path, err);
		return 1;
	}
	rc = sc_run(&s, o, stdout);
	printf("%s %s (%d events)\n", rc ? "FAIL" : "ok  ", path, s.nevents);
	sc_script_free(&s);
	return rc;
}

void script_help(FILE *out)
{
	fprintf(out,
		"usage: synack script [options] FILE...\n"
		"       synack script [options] --dir DIR\n\n"
		"Runs packetdrill-syntax scripts, each against a fresh synack stack on a virtual\n"
		"clock (the stack is 192.168.0.1, the scripted peer 192.0.2.1; nothing leaves the\n"
		"process). See docs/scripts.md for the language.\n\n"
		"options:\n"
		"  --dir DIR               run every *.pkt under DIR (sorted)\n"
		"  --tolerance_usecs=N     timing tolerance in µs (default 4000; 12.5%% of the gap\n"
		"                          since the previous event when that is larger)\n"
		"  -v, --verbose           print each event as it runs\n"
		"  --sysctls               list the sysctls a script may set, and exit\n"
		"  -h, --help              this help\n");
}

static void list_free(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct file_list){0};
}

int script_main(int argc, char **argv)
{
	struct sc_run_opts o = {.tolerance_us = 4000};
	struct file_list l = {0};
	int failed = 0, usage_err = 0;
	for (int i = 1; i < argc && !usage_err; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			script_help(stdout);
			list_free(&l);
			return 0;
		} else if (!strcmp(a, "--sysctls")) {
			sc_knob_list(stdout);
			list_free(&l);
			return 0;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			o.verbose = 1;
		} else if (!strncmp(a, "--tolerance_usecs=", 18)) {
			char *end;
			o.tolerance_us = strtoll(a + 18, &end, 10);
			usage_err = *end || o.tolerance_us < 0;
		} else if (!strcmp(a, "--dir") && i + 1 < argc) {
			usage_err = collect(argv[++i], &l) != 0;
		} else if (a[0] == '-') {
			fprintf(stderr, "synack script: unknown option '%s'\n", a);
			usage_err = 1;
		} else {
			usage_err = list_add(&l, a) != 0;
		}
	}
	if (usage_err || l.n == 0) {
		if (!usage_err)
			fprintf(stderr, "synack script: no scripts given\n");
		script_help(stderr);
		list_free(&l);
		return 2;
	}
	qsort(l.v, l.n, sizeof(*l.v), cmp_str);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < l.n; i++)
		failed += run_file(l.v[i], &o);
	size_t n = l.n;
	list_free(&l);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%zu scripts: %zu passed, %d failed (%.2f s)\n", n, n - (size_t)failed, failed, secs);
	return failed ? 1 : 0;
}
