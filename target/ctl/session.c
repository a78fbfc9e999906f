/* The request cycle, and the one place that turns a command's outcome into
 * output and an exit code. */
#include "ctl/session.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "ctl/client.h"

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

int session_call(struct ctl_session *s, json_t *req, json_t **rsp, char *err, size_t errlen)
{
	json_t *r;

	*rsp = NULL;
	if (!s->cl) {
		s->cl = ctl_connect(s->socket, err, errlen);
		if (!s->cl)
			return CTL_UNREACHABLE;
	}
	r = ctl_call(s->cl, req, CALL_TIMEOUT_MS, err, errlen);
	if (!r) {
		/* The next request reconnects: the daemon may have restarted. */
		ctl_disconnect(s->cl);
		s->cl = NULL;
		return CTL_UNREACHABLE;
	}
	*rsp = r;
	if (json_is_true(json_object_get(r, "ok")))
		return CTL_OK;
	snprintf(err, errlen, "%s", tree_str(r, "error") ? tree_str(r, "error") :
		 "tandemd refused the request without saying why");
	return CTL_REFUSED;
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

int session_apply(struct cmd_ctx *c, json_t *cfg, json_int_t gen, bool skip_unsupported,
		  bool *conflict)
{
	json_t *req, *rsp, *v;
	size_t i;
	int rc;

	req = json_pack("{s:s, s:O, s:I, s:b}", "op", "apply_config", "config", cfg,
			"generation", gen, "skip_unsupported", skip_unsupported);
	if (!req) {
		snprintf(c->err, sizeof(c->err), "cannot build the apply_config request");
		return CTL_REFUSED;
	}
	rc = session_call(c->sess, req, &rsp, c->err, sizeof(c->err));
	json_decref(req);
	*conflict = rc == CTL_REFUSED && json_is_true(json_object_get(rsp, "conflict"));
	if (rc == CTL_OK) {
		json_array_foreach(json_object_get(rsp, "refused"), i, v) {
			const char *path = tree_str(v, "path") ? tree_str(v, "path") : "?";
			char what[TREE_PATH_MAX];
			object_name(cfg, path, what, sizeof(what));
			cmd_msg(c, "Refused %s%s: %s", path, what,
				tree_str(v, "reason") ? tree_str(v, "reason") : "no reason given");
		}
	}
	json_decref(rsp);
	return rc;
}

static void print_msgs(struct cmd_ctx *c)
{
	for (size_t i = 0; i < c->msgs.n; i++)
		printf("%s\n", c->msgs.v[i]);
	fflush(stdout);
}

/* Two tandemctl racing on one config would collide again at once; a
 * random pause, growing with the attempts, lets one of them through. */
void conflict_pause(int attempt)
{
	unsigned r = 0;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned)getpid();
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(r % (20u << attempt) + 5) * 1000000L;
	nanosleep(&ts, NULL);
}

/* Reads the config, resolves the node and runs the command; for an edit,
 * applies the result. A conflict (someone changed the config meanwhile)
 * redoes the whole edit on the new config. */
static int run_on_config(struct cmd_ctx *c, const char *name, const char *path)
{
	const struct command *cmd;
	json_t *before = NULL;
	json_int_t gen = 0;
	bool conflict = false;
	int rc = CTL_REFUSED;

	for (int attempt = 0; attempt < APPLY_ATTEMPTS; attempt++) {
		names_free(&c->msgs);
		json_decref(c->cfg);
		json_decref(before);
		c->cfg = before = NULL;
		rc = session_get_config(c->sess, &c->cfg, &gen, c->err, sizeof(c->err));
		if (rc)
			return rc;
		if (tree_resolve(c->cfg, c->cwd, path, &c->node, c->err, sizeof(c->err)) < 0)
			return CTL_USAGE;
		/* Which command a name means depends on the node kind. */
		cmd = cmd_find(name, c->node.kind);
		if (!cmd) {
			snprintf(c->err, sizeof(c->err), "%s: no such command at %.512s (try help)",
				 name, c->node.path);
			return CTL_USAGE;
		}
		before = json_deep_copy(c->cfg);
		rc = cmd->run(c);
		if (rc || cmd->type != CMD_EDIT || json_equal(before, c->cfg))
			break;
		rc = session_apply(c, c->cfg, gen, false, &conflict);
		if (!conflict)
			break;
		conflict_pause(attempt);
	}
	if (conflict)
		snprintf(c->err, sizeof(c->err), "the configuration kept changing under us "
			 "(%d attempts); nothing was applied", APPLY_ATTEMPTS);
	json_decref(before);
	return rc;
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
