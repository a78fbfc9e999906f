/* Sense data, fixed (70h) or descriptor (72h) format, SPC-4 4.5. The LU's
 * control mode page D_SENSE bit chooses the format for CHECK CONDITION;
 * REQUEST SENSE chooses it with its DESC bit. */
#include <string.h>

#include "scsi/core.h"

#define FIXED_LEN 18
#define DESC_HDR_LEN 8
#define DESC_INFO_LEN 12	/* information descriptor, type 00h */
#define DESC_SKS_LEN 8		/* sense key specific descriptor, type 02h */
#define DESC_CSI_LEN 12		/* command-specific information, type 01h */

size_t scsi_sense_format(uint8_t *out, bool descriptor, const struct scsi_sense *s)
{
	if (!descriptor) {
		memset(out, 0, FIXED_LEN);
		out[0] = 0x70 | (s->info_valid ? 0x80 : 0);
		out[2] = s->key & 0x0f;
		/* The fixed format has 32 bits of information: a larger value
		 * cannot be reported, so VALID stays clear (SPC-4 4.5.3). */
		if (s->info_valid && s->info > UINT32_MAX)
			out[0] &= 0x7f;
		else if (s->info_valid)
			put_be32(out + 3, (uint32_t)s->info);
		out[7] = FIXED_LEN - 8;
		if (s->csi_valid)
			put_be32(out + 8, s->csi);
		out[12] = (uint8_t)(s->asc >> 8);
		out[13] = (uint8_t)s->asc;
		if (s->sks_valid)
			memcpy(out + 15, s->sks, 3);
		return FIXED_LEN;
	}

	size_t len = DESC_HDR_LEN;
	memset(out, 0, DESC_HDR_LEN);
	out[0] = 0x72;
	out[1] = s->key & 0x0f;
	out[2] = (uint8_t)(s->asc >> 8);
	out[3] = (uint8_t)s->asc;
	if (s->info_valid) {
		uint8_t *d = out + len;
		memset(d, 0, DESC_INFO_LEN);
		d[0] = 0x00;
		d[1] = DESC_INFO_LEN - 2;
		d[2] = 0x80;
		put_be64(d + 4, s->info);
		len += DESC_INFO_LEN;
	}
	if (s->csi_valid) {
		uint8_t *d = out + len;
		memset(d, 0, DESC_CSI_LEN);
		d[0] = 0x01;
		d[1] = DESC_CSI_LEN - 2;
		put_be64(d + 4, s->csi);
		len += DESC_CSI_LEN;
	}
	if (s->sks_valid) {
		uint8_t *d = out + len;
		memset(d, 0, DESC_SKS_LEN);
		d[0] = 0x02;
		d[1] = DESC_SKS_LEN - 2;
		memcpy(d + 4, s->sks, 3);
		len += DESC_SKS_LEN;
	}
	out[7] = (uint8_t)(len - DESC_HDR_LEN);
	return len;
}

bool scsi_lu_descriptor_sense(const struct scsi_lu *lu)
{
	return lu && atomic_load_explicit(&lu_core(lu)->d_sense,
					  memory_order_relaxed);
}

int scsi_fail_sense(struct scsi_cmd *cmd, const struct scsi_sense *s)
{
	cmd->status = SAM_STAT_CHECK_CONDITION;
	cmd->sense_len = (uint8_t)scsi_sense_format(cmd->sense,
			scsi_lu_descriptor_sense(cmd->lu), s);
	return -1;
}

void scsi_set_sense(struct scsi_cmd *cmd, uint8_t key, uint8_t asc, uint8_t ascq)
{
	struct scsi_sense s = { .key = key, .asc = (uint16_t)(asc << 8 | ascq) };
	scsi_fail_sense(cmd, &s);
}

int scsi_fail(struct scsi_cmd *cmd, uint8_t key, uint16_t asc)
{
	struct scsi_sense s = { .key = key, .asc = asc };
	return scsi_fail_sense(cmd, &s);
}

int scsi_fail_info(struct scsi_cmd *cmd, uint8_t key, uint16_t asc, uint64_t info)
{
	struct scsi_sense s = {
		.key = key, .asc = asc, .info_valid = true, .info = info,
	};
	return scsi_fail_sense(cmd, &s);
}

/* Field pointer, SPC-4 4.5.2.4.2: SKSV, C/D, BPV and the bit, then the
 * byte. */
static int fail_field(struct scsi_cmd *cmd, uint16_t asc, bool in_cdb,
		      unsigned byte, int bit)
{
	struct scsi_sense s = {
		.key = SK_ILLEGAL_REQUEST, .asc = asc, .sks_valid = true,
	};
	s.sks[0] = 0x80 | (in_cdb ? 0x40 : 0);
	if (bit >= 0)
		s.sks[0] |= 0x08 | (bit & 0x07);
	put_be16(s.sks + 1, (uint16_t)(byte > 0xffff ? 0xffff : byte));
	return scsi_fail_sense(cmd, &s);
}

int scsi_fail_cdb(struct scsi_cmd *cmd, unsigned byte, int bit)
{
	return fail_field(cmd, ASC_INVALID_FIELD_IN_CDB, true, byte, bit);
}

int scsi_fail_param(struct scsi_cmd *cmd, unsigned byte, int bit)
{
	return fail_field(cmd, ASC_INVALID_FIELD_IN_PARAM, false, byte, bit);
}
