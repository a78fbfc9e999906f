/* iSCSI text: pair parsing of hostile segments, the response builder, and
 * the numerical and binary value decoders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "iscsi/text.h"

#define BUFSZ (2 * ISCSI_VALUE_MAX + 256)

static char buf[BUFSZ];
static struct iscsi_kv kv[ISCSI_TEXT_MAX_PAIRS + 1];
static char err[256];

/* Parses len bytes of src from a copy whose spare byte at [len] is not a
 * NUL, so a parser leaning on a terminator it did not write shows. */
static int parse(const void *src, size_t len, int max)
{
	memcpy(buf, src, len);
	buf[len] = 'Z';
	err[0] = '\0';
	return iscsi_text_parse(buf, len, kv, max, err, sizeof(err));
}

#define PARSE(lit) parse(lit, sizeof(lit) - 1, ISCSI_TEXT_MAX_PAIRS)

static void assert_err_has(const char *what)
{
	if (!strstr(err, what))
		fail_msg("error \"%s\" does not mention \"%s\"", err, what);
}

static void test_parse_basic(void **state)
{
	assert_int_equal(PARSE("HeaderDigest=None\0MaxConnections=1\0"), 2);
	assert_string_equal(kv[0].key, "HeaderDigest");
	assert_string_equal(kv[0].val, "None");
	assert_string_equal(kv[1].key, "MaxConnections");
	assert_string_equal(kv[1].val, "1");
	assert_ptr_equal(kv[0].key, buf);
}

static void test_parse_no_trailing_nul_uses_spare(void **state)
{
	assert_int_equal(PARSE("A=1\0B=22"), 2);
	assert_string_equal(kv[1].key, "B");
	assert_string_equal(kv[1].val, "22");
	assert_int_equal(buf[8], '\0');
}

static void test_parse_single_unterminated(void **state)
{
	assert_int_equal(PARSE("Key=value"), 1);
	assert_string_equal(kv[0].val, "value");
}

static void test_parse_padding_ignored(void **state)
{
	assert_int_equal(PARSE("A=1\0\0\0\0"), 1);
	assert_int_equal(PARSE("\0\0\0\0"), 0);
	assert_int_equal(parse("", 0, 4), 0);
	assert_int_equal(iscsi_text_parse(NULL, 0, kv, 4, err, sizeof(err)), 0);
}

static void test_parse_empty_pair_in_middle(void **state)
{
	assert_int_equal(PARSE("A=1\0\0B=2\0"), -1);
	assert_err_has("empty pair");
	/* Garbage after padding is not padding. */
	assert_int_equal(PARSE("A=1\0\0\0x"), -1);
}

static void test_parse_leading_nul(void **state)
{
	assert_int_equal(PARSE("\0A=1\0"), -1);
	assert_err_has("offset 0");
}

static void test_parse_missing_equals(void **state)
{
	assert_int_equal(PARSE("A=1\0NoEquals\0"), -1);
	assert_err_has("no '='");
	assert_err_has("offset 4");
	assert_int_equal(PARSE("NoEqualsUnterminated"), -1);
}

static void test_parse_empty_key(void **state)
{
	assert_int_equal(PARSE("=value\0"), -1);
	assert_err_has("empty key");
	assert_int_equal(PARSE("=\0"), -1);
}

static void test_parse_empty_value_ok(void **state)
{
	assert_int_equal(PARSE("TargetAlias=\0"), 1);
	assert_string_equal(kv[0].val, "");
}

static void test_parse_value_with_equals(void **state)
{
	assert_int_equal(PARSE("CHAP_C=0bAQ==\0"), 1);
	assert_string_equal(kv[0].key, "CHAP_C");
	assert_string_equal(kv[0].val, "0bAQ==");
}

