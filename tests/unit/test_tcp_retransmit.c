/*
 * Retransmission and congestion control: the RTO of RFC 6298 (initial
 * value, estimation, bounds, backoff, Karn's algorithm, MUST-18), giving up
 * after R2 or the user timeout (MUST-20, MUST-12), and RFC 5681 / RFC 6582
 * congestion control (MUST-19): initial window, slow start, congestion
 * avoidance, loss window, fast retransmit, NewReno partial ACKs.
 */
#include "check.h"
#include "tcp_fixture.h"

#define PEER_ISS 1000u
#define MSS 1460u

static uint8_t pat[70000];

static void pat_init(void)
{
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 13 + i / 241 + 5);
}

static struct synack_tcp_info info(struct fx *f, int s)
{
	struct synack_tcp_info ti;
	memset(&ti, 0, sizeof(ti));
	synack_sock_info(f->st, s, &ti);
	return ti;
}

static struct synack_counters counters(struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c;
}

/* ESTABLISHED by a passive open whose SYN,ACK is ACKed rtt_us later: the
 * connection's first RTT sample is rtt_us (RFC 6298 (2.2)). cfg may be
 * NULL: the defaults with Reno, whose RFC 5681 figures these tests check
 * (CUBIC's are in test_tcp_cubic.c). Returns the socket, all output
 * consumed. */
static int est_rtt(struct fx *f, const struct synack_config *cfg, uint32_t rtt_us)
{
	struct sn_tcp_seg o;
	struct synack_config reno;
	if (!cfg) {
		synack_config_default(&reno);
		reno.tcp_congestion_control = SYNACK_CC_RENO;
		cfg = &reno;
	}
	if (fx_init(f, cfg) || fx_listen(f) < 0)
		return -1;
	f->peer_iss = PEER_ISS;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = PEER_ISS, .wnd = 65535, .mss = MSS});
	if (!fx_out(f, &o))
		return -1;
	f->our_iss = o.seq;
	fx_wait(f, rtt_us);
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = o.seq + 1,
				  .wnd = 65535});
	fx_flush(f);
	return synack_sock_accept(f->st, f->lsock, NULL);
}

/* The peer ACKs our stream up to byte off. */
static void ack_to(struct fx *f, uint32_t off)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = f->peer_iss + 1,
				  .ack = f->our_iss + 1 + off, .wnd = 65535});
}

/* The next segment out is data [off, off+len) with the right bytes. */
static int is_data(struct fx *f, uint32_t off, uint32_t len)
{
	struct sn_tcp_seg o;
	if (!fx_out(f, &o))
		return 0;
	return o.seq == f->our_iss + 1 + off && o.len == len && (o.flags & SN_TCP_ACK) &&
	       memcmp(o.payload, pat + off, len) == 0;
}

/* Nothing goes out for us - 1 µs, then the data [off, off+len) at us. */
static int resent_after(struct fx *f, uint64_t us, uint32_t off, uint32_t len)
{
	fx_wait(f, us - 1);
	if (fx_pending(f))
		return 0;
	fx_wait(f, 1);
	return is_data(f, off, len) && fx_pending(f) == 0;
}

/* ------------------------------------------------------------ RTO */

/* RFC 6298 (2.1): before any RTT sample the RTO is 1 s; shown on the
 * SYN,ACK, whose retransmission also gives no sample (Karn). */
TEST(rfc6298_2_1_initial_rto_one_second)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK(fx_listen(&f) >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = PEER_ISS, .wnd = 65535, .mss = MSS});
	CHECK(fx_out(&f, &o));
	fx_wait(&f, FX_SEC - 1);
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 1);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	fx_wait(&f, 2 * FX_SEC - 1); /* (5.5): doubled */
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 1);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	fx_free(&f);
}

/* RFC 6298 (2.2)-(2.4): after the first sample R, SRTT = R, RTTVAR = R/2,
 * RTO = SRTT + 4*RTTVAR; the data is resent exactly one RTO after it was
 * sent, from SND.UNA, the same bytes. */
TEST(rfc6298_2_2_rto_from_first_sample)
{
	struct fx f;

	pat_init();
	int s = est_rtt(&f, NULL, 100 * FX_MS);
	CHECK(s >= 0);
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.srtt_us, 100 * FX_MS);
	CHECK_EQ(ti.rttvar_us, 50 * FX_MS);
	CHECK_EQ(ti.rto_us, 300 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	CHECK(is_data(&f, 0, 100));
	CHECK(resent_after(&f, 300 * FX_MS, 0, 100));
	struct synack_counters c = counters(&f);
	CHECK_EQ(c.rto_timeouts, 1);
	CHECK_EQ(c.retrans_segs, 1);
	fx_free(&f);
}

