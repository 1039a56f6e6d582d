/*
 * Why TIME-WAIT exists, each scenario of `synack demo --scenario` with and
 * without it (tools/scenarios.c, compiled into this test): the outcomes the
 * classic texts predict, checked. Without the behaviour each "with" case
 * would look like its "without" case.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "../../tools/scenarios.c"

/* RFC 9293 §3.6 / MUST-13: the lost last ACK is answered from TIME-WAIT. */
TEST(scenario_lost_last_ack_reacked_from_timewait)
{
	struct scenario_result r;
	CHECK_EQ(scenario_run("lost-last-ack", 1, NULL, &r), 0);
	CHECK(r.ok);
	CHECK(strcmp(r.server_end, "rcv ACK of FIN") == 0);
	CHECK_EQ(r.fin_reacked, 1);
	CHECK_EQ(r.client_rsts, 0);
}

TEST(scenario_lost_last_ack_without_timewait_gets_rst)
{
	struct scenario_result r;
	CHECK_EQ(scenario_run("lost-last-ack", 0, NULL, &r), 0);
	CHECK(r.ok);
	CHECK(strcmp(r.server_end, "rcv RST") == 0);
	CHECK_EQ(r.fin_reacked, 0);
	CHECK_EQ(r.client_rsts, 1);
}

/* RFC 9293 §3.4.1/§3.6: while the 4-tuple is in TIME-WAIT no new incarnation
 * can exist (EADDRNOTAVAIL) and the old duplicate dies at the entry. */
TEST(scenario_old_duplicate_rejected_by_timewait)
{
	struct scenario_result r;
	CHECK_EQ(scenario_run("old-duplicate", 1, NULL, &r), 0);
	CHECK(r.ok);
	CHECK_EQ(r.reconnect_err, -EADDRNOTAVAIL);
	CHECK_EQ(r.dup_dropped, 1);
	CHECK_EQ(r.dup_accepted, 0);
}

TEST(scenario_old_duplicate_accepted_without_timewait)
{
	struct scenario_result r;
	CHECK_EQ(scenario_run("old-duplicate", 0, NULL, &r), 0);
	CHECK(r.ok);
	CHECK_EQ(r.reconnect_err, -EINPROGRESS);
	CHECK_EQ(r.dup_accepted, 1);
	CHECK(strcmp(r.read, "reply to request 1") == 0);
}

/* SO_REUSEADDR (Linux semantics): the restarted server binds at once. */
TEST(scenario_server_restart_with_so_reuseaddr)
{
	struct scenario_result r;
	CHECK_EQ(scenario_run("server-restart", 1, NULL, &r), 0);
	CHECK(r.ok);
	CHECK_EQ(r.bind_err, 0);
	CHECK_EQ(r.bind_ok_after_us, 0);
	CHECK(r.served);
}

/* Without it, -EADDRINUSE until the TIME-WAIT entry expires (2*MSL = 60 s). */
TEST(scenario_server_restart_without_so_reuseaddr)
{
	struct scenario_result r;
	CHECK_EQ(scenario_run("server-restart", 0, NULL, &r), 0);
	CHECK(r.ok);
	CHECK_EQ(r.bind_err, -EADDRINUSE);
	CHECK(r.bind_ok_after_us > 58 * SEC && r.bind_ok_after_us <= 61 * SEC);
	CHECK(r.served);
}

/* ip_local_port_range of 10 ports, tcp_tw_reuse = 0: the 11th connection to
 * the server finds every port in TIME-WAIT (EADDRNOTAVAIL) until the first
 * entries expire, while another server port still connects from one of
 * them (Linux shares a port across 4-tuples). */
TEST(scenario_ephemeral_ports_exhausted_by_timewait)
{
	struct scenario_result r;
	CHECK_EQ(scenario_run("ephemeral-ports", 1, NULL, &r), 0);
	CHECK(r.ok);
	CHECK_EQ(r.connects_ok, 10);
	CHECK_EQ(r.connect_err, -EADDRNOTAVAIL);
	CHECK_EQ(r.recycled, 0);
	CHECK_EQ(r.other_dst_err, 0);
	CHECK(r.ports_back_after_us > 50 * SEC && r.ports_back_after_us <= 61 * SEC);
}

/* tcp_tw_reuse = 1: connections 11..20 each take over a TIME-WAIT port whose
 * last timestamp is older than tw_reuse_delay, so connect() never fails. */
TEST(scenario_ephemeral_ports_tcp_tw_reuse_recycles)
{
	struct scenario_result r;
	CHECK_EQ(scenario_run("ephemeral-ports", 2, NULL, &r), 0);
	CHECK(r.ok);
	CHECK_EQ(r.connects_ok, 20);
	CHECK_EQ(r.connect_err, 0);
	CHECK_EQ(r.recycled, 10);
}

TEST(scenario_ephemeral_ports_without_timewait_never_run_out)
{
	struct scenario_result r;
	CHECK_EQ(scenario_run("ephemeral-ports", 0, NULL, &r), 0);
	CHECK(r.ok);
	CHECK_EQ(r.connects_ok, 20);
	CHECK_EQ(r.connect_err, 0);
	CHECK_EQ(r.recycled, 0);
}

TEST(scenario_unknown_name)
{
	struct scenario_result r;
	CHECK_EQ(scenario_run("no-such", 1, NULL, &r), -ENOENT);
	CHECK_EQ(scenario_run("lost-last-ack", 2, NULL, &r), -ENOENT); /* no third variant */
	CHECK(scenario_names()[0] != NULL);
}
