/*
 * ipv4.h: IPv4 header parse and build (RFC 791). Pure functions.
 *
 * Parse validates (version, header length, total length against the buffer,
 * header checksum) and returns host-order fields; options are skipped
 * (RFC 9293 MUST-50 lets TCP ignore them). Fragments are reported, and the
 * stack drops and counts them for now. A datagram longer than its total
 * length (link padding) is accepted and trimmed.
 */
#ifndef SYNACK_WIRE_IPV4_H
#define SYNACK_WIRE_IPV4_H

#include <stddef.h>
#include <stdint.h>

#include "synack/synack.h" /* enum synack_drop */

#define SN_IPV4_HDR_LEN 20
#define SN_IPPROTO_ICMP 1
#define SN_IPPROTO_TCP 6

#define SN_IPV4_DF 0x4000
#define SN_IPV4_MF 0x2000
#define SN_IPV4_OFFMASK 0x1fff

struct sn_ipv4 {
	uint8_t hdr_len;     /* bytes, 20..60 */
	uint8_t tos;
	uint16_t total_len;  /* header + payload */
	uint16_t id;
	uint16_t frag;       /* flags and fragment offset, as on the wire */
	uint8_t ttl;
	uint8_t proto;
	uint32_t src, dst;   /* host order */
};

/* Parse buf[0..len). On success returns 0 and fills *ip; the payload is
 * buf + ip->hdr_len, ip->total_len - ip->hdr_len bytes. On failure returns the
 * drop reason (a positive enum synack_drop value). */
int sn_ipv4_parse(const uint8_t *buf, size_t len, struct sn_ipv4 *ip);
/* Write a 20-byte header (no options) with its checksum. */
void sn_ipv4_build(uint8_t *buf, const struct sn_ipv4 *ip);
static inline int sn_ipv4_is_fragment(const struct sn_ipv4 *ip)
{
	return (ip->frag & (SN_IPV4_MF | SN_IPV4_OFFMASK)) != 0;
}

#endif
