/*
 * stack.c: a stack instance's life and its sans-IO entry points.
 *
 * synack_stack_input() parses a datagram (IPv4, then TCP with its checksum)
 * into a host-order segment and hands it to the tcp layer (ICMP goes to
 * icmp.c); anything it cannot use is dropped with a reason and counted,
 * never a crash.
 * synack_stack_poll() advances the timing wheel. Both record `now`, the only
 * clock the core knows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/stack.h"
#include "wire/ipv4.h"
#include "wire/tcp_wire.h"

void synack_config_default(struct synack_config *cfg)
{
	*cfg = (struct synack_config){
		.seed = 0,
		.addr = 0,
		.mtu = 1500,
		.port_lo = 32768, /* Linux's ip_local_port_range */
		.port_hi = 60999,
		.max_sockets = 4096,
		.max_conns = 65536,
		.max_timewait = 65536,
		.max_orphans = 65536,
		.ooo_mem_max = 32u << 20,
		.sndbuf = 65536,
		.rcvbuf = 65535,
		.msl_us = 30 * SN_US_PER_SEC, /* 2*MSL = 60 s, like Linux */
		.fin_timeout_us = 60 * SN_US_PER_SEC,
		.rto_initial_us = 1 * SN_US_PER_SEC, /* RFC 6298 (2.1) */
		.rto_min_us = 200 * SN_US_PER_MS,    /* Linux's TCP_RTO_MIN */
		.rto_max_us = 120 * SN_US_PER_SEC,   /* Linux's TCP_RTO_MAX */
		.delack_us = 40 * SN_US_PER_MS,
		.syn_retries = 7, /* MUST-23: 1+2+...+128 s = 255 s >= 3 minutes (Linux: 6) */
		.synack_retries = 5,     /* Linux: 63 s of SYN,ACK retries */
		.max_syn_backlog = 1024, /* Linux's default on most machines */
		.syncookies = 1,         /* Linux's default */
		.abort_on_overflow = 0,
		.retries1 = 3,
		.retries2 = 15,
		.user_timeout_us = 0,
		.isn_tick_us = 4,
		.keepalive_time_us = 7200u * SN_US_PER_SEC, /* MUST-28: two hours */
		.keepalive_intvl_us = 75u * SN_US_PER_SEC,
		.keepalive_probes = 9,
		.tcp_rfc1337 = 0,
		.rfc5961 = 1,
		.challenge_ack_limit = 1000, /* Linux's value before 6.0 */
		.invalid_ratelimit_us = 500000, /* Linux: 500 ms */
		.tcp_window_scaling = 1, /* as Linux */
		.tcp_timestamps = 1,
		.tcp_sack = 1, /* as Linux */
		.tcp_dsack = 1,
		.tcp_tw_reuse = 0, /* Linux: 2, loopback only, which is never here */
		.tw_reuse_delay_us = 1 * SN_US_PER_SEC,
		.tcp_congestion_control = SYNACK_CC_CUBIC, /* as Linux (docs/configuration.md) */
		.accept_source_route = 0, /* as Linux; RFC 7126 §4.3.3, §4.4.3 */
		.tcp_ecn = 0, /* Linux: 2 (accept only); off until asked (docs/configuration.md) */
		.tcp_abc = 2,          /* RFC 3465 L = 2 SMSS */
		.tcp_dupack_bound = 1, /* issue #7: dup-ACK spoofing */
		.tcp_recovery = 1,      /* RACK, as Linux (RFC 8985) */
		.tcp_early_retrans = 3, /* Tail Loss Probe, as Linux */
		.tcp_prr = 1,           /* RFC 6937 PRR-SSRB (docs/loss-recovery.md) */
	};
}

static int config_valid(const struct synack_config *c)
{
	return c->mtu >= 68 && c->port_lo > 0 && c->port_lo <= c->port_hi && c->max_sockets > 0 &&
	       c->max_conns > 0 && c->msl_us > 0 && c->rto_min_us > 0 &&
	       c->rto_min_us <= c->rto_max_us && c->rto_initial_us > 0 &&
	       c->delack_us < 500 * SN_US_PER_MS && c->isn_tick_us > 0 &&
	       c->keepalive_time_us > 0 && c->keepalive_intvl_us > 0 && c->keepalive_probes > 0 &&
	       c->tcp_rfc1337 <= 1 &&
	       c->tcp_window_scaling <= 1 && c->tcp_timestamps <= 1 && c->tcp_sack <= 1 &&
	       c->tcp_dsack <= 1 && c->tcp_tw_reuse <= 2 && tcp_cc_name(c->tcp_congestion_control) &&
	       c->accept_source_route <= 1 && c->tcp_ecn <= 2 && c->tcp_abc <= 2 &&
	       c->tcp_dupack_bound <= 1 && c->tcp_recovery <= 7 && c->tcp_early_retrans <= 4 &&
	       c->tcp_prr <= 2;
}

