/*
 * test_wheel.c: the timing wheel's contract (wheel.h), case by case, then a
 * randomized model-based test: many seeded add/cancel/re-add/advance
 * operations, with callbacks that themselves add and cancel, checked against
 * a plain array of (armed, expires, add order). Every timer must fire exactly
 * once, in the first advance with now >= expires, never early, in (expires,
 * add order) order; next_deadline must be a lower bound on the earliest
 * expiry, and later than now when nothing is due.
 */
#include "check.h"

#include "base/list.h"
#include "base/rng.h"
#include "base/wheel.h"

#define MS SN_US_PER_MS
#define SEC SN_US_PER_SEC
#define DAY (86400 * SEC)

/* ---- scenario fixtures -------------------------------------------------- */

struct rec_timer {
	struct sn_timer t;
	int id;
};

/* What fired, in order; callbacks may also act on other timers. */
struct rec_log {
	int n;
	int id[64];
	sn_time_us now[64];
	struct sn_wheel *w;
	struct rec_timer *all;
	void (*action)(struct rec_log *log, struct rec_timer *r, sn_time_us now);
};

static void rec(struct sn_timer *t, sn_time_us now, void *ctx)
{
	struct rec_log *log = ctx;
	struct rec_timer *r = sn_container_of(t, struct rec_timer, t);

	if (log->n < 64) {
		log->id[log->n] = r->id;
		log->now[log->n] = now;
	}
	log->n++;
	if (log->action)
		log->action(log, r, now);
}

static void setup(struct sn_wheel *w, struct rec_timer *r, int n, struct rec_log *log, sn_time_us now)
{
	sn_wheel_init(w, now);
	for (int i = 0; i < n; i++) {
		sn_timer_init(&r[i].t, rec);
		r[i].id = i;
	}
	memset(log, 0, sizeof(*log));
	log->w = w;
	log->all = r;
}

/* ---- the contract, case by case ----------------------------------------- */

TEST(empty_wheel)
{
	struct sn_wheel w;
	struct rec_timer r[1];
	struct rec_log log;

	setup(&w, r, 1, &log, 5 * SEC);
	CHECK(sn_wheel_next_deadline(&w) == SN_TIME_NEVER);
	CHECK_EQ(sn_wheel_advance(&w, 6 * SEC, &log), 0);
	CHECK(!sn_timer_pending(&r[0].t));
	sn_wheel_cancel(&w, &r[0].t); /* idle: no-op */
	CHECK_EQ(w.pending, 0);
}

TEST(fires_at_exact_microsecond_not_before)
{
	struct sn_wheel w;
	struct rec_timer r[1];
	struct rec_log log;

	setup(&w, r, 1, &log, 0);
	sn_wheel_add(&w, &r[0].t, 1500);
	CHECK(sn_timer_pending(&r[0].t));
	CHECK_EQ(sn_wheel_next_deadline(&w), 1500);
	CHECK_EQ(sn_wheel_advance(&w, 1499, &log), 0);
	CHECK_EQ(sn_wheel_next_deadline(&w), 1500);
	CHECK_EQ(sn_wheel_advance(&w, 1500, &log), 1);
	CHECK_EQ(log.now[0], 1500);
	CHECK(!sn_timer_pending(&r[0].t));
	CHECK_EQ(w.pending, 0);
	CHECK(sn_wheel_next_deadline(&w) == SN_TIME_NEVER);
}

/* Within one millisecond tick: microsecond order, and the later ones wait. */
TEST(sub_tick_order_and_leftovers)
{
	struct sn_wheel w;
	struct rec_timer r[3];
	struct rec_log log;

	setup(&w, r, 3, &log, 0);
	sn_wheel_add(&w, &r[0].t, 1700);
	sn_wheel_add(&w, &r[1].t, 1200);
	sn_wheel_add(&w, &r[2].t, 1500);
	CHECK_EQ(sn_wheel_next_deadline(&w), 1200);
	CHECK_EQ(sn_wheel_advance(&w, 1600, &log), 2);
	CHECK_EQ(log.id[0], 1);
	CHECK_EQ(log.id[1], 2);
	CHECK_EQ(sn_wheel_next_deadline(&w), 1700);
	CHECK_EQ(sn_wheel_advance(&w, 1700, &log), 1);
	CHECK_EQ(log.id[2], 0);
}

