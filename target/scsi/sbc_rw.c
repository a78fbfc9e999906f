/* The data path, SBC-3 5.7-5.33: READ and WRITE (6/10/12/16), VERIFY and
 * WRITE AND VERIFY (10/12/16). READ and WRITE are one backstore I/O on the
 * buffer setup allocated; verify commands read into the aux buffer and
 * compare. */
#include <string.h>

#include "scsi/core.h"

void sbc_decode_lba(const struct scsi_cmd *cmd, uint64_t *lba, uint32_t *n)
{
	const uint8_t *cdb = cmd->cdb;

	switch (cmd->op->cdb_len) {
	case 6:
		*lba = get_be24(cdb + 1) & 0x1fffff;
		*n = cdb[4];
		break;
	case 10:
		*lba = get_be32(cdb + 2);
		*n = get_be16(cdb + 7);
		break;
	case 12:
		*lba = get_be32(cdb + 2);
		*n = get_be32(cdb + 6);
		break;
	default:
		*lba = get_be64(cdb + 2);
		*n = get_be32(cdb + 10);
		break;
	}
}

/* Where the transfer length sits, for the sense field pointer. */
static unsigned length_byte(const struct scsi_cmd *cmd)
{
	switch (cmd->op->cdb_len) {
	case 6:
		return 4;
	case 10:
		return 7;
	case 12:
		return 6;
	default:
		return 10;
	}
}

int sbc_check_lba(struct scsi_cmd *cmd, uint64_t lba, uint32_t n, bool transfer)
{
	struct scsi_lu *lu = cmd->lu;

	if (!sbc_range_ok(lu, lba, n))
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	if (transfer && (uint64_t)n * lu->block_size > SCSI_MAX_XFER_BYTES)
		return scsi_fail_cdb(cmd, length_byte(cmd), -1);
	cmd->lba = lba;
	cmd->nblocks = n;
	return 0;
}

int sbc_setup_rw(struct scsi_cmd *cmd)
{
	uint64_t lba;
	uint32_t n;

	sbc_decode_lba(cmd, &lba, &n);
	/* SBC-3 5.10: in READ(6) and WRITE(6) zero means 256 blocks. */
	if (cmd->op->cdb_len == 6 && n == 0)
		n = 256;
	if (sbc_check_lba(cmd, lba, n, true) < 0)
		return -1;
	if (cmd->op->cdb_len > 6 && (cmd->cdb[1] & 0x08))
		cmd->flags |= CMDF_FUA;
	bool write = cmd->op->flags & OPF_STAT_WRITE;
	if (scsi_atomic_conflict(cmd, !write)) {
		cmd->status = SAM_STAT_BUSY;
		return -1;
	}
	cmd->data_len = n * cmd->lu->block_size;
	if (n)
		cmd->dir = write ? SCSI_DIR_WRITE : SCSI_DIR_READ;
	if (write)
		cmd->flags |= CMDF_BLOCK_XFER;
	return 0;
}

static uint64_t byte_offset(const struct scsi_cmd *cmd)
{
	return cmd->lba * cmd->lu->block_size;
}

static void read_done(struct scsi_cmd *cmd, int err)
{
	if (err)
		scsi_fail_info(cmd, SK_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR,
			       cmd->lba);
	scsi_cmd_complete(cmd);
}

void sbc_read(struct scsi_cmd *cmd)
{
	if (cmd->nblocks == 0) {
		scsi_cmd_complete(cmd);
		return;
	}
	scsi_cmd_io(cmd, BS_OP_READ, 0, byte_offset(cmd), cmd->data_len,
		    cmd->buf, read_done);
}

static void write_done(struct scsi_cmd *cmd, int err)
{
	if (err)
		scsi_fail_info(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR, cmd->lba);
	scsi_cmd_complete(cmd);
}

static unsigned bs_flags(const struct scsi_cmd *cmd)
{
	return (cmd->flags & CMDF_FUA) ? BS_F_FUA : 0;
}

void sbc_write(struct scsi_cmd *cmd)
{
	if (cmd->nblocks == 0) {
		scsi_cmd_complete(cmd);
		return;
	}
	scsi_cmd_io(cmd, BS_OP_WRITE, bs_flags(cmd), byte_offset(cmd),
		    cmd->data_len, cmd->buf, write_done);
}

