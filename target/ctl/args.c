/* Argument binding and value parsing, as targetcli's configshell does it:
 * `create disk0 /dev/sdb` and `create name=disk0 dev=/dev/sdb` mean the
 * same; an unknown key or a missing value is named in the error. */
#include "ctl/cmd.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct command *const cmd_all[] = {
	cmds_tree, cmds_config, cmds_backstore, cmds_iscsi, cmds_group, NULL
};

const struct command *cmd_find(const char *name, enum node_kind k)
{
	for (size_t t = 0; cmd_all[t]; t++)
		for (const struct command *c = cmd_all[t]; c->name; c++)
			if (!strcmp(c->name, name) && (c->kinds & (1u << k)))
				return c;
	return NULL;
}

const char *const *cmd_params(const struct command *cmd, const struct node *n)
{
	return cmd->params_fn ? cmd->params_fn(n) : cmd->params;
}

int cmd_usage(struct cmd_ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, sizeof(c->err), "%s: ", c->cmd);
	if (n < 0 || (size_t)n >= sizeof(c->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(c->err + n, sizeof(c->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return CTL_USAGE;
}

int cmd_msg(struct cmd_ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	n = names_add(&c->msgs, "%s", s);
	free(s);
	return n;
}

static const char *params_list(const char *const *params, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; params && params[i] && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", params[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}

int args_bind(struct cmd_ctx *c, const char *const *params, size_t required,
	      const char **vals, size_t nvals)
{
	size_t np = 0, pos = 0, i;
	char list[512];

	while (params && params[np])
		np++;
	if (np > nvals)
		return cmd_usage(c, "internal error: %zu parameters, room for %zu", np, nvals);
	for (i = 0; i < np; i++)
		vals[i] = NULL;
	for (int a = 0; a < c->argc; a++) {
		const char *arg = c->argv[a], *eq = strchr(arg, '=');
		size_t k;

		if (eq) {
			for (k = 0; k < np; k++)
				if (strlen(params[k]) == (size_t)(eq - arg) &&
				    !strncmp(params[k], arg, (size_t)(eq - arg)))
					break;
			if (k == np)
				return cmd_usage(c, "unknown argument '%.*s' (takes %s)",
						 (int)(eq - arg), arg,
						 params_list(params, list, sizeof(list)));
			if (vals[k])
				return cmd_usage(c, "argument '%s' given twice", params[k]);
			vals[k] = eq + 1;
			continue;
		}
		while (pos < np && vals[pos])
			pos++;
		if (pos == np)
			return cmd_usage(c, "unexpected argument '%s' (takes %s)", arg,
					 np ? params_list(params, list, sizeof(list)) : "none");
		vals[pos++] = arg;
	}
	for (i = 0; i < required; i++)
		if (!vals[i])
			return cmd_usage(c, "missing argument '%s'", params[i]);
	return CTL_OK;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on", "enable", NULL };
	static const char *const no[] = { "0", "false", "no", "off", "disable", NULL };

	for (size_t i = 0; yes[i]; i++)
		if (!strcasecmp(s, yes[i]))
			return *out = true, 0;
	for (size_t i = 0; no[i]; i++)
		if (!strcasecmp(s, no[i]))
			return *out = false, 0;
	return -1;
}

int parse_uint(const char *s, long long max, long long *out)
{
	char *end;
	long long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* targetcli's human_to_bytes: B, k/K/kB/KB, m, g, t; powers of 1024. */
int parse_size(const char *s, long long *out)
{
	static const struct { const char *suffix; int shift; } units[] = {
		{ "", 0 }, { "b", 0 }, { "k", 10 }, { "kb", 10 }, { "m", 20 },
		{ "mb", 20 }, { "g", 30 }, { "gb", 30 }, { "t", 40 }, { "tb", 40 },
	};
	char *end;
	long long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix))
			continue;
		if (v > (LLONG_MAX >> units[i].shift))
			return -1;
		*out = v << units[i].shift;
		return 0;
	}
	return -1;
}
