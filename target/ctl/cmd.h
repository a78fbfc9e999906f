/* tandemctl's commands: what each node kind offers, how arguments are
 * bound (targetcli style: positional or key=value), and the exit codes. */
#ifndef TANDEM_CTL_CMD_H
#define TANDEM_CTL_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "ctl/tree.h"

enum ctl_rc {
	CTL_OK = 0,
	CTL_REFUSED = 1,	/* the daemon said no; its message on stderr */
	CTL_USAGE = 2,		/* bad command or argument, named */
	CTL_UNREACHABLE = 3,	/* no daemon on the socket */
};

#define CTL_ERR_MAX 1024

struct ctl_session;

/* One command being run. An edit command changes cfg (a private copy of
 * the live config) and adds the lines it wants printed to msgs. */
struct cmd_ctx {
	struct ctl_session *sess;
	json_t *cfg;
	struct node node;	/* where the command runs */
	const char *cmd;
	int argc;
	char **argv;
	bool json;		/* --json: machine output */
	struct names msgs;
	char err[CTL_ERR_MAX];
	char cwd[TREE_PATH_MAX];	/* the shell's; cd changes it */
	bool quit;
	/* The edit replaced cfg with a document from elsewhere: tandemd
	 * skips (and lists) what it cannot serve instead of refusing. */
	bool imported;
};

enum cmd_type {
	CMD_EDIT,	/* edits the config, then apply_config */
	CMD_READ,	/* reads the config (and maybe the daemon) */
	CMD_LOCAL,	/* needs no daemon */
};

/* Where a command exists: a bit per enum node_kind. */
#define KIND(k) (1u << (k))
#define KIND_ANY (~0u)

struct command {
	const char *name;
	unsigned kinds;			/* bit per enum node_kind */
	enum cmd_type type;
	int (*run)(struct cmd_ctx *c);	/* enum ctl_rc; c->err says why */
	const char *const *params;	/* names, for key=value and completion */
	const char *synopsis;
	/* When the names depend on the node (a plugin's create). */
	const char *const *(*params_fn)(const struct node *n);
};

const char *const *cmd_params(const struct command *cmd, const struct node *n);

/* The command NAME where kind K is, or NULL. */
const struct command *cmd_find(const char *name, enum node_kind k);
/* Every command, for help and completion. */
extern const struct command *const cmd_all[];

/* Binds argv to params: positional in order, or key=value by name.
 * vals[i] is NULL when params[i] was not given; the first `required` must
 * be. CTL_USAGE with c->err naming the offending argument. nvals is the
 * room in vals, checked against the number of params. */
int args_bind(struct cmd_ctx *c, const char *const *params, size_t required,
	      const char **vals, size_t nvals);
#define ARGS_BIND(c, params, required, v) \
	args_bind(c, params, required, v, sizeof(v) / sizeof((v)[0]))
int cmd_usage(struct cmd_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int cmd_msg(struct cmd_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Removes LUN number `pos` of tpg's luns array and every mapped LUN
 * that pointed at it. */
void edit_drop_lun(struct cmd_ctx *c, json_t *tpg, size_t pos);

/* The groups of set/get (cmd_group.c): their names at a node kind, the
 * names a group knows (LIO's), and those a node has (known + present). */
const char *const *group_known(enum node_kind k, const char *group);
int group_list_for(enum node_kind k, struct names *out);
int group_names(const struct node *n, const char *group, struct names *out);

/* Values as targetcli takes them. */
int parse_bool(const char *s, bool *out);
int parse_size(const char *s, long long *out);	/* 10G, 512M, 4096 */
int parse_uint(const char *s, long long max, long long *out);

/* The command tables of the node kinds (cmd_backstore.c, cmd_iscsi.c,
 * cmd_group.c, cmd_tree.c, cmd_config.c). */
extern const struct command cmds_backstore[], cmds_iscsi[], cmds_group[],
	cmds_tree[], cmds_config[];

#endif
