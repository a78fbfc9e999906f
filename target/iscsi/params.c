#include "iscsi/params.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/compiler.h"
#include "common/errf.h"

/* How a key is negotiated (RFC 7143 6.2 and section 13). */
enum kind {
	K_DIGEST,	/* list of CRC32C,None */
	K_MIN,		/* numerical, result is the smaller */
	K_MAX,		/* numerical, result is the larger */
	K_OR,		/* boolean */
	K_AND,		/* boolean */
	K_MRDSL,	/* declarative: each side states its own receive limit */
	K_MARKER,	/* RFC 3720 OFMarker/IFMarker: AND, and ours is No */
	K_MARKINT,	/* RFC 3720 range value, Irrelevant while markers are No */
	K_TASKREP,	/* RFC 7143 13.23 list; we only do RFC3720 */
	K_LEVEL,	/* RFC 7144 iSCSIProtocolLevel: min with ours */
	K_RDMA,		/* RFC 7145 RDMAExtensions: AND, and ours is No */
	K_ISER,		/* RFC 7145 keys that mean nothing without iSER */
	K_SKIP,		/* security and identity keys: login.c owns them */
};

#define F_SESSION 1u	/* leading only: Irrelevant on a second connection */
#define F_NODISC 2u	/* Irrelevant in a discovery session */

#define NONE (-1)
#define SESS(f) ((ptrdiff_t)offsetof(struct iscsi_negotiation, sess.f))
#define CONN(f) ((ptrdiff_t)offsetof(struct iscsi_negotiation, conn.f))
#define LIM(f) ((ptrdiff_t)offsetof(struct iscsi_limits, f))

#define DSL_MAX 16777215u	/* 2^24 - 1 */
#define PROTOCOL_LEVEL 1u	/* RFC 7143 without the RFC 7144 extensions */

struct key_def {
	const char *name;
	enum kind kind;
	unsigned flags;
	uint32_t lo, hi;	/* valid range of a numerical value */
	uint32_t dflt;		/* RFC default (booleans: 1 = Yes) */
	ptrdiff_t res;		/* result in struct iscsi_negotiation */
	ptrdiff_t lim;		/* the target's value in struct iscsi_limits */
	ptrdiff_t lim_none;	/* digests: whether the target accepts None */
};

/* Index = bit in received/answered. Order matters in finish():
 * MaxBurstLength comes before FirstBurstLength, which it bounds. */
enum {
	KEY_HEADER_DIGEST, KEY_DATA_DIGEST, KEY_MAX_CONNECTIONS,
	KEY_INITIAL_R2T, KEY_IMMEDIATE_DATA, KEY_MRDSL, KEY_MAX_BURST,
	KEY_FIRST_BURST,
};

