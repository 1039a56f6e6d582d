/*
 * scale.c: one stack holding up to a million established connections
 * (docs/performance.md): memory per connection, and what a segment costs as
 * the connection table grows.
 *
 * The stack under test is a server. Its peers are not stacks but crafted
 * datagrams from many addresses and ports (10.128.0.0/9): a SYN, the
 * server's SYN,ACK read back from its output, the ACK that completes the
 * handshake; the server's application accepts each connection (so every
 * connection has a socket, as in a real server). Buffers are --buf bytes
 * each way (default 1 KiB).
 *
 * At 1e3, 1e5 and 1e6 connections it measures, with the wall clock:
 *  - segment: synack_stack_input() of a pure ACK (in window, acknowledging
 *    nothing new, so it changes nothing) to a connection picked at random,
 *    checksums included: the whole receive path;
 *  - the same segments in batches of BATCH through synack_stack_input_batch;
 *  - the same two again from a driver's buffers: before each batch, the
 *    batch's datagrams are copied into BATCH reused buffers of DRVBUF
 *    bytes, as a driver that read() them moments before would hold them
 *    (their headers in the cache); the copy is timed in a pass of its own
 *    and taken off, and printed. The figures above read each datagram
 *    from a ~40 MB array of crafted ACKs, so every segment's headers also
 *    miss the cache and the TLB: a cost a real driver does not see;
 *  - lookup: the 4-tuple lookup alone (sn_conn_lookup, private), same order.
 * Memory: the RSS the connections added, per connection (less the crafted
 * ACKs the benchmark keeps), and the sizes of the objects behind it (TCB,
 * socket, hash slot), from the private headers. Ring storage is allocated
 * with the first byte stored, so by default the connections hold no buffer
 * memory; --fill-rcv N makes each peer send N bytes the application never
 * reads, --fill-snd N makes the application send N bytes each peer never
 * acknowledges, and the RSS then shows what data held costs (ring storage
 * and malloc's overhead). With --fill-snd the timed pure ACKs would be
 * duplicate ACKs (data outstanding, RFC 5681 §2), so segments are not timed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "stack/stack.h"
#include "wire/ipv4.h"
#include "wire/tcp_wire.h"

#define SERVER_ADDR 0x0a000001u
#define SERVER_PORT 80
#define DGRAM 40 /* IPv4 + TCP headers, no options */
#define BATCH 64 /* datagrams per synack_stack_input_batch call */
#define DRVBUF 2048 /* a driver's receive buffer (an MTU-sized datagram fits) */

struct opts {
	uint64_t conns, probes;
	uint32_t buf, fill_rcv, fill_snd;
	int quick;
};

struct run {
	struct opts o;
	synack_stack *st;
	int listener;
	uint8_t *acks;      /* [conns][DGRAM]: each connection's pure ACK */
	uint8_t *drv;       /* [BATCH][DRVBUF]: the driver's reused receive buffers */
	uint64_t n;         /* connections established */
	uint32_t last_iss;  /* from the latest SYN,ACK */
	int last_sock;      /* the latest accepted connection */
	int got_synack;
	uint64_t failed;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: scale [options]\n"
		"Memory per established connection and the cost of a segment at 1e3, 1e5 and\n"
		"1e6 connections in one stack. Prints figures, never pass/fail.\n"
		"A segment is a pure ACK to a random connection, timed (wall clock and this\n"
		"process's CPU time) one per synack_stack_input call and in batches of 64\n"
		"through synack_stack_input_batch, read from a ~40 MB array of crafted ACKs\n"
		"(so its headers miss the cache too); then both again from driver buffers:\n"
		"each batch first copied into 64 reused 2 KiB buffers, as a driver that read()\n"
		"them would hold them, the copy timed on its own and not counted.\n\n"
		"  --conns N    connections at the largest step (default 1M); the steps are\n"
		"               1e3, 1e5, 1e6 up to N\n"
		"  --probes N   segments (and lookups) timed at each step (default 2M)\n"
		"  --buf BYTES  send and receive buffer per connection (default 1024)\n"
		"  --fill-rcv N each peer sends N bytes (<= --buf) the application never reads\n"
		"  --fill-snd N the application sends N bytes (<= --buf) on each connection that\n"
		"               the peer never acknowledges (segments are then not timed)\n"
		"  --quick      a tiny run (smoke test: 1e3 and 1e4 connections)\n"
		"  --help       this text\n");
}

