/*
 * test_sim.c: the network simulator (include/synack/sim.h) with two real
 * stacks, through the public socket API only.
 *
 * Cases: a whole connection (handshake, data both ways, close, both sides
 * CLOSED after 2*MSL) on a clean link; the same run over an impaired link is
 * reproducible from its seed, byte for byte on the tap, and another seed
 * gives another run; datagrams to an address nobody has are lost and
 * counted; the statistics add up (duplicates, corruption caught by the
 * stacks' checksums, one-way loss).
 */
#include <errno.h>

#include "check.h"
#include "synack/sim.h"

#define A_ADDR 0x0a000001u /* 10.0.0.1, the client */
#define B_ADDR 0x0a000002u /* 10.0.0.2, the server */
#define PORT 80
#define MSL_US 2000000u
#define SEC 1000000ull

/* Two hosts, a listener on B:80 and a client socket connecting from A. */
struct net {
	synack_sim *sim;
	synack_stack *a, *b;
	int lsock;           /* B's listener, -1 once closed */
	int cs, ss;          /* client and server connections, -1 when closed */
	int established;     /* both ends have been seen connected */
};

/* link: every direction; a_to_b, if not NULL: the client's direction. */
static int net_open(struct net *n, uint64_t seed, const struct synack_impair_params *link,
		    const struct synack_impair_params *a_to_b)
{
	struct synack_config cfg;
	struct synack_endpoint any = {.addr = 0, .port = PORT}, to = {.addr = B_ADDR, .port = PORT};
	int err;

	*n = (struct net){.lsock = -1, .cs = -1, .ss = -1};
	if ((err = synack_sim_create(seed, &n->sim)))
		return err;
	if (link)
		synack_sim_set_default_link(n->sim, link);
	if (a_to_b && (err = synack_sim_set_link(n->sim, A_ADDR, B_ADDR, a_to_b)))
		return err;
	synack_config_default(&cfg);
	cfg.seed = 0; /* each host's seed comes from the simulator's */
	cfg.msl_us = MSL_US;
	cfg.addr = A_ADDR;
	if ((err = synack_sim_add_host(n->sim, &cfg, &n->a)))
		return err;
	cfg.addr = B_ADDR;
	if ((err = synack_sim_add_host(n->sim, &cfg, &n->b)))
		return err;
	if ((n->lsock = synack_sock_open(n->b)) < 0)
		return n->lsock;
	if ((err = synack_sock_bind(n->b, n->lsock, &any)) || (err = synack_sock_listen(n->b, n->lsock, 4)))
		return err;
	if ((n->cs = synack_sock_open(n->a)) < 0)
		return n->cs;
	err = synack_sock_connect(n->a, n->cs, &to);
	return err == -EINPROGRESS ? 0 : err;
}

/* done(): the client is connected and the server has accepted. */
static int net_established(void *ctx)
{
	struct net *n = ctx;

	if (n->established)
		return 1;
	if (n->ss < 0) {
		int s = synack_sock_accept(n->b, n->lsock, NULL);
		if (s >= 0)
			n->ss = s;
	}
	n->established = n->ss >= 0 && (synack_sock_events(n->a, n->cs) & SYNACK_EV_OUT);
	return n->established;
}

static int count_conn(void *ctx, const struct synack_conn_info *ci)
{
	(void)ci;
	++*(int *)ctx;
	return 0;
}

