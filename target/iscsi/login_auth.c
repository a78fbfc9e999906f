/* The login's security stage (RFC 7143 6.3.1, 12.1): the AuthMethod chosen
 * from the initiator's list (None, CHAP) as the TPG allows, then CHAP, one
 * way or mutual (chap.c does the digests). */
#include "iscsi/login.h"

#include <string.h>

#include "common/log.h"

static bool auth_required(const struct login_ctx *l)
{
	return !l->discovery && (l->tpg->auth_required || !l->tpg->auth_none_allowed);
}

int login_auth_skip(struct iscsi_conn *c, const char *why)
{
	if (auth_required(c->login)) {
		login_fail(c, ISCSI_LOGIN_AUTH_FAILED, why);
		return -1;
	}
	c->login->auth = AUTH_DONE;
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

/* CHAP_A offered: pick an algorithm and send the challenge. */
static int chap_challenge(struct iscsi_conn *c, const char *a, struct iscsi_text *resp)
{
	struct login_ctx *l = c->login;
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

/* The initiator's response, and its own challenge when it asks for
 * mutual CHAP. */
static int chap_response(struct iscsi_conn *c, const struct iscsi_kv *kv, int n,
			 struct iscsi_text *resp)
{
	struct login_ctx *l = c->login;
	const char *nm = login_key(kv, n, "CHAP_N"), *r = login_key(kv, n, "CHAP_R");
	const char *ci = login_key(kv, n, "CHAP_I"), *cc = login_key(kv, n, "CHAP_C");
	char err[160];

	if (!nm || !r) {
		login_fail(c, ISCSI_LOGIN_AUTH_FAILED, "CHAP_N or CHAP_R missing");
		return -1;
	}
	if (chap_target_verify(&l->chap, l->creds->userid, l->creds->password,
			       nm, r, err, sizeof(err)) < 0) {
		tlog(LOG_NOTICE, "%s: CHAP for %s: %s", c->peer, l->iname, err);
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
			tlog(LOG_NOTICE, "%s: mutual CHAP: %s", c->peer, err);
			login_fail(c, ISCSI_LOGIN_AUTH_FAILED, "mutual CHAP refused");
			return -1;
		}
		iscsi_text_add(resp, "CHAP_N", l->creds->mutual_userid);
		iscsi_text_add(resp, "CHAP_R", out);
	}
	l->auth = AUTH_DONE;
	tlog(LOG_INFO, "%s: %s authenticated with CHAP", c->peer, l->iname);
	return 0;
}

int login_security_keys(struct iscsi_conn *c, const struct iscsi_kv *kv, int n,
			struct iscsi_text *resp)
{
	struct login_ctx *l = c->login;
	const char *am = login_key(kv, n, "AuthMethod");

	if (am && l->auth == AUTH_START && choose_auth(c, am, resp) < 0) {
		login_fail(c, ISCSI_LOGIN_AUTH_FAILED, "no acceptable AuthMethod");
		return -1;
	}
	if (l->auth == AUTH_CHAP_WAIT_A) {
		const char *a = login_key(kv, n, "CHAP_A");
		return a ? chap_challenge(c, a, resp) : 0;
	}
	if (l->auth == AUTH_CHAP_WAIT_R)
		return chap_response(c, kv, n, resp);
	return 0;
}
