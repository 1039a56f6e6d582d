/*
 * Windows: the peer's zero window and probing (MUST-35..37, SHLD-29/30),
 * the window update rule with SND.WL1/SND.WL2 (§3.10.7.4), sender SWS
 * avoidance (MUST-38), receiver SWS avoidance (MUST-39), and a right edge
 * that never moves left (SHLD-14). RFC 9293 §3.8.6.
 */
#include "check.h"
#include "tcp_fixture.h"

#define PEER_ISS 1000u
#define MSS 1460u

static uint8_t pat[70000];

static void pat_init(void)
{
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 11 + i / 239 + 1);
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

/* ESTABLISHED by a passive open, SYN,ACK ACKed 100 ms later (RTO 300 ms),
 * the peer's window wnd from the ACK on. */
static int est(struct fx *f, const struct synack_config *cfg, uint16_t wnd)
{
	struct sn_tcp_seg o;
	if (fx_init(f, cfg) || fx_listen(f) < 0)
		return -1;
	f->peer_iss = PEER_ISS;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = PEER_ISS, .wnd = 65535, .mss = MSS});
	if (!fx_out(f, &o))
		return -1;
	f->our_iss = o.seq;
	fx_wait(f, 100 * FX_MS);
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = o.seq + 1,
				  .wnd = wnd});
	fx_flush(f);
	return synack_sock_accept(f->st, f->lsock, NULL);
}

/* The peer ACKs our stream up to off with window wnd (its RCV.NXT at
 * peer_off). */
static void ack_wnd(struct fx *f, uint32_t peer_off, uint32_t off, uint16_t wnd)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = f->peer_iss + 1 + peer_off,
				  .ack = f->our_iss + 1 + off, .wnd = wnd});
}

static void peer_data(struct fx *f, uint32_t off, uint32_t n)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = f->peer_iss + 1 + off,
				  .ack = f->our_iss + 1, .wnd = 65535, .data = pat + off, .len = n});
}

static void peer_data_w(struct fx *f, uint32_t off, uint32_t n, uint16_t wnd)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = f->peer_iss + 1 + off,
				  .ack = f->our_iss + 1, .wnd = wnd, .data = pat + off, .len = n});
}

static int is_data(struct fx *f, uint32_t off, uint32_t len)
{
	struct sn_tcp_seg o;
	if (!fx_out(f, &o))
		return 0;
	return o.seq == f->our_iss + 1 + off && o.len == len &&
	       memcmp(o.payload, pat + off, len) == 0;
}

/* ------------------------------------------------------------ zero window */

/* MUST-35/36, SHLD-29: with the peer's window at zero nothing is sent;
 * the first probe (one octet at SND.UNA, §3.8.6.1) goes one RTO later. */
TEST(shld29_zero_window_first_probe_after_rto)
{
	struct fx f;
	struct sn_tcp_seg o;

	pat_init();
	int s = est(&f, NULL, 0);
	CHECK(s >= 0);
	CHECK_EQ(info(&f, s).snd_wnd, 0);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 1000), 1000);
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 300 * FX_MS - 1);
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 1);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, f.our_iss + 1);
	CHECK_EQ(o.len, 1);
	CHECK_EQ(o.payload[0], pat[0]);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(counters(&f).zero_window_probes, 1);
	fx_free(&f);
}

/* SHLD-30: probes back off exponentially while the peer answers each with
 * a zero window; the answered probes are not duplicate ACKs and do not
 * count towards R2. */
TEST(shld30_zero_window_probe_backoff)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;

	pat_init();
	synack_config_default(&c);
	c.rto_max_us = 5 * FX_SEC;
	int s = est(&f, &c, 0);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 1000), 1000);
	uint64_t gaps[] = {300, 600, 1200, 2400, 4800, 5000, 5000};
	for (int i = 0; i < 7; i++) {
		fx_wait(&f, gaps[i] * FX_MS - 1);
		CHECK_EQ(fx_pending(&f), 0);
		fx_wait(&f, 1);
		CHECK(fx_out(&f, &o));
		CHECK_EQ(o.seq, f.our_iss + 1);
		CHECK_EQ(o.len, 1);
		CHECK_EQ(fx_pending(&f), 0);
		ack_wnd(&f, 0, 0, 0); /* the peer keeps its window closed */
		CHECK_EQ(fx_pending(&f), 0);
	}
	struct synack_counters k = counters(&f);
	CHECK_EQ(k.zero_window_probes, 7);
	CHECK_EQ(k.fast_retrans, 0);
	CHECK_EQ(k.conn_timeouts, 0);
	fx_free(&f);
}