static void quick(void *dst)
{
	struct opts *o = dst;

	o->quick = 1;
	o->conns = 10000;
	o->probes = 100000;
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.conns = 1000000, .probes = 2000000, .buf = 1024};
	const struct bench_optspec spec[] = {
		{"--quick", BENCH_OPT_CALL, o, quick, NULL},
		{"--conns", BENCH_OPT_COUNT, &o->conns, NULL, NULL},
		{"--probes", BENCH_OPT_COUNT, &o->probes, NULL, NULL},
		{"--buf", BENCH_OPT_U32, &o->buf, NULL, NULL},
		{"--fill-rcv", BENCH_OPT_U32, &o->fill_rcv, NULL, NULL},
		{"--fill-snd", BENCH_OPT_U32, &o->fill_snd, NULL, NULL},
		{NULL, BENCH_OPT_FLAG, NULL, NULL, NULL},
	};
	bench_parse_opts(argc, argv, "scale", spec, usage);
	if (o->conns < 1000 || o->conns > 8000000 || o->probes < 1 || o->fill_rcv > o->buf ||
	    o->fill_snd > o->buf) {
		fprintf(stderr, "scale: --conns 1000..8M, --probes >= 1, --fill-rcv/--fill-snd <= --buf\n");
		exit(2);
	}
}

/* Peer i's address and port: 100 ports per address across 10.128.0.0/9. */
static void peer_of(uint64_t i, uint32_t *addr, uint16_t *port)
{
	*addr = 0x0a800000u + (uint32_t)(i / 100) + 1;
	*port = (uint16_t)(1024 + i % 100);
}

/* A datagram from the peer; len payload bytes already sit at pkt + DGRAM. */
static void craft(uint8_t *pkt, uint32_t src, uint16_t sport, uint32_t seq, uint32_t ack,
		  uint8_t flags, uint32_t len)
{
	struct sn_tcp_seg seg = {
		.sport = sport, .dport = SERVER_PORT, .seq = seq, .ack = ack, .flags = flags,
		.wnd = 65535, .len = len,
	};
	size_t hlen = sn_tcp_build(pkt + SN_IPV4_HDR_LEN, &seg, src, SERVER_ADDR);
	struct sn_ipv4 ip = {
		.hdr_len = SN_IPV4_HDR_LEN, .total_len = (uint16_t)(SN_IPV4_HDR_LEN + hlen + len),
		.frag = SN_IPV4_DF, .ttl = 64, .proto = SN_IPPROTO_TCP, .src = src,
		.dst = SERVER_ADDR,
	};
	sn_ipv4_build(pkt, &ip);
}

/* The server's output: only its SYN,ACKs matter (their ISN). */
static void on_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct run *r = ctx;
	struct sn_ipv4 ip;
	struct sn_tcp_seg seg;

	if (sn_ipv4_parse(pkt, len, &ip) ||
	    sn_tcp_parse(pkt + ip.hdr_len, ip.total_len - ip.hdr_len, ip.src, ip.dst, &seg))
		return;
	if ((seg.flags & (SN_TCP_SYN | SN_TCP_ACK)) == (SN_TCP_SYN | SN_TCP_ACK)) {
		r->last_iss = seg.seq;
		r->got_synack = 1;
	}
}

static void setup(struct run *r)
{
	struct synack_config cfg;

	synack_config_default(&cfg);
	cfg.addr = SERVER_ADDR;
	cfg.seed = 7;
	cfg.max_sockets = (uint32_t)r->o.conns + 16;
	cfg.max_conns = (uint32_t)r->o.conns + 16;
	cfg.max_timewait = 1024;
	cfg.sndbuf = r->o.buf;
	cfg.rcvbuf = r->o.buf;
	r->st = bench_stack(&cfg);
	synack_stack_set_output(r->st, on_output, r);
	struct synack_endpoint any = {0, SERVER_PORT};
	r->listener = synack_sock_open(r->st);
	if (r->listener < 0 || synack_sock_bind(r->st, r->listener, &any) ||
	    synack_sock_listen(r->st, r->listener, 1024)) {
		fprintf(stderr, "scale: cannot listen\n");
		exit(1);
	}
	r->acks = malloc(r->o.conns * DGRAM);
	r->drv = malloc(BATCH * DRVBUF);
	if (!r->acks || !r->drv) {
		fprintf(stderr, "scale: out of memory\n");
		exit(1);
	}
}

