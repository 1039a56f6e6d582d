/*
 * The script parser (tools/script): packetdrill's syntax as `synack script`
 * reads it, and the error messages for what it rejects (each names the file
 * and line). White-box: links the runner sources (tests/CMakeLists.txt).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include "check.h"
#include "script.h"
#include "wire/tcp_wire.h"

static char err[512];

static int parse(struct sc_script *s, const char *text)
{
	return sc_parse("t.pkt", text, s, err, sizeof(err));
}

/* Parses text expecting failure; returns 1 if err contains want. */
static int parse_fails_with(const char *text, const char *want)
{
	struct sc_script s;
	if (parse(&s, text) == 0) {
		sc_script_free(&s);
		fprintf(stderr, "parsed, expected an error containing '%s'\n", want);
		return 0;
	}
	if (!strstr(err, want)) {
		fprintf(stderr, "error '%s' does not contain '%s'\n", err, want);
		return 0;
	}
	return 1;
}

TEST(script_times_absolute_relative_any_and_ranges)
{
	struct sc_script s;
	CHECK_EQ(parse(&s, "0.100 close(3) = 0\n+.1 close(3) = 0\n* > . 1:1(0) ack 1\n"
			   "0.1...0.25 accept(3, ..., ...) = 4\n+0...+0.5 read(4, ..., 10) = 10\n"
			   "+2...3 read(4, ..., 10) = 10\n"),
		 0);
	CHECK_EQ(s.nevents, 6);
	CHECK_EQ(s.events[0].time.kind, SC_TIME_ABS);
	CHECK_EQ(s.events[0].time.start_us, 100000);
	CHECK_EQ(s.events[1].time.kind, SC_TIME_REL);
	CHECK_EQ(s.events[1].time.start_us, 100000);
	CHECK_EQ(s.events[2].time.kind, SC_TIME_ANY);
	CHECK_EQ(s.events[3].time.kind, SC_TIME_ABS_RANGE);
	CHECK_EQ(s.events[3].time.end_us, 250000);
	CHECK_EQ(s.events[4].time.kind, SC_TIME_REL_RANGE);
	CHECK_EQ(s.events[4].time.end_us, 500000);
	CHECK_EQ(s.events[5].time.kind, SC_TIME_REL_RANGE);
	CHECK_EQ(s.events[5].time.start_us, 2000000);
	CHECK_EQ(s.events[5].time.end_us, 3000000);
	CHECK_EQ(s.events[3].line, 4);
	CHECK(!strcmp(s.events[3].text, "0.1...0.25 accept(3, ..., ...) = 4"));
	sc_script_free(&s);
}

TEST(script_packet_fields_and_flags)
{
	struct sc_script s;
	CHECK_EQ(parse(&s, "0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7,sackOK,TS val 100 ecr 0,eol>\n"
			   "+0 > S. 0:0(0) ack 1 <...>\n"
			   "+0 < P. 1:1001(1000) ack 1 win 257 <nop,nop,sack 1:10 20:30>\n"
			   "+0 > F. 1:1(0) ack 1001\n+0 < R 1:1(0) win 0\n+0 < - 5:5(0) win 0\n"
			   "+0 < SEW 0:0(0) win 10\n+0 < U. 1:2(1) ack 1 urg 1 win 10\n"),
		 0);
	const struct sc_packet *p = &s.events[0].u.pkt;
	CHECK_EQ(p->dir, '<');
	CHECK_EQ(p->flags, SN_TCP_SYN);
	CHECK_EQ(p->win, 32792);
	CHECK_EQ(p->opts_mode, SC_OPTS_LIST);
	CHECK_EQ(p->nopts, 6);
	CHECK_EQ(p->opts[0].kind, SC_OPT_MSS);
	CHECK_EQ(p->opts[0].v[0], 1000);
	CHECK_EQ(p->opts[2].kind, SC_OPT_WSCALE);
	CHECK_EQ(p->opts[2].v[0], 7);
	CHECK_EQ(p->opts[4].kind, SC_OPT_TS);
	CHECK_EQ(p->opts[4].v[0], 100);
	CHECK_EQ(p->opts[5].kind, SC_OPT_EOL);
	p = &s.events[1].u.pkt;
	CHECK_EQ(p->dir, '>');
	CHECK_EQ(p->flags, SN_TCP_SYN | SN_TCP_ACK);
	CHECK(p->has_ack && p->ack == 1);
	CHECK(!p->has_win);
	CHECK_EQ(p->opts_mode, SC_OPTS_ANY);
	p = &s.events[2].u.pkt;
	CHECK_EQ(p->flags, SN_TCP_PSH | SN_TCP_ACK);
	CHECK_EQ(p->seq, 1);
	CHECK_EQ(p->end, 1001);
	CHECK_EQ(p->len, 1000);
	CHECK_EQ(p->opts[2].kind, SC_OPT_SACK);
	CHECK_EQ(p->opts[2].n, 2);
	CHECK_EQ(p->opts[2].v[3], 30);
	CHECK_EQ(s.events[3].u.pkt.opts_mode, SC_OPTS_NONE);
	CHECK_EQ(s.events[3].u.pkt.flags, SN_TCP_FIN | SN_TCP_ACK);
	CHECK_EQ(s.events[4].u.pkt.flags, SN_TCP_RST);
	CHECK_EQ(s.events[5].u.pkt.flags, 0);
	CHECK_EQ(s.events[6].u.pkt.flags, SN_TCP_SYN | SN_TCP_ECE | SN_TCP_CWR);
	CHECK_EQ(s.events[7].u.pkt.flags, SN_TCP_URG | SN_TCP_ACK);
	CHECK(s.events[7].u.pkt.has_urg && s.events[7].u.pkt.urg == 1);
	sc_script_free(&s);
}

