/*
 * test_fastpath.c: header prediction (src/tcp/fastpath.c).
 *
 * First, which segments take the fast path (counted in hp_hits for data and
 * hp_acks for pure ACKs, Linux's TCPHPHits/TCPHPAcks) and which must not.
 * Then the invariant that makes the fast path safe: the same seeded
 * simulations run with header prediction on and off (st->fastpath_off, set
 * only here) put exactly the same datagrams on the links at the same
 * virtual times, byte for byte, over clean and rough links, with and
 * without timestamps, window scaling, SACK and ECN, in both directions and through every close order.
 * The same switch turns off RACK's closed forms (src/tcp/rack.c: the
 * cumulative ACK of in-order records, the loss check with nothing to
 * judge), which a second differential drives with bulk transfers through
 * loss and reordering.
 */
#include "check.h"
#include "stack/stack.h"
#include "synack/sim.h"
#include "tcp_fixture.h"

#define PEER_ISS 5000u

static uint8_t pat[4096];

__attribute__((constructor)) static void pat_init(void)
{
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 131 + 7);
}

static void peer_data(struct fx *f, uint32_t off, uint32_t n, uint8_t extra)
{
	fx_in(f, &(struct fx_seg){.flags = (uint8_t)(SN_TCP_ACK | extra),
				  .seq = f->peer_iss + 1 + off, .ack = f->our_iss + 1,
				  .wnd = 65535, .data = pat + off, .len = n});
}

static struct synack_counters ctr(struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c;
}

/* In-order data and pure ACKs of new data on ESTABLISHED are predicted;
 * the data is delivered and every second segment is ACKed (SHLD-19), as
 * the full steps do. */
TEST(hp_in_order_data_and_pure_ack_are_predicted)
{
	struct fx f;
	struct sn_tcp_seg o;
	uint8_t buf[512];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	CHECK(s >= 0);
	peer_data(&f, 0, 100, 0);
	CHECK_EQ(fx_pending(&f), 0); /* the first segment's ACK is delayed */
	peer_data(&f, 100, 100, SN_TCP_PSH);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 200);
	CHECK_EQ(ctr(&f).hp_hits, 2);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 200);
	CHECK(memcmp(buf, pat, 200) == 0);

	CHECK_EQ(synack_sock_send(f.st, s, pat, 300), 300);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.len, 300);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 201,
				   .ack = f.our_iss + 1 + 300, .wnd = 65535});
	CHECK_EQ(ctr(&f).hp_acks, 1);
	struct synack_tcp_info ti;
	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	CHECK_EQ(ti.snd_una, f.our_iss + 1 + 300);
	fx_free(&f);
}

/* Anything unusual takes the full steps: out-of-order data, URG, FIN, a
 * duplicate ACK, an ACK of unsent data, a segment with a SYN-only option,
 * in-order data while out-of-order data is queued, a FIN. */
TEST(hp_unusual_segments_take_the_full_steps)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	CHECK(s >= 0);
	peer_data(&f, 100, 100, 0);                       /* past a hole */
	peer_data(&f, 0, 50, SN_TCP_URG);                 /* urgent */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1,
				   .ack = f.our_iss + 1, .wnd = 65535}); /* nothing new */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1,
				   .ack = f.our_iss + 9, .wnd = 65535}); /* unsent */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = f.our_iss + 1,
				   .wnd = 65535, .mss = 1000, .data = pat, .len = 10});
	CHECK_EQ(ctr(&f).hp_hits, 0);
	CHECK_EQ(ctr(&f).hp_acks, 0);
	fx_flush(&f);
	peer_data(&f, 0, 100, 0);                         /* fills the hole */
	peer_data(&f, 200, 0, SN_TCP_FIN);                /* FIN */
	CHECK_EQ(ctr(&f).hp_hits, 0);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSE_WAIT);
	fx_free(&f);
}

/* The switch the differential test below uses really turns it off. */
TEST(hp_switch_off)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	f.st->fastpath_off = 1;
	CHECK(fx_passive_established(&f, PEER_ISS) >= 0);
	peer_data(&f, 0, 100, 0);
	peer_data(&f, 100, 100, 0);
	CHECK_EQ(ctr(&f).hp_hits, 0);
	fx_free(&f);
}

/* ---------------------------------------------------------------- differential */

#define C_ADDR 0x0a000001u
#define S_ADDR 0x0a000002u
#define SEC 1000000ull
#define NSEEDS 400

struct trace {
	uint8_t *buf;
	size_t len, cap;
};

