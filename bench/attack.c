/*
 * attack.c: what an attacker achieves against synack, in figures.
 *
 * Two scenarios on the simulator (virtual time; no real network):
 *
 *  blind   A client streams data to a server over a 10 ms link while an
 *          off-path attacker, who knows the 4-tuple (the worst case) but
 *          not the sequence numbers, forges RSTs, SYNs and data segments
 *          with random sequence and acknowledgment numbers. Printed: how
 *          many connections were reset or had forged bytes accepted, per
 *          million forged segments, with RFC 5961 on (synack's default)
 *          and off (plain RFC 793), beside what theory predicts.
 *
 *  synflood Spoofed SYNs from random sources at a fixed rate hit a
 *          listener while legitimate clients connect once per 10 ms and
 *          exchange a request. Printed: the share of legitimate connections
 *          established within 3 s, the half-open high-water mark and the
 *          memory the server's connections hold.
 *
 *  slowpeer A receiver that never reads, one that reads a byte a second,
 *          and one that vanishes, each held for hours of virtual time.
 *
 *  ooo     A peer opens many connections and on each sends a window's
 *          worth of data past a one-byte hole it never fills, so that the
 *          server would hold all of it out of order. Printed: the bytes
 *          held out of order and the heap in use, with ooo_mem_max at its
 *          default and with no stack-wide bound, and what a legitimate
 *          connection's own out-of-order segment meets meanwhile.
 *
 *  ackdiv  A receiver that ACKs each segment in ten pieces (ACK division),
 *          beside an honest one, for six round trips of a bulk send: cwnd
 *          with RFC 3465 byte counting (tcp_abc 2, the default) and with
 *          growth per ACK (tcp_abc 0).
 *
 *  dupack  A receiver that answers a loss with a flood of duplicate ACKs
 *          (1,000 at once) while 20 segments are outstanding: cwnd and the
 *          new segments they clock out, with the dup-ACK bound
 *          (tcp_dupack_bound 1, the default) and without.
 *
 * Figures, not pass/fail. --quick runs a tiny version (the ctest smoke).
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "synack/sim.h"
#include "synack/synack.h"
#include "wire/ipv4.h"
#include "wire/tcp_wire.h"

#define SEC 1000000ull
#define MS 1000ull
#define CLIENT 0x0a000001u
#define SERVER 0x0a000002u
#define PORT 80

struct opts {
	int quick;
	uint64_t forged;     /* blind: forged segments per mode */
	uint32_t flood_pps;  /* synflood: spoofed SYNs per second */
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A forged datagram from src:sport to the victim. */
static size_t forge(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		    uint8_t flags, uint32_t seq, uint32_t ack, const char *data, uint32_t len)
{
	struct sn_tcp_seg seg = {.sport = sport, .dport = dport, .seq = seq, .ack = ack,
				 .flags = flags, .wnd = 65535, .len = len};
	if (flags & SN_TCP_SYN) {
		seg.opts.has_mss = 1;
		seg.opts.mss = 1460;
	}
	size_t hlen = SN_TCP_HDR_LEN + sn_tcp_opts_len(&seg.opts);
	if (len)
		memcpy(buf + SN_IPV4_HDR_LEN + hlen, data, len);
	sn_tcp_build(buf + SN_IPV4_HDR_LEN, &seg, src, dst);
	struct sn_ipv4 ip = {.hdr_len = SN_IPV4_HDR_LEN, .total_len = (uint16_t)(20 + hlen + len),
			     .ttl = 64, .proto = SN_IPPROTO_TCP, .src = src, .dst = dst};
	sn_ipv4_build(buf, &ip);
	return ip.total_len;
}

/* ---------------------------------------------------------------- blind */

struct blind_conn {
	synack_sim *sim;
	synack_stack *c, *s;
	int cs, ls, ss;
	struct synack_endpoint cl; /* the client's endpoint (known to the attacker) */
	uint64_t sent, got;
	int broken;                /* reset or corrupted */
};

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 8));
}

