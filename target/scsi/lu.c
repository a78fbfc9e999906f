/* Logical units: creation over an opened backstore, and the LUN tables a
 * nexus addresses them through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scsi/atomic_journal.h"
#include "scsi/core.h"

/* SPC-4 4.4.1: INQUIRY ASCII fields hold 20h..7Eh only. */
static bool printable(const char *s, size_t max)
{
	size_t len = strnlen(s, max);
	if (len == max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static bool check_cfg(const struct backstore *bs, const struct scsi_lu_config *cfg,
		      char *err, size_t errlen)
{
	static const uint8_t zero[sizeof(cfg->naa)];
	const char *what = NULL;

	if (!bs || !bs->ops || !bs->ops->submit)
		what = "backstore: not opened";
	else if (bs->block_size < 512 || bs->block_size > 65536 ||
		 (bs->block_size & (bs->block_size - 1)))
		what = "block_size: not a power of two in 512..65536";
	else if (bs->size < bs->block_size)
		what = "size: smaller than one block";
	else if (!printable(cfg->vendor, sizeof(cfg->vendor)) || !cfg->vendor[0])
		what = "vendor: empty or not printable ASCII";
	else if (!printable(cfg->product, sizeof(cfg->product)) || !cfg->product[0])
		what = "product: empty or not printable ASCII";
	else if (!printable(cfg->revision, sizeof(cfg->revision)))
		what = "revision: not printable ASCII";
	else if (!printable(cfg->serial, sizeof(cfg->serial)))
		what = "serial: not printable ASCII";
	else if (!memcmp(cfg->naa, zero, sizeof(zero)) || (cfg->naa[0] >> 4) != 6)
		what = "naa: not an NAA IEEE Registered Extended (type 6) name";
	if (what)
		snprintf(err, errlen, "%s: %s", cfg->name, what);
	return what == NULL;
}

struct scsi_lu *scsi_lu_create(struct backstore *bs,
			       const struct scsi_lu_config *cfg,
			       char *err, size_t errlen)
{
	if (!check_cfg(bs, cfg, err, errlen))
		return NULL;

	struct scsi_lu_core *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "%s: out of memory", cfg->name);
		return NULL;
	}
	struct scsi_lu *lu = &c->lu;
	lu->cfg = *cfg;
	if (bs->cfg.readonly)
		lu->cfg.readonly = true;
	lu->bs = bs;
	lu->block_size = bs->block_size;
	lu->nblocks = bs->size / bs->block_size;
	lu->core = c;
	pthread_mutex_init(&lu->lock, NULL);
	list_init(&lu->nexus_state);
	list_init(&c->atomic_cmds);
	atomic_init(&c->d_sense, false);
	atomic_init(&c->swp, false);
	atomic_init(&c->atomic_inflight, 0);
	if (xcopy_held_alloc(lu) < 0) {
		snprintf(err, errlen, "%s: out of memory", cfg->name);
		pthread_mutex_destroy(&lu->lock);
		free(c);
		return NULL;
	}
	if (scsi_pr_attach(lu, err, errlen) < 0) {
		xcopy_held_free(lu);
		pthread_mutex_destroy(&lu->lock);
		free(c);
		return NULL;
	}
	/* After the PR store, whose area holds the journal, and before the
	 * LU serves anything: a pending atomic write is replayed here. */
	if (atomic_journal_attach(lu, err, errlen) < 0) {
		scsi_pr_detach(lu);
		xcopy_held_free(lu);
		pthread_mutex_destroy(&lu->lock);
		free(c);
		return NULL;
	}
	return lu;
}

void scsi_lu_destroy(struct scsi_lu *lu)
{
	if (!lu)
		return;
	scsi_ua_free_all(lu);
	atomic_journal_detach(lu);
	scsi_pr_detach(lu);
	xcopy_held_free(lu);
	pthread_mutex_destroy(&lu->lock);
	free(lu_core(lu));
}

const struct scsi_lun_entry *scsi_lun_table_find(const struct scsi_lun_table *t,
						 uint64_t lun)
{
	if (!t)
		return NULL;
	unsigned lo = 0, hi = t->count;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (t->ent[mid].lun == lun)
			return &t->ent[mid];
		if (t->ent[mid].lun < lun)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool nexus_is(const struct scsi_nexus *n, const void *arg)
{
	return n->id == *(const uint64_t *)arg;
}

void scsi_lu_ua_nexus(struct scsi_lu *lu, const struct scsi_nexus *n,
		      uint8_t asc, uint8_t ascq)
{
	pthread_mutex_lock(&lu->lock);
	/* No nexus has id 0 (the fabric counts from 1): none is excepted. */
	scsi_ua_post_locked(lu, nexus_is, &n->id, 0, (uint16_t)(asc << 8 | ascq));
	pthread_mutex_unlock(&lu->lock);
}

void scsi_lu_hold(struct scsi_lu *lu)
{
	atomic_fetch_add_explicit(&lu->stats.inflight, 1, memory_order_relaxed);
}

/* Release: what the command did to the LU happens before the daemon sees
 * the count reach zero and closes it. */
void scsi_lu_unhold(struct scsi_lu *lu)
{
	atomic_fetch_sub_explicit(&lu->stats.inflight, 1, memory_order_release);
}

uint64_t scsi_lu_inflight(const struct scsi_lu *lu)
{
	return atomic_load_explicit(&lu->stats.inflight, memory_order_acquire);
}
