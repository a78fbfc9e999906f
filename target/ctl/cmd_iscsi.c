/* /iscsi: targets, TPGs, LUNs, ACLs with their mapped LUNs, portals; the
 * create/delete/enable/disable commands of targetcli-fb, with its defaults
 * (a new target gets tpg1; new LUNs and ACLs are mapped to each other, as
 * with auto_add_mapped_luns). */
#include "ctl/cmd.h"
#include "ctl/update.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <unistd.h>

#define TAG_MAX 65535
#define LUN_MAX 16383

/* targetcli's generated name: iqn.2003-01.org.linux-iscsi.HOST.ARCH:sn.HEX */
static int generate_iqn(char *out, size_t len)
{
	char host[64] = "localhost", arch[32] = "", *p;
	unsigned char r[6];
	struct utsname u;
	size_t n = 0;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	if ((p = strchr(host, '.')))
		*p = '\0';
	for (p = host; *p; p++)
		*p = isalnum((unsigned char)*p) || *p == '-' ? (char)tolower((unsigned char)*p) : '-';
	if (uname(&u) == 0)
		for (p = u.machine; *p && n + 1 < sizeof(arch); p++)
			if (isalnum((unsigned char)*p))
				arch[n++] = (char)tolower((unsigned char)*p);
	arch[n] = '\0';
	snprintf(out, len, "iqn.2003-01.org.linux-iscsi.%s.%s:sn.%02x%02x%02x%02x%02x%02x",
		 host, arch, r[0], r[1], r[2], r[3], r[4], r[5]);
	return 0;
}

/* A number, or "PREFIXnumber" (lun0, tpg1, mapped_lun2). */
static int parse_index(const char *s, const char *prefix, long long max, long long *out)
{
	size_t pl = strlen(prefix);

	if (!strncmp(s, prefix, pl))
		s += pl;
	return parse_uint(s, max, out);
}

/* The entries of a config array as a command names them: by one argument
 * that matches one member of each (a LUN by "index", an ACL by
 * "node_wwn"). */
struct entry_ref {
	const char *const *params;	/* { "lun", NULL } */
	const char *key;		/* "index", "tag", "wwn", "node_wwn" */
	const char *prefix;		/* a number, maybe written "lun3"; NULL: a name */
	long long min, max;
	const char *what;		/* "ACL", for "no such ACL" */
	const char *title;		/* "Node ACL", for "Deleted Node ACL NAME." */
};

/* arg as one of r's numbers. */
static int ref_number(struct cmd_ctx *c, const struct entry_ref *r, const char *arg,
		      long long *n)
{
	if (parse_index(arg, r->prefix, r->max, n) < 0 || *n < r->min)
		return cmd_usage(c, "%s='%s' is not a number in %lld..%lld", r->params[0], arg,
				 r->min, r->max);
	return CTL_OK;
}

/* Binds the argument and finds the entry of arr it names: its position in
 * *pos and the value matched, as text, in val. */
static int find_entry(struct cmd_ctx *c, json_t *arr, const struct entry_ref *r,
		      size_t *pos, char *val, size_t vlen)
{
	const char *v[1];
	long long n = 0;
	json_t *hit;
	int rc;

	if ((rc = ARGS_BIND(c, r->params, 1, v)) ||
	    (r->prefix && (rc = ref_number(c, r, v[0], &n))))
		return rc;
	hit = r->prefix ? cfg_find_int(arr, r->key, n, pos) : cfg_find(arr, r->key, v[0], pos);
	if (!hit)
		return cmd_usage(c, "%s='%s': no such %s", r->params[0], v[0], r->what);
	if (r->prefix)
		snprintf(val, vlen, "%lld", n);
	else
		snprintf(val, vlen, "%s", v[0]);
	return CTL_OK;
}

static long long lowest_free(json_t *arr, const char *key, long long from, long long max)
{
	for (long long n = from; n <= max; n++)
		if (!cfg_find_int(arr, key, n, NULL))
			return n;
	return -1;
}

/* A new entry's number: arg's (which must be free) or, without arg, the
 * lowest free one. */
