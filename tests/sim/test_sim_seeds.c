/*
 * test_sim_seeds.c: end-to-end integrity over 1,000 seeded runs.
 *
 * Each seed builds two hosts joined by a rough link in both directions
 * (5 ms delay, 2 ms jitter, 2% loss, 1% duplication, 2% of datagrams held
 * back 20 ms, 0.5% corrupted), lets the client send N pseudo-random bytes
 * and the server M bytes of its own (20-60 KB each), and closes in an order
 * the seed picks:
 *   client-first   the client closes once it has everything; the server
 *                  closes when it reads EOF
 *   server-first   the mirror image
 *   both-close     both close in the same instant (the FINs cross)
 *   both-shutdown  both shut down writing in the same instant, read EOF,
 *                  then close
 *   half-close     the client sends, shuts down writing and keeps reading;
 *                  the server starts sending only after it reads EOF
 * and runs until neither stack has a connection left (TIME-WAIT included).
 * It checks that every byte arrived exactly once and in order, that recv
 * returned 0 exactly at the end of the stream (on the sides that read to
 * EOF), that no call failed (reset, timeout) and that everything finished
 * within 10 minutes of virtual time.
 *
 * A failure names its seed; SYNACK_SEED=123 runs that seed alone and
 * SYNACK_SEEDS=500 changes the count.
 */
#include <errno.h>
#include <stdarg.h>
#include <time.h>

#include "check.h"
#include "synack/sim.h"

#define NSEEDS 1000
#define C_ADDR 0x0a000001u
#define S_ADDR 0x0a000002u
#define PORT 80
#define SEC 1000000ull
#define MIN_BYTES 20000
#define MAX_BYTES 60000
#define MSL_US (5 * SEC)
#define DEADLINE (600 * SEC)

enum order { CLIENT_FIRST, SERVER_FIRST, BOTH_CLOSE, BOTH_SHUTDOWN, HALF_CLOSE, NORDERS };
static const char *const order_names[] = {"client-first", "server-first", "both-close",
					  "both-shutdown", "half-close"};

static const struct synack_impair_params rough = {
	.delay_us = 5000, .jitter_us = 2000, .loss_ppm = 20000, .dup_ppm = 10000,
	.reorder_ppm = 20000, .reorder_us = 20000, .corrupt_ppm = 5000,
};

struct side {
	synack_stack *st;
	int sock;           /* -1 before connect/accept and after close */
	uint8_t *out;       /* what this side sends */
	size_t out_len, sent;
	const uint8_t *expect; /* what the other side sends */
	size_t expect_len, got;
	int eof, shut, closed;
};

struct run {
	uint64_t seed;
	enum order order;
	synack_sim *sim;
	int lsock;
	int connected;
	struct side s[2];   /* [0] client, [1] server */
	char why[256];      /* the first failure, "" if none */
};

/* ---------------------------------------------------------------- helpers */

__attribute__((format(printf, 2, 3))) static void fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

static uint64_t mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint8_t *random_bytes(uint64_t *x, size_t n)
{
	uint8_t *p = malloc(n);

	for (size_t i = 0; p && i < n; i += 8) {
		uint64_t v = mix(x);
		for (size_t k = 0; k < 8 && i + k < n; k++)
			p[i + k] = (uint8_t)(v >> (8 * k));
	}
	return p;
}

static int count_conn(void *ctx, const struct synack_conn_info *ci)
{
	(void)ci;
	++*(int *)ctx;
	return 0;
}

static int conns(synack_stack *st)
{
	int n = 0;

	synack_stack_foreach_conn(st, count_conn, &n);
	return n;
}

/* ---------------------------------------------------------------- the applications */

static const char *who(int side)
{
	return side ? "server" : "client";
}

static void send_some(struct run *r, int side)
{
	struct side *s = &r->s[side];

	while (s->sent < s->out_len) {
		ssize_t n = synack_sock_send(s->st, s->sock, s->out + s->sent, s->out_len - s->sent);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			fail(r, "%s: send at %zu/%zu: %zd", who(side), s->sent, s->out_len, n);
			return;
		}
		s->sent += (size_t)n;
	}
}

