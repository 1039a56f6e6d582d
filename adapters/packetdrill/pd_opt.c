/*
 * pd_opt.c: getsockopt, setsockopt, fcntl and ioctl for packetdrill, and the
 * readiness bits poll and epoll report.
 *
 * Socket options map one to one onto enum synack_opt (SOL_SOCKET SO_*,
 * IPPROTO_TCP TCP_*, IPPROTO_IP IP_TTL/IP_TOS); SO_LINGER takes Linux's
 * struct linger; SO_ERROR reports a positive errno as Linux does; TCP_INFO
 * fills Linux's struct tcp_info from synack_sock_info; SO_TYPE is
 * SOCK_STREAM. Anything else is ENOPROTOOPT. fcntl knows F_GETFL/F_SETFL
 * (O_NONBLOCK) and F_GETFD/F_SETFD; ioctl knows FIONREAD (SIOCINQ), SIOCOUTQ
 * and FIONBIO.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

#include "pd.h"

static int map_opt(int level, int name, enum synack_opt *o)
{
	static const struct {
		int level, name;
		enum synack_opt opt;
	} map[] = {
		{SOL_SOCKET, SO_REUSEADDR, SYNACK_SO_REUSEADDR},
		{SOL_SOCKET, SO_KEEPALIVE, SYNACK_SO_KEEPALIVE},
		{SOL_SOCKET, SO_LINGER, SYNACK_SO_LINGER},
		{SOL_SOCKET, SO_ERROR, SYNACK_SO_ERROR},
		{SOL_SOCKET, SO_SNDBUF, SYNACK_SO_SNDBUF},
		{SOL_SOCKET, SO_RCVBUF, SYNACK_SO_RCVBUF},
		{IPPROTO_TCP, TCP_NODELAY, SYNACK_TCP_NODELAY},
		{IPPROTO_TCP, TCP_USER_TIMEOUT, SYNACK_TCP_USER_TIMEOUT},
		{IPPROTO_TCP, TCP_MAXSEG, SYNACK_TCP_MAXSEG},
		{IPPROTO_TCP, TCP_KEEPIDLE, SYNACK_TCP_KEEPIDLE},
		{IPPROTO_TCP, TCP_KEEPINTVL, SYNACK_TCP_KEEPINTVL},
		{IPPROTO_TCP, TCP_KEEPCNT, SYNACK_TCP_KEEPCNT},
		{IPPROTO_IP, IP_TTL, SYNACK_IP_TTL},
		{IPPROTO_IP, IP_TOS, SYNACK_IP_TOS},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].level == level && map[i].name == name) {
			*o = map[i].opt;
			return 0;
		}
	}
	return -ENOPROTOOPT;
}

/* Linux's tcp_states numbering (include/net/tcp_states.h). */
static uint8_t linux_state(enum synack_state s)
{
	static const uint8_t map[SYNACK_NSTATES] = {
		[SYNACK_CLOSED] = TCP_CLOSE,         [SYNACK_LISTEN] = TCP_LISTEN,
		[SYNACK_SYN_SENT] = TCP_SYN_SENT,    [SYNACK_SYN_RECEIVED] = TCP_SYN_RECV,
		[SYNACK_ESTABLISHED] = TCP_ESTABLISHED, [SYNACK_FIN_WAIT_1] = TCP_FIN_WAIT1,
		[SYNACK_FIN_WAIT_2] = TCP_FIN_WAIT2, [SYNACK_CLOSE_WAIT] = TCP_CLOSE_WAIT,
		[SYNACK_CLOSING] = TCP_CLOSING,      [SYNACK_LAST_ACK] = TCP_LAST_ACK,
		[SYNACK_TIME_WAIT] = TCP_TIME_WAIT,
	};
	return (unsigned)s < SYNACK_NSTATES ? map[s] : TCP_CLOSE;
}

