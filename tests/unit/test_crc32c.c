/* CRC32C: known vectors, chaining, and the table and SSE4.2 paths checked
 * against each other and against a bit-at-a-time reference. The source is
 * included so the two static implementations can be called directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/crc32c.c"

static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
	}
	return ~crc;
}

/* Deterministic filler so a failure reproduces. */
static void fill(uint8_t *buf, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

static bool have_sse42(void)
{
#ifdef CRC32C_HAVE_SSE42
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2");
#else
	return false;
#endif
}

static void test_check_value(void **state)
{
	assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
}

static void test_rfc3720_vectors(void **state)
{
	uint8_t buf[32];

	memset(buf, 0, sizeof(buf));
	assert_int_equal(crc32c(0, buf, 32), 0x8A9136AAu);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(crc32c(0, buf, 32), 0x62A8AB43u);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(crc32c(0, buf, 32), 0x46DD794Eu);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	assert_int_equal(crc32c(0, buf, 32), 0x113FDB5Cu);
}

/* RFC 3720 B.4: the header of a SCSI Read (10) command PDU. */
static void test_rfc3720_read_pdu(void **state)
{
	static const uint8_t pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
		0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	assert_int_equal(crc32c(0, pdu, sizeof(pdu)), 0xD9963A56u);
}

static void test_empty(void **state)
{
	assert_int_equal(crc32c(0, NULL, 0), 0);
	assert_int_equal(crc32c(0xdeadbeef, "", 0), 0xdeadbeef);
}

static void test_chaining_every_split(void **state)
{
	uint8_t buf[300];
	fill(buf, sizeof(buf), 7);
	uint32_t whole = crc32c(0, buf, sizeof(buf));
	assert_int_equal(whole, crc32c_bitwise(0, buf, sizeof(buf)));
	for (size_t split = 0; split <= sizeof(buf); split++) {
		uint32_t c = crc32c(crc32c(0, buf, split), buf + split,
				    sizeof(buf) - split);
		assert_int_equal(c, whole);
	}
}

static void test_chaining_three_parts(void **state)
{
	uint8_t buf[100];
	fill(buf, sizeof(buf), 99);
	uint32_t c = crc32c(0, buf, 13);
	c = crc32c(c, buf + 13, 50);
	c = crc32c(c, buf + 63, 37);
	assert_int_equal(c, crc32c(0, buf, sizeof(buf)));
}

/* Table path against the bit-at-a-time reference at every length and
 * alignment the 8-byte loop and its head and tail can see. */
static void test_sw_matches_reference(void **state)
{
	uint8_t buf[1100];
	fill(buf, sizeof(buf), 1);
	pthread_once(&crc32c_once, crc32c_init);
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len <= 1024; len += (len < 70 ? 1 : 61)) {
			uint32_t want = crc32c_bitwise(0x12345678, buf + off, len);
			uint32_t got = ~crc32c_sw(~0x12345678u, buf + off, len);
			assert_int_equal(got, want);
		}
	}
}

static void test_hw_matches_sw(void **state)
{
#ifdef CRC32C_HAVE_SSE42
	if (!have_sse42())
		skip();
	uint8_t buf[1100];
	fill(buf, sizeof(buf), 2);
	pthread_once(&crc32c_once, crc32c_init);
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len <= 1024; len += (len < 70 ? 1 : 61)) {
			uint32_t sw = crc32c_sw(~0u, buf + off, len);
			uint32_t hw = crc32c_hw(~0u, buf + off, len);
			assert_int_equal(hw, sw);
		}
	}
	assert_int_equal(~crc32c_hw(~0u, (const uint8_t *)"123456789", 9), 0xE3069283u);
#else
	skip();
#endif
}

static void test_dispatch_picks_hw_when_available(void **state)
{
	pthread_once(&crc32c_once, crc32c_init);
#ifdef CRC32C_HAVE_SSE42
	assert_true(crc32c_impl == (have_sse42() ? crc32c_hw : crc32c_sw));
#else
	assert_true(crc32c_impl == crc32c_sw);
#endif
}

static void test_single_bit_changes_crc(void **state)
{
	uint8_t buf[64];
	fill(buf, sizeof(buf), 3);
	uint32_t base = crc32c(0, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf) * 8; i++) {
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_not_equal(crc32c(0, buf, sizeof(buf)), base);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_rfc3720_vectors),
		cmocka_unit_test(test_rfc3720_read_pdu),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_chaining_every_split),
		cmocka_unit_test(test_chaining_three_parts),
		cmocka_unit_test(test_sw_matches_reference),
		cmocka_unit_test(test_hw_matches_sw),
		cmocka_unit_test(test_dispatch_picks_hw_when_available),
		cmocka_unit_test(test_single_bit_changes_crc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
