/*
 * synack.h: the public API of libsynack, a userspace TCP/IP stack.
 *
 * The core is sans-IO (docs/architecture.md): it never reads a clock, sleeps
 * or touches a device. A driver (the simulator, a TUN loop, a test) owns a
 * stack and
 *   - hands it every received IPv4 datagram: synack_stack_input(st, now, ...);
 *   - calls synack_stack_poll(st, now) when the deadline it returned comes
 *     (or earlier: an early call is harmless);
 *   - sends every datagram the stack hands to the output callback.
 * Time is microseconds on a monotonic clock of the driver's choosing.
 *
 * The socket API is BSD-shaped and never blocks. Sockets are small integers
 * local to their stack. Socket calls act at the time of the stack's latest
 * input or poll call; they may emit segments at once through the output
 * callback. Errors are negative errno values (-ECONNRESET, -EAGAIN, ...), as
 * Linux reports them.
 *
 * Addresses and ports are host order everywhere in this API.
 */
#ifndef SYNACK_SYNACK_H
#define SYNACK_SYNACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* ssize_t */

#ifdef __cplusplus
extern "C" {
#endif

#define SYNACK_VERSION_STRING "0.1.0"

typedef struct synack_stack synack_stack;

/* ---------------------------------------------------------------- states */

/* The eleven states of RFC 9293 §3.3.2. */
enum synack_state {
	SYNACK_CLOSED = 0,
	SYNACK_LISTEN,
	SYNACK_SYN_SENT,
	SYNACK_SYN_RECEIVED,
	SYNACK_ESTABLISHED,
	SYNACK_FIN_WAIT_1,
	SYNACK_FIN_WAIT_2,
	SYNACK_CLOSE_WAIT,
	SYNACK_CLOSING,
	SYNACK_LAST_ACK,
	SYNACK_TIME_WAIT,
	SYNACK_NSTATES
};

/* "SYN-RECEIVED", as RFC 9293 spells it; "?" for a bad value. */
const char *synack_state_name(enum synack_state s);

/* ---------------------------------------------------------------- drops */

/* Why an inbound datagram or segment was dropped. Every drop is counted
 * (struct synack_counters.drops) and traced. */
enum synack_drop {
	SYNACK_DROP_NONE = 0,
	SYNACK_DROP_IP_TRUNCATED,     /* shorter than an IPv4 header or its total length */
	SYNACK_DROP_IP_VERSION,       /* not IPv4 */
	SYNACK_DROP_IP_HDR_LEN,       /* IHL < 5 or past the datagram */
	SYNACK_DROP_IP_CHECKSUM,      /* bad header checksum */
	SYNACK_DROP_IP_FRAGMENT,      /* a fragment: dropped, never reassembled (docs/configuration.md) */
	SYNACK_DROP_IP_PROTO,         /* neither TCP nor ICMP */
	SYNACK_DROP_IP_NOT_OURS,      /* destination is not this stack's address */
	SYNACK_DROP_IP_BAD_SRC,       /* source is broadcast, multicast or ours */
	SYNACK_DROP_TCP_TRUNCATED,    /* shorter than a TCP header */
	SYNACK_DROP_TCP_HDR_LEN,      /* data offset < 5 or past the segment */
	SYNACK_DROP_TCP_CHECKSUM,     /* MUST-3: bad checksum */
	SYNACK_DROP_TCP_OPTION,       /* illegal option length (MUST-7, MUST-68) */
	SYNACK_DROP_TCP_BAD_PORT,     /* port 0 */
	SYNACK_DROP_NO_SOCKET,        /* no connection or listener; answered with RST */
	SYNACK_DROP_RST_NO_SOCKET,    /* RST for no connection: ignored (§3.5.2) */
	SYNACK_DROP_SEQ,              /* unacceptable sequence number (§3.10.7.4) */
	SYNACK_DROP_RST_SEQ,          /* RST out of window */
	SYNACK_DROP_ACK_UNSENT,       /* acknowledges data not yet sent */
	SYNACK_DROP_ACK_OLD,          /* SYN-SENT/SYN-RECEIVED with an unacceptable ACK */
	SYNACK_DROP_NO_ACK,           /* synchronized state, ACK bit off (§3.10.7.4 fifth) */
	SYNACK_DROP_LISTEN_ACK,       /* ACK to a listener: answered with RST */
	SYNACK_DROP_LISTEN_OTHER,     /* neither SYN nor RST nor ACK to a listener */
	SYNACK_DROP_BACKLOG,          /* listener's queue full */
	SYNACK_DROP_NO_MEMORY,        /* connection or TIME-WAIT table full */
	SYNACK_DROP_OOO_FULL,         /* out-of-order queue full */
	SYNACK_DROP_OOO_MEM,          /* out-of-order data past the stack-wide ooo_mem_max */
	SYNACK_DROP_RCV_WINDOW,       /* data beyond the receive window, trimmed away */
	SYNACK_DROP_TIMEWAIT,         /* segment to a TIME-WAIT entry (answered or dropped) */
	SYNACK_DROP_RST_CHALLENGE,    /* RFC 5961 §3.2: RST in window but not at RCV.NXT */
	SYNACK_DROP_SYN_CHALLENGE,    /* RFC 5961 §4.2: SYN in a synchronized state */
	SYNACK_DROP_ACK_TOO_OLD,      /* RFC 5961 §5.2: ACK below SND.UNA - MAX.SND.WND */
	SYNACK_DROP_SYN_QUEUE,        /* SYN queue full and SYN cookies off */
	SYNACK_DROP_BAD_COOKIE,       /* ACK to a listener without a valid SYN cookie */
	SYNACK_DROP_ACCEPT_QUEUE,     /* handshake done but the accept queue is full */
	SYNACK_DROP_ICMP_TRUNCATED,   /* ICMP shorter than its header, or an error message
	                               * quoting less than an IPv4 header and 8 octets */
	SYNACK_DROP_ICMP_CHECKSUM,    /* bad ICMP checksum */
	SYNACK_DROP_ICMP_IGNORED,     /* a type we do not act on (incl. Source Quench, MUST-55) */
	SYNACK_DROP_ICMP_NO_CONN,     /* an error quoting no connection of ours */
	SYNACK_DROP_ICMP_SEQ,         /* an error quoting a sequence number outside
	                               * SND.UNA..SND.MAX (RFC 5927 §4.1) */
	SYNACK_DROP_PAWS,             /* TSval older than TS.Recent (RFC 7323 §5.3 R1), or a
	                               * SYN,ACK echoing a timestamp we never sent: answered */
	SYNACK_DROP_IP_SRCROUTE,      /* an IP source route option (LSRR/SSRR) with
	                               * accept_source_route off, one not yet completed (we do
	                               * not forward), or a malformed one */
	SYNACK_DROP_MAX
};

/* "tcp_checksum", ... : a stable identifier for counters and traces. */
const char *synack_drop_name(enum synack_drop d);

/* ---------------------------------------------------------------- config */

/* Congestion control algorithms (tcp_congestion_control, TCP_CONGESTION;
 * docs/configuration.md). */
enum synack_cc {
	SYNACK_CC_RENO = 0,  /* "reno": RFC 5681 with NewReno recovery (RFC 6582) */
	SYNACK_CC_CUBIC = 1, /* "cubic": RFC 9438 */
};

struct synack_config {
	uint64_t seed;            /* RNG seed: ISN secret, hash keys, ephemeral ports. The core
	                           * never reads entropy: drivers pass a random one in production
	                           * (the simulator draws one from its own seed when 0) */
	uint32_t addr;            /* this stack's IPv4 address */
	uint16_t mtu;             /* link MTU; our MSS = mtu - 40 (MUST-67) */
	uint16_t port_lo, port_hi;/* ephemeral port range (ip_local_port_range) */
	uint32_t max_sockets;     /* open socket descriptors */
	uint32_t max_conns;       /* TCBs (live connections, incl. orphans) */
	uint32_t max_timewait;    /* TIME-WAIT entries (tcp_max_tw_buckets); runtime: lowering it
	                           * purges nothing, it only stops new entries */
	uint32_t max_orphans;     /* connections the user has closed that are still finishing
	                           * (tcp_max_orphans); beyond, close resets them at once */
	uint32_t sndbuf, rcvbuf;  /* default buffer bytes per connection */
	uint32_t ooo_mem_max;     /* out-of-order bytes held by all connections together; at the
	                           * limit the highest-sequence (newest) ones are pruned first
	                           * (0: no stack-wide limit, only each receive buffer) */
	uint32_t msl_us;          /* TIME-WAIT lasts 2*MSL (MUST-13) */
	uint32_t fin_timeout_us;  /* orphaned FIN-WAIT-2 lifetime (tcp_fin_timeout) */
	uint32_t rto_initial_us;  /* RFC 6298 (2.1): 1 s */
	uint32_t rto_min_us;      /* lower bound of RTO */
	uint32_t rto_max_us;      /* upper bound of RTO and of backoff */
	uint32_t delack_us;       /* delayed-ACK timeout, < 500 ms (SHLD-18) */
	uint32_t syn_retries;     /* R2 for SYN: give up after this many retransmissions (MUST-23) */
	uint32_t synack_retries;  /* SYN,ACK retransmissions of a passive open (tcp_synack_retries) */
	uint32_t max_syn_backlog; /* half-open connections per listener (tcp_max_syn_backlog) */
	uint8_t syncookies;       /* tcp_syncookies: 0 never, 1 when the SYN queue is full, 2 always */
	uint8_t abort_on_overflow; /* tcp_abort_on_overflow: 1 resets a handshake the full accept
	                            * queue cannot take; 0 drops its ACK (the peer retries) */
	uint32_t retries1;        /* R1: past this many, tell the IP layer (MUST-20..22) */
	uint32_t retries2;        /* R2 for data: abort after this many (MUST-20) */
	uint32_t user_timeout_us; /* default TCP_USER_TIMEOUT; 0: none */
	uint32_t isn_tick_us;     /* ISN clock: +1 per this many µs (RFC 9293 §3.4.1: 4) */
	uint64_t keepalive_time_us;  /* idle time before the first keepalive probe
	                              * (tcp_keepalive_time; MUST-28: >= 2 h by default) */
	uint32_t keepalive_intvl_us; /* between unanswered probes (tcp_keepalive_intvl) */
	uint32_t keepalive_probes;   /* unanswered probes before the connection is dropped
	                              * (tcp_keepalive_probes) */
	uint8_t tcp_rfc1337;      /* 1: an RST never ends TIME-WAIT early (RFC 1337); 0: Linux's
	                           * default, an RST at exactly RCV.NXT ends it */
	uint8_t rfc5961;          /* 1 (default): RST, SYN and ACK checks of RFC 5961 as RFC 9293
	                           * §3.10.7.4 describes; 0: plain RFC 793 acceptance */
	uint32_t challenge_ack_limit; /* challenge ACKs per second, stack-wide, randomised
	                               * (tcp_challenge_ack_limit; 0: no limit) */
	uint32_t invalid_ratelimit_us; /* per connection, at most one ACK per this interval in
	                                * answer to unacceptable pure ACKs (out of window, PAWS):
	                                * ACK loops cannot spin (tcp_invalid_ratelimit; 0: off) */
	uint8_t tcp_window_scaling; /* 1: offer/accept RFC 7323 window scaling (tcp_window_scaling) */
	uint8_t tcp_timestamps;   /* 1: offer/accept RFC 7323 timestamps (tcp_timestamps) */
	uint8_t tcp_sack;         /* 1: offer/accept SACK-permitted, send and use SACK blocks
	                           * (tcp_sack; RFC 2018, RFC 6675) */
	uint8_t tcp_dsack;        /* 1: report duplicate segments as D-SACK (tcp_dsack; RFC 2883) */
	uint8_t tcp_tw_reuse;     /* 1: connect may take over a TIME-WAIT 4-tuple that used
	                           * timestamps (tcp_tw_reuse); 0 and 2 (Linux: loopback only;
	                           * synack has no loopback traffic): never */
	uint32_t tw_reuse_delay_us; /* tcp_tw_reuse waits this long after the entry's last
	                             * timestamp (tcp_tw_reuse_delay) */
	uint8_t tcp_congestion_control; /* enum synack_cc for new sockets
	                                 * (tcp_congestion_control) */
	uint8_t accept_source_route; /* 1: accept datagrams carrying a completed IP source route
	                              * (LSRR/SSRR) and answer by the reversed route (MUST-53);
	                              * 0 (default, as Linux's accept_source_route and RFC 7126
	                              * advise): drop them (ip_source_route) */
	uint8_t tcp_ecn;          /* ECN, RFC 3168 (tcp_ecn): 0 off, 1 request on outgoing
	                           * connections and accept on incoming, 2 accept only */
	uint8_t tcp_abc;          /* RFC 3465 byte counting (Linux's old tcp_abc): 2 (default)
	                           * L = 2 SMSS, 1: L = 1 SMSS, 0: growth per ACK (no defence
	                           * against ACK division; for comparison only) */
	uint8_t tcp_dupack_bound; /* 1 (default): in fast recovery, duplicate ACKs beyond the
	                           * segments outstanding inflate nothing; 0: each inflates cwnd */
	uint8_t tcp_recovery;     /* loss detection on SACK connections (tcp_recovery, Linux's
	                           * bits): 1 RACK (RFC 8985, default), 2 static reordering
	                           * window (no D-SACK adaptation), 4 no DupThresh shortcut to a
	                           * zero reordering window; 0: RFC 6675 DupThresh only */
	uint8_t tcp_early_retrans; /* tcp_early_retrans: 3 or 4 (default 3) Tail Loss Probe
	                            * (RFC 8985 §7) on RACK connections; 0..2 no probes */
	uint8_t tcp_prr;          /* cwnd in SACK fast recovery: 1 (default) Proportional Rate
	                           * Reduction with RFC 6937's slow start reduction bound; 2 the
	                           * bound's extra segment only on ACKs that advance SND.UNA and
	                           * show no new loss (Linux since 5.14, RFC 9937); 0 none:
	                           * cwnd = ssthresh at entry (RFC 6675 alone) */
};

/* Fills cfg with the defaults (documented in docs/configuration.md). */
void synack_config_default(struct synack_config *cfg);

/* ---------------------------------------------------------------- stack */

/* Receives every datagram the stack sends (one complete IPv4 datagram). */
typedef void (*synack_output_fn)(void *ctx, const uint8_t *pkt, size_t len);

/* 0 and *out, or -EINVAL (bad config) / -ENOMEM. */
int synack_stack_create(const struct synack_config *cfg, synack_stack **out);
/* Frees everything: sockets, connections, TIME-WAIT entries. Sends nothing. */
void synack_stack_destroy(synack_stack *st);
void synack_stack_set_output(synack_stack *st, synack_output_fn fn, void *ctx);
const struct synack_config *synack_stack_config(const synack_stack *st);
/* Runtime knobs: msl_us, fin_timeout_us, delack_us, rto_*, retries, ports,
 * default buffers, user timeout, max_timewait, max_orphans, keepalive_*,
 * tcp_rfc1337, the TCP option knobs (tcp_window_scaling, tcp_timestamps,
 * tcp_sack, tcp_dsack: for connections opened afterwards), tcp_tw_reuse,
 * tw_reuse_delay_us and tcp_congestion_control (for sockets opened afterwards). addr, seed, mtu, max_sockets and max_conns are fixed at
 * creation (-EINVAL if changed). Applies to later events: a TIME-WAIT entry
 * keeps the expiry it was given. */
int synack_stack_reconfigure(synack_stack *st, const struct synack_config *cfg);

/* Process one received IPv4 datagram at time now. Never fails: bad input is
 * dropped and counted. */
void synack_stack_input(synack_stack *st, uint64_t now, const uint8_t *pkt, size_t len);
/* Process n received datagrams (pkts[i], lens[i] bytes) at time now, in
 * order: the same as n calls of synack_stack_input. Faster for a driver
 * that reads datagrams in batches (tens at a time) to a stack with many
 * connections: while it processes one datagram it has the CPU prefetch the
 * headers, hash buckets, TCBs and sockets of the next few, so their cache
 * misses overlap instead of following one another. */
void synack_stack_input_batch(synack_stack *st, uint64_t now, const uint8_t *const *pkts,
			      const size_t *lens, size_t n);
/* Run the timers due at now. Returns the next time the stack wants to be
 * polled (UINT64_MAX: no timer pending). */
uint64_t synack_stack_poll(synack_stack *st, uint64_t now);
/* The next deadline without running anything. */
uint64_t synack_stack_next_deadline(const synack_stack *st);
uint64_t synack_stack_now(const synack_stack *st);

/* ---------------------------------------------------------------- sockets */

struct synack_endpoint {
	uint32_t addr;
	uint16_t port;
};

#define SYNACK_SHUT_RD 0
#define SYNACK_SHUT_WR 1
#define SYNACK_SHUT_RDWR 2

/* Readiness (synack_sock_events), poll(2)-like. */
#define SYNACK_EV_IN 0x01    /* recv would not return -EAGAIN; accept has a connection */
#define SYNACK_EV_PRI 0x02   /* urgent data not yet read (MUST-32) */
#define SYNACK_EV_OUT 0x04   /* send would accept bytes */
#define SYNACK_EV_ERR 0x08   /* a pending error (SO_ERROR) */
#define SYNACK_EV_HUP 0x10   /* both directions closed, or reset */
#define SYNACK_EV_RDHUP 0x2000 /* the peer sent FIN */
#define SYNACK_EV_STALL 0x4000 /* SHLD-9: a segment has gone R1 (retries1) times without an
                                * ACK; the connection goes on until R2. Cleared when new
                                * data (or our SYN) is acknowledged */

enum synack_opt {
	SYNACK_SO_REUSEADDR = 1, /* 0/1 */
	SYNACK_SO_LINGER,        /* -1: off (default); >= 0: linger seconds (0: close sends RST) */
	SYNACK_SO_KEEPALIVE,     /* 0/1 */
	SYNACK_SO_SNDBUF,        /* bytes; before connect/listen */
	SYNACK_SO_RCVBUF,        /* bytes; before connect/listen */
	SYNACK_SO_ERROR,         /* get only: pending error (negative errno), then cleared */
	SYNACK_TCP_NODELAY,      /* 0/1: 1 turns Nagle off (MUST-17) */
	SYNACK_TCP_USER_TIMEOUT, /* ms; 0: stack default */
	SYNACK_TCP_MAXSEG,       /* get: effective send MSS */
	SYNACK_IP_TTL,           /* 1..255, default 64 (MUST-49) */
	SYNACK_IP_TOS,           /* 0..255: the DS field (DSCP) of outgoing datagrams (MUST-48);
	                          * the two ECN bits are TCP's (RFC 3168) and are dropped, as
	                          * Linux does on TCP sockets */
	SYNACK_TCP_KEEPIDLE,     /* s, 1..32767: idle time before keepalive probes (MUST-26);
	                          * get: the value in force (stack default until set) */
	SYNACK_TCP_KEEPINTVL,    /* s, 1..32767: between keepalive probes */
	SYNACK_TCP_KEEPCNT,      /* 1..127: unanswered probes before -ETIMEDOUT */
	SYNACK_TCP_CONGESTION,   /* enum synack_cc (by name: synack_sock_set_congestion);
	                          * a live connection switches at once, keeping cwnd */
	SYNACK_TCP_STALL_REPORT, /* 0/1, default 1: report R1 reached as SYNACK_EV_STALL
	                          * (SHLD-9); 0 disables that report (SHLD-20); accept
	                          * copies the listener's */
};

/* A new socket descriptor, or -EMFILE. */
int synack_sock_open(synack_stack *st);
/* addr 0 means this stack's address; port 0 picks an ephemeral port.
 * -EADDRINUSE, -EADDRNOTAVAIL, -EINVAL (already bound), -EBADF. */
int synack_sock_bind(synack_stack *st, int s, const struct synack_endpoint *local);
/* Passive OPEN. -EINVAL if connected, -EBADF. Binds an ephemeral port if unbound.
 * -EADDRINUSE if a listener with the same foreign restriction (below) has the port. */
int synack_sock_listen(synack_stack *st, int s, int backlog);
/* A fully or partly specified passive OPEN (RFC 9293 §3.9.1 OPEN with a
 * foreign socket; MUST-42): before listen, restrict the socket to SYNs from
 * foreign (addr, port; 0 leaves a field unspecified; NULL or {0, 0} lifts
 * the restriction). Listeners with different restrictions, and at most one
 * unrestricted, share a local port, whichever binds first; a SYN goes to
 * the most specific that matches: address and port, then address, then
 * port, then the unrestricted one. A restricted socket binds a port held by
 * others without SO_REUSEADDR. 0, -EINVAL (listening or connected: too
 * late), -EADDRINUSE (lifting it on a bound socket whose port is taken),
 * -EBADF. */
int synack_sock_restrict(synack_stack *st, int s, const struct synack_endpoint *foreign);
/* A new descriptor for an established connection, filling *peer if not NULL;
 * -EAGAIN when none is ready, -EINVAL if s is not listening. */
int synack_sock_accept(synack_stack *st, int s, struct synack_endpoint *peer);
/* Active OPEN: sends SYN and returns -EINPROGRESS. Later calls: -EALREADY
 * while the handshake runs, -EISCONN once connected. Failure is reported
 * through SYNACK_SO_ERROR and SYNACK_EV_ERR (-ECONNREFUSED, -ETIMEDOUT). */
int synack_sock_connect(synack_stack *st, int s, const struct synack_endpoint *remote);
/* SEND: bytes queued (maybe fewer than len), or -EAGAIN (buffer full),
 * -ENOTCONN, -EPIPE (sending side shut down), -ECONNRESET, -ETIMEDOUT. */
ssize_t synack_sock_send(synack_stack *st, int s, const void *buf, size_t len);
/* SEND with the URGENT flag (RFC 9293 §3.8.5): like send, and the urgent
 * pointer marks the end of these bytes. Urgent data is delivered in line. */
ssize_t synack_sock_send_urgent(synack_stack *st, int s, const void *buf, size_t len);
/* RECEIVE: bytes read, 0 at end of stream (the peer's FIN), -EAGAIN, -ENOTCONN,
 * -ECONNRESET, -ETIMEDOUT. */
ssize_t synack_sock_recv(synack_stack *st, int s, void *buf, size_t len);
int synack_sock_shutdown(synack_stack *st, int s, int how);
/* CLOSE: the descriptor is gone at once; the connection finishes in the
 * background (FIN, or RST when unread data remains or SO_LINGER is 0). */
int synack_sock_close(synack_stack *st, int s);
/* ABORT (RFC 9293 §3.10.5): RST to the peer, descriptor released. */
int synack_sock_abort(synack_stack *st, int s);
int synack_sock_setopt(synack_stack *st, int s, enum synack_opt opt, int value);
int synack_sock_getopt(synack_stack *st, int s, enum synack_opt opt, int *value);
/* TCP_CONGESTION by name, as Linux takes it ("reno", "cubic"): 0, -ENOENT
 * for an algorithm synack does not have, -EBADF. */
int synack_sock_set_congestion(synack_stack *st, int s, const char *name);
/* The socket's congestion control algorithm by name; NULL for a bad s. */
const char *synack_sock_congestion(synack_stack *st, int s);
/* The name of an enum synack_cc value, or NULL. */
const char *synack_cc_name(int algo);
/* An IP source route (RFC 791 §3.1 LSRR/SSRR; RFC 9293 §3.9.2.1): the
 * gateways a connection's datagrams visit, in order, before the remote
 * address. */
#define SYNACK_ROUTE_MAX 9 /* 40 octets of IP options hold 9 addresses */
struct synack_route {
	uint8_t strict;   /* 1: Strict Source and Record Route; 0: Loose */
	uint8_t n;        /* gateways in hops[]; 0: no source route */
	uint32_t hops[SYNACK_ROUTE_MAX];
};
/* MUST-51, MUST-52: the application's source route for the socket's
 * connection (before or after connect; not on a listener: -EINVAL). It
 * takes precedence over any route received from the peer; n = 0 (or NULL)
 * withdraws it. The IP options it takes are subtracted from the segment
 * size (RFC 9293 §3.7.1). Replies come back source-routed, so the stack
 * needs accept_source_route to hear them. 0, -EINVAL, -EBADF. */
int synack_sock_set_route(synack_stack *st, int s, const struct synack_route *route);
/* The route the socket's connection sends by now: the application's, the
 * reverse of the peer's (MUST-53, SHLD-24), or n = 0. 0, -EBADF. */
int synack_sock_route(synack_stack *st, int s, struct synack_route *route);

/* SHLD-2: an RST may carry data, e.g. text on why it was sent (RFC 9293
 * §3.5.3, RFC 1122 4.2.2.12). The payload of the RST that ended the
 * socket's connection, its first SYNACK_RST_DATA_MAX bytes: copied to buf,
 * returns the bytes copied (0: none, or no RST), -EBADF. Counted in
 * SynackRstWithData. */
#define SYNACK_RST_DATA_MAX 64
ssize_t synack_sock_rst_data(synack_stack *st, int s, void *buf, size_t len);

/* Readiness bits (SYNACK_EV_*), 0 for a bad descriptor. */
unsigned synack_sock_events(synack_stack *st, int s);

/* STATUS (RFC 9293 §3.10.6), shaped like Linux's tcp_info. */
struct synack_tcp_info {
	enum synack_state state;
	struct synack_endpoint local, remote;
	uint32_t snd_una, snd_nxt, snd_wnd, iss;
	uint32_t rcv_nxt, rcv_wnd, irs;
	uint32_t snd_mss, rcv_mss;
	uint32_t cwnd, ssthresh;       /* bytes */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t retransmits;          /* consecutive timeouts of the current segment */
	uint32_t total_retrans;
	uint32_t send_queue, recv_queue; /* unacked+unsent bytes, unread bytes */
	uint32_t urgent_pending;       /* unread bytes up to the urgent pointer (MUST-33) */
	uint8_t options;               /* SYNACK_TCPI_OPT_*: what the handshake negotiated
	                                * (in SYN-SENT: what our SYN offers) */
	uint8_t snd_wscale, rcv_wscale; /* RFC 7323 shifts: the peer's and ours (0 without) */
};
/* synack_tcp_info.options, with Linux's tcpi_options values. */
#define SYNACK_TCPI_OPT_TIMESTAMPS 1
#define SYNACK_TCPI_OPT_SACK 2
#define SYNACK_TCPI_OPT_WSCALE 4
#define SYNACK_TCPI_OPT_ECN 8          /* RFC 3168 negotiated */
int synack_sock_info(synack_stack *st, int s, struct synack_tcp_info *info);
int synack_sock_local(synack_stack *st, int s, struct synack_endpoint *ep);
int synack_sock_peer(synack_stack *st, int s, struct synack_endpoint *ep);

/* ---------------------------------------------------------------- counters */

struct synack_counters {
	uint64_t ip_in, ip_out;
	uint64_t segs_in, segs_out;
	uint64_t retrans_segs;            /* segments sent again (RTO or fast retransmit) */
	uint64_t rto_timeouts;            /* retransmission timer expiries */
	uint64_t rst_in, rst_out;
	uint64_t active_opens, passive_opens;
	uint64_t attempt_fails;           /* SYN-SENT/SYN-RECEIVED -> CLOSED */
	uint64_t estab_resets;            /* ESTABLISHED/CLOSE-WAIT -> CLOSED by RST */
	uint64_t conn_timeouts;           /* aborted after R2 or the user timeout */
	uint64_t delayed_acks;            /* ACKs sent by the delayed-ACK timer */
	uint64_t zero_window_probes;
	uint64_t ooo_segs;                /* out-of-order segments queued */
	uint64_t ooo_pruned;              /* out-of-order bytes discarded to stay within ooo_mem_max
	                                   * (Linux TCPOFODrop/PruneCalled-like) */
	uint64_t ooo_bytes;               /* gauge: out-of-order bytes held now, all connections */
	uint64_t fast_retrans;
	uint64_t tw_entered;              /* connections that reached TIME-WAIT (incl. tw_killed) */
	uint64_t tw_expired;              /* entries that lived out 2*MSL */
	uint64_t tw_fin_reacked;          /* retransmitted FINs ACKed again from TIME-WAIT */
	uint64_t tw_killed;               /* destroyed at entry: tcp_max_tw_buckets reached
	                                   * (Linux TCPTimeWaitOverflow) */
	uint64_t tw_recycled;             /* entries taken over by a new outgoing connection
	                                   * (tcp_tw_reuse; Linux TWRecycled) */
	uint64_t tw_syn_accepted;         /* a new SYN reopened a TIME-WAIT 4-tuple (RFC 6191) */
	uint64_t tw_rst_ignored;          /* RSTs ignored in TIME-WAIT (tcp_rfc1337) */
	uint64_t tw_rst_killed;           /* TIME-WAIT ended early by an RST (assassinated) */
	uint64_t paws_rejected;           /* segments rejected by PAWS (RFC 7323 §5) */
	uint64_t orphans_killed;          /* orphans reset at close: tcp_max_orphans reached
	                                   * (Linux TCPAbortOnMemory) */
	uint64_t keepalive_probes;        /* keepalive probes sent */
	uint64_t keepalive_timeouts;      /* connections dropped after unanswered probes */
	uint64_t user_timeouts;           /* connections aborted by the user timeout */
	uint64_t icmp_in, icmp_out;       /* ICMP messages received (checksum good) and sent */
	uint64_t icmp_echo_replies;       /* echo replies sent (RFC 1122 3.2.2.6) */
	uint64_t icmp_soft_errors;        /* delivered to a connection, kept for SO_ERROR (MUST-56) */
	uint64_t icmp_hard_errors;        /* connections aborted: protocol/port unreachable (SHLD-26) */
	uint64_t pmtu_updates;            /* send MSS lowered by fragmentation-needed (RFC 1191) */
	uint64_t ip_negative_advice;      /* R1 retransmissions reached: advice to IP (MUST-20) */
	uint64_t rst_with_data;           /* accepted RSTs that carried data (SHLD-2) */
	uint64_t illegal_transitions;     /* edges not in RFC 9293's diagram: a bug if non-zero */
	uint64_t challenge_acks;          /* RFC 5961 challenge ACKs sent */
	uint64_t challenge_acks_limited;  /* ... and not sent: over tcp_challenge_ack_limit */
	uint64_t oow_acks_skipped_seq;    /* unacceptable pure ACKs left unanswered within
	                                   * tcp_invalid_ratelimit (Linux TCPACKSkippedSeq) */
	uint64_t oow_acks_skipped_paws;   /* ... PAWS rejects (Linux TCPACKSkippedPAWS) */
	uint64_t oow_acks_skipped_tw;     /* ... in TIME-WAIT: PAWS rejects and SYNs (Linux
	                                   * TCPACKSkippedTimeWait) */
	uint64_t syncookies_sent, syncookies_recv, syncookies_failed;
	uint64_t listen_overflows;        /* accept queue full (SYN dropped or ACK dropped/reset) */
	uint64_t hp_hits;                 /* in-order data segments taken by header prediction */
	uint64_t hp_acks;                 /* pure ACKs of new data taken by header prediction */
	uint64_t sack_recoveries;         /* RFC 6675 loss recoveries entered */
	uint64_t sack_discard;            /* SACK blocks ignored: outside (SND.UNA, SND.MAX], or
	                                   * the scoreboard full */
	uint64_t sack_reneging;           /* the cumulative ACK fell inside SACKed data: the
	                                   * receiver reneged, the scoreboard was cleared */
	uint64_t sack_nomem;              /* no scoreboard to be had: NewReno for that connection */
	uint64_t cubic_nomem;             /* no CUBIC block to be had at a congestion event: Reno's
	                                   * rules for that connection until its next one */
	uint64_t dsack_sent, dsack_recv;  /* D-SACK blocks sent and received (RFC 2883) */
	uint64_t ecn_ce_rcvd;             /* segments that arrived CE-marked on an ECN connection */
	uint64_t ecn_reductions;          /* cwnd reductions for an ECN-Echo (RFC 3168 §6.1.2) */
	uint64_t abc_small_acks;          /* ACKs of under one SMSS with more outstanding: byte
	                                   * counting credited only what they cover (ACK division) */
	uint64_t dupacks_ignored;         /* duplicate ACKs in recovery beyond the segments
	                                   * outstanding: no inflation (dup-ACK spoofing) */
	uint64_t loss_probes;             /* Tail Loss Probes sent (RFC 8985 §7.3) */
	uint64_t loss_probe_recovery;     /* ... that repaired a lone tail loss (§7.4) */
	uint64_t sack_reorder;            /* reordering seen: a segment never retransmitted
	                                   * delivered below the highest delivered one (§6.2) */
	uint64_t rack_reo_timeouts;       /* RACK reordering timer expiries (RFC 8985 §6.3) */
	uint64_t lost_retransmit;         /* retransmissions RACK found lost again */
	uint64_t dsack_undo;              /* congestion responses undone: every retransmission
	                                   * of the episode was D-SACKed (RFC 3708, RFC 2883) */
	uint64_t limited_transmit;        /* new segments sent on duplicate ACKs (RFC 3042) */
	uint64_t sack_recovery_fail;      /* retransmission timeouts during SACK fast recovery */
	uint64_t loss_failures;           /* ... during the recovery after a timeout */
	uint64_t sack_failures;           /* ... outside recovery with SACKed data outstanding */
	uint64_t drops[SYNACK_DROP_MAX];
	uint64_t transitions[SYNACK_NSTATES][SYNACK_NSTATES]; /* [from][to] */
	uint64_t in_state[SYNACK_NSTATES]; /* gauge: connections now in each state */
};
void synack_stack_counters(const synack_stack *st, struct synack_counters *out);
/* Every counter as a name and value, nstat-style, in a stable order: the
 * MIB-like ones under Linux's names where one exists ("TcpActiveOpens",
 * "TcpExtTCPTimeWaitOverflow"), the rest as "Synack..." names, the state
 * gauges as "SynackState<STATE>", transitions as "SynackTrans<FROM>_<TO>"
 * (non-zero ones only) and drops as "SynackDrop_<synack_drop_name>". Stops
 * when fn returns non-zero. */
void synack_counters_foreach(const struct synack_counters *c,
			     int (*fn)(void *ctx, const char *name, uint64_t value), void *ctx);

/* ---------------------------------------------------------------- trace */

enum synack_trace_kind {
	SYNACK_TRACE_STATE,   /* old_state -> new_state */
	SYNACK_TRACE_SEG_IN,  /* a segment accepted for processing (seg) */
	SYNACK_TRACE_SEG_OUT, /* a segment sent (seg) */
	SYNACK_TRACE_DROP,    /* drop: why; seg if it parsed */
	SYNACK_TRACE_USER,    /* a user call (what: "connect", "close", ...) */
};

struct synack_trace_seg {
	uint8_t flags;        /* SYNACK_F_* */
	uint32_t seq, ack;    /* absolute */
	uint32_t len;         /* payload bytes */
	uint32_t wnd;         /* window field as sent (unscaled) */
	uint16_t mss;         /* MSS option value, 0 if absent */
	uint8_t retransmit;   /* SEG_OUT: 1 if this resends sequence space */
};

#define SYNACK_F_FIN 0x01
#define SYNACK_F_SYN 0x02
#define SYNACK_F_RST 0x04
#define SYNACK_F_PSH 0x08
#define SYNACK_F_ACK 0x10
#define SYNACK_F_URG 0x20

struct synack_trace_event {
	uint64_t now;
	enum synack_trace_kind kind;
	struct synack_endpoint local, remote; /* the connection (0s if unknown) */
	enum synack_state old_state, new_state;
	struct synack_trace_seg seg;
	enum synack_drop drop;
	const char *what;     /* STATE: the event that caused it ("rcv SYN,ACK", "close", "2MSL timeout"); USER: the call */
};

typedef void (*synack_trace_fn)(void *ctx, const struct synack_trace_event *ev);
void synack_stack_set_trace(synack_stack *st, synack_trace_fn fn, void *ctx);

/* ---------------------------------------------------------------- advice */

/* Negative advice to IP (RFC 9293 §3.8.3 (b), MUST-20; RFC 1122 3.3.1.4):
 * a segment of the connection local-remote has been retransmitted R1
 * (retries1) times without an ACK, so the path to remote is suspect. synack
 * keeps no routes or neighbour entries (the driver owns the next hop): the
 * stack counts the advice (SynackIpNegativeAdvice) and passes it to this
 * callback, once per stall, where a driver would drop its cached route or
 * neighbour entry for remote (Linux: dst_negative_advice). NULL: counted
 * only. */
typedef void (*synack_advice_fn)(void *ctx, const struct synack_endpoint *local,
				 const struct synack_endpoint *remote);
void synack_stack_set_advice(synack_stack *st, synack_advice_fn fn, void *ctx);

/* ---------------------------------------------------------------- log */

/* Operator messages, like the kernel's ratelimited printk: "TCP: time wait
 * bucket table overflow", "TCP: too many orphaned sockets". Each kind is
 * rate-limited to one message per SYNACK_LOG_INTERVAL_US of stack time; the
 * next message says how many were suppressed. msg has no newline. */
#define SYNACK_LOG_INTERVAL_US 5000000u /* Linux net_ratelimit: 5 s */
enum synack_log_kind {
	SYNACK_LOG_TW_OVERFLOW = 0, /* tcp_max_tw_buckets reached */
	SYNACK_LOG_ORPHANS,         /* tcp_max_orphans reached */
	SYNACK_LOG_NKINDS
};
typedef void (*synack_log_fn)(void *ctx, uint64_t now, enum synack_log_kind kind, const char *msg);
/* NULL: messages are dropped (still counted in the counters). */
void synack_stack_set_log(synack_stack *st, synack_log_fn fn, void *ctx);

/* ---------------------------------------------------------------- table */

enum synack_timer_kind {
	SYNACK_TIMER_OFF = 0,
	SYNACK_TIMER_ON,        /* retransmission (ss calls it "on") */
	SYNACK_TIMER_KEEPALIVE,
	SYNACK_TIMER_TIMEWAIT,
	SYNACK_TIMER_PERSIST,   /* zero-window probe */
	SYNACK_TIMER_DELACK,
	SYNACK_TIMER_FINWAIT2,
};
const char *synack_timer_name(enum synack_timer_kind k);

/* One row of the connection table: a live connection, a listener, or a
 * TIME-WAIT entry. */
struct synack_conn_info {
	enum synack_state state;
	struct synack_endpoint local, remote;
	int sock;                        /* descriptor, -1 if orphaned or not accepted */
	uint32_t send_queue, recv_queue; /* bytes; a listener: backlog, accept queue (as ss) */
	enum synack_timer_kind timer;    /* the timer that will fire next */
	uint64_t timer_expires;          /* absolute µs; 0 if off */
	uint32_t retransmits;
};

/* Calls fn for every connection (listeners, live, then TIME-WAIT); stops early
 * when fn returns non-zero. */
void synack_stack_foreach_conn(synack_stack *st,
			       int (*fn)(void *ctx, const struct synack_conn_info *ci), void *ctx);
/* The same table in bounded steps, for a reader that must not hold the stack
 * long (a control socket of a live stack): from *cursor (0: the start) it
 * visits at most max_visits entries (0: no bound; free TIME-WAIT slots
 * count) and leaves in *cursor where the next call goes on. fn returning
 * non-zero stops the walk before that entry: the next call visits it again.
 * Returns 1 if entries remain, 0 when the walk is done. The table may change
 * between calls: a TIME-WAIT entry that lives throughout is visited exactly
 * once (entries keep their slot); a listener or connection may be missed or
 * visited twice when one before it ends in between, as with Linux's
 * inet_diag dumps. Order: listeners, connections, TIME-WAIT by slot. */
int synack_stack_walk_conn(synack_stack *st, uint64_t *cursor, uint64_t max_visits,
			   int (*fn)(void *ctx, const struct synack_conn_info *ci), void *ctx);

/* "10.0.0.1:80" into buf (>= 22 bytes); returns buf. */
const char *synack_endpoint_str(const struct synack_endpoint *ep, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
