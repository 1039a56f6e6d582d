/*
 * recovery.c: loss detection under reordering and under loss, in the
 * network simulator's virtual time: RACK-TLP (RFC 8985: tcp_recovery 1,
 * tcp_early_retrans 3, the defaults) against RFC 6675's DupThresh without
 * tail loss probes (tcp_recovery 0, tcp_early_retrans 0), both with SACK,
 * D-SACK, Limited Transmit and the default congestion control (CUBIC).
 *
 * Each scenario runs each seed twice from the same simulator seed, once per
 * detector. The link has a fixed one-way delay both ways; "reorder" holds 5%
 * of datagrams back by an extra delay (so later ones overtake them), "loss"
 * drops 5% independently, both ways. Figures per scenario and detector,
 * summed over the seeds: segments retransmitted, spurious ones (segments the
 * receiver got twice: its D-SACKs), out-of-order segments the receiver had
 * to drop (its queue holds SN_OOO_MAX ranges: what it drops is lost and must
 * be resent, even with no loss on the link), retransmission timeouts, loss
 * probes, undone reductions, and the mean completion time (connect to the
 * last byte read). The receiver checks every byte; a failed transfer is an error
 * (exit 1). Figures, not pass/fail: docs/performance.md shows them.
 *
 *   recovery [--quick] [--bytes N] [--rtt-ms N] [--reorder-ms N] [--seeds N]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack/sim.h"

#define A_ADDR 0x0a000001u
#define B_ADDR 0x0a000002u
#define PORT 5001
#define SEC 1000000ull
#define PCT5 50000u /* 5% in ppm */

struct opts {
	uint64_t bytes;
	uint32_t rtt_ms, reorder_ms, seeds, buf;
};

struct run {
	const struct opts *o;
	synack_sim *sim;
	synack_stack *st[2];
	int sock[2], lsock;
	uint64_t sent, got;
	int error;
};

struct tally {
	uint64_t rexmit, spurious, rcv_drops, timeouts, probes, undo, us;
};

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 9));
}

static void pump(struct run *r)
{
	uint8_t buf[16384];

	while (r->sent < r->o->bytes) {
		uint64_t k = r->o->bytes - r->sent < sizeof(buf) ? r->o->bytes - r->sent : sizeof(buf);
		for (uint64_t i = 0; i < k; i++)
			buf[i] = pattern(r->sent + i);
		ssize_t n = synack_sock_send(r->st[0], r->sock[0], buf, (size_t)k);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			r->error = (int)n;
			return;
		}
		r->sent += (uint64_t)n;
	}
	for (;;) {
		ssize_t n = synack_sock_recv(r->st[1], r->sock[1], buf, sizeof(buf));
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			r->error = n ? (int)n : -EPIPE;
			return;
		}
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(r->got + (uint64_t)i))
				r->error = -EBADMSG;
		r->got += (uint64_t)n;
	}
}

static int step(void *ctx)
{
	struct run *r = ctx;

	if (r->error)
		return 1;
	if (r->sock[1] < 0) {
		r->sock[1] = synack_sock_accept(r->st[1], r->lsock, NULL);
		if (r->sock[1] < 0)
			return 0;
	}
	pump(r);
	return r->got == r->o->bytes;
}

static int setup(struct run *r, uint64_t seed, int reorder, int rack)
{
	struct synack_impair_params link = {.delay_us = r->o->rtt_ms * 500u};
	struct synack_config cfg;
	struct synack_endpoint any = {0, PORT};
	int err;

	if (reorder) {
		link.reorder_ppm = PCT5;
		link.reorder_us = r->o->reorder_ms * 1000u;
	} else {
		link.loss_ppm = PCT5;
	}
	if ((err = synack_sim_create(seed, &r->sim)))
		return err;
	synack_sim_set_default_link(r->sim, &link);
	synack_config_default(&cfg);
	cfg.sndbuf = cfg.rcvbuf = r->o->buf;
	cfg.tcp_recovery = (uint8_t)(rack ? 1 : 0);
	cfg.tcp_early_retrans = (uint8_t)(rack ? 3 : 0);
	for (int i = 0; i < 2; i++) {
		cfg.addr = i ? B_ADDR : A_ADDR;
		if ((err = synack_sim_add_host(r->sim, &cfg, &r->st[i])))
			return err;
	}
	r->lsock = synack_sock_open(r->st[1]);
	if ((err = synack_sock_bind(r->st[1], r->lsock, &any)) ||
	    (err = synack_sock_listen(r->st[1], r->lsock, 4)))
		return err;
	return 0;
}

