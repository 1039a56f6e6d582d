/*
 * script_run.c: runs a parsed script against one synack stack on a virtual
 * clock; this file owns the clock and the segments in and out.
 *
 * It uses synack's private wire headers (src/wire/ipv4.h, tcp_wire.h, csum.h) only to build the
 * peer's datagrams and to parse the stack's, like tests/tcp_fixture.h; the
 * stack itself is driven through the public API alone: synack_stack_input,
 * synack_stack_set_output, synack_stack_poll and next_deadline, and the
 * synack_sock_* calls (script_sys.c).
 *
 * Timing, as packetdrill: an event's time is absolute ("0.100"), relative to
 * the previous event's actual time ("+0.1"), any ("*"), or a range for a
 * blocking call ("0.1...0.2"). Before an inbound segment, a call, a sysctl
 * or an assert, the clock moves to the event's time running every timer due
 * on the way; any segment the stack sends meanwhile that no ">" line claims
 * fails the script. An outbound ">" line must be matched by the next segment
 * sent, at its time within the tolerance: max(--tolerance_usecs, 12.5% of
 * the gap since the previous event).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "script_run.h"
#include "wire/csum.h"
#include "wire/ipv4.h"
#include "wire/tcp_wire.h"

/* ---------------------------------------------------------------- failures */

void sc_fail(struct sc_runner *r, const struct sc_event *ev, const char *fmt, ...)
{
	va_list ap;
	char t[32];
	if (r->failed)
		return;
	r->failed = 1;
	sc_fmt_time(r->now, t, sizeof(t));
	fprintf(r->out, "%s:%d: FAIL at %s: ", r->sc->name, ev ? ev->line : 0, t);
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
	if (ev)
		fprintf(r->out, "  %-9s %s\n", "line:", ev->text);
}

void sc_fail_detail(struct sc_runner *r, const char *label, const char *fmt, ...)
{
	va_list ap;
	fprintf(r->out, "  %-9s ", label);
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
}

int64_t sc_tolerance(const struct sc_runner *r, int64_t gap)
{
	int64_t pct = gap > 0 ? gap / 8 : 0; /* 12.5% of the gap */
	return pct > r->o->tolerance_us ? pct : r->o->tolerance_us;
}

/* ---------------------------------------------------------------- capture */

static void capture(void *ctx, const uint8_t *pkt, size_t len)
{
	struct sc_runner *r = ctx;
	if (r->qn == SC_OUTQ || len > sizeof(r->q[0].buf)) {
		r->qlost++;
		return;
	}
	struct sc_outpkt *o = &r->q[(r->qhead + r->qn) % SC_OUTQ];
	memcpy(o->buf, pkt, len);
	o->len = len;
	o->t = r->now;
	r->qn++;
}

static struct sc_outpkt *q_pop(struct sc_runner *r)
{
	struct sc_outpkt *o = &r->q[r->qhead];
	r->qhead = (r->qhead + 1) % SC_OUTQ;
	r->qn--;
	return o;
}

int sc_ensure_stack(struct sc_runner *r, const struct sc_event *ev)
{
	if (r->st)
		return 0;
	int err = synack_stack_create(&r->cfg, &r->st);
	if (err) {
		sc_fail(r, ev, "synack_stack_create failed (%d): a sysctl set an invalid configuration", err);
		return -1;
	}
	synack_stack_set_output(r->st, capture, r);
	synack_stack_poll(r->st, (uint64_t)r->now);
	return 0;
}

/* ---------------------------------------------------------------- decode */

