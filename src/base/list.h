/*
 * list.h: intrusive doubly linked lists (circular, with a head sentinel).
 * Nodes live inside the objects they link; no allocation.
 */
#ifndef SYNACK_BASE_LIST_H
#define SYNACK_BASE_LIST_H

#include <stddef.h>

struct sn_list {
	struct sn_list *next, *prev;
};

#define sn_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline void sn_list_init(struct sn_list *head)
{
	head->next = head->prev = head;
}
static inline int sn_list_empty(const struct sn_list *head)
{
	return head->next == head;
}
static inline void sn_list_insert_tail(struct sn_list *head, struct sn_list *node)
{
	node->prev = head->prev;
	node->next = head;
	head->prev->next = node;
	head->prev = node;
}
static inline void sn_list_remove(struct sn_list *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	node->next = node->prev = node;
}
/* A node that was sn_list_init'ed or removed points at itself. */
static inline int sn_list_linked(const struct sn_list *node)
{
	return node->next != node;
}

#define sn_list_for_each_safe(pos, tmp, head)                                   \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);       \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif
