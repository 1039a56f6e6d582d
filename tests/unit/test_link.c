/*
 * Links and the event loop (include/synack/link.h, tun.h, the decorator in
 * impair.h): the fault injector wrapped around a link on transmit and on
 * receive, its delay queue and bound; the loop carrying a connection
 * between two stacks over a datagram socketpair (a stand-in for a device:
 * same fd contract as TUN); the TUN driver's errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "synack/impair.h"
#include "synack/link.h"
#include "synack/pcap.h"
#include "synack/synack.h"
#include "synack/tun.h"

/* ---------------------------------------------------------------- a memory link */

#define MEM_MAX 64
struct mem_link {
	struct synack_link base;
	uint8_t rxq[MEM_MAX][128]; /* what recv will return, in order */
	size_t rxlen[MEM_MAX];
	int nrx, rxrd;
	uint8_t txq[MEM_MAX][128]; /* what was sent */
	size_t txlen[MEM_MAX];
	uint64_t txat[MEM_MAX];
	int ntx;
	int destroyed;
};

static ssize_t mem_recv(struct synack_link *l, uint64_t now, uint8_t *buf, size_t cap)
{
	struct mem_link *m = (struct mem_link *)l;
	(void)now;
	if (m->rxrd >= m->nrx)
		return 0;
	size_t n = m->rxlen[m->rxrd] < cap ? m->rxlen[m->rxrd] : cap;
	memcpy(buf, m->rxq[m->rxrd++], n);
	return (ssize_t)n;
}

static int mem_send(struct synack_link *l, uint64_t now, const uint8_t *pkt, size_t len)
{
	struct mem_link *m = (struct mem_link *)l;
	if (m->ntx >= MEM_MAX || len > 128)
		return -ENOBUFS;
	memcpy(m->txq[m->ntx], pkt, len);
	m->txlen[m->ntx] = len;
	m->txat[m->ntx++] = now;
	return 0;
}

static void mem_destroy(struct synack_link *l)
{
	((struct mem_link *)l)->destroyed = 1;
}

static const struct synack_link_ops mem_ops = {
	.kind = "mem", .recv = mem_recv, .send = mem_send, .destroy = mem_destroy};

static void mem_init(struct mem_link *m)
{
	memset(m, 0, sizeof(*m));
	m->base.ops = &mem_ops;
}

static void mem_push_rx(struct mem_link *m, const void *p, size_t len)
{
	memcpy(m->rxq[m->nrx], p, len);
	m->rxlen[m->nrx++] = len;
}

/* ---------------------------------------------------------------- decorator */

TEST(impair_link_without_impairment_passes_everything_through_at_once)
{
	struct mem_link m;
	struct synack_link *l;
	uint8_t buf[128];

	mem_init(&m);
	CHECK_EQ(synack_impair_link_create(&m.base, NULL, NULL, 1, &l), 0);
	CHECK_EQ(synack_link_send(l, 100, (const uint8_t *)"abc", 3), 0);
	CHECK_EQ(m.ntx, 1);
	CHECK_EQ(m.txat[0], 100);
	mem_push_rx(&m, "xyz", 3);
	CHECK_EQ(synack_link_recv(l, 100, buf, sizeof(buf)), 3);
	CHECK(!memcmp(buf, "xyz", 3));
	CHECK_EQ(synack_link_recv(l, 100, buf, sizeof(buf)), 0);
	CHECK_EQ(synack_link_next_deadline(l), UINT64_MAX);
	synack_link_destroy(l);
	CHECK(m.destroyed); /* the decorator owns what it wraps */
}

/* Transmit delay: the copy waits in the queue; next_deadline says when;
 * poll at that time hands it to the inner link. */
TEST(impair_link_tx_delay_is_driven_by_next_deadline_and_poll)
{
	struct mem_link m;
	struct synack_link *l;
	struct synack_impair_params p = {.delay_us = 5000};

	mem_init(&m);
	CHECK_EQ(synack_impair_link_create(&m.base, NULL, &p, 1, &l), 0);
	CHECK_EQ(synack_link_send(l, 1000, (const uint8_t *)"a", 1), 0);
	CHECK_EQ(m.ntx, 0);
	CHECK_EQ(synack_link_next_deadline(l), 6000);
	synack_link_poll(l, 5999);
	CHECK_EQ(m.ntx, 0);
	synack_link_poll(l, 6000);
	CHECK_EQ(m.ntx, 1);
	CHECK_EQ(m.txat[0], 6000);
	CHECK_EQ(synack_link_next_deadline(l), UINT64_MAX);
	synack_link_destroy(l);
}

