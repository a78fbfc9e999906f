/* The target, its one TPG, portals, ACLs and CHAP credentials in
 * saveconfig.json layout (docs/configuration.md). */
#include "target_config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctlops.h"
#include "netaddr.h"
#include "ocf.h"

/* The TPG parameters tandemd knows (docs/configuration.md); a name
 * outside them is a typo the daemon would refuse anyway. */
static const char *const known_params[] = {
	"AuthMethod", "HeaderDigest", "DataDigest", "MaxConnections", "InitialR2T",
	"ImmediateData", "MaxRecvDataSegmentLength", "MaxXmitDataSegmentLength",
	"MaxBurstLength", "FirstBurstLength", "DefaultTime2Wait", "DefaultTime2Retain",
	"MaxOutstandingR2T", "DataPDUInOrder", "DataSequenceInOrder", "ErrorRecoveryLevel",
	"TargetAlias", "OFMarker", "IFMarker", "OFMarkInt", "IFMarkInt",
};

/* iqn.YYYY-MM.reversed.domain[:anything], eui. + 16 hex, naa. + 16 or
 * 32 hex (RFC 3720 3.2.6.3); lower case, at most 223 bytes. */
int tcfg_check_iqn(const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (n > 223)
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)v[i]) || isdigit((unsigned char)v[i]) ||
		      strchr(".-:", v[i])))
			goto bad;
	if (!strncmp(v, "iqn.", 4)) {
		if (n < 13 || !isdigit((unsigned char)v[4]) || !isdigit((unsigned char)v[7]) ||
		    v[8] != '-' || !isdigit((unsigned char)v[9]) || !isdigit((unsigned char)v[10]) ||
		    v[11] != '.' || !islower((unsigned char)v[12]))
			goto bad;
		return 0;
	}
	if (!strncmp(v, "eui.", 4) && n == 20 && strspn(v + 4, "0123456789abcdef") == 16)
		return 0;
	if (!strncmp(v, "naa.", 4) && (n == 20 || n == 36) &&
	    strspn(v + 4, "0123456789abcdef") == n - 4)
		return 0;
bad:
	snprintf(err, errlen, "\"%.64s\" is not an iSCSI name (iqn.YYYY-MM.domain[:name], "
		 "eui.+16 hex, naa.+16/32 hex; lower case, at most 223 bytes)", v);
	return -1;
}

/* "IP:PORT", "[IP6]:PORT", or a bare address (port 3260). */
static int parse_portal(const char *s, size_t n, struct netaddr *a, unsigned *port,
			char *err, size_t errlen)
{
	char tmp[96], *colon;

	if (n >= sizeof(tmp)) {
		snprintf(err, errlen, "portal \"%.*s\" is too long", (int)(n > 64 ? 64 : n), s);
		return -1;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*port = 3260;
	colon = strrchr(tmp, ':');
	if (colon && (tmp[0] == '[' ? colon[-1] == ']' : strchr(tmp, ':') == colon)) {
		char *end;
		unsigned long p = strtoul(colon + 1, &end, 10);

		if (*end || end == colon + 1 || p == 0 || p > 65535) {
			snprintf(err, errlen, "portal \"%s\": bad port", tmp);
			return -1;
		}
		*port = (unsigned)p;
		*colon = '\0';
	}
	memset(a, 0, sizeof(*a));
	/* Wildcards are what a portal may listen on, not a portal address. */
	if (!strcmp(tmp, "0.0.0.0") || !strcmp(tmp, "::") || !strcmp(tmp, "[::]")) {
		snprintf(a->text, sizeof(a->text), "%s", tmp[0] == '[' || tmp[0] == ':' ? "::" : "0.0.0.0");
		a->family = strchr(tmp, ':') ? AF_INET6 : AF_INET;
		return 0;
	}
	if (netaddr_parse(tmp, a, err, errlen) < 0)
		return -1;
	return 0;
}

int tcfg_check_portals(const char *v, char *err, size_t errlen)
{
	unsigned count = 0;

	for (const char *p = v; *p;) {
		size_t n = strcspn(p, " \t,");
		struct netaddr a;
		unsigned port;

		if (n) {
			if (parse_portal(p, n, &a, &port, err, errlen) < 0)
				return -1;
			count++;
		}
		p += n + (p[n] != '\0');
	}
	if (!count) {
		snprintf(err, errlen, "no portal given");
		return -1;
	}
	return 0;
}

int tcfg_check_initiators(const char *v, char *err, size_t errlen)
{
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, " \t,");
		char one[256];

		if (n) {
			if (n >= sizeof(one)) {
				snprintf(err, errlen, "an initiator name is longer than 223 bytes");
				return -1;
			}
			memcpy(one, p, n);
			one[n] = '\0';
			if (tcfg_check_iqn(one, err, errlen) < 0)
				return -1;
		}
		p += n + (p[n] != '\0');
	}
	return 0;
}

