/*
 * simload.h: a simulated server workload for `synack ss` and `synack stat`
 * until they can attach to a stack running over TUN.
 *
 * A server 10.0.0.2 listens on port 80 (SO_REUSEADDR). Clients 10.0.1.1,
 * 10.0.1.2, ... (20000 connections each, so every 4-tuple is distinct) open
 * `conns` connections in batches; for each the server accepts, sends a
 * short reply and closes first, so the server ends up with one TIME-WAIT
 * entry per connection while the clients close passively. Then `live`
 * connections are opened and left ESTABLISHED on the server with
 * SO_KEEPALIVE, the first of them with a request the server has not read
 * (Recv-Q). Finally virtual time runs on `after_us` past the last close.
 * Links have a 1 ms delay. Everything is deterministic for a seed.
 */
#ifndef SYNACK_TOOLS_SIMLOAD_H
#define SYNACK_TOOLS_SIMLOAD_H

#include <stdint.h>
#include <stdio.h>

#include "synack/sim.h"

struct simload_opts {
	uint64_t seed;
	uint32_t conns;      /* connections the server closes (TIME-WAIT entries) */
	uint32_t live;       /* connections left open */
	uint32_t msl_us;     /* both sides' MSL */
	uint64_t after_us;   /* virtual time to run on after the last close */
	uint32_t max_timewait; /* the server's tcp_max_tw_buckets */
};

struct simload {
	synack_sim *sim;
	synack_stack *server;
	synack_stack *client;  /* the first client */
	int listener;
};

void simload_opts_default(struct simload_opts *o);
/* The workload options shared by the commands (--sim N, --live N, --at S,
 * --msl S, --seed N, --max-tw N) at argv[*i]: 1 if consumed (and *i moved
 * past its value), 0 if not one of them, -1 if its value is missing or bad. */
int simload_parse_opt(int argc, char **argv, int *i, struct simload_opts *o);
/* Their --help lines. */
void simload_help(FILE *out);
/* 0, or a negative errno (the workload could not be built). */
int simload_run(const struct simload_opts *o, struct simload *out);
void simload_free(struct simload *s);

#endif
