/*
 * loop.c: the event loop that joins one stack to one link
 * (include/synack/link.h).
 *
 * A round, in order:
 *   1. wait in epoll_wait on the link's fd and the application's fds, for
 *      no longer than the earliest deadline (the stack's timers, the link's
 *      delayed datagrams), rounded up to whole milliseconds so a round never
 *      wakes just before its deadline and spins;
 *   2. read the clock once (CLOCK_MONOTONIC, µs): everything in the round
 *      happens at that `now`, which is also what the output callback hands
 *      the link;
 *   3. read up to SYNACK_LOOP_BATCH datagrams from the link (as many as
 *      fit LOOP_ARENA, packed), then hand them to the stack in one
 *      synack_stack_input_batch(), then synack_stack_poll() and the link's
 *      poll. All are read before the stack sees any: what the stack sends
 *      meanwhile goes to the link at once, and a peer in the same host (the
 *      kernel behind a TUN device) may answer before the write returns;
 *      read in the same round, that answer would carry the round's `now`
 *      and measure a round trip of 0 (RFC 6298's SRTT, RACK's min_RTT). It
 *      is read in the next round, at that round's time;
 *   4. run the callbacks of the application fds that were ready, then the
 *      hook, where the application drives its sockets.
 * If the batch was full, the next round does not wait: the link still has
 * data, and the level-triggered fd would say so anyway. Nor does it wait
 * after synack_loop_wake(): the application has work that no fd or deadline
 * announces (a regular file epoll cannot watch, a request to send before
 * any packet has arrived), and a loop that slept then would sleep until
 * some unrelated datagram (an IPv6 router solicitation, seconds later)
 * happened to wake it. synack_loop_run() wakes itself once at the start, so
 * the hook has its first turn at once.
 *
 * Creating the loop polls the stack once at the current time, so the stack's
 * clock is the loop's before the application makes its first socket call.
 * The loop never blocks anywhere but in epoll_wait and never owns the stack
 * or the link. Bounds: SYNACK_LOOP_MAX_FDS application fds (-ENOSPC beyond).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "synack/link.h"

#define LOOP_RXBUF 65536 /* the largest IPv4 datagram */
#define LOOP_ARENA (4 * LOOP_RXBUF) /* a round's datagrams, packed */
#define LOOP_LINK_TAG (-1)

struct loop_fd {
	int fd;             /* -1: free slot */
	synack_loop_fd_fn fn;
	void *ctx;
	uint32_t revents;   /* ready in the current round */
};

struct synack_loop {
	synack_stack *st;
	struct synack_link *link;
	int epfd;
	int stop;
	int more;           /* the last round read a full batch: do not wait */
	int woken;          /* synack_loop_wake() since the last wait: do not wait */
	uint64_t now;       /* the current round's time */
	synack_loop_hook_fn hook;
	void *hook_ctx;
	struct loop_fd fds[SYNACK_LOOP_MAX_FDS];
	uint8_t rxbuf[LOOP_ARENA];
};

uint64_t synack_loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The stack's output callback: every datagram goes to the link at once.
 * A refused datagram is already counted by the link. */
static void loop_output(void *ctx, const uint8_t *pkt, size_t len)
{
	synack_loop *l = ctx;

	(void)synack_link_send(l->link, l->now ? l->now : synack_loop_now(), pkt, len);
}

int synack_loop_create(synack_stack *st, struct synack_link *link, synack_loop **out)
{
	synack_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->st = st;
	l->link = link;
	for (int i = 0; i < SYNACK_LOOP_MAX_FDS; i++)
		l->fds[i].fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int err = -errno;
		free(l);
		return err;
	}
	int lfd = synack_link_fd(link);
	if (lfd >= 0) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)(int64_t)LOOP_LINK_TAG};
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, lfd, &ev) < 0) {
			int err = -errno;
			close(l->epfd);
			free(l);
			return err;
		}
	}
	synack_stack_set_output(st, loop_output, l);
	/* The stack's clock starts at the loop's time, so that socket calls
	 * made before the first round (a connect) happen now, not at 0: a SYN
	 * timestamped at 0 and answered now would be an RTT of the uptime. */
	synack_stack_poll(st, synack_loop_now());
	*out = l;
	return 0;
}

void synack_loop_destroy(synack_loop *l)
{
	if (!l)
		return;
	synack_stack_set_output(l->st, NULL, NULL);
	close(l->epfd);
	free(l);
}

void synack_loop_set_hook(synack_loop *l, synack_loop_hook_fn fn, void *ctx)
{
	l->hook = fn;
	l->hook_ctx = ctx;
}