static int blind_open(struct blind_conn *b, int rfc5961, uint64_t seed)
{
	struct synack_config cfg;
	struct synack_impair_params link = {.delay_us = 10 * MS};
	struct synack_endpoint any = {0, PORT}, srv = {SERVER, PORT};

	memset(b, 0, sizeof(*b));
	if (synack_sim_create(seed, &b->sim))
		return -1;
	synack_sim_set_default_link(b->sim, &link);
	synack_config_default(&cfg);
	cfg.rfc5961 = (uint8_t)rfc5961;
	cfg.challenge_ack_limit = 1000;
	cfg.addr = CLIENT;
	if (synack_sim_add_host(b->sim, &cfg, &b->c))
		return -1;
	cfg.addr = SERVER;
	if (synack_sim_add_host(b->sim, &cfg, &b->s))
		return -1;
	b->ls = synack_sock_open(b->s);
	synack_sock_bind(b->s, b->ls, &any);
	synack_sock_listen(b->s, b->ls, 8);
	b->cs = synack_sock_open(b->c);
	synack_sock_connect(b->c, b->cs, &srv);
	synack_sim_run_until(b->sim, 100 * MS);
	b->ss = synack_sock_accept(b->s, b->ls, NULL);
	synack_sock_local(b->c, b->cs, &b->cl);
	return b->ss >= 0 ? 0 : -1;
}

/* Move data client -> server for a while; check every byte. */
static void blind_pump(struct blind_conn *b, uint64_t until)
{
	uint8_t buf[8192];

	while (synack_sim_now(b->sim) < until && !b->broken) {
		size_t n = sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(b->sent + i);
		ssize_t w = synack_sock_send(b->c, b->cs, buf, n);
		if (w > 0)
			b->sent += (uint64_t)w;
		else if (w != -EAGAIN)
			b->broken = 1;
		synack_sim_run_until(b->sim, synack_sim_now(b->sim) + MS);
		ssize_t r;
		while ((r = synack_sock_recv(b->s, b->ss, buf, sizeof(buf))) > 0) {
			for (ssize_t i = 0; i < r; i++)
				if (buf[i] != pattern(b->got + (uint64_t)i))
					b->broken = 1;
			b->got += (uint64_t)r;
		}
		if (r < 0 && r != -EAGAIN)
			b->broken = 1;
	}
}

/* Forge up to n segments at the server, as if from the client, until the
 * connection breaks. Returns how many were sent. */
static uint64_t blind_forge(struct blind_conn *b, uint64_t n, uint64_t *rng)
{
	uint8_t pkt[1600];
	uint64_t i;

	for (i = 0; i < n && !b->broken; i++) {
		uint64_t r = xorshift(rng);
		uint8_t kind = (uint8_t)(r % 3);
		uint8_t flags = kind == 0 ? SN_TCP_RST : kind == 1 ? SN_TCP_SYN : SN_TCP_ACK | SN_TCP_PSH;
		uint32_t seq = (uint32_t)xorshift(rng), ack = (uint32_t)xorshift(rng);
		size_t len = forge(pkt, CLIENT, b->cl.port, SERVER, PORT, flags, seq, ack,
				   "FORGED!!", kind == 2 ? 8 : 0);
		synack_stack_input(b->s, synack_sim_now(b->sim), pkt, len);
		if (synack_sock_events(b->s, b->ss) & SYNACK_EV_ERR)
			b->broken = 1;
	}
	return i;
}

