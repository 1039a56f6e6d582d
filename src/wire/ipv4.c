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
 * Build writes the header we send, checksum filled in: 20 bytes, or more
 * when the caller put options (a source route) after it.
 *
 * Source routes (RFC 791 §3.1, LSRR and SSRR): find_srr walks the options
 * (bounds-checked, lengths validated as Linux's ip_options_compile does) and
 * returns the recorded route; build_srr writes one for an outgoing datagram.
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
	if (sn_csum_ip4_hdr(buf, hdr_len) != 0)
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
	size_t hl = ip->hdr_len > SN_IPV4_HDR_LEN ? ip->hdr_len : SN_IPV4_HDR_LEN;

	buf[0] = (uint8_t)(0x40 | hl / 4); /* version 4, IHL */
	buf[1] = ip->tos;
	put16(buf + 2, ip->total_len);
	put16(buf + 4, ip->id);
	put16(buf + 6, ip->frag);
	buf[8] = ip->ttl;
	buf[9] = ip->proto;
	put16(buf + 10, 0);
	put32(buf + 12, ip->src);
	put32(buf + 16, ip->dst);
	put16(buf + 10, sn_csum_ip4_hdr(buf, hl));
}

/* One LSRR/SSRR option at o[0..len): 1 and *r, or -1 if malformed. */
static int parse_srr(const uint8_t *o, size_t len, struct sn_ipv4_srr *r)
{
	size_t n = (len - 3) / 4;

	if (len < 3 || (len - 3) % 4 != 0 || n > SN_IPV4_SRR_MAX || o[2] < 4 || (o[2] - 4) % 4)
		return -1;
	r->strict = o[0] == SN_IPOPT_SSRR;
	r->completed = o[2] > len;
	r->n = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		r->addr[i] = get32(o + 3 + 4 * i);
	return 1;
}

int sn_ipv4_find_srr(const uint8_t *buf, size_t hdr_len, struct sn_ipv4_srr *r)
{
	size_t i = SN_IPV4_HDR_LEN;
	int found = 0;

	while (i < hdr_len) {
		uint8_t type = buf[i];
		if (type == 0) /* End of Option List */
			break;
		if (type == 1) { /* No Operation */
			i++;
			continue;
		}
		if (i + 1 >= hdr_len || buf[i + 1] < 2 || i + buf[i + 1] > hdr_len)
			return -1;
		if (type == SN_IPOPT_LSRR || type == SN_IPOPT_SSRR) {
			if (found || parse_srr(buf + i, buf[i + 1], r) < 0)
				return -1; /* two source routes: malformed (RFC 791) */
			found = 1;
		}
		i += buf[i + 1];
	}
	return found;
}

size_t sn_ipv4_build_srr(uint8_t *buf, int strict, const uint32_t *gw, unsigned n, uint32_t dst)
{
	size_t len = 3 + 4 * (size_t)n;

	if (n == 0 || n > SN_IPV4_SRR_MAX)
		return 0;
	buf[0] = strict ? SN_IPOPT_SSRR : SN_IPOPT_LSRR;
	buf[1] = (uint8_t)len;
	buf[2] = 4;
	for (unsigned i = 1; i < n; i++)
		put32(buf + 3 + 4 * (i - 1), gw[i]);
	put32(buf + 3 + 4 * (n - 1), dst);
	while (len % 4)
		buf[len++] = 0; /* EOL */
	return len;
}
