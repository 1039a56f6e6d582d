/*
 * tcp_wire.c: TCP header and options, parse and build (RFC 9293 §3.1, §3.2).
 *
 * Parse turns untrusted bytes into a host-order struct sn_tcp_seg. It reads
 * only inside buf[0..len) and checks, in Linux's order: the fixed header fits
 * (TCP_TRUNCATED), the data offset is 5..len/4 (TCP_HDR_LEN), the checksum
 * over the pseudo-header (MUST-2/MUST-3, TCP_CHECKSUM), then the options
 * (TCP_OPTION). The header fields are filled in before the options are read,
 * so a caller can still trace a segment dropped for a bad option.
 *
 * Options are read one at a time at any byte offset (MUST-64): EOL ends the
 * list, NOP is skipped, every other kind must carry a length byte of at least
 * 2 that stays inside the header (MUST-68, MUST-7), known kinds must have
 * their exact length, and unknown kinds are skipped by length (MUST-6). The
 * parser reports what it saw; whether an option counts in this segment (MSS,
 * window scale and SACK-permitted only on a SYN) is the TCP layer's call.
 * A window scale above 14 is read as 14 (RFC 7323 §2.3).
 *
 * Build writes what opts asks for, in Linux's order and alignment, so our
 * SYNs look like the kernel's in a capture:
 *   MSS | sackOK,TS (or NOP,NOP,TS or NOP,NOP,sackOK) | NOP,wscale |
 *   NOP,NOP,SACK blocks
 * Every block is a multiple of 4 bytes. SACK blocks that would not fit in
 * the 40 bytes of option space are left out (most recent first is the
 * caller's order, RFC 2018 §4), and seg->opts.nsack says how many went out.
 */
#include "wire/tcp_wire.h"

#include <string.h>

#include "wire/bytes.h"
#include "wire/csum.h"
#include "wire/ipv4.h"

enum {
	OPT_EOL = 0,
	OPT_NOP = 1,
	OPT_MSS = 2,         /* len 4 */
	OPT_WSCALE = 3,      /* len 3, RFC 7323 §2 */
	OPT_SACK_OK = 4,     /* len 2, RFC 2018 §2 */
	OPT_SACK = 5,        /* len 2 + 8n, RFC 2018 §3 */
	OPT_TS = 8,          /* len 10, RFC 7323 §3 */
	WSCALE_MAX = 14,     /* RFC 7323 §2.3 */
};

/* ---------------------------------------------------------------- parse */

/* One option with a length byte: opt[0] is the kind, opt[1] == olen, and
 * opt[0..olen) lies inside the header. 0, or -1 for a wrong length. */
static int parse_one(const uint8_t *opt, size_t olen, struct sn_tcp_opts *o)
{
	switch (opt[0]) {
	case OPT_MSS:
		if (olen != 4)
			return -1;
		o->has_mss = 1;
		o->mss = get16(opt + 2);
		return 0;
	case OPT_WSCALE:
		if (olen != 3)
			return -1;
		o->has_wscale = 1;
		o->wscale = opt[2] > WSCALE_MAX ? WSCALE_MAX : opt[2];
		return 0;
	case OPT_SACK_OK:
		if (olen != 2)
			return -1;
		o->sack_ok = 1;
		return 0;
	case OPT_TS:
		if (olen != 10)
			return -1;
		o->has_ts = 1;
		o->ts_val = get32(opt + 2);
		o->ts_ecr = get32(opt + 6);
		return 0;
	case OPT_SACK:
		if (olen < 10 || (olen - 2) % 8 != 0 || (olen - 2) / 8 > SN_TCP_SACK_MAX)
			return -1;
		o->nsack = (uint8_t)((olen - 2) / 8);
		for (size_t i = 0; i < o->nsack; i++) {
			o->sack[i].left = get32(opt + 2 + 8 * i);
			o->sack[i].right = get32(opt + 6 + 8 * i);
		}
		return 0;
	default:
		return 0; /* MUST-6: unknown, skipped by its length */
	}
}

