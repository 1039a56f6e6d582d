/*
 * Timestamps once negotiated: RFC 7323 §3.2 (a TSopt on every segment, the
 * 1 ms clock and its per-4-tuple offset, §5.4), §4.3 (which TSval is echoed:
 * delayed ACKs, holes and filled holes), §5.3 (PAWS: an old TSval is dropped
 * and answered with an ACK; RSTs are exempt), §5.5 (TS.Recent outdated after
 * 24 days idle), §4 with RFC 6298 (RTT from TSecr, also after a
 * retransmission; the RTTM rule; Appendix G weights), and Linux's echo check
 * of a SYN,ACK and its RST behaviour.
 */
#include "check.h"
#include "tcp_fixture.h"

#define PEER_ISS 7000u
#define MSS 1460u
#define T0 100000u /* the peer's TSval on its SYN */

static uint8_t pat[8000];

static void pat_init(void)
{
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 13 + i / 97 + 5);
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

/* ESTABLISHED by a passive open with timestamps: the peer's SYN has TSval
 * T0, its ACK T0 + 1 (so TS.Recent is T0 + 1). Our SYN,ACK in *sa. */
static int ts_est(struct fx *f, struct sn_tcp_seg *sa)
{
	if (fx_init(f, NULL))
		return -1;
	return fx_passive_open_syn(
		f, &(struct fx_seg){.seq = PEER_ISS, .wnd = 65535, .mss = MSS, .ts = 1, .tsval = T0},
		sa);
}

/* The peer sends n bytes at stream offset off with TSval tsval. */
static void pdata(struct fx *f, uint32_t off, uint32_t n, uint32_t tsval)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = f->peer_iss + 1 + off,
				  .ack = f->our_iss + 1, .wnd = 65535, .data = pat + off, .len = n,
				  .ts = 1, .tsval = tsval});
}

/* Active open with timestamps: our SYN at the current time; the peer's
 * SYN,ACK rtt_ms later echoes its TSval. Returns the socket; *syn is ours. */
static int ts_active(struct fx *f, uint64_t rtt_ms, struct sn_tcp_seg *syn)
{
	int s = fx_connect_syn(f, syn);
	if (s < 0)
		return -1;
	f->peer_iss = PEER_ISS;
	fx_wait(f, rtt_ms * FX_MS);
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = PEER_ISS,
				  .ack = syn->seq + 1, .wnd = 65535, .mss = MSS, .ts = 1,
				  .tsval = T0, .tsecr = syn->opts.ts_val});
	fx_flush(f);
	return s;
}

/* The peer ACKs our stream up to off, echoing tsecr. */
static void pack(struct fx *f, uint32_t off, uint32_t tsval, uint32_t tsecr)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = f->peer_iss + 1,
				  .ack = f->our_iss + 1 + off, .wnd = 65535, .ts = 1, .tsval = tsval,
				  .tsecr = tsecr});
}

/* §3.2: "Once TSopt has been successfully negotiated ... the TSopt MUST be
 * sent in every non-<RST> segment", TSecr = TS.Recent (§4.3 (3)); the RST of
 * an abort carries one too, as Linux sends it (RFC 7323 §5.2 SHOULD), while
 * a reset for a segment with no connection carries none (Linux either). */
TEST(rfc7323_3_2_tsopt_on_every_segment)
{
	struct fx f;
	struct sn_tcp_seg sa, o;

	pat_init();
	int s = ts_est(&f, &sa);
	CHECK(s >= 0);
	CHECK(sa.opts.has_ts);
	CHECK_EQ(sa.opts.ts_ecr, T0);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.len, 100);
	CHECK(o.opts.has_ts);
	CHECK_EQ(o.opts.ts_ecr, T0 + 1);
	pdata(&f, 0, 10, T0 + 2);
	fx_wait(&f, 100 * FX_MS); /* the delayed ACK, a pure ACK */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.len, 0);
	CHECK(o.opts.has_ts);
	CHECK_EQ(o.opts.ts_ecr, T0 + 2);
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	fx_flush(&f);
	fx_wait(&f, 2 * FX_SEC); /* retransmissions of the data and FIN */
	int n = 0;
	while (fx_out(&f, &o)) {
		CHECK(o.opts.has_ts);
		n++;
	}
	CHECK(n >= 1);
	CHECK_EQ(synack_sock_abort(f.st, s), 0);
	CHECK(fx_out(&f, &o));
	CHECK(o.flags & SN_TCP_RST);
	CHECK(o.opts.has_ts);
	CHECK_EQ(o.opts.ts_ecr, T0 + 2);
	/* a segment for a connection that does not exist: a bare RST */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1, .ack = 2, .wnd = 100,
				   .dport = 81, .ts = 1, .tsval = 5});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_RST);
	CHECK(!o.opts.has_ts);
	fx_free(&f);
}

