/*
 * SYN queue bounds, SYN cookies (RFC 4987 §3.6; tcp_syncookies,
 * tcp_max_syn_backlog) and accept queue overflow (tcp_abort_on_overflow).
 */
#include "check.h"
#include "tcp_fixture.h"

static struct synack_counters ctr(struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c;
}

static int cookie_fixture(struct fx *f, uint8_t mode, uint32_t max_syn_backlog)
{
	struct synack_config c;
	synack_config_default(&c);
	c.syncookies = mode;
	c.max_syn_backlog = max_syn_backlog;
	if (fx_init(f, &c))
		return -1;
	return fx_listen(f);
}

static void syn_from(struct fx *f, uint16_t port, uint32_t seq, uint16_t mss)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = seq, .wnd = 65535, .mss = mss,
				  .sport = port});
}

/* tcp_syncookies = 2: every SYN gets a stateless SYN,ACK (with our MSS);
 * the ACK rebuilds the connection, data on it included. */
TEST(rfc4987_syncookie_always_stateless_then_established)
{
	struct fx f;
	struct sn_tcp_seg o;
	char buf[8];

	CHECK(cookie_fixture(&f, 2, 1024) >= 0);
	syn_from(&f, 5000, 1000, 1460);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK_EQ(o.ack, 1001);
	CHECK(o.opts.has_mss);
	CHECK_EQ(o.opts.mss, 1460);
	CHECK_EQ(ctr(&f).in_state[SYNACK_SYN_RECEIVED], 0); /* nothing kept */
	CHECK_EQ(ctr(&f).syncookies_sent, 1);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_PSH, .seq = 1001, .ack = o.seq + 1,
				   .wnd = 65535, .sport = 5000, .data = "hello", .len = 5});
	CHECK_EQ(ctr(&f).syncookies_recv, 1);
	struct synack_endpoint peer;
	int s = synack_sock_accept(f.st, f.lsock, &peer);
	CHECK(s >= 0);
	CHECK_EQ(peer.port, 5000);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof buf), 5);
	int mss = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_TCP_MAXSEG, &mss), 0);
	CHECK_EQ(mss, 1460);
	struct synack_counters k = ctr(&f);
	CHECK_EQ(k.transitions[SYNACK_LISTEN][SYNACK_SYN_RECEIVED], 1);
	CHECK_EQ(k.transitions[SYNACK_SYN_RECEIVED][SYNACK_ESTABLISHED], 1);
	CHECK_EQ(k.illegal_transitions, 0);
	fx_free(&f);
}

/* The cookie carries the peer's MSS rounded down to its table (1400 ->
 * 1360), or 536 when the SYN had no MSS option (MUST-15). */
TEST(syncookie_encodes_mss_rounded_down)
{
	struct fx f;
	struct sn_tcp_seg o;
	uint16_t want[2] = {1360, 536}, offer[2] = {1400, 0};

	for (int i = 0; i < 2; i++) {
		CHECK(cookie_fixture(&f, 2, 1024) >= 0);
		syn_from(&f, 5000, 1000, offer[i]);
		CHECK(fx_out(&f, &o));
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1,
					   .wnd = 65535, .sport = 5000});
		int s = synack_sock_accept(f.st, f.lsock, NULL);
		CHECK(s >= 0);
		int mss = 0;
		synack_sock_getopt(f.st, s, SYNACK_TCP_MAXSEG, &mss);
		CHECK_EQ(mss, want[i]);
		fx_free(&f);
	}
}

/* A wrong cookie (or the right one for another ISN) is an ACK to a
 * listener: RST, counted, no connection. */
TEST(syncookie_forged_ack_rejected_with_rst)
{
	struct fx f;
	struct sn_tcp_seg o, r;

	CHECK(cookie_fixture(&f, 2, 1024) >= 0);
	syn_from(&f, 5000, 1000, 1460);
	CHECK(fx_out(&f, &o));
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 2,
				   .wnd = 65535, .sport = 5000});
	CHECK(fx_out(&f, &r));
	CHECK_EQ(r.flags, SN_TCP_RST);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 2001, .ack = o.seq + 1,
				   .wnd = 65535, .sport = 5000});
	CHECK(fx_out(&f, &r));
	CHECK_EQ(r.flags, SN_TCP_RST);
	CHECK_EQ(ctr(&f).syncookies_failed, 2);
	CHECK_EQ(synack_sock_accept(f.st, f.lsock, NULL), -EAGAIN);
	fx_free(&f);
}

