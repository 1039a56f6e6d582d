/*
 * pd_poll.c: poll, epoll_create/epoll_ctl/epoll_wait, pipe and splice for
 * packetdrill.
 *
 * Readiness of a synack socket is synack_sock_events (pd_revents). poll may
 * mix synack sockets with host descriptors (pipes): those are asked with a
 * zero-timeout host poll on every pass, and a waiting poll re-checks them
 * every PD_FOREIGN_US. An epoll instance is an adapter descriptor with a
 * bounded interest list of synack sockets, level-triggered only: EPOLLET,
 * EPOLLONESHOT and EPOLLEXCLUSIVE are refused (EINVAL), and a host
 * descriptor cannot join it (EPERM, as Linux says for files without poll).
 * A closed socket leaves every interest list, as on Linux. pipe is the
 * host's; splice works between host descriptors only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "pd.h"

#define PD_FOREIGN_US 10000

/* One pass over fds: the number with revents set. *foreign: any host fd. */
static int poll_scan(struct pd_adapter *ad, struct pollfd *fds, nfds_t nfds, int *foreign)
{
	int n = 0;
	*foreign = 0;
	for (nfds_t i = 0; i < nfds; i++) {
		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		struct pd_fd *f = pd_fd_get(ad, fds[i].fd, PD_SOCK);
		if (f) {
			fds[i].revents = pd_revents(ad, f, fds[i].events);
		} else if (pd_fd_get(ad, fds[i].fd, PD_EPOLL)) {
			fds[i].revents = 0; /* an epoll fd is never ready here: no nesting */
		} else {
			struct pollfd one = fds[i];
			*foreign = 1;
			if (poll(&one, 1, 0) < 0)
				return -errno;
			fds[i].revents = one.revents;
		}
		n += fds[i].revents != 0;
	}
	return n;
}

/* timeout_ms < 0: wait up to the adapter's block timeout. */
static uint64_t wait_deadline(struct pd_adapter *ad, int timeout_ms)
{
	if (timeout_ms < 0)
		return pd_block_deadline(ad);
	return pd_now(ad) + (uint64_t)timeout_ms * 1000u;
}

static int pd_poll(void *ud, struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct pd_adapter *ad = ud;
	int foreign, n;
	pd_enter(ad);
	uint64_t deadline = wait_deadline(ad, timeout);
	while ((n = poll_scan(ad, fds, nfds, &foreign)) == 0 && timeout != 0) {
		uint64_t until = deadline;
		if (foreign && until > pd_now(ad) + PD_FOREIGN_US)
			until = pd_now(ad) + PD_FOREIGN_US;
		int rc = pd_wait(ad, until);
		if (rc == -EINTR || (rc == -EAGAIN && pd_now(ad) >= deadline)) {
			n = rc == -EINTR ? rc : 0;
			break;
		}
	}
	pd_leave(ad);
	return (int)pd_ret(n);
}

static int pd_epoll_create(void *ud, int size)
{
	struct pd_adapter *ad = ud;
	if (size <= 0)
		return (int)pd_ret(-EINVAL);
	pd_enter(ad);
	struct pd_fd *f = pd_fd_new(ad, PD_EPOLL);
	int rc = f ? f->fd : -errno;
	pd_leave(ad);
	return (int)pd_ret(rc);
}

static struct pd_epoll_item *item_find(struct pd_fd *ep, int fd)
{
	for (int i = 0; i < ep->nitems; i++)
		if (ep->items[i].fd == fd)
			return &ep->items[i];
	return NULL;
}

static int epoll_ctl_ours(struct pd_adapter *ad, struct pd_fd *ep, int op, int fd,
			  const struct epoll_event *ev)
{
	if (!pd_fd_get(ad, fd, PD_SOCK))
		return fcntl(fd, F_GETFD) < 0 ? -EBADF : -EPERM;
	if (op != EPOLL_CTL_DEL &&
	    (!ev || (ev->events & (EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE))))
		return -EINVAL;
	struct pd_epoll_item *it = item_find(ep, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it)
			return -EEXIST;
		if (ep->nitems == PD_EPOLL_MAX)
			return -ENOSPC;
		ep->items[ep->nitems++] = (struct pd_epoll_item){fd, ev->events, ev->data};
		return 0;
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		it->events = ev->events;
		it->data = ev->data;
		return 0;
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		*it = ep->items[--ep->nitems];
		return 0;
	default:
		return -EINVAL;
	}
}

static int pd_epoll_ctl(void *ud, int epfd, int op, int fd, struct epoll_event *ev)
{
	struct pd_adapter *ad = ud;
	pd_enter(ad);
	struct pd_fd *ep = pd_fd_get(ad, epfd, PD_EPOLL);
	int rc = ep ? epoll_ctl_ours(ad, ep, op, fd, ev) : 0;
	pd_leave(ad);
	return ep ? (int)pd_ret(rc) : epoll_ctl(epfd, op, fd, ev);
}

/* Ready items into events; items whose socket was closed are dropped. */
static int epoll_scan(struct pd_adapter *ad, struct pd_fd *ep, struct epoll_event *events, int max)
{
	int n = 0;
	for (int i = 0; i < ep->nitems && n < max;) {
		struct pd_epoll_item *it = &ep->items[i];
		struct pd_fd *f = pd_fd_get(ad, it->fd, PD_SOCK);
		if (!f) {
			*it = ep->items[--ep->nitems];
			continue;
		}
		short r = pd_revents(ad, f, (short)(it->events & 0xffff));
		if (r)
			events[n++] = (struct epoll_event){.events = (uint16_t)r, .data = it->data};
		i++;
	}
	return n;
}

static int pd_epoll_wait(void *ud, int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	struct pd_adapter *ad = ud;
	if (maxevents <= 0 || !events)
		return (int)pd_ret(-EINVAL);
	pd_enter(ad);
	if (!pd_fd_get(ad, epfd, PD_EPOLL)) {
		pd_leave(ad);
		return epoll_wait(epfd, events, maxevents, timeout);
	}
	uint64_t deadline = wait_deadline(ad, timeout);
	int n;
	for (;;) {
		struct pd_fd *ep = pd_fd_get(ad, epfd, PD_EPOLL); /* closed meanwhile? */
		if (!ep) {
			n = -EBADF;
			break;
		}
		if ((n = epoll_scan(ad, ep, events, maxevents)) > 0 || timeout == 0)
			break;
		int rc = pd_wait(ad, deadline);
		if (rc < 0) {
			n = rc == -EINTR ? rc : 0;
			break;
		}
	}
	pd_leave(ad);
	return (int)pd_ret(n);
}

static int pd_pipe(void *ud, int pipefd[2])
{
	(void)ud;
	return pipe(pipefd);
}

static int pd_splice(void *ud, int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len,
		     unsigned int flags)
{
	struct pd_adapter *ad = ud;
	pd_enter(ad);
	int ours = pd_fd_get(ad, fd_in, PD_SOCK) || pd_fd_get(ad, fd_out, PD_SOCK);
	pd_leave(ad);
	if (ours)
		return (int)pd_ret(-EINVAL);
	return (int)splice(fd_in, off_in, fd_out, off_out, len, flags);
}

void pd_poll_ops(struct packetdrill_interface *ifc)
{
	ifc->poll = pd_poll;
	ifc->epoll_create = pd_epoll_create;
	ifc->epoll_ctl = pd_epoll_ctl;
	ifc->epoll_wait = pd_epoll_wait;
	ifc->pipe = pd_pipe;
	ifc->splice = pd_splice;
}
