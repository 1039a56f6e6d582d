/*
 * RFC 5961 (as RFC 9293 §3.10.7.4 describes it) and its rate limit:
 * blind RST, SYN and ACK injection answered by challenge ACKs.
 */
#include "check.h"
#include "tcp_fixture.h"

#define P 1000u /* the peer's ISN */

static void rst(struct fx *f, uint32_t seq)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = seq});
}

static struct synack_counters ctr(struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c;
}

/* §3.2: an RST exactly at RCV.NXT resets; one elsewhere in the window draws
 * a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT> and changes nothing; one
 * outside the window is dropped silently. */
TEST(rfc5961_3_2_rst_exact_resets_in_window_challenges)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, P);
	CHECK(s >= 0);
	rst(&f, P + 2);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(o.seq, f.our_iss + 1);
	CHECK_EQ(o.ack, P + 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	rst(&f, P + 1 + 200000); /* outside the window */
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_RST_CHALLENGE), 1);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_RST_SEQ), 1);
	CHECK_EQ(ctr(&f).challenge_acks, 1);
	rst(&f, P + 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	CHECK_EQ(synack_sock_recv(f.st, s, &o, 1), -ECONNRESET);
	fx_free(&f);
}

/* §5.2: an ACK older than SND.UNA - MAX.SND.WND is dropped with a
 * challenge ACK; so is one for data never sent. Neither moves anything. */
TEST(rfc5961_5_2_ack_outside_acceptable_range_challenged)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, P);
	CHECK(s >= 0);
	uint32_t I = f.our_iss;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = P + 1, .ack = I + 1 - 70000,
				   .wnd = 65535, .data = "x", .len = 1});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(o.ack, P + 1); /* the data was not taken */
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_ACK_TOO_OLD), 1);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = P + 1, .ack = I + 5000, .wnd = 65535});
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_ACK);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_ACK_UNSENT), 1);
	CHECK_EQ(ctr(&f).challenge_acks, 2);
	/* an ACK inside [SND.UNA - MAX.SND.WND, SND.UNA] is fine: data taken */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = P + 1, .ack = I + 1 - 1000,
				   .wnd = 65535, .data = "y", .len = 1});
	char b;
	CHECK_EQ(synack_sock_recv(f.st, s, &b, 1), 1);
	CHECK_EQ(b, 'y');
	fx_free(&f);
}

/* §7 and CVE-2016-5696: challenge ACKs are limited per second, with a
 * budget drawn at random from [limit/2, 3*limit/2) each second. */
TEST(rfc5961_7_challenge_acks_rate_limited_and_randomised)
{
	struct fx f;
	struct synack_config c;
	uint32_t sent[4];

	synack_config_default(&c);
	c.challenge_ack_limit = 20;
	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK(fx_passive_established(&f, P) >= 0);
	for (int sec = 0; sec < 4; sec++) {
		fx_flush(&f);
		for (int i = 0; i < 200; i++)
			rst(&f, P + 2 + (uint32_t)i);
		sent[sec] = (uint32_t)fx_pending(&f);
		CHECK(sent[sec] >= 10 && sent[sec] < 30);
		fx_wait(&f, FX_SEC);
	}
	struct synack_counters k = ctr(&f);
	CHECK_EQ(k.challenge_acks + k.challenge_acks_limited, 800);
	CHECK_EQ(k.challenge_acks, sent[0] + sent[1] + sent[2] + sent[3]);
	/* not one fixed number: an attacker can't count to the limit */
	CHECK(sent[0] != sent[1] || sent[1] != sent[2] || sent[2] != sent[3]);
	CHECK_EQ(fx_conn_state(&f), SYNACK_ESTABLISHED);
	fx_free(&f);
}

/* tcp_challenge_ack_limit = 0: no limit. */
TEST(rfc5961_7_limit_zero_means_unlimited)
{
	struct fx f;
	struct synack_config c;

	synack_config_default(&c);
	c.challenge_ack_limit = 0;
	CHECK_EQ(fx_init(&f, &c), 0);
	CHECK(fx_passive_established(&f, P) >= 0);
	for (int i = 0; i < 3000; i++)
		rst(&f, P + 2);
	CHECK_EQ(ctr(&f).challenge_acks, 3000);
	fx_free(&f);
}

/* rfc5961 = 0 gives RFC 793: an in-window SYN resets the connection (and
 * tells the peer with RST), an in-window RST is accepted. */
TEST(rfc793_mode_syn_in_window_resets)
{
	struct fx f;
	struct synack_config c;
	struct sn_tcp_seg o;

	synack_config_default(&c);
	c.rfc5961 = 0;
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = fx_passive_established(&f, P);
	CHECK(s >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = P + 100, .wnd = 65535});
	CHECK(fx_out(&f, &o));
	CHECK(o.flags & SN_TCP_RST);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	int err = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &err), 0);
	CHECK_EQ(err, -ECONNRESET);
	fx_free(&f);
}

/* A blind attacker sprays RSTs across the sequence space, one per 16 KiB
 * step: with RFC 5961 the connection survives unless a guess hits RCV.NXT
 * exactly; in RFC 793 mode the first guess inside the window kills it. */
TEST(rfc5961_blind_rst_spray_survives_rfc793_does_not)
{
	for (int mode = 1; mode >= 0; mode--) {
		struct fx f;
		struct synack_config c;
		synack_config_default(&c);
		c.rfc5961 = (uint8_t)mode;
		CHECK_EQ(fx_init(&f, &c), 0);
		int s = fx_passive_established(&f, P);
		CHECK(s >= 0);
		for (uint32_t g = 0; g < 262144; g++)
			rst(&f, g * 16384u + 7u); /* never exactly P + 1 */
		CHECK_EQ(fx_state(&f, s), mode ? SYNACK_ESTABLISHED : SYNACK_CLOSED);
		fx_free(&f);
	}
}
