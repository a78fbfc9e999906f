#include "daemon/apply_diff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/storage_live.h"

/* Arrays whose elements are whole objects a skip may drop. */
static bool droppable(const char *key, size_t len)
{
	static const char *const keys[] = {
		"storage_objects", "targets", "tpgs", "luns", "portals",
		"node_acls", "mapped_luns", "fabric_modules",
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i]) == len && !strncmp(keys[i], key, len))
			return true;
	return false;
}

/* Walks a config path ("targets[0].tpgs[1].luns[2].storage_object") and
 * removes the deepest droppable element on it; writes that element's path
 * into out. -1 if there is none. */
static int drop_element(json_t *doc, const char *path, char *out, size_t outlen)
{
	json_t *cur = doc, *arr = NULL;
	size_t drop_idx = 0, drop_end = 0;
	const char *p = path;

	while (*p && cur) {
		const char *k = p;
		while (*p && *p != '[' && *p != '.' && *p != ':')
			p++;
		size_t klen = (size_t)(p - k);
		if (klen) {
			char key[64];
			if (klen >= sizeof(key))
				return -1;
			memcpy(key, k, klen);
			key[klen] = '\0';
			cur = json_object_get(cur, key);
		}
		while (*p == '[' && cur) {
			char *end;
			unsigned long idx = strtoul(p + 1, &end, 10);
			if (*end != ']')
				return -1;
			if (klen && droppable(k, klen)) {
				arr = cur;
				drop_idx = idx;
				drop_end = (size_t)(end + 1 - path);
			}
			cur = json_array_get(cur, idx);
			p = end + 1;
		}
		if (*p == '.')
			p++;
		else
			break;
	}
	if (!arr || drop_end >= outlen)
		return -1;
	memcpy(out, path, drop_end);
	out[drop_end] = '\0';
	return json_array_remove(arr, drop_idx);
}

static bool refers_to_dropped(const char *msg)
{
	return !strncmp(msg, "no storage object", 17) ||
	       !strncmp(msg, "the TPG has no LUN", 18);
}

struct tconfig *apply_parse(json_t *doc, bool skip, json_t *refused,
			    char *err, size_t errlen)
{
	/* Each round drops one element, so the document bounds the rounds. */
	for (unsigned round = 0; round < 4096; round++) {
		char *text = json_dumps(doc, JSON_COMPACT);
		struct tconfig *cfg;
		char path[512];
		const char *msg;

		if (!text) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		cfg = config_parse(text, strlen(text), err, errlen);
		free(text);
		if (cfg || !skip)
			return cfg;
		msg = strstr(err, ": ");
		if (!msg)
			return NULL;
		msg += 2;
		if (!strstr(msg, "not supported") &&
		    !(json_array_size(refused) && refers_to_dropped(msg)))
			return NULL;
		if (drop_element(doc, err, path, sizeof(path)) < 0)
			return NULL;
		json_array_append_new(refused, json_pack("{s:s,s:s}", "path", path,
							 "reason", msg));
	}
	snprintf(err, errlen, "too many unsupported objects");
	return NULL;
}

struct places {
	char *buf;
	size_t len, used;
	unsigned n;
};

/* "IQN/tpgN/lunN" for each LUN that exports the object, comma separated. */
static void add_place(const struct cfg_target *t, const struct cfg_tpg *g,
		      const struct cfg_lun *l, void *arg)
{
	struct places *p = arg;
	size_t room = p->len - p->used;
	int w;

	if (!room)
		return;
	w = snprintf(p->buf + p->used, room, "%s%s/tpg%u/lun%llu",
		     p->n++ ? ", " : "", t->wwn, g->tag, (unsigned long long)l->index);
	if (w < 0 || (size_t)w >= room) {
		/* More LUNs than the line holds: say so rather than cut a name. */
		memcpy(p->buf + p->len - 4, "...", 4);
		p->used = p->len;
		return;
	}
	p->used += (size_t)w;
}

