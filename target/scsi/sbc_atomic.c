/* Read-modify-write commands: COMPARE AND WRITE (SBC-3 5.2) and ORWRITE
 * (SBC-3 5.8), and WRITE ATOMIC(16) (SBC-4 5.48). The first two must find
 * their blocks unchanged between their read and their write; the last must
 * be seen whole or not at all, by reads as well, while several workers may
 * be serving the same LU.
 *
 * A mutex held across the read and the write would block a worker's event
 * loop while the I/O it waits for can only complete on that same loop, so
 * instead the command puts its range on the LU's list of atomic commands
 * (under lu->lock) for the duration. A second atomic command or a WRITE
 * that overlaps a listed range is answered BUSY, which initiators retry;
 * the check costs plain writes one relaxed atomic load when no atomic
 * command is in flight. A WRITE already submitted when the atomic command
 * starts is concurrent with it, and SAM leaves the order of concurrent
 * commands to the device server.
 *
 * WRITE ATOMIC is all or nothing across a crash as well: a ramdisk, which
 * has no crash to survive, writes atomically by itself; on fileio and
 * block the command goes through the LU's journal (atomic_journal.h). */
#include <string.h>

#include "scsi/atomic_journal.h"
#include "scsi/core.h"

static bool overlaps(const struct scsi_cmd *a, uint64_t lba, uint32_t n)
{
	return a->lba < lba + n && lba < a->lba + a->nblocks;
}

static int atomic_acquire(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	struct scsi_lu_core *c = lu_core(lu);
	struct scsi_cmd *other;

	pthread_mutex_lock(&lu->lock);
	list_for_each_entry(other, &c->atomic_cmds, link) {
		if (overlaps(other, cmd->lba, cmd->nblocks)) {
			pthread_mutex_unlock(&lu->lock);
			return -1;
		}
	}
	if (atomic_journal_fenced_locked(lu, cmd->lba, cmd->nblocks)) {
		pthread_mutex_unlock(&lu->lock);
		return -1;
	}
	list_add_tail(&cmd->link, &c->atomic_cmds);
	atomic_fetch_add_explicit(&c->atomic_inflight, 1, memory_order_relaxed);
	cmd->flags |= CMDF_RANGE_HELD;
	pthread_mutex_unlock(&lu->lock);
	return 0;
}

void scsi_atomic_release(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;

	if (!(cmd->flags & CMDF_RANGE_HELD))
		return;
	pthread_mutex_lock(&lu->lock);
	list_del(&cmd->link);
	atomic_fetch_sub_explicit(&lu_core(lu)->atomic_inflight, 1,
				  memory_order_relaxed);
	cmd->flags &= ~(uint32_t)CMDF_RANGE_HELD;
	pthread_mutex_unlock(&lu->lock);
}

bool scsi_atomic_conflict(struct scsi_cmd *cmd, bool read)
{
	struct scsi_lu *lu = cmd->lu;
	struct scsi_lu_core *c = lu_core(lu);
	const struct scsi_cmd *other;
	bool conflict = false;

	if (atomic_load_explicit(&c->atomic_inflight, memory_order_relaxed) == 0)
		return false;
	pthread_mutex_lock(&lu->lock);
	list_for_each_entry(other, &c->atomic_cmds, link)
		if (overlaps(other, cmd->lba, cmd->nblocks) &&
		    (!read || (other->flags & CMDF_ATOMIC_WRITE)))
			conflict = true;
	if (atomic_journal_fenced_locked(lu, cmd->lba, cmd->nblocks))
		conflict = true;
	pthread_mutex_unlock(&lu->lock);
	return conflict;
}

static void finish(struct scsi_cmd *cmd)
{
	scsi_atomic_release(cmd);
	scsi_cmd_complete(cmd);
}

static uint64_t byte_offset(const struct scsi_cmd *cmd)
{
	return cmd->lba * cmd->lu->block_size;
}

static size_t range_bytes(const struct scsi_cmd *cmd)
{
	return (size_t)cmd->nblocks * cmd->lu->block_size;
}

