/* ocf:tandem:target - the iSCSI target in tandemd: starts the daemon when
 * none runs, creates or updates the target, its TPG, portals, ACLs and
 * CHAP credentials through the control socket, and checks their health. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ctlops.h"
#include "daemon_ctl.h"
#include "ocf.h"
#include "target_config.h"

enum { P_IQN, P_TAG, P_PORTALS, P_INITIATORS, P_IN_USER, P_IN_PASS, P_OUT_USER, P_OUT_PASS,
       P_PARAMS, P_N };

static int check_secret(const char *v, char *err, size_t len)
{
	if (strpbrk(v, " \t")) {
		snprintf(err, len, "CHAP names and secrets cannot hold blanks");
		return -1;
	}
	return 0;
}

static const struct ocf_param params[P_N] = {
	[P_IQN] = { "iqn", OCF_P_STRING, true, true, NULL, "iSCSI target IQN",
		    "The target's iSCSI name (iSCSITarget's iqn). The same on every node: one "
		    "CIB for both.", .maxlen = 223, .check = tcfg_check_iqn },
	[P_TAG] = { "tpg_tag", OCF_P_INTEGER, false, false, "1", "target portal group tag",
		    "Target portal group tag; also the relative target port identifier in VPD "
		    "page 0x83 and the ALUA port group. The same on every node.",
		    .min = 1, .max = 65535 },
	[P_PORTALS] = { "portals", OCF_P_STRING, false, false, "0.0.0.0:3260", "portal addresses",
			"Blank-separated IP:PORT (IPv6 as [IP]:PORT; a bare address means port "
			"3260) the TPG listens on, as iSCSITarget's portals; normally the "
			"floating addresses of ocf:tandem:portal.",
			.maxlen = 2048, .check = tcfg_check_portals },
	[P_INITIATORS] = { "allowed_initiators", OCF_P_STRING, false, false, "",
			   "allowed initiators",
			   "Blank-separated initiator IQNs allowed to log in, each getting an ACL "
			   "that maps every LUN of the target. Empty: any initiator may log in "
			   "and write (iSCSITarget's allowed_initiators).",
			   .maxlen = 16384, .check = tcfg_check_initiators },
	[P_IN_USER] = { "incoming_username", OCF_P_STRING, false, true, NULL, "CHAP user name",
			"User name initiators authenticate with (one-way CHAP). Unset: no "
			"authentication.", .maxlen = 255, .check = check_secret },
	[P_IN_PASS] = { "incoming_password", OCF_P_STRING, false, false, NULL, "CHAP secret",
			"CHAP secret for incoming_username.", .maxlen = 255,
			.check = check_secret },
	[P_OUT_USER] = { "outgoing_username", OCF_P_STRING, false, false, NULL,
			 "mutual CHAP user name",
			 "User name the target answers with when the initiator asks for mutual "
			 "CHAP; needs incoming_username.", .maxlen = 255, .check = check_secret },
	[P_OUT_PASS] = { "outgoing_password", OCF_P_STRING, false, false, NULL,
			 "mutual CHAP secret",
			 "Secret for outgoing_username; must differ from incoming_password.",
			 .maxlen = 255, .check = check_secret },
	[P_PARAMS] = { "additional_parameters", OCF_P_STRING, false, false, NULL,
		       "additional iSCSI parameters",
		       "Blank-separated Name=value iSCSI parameters of the TPG, e.g. "
		       "MaxRecvDataSegmentLength=262144 HeaderDigest=CRC32C,None "
		       "(iSCSITarget's additional_parameters). Removing one takes effect at "
		       "the next restart.", .maxlen = 4096, .check = tcfg_check_params },
};

static const struct ocf_action_def actions[] = {
	{ "start", 30, 0, -1 },
	{ "stop", 60, 0, -1 },
	{ "monitor", 20, 10, 0 },
	{ "monitor", 20, 60, 10 },
	{ "reload", 30, 0, -1 },
	{ "meta-data", 5, 0, -1 },
	{ "validate-all", 10, 0, -1 },
};

static void want_of(const struct ocf_ctx *c, struct target_want *w)
{
	*w = (struct target_want){
		.iqn = ocf_str(c, P_IQN), .tag = ocf_num(c, P_TAG), .portals = ocf_str(c, P_PORTALS),
		.initiators = c->set[P_INITIATORS] ? ocf_str(c, P_INITIATORS) : NULL,
		.in_user = ocf_str(c, P_IN_USER), .in_pass = ocf_str(c, P_IN_PASS),
		.out_user = ocf_str(c, P_OUT_USER), .out_pass = ocf_str(c, P_OUT_PASS),
		.params = ocf_str(c, P_PARAMS),
	};
}

static int target_validate(struct ocf_ctx *c)
{
	struct target_want w;
	char err[256];

	want_of(c, &w);
	if (tcfg_check_chap(&w, err, sizeof(err)) < 0)
		return ocf_fail(OCF_ERR_CONFIGURED, "%s", err);
	if (access(daemon_binary(), X_OK) < 0)
		return ocf_fail(OCF_ERR_INSTALLED, "%s is not installed (or not executable)",
				daemon_binary());
	return OCF_SUCCESS;
}

static json_t *find_named(json_t *arr, const char *key, const char *name)
{
	json_t *o;
	size_t i;

	json_array_foreach(arr, i, o) {
		const char *n = json_string_value(json_object_get(o, key));

		if (n && !strcasecmp(n, name))
			return o;
	}
	return NULL;
}

static json_t *find_tag(json_t *tpgs, long long tag)
{
	json_t *g;
	size_t i;

	json_array_foreach(tpgs, i, g)
		if (json_integer_value(json_object_get(g, "tag")) == tag)
			return g;
	return NULL;
}

/* The health of a target tandemd serves: OCF_SUCCESS, OCF_NOT_RUNNING
 * (no such target), or OCF_ERR_GENERIC with why in reason. */
