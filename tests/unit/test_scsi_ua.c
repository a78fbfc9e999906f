/* Unit attentions per (LU, nexus): POWER ON once for a new nexus, which
 * commands report and clear them, REQUEST SENSE, LOGICAL UNIT RESET,
 * LU-wide conditions, a nexus going away, and the bounded queue. */
#include "test_scsi_fixture.h"

static const uint8_t tur[6];
static const uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 };
static const uint8_t rl[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };

static int setup_raw(void **state)
{
	struct scsi_lu_config cfg = fx_default_cfg();
	*state = fx_new_lu(&cfg, FX_BLOCKS, FX_BLOCK);
	return 0;
}

static uint8_t tur_on(struct fx *f, const struct scsi_nexus *n)
{
	return fx_run_on(f, n, 0, tur, 6, NULL, 0);
}

static void test_power_on_once(void **state)
{
	struct fx *f = *state;

	assert_int_equal(tur_on(f, &f->nexus), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x6, 0x2900);
	assert_int_equal(tur_on(f, &f->nexus), SAM_STAT_GOOD);
	/* Per nexus: the second one has its own. */
	assert_int_equal(tur_on(f, &f->nexus2), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x6, 0x2900);
	assert_int_equal(tur_on(f, &f->nexus2), SAM_STAT_GOOD);
}

/* INQUIRY and REPORT LUNS neither report nor clear a pending UA. */
static void test_exempt_commands(void **state)
{
	struct fx *f = *state;

	assert_int_equal(fx_run(f, inq, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(fx_run(f, rl, 12, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(fx_run(f, inq, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(tur_on(f, &f->nexus), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x6, 0x2900);
}

/* A UA is reported instead of running the command, data and all. */
static void test_ua_blocks_command(void **state)
{
	struct fx *f = *state;
	uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0 };

	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, w10, 10), -1);
	fx_assert_check(f, 0x6, 0x2900);
	assert_int_equal(f->cmd.data_len, 0);
	assert_int_equal(f->fb.count[BS_OP_WRITE], 0);
}

static uint8_t request_sense(struct fx *f, const struct scsi_nexus *n, bool desc,
			     uint8_t alloc)
{
	uint8_t cdb[6] = { 0x03, desc ? 1 : 0, 0, 0, alloc, 0 };
	return fx_run_on(f, n, 0, cdb, 6, NULL, 0);
}

static void test_request_sense_returns_ua(void **state)
{
	struct fx *f = *state;

	assert_int_equal(request_sense(f, &f->nexus, false, 252), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 18);
	assert_int_equal(f->cmd.buf[0], 0x70);
	assert_int_equal(f->cmd.buf[2], 0x06);
	assert_int_equal(f->cmd.buf[12], 0x29);
	assert_int_equal(f->cmd.buf[13], 0x00);
	/* Cleared: now NO SENSE, and the next command runs. */
	assert_int_equal(request_sense(f, &f->nexus, false, 252), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[2], 0x00);
	assert_int_equal(f->cmd.buf[12], 0x00);
	assert_int_equal(tur_on(f, &f->nexus), SAM_STAT_GOOD);
}

static void test_request_sense_desc(void **state)
{
	struct fx *f = *state;

	assert_int_equal(request_sense(f, &f->nexus, true, 252), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 8);
	assert_int_equal(f->cmd.buf[0], 0x72);
	assert_int_equal(f->cmd.buf[1], 0x06);
	assert_int_equal(f->cmd.buf[2], 0x29);
	/* A short allocation length truncates. */
	assert_int_equal(request_sense(f, &f->nexus, false, 3), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 3);
	assert_int_equal(f->cmd.buf[0], 0x70);
}

static void test_lu_reset(void **state)
{
	struct fx *f = *state;

	fx_clear_ua(f, &f->nexus);
	fx_clear_ua(f, &f->nexus2);
	scsi_lu_reset(f->lu, NULL);
	assert_int_equal(tur_on(f, &f->nexus), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x6, 0x2903);
	assert_int_equal(tur_on(f, &f->nexus), SAM_STAT_GOOD);
	assert_int_equal(tur_on(f, &f->nexus2), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x6, 0x2903);
	assert_int_equal(tur_on(f, &f->nexus2), SAM_STAT_GOOD);
}

static void test_ua_all_and_queue(void **state)
{
	struct fx *f = *state;

	fx_clear_ua(f, &f->nexus);
	scsi_lu_ua_all(f->lu, 0x2a, 0x09);
	scsi_lu_ua_all(f->lu, 0x2a, 0x01);
	scsi_lu_ua_all(f->lu, 0x2a, 0x09);		/* already pending */
	assert_int_equal(tur_on(f, &f->nexus), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x6, 0x2a09);
	assert_int_equal(tur_on(f, &f->nexus), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x6, 0x2a01);
	assert_int_equal(tur_on(f, &f->nexus), SAM_STAT_GOOD);

	/* Bounded: a flood keeps the oldest few, then drains. */
	for (unsigned i = 0; i < 100; i++)
		scsi_lu_ua_all(f->lu, 0x3f, (uint8_t)i);
	unsigned n = 0;
	while (tur_on(f, &f->nexus) == SAM_STAT_CHECK_CONDITION) {
		fx_assert_check(f, 0x6, (uint16_t)(0x3f00 | n));
		n++;
		assert_true(n <= 8);
	}
	assert_true(n >= 2);

	/* A reset supersedes what is queued. */
	scsi_lu_ua_all(f->lu, 0x2a, 0x09);
	scsi_lu_reset(f->lu, NULL);
	assert_int_equal(tur_on(f, &f->nexus), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x6, 0x2903);
	assert_int_equal(tur_on(f, &f->nexus), SAM_STAT_GOOD);
}

/* A nexus that logs out and back in sees POWER ON again. */
static void test_nexus_gone(void **state)
{
	struct fx *f = *state;

	fx_clear_ua(f, &f->nexus);
	scsi_lu_nexus_gone(f->lu, &f->nexus);
	assert_int_equal(tur_on(f, &f->nexus), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x6, 0x2900);
	scsi_lu_nexus_gone(f->lu, &f->nexus2);		/* never seen: fine */
}

/* UA conditions are the LU's, whatever LUN maps it. */
static void test_ua_per_lu_not_lun(void **state)
{
	struct fx *f = *state;

	assert_int_equal(fx_run_on(f, &f->nexus, 5, tur, 6, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	assert_int_equal(tur_on(f, &f->nexus), SAM_STAT_GOOD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_power_on_once, setup_raw, fx_teardown),
		cmocka_unit_test_setup_teardown(test_exempt_commands, setup_raw, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ua_blocks_command, setup_raw, fx_teardown),
		cmocka_unit_test_setup_teardown(test_request_sense_returns_ua, setup_raw, fx_teardown),
		cmocka_unit_test_setup_teardown(test_request_sense_desc, setup_raw, fx_teardown),
		cmocka_unit_test_setup_teardown(test_lu_reset, setup_raw, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ua_all_and_queue, setup_raw, fx_teardown),
		cmocka_unit_test_setup_teardown(test_nexus_gone, setup_raw, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ua_per_lu_not_lun, setup_raw, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