int tcfg_check_params(const char *v, char *err, size_t errlen)
{
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, " \t"), k = strcspn(p, "=");
		bool known = false;

		if (n) {
			if (k >= n || k == 0 || k + 1 == n) {
				snprintf(err, errlen, "\"%.*s\" is not name=value", (int)(n > 64 ? 64 : n), p);
				return -1;
			}
			for (size_t i = 0; i < sizeof(known_params) / sizeof(known_params[0]); i++)
				known = known || (strlen(known_params[i]) == k &&
						  !strncmp(known_params[i], p, k));
			if (!known) {
				snprintf(err, errlen, "unknown iSCSI parameter \"%.*s\"",
					 (int)(k > 64 ? 64 : k), p);
				return -1;
			}
		}
		p += n + (p[n] != '\0');
	}
	return 0;
}

int tcfg_check_chap(const struct target_want *w, char *err, size_t errlen)
{
	if (!w->in_user != !w->in_pass) {
		snprintf(err, errlen, "incoming_username and incoming_password go together");
		return -1;
	}
	if (!w->out_user != !w->out_pass) {
		snprintf(err, errlen, "outgoing_username and outgoing_password go together");
		return -1;
	}
	if (w->out_user && !w->in_user) {
		snprintf(err, errlen, "outgoing (mutual) CHAP needs incoming CHAP too");
		return -1;
	}
	if (w->out_pass && !strcmp(w->out_pass, w->in_pass)) {
		snprintf(err, errlen, "outgoing_password must differ from incoming_password "
			 "(RFC 7143 12.1.3)");
		return -1;
	}
	return 0;
}

static json_t *portals_json(const char *v)
{
	json_t *arr = json_array();
	char err[256];

	for (const char *p = v; *p;) {
		size_t n = strcspn(p, " \t,");
		struct netaddr a;
		unsigned port;

		if (n && parse_portal(p, n, &a, &port, err, sizeof(err)) == 0)
			json_array_append_new(arr, json_pack("{s:s,s:i}", "ip_address", a.text,
							     "port", (int)port));
		p += n + (p[n] != '\0');
	}
	return arr;
}

static void set_chap(json_t *o, const struct target_want *w)
{
	static const char *const keys[] = { "chap_userid", "chap_password", "chap_mutual_userid",
					    "chap_mutual_password" };
	const char *vals[] = { w->in_user, w->in_pass, w->out_user, w->out_pass };

	for (int i = 0; i < 4; i++) {
		if (vals[i])
			json_object_set_new(o, keys[i], json_string(vals[i]));
		else if (json_object_get(o, keys[i]))
			json_object_set_new(o, keys[i], json_string(""));
	}
}

static json_t *acls_json(const struct target_want *w, json_t *luns)
{
	json_t *acls = json_array(), *l;
	size_t i;

	for (const char *p = w->initiators ? w->initiators : ""; *p;) {
		size_t n = strcspn(p, " \t,");

		if (n) {
			json_t *acl = json_pack("{s:s%,s:[]}", "node_wwn", p, n, "mapped_luns");
			json_t *mapped = json_object_get(acl, "mapped_luns");

			json_array_foreach(luns, i, l) {
				json_t *idx = json_object_get(l, "index");

				json_array_append_new(mapped, json_pack("{s:O,s:O,s:b}", "index", idx,
									"tpg_lun", idx, "write_protect", 0));
			}
			if (w->in_user)
				set_chap(acl, w);
			json_array_append_new(acls, acl);
		}
		p += n + (p[n] != '\0');
	}
	return acls;
}

