/*
 * syncookie.h: SYN cookies (RFC 4987 §3.6), the stateless answer to a SYN
 * flood.
 *
 * When a listener's SYN queue is full (tcp_syncookies = 1) or always (= 2),
 * a SYN is answered with a SYN,ACK whose ISS encodes everything needed to
 * rebuild the connection from the ACK that completes the handshake, and no
 * state is kept. The ISS is
 *
 *     bits 31..27  t: a counter that advances every 64 s (its low 5 bits)
 *     bits 26..24  an index into a table of 8 MSS values (the peer's MSS,
 *                  rounded down)
 *     bits 23..0   SipHash(secret; 4-tuple, the peer's ISN, t), low 24 bits
 *
 * The returning ACK is accepted when SEG.ACK - 1 carries a t of this or the
 * previous period and a hash that matches for SEG.SEQ - 1; a blind forgery
 * succeeds with probability 2^-24 per guess, and only while cookies were
 * sent in the last two periods (a listener that never overflowed does not
 * validate cookies at all). What a cookie cannot carry is lost: window
 * scaling, SACK permission and timestamps the SYN offered.
 */
#ifndef SYNACK_TCP_SYNCOOKIE_H
#define SYNACK_TCP_SYNCOOKIE_H

#include <stdint.h>

#include "synack/synack.h"

struct synack_stack;

/* The ISS for a SYN from remote to local with initial sequence irs and
 * MSS option mss (0: none). *mss_used receives the MSS the cookie encodes. */
uint32_t tcp_syncookie_make(struct synack_stack *st, const struct synack_endpoint *local,
			    const struct synack_endpoint *remote, uint32_t irs, uint16_t mss,
			    uint16_t *mss_used);
/* Check the ACK that should complete a cookie handshake: seq and ack as
 * received. 0 and *mss on success, -1 if it is not a valid cookie. */
int tcp_syncookie_check(struct synack_stack *st, const struct synack_endpoint *local,
			const struct synack_endpoint *remote, uint32_t seq, uint32_t ack,
			uint16_t *mss);
/* Were cookies sent recently enough that an ACK may carry one? */
int tcp_syncookie_recent(const struct synack_stack *st);

#endif
