/*
 * The packetdrill adapter (adapters/packetdrill) driven exactly as packetdrill
 * drives it: dlopen() of the built libsynack-packetdrill.so, its one exported
 * symbol, then socket calls through the function table and hand-built IPv4
 * datagrams through netdev_send/netdev_receive, on the real clock, with
 * blocking calls from a second thread as packetdrill makes them.
 *
 * The stack is 192.168.0.1 and the peer 192.0.2.1 (packetdrill's defaults);
 * the peer's port is 40000 and its ISN 1000.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <stddef.h>
#include <time.h>

#include "check.h"
#include "packetdrill_interface.h"

#define LOCAL 0xc0a80001u  /* 192.168.0.1 */
#define REMOTE 0xc0000201u /* 192.0.2.1 */
#define LPORT 8080
#define RPORT 40000
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

/* ---------------------------------------------------------------- loading */

static struct packetdrill_interface *pd_open(const char *flags)
{
	static void *so;
	static packetdrill_interface_init_t init;
	if (!so) {
		so = dlopen(PD_SO_PATH, RTLD_NOW | RTLD_LOCAL);
		if (!so) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			return NULL;
		}
		*(void **)&init = dlsym(so, "packetdrill_interface_init");
	}
	struct packetdrill_interface *p = calloc(1, sizeof(*p));
	if (init && p)
		init(flags, p);
	return p;
}

static void pd_close_ifc(struct packetdrill_interface *p)
{
	if (p->userdata)
		p->free(p->userdata);
	free(p);
}

/* ---------------------------------------------------------------- packets */

struct seg {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win, mss; /* mss: the option's value, 0 if absent */
	size_t len;
	const uint8_t *data;
	long long t_us;    /* netdev_receive's send time */
};

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* An IPv4 datagram with checksums, as packetdrill hands it to netdev_send. */
static size_t build(uint8_t *b, const struct seg *s)
{
	size_t thl = s->mss ? 24 : 20, tot = 20 + thl + s->len;
	memset(b, 0, 20 + thl);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)tot);
	b[8] = 64;
	b[9] = IPPROTO_TCP;
	put32(b + 12, s->src ? s->src : REMOTE);
	put32(b + 16, s->dst ? s->dst : LOCAL);
	put16(b + 10, fold(sum16(b, 20, 0)));
	uint8_t *t = b + 20;
	put16(t, s->sport ? s->sport : RPORT);
	put16(t + 2, s->dport ? s->dport : LPORT);
	put32(t + 4, s->seq);
	put32(t + 8, s->ack);
	t[12] = (uint8_t)(thl / 4 << 4);
	t[13] = s->flags;
	put16(t + 14, s->win ? s->win : 65535);
	if (s->mss) {
		t[20] = 2;
		t[21] = 4;
		put16(t + 22, s->mss);
	}
	if (s->len)
		memcpy(t + thl, s->data, s->len);
	uint32_t ph = sum16(b + 12, 8, 0) + IPPROTO_TCP + (uint32_t)(thl + s->len);
	put16(t + 16, fold(sum16(t, thl + s->len, ph)));
	return tot;
}

static int in(struct packetdrill_interface *p, const struct seg *s)
{
	uint8_t b[2048];
	return p->netdev_send(p->userdata, b, build(b, s));
}

/* How long to wait for a datagram the stack sends at once: generous, so a
 * loaded machine (ctest -j, other jobs) cannot fail a test; out() returns as
 * soon as the datagram is there. */
#define OUT_MS 10000

/* The next datagram the stack sends, waiting up to max_ms; 0 or -1. */
static int out(struct packetdrill_interface *p, struct seg *s, int max_ms)
{
	static uint8_t b[65536];
	struct timeval t0, t1;
	p->gettimeofday(p->userdata, &t0, NULL);
	for (;;) {
		size_t n = sizeof(b);
		if (p->netdev_receive(p->userdata, b, &n, &s->t_us) == 0) {
			size_t thl = (size_t)(b[20 + 12] >> 4) * 4;
			const uint8_t *t = b + 20;
			*s = (struct seg){.src = get32(b + 12), .dst = get32(b + 16), .sport = get16(t),
					  .dport = get16(t + 2), .seq = get32(t + 4), .ack = get32(t + 8),
					  .flags = t[13], .win = get16(t + 14), .len = n - 20 - thl,
					  .data = t + thl, .t_us = s->t_us};
			for (size_t o = 20; o + 4 <= thl && t[o] != 0; o += t[o] == 1 ? 1 : t[o + 1])
				if (t[o] == 2)
					s->mss = get16(t + o + 2);
			return 0;
		}
		p->gettimeofday(p->userdata, &t1, NULL);
		if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000 > max_ms)
			return -1;
	}
}

