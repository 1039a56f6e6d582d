/*
 * tcb.h: the Transmission Control Block and the tcp layer's internal API.
 *
 * One TCB per connection that is not CLOSED and not in TIME-WAIT (a
 * connection in TIME-WAIT is a compact entry in the TIME-WAIT table, see
 * timewait.h) and one per listener. Field names follow RFC 9293 §3.3.1.
 *
 * Sequence layout of the send side, once the SYN is acknowledged:
 *
 *     snd_una            snd_nxt        snd_max      snd_una + sndbuf.len
 *        |-- sent, unacked --|-- (resend) --|--- queued, unsent ---|FIN?
 *
 * The send ring's head byte has sequence number snd_una (plus one while our
 * SYN is unacknowledged). snd_nxt is the next byte to send and moves back to
 * snd_una when the retransmission timer fires (go-back-N; with SACK it
 * stays and sack.c resends the holes by pipe and NextSeg); snd_max is the
 * highest sequence number ever sent, which bounds acceptable ACKs. The FIN,
 * when queued by CLOSE, takes the sequence number just past the queued data.
 *
 * The receive ring's tail is rcv_nxt: bytes before it are readable by the
 * user; out-of-order data sits in the ring past the tail, described by the
 * ranges of tcb->ooo (reass.c), a block held only while there are some.
 *
 * Timers are plain absolute deadlines (0: off); one wheel timer per TCB is
 * armed for the earliest of them (timers.c).
 */
#ifndef SYNACK_TCP_TCB_H
#define SYNACK_TCP_TCB_H

#include <stddef.h>
#include <stdint.h>

#include "base/list.h"
#include "base/ring.h"
#include "base/wheel.h"
#include "synack/synack.h"
#include "tcp/cc.h"
#include "tcp/seq.h"
#include "wire/tcp_wire.h"

struct synack_stack;
struct sn_sock;
struct sn_sack_sb;
struct sn_ooo;

/* Out-of-order ranges (reass.c): a connection's block starts with room for
 * SN_OOO_TIER0 and grows eightfold per tier up to SN_OOO_RANGES_MAX. */
#define SN_OOO_TIER0 16
#define SN_OOO_RANGES_MAX 1024
#define SN_OOO_TIERS 3

struct sn_seq_range {
	uint32_t start, end; /* [start, end) */
};

/* A listener's own state (synack_sock_listen), from the stack's
 * listen_pool: connections never need it, so it is not in their TCBs. */
struct sn_listen {
	struct sn_list synq, acceptq; /* children in SYN-RECEIVED; ESTABLISHED, not accepted */
	uint32_t nsynq, nacceptq, backlog;
	struct synack_endpoint foreign; /* SYNs only from here (0: any; MUST-42) */
};

enum sn_tcb_timer {
	SN_T_REXMT,    /* retransmission of SYN, data or FIN */
	SN_T_PERSIST,  /* zero-window probe */
	SN_T_DELACK,   /* delayed ACK */
	SN_T_KEEP,     /* keepalive */
	SN_T_FINWAIT2, /* orphaned FIN-WAIT-2 lifetime */
	SN_T_COUNT
};

struct sn_tcb {
	/* Hot: the first two cache lines hold what the 4-tuple lookup
	 * compares and what header prediction (fastpath.c) and the segment
	 * steps read for every segment; rarely used fields come last. */
	struct sn_tcb *hash_next;    /* 4-tuple hash chain (not listeners) */
	struct synack_endpoint local, remote;
	enum synack_state state;     /* written only by state.c */

	/* send sequence variables (RFC 9293 §3.3.1) */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t max_snd_wnd;        /* largest window the peer offered (SWS, MUST-38) */
	/* receive sequence variables */
	uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge we advertised */
	uint16_t snd_mss;            /* effective send MSS (MUST-14..16) */
	uint16_t rcv_mss;            /* what we advertised */

