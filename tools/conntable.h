/*
 * conntable.h: the connection table as `ss -tan -o` (or `ipvsadm -L -c -n`)
 * prints it, from synack_stack_foreach_conn: one row per listener, live
 * connection and TIME-WAIT entry, with filters and a summary line per state.
 * Rows are printed as the stack visits them, so a table of ten million
 * TIME-WAIT entries is never copied (the summary is counted on the way).
 */
#ifndef SYNACK_TOOLS_CONNTABLE_H
#define SYNACK_TOOLS_CONNTABLE_H

#include <stdint.h>
#include <stdio.h>

#include "synack/synack.h"

enum conntable_layout { CONNTABLE_SS, CONNTABLE_IPVS };

struct conntable_opts {
	enum conntable_layout layout;
	unsigned state_mask;  /* 1 << state; 0: all */
	int sport, dport;     /* local / remote port to match; -1: any */
	int header;           /* print the column header */
	int summary;          /* print one line per state after the rows */
	int rows;             /* print the rows (0: summary only) */
	uint64_t max_rows;    /* stop after printing this many rows (0: no bound) */
	uint64_t max_visits;  /* stop after walking this many entries (0: no bound) */
};

/* Defaults: ss layout, all states, no port filter, header, rows, summary. */
void conntable_opts_default(struct conntable_opts *o);
/* Parse an ss state filter: "established", "time-wait", "syn-recv",
 * "listening", "all", "connected", ... (ss's names). Returns the mask or 0. */
unsigned conntable_state_mask(const char *name);
/* Print the table of st at its current time. Returns the rows printed.
 * When a bound (max_rows, max_visits) stops the walk, a line says so and
 * the summary comes from the stack's per-state gauges (exact; with a port
 * filter, only what was walked is known). */
uint64_t conntable_print(FILE *out, synack_stack *st, const struct conntable_opts *o);
/* One page of the table, for a reader of a live stack that pages through
 * it (the control socket, ctl.c): the header (if o asks), then the rows of
 * the entries from *cursor on (synack_stack_walk_conn), at most o->max_rows
 * rows and o->max_visits entries walked; per_state gets this page's count
 * of matching entries per state (the caller adds the pages up). Returns 1 if
 * entries remain (*cursor says where the next page starts), 0 at the end. */
int conntable_print_page(FILE *out, synack_stack *st, const struct conntable_opts *o,
			 uint64_t *cursor, uint64_t per_state[SYNACK_NSTATES]);
void conntable_print_header(FILE *out, const struct conntable_opts *o);
/* "Total: N" and one line per state with entries. */
void conntable_print_summary(FILE *out, const uint64_t per_state[SYNACK_NSTATES]);
/* ss's spelling of a duration in ms ("42sec", "1min12sec", "200ms"). */
const char *conntable_ms_timer(uint64_t ms, char *buf, size_t len);

#endif
