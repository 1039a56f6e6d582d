/*
 * script_parse.c: packetdrill-syntax script text to a list of events.
 *
 * Grammar (the subset synack runs; docs/scripts.md has examples):
 *
 *   event    := time ( packet | syscall | command | code )
 *   time     := '*' | ['+'] secs [ '...' ['+'] secs ]
 *   packet   := ('<' | '>') flags start ':' end '(' len ')'
 *               { 'ack' N | 'win' N | 'urg' N | '<' options '>' }
 *   options  := '...' | option { ',' option }
 *   option   := nop | eol | mss N | wscale N | sackOK | sack a:b {c:d} | TS val N ecr N
 *   syscall  := name '(' [ expr { ',' expr } ] ')' '=' result
 *   expr     := atom { '|' atom };  atom := N | -N | SYMBOL | ... | "str"
 *               | '[' exprs ']' | '{' key '=' expr { ',' key '=' expr } '}'
 *   result   := N | '-1' ERRNO [ '(' text ')' ] | '...'
 *   command  := `sysctl [-q|-w|-e] name=value {; sysctl ...}`
 *   code     := %{ assert cond [, msg] { ; assert ... } }%
 *
 * Everything symbolic is resolved here (constants, errno names, sysctl names,
 * tcp_info fields), so a misspelt name fails the parse with its line instead
 * of quietly testing nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "script.h"

struct parser {
	struct sc_lexer lx;
	struct sc_tok tok;   /* lookahead */
	struct sc_script *s;
	struct sc_arena *a;
};

static void advance(struct parser *p)
{
	p->tok = sc_lex_next(&p->lx);
}

static int is_punct(const struct sc_tok *t, char c)
{
	return t->kind == SC_TOK_PUNCT && t->punct == c;
}

static int is_name(const struct sc_tok *t, const char *name)
{
	return t->kind == SC_TOK_NAME && strlen(name) == t->len && !memcmp(t->start, name, t->len);
}

static int tok_is_number(const struct sc_tok *t)
{
	return t->kind == SC_TOK_INT || t->kind == SC_TOK_FLOAT;
}

/* "'foo'" for messages; end of file spelt out. */
static const char *tok_desc(const struct sc_tok *t, char *buf, size_t len)
{
	if (t->kind == SC_TOK_EOF)
		return "end of file";
	snprintf(buf, len, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->start);
	return buf;
}

#define perr(p, ...) sc_lex_error(&(p)->lx, (p)->tok.line, __VA_ARGS__)

static int expect_punct(struct parser *p, char c, const char *what)
{
	char b[64];
	if (!is_punct(&p->tok, c)) {
		perr(p, "expected '%c' %s, found %s", c, what, tok_desc(&p->tok, b, sizeof(b)));
		return -1;
	}
	advance(p);
	return 0;
}

static int parse_uint(struct parser *p, const char *what, uint64_t max, uint32_t *out)
{
	char b[64];
	if (p->tok.kind != SC_TOK_INT) {
		perr(p, "expected a number for %s, found %s", what, tok_desc(&p->tok, b, sizeof(b)));
		return -1;
	}
	if ((uint64_t)p->tok.ival > max) {
		perr(p, "%s %lld is out of range (0..%llu)", what, (long long)p->tok.ival,
		     (unsigned long long)max);
		return -1;
	}
	*out = (uint32_t)p->tok.ival;
	advance(p);
	return 0;
}

/* ---------------------------------------------------------------- symbols */

struct sym {
	const char *name;
	int64_t value;
};

