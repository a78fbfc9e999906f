/* /backstores/{block,fileio,ramdisk}: create and delete storage objects
 * with targetcli-fb's arguments. */
#include "ctl/cmd.h"
#include "ctl/update.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* A random (version 4) UUID: targetcli gives every new storage object one
 * as its unit serial, and the saved config carries it to the peer node. */
static int new_uuid(char *out, size_t len)
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
		 b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

static int check_name(struct cmd_ctx *c, const char *name)
{
	if (!*name || strlen(name) > 128 || strchr(name, '/') || strchr(name, ' '))
		return cmd_usage(c, "name '%s': 1..128 characters, no '/' or space", name);
	if (cfg_find_storage(c->cfg, name))
		return cmd_usage(c, "name '%s': a storage object with that name exists "
				 "(names are unique across plugins)", name);
	return CTL_OK;
}

static int set_bool_arg(struct cmd_ctx *c, json_t *so, const char *key, const char *val)
{
	bool b;

	if (!val)
		return CTL_OK;
	if (parse_bool(val, &b) < 0)
		return cmd_usage(c, "%s='%s' is not a boolean (true or false)", key, val);
	json_object_set_new(so, key, json_boolean(b));
	return CTL_OK;
}

static int set_wwn(struct cmd_ctx *c, json_t *so, const char *wwn, bool generate)
{
	char uuid[40];

	if (wwn) {
		if (!*wwn || strlen(wwn) > 64)
			return cmd_usage(c, "wwn='%s': 1..64 characters", wwn);
		json_object_set_new(so, "wwn", json_string(wwn));
	} else if (generate) {
		if (new_uuid(uuid, sizeof(uuid)) < 0)
			return cmd_usage(c, "cannot generate a wwn: no randomness");
		json_object_set_new(so, "wwn", json_string(uuid));
	}
	return CTL_OK;
}

static int add_so(struct cmd_ctx *c, json_t *so)
{
	json_t *arr = cfg_array(c->cfg, "storage_objects");

	if (!arr || json_array_append_new(arr, so) < 0)
		return cmd_usage(c, "out of memory");
	return CTL_OK;
}

static const char *const block_params[] = { "name", "dev", "readonly", "wwn", NULL };
static const char *const fileio_params[] = { "name", "file_or_dev", "size", "write_back",
					     "sparse", "wwn", NULL };
static const char *const ramdisk_params[] = { "name", "size", "nullio", "wwn", NULL };

static int create_block(struct cmd_ctx *c)
{
	const char *v[4];
	json_t *so;
	int rc;

	if ((rc = ARGS_BIND(c, block_params, 2, v)) || (rc = check_name(c, v[0])))
		return rc;
	if (v[1][0] != '/')
		return cmd_usage(c, "dev='%s' is not an absolute path", v[1]);
	so = json_pack("{s:s, s:s, s:s, s:b}", "plugin", "block", "name", v[0],
		       "dev", v[1], "write_back", 0);
	if ((rc = set_bool_arg(c, so, "readonly", v[2])) || (rc = set_wwn(c, so, v[3], true))) {
		json_decref(so);
		return rc;
	}
	cmd_msg(c, "Created block storage object %s using %s.", v[0], v[1]);
	return add_so(c, so);
}

/* sparse is accepted for targetcli compatibility: tandemd creates missing
 * files sparse. write_back defaults to false (tandem's data-safety rule),
 * where targetcli defaults to true. */
static int create_fileio(struct cmd_ctx *c)
{
	const char *v[6];
	long long size = 0;
	bool sparse;
	json_t *so;
	int rc;

	if ((rc = ARGS_BIND(c, fileio_params, 2, v)) || (rc = check_name(c, v[0])))
		return rc;
	if (v[1][0] != '/')
		return cmd_usage(c, "file_or_dev='%s' is not an absolute path", v[1]);
	if (v[2] && parse_size(v[2], &size) < 0)
		return cmd_usage(c, "size='%s' is not a size (bytes, or with K, M, G, T)", v[2]);
	if (v[4] && parse_bool(v[4], &sparse) < 0)
		return cmd_usage(c, "sparse='%s' is not a boolean (true or false)", v[4]);
	so = json_pack("{s:s, s:s, s:s, s:I, s:b}", "plugin", "fileio", "name", v[0],
		       "dev", v[1], "size", (json_int_t)size, "write_back", 0);
	if ((rc = set_bool_arg(c, so, "write_back", v[3])) || (rc = set_wwn(c, so, v[5], true))) {
		json_decref(so);
		return rc;
	}
	cmd_msg(c, "Created fileio %s with size %lld", v[0], size);
	return add_so(c, so);
}

