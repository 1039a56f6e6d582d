/*
 * wheel.c: a hierarchical timing wheel with exact expiry.
 *
 * Time is cut into 1 ms ticks (SN_WHEEL_TICK_US). Level l has 64 slots, each
 * 64^l ticks wide; the six levels span 2^36 ticks (about 795 days) and an
 * overflow list holds anything beyond. A timer whose expiry tick is e sits,
 * relative to the processed tick t, at the level of the most significant
 * 6-bit group in which e and t differ, in the slot named by e's group there.
 * So every slot at level l >= 1 lies strictly ahead of t's group at that
 * level, and when t reaches the start of a slot (its "cascade tick") the
 * timers in it are placed again, landing lower, until they reach level 0,
 * where a slot holds exactly one tick. Add and cancel are O(1); each timer
 * moves at most once per level on its way down.
 *
 * Exactness: the wheel never rounds. When a level-0 slot comes due, its
 * timers are sorted by (expires, seq) and only those with expires <= now
 * fire; the rest (later in the same millisecond) stay for the next call.
 * seq is the add order, so equal expiries fire in the order they were added.
 *
 * Advancing jumps between events using the occupancy bitmaps (the next
 * occupied level-0 slot, or the next cascade tick of the lowest occupied
 * level), so advancing by days costs the number of timers and cascades, not
 * the number of ticks.
 *
 * "Due" timers: a timer added with expires <= w->now (also from a callback
 * while advance runs, since w->now is set to the new time first) waits in the
 * level-0 slot of the current tick and fires in the next advance call with a
 * now that is not earlier. While an advance is still walking towards its
 * target, such timers are parked on a list local to the call, so they neither
 * fire early nor get stranded behind the walk.
 *
 * Firing: the batch of due timers is moved to a list local to the call, with
 * ordinary links, so a callback can cancel or re-add any timer of the batch
 * (it is then simply no longer there when its turn comes).
 */
#include "base/wheel.h"

#define SLOT_BITS 6
#define SLOT_MASK ((uint64_t)SN_WHEEL_SLOTS - 1)
#define WHEEL_BITS (SLOT_BITS * SN_WHEEL_LEVELS) /* ticks the levels span, log2 */

_Static_assert(SN_WHEEL_SLOTS == 1 << SLOT_BITS, "occupancy bitmaps are one uint64_t per level");
_Static_assert(WHEEL_BITS < 64, "levels must not span the whole tick range");

static void link_at(struct sn_timer **head, struct sn_timer *t)
{
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = head;
	*head = t;
}

static void unlink_timer(struct sn_timer *t)
{
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
}

static void link_slot(struct sn_wheel *w, int level, uint64_t slot, struct sn_timer *t)
{
	link_at(&w->slots[level][slot], t);
	w->occupied[level] |= 1ull << slot;
}

/* Take a slot's whole chain; its timers' links are rewritten by the caller. */
static struct sn_timer *detach_slot(struct sn_wheel *w, int level, uint64_t slot)
{
	struct sn_timer *chain = w->slots[level][slot];

	w->slots[level][slot] = NULL;
	w->occupied[level] &= ~(1ull << slot);
	return chain;
}

/*
 * A timer only knows the link pointing at it. If that link is a slot head
 * and the slot is now empty, clear the slot's occupancy bit so the bitmaps
 * stay exact (the advance loop and next_deadline trust them).
 */
static void clear_if_empty_slot(struct sn_wheel *w, struct sn_timer **link)
{
	uintptr_t a = (uintptr_t)link, base = (uintptr_t)&w->slots[0][0];
	size_t i;

	if (*link || a < base || a >= base + sizeof(w->slots))
		return;
	i = (a - base) / sizeof(w->slots[0][0]);
	w->occupied[i / SN_WHEEL_SLOTS] &= ~(1ull << (i % SN_WHEEL_SLOTS));
}

