/*
 * kernel_tun.c: synack against the Linux kernel's TCP over a TUN device,
 * printed beside Linux against Linux over loopback in the same namespace,
 * as ratios (docs/performance.md). Figures, never pass/fail.
 *
 * The process moves itself into a network namespace of its own
 * (unshare(CLONE_NEWNET)), brings its loopback up and creates a TUN device
 * (synack_tun_open; not persistent, so it goes with the descriptor) with the
 * kernel's address 10.9.0.1/24 on it; synack is 10.9.0.2 on the other end.
 * Everything goes when the process exits, whatever the exit path: the
 * namespace is anonymous (nothing in /var/run/netns to remove). Inside it,
 * tcp_tw_reuse=1 and ip_local_port_range 1024-65535 (namespaced sysctls)
 * let the kernel client open connections faster than TIME-WAIT frees ports.
 * Needs root; without it, or without /dev/net/tun, it says so and exits 77.
 *
 * synack runs in a thread of its own: its stack, the TUN link and the event
 * loop (src/link/loop.c), the application in the loop's hook. The Linux side
 * is the main thread. The same workloads then run kernel to kernel over
 * 127.0.0.1, two threads, both cores for both runs:
 *  - bulk, Linux -> synack: a kernel client writes --bytes, synack reads;
 *  - bulk, synack -> Linux: synack writes --bytes, a kernel server reads;
 *  - connections, Linux -> synack: connect, a 64-byte request, a 64-byte
 *    reply, close by the client (TIME-WAIT on the kernel), one at a time,
 *    for --secs seconds.
 * synack's buffers are the stack's defaults unless --buf says otherwise
 * (the kernel autotunes its own).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "synack/link.h"
#include "synack/tun.h"

#define KERNEL_ADDR 0x0a090001u /* 10.9.0.1 */
#define SYNACK_ADDR 0x0a090002u /* 10.9.0.2 */
#define PORT_SINK 5001
#define PORT_SOURCE 5002
#define PORT_RR 7
#define RR_LEN 64
#define IOBUF (256u << 10)
#define MAX_RR 64 /* connections the request/reply server holds at once */

struct opts {
	double secs;
	uint64_t bytes;
	uint32_t buf; /* synack's SO_SNDBUF/SO_RCVBUF; 0: the stack's default */
	int offload;  /* --offload: SYNACK_TUN_OFFLOAD (TSO super-segments from the kernel) */
};

enum mode { M_SINK, M_SOURCE, M_RR };

struct rr_conn {
	int s;          /* -1: free */
	int got, sent;  /* request bytes read, reply bytes sent */
};

/* synack's side: touched only by its thread while the thread runs. */
struct side {
	synack_stack *st;
	struct synack_link *link;
	synack_loop *loop;
	int efd;                   /* eventfd: the main thread wakes the loop to stop */
	atomic_int stop;
	enum mode mode;
	int lsock;                 /* listener (sink, rr) */
	int s;                     /* the bulk connection */
	uint64_t bytes, target;    /* bulk: moved so far, to move */
	atomic_int done;           /* sink: EOF seen; source: all sent and closed */
	int failed;
	uint32_t sndbuf, rcvbuf;   /* the buffers synack's sockets get */
	struct rr_conn rr[MAX_RR];
	uint8_t io[IOBUF];
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kernel_tun [options]\n"
		"synack against the Linux kernel's TCP over a TUN device, beside Linux against\n"
		"Linux over loopback in the same network namespace (one it makes for itself;\n"
		"needs root and /dev/net/tun, exits 77 without). Prints figures and ratios,\n"
		"never pass/fail.\n\n"
		"  --secs S      seconds of connections per run (default 3)\n"
		"  --bytes N     bytes per bulk transfer (default 256Mi)\n"
		"  --buf N       synack's send and receive buffers (default: the stack's,\n"
		"                64 KiB; the kernel autotunes its own)\n"
		"  --offload     open the device with SYNACK_TUN_OFFLOAD (the kernel sends TSO\n"
		"                super-segments of up to 64 KiB)\n"
		"  --quick       a tiny run (smoke test)\n"
		"  --help        this text\n");
}

