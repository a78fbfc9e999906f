/* SBC-3 behaviour over the fake backstore, completing at once and held
 * back (asynchronous): READ CAPACITY, read/write round trips, FUA, errors,
 * VERIFY and WRITE AND VERIFY with miscompares, SYNCHRONIZE CACHE, COMPARE
 * AND WRITE and its range lock, ORWRITE, UNMAP, WRITE SAME, GET LBA STATUS,
 * READ DEFECT DATA and the LU statistics. */
#include "test_scsi_fixture.h"

/* MAXIMUM WRITE SAME LENGTH at 512-byte blocks (one 8 MiB WRITE). */
#define SBC_TEST_MWSL (SCSI_MAX_XFER_BYTES / 512)

static size_t rw10(uint8_t *cdb, uint8_t op, uint32_t lba, uint16_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = op;
	put32(cdb + 2, lba);
	put16(cdb + 7, n);
	return 10;
}

static size_t rw16(uint8_t *cdb, uint8_t op, uint64_t lba, uint32_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = op;
	put64(cdb + 2, lba);
	put32(cdb + 10, n);
	return 16;
}

static size_t rw12(uint8_t *cdb, uint8_t op, uint32_t lba, uint32_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = op;
	put32(cdb + 2, lba);
	put32(cdb + 6, n);
	return 12;
}

static void pattern(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void test_read_capacity10(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[10] = { 0x25 };

	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 8);
	assert_int_equal(get32(f->cmd.buf), FX_BLOCKS - 1);
	assert_int_equal(get32(f->cmd.buf + 4), FX_BLOCK);
	put32(cdb + 2, 5);				/* LBA without PMI */
	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	cdb[8] = 1;
	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_GOOD);
}

