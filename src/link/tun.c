/*
 * tun.c: the Linux TUN driver (include/synack/tun.h).
 *
 * One object, one descriptor on /dev/net/tun bound to a device with
 * TUNSETIFF (IFF_TUN | IFF_NO_PI [| IFF_MULTI_QUEUE]). Reads and writes move
 * one whole IP datagram each. The descriptor is non-blocking: recv returns 0
 * when the kernel has nothing queued, and a write the kernel refuses for
 * lack of room (EAGAIN, ENOBUFS) drops the datagram and counts it, as a full
 * NIC queue would; TCP recovers it like any loss.
 *
 * With SYNACK_TUN_OFFLOAD every read and write starts with a struct
 * virtio_net_hdr (IFF_VNET_HDR): on receive it may say the datagram is a TSO
 * super-segment (gso_type; taken whole, the stack needs no MSS-sized
 * pieces) and that its TCP checksum is partial (NEEDS_CSUM: completed here,
 * so the stack's checksum check sees a whole one); on send it is zero.
 *
 * Opening fails with the errno the kernel gave and a sentence that says what
 * to do about it; that is the whole of the driver's error handling, because
 * after a successful TUNSETIFF the only errors left are per-datagram.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_net.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "synack/tun.h"
#include "wire/csum.h"

#define TUN_DEFAULT_PATH "/dev/net/tun"

struct tun_link {
	struct synack_link base; /* first: a struct synack_link * is a struct tun_link * */
	int fd;
	int vnet;                /* SYNACK_TUN_OFFLOAD: a virtio_net_hdr before each datagram */
	char name[IFNAMSIZ];
};

__attribute__((format(printf, 3, 4))) static void say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- ops */

/* NEEDS_CSUM: the kernel left the pseudo-header sum in the checksum field
 * at csum_start + csum_offset; the ones' complement sum from csum_start to
 * the end, folded and complemented, completes it (RFC 1071). 0, or -1 if
 * the header points outside the datagram. */
static int complete_csum(const struct virtio_net_hdr *vh, uint8_t *pkt, size_t len)
{
	size_t start = vh->csum_start, at = start + vh->csum_offset;

	if (start >= len || at + 2 > len)
		return -1;
	uint16_t c = sn_csum_fold(sn_csum_add(0, pkt + start, len - start));
	pkt[at] = (uint8_t)(c >> 8);
	pkt[at + 1] = (uint8_t)c;
	return 0;
}

static ssize_t tun_read(struct tun_link *t, uint8_t *buf, size_t cap)
{
	struct virtio_net_hdr vh;
	struct iovec iov[2] = {{&vh, sizeof(vh)}, {buf, cap}};

	if (!t->vnet)
		return read(t->fd, buf, cap);
	ssize_t n = readv(t->fd, iov, 2);
	if (n < 0)
		return n;
	if ((size_t)n < sizeof(vh))
		return 0;
	n -= (ssize_t)sizeof(vh);
	if ((vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && complete_csum(&vh, buf, (size_t)n) < 0)
		return 0; /* cannot happen from the kernel; dropped as a bad datagram would be */
	return n;
}

static ssize_t tun_recv(struct synack_link *l, uint64_t now, uint8_t *buf, size_t cap)
{
	struct tun_link *t = (struct tun_link *)l;
	(void)now;

	for (;;) {
		ssize_t n = tun_read(t, buf, cap);
		if (n > 0) {
			l->stats.rx_packets++;
			l->stats.rx_bytes += (uint64_t)n;
			return n;
		}
		if (n == 0 || errno == EAGAIN)
			return 0;
		if (errno == EINTR)
			continue;
		l->stats.rx_errors++;
		return -errno;
	}
}

static int tun_send(struct synack_link *l, uint64_t now, const uint8_t *pkt, size_t len)
{
	struct tun_link *t = (struct tun_link *)l;
	ssize_t n;
	(void)now;

	struct virtio_net_hdr vh = {.flags = VIRTIO_NET_HDR_F_DATA_VALID};
	struct iovec iov[2] = {{&vh, sizeof(vh)}, {(void *)(uintptr_t)pkt, len}};
	size_t want = len + (t->vnet ? sizeof(vh) : 0);
	do
		n = t->vnet ? writev(t->fd, iov, 2) : write(t->fd, pkt, len);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)want) {
		l->stats.tx_packets++;
		l->stats.tx_bytes += len;
		return 0;
	}
	if (n >= 0)
		errno = EIO; /* a short write of a datagram: cannot happen on TUN */
	if (errno == EAGAIN || errno == ENOBUFS)
		l->stats.tx_dropped++;
	else
		l->stats.tx_errors++;
	return -errno;
}

