/* `set GROUP key=value ...` and `get [GROUP [key ...]]` for the groups
 * targetcli has: attribute (storage objects, TPGs, ACLs), parameter
 * (TPGs) and auth (TPGs, ACLs: the chap_* keys of the config). */
#include "ctl/cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* LIO's names (rtslib dumps every one of them); tandemd acts on some and
 * accepts the rest, so a config moved from LIO keeps them. */
static const char *const so_attributes[] = {
	"alua_support", "block_size", "emulate_3pc", "emulate_caw", "emulate_dpo",
	"emulate_fua_read", "emulate_fua_write", "emulate_model_alias", "emulate_pr",
	"emulate_rest_reord", "emulate_rsoc", "emulate_tas", "emulate_tpu",
	"emulate_tpws", "emulate_ua_intlck_ctrl", "emulate_write_cache",
	"enforce_pr_isids", "force_pr_aptpl", "is_nonrot", "max_unmap_block_desc_count",
	"max_unmap_lba_count", "max_write_same_len", "optimal_sectors", "pgr_support",
	"pi_prot_format", "pi_prot_type", "pi_prot_verify", "queue_depth", "submit_type",
	"unmap_granularity", "unmap_granularity_alignment", "unmap_zeroes_data", NULL
};
static const char *const tpg_attributes[] = {
	"authentication", "cache_dynamic_acls", "default_cmdsn_depth", "default_erl",
	"demo_mode_discovery", "demo_mode_write_protect", "fabric_prot_type",
	"generate_node_acls", "login_keys_workaround", "login_timeout", "netif_timeout",
	"prod_mode_write_protect", "t10_pi", "tpg_enabled_sendtargets", NULL
};
static const char *const acl_attributes[] = {
	"authentication", "dataout_timeout", "dataout_timeout_retries", "default_erl",
	"nopin_response_timeout", "nopin_timeout", "random_datain_pdu_offsets",
	"random_datain_seq_offsets", "random_r2t_offsets", NULL
};
static const char *const tpg_parameters[] = {
	"AuthMethod", "DataDigest", "DataPDUInOrder", "DataSequenceInOrder",
	"DefaultTime2Retain", "DefaultTime2Wait", "ErrorRecoveryLevel",
	"FirstBurstLength", "HeaderDigest", "IFMarkInt", "IFMarker", "ImmediateData",
	"InitialR2T", "InitiatorRecvDataSegmentLength", "MaxBurstLength",
	"MaxConnections", "MaxOutstandingR2T", "MaxRecvDataSegmentLength",
	"MaxXmitDataSegmentLength", "OFMarkInt", "OFMarker", "RDMAExtensions",
	"TargetAlias", "TargetRecvDataSegmentLength", NULL
};
static const char *const auth_keys[] = {
	"userid", "password", "mutual_userid", "mutual_password", NULL
};

static const char *const group_list[] = { "attribute", "parameter", "auth", NULL };

const char *const *group_known(enum node_kind k, const char *group)
{
	if (!strcmp(group, "attribute"))
		return k == NODE_SO ? so_attributes : k == NODE_TPG ? tpg_attributes :
			k == NODE_ACL ? acl_attributes : NULL;
	if (!strcmp(group, "parameter"))
		return k == NODE_TPG ? tpg_parameters : NULL;
	if (!strcmp(group, "auth"))
		return k == NODE_TPG || k == NODE_ACL ? auth_keys : NULL;
	return NULL;
}

int group_list_for(enum node_kind k, struct names *out)
{
	for (size_t i = 0; group_list[i]; i++)
		if (group_known(k, group_list[i]) && names_add(out, "%s", group_list[i]) < 0)
			return -1;
	return 0;
}

static json_t *node_obj(const struct node *n)
{
	return n->kind == NODE_SO ? n->so : n->kind == NODE_TPG ? n->tpg : n->acl;
}

/* The object holding a group's keys: "attributes", "parameters", or the
 * TPG/ACL itself for auth (keys prefixed chap_). */
static json_t *group_obj(const struct node *n, const char *group, bool create)
{
	json_t *o = node_obj(n), *g;
	const char *key = !strcmp(group, "attribute") ? "attributes" : "parameters";

	if (!strcmp(group, "auth"))
		return o;
	g = json_object_get(o, key);
	if (!json_is_object(g) && create) {
		g = json_object();
		json_object_set_new(o, key, g);
	}
	return json_is_object(g) ? g : NULL;
}

static bool known(const char *const *list, const char *name, json_t *obj, bool auth)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(list[i], name))
			return true;
	return !auth && json_object_get(obj, name);
}

int group_names(const struct node *n, const char *group, struct names *out)
{
	const char *const *list = group_known(n->kind, group);
	json_t *obj = group_obj(n, group, false), *v;
	const char *key;

	if (!list)
		return 0;
	for (size_t i = 0; list[i]; i++)
		if (names_add(out, "%s", list[i]) < 0)
			return -1;
	if (strcmp(group, "auth"))
		json_object_foreach(obj, key, v)
			if (!known(list, key, NULL, true) && names_add(out, "%s", key) < 0)
				return -1;
	names_sort(out);
	return 0;
}

static int check_group(struct cmd_ctx *c, const char *group)
{
	struct names g = { 0 };
	char list[128] = "";

	if (group_known(c->node.kind, group))
		return CTL_OK;
	group_list_for(c->node.kind, &g);
	for (size_t i = 0; i < g.n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 i ? ", " : "", g.v[i]);
	names_free(&g);
	return cmd_usage(c, "no group '%s' at %s (%s)", group, c->node.path,
			 *list ? list : "it has none");
}

