/* The login phase (RFC 7143 6.3, 11.12-11.13): identity keys, the security
 * stage (AuthMethod None or CHAP, one-way or mutual), the operational stage
 * (iscsi_neg_process), and the move to full feature phase, where the
 * connection starts, reinstates or joins a session. */
#include "iscsi/conn.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qblog.h>

#include "iscsi/chap.h"
#include "iscsi/text.h"

enum auth_state {
	AUTH_START,		/* AuthMethod not chosen yet */
	AUTH_CHAP_WAIT_A,	/* CHAP chosen, waiting for CHAP_A */
	AUTH_CHAP_WAIT_R,	/* challenge sent, waiting for CHAP_N/R */
	AUTH_DONE,
};

struct login_ctx {
	bool started;
	uint8_t stage;			/* the target's current stage */
	uint8_t isid[6];
	uint16_t tsih;
	uint32_t itt;
	uint32_t cmdsn;
	char iname[SCSI_NAME_MAX];
	bool discovery;
	struct iscsi_registry *reg;	/* tpg, acl and creds point into it */
	const struct iscsi_tpg *tpg;
	const struct iscsi_acl *acl;
	const struct iscsi_auth *creds;
	struct iscsi_session *join;	/* TSIH given: the session to join */
	enum auth_state auth;
	struct chap_target chap;
	struct iscsi_negotiation neg;
	struct iscsi_limits discovery_limits;
	bool tpgt_sent;
	char *text;			/* request text across C=1 PDUs */
	size_t text_len;
	struct iscsi_conn *conn;	/* for handoff_d */
	struct ev_deferred handoff_d;	/* joins a session on another worker */
};

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

/* Sends a login response; status != OK ends the connection after it. */
static void login_respond(struct iscsi_conn *c, uint16_t status, bool transit,
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
	if (status != ISCSI_LOGIN_OK) {
		qb_log(LOG_NOTICE, "%s: login of %s refused: status 0x%04x", c->peer,
		       l->iname[0] ? l->iname : "(unnamed initiator)", status);
		c->close_after_tx = true;
	}
	tx_flush(c);
}

static void login_fail(struct iscsi_conn *c, uint16_t status, const char *why)
{
	qb_log(LOG_NOTICE, "%s: login failed: %s", c->peer, why);
	login_respond(c, status, false, 0, NULL);
}

static const char *kv_get(const struct iscsi_kv *kv, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].val;
	return NULL;
}

static bool portal_matches(const struct iscsi_portal *p,
			   const struct sockaddr_storage *local)
{
	if (p->addr.ss_family == AF_INET && local->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&p->addr;
		const struct sockaddr_in *b = (const void *)local;
		return a->sin_port == b->sin_port &&
		       (a->sin_addr.s_addr == INADDR_ANY ||
			a->sin_addr.s_addr == b->sin_addr.s_addr);
	}
	if (p->addr.ss_family == AF_INET6 && local->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&p->addr;
		const struct sockaddr_in6 *b = (const void *)local;
		return a->sin6_port == b->sin6_port &&
		       (IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr) ||
			IN6_ARE_ADDR_EQUAL(&a->sin6_addr, &b->sin6_addr));
	}
	return false;
}

/* The TPG of target name reachable through this connection's portal. */
static const struct iscsi_tpg *find_tpg(struct iscsi_conn *c,
					const struct iscsi_registry *reg,
					const char *name, bool *target_exists)
{
	*target_exists = false;
	for (unsigned i = 0; reg && i < reg->ntargets; i++) {
		const struct iscsi_target *t = &reg->targets[i];
		if (strcmp(t->name, name))
			continue;
		*target_exists = true;
		for (unsigned j = 0; j < t->ntpgs; j++)
			for (unsigned k = 0; k < t->tpgs[j].nportals; k++)
				if (portal_matches(&t->tpgs[j].portals[k], &c->local))
					return &t->tpgs[j];
	}
	return NULL;
}

bool login_portal_serves(const struct iscsi_tpg *tpg,
			 const struct sockaddr_storage *local)
{
	for (unsigned k = 0; k < tpg->nportals; k++)
		if (portal_matches(&tpg->portals[k], local))
			return true;
	return false;
}

