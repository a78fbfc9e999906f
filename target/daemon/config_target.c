/* "targets": what rtslib-fb's Target/TPG/LUN/NetworkPortal/NodeACL/
 * MappedLUN dump() methods write (rtslib/target.py), for the iscsi fabric.
 *
 *   target:     wwn, fabric, tpgs
 *   tpg:        tag, enable, attributes, parameters, luns, portals,
 *               node_acls, chap_userid, chap_password, chap_mutual_userid,
 *               chap_mutual_password (TPG-wide CHAP, for demo mode)
 *   lun:        index, storage_object, alias, alua_tg_pt_gp_name
 *   portal:     ip_address, port, iser, offload
 *   node_acl:   node_wwn, attributes, mapped_luns, tag, tcq_depth,
 *               chap_userid, chap_password, chap_mutual_userid,
 *               chap_mutual_password
 *   mapped_lun: index, tpg_lun, write_protect, alias */
#include "daemon/config_priv.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* LIO's iSCSI TPG attributes (lio_target_tpg_attrib_attrs in
 * iscsi_target_configfs.c, every kernel since 3.x) with the ranges of its
 * iscsit_ta_* setters. tandem acts on authentication, generate_node_acls
 * and demo_mode_write_protect; the rest are accepted and ignored. */
static const struct cfg_attr_def tpg_attrs[] = {
	{ "authentication", 0, 1 },
	{ "cache_dynamic_acls", 0, 1 },
	{ "crc32c_x86_offload", 0, 1 },		/* kernels before 3.12 */
	{ "default_cmdsn_depth", 1, 512 },
	{ "default_erl", 0, 2 },
	{ "demo_mode_discovery", 0, 1 },
	{ "demo_mode_write_protect", 0, 1 },
	{ "fabric_prot_type", 0, 3 },
	{ "generate_node_acls", 0, 1 },
	{ "login_keys_workaround", 0, 1 },
	{ "login_timeout", 5, 30 },
	{ "netif_timeout", 2, 15 },
	{ "prod_mode_write_protect", 0, 1 },
	{ "t10_pi", 0, 1 },
	{ "tpg_enabled_sendtargets", 0, 1 },
};

/* LIO's node ACL attributes (lio_target_nacl_attrib_attrs) with the ranges
 * of its iscsit_na_* setters; all accepted and ignored except
 * authentication, which must agree with the TPG's (see parse_acl). */
static const struct cfg_attr_def acl_attrs[] = {
	{ "authentication", -1, 1 },		/* -1: inherit the TPG's */
	{ "dataout_timeout", 2, 60 },
	{ "dataout_timeout_retries", 1, 15 },
	{ "default_erl", 0, 2 },
	{ "nopin_response_timeout", 3, 60 },
	{ "nopin_timeout", 0, 60 },		/* 0 (off) or 3..60 */
	{ "random_datain_pdu_offsets", 0, 1 },
	{ "random_datain_seq_offsets", 0, 1 },
	{ "random_r2t_offsets", 0, 1 },
};

#define NATTRS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const target_keys[] = { "wwn", "fabric", "tpgs", NULL };
static const char *const tpg_keys[] = {
	"tag", "enable", "attributes", "parameters", "luns", "portals",
	"node_acls", NULL,
};
static const char *const lun_keys[] = {
	"index", "storage_object", "alias", "alua_tg_pt_gp_name", NULL,
};
static const char *const portal_keys[] = {
	"ip_address", "port", "iser", "offload", NULL,
};
static const char *const acl_keys[] = {
	"node_wwn", "attributes", "mapped_luns", "tag", "tcq_depth", NULL,
};
static const char *const mlun_keys[] = {
	"index", "tpg_lun", "write_protect", "alias", NULL,
};

static const char *const plugin_name[] = {
	[BS_RAMDISK] = "ramdisk", [BS_FILEIO] = "fileio", [BS_BLOCK] = "block",
};

/* LUN numbers seen in one TPG or one ACL. */
struct lun_set {
	uint8_t bits[(CFG_LUN_MAX + 8) / 8];
};

static bool lun_set_test_and_set(struct lun_set *s, uint64_t lun)
{
	bool was = s->bits[lun / 8] & (1u << (lun % 8));

	s->bits[lun / 8] |= (uint8_t)(1u << (lun % 8));
	return was;
}

static bool lun_set_has(const struct lun_set *s, uint64_t lun)
{
	return s->bits[lun / 8] & (1u << (lun % 8));
}

