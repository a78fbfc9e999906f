/* A TPG's "parameters": the iSCSI login keys LIO keeps in the TPG's
 * configfs param/ directory, which rtslib dumps as strings. Each one is
 * checked against RFC 7143 section 13 (RFC 3720 for the markers, RFC 7145
 * for the iSER keys) and the ones tandem negotiates land in iscsi_limits. */
#include "daemon/config_priv.h"

#include <string.h>

#define DSL_MAX 16777215u	/* 2^24 - 1 */
#define LIM(f) ((ptrdiff_t)offsetof(struct iscsi_limits, f))
#define IGNORED ((ptrdiff_t)-1)

enum pkind {
	P_AUTH,		/* AuthMethod: list of CHAP, None */
	P_DIGEST,	/* list of CRC32C, None */
	P_NUM,		/* numerical value in [min, max] */
	P_BOOL,		/* Yes or No */
	P_ERL,		/* ErrorRecoveryLevel */
	P_MARKINT,	/* RFC 3720 range "N~M" */
	P_ALIAS,	/* TargetAlias */
};

struct param_def {
	const char *name;
	enum pkind kind;
	uint32_t min, max;
	ptrdiff_t off;		/* into struct iscsi_limits, or IGNORED */
	ptrdiff_t off_none;	/* digests: the "None accepted" flag */
};

static const struct param_def params[] = {
	{ "AuthMethod", P_AUTH, 0, 0, IGNORED, IGNORED },
	{ "HeaderDigest", P_DIGEST, 0, 0, LIM(header_digest_crc32c),
	  LIM(header_digest_none) },
	{ "DataDigest", P_DIGEST, 0, 0, LIM(data_digest_crc32c),
	  LIM(data_digest_none) },
	{ "MaxConnections", P_NUM, 1, 65535, LIM(max_connections), IGNORED },
	{ "InitialR2T", P_BOOL, 0, 0, LIM(initial_r2t), IGNORED },
	{ "ImmediateData", P_BOOL, 0, 0, LIM(immediate_data), IGNORED },
	{ "MaxRecvDataSegmentLength", P_NUM, 512, DSL_MAX, LIM(max_recv_dsl),
	  IGNORED },
	/* LIO's own limit on what it sends; tandem sends what the initiator
	 * declares it can receive. */
	{ "MaxXmitDataSegmentLength", P_NUM, 512, DSL_MAX, IGNORED, IGNORED },
	{ "MaxBurstLength", P_NUM, 512, DSL_MAX, LIM(max_burst), IGNORED },
	{ "FirstBurstLength", P_NUM, 512, DSL_MAX, LIM(first_burst), IGNORED },
	{ "DefaultTime2Wait", P_NUM, 0, 3600, LIM(default_time2wait), IGNORED },
	{ "DefaultTime2Retain", P_NUM, 0, 3600, LIM(default_time2retain),
	  IGNORED },
	{ "MaxOutstandingR2T", P_NUM, 1, 65535, LIM(max_outstanding_r2t),
	  IGNORED },
	{ "DataPDUInOrder", P_BOOL, 0, 0, LIM(data_pdu_in_order), IGNORED },
	{ "DataSequenceInOrder", P_BOOL, 0, 0, LIM(data_seq_in_order), IGNORED },
	{ "ErrorRecoveryLevel", P_ERL, 0, 2, IGNORED, IGNORED },
	/* Markers (RFC 3720, dropped by RFC 7143): tandem always answers No,
	 * which the AND negotiation allows whatever is configured. */
	{ "OFMarker", P_BOOL, 0, 0, IGNORED, IGNORED },
	{ "IFMarker", P_BOOL, 0, 0, IGNORED, IGNORED },
	{ "OFMarkInt", P_MARKINT, 1, 65535, IGNORED, IGNORED },
	{ "IFMarkInt", P_MARKINT, 1, 65535, IGNORED, IGNORED },
	{ "TargetAlias", P_ALIAS, 0, 0, IGNORED, IGNORED },
	/* iSER (RFC 7145): meaningless on the TCP portals tandem serves, where
	 * it answers RDMAExtensions=No. */
	{ "RDMAExtensions", P_BOOL, 0, 0, IGNORED, IGNORED },
	{ "InitiatorRecvDataSegmentLength", P_NUM, 512, DSL_MAX, IGNORED,
	  IGNORED },
	{ "TargetRecvDataSegmentLength", P_NUM, 512, DSL_MAX, IGNORED, IGNORED },
};

/* RFC 7143 6.1.3.2 numerical values as LIO reads them (simple_strtoul with
 * base 0): decimal, or 0x hex. -1 if malformed or above max. */
