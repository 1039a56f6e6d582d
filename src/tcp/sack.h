/*
 * sack.h: the sender's cold block, shared by sack.c (the SACK scoreboard and
 * RFC 6675 recovery) and rack.c (RACK-TLP, RFC 8985, and D-SACK undo).
 *
 * A connection that sends data with SACK negotiated and tcp_recovery's RACK
 * bit set takes one block from the stack's bounded pool when it first sends
 * data (else when the first SACK block arrives, without RACK); the TCB holds
 * only the pointer, and the block goes back with the TCB. Everything here is
 * state that only a connection in bulk transfer needs.
 *
 * Send records (RACK only): the sequence space [rec_base, SND.MAX) cut into at
 * most SN_RACK_RECS consecutive ranges, each with the time of its latest
 * transmission and two marks (retransmitted, lost). Segments sent within a
 * granule of each other (a sixteenth of the minimum RTT) share a record and
 * its later time; when the array is full, the two neighbours closest in time
 * merge. A merged record keeps the later time, so a segment may look sent
 * later than it was, never earlier: RACK may detect its loss later than it
 * could, never falsely. rec_base follows SND.UNA.
 *
 * mark_end bounds the records an ACK can find loss in without RACK's scan:
 * no record straddles it, and every record at or above it carries neither
 * mark and was timed as new data (appended at SND.MAX), so their times never
 * decrease with sequence. Marks, retransmissions and merges across it move
 * it up; it follows rec_base when SND.UNA passes it. With mark_end at
 * rec_base (the usual state of a connection without loss) a record sent
 * after RACK.xmit_ts at the front means every record was, and steps 1-3 of
 * a cumulative ACK have a closed form (rack.c).
 */
#ifndef SYNACK_TCP_SACK_H
#define SYNACK_TCP_SACK_H

#include <stdint.h>

#include "tcp/tcb.h"

#define SN_SB_MAX 16     /* SACKed ranges remembered per connection */
#define SN_RACK_RECS 48  /* send records per connection */
#define DUPTHRESH 3      /* RFC 6675 §2 DupThresh */

/* Record marks, in the low bits of ts_fl (the time keeps 8 µs resolution). */
#define SN_REC_RTX 1u    /* retransmitted at least once */
#define SN_REC_LOST 2u   /* RACK marked it lost and it has not been resent since */
#define SN_REC_COARSE 4u /* merged across a time gap: no RTT sample from it */
#define SN_REC_FLAGS 7u

struct sn_rack_rec {
	uint32_t end;    /* one past its last octet; it starts where the one before ends */
	uint32_t ts_fl;  /* µs clock (low 32 bits) of its latest transmission | marks */
};

/* Which of the REXMT deadline's jobs is armed (RFC 8985 §8: one timer). */
enum { SN_RX_RTO = 0, SN_RX_PTO, SN_RX_REO };

struct sn_rack {
	uint32_t xmit_ts;        /* RACK.xmit_ts: latest send time of a delivered segment */
	uint32_t end_seq;        /* RACK.end_seq: that segment's end */
	uint32_t rtt_us;         /* RACK.rtt: its round trip */
	uint32_t min_rtt_us;     /* RACK.min_RTT (0: no sample yet) */
	uint32_t fack;           /* RACK.fack: highest octet delivered, plus one */
	uint32_t dsack_round;    /* RACK.dsack_round, while dsack_round_set */
	uint32_t tlp_end_seq;    /* TLP.end_seq, while tlp_set */
	uint32_t undo_marker;    /* SND.UNA when the episode began, while undo_set */
	uint32_t undo_rtx;       /* bytes resent in the episode and not yet D-SACKed */
	uint32_t prior_cwnd, prior_ssthresh; /* what the episode's reduction took */
	uint32_t rec_base;       /* rec[0] starts here */
	uint32_t mark_end;       /* records at or above it: unmarked, in time order */
	uint32_t last_stamp;     /* the latest time a record was stamped with (rack.c stamp()) */
	uint32_t last_end;       /* the end of the send stamped last */
	uint16_t nlost;          /* records marked lost, ever (mod 2^16): an ACK that
	                          * marks none reports no further loss (PRR) */
	uint8_t nrec;            /* records in use */
	uint8_t reo_wnd_mult;    /* RACK.reo_wnd_mult (>= 1) */
	uint8_t reo_wnd_persist; /* RACK.reo_wnd_persist */
	uint8_t timer;           /* SN_RX_*: what the REXMT deadline means */
	unsigned on : 1;         /* records cover every octet in flight: RACK may run */
	unsigned xmit_set : 1;   /* xmit_ts, end_seq and rtt_us hold a delivered segment */
	unsigned fack_set : 1;
	unsigned reord_seen : 1; /* RACK.reordering_seen */
	unsigned dsack_round_set : 1;
	unsigned tlp_set : 1;    /* a loss probe is outstanding (TLP.end_seq not None) */
	unsigned tlp_rtx : 1;    /* TLP.is_retrans */
	unsigned undo_set : 1;   /* an episode's reduction may still be undone */
	struct sn_rack_rec rec[SN_RACK_RECS];
};

