/*
 * ICMP as a host: echo (RFC 1122 3.2.2.6), errors delivered to the
 * connection they quote (RFC 9293 §3.9.2.2: MUST-54, MUST-55, MUST-56,
 * SHLD-25, SHLD-26), the RFC 5927 §4.1 sequence check, and
 * fragmentation-needed lowering the send MSS (RFC 1191).
 */
#include "check.h"
#include "tcp_fixture.h"

#define ROUTER 0x0a0000feu

static uint64_t ctr(struct fx *f, size_t off)
{
	struct synack_counters c;
	synack_stack_counters(f->st, &c);
	return *(const uint64_t *)((const char *)&c + off);
}
#define CTR(f, field) ctr((f), offsetof(struct synack_counters, field))

/* The last datagram we sent, quoted whole (IPv4 header + TCP header + data). */
static void quote_last(struct fx *f, uint8_t type, uint8_t code, uint32_t rest)
{
	fx_in_icmp(f, ROUTER, type, code, rest, f->last.buf, f->last.len);
}

/* Our SYN to the peer, read from the output: SYN-SENT with f->last = SYN. */
static int syn_sent(struct fx *f, struct synack_config *cfg)
{
	struct sn_tcp_seg o;
	struct synack_endpoint r = {FX_PEER, FX_PEER_PORT};

	if (fx_init(f, cfg))
		return -1;
	int s = synack_sock_open(f->st);
	if (synack_sock_connect(f->st, s, &r) != -EINPROGRESS || !fx_out(f, &o))
		return -1;
	struct synack_endpoint l;
	synack_sock_local(f->st, s, &l);
	f->our_port = l.port;
	return s;
}

/* ESTABLISHED with 3000 bytes in flight; f->last is the first data segment. */
static int with_data_in_flight(struct fx *f)
{
	static uint8_t data[3000];
	struct sn_tcp_seg o;

	if (fx_init(f, NULL))
		return -1;
	int s = fx_active_established(f, 5000);
	if (s < 0 || synack_sock_setopt(f->st, s, SYNACK_TCP_NODELAY, 1) ||
	    synack_sock_send(f->st, s, data, sizeof(data)) != (ssize_t)sizeof(data))
		return -1;
	if (!fx_out(f, &o) || o.len != 1460)
		return -1;
	struct fx_pkt first = f->last;
	while (fx_out(f, &o))
		;
	f->last = first;
	return s;
}

/* ---------------------------------------------------------------- echo */

/* RFC 1122 3.2.2.6: every echo request is answered, same identifier,
 * sequence number and data, from the address it was sent to. */
TEST(rfc1122_3_2_2_6_echo_request_gets_echo_reply)
{
	struct fx f;
	struct sn_ipv4 ip;
	const uint8_t data[] = "synack ping payload 0123456789";

	CHECK_EQ(fx_init(&f, NULL), 0);
	fx_in_icmp(&f, FX_PEER, 8, 0, 0x12340007u, data, sizeof(data));
	CHECK_EQ(fx_pending(&f), 1);
	struct fx_pkt *p = &f.out[0];
	CHECK_EQ(sn_ipv4_parse(p->buf, p->len, &ip), 0);
	CHECK_EQ(ip.proto, SN_IPPROTO_ICMP);
	CHECK_EQ(ip.src, FX_US);
	CHECK_EQ(ip.dst, FX_PEER);
	const uint8_t *m = p->buf + ip.hdr_len;
	size_t mlen = ip.total_len - ip.hdr_len;
	CHECK_EQ(mlen, 8 + sizeof(data));
	CHECK_EQ(m[0], 0); /* echo reply */
	CHECK_EQ(m[1], 0);
	CHECK_EQ(sn_csum_fold(sn_csum_add(0, m, mlen)), 0);
	CHECK_EQ(m[4] << 8 | m[5], 0x1234); /* identifier */
	CHECK_EQ(m[6] << 8 | m[7], 0x0007); /* sequence number */
	CHECK(!memcmp(m + 8, data, sizeof(data)));
	CHECK_EQ(CTR(&f, icmp_echo_replies), 1);
	CHECK_EQ(CTR(&f, icmp_in), 1);
	fx_free(&f);
}