/* The data --fill-rcv and --fill-snd ask for, in segments of at most 1 KiB
 * (under the 1460 bytes the server's SYN,ACK advertises). 0 or -1. */
static int fill(struct run *r, int s, uint32_t addr, uint16_t port, uint32_t seq, uint64_t now)
{
	static uint8_t pkt[DGRAM + 1024], data[1 << 16];
	uint32_t off = 0;

	while (off < r->o.fill_rcv) {
		uint32_t n = r->o.fill_rcv - off < 1024 ? r->o.fill_rcv - off : 1024;
		memset(pkt + DGRAM, 'a', n);
		craft(pkt, addr, port, seq + off, r->last_iss + 1, SN_TCP_ACK | SN_TCP_PSH, n);
		synack_stack_input(r->st, now, pkt, DGRAM + n);
		off += n;
	}
	for (off = 0; off < r->o.fill_snd;) {
		uint32_t n = r->o.fill_snd - off < sizeof(data) ? r->o.fill_snd - off : sizeof(data);
		ssize_t k = synack_sock_send(r->st, s, data, n);
		if (k <= 0)
			return -1;
		off += (uint32_t)k;
	}
	return 0;
}

/* One handshake from peer r->n; the server accepts it and fills it. */
static void add_conn(struct run *r, uint64_t now)
{
	uint8_t syn[DGRAM];
	uint32_t addr, iss = (uint32_t)(r->n * 7919u);
	uint16_t port;

	peer_of(r->n, &addr, &port);
	craft(syn, addr, port, iss, 0, SN_TCP_SYN, 0);
	r->got_synack = 0;
	synack_stack_input(r->st, now, syn, sizeof(syn));
	if (!r->got_synack) {
		r->failed++;
		return;
	}
	uint8_t *ack = r->acks + r->n * DGRAM;
	craft(ack, addr, port, iss + 1, r->last_iss + 1, SN_TCP_ACK, 0);
	synack_stack_input(r->st, now, ack, DGRAM);
	int s = synack_sock_accept(r->st, r->listener, NULL);
	if (s < 0 || fill(r, s, addr, port, iss + 1, now) < 0) {
		r->failed++;
		return;
	}
	/* the timed ACK follows the data received: seq = RCV.NXT */
	craft(ack, addr, port, iss + 1 + r->o.fill_rcv, r->last_iss + 1, SN_TCP_ACK, 0);
	r->last_sock = s;
	r->n++;
}

/* The latest connection holds what --fill-* asked for. */
static int fill_held(struct run *r)
{
	struct synack_tcp_info ti;

	if (synack_sock_info(r->st, r->last_sock, &ti))
		return 0;
	return ti.recv_queue == r->o.fill_rcv && ti.send_queue == r->o.fill_snd;
}

static inline uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Wall-clock ns per segment; *cpu_ns: the same in this process's CPU time,
 * which time slices lost to other processes on a shared machine do not
 * inflate. */
static double time_segments(struct run *r, uint64_t now, double *cpu_ns)
{
	uint64_t x = 0x243f6a8885a308d3ull, t0 = bench_now_ns(), c0 = bench_cpu_us();

	for (uint64_t k = 0; k < r->o.probes; k++)
		synack_stack_input(r->st, now, r->acks + (next_rand(&x) % r->n) * DGRAM, DGRAM);
	*cpu_ns = (double)(bench_cpu_us() - c0) * 1000.0 / (double)r->o.probes;
	return (double)(bench_now_ns() - t0) / (double)r->o.probes;
}

/* The same segments through synack_stack_input_batch, BATCH at a time
 * (the headers, buckets, TCBs and sockets of the next few prefetched). */
