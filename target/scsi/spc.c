/* SPC-4 commands other than INQUIRY and the mode pages: TEST UNIT READY,
 * REQUEST SENSE, REPORT LUNS, REPORT SUPPORTED OPERATION CODES and REPORT
 * TARGET PORT GROUPS. */
#include <string.h>

#include "scsi/core.h"

/* Room for every response built on the stack here; the largest is REPORT
 * SUPPORTED OPERATION CODES with timeouts: 4 + 20 bytes a command. */
#define SPC_RSP_MAX 2048

int spc_setup_none(struct scsi_cmd *cmd)
{
	cmd->dir = SCSI_DIR_NONE;
	cmd->data_len = 0;
	return 0;
}

void spc_good(struct scsi_cmd *cmd)
{
	scsi_cmd_complete(cmd);
}

int spc_setup_request_sense(struct scsi_cmd *cmd)
{
	scsi_cmd_datain(cmd, cmd->cdb[4], SCSI_SENSE_MAX);
	return 0;
}

/* SPC-4 6.39: the pending unit attention, if any, is returned as parameter
 * data and cleared; otherwise NO SENSE. On a LUN that is not mapped the
 * data says LOGICAL UNIT NOT SUPPORTED, with GOOD status. */
void spc_request_sense(struct scsi_cmd *cmd)
{
	struct scsi_sense s = { .key = SK_NO_SENSE, .asc = ASC_NO_ADDITIONAL };
	uint8_t out[SCSI_SENSE_MAX];

	if (!cmd->lu) {
		s.key = SK_ILLEGAL_REQUEST;
		s.asc = ASC_LU_NOT_SUPPORTED;
	} else {
		uint16_t asc;
		int ua = scsi_ua_check(cmd->lu, cmd->nexus, true, &asc);
		if (ua < 0) {
			cmd->status = SAM_STAT_BUSY;
			scsi_cmd_complete(cmd);
			return;
		}
		if (ua > 0) {
			s.key = SK_UNIT_ATTENTION;
			s.asc = asc;
		} else {
			/* SBC-4 4.11: the sanitize operation and its progress. */
			scsi_sanitize_sense(cmd->lu, &s);
		}
	}
	size_t len = scsi_sense_format(out, cmd->cdb[1] & 0x01, &s);
	scsi_cmd_respond(cmd, out, len);
}

static unsigned report_luns_count(const struct scsi_cmd *cmd)
{
	const struct scsi_lun_table *t = cmd->nexus ? cmd->nexus->luns : NULL;
	/* SELECT REPORT 01h asks for well-known LUs only: we have none. */
	if (!t || cmd->cdb[2] == 0x01)
		return 0;
	return t->count;
}

int spc_setup_report_luns(struct scsi_cmd *cmd)
{
	uint32_t alloc = get_be32(cmd->cdb + 6);

	if (cmd->cdb[2] > 0x02)
		return scsi_fail_cdb(cmd, 2, -1);
	/* SPC-4 6.33: fewer than 16 bytes cannot hold the header and one
	 * LUN. */
	if (alloc < 16)
		return scsi_fail_cdb(cmd, 6, -1);
	scsi_cmd_datain(cmd, alloc, 8 + 8 * report_luns_count(cmd));
	return 0;
}

/* SAM-5 4.7: peripheral device addressing below 256, flat space addressing
 * up to 16383; a larger number is taken as an already encoded LUN. */
static void encode_lun(uint8_t *out, uint64_t lun)
{
	memset(out, 0, 8);
	if (lun < 256) {
		out[1] = (uint8_t)lun;
	} else if (lun < 16384) {
		out[0] = (uint8_t)(0x40 | (lun >> 8));
		out[1] = (uint8_t)lun;
	} else {
		put_be64(out, lun);
	}
}

/* Written straight into the data-in buffer: a LUN table may be larger than
 * any scratch space, and data_len already caps what fits. */
void spc_report_luns(struct scsi_cmd *cmd)
{
	unsigned count = report_luns_count(cmd);
	uint8_t ent[8];

	put_be32(ent, 8 * count);
	memset(ent + 4, 0, 4);
	memcpy(cmd->buf, ent, MIN(8u, cmd->data_len));
	for (unsigned i = 0; i < count; i++) {
		uint32_t off = 8 + 8 * i;
		if (off >= cmd->data_len)
			break;
		encode_lun(ent, cmd->nexus->luns->ent[i].lun);
		memcpy(cmd->buf + off, ent, MIN(8u, cmd->data_len - off));
	}
	scsi_cmd_complete(cmd);
}

#define RSOC_TIMEOUTS_LEN 12

int spc_setup_rsoc(struct scsi_cmd *cmd)
{
	uint8_t options = cmd->cdb[2] & 0x07;
	const struct scsi_op *op = &scsi_optab[cmd->cdb[3]];

	if (options > 3)
		return scsi_fail_cdb(cmd, 2, 2);
	/* SPC-4 6.35.1: option 1 names an opcode without service actions,
	 * option 2 one with them. */
	if ((options == 1 && op->sa_tab) || (options == 2 && !op->sa_tab))
		return scsi_fail_cdb(cmd, 3, -1);
	scsi_cmd_datain(cmd, get_be32(cmd->cdb + 6), SPC_RSP_MAX);
	return 0;
}