/* A LU too large for 32 bits: FFFFFFFFh in (10), the truth in (16). */
static void test_read_capacity_large(void **state)
{
	struct scsi_lu_config cfg = fx_default_cfg();
	cfg.emulate_tpu = true;
	struct fx *f = fx_new_lu(&cfg, (1ull << 32) + 10, 4096);
	uint8_t rc10[10] = { 0x25 };
	uint8_t rc16[16] = { 0x9e, 0x10 };

	f->fb.bs.phys_block_size = 4096;
	fx_clear_ua(f, &f->nexus);
	assert_int_equal(fx_run(f, rc10, 10, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(get32(f->cmd.buf), 0xffffffffu);
	assert_int_equal(get32(f->cmd.buf + 4), 4096);
	put32(rc16 + 10, 32);
	assert_int_equal(fx_run(f, rc16, 16, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 32);
	assert_int_equal(get64(f->cmd.buf), (1ull << 32) + 9);
	assert_int_equal(get32(f->cmd.buf + 8), 4096);
	assert_int_equal(f->cmd.buf[13], 0);
	assert_int_equal(f->cmd.buf[14], 0x80);	/* LBPME, no LBPRZ */
	fx_free(f);
	(void)state;
}

static void test_read_capacity16(void **state)
{
	struct fx *f = *state;
	uint8_t rc16[16] = { 0x9e, 0x10 };

	f->fb.bs.phys_block_size = 4096;
	put32(rc16 + 10, 96);
	assert_int_equal(fx_run(f, rc16, 16, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 32);
	assert_int_equal(get64(f->cmd.buf), FX_BLOCKS - 1);
	assert_int_equal(f->cmd.buf[13], 3);		/* 8 blocks a physical */
	assert_int_equal(f->cmd.buf[14], 0);
	for (uint32_t a = 0; a < 16; a++) {
		put32(rc16 + 10, a);
		assert_int_equal(fx_run(f, rc16, 16, NULL, 0), SAM_STAT_GOOD);
		assert_int_equal(f->cmd.data_len, a);
	}
}

static void round_trip(struct fx *f)
{
	uint8_t out[16 * FX_BLOCK];
	uint8_t cdb[16];

	pattern(out, sizeof(out), 3);
	rw10(cdb, 0x2a, 100, 16);
	assert_int_equal(fx_run(f, cdb, 10, out, sizeof(out)), SAM_STAT_GOOD);
	assert_memory_equal(f->fb.mem + 100 * FX_BLOCK, out, sizeof(out));
	assert_int_equal(f->fb.last_flags, 0);
	rw16(cdb, 0x88, 104, 4);
	assert_int_equal(fx_run(f, cdb, 16, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 4 * FX_BLOCK);
	assert_memory_equal(f->cmd.buf, out + 4 * FX_BLOCK, 4 * FX_BLOCK);
	/* READ(6) of 256 blocks through the last one. */
	uint8_t r6[6] = { 0x08, 0, (FX_BLOCKS - 256) >> 8, 0, 0, 0 };
	memset(f->fb.mem + (FX_BLOCKS - 1) * FX_BLOCK, 0xab, FX_BLOCK);
	assert_int_equal(fx_run(f, r6, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 256 * FX_BLOCK);
	assert_int_equal(f->cmd.buf[256 * FX_BLOCK - 1], 0xab);
}

static void test_round_trip(void **state)
{
	round_trip(*state);
}

static void test_round_trip_async(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[16];
	uint8_t out[FX_BLOCK];

	f->fb.defer = true;
	round_trip(f);
	/* Nothing completes before the backstore does. */
	rw10(cdb, 0x2a, 1, 1);
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, cdb, 10), 0);
	memcpy(f->cmd.buf, out, sizeof(out));
	scsi_cmd_execute(&f->cmd);
	assert_int_equal(f->done, 0);
	assert_int_equal(f->fb.npending, 1);
	fx_complete(f);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->fb.mem[FX_BLOCK], 0x5a);
}

static void test_fua(void **state)
{
	struct fx *f = *state;
	uint8_t out[FX_BLOCK] = { 1 };
	uint8_t cdb[16];

	rw10(cdb, 0x2a, 0, 1);
	cdb[1] = 0x08;
	assert_int_equal(fx_run(f, cdb, 10, out, sizeof(out)), SAM_STAT_GOOD);
	assert_int_equal(f->fb.write_flags, BS_F_FUA);
	rw16(cdb, 0x8a, 0, 1);
	assert_int_equal(fx_run(f, cdb, 16, out, sizeof(out)), SAM_STAT_GOOD);
	assert_int_equal(f->fb.write_flags, 0);
	cdb[1] = 0x18;					/* DPO too */
	assert_int_equal(fx_run(f, cdb, 16, out, sizeof(out)), SAM_STAT_GOOD);
	assert_int_equal(f->fb.write_flags, BS_F_FUA);
	rw10(cdb, 0x28, 0, 1);
	cdb[1] = 0x18;
	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_GOOD);
}

static void test_io_errors(void **state)
{
	struct fx *f = *state;
	uint8_t out[FX_BLOCK] = { 0 };
	uint8_t cdb[16];
	uint8_t sync[10] = { 0x35 };

	uint64_t errors = atomic_load(&f->lu->stats.errors);

	f->fb.defer = true;
	f->fb.fail[BS_OP_READ] = 5;
	f->fb.fail[BS_OP_WRITE] = 28;
	f->fb.fail[BS_OP_FLUSH] = 5;
	rw10(cdb, 0x28, 7, 1);
	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x1100);
	assert_int_equal(f->cmd.data_len, 0);
	rw10(cdb, 0x2a, 7, 1);
	assert_int_equal(fx_run(f, cdb, 10, out, sizeof(out)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x0c00);
	assert_int_equal(fx_run(f, sync, 10, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x4, 0x4400);
	assert_int_equal(atomic_load(&f->lu->stats.errors), errors + 3);
}

static void test_sync_cache(void **state)
{
	struct fx *f = *state;
	uint8_t s10[10] = { 0x35, 0x02 };
	uint8_t s16[16] = { 0x91 };

	assert_int_equal(fx_run(f, s10, 10, NULL, 0), SAM_STAT_GOOD);
	put64(s16 + 2, 10);
	put32(s16 + 10, 20);
	assert_int_equal(fx_run(f, s16, 16, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_FLUSH], 2);
}

/* Writes `n` blocks at `lba` with a pattern, returned in `out`. */
static void fill_blocks(struct fx *f, uint32_t lba, uint16_t n, uint8_t *out)
{
	uint8_t cdb[16];

	pattern(out, (size_t)n * FX_BLOCK, (uint8_t)lba);
	rw10(cdb, 0x2a, lba, n);
	assert_int_equal(fx_run(f, cdb, 10, out, (size_t)n * FX_BLOCK), SAM_STAT_GOOD);
}

static void test_verify(void **state)
{
	struct fx *f = *state;
	uint8_t data[8 * FX_BLOCK];
	uint8_t cdb[16];

	fill_blocks(f, 40, 8, data);
	rw10(cdb, 0x2f, 40, 8);
	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_GOOD);
	cdb[1] = 0x02;
	assert_int_equal(fx_run(f, cdb, 10, data, sizeof(data)), SAM_STAT_GOOD);
	data[3 * FX_BLOCK + 17] ^= 0x40;
	assert_int_equal(fx_run(f, cdb, 10, data, sizeof(data)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0xe, 0x1d00);
	assert_int_equal(f->cmd.sense[0], 0xf0);
	assert_int_equal(get32(f->cmd.sense + 3), 3 * FX_BLOCK + 17);

	/* BYTCHK 11b: one block compared against each. */
	uint8_t one[FX_BLOCK];
	memset(one, 0xee, sizeof(one));
	memset(f->fb.mem + 60 * FX_BLOCK, 0xee, 4 * FX_BLOCK);
	rw16(cdb, 0x8f, 60, 4);
	cdb[1] = 0x06;
	assert_int_equal(fx_run(f, cdb, 16, one, sizeof(one)), SAM_STAT_GOOD);
	f->fb.mem[62 * FX_BLOCK + 9] = 0;
	assert_int_equal(fx_run(f, cdb, 16, one, sizeof(one)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0xe, 0x1d00);
	assert_int_equal(get32(f->cmd.sense + 3), 2 * FX_BLOCK + 9);

	/* Medium check only: a read error is a medium error. */
	f->fb.fail[BS_OP_READ] = 5;
	rw12(cdb, 0xaf, 40, 1);
	assert_int_equal(fx_run(f, cdb, 12, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x1100);
	/* Zero blocks: nothing read. */
	f->fb.fail[BS_OP_READ] = 0;
	unsigned reads = f->fb.count[BS_OP_READ];
	rw10(cdb, 0x2f, 40, 0);
	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_READ], reads);
}

static void test_write_verify(void **state)
{
	struct fx *f = *state;
	uint8_t data[4 * FX_BLOCK];
	uint8_t cdb[16];

	f->fb.defer = true;
	pattern(data, sizeof(data), 9);
	rw10(cdb, 0x2e, 200, 4);
	cdb[1] = 0x02;
	assert_int_equal(fx_run(f, cdb, 10, data, sizeof(data)), SAM_STAT_GOOD);
	assert_memory_equal(f->fb.mem + 200 * FX_BLOCK, data, sizeof(data));
	/* Written through to the medium, then read back. */
	assert_int_equal(f->fb.count[BS_OP_WRITE], 1);
	assert_int_equal(f->fb.write_flags, BS_F_FUA);
	assert_int_equal(f->fb.count[BS_OP_READ], 1);
	/* A write error ends it before the read. */
	rw16(cdb, 0x8e, 300, 1);
	f->fb.fail[BS_OP_WRITE] = 5;
	assert_int_equal(fx_run(f, cdb, 16, data, sizeof(data)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x0c00);
	assert_int_equal(f->fb.count[BS_OP_READ], 1);
}

static void test_caw(void **state)
{
	struct fx *f = *state;
	uint8_t cur[2 * FX_BLOCK];
	uint8_t list[4 * FX_BLOCK];
	uint8_t cdb[16] = { 0x89 };

	fill_blocks(f, 500, 2, cur);
	put64(cdb + 2, 500);
	cdb[13] = 2;
	memcpy(list, cur, sizeof(cur));
	memset(list + sizeof(cur), 0x77, sizeof(cur));
	assert_int_equal(fx_run(f, cdb, 16, list, sizeof(list)), SAM_STAT_GOOD);
	for (unsigned i = 0; i < 2 * FX_BLOCK; i++)
		assert_int_equal(f->fb.mem[500 * FX_BLOCK + i], 0x77);

	/* Now the compare half is stale: MISCOMPARE at offset 0, and the
	 * blocks are left alone. */
	memset(list + sizeof(cur), 0x11, sizeof(cur));
	assert_int_equal(fx_run(f, cdb, 16, list, sizeof(list)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0xe, 0x1d00);
	assert_int_equal(get32(f->cmd.sense + 3), 0);
	assert_int_equal(f->fb.mem[500 * FX_BLOCK], 0x77);

	memset(list, 0x77, sizeof(cur));
	list[FX_BLOCK + 5] = 0;
	assert_int_equal(fx_run(f, cdb, 16, list, sizeof(list)), SAM_STAT_CHECK_CONDITION);
	assert_int_equal(get32(f->cmd.sense + 3), FX_BLOCK + 5);
}

/* COMPARE AND WRITE's data-out is exactly twice its blocks: an EDTL that
 * differs (as when 256 blocks wrap to 0 in the CDB) is INVALID FIELD. */
static void test_caw_edtl_mismatch(void **state)
{
	struct fx *f = *state;
	uint8_t list[4 * FX_BLOCK] = { 0 };
	uint8_t cdb[16] = { 0x89 };

	put64(cdb + 2, 20);
	cdb[13] = 0;
	assert_int_equal(fx_run(f, cdb, 16, list, sizeof(list)),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	cdb[13] = 1;
	assert_int_equal(fx_run(f, cdb, 16, list, sizeof(list)),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(fx_run(f, cdb, 16, list, 2 * FX_BLOCK), SAM_STAT_GOOD);
}

static unsigned other_done_count;

static void other_done(struct scsi_cmd *cmd)
{
	(void)cmd;
	other_done_count++;
}

static const struct scsi_fabric_ops other_ops = { .done = other_done };

/* Sets up a second command on LUN 0 of the fixture's LU while f->cmd is
 * still in flight; returns scsi_cmd_setup()'s result. */
static int setup_other(struct fx *f, struct scsi_cmd *other, const uint8_t *cdb,
		       size_t len, uint32_t edtl)
{
	scsi_cmd_init(other);
	other->edtl = edtl;
	memset(other->cdb, 0, sizeof(other->cdb));
	memcpy(other->cdb, cdb, len);
	other->cdb_len = 16;
	other->lun_ent = &f->ent[0];
	other->nexus = &f->nexus2;
	other->pool = &f->pool;
	other->ops = &other_ops;
	return scsi_cmd_setup(other);
}

/* While a COMPARE AND WRITE is between its read and its write, an
 * overlapping one or a WRITE is BUSY; others go ahead. */
static void test_caw_range_lock(void **state)
{
	struct fx *f = *state;
	uint8_t list[2 * FX_BLOCK];
	uint8_t caw[16] = { 0x89 };
	uint8_t w10[16];
	struct scsi_cmd other;

	fx_clear_ua(f, &f->nexus2);
	memset(list, 0, sizeof(list));
	put64(caw + 2, 10);
	caw[13] = 1;
	f->fb.defer = true;
	f->next_edtl = sizeof(list);
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, caw, 16), 0);
	memcpy(f->cmd.buf, list, sizeof(list));
	scsi_cmd_execute(&f->cmd);
	assert_int_equal(f->fb.npending, 1);		/* its read */

	assert_int_equal(setup_other(f, &other, caw, 16, sizeof(list)), 0);
	other_done_count = 0;
	scsi_cmd_execute(&other);
	assert_int_equal(other_done_count, 1);
	assert_int_equal(other.status, SAM_STAT_BUSY);
	assert_int_equal(f->fb.npending, 1);
	scsi_cmd_release(&other);

	rw10(w10, 0x2a, 10, 1);
	assert_int_equal(setup_other(f, &other, w10, 10, FX_BLOCK), -1);
	assert_int_equal(other.status, SAM_STAT_BUSY);
	scsi_cmd_release(&other);
	rw10(w10, 0x2a, 11, 1);
	assert_int_equal(setup_other(f, &other, w10, 10, FX_BLOCK), 0);
	scsi_cmd_release(&other);

	fx_complete(f);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->cmd.status, SAM_STAT_GOOD);
	rw10(w10, 0x2a, 10, 1);
	assert_int_equal(setup_other(f, &other, w10, 10, FX_BLOCK), 0);
	scsi_cmd_release(&other);
}

static void test_orwrite(void **state)
{
	struct fx *f = *state;
	uint8_t data[2 * FX_BLOCK];
	uint8_t cdb[16];

	f->fb.defer = true;
	memset(f->fb.mem + 700 * FX_BLOCK, 0x0f, 2 * FX_BLOCK);
	memset(data, 0x30, sizeof(data));
	rw16(cdb, 0x8b, 700, 2);
	assert_int_equal(fx_run(f, cdb, 16, data, sizeof(data)), SAM_STAT_GOOD);
	for (unsigned i = 0; i < 2 * FX_BLOCK; i++)
		assert_int_equal(f->fb.mem[700 * FX_BLOCK + i], 0x3f);
	rw16(cdb, 0x8b, FX_BLOCKS - 1, 2);
	assert_int_equal(fx_run(f, cdb, 16, data, sizeof(data)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2100);
}

static uint8_t unmap(struct fx *f, const uint64_t *lba, const uint32_t *n,
		     unsigned count)
{
	uint8_t list[8 + 16 * 8] = { 0 };
	uint8_t cdb[10] = { 0x42 };
	uint16_t len = (uint16_t)(8 + 16 * count);

	put16(list, (uint16_t)(len - 2));
	put16(list + 2, (uint16_t)(16 * count));
	for (unsigned i = 0; i < count; i++) {
		put64(list + 8 + 16 * i, lba[i]);
		put32(list + 8 + 16 * i + 8, n[i]);
	}
	put16(cdb + 7, len);
	return fx_run(f, cdb, 10, list, len);
}

static void test_unmap(void **state)
{
	struct fx *f = *state;
	const uint64_t lba[] = { 10, 20, FX_BLOCKS };
	const uint32_t n[] = { 2, 0, 0 };
	uint8_t cdb[10] = { 0x42 };

	memset(f->fb.mem, 0xff, 30 * FX_BLOCK);
	f->fb.defer = true;
	assert_int_equal(unmap(f, lba, n, 3), SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_DISCARD], 1);
	assert_int_equal(f->fb.last_offset, 10 * FX_BLOCK);
	assert_int_equal(f->fb.last_len, 2 * FX_BLOCK);
	assert_int_equal(f->fb.mem[10 * FX_BLOCK], 0);
	assert_int_equal(f->fb.mem[12 * FX_BLOCK], 0xff);
	/* No descriptors, and no parameter list at all. */
	assert_int_equal(unmap(f, lba, n, 0), SAM_STAT_GOOD);
	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_GOOD);
	/* Out of range anywhere in the list: nothing is unmapped. */
	const uint64_t bad_lba[] = { 25, FX_BLOCKS - 1 };
	const uint32_t bad_n[] = { 1, 2 };
	assert_int_equal(unmap(f, bad_lba, bad_n, 2), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2100);
	assert_int_equal(f->fb.mem[25 * FX_BLOCK], 0xff);
	/* A list too short for its header. */
	put16(cdb + 7, 7);
	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x1a00);
	/* Too many blocks in one descriptor. */
	const uint32_t huge[] = { 0x10000000 };
	assert_int_equal(unmap(f, lba, huge, 1), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	assert_int_equal(get16(f->cmd.sense + 16), 16);
}

static void test_write_same(void **state)
{
	struct fx *f = *state;
	uint8_t block[FX_BLOCK];
	uint8_t cdb[16];

	f->fb.defer = true;
	memset(block, 0, sizeof(block));
	/* Zeroes go through write-zeroes; UNMAP through discard. */
	memset(f->fb.mem, 0xff, 40 * FX_BLOCK);
	rw10(cdb, 0x41, 10, 5);
	assert_int_equal(fx_run(f, cdb, 10, block, sizeof(block)), SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_WRITE_ZEROES], 1);
	assert_int_equal(f->fb.mem[14 * FX_BLOCK + 7], 0);
	assert_int_equal(f->fb.mem[15 * FX_BLOCK], 0xff);
	pattern(block, sizeof(block), 1);
	cdb[1] = 0x08;
	assert_int_equal(fx_run(f, cdb, 10, block, sizeof(block)), SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_DISCARD], 1);
	assert_int_equal(f->fb.count[BS_OP_WRITE], 0);
	/* NDOB: no data-out, zeroes. */
	rw16(cdb, 0x93, 100, 3);
	cdb[1] = 0x09;
	assert_int_equal(fx_run(f, cdb, 16, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_DISCARD], 2);
	/* Without a discard that reads zeroes, UNMAP writes the data. */
	f->fb.bs.can_discard = false;
	rw10(cdb, 0x41, 30, 2);
	cdb[1] = 0x08;
	assert_int_equal(fx_run(f, cdb, 10, block, sizeof(block)), SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_DISCARD], 2);
	assert_memory_equal(f->fb.mem + 30 * FX_BLOCK, block, FX_BLOCK);
	assert_memory_equal(f->fb.mem + 31 * FX_BLOCK, block, FX_BLOCK);
	assert_int_equal(f->fb.mem[32 * FX_BLOCK], 0xff);
}

