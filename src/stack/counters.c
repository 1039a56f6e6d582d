/*
 * counters.c: the stack's counters as names and values (what `synack stat`
 * prints, nstat-style). The table below pairs each field of struct
 * synack_counters with the name Linux gives its counterpart in
 * /proc/net/snmp or /proc/net/netstat (as nstat prints them: "Tcp" or
 * "TcpExt" + field), or a "Synack" name where Linux has none. A new counter
 * needs a row here, or it will not show.
 */
#include <stddef.h>
#include <string.h>

#include "synack/synack.h"

struct counter_name {
	const char *name;
	size_t off; /* offsetof(struct synack_counters, field) */
};

#define C(name, field) {name, offsetof(struct synack_counters, field)}

static const struct counter_name scalar[] = {
	C("IpInReceives", ip_in),
	C("IpOutRequests", ip_out),
	C("TcpActiveOpens", active_opens),
	C("TcpPassiveOpens", passive_opens),
	C("TcpAttemptFails", attempt_fails),
	C("TcpEstabResets", estab_resets),
	C("TcpInSegs", segs_in),
	C("TcpOutSegs", segs_out),
	C("TcpRetransSegs", retrans_segs),
	C("TcpOutRsts", rst_out),
	C("TcpExtTCPTimeouts", rto_timeouts),
	C("TcpExtTCPFastRetrans", fast_retrans),
	C("TcpExtDelayedACKs", delayed_acks),
	C("TcpExtTCPOFOQueue", ooo_segs),
	C("SynackOfoPrunedBytes", ooo_pruned),
	C("SynackOfoBytes", ooo_bytes),
	C("TcpExtTCPWinProbe", zero_window_probes),
	C("TcpExtTCPAbortOnTimeout", conn_timeouts),
	C("TcpExtTCPAbortOnMemory", orphans_killed),
	C("TcpExtTW", tw_expired),
	C("TcpExtTWRecycled", tw_recycled),
	C("TcpExtTCPTimeWaitOverflow", tw_killed),
	C("SynackRstIn", rst_in),
	C("SynackTwEntered", tw_entered),
	C("SynackTwFinReacked", tw_fin_reacked),
	C("SynackTwSynAccepted", tw_syn_accepted),
	C("SynackTwRstIgnored", tw_rst_ignored),
	C("SynackTwRstKilled", tw_rst_killed),
	C("SynackPawsRejected", paws_rejected),
	C("SynackKeepaliveProbes", keepalive_probes),
	C("SynackKeepaliveTimeouts", keepalive_timeouts),
	C("SynackUserTimeouts", user_timeouts),
	C("SynackIllegalTransitions", illegal_transitions),
	C("TcpExtTCPChallengeACK", challenge_acks),
	C("SynackChallengeACKLimited", challenge_acks_limited),
	C("TcpExtTCPACKSkippedSeq", oow_acks_skipped_seq),
	C("TcpExtTCPACKSkippedPAWS", oow_acks_skipped_paws),
	C("TcpExtTCPACKSkippedTimeWait", oow_acks_skipped_tw),
	C("TcpExtSyncookiesSent", syncookies_sent),
	C("TcpExtSyncookiesRecv", syncookies_recv),
	C("TcpExtSyncookiesFailed", syncookies_failed),
	C("TcpExtListenOverflows", listen_overflows),
	C("TcpExtTCPHPHits", hp_hits),
	C("TcpExtTCPHPAcks", hp_acks),
	C("TcpExtTCPSackRecovery", sack_recoveries),
	C("TcpExtTCPSACKDiscard", sack_discard),
	C("TcpExtTCPSACKReneging", sack_reneging),
	C("SynackSackNoMem", sack_nomem),
	C("SynackCubicNoMem", cubic_nomem),
	C("SynackDSACKSent", dsack_sent),
	C("TcpExtTCPDSACKRecv", dsack_recv),
	C("IpExtInCEPkts", ecn_ce_rcvd),
	C("SynackEcnReductions", ecn_reductions),
	C("SynackAbcSmallAcks", abc_small_acks),
	C("SynackDupAcksIgnored", dupacks_ignored),
	C("TcpExtTCPLossProbes", loss_probes),
	C("TcpExtTCPLossProbeRecovery", loss_probe_recovery),
	C("TcpExtTCPSACKReorder", sack_reorder),
	C("SynackRackReoTimeouts", rack_reo_timeouts),
	C("TcpExtTCPLostRetransmit", lost_retransmit),
	C("TcpExtTCPDSACKUndo", dsack_undo),
	C("SynackLimitedTransmit", limited_transmit),
	C("TcpExtTCPSackRecoveryFail", sack_recovery_fail),
	C("TcpExtTCPLossFailures", loss_failures),
	C("TcpExtTCPSackFailures", sack_failures),
	C("IcmpInMsgs", icmp_in),
	C("IcmpOutMsgs", icmp_out),
	C("IcmpOutEchoReps", icmp_echo_replies),
	C("SynackIcmpSoftErrors", icmp_soft_errors),
	C("SynackIcmpHardErrors", icmp_hard_errors),
	C("SynackPmtuUpdates", pmtu_updates),
	C("SynackIpNegativeAdvice", ip_negative_advice),
	C("SynackRstWithData", rst_with_data),
};