static int new_index(struct cmd_ctx *c, json_t *arr, const struct entry_ref *r,
		     const char *arg, long long *out)
{
	long long n = 0;
	int rc;

	if (!arg) {
		n = lowest_free(arr, r->key, r->min, r->max);
		if (n < 0)
			return cmd_usage(c, "no free %s number", r->what);
	} else if ((rc = ref_number(c, r, arg, &n))) {
		return rc;
	} else if (cfg_find_int(arr, r->key, n, NULL)) {
		return cmd_usage(c, "%s='%s': %s%lld exists", r->params[0], arg, r->prefix, n);
	}
	*out = n;
	return CTL_OK;
}

static bool iscsi_name(const char *s)
{
	return !strncmp(s, "iqn.", 4) || !strncmp(s, "eui.", 4) || !strncmp(s, "naa.", 4);
}

/* The common delete: the entry goes, and the line says which. */
static int delete_entry(struct cmd_ctx *c, json_t *arr, const struct entry_ref *r)
{
	char val[TREE_NAME_MAX];
	size_t pos;
	int rc = find_entry(c, arr, r, &pos, val, sizeof(val));

	if (rc)
		return rc;
	json_array_remove(arr, pos);
	cmd_msg(c, "Deleted %s %s.", r->title, val);
	return CTL_OK;
}

/* As targetcli-fb creates one: enabled, authentication off (LIO's own
 * default is on); every other attribute keeps tandemd's default. */
static json_t *new_tpg(long long tag)
{
	return json_pack("{s:I, s:b, s:{s:i}, s:{}, s:[], s:[], s:[]}", "tag", (json_int_t)tag,
			 "enable", 1, "attributes", "authentication", 0, "parameters", "luns",
			 "node_acls", "portals");
}

static const char *const iscsi_create_params[] = { "wwn", NULL };

static int iscsi_create(struct cmd_ctx *c)
{
	json_t *targets = cfg_array(c->cfg, "targets");
	char iqn[256];
	const char *v[1];
	int rc;

	if ((rc = ARGS_BIND(c, iscsi_create_params, 0, v)))
		return rc;
	if (!v[0]) {
		if (generate_iqn(iqn, sizeof(iqn)) < 0)
			return cmd_usage(c, "cannot generate a target name: no randomness");
		v[0] = iqn;
	}
	if (!iscsi_name(v[0]))
		return cmd_usage(c, "wwn='%s' is not an iqn., eui. or naa. name", v[0]);
	if (cfg_find_target(c->cfg, v[0]))
		return cmd_usage(c, "wwn='%s': the target exists", v[0]);
	json_array_append_new(targets, json_pack("{s:s, s:s, s:[o]}", "fabric", "iscsi",
						 "wwn", v[0], "tpgs", new_tpg(1)));
	cmd_msg(c, "Created target %s.", v[0]);
	cmd_msg(c, "Created TPG 1.");
	return CTL_OK;
}

static const struct entry_ref target_ref = {
	iscsi_create_params, "wwn", NULL, 0, 0, "target", "Target",
};

static int iscsi_delete(struct cmd_ctx *c)
{
	return delete_entry(c, json_object_get(c->cfg, "targets"), &target_ref);
}

static const char *const tag_params[] = { "tag", NULL };

static const struct entry_ref tpg_ref = {
	tag_params, "tag", "tpg", 1, TAG_MAX, "TPG", "TPG",
};

static int target_create(struct cmd_ctx *c)
{
	json_t *tpgs = cfg_array(c->node.target, "tpgs");
	const char *v[1];
	long long tag = 0;
	int rc;

	if ((rc = ARGS_BIND(c, tag_params, 0, v)) ||
	    (rc = new_index(c, tpgs, &tpg_ref, v[0], &tag)))
		return rc;
	json_array_append_new(tpgs, new_tpg(tag));
	cmd_msg(c, "Created TPG %lld.", tag);
	return CTL_OK;
}

static int target_delete(struct cmd_ctx *c)
{
	return delete_entry(c, json_object_get(c->node.target, "tpgs"), &tpg_ref);
}

static int tpg_enable(struct cmd_ctx *c)
{
	bool on = !strcmp(c->cmd, "enable");
	int rc;

	if ((rc = args_bind(c, NULL, 0, NULL, 0)))
		return rc;
	if (tree_int(c->node.tpg, "enable", 1) == on) {
		cmd_msg(c, "The TPGT is already %s.", on ? "enabled" : "disabled");
		return CTL_OK;
	}
	json_object_set_new(c->node.tpg, "enable", json_boolean(on));
	cmd_msg(c, "The TPGT has been %s.", on ? "enabled" : "disabled");
	return CTL_OK;
}

