/* SANITIZE (scsi/sanitize.c): the attribute that enables it, the CDB and
 * parameter list checks, OVERWRITE and BLOCK ERASE on the medium, IMMED
 * and the NOT READY / progress while the job runs, an aborted command
 * leaving the job running, failure mode and EXIT FAILURE MODE, write
 * protection and reservations. */
#include <errno.h>

#include "test_scsi_fixture.h"

#include "scsi/core.h"

enum { OVERWRITE = 0x01, BLOCK_ERASE = 0x02, CRYPTO_ERASE = 0x03, EXIT_FM = 0x1f };
#define IMMED 0x80
#define AUSE 0x20

static const uint8_t tur[6];

static void sanitize_cdb(uint8_t *cdb, uint8_t byte1, uint16_t len)
{
	memset(cdb, 0, 10);
	cdb[0] = 0x48;
	cdb[1] = byte1;
	put16(cdb + 7, len);
}

/* An OVERWRITE parameter list: count (with INVERT in bit 7) and a
 * pattern of len bytes of value v. */
static size_t overwrite_list(uint8_t *p, uint8_t count, uint16_t len, uint8_t v)
{
	p[0] = count;
	p[1] = 0;
	put16(p + 2, len);
	memset(p + 4, v, len);
	return 4u + len;
}

static uint8_t run_sanitize(struct fx *f, const struct scsi_nexus *n, uint64_t lun,
			    uint8_t byte1, const uint8_t *list, size_t len)
{
	uint8_t cdb[10];

	sanitize_cdb(cdb, byte1, (uint16_t)len);
	return fx_run_on(f, n, lun, cdb, 10, list, len);
}

/* Like fx_run_on() but leaves held I/O held (the job's), so the command
 * must end by itself; returns its status. */
static uint8_t run_held(struct fx *f, const struct scsi_nexus *n, const uint8_t *cdb,
			size_t cdb_len, const void *out, size_t out_len)
{
	struct scsi_cmd *c = &f->cmd;

	f->next_edtl = (uint32_t)out_len;
	if (fx_setup_cmd(f, n, 0, cdb, cdb_len) < 0)
		return c->status;
	if (c->dir == SCSI_DIR_WRITE)
		memcpy(c->buf, out, c->data_len);
	scsi_cmd_execute(c);
	assert_int_equal(f->done, 1);
	return c->status;
}

static int setup_sanitize(void **state)
{
	struct scsi_lu_config cfg = fx_default_cfg();
	cfg.emulate_tpu = true;
	cfg.emulate_sanitize = true;
	*state = fx_new_cfg(&cfg);
	((struct fx *)*state)->fb.bs.can_discard = true;
	return 0;
}

static bool medium_is(const struct fx *f, const uint8_t *block)
{
	for (uint32_t b = 0; b < FX_BLOCKS; b++)
		if (memcmp(f->fb.mem + (size_t)b * FX_BLOCK, block, FX_BLOCK))
			return false;
	return true;
}

static void test_off_by_default(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[10];

	/* A valid and an unknown service action alike: the opcode does not
	 * exist on this LU. */
	sanitize_cdb(cdb, BLOCK_ERASE, 0);
	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2000);
	sanitize_cdb(cdb, 0x00, 0);
	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2000);
}

static void test_service_actions(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[10];

	/* CRYPTO ERASE and every undefined action: INVALID FIELD IN CDB. */
	for (unsigned sa = 0; sa < 0x1f; sa++) {
		if (sa == OVERWRITE || sa == BLOCK_ERASE)
			continue;
		sanitize_cdb(cdb, (uint8_t)sa, 0);
		assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_CHECK_CONDITION);
		fx_assert_check(f, 0x5, 0x2400);
	}
	/* Reserved bit (ZNR) of byte 1 and reserved bytes 2..6. */
	sanitize_cdb(cdb, BLOCK_ERASE | 0x40, 0);
	assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	for (unsigned i = 2; i <= 6; i++) {
		sanitize_cdb(cdb, BLOCK_ERASE, 0);
		cdb[i] = 1;
		assert_int_equal(fx_run(f, cdb, 10, NULL, 0), SAM_STAT_CHECK_CONDITION);
		fx_assert_check(f, 0x5, 0x2400);
	}
}

