/*
 * tun.h: the Linux TUN driver, a synack_link (link.h) on a TUN device.
 *
 * synack_tun_open() opens /dev/net/tun and attaches to the device `name` in
 * the calling thread's network namespace (creating it if it does not exist
 * and the caller may), with IFF_TUN | IFF_NO_PI: every read and write is one
 * whole IP datagram with no packet-information prefix. The descriptor is
 * non-blocking and close-on-exec. The kernel side of the device (its
 * address, MTU, `ip link set up`) is the operator's business, as with any
 * TUN program:
 *
 *     ip tuntap add dev tun0 mode tun
 *     ip addr add 10.9.0.1/24 dev tun0 && ip link set tun0 up
 *
 * and synack then uses another address of that subnet (10.9.0.2): the
 * kernel routes 10.9.0.0/24 into the device, which is where synack reads.
 *
 * Batching: a TUN descriptor moves one datagram per read(2)/write(2); the
 * kernel has no recvmmsg/sendmmsg for character devices. The loop batches
 * what it can: it reads up to SYNACK_LOOP_BATCH datagrams per wakeup, all
 * before the stack processes any (synack_stack_input_batch), then runs the
 * stack's timers. SYNACK_TUN_MULTI_QUEUE opens one queue of a
 * multi-queue device (IFF_MULTI_QUEUE): open the same name once per queue,
 * one stack per queue; the kernel steers flows across queues by hash.
 *
 * SYNACK_TUN_OFFLOAD (IFF_VNET_HDR, TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4)
 * lets the kernel hand over one TCP "super-segment" of up to 64 KiB where
 * it would send dozens of MTU-sized datagrams (its TSO/GSO), and leave the
 * TCP checksum partial (VIRTIO_NET_HDR_F_NEEDS_CSUM): the driver completes
 * it (RFC 1071 over the segment, seeded with the pseudo-header sum the
 * kernel left in the field) and hands the stack one large datagram, which
 * it takes as one segment; one read and one ACK instead of dozens. What
 * synack sends goes out as ordinary datagrams (a zero virtio_net_hdr in
 * front). Do not put a fault injector around such a link: it would lose or
 * damage whole super-segments.
 *
 * Errors come back as negative errno values with a sentence for the
 * operator in why[] (if given): -ENOENT when /dev/net/tun is missing,
 * -EACCES/-EPERM when the caller lacks the permission (CAP_NET_ADMIN, or
 * ownership of a persistent device), -EBUSY when the device is in use (or
 * was created with other flags), -EINVAL for a bad name.
 */
#ifndef SYNACK_TUN_H
#define SYNACK_TUN_H

#include <stddef.h>

#include "synack/link.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SYNACK_TUN_MULTI_QUEUE 0x1u /* IFF_MULTI_QUEUE: one queue of a multi-queue device */
#define SYNACK_TUN_OFFLOAD 0x2u     /* IFF_VNET_HDR + TUNSETOFFLOAD: receive TSO super-segments */

struct synack_tun_config {
	const char *name;      /* device name, < 16 bytes; "" or NULL: the kernel picks tunN */
	unsigned flags;        /* SYNACK_TUN_* */
	const char *dev_path;  /* NULL: "/dev/net/tun" */
};

/* 0 and *out (a link; synack_link_destroy closes the descriptor), or a
 * negative errno with a message in why[0..whylen) when why is not NULL. */
int synack_tun_open(const struct synack_tun_config *cfg, struct synack_link **out, char *why,
		    size_t whylen);
/* The device's name as the kernel knows it ("tun0"); NULL if l is not a TUN link. */
const char *synack_tun_name(const struct synack_link *l);

#ifdef __cplusplus
}
#endif

#endif