static const char *const lun_delete_params[] = { "lun", NULL };
static const char *const mlun_delete_params[] = { "mapped_lun", NULL };

static const struct entry_ref lun_ref = {
	lun_delete_params, "index", "lun", 0, LUN_MAX, "LUN", "LUN",
};
static const struct entry_ref mlun_ref = {
	mlun_delete_params, "index", "mapped_lun", 0, LUN_MAX, "mapped LUN", "Mapped LUN",
};

static void add_mlun(json_t *acl, long long index, long long tpg_lun, bool wp)
{
	json_array_append_new(cfg_array(acl, "mapped_luns"),
			      json_pack("{s:I, s:I, s:b}", "index", (json_int_t)index,
					"tpg_lun", (json_int_t)tpg_lun, "write_protect", wp));
}

void edit_drop_lun(struct cmd_ctx *c, json_t *tpg, size_t pos)
{
	json_t *luns = json_object_get(tpg, "luns"), *acl;
	long long index = tree_int(json_array_get(luns, pos), "index", -1);
	size_t i, k;

	json_array_foreach(json_object_get(tpg, "node_acls"), i, acl) {
		json_t *ml = json_object_get(acl, "mapped_luns");
		for (k = json_array_size(ml); k-- > 0;) {
			if (tree_int(json_array_get(ml, k), "tpg_lun", -1) != index)
				continue;
			cmd_msg(c, "Deleted mapped LUN %lld of %s.",
				(long long)tree_int(json_array_get(ml, k), "index", -1),
				tree_str(acl, "node_wwn"));
			json_array_remove(ml, k);
		}
	}
	json_array_remove(luns, pos);
	cmd_msg(c, "Deleted LUN %lld.", index);
}

static const char *const lun_create_params[] = { "storage_object", "lun",
						 "add_mapped_luns", NULL };

static int luns_create(struct cmd_ctx *c)
{
	json_t *tpg = c->node.tpg, *luns = cfg_array(tpg, "luns"), *lun, *acl;
	bool add_mapped = true;
	const char *v[3];
	long long index = 0;
	size_t i;
	int rc;

	if ((rc = ARGS_BIND(c, lun_create_params, 1, v)))
		return rc;
	if (!tree_find_so(c->cfg, v[0]))
		return cmd_usage(c, "storage_object='%s': no such storage object "
				 "(a path like /backstores/fileio/NAME)", v[0]);
	if ((lun = cfg_find(luns, "storage_object", v[0], NULL)))
		return cmd_usage(c, "storage_object='%s': lun%lld of this TPG exports it",
				 v[0], (long long)tree_int(lun, "index", -1));
	if ((rc = new_index(c, luns, &lun_ref, v[1], &index)))
		return rc;
	if (v[2] && parse_bool(v[2], &add_mapped) < 0)
		return cmd_usage(c, "add_mapped_luns='%s' is not a boolean", v[2]);
	json_array_append_new(luns, json_pack("{s:I, s:s}", "index", (json_int_t)index,
					      "storage_object", v[0]));
	cmd_msg(c, "Created LUN %lld.", index);
	if (!add_mapped)
		return CTL_OK;
	json_array_foreach(json_object_get(tpg, "node_acls"), i, acl) {
		json_t *mapped = cfg_array(acl, "mapped_luns");
		long long m = cfg_find_int(mapped, "index", index, NULL) ?
			lowest_free(mapped, "index", 0, LUN_MAX) : index;

		if (m < 0)
			return cmd_usage(c, "no free mapped LUN number in ACL %s",
					 tree_str(acl, "node_wwn"));
		add_mlun(acl, m, index, false);
		cmd_msg(c, "Created LUN %lld->%lld mapping in node ACL %s", index, m,
			tree_str(acl, "node_wwn"));
	}
	return CTL_OK;
}

static int luns_delete(struct cmd_ctx *c)
{
	char val[TREE_NAME_MAX];
	size_t pos;
	int rc = find_entry(c, json_object_get(c->node.tpg, "luns"), &lun_ref, &pos, val,
			    sizeof(val));

	if (!rc)
		edit_drop_lun(c, c->node.tpg, pos);
	return rc;
}