static int get_tcp_info(struct pd_adapter *ad, struct pd_fd *f, void *val, socklen_t *len)
{
	struct synack_tcp_info si;
	struct tcp_info ti;
	int rc = synack_sock_info(ad->st, f->sock, &si);
	if (rc < 0)
		return rc;
	memset(&ti, 0, sizeof(ti));
	ti.tcpi_state = linux_state(si.state);
	ti.tcpi_retransmits = (uint8_t)si.retransmits;
	ti.tcpi_rto = si.rto_us;
	ti.tcpi_snd_mss = si.snd_mss;
	ti.tcpi_rcv_mss = si.rcv_mss;
	ti.tcpi_rtt = si.srtt_us;
	ti.tcpi_rttvar = si.rttvar_us;
	ti.tcpi_snd_cwnd = si.snd_mss ? si.cwnd / si.snd_mss : 0;
	ti.tcpi_snd_ssthresh = si.snd_mss ? si.ssthresh / si.snd_mss : 0;
	ti.tcpi_total_retrans = si.total_retrans;
	size_t n = *len < sizeof(ti) ? *len : sizeof(ti);
	memcpy(val, &ti, n);
	*len = (socklen_t)n;
	return 0;
}

static int get_int(void *val, socklen_t *len, int v)
{
	if (*len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

int pd_sockopt_get(struct pd_adapter *ad, struct pd_fd *f, int level, int name, void *val,
		   socklen_t *len)
{
	enum synack_opt o;
	int v = 0;
	if (!val || !len)
		return -EFAULT;
	if (level == IPPROTO_TCP && name == TCP_INFO)
		return get_tcp_info(ad, f, val, len);
	if (level == SOL_SOCKET && name == SO_TYPE)
		return get_int(val, len, SOCK_STREAM);
	int rc = map_opt(level, name, &o);
	if (rc == 0)
		rc = synack_sock_getopt(ad->st, f->sock, o, &v);
	if (rc < 0)
		return rc;
	if (o == SYNACK_SO_ERROR)
		v = -v;
	if (o != SYNACK_SO_LINGER)
		return get_int(val, len, v);
	struct linger l = {.l_onoff = v >= 0, .l_linger = v >= 0 ? v : 0};
	if (*len < (socklen_t)sizeof(l))
		return -EINVAL;
	memcpy(val, &l, sizeof(l));
	*len = sizeof(l);
	return 0;
}

int pd_sockopt_set(struct pd_adapter *ad, struct pd_fd *f, int level, int name, const void *val,
		   socklen_t len)
{
	enum synack_opt o;
	int v;
	int rc = map_opt(level, name, &o);
	if (rc < 0)
		return rc;
	if (!val)
		return -EFAULT;
	if (o == SYNACK_SO_LINGER) {
		struct linger l;
		if (len < (socklen_t)sizeof(l))
			return -EINVAL;
		memcpy(&l, val, sizeof(l));
		v = l.l_onoff ? l.l_linger : -1;
	} else {
		if (len < (socklen_t)sizeof(int))
			return -EINVAL;
		memcpy(&v, val, sizeof(v));
	}
	return synack_sock_setopt(ad->st, f->sock, o, v);
}

short pd_revents(struct pd_adapter *ad, const struct pd_fd *f, short events)
{
	unsigned ev = synack_sock_events(ad->st, f->sock);
	short r = 0;
	r |= (ev & SYNACK_EV_IN) ? POLLIN | POLLRDNORM : 0;
	r |= (ev & SYNACK_EV_PRI) ? POLLPRI : 0;
	r |= (ev & SYNACK_EV_OUT) ? POLLOUT | POLLWRNORM : 0;
	r |= (ev & SYNACK_EV_ERR) ? POLLERR : 0;
	r |= (ev & SYNACK_EV_HUP) ? POLLHUP : 0;
	r |= (ev & SYNACK_EV_RDHUP) ? POLLRDHUP : 0;
	/* POLLERR and POLLHUP are reported whether asked for or not */
	return (short)(r & (events | POLLERR | POLLHUP));
}

static int pd_getsockopt(void *ud, int fd, int level, int name, void *val, socklen_t *len)
{
	struct pd_adapter *ad = ud;
	pd_enter(ad);
	struct pd_fd *f = pd_fd_get(ad, fd, PD_SOCK);
	if (!f) {
		pd_leave(ad);
		return getsockopt(fd, level, name, val, len);
	}
	int rc = pd_sockopt_get(ad, f, level, name, val, len);
	pd_leave(ad);
	return (int)pd_ret(rc);
}

static int pd_setsockopt(void *ud, int fd, int level, int name, const void *val, socklen_t len)
{
	struct pd_adapter *ad = ud;
	pd_enter(ad);
	struct pd_fd *f = pd_fd_get(ad, fd, PD_SOCK);
	if (!f) {
		pd_leave(ad);
		return setsockopt(fd, level, name, val, len);
	}
	int rc = pd_sockopt_set(ad, f, level, name, val, len);
	pd_leave(ad);
	return (int)pd_ret(rc);
}

/* fcntl on one of ours: O_NONBLOCK is the adapter's; FD_CLOEXEC the real fd's. */
static int fcntl_ours(struct pd_fd *f, int cmd, int arg)
{
	switch (cmd) {
	case F_GETFL:
		return O_RDWR | (f->nonblock ? O_NONBLOCK : 0);
	case F_SETFL:
		f->nonblock = (arg & O_NONBLOCK) != 0;
		return 0;
	case F_GETFD: {
		int r = fcntl(f->fd, F_GETFD);
		return r < 0 ? -errno : r;
	}
	case F_SETFD:
		return fcntl(f->fd, F_SETFD, arg) < 0 ? -errno : 0;
	default:
		return -EINVAL;
	}
}

static int pd_fcntl(void *ud, int fd, int cmd, ...)
{
	struct pd_adapter *ad = ud;
	int arg = 0;
	va_list ap;
	/* only commands that take an int argument read one */
	if (cmd == F_SETFL || cmd == F_SETFD || cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
		va_start(ap, cmd);
		arg = va_arg(ap, int);
		va_end(ap);
	}
	pd_enter(ad);
	struct pd_fd *f = pd_fd_get(ad, fd, PD_SOCK);
	if (!f)
		f = pd_fd_get(ad, fd, PD_EPOLL);
	int rc = f ? fcntl_ours(f, cmd, arg) : 0;
	pd_leave(ad);
	if (f)
		return (int)pd_ret(rc);
	if (cmd == F_GETFL || cmd == F_GETFD)
		return fcntl(fd, cmd);
	if (cmd == F_SETFL || cmd == F_SETFD || cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return fcntl(fd, cmd, arg);
	return (int)pd_ret(-EINVAL);
}

static int ioctl_ours(struct pd_adapter *ad, struct pd_fd *f, unsigned long req, int *arg)
{
	struct synack_tcp_info si;
	if (!arg)
		return -EFAULT;
	if (req == FIONBIO) {
		f->nonblock = *arg != 0;
		return 0;
	}
	if (req != FIONREAD && req != SIOCOUTQ)
		return -ENOTTY;
	int rc = synack_sock_info(ad->st, f->sock, &si);
	if (rc < 0)
		return rc;
	*arg = (int)(req == FIONREAD ? si.recv_queue : si.send_queue);
	return 0;
}

static int pd_ioctl(void *ud, int fd, unsigned long request, ...)
{
	struct pd_adapter *ad = ud;
	va_list ap;
	va_start(ap, request);
	void *arg = va_arg(ap, void *); /* every request we know takes a pointer */
	va_end(ap);
	pd_enter(ad);
	struct pd_fd *f = pd_fd_get(ad, fd, PD_SOCK);
	int rc = f ? ioctl_ours(ad, f, request, arg) : 0;
	pd_leave(ad);
	return f ? (int)pd_ret(rc) : ioctl(fd, request, arg);
}

void pd_opt_ops(struct packetdrill_interface *ifc)
{
	ifc->getsockopt = pd_getsockopt;
	ifc->setsockopt = pd_setsockopt;
	ifc->fcntl = pd_fcntl;
	ifc->ioctl = pd_ioctl;
}
