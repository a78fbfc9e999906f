/* A command's life in the core: setup (look the opcode up, check what every
 * command shares, let the opcode decode its CDB, get the data buffer),
 * execute, complete, release. The order of the shared checks follows SAM-5
 * 5.3: LUN, opcode, CDB bits, unit attention, reservation, write
 * protection, then the opcode's own fields. */
#include <string.h>

#include "scsi/core.h"

void scsi_cmd_init(struct scsi_cmd *cmd)
{
	cmd->dir = SCSI_DIR_NONE;
	cmd->data_len = 0;
	cmd->buf = NULL;
	cmd->buf_cap = 0;
	cmd->status = SAM_STAT_GOOD;
	cmd->sense_len = 0;
	cmd->lu = NULL;
	cmd->lba = 0;
	cmd->nblocks = 0;
	cmd->step = 0;
	cmd->next = NULL;
	cmd->aux = NULL;
	cmd->aux_cap = 0;
	cmd->op = NULL;
	cmd->flags = 0;
	list_init(&cmd->link);
}

bool scsi_cmd_write_protected(const struct scsi_cmd *cmd)
{
	const struct scsi_lu *lu = cmd->lu;
	return lu->cfg.readonly || cmd->lun_ent->write_protect ||
	       atomic_load_explicit(&lu_core(lu)->swp, memory_order_relaxed);
}

/* The first CDB bit set that the opcode's usage data does not allow.
 * Vendor-specific bits of the control byte are ignored, not refused. */
static int check_cdb_bits(struct scsi_cmd *cmd, const struct scsi_op *op)
{
	unsigned last = op->cdb_len - 1u;
	for (unsigned i = 1; i <= last; i++) {
		uint8_t allowed = op->usage[i];
		if (i == last)
			allowed |= 0xc0;
		uint8_t bad = cmd->cdb[i] & (uint8_t)~allowed;
		if (bad) {
			int bit = 7;
			while (!(bad & (1u << bit)))
				bit--;
			return scsi_fail_cdb(cmd, i, bit);
		}
	}
	return 0;
}

static int check_lu(struct scsi_cmd *cmd, const struct scsi_op *op)
{
	uint16_t asc;
	int ua = scsi_ua_check(cmd->lu, cmd->nexus, !(op->flags & OPF_NO_UA), &asc);
	if (ua < 0) {
		cmd->status = SAM_STAT_BUSY;
		return -1;
	}
	if (ua > 0)
		return scsi_fail(cmd, SK_UNIT_ATTENTION, asc);
	if (scsi_pr_check(cmd) < 0)
		return -1;
	if ((op->flags & OPF_WRITE) && scsi_cmd_write_protected(cmd))
		return scsi_fail(cmd, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
	return 0;
}

static int setup(struct scsi_cmd *cmd)
{
	bool bad_sa = false;
	const struct scsi_op *op = scsi_op_lookup(cmd->cdb, &bad_sa);

	cmd->lu = cmd->lun_ent ? cmd->lun_ent->lu : NULL;
	if (!cmd->lu) {
		if (!op || !(op->flags & OPF_NO_LU))
			return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_LU_NOT_SUPPORTED);
	} else if (!op || !scsi_op_supported(op, cmd->lu)) {
		/* An unknown service action of a known opcode is a bad CDB
		 * field (SPC-4 4.2.1), not an unknown command; of an opcode
		 * the LU offers none of (SANITIZE, off), it is unknown. */
		if (bad_sa && scsi_opcode_supported(cmd->cdb[0], cmd->lu))
			return scsi_fail_cdb(cmd, 1, 4);
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
	}
	cmd->op = op;
	if (cmd->cdb_len < op->cdb_len)
		return scsi_fail_cdb(cmd, 0, -1);
	/* While a sanitize runs, SBC-4 4.11 refuses every command but a few
	 * whatever its fields or a pending unit attention, which waits. */
	if (cmd->lu) {
		unsigned mode = atomic_load_explicit(&lu_core(cmd->lu)->sanitize_mode,
						     memory_order_relaxed);
		if (mode && scsi_sanitize_check(cmd, mode) < 0)
			return -1;
	}
	if (check_cdb_bits(cmd, op) < 0)
		return -1;
	if (cmd->lu && check_lu(cmd, op) < 0)
		return -1;
	if (op->setup(cmd) < 0)
		return -1;
	/* WRITE SAME and COMPARE AND WRITE carry exactly the data their CDB
	 * describes: any other expected length means the CDB is not what the
	 * initiator meant (e.g. a block count that wrapped in its 8 bits). */
	if ((op->flags & OPF_EXACT_DATAOUT) && cmd->edtl != cmd->data_len)
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	if (cmd->data_len > 0) {
		cmd->buf = bufpool_get(cmd->pool, cmd->data_len, &cmd->buf_cap);
		if (!cmd->buf) {
			cmd->status = SAM_STAT_BUSY;
			return -1;
		}
	}
	return 0;
}

