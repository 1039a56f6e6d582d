/*
 * tcp_fixture.h: drive one synack stack with hand-made segments on a
 * virtual clock, packetdrill-style, and look at exactly what it sends.
 *
 * The stack under test is 10.0.0.1 ("us"); the scripted peer is 10.0.0.2.
 * fx_in() builds a segment from the peer (IPv4 + TCP with correct checksums)
 * and feeds it at the fixture's current time; every datagram the stack
 * emits is captured and fx_out() parses the next one. fx_wait() moves
 * virtual time forward, running every timer due on the way. Sequence numbers
 * in tests are absolute; fixtures for each state record both ISNs.
 *
 *     struct fx f; fx_init(&f, NULL);
 *     int s = fx_passive_open(&f);          // a listener on port 80
 *     fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 8192});
 *     struct sn_tcp_seg o;
 *     CHECK(fx_out(&f, &o));                // the SYN,ACK
 *     CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
 */
#ifndef SYNACK_TESTS_TCP_FIXTURE_H
#define SYNACK_TESTS_TCP_FIXTURE_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"
#include "wire/csum.h"
#include "wire/ipv4.h"
#include "wire/tcp_wire.h"

#define FX_US 0x0a000001u
#define FX_PEER 0x0a000002u
#define FX_PORT 80
#define FX_PEER_PORT 40000
#define FX_MAX_OUT 256
#define FX_MS 1000ull
#define FX_SEC 1000000ull

struct fx_pkt {
	uint8_t buf[2048];
	size_t len;
};

struct fx {
	synack_stack *st;
	uint64_t now;
	struct fx_pkt out[FX_MAX_OUT];
	int nout, rd;           /* captured, and read so far */
	int dropped_out;        /* captures beyond FX_MAX_OUT */
	uint32_t our_iss, peer_iss; /* set by the state fixtures */
	int lsock;              /* listener (passive fixtures) */
	uint16_t our_port, peer_port;
	struct fx_pkt last;     /* the last datagram fx_out returned */
	int reuseaddr;          /* SO_REUSEADDR on the sockets fx_listen and
	                         * fx_active_established open (set after fx_init) */
};

/* A segment from the peer. Ports default to the fixture's connection. */
struct fx_seg {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t wnd;
	uint16_t sport, dport;  /* 0: peer_port / our_port */
	const void *data;
	uint32_t len;
	uint16_t mss;           /* MSS option if non-zero */
	uint16_t urp;           /* urgent pointer (with SN_TCP_URG) */
	uint8_t ws, wscale;     /* ws: a window scale option with shift wscale (RFC 7323 §2) */
	uint8_t ts;             /* a timestamps option <TSval=tsval,TSecr=tsecr> (RFC 7323 §3) */
	uint32_t tsval, tsecr;
	uint8_t sack_ok;        /* a SACK-permitted option (RFC 2018 §2) */
	uint8_t nsack;          /* SACK blocks sack[0..nsack) (RFC 2018 §3) */
	struct {
		uint32_t left, right;
	} sack[SN_TCP_SACK_MAX];
	uint8_t ecn;            /* the IP header's ECN field (SN_IP_ECN_*, RFC 3168 §5) */
};

static void fx_capture(void *ctx, const uint8_t *pkt, size_t len)
{
	struct fx *f = ctx;
	if (f->nout >= FX_MAX_OUT || len > sizeof(f->out[0].buf)) {
		f->dropped_out++;
		return;
	}
	memcpy(f->out[f->nout].buf, pkt, len);
	f->out[f->nout].len = len;
	f->nout++;
}

/* cfg may be NULL (defaults); addr is forced to FX_US. */
static inline int fx_init(struct fx *f, const struct synack_config *cfg)
{
	struct synack_config c;
	memset(f, 0, sizeof(*f));
	if (cfg)
		c = *cfg;
	else
		synack_config_default(&c);
	c.addr = FX_US;
	f->our_port = FX_PORT;
	f->peer_port = FX_PEER_PORT;
	f->lsock = -1;
	int err = synack_stack_create(&c, &f->st);
	if (err)
		return err;
	synack_stack_set_output(f->st, fx_capture, f);
	synack_stack_poll(f->st, 0);
	return 0;
}

static inline void fx_free(struct fx *f)
{
	synack_stack_destroy(f->st);
	f->st = NULL;
}

/* Feed a raw datagram at the current time. */
static inline void fx_in_raw(struct fx *f, const uint8_t *pkt, size_t len)
{
	synack_stack_input(f->st, f->now, pkt, len);
}

