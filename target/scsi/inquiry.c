/* INQUIRY, SPC-4 6.6: standard data and the vital product data pages a
 * block device needs (SPC-4 7.8, SBC-3 6.6). Identity comes from the LU
 * config, never from the host, so both cluster nodes answer alike. */
#include <string.h>

#include "scsi/core.h"

#define INQ_RSP_MAX 1024
#define STD_INQ_LEN 74		/* through the eighth version descriptor */

enum {
	VPD_SUPPORTED = 0x00,
	VPD_SERIAL = 0x80,
	VPD_DEVICE_ID = 0x83,
	VPD_THIRD_PARTY_COPY = 0x8f,
	VPD_BLOCK_LIMITS = 0xb0,
	VPD_BLOCK_DEV_CHAR = 0xb1,
	VPD_LB_PROVISIONING = 0xb2,
};

static const uint8_t vpd_pages[] = {
	VPD_SUPPORTED, VPD_SERIAL, VPD_DEVICE_ID, VPD_THIRD_PARTY_COPY,
	VPD_BLOCK_LIMITS, VPD_BLOCK_DEV_CHAR, VPD_LB_PROVISIONING,
};

/* SAM-5, iSCSI, SPC-4 and SBC-3, without a revision. */
static const uint16_t version_descriptors[] = { 0x00a0, 0x0960, 0x0460, 0x04c0 };

static void put_padded(uint8_t *p, const char *s, size_t width)
{
	size_t len = strnlen(s, width);
	memcpy(p, s, len);
	memset(p + len, ' ', width - len);
}

/* Every page but the Third-party Copy one, which exists with emulate_3pc. */
static bool vpd_offered(const struct scsi_lu *lu, uint8_t page)
{
	if (page == VPD_THIRD_PARTY_COPY && !scsi_lu_emulate_3pc(lu))
		return false;
	for (unsigned i = 0; i < ARRAY_SIZE(vpd_pages); i++)
		if (vpd_pages[i] == page)
			return true;
	return false;
}

int spc_setup_inquiry(struct scsi_cmd *cmd)
{
	bool evpd = cmd->cdb[1] & 0x01;
	uint8_t page = cmd->cdb[2];

	if (!evpd && page != 0)
		return scsi_fail_cdb(cmd, 2, -1);
	/* The VPD of a LU that does not exist describes nothing; only the
	 * standard data (with qualifier 011b) is defined for it. */
	if (evpd && !cmd->lu)
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_LU_NOT_SUPPORTED);
	if (evpd && !vpd_offered(cmd->lu, page))
		return scsi_fail_cdb(cmd, 2, -1);
	scsi_cmd_datain(cmd, get_be16(cmd->cdb + 3), INQ_RSP_MAX);
	return 0;
}

static size_t inq_standard(const struct scsi_lu *lu, uint8_t *p)
{
	memset(p, 0, STD_INQ_LEN);
	/* Qualifier 011b, type 1Fh: no LU can be here (SPC-4 6.6.2). */
	p[0] = lu ? 0x00 : 0x7f;
	p[2] = 0x06;			/* SPC-4 */
	p[3] = 0x12;			/* HISUP, response data format 2 */
	p[4] = STD_INQ_LEN - 5;
	p[5] = 0x10;			/* TPGS 01b: implicit ALUA */
	if (lu && scsi_lu_emulate_3pc(lu))
		p[5] |= 0x08;		/* 3PC */
	p[7] = 0x02;			/* CMDQUE */
	put_padded(p + 8, lu ? lu->cfg.vendor : "", 8);
	put_padded(p + 16, lu ? lu->cfg.product : "", 16);
	put_padded(p + 32, lu ? lu->cfg.revision : "", 4);
	for (unsigned i = 0; i < ARRAY_SIZE(version_descriptors); i++)
		put_be16(p + 58 + 2 * i, version_descriptors[i]);
	return STD_INQ_LEN;
}

static size_t vpd_supported(const struct scsi_lu *lu, uint8_t *p)
{
	size_t n = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(vpd_pages); i++)
		if (vpd_offered(lu, vpd_pages[i]))
			p[4 + n++] = vpd_pages[i];
	return 4 + n;
}

static size_t vpd_serial(const struct scsi_lu *lu, uint8_t *p)
{
	size_t len = strnlen(lu->cfg.serial, sizeof(lu->cfg.serial));
	memcpy(p + 4, lu->cfg.serial, len);
	return 4 + len;
}

/* One designation descriptor header; returns where its body goes. */
static uint8_t *designator(uint8_t *p, uint8_t proto_codeset, uint8_t piv_assoc_type,
			   uint8_t len)
{
	p[0] = proto_codeset;
	p[1] = piv_assoc_type;
	p[2] = 0;
	p[3] = len;
	return p + 4;
}

/* A SCSI name string designator: NUL-terminated and padded to a multiple
 * of four bytes (SPC-4 7.8.6.11), so that it fits the one-byte length
 * field a name of up to 251 bytes is kept whole; iSCSI port names are at
 * most 233. */
static size_t name_designator(uint8_t *p, uint8_t assoc, const char *name,
			      size_t max)
{
	size_t len = strnlen(name, MIN(max - 1, 251));
	size_t padded = (len + 1 + 3) & ~(size_t)3;
	uint8_t *d = designator(p, 0x53, (uint8_t)(0x80 | assoc << 4 | 0x8),
				(uint8_t)padded);
	memset(d, 0, padded);
	memcpy(d, name, len);
	return 4 + padded;
}

/* SPC-4 7.8.6: the LU by its NAA name and by T10 vendor + serial; the port
 * it is reached through by relative port, port group and iSCSI name; the
 * target device by iSCSI name. Port designators carry PIV and protocol 5
 * (iSCSI). */
