/*
 * cc.c: congestion control. What every algorithm shares lives here once:
 * RFC 5681 slow start with RFC 3465 byte counting, fast retransmit and
 * fast recovery with the NewReno partial-ACK rule of RFC 6582 (MUST-19),
 * the loss window after a timeout. Each connection then has an algorithm
 * (a vtable: `algos[]`, MAY-18 "alternative conformant algorithms") that
 * decides ssthresh after a congestion event and cwnd's growth in
 * congestion avoidance:
 *
 *   reno   RFC 5681: ssthresh = max(FlightSize/2, 2*SMSS) (4); cwnd grows
 *          one SMSS per cwnd of bytes ACKed (§3.1, RFC 3465 §2.1).
 *   cubic  RFC 9438: ssthresh = 0.7 * FlightSize; cwnd follows
 *          W_cubic(t) = C*(t-K)^3 + W_max with C = 0.4, fast convergence,
 *          and never grows slower than Reno would (the Reno-friendly
 *          region). Integer arithmetic only: t in ms, K by an integer
 *          cube root, W_est in bytes << 10.
 *
 * CUBIC's state is a block from the stack's cubic_pool (issue #6: memory
 * per connection), taken at the first congestion event, or at the first
 * avoidance ACK or timeout if the algorithm was switched later, and given
 * back with the TCB. With the pool exhausted the connection runs Reno's
 * rules (ssthresh and growth) until its next congestion event tries again,
 * counted in SynackCubicNoMem; a block that arrives late starts CUBIC with
 * no history (W_max = 0), as a connection switched to CUBIC does.
 *
 * Invariants: cwnd >= 1 SMSS once initialised; ssthresh >= 2 SMSS after
 * any congestion event; cwnd and ssthresh are bytes.
 */
#include <errno.h>
#include <string.h>

#include "stack/stack.h"
#include "tcp/tcb.h"

struct sn_cc_ops {
	const char *name;
	/* A congestion event with flight bytes out: record it, return the
	 * new ssthresh. */
	uint32_t (*ssthresh)(struct synack_stack *st, struct sn_tcb *tcb, uint32_t flight);
	/* Growth in congestion avoidance for acked new bytes at st->now. */
	void (*cong_avoid)(struct synack_stack *st, struct sn_tcb *tcb, uint32_t acked);
	/* A retransmission timeout happened (after ssthresh and cwnd). */
	void (*on_timeout)(struct synack_stack *st, struct sn_tcb *tcb);
};

uint32_t tcp_flight_size(const struct sn_tcb *tcb)
{
	return tcb->snd_max - tcb->snd_una;
}

static uint32_t at_least_two(const struct sn_tcb *tcb, uint64_t v)
{
	uint32_t floor = 2u * tcb->snd_mss;
	return v > floor ? (v > UINT32_MAX ? UINT32_MAX : (uint32_t)v) : floor;
}

/* ---------------------------------------------------------------- reno */

static uint32_t reno_ssthresh(struct synack_stack *st, struct sn_tcb *tcb, uint32_t flight)
{
	(void)st;
	return at_least_two(tcb, flight / 2); /* RFC 5681 (4) */
}

/* RFC 5681 §3.1 (the RECOMMENDED byte counting, RFC 3465 §2.1): when the
 * bytes ACKed in avoidance reach cwnd, cwnd grows by one SMSS. Counting
 * bytes, not ACKs, means a receiver that splits its ACKs (ACK division)
 * gains nothing. */
static void reno_cong_avoid(struct synack_stack *st, struct sn_tcb *tcb, uint32_t acked)
{
	(void)st;
	tcb->cc.bytes_acked += acked;
	if (tcb->cc.bytes_acked < tcb->cwnd)
		return;
	tcb->cc.bytes_acked -= tcb->cwnd;
	tcb->cwnd += tcb->snd_mss;
}

static void reno_on_timeout(struct synack_stack *st, struct sn_tcb *tcb)
{
	(void)st, (void)tcb;
}

/* ---------------------------------------------------------------- cubic */

/* RFC 9438 §4.6: beta_cubic = 0.7; §5.1: C = 0.4 = 2/5. */
#define CUBIC_BETA_NUM 7
#define CUBIC_BETA_DEN 10
/* §4.7 fast convergence: W_max = cwnd * (1 + beta_cubic) / 2 = 0.85 cwnd */
#define CUBIC_FC_NUM 17
#define CUBIC_FC_DEN 20
/* §4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta) = 0.9 / 1.7 = 9/17 */
#define CUBIC_ALPHA_NUM 9
#define CUBIC_ALPHA_DEN 17
/* |t - K| beyond this many ms (262 s) is clamped: C * 262^3 segments is
 * far past any window a uint32 of bytes holds, and the cube stays < 2^54. */
