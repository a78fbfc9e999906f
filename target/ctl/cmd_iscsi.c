/* /iscsi: targets, TPGs, LUNs, ACLs with their mapped LUNs, portals; the
 * create/delete/enable/disable commands of targetcli-fb, with its defaults
 * (a new target gets tpg1; new LUNs and ACLs are mapped to each other, as
 * with auto_add_mapped_luns). */
#include "ctl/cmd.h"

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

static json_t *find_by(json_t *arr, const char *key, const char *val, size_t *pos)
{
	json_t *o;
	size_t i;

	json_array_foreach(arr, i, o) {
		if (tree_str(o, key) && !strcmp(tree_str(o, key), val)) {
			if (pos)
				*pos = i;
			return o;
		}
	}
	return NULL;
}

/* A number, or "PREFIXnumber" (lun0, tpg1, mapped_lun2). */
static int parse_index(const char *s, const char *prefix, long long max, long long *out)
{
	size_t pl = strlen(prefix);

	if (!strncmp(s, prefix, pl))
		s += pl;
	return parse_uint(s, max, out);
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
	json_t *targets = tree_array(c->cfg, "targets");
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
	if (strncmp(v[0], "iqn.", 4) && strncmp(v[0], "eui.", 4) && strncmp(v[0], "naa.", 4))
		return cmd_usage(c, "wwn='%s' is not an iqn., eui. or naa. name", v[0]);
	if (find_by(targets, "wwn", v[0], NULL))
		return cmd_usage(c, "wwn='%s': the target exists", v[0]);
	json_array_append_new(targets, json_pack("{s:s, s:s, s:[o]}", "fabric", "iscsi",
						 "wwn", v[0], "tpgs", new_tpg(1)));
	cmd_msg(c, "Created target %s.", v[0]);
	cmd_msg(c, "Created TPG 1.");
	return CTL_OK;
}

static int iscsi_delete(struct cmd_ctx *c)
{
	json_t *targets = json_object_get(c->cfg, "targets");
	const char *v[1];
	size_t pos;
	int rc;

	if ((rc = ARGS_BIND(c, iscsi_create_params, 1, v)))
		return rc;
	if (!find_by(targets, "wwn", v[0], &pos))
		return cmd_usage(c, "no target %s", v[0]);
	json_array_remove(targets, pos);
	cmd_msg(c, "Deleted Target %s.", v[0]);
	return CTL_OK;
}

static json_t *find_tpg(json_t *target, long long tag, size_t *pos)
{
	json_t *tpg;
	size_t i;

	json_array_foreach(json_object_get(target, "tpgs"), i, tpg) {
		if (tree_int(tpg, "tag", -1) == tag) {
			if (pos)
				*pos = i;
			return tpg;
		}
	}
	return NULL;
}

static const char *const tag_params[] = { "tag", NULL };

static int target_create(struct cmd_ctx *c)
{
	const char *v[1];
	long long tag = 1;
	int rc;

	if ((rc = ARGS_BIND(c, tag_params, 0, v)))
		return rc;
	if (v[0]) {
		if (parse_index(v[0], "tpg", TAG_MAX, &tag) < 0 || tag == 0)
			return cmd_usage(c, "tag='%s' is not 1..%d", v[0], TAG_MAX);
		if (find_tpg(c->node.target, tag, NULL))
			return cmd_usage(c, "tag='%s': tpg%lld exists", v[0], tag);
	} else {
		while (find_tpg(c->node.target, tag, NULL) && tag <= TAG_MAX)
			tag++;
		if (tag > TAG_MAX)
			return cmd_usage(c, "no free TPG tag");
	}
	json_array_append_new(tree_array(c->node.target, "tpgs"), new_tpg(tag));
	cmd_msg(c, "Created TPG %lld.", tag);
	return CTL_OK;
}

