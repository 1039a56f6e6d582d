/*
 * TCP options on the SYNs and window scaling: RFC 7323 §2 (window scale
 * option, its negotiation, scaled windows in both directions, the edge that
 * never moves left), RFC 7323 §3.2 and RFC 2018 §2 (timestamps and
 * SACK-permitted negotiation), the stack's knobs (tcp_window_scaling,
 * tcp_timestamps, tcp_sack), option space (at most 40 bytes, RFC 9293 §3.1)
 * and the out-of-order ranges reported as SACK blocks (RFC 2018 §4).
 */
#include "check.h"
#include "stack/stack.h"
#include "tcp_fixture.h"

#define PEER_ISS 5000u
#define MSS 1460u
#define BUF256K 262144u

static uint8_t pat[300000];

static void pat_init(void)
{
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 7 + i / 251 + 3);
}

static struct synack_tcp_info info(struct fx *f, int s)
{
	struct synack_tcp_info ti;
	memset(&ti, 0, sizeof(ti));
	synack_sock_info(f->st, s, &ti);
	return ti;
}

static struct synack_config cfg_buf(uint32_t buf)
{
	struct synack_config c;
	synack_config_default(&c);
	c.rcvbuf = buf;
	c.sndbuf = buf;
	return c;
}

/* The option bytes of the datagram fx_out returned last. */
static const uint8_t *last_opts(const struct fx *f)
{
	return f->last.buf + SN_IPV4_HDR_LEN + SN_TCP_HDR_LEN;
}

/* Active open; the peer answers our SYN with a SYN,ACK carrying synack's
 * options (its flags, seq, ack are filled in here). Returns the socket; our
 * SYN in *syn; the ACK we sent in *ack. */
static int active(struct fx *f, const struct synack_config *c, struct fx_seg synack,
		  struct sn_tcp_seg *syn, struct sn_tcp_seg *ack)
{
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};
	if (fx_init(f, c))
		return -1;
	int s = synack_sock_open(f->st);
	if (s < 0 || synack_sock_bind(f->st, s, &l) ||
	    synack_sock_connect(f->st, s, &r) != -EINPROGRESS || !fx_out(f, syn))
		return -1;
	f->our_iss = syn->seq;
	f->peer_iss = PEER_ISS;
	synack.flags = SN_TCP_SYN | SN_TCP_ACK;
	synack.seq = PEER_ISS;
	synack.ack = syn->seq + 1;
	if (!synack.mss)
		synack.mss = MSS;
	fx_in(f, &synack);
	if (!fx_out(f, ack))
		return -1;
	return s;
}

/* Passive open; the peer's SYN carries syn's options, then its ACK (window
 * ack_wnd, a TSopt if the SYN had one). Our SYN,ACK in *sa. Returns the
 * accepted socket. */
static int passive(struct fx *f, const struct synack_config *c, struct fx_seg syn,
		   struct sn_tcp_seg *sa, uint16_t ack_wnd)
{
	if (fx_init(f, c) || fx_listen(f) < 0)
		return -1;
	f->peer_iss = PEER_ISS;
	syn.flags = SN_TCP_SYN;
	syn.seq = PEER_ISS;
	if (!syn.wnd)
		syn.wnd = 65535;
	if (!syn.mss)
		syn.mss = MSS;
	fx_in(f, &syn);
	if (!fx_out(f, sa))
		return -1;
	f->our_iss = sa->seq;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = sa->seq + 1,
				  .wnd = ack_wnd, .ts = syn.ts, .tsval = syn.tsval + 1,
				  .tsecr = sa->opts.ts_val});
	return synack_sock_accept(f->st, f->lsock, NULL);
}

/* RFC 7323 §2.2, §3.2, in the wire layer's (Linux's) layout: by default our
 * SYN offers MSS, timestamps (TSecr 0: no ACK bit) and a window scale (0
 * for a 64 KiB buffer: "offering to scale"), 20 bytes; with tcp_sack on,
 * SACK-permitted takes the place of the two NOPs (RFC 2018 §2). */
