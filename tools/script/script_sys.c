/*
 * script_sys.c: a script's system calls, sysctls and asserts, mapped onto
 * synack's public API.
 *
 * Calls map one to one onto synack_sock_* (read/recv -> recv, write/send ->
 * send, send(..., MSG_OOB) -> send_urgent, fcntl O_NONBLOCK is kept here).
 * synack never blocks, so a blocking call is emulated: when synack says
 * -EAGAIN (or a connect is in progress) on a socket without O_NONBLOCK, the
 * call stays pending and is retried whenever the stack may have changed
 * (after each inbound segment, timer run or other call) until it can return;
 * its return time is then checked against the script's (the end of a
 * "start...end" range, or the start for a plain time). Results compare as
 * packetdrill's: a value, or -1 and an errno name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "script_run.h"

/* ---------------------------------------------------------------- fds */

static struct sc_fd *fd_get(struct sc_runner *r, int64_t fd)
{
	if (fd < SC_FD_BASE || fd >= SC_MAX_FDS || !r->fds[fd].in_use)
		return NULL;
	return &r->fds[fd];
}

/* The synack descriptor behind a script fd; -1 (synack says -EBADF) if none. */
static int fd_sock(struct sc_runner *r, int64_t fd)
{
	struct sc_fd *f = fd_get(r, fd);
	return f ? f->sock : -1;
}

static int fd_new(struct sc_runner *r, int sock)
{
	for (int fd = SC_FD_BASE; fd < SC_MAX_FDS; fd++)
		if (!r->fds[fd].in_use) {
			r->fds[fd] = (struct sc_fd){.in_use = 1, .sock = sock};
			return fd;
		}
	return -1;
}

/* ---------------------------------------------------------------- args */

static int nargs(struct sc_runner *r, const struct sc_event *ev, int min, int max)
{
	int n = ev->u.call.nargs;
	if (n < min || n > max) {
		sc_fail(r, ev, "%s() takes %d%s%d arguments, the script gives %d", ev->u.call.name, min,
			min == max ? "" : " to ", max, n);
		return -1;
	}
	return 0;
}

/* An integer argument: N, SYMBOL, [N]; `...` gives def. */
static int arg_int(struct sc_runner *r, const struct sc_event *ev, int i, int64_t def, int64_t *v)
{
	const struct sc_expr *e = ev->u.call.args[i];
	if (e->kind == SC_E_LIST && e->n == 1)
		e = e->items[0];
	if (e->kind == SC_E_ELLIPSIS) {
		*v = def;
		return 0;
	}
	if (e->kind != SC_E_INT) {
		sc_fail(r, ev, "argument %d of %s() must be a number", i + 1, ev->u.call.name);
		return -1;
	}
	*v = e->num;
	return 0;
}

static const struct sc_expr *struct_field(const struct sc_expr *e, const char *a, const char *b)
{
	for (int i = 0; e->kind == SC_E_STRUCT && i < e->n; i++)
		if (!strcmp(e->keys[i], a) || (b && !strcmp(e->keys[i], b)))
			return e->items[i];
	return NULL;
}

static void set_rc(struct sc_result *res, int64_t rc)
{
	res->ret = rc < 0 ? -1 : rc;
	res->err = rc < 0 ? (int)-rc : 0;
}

static int blocking(const struct sc_fd *f, int64_t msg_flags)
{
	return f && !f->nonblock && !(msg_flags & MSG_DONTWAIT);
}

/* ---------------------------------------------------------------- calls */

/* Return: 0 done (res filled), 1 would block, -1 the script is wrong (reported). */
typedef int (*sys_fn)(struct sc_runner *r, struct sc_pending *p, struct sc_result *res);

static int sys_socket(struct sc_runner *r, struct sc_pending *p, struct sc_result *res)
{
	int64_t type;
	if (nargs(r, p->ev, 3, 3) || arg_int(r, p->ev, 1, SOCK_STREAM, &type))
		return -1;
	int s = synack_sock_open(r->st);
	if (s < 0) {
		set_rc(res, s);
		return 0;
	}
	int fd = fd_new(r, s);
	if (fd < 0) {
		synack_sock_close(r->st, s);
		set_rc(res, -EMFILE);
		return 0;
	}
	r->fds[fd].nonblock = (type & SOCK_NONBLOCK) != 0;
	r->sut = fd;
	set_rc(res, fd);
	return 0;
}

