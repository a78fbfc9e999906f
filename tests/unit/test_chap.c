/* CHAP: algorithm choice, known digests (expected values computed with
 * `openssl dgst` over id || secret || challenge), the target's check of the
 * initiator and its mutual answer, including the reflection refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "iscsi/chap.h"
#include "iscsi/text.h"

#define SECRET "secret-12345"
#define USER "iqn.1994-05.com.redhat:client"

static char err[256];

/* printf '\x01secret-12345' + bytes 00..0f | openssl dgst -ALG */
#define MD5_R "0xb27bd3bb962b70aa0bc50878a9ee1e38"
#define SHA1_R "0xb26cc39d0ada46b11553d5748597bb2d1877ccc1"
#define SHA256_R "0xc22222c022c9eaf313a7e9c5393c41cdcee2496a6567ff3be82a7ae0ffb716b6"
#define SHA3_R "0x53288ffbbc8db69b25a07c2506b8f0146dd4ed44ecc1808b54e8908ac27deba9"

/* A target exchange with a fixed id and challenge, as if from
 * chap_target_challenge(). */
static void fixed_target(struct chap_target *c, int alg)
{
	c->alg = alg;
	c->id = 1;
	for (int i = 0; i < CHAP_CHALLENGE_LEN; i++)
		c->challenge[i] = (uint8_t)i;
}

static void assert_err_has(const char *what)
{
	if (!strstr(err, what))
		fail_msg("error \"%s\" does not mention \"%s\"", err, what);
	if (strstr(err, SECRET) || strstr(err, "mutual-secret"))
		fail_msg("error \"%s\" leaks the secret", err);
}

static void test_select_alg(void **state)
{
	assert_int_equal(chap_select_alg("5"), CHAP_ALG_MD5);
	assert_int_equal(chap_select_alg("7,5"), CHAP_ALG_SHA256);
	assert_int_equal(chap_select_alg("8,7,6,5"), CHAP_ALG_SHA3_256);
	assert_int_equal(chap_select_alg("6"), CHAP_ALG_SHA1);
	assert_int_equal(chap_select_alg("1,2,5"), CHAP_ALG_MD5);
	assert_int_equal(chap_select_alg("x,7"), CHAP_ALG_SHA256);
	assert_int_equal(chap_select_alg("9,10"), -1);
	assert_int_equal(chap_select_alg("55,05,5x"), -1);
	assert_int_equal(chap_select_alg(""), -1);
	assert_int_equal(chap_select_alg(","), -1);
	assert_int_equal(chap_select_alg(NULL), -1);
}

static void test_digest_len(void **state)
{
	assert_int_equal(chap_digest_len(CHAP_ALG_MD5), 16);
	assert_int_equal(chap_digest_len(CHAP_ALG_SHA1), 20);
	assert_int_equal(chap_digest_len(CHAP_ALG_SHA256), 32);
	assert_int_equal(chap_digest_len(CHAP_ALG_SHA3_256), 32);
	assert_int_equal(chap_digest_len(0), 0);
	assert_int_equal(chap_digest_len(9), 0);
}

static void expect_digest(int alg, const char *hex)
{
	uint8_t chal[16], out[CHAP_DIGEST_MAX], want[CHAP_DIGEST_MAX];
	for (int i = 0; i < 16; i++)
		chal[i] = (uint8_t)i;
	int len = chap_digest(alg, 1, SECRET, strlen(SECRET), chal, sizeof(chal), out);
	assert_int_equal(len, (int)chap_digest_len(alg));
	assert_int_equal(iscsi_text_binary(hex, want, sizeof(want)), len);
	assert_memory_equal(out, want, (size_t)len);
}

static void test_known_digests(void **state)
{
	expect_digest(CHAP_ALG_MD5, MD5_R);
	expect_digest(CHAP_ALG_SHA1, SHA1_R);
	expect_digest(CHAP_ALG_SHA256, SHA256_R);
	expect_digest(CHAP_ALG_SHA3_256, SHA3_R);
}

