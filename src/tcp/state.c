/*
 * state.c: the one place where a connection's state changes.
 *
 * Every transition is checked against the state diagram of RFC 9293 §3.3.2
 * (Figure 5, plus the edges its event processing adds: RST and timeouts to
 * CLOSED, SYN-RECEIVED back to LISTEN for a passive open, MUST-11), counted
 * in counters.transitions[from][to] and the per-state gauges, and traced, so
 * tools read a connection's life from the trace and never from the TCB.
 */
#include "stack/stack.h"
#include "tcp/tcb.h"

#define E(s) (1u << (s))

/* allowed[from]: the set of states reachable from it in one step. */
static const uint32_t allowed[SYNACK_NSTATES] = {
	[SYNACK_CLOSED] = E(SYNACK_LISTEN) | E(SYNACK_SYN_SENT),
	[SYNACK_LISTEN] = E(SYNACK_SYN_RECEIVED) | E(SYNACK_SYN_SENT) | E(SYNACK_CLOSED),
	[SYNACK_SYN_SENT] = E(SYNACK_SYN_RECEIVED) | E(SYNACK_ESTABLISHED) | E(SYNACK_CLOSED),
	[SYNACK_SYN_RECEIVED] = E(SYNACK_ESTABLISHED) | E(SYNACK_FIN_WAIT_1) | E(SYNACK_LISTEN) |
				E(SYNACK_CLOSED),
	[SYNACK_ESTABLISHED] = E(SYNACK_FIN_WAIT_1) | E(SYNACK_CLOSE_WAIT) | E(SYNACK_CLOSED),
	[SYNACK_FIN_WAIT_1] = E(SYNACK_FIN_WAIT_2) | E(SYNACK_CLOSING) | E(SYNACK_TIME_WAIT) |
			      E(SYNACK_CLOSED),
	[SYNACK_FIN_WAIT_2] = E(SYNACK_TIME_WAIT) | E(SYNACK_CLOSED),
	[SYNACK_CLOSE_WAIT] = E(SYNACK_LAST_ACK) | E(SYNACK_CLOSED),
	[SYNACK_CLOSING] = E(SYNACK_TIME_WAIT) | E(SYNACK_CLOSED),
	[SYNACK_LAST_ACK] = E(SYNACK_CLOSED),
	[SYNACK_TIME_WAIT] = E(SYNACK_CLOSED),
};

int tcp_edge_allowed(enum synack_state from, enum synack_state to)
{
	if ((unsigned)from >= SYNACK_NSTATES || (unsigned)to >= SYNACK_NSTATES)
		return 0;
	return (allowed[from] & E(to)) != 0;
}

/* RFC 9293 §3.10.7.4: the states in which both sides' ISNs are known. */
int tcp_state_synchronized(enum synack_state s)
{
	switch (s) {
	case SYNACK_ESTABLISHED:
	case SYNACK_FIN_WAIT_1:
	case SYNACK_FIN_WAIT_2:
	case SYNACK_CLOSE_WAIT:
	case SYNACK_CLOSING:
	case SYNACK_LAST_ACK:
	case SYNACK_TIME_WAIT:
		return 1;
	default:
		return 0;
	}
}

/* CLOSED has no gauge: a CLOSED connection does not exist. */
static void gauge_add(struct synack_stack *st, enum synack_state s, int delta)
{
	if (s != SYNACK_CLOSED)
		st->ctr.in_state[s] += (uint64_t)(int64_t)delta;
}

void tcp_note_transition(struct synack_stack *st, const struct synack_endpoint *local,
			 const struct synack_endpoint *remote, enum synack_state from,
			 enum synack_state to, const char *why)
{
	if (!tcp_edge_allowed(from, to))
		st->ctr.illegal_transitions++;
	st->ctr.transitions[from][to]++;
	gauge_add(st, from, -1);
	gauge_add(st, to, +1);
	sn_trace_state(st, local, remote, from, to, why);
}

void tcp_set_state(struct synack_stack *st, struct sn_tcb *tcb, enum synack_state to, const char *why)
{
	enum synack_state from = tcb->state;

	if (from == to)
		return;
	tcp_note_transition(st, &tcb->local, &tcb->remote, from, to, why);
	tcb->state = to;
}

void tcp_state_forget(struct synack_stack *st, struct sn_tcb *tcb)
{
	gauge_add(st, tcb->state, -1);
	tcb->state = SYNACK_CLOSED;
}

void tcp_state_clone_listen(struct synack_stack *st, struct sn_tcb *child)
{
	child->state = SYNACK_LISTEN;
	gauge_add(st, SYNACK_LISTEN, +1);
}

void tcp_state_handoff(struct sn_tcb *tcb)
{
	/* The TIME-WAIT entry now carries the gauge; the TCB is an empty shell. */
	tcb->state = SYNACK_CLOSED;
}