/* MUST-37: a window that stays zero for 30 minutes does not end the
 * connection while the peer answers the probes; when it opens, sending
 * resumes from SND.UNA with the right bytes. */
TEST(must37_zero_window_for_thirty_minutes)
{
	struct fx f;
	struct sn_tcp_seg o;

	pat_init();
	int s = est(&f, NULL, 0);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 5000), 5000);
	uint64_t end = f.now + 30 * 60 * FX_SEC;
	int probes = 0;
	while (f.now < end) {
		uint64_t next = synack_stack_next_deadline(f.st);
		CHECK(next != UINT64_MAX);
		CHECK(next - f.now <= 120 * FX_SEC); /* rto_max bounds the interval */
		fx_wait(&f, next - f.now);
		while (fx_out(&f, &o)) {
			CHECK_EQ(o.len, 1);
			CHECK_EQ(o.seq, f.our_iss + 1);
			probes++;
		}
		ack_wnd(&f, 0, 0, 0);
		CHECK_EQ(fx_pending(&f), 0);
	}
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK(probes >= 15); /* 30 minutes at up to 2 minutes apart */
	CHECK_EQ(counters(&f).conn_timeouts, 0);
	/* the window opens: a window update, data from SND.UNA */
	ack_wnd(&f, 0, 0, 65535);
	CHECK(is_data(&f, 0, MSS));
	CHECK(fx_pending(&f) >= 1);
	fx_free(&f);
}

/* MUST-37 also when the peer takes the probe octet: the window stays
 * zero with SND.UNA creeping forward one octet per probe. */
TEST(must37_zero_window_probe_octet_accepted)
{
	struct fx f;
	struct sn_tcp_seg o;

	pat_init();
	int s = est(&f, NULL, 0);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	for (uint32_t i = 0; i < 5; i++) {
		for (int n = 0; n < 1000 && !fx_pending(&f); n++)
			fx_wait(&f, 10 * FX_MS);
		CHECK(fx_out(&f, &o));
		CHECK_EQ(o.seq, f.our_iss + 1 + i);
		CHECK_EQ(o.len, 1);
		CHECK_EQ(o.payload[0], pat[i]);
		CHECK_EQ(fx_pending(&f), 0);
		ack_wnd(&f, 0, i + 1, 0);
		CHECK_EQ(fx_pending(&f), 0);
	}
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK_EQ(counters(&f).zero_window_probes, 5);
	CHECK_EQ(counters(&f).retrans_segs, 0);
	ack_wnd(&f, 0, 5, 65535);
	CHECK(is_data(&f, 5, 95));
	fx_free(&f);
}

/* MUST-36: a probe that goes unanswered is retried like data; when no
 * answer ever comes the connection ends with ETIMEDOUT. */
TEST(must36_unanswered_probes_end_connection)
{
	struct fx f;
	struct synack_config c;

	pat_init();
	synack_config_default(&c);
	c.retries2 = 3;
	int s = est(&f, &c, 0);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	fx_wait(&f, 600 * FX_SEC);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	int err = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &err), 0);
	CHECK_EQ(err, -ETIMEDOUT);
	fx_free(&f);
}

/* §3.10.7.4 / §3.8.6: a window update opening a zero window makes the
 * sender send at once (before any probe): a full segment; the short tail
 * waits for its ACK (Nagle). */
TEST(rfc9293_3_8_6_window_update_resumes_sending)
{
	struct fx f;

	pat_init();
	int s = est(&f, NULL, 0);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 2000), 2000);
	fx_wait(&f, 100 * FX_MS);
	CHECK_EQ(fx_pending(&f), 0);
	ack_wnd(&f, 0, 0, 3000);
	CHECK(is_data(&f, 0, MSS));
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 300 * FX_MS); /* no probe: the persist timer is off */
	CHECK(is_data(&f, 0, MSS)); /* but the retransmission timer is on */
	fx_free(&f);
}

/* The sender never puts more than SND.WND past SND.UNA. With a window of
 * 2000 it sends full segments only: after one segment the 540 octets left
 * are under half the largest window offered (SWS, §3.8.6.2.1). */
TEST(rfc9293_3_8_6_send_within_offered_window)
{
	struct fx f;

	pat_init();
	int s = est(&f, NULL, 2000);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 10000), 10000);
	for (uint32_t i = 0; i < 4; i++) {
		CHECK(is_data(&f, i * MSS, MSS));
		CHECK_EQ(fx_pending(&f), 0);
		ack_wnd(&f, 0, (i + 1) * MSS, 2000);
	}
	fx_free(&f);
}

