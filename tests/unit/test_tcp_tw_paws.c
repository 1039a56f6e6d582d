/*
 * PAWS in TIME-WAIT (RFC 7323 §5.3 R1, §5.5): a non-SYN segment whose TSval
 * is older than the entry's TS.Recent, while TS.Recent is not older than 24
 * days, is not acceptable: it is dropped (paws_rejected, drop reason paws)
 * and answered with an ACK carrying the connection's timestamps, as RFC
 * 9293 §3.10.7.4 answers an unacceptable segment. It neither restarts the
 * 2*MSL timer nor counts as a re-ACKed FIN.
 *
 * RSTs: RFC 7323 §5.3 exempts them from PAWS, but an old duplicate RST at
 * RCV.NXT would end TIME-WAIT early (RFC 1337 hazard H1), so we do as
 * Linux's tcp_timewait_state_process (tcp_paws_reject with rst): an RST
 * with an older TSval is dropped without reply, unless TS.Recent is older
 * than TCP_PAWS_MSL (60 s), when the peer may have rebooted.
 */
#include "check.h"
#include "tcp_close_fixture.h"

#define P 3000u   /* the peer's ISN */
#define T0 50000u /* the peer's first TSval */
#define MSL (60 * FX_SEC)

static struct synack_counters ctr(struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c;
}

/* A passive open and our close to TIME-WAIT, the peer using timestamps when
 * ts: its TSvals run T0 .. T0 + 3 (its FIN), so TS.Recent is T0 + 3;
 * RCV.NXT is P + 2 and our SND.NXT f->our_iss + 2. */
static int tw_entry(struct fx *f, int ts)
{
	struct synack_config c;
	struct sn_tcp_seg sa, o;

	synack_config_default(&c);
	c.msl_us = MSL;
	if (fx_init(f, &c) || fx_listen(f) < 0)
		return -1;
	f->peer_iss = P;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = P, .wnd = 65535, .mss = 1460,
				  .ts = (uint8_t)ts, .tsval = T0});
	if (!fx_out(f, &sa))
		return -1;
	uint32_t i = f->our_iss = sa.seq;
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

/* A segment from the peer in TIME-WAIT, at RCV.NXT, with a TSopt. */
static void tw_seg(struct fx *f, uint8_t flags, uint32_t tsval, const char *data)
{
	fx_in(f, &(struct fx_seg){.flags = flags, .seq = P + 2, .ack = f->our_iss + 2,
				  .wnd = 65535, .data = data, .len = data ? (uint32_t)strlen(data) : 0,
				  .ts = 1, .tsval = tsval});
}

static uint64_t tw_expiry(struct fx *f)
{
	struct fx_find q = {f->our_port, f->peer_port, SYNACK_CLOSED, {0}};
	synack_stack_foreach_conn(f->st, fx_find_cb, &q);
	return q.ci.timer_expires;
}

/* The ACK a TIME-WAIT entry sends: SND.NXT, RCV.NXT, our TSopt echoing
 * TS.Recent (T0 + 3, unchanged by the rejected segment). */
static int is_tw_ack(struct fx *f)
{
	struct sn_tcp_seg o;
	return fx_out(f, &o) && o.flags == SN_TCP_ACK && o.seq == f->our_iss + 2 &&
	       o.ack == P + 2 && o.opts.has_ts && o.opts.ts_ecr == T0 + 3 && o.len == 0;
}

/* RFC 7323 §5.3 R1: an ACK (and a data segment) with a TSval older than
 * TS.Recent is dropped with an ACK in reply, counted in paws_rejected under
 * drop reason paws (not timewait); the entry stays, its 2*MSL unchanged. */
TEST(rfc7323_5_3_timewait_old_tsval_dropped_with_ack)
{
	struct fx f;

	CHECK_EQ(tw_entry(&f, 1), 0);
	uint64_t exp = tw_expiry(&f);
	fx_wait(&f, 5 * FX_SEC);
	tw_seg(&f, SN_TCP_ACK, T0 + 1, NULL);
	CHECK(is_tw_ack(&f));
	FX_NOTHING(&f);
	tw_seg(&f, SN_TCP_ACK | SN_TCP_PSH, T0 + 2, "old");
	CHECK(is_tw_ack(&f));
	FX_NOTHING(&f);
	struct synack_counters c = ctr(&f);
	CHECK_EQ(c.paws_rejected, 2);
	CHECK_EQ(c.drops[SYNACK_DROP_PAWS], 2);
	CHECK_EQ(c.drops[SYNACK_DROP_TIMEWAIT], 0);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	CHECK_EQ(tw_expiry(&f), exp);
	fx_free(&f);
}