#define CUBIC_DT_MAX_MS (1u << 18)

/* Bit by bit, three bits of x per step (Hacker's Delight §11-2). */
uint64_t tcp_cubic_cbrt(uint64_t x)
{
	uint64_t y = 0;

	for (int s = 63; s >= 0; s -= 3) {
		y += y;
		uint64_t b = 3 * y * (y + 1) + 1;
		if ((x >> s) >= b) {
			x -= b << s;
			y++;
		}
	}
	return y;
}

/* K = cubic_root((W_max - cwnd_epoch) / C) s (RFC 9438 Figure 2); in ms
 * and bytes: cbrt(diff_bytes / mss * 2.5 * 10^9). diff < 2^32 keeps the
 * product under 2^64. A cwnd_epoch above W_max gives a negative K, so the
 * curve still starts at cwnd_epoch. */
int32_t tcp_cubic_k_ms(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss)
{
	uint32_t diff = w_max > cwnd_epoch ? w_max - cwnd_epoch : cwnd_epoch - w_max;
	uint64_t k = tcp_cubic_cbrt((uint64_t)diff * 2500000000u / (mss ? mss : 1));
	return w_max >= cwnd_epoch ? (int32_t)k : -(int32_t)k;
}

/* W_cubic(t) = C * (t - K)^3 + W_max (RFC 9438 Figure 1), in bytes:
 * C * d^3 segments with d in ms is d^3 * 2 * mss / (5 * 10^9) bytes. */
uint32_t tcp_cubic_window(uint32_t w_max, int32_t k_ms, uint64_t t_ms, uint32_t mss)
{
	int64_t d = (int64_t)(t_ms > CUBIC_DT_MAX_MS ? CUBIC_DT_MAX_MS : t_ms) - k_ms;
	uint64_t ad = (uint64_t)(d < 0 ? -d : d);
	if (ad > CUBIC_DT_MAX_MS)
		ad = CUBIC_DT_MAX_MS;
	uint64_t cube = ad * ad * ad;
	uint64_t offs = ((cube / 5000) * 2 * mss + (cube % 5000) * 2 * mss / 5000) / 1000000;
	if (d < 0)
		return offs >= w_max ? 0 : w_max - (uint32_t)offs;
	uint64_t w = (uint64_t)w_max + offs;
	return w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
}

/* The connection's CUBIC block, taken now if it has none. After a failed
 * take only a congestion event (retry) tries again, so an exhausted pool
 * costs one attempt per event, not one per ACK. NULL: Reno's rules. */
static struct sn_cubic *cubic_block(struct synack_stack *st, struct sn_tcb *tcb, int retry)
{
	struct sn_cc_state *cc = &tcb->cc;

	if (cc->cubic || (cc->cubic_nomem && !retry))
		return cc->cubic;
	cc->cubic = sn_pool_get(&st->cubic_pool);
	cc->cubic_nomem = !cc->cubic;
	if (!cc->cubic)
		st->ctr.cubic_nomem++;
	return cc->cubic;
}

void tcp_cc_free(struct synack_stack *st, struct sn_tcb *tcb)
{
	sn_pool_put(&st->cubic_pool, tcb->cc.cubic);
	tcb->cc.cubic = NULL;
}

/* §4.6 multiplicative decrease with §4.7 fast convergence. ssthresh is
 * taken from FlightSize as §4.6 writes it (as our Reno does, so an
 * application-limited sender cannot keep a window it never used). */
static uint32_t cubic_ssthresh(struct synack_stack *st, struct sn_tcb *tcb, uint32_t flight)
{
	struct sn_cubic *cu = cubic_block(st, tcb, 1);
	uint32_t cwnd = tcb->cwnd;

	if (!cu)
		return reno_ssthresh(st, tcb, flight);

	if (cwnd < cu->w_max) /* still below the last maximum: release some */
		cu->w_max = (uint32_t)((uint64_t)cwnd * CUBIC_FC_NUM / CUBIC_FC_DEN);
	else
		cu->w_max = cwnd;
	cu->cwnd_prior = cwnd;
	cu->in_epoch = 0;
	cu->alpha_one = 0;
	return at_least_two(tcb, (uint64_t)flight * CUBIC_BETA_NUM / CUBIC_BETA_DEN);
}