struct sn_sack_sb {
	struct sn_seq_range r[SN_SB_MAX]; /* sorted, disjoint, inside (SND.UNA, SND.MAX] */
	uint32_t high_rxt;   /* HighRxt: end of the highest retransmission in this recovery */
	uint32_t prr_delivered; /* RFC 6937 prr_delivered: bytes delivered in this recovery */
	uint32_t prr_out;    /* prr_out: bytes sent in this recovery */
	uint32_t recover_fs; /* RecoverFS: the FlightSize ssthresh was taken from */
	uint32_t rescue_rxt; /* RescueRxt: RecoveryPoint of the last rescue retransmission */
	uint8_t n;           /* ranges in use */
	unsigned rescue_set : 1; /* rescue_rxt holds a value in this recovery */
	unsigned prr : 1;    /* PRR sets cwnd in this recovery (not after an undo) */
	unsigned blocks_seen : 1; /* the peer has sent a SACK block: RFC 6675, not NewReno */
	unsigned rto_loss : 1;   /* a retransmission timeout's recovery (Linux's TCP_CA_Loss):
	                          * until SND.UNA reaches RecoveryPoint, every unSACKed
	                          * octet below it is lost and pipe/NextSeg send */
	struct sn_rack rack;
};

/* What one ACK told the scoreboard (sack.c) and RACK's candidate for the
 * most recently sent segment it delivered (rack.c). */
struct sn_sack_news {
	uint32_t old_una;        /* SND.UNA before this ACK */
	uint32_t dsack_l, dsack_r; /* the D-SACK block, if dsack */
	uint32_t cand_ts, cand_end; /* latest (time, end) delivered, if cand_set */
	unsigned dsack : 1;
	unsigned cand_set : 1;
	unsigned reordered : 1;  /* a never-resent piece arrived below RACK.fack */
	uint8_t nnew;            /* ranges newly SACKed by this ACK */
	struct sn_seq_range newr[SN_TCP_SACK_MAX];
};

/* ---- sack.c */
/* RFC 6937 §3.1: the bytes PRR lets one ACK send. pipe > ssthresh:
 * CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out, in whole segments.
 * Else the reduction bound: MAX(prr_delivered - prr_out, delivered), plus
 * one SMSS if safe (on every ACK in RFC 6937's PRR-SSRB, tcp_prr 1; with
 * tcp_prr 2, as Linux since 5.14 and RFC 9937, only on an ACK that advanced
 * SND.UNA and showed no further loss), at most ssthresh - pipe. At least
 * one SMSS while nothing was sent (the fast retransmit). */
uint32_t tcp_prr_sndcnt(uint32_t prr_delivered, uint32_t prr_out, uint32_t recover_fs,
			uint32_t ssthresh, uint32_t pipe, uint32_t delivered, uint32_t mss, int safe);
/* Bytes SACKed inside [s, e). */
uint32_t tcp_sack_sacked_in(const struct sn_sack_sb *sb, uint32_t s, uint32_t e);
/* Retransmit [s, e) of already-sent space (at most one segment); returns
 * the sequence space sent. */
uint32_t tcp_sack_resend(struct synack_stack *st, struct sn_tcb *tcb, uint32_t s, uint32_t e);
/* Send one segment of new data (at most len); returns the space sent. */
uint32_t tcp_sack_send_new(struct synack_stack *st, struct sn_tcb *tcb, uint32_t len);

/* ---- rack.c */
/* RACK runs on this connection: its records cover the flight (the
 * tcp_recovery knob is read as data goes out). */
static inline int tcp_rack_active(const struct sn_tcb *tcb)
{
	return tcb->sb && tcb->sb->rack.on;
}
/* RFC 8985 §6.2 steps 1-3 for what the cumulative ACK delivered, while
 * the scoreboard still says what was SACKed before; forgets those records. */
void tcp_rack_on_cumack(struct synack_stack *st, struct sn_tcb *tcb, struct sn_sack_news *news);
/* The rest of steps 1-4 with the newly SACKed ranges; D-SACK undo; TLP's
 * ACK (§7.4). */
void tcp_rack_on_ack(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
		     struct sn_sack_news *news, int advanced);
/* Both of the above for an ACK of new data that carries no SACK block
 * while nothing is SACKed (header prediction's, via
 * tcp_sack_ack_predicted): no ranges newly SACKed, no D-SACK. */
void tcp_rack_on_plain_ack(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg);
/* Step 5: mark lost what the reordering window allows, arm the reordering
 * timer for the rest. Returns 1 if anything is marked lost (now or before). */
int tcp_rack_detect_loss(struct synack_stack *st, struct sn_tcb *tcb);
/* IsLost() under RACK: the octet is in a record marked lost and not SACKed. */
int tcp_rack_is_lost(const struct sn_tcb *tcb, uint32_t seq);
/* The lowest unSACKed range marked lost, at most one segment: 1 if any. */
int tcp_rack_next_lost(const struct sn_tcb *tcb, struct sn_seq_range *out);
/* SetPipe() under RACK: unSACKed octets not marked lost. */
uint32_t tcp_rack_pipe(const struct sn_tcb *tcb);
/* A loss recovery episode begins: remember what undo would restore. */
void tcp_rack_episode_start(struct sn_tcb *tcb, uint32_t prior_cwnd, uint32_t prior_ssthresh);
/* Recovery ended (fast or RTO): RFC 8985 §6.2 step 4's persistence. */
void tcp_rack_recovery_exit(struct sn_tcb *tcb);
/* A retransmission timeout: no probe, no undo; with lost set every record
 * is marked lost (RFC 8985 §6.3; only the unSACKed octets in them count),
 * else every mark is cleared (plain go-back-N). */
void tcp_rack_on_timeout(struct sn_tcb *tcb, int lost);

#endif
