/*
 * conntable.c: the connection table printer (see conntable.h).
 *
 * The ss layout follows `ss -tan -o`: State, Recv-Q, Send-Q, local and peer
 * address:port, then the timer as ss prints it, timer:(NAME,WHEN,RETRANS),
 * with WHEN spelled by ss's print_ms_timer ("42sec", "1min12sec", "200ms").
 * ss's state names are shorter than RFC 9293's (ESTAB, SYN-RECV). For a
 * listener Recv-Q is the accept queue and Send-Q the backlog, as in ss.
 * The ipvs layout follows `ipvsadm -L -c -n`: protocol, expire (mm:ss),
 * state, source (the peer), virtual and destination (both this stack).
 */
#include <string.h>

#include "conntable.h"

static const char *const ss_names[SYNACK_NSTATES] = {
	[SYNACK_CLOSED] = "UNCONN",       [SYNACK_LISTEN] = "LISTEN",
	[SYNACK_SYN_SENT] = "SYN-SENT",   [SYNACK_SYN_RECEIVED] = "SYN-RECV",
	[SYNACK_ESTABLISHED] = "ESTAB",   [SYNACK_FIN_WAIT_1] = "FIN-WAIT-1",
	[SYNACK_FIN_WAIT_2] = "FIN-WAIT-2", [SYNACK_CLOSE_WAIT] = "CLOSE-WAIT",
	[SYNACK_CLOSING] = "CLOSING",     [SYNACK_LAST_ACK] = "LAST-ACK",
	[SYNACK_TIME_WAIT] = "TIME-WAIT",
};

static const char *const ipvs_names[SYNACK_NSTATES] = {
	[SYNACK_CLOSED] = "CLOSE",        [SYNACK_LISTEN] = "LISTEN",
	[SYNACK_SYN_SENT] = "SYN_SENT",   [SYNACK_SYN_RECEIVED] = "SYN_RECV",
	[SYNACK_ESTABLISHED] = "ESTABLISHED", [SYNACK_FIN_WAIT_1] = "FIN_WAIT",
	[SYNACK_FIN_WAIT_2] = "FIN_WAIT", [SYNACK_CLOSE_WAIT] = "CLOSE_WAIT",
	[SYNACK_CLOSING] = "CLOSING",     [SYNACK_LAST_ACK] = "LAST_ACK",
	[SYNACK_TIME_WAIT] = "TIME_WAIT",
};

void conntable_opts_default(struct conntable_opts *o)
{
	*o = (struct conntable_opts){.layout = CONNTABLE_SS, .sport = -1, .dport = -1,
				     .header = 1, .summary = 1, .rows = 1};
}

#define B(s) (1u << (s))

unsigned conntable_state_mask(const char *name)
{
	static const struct {
		const char *name;
		unsigned mask;
	} names[] = {
		{"all", ~0u},
		{"established", B(SYNACK_ESTABLISHED)},
		{"syn-sent", B(SYNACK_SYN_SENT)},
		{"syn-recv", B(SYNACK_SYN_RECEIVED)},
		{"fin-wait-1", B(SYNACK_FIN_WAIT_1)},
		{"fin-wait-2", B(SYNACK_FIN_WAIT_2)},
		{"time-wait", B(SYNACK_TIME_WAIT)},
		{"close-wait", B(SYNACK_CLOSE_WAIT)},
		{"last-ack", B(SYNACK_LAST_ACK)},
		{"closing", B(SYNACK_CLOSING)},
		{"listening", B(SYNACK_LISTEN)},
		/* ss's groups */
		{"connected", ~(B(SYNACK_LISTEN) | B(SYNACK_CLOSED))},
		{"synchronized", ~(B(SYNACK_LISTEN) | B(SYNACK_CLOSED) | B(SYNACK_SYN_SENT))},
		{"bucket", B(SYNACK_SYN_RECEIVED) | B(SYNACK_TIME_WAIT)},
		{"big", ~(B(SYNACK_SYN_RECEIVED) | B(SYNACK_TIME_WAIT))},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].name, name))
			return names[i].mask;
	return 0;
}

/* iproute2 ss.c print_ms_timer, to the letter. */
const char *conntable_ms_timer(uint64_t ms, char *buf, size_t len)
{
	uint64_t secs = ms / 1000, minutes = secs / 60, msecs = ms % 1000;
	size_t k = 0;

	secs %= 60;
	buf[0] = 0;
	if (minutes) {
		msecs = 0;
		k += (size_t)snprintf(buf + k, len - k, "%llumin", (unsigned long long)minutes);
		if (minutes > 9)
			secs = 0;
	}
	if (secs && k < len) {
		if (secs > 9)
			msecs = 0;
		k += (size_t)snprintf(buf + k, len - k, "%llu%s", (unsigned long long)secs,
				      msecs ? "." : "sec");
	}
	if (msecs && k < len)
		snprintf(buf + k, len - k, "%03llums", (unsigned long long)msecs);
	return buf;
}

struct walk {
	FILE *out;
	const struct conntable_opts *o;
	uint64_t now, rows, visits;
	int stopped;          /* a bound ended the walk early */
	uint64_t per_state[SYNACK_NSTATES];
};

static int matches(const struct conntable_opts *o, const struct synack_conn_info *ci)
{
	if (o->state_mask && !(o->state_mask & B(ci->state)))
		return 0;
	if (o->sport >= 0 && ci->local.port != o->sport)
		return 0;
	return o->dport < 0 || ci->remote.port == o->dport;
}

