/*
 * connect.c: `synack connect`, a client on a synack stack attached to a TUN
 * device (public API only).
 *
 *   synack connect [options] http://A.B.C.D[:PORT]/PATH
 *       HTTP/1.1 GET; the body goes to stdout (or -o FILE), the status line
 *       and the body's size and SHA-256 to stderr.
 *   synack connect [options] A.B.C.D PORT
 *       a raw byte stream, like nc: stdin goes to the connection, the
 *       connection to stdout. At the end of stdin synack shuts its sending
 *       side (FIN) and keeps reading until the peer's FIN (a half-close).
 *
 * After the exchange the socket is closed (with RST under --linger0) and
 * the command runs the stack until the connection is in TIME-WAIT or gone,
 * so the peer sees a complete close, at most LINGER_WAIT_US.
 *
 * Exit status: 0 done (an HTTP status below 400), 1 the connection failed
 * (refused, reset, timed out: the message names the errno) or the HTTP
 * status was 400 or above, 2 bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "netcmds.h"
#include "sha256.h"
#include "tunhost.h"

#define IOBUF 65536
#define HEAD_MAX 16384
#define LINGER_WAIT_US (30ull * 1000000u)

struct client {
	struct tunhost h;
	int s;
	struct synack_endpoint to;
	const char *path;        /* HTTP mode: the request path; NULL: raw mode */
	const char *host;        /* HTTP Host header */
	const char *out_file;
	int out;                 /* output fd */
	int linger0, sha;
	int no_stdin;            /* -d: send nothing, close after the peer's FIN (nc -d) */
	/* raw mode */
	int stdin_pollable, stdin_ready, stdin_eof, shut_sent;
	uint8_t in[IOBUF];
	size_t nin, in_off;
	/* both */
	int peer_eof, failed;
	struct sha256 sent, rcvd;
	/* HTTP mode */
	char req[2300];
	size_t nreq, req_off;
	char head[HEAD_MAX + 1];
	size_t nhead;
	int head_done, status;
	long long content_length; /* -1: until the peer closes */
	uint64_t body_bytes;
	uint8_t io[IOBUF];
};

void connect_help(FILE *out)
{
	fprintf(out,
		"usage: synack connect [options] http://A.B.C.D[:PORT]/PATH\n"
		"       synack connect [options] A.B.C.D PORT\n\n"
		"A client on a synack stack attached to a TUN device, in the current network\n"
		"namespace. With a URL: an HTTP/1.1 GET, the body to stdout (or -o FILE), the\n"
		"status, size and SHA-256 of the body to stderr; exits 1 on a status >= 400.\n"
		"With an address and a port: a raw byte stream, stdin to the connection and the\n"
		"connection to stdout; at the end of stdin synack sends FIN and reads on until\n"
		"the peer's FIN. Addresses are IPv4 literals (no DNS).\n\n"
		"client options:\n"
		"  -o FILE           write the received bytes to FILE instead of stdout\n"
		"  -d                raw mode: do not read stdin; close after the peer's FIN\n"
		"  --sha256          raw mode: print the SHA-256 of the bytes sent and received\n"
		"  --linger0         SO_LINGER 0: end with RST instead of FIN\n\n");
	tunhost_help(out);
}

/* ---------------------------------------------------------------- output */

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void deliver(struct client *c, const uint8_t *p, size_t n)
{
	sha256_update(&c->rcvd, p, n);
	if (write_all(c->out, p, n) < 0) {
		fprintf(stderr, "synack connect: write: %s\n", strerror(errno));
		c->failed = 1;
	}
}

/* ---------------------------------------------------------------- raw mode */

static void on_stdin(void *ctx, int fd, uint32_t revents)
{
	struct client *c = ctx;
	(void)fd;
	(void)revents;
	c->stdin_ready = 1;
}

/* Refill from stdin when the last chunk is sent; a regular file (not
 * pollable) is always ready. While a chunk waits for room in the socket,
 * stdin is out of the epoll set so a readable pipe does not spin the loop. */
