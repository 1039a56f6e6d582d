/*
 * script_assert.c: %{ assert ... }% blocks, packetdrill's way of checking a
 * socket's tcp_info from a script.
 *
 * packetdrill runs Python there; synack supports the part scripts use to
 * check state: one or more `assert COND [, message]` statements (separated
 * by ';' or simply one after another) where COND is built from numbers,
 * tcpi_* fields (Linux's names and units), TCP_* state names (Linux's
 * numbering: TCP_ESTABLISHED = 1 ... TCP_CLOSING = 11), arithmetic
 * (+ - * / %), comparisons, and, or, not, parentheses. Anything else is a
 * parse error naming what was found.
 */
#include <string.h>

#include "script.h"

struct ap {
	struct sc_lexer lx;
	struct sc_tok tok;
	struct sc_arena *a;
};

static const char *const field_names[SC_TCPI_NFIELDS] = {
	[SC_TCPI_STATE] = "tcpi_state",
	[SC_TCPI_SND_MSS] = "tcpi_snd_mss",
	[SC_TCPI_RCV_MSS] = "tcpi_rcv_mss",
	[SC_TCPI_RTO] = "tcpi_rto",
	[SC_TCPI_RTT] = "tcpi_rtt",
	[SC_TCPI_RTTVAR] = "tcpi_rttvar",
	[SC_TCPI_SND_CWND] = "tcpi_snd_cwnd",
	[SC_TCPI_SND_SSTHRESH] = "tcpi_snd_ssthresh",
	[SC_TCPI_RETRANSMITS] = "tcpi_retransmits",
	[SC_TCPI_TOTAL_RETRANS] = "tcpi_total_retrans",
	[SC_TCPI_SND_WND] = "tcpi_snd_wnd",
	[SC_TCPI_RCV_WND] = "tcpi_rcv_wnd",
};

const char *sc_tcpi_field_name(int field)
{
	return field >= 0 && field < SC_TCPI_NFIELDS ? field_names[field] : "?";
}

/* Linux's TCP state numbers (include/net/tcp_states.h). */
static const struct {
	const char *name;
	int value;
} tcp_states[] = {
	{"TCP_ESTABLISHED", 1}, {"TCP_SYN_SENT", 2}, {"TCP_SYN_RECV", 3}, {"TCP_FIN_WAIT1", 4},
	{"TCP_FIN_WAIT2", 5}, {"TCP_TIME_WAIT", 6}, {"TCP_CLOSE", 7}, {"TCP_CLOSE_WAIT", 8},
	{"TCP_LAST_ACK", 9}, {"TCP_LISTEN", 10}, {"TCP_CLOSING", 11},
	{"True", 1}, {"False", 0},
};

const char *sc_tcp_state_name(int linux_state)
{
	for (size_t i = 0; i < 11; i++)
		if (tcp_states[i].value == linux_state)
			return tcp_states[i].name;
	return "?";
}

static void next(struct ap *p)
{
	p->tok = sc_lex_next(&p->lx);
}

static int is_p(const struct ap *p, char c)
{
	return p->tok.kind == SC_TOK_PUNCT && p->tok.punct == c;
}

static int is_kw(const struct ap *p, const char *kw)
{
	return p->tok.kind == SC_TOK_NAME && p->tok.len == strlen(kw) &&
	       !memcmp(p->tok.start, kw, p->tok.len);
}

static int is_op2(const struct ap *p, const char *op)
{
	return p->tok.kind == SC_TOK_OP2 && !memcmp(p->tok.start, op, 2);
}

static struct sc_aexpr *node(struct ap *p, enum sc_aop op, struct sc_aexpr *l, struct sc_aexpr *r)
{
	struct sc_aexpr *e = sc_alloc(p->a, sizeof(*e));
	e->op = op;
	e->l = l;
	e->r = r;
	return e;
}

static struct sc_aexpr *a_or(struct ap *p);

static struct sc_aexpr *a_primary(struct ap *p)
{
	struct sc_aexpr *e;
	if (is_p(p, '(')) {
		next(p);
		e = a_or(p);
		if (e && !is_p(p, ')')) {
			sc_lex_error(&p->lx, p->tok.line, "expected ')' in the assert");
			return NULL;
		}
		next(p);
		return e;
	}
	if (p->tok.kind == SC_TOK_INT) {
		e = node(p, SC_A_NUM, NULL, NULL);
		e->num = p->tok.ival;
		e->text = sc_strndup(p->a, p->tok.start, p->tok.len);
		next(p);
		return e;
	}
	if (p->tok.kind == SC_TOK_NAME) {
		e = node(p, SC_A_NUM, NULL, NULL);
		e->text = sc_strndup(p->a, p->tok.start, p->tok.len);
		for (int i = 0; i < SC_TCPI_NFIELDS; i++)
			if (!strcmp(e->text, field_names[i])) {
				e->op = SC_A_FIELD;
				e->field = i;
				next(p);
				return e;
			}
		for (size_t i = 0; i < sizeof(tcp_states) / sizeof(tcp_states[0]); i++)
			if (!strcmp(e->text, tcp_states[i].name)) {
				e->num = tcp_states[i].value;
				next(p);
				return e;
			}
		sc_lex_error(&p->lx, p->tok.line,
			     "unknown name '%s' in assert (tcpi_state, tcpi_snd_mss, tcpi_rcv_mss, tcpi_rto, "
			     "tcpi_rtt, tcpi_rttvar, tcpi_snd_cwnd, tcpi_snd_ssthresh, tcpi_retransmits, "
			     "tcpi_total_retrans, tcpi_snd_wnd, tcpi_rcv_wnd, TCP_* states)",
			     e->text);
		return NULL;
	}
	sc_lex_error(&p->lx, p->tok.line, "expected a value in the assert, found '%.*s'",
		     (int)p->tok.len, p->tok.start);
	return NULL;
}