/* Both commands read the range into aux first, then decide what to write. */
static void start(struct scsi_cmd *cmd, void (*read_done)(struct scsi_cmd *, int))
{
	if (cmd->nblocks == 0) {
		scsi_cmd_complete(cmd);
		return;
	}
	if (atomic_acquire(cmd) < 0) {
		cmd->status = SAM_STAT_BUSY;
		scsi_cmd_complete(cmd);
		return;
	}
	scsi_cmd_io(cmd, BS_OP_READ, 0, byte_offset(cmd), range_bytes(cmd),
		    cmd->aux, read_done);
}

static void written(struct scsi_cmd *cmd, int err)
{
	if (err)
		scsi_fail_info(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR, cmd->lba);
	finish(cmd);
}

static unsigned bs_flags(const struct scsi_cmd *cmd)
{
	return (cmd->flags & CMDF_FUA) ? BS_F_FUA : 0;
}

static int setup_common(struct scsi_cmd *cmd, uint64_t lba, uint32_t n,
			uint32_t data_blocks)
{
	uint32_t bs = cmd->lu->block_size;

	if (sbc_check_lba(cmd, lba, n, true) < 0)
		return -1;
	if (cmd->cdb[1] & 0x08)
		cmd->flags |= CMDF_FUA;
	if (n == 0)
		return 0;
	cmd->data_len = data_blocks * bs;
	cmd->dir = SCSI_DIR_WRITE;
	if (scsi_cmd_get_aux(cmd, (size_t)n * bs) < 0) {
		cmd->status = SAM_STAT_BUSY;
		return -1;
	}
	return 0;
}

/* The data-out holds the blocks to compare, then the blocks to write. */
int sbc_setup_caw(struct scsi_cmd *cmd)
{
	uint32_t n = cmd->cdb[13];
	return setup_common(cmd, get_be64(cmd->cdb + 2), n, 2 * n);
}

static void caw_read(struct scsi_cmd *cmd, int err)
{
	size_t off;

	if (err) {
		scsi_fail_info(cmd, SK_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR,
			       cmd->lba);
		finish(cmd);
		return;
	}
	/* SBC-3 5.2: the INFORMATION field is the offset of the first byte
	 * that differs, from the start of the data-out. */
	if (sbc_find_mismatch(cmd->buf, cmd->aux, range_bytes(cmd), &off)) {
		scsi_fail_info(cmd, SK_MISCOMPARE, ASC_MISCOMPARE_DURING_VERIFY, off);
		finish(cmd);
		return;
	}
	scsi_cmd_io(cmd, BS_OP_WRITE, bs_flags(cmd), byte_offset(cmd),
		    range_bytes(cmd), cmd->buf + range_bytes(cmd), written);
}

void sbc_caw(struct scsi_cmd *cmd)
{
	start(cmd, caw_read);
}

int sbc_setup_orwrite(struct scsi_cmd *cmd)
{
	uint64_t lba;
	uint32_t n;

	sbc_decode_lba(cmd, &lba, &n);
	return setup_common(cmd, lba, n, n);
}

static void orwrite_read(struct scsi_cmd *cmd, int err)
{
	if (err) {
		scsi_fail_info(cmd, SK_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR,
			       cmd->lba);
		finish(cmd);
		return;
	}
	size_t len = range_bytes(cmd);
	for (size_t i = 0; i < len; i++)
		cmd->aux[i] |= cmd->buf[i];
	scsi_cmd_io(cmd, BS_OP_WRITE, bs_flags(cmd), byte_offset(cmd), len,
		    cmd->aux, written);
}

void sbc_orwrite(struct scsi_cmd *cmd)
{
	start(cmd, orwrite_read);
}

/* SBC-4 4.29: a backstore that writes all or nothing (a ramdisk) makes
 * the LU able to, and so does the journal where the LU has one; the limit
 * is also what one WRITE may carry. */
uint32_t sbc_max_atomic_blocks(const struct scsi_lu *lu)
{
	uint32_t max = lu->bs->atomic_max ? lu->bs->atomic_max :
		       atomic_journal_max(lu);

	return MIN(max, SCSI_MAX_XFER_BYTES) / lu->block_size;
}

/* ATOMIC BOUNDARY is refused by the CDB usage data: the block limits
 * offer no boundary. A transfer the fabric cannot deliver whole is failed,
 * never shortened (no CMDF_BLOCK_XFER), so a part is never written. */
