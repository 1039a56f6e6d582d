/*
 * script_sysctl.c: the sysctls a script may set, and what each changes in
 * struct synack_config (docs/configuration.md).
 *
 * packetdrill scripts set kernel knobs with `sysctl -q name=value` in
 * backticks. synack accepts:
 *   - the Linux names of the knobs it has (net.ipv4.tcp_fin_timeout in
 *     seconds -> fin_timeout_us, ...), in Linux's units;
 *   - net.synack.<field> for every field of struct synack_config, in the
 *     field's own unit;
 *   - net.ipv4.tcp_congestion_control by name ("reno", "cubic"), as Linux;
 *   - Linux knobs for features synack does not have, only at the value that
 *     describes what synack does (K_FIXED: =1 would be an error saying why;
 *     none at present: ECN and D-SACK were the last), so a script written
 *     for Linux either runs with its intended meaning or stops with a clear
 *     message, never tests something else quietly.
 * Knobs fixed at stack creation (table bounds, MTU, seed) must come before
 * the first socket call: the runner creates the stack then.
 */
#include <stddef.h>
#include <string.h>

#include "script.h"

enum { K_FIELD, K_PORTS, K_FIXED, K_CC };

struct sc_knob {
	const char *name;
	int kind;
	size_t off, size;   /* K_FIELD: the config field */
	uint64_t scale;     /* script value * scale = field value */
	uint64_t min, max;  /* script value range */
	int creation_only;
	const char *why;    /* K_FIXED: what synack does instead */
};