	unsigned passive : 1;        /* came from a passive OPEN (MUST-11) */
	unsigned listener : 1;       /* a listening TCB, on stack->listeners */
	unsigned fin_queued : 1;     /* CLOSE/shutdown(WR): FIN goes after the data */
	unsigned fin_rcvd : 1;       /* peer's FIN processed (rcv side ended) */
	unsigned ooo_fin : 1;        /* a FIN arrived past a hole; at ooo_fin_seq */
	unsigned rd_shut : 1;        /* shutdown(RD) */
	unsigned nodelay : 1;        /* Nagle off (MUST-17) */
	unsigned keepalive : 1;
	unsigned ack_now : 1;        /* send an ACK at the next output */
	unsigned timing : 1;         /* an RTT measurement is running (Karn, MUST-18) */
	unsigned rtt_valid : 1;      /* srtt/rttvar hold a sample */
	unsigned in_recovery : 1;    /* fast recovery (RFC 5681 §3.2, RFC 6582) */
	unsigned linger_on : 1;      /* SO_LINGER set */
	unsigned syn_acked : 1;      /* our SYN is acknowledged */
	unsigned fin_acked : 1;      /* our FIN is acknowledged */
	unsigned reuseaddr : 1;      /* its socket (or listener) had SO_REUSEADDR: port rules */
	unsigned port_shared : 1;    /* connect() picked its port: shared by 4-tuple (demux.c) */
	unsigned orphan : 1;         /* the user closed it; counted in stack->norphans */
	unsigned dsack_pending : 1;  /* the next ACK reports dsack as its first SACK block */
	unsigned sack_recovery : 1;  /* in_recovery is RFC 6675 loss recovery, not NewReno */
	unsigned r1_reached : 1;     /* nretrans reached R1: advice given, user told (MUST-20,
	                              * SHLD-9); cleared with nretrans */
	unsigned restricted : 1;     /* listener: lq->foreign has a non-zero field: a
	                              * restricted port hold */
	unsigned timers_running : 1; /* tcp_timer_fired is dispatching: handlers only
	                              * record deadlines; it arms the wheel once, after */
	unsigned urg_rcvd : 1;       /* rcv_up is valid */
	unsigned urg_send : 1;       /* snd_up is valid: URG goes on segments before it */
	unsigned route_user : 1;     /* route is the application's: the peer's never replaces
	                              * it (MUST-52) */

	struct sn_ring sndbuf, rcvbuf;

	uint32_t ts_offset;          /* added to the ms clock for TSval (per 4-tuple) */
	uint32_t ts_recent;          /* TS.Recent (RFC 7323 §4.3) */
	uint32_t last_ack_sent;      /* Last.ACK.sent: ACK field of our latest segment */
	/* congestion control, RFC 5681 (cc.h; the algorithm's state is cc, below) */
	uint32_t cwnd, ssthresh, recover;

	/* TCP options negotiated on the SYNs (options.c). In SYN-SENT the
	 * bits say what our SYN offers; the peer's SYN leaves them on only
	 * where both sides sent the option (RFC 7323 §2.2, §3.2; RFC 2018). */
	unsigned ws_ok : 1;          /* window scaling in both directions */
	unsigned ts_ok : 1;          /* Snd.TS.OK: a TSopt on every segment */
	unsigned sack_ok : 1;        /* SACK-permitted both ways: we send and use SACK blocks */
	unsigned dsack_ok : 1;       /* report duplicates as D-SACK blocks (tcp_dsack, RFC 2883) */
	unsigned ts_recent_set : 1;  /* TS.Recent holds a value (SYN seen, or inherited) */
	unsigned ecn_ok : 1;         /* ECN (RFC 3168) in use; in SYN-SENT: our SYN asks for it */
	unsigned ecn_echo : 1;       /* receiver: set ECE on every ACK until a CWR arrives */
	unsigned ecn_cwr : 1;        /* sender: set CWR on the next new data segment */
	uint8_t snd_wscale;          /* Snd.Wind.Shift: SND.WND = SEG.WND << it */
	uint8_t rcv_wscale;          /* Rcv.Wind.Shift: SEG.WND = RCV.WND >> it */
	uint8_t delack_segs;         /* in-order segments not yet ACKed (SHLD-19) */
	uint8_t dupacks;
	uint8_t backoff;             /* RTO doublings since the last new ACK */
	uint8_t probes;              /* unanswered zero-window or keepalive probes */
	uint8_t keepcnt;             /* TCP_KEEPCNT; 0: stack default */

	/* RTT and RTO, RFC 6298 */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t rtt_seq;            /* timing the segment ending at this seq */
	uint64_t rtt_start;