static double time_segments_batch(struct run *r, uint64_t now, double *cpu_ns)
{
	uint64_t x = 0x243f6a8885a308d3ull, t0 = bench_now_ns(), c0 = bench_cpu_us();
	const uint8_t *pkts[BATCH];
	size_t lens[BATCH];

	for (uint64_t k = 0; k < r->o.probes; k += BATCH) {
		size_t n = r->o.probes - k < BATCH ? r->o.probes - k : BATCH;
		for (size_t i = 0; i < n; i++) {
			pkts[i] = r->acks + (next_rand(&x) % r->n) * DGRAM;
			lens[i] = DGRAM;
		}
		synack_stack_input_batch(r->st, now, pkts, lens, n);
	}
	*cpu_ns = (double)(bench_cpu_us() - c0) * 1000.0 / (double)r->o.probes;
	return (double)(bench_now_ns() - t0) / (double)r->o.probes;
}

enum drv_mode { DRV_COPY_ONLY, DRV_ONE_PER_CALL, DRV_BATCHED };

/* CPU ns per segment of the same segments copied BATCH at a time into the
 * driver's buffers (the "read"), then, unless DRV_COPY_ONLY, handed to the
 * stack from there one per call or as one batch. */
static double time_driver(struct run *r, uint64_t now, enum drv_mode mode)
{
	uint64_t x = 0x243f6a8885a308d3ull, c0 = bench_cpu_us();
	const uint8_t *pkts[BATCH];
	size_t lens[BATCH];

	for (uint64_t k = 0; k < r->o.probes; k += BATCH) {
		size_t n = r->o.probes - k < BATCH ? r->o.probes - k : BATCH;
		for (size_t i = 0; i < n; i++) {
			uint8_t *buf = r->drv + i * DRVBUF;
			memcpy(buf, r->acks + (next_rand(&x) % r->n) * DGRAM, DGRAM);
			pkts[i] = buf;
			lens[i] = DGRAM;
		}
		__asm__ volatile("" : : "r"(pkts) : "memory"); /* the copies happen */
		if (mode == DRV_BATCHED)
			synack_stack_input_batch(r->st, now, pkts, lens, n);
		else if (mode == DRV_ONE_PER_CALL)
			for (size_t i = 0; i < n; i++)
				synack_stack_input(r->st, now, pkts[i], lens[i]);
	}
	return (double)(bench_cpu_us() - c0) * 1000.0 / (double)r->o.probes;
}

static double time_lookups(struct run *r)
{
	uint64_t x = 0x243f6a8885a308d3ull, t0 = bench_now_ns(), found = 0;

	for (uint64_t k = 0; k < r->o.probes; k++) {
		uint32_t addr;
		uint16_t port;
		peer_of(next_rand(&x) % r->n, &addr, &port);
		struct synack_endpoint l = {SERVER_ADDR, SERVER_PORT}, rem = {addr, port};
		found += sn_conn_lookup(r->st, &l, &rem) != NULL;
	}
	double ns = (double)(bench_now_ns() - t0) / (double)r->o.probes;
	if (found != r->o.probes)
		r->failed++;
	return ns;
}