TEST(icmp_bad_checksum_is_dropped_without_reply)
{
	struct fx f;
	uint8_t buf[256];
	const uint8_t data[8] = {1, 2, 3};

	CHECK_EQ(fx_init(&f, NULL), 0);
	size_t len = fx_build_icmp(buf, FX_PEER, 8, 0, 1, data, sizeof(data), 1);
	fx_in_raw(&f, buf, len);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_ICMP_CHECKSUM), 1);
	fx_in_raw(&f, buf, SN_IPV4_HDR_LEN + 4); /* IPv4 length says more: truncated at IP */
	uint8_t small[SN_IPV4_HDR_LEN + 4];
	len = fx_build_icmp(buf, FX_PEER, 8, 0, 1, data, 0, 0);
	memcpy(small, buf, sizeof(small));
	small[3] = sizeof(small); /* total length 24: 4 bytes of ICMP */
	small[10] = small[11] = 0;
	uint16_t sum = sn_csum_fold(sn_csum_add(0, small, SN_IPV4_HDR_LEN));
	small[10] = (uint8_t)(sum >> 8);
	small[11] = (uint8_t)sum;
	fx_in_raw(&f, small, sizeof(small));
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_ICMP_TRUNCATED), 1);
	CHECK_EQ(fx_pending(&f), 0);
	fx_free(&f);
}

/* MUST-57 (and RFC 1122 3.2.2.6): an echo request to a broadcast or
 * multicast address is not ours and gets no reply. */
TEST(must57_echo_to_broadcast_or_multicast_is_discarded)
{
	struct fx f;
	uint8_t buf[256];
	const uint32_t dsts[] = {0xffffffffu, 0x0a0000ffu, 0xe0000001u};

	CHECK_EQ(fx_init(&f, NULL), 0);
	for (int i = 0; i < 3; i++) {
		size_t len = fx_build_icmp(buf, FX_PEER, 8, 0, 1, NULL, 0, 0);
		struct sn_ipv4 ip;
		CHECK_EQ(sn_ipv4_parse(buf, len, &ip), 0);
		ip.dst = dsts[i];
		sn_ipv4_build(buf, &ip);
		fx_in_raw(&f, buf, len);
	}
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_IP_NOT_OURS), 3);
	CHECK_EQ(CTR(&f, icmp_echo_replies), 0);
	fx_free(&f);
}

/* ---------------------------------------------------------------- errors */

/* MUST-55: Source Quench is silently discarded; the connection goes on. */
TEST(must55_source_quench_is_discarded)
{
	struct fx f;

	int s = with_data_in_flight(&f);
	CHECK(s >= 0);
	struct synack_tcp_info before, after;
	synack_sock_info(f.st, s, &before);
	quote_last(&f, 4, 0, 0);
	synack_sock_info(f.st, s, &after);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_ICMP_IGNORED), 1);
	CHECK_EQ(after.cwnd, before.cwnd);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_free(&f);
}

/* MUST-56 and SHLD-25: host unreachable (a soft error) never aborts the
 * connection; SO_ERROR reports it once; the connection goes on. */
TEST(must56_soft_error_in_established_does_not_abort_shld25_so_error_reports_it)
{
	struct fx f;
	int v = 1;

	int s = with_data_in_flight(&f);
	CHECK(s >= 0);
	quote_last(&f, 3, 1, 0);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	CHECK_EQ(fx_pending(&f), 0);
	CHECK_EQ(CTR(&f, icmp_soft_errors), 1);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &v), 0);
	CHECK_EQ(v, -EHOSTUNREACH);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &v), 0);
	CHECK_EQ(v, 0);
	CHECK(synack_sock_send(f.st, s, "x", 1) == 1); /* still usable */
	fx_free(&f);
}