/* Receive side: loss 100% drops everything the device delivers, counted by
 * the rx injector; the tx direction is untouched. */
TEST(impair_link_rx_loss_counts_and_leaves_tx_alone)
{
	struct mem_link m;
	struct synack_link *l;
	struct synack_impair_params p = {.loss_ppm = 1000000};
	struct synack_impair_stats rx, tx;
	uint8_t buf[128];

	mem_init(&m);
	CHECK_EQ(synack_impair_link_create(&m.base, &p, NULL, 7, &l), 0);
	for (int i = 0; i < 10; i++)
		mem_push_rx(&m, "d", 1);
	CHECK_EQ(synack_link_recv(l, 0, buf, sizeof(buf)), 0);
	CHECK_EQ(synack_link_send(l, 0, (const uint8_t *)"t", 1), 0);
	CHECK_EQ(m.ntx, 1);
	CHECK_EQ(synack_impair_link_stats(l, &rx, &tx), 0);
	CHECK_EQ(rx.seen, 10);
	CHECK_EQ(rx.lost, 10);
	CHECK_EQ(tx.seen, 0); /* no tx injector: nothing decided that way */
	CHECK_EQ(synack_impair_link_stats(&m.base, &rx, NULL), -EINVAL);
	synack_link_destroy(l);
}

/* Receive side: a datagram held back (reorder_us, delay) waits in the
 * queue and recv returns it at its time; copies leave in time order. */
TEST(impair_link_rx_holds_back_and_delivers_in_time_order)
{
	struct mem_link m;
	struct synack_link *l;
	struct synack_impair_params p = {.reorder_ppm = 1000000, .reorder_us = 300};
	uint8_t buf[128];

	mem_init(&m);
	CHECK_EQ(synack_impair_link_create(&m.base, &p, NULL, 3, &l), 0);
	mem_push_rx(&m, "0", 1);
	CHECK_EQ(synack_link_recv(l, 0, buf, sizeof(buf)), 0); /* held back by reorder_us */
	CHECK_EQ(synack_link_next_deadline(l), 300);
	CHECK_EQ(synack_link_recv(l, 300, buf, sizeof(buf)), 1);
	synack_link_destroy(l);

	/* two delayed datagrams leave at their own times, in order */
	struct synack_impair_params held = {.delay_us = 300};
	mem_init(&m);
	CHECK_EQ(synack_impair_link_create(&m.base, &held, NULL, 3, &l), 0);
	mem_push_rx(&m, "1", 1);
	CHECK_EQ(synack_link_recv(l, 0, buf, sizeof(buf)), 0);
	mem_push_rx(&m, "2", 1);
	CHECK_EQ(synack_link_recv(l, 100, buf, sizeof(buf)), 0);
	CHECK_EQ(synack_link_next_deadline(l), 300);
	CHECK_EQ(synack_link_recv(l, 300, buf, sizeof(buf)), 1);
	CHECK_EQ(buf[0], '1');
	CHECK_EQ(synack_link_recv(l, 399, buf, sizeof(buf)), 0);
	CHECK_EQ(synack_link_recv(l, 400, buf, sizeof(buf)), 1);
	CHECK_EQ(buf[0], '2');
	synack_link_destroy(l);
}

/* Duplication and corruption: two copies, the corrupted one differs in
 * 1..3 bits; the original datagram is never touched. */
TEST(impair_link_tx_dup_and_corrupt)
{
	struct mem_link m;
	struct synack_link *l;
	struct synack_impair_params p = {.dup_ppm = 1000000, .corrupt_ppm = 1000000};
	uint8_t pkt[64] = {0};

	mem_init(&m);
	CHECK_EQ(synack_impair_link_create(&m.base, NULL, &p, 11, &l), 0);
	CHECK_EQ(synack_link_send(l, 0, pkt, sizeof(pkt)), 0);
	CHECK_EQ(m.ntx, 2);
	for (int c = 0; c < 2; c++) {
		int bits = 0;
		for (size_t i = 0; i < sizeof(pkt); i++)
			bits += __builtin_popcount(m.txq[c][i]);
		CHECK(bits >= 1 && bits <= 3);
	}
	for (size_t i = 0; i < sizeof(pkt); i++)
		CHECK_EQ(pkt[i], 0);
	synack_link_destroy(l);
}

