/* EXTENDED COPY (LID1) and RECEIVE COPY RESULTS over the fake backstore:
 * copies inside one LU and between two, in chunks, completing at once and
 * held back; every parameter list error with its sense; write protection,
 * reservations and LUs the nexus has not mapped; held results, COPY
 * STATUS, FAILED SEGMENT DETAILS and OPERATING PARAMETERS; the
 * Third-party Copy VPD page. */
#include "test_scsi_fixture.h"

#define LIST_HOLD 0
#define LIST_DISCARD 2

/* The fixture's LU, and a second one (LUN 300) with its own medium. */
struct xfx {
	struct fx *f;
	struct fake_bs fb2;
	struct scsi_lu *lu2;
	uint8_t naa2[16];
};

static void naa_of(uint8_t *naa, uint8_t base)
{
	for (unsigned i = 0; i < 16; i++)
		naa[i] = (uint8_t)(base + i);
}

static struct xfx *xfx_new(uint64_t blocks)
{
	struct scsi_lu_config cfg = fx_default_cfg();
	struct xfx *x = calloc(1, sizeof(*x));
	char err[128];

	assert_non_null(x);
	x->f = fx_new_lu(&cfg, blocks, FX_BLOCK);
	fx_clear_ua(x->f, &x->f->nexus);
	x->fb2.bs.ops = &fake_ops;
	x->fb2.bs.cfg.kind = BS_RAMDISK;
	x->fb2.bs.size = FX_BLOCKS * FX_BLOCK;
	x->fb2.bs.block_size = FX_BLOCK;
	x->fb2.bs.phys_block_size = FX_BLOCK;
	x->fb2.bs.fd = -1;
	x->fb2.mem = calloc(1, x->fb2.bs.size);
	assert_non_null(x->fb2.mem);
	strcpy(cfg.name, "disk2");
	strcpy(cfg.serial, "second");
	naa_of(cfg.naa, 0x61);
	memcpy(x->naa2, cfg.naa, 16);
	x->lu2 = scsi_lu_create(&x->fb2.bs, &cfg, err, sizeof(err));
	assert_non_null(x->lu2);
	x->f->ent[2].lu = x->lu2;
	return x;
}

static int xfx_setup(void **state)
{
	*state = xfx_new(FX_BLOCKS);
	return 0;
}

static int xfx_teardown(void **state)
{
	struct xfx *x = *state;

	fx_release(x->f);
	scsi_lu_destroy(x->lu2);
	free(x->fb2.mem);
	fx_free(x->f);
	free(x);
	return 0;
}

static const uint8_t *naa1(void)
{
	static uint8_t naa[16];
	naa_of(naa, 0x60);
	return naa;
}

static void put_header(uint8_t *p, uint8_t list_id, uint8_t usage,
		       uint16_t ncscd, uint32_t nseg)
{
	memset(p, 0, 16);
	p[0] = list_id;
	p[1] = (uint8_t)(usage << 3);
	put16(p + 2, (uint16_t)(ncscd * 32));
	put32(p + 8, nseg * 28);
}

/* An identification descriptor naming a LU by its NAA designator. */
static void put_cscd(uint8_t *d, const uint8_t *naa, uint32_t block)
{
	memset(d, 0, 32);
	d[0] = 0xe4;
	d[4] = 0x01;
	d[5] = 0x03;
	d[7] = 16;
	memcpy(d + 8, naa, 16);
	d[29] = (uint8_t)(block >> 16);
	d[30] = (uint8_t)(block >> 8);
	d[31] = (uint8_t)block;
}

static void put_b2b(uint8_t *d, uint16_t src, uint16_t dst, uint16_t n,
		    uint64_t slba, uint64_t dlba)
{
	memset(d, 0, 28);
	d[0] = 0x02;
	put16(d + 2, 0x18);
	put16(d + 4, src);
	put16(d + 6, dst);
	put16(d + 10, n);
	put64(d + 12, slba);
	put64(d + 20, dlba);
}

/* A list with the given CSCDs (descriptor 0 = naa_a, 1 = naa_b if set)
 * and one segment. Returns its length. */