/* Equal expiries fire in add order; re-adding counts as a new add. */
TEST(ties_fire_in_add_order)
{
	struct sn_wheel w;
	struct rec_timer r[5];
	struct rec_log log;

	setup(&w, r, 5, &log, 0);
	for (int i = 0; i < 5; i++)
		sn_wheel_add(&w, &r[i].t, 70 * MS + 3); /* lands above level 0 */
	sn_wheel_add(&w, &r[1].t, 70 * MS + 3);
	sn_wheel_advance(&w, 69 * MS, &log); /* cascades them down first */
	sn_wheel_add(&w, &r[3].t, 70 * MS + 3);
	CHECK_EQ(sn_wheel_advance(&w, 71 * MS, &log), 5);
	CHECK_EQ(log.id[0], 0);
	CHECK_EQ(log.id[1], 2);
	CHECK_EQ(log.id[2], 4);
	CHECK_EQ(log.id[3], 1);
	CHECK_EQ(log.id[4], 3);
}

/* One advance over a long span fires everything in expiry order, each with
 * the advance's now. */
TEST(long_jump_fires_all_in_order)
{
	static const sn_time_us when[] = {5 * DAY, 3, 64 * MS, 4096 * MS + 1, 63 * MS, 2 * SEC,
					  262144 * MS, 1 * DAY, 999, 65 * MS};
	enum { N = sizeof(when) / sizeof(when[0]) };
	struct sn_wheel w;
	struct rec_timer r[N];
	struct rec_log log;

	setup(&w, r, N, &log, 0);
	for (int i = 0; i < N; i++)
		sn_wheel_add(&w, &r[i].t, when[i]);
	CHECK_EQ(sn_wheel_advance(&w, 10 * DAY, &log), N);
	for (int i = 1; i < N; i++)
		CHECK(when[log.id[i - 1]] < when[log.id[i]]);
	CHECK_EQ(log.now[N - 1], 10 * DAY);
}

/* A timer added at or before the current time fires in the next advance,
 * even one with the same now, and next_deadline says "now". */
TEST(past_expiry_fires_next_advance)
{
	struct sn_wheel w;
	struct rec_timer r[2];
	struct rec_log log;

	setup(&w, r, 2, &log, 100 * MS);
	sn_wheel_add(&w, &r[0].t, 100 * MS);
	sn_wheel_add(&w, &r[1].t, 3 * MS);
	CHECK(sn_wheel_next_deadline(&w) <= 100 * MS);
	CHECK_EQ(sn_wheel_advance(&w, 100 * MS, &log), 2);
	CHECK_EQ(log.id[0], 1); /* still expiry order */
	CHECK_EQ(log.id[1], 0);
}

TEST(time_going_backwards_is_a_no_op)
{
	struct sn_wheel w;
	struct rec_timer r[2];
	struct rec_log log;

	setup(&w, r, 2, &log, 0);
	sn_wheel_add(&w, &r[0].t, 120 * MS);
	CHECK_EQ(sn_wheel_advance(&w, 100 * MS, &log), 0);
	sn_wheel_add(&w, &r[1].t, 40 * MS); /* already due */
	CHECK_EQ(sn_wheel_advance(&w, 50 * MS, &log), 0);
	CHECK_EQ(sn_wheel_advance(&w, 0, &log), 0);
	CHECK_EQ(w.now, 100 * MS);
	CHECK(sn_timer_pending(&r[1].t));
	CHECK_EQ(sn_wheel_advance(&w, 100 * MS, &log), 1);
	CHECK_EQ(log.id[0], 1);
	CHECK_EQ(sn_wheel_advance(&w, 130 * MS, &log), 1);
	CHECK_EQ(log.id[1], 0);
}

