/*
 * stack.h: one stack instance, the object everything hangs off (no global
 * state, DESIGN.md). It owns the clock reading handed in by the driver, the
 * RNG and hash secrets, the timing wheel, the tables (sockets, connections by
 * 4-tuple, listeners, TIME-WAIT entries), the counters and the trace hook,
 * and a scratch buffer for building outgoing datagrams.
 *
 * The tcp layer works on connections through the services declared here
 * (emit a datagram, look up and insert connections, count, trace); it never
 * touches the socket table except through sn_sock's documented fields.
 */
#ifndef SYNACK_STACK_STACK_H
#define SYNACK_STACK_STACK_H

#include <stdint.h>

#include "base/bigmem.h"
#include "base/bufcache.h"
#include "base/pool.h"
#include "base/ring.h"
#include "base/rng.h"
#include "base/siphash.h"
#include "base/wheel.h"
#include "synack/synack.h"
#include "tcp/tcb.h"
#include "tcp/timewait.h"

/* A socket's options and leftovers, cold state: most sockets never change
 * an option and most connections end with nothing left to keep, so the
 * block is taken from the stack's sockopt_pool only when something differs
 * from the stack's defaults (sn_sock_opt_mut) and given back with the
 * socket. A socket without one reads the defaults (sn_sock_opt). */
struct sn_sock_opt {
	int linger;                  /* -1: off; else seconds */
	uint16_t keepidle_s, keepintvl_s; /* TCP_KEEPIDLE/INTVL, 0: stack default */
	uint8_t keepcnt;             /* TCP_KEEPCNT, 0: stack default */
	uint8_t ttl, tos;            /* IP_TTL, IP_TOS */
	uint8_t cc_algo;             /* TCP_CONGESTION: enum synack_cc */
	uint32_t sndbuf, rcvbuf;
	uint32_t user_timeout_us;
	struct synack_endpoint foreign; /* synack_sock_restrict: 0 fields unspecified */
	struct synack_route route;   /* synack_sock_set_route (MUST-51), for connect */
	uint8_t rst_len;             /* SHLD-2: payload of the RST that ended the connection */
	uint8_t rst_data[SYNACK_RST_DATA_MAX];
	struct sn_ring rest;         /* unread data kept after the TCB ended cleanly */
};

/* A socket descriptor's object: what every socket needs (the options and
 * leftovers are in its sn_sock_opt, if it has one). */
struct sn_sock {
	unsigned in_use : 1;
	unsigned bound : 1;
	unsigned reuseaddr : 1;
	unsigned keepalive : 1;
	unsigned nodelay : 1;
	unsigned was_connected : 1;  /* reached ESTABLISHED at some point */
	unsigned listening : 1;
	unsigned shut_wr : 1;
	unsigned shut_rd : 1;
	unsigned eof : 1;            /* the connection ended after the peer's FIN */
	unsigned bound_reuse : 1;    /* SO_REUSEADDR when it bound (what its port hold says) */
	unsigned restricted : 1;     /* foreign is set: a specified passive OPEN (MUST-42) */
	unsigned bound_restricted : 1; /* its port hold is a restricted one (sn_port_count) */
	unsigned no_stall_report : 1; /* SYNACK_TCP_STALL_REPORT 0 (SHLD-20) */
	int error;                   /* pending SO_ERROR (negative errno) */
	struct sn_tcb *tcb;          /* NULL before connect/listen and after the end */
	struct sn_sock_opt *opt;     /* NULL: the stack's defaults, nothing kept */
	struct synack_endpoint local;
	int next_free;               /* free-list link */
};

/* Who holds a local port (demux.c): every holder (bound sockets, connections,
 * TIME-WAIT entries), and of them those without SO_REUSEADDR, those that keep
 * the port to themselves (all but connections whose port connect() picked,
 * and their TIME-WAIT entries), and the restricted listeners (MUST-42). 32-bit:
 * millions of TIME-WAIT entries may share one port. */