static int socks_init(struct synack_stack *st)
{
	sn_bigmem_alloc(&st->socks_mem, (size_t)st->cfg.max_sockets * sizeof(*st->socks));
	st->socks = st->socks_mem.p;
	if (!st->socks)
		return -ENOMEM;
	for (uint32_t i = 0; i < st->cfg.max_sockets; i++)
		st->socks[i].next_free = i + 1 < st->cfg.max_sockets ? (int)i + 1 : -1;
	st->free_sock = 0;
	return 0;
}

int synack_stack_create(const struct synack_config *cfg, synack_stack **out)
{
	if (!cfg || !out || !config_valid(cfg))
		return -EINVAL;
	struct synack_stack *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->cfg = *cfg;
	sn_rng_seed(&st->rng, cfg->seed);
	sn_rng_fill(&st->rng, &st->hash_key, sizeof(st->hash_key));
	sn_rng_fill(&st->rng, &st->isn_key, sizeof(st->isn_key));
	sn_rng_fill(&st->rng, &st->port_key, sizeof(st->port_key));
	sn_rng_fill(&st->rng, &st->cookie_key, sizeof(st->cookie_key));
	sn_wheel_init(&st->wheel, 0);
	sn_list_init(&st->conns);
	sn_list_init(&st->listeners);
	sn_pool_init(&st->tcb_pool, sizeof(struct sn_tcb), 256, cfg->max_conns);
	sn_bufcache_init(&st->bufcache, SN_RING_CACHE_BYTES);
	sn_pool_huge_after(&st->tcb_pool, 4096); /* a large stack's TCBs on huge pages */
	sn_pool_align(&st->tcb_pool, 64); /* each TCB on whole cache lines (issue #6) */
	sn_pool_init(&st->sack_pool, tcp_sack_sb_size(), 64, cfg->max_conns);
	sn_pool_init(&st->listen_pool, sizeof(struct sn_listen), 16, cfg->max_sockets);
	sn_pool_init(&st->sockopt_pool, sizeof(struct sn_sock_opt), 64, cfg->max_sockets);
	sn_pool_init(&st->route_pool, sizeof(struct synack_route), 16, cfg->max_conns);
	sn_pool_init(&st->cubic_pool, sizeof(struct sn_cubic), 64, cfg->max_conns);
	for (int t = 0; t < SN_OOO_TIERS; t++)
		sn_pool_init(&st->ooo_pool[t], tcp_reass_block_size(t), t ? 4 : 64, cfg->max_conns);
	st->txcap = (uint32_t)cfg->mtu + SN_TXBUF_SLACK;
	st->txbuf = malloc(st->txcap);
	int err = st->txbuf ? socks_init(st) : -ENOMEM;
	if (!err)
		err = sn_demux_init(st);
	if (!err)
		err = sn_tw_init(st);
	if (err) {
		synack_stack_destroy(st);
		return err;
	}
	*out = st;
	return 0;
}

void synack_stack_destroy(synack_stack *st)
{
	if (!st)
		return;
	struct sn_list *pos, *tmp;
	sn_list_for_each_safe(pos, tmp, &st->conns)
	{
		struct sn_tcb *tcb = sn_container_of(pos, struct sn_tcb, all);
		sn_ring_free(&tcb->sndbuf);
		sn_ring_free(&tcb->rcvbuf);
	}
	/* The TIME-WAIT table unlinks its timers from the wheel, whose slots
	 * may chain them to TCB timers: so it goes while the TCBs still exist
	 * (found by fuzz_input: use after free in sn_wheel_cancel). */
	sn_tw_destroy(st);
	sn_pool_destroy(&st->tcb_pool);
	sn_bufcache_drain(&st->bufcache);
	sn_pool_destroy(&st->sack_pool);
	sn_pool_destroy(&st->listen_pool);
	sn_pool_destroy(&st->route_pool);
	sn_pool_destroy(&st->cubic_pool);
	for (int t = 0; t < SN_OOO_TIERS; t++)
		sn_pool_destroy(&st->ooo_pool[t]);
	sn_demux_free(st);
	/* unread bytes a socket kept after its connection ended (sn_sock_tcb_gone) */
	for (uint32_t i = 0; st->socks && i < st->cfg.max_sockets; i++)
		if (st->socks[i].opt)
			sn_ring_free(&st->socks[i].opt->rest);
	sn_pool_destroy(&st->sockopt_pool);
	sn_bigmem_free(&st->socks_mem);
	free(st->txbuf);
	free(st);
}

