/* CDB decoding and dispatch: what scsi_cmd_setup() derives from each
 * supported opcode (direction, data length, LBA range), and what it
 * refuses (unknown opcodes and service actions, reserved bits, LBAs past
 * the end, oversized transfers, write protection, unmapped LUNs). */
#include "test_scsi_fixture.h"

#define MAX_XFER_BLOCKS (SCSI_MAX_XFER_BYTES / FX_BLOCK)

static void expect_setup(struct fx *f, const uint8_t *cdb, size_t len,
			 enum scsi_dir dir, uint32_t data_len)
{
	f->next_edtl = data_len;	/* what a correct initiator expects */
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, cdb, len), 0);
	assert_int_equal(f->cmd.dir, dir);
	assert_int_equal(f->cmd.data_len, data_len);
	if (data_len)
		assert_true(f->cmd.buf != NULL && f->cmd.buf_cap >= data_len);
}

static void expect_refused(struct fx *f, const uint8_t *cdb, size_t len,
			   uint8_t key, uint16_t asc)
{
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, cdb, len), -1);
	assert_int_equal(f->cmd.dir, SCSI_DIR_NONE);
	assert_int_equal(f->cmd.data_len, 0);
	fx_assert_check(f, key, asc);
}

static void test_unknown_opcode(void **state)
{
	struct fx *f = *state;
	const uint8_t log_sense[10] = { 0x4d, 0, 0, 0, 0, 0, 0, 0, 8, 0 };
	const uint8_t log_select[10] = { 0x4c };
	const uint8_t write_buffer[10] = { 0x3b };
	const uint8_t read_buffer[10] = { 0x3c };
	const uint8_t vendor[6] = { 0xc0 };
	const uint8_t set_tpg[12] = { 0xa4, 0x0a };

	expect_refused(f, log_sense, 10, 0x5, 0x2000);
	expect_refused(f, log_select, 10, 0x5, 0x2000);
	expect_refused(f, write_buffer, 10, 0x5, 0x2000);
	expect_refused(f, read_buffer, 10, 0x5, 0x2000);
	expect_refused(f, vendor, 6, 0x5, 0x2000);
	expect_refused(f, set_tpg, 12, 0x5, 0x2000);
}

/* A known opcode with an unknown service action is a bad field. */
static void test_unknown_service_action(void **state)
{
	struct fx *f = *state;
	const uint8_t sai[16] = { 0x9e, 0x1f };

	expect_refused(f, sai, 16, 0x5, 0x2400);
	assert_int_equal(f->cmd.sense[15], 0xcc);
	assert_int_equal(get16(f->cmd.sense + 16), 1);
}

static void test_reserved_bits(void **state)
{
	struct fx *f = *state;
	const uint8_t naca[6] = { 0x00, 0, 0, 0, 0, 0x04 };
	const uint8_t link[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0x01 };
	const uint8_t tur_resv[6] = { 0x00, 0x01 };
	const uint8_t read6_resv[6] = { 0x08, 0x20, 0, 0, 1, 0 };
	const uint8_t vendor_ctl[6] = { 0x00, 0, 0, 0, 0, 0xc0 };

	expect_refused(f, naca, 6, 0x5, 0x2400);
	assert_int_equal(get16(f->cmd.sense + 16), 5);
	expect_refused(f, link, 10, 0x5, 0x2400);
	assert_int_equal(get16(f->cmd.sense + 16), 9);
	expect_refused(f, tur_resv, 6, 0x5, 0x2400);
	expect_refused(f, read6_resv, 6, 0x5, 0x2400);
	assert_int_equal(f->cmd.sense[15], 0xcd);
	expect_setup(f, vendor_ctl, 6, SCSI_DIR_NONE, 0);
}