/* RFC 6298 (2.3): a second sample R' updates RTTVAR with the old SRTT,
 * then SRTT: RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5 ms, SRTT = 7/8*100 +
 * 1/8*200 = 112.5 ms, RTO = 112.5 + 4*62.5 = 362.5 ms. */
TEST(rfc6298_2_3_rto_after_second_sample)
{
	struct fx f;

	pat_init();
	int s = est_rtt(&f, NULL, 100 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	CHECK(is_data(&f, 0, 100));
	fx_wait(&f, 200 * FX_MS);
	ack_to(&f, 100);
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.srtt_us, 112500);
	CHECK_EQ(ti.rttvar_us, 62500);
	CHECK_EQ(ti.rto_us, 362500);
	CHECK_EQ(synack_sock_send(f.st, s, pat + 100, 100), 100);
	CHECK(is_data(&f, 100, 100));
	CHECK(resent_after(&f, 362500, 100, 100));
	fx_free(&f);
}

/* RFC 6298 (2.4): an RTO below the minimum is rounded up to rto_min_us:
 * R = 10 ms gives 30 ms, sent at rto_min. */
TEST(rfc6298_2_4_rto_bounded_by_minimum)
{
	struct fx f;
	struct synack_config c;

	pat_init();
	synack_config_default(&c);
	c.rto_min_us = 250 * FX_MS;
	int s = est_rtt(&f, &c, 10 * FX_MS);
	CHECK_EQ(info(&f, s).rto_us, 250 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	CHECK(is_data(&f, 0, 100));
	CHECK(resent_after(&f, 250 * FX_MS, 0, 100));
	fx_free(&f);
}

/* RFC 6298 (5.5), MUST-19: each expiry doubles the RTO, up to rto_max_us;
 * each retransmission is SND.UNA's segment again. */
TEST(rfc6298_5_5_exponential_backoff)
{
	struct fx f;
	struct synack_config c;

	pat_init();
	synack_config_default(&c);
	c.rto_max_us = 2 * FX_SEC;
	int s = est_rtt(&f, &c, 100 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	CHECK(is_data(&f, 0, 100));
	uint64_t gaps[] = {300, 600, 1200, 2000, 2000};
	for (int i = 0; i < 5; i++)
		CHECK(resent_after(&f, gaps[i] * FX_MS, 0, 100));
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.retransmits, 5);
	CHECK_EQ(ti.total_retrans, 5);
	CHECK_EQ(ti.rto_us, 2 * FX_SEC);
	fx_free(&f);
}

/* RFC 6298 (5.3)/(5.4): an ACK of new data restarts the timer for what
 * is still outstanding, one RTO from the ACK. */
TEST(rfc6298_5_3_timer_restarted_on_new_ack)
{
	struct fx f;

	pat_init();
	int s = est_rtt(&f, NULL, 100 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 2 * MSS), 2 * MSS);
	CHECK(is_data(&f, 0, MSS));
	CHECK(is_data(&f, MSS, MSS));
	fx_wait(&f, 250 * FX_MS);
	ack_to(&f, MSS); /* sample 250 ms: RTO = 156.25 + 4*(...) */
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.srtt_us, 118750);  /* 7/8*100 + 1/8*250 */
	CHECK_EQ(ti.rttvar_us, 75000); /* 3/4*50 + 1/4*150 */
	CHECK_EQ(ti.rto_us, 418750);
	CHECK(resent_after(&f, 418750, MSS, MSS));
	fx_free(&f);
}

/* MUST-18 (Karn): an ACK for a retransmitted segment gives no RTT sample,
 * and the backed-off RTO stays until a segment sent once is ACKed. */
