/* "storage_objects": the backstores of a saveconfig.json, as rtslib-fb's
 * StorageObject.dump() writes them (rtslib/tcm.py), turned into a
 * bs_config and the identity of the LU over it.
 *
 * Keys by plugin (rtslib's own, then tandem's):
 *   all:     name, plugin, wwn, attributes, alua_tpgs
 *   block:   dev, readonly, write_back
 *   fileio:  dev, size, write_back, aio
 *   ramdisk: size, nullio
 *   legacy:  exists, buffered_mode (old rtslib dumps; rtslib's restore
 *            drops them too)
 *
 * tandem extensions, all optional. They exist because a LU's identity
 * (INQUIRY vendor/product/revision, VPD 80h serial, VPD 83h NAA) must be the
 * same on both nodes and across restarts, so it is written down rather than
 * derived from anything on the host:
 *   vendor_id  (<= 8 ASCII, default "TANDEM")
 *   product_id (<= 16 ASCII, default LIO's product for the plugin: "IBLOCK",
 *               "FILEIO", "RAMDISK-MCP", or with the LIO attribute
 *               emulate_model_alias=1 the first 15 bytes of the name, as
 *               LIO does)
 *   revision   (<= 4 ASCII, default "4.0", LIO's for all three)
 *   naa        (32 hex digits starting with 6: the VPD 83h NAA designator;
 *               default derived from wwn by LIO's rule, see
 *               cfg_naa_from_serial)
 * and where the LU's persistent reservations are kept
 * (docs/persistent-reservations.md):
 *   pr_store     "internal" (default for block and fileio: the last 1 MiB
 *                of the backstore, hidden from the initiator, so the LU is
 *                1 MiB smaller than its backstore), "external" (the first
 *                1 MiB of pr_store_dev) or "none" (memory only; the only
 *                choice, and the default, for ramdisk and readonly objects)
 *   pr_store_dev absolute path of the external store's block device or
 *                file (pr_store "external" only)
 * and the physical block size initiators are told (LIO has no such
 * attribute: it passes a block device's own through; the name is QEMU's
 * for the same property):
 *   physical_block_size  a power of two from the block size to 65536, e.g.
 *                4096 over 512-byte blocks for a 512e LU; default: a block
 *                device's own, else the block size */
#include "daemon/config_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define U32 4294967295LL

/* LIO's device attributes (sbc_attrib_attrs in target_core_configfs.c, all
 * kernels since 3.x, read-only ones included so a hand-copied value is not
 * refused), with the ranges LIO's store functions accept. tandem acts on
 * block_size, emulate_3pc, emulate_tpu, emulate_tpws, emulate_write_cache,
 * emulate_model_alias and its own emulate_sanitize (SANITIZE, off unless
 * set: it lets an initiator wipe the LU); the rest are accepted and
 * ignored. */
static const struct cfg_attr_def so_attrs[] = {
	{ "alua_support", 0, 1 },
	{ "atomic_alignment", 0, U32 },
	{ "atomic_granularity", 0, U32 },
	{ "atomic_max_boundary", 0, U32 },
	{ "atomic_max_len", 0, U32 },
	{ "atomic_max_with_boundary", 0, U32 },
	{ "atomic_supported", 0, 1 },
	{ "block_size", 512, 4096 },
	{ "emulate_3pc", 0, 1 },
	{ "emulate_caw", 0, 1 },
	{ "emulate_dpo", 0, 1 },
	{ "emulate_fua_read", 0, 1 },
	{ "emulate_fua_write", 0, 1 },
	{ "emulate_model_alias", 0, 1 },
	{ "emulate_pr", 0, 1 },
	{ "emulate_rest_reord", 0, 1 },
	{ "emulate_rsoc", 0, 1 },
	{ "emulate_sanitize", 0, 1 },
	{ "emulate_tas", 0, 1 },
	{ "emulate_tpu", 0, 1 },
	{ "emulate_tpws", 0, 1 },
	{ "emulate_ua_intlck_ctrl", 0, 2 },
	{ "emulate_write_cache", 0, 1 },
	{ "enforce_pr_isids", 0, 1 },
	{ "fabric_max_sectors", 0, U32 },	/* kernels before 4.2 */
	{ "force_pr_aptpl", 0, 1 },
	{ "hw_block_size", 0, U32 },
	{ "hw_max_sectors", 0, U32 },
	{ "hw_pi_prot_type", 0, 3 },
	{ "hw_queue_depth", 0, U32 },
	{ "is_nonrot", 0, 1 },
	{ "max_sectors", 0, U32 },		/* kernels before 3.19 */
	{ "max_unmap_block_desc_count", 0, U32 },
	{ "max_unmap_lba_count", 0, U32 },
	{ "max_write_same_len", 0, U32 },
	{ "optimal_sectors", 0, U32 },
	{ "pgr_support", 0, 1 },
	{ "pi_prot_format", 0, 1 },
	{ "pi_prot_type", 0, 3 },
	{ "pi_prot_verify", 0, 1 },
	{ "queue_depth", 0, U32 },
	{ "submit_type", 0, 2 },
	{ "unmap_granularity", 0, U32 },
	{ "unmap_granularity_alignment", 0, U32 },
	{ "unmap_zeroes_data", 0, 1 },
};

