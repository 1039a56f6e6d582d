/*
 * timewait.h: the compact TIME-WAIT table.
 *
 * A connection that enters TIME-WAIT gives up its TCB and buffers and leaves
 * one small entry: the 4-tuple, the sequence numbers needed to re-ACK a
 * retransmitted FIN and to judge a new SYN, and its expiry on the wheel
 * (DESIGN.md invariant). TIME-WAIT lasts 2*MSL, restarted by each
 * retransmitted FIN (RFC 9293 §3.10.7.4, MUST-13).
 *
 * Entries come from a bounded pool (tcp_max_tw_buckets): when it is full a
 * connection that would enter TIME-WAIT is destroyed at once and counted
 * (tw_killed), as Linux does.
 */
#ifndef SYNACK_TCP_TIMEWAIT_H
#define SYNACK_TCP_TIMEWAIT_H

#include <stdint.h>

#include "base/pool.h"
#include "base/wheel.h"
#include "synack/synack.h"
#include "wire/tcp_wire.h"

struct synack_stack;

struct sn_tw {
	struct sn_tw *hash_next;
	struct sn_timer timer;        /* 2*MSL expiry */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint32_t snd_nxt;             /* our FIN + 1 */
	uint32_t rcv_nxt;             /* their FIN + 1 */
	uint32_t rcv_wnd;             /* last window we advertised */
};

struct sn_tw_table {
	struct sn_pool pool;
	struct sn_tw **hash;
	uint32_t mask;
	uint32_t count;
};

int sn_tw_init(struct synack_stack *st, uint32_t cap);
void sn_tw_destroy(struct synack_stack *st);
struct sn_tw *sn_tw_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			   uint16_t rport);
/* Create an entry from a TCB's final numbers. NULL when the table is full. */
struct sn_tw *sn_tw_insert(struct synack_stack *st, const struct synack_endpoint *local,
			   const struct synack_endpoint *remote, uint32_t snd_nxt,
			   uint32_t rcv_nxt, uint32_t rcv_wnd);
/* End the entry now (TIME-WAIT -> CLOSED), with why for the trace. */
void sn_tw_kill(struct synack_stack *st, struct sn_tw *tw, const char *why);
/* SEGMENT ARRIVES in TIME-WAIT. can_reopen: a listener would take a new
 * connection on this port. Returns 1 if the entry was removed and the
 * segment should go to that listener (a new SYN, MAY-2 / RFC 6191), with
 * *iss_min the lowest ISN the new incarnation may use; else 0 (handled). */
int sn_tw_input(struct synack_stack *st, struct sn_tw *tw, const struct sn_tcp_seg *seg,
		int can_reopen, uint32_t *iss_min);
/* Visit entries for the connection table; stop when fn returns non-zero. */
int sn_tw_foreach(struct synack_stack *st, int (*fn)(void *ctx, const struct synack_conn_info *ci),
		  void *ctx);

#endif
