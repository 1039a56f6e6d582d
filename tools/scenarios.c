/*
 * scenarios.c: why TIME-WAIT exists, played in the simulator (see
 * scenarios.h). Each scenario builds a client 10.0.0.1 and a server 10.0.0.2
 * joined by a 10 ms link, scripts the socket calls, and reads the outcome
 * from the public API: the stacks' traces (state changes and their causes),
 * the simulator's tap (every datagram, lost or not), counters and the
 * connection table. The same code runs under `synack demo --scenario` (with
 * a narration) and under tests/sim/test_timewait_scenarios.c (without).
 *
 * How TIME-WAIT is skipped in the "without" runs: the closing host's
 * tcp_max_tw_buckets (max_timewait) is 0, so the connection is destroyed the
 * moment it would enter TIME-WAIT, as Linux does past that cap. (SO_LINGER
 * 0 would skip it too, but with an RST instead of the FIN exchange these
 * stories need.)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "scenarios.h"
#include "synack/sim.h"
#include "synack/synack.h"

#define CLIENT_ADDR 0x0a000001u
#define SERVER_ADDR 0x0a000002u
#define MS 1000ull
#define SEC 1000000ull
#define LINK_DELAY_US 10000u

struct world {
	synack_sim *sim;
	synack_stack *c, *s;       /* client, server */
	FILE *out;                 /* narration, or NULL */
	int show_segments;         /* narrate every datagram */
	int drop_last_ack;         /* lose the client's ACKs while it is in FIN-WAIT-2 */
	int capture;               /* keep a copy of the next server datagram with data */
	uint8_t dup[1600];
	size_t duplen;
	char server_end[48];       /* cause of the server's LAST-ACK -> CLOSED */
};

/* ---------------------------------------------------------------- narration */

static void say(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct world *w, const char *fmt, ...)
{
	va_list ap;
	if (!w->out)
		return;
	va_start(ap, fmt);
	vfprintf(w->out, fmt, ap);
	va_end(ap);
}

/* "EADDRINUSE (Address already in use)" for the errors these stories meet. */
static const char *err_str(int err, char *buf, size_t len)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {{EADDRINUSE, "EADDRINUSE"}, {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
		     {EINPROGRESS, "EINPROGRESS"}, {ETIMEDOUT, "ETIMEDOUT"}};
	const char *n = "";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == -err)
			n = names[i].name;
	snprintf(buf, len, "%s (%s)", n, strerror(-err));
	return buf;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct pkt {
	uint32_t src, seq, ack;
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t len;
};

static int parse(const uint8_t *p, size_t len, struct pkt *k)
{
	if (len < 40)
		return -1;
	size_t ihl = (size_t)(p[0] & 15) * 4, total = (size_t)p[2] << 8 | p[3];
	if (ihl < 20 || total > len || total < ihl + 20)
		return -1;
	const uint8_t *t = p + ihl;
	size_t doff = (size_t)(t[12] >> 4) * 4;
	if (total < ihl + doff)
		return -1;
	*k = (struct pkt){be32(p + 12), be32(t + 4), be32(t + 8), (uint16_t)(t[0] << 8 | t[1]),
			  (uint16_t)(t[2] << 8 | t[3]), t[13], (uint32_t)(total - ihl - doff)};
	return 0;
}

static const char *flags_str(uint8_t f, char *b)
{
	size_t k = 0;
	if (f & 0x02)
		b[k++] = 'S';
	if (f & 0x01)
		b[k++] = 'F';
	if (f & 0x04)
		b[k++] = 'R';
	if (f & 0x08)
		b[k++] = 'P';
	if (f & 0x10)
		b[k++] = '.';
	b[k] = 0;
	return b;
}

static void tap(void *ctx, uint64_t now, enum synack_sim_fate fate, const uint8_t *p, size_t len)
{
	struct world *w = ctx;
	struct pkt k;
	char fl[8];

	if (fate == SYNACK_SIM_DELIVERED || parse(p, len, &k))
		return;
	if (fate == SYNACK_SIM_SENT && w->capture && k.src == SERVER_ADDR && k.len > 0 &&
	    len <= sizeof(w->dup)) {
		memcpy(w->dup, p, len);
		w->duplen = len;
		w->capture = 0;
	}
	if (!w->show_segments)
		return;
	if (fate == SYNACK_SIM_LOST) {
		say(w, "%10.3f ms            ... lost on the link\n", (double)now / MS);
		return;
	}
	say(w, "%10.3f ms  %s %-3s seq %u ack %u len %u\n", (double)now / MS,
	    k.src == CLIENT_ADDR ? "client >" : "server <", flags_str(k.flags, fl), k.seq, k.ack,
	    k.len);
}

