/*
 * synack_stack_input_batch (issue #6, flat cost per segment): a batch does
 * exactly what the same datagrams one call at a time do. Two stacks from
 * one seed get the same input, one a datagram per call, the other in
 * batches: every datagram they send, their counters and what their
 * applications read must be the same byte for byte. The batch crosses the
 * connection count where the stack starts prefetching ahead, and mixes in
 * what the prefetch must not trip on: datagrams that are not IPv4/TCP or
 * are cut short, segments for no connection, and a connection reset by one
 * datagram of the batch and then sent data by a later one; then a second
 * round with every connection established, all of it prefetched. The batch's
 * lookups take the bucket its prefetch hashed (st->conn_hint), and only
 * for the 4-tuple it was hashed for.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stack/stack.h"
#include "synack/synack.h"
#include "wire/ipv4.h"
#include "wire/tcp_wire.h"

#define US 0x0a000001u
#define PORT 80
#define NCONN 8300 /* past the count where the batch prefetches (batch.c) */
#define DATA 100

struct sink {
	uint8_t *buf;
	size_t len, cap;
	uint32_t last_seq; /* the latest SYN,ACK's ISN */
};

static void sink_out(void *ctx, const uint8_t *pkt, size_t len)
{
	struct sink *k = ctx;
	if (k->len + len + 2 > k->cap) {
		k->cap = (k->cap + len + 2) * 2;
		k->buf = realloc(k->buf, k->cap);
	}
	k->buf[k->len++] = (uint8_t)(len >> 8);
	k->buf[k->len++] = (uint8_t)len;
	memcpy(k->buf + k->len, pkt, len);
	k->len += len;
	struct sn_ipv4 ip;
	struct sn_tcp_seg seg;
	if (!sn_ipv4_parse(pkt, len, &ip) &&
	    !sn_tcp_parse(pkt + ip.hdr_len, ip.total_len - ip.hdr_len, ip.src, ip.dst, &seg) &&
	    (seg.flags & SN_TCP_SYN))
		k->last_seq = seg.seq;
}

/* Peer i's datagram into pkt (payload of len bytes 'a'+i%26); its size. */
static size_t craft(uint8_t *pkt, uint32_t i, uint32_t seq, uint32_t ack, uint8_t flags, uint32_t len)
{
	uint32_t src = 0x0a800000u + i / 100 + 1;
	struct sn_tcp_seg seg = {.sport = (uint16_t)(1024 + i % 100), .dport = PORT, .seq = seq,
				 .ack = ack, .flags = flags, .wnd = 65535, .len = len};
	memset(pkt + 40, 'a' + (int)(i % 26), len);
	size_t h = sn_tcp_build(pkt + 20, &seg, src, US);
	struct sn_ipv4 ip = {.hdr_len = 20, .total_len = (uint16_t)(20 + h + len), .frag = SN_IPV4_DF,
			     .ttl = 64, .proto = SN_IPPROTO_TCP, .src = src, .dst = US};
	sn_ipv4_build(pkt, &ip);
	return 40 + len;
}

struct input {
	uint8_t *pkt[3 * NCONN + 16];
	size_t len[3 * NCONN + 16];
	size_t n;
};

static uint8_t *add(struct input *in, size_t cap)
{
	in->pkt[in->n] = calloc(1, cap);
	return in->pkt[in->n];
}

static void free_input(struct input *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->pkt[i]);
	in->n = 0;
}

/* The same input to a (one call each) and b (batches of `batch`). */
static void feed(synack_stack *a, synack_stack *b, struct input *in, size_t batch, uint64_t now)
{
	for (size_t i = 0; i < in->n; i++)
		synack_stack_input(a, now, in->pkt[i], in->len[i]);
	for (size_t i = 0; i < in->n; i += batch)
		synack_stack_input_batch(b, now, (const uint8_t *const *)in->pkt + i, in->len + i,
					 in->n - i < batch ? in->n - i : batch);
}

/* Junk the batch must survive: short, not IPv4, not TCP, TCP cut short,
 * an option-length IHL past the datagram. */
static void add_junk(struct input *in)
{
	static const size_t lens[] = {0, 3, 20, 22, 40, 40};
	for (int j = 0; j < 6; j++) {
		uint8_t *p = add(in, 64);
		craft(p, 7, 1, 1, SN_TCP_ACK, 0);
		if (j == 4)
			p[0] = 0x65; /* version 6 */
		if (j == 5)
			p[0] = 0x4f; /* IHL 60 bytes in a 40-byte datagram */
		if (j == 2)
			p[9] = 17; /* UDP */
		in->len[in->n++] = lens[j];
	}
}

/* Every connection's second data segment and a pure ACK after it, junk
 * among them; peer 7 resets its connection first and then sends data, and
 * peer 5 (reset in the first round) sends to a connection that is gone. */