void synack_stack_set_output(synack_stack *st, synack_output_fn fn, void *ctx)
{
	st->out_fn = fn;
	st->out_ctx = ctx;
}

const struct synack_config *synack_stack_config(const synack_stack *st)
{
	return &st->cfg;
}

int synack_stack_reconfigure(synack_stack *st, const struct synack_config *cfg)
{
	const struct synack_config *o = &st->cfg;

	if (!config_valid(cfg) || cfg->addr != o->addr || cfg->seed != o->seed ||
	    cfg->max_sockets != o->max_sockets || cfg->max_conns != o->max_conns ||
	    cfg->mtu != o->mtu)
		return -EINVAL;
	st->cfg = *cfg;
	return 0;
}

void synack_stack_set_advice(synack_stack *st, synack_advice_fn fn, void *ctx)
{
	st->advice_fn = fn;
	st->advice_ctx = ctx;
}

void sn_ip_negative_advice(struct synack_stack *st, const struct synack_endpoint *local,
			   const struct synack_endpoint *remote)
{
	st->ctr.ip_negative_advice++;
	if (st->advice_fn)
		st->advice_fn(st->advice_ctx, local, remote);
}

void synack_stack_set_log(synack_stack *st, synack_log_fn fn, void *ctx)
{
	st->log_fn = fn;
	st->log_ctx = ctx;
}

/* Like the kernel's net_ratelimit, per kind: the first message goes out,
 * then at most one per SYNACK_LOG_INTERVAL_US, telling how many it held back. */
void sn_log(struct synack_stack *st, enum synack_log_kind kind, const char *msg)
{
	char buf[160];

	if (!st->log_fn || (unsigned)kind >= SYNACK_LOG_NKINDS)
		return;
	if (st->log_rl[kind].sent && st->now - st->log_rl[kind].last < SYNACK_LOG_INTERVAL_US) {
		st->log_rl[kind].suppressed++;
		return;
	}
	if (st->log_rl[kind].suppressed)
		snprintf(buf, sizeof(buf), "%s (%llu suppressed)", msg,
			 (unsigned long long)st->log_rl[kind].suppressed);
	else
		snprintf(buf, sizeof(buf), "%s", msg);
	st->log_rl[kind].sent = 1;
	st->log_rl[kind].last = st->now;
	st->log_rl[kind].suppressed = 0;
	st->log_fn(st->log_ctx, st->now, kind, buf);
}

void sn_emit_datagram(struct synack_stack *st, const uint8_t *pkt, size_t len)
{
	st->ctr.ip_out++;
	if (st->out_fn)
		st->out_fn(st->out_ctx, pkt, len);
}

void sn_count_drop(struct synack_stack *st, enum synack_drop why, const struct sn_tcp_seg *seg,
		   uint32_t src, uint32_t dst)
{
	st->ctr.drops[why]++;
	if (!st->trace_fn)
		return;
	struct synack_trace_event ev = {
		.now = st->now,
		.kind = SYNACK_TRACE_DROP,
		.local = {dst, seg ? seg->dport : 0},
		.remote = {src, seg ? seg->sport : 0},
		.drop = why,
		.what = synack_drop_name(why),
	};
	if (seg)
		ev.seg = (struct synack_trace_seg){seg->flags, seg->seq, seg->ack, seg->len, seg->wnd,
						   seg->opts.has_mss ? seg->opts.mss : 0, 0};
	st->trace_fn(st->trace_ctx, &ev);
}

/* Source addresses no segment may come from (RFC 9293 §3.9.2.1 and
 * RFC 1122 3.2.1.3): broadcast, multicast, loopback, zero, ourselves. */
static int bad_source(const struct synack_stack *st, uint32_t src)
{
	return src == 0 || src == 0xffffffffu || (src >> 28) == 0xe || (src >> 24) == 127 ||
	       src == st->cfg.addr;
}

