/*
 * main.c: the `synack` command-line tool: parses the command name and hands
 * the rest of the command line to that command.
 *
 *   synack --help | --version | help [COMMAND] | COMMAND [options]
 *
 * Commands live in their own files (tools/demo.c, ...) and use only the
 * public API in include/synack/. Exit status: 0 success, 1 the command ran
 * and failed, 2 bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "demo.h"
#include "netcmds.h"
#include "ss.h"
#include "script/script.h"
#include "synack/synack.h"

struct command {
	const char *name;
	const char *summary;               /* one line for `synack --help` */
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	void (*help)(FILE *out);
};

static const struct command commands[] = {
	{"demo", "two simulated hosts open a TCP connection, exchange a request and a reply, close,"
		 "\n          and wait out TIME-WAIT; draws it as a sequence diagram",
	 demo_main, demo_help},
	{"serve", "servers (HTTP, echo) on a synack stack attached to a TUN device", serve_main, serve_help},
	{"connect", "a client (HTTP GET or a raw stream) on a synack stack on a TUN device", connect_main, connect_help},
	{"ss", "the connection table of a running serve (--ctl) or a simulated stack, like `ss -tan -o`",
	 ss_main, ss_help},
	{"stat", "the counters of a running serve (--ctl) or a simulated stack, like `nstat -a`",
	 stat_main, stat_help},
	{"script", "run packetdrill-syntax script tests against a stack on a virtual clock",
	 script_main, script_help},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: synack COMMAND [options]\n"
		     "       synack --help | --version\n"
		     "       synack help COMMAND\n\n"
		     "synack is a userspace TCP/IP stack; this tool drives it.\n\n"
		     "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-7s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun `synack COMMAND --help` for a command's options.\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* `synack help [COMMAND]` */
static int help_command(int argc, char **argv)
{
	if (argc < 3) {
		usage(stdout);
		return 0;
	}
	const struct command *c = find_command(argv[2]);
	if (!c) {
		fprintf(stderr, "synack: no such command '%s'\n\n", argv[2]);
		usage(stderr);
		return 2;
	}
	c->help(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("synack %s\n", SYNACK_VERSION_STRING);
		return 0;
	}
	if (!strcmp(cmd, "help"))
		return help_command(argc, argv);
	const struct command *c = find_command(cmd);
	if (!c) {
		fprintf(stderr, "synack: unknown command '%s'\n\n", cmd);
		usage(stderr);
		return 2;
	}
	return c->run(argc - 1, argv + 1);
}