static int create_ramdisk(struct cmd_ctx *c)
{
	const char *v[4];
	long long size;
	bool nullio = false;
	json_t *so;
	int rc;

	if ((rc = ARGS_BIND(c, ramdisk_params, 2, v)) || (rc = check_name(c, v[0])))
		return rc;
	if (parse_size(v[1], &size) < 0 || size == 0)
		return cmd_usage(c, "size='%s' is not a size (bytes, or with K, M, G, T)", v[1]);
	if (v[2] && parse_bool(v[2], &nullio) < 0)
		return cmd_usage(c, "nullio='%s' is not a boolean (true or false)", v[2]);
	if (nullio)
		return cmd_usage(c, "nullio=true: tandem does not serve null I/O ramdisks");
	so = json_pack("{s:s, s:s, s:I}", "plugin", "ramdisk", "name", v[0],
		       "size", (json_int_t)size);
	if ((rc = set_wwn(c, so, v[3], false))) {
		json_decref(so);
		return rc;
	}
	cmd_msg(c, "Created ramdisk %s with size %s.", v[0], v[1]);
	return add_so(c, so);
}

static int bs_create(struct cmd_ctx *c)
{
	if (!strcmp(c->node.plugin, "block"))
		return create_block(c);
	if (!strcmp(c->node.plugin, "fileio"))
		return create_fileio(c);
	return create_ramdisk(c);
}

static const char *const delete_params[] = { "name", NULL };

/* As rtslib does: deleting a storage object removes the LUNs that export
 * it, and the mapped LUNs that pointed at those. */
static int bs_delete(struct cmd_ctx *c)
{
	json_t *arr = json_object_get(c->cfg, "storage_objects"), *so, *t, *tpg;
	char path[TREE_PATH_MAX];
	const char *v[1];
	size_t i, j, k;
	int rc;

	if ((rc = ARGS_BIND(c, delete_params, 1, v)))
		return rc;
	snprintf(path, sizeof(path), "/backstores/%s/%s", c->node.plugin, v[0]);
	so = tree_find_so(c->cfg, path);
	if (!so)
		return cmd_usage(c, "no storage object %s", path);
	json_array_foreach(json_object_get(c->cfg, "targets"), i, t) {
		json_array_foreach(json_object_get(t, "tpgs"), j, tpg) {
			json_t *luns = json_object_get(tpg, "luns"), *lun;
			for (k = json_array_size(luns); k-- > 0;) {
				lun = json_array_get(luns, k);
				if (tree_str(lun, "storage_object") &&
				    !strcmp(tree_str(lun, "storage_object"), path))
					edit_drop_lun(c, tpg, k);
			}
		}
	}
	json_array_foreach(arr, i, so) {
		char p[TREE_PATH_MAX];
		tree_so_path(so, p, sizeof(p));
		if (!strcmp(p, path)) {
			json_array_remove(arr, i);
			break;
		}
	}
	cmd_msg(c, "Deleted storage object %s.", v[0]);
	return CTL_OK;
}

static const char *const *create_params(const struct node *n)
{
	if (!strcmp(n->plugin, "block"))
		return block_params;
	return strcmp(n->plugin, "fileio") ? ramdisk_params : fileio_params;
}

const struct command cmds_backstore[] = {
	{ "create", KIND(NODE_PLUGIN), CMD_EDIT, bs_create, fileio_params,
	  "create name dev [readonly] [wwn]  (block)\n"
	  "create name file_or_dev [size] [write_back] [sparse] [wwn]  (fileio)\n"
	  "create name size [nullio] [wwn]  (ramdisk)", create_params },
	{ "delete", KIND(NODE_PLUGIN), CMD_EDIT, bs_delete, delete_params,
	  "delete name", NULL },
	{ 0 }
};
