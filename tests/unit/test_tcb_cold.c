/*
 * Cold per-connection state (issue #6, memory per connection): what most
 * connections never use lives outside the TCB, in blocks from the stack's
 * bounded pools, taken when first needed and given back as soon as the
 * connection stops needing them, so an idle established connection holds
 * only pointers. White-box: the pools' live counts are the observable.
 */
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
