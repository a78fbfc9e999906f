/* MODE SENSE and MODE SELECT (6 and 10), SPC-4 6.11-6.14, with the
 * caching, control and informational exceptions control pages. Only the
 * control page's D_SENSE and SWP bits can change; they are LU-wide (shared
 * by every nexus, SPC-4 allows either) and nothing is saved, so the saved
 * page control and the SP bit are refused. */
#include <string.h>

#include "scsi/core.h"

#define MODE_RSP_MAX 256
#define MODE_PAGE_MAX 20	/* largest page, header included */

enum { PC_CURRENT, PC_CHANGEABLE, PC_DEFAULT, PC_SAVED };

struct mode_page {
	uint8_t code;
	uint8_t len;		/* PAGE LENGTH: bytes after the 2-byte header */
	/* Fills the page body (header excluded, zeroed); `dflt` asks for
	 * the default values instead of the current ones. */
	void (*fill)(const struct scsi_lu *lu, bool dflt, uint8_t *p);
	const uint8_t *changeable;	/* per page byte, header included */
};

/* SBC-3 6.4.5: WCE reflects how the backstore writes; it is configuration,
 * not something an initiator may flip. */
static void caching_fill(const struct scsi_lu *lu, bool dflt, uint8_t *p)
{
	if (scsi_lu_write_cache(lu))
		p[2] |= 0x04;		/* WCE */
}

static void control_fill(const struct scsi_lu *lu, bool dflt, uint8_t *p)
{
	const struct scsi_lu_core *c = lu_core(lu);

	p[3] = 0x10;			/* QUEUE ALGORITHM MODIFIER 1: unrestricted */
	if (!dflt && atomic_load_explicit(&c->d_sense, memory_order_relaxed))
		p[2] |= 0x04;		/* D_SENSE */
	if (!dflt && atomic_load_explicit(&c->swp, memory_order_relaxed))
		p[4] |= 0x08;		/* SWP */
	put_be16(p + 8, 0xffff);	/* BUSY TIMEOUT PERIOD: unlimited */
}

/* We report no informational exceptions: DEXCPT. */
static void iec_fill(const struct scsi_lu *lu, bool dflt, uint8_t *p)
{
	p[2] = 0x08;
}

static const uint8_t control_changeable[12] = { [2] = 0x04, [4] = 0x08 };
static const uint8_t none_changeable[MODE_PAGE_MAX];

/* In ascending page code order, as "all pages" returns them. */
static const struct mode_page mode_pages[] = {
	{ 0x08, 0x12, caching_fill, none_changeable },
	{ 0x0a, 0x0a, control_fill, control_changeable },
	{ 0x1c, 0x0a, iec_fill, none_changeable },
};

#define ALL_PAGES 0x3f

static const struct mode_page *find_page(uint8_t code)
{
	for (unsigned i = 0; i < ARRAY_SIZE(mode_pages); i++)
		if (mode_pages[i].code == code)
			return &mode_pages[i];
	return NULL;
}

static size_t put_page(const struct scsi_lu *lu, const struct mode_page *pg,
		       int pc, uint8_t *p)
{
	size_t len = 2u + pg->len;

	memset(p, 0, len);
	if (pc == PC_CHANGEABLE)
		memcpy(p + 2, pg->changeable + 2, pg->len);
	else
		pg->fill(lu, pc == PC_DEFAULT, p);
	p[0] = pg->code;
	p[1] = pg->len;
	return len;
}

static bool is_mode10(const struct scsi_cmd *cmd)
{
	return cmd->cdb[0] == 0x5a || cmd->cdb[0] == 0x55;
}

