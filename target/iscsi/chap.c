#include "iscsi/chap.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/errf.h"
#include "iscsi/text.h"

static const EVP_MD *chap_md(int alg)
{
	switch (alg) {
	case CHAP_ALG_MD5:
		return EVP_md5();
	case CHAP_ALG_SHA1:
		return EVP_sha1();
	case CHAP_ALG_SHA256:
		return EVP_sha256();
	case CHAP_ALG_SHA3_256:
		return EVP_sha3_256();
	default:
		return NULL;
	}
}

size_t chap_digest_len(int alg)
{
	switch (alg) {
	case CHAP_ALG_MD5:
		return 16;
	case CHAP_ALG_SHA1:
		return 20;
	case CHAP_ALG_SHA256:
	case CHAP_ALG_SHA3_256:
		return 32;
	default:
		return 0;
	}
}

int chap_select_alg(const char *list)
{
	if (!list)
		return -1;
	const char *p = list;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		/* Every algorithm we know is one decimal digit; anything
		 * longer (leading zeros, 3-digit IANA numbers) is not ours. */
		if (len == 1 && chap_digest_len(p[0] - '0'))
			return p[0] - '0';
		if (!comma)
			return -1;
		p = comma + 1;
	}
}

int chap_digest(int alg, uint8_t id, const char *secret, size_t secret_len,
		const uint8_t *challenge, size_t challenge_len,
		uint8_t out[CHAP_DIGEST_MAX])
{
	const EVP_MD *md = chap_md(alg);
	if (!md)
		return -1;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -1;
	unsigned int len = 0;
	int ok = EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
		 EVP_DigestUpdate(ctx, &id, 1) == 1 &&
		 EVP_DigestUpdate(ctx, secret, secret_len) == 1 &&
		 EVP_DigestUpdate(ctx, challenge, challenge_len) == 1 &&
		 EVP_DigestFinal_ex(ctx, out, &len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok || len != chap_digest_len(alg))
		return -1;
	return (int)len;
}

int chap_target_challenge(struct chap_target *c, int alg)
{
	if (!chap_digest_len(alg))
		return -1;
	c->alg = alg;
	if (RAND_bytes(&c->id, 1) != 1 ||
	    RAND_bytes(c->challenge, sizeof(c->challenge)) != 1)
		return -1;
	return 0;
}

/* The secret from the config, bounded: a missing or empty secret must never
 * authenticate anyone. */
static int secret_len(const char *secret, size_t *len)
{
	if (!secret)
		return -1;
	*len = strnlen(secret, CHAP_SECRET_MAX + 1);
	return *len == 0 || *len > CHAP_SECRET_MAX ? -1 : 0;
}

int chap_target_verify(const struct chap_target *c, const char *user,
		       const char *secret, const char *chap_n,
		       const char *chap_r, char *err, size_t errlen)
{
	uint8_t got[CHAP_DIGEST_MAX], want[CHAP_DIGEST_MAX];
	size_t slen, dlen = chap_digest_len(c->alg);

	if (!dlen) {
		errf(err, errlen, "CHAP: algorithm %d not supported", c->alg);
		return -1;
	}
	if (secret_len(secret, &slen) < 0) {
		errf(err, errlen, "CHAP: no usable secret configured (empty or over %d bytes)",
		       CHAP_SECRET_MAX);
		return -1;
	}
	if (!user || !chap_n || strcmp(user, chap_n) != 0) {
		errf(err, errlen, "CHAP_N: \"%.64s\" is not the expected user",
		       chap_n ? chap_n : "(missing)");
		return -1;
	}
	if (!chap_r) {
		errf(err, errlen, "CHAP_R: missing");
		return -1;
	}
	int glen = iscsi_text_binary(chap_r, got, sizeof(got));
	if (glen < 0) {
		errf(err, errlen, "CHAP_R: not a hex or base64 value of at most %d bytes",
		       CHAP_DIGEST_MAX);
		return -1;
	}
	if ((size_t)glen != dlen) {
		errf(err, errlen, "CHAP_R: %d bytes, algorithm %d needs %zu",
		       glen, c->alg, dlen);
		return -1;
	}
	if (chap_digest(c->alg, c->id, secret, slen, c->challenge,
			sizeof(c->challenge), want) < 0) {
		errf(err, errlen, "CHAP: digest computation failed");
		return -1;
	}
	int diff = CRYPTO_memcmp(got, want, dlen);
	OPENSSL_cleanse(want, sizeof(want));
	if (diff) {
		errf(err, errlen, "CHAP_R: response does not match (wrong secret)");
		return -1;
	}
	return 0;
}

int chap_target_answer(const struct chap_target *c, const char *secret,
		       const char *chap_i, const char *chap_c, char *out,
		       size_t outcap, char *err, size_t errlen)
{
	uint8_t chal[CHAP_CHALLENGE_MAX], digest[CHAP_DIGEST_MAX];
	uint64_t id;
	size_t slen;

	if (!chap_digest_len(c->alg)) {
		errf(err, errlen, "CHAP: algorithm %d not supported", c->alg);
		return -1;
	}
	if (secret_len(secret, &slen) < 0) {
		errf(err, errlen,
		       "CHAP: no usable mutual secret configured (empty or over %d bytes)",
		       CHAP_SECRET_MAX);
		return -1;
	}
	if (!chap_i || iscsi_text_number(chap_i, 255, &id) < 0) {
		errf(err, errlen, "CHAP_I: \"%.64s\" is not a number in 0..255",
		       chap_i ? chap_i : "(missing)");
		return -1;
	}
	int clen = chap_c ? iscsi_text_binary(chap_c, chal, sizeof(chal)) : -1;
	if (clen < 0) {
		errf(err, errlen, "CHAP_C: not a hex or base64 value of at most %d bytes",
		       CHAP_CHALLENGE_MAX);
		return -1;
	}
	/* Shorter than our own challenge would make the initiator's check of
	 * us weaker than ours of it. */
	if (clen < CHAP_CHALLENGE_LEN) {
		errf(err, errlen, "CHAP_C: %d bytes, at least %d required",
		       clen, CHAP_CHALLENGE_LEN);
		return -1;
	}
	/* RFC 7143 12.1.3: answering our own challenge would hand an attacker
	 * the response it has to send us. */
	if (clen == CHAP_CHALLENGE_LEN && memcmp(chal, c->challenge, CHAP_CHALLENGE_LEN) == 0) {
		errf(err, errlen, "CHAP_C: identical to the target's challenge (reflection)");
		return -1;
	}
	int dlen = chap_digest(c->alg, (uint8_t)id, secret, slen, chal, (size_t)clen, digest);
	if (dlen < 0) {
		errf(err, errlen, "CHAP: digest computation failed");
		return -1;
	}
	int r = iscsi_text_hex(digest, (size_t)dlen, out, outcap);
	OPENSSL_cleanse(digest, sizeof(digest));
	if (r < 0) {
		errf(err, errlen, "CHAP_R: %zu bytes of output space, %d needed",
		       outcap, 2 * dlen + 3);
		return -1;
	}
	return 0;
}