/* Put t where its expiry tick belongs relative to the processed tick. */
static void place(struct sn_wheel *w, struct sn_timer *t)
{
	uint64_t e = t->expires / SN_WHEEL_TICK_US;
	int level;

	if (e <= w->tick) {
		link_slot(w, 0, w->tick & SLOT_MASK, t);
		return;
	}
	level = (63 - __builtin_clzll(e ^ w->tick)) / SLOT_BITS;
	if (level >= SN_WHEEL_LEVELS) {
		link_at(&w->overflow, t);
		return;
	}
	link_slot(w, level, (e >> (level * SLOT_BITS)) & SLOT_MASK, t);
}

void sn_wheel_init(struct sn_wheel *w, sn_time_us now)
{
	*w = (struct sn_wheel){.now = now, .tick = now / SN_WHEEL_TICK_US};
}

void sn_timer_init(struct sn_timer *t, void (*fn)(struct sn_timer *, sn_time_us, void *))
{
	*t = (struct sn_timer){.fn = fn};
}

void sn_wheel_add(struct sn_wheel *w, struct sn_timer *t, sn_time_us expires)
{
	sn_wheel_cancel(w, t);
	t->expires = expires;
	t->seq = w->seq++;
	w->pending++;
	if (expires <= w->now)
		link_slot(w, 0, w->tick & SLOT_MASK, t); /* due: the next advance fires it */
	else
		place(w, t);
}

void sn_wheel_cancel(struct sn_wheel *w, struct sn_timer *t)
{
	struct sn_timer **link = t->pprev;

	if (!link)
		return;
	unlink_timer(t);
	w->pending--;
	clear_if_empty_slot(w, link);
}

static int fires_before(const struct sn_timer *a, const struct sn_timer *b)
{
	return a->expires < b->expires || (a->expires == b->expires && a->seq < b->seq);
}

static struct sn_timer *merge(struct sn_timer *a, struct sn_timer *b)
{
	struct sn_timer *head = NULL, **tail = &head;

	while (a && b) {
		struct sn_timer **from = fires_before(a, b) ? &a : &b;
		struct sn_timer *t = *from;

		*from = t->next;
		*tail = t;
		tail = &t->next;
	}
	*tail = a ? a : b;
	return head;
}

/* Merge sort on next pointers only: a tick's batch can be large (many
 * connections armed in the same millisecond), so no quadratic sort. */
static struct sn_timer *sort_chain(struct sn_timer *head)
{
	struct sn_timer *slow = head, *fast, *second;

	if (!head || !head->next)
		return head;
	for (fast = head->next; fast && fast->next; fast = fast->next->next)
		slow = slow->next;
	second = slow->next;
	slow->next = NULL;
	return merge(sort_chain(head), sort_chain(second));
}

/* Fire the current tick's timers with expires <= now, in order; keep the rest. */
static size_t fire_slot(struct sn_wheel *w, sn_time_us now, void *ctx)
{
	uint64_t slot = w->tick & SLOT_MASK;
	struct sn_timer *t, *next, *batch = NULL, **link;
	size_t fired = 0;

	for (t = detach_slot(w, 0, slot); t; t = next) {
		next = t->next;
		if (t->expires <= now) {
			t->next = batch;
			batch = t;
		} else {
			link_slot(w, 0, slot, t);
		}
	}
	batch = sort_chain(batch);
	for (link = &batch; *link; link = &(*link)->next)
		(*link)->pprev = link;
	while ((t = batch)) {
		unlink_timer(t);
		w->pending--;
		t->fn(t, now, ctx);
		fired++;
	}
	return fired;
}

static uint64_t overflow_event(const struct sn_wheel *w)
{
	uint64_t c = UINT64_MAX;

	for (const struct sn_timer *t = w->overflow; t; t = t->next) {
		uint64_t e = t->expires / SN_WHEEL_TICK_US;
		uint64_t start = e >> WHEEL_BITS << WHEEL_BITS;

		if (start < c)
			c = start;
	}
	return c;
}

/*
 * The first tick after w->tick at which something must happen: a level-0
 * slot comes due, or a higher slot must cascade. Levels are nested in time,
 * so the lowest occupied level holds the earliest event. UINT64_MAX if none.
 */
