/*
 * The per-connection timer (src/tcp/timers.c): several deadlines of one
 * connection share one wheel timer, and synack_stack_poll(now) must leave
 * nothing due at now (the sans-IO contract in include/synack/synack.h: the
 * deadline it returns lies after now).
 */
#include "check.h"
#include "tcp_fixture.h"

#define PEER_ISS 5000u

/* The retransmission timer and the keepalive timer of one connection come
 * due at the same instant. REXMT runs first and retransmits; arming the
 * wheel from inside that handler put the timer back at the keepalive
 * deadline, which the same call then ran, so the timer stayed due: the
 * poll returned its own time and the next poll fired it for nothing
 * (fuzz_input's finding, fuzz/corpus/input/regress-poll-*). RFC 6298 (5.4)
 * retransmission and the RFC 9293 §3.8.4 keepalive probe both still run. */
TEST(rexmt_and_keepalive_due_together_leave_no_timer_due)
{
	struct synack_config c;
	struct fx f;
	struct sn_tcp_seg o;
	uint8_t data[100] = {1};

	synack_config_default(&c);
	c.rto_min_us = 1 * FX_SEC; /* RTO exactly 1 s (RTT sample 0) */
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_KEEPALIVE, 1), 0);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_KEEPIDLE, 1), 0);

	/* At t: the peer's segment restarts keepalive (due t + 1 s) and our
	 * data goes out (RTO due t + 1 s). */
	fx_wait(&f, 10 * FX_MS);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = f.our_iss + 1,
				   .wnd = 65535});
	CHECK_EQ(synack_sock_send(f.st, s, data, sizeof(data)), (long)sizeof(data));
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.len, sizeof(data));
	fx_flush(&f);

	uint64_t due = f.now + 1 * FX_SEC;
	fx_wait(&f, 1 * FX_SEC - 1); /* lazy re-arm may wake the timer early: nothing due */
	CHECK(!fx_pending(&f));
	CHECK_EQ(synack_stack_next_deadline(f.st), due);
	uint64_t next = synack_stack_poll(f.st, due);
	f.now = due;
	CHECK(next > due);
	CHECK(fx_out(&f, &o)); /* the retransmission */
	CHECK_EQ(o.seq, f.our_iss + 1);
	CHECK_EQ(o.len, sizeof(data));
	CHECK(fx_out(&f, &o)); /* the keepalive probe */
	CHECK_EQ(o.len, 0);
	CHECK_EQ(o.seq, f.our_iss + sizeof(data)); /* SND.NXT - 1 (§3.8.4) */
	fx_free(&f);
}
