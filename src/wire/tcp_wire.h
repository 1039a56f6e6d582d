/*
 * tcp_wire.h: TCP header and options, parse and build (RFC 9293 §3.1,
 * §3.2). Pure functions over host-order structs: the state machine never sees
 * raw headers (STYLE.md rule 3).
 *
 * Options (RFC 9293 §3.2, MUST-4..7, MUST-64, MUST-68, MUST-69): EOL and NOP;
 * MSS (kind 2, len 4); window scale (3, len 3); SACK-permitted (4, len 2);
 * SACK (5, len 2+8n, n 1..4); timestamps (8, len 10). Unknown kinds are
 * skipped by their length. A length byte below 2, or one that runs past the
 * header, or a known option with the wrong length, makes the segment
 * malformed (dropped and counted; MUST-7/MUST-68 "be prepared to handle an
 * illegal option length without crashing").
 */
#ifndef SYNACK_WIRE_TCP_WIRE_H
#define SYNACK_WIRE_TCP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "synack/synack.h" /* enum synack_drop */

#define SN_TCP_HDR_LEN 20
#define SN_TCP_MAX_OPT_LEN 40

/* Flags in wire bit order. */
#define SN_TCP_FIN 0x01
#define SN_TCP_SYN 0x02
#define SN_TCP_RST 0x04
#define SN_TCP_PSH 0x08
#define SN_TCP_ACK 0x10
#define SN_TCP_URG 0x20
#define SN_TCP_ECE 0x40
#define SN_TCP_CWR 0x80

#define SN_TCP_SACK_MAX 4

struct sn_tcp_opts {
	unsigned has_mss : 1, has_wscale : 1, sack_ok : 1, has_ts : 1;
	uint16_t mss;
	uint8_t wscale;
	uint8_t nsack;             /* SACK blocks present */
	uint32_t ts_val, ts_ecr;
	struct {
		uint32_t left, right;
	} sack[SN_TCP_SACK_MAX];
};

/* A parsed or to-be-built segment. seq/ack/wnd in host order. */
struct sn_tcp_seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint8_t hdr_len;           /* bytes, 20..60 (parse: from data offset) */
	uint16_t wnd;              /* raw 16-bit field (unscaled) */
	uint16_t urp;
	struct sn_tcp_opts opts;
	const uint8_t *payload;    /* parse: points into the input buffer */
	uint32_t len;              /* payload bytes (not counting SYN/FIN) */
	uint8_t ecn;               /* input: the IP header's ECN field (SN_IP_ECN_*), set by the
	                            * stack, not by sn_tcp_parse */
};

/* Parse a TCP segment of len bytes carried in IPv4 from src to dst (host
 * order); verifies the checksum over the pseudo-header (MUST-2/MUST-3).
 * Returns 0, or a positive enum synack_drop reason. */
int sn_tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
		 struct sn_tcp_seg *seg);
/* Length of the options that sn_tcp_build would write for opts (multiple of 4). */
size_t sn_tcp_opts_len(const struct sn_tcp_opts *opts);
/* Write header + options for seg at buf (hdr_len is computed and stored in
 * seg), followed by nothing: the caller has already placed seg->len payload
 * bytes right after where the header ends, i.e. at buf + SN_TCP_HDR_LEN +
 * sn_tcp_opts_len(&seg->opts). Computes the checksum over header, options
 * and that payload with the IPv4 pseudo-header. Returns header length. */
size_t sn_tcp_build(uint8_t *buf, struct sn_tcp_seg *seg, uint32_t src, uint32_t dst);
/* Segment length for sequence space: payload + SYN + FIN (RFC 9293 §3.4). */
static inline uint32_t sn_tcp_seg_seqlen(const struct sn_tcp_seg *s)
{
	return s->len + ((s->flags & SN_TCP_SYN) ? 1u : 0u) + ((s->flags & SN_TCP_FIN) ? 1u : 0u);
}
/* "S.", "FP.", "R" ...: tcpdump-style flag letters into out (>= 9 bytes). */
const char *sn_tcp_flags_str(uint8_t flags, char *out);

#endif