static int target_delete(struct cmd_ctx *c)
{
	const char *v[1];
	long long tag;
	size_t pos;
	int rc;

	if ((rc = ARGS_BIND(c, tag_params, 1, v)))
		return rc;
	if (parse_index(v[0], "tpg", TAG_MAX, &tag) < 0 || !find_tpg(c->node.target, tag, &pos))
		return cmd_usage(c, "tag='%s': no such TPG", v[0]);
	json_array_remove(json_object_get(c->node.target, "tpgs"), pos);
	cmd_msg(c, "Deleted TPG %lld.", tag);
	return CTL_OK;
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

static bool mlun_taken(json_t *acl, long long index)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(acl, "mapped_luns"), i, m)
		if (tree_int(m, "index", -1) == index)
			return true;
	return false;
}

static void add_mlun(json_t *acl, long long index, long long tpg_lun, bool wp)
{
	json_array_append_new(tree_array(acl, "mapped_luns"),
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
	json_t *tpg = c->node.tpg, *lun, *acl;
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
	json_array_foreach(json_object_get(tpg, "luns"), i, lun)
		if (tree_str(lun, "storage_object") && !strcmp(tree_str(lun, "storage_object"), v[0]))
			return cmd_usage(c, "storage_object='%s': lun%lld of this TPG exports it",
					 v[0], (long long)tree_int(lun, "index", -1));
	if (v[1]) {
		if (parse_index(v[1], "lun", LUN_MAX, &index) < 0)
			return cmd_usage(c, "lun='%s' is not 0..%d", v[1], LUN_MAX);
		if (tree_find_lun(tpg, index))
			return cmd_usage(c, "lun='%s': lun%lld exists", v[1], index);
	} else {
		while (tree_find_lun(tpg, index) && index <= LUN_MAX)
			index++;
		if (index > LUN_MAX)
			return cmd_usage(c, "no free LUN number");
	}
	if (v[2] && parse_bool(v[2], &add_mapped) < 0)
		return cmd_usage(c, "add_mapped_luns='%s' is not a boolean", v[2]);
	json_array_append_new(tree_array(tpg, "luns"),
			      json_pack("{s:I, s:s}", "index", (json_int_t)index,
					"storage_object", v[0]));
	cmd_msg(c, "Created LUN %lld.", index);
	if (!add_mapped)
		return CTL_OK;
	json_array_foreach(json_object_get(tpg, "node_acls"), i, acl) {
		long long m = index;
		if (mlun_taken(acl, m))
			for (m = 0; mlun_taken(acl, m); m++)
				;
		add_mlun(acl, m, index, false);
		cmd_msg(c, "Created LUN %lld->%lld mapping in node ACL %s", index, m,
			tree_str(acl, "node_wwn"));
	}
	return CTL_OK;
}

static const char *const lun_delete_params[] = { "lun", NULL };

static int luns_delete(struct cmd_ctx *c)
{
	json_t *luns = json_object_get(c->node.tpg, "luns"), *lun;
	const char *v[1];
	long long index;
	size_t i;
	int rc;

	if ((rc = ARGS_BIND(c, lun_delete_params, 1, v)))
		return rc;
	if (parse_index(v[0], "lun", LUN_MAX, &index) < 0)
		return cmd_usage(c, "lun='%s' is not 0..%d", v[0], LUN_MAX);
	json_array_foreach(luns, i, lun) {
		if (tree_int(lun, "index", -1) == index) {
			edit_drop_lun(c, c->node.tpg, i);
			return CTL_OK;
		}
	}
	return cmd_usage(c, "lun='%s': no such LUN", v[0]);
}

static const char *const acl_create_params[] = { "wwn", "add_mapped_luns", NULL };

static int acls_create(struct cmd_ctx *c)
{
	json_t *acls = tree_array(c->node.tpg, "node_acls"), *acl, *lun;
	bool add_mapped = true;
	const char *v[2];
	size_t i;
	int rc;

	if ((rc = ARGS_BIND(c, acl_create_params, 1, v)))
		return rc;
	if (strncmp(v[0], "iqn.", 4) && strncmp(v[0], "eui.", 4) && strncmp(v[0], "naa.", 4))
		return cmd_usage(c, "wwn='%s' is not an iqn., eui. or naa. name", v[0]);
	if (find_by(acls, "node_wwn", v[0], NULL))
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

static int acls_delete(struct cmd_ctx *c)
{
	json_t *acls = json_object_get(c->node.tpg, "node_acls");
	const char *v[1];
	size_t pos;
	int rc;

	if ((rc = ARGS_BIND(c, iscsi_create_params, 1, v)))
		return rc;
	if (!find_by(acls, "node_wwn", v[0], &pos))
		return cmd_usage(c, "wwn='%s': no such ACL", v[0]);
	json_array_remove(acls, pos);
	cmd_msg(c, "Deleted Node ACL %s.", v[0]);
	return CTL_OK;
}

static const char *const mlun_create_params[] = { "mapped_lun", "tpg_lun_or_backstore",
						  "write_protect", NULL };

static int acl_create(struct cmd_ctx *c)
{
	json_t *lun, *tpg = c->node.tpg;
	long long m, tl = -1;
	bool wp = false;
	const char *v[3];
	size_t i;
	int rc;

	if ((rc = ARGS_BIND(c, mlun_create_params, 2, v)))
		return rc;
	if (parse_index(v[0], "mapped_lun", LUN_MAX, &m) < 0)
		return cmd_usage(c, "mapped_lun='%s' is not 0..%d", v[0], LUN_MAX);
	if (mlun_taken(c->node.acl, m))
		return cmd_usage(c, "mapped_lun='%s': mapped_lun%lld exists", v[0], m);
	if (v[2] && parse_bool(v[2], &wp) < 0)
		return cmd_usage(c, "write_protect='%s' is not a boolean", v[2]);
	if (v[1][0] == '/') {
		if (!tree_find_so(c->cfg, v[1]))
			return cmd_usage(c, "tpg_lun_or_backstore='%s': no such storage object", v[1]);
		json_array_foreach(json_object_get(tpg, "luns"), i, lun)
			if (tree_str(lun, "storage_object") &&
			    !strcmp(tree_str(lun, "storage_object"), v[1]))
				tl = tree_int(lun, "index", -1);
		if (tl < 0) {
			for (tl = 0; tree_find_lun(tpg, tl); tl++)
				;
			json_array_append_new(tree_array(tpg, "luns"),
					      json_pack("{s:I, s:s}", "index", (json_int_t)tl,
							"storage_object", v[1]));
			cmd_msg(c, "Created LUN %lld.", tl);
		}
	} else if (parse_index(v[1], "lun", LUN_MAX, &tl) < 0 || !tree_find_lun(tpg, tl)) {
		return cmd_usage(c, "tpg_lun_or_backstore='%s': no such TPG LUN", v[1]);
	}
	add_mlun(c->node.acl, m, tl, wp);
	cmd_msg(c, "Created Mapped LUN %lld.", m);
	return CTL_OK;
}

static const char *const mlun_delete_params[] = { "mapped_lun", NULL };

static int acl_delete(struct cmd_ctx *c)
{
	json_t *ml = json_object_get(c->node.acl, "mapped_luns"), *m;
	const char *v[1];
	long long idx;
	size_t i;
	int rc;

	if ((rc = ARGS_BIND(c, mlun_delete_params, 1, v)))
		return rc;
	if (parse_index(v[0], "mapped_lun", LUN_MAX, &idx) < 0)
		return cmd_usage(c, "mapped_lun='%s' is not 0..%d", v[0], LUN_MAX);
	json_array_foreach(ml, i, m) {
		if (tree_int(m, "index", -1) == idx) {
			json_array_remove(ml, i);
			cmd_msg(c, "Deleted Mapped LUN %lld.", idx);
			return CTL_OK;
		}
	}
	return cmd_usage(c, "mapped_lun='%s': no such mapped LUN", v[0]);
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
	json_array_append_new(tree_array(c->node.tpg, "portals"),
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