/* The delay queue is bounded: beyond SYNACK_IMPAIR_LINK_MAX_QUEUED the
 * datagram is dropped and counted in queue_drops. */
TEST(impair_link_delay_queue_bound_counts_drops)
{
	struct mem_link m;
	struct synack_link *l;
	struct synack_impair_params p = {.delay_us = 1000000};
	struct synack_link_stats ls;

	mem_init(&m);
	CHECK_EQ(synack_impair_link_create(&m.base, NULL, &p, 1, &l), 0);
	for (int i = 0; i < SYNACK_IMPAIR_LINK_MAX_QUEUED + 5; i++)
		synack_link_send(l, 0, (const uint8_t *)"q", 1);
	synack_link_stats(l, &ls);
	CHECK_EQ(ls.queue_drops, 5);
	synack_link_poll(l, 1000000);
	CHECK_EQ(m.ntx, MEM_MAX); /* the inner link took what it could */
	synack_link_destroy(l);
}

/* ---------------------------------------------------------------- the loop */

/* A link on one end of a SOCK_SEQPACKET socketpair: one datagram per
 * read/write and a pollable fd, like a TUN descriptor. */
struct sp_link {
	struct synack_link base;
	int fd;
};

static ssize_t sp_recv(struct synack_link *l, uint64_t now, uint8_t *buf, size_t cap)
{
	(void)now;
	ssize_t n = recv(((struct sp_link *)l)->fd, buf, cap, MSG_DONTWAIT);
	return n < 0 ? (errno == EAGAIN ? 0 : -errno) : n;
}

static int sp_send(struct synack_link *l, uint64_t now, const uint8_t *pkt, size_t len)
{
	(void)now;
	l->stats.tx_packets++;
	return send(((struct sp_link *)l)->fd, pkt, len, MSG_DONTWAIT) < 0 ? -errno : 0;
}

static int sp_fd(const struct synack_link *l)
{
	return ((const struct sp_link *)l)->fd;
}

static const struct synack_link_ops sp_ops = {
	.kind = "socketpair", .recv = sp_recv, .send = sp_send, .fd = sp_fd};

struct duo {
	int sv[2];
	struct sp_link link[2];
	struct synack_link *outer[2]; /* what the loop uses */
	synack_stack *st[2];
	synack_loop *loop[2];
	int hooks[2];
};

static void count_hook(void *ctx, synack_loop *l, uint64_t now)
{
	(void)l;
	(void)now;
	(*(int *)ctx)++;
}

static int duo_init(struct duo *d, const struct synack_impair_params *imp)
{
	struct synack_config c;

	memset(d, 0, sizeof(*d));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, d->sv))
		return -1;
	for (int i = 0; i < 2; i++) {
		d->link[i] = (struct sp_link){.base.ops = &sp_ops, .fd = d->sv[i]};
		d->outer[i] = &d->link[i].base;
		if (imp && synack_impair_link_create(&d->link[i].base, imp, imp, 5 + (uint64_t)i,
						     &d->outer[i]))
			return -1;
		synack_config_default(&c);
		c.addr = 0x0a000001u + (uint32_t)i;
		c.seed = 42 + (uint64_t)i;
		if (synack_stack_create(&c, &d->st[i]) ||
		    synack_loop_create(d->st[i], d->outer[i], &d->loop[i]))
			return -1;
		synack_loop_set_hook(d->loop[i], count_hook, &d->hooks[i]);
	}
	return 0;
}

static void duo_free(struct duo *d, int impaired)
{
	for (int i = 0; i < 2; i++) {
		synack_loop_destroy(d->loop[i]);
		synack_stack_destroy(d->st[i]);
		if (impaired)
			synack_link_destroy(d->outer[i]); /* the sp link has no destroy op */
		close(d->sv[i]);
	}
}

static void duo_rounds(struct duo *d, int n)
{
	for (int k = 0; k < n; k++)
		for (int i = 0; i < 2; i++)
			synack_loop_run_once(d->loop[i], 1);
}

