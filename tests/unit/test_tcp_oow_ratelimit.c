/*
 * tcp_invalid_ratelimit: an unacceptable segment draws an ACK (RFC 9293
 * §3.10.7.4; RFC 7323 §5.3 for PAWS), but pure ACKs are answered at most
 * once per interval per connection, as Linux does, so that two peers that
 * find each other's ACKs unacceptable cannot spin (tests/sim/test_sim_ackwar.c
 * shows the loop). Data is always answered.
 */
#include "check.h"
#include "tcp_fixture.h"

static struct synack_counters ctr(struct fx *f)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return c;
}

static int fixture(struct fx *f, uint32_t ratelimit_us)
{
	struct synack_config c;
	synack_config_default(&c);
	c.invalid_ratelimit_us = ratelimit_us;
	if (fx_init(f, &c))
		return -1;
	return fx_passive_established(f, 1000);
}

/* a pure ACK 100000 bytes past RCV.NXT: outside the 65535-byte window */
static void oow_ack(struct fx *f)
{
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001 + 100000, .ack = f->our_iss + 1,
				  .wnd = 65535});
}

static int acks_out(struct fx *f)
{
	struct sn_tcp_seg o;
	int n = 0;

	while (fx_out(f, &o))
		n += o.flags == SN_TCP_ACK && o.seq == f->our_iss + 1 && o.ack == 1001;
	return n;
}

TEST(tcp_invalid_ratelimit_one_ack_per_interval)
{
	struct fx f;

	CHECK(fixture(&f, 500000) >= 0);
	oow_ack(&f);
	CHECK_EQ(acks_out(&f), 1); /* §3.10.7.4: the first one is answered */
	fx_wait(&f, 10 * FX_MS);
	oow_ack(&f);
	fx_wait(&f, 10 * FX_MS);
	oow_ack(&f);
	CHECK_EQ(acks_out(&f), 0);
	CHECK_EQ(ctr(&f).oow_acks_skipped_seq, 2);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_SEQ), 3); /* all dropped and counted */
	/* data out of the window is always answered */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001 + 100000, .ack = f.our_iss + 1,
				   .wnd = 65535, .data = "x", .len = 1});
	CHECK_EQ(acks_out(&f), 1);
	fx_wait(&f, 500 * FX_MS);
	oow_ack(&f);
	CHECK_EQ(acks_out(&f), 1); /* a new interval */
	CHECK_EQ(ctr(&f).oow_acks_skipped_seq, 2);
	fx_free(&f);
}

/* tcp_invalid_ratelimit = 0: every unacceptable segment is answered. */
TEST(tcp_invalid_ratelimit_zero_answers_all)
{
	struct fx f;

	CHECK(fixture(&f, 0) >= 0);
	for (int i = 0; i < 3; i++)
		oow_ack(&f);
	CHECK_EQ(acks_out(&f), 3);
	CHECK_EQ(ctr(&f).oow_acks_skipped_seq, 0);
	fx_free(&f);
}

/* PAWS rejects (RFC 7323 §5.3 R1) share the limit: TcpExtTCPACKSkippedPAWS. */
TEST(tcp_invalid_ratelimit_paws)
{
	struct fx f;
	struct sn_tcp_seg o;
	struct synack_config c;

	synack_config_default(&c);
	CHECK(fx_init(&f, &c) == 0);
	CHECK(fx_listen(&f) >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535, .mss = 1460,
				   .ts = 1, .tsval = 5000});
	CHECK(fx_out(&f, &o));
	f.our_iss = o.seq;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1, .wnd = 65535,
				   .ts = 1, .tsval = 5001, .tsecr = o.opts.ts_val});
	CHECK(synack_sock_accept(f.st, f.lsock, NULL) >= 0);
	fx_flush(&f);
	for (int i = 0; i < 3; i++)
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1,
					   .wnd = 65535, .ts = 1, .tsval = 4000,
					   .tsecr = o.opts.ts_val});
	CHECK_EQ(acks_out(&f), 1);
	CHECK_EQ(ctr(&f).oow_acks_skipped_paws, 2);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_PAWS), 3);
	fx_free(&f);
}
