/* The request cycle, and the one place that turns a command's outcome into
 * output and an exit code. */
#include "ctl/session.h"

#include <stdlib.h>
#include <string.h>

#include "ctl/client.h"
#include "ctl/update.h"

/* apply_config drains I/O of removed LUNs and logs sessions out before it
 * answers; a daemon silent for this long is stuck. */
#define CALL_TIMEOUT_MS 120000
#define APPLY_ATTEMPTS 5

struct ctl_session {
	struct ctl_client *cl;
	char socket[256];
};

int session_open(struct ctl_session **out, const char *socket, char *err, size_t errlen)
{
	struct ctl_session *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return CTL_UNREACHABLE;
	}
	snprintf(s->socket, sizeof(s->socket), "%s", socket);
	*out = s;
	return CTL_OK;
}

void session_close(struct ctl_session *s)
{
	if (!s)
		return;
	ctl_disconnect(s->cl);
	free(s);
}

/* Connects on first use, and again after a failure: the daemon may have
 * restarted in between. */
static int connected(struct ctl_session *s, char *err, size_t errlen)
{
	if (!s->cl)
		s->cl = ctl_connect(s->socket, err, errlen);
	return s->cl ? CTL_OK : CTL_UNREACHABLE;
}

static void lost(struct ctl_session *s)
{
	ctl_disconnect(s->cl);
	s->cl = NULL;
}

int session_call(struct ctl_session *s, json_t *req, json_t **rsp, char *err, size_t errlen)
{
	*rsp = NULL;
	if (connected(s, err, errlen))
		return CTL_UNREACHABLE;
	switch (ctl_request(s->cl, req, CALL_TIMEOUT_MS, rsp, err, errlen)) {
	case CTL_CALL_OK:
		return CTL_OK;
	case CTL_CALL_REFUSED:
		return CTL_REFUSED;
	case CTL_CALL_FAILED:
		break;
	}
	lost(s);
	return CTL_UNREACHABLE;
}

static int simple_call(struct ctl_session *s, const char *op, json_t **rsp,
		       char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s}", "op", op);
	int rc = session_call(s, req, rsp, err, errlen);

	json_decref(req);
	return rc;
}

int session_get_config(struct ctl_session *s, json_t **cfg, json_int_t *gen,
		       char *err, size_t errlen)
{
	json_t *rsp;
	int rc = simple_call(s, "get_config", &rsp, err, errlen);

	*cfg = NULL;
	if (rc == CTL_OK) {
		*cfg = json_deep_copy(json_object_get(rsp, "config"));
		*gen = tree_int(rsp, "generation", 0);
		if (!json_is_object(*cfg)) {
			snprintf(err, errlen, "tandemd's get_config answer has no config object");
			json_decref(*cfg);
			*cfg = NULL;
			rc = CTL_REFUSED;
		}
	}
	json_decref(rsp);
	return rc;
}

int session_config_path(struct ctl_session *s, char *out, size_t len, char *err, size_t errlen)
{
	json_t *rsp;
	int rc = simple_call(s, "ping", &rsp, err, errlen);

	if (rc == CTL_OK) {
		if (tree_str(rsp, "config_path") && *tree_str(rsp, "config_path")) {
			snprintf(out, len, "%s", tree_str(rsp, "config_path"));
		} else {
			snprintf(err, errlen, "tandemd did not say which config file it serves");
			rc = CTL_REFUSED;
		}
	}
	json_decref(rsp);
	return rc;
}

/* " (/backstores/pscsi/tape0)" for a refusal at "storage_objects[3]",
 * " (naa.5001...)" at "targets[1]": the daemon names the JSON path, the
 * administrator knows the objects by name. */
static void object_name(json_t *cfg, const char *path, char *out, size_t len)
{
	unsigned idx;
	json_t *o;
	int n = 0;

	out[0] = '\0';
	if (sscanf(path, "storage_objects[%u]%n", &idx, &n) == 1 && n > 0) {
		o = json_array_get(json_object_get(cfg, "storage_objects"), idx);
		if (o)
			snprintf(out, len, " (/backstores/%s/%s)",
				 tree_str(o, "plugin") ? tree_str(o, "plugin") : "?",
				 tree_str(o, "name") ? tree_str(o, "name") : "?");
	} else if (sscanf(path, "targets[%u]%n", &idx, &n) == 1 && n > 0) {
		o = json_array_get(json_object_get(cfg, "targets"), idx);
		if (o)
			snprintf(out, len, " (%s target %s)",
				 tree_str(o, "fabric") ? tree_str(o, "fabric") : "?",
				 tree_str(o, "wwn") ? tree_str(o, "wwn") : "?");
	}
}

static void print_msgs(struct cmd_ctx *c)
{
	for (size_t i = 0; i < c->msgs.n; i++)
		printf("%s\n", c->msgs.v[i]);
	fflush(stdout);
}

/* The daemon's refusals of a restoreconfig with skip_unsupported, each
 * named as the administrator knows the object. */