static struct sc_aexpr *a_unary(struct ap *p)
{
	if (is_p(p, '-')) {
		next(p);
		struct sc_aexpr *e = a_unary(p);
		return e ? node(p, SC_A_NEG, e, NULL) : NULL;
	}
	return a_primary(p);
}

static struct sc_aexpr *a_mul(struct ap *p)
{
	struct sc_aexpr *e = a_unary(p);
	while (e && (is_p(p, '*') || is_p(p, '/') || is_p(p, '%'))) {
		enum sc_aop op = is_p(p, '*') ? SC_A_MUL : is_p(p, '/') ? SC_A_DIV : SC_A_MOD;
		next(p);
		struct sc_aexpr *r = a_unary(p);
		e = r ? node(p, op, e, r) : NULL;
	}
	return e;
}

static struct sc_aexpr *a_add(struct ap *p)
{
	struct sc_aexpr *e = a_mul(p);
	while (e && (is_p(p, '+') || is_p(p, '-'))) {
		enum sc_aop op = is_p(p, '+') ? SC_A_ADD : SC_A_SUB;
		next(p);
		struct sc_aexpr *r = a_mul(p);
		e = r ? node(p, op, e, r) : NULL;
	}
	return e;
}

static struct sc_aexpr *a_cmp(struct ap *p)
{
	struct sc_aexpr *e = a_add(p);
	enum sc_aop op;
	if (!e)
		return NULL;
	if (is_op2(p, "=="))
		op = SC_A_EQ;
	else if (is_op2(p, "!="))
		op = SC_A_NE;
	else if (is_op2(p, "<="))
		op = SC_A_LE;
	else if (is_op2(p, ">="))
		op = SC_A_GE;
	else if (is_p(p, '<'))
		op = SC_A_LT;
	else if (is_p(p, '>'))
		op = SC_A_GT;
	else
		return e;
	next(p);
	struct sc_aexpr *r = a_add(p);
	return r ? node(p, op, e, r) : NULL;
}

static struct sc_aexpr *a_not(struct ap *p)
{
	if (is_kw(p, "not")) {
		next(p);
		struct sc_aexpr *e = a_not(p);
		return e ? node(p, SC_A_NOT, e, NULL) : NULL;
	}
	return a_cmp(p);
}

static struct sc_aexpr *a_and(struct ap *p)
{
	struct sc_aexpr *e = a_not(p);
	while (e && is_kw(p, "and")) {
		next(p);
		struct sc_aexpr *r = a_not(p);
		e = r ? node(p, SC_A_AND, e, r) : NULL;
	}
	return e;
}

static struct sc_aexpr *a_or(struct ap *p)
{
	struct sc_aexpr *e = a_and(p);
	while (e && is_kw(p, "or")) {
		next(p);
		struct sc_aexpr *r = a_and(p);
		e = r ? node(p, SC_A_OR, e, r) : NULL;
	}
	return e;
}

/* One `assert COND [, message]`; the message is parsed and ignored (the
 * failure report prints the condition and its operands' values instead). */
static int parse_one(struct ap *p, struct sc_assert *out)
{
	if (!is_kw(p, "assert")) {
		sc_lex_error(&p->lx, p->tok.line, "only `assert` statements are supported in %%{ }%%, found '%.*s'",
			     (int)p->tok.len, p->tok.start);
		return -1;
	}
	next(p);
	const char *start = p->tok.start;
	if (!(out->expr = a_or(p)))
		return -1;
	const char *end = p->tok.kind == SC_TOK_EOF ? p->lx.p : p->tok.start;
	while (end > start && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\t'))
		end--;
	out->text = sc_strndup(p->a, start, (size_t)(end - start));
	if (p->tok.kind == SC_TOK_PUNCT && p->tok.punct == ',') {
		next(p);
		if (p->tok.kind == SC_TOK_STRING)
			next(p);
		else if (!a_or(p))
			return -1;
	}
	return 0;
}

int sc_parse_asserts(struct sc_arena *a, const char *name, int line, const char *code,
		     struct sc_event *ev, char *err, size_t errlen)
{
	struct ap p = {.a = a};
	struct sc_assert v[16];
	int n = 0;
	sc_lex_init(&p.lx, name, code, err, errlen);
	p.lx.line = line;
	next(&p);
	while (p.tok.kind != SC_TOK_EOF && !p.lx.failed) {
		if (n == 16) {
			sc_lex_error(&p.lx, p.tok.line, "at most 16 asserts in one block");
			break;
		}
		if (parse_one(&p, &v[n++]))
			break;
		if (is_p(&p, ';'))
			next(&p);
	}
	if (!p.lx.failed && n == 0)
		sc_lex_error(&p.lx, line, "empty %%{ }%% block");
	if (p.lx.failed)
		return -1;
	ev->kind = SC_EV_ASSERT;
	ev->u.asserts.n = n;
	ev->u.asserts.v = sc_alloc(a, sizeof(*v) * (size_t)n);
	memcpy(ev->u.asserts.v, v, sizeof(*v) * (size_t)n);
	return 0;
}