static size_t one_segment(uint8_t *p, uint8_t list_id, uint8_t usage,
			  const uint8_t *naa_a, const uint8_t *naa_b,
			  uint16_t src, uint16_t dst, uint16_t n,
			  uint64_t slba, uint64_t dlba)
{
	unsigned ncscd = naa_b ? 2 : 1;

	put_header(p, list_id, usage, (uint16_t)ncscd, 1);
	put_cscd(p + 16, naa_a, FX_BLOCK);
	if (naa_b)
		put_cscd(p + 48, naa_b, FX_BLOCK);
	put_b2b(p + 16 + 32 * ncscd, src, dst, n, slba, dlba);
	return 16 + 32 * ncscd + 28;
}

static uint8_t xcopy(struct fx *f, const uint8_t *list, size_t len)
{
	uint8_t cdb[16] = { 0x83 };

	put32(cdb + 10, (uint32_t)len);
	return fx_run(f, cdb, 16, list, len);
}

static uint8_t rcr(struct fx *f, uint8_t sa, uint8_t list_id)
{
	uint8_t cdb[16] = { 0x84, sa, list_id };

	put32(cdb + 10, 1024);
	return fx_run(f, cdb, 16, NULL, 0);
}

static void pattern(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

/* The sense-key specific field pointer of the last command (fixed). */
static uint16_t field_pointer(const struct fx *f)
{
	assert_true(f->cmd.sense[15] & 0x80);
	return get16(f->cmd.sense + 16);
}

static void test_copy_within_lu(void **state)
{
	struct xfx *x = *state;
	struct fx *f = x->f;
	uint8_t list[128];

	pattern(f->fb.mem, 16 * FX_BLOCK, 3);
	size_t len = one_segment(list, 1, LIST_DISCARD, naa1(), NULL, 0, 0, 16, 0, 100);
	assert_int_equal(xcopy(f, list, len), SAM_STAT_GOOD);
	assert_memory_equal(f->fb.mem + 100 * FX_BLOCK, f->fb.mem, 16 * FX_BLOCK);
	/* A zero-length list copies nothing and is not an error. */
	assert_int_equal(xcopy(f, NULL, 0), SAM_STAT_GOOD);
}

static void test_copy_between_lus(void **state)
{
	struct xfx *x = *state;
	struct fx *f = x->f;
	uint8_t list[128];

	pattern(f->fb.mem + 10 * FX_BLOCK, 8 * FX_BLOCK, 9);
	size_t len = one_segment(list, 1, LIST_DISCARD, naa1(), x->naa2, 0, 1, 8, 10, 2000);
	assert_int_equal(xcopy(f, list, len), SAM_STAT_GOOD);
	assert_memory_equal(x->fb2.mem + 2000 * FX_BLOCK, f->fb.mem + 10 * FX_BLOCK,
			    8 * FX_BLOCK);
	/* And back, DC set: the count is in destination blocks. */
	memset(f->fb.mem, 0, 8 * FX_BLOCK);
	len = one_segment(list, 1, LIST_DISCARD, naa1(), x->naa2, 1, 0, 8, 2000, 0);
	list[16 + 64 + 1] = 0x02;
	assert_int_equal(xcopy(f, list, len), SAM_STAT_GOOD);
	assert_memory_equal(f->fb.mem, f->fb.mem + 10 * FX_BLOCK, 8 * FX_BLOCK);
}

/* 3 MiB in 1 MiB chunks, at once and with every I/O held back; the copy
 * never holds more than one chunk of buffer. */
static void copy_chunks(bool defer)
{
	struct xfx *x = xfx_new(16384);
	struct fx *f = x->f;
	uint8_t list[128];
	uint32_t n = 6000;

	pattern(f->fb.mem, (size_t)n * FX_BLOCK, 5);
	size_t len = one_segment(list, 0, 3, naa1(), NULL, 0, 0, (uint16_t)n, 0, 8000);
	f->fb.defer = defer;
	assert_int_equal(xcopy(f, list, len), SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_READ], 3);
	assert_int_equal(f->fb.count[BS_OP_WRITE], 3);
	assert_true(f->cmd.aux_cap <= (1u << 20));
	assert_memory_equal(f->fb.mem + 8000 * FX_BLOCK, f->fb.mem,
			    (size_t)n * FX_BLOCK);
	void *s = x;
	xfx_teardown(&s);
}

static void test_copy_chunks(void **state)
{
	(void)state;
	copy_chunks(false);
	copy_chunks(true);
}