static void trace_put(struct trace *t, const void *p, size_t n)
{
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 1 << 20;
		while (cap < t->len + n)
			cap *= 2;
		uint8_t *b = realloc(t->buf, cap);
		if (!b)
			abort();
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

/* Every datagram, with its time and fate. */
static void tap(void *ctx, uint64_t now, enum synack_sim_fate fate, const uint8_t *pkt, size_t len)
{
	struct trace *t = ctx;
	uint64_t hdr[3] = {now, (uint64_t)fate, (uint64_t)len};

	trace_put(t, hdr, sizeof(hdr));
	trace_put(t, pkt, len);
}

struct drv {
	synack_stack *st[2];
	int sock[2], lsock;
	size_t want[2], sent[2], got[2]; /* want[i]: bytes side i sends */
	int closed[2], server_first;
};

static void pump(struct drv *d, int i)
{
	uint8_t buf[2048];
	ssize_t n;

	while (d->sent[i] < d->want[i]) {
		size_t k = d->want[i] - d->sent[i];
		n = synack_sock_send(d->st[i], d->sock[i], pat, k < sizeof(pat) ? k : sizeof(pat));
		if (n <= 0)
			break;
		d->sent[i] += (size_t)n;
	}
	while ((n = synack_sock_recv(d->st[i], d->sock[i], buf, sizeof(buf))) > 0)
		d->got[i] += (size_t)n;
}

static int drv_step(void *ctx)
{
	struct drv *d = ctx;

	if (d->sock[1] < 0) {
		d->sock[1] = synack_sock_accept(d->st[1], d->lsock, NULL);
		if (d->sock[1] < 0)
			return 0;
	}
	for (int i = 0; i < 2; i++) {
		if (d->closed[i])
			continue;
		pump(d, i);
		int first = d->server_first ? 1 : 0;
		int done = d->sent[i] == d->want[i] && d->got[i] == d->want[!i];
		if (done && (i == first || d->closed[first])) {
			synack_sock_close(d->st[i], d->sock[i]);
			d->closed[i] = 1;
		}
	}
	return 0;
}

/* One seeded run; returns its trace and how often the fast path ran. */
static void run(uint64_t seed, int fast, struct trace *t, uint64_t *hp)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull;
	struct synack_impair_params rough = {.delay_us = 5000, .jitter_us = 2000, .loss_ppm = 20000,
					     .dup_ppm = 10000, .reorder_ppm = 20000,
					     .reorder_us = 20000, .corrupt_ppm = 5000,
					     .ce_ppm = 20000};
	struct synack_impair_params clean = {.delay_us = 1000};
	struct synack_config cfg;
	struct drv d = {.sock = {-1, -1}};
	synack_sim *sim;

	CHECK_EQ(synack_sim_create(seed, &sim), 0);
	synack_sim_set_default_link(sim, (seed & 1) ? &rough : &clean);
	synack_sim_set_tap(sim, tap, t);
	synack_config_default(&cfg);
	cfg.seed = 0;
	cfg.msl_us = 2 * SEC;
	cfg.tcp_timestamps = (seed >> 1) & 1;
	cfg.tcp_window_scaling = (seed >> 2) & 1;
	cfg.tcp_sack = (seed >> 3) & 1;
	cfg.tcp_ecn = (seed >> 4) & 1;
	cfg.addr = C_ADDR;
	CHECK_EQ(synack_sim_add_host(sim, &cfg, &d.st[0]), 0);
	cfg.addr = S_ADDR;
	CHECK_EQ(synack_sim_add_host(sim, &cfg, &d.st[1]), 0);
	d.st[0]->fastpath_off = d.st[1]->fastpath_off = !fast;
	x ^= x >> 29;
	d.want[0] = 1000 + (size_t)(x % 60000);
	d.want[1] = (size_t)((x >> 20) % 60000);
	d.server_first = (int)((x >> 40) & 1);
	d.lsock = synack_sock_open(d.st[1]);
	struct synack_endpoint any = {.port = 80}, to = {.addr = S_ADDR, .port = 80};
	CHECK_EQ(synack_sock_bind(d.st[1], d.lsock, &any), 0);
	CHECK_EQ(synack_sock_listen(d.st[1], d.lsock, 4), 0);
	d.sock[0] = synack_sock_open(d.st[0]);
	CHECK_EQ(synack_sock_connect(d.st[0], d.sock[0], &to), -EINPROGRESS);
	synack_sim_run(sim, drv_step, &d, 120 * SEC);
	CHECK_EQ(d.got[1], d.want[0]); /* the run did its work */
	CHECK_EQ(d.got[0], d.want[1]);
	struct synack_counters c0, c1;
	synack_stack_counters(d.st[0], &c0);
	synack_stack_counters(d.st[1], &c1);
	*hp = c0.hp_hits + c0.hp_acks + c1.hp_hits + c1.hp_acks;
	synack_sim_destroy(sim);
}

