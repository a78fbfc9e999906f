/* EXTENDED COPY (LID1), SPC-4 6.4: block-to-block copies (segment
 * descriptor 02h) between LUs of this target named by identification
 * descriptors (E4h) carrying their NAA designator.
 *
 * A copy target must be a LU the command's own I_T nexus has mapped: a copy
 * manager that resolved any designator of the daemon would let an
 * initiator read and overwrite LUs its ACL hides (LIO's CVE-2020-28374).
 * Reads of a source and writes to a destination meet that LU's
 * reservations and write protection as a READ or WRITE from the same
 * nexus would.
 *
 * The whole parameter list is checked, every segment included, before a
 * block moves; a segment is checked again when its turn comes, since a
 * reservation may have changed meanwhile. The copy is a chain of
 * backstore reads and writes through one bounded buffer from the worker's
 * pool; completions that arrive at once (ramdisk) return to a loop rather
 * than recursing, so the stack does not grow with the copy. */
#include <string.h>

#include "scsi/core.h"

/* Largest single read or write of a copy. */
#define XCOPY_CHUNK (1u << 20)

/* Copy source or destination, as one segment uses it. */
struct xc_segment {
	struct scsi_lu *src, *dst;
	uint64_t src_off, dst_off, bytes;
};

int spc_setup_xcopy(struct scsi_cmd *cmd)
{
	uint32_t plen = get_be32(cmd->cdb + 10);

	memset(&cmd->copy, 0, sizeof(cmd->copy));
	cmd->copy.held = -1;
	if (plen > XCOPY_HDR_LEN + XCOPY_MAX_DESC_LIST)
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	cmd->data_len = plen;
	cmd->dir = plen ? SCSI_DIR_WRITE : SCSI_DIR_NONE;
	return 0;
}

static uint16_t cscd_list_len(const struct scsi_cmd *cmd)
{
	return get_be16(cmd->buf + 2);
}

static uint32_t seg_list_end(const struct scsi_cmd *cmd)
{
	return XCOPY_HDR_LEN + cscd_list_len(cmd) + get_be32(cmd->buf + 8);
}

/* SPC-4 4.5.2.4.6 segment pointer (SD clear: the field is counted from the
 * start of the parameter list), and the segments processed before the
 * error in COMMAND-SPECIFIC INFORMATION. */
static int copy_abort(struct scsi_cmd *cmd, uint16_t asc, uint32_t field, int bit)
{
	struct scsi_sense s = {
		.key = SK_COPY_ABORTED, .asc = asc, .sks_valid = true,
		.csi_valid = true, .csi = cmd->copy.segs_done,
	};
	s.sks[0] = 0x80;
	if (bit >= 0)
		s.sks[0] |= 0x08 | (bit & 0x07);
	put_be16(s.sks + 1, (uint16_t)MIN(field, 0xffffu));
	return scsi_fail_sense(cmd, &s);
}

static int check_header(struct scsi_cmd *cmd)
{
	const uint8_t *p = cmd->buf;
	uint8_t usage;

	if (cmd->data_len < XCOPY_HDR_LEN)
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	uint64_t lists = (uint64_t)cscd_list_len(cmd) + get_be32(p + 8);
	if (XCOPY_HDR_LEN + lists + get_be32(p + 12) > cmd->data_len ||
	    lists > XCOPY_MAX_DESC_LIST)
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	usage = (p[1] >> 3) & 0x03;
	if (usage == 1)
		return scsi_fail_param(cmd, 1, 4);
	/* 11b: no list identifier, so it must be zero. */
	if (usage == 3 && p[0])
		return scsi_fail_param(cmd, 0, -1);
	/* Inline data only feeds stream devices, and there are none. */
	if (get_be32(p + 12))
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_INLINE_DATA_LENGTH_EXCEEDED);
	return 0;
}

