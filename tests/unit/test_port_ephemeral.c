/*
 * Ephemeral ports for connect(), as Linux's __inet_hash_connect picks them:
 * RFC 6056 algorithm 3's order over ip_local_port_range (port_lo..port_hi),
 * and a port is usable when no listener, bind() or passive connection holds
 * it and its 4-tuple to this destination is free of live connections and
 * TIME-WAIT entries, or held only by a TIME-WAIT entry that tcp_tw_reuse
 * may take over (timestamps, tw_reuse_delay passed: tw_recycled). So ports
 * are shared across destinations, and -EADDRNOTAVAIL means the range is
 * exhausted for that destination. bind() to port 0 still takes only a port
 * nobody holds.
 */
#include "check.h"
#include "tcp_close_fixture.h"
#include "stack/stack.h" /* white-box: the port count pages */

#define LO 50000
#define N 8
#define MSL (30 * FX_SEC)
#define P 7000u    /* the peer's ISN */
#define T0 90000u  /* the peer's first TSval */

static const struct synack_endpoint DST_A = {FX_PEER, 40000};
static const struct synack_endpoint DST_B = {FX_PEER, 40001};

static struct synack_config cfg_range(uint8_t tw_reuse)
{
	struct synack_config c;
	synack_config_default(&c);
	c.port_lo = LO;
	c.port_hi = LO + N - 1;
	c.msl_us = MSL;
	c.tcp_tw_reuse = tw_reuse;
	return c;
}

static struct synack_counters ctr(struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c;
}

/* connect() an unbound socket to dst; its local port, or 0 on failure. */
static uint16_t connect_port(struct fx *f, const struct synack_endpoint *dst, int *sock)
{
	struct synack_endpoint l;
	int s = synack_sock_open(f->st);

	if (s < 0 || synack_sock_connect(f->st, s, dst) != -EINPROGRESS ||
	    synack_sock_local(f->st, s, &l))
		return 0;
	if (sock)
		*sock = s;
	return l.port;
}

/* An active open to dst and our close, to TIME-WAIT; the peer offers
 * timestamps when ts. Returns our local port (0 on failure). */
static uint16_t active_to_tw(struct fx *f, const struct synack_endpoint *dst, int ts)
{
	struct sn_tcp_seg syn, o;
	int s;
	uint16_t lp = connect_port(f, dst, &s);

	if (!lp || !fx_out(f, &syn))
		return 0;
	uint32_t i = syn.seq;
	struct fx_seg base = {.sport = dst->port, .dport = lp, .wnd = 65535, .ts = (uint8_t)ts};
	struct fx_seg sa = base, ack = base, fin = base;
	sa.flags = SN_TCP_SYN | SN_TCP_ACK, sa.seq = P, sa.ack = i + 1, sa.mss = 1460;
	sa.tsval = T0, sa.tsecr = syn.opts.ts_val;
	fx_in(f, &sa);
	if (!fx_out(f, &o) || synack_sock_close(f->st, s) || !fx_out(f, &o) ||
	    o.flags != (SN_TCP_FIN | SN_TCP_ACK))
		return 0;
	ack.flags = SN_TCP_ACK, ack.seq = P + 1, ack.ack = i + 2;
	ack.tsval = T0 + 1, ack.tsecr = o.opts.ts_val;
	fin = ack;
	fin.flags = SN_TCP_FIN | SN_TCP_ACK, fin.tsval = T0 + 2;
	fx_in(f, &ack);
	fx_in(f, &fin);
	if (!fx_out(f, &o) || o.ack != P + 2)
		return 0;
	fx_flush(f);
	return lp;
}

/* RFC 6056 §3.3.3 over ip_local_port_range: N connections to one
 * destination take the N ports of the range, each once; the next connect
 * to it gets -EADDRNOTAVAIL and sends nothing. */
TEST(rfc6056_ip_local_port_range_fills_then_eaddrnotavail)
{
	struct fx f;
	struct synack_config c = cfg_range(0);
	unsigned seen = 0;

	CHECK_EQ(fx_init(&f, &c), 0);
	for (int k = 0; k < N; k++) {
		uint16_t p = connect_port(&f, &DST_A, NULL);
		CHECK(p >= LO && p < LO + N);
		CHECK_EQ(seen & (1u << (p - LO)), 0);
		seen |= 1u << (p - LO);
	}
	CHECK_EQ(seen, (1u << N) - 1);
	fx_flush(&f);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &DST_A), -EADDRNOTAVAIL);
	FX_NOTHING(&f);
	fx_free(&f);
}