static void run_blind(const struct opts *o)
{
	printf("blind injection: random RST/SYN/data with the right 4-tuple into a transfer\n");
	for (int mode = 1; mode >= 0; mode--) {
		uint64_t forged = 0, broken = 0, conns = 0, rng = 0x9e3779b97f4a7c15ull + (uint64_t)mode;
		uint64_t per_conn = o->quick ? 20000 : 2000000;
		while (forged < o->forged) {
			struct blind_conn b;
			if (blind_open(&b, mode, conns + 1)) {
				fprintf(stderr, "attack: setup failed\n");
				exit(1);
			}
			uint64_t chunk = per_conn / 100;
			for (int step = 0; step < 100 && !b.broken && forged < o->forged; step++) {
				forged += blind_forge(&b, chunk, &rng);
				blind_pump(&b, synack_sim_now(b.sim) + 10 * MS);
			}
			blind_pump(&b, synack_sim_now(b.sim) + 200 * MS);
			broken += (uint64_t)b.broken;
			conns++;
			synack_sim_destroy(b.sim);
		}
		double per_m = (double)broken * 1e6 / (double)forged;
		printf("  %-16s %9llu forged segments into %4llu connections: %llu broken "
		       "(%.3f per million)\n",
		       mode ? "RFC 5961 (on)" : "RFC 793 (off)", (unsigned long long)forged,
		       (unsigned long long)conns, (unsigned long long)broken, per_m);
		printf("result blind_broken_per_million_%s %.3f count\n", mode ? "rfc5961" : "rfc793",
		       per_m);
	}
	/* theory, with W the receive window (at most 64 KiB here) and a third
	 * of the forgeries each RST, SYN and data: RFC 793 breaks the
	 * connection when an RST or SYN lands in the window (p = W/2^32 each)
	 * or data lands there with an ACK not beyond SND.NXT (about half of
	 * them); RFC 5961 only when an RST hits RCV.NXT exactly (1/2^32) */
	double w = 65535.0 / 4294967296.0;
	printf("  theory: RFC 793 at most ~%.1f per million, RFC 5961 ~%.5f\n",
	       1e6 / 3 * (w + w + w / 2), 1e6 / 3 / 4294967296.0);
}

/* ---------------------------------------------------------------- synflood */

struct flood {
	synack_sim *sim;
	synack_stack *s, *c;
	int ls;
	uint64_t half_open_max;
};

static int flood_open(struct flood *f, uint64_t seed, uint8_t cookies)
{
	struct synack_config cfg;
	/* jitter, so that legitimate segments do not march in lockstep */
	struct synack_impair_params link = {.delay_us = 10 * MS, .jitter_us = 2 * MS};
	struct synack_endpoint any = {0, PORT};

	memset(f, 0, sizeof(*f));
	if (synack_sim_create(seed, &f->sim))
		return -1;
	synack_sim_set_default_link(f->sim, &link);
	synack_config_default(&cfg);
	cfg.addr = SERVER;
	cfg.max_sockets = 8192;
	cfg.syncookies = cookies;
	if (synack_sim_add_host(f->sim, &cfg, &f->s))
		return -1;
	cfg.addr = CLIENT;
	if (synack_sim_add_host(f->sim, &cfg, &f->c))
		return -1;
	f->ls = synack_sock_open(f->s);
	synack_sock_bind(f->s, f->ls, &any);
	return synack_sock_listen(f->s, f->ls, 128);
}

/* n spoofed SYNs from random sources in 198.18.0.0/16 (RFC 2544's
 * benchmarking range: inside the simulation only). */
static void flood_tick(struct flood *f, uint64_t *rng, uint32_t n)
{
	uint8_t pkt[128];

	for (uint32_t i = 0; i < n; i++) {
		uint32_t src = 0xc6120000u | (uint32_t)(xorshift(rng) & 0xffff); /* 198.18/16 */
		size_t len = forge(pkt, src, (uint16_t)(1024 + xorshift(rng) % 60000), SERVER, PORT,
				   SN_TCP_SYN, (uint32_t)xorshift(rng), 0, NULL, 0);
		synack_stack_input(f->s, synack_sim_now(f->sim), pkt, len);
	}
}

/* Record when each client socket first leaves SYN-SENT for ESTABLISHED
 * (est_at is 1 + the time, so 0 means not yet). */
static void note_established(synack_stack *c, const int *cs, int n, uint64_t *est_at, uint64_t t)
{
	for (int i = 0; i < n; i++) {
		struct synack_tcp_info ti;
		if (!est_at[i] && !synack_sock_info(c, cs[i], &ti) && ti.state == SYNACK_ESTABLISHED)
			est_at[i] = t + 1;
	}
}