/* Build the datagram for s into buf; returns its length. */
static inline size_t fx_build(const struct fx *f, const struct fx_seg *s, uint8_t *buf)
{
	struct sn_tcp_seg seg = {
		.sport = s->sport ? s->sport : f->peer_port,
		.dport = s->dport ? s->dport : f->our_port,
		.seq = s->seq,
		.ack = s->ack,
		.flags = s->flags,
		.wnd = s->wnd,
		.len = s->len,
		.urp = s->urp,
	};
	if (s->mss) {
		seg.opts.has_mss = 1;
		seg.opts.mss = s->mss;
	}
	seg.opts.has_wscale = s->ws != 0;
	seg.opts.wscale = s->wscale;
	seg.opts.has_ts = s->ts != 0;
	seg.opts.ts_val = s->tsval;
	seg.opts.ts_ecr = s->tsecr;
	seg.opts.sack_ok = s->sack_ok != 0;
	seg.opts.nsack = s->nsack;
	for (int i = 0; i < s->nsack && i < SN_TCP_SACK_MAX; i++) {
		seg.opts.sack[i].left = s->sack[i].left;
		seg.opts.sack[i].right = s->sack[i].right;
	}
	size_t hlen = SN_TCP_HDR_LEN + sn_tcp_opts_len(&seg.opts);
	if (s->len)
		memcpy(buf + SN_IPV4_HDR_LEN + hlen, s->data, s->len);
	sn_tcp_build(buf + SN_IPV4_HDR_LEN, &seg, FX_PEER, FX_US);
	struct sn_ipv4 ip = {
		.hdr_len = SN_IPV4_HDR_LEN,
		.total_len = (uint16_t)(SN_IPV4_HDR_LEN + hlen + s->len),
		.tos = s->ecn,
		.ttl = 64,
		.proto = SN_IPPROTO_TCP,
		.src = FX_PEER,
		.dst = FX_US,
	};
	sn_ipv4_build(buf, &ip);
	return ip.total_len;
}

static inline void fx_in(struct fx *f, const struct fx_seg *s)
{
	uint8_t buf[2048];
	size_t len = fx_build(f, s, buf);
	fx_in_raw(f, buf, len);
}

/* The next datagram the stack sent, parsed (seg->ecn: its IP ECN field);
 * 0 if none is pending. */
static inline int fx_out(struct fx *f, struct sn_tcp_seg *seg)
{
	struct sn_ipv4 ip;
	if (f->rd >= f->nout)
		return 0;
	f->last = f->out[f->rd++];
	if (sn_ipv4_parse(f->last.buf, f->last.len, &ip) != 0)
		return 0;
	if (sn_tcp_parse(f->last.buf + ip.hdr_len, ip.total_len - ip.hdr_len, ip.src, ip.dst, seg))
		return 0;
	seg->ecn = ip.tos & SN_IP_ECN_MASK;
	return 1;
}

/* How many captured datagrams have not been read yet. */
static inline int fx_pending(const struct fx *f)
{
	return f->nout - f->rd;
}

/* Forget captured output. */
static inline void fx_flush(struct fx *f)
{
	f->rd = f->nout = 0;
}

/* Move virtual time forward by us, running every timer due on the way. */
static inline void fx_wait(struct fx *f, uint64_t us)
{
	uint64_t end = f->now + us;
	for (;;) {
		uint64_t next = synack_stack_next_deadline(f->st);
		if (next > end || next == UINT64_MAX)
			break;
		if (next > f->now)
			f->now = next;
		synack_stack_poll(f->st, f->now);
	}
	f->now = end;
	synack_stack_poll(f->st, f->now);
}

static inline uint64_t fx_counter_drop(struct fx *f, enum synack_drop why)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c.drops[why];
}

/* A listener on our_port. Returns the socket. */
static inline int fx_listen(struct fx *f)
{
	struct synack_endpoint ep = {0, f->our_port};
	f->lsock = synack_sock_open(f->st);
	if (f->lsock < 0 ||
	    synack_sock_setopt(f->st, f->lsock, SYNACK_SO_REUSEADDR, f->reuseaddr) ||
	    synack_sock_bind(f->st, f->lsock, &ep) ||
	    synack_sock_listen(f->st, f->lsock, 16))
		return -1;
	return f->lsock;
}

/* ESTABLISHED by a passive open: the peer's SYN (seq peer_iss), our
 * SYN,ACK, the peer's ACK; the connection accepted. Returns the socket,
 * with all output consumed. peer window 65535, MSS 1460. */
static inline int fx_passive_established(struct fx *f, uint32_t peer_iss)
{
	struct sn_tcp_seg o;
	if (fx_listen(f) < 0)
		return -1;
	f->peer_iss = peer_iss;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = peer_iss, .wnd = 65535, .mss = 1460});
	if (!fx_out(f, &o) || o.flags != (SN_TCP_SYN | SN_TCP_ACK))
		return -1;
	f->our_iss = o.seq;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = peer_iss + 1, .ack = o.seq + 1,
				  .wnd = 65535});
	int s = synack_sock_accept(f->st, f->lsock, NULL);
	fx_flush(f);
	return s;
}

/* A passive open from a scripted SYN, for tests that set its options
 * (timestamps, SACK-permitted, window scale): a listener on our_port, the
 * peer's SYN as syn describes it (syn->seq is the peer's ISN; the flags are
 * set here), our SYN,ACK (into *sa unless NULL), the peer's ACK (window
 * 65535; when the SYN had a TSopt, one with TSval syn->tsval + 1 echoing
 * ours), and accept. Returns the socket with the output after the SYN,ACK
 * left unread, or -1. Both ISNs are recorded in f. */
