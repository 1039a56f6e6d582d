/*
 * simload.c: the simulated server workload behind `synack ss` and
 * `synack stat` (see simload.h). Public API only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "simload.h"

#define SERVER_ADDR 0x0a000002u /* 10.0.0.2 */
#define CLIENT_BASE 0x0a000100u /* 10.0.1.0 */
#define PER_CLIENT 20000u
#define BATCH 500
#define US_PER_SEC 1000000ull

static const char reply[] = "HTTP/1.0 200 OK\r\n\r\nhello\n";
static const char request[] = "GET / HTTP/1.0\r\n\r\n";

void simload_opts_default(struct simload_opts *o)
{
	*o = (struct simload_opts){
		.seed = 1,
		.conns = 5,
		.live = 3,
		.msl_us = 30 * US_PER_SEC,
		.after_us = 18 * US_PER_SEC,
		.max_timewait = 0,
	};
}

static int num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int simload_parse_opt(int argc, char **argv, int *i, struct simload_opts *o)
{
	static const char *const names[] = {"--sim", "--live", "--at", "--msl", "--seed", "--max-tw"};
	static const double hi[] = {5e7, 1000, 1e6, 3600, 1.8e19, 4e9};
	double v;
	int k;

	for (k = 0; k < 6 && strcmp(argv[*i], names[k]); k++)
		;
	if (k == 6)
		return 0;
	if (*i + 1 >= argc || num(argv[*i + 1], k == 3 ? 0.001 : 0, hi[k], &v))
		return -1;
	*i += 1;
	switch (k) {
	case 0: o->conns = (uint32_t)v; break;
	case 1: o->live = (uint32_t)v; break;
	case 2: o->after_us = (uint64_t)(v * US_PER_SEC); break;
	case 3: o->msl_us = (uint32_t)(v * US_PER_SEC); break;
	case 4: o->seed = (uint64_t)v; break;
	default: o->max_timewait = (uint32_t)v; break;
	}
	return 1;
}

void simload_help(FILE *out)
{
	fprintf(out,
		"simulated workload (without --ctl):\n"
		"  a server 10.0.0.2 on port 80 answers and closes first N connections from\n"
		"  clients 10.0.1.x (one TIME-WAIT entry each), then M connections stay open\n"
		"  with SO_KEEPALIVE (the first with an unread request); virtual time then runs\n"
		"  on; the server's stack is shown, its log messages on stderr.\n"
		"  --sim N        connections closed by the server (default 5)\n"
		"  --live M       connections left open (default 3)\n"
		"  --at SECONDS   virtual time to run after the last close (default 18)\n"
		"  --msl SECONDS  MSL of every host; TIME-WAIT is 2*MSL (default 30)\n"
		"  --max-tw N     the server's tcp_max_tw_buckets (default max(N, 65536))\n"
		"  --seed N       simulator seed (default 1)\n");
}

struct batch {
	synack_stack *server;
	int listener;
	synack_stack *stack[BATCH]; /* the client of each slot */
	int sock[BATCH];            /* -1 once closed */
	int n, closed;
};

/* The server answers and closes every connection it accepts. */
static void serve(struct batch *b)
{
	int s;
	while ((s = synack_sock_accept(b->server, b->listener, NULL)) >= 0) {
		synack_sock_send(b->server, s, reply, sizeof(reply) - 1);
		synack_sock_close(b->server, s);
	}
}

/* The clients read the reply and close after the server's FIN. */
static int batch_done(void *ctx)
{
	struct batch *b = ctx;
	char buf[256];

	serve(b);
	for (int i = 0; i < b->n; i++) {
		if (b->sock[i] < 0 || !(synack_sock_events(b->stack[i], b->sock[i]) &
					(SYNACK_EV_IN | SYNACK_EV_ERR | SYNACK_EV_HUP)))
			continue;
		ssize_t r;
		while ((r = synack_sock_recv(b->stack[i], b->sock[i], buf, sizeof(buf))) > 0)
			;
		if (r == -EAGAIN)
			continue;
		synack_sock_close(b->stack[i], b->sock[i]);
		b->sock[i] = -1;
		b->closed++;
	}
	return b->closed == b->n;
}

static int run_batch(struct simload *sl, synack_stack **clients, uint32_t first, int n)
{
	struct batch b = {.server = sl->server, .listener = sl->listener, .n = n};
	struct synack_endpoint srv = {SERVER_ADDR, 80};

	for (int i = 0; i < n; i++) {
		b.stack[i] = clients[(first + (uint32_t)i) / PER_CLIENT];
		b.sock[i] = synack_sock_open(b.stack[i]);
		if (b.sock[i] < 0 || synack_sock_connect(b.stack[i], b.sock[i], &srv) != -EINPROGRESS)
			return -EIO;
	}
	uint64_t now = synack_sim_now(sl->sim);
	if (!synack_sim_run(sl->sim, batch_done, &b, now + 60 * US_PER_SEC))
		return -ETIMEDOUT;
	/* the clients' last ACKs reach the server */
	synack_sim_run_until(sl->sim, synack_sim_now(sl->sim) + 10000);
	return 0;
}

