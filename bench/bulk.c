/*
 * bulk.c: one connection's bulk throughput, sender and receiver stacks in
 * one process on one core, real checksums on every segment both ways
 * (docs/performance.md).
 *
 * The driver works in rounds, each a batch: (tx) the sender's application
 * fills its send buffer, and the stack sends what the window allows;
 * (rx) the wire delivers those data segments to the receiver, which ACKs
 * every second one, and the receiving application reads everything (its
 * window update goes out); (ack) the wire delivers the ACKs to the sender.
 * The send buffer is no larger than the receiver's window, so in steady
 * state everything queued in tx leaves in tx and the ACK phase sends
 * nothing: the three phases are the three costs (sending data, receiving
 * data, receiving ACKs), which --callgrind counts separately.
 *
 * Time: the stacks get the real monotonic clock. A round that moves nothing
 * (a segment held for the delayed-ACK timer) advances the stacks' clock to
 * their next deadline and is counted as a stall; there are none in steady
 * state.
 *
 * Instructions per segment exclude the payload copies (memcpy/memmove, in
 * the send and receive rings and building the datagram) and the checksum
 * (sn_csum_*, csum_blocks), as the figure in the issue asks; the wire's own copy is never
 * counted (bench.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

enum phase { PH_TX, PH_RX, PH_ACK, PH_COUNT };

struct opts {
	uint64_t bytes, warmup, cg_bytes;
	uint32_t mtu, window;
	int callgrind, cg_phase, verify;
};

struct run {
	struct opts o;
	synack_stack *tx, *rx;
	struct bench_wire wire;
	int ts, rs;                  /* sender's and receiver's sockets */
	uint8_t *pattern;            /* source data: pattern[i] for stream offset i mod PAT */
	uint8_t *sink;
	uint64_t sent, rcvd, stalls, bad;
	uint64_t seg_phase[PH_COUNT]; /* datagrams emitted in each phase */
	uint64_t rounds;
	uint64_t clock;              /* stacks' time (µs) */
	int counting;                /* callgrind child: past the warmup */
};

#define PAT (1u << 20)
#define CHUNK (256u << 10)

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bulk [options]\n"
		"Bulk throughput of one connection between two synack stacks in one process on\n"
		"one core, with real checksums. Prints figures, never pass/fail.\n\n"
		"  --bytes N        bytes to time (default 1Gi; k/M/G and Ki/Mi/Gi suffixes)\n"
		"  --warmup N       bytes before timing starts (default 16Mi)\n"
		"  --mtu N          link MTU of both stacks, MSS = MTU - 40 (default 1500)\n"
		"  --window N       receive buffer = send buffer (default 65535, the largest\n"
		"                   window without window scaling)\n"
		"  --verify         compare every received byte with what was sent\n"
		"  --callgrind      also count instructions per segment, per phase, under\n"
		"                   callgrind (valgrind), over --cg-bytes\n"
		"  --cg-bytes N     bytes for each callgrind run (default 32Mi)\n"
		"  --quick          a tiny run (smoke test; implies --verify)\n"
		"  --help           this text\n");
}

static void quick(void *dst)
{
	struct opts *o = dst;

	o->bytes = 8u << 20;
	o->warmup = 1u << 20;
	o->verify = 1;
}

/* --cg-phase: 0, 1 or 2 (the child's phase under callgrind) */
static int cg_phase(const char *v, void *dst)
{
	if (v[0] < '0' || v[0] > '2' || v[1] != '\0')
		return -1;
	*(int *)dst = v[0] - '0';
	return 0;
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.bytes = 1ull << 30, .warmup = 16u << 20, .cg_bytes = 32u << 20,
			   .mtu = 1500, .window = 65535, .cg_phase = -1};
	const struct bench_optspec spec[] = {
		{"--quick", BENCH_OPT_CALL, o, quick, NULL},
		{"--verify", BENCH_OPT_FLAG, &o->verify, NULL, NULL},
		{"--callgrind", BENCH_OPT_FLAG, &o->callgrind, NULL, NULL},
		{"--cg-phase", BENCH_OPT_STR, &o->cg_phase, NULL, cg_phase},
		{"--bytes", BENCH_OPT_COUNT, &o->bytes, NULL, NULL},
		{"--warmup", BENCH_OPT_COUNT, &o->warmup, NULL, NULL},
		{"--cg-bytes", BENCH_OPT_COUNT, &o->cg_bytes, NULL, NULL},
		{"--mtu", BENCH_OPT_U32, &o->mtu, NULL, NULL},
		{"--window", BENCH_OPT_U32, &o->window, NULL, NULL},
		{NULL, BENCH_OPT_FLAG, NULL, NULL, NULL},
	};
	bench_parse_opts(argc, argv, "bulk", spec, usage);
	if (o->mtu < 576 || o->mtu > 65535 || o->window < 1024 || o->window > 65535) {
		fprintf(stderr, "bulk: --mtu 576..65535, --window 1024..65535\n");
		exit(2);
	}
}

