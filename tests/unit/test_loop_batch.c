/*
 * The event loop hands the stack its batches (src/link/loop.c: a round's
 * datagrams read into an arena, then one synack_stack_input_batch; issue
 * #6): the datagrams queued at a wakeup are all read before the stack sees
 * the first, and the stack answers exactly as it does to the same
 * datagrams one synack_stack_input call each. Datagrams up to the largest
 * IPv4 one (65,535 bytes) arrive whole, however many are queued: a round
 * that runs short of room for one more leaves the rest to the next round.
 * (test_link.c's loop_reads_the_round_before_the_stack_answers covers a
 * peer that answers inside send().) The link here is a queue that logs
 * every recv and send in order.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "synack/link.h"
#include "synack/synack.h"
#include "wire/ipv4.h"
#include "wire/tcp_wire.h"

#define US 0x0a000001u
#define PORT 80
#define QMAX 128

struct log_link {
	struct synack_link base;
	uint8_t *rxq[QMAX]; /* what recv returns, in order */
	size_t rxlen[QMAX];
	int nrx, rxrd;
	char ev[4 * QMAX];  /* 'r' per datagram read, 's' per datagram sent */
	int nev;
	uint8_t *tx;        /* the datagrams sent, each behind a 2-byte length */
	size_t txlen;
};

static ssize_t log_recv(struct synack_link *l, uint64_t now, uint8_t *buf, size_t cap)
{
	struct log_link *k = (struct log_link *)l;
	(void)now;
	if (k->rxrd >= k->nrx)
		return 0;
	size_t n = k->rxlen[k->rxrd] < cap ? k->rxlen[k->rxrd] : cap;
	memcpy(buf, k->rxq[k->rxrd++], n);
	k->ev[k->nev++] = 'r';
	return (ssize_t)n;
}

static void log_out(struct log_link *k, const uint8_t *pkt, size_t len)
{
	k->tx = realloc(k->tx, k->txlen + len + 2);
	k->tx[k->txlen++] = (uint8_t)(len >> 8);
	k->tx[k->txlen++] = (uint8_t)len;
	memcpy(k->tx + k->txlen, pkt, len);
	k->txlen += len;
}

static int log_send(struct synack_link *l, uint64_t now, const uint8_t *pkt, size_t len)
{
	struct log_link *k = (struct log_link *)l;
	(void)now;
	log_out(k, pkt, len);
	if (k->nev < (int)sizeof(k->ev))
		k->ev[k->nev++] = 's';
	return 0;
}

static const struct synack_link_ops log_ops = {.kind = "log", .recv = log_recv, .send = log_send};

/* The reference: the same stack's output, one synack_stack_input each. */
static void ref_out(void *ctx, const uint8_t *pkt, size_t len)
{
	log_out(ctx, pkt, len);
}

/* Datagram i: a SYN (len 0) or len bytes of data without ACK from peer i
 * to a port nobody listens on: each gets a RST,ACK whose ACK field counts
 * every byte (RFC 9293 §3.10.7.1), and none depends on the clock; a
 * datagram cut short would be dropped unanswered. */
static void queue(struct log_link *k, uint32_t i, uint32_t len)
{
	uint32_t src = 0x0a800001u + i;
	uint8_t flags = len ? SN_TCP_PSH : SN_TCP_SYN;
	struct sn_tcp_seg seg = {.sport = (uint16_t)(1024 + i), .dport = PORT, .seq = 1000 * i,
				 .ack = 0, .flags = flags, .wnd = 65535, .len = len};
	uint8_t *p = calloc(1, 40 + len);
	memset(p + 40, 'a' + (int)(i % 26), len);
	size_t h = sn_tcp_build(p + 20, &seg, src, US);
	struct sn_ipv4 ip = {.hdr_len = 20, .total_len = (uint16_t)(20 + h + len),
			     .frag = SN_IPV4_DF, .ttl = 64, .proto = SN_IPPROTO_TCP, .src = src, .dst = US};
	sn_ipv4_build(p, &ip);
	k->rxq[k->nrx] = p;
	k->rxlen[k->nrx++] = 40 + len;
}

static synack_stack *make(void)
{
	struct synack_config c;
	synack_stack *st;
	synack_config_default(&c);
	c.addr = US;
	c.seed = 3;
	return synack_stack_create(&c, &st) ? NULL : st;
}

/* The link's queue through a loop, and one call each into a twin stack:
 * the same datagrams out. Returns the loop's rounds. */
static int run(struct log_link *k, int *same)
{
	synack_stack *st = make(), *ref = make();
	synack_loop *l = NULL;
	struct log_link r = {0};
	int rounds = 0;

	if (!st || !ref || synack_loop_create(st, &k->base, &l))
		return -1;
	synack_stack_set_output(ref, ref_out, &r);
	uint64_t now = synack_stack_now(st);
	for (int i = 0; i < k->nrx; i++)
		synack_stack_input(ref, now, k->rxq[i], k->rxlen[i]);
	while (k->rxrd < k->nrx && rounds < 10) {
		synack_stack_poll(ref, now); /* the loop's clock is later: no timer is due */
		if (synack_loop_run_once(l, 0))
			return -1;
		rounds++;
	}
	*same = k->txlen == r.txlen && memcmp(k->tx, r.tx, r.txlen) == 0;
	synack_loop_destroy(l);
	synack_stack_destroy(st);
	synack_stack_destroy(ref);
	free(r.tx);
	return rounds;
}

static void drop(struct log_link *k)
{
	for (int i = 0; i < k->nrx; i++)
		free(k->rxq[i]);
	free(k->tx);
}

TEST(issue6_loop_reads_queued_datagrams_then_hands_them_over_in_one_batch)
{
	struct log_link k = {.base.ops = &log_ops};
	int same = 0;

	for (uint32_t i = 0; i < 10; i++)
		queue(&k, i, i % 3 ? 100 * i : 0);
	CHECK_EQ(run(&k, &same), 1);
	CHECK(same);
	/* all ten read before the stack answered any: one batch */
	CHECK(k.nev == 20);
	CHECK(memcmp(k.ev, "rrrrrrrrrrssssssssss", 20) == 0);
	drop(&k);
}

TEST(issue6_loop_batch_of_large_datagrams_all_whole)
{
	struct log_link k = {.base.ops = &log_ops};
	int same = 0;

	/* 70 datagrams, five of them the largest IPv4 allows: a round reads
	 * 64 at most, and only while it has room for the largest */
	for (uint32_t i = 0; i < 70; i++)
		queue(&k, i, i % 14 == 1 ? 65535 - 40 : (i % 2) * 1000);
	CHECK(run(&k, &same) >= 2); /* more than a round's 64 */
	CHECK(same);                /* every one answered as one at a time: none cut */
	CHECK_EQ(k.rxrd, 70);
	int reads = 0, sends = 0, first_send = -1;
	for (int i = 0; i < k.nev; i++) {
		reads += k.ev[i] == 'r';
		sends += k.ev[i] == 's';
		if (k.ev[i] == 's' && first_send < 0)
			first_send = reads;
	}
	CHECK_EQ(reads, 70);
	CHECK_EQ(sends, 70);
	/* the stack saw none before datagram 15 (the second of 64 KiB) was
	 * read: it got them in batches, not one by one */
	CHECK(first_send >= 16);
	drop(&k);
}