struct live {
	struct simload *sl;
	int want, got;
};

static int live_done(void *ctx)
{
	struct live *l = ctx;
	int s;

	while ((s = synack_sock_accept(l->sl->server, l->sl->listener, NULL)) >= 0) {
		synack_sock_setopt(l->sl->server, s, SYNACK_SO_KEEPALIVE, 1);
		l->got++;
	}
	return l->got == l->want;
}

/* Connections left open, the first with a request nobody reads. */
static int open_live(struct simload *sl, uint32_t n)
{
	struct synack_endpoint srv = {SERVER_ADDR, 80};
	struct live l = {sl, (int)n, 0};

	for (uint32_t i = 0; i < n; i++) {
		int s = synack_sock_open(sl->client);
		if (s < 0 || synack_sock_connect(sl->client, s, &srv) != -EINPROGRESS)
			return -EIO;
		if (i == 0)
			synack_sock_send(sl->client, s, request, sizeof(request) - 1);
	}
	if (!synack_sim_run(sl->sim, live_done, &l, synack_sim_now(sl->sim) + 60 * US_PER_SEC))
		return -ETIMEDOUT;
	synack_sim_run_until(sl->sim, synack_sim_now(sl->sim) + 10000);
	return 0;
}

/* The server's operator messages (rate-limited by the stack) go to stderr,
 * stamped with virtual time, like the kernel log. */
static void log_stderr(void *ctx, uint64_t now, enum synack_log_kind kind, const char *msg)
{
	(void)ctx, (void)kind;
	fprintf(stderr, "[%12.6f] %s\n", (double)now / US_PER_SEC, msg);
}

static int add_hosts(const struct simload_opts *o, struct simload *sl, synack_stack **clients,
		     uint32_t nclients)
{
	struct synack_config cfg;
	struct synack_endpoint any = {0, 80};

	synack_config_default(&cfg);
	cfg.msl_us = o->msl_us;
	cfg.addr = SERVER_ADDR;
	cfg.max_timewait = o->max_timewait ? o->max_timewait
					   : (o->conns > 65536 ? o->conns : 65536);
	int err = synack_sim_add_host(sl->sim, &cfg, &sl->server);
	for (uint32_t i = 0; !err && i < nclients; i++) {
		cfg.addr = CLIENT_BASE + 1 + i;
		err = synack_sim_add_host(sl->sim, &cfg, &clients[i]);
	}
	if (err)
		return err;
	sl->client = clients[0];
	synack_stack_set_log(sl->server, log_stderr, NULL);
	sl->listener = synack_sock_open(sl->server);
	if (sl->listener < 0)
		return sl->listener;
	synack_sock_setopt(sl->server, sl->listener, SYNACK_SO_REUSEADDR, 1);
	if ((err = synack_sock_bind(sl->server, sl->listener, &any)) != 0 ||
	    (err = synack_sock_listen(sl->server, sl->listener, BATCH)) != 0)
		return err;
	return 0;
}

int simload_run(const struct simload_opts *o, struct simload *sl)
{
	struct synack_impair_params link;
	uint32_t nclients = o->conns / PER_CLIENT + 1;
	synack_stack **clients = calloc(nclients, sizeof(*clients));
	int err = clients ? synack_sim_create(o->seed, &sl->sim) : -ENOMEM;

	if (err) {
		free(clients);
		return err;
	}
	memset(&link, 0, sizeof(link));
	link.delay_us = 1000;
	synack_sim_set_default_link(sl->sim, &link);
	err = add_hosts(o, sl, clients, nclients);
	for (uint32_t first = 0, n; !err && first < o->conns; first += n) {
		/* a batch never straddles two clients */
		n = o->conns - first < BATCH ? o->conns - first : BATCH;
		if (n > PER_CLIENT - first % PER_CLIENT)
			n = PER_CLIENT - first % PER_CLIENT;
		err = run_batch(sl, clients, first, (int)n);
	}
	if (!err && o->live)
		err = open_live(sl, o->live);
	if (!err)
		synack_sim_run_until(sl->sim, synack_sim_now(sl->sim) + o->after_us);
	free(clients);
	return err;
}

void simload_free(struct simload *s)
{
	if (s->sim)
		synack_sim_destroy(s->sim);
	s->sim = NULL;
}
