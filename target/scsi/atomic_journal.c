/* The WRITE ATOMIC journal (atomic_journal.h): its header format, its
 * recovery when a LU is opened, and the slot the commands of a LU share.
 *
 * The slot is the LU's one header buffer and journal space. A command
 * that finds it taken queues on the LU (under lu->lock) and is handed the
 * slot by the holder when it lets go. The handover is posted to the inbox
 * of the queued command's worker, because its I/O may only be submitted
 * on its own worker's ring; atomic writes are rare, so the inbox, which is
 * not meant for I/O, sees one message per contended WRITE ATOMIC at most. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc32c.h"
#include "scsi/atomic_journal.h"
#include "scsi/pr.h"

static const char journal_magic[8] = { 'T', 'D', 'A', 'T', 'O', 'M', 'J', 'L' };
#define HDR_CRC_OFF (ATOMIC_JOURNAL_HDR_LEN - 4u)

_Static_assert(ATOMIC_JOURNAL_MAX <= PR_JOURNAL_DATA_LEN,
	       "the journal's data fits where the PR store leaves room");
_Static_assert(PR_JOURNAL_HDR_OFF + ATOMIC_JOURNAL_HDR_BLOCK <= PR_SLOT_OFF(0),
	       "the journal's header lies between the store's header and slot 0");

struct atomic_journal {
	struct scsi_lu *lu;
	/* Where the area is: the LU's own backstore (internal store) or the
	 * external store's device. */
	struct backstore *bs;
	uint64_t hdr_off, data_off;
	uint8_t *hdr;			/* the header block to write, 4096-aligned */
	/* The entry being written; the holder's alone. */
	struct atomic_journal_entry cur;
	/* Under lu->lock. */
	struct scsi_cmd *holder;
	struct list_head waiters;	/* of scsi_cmd.link */
	bool jammed;
	uint64_t fence_lba;
	uint32_t fence_n;
	/* One handover at a time is ever in flight: the next comes only
	 * when the command it started lets go. */
	struct evloop_msg handoff;
	char note[256];			/* what attach found */
};

static struct atomic_journal *journal_of(const struct scsi_lu *lu)
{
	return lu_core(lu)->journal;
}