TEST(rfc7323_2_2_syn_offers_mss_ts_wscale_and_sackok_with_tcp_sack)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT};

	for (int sack = 0; sack < 2; sack++) {
		synack_config_default(&c);
		c.tcp_sack = (uint8_t)sack;
		CHECK_EQ(fx_init(&f, &c), 0);
		int s = synack_sock_open(f.st);
		CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
		CHECK(fx_out(&f, &o));
		CHECK_EQ(o.flags, SN_TCP_SYN);
		CHECK_EQ(o.hdr_len, 40);
		uint32_t v = o.opts.ts_val;
		const uint8_t want[20] = {2, 4, 0x05, 0xb4, sack ? 4 : 1, sack ? 2 : 1, 8, 10,
					  (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
					  (uint8_t)v, 0, 0, 0, 0, 1, 3, 3, 0};
		CHECK_EQ(memcmp(last_opts(&f), want, sizeof(want)), 0);
		CHECK_EQ(o.wnd, 65535);
		/* the retransmitted SYN carries them again, TSval 1 tick per ms later */
		fx_wait(&f, 1 * FX_SEC);
		CHECK(fx_out(&f, &o));
		CHECK_EQ(o.flags, SN_TCP_SYN);
		CHECK(o.opts.has_mss && o.opts.has_ts && o.opts.has_wscale);
		CHECK_EQ(o.opts.sack_ok, sack);
		CHECK_EQ(o.opts.ts_val - v, 1000);
		CHECK_EQ(o.opts.ts_ecr, 0);
		fx_free(&f);
	}
}

/* RFC 7323 §2.2/§2.3/§3.2, RFC 2018 §2: the SYN,ACK carries an option only
 * if the SYN did; the connection uses only what both sides sent (here with
 * tcp_sack on, so that all three can be offered). */
TEST(rfc7323_2_3_syn_ack_answers_only_what_the_syn_offered)
{
	static const struct {
		struct fx_seg syn;
		uint8_t hdr_len, options;
	} cases[] = {
		{{.mss = MSS}, 24, 0},
		{{.ws = 1, .wscale = 5}, 28, SYNACK_TCPI_OPT_WSCALE},
		{{.ts = 1, .tsval = 777}, 36, SYNACK_TCPI_OPT_TIMESTAMPS},
		{{.sack_ok = 1}, 28, SYNACK_TCPI_OPT_SACK},
		{{.ws = 1, .wscale = 5, .ts = 1, .tsval = 777, .sack_ok = 1}, 40,
		 SYNACK_TCPI_OPT_WSCALE | SYNACK_TCPI_OPT_TIMESTAMPS | SYNACK_TCPI_OPT_SACK},
	};
	struct synack_config c;
	synack_config_default(&c);
	c.tcp_sack = 1;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx f;
		struct sn_tcp_seg sa;
		int s = passive(&f, &c, cases[i].syn, &sa, 65535);
		CHECK(s >= 0);
		CHECK_EQ(sa.flags, SN_TCP_SYN | SN_TCP_ACK);
		CHECK_EQ(sa.hdr_len, cases[i].hdr_len);
		CHECK(sa.opts.has_mss);
		CHECK_EQ(sa.opts.has_wscale, cases[i].syn.ws);
		CHECK_EQ(sa.opts.has_ts, cases[i].syn.ts);
		CHECK_EQ(sa.opts.sack_ok, cases[i].syn.sack_ok);
		if (sa.opts.has_wscale)
			CHECK_EQ(sa.opts.wscale, 0); /* a 64 KiB buffer needs no shift */
		if (sa.opts.has_ts)
			CHECK_EQ(sa.opts.ts_ecr, 777); /* echoes the SYN's TSval */
		struct synack_tcp_info ti = info(&f, s);
		CHECK_EQ(ti.state, SYNACK_ESTABLISHED);
		CHECK_EQ(ti.options, cases[i].options);
		CHECK_EQ(ti.snd_wscale, cases[i].syn.ws ? 5 : 0);
		fx_free(&f);
	}
}