static void raw_stdin(struct client *c)
{
	if (c->stdin_eof || c->nin > c->in_off || (c->stdin_pollable && !c->stdin_ready))
		return;
	ssize_t n = read(0, c->in, sizeof(c->in));
	c->stdin_ready = 0;
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		c->stdin_eof = 1;
		if (c->stdin_pollable)
			synack_loop_del_fd(c->h.loop, 0);
		return;
	}
	c->nin = (size_t)n;
	c->in_off = 0;
	sha256_update(&c->sent, c->in, c->nin);
}

static void raw_send(struct client *c)
{
	synack_stack *st = c->h.st;

	while (c->in_off < c->nin) {
		ssize_t n = synack_sock_send(st, c->s, c->in + c->in_off, c->nin - c->in_off);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			fprintf(stderr, "synack connect: send: %s\n", strerror((int)-n));
			c->failed = 1;
			return;
		}
		c->in_off += (size_t)n;
	}
	if (c->stdin_eof && !c->shut_sent) {
		synack_sock_shutdown(st, c->s, SYNACK_SHUT_WR);
		c->shut_sent = 1;
	}
}

static void raw_pause_stdin(struct client *c)
{
	int waiting = c->in_off < c->nin;
	if (!c->stdin_pollable || c->stdin_eof)
		return;
	if (waiting)
		synack_loop_del_fd(c->h.loop, 0);
	else
		synack_loop_add_fd(c->h.loop, 0, EPOLLIN, on_stdin, c); /* -EEXIST if there */
}

/* ---------------------------------------------------------------- http mode */

static void http_head(struct client *c)
{
	char *end = strstr(c->head, "\r\n\r\n");

	if (!end) {
		if (c->nhead == HEAD_MAX) {
			fprintf(stderr, "synack connect: response header too large\n");
			c->failed = 1;
		}
		return;
	}
	c->head_done = 1;
	char *num_end = NULL;
	if (strncmp(c->head, "HTTP/1.", 7) == 0 && c->head[7] && c->head[8] == ' ')
		c->status = (int)strtol(c->head + 9, &num_end, 10);
	if (!num_end || num_end == c->head + 9) {
		fprintf(stderr, "synack connect: not an HTTP response\n");
		c->failed = 1;
		return;
	}
	const char *cl = strcasestr(c->head, "\r\ncontent-length:");
	c->content_length = cl ? strtoll(cl + 17, NULL, 10) : -1;
	if (strcasestr(c->head, "\r\ntransfer-encoding: chunked")) {
		fprintf(stderr, "synack connect: chunked responses are not supported\n");
		c->failed = 1;
		return;
	}
	*strchr(c->head, '\r') = '\0';
	size_t body = c->nhead - (size_t)(end + 4 - c->head);
	if (body) {
		deliver(c, (uint8_t *)end + 4, body);
		c->body_bytes += body;
	}
}

static void http_send(struct client *c)
{
	while (c->req_off < c->nreq) {
		ssize_t n = synack_sock_send(c->h.st, c->s, c->req + c->req_off, c->nreq - c->req_off);
		if (n < 0)
			return;
		c->req_off += (size_t)n;
	}
}

/* ---------------------------------------------------------------- driving */

static void receive(struct client *c)
{
	for (;;) {
		int in_head = c->path && !c->head_done;
		uint8_t *buf = in_head ? (uint8_t *)c->head + c->nhead : c->io;
		size_t cap = in_head ? HEAD_MAX - c->nhead : sizeof(c->io);
		ssize_t n = synack_sock_recv(c->h.st, c->s, buf, cap);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			fprintf(stderr, "synack connect: recv: %s\n", strerror((int)-n));
			c->failed = 1;
			return;
		}
		if (n == 0) {
			c->peer_eof = 1;
			return;
		}
		if (in_head) {
			c->nhead += (size_t)n;
			c->head[c->nhead] = '\0';
			http_head(c);
		} else {
			deliver(c, c->io, (size_t)n);
			c->body_bytes += (uint64_t)n;
		}
		if (c->failed)
			return;
	}
}