bool sbc_find_mismatch(const uint8_t *a, const uint8_t *b, size_t len, size_t *off)
{
	if (memcmp(a, b, len) == 0)
		return false;
	size_t i = 0;
	while (a[i] == b[i])
		i++;
	*off = i;
	return true;
}

/* BYTCHK, SBC-3 5.33 (and SBC-4 for 11b): 00b checks the medium only, 01b
 * compares with as many blocks of data-out, 11b with one block repeated. */
int sbc_setup_verify(struct scsi_cmd *cmd)
{
	uint64_t lba;
	uint32_t n;
	uint8_t bytchk = (cmd->cdb[1] >> 1) & 0x03;
	uint32_t bs = cmd->lu->block_size;

	sbc_decode_lba(cmd, &lba, &n);
	if (bytchk == 2)
		return scsi_fail_cdb(cmd, 1, 2);
	if (sbc_check_lba(cmd, lba, n, true) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (bytchk) {
		cmd->flags |= CMDF_BYTCHK | (bytchk == 3 ? CMDF_BYTCHK_ONE : 0);
		cmd->data_len = bytchk == 3 ? bs : n * bs;
		cmd->dir = SCSI_DIR_WRITE;
	}
	if (scsi_cmd_get_aux(cmd, (size_t)n * bs) < 0) {
		cmd->status = SAM_STAT_BUSY;
		return -1;
	}
	return 0;
}

static void verify_read(struct scsi_cmd *cmd, int err)
{
	uint32_t bs = cmd->lu->block_size;
	size_t off;

	if (err) {
		scsi_fail_info(cmd, SK_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR,
			       cmd->lba);
	} else if (cmd->flags & CMDF_BYTCHK_ONE) {
		for (uint32_t i = 0; i < cmd->nblocks; i++) {
			if (sbc_find_mismatch(cmd->buf, cmd->aux + (size_t)i * bs,
					      bs, &off)) {
				scsi_fail_info(cmd, SK_MISCOMPARE,
					       ASC_MISCOMPARE_DURING_VERIFY,
					       (uint64_t)i * bs + off);
				break;
			}
		}
	} else if ((cmd->flags & CMDF_BYTCHK) &&
		   sbc_find_mismatch(cmd->buf, cmd->aux,
				     (size_t)cmd->nblocks * bs, &off)) {
		scsi_fail_info(cmd, SK_MISCOMPARE, ASC_MISCOMPARE_DURING_VERIFY, off);
	}
	scsi_cmd_complete(cmd);
}

void sbc_verify(struct scsi_cmd *cmd)
{
	if (cmd->nblocks == 0) {
		scsi_cmd_complete(cmd);
		return;
	}
	scsi_cmd_io(cmd, BS_OP_READ, 0, byte_offset(cmd),
		    (uint64_t)cmd->nblocks * cmd->lu->block_size, cmd->aux,
		    verify_read);
}

/* WRITE AND VERIFY writes through to the medium (FUA), reads the blocks
 * back, and with BYTCHK 01b compares them with what was written. */
int sbc_setup_write_verify(struct scsi_cmd *cmd)
{
	uint8_t bytchk = (cmd->cdb[1] >> 1) & 0x03;

	if (bytchk > 1)
		return scsi_fail_cdb(cmd, 1, 2);
	if (sbc_setup_rw(cmd) < 0)
		return -1;
	cmd->flags |= CMDF_FUA | (bytchk ? CMDF_BYTCHK : 0);
	if (cmd->nblocks && scsi_cmd_get_aux(cmd, cmd->data_len) < 0) {
		cmd->status = SAM_STAT_BUSY;
		return -1;
	}
	return 0;
}

static void write_verify_written(struct scsi_cmd *cmd, int err)
{
	if (err) {
		write_done(cmd, err);
		return;
	}
	scsi_cmd_io(cmd, BS_OP_READ, 0, byte_offset(cmd), cmd->data_len,
		    cmd->aux, verify_read);
}

void sbc_write_verify(struct scsi_cmd *cmd)
{
	if (cmd->nblocks == 0) {
		scsi_cmd_complete(cmd);
		return;
	}
	scsi_cmd_io(cmd, BS_OP_WRITE, BS_F_FUA, byte_offset(cmd),
		    cmd->data_len, cmd->buf, write_verify_written);
}