/* RFC 7323 §2.3: "otherwise, it MUST set both Snd.Wind.Shift and
 * Rcv.Wind.Shift to zero". We offered shift 3 for a 256 KiB buffer; the
 * peer's SYN,ACK has no window scale: no scaling either way, our window is
 * capped at 65535 and the peer's is taken as it is. */
TEST(rfc7323_2_3_one_sided_offer_means_no_scaling)
{
	struct fx f;
	struct sn_tcp_seg syn, ack;
	struct synack_config c = cfg_buf(BUF256K);

	int s = active(&f, &c, (struct fx_seg){.wnd = 1000, .ts = 1, .tsval = 9}, &syn, &ack);
	CHECK(s >= 0);
	CHECK(syn.opts.has_wscale);
	CHECK_EQ(syn.opts.wscale, 3);
	CHECK_EQ(ack.wnd, 65535);
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.state, SYNACK_ESTABLISHED);
	CHECK_EQ(ti.snd_wscale, 0);
	CHECK_EQ(ti.rcv_wscale, 0);
	CHECK_EQ(ti.options, SYNACK_TCPI_OPT_TIMESTAMPS);
	CHECK_EQ(ti.rcv_wnd, 65535);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = syn.seq + 1,
				   .wnd = 1000, .ts = 1, .tsval = 10});
	CHECK_EQ(info(&f, s).snd_wnd, 1000);
	fx_free(&f);
}

/* RFC 7323 §2.3 both directions: with a 256 KiB buffer we send shift 3, the
 * peer shift 2. SYN windows are never scaled (§2.2); every later window
 * field is: theirs << 2 into SND.WND, ours RCV.WND >> 3. The windows are
 * 32-bit numbers (REC-1), not 16-bit fields. */
TEST(rfc7323_2_3_windows_scaled_both_directions)
{
	struct fx f;
	struct sn_tcp_seg syn, ack, o;
	struct synack_config c = cfg_buf(BUF256K);

	pat_init();
	int s = active(&f, &c, (struct fx_seg){.wnd = 1000, .ws = 1, .wscale = 2}, &syn, &ack);
	CHECK(s >= 0);
	CHECK_EQ(syn.opts.wscale, 3);
	CHECK_EQ(syn.wnd, 65535);              /* unscaled on the SYN */
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.snd_wscale, 2);
	CHECK_EQ(ti.rcv_wscale, 3);
	CHECK_EQ(ti.snd_wnd, 1000);            /* the SYN,ACK's window is not scaled */
	CHECK_EQ(ack.wnd, BUF256K >> 3);       /* ours is: 262144 >> 3 */
	CHECK_EQ(ti.rcv_wnd, BUF256K);
	/* the peer's next window field 1000 means 4000 bytes */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = syn.seq + 1,
				   .wnd = 1000});
	CHECK_EQ(info(&f, s).snd_wnd, 4000);
	/* and it is used: two full segments go out, more than 1000 bytes */
	CHECK_EQ(synack_sock_send(f.st, s, pat, 3000), 3000);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.len, MSS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.len, MSS);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(o.wnd, BUF256K >> 3);
	fx_free(&f);
}

/* MUST-10 with RFC 7323 §2.2: in a simultaneous open both SYNs negotiate,
 * and the window of the peer's SYN,ACK, which completes it, is a SYN's
 * window: not scaled. The next ACK's is. */