static void run_synflood_mode(const struct opts *o, uint8_t cookies)
{
	struct flood f;
	uint64_t rng = 12345;
	struct synack_endpoint srv = {SERVER, PORT};
	enum { NLEGIT = 400 };
	int cs[NLEGIT];
	uint64_t started[NLEGIT] = {0}, est_at[NLEGIT] = {0};
	int ok = 0, tried = 0;
	uint64_t duration = o->quick ? 1 * SEC : 4 * SEC;

	if (flood_open(&f, 7, cookies)) {
		fprintf(stderr, "attack: setup failed\n");
		exit(1);
	}
	printf("SYN flood, tcp_syncookies=%u: %u spoofed SYN/s at a listener (backlog 128) while a "
	       "client connects every 10 ms\n", cookies, o->flood_pps);
	uint64_t end = duration, gap = o->flood_pps ? SEC / o->flood_pps : MS, next_legit = 0;
	if (gap == 0)
		gap = 1;
	/* one spoofed SYN every `gap` µs, so they interleave with the real
	 * traffic the way a flood on a wire does */
	while (synack_sim_now(f.sim) < end) {
		uint64_t t = synack_sim_now(f.sim);
		if (o->flood_pps)
			flood_tick(&f, &rng, 1);
		if (t >= next_legit && tried < NLEGIT) {
			cs[tried] = synack_sock_open(f.c);
			synack_sock_connect(f.c, cs[tried], &srv);
			started[tried++] = t;
			next_legit += 10 * MS;
		}
		int a;
		while ((a = synack_sock_accept(f.s, f.ls, NULL)) >= 0)
			synack_sock_close(f.s, a);
		if (t / MS != (t + gap) / MS) { /* once a millisecond */
			struct synack_counters c;
			note_established(f.c, cs, tried, est_at, t);
			synack_stack_counters(f.s, &c);
			if (c.in_state[SYNACK_SYN_RECEIVED] > f.half_open_max)
				f.half_open_max = c.in_state[SYNACK_SYN_RECEIVED];
		}
		synack_sim_run_until(f.sim, t + gap);
	}
	while (synack_sim_now(f.sim) < end + 3 * SEC) { /* stragglers get their 3 s */
		uint64_t t = synack_sim_now(f.sim);
		note_established(f.c, cs, tried, est_at, t);
		synack_sim_run_until(f.sim, t + MS);
	}
	for (int i = 0; i < tried; i++)
		ok += est_at[i] && est_at[i] - 1 - started[i] <= 3 * SEC;
	struct synack_counters c;
	synack_stack_counters(f.s, &c);
	printf("  legitimate connections established: %d of %d (%.1f%%)\n", ok, tried,
	       100.0 * ok / (tried ? tried : 1));
	printf("  half-open high-water mark: %llu; SYNs dropped for a full queue: %llu\n",
	       (unsigned long long)f.half_open_max, (unsigned long long)c.drops[SYNACK_DROP_SYN_QUEUE]);
	printf("  SYN cookies sent %llu, accepted %llu\n", (unsigned long long)c.syncookies_sent,
	       (unsigned long long)c.syncookies_recv);
	printf("result synflood_legit_success_cookies%u %.1f %%\n", cookies,
	       100.0 * ok / (tried ? tried : 1));
	printf("result synflood_half_open_max_cookies%u %llu count\n", cookies,
	       (unsigned long long)f.half_open_max);
	synack_sim_destroy(f.sim);
}

static void run_synflood(const struct opts *o)
{
	run_synflood_mode(o, 1); /* the default: cookies when the SYN queue is full */
	run_synflood_mode(o, 0);
}

/* ---------------------------------------------------------------- slow peers */

/* A server sends to a client that misbehaves for `hours` of virtual time:
 *  zerowin  the client never reads (its window closes and stays shut);
 *  trickle  the client reads 1 byte a second;
 *  silent   the client vanishes (every datagram to it is lost).
 * Printed: what the server holds (send queue), the segments it sent, and
 * whether and when the connection ended. */