/* First PDU: who is this, which target, which session. */
static int login_identify(struct iscsi_conn *c, const struct iscsi_kv *kv, int n)
{
	struct login_ctx *l = c->login;
	const char *iname = kv_get(kv, n, "InitiatorName");
	const char *type = kv_get(kv, n, "SessionType");
	const char *tname = kv_get(kv, n, "TargetName");
	bool exists;

	if (!iname || !*iname) {
		login_fail(c, ISCSI_LOGIN_MISSING_PARAMETER, "no InitiatorName");
		return -1;
	}
	if (strlen(iname) >= sizeof(l->iname)) {
		login_fail(c, ISCSI_LOGIN_INITIATOR_ERROR, "InitiatorName too long");
		return -1;
	}
	strcpy(l->iname, iname);
	if (type && strcmp(type, "Normal") && strcmp(type, "Discovery")) {
		login_fail(c, ISCSI_LOGIN_SESSION_TYPE_UNSUPPORTED, "unknown SessionType");
		return -1;
	}
	l->discovery = type && !strcmp(type, "Discovery");
	if (l->discovery) {
		if (l->tsih) {
			login_fail(c, ISCSI_LOGIN_SESSION_DOES_NOT_EXIST,
				   "a discovery session takes one connection");
			return -1;
		}
		iscsi_limits_default(&l->discovery_limits);
		iscsi_neg_init(&l->neg, &l->discovery_limits, true, true);
		return 0;
	}
	if (!tname || !*tname) {
		login_fail(c, ISCSI_LOGIN_MISSING_PARAMETER, "no TargetName");
		return -1;
	}
	l->reg = iscsi_registry_get();
	l->tpg = find_tpg(c, l->reg, tname, &exists);
	if (!l->tpg) {
		qb_log(LOG_NOTICE, "%s: %s asked for %s: %s", c->peer, iname, tname,
		       exists ? "not served on this portal" : "no such target");
		login_fail(c, ISCSI_LOGIN_NOT_FOUND, "target not found");
		return -1;
	}
	if (!l->tpg->enabled) {
		login_fail(c, ISCSI_LOGIN_SERVICE_UNAVAILABLE, "TPG is disabled");
		return -1;
	}
	l->acl = tpg_find_acl(l->tpg, iname);
	if (!l->acl && !l->tpg->demo_mode) {
		qb_log(LOG_NOTICE, "%s: %s has no ACL on %s", c->peer, iname, tname);
		login_fail(c, ISCSI_LOGIN_AUTHORIZATION_FAILED, "initiator not allowed");
		return -1;
	}
	l->creds = l->acl ? &l->acl->auth : &l->tpg->auth;
	if (l->tsih) {
		struct iscsi_session *s = session_find_tsih(l->tsih);
		if (!s || !session_in_tpg(s, l->tpg) || strcmp(s->iname, iname) ||
		    memcmp(s->isid, l->isid, 6)) {
			if (s)
				session_put(s);
			login_fail(c, ISCSI_LOGIN_SESSION_DOES_NOT_EXIST,
				   "no such session to join");
			return -1;
		}
		if (!session_reserve_conn(s)) {
			session_put(s);
			login_fail(c, ISCSI_LOGIN_TOO_MANY_CONNECTIONS,
				   "MaxConnections reached");
			return -1;
		}
		l->join = s;
	}
	iscsi_neg_init(&l->neg, &l->tpg->limits, l->tsih == 0, false);
	return 0;
}

/* Chooses the AuthMethod: the first in the initiator's list we accept. */
static int choose_auth(struct iscsi_conn *c, const char *offer,
		       struct iscsi_text *resp)
{
	struct login_ctx *l = c->login;
	bool none_ok, chap_ok;

	if (l->discovery) {
		none_ok = true;
		chap_ok = false;
	} else {
		none_ok = l->tpg->auth_none_allowed && !l->tpg->auth_required;
		chap_ok = l->tpg->auth_chap_allowed && l->creds->userid[0];
	}
	for (const char *p = offer; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 4 && !strncmp(p, "None", 4) && none_ok) {
			l->auth = AUTH_DONE;
			return iscsi_text_add(resp, "AuthMethod", "None");
		}
		if (len == 4 && !strncmp(p, "CHAP", 4) && chap_ok) {
			l->auth = AUTH_CHAP_WAIT_A;
			return iscsi_text_add(resp, "AuthMethod", "CHAP");
		}
		p = e ? e + 1 : NULL;
	}
	iscsi_text_add(resp, "AuthMethod", "Reject");
	return -1;
}

static int security_keys(struct iscsi_conn *c, const struct iscsi_kv *kv, int n,
			 struct iscsi_text *resp)
{
	struct login_ctx *l = c->login;
	const char *am = kv_get(kv, n, "AuthMethod");
	char err[160];