static int health(struct ctlops *o, const struct ocf_ctx *c, char *reason, size_t len)
{
	json_t *st = ctlops_call(o, "status"), *t, *g, *p;
	int rc = OCF_SUCCESS;
	size_t i;

	if (!st) {
		snprintf(reason, len, "status: %.400s", o->err);
		return OCF_ERR_GENERIC;
	}
	t = find_named(json_object_get(st, "targets"), "name", ocf_str(c, P_IQN));
	g = t ? find_tag(json_object_get(t, "tpgs"), ocf_num(c, P_TAG)) : NULL;
	if (!t) {
		rc = OCF_NOT_RUNNING;
	} else if (!g) {
		snprintf(reason, len, "target %s has no TPG %lld", ocf_str(c, P_IQN), ocf_num(c, P_TAG));
		rc = OCF_ERR_GENERIC;
	} else if (!json_is_true(json_object_get(g, "enabled"))) {
		snprintf(reason, len, "TPG %lld of %s is disabled", ocf_num(c, P_TAG), ocf_str(c, P_IQN));
		rc = OCF_ERR_GENERIC;
	} else {
		json_array_foreach(json_object_get(g, "portals"), i, p) {
			if (json_is_true(json_object_get(p, "listening")))
				continue;
			snprintf(reason, len, "portal %s:%lld of %s is not listening",
				 json_string_value(json_object_get(p, "ip_address")),
				 (long long)json_integer_value(json_object_get(p, "port")),
				 ocf_str(c, P_IQN));
			rc = OCF_ERR_GENERIC;
			break;
		}
	}
	json_decref(st);
	return rc;
}

static int deep_check(struct ctlops *o, const struct ocf_ctx *c)
{
	json_t *got = ctlops_call(o, "get_config"), *t, *g;
	struct target_want w;
	char buf[256];
	const char *diff = NULL;

	if (!got)
		return ocf_fail(OCF_ERR_GENERIC, "get_config: %s", o->err);
	want_of(c, &w);
	t = cfg_find_target(json_object_get(got, "config"), w.iqn);
	g = t ? find_tag(json_object_get(t, "tpgs"), w.tag) : NULL;
	if (g)
		diff = tcfg_drift(g, &w, buf, sizeof(buf));
	else
		diff = "the target vanished from the configuration";
	json_decref(got);
	return diff ? ocf_fail(OCF_ERR_GENERIC, "%s", diff) : OCF_SUCCESS;
}

static int target_monitor(struct ocf_ctx *c)
{
	struct ctlops o;
	char reason[512];
	int rc;

	switch (ctlops_open(&o, c)) {
	case CTL_DOWN:
		return OCF_NOT_RUNNING;
	case CTL_BROKEN:
		return ocf_fail(OCF_ERR_GENERIC, "tandemd on %s does not answer: %s", o.socket, o.err);
	case CTL_UP:
		break;
	}
	rc = health(&o, c, reason, sizeof(reason));
	if (rc == OCF_ERR_GENERIC)
		ocf_fail(rc, "%s", reason);
	else if (rc == OCF_SUCCESS && c->check_level >= 10)
		rc = deep_check(&o, c);
	ctlops_close(&o);
	return rc;
}