static void run_slow_peer(const char *mode, uint64_t hours)
{
	synack_sim *sim;
	synack_stack *c, *s;
	struct synack_config cfg;
	struct synack_impair_params link = {.delay_us = 10 * MS};
	struct synack_endpoint any = {0, PORT}, srv = {SERVER, PORT};
	static char buf[65536];

	if (synack_sim_create(5, &sim))
		exit(1);
	synack_sim_set_default_link(sim, &link);
	synack_config_default(&cfg);
	cfg.addr = CLIENT;
	cfg.rcvbuf = 16384;
	synack_sim_add_host(sim, &cfg, &c);
	cfg.addr = SERVER;
	cfg.sndbuf = 65536;
	synack_sim_add_host(sim, &cfg, &s);
	int ls = synack_sock_open(s);
	synack_sock_bind(s, ls, &any);
	synack_sock_listen(s, ls, 8);
	int cs = synack_sock_open(c);
	synack_sock_connect(c, cs, &srv);
	synack_sim_run_until(sim, 100 * MS);
	int ss = synack_sock_accept(s, ls, NULL);
	if (!strcmp(mode, "silent")) {
		struct synack_impair_params dead = {.delay_us = 10 * MS, .loss_ppm = 1000000};
		synack_sim_set_link(sim, SERVER, CLIENT, &dead);
	}
	uint64_t end = synack_sim_now(sim) + hours * 3600 * SEC, ended_at = 0;
	uint32_t max_q = 0;
	while (synack_sim_now(sim) < end && !ended_at) {
		synack_sock_send(s, ss, buf, sizeof(buf));
		if (!strcmp(mode, "trickle"))
			synack_sock_recv(c, cs, buf, 1);
		synack_sim_run_until(sim, synack_sim_now(sim) + SEC);
		struct synack_tcp_info ti;
		synack_sock_info(s, ss, &ti);
		if (ti.send_queue > max_q)
			max_q = ti.send_queue;
		if (ti.state == SYNACK_CLOSED)
			ended_at = synack_sim_now(sim);
	}
	struct synack_counters k;
	synack_stack_counters(s, &k);
	printf("  %-8s %llu h: server sent %llu segments (%llu probes, %llu retransmissions), "
	       "send queue at most %u bytes, %s\n", mode, (unsigned long long)hours,
	       (unsigned long long)k.segs_out, (unsigned long long)k.zero_window_probes,
	       (unsigned long long)k.retrans_segs, max_q,
	       ended_at ? "connection aborted" : "connection alive");
	if (ended_at)
		printf("           aborted after %.0f s (R2 / unanswered probes)\n",
		       (double)(ended_at - 100 * MS) / SEC);
	printf("result slowpeer_%s_segments %llu count\n", mode, (unsigned long long)k.segs_out);
	synack_sim_destroy(sim);
}

static void run_slow_peers(const struct opts *o)
{
	uint64_t hours = o->quick ? 1 : 4;
	printf("slow and silent peers: what a misbehaving receiver costs the sender\n");
	run_slow_peer("zerowin", hours);
	run_slow_peer("trickle", hours);
	run_slow_peer("silent", hours);
}

/* ---------------------------------------------------------------- ooo */

#define OOO_SEG 1460u
#define OOO_PORT0 20000u

struct ooo_run {
	synack_stack *s;
	uint64_t now;
	uint32_t *iss;      /* our ISS per attacker connection, from its SYN,ACK */
	uint32_t nconn;
};

static void ooo_capture(void *ctx, const uint8_t *pkt, size_t len)
{
	struct ooo_run *r = ctx;
	struct sn_ipv4 ip;
	struct sn_tcp_seg seg;

	if (sn_ipv4_parse(pkt, len, &ip) || sn_tcp_parse(pkt + ip.hdr_len, ip.total_len - ip.hdr_len,
							 ip.src, ip.dst, &seg))
		return;
	uint32_t i = (uint32_t)seg.dport - OOO_PORT0;
	if (seg.flags == (SN_TCP_SYN | SN_TCP_ACK) && i < r->nconn)
		r->iss[i] = seg.seq;
}

