/* ls, cd, pwd, help, exit. ls draws the tree as targetcli's configshell
 * does: "o- NAME ....... [SUMMARY]" lines as wide as the terminal, "| "
 * margins for siblings still to come, children sorted by name. */
#include "ctl/cmd.h"
#include "ctl/update.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_WIDTH 80

static int console_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	long long n;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col)
		return ws.ws_col;
	if (cols && parse_uint(cols, 1000, &n) == 0 && n >= 40)
		return (int)n;
	return DEFAULT_WIDTH;
}

/* rtslib's bytes_to_human. */
static void human(long long size, char *out, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)size;

	if (size < 1024) {
		snprintf(out, len, "%lld bytes", size);
		return;
	}
	v /= 1024;
	for (size_t i = 0; i < 5; i++) {
		if (v < 1024 || i == 4) {
			snprintf(out, len, "%3.1f%s", v, unit[i]);
			return;
		}
		v /= 1024;
	}
}

static bool so_in_use(json_t *cfg, json_t *so)
{
	char path[TREE_PATH_MAX];
	json_t *t, *tpg, *lun;
	size_t i, j, k;

	tree_so_path(so, path, sizeof(path));
	json_array_foreach(json_object_get(cfg, "targets"), i, t)
		json_array_foreach(json_object_get(t, "tpgs"), j, tpg)
			json_array_foreach(json_object_get(tpg, "luns"), k, lun)
				if (tree_str(lun, "storage_object") &&
				    !strcmp(tree_str(lun, "storage_object"), path))
					return true;
	return false;
}

static size_t count(json_t *cfg, const struct node *n)
{
	struct node *ch;
	size_t cnt = 0;

	if (tree_children(cfg, n, &ch, &cnt) == 0)
		free(ch);
	return cnt;
}

/* A block device's size is not in the config, and a fileio "size" of 0
 * means the file's: ask the system, as rtslib reads it from sysfs. */
static long long so_size(json_t *so, const char *plugin)
{
	long long size = tree_int(so, "size", 0);
	const char *dev = tree_str(so, "dev");
	uint64_t bytes;
	struct stat st;
	int fd;

	if (size > 0 || !dev || !strcmp(plugin, "ramdisk"))
		return size;
	fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		size = st.st_size;
	else if (ioctl(fd, BLKGETSIZE64, &bytes) == 0)
		size = (long long)bytes;
	close(fd);
	return size;
}

static void so_summary(json_t *cfg, json_t *so, const char *plugin, char *out, size_t len)
{
	char size[32];
	const char *status = so_in_use(cfg, so) ? "activated" : "deactivated";

	human(so_size(so, plugin), size, sizeof(size));
	if (!strcmp(plugin, "ramdisk"))
		snprintf(out, len, "(%s) %s", size, status);
	else
		snprintf(out, len, "%s (%s) %s %s", tree_str(so, "dev") ? tree_str(so, "dev") : "",
			 size, tree_int(so, "write_back", 0) ? "write-back" : "write-thru", status);
}

static void tpg_summary(json_t *tpg, char *out, size_t len)
{
	json_t *a = json_object_get(tpg, "attributes");
	bool gen = tree_int(a, "generate_node_acls", 0), auth = tree_int(a, "authentication", 0);

	if (!tree_int(tpg, "enable", 1)) {
		snprintf(out, len, "disabled");
		return;
	}
	if (!auth)
		snprintf(out, len, "%s, no-auth", gen ? "gen-acls" : "no-gen-acls");
	else if (!gen)
		snprintf(out, len, "no-gen-acls, auth per-acl");
	else
		snprintf(out, len, "gen-acls, tpg-auth, %s",
			 tree_str(tpg, "chap_mutual_userid") ? "mutual auth" : "1-way auth");
}