/* Without protection information every *PROTECT field must be zero. */
static void test_protect_fields(void **state)
{
	struct fx *f = *state;
	uint8_t cdbs[][16] = {
		{ 0x28, 0x20 }, { 0xa8, 0x40 }, { 0x88, 0xe0 },
		{ 0x2a, 0x20 }, { 0xaa, 0x20 }, { 0x8a, 0x20 },
		{ 0x2f, 0x20 }, { 0xaf, 0x20 }, { 0x8f, 0x20 },
		{ 0x2e, 0x20 }, { 0xae, 0x20 }, { 0x8e, 0x20 },
		{ 0x89, 0x20 }, { 0x8b, 0x20 }, { 0x41, 0x20 }, { 0x93, 0x20 },
	};

	for (unsigned i = 0; i < sizeof(cdbs) / sizeof(cdbs[0]); i++) {
		expect_refused(f, cdbs[i], 16, 0x5, 0x2400);
		assert_int_equal(get16(f->cmd.sense + 16), 1);
	}
}

/* READ/WRITE (6): 21-bit LBA, length 0 means 256 blocks. */
static void test_rw6(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[6] = { 0x08, 0x00, 0x01, 0x02, 0, 0 };

	expect_setup(f, cdb, 6, SCSI_DIR_READ, 256 * FX_BLOCK);
	cdb[4] = 7;
	expect_setup(f, cdb, 6, SCSI_DIR_READ, 7 * FX_BLOCK);
	cdb[0] = 0x0a;
	expect_setup(f, cdb, 6, SCSI_DIR_WRITE, 7 * FX_BLOCK);
	/* 0x1f0000 + 256 is far beyond 2048 blocks. */
	cdb[1] = 0x1f;
	cdb[4] = 0;
	expect_refused(f, cdb, 6, 0x5, 0x2100);
	/* The last 256 blocks exactly. */
	cdb[1] = 0;
	cdb[2] = (FX_BLOCKS - 256) >> 8;
	cdb[3] = (FX_BLOCKS - 256) & 0xff;
	expect_setup(f, cdb, 6, SCSI_DIR_WRITE, 256 * FX_BLOCK);
	cdb[3]++;
	expect_refused(f, cdb, 6, 0x5, 0x2100);
}

/* Builds a READ/WRITE/VERIFY-style CDB of the opcode's size. */
static size_t rw_cdb(uint8_t *cdb, uint8_t op, uint64_t lba, uint32_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = op;
	switch (op >> 5) {
	case 1:
	case 2:
		put32(cdb + 2, (uint32_t)lba);
		put16(cdb + 7, (uint16_t)n);
		return 10;
	case 5:
		put32(cdb + 2, (uint32_t)lba);
		put32(cdb + 6, n);
		return 12;
	default:
		put64(cdb + 2, lba);
		put32(cdb + 10, n);
		return 16;
	}
}

static void test_rw_sizes(void **state)
{
	struct fx *f = *state;
	const uint8_t ops[] = { 0x28, 0xa8, 0x88, 0x2a, 0xaa, 0x8a };
	uint8_t cdb[16];

	for (unsigned i = 0; i < sizeof(ops); i++) {
		enum scsi_dir dir = ops[i] & 0x02 ? SCSI_DIR_WRITE : SCSI_DIR_READ;
		size_t len = rw_cdb(cdb, ops[i], 10, 3);
		expect_setup(f, cdb, len, dir, 3 * FX_BLOCK);
		len = rw_cdb(cdb, ops[i], FX_BLOCKS - 1, 1);
		expect_setup(f, cdb, len, dir, FX_BLOCK);
		len = rw_cdb(cdb, ops[i], FX_BLOCKS - 1, 2);
		expect_refused(f, cdb, len, 0x5, 0x2100);
		/* Zero blocks: no data and GOOD, yet the LBA is checked. */
		len = rw_cdb(cdb, ops[i], FX_BLOCKS, 0);
		expect_setup(f, cdb, len, SCSI_DIR_NONE, 0);
		len = rw_cdb(cdb, ops[i], FX_BLOCKS + 1, 0);
		expect_refused(f, cdb, len, 0x5, 0x2100);
		len = rw_cdb(cdb, ops[i], UINT32_MAX, 0);
		expect_refused(f, cdb, len, 0x5, 0x2100);
	}
	rw_cdb(cdb, 0x88, UINT64_MAX, 1);
	expect_refused(f, cdb, 16, 0x5, 0x2100);
	rw_cdb(cdb, 0x88, UINT64_MAX - 1, 2);
	expect_refused(f, cdb, 16, 0x5, 0x2100);
}

