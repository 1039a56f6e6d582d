/*
 * link.c: the generic half of a link (include/synack/link.h): calls through
 * the ops table, with the defaults a link may leave out (no fd, no
 * deadline, nothing to poll). Implementations keep their own counters in
 * the embedded struct synack_link_stats.
 */
#include <errno.h>

#include "synack/link.h"

ssize_t synack_link_recv(struct synack_link *l, uint64_t now, uint8_t *buf, size_t cap)
{
	return l->ops->recv ? l->ops->recv(l, now, buf, cap) : 0;
}

int synack_link_send(struct synack_link *l, uint64_t now, const uint8_t *pkt, size_t len)
{
	if (!l->ops->send)
		return -EOPNOTSUPP;
	return l->ops->send(l, now, pkt, len);
}

int synack_link_fd(const struct synack_link *l)
{
	return l->ops->fd ? l->ops->fd(l) : -1;
}

uint64_t synack_link_next_deadline(const struct synack_link *l)
{
	return l->ops->next_deadline ? l->ops->next_deadline(l) : UINT64_MAX;
}

void synack_link_poll(struct synack_link *l, uint64_t now)
{
	if (l->ops->poll)
		l->ops->poll(l, now);
}

void synack_link_destroy(struct synack_link *l)
{
	if (l && l->ops->destroy)
		l->ops->destroy(l);
}

void synack_link_stats(const struct synack_link *l, struct synack_link_stats *out)
{
	*out = l->stats;
}