TEST(rfc7323_2_2_simultaneous_open_syn_ack_window_not_scaled)
{
	struct fx f;
	struct sn_tcp_seg syn, sa;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT}, l = {0, FX_PORT};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &syn));
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = PEER_ISS, .wnd = 1000, .mss = MSS,
				   .ws = 1, .wscale = 2, .ts = 1, .tsval = 40});
	CHECK(fx_out(&f, &sa));
	CHECK_EQ(sa.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK(sa.opts.has_wscale && sa.opts.has_ts);
	CHECK_EQ(sa.opts.ts_ecr, 40);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = PEER_ISS,
				   .ack = syn.seq + 1, .wnd = 1000, .mss = MSS, .ws = 1, .wscale = 2,
				   .ts = 1, .tsval = 41, .tsecr = sa.opts.ts_val});
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.state, SYNACK_ESTABLISHED);
	CHECK_EQ(ti.snd_wscale, 2);
	CHECK_EQ(ti.snd_wnd, 1000);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = syn.seq + 1,
				   .wnd = 1000, .ts = 1, .tsval = 42, .tsecr = sa.opts.ts_val});
	CHECK_EQ(info(&f, s).snd_wnd, 4000);
	fx_free(&f);
}

/* RFC 7323 §2.3: a shift above 14 is used as 14. */
TEST(rfc7323_2_3_peer_shift_above_14_used_as_14)
{
	struct fx f;
	struct sn_tcp_seg syn, ack;

	int s = active(&f, NULL, (struct fx_seg){.wnd = 65535, .ws = 1, .wscale = 15}, &syn, &ack);
	CHECK(s >= 0);
	CHECK_EQ(info(&f, s).snd_wscale, 14);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = syn.seq + 1,
				   .wnd = 1});
	CHECK_EQ(info(&f, s).snd_wnd, 16384);
	fx_free(&f);
}

/* RFC 7323 §2.2: "A Window Scale option in a segment without a SYN bit
 * MUST be ignored" (and so is SACK-permitted, RFC 2018 §2). */
TEST(rfc7323_2_2_wscale_outside_syn_ignored)
{
	struct fx f;
	struct sn_tcp_seg syn, ack;
	struct synack_config c;

	synack_config_default(&c);
	c.tcp_sack = 1;
	int s = active(&f, &c, (struct fx_seg){.wnd = 65535, .ws = 1, .wscale = 2}, &syn, &ack);
	CHECK(s >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = syn.seq + 1,
				   .wnd = 100, .ws = 1, .wscale = 7, .sack_ok = 1});
	struct synack_tcp_info ti = info(&f, s);
	CHECK_EQ(ti.snd_wscale, 2);
	CHECK_EQ(ti.snd_wnd, 400);
	CHECK_EQ(ti.options & SYNACK_TCPI_OPT_SACK, 0);
	fx_free(&f);
}

/* RFC 7323 §2.3: "The Window Scale option MUST be sent with shift.cnt = R,
 * where R is the value that the TCP would like to use for its receive
 * window": the smallest shift that covers the buffer, at most 14. */
TEST(rfc7323_2_3_shift_from_receive_buffer)
{
	static const struct {
		uint32_t buf;
		uint8_t shift;
	} cases[] = {{0, 0},         {4096, 0},        {65535, 0},  {65536, 1},  {131070, 1},
		     {131071, 2},    {BUF256K, 3},     {1u << 20, 5}, {1u << 30, 14},
		     {UINT32_MAX, 14}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_EQ(tcp_wscale_for(cases[i].buf), cases[i].shift);

	/* per socket: SO_RCVBUF decides the shift on the SYN */
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT};
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_RCVBUF, 1 << 20), 0);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.opts.wscale, 5);
	fx_free(&f);
}

/* A 256 KiB receive buffer is usable (the 64 KiB cap is gone; REC-1): a
 * window of 262144 bytes is offered and filled. SHLD-14 with scaling (RFC
 * 7323 §2.4): the window field is rounded up, so ACK + field << 3 never lies
 * left of an edge advertised before; what the peer sends past the free
 * buffer in that rounding (here 1 byte) is trimmed and counted, never stored
 * out of bounds. */
