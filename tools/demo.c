/*
 * demo.c: `synack demo`, the first thing a new user runs.
 *
 * Two stacks in one simulator (include/synack/sim.h), a client 10.0.0.1 and
 * a server 10.0.0.2 joined by a virtual link; nothing touches a real network
 * and no real time passes. The client connects to port 80, sends a small
 * HTTP-like request, the server replies, one side (or both at once) closes,
 * and virtual time runs on past 2*MSL until TIME-WAIT is over and both sides
 * are CLOSED. The run is then drawn as a textbook sequence diagram, followed
 * by `ss -tan -o`-style connection tables taken during TIME-WAIT and a short
 * summary.
 *
 * Everything printed comes from the public API: the stacks' trace events
 * (segments sent, state changes and their causes, user calls, drops), the
 * simulator's tap (which datagrams the link lost), synack_stack_foreach_conn
 * (the tables) and synack_stack_counters (the summary). Nothing reaches into
 * a TCB. The run is recorded first and drawn afterwards, so the drawing can
 * pair each traced segment with its fate on the link and size the arrows to
 * the widest label.
 *
 * All state lives in one struct demo; the run is deterministic for a given
 * set of options (the seed drives ISNs, ports and losses).
 */
#define _GNU_SOURCE /* open_memstream */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"
#include "scenarios.h"
#include "synack/sim.h"
#include "synack/synack.h"

#define NONE UINT64_MAX
#define US_PER_SEC 1000000ull
#define CLIENT 0
#define SERVER 1
#define SERVER_PORT 80
#define TIME_W 12  /* "%10.3fms" */
#define SIDE_W 12  /* the client's state column, right-aligned */
#define MID_MIN 54 /* the space between the two lifelines */

static const char request[] = "GET / HTTP/1.0\r\n\r\n";
static const char reply[] = "HTTP/1.0 200 OK\r\n\r\nhello\n";

/* ---------------------------------------------------------------- the record */

enum close_by { CLOSE_BY_CLIENT, CLOSE_BY_SERVER, CLOSE_BY_BOTH };
static const char *const close_by_names[] = {"client", "server", "both"};

struct demo_opts {
	uint64_t seed;
	uint32_t loss_ppm;
	uint32_t msl_us;
	uint32_t delay_us;
	enum close_by close_by;
	int color;
};

/* What identifies a segment both in a trace event and in a raw datagram. */
struct seg_key {
	uint16_t sport, dport;
	uint32_t seq, ack; /* ack only when the ACK flag is set, else 0 */
	uint8_t flags;
	uint32_t len;
};

enum row_kind {
	ROW_SEG,   /* a segment sent: an arrow */
	ROW_STATE, /* a state change: the state in the side's column, its cause inside */
	ROW_USER,  /* a user call, written next to the side's lifeline */
	ROW_DROP,  /* an inbound segment the stack dropped */
};

struct row {
	enum row_kind kind;
	uint64_t now;
	int side;
	struct synack_trace_seg seg; /* SEG */
	int tap;                     /* SEG: the paired tap record, or -1 */
	enum synack_state state;     /* STATE: the new state */
	int listener;                /* STATE, USER: about the listening socket */
	const char *call;            /* USER: the call's name if the demo made it, else NULL */
	int hidden;                  /* USER: a call that did nothing (-EAGAIN): not drawn */
	char text[64];               /* STATE: cause; USER: the call; DROP: the reason */
};

/* A datagram the simulator's tap saw enter the link. */
struct tap_rec {
	int side; /* the sender */
	struct seg_key key;
	int lost;
	int row;  /* the paired ROW_SEG, or -1 */
};

struct snapshot {
	uint64_t now;
	char title[96];
	char *table; /* malloc'd text */
};

enum phase { PH_OPEN, PH_EXCHANGE, PH_AFTER, PH_CLOSED };

/* One side's application. */
struct peer {
	synack_stack *st;
	int lsock;             /* the server's listening socket, -1 once closed */
	int sock;              /* the connection, -1 before connect/accept */
	enum phase phase;
	const char *out;       /* what this side sends */
	size_t out_len, out_done;
	char in[64];           /* what it has read */
	size_t in_len, in_want;
	int eof;               /* recv returned 0 */
	uint16_t port;
};

struct demo;
struct demo_side {
	struct demo *d;
	int side;
};

struct demo {
	struct demo_opts o;
	synack_sim *sim;
	uint32_t addr[2];
	struct peer p[2];
	struct demo_side ctx[2];
	struct row *rows;
	size_t nrows, caprows;
	struct tap_rec *taps;
	size_t ntaps, captaps;
	uint32_t iss[2];
	int have_iss[2];
	uint64_t tw_at;              /* the first entry into TIME-WAIT, or NONE */
	int tw_side;                 /* the side that entered it */
	uint64_t tw_enter[2], tw_leave[2];
	int snap_due;                /* a table is wanted at the current instant */
	struct snapshot snaps[3];
	int nsnaps;
	int finished, failed, nomem;
	char fail_msg[256];
	size_t mid_w;                /* drawing: width between the lifelines */
	size_t in_call[2];           /* the row of the call each side is in, SIZE_MAX if none */
};

/* ---------------------------------------------------------------- colors */

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"
#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_BLUE "\033[34m"
#define C_MAGENTA "\033[35m"
#define C_CYAN "\033[36m"

static const char *state_color(enum synack_state s)
{
	switch (s) {
	case SYNACK_ESTABLISHED:
		return C_BOLD C_GREEN;
	case SYNACK_TIME_WAIT:
		return C_BOLD C_YELLOW;
	case SYNACK_CLOSED:
		return C_BOLD;
	default:
		return C_BOLD C_CYAN;
	}
}

/* Prints s, in color when colors are on. */
static void put(const struct demo *d, const char *color, const char *s)
{
	if (d->o.color && color && *color && *s)
		printf("%s%s%s", color, s, C_RESET);
	else
		fputs(s, stdout);
}

static void spaces(size_t n)
{
	while (n-- > 0)
		putchar(' ');
}

/* ---------------------------------------------------------------- growing arrays */