TEST(must18_karn_no_sample_from_retransmission)
{
	struct fx f;

	pat_init();
	int s = est_rtt(&f, NULL, 100 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	CHECK(is_data(&f, 0, 100));
	CHECK(resent_after(&f, 300 * FX_MS, 0, 100));
	fx_wait(&f, 20 * FX_MS);
	ack_to(&f, 100); /* 320 ms after the first send, 20 after the second */
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.srtt_us, 100 * FX_MS);
	CHECK_EQ(ti.rttvar_us, 50 * FX_MS);
	CHECK_EQ(ti.rto_us, 600 * FX_MS); /* still backed off */
	CHECK_EQ(ti.retransmits, 0);
	/* new data: timed, and its RTO is the backed-off one */
	CHECK_EQ(synack_sock_send(f.st, s, pat + 100, 100), 100);
	CHECK(is_data(&f, 100, 100));
	fx_wait(&f, 100 * FX_MS);
	ack_to(&f, 200); /* a valid sample of 100 ms */
	ti = info(&f, s);
	CHECK_EQ(ti.srtt_us, 100 * FX_MS);
	CHECK_EQ(ti.rttvar_us, 37500);
	CHECK_EQ(ti.rto_us, 250 * FX_MS);
	fx_free(&f);
}

/* After a timeout the sender goes back to SND.UNA: a partial ACK of the
 * first segment makes the retransmission start at the new SND.UNA, a full
 * segment of the right bytes. */
TEST(rfc9293_3_8_1_retransmission_starts_at_snd_una)
{
	struct fx f;

	pat_init();
	int s = est_rtt(&f, NULL, 100 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 3 * MSS), 3 * MSS);
	for (uint32_t i = 0; i < 3; i++)
		CHECK(is_data(&f, i * MSS, MSS));
	fx_wait(&f, 100 * FX_MS);
	ack_to(&f, 1000); /* part of the first segment */
	CHECK_EQ(fx_pending(&f), 0);
	uint32_t rto = info(&f, s).rto_us;
	CHECK(resent_after(&f, rto, 1000, MSS)); /* cwnd is 1 SMSS now */
	fx_free(&f);
}

/* MUST-20, MUST-12: after R2 (retries2) retransmissions the next expiry
 * ends the connection; the user sees ETIMEDOUT, the peer gets nothing. */
TEST(must20_abort_after_r2_retransmissions)
{
	struct fx f;
	struct synack_config c;

	pat_init();
	synack_config_default(&c);
	c.retries2 = 3;
	int s = est_rtt(&f, &c, 100 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	CHECK(is_data(&f, 0, 100));
	uint64_t gap = 300 * FX_MS;
	for (int i = 0; i < 3; i++) {
		CHECK(resent_after(&f, gap, 0, 100));
		gap *= 2;
	}
	fx_wait(&f, gap - 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_wait(&f, 1);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_ERR);
	struct synack_counters k = counters(&f);
	CHECK_EQ(k.conn_timeouts, 1);
	CHECK_EQ(k.retrans_segs, 3);
	CHECK_EQ(k.transitions[SYNACK_ESTABLISHED][SYNACK_CLOSED], 1);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 1), -ETIMEDOUT);
	fx_free(&f);

	/* the error is also what SO_ERROR and RECEIVE report */
	s = est_rtt(&f, &c, 100 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	fx_wait(&f, 30 * FX_SEC);
	int err = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &err), 0);
	CHECK_EQ(err, -ETIMEDOUT);
	fx_free(&f);

	s = est_rtt(&f, &c, 100 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	fx_wait(&f, 30 * FX_SEC);
	CHECK_EQ(synack_sock_recv(f.st, s, (uint8_t[8]){0}, 8), -ETIMEDOUT);
	fx_free(&f);
}

/* MUST-21: R2 is the application's (via retries2); a larger value keeps
 * the connection through more retransmissions, and an ACK at the last
 * moment saves it. */