/* An old duplicate of the peer's FIN (an older TSval) is a PAWS reject, not
 * a retransmitted FIN: ACKed, but it does not restart 2*MSL (MUST-13 is for
 * the FIN retransmitted now, which carries a newer TSval). */
TEST(rfc7323_5_3_timewait_old_fin_is_paws_not_reack)
{
	struct fx f;

	CHECK_EQ(tw_entry(&f, 1), 0);
	uint64_t exp = tw_expiry(&f);
	fx_wait(&f, 5 * FX_SEC);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_FIN | SN_TCP_ACK, .seq = P + 1,
				   .ack = f.our_iss + 2, .wnd = 65535, .ts = 1, .tsval = T0 + 2});
	CHECK(is_tw_ack(&f));
	CHECK_EQ(ctr(&f).paws_rejected, 1);
	CHECK_EQ(ctr(&f).tw_fin_reacked, 0);
	CHECK_EQ(tw_expiry(&f), exp);
	/* the FIN retransmitted now (a newer TSval) is re-ACKed and restarts it */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_FIN | SN_TCP_ACK, .seq = P + 1,
				   .ack = f.our_iss + 2, .wnd = 65535, .ts = 1, .tsval = T0 + 9});
	CHECK(is_tw_ack(&f));
	CHECK_EQ(ctr(&f).tw_fin_reacked, 1);
	CHECK_EQ(ctr(&f).paws_rejected, 1);
	CHECK_EQ(tw_expiry(&f), f.now + 2 * MSL);
	fx_free(&f);
}

/* TSval equal to or newer than TS.Recent passes PAWS: a bare ACK is
 * dropped silently as before (timewait), data is ACKed as any segment that
 * takes sequence space; nothing counts in paws_rejected. */
TEST(rfc7323_5_3_timewait_equal_or_newer_tsval_passes)
{
	struct fx f;

	CHECK_EQ(tw_entry(&f, 1), 0);
	tw_seg(&f, SN_TCP_ACK, T0 + 3, NULL);
	FX_NOTHING(&f);
	tw_seg(&f, SN_TCP_ACK | SN_TCP_PSH, T0 + 4, "new");
	CHECK(is_tw_ack(&f));
	struct synack_counters c = ctr(&f);
	CHECK_EQ(c.paws_rejected, 0);
	CHECK_EQ(c.drops[SYNACK_DROP_TIMEWAIT], 2);
	fx_free(&f);
}

/* An entry whose connection went without timestamps has no TS.Recent: a
 * TSopt on a segment changes nothing. */
TEST(rfc7323_5_3_timewait_without_timestamps_no_paws)
{
	struct fx f;

	CHECK_EQ(tw_entry(&f, 0), 0);
	tw_seg(&f, SN_TCP_ACK, 1, NULL);
	FX_NOTHING(&f);
	CHECK_EQ(ctr(&f).paws_rejected, 0);
	CHECK_EQ(ctr(&f).drops[SYNACK_DROP_TIMEWAIT], 1);
	fx_free(&f);
}

/* Linux (tcp_timewait_state_process, tcp_paws_reject with rst): an RST at
 * RCV.NXT with an older TSval is an old duplicate; it is dropped without
 * reply (an RST is never answered) and the entry survives. One with a newer
 * TSval ends TIME-WAIT (tcp_rfc1337 = 0). */
TEST(rfc7323_5_3_timewait_old_rst_cannot_assassinate)
{
	struct fx f;

	CHECK_EQ(tw_entry(&f, 1), 0);
	fx_wait(&f, 5 * FX_SEC);
	tw_seg(&f, SN_TCP_RST, T0 + 2, NULL);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	struct synack_counters c = ctr(&f);
	CHECK_EQ(c.paws_rejected, 1);
	CHECK_EQ(c.drops[SYNACK_DROP_PAWS], 1);
	CHECK_EQ(c.tw_rst_killed, 0);
	tw_seg(&f, SN_TCP_RST, T0 + 4, NULL);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	CHECK_EQ(ctr(&f).tw_rst_killed, 1);
	fx_free(&f);
}

/* ... unless TS.Recent is older than 60 s (Linux's TCP_PAWS_MSL: the peer
 * may have rebooted with a new clock): then the RST is taken. */
