/*
 * ctl.c: the control channel of `synack serve` (see ctl.h): a unix socket
 * served from inside the event loop, and the client side that `synack ss
 * --ctl` and `synack stat --ctl` use.
 *
 * Invariants (the loop must never stall): every socket here is
 * non-blocking; no more than CTL_MAX_CLIENTS clients hold a slot, each with
 * one bounded request buffer and one answer built in a single step whose
 * work is bounded (conntable's max_rows and max_visits) and then drained as
 * the client's socket accepts it; a client that makes no progress for
 * CTL_IDLE_MS is dropped by ctl_server_tick().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "ss.h"

struct ctl_client {
	struct ctl_server *srv;
	int fd;                     /* -1: free slot */
	uint64_t last;              /* loop time of the last progress, µs */
	char req[CTL_REQ_MAX + 1];
	size_t nreq;
	char *out;                  /* the answer (open_memstream), NULL before */
	size_t nout, off;
};

struct ctl_server {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	synack_loop *loop;
	char banner[160];
	struct ctl_client cl[CTL_MAX_CLIENTS];
};

void ctl_default_path(char *buf, size_t len, const char *dev)
{
	snprintf(buf, len, "%s/%s.sock", CTL_DIR, dev);
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* ---------------------------------------------------------------- server */

static void client_drop(struct ctl_client *c)
{
	synack_loop_del_fd(c->srv->loop, c->fd);
	close(c->fd);
	free(c->out);
	*c = (struct ctl_client){.srv = c->srv, .fd = -1};
}

static int parse_ints(char *s, long *v, int n)
{
	char *save = NULL, *end;
	int k = 0;

	for (char *t = strtok_r(s, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (k == n)
			return -1;
		v[k++] = strtol(t, &end, 10);
		if (end == t || *end)
			return -1;
	}
	return k == n ? 0 : -1;
}

/* One page from *cursor, then its trailer: "#next CURSOR N0 .. N10" while
 * entries remain, "#end N0 .. N10" after the last, N the page's matching
 * entries per state (the client adds them up for the summary). */
static void answer_ss_page(FILE *f, synack_stack *st, const struct conntable_opts *o,
			   uint64_t cursor)
{
	uint64_t per_state[SYNACK_NSTATES];
	int more = conntable_print_page(f, st, o, &cursor, per_state);

	if (more)
		fprintf(f, "#next %llu", (unsigned long long)cursor);
	else
		fprintf(f, "#end");
	for (int s = 0; s < SYNACK_NSTATES; s++)
		fprintf(f, " %llu", (unsigned long long)per_state[s]);
	fputc('\n', f);
}

/* "ss LAYOUT STATE_MASK SPORT DPORT HEADER ROWS SUMMARY [CURSOR]": without a
 * cursor, one answer bounded by CTL_ROWS_MAX and CTL_VISITS_MAX (as before
 * the cursor existed); with one, a page from it. */
static int answer_ss(FILE *f, synack_stack *st, char *args)
{
	long v[7];
	struct conntable_opts o;
	char *sp = args, *end;
	unsigned long long cursor = 0;
	int paged = 0;

	for (int k = 0; k < 7 && sp; k++)
		sp = strchr(sp + 1, ' ');
	if (sp) { /* an 8th field: the cursor */
		*sp++ = 0;
		errno = 0;
		cursor = strtoull(sp, &end, 10);
		if (end == sp || *end || errno || *sp == '-')
			return -1;
		paged = 1;
	}
	if (parse_ints(args, v, 7) || v[0] < 0 || v[0] > 1 || v[1] < 0 || v[1] > (long)UINT32_MAX ||
	    v[2] < -1 || v[2] > 65535 || v[3] < -1 || v[3] > 65535)
		return -1;
	conntable_opts_default(&o);
	o.layout = v[0] ? CONNTABLE_IPVS : CONNTABLE_SS;
	o.state_mask = (unsigned)v[1];
	o.sport = (int)v[2], o.dport = (int)v[3];
	o.header = v[4] != 0, o.rows = v[5] != 0, o.summary = v[6] != 0;
	o.max_rows = CTL_ROWS_MAX;
	o.max_visits = CTL_VISITS_MAX;
	if (paged)
		answer_ss_page(f, st, &o, cursor);
	else
		conntable_print(f, st, &o);
	return 0;
}

/* "stat ZEROS [PREFIX ...]" */
static int answer_stat(FILE *f, struct ctl_server *srv, synack_stack *st, char *args)
{
	char *save = NULL, *prefix[16];
	int n = 0;
	char *z = strtok_r(args, " ", &save);

	if (!z || (strcmp(z, "0") && strcmp(z, "1")))
		return -1;
	for (char *t = strtok_r(NULL, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (n == 16)
			return -1;
		prefix[n++] = t;
	}
	struct synack_counters c;
	synack_stack_counters(st, &c);
	fprintf(f, "#%s, stack time %.3f s\n", srv->banner, (double)synack_stack_now(st) / 1e6);
	stat_print(f, &c, z[0] == '1', prefix, n);
	return 0;
}

/* Build the whole answer to a request line, in one bounded step. */
static void client_answer(struct ctl_client *c)
{
	synack_stack *st = synack_loop_stack(c->srv->loop);
	FILE *f = open_memstream(&c->out, &c->nout);
	int bad = -1;

	if (!f) {
		c->out = NULL;
		return;
	}
	c->req[c->nreq] = 0;
	char *nl = strchr(c->req, '\n');
	if (nl) {
		*nl = 0;
		if (!strncmp(c->req, "ss ", 3))
			bad = answer_ss(f, st, c->req + 3);
		else if (!strncmp(c->req, "stat ", 5))
			bad = answer_stat(f, c->srv, st, c->req + 5);
	}
	if (bad)
		fprintf(f, "error: bad request (synack ss/stat of another version?)\n");
	if (fclose(f)) {
		free(c->out);
		c->out = NULL;
	}
}

static void client_io(void *ctx, int fd, uint32_t revents);

/* Read the request; once it is complete, answer and wait for writability. */
static void client_read(struct ctl_client *c)
{
	ssize_t n = read(c->fd, c->req + c->nreq, CTL_REQ_MAX - c->nreq);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_drop(c);
		return;
	}
	c->nreq += (size_t)n;
	c->last = synack_loop_now();
	if (!memchr(c->req, '\n', c->nreq) && c->nreq < CTL_REQ_MAX)
		return;
	client_answer(c);
	if (!c->out || synack_loop_del_fd(c->srv->loop, c->fd) ||
	    synack_loop_add_fd(c->srv->loop, c->fd, EPOLLOUT, client_io, c)) {
		client_drop(c);
		return;
	}
}

static void client_write(struct ctl_client *c)
{
	ssize_t n = send(c->fd, c->out + c->off, c->nout - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		c->off += (size_t)n;
		c->last = synack_loop_now();
	}
	if (n <= 0 || c->off == c->nout)
		client_drop(c);
}

static void client_io(void *ctx, int fd, uint32_t revents)
{
	struct ctl_client *c = ctx;

	(void)fd;
	(void)revents;
	if (c->out)
		client_write(c);
	else
		client_read(c);
}

static void on_accept(void *ctx, int fd, uint32_t revents)
{
	struct ctl_server *srv = ctx;
	(void)revents;

	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return; /* EAGAIN: all taken; anything else: try next round */
		struct ctl_client *c = NULL;
		for (int i = 0; i < CTL_MAX_CLIENTS && !c; i++)
			if (srv->cl[i].fd < 0)
				c = &srv->cl[i];
		if (!c || synack_loop_add_fd(srv->loop, cfd, EPOLLIN, client_io, c)) {
			static const char busy[] = "error: busy (too many control clients)\n";
			ssize_t sent = send(cfd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)sent; /* best effort: the connection is closed either way */
			close(cfd);
			continue;
		}
		*c = (struct ctl_client){.srv = srv, .fd = cfd, .last = synack_loop_now()};
	}
}

/* A socket file left by a server that died: nobody accepts on it. */
static int replace_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat sb;

	if (lstat(path, &sb))
		return 0;
	if (!S_ISSOCK(sb.st_mode))
		return -EEXIST;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	if (live)
		return -EADDRINUSE;
	return unlink(path) ? -errno : 0;
}

