/*
 * netcmds.h: the commands that run a stack on a TUN device, as the
 * dispatcher in tools/main.c sees them: `synack serve` (tools/serve.c) and
 * `synack connect` (tools/connect.c). argv[0] is the command name; the
 * return value is the exit status (0 done, 1 failed, 2 bad usage).
 */
#ifndef SYNACK_TOOLS_NETCMDS_H
#define SYNACK_TOOLS_NETCMDS_H

#include <stdio.h>

int serve_main(int argc, char **argv);
void serve_help(FILE *out);
int connect_main(int argc, char **argv);
void connect_help(FILE *out);

#endif