static void set_client_loss(struct world *w, uint32_t ppm)
{
	struct synack_impair_params p = {.delay_us = LINK_DELAY_US, .loss_ppm = ppm};
	synack_sim_set_link(w->sim, CLIENT_ADDR, SERVER_ADDR, &p);
}

static void trace(struct world *w, const char *who, const struct synack_trace_event *ev)
{
	if (ev->kind != SYNACK_TRACE_STATE)
		return;
	if (who[0] == 'c' && w->drop_last_ack) {
		if (ev->new_state == SYNACK_FIN_WAIT_2)
			set_client_loss(w, 1000000);
		else if (ev->old_state == SYNACK_FIN_WAIT_2)
			set_client_loss(w, 0);
	}
	if (who[0] == 's' && ev->old_state == SYNACK_LAST_ACK && ev->new_state == SYNACK_CLOSED)
		snprintf(w->server_end, sizeof(w->server_end), "%s", ev->what);
	if (w->show_segments)
		say(w, "%10.3f ms  %s  %s -> %s (%s)\n", (double)ev->now / MS, who,
		    synack_state_name(ev->old_state), synack_state_name(ev->new_state), ev->what);
}

static void trace_c(void *ctx, const struct synack_trace_event *ev)
{
	trace(ctx, "client", ev);
}

static void trace_s(void *ctx, const struct synack_trace_event *ev)
{
	trace(ctx, "server", ev);
}

/* ---------------------------------------------------------------- the world */

static void base_cfg(struct synack_config *c, uint32_t addr)
{
	synack_config_default(c);
	c->addr = addr;
}

static int world_init(struct world *w, const struct synack_config *ccfg,
		      const struct synack_config *scfg, FILE *out)
{
	struct synack_impair_params link = {.delay_us = LINK_DELAY_US};

	memset(w, 0, sizeof(*w));
	w->out = out;
	int err = synack_sim_create(1, &w->sim);
	if (err)
		return err;
	synack_sim_set_default_link(w->sim, &link);
	if ((err = synack_sim_add_host(w->sim, ccfg, &w->c)) ||
	    (err = synack_sim_add_host(w->sim, scfg, &w->s)))
		return err;
	synack_sim_set_tap(w->sim, tap, w);
	synack_stack_set_trace(w->c, trace_c, w);
	synack_stack_set_trace(w->s, trace_s, w);
	return 0;
}

static void world_free(struct world *w)
{
	if (w->sim)
		synack_sim_destroy(w->sim);
	w->sim = NULL;
}

static void run_for(struct world *w, uint64_t us)
{
	synack_sim_run_until(w->sim, synack_sim_now(w->sim) + us);
}

static int listen_on(synack_stack *st, uint16_t port, int reuse)
{
	struct synack_endpoint ep = {0, port};
	int s = synack_sock_open(st);

	if (s < 0)
		return s;
	synack_sock_setopt(st, s, SYNACK_SO_REUSEADDR, reuse);
	int err = synack_sock_bind(st, s, &ep);
	if (!err)
		err = synack_sock_listen(st, s, 16);
	if (err) {
		synack_sock_close(st, s);
		return err;
	}
	return s;
}

struct est {
	struct world *w;
	int lis, ss;
};

static int est_done(void *ctx)
{
	struct est *e = ctx;
	if (e->ss < 0)
		e->ss = synack_sock_accept(e->w->s, e->lis, NULL);
	return e->ss >= 0;
}

/* Run until the server accepts a connection on lis: its socket, or
 * -ETIMEDOUT. */
static int wait_accept(struct world *w, int lis)
{
	struct est e = {w, lis, -1};

	if (!synack_sim_run(w->sim, est_done, &e, synack_sim_now(w->sim) + 10 * SEC))
		return -ETIMEDOUT;
	run_for(w, 1 * MS);
	return e.ss;
}