static int ctl_bind(struct ctl_server *c, const char *path)
{
	struct sockaddr_un sa;
	int err = unix_addr(path, &sa);

	if (err)
		return err;
	if (!strncmp(path, CTL_DIR "/", sizeof(CTL_DIR)) && mkdir(CTL_DIR, 0755) && errno != EEXIST)
		return -errno;
	if ((err = replace_stale(path, &sa)) != 0)
		return err;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	snprintf(c->path, sizeof(c->path), "%s", path);
	/* the table names every peer: root's (serve needs CAP_NET_ADMIN anyway) */
	if (chmod(path, 0600) || listen(c->fd, CTL_MAX_CLIENTS))
		return -errno;
	return 0;
}

int ctl_server_open(struct ctl_server **out, const char *path, synack_loop *loop,
		    const char *banner)
{
	struct ctl_server *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->loop = loop;
	snprintf(c->banner, sizeof(c->banner), "%s", banner);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		c->cl[i] = (struct ctl_client){.srv = c, .fd = -1};
	int err = ctl_bind(c, path);
	if (!err)
		err = synack_loop_add_fd(loop, c->fd, EPOLLIN, on_accept, c);
	if (err) {
		ctl_server_close(c);
		return err;
	}
	*out = c;
	return 0;
}

void ctl_server_tick(struct ctl_server *c, uint64_t now_us)
{
	for (int i = 0; c && i < CTL_MAX_CLIENTS; i++)
		if (c->cl[i].fd >= 0 && now_us - c->cl[i].last > CTL_IDLE_MS * 1000ull)
			client_drop(&c->cl[i]);
}