static synack_stack *make_stack(const struct opts *o, uint32_t addr, uint64_t seed)
{
	struct synack_config cfg;

	synack_config_default(&cfg);
	cfg.addr = addr;
	cfg.seed = seed;
	cfg.mtu = (uint16_t)o->mtu;
	cfg.sndbuf = o->window;
	cfg.rcvbuf = o->window;
	cfg.max_sockets = 8;
	cfg.max_conns = 8;
	cfg.max_timewait = 16;
	return bench_stack(&cfg);
}

/* Collection on only in the phase being counted (bench.h). */
static void phase_begin(struct run *r, enum phase p)
{
	bench_cg_enable(r->counting && r->o.cg_phase == (int)p);
}

static uint64_t queued(const struct run *r)
{
	return r->wire.a_to_b.pkts + r->wire.b_to_a.pkts;
}

static void phase_tx(struct run *r, uint64_t limit)
{
	uint64_t before = queued(r);

	phase_begin(r, PH_TX);
	while (r->sent < limit) {
		uint64_t off = r->sent % PAT;
		uint64_t n = limit - r->sent;
		ssize_t k;
		if (n > PAT - off)
			n = PAT - off;
		if (n > CHUNK)
			n = CHUNK;
		BENCH_CG(k = synack_sock_send(r->tx, r->ts, r->pattern + off, n));
		if (k <= 0)
			break;
		r->sent += (uint64_t)k;
	}
	r->seg_phase[PH_TX] += queued(r) - before;
}

static void phase_rx(struct run *r)
{
	uint64_t before = queued(r);
	ssize_t k;

	phase_begin(r, PH_RX);
	bench_wire_deliver_to_b(&r->wire, r->clock);
	for (;;) {
		BENCH_CG(k = synack_sock_recv(r->rx, r->rs, r->sink, CHUNK));
		if (k <= 0)
			break;
		if (r->o.verify) {
			for (ssize_t i = 0; i < k; i++)
				r->bad += r->sink[i] != r->pattern[(r->rcvd + (uint64_t)i) % PAT];
		}
		r->rcvd += (uint64_t)k;
	}
	r->seg_phase[PH_RX] += queued(r) - before;
}

static void phase_ack(struct run *r)
{
	uint64_t before = queued(r);

	phase_begin(r, PH_ACK);
	bench_wire_deliver_to_a(&r->wire, r->clock);
	r->seg_phase[PH_ACK] += queued(r) - before;
}

/* Rounds until `limit` bytes have been received. */
static void run_until(struct run *r, uint64_t limit)
{
	while (r->rcvd < limit) {
		uint64_t now = bench_now_us();
		uint64_t moved = r->rcvd;
		if (now > r->clock)
			r->clock = now;
		phase_tx(r, limit);
		phase_rx(r);
		phase_ack(r);
		bench_cg_enable(0);
		r->rounds++;
		if (r->rcvd != moved || r->wire.a_to_b.used || r->wire.b_to_a.used)
			continue;
		/* nothing moved: let the stacks' timers run */
		uint64_t d1 = synack_stack_next_deadline(r->tx), d2 = synack_stack_next_deadline(r->rx);
		uint64_t d = d1 < d2 ? d1 : d2;
		if (d == UINT64_MAX) {
			fprintf(stderr, "bulk: stuck with no timer pending\n");
			exit(1);
		}
		if (d > r->clock)
			r->clock = d;
		synack_stack_poll(r->tx, r->clock);
		synack_stack_poll(r->rx, r->clock);
		r->stalls++;
	}
}

