/*
 * isn.c: initial sequence numbers, RFC 9293 §3.4.1 (MUST-8, MUST-9, SHLD-1):
 *     ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
 * M is a clock that ticks every isn_tick_us (4 µs by default, the RFC's
 * value), so successive incarnations of one 4-tuple get increasing ISNs;
 * F is SipHash-2-4 keyed with a per-stack secret drawn from the stack's
 * seeded RNG, so an off-path attacker cannot predict it.
 *
 * The same hash gives each connection its RFC 7323 timestamp offset (§5.4:
 * "the same function with a different secret key can be used"; Linux since
 * 4.10 takes the other half of one SipHash): unpredictable to others, and
 * the same for every incarnation of a 4-tuple, so that its timestamps keep
 * growing across incarnations (RFC 6191, tcp_tw_reuse).
 */
#include "stack/stack.h"
#include "tcp/tcb.h"

uint32_t tcp_isn(struct synack_stack *st, const struct synack_endpoint *local,
		 const struct synack_endpoint *remote)
{
	uint32_t tick = st->cfg.isn_tick_us ? st->cfg.isn_tick_us : 4;
	uint32_t m = (uint32_t)(st->now / tick);
	uint64_t f = sn_siphash_tuple(&st->isn_key, local->addr, remote->addr, local->port,
				      remote->port);
	return m + (uint32_t)f;
}

uint32_t tcp_ts_offset(const struct synack_stack *st, const struct synack_endpoint *local,
		       const struct synack_endpoint *remote)
{
	/* secure_tcp_seq_and_ts_off(): one keyed hash, the ISN from its low
	 * 32 bits and the timestamp offset from the high 32 */
	uint64_t f = sn_siphash_tuple(&st->isn_key, local->addr, remote->addr, local->port,
				      remote->port);
	return (uint32_t)(f >> 32);
}