/* "TIME-WAIT" -> "TIMEWAIT": counter names are letters and digits. */
static void squeeze(char *dst, size_t len, const char *src)
{
	size_t k = 0;
	for (; *src && k + 1 < len; src++)
		if (*src != '-')
			dst[k++] = *src;
	dst[k] = 0;
}

static int gauges(const struct synack_counters *c,
		  int (*fn)(void *ctx, const char *name, uint64_t value), void *ctx)
{
	char name[64], st[32];

	if (fn(ctx, "TcpCurrEstab",
	       c->in_state[SYNACK_ESTABLISHED] + c->in_state[SYNACK_CLOSE_WAIT]))
		return 1;
	for (int s = SYNACK_LISTEN; s < SYNACK_NSTATES; s++) {
		squeeze(st, sizeof(st), synack_state_name((enum synack_state)s));
		strcpy(name, "SynackState");
		strcat(name, st);
		if (fn(ctx, name, c->in_state[s]))
			return 1;
	}
	return 0;
}

static int transitions(const struct synack_counters *c,
		       int (*fn)(void *ctx, const char *name, uint64_t value), void *ctx)
{
	char name[64], a[32], b[32];

	for (int f = 0; f < SYNACK_NSTATES; f++) {
		for (int t = 0; t < SYNACK_NSTATES; t++) {
			if (!c->transitions[f][t])
				continue;
			squeeze(a, sizeof(a), synack_state_name((enum synack_state)f));
			squeeze(b, sizeof(b), synack_state_name((enum synack_state)t));
			strcpy(name, "SynackTrans");
			strcat(name, a);
			strcat(name, "_");
			strcat(name, b);
			if (fn(ctx, name, c->transitions[f][t]))
				return 1;
		}
	}
	return 0;
}

void synack_counters_foreach(const struct synack_counters *c,
			     int (*fn)(void *ctx, const char *name, uint64_t value), void *ctx)
{
	char name[64];

	for (size_t i = 0; i < sizeof(scalar) / sizeof(scalar[0]); i++) {
		uint64_t v;
		memcpy(&v, (const char *)c + scalar[i].off, sizeof(v));
		if (fn(ctx, scalar[i].name, v))
			return;
	}
	if (gauges(c, fn, ctx) || transitions(c, fn, ctx))
		return;
	for (int d = 1; d < SYNACK_DROP_MAX; d++) {
		strcpy(name, "SynackDrop_");
		strcat(name, synack_drop_name((enum synack_drop)d));
		if (fn(ctx, name, c->drops[d]))
			return;
	}
}
