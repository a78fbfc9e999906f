/* The dispatch table: every command the core implements, with its CDB
 * length, flags, handlers and CDB usage data (SPC-4 6.35.3). Opcodes with
 * service actions point to a small sub-table sorted by service action.
 * Anything absent (SET TARGET PORT GROUPS, EXTENDED COPY LID4...) is INVALID
 * COMMAND OPERATION CODE. */
#include "scsi/core.h"

/* Bits a feature we lack would use (RDPROTECT and its kin without
 * protection information, ANCHOR, LOEJ on a fixed disk, NACA) are left out
 * of the usage data, so setting them is INVALID FIELD IN CDB. START STOP
 * UNIT and PREVENT ALLOW MEDIUM REMOVAL have nothing to do on a fixed disk
 * that is always spinning; the power condition is accepted and ignored. */
#define CTL 0x00	/* control byte: NACA and LINK unsupported */
#define GRP 0x1f	/* group number: accepted, ignored */
#define L4 0xff, 0xff, 0xff, 0xff
#define L8 L4, L4

#define OP(code, len, fl, su, ex, ...)                                        \
	[code] = { .opcode = code, .cdb_len = len, .flags = fl,               \
		   .setup = su, .exec = ex, .usage = { code, __VA_ARGS__ } }
#define SA(code, sact, len, fl, su, ex, ...)                                  \
	{ .opcode = code, .sa = sact, .has_sa = true, .cdb_len = len,         \
	  .flags = fl, .setup = su, .exec = ex, .usage = { code, __VA_ARGS__ } }
#define SA_GROUP(code, tab)                                                   \
	[code] = { .opcode = code, .sa_tab = tab, .n_sa = ARRAY_SIZE(tab) }

#define RD OPF_STAT_READ
#define WR (OPF_WRITE | OPF_STAT_WRITE)

/* SERVICE ACTION IN(16) */
static const struct scsi_op sai16[] = {
	SA(0x9e, 0x10, 16, 0, sbc_setup_read_capacity16, sbc_read_capacity16,
	   0x10, L8, L4, 0x00, CTL),
	SA(0x9e, 0x12, 16, OPF_TPU, sbc_setup_get_lba_status, sbc_get_lba_status,
	   0x12, L8, L4, 0x00, CTL),
};

/* THIRD-PARTY COPY OUT: EXTENDED COPY (LID1) only. It writes to whichever
 * LU its descriptors name, so xcopy.c checks write protection itself. */
static const struct scsi_op copy_out[] = {
	SA(0x83, 0x00, 16, OPF_3PC, spc_setup_xcopy, spc_xcopy,
	   0x00, 0, 0, 0, 0, 0, 0, 0, 0, L4, 0, CTL),
};

/* THIRD-PARTY COPY IN: RECEIVE COPY RESULTS (LID1) */
#define RCR(sact, list) SA(0x84, sact, 16, OPF_3PC, spc_setup_rcr, spc_rcr,   \
			   sact, list, 0, 0, 0, 0, 0, 0, L4, 0, CTL)
static const struct scsi_op copy_in[] = {
	RCR(0x00, 0xff), RCR(0x03, 0x00), RCR(0x04, 0xff),
};

/* MAINTENANCE IN */
static const struct scsi_op maint_in[] = {
	SA(0xa3, 0x0a, 12, 0, spc_setup_rtpg, spc_rtpg,
	   0xea, 0, 0, 0, 0, L4, 0, CTL),
	SA(0xa3, 0x0c, 12, 0, spc_setup_rsoc, spc_rsoc,
	   0x0c, 0x87, 0xff, 0xff, 0xff, L4, 0, CTL),
};

/* PERSISTENT RESERVE IN */
#define PRIN(sact) SA(0x5e, sact, 10, 0, pr_setup_in, pr_in,                  \
		      sact, 0, 0, 0, 0, 0, 0xff, 0xff, CTL)
static const struct scsi_op pr_in_sa[] = {
	PRIN(0x00), PRIN(0x01), PRIN(0x02), PRIN(0x03),
};

/* PERSISTENT RESERVE OUT; SCOPE and TYPE are checked by each action.
 * REPLACE LOST RESERVATION (08h) is not offered: a LU whose store does not
 * validate is not attached, so a served LU has not lost its reservation. */
#define PROUT(sact) SA(0x5f, sact, 10, 0, pr_setup_out, pr_out,               \
		       sact, 0xff, 0, 0, L4, CTL)
static const struct scsi_op pr_out_sa[] = {
	PROUT(0x00), PROUT(0x01), PROUT(0x02), PROUT(0x03),
	PROUT(0x04), PROUT(0x05), PROUT(0x06), PROUT(0x07),
};