/* Connect client socket cs to the server's port 80 and accept it there.
 * Returns the server's socket or a negative errno (connect's error). */
static int establish(struct world *w, int lis, int cs)
{
	struct synack_endpoint srv = {SERVER_ADDR, 80};
	int err = synack_sock_connect(w->c, cs, &srv);

	return err == -EINPROGRESS ? wait_accept(w, lis) : err;
}

static int recv_str(synack_stack *st, int s, char *buf, size_t len)
{
	ssize_t n = synack_sock_recv(st, s, buf, len - 1);
	buf[n > 0 ? n : 0] = 0;
	return (int)n;
}

/* A request and its reply. */
static int exchange(struct world *w, int cs, int ss, const char *req, const char *rep)
{
	char buf[64];

	synack_sock_send(w->c, cs, req, strlen(req));
	run_for(w, 30 * MS);
	if (recv_str(w->s, ss, buf, sizeof(buf)) <= 0)
		return -EIO;
	synack_sock_send(w->s, ss, rep, strlen(rep));
	run_for(w, 30 * MS);
	return recv_str(w->c, cs, buf, sizeof(buf)) > 0 ? 0 : -EIO;
}

/* One side closes, the other closes when it reads the end of the stream. */
static void close_first(struct world *w, synack_stack *a, int as, synack_stack *b, int bs)
{
	char buf[16];

	synack_sock_close(a, as);
	run_for(w, 30 * MS);
	recv_str(b, bs, buf, sizeof(buf));
	synack_sock_close(b, bs);
	run_for(w, 100 * MS);
}

/* ---------------------------------------------------------------- lost-last-ack */

/* RFC 9293 §3.6 / Stevens §18.6, reason 1: the side that closes first must
 * be able to ACK the other side's FIN again if its last ACK is lost. */
static int lost_last_ack(struct world *w, int variant, struct scenario_result *r)
{
	int lis = listen_on(w->s, 80, 0), cs = synack_sock_open(w->c);
	int ss = establish(w, lis, cs);
	if (ss < 0)
		return ss;
	say(w, "The client closes first; its last ACK (of the server's FIN) is lost.\n");
	w->show_segments = w->out != NULL;
	w->drop_last_ack = 1;
	close_first(w, w->c, cs, w->s, ss);
	run_for(w, 5 * SEC); /* the server's FIN is retransmitted after its RTO */
	w->show_segments = 0;

	struct synack_counters cc;
	synack_stack_counters(w->c, &cc);
	snprintf(r->server_end, sizeof(r->server_end), "%s", w->server_end);
	r->fin_reacked = cc.tw_fin_reacked;
	r->client_rsts = cc.rst_out;
	r->ok = w->server_end[0] != 0;
	say(w, "outcome: the server's LAST-ACK ended by \"%s\";\n"
	       "         FINs the client re-ACKed from TIME-WAIT: %llu, RSTs it sent: %llu\n",
	    r->server_end, (unsigned long long)r->fin_reacked, (unsigned long long)r->client_rsts);
	say(w, "%s\n", variant ? "The retransmitted FIN found the TIME-WAIT entry, which ACKed it "
				 "again:\nboth ends closed cleanly."
			       : "Without TIME-WAIT the client had forgotten the connection: it "
				 "answered the\nretransmitted FIN with an RST, and the server saw "
				 "an error instead of an orderly close.");
	return 0;
}

/* ---------------------------------------------------------------- old-duplicate */

static const char reply1[] = "reply to request 1";
static const char reply2[] = "REPLY TO REQUEST 2";

/* The new incarnation (variant 0): it sends request 2, and the network
 * delivers the held-back copy of reply 1 before the real reply 2. */
