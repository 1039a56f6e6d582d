/*
 * test_sha256.c: the CLI's SHA-256 (tools/sha256.c), which `synack serve`
 * and `synack connect` run on every byte they carry and the interop tests
 * compare with sha256sum. The FIPS 180-4 examples (Appendix B of the
 * SHA-256 examples document: "abc", the 448-bit message, a million "a"),
 * the empty message, and the same digest however the input is split, from
 * both the portable rounds and the x86 SHA-extension path where the CPU
 * has it.
 */
#include "check.h"
#include "sha256.h"

static void digest(const void *p, size_t len, int shani, char out[65])
{
	struct sha256 c;

	sha256_init(&c);
	if (!shani)
		c.shani = 0;
	sha256_update(&c, p, len);
	sha256_hex(&c, out);
}

TEST(fips180_examples)
{
	static char million[1000000];
	char hex[65];

	memset(million, 'a', sizeof(million));
	for (int shani = 0; shani < 2; shani++) {
		digest("abc", 3, shani, hex);
		CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		digest("", 0, shani, hex);
		CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
		const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
		digest(m448, strlen(m448), shani, hex);
		CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
		digest(million, sizeof(million), shani, hex);
		CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	}
}

/* Every split of a 1000-byte message into two updates, through both paths,
 * gives the one-shot portable digest: partial blocks at either end of an
 * update go through the context's buffer, whole ones are hashed in place. */
TEST(splits_and_paths_agree)
{
	uint8_t msg[1000];
	char want[65], got[65];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(msg); i++) {
		x = x * 1103515245u + 12345u;
		msg[i] = (uint8_t)(x >> 16);
	}
	digest(msg, sizeof(msg), 0, want);
	for (int shani = 0; shani < 2; shani++) {
		for (size_t cut = 0; cut <= sizeof(msg); cut += 7) {
			struct sha256 c;
			sha256_init(&c);
			if (!shani)
				c.shani = 0;
			sha256_update(&c, msg, cut);
			sha256_update(&c, msg + cut, sizeof(msg) - cut);
			CHECK_EQ(c.len, sizeof(msg));
			sha256_hex(&c, got);
			CHECK_STR(got, want);
		}
	}
}
