/*
 * siphash.h: SipHash-2-4 (and -1-3), the keyed hash behind the 4-tuple table and the
 * initial sequence number function (RFC 9293 §3.4.1, MUST-8/SHLD-1), so that
 * an attacker cannot choose colliding tuples or predict ISNs.
 */
#ifndef SYNACK_BASE_SIPHASH_H
#define SYNACK_BASE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct sn_siphash_key {
	uint64_t k0, k1;
};

/* SipHash-2-4 of len bytes (matches the reference test vectors). */
uint64_t sn_siphash(const struct sn_siphash_key *key, const void *data, size_t len);
/* Fast path for a 4-tuple: SipHash-2-4 of the 12 bytes src,dst (4 each, host
 * order, little-endian bytes) then sport,dport (2 each): same as sn_siphash on
 * those 12 bytes. */
uint64_t sn_siphash_tuple(const struct sn_siphash_key *key, uint32_t saddr, uint32_t daddr,
			  uint16_t sport, uint16_t dport);

/* SipHash-1-3 (fewer rounds, same interface): the connection table's hash,
 * computed once per segment (stack/demux.c). */
uint64_t sn_siphash13(const struct sn_siphash_key *key, const void *data, size_t len);
uint64_t sn_siphash13_tuple(const struct sn_siphash_key *key, uint32_t saddr, uint32_t daddr,
			    uint16_t sport, uint16_t dport);

#endif
