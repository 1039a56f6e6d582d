/*
 * pd_core.c: libsynack-packetdrill.so's entry point and the driver around the
 * stack: --so_flags, the clocks, the lock and waits, the descriptor table,
 * the output queue and the netdev, usleep, gettimeofday and free members.
 *
 * Time: the stack runs on CLOCK_MONOTONIC in µs. packetdrill's clock is the
 * adapter's gettimeofday, CLOCK_REALTIME at init plus the monotonic time
 * since, so both advance together and the send time netdev_receive reports
 * is in packetdrill's timebase. Every datagram the stack sends is copied into
 * a bounded FIFO with the stack time of sending; netdev_receive pops it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "pd.h"

#define PD_LOCAL_DEFAULT 0xc0a80001u  /* 192.168.0.1: packetdrill's --local_ip */
#define PD_REMOTE_DEFAULT 0xc0000201u /* 192.0.2.1: packetdrill's --remote_ip */
#define PD_BLOCK_TIMEOUT_S 300

static uint64_t clock_us(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t pd_now(const struct pd_adapter *ad)
{
	(void)ad;
	return clock_us(CLOCK_MONOTONIC);
}

int64_t pd_wall(const struct pd_adapter *ad, uint64_t now)
{
	return ad->wall0_us + (int64_t)(now - ad->mono0_us);
}

uint64_t pd_block_deadline(const struct pd_adapter *ad)
{
	return ad->block_timeout_us ? pd_now(ad) + ad->block_timeout_us : UINT64_MAX;
}

long pd_ret(long rc)
{
	if (rc >= 0)
		return rc;
	errno = (int)-rc;
	return -1;
}

void pd_enter(struct pd_adapter *ad)
{
	pthread_mutex_lock(&ad->lock);
	synack_stack_poll(ad->st, pd_now(ad));
}

void pd_leave(struct pd_adapter *ad)
{
	pthread_cond_broadcast(&ad->changed);
	pthread_mutex_unlock(&ad->lock);
}

int pd_wait(struct pd_adapter *ad, uint64_t until_us)
{
	uint64_t now = pd_now(ad);
	if (ad->closing)
		return -EINTR;
	if (now >= until_us)
		return -EAGAIN;
	uint64_t wake = synack_stack_next_deadline(ad->st);
	if (wake > until_us)
		wake = until_us;
	if (wake > now + 1000000u) /* re-check closing at least once a second */
		wake = now + 1000000u;
	/* CLOCK_MONOTONIC µs to the condition variable's clock (also monotonic) */
	struct timespec ts = {.tv_sec = (time_t)(wake / 1000000u),
			      .tv_nsec = (long)(wake % 1000000u) * 1000};
	ad->blocked++;
	pthread_cond_timedwait(&ad->changed, &ad->lock, &ts);
	ad->blocked--;
	if (ad->closing) {
		pthread_cond_broadcast(&ad->changed); /* free() waits for blocked == 0 */
		return -EINTR;
	}
	synack_stack_poll(ad->st, pd_now(ad));
	return 0;
}

long pd_block(struct pd_adapter *ad, int fd, int dontwait, pd_try_fn fn, void *arg)
{
	uint64_t deadline = pd_block_deadline(ad);
	for (;;) {
		/* looked up on every try: another thread may close fd meanwhile */
		struct pd_fd *f = pd_fd_get(ad, fd, PD_SOCK);
		if (!f)
			return -EBADF;
		long rc = fn(ad, f, arg);
		if (rc != -EAGAIN || f->nonblock || dontwait)
			return rc;
		rc = pd_wait(ad, deadline);
		if (rc < 0)
			return rc;
	}
}

/* ---------------------------------------------------------------- descriptors */

struct pd_fd *pd_fd_get(struct pd_adapter *ad, int fd, enum pd_kind kind)
{
	if (fd < 0)
		return NULL;
	for (int i = 0; i < PD_MAX_FDS; i++)
		if (ad->fds[i].kind == kind && ad->fds[i].fd == fd)
			return &ad->fds[i];
	return NULL;
}

/* packetdrill closes the descriptors a script leaves open with the host's
 * close(), behind the adapter's back; when the number comes back from open(),
 * the stale entry is dropped (its socket aborted) so the number maps to one
 * entry only. */
static void pd_fd_forget(struct pd_adapter *ad, int fd)
{
	for (int i = 0; i < PD_MAX_FDS; i++) {
		struct pd_fd *f = &ad->fds[i];
		if (f->kind == PD_FREE || f->fd != fd)
			continue;
		if (f->kind == PD_SOCK)
			synack_sock_abort(ad->st, f->sock);
		memset(f, 0, sizeof(*f));
	}
}

/* A table slot with a fresh real descriptor, or NULL and errno. */
struct pd_fd *pd_fd_new(struct pd_adapter *ad, enum pd_kind kind)
{
	for (int i = 0; i < PD_MAX_FDS; i++) {
		struct pd_fd *f = &ad->fds[i];
		if (f->kind != PD_FREE)
			continue;
		int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return NULL;
		pd_fd_forget(ad, fd);
		memset(f, 0, sizeof(*f));
		f->kind = kind;
		f->fd = fd;
		f->sock = -1;
		return f;
	}
	errno = EMFILE;
	return NULL;
}

void pd_fd_release(struct pd_fd *f)
{
	close(f->fd);
	memset(f, 0, sizeof(*f));
	f->kind = PD_FREE;
}

/* ---------------------------------------------------------------- netdev */

/* The stack's output callback (lock held: output happens inside stack calls). */
static void pd_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct pd_adapter *ad = ctx;
	if (len < 20 || ((uint32_t)pkt[16] << 24 | (uint32_t)pkt[17] << 16 | (uint32_t)pkt[18] << 8 |
			 pkt[19]) != ad->remote) {
		ad->out_filtered++;
		return;
	}
	uint8_t *copy = malloc(len);
	if (ad->out_len == PD_OUTQ_MAX || !copy) {
		free(copy);
		ad->out_dropped++;
		return;
	}
	memcpy(copy, pkt, len);
	ad->outq[(ad->out_head + ad->out_len++) % PD_OUTQ_MAX] =
		(struct pd_pkt){.t_us = synack_stack_now(ad->st), .len = len, .data = copy};
}