struct sn_port_count {
	uint32_t users, noreuse, excl, restricted;
};
#define SN_PORT_PAGE_BITS 8
#define SN_PORT_PAGES (65536 >> SN_PORT_PAGE_BITS)

/* Datagrams we build fit in the MTU; the slack covers a maximal IP header
 * (60 bytes) and TCP header (60) on top of the 40 the MSS assumes. */
#define SN_TXBUF_SLACK 128
/* Freed ring storage a stack keeps for its next connections (base/bufcache.h):
 * 32 connections' worth at the default 64 KiB each way. */
#define SN_RING_CACHE_BYTES (4u << 20)

struct synack_stack {
	struct synack_config cfg;
	uint64_t now;
	struct sn_rng rng;
	struct sn_siphash_key hash_key;   /* 4-tuple table */
	struct sn_siphash_key isn_key;    /* RFC 9293 §3.4.1 F() */
	struct sn_siphash_key port_key;   /* RFC 6056 ephemeral ports */
	struct sn_siphash_key cookie_key; /* SYN cookies (tcp/syncookie.c) */
	uint32_t cookie_last_period;      /* 1 + the 64 s period a cookie was last sent in; 0: never */
	struct sn_wheel wheel;

	synack_output_fn out_fn;
	void *out_ctx;
	synack_trace_fn trace_fn;
	void *trace_ctx;
	synack_log_fn log_fn;
	void *log_ctx;
	synack_advice_fn advice_fn;
	void *advice_ctx;
	struct {
		uint64_t last;            /* stack time of the last message of this kind */
		uint64_t suppressed;      /* since then */
		unsigned sent : 1;
	} log_rl[SYNACK_LOG_NKINDS];
	struct synack_counters ctr;

	struct sn_sock *socks;            /* [cfg.max_sockets], in socks_mem */
	struct sn_bigmem socks_mem, hash_mem; /* huge pages when large (base/bigmem.h) */
	int free_sock;                    /* head of the free list, -1 if none */

	struct sn_pool tcb_pool;
	struct sn_bufcache bufcache; /* freed ring storage for the next connections */
	struct sn_pool sack_pool;         /* SACK scoreboards (sack.c), at most one per TCB */
	struct sn_pool listen_pool;       /* listeners' queues (socket.c), one per listener */
	struct sn_pool sockopt_pool;      /* sockets' options and leftovers (socket.c) */
	struct sn_pool route_pool;        /* connections' source routes (tcb.c), one per TCB */
	struct sn_pool cubic_pool;        /* CUBIC's state (cc.c), one per TCB after a congestion event */
	struct sn_pool ooo_pool[SN_OOO_TIERS]; /* out-of-order range blocks by tier (reass.c) */
	uint64_t ooo_meta;                /* bytes of the blocks charged to ooo_mem_max */
	uint32_t nconns;
	uint32_t norphans;                /* TCBs the user closed that still run (tcp_max_orphans) */
	struct sn_list conns;             /* every TCB */
	struct sn_list listeners;         /* TCBs in LISTEN */
	struct sn_tcb **hash;             /* 4-tuple buckets */
	struct sn_tcb *last_conn;         /* the last connection sn_conn_lookup found, or NULL */
	struct {                          /* synack_stack_input_batch: the bucket its prefetch
	                                   * computed for the datagram being processed, so the
	                                   * lookup of that 4-tuple does not hash it again
	                                   * (demux.c); bucket NULL: no hint */
		struct synack_endpoint local, remote;
		struct sn_tcb **bucket;
	} conn_hint;
	uint64_t conn_hint_hits;          /* lookups that took conn_hint's bucket (the batch
	                                   * test reads it: not vacuous) */
	uint32_t hash_mask;
	struct sn_port_count *port_page[SN_PORT_PAGES]; /* holders of each local port, by pages
	                                  * of 256 ports allocated when one is first chosen */
	uint32_t port_hint;               /* RFC 6056 algorithm 3 counter */