static void summary(json_t *cfg, const struct node *n, char *out, size_t len)
{
	json_t *so, *lun;
	char p[TREE_PATH_MAX];
	bool auth;

	switch (n->kind) {
	case NODE_ROOT:
	case NODE_BACKSTORES:
		snprintf(out, len, "...");
		break;
	case NODE_PLUGIN:
		snprintf(out, len, "Storage Objects: %zu", count(cfg, n));
		break;
	case NODE_SO:
		so_summary(cfg, n->so, n->plugin, out, len);
		break;
	case NODE_ALUA:
		snprintf(out, len, "ALUA Groups: 1");
		break;
	case NODE_ALUA_GROUP:
		snprintf(out, len, "ALUA state: Active/optimized");
		break;
	case NODE_ISCSI:
		snprintf(out, len, "Targets: %zu", count(cfg, n));
		break;
	case NODE_TARGET:
		snprintf(out, len, "TPGs: %zu", count(cfg, n));
		break;
	case NODE_TPG:
		tpg_summary(n->tpg, out, len);
		break;
	case NODE_LUNS:
		snprintf(out, len, "LUNs: %zu", count(cfg, n));
		break;
	case NODE_ACLS:
		snprintf(out, len, "ACLs: %zu", count(cfg, n));
		break;
	case NODE_PORTALS:
		snprintf(out, len, "Portals: %zu", count(cfg, n));
		break;
	case NODE_LUN:
		so = tree_find_so(cfg, tree_str(n->lun, "storage_object") ?
				  tree_str(n->lun, "storage_object") : "");
		if (!so) {
			snprintf(out, len, "BROKEN STORAGE LINK");
			break;
		}
		tree_so_path(so, p, sizeof(p));
		snprintf(out, len, "%s%s%s%s (%s)", p + strlen("/backstores/"),
			 tree_str(so, "dev") ? " (" : "", tree_str(so, "dev") ? tree_str(so, "dev") : "",
			 tree_str(so, "dev") ? ")" : "",
			 tree_str(n->lun, "alua_tg_pt_gp_name") ?
			 tree_str(n->lun, "alua_tg_pt_gp_name") : "default_tg_pt_gp");
		break;
	case NODE_ACL:
		auth = tree_int(json_object_get(n->tpg, "attributes"), "authentication", 0);
		if (auth && tree_int(json_object_get(n->tpg, "attributes"), "generate_node_acls", 0))
			snprintf(out, len, "auth via tpg, Mapped LUNs: %zu", count(cfg, n));
		else if (auth)
			snprintf(out, len, "%s, Mapped LUNs: %zu",
				 tree_str(n->acl, "chap_mutual_userid") ? "mutual auth" : "1-way auth",
				 count(cfg, n));
		else
			snprintf(out, len, "Mapped LUNs: %zu", count(cfg, n));
		break;
	case NODE_MAPPED_LUN:
		lun = cfg_find_int(json_object_get(n->tpg, "luns"), "index",
				   tree_int(n->mlun, "tpg_lun", -1), NULL);
		so = lun ? tree_find_so(cfg, tree_str(lun, "storage_object") ?
					tree_str(lun, "storage_object") : "") : NULL;
		if (!so) {
			snprintf(out, len, "BROKEN LUN LINK");
			break;
		}
		tree_so_path(so, p, sizeof(p));
		snprintf(out, len, "lun%lld %s (%s)", (long long)tree_int(lun, "index", 0),
			 p + strlen("/backstores/"),
			 tree_int(n->mlun, "write_protect", 0) ? "ro" : "rw");
		break;
	case NODE_PORTAL:
		snprintf(out, len, "%s", tree_int(n->portal, "iser", 0) ? "iser" :
			 tree_int(n->portal, "offload", 0) ? "offload" : "OK");
		break;
	}
}

struct draw {
	json_t *cfg;
	int width;
	/* Per depth: '|' when that level's node has siblings still to
	 * come; depth 0 (where ls started) never does. */
	char margin[512];
	size_t depth;
	long max_depth;		/* -1: all */
	json_t *json;		/* --json: the tree as objects */
};

static void draw(struct draw *d, const struct node *n, json_t *jparent)
{
	char sum[TREE_PATH_MAX + 128];
	struct node *ch = NULL;
	size_t cnt = 0, i;
	int pad, mlen;
	json_t *jn = NULL;

	summary(d->cfg, n, sum, sizeof(sum));
	if (d->json) {
		jn = json_pack("{s:s, s:s, s:s, s:[]}", "name", n->name, "path", n->path,
			       "summary", sum, "children");
		json_array_append_new(jparent ? json_object_get(jparent, "children") : d->json, jn);
	} else {
		for (i = 0; i < d->depth; i++)
			printf("%c ", d->margin[i]);
		mlen = (int)(2 * d->depth) + 3;
		pad = d->width - 1 - ((int)strlen(sum) + 3) - mlen - (int)strlen(n->name);
		printf("o- %s %.*s [%s]\n", n->name, pad > 0 ? pad : 0,
		       "................................................................"
		       "................................................................"
		       "................................................................"
		       "................................................................", sum);
	}
	if (d->max_depth >= 0 && (long)d->depth >= d->max_depth)
		return;
	if (d->depth + 2 >= sizeof(d->margin) || tree_children(d->cfg, n, &ch, &cnt) < 0)
		return;
	for (i = 0; i < cnt; i++) {
		d->margin[d->depth + 1] = i + 1 < cnt ? '|' : ' ';
		d->depth++;
		draw(d, &ch[i], jn);
		d->depth--;
	}
	free(ch);
}

static const char *const ls_params[] = { "path", "depth", NULL };

