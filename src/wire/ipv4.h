/*
 * ipv4.h: IPv4 header parse and build (RFC 791). Pure functions.
 *
 * Parse validates (version, header length, total length against the buffer,
 * header checksum) and returns host-order fields; options are skipped
 * (RFC 9293 MUST-50 lets TCP ignore them) except a source route, which
 * sn_ipv4_find_srr reads. Fragments are reported, and the
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

/* The ECN field, the low two bits of the TOS octet (RFC 3168 §5). */
#define SN_IP_ECN_MASK 0x03
#define SN_IP_ECN_NOT_ECT 0x00
#define SN_IP_ECN_ECT1 0x01
#define SN_IP_ECN_ECT0 0x02
#define SN_IP_ECN_CE 0x03

#define SN_IPV4_DF 0x4000
#define SN_IPV4_MF 0x2000
#define SN_IPV4_OFFMASK 0x1fff

struct sn_ipv4 {
	uint8_t hdr_len;     /* bytes, 20..60 */
	uint8_t tos;         /* DSCP << 2 | ECN field (SN_IP_ECN_*), both ways as on the wire */
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
/* Write the header with its checksum: 20 bytes, or ip->hdr_len when the
 * caller has put options at buf + 20 (padded to a multiple of 4). */
void sn_ipv4_build(uint8_t *buf, const struct sn_ipv4 *ip);

/* IP source route options (RFC 791 §3.1): type, length, pointer, then
 * addresses; the pointer is past the last address once the route is done. */
#define SN_IPOPT_LSRR 0x83
#define SN_IPOPT_SSRR 0x89
#define SN_IPV4_SRR_MAX 9 /* 40 octets of options */
struct sn_ipv4_srr {
	uint8_t strict;    /* SSRR */
	uint8_t completed; /* the pointer is past the last address: we are the destination */
	uint8_t n;         /* addresses in addr[] */
	uint32_t addr[SN_IPV4_SRR_MAX]; /* host order, as recorded on the way */
};
/* Look for a source route among the options of the header buf[0..hdr_len):
 * 0 none, 1 found (*r filled), -1 malformed options or source route. */
int sn_ipv4_find_srr(const uint8_t *buf, size_t hdr_len, struct sn_ipv4_srr *r);
/* Write the source route option for a datagram sent to gw[0] that visits
 * gw[1..n-1] and ends at dst: its addresses are gw[1..n-1], dst, pointer 4;
 * padded with EOL to a multiple of 4. Returns its length (0 if n is 0 or
 * more than SN_IPV4_SRR_MAX). */
size_t sn_ipv4_build_srr(uint8_t *buf, int strict, const uint32_t *gw, unsigned n, uint32_t dst);
static inline int sn_ipv4_is_fragment(const struct sn_ipv4 *ip)
{
	return (ip->frag & (SN_IPV4_MF | SN_IPV4_OFFMASK)) != 0;
}

#endif
