/* The login phase (RFC 7143 6.3, 11.12-11.13): Login Request PDUs
 * gathered (text continued across C=1 PDUs), their ISID and ITT held
 * steady, and the stages walked: identity keys on the first PDU
 * (login_identity.c), the security stage (login_auth.c), the operational
 * stage (iscsi_neg_process), and the move to full feature phase
 * (login_session.c). */
#include "iscsi/login.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

int login_begin(struct iscsi_conn *c)
{
	if (!c->login) {
		c->login = calloc(1, sizeof(*c->login));
		if (!c->login)
			return -1;
	}
	return conn_segbuf_reserve(c);
}

void login_free(struct iscsi_conn *c)
{
	struct login_ctx *l = c->login;

	if (!l)
		return;
	if (l->join) {
		session_unreserve(l->join);
		session_put(l->join);
	}
	iscsi_registry_put(l->reg);
	free(l->text);
	free(l);
	c->login = NULL;
}

void login_respond(struct iscsi_conn *c, uint16_t status, bool transit,
		   uint8_t nsg, const struct iscsi_text *text)
{
	struct login_ctx *l = c->login;
	struct tx_pdu *p = tx_get(c);
	uint32_t len = text ? (uint32_t)text->len : 0;

	if (!p || (len && !(p->own = malloc(len)))) {
		if (p)
			tx_put(c, p);
		conn_close(c, "out of memory during login");
		return;
	}
	if (len)
		memcpy(p->own, text->buf, len);
	p->hdr[0] = ISCSI_OP_LOGIN_RSP;
	p->hdr[1] = (uint8_t)(l->stage << 2);
	if (status == ISCSI_LOGIN_OK && transit)
		p->hdr[1] |= ISCSI_LOGIN_TRANSIT | nsg;
	p->hdr[2] = 0;		/* version-max */
	p->hdr[3] = 0;		/* version-active */
	memcpy(p->hdr + 8, l->isid, 6);
	put_be16(p->hdr + 14, status == ISCSI_LOGIN_OK && transit &&
		 nsg == ISCSI_STAGE_FFP ? l->tsih : 0);
	put_be32(p->hdr + 16, l->itt);
	conn_stamp(c, p->hdr, true);
	if (!c->sess) {
		put_be32(p->hdr + 28, l->cmdsn);
		put_be32(p->hdr + 32, l->cmdsn + (l->discovery ? 0 : ISCSI_QUEUE_DEPTH - 1));
	}
	p->hdr[36] = (uint8_t)(status >> 8);
	p->hdr[37] = (uint8_t)status;
	tx_queue(c, p, p->own, len);
	if (status == ISCSI_LOGIN_OK) {
		tx_flush(c);
		return;
	}
	tlog(LOG_NOTICE, "%s: login of %s refused: status 0x%04x", c->peer,
	     l->iname[0] ? l->iname : "(unnamed initiator)", status);
	conn_close_after_tx(c);
}

void login_fail(struct iscsi_conn *c, uint16_t status, const char *why)
{
	tlog(LOG_NOTICE, "%s: login failed: %s", c->peer, why);
	login_respond(c, status, false, 0, NULL);
}

const char *login_key(const struct iscsi_kv *kv, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].val;
	return NULL;
}

/* The negotiation answers Reject for values outside the target's limits,
 * which leaves the RFC default in force; a default the TPG forbids (a
 * required digest, a smaller burst) must fail the login instead. */
static const char *neg_violation(const struct iscsi_negotiation *n)
{
	const struct iscsi_limits *lim = n->lim;

	if (n->conn.header_digest ? !lim->header_digest_crc32c : !lim->header_digest_none)
		return "no acceptable HeaderDigest";
	if (n->conn.data_digest ? !lim->data_digest_crc32c : !lim->data_digest_none)
		return "no acceptable DataDigest";
	if (!n->leading || n->discovery)
		return NULL;
	if (lim->initial_r2t && !n->sess.initial_r2t)
		return "InitialR2T=Yes is required";
	if (!lim->immediate_data && n->sess.immediate_data)
		return "ImmediateData=No is required";
	if (n->sess.max_burst > lim->max_burst || n->sess.first_burst > lim->first_burst)
		return "burst length above the target's limit";
	if (n->sess.first_burst > n->sess.max_burst)
		return "FirstBurstLength above MaxBurstLength";
	return NULL;
}

