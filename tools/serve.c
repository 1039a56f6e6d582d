/*
 * serve.c: `synack serve`, servers on a synack stack attached to a TUN
 * device (public API only: synack.h, link.h, tun.h, impair.h).
 *
 * Modes:
 *   http  a small HTTP/1.1 server: GET / (a greeting), GET /PATH (a file under
 *         --root, if given), POST or PUT (the body is read and its SHA-256
 *         returned). Every response carries Content-Length and
 *         "Connection: close", and the server closes first (so the TIME-WAIT
 *         is synack's).
 *   echo  sends back every byte; when the peer shuts its side (FIN), it
 *         sends what is left and closes: a half-close works both ways.
 *   hold  reads nothing, closes --hold-ms after accepting (unread data
 *         makes that close an RST, RFC 9293 §3.10.4 / RFC 2525 §2.17).
 *
 * Connections live in a fixed table (MAX_CONNS); one that finds it full is
 * aborted with RST. Each loop round the hook accepts what is queued and
 * drives every connection as far as the buffers allow; nothing blocks.
 * --count N stops after N connections have finished; SIGINT/SIGTERM stop
 * at once. Exit status: 0, 1 on a runtime failure, 2 on bad usage.
 *
 * The control socket (tools/ctl.c; --ctl PATH, by default
 * /run/synack/DEV.sock) lets `synack ss --ctl` and `synack stat --ctl` read
 * the live stack from inside the same event loop, bounded and non-blocking.
 * An explicit --ctl that cannot be set up is an error; the default one only
 * a warning (another serve may hold it), and --no-ctl turns it off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "sha256.h"
#include "netcmds.h"
#include "tunhost.h"

#define MAX_CONNS 512
#define REQ_MAX 8192
#define IOBUF 65536

enum mode { MODE_HTTP, MODE_ECHO, MODE_HOLD };
enum phase { PH_REQUEST, PH_BODY, PH_RESPOND, PH_ECHO, PH_HOLD, PH_DONE };

struct conn {
	int s;                  /* -1: free slot */
	enum phase ph;
	uint64_t since;         /* accept time (hold mode) */
	char req[REQ_MAX + 1];
	size_t nreq;
	uint64_t body_left;     /* POST/PUT bytes still to read */
	struct sha256 body;
	char head[512];         /* response header, then a small body */
	size_t nhead, head_off;
	int file;               /* response body from a file, -1 if none */
	uint64_t file_left, file_off;
	uint8_t pend[IOBUF];    /* echo: received, not yet sent */
	size_t npend, pend_off;
	int peer_eof;
};

struct server {
	struct tunhost h;
	enum mode mode;
	uint16_t port;
	const char *root;
	int linger0;
	long hold_ms;
	long count;             /* stop after this many connections; 0: never */
	long done;
	int stop;               /* set by the hook: leave the loop */
	int lsock;
	const char *ctl_path;   /* --ctl; NULL: the default */
	int no_ctl;             /* --no-ctl */
	struct ctl_server *ctl; /* NULL when off */
	struct conn *conns;     /* [MAX_CONNS] */
	uint8_t io[IOBUF];
};

void serve_help(FILE *out)
{
	fprintf(out,
		"usage: synack serve [--http | --echo | --hold] [options]\n\n"
		"Runs a server on a synack stack attached to a TUN device, in the current\n"
		"network namespace. Needs the device and CAP_NET_ADMIN (see README: Running\n"
		"synack on a TUN device).\n\n"
		"modes:\n"
		"  --http            (default) HTTP/1.1: GET / answers a greeting, GET /PATH a file\n"
		"                    under --root; POST/PUT read the body and answer its SHA-256;\n"
		"                    every response ends with synack closing the connection\n"
		"  --echo            send every byte back; close after the peer's FIN\n"
		"  --hold            read nothing; close --hold-ms after accepting\n\n"
		"server options:\n"
		"  --port N          port to listen on (default 80 for http, 7 for echo, 9 for hold)\n"
		"  --root DIR        directory GET serves files from (http)\n"
		"  --hold-ms N       hold mode: close this long after accepting (default 1000)\n"
		"  --linger0         SO_LINGER 0 on every connection: close sends RST\n"
		"  --count N         exit after N connections have finished\n"
		"  --ctl PATH        control socket for `synack ss --ctl PATH` and `synack stat\n"
		"                    --ctl PATH` (default " CTL_DIR "/DEV.sock; a default one\n"
		"                    that is in use is only a warning)\n"
		"  --no-ctl          no control socket\n\n");
	tunhost_help(out);
}