/* Linux's connect shares a local port across destinations (the 4-tuple,
 * not the port, must be unique): with the range full towards DST_A, DST_B
 * still gets all N ports, then it too is exhausted. */
TEST(rfc6056_ports_shared_across_destinations)
{
	struct fx f;
	struct synack_config c = cfg_range(0);
	unsigned seen = 0;

	CHECK_EQ(fx_init(&f, &c), 0);
	for (int k = 0; k < N; k++)
		CHECK(connect_port(&f, &DST_A, NULL) != 0);
	for (int k = 0; k < N; k++) {
		uint16_t p = connect_port(&f, &DST_B, NULL);
		CHECK(p >= LO && p < LO + N);
		seen |= 1u << (p - LO);
	}
	CHECK_EQ(seen, (1u << N) - 1);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &DST_B), -EADDRNOTAVAIL);
	CHECK_EQ(synack_sock_connect(f.st, s, &DST_A), -EADDRNOTAVAIL);
	fx_free(&f);
}

/* A port a bind() or a listener holds stays theirs (Linux: a bind bucket
 * with fastreuse >= 0 is skipped by connect), and bind() to port 0 takes
 * only a port nobody holds, even one connect could still share. */
TEST(rfc6056_bound_ports_stay_exclusive)
{
	struct fx f;
	struct synack_config c = cfg_range(0);
	struct synack_endpoint l;

	c.port_hi = LO + 2;
	CHECK_EQ(fx_init(&f, &c), 0);
	int b = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, b, &(struct synack_endpoint){0, LO}), 0);
	int li = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, li, &(struct synack_endpoint){0, LO + 1}), 0);
	CHECK_EQ(synack_sock_listen(f.st, li, 4), 0);
	CHECK_EQ(connect_port(&f, &DST_A, NULL), LO + 2);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &DST_A), -EADDRNOTAVAIL);
	CHECK_EQ(synack_sock_connect(f.st, s, &DST_B), -EINPROGRESS); /* shares LO + 2 */
	CHECK_EQ(synack_sock_local(f.st, s, &l), 0);
	CHECK_EQ(l.port, LO + 2);
	int z = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, z, &(struct synack_endpoint){0, 0}), -EADDRINUSE);
	/* the explicit bind goes: bind(0) and connect get its port */
	CHECK_EQ(synack_sock_close(f.st, b), 0);
	CHECK_EQ(synack_sock_bind(f.st, z, &(struct synack_endpoint){0, 0}), 0);
	CHECK_EQ(synack_sock_local(f.st, z, &l), 0);
	CHECK_EQ(l.port, LO);
	CHECK_EQ(synack_sock_close(f.st, z), 0);
	CHECK_EQ(connect_port(&f, &DST_A, NULL), LO);
	fx_free(&f);
}

/* tcp_tw_reuse = 0: the range's ports all in TIME-WAIT towards DST_A
 * exhaust it for DST_A (timestamps or not), while DST_B still connects on
 * the same ports; nothing is recycled. */
TEST(tcp_tw_reuse_0_timewait_holders_exhaust_the_range)
{
	struct fx f;
	struct synack_config c = cfg_range(0);

	CHECK_EQ(fx_init(&f, &c), 0);
	for (int k = 0; k < N; k++)
		CHECK(active_to_tw(&f, &DST_A, 1) != 0);
	CHECK_EQ(ctr(&f).in_state[SYNACK_TIME_WAIT], N);
	fx_wait(&f, 10 * FX_SEC);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &DST_A), -EADDRNOTAVAIL);
	FX_NOTHING(&f);
	uint16_t p = connect_port(&f, &DST_B, NULL);
	CHECK(p >= LO && p < LO + N);
	CHECK_EQ(ctr(&f).tw_recycled, 0);
	CHECK_EQ(ctr(&f).in_state[SYNACK_TIME_WAIT], N);
	/* 2*MSL later the entries are gone and DST_A connects again */
	fx_wait(&f, 2 * MSL);
	CHECK_EQ(synack_sock_connect(f.st, s, &DST_A), -EINPROGRESS);
	fx_free(&f);
}

/* tcp_tw_reuse = 1 with timestamps: before tw_reuse_delay the TIME-WAIT
 * holders still exhaust the range; after it an unbound connect() takes one
 * over (tw_recycled), with an ISN beyond the old connection (Linux:
 * tw_snd_nxt + 65537) and a TSopt. */
