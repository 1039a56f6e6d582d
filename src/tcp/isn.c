/*
 * isn.c: initial sequence numbers, RFC 9293 §3.4.1 (MUST-8, MUST-9, SHLD-1):
 *     ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
 * M is a clock that ticks every isn_tick_us (4 µs by default, the RFC's
 * value), so successive incarnations of one 4-tuple get increasing ISNs;
 * F is SipHash-2-4 keyed with a per-stack secret drawn from the stack's
 * seeded RNG, so an off-path attacker cannot predict it.
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