int spc_setup_mode_sense(struct scsi_cmd *cmd)
{
	uint8_t pc = cmd->cdb[2] >> 6;
	uint8_t page = cmd->cdb[2] & 0x3f;
	uint8_t subpage = cmd->cdb[3];

	if (pc == PC_SAVED)
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_SAVING_PARAMS_UNSUPPORTED);
	if (page != ALL_PAGES && !find_page(page))
		return scsi_fail_cdb(cmd, 2, 5);
	/* No page has subpages: only subpage 0 and "all subpages" exist. */
	if (subpage != 0x00 && subpage != 0xff)
		return scsi_fail_cdb(cmd, 3, -1);
	uint32_t alloc = is_mode10(cmd) ? get_be16(cmd->cdb + 7) : cmd->cdb[4];
	scsi_cmd_datain(cmd, alloc, MODE_RSP_MAX);
	return 0;
}

static size_t block_descriptor(const struct scsi_lu *lu, bool llba, uint8_t *p)
{
	if (llba) {
		memset(p, 0, 16);
		put_be64(p, lu->nblocks);
		put_be32(p + 12, lu->block_size);
		return 16;
	}
	memset(p, 0, 8);
	put_be32(p, lu->nblocks > UINT32_MAX ? UINT32_MAX : (uint32_t)lu->nblocks);
	put_be24(p + 5, lu->block_size);
	return 8;
}

void spc_mode_sense(struct scsi_cmd *cmd)
{
	const struct scsi_lu *lu = cmd->lu;
	bool ten = is_mode10(cmd);
	bool dbd = cmd->cdb[1] & 0x08;
	bool llba = ten && (cmd->cdb[1] & 0x10);
	uint8_t pc = cmd->cdb[2] >> 6;
	uint8_t page = cmd->cdb[2] & 0x3f;
	uint8_t rsp[MODE_RSP_MAX];
	size_t hdr = ten ? 8 : 4;
	size_t len = hdr;
	size_t bdlen = 0;

	memset(rsp, 0, hdr);
	if (!dbd) {
		bdlen = block_descriptor(lu, llba, rsp + len);
		len += bdlen;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(mode_pages); i++)
		if (page == ALL_PAGES || page == mode_pages[i].code)
			len += put_page(lu, &mode_pages[i], pc, rsp + len);

	/* Device-specific parameter, SBC-3 6.4.1: WP, and DPOFUA since DPO
	 * and FUA are accepted. */
	uint8_t dsp = 0x10;
	if (scsi_cmd_write_protected(cmd))
		dsp |= 0x80;
	if (ten) {
		put_be16(rsp, (uint16_t)(len - 2));
		rsp[3] = dsp;
		rsp[4] = llba ? 0x01 : 0;
		put_be16(rsp + 6, (uint16_t)bdlen);
	} else {
		rsp[0] = (uint8_t)(len - 1);
		rsp[2] = dsp;
		rsp[3] = (uint8_t)bdlen;
	}
	scsi_cmd_respond(cmd, rsp, len);
}

int spc_setup_mode_select(struct scsi_cmd *cmd)
{
	uint32_t plen = is_mode10(cmd) ? get_be16(cmd->cdb + 7) : cmd->cdb[4];

	if (cmd->cdb[1] & 0x01)
		return scsi_fail_cdb(cmd, 1, 0);	/* SP: nothing is saved */
	if (plen && !(cmd->cdb[1] & 0x10))
		return scsi_fail_cdb(cmd, 1, 4);	/* PF 0: vendor format */
	cmd->data_len = plen;
	cmd->dir = plen ? SCSI_DIR_WRITE : SCSI_DIR_NONE;
	return 0;
}

/* The values a MODE SELECT asks for, applied only once every page of the
 * parameter list has been checked. */
struct mode_change {
	bool control;		/* a control page was sent */
	bool d_sense, swp;
};

