/*
 * The TIME-WAIT and orphan knobs, each on and off, named after their Linux
 * counterparts: tcp_rfc1337 (RFC 1337 TIME-WAIT assassination),
 * tcp_max_tw_buckets with its rate-limited log, tcp_max_orphans,
 * SO_REUSEADDR with Linux's bind rule, and keepalive (SO_KEEPALIVE,
 * TCP_KEEPIDLE/INTVL/CNT and the tcp_keepalive_* stack defaults, MUST-24..29).
 */
#include "check.h"
#include "tcp_close_fixture.h"

#define MSL (5 * FX_SEC)

/* ---------------------------------------------------------- tcp_rfc1337 */

/* tcp_rfc1337 = 0 (Linux's default): an RST at exactly RCV.NXT ends
 * TIME-WAIT at once (assassination, RFC 1337 hazard H1). */
TEST(tcp_rfc1337_off_rst_at_rcv_nxt_ends_timewait)
{
	struct fx f;
	struct synack_config cfg = fx_cfg_msl(MSL);

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = FX_P + 2});
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.tw_rst_killed, 1);
	CHECK_EQ(c.tw_rst_ignored, 0);
	fx_free(&f);
}

/* tcp_rfc1337 = 1: the same RST is ignored (counted), the entry lives out
 * its full 2*MSL and still re-ACKs a retransmitted FIN. */
TEST(tcp_rfc1337_on_rst_ignored_timewait_lives_2msl)
{
	struct fx f;
	struct synack_config cfg = fx_cfg_msl(MSL);
	cfg.tcp_rfc1337 = 1;

	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	uint32_t I = f.our_iss;
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);
	uint64_t t0 = f.now;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = FX_P + 2});
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST | SN_TCP_ACK, .seq = FX_P + 2, .ack = I + 2});
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.tw_rst_ignored, 2);
	CHECK_EQ(c.tw_rst_killed, 0);
	fx_wait(&f, t0 + 2 * MSL - 1 - f.now);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_wait(&f, 1);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	CHECK_EQ(fx_ctr(&f).tw_expired, 1);
	fx_free(&f);
}

/* tcp_rfc1337 is a runtime knob; a value other than 0/1 is -EINVAL. */
TEST(tcp_rfc1337_runtime_and_validated)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	struct synack_config c = *synack_stack_config(f.st);
	c.tcp_rfc1337 = 2;
	CHECK_EQ(synack_stack_reconfigure(f.st, &c), -EINVAL);
	c.tcp_rfc1337 = 1;
	CHECK_EQ(synack_stack_reconfigure(f.st, &c), 0);
	CHECK_EQ(synack_stack_config(f.st)->tcp_rfc1337, 1);
	fx_free(&f);
}

/* ---------------------------------------------------------- tcp_max_tw_buckets */

struct logs {
	int n;
	enum synack_log_kind kind;
	char last[160];
	uint64_t at;
};

static void log_cb(void *ctx, uint64_t now, enum synack_log_kind kind, const char *msg)
{
	struct logs *l = ctx;
	l->n++;
	l->kind = kind;
	l->at = now;
	snprintf(l->last, sizeof(l->last), "%s", msg);
}

/* Active close of s through the peer's FIN and our last ACK; the
 * connection then sits in TIME-WAIT or was destroyed at the door. */
static int close_through_last_ack(struct fx *f, int s)
{
	struct sn_tcp_seg o;
	uint32_t i = f->our_iss, p = f->peer_iss;

	if (synack_sock_close(f->st, s) != 0 || !fx_out(f, &o) || o.seq != i + 1)
		return -1;
	fx_peer_ack(f, p + 1, i + 2);
	fx_peer_fin(f, p + 1, i + 2);
	if (!fx_out(f, &o) || o.ack != p + 2)
		return -1;
	fx_flush(f);
	return 0;
}

/* Drive connection number k (peer port 41000 + k) into TIME-WAIT. */
static int close_one(struct fx *f, int k)
{
	int s = fx_passive_another(f, (uint16_t)(41000 + k), 5000u + 1000u * (uint32_t)k);
	if (s < 0)
		return -1;
	return close_through_last_ack(f, s);
}

/* Beyond tcp_max_tw_buckets each connection is destroyed and counted; the
 * log says so once per burst (Linux's net_ratelimit: 5 s), then once more
 * with how many messages it held back. Raising the knob at runtime lets new
 * entries in at once. */
