/* saveconfig, restoreconfig, clearconfig and status: the commands about
 * the whole configuration or the running daemon. */
#include "ctl/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "ctl/savefile.h"
#include "ctl/session.h"

static const char *const save_params[] = { "savefile", NULL };

static int cmd_saveconfig(struct cmd_ctx *c)
{
	char path[4096], *text;
	const char *v[1];
	int rc;

	if ((rc = ARGS_BIND(c, save_params, 0, v)))
		return rc;
	if (v[0]) {
		if (!*v[0] || strlen(v[0]) >= sizeof(path))
			return cmd_usage(c, "savefile='%s' is not a usable path", v[0]);
		snprintf(path, sizeof(path), "%s", v[0]);
	} else if ((rc = session_config_path(c->sess, path, sizeof(path), c->err,
					     sizeof(c->err)))) {
		return rc;
	}
	/* targetcli's layout: keys sorted, two-space indent. */
	text = json_dumps(c->cfg, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return cmd_usage(c, "cannot encode the configuration");
	rc = save_atomic(path, text, c->err, sizeof(c->err));
	free(text);
	if (rc < 0) {
		/* The file system said no, not the daemon: still not our usage. */
		return CTL_REFUSED;
	}
	cmd_msg(c, "Configuration saved to %s", path);
	return CTL_OK;
}

static bool config_empty(json_t *cfg)
{
	return !json_array_size(json_object_get(cfg, "storage_objects")) &&
	       !json_array_size(json_object_get(cfg, "targets"));
}

/* The live config becomes want (which stays the caller's). */
static void replace_config(struct cmd_ctx *c, json_t *want)
{
	json_object_clear(c->cfg);
	json_object_update(c->cfg, want);
}

static const char *const restore_params[] = { "savefile", "clear_existing", NULL };

static int cmd_restoreconfig(struct cmd_ctx *c)
{
	bool clear = false;
	json_error_t jerr;
	const char *v[2];
	json_t *want;
	int rc;

	if ((rc = ARGS_BIND(c, restore_params, 1, v)))
		return rc;
	/* targetcli takes the bare word too: `restoreconfig FILE clear_existing`. */
	if (v[1] && strcmp(v[1], "clear_existing") && parse_bool(v[1], &clear) < 0)
		return cmd_usage(c, "clear_existing='%s' is not a boolean", v[1]);
	if (v[1] && !strcmp(v[1], "clear_existing"))
		clear = true;
	want = json_load_file(v[0], JSON_REJECT_DUPLICATES, &jerr);
	if (!want)
		return cmd_usage(c, "savefile='%s': %s (line %d, column %d)", v[0], jerr.text,
				 jerr.line, jerr.column);
	if (!json_is_object(want)) {
		json_decref(want);
		return cmd_usage(c, "savefile='%s': not a JSON object", v[0]);
	}
	/* rtslib's rule: without clear_existing, only into an empty config. */
	if (!clear && !config_empty(c->cfg)) {
		json_decref(want);
		return cmd_usage(c, "storage objects or targets present, not restoring "
				 "(add clear_existing to replace them)");
	}
	replace_config(c, want);
	json_decref(want);
	c->imported = true;
	cmd_msg(c, "Configuration restored from %s", v[0]);
	return CTL_OK;
}

static const char *const clear_params[] = { "confirm", NULL };

static int cmd_clearconfig(struct cmd_ctx *c)
{
	bool yes = false;
	const char *v[1];
	json_t *empty;
	int rc;

	if ((rc = ARGS_BIND(c, clear_params, 0, v)))
		return rc;
	if (!v[0] || parse_bool(v[0], &yes) < 0 || !yes)
		return cmd_usage(c, "this removes every target and storage object: "
				 "run 'clearconfig confirm=true'");
	empty = json_pack("{s:[], s:[]}", "storage_objects", "targets");
	replace_config(c, empty);
	json_decref(empty);
	cmd_msg(c, "All configuration cleared");
	return CTL_OK;
}

static const char *s_or(json_t *o, const char *key)
{
	return tree_str(o, key) ? tree_str(o, key) : "?";
}

static void session_lines(struct cmd_ctx *c, json_t *s, const char *indent)
{
	json_t *conn;
	size_t i;

	if (!strcmp(s_or(s, "type"), "discovery"))
		cmd_msg(c, "%sdiscovery session %s from %s, %lld connection(s)", indent,
			s_or(s, "initiator"), s_or(s, "address"),
			(long long)tree_int(s, "connection_count", 0));
	else
		cmd_msg(c, "%ssession %s isid %s tsih %lld", indent, s_or(s, "initiator"),
			s_or(s, "isid"), (long long)tree_int(s, "tsih", 0));
	json_array_foreach(json_object_get(s, "connections"), i, conn)
		cmd_msg(c, "%s  connection cid %lld %s <- %s", indent,
			(long long)tree_int(conn, "cid", 0), s_or(conn, "local"), s_or(conn, "peer"));
}

static void storage_lines(struct cmd_ctx *c, json_t *so)
{
	json_t *l;
	size_t i;

	cmd_msg(c, "storage %s/%s %s: %s, %lld LUN reference(s), %lld in flight",
		s_or(so, "plugin"), s_or(so, "name"),
		tree_str(so, "dev") && *tree_str(so, "dev") ? tree_str(so, "dev") : "(memory)",
		tree_int(so, "attached", 0) ? "attached" : "not attached (no LUN maps it)",
		(long long)tree_int(so, "lun_refs", 0), (long long)tree_int(so, "inflight", 0));
	json_array_foreach(json_object_get(so, "luns"), i, l)
		cmd_msg(c, "  exported as /iscsi/%s/tpg%lld/luns/lun%lld", s_or(l, "target"),
			(long long)tree_int(l, "tpg", 0), (long long)tree_int(l, "lun", 0));
	cmd_msg(c, "  reads %lld (%lld bytes), writes %lld (%lld bytes), errors %lld",
		(long long)tree_int(so, "reads", 0), (long long)tree_int(so, "read_bytes", 0),
		(long long)tree_int(so, "writes", 0), (long long)tree_int(so, "write_bytes", 0),
		(long long)tree_int(so, "errors", 0));
}

static void status_text(struct cmd_ctx *c, json_t *rsp)
{
	json_t *t, *tpg, *p, *s, *so;
	size_t i, j, k;

	json_array_foreach(json_object_get(rsp, "targets"), i, t) {
		cmd_msg(c, "target %s", s_or(t, "name"));
		json_array_foreach(json_object_get(t, "tpgs"), j, tpg) {
			cmd_msg(c, "  tpg%lld %s", (long long)tree_int(tpg, "tag", 0),
				tree_int(tpg, "enabled", 0) ? "enabled" : "disabled");
			json_array_foreach(json_object_get(tpg, "portals"), k, p)
				cmd_msg(c, "    portal %s:%lld %s", s_or(p, "ip_address"),
					(long long)tree_int(p, "port", 0),
					tree_int(p, "listening", 0) ? "listening" : "NOT listening");
			json_array_foreach(json_object_get(tpg, "sessions"), k, s)
				session_lines(c, s, "    ");
		}
	}
	json_array_foreach(json_object_get(rsp, "discovery_sessions"), i, s)
		session_lines(c, s, "");
	json_array_foreach(json_object_get(rsp, "storage"), i, so)
		storage_lines(c, so);
}

static int cmd_status(struct cmd_ctx *c)
{
	json_t *req, *rsp;
	char *s;
	int rc;

	if ((rc = args_bind(c, NULL, 0, NULL, 0)))
		return rc;
	req = json_pack("{s:s}", "op", "status");
	rc = session_call(c->sess, req, &rsp, c->err, sizeof(c->err));
	json_decref(req);
	if (rc) {
		json_decref(rsp);
		return rc;
	}
	if (c->json) {
		json_object_del(rsp, "ok");
		s = json_dumps(rsp, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (s)
			cmd_msg(c, "%s", s);
		free(s);
	} else {
		status_text(c, rsp);
	}
	json_decref(rsp);
	return CTL_OK;
}

const struct command cmds_config[] = {
	{ "saveconfig", KIND_ANY, CMD_READ, cmd_saveconfig, save_params,
	  "saveconfig [savefile]", NULL },
	{ "restoreconfig", KIND_ANY, CMD_EDIT, cmd_restoreconfig, restore_params,
	  "restoreconfig savefile [clear_existing]", NULL },
	{ "clearconfig", KIND_ANY, CMD_EDIT, cmd_clearconfig, clear_params,
	  "clearconfig confirm=true", NULL },
	{ "status", KIND_ANY, CMD_READ, cmd_status, NULL, "status", NULL },
	{ 0 }
};
