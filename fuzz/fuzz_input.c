/*
 * fuzz_input.c: libFuzzer target for the stack's input path, aimed at the
 * RFC 9293 state machine.
 *
 * Random datagrams sent to an empty stack only ever meet the CLOSED port
 * reply. So every input starts from a stack (10.0.0.1) that a scripted peer
 * (10.0.0.2) has already driven, with well-formed segments, into one
 * connection per interesting state:
 *
 *   slot  state          how it got there                   socket
 *   0     LISTEN         listen on :80                      socks[0]
 *   1     SYN-RECEIVED   peer :40001 sent SYN               (none, in synq)
 *   2     ESTABLISHED    peer :40002; 100 bytes in (60      socks[1]
 *                        unread), 300 out (200 unacked)
 *   3     CLOSE-WAIT     peer :40003 sent 20 bytes + FIN    socks[2]
 *   4     FIN-WAIT-2     peer :40004; we shut down WR       socks[3]
 *   5     TIME-WAIT      peer :40005; shutdown, FIN,ACK     socks[4] (ended)
 *   6     SYN-SENT       :50000 -> 10.0.0.2:8080            socks[5]
 *   7     (dynamic)      the last connection the stack talked on that is
 *                        none of the above (a new SYN to :80, a connect)
 *
 * Then the input is a sequence of records [op][len: 2 bytes, big endian]
 * [len bytes] (op is taken mod 4; a short last record is truncated):
 *
 *   0  the bytes as a raw IPv4 datagram, as received;
 *   1  byte 0 selects a slot (bits 0-2) and modes, the rest is a datagram
 *      that we make deliverable: IPv4 version, protocol, lengths, no
 *      fragment, src 10.0.0.2, dst 10.0.0.1, a sane TCP data offset, the
 *      slot's ports (slot 0: dport 80, the fuzzer's sport) and both
 *      checksums. Bit 3: SEG.SEQ is an offset from what the peer should send
 *      next (the last ACK we sent on that connection); bit 4: SEG.ACK is an
 *      offset from one past the last sequence number we sent; bit 5: the
 *      edges of SACK options are distances (mod 8 KiB) back from that same
 *      point, so blocks land in, near and just outside (SND.UNA, SND.MAX]
 *      and reach the scoreboard and RFC 6675 recovery, not just the
 *      parser (the peer's SYNs offer SACK-permitted and tcp_sack is on).
 *      So the fuzzer reaches every step of SEGMENT ARRIVES, not only the
 *      checksum;
 *   2  advance virtual time by up to 4 bytes of µs (a 5th byte scales it),
 *      polling at every deadline on the way (at most MAX_POLLS, then once
 *      at the target, like a late driver);
 *   3  a socket call: byte 0 picks a socket (an empty slot gets a fresh
 *      socket; bit 7 set: a bad descriptor), byte 1 the call (mod 11: send,
 *      recv, shutdown, close, abort, setsockopt/getsockopt, connect, accept,
 *      listen, bind, send urgent), the rest its arguments.
 *
 * After every record we abort() on an invariant the public API can see:
 *   - counters.illegal_transitions stays 0 (every edge is in state.c's table);
 *   - counters.in_state[s] equals the rows synack_stack_foreach_conn reports
 *     in state s, for every s (CLOSED: none);
 *   - the out-of-order gauge stays within ooo_mem_max (set low here, so
 *     pruning is reached), and returns to 0 when the drain check runs;
 *   - synack_stack_poll(now) returns a deadline > now, or UINT64_MAX;
 *   - every datagram the stack emits parses (IPv4 and TCP checksums, option
 *     lengths), comes from 10.0.0.1, has non-zero ports and fits the MTU;
 *   - every STATE trace event names its cause and changes the state.
 *
 * Everything is deterministic: fixed seed, virtual clock starting at T0.
 * The harness keeps no state between inputs (one static receive buffer).
 *
 * Environment: FUZZ_INPUT_TRACE=1 prints the stack's trace (read what a
 * reproducer does); FUZZ_INPUT_DRAIN=1 adds a liveness check at the end of
 * each input (close every socket, run a month of timers with no peer,
 * expect no connection left; see drain()).
 *
 * The seed corpus fuzz/corpus/input/ holds one small scripted scenario per
 * file (data, FIN, RST, SYN to the listener, handshake completion, time
 * advance, zero window, duplicate ACKs, simultaneous open...) and the
 * reproducers of bugs this target found (regress-*).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"
#include "wire/csum.h"
#include "wire/ipv4.h"
#include "wire/tcp_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define US 0x0a000001u
#define PEER 0x0a000002u
#define MTU 1500
#define LPORT 80
#define SS_LPORT 50000
#define SS_RPORT 8080
#define SS_PEER_ISS 0x55555555u
#define T0 1000000ull /* 1 s */