	uint64_t deadline[SN_T_COUNT];
	struct sn_sock *sock;        /* NULL when orphaned or not yet accepted */
	struct sn_sack_sb *sb;       /* SACK scoreboard (sack.c); NULL until the peer sends a block */
	union {
		/* a connection: its out-of-order ranges (reass.c), NULL if none */
		struct sn_ooo *ooo;
		/* a listener, which never receives data: its own block */
		struct sn_listen *lq;
	};

	/* Colder: timers, lists, the algorithm's state, rare events */
	struct sn_timer timer;       /* armed at min(deadline[]) */
	struct sn_list all;          /* stack->conns: every TCB */
	struct sn_list qlink;        /* listener: in parent's synq or acceptq */
	struct sn_tcb *parent;       /* listener, until accepted */
	struct sn_cc_state cc;       /* the algorithm and its state */
	uint64_t ts_recent_age;      /* now when TS.Recent was stored (§5.5, 24 days) */
	uint64_t first_rexmt_at;     /* when the current retransmission run began (user timeout) */
	uint32_t ts_syn;             /* TSval of our first SYN (SYN,ACK echo check) */
	uint32_t last_oow_ack_ms;    /* when we last answered an unacceptable pure ACK (ms
	                              * clock + 1, 0: never): tcp_invalid_ratelimit */
	uint32_t ecn_recover;        /* sender: no new ECE reaction before SND.UNA passes this */
	uint32_t nretrans;           /* consecutive RTO expiries (R1/R2) */
	uint32_t total_retrans;
	uint32_t ooo_fin_seq;
	uint32_t rcv_up;             /* first octet after the peer's urgent data (MUST-62) */
	uint32_t snd_up;             /* first octet after our urgent data */
	struct sn_seq_range dsack;   /* a duplicate to report first (RFC 2883), if dsack_pending */
	uint32_t user_timeout_us;    /* 0: stack default */
	uint16_t keepidle_s, keepintvl_s; /* TCP_KEEPIDLE/KEEPINTVL; 0: stack default */
	int err;                     /* error to report to the user (negative errno) */
	int soft_err;                /* last ICMP soft error (MUST-56, SHLD-25): SO_ERROR reads
	                              * and clears it; a timeout reports it for -ETIMEDOUT */
	uint8_t ttl, tos;            /* IP header fields for this connection (MUST-48, MUST-49) */
	struct synack_route *route;  /* IP source route for our datagrams (NULL: none): a
	                              * block from the stack's route_pool while there is one */
};

/* ---- state.c: the one choke point for state (DESIGN.md invariant) */
/* Check old->new against RFC 9293's diagram, count it, trace it, write it. */
void tcp_set_state(struct synack_stack *st, struct sn_tcb *tcb, enum synack_state to, const char *why);
/* Counting and tracing for a connection without a TCB (TIME-WAIT entries). */
void tcp_note_transition(struct synack_stack *st, const struct synack_endpoint *local,
			 const struct synack_endpoint *remote, enum synack_state from,
			 enum synack_state to, const char *why);
/* A TCB leaves the stack's books in its current state (gauge only). */
void tcp_state_forget(struct synack_stack *st, struct sn_tcb *tcb);
/* A new child TCB starts as a clone of its listener, in LISTEN (gauge only). */
void tcp_state_clone_listen(struct synack_stack *st, struct sn_tcb *child);
/* The TCB's connection now lives in the TIME-WAIT table (gauge moves with it). */
void tcp_state_handoff(struct sn_tcb *tcb);
int tcp_edge_allowed(enum synack_state from, enum synack_state to);
int tcp_state_synchronized(enum synack_state s);

/* IP option octets a source route takes (RFC 791: 3 + 4 per address,
 * padded to a multiple of 4); the segment size shrinks by this much
 * (RFC 9293 §3.7.1). */
static inline uint32_t tcp_route_optlen(const struct synack_route *r)
{
	return r && r->n ? (3u + 4u * r->n + 3u) & ~3u : 0;
}
/* TCP option bytes every segment of the connection carries once the
 * handshake is done: the timestamps option (NOP, NOP, TS: 12) when
 * negotiated. snd_mss leaves room for them (RFC 9293 §3.7.1: the payload
 * is the MSS less the TCP options actually sent; Linux's mss_cache). */
