/* The targetcli tree over a saveconfig.json document: every node of
 * /backstores and /iscsi is a view onto an object of the config, so that a
 * command edits the JSON that apply_config then sends back. */
#ifndef TANDEM_CTL_TREE_H
#define TANDEM_CTL_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define TREE_PATH_MAX 1024
#define TREE_NAME_MAX 256

enum node_kind {
	NODE_ROOT,
	NODE_BACKSTORES,
	NODE_PLUGIN,		/* /backstores/fileio */
	NODE_SO,		/* /backstores/fileio/disk0 */
	NODE_ALUA,		/* .../disk0/alua */
	NODE_ALUA_GROUP,	/* .../alua/default_tg_pt_gp */
	NODE_ISCSI,
	NODE_TARGET,
	NODE_TPG,
	NODE_LUNS,
	NODE_LUN,
	NODE_ACLS,
	NODE_ACL,
	NODE_MAPPED_LUN,
	NODE_PORTALS,
	NODE_PORTAL,
};

/* The json_t pointers are borrowed from the config the node was resolved
 * in; an edit of that config may invalidate them. */
struct node {
	enum node_kind kind;
	char name[TREE_NAME_MAX];
	char path[TREE_PATH_MAX];
	const char *plugin;	/* canonical: "block", "fileio", "ramdisk" */
	json_t *so, *target, *tpg, *lun, *acl, *mlun, *portal;
};

struct names {
	char **v;
	size_t n, cap;
};

int names_add(struct names *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void names_sort(struct names *l);
void names_free(struct names *l);

/* The plugins tandem serves, in tree order, and the canonical name of a
 * config "plugin" value (aliases iblock, rd_mcp); NULL when unsupported. */
extern const char *const tree_plugins[];
const char *tree_plugin_name(const char *plugin);

/* Resolves PATH (absolute, or relative to CWD; "." and ".." allowed) in
 * CFG. -1 with err naming the first component that does not exist. */
int tree_resolve(json_t *cfg, const char *cwd, const char *path,
		 struct node *out, char *err, size_t errlen);

/* Calls fn for every child of n, in no particular order; stops early when
 * fn returns non-zero and passes that value back. */
typedef int (*tree_visit_fn)(const struct node *child, void *ctx);
int tree_visit(json_t *cfg, const struct node *n, tree_visit_fn fn, void *ctx);

/* The children's nodes, sorted by name as targetcli sorts them. */
int tree_children(json_t *cfg, const struct node *n, struct node **out, size_t *count);

/* Helpers over the config's objects. */
json_int_t tree_int(json_t *obj, const char *key, json_int_t dflt);
const char *tree_str(json_t *obj, const char *key);
/* "/backstores/PLUGIN/NAME" of a storage object. */
void tree_so_path(json_t *so, char *out, size_t len);
json_t *tree_find_so(json_t *cfg, const char *path);

#endif
