/*
 * echo_server.c: the smallest useful program on libsynack's public API: a
 * TCP echo server on a TUN device, driven by synack's event loop.
 *
 *     ip tuntap add dev tun0 mode tun
 *     ip addr add 10.9.0.1/24 dev tun0 && ip link set tun0 up
 *     ./echo_server tun0 10.9.0.2 7        # then, from Linux: nc 10.9.0.2 7
 *
 * Every round of the loop, the hook accepts new connections and moves what
 * each one received back to its send side; a connection whose peer has
 * finished (recv returns 0) is closed once everything went back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>
#include <stdlib.h>
#include <string.h>

#include <synack/link.h>
#include <synack/synack.h>
#include <synack/tun.h>

#define MAX_CONNS 64

struct echo {
	synack_stack *st;
	int listener;
	int conns[MAX_CONNS]; /* -1: free */
};

/* Room in the send buffer: its size less what is queued (unsent or unacked). */
static size_t send_room(synack_stack *st, int s)
{
	struct synack_tcp_info ti;
	int size = 0;

	if (synack_sock_info(st, s, &ti) || synack_sock_getopt(st, s, SYNACK_SO_SNDBUF, &size))
		return 0;
	return (size_t)size > ti.send_queue ? (size_t)size - ti.send_queue : 0;
}

/* Echo what fits in the send buffer (the rest waits in the receive buffer,
 * and the receive window closes: TCP's flow control does the queueing).
 * Returns 1 when the connection is finished. */
static int echo_some(synack_stack *st, int s)
{
	char buf[4096];

	for (;;) {
		size_t room = send_room(st, s);
		if (room == 0)
			return 0;
		ssize_t n = synack_sock_recv(st, s, buf, room < sizeof(buf) ? room : sizeof(buf));
		if (n == -EAGAIN)
			return 0;
		if (n <= 0)
			return 1; /* end of stream, or an error */
		if (synack_sock_send(st, s, buf, (size_t)n) != n)
			return 1;
	}
}

static void hook(void *ctx, synack_loop *l, uint64_t now)
{
	struct echo *e = ctx;
	int s;
	(void)l;
	(void)now;

	while ((s = synack_sock_accept(e->st, e->listener, NULL)) >= 0) {
		int i = 0;
		while (i < MAX_CONNS && e->conns[i] >= 0)
			i++;
		if (i == MAX_CONNS)
			synack_sock_abort(e->st, s);
		else
			e->conns[i] = s;
	}
	for (int i = 0; i < MAX_CONNS; i++) {
		if (e->conns[i] >= 0 && echo_some(e->st, e->conns[i])) {
			synack_sock_close(e->st, e->conns[i]);
			e->conns[i] = -1;
		}
	}
}

/* A port number, or 0 if the text is not one. */
static uint16_t parse_port(const char *text)
{
	char *end;
	long v = strtol(text, &end, 10);
	return (*text && !*end && v > 0 && v < 65536) ? (uint16_t)v : 0;
}

/* The stack's secrets (ISNs, hash keys, ports) come from this seed: take
 * it from the kernel's entropy, never from the clock. */
static uint64_t random_seed(void)
{
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = synack_loop_now(); /* no entropy source: better than nothing */
	return seed;
}

int main(int argc, char **argv)
{
	struct synack_config cfg;
	struct synack_tun_config tc = {.name = argc > 1 ? argv[1] : "tun0"};
	struct in_addr a;
	struct synack_link *link;
	synack_loop *loop;
	struct echo e;
	char why[256];

	if (argc != 4 || inet_pton(AF_INET, argv[2], &a) != 1) {
		fprintf(stderr, "usage: %s TUN-DEVICE ADDRESS PORT\n", argv[0]);
		return 2;
	}
	if (synack_tun_open(&tc, &link, why, sizeof(why))) {
		fprintf(stderr, "echo_server: %s\n", why);
		return 1;
	}
	synack_config_default(&cfg);
	cfg.addr = ntohl(a.s_addr);
	cfg.seed = random_seed();
	if (synack_stack_create(&cfg, &e.st) || synack_loop_create(e.st, link, &loop)) {
		fprintf(stderr, "echo_server: out of memory\n");
		return 1;
	}
	struct synack_endpoint ep = {0, parse_port(argv[3])};
	if (!ep.port) {
		fprintf(stderr, "echo_server: '%s' is not a port\n", argv[3]);
		return 2;
	}
	e.listener = synack_sock_open(e.st);
	int err = synack_sock_bind(e.st, e.listener, &ep);
	if (!err)
		err = synack_sock_listen(e.st, e.listener, 16);
	if (err) {
		fprintf(stderr, "echo_server: listen: %s\n", strerror(-err));
		return 1;
	}
	for (int i = 0; i < MAX_CONNS; i++)
		e.conns[i] = -1;
	printf("echo server on %s:%s (device %s)\n", argv[2], argv[3], synack_tun_name(link));
	fflush(stdout);
	synack_loop_set_hook(loop, hook, &e);
	err = synack_loop_run(loop); /* runs until killed */
	synack_loop_destroy(loop);
	synack_stack_destroy(e.st);
	synack_link_destroy(link);
	return err ? 1 : 0;
}