static void test_zero_blocks_complete_good(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[16];

	rw_cdb(cdb, 0x2a, 4, 0);
	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_WRITE], 0);
	rw_cdb(cdb, 0x88, 4, 0);
	assert_int_equal(fx_run(f, cdb, 16, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_READ], 0);
}

/* More than SCSI_MAX_XFER_BYTES is a bad transfer length field. */
static void test_max_transfer(void **state)
{
	struct fx *f = *state;
	struct scsi_lu_config cfg = fx_default_cfg();
	struct fx *big = fx_new_lu(&cfg, 1u << 20, FX_BLOCK);
	uint8_t cdb[16];

	fx_clear_ua(big, &big->nexus);
	rw_cdb(cdb, 0xa8, 0, MAX_XFER_BLOCKS);
	expect_setup(big, cdb, 12, SCSI_DIR_READ, SCSI_MAX_XFER_BYTES);
	rw_cdb(cdb, 0xa8, 0, MAX_XFER_BLOCKS + 1);
	expect_refused(big, cdb, 12, 0x5, 0x2400);
	assert_int_equal(get16(big->cmd.sense + 16), 6);
	rw_cdb(cdb, 0x8a, 0, MAX_XFER_BLOCKS + 1);
	expect_refused(big, cdb, 16, 0x5, 0x2400);
	assert_int_equal(get16(big->cmd.sense + 16), 10);
	fx_free(big);
	(void)f;
}

/* BYTCHK decides whether VERIFY has data-out, and how much. */
static void test_verify_bytchk(void **state)
{
	struct fx *f = *state;
	const uint8_t ops[] = { 0x2f, 0xaf, 0x8f };
	uint8_t cdb[16];

	for (unsigned i = 0; i < sizeof(ops); i++) {
		size_t len = rw_cdb(cdb, ops[i], 2, 4);
		expect_setup(f, cdb, len, SCSI_DIR_NONE, 0);
		cdb[1] = 0x02;
		expect_setup(f, cdb, len, SCSI_DIR_WRITE, 4 * FX_BLOCK);
		cdb[1] = 0x06;
		expect_setup(f, cdb, len, SCSI_DIR_WRITE, FX_BLOCK);
		cdb[1] = 0x04;
		expect_refused(f, cdb, len, 0x5, 0x2400);
		cdb[1] = 0x10;		/* DPO */
		expect_setup(f, cdb, len, SCSI_DIR_NONE, 0);
		len = rw_cdb(cdb, ops[i], FX_BLOCKS, 1);
		expect_refused(f, cdb, len, 0x5, 0x2100);
	}
}

static void test_write_verify_bytchk(void **state)
{
	struct fx *f = *state;
	const uint8_t ops[] = { 0x2e, 0xae, 0x8e };
	uint8_t cdb[16];

	for (unsigned i = 0; i < sizeof(ops); i++) {
		size_t len = rw_cdb(cdb, ops[i], 2, 4);
		expect_setup(f, cdb, len, SCSI_DIR_WRITE, 4 * FX_BLOCK);
		cdb[1] = 0x02;
		expect_setup(f, cdb, len, SCSI_DIR_WRITE, 4 * FX_BLOCK);
		cdb[1] = 0x04;
		expect_refused(f, cdb, len, 0x5, 0x2400);
		len = rw_cdb(cdb, ops[i], FX_BLOCKS - 3, 4);
		expect_refused(f, cdb, len, 0x5, 0x2100);
	}
}