static void test_parse_key_length(void **state)
{
	char src[128];
	memset(src, 'K', 63);
	strcpy(src + 63, "=v");
	assert_int_equal(parse(src, 66, 8), 1);
	assert_int_equal(strlen(kv[0].key), 63);

	memset(src, 'K', 64);
	strcpy(src + 64, "=v");
	assert_int_equal(parse(src, 67, 8), -1);
	assert_err_has("64 bytes");
}

static void test_parse_key_alphabet(void **state)
{
	assert_int_equal(PARSE("a.b-c+d@e_f09Z=1\0"), 1);
	assert_int_equal(PARSE("X-com.example.key=1\0"), 1);
	assert_int_equal(PARSE("X#NodeArchitecture=1\0"), 1);

	static const char *bad[] = {
		"A B=1", "A\tB=1", "A:B=1", "A/B=1", "A#B=1", "#X=1", "XX#B=1",
		"K\xc3\xa9=1", "A\x01=1", "A\x7f=1", "A,B=1", "A;B=1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], strlen(bad[i]) + 1, 8) != -1)
			fail_msg("key of \"%s\" accepted", bad[i]);
		assert_err_has("alphabet");
	}
}

static void test_parse_value_length(void **state)
{
	static char src[ISCSI_VALUE_MAX + 16];
	memcpy(src, "V=", 2);
	memset(src + 2, 'a', ISCSI_VALUE_MAX);
	src[2 + ISCSI_VALUE_MAX] = '\0';
	assert_int_equal(parse(src, 3 + ISCSI_VALUE_MAX, 8), 1);
	assert_int_equal(strlen(kv[0].val), ISCSI_VALUE_MAX);

	memset(src + 2, 'a', ISCSI_VALUE_MAX + 1);
	src[3 + ISCSI_VALUE_MAX] = '\0';
	assert_int_equal(parse(src, 4 + ISCSI_VALUE_MAX, 8), -1);
	assert_err_has("8193 bytes");
	/* The same, unterminated, relying on the spare byte. */
	assert_int_equal(parse(src, 3 + ISCSI_VALUE_MAX, 8), -1);
}

static void test_parse_value_any_bytes(void **state)
{
	assert_int_equal(PARSE("TargetAlias=caf\xc3\xa9 disk #1\0"), 1);
	assert_string_equal(kv[0].val, "caf\xc3\xa9 disk #1");
}

static void test_parse_max_pairs(void **state)
{
	assert_int_equal(parse("A=1\0B=2\0", 8, 2), 2);
	assert_int_equal(parse("A=1\0B=2\0C=3\0", 12, 2), -1);
	assert_err_has("more than 2 pairs");
	assert_int_equal(parse("A=1\0", 4, 0), -1);
}

static void test_parse_many_pairs(void **state)
{
	size_t len = 0;
	char src[ISCSI_TEXT_MAX_PAIRS * 8];
	for (int i = 0; i < ISCSI_TEXT_MAX_PAIRS; i++)
		len += (size_t)sprintf(src + len, "K%d=%d", i, i) + 1;
	assert_int_equal(parse(src, len, ISCSI_TEXT_MAX_PAIRS), ISCSI_TEXT_MAX_PAIRS);
	assert_string_equal(kv[127].key, "K127");
	assert_string_equal(kv[127].val, "127");
}

static void test_parse_null_err_ok(void **state)
{
	memcpy(buf, "=1", 3);
	assert_int_equal(iscsi_text_parse(buf, 3, kv, 8, NULL, 0), -1);
	memcpy(buf, "=1", 3);
	assert_int_equal(iscsi_text_parse(buf, 3, kv, 8, err, 0), -1);
}

static void test_builder(void **state)
{
	char out[64];
	struct iscsi_text t;
	iscsi_text_init(&t, out, sizeof(out));
	assert_int_equal(iscsi_text_add(&t, "A", "1"), 0);
	assert_int_equal(iscsi_text_addf(&t, "Num", "%u", 262144u), 0);
	assert_int_equal(t.len, 4 + 11);
	assert_memory_equal(out, "A=1\0Num=262144\0", 15);
	assert_int_equal(t.overflow, 0);
}