static void row_ss(struct walk *w, const struct synack_conn_info *ci)
{
	char l[32], r[32], t[32];

	if (ci->state == SYNACK_LISTEN) {
		struct synack_endpoint any = {ci->local.addr, ci->local.port};
		synack_endpoint_str(&any, l, sizeof(l));
		if (!ci->local.addr)
			snprintf(l, sizeof(l), "0.0.0.0:%u", ci->local.port);
		snprintf(r, sizeof(r), "0.0.0.0:*");
	} else {
		synack_endpoint_str(&ci->local, l, sizeof(l));
		synack_endpoint_str(&ci->remote, r, sizeof(r));
	}
	fprintf(w->out, "%-11s%-7u%-7u%-22s%-22s", ss_names[ci->state], ci->recv_queue,
		ci->send_queue, l, r);
	if (ci->timer != SYNACK_TIMER_OFF) {
		uint64_t left = ci->timer_expires > w->now ? ci->timer_expires - w->now : 0;
		fprintf(w->out, "timer:(%s,%s,%u)", synack_timer_name(ci->timer),
			conntable_ms_timer(left / 1000, t, sizeof(t)), ci->retransmits);
	}
	fputc('\n', w->out);
}

static void row_ipvs(struct walk *w, const struct synack_conn_info *ci)
{
	char l[32], r[32], e[24];
	uint64_t left = ci->timer != SYNACK_TIMER_OFF && ci->timer_expires > w->now
				? (ci->timer_expires - w->now) / 1000000
				: 0;

	synack_endpoint_str(&ci->local, l, sizeof(l));
	synack_endpoint_str(&ci->remote, r, sizeof(r));
	snprintf(e, sizeof(e), "%02llu:%02llu", (unsigned long long)(left / 60),
		 (unsigned long long)(left % 60));
	fprintf(w->out, "TCP %-6s %-11s %-21s %-21s %s\n", e, ipvs_names[ci->state], r, l, l);
}

static int visit(void *ctx, const struct synack_conn_info *ci)
{
	struct walk *w = ctx;

	w->visits++;
	if (w->o->max_visits && w->visits > w->o->max_visits)
		return w->stopped = 1;
	if ((unsigned)ci->state >= SYNACK_NSTATES || !matches(w->o, ci))
		return 0;
	if (w->o->max_rows && w->o->rows && w->rows >= w->o->max_rows)
		return w->stopped = 1;
	w->per_state[ci->state]++;
	if (!w->o->rows)
		return 0;
	if (w->o->layout == CONNTABLE_IPVS)
		row_ipvs(w, ci);
	else
		row_ss(w, ci);
	w->rows++;
	return 0;
}

/* The walk stopped early: say so, and take the totals from the gauges
 * where the filter allows (a state filter does, a port filter does not). */
static void stopped(struct walk *w, synack_stack *st)
{
	struct synack_counters c;

	fprintf(w->out, "(stopped after %llu rows, %llu entries walked: the bound of this "
			"reader)\n",
		(unsigned long long)w->rows, (unsigned long long)w->visits - 1);
	if (w->o->sport >= 0 || w->o->dport >= 0) {
		fprintf(w->out, "(totals: of the entries walked only)\n");
		return;
	}
	synack_stack_counters(st, &c);
	for (int s = 0; s < SYNACK_NSTATES; s++)
		w->per_state[s] = !w->o->state_mask || (w->o->state_mask & B(s)) ? c.in_state[s] : 0;
}

void conntable_print_summary(FILE *out, const uint64_t per_state[SYNACK_NSTATES])
{
	uint64_t total = 0;

	for (int s = 0; s < SYNACK_NSTATES; s++)
		total += per_state[s];
	fprintf(out, "Total: %llu\n", (unsigned long long)total);
	for (int s = 0; s < SYNACK_NSTATES; s++)
		if (per_state[s])
			fprintf(out, "  %-11s %llu\n", ss_names[s], (unsigned long long)per_state[s]);
}

void conntable_print_header(FILE *out, const struct conntable_opts *o)
{
	if (!o->header || !o->rows)
		return;
	if (o->layout == CONNTABLE_IPVS)
		fprintf(out, "IPVS connection entries\npro expire state       source"
			     "                virtual               destination\n");
	else
		fprintf(out, "%-11s%-7s%-7s%-22s%-22sProcess\n", "State", "Recv-Q", "Send-Q",
			"Local Address:Port", "Peer Address:Port");
}

uint64_t conntable_print(FILE *out, synack_stack *st, const struct conntable_opts *o)
{
	struct walk w = {.out = out, .o = o, .now = synack_stack_now(st)};

	conntable_print_header(out, o);
	synack_stack_foreach_conn(st, visit, &w);
	if (w.stopped)
		stopped(&w, st);
	if (o->summary)
		conntable_print_summary(out, w.per_state);
	return w.rows;
}

int conntable_print_page(FILE *out, synack_stack *st, const struct conntable_opts *o,
			 uint64_t *cursor, uint64_t per_state[SYNACK_NSTATES])
{
	struct conntable_opts po = *o;
	struct walk w = {.out = out, .o = &po, .now = synack_stack_now(st)};

	po.max_visits = 0; /* the walk's own budget bounds the entries */
	conntable_print_header(out, &po);
	int more = synack_stack_walk_conn(st, cursor, o->max_visits, visit, &w);
	memcpy(per_state, w.per_state, sizeof(w.per_state));
	return more;
}
