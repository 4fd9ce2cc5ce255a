/* test-crc32c.c - CRC32C against the standard check value and between implementations. */
#include "testutil.h"
#include "crc32c.h"

static void test_check_value(void **state)
{
	(void)state;
	/* The CRC-32C check value (RFC 3720 B.4 catalogue): "123456789" -> 0xE3069283. */
	assert_int_equal(hwd_crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(hwd__crc32c_sw(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(hwd__crc32c_hw(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(hwd_crc32c(0, "", 0), 0);
	/* RFC 3720 B.4: 32 bytes of zeros -> 0x8A9136AA, of 0xFF -> 0x62A8AB43 */
	uint8_t b[32];
	memset(b, 0, sizeof b);
	assert_int_equal(hwd__crc32c_sw(0, b, 32), 0x8A9136AAu);
	memset(b, 0xFF, sizeof b);
	assert_int_equal(hwd__crc32c_sw(0, b, 32), 0x62A8AB43u);
}

/* Bit-at-a-time reference, the definition itself. */
static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	}
	return ~c;
}

static void test_implementations_agree(void **state)
{
	(void)state;
	uint8_t buf[1100];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof buf; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t start = 0; start < 9; start++)
		for (size_t len = 0; len + start <= sizeof buf; len += 1 + len / 7) {
			uint32_t want = crc_bitwise(buf + start, len);
			assert_int_equal(hwd__crc32c_sw(0, buf + start, len), want);
			assert_int_equal(hwd__crc32c_hw(0, buf + start, len), want);
			/* continuing from a partial CRC gives the CRC of the concatenation */
			size_t half = len / 3;
			assert_int_equal(hwd_crc32c(hwd_crc32c(0, buf + start, half), buf + start + half, len - half),
					 want);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_implementations_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
