/*
 * test_sim_ackwar.c: two peers whose windows are both closed must not trade
 * ACKs forever (found by fuzz_api: 216,000 segments queued at one virtual
 * instant).
 *
 * Both applications write and never read, over a zero-delay link, so both
 * receive buffers fill, both windows close and both sides probe them (RFC
 * 9293 §3.8.6.1, MUST-36) with a byte beyond the window. A segment that is
 * not acceptable draws an ACK (§3.10.7.4), and a zero window accepts only
 * SEG.SEQ = RCV.NXT; so if each side numbers its pure ACKs one past what the
 * other accepted (its unanswered probe byte), every ACK draws another,
 * without the virtual clock moving. Numbering a pure ACK at most at the
 * right edge of the peer's window (as Linux's tcp_acceptable_seq does), and
 * answering unacceptable segments at most once per tcp_invalid_ratelimit
 * (Linux: 500 ms), each break the loop; the test checks the segment count
 * over ten minutes of virtual time stays in the hundreds.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "sim_pair.h"

#define BUF 8192u
#define MAX_EVENTS 2000000

static int write_all(synack_stack *st, int s, size_t *sent)
{
	static uint8_t buf[4096];

	for (;;) {
		ssize_t n = synack_sock_send(st, s, buf, sizeof(buf));
		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		*sent += (size_t)n;
	}
}

/* Steps the simulator to `until`; -ELOOP if MAX_EVENTS pass first (an ACK
 * war never lets the clock reach it). */
static int run_bounded(synack_sim *sim, uint64_t until, long *events)
{
	while (synack_sim_now(sim) < until) {
		if (++*events > MAX_EVENTS)
			return -ELOOP;
		if (synack_sim_step(sim, until) == 0)
			break;
	}
	return 0;
}

static uint64_t segs_out(synack_stack *st)
{
	struct synack_counters c;
	synack_stack_counters(st, &c);
	return c.segs_out;
}

static void both_windows_closed(uint64_t seed, uint32_t dup_ppm)
{
	struct synack_impair_params link = {.dup_ppm = dup_ppm};
	struct synack_config cfg;
	struct synack_endpoint to = {B_ADDR, PORT};
	synack_sim *sim;
	synack_stack *st[2];
	long events = 0;
	size_t sent_a = 0, sent_b = 0;
	int ls;

	synack_config_default(&cfg);
	cfg.sndbuf = cfg.rcvbuf = BUF;
	CHECK_EQ(sim_pair_open(seed, &link, cfg, &sim, st, &ls), 0);
	synack_stack *a = st[0], *b = st[1];
	int ca = synack_sock_open(a);
	CHECK_EQ(synack_sock_connect(a, ca, &to), -EINPROGRESS);
	CHECK_EQ(run_bounded(sim, synack_sim_now(sim) + SEC, &events), 0);
	int cb = synack_sock_accept(b, ls, NULL);
	CHECK(cb >= 0);
	uint64_t t0 = synack_sim_now(sim), seg0 = segs_out(a) + segs_out(b);
	for (int i = 0; i < 20; i++) { /* keep both send buffers full */
		CHECK_EQ(write_all(a, ca, &sent_a), 0);
		CHECK_EQ(write_all(b, cb, &sent_b), 0);
		CHECK_EQ(run_bounded(sim, t0 + (uint64_t)(i + 1) * 30 * SEC, &events), 0);
	}
	uint64_t segs = segs_out(a) + segs_out(b) - seg0;
	printf("seed %llu dup %u ppm: %zu + %zu bytes written, %llu segments in 10 min, %ld "
	       "simulator events\n", (unsigned long long)seed, dup_ppm, sent_a, sent_b,
	       (unsigned long long)segs, events);
	/* each side's window was filled, then probed every <= 2 min */
	CHECK(sent_a >= 2 * BUF && sent_b >= 2 * BUF);
	CHECK(segs < 1000);
	struct synack_tcp_info ia, ib;
	CHECK_EQ(synack_sock_info(a, ca, &ia), 0);
	CHECK_EQ(synack_sock_info(b, cb, &ib), 0);
	CHECK_EQ(ia.state, SYNACK_ESTABLISHED);
	CHECK_EQ(ib.state, SYNACK_ESTABLISHED);
	CHECK_EQ(ia.snd_wnd, 0);
	CHECK_EQ(ib.snd_wnd, 0);
	synack_sim_destroy(sim);
}

/* MUST-36 probes from both sides at once, clean link and with duplicates. */
TEST(must36_zero_windows_both_ways_no_ack_war)
{
	for (uint64_t seed = 1; seed <= 8; seed++) {
		both_windows_closed(seed, 0);
		both_windows_closed(seed, 300000);
	}
}
