/* ocf:tandem:lun - one logical unit of a tandem target: refuses a DRBD
 * device that is not Primary, attaches the backing device (tandemd opens
 * it and loads its persistent reservation state), maps it as a LUN, and on
 * stop drains in-flight I/O and flushes before detaching. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ctlops.h"
#include "drbd.h"
#include "lun_config.h"
#include "ocf.h"

enum { P_IQN, P_LUN, P_PATH, P_SN, P_ID, P_VENDOR, P_PRODUCT, P_PR_STORE, P_TPU, P_RO, P_N };

static int check_abs(const char *v, char *err, size_t len)
{
	if (v[0] != '/') {
		snprintf(err, len, "\"%s\" must be an absolute path", v);
		return -1;
	}
	return 0;
}

static int check_serial(const char *v, char *err, size_t len)
{
	size_t n = strlen(v);

	if (n < 4 || n > 40 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789._-") != n) {
		snprintf(err, len, "\"%.64s\": 4 to 40 letters, digits, '.', '_' or '-'", v);
		return -1;
	}
	return 0;
}

/* tandemd presents the NAA IEEE Registered Extended designator (type 6,
 * 16 bytes, SPC-4 7.8.6.6.5); that is the only form it can take. */
static int check_naa(const char *v, char *err, size_t len)
{
	const char *hex = strncasecmp(v, "naa.", 4) ? v : v + 4;

	if (strlen(hex) == 32 && strspn(hex, "0123456789abcdefABCDEF") == 32 && hex[0] == '6')
		return 0;
	if (strlen(hex) == 16 && strspn(hex, "0123456789abcdefABCDEF") == 16 && hex[0] == '3')
		snprintf(err, len, "\"%s\" is a locally assigned (type 3) NAA; tandemd presents "
			 "type 6 (naa.6 + 31 hex digits), e.g. as `tandem-config new` assigns", v);
	else
		snprintf(err, len, "\"%.64s\" is not naa.6 + 31 hex digits", v);
	return -1;
}

static int check_ascii(const char *v, char *err, size_t len)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p > 0x7e) {
			snprintf(err, len, "printable ASCII only (SPC-4 4.3.1)");
			return -1;
		}
	return 0;
}

static int check_pr_store(const char *v, char *err, size_t len)
{
	if (!strcmp(v, "internal") || v[0] == '/')
		return 0;
	snprintf(err, len, "\"%.64s\": \"internal\" or the absolute path of a separate device", v);
	return -1;
}

static const struct ocf_param params[P_N] = {
	[P_IQN] = { "target_iqn", OCF_P_STRING, true, false, NULL, "target IQN",
		    "IQN of the target (ocf:tandem:target's iqn) this LU belongs to; it is "
		    "mapped into every TPG of that target and every ACL there.", .maxlen = 223 },
	[P_LUN] = { "lun", OCF_P_INTEGER, true, false, NULL, "LUN",
		    "Logical unit number within the target. The same on every node.",
		    .min = 0, .max = 16383 },
	[P_PATH] = { "path", OCF_P_STRING, true, true, NULL, "backing device",
		     "Backing block device, normally /dev/drbdN (a regular file is served "
		     "as a fileio LU). A DRBD device must be Primary here: start refuses "
		     "any other role, with the reason.", .maxlen = 255, .check = check_abs },
	[P_SN] = { "scsi_sn", OCF_P_STRING, false, true, NULL, "unit serial number",
		   "Unit serial number (VPD page 0x80), 4 to 40 of [A-Za-z0-9._-]. Default: 16 "
		   "hex digits hashed from the resource name (the same on every node), as "
		   "iSCSILogicalUnit hashes its default.", .maxlen = 40, .check = check_serial },
	[P_ID] = { "scsi_id", OCF_P_STRING, false, true, NULL, "NAA WWN",
		   "NAA designator of the LU (VPD page 0x83): naa.6 followed by 31 hex digits. "
		   "Default: derived from scsi_sn as LIO derives it.", .maxlen = 36,
		   .check = check_naa },
	[P_VENDOR] = { "vendor_id", OCF_P_STRING, false, false, "TANDEM", "vendor",
		       "T10 vendor identification (INQUIRY), at most 8 ASCII characters.",
		       .maxlen = 8, .check = check_ascii },
	[P_PRODUCT] = { "product_id", OCF_P_STRING, false, false, "tandem", "product",
			"Product identification (INQUIRY), at most 16 ASCII characters.",
			.maxlen = 16, .check = check_ascii },
	[P_PR_STORE] = { "pr_store", OCF_P_STRING, false, false, "internal", "PR state location",
			 "Where the persistent reservation state lives: \"internal\" (the last "
			 "1 MiB of path, hidden from the LU's capacity) or the absolute path of a "
			 "separate replicated device (external, its first 1 MiB). A read-only LU "
			 "keeps none.", .maxlen = 255, .check = check_pr_store },
	[P_TPU] = { "emulate_tpu", OCF_P_BOOLEAN, false, false, "false", "UNMAP support",
		    "Advertise thin provisioning UNMAP (iSCSILogicalUnit's emulate_tpu)." },
	[P_RO] = { "readonly", OCF_P_BOOLEAN, false, false, "false", "read-only LU",
		   "Present the LU write-protected." },
};