static inline uint32_t tcp_fixed_optlen(const struct sn_tcb *tcb)
{
	return tcb->ts_ok ? 12u : 0u;
}
/* Install route as the connection's source route (user: the application's,
 * MUST-51/52; else the peer's reversed, MUST-53/SHLD-24) and resize the
 * send MSS for its options. n = 0 removes it. 0, or -ENOMEM when no block
 * can be had (the connection keeps its route). */
int tcp_route_set(struct synack_stack *st, struct sn_tcb *tcb, const struct synack_route *route,
		  int user);
/* Copy route into the connection's block (taken if needed) without
 * touching the MSS (a new connection: its MSS is set later). 0 or -ENOMEM. */
int tcp_route_store(struct synack_stack *st, struct sn_tcb *tcb, const struct synack_route *route);

/* ---- tcb.c: life and death */
struct sn_tcb *tcb_alloc(struct synack_stack *st, uint32_t sndbuf, uint32_t rcvbuf);
/* Unlink from every table, cancel the timer, free buffers and the TCB. */
void tcb_free(struct synack_stack *st, struct sn_tcb *tcb);
/* The connection is over: report err to the user (or 0 for a clean end),
 * move to CLOSED (or LISTEN for a passive SYN-RECEIVED, MUST-11) and free. */
void tcp_close_tcb(struct synack_stack *st, struct sn_tcb *tcb, int err, const char *why);
/* Move to TIME-WAIT: hand the connection to the TIME-WAIT table, free the TCB. */
void tcp_enter_time_wait(struct synack_stack *st, struct sn_tcb *tcb, const char *why);

/* ---- input.c: SEGMENT ARRIVES (RFC 9293 §3.10.7) */
void tcp_input(struct synack_stack *st, uint32_t src, uint32_t dst, struct sn_tcp_seg *seg);
/* §3.10.7.4 window update (SND.WL1/WL2 rule); wnd is SEG.WND scaled. */
void tcp_update_window(struct sn_tcb *tcb, const struct sn_tcp_seg *seg, uint32_t wnd);
/* An ACK in (SND.UNA, SND.MAX]: free the acknowledged bytes, take an RTT
 * sample, restart the retransmission timer. Returns data bytes acked. */
uint32_t tcp_ack_new_data(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg);

/* ---- fastpath.c: header prediction */
/* 1 if the segment was predicted and fully processed (exactly as input.c's
 * steps would have), 0 if it must take the steps. */
int tcp_fastpath(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg);

/* ---- output.c */
/* Send whatever the state, windows and timers allow (data, FIN, ACK). */
void tcp_output(struct synack_stack *st, struct sn_tcb *tcb);
/* Could tcp_output send data, a FIN or an owed ACK on a connection whose
 * SYN is acknowledged? 0: every queued byte sent, no FIN queued, no ACK
 * owed, no SACK-driven recovery (tcp_output then only sets the timers). */
int tcp_output_may_send(const struct sn_tcb *tcb);
void tcp_send_ack(struct synack_stack *st, struct sn_tcb *tcb);
void tcp_send_rst(struct synack_stack *st, struct sn_tcb *tcb);
/* One header-only segment between two endpoints, outside any TCB (resets
 * for unknown connections, ACKs from TIME-WAIT entries). */
void tcp_emit_bare(struct synack_stack *st, const struct synack_endpoint *local,
		   const struct synack_endpoint *remote, uint32_t seq, uint32_t ack, uint8_t flags,
		   uint16_t wnd);
/* The same with the given options (a stateless SYN,ACK: SYN cookie). */
void tcp_emit_bare_opts(struct synack_stack *st, const struct synack_endpoint *local,
			const struct synack_endpoint *remote, uint32_t seq, uint32_t ack,
			uint8_t flags, uint16_t wnd, const struct sn_tcp_opts *o);
/* The same with a timestamps option (an ACK from a TIME-WAIT entry whose
 * connection used them, RFC 7323 §3.2). */
void tcp_emit_bare_ts(struct synack_stack *st, const struct synack_endpoint *local,
		      const struct synack_endpoint *remote, uint32_t seq, uint32_t ack, uint8_t flags,
		      uint16_t wnd, uint32_t ts_val, uint32_t ts_ecr);
