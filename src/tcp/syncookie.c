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

#define OPT_WS_NONE 0x0fu   /* bits 3..0: no window scale option */
#define OPT_SACK 0x10u      /* bit 4: SACK-permitted */
#define OPT_MASK 0x3fu      /* the TSval bits that carry options */
#define OPT_NO_TS 0x40u     /* hash input only: no timestamps */

static uint32_t cookie_hash(struct synack_stack *st, const struct synack_endpoint *local,
			    const struct synack_endpoint *remote, uint32_t irs, uint32_t t,
			    uint32_t optbits)
{
	uint8_t buf[24];
	uint32_t w[6] = {local->addr, remote->addr,
			 (uint32_t)local->port << 16 | remote->port, irs, t, optbits};

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

/* The option bits for a SYN, and the SYN,ACK options that answer it. */
static uint32_t syn_optbits(const struct synack_stack *st, const struct sn_tcp_opts *syn,
			    uint8_t rcv_wscale, struct sn_tcp_opts *synack)
{
	if (!st->cfg.tcp_timestamps || !syn->has_ts)
		return OPT_NO_TS;
	uint32_t bits = OPT_WS_NONE;
	if (st->cfg.tcp_window_scaling && syn->has_wscale) {
		bits = syn->wscale > 14 ? 14 : syn->wscale;
		synack->has_wscale = 1;
		synack->wscale = rcv_wscale;
	}
	if (st->cfg.tcp_sack && syn->sack_ok) {
		bits |= OPT_SACK;
		synack->sack_ok = 1;
	}
	return bits;
}

uint32_t tcp_syncookie_make(struct synack_stack *st, const struct synack_endpoint *local,
			    const struct synack_endpoint *remote, uint32_t irs,
			    const struct sn_tcp_opts *syn, uint32_t ts_now, uint8_t rcv_wscale,
			    struct sn_tcp_opts *synack)
{
	uint32_t t = period(st);
	unsigned idx = mss_index(syn->has_mss ? syn->mss : 0);

	*synack = (struct sn_tcp_opts){.has_mss = 1, .mss = mss_table[idx]};
	uint32_t bits = syn_optbits(st, syn, rcv_wscale, synack);
	if (bits != OPT_NO_TS) {
		/* our clock with the low bits replaced, never ahead of it */
		uint32_t ts = (ts_now & ~OPT_MASK) | bits;
		if ((int32_t)(ts - ts_now) > 0)
			ts -= OPT_MASK + 1;
		synack->has_ts = 1;
		synack->ts_val = ts;
		synack->ts_ecr = syn->ts_val;
	}
	st->cookie_last_period = t + 1; /* 0: never */
	return (t & 31u) << 27 | (uint32_t)idx << 24 | cookie_hash(st, local, remote, irs, t, bits);
}

int tcp_syncookie_recent(const struct synack_stack *st)
{
	return st->cookie_last_period && period(st) + 1 - st->cookie_last_period <= 1;
}

/* The option bits an ACK echoes, or -1 if its TSecr cannot be ours: ahead of
 * our clock, or older than the two periods a cookie lives. */
static int64_t ack_optbits(const struct sn_tcp_opts *ack_opts, uint32_t ts_now)
{
	uint32_t max_age_ms = (uint32_t)(2 * COOKIE_PERIOD_US / SN_US_PER_MS) + OPT_MASK + 1;

	if (!ack_opts->has_ts)
		return OPT_NO_TS;
	if ((int32_t)(ack_opts->ts_ecr - ts_now) > 0 || ts_now - ack_opts->ts_ecr > max_age_ms)
		return -1;
	return ack_opts->ts_ecr & OPT_MASK;
}

int tcp_syncookie_check(struct synack_stack *st, const struct synack_endpoint *local,
			const struct synack_endpoint *remote, uint32_t seq, uint32_t ack,
			const struct sn_tcp_opts *ack_opts, uint32_t ts_now, struct sn_tcp_opts *syn)
{
	uint32_t cookie = ack - 1, irs = seq - 1, now_t = period(st);
	int64_t bits = ack_optbits(ack_opts, ts_now);

	if (bits < 0)
		return -1;
	for (uint32_t age = 0; age < 2; age++) {
		uint32_t t = now_t - age;
		if ((cookie >> 27) != (t & 31u))
			continue;
		if ((cookie & 0x00ffffffu) != cookie_hash(st, local, remote, irs, t, (uint32_t)bits))
			return -1;
		*syn = (struct sn_tcp_opts){.has_mss = 1, .mss = mss_table[(cookie >> 24) & 7u]};
		if (bits == OPT_NO_TS)
			return 0;
		syn->has_ts = 1;
		syn->ts_val = ack_opts->ts_val; /* TS.Recent (RFC 7323 §4.3) */
		syn->ts_ecr = ack_opts->ts_ecr;
		syn->has_wscale = (bits & OPT_WS_NONE) != OPT_WS_NONE;
		syn->wscale = (uint8_t)(bits & OPT_WS_NONE);
		syn->sack_ok = (bits & OPT_SACK) != 0;
		return 0;
	}
	return -1;
}
