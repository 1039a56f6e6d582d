/*
 * timewait.h: the compact TIME-WAIT table.
 *
 * A connection that enters TIME-WAIT gives up its TCB and buffers and leaves
 * one 56-byte entry: the 4-tuple, the sequence numbers needed to re-ACK a
 * retransmitted FIN and to judge a new SYN, the timestamp state (RFC 7323
 * ts_recent and when it was seen), when it last answered an invalid segment
 * (the tcp_invalid_ratelimit stamp), and its absolute expiry (DESIGN.md
 * invariant). TIME-WAIT lasts 2*MSL, restarted by each retransmitted FIN
 * (RFC 9293 §3.10.7.4, MUST-13).
 *
 * Layout, chosen for 10 million entries in well under 64 bytes each with the
 * table's own overhead (bench/tw_bench.c measures it):
 *  - entries live in a slab of 4096-entry chunks and are named by 32-bit
 *    indices, never pointers; free entries form a list through `hnext`;
 *  - lookup is a chained hash on the 4-tuple keyed with the stack's SipHash
 *    secret: a power-of-two array of 32-bit bucket heads that doubles when
 *    the entries outnumber the buckets (load factor 0.5..1);
 *  - there is no timer per entry. Entries sit on a few doubly linked FIFOs
 *    in expiry order, and each FIFO has ONE wheel timer armed at its head.
 *    With a constant MSL every new or restarted entry expires last, so one
 *    FIFO suffices and insert, restart and expiry are O(1). When the MSL is
 *    lowered at runtime a new entry may expire before older ones; it goes to
 *    the FIFO whose tail expires latest but not after it (patience sorting),
 *    so every FIFO stays sorted and every entry expires at its exact time.
 *    Only when all SN_TW_QUEUES FIFOs end later (the MSL lowered that many
 *    times within one 2*MSL) is an entry placed by walking back from a tail.
 *
 * The number of entries is bounded by cfg.max_timewait (tcp_max_tw_buckets),
 * read at every insert so it can change at runtime: lowering it below the
 * current count purges nothing, it only stops new entries. When full, a
 * connection that would enter TIME-WAIT is destroyed at once, counted
 * (tw_killed) and logged, rate-limited, as Linux does.
 *
 * For RFC 7323 / RFC 6191 / tcp_tw_reuse: a connection that used timestamps
 * hands over TS.Recent and when it was stored (sn_tw_insert's `ts`; else
 * SN_TW_F_TS is clear and both are zero), and its re-ACKs carry a TSopt.
 * sn_tw_syn_is_new() judges a SYN against an entry, sn_tw_reusable() a
 * connect() under tcp_tw_reuse, and sn_tw_recycle() hands an entry's 4-tuple
 * to a new incarnation (counted in tw_recycled or tw_syn_accepted).
 */
#ifndef SYNACK_TCP_TIMEWAIT_H
#define SYNACK_TCP_TIMEWAIT_H

#include <stdint.h>

#include "base/wheel.h"
#include "synack/synack.h"
#include "wire/tcp_wire.h"

struct synack_stack;

#define SN_TW_NIL UINT32_MAX
#define SN_TW_QUEUES 4            /* expiry FIFOs (see above) */
#define SN_TW_CHUNK_SHIFT 12      /* 4096 entries (224 KiB) per slab chunk */

#define SN_TW_F_USED 0x01         /* entry is live (not on the free list) */
#define SN_TW_F_TS 0x02           /* the connection used timestamps: ts_recent is valid */
#define SN_TW_F_REUSE 0x04        /* its socket had SO_REUSEADDR (port sharing rules) */
#define SN_TW_F_SHARED 0x08       /* connect() picked its port: shared by 4-tuple (demux.c) */
#define SN_TW_Q_SHIFT 4           /* bits 4..5: which expiry FIFO holds the entry */

/* One TIME-WAIT entry: 56 bytes, 4-byte aligned. */
struct sn_tw {
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint32_t snd_nxt;             /* our FIN + 1 */
	uint32_t rcv_nxt;             /* their FIN + 1 */
	uint16_t rcv_wnd;             /* window field we send in re-ACKs (already scaled) */
	uint8_t spare;                /* unused (padding) */
	uint8_t flags;                /* SN_TW_F_*, queue number */
	uint32_t ts_recent;           /* RFC 7323 TS.Recent: last TSval seen from the peer */
	uint32_t ts_recent_age;       /* when it was seen: stack time in ms (sn_tw_now_ms), wraps */
	uint32_t last_oow_ack_ms;     /* when it last answered a segment the rate limit covers:
	                               * sn_tw_now_ms + 1 (0: never), tcp_invalid_ratelimit */
	uint32_t expires_lo, expires_hi; /* absolute expiry, µs (split: keeps 4-byte alignment) */
	uint32_t hnext;               /* hash chain, or free list */
	uint32_t qprev, qnext;        /* expiry FIFO */
};

