/*
 * ECN, RFC 3168 (SHLD-8): the IP ECN field both ways, negotiation on the
 * SYNs under tcp_ecn 0/1/2, ECT(0) on new data only, the receiver's ECE
 * echo until CWR, and the sender's reaction (a window reduction without a
 * retransmission, once per window, CWR on the next new data).
 */
#include "check.h"
#include "tcp_fixture.h"

#define PEER_ISS 5000u
#define MSS 1460u

static uint8_t data[20 * MSS];

static struct synack_config ecn_cfg(int ecn)
{
	struct synack_config c;
	synack_config_default(&c);
	c.tcp_ecn = (uint8_t)ecn;
	c.tcp_congestion_control = SYNACK_CC_RENO;
	return c;
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

/* Passive open under tcp_ecn; the peer's SYN carries syn_flags besides SYN.
 * Fills *synack with our SYN,ACK; returns the accepted socket. */
static int passive(struct fx *f, int ecn, uint8_t syn_flags, struct sn_tcp_seg *synack)
{
	struct synack_config c = ecn_cfg(ecn);
	if (fx_init(f, &c) || fx_listen(f) < 0)
		return -1;
	f->peer_iss = PEER_ISS;
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_SYN | syn_flags, .seq = PEER_ISS, .wnd = 65535, .mss = MSS});
	if (!fx_out(f, synack))
		return -1;
	f->our_iss = synack->seq;
	fx_wait(f, 50 * FX_MS);
	fx_in(f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = synack->seq + 1, .wnd = 65535});
	return synack_sock_accept(f->st, f->lsock, NULL);
}

/* IPv4 carries the ECN field both ways (RFC 3168 §5). */
TEST(rfc3168_5_ipv4_ecn_field_round_trips)
{
	uint8_t buf[SN_IPV4_HDR_LEN];
	for (uint8_t e = 0; e < 4; e++) {
		struct sn_ipv4 in = {.hdr_len = 20, .tos = (uint8_t)(0xb8 | e), .total_len = 20, .ttl = 64,
				     .proto = SN_IPPROTO_TCP, .src = 1, .dst = 2}, out;
		sn_ipv4_build(buf, &in);
		CHECK_EQ(sn_ipv4_parse(buf, sizeof(buf), &out), 0);
		CHECK_EQ(out.tos & SN_IP_ECN_MASK, e);
		CHECK_EQ(out.tos >> 2, 0xb8 >> 2);
	}
}

/* §6.1.1: an ECN-setup SYN (ECE+CWR) is answered with an ECN-setup SYN,ACK
 * (ECE, not CWR) under tcp_ecn 1 and 2; under 0 the SYN,ACK has neither.
 * The SYN,ACK itself is Not-ECT. tcpi options show ECN. */
TEST(shld8_rfc3168_6_1_1_passive_negotiation)
{
	for (int ecn = 0; ecn <= 2; ecn++) {
		struct fx f;
		struct sn_tcp_seg sa;
		int s = passive(&f, ecn, SN_TCP_ECE | SN_TCP_CWR, &sa);
		CHECK(s >= 0);
		CHECK_EQ(sa.flags & (SN_TCP_ECE | SN_TCP_CWR), ecn ? SN_TCP_ECE : 0);
		CHECK_EQ(sa.ecn, SN_IP_ECN_NOT_ECT);
		CHECK_EQ(!!(info(&f, s).options & SYNACK_TCPI_OPT_ECN), ecn != 0);
		fx_free(&f);
	}
	/* a SYN with ECE alone (or CWR alone) is not an ECN-setup SYN */
	struct fx f;
	struct sn_tcp_seg sa;
	int s = passive(&f, 1, SN_TCP_ECE, &sa);
	CHECK(s >= 0);
	CHECK_EQ(sa.flags & (SN_TCP_ECE | SN_TCP_CWR), 0);
	CHECK_EQ(info(&f, s).options & SYNACK_TCPI_OPT_ECN, 0);
	fx_free(&f);
}

/* §6.1.1: tcp_ecn=1 sends an ECN-setup SYN; only a SYN,ACK with ECE and not
 * CWR turns ECN on; tcp_ecn=2 and 0 send a plain SYN. A retransmitted SYN
 * drops the request (§6.1.1.1, as Linux's fallback). */