static int new_incarnation(struct world *w, int lis, int cs2, struct scenario_result *r)
{
	char buf[64];
	int ss2 = wait_accept(w, lis);

	if (ss2 < 0)
		return ss2;
	synack_sock_send(w->c, cs2, "GET /2", 6);
	say(w, "The new incarnation is open and sends request 2; now the old copy of reply 1 "
	       "arrives.\n");
	synack_stack_input(w->c, synack_sim_now(w->sim), w->dup, w->duplen);
	run_for(w, 30 * MS);
	recv_str(w->s, ss2, buf, sizeof(buf));
	synack_sock_send(w->s, ss2, reply2, sizeof(reply2) - 1);
	run_for(w, 30 * MS);
	recv_str(w->c, cs2, r->read, sizeof(r->read));
	r->dup_accepted = strcmp(r->read, reply1) == 0;
	say(w, "outcome: the client asked for request 2 and read \"%s\"%s\n", r->read,
	    r->dup_accepted ? ":\n         the old duplicate, taken as new data" : "");
	return 0;
}

/* Stevens §18.6 reason 2, RFC 9293 §3.4.1: TIME-WAIT keeps the 4-tuple out
 * of use until old duplicates have died out (2*MSL). */
static int old_duplicate(struct world *w, int variant, struct scenario_result *r)
{
	struct synack_endpoint p5000 = {0, 5000};
	int lis = listen_on(w->s, 80, 0), cs = synack_sock_open(w->c);

	synack_sock_setopt(w->c, cs, SYNACK_SO_REUSEADDR, 1);
	synack_sock_bind(w->c, cs, &p5000);
	int ss = establish(w, lis, cs);
	if (ss < 0)
		return ss;
	w->capture = 1;
	if (exchange(w, cs, ss, "GET /1", reply1) || !w->duplen)
		return -EIO;
	say(w, "Incarnation 1 (client port 5000): the reply \"%s\" was duplicated in\n"
	       "the network and one copy is held back. The client closes first.\n", reply1);
	close_first(w, w->c, cs, w->s, ss);

	int cs2 = synack_sock_open(w->c);
	synack_sock_setopt(w->c, cs2, SYNACK_SO_REUSEADDR, 1);
	synack_sock_bind(w->c, cs2, &p5000);
	r->reconnect_err = synack_sock_connect(w->c, cs2, &(struct synack_endpoint){SERVER_ADDR, 80});
	char eb[80];
	say(w, "At %.0f ms the client connects from port 5000 again: %s\n",
	    (double)synack_sim_now(w->sim) / MS, err_str(r->reconnect_err, eb, sizeof(eb)));
	if (r->reconnect_err == -EINPROGRESS) {
		int err = new_incarnation(w, lis, cs2, r);
		r->ok = err == 0;
		return err;
	}
	struct synack_counters c0, c1;
	synack_stack_counters(w->c, &c0);
	say(w, "The old copy of reply 1 arrives now (well within one MSL).\n");
	synack_stack_input(w->c, synack_sim_now(w->sim), w->dup, w->duplen);
	synack_stack_counters(w->c, &c1);
	r->dup_dropped = c1.drops[SYNACK_DROP_TIMEWAIT] - c0.drops[SYNACK_DROP_TIMEWAIT];
	r->ok = 1;
	say(w, "outcome: the 4-tuple is still in TIME-WAIT, so no new incarnation exists;\n"
	       "         the old segment reached the TIME-WAIT entry and was dropped (%llu)\n",
	    (unsigned long long)r->dup_dropped);
	(void)variant;
	return 0;
}

/* ---------------------------------------------------------------- server-restart */

/* The classic restart: the server closed its connections first, so their
 * TIME-WAIT entries hold port 80 when it comes back (Stevens §18.6). */
static int server_restart(struct world *w, int variant, struct scenario_result *r)
{
	int lis = listen_on(w->s, 80, variant), cs = synack_sock_open(w->c);
	int ss = establish(w, lis, cs);
	if (ss < 0 || exchange(w, cs, ss, "GET /", "bye"))
		return ss < 0 ? ss : -EIO;
	say(w, "The server (SO_REUSEADDR %s) answers a client and closes first: its end of\n"
	       "the connection is in TIME-WAIT on port 80. The server restarts.\n",
	    variant ? "on" : "off");
	close_first(w, w->s, ss, w->c, cs);
	synack_sock_close(w->s, lis);

	uint64_t t0 = synack_sim_now(w->sim);
	int lis2 = listen_on(w->s, 80, variant);
	r->bind_err = lis2 < 0 ? lis2 : 0;
	char eb[80];
	say(w, "bind(port 80): %s\n", lis2 < 0 ? err_str(lis2, eb, sizeof(eb)) : "ok");
	while (lis2 < 0 && synack_sim_now(w->sim) - t0 < 10 * 60 * SEC) {
		run_for(w, 1 * SEC);
		lis2 = listen_on(w->s, 80, variant);
	}
	if (lis2 < 0)
		return lis2;
	r->bind_ok_after_us = synack_sim_now(w->sim) - t0;
	int cs2 = synack_sock_open(w->c), ss2 = establish(w, lis2, cs2);
	r->served = ss2 >= 0 && exchange(w, cs2, ss2, "GET /", "welcome back") == 0;
	r->ok = 1;
	say(w, "outcome: bind succeeded %.1f s after the restart; a new client was %sserved\n",
	    (double)r->bind_ok_after_us / SEC, r->served ? "" : "NOT ");
	return 0;
}

