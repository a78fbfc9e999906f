/* SBC-3 commands around the data path: READ CAPACITY (10/16), SYNCHRONIZE
 * CACHE (10/16), PRE-FETCH (10/16) and READ DEFECT DATA (10/12). The medium
 * is a fixed disk that is always spinning and has no defects. */
#include <string.h>

#include "scsi/core.h"

int sbc_setup_read_capacity10(struct scsi_cmd *cmd)
{
	/* SBC-3 5.16: without PMI the LBA field must be zero. */
	if (!(cmd->cdb[8] & 0x01) && get_be32(cmd->cdb + 2) != 0)
		return scsi_fail_cdb(cmd, 2, -1);
	scsi_cmd_datain(cmd, 8, 8);
	return 0;
}

void sbc_read_capacity10(struct scsi_cmd *cmd)
{
	const struct scsi_lu *lu = cmd->lu;
	uint64_t last = lu->nblocks - 1;
	uint8_t rsp[8];

	/* Too large for 32 bits: FFFFFFFFh sends the initiator to (16). */
	put_be32(rsp, last >= UINT32_MAX ? UINT32_MAX : (uint32_t)last);
	put_be32(rsp + 4, lu->block_size);
	scsi_cmd_respond(cmd, rsp, sizeof(rsp));
}

int sbc_setup_read_capacity16(struct scsi_cmd *cmd)
{
	scsi_cmd_datain(cmd, get_be32(cmd->cdb + 10), 32);
	return 0;
}

static uint8_t lbppbe(const struct scsi_lu *lu)
{
	uint32_t phys = lu->bs->phys_block_size;
	uint8_t e = 0;

	if (phys <= lu->block_size || phys % lu->block_size)
		return 0;
	for (uint32_t r = phys / lu->block_size; r > 1 && e < 15; r >>= 1)
		e++;
	return e;
}

void sbc_read_capacity16(struct scsi_cmd *cmd)
{
	const struct scsi_lu *lu = cmd->lu;
	uint8_t rsp[32];

	memset(rsp, 0, sizeof(rsp));
	put_be64(rsp, lu->nblocks - 1);
	put_be32(rsp + 8, lu->block_size);
	rsp[13] = lbppbe(lu);
	if (scsi_lu_emulate_tpu(lu)) {
		rsp[14] = 0x80;			/* LBPME */
		if (lu->bs->can_discard)
			rsp[14] |= 0x40;	/* LBPRZ */
	}
	scsi_cmd_respond(cmd, rsp, sizeof(rsp));
}

/* SYNCHRONIZE CACHE and PRE-FETCH: the blocks must exist, nothing moves.
 * For SYNCHRONIZE CACHE the range only bounds what must be flushed, and
 * flushing the whole device is always correct; IMMED is honoured by
 * finishing the flush first, which only makes the GOOD safer. PRE-FETCH
 * has no cache above the backstore to fill, and SBC-3 5.11 makes that
 * GOOD (CONDITION MET would promise the blocks are now cached). */
int sbc_setup_range(struct scsi_cmd *cmd)
{
	uint64_t lba;
	uint32_t n;

	sbc_decode_lba(cmd, &lba, &n);
	return sbc_check_lba(cmd, lba, n, false);
}

static void sync_cache_done(struct scsi_cmd *cmd, int err)
{
	if (err)
		scsi_fail(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
	scsi_cmd_complete(cmd);
}

void sbc_sync_cache(struct scsi_cmd *cmd)
{
	scsi_cmd_io(cmd, BS_OP_FLUSH, 0, 0, 0, NULL, sync_cache_done);
}

int sbc_setup_read_defect(struct scsi_cmd *cmd)
{
	bool twelve = cmd->op->cdb_len == 12;
	uint32_t alloc = twelve ? get_be32(cmd->cdb + 6) : get_be16(cmd->cdb + 7);

	scsi_cmd_datain(cmd, alloc, twelve ? 8 : 4);
	return 0;
}

/* SBC-3 5.18/5.19: an empty list in the format asked for, the requested
 * lists marked valid. */
void sbc_read_defect(struct scsi_cmd *cmd)
{
	bool twelve = cmd->op->cdb_len == 12;
	uint8_t rsp[8];

	memset(rsp, 0, sizeof(rsp));
	rsp[1] = cmd->cdb[twelve ? 1 : 2] & 0x1f;
	scsi_cmd_respond(cmd, rsp, twelve ? 8 : 4);
}