static const struct key_def keys[] = {
	[KEY_HEADER_DIGEST] = { "HeaderDigest", K_DIGEST, 0, 0, 0, 0,
		CONN(header_digest), LIM(header_digest_crc32c), LIM(header_digest_none) },
	[KEY_DATA_DIGEST] = { "DataDigest", K_DIGEST, 0, 0, 0, 0,
		CONN(data_digest), LIM(data_digest_crc32c), LIM(data_digest_none) },
	[KEY_MAX_CONNECTIONS] = { "MaxConnections", K_MIN, F_SESSION | F_NODISC,
		1, 65535, 1, SESS(max_connections), LIM(max_connections), NONE },
	[KEY_INITIAL_R2T] = { "InitialR2T", K_OR, F_SESSION | F_NODISC, 0, 1, 1,
		SESS(initial_r2t), LIM(initial_r2t), NONE },
	[KEY_IMMEDIATE_DATA] = { "ImmediateData", K_AND, F_SESSION | F_NODISC, 0, 1, 1,
		SESS(immediate_data), LIM(immediate_data), NONE },
	[KEY_MRDSL] = { "MaxRecvDataSegmentLength", K_MRDSL, 0, 512, DSL_MAX, 8192,
		CONN(max_send_dsl), LIM(max_recv_dsl), NONE },
	[KEY_MAX_BURST] = { "MaxBurstLength", K_MIN, F_SESSION | F_NODISC,
		512, DSL_MAX, 262144, SESS(max_burst), LIM(max_burst), NONE },
	[KEY_FIRST_BURST] = { "FirstBurstLength", K_MIN, F_SESSION | F_NODISC,
		512, DSL_MAX, 65536, SESS(first_burst), LIM(first_burst), NONE },
	{ "DefaultTime2Wait", K_MAX, F_SESSION | F_NODISC, 0, 3600, 2,
		SESS(default_time2wait), LIM(default_time2wait), NONE },
	{ "DefaultTime2Retain", K_MIN, F_SESSION | F_NODISC, 0, 3600, 20,
		SESS(default_time2retain), LIM(default_time2retain), NONE },
	{ "MaxOutstandingR2T", K_MIN, F_SESSION | F_NODISC, 1, 65535, 1,
		SESS(max_outstanding_r2t), LIM(max_outstanding_r2t), NONE },
	{ "DataPDUInOrder", K_OR, F_SESSION | F_NODISC, 0, 1, 1,
		SESS(data_pdu_in_order), LIM(data_pdu_in_order), NONE },
	{ "DataSequenceInOrder", K_OR, F_SESSION | F_NODISC, 0, 1, 1,
		SESS(data_seq_in_order), LIM(data_seq_in_order), NONE },
	{ "ErrorRecoveryLevel", K_MIN, F_SESSION, 0, 2, 0,
		SESS(error_recovery_level), LIM(error_recovery_level), NONE },
	{ "OFMarker", K_MARKER, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "IFMarker", K_MARKER, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "OFMarkInt", K_MARKINT, 0, 1, 65535, 0, NONE, NONE, NONE },
	{ "IFMarkInt", K_MARKINT, 0, 1, 65535, 0, NONE, NONE, NONE },
	{ "TaskReporting", K_TASKREP, F_SESSION | F_NODISC, 0, 0, 0, NONE, NONE, NONE },
	{ "iSCSIProtocolLevel", K_LEVEL, F_SESSION | F_NODISC, 0, 31, 0,
		NONE, NONE, NONE },
	{ "RDMAExtensions", K_RDMA, F_SESSION | F_NODISC, 0, 0, 0, NONE, NONE, NONE },
	{ "TargetRecvDataSegmentLength", K_ISER, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "InitiatorRecvDataSegmentLength", K_ISER, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "MaxOutstandingUnexpectedPDUs", K_ISER, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "AuthMethod", K_SKIP, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "CHAP_A", K_SKIP, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "CHAP_I", K_SKIP, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "CHAP_C", K_SKIP, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "CHAP_N", K_SKIP, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "CHAP_R", K_SKIP, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "InitiatorName", K_SKIP, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "TargetName", K_SKIP, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "SessionType", K_SKIP, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "InitiatorAlias", K_SKIP, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "TargetAlias", K_SKIP, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "TargetPortalGroupTag", K_SKIP, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "TargetAddress", K_SKIP, 0, 0, 0, 0, NONE, NONE, NONE },
	{ "SendTargets", K_SKIP, 0, 0, 0, 0, NONE, NONE, NONE },
};

_Static_assert(ARRAY_SIZE(keys) <= 64, "one bit per key in a uint64_t");

static uint64_t bit(const struct key_def *k)
{
	return (uint64_t)1 << (k - keys);
}

static bool is_bool(const struct key_def *k)
{
	return k->kind == K_OR || k->kind == K_AND || k->kind == K_DIGEST;
}

/* Results and limits are stored as bool or uint32_t; the table's offsets
 * say where, is_bool() says which. */
static uint32_t get_res(const struct iscsi_negotiation *n, const struct key_def *k)
{
	const char *p = (const char *)n + k->res;
	return is_bool(k) ? *(const bool *)p : *(const uint32_t *)p;
}

static void set_res(struct iscsi_negotiation *n, const struct key_def *k, uint32_t v)
{
	char *p = (char *)n + k->res;
	if (is_bool(k))
		*(bool *)p = v != 0;
	else
		*(uint32_t *)p = v;
}

static uint32_t get_lim(const struct iscsi_limits *l, ptrdiff_t off, bool boolean)
{
	const char *p = (const char *)l + off;
	return boolean ? *(const bool *)p : *(const uint32_t *)p;
}

