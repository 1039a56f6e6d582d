/*
 * tunhost.c: a stack on a TUN device for the CLI (tools/tunhost.h).
 *
 * The one piece of file-scope state is the signal flag: a signal handler
 * can reach nothing else. The loop's epoll_wait returns with EINTR when a
 * signal arrives, so the commands see the flag within one round.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "script.h"
#include "tunhost.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

int tunhost_interrupted(void)
{
	return interrupted;
}

void tunhost_defaults(struct tunhost_opts *o)
{
	*o = (struct tunhost_opts){.dev = "tun0", .addr = 0x0a090002u, .mtu = 1500};
}

int tunhost_parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

void tunhost_help(FILE *out)
{
	fprintf(out,
		"device and stack options:\n"
		"  --dev NAME        TUN device to attach to (default tun0); create it first with\n"
		"                    `ip tuntap add dev NAME mode tun`, give the kernel side an\n"
		"                    address and bring it up\n"
		"  --addr A.B.C.D    synack's own address on that device (default 10.9.0.2)\n"
		"  --mtu N           the device MTU; the MSS announced is MTU - 40 (default 1500)\n"
		"  --seed N          seed for ISNs, ports and the fault injector (default: random)\n"
		"  --impair SPEC     impair both directions with synack's fault injector, e.g.\n"
		"                    loss=1%%,dup=0.5%%,reorder=2%%,reorder_delay=5ms,delay=2ms,\n"
		"                    jitter=1ms,corrupt=0.1%%; ce=1%% marks ECT datagrams CE (ECN)\n"
		"  --impair-rx SPEC  impair only what the device delivers to synack\n"
		"  --impair-tx SPEC  impair only what synack sends into the device\n"
		"  --sysctl NAME=VAL set a stack knob, e.g. net.ipv4.tcp_syncookies=2 or\n"
		"                    net.ipv4.ip_local_port_range=\"40000 40999\" (repeatable;\n"
		"                    `synack script --sysctls` lists the names)\n"
		"  --pcap FILE       write every datagram on the device, both ways, to FILE (pcap,\n"
		"                    raw IPv4; as the kernel sees them: after --impair-tx, before\n"
		"                    --impair-rx); complete when the command exits\n"
		"  --offload         take the kernel's TSO super-segments of up to 64 KiB\n"
		"                    (IFF_VNET_HDR: one read and one ACK each, where dozens of\n"
		"                    datagrams would come); not with --impair or --pcap\n"
		"  --stats           print the stack's and the link's counters on exit\n"
		"  -q, --quiet       no progress messages on stderr\n");
}

static int impair_opt(struct tunhost_opts *o, const char *name, const char *v, const char *prog)
{
	struct synack_impair_params p;

	if (synack_impair_parse(v, &p)) {
		fprintf(stderr, "%s: bad %s '%s' (try --help)\n", prog, name, v);
		return -1;
	}
	if (strcmp(name, "--impair-tx")) {
		o->rx = p;
		o->impair_rx = 1;
	}
	if (strcmp(name, "--impair-rx")) {
		o->tx = p;
		o->impair_tx = 1;
	}
	return 1;
}

/* NAME=VALUE (a port range: "LO HI" or LO,HI), checked as scripts are. */
static int sysctl_opt(struct tunhost_opts *o, const char *v, const char *prog)
{
	const char *eq = strchr(v, '=');
	char err[160];
	char *end;

	if (o->nsysctl == TUNHOST_MAX_SYSCTL) {
		fprintf(stderr, "%s: at most %d --sysctl options\n", prog, TUNHOST_MAX_SYSCTL);
		return -1;
	}
	int k = eq ? sc_knob_find(v, (size_t)(eq - v)) : -1;
	if (k < 0) {
		fprintf(stderr, "%s: unknown sysctl '%s' (expected NAME=VALUE; "
				"`synack script --sysctls` lists them)\n", prog, v);
		return -1;
	}
	errno = 0;
	uint64_t val = 0, val2 = 0;
	/* a name (tcp_congestion_control=reno) or numbers */
	if (sc_knob_name_value(k, eq + 1, &val) != 0) {
		val = strtoull(eq + 1, &end, 0);
		if (sc_knob_pair(k)) {
			while (*end == ' ' || *end == ',' || *end == '\t')
				end++;
			val2 = strtoull(end, &end, 0);
		}
		if (errno || end == eq + 1 || *end) {
			fprintf(stderr, "%s: bad value in --sysctl '%s'\n", prog, v);
			return -1;
		}
	}
	if (sc_knob_check(k, val, val2, err, sizeof(err))) {
		fprintf(stderr, "%s: --sysctl %s: %s\n", prog, v, err);
		return -1;
	}
	o->sysctl[o->nsysctl].knob = k;
	o->sysctl[o->nsysctl].value = val;
	o->sysctl[o->nsysctl].value2 = val2;
	o->nsysctl++;
	return 1;
}