static int tun_fd(const struct synack_link *l)
{
	return ((const struct tun_link *)l)->fd;
}

static void tun_destroy(struct synack_link *l)
{
	struct tun_link *t = (struct tun_link *)l;

	close(t->fd);
	free(t);
}

static const struct synack_link_ops tun_ops = {
	.kind = "tun",
	.recv = tun_recv,
	.send = tun_send,
	.fd = tun_fd,
	.destroy = tun_destroy,
};

/* ---------------------------------------------------------------- open */

/* open(2) of the clone device failed: say why in operator's words. */
static int open_failed(const char *path, int err, char *why, size_t whylen)
{
	if (err == ENOENT || err == ENXIO || err == ENODEV)
		say(why, whylen,
		    "%s: %s: the TUN driver is not available (load it with `modprobe tun`, or "
		    "create the node with `mknod %s c 10 200`; in a container, pass the device in)",
		    path, strerror(err), path);
	else if (err == EACCES || err == EPERM)
		say(why, whylen,
		    "%s: %s: opening the TUN clone device needs read-write access to it "
		    "(run as root, or give this user access to %s)",
		    path, strerror(err), path);
	else
		say(why, whylen, "%s: %s", path, strerror(err));
	return -err;
}

/* TUNSETIFF failed: the device exists but cannot be ours. */
static int attach_failed(const char *name, int err, char *why, size_t whylen)
{
	const char *n = name && *name ? name : "(new device)";

	if (err == EPERM || err == EACCES)
		say(why, whylen,
		    "TUNSETIFF %s: %s: creating or attaching a TUN device needs CAP_NET_ADMIN in "
		    "this network namespace, or a persistent device made for this user "
		    "(`ip tuntap add dev %s mode tun user $USER`)",
		    n, strerror(err), n);
	else if (err == EBUSY)
		say(why, whylen,
		    "TUNSETIFF %s: %s: the device is in use by another process, or was created "
		    "with other flags (multi_queue or not, tun not tap)",
		    n, strerror(err));
	else if (err == ENOTTY)
		say(why, whylen, "TUNSETIFF %s: %s: the path given is not the TUN clone device", n,
		    strerror(err));
	else
		say(why, whylen, "TUNSETIFF %s: %s", n, strerror(err));
	return -err;
}

int synack_tun_open(const struct synack_tun_config *cfg, struct synack_link **out, char *why,
		    size_t whylen)
{
	const char *path = cfg && cfg->dev_path ? cfg->dev_path : TUN_DEFAULT_PATH;
	const char *name = cfg && cfg->name ? cfg->name : "";
	struct ifreq ifr;

	if (!out || strlen(name) >= IFNAMSIZ ||
	    (cfg && (cfg->flags & ~(SYNACK_TUN_MULTI_QUEUE | SYNACK_TUN_OFFLOAD)))) {
		say(why, whylen, "bad TUN device name or flags (names are at most %d bytes)",
		    IFNAMSIZ - 1);
		return -EINVAL;
	}
	struct tun_link *t = calloc(1, sizeof(*t));
	if (!t) {
		say(why, whylen, "out of memory");
		return -ENOMEM;
	}
	t->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		int err = errno;
		free(t);
		return open_failed(path, err, why, whylen);
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (cfg && (cfg->flags & SYNACK_TUN_MULTI_QUEUE))
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	if (cfg && (cfg->flags & SYNACK_TUN_OFFLOAD))
		ifr.ifr_flags |= IFF_VNET_HDR;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		int err = errno;
		close(t->fd);
		free(t);
		return attach_failed(name, err, why, whylen);
	}
	/* The offloads stay with a persistent device after its last user:
	 * set them to what this descriptor handles, none without a vnet header
	 * (else the kernel would still send partial checksums). */
	t->vnet = !!(ifr.ifr_flags & IFF_VNET_HDR);
	if (ioctl(t->fd, TUNSETOFFLOAD, t->vnet ? (unsigned long)(TUN_F_CSUM | TUN_F_TSO4) : 0ul) < 0 &&
	    t->vnet) {
		int err = errno;
		close(t->fd);
		free(t);
		say(why, whylen, "TUNSETOFFLOAD: %s", strerror(err));
		return -err;
	}
	memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
	t->name[IFNAMSIZ - 1] = '\0';
	t->base.ops = &tun_ops;
	*out = &t->base;
	return 0;
}

const char *synack_tun_name(const struct synack_link *l)
{
	if (!l || l->ops != &tun_ops)
		return NULL;
	return ((const struct tun_link *)l)->name;
}