static void test_builder_exact_fit_and_overflow(void **state)
{
	char out[8];
	struct iscsi_text t;
	iscsi_text_init(&t, out, sizeof(out));
	assert_int_equal(iscsi_text_add(&t, "Ab", "cdef"), 0);	/* 8 bytes */
	assert_int_equal(t.len, 8);
	assert_int_equal(iscsi_text_add(&t, "B", ""), -1);
	assert_int_equal(t.overflow, 1);
	assert_int_equal(t.len, 8);

	iscsi_text_init(&t, out, sizeof(out));
	assert_int_equal(iscsi_text_add(&t, "Abc", "defg"), -1);	/* 9 bytes */
	assert_int_equal(t.len, 0);
	/* Once something was dropped nothing more goes in. */
	assert_int_equal(iscsi_text_add(&t, "A", "1"), -1);
	assert_int_equal(t.len, 0);
}

static void test_builder_addf_too_long(void **state)
{
	static char out[3 * ISCSI_VALUE_MAX];
	static char big[ISCSI_VALUE_MAX + 2];
	struct iscsi_text t;
	iscsi_text_init(&t, out, sizeof(out));
	memset(big, 'x', ISCSI_VALUE_MAX);
	assert_int_equal(iscsi_text_addf(&t, "K", "%s", big), 0);
	big[ISCSI_VALUE_MAX] = 'x';
	assert_int_equal(iscsi_text_addf(&t, "K", "%s", big), -1);
	assert_int_equal(t.overflow, 1);
}

static void expect_number(const char *s, uint64_t max, uint64_t want)
{
	uint64_t v = 0xdeadbeef;
	if (iscsi_text_number(s, max, &v) != 0)
		fail_msg("\"%s\" rejected", s);
	if (v != want)
		fail_msg("\"%s\" gave %llu, want %llu", s, (unsigned long long)v,
			 (unsigned long long)want);
}

static void expect_bad_number(const char *s, uint64_t max)
{
	uint64_t v = 7;
	if (iscsi_text_number(s, max, &v) != -1)
		fail_msg("\"%s\" accepted", s);
	assert_int_equal(v, 7);
}

static void test_number_decimal(void **state)
{
	expect_number("0", 10, 0);
	expect_number("8192", UINT64_MAX, 8192);
	expect_number("18446744073709551615", UINT64_MAX, UINT64_MAX);
	expect_bad_number("18446744073709551616", UINT64_MAX);
	expect_bad_number("99999999999999999999999", UINT64_MAX);
	expect_bad_number("", UINT64_MAX);
	expect_bad_number("01", UINT64_MAX);
	expect_bad_number("00", UINT64_MAX);
	expect_bad_number("-1", UINT64_MAX);
	expect_bad_number("+1", UINT64_MAX);
	expect_bad_number(" 1", UINT64_MAX);
	expect_bad_number("1 ", UINT64_MAX);
	expect_bad_number("1a", UINT64_MAX);
	expect_bad_number("1.0", UINT64_MAX);
	expect_bad_number(NULL, UINT64_MAX);
}

static void test_number_max(void **state)
{
	expect_number("65535", 65535, 65535);
	expect_bad_number("65536", 65535);
	expect_bad_number("0x10000", 65535);
	expect_bad_number("1", 0);
}

static void test_number_hex(void **state)
{
	expect_number("0x10", UINT64_MAX, 16);
	expect_number("0X1f", UINT64_MAX, 31);
	expect_number("0xABCdef", UINT64_MAX, 0xabcdef);
	expect_number("0xffffffffffffffff", UINT64_MAX, UINT64_MAX);
	expect_number("0x00000000000000000000001", UINT64_MAX, 1);
	expect_bad_number("0x10000000000000000", UINT64_MAX);
	expect_bad_number("0x", UINT64_MAX);
	expect_bad_number("0X", UINT64_MAX);
	expect_bad_number("0xg", UINT64_MAX);
	expect_bad_number("0x1 ", UINT64_MAX);
	expect_bad_number("0x-1", UINT64_MAX);
	expect_bad_number("x10", UINT64_MAX);
}