static const struct ocf_action_def actions[] = {
	{ "start", 60, 0, -1 },
	{ "stop", 120, 0, -1 },
	{ "monitor", 20, 10, 0 },
	{ "monitor", 20, 60, 10 },
	{ "meta-data", 5, 0, -1 },
	{ "validate-all", 10, 0, -1 },
};

static void want_of(const struct ocf_ctx *c, struct lun_want *w, bool is_file)
{
	uint64_t h = 14695981039346656037ULL;
	size_t n = 0;

	memset(w, 0, sizeof(*w));
	for (const char *p = c->instance; *p && n < sizeof(w->so_name) - 1; p++)
		w->so_name[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				  (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ? *p : '_';
	w->plugin = is_file ? "fileio" : "block";
	snprintf(w->so_path, sizeof(w->so_path), "/backstores/%s/%s", w->plugin, w->so_name);
	w->iqn = ocf_str(c, P_IQN);
	w->lun = ocf_num(c, P_LUN);
	w->path = ocf_str(c, P_PATH);
	for (const char *p = c->instance; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	if (ocf_str(c, P_SN))
		snprintf(w->serial, sizeof(w->serial), "%s", ocf_str(c, P_SN));
	else
		snprintf(w->serial, sizeof(w->serial), "%016llx", (unsigned long long)h);
	if (ocf_str(c, P_ID)) {
		const char *id = ocf_str(c, P_ID);

		id += strncasecmp(id, "naa.", 4) ? 0 : 4;
		for (size_t i = 0; i < 32 && id[i]; i++)
			w->naa[i] = (char)(id[i] >= 'A' && id[i] <= 'F' ? id[i] + 32 : id[i]);
	}
	w->vendor = ocf_str(c, P_VENDOR);
	w->product = ocf_str(c, P_PRODUCT);
	w->pr_store_dev = strcmp(ocf_str(c, P_PR_STORE), "internal") ? ocf_str(c, P_PR_STORE) : NULL;
	w->tpu = ocf_bool(c, P_TPU);
	w->readonly = ocf_bool(c, P_RO);
}

/* The backing path as the LU will use it; node-local, hence
 * OCF_ERR_INSTALLED when missing: the other node may well have it. */
static int backing(const struct ocf_ctx *c, struct lun_want *w, struct stat *st)
{
	const char *path = ocf_str(c, P_PATH), *pr = ocf_str(c, P_PR_STORE);
	struct stat pst;

	if (stat(path, st) < 0)
		return ocf_fail(errno == ENOENT ? OCF_ERR_INSTALLED : OCF_ERR_GENERIC,
				"%s: %s", path, strerror(errno));
	if (!S_ISBLK(st->st_mode) && !S_ISREG(st->st_mode))
		return ocf_fail(OCF_ERR_CONFIGURED, "%s is neither a block device nor a file", path);
	want_of(c, w, S_ISREG(st->st_mode));
	if (w->readonly && S_ISREG(st->st_mode))
		return ocf_fail(OCF_ERR_CONFIGURED, "readonly applies to block devices only");
	if (w->readonly && w->pr_store_dev)
		return ocf_fail(OCF_ERR_CONFIGURED, "a read-only LU keeps no persistent reservations: "
				"leave pr_store unset");
	if (w->pr_store_dev) {
		if (stat(pr, &pst) < 0)
			return ocf_fail(errno == ENOENT ? OCF_ERR_INSTALLED : OCF_ERR_GENERIC,
					"pr_store %s: %s", pr, strerror(errno));
		if (pst.st_rdev == st->st_rdev && pst.st_ino == st->st_ino)
			return ocf_fail(OCF_ERR_CONFIGURED, "pr_store %s is path itself: use "
					"pr_store=internal for that", pr);
	}
	return OCF_SUCCESS;
}

static int lun_validate(struct ocf_ctx *c)
{
	struct lun_want w;
	struct stat st;

	return backing(c, &w, &st);
}

/* Serving a Secondary would hand initiators a device the peer owns. */
static int require_primary(const struct ocf_ctx *c, const char *path)
{
	char role[64] = "", err[512] = "";
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return OCF_SUCCESS;
	switch (drbd_role(st.st_rdev, role, sizeof(role), ocf_left_ms(c), err, sizeof(err))) {
	case DRBD_NOT_DRBD:
	case DRBD_PRIMARY:
		return OCF_SUCCESS;
	case DRBD_SECONDARY:
		return ocf_fail(OCF_ERR_GENERIC, "%s is DRBD minor %u in role %s, not Primary: "
				"promote it first (order the LU after the promotion)", path,
				minor(st.st_rdev), role);
	case DRBD_UNKNOWN_ROLE:
		break;
	}
	return ocf_fail(OCF_ERR_GENERIC, "%s is a DRBD device whose role cannot be read: %s",
			path, err);
}

static json_t *status_of(struct ctlops *o, const struct lun_want *w)
{
	json_t *st = ctlops_call(o, "status"), *s, *copy = NULL;
	size_t i;

	json_array_foreach(st ? json_object_get(st, "storage") : NULL, i, s) {
		const char *n = json_string_value(json_object_get(s, "name"));

		if (n && !strcmp(n, w->so_name))
			copy = json_deep_copy(s);
	}
	json_decref(st);
	return copy;
}

static int open_daemon(struct ctlops *o, const struct ocf_ctx *c, int down_rc)
{
	switch (ctlops_open(o, c)) {
	case CTL_UP:
		return OCF_SUCCESS;
	case CTL_DOWN:
		if (down_rc == OCF_ERR_GENERIC)
			return ocf_fail(down_rc, "tandemd is not running on %s: ocf:tandem:target "
					"must start first", o->socket);
		return down_rc;
	case CTL_BROKEN:
		break;
	}
	return ocf_fail(OCF_ERR_GENERIC, "tandemd on %s does not answer: %s", o->socket, o->err);
}

static int lun_start(struct ocf_ctx *c)
{
	struct ctlops o;
	struct lun_want w;
	struct stat st;
	json_t *s;
	int rc = backing(c, &w, &st);

	if (rc || (rc = require_primary(c, w.path)) ||
	    (w.pr_store_dev && (rc = require_primary(c, w.pr_store_dev))))
		return rc;
	if ((rc = open_daemon(&o, c, OCF_ERR_GENERIC)))
		return rc;
	/* tandemd opens the device and loads the PR state before it
	 * answers; a failure leaves nothing half-attached. */
	rc = ctlops_update(&o, lcfg_attach, &w, "attaching the LU");
	if (!rc) {
		s = status_of(&o, &w);
		if (!s || !json_is_true(json_object_get(s, "attached")))
			rc = ocf_fail(OCF_ERR_GENERIC, "%s is configured but not attached", w.so_name);
		else
			ocf_log(LOG_INFO, "LUN %lld of %s is %s (%s), PR state loaded", w.lun, w.iqn,
				w.so_name, w.path);
		json_decref(s);
	}
	ctlops_close(&o);
	return rc;
}

static int lun_stop(struct ocf_ctx *c)
{
	struct ctlops o;
	struct lun_want w;
	json_t *s;
	int rc;
	struct stat st;

	want_of(c, &w, stat(ocf_str(c, P_PATH), &st) == 0 && S_ISREG(st.st_mode));
	switch (ctlops_open(&o, c)) {
	case CTL_DOWN:
		return OCF_SUCCESS;
	case CTL_BROKEN:
		return ocf_fail(OCF_ERR_GENERIC, "tandemd on %s does not answer, so the LU cannot "
				"be known to be detached: %s", o.socket, o.err);
	case CTL_UP:
		break;
	}
	/* Unmapping first: tandemd stops taking commands for the LUN, drains
	 * what is in flight and flushes, then answers; only then is the
	 * device closed. */
	rc = ctlops_update(&o, lcfg_unmap, &w, "unmapping the LUN");
	while (!rc && (s = status_of(&o, &w))) {
		json_int_t inflight = json_integer_value(json_object_get(s, "inflight"));

		json_decref(s);
		if (!inflight)
			break;
		if (ocf_left_ms(c) < 500) {
			rc = ocf_fail(OCF_ERR_GENERIC, "%s still has %lld commands in flight",
				      w.so_name, (long long)inflight);
			break;
		}
		ocf_sleep_ms(50);
	}
	if (!rc)
		rc = ctlops_update(&o, lcfg_remove, &w, "detaching the LU");
	ctlops_close(&o);
	return rc;
}

static int lun_monitor(struct ocf_ctx *c)
{
	struct ctlops o;
	struct lun_want w;
	struct stat st;
	char buf[256];
	json_t *got, *so, *s = NULL;
	const char *why = NULL;
	int rc;

	want_of(c, &w, stat(ocf_str(c, P_PATH), &st) == 0 && S_ISREG(st.st_mode));
	if ((rc = open_daemon(&o, c, OCF_NOT_RUNNING))) {
		/* A dead tandemd is the target's failure, and only the target's
		 * recovery (start tandemd, the target, then this LUN again)
		 * mends it. Reported here first, it would make Pacemaker
		 * restart this LUN alone, into no daemon: a failed start, and
		 * the service moved at the first crash. A probe still says
		 * what is true. */
		if (rc == OCF_NOT_RUNNING && !c->probe) {
			ocf_log(LOG_WARNING, "tandemd is not running on %s; the target's monitor "
				"reports it and its recovery starts this LUN again", o.socket);
			return OCF_SUCCESS;
		}
		return rc;
	}
	got = ctlops_call(&o, "get_config");
	if (!got) {
		rc = ocf_fail(OCF_ERR_GENERIC, "get_config: %s", o.err);
		goto out;
	}
	so = cfg_find_storage(json_object_get(got, "config"), w.so_name);
	if (!so) {
		rc = OCF_NOT_RUNNING;
		goto out;
	}
	s = status_of(&o, &w);
	if (!lcfg_mapped(json_object_get(got, "config"), &w))
		why = "attached but not mapped (was its target restarted?)";
	else if (!s || !json_is_true(json_object_get(s, "attached")))
		why = "not attached to its device";
	else if (c->check_level >= 10)
		why = lcfg_drift(so, &w, buf, sizeof(buf));
	if (why)
		rc = ocf_fail(OCF_ERR_GENERIC, "LUN %lld of %s (%s): %s", w.lun, w.iqn, w.so_name, why);
	else if (c->check_level >= 10)
		rc = require_primary(c, w.path);
out:
	json_decref(s);
	json_decref(got);
	ctlops_close(&o);
	return rc;
}

static const struct ocf_agent agent = {
	.name = "lun",
	.shortdesc = "tandem iSCSI logical unit with persistent reservations",
	.longdesc =
		"Attaches one logical unit to a tandem target through tandemd's control "
		"socket: a storage object named after the resource over path (the local DRBD "
		"Primary; start refuses a DRBD device in any other role), whose persistent "
		"reservation state tandemd loads from the replicated PR area as it opens it, "
		"mapped as LUN lun into the target's TPG and every ACL there. Every identity "
		"(LUN number, serial, NAA WWN, vendor, product) comes from the CIB, so both "
		"nodes present the same LU. Stop unmaps the LUN first (tandemd drains the "
		"commands in flight and flushes the device before it answers), then closes the "
		"device. Monitor depth 0: the LU is attached and mapped; depth 10 also: the "
		"live identity matches the parameters and the DRBD device is still Primary. "
		"Parameter names follow ocf:heartbeat:iSCSILogicalUnit. The DRBD role comes "
		"from /proc/drbd (8.4) or drbdsetup status --json (9).",
	.params = params,
	.nparams = P_N,
	.actions = actions,
	.nactions = sizeof(actions) / sizeof(actions[0]),
	.start = lun_start,
	.stop = lun_stop,
	.monitor = lun_monitor,
	.validate = lun_validate,
};

int main(int argc, char **argv)
{
	return ocf_run(&agent, argc, argv);
}
