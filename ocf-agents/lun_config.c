/* The LU's storage object and its LUN mappings in saveconfig.json layout
 * (docs/configuration.md). */
#include "lun_config.h"

#include <stdio.h>
#include <string.h>

#include "ctlops.h"
#include "ocf.h"

static json_t *so_json(const struct lun_want *w)
{
	json_t *so = json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:{s:i}}",
			       "plugin", w->plugin, "name", w->so_name, "dev", w->path,
			       "wwn", w->serial, "write_back", 0, "vendor_id", w->vendor,
			       "product_id", w->product, "attributes", "emulate_tpu", w->tpu);

	if (!strcmp(w->plugin, "block"))
		json_object_set_new(so, "readonly", json_boolean(w->readonly));
	if (w->naa[0])
		json_object_set_new(so, "naa", json_string(w->naa));
	/* A read-only LU keeps no reservations on disk; tandemd refuses a
	 * store for it. */
	if (w->pr_store_dev) {
		json_object_set_new(so, "pr_store", json_string("external"));
		json_object_set_new(so, "pr_store_dev", json_string(w->pr_store_dev));
	} else if (!w->readonly) {
		json_object_set_new(so, "pr_store", json_string("internal"));
	}
	return so;
}

/* The keys this agent sets, compared with the live object. */
static const char *so_differs(json_t *live, json_t *want)
{
	const char *key;
	json_t *v;

	json_object_foreach(want, key, v) {
		json_t *l = json_object_get(live, key);

		if (!strcmp(key, "attributes")) {
			if (!json_equal(json_object_get(l, "emulate_tpu"),
					json_object_get(v, "emulate_tpu")))
				return "attributes.emulate_tpu";
			continue;
		}
		if (!l || !json_equal(l, v))
			return key;
	}
	return NULL;
}

static bool same_so(json_t *lun, const struct lun_want *w)
{
	const char *s = json_string_value(json_object_get(lun, "storage_object"));

	return s && !strcmp(s, w->so_path);
}

static int map_in_tpg(json_t *tpg, const struct lun_want *w, char *err, size_t errlen)
{
	json_t *luns = cfg_array(tpg, "luns"), *l, *acl, *m;
	bool have = false;
	int changed = 0;
	size_t i, j;

	json_array_foreach(luns, i, l) {
		if (json_integer_value(json_object_get(l, "index")) != w->lun)
			continue;
		if (!same_so(l, w)) {
			snprintf(err, errlen, "LUN %lld of %s is already %s", w->lun, w->iqn,
				 json_string_value(json_object_get(l, "storage_object")));
			return -OCF_ERR_CONFIGURED;
		}
		have = true;
	}
	if (!have) {
		json_array_append_new(luns, json_pack("{s:I,s:s}", "index", (json_int_t)w->lun,
						      "storage_object", w->so_path));
		changed = 1;
	}
	json_array_foreach(cfg_array(tpg, "node_acls"), i, acl) {
		json_t *mapped = cfg_array(acl, "mapped_luns");
		bool found = false;

		json_array_foreach(mapped, j, m)
			found = found || json_integer_value(json_object_get(m, "tpg_lun")) == w->lun;
		if (!found) {
			json_array_append_new(mapped, json_pack("{s:I,s:I,s:b}",
				"index", (json_int_t)w->lun, "tpg_lun", (json_int_t)w->lun,
				"write_protect", w->readonly));
			changed = 1;
		}
	}
	return changed;
}

int lcfg_attach(json_t *cfg, void *arg, char *err, size_t errlen)
{
	const struct lun_want *w = arg;
	json_t *want = so_json(w), *so = cfg_find_storage(cfg, w->so_name), *t, *tpg;
	int changed = 0, rc;
	size_t i;

	if (!so) {
		json_array_append(cfg_array(cfg, "storage_objects"), want);
		changed = 1;
	} else if (so_differs(so, want)) {
		json_object_update(so, want);
		changed = 1;
	}
	json_decref(want);
	t = cfg_find_target(cfg, w->iqn);
	if (!t || !json_array_size(json_object_get(t, "tpgs"))) {
		snprintf(err, errlen, "tandemd serves no target %s here: ocf:tandem:target must "
			 "start first (order and colocation constraints)", w->iqn);
		return -OCF_ERR_GENERIC;
	}
	json_array_foreach(json_object_get(t, "tpgs"), i, tpg) {
		rc = map_in_tpg(tpg, w, err, errlen);
		if (rc < 0)
			return rc;
		changed |= rc;
	}
	return changed;
}

int lcfg_unmap(json_t *cfg, void *arg, char *err, size_t errlen)
{
	const struct lun_want *w = arg;
	json_t *t, *tpg, *luns, *l, *acl, *mapped, *m;
	size_t i, j, k, a;
	int changed = 0;

	json_array_foreach(json_object_get(cfg, "targets"), i, t) {
		json_array_foreach(json_object_get(t, "tpgs"), j, tpg) {
			luns = json_object_get(tpg, "luns");
			for (k = json_array_size(luns); k-- > 0;) {
				json_int_t idx;

				l = json_array_get(luns, k);
				if (!same_so(l, w))
					continue;
				idx = json_integer_value(json_object_get(l, "index"));
				json_array_foreach(json_object_get(tpg, "node_acls"), a, acl) {
					mapped = json_object_get(acl, "mapped_luns");
					for (size_t x = json_array_size(mapped); x-- > 0;) {
						m = json_array_get(mapped, x);
						if (json_integer_value(json_object_get(m, "tpg_lun")) == idx)
							json_array_remove(mapped, x);
					}
				}
				json_array_remove(luns, k);
				changed = 1;
			}
		}
	}
	return changed;
}

int lcfg_remove(json_t *cfg, void *arg, char *err, size_t errlen)
{
	const struct lun_want *w = arg;
	json_t *objs = json_object_get(cfg, "storage_objects"), *so;
	int changed = lcfg_unmap(cfg, arg, err, errlen);
	size_t i;

	json_array_foreach(objs, i, so) {
		const char *n = json_string_value(json_object_get(so, "name"));

		if (n && !strcmp(n, w->so_name)) {
			json_array_remove(objs, i);
			return 1;
		}
	}
	return changed;
}

bool lcfg_mapped(json_t *cfg, const struct lun_want *w)
{
	json_t *t = cfg_find_target(cfg, w->iqn), *tpg, *l;
	size_t i, j;

	json_array_foreach(t ? json_object_get(t, "tpgs") : NULL, i, tpg)
		json_array_foreach(json_object_get(tpg, "luns"), j, l)
			if (same_so(l, w) && json_integer_value(json_object_get(l, "index")) == w->lun)
				return true;
	return false;
}

const char *lcfg_drift(json_t *so, const struct lun_want *w, char *buf, size_t len)
{
	json_t *want = so_json(w);
	const char *key = so_differs(so, want);

	json_decref(want);
	if (!key)
		return NULL;
	snprintf(buf, len, "the live storage object %s differs from the parameters in %s",
		 w->so_name, key);
	return buf;
}
