/*
 * ipv4.c: IPv4 header parse and build (RFC 791 §3.1).
 *
 * Parse is the first thing every inbound datagram meets, so it trusts
 * nothing: it reads only inside buf[0..len), checks the fields in the order
 * Linux's ip_rcv does (size, version, IHL, header checksum, total length) and
 * names the first thing wrong as an enum synack_drop reason. Options are
 * skipped (RFC 9293 MUST-50 lets TCP ignore them). Link-layer padding past
 * total_len is allowed; the caller trims to total_len.
 *
 * Build writes the 20-byte header we send: no options, checksum filled in.
 */
#include "wire/ipv4.h"

#include "wire/csum.h"
#include "wire/bytes.h"

/* Checks that the header and total length fit the buffer; 0 or a reason. */
static int check_lengths(const uint8_t *buf, size_t len)
{
	size_t hdr_len, total_len;

	if (len < SN_IPV4_HDR_LEN)
		return SYNACK_DROP_IP_TRUNCATED;
	if (buf[0] >> 4 != 4)
		return SYNACK_DROP_IP_VERSION;
	hdr_len = (size_t)(buf[0] & 0x0f) * 4;
	if (hdr_len < SN_IPV4_HDR_LEN || hdr_len > len)
		return SYNACK_DROP_IP_HDR_LEN;
	/* RFC 1071: the sum over a header that includes its checksum is 0. */
	if (sn_csum_fold(sn_csum_add(0, buf, hdr_len)) != 0)
		return SYNACK_DROP_IP_CHECKSUM;
	total_len = get16(buf + 2);
	if (total_len > len)
		return SYNACK_DROP_IP_TRUNCATED;
	if (total_len < hdr_len)
		return SYNACK_DROP_IP_HDR_LEN;
	return 0;
}

int sn_ipv4_parse(const uint8_t *buf, size_t len, struct sn_ipv4 *ip)
{
	int err = check_lengths(buf, len);

	if (err)
		return err;
	ip->hdr_len = (uint8_t)((buf[0] & 0x0f) * 4);
	ip->tos = buf[1];
	ip->total_len = get16(buf + 2);
	ip->id = get16(buf + 4);
	ip->frag = get16(buf + 6);
	ip->ttl = buf[8];
	ip->proto = buf[9];
	ip->src = get32(buf + 12);
	ip->dst = get32(buf + 16);
	return 0;
}

void sn_ipv4_build(uint8_t *buf, const struct sn_ipv4 *ip)
{
	buf[0] = 0x45; /* version 4, IHL 5: we send no options */
	buf[1] = ip->tos;
	put16(buf + 2, ip->total_len);
	put16(buf + 4, ip->id);
	put16(buf + 6, ip->frag);
	buf[8] = ip->ttl;
	buf[9] = ip->proto;
	put16(buf + 10, 0);
	put32(buf + 12, ip->src);
	put32(buf + 16, ip->dst);
	put16(buf + 10, sn_csum_fold(sn_csum_add(0, buf, SN_IPV4_HDR_LEN)));
}
