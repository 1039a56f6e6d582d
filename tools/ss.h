/*
 * ss.h: the `synack ss` and `synack stat` commands (tools/ss.c), as the
 * dispatcher in tools/main.c sees them.
 */
#ifndef SYNACK_TOOLS_SS_H
#define SYNACK_TOOLS_SS_H

#include <stdio.h>

#include "synack/synack.h"

/* argv[0] is the command name. 0, 1 (the workload failed), 2 (bad usage). */
int ss_main(int argc, char **argv);
void ss_help(FILE *out);
int stat_main(int argc, char **argv);
void stat_help(FILE *out);
/* The counters as `synack stat` prints them: "Name value" lines, zeros
 * too when asked, only names starting with one of prefix[0..nprefix). */
void stat_print(FILE *out, const struct synack_counters *c, int zeros, char **prefix, int nprefix);

#endif
