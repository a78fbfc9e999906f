/* The control socket's operations (docs/control-protocol.md): ping,
 * get_config and status answer at once from the main thread's view;
 * apply_config goes to apply.c and may answer much later. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <qb/qblog.h>

#include "backstore/backstore.h"
#include "daemon/config_dump.h"
#include "daemon/ctl_server.h"
#include "daemon/daemon.h"

#define TANDEMD_VERSION "0.1"

static void op_ping(struct tandemd *d, struct ctl_request *req)
{
	ctl_reply(req, json_pack("{s:b,s:s,s:i,s:s,s:I}", "ok", 1,
				 "version", TANDEMD_VERSION, "pid", (int)getpid(),
				 "config_path", d->config_path,
				 "generation", (json_int_t)d->generation));
}

static void op_get_config(struct tandemd *d, struct ctl_request *req)
{
	json_t *doc = config_dump(d->live->cfg);

	if (!doc) {
		ctl_reply_error(req, "out of memory");
		return;
	}
	ctl_reply(req, json_pack("{s:b,s:I,s:o}", "ok", 1,
				 "generation", (json_int_t)d->generation,
				 "config", doc));
}

/* "ADDR:PORT", IPv6 as "[ADDR]:PORT". */
static void format_addr(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(out, len, "%s:%u", host, ntohs(a->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(out, len, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		snprintf(out, len, "?");
	}
}

static json_t *find_tpg_json(json_t *targets, const char *target, uint16_t tag)
{
	json_t *t, *g;
	size_t i, j;

	json_array_foreach(targets, i, t) {
		if (strcmp(json_string_value(json_object_get(t, "name")), target))
			continue;
		json_array_foreach(json_object_get(t, "tpgs"), j, g)
			if (json_integer_value(json_object_get(g, "tag")) == tag)
				return g;
	}
	return NULL;
}

struct session_lists {
	json_t *targets;
	json_t *discovery;
};

/* One entry of status: a normal session in its TPG's list, a discovery
 * session (no target until it logs out) in the daemon's own list. */
static void add_session(const struct iscsi_session_info *si, void *arg)
{
	struct session_lists *l = arg;
	json_t *list, *conns, *s;
	char isid[13];

	if (si->target) {
		json_t *g = find_tpg_json(l->targets, si->target, si->tag);
		if (!g)
			return;		/* a TPG being removed */
		list = json_object_get(g, "sessions");
	} else {
		list = l->discovery;
	}
	conns = json_array();
	for (unsigned i = 0; i < si->nconns; i++) {
		char local[INET6_ADDRSTRLEN + 8];
		format_addr(si->conns[i].local, local, sizeof(local));
		json_array_append_new(conns, json_pack("{s:i,s:s,s:s}",
			"cid", si->conns[i].cid, "local", local,
			"peer", si->conns[i].peer));
	}
	snprintf(isid, sizeof(isid), "%02x%02x%02x%02x%02x%02x", si->isid[0],
		 si->isid[1], si->isid[2], si->isid[3], si->isid[4], si->isid[5]);
	s = json_pack("{s:s,s:s,s:s,s:i,s:s,s:i,s:o}", "type",
		      si->target ? "normal" : "discovery", "initiator", si->initiator,
		      "isid", isid, "tsih", si->tsih,
		      "address", si->nconns ? si->conns[0].peer : "",
		      "connection_count", (int)si->nconns, "connections", conns);
	json_array_append_new(list, s);
}

static json_t *status_targets(struct tandemd *d, json_t *discovery)
{
	const struct tconfig *cfg = d->live->cfg;
	json_t *targets = json_array();

	for (unsigned i = 0; i < cfg->ntargets; i++) {
		const struct cfg_target *t = &cfg->targets[i];
		json_t *tpgs = json_array();

		for (unsigned j = 0; j < t->ntpgs; j++) {
			const struct cfg_tpg *g = &t->tpgs[j];
			const struct iscsi_tpg *ig = &d->live->reg.targets[i].tpgs[j];
			json_t *portals = json_array();

			for (unsigned k = 0; k < g->nportals; k++)
				json_array_append_new(portals, json_pack("{s:s,s:i,s:b}",
					"ip_address", g->portals[k].ip,
					"port", g->portals[k].port,
					"listening", listeners_serving(&d->ls,
								&ig->portals[k])));
			json_array_append_new(tpgs, json_pack("{s:i,s:b,s:o,s:[]}",
				"tag", g->tag, "enabled", g->enable,
				"portals", portals, "sessions"));
		}
		json_array_append_new(targets, json_pack("{s:s,s:o}", "name", t->wwn,
							 "tpgs", tpgs));
	}
	iscsi_sessions_foreach(add_session,
			       &(struct session_lists){ targets, discovery });
	return targets;
}

static void add_lun_ref(const struct cfg_target *t, const struct cfg_tpg *g,
			const struct cfg_lun *l, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s,s:i,s:I}", "target", t->wwn,
					     "tpg", g->tag, "lun", (json_int_t)l->index));
}

static json_t *status_storage(struct tandemd *d)
{
	static const char *const plugin[] = {
		[BS_RAMDISK] = "ramdisk", [BS_FILEIO] = "fileio", [BS_BLOCK] = "block",
	};
	const struct objects *o = d->live;
	json_t *arr = json_array();

	for (unsigned i = 0; i < o->nstorage; i++) {
		const struct cfg_storage *s = &o->cfg->storage[i];
		const struct scsi_lu *lu = o->lus[i];
		const struct scsi_lu_stats *st = &lu->stats;
		json_t *luns = json_array();

		config_lun_foreach(o->cfg, i, add_lun_ref, luns);
		json_array_append_new(arr, json_pack(
			"{s:s,s:s,s:s,s:b,s:i,s:o,s:I,s:I,s:I,s:I,s:I,s:I}",
			"name", s->bs.name, "plugin", plugin[s->bs.kind],
			"dev", s->bs.kind == BS_RAMDISK ? "" : s->bs.path,
			"attached", json_array_size(luns) > 0,
			"lun_refs", (int)json_array_size(luns), "luns", luns,
			"inflight", (json_int_t)scsi_lu_inflight(lu),
			"reads", (json_int_t)atomic_load(&st->read_cmds),
			"writes", (json_int_t)atomic_load(&st->write_cmds),
			"read_bytes", (json_int_t)atomic_load(&st->read_bytes),
			"write_bytes", (json_int_t)atomic_load(&st->write_bytes),
			"errors", (json_int_t)atomic_load(&st->errors)));
	}
	return arr;
}

static void op_status(struct tandemd *d, struct ctl_request *req)
{
	json_t *discovery = json_array();
	json_t *targets = status_targets(d, discovery);

	ctl_reply(req, json_pack("{s:b,s:I,s:o,s:o,s:o}", "ok", 1,
				 "generation", (json_int_t)d->generation,
				 "targets", targets, "discovery_sessions", discovery,
				 "storage", status_storage(d)));
}

void ctl_ops_handle(struct ctl_request *req, json_t *body, void *arg)
{
	struct tandemd *d = arg;
	const char *op = json_string_value(json_object_get(body, "op"));

	if (!strcmp(op, "ping"))
		op_ping(d, req);
	else if (!strcmp(op, "get_config"))
		op_get_config(d, req);
	else if (!strcmp(op, "status"))
		op_status(d, req);
	else if (!strcmp(op, "apply_config"))
		apply_request(d, req, body);
	else
		ctl_reply_error(req, "unknown op \"%.64s\" (ping, get_config, "
				"status, apply_config)", op);
}
