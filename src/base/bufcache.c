/*
 * bufcache.c: the bounded cache of freed ring storage (bufcache.h).
 *
 * Invariants: bytes is the sum of n * cap over the classes and never
 * exceeds max_bytes; a class with n > 0 has cap > 0; a held block is at
 * least sizeof(void *) bytes, since its first bytes link it to the next.
 */
#include "base/bufcache.h"

#include <stdlib.h>
#include <string.h>

void sn_bufcache_init(struct sn_bufcache *c, size_t max_bytes)
{
	memset(c, 0, sizeof(*c));
	c->max_bytes = max_bytes;
}

void *sn_bufcache_get(struct sn_bufcache *c, uint32_t cap)
{
	for (int i = 0; i < SN_BUFCACHE_CLASSES; i++) {
		if (c->cls[i].cap != cap || !c->cls[i].n)
			continue;
		void *b = c->cls[i].head;
		memcpy(&c->cls[i].head, b, sizeof(void *));
		c->cls[i].n--;
		c->bytes -= cap;
		return b;
	}
	return NULL;
}

void sn_bufcache_put(struct sn_bufcache *c, void *buf, uint32_t cap)
{
	if (!buf)
		return;
	if (cap >= sizeof(void *) && c->bytes + cap <= c->max_bytes) {
		int free_cls = -1;
		for (int i = 0; i < SN_BUFCACHE_CLASSES; i++) {
			if (c->cls[i].cap == cap) {
				free_cls = i;
				break;
			}
			if (free_cls < 0 && !c->cls[i].n)
				free_cls = i; /* unused, or emptied: may take a new size */
		}
		if (free_cls >= 0) {
			c->cls[free_cls].cap = cap;
			memcpy(buf, &c->cls[free_cls].head, sizeof(void *));
			c->cls[free_cls].head = buf;
			c->cls[free_cls].n++;
			c->bytes += cap;
			return;
		}
	}
	free(buf);
}

void sn_bufcache_drain(struct sn_bufcache *c)
{
	for (int i = 0; i < SN_BUFCACHE_CLASSES; i++) {
		while (c->cls[i].n) {
			void *b = c->cls[i].head;
			memcpy(&c->cls[i].head, b, sizeof(void *));
			c->cls[i].n--;
			free(b);
		}
	}
	c->bytes = 0;
}