/* ---------------------------------------------------------------- http */

static void respond(struct conn *c, int code, const char *reason, const char *type,
		    const char *body, uint64_t file_len)
{
	uint64_t len = body ? strlen(body) : file_len;
	int n = snprintf(c->head, sizeof(c->head),
			 "HTTP/1.1 %d %s\r\nServer: synack/%s\r\nContent-Type: %s\r\n"
			 "Content-Length: %llu\r\nConnection: close\r\n\r\n%s",
			 code, reason, SYNACK_VERSION_STRING, type, (unsigned long long)len,
			 body ? body : "");
	c->nhead = n > 0 && (size_t)n < sizeof(c->head) ? (size_t)n : 0;
	c->head_off = 0;
	c->ph = PH_RESPOND;
}

/* GET: the greeting, or a regular file under --root (no "..": nothing above it). */
static void http_get(struct server *sv, struct conn *c, const char *path)
{
	char full[4096];
	struct stat sb;

	if (!strcmp(path, "/")) {
		respond(c, 200, "OK", "text/plain", "hello from synack\n", 0);
		return;
	}
	if (!sv->root || strstr(path, "..") ||
	    snprintf(full, sizeof(full), "%s%s", sv->root, path) >= (int)sizeof(full)) {
		respond(c, 404, "Not Found", "text/plain", "not found\n", 0);
		return;
	}
	c->file = open(full, O_RDONLY | O_CLOEXEC);
	if (c->file < 0 || fstat(c->file, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		if (c->file >= 0)
			close(c->file);
		c->file = -1;
		respond(c, 404, "Not Found", "text/plain", "not found\n", 0);
		return;
	}
	c->file_left = (uint64_t)sb.st_size;
	c->file_off = 0;
	respond(c, 200, "OK", "application/octet-stream", NULL, c->file_left);
}

/* The header is complete: act on the request line and Content-Length. */
static void http_request(struct server *sv, struct conn *c, size_t head_len)
{
	char method[16], path[2048];
	size_t extra = c->nreq - head_len;

	if (sscanf(c->req, "%15s %2047s HTTP/1.%*c", method, path) != 2) {
		respond(c, 400, "Bad Request", "text/plain", "bad request\n", 0);
		return;
	}
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
		http_get(sv, c, path);
		return;
	}
	if (strcmp(method, "POST") && strcmp(method, "PUT")) {
		respond(c, 405, "Method Not Allowed", "text/plain", "method not allowed\n", 0);
		return;
	}
	const char *cl = strcasestr(c->req, "\r\ncontent-length:");
	c->body_left = cl ? strtoull(cl + 17, NULL, 10) : 0;
	sha256_init(&c->body);
	uint64_t take = extra < c->body_left ? extra : c->body_left;
	sha256_update(&c->body, c->req + head_len, (size_t)take);
	c->body_left -= take;
	c->ph = PH_BODY;
	/* RFC 9110 §10.1.1: a client that sent "Expect: 100-continue" waits for
	 * this (curl does, for a second, on large bodies) before the body. The
	 * send buffer is empty here, so the 25 bytes fit. */
	char saved = c->req[head_len];
	c->req[head_len] = '\0'; /* search the header only, not body bytes after it */
	if (c->body_left && strcasestr(c->req, "\r\nexpect: 100-continue"))
		(void)synack_sock_send(sv->h.st, c->s, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	c->req[head_len] = saved;
}

static void body_done(struct conn *c)
{
	char hex[65], msg[128];
	unsigned long long n = (unsigned long long)c->body.len;

	sha256_hex(&c->body, hex);
	snprintf(msg, sizeof(msg), "sha256 %s bytes %llu\n", hex, n);
	respond(c, 200, "OK", "text/plain", msg, 0);
}

/* ---------------------------------------------------------------- driving */

static void conn_finish(struct server *sv, struct conn *c)
{
	synack_sock_close(sv->h.st, c->s);
	if (c->file >= 0)
		close(c->file);
	c->s = -1;
	c->file = -1;
	sv->done++;
}

/* Read the request (and body); 0 while waiting, -1 when the peer is gone. */
static int drive_request(struct server *sv, struct conn *c)
{
	synack_stack *st = sv->h.st;

	while (c->ph == PH_REQUEST) {
		ssize_t n = synack_sock_recv(st, c->s, c->req + c->nreq, REQ_MAX - c->nreq);
		if (n == -EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		c->nreq += (size_t)n;
		c->req[c->nreq] = '\0';
		char *end = strstr(c->req, "\r\n\r\n");
		if (end)
			http_request(sv, c, (size_t)(end + 4 - c->req));
		else if (c->nreq == REQ_MAX)
			respond(c, 431, "Request Header Fields Too Large", "text/plain", "too large\n", 0);
	}
	while (c->ph == PH_BODY && c->body_left) {
		size_t want = c->body_left < IOBUF ? (size_t)c->body_left : IOBUF;
		ssize_t n = synack_sock_recv(st, c->s, sv->io, want);
		if (n == -EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		sha256_update(&c->body, sv->io, (size_t)n);
		c->body_left -= (uint64_t)n;
	}
	if (c->ph == PH_BODY)
		body_done(c);
	return 0;
}

/* Send the header, then the file; 1 when all is sent. */
static int drive_respond(struct server *sv, struct conn *c)
{
	synack_stack *st = sv->h.st;

	while (c->head_off < c->nhead) {
		ssize_t n = synack_sock_send(st, c->s, c->head + c->head_off, c->nhead - c->head_off);
		if (n < 0)
			return n == -EAGAIN ? 0 : -1;
		c->head_off += (size_t)n;
	}
	while (c->file_left) {
		size_t want = c->file_left < IOBUF ? (size_t)c->file_left : IOBUF;
		unsigned ev = synack_sock_events(st, c->s);
		if (!(ev & SYNACK_EV_OUT))
			return 0;
		ssize_t got = pread(c->file, sv->io, want, (off_t)c->file_off);
		if (got <= 0)
			return -1;
		/* the send buffer may take less: the rest is read again next time */
		ssize_t n = synack_sock_send(st, c->s, sv->io, (size_t)got);
		if (n < 0)
			return n == -EAGAIN ? 0 : -1;
		c->file_off += (uint64_t)n;
		c->file_left -= (uint64_t)n;
	}
	return 1;
}

/* Echo: move received bytes to the send side; 1 when the peer has finished
 * and everything went back. */
static int drive_echo(struct server *sv, struct conn *c)
{
	synack_stack *st = sv->h.st;

	for (;;) {
		while (c->pend_off < c->npend) {
			ssize_t n = synack_sock_send(st, c->s, c->pend + c->pend_off,
						     c->npend - c->pend_off);
			if (n == -EAGAIN)
				return 0;
			if (n < 0)
				return -1;
			c->pend_off += (size_t)n;
		}
		c->npend = c->pend_off = 0;
		if (c->peer_eof)
			return 1;
		ssize_t n = synack_sock_recv(st, c->s, c->pend, sizeof(c->pend));
		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return -1;
		if (n == 0)
			c->peer_eof = 1;
		c->npend = (size_t)n;
	}
}

static void drive(struct server *sv, struct conn *c, uint64_t now)
{
	int r = 0;

	switch (c->ph) {
	case PH_REQUEST:
	case PH_BODY:
		r = drive_request(sv, c);
		if (r == 0 && c->ph == PH_RESPOND)
			r = drive_respond(sv, c);
		break;
	case PH_RESPOND:
		r = drive_respond(sv, c);
		break;
	case PH_ECHO:
		r = drive_echo(sv, c);
		break;
	case PH_HOLD:
		r = now - c->since >= (uint64_t)sv->hold_ms * 1000u;
		break;
	case PH_DONE:
		break;
	}
	if (r != 0)
		conn_finish(sv, c);
}

static void accept_all(struct server *sv, uint64_t now)
{
	synack_stack *st = sv->h.st;
	struct synack_endpoint peer;
	int s;

	while ((s = synack_sock_accept(st, sv->lsock, &peer)) >= 0) {
		struct conn *c = NULL;
		for (int i = 0; i < MAX_CONNS && !c; i++)
			if (sv->conns[i].s < 0)
				c = &sv->conns[i];
		if (!c) {
			synack_sock_abort(st, s);
			continue;
		}
		c->s = s;
		c->file = -1;
		c->nreq = c->npend = c->pend_off = 0;
		c->peer_eof = 0;
		c->since = now;
		c->ph = sv->mode == MODE_HTTP ? PH_REQUEST : sv->mode == MODE_ECHO ? PH_ECHO : PH_HOLD;
		if (sv->linger0)
			synack_sock_setopt(st, s, SYNACK_SO_LINGER, 0);
		synack_sock_setopt(st, s, SYNACK_TCP_NODELAY, 1);
	}
}

static void hook(void *ctx, synack_loop *l, uint64_t now)
{
	struct server *sv = ctx;

	accept_all(sv, now);
	ctl_server_tick(sv->ctl, synack_loop_now());
	for (int i = 0; i < MAX_CONNS; i++)
		if (sv->conns[i].s >= 0)
			drive(sv, &sv->conns[i], now);
	(void)l;
	if (tunhost_interrupted() || (sv->count && sv->done >= sv->count))
		sv->stop = 1;
}

/* Rounds until the hook says stop. Hold mode has a deadline of its own (the
 * close), which the stack does not know: wake at least every HOLD_TICK_MS;
 * so do idle control clients (CTL_IDLE_MS). */
#define HOLD_TICK_MS 5
static int run(struct server *sv)
{
	while (!sv->stop) {
		/* idle control clients are dropped by the hook: wake for it */
		int wait = sv->mode == MODE_HOLD ? HOLD_TICK_MS : sv->ctl ? CTL_IDLE_MS / 5 : -1;
		int err = synack_loop_run_once(sv->h.loop, wait);
		if (err)
			return err;
	}
	return 0;
}

/* ---------------------------------------------------------------- main */

static int parse(struct server *sv, struct tunhost_opts *o, int argc, char **argv)
{
	long port = -1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int r = tunhost_option(o, argc, argv, &i, "synack serve");
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			serve_help(stdout);
			return 0;
		} else if (!strcmp(a, "--http")) {
			sv->mode = MODE_HTTP;
		} else if (!strcmp(a, "--echo")) {
			sv->mode = MODE_ECHO;
		} else if (!strcmp(a, "--hold")) {
			sv->mode = MODE_HOLD;
		} else if (!strcmp(a, "--linger0")) {
			sv->linger0 = 1;
		} else if (v && !strcmp(a, "--port")) {
			port = strtol(argv[++i], NULL, 10);
		} else if (v && !strcmp(a, "--root")) {
			sv->root = argv[++i];
		} else if (v && !strcmp(a, "--hold-ms")) {
			sv->hold_ms = strtol(argv[++i], NULL, 10);
		} else if (v && !strcmp(a, "--count")) {
			sv->count = strtol(argv[++i], NULL, 10);
		} else if (v && !strcmp(a, "--ctl")) {
			sv->ctl_path = argv[++i];
		} else if (!strcmp(a, "--no-ctl")) {
			sv->no_ctl = 1;
		} else {
			fprintf(stderr, "synack serve: bad option '%s' (try --help)\n", a);
			return 2;
		}
	}
	if (port == -1)
		port = sv->mode == MODE_HTTP ? 80 : sv->mode == MODE_ECHO ? 7 : 9;
	if (port < 1 || port > 65535 || sv->hold_ms < 0 || sv->count < 0) {
		fprintf(stderr, "synack serve: bad --port, --hold-ms or --count\n");
		return 2;
	}
	sv->port = (uint16_t)port;
	return -1;
}

/* The control socket: 0, or 1 after a message (only an explicit --ctl). */
static int ctl_open(struct server *sv, const char *addr, const char *dev, int quiet)
{
	char path[108], banner[128];

	if (sv->no_ctl)
		return 0;
	if (sv->ctl_path)
		snprintf(path, sizeof(path), "%s", sv->ctl_path);
	else
		ctl_default_path(path, sizeof(path), dev);
	snprintf(banner, sizeof(banner), "synack serve %s on %s (pid %ld)", addr, dev,
		 (long)getpid());
	int err = ctl_server_open(&sv->ctl, path, sv->h.loop, banner);
	if (err) {
		fprintf(stderr, "synack serve: %scontrol socket %s: %s\n",
			sv->ctl_path ? "" : "warning: no ", path, strerror(-err));
		return sv->ctl_path ? 1 : 0;
	}
	if (!quiet)
		fprintf(stderr, "synack serve: control socket %s\n", path);
	return 0;
}

static int listen_on(struct server *sv)
{
	struct synack_endpoint ep = {0, sv->port};
	int err;

	sv->lsock = synack_sock_open(sv->h.st);
	if (sv->lsock < 0)
		return sv->lsock;
	if ((err = synack_sock_bind(sv->h.st, sv->lsock, &ep)) != 0)
		return err;
	return synack_sock_listen(sv->h.st, sv->lsock, 128);
}

int serve_main(int argc, char **argv)
{
	struct tunhost_opts o;
	char addr[32];
	struct server *sv = calloc(1, sizeof(*sv));

	if (!sv || !(sv->conns = calloc(MAX_CONNS, sizeof(*sv->conns)))) {
		fprintf(stderr, "synack serve: out of memory\n");
		free(sv);
		return 1;
	}
	for (int i = 0; i < MAX_CONNS; i++)
		sv->conns[i].s = sv->conns[i].file = -1;
	tunhost_defaults(&o);
	sv->hold_ms = 1000;
	int rc = parse(sv, &o, argc, argv);
	if (rc < 0 && tunhost_open(&sv->h, &o, "synack serve"))
		rc = 1;
	if (rc < 0) {
		int err = listen_on(sv);
		struct synack_endpoint ep = {o.addr, sv->port};
		synack_endpoint_str(&ep, addr, sizeof(addr));
		char a[24];
		struct synack_endpoint me = {o.addr, 0};
		snprintf(a, sizeof(a), "%s", synack_endpoint_str(&me, addr, sizeof(addr)));
		a[strcspn(a, ":")] = 0;
		synack_endpoint_str(&ep, addr, sizeof(addr));
		if (err) {
			fprintf(stderr, "synack serve: listen on %s: %s\n", addr, strerror(-err));
			rc = 1;
		} else if (ctl_open(sv, a, o.dev, o.quiet)) {
			rc = 1;
		} else {
			if (!o.quiet)
				fprintf(stderr, "synack serve: %s listening on %s (device %s)\n",
					sv->mode == MODE_HTTP ? "http" : sv->mode == MODE_ECHO ? "echo" : "hold",
					addr, o.dev);
			synack_loop_set_hook(sv->h.loop, hook, sv);
			err = run(sv);
			rc = err ? 1 : 0;
			if (err)
				fprintf(stderr, "synack serve: event loop: %s\n", strerror(-err));
			if (!o.quiet)
				fprintf(stderr, "synack serve: %ld connections served\n", sv->done);
		}
		ctl_server_close(sv->ctl);
		tunhost_close(&sv->h);
	}
	for (int i = 0; i < MAX_CONNS; i++)
		if (sv->conns[i].s >= 0 && sv->conns[i].file >= 0)
			close(sv->conns[i].file);
	free(sv->conns);
	free(sv);
	return rc < 0 ? 0 : rc;
}