static struct row *new_row(struct demo *d, enum row_kind kind, uint64_t now, int side)
{
	if (d->nrows == d->caprows) {
		size_t cap = d->caprows ? 2 * d->caprows : 64;
		struct row *r = realloc(d->rows, cap * sizeof(*r));
		if (!r) {
			d->nomem = 1;
			return NULL;
		}
		d->rows = r;
		d->caprows = cap;
	}
	struct row *r = &d->rows[d->nrows++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->now = now;
	r->side = side;
	r->tap = -1;
	return r;
}

static struct tap_rec *new_tap(struct demo *d)
{
	if (d->ntaps == d->captaps) {
		size_t cap = d->captaps ? 2 * d->captaps : 64;
		struct tap_rec *t = realloc(d->taps, cap * sizeof(*t));
		if (!t) {
			d->nomem = 1;
			return NULL;
		}
		d->taps = t;
		d->captaps = cap;
	}
	struct tap_rec *t = &d->taps[d->ntaps++];
	memset(t, 0, sizeof(*t));
	t->row = -1;
	return t;
}

/* ---------------------------------------------------------------- pairing trace and tap */

static int key_eq(const struct seg_key *a, const struct seg_key *b)
{
	return a->sport == b->sport && a->dport == b->dport && a->seq == b->seq && a->ack == b->ack &&
	       a->flags == b->flags && a->len == b->len;
}

static struct seg_key key_of_trace(const struct synack_trace_event *ev)
{
	struct seg_key k = {.sport = ev->local.port, .dport = ev->remote.port, .seq = ev->seg.seq,
			    .flags = ev->seg.flags, .len = ev->seg.len};

