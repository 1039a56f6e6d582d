/*
 * demo.h: the `synack demo` command (tools/demo.c), as the dispatcher in
 * tools/main.c sees it.
 */
#ifndef SYNACK_TOOLS_DEMO_H
#define SYNACK_TOOLS_DEMO_H

#include <stdio.h>

/* argv[0] is "demo". Returns the process exit status: 0 done, 1 the
 * exchange failed or did not complete in time, 2 bad options. */
int demo_main(int argc, char **argv);
/* The full `synack demo --help` text. */
void demo_help(FILE *out);

#endif