static const char *const so_common_keys[] = {
	"name", "plugin", "wwn", "attributes", "alua_tpgs",
	"vendor_id", "product_id", "revision", "naa", "pr_store", "pr_store_dev",
	"physical_block_size", "exists", "buffered_mode", NULL,
};
static const char *const so_block_keys[] = {
	"dev", "readonly", "write_back", NULL,
};
static const char *const so_fileio_keys[] = {
	"dev", "size", "write_back", "aio", NULL,
};
static const char *const so_ramdisk_keys[] = { "size", "nullio", NULL };

/* What rtslib's ALUATargetPortGroup.dump() writes (rtslib/alua.py). */
static const char *const alua_keys[] = {
	"name", "tg_pt_gp_id", "alua_access_state", "alua_access_status",
	"alua_write_metadata", "alua_access_type", "preferred",
	"nonop_delay_msecs", "trans_delay_msecs", "implicit_trans_secs",
	"alua_support_offline", "alua_support_standby",
	"alua_support_transitioning", "alua_support_active_nonoptimized",
	"alua_support_unavailable", "alua_support_active_optimized",
	"alua_support_lba_dependent", NULL,
};

static int parse_alua_tpgs(struct cfg_ctx *c, json_t *o)
{
	json_t *arr, *g, *v;
	size_t i, mark;
	const char *key;

	if (cfg_get_array(c, o, "alua_tpgs", &arr) < 0)
		return -1;
	mark = cfg_push_key(c, "alua_tpgs");
	json_array_foreach(arr, i, g) {
		size_t imark = cfg_push_index(c, i), kmark = c->plen;
		char name[64];

		if (cfg_expect_object(c, g) < 0 ||
		    cfg_check_keys(c, g, alua_keys, NULL) < 0 ||
		    cfg_get_str(c, g, "name", true, 0, name, sizeof(name), NULL) < 0)
			return -1;
		/* Only the group every LIO device has: tandem's ALUA is one
		 * target port group per TPG, and a custom group's states
		 * would silently stop meaning anything. */
		if (strcmp(name, "default_tg_pt_gp")) {
			cfg_push_key(c, "name");
			return cfg_fail(c, "ALUA target port group \"%s\" is not supported (tandem has only default_tg_pt_gp)",
					name);
		}
		json_object_foreach(g, key, v) {
			uint64_t n;

			if (!strcmp(key, "name") || json_is_null(v))
				continue;
			cfg_push_key(c, key);
			if (cfg_uint_value(c, v, 0, (uint64_t)U32, &n) < 0)
				return -1;
			cfg_pop(c, kmark);
		}
		cfg_pop(c, imark);
	}
	cfg_pop(c, mark);
	return 0;
}