#define S(x) {#x, x}
static const struct sym symbols[] = {
	S(AF_INET), S(AF_INET6), S(PF_INET), S(SOCK_STREAM), S(SOCK_NONBLOCK), S(IPPROTO_TCP),
	S(IPPROTO_IP), S(SOL_SOCKET), S(SOL_TCP), S(SO_REUSEADDR), S(SO_KEEPALIVE), S(SO_LINGER),
	S(SO_ERROR), S(SO_SNDBUF), S(SO_RCVBUF), S(TCP_NODELAY), S(TCP_MAXSEG), S(TCP_KEEPIDLE),
	S(TCP_KEEPINTVL), S(TCP_KEEPCNT), S(TCP_USER_TIMEOUT), S(TCP_INFO), S(TCP_CONGESTION), S(IP_TTL), S(IP_TOS),
	S(F_GETFL), S(F_SETFL), S(O_RDWR), S(O_RDONLY), S(O_WRONLY), S(O_NONBLOCK), S(SHUT_RD),
	S(SHUT_WR), S(SHUT_RDWR), S(POLLIN), S(POLLPRI), S(POLLOUT), S(POLLERR), S(POLLHUP),
	S(POLLRDHUP), S(POLLNVAL), S(MSG_OOB), S(MSG_PEEK), S(MSG_DONTWAIT), S(MSG_NOSIGNAL),
	S(INADDR_ANY), {"NULL", 0},
};

static const struct sym errnos[] = {
	S(EPERM), S(ENOENT), S(EINTR), S(EIO), S(EBADF), S(EAGAIN), S(EWOULDBLOCK), S(ENOMEM),
	S(EACCES), S(EFAULT), S(EBUSY), S(EEXIST), S(EINVAL), S(ENFILE), S(EMFILE), S(ENOSPC),
	S(EPIPE), S(ENOTSOCK), S(EDESTADDRREQ), S(EMSGSIZE), S(EPROTOTYPE), S(ENOPROTOOPT),
	S(EPROTONOSUPPORT), S(EOPNOTSUPP), S(EAFNOSUPPORT), S(EADDRINUSE), S(EADDRNOTAVAIL),
	S(ENETDOWN), S(ENETUNREACH), S(ECONNABORTED), S(ECONNRESET), S(ENOBUFS), S(EISCONN),
	S(ENOTCONN), S(ESHUTDOWN), S(ETIMEDOUT), S(ECONNREFUSED), S(EHOSTUNREACH), S(EALREADY),
	S(EINPROGRESS),
};
#undef S

int sc_symbol(const char *name, size_t len, int64_t *value)
{
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
		if (strlen(symbols[i].name) == len && !memcmp(symbols[i].name, name, len)) {
			*value = symbols[i].value;
			return 0;
		}
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strlen(errnos[i].name) == len && !memcmp(errnos[i].name, name, len)) {
			*value = errnos[i].value;
			return 0;
		}
	return -1;
}

const char *sc_errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].value == err)
			return errnos[i].name;
	return NULL;
}

/* ---------------------------------------------------------------- time */

static int64_t secs_to_us(const struct sc_tok *t)
{
	return (int64_t)llround(t->fval * 1e6);
}

static int parse_secs(struct parser *p, int64_t *us)
{
	char b[64];
	if (!tok_is_number(&p->tok)) {
		perr(p, "expected a time in seconds, found %s", tok_desc(&p->tok, b, sizeof(b)));
		return -1;
	}
	/* bounded, so that times and their differences stay far from int64
	 * overflow (found by fuzz_script) */
	if (!(p->tok.fval >= 0 && p->tok.fval <= 1e7)) {
		perr(p, "time %s is out of range (0 to 10000000 seconds)", tok_desc(&p->tok, b, sizeof(b)));
		return -1;
	}
	*us = secs_to_us(&p->tok);
	advance(p);
	return 0;
}