/* ---------------------------------------------------------------- ephemeral-ports */

/* Out of ports towards 10.0.0.2:80, the client connects to 10.0.0.2:8080:
 * connect() shares a port across destinations, as Linux does. */
static void other_server(struct world *w, struct scenario_result *r)
{
	struct synack_endpoint srv = {SERVER_ADDR, 8080}, l = {0, 0};
	int lis = listen_on(w->s, 8080, 0), cs = synack_sock_open(w->c);

	r->other_dst_err = synack_sock_connect(w->c, cs, &srv);
	if (r->other_dst_err == -EINPROGRESS) {
		r->other_dst_err = wait_accept(w, lis) >= 0 ? 0 : -ETIMEDOUT;
		synack_sock_local(w->c, cs, &l);
	}
	char eb[80];
	if (r->other_dst_err)
		say(w, "connect() to 10.0.0.2:8080 instead: %s\n",
		    err_str(r->other_dst_err, eb, sizeof(eb)));
	else
		say(w, "connect() to 10.0.0.2:8080 instead: port %u (shared: another 4-tuple)\n",
		    l.port);
	synack_sock_abort(w->c, cs);
	synack_sock_close(w->s, lis);
	run_for(w, 100 * MS);
}

/* A client that closes first keeps each port in TIME-WAIT for 2*MSL: a busy
 * client runs out of ephemeral ports towards one server (ip_local_port_range),
 * unless tcp_tw_reuse lets connect() take over a TIME-WAIT port (variant 2). */
static int ephemeral_ports(struct world *w, int variant, struct scenario_result *r)
{
	int lis = listen_on(w->s, 80, 0);
	char eb[80];

	say(w, "The client's ip_local_port_range is 40000-40009; it opens a connection to "
	       "10.0.0.2:80,\nmakes a request and closes first, over and over (TIME-WAIT %s).\n",
	    variant == 2 ? "kept, tcp_tw_reuse = 1"
	    : variant    ? "kept, tcp_tw_reuse = 0"
			 : "skipped: tcp_max_tw_buckets = 0");
	for (int i = 0; i < 20; i++) {
		struct synack_counters k0, k1;
		struct synack_endpoint l = {0, 0};
		synack_stack_counters(w->c, &k0);
		uint64_t t = synack_sim_now(w->sim);
		int cs = synack_sock_open(w->c), ss = establish(w, lis, cs);
		synack_sock_local(w->c, cs, &l);
		synack_stack_counters(w->c, &k1);
		if (ss < 0) {
			say(w, "%8.3f s  connect(): %s\n", (double)t / SEC,
			    err_str(ss, eb, sizeof(eb)));
			r->connect_err = ss;
			synack_sock_close(w->c, cs);
			break;
		}
		say(w, "%8.3f s  connect(): port %u%s\n", (double)t / SEC, l.port,
		    k1.tw_recycled > k0.tw_recycled ? ", taken over from TIME-WAIT (tw_recycled)" : "");
		if (exchange(w, cs, ss, "GET /", "ok"))
			return -EIO;
		close_first(w, w->c, cs, w->s, ss);
		r->connects_ok++;
	}
	struct synack_counters cc;
	synack_stack_counters(w->c, &cc);
	r->recycled = cc.tw_recycled;
	say(w, "connections: %d, then connect(): %s; tw_recycled %llu\n", r->connects_ok,
	    r->connect_err ? err_str(r->connect_err, eb, sizeof(eb)) : "no failure",
	    (unsigned long long)r->recycled);
	if (r->connect_err)
		other_server(w, r);
	uint64_t t0 = synack_sim_now(w->sim);
	while (r->connect_err && synack_sim_now(w->sim) - t0 < 10 * 60 * SEC) {
		int cs = synack_sock_open(w->c), ss = establish(w, lis, cs);
		if (ss >= 0) {
			r->ports_back_after_us = synack_sim_now(w->sim) - t0;
			break;
		}
		synack_sock_close(w->c, cs);
		run_for(w, 1 * SEC);
	}
	if (r->connect_err)
		say(w, "outcome: connect() worked again %.1f s later, when the first TIME-WAIT "
		       "entries\n         expired (2*MSL = %.0f s).\n",
		    (double)r->ports_back_after_us / SEC,
		    2.0 * synack_stack_config(w->c)->msl_us / SEC);
	else if (variant == 2)
		say(w, "outcome: connect() never failed: once every port was in TIME-WAIT, each new\n"
		       "         connection took over the 4-tuple of an entry whose last timestamp\n"
		       "         was at least tw_reuse_delay (%.0f s) old; its SYN's timestamp and ISN\n"
		       "         lie beyond the old connection's, so PAWS and the sequence space keep\n"
		       "         old duplicates out (RFC 7323 §5, RFC 6191).\n",
		    (double)synack_stack_config(w->c)->tw_reuse_delay_us / SEC);
	else
		say(w, "outcome: connect() never failed, and nothing guards the next incarnation\n"
		       "         of a 4-tuple against the old one's segments.\n");
	r->ok = 1;
	return 0;
}

/* ---------------------------------------------------------------- dispatch */

struct scenario {
	const char *name;
	const char *what;
	const char *with, *without;
	int (*run)(struct world *w, int variant, struct scenario_result *r);
	const char *knob;  /* variant 2, played between the two, or NULL */
};

static const struct scenario scenarios[] = {
	{"lost-last-ack",
	 "The side that closes first sends the last ACK. If it is lost, the other side\n"
	 "retransmits its FIN, and something must be there to ACK it again (RFC 9293 §3.6,\n"
	 "MUST-13; Stevens, TCP/IP Illustrated vol. 1, §18.6).",
	 "with TIME-WAIT", "without TIME-WAIT (client tcp_max_tw_buckets = 0)", lost_last_ack, NULL},
	{"old-duplicate",
	 "A segment of an old connection, delayed in the network, must not be taken for data\n"
	 "of a new incarnation of the same 4-tuple: TIME-WAIT keeps the 4-tuple out of use\n"
	 "for 2*MSL, by when such segments are gone (RFC 9293 §3.4.1, §3.6). Both hosts use\n"
	 "a slow ISN clock (isn_tick_us = 1000 s) so that the new incarnation starts with\n"
	 "the old one's sequence numbers, as the classic example assumes (the 4 us clock of\n"
	 "RFC 9293 §3.4.1 makes it unlikely, not impossible: it wraps every 4.8 hours), and\n"
	 "no timestamps (tcp_timestamps = 0): with them, PAWS in the new incarnation would\n"
	 "reject the old copy as well (RFC 7323 §5.8).",
	 "with TIME-WAIT", "without TIME-WAIT (client tcp_max_tw_buckets = 0)", old_duplicate, NULL},
	{"server-restart",
	 "A server that closes its connections first leaves TIME-WAIT entries on its\n"
	 "well-known port; restarted, it cannot bind the port without SO_REUSEADDR\n"
	 "(on Linux, set on the old and the new socket) until they expire.",
	 "with SO_REUSEADDR", "without SO_REUSEADDR", server_restart, NULL},
	{"ephemeral-ports",
	 "Every connection a client closes first holds its local port in TIME-WAIT for 2*MSL,\n"
	 "so a client that opens connections to one server faster than 28232 ports / 60 s\n"
	 "runs out (EADDRNOTAVAIL; other servers can still be reached from the same ports).\n"
	 "tcp_tw_reuse = 1 lets connect() take over a TIME-WAIT 4-tuple whose connection used\n"
	 "timestamps, tw_reuse_delay (1 s) after its last one. Here with a 10-port range.",
	 "with TIME-WAIT, tcp_tw_reuse = 0", "without TIME-WAIT (client tcp_max_tw_buckets = 0)",
	 ephemeral_ports, "with TIME-WAIT, tcp_tw_reuse = 1"},
};