static void test_param_list_length(void **state)
{
	struct xfx *x = *state;
	struct fx *f = x->f;
	uint8_t list[128];
	size_t len = one_segment(list, 1, LIST_HOLD, naa1(), NULL, 0, 0, 8, 0, 100);
	uint8_t cdb[16] = { 0x83 };

	/* Cut inside the CSCD, inside the segment, inside the header. */
	assert_int_equal(xcopy(f, list, 16 + 31), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x1a00);
	assert_int_equal(xcopy(f, list, len - 1), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x1a00);
	assert_int_equal(xcopy(f, list, 15), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x1a00);
	/* Longer than any list the limits allow: refused before data-out. */
	put32(cdb + 10, 16 + 16 * 32 + 64 * 28 + 1);
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, cdb, 16), -1);
	fx_assert_check(f, 0x5, 0x1a00);
	assert_int_equal(f->fb.count[BS_OP_WRITE], 0);
}

static void test_descriptor_limits(void **state)
{
	struct xfx *x = *state;
	struct fx *f = x->f;
	uint8_t list[16 + 17 * 32 + 65 * 28];

	put_header(list, 1, LIST_HOLD, 17, 1);
	for (unsigned i = 0; i < 17; i++)
		put_cscd(list + 16 + 32 * i, naa1(), FX_BLOCK);
	put_b2b(list + 16 + 17 * 32, 0, 0, 1, 0, 1);
	assert_int_equal(xcopy(f, list, 16 + 17 * 32 + 28), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2606);

	put_header(list, 1, LIST_HOLD, 1, 65);
	put_cscd(list + 16, naa1(), FX_BLOCK);
	for (unsigned i = 0; i < 65; i++)
		put_b2b(list + 48 + 28 * i, 0, 0, 1, 0, 1);
	assert_int_equal(xcopy(f, list, 48 + 65 * 28), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2608);
	/* Both lists past the longest the counts allow. */
	put_header(list, 1, LIST_HOLD, 17, 65);
	assert_int_equal(xcopy(f, list, sizeof(list)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x1a00);
	assert_int_equal(f->fb.count[BS_OP_WRITE], 0);
}

static void test_descriptor_types(void **state)
{
	struct xfx *x = *state;
	struct fx *f = x->f;
	uint8_t list[128];
	size_t len = one_segment(list, 1, LIST_HOLD, naa1(), NULL, 0, 0, 8, 0, 100);

	list[16] = 0xe0;			/* Fibre Channel N_Port_Name */
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2607);
	assert_int_equal(field_pointer(f), 16);
	list[16] = 0xe4;
	list[48] = 0x03;			/* stream-to-stream */
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2609);
	assert_int_equal(field_pointer(f), 48);
	list[48] = 0x02;
	list[51] = 0x17;			/* wrong descriptor length */
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	list[51] = 0x18;
	list[17] = 0xc0;			/* LU ID TYPE 11b */
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	list[17] = 0x01;			/* not a block device */
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	list[17] = 0;
	list[1] = 1 << 3;			/* LIST ID USAGE 01b */
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	list[1] = 3 << 3;			/* no list id, yet one given */
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	list[1] = 0;
	put32(list + 12, 4);			/* inline data */
	uint8_t big[132];
	memset(big, 0, sizeof(big));
	memcpy(big, list, len);
	assert_int_equal(xcopy(f, big, len + 4), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x260b);
	put32(list + 12, 0);
	list[16 + 30] = 0;			/* disk block length 0 */
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	assert_int_equal(f->fb.count[BS_OP_WRITE], 0);
}

/* What the copy cannot reach or would run off the medium is COPY ABORTED,
 * with the field and the segments processed, and nothing is copied. */
static void test_copy_aborted(void **state)
{
	struct xfx *x = *state;
	struct fx *f = x->f;
	uint8_t list[128], other[16];
	size_t len = one_segment(list, 1, LIST_HOLD, naa1(), NULL, 0, 1, 8, 0, 100);

	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0xa, 0x0d02);
	assert_int_equal(field_pointer(f), 48 + 6);
	assert_int_equal(get32(f->cmd.sense + 8), 0);

	len = one_segment(list, 1, LIST_HOLD, naa1(), NULL, 0, 0, 8, 0, 100);
	list[17] = 0x20;			/* NUL */
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0xa, 0x0d02);

	naa_of(other, 0x62);			/* no such LU */
	len = one_segment(list, 1, LIST_HOLD, other, NULL, 0, 0, 8, 0, 100);
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0xa, 0x0d02);

	len = one_segment(list, 1, LIST_HOLD, naa1(), NULL, 0, 0, 8, 0, FX_BLOCKS - 1);
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0xa, 0x0000);
	assert_int_equal(field_pointer(f), 48 + 20);
	len = one_segment(list, 1, LIST_HOLD, naa1(), NULL, 0, 0, 8, FX_BLOCKS, 0);
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0xa, 0x0000);
	assert_int_equal(field_pointer(f), 48 + 12);
	assert_int_equal(f->fb.count[BS_OP_READ] + f->fb.count[BS_OP_WRITE], 0);
}

