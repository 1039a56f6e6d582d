/*
 * test_sim_prr.c: the send pattern of fast recovery under Proportional
 * Rate Reduction (RFC 6937), watched from the sender's trace.
 *
 * One host sends 1 MiB to another over a 60 ms round trip with 5% loss
 * each way (1 MiB buffers, SACK, RACK-TLP, CUBIC: the defaults), 6 seeds.
 * The sender's trace splits time at each arriving ACK; for every ACK
 * processed in fast recovery it records the segments the sender put out
 * before the next one, and what that ACK delivered (SND.UNA's advance plus
 * the change in SACKed bytes, read between ACKs).
 *
 * RFC 6675 alone (tcp_prr 0) sets cwnd = ssthresh on entry and sends
 * nothing until pipe falls below it: a run of silent ACKs as long as the
 * reduction (30% of the window with CUBIC), then one segment per ACK; on
 * these seeds the longest run is 9 ACKs. PRR (tcp_prr 1 and 2) sends
 * ssthresh/RecoverFS of what each ACK delivers, so the silence is spread:
 * no run of 5 delivering ACKs without a segment sent. Over each episode the
 * bytes sent stay within what was delivered plus one segment (the fast
 * retransmit) plus the reduction bound's extra segment per ACK (per
 * delivering ACK with tcp_prr 1, per ACK that advanced SND.UNA with 2).
 * Every byte must arrive intact. The histograms of segments sent per
 * recovery ACK and of silent runs are printed (fixed seeds: a build always
 * prints the same figures).
 */
#include <errno.h>
#include <stdio.h>

#include "check.h"
#include "sim_pair.h"
#include "stack/stack.h"
#include "tcp/sack.h"

#define RTT_US 60000u
#define BUF (1024u * 1024)
#define LEN (1024u * 1024)
#define NSEEDS 6
#define HIST 5 /* segments per ACK: 0, 1, 2, 3, 4 or more */

struct watch {
	struct sim_flow f;
	struct sn_tcb *tcb;      /* the sender's connection, once open */
	uint32_t una, sacked;    /* at the last ACK's arrival */
	uint64_t undo;           /* dsack_undo then */
	int in_rec;              /* that ACK ran in (or started) fast recovery */
	uint32_t ack_out;        /* data bytes sent since it arrived */
	uint32_t ack_segs;
	/* the episode so far */
	int episode, prr;        /* tcp_prr of this run */
	uint64_t ep_out, ep_delivered, ep_safe, ep_acks;
	/* totals */
	uint64_t episodes, checked, violations, acks, hist[HIST];
	uint32_t silent, silent_max; /* recovery ACKs in a row that delivered data and sent none */
	uint64_t silent_runs[8];
};

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 37 + (i >> 9));
}

/* An episode ended: PRR's bound over it (skipped if a D-SACK undid the
 * reduction, which restores cwnd instead). */
static void episode_end(struct watch *w)
{
	uint32_t mss = w->tcb->snd_mss;

	w->episodes++;
	if (w->f.st[0]->ctr.dsack_undo == w->undo) {
		w->checked++;
		uint64_t extra = w->prr == 2 ? w->ep_safe : w->ep_acks;
		if (w->ep_out > w->ep_delivered + mss * (1 + extra))
			w->violations++;
	}
	w->episode = 0;
}