static void recv_some(struct run *r, int side)
{
	struct side *s = &r->s[side];
	uint8_t buf[4096];

	while (!s->eof) {
		ssize_t n = synack_sock_recv(s->st, s->sock, buf, sizeof(buf));
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			fail(r, "%s: recv at %zu/%zu: %zd", who(side), s->got, s->expect_len, n);
			return;
		}
		if (n == 0) {
			s->eof = 1;
			if (s->got != s->expect_len)
				fail(r, "%s: EOF after %zu of %zu bytes", who(side), s->got, s->expect_len);
			return;
		}
		if (s->got + (size_t)n > s->expect_len) {
			fail(r, "%s: %zu bytes past the end of the stream", who(side),
			     s->got + (size_t)n - s->expect_len);
			return;
		}
		if (memcmp(buf, s->expect + s->got, (size_t)n)) {
			size_t k = 0;
			while (buf[k] == s->expect[s->got + k])
				k++;
			fail(r, "%s: byte %zu differs", who(side), s->got + k);
			return;
		}
		s->got += (size_t)n;
	}
}

static void do_close(struct run *r, int side)
{
	struct side *s = &r->s[side];
	int err = synack_sock_close(s->st, s->sock);

	if (err)
		fail(r, "%s: close: %d", who(side), err);
	s->sock = -1;
	s->closed = 1;
}

static void do_shutdown(struct run *r, int side)
{
	struct side *s = &r->s[side];
	int err = synack_sock_shutdown(s->st, s->sock, SYNACK_SHUT_WR);

	if (err)
		fail(r, "%s: shutdown: %d", who(side), err);
	s->shut = 1;
}

static int has_all(const struct side *s)
{
	return s->sent == s->out_len && s->got == s->expect_len;
}

/* Connected and accepted? Also closes the listener once it has served. */
static int connect_phase(struct run *r)
{
	struct side *c = &r->s[0], *sv = &r->s[1];

	if (r->connected && r->lsock < 0)
		return 1;
	if (synack_sock_events(c->st, c->sock) & SYNACK_EV_ERR) {
		int err = 0;
		synack_sock_getopt(c->st, c->sock, SYNACK_SO_ERROR, &err);
		fail(r, "client: connect failed: %d", err);
		return 0;
	}
	if (r->lsock >= 0) {
		int s = synack_sock_accept(sv->st, r->lsock, NULL);
		if (s >= 0) {
			sv->sock = s;
			synack_sock_close(sv->st, r->lsock);
			r->lsock = -1;
		} else if (s != -EAGAIN) {
			fail(r, "server: accept: %d", s);
		}
	}
	if (!r->connected && (synack_sock_events(c->st, c->sock) & SYNACK_EV_OUT))
		r->connected = 1;
	return r->connected && r->lsock < 0;
}

/* The close choreography of each order; see the top of the file. */
static void close_phase(struct run *r)
{
	struct side *c = &r->s[0], *s = &r->s[1];

	switch (r->order) {
	case CLIENT_FIRST:
		if (!c->closed && has_all(c))
			do_close(r, 0);
		if (c->closed && !s->closed && s->eof && has_all(s))
			do_close(r, 1);
		break;
	case SERVER_FIRST:
		if (!s->closed && has_all(s))
			do_close(r, 1);
		if (s->closed && !c->closed && c->eof && has_all(c))
			do_close(r, 0);
		break;
	case BOTH_CLOSE:
		if (!c->closed && has_all(c) && has_all(s)) {
			do_close(r, 0);
			do_close(r, 1);
		}
		break;
	case BOTH_SHUTDOWN:
		if (!c->shut && has_all(c) && has_all(s)) {
			do_shutdown(r, 0);
			do_shutdown(r, 1);
		}
		for (int i = 0; i < 2; i++)
			if (r->s[i].shut && r->s[i].eof && !r->s[i].closed)
				do_close(r, i);
		break;
	case HALF_CLOSE:
		if (!c->shut && c->sent == c->out_len)
			do_shutdown(r, 0);
		if (!s->closed && s->eof && has_all(s))
			do_close(r, 1);
		if (!c->closed && c->eof && has_all(c))
			do_close(r, 0);
		break;
	case NORDERS:
		break;
	}
}

static int step(void *ctx)
{
	struct run *r = ctx;

	if (r->why[0])
		return 1;
	if (!connect_phase(r))
		return r->why[0] != 0;
	for (int i = 0; i < 2; i++) {
		struct side *s = &r->s[i];
		if (s->closed)
			continue;
		/* In half-close, the server answers only after the client's EOF. */
		if (!s->shut && !(r->order == HALF_CLOSE && i == 1 && !s->eof))
			send_some(r, i);
		recv_some(r, i);
		if (!s->closed && s->sock >= 0 && (synack_sock_events(s->st, s->sock) & SYNACK_EV_ERR))
			fail(r, "%s: socket error", who(i));
	}
	close_phase(r);
	return r->why[0] || (r->s[0].closed && r->s[1].closed && conns(r->s[0].st) == 0 &&
			     conns(r->s[1].st) == 0);
}

