/*
 * ctl.h: the control channel of a running `synack serve`: a unix stream
 * socket on which `synack ss --ctl PATH` and `synack stat --ctl PATH` read
 * the live stack's connection table and counters, printed as they print the
 * simulated stack's (conntable.c, ss.c). Public API only.
 *
 * One request per connection, one line of at most CTL_REQ_MAX bytes:
 *   "ss LAYOUT STATE_MASK SPORT DPORT HEADER ROWS SUMMARY CURSOR\n"
 *   "stat ZEROS [PREFIX ...]\n"
 * and the answer is the text to print, then the server closes. An answer
 * it cannot give starts with "error: ". An ss answer is one page: the rows
 * of the entries from CURSOR on (synack_stack_walk_conn; 0: the start), then
 * "#next CURSOR N0 .. N10" (more to come from that cursor) or "#end N0 ..
 * N10", N the page's matching entries per state; the client sends the next
 * cursor in a new request and adds up the summary (ctl_ss). The table may
 * change between pages: a TIME-WAIT entry that lives through is listed
 * exactly once. Without CURSOR (clients of before it) the answer is one
 * bounded walk with the summary, as it was.
 *
 * The server side runs inside the stack's event loop and never stalls it:
 * its sockets are non-blocking and polled by the loop (synack_loop_add_fd),
 * at most CTL_MAX_CLIENTS are served at once (more are closed at accept),
 * one that sends no request within CTL_IDLE_MS is dropped, and one answer
 * walks at most CTL_VISITS_MAX table entries and prints at most
 * CTL_ROWS_MAX rows, so its cost and its buffer are bounded; the buffer
 * drains as the client reads.
 */
#ifndef SYNACK_TOOLS_CTL_H
#define SYNACK_TOOLS_CTL_H

#include <stdio.h>

#include "conntable.h"
#include "synack/link.h"
#include "synack/synack.h"

#define CTL_DIR "/run/synack"    /* where the default socket lives */
#define CTL_MAX_CLIENTS 4
#define CTL_REQ_MAX 512
#define CTL_IDLE_MS 5000
#define CTL_ROWS_MAX 50000
#define CTL_VISITS_MAX 2000000

struct ctl_server;

/* The default socket for a stack on TUN device dev: /run/synack/DEV.sock. */
void ctl_default_path(char *buf, size_t len, const char *dev);
/* Bind path (creating /run/synack if that is its directory), listen, and
 * watch it from loop. banner: the first line of every stat answer. A socket
 * file nobody answers on is replaced; one a live server answers on gives
 * -EADDRINUSE. 0 or a negative errno. */
int ctl_server_open(struct ctl_server **out, const char *path, synack_loop *loop,
		    const char *banner);
/* Drop clients idle for CTL_IDLE_MS; call once per loop round. */
void ctl_server_tick(struct ctl_server *c, uint64_t now_us);
/* Close every client and the socket, and remove the socket file. */
void ctl_server_close(struct ctl_server *c);

/* Client side: send one request line (without "\n") to the server at
 * path and copy its answer to out. 0, 1 if the server answered "error: ",
 * or a negative errno (after a message to stderr naming prog). */
int ctl_request(const char *path, const char *req, FILE *out, const char *prog);
/* The request line for conntable options o. */
void ctl_ss_request(char *buf, size_t len, const struct conntable_opts *o);
/* `synack ss --ctl`: page through the whole table of the server at path
 * (one request per page, each bounded by CTL_ROWS_MAX rows and
 * CTL_VISITS_MAX entries walked, resumed from the cursor the last page
 * ended with), rows to out, then the summary added up over the pages.
 * Returns as ctl_request. */
int ctl_ss(const char *path, const struct conntable_opts *o, FILE *out, const char *prog);

#endif