/* Lists are allocated zeroed and their count set before any entry is
 * parsed, so config_free() releases whatever a failing parse leaves
 * half-filled. An empty list is NULL. */
static void *alloc_list(struct cfg_ctx *c, size_t n, size_t size, bool *failed)
{
	void *p = n ? calloc(n, size) : NULL;

	*failed = n && !p;
	if (*failed)
		cfg_fail(c, "out of memory");
	return p;
}

static int find_storage(struct cfg_ctx *c, const struct tconfig *cfg,
			const char *path, unsigned *idx)
{
	static const char prefix[] = "/backstores/";
	const char *plugin = path + strlen(prefix), *name;
	size_t plen;

	name = strncmp(path, prefix, strlen(prefix)) ? NULL : strchr(plugin, '/');
	if (!name || name == plugin || !name[1] || strchr(name + 1, '/'))
		return cfg_fail(c, "\"%s\" is not a storage object path (\"/backstores/PLUGIN/NAME\")",
				path);
	plen = (size_t)(name - plugin);
	name++;
	for (unsigned i = 0; i < cfg->nstorage; i++) {
		const char *p = plugin_name[cfg->storage[i].bs.kind];

		if (strlen(p) == plen && !strncmp(p, plugin, plen) &&
		    !strcmp(cfg->storage[i].bs.name, name)) {
			*idx = i;
			return 0;
		}
	}
	return cfg_fail(c, "no storage object \"%s\"", path);
}

static int parse_lun(struct cfg_ctx *c, json_t *o, const struct tconfig *cfg,
		     struct cfg_lun *l, struct lun_set *seen)
{
	char path[256], gp[64];
	bool have_gp;
	json_t *v;
	size_t mark;

	if (cfg_expect_object(c, o) < 0 ||
	    cfg_check_keys(c, o, lun_keys, NULL) < 0 ||
	    cfg_get_uint(c, o, "index", true, 0, CFG_LUN_MAX, &l->index, NULL) < 0)
		return -1;
	if (lun_set_test_and_set(seen, l->index)) {
		cfg_push_key(c, "index");
		return cfg_fail(c, "LUN %llu is already in this TPG",
				(unsigned long long)l->index);
	}
	if (cfg_get_str(c, o, "storage_object", true, CFG_S_NONEMPTY, path,
			sizeof(path), NULL) < 0)
		return -1;
	mark = cfg_push_key(c, "storage_object");
	if (find_storage(c, cfg, path, &l->storage) < 0)
		return -1;
	cfg_pop(c, mark);
	if (cfg_get_str(c, o, "alias", false, CFG_S_NOSLASH, l->alias,
			sizeof(l->alias), NULL) < 0)
		return -1;
	/* rtslib writes null when the backstore has no ALUA support. */
	v = json_object_get(o, "alua_tg_pt_gp_name");
	if (v && !json_is_null(v)) {
		if (cfg_get_str(c, o, "alua_tg_pt_gp_name", false, 0, gp,
				sizeof(gp), &have_gp) < 0)
			return -1;
		if (strcmp(gp, "default_tg_pt_gp")) {
			cfg_push_key(c, "alua_tg_pt_gp_name");
			return cfg_fail(c, "ALUA target port group \"%s\" is not supported (tandem has only default_tg_pt_gp)",
					gp);
		}
	}
	return 0;
}

static int parse_portal(struct cfg_ctx *c, json_t *o, struct cfg_portal *p,
			const struct cfg_portal *prev, unsigned nprev)
{
	char ip[64], *addr = ip;
	unsigned char bin[16];
	bool iser = false, offload = false;
	uint64_t port;
	size_t mark, len;
	int af;

	if (cfg_expect_object(c, o) < 0 ||
	    cfg_check_keys(c, o, portal_keys, NULL) < 0 ||
	    cfg_get_str(c, o, "ip_address", true, CFG_S_NONEMPTY, ip, sizeof(ip),
			NULL) < 0 ||
	    cfg_get_uint(c, o, "port", true, 1, 65535, &port, NULL) < 0 ||
	    cfg_get_bool(c, o, "iser", &iser, NULL) < 0 ||
	    cfg_get_bool(c, o, "offload", &offload, NULL) < 0)
		return -1;
	if (iser) {
		cfg_push_key(c, "iser");
		return cfg_fail(c, "iSER is not supported (tandem serves iSCSI over TCP)");
	}
	if (offload) {
		cfg_push_key(c, "offload");
		return cfg_fail(c, "offload (cxgbit) is not supported");
	}
	mark = cfg_push_key(c, "ip_address");
	/* LIO names an IPv6 portal "[addr]:port", so rtslib dumps the
	 * address in brackets. */
	len = strlen(ip);
	if (ip[0] == '[' && len > 2 && ip[len - 1] == ']') {
		ip[len - 1] = '\0';
		addr = ip + 1;
		af = AF_INET6;
	} else {
		af = strchr(ip, ':') ? AF_INET6 : AF_INET;
	}
	if (inet_pton(af, addr, bin) != 1)
		return cfg_fail(c, "\"%s\" is not a numeric IPv4 or IPv6 address",
				ip);
	/* Canonical text, so the daemon and the duplicate check below
	 * compare addresses, not spellings. */
	inet_ntop(af, bin, p->ip, sizeof(p->ip));
	p->port = (uint16_t)port;
	for (unsigned i = 0; i < nprev; i++)
		if (!strcmp(prev[i].ip, p->ip) && prev[i].port == p->port)
			return cfg_fail(c, "%s port %u is already portals[%u] of this TPG",
					p->ip, p->port, i);
	cfg_pop(c, mark);
	return 0;
}

