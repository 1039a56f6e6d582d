/*
 * cc.h: congestion control's interface to the rest of the tcp layer.
 *
 * input.c, output.c and timers.c call the tcp_cc_* entry points below; they
 * never look inside an algorithm. The entry points own what every algorithm
 * shares (slow start with byte counting, fast retransmit and NewReno fast
 * recovery, the loss window after a timeout) and ask the connection's
 * algorithm (a small vtable in cc.c, chosen per socket with TCP_CONGESTION
 * or per stack with tcp_congestion_control) only two questions: what is
 * ssthresh after a congestion event, and how does cwnd grow in congestion
 * avoidance. A recovery scheme other than NewReno (RFC 6675 with SACK) calls
 * tcp_cc_congestion_event() to get ssthresh from the algorithm.
 *
 * cwnd, ssthresh and every window below are bytes; times are µs.
 */
#ifndef SYNACK_TCP_CC_H
#define SYNACK_TCP_CC_H

#include <stdint.h>

struct sn_tcb;
struct synack_stack;

/* CUBIC's per-connection state (RFC 9438 §4.1 names). */
struct sn_cubic {
	uint64_t epoch_start;   /* µs when this congestion avoidance stage began */
	uint64_t w_est;         /* W_est, bytes << 10 (§4.3) */
	uint64_t acc;           /* fractional cwnd growth carried between ACKs */
	uint32_t w_max;         /* W_max, bytes (§4.2, §4.7) */
	uint32_t cwnd_prior;    /* cwnd before the last reduction (§4.6) */
	uint32_t cwnd_epoch;    /* cwnd when the stage began */
	int32_t k_ms;           /* K, ms; negative when cwnd_epoch > W_max */
	unsigned in_epoch : 1;  /* epoch_start, cwnd_epoch, K are set */
	unsigned after_rto : 1; /* the next stage is the first after a timeout (§4.8) */
	unsigned alpha_one : 1; /* W_est reached cwnd_prior: alpha_cubic = 1 (§4.3) */
};

/* Per-connection congestion control state beside cwnd and ssthresh. */
struct sn_cc_state {
	uint32_t bytes_acked;   /* RFC 3465 §2.1: bytes ACKed in avoidance since cwnd grew */
	uint32_t rec_dupacks;   /* duplicate ACKs counted in this recovery (bounded) */
	uint32_t rec_cap;       /* ... at most this many until SND.UNA moves (segments
	                         * outstanding beyond the hole then) */
	uint8_t algo;           /* enum synack_cc */
	unsigned ss_after_rto : 1; /* slow start after a timeout: L = 1 SMSS (RFC 3465 §2.3) */
	unsigned cubic_nomem : 1;  /* no CUBIC block could be had: Reno's rules until the
	                            * next congestion event tries again */
	/* CUBIC's state: a block from the stack's cubic_pool, taken at the
	 * first congestion event (before it cwnd is in slow start, where
	 * CUBIC and Reno are the same) and given back with the TCB; NULL
	 * until then, and for Reno. Issue #6: 48 bytes most connections
	 * never use stay out of every TCB. */
	struct sn_cubic *cubic;
};

/* The algorithm's name ("reno", "cubic"), or NULL for an unknown value. */
const char *tcp_cc_name(unsigned algo);
/* The algorithm called name (n bytes), or -ENOENT as Linux's TCP_CONGESTION. */
int tcp_cc_by_name(const char *name, unsigned long n);
/* Switch a connection's algorithm; cwnd and ssthresh stay, its state restarts. */
void tcp_cc_select(struct sn_tcb *tcb, unsigned algo);

void tcp_cc_init(struct sn_tcb *tcb);
/* New data ACKed outside recovery: slow start or congestion avoidance,
 * counting bytes (tcp_abc), at st->now. */
void tcp_cc_on_ack(struct synack_stack *st, struct sn_tcb *tcb, uint32_t acked);
void tcp_cc_on_timeout(struct synack_stack *st, struct sn_tcb *tcb);
/* A congestion event (loss detected by duplicate ACKs, or ECN): the
 * algorithm records it and returns the new ssthresh. CUBIC takes its block
 * here; with none to be had (SynackCubicNoMem) the connection gets Reno's
 * ssthresh and growth until the next event. */
uint32_t tcp_cc_congestion_event(struct synack_stack *st, struct sn_tcb *tcb);
/* The same for a loss found by duplicate ACKs or SACK: FlightSize without
 * what Limited Transmit sent past cwnd (RFC 5681 §3.2 (2)). */
uint32_t tcp_cc_loss_ssthresh(struct synack_stack *st, struct sn_tcb *tcb);
/* The TCB goes: its CUBIC block back to the pool. */
void tcp_cc_free(struct synack_stack *st, struct sn_tcb *tcb);
/* Returns 1 when the caller should retransmit snd_una now. In recovery a
 * duplicate inflates cwnd only while fewer have come than segments are
 * outstanding (tcp_dupack_bound). */
int tcp_cc_on_dupack(struct synack_stack *st, struct sn_tcb *tcb);
/* New ACK during recovery; returns 1 to retransmit snd_una (partial ACK). */
int tcp_cc_recovery_ack(struct sn_tcb *tcb, uint32_t ack, uint32_t acked);
uint32_t tcp_flight_size(const struct sn_tcb *tcb);
/* The reduction of an episode proved needless (D-SACK, RFC 3708): cwnd
 * and ssthresh back to at least what they were before it. */
void tcp_cc_undo(struct sn_tcb *tcb, uint32_t prior_cwnd, uint32_t prior_ssthresh);

/* CUBIC's formulas in integers, exposed for tests (RFC 9438 §4.2). */
/* floor(cube root of x). */
uint64_t tcp_cubic_cbrt(uint64_t x);
/* K in ms: cubic_root((W_max - cwnd_epoch) / C), C = 0.4 segments/s^3. */
int32_t tcp_cubic_k_ms(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss);
/* W_cubic(t) = C * (t - K)^3 + W_max in bytes, t in ms. */
uint32_t tcp_cubic_window(uint32_t w_max, int32_t k_ms, uint64_t t_ms, uint32_t mss);

#endif