TEST(script_packet_format_round_trips)
{
	struct sc_script s;
	char buf[256];
	const char *lines[] = {"> S. 0:0(0) ack 1 win 65535 <mss 1460>", "< P. 1:1001(1000) ack 1 win 257",
			       "< . 1:1(0) ack 1 win 10 <nop,nop,sack 5:10>", "> R 1:1(0)", "> F. 5:5(0) ack 9 <...>",
			       "< - 1:1(0) win 3 <TS val 5 ecr 6,eol>"};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char text[300];
		snprintf(text, sizeof(text), "0 %s\n", lines[i]);
		CHECK_EQ(parse(&s, text), 0);
		sc_fmt_packet(&s.events[0].u.pkt, buf, sizeof(buf));
		if (strcmp(buf, lines[i]))
			fprintf(stderr, "'%s' != '%s'\n", buf, lines[i]);
		CHECK(!strcmp(buf, lines[i]));
		sc_script_free(&s);
	}
}

TEST(script_syscall_arguments_and_results)
{
	struct sc_script s;
	CHECK_EQ(parse(&s, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
			   "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
			   "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
			   "+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n"
			   "+0 poll([{fd=3, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1\n"
			   "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0\n"
			   "+0 write(3, ..., 10) = ...\n"
			   "+0 read(3, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)\n"),
		 0);
	const struct sc_syscall *c = &s.events[0].u.call;
	CHECK(!strcmp(c->name, "socket"));
	CHECK_EQ(c->nargs, 3);
	CHECK_EQ(c->args[0]->kind, SC_E_ELLIPSIS);
	CHECK_EQ(c->args[1]->num, SOCK_STREAM);
	CHECK_EQ(c->ret, 3);
	CHECK_EQ(s.events[1].u.call.args[2]->num, O_RDWR | O_NONBLOCK);
	c = &s.events[2].u.call;
	CHECK_EQ(c->ret, -1);
	CHECK_EQ(c->err, EINPROGRESS);
	c = &s.events[3].u.call;
	CHECK_EQ(c->args[3]->kind, SC_E_STRUCT);
	CHECK(!strcmp(c->args[3]->keys[1], "linger"));
	c = &s.events[4].u.call;
	CHECK_EQ(c->args[0]->kind, SC_E_LIST);
	CHECK_EQ(c->args[0]->items[0]->items[1]->num, POLLIN | POLLOUT);
	CHECK_EQ(s.events[5].u.call.args[3]->items[0]->num, ECONNRESET);
	CHECK(s.events[6].u.call.ret_any);
	CHECK_EQ(s.events[7].u.call.err, EAGAIN);
	sc_script_free(&s);
}

