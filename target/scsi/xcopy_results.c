/* RECEIVE COPY RESULTS (LID1), SPC-4 6.18: COPY STATUS and FAILED SEGMENT
 * DETAILS of the copies an I_T nexus ran with LIST ID USAGE 00b, and the
 * copy manager's OPERATING PARAMETERS; the Third-party Copy VPD page
 * (SPC-4 7.8.17) says the same. Held results live in a few slots per LU,
 * under its lock; a finished copy's slot is reused, oldest first, when a
 * new copy needs one. */
#include <stdlib.h>
#include <string.h>

#include "scsi/core.h"

enum {
	RCR_COPY_STATUS = 0x00,
	RCR_OPERATING_PARAMETERS = 0x03,
	RCR_FAILED_SEGMENT_DETAILS = 0x04,
};

#define RCR_RSP_MAX (60 + SCSI_SENSE_MAX)
#define OP_PARAMS_LEN 46	/* 44 bytes and two descriptor type codes */

/* Descriptor type codes the copy manager implements. */
static const uint8_t implemented_descriptors[] = { 0x02, 0xe4 };

int xcopy_held_alloc(struct scsi_lu *lu)
{
	struct scsi_lu_core *c = lu_core(lu);

	c->xcopy_held = calloc(XCOPY_HELD_MAX, sizeof(*c->xcopy_held));
	return c->xcopy_held ? 0 : -1;
}

void xcopy_held_free(struct scsi_lu *lu)
{
	free(lu_core(lu)->xcopy_held);
	lu_core(lu)->xcopy_held = NULL;
}

static struct xcopy_held *find_held(struct scsi_lu *lu, uint64_t nexus_id,
				    uint8_t list_id)
{
	struct xcopy_held *h = lu_core(lu)->xcopy_held;

	for (unsigned i = 0; i < XCOPY_HELD_MAX; i++)
		if (h[i].state != XCOPY_FREE && h[i].nexus_id == nexus_id &&
		    h[i].list_id == list_id)
			return &h[i];
	return NULL;
}

/* A free slot, else the one finished longest ago; NULL if every slot
 * holds a running copy. */
static struct xcopy_held *free_slot(struct scsi_lu *lu)
{
	struct xcopy_held *h = lu_core(lu)->xcopy_held, *best = NULL;

	for (unsigned i = 0; i < XCOPY_HELD_MAX; i++) {
		if (h[i].state == XCOPY_FREE)
			return &h[i];
		if (h[i].state != XCOPY_RUNNING && (!best || h[i].age < best->age))
			best = &h[i];
	}
	return best;
}

int xcopy_hold(struct scsi_cmd *cmd, uint8_t list_id)
{
	struct scsi_lu *lu = cmd->lu;
	struct scsi_lu_core *c = lu_core(lu);
	struct xcopy_held *h;
	int ret = 0;

	pthread_mutex_lock(&lu->lock);
	h = find_held(lu, cmd->nexus->id, list_id);
	/* SPC-4 6.4.3.2: a list identifier in use by a copy still running
	 * from the same nexus. */
	if (h && h->state == XCOPY_RUNNING) {
		ret = scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_OPERATION_IN_PROGRESS);
	} else {
		if (!h)
			h = free_slot(lu);
		if (!h) {
			cmd->status = SAM_STAT_BUSY;
			ret = -1;
		} else {
			memset(h, 0, sizeof(*h));
			h->nexus_id = cmd->nexus->id;
			h->list_id = list_id;
			h->state = XCOPY_RUNNING;
			cmd->copy.held = (int16_t)(h - c->xcopy_held);
		}
	}
	pthread_mutex_unlock(&lu->lock);
	return ret;
}

void xcopy_unhold(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	struct scsi_lu_core *c = lu_core(lu);
	struct xcopy_held *h = &c->xcopy_held[cmd->copy.held];

	pthread_mutex_lock(&lu->lock);
	h->state = cmd->status == SAM_STAT_GOOD ? XCOPY_GOOD : XCOPY_FAILED;
	h->segs_done = cmd->copy.segs_done;
	h->copied = cmd->copy.copied;
	h->sense_len = cmd->sense_len;
	memcpy(h->sense, cmd->sense, cmd->sense_len);
	h->age = ++c->xcopy_age;
	pthread_mutex_unlock(&lu->lock);
	cmd->copy.held = -1;
}

int spc_setup_rcr(struct scsi_cmd *cmd)
{
	scsi_cmd_datain(cmd, get_be32(cmd->cdb + 10), RCR_RSP_MAX);
	return 0;
}

/* SPC-4 6.18.3: the transfer count in bytes while it fits 32 bits, in
 * KiB (units 01h) past that. */
static size_t copy_status(const struct xcopy_held *h, uint8_t *p)
{
	static const uint8_t status[] = {
		[XCOPY_RUNNING] = 0x00, [XCOPY_GOOD] = 0x01, [XCOPY_FAILED] = 0x02,
	};

	memset(p, 0, 12);
	put_be32(p, 8);
	p[4] = status[h->state];
	put_be16(p + 5, h->segs_done);
	if (h->copied <= UINT32_MAX) {
		put_be32(p + 8, (uint32_t)h->copied);
	} else {
		p[7] = 0x01;
		put_be32(p + 8, (uint32_t)MIN(h->copied >> 10, (uint64_t)UINT32_MAX));
	}
	return 12;
}