/* SANITIZE: OVERWRITE, BLOCK ERASE, EXIT FAILURE MODE, with IMMED and
 * AUSE; CRYPTO ERASE is absent. Offered per LU (scsi_sanitize_supported). */
#define SAN(sact)                                                             \
	{ .opcode = 0x48, .sa = sact, .has_sa = true, .cdb_len = 10,          \
	  .flags = OPF_WRITE | OPF_SANITIZE, .setup = sbc_setup_sanitize,      \
	  .exec = sbc_sanitize, .abort = sbc_sanitize_abort,                   \
	  .usage = { 0x48, 0xa0 | sact, 0, 0, 0, 0, 0, 0xff, 0xff, CTL } }
static const struct scsi_op sanitize_sa[] = {
	SAN(SANITIZE_OVERWRITE), SAN(SANITIZE_BLOCK_ERASE),
	SAN(SANITIZE_EXIT_FAILURE_MODE),
};

const struct scsi_op scsi_optab[256] = {
	OP(0x00, 6, 0, spc_setup_none, spc_good, 0, 0, 0, 0, CTL),
	OP(0x03, 6, OPF_NO_LU | OPF_NO_UA, spc_setup_request_sense,
	   spc_request_sense, 0x01, 0, 0, 0xff, CTL),
	OP(0x08, 6, RD, sbc_setup_rw, sbc_read, 0x1f, 0xff, 0xff, 0xff, CTL),
	OP(0x0a, 6, WR, sbc_setup_rw, sbc_write, 0x1f, 0xff, 0xff, 0xff, CTL),
	OP(0x12, 6, OPF_NO_LU | OPF_NO_UA, spc_setup_inquiry, spc_inquiry,
	   0x01, 0xff, 0xff, 0xff, CTL),
	OP(0x15, 6, 0, spc_setup_mode_select, spc_mode_select,
	   0x11, 0, 0, 0xff, CTL),
	/* SPC-2 RESERVE/RELEASE of the whole LU: no third party, no
	 * extents, no parameter list. */
	OP(0x16, 6, 0, spc_setup_none, pr_spc2_reserve, 0, 0, 0, 0, CTL),
	OP(0x17, 6, 0, spc_setup_none, pr_spc2_release, 0, 0, 0, 0, CTL),
	OP(0x1a, 6, 0, spc_setup_mode_sense, spc_mode_sense,
	   0x08, 0xff, 0xff, 0xff, CTL),
	OP(0x1b, 6, 0, spc_setup_none, spc_good, 0x01, 0, 0x0f, 0xf5, CTL),
	OP(0x1e, 6, 0, spc_setup_none, spc_good, 0, 0, 0, 0x03, CTL),
	OP(0x25, 10, 0, sbc_setup_read_capacity10, sbc_read_capacity10,
	   0, L4, 0, 0, 0x01, CTL),
	OP(0x28, 10, RD, sbc_setup_rw, sbc_read, 0x1e, L4, GRP, 0xff, 0xff, CTL),
	OP(0x2a, 10, WR, sbc_setup_rw, sbc_write, 0x1a, L4, GRP, 0xff, 0xff, CTL),
	OP(0x2e, 10, WR, sbc_setup_write_verify, sbc_write_verify,
	   0x16, L4, GRP, 0xff, 0xff, CTL),
	OP(0x2f, 10, 0, sbc_setup_verify, sbc_verify,
	   0x16, L4, GRP, 0xff, 0xff, CTL),
	OP(0x34, 10, 0, sbc_setup_range, spc_good,
	   0x02, L4, GRP, 0xff, 0xff, CTL),
	OP(0x35, 10, 0, sbc_setup_range, sbc_sync_cache,
	   0x06, L4, GRP, 0xff, 0xff, CTL),
	OP(0x37, 10, 0, sbc_setup_read_defect, sbc_read_defect,
	   0, 0x1f, 0, 0, 0, 0, 0xff, 0xff, CTL),
	OP(0x41, 10, WR | OPF_EXACT_DATAOUT, sbc_setup_write_same, sbc_write_same,
	   0x08, L4, GRP, 0xff, 0xff, CTL),
	OP(0x42, 10, OPF_WRITE | OPF_TPU, sbc_setup_unmap, sbc_unmap,
	   0, 0, 0, 0, 0, GRP, 0xff, 0xff, CTL),
	OP(0x55, 10, 0, spc_setup_mode_select, spc_mode_select,
	   0x11, 0, 0, 0, 0, 0, 0xff, 0xff, CTL),
	OP(0x56, 10, 0, spc_setup_none, pr_spc2_reserve,
	   0, 0, 0, 0, 0, 0, 0, 0, CTL),
	OP(0x57, 10, 0, spc_setup_none, pr_spc2_release,
	   0, 0, 0, 0, 0, 0, 0, 0, CTL),
	OP(0x5a, 10, 0, spc_setup_mode_sense, spc_mode_sense,
	   0x18, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, CTL),
	SA_GROUP(0x48, sanitize_sa),
	SA_GROUP(0x5e, pr_in_sa),
	SA_GROUP(0x5f, pr_out_sa),
	SA_GROUP(0x83, copy_out),
	SA_GROUP(0x84, copy_in),
	OP(0x88, 16, RD, sbc_setup_rw, sbc_read, 0x1e, L8, L4, GRP, CTL),
	OP(0x89, 16, WR | OPF_EXACT_DATAOUT, sbc_setup_caw, sbc_caw,
	   0x1a, L8, 0, 0, 0, 0xff, GRP, CTL),
	OP(0x8a, 16, WR, sbc_setup_rw, sbc_write, 0x1a, L8, L4, GRP, CTL),
	OP(0x8b, 16, WR, sbc_setup_orwrite, sbc_orwrite, 0x1a, L8, L4, GRP, CTL),
	OP(0x8e, 16, WR, sbc_setup_write_verify, sbc_write_verify,
	   0x16, L8, L4, GRP, CTL),
	OP(0x8f, 16, 0, sbc_setup_verify, sbc_verify, 0x16, L8, L4, GRP, CTL),
	OP(0x90, 16, 0, sbc_setup_range, spc_good, 0x02, L8, L4, GRP, CTL),
	OP(0x91, 16, 0, sbc_setup_range, sbc_sync_cache,
	   0x06, L8, L4, GRP, CTL),
	OP(0x93, 16, WR | OPF_EXACT_DATAOUT, sbc_setup_write_same, sbc_write_same,
	   0x09, L8, L4, GRP, CTL),
	/* WRITE ATOMIC(16): no ATOMIC BOUNDARY (the block limits say 0). */
	OP(0x9c, 16, WR | OPF_ATOMIC, sbc_setup_write_atomic, sbc_write_atomic,
	   0x18, L8, 0, 0, 0xff, 0xff, GRP, CTL),
	SA_GROUP(0x9e, sai16),
	OP(0xa0, 12, OPF_NO_LU | OPF_NO_UA, spc_setup_report_luns,
	   spc_report_luns, 0, 0xff, 0, 0, 0, L4, 0, CTL),
	SA_GROUP(0xa3, maint_in),
	OP(0xa8, 12, RD, sbc_setup_rw, sbc_read, 0x1e, L4, L4, GRP, CTL),
	OP(0xaa, 12, WR, sbc_setup_rw, sbc_write, 0x1a, L4, L4, GRP, CTL),
	OP(0xae, 12, WR, sbc_setup_write_verify, sbc_write_verify,
	   0x16, L4, L4, GRP, CTL),
	OP(0xaf, 12, 0, sbc_setup_verify, sbc_verify, 0x16, L4, L4, GRP, CTL),
	OP(0xb7, 12, 0, sbc_setup_read_defect, sbc_read_defect,
	   0x1f, 0, 0, 0, 0, L4, 0, CTL),
};

