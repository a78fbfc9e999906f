#include "iscsi/text.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/errf.h"

/* RFC 7143 6.1 key-name alphabet. Deliberately not "starts with a capital":
 * RFC 7144's own iSCSIProtocolLevel breaks that rule. The one '#' allowed
 * is the one in "X#", the prefix RFC 7143 section 13 gives public extension
 * keys (X#NodeArchitecture), which the alphabet of 6.1 leaves out. */
static bool key_char(const char *key, size_t i)
{
	unsigned char c = (unsigned char)key[i];
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' ||
	       c == '@' || c == '_' || (c == '#' && i == 1 && key[0] == 'X');
}

static bool all_nul(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

int iscsi_text_parse(char *buf, size_t len, struct iscsi_kv *kv, int max,
		     char *err, size_t errlen)
{
	int n = 0;
	size_t pos = 0;

	if (len && !buf) {
		errf(err, errlen, "text: no buffer for %zu bytes", len);
		return -1;
	}
	while (pos < len) {
		char *start = buf + pos;
		size_t avail = len - pos;

		if (*start == '\0') {
			/* Zero padding may end the segment, but an empty pair
			 * between two pairs is a malformed segment. */
			if (all_nul(start, avail))
				break;
			errf(err, errlen, "text: empty pair at offset %zu", pos);
			return -1;
		}
		char *end = memchr(start, '\0', avail);
		if (!end) {
			end = buf + len;	/* the caller's spare byte */
			*end = '\0';
		}
		size_t pairlen = (size_t)(end - start);
		char *eq = memchr(start, '=', pairlen);
		if (!eq) {
			errf(err, errlen, "text: pair at offset %zu has no '='", pos);
			return -1;
		}
		size_t keylen = (size_t)(eq - start);
		if (keylen == 0) {
			errf(err, errlen, "text: empty key at offset %zu", pos);
			return -1;
		}
		if (keylen > ISCSI_KEY_MAX) {
			errf(err, errlen, "text: key at offset %zu is %zu bytes, over %d",
			       pos, keylen, ISCSI_KEY_MAX);
			return -1;
		}
		for (size_t i = 0; i < keylen; i++) {
			if (!key_char(start, i)) {
				errf(err, errlen,
				       "text: key at offset %zu has byte 0x%02x outside the key alphabet",
				       pos, (unsigned char)start[i]);
				return -1;
			}
		}
		size_t vallen = pairlen - keylen - 1;
		if (vallen > ISCSI_VALUE_MAX) {
			*eq = '\0';
			errf(err, errlen, "text: value of %s is %zu bytes, over %d",
			       start, vallen, ISCSI_VALUE_MAX);
			return -1;
		}
		if (n >= max) {
			errf(err, errlen, "text: more than %d pairs", max);
			return -1;
		}
		*eq = '\0';
		kv[n].key = start;
		kv[n].val = eq + 1;
		n++;
		pos += pairlen + 1;
	}
	return n;
}

void iscsi_text_init(struct iscsi_text *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->len = 0;
	t->cap = buf ? cap : 0;
	t->overflow = 0;
}

int iscsi_text_add(struct iscsi_text *t, const char *key, const char *val)
{
	/* Once something was dropped, the rest is refused too: a response
	 * with a hole in it would answer some keys and silently skip others. */
	if (t->overflow)
		return -1;
	size_t kl = strlen(key), vl = strlen(val);
	size_t need = kl + 1 + vl + 1;
	if (need > t->cap - t->len) {
		t->overflow = 1;
		return -1;
	}
	char *p = t->buf + t->len;
	memcpy(p, key, kl);
	p[kl] = '=';
	memcpy(p + kl + 1, val, vl);
	p[kl + 1 + vl] = '\0';
	t->len += need;
	return 0;
}

int iscsi_text_addf(struct iscsi_text *t, const char *key, const char *fmt, ...)
{
	char val[ISCSI_VALUE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	int r = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(val)) {
		t->overflow = 1;
		return -1;
	}
	return iscsi_text_add(t, key, val);
}

static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int b64_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Length of s, but gives up past max: values come from the network and a
 * caller might hand us one without its NUL. */
static size_t bounded_len(const char *s, size_t max)
{
	return strnlen(s, max + 1);
}

static int decode_hex(const char *s, size_t n, uint8_t *out, size_t outcap)
{
	size_t bytes = (n + 1) / 2;
	if (n == 0 || bytes > outcap)
		return -1;
	/* An odd count means a leading zero nibble (RFC 7143 6.1: n digits
	 * make (n + 1) / 2 bytes). */
	size_t i = 0, o = 0;
	if (n & 1) {
		int d = hex_digit((unsigned char)s[i++]);
		if (d < 0)
			return -1;
		out[o++] = (uint8_t)d;
	}
	while (i < n) {
		int hi = hex_digit((unsigned char)s[i]);
		int lo = hex_digit((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[o++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return (int)o;
}

/* RFC 4648 base64, canonical form only: padded to a multiple of four, '='
 * only at the end, unused bits zero. Lenient decoders of secrets invite
 * several spellings of one value. */
static int decode_b64(const char *s, size_t n, uint8_t *out, size_t outcap)
{
	if (n == 0 || n % 4)
		return -1;
	size_t pad = 0;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	size_t bytes = n / 4 * 3 - pad;
	if (bytes > outcap)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		bool last = i + 4 == n;
		int d[4];
		for (int j = 0; j < 4; j++) {
			bool is_pad = last && j >= 4 - (int)pad;
			d[j] = is_pad ? 0 : b64_digit((unsigned char)s[i + j]);
			if (d[j] < 0)
				return -1;
		}
		uint32_t v = (uint32_t)d[0] << 18 | (uint32_t)d[1] << 12 |
			     (uint32_t)d[2] << 6 | (uint32_t)d[3];
		if (last && pad == 2 && (v & 0xffff))
			return -1;
		if (last && pad == 1 && (v & 0xff))
			return -1;
		out[o++] = (uint8_t)(v >> 16);
		if (!(last && pad == 2))
			out[o++] = (uint8_t)(v >> 8);
		if (!(last && pad))
			out[o++] = (uint8_t)v;
	}
	return (int)o;
}

int iscsi_text_number(const char *val, uint64_t max, uint64_t *out)
{
	if (!val)
		return -1;
	size_t n = bounded_len(val, ISCSI_VALUE_MAX);
	if (n == 0 || n > ISCSI_VALUE_MAX)
		return -1;

	uint64_t v = 0;
	if (n > 2 && val[0] == '0' && (val[1] == 'x' || val[1] == 'X')) {
		for (size_t i = 2; i < n; i++) {
			int d = hex_digit((unsigned char)val[i]);
			if (d < 0 || v > (UINT64_MAX >> 4))
				return -1;
			v = v << 4 | (uint64_t)d;
		}
	} else if (n > 2 && val[0] == '0' && (val[1] == 'b' || val[1] == 'B')) {
		uint8_t bytes[8];
		int nb = decode_b64(val + 2, n - 2, bytes, sizeof(bytes));
		if (nb <= 0)
			return -1;
		for (int i = 0; i < nb; i++)
			v = v << 8 | bytes[i];
	} else {
		/* RFC 7143 decimal-constant: "0", or 1-9 then digits. */
		if (val[0] == '0' && n > 1)
			return -1;
		for (size_t i = 0; i < n; i++) {
			if (val[i] < '0' || val[i] > '9')
				return -1;
			uint64_t d = (uint64_t)(val[i] - '0');
			if (v > (UINT64_MAX - d) / 10)
				return -1;
			v = v * 10 + d;
		}
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int iscsi_text_binary(const char *val, uint8_t *out, size_t outcap)
{
	if (!val)
		return -1;
	size_t n = bounded_len(val, ISCSI_VALUE_MAX);
	if (n < 3 || n > ISCSI_VALUE_MAX || val[0] != '0')
		return -1;
	if (val[1] == 'x' || val[1] == 'X')
		return decode_hex(val + 2, n - 2, out, outcap);
	if (val[1] == 'b' || val[1] == 'B')
		return decode_b64(val + 2, n - 2, out, outcap);
	return -1;
}

int iscsi_text_hex(const uint8_t *in, size_t len, char *out, size_t outcap)
{
	static const char digits[] = "0123456789abcdef";

	/* "0x" alone is no hex-constant (RFC 7143 6.1 wants a digit). */
	if (len == 0 || outcap < 3 || len > (outcap - 3) / 2)
		return -1;
	out[0] = '0';
	out[1] = 'x';
	for (size_t i = 0; i < len; i++) {
		out[2 + 2 * i] = digits[in[i] >> 4];
		out[3 + 2 * i] = digits[in[i] & 15];
	}
	out[2 + 2 * len] = '\0';
	return 0;
}