/* A cookie is good for its 64 s period and the next one, no longer. */
TEST(syncookie_expires_after_two_periods)
{
	struct fx f;
	struct sn_tcp_seg o, r;

	CHECK(cookie_fixture(&f, 2, 1024) >= 0);
	syn_from(&f, 5000, 1000, 1460);
	CHECK(fx_out(&f, &o));
	fx_wait(&f, 130 * FX_SEC);
	syn_from(&f, 5001, 7000, 1460); /* cookies are still being sent */
	fx_flush(&f);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1,
				   .wnd = 65535, .sport = 5000});
	CHECK(fx_out(&f, &r));
	CHECK_EQ(r.flags, SN_TCP_RST);
	CHECK_EQ(synack_sock_accept(f.st, f.lsock, NULL), -EAGAIN);
	fx_free(&f);
}

/* tcp_syncookies = 1: state while the SYN queue has room, cookies past
 * tcp_max_syn_backlog; an ACK is checked for a cookie only while cookies
 * are being sent. */
TEST(syncookies_when_syn_queue_overflows)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK(cookie_fixture(&f, 1, 2) >= 0);
	/* no overflow yet: an ACK to the listener is not even checked */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1, .ack = 1, .wnd = 65535, .sport = 4000});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_RST);
	CHECK_EQ(ctr(&f).syncookies_failed, 0);
	for (uint16_t p = 5000; p < 5003; p++) {
		syn_from(&f, p, 1000, 1460);
		CHECK(fx_out(&f, &o));
		CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	}
	struct synack_counters k = ctr(&f);
	CHECK_EQ(k.in_state[SYNACK_SYN_RECEIVED], 2);
	CHECK_EQ(k.syncookies_sent, 1);
	/* the cookie connection completes too */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1,
				   .wnd = 65535, .sport = 5002});
	CHECK_EQ(ctr(&f).syncookies_recv, 1);
	CHECK(synack_sock_accept(f.st, f.lsock, NULL) >= 0);
	fx_free(&f);
}

/* tcp_syncookies = 0: past tcp_max_syn_backlog, SYNs are dropped. */
TEST(syn_queue_full_without_cookies_drops)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK(cookie_fixture(&f, 0, 2) >= 0);
	syn_from(&f, 5000, 1000, 1460);
	syn_from(&f, 5001, 1000, 1460);
	fx_flush(&f);
	syn_from(&f, 5002, 1000, 1460);
	CHECK(!fx_out(&f, &o));
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_SYN_QUEUE), 1);
	CHECK_EQ(ctr(&f).syncookies_sent, 0);
	fx_free(&f);
}

/* The accept queue full: the completing ACK is dropped and the half-open
 * connection waits (tcp_abort_on_overflow = 0), or it is reset (= 1). */
TEST(accept_queue_overflow_drops_ack_or_resets)
{
	for (int abort_mode = 0; abort_mode < 2; abort_mode++) {
		struct fx f;
		struct sn_tcp_seg o;
		struct synack_config c;
		struct synack_endpoint ep = {0, FX_PORT};

		synack_config_default(&c);
		c.abort_on_overflow = (uint8_t)abort_mode;
		CHECK_EQ(fx_init(&f, &c), 0);
		int l = synack_sock_open(f.st);
		f.lsock = l;
		CHECK_EQ(synack_sock_bind(f.st, l, &ep), 0);
		CHECK_EQ(synack_sock_listen(f.st, l, 1), 0);
		uint32_t iss[2];
		for (int i = 0; i < 2; i++) {
			syn_from(&f, (uint16_t)(5000 + i), 1000, 1460);
			CHECK(fx_out(&f, &o));
			iss[i] = o.seq;
		}
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = iss[0] + 1,
					   .wnd = 65535, .sport = 5000});
		fx_flush(&f);
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = iss[1] + 1,
					   .wnd = 65535, .sport = 5001});
		CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_ACCEPT_QUEUE), 1);
		struct synack_counters k = ctr(&f);
		CHECK_EQ(k.listen_overflows, 1);
		if (abort_mode) {
			CHECK(fx_out(&f, &o));
			CHECK(o.flags & SN_TCP_RST);
			CHECK_EQ(k.in_state[SYNACK_SYN_RECEIVED], 0);
		} else {
			CHECK(!fx_out(&f, &o));
			CHECK_EQ(k.in_state[SYNACK_SYN_RECEIVED], 1);
			/* once there is room, the peer's next ACK completes it */
			CHECK(synack_sock_accept(f.st, l, NULL) >= 0);
			fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001,
						   .ack = iss[1] + 1, .wnd = 65535, .sport = 5001});
			CHECK(synack_sock_accept(f.st, l, NULL) >= 0);
		}
		fx_free(&f);
	}
}

/* ------------------------------------------------ cookies with timestamps */

static int cookie_ts_fixture(struct fx *f)
{
	struct synack_config c;
	synack_config_default(&c);
	c.syncookies = 2;
	c.tcp_sack = 1;
	if (fx_init(f, &c))
		return -1;
	return fx_listen(f);
}

/* RFC 4987 §3.6 with RFC 7323: when the SYN has timestamps, the cookie
 * SYN,ACK answers its window scale and SACK-permitted options and carries
 * them in the low 6 bits of TSval; the echoed TSecr rebuilds them, so the
 * connection scales windows and keeps TS.Recent as if it had been kept. */