#define MAX_RECORDS 256
#define MAX_POLLS 256
#define NSOCKS 16

enum slot {
	SL_LISTEN,
	SL_SYNRCVD,
	SL_ESTAB,
	SL_CLOSEWAIT,
	SL_FINWAIT2,
	SL_TIMEWAIT,
	SL_SYNSENT,
	SL_DYN,
	NSLOTS
};

/* What the scripted peer knows about one connection, learnt from what the
 * stack sends on it (the harness never looks inside the stack). */
struct conn_model {
	uint16_t lport, rport; /* our port, the peer's; lport 0: slot unused */
	uint32_t peer_nxt;     /* the peer's next SEQ: the last ACK we sent */
	uint32_t our_max;      /* one past the highest sequence number we sent */
};

struct fz {
	synack_stack *st;
	uint64_t now;
	struct conn_model m[NSLOTS];
	int socks[NSOCKS];
	int verbose;           /* FUZZ_INPUT_TRACE set */
};

static void check(int ok)
{
	if (!ok)
		abort();
}

static int seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---------------------------------------------------------- output and trace */

static struct conn_model *model_for(struct fz *f, uint16_t lport, uint16_t rport)
{
	for (int i = 0; i < NSLOTS; i++)
		if (f->m[i].lport == lport && f->m[i].rport == rport)
			return &f->m[i];
	return NULL;
}

static void learn(struct fz *f, const struct sn_tcp_seg *seg)
{
	struct conn_model *c = model_for(f, seg->sport, seg->dport);

	if (seg->flags & SN_TCP_RST)
		return;
	if (!c) { /* a connection the setup did not make: it becomes slot 7 */
		c = &f->m[SL_DYN];
		*c = (struct conn_model){seg->sport, seg->dport, 0, seg->seq};
	}
	uint32_t end = seg->seq + sn_tcp_seg_seqlen(seg);
	if ((seg->flags & SN_TCP_SYN) || seq_after(end, c->our_max))
		c->our_max = end;
	if (seg->flags & SN_TCP_ACK)
		c->peer_nxt = seg->ack;
}

/* Everything the stack sends must be a datagram a peer can parse. */
static void on_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct fz *f = ctx;
	struct sn_ipv4 ip;
	struct sn_tcp_seg seg;

	check(len <= MTU);
	check(sn_ipv4_parse(pkt, len, &ip) == 0 && ip.total_len == len);
	check(ip.src == US && ip.proto == SN_IPPROTO_TCP && !sn_ipv4_is_fragment(&ip));
	check(sn_tcp_parse(pkt + ip.hdr_len, len - ip.hdr_len, ip.src, ip.dst, &seg) == 0);
	check(seg.sport != 0 && seg.dport != 0);
	if (ip.dst == PEER)
		learn(f, &seg);
}

/* FUZZ_INPUT_TRACE=1 in the environment prints the trace, to read what a
 * reproducer does. */