/* §5.4: TSval is a 1 ms clock plus a per-connection offset from a keyed hash
 * of the 4-tuple: the same 4-tuple keeps counting across incarnations, a
 * different one starts elsewhere. */
TEST(rfc7323_5_4_ms_clock_and_per_tuple_offset)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, r2 = {FX_PEER, FX_PEER_PORT + 1};
	struct synack_endpoint l = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	uint32_t v1 = o.opts.ts_val;
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	fx_wait(&f, 5 * FX_SEC + 250 * FX_MS);
	s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.opts.ts_val - v1, 5250);
	int s2 = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s2, &r2), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	CHECK(o.opts.ts_val - v1 != 5250);
	fx_free(&f);
}

/* §4.3 case (A): with delayed ACKs the TSval of the earliest unacknowledged
 * segment is echoed (rule (2): only a segment at Last.ACK.sent updates
 * TS.Recent). */
TEST(rfc7323_4_3_a_delayed_ack_echoes_earliest_segment)
{
	struct fx f;
	struct sn_tcp_seg sa, o;

	pat_init();
	int s = ts_est(&f, &sa);
	CHECK(s >= 0);
	pdata(&f, 0, 100, T0 + 10);
	CHECK_EQ(fx_pending(&f), 0); /* delayed */
	pdata(&f, 100, 100, T0 + 11);
	CHECK(fx_out(&f, &o)); /* every second segment (SHLD-19) */
	CHECK_EQ(o.ack, PEER_ISS + 1 + 200);
	CHECK_EQ(o.opts.ts_ecr, T0 + 10);
	fx_free(&f);
}

/* §4.3 cases (B) and (C), the RFC's own example: an ACK for out-of-order
 * data echoes the last segment that advanced RCV.NXT; the segment that fills
 * the hole is echoed. */
TEST(rfc7323_4_3_b_c_holes_echo_last_in_order_then_the_filler)
{
	struct fx f;
	struct sn_tcp_seg sa, o;

	pat_init();
	int s = ts_est(&f, &sa);
	CHECK(s >= 0);
	pdata(&f, 0, 100, T0 + 10); /* A */
	fx_wait(&f, 100 * FX_MS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.opts.ts_ecr, T0 + 10);
	pdata(&f, 200, 100, T0 + 30); /* C, out of order */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 100);
	CHECK_EQ(o.opts.ts_ecr, T0 + 10);
	pdata(&f, 100, 100, T0 + 20); /* B fills the hole */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 300);
	CHECK_EQ(o.opts.ts_ecr, T0 + 20);
	pdata(&f, 400, 100, T0 + 50); /* E */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.opts.ts_ecr, T0 + 20);
	pdata(&f, 300, 100, T0 + 40); /* D */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, PEER_ISS + 1 + 500);
	CHECK_EQ(o.opts.ts_ecr, T0 + 40);
	fx_free(&f);
}

/* §5.3 R1: a segment whose TSval is older than TS.Recent is not acceptable,
 * even in window: an ACK answers it, it is dropped and counted (drop reason
 * "paws", paws_rejected). The same bytes with a current TSval are taken. */
TEST(rfc7323_5_3_r1_old_tsval_dropped_and_acked)
{
	struct fx f;
	struct sn_tcp_seg sa, o;
	uint8_t buf[200];

	pat_init();
	int s = ts_est(&f, &sa);
	CHECK(s >= 0);
	pdata(&f, 0, 100, T0); /* older than TS.Recent = T0 + 1 */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(o.ack, PEER_ISS + 1);
	CHECK_EQ(o.opts.ts_ecr, T0 + 1);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), -EAGAIN);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_PAWS), 1);
	CHECK_EQ(counters(&f).paws_rejected, 1);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_SEQ), 0);
	pdata(&f, 0, 100, T0 + 1); /* equal is not older */
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 100);
	CHECK_EQ(memcmp(buf, pat, 100), 0);
	CHECK_EQ(counters(&f).paws_rejected, 1);
	fx_free(&f);
}

/* §5.2: PAWS "protects against duplicate <ACK> segments as well": an old ACK
 * acknowledging our data is dropped before it is looked at. Timestamps
 * compare in modular 32-bit space. */