void atomic_journal_encode(uint8_t *hdr, const struct atomic_journal_entry *e)
{
	memset(hdr, 0, ATOMIC_JOURNAL_HDR_BLOCK);
	memcpy(hdr, journal_magic, sizeof(journal_magic));
	put_be32(hdr + 8, ATOMIC_JOURNAL_FORMAT);
	put_be32(hdr + 12, e->state);
	put_be32(hdr + 16, e->block_size);
	put_be32(hdr + 20, e->nblocks);
	put_be64(hdr + 24, e->seq);
	put_be64(hdr + 32, e->lba);
	put_be32(hdr + 40, e->data_crc);
	memcpy(hdr + 48, e->naa, sizeof(e->naa));
	put_be32(hdr + HDR_CRC_OFF, crc32c(0, hdr, HDR_CRC_OFF));
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

enum atomic_journal_verdict
atomic_journal_decode(const uint8_t *hdr, const uint8_t *naa,
		      uint32_t block_size, uint64_t lu_blocks,
		      struct atomic_journal_entry *e, char *why, size_t whylen)
{
	uint32_t format;

	memset(e, 0, sizeof(*e));
	why[0] = '\0';
	if (all_zero(hdr, ATOMIC_JOURNAL_HDR_LEN))
		return ATOMIC_JOURNAL_EMPTY;
	if (memcmp(hdr, journal_magic, sizeof(journal_magic))) {
		snprintf(why, whylen, "no journal magic: not a journal header");
		return ATOMIC_JOURNAL_IGNORE;
	}
	format = get_be32(hdr + 8);
	if (format != ATOMIC_JOURNAL_FORMAT) {
		snprintf(why, whylen, "format %" PRIu32 ", this tandemd reads format %u",
			 format, ATOMIC_JOURNAL_FORMAT);
		return ATOMIC_JOURNAL_IGNORE;
	}
	if (get_be32(hdr + HDR_CRC_OFF) != crc32c(0, hdr, HDR_CRC_OFF)) {
		snprintf(why, whylen, "header CRC32C mismatch: a torn header write");
		return ATOMIC_JOURNAL_IGNORE;
	}
	e->state = get_be32(hdr + 12);
	e->block_size = get_be32(hdr + 16);
	e->nblocks = get_be32(hdr + 20);
	e->seq = get_be64(hdr + 24);
	e->lba = get_be64(hdr + 32);
	e->data_crc = get_be32(hdr + 40);
	memcpy(e->naa, hdr + 48, sizeof(e->naa));
	if (memcmp(e->naa, naa, sizeof(e->naa))) {
		snprintf(why, whylen, "entry %" PRIu64 " belongs to another LU (another NAA)",
			 e->seq);
		return ATOMIC_JOURNAL_IGNORE;
	}
	if (e->state == ATOMIC_JOURNAL_DONE)
		return ATOMIC_JOURNAL_SETTLED;
	/* A CRC guards against damage, not against a writer with other
	 * rules: what an entry asks to write is checked like a CDB. */
	if (e->state != ATOMIC_JOURNAL_PENDING)
		snprintf(why, whylen, "entry %" PRIu64 ": unknown state %" PRIu32,
			 e->seq, e->state);
	else if (e->block_size != block_size)
		snprintf(why, whylen, "entry %" PRIu64 " was written for %" PRIu32 "-byte blocks, the LU has %" PRIu32,
			 e->seq, e->block_size, block_size);
	else if (e->nblocks == 0 ||
		 (uint64_t)e->nblocks * block_size > ATOMIC_JOURNAL_MAX)
		snprintf(why, whylen, "entry %" PRIu64 ": %" PRIu32 " blocks, not 1 to %u bytes' worth",
			 e->seq, e->nblocks, ATOMIC_JOURNAL_MAX);
	else if (e->lba > lu_blocks || e->nblocks > lu_blocks - e->lba)
		snprintf(why, whylen, "entry %" PRIu64 ": LBA %" PRIu64 " + %" PRIu32 " blocks lies beyond the LU's %" PRIu64 " blocks",
			 e->seq, e->lba, e->nblocks, lu_blocks);
	else
		return ATOMIC_JOURNAL_REPLAY;
	return ATOMIC_JOURNAL_IGNORE;
}

static int refuse(const struct scsi_lu *lu, char *err, size_t errlen,
		  const char *what, int e)
{
	snprintf(err, errlen, "%s: WRITE ATOMIC journal: %s: %s", lu->cfg.name,
		 what, strerror(-e));
	return -1;
}

/* A pending entry: its data is read back and, if it is whole, written in
 * place; either way the entry is then marked done, so that a later entry
 * torn on its way into the journal can never meet a stale pending header
 * that its data happens to match. */
static int replay(struct atomic_journal *j, struct atomic_journal_entry *e,
		  char *err, size_t errlen)
{
	struct scsi_lu *lu = j->lu;
	size_t len = (size_t)e->nblocks * e->block_size;
	char what[160];
	void *data = NULL;
	int r;

	if (posix_memalign(&data, 4096, len))
		return refuse(lu, err, errlen, "reading the pending entry", -ENOMEM);
	r = pr_area_sync_io(j->bs, BS_OP_READ, j->data_off, data, len);
	if (r) {
		free(data);
		return refuse(lu, err, errlen, "reading the pending entry's data", r);
	}
	if (crc32c(0, data, len) != e->data_crc) {
		snprintf(j->note, sizeof(j->note),
			 "ignored pending entry %" PRIu64 " (LBA %" PRIu64 ", %" PRIu32 " blocks): data CRC32C mismatch, a torn journal write (never answered, nothing written in place)",
			 e->seq, e->lba, e->nblocks);
	} else {
		r = pr_area_sync_io(lu->bs, BS_OP_WRITE, e->lba * lu->block_size,
				    data, len);
		if (r) {
			free(data);
			snprintf(what, sizeof(what), "replaying entry %" PRIu64 " (LBA %" PRIu64 ", %" PRIu32 " blocks) in place; refusing to serve a range it may have left half written",
				 e->seq, e->lba, e->nblocks);
			return refuse(lu, err, errlen, what, r);
		}
		snprintf(j->note, sizeof(j->note),
			 "replayed pending entry %" PRIu64 " (LBA %" PRIu64 ", %" PRIu32 " blocks) in place",
			 e->seq, e->lba, e->nblocks);
	}
	free(data);
	e->state = ATOMIC_JOURNAL_DONE;
	atomic_journal_encode(j->hdr, e);
	r = pr_area_sync_io(j->bs, BS_OP_WRITE, j->hdr_off, j->hdr,
			    ATOMIC_JOURNAL_HDR_BLOCK);
	if (r)
		return refuse(lu, err, errlen, "marking the replayed entry done", r);
	j->cur = *e;
	return 0;
}

static int recover(struct atomic_journal *j, char *err, size_t errlen)
{
	struct scsi_lu *lu = j->lu;
	struct atomic_journal_entry e;
	char why[200];
	int r;

	r = pr_area_sync_io(j->bs, BS_OP_READ, j->hdr_off, j->hdr,
			    ATOMIC_JOURNAL_HDR_BLOCK);
	if (r)
		return refuse(lu, err, errlen, "reading its header", r);
	switch (atomic_journal_decode(j->hdr, lu->cfg.naa, lu->block_size,
				      lu->nblocks, &e, why, sizeof(why))) {
	case ATOMIC_JOURNAL_EMPTY:
		snprintf(j->note, sizeof(j->note), "empty");
		return 0;
	case ATOMIC_JOURNAL_SETTLED:
		j->cur = e;
		snprintf(j->note, sizeof(j->note), "last entry %" PRIu64 " done",
			 e.seq);
		return 0;
	case ATOMIC_JOURNAL_IGNORE:
		snprintf(j->note, sizeof(j->note), "header ignored (%s)", why);
		return 0;
	case ATOMIC_JOURNAL_REPLAY:
		break;
	}
	return replay(j, &e, err, errlen);
}

static void handoff_arrived(struct evloop_msg *m)
{
	struct atomic_journal *j = container_of(m, struct atomic_journal, handoff);
	struct scsi_cmd *cmd;

	pthread_mutex_lock(&j->lu->lock);
	cmd = j->holder;
	pthread_mutex_unlock(&j->lu->lock);
	cmd->next(cmd, 0);
}

int atomic_journal_attach(struct scsi_lu *lu, char *err, size_t errlen)
{
	const struct pr_store *st = &lu_pr(lu)->store;
	struct atomic_journal *j;
	void *hdr = NULL;

	/* A store on a device with larger blocks than the LU's could not
	 * take a journaled write of one LU block: no journal there. */
	if (lu->bs->atomic_max || st->kind == SCSI_PR_STORE_NONE || !st->bs ||
	    st->bs->block_size > lu->block_size)
		return 0;
	j = calloc(1, sizeof(*j));
	if (!j || posix_memalign(&hdr, 4096, ATOMIC_JOURNAL_HDR_BLOCK)) {
		free(j);
		return refuse(lu, err, errlen, "allocating it", -ENOMEM);
	}
	j->lu = lu;
	j->bs = st->bs;
	j->hdr = hdr;
	j->hdr_off = st->area + PR_JOURNAL_HDR_OFF;
	j->data_off = st->area + PR_JOURNAL_DATA_OFF;
	list_init(&j->waiters);
	j->handoff.fn = handoff_arrived;
	if (recover(j, err, errlen) < 0) {
		free(j->hdr);
		free(j);
		return -1;
	}
	lu_core(lu)->journal = j;
	return 0;
}

void atomic_journal_detach(struct scsi_lu *lu)
{
	struct atomic_journal *j = journal_of(lu);

	if (!j)
		return;
	free(j->hdr);
	free(j);
	lu_core(lu)->journal = NULL;
}

void atomic_journal_describe(const struct scsi_lu *lu, char *buf, size_t len)
{
	const struct atomic_journal *j = journal_of(lu);

	if (!j) {
		if (len)
			buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "WRITE ATOMIC through a journal in the same area (up to %u KiB): %s",
		 ATOMIC_JOURNAL_MAX >> 10, j->note);
}

uint32_t atomic_journal_max(const struct scsi_lu *lu)
{
	return journal_of(lu) ? ATOMIC_JOURNAL_MAX : 0;
}

void atomic_journal_acquire(struct scsi_cmd *cmd,
			    void (*start)(struct scsi_cmd *cmd, int err))
{
	struct scsi_lu *lu = cmd->lu;
	struct atomic_journal *j = journal_of(lu);

	cmd->next = start;
	pthread_mutex_lock(&lu->lock);
	if (j->holder) {
		list_add_tail(&cmd->link, &j->waiters);
		pthread_mutex_unlock(&lu->lock);
		return;
	}
	j->holder = cmd;
	pthread_mutex_unlock(&lu->lock);
	start(cmd, 0);
}

void atomic_journal_release(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	struct atomic_journal *j = journal_of(lu);
	struct scsi_cmd *next = NULL;

	pthread_mutex_lock(&lu->lock);
	if (j->holder != cmd) {
		pthread_mutex_unlock(&lu->lock);
		return;
	}
	if (!list_empty(&j->waiters)) {
		next = list_first_entry(&j->waiters, struct scsi_cmd, link);
		list_del(&next->link);
		list_init(&next->link);
	}
	j->holder = next;
	pthread_mutex_unlock(&lu->lock);
	if (!next)
		return;
	/* A nexus with no inbox runs its commands on the caller's thread
	 * (the core's unit tests). */
	if (next->nexus && next->nexus->inbox)
		evloop_inbox_post(next->nexus->inbox, &j->handoff);
	else
		next->next(next, 0);
}

static void journal_io_done(struct bs_io *io, int err)
{
	struct scsi_cmd *cmd = io->priv;

	cmd->next(cmd, err);
}

void atomic_journal_write(struct scsi_cmd *cmd, enum atomic_journal_step step,
			  void (*next)(struct scsi_cmd *cmd, int err))
{
	struct scsi_lu *lu = cmd->lu;
	struct atomic_journal *j = journal_of(lu);
	size_t len = (size_t)cmd->nblocks * lu->block_size;
	uint64_t off = j->hdr_off;
	uint64_t n = ATOMIC_JOURNAL_HDR_BLOCK;
	void *buf = j->hdr;

	switch (step) {
	case ATOMIC_JOURNAL_WRITE_DATA:
		off = j->data_off;
		buf = cmd->buf;
		n = len;
		break;
	case ATOMIC_JOURNAL_WRITE_PENDING:
		j->cur = (struct atomic_journal_entry){
			.seq = j->cur.seq + 1, .lba = cmd->lba,
			.nblocks = cmd->nblocks, .block_size = lu->block_size,
			.data_crc = crc32c(0, cmd->buf, len),
			.state = ATOMIC_JOURNAL_PENDING,
		};
		memcpy(j->cur.naa, lu->cfg.naa, sizeof(j->cur.naa));
		atomic_journal_encode(j->hdr, &j->cur);
		break;
	case ATOMIC_JOURNAL_WRITE_DONE:
		j->cur.state = ATOMIC_JOURNAL_DONE;
		atomic_journal_encode(j->hdr, &j->cur);
		break;
	}
	cmd->next = next;
	cmd->bio = (struct bs_io){
		.op = BS_OP_WRITE, .flags = BS_F_FUA, .offset = off, .len = n,
		.buf = buf, .done = journal_io_done, .priv = cmd,
	};
	bs_submit(j->bs, cmd->ring, &cmd->bio);
}

/* The fence holds one count of atomic_inflight for good, so that plain
 * reads and writes take the slow path that looks at it. */
void atomic_journal_jam(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	struct atomic_journal *j = journal_of(lu);

	pthread_mutex_lock(&lu->lock);
	if (!j->jammed) {
		j->jammed = true;
		j->fence_lba = cmd->lba;
		j->fence_n = cmd->nblocks;
		atomic_fetch_add_explicit(&lu_core(lu)->atomic_inflight, 1,
					  memory_order_relaxed);
	}
	pthread_mutex_unlock(&lu->lock);
}

bool atomic_journal_jammed(struct scsi_lu *lu)
{
	struct atomic_journal *j = journal_of(lu);
	bool jammed;

	pthread_mutex_lock(&lu->lock);
	jammed = j->jammed;
	pthread_mutex_unlock(&lu->lock);
	return jammed;
}

bool atomic_journal_fenced_locked(const struct scsi_lu *lu, uint64_t lba,
				  uint32_t n)
{
	const struct atomic_journal *j = journal_of(lu);

	return j && j->jammed && j->fence_lba < lba + n &&
	       lba < j->fence_lba + j->fence_n;
}