static void test_number_base64(void **state)
{
	expect_number("0bAQ==", UINT64_MAX, 1);
	expect_number("0BEjQ=", UINT64_MAX, 0x1234);
	expect_number("0bAAAAAAAAAAE=", UINT64_MAX, 1);
	expect_number("0b//////////8=", UINT64_MAX, UINT64_MAX);
	expect_bad_number("0bAAAAAAAAAAAB", UINT64_MAX);	/* 9 bytes */
	expect_bad_number("0b", UINT64_MAX);
	expect_bad_number("0bAQ", UINT64_MAX);
	expect_bad_number("0bA*==", UINT64_MAX);
}

static void test_binary_hex(void **state)
{
	uint8_t out[8];
	assert_int_equal(iscsi_text_binary("0x0102ff", out, sizeof(out)), 3);
	assert_memory_equal(out, "\x01\x02\xff", 3);
	assert_int_equal(iscsi_text_binary("0XaBcD", out, sizeof(out)), 2);
	assert_memory_equal(out, "\xab\xcd", 2);
	/* An odd digit count has an implicit leading zero nibble. */
	assert_int_equal(iscsi_text_binary("0x123", out, sizeof(out)), 2);
	assert_memory_equal(out, "\x01\x23", 2);
	assert_int_equal(iscsi_text_binary("0x0", out, sizeof(out)), 1);
	assert_int_equal(out[0], 0);
	/* Leading zeroes count toward the length. */
	assert_int_equal(iscsi_text_binary("0x0000", out, sizeof(out)), 2);
}

