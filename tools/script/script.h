/*
 * script.h: packetdrill-language script tests for synack (`synack script`).
 *
 * A script is a list of timed events run against one synack stack on a
 * virtual clock: socket calls with their expected results, segments the
 * scripted peer sends ("<"), segments the stack must send (">"), sysctl
 * lines that set the stack's knobs, and %{ assert ... }% checks of the
 * socket's tcp_info. The subset of packetdrill's language and its meaning
 * are described in docs/scripts.md; this header holds the parsed form.
 *
 *   script_lex.c    characters to tokens (numbers, names, punctuation), with
 *                   line numbers for messages
 *   script_parse.c  tokens to events; symbolic constants and sysctl names are
 *                   resolved here, so a typo is a parse error, never a test
 *                   that silently tests nothing
 *   script_sysctl.c the table of sysctls synack understands
 *   script_fmt.c    events and captured datagrams back to script syntax
 *   script_run.c    the interpreter (drives the public API only)
 *   script_main.c   the `synack script` command
 *
 * Ownership: everything a parsed script points to lives in its arena and is
 * freed by sc_script_free. No global mutable state.
 */
#ifndef SYNACK_TOOLS_SCRIPT_H
#define SYNACK_TOOLS_SCRIPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/synack.h"

/* ---------------------------------------------------------------- arena */

struct sc_arena_block;
struct sc_arena {
	struct sc_arena_block *head;
};
void *sc_alloc(struct sc_arena *a, size_t n); /* zeroed; aborts on OOM */
char *sc_strndup(struct sc_arena *a, const char *s, size_t n);
void sc_arena_free(struct sc_arena *a);

/* ---------------------------------------------------------------- lexer */

enum sc_tok_kind {
	SC_TOK_EOF = 0,
	SC_TOK_INT,      /* 123, 0x1f */
	SC_TOK_FLOAT,    /* 0.100, .1 (also integers where a time is expected) */
	SC_TOK_NAME,     /* socket, SO_LINGER, sackOK */
	SC_TOK_STRING,   /* "..." */
	SC_TOK_ELLIPSIS, /* ... */
	SC_TOK_BACKTICK, /* `command` (text holds the command) */
	SC_TOK_CODE,     /* %{ code }% (text holds the code) */
	SC_TOK_PUNCT,    /* one character: + * < > ( ) [ ] { } , = : . | - ! / % & ; */
	SC_TOK_OP2,      /* two characters: == != <= >= */
};

struct sc_tok {
	enum sc_tok_kind kind;
	int line;
	const char *start; /* into the source text */
	size_t len;
	int64_t ival;      /* INT */
	double fval;       /* FLOAT and INT */
	char punct;        /* PUNCT */
	int space_before;  /* whitespace or a comment separated it from the previous token */
};

struct sc_lexer {
	const char *name; /* file name for messages */
	const char *src, *p;
	int line;
	char *err;        /* first error, "file:line: message" */
	size_t errlen;
	int failed;
};

