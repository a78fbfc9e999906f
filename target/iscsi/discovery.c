/* SendTargets (RFC 7143 Appendix C): the targets, and their portals, that
 * this initiator may log in to through the portal it asked on. */
#include "iscsi/conn.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "iscsi/text.h"

static void format_addr(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(out, len, "%s:%u", host, ntohs(a->sin_port));
	} else {
		const struct sockaddr_in6 *a = (const void *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(out, len, "[%s]:%u", host, ntohs(a->sin6_port));
	}
}

static bool is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)ss)->sin_addr.s_addr ==
		       INADDR_ANY;
	return IN6_IS_ADDR_UNSPECIFIED(
		&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr);
}

static bool may_see(const struct iscsi_tpg *tpg, const char *iname)
{
	return tpg->enabled && (tpg->demo_mode || tpg_find_acl(tpg, iname));
}

int discovery_send_targets(struct iscsi_conn *c, const char *what,
			   struct iscsi_text *out)
{
	struct iscsi_registry *reg;
	const char *iname = c->sess->iname;
	bool all = !strcmp(what, "All");

	/* "All" belongs to discovery sessions; in a normal session the empty
	 * value names the session's own target (RFC 7143 C.2). */
	if (all && !c->sess->discovery)
		return iscsi_text_add(out, "SendTargets", "Reject");
	/* The daemon may publish a new snapshot meanwhile: hold this one. */
	reg = iscsi_registry_get();
	for (unsigned i = 0; reg && i < reg->ntargets; i++) {
		const struct iscsi_target *t = &reg->targets[i];
		bool named = false;

		if (!all) {
			if (*what)
				named = !strcmp(what, t->name);
			else
				named = c->sess->tpg &&
					!strcmp(c->sess->tpg->target->name, t->name);
			if (!named)
				continue;
		}
		bool listed = false;
		for (unsigned j = 0; j < t->ntpgs; j++) {
			const struct iscsi_tpg *tpg = &t->tpgs[j];
			if (!may_see(tpg, iname) || !login_portal_serves(tpg, &c->local))
				continue;
			if (!listed) {
				iscsi_text_add(out, "TargetName", t->name);
				listed = true;
			}
			for (unsigned k = 0; k < tpg->nportals; k++) {
				char addr[INET6_ADDRSTRLEN + 16];
				struct sockaddr_storage a = tpg->portals[k].addr;
				if (is_wildcard(&a)) {
					/* Report the address the initiator reached us on,
					 * with the portal's port. */
					uint16_t port = a.ss_family == AF_INET ?
						((struct sockaddr_in *)(void *)&a)->sin_port :
						((struct sockaddr_in6 *)(void *)&a)->sin6_port;
					a = c->local;
					if (a.ss_family == AF_INET)
						((struct sockaddr_in *)(void *)&a)->sin_port = port;
					else
						((struct sockaddr_in6 *)(void *)&a)->sin6_port = port;
				}
				format_addr(&a, addr, sizeof(addr));
				iscsi_text_addf(out, "TargetAddress", "%s,%u", addr, tpg->tag);
			}
		}
	}
	iscsi_registry_put(reg);
	return out->overflow ? -1 : 0;
}