static void print_event(const struct synack_trace_event *ev)
{
	char l[32], r[32], fl[16];

	synack_endpoint_str(&ev->local, l, sizeof(l));
	synack_endpoint_str(&ev->remote, r, sizeof(r));
	fprintf(stderr, "%12llu %-21s %-21s ", (unsigned long long)ev->now, l, r);
	switch (ev->kind) {
	case SYNACK_TRACE_STATE:
		fprintf(stderr, "%s -> %s (%s)\n", synack_state_name(ev->old_state),
			synack_state_name(ev->new_state), ev->what);
		break;
	case SYNACK_TRACE_SEG_IN:
	case SYNACK_TRACE_SEG_OUT:
		fprintf(stderr, "%s %s seq %u ack %u len %u wnd %u%s\n",
			ev->kind == SYNACK_TRACE_SEG_IN ? "in " : "out",
			sn_tcp_flags_str(ev->seg.flags, fl), ev->seg.seq, ev->seg.ack, ev->seg.len,
			ev->seg.wnd, ev->seg.retransmit ? " (rexmit)" : "");
		break;
	case SYNACK_TRACE_DROP:
		fprintf(stderr, "drop %s\n", synack_drop_name(ev->drop));
		break;
	default:
		fprintf(stderr, "user %s\n", ev->what ? ev->what : "?");
		break;
	}
}