static size_t vpd_device_id(const struct scsi_cmd *cmd, uint8_t *p)
{
	const struct scsi_lu *lu = cmd->lu;
	const struct scsi_tport *tp = cmd->nexus ? cmd->nexus->tport : NULL;
	size_t len = 4;
	uint8_t *d;

	d = designator(p + len, 0x01, 0x03, sizeof(lu->cfg.naa));
	memcpy(d, lu->cfg.naa, sizeof(lu->cfg.naa));
	len += 4 + sizeof(lu->cfg.naa);

	size_t slen = strnlen(lu->cfg.serial, sizeof(lu->cfg.serial));
	d = designator(p + len, 0x02, 0x01, (uint8_t)(8 + slen));
	put_padded(d, lu->cfg.vendor, 8);
	memcpy(d + 8, lu->cfg.serial, slen);
	len += 4 + 8 + slen;

	if (tp) {
		d = designator(p + len, 0x51, 0x94, 4);
		put_be16(d, 0);
		put_be16(d + 2, tp->rtpi);
		len += 8;

		d = designator(p + len, 0x51, 0x95, 4);
		put_be16(d, 0);
		put_be16(d + 2, tp->tpg_id);
		len += 8;

		len += name_designator(p + len, 1, tp->name, sizeof(tp->name));
		len += name_designator(p + len, 2, tp->target_name,
				       sizeof(tp->target_name));
	}
	put_be16(p + 2, (uint16_t)(len - 4));
	return len;
}

static uint32_t blocks_per_physical(const struct scsi_lu *lu)
{
	uint32_t phys = lu->bs->phys_block_size;
	if (phys <= lu->block_size || phys % lu->block_size)
		return 1;
	return phys / lu->block_size;
}

static size_t vpd_block_limits(const struct scsi_lu *lu, uint8_t *p)
{
	uint32_t max_xfer = SCSI_MAX_XFER_BYTES / lu->block_size;

	memset(p + 4, 0, 0x3c);
	/* WSNZ clear: WRITE SAME of zero blocks runs to the end (sbc_tp.c). */
	p[5] = SBC_MAX_CAW_BLOCKS;
	put_be16(p + 6, (uint16_t)blocks_per_physical(lu));
	put_be32(p + 8, max_xfer);
	if (scsi_lu_emulate_tpu(lu)) {
		put_be32(p + 20, SBC_MAX_UNMAP_BLOCKS);
		put_be32(p + 24, SBC_MAX_UNMAP_DESCRIPTORS);
		put_be32(p + 28, blocks_per_physical(lu));
	}
	put_be64(p + 36, SBC_MAX_WRITE_SAME_BLOCKS);
	/* WRITE ATOMIC: the ramdisk's own limit or the journal's
	 * (atomic_journal.h); ATOMIC ALIGNMENT, ATOMIC TRANSFER LENGTH
	 * GRANULARITY and the boundary fields stay 0: any alignment and
	 * length up to the maximum, no atomic boundary (SBC-4 6.6.4). */
	put_be32(p + 44, sbc_max_atomic_blocks(lu));
	return 4 + 0x3c;
}

static size_t vpd_block_dev_char(const struct scsi_lu *lu, uint8_t *p)
{
	static const uint8_t block_erase[2] = { 0x48, SANITIZE_BLOCK_ERASE };
	bool bad_sa;
	const struct scsi_op *erase = scsi_op_lookup(block_erase, &bad_sa);

	memset(p + 4, 0, 0x3c);
	put_be16(p + 4, 0x0001);	/* non-rotating medium */
	/* WABEREQ 01b: after a BLOCK ERASE, reads return the zeroes a
	 * discard leaves (SBC-4 6.6.2). */
	if (erase && scsi_op_supported(erase, lu))
		p[7] = 0x40;
	return 4 + 0x3c;
}

static size_t vpd_lb_provisioning(const struct scsi_lu *lu, uint8_t *p)
{
	memset(p + 4, 0, 4);
	if (scsi_lu_emulate_tpu(lu)) {
		p[5] = 0x80;		/* LBPU */
		if (lu->bs->can_discard)
			p[5] |= 0x04;	/* LBPRZ */
		p[6] = 0x02;		/* provisioning type: thin */
	}
	if (scsi_lu_emulate_tpws(lu))
		p[5] |= 0x60;		/* LBPWS, LBPWS10 */
	return 8;
}

static size_t inq_vpd(const struct scsi_cmd *cmd, uint8_t *p)
{
	const struct scsi_lu *lu = cmd->lu;
	uint8_t page = cmd->cdb[2];
	size_t len = 0;

	memset(p, 0, 4);
	p[1] = page;
	switch (page) {
	case VPD_SUPPORTED:
		len = vpd_supported(lu, p);
		break;
	case VPD_SERIAL:
		len = vpd_serial(lu, p);
		break;
	case VPD_DEVICE_ID:
		return vpd_device_id(cmd, p);
	case VPD_THIRD_PARTY_COPY:
		return xcopy_vpd(lu, p);
	case VPD_BLOCK_LIMITS:
		len = vpd_block_limits(lu, p);
		break;
	case VPD_BLOCK_DEV_CHAR:
		len = vpd_block_dev_char(lu, p);
		break;
	case VPD_LB_PROVISIONING:
		len = vpd_lb_provisioning(lu, p);
		break;
	}
	put_be16(p + 2, (uint16_t)(len - 4));
	return len;
}

void spc_inquiry(struct scsi_cmd *cmd)
{
	uint8_t rsp[INQ_RSP_MAX];
	size_t len;

	if (cmd->cdb[1] & 0x01)
		len = inq_vpd(cmd, rsp);
	else
		len = inq_standard(cmd->lu, rsp);
	scsi_cmd_respond(cmd, rsp, len);
}