TEST(must21_ack_before_r2_keeps_connection)
{
	struct fx f;
	struct synack_config c;

	pat_init();
	synack_config_default(&c);
	c.retries2 = 5;
	c.rto_max_us = FX_SEC;
	int s = est_rtt(&f, &c, 100 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	CHECK(is_data(&f, 0, 100));
	uint64_t gaps[] = {300, 600, 1000, 1000, 1000};
	for (int i = 0; i < 5; i++)
		CHECK(resent_after(&f, gaps[i] * FX_MS, 0, 100));
	fx_wait(&f, 999 * FX_MS);
	ack_to(&f, 100);
	fx_wait(&f, 60 * FX_SEC);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK_EQ(counters(&f).conn_timeouts, 0);
	fx_free(&f);
}

/* TCP_USER_TIMEOUT (RFC 5482, MUST-20's "time" alternative): unacked data
 * for longer than the user timeout ends the connection with ETIMEDOUT,
 * soon after the timeout rather than a doubled RTO later; retries2 does
 * not apply. Like Linux, the time counts from the first retransmission. */
TEST(must20_user_timeout_aborts)
{
	struct fx f;
	struct synack_config c;

	pat_init();
	synack_config_default(&c);
	c.retries2 = 100;
	int s = est_rtt(&f, &c, 100 * FX_MS);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_USER_TIMEOUT, 2000), 0);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	CHECK(is_data(&f, 0, 100));
	CHECK(resent_after(&f, 300 * FX_MS, 0, 100));  /* t = 0.3 s */
	CHECK(resent_after(&f, 600 * FX_MS, 0, 100));  /* t = 0.9 s */
	CHECK(resent_after(&f, 1200 * FX_MS, 0, 100)); /* t = 2.1 s */
	fx_wait(&f, 200 * FX_MS - 1);                  /* t = 2.3 s - 1 µs */
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_wait(&f, 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	CHECK_EQ(fx_pending(&f), 0);
	int err = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &err), 0);
	CHECK_EQ(err, -ETIMEDOUT);
	CHECK_EQ(counters(&f).conn_timeouts, 1);
	fx_free(&f);
}

/* The stack-wide default user timeout applies to every connection. */
TEST(must20_default_user_timeout_from_config)
{
	struct fx f;
	struct synack_config c;

	pat_init();
	synack_config_default(&c);
	c.user_timeout_us = 1 * FX_SEC;
	int s = est_rtt(&f, &c, 100 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	fx_wait(&f, 300 * FX_MS + 1 * FX_SEC);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	int err = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &err), 0);
	CHECK_EQ(err, -ETIMEDOUT);
	fx_free(&f);
}

/* ------------------------------------------------------------ congestion control */

/* RFC 5681 (3.1) MUST-19: IW = 3 segments for SMSS 1460: exactly three
 * segments go out of a large SEND. */
TEST(rfc5681_3_1_initial_window_three_segments)
{
	struct fx f;

	pat_init();
	int s = est_rtt(&f, NULL, 100 * FX_MS);
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.cwnd, 3 * MSS);
	CHECK(ti.ssthresh >= 65535);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 20000), 20000);
	for (uint32_t i = 0; i < 3; i++)
		CHECK(is_data(&f, i * MSS, MSS));
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* RFC 5681 (3.1): IW is 2 segments above SMSS 2190 and 4 at or below
 * 1095. */
TEST(rfc5681_3_1_initial_window_by_mss)
{
	struct fx f;
	struct synack_config c;
	struct sn_tcp_seg o;

	synack_config_default(&c);
	c.mtu = 9000;
	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK(fx_listen(&f) >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = PEER_ISS, .wnd = 65535, .mss = 8000});
	CHECK(fx_out(&f, &o));
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = o.seq + 1,
				   .wnd = 65535});
	int s = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK_EQ(info(&f, s).cwnd, 2 * 8000);
	fx_free(&f);

	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK(fx_listen(&f) >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = PEER_ISS, .wnd = 65535, .mss = 1000});
	CHECK(fx_out(&f, &o));
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = o.seq + 1,
				   .wnd = 65535});
	s = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK_EQ(info(&f, s).cwnd, 4 * 1000);
	fx_free(&f);
}

/* RFC 5681 (3.2) slow start with RFC 3465 byte counting: each ACK of a
 * full segment grows cwnd by one SMSS, so two segments go for each one
 * ACKed; an ACK covering two segments grows it by two (L = 2 SMSS), one
 * covering three by two only. */
TEST(rfc3465_slow_start_byte_counting_l_two_smss)
{
	struct fx f;

	pat_init();
	int s = est_rtt(&f, NULL, 100 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 30 * MSS), 30 * MSS);
	for (uint32_t i = 0; i < 3; i++)
		CHECK(is_data(&f, i * MSS, MSS));
	ack_to(&f, MSS);
	CHECK_EQ(info(&f, s).cwnd, 4 * MSS);
	CHECK(is_data(&f, 3 * MSS, MSS));
	CHECK(is_data(&f, 4 * MSS, MSS));
	CHECK_EQ(fx_pending(&f), 0);
	ack_to(&f, 3 * MSS); /* two segments in one ACK */
	CHECK_EQ(info(&f, s).cwnd, 6 * MSS);
	for (uint32_t i = 5; i < 9; i++)
		CHECK(is_data(&f, i * MSS, MSS));
	CHECK_EQ(fx_pending(&f), 0);
	ack_to(&f, 6 * MSS); /* three segments: still L = 2 SMSS */
	CHECK_EQ(info(&f, s).cwnd, 8 * MSS);
	fx_free(&f);
}

