/*
 * link.h: links (what carries a stack's datagrams) and the event loop that
 * joins a stack to one.
 *
 * A link moves whole IPv4 datagrams: the Linux TUN device (tun.h), or a
 * decorator around another link, such as the seeded fault injector
 * (synack_impair_link_create in impair.h). Every link has the same small
 * contract, so a decorator wraps any of them:
 *
 *   - recv(now) returns one datagram that is due (> 0 bytes), 0 when none is
 *     ready now, or a negative errno; it never blocks;
 *   - send(now) hands one datagram over; a datagram the link cannot take now
 *     (a full device queue: -EAGAIN/-ENOBUFS) is dropped and counted, never
 *     queued without bound: TCP retransmits, as over any lossy link;
 *   - fd() is a descriptor that becomes readable when recv may return data
 *     (-1 if none), and next_deadline() the time recv or poll should run again
 *     without any fd activity (a decorator's delayed datagrams); poll(now)
 *     runs what is due at now.
 * Time is microseconds on CLOCK_MONOTONIC (synack_loop_now()).
 *
 * The event loop owns nothing but an epoll descriptor. Each round it waits
 * on the link's fd and the application's fds, no longer than the earliest of
 * the stack's and the link's deadlines; then it reads up to a batch of
 * datagrams and hands them to synack_stack_input_batch(), runs
 * synack_stack_poll() and the link's poll, calls the application's fd
 * callbacks and its hook (where it drives its sockets), and sends what the
 * stack emits through the link. An
 * application may run the loop (synack_loop_run) or embed it: add
 * synack_loop_fd() to its own poller, wait at most synack_loop_timeout_ms(),
 * then call synack_loop_run_once(l, 0).
 *
 * Nothing here is thread-safe: a stack, its link and its loop belong to one
 * thread (shared-nothing: one stack per core, docs/architecture.md).
 */
#ifndef SYNACK_LINK_H
#define SYNACK_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* ssize_t */

#include "synack/synack.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- links */

struct synack_link_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_dropped;   /* the device queue was full (EAGAIN, ENOBUFS): dropped */
	uint64_t tx_errors;    /* other write errors: dropped */
	uint64_t rx_errors;    /* read errors other than EAGAIN */
	uint64_t queue_drops;  /* a decorator's delay queue was full: dropped */
};

struct synack_link;

struct synack_link_ops {
	const char *kind;      /* "tun", "impair", ... */
	ssize_t (*recv)(struct synack_link *l, uint64_t now, uint8_t *buf, size_t cap);
	int (*send)(struct synack_link *l, uint64_t now, const uint8_t *pkt, size_t len);
	int (*fd)(const struct synack_link *l);
	uint64_t (*next_deadline)(const struct synack_link *l);
	void (*poll)(struct synack_link *l, uint64_t now);
	void (*destroy)(struct synack_link *l);
};

/* Every link starts with this header; implementations embed it first. */
struct synack_link {
	const struct synack_link_ops *ops;
	struct synack_link_stats stats;
};

/* One datagram into buf[0..cap): its length, 0 if none is due, -errno. */
ssize_t synack_link_recv(struct synack_link *l, uint64_t now, uint8_t *buf, size_t cap);
/* 0 when handed over (or deliberately delayed/lost by a decorator),
 * -EAGAIN/-ENOBUFS when dropped on a full queue, another -errno on error.
 * Every drop is counted in the stats. */
int synack_link_send(struct synack_link *l, uint64_t now, const uint8_t *pkt, size_t len);
int synack_link_fd(const struct synack_link *l);
uint64_t synack_link_next_deadline(const struct synack_link *l);
void synack_link_poll(struct synack_link *l, uint64_t now);
/* Frees the link (a decorator frees the link it wraps too). NULL is fine. */
void synack_link_destroy(struct synack_link *l);
void synack_link_stats(const struct synack_link *l, struct synack_link_stats *out);

/* ---------------------------------------------------------------- loop */

typedef struct synack_loop synack_loop;

/* The application's turn, after every round (input, timers, fd callbacks). */
typedef void (*synack_loop_hook_fn)(void *ctx, synack_loop *l, uint64_t now);
/* An application fd became ready; revents are epoll bits (EPOLLIN, ...). */
typedef void (*synack_loop_fd_fn)(void *ctx, int fd, uint32_t revents);

#define SYNACK_LOOP_BATCH 64   /* datagrams read per round before timers run */
#define SYNACK_LOOP_MAX_FDS 16 /* application fds per loop */

/* Joins st and link: installs the stack's output callback (which sends
 * through the link) and creates the epoll descriptor. Neither st nor link
 * is owned. 0, -ENOMEM, or the -errno of epoll_create1/epoll_ctl. */
int synack_loop_create(synack_stack *st, struct synack_link *link, synack_loop **out);
/* Detaches the output callback; frees the loop only. */
void synack_loop_destroy(synack_loop *l);
void synack_loop_set_hook(synack_loop *l, synack_loop_hook_fn fn, void *ctx);
/* Also wait for fd (events: EPOLLIN and/or EPOLLOUT). -EEXIST, -ENOSPC
 * (SYNACK_LOOP_MAX_FDS), or epoll_ctl's -errno. */
int synack_loop_add_fd(synack_loop *l, int fd, uint32_t events, synack_loop_fd_fn fn, void *ctx);
int synack_loop_del_fd(synack_loop *l, int fd);
/* One round: wait up to min(max_wait_ms, the next deadline) (-1: no limit
 * but the deadline; 0: do not wait), then process. 0 or a negative errno
 * (a failed epoll_wait; EINTR is not an error). */
int synack_loop_run_once(synack_loop *l, int max_wait_ms);
/* Rounds until synack_loop_stop() (from a hook or callback) or an error.
 * The first round does not wait, so the hook runs at once. */
int synack_loop_run(synack_loop *l);
/* The next round does not wait: the application has work no fd or deadline
 * announces (data from a regular file, which epoll cannot watch). Call it
 * from the hook, or before a round; it lasts one round. */
void synack_loop_wake(synack_loop *l);
void synack_loop_stop(synack_loop *l);
/* Embedding: the loop's epoll descriptor (readable when a round has work)
 * and how long one may wait before the next round is due (-1: no deadline). */
int synack_loop_fd(const synack_loop *l);
int synack_loop_timeout_ms(const synack_loop *l);
synack_stack *synack_loop_stack(const synack_loop *l);
struct synack_link *synack_loop_link(const synack_loop *l);
/* CLOCK_MONOTONIC in microseconds: the clock the loop feeds the stack. */
uint64_t synack_loop_now(void);

#ifdef __cplusplus
}
#endif

#endif