TEST(cancel_and_rearm)
{
	struct sn_wheel w;
	struct rec_timer r[3];
	struct rec_log log;

	setup(&w, r, 3, &log, 0);
	sn_wheel_add(&w, &r[0].t, 10 * MS);
	sn_wheel_add(&w, &r[1].t, 10 * MS);
	sn_wheel_add(&w, &r[2].t, 5 * DAY);
	sn_wheel_cancel(&w, &r[0].t);
	sn_wheel_cancel(&w, &r[0].t);
	CHECK_EQ(w.pending, 2);
	sn_wheel_add(&w, &r[1].t, 30 * MS); /* re-arm moves it */
	CHECK_EQ(w.pending, 2);
	CHECK_EQ(sn_wheel_advance(&w, 20 * MS, &log), 0);
	CHECK_EQ(sn_wheel_next_deadline(&w), 30 * MS);
	sn_wheel_cancel(&w, &r[1].t);
	sn_wheel_cancel(&w, &r[2].t);
	CHECK_EQ(w.pending, 0);
	CHECK(sn_wheel_next_deadline(&w) == SN_TIME_NEVER);
	CHECK_EQ(sn_wheel_advance(&w, 6 * DAY, &log), 0);
}

/* Cancelling the only timer of a high-level slot must not leave the wheel
 * believing something is there (next_deadline would report a phantom). */
TEST(cancel_clears_occupancy)
{
	struct sn_wheel w;
	struct rec_timer r[2];
	struct rec_log log;

	setup(&w, r, 2, &log, 0);
	sn_wheel_add(&w, &r[0].t, 2 * DAY);
	sn_wheel_add(&w, &r[1].t, 7 * SEC);
	sn_wheel_cancel(&w, &r[1].t);
	CHECK(sn_wheel_next_deadline(&w) > 7 * SEC);
	for (int l = 0; l < SN_WHEEL_LEVELS; l++)
		CHECK(w.occupied[l] == 0 || l >= 4);
}

static void rearm_self_periodic(struct rec_log *log, struct rec_timer *r, sn_time_us now)
{
	if (r->id == 0)
		sn_wheel_add(log->w, &r->t, now + 10 * MS);
}

/* A callback re-arming its own timer in the future: fires once per advance
 * that reaches it, never twice in one call. */
TEST(callback_rearms_itself)
{
	struct sn_wheel w;
	struct rec_timer r[1];
	struct rec_log log;

	setup(&w, r, 1, &log, 0);
	log.action = rearm_self_periodic;
	sn_wheel_add(&w, &r[0].t, 10 * MS);
	CHECK_EQ(sn_wheel_advance(&w, 10 * MS, &log), 1);
	CHECK_EQ(sn_wheel_next_deadline(&w), 20 * MS);
	CHECK_EQ(sn_wheel_advance(&w, 55 * MS, &log), 1);
	/* Re-armed at 65 ms, beyond this level-0 rotation: the deadline may be
	 * the cascade at 64 ms, a lower bound, but never past 65 ms. */
	CHECK(sn_wheel_next_deadline(&w) > 55 * MS);
	CHECK(sn_wheel_next_deadline(&w) <= 65 * MS);
	CHECK_EQ(sn_wheel_advance(&w, 64 * MS, &log), 0);
	CHECK_EQ(sn_wheel_next_deadline(&w), 65 * MS);
	CHECK_EQ(log.n, 2);
	CHECK_EQ(sn_wheel_advance(&w, 65 * MS, &log), 1);
}

static void rearm_self_at_past(struct rec_log *log, struct rec_timer *r, sn_time_us now)
{
	(void)now;
	if (log->n < 5)
		sn_wheel_add(log->w, &r->t, r->t.expires + 1 * MS);
}

/* Re-arming at an expiry that is already past must not loop inside one
 * advance: it fires in the next call. */
TEST(callback_rearm_in_past_waits_for_next_call)
{
	struct sn_wheel w;
	struct rec_timer r[1];
	struct rec_log log;

	setup(&w, r, 1, &log, 0);
	log.action = rearm_self_at_past;
	sn_wheel_add(&w, &r[0].t, 1 * MS);
	CHECK_EQ(sn_wheel_advance(&w, 100 * MS, &log), 1);
	CHECK(sn_wheel_next_deadline(&w) <= 100 * MS);
	CHECK_EQ(sn_wheel_advance(&w, 100 * MS, &log), 1);
	CHECK_EQ(sn_wheel_advance(&w, 100 * MS, &log), 1);
	CHECK_EQ(log.n, 3);
}

