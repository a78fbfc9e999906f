/* Sense data: fixed and descriptor layouts byte by byte, the field pointer
 * of INVALID FIELD errors, the INFORMATION field, and the switch to
 * descriptor format through the control mode page's D_SENSE bit. */
#include "test_scsi_fixture.h"

static void test_fixed_layout(void **state)
{
	struct fx *f = *state;

	scsi_set_sense(&f->cmd, 0x5, 0x24, 0x00);
	assert_int_equal(f->cmd.status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(f->cmd.sense_len, 18);
	assert_int_equal(f->cmd.sense[0], 0x70);
	assert_int_equal(f->cmd.sense[2], 0x05);
	assert_int_equal(f->cmd.sense[7], 10);
	assert_int_equal(f->cmd.sense[12], 0x24);
	assert_int_equal(f->cmd.sense[13], 0x00);
	assert_int_equal(f->cmd.sense[15], 0);	/* no SKSV */
}

/* A bad bit in the CDB: SKSV, C/D=1, BPV with the bit, and the byte. */
static void test_fixed_field_pointer(void **state)
{
	struct fx *f = *state;
	uint8_t inquiry_cmddt[6] = { 0x12, 0x02, 0, 0, 36, 0 };

	assert_int_equal(fx_run(f, inquiry_cmddt, 6, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(f->cmd.sense[15], 0x80 | 0x40 | 0x08 | 1);
	assert_int_equal(get16(f->cmd.sense + 16), 1);
}

/* A whole-byte field: no BPV. */
static void test_fixed_field_pointer_byte(void **state)
{
	struct fx *f = *state;
	uint8_t inquiry_page[6] = { 0x12, 0x00, 0x80, 0, 36, 0 };

	assert_int_equal(fx_run(f, inquiry_page, 6, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	assert_int_equal(f->cmd.sense[15], 0xc0);
	assert_int_equal(get16(f->cmd.sense + 16), 2);
}

/* A READ past the end of a 2048-block LU reports LBA OUT OF RANGE; a read
 * error reports the LBA in the INFORMATION field with VALID set. */
static void test_fixed_information(void **state)
{
	struct fx *f = *state;
	uint8_t read10[10] = { 0x28, 0, 0, 0, 0x01, 0x23, 0, 0, 1, 0 };

	f->fb.fail[BS_OP_READ] = 5;
	assert_int_equal(fx_run(f, read10, 10, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x1100);
	assert_int_equal(f->cmd.sense[0], 0xf0);
	assert_int_equal(get32(f->cmd.sense + 3), 0x123);
	assert_int_equal(f->cmd.data_len, 0);
}

static const uint8_t ms6_control[6] = { 0x1a, 0x08, 0x0a, 0, 255, 0 };

/* Reads the control page and writes it back with bits changed. */
static uint8_t select_control(struct fx *f, uint8_t byte2, uint8_t byte4)
{
	uint8_t page[12];
	uint8_t list[4 + 12];
	uint8_t sel[6] = { 0x15, 0x10, 0, 0, sizeof(list), 0 };

	assert_int_equal(fx_run(f, ms6_control, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 4 + 12);
	memcpy(page, f->cmd.buf + 4, 12);
	page[2] = byte2;
	page[4] = byte4;
	memset(list, 0, 4);
	memcpy(list + 4, page, 12);
	return fx_run(f, sel, 6, list, sizeof(list));
}

static void test_descriptor_after_d_sense(void **state)
{
	struct fx *f = *state;
	uint8_t read16[16] = { 0x88 };

	put64(read16 + 2, UINT64_MAX);
	put32(read16 + 10, 1);
	assert_int_equal(select_control(f, 0x04, 0), SAM_STAT_GOOD);
	assert_int_equal(fx_run(f, read16, 16, NULL, 0), SAM_STAT_CHECK_CONDITION);
	assert_int_equal(f->cmd.sense[0], 0x72);
	assert_int_equal(f->cmd.sense[1], 0x05);
	assert_int_equal(f->cmd.sense[2], 0x21);
	assert_int_equal(f->cmd.sense[3], 0x00);
	assert_int_equal(f->cmd.sense[7], 0);
	assert_int_equal(f->cmd.sense_len, 8);

	assert_int_equal(select_control(f, 0x00, 0), SAM_STAT_GOOD);
	assert_int_equal(fx_run(f, read16, 16, NULL, 0), SAM_STAT_CHECK_CONDITION);
	assert_int_equal(f->cmd.sense[0], 0x70);
}

/* Descriptor format carries the sense-key specific bytes (02h) and the
 * INFORMATION (00h) descriptors. */
static void test_descriptor_descriptors(void **state)
{
	struct fx *f = *state;
	uint8_t inquiry_cmddt[6] = { 0x12, 0x02, 0, 0, 36, 0 };
	uint8_t read10[10] = { 0x28, 0, 0, 0, 0x00, 0x40, 0, 0, 1, 0 };

	assert_int_equal(select_control(f, 0x04, 0), SAM_STAT_GOOD);
	assert_int_equal(fx_run(f, inquiry_cmddt, 6, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	assert_int_equal(f->cmd.sense_len, 16);
	assert_int_equal(f->cmd.sense[7], 8);
	assert_int_equal(f->cmd.sense[8], 0x02);
	assert_int_equal(f->cmd.sense[9], 0x06);
	assert_int_equal(f->cmd.sense[12], 0xc9);
	assert_int_equal(get16(f->cmd.sense + 13), 1);

	f->fb.fail[BS_OP_READ] = 5;
	assert_int_equal(fx_run(f, read10, 10, NULL, 0), SAM_STAT_CHECK_CONDITION);
	assert_int_equal(f->cmd.sense_len, 20);
	assert_int_equal(f->cmd.sense[8], 0x00);
	assert_int_equal(f->cmd.sense[9], 0x0a);
	assert_int_equal(f->cmd.sense[10], 0x80);
	assert_int_equal(get64(f->cmd.sense + 12), 0x40);
}

/* The field pointer of INVALID FIELD IN PARAMETER LIST has C/D clear. */
static void test_param_field_pointer(void **state)
{
	struct fx *f = *state;

	/* QAM is not changeable: byte 3 of the page, byte 7 of the list. */
	uint8_t page[12];
	uint8_t list[16];
	uint8_t sel[6] = { 0x15, 0x10, 0, 0, sizeof(list), 0 };

	assert_int_equal(fx_run(f, ms6_control, 6, NULL, 0), SAM_STAT_GOOD);
	memcpy(page, f->cmd.buf + 4, 12);
	page[3] ^= 0x20;
	memset(list, 0, 4);
	memcpy(list + 4, page, 12);
	assert_int_equal(fx_run(f, sel, 6, list, sizeof(list)),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	assert_int_equal(f->cmd.sense[15], 0x80 | 0x08 | 5);
	assert_int_equal(get16(f->cmd.sense + 16), 7);
}

/* With no LU (unmapped LUN) the fixed format is used. */
static void test_unmapped_fixed(void **state)
{
	struct fx *f = *state;
	static const uint8_t tur[6];

	assert_int_equal(fx_run_on(f, &f->nexus, 9, tur, 6, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2500);
	assert_int_equal(f->cmd.sense[0], 0x70);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fixed_layout, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fixed_field_pointer, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fixed_field_pointer_byte, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fixed_information, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_after_d_sense, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_descriptors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_param_field_pointer, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unmapped_fixed, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
