/*
 * TIME-WAIT with timestamps: RFC 6191 §2 (a SYN for a 4-tuple in TIME-WAIT
 * opens a new incarnation when its timestamp is newer than the entry's
 * TS.Recent; without timestamps on both incarnations, when its sequence
 * number lies beyond RCV.NXT; otherwise it is answered with an ACK as RFC
 * 9293 §3.10.7.4 says), the entry's re-ACKs carrying the connection's
 * timestamps and scaled window (RFC 7323 §2.3, §3.2), and Linux's
 * tcp_tw_reuse and tcp_tw_reuse_delay (connect() taking over a TIME-WAIT
 * 4-tuple whose connection used timestamps, counted in tw_recycled).
 */
#include "check.h"
#include "tcp_fixture.h"
#include "tcp/seq.h"

#define P 3000u   /* the peer's ISN */
#define T0 50000u /* the peer's first TSval */
#define MSL (30 * FX_SEC)

static struct synack_counters ctr(struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c;
}

static struct synack_config cfg_reuse(uint8_t reuse)
{
	struct synack_config c;
	synack_config_default(&c);
	c.msl_us = MSL;
	c.tcp_tw_reuse = reuse;
	return c;
}

/* Our active open from FX_PORT (SO_REUSEADDR), the peer's SYN,ACK with a
 * TSopt when ts, then our close to TIME-WAIT; the peer's TSvals are T0,
 * T0 + 1 (ACK of our FIN), T0 + 2 (its FIN). *snd_nxt: our FIN + 1. */
static int active_to_tw(struct fx *f, int ts, uint32_t *snd_nxt)
{
	struct sn_tcp_seg syn, o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};
	int s = synack_sock_open(f->st);

	if (s < 0 || synack_sock_setopt(f->st, s, SYNACK_SO_REUSEADDR, 1) ||
	    synack_sock_bind(f->st, s, &l) || synack_sock_connect(f->st, s, &r) != -EINPROGRESS ||
	    !fx_out(f, &syn))
		return -1;
	uint32_t i = syn.seq;
	f->our_iss = i;
	f->peer_iss = P;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = P, .ack = i + 1,
				  .wnd = 65535, .mss = 1460, .ts = (uint8_t)ts, .tsval = T0,
				  .tsecr = syn.opts.ts_val});
	if (!fx_out(f, &o) || o.flags != SN_TCP_ACK || synack_sock_close(f->st, s) ||
	    !fx_out(f, &o) || o.flags != (SN_TCP_FIN | SN_TCP_ACK))
		return -1;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = P + 1, .ack = i + 2, .wnd = 65535,
				  .ts = (uint8_t)ts, .tsval = T0 + 1, .tsecr = o.opts.ts_val});
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_FIN | SN_TCP_ACK, .seq = P + 1, .ack = i + 2,
				  .wnd = 65535, .ts = (uint8_t)ts, .tsval = T0 + 2,
				  .tsecr = o.opts.ts_val});
	if (!fx_out(f, &o) || o.ack != P + 2 || fx_conn_state(f) != SYNACK_TIME_WAIT)
		return -1;
	*snd_nxt = i + 2;
	fx_flush(f);
	return 0;
}

/* A passive open (the peer's SYN with a TSopt when ts), then our close to
 * TIME-WAIT: the peer's TSvals run T0 .. T0 + 3 (its FIN), so TS.Recent is
 * T0 + 3 and RCV.NXT is P + 2. The listener stays. */
static int passive_to_tw(struct fx *f, const struct synack_config *c, int ts)
{
	struct sn_tcp_seg sa, o;

	if (fx_init(f, c) || fx_listen(f) < 0)
		return -1;
	f->peer_iss = P;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = P, .wnd = 65535, .mss = 1460,
				  .ts = (uint8_t)ts, .tsval = T0});
	if (!fx_out(f, &sa))
		return -1;
	uint32_t i = sa.seq;
	f->our_iss = i;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = P + 1, .ack = i + 1, .wnd = 65535,
				  .ts = (uint8_t)ts, .tsval = T0 + 1, .tsecr = sa.opts.ts_val});
	int s = synack_sock_accept(f->st, f->lsock, NULL);
	if (s < 0 || synack_sock_close(f->st, s) || !fx_out(f, &o))
		return -1;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = P + 1, .ack = i + 2, .wnd = 65535,
				  .ts = (uint8_t)ts, .tsval = T0 + 2, .tsecr = o.opts.ts_val});
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_FIN | SN_TCP_ACK, .seq = P + 1, .ack = i + 2,
				  .wnd = 65535, .ts = (uint8_t)ts, .tsval = T0 + 3,
				  .tsecr = o.opts.ts_val});
	if (!fx_out(f, &o) || fx_conn_state(f) != SYNACK_TIME_WAIT)
		return -1;
	fx_flush(f);
	return 0;
}