/* Options as written on the wire, in order (EOL ends the list). */
static int decode_opts(const uint8_t *o, size_t len, struct sc_packet *pk)
{
	size_t i = 0;
	pk->opts_mode = len ? SC_OPTS_LIST : SC_OPTS_NONE;
	while (i < len && pk->nopts < SC_MAX_OPTS) {
		struct sc_opt *op = &pk->opts[pk->nopts++];
		memset(op, 0, sizeof(*op));
		op->kind = o[i];
		if (o[i] == SC_OPT_EOL)
			return 0;
		if (o[i] == SC_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
			return -1;
		const uint8_t *v = o + i + 2;
		uint8_t olen = o[i + 1];
		if (op->kind == SC_OPT_MSS && olen == 4)
			op->v[0] = (uint32_t)v[0] << 8 | v[1];
		else if (op->kind == SC_OPT_WSCALE && olen == 3)
			op->v[0] = v[0];
		else if (op->kind == SC_OPT_TS && olen == 10) {
			op->v[0] = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
			op->v[1] = (uint32_t)v[4] << 24 | (uint32_t)v[5] << 16 | (uint32_t)v[6] << 8 | v[7];
		} else if (op->kind == SC_OPT_SACK && (olen - 2) % 8 == 0 && olen <= 2 + 8 * SC_MAX_SACK) {
			op->n = (uint8_t)((olen - 2) / 8);
			for (int b = 0; b < 2 * op->n; b++)
				op->v[b] = (uint32_t)v[4 * b] << 24 | (uint32_t)v[4 * b + 1] << 16 |
					   (uint32_t)v[4 * b + 2] << 8 | v[4 * b + 3];
		} else if (op->kind != SC_OPT_SACKOK || olen != 2) {
			op->n = olen; /* unknown kind or odd length: shown as optK(len N) */
			if (op->kind <= SC_OPT_TS)
				op->kind = 255;
		}
		i += olen;
	}
	return 0;
}

/* A datagram the stack sent, as the script would write it: our sequence
 * numbers and TS val relative, with the ports and addresses it used. */
static int decode_out(struct sc_runner *r, const struct sc_outpkt *op, struct sc_packet *pk,
		      struct sn_tcp_seg *seg, struct sn_ipv4 *ip)
{
	memset(pk, 0, sizeof(*pk));
	pk->dir = '>';
	if (sn_ipv4_parse(op->buf, op->len, ip) || ip->proto != SN_IPPROTO_TCP)
		return -1;
	const uint8_t *tcp = op->buf + ip->hdr_len;
	if (sn_tcp_parse(tcp, ip->total_len - ip->hdr_len, ip->src, ip->dst, seg))
		return -1;
	if (decode_opts(tcp + SN_TCP_HDR_LEN, seg->hdr_len - SN_TCP_HDR_LEN, pk))
		return -1;
	pk->flags = seg->flags;
	pk->seq = seg->seq - (r->have_isn ? r->isn_off : 0);
	pk->len = seg->len;
	pk->end = pk->seq + seg->len;
	pk->has_ack = (seg->flags & SN_TCP_ACK) != 0;
	pk->ack = seg->ack;
	pk->has_win = 1;
	pk->win = seg->wnd;
	pk->has_urg = (seg->flags & SN_TCP_URG) != 0;
	pk->urg = seg->urp;
	for (int i = 0; i < pk->nopts; i++)
		if (pk->opts[i].kind == SC_OPT_TS && r->have_ts)
			pk->opts[i].v[0] -= r->ts_off;
	return 0;
}

/* ---------------------------------------------------------------- clock */

static void report_unexpected(struct sc_runner *r, const struct sc_event *ev)
{
	struct sc_packet pk;
	struct sn_tcp_seg seg;
	struct sn_ipv4 ip;
	char b[512], t[32];
	struct sc_outpkt *op = q_pop(r);
	sc_fmt_time(op->t, t, sizeof(t));
	if (decode_out(r, op, &pk, &seg, &ip) == 0) {
		if ((pk.flags & SN_TCP_SYN) && !r->have_isn) {
			pk.seq = 0; /* our ISN is unknown until a ">" line names a SYN: show it as 0 */
			pk.end = pk.len;
		}
		sc_fmt_packet(&pk, b, sizeof(b));
	}
	else
		snprintf(b, sizeof(b), "(a datagram of %zu bytes that does not parse as TCP)", op->len);
	sc_fail(r, ev, "the stack sent a segment no script line expects (sent at %s, before this line)", t);
	sc_fail_detail(r, "actual:", "%s", b);
}

/* The next time anything can happen: a stack timer or a blocked poll's timeout. */
static int64_t next_wake(const struct sc_runner *r)
{
	uint64_t d = r->st ? synack_stack_next_deadline(r->st) : UINT64_MAX;
	int64_t w = d >= (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d;
	if (r->pend.active && r->pend.deadline < w)
		w = r->pend.deadline;
	return w;
}

static void poll_at(struct sc_runner *r, int64_t t)
{
	if (t > r->now)
		r->now = t;
	if (r->st)
		synack_stack_poll(r->st, (uint64_t)r->now);
	sc_pending_retry(r);
}

/* Moves the clock to `to`, running everything due on the way. With
 * stop_on_output, stops at the first segment sent (a ">" line is waiting for
 * it); without, a segment sent is unexpected and fails the script at ev. */
static void advance(struct sc_runner *r, int64_t to, int stop_on_output, const struct sc_event *ev)
{
	int spins = 0;
	while (!r->failed && !(stop_on_output && r->qn)) {
		if (r->qn && !stop_on_output) {
			report_unexpected(r, ev);
			return;
		}
		int64_t w = next_wake(r);
		if (w > to)
			break;
		if (w <= r->now && ++spins > 1000) {
			sc_fail(r, ev, "the stack's next deadline does not move past %" PRId64 " us", r->now);
			return;
		}
		poll_at(r, w);
	}
	if (r->failed || (stop_on_output && r->qn) || to == INT64_MAX)
		return;
	poll_at(r, to);
	if (r->qn && !stop_on_output)
		report_unexpected(r, ev);
}

/* ---------------------------------------------------------------- inbound */

static size_t encode_opts(struct sc_runner *r, const struct sc_packet *pk, uint8_t *o)
{
	size_t n = 0;
	for (int i = 0; i < pk->nopts; i++) {
		const struct sc_opt *op = &pk->opts[i];
		switch (op->kind) {
		case SC_OPT_EOL:
		case SC_OPT_NOP:
			o[n++] = op->kind;
			break;
		case SC_OPT_MSS:
			o[n++] = 2, o[n++] = 4, o[n++] = (uint8_t)(op->v[0] >> 8), o[n++] = (uint8_t)op->v[0];
			break;
		case SC_OPT_WSCALE:
			o[n++] = 3, o[n++] = 3, o[n++] = (uint8_t)op->v[0];
			break;
		case SC_OPT_SACKOK:
			o[n++] = 4, o[n++] = 2;
			break;
		case SC_OPT_SACK:
		case SC_OPT_TS: {
			uint32_t v[2 * SC_MAX_SACK];
			int nv = op->kind == SC_OPT_TS ? 2 : 2 * op->n;
			for (int k = 0; k < nv; k++)
				v[k] = op->v[k] + (op->kind == SC_OPT_SACK && r->have_isn ? r->isn_off : 0);
			if (op->kind == SC_OPT_TS && r->have_ts)
				v[1] += r->ts_off; /* ecr echoes our (mapped) clock */
			o[n++] = op->kind;
			o[n++] = (uint8_t)(2 + 4 * nv);
			for (int k = 0; k < nv; k++)
				for (int sh = 24; sh >= 0; sh -= 8)
					o[n++] = (uint8_t)(v[k] >> sh);
			break;
		}
		}
	}
	while (n % 4)
		o[n++] = 0; /* MUST-69: pad with zeros */
	return n;
}

static void inject(struct sc_runner *r, const struct sc_event *ev)
{
	const struct sc_packet *pk = &ev->u.pkt;
	uint8_t buf[SN_IPV4_HDR_LEN + 60 + 65535];
	uint8_t *tcp = buf + SN_IPV4_HDR_LEN;
	if (!r->have_lport) {
		sc_fail(r, ev, "an inbound segment, but no local port is known yet (bind, listen or connect first)");
		return;
	}
	size_t olen = encode_opts(r, pk, tcp + SN_TCP_HDR_LEN);
	size_t hlen = SN_TCP_HDR_LEN + olen;
	size_t tlen = hlen + pk->len;
	uint32_t ack = pk->ack + (r->have_isn ? r->isn_off : 0);
	uint16_t win = pk->has_win ? (uint16_t)pk->win : 65535;
	tcp[0] = (uint8_t)(r->rport >> 8), tcp[1] = (uint8_t)r->rport;
	tcp[2] = (uint8_t)(r->lport >> 8), tcp[3] = (uint8_t)r->lport;
	for (int i = 0; i < 4; i++) {
		tcp[4 + i] = (uint8_t)(pk->seq >> (24 - 8 * i));
		tcp[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	tcp[12] = (uint8_t)((hlen / 4) << 4);
	tcp[13] = pk->flags;
	tcp[14] = (uint8_t)(win >> 8), tcp[15] = (uint8_t)win;
	tcp[16] = tcp[17] = 0;
	tcp[18] = (uint8_t)(pk->urg >> 8), tcp[19] = (uint8_t)pk->urg;
	for (uint32_t i = 0; i < pk->len; i++)
		tcp[hlen + i] = (uint8_t)('a' + i % 26);
	uint64_t sum = sn_csum_pseudo4(SC_REMOTE_ADDR, SC_LOCAL_ADDR, SN_IPPROTO_TCP, (uint16_t)tlen);
	uint16_t ck = sn_csum_fold(sn_csum_add(sum, tcp, tlen));
	tcp[16] = (uint8_t)(ck >> 8), tcp[17] = (uint8_t)ck;
	struct sn_ipv4 ip = {.hdr_len = SN_IPV4_HDR_LEN, .total_len = (uint16_t)(SN_IPV4_HDR_LEN + tlen),
			     .ttl = 64, .proto = SN_IPPROTO_TCP, .src = SC_REMOTE_ADDR, .dst = SC_LOCAL_ADDR};
	sn_ipv4_build(buf, &ip);
	synack_stack_input(r->st, (uint64_t)r->now, buf, ip.total_len);
	sc_pending_retry(r);
}

/* ---------------------------------------------------------------- outbound */

static int opts_equal(struct sc_runner *r, const struct sc_packet *want, const struct sc_packet *got)
{
	if (want->opts_mode == SC_OPTS_ANY)
		return 1;
	if (want->opts_mode != got->opts_mode || want->nopts != got->nopts)
		return 0;
	for (int i = 0; i < want->nopts; i++) {
		const struct sc_opt *a = &want->opts[i], *b = &got->opts[i];
		if (a->kind != b->kind || a->n != b->n)
			return 0;
		int nv = a->kind == SC_OPT_SACK ? 2 * a->n : a->kind == SC_OPT_TS ? 2 : 1;
		for (int k = 0; k < nv; k++) {
			uint32_t wv = a->v[k]; /* our SACK blocks are in the peer's (absolute) space */
			if (a->kind == SC_OPT_TS && k == 0) {
				/* our clock: within the tolerance, in 1 ms ticks */
				int64_t d = (int64_t)(int32_t)(b->v[0] - wv);
				if (d < 0)
					d = -d;
				if (d > r->o->tolerance_us / 1000 + 1)
					return 0;
			} else if (wv != b->v[k]) {
				return 0;
			}
		}
	}
	return 1;
}

/* Learns the mappings a SYN or a first TS val sets, then compares. Fills
 * what with the fields that differ. */
static int packet_matches(struct sc_runner *r, const struct sc_packet *want, struct sc_packet *got,
			  const struct sn_tcp_seg *seg, char *what, size_t wlen)
{
	if (want->flags & SN_TCP_SYN) {
		r->isn_off = seg->seq - want->seq;
		r->have_isn = 1;
		got->seq = want->seq;
		got->end = got->seq + got->len;
	}
	for (int i = 0; i < want->nopts && want->opts_mode == SC_OPTS_LIST; i++)
		for (int k = 0; k < got->nopts; k++)
			if (want->opts[i].kind == SC_OPT_TS && got->opts[k].kind == SC_OPT_TS && !r->have_ts) {
				r->ts_off = got->opts[k].v[0] - want->opts[i].v[0];
				r->have_ts = 1;
				got->opts[k].v[0] = want->opts[i].v[0];
			}
	what[0] = '\0';
#define DIFF(cond, name)                                                           \
	do {                                                                       \
		if (cond)                                                          \
			snprintf(what + strlen(what), wlen - strlen(what), "%s%s", \
				 what[0] ? ", " : "", name);                       \
	} while (0)
	DIFF(want->flags != got->flags, "flags");
	DIFF(want->seq != got->seq, "sequence number");
	DIFF(want->len != got->len, "payload length");
	DIFF(want->has_ack && (!(got->flags & SN_TCP_ACK) || want->ack != got->ack), "ack");
	DIFF(want->has_win && want->win != got->win, "window");
	DIFF(want->has_urg && want->urg != got->urg, "urgent pointer");
	DIFF(!opts_equal(r, want, got), "options");
#undef DIFF
	return what[0] == '\0';
}

/* Checks ports and addresses; a SYN we send teaches us our port. */
static int check_endpoints(struct sc_runner *r, const struct sc_event *ev, const struct sn_tcp_seg *seg,
			   const struct sn_ipv4 *ip)
{
	if (!r->have_lport && (seg->flags & SN_TCP_SYN)) {
		r->lport = seg->sport;
		r->have_lport = 1;
	}
	if (ip->src != SC_LOCAL_ADDR || ip->dst != SC_REMOTE_ADDR || seg->dport != r->rport ||
	    (r->have_lport && seg->sport != r->lport)) {
		struct synack_endpoint s = {ip->src, seg->sport}, d = {ip->dst, seg->dport};
		char a[32], b[32];
		sc_fail(r, ev, "a segment for another connection: %s > %s (expected port %u > %u)",
			synack_endpoint_str(&s, a, sizeof(a)), synack_endpoint_str(&d, b, sizeof(b)),
			r->lport, r->rport);
		return -1;
	}
	return 0;
}

static void expect_out(struct sc_runner *r, const struct sc_event *ev, int64_t t)
{
	char want_s[512], got_s[512], what[128], ts[32], ta[32];
	int any = ev->time.kind == SC_TIME_ANY;
	int64_t tol = sc_tolerance(r, t - r->last_time);
	int64_t lo = any ? INT64_MIN : t - tol, hi = any ? INT64_MAX : t + tol;

	sc_fmt_packet(&ev->u.pkt, want_s, sizeof(want_s));
	if (!r->qn)
		advance(r, hi, 1, ev);
	if (r->failed)
		return;
	if (!r->qn) {
		sc_fmt_time(hi, ts, sizeof(ts));
		sc_fail(r, ev, "expected a segment, but the stack sent nothing by %s", ts);
		sc_fail_detail(r, "expected:", "%s", want_s);
		return;
	}
	struct sc_outpkt *op = q_pop(r);
	struct sc_packet got;
	struct sn_tcp_seg seg;
	struct sn_ipv4 ip;
	if (decode_out(r, op, &got, &seg, &ip)) {
		sc_fail(r, ev, "the stack sent a datagram that does not parse as TCP (%zu bytes)", op->len);
		return;
	}
	if (check_endpoints(r, ev, &seg, &ip))
		return;
	int ok = packet_matches(r, &ev->u.pkt, &got, &seg, what, sizeof(what));
	sc_fmt_packet(&got, got_s, sizeof(got_s));
	sc_fmt_time(op->t, ta, sizeof(ta));
	sc_fmt_time(t, ts, sizeof(ts));
	if (!ok) {
		sc_fail(r, ev, "the segment sent differs in %s", what);
		sc_fail_detail(r, "expected:", "%s", want_s);
		sc_fail_detail(r, "actual:", "%s  (at %s)", got_s, ta);
		return;
	}
	if (op->t < lo || op->t > hi) {
		sc_fail(r, ev, "the segment came at %s, expected at %s (+/- %.6f s)", ta, ts, (double)tol / 1e6);
		sc_fail_detail(r, "segment:", "%s", got_s);
		return;
	}
	r->last_time = op->t;
}

/* ---------------------------------------------------------------- events */

static int64_t event_time(const struct sc_runner *r, const struct sc_event *ev, int end)
{
	switch (ev->time.kind) {
	case SC_TIME_ABS:
		return ev->time.start_us;
	case SC_TIME_ABS_RANGE:
		return end ? ev->time.end_us : ev->time.start_us;
	case SC_TIME_REL:
		return r->last_time + ev->time.start_us;
	case SC_TIME_REL_RANGE:
		return r->last_time + (end ? ev->time.end_us : ev->time.start_us);
	case SC_TIME_ANY:
	default:
		return r->now;
	}
}

static void run_event(struct sc_runner *r, const struct sc_event *ev)
{
	int64_t t = event_time(r, ev, 0), end = event_time(r, ev, 1);
	int outbound = ev->kind == SC_EV_PACKET && ev->u.pkt.dir == '>';
	if (!outbound && t < r->now) {
		char a[32], b[32];
		if (r->now - t > sc_tolerance(r, 0)) {
			sc_fmt_time(t, a, sizeof(a));
			sc_fmt_time(r->now, b, sizeof(b));
			sc_fail(r, ev, "this event's time %s is before the current time %s", a, b);
			return;
		}
		t = r->now; /* an absolute time just behind a late segment */
	}
	if (outbound) {
		expect_out(r, ev, t);
		return;
	}
	advance(r, t, 0, ev);
	if (r->failed)
		return;
	switch (ev->kind) {
	case SC_EV_PACKET:
		if (sc_ensure_stack(r, ev) == 0)
			inject(r, ev);
		break;
	case SC_EV_SYSCALL:
		sc_syscall_begin(r, ev, t, end);
		break;
	case SC_EV_SYSCTL:
		sc_sysctl_run(r, ev);
		break;
	case SC_EV_ASSERT:
		sc_assert_run(r, ev);
		break;
	}
	r->last_time = t;
}

/* After the last event: nothing left unclaimed, no call still blocked. */
static void finish(struct sc_runner *r)
{
	const struct sc_event *last = &r->sc->events[r->sc->nevents - 1];
	if (r->qn) {
		report_unexpected(r, NULL);
		return;
	}
	if (r->pend.active) {
		const struct sc_pending *p = &r->pend;
		advance(r, p->end + sc_tolerance(r, p->end - p->start), 0, last);
		if (!r->failed && r->pend.active) {
			char t[32];
			sc_fmt_time(r->pend.end, t, sizeof(t));
			sc_fail(r, r->pend.ev, "the call was still blocked at the end of the script (expected to return at %s)", t);
		}
	}
	if (!r->failed && r->qlost)
		sc_fail(r, NULL, "%d segments were lost: more than %d queued unread", r->qlost, SC_OUTQ);
}

int sc_run(const struct sc_script *s, const struct sc_run_opts *o, FILE *out)
{
	struct sc_runner *r = calloc(1, sizeof(*r));
	if (!r)
		return 1;
	r->sc = s;
	r->o = o;
	r->out = out;
	synack_config_default(&r->cfg);
	r->cfg.addr = SC_LOCAL_ADDR;
	r->sut = -1;
	r->rport = SC_REMOTE_PORT;
	r->pend.deadline = INT64_MAX;
	for (int i = 0; i < s->nevents && !r->failed; i++) {
		if (o->verbose) {
			char t[32];
			sc_fmt_time(r->now, t, sizeof(t));
			fprintf(out, "%s:%d: [%s] %s\n", s->name, s->events[i].line, t, s->events[i].text);
		}
		run_event(r, &s->events[i]);
	}
	if (!r->failed)
		finish(r);
	int failed = r->failed;
	if (r->st)
		synack_stack_destroy(r->st);
	free(r);
	return failed ? 1 : 0;
}
