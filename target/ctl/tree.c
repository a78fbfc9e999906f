/* Path resolution and child enumeration for the targetcli tree. Each node
 * kind knows its children from the config objects it points at. */
#include "ctl/tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const tree_plugins[] = { "block", "fileio", "ramdisk", NULL };

const char *tree_plugin_name(const char *plugin)
{
	if (!plugin)
		return NULL;
	if (!strcmp(plugin, "block") || !strcmp(plugin, "iblock"))
		return "block";
	if (!strcmp(plugin, "fileio"))
		return "fileio";
	if (!strcmp(plugin, "ramdisk") || !strcmp(plugin, "rd_mcp"))
		return "ramdisk";
	return NULL;
}

int names_add(struct names *l, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	l->v[l->n++] = s;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void names_sort(struct names *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

void names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct names){ 0 };
}

json_int_t tree_int(json_t *obj, const char *key, json_int_t dflt)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_string(v)) {
		char *end;
		long long n = strtoll(json_string_value(v), &end, 10);
		if (!*end && end != json_string_value(v))
			return n;
	}
	return dflt;
}

const char *tree_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

void tree_so_path(json_t *so, char *out, size_t len)
{
	const char *plugin = tree_plugin_name(tree_str(so, "plugin"));

	snprintf(out, len, "/backstores/%s/%s",
		 plugin ? plugin : tree_str(so, "plugin") ? tree_str(so, "plugin") : "?",
		 tree_str(so, "name") ? tree_str(so, "name") : "?");
}

json_t *tree_find_so(json_t *cfg, const char *path)
{
	json_t *so;
	size_t i;
	char p[TREE_PATH_MAX];

	json_array_foreach(json_object_get(cfg, "storage_objects"), i, so) {
		tree_so_path(so, p, sizeof(p));
		if (!strcmp(p, path))
			return so;
	}
	return NULL;
}