/* ---------------------------------------------------------------- debugging */

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* SYNACK_VERBOSE=1: every datagram the link sees, tcpdump-like, on stderr. */
static void verbose_tap(void *ctx, uint64_t now, enum synack_sim_fate fate, const uint8_t *pkt,
			size_t len)
{
	static const char *const fates[] = {"sent", "DELIV", "LOST"};
	(void)ctx;

	if (len < 40) {
		fprintf(stderr, "%12.3f %-5s short %zu\n", now / 1000.0, fates[fate], len);
		return;
	}
	const uint8_t *t = pkt + (pkt[0] & 15) * 4;
	size_t hl = (size_t)(pkt[0] & 15) * 4 + (size_t)(t[12] >> 4) * 4;
	size_t tot = (size_t)(pkt[2] << 8 | pkt[3]);
	fprintf(stderr, "%12.3f %-5s %s flags %02x seq %u ack %u len %zd win %u\n", now / 1000.0,
		fates[fate], pkt[15] == 1 ? "c>s" : "s>c", t[13], rd32(t + 4), rd32(t + 8),
		(ssize_t)tot - (ssize_t)hl, (unsigned)(t[14] << 8 | t[15]));
}

/* ---------------------------------------------------------------- one seed */

static int setup(struct run *r)
{
	struct synack_config cfg;
	struct synack_endpoint any = {.port = PORT}, to = {.addr = S_ADDR, .port = PORT};
	int err;

	if ((err = synack_sim_create(r->seed, &r->sim)))
		return err;
	synack_sim_set_default_link(r->sim, &rough);
	const char *v = getenv("SYNACK_VERBOSE");
	if (v && *v == '1')
		synack_sim_set_tap(r->sim, verbose_tap, NULL);
	synack_config_default(&cfg);
	cfg.seed = 0; /* each host's seed comes from the simulator's */
	cfg.msl_us = MSL_US;
	cfg.addr = C_ADDR;
	if ((err = synack_sim_add_host(r->sim, &cfg, &r->s[0].st)))
		return err;
	cfg.addr = S_ADDR;
	if ((err = synack_sim_add_host(r->sim, &cfg, &r->s[1].st)))
		return err;
	if ((r->lsock = synack_sock_open(r->s[1].st)) < 0)
		return r->lsock;
	if ((err = synack_sock_bind(r->s[1].st, r->lsock, &any)) ||
	    (err = synack_sock_listen(r->s[1].st, r->lsock, 4)))
		return err;
	if ((r->s[0].sock = synack_sock_open(r->s[0].st)) < 0)
		return r->s[0].sock;
	err = synack_sock_connect(r->s[0].st, r->s[0].sock, &to);
	return err == -EINPROGRESS ? 0 : err;
}

/* What each side must have seen at the end. */
static void final_checks(struct run *r)
{
	struct side *c = &r->s[0], *s = &r->s[1];
	int need_eof[NORDERS][2] = {
		[CLIENT_FIRST] = {0, 1}, [SERVER_FIRST] = {1, 0}, [BOTH_CLOSE] = {0, 0},
		[BOTH_SHUTDOWN] = {1, 1}, [HALF_CLOSE] = {1, 1},
	};

	if (c->got != c->expect_len || s->got != s->expect_len)
		fail(r, "incomplete: client got %zu/%zu, server got %zu/%zu", c->got, c->expect_len, s->got,
		     s->expect_len);
	for (int i = 0; i < 2; i++)
		if (need_eof[r->order][i] && !r->s[i].eof)
			fail(r, "%s never read EOF", who(i));
}

struct totals {
	uint64_t bytes, retrans, rto, lost, dup, reord, corrupt, delivered, tw, vtime_us;
	int by_order[NORDERS];
};

static void add_totals(struct totals *t, const struct run *r)
{
	struct synack_counters k;
	struct synack_sim_stats st;

	t->bytes += r->s[0].got + r->s[1].got;
	for (int i = 0; i < 2; i++) {
		synack_stack_counters(r->s[i].st, &k);
		t->retrans += k.retrans_segs;
		t->rto += k.rto_timeouts;
		t->tw += k.tw_entered;
	}
	synack_sim_stats(r->sim, &st);
	t->lost += st.lost;
	t->dup += st.duplicated;
	t->reord += st.reordered;
	t->corrupt += st.corrupted;
	t->delivered += st.delivered;
	t->vtime_us += synack_sim_now(r->sim);
	t->by_order[r->order]++;
}

