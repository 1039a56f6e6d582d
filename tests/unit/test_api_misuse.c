/*
 * The socket API used wrongly, and its bounds reached: every call returns
 * the negative errno Linux would (DESIGN.md: "users read them as they read
 * Linux's"), and reaching a table's bound gives an error code or a counted
 * drop (DESIGN.md invariant), never a crash or a silent loss.
 */
#include "check.h"
#include "tcp_close_fixture.h"

static const struct synack_endpoint PEER = {FX_PEER, FX_PEER_PORT};

/* ------------------------------------------------ descriptors */

/* Every call on a descriptor that is not open: -EBADF (events: 0). */
static int all_calls_ebadf(struct fx *f, int s)
{
	struct synack_endpoint ep = {0, 1234};
	struct synack_tcp_info ti;
	char buf[4];
	int v, ok = 1;

	ok &= synack_sock_bind(f->st, s, &ep) == -EBADF;
	ok &= synack_sock_listen(f->st, s, 1) == -EBADF;
	ok &= synack_sock_accept(f->st, s, NULL) == -EBADF;
	ok &= synack_sock_connect(f->st, s, &PEER) == -EBADF;
	ok &= synack_sock_send(f->st, s, "x", 1) == -EBADF;
	ok &= synack_sock_recv(f->st, s, buf, sizeof(buf)) == -EBADF;
	ok &= synack_sock_shutdown(f->st, s, SYNACK_SHUT_WR) == -EBADF;
	ok &= synack_sock_setopt(f->st, s, SYNACK_SO_REUSEADDR, 1) == -EBADF;
	ok &= synack_sock_getopt(f->st, s, SYNACK_SO_ERROR, &v) == -EBADF;
	ok &= synack_sock_info(f->st, s, &ti) == -EBADF;
	ok &= synack_sock_local(f->st, s, &ep) == -EBADF;
	ok &= synack_sock_peer(f->st, s, &ep) == -EBADF;
	ok &= synack_sock_events(f->st, s) == 0;
	ok &= synack_sock_abort(f->st, s) == -EBADF;
	ok &= synack_sock_close(f->st, s) == -EBADF;
	return ok;
}

TEST(api_bad_descriptor_ebadf)
{
	struct fx f;
	struct synack_config cfg;

	synack_config_default(&cfg);
	cfg.max_sockets = 8;
	CHECK_EQ(fx_init(&f, &cfg), 0);
	CHECK(all_calls_ebadf(&f, -1));
	CHECK(all_calls_ebadf(&f, 8));        /* one past the table */
	CHECK(all_calls_ebadf(&f, 1 << 30));
	CHECK(all_calls_ebadf(&f, 3));        /* in range, never opened */
	FX_NOTHING(&f);
	fx_free(&f);
}

/* close releases the descriptor at once: a second close, and any other
 * call, gets -EBADF. */
TEST(api_double_close_ebadf)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	CHECK_EQ(synack_sock_close(f.st, s), -EBADF);
	CHECK(all_calls_ebadf(&f, s));

	/* the same with a connection behind it: the second close sends nothing */
	s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	FX_EXPECT(&f, SN_TCP_FIN | SN_TCP_ACK, f.our_iss + 1, FX_P + 1);
	CHECK_EQ(synack_sock_close(f.st, s), -EBADF);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), -EBADF);
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_FIN_WAIT_1);
	fx_free(&f);
}

/* ------------------------------------------------ not connected */

/* SEND and RECEIVE before OPEN (§3.10.2/3: "error: connection does not
 * exist"): -ENOTCONN; shutdown too. On a listener as well. */
TEST(api_send_recv_unconnected_enotconn)
{
	struct fx f;
	char buf[4];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), -ENOTCONN);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), -ENOTCONN);
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), -ENOTCONN);
	struct synack_endpoint ep;
	CHECK_EQ(synack_sock_peer(f.st, s, &ep), -ENOTCONN);
	struct synack_endpoint l = {0, 5000};
	CHECK_EQ(synack_sock_bind(f.st, s, &l), 0);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), -ENOTCONN); /* bound is not connected */

	int ls = fx_listen(&f);
	CHECK(ls >= 0);
	CHECK_EQ(synack_sock_send(f.st, ls, "x", 1), -ENOTCONN);
	CHECK_EQ(synack_sock_recv(f.st, ls, buf, sizeof(buf)), -ENOTCONN);
	CHECK_EQ(synack_sock_peer(f.st, ls, &ep), -ENOTCONN);
	FX_NOTHING(&f);
	fx_free(&f);
}