void ctl_server_close(struct ctl_server *c)
{
	if (!c)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->cl[i].fd >= 0)
			client_drop(&c->cl[i]);
	if (c->fd >= 0) {
		synack_loop_del_fd(c->loop, c->fd);
		close(c->fd);
	}
	if (c->path[0])
		unlink(c->path);
	free(c);
}

/* ---------------------------------------------------------------- client */

void ctl_ss_request(char *buf, size_t len, const struct conntable_opts *o)
{
	snprintf(buf, len, "ss %d %u %d %d %d %d %d", o->layout == CONNTABLE_IPVS, o->state_mask,
		 o->sport, o->dport, o->header, o->rows, o->summary);
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -errno;
		p += k, n -= (size_t)k;
	}
	return 0;
}

/* Read the whole answer into *buf (malloc'd, NUL-terminated; one page is a
 * few MB at most): 0 or a negative errno. */
static int read_answer(int fd, const char *prog, char **buf, size_t *len)
{
	char chunk[65536];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	FILE *m = open_memstream(buf, len);
	int err = 0;

	if (!m)
		return -ENOMEM;
	for (;;) {
		if (poll(&p, 1, 10000) == 0) {
			fprintf(stderr, "%s: the control socket stopped answering\n", prog);
			err = -ETIMEDOUT;
			break;
		}
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		fwrite(chunk, 1, (size_t)n, m);
	}
	if (fclose(m) && !err)
		err = -ENOMEM;
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

/* One request on a new connection; the answer in *buf (see read_answer). */
static int ctl_exchange(const char *path, const char *req, const char *prog, char **buf,
			size_t *len)
{
	struct sockaddr_un sa;
	char line[CTL_REQ_MAX + 2];
	int err = unix_addr(path, &sa);

	if (err || strlen(req) >= CTL_REQ_MAX) {
		fprintf(stderr, "%s: control socket path or request too long\n", prog);
		return -ENAMETOOLONG;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		fprintf(stderr, "%s: cannot reach %s: %s (is synack serve running with --ctl?)\n",
			prog, path, strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	snprintf(line, sizeof(line), "%s\n", req);
	err = send_all(fd, line, strlen(line));
	if (!err)
		err = read_answer(fd, prog, buf, len);
	else
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(-err));
	close(fd);
	return err;
}

/* An answer that starts "error: " goes to stderr: 1; else 0. */
static int is_error(const char *buf, size_t len)
{
	if (len < 7 || memcmp(buf, "error: ", 7))
		return 0;
	fwrite(buf, 1, len, stderr);
	return 1;
}

int ctl_request(const char *path, const char *req, FILE *out, const char *prog)
{
	char *buf = NULL;
	size_t len = 0;
	int err = ctl_exchange(path, req, prog, &buf, &len);

	if (!err && !is_error(buf, len))
		fwrite(buf, 1, len, out);
	else if (!err)
		err = 1;
	free(buf);
	return err;
}

/* A page's last line, "#next CURSOR N0 .. N10" or "#end N0 .. N10": cut it
 * off the answer (*len) and add its counts to per_state. 1: more pages
 * (*cursor: from where), 0: the last page, -1: no such line. */
static int page_trailer(char *buf, size_t *len, uint64_t *cursor,
			uint64_t per_state[SYNACK_NSTATES])
{
	if (!*len || buf[*len - 1] != '\n')
		return -1;
	buf[*len - 1] = 0;
	char *line = strrchr(buf, '\n');
	line = line ? line + 1 : buf;
	char *p, *e;
	int more = !strncmp(line, "#next ", 6);
	if (more) {
		*cursor = strtoull(line + 6, &e, 10);
		p = e;
	} else if (!strncmp(line, "#end", 4)) {
		p = line + 4;
	} else {
		return -1;
	}
	for (int s = 0; s < SYNACK_NSTATES; s++, p = e) {
		per_state[s] += strtoull(p, &e, 10);
		if (e == p)
			return -1;
	}
	*len = (size_t)(line - buf);
	return more;
}

int ctl_ss(const char *path, const struct conntable_opts *o, FILE *out, const char *prog)
{
	struct conntable_opts po = *o;
	uint64_t cursor = 0, per_state[SYNACK_NSTATES] = {0};
	char req[CTL_REQ_MAX];
	int more;

	do {
		char *buf = NULL;
		size_t len = 0;
		uint64_t from = cursor;
		ctl_ss_request(req, sizeof(req), &po);
		snprintf(req + strlen(req), sizeof(req) - strlen(req), " %llu",
			 (unsigned long long)cursor);
		int err = ctl_exchange(path, req, prog, &buf, &len);
		if (err || is_error(buf, len)) {
			free(buf);
			return err ? err : 1;
		}
		more = page_trailer(buf, &len, &cursor, per_state);
		if (more < 0 || (more && cursor == from)) {
			fprintf(stderr, "%s: %s: a page without a valid end (synack serve of "
					"another version?)\n", prog, path);
			free(buf);
			return 1;
		}
		fwrite(buf, 1, len, out);
		free(buf);
		po.header = 0; /* once, on the first page */
	} while (more);
	if (o->summary)
		conntable_print_summary(out, per_state);
	return 0;
}
