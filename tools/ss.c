/*
 * ss.c: `synack ss` (the connection table, like `ss -tan -o`, or
 * `ipvsadm -L -c -n` with --ipvs) and `synack stat` (the counters, like
 * `nstat -a`). Both read a stack through the public API only
 * (synack_stack_foreach_conn, synack_counters_foreach): with --ctl PATH,
 * the stack of a running `synack serve`, through its control socket
 * (tools/ctl.c); otherwise the server of a simulated workload
 * (tools/simload.c), run to a chosen virtual time.
 */
#include <stdlib.h>
#include <string.h>

#include "conntable.h"
#include "ctl.h"
#include "simload.h"
#include "ss.h"
#include "synack/synack.h"

void ss_help(FILE *out)
{
	fprintf(out,
		"usage: synack ss [options]\n\n"
		"Prints the connection table of a stack as `ss -tan -o` does: state, Recv-Q,\n"
		"Send-Q, local and peer address:port and the running timer, e.g.\n"
		"timer:(timewait,42sec,0), one row per listener, connection and TIME-WAIT\n"
		"entry, then a summary line per state. Rows stream from the stack as it walks\n"
		"its tables: nothing is copied, so ten million entries print in constant memory.\n\n"
		"  --state NAME   only this state: established, syn-sent, syn-recv, fin-wait-1,\n"
		"                 fin-wait-2, time-wait, close-wait, last-ack, closing,\n"
		"                 listening, or ss's groups all, connected, synchronized,\n"
		"                 bucket, big (repeatable: states add up)\n"
		"  --sport PORT   local port\n"
		"  --dport PORT   remote port\n"
		"  --ipvs         the `ipvsadm -L -c -n` layout: pro expire state source\n"
		"                 virtual destination\n"
		"  --summary      the summary lines only\n"
		"  --no-header    no column header\n"
		"  --ctl PATH     the live stack of a `synack serve` with that control socket\n"
		"                 (its default: " CTL_DIR "/DEV.sock), instead of a simulated\n"
		"                 one; read in pages of at most %d rows and %d entries\n"
		"                 walked, each resumed where the last ended\n\n",
		CTL_ROWS_MAX, CTL_VISITS_MAX);
	simload_help(out);
}

static int parse_port(const char *s, int *port)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < 0 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

static int ss_opt(int argc, char **argv, int *i, struct conntable_opts *t)
{
	const char *a = argv[*i];

	if (!strcmp(a, "--ipvs"))
		t->layout = CONNTABLE_IPVS;
	else if (!strcmp(a, "--summary"))
		t->rows = 0;
	else if (!strcmp(a, "--no-header"))
		t->header = 0;
	else if (*i + 1 >= argc)
		return -1;
	else if (!strcmp(a, "--state")) {
		unsigned m = conntable_state_mask(argv[++*i]);
		if (!m)
			return -1;
		t->state_mask |= m;
	} else if (!strcmp(a, "--sport"))
		return parse_port(argv[++*i], &t->sport);
	else if (!strcmp(a, "--dport"))
		return parse_port(argv[++*i], &t->dport);
	else
		return -1;
	return 0;
}

int ss_main(int argc, char **argv)
{
	struct simload_opts so;
	struct conntable_opts t;
	struct simload sl = {0};
	const char *ctl = NULL;

	simload_opts_default(&so);
	conntable_opts_default(&t);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			ss_help(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--ctl") && i + 1 < argc) {
			ctl = argv[++i];
			continue;
		}
		int r = simload_parse_opt(argc, argv, &i, &so);
		if (r == 0)
			r = ss_opt(argc, argv, &i, &t) ? -1 : 1;
		if (r < 0) {
			fprintf(stderr, "synack ss: bad option or value: %s\n\n", argv[i]);
			ss_help(stderr);
			return 2;
		}
	}
	if (ctl) {
		return ctl_ss(ctl, &t, stdout, "synack ss") ? 1 : 0;
	}
	if (simload_run(&so, &sl)) {
		fprintf(stderr, "synack ss: the simulated workload did not complete\n");
		simload_free(&sl);
		return 1;
	}
	conntable_print(stdout, sl.server, &t);
	simload_free(&sl);
	return 0;
}