int tunhost_option(struct tunhost_opts *o, int argc, char **argv, int *i, const char *prog)
{
	const char *a = argv[*i];
	const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;

	if (!strcmp(a, "--stats"))
		return o->stats = 1;
	if (!strcmp(a, "--offload"))
		return o->offload = 1;
	if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
		return o->quiet = 1;
	if (strcmp(a, "--dev") && strcmp(a, "--addr") && strcmp(a, "--mtu") && strcmp(a, "--seed") &&
	    strcmp(a, "--sysctl") && strcmp(a, "--pcap") && strncmp(a, "--impair", 8))
		return 0;
	if (!v) {
		fprintf(stderr, "%s: %s needs a value\n", prog, a);
		return -1;
	}
	(*i)++;
	if (!strcmp(a, "--dev")) {
		o->dev = v;
	} else if (!strcmp(a, "--addr")) {
		if (tunhost_parse_ip(v, &o->addr)) {
			fprintf(stderr, "%s: bad address '%s'\n", prog, v);
			return -1;
		}
	} else if (!strcmp(a, "--mtu")) {
		long m = strtol(v, NULL, 10);
		if (m < 576 || m > 65535) {
			fprintf(stderr, "%s: --mtu must be 576..65535\n", prog);
			return -1;
		}
		o->mtu = (uint16_t)m;
	} else if (!strcmp(a, "--seed")) {
		o->seed = strtoull(v, NULL, 0);
	} else if (!strcmp(a, "--sysctl")) {
		return sysctl_opt(o, v, prog);
	} else if (!strcmp(a, "--pcap")) {
		o->pcap = v;
	} else if (!strcmp(a, "--impair") || !strcmp(a, "--impair-rx") || !strcmp(a, "--impair-tx")) {
		return impair_opt(o, a, v, prog);
	} else {
		fprintf(stderr, "%s: unknown option '%s'\n", prog, a);
		return -1;
	}
	return 1;
}

/*
 * Attaching to the device turns its carrier on, but the kernel activates the
 * device's queueing discipline only when its link-watch work runs, which can
 * be late (it is rate-limited, and deferred to a workqueue on a busy
 * machine). Until then every datagram the kernel sends into the device is
 * dropped by the "noop" qdisc: a SYN,ACK lost, a second of RTO (2 starts in
 * 3 right after `ip link set DEV up`, before this wait). The kernel reports
 * IFF_RUNNING in the same step, so wait for it, at most LINK_UP_WAIT_MS. A
 * device nobody brought up (no IFF_UP) will not change: say so at once.
 */
#define LINK_UP_WAIT_MS 3000
static void wait_link_up(const struct tunhost *h)
{
	const struct timespec tick = {0, 5 * 1000000};
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	for (int waited = 0; waited <= LINK_UP_WAIT_MS; waited += 5) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", h->o.dev);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0 || (ifr.ifr_flags & IFF_RUNNING))
			break;
		if (!(ifr.ifr_flags & IFF_UP)) {
			fprintf(stderr, "%s: warning: %s is down (bring it up: `ip link set %s up`)\n",
				h->prog, h->o.dev, h->o.dev);
			break;
		}
		nanosleep(&tick, NULL);
	}
	close(fd);
}

static int open_link(struct tunhost *h)
{
	char why[512];
	struct synack_tun_config tc = {.name = h->o.dev,
				       .flags = h->o.offload ? SYNACK_TUN_OFFLOAD : 0};

	/* a fault injector or a capture works on datagrams as the wire has
	 * them, not on the kernel's super-segments */
	if (h->o.offload && (h->o.pcap || h->o.impair_rx || h->o.impair_tx)) {
		fprintf(stderr, "%s: --offload cannot be combined with --impair or --pcap\n", h->prog);
		return 1;
	}
	int err = synack_tun_open(&tc, &h->link, why, sizeof(why));

	if (err) {
		fprintf(stderr, "%s: %s\n", h->prog, why);
		return 1;
	}
	wait_link_up(h);
	if (h->o.pcap) {
		struct synack_link *pl;
		err = synack_pcap_link_create(h->link, h->o.pcap, 0, &pl);
		if (err) {
			fprintf(stderr, "%s: --pcap %s: %s\n", h->prog, h->o.pcap, strerror(-err));
			return 1;
		}
		h->link = pl;
	}
	if (!h->o.impair_rx && !h->o.impair_tx)
		return 0;
	struct synack_link *il;
	err = synack_impair_link_create(h->link, h->o.impair_rx ? &h->o.rx : NULL,
					h->o.impair_tx ? &h->o.tx : NULL, h->o.seed, &il);
	if (err) {
		fprintf(stderr, "%s: fault injector: %s\n", h->prog, strerror(-err));
		return 1;
	}
	h->link = il;
	return 0;
}

