/*
 * csum.h: the Internet checksum (RFC 1071), with a 64-bit accumulator so the
 * compiler can go wide, and the TCP pseudo-header (RFC 9293 §3.1, MUST-2/3).
 */
#ifndef SYNACK_WIRE_CSUM_H
#define SYNACK_WIRE_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add len bytes (network order, as 16-bit big-endian words; an odd last byte
 * is padded with zero) into a running sum. Sums of several buffers chain only
 * if every buffer but the last has even length. */
uint64_t sn_csum_add(uint64_t sum, const void *data, size_t len);
/* Fold to 16 bits and complement: the value to put in a header, or 0 when
 * verifying a buffer that includes its checksum field. */
uint16_t sn_csum_fold(uint64_t sum);
/* The TCP/UDP pseudo-header sum for IPv4 (addresses in host order). */
uint64_t sn_csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* Whole checksums, each one call (never inlined: the cost is the sum, and a
 * function of its own is what the benchmarks leave out by name):
 * sn_csum_ip4_hdr is sn_csum_fold(sn_csum_add(0, hdr, len)) and
 * sn_csum_tcp4 is sn_csum_fold(sn_csum_add(sn_csum_pseudo4(src, dst,
 * IPPROTO_TCP, len), seg, len)). 0 when verifying a buffer that carries
 * its checksum; the value to store when its field is zero. */
uint16_t sn_csum_ip4_hdr(const void *hdr, size_t len);
uint16_t sn_csum_tcp4(uint32_t src, uint32_t dst, const void *seg, size_t len);

#endif