static int pd_netdev_send(void *ud, const void *buf, size_t count)
{
	struct pd_adapter *ad = ud;
	if (count > 65535)
		return (int)pd_ret(-EMSGSIZE);
	pd_enter(ad);
	synack_stack_input(ad->st, pd_now(ad), buf, count);
	pd_leave(ad);
	return 0;
}

static int pd_netdev_receive(void *ud, void *buf, size_t *count, long long *time_usecs)
{
	struct pd_adapter *ad = ud;
	pd_enter(ad);
	uint64_t until = pd_now(ad) + PD_RECV_WAIT_US;
	while (ad->out_len == 0 && pd_wait(ad, until) == 0)
		;
	if (ad->out_len == 0) {
		pd_leave(ad);
		*count = 0;
		return (int)pd_ret(-EAGAIN);
	}
	struct pd_pkt *p = &ad->outq[ad->out_head];
	if (p->len > *count) {
		pd_leave(ad);
		return (int)pd_ret(-EMSGSIZE);
	}
	memcpy(buf, p->data, p->len);
	*count = p->len;
	*time_usecs = pd_wall(ad, p->t_us);
	free(p->data);
	ad->out_head = (ad->out_head + 1) % PD_OUTQ_MAX;
	ad->out_len--;
	pd_leave(ad);
	return 0;
}

/* packetdrill sleeps through here between events: the stack's timers run. */
static int pd_usleep(void *ud, useconds_t usec)
{
	struct pd_adapter *ad = ud;
	pd_enter(ad);
	uint64_t until = pd_now(ad) + usec;
	int rc;
	while ((rc = pd_wait(ad, until)) == 0)
		;
	pd_leave(ad);
	return rc == -EINTR ? (int)pd_ret(rc) : 0;
}

static int pd_gettimeofday(void *ud, struct timeval *tv, struct timezone *tz)
{
	struct pd_adapter *ad = ud;
	pd_enter(ad);
	int64_t w = pd_wall(ad, pd_now(ad));
	pd_leave(ad);
	if (tz)
		memset(tz, 0, sizeof(*tz));
	tv->tv_sec = (time_t)(w / 1000000);
	tv->tv_usec = (suseconds_t)(w % 1000000);
	return 0;
}

/* ---------------------------------------------------------------- life */

static void pd_free(void *ud)
{
	struct pd_adapter *ad = ud;
	if (!ad)
		return;
	pthread_mutex_lock(&ad->lock);
	ad->closing = 1;
	pthread_cond_broadcast(&ad->changed);
	while (ad->blocked > 0)
		pthread_cond_wait(&ad->changed, &ad->lock);
	pthread_mutex_unlock(&ad->lock);
	for (int i = 0; i < PD_MAX_FDS; i++)
		if (ad->fds[i].kind != PD_FREE)
			pd_fd_release(&ad->fds[i]);
	for (; ad->out_len; ad->out_len--, ad->out_head = (ad->out_head + 1) % PD_OUTQ_MAX)
		free(ad->outq[ad->out_head].data);
	synack_stack_destroy(ad->st);
	pthread_cond_destroy(&ad->changed);
	pthread_mutex_destroy(&ad->lock);
	free(ad);
}