/* The peer's SYN for the same 4-tuple. */
static void syn_in(struct fx *f, uint32_t seq, int ts, uint32_t tsval)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = seq, .wnd = 65535, .mss = 1460,
				  .ts = (uint8_t)ts, .tsval = tsval});
}

/* RFC 6191 §2 (SHLD-4: timestamps shorten TIME-WAIT): both incarnations use
 * timestamps and the SYN's TSval is newer than TS.Recent: a new connection, although its sequence number is
 * below the old RCV.NXT (which alone would have kept TIME-WAIT). Our ISN
 * still lies beyond the old connection's (MAY-2 condition 1). */
TEST(rfc6191_2_newer_timestamp_reopens_despite_lower_seq)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(passive_to_tw(&f, NULL, 1), 0);
	uint32_t i = f.our_iss;
	fx_wait(&f, FX_SEC);
	syn_in(&f, P - 5000, 1, T0 + 4);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK_EQ(o.ack, P - 5000 + 1);
	CHECK(seq_geq(o.seq, i + 2 + 65535 + 2));
	CHECK(o.opts.has_ts);
	CHECK_EQ(o.opts.ts_ecr, T0 + 4);
	CHECK_EQ(fx_conn_state(&f), SYNACK_SYN_RECEIVED);
	struct synack_counters c = ctr(&f);
	CHECK_EQ(c.tw_syn_accepted, 1);
	CHECK_EQ(c.transitions[SYNACK_TIME_WAIT][SYNACK_CLOSED], 1);
	CHECK_EQ(c.paws_rejected, 0);
	fx_free(&f);
}

/* RFC 6191 §2: a SYN whose TSval is older than TS.Recent is an old
 * duplicate even with a sequence number beyond RCV.NXT: TIME-WAIT stays and
 * the SYN is answered as RFC 9293 §3.10.7.4 says (an ACK, RFC 5961 §4), the
 * ACK carrying the connection's TSopt echoing TS.Recent. */
TEST(rfc6191_2_older_timestamp_answered_with_ack)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(passive_to_tw(&f, NULL, 1), 0);
	uint32_t i = f.our_iss;
	syn_in(&f, P + 100000, 1, T0 + 2);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(o.seq, i + 2);
	CHECK_EQ(o.ack, P + 2);
	CHECK(o.opts.has_ts);
	CHECK_EQ(o.opts.ts_ecr, T0 + 3);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	CHECK_EQ(ctr(&f).paws_rejected, 1);
	CHECK_EQ(ctr(&f).tw_syn_accepted, 0);
	fx_free(&f);
}

/* RFC 6191 §2: an equal timestamp falls back to the sequence number. */
TEST(rfc6191_2_equal_timestamp_needs_higher_seq)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(passive_to_tw(&f, NULL, 1), 0);
	syn_in(&f, P + 1, 1, T0 + 3); /* not beyond RCV.NXT = P + 2 */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	syn_in(&f, P + 3, 1, T0 + 3);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK_EQ(ctr(&f).paws_rejected, 0);
	fx_free(&f);
}

/* RFC 6191 §2: "If TCP Timestamps would not be enabled for the new
 * incarnation", the sequence number decides: a SYN without a TSopt, or
 * our tcp_timestamps turned off since. */
TEST(rfc6191_2_new_incarnation_without_timestamps_uses_seq)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(passive_to_tw(&f, NULL, 1), 0);
	syn_in(&f, P - 5000, 0, 0);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	syn_in(&f, P + 10, 0, 0);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK(!o.opts.has_ts);
	fx_free(&f);

	struct synack_config c = cfg_reuse(0);
	CHECK_EQ(passive_to_tw(&f, &c, 1), 0);
	c.tcp_timestamps = 0;
	c.addr = FX_US;
	CHECK_EQ(synack_stack_reconfigure(f.st, &c), 0);
	syn_in(&f, P - 5000, 1, T0 + 100); /* newer, but we would not use it */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_free(&f);
}

/* RFC 6191 §2 would honor any SYN with timestamps when the old connection
 * had none; like Linux we keep the sequence rule there (a segment without a
 * TSopt is accepted, so PAWS could not keep the old connection's duplicates
 * out of the new one). */
TEST(rfc6191_2_old_incarnation_without_timestamps_uses_seq)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(passive_to_tw(&f, NULL, 0), 0);
	syn_in(&f, P - 5000, 1, T0 + 100);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK(!o.opts.has_ts); /* the old connection had none */
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	syn_in(&f, P + 10, 1, T0 + 100);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK(o.opts.has_ts);
	fx_free(&f);
}

