/*
 * sim.h: an in-process network of synack stacks on a virtual clock.
 *
 * The simulator owns several stacks ("hosts", one IPv4 address each) joined
 * by one switch: every datagram a host sends goes to the host owning its
 * destination address through the link (from, to), which delays it and may
 * lose, duplicate, reorder or corrupt it according to that link's
 * synack_impair parameters. All randomness comes from the simulator's seed,
 * so the same seed and the same calls give the same run, byte for byte.
 *
 * Time is virtual: synack_sim_step() jumps the clock to the next event (a
 * datagram arriving, or a host's timer deadline) and processes it. Nothing
 * here sleeps.
 */
#ifndef SYNACK_SIM_H
#define SYNACK_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "synack/impair.h"
#include "synack/synack.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct synack_sim synack_sim;

/* What happened to a datagram on a link, as reported to the tap. */
enum synack_sim_fate {
	SYNACK_SIM_SENT,      /* handed to the link by its sender */
	SYNACK_SIM_DELIVERED, /* handed to the receiving stack */
	SYNACK_SIM_LOST,      /* dropped by the impairment, or no host has the address */
};

/* Sees every datagram: fate SENT when it enters the link, then DELIVERED (once
 * per copy, possibly corrupted) or LOST. */
typedef void (*synack_sim_tap_fn)(void *ctx, uint64_t now, enum synack_sim_fate fate,
				  const uint8_t *pkt, size_t len);

struct synack_sim_stats {
	uint64_t sent, delivered, lost, duplicated, reordered, corrupted;
};

/* 0 and *out, or -ENOMEM. The clock starts at 0. */
int synack_sim_create(uint64_t seed, synack_sim **out);
/* Destroys every host's stack too. */
void synack_sim_destroy(synack_sim *sim);
/* Creates a stack from cfg (cfg->addr must be new; cfg->seed is kept if
 * non-zero, else drawn from the simulator's RNG) and attaches it. The stack
 * belongs to the simulator. 0, -EEXIST, -ENOMEM, -EINVAL. */
int synack_sim_add_host(synack_sim *sim, const struct synack_config *cfg, synack_stack **out);
/* Impairment for datagrams from `from` to `to` (addresses). Links without a
 * setting use the default (no impairment, 0 delay, until set). */
int synack_sim_set_link(synack_sim *sim, uint32_t from, uint32_t to, const struct synack_impair_params *p);
void synack_sim_set_default_link(synack_sim *sim, const struct synack_impair_params *p);
void synack_sim_set_tap(synack_sim *sim, synack_sim_tap_fn fn, void *ctx);

uint64_t synack_sim_now(const synack_sim *sim);
/* The time of the next event (delivery or deadline), UINT64_MAX if none. */
uint64_t synack_sim_next_event(const synack_sim *sim);
/* Process everything due at the next event time if it is <= until, and
 * return 1; otherwise set the clock to until (if later) and return 0. */
int synack_sim_step(synack_sim *sim, uint64_t until);
/* Step until the clock reaches `until` (events at `until` included). */
void synack_sim_run_until(synack_sim *sim, uint64_t until);
/* Step while done(ctx) returns 0 and the clock is below deadline. Returns 1
 * if done() became true, 0 at the deadline. done() is checked after every
 * step, so callers may drive sockets from it. */
int synack_sim_run(synack_sim *sim, int (*done)(void *ctx), void *ctx, uint64_t deadline);
void synack_sim_stats(const synack_sim *sim, struct synack_sim_stats *out);

#ifdef __cplusplus
}
#endif

#endif