static const char *const acl_create_params[] = { "wwn", "add_mapped_luns", NULL };

static int acls_create(struct cmd_ctx *c)
{
	json_t *acls = cfg_array(c->node.tpg, "node_acls"), *acl, *lun;
	bool add_mapped = true;
	const char *v[2];
	size_t i;
	int rc;

	if ((rc = ARGS_BIND(c, acl_create_params, 1, v)))
		return rc;
	if (!iscsi_name(v[0]))
		return cmd_usage(c, "wwn='%s' is not an iqn., eui. or naa. name", v[0]);
	if (cfg_find(acls, "node_wwn", v[0], NULL))
		return cmd_usage(c, "wwn='%s': the ACL exists", v[0]);
	if (v[1] && parse_bool(v[1], &add_mapped) < 0)
		return cmd_usage(c, "add_mapped_luns='%s' is not a boolean", v[1]);
	acl = json_pack("{s:s, s:[]}", "node_wwn", v[0], "mapped_luns");
	json_array_append_new(acls, acl);
	cmd_msg(c, "Created Node ACL for %s", v[0]);
	if (!add_mapped)
		return CTL_OK;
	json_array_foreach(json_object_get(c->node.tpg, "luns"), i, lun) {
		long long idx = tree_int(lun, "index", 0);
		add_mlun(acl, idx, idx, false);
		cmd_msg(c, "Created Mapped LUN %lld.", idx);
	}
	return CTL_OK;
}

static const struct entry_ref acl_ref = {
	iscsi_create_params, "node_wwn", NULL, 0, 0, "ACL", "Node ACL",
};

static int acls_delete(struct cmd_ctx *c)
{
	return delete_entry(c, json_object_get(c->node.tpg, "node_acls"), &acl_ref);
}

static const char *const mlun_create_params[] = { "mapped_lun", "tpg_lun_or_backstore",
						  "write_protect", NULL };

static int acl_create(struct cmd_ctx *c)
{
	json_t *tpg = c->node.tpg, *luns = cfg_array(tpg, "luns"), *lun;
	long long m = 0, tl;
	bool wp = false;
	const char *v[3];
	int rc;

	if ((rc = ARGS_BIND(c, mlun_create_params, 2, v)) ||
	    (rc = new_index(c, cfg_array(c->node.acl, "mapped_luns"), &mlun_ref, v[0], &m)))
		return rc;
	if (v[2] && parse_bool(v[2], &wp) < 0)
		return cmd_usage(c, "write_protect='%s' is not a boolean", v[2]);
	if (v[1][0] == '/') {
		if (!tree_find_so(c->cfg, v[1]))
			return cmd_usage(c, "tpg_lun_or_backstore='%s': no such storage object", v[1]);
		lun = cfg_find(luns, "storage_object", v[1], NULL);
		tl = lun ? tree_int(lun, "index", -1) : lowest_free(luns, "index", 0, LUN_MAX);
		if (tl < 0)
			return cmd_usage(c, "no free LUN number");
		if (!lun) {
			json_array_append_new(luns, json_pack("{s:I, s:s}", "index", (json_int_t)tl,
							      "storage_object", v[1]));
			cmd_msg(c, "Created LUN %lld.", tl);
		}
	} else if (parse_index(v[1], "lun", LUN_MAX, &tl) < 0 ||
		   !cfg_find_int(luns, "index", tl, NULL)) {
		return cmd_usage(c, "tpg_lun_or_backstore='%s': no such TPG LUN", v[1]);
	}
	add_mlun(c->node.acl, m, tl, wp);
	cmd_msg(c, "Created Mapped LUN %lld.", m);
	return CTL_OK;
}

static int acl_delete(struct cmd_ctx *c)
{
	return delete_entry(c, json_object_get(c->node.acl, "mapped_luns"), &mlun_ref);
}

static const char *const portal_params[] = { "ip_address", "ip_port", NULL };

/* rtslib keeps IPv6 addresses in brackets. */
static void canon_ip(const char *in, char *out, size_t len)
{
	if (strchr(in, ':') && in[0] != '[')
		snprintf(out, len, "[%s]", in);
	else
		snprintf(out, len, "%s", in);
}