static void quick(void *dst)
{
	struct opts *o = dst;

	o->secs = 0.3;
	o->bytes = 8u << 20;
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.secs = 3, .bytes = 256u << 20};
	const struct bench_optspec spec[] = {
		{"--offload", BENCH_OPT_FLAG, &o->offload, NULL, NULL},
		{"--quick", BENCH_OPT_CALL, o, quick, NULL},
		{"--secs", BENCH_OPT_NUM, &o->secs, NULL, NULL},
		{"--bytes", BENCH_OPT_COUNT, &o->bytes, NULL, NULL},
		{"--buf", BENCH_OPT_U32, &o->buf, NULL, NULL},
		{NULL, BENCH_OPT_FLAG, NULL, NULL, NULL},
	};
	bench_parse_opts(argc, argv, "kernel_tun", spec, usage);
	if (o->secs <= 0 || o->secs > 600 || o->bytes < 1 || o->buf > (1u << 30)) {
		fprintf(stderr, "kernel_tun: --secs in (0, 600], --bytes >= 1, --buf <= 1Gi\n");
		exit(2);
	}
}

/* ---------------------------------------------------------------- namespace */

static int write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, value, strlen(value));

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

static int set_addr(int fd, const char *name, unsigned long req, uint32_t addr)
{
	struct ifreq ifr = {0};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(addr)};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return ioctl(fd, req, &ifr);
}

static int enter_namespace(void)
{
	if (bench_enter_netns("kernel_tun"))
		return -1;
	/* namespaced: they change nothing outside this process's namespace */
	if (write_sysctl("/proc/sys/net/ipv4/tcp_tw_reuse", "1") ||
	    write_sysctl("/proc/sys/net/ipv4/ip_local_port_range", "1024 65535"))
		printf("kernel_tun: note: could not set tcp_tw_reuse/ip_local_port_range: %s\n",
		       strerror(errno));
	return 0;
}

/* The device, the kernel's address on it, up; then wait until the kernel
 * reports it running (its qdisc is active: before that, what the kernel
 * sends into it is dropped). */