static int check_block_descriptor(struct scsi_cmd *cmd, const uint8_t *bd,
				  size_t off, bool llba)
{
	const struct scsi_lu *lu = cmd->lu;
	uint64_t n = llba ? get_be64(bd) : get_be32(bd);
	uint32_t bs = llba ? get_be32(bd + 12) : get_be24(bd + 5);
	uint64_t cur = lu->nblocks;

	if (!llba && cur > UINT32_MAX)
		cur = UINT32_MAX;
	/* Capacity and block size are fixed: zero blocks means "unchanged". */
	if (n != 0 && n != cur)
		return scsi_fail_param(cmd, (unsigned)off, -1);
	if (bs != lu->block_size)
		return scsi_fail_param(cmd, (unsigned)off + (llba ? 12 : 5), -1);
	return 0;
}

static int check_page(struct scsi_cmd *cmd, const uint8_t *p, size_t off,
		      size_t plen, struct mode_change *chg)
{
	if (off + 2 > plen)
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	if (p[0] & 0x80)
		return scsi_fail_param(cmd, (unsigned)off, 7);	/* PS is reserved */
	if (p[0] & 0x40)
		return scsi_fail_param(cmd, (unsigned)off, 6);	/* no subpages */
	const struct mode_page *pg = find_page(p[0] & 0x3f);
	if (!pg)
		return scsi_fail_param(cmd, (unsigned)off, 5);
	if (p[1] != pg->len)
		return scsi_fail_param(cmd, (unsigned)off + 1, -1);
	if (off + 2u + pg->len > plen)
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);

	uint8_t cur[MODE_PAGE_MAX];
	put_page(cmd->lu, pg, PC_CURRENT, cur);
	for (unsigned i = 2; i < 2u + pg->len; i++) {
		uint8_t bad = (uint8_t)((p[i] ^ cur[i]) & ~pg->changeable[i]);
		if (bad) {
			int bit = 7;
			while (!(bad & (1u << bit)))
				bit--;
			return scsi_fail_param(cmd, (unsigned)off + i, bit);
		}
	}
	if (pg->code == 0x0a) {
		chg->control = true;
		chg->d_sense = p[2] & 0x04;
		chg->swp = p[4] & 0x08;
	}
	return (int)(2 + pg->len);
}

static int parse_mode_select(struct scsi_cmd *cmd, struct mode_change *chg)
{
	const uint8_t *p = cmd->buf;
	size_t plen = cmd->data_len;
	bool ten = is_mode10(cmd);
	size_t hdr = ten ? 8 : 4;

	if (plen < hdr)
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	if (p[ten ? 2 : 1] != 0)
		return scsi_fail_param(cmd, ten ? 2 : 1, -1);	/* medium type */
	bool llba = ten && (p[4] & 0x01);
	size_t bdlen = ten ? get_be16(p + 6) : p[3];
	size_t bdsize = llba ? 16 : 8;
	if (bdlen != 0 && bdlen != bdsize)
		return scsi_fail_param(cmd, ten ? 6 : 3, -1);
	if (hdr + bdlen > plen)
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	if (bdlen && check_block_descriptor(cmd, p + hdr, hdr, llba) < 0)
		return -1;
	for (size_t off = hdr + bdlen; off < plen;) {
		int used = check_page(cmd, p + off, off, plen, chg);
		if (used < 0)
			return -1;
		off += (size_t)used;
	}
	return 0;
}

void spc_mode_select(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	struct scsi_lu_core *c = lu_core(lu);
	struct mode_change chg = { .control = false };

	if (cmd->data_len == 0 || parse_mode_select(cmd, &chg) < 0 ||
	    !chg.control) {
		scsi_cmd_complete(cmd);
		return;
	}
	pthread_mutex_lock(&lu->lock);
	bool changed = atomic_exchange(&c->d_sense, chg.d_sense) != chg.d_sense;
	changed |= atomic_exchange(&c->swp, chg.swp) != chg.swp;
	pthread_mutex_unlock(&lu->lock);
	/* SPC-4 7.5.5: the other nexuses learn that parameters changed. */
	if (changed)
		scsi_ua_others(lu, cmd->nexus, ASC_MODE_PARAMETERS_CHANGED);
	scsi_cmd_complete(cmd);
}