TEST(script_comments_and_multiline_events)
{
	struct sc_script s;
	CHECK_EQ(parse(&s, "// a comment\n# another\n/* block\n comment */ 0 close(3)\n = 0 // trailing\n"
			   "+0 %{\nassert tcpi_state == TCP_CLOSE\n}%\n%{ assert 1 }%\n"),
		 0);
	CHECK_EQ(s.nevents, 3);
	CHECK_EQ(s.events[0].line, 4);
	CHECK_EQ(s.events[1].kind, SC_EV_ASSERT);
	CHECK_EQ(s.events[2].time.kind, SC_TIME_REL); /* a block with no time: +0 */
	CHECK_EQ(s.events[2].time.start_us, 0);
	sc_script_free(&s);
}

TEST(script_sysctl_lines)
{
	struct sc_script s;
	CHECK_EQ(parse(&s, "0 `sysctl -q net.ipv4.tcp_fin_timeout=5; sysctl -w net.ipv4.tcp_timestamps=0`\n"
			   "+0 `sysctl -w net.ipv4.ip_local_port_range=\"40000 40010\"`\n"
			   "+0 `sysctl net/ipv4/tcp_max_tw_buckets=2`\n+0 `sysctl net.synack.msl_us=1000`\n"),
		 0);
	CHECK_EQ(s.events[0].kind, SC_EV_SYSCTL);
	CHECK_EQ(s.events[0].u.sysctl.n, 2);
	CHECK_EQ(s.events[0].u.sysctl.v[0].value, 5);
	CHECK_EQ(s.events[1].u.sysctl.v[0].value, 40000);
	CHECK_EQ(s.events[1].u.sysctl.v[0].value2, 40010);
	struct synack_config c;
	synack_config_default(&c);
	sc_knob_apply(s.events[0].u.sysctl.v[0].knob, &c, 5, 0);
	CHECK_EQ(c.fin_timeout_us, 5000000u); /* Linux's seconds to synack's µs */
	sc_knob_apply(s.events[2].u.sysctl.v[0].knob, &c, 2, 0);
	CHECK_EQ(c.max_timewait, 2);
	sc_script_free(&s);
}

TEST(script_asserts)
{
	struct sc_script s;
	CHECK_EQ(parse(&s, "0 %{ assert tcpi_state == TCP_TIME_WAIT, tcpi_state; "
			   "assert tcpi_rto >= 200000 and not (tcpi_snd_cwnd * 2 < 4) or tcpi_retransmits != 0 }%\n"),
		 0);
	CHECK_EQ(s.events[0].u.asserts.n, 2);
	const struct sc_aexpr *e = s.events[0].u.asserts.v[0].expr;
	CHECK_EQ(e->op, SC_A_EQ);
	CHECK_EQ(e->l->op, SC_A_FIELD);
	CHECK_EQ(e->l->field, SC_TCPI_STATE);
	CHECK_EQ(e->r->num, 6); /* Linux's TCP_TIME_WAIT */
	CHECK(!strcmp(s.events[0].u.asserts.v[0].text, "tcpi_state == TCP_TIME_WAIT"));
	CHECK_EQ(s.events[0].u.asserts.v[1].expr->op, SC_A_OR);
	sc_script_free(&s);
}

/* Runs text as a script; returns sc_run's result and leaves its output in
 * out (at most outsz bytes, NUL-terminated). */
static int run(const char *text, char *out, size_t outsz)
{
	struct sc_script s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sc_run_opts o = {.tolerance_us = 4000};

	if (!f || parse(&s, text) != 0) {
		if (f)
			fclose(f);
		free(buf);
		return -1000;
	}
	int rc = sc_run(&s, &o, f);
	sc_script_free(&s);
	fclose(f);
	snprintf(out, outsz, "%s", buf ? buf : "");
	free(buf);
	return rc;
}

/* An assert's arithmetic is int64: a result outside it (any constant may be
 * written) fails the assert with a reason, never signed overflow (a
 * fuzz_script finding: 222752 * 222292522222293222 was undefined behaviour). */