	struct sn_tw_table tw;

	/* RFC 5961 §7 challenge ACK budget for the current second */
	uint64_t challenge_epoch;         /* now / 1 s + 1 when the budget was drawn */
	uint32_t challenge_left;

	unsigned fastpath_off : 1;        /* header prediction and RACK's closed forms off (only
	                                   * the differential tests set it) */
	uint64_t rack_closed_forms;       /* RACK's closed forms taken (the differential test
	                                   * reads it: not vacuous) */

	/* The return route of the datagram being processed: its completed
	 * source route reversed (MUST-53), n = 0 if none; valid only inside
	 * synack_stack_input. Stateless replies (RSTs, SYN cookies, TIME-WAIT
	 * ACKs) follow it; a new connection keeps it. */
	struct synack_route rx_route;
	uint32_t rx_route_src;            /* the final destination of rx_route */

	uint8_t *txbuf;                   /* the datagram being built: txcap bytes */
	uint32_t txcap;                   /* mtu + room for IP options (SN_TXBUF_SLACK) */
};

/* ---- stack.c */
void sn_emit_datagram(struct synack_stack *st, const uint8_t *pkt, size_t len);
void sn_count_drop(struct synack_stack *st, enum synack_drop why, const struct sn_tcp_seg *seg,
		   uint32_t src, uint32_t dst);
/* An operator message, rate-limited per kind (synack_stack_set_log). */
void sn_log(struct synack_stack *st, enum synack_log_kind kind, const char *msg);
/* MUST-20: the connection's path is suspect (synack_stack_set_advice). */
void sn_ip_negative_advice(struct synack_stack *st, const struct synack_endpoint *local,
			   const struct synack_endpoint *remote);

/* ---- icmp.c: an ICMP message addressed to us (RFC 792, RFC 1122 3.2.2) */
struct sn_ipv4;
void sn_icmp_input(struct synack_stack *st, const struct sn_ipv4 *ip, const uint8_t *msg, size_t len);

/* ---- trace.c */
void sn_trace_state(struct synack_stack *st, const struct synack_endpoint *local,
		    const struct synack_endpoint *remote, enum synack_state from,
		    enum synack_state to, const char *why);
void sn_trace_seg_emit(struct synack_stack *st, enum synack_trace_kind kind,
		       const struct synack_endpoint *local, const struct synack_endpoint *remote,
		       const struct sn_tcp_seg *seg, int retransmit);
/* A segment event, if anyone listens (inline: twice per segment otherwise). */
static inline void sn_trace_seg(struct synack_stack *st, enum synack_trace_kind kind,
				const struct synack_endpoint *local,
				const struct synack_endpoint *remote, const struct sn_tcp_seg *seg,
				int retransmit)
{
	if (st->trace_fn)
		sn_trace_seg_emit(st, kind, local, remote, seg, retransmit);
}
void sn_trace_user(struct synack_stack *st, const struct sn_tcb *tcb, const char *what);

/* ---- demux.c: connection tables and ports */
int sn_demux_init(struct synack_stack *st);
void sn_demux_free(struct synack_stack *st);
/* The hash bucket the 4-tuple's connection would be in (a prefetch hint for
 * synack_stack_input_batch, which hands it to the lookup in st->conn_hint).
 * A pure function of the tuple: the key and the table's size never change. */
struct sn_tcb **sn_conn_bucket(struct synack_stack *st, const struct synack_endpoint *local,
			       const struct synack_endpoint *remote);
struct sn_tcb *sn_conn_lookup(struct synack_stack *st, const struct synack_endpoint *local,
			      const struct synack_endpoint *remote);
void sn_conn_insert(struct synack_stack *st, struct sn_tcb *tcb);
void sn_conn_remove(struct synack_stack *st, struct sn_tcb *tcb);
/* The listener a segment from src:sport to addr:port belongs to: the most
 * specific whose foreign restriction matches (MUST-42), or NULL. */
