/* CHAP authentication for the login's security stage (RFC 7143 12.1.3 and
 * RFC 1994), with the digests Linux initiators offer: MD5 (CHAP_A=5), SHA-1
 * (6), SHA-256 (7) and SHA3-256 (8), computed with OpenSSL libcrypto. */
#ifndef TANDEM_ISCSI_CHAP_H
#define TANDEM_ISCSI_CHAP_H

#include <stddef.h>
#include <stdint.h>

#define CHAP_DIGEST_MAX 32
#define CHAP_CHALLENGE_LEN 16		/* bytes the target sends */
#define CHAP_CHALLENGE_MAX 1024		/* bytes accepted from an initiator */
#define CHAP_SECRET_MAX 256

enum chap_alg {
	CHAP_ALG_MD5 = 5,
	CHAP_ALG_SHA1 = 6,
	CHAP_ALG_SHA256 = 7,
	CHAP_ALG_SHA3_256 = 8,
};

/* Picks the first algorithm we support from the initiator's CHAP_A list
 * ("5,7" ...). Returns it, or -1 if none is acceptable. */
int chap_select_alg(const char *list);

/* Digest length in bytes for alg, or 0 if alg is unknown. */
size_t chap_digest_len(int alg);

/* response = H(id || secret || challenge). Returns the digest length, or
 * -1 (unknown alg, libcrypto failure). */
int chap_digest(int alg, uint8_t id, const char *secret, size_t secret_len,
		const uint8_t *challenge, size_t challenge_len,
		uint8_t out[CHAP_DIGEST_MAX]);

/* The target's side of one CHAP exchange. */
struct chap_target {
	int alg;
	uint8_t id;
	uint8_t challenge[CHAP_CHALLENGE_LEN];
};

/* Fills a fresh random id and challenge (RAND_bytes). 0 or -1. */
int chap_target_challenge(struct chap_target *c, int alg);

/* Checks the initiator's CHAP_N/CHAP_R against the expected user and
 * secret, in constant time for the digest. Returns 0 if they match, -1
 * with err saying which part failed (no secret in the message). */
int chap_target_verify(const struct chap_target *c, const char *user,
		       const char *secret, const char *chap_n,
		       const char *chap_r, char *err, size_t errlen);

/* Mutual CHAP: computes the target's CHAP_R for the initiator's CHAP_I and
 * CHAP_C (hex or base64 text), into out as "0x..." text. Refuses (-1, err)
 * a challenge identical to the one the target sent (reflection attack), a
 * malformed id or challenge, or a too-short challenge. */
int chap_target_answer(const struct chap_target *c, const char *secret,
		       const char *chap_i, const char *chap_c, char *out,
		       size_t outcap, char *err, size_t errlen);

#endif