/* RFC 5681 (4)/(5.?) on timeout: ssthresh = max(FlightSize/2, 2*SMSS),
 * cwnd = 1 SMSS (the loss window); one segment is resent. */
TEST(rfc5681_3_1_rto_sets_loss_window)
{
	struct fx f;

	pat_init();
	int s = est_rtt(&f, NULL, 100 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 40 * MSS), 40 * MSS);
	for (uint32_t i = 0; i < 3; i++)
		CHECK(is_data(&f, i * MSS, MSS));
	/* grow to 8 segments in flight */
	for (uint32_t k = 1; k <= 5; k++) {
		ack_to(&f, k * MSS);
		fx_flush(&f);
	}
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.cwnd, 8 * MSS);
	CHECK_EQ(ti.snd_nxt - ti.snd_una, 8 * MSS);
	CHECK(resent_after(&f, ti.rto_us, 5 * MSS, MSS));
	ti = info(&f, s);
	CHECK_EQ(ti.cwnd, MSS);
	CHECK_EQ(ti.ssthresh, 4 * MSS);
	fx_free(&f);

	/* a small flight: the 2*SMSS floor */
	s = est_rtt(&f, NULL, 100 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, MSS), MSS);
	CHECK(is_data(&f, 0, MSS));
	CHECK(resent_after(&f, 300 * FX_MS, 0, MSS));
	ti = info(&f, s);
	CHECK_EQ(ti.cwnd, MSS);
	CHECK_EQ(ti.ssthresh, 2 * MSS);
	fx_free(&f);
}

/* RFC 5681 §3.1 congestion avoidance with the RECOMMENDED byte counting
 * (RFC 3465 §2.1): cwnd grows by one SMSS once a cwnd's worth of bytes is
 * ACKed. After a timeout (ssthresh 2 SMSS, cwnd 1 SMSS) the first ACK is
 * slow start (cwnd 2 SMSS), the next ones avoidance. */
TEST(rfc5681_3_1_congestion_avoidance_growth)
{
	struct fx f;

	pat_init();
	int s = est_rtt(&f, NULL, 100 * FX_MS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 30 * MSS), 30 * MSS);
	fx_flush(&f);
	fx_wait(&f, 300 * FX_MS); /* timeout: 3 in flight, ssthresh 2 SMSS */
	fx_flush(&f);
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.ssthresh, 2 * MSS);
	CHECK_EQ(ti.cwnd, MSS);
	ack_to(&f, MSS);
	CHECK_EQ(info(&f, s).cwnd, 2 * MSS);
	ack_to(&f, 2 * MSS);
	CHECK_EQ(info(&f, s).cwnd, 2 * MSS); /* 1 SMSS of 2 counted */
	ack_to(&f, 3 * MSS);
	CHECK_EQ(info(&f, s).cwnd, 3 * MSS); /* a cwnd's worth: + SMSS */
	fx_flush(&f);
	ack_to(&f, 4 * MSS);
	ack_to(&f, 5 * MSS);
	CHECK_EQ(info(&f, s).cwnd, 3 * MSS);
	ack_to(&f, 6 * MSS);
	CHECK_EQ(info(&f, s).cwnd, 4 * MSS);
	fx_free(&f);
}

/* Three in flight, the first lost: set up for the fast retransmit tests.
 * Sends n segments (cwnd must allow), returns the socket. */
static int flight_of(struct fx *f, uint32_t n)
{
	int s = est_rtt(f, NULL, 100 * FX_MS);
	if (synack_sock_send(f->st, s, pat, 40 * MSS) != 40 * MSS)
		return -1;
	/* slow start up to n segments in flight, ACKing one at a time */
	uint32_t acked = 0;
	while (info(f, s).cwnd < n * MSS) {
		acked++;
		ack_to(f, acked * MSS);
	}
	fx_flush(f);
	return s;
}

static void dupack(struct fx *f, uint32_t off)
{
	ack_to(f, off);
}

/* RFC 5681 §3.2: the third duplicate ACK retransmits the missing segment
 * at once (no timeout), ssthresh = FlightSize/2, cwnd = ssthresh + 3*SMSS;
 * more duplicates inflate cwnd by one SMSS each; the full ACK deflates it
 * to ssthresh. */
