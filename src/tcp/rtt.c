/*
 * rtt.c: round-trip time estimation and the retransmission timeout,
 * RFC 6298 §2. Samples come only from segments that were not retransmitted
 * (Karn's algorithm, MUST-18; enforced by the caller, which stops timing on a
 * retransmission), or from timestamp echoes (RFC 7323 §4, options.c), which
 * may come several per RTT: then each weighs 1/n as RFC 7323 Appendix G
 * suggests. Clock granularity G is 1 ms, the wheel's tick.
 */
#include "tcp/tcb.h"

#define RTT_G_US 1000u

void tcp_rtt_init(struct sn_tcb *tcb, uint32_t rto_initial_us)
{
	tcb->srtt_us = 0;
	tcb->rttvar_us = 0;
	tcb->rto_us = rto_initial_us; /* (2.1) */
	tcb->rtt_valid = 0;
	tcb->timing = 0;
}

static uint32_t clamp_u32(uint64_t v, uint32_t lo, uint32_t hi)
{
	if (v < lo)
		return lo;
	return v > hi ? hi : (uint32_t)v;
}

void tcp_rtt_sample(struct sn_tcb *tcb, uint32_t r, uint32_t rto_min_us, uint32_t rto_max_us)
{
	tcp_rtt_sample_n(tcb, r, 1, rto_min_us, rto_max_us);
}

void tcp_rtt_sample_n(struct sn_tcb *tcb, uint32_t r, uint32_t n, uint32_t rto_min_us,
		      uint32_t rto_max_us)
{
	if (!tcb->rtt_valid) {
		/* (2.2) first measurement */
		tcb->srtt_us = r;
		tcb->rttvar_us = r / 2;
		tcb->rtt_valid = 1;
	} else {
		/* (2.3) beta = 1/4, alpha = 1/8, each divided by n (RFC 7323
		 * Appendix G); rttvar first, with the old srtt */
		uint64_t b = 4ull * n, a = 8ull * n;
		uint32_t delta = tcb->srtt_us > r ? tcb->srtt_us - r : r - tcb->srtt_us;
		tcb->rttvar_us = (uint32_t)(((uint64_t)tcb->rttvar_us * (b - 1) + delta) / b);
		tcb->srtt_us = (uint32_t)(((uint64_t)tcb->srtt_us * (a - 1) + r) / a);
	}
	uint64_t k = (uint64_t)tcb->rttvar_us * 4;
	/* (2.4) RTO = SRTT + max(G, K*RTTVAR), then the bounds of (2.4)/(2.5) */
	tcb->rto_us = clamp_u32((uint64_t)tcb->srtt_us + (k > RTT_G_US ? k : RTT_G_US), rto_min_us,
				rto_max_us);
}