/* A child inherits its parent's pointers and extends its path. */
static struct node child_of(const struct node *p, enum node_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static struct node child_of(const struct node *p, enum node_kind kind, const char *fmt, ...)
{
	struct node c = *p;
	va_list ap;

	c.kind = kind;
	va_start(ap, fmt);
	vsnprintf(c.name, sizeof(c.name), fmt, ap);
	va_end(ap);
	/* A path too deep to hold is cut; such a node cannot be resolved. */
	if (snprintf(c.path, sizeof(c.path), "%s/%s", strcmp(p->path, "/") ? p->path : "",
		     c.name) >= (int)sizeof(c.path))
		c.path[sizeof(c.path) - 1] = '\0';
	return c;
}

static int visit_array(json_t *arr, const struct node *p, enum node_kind kind,
		       tree_visit_fn fn, void *ctx)
{
	json_t *o;
	size_t i;
	int rc;

	json_array_foreach(arr, i, o) {
		struct node c;
		switch (kind) {
		case NODE_TARGET:
			if (!tree_str(o, "wwn") || (tree_str(o, "fabric") &&
			    strcmp(tree_str(o, "fabric"), "iscsi")))
				continue;
			c = child_of(p, kind, "%s", tree_str(o, "wwn"));
			c.target = o;
			break;
		case NODE_TPG:
			c = child_of(p, kind, "tpg%lld", (long long)tree_int(o, "tag", 0));
			c.tpg = o;
			break;
		case NODE_LUN:
			c = child_of(p, kind, "lun%lld", (long long)tree_int(o, "index", 0));
			c.lun = o;
			break;
		case NODE_ACL:
			if (!tree_str(o, "node_wwn"))
				continue;
			c = child_of(p, kind, "%s", tree_str(o, "node_wwn"));
			c.acl = o;
			break;
		case NODE_MAPPED_LUN:
			c = child_of(p, kind, "mapped_lun%lld", (long long)tree_int(o, "index", 0));
			c.mlun = o;
			break;
		case NODE_PORTAL:
			c = child_of(p, kind, "%s:%lld", tree_str(o, "ip_address") ?
				     tree_str(o, "ip_address") : "?",
				     (long long)tree_int(o, "port", 3260));
			c.portal = o;
			break;
		default:
			return 0;
		}
		rc = fn(&c, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

int tree_visit(json_t *cfg, const struct node *n, tree_visit_fn fn, void *ctx)
{
	struct node c;
	json_t *so;
	size_t i;
	int rc;

	switch (n->kind) {
	case NODE_ROOT:
		c = child_of(n, NODE_BACKSTORES, "backstores");
		if ((rc = fn(&c, ctx)))
			return rc;
		c = child_of(n, NODE_ISCSI, "iscsi");
		return fn(&c, ctx);
	case NODE_BACKSTORES:
		for (i = 0; tree_plugins[i]; i++) {
			c = child_of(n, NODE_PLUGIN, "%s", tree_plugins[i]);
			c.plugin = tree_plugins[i];
			if ((rc = fn(&c, ctx)))
				return rc;
		}
		return 0;
	case NODE_PLUGIN:
		json_array_foreach(json_object_get(cfg, "storage_objects"), i, so) {
			const char *pl = tree_plugin_name(tree_str(so, "plugin"));
			if (!pl || strcmp(pl, n->plugin) || !tree_str(so, "name"))
				continue;
			c = child_of(n, NODE_SO, "%s", tree_str(so, "name"));
			c.so = so;
			if ((rc = fn(&c, ctx)))
				return rc;
		}
		return 0;
	case NODE_SO:
		c = child_of(n, NODE_ALUA, "alua");
		return fn(&c, ctx);
	case NODE_ALUA:
		c = child_of(n, NODE_ALUA_GROUP, "default_tg_pt_gp");
		return fn(&c, ctx);
	case NODE_ISCSI:
		return visit_array(json_object_get(cfg, "targets"), n, NODE_TARGET, fn, ctx);
	case NODE_TARGET:
		return visit_array(json_object_get(n->target, "tpgs"), n, NODE_TPG, fn, ctx);
	case NODE_TPG:
		c = child_of(n, NODE_ACLS, "acls");
		if ((rc = fn(&c, ctx)))
			return rc;
		c = child_of(n, NODE_LUNS, "luns");
		if ((rc = fn(&c, ctx)))
			return rc;
		c = child_of(n, NODE_PORTALS, "portals");
		return fn(&c, ctx);
	case NODE_LUNS:
		return visit_array(json_object_get(n->tpg, "luns"), n, NODE_LUN, fn, ctx);
	case NODE_ACLS:
		return visit_array(json_object_get(n->tpg, "node_acls"), n, NODE_ACL, fn, ctx);
	case NODE_ACL:
		return visit_array(json_object_get(n->acl, "mapped_luns"), n,
				   NODE_MAPPED_LUN, fn, ctx);
	case NODE_PORTALS:
		return visit_array(json_object_get(n->tpg, "portals"), n, NODE_PORTAL, fn, ctx);
	default:
		return 0;
	}
}

struct collect {
	struct node *v;
	size_t n, cap;
};

static int collect_cb(const struct node *c, void *ctx)
{
	struct collect *col = ctx;

	if (col->n == col->cap) {
		size_t cap = col->cap ? col->cap * 2 : 8;
		struct node *v = realloc(col->v, cap * sizeof(*v));
		if (!v)
			return -1;
		col->v = v;
		col->cap = cap;
	}
	col->v[col->n++] = *c;
	return 0;
}

static int cmp_node(const void *a, const void *b)
{
	return strcmp(((const struct node *)a)->name, ((const struct node *)b)->name);
}

int tree_children(json_t *cfg, const struct node *n, struct node **out, size_t *count)
{
	struct collect col = { 0 };

	if (tree_visit(cfg, n, collect_cb, &col) < 0) {
		free(col.v);
		return -1;
	}
	if (col.n)
		qsort(col.v, col.n, sizeof(*col.v), cmp_node);
	*out = col.v;
	*count = col.n;
	return 0;
}

struct find {
	const char *name;
	struct node *out;
};

static int find_cb(const struct node *c, void *ctx)
{
	struct find *f = ctx;

	if (strcmp(c->name, f->name))
		return 0;
	*f->out = *c;
	return 1;
}

int tree_resolve(json_t *cfg, const char *cwd, const char *path,
		 struct node *out, char *err, size_t errlen)
{
	char full[2 * TREE_PATH_MAX + 2], *comp[TREE_PATH_MAX / 2], *save = NULL, *tok;
	size_t depth = 0, i;
	struct node cur = { .kind = NODE_ROOT, .name = "/", .path = "/" };

	if (!path || !*path)
		path = ".";
	if (strlen(path) >= TREE_PATH_MAX || strlen(cwd) >= TREE_PATH_MAX) {
		snprintf(err, errlen, "path '%.64s...' is too long", path);
		return -1;
	}
	snprintf(full, sizeof(full), "%s/%s", path[0] == '/' ? "" : cwd, path);
	for (tok = strtok_r(full, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			if (depth)
				depth--;
			continue;
		}
		if (depth == sizeof(comp) / sizeof(comp[0])) {
			snprintf(err, errlen, "path '%s' has too many components", path);
			return -1;
		}
		comp[depth++] = tok;
	}
	for (i = 0; i < depth; i++) {
		struct node next;
		struct find f = { comp[i], &next };

		if (tree_visit(cfg, &cur, find_cb, &f) != 1) {
			snprintf(err, errlen, "no such path %s%s%s", cur.path,
				 strcmp(cur.path, "/") ? "/" : "", comp[i]);
			return -1;
		}
		cur = next;
	}
	*out = cur;
	return 0;
}