/* §3.10.7.4 window update rule: a segment older than the last window
 * update (SEG.SEQ < SND.WL1, here reordered data) does not change SND.WND,
 * nor does an old ACK (SEG.ACK < SND.UNA); the same SEG.SEQ with a newer
 * ACK (SND.WL2 =< SEG.ACK) does. */
TEST(rfc9293_3_10_7_4_old_segment_does_not_update_window)
{
	struct fx f;

	pat_init();
	int s = est(&f, NULL, 65535);
	peer_data_w(&f, 0, 100, 65535);   /* SND.WL1 = +1 */
	peer_data_w(&f, 200, 100, 65535); /* out of order: SND.WL1 = +201 */
	peer_data_w(&f, 100, 100, 0);     /* older, sent before: window 0 */
	CHECK_EQ(info(&f, s).snd_wnd, 65535);
	fx_flush(&f);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 500), 500);
	CHECK(is_data(&f, 0, 500));
	fx_wait(&f, 10 * FX_MS);
	ack_wnd(&f, 300, 500, 65535);
	ack_wnd(&f, 300, 100, 0); /* an old ACK carrying window 0 */
	CHECK_EQ(info(&f, s).snd_wnd, 65535);
	ack_wnd(&f, 300, 500, 1000);
	CHECK_EQ(info(&f, s).snd_wnd, 1000);
	fx_free(&f);
}

/* ------------------------------------------------------------ sender SWS */

/* MUST-38 (§3.8.6.2.1): with data outstanding, a usable window smaller
 * than a segment and under half the largest window offered is not used;
 * it is used once it reaches a full segment. */
TEST(must38_sender_sws_waits_for_useful_window)
{
	struct fx f;

	pat_init();
	int s = est(&f, NULL, 65535);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 3 * MSS), 3 * MSS);
	for (uint32_t i = 0; i < 3; i++)
		CHECK(is_data(&f, i * MSS, MSS));
	CHECK_EQ(synack_sock_send(f.st, s, pat + 3 * MSS, 5000), 5000);
	/* one segment ACKed; the window leaves room for 200 bytes only */
	ack_wnd(&f, 0, MSS, 2 * MSS + 200);
	CHECK_EQ(fx_pending(&f), 0);
	ack_wnd(&f, 0, 2 * MSS, 2 * MSS);
	CHECK(is_data(&f, 3 * MSS, MSS));
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* MUST-38 (§3.8.6.2.1 (d)): a window that stays too small for the SWS
 * tests, with nothing outstanding, is used when the override timeout
 * fires, so the connection cannot deadlock. */
TEST(must38_sender_sws_override_timeout)
{
	struct fx f;
	struct sn_tcp_seg o;

	pat_init();
	int s = est(&f, NULL, 65535);
	CHECK_EQ(synack_sock_send(f.st, s, pat, MSS), MSS);
	CHECK(is_data(&f, 0, MSS));
	ack_wnd(&f, 0, MSS, 1000); /* the peer's buffer nearly full */
	CHECK_EQ(synack_sock_send(f.st, s, pat + MSS, 5000), 5000);
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 5 * FX_SEC);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, f.our_iss + 1 + MSS);
	CHECK(o.len > 0 && o.len <= 1000);
	CHECK_EQ(memcmp(o.payload, pat + MSS, o.len), 0);
	fx_free(&f);
}

/* MUST-38: a segment of at least half the largest window the peer ever
 * offered goes even if smaller than an MSS (§3.8.6.2.1 (b)). */
