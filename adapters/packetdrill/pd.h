/*
 * pd.h: the state behind libsynack-packetdrill.so, shared by its files.
 *
 * One adapter holds one synack stack on the real clock. packetdrill calls in
 * from its main thread and, for blocking system calls, from a second one, so
 * every entry point takes the adapter's mutex for its whole run and calls
 * pd_enter(), which first runs the stack's timers up to the present (the stack
 * is sans-IO; the adapter is its driver). A call that must block waits on the
 * condition variable, which every entry point signals on its way out and
 * whose timed wait ends at the stack's next timer, so timers fire on time
 * while nobody calls in.
 *
 * Every socket is backed by a real descriptor opened on /dev/null: that
 * number is what packetdrill sees, and what its host close() releases if the
 * script leaves it open. Descriptors the adapter did not create (pipes) pass
 * through to libc. Tables are bounded: PD_MAX_FDS descriptors, PD_OUTQ_MAX
 * datagrams waiting for netdev_receive (beyond it, counted drops).
 */
#ifndef SYNACK_PD_H
#define SYNACK_PD_H

#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "packetdrill_interface.h"
#include "synack/synack.h"

#define PD_MAX_FDS 256       /* sockets and epoll instances */
#define PD_EPOLL_MAX 64      /* interest list entries per epoll instance */
#define PD_OUTQ_MAX 4096     /* datagrams sent by the stack, not yet read */
#define PD_RECV_WAIT_US 20000 /* netdev_receive waits this long for a datagram */

enum pd_kind { PD_FREE = 0, PD_SOCK, PD_EPOLL };

struct pd_epoll_item {
	int fd;
	uint32_t events;
	epoll_data_t data;
};

struct pd_fd {
	enum pd_kind kind;
	int fd;        /* the real descriptor (open on /dev/null) the script sees */
	int sock;      /* PD_SOCK: the synack socket */
	int nonblock;  /* O_NONBLOCK (fcntl, SOCK_NONBLOCK, FIONBIO) */
	int nitems;    /* PD_EPOLL: the interest list */
	struct pd_epoll_item items[PD_EPOLL_MAX];
};

struct pd_pkt {
	uint64_t t_us;  /* stack time it was sent */
	size_t len;
	uint8_t *data;
};

struct pd_adapter {
	pthread_mutex_t lock;
	pthread_cond_t changed;  /* signalled on every exit from an entry point */
	synack_stack *st;
	uint32_t local, remote;  /* host order; --so_flags local=, remote= */
	uint64_t block_timeout_us; /* a blocking call gives up (-EAGAIN) after this; 0: never */
	uint64_t mono0_us;       /* CLOCK_MONOTONIC at init ... */
	int64_t wall0_us;        /* ... and CLOCK_REALTIME then: gettimeofday's base */
	int closing;             /* free() has begun: blocked calls return -EINTR */
	int blocked;             /* calls waiting on `changed` */
	struct pd_fd fds[PD_MAX_FDS];
	struct pd_pkt outq[PD_OUTQ_MAX]; /* ring */
	unsigned out_head, out_len;
	uint64_t out_dropped;    /* queue full */
	uint64_t out_filtered;   /* addressed to someone other than `remote` */
};

/* Entry and exit of every interface function: lock, run due timers; signal
 * waiters, unlock. */
void pd_enter(struct pd_adapter *ad);
void pd_leave(struct pd_adapter *ad);
/* The stack's clock (CLOCK_MONOTONIC, µs) and gettimeofday's (µs). */
uint64_t pd_now(const struct pd_adapter *ad);
int64_t pd_wall(const struct pd_adapter *ad, uint64_t now);
/* The deadline of a blocking call starting now (UINT64_MAX: none). */
uint64_t pd_block_deadline(const struct pd_adapter *ad);
/* Lock held: wait until another call changed something, the stack's next
 * timer is due, or until_us; then run due timers. 0, -EAGAIN when until_us
 * has passed, -EINTR when the adapter is being freed. */
int pd_wait(struct pd_adapter *ad, uint64_t until_us);
/* A blocking call (lock held): fn(ad, f, arg) until it returns anything but
 * -EAGAIN, or at once when the socket is non-blocking or dontwait is set;
 * between tries, pd_wait up to the adapter's block timeout. -EBADF when fd
 * is not (or no longer) a synack socket. */
typedef long (*pd_try_fn)(struct pd_adapter *ad, struct pd_fd *f, void *arg);
long pd_block(struct pd_adapter *ad, int fd, int dontwait, pd_try_fn fn, void *arg);
/* Sets errno and returns -1 when rc < 0; rc otherwise. */
long pd_ret(long rc);

/* Descriptor table (lock held). */
struct pd_fd *pd_fd_get(struct pd_adapter *ad, int fd, enum pd_kind kind);
struct pd_fd *pd_fd_new(struct pd_adapter *ad, enum pd_kind kind);
void pd_fd_release(struct pd_fd *f);

/* Linux <-> synack translation (pd_opt.c). */
int pd_sockopt_get(struct pd_adapter *ad, struct pd_fd *f, int level, int name, void *val,
		   socklen_t *len);
int pd_sockopt_set(struct pd_adapter *ad, struct pd_fd *f, int level, int name, const void *val,
		   socklen_t len);
short pd_revents(struct pd_adapter *ad, const struct pd_fd *f, short events);

/* The interface members, by file. */
void pd_socket_ops(struct packetdrill_interface *ifc);
void pd_io_ops(struct packetdrill_interface *ifc);
void pd_opt_ops(struct packetdrill_interface *ifc);
void pd_poll_ops(struct packetdrill_interface *ifc);

#endif