int synack_loop_add_fd(synack_loop *l, int fd, uint32_t events, synack_loop_fd_fn fn, void *ctx)
{
	int slot = -1;

	for (int i = 0; i < SYNACK_LOOP_MAX_FDS; i++) {
		if (l->fds[i].fd == fd)
			return -EEXIST;
		if (l->fds[i].fd < 0 && slot < 0)
			slot = i;
	}
	if (slot < 0)
		return -ENOSPC;
	struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)slot};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->fds[slot] = (struct loop_fd){fd, fn, ctx, 0};
	return 0;
}

int synack_loop_del_fd(synack_loop *l, int fd)
{
	for (int i = 0; i < SYNACK_LOOP_MAX_FDS; i++) {
		if (l->fds[i].fd != fd)
			continue;
		l->fds[i].fd = -1;
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL); /* fails if fd was closed: fine */
		return 0;
	}
	return -ENOENT;
}

static uint64_t loop_deadline(const synack_loop *l)
{
	uint64_t a = synack_stack_next_deadline(l->st);
	uint64_t b = synack_link_next_deadline(l->link);
	return a < b ? a : b;
}

int synack_loop_timeout_ms(const synack_loop *l)
{
	if (l->more || l->woken)
		return 0;
	uint64_t d = loop_deadline(l);
	if (d == UINT64_MAX)
		return -1;
	uint64_t now = synack_loop_now();
	if (d <= now)
		return 0;
	uint64_t ms = (d - now + 999) / 1000; /* round up: never wake before the deadline */
	return ms > 60000 ? 60000 : (int)ms;
}

/* Step 3: read a batch of datagrams, then into the stack; then its timers
 * and the link's. Each datagram starts 8-byte aligned in the arena, and a
 * read is offered room for the largest one. */
static void loop_io(synack_loop *l)
{
	const uint8_t *pkts[SYNACK_LOOP_BATCH];
	size_t lens[SYNACK_LOOP_BATCH];
	size_t used = 0, n = 0;

	while (n < SYNACK_LOOP_BATCH && LOOP_ARENA - used >= LOOP_RXBUF) {
		ssize_t len = synack_link_recv(l->link, l->now, l->rxbuf + used, LOOP_RXBUF);
		if (len <= 0)
			break;
		pkts[n] = l->rxbuf + used;
		lens[n++] = (size_t)len;
		used += ((size_t)len + 7) & ~(size_t)7;
	}
	l->more = n == SYNACK_LOOP_BATCH || LOOP_ARENA - used < LOOP_RXBUF;
	synack_stack_input_batch(l->st, l->now, pkts, lens, n);
	synack_stack_poll(l->st, l->now);
	synack_link_poll(l->link, l->now);
}

int synack_loop_run_once(synack_loop *l, int max_wait_ms)
{
	struct epoll_event evs[SYNACK_LOOP_MAX_FDS + 1];
	int timeout = synack_loop_timeout_ms(l);

	if (max_wait_ms >= 0 && (timeout < 0 || max_wait_ms < timeout))
		timeout = max_wait_ms;
	l->woken = 0;
	int n = epoll_wait(l->epfd, evs, SYNACK_LOOP_MAX_FDS + 1, timeout);
	if (n < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; i < n; i++)
		if (evs[i].data.u64 != (uint64_t)(int64_t)LOOP_LINK_TAG)
			l->fds[evs[i].data.u64].revents = evs[i].events;
	l->now = synack_loop_now();
	loop_io(l);
	for (int i = 0; i < SYNACK_LOOP_MAX_FDS; i++) {
		struct loop_fd *f = &l->fds[i];
		uint32_t rev = f->revents;
		f->revents = 0;
		if (f->fd >= 0 && rev && f->fn)
			f->fn(f->ctx, f->fd, rev);
	}
	if (l->hook)
		l->hook(l->hook_ctx, l, l->now);
	return 0;
}

void synack_loop_wake(synack_loop *l)
{
	l->woken = 1;
}

int synack_loop_run(synack_loop *l)
{
	l->stop = 0;
	l->woken = 1; /* the hook's first turn comes before any wait */
	while (!l->stop) {
		int err = synack_loop_run_once(l, -1);
		if (err)
			return err;
	}
	return 0;
}

void synack_loop_stop(synack_loop *l)
{
	l->stop = 1;
}

int synack_loop_fd(const synack_loop *l)
{
	return l->epfd;
}

synack_stack *synack_loop_stack(const synack_loop *l)
{
	return l->st;
}

struct synack_link *synack_loop_link(const synack_loop *l)
{
	return l->link;
}
