/* Control-socket calls for the agents, each bounded by the action's
 * deadline. */
#include "ctlops.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* One call never takes more than this, so that a retry still fits. */
#define CALL_MAX_MS 30000LL

static int call_ms(const struct ctlops *o)
{
	long long left = ocf_left_ms(o->ctx);

	if (left > CALL_MAX_MS)
		left = CALL_MAX_MS;
	return left > 0 ? (int)left : 1;
}

enum ctl_state ctlops_open(struct ctlops *o, const struct ocf_ctx *c)
{
	json_t *r;

	memset(o, 0, sizeof(*o));
	o->ctx = c;
	o->socket = ctl_socket_path(NULL);
	o->cl = ctl_connect(o->socket, o->err, sizeof(o->err));
	if (!o->cl)
		return strstr(o->err, "permission denied") ? CTL_BROKEN : CTL_DOWN;
	r = ctlops_call(o, "ping");
	if (!r) {
		ctlops_close(o);
		return CTL_BROKEN;
	}
	json_decref(r);
	return CTL_UP;
}

void ctlops_close(struct ctlops *o)
{
	ctl_disconnect(o->cl);
	o->cl = NULL;
}

static json_t *call(struct ctlops *o, json_t *req)
{
	json_t *r = ctl_call(o->cl, req, call_ms(o), o->err, sizeof(o->err));
	const char *e;

	if (!r)
		return NULL;
	if (json_is_true(json_object_get(r, "ok")))
		return r;
	e = json_string_value(json_object_get(r, "error"));
	snprintf(o->err, sizeof(o->err), "tandemd: %s", e ? e : "refused without a reason");
	json_decref(r);
	return NULL;
}

json_t *ctlops_call(struct ctlops *o, const char *op)
{
	json_t *req = json_pack("{s:s}", "op", op), *r;

	if (!req) {
		snprintf(o->err, sizeof(o->err), "out of memory");
		return NULL;
	}
	r = call(o, req);
	json_decref(req);
	return r;
}

/* apply_config: 0 applied, -1 refused or failed (o->err set), with
 * *conflict telling a lost race with another writer from a real refusal. */
static int apply(struct ctlops *o, json_t *req, bool *conflict)
{
	json_t *r = ctl_call(o->cl, req, call_ms(o), o->err, sizeof(o->err));
	const char *e;

	*conflict = false;
	if (!r)
		return -1;
	if (json_is_true(json_object_get(r, "ok"))) {
		json_decref(r);
		return 0;
	}
	e = json_string_value(json_object_get(r, "error"));
	*conflict = json_is_true(json_object_get(r, "conflict"));
	snprintf(o->err, sizeof(o->err), "tandemd: %s", e ? e : "refused without a reason");
	json_decref(r);
	return -1;
}

int ctlops_update(struct ctlops *o, ctl_mutate_fn fn, void *arg, const char *what)
{
	for (unsigned attempt = 1;; attempt++) {
		json_t *got = ctlops_call(o, "get_config"), *cfg, *req;
		char err[1024] = "";
		int rc;

		if (!got)
			return ocf_fail(OCF_ERR_GENERIC, "%s: reading the live configuration: %s",
					what, o->err);
		cfg = json_deep_copy(json_object_get(got, "config"));
		if (!json_is_object(cfg)) {
			json_decref(cfg);
			json_decref(got);
			return ocf_fail(OCF_ERR_GENERIC, "%s: tandemd sent no configuration", what);
		}
		rc = fn(cfg, arg, err, sizeof(err));
		if (rc <= 0) {
			json_decref(cfg);
			json_decref(got);
			return rc == 0 ? OCF_SUCCESS : ocf_fail(-rc, "%s: %s", what, err);
		}
		req = json_pack("{s:s,s:o,s:O}", "op", "apply_config", "config", cfg,
				"generation", json_object_get(got, "generation"));
		json_decref(got);
		if (!req)
			return ocf_fail(OCF_ERR_GENERIC, "%s: out of memory", what);
		bool conflict;
		int applied = apply(o, req, &conflict);

		json_decref(req);
		if (applied == 0)
			return OCF_SUCCESS;
		if (!conflict)
			return ocf_fail(OCF_ERR_GENERIC, "%s: %s", what, o->err);
		/* Another agent changed the configuration between our read and
		 * our write: read again and redo the change on top of theirs. */
		ocf_log(LOG_INFO, "%s: configuration changed meanwhile (attempt %u), retrying", what,
			attempt);
		if (ocf_left_ms(o->ctx) < 200)
			return ocf_fail(OCF_ERR_GENERIC, "%s: kept conflicting with other changes "
					"until the timeout", what);
		ocf_sleep_ms(20LL * (attempt < 10 ? attempt : 10));
	}
}

json_t *cfg_array(json_t *obj, const char *key)
{
	json_t *a = json_object_get(obj, key);

	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(obj, key, a);
	}
	return a;
}

json_t *cfg_find_target(json_t *cfg, const char *iqn)
{
	json_t *t;
	size_t i;

	json_array_foreach(json_object_get(cfg, "targets"), i, t) {
		const char *w = json_string_value(json_object_get(t, "wwn"));

		if (w && !strcasecmp(w, iqn))
			return t;
	}
	return NULL;
}

json_t *cfg_find_storage(json_t *cfg, const char *name)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(cfg, "storage_objects"), i, s) {
		const char *n = json_string_value(json_object_get(s, "name"));

		if (n && !strcmp(n, name))
			return s;
	}
	return NULL;
}