#define F(field) offsetof(struct synack_config, field), sizeof(((struct synack_config *)0)->field)
#define SEC 1000000u
static const struct sc_knob knobs[] = {
	/* Linux names */
	{"net.ipv4.tcp_fin_timeout", K_FIELD, F(fin_timeout_us), SEC, 1, 4294, 0, NULL},
	{"net.ipv4.tcp_max_tw_buckets", K_FIELD, F(max_timewait), 1, 0, 1u << 24, 0, NULL},
	{"net.ipv4.tcp_max_orphans", K_FIELD, F(max_orphans), 1, 0, 1u << 24, 0, NULL},
	{"net.ipv4.tcp_keepalive_time", K_FIELD, F(keepalive_time_us), SEC, 1, 32767, 0, NULL},
	{"net.ipv4.tcp_keepalive_intvl", K_FIELD, F(keepalive_intvl_us), SEC, 1, 32767, 0, NULL},
	{"net.ipv4.tcp_keepalive_probes", K_FIELD, F(keepalive_probes), 1, 1, 127, 0, NULL},
	{"net.ipv4.tcp_rfc1337", K_FIELD, F(tcp_rfc1337), 1, 0, 1, 0, NULL},
	{"net.ipv4.tcp_challenge_ack_limit", K_FIELD, F(challenge_ack_limit), 1, 0, UINT32_MAX, 0, NULL},
	{"net.ipv4.tcp_invalid_ratelimit", K_FIELD, F(invalid_ratelimit_us), 1000, 0, 4294967, 0, NULL},
	{"net.ipv4.tcp_syn_retries", K_FIELD, F(syn_retries), 1, 1, 127, 0, NULL},
	{"net.ipv4.tcp_retries1", K_FIELD, F(retries1), 1, 0, 255, 0, NULL},
	{"net.ipv4.tcp_retries2", K_FIELD, F(retries2), 1, 0, 255, 0, NULL},
	{"net.ipv4.ip_local_port_range", K_PORTS, 0, 0, 1, 1, 65535, 0, NULL},
	{"net.ipv4.tcp_timestamps", K_FIELD, F(tcp_timestamps), 1, 0, 1, 0, NULL},
	{"net.ipv4.tcp_window_scaling", K_FIELD, F(tcp_window_scaling), 1, 0, 1, 0, NULL},
	{"net.ipv4.tcp_sack", K_FIELD, F(tcp_sack), 1, 0, 1, 0, NULL},
	{"net.ipv4.tcp_tw_reuse", K_FIELD, F(tcp_tw_reuse), 1, 0, 2, 0, NULL},
	{"net.ipv4.tcp_tw_reuse_delay", K_FIELD, F(tw_reuse_delay_us), 1000, 1, 4294967, 0, NULL},
	{"net.ipv4.tcp_congestion_control", K_CC, F(tcp_congestion_control), 1, 0, 255, 0, NULL},
	{"net.ipv4.tcp_dsack", K_FIELD, F(tcp_dsack), 1, 0, 1, 0, NULL},
	{"net.ipv4.tcp_ecn", K_FIELD, F(tcp_ecn), 1, 0, 2, 0, NULL},
	{"net.ipv4.tcp_abc", K_FIELD, F(tcp_abc), 1, 0, 2, 0, NULL},
	{"net.ipv4.tcp_recovery", K_FIELD, F(tcp_recovery), 1, 0, 7, 0, NULL},
	{"net.ipv4.tcp_early_retrans", K_FIELD, F(tcp_early_retrans), 1, 0, 4, 0, NULL},
	{"net.ipv4.tcp_syncookies", K_FIELD, F(syncookies), 1, 0, 2, 0, NULL},
	{"net.ipv4.tcp_max_syn_backlog", K_FIELD, F(max_syn_backlog), 1, 1, 1u << 24, 0, NULL},
	{"net.ipv4.tcp_synack_retries", K_FIELD, F(synack_retries), 1, 0, 255, 0, NULL},
	{"net.ipv4.tcp_abort_on_overflow", K_FIELD, F(abort_on_overflow), 1, 0, 1, 0, NULL},
	{"net.ipv4.conf.all.accept_source_route", K_FIELD, F(accept_source_route), 1, 0, 1, 0, NULL},
	/* synack's own names: struct synack_config fields */
	{"net.synack.seed", K_FIELD, F(seed), 1, 0, UINT64_MAX, 1, NULL},
	{"net.synack.mtu", K_FIELD, F(mtu), 1, 68, 65535, 1, NULL},
	{"net.synack.port_lo", K_FIELD, F(port_lo), 1, 1, 65535, 0, NULL},
	{"net.synack.port_hi", K_FIELD, F(port_hi), 1, 1, 65535, 0, NULL},
	{"net.synack.max_sockets", K_FIELD, F(max_sockets), 1, 1, 1u << 24, 1, NULL},
	{"net.synack.max_conns", K_FIELD, F(max_conns), 1, 1, 1u << 24, 1, NULL},
	{"net.synack.max_timewait", K_FIELD, F(max_timewait), 1, 0, 1u << 24, 0, NULL},
	{"net.synack.max_orphans", K_FIELD, F(max_orphans), 1, 0, 1u << 24, 0, NULL},
	{"net.synack.keepalive_time_us", K_FIELD, F(keepalive_time_us), 1, 1, UINT64_MAX, 0, NULL},
	{"net.synack.keepalive_intvl_us", K_FIELD, F(keepalive_intvl_us), 1, 1, UINT32_MAX, 0, NULL},
	{"net.synack.keepalive_probes", K_FIELD, F(keepalive_probes), 1, 1, 255, 0, NULL},
	{"net.synack.tcp_rfc1337", K_FIELD, F(tcp_rfc1337), 1, 0, 1, 0, NULL},
	{"net.synack.rfc5961", K_FIELD, F(rfc5961), 1, 0, 1, 0, NULL},
	{"net.synack.challenge_ack_limit", K_FIELD, F(challenge_ack_limit), 1, 0, UINT32_MAX, 0, NULL},
	{"net.synack.invalid_ratelimit_us", K_FIELD, F(invalid_ratelimit_us), 1, 0, UINT32_MAX, 0, NULL},
	{"net.synack.sndbuf", K_FIELD, F(sndbuf), 1, 1, 1u << 30, 0, NULL},
	{"net.synack.rcvbuf", K_FIELD, F(rcvbuf), 1, 1, 1u << 30, 0, NULL},
	{"net.synack.msl_us", K_FIELD, F(msl_us), 1, 0, UINT32_MAX, 0, NULL},
	{"net.synack.fin_timeout_us", K_FIELD, F(fin_timeout_us), 1, 0, UINT32_MAX, 0, NULL},
	{"net.synack.rto_initial_us", K_FIELD, F(rto_initial_us), 1, 1, UINT32_MAX, 0, NULL},
	{"net.synack.rto_min_us", K_FIELD, F(rto_min_us), 1, 1, UINT32_MAX, 0, NULL},
	{"net.synack.rto_max_us", K_FIELD, F(rto_max_us), 1, 1, UINT32_MAX, 0, NULL},
	{"net.synack.delack_us", K_FIELD, F(delack_us), 1, 1, UINT32_MAX, 0, NULL},
	{"net.synack.syn_retries", K_FIELD, F(syn_retries), 1, 0, 255, 0, NULL},
	{"net.synack.retries1", K_FIELD, F(retries1), 1, 0, 255, 0, NULL},
	{"net.synack.retries2", K_FIELD, F(retries2), 1, 0, 255, 0, NULL},
	{"net.synack.user_timeout_us", K_FIELD, F(user_timeout_us), 1, 0, UINT32_MAX, 0, NULL},
	{"net.synack.isn_tick_us", K_FIELD, F(isn_tick_us), 1, 1, UINT32_MAX, 0, NULL},
	{"net.synack.tcp_window_scaling", K_FIELD, F(tcp_window_scaling), 1, 0, 1, 0, NULL},
	{"net.synack.tcp_timestamps", K_FIELD, F(tcp_timestamps), 1, 0, 1, 0, NULL},
	{"net.synack.tcp_sack", K_FIELD, F(tcp_sack), 1, 0, 1, 0, NULL},
	{"net.synack.tcp_dsack", K_FIELD, F(tcp_dsack), 1, 0, 1, 0, NULL},
	{"net.synack.tcp_tw_reuse", K_FIELD, F(tcp_tw_reuse), 1, 0, 2, 0, NULL},
	{"net.synack.tw_reuse_delay_us", K_FIELD, F(tw_reuse_delay_us), 1, 0, UINT32_MAX, 0, NULL},
	{"net.synack.ooo_mem_max", K_FIELD, F(ooo_mem_max), 1, 0, UINT32_MAX, 0, NULL},
	{"net.synack.accept_source_route", K_FIELD, F(accept_source_route), 1, 0, 1, 0, NULL},
	{"net.synack.tcp_ecn", K_FIELD, F(tcp_ecn), 1, 0, 2, 0, NULL},
	{"net.synack.tcp_abc", K_FIELD, F(tcp_abc), 1, 0, 2, 0, NULL},
	{"net.synack.tcp_dupack_bound", K_FIELD, F(tcp_dupack_bound), 1, 0, 1, 0, NULL},
	{"net.synack.tcp_recovery", K_FIELD, F(tcp_recovery), 1, 0, 7, 0, NULL},
	{"net.synack.tcp_early_retrans", K_FIELD, F(tcp_early_retrans), 1, 0, 4, 0, NULL},
	{"net.synack.tcp_prr", K_FIELD, F(tcp_prr), 1, 0, 2, 0, NULL},
	{"net.synack.tcp_congestion_control", K_CC, F(tcp_congestion_control), 1, 0, 255, 0, NULL},
};
#undef F
#define NKNOBS ((int)(sizeof(knobs) / sizeof(knobs[0])))

