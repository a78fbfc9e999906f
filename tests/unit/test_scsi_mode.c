/* MODE SENSE (6/10) layouts and MODE SELECT (6/10) validation: page
 * control, block descriptors, the device-specific parameter, which bits
 * may change, and what a change does (descriptor sense, software write
 * protect, a unit attention for the other nexuses). */
#include "test_scsi_fixture.h"

static uint8_t sense6(struct fx *f, uint8_t flags, uint8_t pc, uint8_t page,
		      uint8_t alloc)
{
	uint8_t cdb[6] = { 0x1a, flags, (uint8_t)(pc << 6 | page), 0, alloc, 0 };
	return fx_run(f, cdb, 6, NULL, 0);
}

static uint8_t sense10(struct fx *f, uint8_t flags, uint8_t pc, uint8_t page,
		       uint16_t alloc)
{
	uint8_t cdb[10] = { 0x5a, flags, (uint8_t)(pc << 6 | page) };
	put16(cdb + 7, alloc);
	return fx_run(f, cdb, 10, NULL, 0);
}

/* The page with this code in a MODE SENSE response, or NULL. */
static const uint8_t *find_page(const uint8_t *p, size_t len, size_t hdr,
				uint8_t code)
{
	const uint8_t *q = p + hdr;
	while (q + 2 <= p + len) {
		if ((q[0] & 0x3f) == code)
			return q;
		q += 2 + q[1];
	}
	return NULL;
}

static void test_sense6_all_pages(void **state)
{
	struct fx *f = *state;
	const uint8_t *p;

	assert_int_equal(sense6(f, 0, 0, 0x3f, 255), SAM_STAT_GOOD);
	p = f->cmd.buf;
	assert_int_equal(p[0], f->cmd.data_len - 1);
	assert_int_equal(p[1], 0);
	assert_int_equal(p[2], 0x10);			/* DPOFUA, not WP */
	assert_int_equal(p[3], 8);
	assert_int_equal(get32(p + 4), FX_BLOCKS);
	assert_int_equal(p[8], 0);
	assert_int_equal(p[9] << 16 | get16(p + 10), FX_BLOCK);
	assert_int_equal(f->cmd.data_len, 4 + 8 + 20 + 12 + 12);
	const uint8_t *c = find_page(p, f->cmd.data_len, 12, 0x08);
	assert_non_null(c);
	assert_int_equal(c[1], 0x12);
	assert_int_equal(c[2] & 0x04, 0);		/* WCE off */
	c = find_page(p, f->cmd.data_len, 12, 0x0a);
	assert_non_null(c);
	assert_int_equal(c[1], 0x0a);
	assert_int_equal(c[2], 0);
	assert_int_equal(c[3], 0x10);
	assert_int_equal(get16(c + 8), 0xffff);
	assert_non_null(find_page(p, f->cmd.data_len, 12, 0x1c));
}

