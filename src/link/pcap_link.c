/*
 * pcap_link.c: the capture tap (include/synack/pcap.h), a link decorator.
 *
 * recv and send pass straight through to the inner link; each datagram
 * that crossed (one the inner link returned, one the stack handed over,
 * whether or not the inner link then took it) becomes one pcap record:
 * a 16-byte header (seconds, microseconds, captured length, original
 * length, in host byte order as the file's magic number says) and the
 * datagram. fd, deadline and poll are the inner link's. The decorator's
 * own stats count what crossed it, like the fault injector's.
 *
 * Invariant: written + skipped = every datagram that crossed; the file
 * never grows past max_bytes (a record that would cross it is skipped, and
 * so is every later one, so the capture is a prefix of the run).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "synack/pcap.h"

#define PCAP_MAGIC 0xa1b2c3d4u   /* microsecond timestamps */
#define PCAP_SNAPLEN 65535u
#define LINKTYPE_RAW 101u        /* raw IPv4/IPv6, no link header */

struct pcap_link {
	struct synack_link base;  /* first */
	struct synack_link *inner;
	FILE *f;
	uint64_t size, max_bytes; /* bytes in the file, its bound */
	uint64_t written, skipped;
	int full;                 /* a record was skipped: skip the rest too */
	int64_t wall_offset_us;   /* CLOCK_REALTIME - CLOCK_MONOTONIC at creation */
};

static int64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void record(struct pcap_link *p, uint64_t now, const uint8_t *pkt, size_t len)
{
	uint32_t caplen = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : (uint32_t)len;
	int64_t wall = (int64_t)now + p->wall_offset_us;
	uint32_t hdr[4] = {(uint32_t)(wall / 1000000), (uint32_t)(wall % 1000000), caplen,
			   (uint32_t)len};

	if (p->full || p->size + sizeof(hdr) + caplen > p->max_bytes ||
	    fwrite(hdr, sizeof(hdr), 1, p->f) != 1 || fwrite(pkt, caplen, 1, p->f) != 1) {
		p->full = 1;
		p->skipped++;
		return;
	}
	p->size += sizeof(hdr) + caplen;
	p->written++;
}

static ssize_t pl_recv(struct synack_link *l, uint64_t now, uint8_t *buf, size_t cap)
{
	struct pcap_link *p = (struct pcap_link *)l;
	ssize_t n = synack_link_recv(p->inner, now, buf, cap);

	if (n > 0) {
		record(p, now, buf, (size_t)n);
		l->stats.rx_packets++;
		l->stats.rx_bytes += (uint64_t)n;
	}
	return n;
}

static int pl_send(struct synack_link *l, uint64_t now, const uint8_t *pkt, size_t len)
{
	struct pcap_link *p = (struct pcap_link *)l;

	record(p, now, pkt, len);
	l->stats.tx_packets++;
	l->stats.tx_bytes += len;
	return synack_link_send(p->inner, now, pkt, len);
}

static int pl_fd(const struct synack_link *l)
{
	return synack_link_fd(((const struct pcap_link *)l)->inner);
}

static uint64_t pl_next_deadline(const struct synack_link *l)
{
	return synack_link_next_deadline(((const struct pcap_link *)l)->inner);
}

static void pl_poll(struct synack_link *l, uint64_t now)
{
	synack_link_poll(((struct pcap_link *)l)->inner, now);
}

static void pl_destroy(struct synack_link *l)
{
	struct pcap_link *p = (struct pcap_link *)l;

	fclose(p->f);
	synack_link_destroy(p->inner);
	free(p);
}

static const struct synack_link_ops pcap_link_ops = {
	.kind = "pcap",
	.recv = pl_recv,
	.send = pl_send,
	.fd = pl_fd,
	.next_deadline = pl_next_deadline,
	.poll = pl_poll,
	.destroy = pl_destroy,
};

int synack_pcap_link_create(struct synack_link *inner, const char *path, uint64_t max_bytes,
			    struct synack_link **out)
{
	/* the global header: magic, version 2.4, zone 0, sigfigs 0, snaplen, linktype */
	const uint32_t ghdr[6] = {PCAP_MAGIC, 2u | (4u << 16), 0, 0, PCAP_SNAPLEN, LINKTYPE_RAW};

	if (!inner || !path || !out)
		return -EINVAL;
	struct pcap_link *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->f = fopen(path, "wbe");
	if (!p->f) {
		int err = -errno;
		free(p);
		return err;
	}
	if (fwrite(ghdr, sizeof(ghdr), 1, p->f) != 1 || fflush(p->f) != 0) {
		int err = errno ? -errno : -EIO;
		fclose(p->f);
		free(p);
		return err;
	}
	p->base.ops = &pcap_link_ops;
	p->inner = inner;
	p->size = sizeof(ghdr);
	p->max_bytes = max_bytes ? max_bytes : SYNACK_PCAP_DEFAULT_MAX;
	p->wall_offset_us = clock_us(CLOCK_REALTIME) - clock_us(CLOCK_MONOTONIC);
	*out = &p->base;
	return 0;
}

int synack_pcap_link_stats(const struct synack_link *l, uint64_t *written, uint64_t *skipped)
{
	if (!l || l->ops != &pcap_link_ops)
		return -EINVAL;
	const struct pcap_link *p = (const struct pcap_link *)l;
	if (written)
		*written = p->written;
	if (skipped)
		*skipped = p->skipped;
	return 0;
}