/* After a change: wait until tandemd serves it (TPG enabled, portals
 * listening), within the action's time. */
static int apply_and_wait(struct ctlops *o, struct ocf_ctx *c)
{
	struct target_want w;
	char reason[512] = "";
	int rc;

	want_of(c, &w);
	rc = ctlops_update(o, tcfg_upsert, &w, "configuring the target");
	if (rc)
		return rc;
	while ((rc = health(o, c, reason, sizeof(reason))) != OCF_SUCCESS) {
		if (ocf_left_ms(c) < 200)
			return ocf_fail(OCF_ERR_GENERIC, "%s", rc == OCF_NOT_RUNNING ?
					"the target did not appear" : reason);
		ocf_sleep_ms(100);
	}
	return OCF_SUCCESS;
}

static int target_start(struct ocf_ctx *c)
{
	struct ctlops o;
	int rc = daemon_ensure(&o, c);

	if (rc)
		return rc;
	rc = apply_and_wait(&o, c);
	if (!rc)
		ocf_log(LOG_INFO, "target %s TPG %lld is served", ocf_str(c, P_IQN), ocf_num(c, P_TAG));
	ctlops_close(&o);
	return rc;
}

static int target_reload(struct ocf_ctx *c)
{
	struct ctlops o;
	char reason[512];
	int rc;

	if (ctlops_open(&o, c) != CTL_UP)
		return OCF_NOT_RUNNING;
	rc = health(&o, c, reason, sizeof(reason));
	if (rc != OCF_NOT_RUNNING)
		rc = apply_and_wait(&o, c);
	ctlops_close(&o);
	return rc;
}

static int target_stop(struct ocf_ctx *c)
{
	struct ctlops o;
	int rc;

	switch (ctlops_open(&o, c)) {
	case CTL_DOWN:
		return OCF_SUCCESS;
	case CTL_BROKEN:
		return ocf_fail(OCF_ERR_GENERIC, "tandemd on %s does not answer, so the target "
				"cannot be known to be stopped: %s", o.socket, o.err);
	case CTL_UP:
		break;
	}
	/* Removing the target logs its sessions out and drains their I/O
	 * before tandemd answers (docs/control-protocol.md). */
	rc = ctlops_update(&o, tcfg_remove, (void *)ocf_str(c, P_IQN), "removing the target");
	if (!rc)
		rc = daemon_stop_if_idle(&o);
	ctlops_close(&o);
	return rc;
}

static const struct ocf_agent agent = {
	.name = "target",
	.shortdesc = "tandem iSCSI target (tandemd)",
	.longdesc =
		"Ensures tandemd runs on this node (it starts tandemd -c <an empty config of "
		"the agent's own> -s <socket> when none answers: the CIB is the source of "
		"truth, the agents build every live object) and serves the iSCSI target iqn "
		"with one target portal group: its portals, ACLs (allowed_initiators), CHAP "
		"and mutual CHAP credentials and iSCSI parameters, created or updated through "
		"the control socket. LUNs are ocf:tandem:lun's, the floating address "
		"ocf:tandem:portal's. Stop removes the target (its sessions are logged out) "
		"and stops tandemd when it serves nothing else. Monitor depth 0: the daemon "
		"answers, the TPG is enabled and every portal listens; depth 10 also: the live "
		"TPG matches the parameters. Reload applies changed parameters live; sessions "
		"that the change does not concern carry on. Parameter names follow "
		"ocf:heartbeat:iSCSITarget. The control socket is $TANDEM_SOCKET or "
		"/run/tandem/tandemd.sock, the daemon $TANDEMD_BIN or /usr/sbin/tandemd.",
	.params = params,
	.nparams = P_N,
	.actions = actions,
	.nactions = sizeof(actions) / sizeof(actions[0]),
	.start = target_start,
	.stop = target_stop,
	.monitor = target_monitor,
	.validate = target_validate,
	.reload = target_reload,
};

int main(int argc, char **argv)
{
	return ocf_run(&agent, argc, argv);
}
