/* WRITE ATOMIC(16) over a backstore that cannot write all or nothing by
 * itself (fileio, block): a write-ahead journal in the LU's metadata area,
 * the 1 MiB that holds its persistent reservation store (pr_store.c), in
 * the parts the store leaves free. Because that area lives on the
 * replicated device, DRBD carries the journal to the peer with the data,
 * and the node that takes over replays it when it opens the LU.
 *
 *   area + 4 KiB    the header, 512 bytes used of a 4 KiB block
 *   area + 768 KiB  the data, up to ATOMIC_JOURNAL_MAX bytes
 *
 * One entry a LU. A WRITE ATOMIC writes the data, then the header (state
 * pending) to the journal, each durable (FUA); then the blocks in place,
 * durable; then the header again with state done, and only then answers
 * GOOD and lets go of its range. When tandemd opens the LU it replays a
 * pending entry whose CRCs check out before the LU serves anything, and
 * ignores one that does not: such an entry was never complete, so the
 * command was never answered and nothing in place was touched.
 *
 * Header, big-endian like SCSI's own fields: 0 magic "TDATOMJL", 8
 * format, 12 state (1 pending, 2 done), 16 block size, 20 blocks, 24
 * sequence number, 32 LBA, 40 CRC32C of the data, 44 zero, 48 the LU's
 * NAA (16 bytes), zeroes, and at 508 the CRC32C of bytes 0 to 507.
 *
 * This file's functions are the format and the recovery
 * (atomic_journal.c) and what the command's steps in sbc_atomic.c use. */
#ifndef TANDEM_SCSI_ATOMIC_JOURNAL_H
#define TANDEM_SCSI_ATOMIC_JOURNAL_H

#include "scsi/core.h"

#define ATOMIC_JOURNAL_FORMAT 1u
#define ATOMIC_JOURNAL_HDR_LEN 512u
#define ATOMIC_JOURNAL_HDR_BLOCK 4096u
/* The longest journaled write: the data space the store leaves free. */
#define ATOMIC_JOURNAL_MAX (256u << 10)

enum { ATOMIC_JOURNAL_PENDING = 1, ATOMIC_JOURNAL_DONE = 2 };

struct atomic_journal_entry {
	uint64_t seq;
	uint64_t lba;
	uint32_t nblocks;
	uint32_t block_size;
	uint32_t data_crc;
	uint32_t state;
	uint8_t naa[16];
};

/* What a header read at attach means for the LU it is decoded for. */
enum atomic_journal_verdict {
	ATOMIC_JOURNAL_EMPTY,	/* never written (all zeroes) */
	ATOMIC_JOURNAL_SETTLED,	/* the last entry was done */
	ATOMIC_JOURNAL_REPLAY,	/* pending: replay it if its data's CRC matches */
	ATOMIC_JOURNAL_IGNORE,	/* torn, of another LU or format, or nonsense */
};

/* Writes e as a header into hdr (ATOMIC_JOURNAL_HDR_BLOCK bytes). */
void atomic_journal_encode(uint8_t *hdr, const struct atomic_journal_entry *e);
/* Decodes hdr for a LU with this NAA, block size and number of blocks;
 * *e is filled for SETTLED and REPLAY, why says what was ignored. */
enum atomic_journal_verdict
atomic_journal_decode(const uint8_t *hdr, const uint8_t *naa,
		      uint32_t block_size, uint64_t lu_blocks,
		      struct atomic_journal_entry *e, char *why, size_t whylen);

/* After scsi_pr_attach(): a LU whose backstore has no atomic writes of its
 * own and that has a metadata area gets a journal, and a pending entry in
 * it is replayed now. -1 with err set when an entry cannot be replayed:
 * the LU must not serve a range an unfinished write may have torn. */
int atomic_journal_attach(struct scsi_lu *lu, char *err, size_t errlen);
void atomic_journal_detach(struct scsi_lu *lu);
/* One phrase on the journal and what attach did, for the attach log line;
 * empty when the LU has none. */
void atomic_journal_describe(const struct scsi_lu *lu, char *buf, size_t len);

/* Longest WRITE ATOMIC the journal takes, in bytes; 0: the LU has none. */
uint32_t atomic_journal_max(const struct scsi_lu *lu);

/* The journal's slot: start(cmd, 0) runs once cmd holds it, on cmd's own
 * worker, at once or when the holder before it lets go (the commands
 * queue, they are not refused). */
void atomic_journal_acquire(struct scsi_cmd *cmd,
			    void (*start)(struct scsi_cmd *cmd, int err));
/* Lets go of the slot, if cmd holds it, and hands it to the next. */
void atomic_journal_release(struct scsi_cmd *cmd);

enum atomic_journal_step {
	ATOMIC_JOURNAL_WRITE_DATA,	/* cmd->buf to the journal's data */
	ATOMIC_JOURNAL_WRITE_PENDING,	/* the header naming cmd's range */
	ATOMIC_JOURNAL_WRITE_DONE,	/* the same header, state done */
};
/* One durable write of the slot holder's entry; next(cmd, err) follows. */
void atomic_journal_write(struct scsi_cmd *cmd, enum atomic_journal_step step,
			  void (*next)(struct scsi_cmd *cmd, int err));

/* The holder's entry could not be settled (its in-place write or the
 * header's done write failed): it stays in the journal for the replay
 * when the LU is next opened. Until then no WRITE ATOMIC may reuse the
 * slot, and every read or write of its range waits (BUSY), so nothing
 * written after it can be overwritten by that replay. */
void atomic_journal_jam(struct scsi_cmd *cmd);
bool atomic_journal_jammed(struct scsi_lu *lu);
/* With lu->lock held: whether lba..lba+n-1 meets a jammed entry. */
bool atomic_journal_fenced_locked(const struct scsi_lu *lu, uint64_t lba,
				  uint32_t n);

#endif