static int duo_transfer(struct duo *d, size_t total, int max_rounds)
{
	struct synack_endpoint ep = {0, 7}, to = {0x0a000002u, 7};
	static uint8_t out[1 << 20], in[1 << 20];
	size_t sent = 0, got = 0;

	int ls = synack_sock_open(d->st[1]);
	if (synack_sock_bind(d->st[1], ls, &ep) || synack_sock_listen(d->st[1], ls, 4))
		return -1;
	int cs = synack_sock_open(d->st[0]);
	if (synack_sock_connect(d->st[0], cs, &to) != -EINPROGRESS)
		return -2;
	for (size_t i = 0; i < total; i++)
		out[i] = (uint8_t)(i * 7 + i / 251);
	int as = -1;
	for (int r = 0; r < max_rounds && got < total; r++) {
		duo_rounds(d, 1);
		if (as < 0)
			as = synack_sock_accept(d->st[1], ls, NULL);
		if (sent < total) {
			ssize_t n = synack_sock_send(d->st[0], cs, out + sent, total - sent);
			if (n > 0)
				sent += (size_t)n;
		}
		if (as >= 0) {
			ssize_t n = synack_sock_recv(d->st[1], as, in + got, total - got);
			if (n > 0)
				got += (size_t)n;
		}
	}
	return got == total && !memcmp(in, out, total) ? 0 : -3;
}

/* The loop carries a handshake and 200 kB between two stacks: the link's fd
 * wakes it, the stack's output goes out through the link, the hook runs
 * every round. */
TEST(loop_carries_a_connection_over_a_datagram_link)
{
	struct duo d;

	CHECK_EQ(duo_init(&d, NULL), 0);
	CHECK_EQ(duo_transfer(&d, 200000, 20000), 0);
	CHECK(d.hooks[0] > 0 && d.hooks[1] > 0);
	CHECK(d.link[0].base.stats.tx_packets > 100);
	duo_free(&d, 0);
}

/* The same through the decorator with loss, duplication, reordering,
 * corruption and delay both ways: the loop waits for the decorator's
 * deadlines and TCP repairs the rest (corrupted copies fail the checksum). */
TEST(loop_with_impaired_link_still_delivers_every_byte)
{
	struct duo d;
	struct synack_impair_params p = {.delay_us = 200, .jitter_us = 100, .loss_ppm = 20000,
					 .dup_ppm = 10000, .reorder_ppm = 20000, .reorder_us = 500,
					 .corrupt_ppm = 20000};
	struct synack_counters c;
	struct synack_impair_stats rx, tx;

	CHECK_EQ(duo_init(&d, &p), 0);
	CHECK_EQ(duo_transfer(&d, 300000, 200000), 0);
	CHECK_EQ(synack_impair_link_stats(d.outer[0], &rx, &tx), 0);
	CHECK(tx.lost > 0 && tx.corrupted > 0 && tx.duplicated > 0);
	synack_stack_counters(d.st[1], &c);
	CHECK(c.drops[SYNACK_DROP_TCP_CHECKSUM] + c.drops[SYNACK_DROP_IP_CHECKSUM] > 0);
	duo_free(&d, 1);
}

/* The timeout follows the stack's next deadline (rounded up to ms), and is
 * -1 with nothing pending; application fds are bounded. */
TEST(loop_timeout_follows_stack_deadline_and_fd_table_is_bounded)
{
	struct duo d;
	int fds[2];

	CHECK_EQ(duo_init(&d, NULL), 0);
	synack_loop_run_once(d.loop[0], 0);
	CHECK_EQ(synack_loop_timeout_ms(d.loop[0]), -1);
	struct synack_endpoint to = {0x0a0000feu, 9};
	int s = synack_sock_open(d.st[0]);
	CHECK_EQ(synack_sock_connect(d.st[0], s, &to), -EINPROGRESS);
	int t = synack_loop_timeout_ms(d.loop[0]);
	CHECK(t > 0 && t <= 1001); /* the SYN's RTO, 1 s (RFC 6298 (2.1)); the wheel may report a
				   * slot boundary before it, never after */
	CHECK_EQ(pipe(fds), 0);
	CHECK_EQ(synack_loop_add_fd(d.loop[0], fds[0], 1, NULL, NULL), 0);
	CHECK_EQ(synack_loop_add_fd(d.loop[0], fds[0], 1, NULL, NULL), -EEXIST);
	CHECK_EQ(synack_loop_del_fd(d.loop[0], fds[0]), 0);
	CHECK_EQ(synack_loop_del_fd(d.loop[0], fds[0]), -ENOENT);
	int added = 0, err = 0;
	while ((err = synack_loop_add_fd(d.loop[0], dup(fds[0]), 1, NULL, NULL)) == 0)
		added++;
	CHECK_EQ(added, SYNACK_LOOP_MAX_FDS);
	CHECK_EQ(err, -ENOSPC);
	duo_free(&d, 0);
}

