/*
 * tcp_close_fixture.h: helpers for the close, TIME-WAIT, reset and API
 * misuse tests, on top of tcp_fixture.h (include check.h first).
 *
 * The scripted peer's ISN is FX_P and the fixtures record ours in f.our_iss,
 * so in a test "I + 1" is our first data byte and "FX_P + 1" the peer's:
 *
 *     int s = fx_passive_established(&f, FX_P);
 *     CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
 *     FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, f.our_iss + 1, FX_P + 1);
 *
 * FX_EXPECT reads the next segment the stack sent and checks its flags, seq
 * and ack exactly; FX_NOTHING checks that nothing more was sent.
 */
#ifndef SYNACK_TESTS_TCP_CLOSE_FIXTURE_H
#define SYNACK_TESTS_TCP_CLOSE_FIXTURE_H

#include "tcp_fixture.h"

#define FX_P 1000u /* the peer's ISN in these tests */

static inline struct synack_counters fx_ctr(const struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c;
}

/* The next datagram is a TCP segment with exactly these flags, seq, ack. */
#define FX_EXPECT(f, fl, sq, ak)                                                \
	do {                                                                    \
		struct sn_tcp_seg fx_o_;                                        \
		CHECK(fx_out((f), &fx_o_));                                     \
		CHECK_EQ(fx_o_.flags, (fl));                                    \
		CHECK_EQ(fx_o_.seq, (uint32_t)(sq));                            \
		CHECK_EQ(fx_o_.ack, (uint32_t)(ak));                            \
	} while (0)

#define FX_NOTHING(f) CHECK_EQ(fx_pending(f), 0)

/* A config with everything default but a short, non-default MSL. */
static inline struct synack_config fx_cfg_msl(uint32_t msl_us)
{
	struct synack_config c;
	synack_config_default(&c);
	c.msl_us = msl_us;
	return c;
}

/* The peer sends a bare ACK of everything we sent so far (acks our FIN). */
static inline void fx_peer_ack(struct fx *f, uint32_t peer_seq, uint32_t ack)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = peer_seq, .ack = ack, .wnd = 65535});
}

/* The peer sends FIN,ACK at peer_seq acking ack. */
static inline void fx_peer_fin(struct fx *f, uint32_t peer_seq, uint32_t ack)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_FIN | SN_TCP_ACK, .seq = peer_seq, .ack = ack,
				  .wnd = 65535});
}

/* Peer data at peer_seq (acking ack). */
static inline void fx_peer_data(struct fx *f, uint32_t peer_seq, uint32_t ack, const char *data)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_PSH, .seq = peer_seq, .ack = ack,
				  .wnd = 65535, .data = data, .len = (uint32_t)strlen(data)});
}

/* From a passively opened ESTABLISHED connection (socket s, no data
 * exchanged) to TIME-WAIT by an active close: our FIN, its ACK, the peer's
 * FIN, our ACK. Returns 0 on success; the descriptor is closed and all
 * output consumed. */
static inline int fx_close_to_time_wait(struct fx *f, int s)
{
	struct sn_tcp_seg o;
	uint32_t i = f->our_iss, p = f->peer_iss;

	if (synack_sock_close(f->st, s) != 0 || !fx_out(f, &o) || o.seq != i + 1)
		return -1;
	fx_peer_ack(f, p + 1, i + 2);
	fx_peer_fin(f, p + 1, i + 2);
	if (!fx_out(f, &o) || o.ack != p + 2 || fx_conn_state(f) != SYNACK_TIME_WAIT)
		return -1;
	fx_flush(f);
	return 0;
}

/* Another passive connection to the fixture's listener, from peer port
 * pport, accepted. The fixture now describes it (peer_port, peer_iss,
 * our_iss). Returns the socket, with output consumed. */
static inline int fx_passive_another(struct fx *f, uint16_t pport, uint32_t peer_iss)
{
	struct sn_tcp_seg o;

	f->peer_port = pport;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = peer_iss, .wnd = 65535, .mss = 1460});
	if (!fx_out(f, &o) || o.flags != (SN_TCP_SYN | SN_TCP_ACK))
		return -1;
	f->our_iss = o.seq;
	f->peer_iss = peer_iss;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = peer_iss + 1, .ack = o.seq + 1,
				  .wnd = 65535});
	fx_flush(f);
	return synack_sock_accept(f->st, f->lsock, NULL);
}

#endif
