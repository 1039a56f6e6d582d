/*
 * names.c: how states, drop reasons and timers print. States are spelled as
 * RFC 9293 spells them; drop reasons are stable identifiers for counters.
 */
#include <stdio.h>

#include "synack/synack.h"

const char *synack_state_name(enum synack_state s)
{
	static const char *const names[SYNACK_NSTATES] = {
		[SYNACK_CLOSED] = "CLOSED",
		[SYNACK_LISTEN] = "LISTEN",
		[SYNACK_SYN_SENT] = "SYN-SENT",
		[SYNACK_SYN_RECEIVED] = "SYN-RECEIVED",
		[SYNACK_ESTABLISHED] = "ESTABLISHED",
		[SYNACK_FIN_WAIT_1] = "FIN-WAIT-1",
		[SYNACK_FIN_WAIT_2] = "FIN-WAIT-2",
		[SYNACK_CLOSE_WAIT] = "CLOSE-WAIT",
		[SYNACK_CLOSING] = "CLOSING",
		[SYNACK_LAST_ACK] = "LAST-ACK",
		[SYNACK_TIME_WAIT] = "TIME-WAIT",
	};
	return (unsigned)s < SYNACK_NSTATES ? names[s] : "?";
}

const char *synack_drop_name(enum synack_drop d)
{
	static const char *const names[SYNACK_DROP_MAX] = {
		[SYNACK_DROP_NONE] = "none",
		[SYNACK_DROP_IP_TRUNCATED] = "ip_truncated",
		[SYNACK_DROP_IP_SRCROUTE] = "ip_source_route",
		[SYNACK_DROP_IP_VERSION] = "ip_version",
		[SYNACK_DROP_IP_HDR_LEN] = "ip_hdr_len",
		[SYNACK_DROP_IP_CHECKSUM] = "ip_checksum",
		[SYNACK_DROP_IP_FRAGMENT] = "ip_fragment",
		[SYNACK_DROP_IP_PROTO] = "ip_proto",
		[SYNACK_DROP_IP_NOT_OURS] = "ip_not_ours",
		[SYNACK_DROP_IP_BAD_SRC] = "ip_bad_src",
		[SYNACK_DROP_TCP_TRUNCATED] = "tcp_truncated",
		[SYNACK_DROP_TCP_HDR_LEN] = "tcp_hdr_len",
		[SYNACK_DROP_TCP_CHECKSUM] = "tcp_checksum",
		[SYNACK_DROP_TCP_OPTION] = "tcp_option",
		[SYNACK_DROP_TCP_BAD_PORT] = "tcp_bad_port",
		[SYNACK_DROP_NO_SOCKET] = "no_socket",
		[SYNACK_DROP_RST_NO_SOCKET] = "rst_no_socket",
		[SYNACK_DROP_SEQ] = "seq_unacceptable",
		[SYNACK_DROP_RST_SEQ] = "rst_seq",
		[SYNACK_DROP_ACK_UNSENT] = "ack_unsent",
		[SYNACK_DROP_ACK_OLD] = "ack_unacceptable",
		[SYNACK_DROP_NO_ACK] = "no_ack",
		[SYNACK_DROP_LISTEN_ACK] = "listen_ack",
		[SYNACK_DROP_LISTEN_OTHER] = "listen_other",
		[SYNACK_DROP_BACKLOG] = "backlog",
		[SYNACK_DROP_NO_MEMORY] = "no_memory",
		[SYNACK_DROP_OOO_FULL] = "ooo_full",
		[SYNACK_DROP_OOO_MEM] = "ooo_mem",
		[SYNACK_DROP_RCV_WINDOW] = "rcv_window",
		[SYNACK_DROP_TIMEWAIT] = "timewait",
		[SYNACK_DROP_RST_CHALLENGE] = "rst_challenge",
		[SYNACK_DROP_SYN_CHALLENGE] = "syn_challenge",
		[SYNACK_DROP_ACK_TOO_OLD] = "ack_too_old",
		[SYNACK_DROP_SYN_QUEUE] = "syn_queue_full",
		[SYNACK_DROP_BAD_COOKIE] = "bad_syncookie",
		[SYNACK_DROP_ACCEPT_QUEUE] = "accept_queue_full",
		[SYNACK_DROP_ICMP_TRUNCATED] = "icmp_truncated",
		[SYNACK_DROP_ICMP_CHECKSUM] = "icmp_checksum",
		[SYNACK_DROP_ICMP_IGNORED] = "icmp_ignored",
		[SYNACK_DROP_ICMP_NO_CONN] = "icmp_no_conn",
		[SYNACK_DROP_ICMP_SEQ] = "icmp_seq",
		[SYNACK_DROP_PAWS] = "paws",
	};
	return (unsigned)d < SYNACK_DROP_MAX && names[d] ? names[d] : "?";
}

const char *synack_timer_name(enum synack_timer_kind k)
{
	switch (k) {
	case SYNACK_TIMER_ON:
		return "on";
	case SYNACK_TIMER_KEEPALIVE:
		return "keepalive";
	case SYNACK_TIMER_TIMEWAIT:
		return "timewait";
	case SYNACK_TIMER_PERSIST:
		return "persist";
	case SYNACK_TIMER_DELACK:
		return "delack";
	case SYNACK_TIMER_FINWAIT2:
		return "finwait2";
	default:
		return "off";
	}
}

const char *synack_endpoint_str(const struct synack_endpoint *ep, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u:%u", ep->addr >> 24, (ep->addr >> 16) & 0xff,
		 (ep->addr >> 8) & 0xff, ep->addr & 0xff, ep->port);
	return buf;
}