/* MUST-56 for every soft kind: network unreachable, source route failed,
 * time exceeded (both codes) and parameter problem, each with its errno. */
TEST(must56_soft_errors_map_to_linux_errnos)
{
	static const struct {
		uint8_t type, code;
		int err;
	} cases[] = {{3, 0, -ENETUNREACH}, {3, 5, -EOPNOTSUPP}, {11, 0, -EHOSTUNREACH},
		     {11, 1, -EHOSTUNREACH}, {12, 0, -EPROTO}, {3, 13, -EHOSTUNREACH}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx f;
		int v = 0;
		int s = with_data_in_flight(&f);
		CHECK(s >= 0);
		quote_last(&f, cases[i].type, cases[i].code, 0);
		CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
		synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &v);
		CHECK_EQ(v, cases[i].err);
		fx_free(&f);
	}
}

/* MUST-56 in SYN-SENT: the open goes on retransmitting; when it times out
 * the soft error is what connect reports (SHLD-25; Linux's tcp_write_err). */
TEST(must56_soft_error_in_syn_sent_keeps_trying_then_reports_it)
{
	struct fx f;
	struct synack_config c;
	int v = 0;

	synack_config_default(&c);
	c.syn_retries = 1;
	int s = syn_sent(&f, &c);
	CHECK(s >= 0);
	quote_last(&f, 3, 1, 0);
	CHECK_EQ(fx_state(&f, s), SYNACK_SYN_SENT);
	fx_wait(&f, 1100 * FX_MS);
	struct sn_tcp_seg o;
	CHECK(fx_out(&f, &o)); /* the SYN again */
	CHECK_EQ(o.flags, SN_TCP_SYN);
	fx_wait(&f, 10 * FX_SEC);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_ERR);
	CHECK_EQ(synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &v), 0);
	CHECK_EQ(v, -EHOSTUNREACH);
	fx_free(&f);
}

/* SHLD-26: port unreachable for our SYN is a hard error: the open fails
 * with ECONNREFUSED at once. */
TEST(shld26_port_unreachable_aborts_syn_sent_with_econnrefused)
{
	struct fx f;
	int v = 0;

	int s = syn_sent(&f, NULL);
	CHECK(s >= 0);
	quote_last(&f, 3, 3, 0);
	CHECK(synack_sock_events(f.st, s) & SYNACK_EV_ERR);
	synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &v);
	CHECK_EQ(v, -ECONNREFUSED);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	CHECK_EQ(CTR(&f, icmp_hard_errors), 1);
	CHECK_EQ(fx_pending(&f), 0); /* no RST: the peer never heard of us */
	fx_free(&f);
}

/* SHLD-26: protocol unreachable aborts an established connection. */
TEST(shld26_protocol_unreachable_aborts_established)
{
	struct fx f;
	char b[4];

	int s = with_data_in_flight(&f);
	CHECK(s >= 0);
	quote_last(&f, 3, 2, 0);
	CHECK_EQ(synack_sock_recv(f.st, s, b, sizeof(b)), -ENOPROTOOPT);
	CHECK_EQ(fx_conn_state(&f), SYNACK_CLOSED);
	fx_free(&f);
}

/* RFC 5927 §4.1: an error quoting a sequence number outside
 * SND.UNA..SND.MAX is dropped, hard or soft. */
TEST(rfc5927_4_1_error_quoting_sequence_outside_window_is_dropped)
{
	struct fx f;
	int v = 0;

	int s = with_data_in_flight(&f);
	CHECK(s >= 0);
	uint8_t *th = f.last.buf + SN_IPV4_HDR_LEN;
	th[4] ^= 0x80; /* seq 2^31 away */
	quote_last(&f, 3, 3, 0);
	quote_last(&f, 3, 4, 576);
	quote_last(&f, 3, 1, 0);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_ICMP_SEQ), 3);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	synack_sock_getopt(f.st, s, SYNACK_SO_ERROR, &v);
	CHECK_EQ(v, 0);
	synack_sock_getopt(f.st, s, SYNACK_TCP_MAXSEG, &v);
	CHECK_EQ(v, 1460);
	fx_free(&f);
}

