/* Who logs in to what: the initiator's name and session type, the target
 * it names, found behind the portal the connection came in on, its ACL,
 * and the session a connection with a TSIH joins. A login in progress
 * follows a registry swap the same way. */
#include "iscsi/login.h"

#include <arpa/inet.h>
#include <string.h>

#include "common/log.h"

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

int login_identify(struct iscsi_conn *c, const struct iscsi_kv *kv, int n)
{
	struct login_ctx *l = c->login;
	const char *iname = login_key(kv, n, "InitiatorName");
	const char *type = login_key(kv, n, "SessionType");
	const char *tname = login_key(kv, n, "TargetName");
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
		tlog(LOG_NOTICE, "%s: %s asked for %s: %s", c->peer, iname, tname,
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
		tlog(LOG_NOTICE, "%s: %s has no ACL on %s", c->peer, iname, tname);
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