/* RFC 7323 §3.2 and §2.3 in TIME-WAIT (MUST-13's re-ACK of a retransmitted
 * FIN): the ACK carries the connection's TSopt (its clock, TSecr =
 * TS.Recent) and the window field as the connection scaled it. */
TEST(rfc7323_3_2_timewait_reack_carries_ts_and_scaled_window)
{
	struct fx f;
	struct sn_tcp_seg sa, o;
	struct synack_config c;

	synack_config_default(&c);
	c.rcvbuf = 262144; /* shift 3 */
	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK(fx_listen(&f) >= 0);
	f.peer_iss = P;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = P, .wnd = 65535, .mss = 1460,
				   .ws = 1, .wscale = 0, .ts = 1, .tsval = T0});
	CHECK(fx_out(&f, &sa));
	uint32_t i = sa.seq;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = P + 1, .ack = i + 1, .wnd = 65535,
				   .ts = 1, .tsval = T0 + 1, .tsecr = sa.opts.ts_val});
	int s = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	CHECK(fx_out(&f, &o));
	uint32_t fin_ts = o.opts.ts_val;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_FIN | SN_TCP_ACK, .seq = P + 1, .ack = i + 2,
				   .wnd = 65535, .ts = 1, .tsval = T0 + 2, .tsecr = fin_ts});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	uint16_t wnd = o.wnd;
	CHECK_EQ(wnd, 262144 >> 3);
	fx_wait(&f, 700 * FX_MS);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_FIN | SN_TCP_ACK, .seq = P + 1, .ack = i + 2,
				   .wnd = 65535, .ts = 1, .tsval = T0 + 3, .tsecr = fin_ts});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(o.ack, P + 2);
	CHECK_EQ(o.wnd, wnd);
	CHECK(o.opts.has_ts);
	CHECK_EQ(o.opts.ts_ecr, T0 + 2);
	CHECK_EQ(o.opts.ts_val - fin_ts, 700); /* the same clock, 700 ms on */
	CHECK_EQ(ctr(&f).tw_fin_reacked, 1);
	fx_free(&f);
}

/* tcp_tw_reuse = 0 (the default): connect() to a 4-tuple in TIME-WAIT
 * fails with -EADDRNOTAVAIL, timestamps or not. */
TEST(tcp_tw_reuse_0_connect_refused)
{
	struct fx f;
	uint32_t nxt;
	struct synack_config c;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	synack_config_default(&c);
	CHECK_EQ(c.tcp_tw_reuse, 0);
	CHECK_EQ(c.tw_reuse_delay_us, 1000000);
	c.msl_us = MSL;
	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK_EQ(active_to_tw(&f, 1, &nxt), 0);
	fx_wait(&f, 10 * FX_SEC);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EADDRNOTAVAIL);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	CHECK_EQ(ctr(&f).tw_recycled, 0);
	fx_free(&f);
}

/* tcp_tw_reuse = 1 (SHLD-4 on the active side): once tw_reuse_delay_us
 * (1 s) has passed since the
 * entry's last timestamp, connect() takes the 4-tuple over: the entry goes
 * (counted in tw_recycled), the SYN's ISN lies beyond the old SND.NXT plus
 * a window (Linux: + 65537) and its TSval beyond every TSval the old
 * connection sent. Before the delay, -EADDRNOTAVAIL. */
TEST(tcp_tw_reuse_1_takes_over_after_delay)
{
	struct fx f;
	struct sn_tcp_seg o;
	uint32_t nxt;
	struct synack_config c = cfg_reuse(1);
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	c.isn_tick_us = 100 * FX_SEC; /* an ISN clock that stands still: only the rule lifts it */
	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK_EQ(active_to_tw(&f, 1, &nxt), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	fx_wait(&f, 999 * FX_MS);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EADDRNOTAVAIL);
	fx_wait(&f, 1 * FX_MS);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN);
	CHECK_EQ(o.seq, nxt + 65535 + 2);
	CHECK(o.opts.has_ts);
	CHECK_EQ(fx_conn_state(&f), SYNACK_SYN_SENT);
	struct synack_counters k = ctr(&f);
	CHECK_EQ(k.tw_recycled, 1);
	CHECK_EQ(k.transitions[SYNACK_TIME_WAIT][SYNACK_CLOSED], 1);
	CHECK_EQ(k.in_state[SYNACK_TIME_WAIT], 0);
	/* the new incarnation completes */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = P + 70000,
				   .ack = o.seq + 1, .wnd = 65535, .mss = 1460, .ts = 1,
				   .tsval = T0 + 1000, .tsecr = o.opts.ts_val});
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_free(&f);
}

