/*
 * challenge.c: challenge ACKs, RFC 5961.
 *
 * A blind attacker who guesses a sequence number inside the receive window
 * could reset or desynchronize a connection with a forged RST, SYN or ACK.
 * RFC 5961 (which RFC 9293 §3.10.7.4 folds in) answers such in-window but
 * not exact segments with a "challenge ACK": the true peer, on seeing an ACK
 * it did not expect, resends the RST with the exact sequence number; an
 * off-path attacker never sees it.
 *
 * The ACKs are rate-limited stack-wide (§7). A fixed limit is itself a side
 * channel (CVE-2016-5696: counting the challenge ACKs an attacker can
 * trigger reveals whether a guessed 4-tuple exists), so each second's
 * budget is drawn at random from [limit/2, limit*3/2), as Linux does since
 * that disclosure.
 */
#include "base/rng.h"
#include "stack/stack.h"
#include "tcp/tcb.h"

static int budget_allows(struct synack_stack *st)
{
	uint32_t limit = st->cfg.challenge_ack_limit;
	uint64_t epoch = st->now / SN_US_PER_SEC + 1; /* 0: no budget drawn yet */

	if (limit == 0)
		return 1;
	if (epoch != st->challenge_epoch) {
		st->challenge_epoch = epoch;
		st->challenge_left = limit / 2 + (uint32_t)sn_rng_below(&st->rng, limit);
	}
	if (st->challenge_left == 0)
		return 0;
	st->challenge_left--;
	return 1;
}

int tcp_challenge_ack(struct synack_stack *st, struct sn_tcb *tcb)
{
	if (!budget_allows(st)) {
		st->ctr.challenge_acks_limited++;
		return 0;
	}
	st->ctr.challenge_acks++;
	tcp_send_ack(st, tcb);
	return 1;
}