TEST(rfc7323_syncookie_carries_wscale_sack_in_tsval)
{
	struct fx f;
	struct sn_tcp_seg o, d;

	CHECK(cookie_ts_fixture(&f) >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535, .mss = 1460,
				   .ws = 1, .wscale = 7, .ts = 1, .tsval = 5000, .sack_ok = 1});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK(o.opts.has_ts);
	CHECK_EQ(o.opts.ts_ecr, 5000);
	CHECK_EQ(o.opts.ts_val & 0x3f, 7u | 0x10u); /* shift 7, SACK-permitted */
	CHECK(o.opts.has_wscale);
	CHECK(o.opts.sack_ok);
	CHECK_EQ(ctr(&f).in_state[SYNACK_SYN_RECEIVED], 0);
	fx_wait(&f, 10 * FX_MS);
	/* window 100 << 7 = 12800 */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1, .wnd = 100,
				   .ts = 1, .tsval = 5010, .tsecr = o.opts.ts_val});
	int s = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK(s >= 0);
	struct synack_tcp_info ti;
	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	CHECK_EQ(ti.state, SYNACK_ESTABLISHED);
	CHECK_EQ(ti.options, SYNACK_TCPI_OPT_TIMESTAMPS | SYNACK_TCPI_OPT_SACK |
				     SYNACK_TCPI_OPT_WSCALE);
	CHECK_EQ(ti.snd_wscale, 7);
	CHECK_EQ(ti.rcv_wscale, o.opts.wscale);
	CHECK_EQ(ti.snd_wnd, 12800);
	CHECK_EQ(ti.snd_mss, 1448); /* 1460 less the timestamps every segment carries (§3.7.1) */
	/* our data echoes the ACK's TSval (TS.Recent) and our clock moved on */
	CHECK_EQ(synack_sock_send(f.st, s, "hi", 2), 2);
	CHECK(fx_out(&f, &d));
	CHECK_EQ(d.len, 2);
	CHECK(d.opts.has_ts);
	CHECK_EQ(d.opts.ts_ecr, 5010);
	CHECK((int32_t)(d.opts.ts_val - o.opts.ts_val) >= 10);
	fx_free(&f);
}

/* A cookie without timestamps has nowhere to keep window scaling or SACK:
 * the SYN,ACK must not offer them (RFC 7323 §1.3: an option answered is an
 * option in force). */
TEST(syncookie_without_timestamps_offers_mss_only)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK(cookie_ts_fixture(&f) >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535, .mss = 1460,
				   .ws = 1, .wscale = 7, .sack_ok = 1});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK(o.opts.has_mss);
	CHECK(!o.opts.has_wscale);
	CHECK(!o.opts.sack_ok);
	CHECK(!o.opts.has_ts);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1,
				   .wnd = 100, .sport = 0});
	int s = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK(s >= 0);
	struct synack_tcp_info ti;
	CHECK_EQ(synack_sock_info(f.st, s, &ti), 0);
	CHECK_EQ(ti.options, 0);
	CHECK_EQ(ti.snd_wnd, 100); /* not scaled */
	fx_free(&f);
}

/* The echoed option bits are hashed into the cookie: an ACK whose TSecr was
 * altered (here to claim another window scale), that drops the TSopt, or
 * whose TSecr is ahead of our clock does not complete the handshake. */
TEST(syncookie_altered_tsecr_rejected)
{
	struct fx f;
	struct sn_tcp_seg o, r;
	uint32_t bad_ecr[3];
	uint8_t has_ts[3] = {1, 0, 1};

	CHECK(cookie_ts_fixture(&f) >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535, .mss = 1460,
				   .ws = 1, .wscale = 7, .ts = 1, .tsval = 5000, .sack_ok = 1});
	CHECK(fx_out(&f, &o));
	bad_ecr[0] = o.opts.ts_val ^ 0x1;       /* wscale 6 */
	bad_ecr[1] = 0;                          /* no TSopt at all */
	bad_ecr[2] = o.opts.ts_val + 64 * 1000;  /* same bits, 64 s in the future */
	for (int i = 0; i < 3; i++) {
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1,
					   .wnd = 100, .ts = has_ts[i], .tsval = 5010,
					   .tsecr = bad_ecr[i]});
		CHECK(fx_out(&f, &r));
		CHECK_EQ(r.flags, SN_TCP_RST);
	}
	CHECK_EQ(ctr(&f).syncookies_failed, 3);
	CHECK_EQ(synack_sock_accept(f.st, f.lsock, NULL), -EAGAIN);
	/* the genuine echo still works */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1, .wnd = 100,
				   .ts = 1, .tsval = 5010, .tsecr = o.opts.ts_val});
	CHECK(synack_sock_accept(f.st, f.lsock, NULL) >= 0);
	fx_free(&f);
}
