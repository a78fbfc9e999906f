/* Helpers the saveconfig.json parsers share: the JSON path carried into
 * every refusal, typed getters that refuse rather than coerce or truncate,
 * LIO attribute maps, CHAP credentials, iSCSI names and LIO's NAA rule. */
#include "daemon/config_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void path_append(struct cfg_ctx *c, const char *s)
{
	size_t room = sizeof(c->path) - c->plen;
	int n = snprintf(c->path + c->plen, room, "%s", s);

	if (n < 0)
		return;
	c->plen += (size_t)n < room ? (size_t)n : room - 1;
}

size_t cfg_push_key(struct cfg_ctx *c, const char *key)
{
	/* Key names come from the file: show them, but never let a control
	 * byte or an endless name reach a log line. */
	char shown[72];
	size_t mark = c->plen, i;

	for (i = 0; key[i] && i < 64; i++) {
		unsigned char ch = (unsigned char)key[i];
		shown[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	if (key[i])
		memcpy(shown + i, "...", 4);
	else
		shown[i] = '\0';
	if (c->plen)
		path_append(c, ".");
	path_append(c, shown);
	return mark;
}

size_t cfg_push_index(struct cfg_ctx *c, size_t i)
{
	char buf[32];
	size_t mark = c->plen;

	snprintf(buf, sizeof(buf), "[%zu]", i);
	path_append(c, buf);
	return mark;
}

void cfg_pop(struct cfg_ctx *c, size_t mark)
{
	if (mark < c->plen) {
		c->plen = mark;
		c->path[mark] = '\0';
	}
}

int cfg_fail(struct cfg_ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->errlen)
		snprintf(c->err, c->errlen, "%s: %s",
			 c->plen ? c->path : "(top level)", msg);
	return -1;
}

static bool in_list(const char *key, const char *const *list)
{
	for (; list && *list; list++)
		if (!strcmp(key, *list))
			return true;
	return false;
}

int cfg_check_keys(struct cfg_ctx *c, json_t *obj, const char *const *a,
		   const char *const *b)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		if (!in_list(key, a) && !in_list(key, b)) {
			cfg_push_key(c, key);
			return cfg_fail(c, "unknown key (not part of targetcli's saveconfig.json format)");
		}
	}
	return 0;
}

int cfg_expect_object(struct cfg_ctx *c, json_t *v)
{
	return json_is_object(v) ? 0 : cfg_fail(c, "must be a JSON object");
}

int cfg_str_value(struct cfg_ctx *c, json_t *v, unsigned flags, char *dst,
		  size_t cap)
{
	const char *s;
	size_t len;

	if (!json_is_string(v))
		return cfg_fail(c, "must be a string");
	s = json_string_value(v);
	len = json_string_length(v);
	if (len >= cap)
		return cfg_fail(c, "is %zu bytes long; at most %zu fit (tandem never truncates)",
				len, cap - 1);
	if ((flags & CFG_S_NONEMPTY) && len == 0)
		return cfg_fail(c, "must not be empty");
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			return cfg_fail(c, "contains a control character (byte %zu)", i);
		if ((flags & CFG_S_ASCII) && ch > 0x7e)
			return cfg_fail(c, "must be printable ASCII (byte %zu is not)", i);
		if ((flags & CFG_S_NOSPACE) && ch == ' ')
			return cfg_fail(c, "must not contain spaces");
		if ((flags & CFG_S_NOSLASH) && ch == '/')
			return cfg_fail(c, "must not contain '/'");
	}
	memcpy(dst, s, len + 1);
	return 0;
}

int cfg_uint_value(struct cfg_ctx *c, json_t *v, uint64_t min, uint64_t max,
		   uint64_t *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return cfg_fail(c, "must be an integer");
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n < min || (uint64_t)n > max)
		return cfg_fail(c, "%lld is outside %llu..%llu", (long long)n,
				(unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)n;
	return 0;
}

int cfg_get_str(struct cfg_ctx *c, json_t *obj, const char *key,
		bool required, unsigned flags, char *dst, size_t cap,
		bool *present)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = cfg_push_key(c, key);

	if (present)
		*present = v != NULL;
	if (!v) {
		if (required)
			return cfg_fail(c, "missing (required)");
	} else if (cfg_str_value(c, v, flags, dst, cap) < 0) {
		return -1;
	}
	cfg_pop(c, mark);
	return 0;
}

int cfg_get_bool(struct cfg_ctx *c, json_t *obj, const char *key, bool *dst,
		 bool *present)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = cfg_push_key(c, key);

	if (present)
		*present = v != NULL;
	if (v) {
		if (!json_is_boolean(v))
			return cfg_fail(c, "must be true or false");
		*dst = json_is_true(v);
	}
	cfg_pop(c, mark);
	return 0;
}