static long long now_us(struct packetdrill_interface *p)
{
	struct timeval t;
	p->gettimeofday(p->userdata, &t, NULL);
	return (long long)t.tv_sec * 1000000 + t.tv_usec;
}

/* ---------------------------------------------------------------- calls */

static int listener(struct packetdrill_interface *p)
{
	int fd = p->socket(p->userdata, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(LPORT),
				.sin_addr.s_addr = htonl(LOCAL)};
	if (fd < 0 || p->bind(p->userdata, fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    p->listen(p->userdata, fd, 4) < 0)
		return -1;
	return fd;
}

/* A blocking call on a second thread, as packetdrill makes one. */
struct call {
	struct packetdrill_interface *p;
	int fd;
	struct sockaddr_in addr;
	long rc;
	int err;
	long long t_done;
	atomic_int tid;      /* the calling thread's id, once it runs */
};

/* Wait (at most 10 s) until thread tid sleeps in futex(2): a call blocked in
 * the adapter waits on its condition variable there, and only then may the
 * test go on (data that must wake it; free() that must release it, which
 * would race a call still on its way in). The main thread holds no adapter
 * lock meanwhile, so no other futex wait is possible. */
static int wait_blocked(atomic_int *tid)
{
	for (int i = 0; i < 10000; i++) {
		char path[64], buf[32] = "";
		int t = atomic_load(tid);
		snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", t);
		FILE *f = t ? fopen(path, "r") : NULL;
		if (f) {
			int got = fgets(buf, sizeof(buf), f) != NULL;
			fclose(f);
			if (got && atol(buf) == SYS_futex)
				return 0;
		}
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void *accept_thread(void *arg)
{
	struct call *c = arg;
	socklen_t len = sizeof(c->addr);
	c->rc = c->p->accept(c->p->userdata, c->fd, (struct sockaddr *)&c->addr, &len);
	c->err = errno;
	return NULL;
}

static void *connect_thread(void *arg)
{
	struct call *c = arg;
	c->rc = c->p->connect(c->p->userdata, c->fd, (struct sockaddr *)&c->addr, sizeof(c->addr));
	c->err = errno;
	return NULL;
}

static void *read_thread(void *arg)
{
	struct call *c = arg;
	char buf[64];
	atomic_store(&c->tid, (int)syscall(SYS_gettid));
	c->rc = c->p->read(c->p->userdata, c->fd, buf, sizeof(buf));
	c->err = errno;
	if (c->rc >= 0) /* after a failure the adapter may be gone (free) */
		c->t_done = now_us(c->p);
	return NULL;
}

/* SYN in, SYN,ACK out, ACK in: returns our ISN, or 0 on a failed check. */
static uint32_t handshake(struct packetdrill_interface *p)
{
	struct seg o;
	if (in(p, &(struct seg){.seq = 1000, .flags = F_SYN, .mss = 1460}) != 0 || out(p, &o, OUT_MS) ||
	    o.flags != (F_SYN | F_ACK) || o.ack != 1001)
		return 0;
	in(p, &(struct seg){.seq = 1001, .ack = o.seq + 1, .flags = F_ACK});
	return o.seq;
}

/* ---------------------------------------------------------------- tests */

TEST(init_fills_every_member_and_rejects_bad_flags)
{
	struct packetdrill_interface *p = pd_open(NULL);
	CHECK(p && p->userdata);
	void (*const *fn)(void) = (void (*const *)(void))&p->free;
	size_t n = (sizeof(*p) - offsetof(struct packetdrill_interface, free)) / sizeof(*fn);
	CHECK_EQ(n, 32); /* free + the 31 calls, in the interface's order */
	for (size_t i = 0; i < n; i++)
		CHECK(fn[i] != NULL);
	pd_close_ifc(p);
	p = pd_open("local=10.0.0.1,bogus=1");
	CHECK(p && !p->userdata && !p->socket);
	pd_close_ifc(p);
	p = pd_open("local=300.1.1.1");
	CHECK(p && !p->userdata);
	pd_close_ifc(p);
}

/* packetdrill's script shape: listen, a blocking accept on its second
 * thread, the handshake from netdev_send, then data both ways and a passive
 * close (RFC 9293 §3.5, §3.6). */
TEST(passive_open_data_close_with_blocking_accept)
{
	struct packetdrill_interface *p = pd_open("");
	struct seg o;
	char buf[16];
	CHECK(p && p->userdata);
	int lfd = listener(p);
	CHECK(lfd >= 0);
	CHECK(fcntl(lfd, F_GETFD) >= 0); /* a real descriptor, which the host may close */
	struct call c = {.p = p, .fd = lfd};
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, accept_thread, &c), 0);
	long long t0 = now_us(p);
	CHECK_EQ(in(p, &(struct seg){.seq = 1000, .flags = F_SYN, .mss = 1000}), 0);
	CHECK_EQ(out(p, &o, OUT_MS), 0);
	CHECK_EQ(o.flags, F_SYN | F_ACK);
	CHECK_EQ(o.src, LOCAL);
	CHECK_EQ(o.dst, REMOTE);
	CHECK_EQ(o.sport, LPORT);
	CHECK_EQ(o.dport, RPORT);
	CHECK_EQ(o.ack, 1001);
	CHECK_EQ(o.mss, 1460);
	CHECK(o.t_us >= t0 && o.t_us <= now_us(p)); /* packetdrill's timebase */
	uint32_t iss = o.seq;
	CHECK_EQ(in(p, &(struct seg){.seq = 1001, .ack = iss + 1, .flags = F_ACK}), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK(c.rc >= 0);
	int fd = (int)c.rc;
	CHECK(fcntl(fd, F_GETFD) >= 0);
	CHECK_EQ(ntohl(c.addr.sin_addr.s_addr), REMOTE);
	CHECK_EQ(ntohs(c.addr.sin_port), RPORT);

	CHECK_EQ(in(p, &(struct seg){.seq = 1001, .ack = iss + 1, .flags = F_ACK | F_PSH, .len = 5,
				     .data = (const uint8_t *)"hello"}), 0);
	int avail = -1;
	CHECK_EQ(p->ioctl(p->userdata, fd, FIONREAD, &avail), 0);
	CHECK_EQ(avail, 5);
	CHECK_EQ(p->read(p->userdata, fd, buf, sizeof(buf)), 5);
	CHECK(!memcmp(buf, "hello", 5));
	CHECK_EQ(p->write(p->userdata, fd, "world!", 6), 6);
	CHECK_EQ(out(p, &o, OUT_MS), 0);
	CHECK_EQ(o.flags & (F_SYN | F_FIN | F_RST | F_ACK), F_ACK);
	CHECK_EQ(o.len, 6);
	CHECK(!memcmp(o.data, "world!", 6));
	CHECK_EQ(o.seq, iss + 1);
	CHECK_EQ(o.ack, 1006); /* the data's ACK rides on ours */

	CHECK_EQ(in(p, &(struct seg){.seq = 1006, .ack = iss + 7, .flags = F_ACK | F_FIN}), 0);
	CHECK_EQ(p->read(p->userdata, fd, buf, sizeof(buf)), 0); /* end of stream */
	CHECK_EQ(out(p, &o, OUT_MS), 0);
	CHECK_EQ(o.flags, F_ACK);
	CHECK_EQ(o.ack, 1007);
	CHECK_EQ(p->close(p->userdata, fd), 0);
	CHECK(fcntl(fd, F_GETFD) < 0); /* the real descriptor went with it */
	CHECK_EQ(out(p, &o, OUT_MS), 0);
	CHECK_EQ(o.flags, F_ACK | F_FIN);
	CHECK_EQ(o.seq, iss + 7);
	CHECK_EQ(p->close(p->userdata, lfd), 0);
	pd_close_ifc(p);
}

/* A blocking connect on the second thread returns 0 once our ACK of the
 * SYN,ACK is out; a refused one (RST,ACK) returns ECONNREFUSED. */
TEST(active_open_blocking_connect_and_refusal)
{
	struct packetdrill_interface *p = pd_open(NULL);
	struct seg o;
	pthread_t th;
	CHECK(p && p->userdata);
	struct call c = {.p = p, .addr = {.sin_family = AF_INET, .sin_port = htons(RPORT),
					  .sin_addr.s_addr = htonl(REMOTE)}};
	c.fd = p->socket(p->userdata, AF_INET, SOCK_STREAM, 0);
	CHECK(c.fd >= 0);
	CHECK_EQ(pthread_create(&th, NULL, connect_thread, &c), 0);
	CHECK_EQ(out(p, &o, OUT_MS), 0);
	CHECK_EQ(o.flags, F_SYN);
	CHECK_EQ(o.dport, RPORT);
	CHECK_EQ(o.mss, 1460);
	CHECK_EQ(in(p, &(struct seg){.sport = RPORT, .dport = o.sport, .seq = 7000, .ack = o.seq + 1,
				     .flags = F_SYN | F_ACK, .mss = 1460}), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(c.rc, 0);
	struct seg a;
	CHECK_EQ(out(p, &a, OUT_MS), 0);
	CHECK_EQ(a.flags, F_ACK);
	CHECK_EQ(a.ack, 7001);
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	CHECK_EQ(p->getsockopt(p->userdata, c.fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	CHECK_EQ(ti.tcpi_state, TCP_ESTABLISHED);
	CHECK_EQ(ti.tcpi_snd_mss, 1460);

	c.fd = p->socket(p->userdata, AF_INET, SOCK_STREAM, 0);
	CHECK_EQ(pthread_create(&th, NULL, connect_thread, &c), 0);
	CHECK_EQ(out(p, &o, OUT_MS), 0);
	CHECK_EQ(o.flags, F_SYN);
	CHECK_EQ(in(p, &(struct seg){.sport = RPORT, .dport = o.sport, .seq = 0, .ack = o.seq + 1,
				     .flags = F_RST | F_ACK}), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(c.rc, -1);
	CHECK_EQ(c.err, ECONNREFUSED);
	pd_close_ifc(p);
}

/* The stack runs on the real clock while packetdrill sleeps in usleep: an
 * unanswered SYN,ACK is retransmitted after the initial RTO, 1 s
 * (RFC 6298 (2.1)), and netdev_receive stamps it with its send time. */
TEST(timers_run_in_real_time_during_usleep)
{
	struct packetdrill_interface *p = pd_open("seed=7");
	struct seg o, r;
	CHECK(p && p->userdata);
	CHECK(listener(p) >= 0);
	CHECK_EQ(in(p, &(struct seg){.seq = 1000, .flags = F_SYN, .mss = 1460}), 0);
	CHECK_EQ(out(p, &o, OUT_MS), 0);
	CHECK_EQ(p->usleep(p->userdata, 1200000), 0);
	CHECK_EQ(out(p, &r, 0), 0); /* already queued when usleep returned */
	CHECK_EQ(r.flags, F_SYN | F_ACK);
	CHECK_EQ(r.seq, o.seq);
	long long gap = r.t_us - o.t_us;
	/* not before 1 s; after it by no more than a loaded machine's late
	 * wake-up (500 ms): still clear of a 2 s (doubled) or 3 s (RFC 1122)
	 * initial RTO */
	CHECK(gap >= 990000 && gap < 1500000);
	pd_close_ifc(p);
}

/* O_NONBLOCK through fcntl, Linux's errors through errno, libc's answer for
 * a descriptor that is not a synack socket. */
TEST(nonblocking_and_errors_as_linux_reports_them)
{
	struct packetdrill_interface *p = pd_open(NULL);
	char buf[8];
	CHECK(p && p->userdata);
	errno = 0;
	CHECK_EQ(p->socket(p->userdata, AF_INET6, SOCK_STREAM, 0), -1);
	CHECK_EQ(errno, EAFNOSUPPORT);
	CHECK_EQ(p->socket(p->userdata, AF_INET, SOCK_DGRAM, 0), -1);
	CHECK_EQ(errno, EPROTONOSUPPORT);
	int lfd = listener(p);
	CHECK(lfd >= 0);
	CHECK_EQ(p->fcntl(p->userdata, lfd, F_GETFL) & O_NONBLOCK, 0);
	CHECK_EQ(p->fcntl(p->userdata, lfd, F_SETFL, O_RDWR | O_NONBLOCK), 0);
	CHECK(p->fcntl(p->userdata, lfd, F_GETFL) & O_NONBLOCK);
	CHECK_EQ(p->accept(p->userdata, lfd, NULL, NULL), -1);
	CHECK_EQ(errno, EAGAIN);
	int s = p->socket(p->userdata, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(s >= 0);
	CHECK_EQ(p->read(p->userdata, s, buf, sizeof(buf)), -1);
	CHECK_EQ(errno, ENOTCONN);
	int v = 1;
	CHECK_EQ(p->setsockopt(p->userdata, s, SOL_SOCKET, SO_BROADCAST, &v, sizeof(v)), -1);
	CHECK_EQ(errno, ENOPROTOOPT);
	CHECK_EQ(p->setsockopt(p->userdata, s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)), 0);
	socklen_t len = sizeof(v);
	v = 0;
	CHECK_EQ(p->getsockopt(p->userdata, s, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
	CHECK_EQ(v, 1);
	struct linger l = {1, 0}, g;
	CHECK_EQ(p->setsockopt(p->userdata, s, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
	len = sizeof(g);
	CHECK_EQ(p->getsockopt(p->userdata, s, SOL_SOCKET, SO_LINGER, &g, &len), 0);
	CHECK(g.l_onoff == 1 && g.l_linger == 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(LPORT),
				.sin_addr.s_addr = htonl(LOCAL)};
	CHECK_EQ(p->bind(p->userdata, s, (struct sockaddr *)&a, sizeof(a)), -1);
	CHECK_EQ(errno, EADDRINUSE);
	CHECK_EQ(p->connect(p->userdata, s, (struct sockaddr *)&(struct sockaddr_in){
				   .sin_family = AF_INET, .sin_port = htons(RPORT),
				   .sin_addr.s_addr = htonl(REMOTE)}, sizeof(a)), -1);
	CHECK_EQ(errno, EINPROGRESS);
	int pipefd[2];
	CHECK_EQ(p->pipe(p->userdata, pipefd), 0);
	CHECK_EQ(p->recv(p->userdata, pipefd[0], buf, 1, 0), -1);
	CHECK_EQ(errno, ENOTSOCK);
	CHECK_EQ(p->write(p->userdata, pipefd[1], "x", 1), 1);
	CHECK_EQ(p->read(p->userdata, pipefd[0], buf, 1), 1);
	CHECK_EQ(p->close(p->userdata, pipefd[0]), 0);
	CHECK_EQ(p->close(p->userdata, pipefd[1]), 0);
	pd_close_ifc(p);
}

/* poll and epoll see the listener become readable when the handshake
 * completes, and a connected socket writable. */
TEST(poll_and_epoll_report_readiness)
{
	struct packetdrill_interface *p = pd_open(NULL);
	CHECK(p && p->userdata);
	int lfd = listener(p);
	CHECK(lfd >= 0);
	struct pollfd pfd = {.fd = lfd, .events = POLLIN};
	CHECK_EQ(p->poll(p->userdata, &pfd, 1, 0), 0);
	int ep = p->epoll_create(p->userdata, 1);
	CHECK(ep >= 0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 42}, got[2];
	CHECK_EQ(p->epoll_ctl(p->userdata, ep, EPOLL_CTL_ADD, lfd, &ev), 0);
	CHECK_EQ(p->epoll_ctl(p->userdata, ep, EPOLL_CTL_ADD, lfd, &ev), -1);
	CHECK_EQ(errno, EEXIST);
	ev.events = EPOLLIN | EPOLLET;
	CHECK_EQ(p->epoll_ctl(p->userdata, ep, EPOLL_CTL_MOD, lfd, &ev), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(p->epoll_wait(p->userdata, ep, got, 2, 10), 0);
	uint32_t iss = handshake(p);
	CHECK(iss != 0);
	CHECK_EQ(p->poll(p->userdata, &pfd, 1, 1000), 1);
	CHECK_EQ(pfd.revents, POLLIN);
	CHECK_EQ(p->epoll_wait(p->userdata, ep, got, 2, -1), 1);
	CHECK_EQ(got[0].events, EPOLLIN);
	CHECK_EQ(got[0].data.u32, 42);
	int fd = p->accept(p->userdata, lfd, NULL, NULL);
	CHECK(fd >= 0);
	struct pollfd w = {.fd = fd, .events = POLLIN | POLLOUT};
	CHECK_EQ(p->poll(p->userdata, &w, 1, 0), 1);
	CHECK_EQ(w.revents, POLLOUT);
	CHECK_EQ(p->close(p->userdata, ep), 0);
	pd_close_ifc(p);
}

/* A read blocked on the second thread returns when data arrives, not
 * before; free() at the end releases a call still blocked (EINTR). */
TEST(blocking_read_wakes_on_data_and_free_releases_blocked_calls)
{
	struct packetdrill_interface *p = pd_open(NULL);
	pthread_t th;
	CHECK(p && p->userdata);
	int lfd = listener(p);
	uint32_t iss = handshake(p);
	CHECK(iss != 0);
	int fd = p->accept(p->userdata, lfd, NULL, NULL);
	CHECK(fd >= 0);
	struct call c = {.p = p, .fd = fd};
	CHECK_EQ(pthread_create(&th, NULL, read_thread, &c), 0);
	CHECK_EQ(wait_blocked(&c.tid), 0);
	long long t_in = now_us(p);
	CHECK_EQ(in(p, &(struct seg){.seq = 1001, .ack = iss + 1, .flags = F_ACK | F_PSH, .len = 3,
				     .data = (const uint8_t *)"abc"}), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(c.rc, 3);
	/* woken by the data, not by the adapter's once-a-second re-check */
	CHECK(c.t_done >= t_in && c.t_done < t_in + 500000);

	c.t_done = 0;
	atomic_store(&c.tid, 0);
	CHECK_EQ(pthread_create(&th, NULL, read_thread, &c), 0);
	CHECK_EQ(wait_blocked(&c.tid), 0);
	struct packetdrill_interface *q = p;
	q->free(q->userdata); /* returns once the blocked read has let go */
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(c.rc, -1);
	CHECK_EQ(c.err, EINTR);
	free(q);
}

/* --so_flags moves the stack (and the peer it sends to) off the defaults;
 * the old address is no longer ours. */
TEST(so_flags_local_and_remote)
{
	struct packetdrill_interface *p = pd_open("local=10.1.0.1,remote=10.2.0.2,mtu=1040");
	struct seg o;
	CHECK(p && p->userdata);
	int fd = p->socket(p->userdata, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(LPORT)};
	CHECK_EQ(p->bind(p->userdata, fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(p->listen(p->userdata, fd, 1), 0);
	CHECK_EQ(in(p, &(struct seg){.seq = 1000, .flags = F_SYN, .mss = 1460}), 0);
	CHECK_EQ(out(p, &o, 100), -1); /* to 192.168.0.1: not ours any more */
	CHECK_EQ(in(p, &(struct seg){.src = 0x0a020002, .dst = 0x0a010001, .seq = 1000,
				     .flags = F_SYN, .mss = 1460}), 0);
	CHECK_EQ(out(p, &o, OUT_MS), 0);
	CHECK_EQ(o.flags, F_SYN | F_ACK);
	CHECK_EQ(o.src, 0x0a010001);
	CHECK_EQ(o.dst, 0x0a020002);
	CHECK_EQ(o.mss, 1000);
	pd_close_ifc(p);
}