/* RECEIVE while the handshake runs: nothing yet (-EAGAIN), not an error. */
TEST(api_recv_in_syn_sent_eagain)
{
	struct fx f;
	char buf[4];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &PEER), -EINPROGRESS);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), -EAGAIN);
	fx_free(&f);
}

/* SEND after shutdown(SHUT_WR), §3.10.2 "connection closing": -EPIPE; the
 * receive side still works. Bad `how`: -EINVAL. */
TEST(api_send_after_shutdown_epipe)
{
	struct fx f;
	char buf[4];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_shutdown(f.st, s, 3), -EINVAL);
	CHECK_EQ(synack_sock_shutdown(f.st, s, -1), -EINVAL);
	FX_NOTHING(&f);
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	fx_flush(&f);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), -EPIPE);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), -EPIPE);
	FX_NOTHING(&f);
	fx_peer_data(&f, FX_P + 1, f.our_iss + 2, "ok");
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 2);
	fx_free(&f);
}

/* After shutdown(SHUT_RD), RECEIVE reports end of stream. */
TEST(api_recv_after_shutdown_rd_returns_0)
{
	struct fx f;
	char buf[4];

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_RD), 0);
	FX_NOTHING(&f); /* SHUT_RD sends nothing */
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof(buf)), 0);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK_EQ(synack_sock_send(f.st, s, "x", 1), 1);
	fx_free(&f);
}

/* ------------------------------------------------ listen, accept, connect */

/* listen on a connected (or connecting) socket: -EINVAL; accept on a
 * socket that is not listening: -EINVAL. */
TEST(api_listen_on_connected_einval_accept_on_non_listener_einval)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int fresh = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_accept(f.st, fresh, NULL), -EINVAL);

	int s = fx_active_established(&f, FX_P);
	CHECK(s >= 0);
	CHECK_EQ(synack_sock_listen(f.st, s, 4), -EINVAL);
	CHECK_EQ(synack_sock_accept(f.st, s, NULL), -EINVAL);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);

	int c = synack_sock_open(f.st);
	struct synack_endpoint other = {FX_PEER, 40001};
	CHECK_EQ(synack_sock_connect(f.st, c, &other), -EINPROGRESS);
	CHECK_EQ(synack_sock_listen(f.st, c, 4), -EINVAL);
	CHECK_EQ(synack_sock_accept(f.st, c, NULL), -EINVAL);

	/* still -EINVAL once the connection has ended */
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_RST, .seq = FX_P + 1});
	CHECK_EQ(fx_state(&f, s), SYNACK_CLOSED);
	CHECK_EQ(synack_sock_listen(f.st, s, 4), -EINVAL);

	/* a listener with nothing queued */
	struct synack_endpoint lp = {0, 81};
	int ls = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, ls, &lp), 0);
	CHECK_EQ(synack_sock_listen(f.st, ls, 4), 0);
	CHECK_EQ(synack_sock_accept(f.st, ls, NULL), -EAGAIN);
	CHECK_EQ(synack_sock_listen(f.st, ls, 8), 0); /* again: new backlog */
	fx_free(&f);
}

/* connect while the handshake runs: -EALREADY; once connected: -EISCONN.
 * On a listener: -EISCONN too (Linux: the socket is not unconnected). */
TEST(api_connect_twice_ealready_then_eisconn)
{
	struct fx f;
	struct sn_tcp_seg o;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, s, &PEER), -EINPROGRESS);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(synack_sock_connect(f.st, s, &PEER), -EALREADY);
	struct synack_endpoint other = {FX_PEER, 40001};
	CHECK_EQ(synack_sock_connect(f.st, s, &other), -EALREADY);
	FX_NOTHING(&f); /* no second SYN */
	struct synack_endpoint l;
	CHECK_EQ(synack_sock_local(f.st, s, &l), 0);
	f.our_port = l.port;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN | SN_TCP_ACK, .seq = FX_P, .ack = o.seq + 1,
				   .wnd = 65535});
	FX_EXPECT(&f, SN_TCP_ACK, o.seq + 1, FX_P + 1);
	CHECK_EQ(synack_sock_connect(f.st, s, &PEER), -EISCONN);
	CHECK_EQ(synack_sock_connect(f.st, s, &other), -EISCONN);
	FX_NOTHING(&f);

	int ls = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_listen(f.st, ls, 4), 0);
	CHECK_EQ(synack_sock_connect(f.st, ls, &PEER), -EISCONN);
	FX_NOTHING(&f);
	fx_free(&f);
}

/* ------------------------------------------------ bind */

