/* The end of a login: the session started (an older one with the same
 * initiator port reinstated) or, for a connection with a TSIH, joined on
 * the worker that owns it; the final response sent; full feature phase. */
#include "iscsi/login.h"

#include <stdio.h>

#include "common/log.h"

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
	tlog(LOG_INFO, "%s: %s session for %s (TSIH %u)%s%s", c->peer,
	     l->discovery ? "discovery" : "normal", s->nexus.i_port, s->tsih,
	     l->tpg ? " to " : "", l->tpg ? l->tpg->target->name : "");
	return 0;
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

void login_enter_ffp(struct iscsi_conn *c, const struct iscsi_text *resp)
{
	struct login_ctx *l = c->login;
	struct iscsi_session *join = l->join;

	if (login_complete(c) < 0) {
		login_fail(c, ISCSI_LOGIN_OUT_OF_RESOURCES, "cannot create session");
		return;
	}
	login_respond(c, ISCSI_LOGIN_OK, true, ISCSI_STAGE_FFP, resp);
	/* The negotiated digests apply from the first PDU after the final
	 * Login Response; that response, as every login PDU, goes out
	 * without them (tx_queue() computes digests when it queues).
	 * Installing them earlier put a header digest on the final response
	 * and broke every initiator that negotiated HeaderDigest=CRC32C
	 * (libiscsi: "NUL not found"). */
	c->params = l->neg.conn;
	conn_enter_ffp(c);
	if (join && join->worker != c->w) {
		/* We are deep inside this worker's conn_cb(), which goes on
		 * reading and flushing c after we return: handing c to the
		 * session's worker now let both threads run it at once (an
		 * initiator's first command right after the login was
		 * processed here, and a use-after-free once the other worker
		 * freed c). Stop reading, and hand off once this worker is
		 * done with c; l->join is dropped by login_free() if c closes
		 * meanwhile. */
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
}
