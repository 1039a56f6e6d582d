/*
 * pcap.h: a capture tap, a synack_link (link.h) decorator that writes every
 * datagram crossing it, both directions, to a classic pcap file (version
 * 2.4, microsecond timestamps, LINKTYPE_RAW: each record is one IPv4
 * datagram, whole). Readable by tcpdump, tshark and Wireshark.
 *
 * Wrapped around the outermost link a stack uses (outside the fault
 * injector, if any), it records exactly what the stack sent and what was
 * delivered to it. Timestamps are the loop's `now` moved to wall-clock time
 * by the offset between CLOCK_REALTIME and CLOCK_MONOTONIC taken at
 * creation. The file is written through a stdio buffer and complete once
 * the link is destroyed (synack_link_destroy, which also destroys the
 * inner link).
 *
 * Bound: at most max_bytes of file (0: SYNACK_PCAP_DEFAULT_MAX); datagrams
 * beyond it still pass, uncaptured, and are counted as skipped.
 */
#ifndef SYNACK_PCAP_H
#define SYNACK_PCAP_H

#include <stdint.h>

#include "synack/link.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SYNACK_PCAP_DEFAULT_MAX (1ull << 30) /* 1 GiB of capture */

/* Creates (truncates) path and wraps inner. 0, -EINVAL, -ENOMEM, or the
 * -errno of opening or writing the file's header. */
int synack_pcap_link_create(struct synack_link *inner, const char *path, uint64_t max_bytes,
			    struct synack_link **out);
/* Datagrams written to the file and skipped at the bound; -EINVAL if l is
 * not a capture tap. */
int synack_pcap_link_stats(const struct synack_link *l, uint64_t *written, uint64_t *skipped);

#ifdef __cplusplus
}
#endif

#endif