static uint64_t next_event(const struct sn_wheel *w)
{
	uint64_t t = w->tick;
	uint64_t ahead = w->occupied[0] & ~((2ull << (t & SLOT_MASK)) - 1);

	if (ahead)
		return (t & ~SLOT_MASK) | (uint64_t)__builtin_ctzll(ahead);
	for (int l = 1; l < SN_WHEEL_LEVELS; l++) {
		int shift = l * SLOT_BITS;
		uint64_t block = t >> (shift + SLOT_BITS) << (shift + SLOT_BITS);

		if (w->occupied[l])
			return block | ((uint64_t)__builtin_ctzll(w->occupied[l]) << shift);
	}
	return overflow_event(w);
}

static void replace_chain(struct sn_wheel *w, struct sn_timer *chain)
{
	struct sn_timer *next;

	for (; chain; chain = next) {
		next = chain->next;
		place(w, chain);
	}
}

/* At tick w->tick, re-place every slot whose span starts here. */
static void cascade(struct sn_wheel *w)
{
	uint64_t c = w->tick;

	if ((c & ((1ull << WHEEL_BITS) - 1)) == 0) {
		struct sn_timer *chain = w->overflow;

		w->overflow = NULL;
		replace_chain(w, chain);
	}
	for (int l = SN_WHEEL_LEVELS - 1; l >= 1; l--) {
		int shift = l * SLOT_BITS;

		if ((c & ((1ull << shift) - 1)) == 0)
			replace_chain(w, detach_slot(w, l, (c >> shift) & SLOT_MASK));
	}
}

/* Move timers made due by callbacks out of the current slot before the walk
 * leaves it; they go back into the final slot when the walk ends. */
static void park_due(struct sn_wheel *w, struct sn_timer **parked)
{
	struct sn_timer *t, *next;

	for (t = detach_slot(w, 0, w->tick & SLOT_MASK); t; t = next) {
		next = t->next;
		link_at(parked, t);
	}
}

static void unpark_due(struct sn_wheel *w, struct sn_timer **parked)
{
	struct sn_timer *t;

	while ((t = *parked)) {
		unlink_timer(t);
		link_slot(w, 0, w->tick & SLOT_MASK, t);
	}
}

size_t sn_wheel_advance(struct sn_wheel *w, sn_time_us now, void *ctx)
{
	uint64_t target = now / SN_WHEEL_TICK_US;
	struct sn_timer *parked = NULL;
	size_t fired = 0;

	if (now < w->now)
		return 0;
	w->now = now;
	for (;;) {
		fired += fire_slot(w, now, ctx);
		if (w->tick >= target)
			break;
		park_due(w, &parked);
		uint64_t c = next_event(w);
		if (c > target) {
			w->tick = target; /* nothing due or cascading on the way */
			break;
		}
		w->tick = c;
		cascade(w);
	}
	unpark_due(w, &parked);
	return fired;
}

static sn_time_us min_expiry(const struct sn_timer *t)
{
	sn_time_us m = SN_TIME_NEVER;

	for (; t; t = t->next)
		m = sn_time_min(m, t->expires);
	return m;
}

/*
 * Exact when the earliest timer is in a level-0 slot (the common case: it is
 * close); otherwise the start of the next cascade, which is no later than any
 * expiry in the cascading slot and still in the future.
 */
sn_time_us sn_wheel_next_deadline(const struct sn_wheel *w)
{
	uint64_t slot = w->tick & SLOT_MASK;
	uint64_t ahead = w->occupied[0] & ~((1ull << slot) - 1);
	uint64_t c;

	if (!w->pending)
		return SN_TIME_NEVER;
	if (ahead)
		return min_expiry(w->slots[0][__builtin_ctzll(ahead)]);
	c = next_event(w);
	if (c > SN_TIME_NEVER / SN_WHEEL_TICK_US)
		return SN_TIME_NEVER;
	return c * SN_WHEEL_TICK_US;
}
