/* Tab completion for the shell: paths, the commands a node offers, group
 * and parameter names, and the objects a create or delete refers to. Pure
 * over the config, so the unit tests drive it without a terminal. */
#include "ctl/complete.h"

#include <stdlib.h>
#include <string.h>

#include "ctl/cmd.h"

struct cands {
	struct names *out;
	const char *prefix;	/* what the word must start with */
	const char *lead;	/* put before each name (a path's directory) */
	const char *trail;	/* put after it ("/" or "=") */
};

static void offer(struct cands *c, const char *name)
{
	size_t pl = strlen(c->prefix), ll = strlen(c->lead);

	/* The word is lead + partial name: compare past the lead. */
	if (strlen(name) + ll < pl || strncmp(c->prefix + ll, name, pl - ll))
		return;
	names_add(c->out, "%s%s%s", c->lead, name, c->trail);
}

static int offer_child(const struct node *n, void *ctx)
{
	offer(ctx, n->name);
	return 0;
}

static void complete_path(json_t *cfg, const char *cwd, const char *word, struct names *out)
{
	char base[TREE_PATH_MAX];
	const char *slash = strrchr(word, '/');
	struct cands c = { out, word, "", "/" };
	struct node n;
	char err[64];

	if (strlen(word) >= sizeof(base))
		return;
	snprintf(base, sizeof(base), "%.*s", slash ? (int)(slash - word + 1) : 0, word);
	c.lead = base;
	if (tree_resolve(cfg, cwd, *base ? base : ".", &n, err, sizeof(err)) == 0)
		tree_visit(cfg, &n, offer_child, &c);
	if (!strcmp(word, ".") || !strcmp(word, ".."))
		names_add(out, "%s/", word);
}

static void complete_commands(const struct node *n, const char *word, struct names *out)
{
	struct cands c = { out, word, "", " " };

	for (size_t t = 0; cmd_all[t]; t++)
		for (const struct command *cmd = cmd_all[t]; cmd->name; cmd++)
			if (cmd->kinds & (1u << n->kind))
				offer(&c, cmd->name);
}

static int offer_so_path(json_t *cfg, struct cands *c)
{
	json_t *so;
	size_t i;
	char p[TREE_PATH_MAX];

	json_array_foreach(json_object_get(cfg, "storage_objects"), i, so) {
		tree_so_path(so, p, sizeof(p));
		offer(c, p);
	}
	return 0;
}

/* What `delete` takes at each node: its children's names, as targetcli's
 * ui_complete_delete offers them. */
static void complete_delete(json_t *cfg, const struct node *n, const char *word,
			    struct names *out)
{
	struct cands c = { out, word, "", " " };
	struct node *ch;
	size_t cnt;

	if (tree_children(cfg, n, &ch, &cnt) < 0)
		return;
	for (size_t i = 0; i < cnt; i++) {
		const char *name = ch[i].name;
		char ip[TREE_NAME_MAX];
		if (n->kind == NODE_TARGET)
			name += strlen("tpg");
		else if (n->kind == NODE_ACL)
			name += strlen("mapped_lun");
		else if (n->kind == NODE_PORTALS) {
			snprintf(ip, sizeof(ip), "%s", tree_str(ch[i].portal, "ip_address"));
			name = ip;
		}
		offer(&c, name);
	}
	free(ch);
}

static bool given(char **words, size_t n, const char *param)
{
	size_t l = strlen(param);

	for (size_t i = 0; i < n; i++)
		if (!strncmp(words[i], param, l) && words[i][l] == '=')
			return true;
	return false;
}

static void complete_args(json_t *cfg, const char *cwd, const struct node *n,
			  const struct command *cmd, char **args, size_t nargs,
			  const char *word, struct names *out)
{
	const char *const *params = cmd_params(cmd, n);
	struct cands c = { out, word, "", "=" };
	struct names g = { 0 };

	if (!strcmp(cmd->name, "cd") || !strcmp(cmd->name, "ls")) {
		if (nargs == 0)
			complete_path(cfg, cwd, word, out);
		return;
	}
	if (!strcmp(cmd->name, "set") || !strcmp(cmd->name, "get")) {
		if (nargs == 0) {
			c.trail = " ";
			group_list_for(n->kind, &g);
		} else {
			if (!strcmp(cmd->name, "get"))
				c.trail = " ";
			group_names(n, args[0], &g);
		}
		for (size_t i = 0; i < g.n; i++)
			offer(&c, g.v[i]);
		names_free(&g);
		return;
	}
	if (!strcmp(cmd->name, "delete") && nargs == 0) {
		complete_delete(cfg, n, word, out);
		return;
	}
	if (!strcmp(cmd->name, "create") && nargs == 0 &&
	    (n->kind == NODE_LUNS)) {
		c.trail = " ";
		offer_so_path(cfg, &c);
	}
	if (!strcmp(cmd->name, "create") && nargs == 1 && n->kind == NODE_ACL) {
		c.trail = " ";
		offer_so_path(cfg, &c);
	}
	if (!strcmp(cmd->name, "restoreconfig") && nargs == 1) {
		c.trail = " ";
		offer(&c, "clear_existing");
	}
	c.trail = "=";
	for (size_t i = 0; params && params[i]; i++)
		if (!given(args, nargs, params[i]))
			offer(&c, params[i]);
}

static bool is_path(const char *w)
{
	return w[0] == '/' || w[0] == '.';
}

int complete_line(json_t *cfg, const char *cwd, const char *line, size_t point,
		  struct names *out)
{
	char buf[1024], cur[1024], *words[64], *save = NULL, *tok;
	size_t nw = 0, ci = 0, ws = point;
	const struct command *cmd;
	struct node n;
	char err[64];

	if (point >= sizeof(buf) || point > strlen(line))
		return -1;
	/* The word being completed starts after the last blank. */
	while (ws > 0 && line[ws - 1] != ' ' && line[ws - 1] != '\t')
		ws--;
	memcpy(buf, line, ws);
	buf[ws] = '\0';
	snprintf(cur, sizeof(cur), "%.*s", (int)(point - ws), line + ws);
	for (tok = strtok_r(buf, " \t", &save); tok && nw < 64; tok = strtok_r(NULL, " \t", &save))
		words[nw++] = tok;

	if (tree_resolve(cfg, cwd, ".", &n, err, sizeof(err)) < 0)
		return -1;
	if (nw > 0 && is_path(words[0])) {
		if (tree_resolve(cfg, cwd, words[0], &n, err, sizeof(err)) < 0)
			return 0;
		ci = 1;
	}
	if (nw == ci) {
		if (nw == 0 && is_path(cur)) {
			complete_path(cfg, cwd, cur, out);
		} else {
			complete_commands(&n, cur, out);
			if (nw == 0 && *cur)
				complete_path(cfg, cwd, cur, out);
		}
	} else if ((cmd = cmd_find(words[ci], n.kind))) {
		complete_args(cfg, n.path, &n, cmd, words + ci + 1, nw - ci - 1, cur, out);
	}
	names_sort(out);
	return 0;
}