/* SPC-4 6.18.5: only a copy that ended in error has details; otherwise
 * the available data is zero. */
static size_t failed_segment(const struct xcopy_held *h, uint8_t *p)
{
	if (h->state != XCOPY_FAILED) {
		memset(p, 0, 4);
		return 4;
	}
	memset(p, 0, 60);
	put_be32(p, 56u + h->sense_len);
	p[56] = SAM_STAT_CHECK_CONDITION;
	put_be16(p + 58, h->sense_len);
	memcpy(p + 60, h->sense, h->sense_len);
	return 60u + h->sense_len;
}

static size_t operating_parameters(const struct scsi_lu *lu, uint8_t *p)
{
	uint8_t granularity = 0;

	for (uint32_t bs = lu->block_size; bs > 1; bs >>= 1)
		granularity++;
	memset(p, 0, OP_PARAMS_LEN);
	put_be32(p, OP_PARAMS_LEN - 4);
	put_be16(p + 8, XCOPY_MAX_CSCD);
	put_be16(p + 10, XCOPY_MAX_SEGMENTS);
	put_be32(p + 12, XCOPY_MAX_DESC_LIST);
	put_be32(p + 16, 0xffffu * lu->block_size);	/* 16-bit block count */
	put_be16(p + 34, XCOPY_HELD_MAX);
	p[36] = XCOPY_HELD_MAX;
	p[37] = granularity;
	p[43] = sizeof(implemented_descriptors);
	memcpy(p + 44, implemented_descriptors, sizeof(implemented_descriptors));
	return OP_PARAMS_LEN;
}

void spc_rcr(struct scsi_cmd *cmd)
{
	uint8_t sa = cmd->cdb[1] & 0x1f;
	uint8_t rsp[RCR_RSP_MAX];
	struct scsi_lu *lu = cmd->lu;
	size_t len;

	if (sa == RCR_OPERATING_PARAMETERS) {
		scsi_cmd_respond(cmd, rsp, operating_parameters(lu, rsp));
		return;
	}
	pthread_mutex_lock(&lu->lock);
	const struct xcopy_held *h = find_held(lu, cmd->nexus->id, cmd->cdb[2]);
	if (h)
		len = sa == RCR_COPY_STATUS ? copy_status(h, rsp) : failed_segment(h, rsp);
	pthread_mutex_unlock(&lu->lock);
	if (!h) {
		scsi_fail_cdb(cmd, 2, -1);
		scsi_cmd_complete(cmd);
		return;
	}
	scsi_cmd_respond(cmd, rsp, len);
}

/* One third-party copy descriptor: type, length (padded to a multiple of
 * four, SPC-4 7.8.17.1), and the body already written after it. */
static size_t tpc_descriptor(uint8_t *p, uint16_t type, size_t body)
{
	size_t padded = (body + 3) & ~(size_t)3;

	memset(p + 4 + body, 0, padded - body);
	put_be16(p, type);
	put_be16(p + 2, (uint16_t)padded);
	return 4 + padded;
}

size_t xcopy_vpd(const struct scsi_lu *lu, uint8_t *p)
{
	static const uint8_t commands[] = {
		0x83, 1, 0x00,			/* EXTENDED COPY (LID1) */
		0x84, 3, RCR_COPY_STATUS, RCR_OPERATING_PARAMETERS,
		RCR_FAILED_SEGMENT_DETAILS,
	};
	size_t len = 4;
	uint8_t *d;

	memset(p, 0, 4);
	p[1] = 0x8f;

	d = p + len;				/* Supported Commands */
	d[4] = sizeof(commands);
	memcpy(d + 5, commands, sizeof(commands));
	len += tpc_descriptor(d, 0x0001, 1 + sizeof(commands));

	d = p + len;				/* Parameter Data */
	memset(d + 4, 0, 0x1c);
	put_be16(d + 8, XCOPY_MAX_CSCD);
	put_be16(d + 10, XCOPY_MAX_SEGMENTS);
	put_be32(d + 12, XCOPY_MAX_DESC_LIST);
	len += tpc_descriptor(d, 0x0004, 0x1c);

	d = p + len;				/* Supported Descriptors */
	d[4] = sizeof(implemented_descriptors);
	memcpy(d + 5, implemented_descriptors, sizeof(implemented_descriptors));
	len += tpc_descriptor(d, 0x0008, 1 + sizeof(implemented_descriptors));

	d = p + len;				/* Supported CSCD IDs: none */
	put_be16(d + 4, 0);
	len += tpc_descriptor(d, 0x000c, 2);

	d = p + len;				/* General Copy Operations */
	memset(d + 4, 0, 0x20);
	put_be32(d + 4, XCOPY_HELD_MAX);
	put_be32(d + 8, XCOPY_HELD_MAX);
	put_be32(d + 12, 0xffffu * lu->block_size);
	for (uint32_t bs = lu->block_size; bs > 1; bs >>= 1)
		d[16]++;			/* data segment granularity */
	len += tpc_descriptor(d, 0x8001, 0x20);

	put_be16(p + 2, (uint16_t)(len - 4));
	return len;
}