static void cancel_next_one(struct rec_log *log, struct rec_timer *r, sn_time_us now)
{
	(void)now;
	if (r->id == 0)
		sn_wheel_cancel(log->w, &log->all[1].t);
	if (r->id == 2)
		sn_wheel_add(log->w, &log->all[3].t, 40 * MS);
}

/* Timer 0's callback cancels timer 1, due later in the same advance; timer
 * 2's moves timer 3 (also due in this advance) to later. */
TEST(callback_cancels_and_moves_timers_due_in_same_advance)
{
	struct sn_wheel w;
	struct rec_timer r[4];
	struct rec_log log;

	setup(&w, r, 4, &log, 0);
	log.action = cancel_next_one;
	sn_wheel_add(&w, &r[0].t, 5 * MS);
	sn_wheel_add(&w, &r[1].t, 6 * MS);
	sn_wheel_add(&w, &r[2].t, 6 * MS + 500);
	sn_wheel_add(&w, &r[3].t, 6 * MS + 700); /* same tick as 2 */
	CHECK_EQ(sn_wheel_advance(&w, 10 * MS, &log), 2);
	CHECK_EQ(log.id[0], 0);
	CHECK_EQ(log.id[1], 2);
	CHECK(!sn_timer_pending(&r[1].t));
	CHECK(sn_timer_pending(&r[3].t));
	CHECK_EQ(w.pending, 1);
	CHECK_EQ(sn_wheel_next_deadline(&w), 40 * MS);
	CHECK_EQ(sn_wheel_advance(&w, 40 * MS, &log), 1);
	CHECK_EQ(log.id[2], 3);
}

static void cancel_all_others(struct rec_log *log, struct rec_timer *r, sn_time_us now)
{
	(void)now;
	for (int i = 0; i < 4; i++)
		if (i != r->id)
			sn_wheel_cancel(log->w, &log->all[i].t);
}

/* Same millisecond, same batch: the first cancels the rest of its batch. */
TEST(callback_cancels_rest_of_its_batch)
{
	struct sn_wheel w;
	struct rec_timer r[4];
	struct rec_log log;

	setup(&w, r, 4, &log, 0);
	log.action = cancel_all_others;
	for (int i = 0; i < 4; i++)
		sn_wheel_add(&w, &r[i].t, 3 * MS + (sn_time_us)(3 - i));
	CHECK_EQ(sn_wheel_advance(&w, 4 * MS, &log), 1);
	CHECK_EQ(log.id[0], 3);
	CHECK_EQ(w.pending, 0);
}

/* A callback adding a timer that is due later in the same advance's span
 * (but after the callback's now) is not run in that call. */
static void add_other_soon(struct rec_log *log, struct rec_timer *r, sn_time_us now)
{
	if (r->id == 0)
		sn_wheel_add(log->w, &log->all[1].t, now + 1);
}

TEST(callback_adds_future_timer)
{
	struct sn_wheel w;
	struct rec_timer r[2];
	struct rec_log log;

	setup(&w, r, 2, &log, 0);
	log.action = add_other_soon;
	sn_wheel_add(&w, &r[0].t, 2 * MS);
	CHECK_EQ(sn_wheel_advance(&w, 500 * MS, &log), 1);
	CHECK_EQ(sn_wheel_next_deadline(&w), 500 * MS + 1);
	CHECK_EQ(sn_wheel_advance(&w, 500 * MS + 1, &log), 1);
}

/* A poll loop that sleeps until next_deadline reaches a timer days away in
 * a handful of wakeups, each strictly later, and fires it at its exact
 * microsecond. */
static int poll_until_fired(struct sn_wheel *w, struct rec_log *log, int max_wakeups)
{
	int wakeups = 0;

	while (log->n == 0 && wakeups < max_wakeups) {
		sn_time_us d = sn_wheel_next_deadline(w);
		if (d <= w->now || d == SN_TIME_NEVER)
			return -1;
		sn_wheel_advance(w, d, log);
		wakeups++;
	}
	return wakeups;
}

