/*
 * TIME-WAIT: RFC 9293 §3.6 (MUST-13: 2*MSL; MAY-2: a new SYN may reopen),
 * §3.10.7.4 (segments arriving in TIME-WAIT, the 2MSL restart on a
 * retransmitted FIN), §3.10.8 (TIME-WAIT TIMEOUT), and the bound on the
 * table (Linux tcp_max_tw_buckets).
 *
 * Every test reaches TIME-WAIT by an active close of a passively opened
 * connection: afterwards our SND.NXT is I+2 (I = f.our_iss) and RCV.NXT is
 * FX_P+2, and the listener on port 80 stays open.
 */
#include "check.h"
#include "tcp_close_fixture.h"
#include "tcp/seq.h"

#define MSL (5 * FX_SEC)

static enum synack_state conn_state_at(struct fx *f, uint16_t peer_port)
{
	uint16_t saved = f->peer_port;
	f->peer_port = peer_port;
	enum synack_state s = fx_conn_state(f);
	f->peer_port = saved;
	return s;
}

/* MUST-13 and §3.10.8: TIME-WAIT lasts exactly 2*MSL from entry (a
 * non-default MSL), shows in the table with its timer, then the entry is
 * deleted without sending anything. */
TEST(must13_timewait_lasts_exactly_2msl)
{
	struct fx f;
	struct synack_config cfg = fx_cfg_msl(MSL);

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	fx_wait(&f, 123 * FX_MS);
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);
	uint64_t t0 = f.now;

	struct fx_find q = {f.our_port, f.peer_port, SYNACK_CLOSED, {0}};
	synack_stack_foreach_conn(f.st, fx_find_cb, &q);
	CHECK_EQ(q.state, SYNACK_TIME_WAIT);
	CHECK_EQ(q.ci.timer, SYNACK_TIMER_TIMEWAIT);
	CHECK_EQ(q.ci.timer_expires, t0 + 2 * MSL);
	CHECK_EQ(q.ci.sock, -1);
	CHECK_EQ(q.ci.local.addr, FX_US);
	CHECK_EQ(q.ci.remote.addr, FX_PEER);

	fx_wait(&f, 2 * MSL - 1);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_wait(&f, 1);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	FX_NOTHING(&f);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.tw_entered, 1);
	CHECK_EQ(c.tw_expired, 1);
	CHECK_EQ(c.transitions[SYNACK_TIME_WAIT][SYNACK_CLOSED], 1);
	CHECK_EQ(c.in_state[SYNACK_TIME_WAIT], 0);
	fx_free(&f);
}

/* MUST-13, §3.10.7.4 eighth step: in TIME-WAIT a retransmitted FIN (our ACK
 * was lost) is ACKed again and the 2 MSL timer restarts: the entry is still
 * there 2*MSL after the first FIN and gone 2*MSL after the retransmission. */
TEST(must13_timewait_reacks_retransmitted_fin_and_restarts_2msl)
{
	struct fx f;
	struct synack_config cfg = fx_cfg_msl(MSL);

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);
	uint64_t t0 = f.now;

	fx_wait(&f, MSL);
	uint64_t t1 = f.now;
	fx_peer_fin(&f, FX_P + 1, I + 2);
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_ctr(&f).tw_fin_reacked, 1);

	fx_wait(&f, t0 + 2 * MSL - f.now);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_wait(&f, t1 + 2 * MSL - 1 - f.now);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_wait(&f, 1);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	FX_NOTHING(&f);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.tw_expired, 1);
	CHECK_EQ(c.tw_entered, 1);
	fx_free(&f);
}

/* Each retransmission restarts the timer again. */
TEST(must13_timewait_every_retransmitted_fin_restarts_2msl)
{
	struct fx f;
	struct synack_config cfg = fx_cfg_msl(MSL);

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);
	for (int i = 0; i < 3; i++) {
		fx_wait(&f, 2 * MSL - 1);
		CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
		fx_peer_fin(&f, FX_P + 1, I + 2);
		FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	}
	CHECK_EQ(fx_ctr(&f).tw_fin_reacked, 3);
	fx_wait(&f, 2 * MSL);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	fx_free(&f);
}

/* §3.10.7.4 first step: an RST outside the window is dropped (counted as
 * rst_seq); TIME-WAIT and its timer carry on. */
TEST(rfc9293_3_10_7_4_timewait_out_of_window_rst_ignored)
{
	struct fx f;
	struct synack_config cfg = fx_cfg_msl(MSL);

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);
	uint64_t t0 = f.now;

	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = FX_P + 2 + 100000});
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = FX_P + 1}); /* left of RCV.NXT */
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_RST_SEQ), 2);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_TIME_WAIT][SYNACK_CLOSED], 0);
	fx_wait(&f, t0 + 2 * MSL - 1 - f.now);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_wait(&f, 1);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	fx_free(&f);
}

/* §3.10.7.4 second step, TIME-WAIT: "If the RST bit is set, then enter the
 * CLOSED state, delete the TCB". RFC 9293 without the RFC 1337 knob: an
 * in-window RST ends TIME-WAIT at once, quietly. */