static uint32_t combine(const struct key_def *k, uint32_t a, uint32_t b)
{
	switch (k->kind) {
	case K_MIN:
		return MIN(a, b);
	case K_MAX:
		return MAX(a, b);
	case K_OR:
		return a || b;
	default:
		return a && b;
	}
}

static const struct key_def *lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static bool is_reserved_answer(const char *v)
{
	return strcmp(v, "NotUnderstood") == 0 || strcmp(v, "Irrelevant") == 0 ||
	       strcmp(v, "Reject") == 0;
}

/* Yes/No as 1/0, or -1. */
static int parse_bool(const char *v)
{
	if (strcmp(v, "Yes") == 0)
		return 1;
	if (strcmp(v, "No") == 0)
		return 0;
	return -1;
}

static int parse_num(const struct key_def *k, const char *v, uint32_t *out)
{
	uint64_t x;
	if (iscsi_text_number(v, k->hi, &x) < 0 || x < k->lo)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

/* Whether the comma-separated list holds item. Works on the value in place,
 * so a long list costs no copy. */
static bool list_has(const char *list, const char *item)
{
	size_t il = strlen(item);
	const char *p = list;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == il && memcmp(p, item, il) == 0)
			return true;
		if (!comma)
			return false;
		p = comma + 1;
	}
}

/* The first digest in the initiator's order that the target allows:
 * 1 = CRC32C, 0 = None, -1 = nothing acceptable. */
static int pick_digest(const struct iscsi_negotiation *n, const struct key_def *k,
		       const char *list)
{
	bool crc = get_lim(n->lim, k->lim, true);
	bool none = get_lim(n->lim, k->lim_none, true);
	const char *p = list;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (crc && len == 6 && memcmp(p, "CRC32C", 6) == 0)
			return 1;
		if (none && len == 4 && memcmp(p, "None", 4) == 0)
			return 0;
		if (!comma)
			return -1;
		p = comma + 1;
	}
}

/* A marker interval offer: "n" or "lo~hi" within the key's range. */
static bool valid_markint(const struct key_def *k, const char *v)
{
	const char *tilde = strchr(v, '~');
	uint32_t a, b;
	if (!tilde)
		return parse_num(k, v, &a) == 0;
	char first[16];
	size_t fl = (size_t)(tilde - v);
	if (fl == 0 || fl >= sizeof(first))
		return false;
	memcpy(first, v, fl);
	first[fl] = '\0';
	return parse_num(k, first, &a) == 0 && parse_num(k, tilde + 1, &b) == 0 &&
	       a <= b;
}

static bool irrelevant(const struct iscsi_negotiation *n, const struct key_def *k)
{
	return ((k->flags & F_SESSION) && !n->leading) ||
	       ((k->flags & F_NODISC) && n->discovery);
}

/* FirstBurstLength may not exceed the MaxBurstLength the session will end
 * up with: the one negotiated, or the default bounded by our limit. */
static uint32_t first_burst_cap(const struct iscsi_negotiation *n)
{
	return MIN(n->sess.max_burst, n->lim->max_burst);
}

static int emit(struct iscsi_text *resp, const char *key, const char *val,
		char *err, size_t errlen)
{
	if (iscsi_text_add(resp, key, val) < 0) {
		errf(err, errlen, "%s: response does not fit in %zu bytes",
		       key, resp->cap);
		return -1;
	}
	return 0;
}

static int reply(struct iscsi_negotiation *n, const struct key_def *k,
		 struct iscsi_text *resp, const char *val, char *err, size_t errlen)
{
	n->answered |= bit(k);
	return emit(resp, k->name, val, err, errlen);
}

static int reply_value(struct iscsi_negotiation *n, const struct key_def *k,
		       struct iscsi_text *resp, uint32_t v, char *err, size_t errlen)
{
	char buf[16];
	if (k->kind == K_DIGEST)
		return reply(n, k, resp, v ? "CRC32C" : "None", err, errlen);
	if (is_bool(k))
		return reply(n, k, resp, v ? "Yes" : "No", err, errlen);
	snprintf(buf, sizeof(buf), "%u", v);
	return reply(n, k, resp, buf, err, errlen);
}