TEST(rfc5681_3_2_fast_retransmit_on_third_dupack)
{
	struct fx f;

	pat_init();
	int s = flight_of(&f, 8);
	CHECK(s >= 0);
	struct synack_tcp_info ti = info(&f, s);
	uint32_t una = ti.snd_una - f.our_iss - 1;
	uint32_t flight = ti.snd_nxt - ti.snd_una;
	CHECK_EQ(flight, 8 * MSS);
	/* RFC 3042 Limited Transmit: the first two duplicates each send one
	 * new segment past cwnd, which stays as it is */
	dupack(&f, una);
	CHECK(is_data(&f, una + flight, MSS));
	dupack(&f, una);
	CHECK(is_data(&f, una + flight + MSS, MSS));
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(info(&f, s).cwnd, 8 * MSS);
	CHECK_EQ(counters(&f).limited_transmit, 2);
	dupack(&f, una);
	CHECK(is_data(&f, una, MSS));
	CHECK_EQ(fx_pending(&f), 0);
	ti = info(&f, s);
	/* (2): the two Limited Transmit segments do not count in FlightSize */
	CHECK_EQ(ti.ssthresh, flight / 2);
	CHECK_EQ(ti.cwnd, flight / 2 + 3 * MSS);
	CHECK_EQ(counters(&f).fast_retrans, 1);
	CHECK_EQ(counters(&f).rto_timeouts, 0);
	/* (4): each further duplicate inflates cwnd by one SMSS; new data
	 * goes once cwnd exceeds the 10 segments in flight: one more */
	for (int i = 0; i < 4; i++)
		dupack(&f, una);
	ti = info(&f, s);
	CHECK_EQ(ti.cwnd, flight / 2 + 7 * MSS);
	CHECK(is_data(&f, una + flight + 2 * MSS, MSS));
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(counters(&f).fast_retrans, 1);
	/* (6) and RFC 6582 §3.2 step 3: the full ACK of everything deflates
	 * to min(ssthresh, max(FlightSize, SMSS) + SMSS) = 2 SMSS here */
	ack_to(&f, una + flight + 3 * MSS);
	ti = info(&f, s);
	CHECK_EQ(ti.cwnd, 2 * MSS);
	CHECK_EQ(ti.ssthresh, flight / 2);
	CHECK(is_data(&f, una + flight + 3 * MSS, MSS));
	CHECK(is_data(&f, una + flight + 4 * MSS, MSS));
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* RFC 3042 §2: Limited Transmit sends new data on the first two duplicate
 * ACKs only if the receiver's window allows: a window that ends at SND.MAX
 * lets nothing out, and cwnd never changes. */
TEST(rfc3042_2_limited_transmit_within_receiver_window)
{
	struct fx f;

	pat_init();
	int s = flight_of(&f, 8);
	CHECK(s >= 0);
	struct synack_tcp_info ti = info(&f, s);
	uint32_t una = ti.snd_una - f.our_iss - 1, flight = ti.snd_nxt - ti.snd_una;
	for (int i = 0; i < 2; i++) /* the window ends where our data does */
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1,
					   .ack = f.our_iss + 1 + una, .wnd = (uint16_t)flight});
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(counters(&f).limited_transmit, 0);
	CHECK_EQ(info(&f, s).cwnd, 8 * MSS);
	fx_free(&f);
}

/* RFC 6582 §3.2 step 5 (NewReno): during recovery a partial ACK (one
 * that does not cover `recover`) retransmits the first unacknowledged
 * segment at once, so a second loss in the window is repaired without a
 * timeout; the full ACK ends recovery. */