TEST(rfc9293_3_10_7_4_timewait_in_window_rst_ends_it)
{
	struct fx f;
	struct synack_config cfg = fx_cfg_msl(MSL);

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);

	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = FX_P + 2}); /* = RCV.NXT */
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_TIME_WAIT][SYNACK_CLOSED], 1);
	CHECK_EQ(c.tw_expired, 0);
	CHECK_EQ(c.rst_in, 1);
	CHECK_EQ(c.in_state[SYNACK_TIME_WAIT], 0);
	/* no stray timer fires later */
	fx_wait(&f, 4 * MSL);
	CHECK_EQ(fx_ctr(&f).tw_expired, 0);
	FX_NOTHING(&f);
	fx_free(&f);
}

/* tcp_rfc1337 = 0 behaves as Linux does by default
 * (tcp_timewait_state_process): only an RST at exactly RCV.NXT ends
 * TIME-WAIT; one inside the window but past RCV.NXT is dropped (counted as
 * rst_seq) and the entry lives on. (Before the knob this test expected the
 * RFC 9293 reading, where any in-window RST ends it.) */
TEST(tcp_rfc1337_off_timewait_rst_past_rcv_nxt_dropped_like_linux)
{
	struct fx f;
	struct synack_config cfg = fx_cfg_msl(MSL);

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST | SN_TCP_ACK, .seq = FX_P + 2 + 1000,
				   .ack = f.our_iss + 2});
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_RST_SEQ), 1);
	CHECK_EQ(fx_ctr(&f).tw_rst_killed, 0);
	fx_free(&f);
}

/* MAY-2 (RFC 1122 4.2.2.13): a SYN whose sequence number lies beyond the old
 * connection's reopens it from TIME-WAIT when a listener exists: the entry
 * goes and the listener answers SYN,ACK; the handshake completes. */
TEST(may2_timewait_new_syn_with_higher_seq_reopens)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config cfg = fx_cfg_msl(MSL);

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);
	fx_wait(&f, FX_SEC);

	const uint32_t nseq = FX_P + 100000;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = nseq, .wnd = 65535, .mss = 1460});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK_EQ(o.ack, nseq + 1);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_SYN_RECEIVED);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.transitions[SYNACK_TIME_WAIT][SYNACK_CLOSED], 1);
	CHECK_EQ(c.tw_expired, 0);
	CHECK_EQ(c.in_state[SYNACK_TIME_WAIT], 0);

	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = nseq + 1, .ack = o.seq + 1,
				   .wnd = 65535});
	int s2 = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK(s2 >= 0);
	CHECK_EQ(fx_state(&f, s2), SYNACK_ESTABLISHED);
	/* the old entry's timer does not come back to haunt the new connection */
	fx_wait(&f, 3 * MSL);
	CHECK_EQ(fx_state(&f, s2), SYNACK_ESTABLISHED);
	CHECK_EQ(fx_ctr(&f).tw_expired, 0);
	fx_free(&f);
}

/* MAY-2 condition (1): the new incarnation's ISN must lie above the largest
 * sequence number the old one used, or the peer could take old duplicates
 * of ours for new data. The ISN clock alone does not guarantee it when the
 * old connection sent more bytes than the clock advanced (4 µs ticks): here
 * 60000 bytes within a few milliseconds. */
TEST(may2_timewait_reopen_iss_above_old_snd_nxt)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config cfg = fx_cfg_msl(MSL);
	static uint8_t data[60000];

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_NODELAY, 1), 0);
	CHECK_EQ(synack_sock_send(f.st, s, data, sizeof(data)), (long long)sizeof(data));
	uint32_t acked = I + 1;
	for (int round = 0; round < 100 && acked != I + 1 + sizeof(data); round++) {
		while (fx_out(&f, &o))
			if (seq_gt(o.seq + o.len, acked))
				acked = o.seq + o.len;
		fx_peer_ack(&f, FX_P + 1, acked);
	}
	CHECK_EQ(acked, I + 1 + sizeof(data));
	fx_flush(&f);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, acked, FX_P + 1);
	fx_peer_fin(&f, FX_P + 1, acked + 1);
	FX_EXPECT(&f, SN_TCP_ACK, acked + 1, FX_P + 2);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);

	fx_wait(&f, 2 * FX_MS);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = FX_P + 500000, .wnd = 65535});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK(seq_gt(o.seq, acked + 1));
	fx_free(&f);
}

/* MAY-2 needs somewhere for the new connection to go: without a listener
 * a SYN beyond the old stream does not destroy TIME-WAIT; like any SYN in
 * TIME-WAIT it is answered with an ACK (RFC 5961 §4), as Linux does. */
TEST(may2_timewait_new_syn_without_listener_keeps_entry)
{
	struct fx f;
	struct synack_config cfg = fx_cfg_msl(MSL);

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);
	CHECK_EQ(synack_sock_close(f.st, f.lsock), 0);

	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = FX_P + 100000, .wnd = 65535});
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	CHECK_EQ(fx_ctr(&f).transitions[SYNACK_TIME_WAIT][SYNACK_CLOSED], 0);
	fx_free(&f);
}