int cfg_get_uint(struct cfg_ctx *c, json_t *obj, const char *key,
		 bool required, uint64_t min, uint64_t max, uint64_t *dst,
		 bool *present)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = cfg_push_key(c, key);

	if (present)
		*present = v != NULL;
	if (!v) {
		if (required)
			return cfg_fail(c, "missing (required)");
	} else if (cfg_uint_value(c, v, min, max, dst) < 0) {
		return -1;
	}
	cfg_pop(c, mark);
	return 0;
}

int cfg_get_array(struct cfg_ctx *c, json_t *obj, const char *key,
		  json_t **arr)
{
	json_t *v = json_object_get(obj, key);
	size_t mark = cfg_push_key(c, key);

	*arr = NULL;
	if (v) {
		if (!json_is_array(v))
			return cfg_fail(c, "must be a list");
		if (json_array_size(v) > CFG_MAX_ENTRIES)
			return cfg_fail(c, "has %zu entries; tandem takes at most %d",
					json_array_size(v), CFG_MAX_ENTRIES);
		*arr = v;
	}
	cfg_pop(c, mark);
	return 0;
}

int cfg_check_attrs(struct cfg_ctx *c, json_t *obj,
		    const struct cfg_attr_def *defs, size_t ndefs,
		    json_t **attrs)
{
	json_t *a = json_object_get(obj, "attributes"), *v;
	size_t mark = cfg_push_key(c, "attributes"), amark = c->plen;
	const char *key;

	*attrs = NULL;
	if (!a) {
		cfg_pop(c, mark);
		return 0;
	}
	if (cfg_expect_object(c, a) < 0)
		return -1;
	json_object_foreach(a, key, v) {
		const struct cfg_attr_def *d = NULL;
		long long n;

		for (size_t i = 0; i < ndefs && !d; i++)
			if (!strcmp(defs[i].name, key))
				d = &defs[i];
		cfg_push_key(c, key);
		if (!d)
			return cfg_fail(c, "unknown attribute (LIO has none of that name)");
		if (!json_is_integer(v))
			return cfg_fail(c, "must be an integer (rtslib writes attributes as integers)");
		n = (long long)json_integer_value(v);
		if (n < d->min || n > d->max)
			return cfg_fail(c, "%lld is outside LIO's range %lld..%lld",
					n, d->min, d->max);
		cfg_pop(c, amark);
	}
	cfg_pop(c, mark);
	*attrs = a;
	return 0;
}

long long cfg_attr(json_t *attrs, const char *name, long long dflt)
{
	json_t *v = attrs ? json_object_get(attrs, name) : NULL;

	return v ? (long long)json_integer_value(v) : dflt;
}

const char *const cfg_auth_keys[] = {
	"chap_userid", "chap_password", "chap_mutual_userid",
	"chap_mutual_password", NULL,
};

int cfg_parse_auth(struct cfg_ctx *c, json_t *obj, struct cfg_auth *a)
{
	char *dst[] = { a->userid, a->password, a->mutual_userid,
			a->mutual_password };

	for (size_t i = 0; i < 4; i++)
		if (cfg_get_str(c, obj, cfg_auth_keys[i], false, 0, dst[i],
				CFG_CHAP_MAX, NULL) < 0)
			return -1;
	/* Half a credential would make every login fail in a way the
	 * initiator's log cannot explain; say it here instead. */
	for (size_t i = 0; i < 4; i += 2) {
		bool user = dst[i][0], pass = dst[i + 1][0];

		if (user == pass)
			continue;
		cfg_push_key(c, cfg_auth_keys[user ? i + 1 : i]);
		return cfg_fail(c, "missing (%s is set)", cfg_auth_keys[user ? i : i + 1]);
	}
	if (a->mutual_userid[0] && !a->userid[0]) {
		cfg_push_key(c, "chap_mutual_userid");
		return cfg_fail(c, "mutual CHAP needs chap_userid and chap_password as well");
	}
	if (a->mutual_password[0] && !strcmp(a->mutual_password, a->password)) {
		cfg_push_key(c, "chap_mutual_password");
		return cfg_fail(c, "must differ from chap_password (RFC 7143 12.1.3: a secret used to authenticate the initiator must not authenticate the target)");
	}
	return 0;
}

static bool is_lhex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

static int check_hex_name(struct cfg_ctx *c, const char *name, size_t n1,
			  size_t n2)
{
	const char *h = name + 4;
	size_t len = strlen(h);

	for (size_t i = 0; i < len; i++)
		if (!is_lhex(h[i]))
			return cfg_fail(c, "\"%s\": '%c' is not a lowercase hex digit (rtslib writes %.3s names in lowercase)",
					name, h[i], name);
	if (len != n1 && len != n2) {
		if (n1 == n2)
			return cfg_fail(c, "\"%s\": \"%.3s.\" must be followed by %zu hex digits",
					name, name, n1);
		return cfg_fail(c, "\"%s\": \"%.3s.\" must be followed by %zu or %zu hex digits",
				name, name, n1, n2);
	}
	return 0;
}