/* The first ACK of a congestion avoidance stage starts the epoch: t = 0,
 * W_est = cwnd_epoch (§4.3); after a timeout W_max is this cwnd and K = 0
 * (§4.8). */
static void cubic_epoch_start(struct sn_tcb *tcb, struct sn_cubic *cu, uint64_t now)
{
	cu->in_epoch = 1;
	cu->epoch_start = now;
	cu->cwnd_epoch = tcb->cwnd;
	cu->w_est = (uint64_t)tcb->cwnd << 10;
	cu->acc = 0;
	if (cu->after_rto) {
		cu->w_max = tcb->cwnd;
		cu->after_rto = 0;
	}
	cu->k_ms = tcp_cubic_k_ms(cu->w_max, cu->cwnd_epoch, tcb->snd_mss);
}

/* §4.3: W_est += alpha_cubic * segments_acked / cwnd (segments), i.e.
 * alpha * acked * mss / cwnd bytes; alpha becomes 1 once W_est reaches
 * cwnd_prior. */
static uint32_t cubic_reno_estimate(struct sn_tcb *tcb, struct sn_cubic *cu, uint32_t acked)
{	uint64_t num = ((uint64_t)acked * tcb->snd_mss) << 10;
	uint64_t den = tcb->cwnd ? tcb->cwnd : 1;

	if (cu->alpha_one)
		cu->w_est += num / den;
	else
		cu->w_est += num * CUBIC_ALPHA_NUM / (den * CUBIC_ALPHA_DEN);
	if ((cu->w_est >> 10) >= cu->cwnd_prior)
		cu->alpha_one = 1;
	return (uint32_t)(cu->w_est >> 10 > UINT32_MAX ? UINT32_MAX : cu->w_est >> 10);
}

static void cubic_cong_avoid(struct synack_stack *st, struct sn_tcb *tcb, uint32_t acked)
{
	struct sn_cubic *cu = cubic_block(st, tcb, 0);
	uint32_t mss = tcb->snd_mss, cwnd = tcb->cwnd;

	if (!cu || !cwnd) { /* no block (or cwnd 0, never once initialised): Reno */
		reno_cong_avoid(st, tcb, acked);
		return;
	}
	if (!cu->in_epoch)
		cubic_epoch_start(tcb, cu, st->now);
	uint64_t t_ms = (st->now - cu->epoch_start) / 1000;
	uint64_t rtt_ms = tcb->rtt_valid ? tcb->srtt_us / 1000 : 0;
	uint32_t w_t = tcp_cubic_window(cu->w_max, cu->k_ms, t_ms, mss);
	uint32_t w_est = cubic_reno_estimate(tcb, cu, acked);
	if (w_t < w_est) { /* §4.3 Reno-friendly region: cwnd = W_est */
		if (w_est > cwnd)
			tcb->cwnd = w_est;
		return;
	}
	/* §4.4, §4.5: aim at W_cubic(t + RTT), within [cwnd, 1.5 cwnd];
	 * cwnd += (target - cwnd) / cwnd segments per segment ACKed */
	uint32_t target = tcp_cubic_window(cu->w_max, cu->k_ms, t_ms + rtt_ms, mss);
	uint32_t cap = cwnd + cwnd / 2;
	if (target < cwnd)
		target = cwnd;
	if (target > cap)
		target = cap;
	cu->acc += (uint64_t)(target - cwnd) * acked;
	tcb->cwnd += (uint32_t)(cu->acc / cwnd);
	cu->acc %= cwnd;
}

/* §4.8: Reno's loss window with CUBIC's ssthresh; the next avoidance stage
 * starts a fresh curve from the cwnd it reaches. */
static void cubic_on_timeout(struct synack_stack *st, struct sn_tcb *tcb)
{
	struct sn_cubic *cu = cubic_block(st, tcb, 0);

	if (!cu)
		return;
	cu->after_rto = 1;
	cu->in_epoch = 0;
}

static const struct sn_cc_ops algos[] = {
	[SYNACK_CC_RENO] = {"reno", reno_ssthresh, reno_cong_avoid, reno_on_timeout},
	[SYNACK_CC_CUBIC] = {"cubic", cubic_ssthresh, cubic_cong_avoid, cubic_on_timeout},
};
#define NALGOS (sizeof(algos) / sizeof(algos[0]))

