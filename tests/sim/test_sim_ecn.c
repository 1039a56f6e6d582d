/*
 * test_sim_ecn.c: ECN end to end (RFC 3168, SHLD-8) through the simulator.
 *
 * One host sends 4 MiB to another over a 60 ms round trip; the link loses
 * nothing but marks 1% of ECT datagrams Congestion Experienced (the fault
 * injector's ce=, seeded). With tcp_ecn=1 on both hosts the receiver
 * echoes the marks, the sender reduces its window on ECE (once per window)
 * without retransmitting anything, and every byte arrives. With tcp_ecn=0
 * the same link marks nothing (no datagram is ECT) and the window is never
 * reduced. The figures (time, mean cwnd, reductions) are printed.
 */
#include <errno.h>

#include "check.h"
#include "synack/sim.h"

#include "sim_bulk.h"
}

static int run(int ecn, uint64_t seed, uint64_t *elapsed_us, struct run *r)
{
	struct synack_impair_params link = {.delay_us = RTT_US / 2, .ce_ppm = 10000};
	struct synack_config cfg;
	struct synack_endpoint to = {B_ADDR, PORT};
	int err;

	*r = (struct run){.sock = {-1, -1}, .lsock = -1};
	synack_config_default(&cfg);
	cfg.sndbuf = cfg.rcvbuf = BUF;
	cfg.tcp_ecn = (uint8_t)ecn;
	if ((err = sim_pair_open(seed, &link, cfg, &r->sim, r->st, &r->lsock)))
		return err;
	r->sock[0] = synack_sock_open(r->st[0]);
	uint64_t t0 = synack_sim_now(r->sim);
	r->last_t = t0;
	if ((err = synack_sock_connect(r->st[0], r->sock[0], &to)) != -EINPROGRESS)
		return err;
	if (!synack_sim_run(r->sim, step, r, 600 * SEC) || r->error)
		return r->error ? r->error : -ETIMEDOUT;
	*elapsed_us = synack_sim_now(r->sim) - t0;
	return 0;
}

/* RFC 3168 §6.1: CE marks become window reductions, never retransmissions. */
TEST(shld8_rfc3168_ce_marks_reduce_without_loss)
{
	struct run on, off;
	uint64_t t_on = 0, t_off = 0;
	struct synack_counters snd_on, rcv_on, snd_off, rcv_off;

	CHECK_EQ(run(1, 21, &t_on, &on), 0);
	CHECK_EQ(run(0, 21, &t_off, &off), 0);
	synack_stack_counters(on.st[0], &snd_on);
	synack_stack_counters(on.st[1], &rcv_on);
	synack_stack_counters(off.st[0], &snd_off);
	synack_stack_counters(off.st[1], &rcv_off);
	printf("4 MiB, RTT 60 ms, 1%% of ECT datagrams CE-marked, no loss:\n"
	       "  tcp_ecn=1: %.2f s, cwnd mean %.1f peak %.1f segments, %llu CE received, %llu reductions, "
	       "%llu retransmitted\n"
	       "  tcp_ecn=0: %.2f s, cwnd mean %.1f peak %.1f segments, %llu CE received, %llu reductions, "
	       "%llu retransmitted\n",
	       t_on / 1e6, (double)on.cwnd_time / (double)t_on / on.info.snd_mss,
	       (double)on.max_cwnd / on.info.snd_mss, (unsigned long long)rcv_on.ecn_ce_rcvd,
	       (unsigned long long)snd_on.ecn_reductions, (unsigned long long)snd_on.retrans_segs,
	       t_off / 1e6, (double)off.cwnd_time / (double)t_off / off.info.snd_mss,
	       (double)off.max_cwnd / off.info.snd_mss, (unsigned long long)rcv_off.ecn_ce_rcvd,
	       (unsigned long long)snd_off.ecn_reductions, (unsigned long long)snd_off.retrans_segs);
	CHECK_EQ(on.got, LEN);
	CHECK_EQ(off.got, LEN);
	CHECK(on.info.options & SYNACK_TCPI_OPT_ECN);
	CHECK_EQ(off.info.options & SYNACK_TCPI_OPT_ECN, 0);
	CHECK(rcv_on.ecn_ce_rcvd > 0);
	CHECK(snd_on.ecn_reductions > 0);
	CHECK(snd_on.ecn_reductions <= rcv_on.ecn_ce_rcvd); /* at most once per window */
	CHECK_EQ(snd_on.retrans_segs, 0);
	CHECK(on.info.ssthresh < UINT32_MAX);
	CHECK_EQ(rcv_off.ecn_ce_rcvd, 0);
	CHECK_EQ(snd_off.ecn_reductions, 0);
	CHECK_EQ(off.info.ssthresh, UINT32_MAX); /* never reduced */
	synack_sim_destroy(on.sim);
	synack_sim_destroy(off.sim);
}