/* bind twice: -EINVAL (also after connect bound the socket implicitly). */
TEST(api_bind_twice_einval)
{
	struct fx f;
	struct synack_endpoint a = {0, 5000}, b = {0, 5001};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &a), 0);
	CHECK_EQ(synack_sock_bind(f.st, s, &b), -EINVAL);
	CHECK_EQ(synack_sock_bind(f.st, s, &a), -EINVAL);
	int c = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, c, &PEER), -EINPROGRESS);
	CHECK_EQ(synack_sock_bind(f.st, c, &b), -EINVAL);
	struct synack_endpoint l;
	CHECK_EQ(synack_sock_local(f.st, s, &l), 0);
	CHECK_EQ(l.port, 5000);
	fx_free(&f);
}

/* bind to a port another socket holds: -EADDRINUSE; with SO_REUSEADDR
 * still -EADDRINUSE while someone listens there. */
TEST(api_bind_port_in_use_eaddrinuse)
{
	struct fx f;
	struct synack_endpoint p = {0, 5000}, any = {0, 5000}, ours = {FX_US, 5000};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int a = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, a, &p), 0);
	int b = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, b, &any), -EADDRINUSE);
	CHECK_EQ(synack_sock_bind(f.st, b, &ours), -EADDRINUSE);
	CHECK_EQ(synack_sock_listen(f.st, a, 4), 0);
	CHECK_EQ(synack_sock_setopt(f.st, b, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, b, &p), -EADDRINUSE);
	/* a failed bind leaves the socket unbound: another port works */
	struct synack_endpoint q = {0, 5001};
	CHECK_EQ(synack_sock_bind(f.st, b, &q), 0);
	/* closing the holder frees the port */
	CHECK_EQ(synack_sock_close(f.st, a), 0);
	int c = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, c, &p), 0);
	fx_free(&f);
}

/* SO_REUSEADDR lets a socket bind a port held only by a TIME-WAIT entry
 * (the classic server restart); without it, -EADDRINUSE. As in Linux the
 * old server must have set it too (test_tcp_tw_knobs.c has the case where
 * it did not). */
TEST(api_bind_reuseaddr_over_time_wait)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	f.reuseaddr = 1;
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);
	CHECK_EQ(fx_close_to_time_wait(&f, s), 0);
	CHECK_EQ(synack_sock_close(f.st, f.lsock), 0); /* the server goes down */
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);

	struct synack_endpoint p = {0, FX_PORT};
	int a = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, a, &p), -EADDRINUSE);
	CHECK_EQ(synack_sock_setopt(f.st, a, SYNACK_SO_REUSEADDR, 1), 0);
	CHECK_EQ(synack_sock_bind(f.st, a, &p), 0);
	CHECK_EQ(synack_sock_listen(f.st, a, 4), 0);
	CHECK_EQ(fx_conn_state(&f), SYNACK_TIME_WAIT);
	fx_free(&f);
}

/* bind to an address that is not this stack's: -EADDRNOTAVAIL. */
TEST(api_bind_foreign_address_eaddrnotavail)
{
	struct fx f;
	struct synack_endpoint foreign = {FX_PEER, 5000}, other = {0x0a000009u, 0};

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_bind(f.st, s, &foreign), -EADDRNOTAVAIL);
	CHECK_EQ(synack_sock_bind(f.st, s, &other), -EADDRNOTAVAIL);
	struct synack_endpoint ok = {FX_US, 5000};
	CHECK_EQ(synack_sock_bind(f.st, s, &ok), 0);
	fx_free(&f);
}

/* ------------------------------------------------ bounds */

/* max_sockets: open beyond it gives -EMFILE, and so does accept (the
 * connection waits in the queue until a descriptor is free). */
TEST(api_socket_table_exhaustion_emfile)
{
	struct fx f;
	struct synack_config cfg;

	synack_config_default(&cfg);
	cfg.max_sockets = 3;
	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P); /* listener + accepted: 2 */
	CHECK(s >= 0);
	int x = synack_sock_open(f.st);
	CHECK(x >= 0);
	CHECK_EQ(synack_sock_open(f.st), -EMFILE);
	CHECK_EQ(synack_sock_open(f.st), -EMFILE);

	/* a second connection completes but cannot be accepted yet */
	CHECK(fx_passive_another(&f, 40001, 7000) == -EMFILE);
	CHECK(synack_sock_events(f.st, f.lsock) & SYNACK_EV_IN);
	CHECK_EQ(fx_conn_state(&f), SYNACK_ESTABLISHED);
	CHECK_EQ(synack_sock_close(f.st, x), 0);
	int s2 = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK(s2 >= 0);
	CHECK_EQ(fx_state(&f, s2), SYNACK_ESTABLISHED);
	CHECK_EQ(synack_sock_open(f.st), -EMFILE);
	fx_free(&f);
}