static void test_binary_hex_bad(void **state)
{
	uint8_t out[8];
	static const char *bad[] = {
		"0x", "0x12g4", "0x1g", "0xg12", "0x12 ", "0x 12", "0x-1", "1234",
		"0y12", "", "0", "x12", "0x12\xff",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (iscsi_text_binary(bad[i], out, sizeof(out)) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
	assert_int_equal(iscsi_text_binary(NULL, out, sizeof(out)), -1);
}

static void test_binary_capacity(void **state)
{
	uint8_t out[4];
	assert_int_equal(iscsi_text_binary("0x01020304", out, 4), 4);
	assert_int_equal(iscsi_text_binary("0x0102030405", out, 4), -1);
	assert_int_equal(iscsi_text_binary("0x102030405", out, 4), -1);
	assert_int_equal(iscsi_text_binary("0bAQIDBAU=", out, 4), -1);
	assert_int_equal(iscsi_text_binary("0bAQIDBA==", out, 4), 4);
	assert_int_equal(iscsi_text_binary("0x01", out, 0), -1);
}

static void test_binary_base64(void **state)
{
	uint8_t out[8];
	assert_int_equal(iscsi_text_binary("0bAQID", out, sizeof(out)), 3);
	assert_memory_equal(out, "\x01\x02\x03", 3);
	assert_int_equal(iscsi_text_binary("0bAQI=", out, sizeof(out)), 2);
	assert_memory_equal(out, "\x01\x02", 2);
	assert_int_equal(iscsi_text_binary("0BAQ==", out, sizeof(out)), 1);
	assert_int_equal(out[0], 1);
	assert_int_equal(iscsi_text_binary("0bAQIDBAU=", out, sizeof(out)), 5);
	assert_memory_equal(out, "\x01\x02\x03\x04\x05", 5);
	assert_int_equal(iscsi_text_binary("0b+/+/", out, sizeof(out)), 3);
	assert_memory_equal(out, "\xfb\xff\xbf", 3);
}

static void test_binary_base64_bad(void **state)
{
	uint8_t out[16];
	static const char *bad[] = {
		"0b", "0bA", "0bAQ", "0bAQI", "0bAQIDB",	/* not a multiple of 4 */
		"0b====", "0bA===", "0bA=ID", "0bAQ=D",		/* misplaced '=' */
		"0bAQ*D", "0bAQ-D", "0bAQ_D", "0bAQ D",		/* outside the alphabet */
		"0bAR==", "0bAQJ=",				/* unused bits set */
		"0bAQ==AQID",					/* data after padding */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (iscsi_text_binary(bad[i], out, sizeof(out)) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
}

static void test_binary_long_value(void **state)
{
	static char val[ISCSI_VALUE_MAX + 8];
	static uint8_t out[ISCSI_VALUE_MAX];
	memcpy(val, "0x", 2);
	memset(val + 2, 'f', ISCSI_VALUE_MAX - 2);
	val[ISCSI_VALUE_MAX] = '\0';
	assert_int_equal(iscsi_text_binary(val, out, sizeof(out)), (ISCSI_VALUE_MAX - 2) / 2);
	/* Longer than any value the parser lets through. */
	memset(val + 2, 'f', ISCSI_VALUE_MAX);
	val[ISCSI_VALUE_MAX + 2] = '\0';
	assert_int_equal(iscsi_text_binary(val, out, sizeof(out)), -1);
}

static void test_hex_encode(void **state)
{
	char out[16];
	uint8_t back[8];
	static const uint8_t in[3] = { 0x00, 0xab, 0x7f };
	assert_int_equal(iscsi_text_hex(in, 3, out, sizeof(out)), 0);
	assert_string_equal(out, "0x00ab7f");
	assert_int_equal(iscsi_text_binary(out, back, sizeof(back)), 3);
	assert_memory_equal(back, in, 3);
	/* "0x" + 6 digits + NUL = 9 bytes exactly. */
	assert_int_equal(iscsi_text_hex(in, 3, out, 9), 0);
	assert_int_equal(iscsi_text_hex(in, 3, out, 8), -1);
	assert_int_equal(iscsi_text_hex(in, 0, out, sizeof(out)), -1);
	assert_int_equal(iscsi_text_hex(in, 1, out, 2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_parse_no_trailing_nul_uses_spare),
		cmocka_unit_test(test_parse_single_unterminated),
		cmocka_unit_test(test_parse_padding_ignored),
		cmocka_unit_test(test_parse_empty_pair_in_middle),
		cmocka_unit_test(test_parse_leading_nul),
		cmocka_unit_test(test_parse_missing_equals),
		cmocka_unit_test(test_parse_empty_key),
		cmocka_unit_test(test_parse_empty_value_ok),
		cmocka_unit_test(test_parse_value_with_equals),
		cmocka_unit_test(test_parse_key_length),
		cmocka_unit_test(test_parse_key_alphabet),
		cmocka_unit_test(test_parse_value_length),
		cmocka_unit_test(test_parse_value_any_bytes),
		cmocka_unit_test(test_parse_max_pairs),
		cmocka_unit_test(test_parse_many_pairs),
		cmocka_unit_test(test_parse_null_err_ok),
		cmocka_unit_test(test_builder),
		cmocka_unit_test(test_builder_exact_fit_and_overflow),
		cmocka_unit_test(test_builder_addf_too_long),
		cmocka_unit_test(test_number_decimal),
		cmocka_unit_test(test_number_max),
		cmocka_unit_test(test_number_hex),
		cmocka_unit_test(test_number_base64),
		cmocka_unit_test(test_binary_hex),
		cmocka_unit_test(test_binary_hex_bad),
		cmocka_unit_test(test_binary_capacity),
		cmocka_unit_test(test_binary_base64),
		cmocka_unit_test(test_binary_base64_bad),
		cmocka_unit_test(test_binary_long_value),
		cmocka_unit_test(test_hex_encode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