struct sn_tw_queue {
	uint32_t head, tail;          /* entry indices, SN_TW_NIL when empty */
	struct sn_timer timer;        /* armed at the head's expiry */
};

struct sn_tw_table {
	struct sn_tw **chunks;        /* [nchunks] slabs of 1 << SN_TW_CHUNK_SHIFT entries */
	uint32_t nchunks, chunks_cap;
	uint32_t carved;              /* entries ever handed out from the slabs */
	uint32_t free_head;           /* free entries, linked through hnext */
	uint32_t *buckets;            /* [mask + 1] chain heads */
	uint32_t mask;
	uint32_t count;               /* live entries */
	struct sn_tw_queue q[SN_TW_QUEUES];
};

/* Timestamp state handed over from the TCB (NULL when not in use). */
struct sn_tw_ts {
	uint32_t ts_recent, ts_recent_age;
};

int sn_tw_init(struct synack_stack *st);
void sn_tw_destroy(struct synack_stack *st);
/* Bytes the table holds (entries' slabs, buckets, chunk index) for the bench
 * and the docs. */
size_t sn_tw_memory(const struct synack_stack *st);
static inline uint32_t sn_tw_now_ms(uint64_t now)
{
	return (uint32_t)(now / 1000u);
}
static inline uint64_t sn_tw_expires(const struct sn_tw *tw)
{
	return (uint64_t)tw->expires_hi << 32 | tw->expires_lo;
}
struct sn_tw *sn_tw_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			   uint16_t rport);
/* Create an entry from a TCB's final numbers, expiring at now + 2*MSL; it
 * holds the local port as the TCB did (port_how: SN_PORT_* of stack.h).
 * NULL when the table is full (max_timewait) or out of memory. */
struct sn_tw *sn_tw_insert(struct synack_stack *st, const struct synack_endpoint *local,
			   const struct synack_endpoint *remote, uint32_t snd_nxt,
			   uint32_t rcv_nxt, uint32_t rcv_wnd, unsigned port_how,
			   const struct sn_tw_ts *ts);
/* End the entry now (TIME-WAIT -> CLOSED), with why for the trace. */
void sn_tw_kill(struct synack_stack *st, struct sn_tw *tw, const char *why);
/* RFC 6191 / MAY-2: does this SYN (no ACK) come from a newer incarnation
 * than the connection tw remembers? With timestamps on both incarnations:
 * its TSval is newer than ts_recent (or equal, and its sequence number lies
 * beyond RCV.NXT); otherwise the sequence rule alone. A SYN with an older
 * TSval counts in paws_rejected. */
int sn_tw_syn_is_new(struct synack_stack *st, const struct sn_tw *tw, const struct sn_tcp_seg *seg);
/* tcp_tw_reuse: may connect() take over this entry's 4-tuple? Only with
 * tcp_tw_reuse = 1, an entry that used timestamps, and tw_reuse_delay_us
 * passed since its last timestamp arrived. */
int sn_tw_reusable(const struct synack_stack *st, const struct sn_tw *tw);
/* A new incarnation takes over tw's 4-tuple (an accepted SYN, or
 * tcp_tw_reuse on connect): the entry goes (TIME-WAIT -> CLOSED, traced with
 * why). Returns the lowest ISN the new incarnation may use: beyond anything
 * the old one sent plus a window (MAY-2 condition 1; Linux: snd_nxt + 65537). */
uint32_t sn_tw_recycle(struct synack_stack *st, struct sn_tw *tw, const char *why);
/* SEGMENT ARRIVES in TIME-WAIT (PAWS, RST, a new SYN, a retransmitted FIN;
 * TS.Recent follows a valid bare ACK; ACKs to invalid segments are rate
 * limited per entry by invalid_ratelimit_us, see timewait.c). can_reopen: a listener would take a new
 * connection on this port. Returns 1 if the entry was removed and the
 * segment should go to that listener (a new SYN, MAY-2 / RFC 6191), with
 * *iss_min the lowest ISN the new incarnation may use; else 0 (handled). */
int sn_tw_input(struct synack_stack *st, struct sn_tw *tw, const struct sn_tcp_seg *seg,
		int can_reopen, uint32_t *iss_min);
/* Visit entries in expiry order for the connection table, in place (no
 * copy); stop when fn returns non-zero (then returns 1). fn must not change
 * the stack. */
int sn_tw_foreach(struct synack_stack *st, int (*fn)(void *ctx, const struct synack_conn_info *ci),
		  void *ctx);
/* The resumable walk behind synack_stack_walk_conn: visit live entries in
 * slot order from *slot, each slot (live or free) costing one of *budget;
 * stop when the budget is spent or fn returns non-zero (then *slot is that
 * entry's, to be visited again). Returns 1 if stopped early, 0 at the end. */
int sn_tw_walk(struct synack_stack *st, uint32_t *slot, uint64_t *budget,
	       int (*fn)(void *ctx, const struct synack_conn_info *ci), void *ctx);

#endif