static int copy_fixed(struct cfg_ctx *c, json_t *o, const char *key,
		      char *dst, size_t cap, const char *dflt)
{
	bool present;

	if (cfg_get_str(c, o, key, false, CFG_S_NONEMPTY | CFG_S_ASCII, dst,
			cap, &present) < 0)
		return -1;
	if (!present)
		snprintf(dst, cap, "%s", dflt);
	return 0;
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* A ramdisk holds nothing that outlives the daemon, so an identity derived
 * from its name alone is enough: stable across restarts and the same on both
 * nodes, and shaped like LIO's UUID serials so the NAA takes 25 digits. */
static void ramdisk_serial(const char *name, char *out, size_t cap)
{
	uint64_t a = fnv1a(fnv1a(0xcbf29ce484222325ULL, "tandem-ramdisk:"), name);
	uint64_t b = fnv1a(fnv1a(0x84222325cbf29ce4ULL, "tandem-ramdisk:"), name);

	snprintf(out, cap, "%08x-%04x-%04x-%04x-%012llx",
		 (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
		 (unsigned)a & 0xffff, (unsigned)(b >> 48),
		 (unsigned long long)(b & 0xffffffffffffULL));
}

static int parse_naa(struct cfg_ctx *c, json_t *o, struct cfg_storage *s,
		     bool *explicit)
{
	char hex[33];
	size_t mark;

	if (cfg_get_str(c, o, "naa", false, 0, hex, sizeof(hex), explicit) < 0)
		return -1;
	if (!*explicit) {
		cfg_naa_from_serial(s->lu.serial, s->lu.naa);
		return 0;
	}
	mark = cfg_push_key(c, "naa");
	if (strlen(hex) != 32 || strspn(hex, "0123456789abcdefABCDEF") != 32)
		return cfg_fail(c, "\"%s\" must be 32 hex digits", hex);
	if (hex[0] != '6')
		return cfg_fail(c, "\"%s\" must start with 6 (NAA IEEE Registered Extended, SPC-4 7.8.6.6.5)",
				hex);
	for (int i = 0; i < 16; i++) {
		unsigned byte;

		sscanf(hex + 2 * i, "%2x", &byte);
		s->lu.naa[i] = (uint8_t)byte;
	}
	cfg_pop(c, mark);
	return 0;
}

static int parse_dev(struct cfg_ctx *c, json_t *o, struct cfg_storage *s)
{
	size_t mark;

	if (cfg_get_str(c, o, "dev", true, CFG_S_NONEMPTY, s->bs.path,
			sizeof(s->bs.path), NULL) < 0)
		return -1;
	if (s->bs.path[0] != '/') {
		mark = cfg_push_key(c, "dev");
		cfg_fail(c, "\"%s\" must be an absolute path", s->bs.path);
		cfg_pop(c, mark);
		return -1;
	}
	return 0;
}

static int parse_size(struct cfg_ctx *c, json_t *o, struct cfg_storage *s,
		      bool required)
{
	uint64_t size = 0;
	size_t mark;

	/* off_t is signed: anything past INT64_MAX cannot be a file size. */
	if (cfg_get_uint(c, o, "size", required, required ? 1 : 0,
			 (uint64_t)INT64_MAX, &size, NULL) < 0)
		return -1;
	if (size % s->bs.block_size) {
		mark = cfg_push_key(c, "size");
		cfg_fail(c, "%llu is not a multiple of the block size %u",
			 (unsigned long long)size, s->bs.block_size);
		cfg_pop(c, mark);
		return -1;
	}
	s->bs.size = size;
	return 0;
}

static int parse_plugin(struct cfg_ctx *c, json_t *o, enum bs_kind *kind)
{
	json_t *v = json_object_get(o, "plugin");
	size_t mark = cfg_push_key(c, "plugin");
	const char *p;

	if (!v)
		return cfg_fail(c, "missing (required)");
	if (!json_is_string(v))
		return cfg_fail(c, "must be a string");
	p = json_string_value(v);
	/* "iblock" and "rd_mcp" are the configfs names rtslib also accepts
	 * on restore; a dump writes "block" and "ramdisk". */
	if (!strcmp(p, "block") || !strcmp(p, "iblock"))
		*kind = BS_BLOCK;
	else if (!strcmp(p, "fileio"))
		*kind = BS_FILEIO;
	else if (!strcmp(p, "ramdisk") || !strcmp(p, "rd_mcp"))
		*kind = BS_RAMDISK;
	else if (!strcmp(p, "pscsi"))
		return cfg_fail(c, "\"pscsi\" is not supported by tandem (pass-through SCSI needs the kernel)");
	else if (!strcmp(p, "user") || !strncmp(p, "user:", 5))
		return cfg_fail(c, "\"%.64s\" is not supported by tandem (TCMU user backstores need the kernel's target_core_user)",
				p);
	else
		return cfg_fail(c, "unknown plugin \"%.64s\" (tandem serves block, fileio and ramdisk)",
				p);
	cfg_pop(c, mark);
	return 0;
}

static int parse_identity(struct cfg_ctx *c, json_t *o, struct cfg_storage *s,
			  json_t *attrs, bool *naa_explicit)
{
	static const char *const lio_product[] = {
		[BS_RAMDISK] = "RAMDISK-MCP", [BS_FILEIO] = "FILEIO",
		[BS_BLOCK] = "IBLOCK",
	};
	char product[17];
	bool have_wwn;

	if (cfg_get_str(c, o, "wwn", false, CFG_S_NONEMPTY | CFG_S_ASCII,
			s->wwn, sizeof(s->wwn), &have_wwn) < 0)
		return -1;
	if (!have_wwn) {
		if (s->bs.kind != BS_RAMDISK) {
			cfg_push_key(c, "wwn");
			return cfg_fail(c, "missing: set the LU's unit serial (LIO keeps a UUID here); tandem does not generate one, because it would differ between the two nodes");
		}
		ramdisk_serial(s->bs.name, s->wwn, sizeof(s->wwn));
	}
	snprintf(s->lu.serial, sizeof(s->lu.serial), "%s", s->wwn);

	/* LIO's emulate_model_alias: INQUIRY product is the object's name,
	 * cut to 15 bytes as LIO's snprintf into 16 does. */
	if (cfg_attr(attrs, "emulate_model_alias", 0))
		snprintf(product, sizeof(product), "%.15s", s->bs.name);
	else
		snprintf(product, sizeof(product), "%s", lio_product[s->bs.kind]);
	if (copy_fixed(c, o, "vendor_id", s->lu.vendor, sizeof(s->lu.vendor), "TANDEM") < 0 ||
	    copy_fixed(c, o, "product_id", s->lu.product, sizeof(s->lu.product), product) < 0 ||
	    copy_fixed(c, o, "revision", s->lu.revision, sizeof(s->lu.revision), "4.0") < 0)
		return -1;
	return parse_naa(c, o, s, naa_explicit);
}

static int parse_pr_store(struct cfg_ctx *c, json_t *o, struct cfg_storage *s)
{
	char kind[16] = "";
	bool have_kind, have_dev;
	size_t mark;

	if (cfg_get_str(c, o, "pr_store", false, CFG_S_NONEMPTY, kind,
			sizeof(kind), &have_kind) < 0 ||
	    cfg_get_str(c, o, "pr_store_dev", false, CFG_S_NONEMPTY,
			s->lu.pr_store_dev, sizeof(s->lu.pr_store_dev), &have_dev) < 0)
		return -1;
	/* A ramdisk or a readonly object cannot keep anything durable, so
	 * their reservations live in memory. */
	bool volatile_so = s->bs.kind == BS_RAMDISK || s->bs.readonly;
	s->lu.pr_store = volatile_so ? SCSI_PR_STORE_NONE : SCSI_PR_STORE_INTERNAL;
	mark = cfg_push_key(c, "pr_store");
	if (have_kind) {
		if (!strcmp(kind, "none"))
			s->lu.pr_store = SCSI_PR_STORE_NONE;
		else if (!strcmp(kind, "internal"))
			s->lu.pr_store = SCSI_PR_STORE_INTERNAL;
		else if (!strcmp(kind, "external"))
			s->lu.pr_store = SCSI_PR_STORE_EXTERNAL;
		else
			return cfg_fail(c, "\"%s\" is not internal, external or none", kind);
	}
	if (volatile_so && s->lu.pr_store != SCSI_PR_STORE_NONE)
		return cfg_fail(c, "\"%s\" needs a writable fileio or block object; a %s keeps its reservations in memory (none)",
				kind, s->bs.kind == BS_RAMDISK ? "ramdisk" : "readonly object");
	cfg_pop(c, mark);
	mark = cfg_push_key(c, "pr_store_dev");
	if (s->lu.pr_store == SCSI_PR_STORE_EXTERNAL && !have_dev)
		return cfg_fail(c, "missing: pr_store \"external\" needs the store's device");
	if (have_dev && s->lu.pr_store != SCSI_PR_STORE_EXTERNAL)
		return cfg_fail(c, "given, but pr_store is not \"external\"");
	if (have_dev && s->lu.pr_store_dev[0] != '/')
		return cfg_fail(c, "\"%s\" must be an absolute path", s->lu.pr_store_dev);
	if (have_dev && s->bs.kind != BS_RAMDISK && !strcmp(s->lu.pr_store_dev, s->bs.path))
		return cfg_fail(c, "\"%s\" is the object's own dev; use pr_store \"internal\" for that",
				s->lu.pr_store_dev);
	cfg_pop(c, mark);
	return 0;
}

static int parse_so(struct cfg_ctx *c, json_t *o, struct cfg_storage *s,
		    bool *naa_explicit)
{
	static const char *const *const kind_keys[] = {
		[BS_RAMDISK] = so_ramdisk_keys, [BS_FILEIO] = so_fileio_keys,
		[BS_BLOCK] = so_block_keys,
	};
	bool ignored, wce_set = false, nullio = false, write_back = false;
	uint64_t pbs = 0;
	json_t *attrs;
	size_t mark;

	if (cfg_expect_object(c, o) < 0 || parse_plugin(c, o, &s->bs.kind) < 0 ||
	    cfg_check_keys(c, o, so_common_keys, kind_keys[s->bs.kind]) < 0)
		return -1;
	/* rtslib refuses '/', spaces, tabs and newlines in a name; ASCII
	 * because the name may become the INQUIRY product (model alias). */
	if (cfg_get_str(c, o, "name", true,
			CFG_S_NONEMPTY | CFG_S_ASCII | CFG_S_NOSPACE | CFG_S_NOSLASH,
			s->bs.name, sizeof(s->bs.name), NULL) < 0)
		return -1;
	snprintf(s->lu.name, sizeof(s->lu.name), "%s", s->bs.name);
	if (cfg_check_attrs(c, o, so_attrs, sizeof(so_attrs) / sizeof(so_attrs[0]),
			    &attrs) < 0)
		return -1;
	s->bs.block_size = (uint32_t)cfg_attr(attrs, "block_size", 512);
	if (s->bs.block_size != 512 && s->bs.block_size != 4096) {
		cfg_push_key(c, "attributes");
		cfg_push_key(c, "block_size");
		return cfg_fail(c, "%u is not supported (tandem serves 512 or 4096 byte blocks)",
				s->bs.block_size);
	}
	if (cfg_get_uint(c, o, "physical_block_size", false, 512, 65536,
			 &pbs, NULL) < 0)
		return -1;
	if (pbs && ((pbs & (pbs - 1)) || pbs < s->bs.block_size)) {
		cfg_push_key(c, "physical_block_size");
		return cfg_fail(c, "%llu is not a power of two at least the block size %u",
				(unsigned long long)pbs, s->bs.block_size);
	}
	s->bs.phys_block_size = (uint32_t)pbs;
	s->lu.emulate_3pc = cfg_attr(attrs, "emulate_3pc", 1);
	s->lu.emulate_tpu = cfg_attr(attrs, "emulate_tpu", 0);
	s->lu.emulate_tpws = cfg_attr(attrs, "emulate_tpws", 0);
	s->lu.emulate_sanitize = cfg_attr(attrs, "emulate_sanitize", 0);

	if (cfg_get_bool(c, o, "exists", &ignored, NULL) < 0 ||
	    cfg_get_bool(c, o, "buffered_mode", &ignored, NULL) < 0 ||
	    cfg_get_bool(c, o, "aio", &ignored, NULL) < 0 ||
	    cfg_get_bool(c, o, "readonly", &s->bs.readonly, NULL) < 0 ||
	    cfg_get_bool(c, o, "write_back", &write_back, NULL) < 0 ||
	    cfg_get_bool(c, o, "nullio", &nullio, NULL) < 0)
		return -1;
	if (nullio) {
		cfg_push_key(c, "nullio");
		return cfg_fail(c, "nullio ramdisks are not supported (tandem's ramdisk keeps what is written)");
	}
	s->lu.readonly = s->bs.readonly;
	s->bs.write_back = write_back;
	switch (s->bs.kind) {
	case BS_BLOCK:
		/* A block object's size is the device's. */
		if (parse_dev(c, o, s) < 0)
			return -1;
		break;
	case BS_FILEIO:
		if (parse_dev(c, o, s) < 0 || parse_size(c, o, s, false) < 0)
			return -1;
		break;
	case BS_RAMDISK:
		if (parse_size(c, o, s, true) < 0)
			return -1;
		break;
	}
	/* rtslib derives write_back from emulate_write_cache, so a dump
	 * never disagrees; by hand, buffering writes while telling the
	 * initiator there is no cache (WCE=0, so it never sends SYNCHRONIZE
	 * CACHE) would lose acknowledged writes on a crash. */
	wce_set = attrs && json_object_get(attrs, "emulate_write_cache");
	if (s->bs.write_back && wce_set && !cfg_attr(attrs, "emulate_write_cache", 0)) {
		mark = cfg_push_key(c, "write_back");
		cfg_fail(c, "true while attributes.emulate_write_cache is 0: writes would be cached without the initiator knowing");
		cfg_pop(c, mark);
		return -1;
	}
	s->lu.write_cache = s->bs.write_back;
	if (parse_pr_store(c, o, s) < 0)
		return -1;
	return parse_alua_tpgs(c, o) < 0 ? -1 : parse_identity(c, o, s, attrs, naa_explicit);
}

static int check_unique(struct cfg_ctx *c, const struct tconfig *cfg,
			unsigned i, bool naa_explicit)
{
	const struct cfg_storage *s = &cfg->storage[i];

	for (unsigned j = 0; j < i; j++) {
		const struct cfg_storage *o = &cfg->storage[j];

		if (!strcmp(s->bs.name, o->bs.name)) {
			cfg_push_key(c, "name");
			return cfg_fail(c, "\"%s\" is already the name of storage_objects[%u] (tandem names LUs by name alone, whatever the plugin)",
					s->bs.name, j);
		}
		if (s->bs.kind != BS_RAMDISK && o->bs.kind != BS_RAMDISK &&
		    !strcmp(s->bs.path, o->bs.path)) {
			cfg_push_key(c, "dev");
			return cfg_fail(c, "\"%s\" is already the backing store of storage_objects[%u] (\"%s\")",
					s->bs.path, j, o->bs.name);
		}
		/* Two stores in one area would overwrite each other; one on
		 * another object's data would destroy it. */
		if (s->lu.pr_store == SCSI_PR_STORE_EXTERNAL &&
		    ((o->bs.kind != BS_RAMDISK && !strcmp(s->lu.pr_store_dev, o->bs.path)) ||
		     (o->lu.pr_store == SCSI_PR_STORE_EXTERNAL &&
		      !strcmp(s->lu.pr_store_dev, o->lu.pr_store_dev)))) {
			cfg_push_key(c, "pr_store_dev");
			return cfg_fail(c, "\"%s\" is already used by storage_objects[%u] (\"%s\")",
					s->lu.pr_store_dev, j, o->bs.name);
		}
		if (o->lu.pr_store == SCSI_PR_STORE_EXTERNAL && s->bs.kind != BS_RAMDISK &&
		    !strcmp(s->bs.path, o->lu.pr_store_dev)) {
			cfg_push_key(c, "dev");
			return cfg_fail(c, "\"%s\" is the PR store of storage_objects[%u] (\"%s\")",
					s->bs.path, j, o->bs.name);
		}
		if (!strcmp(s->lu.serial, o->lu.serial)) {
			cfg_push_key(c, "wwn");
			return cfg_fail(c, "unit serial \"%s\" is already that of storage_objects[%u] (\"%s\")",
					s->lu.serial, j, o->bs.name);
		}
		if (!memcmp(s->lu.naa, o->lu.naa, sizeof(s->lu.naa))) {
			cfg_push_key(c, naa_explicit ? "naa" : "wwn");
			return cfg_fail(c, "gives the same NAA designator as storage_objects[%u] (\"%s\"), so multipath would take the two LUs for one disk (LIO's NAA keeps only the first 25 hex digits of the serial)",
					j, o->bs.name);
		}
	}
	return 0;
}

int cfg_parse_storage(struct cfg_ctx *c, json_t *arr, struct tconfig *cfg)
{
	size_t mark = cfg_push_key(c, "storage_objects"), i;
	json_t *o;

	if (json_array_size(arr)) {
		cfg->storage = calloc(json_array_size(arr), sizeof(*cfg->storage));
		if (!cfg->storage)
			return cfg_fail(c, "out of memory");
	}
	cfg->nstorage = (unsigned)json_array_size(arr);
	json_array_foreach(arr, i, o) {
		size_t imark = cfg_push_index(c, i);
		bool naa_explicit = false;

		if (parse_so(c, o, &cfg->storage[i], &naa_explicit) < 0 ||
		    check_unique(c, cfg, (unsigned)i, naa_explicit) < 0)
			return -1;
		cfg_pop(c, imark);
	}
	cfg_pop(c, mark);
	return 0;
}