static int cmd_ls(struct cmd_ctx *c)
{
	struct draw d = { .cfg = c->cfg, .width = console_width(), .max_depth = -1,
			  .margin = " " };
	const char *v[2];
	struct node n;
	long long depth;
	int rc;

	if ((rc = ARGS_BIND(c, ls_params, 0, v)))
		return rc;
	if (tree_resolve(c->cfg, c->node.path, v[0], &n, c->err, sizeof(c->err)) < 0)
		return CTL_USAGE;
	if (v[1]) {
		if (parse_uint(v[1], 64, &depth) < 0)
			return cmd_usage(c, "depth='%s' is not a number 0..64", v[1]);
		d.max_depth = depth ? depth : -1;
	}
	if (c->json)
		d.json = json_array();
	fflush(stdout);
	draw(&d, &n, NULL);
	if (d.json) {
		char *s = json_dumps(json_array_get(d.json, 0), JSON_INDENT(2));
		if (s)
			cmd_msg(c, "%s", s);
		free(s);
		json_decref(d.json);
	}
	return CTL_OK;
}

static const char *const cd_params[] = { "path", NULL };

static int cmd_cd(struct cmd_ctx *c)
{
	const char *v[1];
	struct node n;
	int rc;

	if ((rc = ARGS_BIND(c, cd_params, 0, v)))
		return rc;
	if (tree_resolve(c->cfg, c->node.path, v[0] ? v[0] : "/", &n, c->err, sizeof(c->err)) < 0)
		return CTL_USAGE;
	snprintf(c->cwd, sizeof(c->cwd), "%s", n.path);
	return CTL_OK;
}

static int cmd_pwd(struct cmd_ctx *c)
{
	int rc = args_bind(c, NULL, 0, NULL, 0);

	if (!rc)
		cmd_msg(c, "%s", c->cwd);
	return rc;
}

static int cmd_exit(struct cmd_ctx *c)
{
	int rc = args_bind(c, NULL, 0, NULL, 0);

	c->quit = !rc;
	return rc;
}

static const char *const kind_names[] = {
	[NODE_ROOT] = "/", [NODE_BACKSTORES] = "/backstores",
	[NODE_PLUGIN] = "/backstores/PLUGIN", [NODE_SO] = "/backstores/PLUGIN/NAME",
	[NODE_ALUA] = "/backstores/PLUGIN/NAME/alua", [NODE_ALUA_GROUP] = ".../alua/GROUP",
	[NODE_ISCSI] = "/iscsi", [NODE_TARGET] = "/iscsi/IQN", [NODE_TPG] = "/iscsi/IQN/tpgN",
	[NODE_LUNS] = "/iscsi/IQN/tpgN/luns", [NODE_LUN] = "/iscsi/IQN/tpgN/luns/lunN",
	[NODE_ACLS] = "/iscsi/IQN/tpgN/acls", [NODE_ACL] = "/iscsi/IQN/tpgN/acls/WWN",
	[NODE_MAPPED_LUN] = ".../acls/WWN/mapped_lunN",
	[NODE_PORTALS] = "/iscsi/IQN/tpgN/portals", [NODE_PORTAL] = ".../portals/IP:PORT",
};

static int cmd_help(struct cmd_ctx *c)
{
	int rc = args_bind(c, NULL, 0, NULL, 0);

	if (rc)
		return rc;
	cmd_msg(c, "usage: tandemctl [-s SOCKET] [--json] [PATH] COMMAND [ARGS...]");
	cmd_msg(c, "       tandemctl   (an interactive shell; tab completes)");
	for (size_t k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++) {
		bool head = false;
		for (size_t t = 0; cmd_all[t]; t++) {
			for (const struct command *cmd = cmd_all[t]; cmd->name; cmd++) {
				if (cmd->kinds == KIND_ANY || !(cmd->kinds & (1u << k)))
					continue;
				if (!head)
					cmd_msg(c, "%s", kind_names[k]);
				head = true;
				for (const char *s = cmd->synopsis, *e; s && *s; s = *e ? e + 1 : e) {
					e = strchr(s, '\n');
					if (!e)
						e = s + strlen(s);
					cmd_msg(c, "  %.*s", (int)(e - s), s);
				}
			}
		}
	}
	cmd_msg(c, "anywhere");
	for (size_t t = 0; cmd_all[t]; t++)
		for (const struct command *cmd = cmd_all[t]; cmd->name; cmd++)
			if (cmd->kinds == KIND_ANY)
				cmd_msg(c, "  %s", cmd->synopsis);
	cmd_msg(c, "exit codes: 0 ok, 1 tandemd refused, 2 bad command or argument, "
		"3 tandemd not reachable");
	return CTL_OK;
}

const struct command cmds_tree[] = {
	{ "ls", KIND_ANY, CMD_READ, cmd_ls, ls_params, "ls [path] [depth]", NULL },
	{ "cd", KIND_ANY, CMD_READ, cmd_cd, cd_params, "cd [path]", NULL },
	{ "pwd", KIND_ANY, CMD_LOCAL, cmd_pwd, NULL, "pwd", NULL },
	{ "help", KIND_ANY, CMD_LOCAL, cmd_help, NULL, "help", NULL },
	{ "exit", KIND_ANY, CMD_LOCAL, cmd_exit, NULL, "exit", NULL },
	{ 0 }
};