TEST(script_assert_arithmetic_overflow_fails_the_assert)
{
	static const char head[] = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
				   "+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n";
	static const char *const overflow[] = {
		"+0 %{ assert tcpi_state * 4611686018427387904 * 4 != 1 }%\n",
		"+0 %{ assert 9223372036854775807 + tcpi_state != 1 }%\n",
		"+0 %{ assert 0 - 9223372036854775807 - tcpi_state != 1 }%\n",
		"+0 %{ assert -(0 - 9223372036854775807 - 1) != 1 }%\n",
		"+0 %{ assert (0 - 9223372036854775807 - 1) / (tcpi_state - 11) != 1 }%\n",
		"+0 %{ assert (0 - 9223372036854775807 - 1) % (tcpi_state - 11) != 1 }%\n",
	};
	char text[512], out[2048];

	for (size_t i = 0; i < sizeof(overflow) / sizeof(overflow[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", head, overflow[i]);
		CHECK(run(text, out, sizeof(out)) != 0);
		CHECK(strstr(out, "arithmetic overflow") != NULL);
	}
	/* the largest values that fit still evaluate */
	snprintf(text, sizeof(text), "%s%s", head,
		 "+0 %{ assert 4611686018427387903 * 2 + 1 == 9223372036854775807 and "
		 "tcpi_state * 922337203685477580 == 9223372036854775800 }%\n");
	CHECK_EQ(run(text, out, sizeof(out)), 0);
	snprintf(text, sizeof(text), "%s%s", head, "+0 %{ assert 1 / (tcpi_state - 10) }%\n");
	CHECK(run(text, out, sizeof(out)) != 0);
	CHECK(strstr(out, "division by zero") != NULL);
}

TEST(script_errors_name_file_line_and_cause)
{
	CHECK(parse_fails_with("0 close(3) = 0\n+0 < Sx 0:0(0)\n", "t.pkt:2: bad TCP flags 'Sx'"));
	CHECK(parse_fails_with("0 < S 0:5(0) win 1\n", "t.pkt:1: sequence range 0:5 does not match length 0"));
	CHECK(parse_fails_with("0 frobnicate(3) = 0\n", "unknown system call 'frobnicate'"));
	CHECK(parse_fails_with("0 setsockopt(3, SOL_SOCKET, SO_BOGUS, [1], 4) = 0\n", "unknown symbol 'SO_BOGUS'"));
	CHECK(parse_fails_with("0 close(3) = -1\n", "a result of -1 needs an errno name"));
	CHECK(parse_fails_with("0 close(3) = -1 EBOGUS\n", "errno name"));
	CHECK(parse_fails_with("0 < S 0:0(0) <mss 1460,frob 3>\n", "unknown TCP option 'frob'"));
	CHECK(parse_fails_with("0 < S 0:0(0) win 70000\n", "win 70000 is out of range"));
	CHECK(parse_fails_with("0 `sysctl -q net.ipv4.tcp_bogus=1`\n", "unknown sysctl 'net.ipv4.tcp_bogus'"));
	CHECK(parse_fails_with("0 `sysctl -q net.ipv4.tcp_ecn=3`\n", "value out of range (0..2)"));
	CHECK(parse_fails_with("0 `sysctl -q net.ipv4.tcp_congestion_control=bbr`\n",
			       "synack has no congestion control 'bbr' (reno, cubic)"));
	CHECK(parse_fails_with("0 `sysctl -q net.ipv4.tcp_timestamps=2`\n", "value out of range (0..1)"));
	CHECK(parse_fails_with("0 `sysctl net.ipv4.tcp_fin_timeout`\n", "reads a value"));
	CHECK(parse_fails_with("0 `echo 1 > /proc/sys/x`\n", "only `sysctl name=value` commands"));
	CHECK(parse_fails_with("0 `sysctl -q net.ipv4.tcp_fin_timeout=abc`\n", "is not a number"));
	CHECK(parse_fails_with("0 %{ assert tcpi_bogus == 1 }%\n", "t.pkt:1: unknown name 'tcpi_bogus'"));
	CHECK(parse_fails_with("0 %{ print(1) }%\n", "only `assert` statements"));
	CHECK(parse_fails_with("\n\n0 close(3) = 0 /* open\n", "t.pkt:3: unterminated /* comment"));
	CHECK(parse_fails_with("0.2...0.1 accept(3, ..., ...) = 4\n", "ends before it starts"));
	CHECK(parse_fails_with("0...0.1 < S 0:0(0) win 1\n", "only a system call can have a time range"));
	CHECK(parse_fails_with("0 < S 0:0(0) <mss 1,mss 1,mss 1,mss 1,mss 1,mss 1,mss 1,mss 1,mss 1,mss 1,mss 1>\n",
			       "a TCP header holds at most 40"));
	CHECK(parse_fails_with("0 close 3\n", "expected '(' after the call's name"));
	CHECK(parse_fails_with("", "the script has no events"));
	CHECK(parse_fails_with("0 < S 0:0(0) win 1 <sack>\n", "sack needs at least one block"));
}
