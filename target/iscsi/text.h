/* iSCSI text: key=value pairs, each NUL-terminated (RFC 7143 6.1), as
 * carried by Login and Text PDUs. Parsing works in place on a buffer the
 * caller owns, and never trusts the segment's length or termination. */
#ifndef TANDEM_ISCSI_TEXT_H
#define TANDEM_ISCSI_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define ISCSI_KEY_MAX 63	/* RFC 7143 6.1: key names at most 63 bytes */
#define ISCSI_VALUE_MAX 8192	/* RFC 7143 6.1: values at most 8192 bytes */
#define ISCSI_TEXT_MAX_PAIRS 128

struct iscsi_kv {
	const char *key;	/* point into the parsed buffer */
	const char *val;
};

/* Splits buf[0,len) into pairs. The last pair may lack its NUL only if
 * buf has room for one at buf[len] (the caller keeps one spare byte);
 * trailing NUL padding is ignored. Returns the number of pairs, or -1 with
 * err naming the fault: a pair without '=', an empty, over-long or
 * non-printable key, an over-long value, more than max pairs. */
int iscsi_text_parse(char *buf, size_t len, struct iscsi_kv *kv, int max,
		     char *err, size_t errlen);

/* An output buffer of pairs; grows up to cap and then refuses. */
struct iscsi_text {
	char *buf;
	size_t len;
	size_t cap;
	int overflow;		/* set once anything did not fit */
};

void iscsi_text_init(struct iscsi_text *t, char *buf, size_t cap);
/* Appends "key=value\0"; returns 0 or -1 (and sets overflow). */
int iscsi_text_add(struct iscsi_text *t, const char *key, const char *val);
int iscsi_text_addf(struct iscsi_text *t, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* RFC 7143 numerical values: decimal, 0x hex, or (with max 8 bytes) 0b
 * base64. Returns 0 and *out, or -1 if malformed or outside [0, max]. */
int iscsi_text_number(const char *val, uint64_t max, uint64_t *out);

/* Binary values ("0x..." hex or "0b..." base64, RFC 7143 6.1.3.3/4).
 * Returns the number of bytes decoded into out, or -1. */
int iscsi_text_binary(const char *val, uint8_t *out, size_t outcap);
/* Encodes bytes as "0x" + lowercase hex into out; -1 if it does not fit. */
int iscsi_text_hex(const uint8_t *in, size_t len, char *out, size_t outcap);

#endif