static int sys_bind(struct sc_runner *r, struct sc_pending *p, struct sc_result *res)
{
	if (nargs(r, p->ev, 3, 3))
		return -1;
	if (p->ev->u.call.args[1]->kind != SC_E_ELLIPSIS) {
		sc_fail(r, p->ev, "bind's address must be ... (packetdrill's default, 0.0.0.0:%d)", SC_LOCAL_PORT);
		return -1;
	}
	struct synack_endpoint ep = {0, SC_LOCAL_PORT};
	int64_t fd;
	if (arg_int(r, p->ev, 0, 0, &fd))
		return -1;
	int rc = synack_sock_bind(r->st, fd_sock(r, fd), &ep);
	if (rc == 0) {
		r->lport = SC_LOCAL_PORT;
		r->have_lport = 1;
	}
	set_rc(res, rc);
	return 0;
}

static int sys_listen(struct sc_runner *r, struct sc_pending *p, struct sc_result *res)
{
	int64_t fd, backlog;
	if (nargs(r, p->ev, 2, 2) || arg_int(r, p->ev, 0, 0, &fd) || arg_int(r, p->ev, 1, 16, &backlog))
		return -1;
	int rc = synack_sock_listen(r->st, fd_sock(r, fd), (int)backlog);
	struct synack_endpoint ep;
	if (rc == 0 && !r->have_lport && synack_sock_local(r->st, fd_sock(r, fd), &ep) == 0) {
		r->lport = ep.port;
		r->have_lport = 1;
	}
	set_rc(res, rc);
	return 0;
}

static int sys_accept(struct sc_runner *r, struct sc_pending *p, struct sc_result *res)
{
	int64_t fd;
	if (nargs(r, p->ev, 3, 3) || arg_int(r, p->ev, 0, 0, &fd))
		return -1;
	int s = synack_sock_accept(r->st, fd_sock(r, fd), NULL);
	if (s == -EAGAIN && blocking(fd_get(r, fd), 0))
		return 1;
	if (s < 0) {
		set_rc(res, s);
		return 0;
	}
	int nfd = fd_new(r, s);
	if (nfd < 0) {
		synack_sock_close(r->st, s);
		set_rc(res, -EMFILE);
		return 0;
	}
	r->sut = nfd;
	set_rc(res, nfd);
	return 0;
}

/* A blocking connect returns when the handshake ends: 0, or its error. */
static int connect_wait(struct sc_runner *r, struct sc_fd *f, struct sc_result *res)
{
	int err = 0;
	struct synack_tcp_info ti;
	synack_sock_getopt(r->st, f->sock, SYNACK_SO_ERROR, &err);
	if (err) {
		f->connecting = 0;
		set_rc(res, err);
		return 0;
	}
	if (synack_sock_info(r->st, f->sock, &ti) == 0 &&
	    (ti.state == SYNACK_SYN_SENT || ti.state == SYNACK_SYN_RECEIVED))
		return 1;
	f->connecting = 0;
	set_rc(res, 0);
	return 0;
}

static int sys_connect(struct sc_runner *r, struct sc_pending *p, struct sc_result *res)
{
	int64_t fd;
	if (nargs(r, p->ev, 3, 3) || arg_int(r, p->ev, 0, 0, &fd))
		return -1;
	if (p->ev->u.call.args[1]->kind != SC_E_ELLIPSIS) {
		sc_fail(r, p->ev, "connect's address must be ... (the peer, 192.0.2.1:%d)", SC_REMOTE_PORT);
		return -1;
	}
	struct sc_fd *f = fd_get(r, fd);
	if (f && f->connecting)
		return connect_wait(r, f, res);
	struct synack_endpoint ep = {SC_REMOTE_ADDR, r->rport};
	int rc = synack_sock_connect(r->st, fd_sock(r, fd), &ep);
	if (rc == -EINPROGRESS || rc == 0)
		r->sut = (int)fd;
	if (rc == -EINPROGRESS && blocking(f, 0)) {
		f->connecting = 1;
		return connect_wait(r, f, res);
	}
	set_rc(res, rc);
	return 0;
}

