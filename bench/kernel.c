/*
 * kernel.c: the lifecycle and bulk workloads against the Linux kernel's TCP
 * over loopback, for the ratios in docs/performance.md.
 *
 * The process moves itself into a network namespace of its own
 * (unshare(CLONE_NEWNET)) and brings its loopback up, so it neither sees
 * nor disturbs the host's sockets and sysctls, and the namespace is gone
 * when the process exits, whatever the exit path (it is anonymous: nothing
 * in /var/run/netns to remove). Needs root (CAP_SYS_ADMIN); without it, or
 * without namespace support, it says so and exits 77 (skipped).
 *
 * Both ends are threads of this process over 127.0.0.1, the kernel's
 * defaults untouched (loopback MTU 65536, tcp_tw_reuse=2 on loopback):
 *  - lifecycle: a server thread accepts, reads the 64-byte request, writes
 *    the 64-byte reply and closes after the client's FIN; the client thread
 *    connects, writes, reads, closes (TIME-WAIT on the client), one
 *    connection at a time, for --secs seconds;
 *  - bulk: one connection, the client writes --bytes, the server reads.
 * Both runs are done twice: with both threads pinned to CPU 0 (one core,
 * like the synack figures) and unpinned (both cores).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

struct opts {
	double secs;
	uint64_t bytes;
};

struct shared {
	int lfd;
	int pin;              /* pin threads to CPU 0 */
	volatile int stop;
	uint64_t bytes;       /* bulk */
	uint64_t conns;       /* lifecycle: completed by the client */
	uint64_t errors;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kernel [options]\n"
		"The lifecycle and bulk workloads against the Linux kernel over loopback, in a\n"
		"network namespace of its own (needs root; exits 77 when it cannot make one).\n"
		"Prints figures, never pass/fail.\n\n"
		"  --secs S      seconds of lifecycle per run (default 3)\n"
		"  --bytes N     bytes of bulk per run (default 4Gi)\n"
		"  --quick       a tiny run (smoke test)\n"
		"  --help        this text\n");
}

static void quick(void *dst)
{
	struct opts *o = dst;

	o->secs = 0.2;
	o->bytes = 64u << 20;
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.secs = 3, .bytes = 4ull << 30};
	const struct bench_optspec spec[] = {
		{"--quick", BENCH_OPT_CALL, o, quick, NULL},
		{"--secs", BENCH_OPT_NUM, &o->secs, NULL, NULL},
		{"--bytes", BENCH_OPT_COUNT, &o->bytes, NULL, NULL},
		{NULL, BENCH_OPT_FLAG, NULL, NULL, NULL},
	};
	bench_parse_opts(argc, argv, "kernel", spec, usage);
	if (o->secs <= 0 || o->secs > 600 || o->bytes < 1) {
		fprintf(stderr, "kernel: --secs in (0, 600], --bytes >= 1\n");
		exit(2);
	}
}

static void pin_self(int pin)
{
	if (!pin)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static struct sockaddr_in loopback(uint16_t port)
{
	return bench_sin(INADDR_LOOPBACK, port);
}

/* ---------------------------------------------------------------- lifecycle */

static void *lc_server(void *arg)
{
	struct shared *sh = arg;
	char buf[64];

	pin_self(sh->pin);
	for (;;) {
		int fd = accept(sh->lfd, NULL, NULL);
		if (fd < 0)
			break; /* the listener was shut down */
		if (bench_read_full(fd, buf, sizeof(buf)) || write(fd, buf, sizeof(buf)) != sizeof(buf) ||
		    read(fd, buf, sizeof(buf)) != 0)
			sh->errors++;
		close(fd);
	}
	return NULL;
}

static void *lc_client(void *arg)
{
	struct shared *sh = arg;
	struct sockaddr_in a = loopback(8080);
	char req[64], rep[64];

	memset(req, 'q', sizeof(req));
	pin_self(sh->pin);
	while (!sh->stop) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
		    write(fd, req, sizeof(req)) != sizeof(req) || bench_read_full(fd, rep, sizeof(rep))) {
			sh->errors++;
			if (fd >= 0)
				close(fd);
			if (sh->errors > 1000)
				break;
			continue;
		}
		close(fd);
		sh->conns++;
	}
	return NULL;
}