static int tun_up(struct side *sd, int offload)
{
	char why[512];
	struct synack_tun_config tc = {.name = "sk0", .flags = offload ? SYNACK_TUN_OFFLOAD : 0};
	int err = synack_tun_open(&tc, &sd->link, why, sizeof(why));

	if (err) {
		printf("kernel_tun: skipped: %s\n", why);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || set_addr(fd, "sk0", SIOCSIFADDR, KERNEL_ADDR) ||
	    set_addr(fd, "sk0", SIOCSIFNETMASK, 0xffffff00u) || bench_if_flags(fd, "sk0", IFF_UP) < 0) {
		printf("kernel_tun: cannot configure sk0: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (int i = 0; i < 600 && !(bench_if_flags(fd, "sk0", 0) & IFF_RUNNING); i++)
		usleep(5000);
	close(fd);
	return 0;
}

/* ---------------------------------------------------------------- synack's side */

static void sink(struct side *sd)
{
	if (sd->s < 0 && (sd->s = synack_sock_accept(sd->st, sd->lsock, NULL)) < 0) {
		sd->s = -1;
		return;
	}
	for (;;) {
		ssize_t n = synack_sock_recv(sd->st, sd->s, sd->io, sizeof(sd->io));
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			sd->failed |= n < 0;
			synack_sock_close(sd->st, sd->s);
			sd->s = -1;
			atomic_store(&sd->done, 1);
			return;
		}
		sd->bytes += (uint64_t)n;
	}
}

static void source(struct side *sd)
{
	if (sd->s < 0 || atomic_load(&sd->done))
		return;
	unsigned ev = synack_sock_events(sd->st, sd->s);
	if (ev & SYNACK_EV_ERR) {
		sd->failed = 1;
		atomic_store(&sd->done, 1);
		return;
	}
	while ((ev & SYNACK_EV_OUT) && sd->bytes < sd->target) {
		uint64_t left = sd->target - sd->bytes;
		ssize_t n = synack_sock_send(sd->st, sd->s, sd->io, left < IOBUF ? (size_t)left : IOBUF);
		if (n <= 0)
			break;
		sd->bytes += (uint64_t)n;
	}
	if (sd->bytes == sd->target) {
		synack_sock_close(sd->st, sd->s);
		sd->s = -1;
		atomic_store(&sd->done, 1);
	}
}

/* One request/reply connection: read 64, send 64, close after the FIN. */
static void rr_drive(struct side *sd, struct rr_conn *c)
{
	while (c->got < RR_LEN) {
		ssize_t n = synack_sock_recv(sd->st, c->s, sd->io, (size_t)(RR_LEN - c->got));
		if (n == -EAGAIN)
			return;
		if (n <= 0)
			goto done;
		c->got += (int)n;
	}
	while (c->sent < RR_LEN) {
		ssize_t n = synack_sock_send(sd->st, c->s, sd->io, (size_t)(RR_LEN - c->sent));
		if (n == -EAGAIN)
			return;
		if (n < 0)
			goto done;
		c->sent += (int)n;
	}
	ssize_t n = synack_sock_recv(sd->st, c->s, sd->io, 1);
	if (n == -EAGAIN)
		return;
done:
	synack_sock_close(sd->st, c->s);
	c->s = -1;
}

static void rr(struct side *sd)
{
	int s;

	while ((s = synack_sock_accept(sd->st, sd->lsock, NULL)) >= 0) {
		struct rr_conn *c = NULL;
		for (int i = 0; i < MAX_RR && !c; i++)
			if (sd->rr[i].s < 0)
				c = &sd->rr[i];
		if (!c) {
			synack_sock_abort(sd->st, s);
			continue;
		}
		*c = (struct rr_conn){s, 0, 0};
	}
	for (int i = 0; i < MAX_RR; i++)
		if (sd->rr[i].s >= 0)
			rr_drive(sd, &sd->rr[i]);
}

static void hook(void *ctx, synack_loop *l, uint64_t now)
{
	struct side *sd = ctx;
	(void)now;

	switch (sd->mode) {
	case M_SINK:
		sink(sd);
		break;
	case M_SOURCE:
		source(sd);
		break;
	case M_RR:
		rr(sd);
		break;
	}
	if (atomic_load(&sd->stop))
		synack_loop_stop(l);
}

static void on_wake(void *ctx, int fd, uint32_t revents)
{
	uint64_t v;
	(void)ctx;
	(void)revents;
	if (read(fd, &v, sizeof(v)) < 0)
		return; /* nothing to drain: the stop flag is what counts */
}

static void *side_thread(void *arg)
{
	struct side *sd = arg;

	if (synack_loop_run(sd->loop))
		sd->failed = 1;
	return NULL;
}

static int side_start(struct side *sd, pthread_t *t)
{
	atomic_store(&sd->stop, 0);
	atomic_store(&sd->done, 0);
	sd->bytes = 0;
	sd->failed = 0;
	return pthread_create(t, NULL, side_thread, sd);
}

static void side_stop(struct side *sd, pthread_t t)
{
	uint64_t one = 1;

	atomic_store(&sd->stop, 1);
	if (write(sd->efd, &one, sizeof(one)) < 0)
		perror("kernel_tun: eventfd");
	pthread_join(t, NULL);
}

static int side_init(struct side *sd, const struct opts *o)
{
	struct synack_config cfg;

	memset(sd, 0, sizeof(*sd));
	sd->s = sd->lsock = -1;
	for (int i = 0; i < MAX_RR; i++)
		sd->rr[i].s = -1;
	if (tun_up(sd, o->offload))
		return -1;
	synack_config_default(&cfg);
	cfg.addr = SYNACK_ADDR;
	cfg.seed = 7;
	if (o->buf)
		cfg.sndbuf = cfg.rcvbuf = o->buf;
	sd->sndbuf = cfg.sndbuf;
	sd->rcvbuf = cfg.rcvbuf;
	sd->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sd->efd < 0 || synack_stack_create(&cfg, &sd->st) ||
	    synack_loop_create(sd->st, sd->link, &sd->loop) ||
	    synack_loop_add_fd(sd->loop, sd->efd, EPOLLIN, on_wake, sd)) {
		printf("kernel_tun: cannot set up synack's side\n");
		return -1;
	}
	synack_loop_set_hook(sd->loop, hook, sd);
	return 0;
}

