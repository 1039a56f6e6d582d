/*
 * scenarios.h: why TIME-WAIT exists, as the classic texts explain it
 * (RFC 793/9293 §3.6, Stevens' TCP/IP Illustrated vol. 1 §18.6, RFC 1337),
 * each scenario played twice in the simulator: with TIME-WAIT and with it
 * skipped (or with and without the knob that matters). `synack demo
 * --scenario NAME` narrates them; tests/sim/test_timewait_scenarios.c
 * checks the outcomes. Public API only.
 */
#ifndef SYNACK_TOOLS_SCENARIOS_H
#define SYNACK_TOOLS_SCENARIOS_H

#include <stdint.h>
#include <stdio.h>

/* What a run of a scenario came to (fields a scenario does not use stay 0). */
struct scenario_result {
	int ok;                    /* the run completed as scripted */
	/* lost-last-ack */
	char server_end[48];       /* why the server's LAST-ACK ended ("rcv ACK of FIN", "rcv RST") */
	uint64_t fin_reacked;      /* the client's TIME-WAIT re-ACKed the retransmitted FIN */
	uint64_t client_rsts;      /* RSTs the client sent */
	/* old-duplicate */
	int reconnect_err;         /* connect() of the new incarnation: -EINPROGRESS or an error */
	int dup_accepted;          /* the old segment's bytes reached the new connection's reader */
	char read[64];             /* what the client read first in the new incarnation */
	uint64_t dup_dropped;      /* the old segment dropped by a TIME-WAIT entry */
	/* server-restart */
	int bind_err;              /* the restarted server's first bind() */
	uint64_t bind_ok_after_us; /* when bind() first succeeded, after the restart */
	int served;                /* the restarted server answered a new client */
	/* ephemeral-ports */
	int connects_ok;           /* connections opened before the first failure */
	int connect_err;           /* that failure (0 if none) */
	uint64_t ports_back_after_us; /* when connect() worked again */
	uint64_t recycled;         /* the client's tw_recycled (tcp_tw_reuse took over entries) */
	int other_dst_err;         /* out of ports: connect() to another server port (0: worked) */
};

/* NAME is one of scenario_names(); variant 1 is "with TIME-WAIT" (or with
 * the knob), 0 "without", 2 a third variant some scenarios have
 * (ephemeral-ports: with TIME-WAIT and tcp_tw_reuse = 1). narrate: a stream for the story and the
 * segments, or NULL. Returns 0, -ENOENT (no such scenario), or another
 * negative errno if the simulation could not be built. */
int scenario_run(const char *name, int variant, FILE *narrate, struct scenario_result *r);
/* "lost-last-ack", ... NULL-terminated. */
const char *const *scenario_names(void);
/* `synack demo --scenario NAME|all [--seed N]`: argv[0] is "demo". */
int scenario_main(int argc, char **argv);
void scenario_help(FILE *out);

#endif