int sbc_setup_write_atomic(struct scsi_cmd *cmd)
{
	uint32_t n = get_be16(cmd->cdb + 12);

	if (n > sbc_max_atomic_blocks(cmd->lu))
		return scsi_fail_cdb(cmd, 12, -1);
	if (sbc_check_lba(cmd, get_be64(cmd->cdb + 2), n, true) < 0)
		return -1;
	if (cmd->cdb[1] & 0x08)
		cmd->flags |= CMDF_FUA;
	cmd->data_len = n * cmd->lu->block_size;
	if (n)
		cmd->dir = SCSI_DIR_WRITE;
	return 0;
}

/* The journaled write, in the order that makes a crash at any point
 * leave the range whole, old or new: the data and then its header into
 * the journal, the blocks in place, the header marked done. The range is
 * held from before the first write until after the last. */
static void journaled_finish(struct scsi_cmd *cmd)
{
	scsi_atomic_release(cmd);
	atomic_journal_release(cmd);
	scsi_cmd_complete(cmd);
}

static void journaled_fail(struct scsi_cmd *cmd)
{
	scsi_fail_info(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR, cmd->lba);
}

/* Done written, or (after a failed pending header) tried: a failure
 * leaves an entry that may still read as pending, so it stays put. */
static void journal_settled(struct scsi_cmd *cmd, int err)
{
	if (err) {
		if (cmd->status == SAM_STAT_GOOD)
			journaled_fail(cmd);
		atomic_journal_jam(cmd);
	}
	journaled_finish(cmd);
}

/* A failed in-place write may have left the range half written; the
 * pending entry that can make it whole is kept for the replay. */
static void in_place_written(struct scsi_cmd *cmd, int err)
{
	if (err) {
		journaled_fail(cmd);
		atomic_journal_jam(cmd);
		journaled_finish(cmd);
		return;
	}
	atomic_journal_write(cmd, ATOMIC_JOURNAL_WRITE_DONE, journal_settled);
}

/* Nothing in place has been touched yet, whatever fails here. */
static void journal_logged(struct scsi_cmd *cmd, int err)
{
	if (err) {
		journaled_fail(cmd);
		atomic_journal_write(cmd, ATOMIC_JOURNAL_WRITE_DONE, journal_settled);
		return;
	}
	scsi_cmd_io(cmd, BS_OP_WRITE, BS_F_FUA, byte_offset(cmd),
		    range_bytes(cmd), cmd->buf, in_place_written);
}

static void journal_data_written(struct scsi_cmd *cmd, int err)
{
	if (err) {
		journaled_fail(cmd);
		journaled_finish(cmd);
		return;
	}
	atomic_journal_write(cmd, ATOMIC_JOURNAL_WRITE_PENDING, journal_logged);
}

static void journaled_start(struct scsi_cmd *cmd, int err)
{
	if (atomic_journal_jammed(cmd->lu)) {
		journaled_fail(cmd);
		journaled_finish(cmd);
		return;
	}
	if (atomic_acquire(cmd) < 0) {
		cmd->status = SAM_STAT_BUSY;
		journaled_finish(cmd);
		return;
	}
	atomic_journal_write(cmd, ATOMIC_JOURNAL_WRITE_DATA, journal_data_written);
}

/* The range is held for the whole write: overlapping writes, reads and
 * read-modify-write commands are answered BUSY meanwhile, and the
 * backstore, or the journal, writes all of it or nothing. */
void sbc_write_atomic(struct scsi_cmd *cmd)
{
	if (cmd->nblocks == 0) {
		scsi_cmd_complete(cmd);
		return;
	}
	cmd->flags |= CMDF_ATOMIC_WRITE;
	if (!cmd->lu->bs->atomic_max) {
		atomic_journal_acquire(cmd, journaled_start);
		return;
	}
	if (atomic_acquire(cmd) < 0) {
		cmd->status = SAM_STAT_BUSY;
		scsi_cmd_complete(cmd);
		return;
	}
	scsi_cmd_io(cmd, BS_OP_WRITE, BS_F_ATOMIC | bs_flags(cmd), byte_offset(cmd),
		    range_bytes(cmd), cmd->buf, written);
}