/* The option list p[0..n). 0, or SYNACK_DROP_TCP_OPTION. */
static int parse_opts(const uint8_t *p, size_t n, struct sn_tcp_opts *o)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	if (n == 12 && p[0] == OPT_NOP && p[1] == OPT_NOP && p[2] == OPT_TS && p[3] == 10) {
		/* the layout nearly every segment of a timestamped connection
		 * carries (RFC 7323 Appendix A): read it without the loop */
		o->has_ts = 1;
		o->ts_val = get32(p + 4);
		o->ts_ecr = get32(p + 8);
		return 0;
	}
	while (i < n) {
		size_t olen;

		if (p[i] == OPT_EOL)
			break;
		if (p[i] == OPT_NOP) {
			i++;
			continue;
		}
		if (n - i < 2) /* no room for the length byte */
			return SYNACK_DROP_TCP_OPTION;
		olen = p[i + 1];
		if (olen < 2 || olen > n - i)
			return SYNACK_DROP_TCP_OPTION;
		if (parse_one(p + i, olen, o))
			return SYNACK_DROP_TCP_OPTION;
		i += olen;
	}
	return 0;
}

static void parse_fixed(const uint8_t *buf, size_t len, size_t hdr_len,
			struct sn_tcp_seg *seg)
{
	seg->sport = get16(buf);
	seg->dport = get16(buf + 2);
	seg->seq = get32(buf + 4);
	seg->ack = get32(buf + 8);
	seg->hdr_len = (uint8_t)hdr_len;
	seg->flags = buf[13];
	seg->wnd = get16(buf + 14);
	seg->urp = get16(buf + 18);
	seg->payload = buf + hdr_len;
	seg->len = (uint32_t)(len - hdr_len);
}

int sn_tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
		 struct sn_tcp_seg *seg)
{
	size_t hdr_len;

	if (len < SN_TCP_HDR_LEN)
		return SYNACK_DROP_TCP_TRUNCATED;
	hdr_len = (size_t)(buf[12] >> 4) * 4;
	if (hdr_len < SN_TCP_HDR_LEN || hdr_len > len)
		return SYNACK_DROP_TCP_HDR_LEN;
	/* The pseudo-header carries a 16-bit TCP length; a longer segment
	 * cannot come out of IPv4 and has no checksum we could verify. */
	if (len > 0xffff)
		return SYNACK_DROP_TCP_CHECKSUM;
	if (sn_csum_tcp4(src, dst, buf, len) != 0)
		return SYNACK_DROP_TCP_CHECKSUM;
	parse_fixed(buf, len, hdr_len, seg);
	return parse_opts(buf + SN_TCP_HDR_LEN, hdr_len - SN_TCP_HDR_LEN, &seg->opts);
}

/* ---------------------------------------------------------------- build */

/* Bytes of everything but the SACK blocks. */
static size_t base_opts_len(const struct sn_tcp_opts *o)
{
	size_t n = 0;

	if (o->has_mss)
		n += 4;
	if (o->has_ts)
		n += 12; /* sackOK,TS or NOP,NOP,TS */
	else if (o->sack_ok)
		n += 4;  /* NOP,NOP,sackOK */
	if (o->has_wscale)
		n += 4;  /* NOP,wscale */
	return n;
}

/* How many of the requested SACK blocks fit after base bytes. */
static size_t sack_fit(const struct sn_tcp_opts *o, size_t base)
{
	size_t n = o->nsack > SN_TCP_SACK_MAX ? SN_TCP_SACK_MAX : o->nsack;

	while (n > 0 && base + 4 + 8 * n > SN_TCP_MAX_OPT_LEN)
		n--;
	return n;
}