/* §3.10.7.4 fourth step in TIME-WAIT (RFC 5961 §4): an old duplicate SYN
 * (sequence number not beyond the old stream) draws an ACK and the entry
 * stays; so does a SYN,ACK. */
TEST(rfc9293_3_10_7_4_timewait_old_syn_answered_with_ack)
{
	struct fx f;
	struct synack_config cfg = fx_cfg_msl(MSL);

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);
	uint64_t t0 = f.now;

	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = FX_P, .wnd = 65535});
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_wait(&f, 500 * FX_MS); /* past tcp_invalid_ratelimit (test_tcp_tw_ratelimit.c) */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = FX_P + 100000,
				   .ack = I + 2, .wnd = 65535});
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_TIMEWAIT), 2);
	/* nothing restarted the timer */
	fx_wait(&f, t0 + 2 * MSL - f.now);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	fx_free(&f);
}

/* §3.10.7.4 seventh step, TIME-WAIT: text "should not occur" after the
 * FIN; it is ignored, and the segment is answered with an ACK of RCV.NXT. A
 * bare ACK draws nothing (no ACK for an ACK). */
TEST(rfc9293_3_10_7_4_timewait_data_is_acked_not_taken)
{
	struct fx f;
	struct synack_config cfg = fx_cfg_msl(MSL);

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);

	fx_peer_data(&f, FX_P + 2, I + 2, "late");
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_peer_ack(&f, FX_P + 2, I + 2);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	CHECK_EQ(fx_ctr(&f).tw_fin_reacked, 0);
	fx_free(&f);
}

/* TIME-WAIT keeps the 4-tuple: the port stays held, and the same tuple
 * cannot be reused by connect (Linux: -EADDRNOTAVAIL) until it ends. */
TEST(must13_timewait_holds_the_tuple_until_2msl)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config cfg = fx_cfg_msl(MSL);
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, &cfg), 0);
	f.reuseaddr = 1; /* Linux: the TIME-WAIT holder must allow SO_REUSEADDR too */
	int s = fx_active_established(&f, FX_P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I + 1, FX_P + 1);
	fx_peer_fin(&f, FX_P + 1, I + 2);
	FX_EXPECT(&f, SN_TCP_ACK, I + 2, FX_P + 2);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);

	int s2 = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s2, &l), -EADDRINUSE);
	CHECK_EQ(synack_sock_setopt(f.st, s2, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, s2, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s2, &r), -EADDRNOTAVAIL);
	FX_NOTHING(&f);

	fx_wait(&f, 2 * MSL);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	CHECK_EQ(synack_sock_connect(f.st, s2, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN);
	fx_free(&f);
}

/* Linux tcp_max_tw_buckets: with room for one TIME-WAIT entry, a second
 * connection that would enter TIME-WAIT still ACKs the peer's FIN but is
 * destroyed at once (tw_killed); the first entry is untouched. */
TEST(max_timewait_full_destroys_second_connection)
{
	struct fx f;
	struct synack_config cfg = fx_cfg_msl(MSL);
	cfg.max_timewait = 1;

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);

	int s2 = fx_passive_another(&f, 40001, 7000);
	CHECK(s2 >= 0);
	uint32_t I2 = f.our_iss;
	CHECK_EQ(synack_sock_close(f.st, s2), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I2 + 1, 7001);
	fx_peer_ack(&f, 7001, I2 + 2);
	fx_peer_fin(&f, 7001, I2 + 2);
	FX_EXPECT(&f, SN_TCP_ACK, I2 + 2, 7002);
	FX_NOTHING(&f);

	CHECK_EQ(conn_state_at(&f, 40001), SYNACK_CLOSED);
	CHECK_EQ(conn_state_at(&f, FX_PEER_PORT), SYNACK_TIME_WAIT);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.tw_killed, 1);
	CHECK_EQ(c.in_state[SYNACK_TIME_WAIT], 1);
	CHECK_EQ(c.in_state[SYNACK_FIN_WAIT_2], 0);
	CHECK_EQ(c.illegal_transitions, 0);

	/* once the first entry expires there is room again */
	fx_wait(&f, 2 * MSL);
	CHECK_EQ(conn_state_at(&f, FX_PEER_PORT), SYNACK_CLOSED);
	int s3 = fx_passive_another(&f, 40002, 9000);
	CHECK(s3 >= 0);
	CHECK_EQ(fx_close_to_time_wait(&f, s3), 0);
	c = fx_ctr(&f);
	CHECK_EQ(c.tw_killed, 1);
	CHECK_EQ(c.in_state[SYNACK_TIME_WAIT], 1);
	fx_free(&f);
}

/* Destroying the stack with TIME-WAIT entries (and a live connection)
 * frees them; ASan checks the rest. */
TEST(timewait_entries_freed_with_the_stack)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);
	CHECK(fx_passive_another(&f, 40001, 7000) >= 0);
	CHECK_EQ(fx_ctr(&f).in_state[SYNACK_TIME_WAIT], 1);
	fx_free(&f);
}