static void test_other_data_lengths(void **state)
{
	struct fx *f = *state;
	uint8_t caw[16] = { 0x89 };
	uint8_t orw[16];
	uint8_t ms10[10] = { 0x5a, 0, 0x3f, 0, 0, 0, 0, 0x01, 0x00, 0 };
	uint8_t sel10[10] = { 0x55, 0x10, 0, 0, 0, 0, 0, 0, 24, 0 };
	uint8_t sel6[6] = { 0x15, 0x10, 0, 0, 0, 0 };
	uint8_t rc10[10] = { 0x25 };
	uint8_t rc16[16] = { 0x9e, 0x10 };
	uint8_t sync10[10] = { 0x35, 0x02 };
	uint8_t rdd10[10] = { 0x37, 0, 0x18, 0, 0, 0, 0, 0, 100, 0 };
	uint8_t rdd12[12] = { 0xb7, 0x18, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0 };

	put64(caw + 2, 8);
	caw[13] = 2;
	expect_setup(f, caw, 16, SCSI_DIR_WRITE, 4 * FX_BLOCK);
	caw[13] = 0;
	expect_setup(f, caw, 16, SCSI_DIR_NONE, 0);
	put64(caw + 2, FX_BLOCKS - 1);
	caw[13] = 2;
	expect_refused(f, caw, 16, 0x5, 0x2100);
	rw_cdb(orw, 0x8b, 0, 3);
	expect_setup(f, orw, 16, SCSI_DIR_WRITE, 3 * FX_BLOCK);

	/* Data-in commands: data_len is the allocation length, capped by
	 * what the command can produce. */
	expect_setup(f, ms10, 10, SCSI_DIR_READ, 256);
	ms10[7] = 0;
	ms10[8] = 10;
	expect_setup(f, ms10, 10, SCSI_DIR_READ, 10);
	expect_setup(f, rc10, 10, SCSI_DIR_READ, 8);
	put32(rc16 + 10, 4096);
	expect_setup(f, rc16, 16, SCSI_DIR_READ, 32);
	put32(rc16 + 10, 0);
	expect_setup(f, rc16, 16, SCSI_DIR_NONE, 0);
	expect_setup(f, rdd10, 10, SCSI_DIR_READ, 4);
	expect_setup(f, rdd12, 12, SCSI_DIR_READ, 8);

	expect_setup(f, sel10, 10, SCSI_DIR_WRITE, 24);
	expect_setup(f, sel6, 6, SCSI_DIR_NONE, 0);
	expect_setup(f, sync10, 10, SCSI_DIR_NONE, 0);
	put32(sync10 + 2, FX_BLOCKS);
	expect_setup(f, sync10, 10, SCSI_DIR_NONE, 0);
	put32(sync10 + 2, FX_BLOCKS + 1);
	expect_refused(f, sync10, 10, 0x5, 0x2100);
}