static void report_refused(struct cmd_ctx *c, json_t *answer)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(answer, "refused"), i, v) {
		const char *path = tree_str(v, "path") ? tree_str(v, "path") : "?";
		char what[TREE_PATH_MAX];

		object_name(c->cfg, path, what, sizeof(what));
		cmd_msg(c, "Refused %s%s: %s", path, what,
			tree_str(v, "reason") ? tree_str(v, "reason") : "no reason given");
	}
}

struct edit {
	struct cmd_ctx *c;
	const char *name, *path;
};

/* One attempt of a command on the live config: resolve the node, run
 * the command, and say whether there is something to apply. */
static int edit_cb(json_t *cfg, void *arg, char *err, size_t errlen)
{
	struct edit *e = arg;
	struct cmd_ctx *c = e->c;
	const struct command *cmd;
	json_t *before;
	bool changed;
	int rc;

	names_free(&c->msgs);
	json_decref(c->cfg);
	c->cfg = json_incref(cfg);
	c->imported = false;
	if (tree_resolve(cfg, c->cwd, e->path, &c->node, c->err, sizeof(c->err)) < 0)
		return -CTL_USAGE;
	/* Which command a name means depends on the node kind. */
	cmd = cmd_find(e->name, c->node.kind);
	if (!cmd) {
		snprintf(c->err, sizeof(c->err), "%s: no such command at %.512s (try help)",
			 e->name, c->node.path);
		return -CTL_USAGE;
	}
	if (cmd->type != CMD_EDIT)
		return (rc = cmd->run(c)) ? -rc : CTL_EDIT_SAME;
	before = json_deep_copy(cfg);
	rc = cmd->run(c);
	changed = !json_equal(before, cfg);
	json_decref(before);
	if (rc)
		return -rc;
	if (!changed)
		return CTL_EDIT_SAME;
	return c->imported ? CTL_EDIT_IMPORTED : CTL_EDIT_CHANGED;
}

/* Reads the config, runs the command on it and, for an edit, applies the
 * result; a conflict (someone changed the config meanwhile) redoes the
 * whole command on the new config. */
static int run_on_config(struct cmd_ctx *c, const char *name, const char *path)
{
	static const struct ctl_budget budget = {
		.attempts = APPLY_ATTEMPTS, .call_ms = CALL_TIMEOUT_MS,
	};
	struct edit e = { c, name, path };
	struct ctl_update_res res;
	int rc = connected(c->sess, c->err, sizeof(c->err));

	if (rc)
		return rc;
	switch (ctl_update(c->sess->cl, edit_cb, &e, &budget, &res)) {
	case CTL_UPDATE_APPLIED:
		report_refused(c, res.answer);
		json_decref(res.answer);
		return CTL_OK;
	case CTL_UPDATE_UNCHANGED:
		return CTL_OK;
	case CTL_UPDATE_EDIT_FAILED:
		return -res.edit_rc;
	case CTL_UPDATE_REFUSED:
	case CTL_UPDATE_CONFLICT:
		snprintf(c->err, sizeof(c->err), "%s", res.err);
		return CTL_REFUSED;
	case CTL_UPDATE_UNREACHABLE:
		break;
	}
	snprintf(c->err, sizeof(c->err), "%s", res.err);
	lost(c->sess);
	return CTL_UNREACHABLE;
}

/* Any command of that name: whether it needs the daemon at all. */
static const struct command *find_any(const char *name)
{
	for (size_t t = 0; cmd_all[t]; t++)
		for (const struct command *c = cmd_all[t]; c->name; c++)
			if (!strcmp(c->name, name))
				return c;
	return NULL;
}

int run_command(struct ctl_session *s, char *cwd, const char *path, int argc, char **argv,
		bool json, bool *quit)
{
	struct cmd_ctx c = { .sess = s, .json = json };
	const struct command *cmd;
	int rc;

	if (argc < 1) {
		fprintf(stderr, "tandemctl: no command given (try help)\n");
		return CTL_USAGE;
	}
	snprintf(c.cwd, sizeof(c.cwd), "%s", cwd);
	c.cmd = argv[0];
	c.argc = argc - 1;
	c.argv = argv + 1;
	cmd = find_any(argv[0]);
	if (!cmd) {
		fprintf(stderr, "tandemctl: unknown command '%s' (try help)\n", argv[0]);
		return CTL_USAGE;
	}
	if (cmd->type == CMD_LOCAL)
		rc = cmd->run(&c);
	else
		rc = run_on_config(&c, argv[0], path);
	if (rc == CTL_OK) {
		print_msgs(&c);
		snprintf(cwd, TREE_PATH_MAX, "%s", c.cwd);
	} else {
		fprintf(stderr, "tandemctl: %s\n", c.err[0] ? c.err : "failed");
	}
	if (quit)
		*quit = c.quit;
	json_decref(c.cfg);
	names_free(&c.msgs);
	return rc;
}