static int sys_read(struct sc_runner *r, struct sc_pending *p, struct sc_result *res)
{
	int64_t fd, len, flags = 0;
	int is_recv = !strcmp(p->ev->u.call.name, "recv");
	if (nargs(r, p->ev, 3 + is_recv, 3 + is_recv) || arg_int(r, p->ev, 0, 0, &fd) ||
	    arg_int(r, p->ev, 2, 0, &len) || (is_recv && arg_int(r, p->ev, 3, 0, &flags)))
		return -1;
	if (len < 0 || len > (1 << 22) || (flags & ~(int64_t)MSG_DONTWAIT)) {
		sc_fail(r, p->ev, "%s: length 0..4194304 and flags 0 or MSG_DONTWAIT only", p->ev->u.call.name);
		return -1;
	}
	uint8_t *buf = malloc((size_t)len + 1);
	if (!buf)
		return -1;
	ssize_t n = synack_sock_recv(r->st, fd_sock(r, fd), buf, (size_t)len);
	free(buf);
	if (n == -EAGAIN && blocking(fd_get(r, fd), flags))
		return 1;
	set_rc(res, n);
	return 0;
}

/* A blocking write returns when all of it is queued (or on an error). */
static int sys_write(struct sc_runner *r, struct sc_pending *p, struct sc_result *res)
{
	int64_t fd, len, flags = 0;
	int is_send = !strcmp(p->ev->u.call.name, "send");
	if (nargs(r, p->ev, 3 + is_send, 3 + is_send) || arg_int(r, p->ev, 0, 0, &fd) ||
	    arg_int(r, p->ev, 2, 0, &len) || (is_send && arg_int(r, p->ev, 3, 0, &flags)))
		return -1;
	if (len < 0 || len > (1 << 22) || (flags & ~(int64_t)(MSG_DONTWAIT | MSG_OOB | MSG_NOSIGNAL))) {
		sc_fail(r, p->ev, "%s: length 0..4194304 and flags MSG_OOB, MSG_DONTWAIT, MSG_NOSIGNAL only",
			p->ev->u.call.name);
		return -1;
	}
	uint8_t *buf = malloc((size_t)len + 1);
	if (!buf)
		return -1;
	for (int64_t i = 0; i < len; i++)
		buf[i] = (uint8_t)('A' + i % 26);
	int s = fd_sock(r, fd);
	size_t rest = (size_t)(len - p->progress);
	ssize_t n = (flags & MSG_OOB) ? synack_sock_send_urgent(r->st, s, buf, rest)
				      : synack_sock_send(r->st, s, buf, rest);
	free(buf);
	int block = blocking(fd_get(r, fd), flags);
	if (n > 0)
		p->progress += n;
	if (block && p->progress < len && (n > 0 || n == -EAGAIN))
		return 1;
	set_rc(res, p->progress > 0 ? p->progress : n);
	return 0;
}

static int sys_shutdown(struct sc_runner *r, struct sc_pending *p, struct sc_result *res)
{
	int64_t fd, how;
	if (nargs(r, p->ev, 2, 2) || arg_int(r, p->ev, 0, 0, &fd) || arg_int(r, p->ev, 1, 0, &how))
		return -1;
	/* SHUT_RD/WR/RDWR are 0/1/2 in both Linux and synack */
	set_rc(res, synack_sock_shutdown(r->st, fd_sock(r, fd), (int)how));
	return 0;
}

static int sys_close(struct sc_runner *r, struct sc_pending *p, struct sc_result *res)
{
	int64_t fd;
	if (nargs(r, p->ev, 1, 1) || arg_int(r, p->ev, 0, 0, &fd))
		return -1;
	int rc = synack_sock_close(r->st, fd_sock(r, fd));
	if (rc == 0)
		r->fds[fd].in_use = 0;
	set_rc(res, rc);
	return 0;
}