static int parse_mapped(struct cfg_ctx *c, json_t *o, struct cfg_mapped_lun *m,
			const struct lun_set *tpg_luns, struct lun_set *seen)
{
	char alias[256];
	json_t *v;
	size_t mark;

	if (cfg_expect_object(c, o) < 0 ||
	    cfg_check_keys(c, o, mlun_keys, NULL) < 0 ||
	    cfg_get_uint(c, o, "index", true, 0, CFG_LUN_MAX, &m->index, NULL) < 0 ||
	    cfg_get_uint(c, o, "tpg_lun", true, 0, CFG_LUN_MAX, &m->tpg_lun, NULL) < 0 ||
	    cfg_get_bool(c, o, "write_protect", &m->write_protect, NULL) < 0)
		return -1;
	if (lun_set_test_and_set(seen, m->index)) {
		cfg_push_key(c, "index");
		return cfg_fail(c, "mapped LUN %llu is already in this ACL",
				(unsigned long long)m->index);
	}
	if (!lun_set_has(tpg_luns, m->tpg_lun)) {
		cfg_push_key(c, "tpg_lun");
		return cfg_fail(c, "the TPG has no LUN %llu",
				(unsigned long long)m->tpg_lun);
	}
	v = json_object_get(o, "alias");
	mark = cfg_push_key(c, "alias");
	if (v && !json_is_null(v) &&
	    cfg_str_value(c, v, CFG_S_NOSLASH, alias, sizeof(alias)) < 0)
		return -1;
	cfg_pop(c, mark);
	return 0;
}

static int parse_acl(struct cfg_ctx *c, json_t *o, struct cfg_acl *a,
		     const struct cfg_tpg *t, const struct lun_set *tpg_luns)
{
	struct lun_set seen = { { 0 } };
	char tag[256];
	json_t *attrs, *arr, *m, *v;
	uint64_t depth;
	long long auth;
	size_t mark, i;
	bool nomem;

	if (cfg_expect_object(c, o) < 0 ||
	    cfg_check_keys(c, o, acl_keys, cfg_auth_keys) < 0 ||
	    cfg_get_str(c, o, "node_wwn", true, 0, a->node_wwn,
			sizeof(a->node_wwn), NULL) < 0)
		return -1;
	mark = cfg_push_key(c, "node_wwn");
	if (cfg_check_iscsi_name(c, a->node_wwn) < 0)
		return -1;
	cfg_pop(c, mark);
	if (cfg_check_attrs(c, o, acl_attrs, NATTRS(acl_attrs), &attrs) < 0)
		return -1;
	auth = cfg_attr(attrs, "authentication", -1);
	/* config.h has one authentication switch per TPG: an ACL that
	 * overrides it would be silently weakened or locked out. */
	if (auth != -1 && auth != t->authentication) {
		cfg_push_key(c, "attributes");
		cfg_push_key(c, "authentication");
		return cfg_fail(c, "%lld overrides the TPG's authentication (%d); tandem applies the TPG's to every ACL, so set it there or use -1",
				auth, t->authentication);
	}
	if (cfg_attr(attrs, "nopin_timeout", 0) == 1 ||
	    cfg_attr(attrs, "nopin_timeout", 0) == 2) {
		cfg_push_key(c, "attributes");
		cfg_push_key(c, "nopin_timeout");
		return cfg_fail(c, "must be 0 (off) or 3..60");
	}
	/* tag: rtslib's ACL group name; tcq_depth: older dumps' cmdsn_depth.
	 * Both accepted and ignored. */
	v = json_object_get(o, "tag");
	mark = cfg_push_key(c, "tag");
	if (v && !json_is_null(v) && cfg_str_value(c, v, 0, tag, sizeof(tag)) < 0)
		return -1;
	cfg_pop(c, mark);
	if (cfg_get_uint(c, o, "tcq_depth", false, 1, 512, &depth, NULL) < 0 ||
	    cfg_parse_auth(c, o, &a->auth) < 0 ||
	    cfg_get_array(c, o, "mapped_luns", &arr) < 0)
		return -1;
	a->mapped = alloc_list(c, json_array_size(arr), sizeof(*a->mapped), &nomem);
	if (nomem)
		return -1;
	a->nmapped = (unsigned)json_array_size(arr);
	mark = cfg_push_key(c, "mapped_luns");
	json_array_foreach(arr, i, m) {
		size_t imark = cfg_push_index(c, i);

		if (parse_mapped(c, m, &a->mapped[i], tpg_luns, &seen) < 0)
			return -1;
		cfg_pop(c, imark);
	}
	cfg_pop(c, mark);
	return 0;
}