static void test_prefetch(void **state)
{
	struct fx *f = *state;
	uint8_t p10[10] = { 0x34, 0x02, 0, 0, 0, 0, 3, 0, 1, 0 };
	uint8_t p16[16] = { 0x90 };

	assert_int_equal(fx_run(f, p10, 10, NULL, 0), SAM_STAT_GOOD);
	put64(p16 + 2, FX_BLOCKS - 256);
	put32(p16 + 10, 256);
	assert_int_equal(fx_run(f, p16, 16, NULL, 0), SAM_STAT_GOOD);
	put32(p16 + 10, 257);
	assert_int_equal(fx_run(f, p16, 16, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2100);
}

/* A fixed disk: START STOP UNIT may not load or eject. */
static void test_start_stop(void **state)
{
	struct fx *f = *state;
	uint8_t ssu[6] = { 0x1b, 0x01, 0, 0, 0x01, 0 };
	uint8_t pa[6] = { 0x1e, 0, 0, 0, 0x01, 0 };

	assert_int_equal(fx_run(f, ssu, 6, NULL, 0), SAM_STAT_GOOD);
	ssu[4] = 0x30;
	assert_int_equal(fx_run(f, ssu, 6, NULL, 0), SAM_STAT_GOOD);
	ssu[4] = 0x02;
	assert_int_equal(fx_run(f, ssu, 6, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(f->cmd.sense[15], 0xc9);
	assert_int_equal(fx_run(f, pa, 6, NULL, 0), SAM_STAT_GOOD);
}

static void test_write_protect(void **state)
{
	struct fx *f = *state;
	const uint8_t read10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	const uint8_t write10[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	const uint8_t ws10_unmap[10] = { 0x41, 0x08, 0, 0, 0, 0, 0, 0, 1, 0 };
	const uint8_t sync10[10] = { 0x35 };
	uint8_t block[FX_BLOCK] = { 0 };

	/* LUN 5 is mapped write-protected for this initiator. */
	assert_int_equal(fx_run_on(f, &f->nexus, 5, read10, 10, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(fx_run_on(f, &f->nexus, 5, write10, 10, block, FX_BLOCK),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x7, 0x2700);
	/* Write protection comes before CDB checks a read-only LU would
	 * otherwise fail (UNMAP bit without LBPWS). */
	assert_int_equal(fx_run_on(f, &f->nexus, 5, ws10_unmap, 10, block, FX_BLOCK),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x7, 0x2700);
	assert_int_equal(fx_run_on(f, &f->nexus, 5, sync10, 10, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_WRITE], 0);
}

static void test_readonly_lu(void **state)
{
	struct scsi_lu_config cfg = fx_default_cfg();
	cfg.readonly = true;
	struct fx *f = fx_new_cfg(&cfg);
	const uint8_t ops[] = { 0x2a, 0xaa, 0x8a, 0x2e, 0x8e, 0x89, 0x8b, 0x93 };
	const uint8_t write6[6] = { 0x0a, 0, 0, 0, 1, 0 };
	uint8_t cdb[16];

	expect_refused(f, write6, 6, 0x7, 0x2700);
	for (unsigned i = 0; i < sizeof(ops); i++) {
		size_t len = rw_cdb(cdb, ops[i], 0, 1);
		expect_refused(f, cdb, len, 0x7, 0x2700);
	}
	rw_cdb(cdb, 0x28, 0, 1);
	expect_setup(f, cdb, 10, SCSI_DIR_READ, FX_BLOCK);
	fx_free(f);
	(void)state;
}

/* An unmapped LUN: INQUIRY says nothing is there, REPORT LUNS and REQUEST
 * SENSE work, anything else is LOGICAL UNIT NOT SUPPORTED. */
static void test_unmapped_lun(void **state)
{
	struct fx *f = *state;
	const uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 };
	const uint8_t inq_vpd[6] = { 0x12, 1, 0x80, 0, 96, 0 };
	const uint8_t rl[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	const uint8_t rs[6] = { 0x03, 0, 0, 0, 18, 0 };
	const uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	const uint8_t bogus[6] = { 0xc0 };

	assert_int_equal(fx_run_on(f, &f->nexus, 42, inq, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[0], 0x7f);
	assert_true(f->cmd.data_len >= 36);
	assert_int_equal(fx_run_on(f, &f->nexus, 42, inq_vpd, 6, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2500);
	assert_int_equal(fx_run_on(f, &f->nexus, 42, rl, 12, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(get32(f->cmd.buf), 24);
	assert_int_equal(fx_run_on(f, &f->nexus, 42, rs, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 18);
	assert_int_equal(f->cmd.buf[2], 0x05);
	assert_int_equal(f->cmd.buf[12], 0x25);
	assert_int_equal(fx_run_on(f, &f->nexus, 42, rd, 10, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2500);
	assert_int_equal(fx_run_on(f, &f->nexus, 42, bogus, 6, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2500);
}

/* UNMAP and GET LBA STATUS exist only on a thin LU. */
static void test_tpu_opcodes(void **state)
{
	struct fx *f = *state;
	const uint8_t unmap[10] = { 0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0 };
	const uint8_t glbas[16] = { 0x9e, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 24 };
	const uint8_t ws10_unmap[10] = { 0x41, 0x08, 0, 0, 0, 0, 0, 0, 1, 0 };
	struct fx *thin;

	expect_refused(f, unmap, 10, 0x5, 0x2000);
	expect_refused(f, glbas, 16, 0x5, 0x2000);
	expect_refused(f, ws10_unmap, 10, 0x5, 0x2400);
	fx_setup_tpu((void **)&thin);
	expect_setup(thin, unmap, 10, SCSI_DIR_WRITE, 24);
	expect_setup(thin, glbas, 16, SCSI_DIR_READ, 24);
	expect_setup(thin, ws10_unmap, 10, SCSI_DIR_WRITE, FX_BLOCK);
	fx_free(thin);
}

static void test_write_same_fields(void **state)
{
	struct fx *f = *state;
	uint8_t ws10[10] = { 0x41, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t ws16[16] = { 0x93, 0x01 };

	/* WSNZ clear: zero blocks is the rest of the medium. */
	expect_setup(f, ws10, 10, SCSI_DIR_WRITE, FX_BLOCK);
	assert_int_equal(f->cmd.nblocks, FX_BLOCKS);
	put32(ws10 + 2, FX_BLOCKS);			/* ... from past the end */
	expect_refused(f, ws10, 10, 0x5, 0x2100);
	put32(ws10 + 2, 0);
	put16(ws10 + 7, 0xffff);			/* past the limit */
	expect_refused(f, ws10, 10, 0x5, 0x2400);
	assert_int_equal(get16(f->cmd.sense + 16), 7);
	put16(ws10 + 7, 4);
	expect_setup(f, ws10, 10, SCSI_DIR_WRITE, FX_BLOCK);
	ws10[1] = 0x10;					/* ANCHOR */
	expect_refused(f, ws10, 10, 0x5, 0x2400);
	ws10[1] = 0x02;					/* LBDATA */
	expect_refused(f, ws10, 10, 0x5, 0x2400);
	put32(ws16 + 10, 16);
	expect_setup(f, ws16, 16, SCSI_DIR_NONE, 0);	/* NDOB */
	put64(ws16 + 2, FX_BLOCKS - 15);
	expect_refused(f, ws16, 16, 0x5, 0x2100);
}

/* Every table entry is self-consistent: the first usage byte is the
 * opcode, and the CDB length is the one its group code implies. */
static void test_rsoc_table_consistent(void **state)
{
	struct fx *f = *state;
	uint8_t rsoc[12] = { 0xa3, 0x0c, 0x00, 0, 0, 0, 0, 0, 0x10, 0, 0, 0 };
	static const uint8_t group_len[8] = { 6, 10, 10, 0, 16, 12, 0, 0 };

	assert_int_equal(fx_run(f, rsoc, 12, NULL, 0), SAM_STAT_GOOD);
	uint32_t len = get32(f->cmd.buf);
	assert_true(len > 0 && len % 8 == 0);
	for (uint32_t off = 4; off < 4 + len; off += 8) {
		const uint8_t *d = f->cmd.buf + off;
		assert_int_equal(get16(d + 6), group_len[d[0] >> 5]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_opcode, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_service_action, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reserved_bits, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_protect_fields, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rw6, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rw_sizes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_zero_blocks_complete_good, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_max_transfer, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_verify_bytchk, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_verify_bytchk, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_other_data_lengths, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_prefetch, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_start_stop, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_protect, fx_setup, fx_teardown),
		cmocka_unit_test(test_readonly_lu),
		cmocka_unit_test_setup_teardown(test_unmapped_lun, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tpu_opcodes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_same_fields, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rsoc_table_consistent, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
