/* OCF_RESKEY_* parameters: typed, bounded, checked, and described in the
 * meta-data from the same table, so the two can never disagree. */
#include "ocf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern char **environ;

#define DEFAULT_MAXLEN 1024

int ocf_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on", "y" };
	static const char *const no[] = { "0", "no", "false", "off", "n" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

const char *ocf_str(const struct ocf_ctx *c, unsigned idx)
{
	return c->str[idx];
}

long long ocf_num(const struct ocf_ctx *c, unsigned idx)
{
	return c->num[idx];
}

bool ocf_bool(const struct ocf_ctx *c, unsigned idx)
{
	return c->num[idx] != 0;
}

static bool printable(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int load_one(struct ocf_ctx *c, unsigned i)
{
	const struct ocf_param *p = &c->agent->params[i];
	size_t maxlen = p->maxlen ? p->maxlen : DEFAULT_MAXLEN;
	char key[128], err[512] = "";
	const char *v;
	bool b;

	snprintf(key, sizeof(key), "OCF_RESKEY_%s", p->name);
	v = getenv(key);
	c->set[i] = v && *v;
	/* An empty value is "unset", as in resource-agents' shell agents. */
	if (!c->set[i])
		v = p->def;
	if (!v) {
		if (p->required)
			return ocf_fail(OCF_ERR_CONFIGURED, "parameter %s is required", p->name);
		return 0;
	}
	if (strlen(v) > maxlen)
		return ocf_fail(OCF_ERR_CONFIGURED, "parameter %s: %zu characters, at most %zu",
				p->name, strlen(v), maxlen);
	if (!printable(v))
		return ocf_fail(OCF_ERR_CONFIGURED, "parameter %s: control characters", p->name);
	c->str[i] = v;
	switch (p->type) {
	case OCF_P_INTEGER: {
		char *end;
		long long n;

		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno || end == v || *end)
			return ocf_fail(OCF_ERR_CONFIGURED, "parameter %s: \"%.64s\" is not an integer",
					p->name, v);
		if (n < p->min || n > p->max)
			return ocf_fail(OCF_ERR_CONFIGURED, "parameter %s: %lld is outside %lld..%lld",
					p->name, n, p->min, p->max);
		c->num[i] = n;
		break;
	}
	case OCF_P_BOOLEAN:
		if (ocf_parse_bool(v, &b) < 0)
			return ocf_fail(OCF_ERR_CONFIGURED,
					"parameter %s: \"%.64s\" is not a boolean (true/false, yes/no, on/off, 1/0)",
					p->name, v);
		c->num[i] = b;
		break;
	case OCF_P_STRING:
		break;
	}
	if (p->check && p->check(v, err, sizeof(err)) < 0)
		return ocf_fail(OCF_ERR_CONFIGURED, "parameter %s: %s", p->name, err);
	return 0;
}

/* A parameter nobody defines is a typo in the CIB; saying so beats
 * ignoring it. Pacemaker's own (CRM_meta_*, crm_feature_set) pass. */
static int check_unknown(const struct ocf_ctx *c)
{
	for (char **e = environ; *e; e++) {
		const char *k = *e + strlen("OCF_RESKEY_");
		size_t n;
		bool known = false;

		if (strncmp(*e, "OCF_RESKEY_", strlen("OCF_RESKEY_")))
			continue;
		if (!strncmp(k, "CRM_meta_", 9) || !strncmp(k, "crm_", 4))
			continue;
		n = strcspn(k, "=");
		for (size_t i = 0; i < c->agent->nparams && !known; i++)
			known = strlen(c->agent->params[i].name) == n &&
				!strncmp(c->agent->params[i].name, k, n);
		if (!known)
			return ocf_fail(OCF_ERR_CONFIGURED, "unknown parameter %.*s (see meta-data)",
					(int)(n > 64 ? 64 : n), k);
	}
	return 0;
}

int ocf_params_load(struct ocf_ctx *c)
{
	int rc = check_unknown(c);

	for (unsigned i = 0; !rc && i < c->agent->nparams; i++)
		rc = load_one(c, i);
	return rc;
}

static void xml_text(const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", stdout); break;
		case '>': fputs("&gt;", stdout); break;
		case '&': fputs("&amp;", stdout); break;
		case '"': fputs("&quot;", stdout); break;
		default: putchar(*s);
		}
	}
}

static const char *type_name(enum ocf_ptype t)
{
	return t == OCF_P_INTEGER ? "integer" : t == OCF_P_BOOLEAN ? "boolean" : "string";
}

void ocf_meta_data(const struct ocf_agent *a)
{
	printf("<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n");
	printf("<resource-agent name=\"%s\" version=\"1.0\">\n<version>1.0</version>\n", a->name);
	printf("<longdesc lang=\"en\">\n");
	xml_text(a->longdesc);
	printf("\n</longdesc>\n<shortdesc lang=\"en\">");
	xml_text(a->shortdesc);
	printf("</shortdesc>\n<parameters>\n");
	for (size_t i = 0; i < a->nparams; i++) {
		const struct ocf_param *p = &a->params[i];

		printf("<parameter name=\"%s\" required=\"%d\" unique=\"%d\">\n<longdesc lang=\"en\">",
		       p->name, p->required, p->unique);
		xml_text(p->longdesc);
		printf("</longdesc>\n<shortdesc lang=\"en\">");
		xml_text(p->shortdesc);
		printf("</shortdesc>\n<content type=\"%s\"", type_name(p->type));
		if (p->def) {
			printf(" default=\"");
			xml_text(p->def);
			putchar('"');
		}
		printf("/>\n</parameter>\n");
	}
	printf("</parameters>\n<actions>\n");
	for (size_t i = 0; i < a->nactions; i++) {
		const struct ocf_action_def *d = &a->actions[i];

		printf("<action name=\"%s\" timeout=\"%us\"", d->name, d->timeout_s);
		if (d->interval_s)
			printf(" interval=\"%us\"", d->interval_s);
		if (d->depth >= 0)
			printf(" depth=\"%d\"", d->depth);
		printf("/>\n");
	}
	printf("</actions>\n</resource-agent>\n");
}