/* A reset for a segment that has no connection (RFC 9293 §3.10.7.1). */
void tcp_reply_rst(struct synack_stack *st, uint32_t src, uint32_t dst, const struct sn_tcp_seg *seg);
/* Build and emit one segment from tcb. payload_len bytes come from the send
 * ring at sequence seq. */
void tcp_emit(struct synack_stack *st, struct sn_tcb *tcb, uint32_t seq, uint8_t flags,
	      uint32_t payload_len, int retransmit);
/* In-order data arrived: ACK now, or leave the ACK to the application's
 * read or the delayed-ACK timer (SHLD-19, output.c). */
void tcp_ack_in_order(struct sn_tcb *tcb);
/* The window to advertise now, with receiver SWS avoidance (MUST-39). */
uint32_t tcp_rcv_window(struct sn_tcb *tcb);
/* Bytes of sequence space from snd_una to the end of queued data (+FIN). */
uint32_t tcp_data_end(const struct sn_tcb *tcb);

/* ---- timers.c */
void tcp_timer_set(struct synack_stack *st, struct sn_tcb *tcb, enum sn_tcb_timer which, uint64_t at);
void tcp_timer_clear(struct synack_stack *st, struct sn_tcb *tcb, enum sn_tcb_timer which);
void tcp_timer_fired(struct sn_timer *t, uint64_t now, void *ctx);
/* Arm or disarm REXMT/PERSIST after output or an ACK. */
void tcp_timers_after_send(struct synack_stack *st, struct sn_tcb *tcb);
/* Activity seen: restart the keepalive idle period. */
void tcp_keepalive_reset(struct synack_stack *st, struct sn_tcb *tcb);
/* The keepalive parameters in force: per connection, else the stack's. */
uint64_t tcp_keepidle_us(const struct synack_stack *st, const struct sn_tcb *tcb);
uint64_t tcp_keepintvl_us(const struct synack_stack *st, const struct sn_tcb *tcb);
uint32_t tcp_keepcnt(const struct synack_stack *st, const struct sn_tcb *tcb);
uint32_t tcp_rto_current(const struct synack_stack *st, const struct sn_tcb *tcb);

/* ---- rtt.c: RFC 6298 */
void tcp_rtt_init(struct sn_tcb *tcb, uint32_t rto_initial_us);
void tcp_rtt_sample(struct sn_tcb *tcb, uint32_t rtt_us, uint32_t rto_min_us, uint32_t rto_max_us);
/* One of about n samples per RTT: gains alpha/n and beta/n (RFC 7323 App. G). */
void tcp_rtt_sample_n(struct sn_tcb *tcb, uint32_t rtt_us, uint32_t n, uint32_t rto_min_us,
		      uint32_t rto_max_us);

/* ---- cc.c: congestion control, declared in cc.h */

/* ---- sack.c: the SACK scoreboard and RFC 6675 loss recovery */
size_t tcp_sack_sb_size(void);
/* Return the connection's scoreboard to the stack's pool. */
void tcp_sack_free(struct synack_stack *st, struct sn_tcb *tcb);
/* An acceptable ACK on a SACK connection, after the cumulative ACK moved
 * SND.UNA (advanced; acked: data bytes): update the scoreboard and run
 * RFC 6675 §5. Returns 1 if that handled congestion control for this ACK,
 * 0 if NewReno should (no scoreboard, or a NewReno recovery in progress). */
int tcp_sack_ack(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
		 uint32_t old_una, uint32_t acked, int advanced);
/* tcp_sack_ack for an ACK of new data with no SACK block, nothing SACKed
 * and no recovery (header prediction's, fastpath.c); the same result. */
int tcp_sack_ack_predicted(struct synack_stack *st, struct sn_tcb *tcb,
			   const struct sn_tcp_seg *seg, uint32_t acked);
/* Step (C) during RFC 6675 recovery: send while cwnd - pipe >= SMSS. */
int tcp_sack_output(struct synack_stack *st, struct sn_tcb *tcb);
/* The retransmission timer fired: leave SACK recovery; keep the blocks
 * (RFC 6675 §5.1). Returns 1 if the resends skip SACKed data (pipe and
 * NextSeg until RecoveryPoint), 0 for plain go-back-N from SND.UNA. */
int tcp_sack_on_timeout(struct synack_stack *st, struct sn_tcb *tcb);
/* Output runs by pipe and NextSeg (sack.c): fast recovery, or the
 * recovery after a timeout. */
