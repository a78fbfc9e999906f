/* The durable persistent reservation store (docs/persistent-reservations.md).
 *
 * An area of 1 MiB: the last MiB of the LU's own backstore (internal, hidden
 * from the initiator, so DRBD replicates it with the data) or the first MiB
 * of a separate device (external). Layout, little-endian:
 *
 *   0        header: magic, format, the LU's NAA and name, CRC32C
 *   256 KiB  slot 0 }  a whole state each: magic, format, CRC32C, sequence
 *   512 KiB  slot 1 }  number, generation, APTPL, reservation, registrations
 *
 * Writes alternate between the slots and only one is ever in flight (the LU
 * is busy meanwhile), so a torn write damages at most the slot it targets
 * while the other still holds the previous state. On attach the valid slot
 * with the higher sequence number wins. An area that is all zeroes was
 * never used and is initialised; one with a valid header and no valid slot,
 * or with data that is not a store at all, is refused: treating it as empty
 * would silently drop every registration a cluster's fencing relies on. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/crc32c.h"
#include "scsi/pr.h"

#define HDR_LEN 512u
#define HDR_BLOCK 4096u
#define SLOT_HDR_LEN 512u
static const char area_magic[8] = { 'T', 'D', 'P', 'R', 'A', 'R', 'E', 'A' };
static const char slot_magic[8] = { 'T', 'D', 'P', 'R', 'S', 'L', 'O', 'T' };

/* Slot header flags. */
#define SF_APTPL 0x01u
#define SF_RESERVED 0x02u
/* Registration record flags. */
#define RF_ALL_TG_PT 0x01u
#define RF_HOLDER 0x02u
#define RF_ISID 0x04u

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* CRC32C of len bytes with the 4-byte CRC field at crc_off counted as 0. */
static uint32_t crc_without(const uint8_t *p, size_t len, size_t crc_off)
{
	static const uint8_t zero[4];
	uint32_t c = crc32c(0, p, crc_off);

	c = crc32c(c, zero, 4);
	return crc32c(c, p + crc_off + 4, len - crc_off - 4);
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* A NUL-terminated string of at most cap - 1 bytes in a field of cap. */
static bool field_str(const uint8_t *p, size_t cap, char *dst)
{
	size_t n = strnlen((const char *)p, cap);

	if (n == cap)
		return false;
	memcpy(dst, p, n + 1);
	return true;
}

uint64_t pr_internal_area(uint64_t size)
{
	return (size - PR_AREA_SIZE) & ~(uint64_t)4095;
}

/* Bytes a slot holding nregs registrations takes, in 4 KiB units. */
static size_t slot_len(unsigned nregs)
{
	size_t len = SLOT_HDR_LEN + (size_t)nregs * PR_REC_SIZE;

	return (len + 4095) & ~(size_t)4095;
}

/* i_port ends in ",i,0x" and 12 hex digits (the fabric and
 * pr_tid_parse() build it so): the ISID is stored as 6 bytes. */
static void isid_from_port(const struct pr_reg *r, uint8_t *isid)
{
	const char *h = r->i_port + strlen(r->i_port) - 12;

	for (unsigned i = 0; i < 6; i++) {
		unsigned v = 0;
		for (unsigned j = 0; j < 2; j++) {
			char c = h[2 * i + j];
			v = v << 4 | (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
		}
		isid[i] = (uint8_t)v;
	}
}

/* Encodes s with sequence number seq into buf (slot_len() bytes). */
static void slot_encode(const struct pr_state *s, uint64_t seq, uint8_t *buf)
{
	size_t len = slot_len(s->nregs);

	memset(buf, 0, len);
	memcpy(buf, slot_magic, 8);
	put_le32(buf + 8, PR_FORMAT);
	put_le64(buf + 16, seq);
	put_le32(buf + 24, s->nregs);
	put_le32(buf + 28, s->generation);
	buf[32] = (uint8_t)((s->aptpl ? SF_APTPL : 0) | (s->reserved ? SF_RESERVED : 0));
	buf[33] = s->reserved ? s->type : 0;
	if (s->reserved)
		snprintf((char *)buf + 256, SCSI_PORT_NAME_MAX, "%s", s->res_tport);
	for (unsigned i = 0; i < s->nregs; i++) {
		const struct pr_reg *r = &s->regs[i];
		uint8_t *p = buf + SLOT_HDR_LEN + (size_t)i * PR_REC_SIZE;

		put_le64(p, r->key);
		put_le16(p + 8, r->rtpi);
		p[10] = (uint8_t)((r->all_tg_pt ? RF_ALL_TG_PT : 0) |
				  (r->holder ? RF_HOLDER : 0) |
				  (r->i_port[0] ? RF_ISID : 0));
		if (r->i_port[0])
			isid_from_port(r, p + 12);
		snprintf((char *)p + 32, SCSI_NAME_MAX, "%s", r->i_name);
		snprintf((char *)p + 256, SCSI_PORT_NAME_MAX, "%s", r->t_port);
	}
	put_le32(buf + 12, crc_without(buf, SLOT_HDR_LEN + (size_t)s->nregs * PR_REC_SIZE, 12));
}

static bool decode_reg(const uint8_t *p, struct pr_reg *r)
{
	uint8_t f = p[10];

	if ((f & ~(RF_ALL_TG_PT | RF_HOLDER | RF_ISID)) ||
	    !field_str(p + 32, SCSI_NAME_MAX, r->i_name) || !r->i_name[0] ||
	    !field_str(p + 256, SCSI_PORT_NAME_MAX, r->t_port) || !r->t_port[0])
		return false;
	r->key = get_le64(p);
	r->rtpi = get_le16(p + 8);
	r->all_tg_pt = f & RF_ALL_TG_PT;
	r->holder = f & RF_HOLDER;
	r->i_port[0] = '\0';
	if (f & RF_ISID)
		snprintf(r->i_port, sizeof(r->i_port), "%s,i,0x%02x%02x%02x%02x%02x%02x",
			 r->i_name, p[12], p[13], p[14], p[15], p[16], p[17]);
	return true;
}

/* Decodes a slot into s (regs allocated). 0, or -1 with why set; *zero
 * tells a slot never written from a damaged one. */
static int slot_decode(const uint8_t *buf, struct pr_state *s, uint64_t *seq,
		       bool *zero, char *why, size_t whylen)
{
	unsigned holders = 0;
	uint32_t n;

	memset(s, 0, sizeof(*s));
	*zero = all_zero(buf, SLOT_HDR_LEN);
	if (*zero) {
		snprintf(why, whylen, "never written");
		return -1;
	}
	if (memcmp(buf, slot_magic, 8)) {
		snprintf(why, whylen, "no slot magic (overwritten?)");
		return -1;
	}
	if (get_le32(buf + 8) != PR_FORMAT) {
		snprintf(why, whylen, "format %" PRIu32 ", this tandemd reads format %u",
			 get_le32(buf + 8), PR_FORMAT);
		return -1;
	}
	n = get_le32(buf + 24);
	if (n > PR_MAX_REGS) {
		snprintf(why, whylen, "%" PRIu32 " registrations, more than %u", n,
			 PR_MAX_REGS);
		return -1;
	}
	if (get_le32(buf + 12) != crc_without(buf, SLOT_HDR_LEN + (size_t)n * PR_REC_SIZE, 12)) {
		snprintf(why, whylen, "CRC32C mismatch (torn or damaged write)");
		return -1;
	}
	s->regs = calloc(n + 1, sizeof(*s->regs));
	if (!s->regs) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	*seq = get_le64(buf + 16);
	s->generation = get_le32(buf + 28);
	s->aptpl = buf[32] & SF_APTPL;
	s->reserved = buf[32] & SF_RESERVED;
	s->type = buf[33];
	/* A CRC protects against damage, not against a writer with other
	 * rules: every field is checked as if it came off the wire. */
	if ((buf[32] & ~(SF_APTPL | SF_RESERVED)) ||
	    (s->reserved && !pr_type_valid(s->type)) ||
	    !field_str(buf + 256, SCSI_PORT_NAME_MAX, s->res_tport)) {
		snprintf(why, whylen, "invalid reservation fields");
		goto bad;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (!decode_reg(buf + SLOT_HDR_LEN + (size_t)i * PR_REC_SIZE, &s->regs[i])) {
			snprintf(why, whylen, "registration %" PRIu32 " is invalid", i);
			goto bad;
		}
		holders += s->regs[i].holder;
	}
	s->nregs = n;
	if (holders != (s->reserved && !pr_type_all_reg(s->type) ? 1u : 0u)) {
		snprintf(why, whylen, "%u reservation holders for %s", holders,
			 s->reserved ? pr_type_name(s->type) : "no reservation");
		goto bad;
	}
	return 0;
bad:
	pr_state_free(s);
	return -1;
}

static void header_encode(uint8_t *buf, const struct scsi_lu_config *cfg)
{
	memset(buf, 0, HDR_BLOCK);
	memcpy(buf, area_magic, 8);
	put_le32(buf + 8, PR_FORMAT);
	put_le32(buf + 16, PR_AREA_SIZE);
	put_le32(buf + 20, PR_SLOT_SIZE);
	memcpy(buf + 24, cfg->naa, 16);
	snprintf((char *)buf + 40, 64, "%s", cfg->name);
	put_le32(buf + 12, crc_without(buf, HDR_LEN, 12));
}

static void naa_hex(const uint8_t *naa, char *out)
{
	for (unsigned i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", naa[i]);
}

/* 0 if the header is a valid one for this LU; otherwise why. */
static int header_decode(const uint8_t *buf, const struct scsi_lu_config *cfg,
			 char *owner, char *why, size_t whylen)
{
	char a[33], b[33];

	owner[0] = '\0';
	if (memcmp(buf, area_magic, 8)) {
		snprintf(why, whylen, "no store header: the area holds data that is not a tandem PR store");
		return -1;
	}
	if (get_le32(buf + 12) != crc_without(buf, HDR_LEN, 12)) {
		snprintf(why, whylen, "store header damaged (CRC32C mismatch)");
		return -1;
	}
	field_str(buf + 40, 64, owner);
	if (get_le32(buf + 8) != PR_FORMAT) {
		snprintf(why, whylen, "store format %" PRIu32 " is not the format %u this tandemd reads (written by another version?)",
			 get_le32(buf + 8), PR_FORMAT);
		return -1;
	}
	if (get_le32(buf + 16) != PR_AREA_SIZE || get_le32(buf + 20) != PR_SLOT_SIZE) {
		snprintf(why, whylen, "store header gives an area of %" PRIu32 " bytes with %" PRIu32 "-byte slots, not %u and %u",
			 get_le32(buf + 16), get_le32(buf + 20), PR_AREA_SIZE, PR_SLOT_SIZE);
		return -1;
	}
	if (memcmp(buf + 24, cfg->naa, 16)) {
		naa_hex(buf + 24, a);
		naa_hex(cfg->naa, b);
		snprintf(why, whylen, "store belongs to storage object \"%s\" (NAA %s), not to this LU (NAA %s)",
			 owner, a, b);
		return -1;
	}
	return 0;
}

int pr_store_inspect(const uint8_t *area, const struct scsi_lu_config *cfg,
		     struct pr_area_info *info)
{
	memset(info, 0, sizeof(*info));
	info->current = -1;
	info->zero = all_zero(area, PR_AREA_SIZE);
	if (info->zero)
		return 0;
	info->header_ok = header_decode(area, cfg, info->owner, info->header_why,
					sizeof(info->header_why)) == 0;
	for (unsigned i = 0; i < 2; i++) {
		struct pr_state s;

		if (slot_decode(area + PR_SLOT_OFF(i), &s, &info->slot_seq[i],
				&info->slot_zero[i], info->slot_why[i],
				sizeof(info->slot_why[i])) < 0) {
			if (!strcmp(info->slot_why[i], "out of memory"))
				goto oom;
			continue;
		}
		info->slot_ok[i] = true;
		if (info->current < 0 || info->slot_seq[i] > info->slot_seq[info->current]) {
			pr_state_free(&info->st);
			info->st = s;
			info->current = (int)i;
		} else {
			pr_state_free(&s);
		}
	}
	return 0;
oom:
	pr_state_free(&info->st);
	return -1;
}

void pr_area_print(const struct pr_area_info *info, FILE *out)
{
	if (info->zero) {
		fprintf(out, "  store: never written (all zeroes); tandemd initialises it at attach\n");
		return;
	}
	fprintf(out, "  header: %s\n", info->header_ok ? "valid" : info->header_why);
	for (unsigned i = 0; i < 2; i++) {
		if (info->slot_ok[i])
			fprintf(out, "  slot %u: valid, sequence %" PRIu64 "%s\n", i,
				info->slot_seq[i],
				info->current == (int)i ? " (current)" : "");
		else
			fprintf(out, "  slot %u: %s\n", i, info->slot_why[i]);
	}
	if (info->current >= 0)
		pr_state_print(&info->st, out, "  ");
	else
		fprintf(out, "  state: none valid\n");
}

/* Synchronous I/O for attach and clear, before the workers run: a ring of
 * its own, waited on. A ramdisk completes inside bs_submit(). The WRITE
 * ATOMIC journal's recovery uses it too (pr_area_sync_io). */
struct sync_io {
	bool done;
	int err;
};

static void sync_done(struct bs_io *io, int err)
{
	struct sync_io *s = io->priv;

	s->err = err;
	s->done = true;
}

int pr_area_sync_io(struct backstore *bs, enum bs_op op, uint64_t off,
		    void *buf, size_t len)
{
	struct sync_io s = { .done = false, .err = 0 };
	struct bs_io io = {
		.op = op, .flags = op == BS_OP_WRITE ? BS_F_FUA : 0,
		.offset = off, .len = len, .buf = buf, .done = sync_done,
		.priv = &s,
	};
	struct bs_ring *ring = NULL;
	char why[160];

	if (bs->cfg.kind != BS_RAMDISK) {
		ring = bs_ring_create(4, why, sizeof(why));
		if (!ring)
			return -ENOMEM;
	}
	bs_submit(bs, ring, &io);
	while (!s.done) {
		struct pollfd pfd = { .fd = bs_ring_eventfd(ring), .events = POLLIN };

		bs_ring_submit(ring);
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		bs_ring_reap(ring);
	}
	bs_ring_destroy(ring);
	return s.done ? s.err : -EIO;
}

static void *area_alloc(void)
{
	void *p = NULL;

	return posix_memalign(&p, 4096, PR_AREA_SIZE) ? NULL : p;
}

/* Where the store of this LU lives: its device (opened here for an
 * external store), the area's offset, and a description for messages. */
static int store_locate(struct backstore *lu_bs, const struct scsi_lu_config *cfg,
			struct pr_store *st, char *where, size_t wlen,
			char *err, size_t errlen)
{
	st->kind = cfg->pr_store;
	if (st->kind == SCSI_PR_STORE_INTERNAL) {
		if (lu_bs->size < 2 * (uint64_t)PR_AREA_SIZE) {
			snprintf(err, errlen, "%s: backstore of %" PRIu64 " bytes is too small for an internal PR store (it takes the last 1 MiB); set pr_store to none or external",
				 cfg->name, lu_bs->size);
			return -1;
		}
		st->bs = lu_bs;
		st->area = pr_internal_area(lu_bs->size);
		snprintf(where, wlen, "internal, last MiB of %s at byte %" PRIu64,
			 lu_bs->cfg.path[0] ? lu_bs->cfg.path : cfg->name, st->area);
	} else {
		struct bs_config bc;
		struct stat sb;
		char why[512];

		memset(&bc, 0, sizeof(bc));
		snprintf(bc.name, sizeof(bc.name), "%.58s.pr", cfg->name);
		snprintf(bc.path, sizeof(bc.path), "%s", cfg->pr_store_dev);
		/* Never created here: a missing device is a configuration or
		 * cluster error (the DRBD volume is not up), not a new store. */
		if (stat(bc.path, &sb) != 0) {
			snprintf(err, errlen, "%s: PR store device %s: %s", cfg->name,
				 bc.path, strerror(errno));
			return -1;
		}
		bc.kind = S_ISBLK(sb.st_mode) ? BS_BLOCK : BS_FILEIO;
		st->bs = bs_open(&bc, why, sizeof(why));
		if (!st->bs) {
			snprintf(err, errlen, "%s: PR store device: %s", cfg->name, why);
			return -1;
		}
		if (st->bs->size < PR_AREA_SIZE) {
			snprintf(err, errlen, "%s: PR store device %s has %" PRIu64 " bytes, less than the 1 MiB a store takes",
				 cfg->name, bc.path, st->bs->size);
			bs_close(st->bs);
			st->bs = NULL;
			return -1;
		}
		st->area = 0;
		snprintf(where, wlen, "external, %s", bc.path);
	}
	if (st->bs->cfg.readonly) {
		snprintf(err, errlen, "%s: PR store (%s) is on a read-only backstore; set pr_store to none",
			 cfg->name, where);
		pr_store_detach(st);
		return -1;
	}
	return 0;
}

void pr_store_detach(struct pr_store *st)
{
	if (st->kind == SCSI_PR_STORE_EXTERNAL && st->bs)
		bs_close(st->bs);
	st->bs = NULL;
}

/* Writes s as the next state (the slot after st->cur) synchronously. */
static int write_next(struct pr_store *st, const struct pr_state *s, uint8_t *buf)
{
	unsigned slot = st->cur ^ 1u;
	int e;

	slot_encode(s, st->seq + 1, buf);
	e = pr_area_sync_io(st->bs, BS_OP_WRITE, st->area + PR_SLOT_OFF(slot), buf,
		    slot_len(s->nregs));
	if (e == 0) {
		st->cur = slot;
		st->seq++;
	}
	return e;
}

/* A fresh store: header, then an empty state in slot 0 (an area whose
 * header is valid and whose slots are both never written is taken for
 * one interrupted here). */
static int store_init(struct pr_store *st, const struct scsi_lu_config *cfg,
		      uint8_t *buf)
{
	struct pr_state empty;
	int e;

	memset(&empty, 0, sizeof(empty));
	header_encode(buf, cfg);
	e = pr_area_sync_io(st->bs, BS_OP_WRITE, st->area, buf, HDR_BLOCK);
	if (e)
		return e;
	st->cur = 1;
	st->seq = 0;
	return write_next(st, &empty, buf);
}

/* Whether a slot at least carries the slot magic: the area was a store. */
static bool slot_looks_ours(const uint8_t *area, unsigned i)
{
	return !memcmp(area + PR_SLOT_OFF(i), slot_magic, 8);
}

int pr_store_attach(struct scsi_lu *lu, struct pr_lu *pr, char *err,
		    size_t errlen)
{
	const struct scsi_lu_config *cfg = &lu->cfg;
	struct pr_store *st = &pr->store;
	struct pr_area_info info;
	char where[PATH_MAX + 64];
	uint8_t *area;
	int e;

	memset(&info, 0, sizeof(info));
	if (store_locate(lu->bs, cfg, st, where, sizeof(where), err, errlen) < 0)
		return -1;
	area = area_alloc();
	if (!area) {
		snprintf(err, errlen, "%s: PR store: out of memory", cfg->name);
		goto fail;
	}
	e = pr_area_sync_io(st->bs, BS_OP_READ, st->area, area, PR_AREA_SIZE);
	if (e) {
		snprintf(err, errlen, "%s: PR store (%s): cannot read it: %s",
			 cfg->name, where, strerror(-e));
		goto fail;
	}
	if (pr_store_inspect(area, cfg, &info) < 0) {
		snprintf(err, errlen, "%s: PR store: out of memory", cfg->name);
		goto fail;
	}
	if (info.zero || (info.header_ok && info.slot_zero[0] && info.slot_zero[1])) {
		e = store_init(st, cfg, area);
		if (e) {
			snprintf(err, errlen, "%s: PR store (%s): cannot initialise it: %s",
				 cfg->name, where, strerror(-e));
			goto fail;
		}
	} else if (!info.header_ok) {
		bool ours = slot_looks_ours(area, 0) || slot_looks_ours(area, 1) ||
			    !memcmp(area, area_magic, 8);
		snprintf(err, errlen, "%s: PR store (%s): %s; refusing to attach%s",
			 cfg->name, where, info.header_why, ours ?
			 " (inspect it with `tandemd pr show`, reset it with `tandemd pr clear`)" :
			 ": it was probably written by an initiator when the LU was larger, so tandem will not overwrite it; "
			 "set \"pr_store\": \"none\" (or \"external\") for this storage object, or clear the area if its content is not needed");
		goto fail;
	} else if (info.current < 0) {
		snprintf(err, errlen, "%s: PR store (%s): no valid state (slot 0: %s; slot 1: %s); refusing to attach rather than lose the registrations "
			 "(inspect it with `tandemd pr show`, reset it with `tandemd pr clear`)",
			 cfg->name, where, info.slot_why[0], info.slot_why[1]);
		goto fail;
	} else {
		pr->st = info.st;
		info.st.regs = NULL;
		st->cur = (unsigned)info.current;
		st->seq = info.slot_seq[info.current];
	}
	/* SPC-4: a power on zeroes PRGENERATION and drops every
	 * registration unless APTPL was set. */
	if (cfg->pr_cold_start && (pr->st.generation || (!pr->st.aptpl && pr->st.nregs))) {
		pr->st.generation = 0;
		if (!pr->st.aptpl)
			pr_state_clear(&pr->st);
		e = write_next(st, &pr->st, area);
		if (e) {
			snprintf(err, errlen, "%s: PR store (%s): cannot write the cold-start state: %s",
				 cfg->name, where, strerror(-e));
			goto fail;
		}
	}
	if (st->kind == SCSI_PR_STORE_INTERNAL)
		lu->nblocks = st->area / lu->block_size;
	free(area);
	return 0;
fail:
	pr_state_free(&info.st);
	pr_state_free(&pr->st);
	free(area);
	pr_store_detach(st);
	return -1;
}

static void store_io_done(struct bs_io *io, int err)
{
	struct scsi_cmd *cmd = io->priv;
	struct pr_store *st = &lu_pr(cmd->lu)->store;

	/* Only the writer of a busy LU touches cur and seq; the commit that
	 * follows publishes them under lu->lock. */
	if (!err) {
		st->cur ^= 1u;
		st->seq++;
	}
	cmd->next(cmd, err);
}

void pr_store_write(struct scsi_cmd *cmd, struct pr_lu *pr,
		    void (*done)(struct scsi_cmd *cmd, int err))
{
	struct pr_store *st = &pr->store;
	size_t len = slot_len(pr->next.nregs);

	if (scsi_cmd_get_aux(cmd, len) < 0) {
		done(cmd, -ENOMEM);
		return;
	}
	slot_encode(&pr->next, st->seq + 1, cmd->aux);
	cmd->next = done;
	cmd->bio = (struct bs_io){
		.op = BS_OP_WRITE, .flags = BS_F_FUA,
		.offset = st->area + PR_SLOT_OFF(st->cur ^ 1u), .len = len,
		.buf = cmd->aux, .done = store_io_done, .priv = cmd,
	};
	bs_submit(st->bs, cmd->ring, &cmd->bio);
}

int pr_store_clear(struct backstore *bs, const struct scsi_lu_config *cfg,
		   bool force, FILE *out, char *err, size_t errlen)
{
	struct pr_store st = { .kind = SCSI_PR_STORE_NONE };
	struct pr_area_info info;
	struct pr_state empty;
	char where[PATH_MAX + 64];
	uint8_t *area = NULL;
	int e, ret = -1;

	memset(&info, 0, sizeof(info));
	if (cfg->pr_store == SCSI_PR_STORE_NONE) {
		snprintf(err, errlen, "%s: pr_store is none: the PR state lives in tandemd's memory only, there is no store to clear",
			 cfg->name);
		return -1;
	}
	if (store_locate(bs, cfg, &st, where, sizeof(where), err, errlen) < 0)
		return -1;
	area = area_alloc();
	if (!area) {
		snprintf(err, errlen, "%s: out of memory", cfg->name);
		goto out;
	}
	e = pr_area_sync_io(st.bs, BS_OP_READ, st.area, area, PR_AREA_SIZE);
	if (e || pr_store_inspect(area, cfg, &info) < 0) {
		snprintf(err, errlen, "%s: PR store (%s): cannot read it: %s",
			 cfg->name, where, e ? strerror(-e) : "out of memory");
		goto out;
	}
	if (!info.zero && !force && memcmp(area, area_magic, 8) &&
	    !slot_looks_ours(area, 0) && !slot_looks_ours(area, 1)) {
		snprintf(err, errlen, "%s: PR store (%s): the area holds data that is not a tandem PR store; clearing would overwrite 1 MiB of it (use --force if that data is not needed)",
			 cfg->name, where);
		goto out;
	}
	fprintf(out, "storage object %s: PR store %s\nbefore:\n", cfg->name, where);
	pr_area_print(&info, out);
	memset(&empty, 0, sizeof(empty));
	/* The new state must outrank whatever a slot holds, even a slot that
	 * does not validate now, so the other slot is zeroed when neither
	 * could be trusted. */
	if (info.current >= 0) {
		empty.generation = info.st.generation + 1;
		st.cur = (unsigned)info.current;
		st.seq = info.slot_seq[info.current];
	} else {
		st.cur = 1;
		st.seq = 0;
	}
	header_encode(area, cfg);
	e = pr_area_sync_io(st.bs, BS_OP_WRITE, st.area, area, HDR_BLOCK);
	if (!e)
		e = write_next(&st, &empty, area);
	if (!e && info.current < 0) {
		memset(area, 0, HDR_BLOCK);
		e = pr_area_sync_io(st.bs, BS_OP_WRITE, st.area + PR_SLOT_OFF(1), area, HDR_BLOCK);
	}
	if (e) {
		snprintf(err, errlen, "%s: PR store (%s): write failed: %s",
			 cfg->name, where, strerror(-e));
		goto out;
	}
	fprintf(out, "after: no registrations, no reservation, generation %" PRIu32 ", APTPL off (slot %u, sequence %" PRIu64 ")\n",
		empty.generation, st.cur, st.seq);
	ret = 0;
out:
	pr_state_free(&info.st);
	free(area);
	pr_store_detach(&st);
	return ret;
}
