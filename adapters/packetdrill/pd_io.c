/*
 * pd_io.c: the data calls for packetdrill (read, readv, recv, recvfrom,
 * recvmsg; write, writev, send, sendto, sendmsg) on synack_sock_recv/send.
 *
 * All of them funnel into one receive and one send over an iovec array. As on
 * Linux: a blocking receive waits until some bytes, the end of the stream or
 * an error; a blocking send waits until every byte is queued and reports a
 * partial count if an error or the block timeout cuts it short; MSG_DONTWAIT
 * makes one call non-blocking; MSG_OOB sends urgent data (RFC 9293 §3.8.5,
 * delivered in line). Differences, by design: no SIGPIPE (EPIPE is returned
 * either way, as with MSG_NOSIGNAL); MSG_PEEK, MSG_WAITALL, MSG_MORE and
 * receiving with MSG_OOB are refused with EOPNOTSUPP; TCP has no source
 * address to report, so recvfrom/recvmsg set the address length to 0, as
 * Linux does for TCP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#include "pd.h"

#define PD_RECV_FLAGS (MSG_DONTWAIT | MSG_NOSIGNAL | MSG_CMSG_CLOEXEC)
#define PD_SEND_FLAGS (MSG_DONTWAIT | MSG_NOSIGNAL | MSG_OOB)

struct pd_xfer {
	const struct iovec *iov;
	int iovcnt;
	int oob;       /* send: MSG_OOB */
	size_t done;   /* send: bytes queued so far */
	size_t total;
};

/* RECEIVE into the iovecs in order until one comes back short. */
static long try_recv(struct pd_adapter *ad, struct pd_fd *f, void *arg)
{
	struct pd_xfer *x = arg;
	size_t got = 0;
	for (int i = 0; i < x->iovcnt; i++) {
		if (x->iov[i].iov_len == 0)
			continue;
		ssize_t n = synack_sock_recv(ad->st, f->sock, x->iov[i].iov_base, x->iov[i].iov_len);
		if (n < 0)
			return got ? (long)got : n;
		got += (size_t)n;
		if ((size_t)n < x->iov[i].iov_len)
			break;
	}
	return (long)got;
}

/* SEND from where the last try stopped; the total once all is queued. */
static long try_send(struct pd_adapter *ad, struct pd_fd *f, void *arg)
{
	struct pd_xfer *x = arg;
	size_t base = 0;
	for (int i = 0; i < x->iovcnt && x->done < x->total; i++) {
		size_t len = x->iov[i].iov_len;
		if (x->done >= base + len) {
			base += len;
			continue;
		}
		const uint8_t *p = (const uint8_t *)x->iov[i].iov_base + (x->done - base);
		size_t rest = base + len - x->done;
		ssize_t n = x->oob ? synack_sock_send_urgent(ad->st, f->sock, p, rest)
				   : synack_sock_send(ad->st, f->sock, p, rest);
		if (n < 0)
			return n;
		x->done += (size_t)n;
		if ((size_t)n < rest)
			return -EAGAIN; /* buffer full: wait for ACKs */
		base += len;
	}
	return (long)x->total;
}

static int iov_total(const struct iovec *iov, int iovcnt, size_t *total)
{
	*total = 0;
	if (iovcnt < 0 || (iovcnt > 0 && !iov))
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > SSIZE_MAX - *total)
			return -EINVAL;
		*total += iov[i].iov_len;
	}
	return 0;
}

/* recv for every receive call; -2 (with errno untouched) when fd is not ours. */
static ssize_t pd_recv_iov(struct pd_adapter *ad, int fd, const struct iovec *iov, int iovcnt,
			   int flags)
{
	struct pd_xfer x = {.iov = iov, .iovcnt = iovcnt};
	pd_enter(ad);
	if (!pd_fd_get(ad, fd, PD_SOCK)) {
		pd_leave(ad);
		return -2;
	}
	long rc = iov_total(iov, iovcnt, &x.total);
	if (rc == 0 && (flags & ~PD_RECV_FLAGS))
		rc = -EOPNOTSUPP;
	if (rc == 0)
		rc = pd_block(ad, fd, flags & MSG_DONTWAIT, try_recv, &x);
	pd_leave(ad);
	return pd_ret(rc);
}

