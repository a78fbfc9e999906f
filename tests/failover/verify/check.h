/* What a block read back holds, against what the state says it must hold.
 * One block is bs bytes, so bs/512 stamped sectors. */
#ifndef VERIFY_CHECK_H
#define VERIFY_CHECK_H

#include <stddef.h>
#include <stdint.h>

enum verdict {
	V_OK,		/* exactly the acknowledged write */
	V_UNWRITTEN,	/* never written by this run, and no stamp of it */
	V_MISSING,	/* acknowledged, but no stamp of this run at all */
	V_STALE,	/* a whole older write of this block */
	V_TORN,		/* sectors of different writes where none may mix */
	V_CORRUPT,	/* a stamp whose checksum does not match */
	V_MISPLACED,	/* a stamp naming another LBA, or one no write put here */
	V_UNC_OLD,	/* uncertain block: the content before the failed write */
	V_UNC_NEW,	/* uncertain block: the failed write landed whole */
	V_UNC_TORN,	/* uncertain block: sectors of both */
	V_COUNT
};

/* What the state expects of a block: acked is the sequence number of the
 * last acknowledged write (0: none); cand, when not 0, is a write that
 * failed, so that either may be there. */
struct expect {
	uint64_t first_lba;	/* the block's first 512-byte sector */
	uint64_t run_id;
	uint64_t acked, cand;
};

enum verdict check_block(const unsigned char *buf, size_t bs,
			 const struct expect *e);

/* A verdict fails the run when it is none of the legal ones. */
int verdict_fails(enum verdict v);
const char *verdict_name(enum verdict v);

/* One line saying what the block was expected to hold and what it holds,
 * sector runs compressed ("sectors 0-3 seq 17, sectors 4-7 no stamp"). */
void describe_block(const unsigned char *buf, size_t bs, const struct expect *e,
		    char *out, size_t outlen);

#endif