static int parse_time(struct parser *p, struct sc_time *t)
{
	int rel = 0;
	if (is_punct(&p->tok, '*')) {
		t->kind = SC_TIME_ANY;
		advance(p);
		return 0;
	}
	if (is_punct(&p->tok, '+')) {
		rel = 1;
		advance(p);
	}
	if (parse_secs(p, &t->start_us))
		return -1;
	t->kind = rel ? SC_TIME_REL : SC_TIME_ABS;
	if (p->tok.kind != SC_TOK_ELLIPSIS)
		return 0;
	advance(p);
	if (is_punct(&p->tok, '+')) {
		if (!rel) {
			perr(p, "an absolute start needs an absolute end (0.1...0.2)");
			return -1;
		}
		advance(p);
	}
	if (parse_secs(p, &t->end_us))
		return -1;
	t->kind = rel ? SC_TIME_REL_RANGE : SC_TIME_ABS_RANGE;
	if (t->end_us < t->start_us) {
		perr(p, "time range ends before it starts");
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- packets */

static int parse_sack_blocks(struct parser *p, struct sc_opt *o)
{
	while (p->tok.kind == SC_TOK_INT) {
		if (o->n >= SC_MAX_SACK) {
			perr(p, "at most %d SACK blocks", SC_MAX_SACK);
			return -1;
		}
		uint32_t l, r;
		if (parse_uint(p, "SACK left edge", UINT32_MAX, &l) ||
		    expect_punct(p, ':', "in a SACK block") ||
		    parse_uint(p, "SACK right edge", UINT32_MAX, &r))
			return -1;
		o->v[2 * o->n] = l;
		o->v[2 * o->n + 1] = r;
		o->n++;
	}
	if (o->n == 0) {
		perr(p, "sack needs at least one block (sack 1:100)");
		return -1;
	}
	return 0;
}

static int parse_option(struct parser *p, struct sc_opt *o)
{
	char b[64];
	if (is_name(&p->tok, "nop") || is_name(&p->tok, "eol") || is_name(&p->tok, "sackOK")) {
		o->kind = is_name(&p->tok, "nop") ? SC_OPT_NOP : is_name(&p->tok, "eol") ? SC_OPT_EOL
											 : SC_OPT_SACKOK;
		advance(p);
		return 0;
	}
	if (is_name(&p->tok, "mss")) {
		o->kind = SC_OPT_MSS;
		advance(p);
		return parse_uint(p, "mss", 65535, &o->v[0]);
	}
	if (is_name(&p->tok, "wscale")) {
		o->kind = SC_OPT_WSCALE;
		advance(p);
		return parse_uint(p, "wscale", 255, &o->v[0]);
	}
	if (is_name(&p->tok, "sack")) {
		o->kind = SC_OPT_SACK;
		advance(p);
		return parse_sack_blocks(p, o);
	}
	if (is_name(&p->tok, "TS")) {
		o->kind = SC_OPT_TS;
		advance(p);
		if (!is_name(&p->tok, "val")) {
			perr(p, "expected 'val' after TS (TS val N ecr N)");
			return -1;
		}
		advance(p);
		if (parse_uint(p, "TS val", UINT32_MAX, &o->v[0]))
			return -1;
		if (!is_name(&p->tok, "ecr")) {
			perr(p, "expected 'ecr' after TS val N");
			return -1;
		}
		advance(p);
		return parse_uint(p, "TS ecr", UINT32_MAX, &o->v[1]);
	}
	perr(p, "unknown TCP option %s (known: nop eol mss wscale sackOK sack TS)",
	     tok_desc(&p->tok, b, sizeof(b)));
	return -1;
}

/* Options, after the '<'. Their encoded size must fit the header (40 bytes). */
static int parse_options(struct parser *p, struct sc_packet *pk)
{
	if (p->tok.kind == SC_TOK_ELLIPSIS) {
		pk->opts_mode = SC_OPTS_ANY;
		advance(p);
		return expect_punct(p, '>', "after <...");
	}
	pk->opts_mode = SC_OPTS_LIST;
	size_t bytes = 0;
	for (;;) {
		if (pk->nopts >= SC_MAX_OPTS) {
			perr(p, "too many options");
			return -1;
		}
		struct sc_opt *o = &pk->opts[pk->nopts++];
		if (parse_option(p, o))
			return -1;
		static const size_t sizes[] = {[SC_OPT_EOL] = 1, [SC_OPT_NOP] = 1, [SC_OPT_MSS] = 4,
					       [SC_OPT_WSCALE] = 3, [SC_OPT_SACKOK] = 2, [SC_OPT_TS] = 10};
		bytes += o->kind == SC_OPT_SACK ? 2u + 8u * o->n : sizes[o->kind];
		if (!is_punct(&p->tok, ','))
			break;
		advance(p);
	}
	if (bytes > 40) {
		perr(p, "options take %zu bytes; a TCP header holds at most 40", bytes);
		return -1;
	}
	return expect_punct(p, '>', "to close the option list");
}

static int parse_packet(struct parser *p, struct sc_packet *pk)
{
	pk->dir = p->tok.punct;
	/* the lexer's cursor is right after '<' or '>': flags come next, raw */
	if (sc_lex_flags(&p->lx, &pk->flags))
		return -1;
	advance(p);
	if (parse_uint(p, "start sequence number", UINT32_MAX, &pk->seq) ||
	    expect_punct(p, ':', "in start:end(len)") ||
	    parse_uint(p, "end sequence number", UINT32_MAX, &pk->end) ||
	    expect_punct(p, '(', "in start:end(len)") ||
	    parse_uint(p, "payload length", 65495, &pk->len) ||
	    expect_punct(p, ')', "in start:end(len)"))
		return -1;
	if (pk->end - pk->seq != pk->len) {
		sc_lex_error(&p->lx, p->tok.line, "sequence range %u:%u does not match length %u",
			     pk->seq, pk->end, pk->len);
		return -1;
	}
	for (;;) {
		if (is_name(&p->tok, "ack")) {
			advance(p);
			pk->has_ack = 1;
			if (parse_uint(p, "ack", UINT32_MAX, &pk->ack))
				return -1;
		} else if (is_name(&p->tok, "win")) {
			advance(p);
			pk->has_win = 1;
			if (parse_uint(p, "win", 65535, &pk->win))
				return -1;
		} else if (is_name(&p->tok, "urg")) {
			advance(p);
			pk->has_urg = 1;
			if (parse_uint(p, "urg", 65535, &pk->urg))
				return -1;
		} else if (is_punct(&p->tok, '<')) {
			if (pk->opts_mode != SC_OPTS_NONE) {
				perr(p, "two option lists");
				return -1;
			}
			advance(p);
			if (parse_options(p, pk))
				return -1;
		} else {
			return 0;
		}
	}
}

/* ---------------------------------------------------------------- syscalls */

static struct sc_expr *parse_expr(struct parser *p);

static struct sc_expr *new_expr(struct parser *p, enum sc_expr_kind kind)
{
	struct sc_expr *e = sc_alloc(p->a, sizeof(*e));
	e->kind = kind;
	return e;
}

/* '[' ... ']' or '{' ... '}' */
static struct sc_expr *parse_aggregate(struct parser *p)
{
	int is_struct = is_punct(&p->tok, '{');
	char close = is_struct ? '}' : ']';
	struct sc_expr *e = new_expr(p, is_struct ? SC_E_STRUCT : SC_E_LIST);
	struct sc_expr *items[16];
	const char *keys[16];
	advance(p);
	while (!is_punct(&p->tok, close)) {
		if (e->n >= 16) {
			perr(p, "too many items (at most 16)");
			return NULL;
		}
		if (is_struct) {
			if (p->tok.kind != SC_TOK_NAME) {
				perr(p, "expected a field name in {field=value}");
				return NULL;
			}
			keys[e->n] = sc_strndup(p->a, p->tok.start, p->tok.len);
			advance(p);
			if (expect_punct(p, '=', "after the field name"))
				return NULL;
		}
		if (!(items[e->n++] = parse_expr(p)))
			return NULL;
		if (!is_punct(&p->tok, ','))
			break;
		advance(p);
	}
	if (expect_punct(p, close, is_struct ? "to close {...}" : "to close [...]"))
		return NULL;
	e->items = sc_alloc(p->a, sizeof(*e->items) * (size_t)(e->n + 1));
	memcpy(e->items, items, sizeof(*items) * (size_t)e->n);
	if (is_struct) {
		e->keys = sc_alloc(p->a, sizeof(*e->keys) * (size_t)(e->n + 1));
		memcpy(e->keys, keys, sizeof(*keys) * (size_t)e->n);
	}
	return e;
}

static struct sc_expr *parse_atom(struct parser *p)
{
	char b[64];
	struct sc_expr *e;
	int neg = 0;
	switch (p->tok.kind) {
	case SC_TOK_ELLIPSIS:
		advance(p);
		return new_expr(p, SC_E_ELLIPSIS);
	case SC_TOK_STRING:
		e = new_expr(p, SC_E_STRING);
		e->name = sc_strndup(p->a, p->tok.start, p->tok.len);
		advance(p);
		return e;
	case SC_TOK_NAME:
		e = new_expr(p, SC_E_INT);
		if (sc_symbol(p->tok.start, p->tok.len, &e->num)) {
			perr(p, "unknown symbol %s", tok_desc(&p->tok, b, sizeof(b)));
			return NULL;
		}
		e->name = sc_strndup(p->a, p->tok.start, p->tok.len);
		advance(p);
		return e;
	default:
		break;
	}
	if (is_punct(&p->tok, '[') || is_punct(&p->tok, '{'))
		return parse_aggregate(p);
	if (is_punct(&p->tok, '-')) {
		neg = 1;
		advance(p);
	}
	if (p->tok.kind != SC_TOK_INT) {
		perr(p, "expected an argument, found %s", tok_desc(&p->tok, b, sizeof(b)));
		return NULL;
	}
	e = new_expr(p, SC_E_INT);
	e->num = neg ? -p->tok.ival : p->tok.ival;
	advance(p);
	return e;
}

static struct sc_expr *parse_expr(struct parser *p)
{
	struct sc_expr *e = parse_atom(p);
	if (!e)
		return NULL;
	while (is_punct(&p->tok, '|')) {
		advance(p);
		struct sc_expr *r = parse_atom(p);
		if (!r)
			return NULL;
		if (e->kind != SC_E_INT || r->kind != SC_E_INT) {
			perr(p, "'|' joins numbers and symbols only");
			return NULL;
		}
		struct sc_expr *o = new_expr(p, SC_E_INT);
		o->num = e->num | r->num;
		o->name = NULL;
		e = o;
	}
	return e;
}

static const char *const known_calls[] = {
	"socket", "bind", "listen", "accept", "connect", "read", "write", "send", "recv",
	"shutdown", "close", "fcntl", "getsockopt", "setsockopt", "poll",
};

/* The result: N, -1 ERRNO (text), or ... */
static int parse_result(struct parser *p, struct sc_syscall *c)
{
	char b[64];
	if (p->tok.kind == SC_TOK_ELLIPSIS) {
		c->ret_any = 1;
		advance(p);
		return 0;
	}
	int neg = 0;
	if (is_punct(&p->tok, '-')) {
		neg = 1;
		advance(p);
	}
	if (p->tok.kind != SC_TOK_INT) {
		perr(p, "expected the call's result, found %s", tok_desc(&p->tok, b, sizeof(b)));
		return -1;
	}
	c->ret = neg ? -p->tok.ival : p->tok.ival;
	int line = p->tok.line;
	advance(p);
	if (c->ret != -1)
		return 0;
	int64_t err;
	if (p->tok.kind != SC_TOK_NAME || p->tok.line != line ||
	    sc_symbol(p->tok.start, p->tok.len, &err) || !sc_errno_name((int)err)) {
		perr(p, "a result of -1 needs an errno name (-1 ECONNRESET), found %s",
		     tok_desc(&p->tok, b, sizeof(b)));
		return -1;
	}
	c->err = (int)err;
	/* "(Connection reset by peer)": free text, skipped raw up to ')' */
	const char *q = p->lx.p;
	while (*q == ' ' || *q == '\t')
		q++;
	if (*q == '(') {
		const char *e = q;
		while (*e && *e != ')' && *e != '\n')
			e++;
		if (*e != ')') {
			sc_lex_error(&p->lx, line, "unterminated '(' after the errno name");
			return -1;
		}
		p->lx.p = e + 1;
	}
	advance(p);
	return 0;
}

static int parse_syscall(struct parser *p, struct sc_syscall *c)
{
	struct sc_expr *args[8];
	size_t i;
	for (i = 0; i < sizeof(known_calls) / sizeof(known_calls[0]); i++)
		if (is_name(&p->tok, known_calls[i]))
			break;
	if (i == sizeof(known_calls) / sizeof(known_calls[0])) {
		perr(p, "unknown system call '%.*s'", (int)p->tok.len, p->tok.start);
		return -1;
	}
	c->name = known_calls[i];
	advance(p);
	if (expect_punct(p, '(', "after the call's name"))
		return -1;
	while (!is_punct(&p->tok, ')')) {
		if (c->nargs >= 8) {
			perr(p, "too many arguments");
			return -1;
		}
		if (!(args[c->nargs++] = parse_expr(p)))
			return -1;
		if (!is_punct(&p->tok, ','))
			break;
		advance(p);
	}
	if (expect_punct(p, ')', "to close the argument list") ||
	    expect_punct(p, '=', "before the expected result"))
		return -1;
	c->args = sc_alloc(p->a, sizeof(*c->args) * (size_t)(c->nargs + 1));
	memcpy(c->args, args, sizeof(*args) * (size_t)c->nargs);
	return parse_result(p, c);
}

/* ---------------------------------------------------------------- sysctl */

/* Splits a command into words (quotes group); returns the count. */
static int split_words(char *s, char **w, int max)
{
	int n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		if (n == max)
			return -1;
		w[n++] = s;
		char *d = s;
		int q = 0;
		while (*s && (q || (*s != ' ' && *s != '\t' && *s != '\n'))) {
			if (*s == '"' || *s == '\'')
				q = !q;
			else
				*d++ = *s;
			s++;
		}
		if (*s)
			s++;
		*d = '\0';
	}
	return n;
}

static int parse_assignment(struct parser *p, int line, char *word, struct sc_sysctl *out)
{
	char msg[200];
	char *eq = strchr(word, '=');
	if (!eq) {
		sc_lex_error(&p->lx, line, "sysctl '%s' reads a value; scripts can only set (name=value)", word);
		return -1;
	}
	int k = sc_knob_find(word, (size_t)(eq - word));
	if (k < 0) {
		sc_lex_error(&p->lx, line, "unknown sysctl '%.*s' (run `synack script --sysctls` for the list)",
			     (int)(eq - word), word);
		return -1;
	}
	char *end;
	const char *v = eq + 1;
	out->name = sc_strndup(p->a, word, (size_t)(eq - word));
	out->knob = k;
	int named = sc_knob_name_value(k, v, &out->value);
	if (named == 0)
		return 0;
	if (named == -2) {
		sc_lex_error(&p->lx, line, "sysctl %s: synack has no congestion control '%s' (reno, cubic)",
			     out->name, v);
		return -1;
	}
	out->value = strtoull(v, &end, 0);
	if (sc_knob_pair(k)) {
		const char *v2 = end;
		out->value2 = strtoull(v2, &end, 0);
		if (end == v2) {
			sc_lex_error(&p->lx, line, "%s takes two numbers (\"lo hi\")", out->name);
			return -1;
		}
	}
	if (end == v || *end) {
		sc_lex_error(&p->lx, line, "sysctl %s: '%s' is not a number", out->name, v);
		return -1;
	}
	if (sc_knob_check(k, out->value, out->value2, msg, sizeof(msg))) {
		sc_lex_error(&p->lx, line, "sysctl %s: %s", out->name, msg);
		return -1;
	}
	return 0;
}

/* `sysctl -q net.ipv4.tcp_fin_timeout=5; sysctl -w ...` */
static int parse_command(struct parser *p, struct sc_event *ev)
{
	int line = p->tok.line;
	char *text = sc_strndup(p->a, p->tok.start, p->tok.len);
	struct sc_sysctl v[16];
	int n = 0;
	advance(p);
	char *save = NULL;
	for (char *cmd = strtok_r(text, ";&", &save); cmd; cmd = strtok_r(NULL, ";&", &save)) {
		char *w[24];
		int nw = split_words(cmd, w, 24);
		if (nw == 0)
			continue;
		if (nw < 0 || strcmp(w[0], "sysctl") != 0) {
			sc_lex_error(&p->lx, line, "only `sysctl name=value` commands are supported, not `%s`", w[0]);
			return -1;
		}
		for (int i = 1; i < nw; i++) {
			if (w[i][0] == '-') {
				if (strcmp(w[i], "-q") && strcmp(w[i], "-w") && strcmp(w[i], "-e") &&
				    strcmp(w[i], "-qw") && strcmp(w[i], "-wq")) {
					sc_lex_error(&p->lx, line, "sysctl option '%s' is not supported", w[i]);
					return -1;
				}
				continue;
			}
			if (n == 16) {
				sc_lex_error(&p->lx, line, "too many sysctls in one command");
				return -1;
			}
			if (parse_assignment(p, line, w[i], &v[n++]))
				return -1;
		}
	}
	if (n == 0) {
		sc_lex_error(&p->lx, line, "empty command");
		return -1;
	}
	ev->kind = SC_EV_SYSCTL;
	ev->u.sysctl.n = n;
	ev->u.sysctl.v = sc_alloc(p->a, sizeof(*v) * (size_t)n);
	memcpy(ev->u.sysctl.v, v, sizeof(*v) * (size_t)n);
	return 0;
}

/* ---------------------------------------------------------------- events */

/* The source line an event starts on, for messages. */
static const char *line_text(struct parser *p, const char *at)
{
	const char *b = at, *e = at;
	while (b > p->lx.src && b[-1] != '\n')
		b--;
	while (*e && *e != '\n')
		e++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	return sc_strndup(p->a, b, (size_t)(e - b));
}

static int parse_event(struct parser *p, struct sc_event *ev)
{
	char b[64];
	ev->line = p->tok.line;
	ev->text = line_text(p, p->tok.start);
	if (p->tok.kind == SC_TOK_CODE)
		ev->time.kind = SC_TIME_REL; /* %{ }% without a time: right after the previous event */
	else if (parse_time(p, &ev->time))
		return -1;
	if ((ev->time.kind == SC_TIME_ABS_RANGE || ev->time.kind == SC_TIME_REL_RANGE) &&
	    p->tok.kind != SC_TOK_NAME) {
		perr(p, "only a system call can have a time range");
		return -1;
	}
	if (is_punct(&p->tok, '<') || is_punct(&p->tok, '>')) {
		ev->kind = SC_EV_PACKET;
		return parse_packet(p, &ev->u.pkt);
	}
	if (p->tok.kind == SC_TOK_NAME) {
		ev->kind = SC_EV_SYSCALL;
		return parse_syscall(p, &ev->u.call);
	}
	if (p->tok.kind == SC_TOK_BACKTICK)
		return parse_command(p, ev);
	if (p->tok.kind == SC_TOK_CODE) {
		if (sc_parse_asserts(p->a, p->lx.name, p->tok.line, sc_strndup(p->a, p->tok.start, p->tok.len),
				     ev, p->lx.err, p->lx.errlen)) {
			p->lx.failed = 1;
			return -1;
		}
		advance(p);
		return 0;
	}
	perr(p, "expected a packet (< or >), a system call, `sysctl ...` or %%{ assert ... }%%, found %s",
	     tok_desc(&p->tok, b, sizeof(b)));
	return -1;
}

int sc_parse(const char *name, const char *text, struct sc_script *s, char *err, size_t errlen)
{
	struct parser p = {0};
	int cap = 0;
	memset(s, 0, sizeof(*s));
	p.s = s;
	p.a = &s->arena;
	s->name = sc_strndup(p.a, name, strlen(name));
	sc_lex_init(&p.lx, s->name, text, err, errlen);
	advance(&p);
	while (p.tok.kind != SC_TOK_EOF && !p.lx.failed) {
		if (s->nevents == cap) {
			cap = cap ? 2 * cap : 64;
			struct sc_event *ne = sc_alloc(p.a, sizeof(*ne) * (size_t)cap);
			if (s->nevents)
				memcpy(ne, s->events, sizeof(*ne) * (size_t)s->nevents);
			s->events = ne; /* the old array stays in the arena until free */
		}
		struct sc_event *ev = &s->events[s->nevents++];
		memset(ev, 0, sizeof(*ev));
		if (parse_event(&p, ev))
			break;
	}
	if (p.lx.failed) {
		sc_script_free(s);
		return -1;
	}
	if (s->nevents == 0) {
		snprintf(err, errlen, "%s:1: the script has no events", name);
		sc_script_free(s);
		return -1;
	}
	return 0;
}

void sc_script_free(struct sc_script *s)
{
	sc_arena_free(&s->arena);
	s->events = NULL;
	s->nevents = 0;
}
