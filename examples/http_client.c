/*
 * http_client.c: an HTTP/1.0 GET over a TUN device with libsynack's public
 * API, embedding the event loop in the program's own control flow
 * (synack_loop_run_once) instead of handing it over with synack_loop_run.
 *
 *     ./http_client tun0 10.9.0.2 10.9.0.1 8000 /    # the response to stdout
 *
 * Steps: open the device, create a stack with our address, connect (the
 * loop turns until the socket is writable or reports an error), send the
 * request, read until the server closes, close. Exit status 0 when a
 * response arrived.
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

static uint32_t ip(const char *s)
{
	struct in_addr a;
	return inet_pton(AF_INET, s, &a) == 1 ? ntohl(a.s_addr) : 0;
}

/* Turn the loop until the connect finishes: 0, or the -errno it failed with. */
static int wait_connected(synack_loop *loop, synack_stack *st, int s)
{
	for (;;) {
		unsigned ev = synack_sock_events(st, s);
		if (ev & SYNACK_EV_ERR) {
			int err = 0;
			synack_sock_getopt(st, s, SYNACK_SO_ERROR, &err);
			return err;
		}
		if (ev & SYNACK_EV_OUT)
			return 0;
		synack_loop_run_once(loop, 100);
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
	struct synack_link *link;
	synack_stack *st;
	synack_loop *loop;
	char why[256], req[512], buf[4096];

	if (argc != 6 || !ip(argv[2]) || !ip(argv[3])) {
		fprintf(stderr, "usage: %s TUN-DEVICE OUR-ADDRESS SERVER-ADDRESS PORT PATH\n", argv[0]);
		return 2;
	}
	struct synack_tun_config tc = {.name = argv[1]};
	if (synack_tun_open(&tc, &link, why, sizeof(why))) {
		fprintf(stderr, "http_client: %s\n", why);
		return 1;
	}
	synack_config_default(&cfg);
	cfg.addr = ip(argv[2]);
	cfg.seed = random_seed();
	if (synack_stack_create(&cfg, &st) || synack_loop_create(st, link, &loop))
		return 1;
	synack_loop_run_once(loop, 0); /* the stack's clock starts now */

	struct synack_endpoint to = {ip(argv[3]), parse_port(argv[4])};
	if (!to.port) {
		fprintf(stderr, "http_client: '%s' is not a port\n", argv[4]);
		return 2;
	}
	int s = synack_sock_open(st);
	synack_sock_connect(st, s, &to);
	int err = wait_connected(loop, st, s);
	if (err) {
		fprintf(stderr, "http_client: connect: %s\n", strerror(-err));
		return 1;
	}
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", argv[5], argv[3]);
	if (synack_sock_send(st, s, req, (size_t)n) != n) /* a fresh 64 kB buffer takes it */
		return 1;
	size_t total = 0;
	for (;;) {
		ssize_t got = synack_sock_recv(st, s, buf, sizeof(buf));
		if (got == -EAGAIN) {
			synack_loop_run_once(loop, 100);
			continue;
		}
		if (got <= 0) {
			err = (int)got;
			break;
		}
		fwrite(buf, 1, (size_t)got, stdout);
		total += (size_t)got;
	}
	synack_sock_close(st, s);
	for (int i = 0; i < 10; i++) /* let the FIN and its ACK go out */
		synack_loop_run_once(loop, 10);
	fprintf(stderr, "http_client: %zu bytes%s%s\n", total, err ? ", " : "",
		err ? strerror(-err) : "");
	synack_loop_destroy(loop);
	synack_stack_destroy(st);
	synack_link_destroy(link);
	return total && !err ? 0 : 1;
}
