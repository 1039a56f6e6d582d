/*
 * The cache of freed ring storage (src/base/bufcache.c) and its use by the
 * stack (src/tcp/tcb.c): blocks come back by capacity, the byte bound and
 * the class count hold (the rest is freed: ASan reports a leak otherwise),
 * and a connection that ends leaves its buffers to the next one, so a
 * server closing connections at a high rate does not make glibc trim and
 * regrow its heap for every connection.
 */
#include <stdlib.h>

#include "base/bufcache.h"
#include "check.h"
#include "stack/stack.h"
#include "tcp/tcb.h"
#include "tcp_fixture.h"

TEST(bufcache_returns_blocks_by_capacity)
{
	struct sn_bufcache c;
	sn_bufcache_init(&c, 64 * 1024);
	void *a = malloc(4096), *b = malloc(8192);
	CHECK(a && b);
	CHECK(sn_bufcache_get(&c, 4096) == NULL);
	sn_bufcache_put(&c, a, 4096);
	sn_bufcache_put(&c, b, 8192);
	CHECK_EQ(c.bytes, 4096 + 8192);
	CHECK(sn_bufcache_get(&c, 2048) == NULL); /* no such capacity */
	CHECK(sn_bufcache_get(&c, 8192) == b);
	CHECK(sn_bufcache_get(&c, 4096) == a);
	CHECK(sn_bufcache_get(&c, 4096) == NULL);
	CHECK_EQ(c.bytes, 0);
	free(a);
	free(b);
	sn_bufcache_put(&c, NULL, 4096); /* ignored */
	sn_bufcache_drain(&c);
}

TEST(bufcache_bounded_in_bytes_and_classes)
{
	struct sn_bufcache c;
	sn_bufcache_init(&c, 3 * 1024);
	for (int i = 0; i < 5; i++)
		sn_bufcache_put(&c, malloc(1024), 1024); /* three kept, two freed */
	CHECK_EQ(c.bytes, 3 * 1024);
	CHECK(c.bytes <= c.max_bytes);
	sn_bufcache_drain(&c);
	CHECK_EQ(c.bytes, 0);
	CHECK(sn_bufcache_get(&c, 1024) == NULL);

	sn_bufcache_init(&c, 1u << 20);
	for (uint32_t cap = 64; cap < 64 * (SN_BUFCACHE_CLASSES + 2); cap += 64)
		sn_bufcache_put(&c, malloc(cap), cap); /* a fifth size finds no class */
	CHECK_EQ(c.bytes, (size_t)64 * (1 + 2 + 3 + 4));
	CHECK(sn_bufcache_get(&c, 64 * (SN_BUFCACHE_CLASSES + 1)) == NULL);
	void *p = sn_bufcache_get(&c, 64);
	CHECK(p != NULL);
	free(p);
	/* an emptied class takes a new size */
	sn_bufcache_put(&c, malloc(4000), 4000);
	CHECK_EQ(c.bytes, (size_t)64 * (2 + 3 + 4) + 4000);
	sn_bufcache_drain(&c);
}

/* A connection that carried data and ended leaves its ring storage to the
 * next connection with the same buffer sizes. */
TEST(bufcache_next_connection_reuses_storage)
{
	struct fx f;
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, 5000);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, "data", 4), 4);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_PSH, .seq = 5001,
				  .ack = f.our_iss + 1, .wnd = 65535, .data = "in", .len = 2});
	struct sn_tcb *t = f.st->socks[s].tcb;
	void *snd = t->sndbuf.buf, *rcv = t->rcvbuf.buf;
	size_t caps = (size_t)t->sndbuf.cap + t->rcvbuf.cap;
	CHECK(snd != NULL && rcv != NULL);
	char buf[8];
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 2);
	CHECK_EQ(synack_sock_abort(f.st, s), 0);
	CHECK_EQ(f.st->bufcache.bytes, caps);
	fx_flush(&f);
	f.peer_port++;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 9000, .wnd = 65535, .mss = 1460});
	struct sn_tcp_seg o;
	CHECK(fx_out(&f, &o));
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 9001, .ack = o.seq + 1, .wnd = 65535});
	int s2 = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK(s2 >= 0);
	struct sn_tcb *t2 = f.st->socks[s2].tcb;
	CHECK((t2->sndbuf.buf == snd && t2->rcvbuf.buf == rcv) ||
	      (t2->sndbuf.buf == rcv && t2->rcvbuf.buf == snd));
	CHECK_EQ(f.st->bufcache.bytes, 0);
	fx_free(&f);
}