int sc_knob_find(const char *name, size_t len)
{
	/* sysctl accepts '/' for '.' (net/ipv4/tcp_fin_timeout) */
	for (int k = 0; k < NKNOBS; k++) {
		if (strlen(knobs[k].name) != len)
			continue;
		size_t i = 0;
		while (i < len && (name[i] == knobs[k].name[i] || (name[i] == '/' && knobs[k].name[i] == '.')))
			i++;
		if (i == len)
			return k;
	}
	return -1;
}

int sc_knob_check(int k, uint64_t value, uint64_t value2, char *err, size_t errlen)
{
	const struct sc_knob *kn = &knobs[k];
	if (kn->kind == K_FIXED) {
		if (value != kn->min) {
			snprintf(err, errlen, "%s; only %llu is accepted", kn->why, (unsigned long long)kn->min);
			return -1;
		}
		return 0;
	}
	if (kn->kind == K_CC && !synack_cc_name((int)value)) {
		snprintf(err, errlen, "no congestion control algorithm %llu (reno, cubic)",
			 (unsigned long long)value);
		return -1;
	}
	if (value < kn->min || value > kn->max || (kn->kind == K_PORTS && (value2 < value || value2 > kn->max))) {
		snprintf(err, errlen, "value out of range (%llu..%llu%s)", (unsigned long long)kn->min,
			 (unsigned long long)kn->max, kn->kind == K_PORTS ? ", lo <= hi" : "");
		return -1;
	}
	return 0;
}

/* A knob whose value is a name (tcp_congestion_control): 0 and the number
 * it stands for; -1 for a knob that takes numbers; -2 for an unknown name. */
int sc_knob_name_value(int k, const char *v, uint64_t *value)
{
	if (knobs[k].kind != K_CC)
		return -1;
	for (int a = 0; synack_cc_name(a); a++)
		if (!strcmp(synack_cc_name(a), v)) {
			*value = (uint64_t)a;
			return 0;
		}
	return -2;
}

int sc_knob_creation_only(int k)
{
	return knobs[k].creation_only;
}

int sc_knob_pair(int k)
{
	return knobs[k].kind == K_PORTS;
}

void sc_knob_apply(int k, struct synack_config *cfg, uint64_t value, uint64_t value2)
{
	const struct sc_knob *kn = &knobs[k];
	if (kn->kind == K_PORTS) {
		cfg->port_lo = (uint16_t)value;
		cfg->port_hi = (uint16_t)value2;
		return;
	}
	if (kn->kind != K_FIELD && kn->kind != K_CC)
		return; /* a fixed knob at its only value changes nothing */
	uint64_t v = value * kn->scale;
	char *field = (char *)cfg + kn->off;
	switch (kn->size) {
	case 1: *(uint8_t *)field = (uint8_t)v; break;
	case 2: *(uint16_t *)field = (uint16_t)v; break;
	case 4: *(uint32_t *)field = (uint32_t)v; break;
	default: *(uint64_t *)field = v; break;
	}
}

void sc_knob_list(FILE *out)
{
	for (int k = 0; k < NKNOBS; k++) {
		const struct sc_knob *kn = &knobs[k];
		if (kn->kind == K_FIXED)
			fprintf(out, "  %-32s only %llu: %s\n", kn->name, (unsigned long long)kn->min, kn->why);
		else if (kn->kind == K_CC)
			fprintf(out, "  %-32s reno | cubic\n", kn->name);
		else
			fprintf(out, "  %-32s %llu..%llu%s%s\n", kn->name, (unsigned long long)kn->min,
				(unsigned long long)kn->max, kn->kind == K_PORTS ? " (two numbers, \"lo hi\")" : "",
				kn->creation_only ? " (before the first socket call)" : "");
	}
}