static const struct sn_cc_ops *ops(const struct sn_tcb *tcb)
{
	return &algos[tcb->cc.algo < NALGOS ? tcb->cc.algo : SYNACK_CC_RENO];
}

const char *tcp_cc_name(unsigned algo)
{
	return algo < NALGOS ? algos[algo].name : NULL;
}

int tcp_cc_by_name(const char *name, unsigned long n)
{
	for (unsigned i = 0; i < NALGOS; i++)
		if (strlen(algos[i].name) == n && !memcmp(algos[i].name, name, n))
			return (int)i;
	return -ENOENT;
}

/* The state restarts; a CUBIC block stays with the connection, zeroed (as
 * a fresh one), until the TCB goes. */
static void cc_state_reset(struct sn_tcb *tcb)
{
	uint8_t algo = tcb->cc.algo;
	struct sn_cubic *cu = tcb->cc.cubic;

	memset(&tcb->cc, 0, sizeof(tcb->cc));
	tcb->cc.algo = algo;
	if (cu)
		memset(cu, 0, sizeof(*cu));
	tcb->cc.cubic = cu;
}

void tcp_cc_select(struct sn_tcb *tcb, unsigned algo)
{
	tcb->cc.algo = (uint8_t)(algo < NALGOS ? algo : SYNACK_CC_RENO);
	cc_state_reset(tcb);
}

/* ---------------------------------------------------------------- shared */

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
	cc_state_reset(tcb);
}

/* Linux's old tcp_abc = 0: one SMSS per ACK in slow start, SMSS*SMSS/cwnd
 * per ACK in avoidance, whatever the ACK covers (RFC 5681 (3.3)'s
 * approximation). Kept only to show what byte counting defends against. */
static void per_ack_growth(struct sn_tcb *tcb)
{
	uint32_t mss = tcb->snd_mss;
	if (tcb->cwnd < tcb->ssthresh) {
		tcb->cwnd += mss;
		return;
	}
	uint32_t inc = (uint32_t)((uint64_t)mss * mss / (tcb->cwnd ? tcb->cwnd : 1));
	tcb->cwnd += inc ? inc : 1;
}

void tcp_cc_on_ack(struct synack_stack *st, struct sn_tcb *tcb, uint32_t acked)
{
	uint32_t mss = tcb->snd_mss;
	uint8_t abc = st->cfg.tcp_abc;

	tcb->dupacks = 0;
	/* Drag `recover` along just below SND.UNA so the comparison above
	 * stays meaningful as sequence numbers wrap. */
	if (seq_lt(tcb->recover, tcb->snd_una - 1))
		tcb->recover = tcb->snd_una - 1;
	if (acked == 0)
		return; /* only our SYN or FIN: no data, no growth */
	if (abc == 0) {
		per_ack_growth(tcb);
		return;
	}
	/* Issue #7 (ACK division, Savage et al. 1999): an ACK of less than one
	 * SMSS with more outstanding gets only the bytes it covers */
	if (acked < mss && tcb->snd_una != tcb->snd_max)
		st->ctr.abc_small_acks++;
	if (tcb->cwnd < tcb->ssthresh) {
		/* slow start, (3.2) with RFC 3465 byte counting: at most
		 * L = 2 SMSS per ACK (tcp_abc 2), 1 SMSS with tcp_abc 1 and
		 * in the slow start after a timeout (§2.3) */
		uint32_t limit = tcb->cc.ss_after_rto || abc == 1 ? mss : 2 * mss;
		tcb->cwnd += acked < limit ? acked : limit;
		return;
	}
	tcb->cc.ss_after_rto = 0;
	ops(tcb)->cong_avoid(st, tcb, acked);
}

static uint32_t congestion_event(struct synack_stack *st, struct sn_tcb *tcb, uint32_t flight)
{
	tcb->cc.bytes_acked = 0;
	tcb->cc.ss_after_rto = 0;
	return ops(tcb)->ssthresh(st, tcb, flight);
}

uint32_t tcp_cc_congestion_event(struct synack_stack *st, struct sn_tcb *tcb)
{
	return congestion_event(st, tcb, tcp_flight_size(tcb));
}

uint32_t tcp_cc_loss_ssthresh(struct synack_stack *st, struct sn_tcb *tcb)
{
	/* RFC 5681 §3.2 (2): data Limited Transmit sent (RFC 3042), the
	 * only way FlightSize passes cwnd before recovery, MUST NOT count */
	uint32_t flight = tcp_flight_size(tcb);
	return congestion_event(st, tcb, flight < tcb->cwnd ? flight : tcb->cwnd);
}