static int conns(synack_stack *st)
{
	int k = 0;

	synack_stack_foreach_conn(st, count_conn, &k);
	return k;
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

/* For failure reports: what is left on both hosts. */
static void net_dump(struct net *n)
{
	synack_stack_foreach_conn(n->a, print_conn, "client");
	synack_stack_foreach_conn(n->b, print_conn, "server");
}

static int net_all_closed(void *ctx)
{
	struct net *n = ctx;

	return conns(n->a) == 0 && conns(n->b) == 0;
}

/* ---------------------------------------------------------------- a transfer */

/*
 * Client sends `len` bytes, server sends `len` bytes back, each reads all
 * of the other's, then the client closes and the server closes on EOF.
 */
struct xfer {
	struct net *n;
	size_t len;
	size_t sent[2], got[2]; /* [0] client, [1] server */
	int eof[2], closed[2], error;
};

static uint8_t pattern(int side, size_t i)
{
	return (uint8_t)(i * 31 + (size_t)side * 101 + (i >> 8));
}

static void xfer_send(struct xfer *x, int side)
{
	synack_stack *st = side ? x->n->b : x->n->a;
	int s = side ? x->n->ss : x->n->cs;
	uint8_t buf[1024];

	while (x->sent[side] < x->len) {
		size_t k = x->len - x->sent[side] < sizeof(buf) ? x->len - x->sent[side] : sizeof(buf);
		for (size_t i = 0; i < k; i++)
			buf[i] = pattern(side, x->sent[side] + i);
		ssize_t r = synack_sock_send(st, s, buf, k);
		if (r == -EAGAIN)
			return;
		if (r <= 0) {
			x->error = (int)r;
			return;
		}
		x->sent[side] += (size_t)r;
	}
}

static void xfer_recv(struct xfer *x, int side)
{
	synack_stack *st = side ? x->n->b : x->n->a;
	int s = side ? x->n->ss : x->n->cs;
	uint8_t buf[1500];

	for (;;) {
		ssize_t r = synack_sock_recv(st, s, buf, sizeof(buf));
		if (r == -EAGAIN)
			return;
		if (r < 0) {
			x->error = (int)r;
			return;
		}
		if (r == 0) {
			x->eof[side] = 1;
			return;
		}
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != pattern(1 - side, x->got[side] + (size_t)i))
				x->error = -EBADMSG;
		x->got[side] += (size_t)r;
	}
}

static int xfer_step(void *ctx)
{
	struct xfer *x = ctx;

	if (x->error)
		return 1;
	if (!net_established(x->n))
		return 0;
	for (int side = 0; side < 2; side++) {
		if (x->closed[side])
			continue;
		xfer_send(x, side);
		xfer_recv(x, side);
	}
	if (!x->closed[0] && x->got[0] == x->len && x->sent[0] == x->len) {
		synack_sock_close(x->n->a, x->n->cs);
		x->closed[0] = 1;
	}
	if (!x->closed[1] && x->eof[1] && x->sent[1] == x->len) {
		synack_sock_close(x->n->b, x->n->ss);
		synack_sock_close(x->n->b, x->n->lsock);
		x->closed[1] = 1;
	}
	return x->closed[0] && x->closed[1] && net_all_closed(x->n);
}

/* FNV-1a over everything the tap sees. */
static void tap_hash(void *ctx, uint64_t now, enum synack_sim_fate fate, const uint8_t *pkt, size_t len)
{
	uint64_t *h = ctx;
	uint8_t head[9];

	for (int i = 0; i < 8; i++)
		head[i] = (uint8_t)(now >> (8 * i));
	head[8] = (uint8_t)fate;
	for (size_t i = 0; i < sizeof(head); i++)
		*h = (*h ^ head[i]) * 1099511628211ull;
	for (size_t i = 0; i < len; i++)
		*h = (*h ^ pkt[i]) * 1099511628211ull;
}

static const struct synack_impair_params rough = {
	.delay_us = 5000, .jitter_us = 2000, .loss_ppm = 30000, .dup_ppm = 20000,
	.reorder_ppm = 30000, .reorder_us = 20000, .corrupt_ppm = 20000,
};