static void lifecycle(const struct opts *o, int pin)
{
	struct shared sh = {.pin = pin};
	pthread_t srv, cli;

	sh.lfd = bench_tcp_listen(INADDR_LOOPBACK, 8080);
	if (sh.lfd < 0) {
		printf("kernel: cannot listen: %s\n", strerror(errno));
		exit(1);
	}
	pthread_create(&srv, NULL, lc_server, &sh);
	uint64_t cpu0 = bench_cpu_us(), t0 = bench_now_ns();
	pthread_create(&cli, NULL, lc_client, &sh);
	usleep((useconds_t)(o->secs * 1e6));
	sh.stop = 1;
	pthread_join(cli, NULL);
	uint64_t t1 = bench_now_ns(), cpu1 = bench_cpu_us();
	shutdown(sh.lfd, SHUT_RDWR);
	pthread_join(srv, NULL);
	close(sh.lfd);

	double secs = (double)(t1 - t0) / 1e9, rate = (double)sh.conns / secs;
	const char *tag = pin ? "1cpu" : "2cpu";
	printf("kernel lifecycle (%s): %llu connections in %.2f s: %.0f connections/s,"
	       " %.2f CPU us per connection (process time incl. the kernel's), %llu errors\n",
	       pin ? "both threads on CPU 0" : "unpinned, 2 CPUs", (unsigned long long)sh.conns,
	       secs, rate, (double)(cpu1 - cpu0) / (double)(sh.conns ? sh.conns : 1),
	       (unsigned long long)sh.errors);
	char name[64];
	snprintf(name, sizeof(name), "kernel.lifecycle.%s.conns_per_sec", tag);
	bench_result(name, rate, "conn/s");
	snprintf(name, sizeof(name), "kernel.lifecycle.%s.cpu_us_per_conn", tag);
	bench_result(name, (double)(cpu1 - cpu0) / (double)(sh.conns ? sh.conns : 1), "us");
}

/* ---------------------------------------------------------------- bulk */

#define BULK_CHUNK (256u << 10)

static void *bulk_server(void *arg)
{
	struct shared *sh = arg;
	char *buf = malloc(BULK_CHUNK);

	pin_self(sh->pin);
	int fd = accept(sh->lfd, NULL, NULL);
	if (fd >= 0 && buf) {
		ssize_t k;
		while ((k = read(fd, buf, BULK_CHUNK)) > 0)
			sh->bytes += (uint64_t)k;
		close(fd);
	}
	free(buf);
	return NULL;
}

static void bulk(const struct opts *o, int pin)
{
	struct shared sh = {.pin = pin};
	struct sockaddr_in a = loopback(5001);
	pthread_t srv;
	char *buf = calloc(1, BULK_CHUNK);

	sh.lfd = bench_tcp_listen(INADDR_LOOPBACK, 5001);
	if (sh.lfd < 0 || !buf) {
		printf("kernel: cannot listen: %s\n", strerror(errno));
		exit(1);
	}
	pthread_create(&srv, NULL, bulk_server, &sh);
	cpu_set_t old;
	pthread_getaffinity_np(pthread_self(), sizeof(old), &old);
	pin_self(pin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		printf("kernel: connect: %s\n", strerror(errno));
		exit(1);
	}
	uint64_t cpu0 = bench_cpu_us(), t0 = bench_now_ns(), sent = 0;
	while (sent < o->bytes) {
		size_t n = o->bytes - sent < BULK_CHUNK ? (size_t)(o->bytes - sent) : BULK_CHUNK;
		ssize_t k = write(fd, buf, n);
		if (k <= 0)
			break;
		sent += (uint64_t)k;
	}
	close(fd);
	pthread_join(srv, NULL);
	uint64_t t1 = bench_now_ns(), cpu1 = bench_cpu_us();
	pthread_setaffinity_np(pthread_self(), sizeof(old), &old);
	close(sh.lfd);
	free(buf);

	double secs = (double)(t1 - t0) / 1e9, gbps = (double)sh.bytes * 8 / secs / 1e9;
	printf("kernel bulk (%s): %.0f MiB in %.3f s: %.2f Gbit/s, %.2f CPU s\n",
	       pin ? "both threads on CPU 0" : "unpinned, 2 CPUs", (double)sh.bytes / 1048576.0,
	       secs, gbps, (double)(cpu1 - cpu0) / 1e6);
	char name[64];
	snprintf(name, sizeof(name), "kernel.bulk.%s.gbit_per_sec", pin ? "1cpu" : "2cpu");
	bench_result(name, gbps, "Gbit/s");
}

int main(int argc, char **argv)
{
	struct opts o;

	parse(argc, argv, &o);
	if (bench_enter_netns("kernel"))
		return 77;
	for (int pin = 1; pin >= 0; pin--) {
		lifecycle(&o, pin);
		bulk(&o, pin);
	}
	return 0;
}
