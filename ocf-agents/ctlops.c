/* Control-socket calls for the agents, each bounded by the action's
 * deadline. */
#include "ctlops.h"

#include <stdio.h>
#include <string.h>

/* One call never takes more than this, so that a retry still fits. */
#define CALL_MAX_MS 30000

static void retrying(unsigned attempt, void *ctx)
{
	ocf_log(LOG_INFO, "%s: configuration changed meanwhile (attempt %u), retrying",
		(const char *)ctx, attempt);
}

/* What is left of the action: the deadline of every call and update. */
static struct ctl_budget budget(const struct ctlops *o, const char *what)
{
	return (struct ctl_budget){
		.deadline_ms = ctl_now_ms() + ocf_left_ms(o->ctx), .call_ms = CALL_MAX_MS,
		.on_conflict = retrying, .ctx = (void *)what,
	};
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

json_t *ctlops_call(struct ctlops *o, const char *op)
{
	json_t *req = json_pack("{s:s}", "op", op), *r;
	struct ctl_budget b = budget(o, op);
	char why[sizeof(o->err) - sizeof("tandemd: ")];

	if (!req) {
		snprintf(o->err, sizeof(o->err), "out of memory");
		return NULL;
	}
	switch (ctl_request(o->cl, req, ctl_call_ms(&b), &r, why, sizeof(why))) {
	case CTL_CALL_OK:
		json_decref(req);
		return r;
	case CTL_CALL_REFUSED:
		snprintf(o->err, sizeof(o->err), "tandemd: %s", why);
		break;
	case CTL_CALL_FAILED:
		snprintf(o->err, sizeof(o->err), "%s", why);
		break;
	}
	json_decref(r);
	json_decref(req);
	return NULL;
}

int ctlops_update(struct ctlops *o, ctl_mutate_fn fn, void *arg, const char *what)
{
	struct ctl_budget b = budget(o, what);
	struct ctl_update_res res;

	switch (ctl_update(o->cl, fn, arg, &b, &res)) {
	case CTL_UPDATE_APPLIED:
		json_decref(res.answer);
		return OCF_SUCCESS;
	case CTL_UPDATE_UNCHANGED:
		return OCF_SUCCESS;
	case CTL_UPDATE_EDIT_FAILED:
		return ocf_fail(-res.edit_rc, "%s: %s", what, res.err);
	case CTL_UPDATE_REFUSED:
		return ocf_fail(OCF_ERR_GENERIC, "%s: tandemd: %s", what, res.err);
	case CTL_UPDATE_CONFLICT:
	case CTL_UPDATE_UNREACHABLE:
		break;
	}
	return ocf_fail(OCF_ERR_GENERIC, "%s: %s", what, res.err);
}
