/*
 * cc.c: congestion control, RFC 5681 (slow start, congestion avoidance,
 * fast retransmit and fast recovery, MUST-19) with the NewReno partial-ACK
 * rule of RFC 6582 so one window with several losses recovers without a
 * timeout. cwnd and ssthresh are in bytes.
 */
#include "tcp/tcb.h"

uint32_t tcp_flight_size(const struct sn_tcb *tcb)
{
	return tcb->snd_max - tcb->snd_una;
}

void tcp_cc_init(struct sn_tcb *tcb)
{
	uint32_t mss = tcb->snd_mss;

	/* RFC 5681 (3.1): IW = 2..4 segments depending on SMSS */
	if (mss > 2190)
		tcb->cwnd = 2 * mss;
	else if (mss > 1095)
		tcb->cwnd = 3 * mss;
	else
		tcb->cwnd = 4 * mss;
	tcb->ssthresh = UINT32_MAX; /* "arbitrarily high" */
	tcb->recover = tcb->iss;
	tcb->dupacks = 0;
	tcb->in_recovery = 0;
}

void tcp_cc_on_ack(struct sn_tcb *tcb, uint32_t acked)
{
	uint32_t mss = tcb->snd_mss;

	tcb->dupacks = 0;
	/* Drag `recover` along just below SND.UNA so the comparison above
	 * stays meaningful as sequence numbers wrap. */
	if (seq_lt(tcb->recover, tcb->snd_una - 1))
		tcb->recover = tcb->snd_una - 1;
	if (acked == 0)
		return; /* only our SYN or FIN: no data, no growth */
	if (tcb->cwnd < tcb->ssthresh) {
		/* slow start, (3.2) with L = 1 SMSS (RFC 3465 ABC) */
		tcb->cwnd += acked < mss ? acked : mss;
		return;
	}
	/* congestion avoidance, (3.3) */
	uint32_t inc = (uint32_t)((uint64_t)mss * mss / (tcb->cwnd ? tcb->cwnd : 1));
	tcb->cwnd += inc ? inc : 1;
}

static uint32_t half_flight(const struct sn_tcb *tcb)
{
	uint32_t half = tcp_flight_size(tcb) / 2;
	uint32_t floor = 2u * tcb->snd_mss;
	return half > floor ? half : floor; /* (4) */
}

void tcp_cc_on_timeout(struct sn_tcb *tcb)
{
	/* Only the first timeout of a run halves: later ones would halve the
	 * already-reduced flight (RFC 5681 §3.1 note on (4)). */
	if (tcb->nretrans <= 1)
		tcb->ssthresh = half_flight(tcb);
	tcb->cwnd = tcb->snd_mss; /* loss window */
	tcb->dupacks = 0;
	tcb->in_recovery = 0;
	tcb->recover = tcb->snd_max;
}

int tcp_cc_on_dupack(struct sn_tcb *tcb)
{
	if (tcb->in_recovery) {
		tcb->cwnd += tcb->snd_mss; /* (3.2) step 4: inflate */
		return 0;
	}
	if (++tcb->dupacks != 3)
		return 0;
	/* RFC 6582 §3.2 step 2: the cumulative ACK must cover more than
	 * `recover`, so duplicate ACKs for data sent before the last loss
	 * event do not start a second recovery. */
	if (seq_leq(tcb->snd_una, tcb->recover))
		return 0;
	tcb->ssthresh = half_flight(tcb);
	tcb->recover = tcb->snd_max;
	tcb->cwnd = tcb->ssthresh + 3u * tcb->snd_mss;
	tcb->in_recovery = 1;
	return 1;
}

int tcp_cc_recovery_ack(struct sn_tcb *tcb, uint32_t ack, uint32_t acked)
{
	if (seq_geq(ack, tcb->recover)) {
		/* full ACK: deflate and leave recovery (RFC 6582 §3.2 step 3,
		 * option 1: min(ssthresh, max(FlightSize, SMSS) + SMSS)) */
		uint32_t flight = tcp_flight_size(tcb);
		uint32_t a = (flight > tcb->snd_mss ? flight : tcb->snd_mss) + tcb->snd_mss;
		tcb->cwnd = tcb->ssthresh < a ? tcb->ssthresh : a;
		tcb->in_recovery = 0;
		tcb->dupacks = 0;
		return 0;
	}
	/* partial ACK: retransmit the next hole, deflate by what was acked */
	tcb->cwnd = tcb->cwnd > acked ? tcb->cwnd - acked : 0;
	if (acked >= tcb->snd_mss)
		tcb->cwnd += tcb->snd_mss;
	if (tcb->cwnd < tcb->snd_mss)
		tcb->cwnd = tcb->snd_mss;
	return 1;
}