static int parse_number(const char *s, uint32_t max, uint32_t *out)
{
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *p = hex ? s + 2 : s;
	uint64_t v = 0;

	if (!*p || strlen(p) > 16)
		return -1;
	for (; *p; p++) {
		int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (hex && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (hex && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return -1;
		v = v * (hex ? 16 : 10) + (uint64_t)d;
	}
	if (v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_num(struct cfg_ctx *c, const struct param_def *d,
		     const char *val, uint32_t *out)
{
	if (parse_number(val, UINT32_MAX, out) < 0)
		return cfg_fail(c, "\"%s\" is not a number", val);
	if (*out < d->min || *out > d->max)
		return cfg_fail(c, "%u is outside %u..%u (RFC 7143 section 13)",
				*out, d->min, d->max);
	return 0;
}

/* A comma list of known[] items: seen[i] tells which were listed. Empty
 * items, repeats and anything else are refused. */
static int parse_list(struct cfg_ctx *c, const char *val,
		      const char *const *known, bool *seen, size_t nknown,
		      const char *what)
{
	const char *p = val;

	memset(seen, 0, nknown * sizeof(*seen));
	for (;;) {
		size_t n = strcspn(p, ","), i;

		if (n == 0)
			return cfg_fail(c, "\"%s\" has an empty item", val);
		for (i = 0; i < nknown; i++)
			if (strlen(known[i]) == n && !strncmp(p, known[i], n))
				break;
		if (i == nknown)
			return cfg_fail(c, "\"%.*s\" is not supported (tandem does %s)",
					(int)n, p, what);
		if (seen[i])
			return cfg_fail(c, "\"%s\" lists %s twice", val, known[i]);
		seen[i] = true;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static int parse_markint(struct cfg_ctx *c, const char *val)
{
	const char *tilde = strchr(val, '~');
	char lo[16];
	uint32_t a, b;
	size_t n = tilde ? (size_t)(tilde - val) : strlen(val);

	if (n >= sizeof(lo))
		goto bad;
	memcpy(lo, val, n);
	lo[n] = '\0';
	if (parse_number(lo, 65535, &a) < 0 || a < 1)
		goto bad;
	b = a;
	if (tilde && (parse_number(tilde + 1, 65535, &b) < 0 || b < a))
		goto bad;
	return 0;
bad:
	return cfg_fail(c, "\"%s\" must be a range \"N~M\" with 1 <= N <= M <= 65535 (RFC 3720 12.18)",
			val);
}

static int parse_one(struct cfg_ctx *c, const struct param_def *d,
		     const char *val, struct cfg_tpg *t)
{
	static const char *const auth[] = { "CHAP", "None" };
	static const char *const digest[] = { "CRC32C", "None" };
	char *lim = (char *)&t->limits;
	bool seen[2];
	uint32_t n;

	switch (d->kind) {
	case P_AUTH:
		if (parse_list(c, val, auth, seen, 2, "CHAP and None") < 0)
			return -1;
		t->auth_chap_allowed = seen[0];
		t->auth_none_allowed = seen[1];
		return 0;
	case P_DIGEST:
		if (parse_list(c, val, digest, seen, 2, "CRC32C and None") < 0)
			return -1;
		*(bool *)(lim + d->off) = seen[0];
		*(bool *)(lim + d->off_none) = seen[1];
		return 0;
	case P_NUM:
		if (parse_num(c, d, val, &n) < 0)
			return -1;
		if (d->off != IGNORED)
			*(uint32_t *)(lim + d->off) = n;
		return 0;
	case P_BOOL:
		if (strcmp(val, "Yes") && strcmp(val, "No"))
			return cfg_fail(c, "\"%s\" must be Yes or No", val);
		if (d->off != IGNORED)
			*(bool *)(lim + d->off) = !strcmp(val, "Yes");
		return 0;
	case P_ERL:
		/* ErrorRecoveryLevel is negotiated as the lower of the two
		 * sides' values (RFC 7143 13.20) and tandem implements level 0
		 * only: any valid level is accepted and 0 is what it offers. */
		if (parse_num(c, d, val, &n) < 0)
			return -1;
		t->limits.error_recovery_level = 0;
		return 0;
	case P_MARKINT:
		return parse_markint(c, val);
	case P_ALIAS:
		break;
	}
	/* TargetAlias, RFC 7143 13.6: a UTF-8 string of at most 255 bytes. */
	if (strlen(val) >= sizeof(t->alias))
		return cfg_fail(c, "is %zu bytes long; at most %zu fit",
				strlen(val), sizeof(t->alias) - 1);
	for (const char *p = val; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return cfg_fail(c, "contains a control character");
	strcpy(t->alias, val);
	return 0;
}

int cfg_parse_tpg_params(struct cfg_ctx *c, json_t *tpg, struct cfg_tpg *t)
{
	json_t *obj = json_object_get(tpg, "parameters"), *v, *fb;
	size_t mark = cfg_push_key(c, "parameters"), pmark = c->plen;
	const char *key;

	iscsi_limits_default(&t->limits);
	/* LIO's default AuthMethod is "CHAP,None". */
	t->auth_chap_allowed = true;
	t->auth_none_allowed = true;
	if (!obj) {
		cfg_pop(c, mark);
		return 0;
	}
	if (cfg_expect_object(c, obj) < 0)
		return -1;
	json_object_foreach(obj, key, v) {
		const struct param_def *d = NULL;

		for (size_t i = 0; i < sizeof(params) / sizeof(params[0]) && !d; i++)
			if (!strcmp(params[i].name, key))
				d = &params[i];
		cfg_push_key(c, key);
		if (!d)
			return cfg_fail(c, "unknown parameter (not an iSCSI key LIO keeps)");
		if (!json_is_string(v))
			return cfg_fail(c, "must be a string (rtslib writes parameters as strings)");
		if (parse_one(c, d, json_string_value(v), t) < 0)
			return -1;
		cfg_pop(c, pmark);
	}
	if (t->limits.first_burst > t->limits.max_burst) {
		fb = json_object_get(obj, "FirstBurstLength");
		cfg_push_key(c, fb ? "FirstBurstLength" : "MaxBurstLength");
		return cfg_fail(c, "FirstBurstLength %u exceeds MaxBurstLength %u (RFC 7143 13.14)",
				t->limits.first_burst, t->limits.max_burst);
	}
	cfg_pop(c, mark);
	return 0;
}
