/*
 * tunhost.h: what `synack serve` and `synack connect` share: the options
 * that put a stack on a TUN device (--dev, --addr, --mtu, --impair*, --seed,
 * --stats), and the host they build from them: a stack, the TUN link
 * (wrapped in the fault injector when asked), and the event loop. --sysctl
 * sets stack knobs under the names scripts use (tools/script/script_sysctl.c:
 * Linux's net.ipv4.* where one exists, net.synack.<field> for the rest). SIGINT
 * and SIGTERM stop the loop; the counters print at the end with --stats.
 * Public API only (include/synack/).
 */
#ifndef SYNACK_TOOLS_TUNHOST_H
#define SYNACK_TOOLS_TUNHOST_H

#include <stdint.h>
#include <stdio.h>

#include "synack/impair.h"
#include "synack/link.h"
#include "synack/pcap.h"
#include "synack/synack.h"
#include "synack/tun.h"

#define TUNHOST_MAX_SYSCTL 32

struct tunhost_opts {
	const char *dev;           /* --dev, default "tun0" */
	uint32_t addr;             /* --addr, default 10.9.0.2 */
	uint16_t mtu;              /* --mtu, default 1500 */
	uint64_t seed;             /* --seed; 0: from getrandom() */
	int impair_rx, impair_tx;  /* an --impair* option was given for that direction */
	struct synack_impair_params rx, tx;
	const char *pcap;          /* --pcap FILE: capture the device's datagrams; NULL: none */
	int stats;                 /* --stats: counters to stderr at exit */
	int quiet;                 /* -q: no progress lines on stderr */
	int offload;               /* --offload: SYNACK_TUN_OFFLOAD (not with --impair/--pcap) */
	int nsysctl;               /* --sysctl NAME=VALUE, applied in order */
	struct {
		int knob;
		uint64_t value, value2;
	} sysctl[TUNHOST_MAX_SYSCTL];
};

struct tunhost {
	struct tunhost_opts o;
	synack_stack *st;
	struct synack_link *link;  /* the TUN link, or the decorators around it
	                            * (capture tap inside, fault injector outside) */
	synack_loop *loop;
	const char *prog;          /* "synack serve" */
};

void tunhost_defaults(struct tunhost_opts *o);
/* If argv[*i] is one of the shared options, consume it (and its value) and
 * return 1; 0 if it is not one; -1 (after a message) if its value is bad. */
int tunhost_option(struct tunhost_opts *o, int argc, char **argv, int *i, const char *prog);
/* The shared options' --help lines. */
void tunhost_help(FILE *out);
/* Open the device, create the stack and the loop. 0, or 1 after a message. */
int tunhost_open(struct tunhost *h, const struct tunhost_opts *o, const char *prog);
/* Print stats if asked, free everything. */
void tunhost_close(struct tunhost *h);
/* Did SIGINT or SIGTERM arrive? */
int tunhost_interrupted(void);
/* "10.9.0.2" -> host order; 0 and *out or -EINVAL. */
int tunhost_parse_ip(const char *s, uint32_t *out);
/* Waits until the socket's pending SO_ERROR or connection: returns 0 when
 * ESTABLISHED, a negative errno when the connect failed. */
int tunhost_connect(struct tunhost *h, int s, const struct synack_endpoint *to);

#endif