/* A pattern longer than one 1 MiB chunk is written chunk by chunk. */
static void test_write_same_chunks(void **state)
{
	struct scsi_lu_config cfg = fx_default_cfg();
	struct fx *f = fx_new_lu(&cfg, 8192, FX_BLOCK);
	uint8_t block[FX_BLOCK];
	uint8_t cdb[16];

	fx_clear_ua(f, &f->nexus);
	f->fb.defer = true;
	pattern(block, sizeof(block), 1);
	rw16(cdb, 0x93, 10, 5000);
	assert_int_equal(fx_run(f, cdb, 16, block, sizeof(block)), SAM_STAT_GOOD);
	for (unsigned b = 10; b < 5010; b++)
		assert_memory_equal(f->fb.mem + (size_t)b * FX_BLOCK, block, FX_BLOCK);
	assert_int_equal(f->fb.mem[5010 * FX_BLOCK], 0);
	assert_int_equal(f->fb.mem[10 * FX_BLOCK - 1], 0);
	assert_int_equal(f->fb.count[BS_OP_WRITE], 3);
	f->fb.fail[BS_OP_WRITE] = 5;
	assert_int_equal(fx_run(f, cdb, 16, block, sizeof(block)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x0c00);
	fx_free(f);
	(void)state;
}

/* NUMBER OF LOGICAL BLOCKS 0: from the LBA to the last block, a pattern
 * in 1 MiB chunks, zeroes in one write-zeroes; no more blocks than
 * MAXIMUM WRITE SAME LENGTH either way. */
static void test_write_same_to_end(void **state)
{
	struct scsi_lu_config cfg = fx_default_cfg();
	struct fx *f = fx_new_lu(&cfg, 8192, FX_BLOCK);
	uint8_t block[FX_BLOCK];
	uint8_t cdb[16];

	fx_clear_ua(f, &f->nexus);
	pattern(block, sizeof(block), 3);
	rw16(cdb, 0x93, 100, 0);
	assert_int_equal(fx_run(f, cdb, 16, block, sizeof(block)), SAM_STAT_GOOD);
	for (unsigned b = 100; b < 8192; b++)
		assert_memory_equal(f->fb.mem + (size_t)b * FX_BLOCK, block, FX_BLOCK);
	assert_int_equal(f->fb.mem[100 * FX_BLOCK - 1], 0);
	assert_int_equal(f->fb.count[BS_OP_WRITE], 4);
	assert_true(f->cmd.aux_cap <= (1u << 20));
	memset(block, 0, sizeof(block));
	rw10(cdb, 0x41, 8000, 0);
	assert_int_equal(fx_run(f, cdb, 10, block, sizeof(block)), SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_WRITE_ZEROES], 1);
	assert_int_equal(f->fb.last_offset, 8000u * FX_BLOCK);
	assert_int_equal(f->fb.last_len, 192u * FX_BLOCK);
	rw10(cdb, 0x41, 8192, 0);
	assert_int_equal(fx_run(f, cdb, 10, block, sizeof(block)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2100);
	fx_free(f);

	uint64_t big = SBC_TEST_MWSL + 100;
	f = fx_new_lu(&cfg, big, FX_BLOCK);
	fx_clear_ua(f, &f->nexus);
	rw16(cdb, 0x93, 99, 0);			/* MWSL + 1 blocks to the end */
	assert_int_equal(fx_run(f, cdb, 16, block, sizeof(block)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	rw16(cdb, 0x93, 100, 0);		/* exactly MWSL */
	assert_int_equal(fx_run(f, cdb, 16, block, sizeof(block)), SAM_STAT_GOOD);
	assert_int_equal(f->fb.last_len, (uint64_t)SBC_TEST_MWSL * FX_BLOCK);
	fx_free(f);
	(void)state;
}

static void test_get_lba_status(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[16] = { 0x9e, 0x12 };

	put64(cdb + 2, 48);
	put32(cdb + 10, 64);
	assert_int_equal(fx_run(f, cdb, 16, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 24);
	assert_int_equal(get32(f->cmd.buf), 20);
	assert_int_equal(get64(f->cmd.buf + 8), 48);
	assert_int_equal(get32(f->cmd.buf + 16), FX_BLOCKS - 48);
	assert_int_equal(f->cmd.buf[20] & 0x0f, 0);
	put64(cdb + 2, FX_BLOCKS);
	assert_int_equal(fx_run(f, cdb, 16, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2100);
}

static void test_read_defect_data(void **state)
{
	struct fx *f = *state;
	uint8_t r10[10] = { 0x37, 0, 0x1d, 0, 0, 0, 0, 0, 255, 0 };
	uint8_t r12[12] = { 0xb7, 0x0c, 0, 0, 0, 0, 0, 0, 0, 255, 0, 0 };

	assert_int_equal(fx_run(f, r10, 10, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 4);
	assert_int_equal(f->cmd.buf[1], 0x1d);
	assert_int_equal(get16(f->cmd.buf + 2), 0);
	assert_int_equal(fx_run(f, r12, 12, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 8);
	assert_int_equal(f->cmd.buf[1], 0x0c);
	assert_int_equal(get32(f->cmd.buf + 4), 0);
}

static void test_stats(void **state)
{
	struct fx *f = *state;
	uint8_t out[3 * FX_BLOCK] = { 0 };
	uint8_t cdb[16];
	struct scsi_lu_stats *st = &f->lu->stats;
	uint64_t other = atomic_load(&st->other_cmds);
	uint64_t errors = atomic_load(&st->errors);

	rw10(cdb, 0x2a, 0, 3);
	assert_int_equal(fx_run(f, cdb, 10, out, sizeof(out)), SAM_STAT_GOOD);
	rw10(cdb, 0x28, 0, 2);
	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(atomic_load(&st->write_cmds), 1);
	assert_int_equal(atomic_load(&st->write_bytes), 3 * FX_BLOCK);
	assert_int_equal(atomic_load(&st->read_cmds), 2);
	assert_int_equal(atomic_load(&st->read_bytes), 4 * FX_BLOCK);
	uint8_t tur[6] = { 0 };
	assert_int_equal(fx_run(f, tur, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(atomic_load(&st->other_cmds), other + 1);
	assert_int_equal(atomic_load(&st->errors), errors);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_capacity10, fx_setup, fx_teardown),
		cmocka_unit_test(test_read_capacity_large),
		cmocka_unit_test_setup_teardown(test_read_capacity16, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_async, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fua, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_io_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sync_cache, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_verify, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_verify, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_caw, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_caw_edtl_mismatch, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_caw_range_lock, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_orwrite, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unmap, fx_setup_tpu, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_same, fx_setup_tpu, fx_teardown),
		cmocka_unit_test(test_write_same_chunks),
		cmocka_unit_test(test_write_same_to_end),
		cmocka_unit_test_setup_teardown(test_get_lba_status, fx_setup_tpu, fx_teardown),
		cmocka_unit_test_setup_teardown(test_read_defect_data, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stats, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