	if (am && l->auth == AUTH_START && choose_auth(c, am, resp) < 0) {
		login_fail(c, ISCSI_LOGIN_AUTH_FAILED, "no acceptable AuthMethod");
		return -1;
	}
	if (l->auth == AUTH_CHAP_WAIT_A) {
		const char *a = kv_get(kv, n, "CHAP_A");
		if (!a)
			return 0;
		int alg = chap_select_alg(a);
		char hex[2 * CHAP_CHALLENGE_LEN + 3];
		if (alg < 0) {
			iscsi_text_add(resp, "CHAP_A", "Reject");
			login_fail(c, ISCSI_LOGIN_AUTH_FAILED, "no acceptable CHAP_A");
			return -1;
		}
		if (chap_target_challenge(&l->chap, alg) < 0 ||
		    iscsi_text_hex(l->chap.challenge, CHAP_CHALLENGE_LEN, hex,
				   sizeof(hex)) < 0) {
			login_fail(c, ISCSI_LOGIN_TARGET_ERROR, "cannot make a challenge");
			return -1;
		}
		iscsi_text_addf(resp, "CHAP_A", "%d", alg);
		iscsi_text_addf(resp, "CHAP_I", "%u", l->chap.id);
		iscsi_text_add(resp, "CHAP_C", hex);
		l->auth = AUTH_CHAP_WAIT_R;
		return 0;
	}
	if (l->auth == AUTH_CHAP_WAIT_R) {
		const char *nm = kv_get(kv, n, "CHAP_N"), *r = kv_get(kv, n, "CHAP_R");
		const char *ci = kv_get(kv, n, "CHAP_I"), *cc = kv_get(kv, n, "CHAP_C");
		if (!nm || !r) {
			login_fail(c, ISCSI_LOGIN_AUTH_FAILED, "CHAP_N or CHAP_R missing");
			return -1;
		}
		if (chap_target_verify(&l->chap, l->creds->userid, l->creds->password,
				       nm, r, err, sizeof(err)) < 0) {
			qb_log(LOG_NOTICE, "%s: CHAP for %s: %s", c->peer, l->iname, err);
			login_fail(c, ISCSI_LOGIN_AUTH_FAILED, "CHAP response did not verify");
			return -1;
		}
		if (ci || cc) {
			char out[2 * CHAP_DIGEST_MAX + 3];
			if (!ci || !cc || !l->creds->mutual_userid[0]) {
				login_fail(c, ISCSI_LOGIN_AUTH_FAILED,
					   "mutual CHAP asked for but not configured");
				return -1;
			}
			if (chap_target_answer(&l->chap, l->creds->mutual_password, ci,
					       cc, out, sizeof(out), err, sizeof(err)) < 0) {
				qb_log(LOG_NOTICE, "%s: mutual CHAP: %s", c->peer, err);
				login_fail(c, ISCSI_LOGIN_AUTH_FAILED, "mutual CHAP refused");
				return -1;
			}
			iscsi_text_add(resp, "CHAP_N", l->creds->mutual_userid);
			iscsi_text_add(resp, "CHAP_R", out);
		}
		l->auth = AUTH_DONE;
		qb_log(LOG_INFO, "%s: %s authenticated with CHAP", c->peer, l->iname);
	}
	return 0;
}

static void fill_nexus(struct iscsi_session *s)
{
	struct scsi_nexus *n = &s->nexus;

	snprintf(n->i_name, sizeof(n->i_name), "%s", s->iname);
	snprintf(n->i_port, sizeof(n->i_port), "%s,i,0x%02x%02x%02x%02x%02x%02x",
		 s->iname, s->isid[0], s->isid[1], s->isid[2], s->isid[3],
		 s->isid[4], s->isid[5]);
	if (s->tpg) {
		n->tport = &s->tport;
		n->luns = tpg_luns_for(s->tpg, s->acl);
	}
}