TEST(rfc7323_2_4_large_buffer_usable_and_edge_never_moves_left)
{
	struct fx f;
	struct sn_tcp_seg sa, o;
	struct synack_config c = cfg_buf(BUF256K);

	pat_init();
	int s = passive(&f, &c, (struct fx_seg){.ws = 1, .wscale = 0}, &sa, 65535);
	CHECK(s >= 0);
	CHECK_EQ(sa.opts.wscale, 3);
	CHECK_EQ(sa.wnd, 65535); /* the SYN,ACK's window is not scaled */
	uint32_t base = PEER_ISS + 1;
	/* 1001 bytes: the free space is no multiple of 8 any more */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = base, .ack = f.our_iss + 1,
				   .wnd = 65535, .data = pat, .len = 1001});
	fx_wait(&f, 100 * FX_MS); /* the delayed ACK */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ack, base + 1001);
	CHECK_EQ(o.wnd, (BUF256K - 1001 + 7) / 8);
	uint32_t edge = o.ack + ((uint32_t)o.wnd << 3);
	CHECK_EQ(edge, base + BUF256K + 1); /* one byte past the buffer, not one short */
	/* the peer fills the window to that edge, nothing read */
	uint32_t off = 1001, prev_edge = edge;
	while (base + off != edge) {
		uint32_t n = edge - (base + off) < MSS ? edge - (base + off) : MSS;
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = base + off,
					   .ack = f.our_iss + 1, .wnd = 65535, .data = pat + off,
					   .len = n});
		off += n;
		while (fx_out(&f, &o)) {
			CHECK(seq_geq(o.ack + ((uint32_t)o.wnd << 3), prev_edge));
			prev_edge = o.ack + ((uint32_t)o.wnd << 3);
		}
	}
	fx_wait(&f, 100 * FX_MS);
	while (fx_out(&f, &o)) {
		CHECK(seq_geq(o.ack + ((uint32_t)o.wnd << 3), prev_edge));
		prev_edge = o.ack + ((uint32_t)o.wnd << 3);
	}
	CHECK_EQ(info(&f, s).recv_queue, BUF256K);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_RCV_WINDOW), 1);
	CHECK_EQ(o.ack, base + BUF256K);
	/* every byte kept is the right one */
	static uint8_t got[BUF256K];
	CHECK_EQ(synack_sock_recv(f.st, s, got, sizeof(got)), BUF256K);
	CHECK_EQ(memcmp(got, pat, BUF256K), 0);
	/* reading it all reopens the whole window at once */
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.wnd, BUF256K >> 3);
	fx_free(&f);
}

/* RFC 9293 §3.1: options take at most 40 bytes. Over a whole connection with
 * every option negotiated (SYN,ACK, data, ACKs, FIN, and the RST of an
 * abort) none exceeds it; the SYN,ACK takes 20, the rest the 12 of TS. */
TEST(rfc9293_3_1_options_never_exceed_40_bytes)
{
	struct fx f;
	struct sn_tcp_seg sa, o;
	struct synack_config c = cfg_buf(BUF256K);

	pat_init();
	c.tcp_sack = 1;
	int s = passive(&f, &c, (struct fx_seg){.ws = 1, .wscale = 7, .ts = 1, .tsval = 50, .sack_ok = 1},
			&sa, 65535);
	CHECK(s >= 0);
	CHECK_EQ(sa.hdr_len, SN_TCP_HDR_LEN + 20);
	CHECK_EQ(synack_sock_send(f.st, s, pat, 5000), 5000);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = f.our_iss + 1,
				   .wnd = 65535, .data = pat, .len = 1000, .ts = 1, .tsval = 60,
				   .tsecr = sa.opts.ts_val});
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	fx_wait(&f, 300 * FX_MS);
	CHECK_EQ(synack_sock_abort(f.st, s), 0);
	int n = 0;
	while (fx_out(&f, &o)) {
		CHECK(o.hdr_len - SN_TCP_HDR_LEN <= SN_TCP_MAX_OPT_LEN);
		CHECK_EQ(o.hdr_len, SN_TCP_HDR_LEN + 12);
		CHECK(o.opts.has_ts);
		n++;
	}
	CHECK(n >= 5); /* data, retransmission, FIN, ACK, RST */
	fx_free(&f);
}

/* RFC 2018 §2 with tcp_sack on (the default, as Linux): SACK-permitted is
 * offered on our SYN and recorded when both SYNs carry it, one-sided it is
 * not. Off, a peer's offer is not taken up. */