	if (ev->seg.flags & SYNACK_F_ACK)
		k.ack = ev->seg.ack;
	return k;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Reads the TCP header of an IPv4 datagram; 0, or -1 if it is not one. */
static int key_of_packet(const uint8_t *pkt, size_t len, uint32_t *src, struct seg_key *k)
{
	if (len < 20 || (pkt[0] >> 4) != 4 || pkt[9] != 6)
		return -1;
	size_t ihl = (size_t)(pkt[0] & 15) * 4, total = be16(pkt + 2);
	if (total > len)
		total = len;
	if (ihl < 20 || total < ihl + 20)
		return -1;
	const uint8_t *t = pkt + ihl;
	size_t doff = (size_t)(t[12] >> 4) * 4;
	if (doff < 20 || ihl + doff > total)
		return -1;
	*src = be32(pkt + 12);
	*k = (struct seg_key){.sport = be16(t), .dport = be16(t + 2), .seq = be32(t + 4),
			      .flags = t[13] & 0x3f, .len = (uint32_t)(total - ihl - doff)};
	if (k->flags & SYNACK_F_ACK)
		k->ack = be32(t + 8);
	return 0;
}

/* How far back to look for the other half of a pair: both halves come from
 * the same output call, so they are always among the latest few. */
#define PAIR_WINDOW 16

static void pair_with_tap(struct demo *d, size_t row_i, const struct seg_key *k)
{
	size_t lo = d->ntaps > PAIR_WINDOW ? d->ntaps - PAIR_WINDOW : 0;

	for (size_t i = d->ntaps; i-- > lo;) {
		struct tap_rec *t = &d->taps[i];
		if (t->row < 0 && t->side == d->rows[row_i].side && key_eq(&t->key, k)) {
			t->row = (int)row_i;
			d->rows[row_i].tap = (int)i;
			return;
		}
	}
}

static void pair_with_row(struct demo *d, size_t tap_i)
{
	struct tap_rec *t = &d->taps[tap_i];
	size_t lo = d->nrows > PAIR_WINDOW ? d->nrows - PAIR_WINDOW : 0;

	for (size_t i = d->nrows; i-- > lo;) {
		struct row *r = &d->rows[i];
		if (r->kind != ROW_SEG || r->tap >= 0 || r->side != t->side)
			continue;
		struct seg_key k = {.sport = t->key.sport, .dport = t->key.dport, .seq = r->seg.seq,
				     .flags = r->seg.flags, .len = r->seg.len};
		if (r->seg.flags & SYNACK_F_ACK)
			k.ack = r->seg.ack;
		if (key_eq(&k, &t->key)) {
			r->tap = (int)tap_i;
			t->row = (int)i;
			return;
		}
	}
}

/* ---------------------------------------------------------------- trace and tap callbacks */

static void copy_text(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static void on_seg_out(struct demo *d, int side, const struct synack_trace_event *ev)
{
	struct row *r = new_row(d, ROW_SEG, ev->now, side);

	if (!r)
		return;
	r->seg = ev->seg;
	if ((ev->seg.flags & SYNACK_F_SYN) && !d->have_iss[side]) {
		d->iss[side] = ev->seg.seq;
		d->have_iss[side] = 1;
	}
	struct seg_key k = key_of_trace(ev);
	pair_with_tap(d, d->nrows - 1, &k);
}

static void on_state(struct demo *d, int side, const struct synack_trace_event *ev)
{
	struct row *r = new_row(d, ROW_STATE, ev->now, side);

	if (!r)
		return;
	r->state = ev->new_state;
	r->listener = ev->remote.port == 0;
	/* The cause, unless it is the call just written above it. */
	size_t call = d->in_call[side];
	if (!(call != SIZE_MAX && ev->what && !strcmp(d->rows[call].call, ev->what)))
		copy_text(r->text, sizeof(r->text), ev->what);
	if (ev->new_state == SYNACK_TIME_WAIT) {
		d->tw_enter[side] = ev->now;
		if (d->tw_at == NONE) {
			d->tw_at = ev->now;
			d->tw_side = side;
			d->snap_due = 1;
		}
	}
	if (ev->old_state == SYNACK_TIME_WAIT)
		d->tw_leave[side] = ev->now;
}

static void on_trace(void *ctx, const struct synack_trace_event *ev)
{
	struct demo_side *s = ctx;
	struct demo *d = s->d;
	struct row *r;

	switch (ev->kind) {
	case SYNACK_TRACE_SEG_OUT:
		on_seg_out(d, s->side, ev);
		break;
	case SYNACK_TRACE_STATE:
		on_state(d, s->side, ev);
		break;
	case SYNACK_TRACE_USER:
		if (d->in_call[s->side] != SIZE_MAX && ev->what &&
		    !strcmp(d->rows[d->in_call[s->side]].call, ev->what))
			break; /* the demo's own call, already in the diagram */
		if ((r = new_row(d, ROW_USER, ev->now, s->side))) {
			r->listener = ev->remote.port == 0 && ev->local.port == SERVER_PORT;
			snprintf(r->text, sizeof(r->text), "%s()", ev->what ? ev->what : "?");
		}
		break;
	case SYNACK_TRACE_DROP:
		if ((r = new_row(d, ROW_DROP, ev->now, s->side)))
			snprintf(r->text, sizeof(r->text), "dropped: %s", synack_drop_name(ev->drop));
		break;
	case SYNACK_TRACE_SEG_IN:
		break; /* arrivals are implied by the arrows */
	}
}

static void on_tap(void *ctx, uint64_t now, enum synack_sim_fate fate, const uint8_t *pkt, size_t len)
{
	struct demo *d = ctx;
	struct seg_key k;
	uint32_t src;

	(void)now;
	if (fate == SYNACK_SIM_DELIVERED || key_of_packet(pkt, len, &src, &k))
		return;
	int side = src == d->addr[CLIENT] ? CLIENT : SERVER;
	if (fate == SYNACK_SIM_LOST) {
		/* The datagram SENT just before, in the same output call. */
		for (size_t i = d->ntaps; i-- > 0;)
			if (d->taps[i].side == side && key_eq(&d->taps[i].key, &k)) {
				d->taps[i].lost = 1;
				return;
			}
		return;
	}
	struct tap_rec *t = new_tap(d);
	if (!t)
		return;
	t->side = side;
	t->key = k;
	pair_with_row(d, d->ntaps - 1);
}

/* ---------------------------------------------------------------- the applications */

__attribute__((format(printf, 2, 3))) static void fail(struct demo *d, const char *fmt, ...)
{
	va_list ap;

	if (d->failed)
		return;
	d->failed = 1;
	va_start(ap, fmt);
	vsnprintf(d->fail_msg, sizeof(d->fail_msg), fmt, ap);
	va_end(ap);
}

static const char *side_name(int side)
{
	return side == CLIENT ? "client" : "server";
}

/*
 * A call the demo makes is written into the diagram as it starts (so it
 * comes before the segments and state changes it causes) and completed with
 * its result when it returns. While it runs, the stack's own USER trace
 * event for the same call is absorbed into that row.
 */
static size_t call_begin(struct demo *d, int side, const char *name, int listener)
{
	struct row *r = new_row(d, ROW_USER, synack_sim_now(d->sim), side);

	if (!r)
		return SIZE_MAX;
	r->call = name;
	r->listener = listener;
	snprintf(r->text, sizeof(r->text), "%s()", name);
	d->in_call[side] = d->nrows - 1;
	return d->nrows - 1;
}

/* Adds the result (fmt NULL: none; "" hides a call that did nothing). */
__attribute__((format(printf, 3, 4))) static void call_end(struct demo *d, size_t i,
							     const char *fmt, ...)
{
	char result[40];
	va_list ap;

	if (i == SIZE_MAX)
		return;
	struct row *r = &d->rows[i];
	d->in_call[r->side] = SIZE_MAX;
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(result, sizeof(result), fmt, ap);
	va_end(ap);
	if (!*result) {
		r->hidden = 1;
		return;
	}
	snprintf(r->text, sizeof(r->text), "%s() %s", r->call, result);
}

static void do_close(struct demo *d, int side)
{
	struct peer *p = &d->p[side];
	size_t call = call_begin(d, side, "close", 0);
	int err = synack_sock_close(p->st, p->sock);

	call_end(d, call, NULL);
	if (err)
		fail(d, "%s: close: %s", side_name(side), strerror(-err));
	p->sock = -1;
	p->phase = PH_CLOSED;
}

/* Sends what is left of p->out. */
static void send_some(struct demo *d, int side)
{
	struct peer *p = &d->p[side];

	if (p->out_done == p->out_len)
		return;
	size_t call = call_begin(d, side, "send", 0);
	ssize_t n = synack_sock_send(p->st, p->sock, p->out + p->out_done, p->out_len - p->out_done);
	if (n == -EAGAIN) {
		call_end(d, call, "%s", "");
		return;
	}
	if (n < 0) {
		call_end(d, call, "= %s", strerror((int)-n));
		fail(d, "%s: send: %s", side_name(side), strerror((int)-n));
		return;
	}
	p->out_done += (size_t)n;
	call_end(d, call, "= %zd bytes", n);
}

/* One recv; returns its result. */
static ssize_t recv_once(struct demo *d, int side)
{
	struct peer *p = &d->p[side];
	char buf[64];
	size_t call = call_begin(d, side, "recv", 0);
	ssize_t n = synack_sock_recv(p->st, p->sock, buf, sizeof(buf));

	if (n == -EAGAIN)
		call_end(d, call, "%s", "");
	else if (n < 0)
		call_end(d, call, "= %s", strerror((int)-n));
	else if (n == 0)
		call_end(d, call, "= 0, end of stream");
	else
		call_end(d, call, "= %zd bytes", n);
	if (n > 0 && p->in_len + (size_t)n <= p->in_want)
		memcpy(p->in + p->in_len, buf, (size_t)n);
	return n;
}

/* Reads while the socket says there is something to read. */
static void read_some(struct demo *d, int side)
{
	struct peer *p = &d->p[side];

	while (!p->eof && (synack_sock_events(p->st, p->sock) & SYNACK_EV_IN)) {
		ssize_t n = recv_once(d, side);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			fail(d, "%s: recv: %s", side_name(side), strerror((int)-n));
			return;
		}
		if (n == 0) {
			p->eof = 1;
			return;
		}
		if (p->in_len + (size_t)n > p->in_want) {
			fail(d, "%s: received more than the other side sent", side_name(side));
			return;
		}
		p->in_len += (size_t)n;
	}
}

static int check_error(struct demo *d, int side)
{
	struct peer *p = &d->p[side];
	int err = 0;

	if (!(synack_sock_events(p->st, p->sock) & SYNACK_EV_ERR))
		return 0;
	synack_sock_getopt(p->st, p->sock, SYNACK_SO_ERROR, &err);
	fail(d, "%s: connection failed: %s", side_name(side), err ? strerror(-err) : "error");
	return -1;
}

/* The client is connected once its socket is writable. */
static void client_open(struct demo *d)
{
	struct peer *p = &d->p[CLIENT];

	if (check_error(d, CLIENT))
		return;
	if (synack_sock_events(p->st, p->sock) & SYNACK_EV_OUT)
		p->phase = PH_EXCHANGE;
}

/* The server accepts one connection, then stops listening. */
static void server_open(struct demo *d)
{
	struct peer *p = &d->p[SERVER];
	struct synack_endpoint peer;

	if (!(synack_sock_events(p->st, p->lsock) & SYNACK_EV_IN))
		return;
	size_t call = call_begin(d, SERVER, "accept", 1);
	int s = synack_sock_accept(p->st, p->lsock, &peer);
	if (s == -EAGAIN) {
		call_end(d, call, "%s", "");
		return;
	}
	if (s < 0) {
		call_end(d, call, "= %s", strerror(-s));
		fail(d, "server: accept: %s", strerror(-s));
		return;
	}
	char ep[32];
	call_end(d, call, "from %s", synack_endpoint_str(&peer, ep, sizeof(ep)));
	p->sock = s;
	p->phase = PH_EXCHANGE;
	/* A one-shot server: it stops listening once it has its connection. */
	call = call_begin(d, SERVER, "close", 1);
	synack_sock_close(p->st, p->lsock);
	call_end(d, call, "the listener");
	p->lsock = -1;
}

/* Client: send the request, read the reply. Server: read the request, reply. */
static void exchange(struct demo *d, int side)
{
	struct peer *p = &d->p[side];

	if (check_error(d, side))
		return;
	if (side == CLIENT)
		send_some(d, side);
	read_some(d, side);
	if (side == SERVER && p->in_len == p->in_want)
		send_some(d, side);
	if (p->eof && p->in_len < p->in_want)
		fail(d, "%s: the stream ended early", side_name(side));
	if (p->in_len == p->in_want && p->out_done == p->out_len)
		p->phase = PH_AFTER;
}

/*
 * After the exchange: the side named by --close-by closes at once; the
 * other closes when it reads the end of the stream. With "both", both close
 * in the same instant, once the client has the whole reply (by then the
 * server has sent it all), so the two FINs cross.
 */
static void after_exchange(struct demo *d, int side)
{
	struct peer *p = &d->p[side];
	enum close_by by = d->o.close_by;

	if (by == CLOSE_BY_BOTH) {
		if (d->p[CLIENT].phase == PH_AFTER && d->p[SERVER].phase == PH_AFTER) {
			do_close(d, CLIENT);
			do_close(d, SERVER);
		}
		return;
	}
	if ((int)by == side) {
		do_close(d, side);
		return;
	}
	read_some(d, side);
	if (p->eof)
		do_close(d, side);
}

static void drive_side(struct demo *d, int side)
{
	switch (d->p[side].phase) {
	case PH_OPEN:
		if (side == CLIENT)
			client_open(d);
		else
			server_open(d);
		if (d->p[side].phase != PH_EXCHANGE)
			break;
		/* fall through */
	case PH_EXCHANGE:
		exchange(d, side);
		if (d->p[side].phase != PH_AFTER)
			break;
		/* fall through */
	case PH_AFTER:
		after_exchange(d, side);
		break;
	case PH_CLOSED:
		break;
	}
}

static int count_conn(void *ctx, const struct synack_conn_info *ci)
{
	(void)ci;
	++*(int *)ctx;
	return 0;
}

static int conns(synack_stack *st)
{
	int n = 0;

	synack_stack_foreach_conn(st, count_conn, &n);
	return n;
}

/* synack_sim_run's done(): drives both applications after every step. */
static int demo_done(void *ctx)
{
	struct demo *d = ctx;

	if (!d->failed) {
		drive_side(d, CLIENT);
		drive_side(d, SERVER);
	}
	if (d->p[CLIENT].phase == PH_CLOSED && d->p[SERVER].phase == PH_CLOSED &&
	    conns(d->p[CLIENT].st) == 0 && conns(d->p[SERVER].st) == 0)
		d->finished = 1;
	return d->finished || d->failed || d->snap_due || d->nomem;
}

/* ---------------------------------------------------------------- the connection table */

/* A duration as ss(8) prints timers: "59sec", "1min", "2.500ms"-free forms. */
static void ss_duration(char *buf, size_t n, uint64_t us)
{
	uint64_t ms = us / 1000, secs = ms / 1000, mins = secs / 60;
	size_t o = 0;

	buf[0] = '\0';
	secs %= 60;
	ms %= 1000;
	if (mins) {
		ms = 0;
		o += (size_t)snprintf(buf + o, n - o, "%llumin", (unsigned long long)mins);
		if (mins > 9)
			secs = 0;
	}
	if (secs) {
		if (secs > 9)
			ms = 0;
		o += (size_t)snprintf(buf + o, n - o, "%llu%s", (unsigned long long)secs, ms ? "." : "sec");
	}
	if (ms || o == 0)
		snprintf(buf + o, n - o, "%03llums", (unsigned long long)ms);
}

struct table_ctx {
	FILE *f;
	const char *host;
	uint64_t now;
	int rows;
};

static int table_row(void *ctx, const struct synack_conn_info *ci)
{
	struct table_ctx *t = ctx;
	char local[32], peer[32], timer[64] = "", left[32];

	synack_endpoint_str(&ci->local, local, sizeof(local));
	if (ci->remote.port)
		synack_endpoint_str(&ci->remote, peer, sizeof(peer));
	else
		snprintf(peer, sizeof(peer), "0.0.0.0:*");
	if (ci->timer != SYNACK_TIMER_OFF) {
		ss_duration(left, sizeof(left), ci->timer_expires > t->now ? ci->timer_expires - t->now : 0);
		snprintf(timer, sizeof(timer), "timer:(%s,%s,%u)", synack_timer_name(ci->timer), left,
			 ci->retransmits);
	}
	fprintf(t->f, "  %-7s %-12s %-6u %-6u %-21s %-21s %s\n", t->host, synack_state_name(ci->state),
		ci->recv_queue, ci->send_queue, local, peer, timer);
	t->rows++;
	return 0;
}

static void take_snapshot(struct demo *d, const char *title)
{
	struct snapshot *s = &d->snaps[d->nsnaps];
	size_t size = 0;

	if (d->nsnaps == 3)
		return;
	FILE *f = open_memstream(&s->table, &size);
	if (!f) {
		d->nomem = 1;
		return;
	}
	s->now = synack_sim_now(d->sim);
	snprintf(s->title, sizeof(s->title), "%s", title);
	fprintf(f, "  %-7s %-12s %-6s %-6s %-21s %-21s %s\n", "Host", "State", "Recv-Q", "Send-Q",
		"Local Address:Port", "Peer Address:Port", "Timer");
	for (int side = CLIENT; side <= SERVER; side++) {
		struct table_ctx t = {.f = f, .host = side_name(side), .now = s->now};
		synack_stack_foreach_conn(d->p[side].st, table_row, &t);
		if (t.rows == 0)
			fprintf(f, "  %-7s (no connections: CLOSED)\n", side_name(side));
	}
	fclose(f);
	d->nsnaps++;
}

/* ---------------------------------------------------------------- setting up and running */

static int setup_host(struct demo *d, int side)
{
	struct synack_config cfg;

	synack_config_default(&cfg);
	cfg.seed = 0; /* drawn from the simulator's seed: --seed changes ISNs and ports too */
	cfg.addr = d->addr[side];
	cfg.msl_us = d->o.msl_us;
	int err = synack_sim_add_host(d->sim, &cfg, &d->p[side].st);
	if (err)
		return err;
	d->ctx[side] = (struct demo_side){.d = d, .side = side};
	synack_stack_set_trace(d->p[side].st, on_trace, &d->ctx[side]);
	return 0;
}

static int setup(struct demo *d)
{
	struct synack_impair_params link = {.delay_us = d->o.delay_us, .loss_ppm = d->o.loss_ppm};
	int err;

	d->addr[CLIENT] = 0x0a000001; /* 10.0.0.1: inside the simulation only */
	d->addr[SERVER] = 0x0a000002;
	d->tw_at = NONE;
	for (int side = CLIENT; side <= SERVER; side++) {
		d->in_call[side] = SIZE_MAX;
		d->tw_enter[side] = d->tw_leave[side] = NONE;
		d->p[side].sock = d->p[side].lsock = -1;
	}
	d->p[CLIENT].out = request;
	d->p[CLIENT].out_len = d->p[SERVER].in_want = strlen(request);
	d->p[SERVER].out = reply;
	d->p[SERVER].out_len = d->p[CLIENT].in_want = strlen(reply);
	if ((err = synack_sim_create(d->o.seed, &d->sim)))
		return err;
	synack_sim_set_default_link(d->sim, &link);
	synack_sim_set_tap(d->sim, on_tap, d);
	if ((err = setup_host(d, CLIENT)) || (err = setup_host(d, SERVER)))
		return err;
	return 0;
}

/* Server: socket, bind :80, listen. Client: socket, connect. */
static int open_sockets(struct demo *d)
{
	struct peer *c = &d->p[CLIENT], *s = &d->p[SERVER];
	struct synack_endpoint any80 = {.addr = 0, .port = SERVER_PORT};
	struct synack_endpoint srv = {.addr = d->addr[SERVER], .port = SERVER_PORT}, local;
	int err;

	if ((s->lsock = synack_sock_open(s->st)) < 0)
		return s->lsock;
	if ((err = synack_sock_bind(s->st, s->lsock, &any80)))
		return err;
	size_t call = call_begin(d, SERVER, "listen", 1);
	err = synack_sock_listen(s->st, s->lsock, 8);
	call_end(d, call, "on port %d", SERVER_PORT);
	if (err)
		return err;
	if ((c->sock = synack_sock_open(c->st)) < 0)
		return c->sock;
	call = call_begin(d, CLIENT, "connect", 0);
	err = synack_sock_connect(c->st, c->sock, &srv);
	call_end(d, call, "to 10.0.0.2:%d", SERVER_PORT);
	if (err != -EINPROGRESS && err != 0)
		return err;
	if (synack_sock_local(c->st, c->sock, &local) == 0)
		c->port = local.port;
	return 0;
}

static int first_state(void *ctx, const struct synack_conn_info *ci)
{
	*(enum synack_state *)ctx = ci->state;
	return 1;
}

/* "the request and reply were exchanged; client in TIME-WAIT, server in LAST-ACK" */
static void fail_unfinished(struct demo *d, uint64_t limit)
{
	char where[2][40];

	for (int side = CLIENT; side <= SERVER; side++) {
		enum synack_state st = SYNACK_NSTATES;
		synack_stack_foreach_conn(d->p[side].st, first_state, &st);
		snprintf(where[side], sizeof(where[side]), "%s %s%s", side_name(side),
			 st == SYNACK_NSTATES ? "" : "in ", st == SYNACK_NSTATES ? "CLOSED" : synack_state_name(st));
	}
	int exchanged = d->p[CLIENT].in_len == d->p[CLIENT].in_want &&
			d->p[SERVER].in_len == d->p[SERVER].in_want;
	fail(d, "not finished within %.0f s of virtual time (10 minutes plus 2*MSL): %s; %s, %s",
	     (double)limit / US_PER_SEC,
	     exchanged ? "the request and the reply were exchanged" : "the exchange did not complete",
	     where[CLIENT], where[SERVER]);
}

/* Runs until both sides are CLOSED, taking the tables on the way. 0, or -1
 * if the run failed or ran out of virtual time. */
static int run(struct demo *d)
{
	uint64_t limit = 600 * US_PER_SEC + 2 * (uint64_t)d->o.msl_us;

	for (;;) {
		uint64_t until = limit;
		if (d->nsnaps == 1 && d->tw_at + d->o.msl_us < until)
			until = d->tw_at + d->o.msl_us;
		synack_sim_run(d->sim, demo_done, d, until);
		if (d->failed || d->nomem)
			return -1;
		if (d->snap_due) {
			char title[64];
			d->snap_due = 0;
			snprintf(title, sizeof(title), "right after the %s entered TIME-WAIT",
				 side_name(d->tw_side));
			take_snapshot(d, title);
		} else if (d->nsnaps == 1 && synack_sim_now(d->sim) == until && until != limit) {
			take_snapshot(d, "halfway through 2*MSL");
		}
		if (d->finished) {
			take_snapshot(d, "after 2*MSL: TIME-WAIT is over");
			return 0;
		}
		if (synack_sim_now(d->sim) >= limit) {
			fail_unfinished(d, limit);
			return -1;
		}
	}
}

/* ---------------------------------------------------------------- drawing */

static const char *flags_str(uint8_t f, char *buf)
{
	/* tcpdump's letters and order: F S R P . U */
	char *p = buf;

	if (f & SYNACK_F_FIN)
		*p++ = 'F';
	if (f & SYNACK_F_SYN)
		*p++ = 'S';
	if (f & SYNACK_F_RST)
		*p++ = 'R';
	if (f & SYNACK_F_PSH)
		*p++ = 'P';
	if (f & SYNACK_F_ACK)
		*p++ = '.';
	if (f & SYNACK_F_URG)
		*p++ = 'U';
	*p = '\0';
	return buf;
}

/* "P. seq=1 ack=1 len=18 win=65535", seq and ack relative to the ISNs. */
static void seg_label(const struct demo *d, const struct row *r, char *buf, size_t n)
{
	const struct synack_trace_seg *s = &r->seg;
	int other = 1 - r->side;
	char fl[8], ack[24] = "", len[24] = "", mss[24] = "";
	uint32_t seq = d->have_iss[r->side] ? s->seq - d->iss[r->side] : s->seq;

	if (s->flags & SYNACK_F_ACK)
		snprintf(ack, sizeof(ack), " ack=%u", d->have_iss[other] ? s->ack - d->iss[other] : s->ack);
	if (s->len)
		snprintf(len, sizeof(len), " len=%u", s->len);
	if (s->mss)
		snprintf(mss, sizeof(mss), " <mss %u>", s->mss);
	snprintf(buf, n, "%s seq=%u%s%s win=%u%s%s", flags_str(s->flags, fl), seq, ack, len, s->wnd, mss,
		 s->retransmit ? " (retransmit)" : "");
}

static void put_time(const struct demo *d, uint64_t now)
{
	char t[32];

	snprintf(t, sizeof(t), "%10.3fms", (double)now / 1000.0);
	put(d, C_DIM, t);
	putchar(' ');
}

/* One line: the client's column, the space between the lifelines, the server's column. */
static void line(const struct demo *d, const char *left, const char *lcolor, const char *mid,
		 const char *mcolor, int mid_right, const char *right, const char *rcolor)
{
	size_t ml = strlen(mid);

	spaces(SIDE_W > strlen(left) ? SIDE_W - strlen(left) : 0);
	put(d, lcolor, left);
	fputs(" |", stdout);
	if (mid_right)
		spaces(d->mid_w - ml);
	put(d, mcolor, mid);
	if (!mid_right)
		spaces(d->mid_w - ml);
	putchar('|');
	if (*right) {
		putchar(' ');
		put(d, rcolor, right);
	}
	putchar('\n');
}

/* The arrow of a segment, exactly mid_w wide. */
static void arrow(const struct demo *d, const struct row *r, int lost, char *buf)
{
	char label[96];
	size_t w = d->mid_w;

	seg_label(d, r, label, sizeof(label));
	size_t ll = strlen(label) + 2, gap = lost ? 3 : 0;
	size_t dashes = w - ll - 1 - gap, before = dashes / 2, after = dashes - before;
	char *p = buf;
	if (r->side == SERVER) {
		memset(p, ' ', gap), p += gap;
		*p++ = lost ? 'x' : '<';
		memset(p, '-', before), p += before;
		p += sprintf(p, " %s ", label);
		memset(p, '-', after), p += after;
	} else {
		memset(p, '-', before), p += before;
		p += sprintf(p, " %s ", label);
		memset(p, '-', after), p += after;
		*p++ = lost ? 'x' : '>';
		memset(p, ' ', gap), p += gap;
	}
	*p = '\0';
}

static void draw_seg(const struct demo *d, const struct row *r)
{
	char buf[256];
	int lost = r->tap >= 0 && d->taps[r->tap].lost;

	arrow(d, r, lost, buf);
	const char *color = lost ? C_RED : (r->seg.flags & SYNACK_F_RST ? C_MAGENTA : "");
	const char *mark = lost ? "lost" : "";
	line(d, r->side == SERVER ? mark : "", C_RED, buf, color, 0, r->side == CLIENT ? mark : "", C_RED);
}

static void draw_row(const struct demo *d, const struct row *r)
{
	char state[40];
	int c = r->side == CLIENT;

	put_time(d, r->now);
	switch (r->kind) {
	case ROW_SEG:
		draw_seg(d, r);
		break;
	case ROW_STATE:
		snprintf(state, sizeof(state), "%s%s", synack_state_name(r->state),
			 r->listener && !c ? " (listener)" : "");
		char cause[72];
		snprintf(cause, sizeof(cause), c ? "  %s" : "%s  ", r->text);
		line(d, c ? state : "", state_color(r->state), cause, C_DIM, !c, c ? "" : state,
		     state_color(r->state));
		break;
	case ROW_USER:
	case ROW_DROP: {
		char text[72];
		snprintf(text, sizeof(text), c ? "  %s" : "%s  ", r->text);
		line(d, "", "", text, r->kind == ROW_USER ? C_BLUE : C_YELLOW, !c, "", "");
		break;
	}
	}
}

/* A pause of a second or more in virtual time gets a line of its own. */
static void draw_gap(const struct demo *d, uint64_t from, uint64_t to)
{
	char text[64];

	snprintf(text, sizeof(text), "(%.3f s pass)", (double)(to - from) / US_PER_SEC);
	spaces(TIME_W + 1 + SIDE_W + 1);
	put(d, C_DIM, ":");
	size_t before = (d->mid_w - strlen(text)) / 2;
	spaces(before);
	put(d, C_DIM, text);
	spaces(d->mid_w - before - strlen(text));
	put(d, C_DIM, ":");
	putchar('\n');
}

static void size_arrows(struct demo *d)
{
	d->mid_w = MID_MIN;
	for (size_t i = 0; i < d->nrows; i++) {
		char label[96];
		size_t need;
		if (d->rows[i].kind == ROW_SEG) {
			seg_label(d, &d->rows[i], label, sizeof(label));
			need = strlen(label) + 12;
		} else {
			need = strlen(d->rows[i].text) + 4;
		}
		if (need > d->mid_w)
			d->mid_w = need;
	}
}

static void draw_header(const struct demo *d)
{
	char title[128];

	snprintf(title, sizeof(title), "synack demo: seed %llu, loss %g%%, MSL %gs, close by %s",
		 (unsigned long long)d->o.seed, d->o.loss_ppm / 10000.0, d->o.msl_us / 1e6,
		 close_by_names[d->o.close_by]);
	put(d, C_BOLD, title);
	printf("\n\nTwo simulated hosts on one virtual link, %g ms each way; no real network is used\n"
	       "and no real time passes. seq and ack are relative to each side's ISN, as tcpdump\n"
	       "prints them (client ISN %u, server ISN %u). Times are virtual milliseconds.\n\n",
	       d->o.delay_us / 1000.0, d->iss[CLIENT], d->iss[SERVER]);
	char client[40], server[40];
	snprintf(client, sizeof(client), "client 10.0.0.1:%u", d->p[CLIENT].port);
	snprintf(server, sizeof(server), "server 10.0.0.2:%d", SERVER_PORT);
	spaces(TIME_W + 1 + SIDE_W + 2 > strlen(client) ? TIME_W + 1 + SIDE_W + 2 - strlen(client) : 0);
	put(d, C_BOLD, client);
	spaces(d->mid_w);
	put(d, C_BOLD, server);
	putchar('\n');
}

static void draw_diagram(struct demo *d)
{
	size_arrows(d);
	draw_header(d);
	uint64_t last = 0;

	for (size_t i = 0; i < d->nrows; i++) {
		if (d->rows[i].hidden)
			continue;
		if (d->rows[i].now - last >= US_PER_SEC)
			draw_gap(d, last, d->rows[i].now);
		last = d->rows[i].now;
		draw_row(d, &d->rows[i]);
	}
}

static void draw_tables(const struct demo *d)
{
	char title[160];

	putchar('\n');
	put(d, C_BOLD, "Connection tables (like `ss -tan -o`) during and after TIME-WAIT");
	putchar('\n');
	if (d->nsnaps == 0)
		printf("  (none: neither side reached TIME-WAIT)\n");
	for (int i = 0; i < d->nsnaps; i++) {
		snprintf(title, sizeof(title), "at %.3fms, %s:", (double)d->snaps[i].now / 1000.0,
			 d->snaps[i].title);
		printf("\n");
		put(d, C_BOLD, title);
		printf("\n%s", d->snaps[i].table);
	}
}

static void draw_side_summary(const struct demo *d, int side)
{
	struct synack_counters c;
	uint64_t lost = 0;

	synack_stack_counters(d->p[side].st, &c);
	for (size_t i = 0; i < d->ntaps; i++)
		lost += d->taps[i].side == side && d->taps[i].lost;
	printf("  %-11s %llu segments sent, %llu of them retransmissions; %llu lost on the link\n",
	       side == CLIENT ? "client:" : "server:", (unsigned long long)c.segs_out,
	       (unsigned long long)c.retrans_segs, (unsigned long long)lost);
}

static void draw_timewait(const struct demo *d, int side)
{
	const char *label = side == CLIENT ? "TIME-WAIT:" : "";
	uint64_t in = d->tw_enter[side], out = d->tw_leave[side], twice_msl = 2ull * d->o.msl_us;

	printf("  %-11s %s ", label, side_name(side));
	if (in == NONE) {
		printf("never\n");
		return;
	}
	if (out == NONE) {
		printf("entered at %.3fms and has not left it\n", (double)in / 1000.0);
		return;
	}
	printf("from %.3fms to %.3fms = %.3f s (2*MSL = %g s%s)\n", (double)in / 1000.0,
	       (double)out / 1000.0, (double)(out - in) / US_PER_SEC, twice_msl / 1e6,
	       out - in > twice_msl ? ", restarted by a retransmitted FIN" : "");
}

static void draw_summary(const struct demo *d)
{
	printf("\n");
	put(d, C_BOLD, "Summary");
	printf("\n  %-11s client -> server %zu (the request), server -> client %zu (the reply)\n",
	       "bytes:", d->p[SERVER].in_len, d->p[CLIENT].in_len);
	draw_side_summary(d, CLIENT);
	draw_side_summary(d, SERVER);
	draw_timewait(d, CLIENT);
	draw_timewait(d, SERVER);
	printf("  %-11s %.3f s of virtual time\n", "time:", (double)synack_sim_now(d->sim) / US_PER_SEC);
}

/* ---------------------------------------------------------------- options */

void demo_help(FILE *out)
{
	fprintf(out,
		"usage: synack demo [--seed N] [--loss PCT] [--msl SECONDS] [--close-by client|server|both]\n"
		"                   [--delay MS] [--no-color]\n"
		"\n"
		"Runs one TCP connection between two simulated synack stacks, a client 10.0.0.1 and\n"
		"a server 10.0.0.2, on a virtual clock. The addresses exist only inside the simulation:\n"
		"nothing touches a real network, and the run takes milliseconds of real time however\n"
		"long it lasts in virtual time. The client connects to port 80 and sends\n"
		"\"GET / HTTP/1.0\", the server replies \"HTTP/1.0 200 OK ... hello\", the connection\n"
		"is closed, and virtual time runs on past 2*MSL until both sides are CLOSED.\n"
		"\n"
		"options:\n"
		"  --seed N          seed of the run (default 1): the same seed gives the same run,\n"
		"                    byte for byte (ISNs, the client's port, which segments are lost)\n"
		"  --loss PCT        drop this share of the datagrams in each direction, e.g. 5 or 5%%\n"
		"                    or 0.5 (default 0); lost segments are retransmitted by the stacks\n"
		"  --msl SECONDS     maximum segment lifetime (default 30; fractions like 0.5 are fine);\n"
		"                    TIME-WAIT lasts 2*MSL\n"
		"  --close-by WHO    who closes first (default client):\n"
		"                      client  the client closes after reading the reply; the server\n"
		"                              closes when it reads the end of the stream\n"
		"                      server  the server closes right after replying; the client\n"
		"                              closes when it reads the end of the stream\n"
		"                      both    both close at the same instant: the FINs cross\n"
		"                              (simultaneous close, through CLOSING)\n"
		"  --delay MS        one-way link delay in milliseconds (default 10)\n"
		"  --no-color        no ANSI colors (they are on only when stdout is a terminal and\n"
		"                    NO_COLOR is not set)\n"
		"  --scenario NAME   instead, play a scenario that shows why TIME-WAIT exists\n"
		"                    (lost-last-ack, old-duplicate, server-restart,\n"
		"                    ephemeral-ports, or all), with and without it (and\n"
		"                    ephemeral-ports also with tcp_tw_reuse = 1)\n"
		"  -h, --help        this text\n"
		"\n"
		"output:\n"
		"  1. a header line: seed, loss, MSL and who closes.\n"
		"  2. a sequence diagram: the client's lifeline on the left, the server's on the right,\n"
		"     one row per event with its virtual time. Arrows are the segments sent, labelled\n"
		"     as tcpdump does: flags (S SYN, F FIN, R RST, P PSH, . ACK), seq and ack relative\n"
		"     to each side's initial sequence number, len (payload bytes), win (window) and\n"
		"     options; \"x ... lost\" marks a segment the link dropped. Each side's state is\n"
		"     printed in its column when it changes (SYN-SENT, ESTABLISHED, FIN-WAIT-1,\n"
		"     TIME-WAIT, ...) with the event that caused it; the calls the programs make\n"
		"     (connect, send, recv, close, ...) are written next to their lifeline.\n"
		"  3. connection tables like `ss -tan -o`, taken right after the first side enters\n"
		"     TIME-WAIT, halfway through 2*MSL and after it: State, Recv-Q, Send-Q, the local\n"
		"     and peer addresses and the timer with its countdown, e.g.\n"
		"     timer:(timewait,59sec,0).\n"
		"  4. a summary: bytes each way, segments sent and retransmitted, how long TIME-WAIT\n"
		"     lasted.\n"
		"\n"
		"exit status: 0 when the exchange completed and both sides reached CLOSED; 1 when it\n"
		"failed or did not complete within 10 minutes plus 2*MSL of virtual time; 2 on bad\n"
		"options.\n");
}

__attribute__((format(printf, 1, 2))) static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "synack demo: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n");
	demo_help(stderr);
	return 2;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* "5", "5%" or "0.5" (percent) -> ppm, through the fault injector's parser. */
static int parse_loss(const char *s, uint32_t *ppm)
{
	char spec[64];
	struct synack_impair_params p;
	size_t n = strlen(s);

	if (n == 0 || n > 40)
		return -1;
	snprintf(spec, sizeof(spec), "loss=%s%s", s, s[n - 1] == '%' ? "" : "%");
	if (synack_impair_parse(spec, &p))
		return -1;
	*ppm = p.loss_ppm;
	return 0;
}

/* "30" or "0.5" seconds -> µs; more than 0. */
static int parse_seconds(const char *s, const char *unit, uint32_t *us)
{
	char spec[64];
	struct synack_impair_params p;

	if (!*s || strlen(s) > 40)
		return -1;
	snprintf(spec, sizeof(spec), "delay=%s%s", s, unit);
	if (synack_impair_parse(spec, &p))
		return -1;
	*us = p.delay_us;
	return 0;
}

static int parse_close_by(const char *s, enum close_by *by)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, close_by_names[i])) {
			*by = (enum close_by)i;
			return 0;
		}
	return -1;
}