int tcp_sack_driven(const struct sn_tcb *tcb);
/* RFC 6675 IsLost(seq) and SetPipe(), for tests and tcp_info. */
int tcp_sack_is_lost(const struct sn_tcb *tcb, uint32_t seq);
uint32_t tcp_sack_pipe(const struct sn_tcb *tcb);
uint32_t tcp_sack_sacked_bytes(const struct sn_tcb *tcb);
/* The reordering timer fired (RFC 8985 §6.3): detect, recover, send. */
void tcp_sack_reo_timeout(struct synack_stack *st, struct sn_tcb *tcb);

/* ---- rack.c: RACK-TLP (RFC 8985) send records, probes, D-SACK undo */
/* [seq, seq + len) of sequence space went out (retransmit: again). */
void tcp_rack_on_send(struct synack_stack *st, struct sn_tcb *tcb, uint32_t seq, uint32_t len,
		      int retransmit);
/* Arm the REXMT deadline as a probe timeout if TLP may probe (§7.2). */
int tcp_tlp_arm(struct synack_stack *st, struct sn_tcb *tcb);
/* New data went out: a pending probe timeout restarts (§7.2). */
void tcp_tlp_new_data(struct synack_stack *st, struct sn_tcb *tcb);
/* The REXMT deadline fired: what it was (SN_RX_RTO/PTO/REO, sack.h). */
int tcp_rexmt_kind_take(struct sn_tcb *tcb);
/* The probe timeout fired (§7.3). */
void tcp_tlp_fire(struct synack_stack *st, struct sn_tcb *tcb);

/* ---- options.c: window scaling, timestamps, SACK-permitted (RFC 7323, RFC 2018) */
/* Rcv.Wind.Shift for a receive buffer of rcvbuf bytes: the smallest shift
 * whose largest window covers it, at most 14 (RFC 7323 §2.3). */
uint8_t tcp_wscale_for(uint32_t rcvbuf);
/* What our SYN will offer, from the stack's knobs (active and passive). */
void tcp_opts_offer(struct synack_stack *st, struct sn_tcb *tcb);
/* The peer's SYN or SYN,ACK: keep only what both sides sent; TS.Recent. */
void tcp_opts_negotiate(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg);
/* The options of an outgoing segment with these flags. */
void tcp_opts_fill(struct synack_stack *st, struct sn_tcb *tcb, uint8_t flags, struct sn_tcp_opts *o);
/* Our timestamp clock for this connection: ms since the stack's epoch plus
 * the connection's offset (RFC 7323 §5.4). */
uint32_t tcp_ts_now(const struct synack_stack *st, const struct sn_tcb *tcb);
/* SEG.WND as a byte count: shifted by Snd.Wind.Shift except on a SYN. */
uint32_t tcp_seg_wnd(const struct sn_tcb *tcb, const struct sn_tcp_seg *seg);
/* The largest receive window the header can express for this connection. */
uint32_t tcp_rcv_wnd_max(const struct sn_tcb *tcb);
/* PAWS, RFC 7323 §5.3 R1 with the §5.5 idle rule: 1 if the segment must be
 * rejected (the caller ACKs and drops it); counts paws_rejected. */
int tcp_paws_reject(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg);
/* §4.3 (2) / §5.3 R3: an acceptable segment may update TS.Recent. */
void tcp_ts_recent_update(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg);
/* RTTM (§4.1): an ACK that advanced SND.UNA measures the RTT from its
 * TSecr; flight is the flight size before the ACK (Appendix G). 1 if a
 * sample was taken. */
int tcp_ts_rtt_sample(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
		      uint32_t flight);
/* SYN-SENT: does a SYN,ACK echo a TSval we sent on this SYN? (Linux's
 * PAWS check of the SYN,ACK; always 1 without a TSecr to check.) */
int tcp_ts_synack_echo_ok(const struct synack_stack *st, const struct sn_tcb *tcb,
			  const struct sn_tcp_seg *seg);