static int sys_fcntl(struct sc_runner *r, struct sc_pending *p, struct sc_result *res)
{
	int64_t fd, cmd, flags = 0;
	if (nargs(r, p->ev, 2, 3) || arg_int(r, p->ev, 0, 0, &fd) || arg_int(r, p->ev, 1, 0, &cmd) ||
	    (p->ev->u.call.nargs == 3 && arg_int(r, p->ev, 2, 0, &flags)))
		return -1;
	struct sc_fd *f = fd_get(r, fd);
	if (!f) {
		set_rc(res, -EBADF);
		return 0;
	}
	if (cmd == F_GETFL) {
		set_rc(res, O_RDWR | (f->nonblock ? O_NONBLOCK : 0));
	} else if (cmd == F_SETFL) {
		f->nonblock = (flags & O_NONBLOCK) != 0;
		set_rc(res, 0);
	} else {
		sc_fail(r, p->ev, "fcntl: only F_GETFL and F_SETFL are supported");
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- options */

static int map_opt(int64_t level, int64_t name, enum synack_opt *o)
{
	static const struct {
		int level, name;
		enum synack_opt opt;
	} map[] = {
		{SOL_SOCKET, SO_REUSEADDR, SYNACK_SO_REUSEADDR}, {SOL_SOCKET, SO_KEEPALIVE, SYNACK_SO_KEEPALIVE},
		{SOL_SOCKET, SO_LINGER, SYNACK_SO_LINGER},       {SOL_SOCKET, SO_ERROR, SYNACK_SO_ERROR},
		{SOL_SOCKET, SO_SNDBUF, SYNACK_SO_SNDBUF},       {SOL_SOCKET, SO_RCVBUF, SYNACK_SO_RCVBUF},
		{IPPROTO_TCP, TCP_NODELAY, SYNACK_TCP_NODELAY},  {IPPROTO_TCP, TCP_USER_TIMEOUT, SYNACK_TCP_USER_TIMEOUT},
		{IPPROTO_TCP, TCP_MAXSEG, SYNACK_TCP_MAXSEG},    {IPPROTO_TCP, TCP_KEEPIDLE, SYNACK_TCP_KEEPIDLE},
		{IPPROTO_TCP, TCP_KEEPINTVL, SYNACK_TCP_KEEPINTVL}, {IPPROTO_TCP, TCP_KEEPCNT, SYNACK_TCP_KEEPCNT},
		{IPPROTO_IP, IP_TTL, SYNACK_IP_TTL},
		{IPPROTO_IP, IP_TOS, SYNACK_IP_TOS},
		{IPPROTO_TCP, TCP_CONGESTION, SYNACK_TCP_CONGESTION},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].level == level && map[i].name == name) {
			*o = map[i].opt;
			return 0;
		}
	return -1;
}

static int sockopt_args(struct sc_runner *r, struct sc_pending *p, int64_t *fd, enum synack_opt *o)
{
	int64_t level, name;
	const struct sc_expr *const *a = (const struct sc_expr *const *)p->ev->u.call.args;
	if (nargs(r, p->ev, 5, 5) || arg_int(r, p->ev, 0, 0, fd) || arg_int(r, p->ev, 1, 0, &level) ||
	    arg_int(r, p->ev, 2, 0, &name))
		return -1;
	if (map_opt(level, name, o)) {
		sc_fail(r, p->ev, "synack has no socket option %s at level %s", a[2]->name ? a[2]->name : "?",
			a[1]->name ? a[1]->name : "?");
		return -1;
	}
	return 0;
}

/* SO_LINGER's {onoff=1, linger=N} (or l_onoff/l_linger) as synack's one int. */
static int linger_value(struct sc_runner *r, const struct sc_event *ev, const struct sc_expr *e, int *v)
{
	const struct sc_expr *on = struct_field(e, "onoff", "l_onoff"), *lg = struct_field(e, "linger", "l_linger");
	if (!on || !lg || on->kind != SC_E_INT || lg->kind != SC_E_INT) {
		sc_fail(r, ev, "SO_LINGER takes {onoff=N, linger=N}");
		return -1;
	}
	*v = on->num ? (int)lg->num : -1;
	return 0;
}

/* TCP_CONGESTION takes and gives a name, as Linux: "cubic". */
static const char *cc_arg(struct sc_runner *r, const struct sc_event *ev)
{
	const struct sc_expr *e = ev->u.call.args[3];
	if (e->kind != SC_E_STRING) {
		sc_fail(r, ev, "TCP_CONGESTION takes a name in quotes (\"reno\", \"cubic\")");
		return NULL;
	}
	return e->name;
}

static int sys_setsockopt(struct sc_runner *r, struct sc_pending *p, struct sc_result *res)
{
	int64_t fd, v64;
	enum synack_opt o;
	int v;
	if (sockopt_args(r, p, &fd, &o))
		return -1;
	if (o == SYNACK_TCP_CONGESTION) {
		const char *name = cc_arg(r, p->ev);
		if (!name)
			return -1;
		set_rc(res, synack_sock_set_congestion(r->st, fd_sock(r, fd), name));
		return 0;
	}
	if (o == SYNACK_SO_LINGER) {
		if (linger_value(r, p->ev, p->ev->u.call.args[3], &v))
			return -1;
	} else {
		if (arg_int(r, p->ev, 3, 0, &v64))
			return -1;
		v = (int)v64;
	}
	set_rc(res, synack_sock_setopt(r->st, fd_sock(r, fd), o, v));
	return 0;
}

static int sys_getsockopt(struct sc_runner *r, struct sc_pending *p, struct sc_result *res)
{
	int64_t fd, want;
	enum synack_opt o;
	int v = 0, wantv;
	if (sockopt_args(r, p, &fd, &o))
		return -1;
	int rc = synack_sock_getopt(r->st, fd_sock(r, fd), o, &v);
	set_rc(res, rc);
	const struct sc_expr *e = p->ev->u.call.args[3];
	if (rc || e->kind == SC_E_ELLIPSIS)
		return 0;
	if (o == SYNACK_TCP_CONGESTION) {
		const char *want_name = cc_arg(r, p->ev), *name = synack_cc_name(v);
		if (!want_name)
			return -1;
		if (!name || strcmp(name, want_name)) {
			sc_fail(r, p->ev, "getsockopt(TCP_CONGESTION) gave \"%s\", the script expects \"%s\"",
				name ? name : "?", want_name);
			return -1;
		}
		return 0;
	}
	if (o == SYNACK_SO_ERROR)
		v = -v; /* synack's negative errno as the positive one Linux stores */
	if (o == SYNACK_SO_LINGER) {
		if (linger_value(r, p->ev, e, &wantv))
			return -1;
		want = wantv;
	} else if (arg_int(r, p->ev, 3, 0, &want)) {
		return -1;
	}
	if (want != v) {
		const char *wn = o == SYNACK_SO_ERROR ? sc_errno_name((int)want) : NULL;
		const char *gn = o == SYNACK_SO_ERROR ? sc_errno_name(v) : NULL;
		sc_fail(r, p->ev, "getsockopt(%s) gave %d%s%s%s, the script expects %" PRId64 "%s%s%s",
			p->ev->u.call.args[2]->name, v, gn ? " (" : "", gn ? gn : "", gn ? ")" : "", want,
			wn ? " (" : "", wn ? wn : "", wn ? ")" : "");
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- poll */

static int poll_bits(unsigned ev)
{
	return ((ev & SYNACK_EV_IN) ? POLLIN : 0) | ((ev & SYNACK_EV_PRI) ? POLLPRI : 0) |
	       ((ev & SYNACK_EV_OUT) ? POLLOUT : 0) | ((ev & SYNACK_EV_ERR) ? POLLERR : 0) |
	       ((ev & SYNACK_EV_HUP) ? POLLHUP : 0) | ((ev & SYNACK_EV_RDHUP) ? POLLRDHUP : 0);
}

static const char *poll_str(int64_t bits, char *buf, size_t len)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {{POLLIN, "POLLIN"}, {POLLPRI, "POLLPRI"}, {POLLOUT, "POLLOUT"}, {POLLERR, "POLLERR"},
		     {POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"}, {POLLRDHUP, "POLLRDHUP"}};
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((bits & names[i].bit) && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "|" : "", names[i].name);
	if (!used)
		snprintf(buf, len, "0");
	return buf;
}

static int sys_poll(struct sc_runner *r, struct sc_pending *p, struct sc_result *res)
{
	int64_t n, timeout;
	const struct sc_expr *l = p->ev->u.call.args[0];
	if (nargs(r, p->ev, 3, 3) || arg_int(r, p->ev, 1, 0, &n) || arg_int(r, p->ev, 2, 0, &timeout))
		return -1;
	if (l->kind != SC_E_LIST || l->n != n) {
		sc_fail(r, p->ev, "poll's first argument must be a list of %" PRId64 " {fd=, events=, revents=}", n);
		return -1;
	}
	int64_t got[16];
	int ready = 0;
	for (int i = 0; i < l->n; i++) {
		const struct sc_expr *fd = struct_field(l->items[i], "fd", NULL);
		const struct sc_expr *evs = struct_field(l->items[i], "events", NULL);
		if (!fd || !evs || fd->kind != SC_E_INT || evs->kind != SC_E_INT) {
			sc_fail(r, p->ev, "poll entries are {fd=N, events=BITS, revents=BITS}");
			return -1;
		}
		struct sc_fd *f = fd_get(r, fd->num);
		got[i] = f ? poll_bits(synack_sock_events(r->st, f->sock)) & (evs->num | POLLERR | POLLHUP) : POLLNVAL;
		ready += got[i] != 0;
	}
	if (!ready && timeout != 0) {
		if (timeout > 0 && p->deadline == INT64_MAX)
			p->deadline = p->start + timeout * 1000;
		if (r->now < p->deadline)
			return 1;
	}
	for (int i = 0; i < l->n; i++) {
		const struct sc_expr *want = struct_field(l->items[i], "revents", NULL);
		char a[96], b[96];
		if (want && want->kind == SC_E_INT && want->num != got[i]) {
			sc_fail(r, p->ev, "poll: fd %" PRId64 " revents=%s, the script expects %s",
				struct_field(l->items[i], "fd", NULL)->num, poll_str(got[i], a, sizeof(a)),
				poll_str(want->num, b, sizeof(b)));
			return -1;
		}
	}
	set_rc(res, ready);
	return 0;
}

/* ---------------------------------------------------------------- dispatch */

static const struct {
	const char *name;
	sys_fn fn;
} calls[] = {
	{"socket", sys_socket}, {"bind", sys_bind}, {"listen", sys_listen}, {"accept", sys_accept},
	{"connect", sys_connect}, {"read", sys_read}, {"recv", sys_read}, {"write", sys_write},
	{"send", sys_write}, {"shutdown", sys_shutdown}, {"close", sys_close}, {"fcntl", sys_fcntl},
	{"setsockopt", sys_setsockopt}, {"getsockopt", sys_getsockopt}, {"poll", sys_poll},
};

static int call_once(struct sc_runner *r, struct sc_pending *p, struct sc_result *res)
{
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (!strcmp(calls[i].name, p->ev->u.call.name))
			return calls[i].fn(r, p, res);
	sc_fail(r, p->ev, "%s() is not supported", p->ev->u.call.name);
	return -1;
}

/* The call returned res at r->now: check the value and, for a call that
 * blocked or has a range, when. */
static void call_done(struct sc_runner *r, const struct sc_pending *p, const struct sc_result *res, int blocked)
{
	const struct sc_syscall *c = &p->ev->u.call;
	char want[96], got[96], a[32], b[32];
	if (!c->ret_any && (res->ret != c->ret || (c->ret == -1 && res->err != c->err))) {
		sc_fmt_result(c->ret, c->err, want, sizeof(want));
		sc_fmt_result(res->ret, res->err, got, sizeof(got));
		sc_fail(r, p->ev, "%s() returned %s", c->name, got);
		sc_fail_detail(r, "expected:", "%s", want);
		sc_fail_detail(r, "actual:", "%s", got);
		return;
	}
	if (!blocked && p->end == p->start)
		return;
	int64_t tol = sc_tolerance(r, p->end - p->start);
	if (r->now < p->end - tol || r->now > p->end + tol) {
		sc_fmt_time(r->now, a, sizeof(a));
		sc_fmt_time(p->end, b, sizeof(b));
		sc_fail(r, p->ev, "%s() returned at %s, expected at %s (+/- %.6f s)%s", c->name, a, b,
			(double)tol / 1e6, blocked && p->end == p->start ? ": it blocked" : "");
	}
}

void sc_syscall_begin(struct sc_runner *r, const struct sc_event *ev, int64_t start, int64_t end)
{
	struct sc_pending p = {.active = 1, .ev = ev, .start = start, .end = end, .deadline = INT64_MAX};
	struct sc_result res = {0};
	if (sc_ensure_stack(r, ev))
		return;
	int rc = call_once(r, &p, &res);
	if (rc < 0)
		return;
	if (rc == 0) {
		call_done(r, &p, &res, 0);
		sc_pending_retry(r); /* this call may have unblocked another */
		return;
	}
	if (r->pend.active) {
		sc_fail(r, ev, "a second call blocks while line %d's is still blocked", r->pend.ev->line);
		return;
	}
	r->pend = p;
}

void sc_pending_retry(struct sc_runner *r)
{
	struct sc_result res = {0};
	if (!r->pend.active || r->failed)
		return;
	int rc = call_once(r, &r->pend, &res);
	if (rc == 1)
		return;
	struct sc_pending p = r->pend;
	r->pend.active = 0;
	r->pend.deadline = INT64_MAX;
	if (rc == 0)
		call_done(r, &p, &res, 1);
}

/* ---------------------------------------------------------------- sysctl */

void sc_sysctl_run(struct sc_runner *r, const struct sc_event *ev)
{
	for (int i = 0; i < ev->u.sysctl.n; i++) {
		const struct sc_sysctl *s = &ev->u.sysctl.v[i];
		if (r->st && sc_knob_creation_only(s->knob)) {
			sc_fail(r, ev, "%s is fixed when the stack is created: set it before the first socket call or segment",
				s->name);
			return;
		}
		sc_knob_apply(s->knob, &r->cfg, s->value, s->value2);
	}
	if (r->st && synack_stack_reconfigure(r->st, &r->cfg) != 0)
		sc_fail(r, ev, "synack_stack_reconfigure rejected the new configuration");
}

/* ---------------------------------------------------------------- assert */

/* Linux's numbering of TCP states (include/net/tcp_states.h). */
static int linux_state(enum synack_state s)
{
	static const int map[SYNACK_NSTATES] = {
		[SYNACK_CLOSED] = 7,      [SYNACK_LISTEN] = 10,     [SYNACK_SYN_SENT] = 2,
		[SYNACK_SYN_RECEIVED] = 3, [SYNACK_ESTABLISHED] = 1, [SYNACK_FIN_WAIT_1] = 4,
		[SYNACK_FIN_WAIT_2] = 5,  [SYNACK_CLOSE_WAIT] = 8,  [SYNACK_CLOSING] = 11,
		[SYNACK_LAST_ACK] = 9,    [SYNACK_TIME_WAIT] = 6,
	};
	return (unsigned)s < SYNACK_NSTATES ? map[s] : 0;
}

static void tcpi_fields(const struct synack_tcp_info *ti, int64_t *f)
{
	uint32_t mss = ti->snd_mss ? ti->snd_mss : 1;
	f[SC_TCPI_STATE] = linux_state(ti->state);
	f[SC_TCPI_SND_MSS] = ti->snd_mss;
	f[SC_TCPI_RCV_MSS] = ti->rcv_mss;
	f[SC_TCPI_RTO] = ti->rto_us;
	f[SC_TCPI_RTT] = ti->srtt_us;
	f[SC_TCPI_RTTVAR] = ti->rttvar_us;
	f[SC_TCPI_SND_CWND] = ti->cwnd / mss; /* segments, as Linux reports it */
	f[SC_TCPI_SND_SSTHRESH] = ti->ssthresh / mss;
	f[SC_TCPI_RETRANSMITS] = ti->retransmits;
	f[SC_TCPI_TOTAL_RETRANS] = ti->total_retrans;
	f[SC_TCPI_SND_WND] = ti->snd_wnd;
	f[SC_TCPI_RCV_WND] = ti->rcv_wnd;
}

/* Why an assert's arithmetic has no value (a failed assert, never UB). */
enum { AEVAL_DIV0 = 1, AEVAL_OVERFLOW = 2 };

/* Evaluates e over the tcp_info fields f with int64 arithmetic; a division
 * by zero or a result outside int64 (a script may write any constant) sets
 * a bit in *bad and yields 0. */
static int64_t aeval(const struct sc_aexpr *e, const int64_t *f, int *bad)
{
	int64_t l = e->l ? aeval(e->l, f, bad) : 0, r = e->r ? aeval(e->r, f, bad) : 0, v;
	switch (e->op) {
	case SC_A_NUM: return e->num;
	case SC_A_FIELD: return f[e->field];
	case SC_A_NOT: return !l;
	case SC_A_NEG:
		if (__builtin_sub_overflow((int64_t)0, l, &v))
			break;
		return v;
	case SC_A_MUL:
		if (__builtin_mul_overflow(l, r, &v))
			break;
		return v;
	case SC_A_DIV:
	case SC_A_MOD:
		if (r == 0) {
			*bad |= AEVAL_DIV0;
			return 0;
		}
		if (l == INT64_MIN && r == -1)
			break;
		return e->op == SC_A_DIV ? l / r : l % r;
	case SC_A_ADD:
		if (__builtin_add_overflow(l, r, &v))
			break;
		return v;
	case SC_A_SUB:
		if (__builtin_sub_overflow(l, r, &v))
			break;
		return v;
	case SC_A_LT: return l < r;
	case SC_A_LE: return l <= r;
	case SC_A_GT: return l > r;
	case SC_A_GE: return l >= r;
	case SC_A_EQ: return l == r;
	case SC_A_NE: return l != r;
	case SC_A_AND: return l && r;
	case SC_A_OR: return l || r;
	default: return 0;
	}
	*bad |= AEVAL_OVERFLOW;
	return 0;
}

/* Marks the fields an expression reads, for the failure message. */
static void afields(const struct sc_aexpr *e, int *used)
{
	if (!e)
		return;
	if (e->op == SC_A_FIELD)
		used[e->field] = 1;
	afields(e->l, used);
	afields(e->r, used);
}

void sc_assert_run(struct sc_runner *r, const struct sc_event *ev)
{
	struct synack_tcp_info ti;
	int64_t f[SC_TCPI_NFIELDS];
	if (sc_ensure_stack(r, ev))
		return;
	if (r->sut < 0 || !fd_get(r, r->sut)) {
		sc_fail(r, ev, "no open socket under test to read tcp_info from (%s)",
			r->sut < 0 ? "none yet" : "it was closed");
		return;
	}
	if (synack_sock_info(r->st, r->fds[r->sut].sock, &ti) != 0) {
		sc_fail(r, ev, "synack_sock_info failed on fd %d", r->sut);
		return;
	}
	tcpi_fields(&ti, f);
	for (int i = 0; i < ev->u.asserts.n; i++) {
		const struct sc_assert *a = &ev->u.asserts.v[i];
		int bad = 0, used[SC_TCPI_NFIELDS] = {0};
		if (aeval(a->expr, f, &bad) && !bad)
			continue;
		sc_fail(r, ev, "assert %s failed%s (fd %d, %s)", a->text,
			bad & AEVAL_DIV0       ? ": division by zero"
			: bad & AEVAL_OVERFLOW ? ": arithmetic overflow (beyond 64-bit signed)"
					       : "",
			r->sut, synack_state_name(ti.state));
		afields(a->expr, used);
		for (int k = 0; k < SC_TCPI_NFIELDS; k++)
			if (used[k])
				sc_fail_detail(r, "value:", "%s = %" PRId64 "%s%s%s", sc_tcpi_field_name(k), f[k],
					       k == SC_TCPI_STATE ? " (" : "",
					       k == SC_TCPI_STATE ? sc_tcp_state_name((int)f[k]) : "",
					       k == SC_TCPI_STATE ? ")" : "");
		return;
	}
}