void stat_help(FILE *out)
{
	fprintf(out,
		"usage: synack stat [options]\n\n"
		"Prints a stack's counters as `nstat -a` does, one \"Name value\" per line:\n"
		"Linux's names where Linux has the counter (TcpActiveOpens, TcpExtTW,\n"
		"TcpExtTCPTimeWaitOverflow, ...), Synack* for the rest: TIME-WAIT events\n"
		"(SynackTwEntered, SynackTwFinReacked, SynackTwSynAccepted, SynackTwRstIgnored,\n"
		"SynackTwRstKilled), the per-state gauges (SynackState*), the transitions\n"
		"(SynackTrans<FROM>_<TO>) and one counter per drop reason (SynackDrop_*).\n\n"
		"  --zeros        print counters that are zero too (nstat -z)\n"
		"  --name PREFIX  only counters whose name starts with PREFIX (repeatable)\n"
		"  --ctl PATH     the live stack of a `synack serve` with that control socket\n"
		"                 (its default: " CTL_DIR "/DEV.sock), instead of a simulated one\n\n");
	simload_help(out);
}

struct stat_walk {
	FILE *out;
	int zeros;
	char **prefix;
	int nprefix;
};

static int stat_line(void *ctx, const char *name, uint64_t v)
{
	struct stat_walk *w = ctx;
	int ok = w->nprefix == 0;

	for (int i = 0; i < w->nprefix && !ok; i++)
		ok = !strncmp(name, w->prefix[i], strlen(w->prefix[i]));
	if (ok && (v || w->zeros))
		fprintf(w->out, "%-36s %llu\n", name, (unsigned long long)v);
	return 0;
}

void stat_print(FILE *out, const struct synack_counters *c, int zeros, char **prefix, int nprefix)
{
	struct stat_walk w = {out, zeros, prefix, nprefix};
	synack_counters_foreach(c, stat_line, &w);
}

/* The request line for --ctl: "stat ZEROS PREFIX...", prefixes without
 * blanks. 0 or -1. */
static int stat_request(char *buf, size_t len, int zeros, char **prefix, int n)
{
	size_t k = (size_t)snprintf(buf, len, "stat %d", zeros);

	for (int i = 0; i < n; i++) {
		if (strpbrk(prefix[i], " \t\n") || k + strlen(prefix[i]) + 2 > len)
			return -1;
		k += (size_t)snprintf(buf + k, len - k, " %s", prefix[i]);
	}
	return 0;
}

int stat_main(int argc, char **argv)
{
	struct simload_opts so;
	struct simload sl = {0};
	struct stat_walk w = {stdout, 0, NULL, 0};
	char *prefix[16];
	const char *ctl = NULL;

	simload_opts_default(&so);
	w.prefix = prefix;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			stat_help(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--ctl") && i + 1 < argc) {
			ctl = argv[++i];
			continue;
		}
		int r = simload_parse_opt(argc, argv, &i, &so);
		if (r == 0 && !strcmp(argv[i], "--zeros"))
			w.zeros = r = 1;
		else if (r == 0 && !strcmp(argv[i], "--name") && i + 1 < argc && w.nprefix < 16)
			prefix[w.nprefix++] = argv[++i], r = 1;
		if (r <= 0) {
			fprintf(stderr, "synack stat: bad option or value: %s\n\n", argv[i]);
			stat_help(stderr);
			return 2;
		}
	}
	if (ctl) {
		char req[CTL_REQ_MAX];
		if (stat_request(req, sizeof(req), w.zeros, prefix, w.nprefix)) {
			fprintf(stderr, "synack stat: --name prefixes too long or with blanks\n");
			return 2;
		}
		return ctl_request(ctl, req, stdout, "synack stat") ? 1 : 0;
	}
	if (simload_run(&so, &sl)) {
		fprintf(stderr, "synack stat: the simulated workload did not complete\n");
		simload_free(&sl);
		return 1;
	}
	struct synack_counters c;
	synack_stack_counters(sl.server, &c);
	printf("#synack server 10.0.0.2 (simulated), virtual time %.3f s\n",
	       (double)synack_stack_now(sl.server) / 1e6);
	stat_print(stdout, &c, w.zeros, prefix, w.nprefix);
	simload_free(&sl);
	return 0;
}