TEST(far_future_days)
{
	struct sn_wheel w;
	struct rec_timer r[1];
	struct rec_log log;
	int wakeups;
	sn_time_us at = 123 * SEC + 3 * DAY + 17;

	setup(&w, r, 1, &log, 123 * SEC);
	sn_wheel_add(&w, &r[0].t, at);
	wakeups = poll_until_fired(&w, &log, 50);
	CHECK(wakeups > 0 && wakeups <= 2 * SN_WHEEL_LEVELS);
	CHECK_EQ(log.n, 1);
	CHECK_EQ(log.now[0], at);
}

/* Beyond the top level (2^36 ms, about 795 days): the overflow list. */
TEST(far_future_overflow)
{
	struct sn_wheel w;
	struct rec_timer r[3];
	struct rec_log log;
	sn_time_us start = 1700000000ull * SEC; /* a wall-clock-like origin */
	sn_time_us far = start + 2000 * DAY + 5;

	setup(&w, r, 3, &log, start);
	sn_wheel_add(&w, &r[0].t, far);
	CHECK(w.overflow != NULL);
	CHECK(sn_wheel_next_deadline(&w) > start);
	CHECK(sn_wheel_next_deadline(&w) <= far);
	CHECK(poll_until_fired(&w, &log, 50) > 0);
	CHECK_EQ(log.n, 1);
	CHECK_EQ(log.now[0], far);

	/* And with one big jump, in order with a nearer one. */
	sn_wheel_add(&w, &r[1].t, far + 4000 * DAY);
	sn_wheel_add(&w, &r[2].t, far + 900 * DAY);
	CHECK_EQ(sn_wheel_advance(&w, far + 4000 * DAY - 1, &log), 1);
	CHECK_EQ(log.id[1], 2);
	CHECK_EQ(sn_wheel_advance(&w, far + 4000 * DAY, &log), 1);
	CHECK_EQ(log.id[2], 1);
}

/* The far end of the clock: no overflow in deadline arithmetic. */
TEST(expiry_near_time_never)
{
	struct sn_wheel w;
	struct rec_timer r[1];
	struct rec_log log;

	setup(&w, r, 1, &log, 0);
	sn_wheel_add(&w, &r[0].t, SN_TIME_NEVER - 1);
	CHECK(sn_wheel_next_deadline(&w) > 0);
	CHECK(sn_wheel_next_deadline(&w) <= SN_TIME_NEVER - 1);
	CHECK_EQ(sn_wheel_advance(&w, SN_TIME_NEVER - 2, &log), 0);
	CHECK_EQ(sn_wheel_advance(&w, SN_TIME_NEVER - 1, &log), 1);
}

static void count_only(struct sn_timer *t, sn_time_us now, void *ctx)
{
	struct sn_timer **prev = ctx;

	(void)now;
	if (*prev && (t->expires < (*prev)->expires ||
		      (t->expires == (*prev)->expires && t->seq < (*prev)->seq)))
		check_failed_now = 1;
	*prev = t;
}

/* Thousands of timers in one millisecond come out sorted. */
TEST(large_batch_sorted)
{
	enum { N = 5000 };
	static struct sn_timer t[N];
	struct sn_wheel w;
	struct sn_timer *prev = NULL;
	struct sn_rng rng;

	sn_rng_seed(&rng, 3);
	sn_wheel_init(&w, 0);
	for (int i = 0; i < N; i++) {
		sn_timer_init(&t[i], count_only);
		sn_wheel_add(&w, &t[i], 7 * MS + sn_rng_below(&rng, 200));
	}
	CHECK_EQ(sn_wheel_advance(&w, 8 * MS, &prev), N);
	CHECK(!check_failed_now);
}

/* ---- randomized model-based test ---------------------------------------- */

enum { MT = 48 }; /* timers in play */