TEST(rfc7323_5_2_old_ack_rejected_modular_compare)
{
	struct fx f;
	struct sn_tcp_seg sa, o;

	pat_init();
	int s = ts_est(&f, &sa);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	CHECK(fx_out(&f, &o));
	pack(&f, 100, T0 + 1 - 0x80000000u + 1, o.opts.ts_val); /* 2^31 - 1 behind */
	CHECK_EQ(info(&f, s).send_queue, 100);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_PAWS), 1);
	pack(&f, 100, T0 + 0x7fffffffu, o.opts.ts_val); /* 2^31 - 2 ahead: newer */
	CHECK_EQ(info(&f, s).send_queue, 0);
	fx_free(&f);
}

/* §5.2: "When an <RST> segment is received, it MUST NOT be subjected to the
 * PAWS check", nor update TS.Recent. */
TEST(rfc7323_5_2_rst_exempt_from_paws)
{
	struct fx f;
	struct sn_tcp_seg sa;

	int s = ts_est(&f, &sa);
	CHECK(s >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = PEER_ISS + 1, .ts = 1, .tsval = 3});
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	int err = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &err), 0);
	CHECK_EQ(err, -ECONNRESET);
	CHECK_EQ(counters(&f).paws_rejected, 0);
	fx_free(&f);
}

/* §5.5: after more than 24 days idle TS.Recent is outdated: a segment with
 * an older TSval is accepted and its TSval becomes TS.Recent. Before that,
 * it is rejected. */
TEST(rfc7323_5_5_ts_recent_outdated_after_24_days)
{
	struct fx f;
	struct sn_tcp_seg sa, o;
	uint8_t buf[100];

	pat_init();
	int s = ts_est(&f, &sa);
	CHECK(s >= 0);
	fx_wait(&f, 23ull * 24 * 3600 * FX_SEC);
	pdata(&f, 0, 10, T0 - 5);
	CHECK_EQ(counters(&f).paws_rejected, 1);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), -EAGAIN);
	fx_flush(&f);
	fx_wait(&f, 1ull * 24 * 3600 * FX_SEC + FX_SEC);
	pdata(&f, 0, 10, T0 - 5);
	CHECK_EQ(counters(&f).paws_rejected, 1);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 10);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 10), 10);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.opts.ts_ecr, T0 - 5);
	fx_free(&f);
}

/* §3.2: a segment without the expected TSopt is accepted (Linux; the RFC's
 * SHOULD drop is not followed, docs/configuration.md), and leaves TS.Recent
 * alone; a TSopt on a connection that did not negotiate timestamps "MUST be
 * ignored": no PAWS, and we never send one. */
TEST(rfc7323_3_2_missing_or_unnegotiated_tsopt)
{
	struct fx f;
	struct sn_tcp_seg sa, o;
	uint8_t buf[100];

	pat_init();
	int s = ts_est(&f, &sa);
	CHECK(s >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = f.our_iss + 1,
				   .wnd = 65535, .data = pat, .len = 10});
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 10);
	fx_wait(&f, 100 * FX_MS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.opts.ts_ecr, T0 + 1);
	fx_free(&f);

	CHECK_EQ(fx_init(&f, NULL), 0);
	s = fx_passive_established(&f, PEER_ISS); /* no TSopt on the SYN */
	CHECK(s >= 0);
	CHECK_EQ(info(&f, s).options & SYNACK_TCPI_OPT_TIMESTAMPS, 0);
	pdata(&f, 0, 10, 500);
	pdata(&f, 10, 10, 400); /* "older": not looked at */
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 20);
	CHECK_EQ(counters(&f).paws_rejected, 0);
	CHECK(fx_out(&f, &o));
	CHECK(!o.opts.has_ts);
	fx_free(&f);
}

/* §4 / Appendix D: with timestamps the first RTT is Snd.TSclock - TSecr of
 * the SYN,ACK; later ACKs that advance SND.UNA measure again (RFC 6298
 * (2.2), (2.3)). */
TEST(rfc7323_4_rtt_from_tsecr)
{
	struct fx f;
	struct sn_tcp_seg syn, o;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = ts_active(&f, 30, &syn);
	CHECK(s >= 0);
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.state, SYNACK_ESTABLISHED);
	CHECK_EQ(ti.srtt_us, 30000);
	CHECK_EQ(ti.rttvar_us, 15000);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	CHECK(fx_out(&f, &o));
	fx_wait(&f, 50 * FX_MS);
	pack(&f, 100, T0 + 1, o.opts.ts_val);
	ti = info(&f, s);
	CHECK_EQ(ti.srtt_us, (30000 * 7 + 50000) / 8);
	CHECK_EQ(ti.rttvar_us, (15000 * 3 + 20000) / 4);
	fx_free(&f);
}

