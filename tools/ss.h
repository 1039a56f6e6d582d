/*
 * ss.h: the `synack ss` and `synack stat` commands (tools/ss.c), as the
 * dispatcher in tools/main.c sees them.
 */
#ifndef SYNACK_TOOLS_SS_H
#define SYNACK_TOOLS_SS_H

#include <stdio.h>

/* argv[0] is the command name. 0, 1 (the workload failed), 2 (bad usage). */
int ss_main(int argc, char **argv);
void ss_help(FILE *out);
int stat_main(int argc, char **argv);
void stat_help(FILE *out);

#endif
