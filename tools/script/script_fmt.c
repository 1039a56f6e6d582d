/*
 * script_fmt.c: parsed events and captured segments back into script
 * syntax, so a failure shows both sides the way the script writes them.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "script.h"
#include "wire/tcp_wire.h"

const char *sc_flags_str(uint8_t flags, char *buf)
{
	static const struct {
		uint8_t bit;
		char c;
	} order[] = {{SN_TCP_SYN, 'S'}, {SN_TCP_FIN, 'F'}, {SN_TCP_RST, 'R'}, {SN_TCP_PSH, 'P'},
		     {SN_TCP_URG, 'U'}, {SN_TCP_ECE, 'E'}, {SN_TCP_CWR, 'W'}, {SN_TCP_ACK, '.'}};
	char *p = buf;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (flags & order[i].bit)
			*p++ = order[i].c;
	if (p == buf)
		*p++ = '-';
	*p = '\0';
	return buf;
}

static size_t fmt_opt(const struct sc_opt *o, char *buf, size_t len)
{
	int n;
	switch (o->kind) {
	case SC_OPT_EOL: n = snprintf(buf, len, "eol"); break;
	case SC_OPT_NOP: n = snprintf(buf, len, "nop"); break;
	case SC_OPT_MSS: n = snprintf(buf, len, "mss %" PRIu32, o->v[0]); break;
	case SC_OPT_WSCALE: n = snprintf(buf, len, "wscale %" PRIu32, o->v[0]); break;
	case SC_OPT_SACKOK: n = snprintf(buf, len, "sackOK"); break;
	case SC_OPT_TS:
		n = snprintf(buf, len, "TS val %" PRIu32 " ecr %" PRIu32, o->v[0], o->v[1]);
		break;
	case SC_OPT_SACK: {
		size_t used = (size_t)snprintf(buf, len, "sack");
		for (int i = 0; i < o->n && used < len; i++)
			used += (size_t)snprintf(buf + used, len - used, " %" PRIu32 ":%" PRIu32,
						 o->v[2 * i], o->v[2 * i + 1]);
		return used < len ? used : len - 1;
	}
	default:
		n = snprintf(buf, len, "opt%u(len %u)", o->kind, o->n);
		break;
	}
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

void sc_fmt_packet(const struct sc_packet *p, char *buf, size_t len)
{
	char f[12];
	size_t used = (size_t)snprintf(buf, len, "%c %s %" PRIu32 ":%" PRIu32 "(%" PRIu32 ")", p->dir,
				       sc_flags_str(p->flags, f), p->seq, p->end, p->len);
#define ADD(...)                                                                      \
	do {                                                                          \
		if (used < len)                                                       \
			used += (size_t)snprintf(buf + used, len - used, __VA_ARGS__); \
	} while (0)
	if (p->has_ack)
		ADD(" ack %" PRIu32, p->ack);
	if (p->has_win)
		ADD(" win %" PRIu32, p->win);
	if (p->has_urg)
		ADD(" urg %" PRIu32, p->urg);
	if (p->opts_mode == SC_OPTS_ANY)
		ADD(" <...>");
	if (p->opts_mode == SC_OPTS_LIST) {
		ADD(" <");
		for (int i = 0; i < p->nopts && used < len; i++) {
			if (i)
				ADD(",");
			if (used < len)
				used += fmt_opt(&p->opts[i], buf + used, len - used);
		}
		ADD(">");
	}
#undef ADD
}

void sc_fmt_result(int64_t ret, int err, char *buf, size_t len)
{
	if (ret == -1 && err) {
		const char *name = sc_errno_name(err);
		if (name)
			snprintf(buf, len, "-1 %s (%s)", name, strerror(err));
		else
			snprintf(buf, len, "-1 errno %d (%s)", err, strerror(err));
		return;
	}
	snprintf(buf, len, "%" PRId64, ret);
}

void sc_fmt_time(int64_t us, char *buf, size_t len)
{
	const char *sign = us < 0 ? "-" : "";
	uint64_t a = (uint64_t)(us < 0 ? -us : us);
	snprintf(buf, len, "%s%" PRIu64 ".%06" PRIu64, sign, a / 1000000u, a % 1000000u);
}
