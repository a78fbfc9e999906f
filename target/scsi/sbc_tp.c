/* Logical block provisioning, SBC-3 4.7 and 5.28/5.41-5.42/5.14: UNMAP,
 * WRITE SAME (10/16, with and without UNMAP, NDOB) and GET LBA STATUS.
 * Long operations run as a chain of backstore I/Os, one at a time, the
 * position kept in cmd->step. */
#include <string.h>

#include "scsi/core.h"

#define UNMAP_HDR_LEN 8
#define UNMAP_DESC_LEN 16
/* Largest single backstore write of a WRITE SAME pattern. */
#define WRITE_SAME_CHUNK (1u << 20)

int sbc_setup_unmap(struct scsi_cmd *cmd)
{
	uint32_t plen = get_be16(cmd->cdb + 7);

	/* SBC-3 5.28.1: a list too short for its own header. */
	if (plen > 0 && plen < UNMAP_HDR_LEN)
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	cmd->data_len = plen;
	cmd->dir = plen ? SCSI_DIR_WRITE : SCSI_DIR_NONE;
	return 0;
}

static const uint8_t *unmap_desc(const struct scsi_cmd *cmd, unsigned i)
{
	return cmd->buf + UNMAP_HDR_LEN + (size_t)i * UNMAP_DESC_LEN;
}

/* The descriptors that fit both the list and its block descriptor data
 * length; a trailing partial descriptor is ignored (SBC-3 5.28.2). */
static unsigned unmap_count(const struct scsi_cmd *cmd)
{
	uint32_t bddl = get_be16(cmd->buf + 2);
	uint32_t room = cmd->data_len - UNMAP_HDR_LEN;
	return MIN(bddl, room) / UNMAP_DESC_LEN;
}

/* Every descriptor is checked before any block is unmapped, so a bad list
 * changes nothing. */
static int unmap_check(struct scsi_cmd *cmd)
{
	unsigned n = unmap_count(cmd);

	if (n > SBC_MAX_UNMAP_DESCRIPTORS)
		return scsi_fail_param(cmd, 2, -1);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *d = unmap_desc(cmd, i);
		uint64_t lba = get_be64(d);
		uint32_t count = get_be32(d + 8);
		if (count > SBC_MAX_UNMAP_BLOCKS)
			return scsi_fail_param(cmd, UNMAP_HDR_LEN + i * UNMAP_DESC_LEN + 8, -1);
		if (!sbc_range_ok(cmd->lu, lba, count))
			return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	}
	return 0;
}

static void unmap_next(struct scsi_cmd *cmd, int err)
{
	unsigned n = unmap_count(cmd);
	uint32_t bs = cmd->lu->block_size;

	if (err) {
		scsi_fail(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR);
		scsi_cmd_complete(cmd);
		return;
	}
	while (cmd->step < n) {
		const uint8_t *d = unmap_desc(cmd, cmd->step++);
		uint32_t count = get_be32(d + 8);
		if (count) {
			scsi_cmd_io(cmd, BS_OP_DISCARD, 0, get_be64(d) * bs,
				    (uint64_t)count * bs, NULL, unmap_next);
			return;
		}
	}
	scsi_cmd_complete(cmd);
}

void sbc_unmap(struct scsi_cmd *cmd)
{
	if (cmd->data_len == 0 || unmap_check(cmd) < 0) {
		scsi_cmd_complete(cmd);
		return;
	}
	cmd->step = 0;
	unmap_next(cmd, 0);
}

/* WSNZ is clear in the block limits: zero blocks means from the LBA to
 * the end of the medium (SBC-3 5.41), and that many blocks meet MAXIMUM
 * WRITE SAME LENGTH like a count written in the CDB. The limit is what one
 * WRITE carries, because initiators size a WRITE by it (libiscsi fills the
 * range it then unmaps), so the pattern takes a few 1 MiB chunks at most.
 * UNMAP needs LBPWS; ANCHOR and the obsolete LBDATA/PBDATA bits are
 * refused by the CDB usage data. */
