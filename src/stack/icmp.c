/*
 * icmp.c: ICMP for a host (RFC 792, RFC 1122 3.2.2).
 *
 * Inbound ICMP reaches here from synack_stack_input() once the IPv4 header
 * is valid, the datagram is addressed to this stack (not broadcast or
 * multicast, MUST-57: RFC 1122 3.2.2.6 lets a host ignore echo requests to
 * those) and its source is sane. Then:
 *   - the ICMP checksum is verified over the whole message (RFC 792);
 *   - Echo Request is answered with an Echo Reply carrying the same
 *     identifier, sequence number and data (RFC 1122 3.2.2.6 MUST), from
 *     our address to the requester;
 *   - Destination Unreachable, Time Exceeded and Parameter Problem quote
 *     the IPv4 header and at least 8 octets of the datagram that caused
 *     them (RFC 792; RFC 1122 3.2.2 MUST-54 wants the error passed to the
 *     transport): if that datagram was one of our TCP segments, the ports
 *     and sequence number go to tcp_icmp_error() (src/tcp/icmp_err.c);
 *   - Source Quench is discarded (RFC 9293 MUST-55), like every other type.
 * Nothing here ever sends an ICMP error (a host with only TCP has none to
 * send: a TCP segment for no connection is answered with RST). Every
 * message not acted on is a counted drop.
 */
#include <string.h>

#include "stack/stack.h"
#include "tcp/icmp_err.h"
#include "wire/csum.h"
#include "wire/ipv4.h"

#define ICMP_ECHO_REPLY 0
#define ICMP_SOURCE_QUENCH 4
#define ICMP_ECHO 8
#define ICMP_HDR_LEN 8

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Echo Reply: the request's body back, from us to its source. */
static int echo_reply(struct synack_stack *st, const struct sn_ipv4 *ip, const uint8_t *msg,
		      size_t len)
{
	if (len > st->txcap - SN_IPV4_HDR_LEN)
		return SYNACK_DROP_ICMP_TRUNCATED;
	uint8_t *icmp = st->txbuf + SN_IPV4_HDR_LEN;
	memcpy(icmp, msg, len);
	icmp[0] = ICMP_ECHO_REPLY;
	icmp[1] = 0;
	icmp[2] = icmp[3] = 0;
	uint16_t sum = sn_csum_fold(sn_csum_add(0, icmp, len));
	icmp[2] = (uint8_t)(sum >> 8);
	icmp[3] = (uint8_t)sum;
	struct sn_ipv4 out = {
		.hdr_len = SN_IPV4_HDR_LEN,
		.total_len = (uint16_t)(SN_IPV4_HDR_LEN + len),
		.tos = ip->tos, /* RFC 1122 3.2.2.6: the reply may echo the TOS */
		.ttl = 64,
		.proto = SN_IPPROTO_ICMP,
		.src = st->cfg.addr,
		.dst = ip->src,
	};
	sn_ipv4_build(st->txbuf, &out);
	st->ctr.icmp_out++;
	st->ctr.icmp_echo_replies++;
	sn_emit_datagram(st, st->txbuf, out.total_len);
	return 0;
}

/* An error message: find the quoted TCP segment of ours, hand it on. */
static int error_message(struct synack_stack *st, const uint8_t *msg, size_t len)
{
	const uint8_t *q = msg + ICMP_HDR_LEN; /* the quoted datagram */
	size_t qlen = len - ICMP_HDR_LEN;

	if (qlen < SN_IPV4_HDR_LEN || (q[0] >> 4) != 4)
		return SYNACK_DROP_ICMP_TRUNCATED;
	size_t ihl = (size_t)(q[0] & 0x0f) * 4;
	if (ihl < SN_IPV4_HDR_LEN || qlen < ihl + 8)
		return SYNACK_DROP_ICMP_TRUNCATED; /* RFC 792: header + 64 bits of data */
	if (q[9] != SN_IPPROTO_TCP || get32(q + 12) != st->cfg.addr)
		return SYNACK_DROP_ICMP_NO_CONN;
	const uint8_t *th = q + ihl;
	struct synack_endpoint local = {get32(q + 12), get16(th)};
	struct synack_endpoint remote = {get32(q + 16), get16(th + 2)};
	return tcp_icmp_error(st, &local, &remote, get32(th + 4), msg[0], msg[1],
			      get16(msg + 6), get16(q + 2));
}

void sn_icmp_input(struct synack_stack *st, const struct sn_ipv4 *ip, const uint8_t *msg, size_t len)
{
	int why;

	if (len < ICMP_HDR_LEN) {
		why = SYNACK_DROP_ICMP_TRUNCATED;
		goto drop;
	}
	if (sn_csum_fold(sn_csum_add(0, msg, len)) != 0) {
		why = SYNACK_DROP_ICMP_CHECKSUM;
		goto drop;
	}
	st->ctr.icmp_in++;
	switch (msg[0]) {
	case ICMP_ECHO:
		why = msg[1] == 0 ? echo_reply(st, ip, msg, len) : SYNACK_DROP_ICMP_IGNORED;
		break;
	case SN_ICMP_UNREACH:
	case SN_ICMP_TIME_EXCEEDED:
	case SN_ICMP_PARAM_PROBLEM:
		why = error_message(st, msg, len);
		break;
	case ICMP_SOURCE_QUENCH: /* MUST-55: silently discard */
	default:
		why = SYNACK_DROP_ICMP_IGNORED;
		break;
	}
	if (!why)
		return;
drop:
	sn_count_drop(st, (enum synack_drop)why, NULL, ip->src, ip->dst);
}