/* The initiator answers an offer the target made (in finish()): no reply,
 * and an answer outside the rules is a protocol error. */
static int take_answer(struct iscsi_negotiation *n, const struct key_def *k,
		       const char *v, char *err, size_t errlen)
{
	uint32_t x;
	int b;

	switch (k->kind) {
	case K_DIGEST:
		b = pick_digest(n, k, v);
		if (b < 0 || strchr(v, ',')) {
			errf(err, errlen, "%s: answer \"%.64s\" is not a digest we offered",
			       k->name, v);
			return -1;
		}
		set_res(n, k, (uint32_t)b);
		return 0;
	case K_OR:
	case K_AND:
		b = parse_bool(v);
		if (b < 0) {
			errf(err, errlen, "%s: answer \"%.64s\" is not Yes or No", k->name, v);
			return -1;
		}
		set_res(n, k, combine(k, get_res(n, k), (uint32_t)b));
		return 0;
	default:
		if (parse_num(k, v, &x) < 0) {
			errf(err, errlen, "%s: answer \"%.64s\" is not a number in %u..%u",
			       k->name, v, k->lo, k->hi);
			return -1;
		}
		set_res(n, k, combine(k, get_res(n, k), x));
		return 0;
	}
}

static int negotiate(struct iscsi_negotiation *n, const struct key_def *k,
		     const char *v, struct iscsi_text *resp, char *err, size_t errlen)
{
	uint32_t x;
	int b;

	switch (k->kind) {
	case K_DIGEST:
		b = pick_digest(n, k, v);
		if (b < 0)
			return reply(n, k, resp, "Reject", err, errlen);
		set_res(n, k, (uint32_t)b);
		return reply_value(n, k, resp, (uint32_t)b, err, errlen);
	case K_OR:
	case K_AND:
		b = parse_bool(v);
		if (b < 0)
			return reply(n, k, resp, "Reject", err, errlen);
		x = combine(k, (uint32_t)b, get_lim(n->lim, k->lim, true));
		set_res(n, k, x);
		return reply_value(n, k, resp, x, err, errlen);
	case K_MIN:
	case K_MAX:
		if (parse_num(k, v, &x) < 0)
			return reply(n, k, resp, "Reject", err, errlen);
		x = combine(k, x, get_lim(n->lim, k->lim, false));
		if (k == &keys[KEY_FIRST_BURST])
			x = MIN(x, first_burst_cap(n));
		set_res(n, k, x);
		return reply_value(n, k, resp, x, err, errlen);
	case K_MRDSL:
		/* Not marked answered: our own declaration is still owed. */
		if (parse_num(k, v, &x) < 0)
			return emit(resp, k->name, "Reject", err, errlen);
		set_res(n, k, x);
		if (n->answered & bit(k))
			return 0;
		n->conn.max_recv_dsl = n->lim->max_recv_dsl;
		return reply_value(n, k, resp, n->lim->max_recv_dsl, err, errlen);
	case K_MARKER:
	case K_RDMA:
		return reply(n, k, resp, parse_bool(v) < 0 ? "Reject" : "No", err, errlen);
	case K_MARKINT:
		return reply(n, k, resp, valid_markint(k, v) ? "Irrelevant" : "Reject",
			     err, errlen);
	case K_TASKREP:
		return reply(n, k, resp, list_has(v, "RFC3720") ? "RFC3720" : "Reject",
			     err, errlen);
	case K_LEVEL:
		if (parse_num(k, v, &x) < 0)
			return reply(n, k, resp, "Reject", err, errlen);
		return reply_value(n, k, resp, MIN(x, PROTOCOL_LEVEL), err, errlen);
	case K_ISER:
		return reply(n, k, resp, "Irrelevant", err, errlen);
	case K_SKIP:
		break;
	}
	return 0;
}

static int process_one(struct iscsi_negotiation *n, const struct iscsi_kv *kv,
		       struct iscsi_text *resp, char *err, size_t errlen)
{
	const struct key_def *k = lookup(kv->key);