static void test_digest_unknown_alg(void **state)
{
	uint8_t out[CHAP_DIGEST_MAX];
	assert_int_equal(chap_digest(4, 1, "s", 1, (const uint8_t *)"c", 1, out), -1);
}

/* The id is part of the hash: a replay under another id must not match. */
static void test_digest_depends_on_id(void **state)
{
	uint8_t a[CHAP_DIGEST_MAX], b[CHAP_DIGEST_MAX];
	static const uint8_t chal[16];
	assert_int_equal(chap_digest(CHAP_ALG_MD5, 1, "s", 1, chal, 16, a), 16);
	assert_int_equal(chap_digest(CHAP_ALG_MD5, 2, "s", 1, chal, 16, b), 16);
	assert_memory_not_equal(a, b, 16);
}

static void test_challenge_random(void **state)
{
	struct chap_target a, b;
	assert_int_equal(chap_target_challenge(&a, CHAP_ALG_SHA256), 0);
	assert_int_equal(chap_target_challenge(&b, CHAP_ALG_SHA256), 0);
	assert_int_equal(a.alg, CHAP_ALG_SHA256);
	assert_memory_not_equal(a.challenge, b.challenge, CHAP_CHALLENGE_LEN);
	assert_int_equal(chap_target_challenge(&a, 3), -1);
}

static void test_verify_md5_success(void **state)
{
	struct chap_target c;
	fixed_target(&c, CHAP_ALG_MD5);
	assert_int_equal(chap_target_verify(&c, USER, SECRET, USER, MD5_R, err, sizeof(err)), 0);
	/* Upper-case hex digits and prefix are the same value. */
	assert_int_equal(chap_target_verify(&c, USER, SECRET, USER,
					    "0XB27BD3BB962B70AA0BC50878A9EE1E38", err,
					    sizeof(err)), 0);
}

static void test_verify_base64_response(void **state)
{
	struct chap_target c;
	fixed_target(&c, CHAP_ALG_MD5);
	/* base64 of b27bd3bb962b70aa0bc50878a9ee1e38 */
	assert_int_equal(chap_target_verify(&c, USER, SECRET, USER,
					    "0bsnvTu5YrcKoLxQh4qe4eOA==", err, sizeof(err)), 0);
}

static void test_verify_wrong_user(void **state)
{
	struct chap_target c;
	fixed_target(&c, CHAP_ALG_MD5);
	err[0] = '\0';
	assert_int_equal(chap_target_verify(&c, USER, SECRET, "iqn.other", MD5_R, err,
					    sizeof(err)), -1);
	assert_err_has("CHAP_N");
	assert_int_equal(chap_target_verify(&c, USER, SECRET, USER "x", MD5_R, err,
					    sizeof(err)), -1);
	assert_int_equal(chap_target_verify(&c, USER, SECRET, NULL, MD5_R, err,
					    sizeof(err)), -1);
}

static void test_verify_wrong_secret(void **state)
{
	struct chap_target c;
	fixed_target(&c, CHAP_ALG_MD5);
	assert_int_equal(chap_target_verify(&c, USER, "secret-12346", USER, MD5_R, err,
					    sizeof(err)), -1);
	assert_err_has("CHAP_R");
	assert_true(strstr(err, "secret-12346") == NULL);
}

static void test_verify_wrong_id_or_challenge(void **state)
{
	struct chap_target c;
	fixed_target(&c, CHAP_ALG_MD5);
	c.id = 2;
	assert_int_equal(chap_target_verify(&c, USER, SECRET, USER, MD5_R, err, sizeof(err)), -1);
	fixed_target(&c, CHAP_ALG_MD5);
	c.challenge[15] ^= 1;
	assert_int_equal(chap_target_verify(&c, USER, SECRET, USER, MD5_R, err, sizeof(err)), -1);
}