int tunhost_open(struct tunhost *h, const struct tunhost_opts *o, const char *prog)
{
	struct synack_config cfg;
	struct sigaction sa = {.sa_handler = on_signal};

	memset(h, 0, sizeof(*h));
	h->o = *o;
	h->prog = prog;
	if (!h->o.seed && getrandom(&h->o.seed, sizeof(h->o.seed), 0) != sizeof(h->o.seed))
		h->o.seed = synack_loop_now();
	if (open_link(h))
		return 1;
	synack_config_default(&cfg);
	cfg.addr = h->o.addr;
	cfg.mtu = h->o.mtu;
	cfg.seed = h->o.seed;
	for (int k = 0; k < h->o.nsysctl; k++)
		sc_knob_apply(h->o.sysctl[k].knob, &cfg, h->o.sysctl[k].value, h->o.sysctl[k].value2);
	int err = synack_stack_create(&cfg, &h->st);
	if (err == -EINVAL)
		fprintf(stderr, "%s: the stack refused this configuration (check the --sysctl values "
				"against docs/configuration.md)\n", prog);
	if (!err)
		err = synack_loop_create(h->st, h->link, &h->loop);
	if (err) {
		fprintf(stderr, "%s: %s\n", prog, strerror(-err));
		tunhost_close(h);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* one round with no wait: the stack's clock starts at the loop's */
	synack_loop_run_once(h->loop, 0);
	return 0;
}

static int print_nonzero(void *ctx, const char *name, uint64_t value)
{
	if (value && strncmp(name, "SynackTrans", 11))
		fprintf(ctx, " %s %llu", name, (unsigned long long)value);
	return 0;
}

static void print_stats(const struct tunhost *h)
{
	struct synack_counters c;
	struct synack_link_stats ls;
	struct synack_impair_stats rx, tx;

	synack_stack_counters(h->st, &c);
	synack_link_stats(h->link, &ls);
	fprintf(stderr,
		"stack: ip_in %llu ip_out %llu segs_in %llu segs_out %llu retrans %llu "
		"rst_in %llu rst_out %llu active_opens %llu passive_opens %llu\n",
		(unsigned long long)c.ip_in, (unsigned long long)c.ip_out,
		(unsigned long long)c.segs_in, (unsigned long long)c.segs_out,
		(unsigned long long)c.retrans_segs, (unsigned long long)c.rst_in,
		(unsigned long long)c.rst_out, (unsigned long long)c.active_opens,
		(unsigned long long)c.passive_opens);
	fprintf(stderr, "drops:");
	for (int d = 1; d < SYNACK_DROP_MAX; d++)
		if (c.drops[d])
			fprintf(stderr, " %s %llu", synack_drop_name((enum synack_drop)d),
				(unsigned long long)c.drops[d]);
	fprintf(stderr, "\nnstat:");
	synack_counters_foreach(&c, print_nonzero, stderr);
	fprintf(stderr, "\nlink: rx %llu tx %llu tx_dropped %llu queue_drops %llu\n",
		(unsigned long long)ls.rx_packets, (unsigned long long)ls.tx_packets,
		(unsigned long long)ls.tx_dropped, (unsigned long long)ls.queue_drops);
	if (synack_impair_link_stats(h->link, &rx, &tx) != 0)
		return;
	const struct synack_impair_stats *dir[2] = {&rx, &tx};
	for (int i = 0; i < 2; i++)
		fprintf(stderr, "impair %s: seen %llu lost %llu dup %llu reordered %llu corrupted %llu ce %llu "
			"delayed %llu\n",
			i ? "tx" : "rx", (unsigned long long)dir[i]->seen, (unsigned long long)dir[i]->lost,
			(unsigned long long)dir[i]->duplicated, (unsigned long long)dir[i]->reordered,
			(unsigned long long)dir[i]->corrupted, (unsigned long long)dir[i]->ce_marked,
			(unsigned long long)dir[i]->delayed);
}

void tunhost_close(struct tunhost *h)
{
	if (h->st && h->link && h->o.stats)
		print_stats(h);
	synack_loop_destroy(h->loop);
	synack_stack_destroy(h->st);
	synack_link_destroy(h->link);
	h->loop = NULL;
	h->st = NULL;
	h->link = NULL;
}

int tunhost_connect(struct tunhost *h, int s, const struct synack_endpoint *to)
{
	int err = synack_sock_connect(h->st, s, to);

	if (err != -EINPROGRESS && err != 0)
		return err;
	for (;;) {
		unsigned ev = synack_sock_events(h->st, s);
		if (ev & SYNACK_EV_ERR) {
			synack_sock_getopt(h->st, s, SYNACK_SO_ERROR, &err);
			return err ? err : -ECONNABORTED;
		}
		if (ev & SYNACK_EV_OUT)
			return 0;
		if (tunhost_interrupted())
			return -EINTR;
		if ((err = synack_loop_run_once(h->loop, -1)) != 0)
			return err;
	}
}
