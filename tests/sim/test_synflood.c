/*
 * A SYN flood in the simulator (RFC 4987): spoofed SYNs from random
 * sources keep a listener's SYN queue full. With SYN cookies (the default,
 * tcp_syncookies = 1) legitimate clients still connect within a second;
 * without, they do not.
 */
#include <string.h>

#include "check.h"
#include "synack/sim.h"
#include "wire/ipv4.h"
#include "wire/tcp_wire.h"

#define SEC 1000000ull
#define MS 1000ull
#define CLIENT 0x0a000001u
#define SERVER 0x0a000002u

static void spoofed_syn(synack_stack *victim, uint64_t now, uint64_t *rng)
{
	uint8_t pkt[64];
	*rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
	struct sn_tcp_seg seg = {.sport = (uint16_t)(1024 + (*rng >> 40) % 60000), .dport = 80,
				 .seq = (uint32_t)(*rng >> 7), .flags = SN_TCP_SYN, .wnd = 65535};
	uint32_t src = 0xc6120000u | (uint32_t)((*rng >> 20) & 0xffff); /* 198.18/16, simulated */
	size_t hlen = sn_tcp_build(pkt + SN_IPV4_HDR_LEN, &seg, src, SERVER);
	struct sn_ipv4 ip = {.hdr_len = 20, .total_len = (uint16_t)(20 + hlen), .ttl = 64,
			     .proto = SN_IPPROTO_TCP, .src = src, .dst = SERVER};
	sn_ipv4_build(pkt, &ip);
	synack_stack_input(victim, now, pkt, ip.total_len);
}

/* Returns how many of 50 legitimate connections got ESTABLISHED within
 * 1.5 s while 20,000 spoofed SYNs per second arrive. */
static int legit_under_flood(uint8_t cookies)
{
	synack_sim *sim;
	synack_stack *s, *c;
	struct synack_config cfg;
	struct synack_impair_params link = {.delay_us = 10 * MS, .jitter_us = 2 * MS};
	struct synack_endpoint any = {0, 80}, srv = {SERVER, 80};
	int cs[50], n = 0, ok = 0;
	uint64_t rng = 99, start[50];

	if (synack_sim_create(3, &sim))
		return -1;
	synack_sim_set_default_link(sim, &link);
	synack_config_default(&cfg);
	cfg.addr = SERVER;
	cfg.syncookies = cookies;
	synack_sim_add_host(sim, &cfg, &s);
	cfg.addr = CLIENT;
	synack_sim_add_host(sim, &cfg, &c);
	int l = synack_sock_open(s);
	synack_sock_bind(s, l, &any);
	synack_sock_listen(s, l, 64);
	int est[50] = {0};
	for (uint64_t t = 0; t < 2 * SEC; t += 50) {
		spoofed_syn(s, t, &rng);
		if (t % (20 * MS) == 0 && n < 50 && t < SEC) {
			cs[n] = synack_sock_open(c);
			synack_sock_connect(c, cs[n], &srv);
			start[n++] = t;
		}
		int a;
		while ((a = synack_sock_accept(s, l, NULL)) >= 0)
			synack_sock_close(s, a);
		for (int i = 0; i < n; i++) {
			struct synack_tcp_info ti;
			if (!est[i] && !synack_sock_info(c, cs[i], &ti) &&
			    ti.state == SYNACK_ESTABLISHED && t - start[i] <= 1500 * MS)
				est[i] = 1;
		}
		synack_sim_run_until(sim, t + 50);
	}
	for (int i = 0; i < n; i++)
		ok += est[i];
	struct synack_counters k;
	synack_stack_counters(s, &k);
	printf("tcp_syncookies=%u: %d of %d legitimate connections, %llu cookies sent, "
	       "%llu accepted\n", cookies, ok, n, (unsigned long long)k.syncookies_sent,
	       (unsigned long long)k.syncookies_recv);
	synack_sim_destroy(sim);
	return ok;
}

TEST(rfc4987_syncookies_keep_listener_reachable_under_flood)
{
	CHECK_EQ(legit_under_flood(1), 50);
}

TEST(rfc4987_without_syncookies_flood_denies_service)
{
	CHECK(legit_under_flood(0) < 10);
}