static void test_verify_malformed_response(void **state)
{
	struct chap_target c;
	fixed_target(&c, CHAP_ALG_MD5);
	static const char *bad[] = {
		"", "b27bd3bb962b70aa0bc50878a9ee1e38", "0xzz7bd3bb962b70aa0bc50878a9ee1e38",
		"0x", "0b", "0b!!!!",
		"0xb27bd3bb962b70aa0bc50878a9ee1e",		/* 15 bytes */
		"0xb27bd3bb962b70aa0bc50878a9ee1e3800",		/* 17 bytes */
		"0x00b27bd3bb962b70aa0bc50878a9ee1e38",		/* leading zero byte */
		SHA256_R "00",					/* over CHAP_DIGEST_MAX */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (chap_target_verify(&c, USER, SECRET, USER, bad[i], err, sizeof(err)) != -1)
			fail_msg("CHAP_R=\"%s\" accepted", bad[i]);
		assert_err_has("CHAP_R");
	}
	assert_int_equal(chap_target_verify(&c, USER, SECRET, USER, NULL, err, sizeof(err)), -1);
	assert_err_has("CHAP_R");
}

static void test_verify_refuses_empty_secret(void **state)
{
	struct chap_target c;
	fixed_target(&c, CHAP_ALG_MD5);
	/* MD5(0x01 || "" || 00..0f) would otherwise let anyone in. */
	uint8_t d[CHAP_DIGEST_MAX];
	char hex[2 * CHAP_DIGEST_MAX + 3];
	assert_int_equal(chap_digest(CHAP_ALG_MD5, 1, "", 0, c.challenge, 16, d), 16);
	assert_int_equal(iscsi_text_hex(d, 16, hex, sizeof(hex)), 0);
	assert_int_equal(chap_target_verify(&c, USER, "", USER, hex, err, sizeof(err)), -1);
	assert_err_has("secret");
	assert_int_equal(chap_target_verify(&c, USER, NULL, USER, hex, err, sizeof(err)), -1);
}

static void test_verify_sha256(void **state)
{
	struct chap_target c;
	fixed_target(&c, CHAP_ALG_SHA256);
	assert_int_equal(chap_target_verify(&c, USER, SECRET, USER, SHA256_R, err, sizeof(err)), 0);
	assert_int_equal(chap_target_verify(&c, USER, "other", USER, SHA256_R, err, sizeof(err)), -1);
	/* An MD5-sized answer to a SHA-256 challenge. */
	assert_int_equal(chap_target_verify(&c, USER, SECRET, USER, MD5_R, err, sizeof(err)), -1);
	assert_err_has("16 bytes");
}

static void test_verify_sha1_and_sha3(void **state)
{
	struct chap_target c;
	fixed_target(&c, CHAP_ALG_SHA1);
	assert_int_equal(chap_target_verify(&c, USER, SECRET, USER, SHA1_R, err, sizeof(err)), 0);
	fixed_target(&c, CHAP_ALG_SHA3_256);
	assert_int_equal(chap_target_verify(&c, USER, SECRET, USER, SHA3_R, err, sizeof(err)), 0);
	assert_int_equal(chap_target_verify(&c, USER, SECRET, USER, SHA256_R, err, sizeof(err)), -1);
}

/* A whole exchange with a random challenge, the initiator's side done with
 * chap_digest(). */
static void test_round_trip_random(void **state)
{
	struct chap_target c;
	uint8_t d[CHAP_DIGEST_MAX];
	char hex[2 * CHAP_DIGEST_MAX + 3];
	assert_int_equal(chap_target_challenge(&c, CHAP_ALG_SHA256), 0);
	assert_int_equal(chap_digest(c.alg, c.id, SECRET, strlen(SECRET), c.challenge,
				     CHAP_CHALLENGE_LEN, d), 32);
	assert_int_equal(iscsi_text_hex(d, 32, hex, sizeof(hex)), 0);
	assert_int_equal(chap_target_verify(&c, USER, SECRET, USER, hex, err, sizeof(err)), 0);
}