TEST(rfc2018_2_sack_permitted_recorded_when_both_sent)
{
	struct fx f;
	struct sn_tcp_seg syn, ack;
	struct synack_config c;

	synack_config_default(&c);
	c.tcp_sack = 1;
	int s = active(&f, &c, (struct fx_seg){.wnd = 65535, .sack_ok = 1}, &syn, &ack);
	CHECK(s >= 0);
	CHECK(syn.opts.sack_ok);
	CHECK_EQ(info(&f, s).options, SYNACK_TCPI_OPT_SACK);
	fx_free(&f);
	s = active(&f, &c, (struct fx_seg){.wnd = 65535}, &syn, &ack);
	CHECK(s >= 0);
	CHECK_EQ(info(&f, s).options, 0);
	fx_free(&f);
	c.tcp_sack = 0;
	s = active(&f, &c, (struct fx_seg){.wnd = 65535, .sack_ok = 1}, &syn, &ack);
	CHECK(s >= 0);
	CHECK(!syn.opts.sack_ok);
	CHECK_EQ(info(&f, s).options, 0);
	fx_free(&f);
}

/* The knobs tcp_window_scaling, tcp_timestamps and tcp_sack (Linux's sysctls
 * of those names): off, our SYN carries MSS alone, and an offer from the peer
 * is not taken up. synack_stack_reconfigure changes them at runtime. */
TEST(knobs_tcp_window_scaling_timestamps_sack_off)
{
	struct fx f;
	struct sn_tcp_seg o, sa;
	struct synack_config c;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT};

	synack_config_default(&c);
	CHECK_EQ(c.tcp_window_scaling, 1);
	CHECK_EQ(c.tcp_timestamps, 1);
	CHECK_EQ(c.tcp_sack, 1); /* as Linux */
	CHECK_EQ(c.tcp_dsack, 1);
	c.tcp_window_scaling = c.tcp_timestamps = c.tcp_sack = 0;
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.hdr_len, 24);
	CHECK(o.opts.has_mss && !o.opts.has_wscale && !o.opts.has_ts && !o.opts.sack_ok);
	fx_free(&f);

	s = passive(&f, &c, (struct fx_seg){.ws = 1, .wscale = 7, .ts = 1, .tsval = 50, .sack_ok = 1},
		    &sa, 65535);
	CHECK(s >= 0);
	CHECK_EQ(sa.hdr_len, 24);
	CHECK_EQ(info(&f, s).options, 0);
	/* back on at runtime: the next connection offers them again */
	c.tcp_window_scaling = c.tcp_timestamps = c.tcp_sack = 1;
	c.addr = FX_US;
	CHECK_EQ(synack_stack_reconfigure(f.st, &c), 0);
	s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &r), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.hdr_len, 40);
	c.tcp_timestamps = 2;
	CHECK_EQ(synack_stack_reconfigure(f.st, &c), -EINVAL);
	fx_free(&f);
}

/* RFC 2018 §4, the order of the SACK blocks options.c sends: the
 * out-of-order ranges come out with the one holding the latest segment
 * first, then the most recently changed, and follow merges and a filled
 * hole (test_tcp_sack.c checks the blocks on the wire). */