static int print_conn(void *ctx, const struct synack_conn_info *ci)
{
	char l[32], p[32];

	fprintf(stderr, "    %s %-12s %s -> %s sendq %u recvq %u timer %s\n", (const char *)ctx,
		synack_state_name(ci->state), synack_endpoint_str(&ci->local, l, sizeof(l)),
		synack_endpoint_str(&ci->remote, p, sizeof(p)), ci->send_queue, ci->recv_queue,
		synack_timer_name(ci->timer));
	return 0;
}

/* Runs one seed; 0 if it passed. */
static int run_seed(uint64_t seed, struct totals *t)
{
	struct run r = {.seed = seed, .lsock = -1, .s = {{.sock = -1}, {.sock = -1}}};
	uint64_t x = seed * 0x2545f4914f6cdd1dull + 1;
	int ok;

	r.order = (enum order)(mix(&x) % NORDERS);
	size_t n = MIN_BYTES + mix(&x) % (MAX_BYTES - MIN_BYTES + 1);
	size_t m = MIN_BYTES + mix(&x) % (MAX_BYTES - MIN_BYTES + 1);
	r.s[0].out = random_bytes(&x, n);
	r.s[1].out = random_bytes(&x, m);
	r.s[0].out_len = r.s[1].expect_len = n;
	r.s[1].out_len = r.s[0].expect_len = m;
	r.s[0].expect = r.s[1].out;
	r.s[1].expect = r.s[0].out;
	int err = setup(&r);
	if (err)
		fail(&r, "setup: %d", err);
	else if (!synack_sim_run(r.sim, step, &r, DEADLINE))
		fail(&r, "not finished after %llu s of virtual time (client got %zu/%zu, server %zu/%zu)",
		     (unsigned long long)(DEADLINE / SEC), r.s[0].got, m, r.s[1].got, n);
	if (!r.why[0])
		final_checks(&r);
	ok = !r.why[0];
	if (!ok) {
		fprintf(stderr, "FAILED seed %llu (%s, client sends %zu, server sends %zu) at %.3f ms: %s\n",
			(unsigned long long)seed, order_names[r.order], n, m,
			r.sim ? synack_sim_now(r.sim) / 1000.0 : 0.0, r.why);
		if (r.sim) {
			synack_stack_foreach_conn(r.s[0].st, print_conn, "client");
			synack_stack_foreach_conn(r.s[1].st, print_conn, "server");
		}
	} else {
		add_totals(t, &r);
	}
	synack_sim_destroy(r.sim);
	free(r.s[0].out);
	free(r.s[1].out);
	return ok ? 0 : -1;
}

/* ---------------------------------------------------------------- the test */

TEST(thousand_seeds_byte_integrity)
{
	struct totals t = {0};
	uint64_t first = 1, count = NSEEDS;
	const char *one = getenv("SYNACK_SEED"), *many = getenv("SYNACK_SEEDS");
	int failed = 0;
	uint64_t failing[10];
	clock_t c0 = clock();

	if (one && *one) {
		first = strtoull(one, NULL, 10);
		count = 1;
	} else if (many && *many) {
		count = strtoull(many, NULL, 10);
	}
	for (uint64_t seed = first; seed < first + count; seed++) {
		if (run_seed(seed, &t) == 0)
			continue;
		if (failed < 10)
			failing[failed] = seed;
		failed++;
	}
	printf("sim seeds: %llu seeds, %d failed; %llu bytes delivered intact; %llu retransmissions "
	       "(%llu RTO); link: %llu delivered, %llu lost, %llu duplicated, %llu held back, "
	       "%llu corrupted; %llu TIME-WAITs; %.0f s virtual, %.1f s CPU\n",
	       (unsigned long long)count, failed, (unsigned long long)t.bytes,
	       (unsigned long long)t.retrans, (unsigned long long)t.rto, (unsigned long long)t.delivered,
	       (unsigned long long)t.lost, (unsigned long long)t.dup, (unsigned long long)t.reord,
	       (unsigned long long)t.corrupt, (unsigned long long)t.tw, t.vtime_us / 1e6,
	       (double)(clock() - c0) / CLOCKS_PER_SEC);
	printf("by close order:");
	for (int i = 0; i < NORDERS; i++)
		printf(" %s %d", order_names[i], t.by_order[i]);
	printf("\n");
	if (failed) {
		fprintf(stderr, "failing seeds (first %d):", failed < 10 ? failed : 10);
		for (int i = 0; i < failed && i < 10; i++)
			fprintf(stderr, " %llu", (unsigned long long)failing[i]);
		fprintf(stderr, "\nreproduce one with: SYNACK_SEED=<seed> %s\n", "tests/test_sim_seeds");
	}
	CHECK_EQ(failed, 0);
}