size_t sn_tcp_opts_len(const struct sn_tcp_opts *opts)
{
	size_t base = base_opts_len(opts);
	size_t nsack = sack_fit(opts, base);

	return base + (nsack ? 4 + 8 * nsack : 0);
}

static uint8_t *put_bytes4(uint8_t *p, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	p[0] = a;
	p[1] = b;
	p[2] = c;
	p[3] = d;
	return p + 4;
}

/* MSS, sackOK/TS and wscale, in Linux's layout. Returns the end. */
static uint8_t *build_base(uint8_t *p, const struct sn_tcp_opts *o)
{
	if (o->has_mss) {
		p = put_bytes4(p, OPT_MSS, 4, 0, 0);
		put16(p - 2, o->mss);
	}
	if (o->has_ts) {
		if (o->sack_ok)
			p = put_bytes4(p, OPT_SACK_OK, 2, OPT_TS, 10);
		else
			p = put_bytes4(p, OPT_NOP, OPT_NOP, OPT_TS, 10);
		put32(p, o->ts_val);
		put32(p + 4, o->ts_ecr);
		p += 8;
	} else if (o->sack_ok) {
		p = put_bytes4(p, OPT_NOP, OPT_NOP, OPT_SACK_OK, 2);
	}
	if (o->has_wscale)
		p = put_bytes4(p, OPT_NOP, OPT_WSCALE, 3, o->wscale);
	return p;
}

/* Writes the options at p; trims o->nsack to the blocks written. */
static size_t build_opts(uint8_t *p, struct sn_tcp_opts *o)
{
	uint8_t *end = build_base(p, o);
	size_t nsack = sack_fit(o, (size_t)(end - p));

	if (nsack) {
		end = put_bytes4(end, OPT_NOP, OPT_NOP, OPT_SACK, (uint8_t)(2 + 8 * nsack));
		for (size_t i = 0; i < nsack; i++) {
			put32(end, o->sack[i].left);
			put32(end + 4, o->sack[i].right);
			end += 8;
		}
	}
	o->nsack = (uint8_t)nsack;
	/* Every block above is whole words; should one ever not be, pad with
	 * zeros (EOL), as MUST-69 asks. */
	while ((end - p) % 4 != 0)
		*end++ = OPT_EOL;
	return (size_t)(end - p);
}

size_t sn_tcp_build(uint8_t *buf, struct sn_tcp_seg *seg, uint32_t src, uint32_t dst)
{
	size_t hdr_len = SN_TCP_HDR_LEN + build_opts(buf + SN_TCP_HDR_LEN, &seg->opts);
	size_t seg_len = hdr_len + seg->len;

	seg->hdr_len = (uint8_t)hdr_len;
	put16(buf, seg->sport);
	put16(buf + 2, seg->dport);
	put32(buf + 4, seg->seq);
	put32(buf + 8, seg->ack);
	buf[12] = (uint8_t)(hdr_len / 4 << 4);
	buf[13] = seg->flags;
	put16(buf + 14, seg->wnd);
	put16(buf + 16, 0);
	put16(buf + 18, seg->urp);
	/* MUST-2: header, options and payload, with the pseudo-header. */
	put16(buf + 16, sn_csum_tcp4(src, dst, buf, seg_len));
	return hdr_len;
}

/* ---------------------------------------------------------------- print */

const char *sn_tcp_flags_str(uint8_t flags, char *out)
{
	static const struct {
		uint8_t bit;
		char letter;
	} order[] = {
		{SN_TCP_FIN, 'F'}, {SN_TCP_SYN, 'S'}, {SN_TCP_RST, 'R'}, {SN_TCP_PSH, 'P'},
		{SN_TCP_URG, 'U'}, {SN_TCP_ECE, 'E'}, {SN_TCP_CWR, 'W'}, {SN_TCP_ACK, '.'},
	};
	char *p = out;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (flags & order[i].bit)
			*p++ = order[i].letter;
	if (p == out)
		return strcpy(out, "none");
	*p = '\0';
	return out;
}