TEST(shld8_rfc3168_6_1_1_active_negotiation)
{
	static const uint8_t answers[] = {SN_TCP_ECE, SN_TCP_ECE | SN_TCP_CWR, 0};
	for (size_t i = 0; i < sizeof(answers); i++) {
		struct fx f;
		struct sn_tcp_seg syn;
		struct synack_config c = ecn_cfg(1);
		CHECK_EQ(fx_init(&f, &c), 0);
		int s = synack_sock_open(f.st);
		struct synack_endpoint to = {FX_PEER, FX_PEER_PORT};
		CHECK_EQ(synack_sock_connect(f.st, s, &to), -EINPROGRESS);
		CHECK(fx_out(&f, &syn));
		CHECK_EQ(syn.flags, SN_TCP_SYN | SN_TCP_ECE | SN_TCP_CWR);
		CHECK_EQ(syn.ecn, SN_IP_ECN_NOT_ECT);
		f.our_port = syn.sport;
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK | answers[i], .seq = PEER_ISS,
					   .ack = syn.seq + 1, .wnd = 65535, .mss = MSS});
		CHECK_EQ(!!(info(&f, s).options & SYNACK_TCPI_OPT_ECN), i == 0);
		fx_free(&f);
	}
	for (int ecn = 0; ecn <= 2; ecn += 2) {
		struct fx f;
		struct sn_tcp_seg syn;
		struct synack_config c = ecn_cfg(ecn);
		CHECK_EQ(fx_init(&f, &c), 0);
		int s = synack_sock_open(f.st);
		struct synack_endpoint to = {FX_PEER, FX_PEER_PORT};
		CHECK_EQ(synack_sock_connect(f.st, s, &to), -EINPROGRESS);
		CHECK(fx_out(&f, &syn));
		CHECK_EQ(syn.flags, SN_TCP_SYN);
		fx_free(&f);
	}
	struct fx f;
	struct sn_tcp_seg syn;
	struct synack_config c = ecn_cfg(1);
	CHECK_EQ(fx_init(&f, &c), 0);
	int s = synack_sock_open(f.st);
	struct synack_endpoint to = {FX_PEER, FX_PEER_PORT};
	CHECK_EQ(synack_sock_connect(f.st, s, &to), -EINPROGRESS);
	fx_flush(&f);
	fx_wait(&f, FX_SEC);
	CHECK(fx_out(&f, &syn));
	CHECK_EQ(syn.flags, SN_TCP_SYN);
	fx_free(&f);
}

/* §6.1.1, §6.1.4, §6.1.5: new data goes ECT(0); pure ACKs, the FIN alone
 * and retransmissions go Not-ECT. Without ECN nothing is ECT. */
TEST(shld8_rfc3168_6_1_5_ect_on_new_data_only)
{
	struct fx f;
	struct sn_tcp_seg sa, o;
	int s = passive(&f, 1, SN_TCP_ECE | SN_TCP_CWR, &sa);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, data, 2 * MSS), 2 * MSS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.len, MSS);
	CHECK_EQ(o.ecn, SN_IP_ECN_ECT0);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ecn, SN_IP_ECN_ECT0);
	/* the retransmission after an RTO */
	fx_wait(&f, info(&f, s).rto_us);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, f.our_iss + 1);
	CHECK_EQ(o.ecn, SN_IP_ECN_NOT_ECT);
	fx_flush(&f);
	/* a pure ACK of the peer's data */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_PSH, .seq = PEER_ISS + 1,
				   .ack = f.our_iss + 1 + 2 * MSS, .wnd = 65535, .data = data, .len = 100});
	fx_wait(&f, FX_SEC);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.len, 0);
	CHECK_EQ(o.ecn, SN_IP_ECN_NOT_ECT);
	/* the FIN alone */
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	CHECK(fx_out(&f, &o));
	CHECK(o.flags & SN_TCP_FIN);
	CHECK_EQ(o.ecn, SN_IP_ECN_NOT_ECT);
	fx_free(&f);

	s = passive(&f, 0, SN_TCP_ECE | SN_TCP_CWR, &sa);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, data, MSS), MSS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.ecn, SN_IP_ECN_NOT_ECT);
	fx_free(&f);
}

/* §6.1.3: after a CE-marked segment every ACK carries ECE, until a segment
 * with CWR arrives; CE and CWR together start a new echo. */