/* The ACK before this event is done: account for it. */
static void ack_done(struct watch *w)
{
	struct sn_tcb *tcb = w->tcb;
	uint32_t sacked = tcp_sack_sacked_bytes(tcb);
	int64_t d = (int64_t)(tcb->snd_una - w->una) + sacked - w->sacked;

	if (w->in_rec) {
		if (!w->episode) {
			w->episode = 1;
			w->ep_out = w->ep_delivered = w->ep_safe = w->ep_acks = 0;
			w->undo = w->f.st[0]->ctr.dsack_undo;
		}
		w->ep_out += w->ack_out;
		w->ep_delivered += d > 0 ? (uint64_t)d : 0;
		w->ep_safe += tcb->snd_una != w->una;
		w->ep_acks += d > 0;
		w->acks++;
		w->hist[w->ack_segs < HIST ? w->ack_segs : HIST - 1]++;
		if (d > 0 && !w->ack_segs) {
			w->silent++;
		} else if (d > 0) {
			if (w->silent > w->silent_max)
				w->silent_max = w->silent;
			w->silent_runs[w->silent < 8 ? w->silent : 7]++;
			w->silent = 0;
		}
	}
	if (w->episode && !tcb->sack_recovery)
		episode_end(w);
	w->una = tcb->snd_una;
	w->sacked = sacked;
	w->in_rec = tcb->sack_recovery;
	w->ack_out = w->ack_segs = 0;
}

static void on_trace(void *ctx, const struct synack_trace_event *ev)
{
	struct watch *w = ctx;

	if (!w->tcb) {
		if (w->f.sock[0] < 0 || !(w->tcb = w->f.st[0]->socks[w->f.sock[0]].tcb))
			return;
		w->una = w->tcb->snd_una;
	}
	if (ev->kind == SYNACK_TRACE_SEG_IN) {
		ack_done(w);
	} else if (ev->kind == SYNACK_TRACE_SEG_OUT && ev->seg.len && w->tcb->sack_recovery) {
		w->in_rec = 1; /* this ACK started recovery */
		w->ack_out += ev->seg.len;
		w->ack_segs++;
	}
}

static int run(uint64_t seed, int prr, struct watch *w)
{
	struct synack_impair_params link = {.delay_us = RTT_US / 2, .loss_ppm = 50000};
	struct synack_config cfg;
	uint64_t us;
	int err;

	w->f = (struct sim_flow){.sock = {-1, -1}, .lsock = -1, .len = LEN, .pattern = pattern};
	w->tcb = NULL;
	w->episode = w->in_rec = 0;
	w->prr = prr;
	synack_config_default(&cfg);
	cfg.sndbuf = cfg.rcvbuf = BUF;
	cfg.tcp_prr = (uint8_t)prr;
	if ((err = sim_pair_open(seed, &link, cfg, &w->f.sim, w->f.st, &w->f.lsock)))
		return err;
	synack_stack_set_trace(w->f.st[0], on_trace, w);
	err = sim_flow_run(&w->f, 900 * SEC, &us);
	synack_sim_destroy(w->f.sim);
	return err;
}

/* One knob setting over the seeds; the figures printed. */
static void scenario(int prr, struct watch *w)
{
	*w = (struct watch){.prr = prr};
	for (uint64_t seed = 4000; seed < 4000 + NSEEDS; seed++)
		CHECK_EQ(run(seed, prr, w), 0);
	printf("tcp_prr %d: %llu episodes (%llu checked), %llu ACKs in recovery; segments per ACK:",
	       prr, (unsigned long long)w->episodes, (unsigned long long)w->checked,
	       (unsigned long long)w->acks);
	for (int i = 0; i < HIST; i++)
		printf(" %s%d: %llu", i == HIST - 1 ? ">=" : "", i, (unsigned long long)w->hist[i]);
	printf("; over the bound: %llu; silent runs (0..6, >=7 ACKs):",
	       (unsigned long long)w->violations);
	for (int i = 0; i < 8; i++)
		printf(" %llu", (unsigned long long)w->silent_runs[i]);
	printf("; longest %u\n", w->silent_max);
}

TEST(rfc6937_recovery_sends_in_proportion_to_delivery)
{
	static struct watch w;

	scenario(0, &w); /* RFC 6675 alone: the half window of silence */
	CHECK(w.silent_max >= 5);
	for (int prr = 1; prr <= 2; prr++) {
		scenario(prr, &w);
		CHECK(w.checked > 20);
		CHECK_EQ(w.violations, 0);
		CHECK(w.silent_max < 5);
		CHECK(w.hist[1] > w.hist[2] + w.hist[3] + w.hist[4]);
	}
}