static void second_round(struct input *in, const uint32_t *isn)
{
	for (uint32_t i = 0; i < NCONN; i++) {
		uint32_t seq = i * 7919u + 1 + DATA;
		if (i == 7) {
			in->len[in->n] = craft(add(in, 64), i, seq, 0, SN_TCP_RST, 0);
			in->n++;
		}
		in->len[in->n] = craft(add(in, 40 + DATA), i, seq, isn[i] + 1, SN_TCP_ACK, DATA);
		in->n++;
		in->len[in->n] = craft(add(in, 64), i, seq + DATA, isn[i] + 1, SN_TCP_ACK, 0);
		in->n++;
		if (i % 1000 == 998)
			add_junk(in);
	}
}

static synack_stack *make(struct sink *k, int *lsock)
{
	struct synack_config c;
	synack_stack *st;
	synack_config_default(&c);
	c.addr = US;
	c.seed = 11;
	c.max_conns = NCONN + 64;
	c.max_sockets = NCONN + 64;
	if (synack_stack_create(&c, &st))
		return NULL;
	synack_stack_set_output(st, sink_out, k);
	struct synack_endpoint any = {0, PORT};
	*lsock = synack_sock_open(st);
	if (synack_sock_bind(st, *lsock, &any) || synack_sock_listen(st, *lsock, NCONN + 64))
		return NULL;
	return st;
}

TEST(issue6_input_batch_same_as_one_call_each)
{
	static struct input in;
	struct sink ka = {0}, kb = {0};
	int la, lb;
	synack_stack *a = make(&ka, &la), *b = make(&kb, &lb);
	uint32_t *isn = calloc(NCONN, sizeof(*isn));
	uint64_t now = 1000000;

	CHECK(a && b && isn);
	/* SYNs: one call each to a, in batches of 64 to b */
	for (uint32_t i = 0; i < NCONN; i++) {
		in.len[in.n] = craft(add(&in, 64), i, i * 7919u, 0, SN_TCP_SYN, 0);
		in.n++;
	}
	for (uint32_t i = 0; i < NCONN; i++) {
		synack_stack_input(a, now, in.pkt[i], in.len[i]);
		isn[i] = ka.last_seq;
	}
	for (size_t i = 0; i < in.n; i += 64)
		synack_stack_input_batch(b, now, (const uint8_t *const *)in.pkt + i, in.len + i,
					 in.n - i < 64 ? in.n - i : 64);
	free_input(&in);
	CHECK_EQ(ka.len, kb.len);
	CHECK(memcmp(ka.buf, kb.buf, ka.len) == 0);

	/* the handshakes' ACKs and data, junk among them; peer 5 resets its
	 * connection and then sends data in the same batch */
	now += 1000;
	for (uint32_t i = 0; i < NCONN; i++) {
		uint32_t seq = i * 7919u + 1;
		in.len[in.n] = craft(add(&in, 64), i, seq, isn[i] + 1, SN_TCP_ACK, 0);
		in.n++;
		in.len[in.n] = craft(add(&in, 40 + DATA), i, seq, isn[i] + 1, SN_TCP_ACK | SN_TCP_PSH, DATA);
		in.n++;
		if (i == 5) {
			in.len[in.n] = craft(add(&in, 64), i, seq + DATA, 0, SN_TCP_RST, 0);
			in.n++;
			in.len[in.n] = craft(add(&in, 40 + DATA), i, seq + DATA, isn[i] + 1, SN_TCP_ACK, DATA);
			in.n++;
		}
		if (i % 1000 == 3)
			add_junk(&in);
	}
	feed(a, b, &in, 200, now);
	free_input(&in);
	CHECK_EQ(ka.len, kb.len);
	CHECK(memcmp(ka.buf, kb.buf, ka.len) == 0);
	struct synack_counters ca, cb;
	synack_stack_counters(a, &ca);
	synack_stack_counters(b, &cb);
	CHECK(memcmp(&ca, &cb, sizeof(ca)) == 0);
	CHECK(ca.segs_in >= 3 * NCONN);

	/* all connections established, so all of this round is prefetched */
	CHECK(b->nconns >= 8192);
	second_round(&in, isn);
	feed(a, b, &in, 64, now + 1000);
	free_input(&in);
	CHECK_EQ(ka.len, kb.len);
	CHECK(memcmp(ka.buf, kb.buf, ka.len) == 0);
	synack_stack_counters(a, &ca);
	synack_stack_counters(b, &cb);
	CHECK(memcmp(&ca, &cb, sizeof(ca)) == 0);
	/* b's lookups took the prefetch's bucket (each data segment's: the
	 * ACK after it hits the last connection), a's never had one */
	CHECK(b->conn_hint_hits >= NCONN - 2);
	CHECK_EQ(a->conn_hint_hits, 0);

	/* both applications read the same bytes from every connection */
	uint32_t got = 0;
	for (;;) {
		int sa = synack_sock_accept(a, la, NULL), sb = synack_sock_accept(b, lb, NULL);
		CHECK_EQ(sa < 0, sb < 0);
		if (sa < 0 || sb < 0)
			break;
		char ra[2 * DATA + 1], rb[2 * DATA + 1];
		ssize_t na = synack_sock_recv(a, sa, ra, sizeof(ra));
		CHECK_EQ(na, synack_sock_recv(b, sb, rb, sizeof(rb)));
		CHECK(na <= 0 || memcmp(ra, rb, (size_t)na) == 0);
		got += na == 2 * DATA;
	}
	CHECK_EQ(got, NCONN - 2); /* all but the two reset */
	synack_stack_destroy(a);
	synack_stack_destroy(b);
	free(ka.buf);
	free(kb.buf);
	free(isn);
}