/* A full transfer over the rough link; the tap's digest, or 0 on failure. */
static uint64_t rough_run_digest(uint64_t seed, size_t len)
{
	struct net n;
	struct xfer x = {.n = &n, .len = len};
	uint64_t h = 1469598103934665603ull;

	if (net_open(&n, seed, &rough, NULL)) {
		synack_sim_destroy(n.sim);
		return 0;
	}
	synack_sim_set_tap(n.sim, tap_hash, &h);
	int done = synack_sim_run(n.sim, xfer_step, &x, 600 * SEC);
	if (!done || x.error || x.got[0] != len || x.got[1] != len) {
		fprintf(stderr, "seed %llu: done %d error %d got %zu/%zu of %zu, eof %d/%d closed %d/%d\n",
			(unsigned long long)seed, done, x.error, x.got[0], x.got[1], len, x.eof[0], x.eof[1],
			x.closed[0], x.closed[1]);
		net_dump(&n);
		h = 0;
	}
	synack_sim_destroy(n.sim);
	return h;
}

/* ---------------------------------------------------------------- cases */

TEST(handshake_data_close_clean_link)
{
	struct synack_impair_params link = {.delay_us = 10000};
	struct net n;
	struct xfer x = {.n = &n, .len = 3000};
	struct synack_tcp_info ci;

	CHECK_EQ(net_open(&n, 1, &link, NULL), 0);
	CHECK(synack_sim_run(n.sim, net_established, &n, 10 * SEC));
	/* SYN, SYN-ACK, ACK: the server has its connection after 30 ms. */
	CHECK_EQ(synack_sim_now(n.sim), 30000);
	CHECK_EQ(synack_sock_info(n.a, n.cs, &ci), 0);
	CHECK_EQ(ci.state, SYNACK_ESTABLISHED);
	CHECK_EQ(ci.remote.addr, B_ADDR);
	CHECK_EQ(ci.remote.port, PORT);

	CHECK(synack_sim_run(n.sim, xfer_step, &x, 100 * SEC));
	CHECK_EQ(x.error, 0);
	CHECK_EQ(x.got[0], 3000);
	CHECK_EQ(x.got[1], 3000);

	/* The client closed first: it spent 2*MSL in TIME-WAIT. */
	struct synack_counters ca, cb;
	synack_stack_counters(n.a, &ca);
	synack_stack_counters(n.b, &cb);
	CHECK_EQ(ca.tw_entered, 1);
	CHECK_EQ(ca.tw_expired, 1);
	CHECK_EQ(cb.tw_entered, 0);
	CHECK_EQ(ca.transitions[SYNACK_FIN_WAIT_2][SYNACK_TIME_WAIT], 1);
	CHECK_EQ(cb.transitions[SYNACK_CLOSE_WAIT][SYNACK_LAST_ACK], 1);
	CHECK_EQ(ca.retrans_segs + cb.retrans_segs, 0);
	CHECK(synack_sim_now(n.sim) >= 2 * MSL_US);
	CHECK(synack_sim_now(n.sim) < 2 * MSL_US + 2 * SEC);
	CHECK_EQ(synack_sim_next_event(n.sim), UINT64_MAX); /* nothing left to do */

	struct synack_sim_stats s;
	synack_sim_stats(n.sim, &s);
	CHECK_EQ(s.sent, s.delivered);
	CHECK_EQ(s.lost + s.duplicated + s.reordered + s.corrupted, 0);
	CHECK_EQ(s.sent, ca.ip_out + cb.ip_out);
	synack_sim_destroy(n.sim);
}

TEST(clock_moves_only_forward)
{
	synack_sim *sim;

	CHECK_EQ(synack_sim_create(3, &sim), 0);
	CHECK_EQ(synack_sim_now(sim), 0);
	CHECK_EQ(synack_sim_next_event(sim), UINT64_MAX);
	CHECK_EQ(synack_sim_step(sim, 5000), 0);
	CHECK_EQ(synack_sim_now(sim), 5000);
	synack_sim_run_until(sim, 1000); /* not backwards */
	CHECK_EQ(synack_sim_now(sim), 5000);
	synack_sim_run_until(sim, 9000);
	CHECK_EQ(synack_sim_now(sim), 9000);
	synack_sim_destroy(sim);
}

