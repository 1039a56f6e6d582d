/*
 * fuzz_script.c: libFuzzer target for the script runner (`synack script`):
 * any bytes as a packetdrill-syntax script. What parses is also run against
 * a fresh stack (output to /dev/null), so the interpreter and the stack see
 * whatever call sequences and segments the fuzzer writes. The seed corpus is
 * tests/scripts/ (fuzz/corpus/script/ holds a copy).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct sc_script s;
	char err[512];

	if (size > 16384)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (sc_parse("fuzz.pkt", text, &s, err, sizeof(err)) == 0) {
		struct sc_run_opts o = {.tolerance_us = 4000};
		sc_run(&s, &o, devnull ? devnull : stderr);
		sc_script_free(&s);
	}
	free(text);
	return 0;
}