/* Two segments, the second out of range: the list is refused whole, so
 * the first is not copied either. */
static void test_checked_before_copying(void **state)
{
	struct xfx *x = *state;
	struct fx *f = x->f;
	uint8_t list[16 + 32 + 2 * 28];

	put_header(list, 1, LIST_HOLD, 1, 2);
	put_cscd(list + 16, naa1(), FX_BLOCK);
	put_b2b(list + 48, 0, 0, 4, 0, 10);
	put_b2b(list + 76, 0, 0, 4, 0, FX_BLOCKS - 2);
	assert_int_equal(xcopy(f, list, sizeof(list)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0xa, 0x0000);
	assert_int_equal(field_pointer(f), 76 + 20);
	assert_int_equal(f->fb.count[BS_OP_WRITE], 0);
	put_b2b(list + 76, 0, 0, 4, 0, 20);
	assert_int_equal(xcopy(f, list, sizeof(list)), SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_WRITE], 2);
}

static void test_not_mapped_or_protected(void **state)
{
	struct xfx *x = *state;
	struct fx *f = x->f;
	uint8_t list[128];
	size_t len = one_segment(list, 1, LIST_DISCARD, naa1(), x->naa2, 0, 1, 8, 0, 0);

	/* Mapped only read-only: a source, never a destination. */
	f->ent[2].write_protect = true;
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x7, 0x2700);
	len = one_segment(list, 1, LIST_DISCARD, naa1(), x->naa2, 1, 0, 8, 0, 0);
	assert_int_equal(xcopy(f, list, len), SAM_STAT_GOOD);
	/* Not mapped for this nexus at all: as if it did not exist. */
	f->ent[2].lu = f->lu;
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0xa, 0x0d02);
	assert_int_equal(x->fb2.count[BS_OP_WRITE], 0);
}