static void ooo_in(struct ooo_run *r, uint16_t sport, uint8_t flags, uint32_t seq, uint32_t ack,
		   uint32_t len)
{
	static uint8_t pkt[1600];
	static char data[OOO_SEG];
	size_t n = forge(pkt, CLIENT, sport, SERVER, PORT, flags, seq, ack, data, len);

	r->now += 10;
	synack_stack_input(r->s, r->now, pkt, n);
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

/* One run: nconn connections, each with `per_conn` bytes past a hole. */
static void run_ooo_mode(uint32_t nconn, uint32_t max)
{
	struct synack_config cfg;
	struct synack_endpoint any = {0, PORT};
	struct ooo_run r = {.nconn = nconn + 1};
	uint32_t per_conn = 42 * OOO_SEG; /* past the hole, within a 64 KiB window */

	synack_config_default(&cfg);
	cfg.addr = SERVER;
	cfg.ooo_mem_max = max;
	cfg.max_conns = nconn + 16;
	r.iss = calloc(nconn + 1, sizeof(*r.iss));
	size_t heap0 = heap_in_use();
	if (!r.iss || synack_stack_create(&cfg, &r.s))
		exit(1);
	synack_stack_set_output(r.s, ooo_capture, &r);
	int ls = synack_sock_open(r.s);
	synack_sock_bind(r.s, ls, &any);
	synack_sock_listen(r.s, ls, (int)nconn + 1);
	for (uint32_t i = 0; i <= nconn; i++) { /* the last one is the legitimate peer */
		uint16_t sport = (uint16_t)(OOO_PORT0 + i);
		ooo_in(&r, sport, SN_TCP_SYN, 1000, 0, 0);
		ooo_in(&r, sport, SN_TCP_ACK, 1001, r.iss[i] + 1, 0);
		synack_sock_accept(r.s, ls, NULL);
		if (i == nconn)
			break;
		for (uint32_t off = 0; off < per_conn; off += OOO_SEG)
			ooo_in(&r, sport, SN_TCP_ACK, 1002 + off, r.iss[i] + 1, OOO_SEG);
	}
	struct synack_counters k;
	synack_stack_counters(r.s, &k);
	size_t heap = heap_in_use() - heap0;
	/* the legitimate connection loses one segment: is the next one kept? */
	uint64_t drops0 = k.drops[SYNACK_DROP_OOO_MEM];
	ooo_in(&r, (uint16_t)(OOO_PORT0 + nconn), SN_TCP_ACK, 1001 + OOO_SEG, r.iss[nconn] + 1,
	       OOO_SEG);
	struct synack_counters k2;
	synack_stack_counters(r.s, &k2);
	int legit_kept = k2.drops[SYNACK_DROP_OOO_MEM] == drops0;
	char lim[32];
	snprintf(lim, sizeof(lim), max ? "%u MiB" : "none", max >> 20);
	printf("  ooo_mem_max %-7s %u connections x %u bytes past a hole: %.1f MiB held out of order, "
	       "heap %.1f MiB; %.1f MiB refused (ooo_mem drops %llu); a legitimate connection's "
	       "out-of-order segment %s\n",
	       lim, nconn, per_conn, k.ooo_bytes / 1048576.0, heap / 1048576.0,
	       ((double)nconn * per_conn - (double)k.ooo_bytes) / 1048576.0,
	       (unsigned long long)k.drops[SYNACK_DROP_OOO_MEM],
	       legit_kept ? "is kept" : "is dropped (the sender resends it)");
	printf("result ooo_held_%s %.1f MiB\n", max ? "bounded" : "unbounded",
	       k.ooo_bytes / 1048576.0);
	printf("result ooo_heap_%s %.1f MiB\n", max ? "bounded" : "unbounded", heap / 1048576.0);
	synack_stack_destroy(r.s);
	free(r.iss);
}

static void run_ooo(const struct opts *o)
{
	uint32_t n = o->quick ? 40 : 2000;
	struct synack_config def;

	synack_config_default(&def);
	printf("out-of-order flood: every connection's data held past a hole that never fills\n");
	run_ooo_mode(n, o->quick ? 1u << 20 : def.ooo_mem_max);
	run_ooo_mode(n, 0);
}

/* ---------------------------------------------------------------- receivers */

/* One stack sending to a receiver the bench plays with forged segments. */
struct rcv_conn {
	synack_stack *st;
	int s;
	uint16_t cport;
	uint64_t now;
	uint64_t out; /* datagrams the stack sent */
	uint32_t iss; /* from its SYN,ACK */
};

static void rcv_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct rcv_conn *c = ctx;
	struct sn_ipv4 ip;
	struct sn_tcp_seg seg;

	c->out++;
	if (sn_ipv4_parse(pkt, len, &ip) == 0 &&
	    sn_tcp_parse(pkt + ip.hdr_len, ip.total_len - ip.hdr_len, ip.src, ip.dst, &seg) == 0 &&
	    (seg.flags & SN_TCP_SYN))
		c->iss = seg.seq;
}