static void step(struct run *r, uint64_t target, uint64_t rss0, uint64_t now)
{
	struct synack_counters c0, c1;
	uint32_t held = r->o.fill_rcv + r->o.fill_snd;
	double seg_ns = 0, cpu_ns = 0, bat_ns = 0, bat_cpu = 0, copy = 0, drv1 = 0, drvb = 0;

	while (r->n < target && r->failed == 0)
		add_conn(r, now);
	if (!fill_held(r))
		r->failed++;
	uint64_t rss = bench_rss_kib();
	synack_stack_counters(r->st, &c0);
	if (!r->o.fill_snd) {
		seg_ns = time_segments(r, now, &cpu_ns);
		bat_ns = time_segments_batch(r, now, &bat_cpu);
		copy = time_driver(r, now, DRV_COPY_ONLY);
		drv1 = time_driver(r, now, DRV_ONE_PER_CALL) - copy;
		drvb = time_driver(r, now, DRV_BATCHED) - copy;
	}
	double look_ns = time_lookups(r);
	synack_stack_counters(r->st, &c1);
	/* the crafted ACKs (DGRAM bytes per connection) are the benchmark's */
	double per_conn = (double)(rss - rss0) * 1024.0 / (double)r->n - DGRAM;
	printf("  %8llu connections: ", (unsigned long long)r->n);
	if (r->o.fill_snd)
		printf("segments not timed (data outstanding), ");
	else
		printf("%6.1f ns per segment (%6.1f CPU), batched %6.1f (%6.1f CPU), ", seg_ns,
		       cpu_ns, bat_ns, bat_cpu);
	printf("%5.1f ns per lookup, RSS %7.1f MiB (%.0f B per connection incl. buffers",
	       look_ns, (double)rss / 1024.0, per_conn);
	if (held)
		printf(", %u B of it data held", held);
	printf("), %llu segments sent in reply\n", (unsigned long long)(c1.segs_out - c0.segs_out));
	if (!r->o.fill_snd)
		printf("  %8s  from driver buffers: %6.1f CPU ns per segment, batched %6.1f CPU"
		       " (the copy into them, %.1f CPU, not counted)\n", "", drv1, drvb, copy);
	char name[64];
	if (!r->o.fill_snd) {
		snprintf(name, sizeof(name), "scale.%llu.ns_per_segment", (unsigned long long)r->n);
		bench_result(name, seg_ns, "ns");
		snprintf(name, sizeof(name), "scale.%llu.cpu_ns_per_segment", (unsigned long long)r->n);
		bench_result(name, cpu_ns, "ns");
		snprintf(name, sizeof(name), "scale.%llu.cpu_ns_per_segment_batched",
			 (unsigned long long)r->n);
		bench_result(name, bat_cpu, "ns");
		snprintf(name, sizeof(name), "scale.%llu.cpu_ns_per_segment_driver",
			 (unsigned long long)r->n);
		bench_result(name, drv1, "ns");
		snprintf(name, sizeof(name), "scale.%llu.cpu_ns_per_segment_driver_batched",
			 (unsigned long long)r->n);
		bench_result(name, drvb, "ns");
	}
	snprintf(name, sizeof(name), "scale.%llu.ns_per_lookup", (unsigned long long)r->n);
	bench_result(name, look_ns, "ns");
	snprintf(name, sizeof(name), "scale.%llu.rss_per_conn", (unsigned long long)r->n);
	bench_result(name, per_conn, "B");
}

int main(int argc, char **argv)
{
	static struct run r;

	parse(argc, argv, &r.o);
	setup(&r);
	uint64_t rss0 = bench_rss_kib(); /* tables sized at creation are not yet touched */
	uint64_t now = 1000000;
	size_t tcb = r.st->tcb_pool.obj_size, sock = sizeof(struct sn_sock);
	size_t slot = sizeof(struct sn_tcb *) * (r.st->hash_mask + 1) / r.o.conns;

	printf("scale: up to %llu established connections, buffers %u B each way,"
	       " %llu random segments per step",
	       (unsigned long long)r.o.conns, r.o.buf, (unsigned long long)r.o.probes);
	if (r.o.fill_rcv || r.o.fill_snd)
		printf(", %u B unread and %u B unacknowledged in each", r.o.fill_rcv, r.o.fill_snd);
	printf("\n");
	printf("  per connection without buffers: TCB %zu B + socket %zu B + hash slot %zu B"
	       " = %zu B; ring storage (2 x %u B) from malloc with the first byte\n",
	       tcb, sock, slot, tcb + sock + slot, r.o.buf);
	bench_result("scale.tcb_bytes", (double)tcb, "B");
	bench_result("scale.conn_bytes_without_buffers", (double)(tcb + sock + slot), "B");
	uint64_t steps[] = {1000, r.o.quick ? 10000 : 100000, 1000000, 0};
	for (int i = 0; steps[i] && steps[i] <= r.o.conns && !r.failed; i++)
		step(&r, steps[i], rss0, now);
	printf("  peak RSS %.1f MiB; failed %llu\n", (double)bench_peak_rss_kib() / 1024.0,
	       (unsigned long long)r.failed);
	bench_result("scale.peak_rss", (double)bench_peak_rss_kib(), "KiB");
	synack_stack_destroy(r.st);
	free(r.acks);
	free(r.drv);
	return r.failed ? 1 : 0;
}