/* MUST-54 demultiplexing: an error quoting a connection we do not have,
 * or too little of the datagram, changes nothing and is counted. */
TEST(must54_error_for_unknown_connection_or_short_quote_is_dropped)
{
	struct fx f;

	int s = with_data_in_flight(&f);
	CHECK(s >= 0);
	uint8_t *th = f.last.buf + SN_IPV4_HDR_LEN;
	uint8_t saved = th[1];
	th[1] ^= 1; /* another source port */
	quote_last(&f, 3, 3, 0);
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_ICMP_NO_CONN), 1);
	th[1] = saved;
	fx_in_icmp(&f, ROUTER, 3, 3, 0, f.last.buf, SN_IPV4_HDR_LEN + 7); /* < 8 octets */
	CHECK_EQ(fx_counter_drop(&f, SYNACK_DROP_ICMP_TRUNCATED), 1);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_free(&f);
}

/* ---------------------------------------------------------------- PMTU */

/* SHLD-6, RFC 1191 §6.3: fragmentation needed with a next-hop MTU of 1000 lowers
 * the send MSS to 960 and resends what is in flight at once, in segments
 * that fit; not a loss for congestion control. */
TEST(shld6_rfc1191_frag_needed_lowers_mss_and_resends_in_flight_data)
{
	struct fx f;
	struct sn_tcp_seg o;
	int v = 0;

	int s = with_data_in_flight(&f);
	CHECK(s >= 0);
	struct synack_tcp_info before;
	synack_sock_info(f.st, s, &before);
	quote_last(&f, 3, 4, 1000);
	synack_sock_getopt(f.st, s, SYNACK_TCP_MAXSEG, &v);
	CHECK_EQ(v, 960);
	CHECK_EQ(CTR(&f, pmtu_updates), 1);
	CHECK(fx_out(&f, &o));
	CHECK_EQ(o.seq, f.our_iss + 1); /* from SND.UNA */
	CHECK_EQ(o.len, 960);
	uint32_t total = o.len;
	while (fx_out(&f, &o)) {
		CHECK(o.len <= 960);
		total += o.len;
	}
	CHECK(total >= 1460);
	struct synack_tcp_info after;
	synack_sock_info(f.st, s, &after);
	CHECK_EQ(after.ssthresh, before.ssthresh);
	CHECK_EQ(fx_state(&f, s), SYNACK_ESTABLISHED);
	fx_free(&f);
}

/* RFC 1191 §5: a router that does not fill in the next-hop MTU: take the
 * plateau below the quoted datagram's length (1500 -> 1492). */
TEST(rfc1191_5_frag_needed_without_mtu_uses_the_plateau_table)
{
	struct fx f;
	int v = 0;

	int s = with_data_in_flight(&f);
	CHECK(s >= 0);
	quote_last(&f, 3, 4, 0);
	synack_sock_getopt(f.st, s, SYNACK_TCP_MAXSEG, &v);
	CHECK_EQ(v, 1492 - 40);
	fx_free(&f);
}

/* The floor (Linux's min_pmtu, 552) against forged tiny MTUs, and no
 * raise on a larger MTU (RFC 1191 §6.3: only lower on this news). */
TEST(rfc1191_frag_needed_is_floored_and_never_raises)
{
	struct fx f;
	int v = 0;

	int s = with_data_in_flight(&f);
	CHECK(s >= 0);
	quote_last(&f, 3, 4, 9000);
	synack_sock_getopt(f.st, s, SYNACK_TCP_MAXSEG, &v);
	CHECK_EQ(v, 1460);
	CHECK_EQ(CTR(&f, pmtu_updates), 0);
	quote_last(&f, 3, 4, 100);
	synack_sock_getopt(f.st, s, SYNACK_TCP_MAXSEG, &v);
	CHECK_EQ(v, 552 - 40);
	fx_free(&f);
}