static ssize_t pd_send_iov(struct pd_adapter *ad, int fd, const struct iovec *iov, int iovcnt,
			   int flags)
{
	struct pd_xfer x = {.iov = iov, .iovcnt = iovcnt, .oob = (flags & MSG_OOB) != 0};
	pd_enter(ad);
	if (!pd_fd_get(ad, fd, PD_SOCK)) {
		pd_leave(ad);
		return -2;
	}
	long rc = iov_total(iov, iovcnt, &x.total);
	if (rc == 0 && (flags & ~PD_SEND_FLAGS))
		rc = -EOPNOTSUPP;
	if (rc == 0)
		rc = pd_block(ad, fd, flags & MSG_DONTWAIT, try_send, &x);
	if (rc < 0 && x.done > 0)
		rc = (long)x.done; /* a short count, as Linux reports it */
	pd_leave(ad);
	return pd_ret(rc);
}

static ssize_t pd_read(void *ud, int fd, void *buf, size_t count)
{
	struct iovec v = {buf, count};
	ssize_t n = pd_recv_iov(ud, fd, &v, 1, 0);
	return n == -2 ? read(fd, buf, count) : n;
}

static ssize_t pd_readv(void *ud, int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t n = pd_recv_iov(ud, fd, iov, iovcnt, 0);
	return n == -2 ? readv(fd, iov, iovcnt) : n;
}

static ssize_t pd_recv(void *ud, int fd, void *buf, size_t len, int flags)
{
	struct iovec v = {buf, len};
	ssize_t n = pd_recv_iov(ud, fd, &v, 1, flags);
	return n == -2 ? recv(fd, buf, len, flags) : n;
}

static ssize_t pd_recvfrom(void *ud, int fd, void *buf, size_t len, int flags,
			   struct sockaddr *src, socklen_t *alen)
{
	struct iovec v = {buf, len};
	ssize_t n = pd_recv_iov(ud, fd, &v, 1, flags);
	if (n == -2)
		return recvfrom(fd, buf, len, flags, src, alen);
	if (n >= 0 && alen)
		*alen = 0;
	return n;
}

static ssize_t pd_recvmsg(void *ud, int fd, struct msghdr *msg, int flags)
{
	ssize_t n = pd_recv_iov(ud, fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
	if (n == -2)
		return recvmsg(fd, msg, flags);
	if (n >= 0) {
		msg->msg_namelen = 0;
		msg->msg_controllen = 0;
		msg->msg_flags = 0;
	}
	return n;
}

static ssize_t pd_write(void *ud, int fd, const void *buf, size_t count)
{
	struct iovec v = {(void *)buf, count};
	ssize_t n = pd_send_iov(ud, fd, &v, 1, 0);
	return n == -2 ? write(fd, buf, count) : n;
}

static ssize_t pd_writev(void *ud, int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t n = pd_send_iov(ud, fd, iov, iovcnt, 0);
	return n == -2 ? writev(fd, iov, iovcnt) : n;
}

static ssize_t pd_send(void *ud, int fd, const void *buf, size_t len, int flags)
{
	struct iovec v = {(void *)buf, len};
	ssize_t n = pd_send_iov(ud, fd, &v, 1, flags);
	return n == -2 ? send(fd, buf, len, flags) : n;
}

/* TCP ignores the destination of a connected socket's sendto, as Linux does. */
static ssize_t pd_sendto(void *ud, int fd, const void *buf, size_t len, int flags,
			 const struct sockaddr *dst, socklen_t alen)
{
	struct iovec v = {(void *)buf, len};
	ssize_t n = pd_send_iov(ud, fd, &v, 1, flags);
	return n == -2 ? sendto(fd, buf, len, flags, dst, alen) : n;
}

static ssize_t pd_sendmsg(void *ud, int fd, const struct msghdr *msg, int flags)
{
	ssize_t n = pd_send_iov(ud, fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
	return n == -2 ? sendmsg(fd, msg, flags) : n;
}

void pd_io_ops(struct packetdrill_interface *ifc)
{
	ifc->read = pd_read;
	ifc->readv = pd_readv;
	ifc->recv = pd_recv;
	ifc->recvfrom = pd_recvfrom;
	ifc->recvmsg = pd_recvmsg;
	ifc->write = pd_write;
	ifc->writev = pd_writev;
	ifc->send = pd_send;
	ifc->sendto = pd_sendto;
	ifc->sendmsg = pd_sendmsg;
}
