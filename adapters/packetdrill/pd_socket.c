/*
 * pd_socket.c: socket, bind, listen, accept, connect, shutdown and close for
 * packetdrill, translated to synack_sock_*.
 *
 * Linux's shapes in, Linux's answers out: struct sockaddr_in (network order)
 * becomes a synack_endpoint (host order), synack's negative errno values
 * become -1 with errno. accept and connect block, as Linux's do, unless the
 * socket is O_NONBLOCK; the wait is pd_block's. A descriptor that is not a
 * synack socket goes to libc, so its answer (ENOTSOCK, EBADF) is Linux's own.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "pd.h"

static int sin_to_ep(const struct sockaddr *sa, socklen_t len, struct synack_endpoint *ep)
{
	struct sockaddr_in sin;
	if (!sa || len < (socklen_t)sizeof(sin))
		return -EINVAL;
	memcpy(&sin, sa, sizeof(sin));
	if (sin.sin_family != AF_INET)
		return -EAFNOSUPPORT;
	ep->addr = ntohl(sin.sin_addr.s_addr);
	ep->port = ntohs(sin.sin_port);
	return 0;
}

/* Linux's rule: copy at most *len bytes, then report the full size. */
static void ep_to_sin(const struct synack_endpoint *ep, struct sockaddr *sa, socklen_t *len)
{
	if (!sa || !len)
		return;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(ep->port),
				  .sin_addr.s_addr = htonl(ep->addr)};
	memcpy(sa, &sin, *len < (socklen_t)sizeof(sin) ? *len : sizeof(sin));
	*len = sizeof(sin);
}

static int pd_socket(void *ud, int domain, int type, int protocol)
{
	struct pd_adapter *ad = ud;
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (domain != AF_INET)
		return (int)pd_ret(-EAFNOSUPPORT);
	if (base != SOCK_STREAM || (protocol != 0 && protocol != IPPROTO_TCP))
		return (int)pd_ret(-EPROTONOSUPPORT);
	pd_enter(ad);
	struct pd_fd *f = pd_fd_new(ad, PD_SOCK);
	int rc = f ? 0 : -(errno ? errno : ENOMEM);
	if (f && (rc = synack_sock_open(ad->st)) < 0)
		pd_fd_release(f);
	if (f && rc >= 0) {
		f->sock = rc;
		f->nonblock = (type & SOCK_NONBLOCK) != 0;
		rc = f->fd;
	}
	pd_leave(ad);
	return (int)pd_ret(rc);
}

static int pd_bind(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct pd_adapter *ad = ud;
	struct synack_endpoint ep;
	pd_enter(ad);
	struct pd_fd *f = pd_fd_get(ad, fd, PD_SOCK);
	if (!f) {
		pd_leave(ad);
		return bind(fd, addr, len);
	}
	int rc = sin_to_ep(addr, len, &ep);
	if (rc == 0)
		rc = synack_sock_bind(ad->st, f->sock, &ep);
	pd_leave(ad);
	return (int)pd_ret(rc);
}

static int pd_listen(void *ud, int fd, int backlog)
{
	struct pd_adapter *ad = ud;
	pd_enter(ad);
	struct pd_fd *f = pd_fd_get(ad, fd, PD_SOCK);
	if (!f) {
		pd_leave(ad);
		return listen(fd, backlog);
	}
	int rc = synack_sock_listen(ad->st, f->sock, backlog);
	pd_leave(ad);
	return (int)pd_ret(rc);
}

static long try_accept(struct pd_adapter *ad, struct pd_fd *f, void *arg)
{
	return synack_sock_accept(ad->st, f->sock, arg);
}

/* The accepted connection gets a new descriptor; like Linux's accept (not
 * accept4), it does not inherit O_NONBLOCK. */
static int pd_accept(void *ud, int fd, struct sockaddr *addr, socklen_t *len)
{
	struct pd_adapter *ad = ud;
	struct synack_endpoint peer;
	pd_enter(ad);
	if (!pd_fd_get(ad, fd, PD_SOCK)) {
		pd_leave(ad);
		return accept(fd, addr, len);
	}
	long rc = pd_block(ad, fd, 0, try_accept, &peer);
	if (rc >= 0) {
		int s = (int)rc;
		struct pd_fd *nf = pd_fd_new(ad, PD_SOCK);
		if (!nf) {
			rc = -errno;
			synack_sock_abort(ad->st, s);
		} else {
			nf->sock = s;
			rc = nf->fd;
			ep_to_sin(&peer, addr, len);
		}
	}
	pd_leave(ad);
	return (int)pd_ret(rc);
}

/* A blocking connect returns when the handshake has ended: 0 or its error. */
static long try_connect(struct pd_adapter *ad, struct pd_fd *f, void *arg)
{
	int err = 0;
	struct synack_tcp_info ti;
	(void)arg;
	synack_sock_getopt(ad->st, f->sock, SYNACK_SO_ERROR, &err);
	if (err)
		return err;
	if (synack_sock_info(ad->st, f->sock, &ti) == 0 &&
	    (ti.state == SYNACK_SYN_SENT || ti.state == SYNACK_SYN_RECEIVED))
		return -EAGAIN;
	return 0;
}

static int pd_connect(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct pd_adapter *ad = ud;
	struct synack_endpoint ep;
	pd_enter(ad);
	struct pd_fd *f = pd_fd_get(ad, fd, PD_SOCK);
	if (!f) {
		pd_leave(ad);
		return connect(fd, addr, len);
	}
	int rc = sin_to_ep(addr, len, &ep);
	if (rc == 0)
		rc = synack_sock_connect(ad->st, f->sock, &ep);
	if (rc == -EINPROGRESS && !f->nonblock)
		rc = (int)pd_block(ad, fd, 0, try_connect, NULL);
	pd_leave(ad);
	return (int)pd_ret(rc);
}

static int pd_shutdown(void *ud, int fd, int how)
{
	struct pd_adapter *ad = ud;
	pd_enter(ad);
	struct pd_fd *f = pd_fd_get(ad, fd, PD_SOCK);
	if (!f) {
		pd_leave(ad);
		return shutdown(fd, how);
	}
	/* SHUT_RD/WR/RDWR are 0/1/2 in both */
	int rc = synack_sock_shutdown(ad->st, f->sock, how);
	pd_leave(ad);
	return (int)pd_ret(rc);
}

/* CLOSE (RFC 9293 §3.10.4) for a socket, then the real descriptor. */
static int pd_close(void *ud, int fd)
{
	struct pd_adapter *ad = ud;
	int rc = 0;
	pd_enter(ad);
	struct pd_fd *f = pd_fd_get(ad, fd, PD_SOCK);
	if (!f)
		f = pd_fd_get(ad, fd, PD_EPOLL);
	if (!f) {
		pd_leave(ad);
		return close(fd);
	}
	if (f->kind == PD_SOCK)
		rc = synack_sock_close(ad->st, f->sock);
	pd_fd_release(f);
	pd_leave(ad);
	return (int)pd_ret(rc);
}

void pd_socket_ops(struct packetdrill_interface *ifc)
{
	ifc->socket = pd_socket;
	ifc->bind = pd_bind;
	ifc->listen = pd_listen;
	ifc->accept = pd_accept;
	ifc->connect = pd_connect;
	ifc->shutdown = pd_shutdown;
	ifc->close = pd_close;
}