int scsi_cmd_setup(struct scsi_cmd *cmd)
{
	if (setup(cmd) == 0)
		return 0;
	cmd->dir = SCSI_DIR_NONE;
	cmd->data_len = 0;
	if (cmd->lu)
		atomic_fetch_add_explicit(&cmd->lu->stats.errors, 1,
					  memory_order_relaxed);
	return -1;
}

void scsi_cmd_execute(struct scsi_cmd *cmd)
{
	cmd->op->exec(cmd);
}

void scsi_cmd_complete(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;

	if (lu) {
		struct scsi_lu_stats *st = &lu->stats;
		uint64_t bytes = 0;
		if (cmd->status == SAM_STAT_GOOD)
			bytes = (uint64_t)cmd->nblocks * lu->block_size;
		else
			atomic_fetch_add_explicit(&st->errors, 1, memory_order_relaxed);
		if (cmd->op->flags & OPF_STAT_READ) {
			atomic_fetch_add_explicit(&st->read_cmds, 1, memory_order_relaxed);
			atomic_fetch_add_explicit(&st->read_bytes, bytes, memory_order_relaxed);
		} else if (cmd->op->flags & OPF_STAT_WRITE) {
			atomic_fetch_add_explicit(&st->write_cmds, 1, memory_order_relaxed);
			atomic_fetch_add_explicit(&st->write_bytes, bytes, memory_order_relaxed);
		} else {
			atomic_fetch_add_explicit(&st->other_cmds, 1, memory_order_relaxed);
		}
	}
	if (cmd->status != SAM_STAT_GOOD && cmd->dir == SCSI_DIR_READ)
		cmd->data_len = 0;
	cmd->ops->done(cmd);
}

void scsi_cmd_release(struct scsi_cmd *cmd)
{
	if (cmd->flags & CMDF_RANGE_HELD)
		scsi_atomic_release(cmd);
	bufpool_put(cmd->pool, cmd->buf, cmd->buf_cap);
	bufpool_put(cmd->pool, cmd->aux, cmd->aux_cap);
	cmd->buf = cmd->aux = NULL;
	cmd->buf_cap = cmd->aux_cap = 0;
}

void scsi_cmd_datain(struct scsi_cmd *cmd, uint32_t alloc_len, uint32_t max_len)
{
	cmd->data_len = alloc_len < max_len ? alloc_len : max_len;
	cmd->dir = cmd->data_len ? SCSI_DIR_READ : SCSI_DIR_NONE;
}

void scsi_cmd_respond(struct scsi_cmd *cmd, const void *data, size_t len)
{
	if (len < cmd->data_len)
		cmd->data_len = (uint32_t)len;
	if (cmd->data_len)
		memcpy(cmd->buf, data, cmd->data_len);
	scsi_cmd_complete(cmd);
}

int scsi_cmd_get_aux(struct scsi_cmd *cmd, size_t len)
{
	cmd->aux = bufpool_get(cmd->pool, len, &cmd->aux_cap);
	return cmd->aux ? 0 : -1;
}

static void io_done(struct bs_io *io, int err)
{
	struct scsi_cmd *cmd = io->priv;
	cmd->next(cmd, err);
}

void scsi_cmd_io_lu(struct scsi_cmd *cmd, struct scsi_lu *lu, enum bs_op op,
		    unsigned flags, uint64_t offset, uint64_t len, void *buf,
		    void (*next)(struct scsi_cmd *cmd, int err))
{
	cmd->next = next;
	cmd->bio = (struct bs_io){
		.op = op, .flags = flags, .offset = offset, .len = len,
		.buf = buf, .done = io_done, .priv = cmd,
	};
	if (op == BS_OP_WRITE || op == BS_OP_WRITE_ZEROES)
		scsi_sanitize_written(lu);
	bs_submit(lu->bs, cmd->ring, &cmd->bio);
}

void scsi_cmd_io(struct scsi_cmd *cmd, enum bs_op op, unsigned flags,
		 uint64_t offset, uint64_t len, void *buf,
		 void (*next)(struct scsi_cmd *cmd, int err))
{
	scsi_cmd_io_lu(cmd, cmd->lu, op, flags, offset, len, buf, next);
}

int scsi_cmd_shorten(struct scsi_cmd *cmd, uint32_t len)
{
	uint32_t bs = cmd->lu ? cmd->lu->block_size : 0;

	if (!(cmd->flags & CMDF_BLOCK_XFER) || !bs || len % bs || len > cmd->data_len)
		return -1;
	cmd->nblocks = len / bs;
	cmd->data_len = len;
	if (!len)
		cmd->dir = SCSI_DIR_NONE;
	return 0;
}