static void login_process(struct iscsi_conn *c, uint8_t flags)
{
	struct login_ctx *l = c->login;
	struct iscsi_kv kv[ISCSI_TEXT_MAX_PAIRS];
	char err[200];
	char respbuf[ISCSI_LOGIN_DSL];
	struct iscsi_text resp;
	bool transit = flags & ISCSI_LOGIN_TRANSIT;
	uint8_t csg = ISCSI_LOGIN_CSG(flags), nsg = ISCSI_LOGIN_NSG(flags);
	int n;

	iscsi_text_init(&resp, respbuf, sizeof(respbuf));
	n = iscsi_text_parse(l->text, l->text_len, kv, ISCSI_TEXT_MAX_PAIRS, err,
			     sizeof(err));
	if (n < 0) {
		login_fail(c, ISCSI_LOGIN_INITIATOR_ERROR, err);
		return;
	}
	if (!l->started) {
		l->started = true;
		if (login_identify(c, kv, n) < 0)
			return;
		if (!l->discovery && !l->join) {
			iscsi_text_addf(&resp, "TargetPortalGroupTag", "%u", l->tpg->tag);
			if (l->tpg->alias[0])
				iscsi_text_add(&resp, "TargetAlias", l->tpg->alias);
		}
	}
	if (csg != l->stage) {
		login_fail(c, ISCSI_LOGIN_INITIATOR_ERROR, "CSG does not match the stage");
		return;
	}
	if (transit && (nsg <= csg || nsg == 2)) {
		login_fail(c, ISCSI_LOGIN_INITIATOR_ERROR, "invalid NSG");
		return;
	}
	if (csg == ISCSI_STAGE_SECURITY) {
		if (login_security_keys(c, kv, n, &resp) < 0)
			return;
	} else if (l->auth != AUTH_DONE &&
		   login_auth_skip(c, "authentication required but skipped") < 0) {
		return;
	}
	if (iscsi_neg_process(&l->neg, kv, n, &resp, err, sizeof(err)) < 0) {
		login_fail(c, ISCSI_LOGIN_INITIATOR_ERROR, err);
		return;
	}
	if (transit && l->auth == AUTH_START) {
		if (login_auth_skip(c, "no AuthMethod offered but one is required") < 0)
			return;
	} else if (transit && l->auth != AUTH_DONE) {
		transit = false;	/* CHAP still under way */
	}
	if (transit && nsg == ISCSI_STAGE_FFP && iscsi_neg_finish(&l->neg, &resp) < 0) {
		login_fail(c, ISCSI_LOGIN_TARGET_ERROR, "login response too long");
		return;
	}
	if (resp.overflow) {
		login_fail(c, ISCSI_LOGIN_TARGET_ERROR, "login response too long");
		return;
	}
	if (transit && nsg == ISCSI_STAGE_FFP) {
		const char *why = neg_violation(&l->neg);
		if (why) {
			login_fail(c, ISCSI_LOGIN_INITIATOR_ERROR, why);
			return;
		}
		login_enter_ffp(c, &resp);
		return;
	}
	login_respond(c, ISCSI_LOGIN_OK, transit, nsg, &resp);
	if (transit)
		l->stage = nsg;
	free(l->text);
	l->text = NULL;
	l->text_len = 0;
}

void login_pdu(struct iscsi_conn *c)
{
	struct login_ctx *l = c->login;
	const uint8_t *bhs = c->hdr;
	uint8_t flags = bhs[1];
	uint32_t len = c->seg_len;

	if (!l->started && !l->text) {
		if (bhs[3] > 0) {	/* version-min above the only version */
			memcpy(l->isid, bhs + 8, 6);
			l->itt = bhs_itt(bhs);
			login_fail(c, ISCSI_LOGIN_UNSUPPORTED_VERSION, "version-min > 0");
			return;
		}
		memcpy(l->isid, bhs + 8, 6);
		l->tsih = get_be16(bhs + 14);
		l->itt = bhs_itt(bhs);
		l->cmdsn = get_be32(bhs + 24);
		l->stage = ISCSI_LOGIN_CSG(flags);
		c->cid = get_be16(bhs + 20);
		c->stat_sn = get_be32(bhs + 28);
	} else if (memcmp(l->isid, bhs + 8, 6) || l->itt != bhs_itt(bhs)) {
		login_fail(c, ISCSI_LOGIN_INITIATOR_ERROR,
			   "ISID or ITT changed during login");
		return;
	}
	if ((flags & ISCSI_LOGIN_TRANSIT) && (flags & ISCSI_LOGIN_CONTINUE)) {
		login_fail(c, ISCSI_LOGIN_INITIATOR_ERROR, "T and C both set");
		return;
	}
	if (l->text_len + len > ISCSI_LOGIN_TEXT_MAX) {
		login_fail(c, ISCSI_LOGIN_INITIATOR_ERROR, "login text too long");
		return;
	}
	/* One spare byte lets the parser terminate an unterminated last pair. */
	char *t = realloc(l->text, l->text_len + len + 1);
	if (!t) {
		login_fail(c, ISCSI_LOGIN_OUT_OF_RESOURCES, "out of memory");
		return;
	}
	l->text = t;
	if (len)
		memcpy(l->text + l->text_len, c->segbuf, len);
	l->text_len += len;
	if (flags & ISCSI_LOGIN_CONTINUE) {
		/* More text follows: acknowledge with an empty response. */
		if (!l->started && l->stage != ISCSI_LOGIN_CSG(flags))
			l->stage = ISCSI_LOGIN_CSG(flags);
		login_respond(c, ISCSI_LOGIN_OK, false, 0, NULL);
		return;
	}
	login_process(c, flags);
}
