/*
 * Cold per-connection state (issue #6, memory per connection): what most
 * connections never use lives outside the TCB, in blocks from the stack's
 * bounded pools, taken when first needed and given back as soon as the
 * connection stops needing them, so an idle established connection holds
 * only pointers. White-box: the pools' live counts are the observable.
 */
#include <string.h>

#include "check.h"
#include "stack/stack.h"
#include "tcp_fixture.h"

/* A listener's queues are its own block; its connections carry none. */
TEST(listener_queues_in_their_own_block)
{
	struct fx f;

	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK(fx_passive_established(&f, 1000) >= 0);
	CHECK_EQ(f.st->listen_pool.live, 1);
	CHECK_EQ(synack_sock_close(f.st, f.lsock), 0);
	CHECK_EQ(f.st->listen_pool.live, 0);
	fx_free(&f);
}

/* A socket's options and leftovers are a block of their own: an accepted
 * socket of a listener left at the defaults has none; setting an option
 * takes one (and the value reads back), closing gives it back. */
TEST(socket_options_block_only_when_an_option_is_set)
{
	struct fx f;
	int v = 0;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	CHECK_EQ(f.st->sockopt_pool.live, 0);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_IP_TTL, &v), 0);
	CHECK_EQ(v, 64);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_LINGER, &v), 0);
	CHECK_EQ(v, -1);
	CHECK_EQ(synack_sock_setopt(f.st, s, SYNACK_IP_TTL, 9), 0);
	CHECK_EQ(f.st->sockopt_pool.live, 1);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_IP_TTL, &v), 0);
	CHECK_EQ(v, 9);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	CHECK_EQ(f.st->sockopt_pool.live, 0);
	fx_free(&f);
}

/* A listener's options go to its accepted sockets (each with its block). */
TEST(accepted_socket_inherits_listener_options_block)
{
	struct fx f;
	int v = 0;

	CHECK_EQ(fx_init(&f, NULL), 0);
	CHECK(fx_listen(&f) >= 0);
	CHECK_EQ(synack_sock_setopt(f.st, f.lsock, SYNACK_TCP_KEEPIDLE, 77), 0);
	CHECK_EQ(f.st->sockopt_pool.live, 1);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_SYN, .seq = 1000, .wnd = 65535, .mss = 1460});
	struct sn_tcp_seg o;
	CHECK(fx_out(&f, &o));
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1001, .ack = o.seq + 1,
				   .wnd = 65535});
	int s = synack_sock_accept(f.st, f.lsock, NULL);
	CHECK(s >= 0);
	CHECK_EQ(f.st->sockopt_pool.live, 2);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_TCP_KEEPIDLE, &v), 0);
	CHECK_EQ(v, 77);
	fx_free(&f);
}

/* Unread bytes of a connection that ended cleanly are kept in the block
 * (taken then) and still read after the end. */
TEST(unread_data_after_the_end_kept_in_the_options_block)
{
	struct fx f;
	char buf[16];
	static const char hello[] = "hello";

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK | SN_TCP_FIN, .seq = 1001,
				   .ack = f.our_iss + 1, .wnd = 65535, .data = (const uint8_t *)hello,
				   .len = 5});
	CHECK_EQ(synack_sock_shutdown(f.st, s, SYNACK_SHUT_WR), 0);
	struct sn_tcp_seg o;
	while (fx_out(&f, &o))
		if (o.flags & SN_TCP_FIN)
			break;
	CHECK(o.flags & SN_TCP_FIN);
	CHECK_EQ(f.st->sockopt_pool.live, 0);
	fx_in(&f, &(struct fx_seg){.flags = SN_TCP_ACK, .seq = 1007, .ack = o.seq + 1,
				   .wnd = 65535}); /* LAST-ACK -> CLOSED: the TCB goes */
	CHECK_EQ(f.st->sockopt_pool.live, 1);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof buf), 5);
	CHECK(memcmp(buf, hello, 5) == 0);
	CHECK_EQ(synack_sock_recv(f.st, s, buf, sizeof buf), 0);
	CHECK_EQ(synack_sock_close(f.st, s), 0);
	CHECK_EQ(f.st->sockopt_pool.live, 0);
	fx_free(&f);
}

/* A source route (synack_sock_set_route) is a block of its own, held only while the
 * connection has one: set by the application, withdrawn, set again, and
 * returned with the TCB. */
TEST(source_route_block_only_while_the_connection_has_one)
{
	struct fx f;
	struct synack_route r = {.strict = 0, .n = 1, .hops = {0x0a000063u}}, got;

	CHECK_EQ(fx_init(&f, NULL), 0);
	int s = fx_passive_established(&f, 1000);
	CHECK(s >= 0);
	CHECK_EQ(f.st->route_pool.live, 0);
	CHECK_EQ(synack_sock_set_route(f.st, s, &r), 0);
	CHECK_EQ(f.st->route_pool.live, 1);
	CHECK_EQ(synack_sock_route(f.st, s, &got), 0);
	CHECK_EQ(got.n, 1);
	CHECK_EQ(got.hops[0], 0x0a000063u);
	CHECK_EQ(synack_sock_set_route(f.st, s, NULL), 0);
	CHECK_EQ(f.st->route_pool.live, 0);
	CHECK_EQ(synack_sock_route(f.st, s, &got), 0);
	CHECK_EQ(got.n, 0);
	CHECK_EQ(synack_sock_set_route(f.st, s, &r), 0);
	CHECK_EQ(synack_sock_abort(f.st, s), 0);
	CHECK_EQ(f.st->route_pool.live, 0);
	fx_free(&f);
}