/* printf '\x2amutual-secret-9' + f0..ff 10 11 | openssl dgst -sha256 / -md5 */
#define MUTUAL_SECRET "mutual-secret-9"
#define MUTUAL_C_HEX "0xf0f1f2f3f4f5f6f7f8f9fafbfcfdfeff1011"
#define MUTUAL_C_B64 "0b8PHy8/T19vf4+fr7/P3+/xAR"

static void test_mutual_answer_sha256(void **state)
{
	struct chap_target c;
	char out[2 * CHAP_DIGEST_MAX + 3];
	fixed_target(&c, CHAP_ALG_SHA256);
	assert_int_equal(chap_target_answer(&c, MUTUAL_SECRET, "42", MUTUAL_C_HEX, out,
					    sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out,
		"0xfa6d10e9d6feb1d23f8cb19a5d8af6b9a6a9d81f3e1e7c19cc1e9faab45b1325");
	/* Same challenge in base64, id in hex. */
	assert_int_equal(chap_target_answer(&c, MUTUAL_SECRET, "0x2a", MUTUAL_C_B64, out,
					    sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out,
		"0xfa6d10e9d6feb1d23f8cb19a5d8af6b9a6a9d81f3e1e7c19cc1e9faab45b1325");
}

static void test_mutual_answer_md5(void **state)
{
	struct chap_target c;
	char out[2 * CHAP_DIGEST_MAX + 3];
	fixed_target(&c, CHAP_ALG_MD5);
	assert_int_equal(chap_target_answer(&c, MUTUAL_SECRET, "42", MUTUAL_C_HEX, out,
					    sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "0xe3db9ebd59d7a6b09cace29aab32935f");
	/* Exactly big enough: "0x" + 32 digits + NUL. */
	assert_int_equal(chap_target_answer(&c, MUTUAL_SECRET, "42", MUTUAL_C_HEX, out,
					    35, err, sizeof(err)), 0);
	assert_int_equal(chap_target_answer(&c, MUTUAL_SECRET, "42", MUTUAL_C_HEX, out,
					    34, err, sizeof(err)), -1);
}

static void test_mutual_reflection_refused(void **state)
{
	struct chap_target c;
	char out[2 * CHAP_DIGEST_MAX + 3];
	char chal[2 * CHAP_CHALLENGE_LEN + 3];
	assert_int_equal(chap_target_challenge(&c, CHAP_ALG_SHA256), 0);
	assert_int_equal(iscsi_text_hex(c.challenge, CHAP_CHALLENGE_LEN, chal, sizeof(chal)), 0);
	err[0] = '\0';
	assert_int_equal(chap_target_answer(&c, MUTUAL_SECRET, "1", chal, out, sizeof(out),
					    err, sizeof(err)), -1);
	assert_err_has("reflection");

	/* The same bytes spelled in base64 are the same challenge. */
	fixed_target(&c, CHAP_ALG_MD5);
	assert_int_equal(chap_target_answer(&c, MUTUAL_SECRET, "1",
					    "0bAAECAwQFBgcICQoLDA0ODw==", out, sizeof(out),
					    err, sizeof(err)), -1);
	assert_err_has("reflection");

	/* One byte different is a different challenge. */
	assert_int_equal(chap_target_answer(&c, MUTUAL_SECRET, "1",
					    "0x000102030405060708090a0b0c0d0e0e", out, sizeof(out),
					    err, sizeof(err)), 0);
}

static void test_mutual_bad_input(void **state)
{
	struct chap_target c;
	char out[2 * CHAP_DIGEST_MAX + 3];
	fixed_target(&c, CHAP_ALG_SHA256);

	static const char *bad_id[] = { "256", "-1", "x", "", "01", "0x100" };
	for (size_t i = 0; i < sizeof(bad_id) / sizeof(bad_id[0]); i++) {
		if (chap_target_answer(&c, MUTUAL_SECRET, bad_id[i], MUTUAL_C_HEX, out,
				       sizeof(out), err, sizeof(err)) != -1)
			fail_msg("CHAP_I=\"%s\" accepted", bad_id[i]);
		assert_err_has("CHAP_I");
	}
	assert_int_equal(chap_target_answer(&c, MUTUAL_SECRET, NULL, MUTUAL_C_HEX, out,
					    sizeof(out), err, sizeof(err)), -1);
	assert_int_equal(chap_target_answer(&c, MUTUAL_SECRET, "255", MUTUAL_C_HEX, out,
					    sizeof(out), err, sizeof(err)), 0);

	static const char *bad_c[] = { "", "0x", "0xzz", "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", "0b!" };
	for (size_t i = 0; i < sizeof(bad_c) / sizeof(bad_c[0]); i++) {
		if (chap_target_answer(&c, MUTUAL_SECRET, "1", bad_c[i], out, sizeof(out),
				       err, sizeof(err)) != -1)
			fail_msg("CHAP_C=\"%s\" accepted", bad_c[i]);
		assert_err_has("CHAP_C");
	}
	assert_int_equal(chap_target_answer(&c, MUTUAL_SECRET, "1", NULL, out, sizeof(out),
					    err, sizeof(err)), -1);

	/* Too short: 15 bytes. */
	assert_int_equal(chap_target_answer(&c, MUTUAL_SECRET, "1",
					    "0xf0f1f2f3f4f5f6f7f8f9fafbfcfdfe", out, sizeof(out),
					    err, sizeof(err)), -1);
	assert_err_has("at least");

	assert_int_equal(chap_target_answer(&c, "", "1", MUTUAL_C_HEX, out, sizeof(out),
					    err, sizeof(err)), -1);
	assert_err_has("secret");
}

static void test_mutual_challenge_length_limit(void **state)
{
	struct chap_target c;
	char out[2 * CHAP_DIGEST_MAX + 3];
	static char chal[2 * CHAP_CHALLENGE_MAX + 8];
	fixed_target(&c, CHAP_ALG_SHA256);

	memcpy(chal, "0x", 2);
	memset(chal + 2, 'a', 2 * CHAP_CHALLENGE_MAX);
	chal[2 + 2 * CHAP_CHALLENGE_MAX] = '\0';
	assert_int_equal(chap_target_answer(&c, MUTUAL_SECRET, "1", chal, out, sizeof(out),
					    err, sizeof(err)), 0);
	memset(chal + 2, 'a', 2 * CHAP_CHALLENGE_MAX + 2);
	chal[4 + 2 * CHAP_CHALLENGE_MAX] = '\0';
	assert_int_equal(chap_target_answer(&c, MUTUAL_SECRET, "1", chal, out, sizeof(out),
					    err, sizeof(err)), -1);
	assert_err_has("CHAP_C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_alg),
		cmocka_unit_test(test_digest_len),
		cmocka_unit_test(test_known_digests),
		cmocka_unit_test(test_digest_unknown_alg),
		cmocka_unit_test(test_digest_depends_on_id),
		cmocka_unit_test(test_challenge_random),
		cmocka_unit_test(test_verify_md5_success),
		cmocka_unit_test(test_verify_base64_response),
		cmocka_unit_test(test_verify_wrong_user),
		cmocka_unit_test(test_verify_wrong_secret),
		cmocka_unit_test(test_verify_wrong_id_or_challenge),
		cmocka_unit_test(test_verify_malformed_response),
		cmocka_unit_test(test_verify_refuses_empty_secret),
		cmocka_unit_test(test_verify_sha256),
		cmocka_unit_test(test_verify_sha1_and_sha3),
		cmocka_unit_test(test_round_trip_random),
		cmocka_unit_test(test_mutual_answer_sha256),
		cmocka_unit_test(test_mutual_answer_md5),
		cmocka_unit_test(test_mutual_reflection_refused),
		cmocka_unit_test(test_mutual_bad_input),
		cmocka_unit_test(test_mutual_challenge_length_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