/* tcp_tw_reuse_delay: the wait is a knob (Linux 6.13's
 * net.ipv4.tcp_tw_reuse_delay, in ms there). */
TEST(tcp_tw_reuse_delay_knob)
{
	struct fx f;
	uint32_t nxt;
	struct synack_config c = cfg_reuse(1);
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	c.tw_reuse_delay_us = 5 * FX_SEC;
	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK_EQ(active_to_tw(&f, 1, &nxt), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	fx_wait(&f, 4 * FX_SEC);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EADDRNOTAVAIL);
	fx_wait(&f, 1 * FX_SEC);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	fx_free(&f);
}

/* tcp_tw_reuse needs timestamps on the old connection (Linux: a zero
 * tw_ts_recent_stamp refuses), and 2 means loopback only: never here. */
TEST(tcp_tw_reuse_needs_timestamps_and_value_1)
{
	struct fx f;
	uint32_t nxt;
	struct synack_config c = cfg_reuse(1);
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK_EQ(active_to_tw(&f, 0, &nxt), 0);
	fx_wait(&f, 10 * FX_SEC);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EADDRNOTAVAIL);
	fx_free(&f);

	c = cfg_reuse(2);
	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK_EQ(active_to_tw(&f, 1, &nxt), 0);
	fx_wait(&f, 10 * FX_SEC);
	s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EADDRNOTAVAIL);
	c.tcp_tw_reuse = 3;
	c.addr = FX_US;
	CHECK_EQ(synack_stack_reconfigure(f.st, &c), -EINVAL);
	fx_free(&f);
}

/* What makes tcp_tw_reuse safe (Linux's tcp_twsk_unique): the new
 * connection inherits the entry's TS.Recent, so a SYN from the old
 * incarnation (simultaneous open) with an older TSval is dropped by PAWS;
 * and a SYN,ACK whose TSecr echoes no TSval of the new SYN is reset. */
TEST(tcp_tw_reuse_paws_guards_the_new_incarnation)
{
	struct fx f;
	struct sn_tcp_seg syn, o;
	uint32_t nxt;
	struct synack_config c = cfg_reuse(1);
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK_EQ(active_to_tw(&f, 1, &nxt), 0);
	fx_wait(&f, 2 * FX_SEC);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &syn));
	/* an old SYN of the previous incarnation: TSval below T0 + 2 */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = P - 100, .wnd = 65535, .mss = 1460,
				   .ts = 1, .tsval = T0 + 1});
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(fx_state(&f, s), SYNACK_SYN_SENT);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_PAWS), 1);
	/* a SYN,ACK echoing a TSval from before this SYN */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = P + 70000,
				   .ack = syn.seq + 1, .wnd = 65535, .mss = 1460, .ts = 1,
				   .tsval = T0 + 900, .tsecr = syn.opts.ts_val - 1500});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_RST);
	CHECK_EQ(fx_state(&f, s), SYNACK_SYN_SENT);
	CHECK_EQ(ctr(&f).paws_rejected, 2);
	/* the real one */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = P + 70000,
				   .ack = syn.seq + 1, .wnd = 65535, .mss = 1460, .ts = 1,
				   .tsval = T0 + 900, .tsecr = syn.opts.ts_val});
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_free(&f);
}

/* RFC 7323 §4.3 / Linux tw_ts_recent_stamp: a bare ACK at RCV.NXT that
 * reaches the entry with a newer TSval refreshes TS.Recent and its age, so
 * tcp_tw_reuse's delay runs from the last timestamp heard, not from the
 * peer's FIN: 0.9 s after the FIN a fresh ACK arrives; 1.1 s after the FIN
 * (0.2 s after it) the 4-tuple is still not taken over, 1.9 s after is. */
TEST(tcp_tw_reuse_delay_runs_from_last_timestamp)
{
	struct fx f;
	uint32_t nxt;
	struct synack_config c = cfg_reuse(1);
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK_EQ(active_to_tw(&f, 1, &nxt), 0);
	fx_wait(&f, 900 * FX_MS);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = P + 2, .ack = nxt, .wnd = 65535,
				   .ts = 1, .tsval = T0 + 900});
	CHECK_EQ(fx_pending(&f), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	fx_wait(&f, 200 * FX_MS);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EADDRNOTAVAIL);
	fx_wait(&f, 799 * FX_MS);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EADDRNOTAVAIL);
	fx_wait(&f, 1 * FX_MS);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK_EQ(ctr(&f).tw_recycled, 1);
	fx_free(&f);
}