TEST(tcp_tw_reuse_1_unbound_connect_recycles_after_delay)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c = cfg_range(1);

	CHECK_EQ(fx_init(&f, &c), 0);
	for (int k = 0; k < N; k++)
		CHECK(active_to_tw(&f, &DST_A, 1) != 0);
	fx_wait(&f, 999 * FX_MS);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &DST_A), -EADDRNOTAVAIL);
	CHECK_EQ(ctr(&f).tw_recycled, 0);
	fx_wait(&f, 1 * FX_MS);
	for (int k = 0; k < N; k++) {
		int t;
		uint16_t p = connect_port(&f, &DST_A, &t);
		CHECK(p >= LO && p < LO + N);
		CHECK(fx_out(&f, &o));
		CHECK_EQ(o.flags, SN_TCP_SYN);
		CHECK(o.opts.has_ts);
		CHECK_EQ(ctr(&f).tw_recycled, (uint64_t)k + 1);
	}
	CHECK_EQ(ctr(&f).in_state[SYNACK_TIME_WAIT], 0);
	CHECK_EQ(ctr(&f).in_state[SYNACK_SYN_SENT], N);
	CHECK_EQ(synack_sock_connect(f.st, s, &DST_A), -EADDRNOTAVAIL);
	fx_free(&f);
}

/* tcp_tw_reuse = 1 without timestamps: nothing proves the new incarnation
 * newer, so no reuse however long it waits (within 2*MSL). */
TEST(tcp_tw_reuse_1_without_timestamps_no_reuse)
{
	struct fx f;
	struct synack_config c = cfg_range(1);

	CHECK_EQ(fx_init(&f, &c), 0);
	for (int k = 0; k < N; k++)
		CHECK(active_to_tw(&f, &DST_A, 0) != 0);
	fx_wait(&f, 30 * FX_SEC);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &DST_A), -EADDRNOTAVAIL);
	CHECK_EQ(ctr(&f).tw_recycled, 0);
	CHECK_EQ(ctr(&f).in_state[SYNACK_TIME_WAIT], N);
	fx_free(&f);
}

/* A TIME-WAIT entry left by a passive connection holds the listener's port
 * exclusively, like the listener (Linux: the child inherits the bind
 * bucket): connect() never picks it, even with tcp_tw_reuse. */
TEST(rfc6056_passive_timewait_port_not_picked)
{
	struct fx f;
	struct synack_config c = cfg_range(1);
	struct sn_tcp_seg o;

	c.port_hi = LO;
	CHECK_EQ(fx_init(&f, &c), 0);
	f.our_port = LO;
	int s = fx_passive_established(&f, P);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	CHECK_EQ(synack_sock_close(f.st, f.lsock), 0);
	CHECK(fx_out(&f, &o));
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = P + 1, .ack = o.seq + 1,
				   .wnd = 65535});
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_FIN | SN_TCP_ACK, .seq = P + 1,
				   .ack = o.seq + 1, .wnd = 65535});
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	int t = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, t, &DST_B), -EADDRNOTAVAIL);
	fx_free(&f);
}

/* The holder counts live in pages of 256 ports allocated as ports are
 * chosen: a stack that binds port 80 and connects once holds two pages, and
 * counts in different pages stay apart (bind's rule sees each port alone). */
static int pages_in_use(const struct synack_stack *st)
{
	int n = 0;
	for (uint32_t i = 0; i < SN_PORT_PAGES; i++)
		n += st->port_page[i] != NULL;
	return n;
}

TEST(port_counts_paged_as_ports_are_chosen)
{
	struct fx f;
	struct synack_config c = cfg_range(0);

	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK_EQ(pages_in_use(f.st), 0);
	CHECK(fx_listen(&f) >= 0); /* port 80 */
	CHECK_EQ(pages_in_use(f.st), 1);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &DST_A), -EINPROGRESS);
	CHECK_EQ(pages_in_use(f.st), 2); /* 50000..50007 share one page */
	/* port 80 + 256 is in another page and free; 80 is not */
	int b = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, b, &(struct synack_endpoint){0, 80}), -EADDRINUSE);
	CHECK_EQ(synack_sock_bind(f.st, b, &(struct synack_endpoint){0, 80 + 256}), 0);
	CHECK_EQ(pages_in_use(f.st), 3);
	/* released counts return to zero: port 80 binds once its listener goes */
	CHECK_EQ(synack_sock_close(f.st, f.lsock), 0);
	int b2 = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, b2, &(struct synack_endpoint){0, 80}), 0);
	fx_free(&f);
}