static json_t *find_portal(json_t *tpg, const char *ip, long long port, size_t *pos)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(tpg, "portals"), i, p) {
		if (tree_str(p, "ip_address") && !strcmp(tree_str(p, "ip_address"), ip) &&
		    tree_int(p, "port", 3260) == port) {
			if (pos)
				*pos = i;
			return p;
		}
	}
	return NULL;
}

static int portal_args(struct cmd_ctx *c, size_t required, char *ip, size_t iplen,
		       long long *port)
{
	const char *v[2];
	int rc;

	if ((rc = ARGS_BIND(c, portal_params, required, v)))
		return rc;
	if (strlen(v[0] ? v[0] : "") > 64)
		return cmd_usage(c, "ip_address='%.64s...' is too long", v[0]);
	canon_ip(v[0] ? v[0] : "0.0.0.0", ip, iplen);
	*port = 3260;
	if (v[1] && (parse_uint(v[1], 65535, port) < 0 || *port == 0))
		return cmd_usage(c, "ip_port='%s' is not 1..65535", v[1]);
	return CTL_OK;
}

static int portals_create(struct cmd_ctx *c)
{
	char ip[80];
	long long port;
	int rc;

	if ((rc = portal_args(c, 0, ip, sizeof(ip), &port)))
		return rc;
	if (find_portal(c->node.tpg, ip, port, NULL))
		return cmd_usage(c, "portal %s:%lld exists", ip, port);
	json_array_append_new(cfg_array(c->node.tpg, "portals"),
			      json_pack("{s:s, s:I}", "ip_address", ip, "port", (json_int_t)port));
	cmd_msg(c, "Created network portal %s:%lld.", ip, port);
	return CTL_OK;
}

static int portals_delete(struct cmd_ctx *c)
{
	char ip[80];
	long long port;
	size_t pos;
	int rc;

	if ((rc = portal_args(c, 2, ip, sizeof(ip), &port)))
		return rc;
	if (!find_portal(c->node.tpg, ip, port, &pos))
		return cmd_usage(c, "no portal %s:%lld", ip, port);
	json_array_remove(json_object_get(c->node.tpg, "portals"), pos);
	cmd_msg(c, "Deleted network portal %s:%lld", ip, port);
	return CTL_OK;
}

const struct command cmds_iscsi[] = {
	{ "create", KIND(NODE_ISCSI), CMD_EDIT, iscsi_create, iscsi_create_params,
	  "create [wwn]", NULL },
	{ "delete", KIND(NODE_ISCSI), CMD_EDIT, iscsi_delete, iscsi_create_params,
	  "delete wwn", NULL },
	{ "create", KIND(NODE_TARGET), CMD_EDIT, target_create, tag_params,
	  "create [tag]", NULL },
	{ "delete", KIND(NODE_TARGET), CMD_EDIT, target_delete, tag_params,
	  "delete tag", NULL },
	{ "enable", KIND(NODE_TPG), CMD_EDIT, tpg_enable, NULL, "enable", NULL },
	{ "disable", KIND(NODE_TPG), CMD_EDIT, tpg_enable, NULL, "disable", NULL },
	{ "create", KIND(NODE_LUNS), CMD_EDIT, luns_create, lun_create_params,
	  "create storage_object [lun] [add_mapped_luns]", NULL },
	{ "delete", KIND(NODE_LUNS), CMD_EDIT, luns_delete, lun_delete_params,
	  "delete lun", NULL },
	{ "create", KIND(NODE_ACLS), CMD_EDIT, acls_create, acl_create_params,
	  "create wwn [add_mapped_luns]", NULL },
	{ "delete", KIND(NODE_ACLS), CMD_EDIT, acls_delete, iscsi_create_params,
	  "delete wwn", NULL },
	{ "create", KIND(NODE_ACL), CMD_EDIT, acl_create, mlun_create_params,
	  "create mapped_lun tpg_lun_or_backstore [write_protect]", NULL },
	{ "delete", KIND(NODE_ACL), CMD_EDIT, acl_delete, mlun_delete_params,
	  "delete mapped_lun", NULL },
	{ "create", KIND(NODE_PORTALS), CMD_EDIT, portals_create, portal_params,
	  "create [ip_address] [ip_port]", NULL },
	{ "delete", KIND(NODE_PORTALS), CMD_EDIT, portals_delete, portal_params,
	  "delete ip_address ip_port", NULL },
	{ 0 }
};
