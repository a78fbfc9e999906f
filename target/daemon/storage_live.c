#include "daemon/storage_live.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Unit attentions (ASC << 8 | ASCQ), SPC-4 table D.1. */
#define UA_MODE_PARAMETERS_CHANGED 0x2a01
#define UA_CAPACITY_DATA_CHANGED 0x2a09
#define UA_INQUIRY_DATA_CHANGED 0x3f03

/* A setting kept for as long as the object is open. */
struct fixed {
	const char *key;
	size_t off, len;	/* the field in struct cfg_storage */
	bool str;
	const char *why;
};

#define FIELD(f) offsetof(struct cfg_storage, f), sizeof(((struct cfg_storage *)0)->f)

static const char why_identity[] =
	"it is the INQUIRY identity initiators (Windows, VMware, multipath) recognise the disk by; LIO refuses it too while the device is exported";
static const char why_pr[] =
	"the registrations and the reservation are kept there; moving them needs the LU detached on both nodes";

static const struct fixed fixed[] = {
	{ "plugin", FIELD(bs.kind), false, "another plugin is another storage object" },
	{ "dev", FIELD(bs.path), true,
	  "the LU's data is on it; another device is another disk to initiators and to the peer node" },
	{ "size", FIELD(bs.size), false,
	  "initiators laid their data out on the capacity they read; a ramdisk cannot be resized without losing what it holds, and with pr_store internal the reservation store sits at the end of the device" },
	{ "attributes.block_size", FIELD(bs.block_size), false,
	  "initiators address the LU in blocks of this size; LIO refuses it too while the device is exported" },
	{ "physical_block_size", FIELD(bs.phys_block_size), false,
	  "initiators read the alignment when they discover the LU and keep it" },
	{ "readonly", FIELD(bs.readonly), false,
	  "the device is open read-only or read-write and the reservation store follows from it; write_protect on the mapped LUNs changes in place" },
	{ "wwn", FIELD(wwn), true,
	  "the unit serial (VPD 80h) and the NAA designator derived from it are the LU's identity: multipath would take it for another disk; LIO refuses it too while the device is exported" },
	{ "naa", FIELD(lu.naa), false,
	  "the NAA designator (VPD 83h) is the LU's identity: multipath would take it for another disk" },
	{ "vendor_id", FIELD(lu.vendor), true, why_identity },
	{ "product_id", FIELD(lu.product), true, why_identity },
	{ "revision", FIELD(lu.revision), true, why_identity },
	{ "pr_store", FIELD(lu.pr_store), false, why_pr },
	{ "pr_store_dev", FIELD(lu.pr_store_dev), true, why_pr },
};

/* A flag of the LU that changes in place, and what an initiator that
 * addressed the LU is told (SPC-4 5.14: the device server establishes a
 * unit attention when data it reports changes for another reason than a
 * command from that I_T nexus). */
struct live_flag {
	const char *key;
	size_t off;		/* an atomic_bool in struct scsi_lu_config */
	uint16_t ua[2];		/* 0: none */
};