static int parse_tpg_attrs(struct cfg_ctx *c, json_t *o, struct cfg_tpg *t)
{
	json_t *attrs;

	if (cfg_check_attrs(c, o, tpg_attrs, NATTRS(tpg_attrs), &attrs) < 0)
		return -1;
	if (cfg_attr(attrs, "fabric_prot_type", 0) == 2) {
		cfg_push_key(c, "attributes");
		cfg_push_key(c, "fabric_prot_type");
		return cfg_fail(c, "must be 0, 1 or 3 (LIO has no type 2)");
	}
	/* Absent attributes take LIO's defaults (TA_* in
	 * iscsi_target_core.h), as a restore into LIO would. */
	t->authentication = cfg_attr(attrs, "authentication", 1);
	t->generate_node_acls = cfg_attr(attrs, "generate_node_acls", 0);
	t->demo_mode_write_protect = cfg_attr(attrs, "demo_mode_write_protect", 1);
	return 0;
}

static int parse_tpg_children(struct cfg_ctx *c, json_t *o,
			      const struct tconfig *cfg, struct cfg_tpg *t)
{
	struct lun_set luns = { { 0 } };
	json_t *arr, *e;
	size_t mark, i;
	bool nomem;

	if (cfg_get_array(c, o, "luns", &arr) < 0)
		return -1;
	t->luns = alloc_list(c, json_array_size(arr), sizeof(*t->luns), &nomem);
	if (nomem)
		return -1;
	t->nluns = (unsigned)json_array_size(arr);
	mark = cfg_push_key(c, "luns");
	json_array_foreach(arr, i, e) {
		size_t imark = cfg_push_index(c, i);

		if (parse_lun(c, e, cfg, &t->luns[i], &luns) < 0)
			return -1;
		cfg_pop(c, imark);
	}
	cfg_pop(c, mark);

	if (cfg_get_array(c, o, "portals", &arr) < 0)
		return -1;
	t->portals = alloc_list(c, json_array_size(arr), sizeof(*t->portals), &nomem);
	if (nomem)
		return -1;
	t->nportals = (unsigned)json_array_size(arr);
	mark = cfg_push_key(c, "portals");
	json_array_foreach(arr, i, e) {
		size_t imark = cfg_push_index(c, i);

		if (parse_portal(c, e, &t->portals[i], t->portals, (unsigned)i) < 0)
			return -1;
		cfg_pop(c, imark);
	}
	cfg_pop(c, mark);

	if (cfg_get_array(c, o, "node_acls", &arr) < 0)
		return -1;
	t->acls = alloc_list(c, json_array_size(arr), sizeof(*t->acls), &nomem);
	if (nomem)
		return -1;
	t->nacls = (unsigned)json_array_size(arr);
	mark = cfg_push_key(c, "node_acls");
	json_array_foreach(arr, i, e) {
		size_t imark = cfg_push_index(c, i);

		if (parse_acl(c, e, &t->acls[i], t, &luns) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(t->acls[j].node_wwn, t->acls[i].node_wwn)) {
				cfg_push_key(c, "node_wwn");
				return cfg_fail(c, "\"%s\" already has an ACL in this TPG (node_acls[%zu])",
						t->acls[i].node_wwn, j);
			}
		cfg_pop(c, imark);
	}
	cfg_pop(c, mark);
	return 0;
}