static int transfer(const struct opts *o, uint64_t seed, int reorder, int rack, struct tally *t)
{
	struct run r = {.o = o, .sock = {-1, -1}, .lsock = -1};
	struct synack_endpoint to = {B_ADDR, PORT};
	struct synack_counters c, rc;
	int err = setup(&r, seed, reorder, rack);

	if (!err) {
		r.sock[0] = synack_sock_open(r.st[0]);
		uint64_t t0 = synack_sim_now(r.sim);
		err = synack_sock_connect(r.st[0], r.sock[0], &to);
		if (err == -EINPROGRESS)
			err = !synack_sim_run(r.sim, step, &r, 3600 * SEC) || r.error
				      ? (r.error ? r.error : -ETIMEDOUT)
				      : 0;
		t->us += synack_sim_now(r.sim) - t0;
	}
	if (!err) {
		synack_stack_counters(r.st[0], &c);
		synack_stack_counters(r.st[1], &rc);
		t->rexmit += c.retrans_segs;
		t->spurious += rc.dsack_sent;
		t->rcv_drops += rc.drops[SYNACK_DROP_OOO_FULL] + rc.drops[SYNACK_DROP_OOO_MEM];
		t->timeouts += c.rto_timeouts;
		t->probes += c.loss_probes;
		t->undo += c.dsack_undo;
	}
	if (r.sim)
		synack_sim_destroy(r.sim);
	return err;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: recovery [--quick] [--bytes N] [--rtt-ms N] [--reorder-ms N] [--seeds N]\n\n"
		"Bulk transfers over the simulator under 5%% reordering (held back by\n"
		"--reorder-ms) and under 5%% loss both ways, each seed with RACK-TLP\n"
		"(tcp_recovery 1, tcp_early_retrans 3) and with RFC 6675 DupThresh and no\n"
		"probes (0, 0): retransmitted and spurious segments, timeouts, probes,\n"
		"undos, mean completion time in virtual time. Defaults: 4 MiB, 60 ms RTT,\n"
		"reordering by 10 ms, 1 MiB buffers, 10 seeds. --quick: 256 KiB, 2 seeds.\n"
		"Figures, not pass/fail.\n");
}

static int parse(struct opts *o, int argc, char **argv)
{
	*o = (struct opts){.bytes = 4u << 20, .rtt_ms = 60, .reorder_ms = 10, .seeds = 10,
			   .buf = 1u << 20};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--quick")) {
			o->bytes = 256u << 10;
			o->seeds = 2;
		} else if (v && !strcmp(a, "--bytes")) {
			o->bytes = strtoull(v, NULL, 0), i++;
		} else if (v && !strcmp(a, "--rtt-ms")) {
			o->rtt_ms = (uint32_t)strtoul(v, NULL, 0), i++;
		} else if (v && !strcmp(a, "--reorder-ms")) {
			o->reorder_ms = (uint32_t)strtoul(v, NULL, 0), i++;
		} else if (v && !strcmp(a, "--seeds")) {
			o->seeds = (uint32_t)strtoul(v, NULL, 0), i++;
		} else {
			return -EINVAL;
		}
	}
	return o->bytes && o->rtt_ms && o->seeds ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	static const char *const scen[] = {"loss 5%", "reorder 5%"};
	static const char *const det[] = {"DupThresh", "RACK-TLP"};
	struct opts o;

	if (parse(&o, argc, argv)) {
		usage(stderr);
		return 2;
	}
	printf("recovery: %llu bytes per transfer, RTT %u ms, reordering by %u ms, %u seeds, "
	       "CUBIC\n",
	       (unsigned long long)o.bytes, o.rtt_ms, o.reorder_ms, o.seeds);
	printf("%-10s %-9s %7s %8s %9s %8s %6s %5s %11s\n", "scenario", "detector", "rexmit",
	       "spurious", "rcv drops", "timeouts", "probes", "undo", "time (mean)");
	for (int reorder = 1; reorder >= 0; reorder--) {
		struct tally t[2];
		memset(t, 0, sizeof(t));
		for (uint32_t s = 0; s < o.seeds; s++) {
			for (int rack = 0; rack < 2; rack++) {
				int err = transfer(&o, 2000 + s, reorder, rack, &t[rack]);
				if (err) {
					fprintf(stderr, "recovery: seed %u %s %s: %s\n", 2000 + s,
						scen[reorder], det[rack], strerror(-err));
					return 1;
				}
			}
		}
		for (int rack = 0; rack < 2; rack++) {
			double mean_s = (double)t[rack].us / o.seeds / 1e6;
			printf("%-10s %-9s %7llu %8llu %9llu %8llu %6llu %5llu %9.2f s\n",
			       scen[reorder], det[rack], (unsigned long long)t[rack].rexmit,
			       (unsigned long long)t[rack].spurious,
			       (unsigned long long)t[rack].rcv_drops,
			       (unsigned long long)t[rack].timeouts,
			       (unsigned long long)t[rack].probes, (unsigned long long)t[rack].undo,
			       mean_s);
			printf("result recovery_%s_%s_spurious %llu segments\n",
			       reorder ? "reorder" : "loss", rack ? "rack" : "dupthresh",
			       (unsigned long long)t[rack].spurious);
			printf("result recovery_%s_%s_time %.3f s\n", reorder ? "reorder" : "loss",
			       rack ? "rack" : "dupthresh", mean_s);
		}
	}
	return 0;
}