/* Creating the loop sets the stack's clock to the loop's (CLOCK_MONOTONIC):
 * a connect before the first round is timed now, not at 0, or its SYN's
 * timestamp (RFC 7323) would make the first RTT sample the uptime. */
TEST(loop_create_sets_the_stack_clock)
{
	struct duo d;

	uint64_t before = synack_loop_now();
	CHECK_EQ(duo_init(&d, NULL), 0);
	uint64_t after = synack_loop_now();
	CHECK(synack_stack_now(d.st[0]) >= before && synack_stack_now(d.st[0]) <= after);
	CHECK(synack_stack_now(d.st[1]) >= before && synack_stack_now(d.st[1]) <= after);
	duo_free(&d, 0);
}

/* An application with work no fd announces (a regular file to send, which
 * epoll cannot watch) calls synack_loop_wake: the next round does not wait,
 * even with no deadline at all, and only that round. */
TEST(loop_wake_makes_only_the_next_round_not_wait)
{
	struct duo d;

	CHECK_EQ(duo_init(&d, NULL), 0);
	synack_loop_run_once(d.loop[0], 0);
	CHECK_EQ(synack_loop_timeout_ms(d.loop[0]), -1);
	synack_loop_wake(d.loop[0]);
	CHECK_EQ(synack_loop_timeout_ms(d.loop[0]), 0);
	int before = d.hooks[0];
	uint64_t t0 = synack_loop_now();
	CHECK_EQ(synack_loop_run_once(d.loop[0], 3000), 0);
	CHECK(synack_loop_now() - t0 < 1500000); /* did not sleep out the 3 s */
	CHECK_EQ(d.hooks[0], before + 1);
	CHECK_EQ(synack_loop_timeout_ms(d.loop[0]), -1);
	duo_free(&d, 0);
}

static void stop_hook(void *ctx, synack_loop *l, uint64_t now)
{
	(void)now;
	(*(int *)ctx)++;
	synack_loop_stop(l);
}

/* synack_loop_run gives the hook its first turn before any wait: with no
 * deadline and no traffic, a first wait would last until some unrelated
 * datagram arrived (a client's request would sit unsent). The socketpair
 * is quiet, so a run that waited first would not return within the alarm;
 * a SIGALRM interrupts the wait (EINTR), so the test still ends. */
static volatile sig_atomic_t alarm_rang;
static void on_alarm(int sig)
{
	(void)sig;
	alarm_rang = 1;
}

TEST(loop_run_gives_the_hook_its_first_turn_at_once)
{
	struct duo d;
	struct sigaction sa = {.sa_handler = on_alarm}, old;
	int turns = 0;

	CHECK_EQ(duo_init(&d, NULL), 0);
	synack_loop_run_once(d.loop[0], 0);
	CHECK_EQ(synack_loop_timeout_ms(d.loop[0]), -1);
	synack_loop_set_hook(d.loop[0], stop_hook, &turns);
	alarm_rang = 0;
	sigaction(SIGALRM, &sa, &old);
	alarm(2);
	CHECK_EQ(synack_loop_run(d.loop[0]), 0);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	CHECK_EQ(turns, 1);
	CHECK(!alarm_rang);
	duo_free(&d, 0);
}

/* ---------------------------------------------------------------- capture tap */

/* The tap passes datagrams both ways unchanged and writes each as one pcap
 * record after the 24-byte global header (magic a1b2c3d4, 2.4, snaplen
 * 65535, LINKTYPE_RAW 101): a record header of 16 bytes (time, captured
 * and original length), then the bytes. Destroying it destroys the inner
 * link and completes the file. */