TEST(add_host_rejects_duplicates)
{
	synack_sim *sim;
	struct synack_config cfg;
	synack_stack *st;

	CHECK_EQ(synack_sim_create(3, &sim), 0);
	synack_config_default(&cfg);
	cfg.addr = A_ADDR;
	CHECK_EQ(synack_sim_add_host(sim, &cfg, &st), 0);
	CHECK_EQ(synack_sim_add_host(sim, &cfg, &st), -EEXIST);
	cfg.addr = 0;
	CHECK_EQ(synack_sim_add_host(sim, &cfg, &st), -EINVAL);
	synack_sim_destroy(sim);
}

TEST(same_seed_same_run_other_seed_other_run)
{
	uint64_t h1 = rough_run_digest(7, 20000);
	uint64_t h2 = rough_run_digest(7, 20000);
	uint64_t h3 = rough_run_digest(8, 20000);

	CHECK(h1 != 0 && h3 != 0);
	CHECK(h1 == h2);
	CHECK(h1 != h3);
}

struct lost_count {
	int lost_to_unknown, sent;
};

static void tap_unknown(void *ctx, uint64_t now, enum synack_sim_fate fate, const uint8_t *pkt, size_t len)
{
	struct lost_count *c = ctx;
	uint32_t dst = len >= 20 ? (uint32_t)pkt[16] << 24 | (uint32_t)pkt[17] << 16 |
					   (uint32_t)pkt[18] << 8 | pkt[19]
				 : 0;

	(void)now;
	c->sent += fate == SYNACK_SIM_SENT;
	c->lost_to_unknown += fate == SYNACK_SIM_LOST && dst == 0x0a000063;
}

TEST(datagram_to_unknown_address_is_lost)
{
	synack_sim *sim;
	synack_stack *a;
	struct synack_config cfg;
	struct lost_count c = {0};
	struct synack_endpoint nobody = {.addr = 0x0a000063, .port = PORT}; /* 10.0.0.99 */

	CHECK_EQ(synack_sim_create(5, &sim), 0);
	synack_sim_set_tap(sim, tap_unknown, &c);
	synack_config_default(&cfg);
	cfg.addr = A_ADDR;
	CHECK_EQ(synack_sim_add_host(sim, &cfg, &a), 0);
	int s = synack_sock_open(a);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_connect(a, s, &nobody), -EINPROGRESS);
	synack_sim_run_until(sim, 2 * SEC); /* the SYN and at least one retransmission */

	struct synack_sim_stats st;
	synack_sim_stats(sim, &st);
	CHECK(c.lost_to_unknown >= 2);
	CHECK_EQ(c.lost_to_unknown, c.sent);
	CHECK_EQ(st.lost, (uint64_t)c.sent);
	CHECK_EQ(st.sent, (uint64_t)c.sent);
	CHECK_EQ(st.delivered, 0);
	synack_sim_destroy(sim);
}

/* Run a handshake, then let everything in flight land. */
static int settle_after_handshake(struct net *n)
{
	if (!synack_sim_run(n->sim, net_established, n, 60 * SEC))
		return -1;
	synack_sim_run_until(n->sim, synack_sim_now(n->sim) + 5 * SEC);
	return 0;
}

TEST(stats_count_duplicates)
{
	struct synack_impair_params link = {.delay_us = 1000, .dup_ppm = 1000000};
	struct net n;
	struct synack_sim_stats s;

	CHECK_EQ(net_open(&n, 11, &link, NULL), 0);
	CHECK_EQ(settle_after_handshake(&n), 0);
	synack_sim_stats(n.sim, &s);
	CHECK(s.sent >= 3);
	CHECK_EQ(s.duplicated, s.sent);
	CHECK_EQ(s.delivered, 2 * s.sent);
	CHECK_EQ(s.lost, 0);
	synack_sim_destroy(n.sim);
}

