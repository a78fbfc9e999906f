/* WRITE ATOMIC(16) over the fake backstore: offered only when the
 * backstore writes atomically, its block limits, its CDB checks, and the
 * range it holds against overlapping reads and writes while in flight. */
#include "test_scsi_fixture.h"

static size_t write_atomic(uint8_t *cdb, uint64_t lba, uint16_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = 0x9c;
	put64(cdb + 2, lba);
	put16(cdb + 12, n);
	return 16;
}

static int setup_atomic(void **state)
{
	fx_setup(state);
	((struct fx *)*state)->fb.bs.atomic_max = 1u << 20;
	return 0;
}

static uint32_t vpd_max_atomic(struct fx *f)
{
	uint8_t cdb[6] = { 0x12, 0x01, 0xb0, 0, 255, 0 };

	assert_int_equal(fx_run(f, cdb, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(get32(f->cmd.buf + 48), 0);	/* no alignment */
	assert_int_equal(get32(f->cmd.buf + 52), 0);	/* no granularity */
	assert_int_equal(get32(f->cmd.buf + 60), 0);	/* no boundary */
	return get32(f->cmd.buf + 44);
}

static bool rsoc_lists(struct fx *f, uint8_t opcode)
{
	uint8_t cdb[12] = { 0xa3, 0x0c, 0x01, opcode };

	put32(cdb + 6, 512);
	assert_int_equal(fx_run(f, cdb, 12, NULL, 0), SAM_STAT_GOOD);
	return (f->cmd.buf[1] & 0x07) == 0x03;
}

/* A backstore that cannot write atomically: no command, no limits. */
static void test_not_offered(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[16], block[FX_BLOCK] = { 0 };

	write_atomic(cdb, 0, 1);
	assert_int_equal(fx_run(f, cdb, 16, block, sizeof(block)),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2000);
	assert_int_equal(vpd_max_atomic(f), 0);
	assert_false(rsoc_lists(f, 0x9c));
}

static void test_write(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[16], data[8 * FX_BLOCK];

	assert_int_equal(vpd_max_atomic(f), (1u << 20) / FX_BLOCK);
	assert_true(rsoc_lists(f, 0x9c));
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	write_atomic(cdb, 40, 8);
	cdb[1] = 0x18;					/* DPO, FUA */
	assert_int_equal(fx_run(f, cdb, 16, data, sizeof(data)), SAM_STAT_GOOD);
	assert_memory_equal(f->fb.mem + 40 * FX_BLOCK, data, sizeof(data));
	assert_true(f->fb.write_flags & BS_F_ATOMIC);
	assert_true(f->fb.write_flags & BS_F_FUA);
	/* Zero blocks: nothing to do. */
	write_atomic(cdb, 0, 0);
	assert_int_equal(fx_run(f, cdb, 16, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_WRITE], 1);
	/* A failing write is reported like any write. */
	f->fb.fail[BS_OP_WRITE] = 5;
	write_atomic(cdb, 40, 1);
	assert_int_equal(fx_run(f, cdb, 16, data, FX_BLOCK), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x0c00);
}

static void test_cdb_checks(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[16];

	write_atomic(cdb, 0, 1);
	put16(cdb + 10, 1);		/* ATOMIC BOUNDARY: not in the usage data */
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, cdb, 16), -1);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(get16(f->cmd.sense + 16), 11);
	write_atomic(cdb, 0, (1u << 20) / FX_BLOCK + 1);
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, cdb, 16), -1);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(get16(f->cmd.sense + 16), 12);
	write_atomic(cdb, FX_BLOCKS - 1, 2);
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, cdb, 16), -1);
	fx_assert_check(f, 0x5, 0x2100);
	/* Write-protected through LUN 5. */
	write_atomic(cdb, 0, 1);
	fx_clear_ua(f, &f->nexus2);
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 5, cdb, 16), -1);
	fx_assert_check(f, 0x7, 0x2700);
	/* Never shortened to fewer blocks than it carries. */
	f->next_edtl = 4 * FX_BLOCK;
	write_atomic(cdb, 0, 4);
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, cdb, 16), 0);
	assert_int_equal(scsi_cmd_shorten(&f->cmd, 2 * FX_BLOCK), -1);
}

static unsigned first_done;

static void count_done(struct scsi_cmd *cmd)
{
	(void)cmd;
	first_done++;
}

static const struct scsi_fabric_ops count_ops = { .done = count_done };

/* While one is in flight its range is closed to overlapping reads and
 * writes (BUSY), open elsewhere, and open again once it completes. */
static void test_range_held(void **state)
{
	struct fx *f = *state;
	struct scsi_cmd first;
	uint8_t cdb[16], rd[10] = { 0x28 }, data[4 * FX_BLOCK];

	memset(data, 0x5a, sizeof(data));
	fx_clear_ua(f, &f->nexus2);
	scsi_cmd_init(&first);
	write_atomic(first.cdb, 100, 4);
	first.cdb_len = 16;
	first.lun_ent = scsi_lun_table_find(f->nexus.luns, 0);
	first.nexus = &f->nexus;
	first.pool = &f->pool;
	first.ops = &count_ops;
	first.edtl = sizeof(data);
	assert_int_equal(scsi_cmd_setup(&first), 0);
	memcpy(first.buf, data, sizeof(data));
	f->fb.defer = true;
	first_done = 0;
	scsi_cmd_execute(&first);
	assert_int_equal(first_done, 0);
	assert_int_equal(f->fb.npending, 1);
	f->fb.npending = 0;		/* its I/O aside while others run */
	f->fb.defer = false;

	put32(rd + 2, 102);
	put16(rd + 7, 4);
	assert_int_equal(fx_setup_cmd(f, &f->nexus2, 0, rd, 10), -1);
	assert_int_equal(f->cmd.status, SAM_STAT_BUSY);
	write_atomic(cdb, 103, 1);
	assert_int_equal(fx_run_on(f, &f->nexus2, 0, cdb, 16, data, FX_BLOCK),
			 SAM_STAT_BUSY);
	rd[0] = 0x2a;					/* WRITE(10) */
	f->next_edtl = 4 * FX_BLOCK;
	assert_int_equal(fx_setup_cmd(f, &f->nexus2, 0, rd, 10), -1);
	assert_int_equal(f->cmd.status, SAM_STAT_BUSY);
	rd[0] = 0x28;
	put32(rd + 2, 104);				/* just past it */
	assert_int_equal(fx_run_on(f, &f->nexus2, 0, rd, 10, NULL, 0), SAM_STAT_GOOD);

	f->fb.npending = 1;		/* pending[0] is still first's */
	fx_complete(f);
	assert_int_equal(first_done, 1);
	assert_int_equal(first.status, SAM_STAT_GOOD);
	scsi_cmd_release(&first);
	put32(rd + 2, 100);
	assert_int_equal(fx_run_on(f, &f->nexus2, 0, rd, 10, NULL, 0), SAM_STAT_GOOD);
	assert_memory_equal(f->cmd.buf, data, sizeof(data));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_not_offered, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write, setup_atomic, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cdb_checks, setup_atomic, fx_teardown),
		cmocka_unit_test_setup_teardown(test_range_held, setup_atomic, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