#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

const char *const *scenario_names(void)
{
	static const char *names[NSCEN + 1];
	for (size_t i = 0; i < NSCEN; i++)
		names[i] = scenarios[i].name;
	return names;
}

int scenario_run(const char *name, int variant, FILE *narrate, struct scenario_result *r)
{
	const struct scenario *sc = NULL;
	struct synack_config ccfg, scfg;
	struct world w;

	for (size_t i = 0; i < NSCEN; i++)
		if (!strcmp(scenarios[i].name, name))
			sc = &scenarios[i];
	if (!sc || (variant == 2 && !sc->knob) || variant < 0 || variant > 2)
		return -ENOENT;
	memset(r, 0, sizeof(*r));
	base_cfg(&ccfg, CLIENT_ADDR);
	base_cfg(&scfg, SERVER_ADDR);
	if (!variant && sc->run != server_restart)
		ccfg.max_timewait = 0;
	if (sc->run == old_duplicate) {
		ccfg.isn_tick_us = scfg.isn_tick_us = 1000000000u;
		/* the classic story predates RFC 7323: with timestamps the new
		 * incarnation's PAWS would reject the old copy (§5.8) */
		ccfg.tcp_timestamps = scfg.tcp_timestamps = 0;
	}
	if (sc->run == ephemeral_ports) {
		ccfg.port_lo = 40000, ccfg.port_hi = 40009;
		ccfg.tcp_tw_reuse = variant == 2;
	}
	int err = world_init(&w, &ccfg, &scfg, narrate);
	if (!err) {
		say(&w, "-- %s: %s\n", sc->name,
		    variant == 2 ? sc->knob : variant ? sc->with : sc->without);
		err = sc->run(&w, variant, r);
	}
	world_free(&w);
	return err;
}

void scenario_help(FILE *out)
{
	fprintf(out, "usage: synack demo --scenario NAME|all [--no-color]\n\n"
		     "Plays a scenario that shows why TIME-WAIT exists: with TIME-WAIT (or the knob),\n"
		     "with a knob that changes it where the scenario has one, and without, in the\n"
		     "simulator (client 10.0.0.1, server 10.0.0.2, 10 ms link). TIME-WAIT is skipped\n"
		     "by setting the closing host's tcp_max_tw_buckets to 0. Scenarios:\n\n");
	for (size_t i = 0; i < NSCEN; i++) {
		fprintf(out, "%s\n  %s / ", scenarios[i].name, scenarios[i].with);
		if (scenarios[i].knob)
			fprintf(out, "%s / ", scenarios[i].knob);
		fprintf(out, "%s\n", scenarios[i].without);
	}
}

static int play(const struct scenario *sc)
{
	struct scenario_result r;

	static const int order[] = {1, 2, 0}; /* with, with the knob, without */

	printf("== %s\n%s\n\n", sc->name, sc->what);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int variant = order[i];
		if (variant == 2 && !sc->knob)
			continue;
		int err = scenario_run(sc->name, variant, stdout, &r);
		if (err || !r.ok) {
			fprintf(stderr, "synack demo: scenario %s did not run: %s\n", sc->name,
				strerror(err ? -err : EIO));
			return 1;
		}
		printf("\n");
	}
	return 0;
}

int scenario_main(int argc, char **argv)
{
	/* --no-color is accepted as `synack demo` takes it: scenarios print no colors */
	if (argc == 4 && !strcmp(argv[3], "--no-color"))
		argc = 3;
	if (argc != 3 || strcmp(argv[1], "--scenario")) {
		scenario_help(stderr);
		return 2;
	}
	int all = !strcmp(argv[2], "all"), found = 0, rc = 0;
	for (size_t i = 0; i < NSCEN; i++) {
		if (all || !strcmp(scenarios[i].name, argv[2])) {
			found = 1;
			rc |= play(&scenarios[i]);
		}
	}
	if (!found) {
		fprintf(stderr, "synack demo: no scenario '%s'\n\n", argv[2]);
		scenario_help(stderr);
		return 2;
	}
	return rc;
}