struct model {
	struct sn_wheel w;
	struct sn_rng rng;
	struct mtimer {
		struct sn_timer t;
		int id;
		int armed;         /* model: should be pending */
		sn_time_us expires; /* model: when */
		uint64_t order;    /* model: add order */
	} tm[MT];
	uint64_t next_order;
	sn_time_us now;
	/* The firing expected from the current advance, sorted. */
	struct due {
		int id;
		uint64_t order;
	} due[MT];
	int ndue, idue;
	size_t fired;
	int react; /* whether callbacks add and cancel */
};

static sn_time_us rand_delay(struct sn_rng *rng)
{
	uint64_t k = sn_rng_below(rng, 100);

	if (k < 30)
		return sn_rng_below(rng, 3 * MS);
	if (k < 55)
		return sn_rng_below(rng, 200 * MS);
	if (k < 75)
		return sn_rng_below(rng, 60 * SEC);
	if (k < 87)
		return sn_rng_below(rng, 3 * DAY);
	if (k < 92)
		return sn_rng_below(rng, 3000 * DAY); /* past the top level */
	return 0;
}

static sn_time_us rand_expiry(struct model *m)
{
	uint64_t k = sn_rng_below(&m->rng, 100);

	if (k < 5) /* already due */
		return m->now - sn_rng_below(&m->rng, m->now < 5 * MS ? m->now + 1 : 5 * MS);
	if (k < 12) { /* tie with another timer */
		struct mtimer *o = &m->tm[sn_rng_below(&m->rng, MT)];
		if (o->armed)
			return o->expires;
	}
	return m->now + rand_delay(&m->rng);
}

static void model_add(struct model *m, int id, sn_time_us expires)
{
	m->tm[id].armed = 1;
	m->tm[id].expires = expires;
	m->tm[id].order = m->next_order++;
	sn_wheel_add(&m->w, &m->tm[id].t, expires);
}

static void model_cancel(struct model *m, int id)
{
	m->tm[id].armed = 0;
	sn_wheel_cancel(&m->w, &m->tm[id].t);
}

/* A callback's reactions: re-arm itself, cancel or (re-)arm another. */
static void react(struct model *m, int id)
{
	uint64_t k = sn_rng_below(&m->rng, 100);
	int other = (int)sn_rng_below(&m->rng, MT);

	if (k < 30)
		model_add(m, id, rand_expiry(m));
	else if (k < 45)
		model_cancel(m, other);
	else if (k < 60)
		model_add(m, other, rand_expiry(m));
}

static void model_fn(struct sn_timer *t, sn_time_us now, void *ctx)
{
	struct model *m = ctx;
	struct mtimer *mt = sn_container_of(t, struct mtimer, t);

	/* Skip expected entries that were cancelled or re-armed meanwhile. */
	while (m->idue < m->ndue) {
		struct due *d = &m->due[m->idue];
		if (m->tm[d->id].armed && m->tm[d->id].order == d->order)
			break;
		m->idue++;
	}
	CHECK(m->idue < m->ndue);
	CHECK_EQ(m->due[m->idue].id, mt->id);
	CHECK(now == m->now);
	CHECK(t->expires <= now);
	CHECK(!sn_timer_pending(t));
	m->idue++;
	m->fired++;
	mt->armed = 0;
	if (m->react)
		react(m, mt->id);
}

static int due_cmp(const void *a, const void *b, const struct model *m)
{
	const struct mtimer *x = &m->tm[((const struct due *)a)->id];
	const struct mtimer *y = &m->tm[((const struct due *)b)->id];

	if (x->expires != y->expires)
		return x->expires < y->expires ? -1 : 1;
	return x->order < y->order ? -1 : 1;
}

/* The reference: every armed timer with expires <= now, in (expires, order). */
static void expect_due(struct model *m, sn_time_us now)
{
	m->ndue = m->idue = 0;
	for (int i = 0; i < MT; i++) {
		if (m->tm[i].armed && m->tm[i].expires <= now)
			m->due[m->ndue++] = (struct due){i, m->tm[i].order};
	}
	for (int i = 1; i < m->ndue; i++) /* insertion sort: small n */
		for (int j = i; j > 0 && due_cmp(&m->due[j - 1], &m->due[j], m) > 0; j--) {
			struct due tmp = m->due[j];
			m->due[j] = m->due[j - 1];
			m->due[j - 1] = tmp;
		}
}