/* ---- ecn.c: Explicit Congestion Notification, RFC 3168 */
/* What our SYN or SYN,ACK asks for, from tcp_ecn (called with the options). */
void tcp_ecn_offer(struct synack_stack *st, struct sn_tcb *tcb);
/* The peer's SYN (ECE+CWR: an ECN-setup SYN) or SYN,ACK (ECE alone). */
void tcp_ecn_negotiate(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg);
/* An outgoing segment: adds ECE/CWR to *flags, returns the IP ECN field. */
uint8_t tcp_ecn_out(struct sn_tcb *tcb, uint8_t *flags, uint32_t payload_len, int retransmit);
/* An acceptable segment with an ACK: CE and CWR (receiver), ECE (sender). */
void tcp_ecn_input(struct synack_stack *st, struct sn_tcb *tcb, const struct sn_tcp_seg *seg);

/* ---- reass.c: receive queue with out-of-order data (SHLD-31) */
/* Store payload [seq, seq+len) (already trimmed to the window). Returns the
 * number of bytes by which rcv_nxt advanced, -1 if the segment could not be
 * queued (SN_OOO_RANGES_MAX ranges held, no buffer memory) or -2 if
 * out-of-order data is at the stack-wide ooo_mem_max even after pruning this
 * connection's. */
int tcp_reass_store(struct synack_stack *st, struct sn_tcb *tcb, uint32_t seq,
		    const uint8_t *data, uint32_t len);
/* Bytes held out of order by this connection, and in how many ranges. */
uint32_t tcp_reass_ooo_bytes(const struct sn_tcb *tcb);
uint32_t tcp_reass_ooo_ranges(const struct sn_tcb *tcb);
/* The size of an out-of-order block of this tier (the stack's pools). */
size_t tcp_reass_block_size(int tier);
/* The TCB goes: its out-of-order data and block with it. */
void tcp_reass_free(struct synack_stack *st, struct sn_tcb *tcb);
/* The out-of-order ranges as SACK blocks (RFC 2018 §4): the range holding
 * the most recently received segment first, then the others from the most
 * recently changed. Writes up to max ranges; returns how many. */
uint32_t tcp_reass_sack_blocks(const struct sn_tcb *tcb, struct sn_seq_range *out, uint32_t max);
/* Bytes [start, end) arrived again: the next ACK reports them first as a
 * D-SACK block (RFC 2883 §4) when SACK and tcp_dsack are on. */
void tcp_reass_note_dup(struct sn_tcb *tcb, uint32_t start, uint32_t end);

/* ---- challenge.c: RFC 5961 */
/* Send a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> unless this
 * second's budget is spent (§7); returns 1 if it went out. */
int tcp_challenge_ack(struct synack_stack *st, struct sn_tcb *tcb);

/* ---- isn.c: RFC 9293 §3.4.1 */
uint32_t tcp_isn(struct synack_stack *st, const struct synack_endpoint *local,
		 const struct synack_endpoint *remote);
/* The per-connection timestamp offset (RFC 7323 §5.4): the other 32 bits of
 * the ISN's keyed hash of the 4-tuple, as Linux does since 4.10. */
uint32_t tcp_ts_offset(const struct synack_stack *st, const struct synack_endpoint *local,
		       const struct synack_endpoint *remote);

/* ---- user.c: the user calls on a TCB (RFC 9293 §3.10.1-6) */
int tcp_user_connect(struct synack_stack *st, struct sn_tcb *tcb, const uint32_t *iss_min);
int tcp_user_close(struct synack_stack *st, struct sn_tcb *tcb);
int tcp_user_abort(struct synack_stack *st, struct sn_tcb *tcb);
/* urgent: the bytes sent end the urgent data (RFC 9293 §3.8.5, MUST-30/31). */
ssize_t tcp_user_send(struct synack_stack *st, struct sn_tcb *tcb, const void *buf, size_t len,
		      int urgent);
/* Urgent bytes the user has not read yet (MUST-33). */
uint32_t tcp_urgent_pending(const struct sn_tcb *tcb);
ssize_t tcp_user_recv(struct synack_stack *st, struct sn_tcb *tcb, void *buf, size_t len);
/* The application read data: send the ACK tcp_ack_in_order held back, or
 * a window update if the window at least doubled (SWS avoidance). */
void tcp_window_update(struct synack_stack *st, struct sn_tcb *tcb);

static inline int tcb_syn_unacked(const struct sn_tcb *tcb)
{
	return tcb->state == SYNACK_SYN_SENT || tcb->state == SYNACK_SYN_RECEIVED;
}

#endif