/* Peer i's connection to us: SYN, our SYN,ACK, the ACK. */
static void connect_peer(synack_stack *st, struct sink *k, uint32_t i, uint64_t now)
{
	uint8_t p[64];
	synack_stack_input(st, now, p, craft(p, i, 1000, 0, SN_TCP_SYN, 0));
	synack_stack_input(st, now, p, craft(p, i, 1001, k->last_seq + 1, SN_TCP_ACK, 0));
}

/* The hint is used only by a lookup of the 4-tuple it was computed for: a
 * lookup of another tuple hashes its own, whatever the hint's bucket. */
TEST(issue6_conn_hint_only_for_its_tuple)
{
	struct sink k = {0};
	int ls;
	synack_stack *st = make(&k, &ls);
	CHECK(st != NULL);
	connect_peer(st, &k, 1, 1000000);
	connect_peer(st, &k, 2, 1000000);
	struct synack_endpoint us = {US, PORT}, p1 = {0x0a800001u, 1025}, p2 = {0x0a800001u, 1026};
	struct sn_tcb *t1 = sn_conn_lookup(st, &us, &p1), *t2 = sn_conn_lookup(st, &us, &p2);
	CHECK(t1 && t2 && t1 != t2);
	struct sn_tcb **b1 = sn_conn_bucket(st, &us, &p1), **b2 = sn_conn_bucket(st, &us, &p2);
	CHECK(b1 != b2); /* seed 11: the two tuples hash apart */

	st->last_conn = NULL;
	st->conn_hint.local = us; /* a hint for peer 1 */
	st->conn_hint.remote = p1;
	st->conn_hint.bucket = b1;
	CHECK(sn_conn_lookup(st, &us, &p2) == t2); /* another tuple: hashed */
	CHECK_EQ(st->conn_hint_hits, 0);
	st->last_conn = NULL;
	CHECK(sn_conn_lookup(st, &us, &p1) == t1); /* its tuple: the hint's bucket */
	CHECK_EQ(st->conn_hint_hits, 1);
	st->last_conn = NULL;
	st->conn_hint.bucket = b2; /* taken as given: it is peer 1's bucket no more */
	CHECK(sn_conn_lookup(st, &us, &p1) == NULL);
	CHECK_EQ(st->conn_hint_hits, 2);
	synack_stack_destroy(st);
	free(k.buf);
}

/* A stack's TCBs start on cache lines and take whole lines (issue #6): 7
 * lines for a TCB, where one packed at 8-byte steps straddles 8 half the
 * time and the batch's prefetch of its first bytes 5 instead of 4. */
TEST(issue6_tcbs_on_whole_cache_lines)
{
	struct sink k = {0};
	int ls;
	synack_stack *st = make(&k, &ls);
	CHECK(st != NULL);
	CHECK_EQ(st->tcb_pool.obj_size % 64, 0);
	CHECK(st->tcb_pool.obj_size < sizeof(struct sn_tcb) + 64);
	for (uint32_t i = 0; i < 20; i++)
		connect_peer(st, &k, i, 1000000);
	CHECK_EQ(st->nconns, 21); /* and the listener */
	for (uint32_t i = 0; i < 20; i++) {
		struct synack_endpoint us = {US, PORT}, p = {0x0a800001u, (uint16_t)(1024 + i)};
		struct sn_tcb *t = sn_conn_lookup(st, &us, &p);
		CHECK(t != NULL);
		CHECK_EQ((uintptr_t)t % 64, 0);
	}
	synack_stack_destroy(st);
	free(k.buf);
}

/* The 4-tuple table is at most three quarters full at max_conns (issue #6:
 * fewer lookups walk past a first connection in their chain), and no
 * more than twice that size: at most 21 bytes of table per connection. */
TEST(issue6_conn_table_at_most_three_quarters_full)
{
	static const uint32_t sizes[] = {1, 1000, 65536, 98304, 98305, 1000016};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct synack_config c;
		synack_stack *st;
		synack_config_default(&c);
		c.max_conns = sizes[i];
		CHECK_EQ(synack_stack_create(&c, &st), 0);
		uint64_t buckets = (uint64_t)st->hash_mask + 1;
		CHECK((buckets & (buckets - 1)) == 0);
		CHECK(4 * (uint64_t)sizes[i] <= 3 * buckets);
		CHECK(buckets <= 16 || 3 * buckets <= 8 * (uint64_t)sizes[i]);
		synack_stack_destroy(st);
	}
}