TEST(pcap_link_writes_every_datagram_both_ways)
{
	static struct mem_link m;
	struct synack_link *p;
	char path[] = "/tmp/synack-test-pcap-XXXXXX";
	uint8_t a[40] = {0x45}, b[60] = {0x45, 1}, c[20] = {0x45, 2}, buf[128];
	uint32_t w[6];
	uint64_t written, skipped;

	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	mem_init(&m);
	mem_push_rx(&m, c, sizeof(c));
	CHECK_EQ(synack_pcap_link_create(&m.base, path, 0, &p), 0);
	CHECK_EQ(synack_link_send(p, 1000001, a, sizeof(a)), 0);
	CHECK_EQ(synack_link_send(p, 1000002, b, sizeof(b)), 0);
	CHECK_EQ(synack_link_recv(p, 1000003, buf, sizeof(buf)), (ssize_t)sizeof(c));
	CHECK_EQ(synack_link_recv(p, 1000004, buf, sizeof(buf)), 0);
	CHECK_EQ(m.ntx, 2);
	CHECK(!memcmp(m.txq[1], b, sizeof(b)));
	CHECK_EQ(synack_pcap_link_stats(p, &written, &skipped), 0);
	CHECK_EQ(written, 3);
	CHECK_EQ(skipped, 0);
	CHECK_EQ(synack_pcap_link_stats(&m.base, NULL, NULL), -EINVAL);
	synack_link_destroy(p);
	CHECK(m.destroyed);

	FILE *f = fopen(path, "rb");
	CHECK(f != NULL);
	CHECK_EQ(fread(w, sizeof(w), 1, f), 1);
	CHECK_EQ(w[0], 0xa1b2c3d4u);
	CHECK_EQ(w[1], 2u | (4u << 16));
	CHECK_EQ(w[4], 65535);
	CHECK_EQ(w[5], 101);
	const uint8_t *want[3] = {a, b, c};
	size_t wlen[3] = {sizeof(a), sizeof(b), sizeof(c)};
	for (int i = 0; i < 3; i++) {
		uint32_t rh[4];
		CHECK_EQ(fread(rh, sizeof(rh), 1, f), 1);
		CHECK_EQ(rh[2], wlen[i]);
		CHECK_EQ(rh[3], wlen[i]);
		CHECK_EQ(fread(buf, wlen[i], 1, f), 1);
		CHECK(!memcmp(buf, want[i], wlen[i]));
	}
	CHECK_EQ(fread(buf, 1, 1, f), 0); /* nothing after the third record */
	fclose(f);
	unlink(path);
}

/* At the bound the datagrams still pass, uncaptured and counted, and the
 * file keeps the prefix that fitted. */
TEST(pcap_link_bound_skips_and_counts)
{
	static struct mem_link m;
	struct synack_link *p;
	char path[] = "/tmp/synack-test-pcap-XXXXXX";
	uint8_t a[40] = {0x45};
	uint64_t written, skipped;
	struct stat sb;

	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	mem_init(&m);
	/* room for the header and two records of 16 + 40 bytes */
	CHECK_EQ(synack_pcap_link_create(&m.base, path, 24 + 2 * 56 + 10, &p), 0);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(synack_link_send(p, 1, a, sizeof(a)), 0);
	CHECK_EQ(m.ntx, 5);
	CHECK_EQ(synack_pcap_link_stats(p, &written, &skipped), 0);
	CHECK_EQ(written, 2);
	CHECK_EQ(skipped, 3);
	synack_link_destroy(p);
	CHECK_EQ(stat(path, &sb), 0);
	CHECK_EQ(sb.st_size, 24 + 2 * 56);
	unlink(path);
	CHECK_EQ(synack_pcap_link_create(&m.base, "/nonexistent/dir/x.pcap", 0, &p), -ENOENT);
}

/* ---------------------------------------------------------------- TUN errors */

TEST(tun_open_missing_device_is_enoent_with_a_hint)
{
	struct synack_tun_config c = {.name = "tun0", .dev_path = "/nonexistent/net/tun"};
	struct synack_link *l = NULL;
	char why[512] = "";

	CHECK_EQ(synack_tun_open(&c, &l, why, sizeof(why)), -ENOENT);
	CHECK(l == NULL);
	CHECK(strstr(why, "/nonexistent/net/tun") != NULL);
	CHECK(strstr(why, "modprobe tun") != NULL);
}

