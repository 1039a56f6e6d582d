/*
 * sha256.h: SHA-256 (FIPS 180-4) for the CLI, so `synack serve` and
 * `synack connect` can report the digest of what they carried and the
 * interop tests can compare it with sha256sum on the Linux side.
 */
#ifndef SYNACK_TOOLS_SHA256_H
#define SYNACK_TOOLS_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;      /* bytes hashed so far */
	uint8_t buf[64];
	size_t nbuf;
	int shani;         /* whole blocks through the x86 SHA extensions (set by
	                    * sha256_init from CPUID; 0 forces the portable code) */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
/* The digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(struct sha256 *c, char out[65]);

#endif