static const struct live_flag live_flags[] = {
	/* The 3PC bit of standard INQUIRY, the Third-party Copy VPD page. */
	{ "attributes.emulate_3pc", offsetof(struct scsi_lu_config, emulate_3pc),
	  { UA_INQUIRY_DATA_CHANGED } },
	/* The Block Limits and Logical Block Provisioning VPD pages, and the
	 * LBPME bit of READ CAPACITY (16). */
	{ "attributes.emulate_tpu", offsetof(struct scsi_lu_config, emulate_tpu),
	  { UA_INQUIRY_DATA_CHANGED, UA_CAPACITY_DATA_CHANGED } },
	/* LBPWS and LBPWS10 in the Logical Block Provisioning VPD page. */
	{ "attributes.emulate_tpws", offsetof(struct scsi_lu_config, emulate_tpws),
	  { UA_INQUIRY_DATA_CHANGED } },
	/* WABEREQ in the Block Device Characteristics VPD page. */
	{ "attributes.emulate_sanitize", offsetof(struct scsi_lu_config, emulate_sanitize),
	  { UA_INQUIRY_DATA_CHANGED } },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static bool flag_get(const struct scsi_lu_config *c, const struct live_flag *f)
{
	return atomic_load_explicit((const atomic_bool *)((const char *)c + f->off),
				    memory_order_relaxed);
}

static void flag_set(struct scsi_lu_config *c, const struct live_flag *f, bool v)
{
	atomic_store_explicit((atomic_bool *)((char *)c + f->off), v, memory_order_relaxed);
}

static bool lu_flag(const struct cfg_storage *s, const struct live_flag *f)
{
	return flag_get(&s->lu, f);
}

static bool field_differs(const struct cfg_storage *a, const struct cfg_storage *b,
			  const struct fixed *f)
{
	const char *x = (const char *)a + f->off, *y = (const char *)b + f->off;

	return f->str ? strncmp(x, y, f->len) != 0 : memcmp(x, y, f->len) != 0;
}

const char *storage_fixed_change(const struct cfg_storage *live,
				 const struct cfg_storage *want, const char **why)
{
	struct cfg_storage same = *want;

	/* want with live's in-place settings: what is left to differ is
	 * fixed. */
	same.bs.write_back = live->bs.write_back;
	same.lu.write_cache = live->lu.write_cache;
	for (size_t i = 0; i < NELEM(live_flags); i++)
		flag_set(&same.lu, &live_flags[i], lu_flag(live, &live_flags[i]));
	if (!memcmp(live, &same, sizeof(same)))
		return NULL;
	for (size_t i = 0; i < NELEM(fixed); i++)
		if (field_differs(live, want, &fixed[i])) {
			if (why)
				*why = fixed[i].why;
			return fixed[i].key;
		}
	/* A field the tables above do not name yet: fixed until someone
	 * decides otherwise. */
	if (why)
		*why = "tandemd keeps it for as long as the object is open";
	return "attributes";
}

unsigned storage_describe_live(const struct cfg_storage *live,
			       const struct cfg_storage *want, json_t *changes)
{
	char line[256];
	unsigned n = 0;

	if (live->bs.write_back != want->bs.write_back) {
		snprintf(line, sizeof(line), "storage object %s: write_back %s (MODE PARAMETERS CHANGED)",
			 want->bs.name, want->bs.write_back ? "true: writes may be cached until SYNCHRONIZE CACHE or FUA"
							    : "false: every write is on stable storage when acknowledged");
		json_array_append_new(changes, json_string(line));
		n++;
	}
	for (size_t i = 0; i < NELEM(live_flags); i++) {
		const struct live_flag *f = &live_flags[i];

		if (lu_flag(live, f) == lu_flag(want, f))
			continue;
		snprintf(line, sizeof(line), "storage object %s: %s %d -> %d", want->bs.name,
			 f->key, lu_flag(live, f), lu_flag(want, f));
		json_array_append_new(changes, json_string(line));
		n++;
	}
	return n;
}

int storage_check_exported(const struct cfg_storage *live, const struct cfg_storage *want,
			   unsigned index, const char *luns, char *err, size_t errlen)
{
	/* An initiator reads WCE when it discovers the LU and, Linux at
	 * least, not on MODE PARAMETERS CHANGED: told nothing of a cache, it
	 * would never send SYNCHRONIZE CACHE. Turning the cache off is safe
	 * either way: an initiator that believes it is on flushes for
	 * nothing. */
	if (live->bs.write_back || !want->bs.write_back)
		return 0;
	snprintf(err, errlen,
		 "storage_objects[%u].write_back: cannot turn on (attribute emulate_write_cache) while storage object \"%s\" is exported (%s): an initiator reads the write cache setting (WCE, caching mode page) when it discovers the LU, Linux again only on a rescan, and believing there is no cache it never sends SYNCHRONIZE CACHE, so a crash would lose writes it was told were done; remove its LUNs, turn it on, then export it again: initiators read the new setting when they next log in or rescan the LUN",
		 index, want->bs.name, luns);
	return -1;
}

static void add_ua(uint16_t *ua, unsigned *n, uint16_t code)
{
	for (unsigned i = 0; i < *n; i++)
		if (ua[i] == code)
			return;
	ua[(*n)++] = code;
}

void storage_apply_live(struct scsi_lu *lu, struct backstore *bs,
			const struct cfg_storage *was, const struct cfg_storage *want)
{
	uint16_t ua[NELEM(live_flags) * 2 + 1];
	unsigned nua = 0;

	/* Workers read these without a lock while they run commands. The
	 * unit attentions are posted under the LU's lock, which every command
	 * takes at setup, so a command that sees one sees the new values.
	 * Off: the backstore writes through before WCE=0 can be reported (the
	 * release store pairs with MODE SENSE's acquire load). On: only on an
	 * object no LUN exports (storage_check_exported), so no command runs
	 * on it, and initiators read WCE=1 when it is exported again. */
	if (was->bs.write_back && !want->bs.write_back) {
		atomic_store_explicit(&bs->cfg.write_back, false, memory_order_relaxed);
		atomic_store_explicit(&lu->cfg.write_cache, false, memory_order_release);
	} else if (!was->bs.write_back && want->bs.write_back) {
		atomic_store_explicit(&lu->cfg.write_cache, true, memory_order_relaxed);
		atomic_store_explicit(&bs->cfg.write_back, true, memory_order_relaxed);
	}
	if (was->bs.write_back != want->bs.write_back)
		add_ua(ua, &nua, UA_MODE_PARAMETERS_CHANGED);
	for (size_t i = 0; i < NELEM(live_flags); i++) {
		const struct live_flag *f = &live_flags[i];

		if (lu_flag(was, f) == lu_flag(want, f))
			continue;
		flag_set(&lu->cfg, f, lu_flag(want, f));
		for (size_t k = 0; k < NELEM(f->ua) && f->ua[k]; k++)
			add_ua(ua, &nua, f->ua[k]);
	}
	for (unsigned i = 0; i < nua; i++)
		scsi_lu_ua_all(lu, (uint8_t)(ua[i] >> 8), (uint8_t)ua[i]);
}