TEST(rfc2018_4_ooo_ranges_as_sack_blocks_most_recent_first)
{
	struct fx f;
	struct sn_seq_range b[8];

	pat_init();
	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, PEER_ISS);
	CHECK(s >= 0);
	struct sn_tcb *tcb = f.st->socks[s].tcb;
	uint32_t base = PEER_ISS + 1;
	static const uint32_t segs[][2] = {{3000, 1000}, {6000, 1000}, {1000, 1000}};
	for (int i = 0; i < 3; i++)
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = base + segs[i][0],
					   .ack = f.our_iss + 1, .wnd = 65535, .data = pat,
					   .len = segs[i][1]});
	CHECK_EQ(tcp_reass_sack_blocks(tcb, b, 8), 3);
	CHECK_EQ(b[0].start, base + 1000);
	CHECK_EQ(b[1].start, base + 6000);
	CHECK_EQ(b[2].start, base + 3000);
	CHECK_EQ(tcp_reass_sack_blocks(tcb, b, 2), 2); /* the caller's limit */
	/* [3500, 4500) grows [3000, 4000): that range is now the latest */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = base + 3500, .ack = f.our_iss + 1,
				   .wnd = 65535, .data = pat, .len = 1000});
	CHECK_EQ(tcp_reass_sack_blocks(tcb, b, 8), 3);
	CHECK_EQ(b[0].start, base + 3000);
	CHECK_EQ(b[0].end, base + 4500);
	CHECK_EQ(b[1].start, base + 1000);
	CHECK_EQ(b[2].start, base + 6000);
	/* the hole before 1000 fills: [1000, 2000) is delivered, two remain */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = base, .ack = f.our_iss + 1,
				   .wnd = 65535, .data = pat, .len = 1000});
	CHECK_EQ(tcp_reass_sack_blocks(tcb, b, 8), 2);
	CHECK_EQ(b[0].start, base + 3000);
	CHECK_EQ(b[1].start, base + 6000);
	CHECK_EQ(info(&f, s).recv_queue, 2000);
	fx_free(&f);
}

/* RFC 9293 §3.7.1 (MUST-16's "effective send MSS"): the payload of a
 * segment is the MSS less the TCP options it carries. With timestamps
 * negotiated every segment carries 12 option bytes, so full segments hold
 * MSS - 12 (1448 for the peer's 1460, Linux's mss_cache), and the datagram
 * stays within the 1500 bytes the MSS was derived from. While out-of-order
 * data is queued, a full data segment leaves off the SACK blocks that do
 * not fit (RFC 2018 §4: as many as fit); a pure ACK carries them all.
 * (fuzz_input found 1512-byte datagrams.) */
TEST(rfc9293_3_7_1_payload_is_mss_less_options_sent)
{
	struct fx f;
	struct sn_tcp_seg sa, o;
	struct synack_config c = cfg_buf(BUF256K);

	pat_init();
	int s = passive(&f, &c, (struct fx_seg){.ws = 1, .wscale = 7, .ts = 1, .tsval = 50, .sack_ok = 1},
			&sa, 65535);
	CHECK(s >= 0);
	CHECK_EQ(info(&f, s).snd_mss, MSS - 12);
	/* two holes in what the peer sends: our ACKs carry SACK blocks */
	uint32_t base = PEER_ISS + 1;
	for (uint32_t off = 1000; off <= 3000; off += 2000)
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = base + off, .ack = f.our_iss + 1,
					   .wnd = 65535, .data = pat, .len = 500, .ts = 1, .tsval = 60,
					   .tsecr = sa.opts.ts_val});
	int acks = 0;
	while (fx_out(&f, &o)) {
		CHECK_EQ(o.len, 0);
		CHECK(o.opts.nsack >= 1);
		acks++;
	}
	CHECK_EQ(acks, 2);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_NODELAY, 1), 0); /* the tail goes too */
	/* two full segments and a tail: within the initial window (RFC 5681
	 * §3.1: 3 segments of this size) */
	CHECK_EQ(synack_sock_send(f.st, s, pat, 2 * (MSS - 12) + 600), 2 * (MSS - 12) + 600);
	int full = 0, sent = 0;
	while (fx_out(&f, &o)) {
		CHECK(o.hdr_len + o.len <= MSS + SN_TCP_HDR_LEN); /* within the 1500-byte datagram */
		CHECK(o.opts.has_ts);
		if (o.len == MSS - 12) {
			full++;
			CHECK_EQ(o.opts.nsack, 0); /* no room left */
		} else {
			CHECK_EQ(o.opts.nsack, 2); /* the short tail has room for both */
		}
		sent += (int)o.len;
	}
	CHECK_EQ(sent, 2 * (int)(MSS - 12) + 600);
	CHECK_EQ(full, 2);
	fx_free(&f);
}