/* A source-routed datagram (RFC 791 §3.1; RFC 9293 §3.9.2.1): dropped
 * unless accept_source_route (Linux's default and RFC 7126's advice), or
 * when its route is not done (we do not forward); else its return route,
 * the recorded gateways reversed, goes in st->rx_route (MUST-53). 0 or a
 * drop reason. */
static int source_route(struct synack_stack *st, const uint8_t *pkt, const struct sn_ipv4 *ip)
{
	struct sn_ipv4_srr r;
	int found = sn_ipv4_find_srr(pkt, ip->hdr_len, &r);

	if (found == 0)
		return 0;
	if (found < 0 || !st->cfg.accept_source_route || !r.completed)
		return SYNACK_DROP_IP_SRCROUTE;
	st->rx_route = (struct synack_route){.strict = r.strict, .n = r.n};
	for (unsigned i = 0; i < r.n; i++)
		st->rx_route.hops[i] = r.addr[r.n - 1 - i];
	st->rx_route_src = ip->src;
	return 0;
}

static inline void segment_input(struct synack_stack *st, const uint8_t *pkt,
				 const struct sn_ipv4 *ip);

void synack_stack_input(synack_stack *st, uint64_t now, const uint8_t *pkt, size_t len)
{
	struct sn_ipv4 ip;
	int why;

	if (now > st->now)
		st->now = now;
	st->ctr.ip_in++;
	if ((why = sn_ipv4_parse(pkt, len, &ip)) != 0)
		goto drop;
	why = SYNACK_DROP_IP_FRAGMENT;
	if (sn_ipv4_is_fragment(&ip))
		goto drop;
	why = SYNACK_DROP_IP_PROTO;
	if (ip.proto != SN_IPPROTO_TCP && ip.proto != SN_IPPROTO_ICMP)
		goto drop;
	why = SYNACK_DROP_IP_NOT_OURS; /* MUST-57: broadcast/multicast are not ours either */
	if (ip.dst != st->cfg.addr)
		goto drop;
	why = SYNACK_DROP_IP_BAD_SRC;
	if (bad_source(st, ip.src))
		goto drop;
	if (ip.hdr_len > SN_IPV4_HDR_LEN && (why = source_route(st, pkt, &ip)) != 0)
		goto drop;
	segment_input(st, pkt, &ip);
	st->rx_route.n = 0; /* the return route lives as long as its datagram */
	return;
drop:
	sn_count_drop(st, (enum synack_drop)why, NULL, 0, 0);
}

/* The datagram's payload: ICMP or a TCP segment. Inlined into its one
 * caller: every segment passes here, and a call of its own (a frame
 * holding the parsed segment) cost about 20 instructions per segment. */
__attribute__((always_inline)) static inline void segment_input(struct synack_stack *st,
								const uint8_t *pkt,
								const struct sn_ipv4 *ip)
{
	struct sn_tcp_seg seg;
	int why;

	if (ip->proto == SN_IPPROTO_ICMP) { /* src/stack/icmp.c */
		sn_icmp_input(st, ip, pkt + ip->hdr_len, (size_t)(ip->total_len - ip->hdr_len));
		return;
	}
	if ((why = sn_tcp_parse(pkt + ip->hdr_len, ip->total_len - ip->hdr_len, ip->src, ip->dst,
				&seg)))
		goto drop;
	why = SYNACK_DROP_TCP_BAD_PORT;
	if (seg.sport == 0 || seg.dport == 0)
		goto drop;
	st->ctr.segs_in++;
	seg.ecn = ip->tos & SN_IP_ECN_MASK; /* RFC 3168 §5: TCP sees the IP ECN field */
	tcp_input(st, ip->src, ip->dst, &seg);
	return;
drop:
	sn_count_drop(st, (enum synack_drop)why, NULL, 0, 0);
}

uint64_t synack_stack_poll(synack_stack *st, uint64_t now)
{
	if (now > st->now)
		st->now = now;
	sn_wheel_advance(&st->wheel, st->now, st);
	return synack_stack_next_deadline(st);
}

uint64_t synack_stack_next_deadline(const synack_stack *st)
{
	return sn_wheel_next_deadline(&st->wheel);
}

uint64_t synack_stack_now(const synack_stack *st)
{
	return st->now;
}

void synack_stack_counters(const synack_stack *st, struct synack_counters *out)
{
	*out = st->ctr;
}