TEST(must38_sender_sws_half_max_window)
{
	struct fx f;

	pat_init();
	int s = est(&f, NULL, 1000);
	CHECK_EQ(synack_sock_send(f.st, s, pat, MSS), MSS);
	CHECK(is_data(&f, 0, 1000));
	CHECK_EQ(synack_sock_send(f.st, s, pat + MSS, 1000), 1000);
	ack_wnd(&f, 0, 1000, 600); /* 600 >= 1000/2 */
	CHECK(is_data(&f, 1000, 600));
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* ------------------------------------------------------------ receiver SWS */

/* The right edge we advertise (ACK + WND) over every segment we send. */
static int edge_check(struct fx *f, uint32_t *edge)
{
	struct sn_tcp_seg o;
	while (fx_out(f, &o)) {
		uint32_t e = o.ack + o.wnd;
		if ((int32_t)(e - *edge) < 0)
			return 0; /* SHLD-14: moved left */
		if (e != *edge && e - *edge < MSS)
			return 0; /* MUST-39: moved by less than the SWS step */
		*edge = e;
	}
	return 1;
}

/* MUST-39 (§3.8.6.2.2) and SHLD-14: as the application reads a little at
 * a time, the right edge we advertise moves only in steps of at least
 * min(buffer/2, MSS), and never left. */
TEST(must39_receiver_sws_window_grows_in_mss_steps)
{
	struct fx f;
	uint8_t buf[300];

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	uint32_t edge = PEER_ISS + 1 + 65535, off = 0;
	/* data arrives faster than it is read: the window shrinks */
	for (int i = 0; i < 120; i++) {
		peer_data(&f, off, 500);
		off += 500;
		CHECK(edge_check(&f, &edge));
		CHECK_EQ(synack_sock_recv(f.st, s, buf, 300), 300);
		CHECK(edge_check(&f, &edge));
		if (i % 7 == 0) {
			fx_wait(&f, 50 * FX_MS);
			CHECK(edge_check(&f, &edge));
		}
	}
	/* then the reader catches up, 300 octets at a time, with a
	 * segment from the peer now and then to draw an ACK */
	for (int i = 0; i < 80; i++) {
		CHECK_EQ(synack_sock_recv(f.st, s, buf, 300), 300);
		CHECK(edge_check(&f, &edge));
		if (i % 3 == 0) {
			peer_data(&f, off, 1);
			off += 1;
			fx_wait(&f, 50 * FX_MS);
			CHECK(edge_check(&f, &edge));
		}
	}
	CHECK(edge != PEER_ISS + 1 + 65535); /* it did move */
	fx_free(&f);
}

/* MUST-39: a closed window stays closed until the reader frees at least
 * min(buffer/2, MSS); an ACK in between (for a probe) still says zero.
 * Reading enough sends a window update at once. */
TEST(must39_closed_window_reopens_by_sws_step)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;
	uint8_t buf[4000];

	pat_init();
	synack_config_default(&c);
	c.rcvbuf = 4000;
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	peer_data(&f, 0, MSS);
	peer_data(&f, MSS, MSS);
	peer_data(&f, 2 * MSS, 4000 - 2 * MSS);
	fx_wait(&f, 40 * FX_MS);
	uint32_t last_wnd = 1;
	while (fx_out(&f, &o))
		last_wnd = o.wnd;
	CHECK_EQ(last_wnd, 0);
	CHECK_EQ(info(&f, s).rcv_wnd, 0);
	/* read 1000: under the step (min(2000, 1460)): no update */
	CHECK_EQ(synack_sock_recv(f.st, s, buf, 1000), 1000);
	CHECK_EQ(fx_pending(&f), 0);
	/* a zero-window probe gets an ACK that still says zero */
	peer_data(&f, 4000, 1);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 4000);
	CHECK_EQ(o.wnd, 0);
	/* read 500 more: 1500 free >= 1460: a window update now */
	CHECK_EQ(synack_sock_recv(f.st, s, buf, 500), 500);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(o.ack, PEER_ISS + 1 + 4000);
	CHECK_EQ(o.wnd, 1500);
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* SHLD-19 with the application behind, as Linux's __tcp_ack_snd_check and
 * tcp_cleanup_rbuf: every second segment is ACKed at once while the window
 * that ACK carries is at least half the buffer; past that the ACK waits for
 * the read, and the one ACK after the read carries the reopened window (no
 * ACK with a shrunken window followed by a window update). A reader that
 * does not come gets the ACK from the delayed-ACK timer (SHLD-18). */