/* max_conns: a SYN that finds the table full is dropped and counted
 * (no_memory), unanswered; connect gets -ENOBUFS. Room comes back when a
 * connection ends. */
TEST(api_connection_table_exhaustion)
{
	struct fx f;
	struct synack_config cfg;

	synack_config_default(&cfg);
	cfg.max_conns = 2; /* the listener and one connection */
	CHECK_EQ(fx_init(&f, &cfg), 0);
	int s = fx_passive_established(&f, FX_P);
	CHECK(s >= 0);

	f.peer_port = 40001;
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 7000, .wnd = 65535});
	FX_NOTHING(&f);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_NO_MEMORY), 1);

	int c = synack_sock_open(f.st);
	struct synack_endpoint other = {FX_PEER, 40002};
	CHECK_EQ(synack_sock_connect(f.st, c, &other), -ENOBUFS);
	FX_NOTHING(&f);
	CHECK_EQ(fx_state(&f, c), SYNACK_CLOSED);

	/* the first connection is aborted: room for one again */
	CHECK_EQ(synack_sock_abort(f.st, s), 0);
	fx_flush(&f);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 7000, .wnd = 65535});
	struct sn_tcp_seg o;
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK_EQ(o.ack, 7001);
	CHECK_EQ(synack_sock_connect(f.st, c, &other), -ENOBUFS);
	fx_free(&f);
}

/* Ephemeral ports: with a one-port range, a second connect to the same
 * destination gets -EADDRNOTAVAIL (Linux connect); an explicit bind to port
 * 0 and an implicit one by listen get -EADDRINUSE (Linux bind/listen), as
 * the port is held. A connect to another destination shares the port
 * (test_port_ephemeral.c covers that rule). */
TEST(api_ephemeral_port_exhaustion)
{
	struct fx f;
	struct synack_config cfg;

	synack_config_default(&cfg);
	cfg.port_lo = cfg.port_hi = 50000;
	CHECK_EQ(fx_init(&f, &cfg), 0);
	int a = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, a, &PEER), -EINPROGRESS);
	struct synack_endpoint l;
	CHECK_EQ(synack_sock_local(f.st, a, &l), 0);
	CHECK_EQ(l.port, 50000);
	fx_flush(&f);

	int b = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_connect(f.st, b, &PEER), -EADDRNOTAVAIL);
	FX_NOTHING(&f);
	struct synack_endpoint zero = {0, 0};
	CHECK_EQ(synack_sock_bind(f.st, b, &zero), -EADDRINUSE);
	CHECK_EQ(synack_sock_listen(f.st, b, 4), -EADDRINUSE);

	/* the port comes back when the first connection goes */
	CHECK_EQ(synack_sock_close(f.st, a), 0);
	CHECK_EQ(synack_sock_connect(f.st, b, &PEER), -EINPROGRESS);
	CHECK_EQ(synack_sock_local(f.st, b, &l), 0);
	CHECK_EQ(l.port, 50000);
	fx_free(&f);
}

/* ------------------------------------------------ options */

/* Unknown options: -ENOPROTOOPT, for set and get; SO_ERROR is get-only.
 * Bad values: -EINVAL. A NULL result pointer: -EINVAL. */
TEST(api_bad_setsockopt)
{
	struct fx f;
	int v = 0;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = synack_sock_open(f.st);
	CHECK_EQ(synack_sock_setopt(f.st, s, (enum synack_opt)999, 1), -ENOPROTOOPT);
	CHECK_EQ(synack_sock_setopt(f.st, s, (enum synack_opt)0, 1), -ENOPROTOOPT);
	CHECK_EQ(synack_sock_getopt(f.st, s, (enum synack_opt)999, &v), -ENOPROTOOPT);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_ERROR, 0), -ENOPROTOOPT);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_USER_TIMEOUT, -1), -EINVAL);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_SNDBUF, 0), -EINVAL);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_RCVBUF, -5), -EINVAL);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, NULL), -EINVAL);
	CHECK_EQ(synack_sock_info(f.st, s, NULL), -EINVAL);
	CHECK_EQ(synack_sock_local(f.st, s, NULL), -EINVAL);
	/* the failed calls changed nothing */
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_SNDBUF, &v), 0);
	CHECK_EQ(v, (int)synack_stack_config(f.st)->sndbuf);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_TCP_USER_TIMEOUT, &v), 0);
	CHECK_EQ(v, 0);
	/* good values round-trip */
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_TCP_USER_TIMEOUT, 1500), 0);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_TCP_USER_TIMEOUT, &v), 0);
	CHECK_EQ(v, 1500);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_SO_LINGER, -7), 0);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_LINGER, &v), 0);
	CHECK_EQ(v, -1);
	fx_free(&f);
}