int apply_check_live(const struct tconfig *live, const struct tconfig *want,
		     char *err, size_t errlen)
{
	for (unsigned i = 0; i < want->nstorage; i++)
		for (unsigned j = 0; j < live->nstorage; j++) {
			const struct cfg_storage *s = &want->storage[i];
			char where[256] = "";
			struct places p = { where, sizeof(where), 0, 0 };
			const char *what, *why;

			if (strcmp(s->bs.name, live->storage[j].bs.name))
				continue;
			config_lun_foreach(live, j, add_place, &p);
			what = storage_fixed_change(&live->storage[j], s, &why);
			if (!what) {
				if (p.n && storage_check_exported(&live->storage[j], s, i, where,
								  err, errlen) < 0)
					return -1;
				continue;
			}
			if (p.n)
				snprintf(err, errlen, "storage_objects[%u].%s: cannot change while storage object \"%s\" is exported (%s): %s; remove its LUNs and the object, then add it back",
					 i, what, s->bs.name, where, why);
			else
				snprintf(err, errlen, "storage_objects[%u].%s: cannot change while storage object \"%s\" is open: %s; no LUN exports it, so delete it and add it back",
					 i, what, s->bs.name, why);
			return -1;
		}
	return 0;
}

static const struct cfg_tpg *find_tpg(const struct tconfig *c, const char *wwn,
				      uint16_t tag)
{
	for (unsigned i = 0; i < c->ntargets; i++)
		if (!strcmp(c->targets[i].wwn, wwn))
			for (unsigned j = 0; j < c->targets[i].ntpgs; j++)
				if (c->targets[i].tpgs[j].tag == tag)
					return &c->targets[i].tpgs[j];
	return NULL;
}

static bool has_target(const struct tconfig *c, const char *wwn)
{
	for (unsigned i = 0; i < c->ntargets; i++)
		if (!strcmp(c->targets[i].wwn, wwn))
			return true;
	return false;
}

static const struct cfg_lun *find_lun(const struct cfg_tpg *g, uint64_t index)
{
	for (unsigned i = 0; g && i < g->nluns; i++)
		if (g->luns[i].index == index)
			return &g->luns[i];
	return NULL;
}

static const struct cfg_acl *find_acl(const struct cfg_tpg *g, const char *wwn)
{
	for (unsigned i = 0; g && i < g->nacls; i++)
		if (!strcmp(g->acls[i].node_wwn, wwn))
			return &g->acls[i];
	return NULL;
}

static bool has_portal(const struct cfg_tpg *g, const struct cfg_portal *p)
{
	for (unsigned i = 0; g && i < g->nportals; i++)
		if (g->portals[i].port == p->port && !strcmp(g->portals[i].ip, p->ip))
			return true;
	return false;
}

static bool acl_same(const struct cfg_acl *a, const struct cfg_acl *b)
{
	if (memcmp(&a->auth, &b->auth, sizeof(a->auth)) || a->nmapped != b->nmapped)
		return false;
	for (unsigned i = 0; i < a->nmapped; i++)
		if (a->mapped[i].index != b->mapped[i].index ||
		    a->mapped[i].tpg_lun != b->mapped[i].tpg_lun ||
		    a->mapped[i].write_protect != b->mapped[i].write_protect)
			return false;
	return true;
}

static bool tpg_settings_same(const struct cfg_tpg *a, const struct cfg_tpg *b)
{
	return a->authentication == b->authentication &&
	       a->generate_node_acls == b->generate_node_acls &&
	       a->demo_mode_write_protect == b->demo_mode_write_protect &&
	       a->auth_none_allowed == b->auth_none_allowed &&
	       a->auth_chap_allowed == b->auth_chap_allowed &&
	       !strcmp(a->alias, b->alias) &&
	       !memcmp(&a->auth, &b->auth, sizeof(a->auth)) &&
	       !memcmp(&a->limits, &b->limits, sizeof(a->limits));
}