void sc_lex_init(struct sc_lexer *lx, const char *name, const char *src, char *err, size_t errlen);
/* Reads the next token; on a lexical error sets lx->failed and returns EOF. */
struct sc_tok sc_lex_next(struct sc_lexer *lx);
/* Reads packet flags ("S.", "F.", "P.", ".", "R", "-", "SEW") right at the cursor. */
int sc_lex_flags(struct sc_lexer *lx, uint8_t *flags);
void sc_lex_error(struct sc_lexer *lx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------- events */

enum sc_time_kind {
	SC_TIME_ABS,       /* 0.100 */
	SC_TIME_REL,       /* +0.1: after the previous event */
	SC_TIME_ANY,       /* * */
	SC_TIME_ABS_RANGE, /* 0.1...0.2: a blocking call's start and return */
	SC_TIME_REL_RANGE, /* +0...0.2 (or +0...+0.2): both relative to the previous event */
};

struct sc_time {
	enum sc_time_kind kind;
	int64_t start_us, end_us;
};

/* Option kinds use the wire numbers (RFC 9293 §3.2, RFC 7323, RFC 2018). */
#define SC_OPT_EOL 0
#define SC_OPT_NOP 1
#define SC_OPT_MSS 2
#define SC_OPT_WSCALE 3
#define SC_OPT_SACKOK 4
#define SC_OPT_SACK 5
#define SC_OPT_TS 8
#define SC_MAX_OPTS 40
#define SC_MAX_SACK 4

struct sc_opt {
	uint8_t kind;
	uint8_t n;        /* SACK: blocks */
	uint32_t v[2 * SC_MAX_SACK]; /* MSS/wscale: v[0]; TS: val, ecr; SACK: left, right pairs */
};

enum sc_opts_mode {
	SC_OPTS_NONE, /* no <...>: an outbound segment must carry none */
	SC_OPTS_LIST, /* <mss 1460,nop,...>: exactly these, in this order */
	SC_OPTS_ANY,  /* <...>: not checked */
};

/* Extra flag letters beyond the wire's: none. 'E' is ECE, 'W' is CWR. */
struct sc_packet {
	char dir;             /* '<' from the peer, '>' from the stack */
	uint8_t flags;        /* wire bits (SN_TCP_* values) */
	uint32_t seq, end, len; /* start:end(len) */
	unsigned has_ack : 1, has_win : 1, has_urg : 1;
	uint32_t ack, win, urg;
	enum sc_opts_mode opts_mode;
	int nopts;
	struct sc_opt opts[SC_MAX_OPTS];
};

enum sc_expr_kind {
	SC_E_INT,      /* 42, or a resolved symbol (name kept for messages) */
	SC_E_ELLIPSIS, /* ... */
	SC_E_STRING,
	SC_E_LIST,     /* [a, b] */
	SC_E_STRUCT,   /* {key=value, ...} */
};

struct sc_expr {
	enum sc_expr_kind kind;
	int64_t num;
	const char *name;      /* symbol or string text */
	int n;                 /* LIST/STRUCT items */
	struct sc_expr **items;
	const char **keys;     /* STRUCT */
};

struct sc_syscall {
	const char *name;
	int nargs;
	struct sc_expr **args;
	int64_t ret;           /* expected return value */
	int err;               /* expected errno (positive) when ret == -1; 0 none */
	int ret_any;           /* = ... */
};

/* An assert expression over tcp_info (%{ assert ... }%). */
enum sc_aop {
	SC_A_NUM, SC_A_FIELD, SC_A_NOT, SC_A_NEG,
	SC_A_MUL, SC_A_DIV, SC_A_MOD, SC_A_ADD, SC_A_SUB,
	SC_A_LT, SC_A_LE, SC_A_GT, SC_A_GE, SC_A_EQ, SC_A_NE,
	SC_A_AND, SC_A_OR,
};
struct sc_aexpr {
	enum sc_aop op;
	int64_t num;           /* NUM */
	int field;             /* FIELD: enum sc_tcpi_field */
	const char *text;      /* source text of a NUM/FIELD (messages) */
	struct sc_aexpr *l, *r;
};

struct sc_assert {
	struct sc_aexpr *expr;
	const char *text;      /* "tcpi_state == TCP_TIME_WAIT" */
};

enum sc_tcpi_field {
	SC_TCPI_STATE,
	SC_TCPI_SND_MSS,
	SC_TCPI_RCV_MSS,
	SC_TCPI_RTO,
	SC_TCPI_RTT,
	SC_TCPI_RTTVAR,
	SC_TCPI_SND_CWND,
	SC_TCPI_SND_SSTHRESH,
	SC_TCPI_RETRANSMITS,
	SC_TCPI_TOTAL_RETRANS,
	SC_TCPI_SND_WND,
	SC_TCPI_RCV_WND,
	SC_TCPI_NFIELDS
};
const char *sc_tcpi_field_name(int field);
/* "TCP_TIME_WAIT" for Linux's state number 6. */
const char *sc_tcp_state_name(int linux_state);

/* One sysctl assignment, resolved against the table in script_sysctl.c. */
struct sc_sysctl {
	const char *name;      /* as written: "net.ipv4.tcp_fin_timeout" */
	int knob;              /* index into the table */
	uint64_t value, value2;/* value2: the high end of ip_local_port_range */
};

enum sc_event_kind {
	SC_EV_PACKET,
	SC_EV_SYSCALL,
	SC_EV_SYSCTL,          /* `sysctl -w a=b; sysctl -q c=d` */
	SC_EV_ASSERT,          /* %{ assert ... }% (one or more asserts) */
};

struct sc_event {
	int line;
	const char *text;      /* the source line(s), for messages */
	struct sc_time time;
	enum sc_event_kind kind;
	union {
		struct sc_packet pkt;
		struct sc_syscall call;
		struct {
			int n;
			struct sc_sysctl *v;
		} sysctl;
		struct {
			int n;
			struct sc_assert *v;
		} asserts;
	} u;
};

struct sc_script {
	const char *name;
	struct sc_arena arena;
	int nevents;
	struct sc_event *events;
};

/* Parses text (NUL-terminated) into s. 0, or -1 with "name:line: message" in err. */
int sc_parse(const char *name, const char *text, struct sc_script *s, char *err, size_t errlen);
void sc_script_free(struct sc_script *s);
/* The body of a %{ }% block starting on line: fills ev (SC_EV_ASSERT). 0, or
 * -1 with the message in err (script_assert.c). */
int sc_parse_asserts(struct sc_arena *a, const char *name, int line, const char *code,
		     struct sc_event *ev, char *err, size_t errlen);

/* Symbols usable as syscall arguments and results: AF_INET, SO_LINGER,
 * POLLIN, ECONNRESET, ... 0 and *value, or -1 if unknown. */
int sc_symbol(const char *name, size_t len, int64_t *value);
/* "ECONNRESET" for 104; NULL if not in the table. */
const char *sc_errno_name(int err);

/* ---------------------------------------------------------------- sysctl */

struct sc_knob;
/* Index of the knob called name (len bytes), or -1. */
int sc_knob_find(const char *name, size_t len);
/* A knob set by name (tcp_congestion_control=cubic): 0 and *value; -1 if
 * the knob takes numbers, -2 for a name it does not know. */
int sc_knob_name_value(int k, const char *v, uint64_t *value);
/* Checks a value for knob k: 0, or -1 with a message in err. */
int sc_knob_check(int k, uint64_t value, uint64_t value2, char *err, size_t errlen);
/* 1 if the knob can only be set before the stack exists. */
int sc_knob_creation_only(int k);
/* Applies the value to cfg. */
void sc_knob_apply(int k, struct synack_config *cfg, uint64_t value, uint64_t value2);
/* 1 if the knob takes two numbers ("lo hi"). */
int sc_knob_pair(int k);
/* Lists the knobs, one a line, for --help. */
void sc_knob_list(FILE *out);

/* ---------------------------------------------------------------- format */

/* "S.", "F.", "P.", ".", "R", "-": flag letters of a packet line. */
const char *sc_flags_str(uint8_t flags, char *buf);
/* A packet as a script line ("> S. 0:0(0) ack 1 win 65535 <mss 1460>"). */
void sc_fmt_packet(const struct sc_packet *p, char *buf, size_t len);
/* A syscall result: "0", "-1 ECONNRESET (Connection reset by peer)". */
void sc_fmt_result(int64_t ret, int err, char *buf, size_t len);
/* A time in seconds with µs: "1.200000". */
void sc_fmt_time(int64_t us, char *buf, size_t len);

/* ---------------------------------------------------------------- run */

struct sc_run_opts {
	int64_t tolerance_us; /* packetdrill's --tolerance_usecs (default 4000) */
	int verbose;          /* print every event as it runs */
};

/* Runs a parsed script; prints failures (and with verbose, the events) to
 * out. 0 passed, 1 failed. */
int sc_run(const struct sc_script *s, const struct sc_run_opts *o, FILE *out);

/* The `synack script` command (tools/main.c). */
int script_main(int argc, char **argv);
void script_help(FILE *out);

#endif