static int finished(const struct client *c)
{
	if (c->failed)
		return 1;
	if (c->path)
		return c->peer_eof || (c->head_done && c->content_length >= 0 &&
				       c->body_bytes >= (uint64_t)c->content_length);
	return c->peer_eof && (c->shut_sent || c->no_stdin);
}

static void hook(void *ctx, synack_loop *l, uint64_t now)
{
	struct client *c = ctx;
	(void)now;

	if (c->path) {
		http_send(c);
	} else if (!c->no_stdin) {
		raw_stdin(c);
		raw_send(c);
		raw_pause_stdin(c);
		/* A regular file is not pollable: nothing would wake the loop to
		 * read more of it once this chunk is in the socket, so ask for a
		 * round without waiting. A chunk still waiting for room waits
		 * for the ACKs that make room instead. */
		if (!c->stdin_pollable && !c->stdin_eof && c->in_off >= c->nin)
			synack_loop_wake(l);
	}
	receive(c);
	if (finished(c) || tunhost_interrupted())
		synack_loop_stop(l);
}

/* ---------------------------------------------------------------- setup */

struct live_query {
	struct synack_endpoint to;
	int live;
};

static int live_cb(void *ctx, const struct synack_conn_info *ci)
{
	struct live_query *q = ctx;

	if (ci->remote.addr == q->to.addr && ci->remote.port == q->to.port &&
	    ci->state != SYNACK_TIME_WAIT && ci->state != SYNACK_LISTEN)
		q->live = 1;
	return q->live;
}

/* After close: run until the connection is in TIME-WAIT or gone, so the
 * peer's FIN is ACKed and ours is retransmitted until it is ACKed. */
static void linger(struct client *c)
{
	uint64_t end = synack_loop_now() + LINGER_WAIT_US;

	synack_loop_set_hook(c->h.loop, NULL, NULL);
	while (synack_loop_now() < end && !tunhost_interrupted()) {
		struct live_query q = {c->to, 0};
		synack_stack_foreach_conn(c->h.st, live_cb, &q);
		if (!q.live)
			return;
		if (synack_loop_run_once(c->h.loop, 100))
			return;
	}
}