static void rcv_in(struct rcv_conn *c, uint8_t flags, uint32_t seq, uint32_t ack)
{
	uint8_t pkt[128];
	size_t len = forge(pkt, CLIENT, c->cport, SERVER, PORT, flags, seq, ack, NULL, 0);
	synack_stack_input(c->st, c->now, pkt, len);
}

static struct synack_tcp_info rcv_info(struct rcv_conn *c)
{
	struct synack_tcp_info ti;
	synack_sock_info(c->st, c->s, &ti);
	return ti;
}

/* ESTABLISHED with 4 MiB queued; the receiver's ISN is 1000. */
static int rcv_open(struct rcv_conn *c, int abc, int bound)
{
	static uint8_t data[4 << 20];
	struct synack_config cfg;
	struct synack_endpoint any = {0, PORT};

	memset(c, 0, sizeof(*c));
	synack_config_default(&cfg);
	cfg.addr = SERVER;
	cfg.seed = 7;
	cfg.tcp_abc = (uint8_t)abc;
	cfg.tcp_dupack_bound = (uint8_t)bound;
	cfg.tcp_congestion_control = SYNACK_CC_RENO;
	cfg.sndbuf = sizeof(data);
	if (synack_stack_create(&cfg, &c->st))
		return -1;
	synack_stack_set_output(c->st, rcv_output, c);
	int l = synack_sock_open(c->st);
	if (synack_sock_bind(c->st, l, &any) || synack_sock_listen(c->st, l, 4))
		return -1;
	c->cport = 40000;
	rcv_in(c, SN_TCP_SYN, 1000, 0);
	c->now = 100 * MS;
	rcv_in(c, SN_TCP_ACK, 1001, c->iss + 1);
	c->s = synack_sock_accept(c->st, l, NULL);
	if (c->s < 0 || synack_sock_send(c->st, c->s, data, sizeof(data)) <= 0)
		return -1;
	return 0;
}

static void run_ackdiv(const struct opts *o)
{
	(void)o;
	printf("ACK division: the receiver ACKs every segment in 10 pieces, 6 round trips of 100 ms\n");
	for (int abc = 2; abc >= 0; abc -= 2) {
		for (int parts = 1; parts <= 10; parts += 9) {
			struct rcv_conn c;
			if (rcv_open(&c, abc, 1)) {
				printf("ackdiv: setup failed\n");
				return;
			}
			for (int rtt = 0; rtt < 6; rtt++) {
				struct synack_tcp_info ti = rcv_info(&c);
				c.now += 100 * MS;
				for (uint32_t seq = ti.snd_una; (int32_t)(seq - ti.snd_nxt) < 0;) {
					uint32_t end = ti.snd_nxt - seq > 1460 ? seq + 1460 : ti.snd_nxt;
					for (int p = 1; p <= parts; p++)
						rcv_in(&c, SN_TCP_ACK, 1001, seq + (end - seq) * (uint32_t)p / (uint32_t)parts);
					seq = end;
				}
			}
			struct synack_tcp_info ti = rcv_info(&c);
			struct synack_counters k;
			synack_stack_counters(c.st, &k);
			printf("  tcp_abc %d, %-22s cwnd %5u segments, %8u bytes sent, SynackAbcSmallAcks %llu\n", abc,
			       parts == 1 ? "honest receiver:" : "10 ACKs per segment:", ti.cwnd / ti.snd_mss,
			       ti.snd_nxt - ti.iss - 1, (unsigned long long)k.abc_small_acks);
			printf("result ackdiv_cwnd_abc%d_parts%d %u segments\n", abc, parts, ti.cwnd / ti.snd_mss);
			synack_stack_destroy(c.st);
		}
	}
}

