/* The live configuration as a saveconfig.json document: the one it was
 * parsed from, with the values tandemd filled in written out (the unit
 * serial of a ramdisk, the NAA designator, INQUIRY identity, where PR state
 * lives, the attributes it acts on). config_parse() of the result gives
 * the same objects, which is what lets a client edit and apply it back. */
#include "daemon/config_dump.h"

#include <stdio.h>

static const char *const pr_store_name[] = {
	[SCSI_PR_STORE_NONE] = "none",
	[SCSI_PR_STORE_INTERNAL] = "internal",
	[SCSI_PR_STORE_EXTERNAL] = "external",
};

static json_t *member_object(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_object(v))
		return v;
	v = json_object();
	json_object_set_new(o, key, v);
	return v;
}

static void fill_storage(json_t *o, const struct cfg_storage *s)
{
	char naa[33];
	json_t *attrs = member_object(o, "attributes");

	for (int i = 0; i < 16; i++)
		snprintf(naa + 2 * i, 3, "%02x", s->lu.naa[i]);
	json_object_set_new(o, "wwn", json_string(s->wwn));
	json_object_set_new(o, "vendor_id", json_string(s->lu.vendor));
	json_object_set_new(o, "product_id", json_string(s->lu.product));
	json_object_set_new(o, "revision", json_string(s->lu.revision));
	json_object_set_new(o, "naa", json_string(naa));
	json_object_set_new(o, "pr_store", json_string(pr_store_name[s->lu.pr_store]));
	json_object_set_new(attrs, "block_size", json_integer(s->bs.block_size));
	json_object_set_new(attrs, "emulate_tpu", json_integer(s->lu.emulate_tpu));
	json_object_set_new(attrs, "emulate_tpws", json_integer(s->lu.emulate_tpws));
	json_object_set_new(attrs, "emulate_sanitize", json_integer(s->lu.emulate_sanitize));
	json_object_set_new(attrs, "emulate_write_cache",
			    json_integer(s->bs.write_back));
}

static void fill_tpg(json_t *o, const struct cfg_tpg *t)
{
	json_t *attrs = member_object(o, "attributes");

	json_object_set_new(o, "enable", json_boolean(t->enable));
	json_object_set_new(attrs, "authentication", json_integer(t->authentication));
	json_object_set_new(attrs, "generate_node_acls",
			    json_integer(t->generate_node_acls));
	json_object_set_new(attrs, "demo_mode_write_protect",
			    json_integer(t->demo_mode_write_protect));
}

json_t *config_dump(const struct tconfig *cfg)
{
	json_t *doc = cfg->doc ? json_deep_copy(cfg->doc) : json_object();
	json_t *arr, *v;
	size_t i;

	if (!doc)
		return NULL;
	/* The parser accepted the document, so its shape is known: arrays
	 * in the order of cfg's. */
	arr = json_object_get(doc, "storage_objects");
	json_array_foreach(arr, i, v)
		if (i < cfg->nstorage)
			fill_storage(v, &cfg->storage[i]);
	arr = json_object_get(doc, "targets");
	json_array_foreach(arr, i, v) {
		json_t *tpgs = json_object_get(v, "tpgs"), *g;
		size_t j;

		if (i >= cfg->ntargets)
			break;
		json_array_foreach(tpgs, j, g)
			if (j < cfg->targets[i].ntpgs)
				fill_tpg(g, &cfg->targets[i].tpgs[j]);
	}
	if (!json_object_get(doc, "storage_objects"))
		json_object_set_new(doc, "storage_objects", json_array());
	if (!json_object_get(doc, "targets"))
		json_object_set_new(doc, "targets", json_array());
	return doc;
}
