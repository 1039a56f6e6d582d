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
 * When the SYN carried timestamps (and tcp_timestamps is on), the SYN,ACK
 * answers the options the SYN offered, as Linux does, and carries them in
 * the low 6 bits of its TSval, which the peer echoes in TSecr (RFC 7323 §3.2
 * obliges it to):
 *
 *     bits 3..0    the peer's window scale shift (0..14), 15: no WSopt
 *     bit 4        SACK-permitted
 *     bit 5        0 (reserved)
 *
 * The TSval is our clock with those bits replaced, never ahead of it. The
 * option bits are an input of the hash ("no timestamps" is a seventh bit),
 * so an ACK whose TSecr was altered, or that drops the TSopt it agreed to,
 * fails validation: stricter than Linux, which trusts the echoed bits.
 * Without timestamps a cookie carries the MSS only, and the SYN,ACK offers
 * no window scaling and no SACK (the connection could not remember them).
 *
 * The returning ACK is accepted when SEG.ACK - 1 carries a t of this or the
 * previous period and a hash that matches for SEG.SEQ - 1 and the echoed
 * option bits, and its TSecr (if any) is not ahead of our clock; a blind
 * forgery succeeds with probability 2^-24 per guess, and only while cookies
 * were sent in the last two periods (a listener that never overflowed does
 * not validate cookies at all).
 */
#ifndef SYNACK_TCP_SYNCOOKIE_H
#define SYNACK_TCP_SYNCOOKIE_H

#include <stdint.h>

#include "synack/synack.h"

#include "wire/tcp_wire.h"

struct synack_stack;

/* Answer a SYN (its options in syn, ts_now: our TSval clock for this
 * 4-tuple) with a cookie: returns the ISS and fills *synack with the options
 * the SYN,ACK carries: MSS = the table entry the cookie encodes, and with
 * timestamps the answered WSopt (our shift rcv_wscale), SACK-permitted and a
 * TSopt whose TSval carries the option bits. */
uint32_t tcp_syncookie_make(struct synack_stack *st, const struct synack_endpoint *local,
			    const struct synack_endpoint *remote, uint32_t irs,
			    const struct sn_tcp_opts *syn, uint32_t ts_now, uint8_t rcv_wscale,
			    struct sn_tcp_opts *synack);
/* Check the ACK that should complete a cookie handshake (seq, ack and
 * options as received; ts_now as for make). 0 on success with *syn set to
 * the options the SYN had as far as the cookie carries them (MSS; with
 * timestamps WSopt, SACK-permitted and a TSopt whose TSval is the ACK's,
 * for TS.Recent); -1 if it is not a valid cookie. */
int tcp_syncookie_check(struct synack_stack *st, const struct synack_endpoint *local,
			const struct synack_endpoint *remote, uint32_t seq, uint32_t ack,
			const struct sn_tcp_opts *ack_opts, uint32_t ts_now, struct sn_tcp_opts *syn);
/* Were cookies sent recently enough that an ACK may carry one? */
int tcp_syncookie_recent(const struct synack_stack *st);

#endif
