/*
 * wheel.h: a hierarchical timing wheel, the stack's one timer facility.
 *
 * O(1) add and cancel, amortised O(1) expiry per timer (DESIGN.md, Performance
 * principles). Timers are intrusive (struct sn_timer lives inside the TCB or
 * TIME-WAIT entry) and hold an absolute expiry in microseconds.
 *
 * Contract:
 *  - A timer fires in the first sn_wheel_advance(now) call with now >= expires,
 *    at the exact expiry it was given (no rounding up past that call), and
 *    never earlier. Timers due in the same call fire in expiry order (ties in
 *    the order they were added).
 *  - A timer added with expires <= the wheel's current time fires in the next
 *    advance call.
 *  - Callbacks may add, re-add or cancel any timer, including the one firing.
 *  - sn_wheel_next_deadline() is a lower bound on the earliest pending expiry
 *    (never later than it), is strictly greater than the time of the last
 *    advance when no timer is due, and is SN_TIME_NEVER when no timer is
 *    pending. Callers (the sans-IO poll) use it as "call me again at".
 *  - Expiries may be any distance in the future (hours, days): far timers
 *    cascade down through the levels.
 *  - Time never goes backwards: advance with an earlier now than before is a
 *    no-op.
 */
#ifndef SYNACK_BASE_WHEEL_H
#define SYNACK_BASE_WHEEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/time.h"

struct sn_timer {
	struct sn_timer *next, **pprev; /* slot chain; pprev == NULL when idle */
	sn_time_us expires;             /* absolute expiry */
	uint64_t seq;                   /* add order: breaks ties between equal expiries */
	void (*fn)(struct sn_timer *t, sn_time_us now, void *ctx); /* what to run */
};

#define SN_WHEEL_LEVELS 6
#define SN_WHEEL_SLOTS 64              /* per level */
#define SN_WHEEL_TICK_US 1000          /* level-0 slot width: 1 ms */

struct sn_wheel {
	sn_time_us now;                /* time of the last advance */
	uint64_t tick;                 /* now / SN_WHEEL_TICK_US, processed up to here */
	size_t pending;                /* timers armed */
	uint64_t seq;                  /* sequence number for the next add */
	uint64_t occupied[SN_WHEEL_LEVELS]; /* bitmap of non-empty slots per level */
	struct sn_timer *slots[SN_WHEEL_LEVELS][SN_WHEEL_SLOTS];
	struct sn_timer *overflow;     /* beyond the top level's reach */
};

void sn_wheel_init(struct sn_wheel *w, sn_time_us now);
void sn_timer_init(struct sn_timer *t, void (*fn)(struct sn_timer *, sn_time_us, void *));
static inline int sn_timer_pending(const struct sn_timer *t)
{
	return t->pprev != NULL;
}
/* Arm (or re-arm) t to fire at expires. */
void sn_wheel_add(struct sn_wheel *w, struct sn_timer *t, sn_time_us expires);
/* Disarm t; no-op when idle. */
void sn_wheel_cancel(struct sn_wheel *w, struct sn_timer *t);
/* Fire every timer with expires <= now, calling t->fn(t, now, ctx) after t is
 * disarmed. Returns the number fired. */
size_t sn_wheel_advance(struct sn_wheel *w, sn_time_us now, void *ctx);
sn_time_us sn_wheel_next_deadline(const struct sn_wheel *w);

#endif
