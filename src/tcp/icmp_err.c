/*
 * icmp_err.c: ICMP errors delivered to the connection they concern
 * (RFC 9293 §3.9.2.2, MUST-54).
 *
 *   - Soft errors (Destination Unreachable codes 0, 1, 5 and the other codes
 *     RFC 1122 does not call hard, Time Exceeded, Parameter Problem): the
 *     connection is never aborted (MUST-56); the error is kept in
 *     tcb->soft_err, where SO_ERROR reads it and where a later timeout
 *     reports it in place of -ETIMEDOUT (SHLD-25; Linux's sk_err_soft).
 *   - Hard errors (protocol and port unreachable, codes 2 and 3): the
 *     connection is aborted with -ENOPROTOOPT / -ECONNREFUSED (SHLD-26).
 *   - Fragmentation needed (code 4) is Path MTU Discovery (RFC 1191 §6.3),
 *     not an error: the send MSS comes down to the new path MTU less 40 and
 *     what is in flight goes again at the new size, without counting it as
 *     a loss (Linux's tcp_simple_retransmit).
 *
 * Every error must quote a sequence number in SND.UNA..SND.MAX, or it is
 * dropped (RFC 5927 §4.1): an attacker blind to the connection cannot
 * abort it or shrink its segments. Errors for TIME-WAIT entries and
 * listeners are dropped (there is nothing to tell).
 */
#include <errno.h>

#include "stack/stack.h"
#include "tcp/icmp_err.h"
#include "tcp/tcb.h"

/* Linux's icmp_err_convert[] for Destination Unreachable. */
static int unreach_errno(uint8_t code)
{
	static const int map[16] = {ENETUNREACH, EHOSTUNREACH, ENOPROTOOPT, ECONNREFUSED,
				    EMSGSIZE,    EOPNOTSUPP,   ENETUNREACH, EHOSTDOWN,
				    ENONET,      ENETUNREACH,  EHOSTUNREACH, ENETUNREACH,
				    EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH};
	return code < 16 ? map[code] : EHOSTUNREACH;
}

/* RFC 1191 §5: without a next-hop MTU, the plateau below the datagram's size. */
static uint32_t plateau_below(uint32_t len)
{
	static const uint16_t plateaus[] = {32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};

	for (unsigned i = 0; i < sizeof(plateaus) / sizeof(plateaus[0]); i++)
		if (plateaus[i] < len)
			return plateaus[i];
	return 68;
}

static void pmtu_lower(struct synack_stack *st, struct sn_tcb *tcb, uint16_t next_mtu,
		       uint16_t quoted_len)
{
	uint32_t pmtu = next_mtu ? next_mtu : plateau_below(quoted_len);

	if (pmtu < SN_PMTU_MIN)
		pmtu = SN_PMTU_MIN;
	pmtu -= tcp_route_optlen(tcb->route); /* a source route's IP options */
	pmtu -= tcp_fixed_optlen(tcb);          /* and the timestamps every segment carries */
	if (pmtu - 40 >= tcb->snd_mss)
		return; /* RFC 1191 §6.3: only ever lower it on this news */
	tcb->snd_mss = (uint16_t)(pmtu - 40);
	st->ctr.pmtu_updates++;
	if (tcb->snd_nxt == tcb->snd_una || !tcb->syn_acked)
		return; /* nothing in flight, or the SYN (its retransmission carries no data) */
	tcb->timing = 0;            /* Karn: the resent bytes give no sample */
	tcb->snd_nxt = tcb->snd_una; /* resend at the new size now */
	tcp_output(st, tcb);
}

int tcp_icmp_error(struct synack_stack *st, const struct synack_endpoint *local,
		   const struct synack_endpoint *remote, uint32_t seq, uint8_t type, uint8_t code,
		   uint16_t next_mtu, uint16_t quoted_len)
{
	struct sn_tcb *tcb = sn_conn_lookup(st, local, remote);

	if (!tcb || tcb->listener)
		return SYNACK_DROP_ICMP_NO_CONN;
	if (seq_lt(seq, tcb->snd_una) || seq_gt(seq, tcb->snd_max))
		return SYNACK_DROP_ICMP_SEQ; /* RFC 5927 §4.1 */
	if (type == SN_ICMP_UNREACH && code == SN_ICMP_UNREACH_NEEDFRAG) {
		pmtu_lower(st, tcb, next_mtu, quoted_len);
		return 0;
	}
	if (type == SN_ICMP_UNREACH &&
	    (code == SN_ICMP_UNREACH_PROTO || code == SN_ICMP_UNREACH_PORT)) {
		st->ctr.icmp_hard_errors++;
		tcp_close_tcb(st, tcb, -unreach_errno(code), "ICMP unreachable"); /* SHLD-26 */
		return 0;
	}
	st->ctr.icmp_soft_errors++; /* MUST-56: never abort on these */
	tcb->soft_err = type == SN_ICMP_UNREACH         ? -unreach_errno(code)
			: type == SN_ICMP_PARAM_PROBLEM ? -EPROTO
							: -EHOSTUNREACH;
	return 0;
}