static void test_parameter_list_lengths(void **state)
{
	struct fx *f = *state;
	uint8_t list[FX_BLOCK + 8];

	memset(list, 0, sizeof(list));
	/* OVERWRITE: 5 .. block size + 4 bytes; the others: none. */
	for (size_t len = 0; len < 5; len++) {
		assert_int_equal(run_sanitize(f, &f->nexus, 0, OVERWRITE, list, len),
				 SAM_STAT_CHECK_CONDITION);
		fx_assert_check(f, 0x5, 0x2400);
	}
	assert_int_equal(run_sanitize(f, &f->nexus, 0, OVERWRITE, list, FX_BLOCK + 5),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(run_sanitize(f, &f->nexus, 0, BLOCK_ERASE, list, 8),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(run_sanitize(f, &f->nexus, 0, EXIT_FM, list, 8),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
}

static void test_parse_overwrite(void **state)
{
	uint8_t p[FX_BLOCK + 4];
	struct sanitize_overwrite ow;
	size_t len;

	(void)state;
	len = overwrite_list(p, 0x80 | 3, 4, 0x5a);
	assert_int_equal(sanitize_parse_overwrite(p, (uint32_t)len, FX_BLOCK, &ow), 0);
	assert_true(ow.invert);
	assert_int_equal(ow.passes, 3);
	assert_int_equal(ow.pattern_len, 4);
	assert_ptr_equal(ow.pattern, p + 4);
	len = overwrite_list(p, 1, FX_BLOCK, 0x11);
	assert_int_equal(sanitize_parse_overwrite(p, (uint32_t)len, FX_BLOCK, &ow), 0);

	len = overwrite_list(p, 0, 4, 0);		/* no pass */
	assert_int_equal(sanitize_parse_overwrite(p, (uint32_t)len, FX_BLOCK, &ow), -1);
	len = overwrite_list(p, 1 | 0x20, 4, 0);	/* TEST */
	assert_int_equal(sanitize_parse_overwrite(p, (uint32_t)len, FX_BLOCK, &ow), -1);
	len = overwrite_list(p, 1, 4, 0);
	p[1] = 1;					/* reserved byte */
	assert_int_equal(sanitize_parse_overwrite(p, (uint32_t)len, FX_BLOCK, &ow), -1);
	overwrite_list(p, 1, 0, 0);			/* empty pattern */
	assert_int_equal(sanitize_parse_overwrite(p, 8, FX_BLOCK, &ow), -1);
	overwrite_list(p, 1, 8, 0);			/* longer than the list */
	assert_int_equal(sanitize_parse_overwrite(p, 8, FX_BLOCK, &ow), -1);
	overwrite_list(p, 1, 2, 0);			/* shorter than the list */
	assert_int_equal(sanitize_parse_overwrite(p, 8, FX_BLOCK, &ow), -1);
	put16(p + 2, FX_BLOCK + 1);			/* more than a block */
	assert_int_equal(sanitize_parse_overwrite(p, FX_BLOCK + 4, FX_BLOCK, &ow), -1);
}

static void test_overwrite(void **state)
{
	struct fx *f = *state;
	uint8_t list[FX_BLOCK + 4], want[FX_BLOCK];
	size_t len;

	memset(f->fb.mem, 0xee, (size_t)FX_BLOCKS * FX_BLOCK);
	/* A 3-byte pattern repeats from each block's start. */
	list[0] = 1;
	list[1] = 0;
	put16(list + 2, 3);
	list[4] = 1, list[5] = 2, list[6] = 3;
	assert_int_equal(run_sanitize(f, &f->nexus, 0, OVERWRITE, list, 7), SAM_STAT_GOOD);
	for (unsigned i = 0; i < FX_BLOCK; i++)
		want[i] = (uint8_t)(1 + i % 3);
	assert_true(medium_is(f, want));
	assert_int_equal(f->fb.count[BS_OP_FLUSH], 1);

	/* Two passes with INVERT: the second writes the inverted pattern. */
	len = overwrite_list(list, 0x80 | 2, FX_BLOCK, 0x0f);
	assert_int_equal(run_sanitize(f, &f->nexus, 0, OVERWRITE, list, len), SAM_STAT_GOOD);
	memset(want, 0xf0, sizeof(want));
	assert_true(medium_is(f, want));
}

static void test_block_erase(void **state)
{
	struct fx *f = *state;
	uint8_t zero[FX_BLOCK], gls[16], data[FX_BLOCK];

	memset(zero, 0, sizeof(zero));
	memset(f->fb.mem, 0xee, (size_t)FX_BLOCKS * FX_BLOCK);
	assert_int_equal(run_sanitize(f, &f->nexus, 0, BLOCK_ERASE, NULL, 0), SAM_STAT_GOOD);
	assert_true(medium_is(f, zero));
	assert_true(f->fb.count[BS_OP_DISCARD] >= 1);

	/* GET LBA STATUS: deallocated, until something is written. */
	memset(gls, 0, sizeof(gls));
	gls[0] = 0x9e;
	gls[1] = 0x12;
	put32(gls + 10, 24);
	assert_int_equal(fx_run(f, gls, 16, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[20] & 0x0f, 0x01);
	uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 7, 0, 0, 1, 0 };
	memset(data, 0x33, sizeof(data));
	assert_int_equal(fx_run(f, w10, 10, data, sizeof(data)), SAM_STAT_GOOD);
	assert_int_equal(fx_run(f, gls, 16, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[20] & 0x0f, 0x00);
}

static void test_block_erase_needs_discard(void **state)
{
	struct fx *f = *state;

	/* Without a discard that reads back zeroes, BLOCK ERASE is not
	 * offered (OVERWRITE still is). */
	f->fb.bs.can_discard = false;
	assert_int_equal(run_sanitize(f, &f->nexus, 0, BLOCK_ERASE, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2000);
}

/* While the job runs: NOT READY, SANITIZE IN PROGRESS with a progress
 * indication for most commands, and for REQUEST SENSE as its data. */
static void assert_in_progress(struct fx *f, const struct scsi_nexus *n)
{
	uint8_t rs[6] = { 0x03, 0, 0, 0, 18, 0 }, inq[6] = { 0x12, 0, 0, 0, 36, 0 };
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 };

	assert_int_equal(fx_run_on(f, n, 0, tur, 6, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x2, 0x041b);
	assert_int_equal(f->cmd.sense[15] & 0x80, 0x80);	/* SKSV */
	assert_int_equal(fx_run_on(f, n, 0, r10, 10, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x2, 0x041b);
	assert_int_equal(run_held(f, n, rs, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[2] & 0x0f, 0x2);
	assert_int_equal(f->cmd.buf[12], 0x04);
	assert_int_equal(f->cmd.buf[13], 0x1b);
	assert_int_equal(f->cmd.buf[15] & 0x80, 0x80);
	assert_int_equal(run_held(f, n, inq, 6, NULL, 0), SAM_STAT_GOOD);
}

static void test_immed_and_progress(void **state)
{
	struct fx *f = *state;
	uint8_t list[8], cdb[10], rs[6] = { 0x03, 0, 0, 0, 18, 0 };
	size_t len = overwrite_list(list, 1, 4, 0x77);

	f->fb.defer = true;
	sanitize_cdb(cdb, OVERWRITE | IMMED, (uint16_t)len);
	assert_int_equal(run_held(f, &f->nexus, cdb, 10, list, len), SAM_STAT_GOOD);
	/* The first chunk is in flight: both nexuses are told. */
	assert_in_progress(f, &f->nexus);
	/* The other nexus's REQUEST SENSE reports its POWER ON first. */
	assert_int_equal(run_held(f, &f->nexus2, rs, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[2] & 0x0f, 0x6);
	assert_in_progress(f, &f->nexus2);
	/* A second SANITIZE meanwhile is refused too. */
	assert_int_equal(run_sanitize(f, &f->nexus2, 0, OVERWRITE, list, len),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x2, 0x041b);
	fx_complete(f);
	assert_int_equal(fx_run(f, tur, 6, NULL, 0), SAM_STAT_GOOD);
}

static void test_abort_leaves_job_running(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[10];

	f->fb.defer = true;
	sanitize_cdb(cdb, BLOCK_ERASE, 0);
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, cdb, 10), 0);
	scsi_cmd_execute(&f->cmd);
	assert_int_equal(f->done, 0);		/* waits for the job */
	scsi_cmd_abort(&f->cmd);
	assert_int_equal(f->done, 1);		/* no longer */
	assert_in_progress(f, &f->nexus);
	fx_complete(f);
	assert_int_equal(fx_run(f, tur, 6, NULL, 0), SAM_STAT_GOOD);
}

static void test_failure_mode(void **state)
{
	struct fx *f = *state;
	uint8_t list[8], r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	size_t len = overwrite_list(list, 1, 4, 0x01);

	f->fb.fail[BS_OP_WRITE] = EIO;
	assert_int_equal(run_sanitize(f, &f->nexus, 0, OVERWRITE, list, len),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x3103);
	assert_int_equal(fx_run(f, r10, 10, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x3103);
	/* The failed one did not allow EXIT FAILURE MODE (AUSE 0). */
	assert_int_equal(run_sanitize(f, &f->nexus, 0, EXIT_FM, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	/* A new SANITIZE may run in failure mode; this one allows it. */
	assert_int_equal(run_sanitize(f, &f->nexus, 0, OVERWRITE | AUSE, list, len),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x3103);
	assert_int_equal(run_sanitize(f, &f->nexus, 0, EXIT_FM, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(fx_run(f, r10, 10, NULL, 0), SAM_STAT_GOOD);
	/* Outside failure mode, EXIT FAILURE MODE has nothing to do. */
	assert_int_equal(run_sanitize(f, &f->nexus, 0, EXIT_FM, NULL, 0), SAM_STAT_GOOD);

	/* A successful SANITIZE ends failure mode too. */
	assert_int_equal(run_sanitize(f, &f->nexus, 0, OVERWRITE, list, len),
			 SAM_STAT_CHECK_CONDITION);
	f->fb.fail[BS_OP_WRITE] = 0;
	assert_int_equal(run_sanitize(f, &f->nexus, 0, OVERWRITE, list, len), SAM_STAT_GOOD);
	assert_int_equal(fx_run(f, r10, 10, NULL, 0), SAM_STAT_GOOD);
}

static void test_protection_and_reservations(void **state)
{
	struct fx *f = *state;
	uint8_t reserve6[6] = { 0x16, 0, 0, 0, 0, 0 }, release6[6] = { 0x17, 0, 0, 0, 0, 0 };

	/* LUN 5 maps the LU write-protected for this initiator. */
	assert_int_equal(run_sanitize(f, &f->nexus, 5, BLOCK_ERASE, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x7, 0x2700);
	/* Another nexus's RESERVE: RESERVATION CONFLICT, medium untouched. */
	fx_clear_ua(f, &f->nexus2);
	assert_int_equal(fx_run_on(f, &f->nexus2, 0, reserve6, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(run_sanitize(f, &f->nexus, 0, BLOCK_ERASE, NULL, 0),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(f->fb.count[BS_OP_DISCARD], 0);
	assert_int_equal(fx_run_on(f, &f->nexus2, 0, release6, 6, NULL, 0), SAM_STAT_GOOD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_off_by_default, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_service_actions, setup_sanitize, fx_teardown),
		cmocka_unit_test_setup_teardown(test_parameter_list_lengths, setup_sanitize,
						fx_teardown),
		cmocka_unit_test(test_parse_overwrite),
		cmocka_unit_test_setup_teardown(test_overwrite, setup_sanitize, fx_teardown),
		cmocka_unit_test_setup_teardown(test_block_erase, setup_sanitize, fx_teardown),
		cmocka_unit_test_setup_teardown(test_block_erase_needs_discard, setup_sanitize,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_immed_and_progress, setup_sanitize,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_abort_leaves_job_running, setup_sanitize,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_failure_mode, setup_sanitize, fx_teardown),
		cmocka_unit_test_setup_teardown(test_protection_and_reservations, setup_sanitize,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