/* The final response is queued: the connection enters full feature phase. */
static int login_complete(struct iscsi_conn *c)
{
	struct login_ctx *l = c->login;
	struct iscsi_session *s;

	if (l->join) {
		/* The session lives on its own worker: login_handoff() adds
		 * the connection there. */
		return 0;
	}
	if (!l->discovery) {
		struct iscsi_session *old = session_find_isid(l->iname, l->isid, l->tpg);
		if (old) {
			session_reinstate(old, c->w);
			session_put(old);
		}
	}
	s = session_create(c, &(struct session_identity){
		.iname = l->iname, .isid = l->isid, .reg = l->reg,
		.tpg = l->tpg, .acl = l->acl,
	});
	if (!s)
		return -1;
	l->reg = NULL;		/* the session holds it now */
	s->params = l->neg.sess;
	s->exp_cmdsn = l->cmdsn;
	fill_nexus(s);
	l->tsih = s->tsih;
	session_add_conn(s, c);
	qb_log(LOG_INFO, "%s: %s session for %s (TSIH %u)%s%s", c->peer,
	       l->discovery ? "discovery" : "normal", s->nexus.i_port, s->tsih,
	       l->tpg ? " to " : "", l->tpg ? l->tpg->target->name : "");
	return 0;
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

static void login_handoff_deferred(struct ev_deferred *d)
{
	struct login_ctx *l = container_of(d, struct login_ctx, handoff_d);
	struct iscsi_conn *c = l->conn;
	struct iscsi_session *join = l->join;

	if (c->state == CONN_CLOSED)
		return;		/* its free drops l->join */
	l->join = NULL;
	login_free(c);
	login_handoff(c, join);
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
		if (security_keys(c, kv, n, &resp) < 0)
			return;
	} else if (l->auth != AUTH_DONE) {
		/* The security stage was skipped: only fine with no auth. */
		bool need = !l->discovery && (l->tpg->auth_required ||
					      !l->tpg->auth_none_allowed);
		if (need) {
			login_fail(c, ISCSI_LOGIN_AUTH_FAILED,
				   "authentication required but skipped");
			return;
		}
		l->auth = AUTH_DONE;
	}
	if (iscsi_neg_process(&l->neg, kv, n, &resp, err, sizeof(err)) < 0) {
		login_fail(c, ISCSI_LOGIN_INITIATOR_ERROR, err);
		return;
	}
	if (transit && l->auth != AUTH_DONE) {
		if (l->auth == AUTH_START) {
			bool need = !l->discovery && (l->tpg->auth_required ||
						      !l->tpg->auth_none_allowed);
			if (need) {
				login_fail(c, ISCSI_LOGIN_AUTH_FAILED,
					   "no AuthMethod offered but one is required");
				return;
			}
			l->auth = AUTH_DONE;
		} else {
			transit = false;	/* CHAP still under way */
		}
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
	}
	if (transit && nsg == ISCSI_STAGE_FFP) {
		struct iscsi_session *join = l->join;
		if (login_complete(c) < 0) {
			login_fail(c, ISCSI_LOGIN_OUT_OF_RESOURCES, "cannot create session");
			return;
		}
		login_respond(c, ISCSI_LOGIN_OK, true, nsg, &resp);
		/* The negotiated digests apply from the first PDU after the
		 * final Login Response; that response, as every login PDU,
		 * goes out without them (tx_queue() computes digests when it
		 * queues). Installing them earlier put a header digest on the
		 * final response and broke every initiator that negotiated
		 * HeaderDigest=CRC32C (libiscsi: "NUL not found"). */
		c->params = l->neg.conn;
		conn_enter_ffp(c);
		if (join && join->worker != c->w) {
			/* We are deep inside this worker's conn_cb(), which goes
			 * on reading and flushing c after we return: handing c
			 * to the session's worker now let both threads run it
			 * at once (an initiator's first command right after the
			 * login was processed here, and a use-after-free once
			 * the other worker freed c). Stop reading, and hand off
			 * once this worker is done with c; l->join is dropped by
			 * login_free() if c closes meanwhile. */
			if (c->state != CONN_CLOSED) {
				c->rx_paused = true;
				l->conn = c;
				l->handoff_d.fn = login_handoff_deferred;
				evloop_defer(c->w->loop, &l->handoff_d);
			}
			return;
		}
		l->join = NULL;
		login_free(c);
		if (join)
			login_handoff(c, join);
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

void login_follow(struct iscsi_conn *c, struct iscsi_registry *reg)
{
	struct login_ctx *l = c->login;
	const struct iscsi_tpg *tpg;
	const struct iscsi_acl *acl;

	if (!l->tpg || l->reg == reg)
		return;
	tpg = iscsi_registry_find_tpg(reg, l->tpg->target->name, l->tpg->tag);
	acl = tpg ? tpg_find_acl(tpg, l->iname) : NULL;
	if (!tpg || !tpg->enabled || (l->acl && !acl) || (!acl && !tpg->demo_mode) ||
	    !login_portal_serves(tpg, &c->local)) {
		conn_close(c, "the target changed during login");
		return;
	}
	l->tpg = tpg;
	l->acl = acl;
	l->creds = acl ? &acl->auth : &tpg->auth;
	l->neg.lim = &tpg->limits;
	atomic_fetch_add(&reg->refs, 1);
	iscsi_registry_put(l->reg);
	l->reg = reg;
}