static int listen_synack(struct side *sd, uint16_t port)
{
	struct synack_endpoint ep = {0, port};

	if (sd->lsock >= 0)
		synack_sock_close(sd->st, sd->lsock);
	sd->lsock = synack_sock_open(sd->st);
	if (sd->lsock < 0 || synack_sock_bind(sd->st, sd->lsock, &ep) ||
	    synack_sock_listen(sd->st, sd->lsock, 128))
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- Linux's side */

static int k_connect(uint32_t addr, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = bench_sin(addr, port);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

static uint64_t k_write_n(int fd, const char *buf, uint64_t total)
{
	uint64_t sent = 0;

	while (sent < total) {
		size_t n = total - sent < IOBUF ? (size_t)(total - sent) : IOBUF;
		ssize_t k = write(fd, buf, n);
		if (k <= 0)
			break;
		sent += (uint64_t)k;
	}
	return sent;
}

static uint64_t k_read_all(int fd, char *buf)
{
	uint64_t got = 0;
	ssize_t k;

	while ((k = read(fd, buf, IOBUF)) > 0)
		got += (uint64_t)k;
	return got;
}

/* One request/reply exchange as the client: 0 or -1. */
static int k_rr_client(uint32_t addr, uint16_t port)
{
	char req[RR_LEN], rep[RR_LEN];
	int fd = k_connect(addr, port);

	memset(req, 'q', sizeof(req));
	if (fd < 0)
		return -1;
	int bad = write(fd, req, sizeof(req)) != (ssize_t)sizeof(req) ||
		  bench_read_full(fd, rep, sizeof(rep));
	close(fd);
	return bad ? -1 : 0;
}

struct rr_result {
	uint64_t conns, errors;
	double secs;
};

static struct rr_result k_rr_loop(uint32_t addr, uint16_t port, double secs)
{
	struct rr_result r = {0};
	uint64_t t0 = bench_now_ns(), end = t0 + (uint64_t)(secs * 1e9), t;

	while ((t = bench_now_ns()) < end) {
		if (k_rr_client(addr, port))
			r.errors++;
		else
			r.conns++;
		if (r.errors > 1000)
			break;
	}
	r.secs = (double)(bench_now_ns() - t0) / 1e9;
	return r;
}

/* ---------------------------------------------------------------- Linux <-> Linux */

struct k_server {
	int lfd;
	int rr;          /* 1: request/reply server; 0: bulk sink */
	uint64_t bytes;
};

static void *k_server_thread(void *arg)
{
	struct k_server *ks = arg;
	char *buf = malloc(IOBUF);
	int fd;

	while (buf && (fd = accept(ks->lfd, NULL, NULL)) >= 0) {
		if (ks->rr) {
			if (!bench_read_full(fd, buf, RR_LEN) && write(fd, buf, RR_LEN) == RR_LEN)
				(void)!read(fd, buf, 1); /* the client's FIN */
		} else {
			ks->bytes += k_read_all(fd, buf);
		}
		close(fd);
	}
	free(buf);
	return NULL;
}

/* ---------------------------------------------------------------- runs */

static double mb_per_s(uint64_t bytes, uint64_t t0, uint64_t t1)
{
	return (double)bytes / 1e6 / ((double)(t1 - t0) / 1e9);
}

static double bulk_to_synack(struct side *sd, const struct opts *o, char *buf)
{
	pthread_t t;

	sd->mode = M_SINK;
	sd->s = -1;
	if (listen_synack(sd, PORT_SINK) || side_start(sd, &t))
		return -1;
	uint64_t t0 = bench_now_ns();
	int fd = k_connect(SYNACK_ADDR, PORT_SINK);
	uint64_t sent = fd < 0 ? 0 : k_write_n(fd, buf, o->bytes);
	if (fd >= 0)
		close(fd);
	while (!atomic_load(&sd->done) && bench_now_ns() - t0 < 120000000000ull)
		usleep(200);
	uint64_t t1 = bench_now_ns();
	side_stop(sd, t);
	if (sent != o->bytes || sd->bytes != o->bytes || sd->failed) {
		printf("kernel_tun: bulk Linux -> synack: sent %llu, synack read %llu\n",
		       (unsigned long long)sent, (unsigned long long)sd->bytes);
		return -1;
	}
	return mb_per_s(sd->bytes, t0, t1);
}

static double bulk_from_synack(struct side *sd, const struct opts *o, char *buf)
{
	pthread_t t;
	struct synack_endpoint to = {KERNEL_ADDR, PORT_SOURCE};
	int lfd = bench_tcp_listen(KERNEL_ADDR, PORT_SOURCE);

	sd->mode = M_SOURCE;
	sd->target = o->bytes;
	sd->s = synack_sock_open(sd->st);
	if (lfd < 0 || sd->s < 0)
		return -1;
	uint64_t t0 = bench_now_ns();
	int err = synack_sock_connect(sd->st, sd->s, &to);
	if ((err && err != -EINPROGRESS) || side_start(sd, &t))
		return -1;
	int fd = accept(lfd, NULL, NULL);
	uint64_t got = fd < 0 ? 0 : k_read_all(fd, buf);
	uint64_t t1 = bench_now_ns();
	if (fd >= 0)
		close(fd);
	close(lfd);
	side_stop(sd, t);
	if (got != o->bytes || sd->failed) {
		printf("kernel_tun: bulk synack -> Linux: Linux read %llu of %llu\n",
		       (unsigned long long)got, (unsigned long long)o->bytes);
		return -1;
	}
	return mb_per_s(got, t0, t1);
}

static struct rr_result conns_to_synack(struct side *sd, const struct opts *o)
{
	struct rr_result r = {0};
	pthread_t t;

	sd->mode = M_RR;
	if (listen_synack(sd, PORT_RR) || side_start(sd, &t))
		return r;
	r = k_rr_loop(SYNACK_ADDR, PORT_RR, o->secs);
	side_stop(sd, t);
	return r;
}

static double k_bulk(const struct opts *o, char *buf)
{
	struct k_server ks = {.lfd = bench_tcp_listen(0x7f000001u, PORT_SINK)};
	pthread_t t;

	if (ks.lfd < 0 || pthread_create(&t, NULL, k_server_thread, &ks))
		return -1;
	uint64_t t0 = bench_now_ns();
	int fd = k_connect(0x7f000001u, PORT_SINK);
	if (fd >= 0) {
		k_write_n(fd, buf, o->bytes);
		close(fd);
	}
	shutdown(ks.lfd, SHUT_RDWR); /* accept returns once the one connection is done */
	pthread_join(t, NULL);
	uint64_t t1 = bench_now_ns();
	close(ks.lfd);
	return ks.bytes == o->bytes ? mb_per_s(ks.bytes, t0, t1) : -1;
}

static struct rr_result k_conns(const struct opts *o)
{
	struct k_server ks = {.lfd = bench_tcp_listen(0x7f000001u, PORT_RR), .rr = 1};
	struct rr_result r = {0};
	pthread_t t;

	if (ks.lfd < 0 || pthread_create(&t, NULL, k_server_thread, &ks))
		return r;
	r = k_rr_loop(0x7f000001u, PORT_RR, o->secs);
	shutdown(ks.lfd, SHUT_RDWR);
	pthread_join(t, NULL);
	close(ks.lfd);
	return r;
}

/* ---------------------------------------------------------------- main */

static void ratio_line(const char *what, double syn, double lin, const char *unit, const char *key)
{
	double ratio = syn > 0 && lin > 0 ? syn / lin : 0;

	printf("%-38s synack<->Linux over TUN %10.1f %s   Linux<->Linux over lo %10.1f %s   "
	       "ratio %.3f\n", what, syn, unit, lin, unit, ratio);
	char name[96];
	snprintf(name, sizeof(name), "kernel_tun.%s.synack", key);
	bench_result(name, syn, unit);
	snprintf(name, sizeof(name), "kernel_tun.%s.linux_lo", key);
	bench_result(name, lin, unit);
	snprintf(name, sizeof(name), "kernel_tun.%s.ratio", key);
	bench_result(name, ratio, "x");
}

int main(int argc, char **argv)
{
	struct opts o;
	static struct side sd;

	parse(argc, argv, &o);
	if (enter_namespace() || side_init(&sd, &o))
		return 77;
	char *buf = calloc(1, IOBUF);
	if (!buf)
		return 1;
	printf("kernel_tun: %llu bytes per bulk run, %.1f s of connections; synack's buffers: "
	       "send %u, receive %u bytes; the kernel autotunes its own\n",
	       (unsigned long long)o.bytes, o.secs, sd.sndbuf, sd.rcvbuf);
	double to_syn = bulk_to_synack(&sd, &o, buf);
	double from_syn = bulk_from_synack(&sd, &o, buf);
	struct rr_result rs = conns_to_synack(&sd, &o);
	double k = k_bulk(&o, buf);
	struct rr_result rk = k_conns(&o);

	ratio_line("bulk, Linux -> synack (MB/s)", to_syn, k, "MB/s", "bulk_to_synack");
	ratio_line("bulk, synack -> Linux (MB/s)", from_syn, k, "MB/s", "bulk_from_synack");
	double cs = rs.secs > 0 ? (double)rs.conns / rs.secs : 0;
	double ck = rk.secs > 0 ? (double)rk.conns / rk.secs : 0;
	ratio_line("connections, Linux client (conn/s)", cs, ck, "conn/s", "conns");
	printf("connections: %llu to synack (%llu errors), %llu Linux to Linux (%llu errors)\n",
	       (unsigned long long)rs.conns, (unsigned long long)rs.errors,
	       (unsigned long long)rk.conns, (unsigned long long)rk.errors);
	synack_loop_destroy(sd.loop);
	synack_stack_destroy(sd.st);
	synack_link_destroy(sd.link);
	close(sd.efd);
	free(buf);
	return 0;
}