TEST(shld19_ack_held_for_the_read_carries_the_window)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;
	uint8_t buf[8000];

	pat_init();
	synack_config_default(&c);
	c.rcvbuf = 8000;
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	static const uint16_t wnd_now[2] = {6000, 4000};
	for (uint32_t k = 0; k < 2; k++) {
		peer_data(&f, 2000 * k, 1000);
		peer_data(&f, 2000 * k + 1000, 1000);
		CHECK(fx_out(&f, &o));
		CHECK_EQ(o.ack, PEER_ISS + 1 + 2000 * (k + 1));
		CHECK_EQ(o.wnd, wnd_now[k]);
	}
	peer_data(&f, 4000, 1000);
	peer_data(&f, 5000, 1000); /* the window would be 2000: held */
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof buf), 6000);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(o.ack, PEER_ISS + 1 + 6000);
	CHECK_EQ(o.wnd, 8000);
	CHECK_EQ(fx_pending(&f), 0);
	/* no reader this time: the timer sends the held ACK */
	for (uint32_t off = 6000; off < 12000; off += 1000)
		peer_data(&f, off, 1000);
	fx_flush(&f);
	fx_wait(&f, 39 * FX_MS);
	CHECK_EQ(fx_pending(&f), 0);
	fx_wait(&f, 1 * FX_MS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 12000);
	CHECK_EQ(o.wnd, 2000);
	fx_free(&f);
}

/* The same rule with a buffer larger than the window the header can carry
 * (no window scaling: 65,535): half of that window, not of the buffer, is
 * what the ACK must carry to go at once. */
TEST(shld19_ack_at_once_when_the_buffer_exceeds_the_unscaled_window)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;

	pat_init();
	synack_config_default(&c);
	c.rcvbuf = 200000;
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = fx_passive_established(&f, PEER_ISS); /* the peer's SYN has no window scale */
	CHECK(s >= 0);
	peer_data(&f, 0, 1000);
	peer_data(&f, 1000, 1000);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 2000);
	CHECK_EQ(o.wnd, 65535);
	fx_free(&f);
}

/* SHLD-14: with data arriving faster than the reader, the advertised
 * window shrinks only by what arrived: ACK + WND stays put. */
TEST(shld14_right_edge_never_moves_left)
{
	struct fx f;
	struct synack_config c;
	struct sn_tcp_seg o;

	pat_init();
	synack_config_default(&c);
	c.rcvbuf = 8000;
	CHECK_EQ(fx_init(&f, &c), 0);
	fx_passive_established(&f, PEER_ISS);
	uint32_t edge = PEER_ISS + 1 + 8000;
	for (uint32_t off = 0; off < 8000; off += 1000) {
		peer_data(&f, off, 1000);
		fx_wait(&f, 40 * FX_MS);
		while (fx_out(&f, &o))
			CHECK_EQ(o.ack + o.wnd, edge);
	}
	fx_free(&f);
}

/* MUST-34 / SHLD-17: the peer shrinks its window to zero with data in
 * flight (against SHLD-14, but we must cope): the retransmissions turn
 * into one-octet probes at SND.UNA with backoff, the answers (window 0)
 * are not duplicate ACKs, the connection is not timed out while the peer
 * answers, and when the window opens everything goes again from SND.UNA. */
TEST(must34_window_shrunk_to_zero_with_data_in_flight)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;

	pat_init();
	synack_config_default(&c);
	c.retries2 = 3;
	int s = est(&f, &c, 65535);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 3 * MSS), 3 * MSS);
	for (uint32_t i = 0; i < 3; i++)
		CHECK(is_data(&f, i * MSS, MSS));
	ack_wnd(&f, 0, MSS, 0); /* the right edge moves left */
	CHECK_EQ(fx_pending(&f), 0);
	uint64_t end = f.now + 10 * 60 * FX_SEC, last = f.now, gap = 0;
	int probes = 0;
	while (f.now < end) {
		for (int n = 0; n < 200000 && !fx_pending(&f); n++)
			fx_wait(&f, 10 * FX_MS);
		CHECK(fx_out(&f, &o));
		CHECK_EQ(o.seq, f.our_iss + 1 + MSS);
		CHECK_EQ(o.len, 1);
		CHECK_EQ(fx_pending(&f), 0);
		CHECK(f.now - last >= gap); /* never closer together */
		gap = f.now - last;
		last = f.now;
		probes++;
		ack_wnd(&f, 0, MSS, 0);
		CHECK_EQ(fx_pending(&f), 0);
	}
	CHECK(probes >= 8);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK_EQ(counters(&f).fast_retrans, 0);
	ack_wnd(&f, 0, MSS, 65535);
	CHECK(is_data(&f, MSS, MSS)); /* from SND.UNA again */
	fx_free(&f);

	/* and when the probes go unanswered, it ends with ETIMEDOUT */
	s = est(&f, &c, 65535);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 3 * MSS), 3 * MSS);
	ack_wnd(&f, 0, MSS, 0);
	fx_wait(&f, 30 * 60 * FX_SEC);
	int err = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &err), 0);
	CHECK_EQ(err, -ETIMEDOUT);
	fx_free(&f);
}