static void connect_pair(struct run *r)
{
	struct synack_endpoint ep = {0x0a000002, 5001}, any = {0, 5001};
	int lis = synack_sock_open(r->rx);

	if (lis < 0 || synack_sock_bind(r->rx, lis, &any) || synack_sock_listen(r->rx, lis, 4))
		goto fail;
	r->ts = synack_sock_open(r->tx);
	if (r->ts < 0 || synack_sock_setopt(r->tx, r->ts, SYNACK_TCP_NODELAY, 1) ||
	    synack_sock_connect(r->tx, r->ts, &ep) != -EINPROGRESS)
		goto fail;
	r->clock = bench_now_us();
	bench_wire_run(&r->wire, r->clock);
	r->rs = synack_sock_accept(r->rx, lis, NULL);
	if (r->rs < 0)
		goto fail;
	synack_sock_close(r->rx, lis);
	return;
fail:
	fprintf(stderr, "bulk: could not connect the two stacks\n");
	exit(1);
}

static void setup(struct run *r)
{
	r->tx = make_stack(&r->o, 0x0a000001, 1);
	r->rx = make_stack(&r->o, 0x0a000002, 2);
	r->pattern = malloc(PAT);
	r->sink = malloc(CHUNK);
	if (!r->pattern || !r->sink || bench_wire_init(&r->wire, r->tx, r->rx, 16u << 20)) {
		fprintf(stderr, "bulk: out of memory\n");
		exit(1);
	}
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (uint32_t i = 0; i < PAT; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		r->pattern[i] = (uint8_t)x;
	}
	connect_pair(r);
}

static void teardown(struct run *r)
{
	bench_wire_free(&r->wire);
	synack_stack_destroy(r->tx);
	synack_stack_destroy(r->rx);
	free(r->pattern);
	free(r->sink);
}

static int cg_child(struct run *r)
{
	run_until(r, r->o.warmup);
	uint64_t segs[PH_COUNT];
	memcpy(segs, r->seg_phase, sizeof(segs));
	r->counting = 1;
	run_until(r, r->o.warmup + r->o.bytes);
	bench_cg_enable(0);
	/* the parent reads these from our stdout, which it discards: so it
	 * recomputes them; printed for a human running --cg-phase by hand */
	printf("cg-child segs tx %llu rx %llu ack %llu\n",
	       (unsigned long long)(r->seg_phase[PH_TX] - segs[PH_TX]),
	       (unsigned long long)(r->seg_phase[PH_RX] - segs[PH_RX]),
	       (unsigned long long)(r->seg_phase[PH_ACK] - segs[PH_ACK]));
	teardown(r);
	return 0;
}

/* Segment counts per phase for cg_bytes, from an ordinary run (the runs are
 * deterministic in segments: same sizes, same windows). */
