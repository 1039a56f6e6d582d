/*
 * time.h: synack's one notion of time.
 *
 * The core never reads a clock. Drivers pass `now` in, as microseconds on a
 * monotonic clock whose origin is theirs to choose (the simulator starts at 0).
 * Durations carry their unit in their name (rto_us, msl_us).
 */
#ifndef SYNACK_BASE_TIME_H
#define SYNACK_BASE_TIME_H

#include <stdint.h>

typedef uint64_t sn_time_us;

#define SN_TIME_NEVER UINT64_MAX
#define SN_US_PER_MS 1000ull
#define SN_US_PER_SEC 1000000ull

static inline sn_time_us sn_time_min(sn_time_us a, sn_time_us b)
{
	return a < b ? a : b;
}

#endif