const struct scsi_op *scsi_op_lookup(const uint8_t *cdb, bool *bad_sa)
{
	const struct scsi_op *op = &scsi_optab[cdb[0]];

	*bad_sa = false;
	if (op->sa_tab) {
		uint8_t sa = cdb[1] & 0x1f;
		for (unsigned i = 0; i < op->n_sa; i++)
			if (op->sa_tab[i].sa == sa)
				return &op->sa_tab[i];
		*bad_sa = true;
		return NULL;
	}
	return op->exec ? op : NULL;
}

bool scsi_op_supported(const struct scsi_op *op, const struct scsi_lu *lu)
{
	if (op->flags & OPF_SANITIZE)
		return scsi_sanitize_supported(op, lu);
	if ((op->flags & OPF_ATOMIC) && !sbc_max_atomic_blocks(lu))
		return false;
	if ((op->flags & OPF_3PC) && !scsi_lu_emulate_3pc(lu))
		return false;
	return !(op->flags & OPF_TPU) || scsi_lu_emulate_tpu(lu);
}

bool scsi_opcode_supported(uint8_t opcode, const struct scsi_lu *lu)
{
	const struct scsi_op *op = &scsi_optab[opcode];

	for (unsigned i = 0; i < op->n_sa; i++)
		if (scsi_op_supported(&op->sa_tab[i], lu))
			return true;
	return !op->sa_tab && op->exec && scsi_op_supported(op, lu);
}