struct sn_tcb *sn_listener_lookup(struct synack_stack *st, uint32_t addr, uint16_t port,
				  uint32_t src, uint16_t sport);
/* The listener on port with exactly this foreign restriction, or NULL. */
struct sn_tcb *sn_listener_same(struct synack_stack *st, uint16_t port,
				const struct synack_endpoint *foreign);
/* How a holder holds its port (sn_port_hold): */
#define SN_PORT_REUSE 1u  /* it has SO_REUSEADDR (Linux's sk_reuse, kept by TIME-WAIT) */
#define SN_PORT_SHARED 2u /* connect() picked the port: other 4-tuples may share it
			   * (Linux: a bind bucket with fastreuse -1) */
static inline unsigned sn_tcb_port_how(const struct sn_tcb *tcb)
{
	return (tcb->reuseaddr ? SN_PORT_REUSE : 0) | (tcb->port_shared ? SN_PORT_SHARED : 0);
}
/* Make room to count the holders of port (its page of counters): before a
 * port that nobody may hold yet is taken. 0 or -ENOMEM. */
int sn_port_reserve(struct synack_stack *st, uint16_t port);
/* A socket, connection or TIME-WAIT entry takes or gives up a local port
 * (reserved when it was chosen, or already held). */
void sn_port_hold(struct synack_stack *st, uint16_t port, unsigned how);
void sn_port_release(struct synack_stack *st, uint16_t port, unsigned how);
/* The same for a restricted listener or its socket (MUST-42). */
void sn_port_hold_restricted(struct synack_stack *st, uint16_t port);
void sn_port_release_restricted(struct synack_stack *st, uint16_t port);
/* A local port nobody holds (bind() to port 0), in RFC 6056 algorithm 3's
 * order for remote. 0 and *port (reserved), -EADDRNOTAVAIL or -ENOMEM. */
int sn_port_ephemeral(struct synack_stack *st, const struct synack_endpoint *remote, uint16_t *port);
/* connect()'s autobind: the first port in RFC 6056 algorithm 3's order
 * that no one holds exclusively and whose 4-tuple to remote is free, or
 * held only by a TIME-WAIT entry sn_tw_reusable() allows (then *tw is that
 * entry, for the caller to take over; else NULL). 0 and *port, or
 * -EADDRNOTAVAIL when no port in ip_local_port_range works for remote, or
 * -ENOMEM. The port chosen is reserved. */
int sn_port_connect(struct synack_stack *st, const struct synack_endpoint *remote, uint16_t *port,
		    struct sn_tw **tw);
/* Can a socket bind port? Linux's rule (inet_csk_bind_conflict): a free
 * port, or SO_REUSEADDR on the binder and on every holder and no listener
 * there; restricted listeners and their sockets (MUST-42) do not count.
 * 0 or -EADDRINUSE. */
int sn_port_bindable(struct synack_stack *st, uint16_t port, int reuseaddr);

/* ---- socket.c: the TCB tells its socket what happened */
void sn_sock_tcb_gone(struct synack_stack *st, struct sn_tcb *tcb, int err);
/* The socket's options: its own block, or the stack's defaults in *tmp. */
const struct sn_sock_opt *sn_sock_opt(const struct synack_stack *st, const struct sn_sock *so,
				      struct sn_sock_opt *tmp);
/* Its own block, taken from sockopt_pool (with the defaults) on first use;
 * NULL when none can be had. */
struct sn_sock_opt *sn_sock_opt_mut(struct synack_stack *st, struct sn_sock *so);
/* A listener's buffer sizes for its connections (no socket: the defaults). */
static inline uint32_t sn_sock_sndbuf(const struct synack_stack *st, const struct sn_sock *so)
{
	return so && so->opt ? so->opt->sndbuf : st->cfg.sndbuf;
}
static inline uint32_t sn_sock_rcvbuf(const struct synack_stack *st, const struct sn_sock *so)
{
	return so && so->opt ? so->opt->rcvbuf : st->cfg.rcvbuf;
}

#endif