static int parse_tpg(struct cfg_ctx *c, json_t *o, const struct tconfig *cfg,
		     struct cfg_tpg *t, const struct cfg_tpg *prev, unsigned nprev)
{
	uint64_t tag;

	t->enable = true;
	if (cfg_expect_object(c, o) < 0 ||
	    cfg_check_keys(c, o, tpg_keys, cfg_auth_keys) < 0)
		return -1;
	if (!json_object_get(o, "tag")) {
		cfg_push_key(c, "tag");
		return cfg_fail(c, "missing: set the TPG tag (it must be the same on both nodes)");
	}
	if (cfg_get_uint(c, o, "tag", true, 1, 65535, &tag, NULL) < 0)
		return -1;
	t->tag = (uint16_t)tag;
	for (unsigned i = 0; i < nprev; i++)
		if (prev[i].tag == t->tag) {
			cfg_push_key(c, "tag");
			return cfg_fail(c, "tag %u is already tpgs[%u] of this target",
					t->tag, i);
		}
	if (cfg_get_bool(c, o, "enable", &t->enable, NULL) < 0 ||
	    parse_tpg_attrs(c, o, t) < 0 ||
	    cfg_parse_tpg_params(c, o, t) < 0)
		return -1;
	if (t->authentication && !t->auth_chap_allowed) {
		cfg_push_key(c, "parameters");
		cfg_push_key(c, "AuthMethod");
		return cfg_fail(c, "does not list CHAP while attributes.authentication is 1: every login would be refused");
	}
	if (cfg_parse_auth(c, o, &t->auth) < 0)
		return -1;
	return parse_tpg_children(c, o, cfg, t);
}

static int parse_target(struct cfg_ctx *c, json_t *o, const struct tconfig *cfg,
			struct cfg_target *t, unsigned idx)
{
	json_t *fabric, *arr, *e;
	size_t mark, i;
	bool nomem;

	if (cfg_expect_object(c, o) < 0)
		return -1;
	fabric = json_object_get(o, "fabric");
	mark = cfg_push_key(c, "fabric");
	if (!fabric)
		return cfg_fail(c, "missing (required)");
	if (!json_is_string(fabric))
		return cfg_fail(c, "must be a string");
	if (strcmp(json_string_value(fabric), "iscsi"))
		return cfg_fail(c, "\"%.64s\" is not supported (tandem serves iSCSI only)",
				json_string_value(fabric));
	cfg_pop(c, mark);
	if (cfg_check_keys(c, o, target_keys, NULL) < 0 ||
	    cfg_get_str(c, o, "wwn", true, 0, t->wwn, sizeof(t->wwn), NULL) < 0)
		return -1;
	mark = cfg_push_key(c, "wwn");
	if (cfg_check_iscsi_name(c, t->wwn) < 0)
		return -1;
	for (unsigned j = 0; j < idx; j++)
		if (!strcmp(cfg->targets[j].wwn, t->wwn))
			return cfg_fail(c, "\"%s\" is already targets[%u]", t->wwn, j);
	cfg_pop(c, mark);

	if (cfg_get_array(c, o, "tpgs", &arr) < 0)
		return -1;
	t->tpgs = alloc_list(c, json_array_size(arr), sizeof(*t->tpgs), &nomem);
	if (nomem)
		return -1;
	t->ntpgs = (unsigned)json_array_size(arr);
	mark = cfg_push_key(c, "tpgs");
	json_array_foreach(arr, i, e) {
		size_t imark = cfg_push_index(c, i);

		if (parse_tpg(c, e, cfg, &t->tpgs[i], t->tpgs, (unsigned)i) < 0)
			return -1;
		cfg_pop(c, imark);
	}
	cfg_pop(c, mark);
	return 0;
}

int cfg_parse_targets(struct cfg_ctx *c, json_t *arr, struct tconfig *cfg)
{
	size_t mark = cfg_push_key(c, "targets"), i;
	json_t *o;
	bool nomem;

	cfg->targets = alloc_list(c, json_array_size(arr), sizeof(*cfg->targets),
				  &nomem);
	if (nomem)
		return -1;
	cfg->ntargets = (unsigned)json_array_size(arr);
	json_array_foreach(arr, i, o) {
		size_t imark = cfg_push_index(c, i);

		if (parse_target(c, o, cfg, &cfg->targets[i], (unsigned)i) < 0)
			return -1;
		cfg_pop(c, imark);
	}
	cfg_pop(c, mark);
	return 0;
}