static bool iqn_char_ok(unsigned char ch)
{
	/* RFC 3720 3.2.6.2 after RFC 3722 stringprep: lowercase letters,
	 * digits, '-', '.', ':' and non-ASCII UTF-8 (jansson has already
	 * refused malformed UTF-8). */
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == ':' || ch >= 0x80;
}

static int check_iqn(struct cfg_ctx *c, const char *name)
{
	const char *p = name + 4, *auth;
	int month;

	for (int i = 0; i < 7; i++)
		if (i == 4 ? p[i] != '-' : !(p[i] >= '0' && p[i] <= '9'))
			goto bad_date;
	month = (p[5] - '0') * 10 + (p[6] - '0');
	if (month < 1 || month > 12 || p[7] != '.')
		goto bad_date;
	auth = p + 8;
	if (!((*auth >= 'a' && *auth <= 'z') || (*auth >= '0' && *auth <= '9')))
		return cfg_fail(c, "\"%s\": the naming authority after the date must be a reversed domain name",
				name);
	for (const char *q = auth; *q; q++) {
		unsigned char ch = (unsigned char)*q;

		if (ch >= 'A' && ch <= 'Z')
			return cfg_fail(c, "\"%s\": must be lowercase (iSCSI names are compared after RFC 3722 case folding, and rtslib writes them lowercase)",
					name);
		if (!iqn_char_ok(ch))
			return cfg_fail(c, "\"%s\": '%c' is not allowed in an iSCSI name (RFC 3720 3.2.6.2)",
					name, ch);
		if (ch == ':' && (q == auth || q[1] == '\0'))
			return cfg_fail(c, "\"%s\": empty part around ':'", name);
	}
	return 0;
bad_date:
	return cfg_fail(c, "\"%s\": an IQN is \"iqn.YYYY-MM.reversed.domain[:unique]\" (RFC 7143 4.2.7.4)",
			name);
}

int cfg_check_iscsi_name(struct cfg_ctx *c, const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return cfg_fail(c, "must not be empty");
	if (len > SCSI_NAME_MAX - 1)
		return cfg_fail(c, "is %zu bytes; an iSCSI name is at most %d (RFC 7143 4.2.7.1)",
				len, SCSI_NAME_MAX - 1);
	if (!strncmp(name, "iqn.", 4))
		return check_iqn(c, name);
	if (!strncmp(name, "eui.", 4))
		return check_hex_name(c, name, 16, 16);
	if (!strncmp(name, "naa.", 4))
		return check_hex_name(c, name, 16, 32);
	return cfg_fail(c, "\"%s\" is not an iSCSI name: it must start with \"iqn.\", \"eui.\" or \"naa.\" (lowercase)",
			name);
}

static int hex_val(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

void cfg_naa_from_serial(const char *serial, uint8_t naa[16])
{
	/* LIO's rule (drivers/target/target_core_spc.c,
	 * spc_parse_naa_6h_vendor_specific and its caller in
	 * spc_emulate_evpd_83), reproduced so a LU moved from LIO keeps the
	 * NAA WWN multipath and VMware know it by: NAA 6 (IEEE Registered
	 * Extended), IEEE company id 0x001405, then the first 25 hex digits
	 * of the unit serial, skipping every other character, one nibble
	 * each, from the low nibble of byte 3 to the end of byte 15; what the
	 * serial does not fill stays zero. */
	size_t off = 3;
	bool low = true;

	memset(naa, 0, 16);
	naa[0] = 0x60;
	naa[1] = 0x01;
	naa[2] = 0x40;
	naa[3] = 0x50;
	for (const char *p = serial; *p && off < 16; p++) {
		int v = hex_val(*p);

		if (v < 0)
			continue;
		if (low) {
			naa[off++] |= (uint8_t)v;
		} else {
			naa[off] = (uint8_t)(v << 4);
		}
		low = !low;
	}
}

void config_lun_foreach(const struct tconfig *cfg, unsigned storage,
			void (*fn)(const struct cfg_target *t, const struct cfg_tpg *g,
				   const struct cfg_lun *l, void *arg),
			void *arg)
{
	for (unsigned i = 0; i < cfg->ntargets; i++)
		for (unsigned j = 0; j < cfg->targets[i].ntpgs; j++) {
			const struct cfg_tpg *g = &cfg->targets[i].tpgs[j];

			for (unsigned k = 0; k < g->nluns; k++)
				if (g->luns[k].storage == storage)
					fn(&cfg->targets[i], g, &g->luns[k], arg);
		}
}

static void count_lun(const struct cfg_target *t, const struct cfg_tpg *g,
		      const struct cfg_lun *l, void *arg)
{
	(*(unsigned *)arg)++;
}

unsigned config_lun_refs(const struct tconfig *cfg, unsigned storage)
{
	unsigned n = 0;

	config_lun_foreach(cfg, storage, count_lun, &n);
	return n;
}