static void set_params(json_t *params, const char *v)
{
	for (const char *p = v ? v : ""; *p;) {
		size_t n = strcspn(p, " \t"), k = strcspn(p, "=");

		if (n && k < n) {
			char key[64];

			snprintf(key, sizeof(key), "%.*s", (int)(k < 63 ? k : 63), p);
			json_object_set_new(params, key, json_stringn(p + k + 1, n - k - 1));
		}
		p += n + (p[n] != '\0');
	}
}

static json_t *object_at(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(o, key, v);
	}
	return v;
}

/* The TPG as wanted, on top of the live one so that what tandemd filled
 * in (default attributes and parameters) stays as it is. */
static json_t *build_tpg(json_t *live, const struct target_want *w)
{
	json_t *tpg = live ? json_deep_copy(live) : json_object();
	json_t *luns = cfg_array(tpg, "luns"), *attrs;
	bool open_acl = !w->initiators;

	json_object_set_new(tpg, "tag", json_integer(w->tag));
	json_object_set_new(tpg, "enable", json_true());
	json_object_set_new(tpg, "portals", portals_json(w->portals));
	json_object_set_new(tpg, "node_acls", acls_json(w, luns));
	attrs = object_at(tpg, "attributes");
	json_object_set_new(attrs, "authentication", json_integer(w->in_user ? 1 : 0));
	json_object_set_new(attrs, "generate_node_acls", json_integer(open_acl));
	/* Without an ACL list every initiator may log in and write, as
	 * iSCSITarget does for an empty allowed_initiators. */
	json_object_set_new(attrs, "demo_mode_write_protect", json_integer(0));
	set_params(object_at(tpg, "parameters"), w->params);
	if (open_acl && w->in_user)
		set_chap(tpg, w);
	else
		set_chap(tpg, &(struct target_want){ 0 });
	return tpg;
}

int tcfg_upsert(json_t *cfg, void *arg, char *err, size_t errlen)
{
	const struct target_want *w = arg;
	json_t *t = cfg_find_target(cfg, w->iqn), *tpgs, *g, *keep = NULL, *tpg;
	size_t i;
	int changed;

	if (!t) {
		t = json_pack("{s:s,s:s,s:[]}", "fabric", "iscsi", "wwn", w->iqn, "tpgs");
		json_array_append_new(cfg_array(cfg, "targets"), t);
	}
	tpgs = cfg_array(t, "tpgs");
	/* The TPG with the tag, else the one there was (tpg_tag changed by a
	 * reload: its LUNs move along). */
	json_array_foreach(tpgs, i, g)
		if (json_integer_value(json_object_get(g, "tag")) == w->tag)
			keep = g;
	if (!keep)
		keep = json_array_get(tpgs, 0);
	tpg = build_tpg(keep, w);
	changed = !(keep && json_array_size(tpgs) == 1 && json_equal(keep, tpg));
	if (changed) {
		json_array_clear(tpgs);
		json_array_append(tpgs, tpg);
	}
	json_decref(tpg);
	return changed;
}

int tcfg_remove(json_t *cfg, void *arg, char *err, size_t errlen)
{
	json_t *targets = json_object_get(cfg, "targets"), *t;
	size_t i;

	json_array_foreach(targets, i, t) {
		const char *wwn = json_string_value(json_object_get(t, "wwn"));

		if (wwn && !strcasecmp(wwn, arg)) {
			json_array_remove(targets, i);
			return 1;
		}
	}
	return 0;
}

const char *tcfg_drift(json_t *live_tpg, const struct target_want *w, char *buf, size_t len)
{
	json_t *want = build_tpg(live_tpg, w);
	static const char *const keys[] = { "enable", "portals", "node_acls", "attributes",
					    "parameters", "chap_userid", "chap_mutual_userid" };
	const char *diff = NULL;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && !diff; i++) {
		json_t *a = json_object_get(live_tpg, keys[i]), *b = json_object_get(want, keys[i]);

		if ((a || b) && !json_equal(a, b)) {
			snprintf(buf, len, "the live TPG's %s differs from the resource's parameters",
				 keys[i]);
			diff = buf;
		}
	}
	json_decref(want);
	return diff;
}