/* Another nexus's SPC-2 reservation of the destination conflicts. */
static void test_reservation_conflict(void **state)
{
	struct xfx *x = *state;
	struct fx *f = x->f;
	uint8_t list[128], reserve[6] = { 0x16 };

	fx_clear_ua(f, &f->nexus2);
	fx_run_on(f, &f->nexus2, 300, reserve, 6, NULL, 0);
	assert_int_equal(f->cmd.status, SAM_STAT_CHECK_CONDITION);	/* UA */
	assert_int_equal(fx_run_on(f, &f->nexus2, 300, reserve, 6, NULL, 0),
			 SAM_STAT_GOOD);
	size_t len = one_segment(list, 1, LIST_DISCARD, naa1(), x->naa2, 0, 1, 8, 0, 0);
	assert_int_equal(xcopy(f, list, len), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(x->fb2.count[BS_OP_WRITE], 0);
}

static void test_receive_copy_results(void **state)
{
	struct xfx *x = *state;
	struct fx *f = x->f;
	uint8_t list[128];
	const uint8_t *p;

	assert_int_equal(rcr(f, 0x00, 7), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(field_pointer(f), 2);

	size_t len = one_segment(list, 7, LIST_HOLD, naa1(), NULL, 0, 0, 16, 0, 64);
	assert_int_equal(xcopy(f, list, len), SAM_STAT_GOOD);
	assert_int_equal(rcr(f, 0x00, 7), SAM_STAT_GOOD);
	p = f->cmd.buf;
	assert_int_equal(f->cmd.data_len, 12);
	assert_int_equal(get32(p), 8);
	assert_int_equal(p[4], 0x01);			/* completed, no error */
	assert_int_equal(get16(p + 5), 1);
	assert_int_equal(p[7], 0);
	assert_int_equal(get32(p + 8), 16 * FX_BLOCK);
	assert_int_equal(rcr(f, 0x04, 7), SAM_STAT_GOOD);
	assert_int_equal(get32(f->cmd.buf), 0);
	/* Another nexus has no results under that list identifier. */
	fx_clear_ua(f, &f->nexus2);
	uint8_t cdb[16] = { 0x84, 0x00, 7 };
	put32(cdb + 10, 64);
	assert_int_equal(fx_run_on(f, &f->nexus2, 0, cdb, 16, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	/* LIST ID USAGE 10b: not held. */
	len = one_segment(list, 8, LIST_DISCARD, naa1(), NULL, 0, 0, 16, 0, 64);
	assert_int_equal(xcopy(f, list, len), SAM_STAT_GOOD);
	assert_int_equal(rcr(f, 0x00, 8), SAM_STAT_CHECK_CONDITION);

	/* A read error: COPY ABORTED with the medium's ASC, then held. */
	f->fb.fail[BS_OP_READ] = 5;
	len = one_segment(list, 9, LIST_HOLD, naa1(), NULL, 0, 0, 16, 0, 64);
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0xa, 0x1100);
	f->fb.fail[BS_OP_READ] = 0;
	assert_int_equal(rcr(f, 0x00, 9), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[4], 0x02);		/* completed with error */
	assert_int_equal(get16(f->cmd.buf + 5), 0);
	assert_int_equal(rcr(f, 0x04, 9), SAM_STAT_GOOD);
	p = f->cmd.buf;
	assert_int_equal(p[56], SAM_STAT_CHECK_CONDITION);
	assert_int_equal(get16(p + 58), 18);
	assert_int_equal(get32(p), 56 + 18);
	assert_int_equal(p[60 + 2] & 0x0f, 0xa);
	assert_int_equal(p[60 + 12], 0x11);
}

static void test_operating_parameters(void **state)
{
	struct xfx *x = *state;
	struct fx *f = x->f;
	const uint8_t *p;

	assert_int_equal(rcr(f, 0x03, 0), SAM_STAT_GOOD);
	p = f->cmd.buf;
	assert_int_equal(f->cmd.data_len, 46);
	assert_int_equal(get32(p), 42);
	assert_int_equal(get16(p + 8), 16);
	assert_int_equal(get16(p + 10), 64);
	assert_int_equal(get32(p + 12), 16 * 32 + 64 * 28);
	assert_int_equal(get32(p + 20), 0);		/* no inline data */
	assert_int_equal(p[37], 9);			/* 512-byte granules */
	assert_int_equal(p[43], 2);
	assert_int_equal(p[44], 0x02);
	assert_int_equal(p[45], 0xe4);
	/* Unknown service action of RECEIVE COPY RESULTS. */
	assert_int_equal(rcr(f, 0x01, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
}

/* A list identifier still running on the same nexus: OPERATION IN
 * PROGRESS; once it ends, the identifier can be used again. */
static void test_list_id_in_progress(void **state)
{
	struct xfx *x = *state;
	struct fx *f = x->f;
	struct scsi_cmd first;
	uint8_t list[128], cdb[16] = { 0x83 };
	size_t len = one_segment(list, 4, LIST_HOLD, naa1(), NULL, 0, 0, 8, 0, 64);

	put32(cdb + 10, (uint32_t)len);
	f->fb.defer = true;
	f->next_edtl = (uint32_t)len;
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, cdb, 16), 0);
	memcpy(f->cmd.buf, list, len);
	scsi_cmd_execute(&f->cmd);
	assert_int_equal(f->done, 0);
	/* Keep it in flight, its I/O aside, while other commands run. */
	first = f->cmd;
	struct bs_io *io = f->fb.pending[0];
	f->fb.npending = 0;
	scsi_cmd_init(&f->cmd);
	f->fb.defer = false;
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x0016);
	assert_int_equal(rcr(f, 0x00, 4), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[4], 0x00);		/* in progress */
	fx_release(f);
	f->cmd = first;
	f->fb.pending[0] = io;
	f->fb.npending = 1;
	f->done = 0;
	fx_complete(f);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->cmd.status, SAM_STAT_GOOD);
	assert_int_equal(xcopy(f, list, len), SAM_STAT_GOOD);
}

static void test_vpd_third_party_copy(void **state)
{
	struct xfx *x = *state;
	struct fx *f = x->f;
	uint8_t cdb[6] = { 0x12, 0x01, 0x8f, 0x04, 0x00, 0 };
	const uint8_t *p, *d;

	assert_int_equal(fx_run(f, cdb, 6, NULL, 0), SAM_STAT_GOOD);
	p = f->cmd.buf;
	assert_int_equal(p[1], 0x8f);
	assert_int_equal(get16(p + 2) + 4, f->cmd.data_len);
	d = p + 4;				/* Supported Commands */
	assert_int_equal(get16(d), 0x0001);
	assert_int_equal(get16(d + 2), 12);
	assert_int_equal(d[4], 8);
	static const uint8_t cmds[] = { 0x83, 1, 0x00, 0x84, 3, 0x00, 0x03, 0x04 };
	assert_memory_equal(d + 5, cmds, sizeof(cmds));
	d += 4 + 12;				/* Parameter Data */
	assert_int_equal(get16(d), 0x0004);
	assert_int_equal(get16(d + 2), 0x1c);
	assert_int_equal(get16(d + 8), 16);
	assert_int_equal(get16(d + 10), 64);
	d += 4 + 0x1c;				/* Supported Descriptors */
	assert_int_equal(get16(d), 0x0008);
	assert_int_equal(get16(d + 2), 4);
	assert_int_equal(d[4], 2);
	assert_int_equal(d[5], 0x02);
	assert_int_equal(d[6], 0xe4);
	d += 8;					/* Supported CSCD IDs */
	assert_int_equal(get16(d), 0x000c);
	assert_int_equal(get16(d + 2), 4);
	assert_int_equal(get16(d + 4), 0);
	d += 8;					/* General Copy Operations */
	assert_int_equal(get16(d), 0x8001);
	assert_int_equal(get16(d + 2), 0x20);
	assert_true(get32(d + 4) >= 1);
	assert_int_equal(d[16], 9);
	assert_int_equal(d + 4 + 0x20, p + f->cmd.data_len);
}

/* emulate_3pc 0 (LIO's attribute): no copy manager at all. */
static void test_3pc_disabled(void **state)
{
	struct scsi_lu_config cfg = fx_default_cfg();
	uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 }, vpd[6] = { 0x12, 1, 0, 0, 255, 0 };
	uint8_t list[128];
	struct fx *f;

	cfg.emulate_3pc = false;
	f = fx_new_cfg(&cfg);
	assert_int_equal(fx_run(f, inq, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[5] & 0x08, 0);		/* no 3PC */
	assert_int_equal(fx_run(f, vpd, 6, NULL, 0), SAM_STAT_GOOD);
	assert_null(memchr(f->cmd.buf + 4, 0x8f, f->cmd.data_len - 4));
	vpd[2] = 0x8f;
	assert_int_equal(fx_run(f, vpd, 6, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	size_t len = one_segment(list, 1, LIST_DISCARD, naa1(), NULL, 0, 0, 8, 0, 100);
	assert_int_equal(xcopy(f, list, len), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2000);
	assert_int_equal(rcr(f, 0x03, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2000);
	fx_free(f);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copy_within_lu, xfx_setup, xfx_teardown),
		cmocka_unit_test_setup_teardown(test_copy_between_lus, xfx_setup, xfx_teardown),
		cmocka_unit_test(test_copy_chunks),
		cmocka_unit_test_setup_teardown(test_param_list_length, xfx_setup, xfx_teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_limits, xfx_setup, xfx_teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_types, xfx_setup, xfx_teardown),
		cmocka_unit_test_setup_teardown(test_copy_aborted, xfx_setup, xfx_teardown),
		cmocka_unit_test_setup_teardown(test_checked_before_copying, xfx_setup, xfx_teardown),
		cmocka_unit_test_setup_teardown(test_not_mapped_or_protected, xfx_setup, xfx_teardown),
		cmocka_unit_test_setup_teardown(test_reservation_conflict, xfx_setup, xfx_teardown),
		cmocka_unit_test_setup_teardown(test_receive_copy_results, xfx_setup, xfx_teardown),
		cmocka_unit_test_setup_teardown(test_operating_parameters, xfx_setup, xfx_teardown),
		cmocka_unit_test_setup_teardown(test_list_id_in_progress, xfx_setup, xfx_teardown),
		cmocka_unit_test_setup_teardown(test_vpd_third_party_copy, xfx_setup, xfx_teardown),
		cmocka_unit_test(test_3pc_disabled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
