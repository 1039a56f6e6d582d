/*
 * netns.c: what the benchmarks against the Linux kernel share (bench.h):
 * a network namespace of the process's own with its loopback up, interface
 * flags, and the kernel-side socket helpers (listen, read exactly n bytes).
 * The namespace is anonymous (unshare), so it goes when the process exits,
 * whatever the exit path.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

int bench_if_flags(int fd, const char *name, short set)
{
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
		return -1;
	if (set) {
		ifr.ifr_flags |= set;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
			return -1;
	}
	return ifr.ifr_flags;
}

int bench_enter_netns(const char *prog)
{
	if (geteuid() != 0) {
		printf("%s: skipped: needs root to create a network namespace\n", prog);
		return -1;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		printf("%s: skipped: unshare(CLONE_NEWNET): %s\n", prog, strerror(errno));
		return -1;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bench_if_flags(fd, "lo", IFF_UP) < 0) {
		printf("%s: skipped: cannot bring up lo in the namespace: %s\n", prog, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

struct sockaddr_in bench_sin(uint32_t addr, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(addr);
	return a;
}

int bench_tcp_listen(uint32_t addr, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_in a = bench_sin(addr, port);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1024)) {
		close(fd);
		return -1;
	}
	return fd;
}

int bench_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, (char *)buf + got, n - got);
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}
