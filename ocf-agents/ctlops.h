/* The agents' side of tandemd's control socket (docs/control-protocol.md):
 * calls bounded by the action's deadline, and read-modify-write of the
 * live configuration that retries when another agent changed it first
 * (ctl/update.h, shared with tandemctl, with its finders cfg_*). */
#ifndef TANDEM_OCF_CTLOPS_H
#define TANDEM_OCF_CTLOPS_H

#include <jansson.h>

#include "ctl/client.h"
#include "ctl/update.h"
#include "ocf.h"

struct ctlops {
	const struct ocf_ctx *ctx;
	const char *socket;
	struct ctl_client *cl;
	char err[1024];
};

enum ctl_state {
	CTL_UP,		/* connected, the daemon answers */
	CTL_DOWN,	/* nobody listens on the socket: not running */
	CTL_BROKEN,	/* something listens but does not answer properly */
};

enum ctl_state ctlops_open(struct ctlops *o, const struct ocf_ctx *c);
void ctlops_close(struct ctlops *o);

/* A new reference to the response when it says "ok": true; otherwise
 * NULL with o->err set to the daemon's error or the transport's. */
json_t *ctlops_call(struct ctlops *o, const char *op);

/* ctl_update (ctl/update.h) with the action's deadline as its budget. fn
 * returns 1 when it changed cfg, 0 when nothing needs to change, or minus
 * an OCF exit code (-OCF_ERR_CONFIGURED...) with err set. Returns an OCF
 * exit code (ocf_fail done). */
int ctlops_update(struct ctlops *o, ctl_mutate_fn fn, void *arg, const char *what);

#endif
