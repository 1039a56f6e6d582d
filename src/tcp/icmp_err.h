/*
 * icmp_err.h: what the tcp layer does with an ICMP error that quotes one of
 * its segments (RFC 9293 §3.9.2.2, RFC 1122 4.2.3.9, RFC 1191, RFC 5927).
 * The stack's ICMP code (src/stack/icmp.c) validates the message and finds
 * the quoted header; this is the connection's side of it.
 */
#ifndef SYNACK_TCP_ICMP_ERR_H
#define SYNACK_TCP_ICMP_ERR_H

#include <stdint.h>

#include "synack/synack.h"

struct synack_stack;

#define SN_ICMP_UNREACH 3
#define SN_ICMP_TIME_EXCEEDED 11
#define SN_ICMP_PARAM_PROBLEM 12
#define SN_ICMP_UNREACH_PROTO 2
#define SN_ICMP_UNREACH_PORT 3
#define SN_ICMP_UNREACH_NEEDFRAG 4

/* The smallest path MTU we accept from fragmentation-needed (Linux's
 * ip_rt_min_pmtu): RFC 1191 §3 allows 68, but a forged message could then
 * shrink segments to 28 bytes (RFC 5927 §7.2). */
#define SN_PMTU_MIN 552

/* One ICMP error about the segment local -> remote with sequence number
 * seq. next_mtu is the fragmentation-needed MTU field (0 from an old
 * router), quoted_len the quoted datagram's total length. Returns 0 when
 * the connection acted on it, else the drop reason. */
int tcp_icmp_error(struct synack_stack *st, const struct synack_endpoint *local,
		   const struct synack_endpoint *remote, uint32_t seq, uint8_t type, uint8_t code,
		   uint16_t next_mtu, uint16_t quoted_len);

#endif
