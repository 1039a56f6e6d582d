/*
 * script_lex.c: the script tokenizer and the per-script arena.
 *
 * Tokens carry their line for messages. Comments are `//` and `#` to the end
 * of the line and C's block comments; whitespace, newlines included, only
 * separates tokens (an event may span lines; the parser knows where each
 * ends). A '.' is a decimal point only when a digit follows it or precedes
 * it and no second '.' follows, so "0...0.100" is 0, ..., 0.100. Packet
 * flags ("S.", ".", "F.") are read by sc_lex_flags, not the tokenizer,
 * because '.' means ACK there.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"
#include "wire/tcp_wire.h"

/* ---------------------------------------------------------------- arena */

struct sc_arena_block {
	struct sc_arena_block *next;
	max_align_t data[];
};

void *sc_alloc(struct sc_arena *a, size_t n)
{
	struct sc_arena_block *b = calloc(1, sizeof(*b) + n);
	if (!b) {
		fprintf(stderr, "synack script: out of memory\n");
		abort();
	}
	b->next = a->head;
	a->head = b;
	return b->data;
}

char *sc_strndup(struct sc_arena *a, const char *s, size_t n)
{
	char *d = sc_alloc(a, n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void sc_arena_free(struct sc_arena *a)
{
	while (a->head) {
		struct sc_arena_block *b = a->head;
		a->head = b->next;
		free(b);
	}
}

/* ---------------------------------------------------------------- lexer */

void sc_lex_init(struct sc_lexer *lx, const char *name, const char *src, char *err, size_t errlen)
{
	memset(lx, 0, sizeof(*lx));
	lx->name = name;
	lx->src = lx->p = src;
	lx->line = 1;
	lx->err = err;
	lx->errlen = errlen;
	if (errlen)
		err[0] = '\0';
}

void sc_lex_error(struct sc_lexer *lx, int line, const char *fmt, ...)
{
	va_list ap;
	if (lx->failed)
		return; /* keep the first error: later ones are usually its echoes */
	lx->failed = 1;
	int n = snprintf(lx->err, lx->errlen, "%s:%d: ", lx->name, line);
	if (n < 0 || (size_t)n >= lx->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Skips whitespace and comments; returns 1 if anything was skipped. */
static int skip_space(struct sc_lexer *lx)
{
	const char *start = lx->p;
	for (;;) {
		char c = *lx->p;
		if (c == '\n') {
			lx->line++;
			lx->p++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			lx->p++;
		} else if (c == '#' || (c == '/' && lx->p[1] == '/')) {
			while (*lx->p && *lx->p != '\n')
				lx->p++;
		} else if (c == '/' && lx->p[1] == '*') {
			int line = lx->line;
			lx->p += 2;
			while (*lx->p && !(lx->p[0] == '*' && lx->p[1] == '/')) {
				if (*lx->p == '\n')
					lx->line++;
				lx->p++;
			}
			if (!*lx->p) {
				sc_lex_error(lx, line, "unterminated /* comment");
				return 1;
			}
			lx->p += 2;
		} else {
			return lx->p != start;
		}
	}
}

static void lex_number(struct sc_lexer *lx, struct sc_tok *t)
{
	const char *p = lx->p;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		char *end;
		t->ival = (int64_t)strtoull(p, &end, 16);
		t->fval = (double)t->ival;
		t->kind = SC_TOK_INT;
		lx->p = end;
		return;
	}
	while (isdigit((unsigned char)*p))
		p++;
	int is_float = 0;
	if (*p == '.' && p[1] != '.') {
		is_float = 1;
		p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	char buf[64];
	size_t n = (size_t)(p - lx->p);
	if (n >= sizeof(buf)) {
		sc_lex_error(lx, lx->line, "number too long");
		n = sizeof(buf) - 1;
	}
	memcpy(buf, lx->p, n);
	buf[n] = '\0';
	t->fval = strtod(buf, NULL);
	t->ival = is_float ? 0 : (int64_t)strtoull(buf, NULL, 10);
	t->kind = is_float ? SC_TOK_FLOAT : SC_TOK_INT;
	lx->p = p;
}

/* `...` or %{ ... }%: the text between the delimiters. */
static void lex_delimited(struct sc_lexer *lx, struct sc_tok *t, const char *close,
			  enum sc_tok_kind kind, size_t open_len)
{
	int line = lx->line;
	const char *body = lx->p + open_len;
	const char *end = strstr(body, close);
	if (!end) {
		sc_lex_error(lx, line, "unterminated %s", kind == SC_TOK_CODE ? "%{ ... }%" : "`command`");
		t->kind = SC_TOK_EOF;
		return;
	}
	for (const char *q = body; q < end; q++)
		if (*q == '\n')
			lx->line++;
	t->kind = kind;
	t->start = body;
	t->len = (size_t)(end - body);
	lx->p = end + strlen(close);
}

struct sc_tok sc_lex_next(struct sc_lexer *lx)
{
	struct sc_tok t = {0};
	t.space_before = skip_space(lx);
	t.line = lx->line;
	t.start = lx->p;
	char c = *lx->p;
	if (lx->failed || c == '\0') {
		t.kind = SC_TOK_EOF;
		return t;
	}
	if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)lx->p[1]))) {
		lex_number(lx, &t);
	} else if (isalpha((unsigned char)c) || c == '_') {
		while (isalnum((unsigned char)*lx->p) || *lx->p == '_')
			lx->p++;
		t.kind = SC_TOK_NAME;
	} else if (c == '.' && lx->p[1] == '.' && lx->p[2] == '.') {
		lx->p += 3;
		t.kind = SC_TOK_ELLIPSIS;
	} else if (c == '"') {
		const char *e = strchr(lx->p + 1, '"');
		if (!e || memchr(lx->p, '\n', (size_t)(e - lx->p))) {
			sc_lex_error(lx, t.line, "unterminated string");
			t.kind = SC_TOK_EOF;
			return t;
		}
		t.kind = SC_TOK_STRING;
		t.start = lx->p + 1;
		t.len = (size_t)(e - lx->p - 1);
		lx->p = e + 1;
		return t;
	} else if (c == '`') {
		lex_delimited(lx, &t, "`", SC_TOK_BACKTICK, 1);
		return t;
	} else if (c == '%' && lx->p[1] == '{') {
		lex_delimited(lx, &t, "}%", SC_TOK_CODE, 2);
		return t;
	} else if (strchr("=!<>", c) && lx->p[1] == '=') {
		lx->p += 2;
		t.kind = SC_TOK_OP2;
	} else if (strchr("+*<>()[]{},=:.|-!/%&;", c)) {
		lx->p++;
		t.kind = SC_TOK_PUNCT;
		t.punct = c;
	} else {
		sc_lex_error(lx, t.line, "unexpected character '%c'", c);
		t.kind = SC_TOK_EOF;
		return t;
	}
	t.len = (size_t)(lx->p - t.start);
	return t;
}

