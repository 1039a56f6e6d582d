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
 *  - lookup: the 4-tuple lookup alone (sn_conn_lookup, private), same order.
 * Memory: the RSS the connections added, per connection (less the crafted
 * ACKs the benchmark keeps), and the sizes of the objects behind it (TCB,
 * socket, hash slot), from the private headers.
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

struct opts {
	uint64_t conns, probes;
	uint32_t buf;
	int quick;
};

struct run {
	struct opts o;
	synack_stack *st;
	int listener;
	uint8_t *acks;      /* [conns][DGRAM]: each connection's pure ACK */
	uint64_t n;         /* connections established */
	uint32_t last_iss;  /* from the latest SYN,ACK */
	int got_synack;
	uint64_t failed;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: scale [options]\n"
		"Memory per established connection and the cost of a segment at 1e3, 1e5 and\n"
		"1e6 connections in one stack. Prints figures, never pass/fail.\n\n"
		"  --conns N    connections at the largest step (default 1M); the steps are\n"
		"               1e3, 1e5, 1e6 up to N\n"
		"  --probes N   segments (and lookups) timed at each step (default 2M)\n"
		"  --buf BYTES  send and receive buffer per connection (default 1024)\n"
		"  --quick      a tiny run (smoke test: 1e3 and 1e4 connections)\n"
		"  --help       this text\n");
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.conns = 1000000, .probes = 2000000, .buf = 1024};
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(argv[i], "--quick")) {
			o->quick = 1;
			o->conns = 10000;
			o->probes = 100000;
		} else if (bench_opt(argc, argv, &i, "--conns", &v)) {
			o->conns = bench_parse_count("--conns", v);
		} else if (bench_opt(argc, argv, &i, "--probes", &v)) {
			o->probes = bench_parse_count("--probes", v);
		} else if (bench_opt(argc, argv, &i, "--buf", &v)) {
			o->buf = (uint32_t)bench_parse_count("--buf", v);
		} else {
			fprintf(stderr, "scale: unknown option '%s'\n\n", argv[i]);
			usage(stderr);
			exit(2);
		}
	}
	if (o->conns < 1000 || o->conns > 8000000 || o->probes < 1) {
		fprintf(stderr, "scale: --conns 1000..8M, --probes >= 1\n");
		exit(2);
	}
}

/* Peer i's address and port: 100 ports per address across 10.128.0.0/9. */
static void peer_of(uint64_t i, uint32_t *addr, uint16_t *port)
{
	*addr = 0x0a800000u + (uint32_t)(i / 100) + 1;
	*port = (uint16_t)(1024 + i % 100);
}

static void craft(uint8_t *pkt, uint32_t src, uint16_t sport, uint32_t seq, uint32_t ack,
		  uint8_t flags)
{
	struct sn_tcp_seg seg = {
		.sport = sport, .dport = SERVER_PORT, .seq = seq, .ack = ack, .flags = flags,
		.wnd = 65535,
	};
	size_t hlen = sn_tcp_build(pkt + SN_IPV4_HDR_LEN, &seg, src, SERVER_ADDR);
	struct sn_ipv4 ip = {
		.hdr_len = SN_IPV4_HDR_LEN, .total_len = (uint16_t)(SN_IPV4_HDR_LEN + hlen),
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
	if (!r->acks) {
		fprintf(stderr, "scale: out of memory\n");
		exit(1);
	}
}

/* One handshake from peer r->n; the server accepts it. */
static void add_conn(struct run *r, uint64_t now)
{
	uint8_t syn[DGRAM];
	uint32_t addr, iss = (uint32_t)(r->n * 7919u);
	uint16_t port;

	peer_of(r->n, &addr, &port);
	craft(syn, addr, port, iss, 0, SN_TCP_SYN);
	r->got_synack = 0;
	synack_stack_input(r->st, now, syn, sizeof(syn));
	if (!r->got_synack) {
		r->failed++;
		return;
	}
	uint8_t *ack = r->acks + r->n * DGRAM;
	craft(ack, addr, port, iss + 1, r->last_iss + 1, SN_TCP_ACK);
	synack_stack_input(r->st, now, ack, DGRAM);
	if (synack_sock_accept(r->st, r->listener, NULL) < 0) {
		r->failed++;
		return;
	}
	r->n++;
}

static inline uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static double time_segments(struct run *r, uint64_t now)
{
	uint64_t x = 0x243f6a8885a308d3ull, t0 = bench_now_ns();

	for (uint64_t k = 0; k < r->o.probes; k++)
		synack_stack_input(r->st, now, r->acks + (next_rand(&x) % r->n) * DGRAM, DGRAM);
	return (double)(bench_now_ns() - t0) / (double)r->o.probes;
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

	while (r->n < target && r->failed == 0)
		add_conn(r, now);
	uint64_t rss = bench_rss_kib();
	synack_stack_counters(r->st, &c0);
	double seg_ns = time_segments(r, now);
	double look_ns = time_lookups(r);
	synack_stack_counters(r->st, &c1);
	/* the crafted ACKs (DGRAM bytes per connection) are the benchmark's */
	double per_conn = (double)(rss - rss0) * 1024.0 / (double)r->n - DGRAM;
	printf("  %8llu connections: %6.1f ns per segment, %5.1f ns per lookup, RSS %7.1f MiB"
	       " (%.0f B per connection incl. buffers), %llu segments sent in reply\n",
	       (unsigned long long)r->n, seg_ns, look_ns, (double)rss / 1024.0, per_conn,
	       (unsigned long long)(c1.segs_out - c0.segs_out));
	char name[64];
	snprintf(name, sizeof(name), "scale.%llu.ns_per_segment", (unsigned long long)r->n);
	bench_result(name, seg_ns, "ns");
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
	size_t tcb = sizeof(struct sn_tcb), sock = sizeof(struct sn_sock);
	size_t slot = sizeof(struct sn_tcb *) * (r.st->hash_mask + 1) / r.o.conns;

	printf("scale: up to %llu established connections, buffers %u B each way,"
	       " %llu random segments per step\n",
	       (unsigned long long)r.o.conns, r.o.buf, (unsigned long long)r.o.probes);
	printf("  per connection without buffers: TCB %zu B + socket %zu B + hash slot %zu B"
	       " = %zu B; buffers 2 x %u B from malloc\n",
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
	return r.failed ? 1 : 0;
}