TEST(shld8_rfc3168_6_1_3_receiver_echoes_ece_until_cwr)
{
	struct fx f;
	struct sn_tcp_seg sa, o;
	int s = passive(&f, 2, SN_TCP_ECE | SN_TCP_CWR, &sa);
	CHECK(s >= 0);
	uint32_t seq = PEER_ISS + 1;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = seq, .ack = f.our_iss + 1, .wnd = 65535,
				   .data = data, .len = 100, .ecn = SN_IP_ECN_CE});
	seq += 100;
	CHECK_EQ(counters(&f).ecn_ce_rcvd, 1);
	fx_wait(&f, FX_SEC);
	CHECK(fx_out(&f, &o));
	CHECK(o.flags & SN_TCP_ECE);
	for (int i = 0; i < 3; i++) { /* unmarked data: the echo goes on */
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = seq, .ack = f.our_iss + 1, .wnd = 65535,
					   .data = data, .len = 100, .ecn = SN_IP_ECN_ECT0});
		seq += 100;
		fx_wait(&f, FX_SEC);
		CHECK(fx_out(&f, &o));
		CHECK(o.flags & SN_TCP_ECE);
	}
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_CWR, .seq = seq, .ack = f.our_iss + 1,
				   .wnd = 65535, .data = data, .len = 100, .ecn = SN_IP_ECN_ECT0});
	seq += 100;
	fx_wait(&f, FX_SEC);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags & SN_TCP_ECE, 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_CWR, .seq = seq, .ack = f.our_iss + 1,
				   .wnd = 65535, .data = data, .len = 100, .ecn = SN_IP_ECN_CE});
	fx_wait(&f, FX_SEC);
	CHECK(fx_out(&f, &o));
	CHECK(o.flags & SN_TCP_ECE);
	/* our data carries the echo too, and the data is ECT(0) */
	CHECK_EQ(synack_sock_send(f.st, s, data, 10), 10);
	CHECK(fx_out(&f, &o));
	CHECK(o.flags & SN_TCP_ECE);
	CHECK_EQ(o.ecn, SN_IP_ECN_ECT0);
	fx_free(&f);

	/* without ECN, CE means nothing to TCP */
	s = passive(&f, 0, SN_TCP_ECE | SN_TCP_CWR, &sa);
	CHECK(s >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = f.our_iss + 1,
				   .wnd = 65535, .data = data, .len = 100, .ecn = SN_IP_ECN_CE});
	fx_wait(&f, FX_SEC);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags & SN_TCP_ECE, 0);
	CHECK_EQ(counters(&f).ecn_ce_rcvd, 0);
	fx_free(&f);
}

/* §6.1.2: an ACK with ECE halves cwnd and ssthresh as a loss would, sends
 * nothing again, reacts once per window, and the next new data segment
 * carries CWR. */
TEST(shld8_rfc3168_6_1_2_sender_reacts_once_per_window)
{
	struct fx f;
	struct sn_tcp_seg sa, o;
	int s = passive(&f, 1, SN_TCP_ECE | SN_TCP_CWR, &sa);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, data, sizeof(data)), (ssize_t)sizeof(data));
	uint32_t una = f.our_iss + 1;
	/* grow to 8 segments in flight */
	for (uint32_t k = 1; k <= 5; k++)
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = una + k * MSS,
					   .wnd = 65535});
	fx_flush(&f);
	struct synack_tcp_info ti = info(&f, s);
	uint32_t flight = ti.snd_nxt - ti.snd_una;
	uint64_t retrans = counters(&f).retrans_segs;
	/* ECE on an ACK of one more segment */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_ECE, .seq = PEER_ISS + 1,
				   .ack = ti.snd_una + MSS, .wnd = 65535});
	ti = info(&f, s);
	CHECK_EQ(ti.ssthresh, (flight - MSS) / 2 > 2 * MSS ? (flight - MSS) / 2 : 2 * MSS);
	CHECK_EQ(ti.cwnd, ti.ssthresh);
	CHECK_EQ(counters(&f).ecn_reductions, 1);
	CHECK_EQ(counters(&f).retrans_segs, retrans);
	/* more ECEs for the same window change nothing */
	uint32_t cwnd = ti.cwnd;
	for (int i = 0; i < 3; i++)
		fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_ECE, .seq = PEER_ISS + 1,
					   .ack = ti.snd_una + (uint32_t)(i + 1) * MSS, .wnd = 65535});
	CHECK_EQ(counters(&f).ecn_reductions, 1);
	CHECK(info(&f, s).cwnd <= cwnd + MSS);
	/* the first new data segment sent after the reduction has CWR */
	CHECK_EQ(fx_pending(&f), 0); /* cwnd is below the flight: nothing yet */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = PEER_ISS + 1, .ack = info(&f, s).snd_nxt,
				   .wnd = 65535});
	int cwr = 0, n = 0;
	while (fx_out(&f, &o)) {
		if (o.len && (o.flags & SN_TCP_CWR)) {
			cwr++;
			CHECK_EQ(n, 0);
		}
		n += o.len != 0;
	}
	CHECK_EQ(cwr, 1);
	CHECK(n > 0);
	/* the next window: an ECE reduces again */
	ti = info(&f, s);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_ECE, .seq = PEER_ISS + 1, .ack = ti.snd_nxt,
				   .wnd = 65535});
	CHECK_EQ(counters(&f).ecn_reductions, 2);
	fx_free(&f);

	/* without ECN, ECE on an ACK is ignored */
	s = passive(&f, 0, SN_TCP_ECE | SN_TCP_CWR, &sa);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_send(f.st, s, data, 3 * MSS), 3 * MSS);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_ECE, .seq = PEER_ISS + 1,
				   .ack = f.our_iss + 1 + MSS, .wnd = 65535});
	CHECK_EQ(counters(&f).ecn_reductions, 0);
	CHECK_EQ(info(&f, s).ssthresh, UINT32_MAX);
	fx_free(&f);
}