/* One option with its value; returns 0, or the exit status to leave with. */
static int parse_option(struct demo_opts *o, const char *name, const char *val)
{
	if (!strcmp(name, "--seed")) {
		if (parse_u64(val, &o->seed))
			return bad_usage("--seed wants a non-negative integer, not '%s'", val);
	} else if (!strcmp(name, "--loss")) {
		if (parse_loss(val, &o->loss_ppm))
			return bad_usage("--loss wants a percentage from 0 to 100 (e.g. 5 or 5%%), not '%s'",
					 val);
	} else if (!strcmp(name, "--msl")) {
		if (parse_seconds(val, "s", &o->msl_us) || o->msl_us == 0 || o->msl_us > 3600 * US_PER_SEC)
			return bad_usage("--msl wants seconds, more than 0 and at most 3600 (e.g. 30 or 0.5), not '%s'",
					 val);
	} else if (!strcmp(name, "--delay")) {
		if (parse_seconds(val, "ms", &o->delay_us) || o->delay_us > 10 * US_PER_SEC)
			return bad_usage("--delay wants milliseconds from 0 to 10000, not '%s'", val);
	} else if (!strcmp(name, "--close-by")) {
		if (parse_close_by(val, &o->close_by))
			return bad_usage("--close-by wants client, server or both, not '%s'", val);
	} else {
		return bad_usage("unknown option '%s'", name);
	}
	return 0;
}

