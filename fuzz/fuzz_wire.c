/*
 * fuzz_wire.c: libFuzzer target for the wire layer (IPv4 and TCP parse, TCP
 * build).
 *
 * Every input is tried three ways, since random bytes almost never carry a
 * valid checksum and would otherwise stop at the first check:
 *   1. as received: sn_ipv4_parse, then sn_tcp_parse on its payload;
 *   2. as a datagram whose IPv4 and TCP checksums we fix first, so the
 *      length and option checks behind them get exercised;
 *   3. as a bare TCP segment with its checksum fixed.
 * Parses run on exact-size heap copies so ASan flags any read past len.
 * When a TCP parse succeeds the segment is rebuilt with sn_tcp_build and
 * parsed again; any field that does not survive the round trip, or a second
 * build that differs byte for byte from the first, aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/csum.h"
#include "wire/ipv4.h"
#include "wire/tcp_wire.h"

#define BARE_SRC 0xc0a80001u
#define BARE_DST 0xc0a800c7u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static uint8_t *dup_bytes(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);

	check(p != NULL);
	if (size)
		memcpy(p, data, size);
	return p;
}

static void put_csum(uint8_t *field, uint16_t c)
{
	field[0] = (uint8_t)(c >> 8);
	field[1] = (uint8_t)c;
}

/* Header fields, payload and options must match; b may carry fewer SACK
 * blocks than a when a's did not all fit (the builder trims them). */
static void check_same(const struct sn_tcp_seg *a, const struct sn_tcp_seg *b)
{
	const struct sn_tcp_opts *x = &a->opts, *y = &b->opts;

	check(a->sport == b->sport && a->dport == b->dport && a->seq == b->seq &&
	      a->ack == b->ack && a->flags == b->flags && a->wnd == b->wnd &&
	      a->urp == b->urp && a->len == b->len);
	check(a->len == 0 || memcmp(a->payload, b->payload, a->len) == 0);
	check(x->has_mss == y->has_mss && x->has_wscale == y->has_wscale &&
	      x->sack_ok == y->sack_ok && x->has_ts == y->has_ts);
	check(x->mss == y->mss && x->wscale == y->wscale);
	check(!x->has_ts || (x->ts_val == y->ts_val && x->ts_ecr == y->ts_ecr));
	check(y->nsack <= x->nsack);
	for (unsigned i = 0; i < y->nsack; i++)
		check(x->sack[i].left == y->sack[i].left && x->sack[i].right == y->sack[i].right);
}

/* Build seg into a fresh exact-size buffer (payload placed first). */
static uint8_t *build(struct sn_tcp_seg *seg, const uint8_t *payload, uint32_t src,
		      uint32_t dst, size_t *len)
{
	size_t olen = sn_tcp_opts_len(&seg->opts);
	uint8_t *buf = malloc(SN_TCP_HDR_LEN + olen + seg->len);

	check(buf != NULL && olen % 4 == 0 && olen <= SN_TCP_MAX_OPT_LEN);
	if (seg->len)
		memcpy(buf + SN_TCP_HDR_LEN + olen, payload, seg->len);
	check(sn_tcp_build(buf, seg, src, dst) == SN_TCP_HDR_LEN + olen);
	check(seg->hdr_len == SN_TCP_HDR_LEN + olen);
	*len = SN_TCP_HDR_LEN + olen + seg->len;
	return buf;
}

/* parse(build(seg)) == seg, and build(parse(build(seg))) == build(seg). */
static void round_trip(const struct sn_tcp_seg *seg, uint32_t src, uint32_t dst)
{
	struct sn_tcp_seg in = *seg, out, again;
	size_t len, len2;
	uint8_t *buf = build(&in, seg->payload, src, dst, &len);
	uint8_t *buf2;
	char flags[9];

	check_same(seg, &in);
	check(sn_tcp_parse(buf, len, src, dst, &out) == 0);
	check_same(&in, &out);
	check(out.opts.nsack == in.opts.nsack && out.hdr_len == in.hdr_len);
	again = out;
	buf2 = build(&again, out.payload, src, dst, &len2);
	check(len2 == len && memcmp(buf, buf2, len) == 0);
	check(strlen(sn_tcp_flags_str(out.flags, flags)) < sizeof(flags));
	free(buf2);
	free(buf);
}

static void try_tcp(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst)
{
	uint8_t *copy = dup_bytes(buf, len);
	struct sn_tcp_seg seg;

	if (sn_tcp_parse(copy, len, src, dst, &seg) == 0) {
		check(seg.hdr_len >= SN_TCP_HDR_LEN && seg.hdr_len <= len);
		check(seg.payload == copy + seg.hdr_len && seg.hdr_len + seg.len == len);
		round_trip(&seg, src, dst);
	}
	free(copy);
}

static void try_ipv4(const uint8_t *buf, size_t len)
{
	uint8_t *copy = dup_bytes(buf, len);
	struct sn_ipv4 ip;

	if (sn_ipv4_parse(copy, len, &ip) == 0) {
		check(ip.hdr_len >= SN_IPV4_HDR_LEN && ip.hdr_len <= ip.total_len &&
		      ip.total_len <= len);
		if (ip.proto == SN_IPPROTO_TCP)
			try_tcp(copy + ip.hdr_len, ip.total_len - ip.hdr_len, ip.src, ip.dst);
	}
	free(copy);
}

/* Make the IPv4 header and TCP checksums of a copy right, where the
 * lengths allow, and try it. */
static void try_ipv4_fixed(const uint8_t *data, size_t size)
{
	uint8_t *p;
	size_t hl, tl;

	if (size < SN_IPV4_HDR_LEN)
		return;
	hl = (size_t)(data[0] & 0x0f) * 4;
	tl = (size_t)data[2] << 8 | data[3];
	if (hl < SN_IPV4_HDR_LEN || hl > size)
		return;
	p = dup_bytes(data, size);
	if (p[9] == SN_IPPROTO_TCP && tl >= hl + 18 && tl <= size) {
		uint32_t src = (uint32_t)p[12] << 24 | (uint32_t)p[13] << 16 | p[14] << 8 | p[15];
		uint32_t dst = (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 | p[18] << 8 | p[19];

		put_csum(p + hl + 16, 0);
		put_csum(p + hl + 16, sn_csum_fold(sn_csum_add(
			sn_csum_pseudo4(src, dst, SN_IPPROTO_TCP, (uint16_t)(tl - hl)),
			p + hl, tl - hl)));
	}
	put_csum(p + 10, 0);
	put_csum(p + 10, sn_csum_fold(sn_csum_add(0, p, hl)));
	try_ipv4(p, size);
	free(p);
}

/* The whole input as a TCP segment with a right checksum. */
static void try_tcp_fixed(const uint8_t *data, size_t size)
{
	uint8_t *p;

	if (size < 18 || size > 0xffff)
		return;
	p = dup_bytes(data, size);
	put_csum(p + 16, 0);
	put_csum(p + 16, sn_csum_fold(sn_csum_add(
		sn_csum_pseudo4(BARE_SRC, BARE_DST, SN_IPPROTO_TCP, (uint16_t)size), p, size)));
	try_tcp(p, size, BARE_SRC, BARE_DST);
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try_ipv4(data, size);
	try_ipv4_fixed(data, size);
	try_tcp_fixed(data, size);
	return 0;
}