static void on_trace(void *ctx, const struct synack_trace_event *ev)
{
	const struct fz *f = ctx;

	if (f->verbose)
		print_event(ev);
	switch (ev->kind) {
	case SYNACK_TRACE_STATE:
		check(ev->what != NULL && ev->old_state != ev->new_state);
		check((unsigned)ev->old_state < SYNACK_NSTATES &&
		      (unsigned)ev->new_state < SYNACK_NSTATES);
		check(synack_state_name(ev->new_state)[0] != '?');
		break;
	case SYNACK_TRACE_DROP:
		check((unsigned)ev->drop < SYNACK_DROP_MAX && ev->drop != SYNACK_DROP_NONE);
		check(synack_drop_name(ev->drop) != NULL);
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------- invariants */

struct rows {
	uint64_t n[SYNACK_NSTATES];
};

static int count_row(void *ctx, const struct synack_conn_info *ci)
{
	struct rows *r = ctx;

	check((unsigned)ci->state < SYNACK_NSTATES);
	r->n[ci->state]++;
	return 0;
}

static void check_invariants(struct fz *f)
{
	struct synack_counters c;
	struct rows r = {{0}};

	synack_stack_counters(f->st, &c);
	check(c.illegal_transitions == 0);
	synack_stack_foreach_conn(f->st, count_row, &r);
	for (int s = 0; s < SYNACK_NSTATES; s++)
		check(c.in_state[s] == r.n[s]);
	check(c.ooo_bytes <= 6000); /* ooo_mem_max holds */
}

static uint64_t poll_at(struct fz *f, uint64_t t)
{
	uint64_t next = synack_stack_poll(f->st, t);

	check(next > t || next == UINT64_MAX);
	return next;
}

/* ---------------------------------------------------------- the scripted peer */

static void feed(struct fz *f, const uint8_t *pkt, size_t len)
{
	/* an exact-size copy, so ASan sees any read past the datagram */
	uint8_t *copy = malloc(len ? len : 1);

	check(copy != NULL);
	memcpy(copy, pkt, len);
	synack_stack_input(f->st, f->now, copy, len);
	free(copy);
}

static void peer_send(struct fz *f, int slot, uint8_t flags, uint32_t seq, uint32_t ack,
		      const void *payload, uint32_t len)
{
	uint8_t buf[SN_IPV4_HDR_LEN + SN_TCP_HDR_LEN + SN_TCP_MAX_OPT_LEN + 512];
	struct sn_tcp_seg seg = {
		.sport = f->m[slot].rport,
		.dport = f->m[slot].lport,
		.seq = seq,
		.ack = ack,
		.flags = flags,
		.wnd = 65535,
		.len = len,
	};
	if (flags & SN_TCP_SYN) {
		seg.opts.has_mss = 1;
		seg.opts.mss = 1460;
		seg.opts.sack_ok = 1;
	}
	size_t hlen = SN_TCP_HDR_LEN + sn_tcp_opts_len(&seg.opts);
	check(hlen + len + SN_IPV4_HDR_LEN <= sizeof(buf));
	if (len)
		memcpy(buf + SN_IPV4_HDR_LEN + hlen, payload, len);
	sn_tcp_build(buf + SN_IPV4_HDR_LEN, &seg, PEER, US);
	struct sn_ipv4 ip = {
		.hdr_len = SN_IPV4_HDR_LEN,
		.total_len = (uint16_t)(SN_IPV4_HDR_LEN + hlen + len),
		.ttl = 64,
		.proto = SN_IPPROTO_TCP,
		.src = PEER,
		.dst = US,
	};
	sn_ipv4_build(buf, &ip);
	feed(f, buf, ip.total_len);
}

/* SYN from peer port rport to :80 with ISN piss; with complete, the ACK of
 * our SYN,ACK too. Returns the accepted socket (or -1 if not complete). */
static int peer_connect(struct fz *f, int slot, uint16_t rport, uint32_t piss, int complete)
{
	f->m[slot] = (struct conn_model){LPORT, rport, piss + 1, 0};
	peer_send(f, slot, SN_TCP_SYN, piss, 0, NULL, 0);
	if (!complete)
		return -1;
	peer_send(f, slot, SN_TCP_ACK, piss + 1, f->m[slot].our_max, NULL, 0);
	int s = synack_sock_accept(f->st, f->socks[0], NULL);
	check(s >= 0);
	return s;
}

static int setup_established(struct fz *f)
{
	static const uint8_t text[300] = "GET / HTTP/1.0\r\n";
	uint8_t buf[64];
	uint32_t piss = 0xffffffc0u; /* the peer's data crosses 2^32 */
	int s = peer_connect(f, SL_ESTAB, 40002, piss, 1);
	uint32_t iss1 = f->m[SL_ESTAB].our_max;

	peer_send(f, SL_ESTAB, SN_TCP_ACK | SN_TCP_PSH, piss + 1, iss1, text, 100);
	check(synack_sock_recv(f->st, s, buf, 40) == 40);
	check(synack_sock_send(f->st, s, text, sizeof(text)) == (ssize_t)sizeof(text));
	peer_send(f, SL_ESTAB, SN_TCP_ACK, piss + 101, iss1 + 100, NULL, 0);
	return s;
}

static int setup_close_wait(struct fz *f)
{
	uint32_t piss = 3000000;
	int s = peer_connect(f, SL_CLOSEWAIT, 40003, piss, 1);

	peer_send(f, SL_CLOSEWAIT, SN_TCP_ACK | SN_TCP_PSH | SN_TCP_FIN, piss + 1,
		  f->m[SL_CLOSEWAIT].our_max, "twenty bytes of data", 20);
	return s;
}

/* shutdown(WR), then the peer ACKs our FIN (FIN-WAIT-2), with its own FIN
 * too when fin (TIME-WAIT). */
static int setup_closing(struct fz *f, int slot, uint16_t rport, uint32_t piss, int fin)
{
	int s = peer_connect(f, slot, rport, piss, 1);

	check(synack_sock_shutdown(f->st, s, SYNACK_SHUT_WR) == 0);
	peer_send(f, slot, SN_TCP_ACK | (fin ? SN_TCP_FIN : 0), piss + 1, f->m[slot].our_max, NULL,
		  0);
	return s;
}

static int setup_syn_sent(struct fz *f)
{
	struct synack_endpoint l = {0, SS_LPORT}, r = {PEER, SS_RPORT};
	int s = synack_sock_open(f->st);

	f->m[SL_SYNSENT] = (struct conn_model){SS_LPORT, SS_RPORT, SS_PEER_ISS, 0};
	check(s >= 0 && synack_sock_bind(f->st, s, &l) == 0);
	check(synack_sock_connect(f->st, s, &r) == -EINPROGRESS);
	return s;
}

static void setup(struct fz *f)
{
	struct synack_config cfg;
	struct synack_endpoint l = {0, LPORT};
	struct synack_counters c;

	synack_config_default(&cfg);
	cfg.seed = 1;
	cfg.addr = US;
	cfg.mtu = MTU;
	cfg.max_sockets = NSOCKS;
	cfg.max_conns = 32;   /* small tables, so that "full" is reachable */
	cfg.max_timewait = 4;
	cfg.sndbuf = 4096;    /* small buffers: full windows within one input */
	cfg.rcvbuf = 4096;
	cfg.ooo_mem_max = 6000; /* below 32 * rcvbuf: pruning is reachable */
	cfg.tcp_sack = 1;     /* SACK blocks both ways: the scoreboard is fuzzed */
	cfg.port_lo = 40000;  /* ephemeral ports collide with the peer's */
	cfg.port_hi = 40015;
	check(synack_stack_create(&cfg, &f->st) == 0);
	synack_stack_set_output(f->st, on_output, f);
	synack_stack_set_trace(f->st, on_trace, f);
	f->verbose = getenv("FUZZ_INPUT_TRACE") != NULL;
	f->now = T0;
	poll_at(f, f->now);

	for (int i = 0; i < NSOCKS; i++)
		f->socks[i] = -1;
	f->m[SL_LISTEN] = (struct conn_model){LPORT, 0, 0, 0};
	f->socks[0] = synack_sock_open(f->st);
	check(f->socks[0] >= 0 && synack_sock_bind(f->st, f->socks[0], &l) == 0);
	check(synack_sock_listen(f->st, f->socks[0], 8) == 0);
	peer_connect(f, SL_SYNRCVD, 40001, 1000000, 0);
	f->socks[1] = setup_established(f);
	f->socks[2] = setup_close_wait(f);
	f->socks[3] = setup_closing(f, SL_FINWAIT2, 40004, 4000000, 0);
	f->socks[4] = setup_closing(f, SL_TIMEWAIT, 40005, 5000000, 1);
	f->socks[5] = setup_syn_sent(f);
	poll_at(f, f->now);

	synack_stack_counters(f->st, &c);
	for (int s = SYNACK_LISTEN; s <= SYNACK_TIME_WAIT; s++) {
		int none = s == SYNACK_FIN_WAIT_1 || s == SYNACK_CLOSING || s == SYNACK_LAST_ACK;
		check(c.in_state[s] == (none ? 0u : 1u));
	}
	check_invariants(f);
}

/* ---------------------------------------------------------- op 1: deliverable datagram */

static void fix_ip(uint8_t *b, size_t n, size_t ihl)
{
	b[0] = (uint8_t)(0x40 | (ihl / 4));
	put16(b + 2, (uint16_t)n);
	b[6] &= 0x40; /* DF may stay; MF and the offset go */
	b[7] = 0;
	b[9] = SN_IPPROTO_TCP;
	put32(b + 12, PEER);
	put32(b + 16, US);
	put16(b + 10, 0);
	put16(b + 10, sn_csum_fold(sn_csum_add(0, b, ihl)));
}

/* Op 1 bit 5: every SACK option edge becomes base minus its low 13 bits. */
static void rebase_sack(uint8_t *t, size_t doff, uint32_t base)
{
	size_t i = SN_TCP_HDR_LEN;

	while (i < doff && t[i] != 0) {
		if (t[i] == 1) { /* NOP */
			i++;
			continue;
		}
		if (i + 1 >= doff || t[i + 1] < 2 || i + t[i + 1] > doff)
			return;
		size_t end = i + t[i + 1];
		if (t[i] == 5)
			for (size_t k = i + 2; k + 4 <= end; k += 4)
				put32(t + k, base - (get32(t + k) & 0x1fff));
		i = end;
	}
}

static void fix_tcp(struct fz *f, uint8_t *t, size_t tlen, uint8_t sel)
{
	const struct conn_model *c = &f->m[sel & 7];
	size_t doff = (size_t)(t[12] >> 4) * 4;

	if (doff < SN_TCP_HDR_LEN || doff > tlen)
		t[12] = (uint8_t)(0x50 | (t[12] & 0x0f));
	if (c->lport == 0 || (c->lport == LPORT && c->rport == 0)) {
		put16(t + 2, LPORT); /* to the listener, from the fuzzer's port */
	} else {
		put16(t, c->rport);
		put16(t + 2, c->lport);
	}
	if (sel & 0x08)
		put32(t + 4, c->peer_nxt + get32(t + 4));
	if (sel & 0x10)
		put32(t + 8, c->our_max + get32(t + 8));
	if (sel & 0x20)
		rebase_sack(t, (size_t)(t[12] >> 4) * 4, c->our_max);
	put16(t + 16, 0);
	uint64_t sum = sn_csum_pseudo4(PEER, US, SN_IPPROTO_TCP, (uint16_t)tlen);
	put16(t + 16, sn_csum_fold(sn_csum_add(sum, t, tlen)));
}

static void op_segment(struct fz *f, const uint8_t *p, size_t len)
{
	if (len < 1)
		return;
	uint8_t sel = p[0];
	p++, len--;
	size_t n = len < SN_IPV4_HDR_LEN + SN_TCP_HDR_LEN ? SN_IPV4_HDR_LEN + SN_TCP_HDR_LEN : len;
	if (n > 65535)
		n = 65535;
	uint8_t *b = calloc(1, n);
	check(b != NULL);
	memcpy(b, p, len < n ? len : n);
	size_t ihl = (size_t)(b[0] & 0x0f) * 4;
	if (ihl < SN_IPV4_HDR_LEN || ihl + SN_TCP_HDR_LEN > n)
		ihl = SN_IPV4_HDR_LEN;
	fix_ip(b, n, ihl);
	fix_tcp(f, b + ihl, n - ihl, sel);
	synack_stack_input(f->st, f->now, b, n);
	free(b);
}

/* ---------------------------------------------------------- op 2: time */

static void op_time(struct fz *f, const uint8_t *p, size_t len)
{
	uint64_t d = 0;

	for (size_t i = 0; i < len && i < 4; i++)
		d |= (uint64_t)p[i] << (8 * i);
	if (len >= 5)
		d <<= (p[4] & 7) * 2; /* up to ~2 years */
	uint64_t end = f->now + d;
	for (int i = 0; i < MAX_POLLS; i++) {
		uint64_t next = synack_stack_next_deadline(f->st);
		if (next == UINT64_MAX || next > end)
			break;
		if (next > f->now)
			f->now = next;
		poll_at(f, f->now);
	}
	f->now = end;
	poll_at(f, f->now);
}

/* ---------------------------------------------------------- op 3: socket calls */

static int free_slot(struct fz *f)
{
	for (int i = 0; i < NSOCKS; i++)
		if (f->socks[i] < 0)
			return i;
	return -1;
}

static uint16_t arg16(const uint8_t *a, size_t n)
{
	return (uint16_t)((n > 0 ? a[0] << 8 : 0) | (n > 1 ? a[1] : 0));
}

static uint32_t pick_addr(uint8_t b)
{
	static const uint32_t addrs[4] = {PEER, 0, US, 0x0a000003u};
	return addrs[b & 3];
}

static void sock_getters(struct fz *f, int s)
{
	struct synack_tcp_info info;
	struct synack_endpoint ep;
	int v;

	synack_sock_events(f->st, s);
	synack_sock_info(f->st, s, &info);
	synack_sock_local(f->st, s, &ep);
	synack_sock_peer(f->st, s, &ep);
	synack_sock_getopt(f->st, s, SYNACK_TCP_MAXSEG, &v);
}

static void sock_call(struct fz *f, int *sp, uint8_t call, const uint8_t *a, size_t n)
{
	static uint8_t rbuf[65536];
	int s = *sp;
	uint8_t a0 = n > 0 ? a[0] : 0;
	struct synack_endpoint ep;
	int v, ns;

	switch (call % 11) {
	case 0:
		synack_sock_send(f->st, s, a, n);
		break;
	case 10:
		synack_sock_send_urgent(f->st, s, a, n);
		break;
	case 1:
		synack_sock_recv(f->st, s, rbuf, (size_t)arg16(a, n) + 1);
		break;
	case 2:
		synack_sock_shutdown(f->st, s, a0 & 3); /* 3: invalid */
		break;
	case 3:
		synack_sock_close(f->st, s);
		*sp = -1;
		return;
	case 4:
		synack_sock_abort(f->st, s);
		*sp = -1;
		return;
	case 5:
		v = (int)(int16_t)arg16(a + (n > 0), n > 0 ? n - 1 : 0);
		synack_sock_setopt(f->st, s, (enum synack_opt)(a0 % 13), v); /* 0, 12: invalid */
		synack_sock_getopt(f->st, s, (enum synack_opt)(a0 % 13), &v);
		break;
	case 6:
		ep = (struct synack_endpoint){pick_addr(a0), arg16(a + (n > 0), n > 0 ? n - 1 : 0)};
		synack_sock_connect(f->st, s, &ep);
		break;
	case 7:
		ns = synack_sock_accept(f->st, s, (a0 & 1) ? &ep : NULL);
		if (ns >= 0) {
			int i = free_slot(f);
			check(i >= 0); /* descriptors only ever live in socks[] */
			f->socks[i] = ns;
		}
		break;
	case 8:
		synack_sock_listen(f->st, s, (int)(int8_t)a0);
		break;
	case 9:
		ep = (struct synack_endpoint){pick_addr(a0 >> 2), arg16(a + (n > 0), n > 0 ? n - 1 : 0)};
		synack_sock_bind(f->st, s, &ep);
		break;
	}
	if (*sp >= 0)
		sock_getters(f, *sp);
}

static void op_socket(struct fz *f, const uint8_t *p, size_t len)
{
	if (len < 2)
		return;
	uint8_t sel = p[0], call = p[1];
	if (sel & 0x80) { /* a descriptor that is not open */
		int bad = (sel & 1) ? -1 : NSOCKS + 3;
		sock_call(f, &bad, call, p + 2, len - 2);
		return;
	}
	int *sp = &f->socks[sel % NSOCKS];
	if (*sp < 0 && (*sp = synack_sock_open(f->st)) < 0)
		return; /* -EMFILE: *sp stays negative */
	sock_call(f, sp, call, p + 2, len - 2);
}

/* ---------------------------------------------------------- drain */

/* With FUZZ_INPUT_DRAIN set: close every socket and let a month of virtual
 * time pass with no peer. Every orphan must then have ended on its own
 * (retransmission give-up, FIN-WAIT-2 timeout, 2*MSL): nothing left. Off by
 * default: it is a liveness property, checked by hand (see the report). */
static void drain(struct fz *f)
{
	struct synack_counters c;
	uint64_t end;

	for (int i = 0; i < NSOCKS; i++)
		if (f->socks[i] >= 0)
			synack_sock_close(f->st, f->socks[i]);
	end = f->now + 30ull * 86400 * 1000000;
	for (int i = 0; i < 100000; i++) {
		uint64_t next = synack_stack_next_deadline(f->st);
		if (next == UINT64_MAX || next > end)
			break;
		if (next > f->now)
			f->now = next;
		poll_at(f, f->now);
	}
	check_invariants(f);
	synack_stack_counters(f->st, &c);
	for (int s = 0; s < SYNACK_NSTATES; s++)
		if (c.in_state[s]) {
			fprintf(stderr, "drain: %llu connection(s) left in %s\n",
				(unsigned long long)c.in_state[s], synack_state_name(s));
			abort();
		}
	check(c.ooo_bytes == 0); /* every connection's out-of-order share returned */
}

/* ---------------------------------------------------------- the target */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {0};
	size_t pos = 0;

	setup(&f);
	for (int rec = 0; rec < MAX_RECORDS && size - pos >= 3; rec++) {
		uint8_t op = data[pos];
		size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		const uint8_t *p = data + pos;
		pos += len;
		if (f.verbose)
			fprintf(stderr, "---- record %d: op %d, %zu bytes\n", rec, op & 3, len);
		switch (op & 3) {
		case 0:
			feed(&f, p, len);
			break;
		case 1:
			op_segment(&f, p, len);
			break;
		case 2:
			op_time(&f, p, len);
			break;
		case 3:
			op_socket(&f, p, len);
			break;
		}
		check_invariants(&f);
	}
	if (getenv("FUZZ_INPUT_DRAIN"))
		drain(&f);
	synack_stack_destroy(f.st);
	return 0;
}