static int is_valued(const char *name)
{
	static const char *const valued[] = {"--seed", "--loss", "--msl", "--delay", "--close-by"};

	for (size_t i = 0; i < sizeof(valued) / sizeof(valued[0]); i++)
		if (!strcmp(name, valued[i]))
			return 1;
	return 0;
}

/* Returns -1 to go on, or an exit status (0 after --help). */
static int parse_args(int argc, char **argv, struct demo_opts *o)
{
	const char *nc = getenv("NO_COLOR");

	*o = (struct demo_opts){.seed = 1, .msl_us = 30 * US_PER_SEC, .delay_us = 10000,
				.close_by = CLOSE_BY_CLIENT, .color = isatty(STDOUT_FILENO) && !(nc && *nc)};
	for (int i = 1; i < argc; i++) {
		char name[32];
		const char *a = argv[i], *eq = strchr(a, '='), *val;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			demo_help(stdout);
			return 0;
		}
		if (!strcmp(a, "--no-color")) {
			o->color = 0;
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
		if (!is_valued(name))
			return bad_usage(a[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'", a);
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return bad_usage("%s needs a value", name);
		int st = parse_option(o, name, val);
		if (st)
			return st;
	}
	return -1;
}

/* ---------------------------------------------------------------- main */

static void demo_free(struct demo *d)
{
	for (int i = 0; i < d->nsnaps; i++)
		free(d->snaps[i].table);
	synack_sim_destroy(d->sim);
	free(d->rows);
	free(d->taps);
	free(d);
}

/* Did each side get exactly what the other sent? */
static void check_payloads(struct demo *d)
{
	if (d->p[SERVER].in_len != strlen(request) || memcmp(d->p[SERVER].in, request, strlen(request)))
		fail(d, "the server did not receive the request intact");
	else if (d->p[CLIENT].in_len != strlen(reply) || memcmp(d->p[CLIENT].in, reply, strlen(reply)))
		fail(d, "the client did not receive the reply intact");
}

int demo_main(int argc, char **argv)
{
	struct demo *d = calloc(1, sizeof(*d));
	int st, err;

	if (!d) {
		fprintf(stderr, "synack demo: out of memory\n");
		return 1;
	}
	if (argc > 1 && !strcmp(argv[1], "--scenario")) { /* tools/scenarios.c */
		free(d);
		return scenario_main(argc, argv);
	}
	if ((st = parse_args(argc, argv, &d->o)) >= 0) {
		free(d);
		return st;
	}
	if ((err = setup(d)) || (err = open_sockets(d))) {
		fprintf(stderr, "synack demo: setting up the simulation failed: %s\n", strerror(-err));
		demo_free(d);
		return 1;
	}
	int ok = run(d) == 0;
	if (ok)
		check_payloads(d);
	draw_diagram(d);
	draw_tables(d);
	draw_summary(d);
	if (d->failed || d->nomem) {
		fflush(stdout);
		fprintf(stderr, "\nsynack demo: %s\n", d->nomem ? "out of memory" : d->fail_msg);
		ok = 0;
	}
	demo_free(d);
	return ok ? 0 : 1;
}
