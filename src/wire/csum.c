/*
 * csum.c: the Internet checksum (RFC 1071).
 *
 * The checksum is the one's complement of the one's complement sum of the
 * data taken as 16-bit big-endian words. One's complement addition is
 * associative and commutative, carries wrap around, and the sum is
 * byte-order independent (RFC 1071 §2 (A)-(C)): so we add the data as
 * native-order 32-bit words into a plain 64-bit accumulator (no carry
 * handling: 2^32 additions of 32-bit words cannot overflow it), fold the
 * accumulator to 16 bits with end-around carry (2^16 = 1 modulo 0xffff),
 * and swap the two bytes of the result on a little-endian host. Each 4-byte
 * word starts at an even offset of the buffer, so every byte keeps its
 * 16-bit lane; a 1..3-byte tail is zero-padded on the right (RFC 1071 §4.1).
 *
 * The running sum that callers chain (sn_csum_add's `sum`, the pseudo-header
 * sum) is in "big-endian value" form: folding it gives the checksum as a
 * host-order integer (e.g. 0xb861), which headers then store big-endian.
 * Each call adds its buffer's folded 16-bit sum to it, with end-around carry.
 *
 * Speed: the main loop adds 64-byte blocks through an inner loop with a
 * fixed trip count and no carries, which gcc and clang vectorise at -O2
 * (SSE2 on baseline x86-64: widen 32-bit lanes to 64 bits and add), about
 * 2-2.5x the speed of the 64-bit add-with-carry loop it replaced on 1460-byte
 * payloads (docs/performance.md). memcpy loads keep it correct for any
 * alignment.
 *
 * Workload: every segment in and out goes through here once, header and
 * payload, so this is the one per-byte pass the design allows.
 */
#include "wire/csum.h"

#include <string.h>

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* One's complement 64-bit add: a carry out of bit 63 comes back in at bit 0. */
static inline uint64_t add_carry(uint64_t sum, uint64_t w)
{
	sum += w;
	return sum + (sum < w);
}

/* With gcc on x86-64 Linux csum_blocks is also built for AVX2 (four 32-bit
 * words widened per instruction instead of two) and the loader picks the
 * version the CPU runs (an ifunc, target_clones): 8-12% less CPU per bulk
 * data segment here (docs/performance.md). Not with clang 14 (with LTO its
 * resolver does not link) nor in sanitizer builds (their runtime starts
 * after ifunc resolvers run): those keep the baseline version alone. */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) && \
	!defined(__SANITIZE_ADDRESS__)
#define SN_CSUM_CLONES 1
#endif
/* Native-order sum of 64-byte blocks: 16 words per block, no carries.
 * gcc -O3 vectorises the loop over blocks instead of the one inside a block
 * (shuffles: about 2.5x slower, docs/performance.md), so this function keeps
 * gcc's -O2 code in every build; clang does the right thing at -O2 and -O3. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O2")))
#endif
#ifdef SN_CSUM_CLONES
__attribute__((target_clones("avx2", "default")))
#endif
static uint64_t csum_blocks(const uint8_t *p, size_t nblocks)
{
	uint64_t acc = 0;

	for (size_t b = 0; b < nblocks; b++, p += 64) {
		uint64_t blk = 0;
		for (int i = 0; i < 16; i++)
			blk += load32(p + 4 * i);
		acc += blk;
	}
	return acc;
}

/* Fold a native-order 64-bit sum to 16 bits, end-around carry. */
static inline uint16_t fold16(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32); /* <= 0x1fffffffe */
	acc = (acc & 0xffffffffu) + (acc >> 32); /* <= 0xffffffff */
	acc = (acc & 0xffffu) + (acc >> 16);     /* <= 0x1fffe */
	acc = (acc & 0xffffu) + (acc >> 16);     /* <= 0xffff */
	return (uint16_t)acc;
}

uint64_t sn_csum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = len >= 64 ? csum_blocks(p, len / 64) : 0; /* headers: no call */

	p += len & ~(size_t)63;
	len &= 63;
	for (; len >= 4; p += 4, len -= 4)
		acc += load32(p);
	if (len) {
		uint8_t tail[4] = {0};
		memcpy(tail, p, len);
		acc += load32(tail);
	}
	uint16_t folded = fold16(acc);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	folded = __builtin_bswap16(folded);
#endif
	return add_carry(sum, folded);
}

uint16_t sn_csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32); /* <= 0x1fffffffe */
	sum = (sum & 0xffffffffu) + (sum >> 32); /* <= 0xffffffff */
	sum = (sum & 0xffffu) + (sum >> 16);     /* <= 0x1fffe */
	sum = (sum & 0xffffu) + (sum >> 16);     /* <= 0xffff */
	return (uint16_t)~sum;
}

/* RFC 9293 §3.1: source address, destination address, zero, PTCL, TCP length. */
uint64_t sn_csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	return (uint64_t)(src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) +
	       proto + len;
}

__attribute__((noinline)) uint16_t sn_csum_ip4_hdr(const void *hdr, size_t len)
{
	return sn_csum_fold(sn_csum_add(0, hdr, len));
}

__attribute__((noinline)) uint16_t sn_csum_tcp4(uint32_t src, uint32_t dst, const void *seg,
						size_t len)
{
	return sn_csum_fold(sn_csum_add(sn_csum_pseudo4(src, dst, 6 /* TCP */, (uint16_t)len), seg,
					len));
}