static void count_instructions(char **argv, const struct opts *o)
{
	struct run probe = {.o = *o};
	probe.o.verify = 0;
	setup(&probe);
	run_until(&probe, o->warmup);
	uint64_t s0[PH_COUNT];
	memcpy(s0, probe.seg_phase, sizeof(s0));
	run_until(&probe, o->warmup + o->cg_bytes);
	uint64_t data = probe.seg_phase[PH_TX] - s0[PH_TX];
	uint64_t acks = probe.seg_phase[PH_RX] - s0[PH_RX];
	uint64_t ack_out = probe.seg_phase[PH_ACK] - s0[PH_ACK];
	teardown(&probe);

	char bytes[32];
	snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)o->cg_bytes);
	double per[PH_COUNT] = {0}, raw[PH_COUNT] = {0};
	for (int p = 0; p < PH_COUNT; p++) {
		char ph[8];
		snprintf(ph, sizeof(ph), "%d", p);
		const char *extra[] = {"--cg-phase", ph, "--bytes", bytes, NULL};
		struct bench_cg_result cg;
		if (bench_callgrind_run(argv, extra, "memcpy,memmove,csum_," BENCH_SELF, &cg)) {
			printf("  instructions: callgrind run failed\n");
			return;
		}
		double n = (double)(p == PH_ACK ? acks : data);
		per[p] = (cg.total - cg.excluded) / n;
		raw[p] = cg.total / n;
	}
	printf("  callgrind over %llu bytes: %llu data segments, %llu ACKs (%.2f per data segment),"
	       " %llu segments sent in the ACK phase\n",
	       (unsigned long long)o->cg_bytes, (unsigned long long)data, (unsigned long long)acks,
	       (double)acks / (double)data, (unsigned long long)ack_out);
	printf("  instructions excluding payload copy and checksum (with them):\n"
	       "    send a data segment (tx):      %6.0f  (%.0f)\n"
	       "    receive a data segment (rx):   %6.0f  (%.0f)  incl. its share of ACKs sent\n"
	       "    receive a pure ACK (ack):      %6.0f  (%.0f)\n"
	       "    per data segment, all phases:  %6.0f  (%.0f)\n",
	       per[PH_TX], raw[PH_TX], per[PH_RX], raw[PH_RX], per[PH_ACK], raw[PH_ACK],
	       per[PH_TX] + per[PH_RX] + per[PH_ACK] * (double)acks / (double)data,
	       raw[PH_TX] + raw[PH_RX] + raw[PH_ACK] * (double)acks / (double)data);
	bench_result("bulk.instr_tx_per_data_seg", per[PH_TX], "instr");
	bench_result("bulk.instr_rx_per_data_seg", per[PH_RX], "instr");
	bench_result("bulk.instr_per_ack", per[PH_ACK], "instr");
	bench_result("bulk.instr_per_data_seg",
		     per[PH_TX] + per[PH_RX] + per[PH_ACK] * (double)acks / (double)data, "instr");
}

int main(int argc, char **argv)
{
	static struct run r;

	parse(argc, argv, &r.o);
	setup(&r);
	if (r.o.cg_phase >= 0)
		return cg_child(&r);

	run_until(&r, r.o.warmup);
	uint64_t b0 = r.rcvd, cpu0 = bench_cpu_us(), t0 = bench_now_ns(), st0 = r.stalls;
	uint64_t segs0 = r.seg_phase[PH_TX];
	run_until(&r, r.o.warmup + r.o.bytes);
	uint64_t t1 = bench_now_ns(), cpu1 = bench_cpu_us();
	double secs = (double)(t1 - t0) / 1e9, bytes = (double)(r.rcvd - b0);
	double gbps = bytes * 8 / secs / 1e9;
	double segs = (double)(r.seg_phase[PH_TX] - segs0);

	printf("bulk: %.0f MiB in %.3f s, MTU %u, window %u, checksums on%s\n", bytes / 1048576.0,
	       secs, r.o.mtu, r.o.window, r.o.verify ? ", every byte verified" : "");
	/* CPU time is what one core would need: on a shared machine the
	 * wall clock also counts the time other processes had the core */
	double cpu_gbps = bytes * 8 / ((double)(cpu1 - cpu0) * 1e3);
	printf("  %.2f Gbit/s (%.2f Gbit/s per CPU second), %.1f ns CPU per data segment"
	       " (%.0f segments), %llu stalls, %llu bad bytes, wire drops %llu\n",
	       gbps, cpu_gbps, (double)(cpu1 - cpu0) * 1000.0 / segs, segs,
	       (unsigned long long)(r.stalls - st0), (unsigned long long)r.bad,
	       (unsigned long long)(r.wire.a_to_b.drops + r.wire.b_to_a.drops));
	char name[64];
	snprintf(name, sizeof(name), "bulk.mtu%u.gbit_per_sec", r.o.mtu);
	bench_result(name, gbps, "Gbit/s");
	snprintf(name, sizeof(name), "bulk.mtu%u.gbit_per_cpu_sec", r.o.mtu);
	bench_result(name, cpu_gbps, "Gbit/s");
	teardown(&r);
	if (r.o.callgrind)
		count_instructions(argv, &r.o);
	return r.bad ? 1 : 0;
}