static int fail_param_asc(struct scsi_cmd *cmd, uint16_t asc, uint32_t field)
{
	struct scsi_sense s = {
		.key = SK_ILLEGAL_REQUEST, .asc = asc, .sks_valid = true,
	};
	s.sks[0] = 0x80;
	put_be16(s.sks + 1, (uint16_t)MIN(field, 0xffffu));
	return scsi_fail_sense(cmd, &s);
}

/* Identification descriptors (E4h) only: LU ID TYPE 00b (the designator
 * names the LU), a block device, a designator that fits. */
static int check_cscds(struct scsi_cmd *cmd)
{
	uint16_t len = cscd_list_len(cmd);

	if (len % XCOPY_CSCD_LEN)
		return scsi_fail_param(cmd, 2, -1);
	if (len / XCOPY_CSCD_LEN > XCOPY_MAX_CSCD)
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_TOO_MANY_TARGET_DESCRIPTORS);
	for (uint32_t off = XCOPY_HDR_LEN; off < XCOPY_HDR_LEN + len;
	     off += XCOPY_CSCD_LEN) {
		const uint8_t *d = cmd->buf + off;
		if (d[0] != 0xe4)
			return fail_param_asc(cmd, ASC_UNSUPPORTED_TARGET_DESCRIPTOR, off);
		if (d[1] >> 6)
			return scsi_fail_param(cmd, off + 1, 7);
		if (d[1] & 0x1f)
			return scsi_fail_param(cmd, off + 1, 4);
		if (d[7] > 16)
			return scsi_fail_param(cmd, off + 7, -1);
	}
	return 0;
}

static int check_segments(struct scsi_cmd *cmd)
{
	uint32_t end = seg_list_end(cmd);
	unsigned n = 0;

	for (uint32_t off = XCOPY_HDR_LEN + cscd_list_len(cmd); off < end;) {
		const uint8_t *d = cmd->buf + off;
		if (end - off < 4 || end - off < 4u + get_be16(d + 2))
			return scsi_fail_param(cmd, 8, -1);
		if (++n > XCOPY_MAX_SEGMENTS)
			return scsi_fail(cmd, SK_ILLEGAL_REQUEST,
					 ASC_TOO_MANY_SEGMENT_DESCRIPTORS);
		if (d[0] != 0x02)
			return fail_param_asc(cmd, ASC_UNSUPPORTED_SEGMENT_DESCRIPTOR, off);
		if (get_be16(d + 2) != XCOPY_B2B_LEN - 4)
			return scsi_fail_param(cmd, off + 2, -1);
		off += XCOPY_B2B_LEN;
	}
	return 0;
}

/* The LU the nexus reaches under this NAA designator, and whether it may
 * write to it through at least one of its LUNs. */
static struct scsi_lu *find_lu(const struct scsi_cmd *cmd, const uint8_t *desig,
			       bool *writable)
{
	const struct scsi_lun_table *t = cmd->nexus ? cmd->nexus->luns : NULL;
	struct scsi_lu *found = NULL;

	*writable = false;
	/* Binary code set, LU association, NAA, as VPD 83h reports it. */
	if (!t || (desig[0] & 0x0f) != 0x01 || (desig[1] & 0x3f) != 0x03 ||
	    desig[3] != sizeof(found->cfg.naa))
		return NULL;
	for (unsigned i = 0; i < t->count; i++) {
		struct scsi_lu *lu = t->ent[i].lu;
		if (!lu || memcmp(lu->cfg.naa, desig + 4, sizeof(lu->cfg.naa)))
			continue;
		found = lu;
		if (!t->ent[i].write_protect)
			*writable = true;
	}
	return found;
}

/* Whether the nexus may read (or write) lu now, as a READ(10) or
 * WRITE(10) of its own would find out; sets RESERVATION CONFLICT if not. */
static int pr_allows(struct scsi_cmd *cmd, struct scsi_lu *lu, bool write)
{
	struct scsi_cmd probe;

	memset(&probe, 0, sizeof(probe));
	probe.lu = lu;
	probe.nexus = cmd->nexus;
	probe.cdb[0] = write ? 0x2a : 0x28;
	if (scsi_pr_check(&probe) == 0)
		return 0;
	cmd->status = probe.status;
	cmd->sense_len = 0;
	return -1;
}