TEST(rfc7323_5_3_timewait_rst_paws_lapses_after_60s)
{
	struct fx f;

	CHECK_EQ(tw_entry(&f, 1), 0);
	fx_wait(&f, 60 * FX_SEC - 1000);
	tw_seg(&f, SN_TCP_RST, 1, NULL);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_wait(&f, 1000);
	tw_seg(&f, SN_TCP_RST, 1, NULL);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	CHECK_EQ(ctr(&f).paws_rejected, 1);
	CHECK_EQ(ctr(&f).tw_rst_killed, 1);
	fx_free(&f);
}

/* RFC 7323 §5.5: a TS.Recent older than 24 days is no longer valid, so it
 * rejects nothing. Reached by a half-closed connection idle for 25 days
 * whose peer's FIN then comes without a TSopt (accepted, options.c), so
 * TIME-WAIT inherits the 25-day-old TS.Recent. */
TEST(rfc7323_5_5_timewait_ts_recent_older_than_24_days_invalid)
{
	struct fx f;
	struct sn_tcp_seg syn, o;
	struct synack_config c;

	synack_config_default(&c);
	c.msl_us = MSL;
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = synack_sock_open(f.st);
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &syn));
	f.our_iss = syn.seq;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = P, .ack = syn.seq + 1,
				   .wnd = 65535, .mss = 1460, .ts = 1, .tsval = T0,
				   .tsecr = syn.opts.ts_val});
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	fx_flush(&f);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = P + 1, .ack = syn.seq + 2,
				   .wnd = 65535, .ts = 1, .tsval = T0 + 3});
	CHECK_EQ(fx_state(&f, s), SYNACK_FIN_WAIT_2);
	fx_wait(&f, 25ull * 24 * 3600 * FX_SEC);
	CHECK_EQ(fx_state(&f, s), SYNACK_FIN_WAIT_2);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_FIN | SN_TCP_ACK, .seq = P + 1,
				   .ack = syn.seq + 2, .wnd = 65535});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	tw_seg(&f, SN_TCP_ACK, T0, NULL);
	FX_NOTHING(&f);
	CHECK_EQ(ctr(&f).paws_rejected, 0);
	CHECK_EQ(ctr(&f).drops[SYNACK_DROP_TIMEWAIT], 1);
	fx_free(&f);
}

/* RFC 7323 §4.3 / §5.3 R3 (Linux tw_ts_recent): a bare ACK at RCV.NXT that
 * passes PAWS stores its TSval as TS.Recent. A later segment older than it
 * (though newer than the FIN's T0 + 3) is then a PAWS reject, and the
 * entry's ACK echoes the new TS.Recent. */
TEST(rfc7323_4_3_timewait_bare_ack_updates_ts_recent)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(tw_entry(&f, 1), 0);
	tw_seg(&f, SN_TCP_ACK, T0 + 10, NULL);
	FX_NOTHING(&f);
	tw_seg(&f, SN_TCP_ACK | SN_TCP_PSH, T0 + 7, "old");
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(o.opts.ts_ecr, T0 + 10);
	CHECK_EQ(ctr(&f).paws_rejected, 1);
	CHECK_EQ(ctr(&f).drops[SYNACK_DROP_PAWS], 1);
	fx_free(&f);
}

/* What may not move TS.Recent (RFC 7323 §4.3, §5.2; Linux alike): an RST,
 * a segment beyond RCV.NXT, a retransmitted FIN (below RCV.NXT; its re-ACK
 * echoes the TSval of the FIN that advanced RCV.NXT), and data. After each,
 * a segment with TSval T0 + 5 still passes PAWS. */
TEST(rfc7323_4_3_timewait_ts_recent_not_moved_by_rst_fin_data)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;

	CHECK_EQ(tw_entry(&f, 1), 0);
	c = *synack_stack_config(f.st);
	c.tcp_rfc1337 = 1; /* the RST at RCV.NXT is ignored, the entry stays */
	c.addr = FX_US;
	CHECK_EQ(synack_stack_reconfigure(f.st, &c), 0);
	tw_seg(&f, SN_TCP_RST, T0 + 20, NULL);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = P + 50, .ack = f.our_iss + 2,
				   .wnd = 65535, .ts = 1, .tsval = T0 + 20});
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_FIN | SN_TCP_ACK, .seq = P + 1,
				   .ack = f.our_iss + 2, .wnd = 65535, .ts = 1, .tsval = T0 + 20});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.opts.ts_ecr, T0 + 3);
	tw_seg(&f, SN_TCP_ACK | SN_TCP_PSH, T0 + 20, "data");
	CHECK(is_tw_ack(&f));
	tw_seg(&f, SN_TCP_ACK, T0 + 5, NULL);
	FX_NOTHING(&f);
	CHECK_EQ(ctr(&f).paws_rejected, 0);
	fx_free(&f);
}