/* Flag letters as packetdrill writes them: S F P R . (ACK) U E (ECE) W (CWR),
 * and "-" for none. */
int sc_lex_flags(struct sc_lexer *lx, uint8_t *flags)
{
	while (*lx->p == ' ' || *lx->p == '\t')
		lx->p++;
	const char *start = lx->p;
	uint8_t f = 0;
	for (;; lx->p++) {
		char c = *lx->p;
		uint8_t bit;
		switch (c) {
		case 'S': bit = SN_TCP_SYN; break;
		case 'F': bit = SN_TCP_FIN; break;
		case 'P': bit = SN_TCP_PSH; break;
		case 'R': bit = SN_TCP_RST; break;
		case '.': bit = SN_TCP_ACK; break;
		case 'U': bit = SN_TCP_URG; break;
		case 'E': bit = SN_TCP_ECE; break;
		case 'W': bit = SN_TCP_CWR; break;
		case '-': bit = 0; break;
		default:
			goto done;
		}
		if (c == '-' && (lx->p != start || isalnum((unsigned char)lx->p[1]) || lx->p[1] == '.')) {
			sc_lex_error(lx, lx->line, "'-' (no flags) must stand alone");
			return -1;
		}
		f |= bit;
	}
done:
	if (lx->p == start || !(isspace((unsigned char)*lx->p) || *lx->p == '\0')) {
		const char *e = lx->p;
		while (*e && !isspace((unsigned char)*e))
			e++;
		sc_lex_error(lx, lx->line, "bad TCP flags '%.*s' (use S F P R . U E W, or - for none)",
			     (int)(e - start), start);
		return -1;
	}
	*flags = f;
	return 0;
}
