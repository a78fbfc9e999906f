/* The login phase's own state, shared by the files it is made of: login.c
 * (the PDUs and the stages), login_identity.c (who logs in to what),
 * login_auth.c (the security stage) and login_session.c (the move to full
 * feature phase). The rest of the fabric sees only conn.h's login_*. */
#ifndef TANDEM_ISCSI_LOGIN_H
#define TANDEM_ISCSI_LOGIN_H

#include <stdbool.h>
#include <stdint.h>

#include "iscsi/chap.h"
#include "iscsi/conn.h"
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
	char *text;			/* request text across C=1 PDUs */
	size_t text_len;
	struct iscsi_conn *conn;	/* for handoff_d */
	struct ev_deferred handoff_d;	/* joins a session on another worker */
};

/* login.c */
/* Sends a login response; status != OK ends the connection after it. */
void login_respond(struct iscsi_conn *c, uint16_t status, bool transit,
		   uint8_t nsg, const struct iscsi_text *text);
/* Refuses the login with status, logging why. */
void login_fail(struct iscsi_conn *c, uint16_t status, const char *why);
/* The value of key among the request's n pairs, or NULL. */
const char *login_key(const struct iscsi_kv *kv, int n, const char *key);

/* login_identity.c: the first PDU names the initiator, the session type,
 * the target (looked up behind this portal) and any session to join; 0,
 * or -1 with the login refused. */
int login_identify(struct iscsi_conn *c, const struct iscsi_kv *kv, int n);

/* login_auth.c */
/* The security stage's keys: AuthMethod, then CHAP; 0, or -1 with the
 * login refused. */
int login_security_keys(struct iscsi_conn *c, const struct iscsi_kv *kv, int n,
			struct iscsi_text *resp);
/* The initiator leaves the security stage with no AuthMethod chosen: fine
 * (0) where none is required, else the login is refused with why (-1). */
int login_auth_skip(struct iscsi_conn *c, const char *why);

/* login_session.c: the final response is ready: starts, reinstates or
 * joins the session, sends the response, and enters full feature phase. */
void login_enter_ffp(struct iscsi_conn *c, const struct iscsi_text *resp);

#endif