	if (!k)
		return emit(resp, kv->key, "NotUnderstood", err, errlen);
	if (k->kind == K_SKIP)
		return 0;
	if (n->received & bit(k)) {
		errf(err, errlen, "%s: sent twice in one login", k->name);
		return -1;
	}
	n->received |= bit(k);
	bool answering = (n->answered & bit(k)) && k->kind != K_MRDSL;
	if (is_reserved_answer(kv->val))
		return 0;
	if (answering)
		return take_answer(n, k, kv->val, err, errlen);
	if (irrelevant(n, k))
		return reply(n, k, resp, "Irrelevant", err, errlen);
	return negotiate(n, k, kv->val, resp, err, errlen);
}

void iscsi_limits_default(struct iscsi_limits *l)
{
	*l = (struct iscsi_limits){
		.header_digest_crc32c = true,
		.header_digest_none = true,
		.data_digest_crc32c = true,
		.data_digest_none = true,
		.max_connections = 8,
		.initial_r2t = false,
		.immediate_data = true,
		.max_recv_dsl = 262144,
		.max_burst = 1048576,
		.first_burst = 65536,
		.default_time2wait = 2,
		.default_time2retain = 20,
		.max_outstanding_r2t = 16,
		.data_pdu_in_order = true,
		.data_seq_in_order = true,
		.error_recovery_level = 0,
	};
}

void iscsi_neg_init(struct iscsi_negotiation *n, const struct iscsi_limits *lim,
		    bool leading, bool discovery)
{
	memset(n, 0, sizeof(*n));
	n->lim = lim;
	n->leading = leading;
	n->discovery = discovery;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].res != NONE)
			set_res(n, &keys[i], keys[i].dflt);
	n->conn.max_recv_dsl = keys[KEY_MRDSL].dflt;
}

int iscsi_neg_process(struct iscsi_negotiation *n, const struct iscsi_kv *kv,
		      int nkv, struct iscsi_text *resp, char *err, size_t errlen)
{
	int first_burst = -1;

	for (int i = 0; i < nkv; i++) {
		/* FirstBurstLength waits for the rest of the request, so that
		 * a MaxBurstLength after it in the same PDU still bounds it. */
		if (first_burst < 0 && strcmp(kv[i].key, keys[KEY_FIRST_BURST].name) == 0) {
			first_burst = i;
			continue;
		}
		if (process_one(n, &kv[i], resp, err, errlen) < 0)
			return -1;
	}
	if (first_burst >= 0 && process_one(n, &kv[first_burst], resp, err, errlen) < 0)
		return -1;
	return 0;
}

/* The value a key the initiator never sent ends with: the RFC default,
 * unless the target's own limit rules that out. */
static uint32_t default_within_limits(const struct iscsi_negotiation *n,
				      const struct key_def *k)
{
	if (k->kind == K_DIGEST) {
		bool crc = get_lim(n->lim, k->lim, true);
		bool none = get_lim(n->lim, k->lim_none, true);
		return !none && crc;
	}
	uint32_t v = combine(k, k->dflt, get_lim(n->lim, k->lim, is_bool(k)));
	if (k == &keys[KEY_FIRST_BURST])
		v = MIN(v, n->sess.max_burst);
	return v;
}

int iscsi_neg_finish(struct iscsi_negotiation *n, struct iscsi_text *resp)
{
	const struct key_def *mrdsl = &keys[KEY_MRDSL];

	if (!(n->answered & bit(mrdsl))) {
		n->conn.max_recv_dsl = n->lim->max_recv_dsl;
		if (reply_value(n, mrdsl, resp, n->lim->max_recv_dsl, NULL, 0) < 0)
			return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct key_def *k = &keys[i];
		if (k->kind != K_DIGEST && k->kind != K_MIN && k->kind != K_MAX &&
		    k->kind != K_OR && k->kind != K_AND)
			continue;
		if (((n->received | n->answered) & bit(k)) || irrelevant(n, k))
			continue;
		uint32_t v = default_within_limits(n, k);
		set_res(n, k, v);
		if (v != k->dflt && reply_value(n, k, resp, v, NULL, 0) < 0)
			return -1;
	}
	/* A MaxBurstLength lowered after FirstBurstLength was settled (in a
	 * later PDU) leaves only this: RFC 7143 13.14 forbids the reverse. */
	if (n->sess.first_burst > n->sess.max_burst)
		n->sess.first_burst = n->sess.max_burst;
	return 0;
}