static int parse_u64(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 0);
	if (errno || end == v || *end || x > max || *v == '-')
		return -1;
	*out = x;
	return 0;
}

/* One key=value of --so_flags. */
static int is_key(const char *kv, const char *key)
{
	size_t n = strlen(key);
	return !strncmp(kv, key, n) && kv[n] == '=';
}

static int parse_flag(const char *kv, struct synack_config *cfg, struct pd_adapter *ad)
{
	const char *v = strchr(kv, '=');
	struct in_addr a;
	uint64_t x;
	if (!v)
		return -1;
	v++;
	if ((is_key(kv, "local") || is_key(kv, "remote")) && inet_pton(AF_INET, v, &a) == 1)
		*(is_key(kv, "local") ? &cfg->addr : &ad->remote) = ntohl(a.s_addr);
	else if (is_key(kv, "mtu") && !parse_u64(v, 65535, &x) && x >= 68)
		cfg->mtu = (uint16_t)x;
	else if (is_key(kv, "seed") && !parse_u64(v, UINT64_MAX, &x))
		cfg->seed = x;
	else if (is_key(kv, "block_timeout") && !parse_u64(v, 86400, &x))
		ad->block_timeout_us = x * 1000000u;
	else
		return -1;
	return 0;
}

static int parse_flags(const char *flags, struct synack_config *cfg, struct pd_adapter *ad)
{
	char *copy = strdup(flags ? flags : ""), *save = NULL;
	if (!copy)
		return -1;
	for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		if (parse_flag(kv, cfg, ad) < 0) {
			fprintf(stderr, "synack-packetdrill: bad --so_flags item \"%s\" (want "
					"local=IPv4,remote=IPv4,mtu=N,seed=N,block_timeout=SECONDS)\n", kv);
			free(copy);
			return -1;
		}
	}
	free(copy);
	return 0;
}

static int pd_init_sync(struct pd_adapter *ad)
{
	pthread_condattr_t ca;
	if (pthread_condattr_init(&ca) || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC))
		return -1;
	int rc = pthread_cond_init(&ad->changed, &ca);
	pthread_condattr_destroy(&ca);
	if (rc)
		return -1;
	if (pthread_mutex_init(&ad->lock, NULL)) {
		pthread_cond_destroy(&ad->changed);
		return -1;
	}
	return 0;
}

static struct pd_adapter *pd_create(const char *flags)
{
	struct synack_config cfg;
	struct pd_adapter *ad = calloc(1, sizeof(*ad));
	if (!ad)
		return NULL;
	synack_config_default(&cfg);
	cfg.addr = PD_LOCAL_DEFAULT;
	ad->remote = PD_REMOTE_DEFAULT;
	ad->block_timeout_us = (uint64_t)PD_BLOCK_TIMEOUT_S * 1000000u;
	if (getrandom(&cfg.seed, sizeof(cfg.seed), 0) != sizeof(cfg.seed))
		cfg.seed = clock_us(CLOCK_REALTIME);
	if (parse_flags(flags, &cfg, ad) < 0)
		goto err_free;
	int rc = synack_stack_create(&cfg, &ad->st);
	if (rc < 0) {
		fprintf(stderr, "synack-packetdrill: cannot create the stack: %s\n", strerror(-rc));
		goto err_free;
	}
	if (pd_init_sync(ad) < 0)
		goto err_stack;
	synack_stack_set_output(ad->st, pd_output, ad);
	ad->mono0_us = clock_us(CLOCK_MONOTONIC);
	ad->wall0_us = (int64_t)clock_us(CLOCK_REALTIME);
	synack_stack_poll(ad->st, ad->mono0_us);
	return ad;
err_stack:
	synack_stack_destroy(ad->st);
err_free:
	free(ad);
	return NULL;
}

__attribute__((visibility("default"))) void packetdrill_interface_init(const char *flags,
									 struct packetdrill_interface *ifc)
{
	memset(ifc, 0, sizeof(*ifc));
	struct pd_adapter *ad = pd_create(flags);
	if (!ad)
		return;
	ifc->userdata = ad;
	ifc->free = pd_free;
	ifc->netdev_send = pd_netdev_send;
	ifc->netdev_receive = pd_netdev_receive;
	ifc->usleep = pd_usleep;
	ifc->gettimeofday = pd_gettimeofday;
	pd_socket_ops(ifc);
	pd_io_ops(ifc);
	pd_opt_ops(ifc);
	pd_poll_ops(ifc);
}
