/* crc32c.c - CRC32C (Castagnoli), the checksum of every chunk payload.
 *
 * Two implementations compute the same function: slicing-by-8 tables (portable, any host)
 * and the SSE4.2 crc32 instruction on x86-64 when the CPU has it (checked once at run time).
 * tests/dumpfmt checks both against the standard check value and against each other.
 */
#include "hwd-internal.h"
#include "crc32c.h"

#define POLY 0x82F63B78u /* reflected Castagnoli polynomial */

static uint32_t table[8][256];

/* Runs before main (and before any fuzz input), so the tables are read-only afterwards. */
__attribute__((constructor)) static void crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (POLY & (0u - (c & 1)));
		table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int s = 1; s < 8; s++)
			table[s][i] = (table[s - 1][i] >> 8) ^ table[0][table[s - 1][i] & 0xFF];
}

uint32_t hwd__crc32c_sw(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	crc = ~crc;
	while (len && ((uintptr_t)p & 7)) {
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xFF];
		len--;
	}
	while (len >= 8) {
		/* Byte-wise loads: no host-order or aliasing assumptions. */
		uint32_t lo = crc ^ hwd_get_le32(p);
		uint32_t hi = hwd_get_le32(p + 4);
		crc = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^
		      table[5][(lo >> 16) & 0xFF] ^ table[4][lo >> 24] ^
		      table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^
		      table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xFF];
	return ~crc;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>

__attribute__((target("sse4.2"))) uint32_t hwd__crc32c_hw(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t c = ~crc;
	while (len && ((uintptr_t)p & 7)) {
		c = _mm_crc32_u8((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8); /* x86 is little-endian: the instruction wants LE words */
		c = _mm_crc32_u64(c, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return ~(uint32_t)c;
}

int hwd__crc32c_hw_available(void)
{
	return __builtin_cpu_supports("sse4.2");
}
#else
uint32_t hwd__crc32c_hw(uint32_t crc, const void *data, size_t len)
{
	return hwd__crc32c_sw(crc, data, len);
}

int hwd__crc32c_hw_available(void)
{
	return 0;
}
#endif

uint32_t hwd_crc32c(uint32_t crc, const void *data, size_t len)
{
	static int hw = -1; /* idempotent lazy init: every thread computes the same value */
	if (hw < 0)
		__atomic_store_n(&hw, hwd__crc32c_hw_available(), __ATOMIC_RELAXED);
	return __atomic_load_n(&hw, __ATOMIC_RELAXED) ? hwd__crc32c_hw(crc, data, len)
						      : hwd__crc32c_sw(crc, data, len);
}