TEST(tun_open_not_a_tun_device_fails_in_tunsetiff)
{
	struct synack_tun_config c = {.name = "tun0", .dev_path = "/dev/null"};
	struct synack_link *l = NULL;
	char why[512] = "";

	int err = synack_tun_open(&c, &l, why, sizeof(why));
	CHECK(err == -ENOTTY || err == -EINVAL);
	CHECK(strstr(why, "TUNSETIFF") != NULL);
}

TEST(tun_open_rejects_long_names_and_unknown_flags)
{
	struct synack_tun_config c = {.name = "a-name-longer-than-15"};
	struct synack_link *l = NULL;

	CHECK_EQ(synack_tun_open(&c, &l, NULL, 0), -EINVAL);
	c = (struct synack_tun_config){.name = "tun0", .flags = 0x80};
	CHECK_EQ(synack_tun_open(&c, &l, NULL, 0), -EINVAL);
	CHECK(synack_tun_name(NULL) == NULL);
}

/* A link whose far end answers before send() returns, as the kernel behind
 * a TUN device may: every datagram sent puts `answer` in the queue recv
 * reads from. */
struct echo_link {
	struct synack_link base;
	uint8_t answer[128];
	size_t answer_len;
	int queued, reads, sends;
};

static ssize_t echo_recv(struct synack_link *l, uint64_t now, uint8_t *buf, size_t cap)
{
	struct echo_link *e = (struct echo_link *)l;

	(void)now;
	if (!e->queued || cap < e->answer_len)
		return 0;
	e->queued--;
	e->reads++;
	memcpy(buf, e->answer, e->answer_len);
	return (ssize_t)e->answer_len;
}

static int echo_send(struct synack_link *l, uint64_t now, const uint8_t *pkt, size_t len)
{
	struct echo_link *e = (struct echo_link *)l;

	(void)now;
	(void)pkt;
	(void)len;
	e->sends++;
	e->queued++;
	return 0;
}

static const struct synack_link_ops echo_ops = {.kind = "echo", .recv = echo_recv,
						 .send = echo_send};

static void keep_syn(void *ctx, const uint8_t *pkt, size_t len)
{
	struct echo_link *e = ctx;

	if (len <= sizeof(e->answer)) {
		memcpy(e->answer, pkt, len);
		e->answer_len = len;
	}
}

/* A round reads its datagrams before the stack processes any, so what the
 * far end answers to the stack's output during the round is read in the
 * next round, at that round's clock: read in the same round it would
 * carry the same `now` and measure a round trip of 0 (RFC 6298, RFC 8985
 * min_RTT). Here each SYN to a closed port draws a RST (RFC 9293 §3.10.7.1),
 * and each RST draws another SYN: one per round, not a batch's worth. */
TEST(loop_reads_the_round_before_the_stack_answers)
{
	struct synack_config c;
	synack_stack *peer, *st;
	synack_loop *l;
	struct echo_link e = {.base.ops = &echo_ops};

	synack_config_default(&c);
	c.addr = 0x0a000002u;
	CHECK_EQ(synack_stack_create(&c, &peer), 0);
	synack_stack_set_output(peer, keep_syn, &e);
	int s = synack_sock_open(peer);
	struct synack_endpoint to = {0x0a000001u, 9};
	CHECK_EQ(synack_sock_connect(peer, s, &to), -EINPROGRESS);
	CHECK(e.answer_len >= 40);
	c.addr = 0x0a000001u;
	CHECK_EQ(synack_stack_create(&c, &st), 0);
	CHECK_EQ(synack_loop_create(st, &e.base, &l), 0);
	e.queued = 1;
	for (int round = 1; round <= 3; round++) {
		CHECK_EQ(synack_loop_run_once(l, 0), 0);
		CHECK_EQ(e.reads, round);
		CHECK_EQ(e.sends, round); /* a RST for each SYN */
		CHECK_EQ(e.queued, 1);
	}
	synack_loop_destroy(l);
	synack_stack_destroy(st);
	synack_stack_destroy(peer);
}