void tcp_cc_on_timeout(struct synack_stack *st, struct sn_tcb *tcb)
{
	/* Only the first timeout of a run reduces ssthresh: later ones would
	 * reduce the already-reduced flight (RFC 5681 §3.1 note on (4)). */
	if (tcb->nretrans <= 1)
		tcb->ssthresh = tcp_cc_congestion_event(st, tcb);
	tcb->cwnd = tcb->snd_mss; /* loss window */
	tcb->dupacks = 0;
	tcb->in_recovery = 0;
	tcb->recover = tcb->snd_max;
	tcb->cc.ss_after_rto = 1;
	ops(tcb)->on_timeout(st, tcb);
}

/* The duplicate ACKs a receiver can send until SND.UNA moves again: one per
 * segment outstanding now, beyond the hole (Linux's tcp_limit_reno_sacked
 * bound, sacked_out <= packets_out - 1). Taken when recovery starts and at
 * each partial ACK, not as new data goes out: segments sent in answer to
 * duplicates would otherwise raise the bound one per duplicate. */
static void mark_dupack_cap(struct sn_tcb *tcb)
{
	uint32_t mss = tcb->snd_mss;
	uint32_t segs_out = (tcp_flight_size(tcb) + mss - 1) / mss;
	tcb->cc.rec_cap = segs_out ? segs_out - 1 : 0;
}

/* (3.2) step 4: each further duplicate ACK says a segment left the network
 * and inflates cwnd by one SMSS; past the cap (a flood of spoofed
 * duplicates) it would clock out data the network never absorbed, so it
 * inflates nothing (issue #7, dup-ACK spoofing). */
static void recovery_dupack(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (st->cfg.tcp_dupack_bound && tcb->cc.rec_dupacks >= tcb->cc.rec_cap) {
		st->ctr.dupacks_ignored++;
		return;
	}
	tcb->cc.rec_dupacks++;
	tcb->cwnd += tcb->snd_mss;
}

int tcp_cc_on_dupack(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (tcb->in_recovery) {
		recovery_dupack(st, tcb);
		return 0;
	}
	if (++tcb->dupacks != 3)
		return 0;
	/* RFC 6582 §3.2 step 2: the cumulative ACK must cover more than
	 * `recover`, so duplicate ACKs for data sent before the last loss
	 * event do not start a second recovery. */
	if (seq_leq(tcb->snd_una, tcb->recover))
		return 0;
	tcb->ssthresh = tcp_cc_loss_ssthresh(st, tcb);
	tcb->recover = tcb->snd_max;
	tcb->cwnd = tcb->ssthresh + 3u * tcb->snd_mss;
	tcb->cc.rec_dupacks = 3;
	mark_dupack_cap(tcb);
	tcb->in_recovery = 1;
	return 1;
}

/* As Linux's tcp_undo_cwnd_reduction with the algorithms' undo_cwnd
 * (max(cwnd, prior_cwnd) for both): CUBIC starts a fresh epoch from the
 * restored window. */
void tcp_cc_undo(struct sn_tcb *tcb, uint32_t prior_cwnd, uint32_t prior_ssthresh)
{
	if (tcb->cwnd < prior_cwnd)
		tcb->cwnd = prior_cwnd;
	if (tcb->ssthresh < prior_ssthresh)
		tcb->ssthresh = prior_ssthresh;
	tcb->cc.bytes_acked = 0;
	if (tcb->cc.cubic)
		tcb->cc.cubic->in_epoch = 0;
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
		tcb->cc.rec_dupacks = 0;
		return 0;
	}
	/* partial ACK: the segments it covers, but the retransmitted hole,
	 * were among those the duplicates counted (Linux's
	 * tcp_remove_reno_sacks) */
	uint32_t segs = (acked + tcb->snd_mss - 1) / tcb->snd_mss;
	uint32_t gone = segs > 1 ? segs - 1 : 0;
	tcb->cc.rec_dupacks -= gone < tcb->cc.rec_dupacks ? gone : tcb->cc.rec_dupacks;
	mark_dupack_cap(tcb);
	/* retransmit the next hole, deflate by what was acked */
	tcb->cwnd = tcb->cwnd > acked ? tcb->cwnd - acked : 0;
	if (acked >= tcb->snd_mss)
		tcb->cwnd += tcb->snd_mss;
	if (tcb->cwnd < tcb->snd_mss)
		tcb->cwnd = tcb->snd_mss;
	return 1;
}