static int set_one(struct cmd_ctx *c, const char *group, const char *arg)
{
	const char *eq = strchr(arg, '='), *val;
	json_t *obj = group_obj(&c->node, group, true);
	char name[128], key[160];
	bool auth = !strcmp(group, "auth");

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(name))
		return cmd_usage(c, "'%s' is not name=value", arg);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	val = eq + 1;
	if (!known(group_known(c->node.kind, group), name, obj, auth))
		return cmd_usage(c, "unknown %s '%s' at %s (see: get %s)", group, name,
				 c->node.path, group);
	snprintf(key, sizeof(key), "%s%s", auth ? "chap_" : "", name);
	if (!strcmp(group, "attribute")) {
		char *end;
		long long n;
		errno = 0;
		n = strtoll(val, &end, 10);
		if (errno || !*val || *end)
			return cmd_usage(c, "attribute %s='%s' is not a number", name, val);
		json_object_set_new(obj, key, json_integer(n));
		/* rtslib's write_back is this attribute, so targetcli's way of
		 * turning a cache on or off is this set; tandemd reports WCE
		 * from write_back and refuses the two disagreeing. */
		if (c->node.kind == NODE_SO && !strcmp(name, "emulate_write_cache") &&
		    strcmp(c->node.plugin, "ramdisk"))
			json_object_set_new(c->node.so, "write_back", json_boolean(n != 0));
	} else if (auth && !*val) {
		json_object_del(obj, key);
	} else {
		if (strlen(val) > 255)
			return cmd_usage(c, "%s %s: value longer than 255 characters", group, name);
		json_object_set_new(obj, key, json_string(val));
	}
	cmd_msg(c, "Parameter %s is now '%s'.", name, val);
	return CTL_OK;
}

static int cmd_set(struct cmd_ctx *c)
{
	int rc;

	if (c->argc < 1)
		return cmd_usage(c, "missing argument 'group' (set GROUP name=value ...)");
	if ((rc = check_group(c, c->argv[0])))
		return rc;
	if (c->argc < 2)
		return cmd_usage(c, "missing name=value after '%s'", c->argv[0]);
	for (int i = 1; i < c->argc; i++)
		if ((rc = set_one(c, c->argv[0], c->argv[i])))
			return rc;
	return CTL_OK;
}

static void value_str(json_t *v, char *out, size_t len)
{
	if (json_is_string(v))
		snprintf(out, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(out, len, "%s", json_is_true(v) ? "true" : "false");
	else
		snprintf(out, len, "%s", v ? "?" : "");
}

/* Takes the reference to v. */
static void emit_json(struct cmd_ctx *c, json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (s)
		cmd_msg(c, "%s", s);
	free(s);
	json_decref(v);
}

static int cmd_get(struct cmd_ctx *c)
{
	const char *group = c->argc ? c->argv[0] : NULL;
	struct names all = { 0 };
	json_t *obj, *out;
	char key[160], val[300];
	bool auth;
	int rc;

	if (!group) {
		if (group_list_for(c->node.kind, &all) < 0)
			return cmd_usage(c, "out of memory");
		if (c->json) {
			out = json_array();
			for (size_t i = 0; i < all.n; i++)
				json_array_append_new(out, json_string(all.v[i]));
			emit_json(c, out);
		} else {
			for (size_t i = 0; i < all.n; i++)
				cmd_msg(c, "%s", all.v[i]);
		}
		names_free(&all);
		return CTL_OK;
	}
	if ((rc = check_group(c, group)))
		return rc;
	auth = !strcmp(group, "auth");
	obj = group_obj(&c->node, group, false);
	for (int i = 1; i < c->argc; i++) {
		if (!known(group_known(c->node.kind, group), c->argv[i], obj, auth))
			return cmd_usage(c, "unknown %s '%s' at %s", group, c->argv[i], c->node.path);
		names_add(&all, "%s", c->argv[i]);
	}
	if (c->argc == 1)
		group_names(&c->node, group, &all);
	out = json_object();
	for (size_t i = 0; i < all.n; i++) {
		json_t *v;
		snprintf(key, sizeof(key), "%s%s", auth ? "chap_" : "", all.v[i]);
		v = json_object_get(obj, key);
		if (!v && !auth && c->argc == 1)
			continue;
		if (c->json) {
			json_object_set(out, all.v[i], v ? v : json_null());
		} else {
			value_str(v, val, sizeof(val));
			cmd_msg(c, "%s=%s", all.v[i], val);
		}
	}
	if (c->json)
		emit_json(c, out);
	else
		json_decref(out);
	names_free(&all);
	return CTL_OK;
}

static const char *const set_params[] = { "group", NULL };

const struct command cmds_group[] = {
	{ "set", KIND(NODE_SO) | KIND(NODE_TPG) | KIND(NODE_ACL), CMD_EDIT, cmd_set, set_params,
	  "set GROUP name=value ...  (GROUP: attribute, parameter, auth)", NULL },
	{ "get", KIND(NODE_SO) | KIND(NODE_TPG) | KIND(NODE_ACL), CMD_READ, cmd_get, set_params,
	  "get [GROUP [name ...]]", NULL },
	{ 0 }
};