TEST(rfc6582_partial_ack_retransmits_next_hole)
{
	struct fx f;

	pat_init();
	int s = flight_of(&f, 8);
	CHECK(s >= 0);
	struct synack_tcp_info ti = info(&f, s);
	uint32_t una = ti.snd_una - f.our_iss - 1;
	uint32_t top = ti.snd_nxt - f.our_iss - 1;
	/* segments una and una+3*MSS are lost; two new segments go on the
	 * first two duplicates (RFC 3042), the hole on the third */
	for (int i = 0; i < 3; i++)
		dupack(&f, una);
	CHECK(is_data(&f, top, MSS));
	CHECK(is_data(&f, top + MSS, MSS));
	CHECK(is_data(&f, una, MSS));
	fx_flush(&f);
	dupack(&f, una + 3 * MSS); /* partial ACK up to the second hole */
	CHECK(is_data(&f, una + 3 * MSS, MSS));
	ack_to(&f, top + 2 * MSS); /* full ACK: `recover` includes the two new segments */
	fx_flush(&f);
	ti = info(&f, s);
	CHECK_EQ(ti.snd_una, f.our_iss + 1 + top + 2 * MSS);
	struct synack_counters c = counters(&f);
	CHECK_EQ(c.fast_retrans, 1);
	CHECK_EQ(c.rto_timeouts, 0);
	CHECK_EQ(c.retrans_segs, 2);
	fx_free(&f);
}

/* RFC 5681 §2: an ACK that carries data or changes the window is not a
 * duplicate: three of them do not trigger fast retransmit. */
TEST(rfc5681_2_not_duplicate_acks)
{
	struct fx f;

	pat_init();
	int s = flight_of(&f, 8);
	CHECK(s >= 0);
	struct synack_tcp_info ti = info(&f, s);
	uint32_t una = ti.snd_una - f.our_iss - 1;
	for (uint16_t i = 0; i < 3; i++) /* window changes each time */
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1,
					   .ack = f.our_iss + 1 + una, .wnd = (uint16_t)(60000 + i)});
	for (uint32_t i = 0; i < 3; i++) /* data from the peer */
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1 + i,
					   .ack = f.our_iss + 1 + una, .wnd = 60002,
					   .data = pat, .len = 1});
	CHECK_EQ(counters(&f).fast_retrans, 0);
	fx_free(&f);
}

/* A passive open whose SYN,ACK had to be resent (the first one lost);
 * the peer's ACK comes 100 ms after the second. */
static int est_after_lost_synack(struct fx *f)
{
	struct sn_tcp_seg o;
	if (fx_init(f, NULL) || fx_listen(f) < 0)
		return -1;
	f->peer_iss = PEER_ISS;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = PEER_ISS, .wnd = 65535, .mss = MSS});
	if (!fx_out(f, &o))
		return -1;
	f->our_iss = o.seq;
	fx_wait(f, FX_SEC); /* RFC 6298 (2.1): resent after 1 s */
	if (!fx_out(f, &o) || o.flags != (SN_TCP_SYN | SN_TCP_ACK))
		return -1;
	fx_wait(f, 100 * FX_MS);
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = o.seq + 1,
				  .wnd = 65535});
	fx_flush(f);
	return synack_sock_accept(f->st, f->lsock, NULL);
}

/* RFC 5681 §3.1: "if the SYN or SYN/ACK is lost, the initial window used
 * by a sender after a correctly transmitted SYN MUST be one segment". */
TEST(rfc5681_3_1_initial_window_one_segment_after_syn_loss)
{
	struct fx f;

	pat_init();
	int s = est_after_lost_synack(&f);
	CHECK(s >= 0);
	CHECK_EQ(info(&f, s).cwnd, MSS);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 3 * MSS), 3 * MSS);
	CHECK(is_data(&f, 0, MSS));
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* RFC 6298 (5.7): after the SYN's timer expired, the RTO is 3 s when
 * data transmission begins (no sample came from the resent SYN,ACK). */
TEST(rfc6298_5_7_rto_three_seconds_after_syn_timeout)
{
	struct fx f;

	pat_init();
	int s = est_after_lost_synack(&f);
	CHECK(s >= 0);
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.srtt_us, 0);
	CHECK_EQ(ti.rto_us, 3 * FX_SEC);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	CHECK(is_data(&f, 0, 100));
	CHECK(resent_after(&f, 3 * FX_SEC, 0, 100));
	fx_free(&f);
}

/* The same for an active open whose SYN was resent. */
TEST(rfc6298_5_7_active_open_after_syn_timeout)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	fx_wait(&f, FX_SEC);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN);
	f.our_iss = o.seq;
	f.peer_iss = PEER_ISS;
	fx_wait(&f, 100 * FX_MS);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = PEER_ISS,
				   .ack = o.seq + 1, .wnd = 65535, .mss = MSS});
	fx_flush(&f);
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.state, SYNACK_ESTABLISHED);
	CHECK_EQ(ti.cwnd, MSS);
	CHECK_EQ(ti.rto_us, 3 * FX_SEC);
	fx_free(&f);
}