static int parse_url(struct client *c, const char *url)
{
	static char host[64];
	const char *p = url + 7, *slash = strchr(p, '/');
	size_t hl = slash ? (size_t)(slash - p) : strlen(p);
	long port = 80;

	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, p, hl);
	host[hl] = '\0';
	c->host = host;
	c->path = slash ? slash : "/";
	char *colon = strchr(host, ':');
	if (colon) {
		*colon = '\0';
		port = strtol(colon + 1, NULL, 10);
	}
	c->to.port = (uint16_t)port;
	if (port < 1 || port > 65535 || tunhost_parse_ip(host, &c->to.addr))
		return -1;
	if (colon)
		*colon = ':'; /* the Host header keeps the port */
	int n = snprintf(c->req, sizeof(c->req),
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: synack/%s\r\nAccept: */*\r\n"
			 "Connection: close\r\n\r\n",
			 c->path, host, SYNACK_VERSION_STRING);
	if (n <= 0 || (size_t)n >= sizeof(c->req))
		return -1;
	c->nreq = (size_t)n;
	return 0;
}

static int parse(struct client *c, struct tunhost_opts *o, int argc, char **argv)
{
	const char *pos[2] = {NULL, NULL};
	int npos = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = tunhost_option(o, argc, argv, &i, "synack connect");
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			connect_help(stdout);
			return 0;
		} else if (!strcmp(a, "--linger0")) {
			c->linger0 = 1;
		} else if (!strcmp(a, "-d")) {
			c->no_stdin = 1;
		} else if (!strcmp(a, "--sha256")) {
			c->sha = 1;
		} else if (!strcmp(a, "-o") && i + 1 < argc) {
			c->out_file = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "synack connect: bad option '%s' (try --help)\n", a);
			return 2;
		} else if (npos < 2) {
			pos[npos++] = a;
		} else {
			fprintf(stderr, "synack connect: too many arguments (try --help)\n");
			return 2;
		}
	}
	if (npos == 1 && !strncmp(pos[0], "http://", 7)) {
		if (parse_url(c, pos[0]) == 0)
			return -1;
	} else if (npos == 2) {
		long port = strtol(pos[1], NULL, 10);
		c->to.port = (uint16_t)port;
		if (port >= 1 && port <= 65535 && tunhost_parse_ip(pos[0], &c->to.addr) == 0)
			return -1;
	}
	fprintf(stderr, "synack connect: need http://A.B.C.D[:PORT]/PATH or A.B.C.D PORT "
			"(try --help)\n");
	return 2;
}

static void report(struct client *c)
{
	char sent[65], rcvd[65];

	if (c->path) {
		sha256_hex(&c->rcvd, rcvd);
		if (!c->h.o.quiet || c->status >= 400)
			fprintf(stderr, "synack connect: %s, %llu bytes, sha256 %s\n",
				c->head_done ? c->head : "no response",
				(unsigned long long)c->body_bytes, rcvd);
		if (!c->head_done || c->status >= 400)
			c->failed = 1;
		return;
	}
	if (c->sha) {
		unsigned long long ns = (unsigned long long)c->sent.len;
		unsigned long long nr = (unsigned long long)c->rcvd.len;
		sha256_hex(&c->sent, sent);
		sha256_hex(&c->rcvd, rcvd);
		fprintf(stderr, "synack connect: sent %llu bytes sha256 %s\n", ns, sent);
		fprintf(stderr, "synack connect: received %llu bytes sha256 %s\n", nr, rcvd);
	}
}

/* Connect, exchange, close; the exit status. */
static int run(struct client *c)
{
	char ep[32];

	synack_endpoint_str(&c->to, ep, sizeof(ep));
	c->s = synack_sock_open(c->h.st);
	int err = c->s < 0 ? c->s : tunhost_connect(&c->h, c->s, &c->to);
	if (err) {
		fprintf(stderr, "synack connect: %s: %s\n", ep, strerror(-err));
		return 1;
	}
	if (!c->h.o.quiet)
		fprintf(stderr, "synack connect: connected to %s\n", ep);
	if (!c->path && !c->no_stdin) {
		synack_loop *l = c->h.loop;
		c->stdin_pollable = synack_loop_add_fd(l, 0, EPOLLIN, on_stdin, c) == 0;
	}
	synack_loop_set_hook(c->h.loop, hook, c);
	err = synack_loop_run(c->h.loop);
	if (err) {
		fprintf(stderr, "synack connect: event loop: %s\n", strerror(-err));
		c->failed = 1;
	}
	if (tunhost_interrupted())
		c->failed = 1;
	report(c);
	if (c->linger0)
		synack_sock_setopt(c->h.st, c->s, SYNACK_SO_LINGER, 0);
	synack_sock_close(c->h.st, c->s);
	linger(c);
	return c->failed ? 1 : 0;
}

int connect_main(int argc, char **argv)
{
	struct tunhost_opts o;
	struct client *c = calloc(1, sizeof(*c));

	if (!c) {
		fprintf(stderr, "synack connect: out of memory\n");
		return 1;
	}
	tunhost_defaults(&o);
	sha256_init(&c->sent);
	sha256_init(&c->rcvd);
	c->out = 1;
	int rc = parse(c, &o, argc, argv);
	if (rc < 0 && c->out_file) {
		c->out = open(c->out_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (c->out < 0) {
			fprintf(stderr, "synack connect: %s: %s\n", c->out_file, strerror(errno));
			rc = 1;
		}
	}
	if (rc < 0 && tunhost_open(&c->h, &o, "synack connect"))
		rc = 1;
	if (rc < 0) {
		rc = run(c);
		tunhost_close(&c->h);
	}
	if (c->out > 1)
		close(c->out);
	free(c);
	return rc;
}