int sbc_setup_write_same(struct scsi_cmd *cmd)
{
	uint64_t lba;
	uint32_t n;
	bool sixteen = cmd->op->cdb_len == 16;
	const struct scsi_lu *lu = cmd->lu;

	sbc_decode_lba(cmd, &lba, &n);
	if (n == 0) {
		if (lba >= lu->nblocks)
			return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		n = (uint32_t)MIN(lu->nblocks - lba, (uint64_t)SBC_MAX_WRITE_SAME_BLOCKS + 1);
	}
	if (n > SBC_MAX_WRITE_SAME_BLOCKS)
		return scsi_fail_cdb(cmd, sixteen ? 10 : 7, -1);
	if (sbc_check_lba(cmd, lba, n, false) < 0)
		return -1;
	if (cmd->cdb[1] & 0x08) {
		if (!scsi_lu_emulate_tpws(cmd->lu))
			return scsi_fail_cdb(cmd, 1, 3);
		cmd->flags |= CMDF_UNMAP;
	}
	if (sixteen && (cmd->cdb[1] & 0x01)) {
		cmd->flags |= CMDF_NDOB;
	} else {
		cmd->data_len = cmd->lu->block_size;
		cmd->dir = SCSI_DIR_WRITE;
	}
	return 0;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

static uint64_t write_same_bytes(const struct scsi_cmd *cmd)
{
	return (uint64_t)cmd->nblocks * cmd->lu->block_size;
}

static void write_same_done(struct scsi_cmd *cmd, int err)
{
	if (err)
		scsi_fail_info(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR, cmd->lba);
	scsi_cmd_complete(cmd);
}

/* The pattern is written from aux, a chunk of repeated blocks; cmd->step
 * counts the chunks already written. */
static void write_same_next(struct scsi_cmd *cmd, int err)
{
	uint64_t total = write_same_bytes(cmd);
	uint64_t done = (uint64_t)cmd->step * cmd->aux_cap;

	if (err || done >= total) {
		write_same_done(cmd, err);
		return;
	}
	cmd->step++;
	scsi_cmd_io(cmd, BS_OP_WRITE, 0, cmd->lba * cmd->lu->block_size + done,
		    MIN(total - done, (uint64_t)cmd->aux_cap), cmd->aux,
		    write_same_next);
}

static void write_pattern(struct scsi_cmd *cmd)
{
	uint32_t bs = cmd->lu->block_size;
	uint64_t total = write_same_bytes(cmd);

	if (scsi_cmd_get_aux(cmd, MIN(total, (uint64_t)WRITE_SAME_CHUNK)) < 0) {
		cmd->status = SAM_STAT_BUSY;
		scsi_cmd_complete(cmd);
		return;
	}
	/* Pool buffers are powers of two of at least 4 KiB, so aux holds
	 * whole blocks and every chunk starts on a block boundary. */
	for (size_t off = 0; off < cmd->aux_cap; off += bs)
		memcpy(cmd->aux + off, cmd->buf, bs);
	cmd->step = 0;
	write_same_next(cmd, 0);
}

/* With UNMAP the blocks are deallocated when the backstore's discard reads
 * back zeroes (what LBPRZ promises); otherwise the data is written: zeroes
 * through the backstore's cheaper write-zeroes, anything else as a
 * pattern. */
void sbc_write_same(struct scsi_cmd *cmd)
{
	const struct scsi_lu *lu = cmd->lu;
	uint64_t off = cmd->lba * lu->block_size;
	bool zero = (cmd->flags & CMDF_NDOB) || all_zero(cmd->buf, lu->block_size);

	if ((cmd->flags & CMDF_UNMAP) && lu->bs->can_discard)
		scsi_cmd_io(cmd, BS_OP_DISCARD, 0, off, write_same_bytes(cmd), NULL,
			    write_same_done);
	else if (zero)
		scsi_cmd_io(cmd, BS_OP_WRITE_ZEROES, 0, off, write_same_bytes(cmd),
			    NULL, write_same_done);
	else
		write_pattern(cmd);
}

int sbc_setup_get_lba_status(struct scsi_cmd *cmd)
{
	uint64_t lba = get_be64(cmd->cdb + 2);

	if (lba >= cmd->lu->nblocks)
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	cmd->lba = lba;
	scsi_cmd_datain(cmd, get_be32(cmd->cdb + 10), 24);
	return 0;
}

/* The backstore does not say which blocks are allocated, so one extent to
 * the end of the medium (or 2^32-1 blocks) reports status 0h: mapped, or
 * unknown (SBC-4 5.8.2). */
void sbc_get_lba_status(struct scsi_cmd *cmd)
{
	uint64_t left = cmd->lu->nblocks - cmd->lba;
	uint8_t rsp[24];

	memset(rsp, 0, sizeof(rsp));
	put_be32(rsp, sizeof(rsp) - 4);
	put_be64(rsp + 8, cmd->lba);
	put_be32(rsp + 16, left > UINT32_MAX ? UINT32_MAX : (uint32_t)left);
	/* Nothing written since a SANITIZE BLOCK ERASE: deallocated. */
	if (atomic_load(&lu_core(cmd->lu)->sanitize_erased))
		rsp[20] = 0x01;
	scsi_cmd_respond(cmd, rsp, sizeof(rsp));
}