static struct scsi_lu *resolve(struct scsi_cmd *cmd, uint16_t index, bool write)
{
	uint32_t off = XCOPY_HDR_LEN + (uint32_t)index * XCOPY_CSCD_LEN;
	const uint8_t *d = cmd->buf + off;
	bool writable;

	/* NUL: a null device, which this copy manager does not provide. */
	if (d[1] & 0x20) {
		copy_abort(cmd, ASC_COPY_TARGET_NOT_REACHABLE, off + 1, 5);
		return NULL;
	}
	struct scsi_lu *lu = find_lu(cmd, d + 4, &writable);
	if (!lu) {
		copy_abort(cmd, ASC_COPY_TARGET_NOT_REACHABLE, off + 4, -1);
		return NULL;
	}
	if (get_be24(d + 29) != lu->block_size) {
		scsi_fail_param(cmd, off + 29, -1);
		return NULL;
	}
	if (write && (!writable || lu->cfg.readonly ||
		      atomic_load_explicit(&lu_core(lu)->swp, memory_order_relaxed))) {
		scsi_fail(cmd, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return NULL;
	}
	return pr_allows(cmd, lu, write) < 0 ? NULL : lu;
}

/* Everything one block-to-block segment needs, checked: its targets, its
 * length in whole blocks of both, its ranges. */
static int prepare_segment(struct scsi_cmd *cmd, uint32_t off, struct xc_segment *sg)
{
	const uint8_t *d = cmd->buf + off;
	unsigned ncscd = cscd_list_len(cmd) / XCOPY_CSCD_LEN;
	uint16_t si = get_be16(d + 4), di = get_be16(d + 6);

	if (si >= ncscd)
		return copy_abort(cmd, ASC_COPY_TARGET_NOT_REACHABLE, off + 4, -1);
	if (di >= ncscd)
		return copy_abort(cmd, ASC_COPY_TARGET_NOT_REACHABLE, off + 6, -1);
	sg->src = resolve(cmd, si, false);
	if (!sg->src)
		return -1;
	sg->dst = resolve(cmd, di, true);
	if (!sg->dst)
		return -1;
	uint32_t sbs = sg->src->block_size, dbs = sg->dst->block_size;
	/* DC: the count is in destination blocks, else in source blocks. */
	sg->bytes = (uint64_t)get_be16(d + 10) * ((d[1] & 0x02) ? dbs : sbs);
	if (sg->bytes % sbs || sg->bytes % dbs)
		return copy_abort(cmd, ASC_UNEXPECTED_INEXACT_SEGMENT, off + 10, -1);
	uint64_t slba = get_be64(d + 12), dlba = get_be64(d + 20);
	if (!sbc_range_ok(sg->src, slba, sg->bytes / sbs))
		return copy_abort(cmd, ASC_NO_ADDITIONAL, off + 12, -1);
	if (!sbc_range_ok(sg->dst, dlba, sg->bytes / dbs))
		return copy_abort(cmd, ASC_NO_ADDITIONAL, off + 20, -1);
	sg->src_off = slba * sbs;
	sg->dst_off = dlba * dbs;
	return 0;
}

/* Checks every segment; returns the bytes the copy moves, or -1. */
static int64_t check_all_segments(struct scsi_cmd *cmd)
{
	uint32_t end = seg_list_end(cmd);
	struct xc_segment sg;
	int64_t total = 0;

	for (uint32_t off = XCOPY_HDR_LEN + cscd_list_len(cmd); off < end;
	     off += XCOPY_B2B_LEN) {
		if (prepare_segment(cmd, off, &sg) < 0)
			return -1;
		total += (int64_t)sg.bytes;
	}
	return total;
}

static void finish(struct scsi_cmd *cmd)
{
	if (cmd->copy.held >= 0)
		xcopy_unhold(cmd);
	scsi_cmd_complete(cmd);
}

static void copy_run(struct scsi_cmd *cmd);

static void io_done(struct scsi_cmd *cmd, int err)
{
	cmd->copy.err = err;
	cmd->copy.io_pending = false;
	if (!cmd->copy.in_run)
		copy_run(cmd);
}

static void submit(struct scsi_cmd *cmd, struct scsi_lu *lu, enum bs_op op,
		   uint64_t off)
{
	cmd->copy.io_pending = true;
	scsi_cmd_io_lu(cmd, lu, op, 0, off, cmd->copy.chunk, cmd->aux, io_done);
}

/* Takes the result of the I/O that just ended and starts the next one.
 * False: the command is over (and may already be released). */
static bool copy_step(struct scsi_cmd *cmd)
{
	struct scsi_copy_state *st = &cmd->copy;
	struct xc_segment sg;

	if (st->err) {
		copy_abort(cmd, st->writing ? ASC_WRITE_ERROR : ASC_UNRECOVERED_READ_ERROR,
			   st->next_seg - XCOPY_B2B_LEN, -1);
		finish(cmd);
		return false;
	}
	if (st->chunk && !st->writing) {
		st->writing = true;
		submit(cmd, st->dst, BS_OP_WRITE, st->dst_off);
		return true;
	}
	if (st->chunk) {
		st->src_off += st->chunk;
		st->dst_off += st->chunk;
		st->left -= st->chunk;
		st->copied += st->chunk;
		st->chunk = 0;
		st->writing = false;
	}
	while (st->left == 0) {
		if (st->active) {
			st->segs_done++;
			st->active = false;
		}
		if (st->next_seg >= seg_list_end(cmd)) {
			finish(cmd);
			return false;
		}
		if (prepare_segment(cmd, st->next_seg, &sg) < 0) {
			finish(cmd);
			return false;
		}
		st->next_seg += XCOPY_B2B_LEN;
		st->active = true;
		st->src = sg.src;
		st->dst = sg.dst;
		st->src_off = sg.src_off;
		st->dst_off = sg.dst_off;
		st->left = sg.bytes;
	}
	st->chunk = (uint32_t)MIN(st->left, (uint64_t)cmd->aux_cap);
	submit(cmd, st->src, BS_OP_READ, st->src_off);
	return true;
}

static void copy_run(struct scsi_cmd *cmd)
{
	cmd->copy.in_run = true;
	while (copy_step(cmd)) {
		if (cmd->copy.io_pending) {
			cmd->copy.in_run = false;
			return;
		}
	}
}

void spc_xcopy(struct scsi_cmd *cmd)
{
	/* SPC-4 6.4.1: a zero-length parameter list copies nothing. */
	if (cmd->data_len == 0) {
		scsi_cmd_complete(cmd);
		return;
	}
	if (check_header(cmd) < 0 || check_cscds(cmd) < 0 ||
	    check_segments(cmd) < 0) {
		scsi_cmd_complete(cmd);
		return;
	}
	int64_t total = check_all_segments(cmd);
	if (total < 0) {
		scsi_cmd_complete(cmd);
		return;
	}
	/* LIST ID USAGE 00b: the results are held for RECEIVE COPY RESULTS. */
	if (((cmd->buf[1] >> 3) & 0x03) == 0 && xcopy_hold(cmd, cmd->buf[0]) < 0) {
		scsi_cmd_complete(cmd);
		return;
	}
	if (total > 0 &&
	    scsi_cmd_get_aux(cmd, (size_t)MIN((uint64_t)total, (uint64_t)XCOPY_CHUNK)) < 0) {
		cmd->status = SAM_STAT_BUSY;
		finish(cmd);
		return;
	}
	cmd->copy.next_seg = XCOPY_HDR_LEN + cscd_list_len(cmd);
	copy_run(cmd);
}