TEST(tcp_max_tw_buckets_overflow_logged_once_per_burst)
{
	struct fx f;
	struct logs l = {0};
	struct synack_config cfg = fx_cfg_msl(60 * FX_SEC);
	cfg.max_timewait = 0;

	CHECK_EQ(fx_init(&f, &cfg), 0);
	synack_stack_set_log(f.st, log_cb, &l);
	CHECK(fx_listen(&f) >= 0);
	for (int k = 0; k < 4; k++)
		CHECK_EQ(close_one(&f, k), 0);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.tw_killed, 4);
	CHECK_EQ(c.in_state[SYNACK_TIME_WAIT], 0);
	CHECK_EQ(l.n, 1);
	CHECK_EQ(l.kind, SYNACK_LOG_TW_OVERFLOW);
	CHECK(strcmp(l.last, "TCP: time wait bucket table overflow") == 0);

	fx_wait(&f, SYNACK_LOG_INTERVAL_US);
	CHECK_EQ(close_one(&f, 4), 0);
	CHECK_EQ(l.n, 2);
	CHECK(strcmp(l.last, "TCP: time wait bucket table overflow (3 suppressed)") == 0);

	struct synack_config c2 = *synack_stack_config(f.st);
	c2.max_timewait = 1;
	CHECK_EQ(synack_stack_reconfigure(f.st, &c2), 0);
	CHECK_EQ(close_one(&f, 5), 0);
	c = fx_ctr(&f);
	CHECK_EQ(c.tw_killed, 5);
	CHECK_EQ(c.in_state[SYNACK_TIME_WAIT], 1);
	CHECK_EQ(l.n, 2);
	fx_free(&f);
}

/* ---------------------------------------------------------- SO_REUSEADDR */

/* Linux (inet_csk_bind_conflict): the TIME-WAIT entry keeps its socket's
 * SO_REUSEADDR. A server that did not set it leaves entries that block a
 * restarted server even when the new one sets it. */
TEST(so_reuseaddr_needs_the_flag_on_the_timewait_holder_too)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P); /* f.reuseaddr = 0 */
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);
	CHECK_EQ(synack_sock_close(f.st, f.lsock), 0);
	struct synack_endpoint p = {0, FX_PORT};
	int a = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, a, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, a, &p), -EADDRINUSE);
	fx_wait(&f, 2 * synack_stack_config(f.st)->msl_us);
	CHECK_EQ(synack_sock_bind(f.st, a, &p), 0);
	fx_free(&f);
}

/* SO_REUSEADDR never lets a second socket bind a port someone listens on,
 * even when both set it; nor one held by a bound socket without it. */
TEST(so_reuseaddr_refused_over_a_listener_or_a_holder_without_it)
{
	struct fx f;
	struct synack_endpoint p = {0, FX_PORT}, q = {0, 6000};

	CHECK_EQ(fx_init(&f, NULL), 0);
	f.reuseaddr = 1;
	CHECK(fx_listen(&f) >= 0);
	int a = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, a, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, a, &p), -EADDRINUSE);

	int b = synack_sock_open(f.st), c = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, b, &q), 0); /* b without SO_REUSEADDR */
	CHECK_EQ(synack_sock_setopt(f.st, c, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, c, &q), -EADDRINUSE);
	CHECK_EQ(synack_sock_setopt(f.st, b, SYNACK_SO_REUSEADDR, 1), 0);
	/* b's flag counts as it was when b bound (its hold) */
	CHECK_EQ(synack_sock_bind(f.st, c, &q), -EADDRINUSE);
	int d = synack_sock_open(f.st), e = synack_sock_open(f.st);
	struct synack_endpoint r = {0, 6001};
	CHECK_EQ(synack_sock_setopt(f.st, d, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_setopt(f.st, e, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, d, &r), 0);
	CHECK_EQ(synack_sock_bind(f.st, e, &r), 0); /* both allow it, nobody listens */
	fx_free(&f);
}

/* ---------------------------------------------------------- tcp_max_orphans */

/* With tcp_max_orphans = 1 the first closed connection finishes as usual
 * (FIN); the second, which would be the second orphan, is reset at close and
 * destroyed (Linux tcp_close -> tcp_check_oom: "too many orphaned sockets",
 * TCPAbortOnMemory). When the first orphan is gone there is room again. */
TEST(tcp_max_orphans_reset_at_close_beyond_the_cap)
{
	struct fx f;
	struct logs l = {0};
	struct synack_config cfg = fx_cfg_msl(MSL);
	cfg.max_orphans = 1;

	CHECK_EQ(fx_init(&f, &cfg), 0);
	synack_stack_set_log(f.st, log_cb, &l);
	int s1 = fx_passive_established(&f, FX_P);
	uint32_t I1 = f.our_iss;
	int s2 = fx_passive_another(&f, 41001, 7000);
	uint32_t I2 = f.our_iss;
	CHECK(s1 >= 0 && s2 >= 0);
	CHECK_EQ(synack_sock_close(f.st, s1), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I1 + 1, FX_P + 1);
	CHECK_EQ(synack_sock_close(f.st, s2), 0);
	/* as in Linux: the FIN goes first (tcp_close), then the reset */
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I2 + 1, 7001);
	FX_EXPECT(&f, SN_TCP_RST | SN_TCP_ACK, I2 + 2, 7001);
	FX_NOTHING(&f);
	CHECK_EQ(fx_ctr(&f).orphans_killed, 1);
	CHECK_EQ(l.n, 1);
	CHECK_EQ(l.kind, SYNACK_LOG_ORPHANS);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED); /* f describes 41001 */

	/* the first orphan ends (TIME-WAIT is not an orphan) */
	f.peer_port = FX_PEER_PORT;
	fx_peer_ack(&f, FX_P + 1, I1 + 2);
	fx_peer_fin(&f, FX_P + 1, I1 + 2);
	FX_EXPECT(&f, SN_TCP_ACK, I1 + 2, FX_P + 2);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	int s3 = fx_passive_another(&f, 41002, 9000);
	uint32_t I3 = f.our_iss;
	CHECK_EQ(synack_sock_close(f.st, s3), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, I3 + 1, 9001);
	CHECK_EQ(fx_ctr(&f).orphans_killed, 1);
	fx_free(&f);
}