static sn_time_us rand_next_now(struct model *m)
{
	uint64_t k = sn_rng_below(&m->rng, 100);
	sn_time_us d = sn_wheel_next_deadline(&m->w);

	if (k < 15 && d != SN_TIME_NEVER && d > m->now)
		return d; /* what a poll loop does */
	if (k < 20)
		return m->now;
	if (k < 24) /* backwards */
		return m->now - sn_rng_below(&m->rng, m->now < 10 * SEC ? m->now + 1 : 10 * SEC);
	return m->now + rand_delay(&m->rng);
}

static void model_advance(struct model *m)
{
	sn_time_us now = rand_next_now(m);
	size_t n;

	if (now < m->now) {
		CHECK_EQ(sn_wheel_advance(&m->w, now, m), 0);
		return;
	}
	m->now = now;
	expect_due(m, now);
	m->fired = 0;
	n = sn_wheel_advance(&m->w, now, m);
	if (check_failed_now)
		return;
	CHECK_EQ(n, m->fired);
	/* Nothing expected was left unfired (skip cancelled entries). */
	for (; m->idue < m->ndue; m->idue++) {
		struct due *d = &m->due[m->idue];
		CHECK(!(m->tm[d->id].armed && m->tm[d->id].order == d->order));
	}
}

static void check_invariants(struct model *m)
{
	sn_time_us earliest = SN_TIME_NEVER, d = sn_wheel_next_deadline(&m->w);
	size_t armed = 0;

	for (int i = 0; i < MT; i++) {
		CHECK_EQ(sn_timer_pending(&m->tm[i].t), m->tm[i].armed);
		if (m->tm[i].armed) {
			armed++;
			earliest = sn_time_min(earliest, m->tm[i].expires);
		}
	}
	CHECK_EQ(m->w.pending, armed);
	if (!armed) {
		CHECK(d == SN_TIME_NEVER);
		return;
	}
	CHECK(d <= earliest);
	if (earliest > m->now)
		CHECK(d > m->now);
}

static void model_run(uint64_t seed, sn_time_us start, int react_in_callbacks, int steps)
{
	static struct model m; /* big: keep it off the stack */

	memset(&m, 0, sizeof(m));
	sn_rng_seed(&m.rng, seed);
	m.now = start;
	m.react = react_in_callbacks;
	sn_wheel_init(&m.w, start);
	for (int i = 0; i < MT; i++) {
		sn_timer_init(&m.tm[i].t, model_fn);
		m.tm[i].id = i;
	}
	for (int step = 0; step < steps && !check_failed_now; step++) {
		uint64_t k = sn_rng_below(&m.rng, 100);
		int id = (int)sn_rng_below(&m.rng, MT);

		if (k < 45)
			model_add(&m, id, rand_expiry(&m));
		else if (k < 55)
			model_cancel(&m, id);
		else
			model_advance(&m);
		if (!check_failed_now)
			check_invariants(&m);
		if (check_failed_now)
			fprintf(stderr, "model: seed %llu start %llu step %d\n",
				(unsigned long long)seed, (unsigned long long)start, step);
	}
}

TEST(model_random_ops)
{
	for (uint64_t seed = 1; seed <= 8 && !check_failed_now; seed++)
		model_run(seed, 0, 0, 20000);
}

TEST(model_random_ops_with_reacting_callbacks)
{
	for (uint64_t seed = 100; seed <= 108 && !check_failed_now; seed++)
		model_run(seed, 0, 1, 20000);
}

/* Start at awkward origins: a wall-clock-sized value, and just before a
 * top-level boundary (2^36 ticks) so overflow timers cascade soon. */
TEST(model_random_ops_odd_origins)
{
	const sn_time_us boundary = (1ull << 36) * SN_WHEEL_TICK_US;

	model_run(7, 1700000000ull * SEC + 123, 1, 20000);
	model_run(8, boundary - 2 * SEC, 1, 20000);
	model_run(9, 64 * MS - 1, 1, 20000);
}