TEST(hp_on_and_off_send_identical_datagrams)
{
	struct trace on = {0}, off = {0};
	uint64_t hp_on = 0, hp_off = 0, hp_total = 0, bytes = 0;
	int differ = 0;
	const char *env = getenv("SYNACK_SEEDS");
	uint64_t n = env && *env ? strtoull(env, NULL, 10) : NSEEDS;

	for (uint64_t seed = 1; seed <= n; seed++) {
		on.len = off.len = 0;
		run(seed, 1, &on, &hp_on);
		run(seed, 0, &off, &hp_off);
		CHECK_EQ(hp_off, 0);
		hp_total += hp_on;
		bytes += on.len;
		if (on.len != off.len || memcmp(on.buf, off.buf, on.len) != 0) {
			if (differ++ < 5)
				fprintf(stderr, "seed %llu: traces differ (%zu vs %zu bytes)\n",
					(unsigned long long)seed, on.len, off.len);
		}
	}
	printf("fast path differential: %llu seeds, %llu trace bytes each way, %llu segments "
	       "predicted, %d seeds differ\n",
	       (unsigned long long)n, (unsigned long long)bytes, (unsigned long long)hp_total, differ);
	free(on.buf);
	free(off.buf);
	CHECK_EQ(differ, 0);
	CHECK(hp_total > n * 10); /* not vacuous: most segments were predicted */
}

/* ---------------------------------------------------------------- RACK's closed forms */

#define RACK_SEEDS 24

/* One seeded bulk transfer each way (the client sends 150-350 KB, the
 * server up to 20 KB) over a 20 ms round trip with 3% loss, 3% reordering
 * by 8 ms and 1% duplication, SACK, timestamps and RACK-TLP on: every kind
 * of ACK RACK sees (cumulative, SACK news, D-SACKs, lost retransmissions,
 * probes, timeouts). */
static void run_rack(uint64_t seed, int fast, struct trace *t, uint64_t *closed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull;
	struct synack_impair_params link = {.delay_us = 10000, .jitter_us = 1000,
					    .loss_ppm = 30000, .dup_ppm = 10000,
					    .reorder_ppm = 30000, .reorder_us = 8000};
	struct synack_config cfg;
	struct drv d = {.sock = {-1, -1}};
	synack_sim *sim;

	CHECK_EQ(synack_sim_create(seed, &sim), 0);
	synack_sim_set_default_link(sim, &link);
	synack_sim_set_tap(sim, tap, t);
	synack_config_default(&cfg);
	cfg.seed = 0;
	cfg.msl_us = 2 * SEC;
	cfg.sndbuf = cfg.rcvbuf = 128 * 1024;
	cfg.addr = C_ADDR;
	CHECK_EQ(synack_sim_add_host(sim, &cfg, &d.st[0]), 0);
	cfg.addr = S_ADDR;
	CHECK_EQ(synack_sim_add_host(sim, &cfg, &d.st[1]), 0);
	d.st[0]->fastpath_off = d.st[1]->fastpath_off = !fast;
	x ^= x >> 29;
	d.want[0] = 150000 + (size_t)(x % 200000);
	d.want[1] = (size_t)((x >> 20) % 20000);
	d.server_first = (int)((x >> 40) & 1);
	d.lsock = synack_sock_open(d.st[1]);
	struct synack_endpoint any = {.port = 80}, to = {.addr = S_ADDR, .port = 80};
	CHECK_EQ(synack_sock_bind(d.st[1], d.lsock, &any), 0);
	CHECK_EQ(synack_sock_listen(d.st[1], d.lsock, 4), 0);
	d.sock[0] = synack_sock_open(d.st[0]);
	CHECK_EQ(synack_sock_connect(d.st[0], d.sock[0], &to), -EINPROGRESS);
	synack_sim_run(sim, drv_step, &d, 300 * SEC);
	CHECK_EQ(d.got[1], d.want[0]);
	CHECK_EQ(d.got[0], d.want[1]);
	*closed = d.st[0]->rack_closed_forms + d.st[1]->rack_closed_forms;
	synack_sim_destroy(sim);
}

/* RFC 8985 as written (every record walked on every ACK) and with the
 * closed forms put the same datagrams on the wire at the same times. */
TEST(rack_closed_forms_send_identical_datagrams)
{
	struct trace on = {0}, off = {0};
	uint64_t closed_on = 0, closed_off = 0, closed = 0;
	int differ = 0;
	const char *env = getenv("SYNACK_RACK_SEEDS");
	uint64_t n = env && *env ? strtoull(env, NULL, 10) : RACK_SEEDS;

	for (uint64_t seed = 1; seed <= n; seed++) {
		on.len = off.len = 0;
		run_rack(seed, 1, &on, &closed_on);
		run_rack(seed, 0, &off, &closed_off);
		CHECK_EQ(closed_off, 0);
		closed += closed_on;
		if (on.len != off.len || memcmp(on.buf, off.buf, on.len) != 0) {
			if (differ++ < 5)
				fprintf(stderr, "seed %llu: traces differ (%zu vs %zu bytes)\n",
					(unsigned long long)seed, on.len, off.len);
		}
	}
	printf("RACK closed forms differential: %llu seeds, %llu closed forms taken, %d seeds "
	       "differ\n", (unsigned long long)n, (unsigned long long)closed, differ);
	free(on.buf);
	free(off.buf);
	CHECK_EQ(differ, 0);
	CHECK(closed > n * 100); /* not vacuous */
}