/* ---------------------------------------------------------- keepalive */

/* TCP_KEEPIDLE/KEEPINTVL/KEEPCNT per socket (MUST-26: configurable): the
 * first probe after idle seconds of silence, then every intvl, and after
 * cnt unanswered probes the connection ends with -ETIMEDOUT. A probe is
 * SEG.SEQ = SND.NXT - 1 with no data (MUST-29). */
TEST(tcp_keepidle_intvl_cnt_per_socket)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_active_established(&f, FX_P);
	uint32_t I = f.our_iss;
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_KEEPIDLE, 10), 0);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_KEEPINTVL, 2), 0);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_KEEPCNT, 3), 0);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_KEEPALIVE, 1), 0);
	fx_wait(&f, 10 * FX_SEC - 1);
	FX_NOTHING(&f);
	fx_wait(&f, 1);
	FX_EXPECT(&f, SN_TCP_ACK, I, FX_P + 1);
	for (int i = 0; i < 2; i++) {
		fx_wait(&f, 2 * FX_SEC - 1);
		FX_NOTHING(&f);
		fx_wait(&f, 1);
		FX_EXPECT(&f, SN_TCP_ACK, I, FX_P + 1);
	}
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_wait(&f, 2 * FX_SEC);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	int err = 0;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &err), 0);
	CHECK_EQ(err, -ETIMEDOUT);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.keepalive_probes, 3);
	CHECK_EQ(c.keepalive_timeouts, 1);
	fx_free(&f);
}

/* An answered probe restarts the idle period: the connection lives on. */
TEST(tcp_keepalive_answered_probe_keeps_connection)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_active_established(&f, FX_P);
	uint32_t I = f.our_iss;
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_KEEPIDLE, 5), 0);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_KEEPCNT, 1), 0);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_KEEPALIVE, 1), 0);
	for (int i = 0; i < 3; i++) {
		fx_wait(&f, 5 * FX_SEC);
		FX_EXPECT(&f, SN_TCP_ACK, I, FX_P + 1);
		fx_peer_ack(&f, FX_P + 1, I + 1);
	}
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK_EQ(fx_ctr(&f).keepalive_timeouts, 0);
	fx_free(&f);
}

/* The stack defaults (tcp_keepalive_time/intvl/probes) apply to sockets
 * that set nothing, and getopt reports them; without SO_KEEPALIVE nothing is
 * sent however long the silence. Bad values are -EINVAL. */
TEST(tcp_keepalive_stack_defaults_and_off)
{
	struct fx f;
	struct synack_config cfg;
	int v = 0;

	synack_config_default(&cfg);
	CHECK_EQ(cfg.keepalive_time_us, 7200ull * FX_SEC); /* MUST-28 */
	cfg.keepalive_time_us = 30 * FX_SEC;
	cfg.keepalive_intvl_us = 3 * FX_SEC;
	cfg.keepalive_probes = 2;
	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_active_established(&f, FX_P);
	uint32_t I = f.our_iss;
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_TCP_KEEPIDLE, &v), 0);
	CHECK_EQ(v, 30);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_TCP_KEEPINTVL, &v), 0);
	CHECK_EQ(v, 3);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_TCP_KEEPCNT, &v), 0);
	CHECK_EQ(v, 2);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_KEEPIDLE, 0), -EINVAL);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_KEEPCNT, 128), -EINVAL);
	fx_wait(&f, 100 * FX_SEC);
	FX_NOTHING(&f); /* SO_KEEPALIVE off (MUST-24: off by default) */
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_KEEPALIVE, 1), 0);
	fx_wait(&f, 30 * FX_SEC);
	FX_EXPECT(&f, SN_TCP_ACK, I, FX_P + 1);
	fx_wait(&f, 3 * FX_SEC);
	FX_EXPECT(&f, SN_TCP_ACK, I, FX_P + 1);
	fx_wait(&f, 3 * FX_SEC);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	fx_free(&f);
}

/* TCP_USER_TIMEOUT ends a connection whose data goes unacknowledged for
 * that long, and is counted apart from R2 timeouts. */
TEST(tcp_user_timeout_counted)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_active_established(&f, FX_P);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_USER_TIMEOUT, 3000), 0);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), 1);
	fx_wait(&f, 2 * FX_SEC);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_wait(&f, 5 * FX_SEC);
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	struct synack_counters c = fx_ctr(&f);
	CHECK_EQ(c.user_timeouts, 1);
	fx_free(&f);
}