static inline int fx_passive_open_syn(struct fx *f, const struct fx_seg *syn, struct sn_tcp_seg *sa)
{
	struct sn_tcp_seg o;
	struct fx_seg in = *syn;

	if (!sa)
		sa = &o;
	if (fx_listen(f) < 0)
		return -1;
	f->peer_iss = syn->seq;
	in.flags = SN_TCP_SYN;
	fx_in(f, &in);
	if (!fx_out(f, sa) || sa->flags != (SN_TCP_SYN | SN_TCP_ACK))
		return -1;
	f->our_iss = sa->seq;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = syn->seq + 1, .ack = sa->seq + 1,
				  .wnd = 65535, .ts = syn->ts, .tsval = syn->tsval + 1,
				  .tsecr = sa->opts.ts_val});
	return synack_sock_accept(f->st, f->lsock, NULL);
}

/* SYN-SENT by an active open to the peer from our_port: our SYN read into
 * *syn (its ISN recorded in f). Returns the socket, or -1. */
static inline int fx_connect_syn(struct fx *f, struct sn_tcp_seg *syn)
{
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT};
	struct synack_endpoint l = {0, f->our_port};
	int s = synack_sock_open(f->st);

	f->peer_port = FX_PEER_PORT;
	if (s < 0 || synack_sock_setopt(f->st, s, SYNACK_SO_REUSEADDR, f->reuseaddr) ||
	    synack_sock_bind(f->st, s, &l) || synack_sock_connect(f->st, s, &r) != -EINPROGRESS)
		return -1;
	if (!fx_out(f, syn) || syn->flags != SN_TCP_SYN)
		return -1;
	f->our_iss = syn->seq;
	return s;
}

/* ESTABLISHED by an active open to the peer: our SYN, the peer's SYN,ACK,
 * our ACK. Returns the socket with all output consumed. */
static inline int fx_active_established(struct fx *f, uint32_t peer_iss)
{
	struct sn_tcp_seg o;
	int s = fx_connect_syn(f, &o);
	if (s < 0)
		return -1;
	f->peer_iss = peer_iss;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = peer_iss,
				  .ack = o.seq + 1, .wnd = 65535, .mss = 1460});
	fx_flush(f);
	return s;
}

static inline enum synack_state fx_state(struct fx *f, int s)
{
	struct synack_tcp_info ti;
	if (synack_sock_info(f->st, s, &ti))
		return (enum synack_state)-1;
	return ti.state;
}

/* State of the connection by 4-tuple from the table (works for orphans and
 * TIME-WAIT entries); SYNACK_CLOSED when absent. */
struct fx_find {
	uint16_t lport, rport;
	enum synack_state state;
	struct synack_conn_info ci;
};
static int fx_find_cb(void *ctx, const struct synack_conn_info *ci)
{
	struct fx_find *q = ctx;
	if (ci->local.port == q->lport && ci->remote.port == q->rport) {
		q->state = ci->state;
		q->ci = *ci;
		return 1;
	}
	return 0;
}
static inline enum synack_state fx_conn_state(struct fx *f)
{
	struct fx_find q = {f->our_port, f->peer_port, SYNACK_CLOSED, {0}};
	synack_stack_foreach_conn(f->st, fx_find_cb, &q);
	return q.state;
}

/* An ICMP message from `from` to us: type, code, the 32-bit field after
 * the checksum (rest: next-hop MTU in its low 16 bits for fragmentation
 * needed), then body (for errors: the quoted datagram, e.g. f->last.buf).
 * Checksums correct unless bad_csum. */
static inline size_t fx_build_icmp(uint8_t *buf, uint32_t from, uint8_t type, uint8_t code,
				   uint32_t rest, const uint8_t *body, size_t blen, int bad_csum)
{
	uint8_t *m = buf + SN_IPV4_HDR_LEN;
	memset(m, 0, 8);
	m[0] = type;
	m[1] = code;
	m[4] = (uint8_t)(rest >> 24);
	m[5] = (uint8_t)(rest >> 16);
	m[6] = (uint8_t)(rest >> 8);
	m[7] = (uint8_t)rest;
	if (blen)
		memcpy(m + 8, body, blen);
	uint16_t sum = sn_csum_fold(sn_csum_add(0, m, 8 + blen));
	if (bad_csum)
		sum ^= 0x0101;
	m[2] = (uint8_t)(sum >> 8);
	m[3] = (uint8_t)sum;
	struct sn_ipv4 ip = {
		.hdr_len = SN_IPV4_HDR_LEN,
		.total_len = (uint16_t)(SN_IPV4_HDR_LEN + 8 + blen),
		.ttl = 64,
		.proto = SN_IPPROTO_ICMP,
		.src = from,
		.dst = FX_US,
	};
	sn_ipv4_build(buf, &ip);
	return ip.total_len;
}

static inline void fx_in_icmp(struct fx *f, uint32_t from, uint8_t type, uint8_t code,
			      uint32_t rest, const uint8_t *body, size_t blen)
{
	uint8_t buf[2048];
	size_t len = fx_build_icmp(buf, from, type, code, rest, body, blen, 0);
	fx_in_raw(f, buf, len);
}

#endif
