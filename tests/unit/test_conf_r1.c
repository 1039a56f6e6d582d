/*
 * Excessive retransmission, RFC 9293 §3.8.3: at R1 retransmissions of one
 * segment negative advice goes to IP (MUST-20) and the application is told
 * (SHLD-9: SYNACK_EV_STALL) while the connection goes on to R2; R1's
 * default is 3 retransmissions (SHLD-10).
 */
#include "check.h"
#include "tcp_fixture.h"

struct advice_log {
	int n;
	struct synack_endpoint local, remote;
};

static void on_advice(void *ctx, const struct synack_endpoint *local,
		      const struct synack_endpoint *remote)
{
	struct advice_log *a = ctx;
	a->n++;
	a->local = *local;
	a->remote = *remote;
}

static uint64_t advice_count(struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c.ip_negative_advice;
}

/* Run timers until the connection sends something (a retransmission);
 * returns 1 if it was data or a SYN. next_deadline may be a wheel cascade
 * tick that sends nothing, so step until output appears (at most 10 min). */
static int next_retransmission(struct fx *f)
{
	struct sn_tcp_seg o;
	uint64_t end = f->now + 600 * FX_SEC;

	while (!fx_pending(f)) {
		uint64_t next = synack_stack_next_deadline(f->st);
		if (next == UINT64_MAX || next > end)
			return 0;
		fx_wait(f, next > f->now ? next - f->now : 0);
	}
	return fx_out(f, &o) && (o.len > 0 || (o.flags & SN_TCP_SYN));
}

/* MUST-20, SHLD-9, SHLD-10: with the default R1 (3) the first two
 * retransmissions say nothing; the third gives IP negative advice once,
 * with the connection's endpoints, and raises SYNACK_EV_STALL; later ones
 * do not repeat the advice; the connection stays ESTABLISHED. An ACK of
 * new data clears the flag, and the next stall advises again. */
TEST(must20_shld9_shld10_negative_advice_at_r1)
{
	struct fx f;
	struct advice_log a = {0};

	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK_EQ(synack_stack_config(f.st)->retries1, 3);
	synack_stack_set_advice(f.st, on_advice, &a);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, "data", 4), 4);
	fx_flush(&f);
	for (int i = 1; i <= 2; i++) {
		CHECK(next_retransmission(&f));
		CHECK_EQ(a.n, 0);
		CHECK_EQ(synack_sock_events(f.st, s) & SYNACK_EV_STALL, 0);
	}
	CHECK(next_retransmission(&f));
	CHECK_EQ(a.n, 1);
	CHECK_EQ(advice_count(&f), 1);
	CHECK_EQ(a.local.addr, FX_US);
	CHECK_EQ(a.local.port, FX_PORT);
	CHECK_EQ(a.remote.addr, FX_PEER);
	CHECK_EQ(a.remote.port, FX_PEER_PORT);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_STALL);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_OUT); /* still usable */
	CHECK(next_retransmission(&f));
	CHECK_EQ(a.n, 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);

	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = f.our_iss + 5,
				   .wnd = 65535});
	CHECK_EQ(synack_sock_events(f.st, s) & SYNACK_EV_STALL, 0);
	CHECK_EQ(synack_sock_send(f.st, s, "more", 4), 4);
	fx_flush(&f);
	for (int i = 1; i <= 3; i++)
		CHECK(next_retransmission(&f));
	CHECK_EQ(a.n, 2);
	CHECK_EQ(advice_count(&f), 2);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_STALL);
	fx_free(&f);
}

/* MUST-20: R1 is the stack's tcp_retries1; at 1 the first retransmission
 * already advises. R1 counts retransmissions of the same segment: an ACK
 * between two timeouts starts the count again. */
TEST(must20_r1_configurable_and_per_segment)
{
	struct fx f;
	struct synack_config c;

	synack_config_default(&c);
	c.retries1 = 2;
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, "ab", 2), 2);
	fx_flush(&f);
	CHECK(next_retransmission(&f));
	/* the peer takes one octet: a new segment starts from zero */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = f.our_iss + 2,
				   .wnd = 65535});
	CHECK(next_retransmission(&f));
	CHECK_EQ(advice_count(&f), 0);
	CHECK(next_retransmission(&f));
	CHECK_EQ(advice_count(&f), 1);
	fx_free(&f);

	c.retries1 = 1;
	CHECK_EQ(fx_init(&f, &c), 0);
	s = fx_passive_established(&f, 1000);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), 1);
	fx_flush(&f);
	CHECK(next_retransmission(&f));
	CHECK_EQ(advice_count(&f), 1);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_STALL);
	fx_free(&f);
}

/* MUST-20 for a SYN: the third retransmission of an unanswered SYN
 * advises IP and flags the connecting socket; the SYN,ACK clears it. */
TEST(must20_shld9_syn_retransmissions_reach_r1)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	uint32_t iss = o.seq;
	f.our_port = o.sport;
	for (int i = 1; i <= 3; i++) {
		CHECK_EQ(advice_count(&f), 0);
		CHECK(next_retransmission(&f));
		CHECK_EQ(f.last.buf[SN_IPV4_HDR_LEN + 13], SN_TCP_SYN);
	}
	CHECK_EQ(advice_count(&f), 1);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_STALL);
	CHECK_EQ(fx_state(&f, s), SYNACK_SYN_SENT);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = 3000, .ack = iss + 1,
				   .wnd = 65535, .mss = 1460});
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK_EQ(synack_sock_events(f.st, s) & SYNACK_EV_STALL, 0);
	fx_free(&f);
}

/* SHLD-20: the application can turn the R1 report off
 * (SYNACK_TCP_STALL_REPORT 0): the advice to IP still goes (MUST-20), the
 * socket no longer shows SYNACK_EV_STALL; an accepted socket takes the
 * listener's setting, and turning it back on shows the pending report. */
TEST(shld20_application_disables_stall_report)
{
	struct fx f;
	int v = -1;

	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK(fx_listen(&f) >= 0);
	CHECK_EQ(synack_sock_getopt(f.st, f.lsock, SYNACK_TCP_STALL_REPORT, &v), 0);
	CHECK_EQ(v, 1);
	CHECK_EQ(synack_sock_setopt(f.st, f.lsock, SYNACK_TCP_STALL_REPORT, 0), 0);
	struct sn_tcp_seg o;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535, .mss = 1460});
	CHECK(fx_out(&f, &o));
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1, .wnd = 65535});
	int s = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_TCP_STALL_REPORT, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(synack_sock_send(f.st, s, "data", 4), 4);
	fx_flush(&f);
	for (int i = 1; i <= 4; i++)
		CHECK(next_retransmission(&f));
	CHECK_EQ(advice_count(&f), 1);
	CHECK_EQ(synack_sock_events(f.st, s) & SYNACK_EV_STALL, 0);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_STALL_REPORT, 1), 0);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_STALL);
	fx_free(&f);
}