static void test_sense6_one_page_and_dbd(void **state)
{
	struct fx *f = *state;

	assert_int_equal(sense6(f, 0x08, 0, 0x0a, 255), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 4 + 12);
	assert_int_equal(f->cmd.buf[3], 0);
	assert_int_equal(f->cmd.buf[4], 0x0a);
	/* Subpage FFh of a page without subpages is the page itself. */
	uint8_t cdb[6] = { 0x1a, 0x08, 0x0a, 0xff, 255, 0 };
	assert_int_equal(fx_run(f, cdb, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 4 + 12);
}

static void test_sense_truncated(void **state)
{
	struct fx *f = *state;

	assert_int_equal(sense6(f, 0, 0, 0x3f, 4), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 4);
	assert_int_equal(f->cmd.buf[0], 4 + 8 + 44 - 1);
	assert_int_equal(sense6(f, 0, 0, 0x3f, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 0);
}

static void test_sense10_long_lba(void **state)
{
	struct fx *f = *state;
	const uint8_t *p;

	assert_int_equal(sense10(f, 0x10, 0, 0x08, 512), SAM_STAT_GOOD);
	p = f->cmd.buf;
	assert_int_equal(get16(p), f->cmd.data_len - 2);
	assert_int_equal(p[3], 0x10);
	assert_int_equal(p[4], 0x01);			/* LONGLBA */
	assert_int_equal(get16(p + 6), 16);
	assert_int_equal(get64(p + 8), FX_BLOCKS);
	assert_int_equal(get32(p + 20), FX_BLOCK);
	assert_int_equal(p[24], 0x08);
	assert_int_equal(f->cmd.data_len, 8 + 16 + 20);

	assert_int_equal(sense10(f, 0, 0, 0x08, 512), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[4], 0);
	assert_int_equal(get16(f->cmd.buf + 6), 8);
}

static void test_sense_page_control(void **state)
{
	struct fx *f = *state;
	const uint8_t *c;

	/* Changeable: only D_SENSE and SWP in the control page. */
	assert_int_equal(sense6(f, 0x08, 1, 0x3f, 255), SAM_STAT_GOOD);
	c = find_page(f->cmd.buf, f->cmd.data_len, 4, 0x0a);
	assert_non_null(c);
	assert_int_equal(c[2], 0x04);
	assert_int_equal(c[4], 0x08);
	assert_int_equal(c[3] | c[5] | c[8] | c[9], 0);
	c = find_page(f->cmd.buf, f->cmd.data_len, 4, 0x08);
	for (unsigned i = 2; i < 20; i++)
		assert_int_equal(c[i], 0);
	/* Default: same as the current values of a fresh LU. */
	assert_int_equal(sense6(f, 0x08, 2, 0x0a, 255), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[4 + 3], 0x10);
	/* Saved: not supported. */
	assert_int_equal(sense6(f, 0x08, 3, 0x0a, 255), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x3900);
}

static void test_sense_invalid(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[6] = { 0x1a, 0, 0x0a, 0x01, 255, 0 };

	assert_int_equal(sense6(f, 0, 0, 0x19, 255), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(fx_run(f, cdb, 6, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(get16(f->cmd.sense + 16), 3);
	/* LLBAA does not exist in MODE SENSE(6). */
	assert_int_equal(sense6(f, 0x10, 0, 0x0a, 255), SAM_STAT_CHECK_CONDITION);
}

static void test_wp_and_wce(void **state)
{
	struct scsi_lu_config cfg = fx_default_cfg();
	cfg.readonly = true;
	cfg.write_cache = true;
	struct fx *f = fx_new_cfg(&cfg);

	assert_int_equal(sense6(f, 0x08, 0, 0x08, 255), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[2], 0x90);
	assert_int_equal(f->cmd.buf[4 + 2] & 0x04, 0x04);
	fx_free(f);
	(void)state;
}

/* Builds a MODE SELECT(6) list from the current control page with two
 * bytes replaced. */
static uint8_t select6_control(struct fx *f, uint8_t byte2, uint8_t byte4)
{
	uint8_t list[4 + 12] = { 0 };
	uint8_t sel[6] = { 0x15, 0x10, 0, 0, sizeof(list), 0 };

	assert_int_equal(sense6(f, 0x08, 0, 0x0a, 255), SAM_STAT_GOOD);
	memcpy(list + 4, f->cmd.buf + 4, 12);
	list[4 + 2] = byte2;
	list[4 + 4] = byte4;
	return fx_run(f, sel, 6, list, sizeof(list));
}

static void test_select_swp(void **state)
{
	struct fx *f = *state;
	uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t block[FX_BLOCK] = { 0 };
	static const uint8_t tur[6];

	fx_clear_ua(f, &f->nexus2);
	assert_int_equal(select6_control(f, 0, 0x08), SAM_STAT_GOOD);
	assert_int_equal(sense6(f, 0x08, 0, 0x0a, 255), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[2], 0x90);		/* WP now */
	assert_int_equal(f->cmd.buf[4 + 4], 0x08);
	assert_int_equal(fx_run(f, w10, 10, block, sizeof(block)),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x7, 0x2700);
	/* The other nexus is told, once; the one that changed it is not. */
	assert_int_equal(fx_run_on(f, &f->nexus2, 0, tur, 6, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x6, 0x2a01);
	assert_int_equal(fx_run_on(f, &f->nexus2, 0, tur, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(fx_run(f, tur, 6, NULL, 0), SAM_STAT_GOOD);

	assert_int_equal(select6_control(f, 0, 0), SAM_STAT_GOOD);
	assert_int_equal(fx_run(f, w10, 10, block, sizeof(block)), SAM_STAT_GOOD);
	/* Writing the same values again changes nothing: no new UA. */
	assert_int_equal(fx_run_on(f, &f->nexus2, 0, tur, 6, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	assert_int_equal(select6_control(f, 0, 0), SAM_STAT_GOOD);
	assert_int_equal(fx_run_on(f, &f->nexus2, 0, tur, 6, NULL, 0), SAM_STAT_GOOD);
}

static void test_select10_with_descriptor(void **state)
{
	struct fx *f = *state;
	uint8_t list[8 + 8 + 12] = { 0 };
	uint8_t sel[10] = { 0x55, 0x10, 0, 0, 0, 0, 0, 0, sizeof(list), 0 };

	assert_int_equal(sense10(f, 0, 0, 0x0a, 512), SAM_STAT_GOOD);
	memcpy(list, f->cmd.buf, sizeof(list));
	memset(list, 0, 8);
	list[7] = 8;
	list[8 + 8 + 2] = 0x04;				/* D_SENSE */
	assert_int_equal(fx_run(f, sel, 10, list, sizeof(list)), SAM_STAT_GOOD);
	assert_int_equal(sense6(f, 0x08, 0, 0x0a, 255), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[4 + 2], 0x04);

	/* A block length that is not ours. */
	list[8 + 6] = 0x10;
	assert_int_equal(fx_run(f, sel, 10, list, sizeof(list)),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	assert_int_equal(f->cmd.sense[0], 0x72);	/* D_SENSE is on */
}

static void test_select_invalid(void **state)
{
	struct fx *f = *state;
	uint8_t list[4 + 12] = { 0 };
	uint8_t sel[6] = { 0x15, 0x10, 0, 0, sizeof(list), 0 };

	assert_int_equal(sense6(f, 0x08, 0, 0x0a, 255), SAM_STAT_GOOD);
	memcpy(list + 4, f->cmd.buf + 4, 12);

	sel[1] = 0x11;					/* SP */
	assert_int_equal(fx_run(f, sel, 6, list, sizeof(list)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	sel[1] = 0x00;					/* PF 0 */
	assert_int_equal(fx_run(f, sel, 6, list, sizeof(list)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	sel[1] = 0x10;

	list[4 + 1] = 0x0b;				/* page length */
	assert_int_equal(fx_run(f, sel, 6, list, sizeof(list)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	assert_int_equal(get16(f->cmd.sense + 16), 5);
	list[4 + 1] = 0x0a;

	list[4] = 0x8a;					/* PS */
	assert_int_equal(fx_run(f, sel, 6, list, sizeof(list)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	list[4] = 0x19;					/* unknown page */
	assert_int_equal(fx_run(f, sel, 6, list, sizeof(list)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	list[4] = 0x0a;

	/* Truncated page, and a list shorter than its header. */
	sel[4] = sizeof(list) - 1;
	assert_int_equal(fx_run(f, sel, 6, list, sizeof(list)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x1a00);
	sel[4] = 3;
	assert_int_equal(fx_run(f, sel, 6, list, sizeof(list)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x1a00);
	/* A block descriptor length the list cannot hold. */
	sel[4] = sizeof(list);
	list[3] = 8;
	assert_int_equal(fx_run(f, sel, 6, list, sizeof(list)), SAM_STAT_CHECK_CONDITION);
	list[3] = 0;

	/* WCE is not changeable. */
	uint8_t cache[4 + 20] = { 0 };
	sel[4] = sizeof(cache);
	cache[4] = 0x08;
	cache[5] = 0x12;
	cache[6] = 0x04;
	assert_int_equal(fx_run(f, sel, 6, cache, sizeof(cache)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	assert_int_equal(get16(f->cmd.sense + 16), 6);
	cache[6] = 0;
	assert_int_equal(fx_run(f, sel, 6, cache, sizeof(cache)), SAM_STAT_GOOD);

	/* Nothing changed by any of the refused lists. */
	assert_int_equal(sense6(f, 0x08, 0, 0x0a, 255), SAM_STAT_GOOD);
	assert_memory_equal(f->cmd.buf + 4, list + 4, 12);
}

/* A list whose second page is bad changes nothing, not even the first. */
static void test_select_atomic(void **state)
{
	struct fx *f = *state;
	uint8_t list[4 + 12 + 12] = { 0 };
	uint8_t sel[6] = { 0x15, 0x10, 0, 0, sizeof(list), 0 };

	assert_int_equal(sense6(f, 0x08, 0, 0x0a, 255), SAM_STAT_GOOD);
	memcpy(list + 4, f->cmd.buf + 4, 12);
	list[4 + 2] = 0x04;
	list[16] = 0x1c;
	list[17] = 0x0a;
	list[18] = 0x00;			/* DEXCPT cleared: not changeable */
	assert_int_equal(fx_run(f, sel, 6, list, sizeof(list)), SAM_STAT_CHECK_CONDITION);
	assert_int_equal(f->cmd.sense[0], 0x70);
	assert_int_equal(sense6(f, 0x08, 0, 0x0a, 255), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[4 + 2], 0);
	list[18] = 0x08;
	assert_int_equal(fx_run(f, sel, 6, list, sizeof(list)), SAM_STAT_GOOD);
	assert_int_equal(sense6(f, 0x08, 0, 0x0a, 255), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[4 + 2], 0x04);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sense6_all_pages, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sense6_one_page_and_dbd, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sense_truncated, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sense10_long_lba, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sense_page_control, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sense_invalid, fx_setup, fx_teardown),
		cmocka_unit_test(test_wp_and_wce),
		cmocka_unit_test_setup_teardown(test_select_swp, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_select10_with_descriptor, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_select_invalid, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_select_atomic, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
