/*
 * syncookie.c: SYN cookies (see syncookie.h for the encoding and its
 * invariants).
 */
#include <string.h>

#include "base/siphash.h"
#include "stack/stack.h"
#include "tcp/syncookie.h"

#define COOKIE_PERIOD_US (64ull * SN_US_PER_SEC)

/* MSS values a cookie can carry, as Linux's table: common link MTUs. */
static const uint16_t mss_table[8] = {536, 1024, 1220, 1300, 1360, 1440, 1452, 1460};

static uint32_t period(const struct synack_stack *st)
{
	return (uint32_t)(st->now / COOKIE_PERIOD_US);
}

static uint32_t cookie_hash(struct synack_stack *st, const struct synack_endpoint *local,
			    const struct synack_endpoint *remote, uint32_t irs, uint32_t t)
{
	uint8_t buf[20];
	uint32_t w[5] = {local->addr, remote->addr,
			 (uint32_t)local->port << 16 | remote->port, irs, t};

	memcpy(buf, w, sizeof(buf));
	return (uint32_t)sn_siphash(&st->cookie_key, buf, sizeof(buf)) & 0x00ffffffu;
}

static unsigned mss_index(uint16_t mss)
{
	unsigned i = 0;

	if (mss == 0)
		mss = 536; /* MUST-15: no option means 536 */
	while (i + 1 < 8 && mss_table[i + 1] <= mss)
		i++;
	return i;
}

uint32_t tcp_syncookie_make(struct synack_stack *st, const struct synack_endpoint *local,
			    const struct synack_endpoint *remote, uint32_t irs, uint16_t mss,
			    uint16_t *mss_used)
{
	uint32_t t = period(st);
	unsigned idx = mss_index(mss);

	st->cookie_last_period = t + 1; /* 0: never */
	*mss_used = mss_table[idx];
	return (t & 31u) << 27 | (uint32_t)idx << 24 | cookie_hash(st, local, remote, irs, t);
}

int tcp_syncookie_recent(const struct synack_stack *st)
{
	return st->cookie_last_period && period(st) + 1 - st->cookie_last_period <= 1;
}

int tcp_syncookie_check(struct synack_stack *st, const struct synack_endpoint *local,
			const struct synack_endpoint *remote, uint32_t seq, uint32_t ack,
			uint16_t *mss)
{
	uint32_t cookie = ack - 1, irs = seq - 1, now_t = period(st);

	for (uint32_t age = 0; age < 2; age++) {
		uint32_t t = now_t - age;
		if ((cookie >> 27) != (t & 31u))
			continue;
		if ((cookie & 0x00ffffffu) != cookie_hash(st, local, remote, irs, t))
			return -1;
		*mss = mss_table[(cookie >> 24) & 7u];
		return 0;
	}
	return -1;
}