static void run_dupack(const struct opts *o)
{
	uint32_t flood = o->quick ? 100 : 1000;
	printf("dup-ACK spoofing: %u duplicate ACKs at once after a loss, 20 segments outstanding\n", flood);
	for (int bound = 1; bound >= 0; bound--) {
		struct rcv_conn c;
		if (rcv_open(&c, 2, bound)) {
			printf("dupack: setup failed\n");
			return;
		}
		struct synack_tcp_info ti = rcv_info(&c);
		while (ti.snd_nxt - ti.snd_una < 20 * 1460) { /* slow start to 20 in flight */
			c.now += MS;
			rcv_in(&c, SN_TCP_ACK, 1001, ti.snd_una + 1460);
			ti = rcv_info(&c);
		}
		uint32_t top = ti.snd_nxt;
		c.now += 100 * MS;
		for (uint32_t i = 0; i < 3 + flood; i++)
			rcv_in(&c, SN_TCP_ACK, 1001, ti.snd_una);
		struct synack_tcp_info after = rcv_info(&c);
		struct synack_counters k;
		synack_stack_counters(c.st, &k);
		printf("  tcp_dupack_bound %d: cwnd %5u segments (ssthresh %u), %5u new segments sent, "
		       "SynackDupAcksIgnored %llu\n", bound, after.cwnd / after.snd_mss,
		       after.ssthresh / after.snd_mss, (after.snd_nxt - top) / after.snd_mss,
		       (unsigned long long)k.dupacks_ignored);
		printf("result dupack_new_segments_bound%d %u segments\n", bound, (after.snd_nxt - top) / after.snd_mss);
		synack_stack_destroy(c.st);
	}
}

static void usage(FILE *to)
{
	fprintf(to, "usage: attack [--quick] [--forged N] [--flood-pps N] [blind|synflood|slowpeer|ooo|ackdiv|dupack]...\n"
		    "Attack scenarios in the simulator; prints figures (see the file's comment).\n"
		    "  --quick        tiny sizes (smoke test)\n"
		    "  --forged N     forged segments per mode in the blind scenario (default 20000000)\n"
		    "  --flood-pps N  spoofed SYNs per second in the flood (default 100000)\n");
}

int main(int argc, char **argv)
{
	struct opts o = {.forged = 20000000, .flood_pps = 100000};
	int want_blind = 0, want_flood = 0, want_slow = 0, want_ooo = 0, want_ackdiv = 0,
	    want_dupack = 0;
	const struct bench_optspec spec[] = {
		{"--quick", BENCH_OPT_FLAG, &o.quick, NULL, NULL},
		{"--forged", BENCH_OPT_COUNT, &o.forged, NULL, NULL},
		{"--flood-pps", BENCH_OPT_U32, &o.flood_pps, NULL, NULL},
		{"blind", BENCH_OPT_FLAG, &want_blind, NULL, NULL},
		{"synflood", BENCH_OPT_FLAG, &want_flood, NULL, NULL},
		{"slowpeer", BENCH_OPT_FLAG, &want_slow, NULL, NULL},
		{"ooo", BENCH_OPT_FLAG, &want_ooo, NULL, NULL},
		{"ackdiv", BENCH_OPT_FLAG, &want_ackdiv, NULL, NULL},
		{"dupack", BENCH_OPT_FLAG, &want_dupack, NULL, NULL},
		{NULL, BENCH_OPT_FLAG, NULL, NULL, NULL},
	};

	bench_parse_opts(argc, argv, "attack", spec, usage);
	if (o.quick) {
		o.forged = 20000;
		o.flood_pps = 20000;
	}
	if (!want_blind && !want_flood && !want_slow && !want_ooo && !want_ackdiv && !want_dupack)
		want_blind = want_flood = want_slow = want_ooo = want_ackdiv = want_dupack = 1;
	if (want_blind)
		run_blind(&o);
	if (want_flood)
		run_synflood(&o);
	if (want_slow)
		run_slow_peers(&o);
	if (want_ooo)
		run_ooo(&o);
	if (want_ackdiv)
		run_ackdiv(&o);
	if (want_dupack)
		run_dupack(&o);
	return 0;
}