/* §4.1 RTTM rule: a TSecr "MAY be used ... only if the segment advances the
 * left edge of the send window": a duplicate ACK measures nothing. */
TEST(rfc7323_4_1_rttm_rule_no_sample_without_new_data_acked)
{
	struct fx f;
	struct sn_tcp_seg syn, o;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = ts_active(&f, 30, &syn);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	CHECK(fx_out(&f, &o));
	fx_wait(&f, 90 * FX_MS);
	pack(&f, 0, T0 + 1, o.opts.ts_val); /* acknowledges nothing new */
	CHECK_EQ(info(&f, s).srtt_us, 30000);
	fx_free(&f);
}

/* RFC 7323 §4 makes Karn's exclusion unnecessary: the echo names
 * the transmission. The data is sent, times out after the RTO (200 ms),
 * goes again, and the ACK 10 ms later echoes the retransmission: a 10 ms
 * sample, and the backoff is over. */
TEST(rfc7323_4_rtt_sample_from_a_retransmission)
{
	struct fx f;
	struct sn_tcp_seg syn, o;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = ts_active(&f, 30, &syn);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 100), 100);
	CHECK(fx_out(&f, &o));
	fx_wait(&f, 200 * FX_MS);
	CHECK(fx_out(&f, &o)); /* the retransmission */
	CHECK_EQ(o.seq, f.our_iss + 1);
	CHECK_EQ(info(&f, s).rto_us, 400000); /* backed off */
	fx_wait(&f, 10 * FX_MS);
	pack(&f, 100, T0 + 1, o.opts.ts_val);
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.srtt_us, (30000 * 7 + 10000) / 8);
	CHECK_EQ(ti.rttvar_us, (15000 * 3 + 20000) / 4);
	CHECK_EQ(ti.rto_us, 200000); /* rto_min; the backoff is gone */
	fx_free(&f);
}

/* RFC 7323 Appendix G: many samples per RTT each weigh 1/ExpectedSamples,
 * ExpectedSamples = ceil(FlightSize / (2 * SMSS)). With the initial window
 * of 3 segments in flight, the first ACK's sample weighs half. */
TEST(rfc7323_appendix_g_samples_weighted_by_flight)
{
	struct fx f;
	struct sn_tcp_seg syn, o;

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = ts_active(&f, 30, &syn);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 3 * MSS), 3 * MSS);
	CHECK(fx_out(&f, &o));
	uint32_t first = o.opts.ts_val;
	CHECK_EQ(fx_pending(&f), 2);
	fx_wait(&f, 50 * FX_MS);
	pack(&f, MSS, T0 + 1, first); /* flight 4380: n = 2 */
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.srtt_us, (30000 * 15 + 50000) / 16);
	CHECK_EQ(ti.rttvar_us, (15000 * 7 + 20000) / 8);
	fx_free(&f);
}

/* Linux's PAWS check of a SYN,ACK (tcp_rcv_synsent_state_process): its
 * TSecr must echo a TSval sent since our first SYN; otherwise it is an old
 * duplicate: RST <SEQ=SEG.ACK>, counted, and the open goes on. */
TEST(linux_syn_ack_must_echo_our_syn_tsval)
{
	struct fx f;
	struct sn_tcp_seg syn, o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &syn));
	fx_wait(&f, 20 * FX_MS);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = PEER_ISS,
				   .ack = syn.seq + 1, .wnd = 65535, .mss = MSS, .ts = 1,
				   .tsval = T0, .tsecr = syn.opts.ts_val - 1});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_RST);
	CHECK_EQ(o.seq, syn.seq + 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_SYN_SENT);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_PAWS), 1);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = PEER_ISS,
				   .ack = syn.seq + 1, .wnd = 65535, .mss = MSS, .ts = 1,
				   .tsval = T0, .tsecr = syn.opts.ts_val + 21}); /* the future */
	CHECK_EQ(fx_state(&f, s), SYNACK_SYN_SENT);
	CHECK_EQ(counters(&f).paws_rejected, 2);
	fx_flush(&f);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = PEER_ISS,
				   .ack = syn.seq + 1, .wnd = 65535, .mss = MSS, .ts = 1,
				   .tsval = T0, .tsecr = syn.opts.ts_val + 20});
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK_EQ(info(&f, s).srtt_us, 1000); /* an echo of this very tick: 1 ms, as Linux counts it */
	fx_free(&f);
}