static size_t rsoc_timeouts(uint8_t *p)
{
	memset(p, 0, RSOC_TIMEOUTS_LEN);
	put_be16(p, RSOC_TIMEOUTS_LEN - 2);
	return RSOC_TIMEOUTS_LEN;
}

static size_t rsoc_descriptor(uint8_t *p, const struct scsi_op *op, bool rctd)
{
	memset(p, 0, 8);
	p[0] = op->opcode;
	put_be16(p + 2, op->sa);
	p[5] = (rctd ? 0x02 : 0) | (op->has_sa ? 0x01 : 0);
	put_be16(p + 6, op->cdb_len);
	return 8 + (rctd ? rsoc_timeouts(p + 8) : 0);
}

static size_t rsoc_all(const struct scsi_lu *lu, uint8_t *rsp, bool rctd)
{
	size_t len = 4;
	size_t each = 8 + (rctd ? RSOC_TIMEOUTS_LEN : 0);

	for (unsigned code = 0; code < 256; code++) {
		const struct scsi_op *op = &scsi_optab[code];
		unsigned n = op->sa_tab ? op->n_sa : (op->exec ? 1 : 0);
		for (unsigned i = 0; i < n; i++) {
			const struct scsi_op *o = op->sa_tab ? &op->sa_tab[i] : op;
			if (!scsi_op_supported(o, lu) || len + each > SPC_RSP_MAX)
				continue;
			len += rsoc_descriptor(rsp + len, o, rctd);
		}
	}
	put_be32(rsp, (uint32_t)(len - 4));
	return len;
}

static size_t rsoc_one(const struct scsi_cmd *cmd, uint8_t *rsp, bool rctd)
{
	const struct scsi_op *op = &scsi_optab[cmd->cdb[3]];
	uint16_t sa = get_be16(cmd->cdb + 4);

	if (op->sa_tab) {
		const struct scsi_op *found = NULL;
		for (unsigned i = 0; i < op->n_sa; i++)
			if (op->sa_tab[i].sa == sa)
				found = &op->sa_tab[i];
		op = found;
	} else if (!op->exec) {
		op = NULL;
	}
	memset(rsp, 0, 4);
	if (!op || !scsi_op_supported(op, cmd->lu)) {
		rsp[1] = 0x01;		/* SUPPORT: not supported */
		return 4;
	}
	rsp[1] = (rctd ? 0x80 : 0) | 0x03;	/* supported as the standard says */
	put_be16(rsp + 2, op->cdb_len);
	memcpy(rsp + 4, op->usage, op->cdb_len);
	size_t len = 4 + op->cdb_len;
	if (rctd)
		len += rsoc_timeouts(rsp + len);
	return len;
}

void spc_rsoc(struct scsi_cmd *cmd)
{
	uint8_t rsp[SPC_RSP_MAX];
	bool rctd = cmd->cdb[2] & 0x80;
	size_t len;

	if ((cmd->cdb[2] & 0x07) == 0)
		len = rsoc_all(cmd->lu, rsp, rctd);
	else
		len = rsoc_one(cmd, rsp, rctd);
	scsi_cmd_respond(cmd, rsp, len);
}

int spc_setup_rtpg(struct scsi_cmd *cmd)
{
	if ((cmd->cdb[1] >> 5) > 1)
		return scsi_fail_cdb(cmd, 1, 7);
	scsi_cmd_datain(cmd, get_be32(cmd->cdb + 6), 32);
	return 0;
}

/* SPC-4 6.37: one target port group, always active/optimized, holding the
 * one port this nexus came through. Both cluster nodes present the same
 * group and relative port, so a failover looks like a path coming back. */
void spc_rtpg(struct scsi_cmd *cmd)
{
	const struct scsi_tport *tp = cmd->nexus ? cmd->nexus->tport : NULL;
	bool extended = (cmd->cdb[1] >> 5) == 1;
	uint8_t rsp[32];
	size_t hdr = extended ? 8 : 4;
	size_t len = hdr + 8 + 4;

	memset(rsp, 0, sizeof(rsp));
	put_be32(rsp, (uint32_t)(len - 4));
	if (extended)
		rsp[4] = 0x10;		/* FORMAT TYPE 001b */
	uint8_t *d = rsp + hdr;
	d[0] = 0x80;			/* PREF, state 0h: active/optimized */
	d[1] = 0x01;			/* AO_SUP */
	put_be16(d + 2, tp ? tp->tpg_id : 0);
	d[7] = 1;			/* target port count */
	put_be16(d + 8 + 2, tp ? tp->rtpi : 1);
	scsi_cmd_respond(cmd, rsp, len);
}