TEST(corruption_is_counted_and_caught_by_checksums)
{
	/* Every copy corrupted: nothing can get through, every one is dropped. */
	struct synack_impair_params link = {.delay_us = 1000, .corrupt_ppm = 1000000};
	struct net n;
	struct synack_sim_stats s;
	struct synack_counters ca, cb;

	CHECK_EQ(net_open(&n, 13, &link, NULL), 0);
	synack_sim_run_until(n.sim, 5 * SEC);
	synack_sim_stats(n.sim, &s);
	synack_stack_counters(n.a, &ca);
	synack_stack_counters(n.b, &cb);
	uint64_t drops = 0;
	for (int i = 0; i < SYNACK_DROP_MAX; i++)
		drops += ca.drops[i] + cb.drops[i];
	CHECK(s.delivered >= 2);
	CHECK(s.corrupted >= s.delivered && s.corrupted <= s.delivered + 2); /* some may be in flight */
	CHECK_EQ(drops, s.delivered);
	CHECK_EQ(cb.passive_opens, 0);
	synack_sim_destroy(n.sim);
}

TEST(one_way_loss_per_link)
{
	/* A -> B loses everything, B -> A is clean: B never hears a SYN. */
	struct synack_impair_params all_lost = {.loss_ppm = 1000000}, clean = {.delay_us = 1000};
	struct net n;
	struct synack_sim_stats s;
	struct synack_counters cb;

	CHECK_EQ(net_open(&n, 17, &clean, &all_lost), 0);
	synack_sim_run_until(n.sim, 5 * SEC);
	synack_sim_stats(n.sim, &s);
	synack_stack_counters(n.b, &cb);
	CHECK(s.sent >= 2);
	CHECK_EQ(s.lost, s.sent);
	CHECK_EQ(cb.ip_in, 0);
	synack_sim_destroy(n.sim);
}

/* done(): both sides have every byte they sent acknowledged. */
static int net_all_acked(void *ctx)
{
	struct net *n = ctx;
	struct synack_tcp_info ia, ib;

	if (synack_sock_info(n->a, n->cs, &ia) || synack_sock_info(n->b, n->ss, &ib))
		return 0;
	return ia.send_queue == 0 && ib.send_queue == 0;
}

/*
 * Both sides retransmit at once after their ACKs were lost (RFC 9293
 * §3.10.7.4 and the BSD snd_max rule): each side sends three segments,
 * which arrive, but every ACK for them is lost in a blackout of both
 * directions. Both sides time out and go back to SND.UNA. After the
 * blackout, each side's pure ACKs must still carry a sequence number the
 * other side finds acceptable (SND.MAX, not the rewound SND.NXT), or each
 * answers the other's "unacceptable" ACK with another one forever and
 * neither ever learns that its data arrived.
 */
TEST(both_sides_recover_after_lost_acks)
{
	struct synack_impair_params clean = {.delay_us = 10000}, black = {.loss_ppm = 1000000};
	struct net n;
	static uint8_t buf[3 * 1460];
	struct synack_sim_stats s;

	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(net_open(&n, 23, &clean, NULL), 0);
	CHECK(synack_sim_run(n.sim, net_established, &n, 10 * SEC));
	CHECK_EQ(synack_sock_send(n.a, n.cs, buf, sizeof(buf)), sizeof(buf));
	CHECK_EQ(synack_sock_send(n.b, n.ss, buf, sizeof(buf)), sizeof(buf));
	/* The data is on its way (decided at send time); now lose every ACK. */
	synack_sim_run_until(n.sim, synack_sim_now(n.sim) + 5000);
	synack_sim_set_default_link(n.sim, &black);
	synack_sim_run_until(n.sim, synack_sim_now(n.sim) + 1500000);
	synack_sim_set_default_link(n.sim, &clean);
	int done = synack_sim_run(n.sim, net_all_acked, &n, synack_sim_now(n.sim) + 60 * SEC);
	synack_sim_stats(n.sim, &s);
	if (!done || s.sent > 500) {
		fprintf(stderr, "not recovered after 60 s: %llu datagrams sent\n", (unsigned long long)s.sent);
		net_dump(&n);
	}
	synack_sim_destroy(n.sim);
	CHECK(done);
	CHECK(s.sent < 500);
}