static void add(json_t *changes, unsigned *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add(json_t *changes, unsigned *n, const char *fmt, ...)
{
	char line[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_array_append_new(changes, json_string(line));
	(*n)++;
}

/* What changed inside one TPG present on both sides (lo → hi direction
 * given by `gone`: items of `from` missing in `to`). */
static void tpg_items(const struct tconfig *fc, const struct cfg_tpg *from,
		      const struct cfg_tpg *to, const char *tname, bool gone,
		      json_t *changes, unsigned *n)
{
	const char *verb = gone ? "removed" : "added";

	for (unsigned i = 0; i < from->nluns; i++) {
		const struct cfg_lun *o = find_lun(to, from->luns[i].index);
		const char *so = fc->storage[from->luns[i].storage].bs.name;
		if (!o)
			add(changes, n, "%s/tpg%u: LUN %llu (%s) %s", tname, from->tag,
			    (unsigned long long)from->luns[i].index, so, verb);
	}
	for (unsigned i = 0; i < from->nacls; i++)
		if (!find_acl(to, from->acls[i].node_wwn))
			add(changes, n, "%s/tpg%u: ACL %s %s", tname, from->tag,
			    from->acls[i].node_wwn, verb);
	for (unsigned i = 0; i < from->nportals; i++)
		if (!has_portal(to, &from->portals[i]))
			add(changes, n, "%s/tpg%u: portal %s:%u %s", tname, from->tag,
			    from->portals[i].ip, from->portals[i].port, verb);
}

static void tpg_changes(const struct tconfig *live, const struct tconfig *want,
			const struct cfg_tpg *a, const struct cfg_tpg *b,
			const char *tname, json_t *changes, unsigned *n)
{
	tpg_items(live, a, b, tname, true, changes, n);
	tpg_items(want, b, a, tname, false, changes, n);
	for (unsigned i = 0; i < a->nluns; i++) {
		const struct cfg_lun *o = find_lun(b, a->luns[i].index);
		if (o && strcmp(live->storage[a->luns[i].storage].bs.name,
				want->storage[o->storage].bs.name))
			add(changes, n, "%s/tpg%u: LUN %llu now maps %s", tname, a->tag,
			    (unsigned long long)o->index,
			    want->storage[o->storage].bs.name);
	}
	for (unsigned i = 0; i < a->nacls; i++) {
		const struct cfg_acl *o = find_acl(b, a->acls[i].node_wwn);
		if (o && !acl_same(&a->acls[i], o))
			add(changes, n, "%s/tpg%u: ACL %s changed", tname, a->tag,
			    o->node_wwn);
	}
	if (a->enable != b->enable)
		add(changes, n, "%s/tpg%u: %s", tname, a->tag,
		    b->enable ? "enabled" : "disabled");
	if (!tpg_settings_same(a, b))
		add(changes, n, "%s/tpg%u: attributes, parameters or CHAP changed",
		    tname, a->tag);
}

unsigned apply_describe(const struct tconfig *live, const struct tconfig *want,
			json_t *changes)
{
	unsigned n = 0;

	for (unsigned i = 0; i < live->nstorage; i++) {
		bool kept = false;
		for (unsigned j = 0; j < want->nstorage && !kept; j++)
			kept = !strcmp(live->storage[i].bs.name, want->storage[j].bs.name);
		if (!kept)
			add(changes, &n, "storage object %s removed", live->storage[i].bs.name);
	}
	for (unsigned j = 0; j < want->nstorage; j++) {
		bool had = false;
		for (unsigned i = 0; i < live->nstorage && !had; i++)
			had = !strcmp(live->storage[i].bs.name, want->storage[j].bs.name);
		if (!had)
			add(changes, &n, "storage object %s added", want->storage[j].bs.name);
	}
	for (unsigned i = 0; i < live->nstorage; i++)
		for (unsigned j = 0; j < want->nstorage; j++)
			if (!strcmp(live->storage[i].bs.name, want->storage[j].bs.name))
				n += storage_describe_live(&live->storage[i], &want->storage[j],
							   changes);
	for (unsigned i = 0; i < live->ntargets; i++) {
		const struct cfg_target *t = &live->targets[i];
		if (!has_target(want, t->wwn)) {
			add(changes, &n, "target %s removed", t->wwn);
			continue;
		}
		for (unsigned j = 0; j < t->ntpgs; j++) {
			const struct cfg_tpg *b = find_tpg(want, t->wwn, t->tpgs[j].tag);
			if (!b)
				add(changes, &n, "%s/tpg%u removed", t->wwn, t->tpgs[j].tag);
			else
				tpg_changes(live, want, &t->tpgs[j], b, t->wwn, changes, &n);
		}
	}
	for (unsigned i = 0; i < want->ntargets; i++) {
		const struct cfg_target *t = &want->targets[i];
		if (!has_target(live, t->wwn)) {
			add(changes, &n, "target %s added", t->wwn);
			continue;
		}
		for (unsigned j = 0; j < t->ntpgs; j++)
			if (!find_tpg(live, t->wwn, t->tpgs[j].tag))
				add(changes, &n, "%s/tpg%u added", t->wwn, t->tpgs[j].tag);
	}
	return n;
}
