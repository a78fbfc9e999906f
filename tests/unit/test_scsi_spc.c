/* SPC-4 responses byte by byte: standard INQUIRY and its allocation
 * length, every VPD page, REPORT LUNS, REPORT SUPPORTED OPERATION CODES
 * and REPORT TARGET PORT GROUPS. */
#include "test_scsi_fixture.h"

static uint8_t inquiry(struct fx *f, bool evpd, uint8_t page, uint16_t alloc)
{
	uint8_t cdb[6] = { 0x12, evpd ? 1 : 0, page, 0, 0, 0 };
	put16(cdb + 3, alloc);
	return fx_run(f, cdb, 6, NULL, 0);
}

static void test_standard_inquiry(void **state)
{
	struct fx *f = *state;
	const uint8_t *p;

	assert_int_equal(inquiry(f, false, 0, 260), SAM_STAT_GOOD);
	p = f->cmd.buf;
	assert_int_equal(f->cmd.data_len, 74);
	assert_int_equal(p[0], 0x00);
	assert_int_equal(p[1], 0x00);		/* not removable */
	assert_int_equal(p[2], 0x06);
	assert_int_equal(p[3], 0x12);
	assert_int_equal(p[4], f->cmd.data_len - 5);
	assert_int_equal(p[5], 0x18);		/* TPGS 01b, 3PC */
	assert_int_equal(p[7], 0x02);
	assert_memory_equal(p + 8, "TANDEM  ", 8);
	assert_memory_equal(p + 16, "tandem disk     ", 16);
	assert_memory_equal(p + 32, "1.0 ", 4);
	assert_int_equal(get16(p + 58), 0x00a0);
	assert_int_equal(get16(p + 60), 0x0960);
	assert_int_equal(get16(p + 62), 0x0460);
	assert_int_equal(get16(p + 64), 0x04c0);
}

/* Every allocation length gives a prefix of the full data, never more. */
static void test_inquiry_alloc_length(void **state)
{
	struct fx *f = *state;
	uint8_t full[74];

	assert_int_equal(inquiry(f, false, 0, 255), SAM_STAT_GOOD);
	memcpy(full, f->cmd.buf, sizeof(full));
	for (unsigned a = 0; a < 300; a++) {
		assert_int_equal(inquiry(f, false, 0, (uint16_t)a), SAM_STAT_GOOD);
		assert_int_equal(f->cmd.data_len, a < 74 ? a : 74);
		if (a)
			assert_memory_equal(f->cmd.buf, full, f->cmd.data_len);
		else
			assert_int_equal(f->cmd.dir, SCSI_DIR_NONE);
	}
}

static void test_inquiry_invalid(void **state)
{
	struct fx *f = *state;

	assert_int_equal(inquiry(f, false, 0x83, 255), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(inquiry(f, true, 0x99, 255), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
}

static void test_vpd_supported(void **state)
{
	struct fx *f = *state;
	const uint8_t want[] = { 0x00, 0x80, 0x83, 0x8f, 0xb0, 0xb1, 0xb2 };

	assert_int_equal(inquiry(f, true, 0x00, 255), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[1], 0x00);
	assert_int_equal(get16(f->cmd.buf + 2), sizeof(want));
	assert_memory_equal(f->cmd.buf + 4, want, sizeof(want));
	/* Each listed page can be read, and says which page it is. */
	for (unsigned i = 0; i < sizeof(want); i++) {
		assert_int_equal(inquiry(f, true, want[i], 255), SAM_STAT_GOOD);
		assert_int_equal(f->cmd.buf[1], want[i]);
		assert_int_equal(get16(f->cmd.buf + 2) + 4, f->cmd.data_len);
	}
}

static void test_vpd_serial(void **state)
{
	struct fx *f = *state;

	assert_int_equal(inquiry(f, true, 0x80, 255), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 4 + 16);
	assert_int_equal(get16(f->cmd.buf + 2), 16);
	assert_memory_equal(f->cmd.buf + 4, "0123456789abcdef", 16);
	/* Truncated to the allocation length, page length still whole. */
	assert_int_equal(inquiry(f, true, 0x80, 6), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 6);
	assert_int_equal(get16(f->cmd.buf + 2), 16);
}

/* Walks the designators of page 83h. */
static void test_vpd_device_id(void **state)
{
	struct fx *f = *state;
	const uint8_t *p, *end;
	const char *tname = "iqn.2003-01.org.example:t1";
	const char *pname = "iqn.2003-01.org.example:t1,t,0x0001";
	unsigned seen = 0;

	assert_int_equal(inquiry(f, true, 0x83, 1024), SAM_STAT_GOOD);
	p = f->cmd.buf + 4;
	end = f->cmd.buf + 4 + get16(f->cmd.buf + 2);
	assert_ptr_equal(end, f->cmd.buf + f->cmd.data_len);
	while (p < end) {
		uint8_t len = p[3];
		const uint8_t *d = p + 4;
		assert_true(d + len <= end);
		switch (p[1]) {
		case 0x03:	/* NAA, LU */
			assert_int_equal(p[0], 0x01);
			assert_int_equal(len, 16);
			assert_int_equal(d[0], 0x60);
			assert_int_equal(d[15], 0x6f);
			seen |= 1;
			break;
		case 0x01:	/* T10 vendor ID, LU */
			assert_int_equal(p[0], 0x02);
			assert_int_equal(len, 8 + 16);
			assert_memory_equal(d, "TANDEM  0123456789abcdef", 24);
			seen |= 2;
			break;
		case 0x94:	/* relative target port, PIV */
			assert_int_equal(p[0], 0x51);
			assert_int_equal(len, 4);
			assert_int_equal(get16(d + 2), 3);
			seen |= 4;
			break;
		case 0x95:	/* target port group */
			assert_int_equal(p[0], 0x51);
			assert_int_equal(get16(d + 2), 7);
			seen |= 8;
			break;
		case 0x98:	/* SCSI name string, target port */
			assert_int_equal(p[0], 0x53);
			assert_int_equal(len % 4, 0);
			assert_true(len > strlen(pname));
			assert_string_equal((const char *)d, pname);
			seen |= 16;
			break;
		case 0xa8:	/* SCSI name string, target device */
			assert_int_equal(p[0], 0x53);
			assert_int_equal(len % 4, 0);
			assert_string_equal((const char *)d, tname);
			seen |= 32;
			break;
		default:
			fail_msg("unexpected designator %02x", p[1]);
		}
		p = d + len;
	}
	assert_int_equal(seen, 63);
}

static void test_vpd_block_limits(void **state)
{
	struct fx *f = *state;
	const uint8_t *p;

	assert_int_equal(inquiry(f, true, 0xb0, 255), SAM_STAT_GOOD);
	p = f->cmd.buf;
	assert_int_equal(f->cmd.data_len, 64);
	assert_int_equal(get16(p + 2), 0x3c);
	assert_int_equal(p[4] & 0x01, 0);		/* WSNZ */
	assert_true(p[5] > 0);				/* COMPARE AND WRITE */
	assert_int_equal(get32(p + 8), SCSI_MAX_XFER_BYTES / FX_BLOCK);
	assert_int_equal(get32(p + 20), 0);		/* no UNMAP */
	assert_int_equal(get32(p + 24), 0);
	assert_true(get64(p + 36) > 0);
}

static void test_vpd_block_limits_thin(void **state)
{
	struct fx *f = *state;
	const uint8_t *p;

	assert_int_equal(inquiry(f, true, 0xb0, 255), SAM_STAT_GOOD);
	p = f->cmd.buf;
	assert_true(get32(p + 20) > 0 && get32(p + 20) <= 1024 * 1024);
	assert_true(get32(p + 24) >= 256 && get32(p + 24) <= 1024 * 1024);
	assert_int_equal(get32(p + 28), 1);
}

static void test_vpd_block_dev_char(void **state)
{
	struct fx *f = *state;

	assert_int_equal(inquiry(f, true, 0xb1, 255), SAM_STAT_GOOD);
	assert_int_equal(get16(f->cmd.buf + 2), 0x3c);
	assert_int_equal(get16(f->cmd.buf + 4), 1);
}

static void test_vpd_lbp(void **state)
{
	struct fx *f = *state;

	assert_int_equal(inquiry(f, true, 0xb2, 255), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 8);
	assert_int_equal(get16(f->cmd.buf + 2), 4);
	assert_int_equal(f->cmd.buf[5], 0);
	assert_int_equal(f->cmd.buf[6], 0);
}

static void test_vpd_lbp_thin(void **state)
{
	struct fx *f = *state;

	assert_int_equal(inquiry(f, true, 0xb2, 255), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[5], 0x80 | 0x40 | 0x20 | 0x04);
	assert_int_equal(f->cmd.buf[6] & 0x07, 2);
	f->fb.bs.can_discard = false;
	assert_int_equal(inquiry(f, true, 0xb2, 255), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[5], 0x80 | 0x40 | 0x20);
}

static uint8_t report_luns(struct fx *f, uint8_t select, uint32_t alloc)
{
	uint8_t cdb[12] = { 0xa0, 0, select };
	put32(cdb + 6, alloc);
	return fx_run(f, cdb, 12, NULL, 0);
}

static void test_report_luns(void **state)
{
	struct fx *f = *state;
	const uint8_t lun0[8] = { 0 };
	const uint8_t lun5[8] = { 0x00, 5 };
	const uint8_t lun300[8] = { 0x41, 300 & 0xff };

	assert_int_equal(report_luns(f, 0, 4096), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 32);
	assert_int_equal(get32(f->cmd.buf), 24);
	assert_memory_equal(f->cmd.buf + 8, lun0, 8);
	assert_memory_equal(f->cmd.buf + 16, lun5, 8);
	assert_memory_equal(f->cmd.buf + 24, lun300, 8);
	assert_int_equal(report_luns(f, 2, 4096), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 32);
	/* Well-known LUs only: there are none. */
	assert_int_equal(report_luns(f, 1, 4096), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 8);
	assert_int_equal(get32(f->cmd.buf), 0);
	/* Truncated: the list length still counts every LUN. */
	assert_int_equal(report_luns(f, 0, 20), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 20);
	assert_int_equal(get32(f->cmd.buf), 24);
	assert_memory_equal(f->cmd.buf + 16, lun5, 4);
}

static void test_report_luns_invalid(void **state)
{
	struct fx *f = *state;

	assert_int_equal(report_luns(f, 0, 15), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(get16(f->cmd.sense + 16), 6);
	assert_int_equal(report_luns(f, 3, 4096), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(get16(f->cmd.sense + 16), 2);
}

static uint8_t rsoc(struct fx *f, uint8_t options, uint8_t opcode, uint16_t sa,
		    uint32_t alloc)
{
	uint8_t cdb[12] = { 0xa3, 0x0c, options, opcode };
	put16(cdb + 4, sa);
	put32(cdb + 6, alloc);
	return fx_run(f, cdb, 12, NULL, 0);
}

static const uint8_t *find_desc(const uint8_t *buf, uint32_t len, size_t each,
				uint8_t op, uint16_t sa)
{
	for (const uint8_t *d = buf + 4; d < buf + 4 + len; d += each)
		if (d[0] == op && get16(d + 2) == sa)
			return d;
	return NULL;
}

static void test_rsoc_all(void **state)
{
	struct fx *f = *state;
	const uint8_t *d;

	assert_int_equal(rsoc(f, 0, 0, 0, 65535), SAM_STAT_GOOD);
	uint32_t len = get32(f->cmd.buf);
	assert_int_equal(f->cmd.data_len, 4 + len);
	d = find_desc(f->cmd.buf, len, 8, 0x28, 0);
	assert_non_null(d);
	assert_int_equal(d[5], 0x00);
	assert_int_equal(get16(d + 6), 10);
	d = find_desc(f->cmd.buf, len, 8, 0x9e, 0x10);
	assert_non_null(d);
	assert_int_equal(d[5], 0x01);		/* SERVACTV */
	assert_null(find_desc(f->cmd.buf, len, 8, 0x42, 0));	/* no UNMAP */
	assert_null(find_desc(f->cmd.buf, len, 8, 0x4d, 0));	/* LOG SENSE */
	for (d = f->cmd.buf + 4; d < f->cmd.buf + 4 + len; d += 8)
		if (!(d[5] & 0x01))
			assert_int_equal(get16(d + 2), 0);

	/* With timeouts descriptors: 20 bytes each, CTDP set. */
	assert_int_equal(rsoc(f, 0x80, 0, 0, 65535), SAM_STAT_GOOD);
	uint32_t len2 = get32(f->cmd.buf);
	assert_int_equal(len2 / 20, len / 8);
	for (d = f->cmd.buf + 4; d < f->cmd.buf + 4 + len2; d += 20) {
		assert_int_equal(d[5] & 0x02, 0x02);
		assert_int_equal(get16(d + 8), 0x0a);
	}
}

static void test_rsoc_one(void **state)
{
	struct fx *f = *state;
	const uint8_t *p;

	assert_int_equal(rsoc(f, 1, 0x28, 0, 512), SAM_STAT_GOOD);
	p = f->cmd.buf;
	assert_int_equal(p[1] & 0x07, 3);
	assert_int_equal(get16(p + 2), 10);
	assert_int_equal(f->cmd.data_len, 14);
	assert_int_equal(p[4], 0x28);
	assert_int_equal(p[5] & 0x18, 0x18);		/* DPO, FUA */
	assert_int_equal(p[5] & 0xe0, 0);		/* no RDPROTECT */
	assert_int_equal(p[13], 0x00);

	assert_int_equal(rsoc(f, 2, 0x9e, 0x10, 512), SAM_STAT_GOOD);
	assert_int_equal(get16(f->cmd.buf + 2), 16);
	assert_int_equal(f->cmd.buf[4], 0x9e);
	assert_int_equal(f->cmd.buf[5], 0x10);

	assert_int_equal(rsoc(f, 0x83, 0x12, 0, 512), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[1], 0x83);
	assert_int_equal(f->cmd.data_len, 4 + 6 + 12);

	/* Not supported: SUPPORT 001b, no usage data. */
	assert_int_equal(rsoc(f, 1, 0x4d, 0, 512), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[1] & 0x07, 1);
	assert_int_equal(f->cmd.data_len, 4);
	assert_int_equal(rsoc(f, 2, 0xa3, 0x1f, 512), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[1] & 0x07, 1);

	/* Option 1 on an opcode with service actions, 2 on one without. */
	assert_int_equal(rsoc(f, 1, 0x9e, 0x10, 512), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(rsoc(f, 2, 0x28, 0, 512), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(rsoc(f, 4, 0x28, 0, 512), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
}

static void test_rsoc_thin(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rsoc(f, 0, 0, 0, 65535), SAM_STAT_GOOD);
	assert_non_null(find_desc(f->cmd.buf, get32(f->cmd.buf), 8, 0x42, 0));
	assert_non_null(find_desc(f->cmd.buf, get32(f->cmd.buf), 8, 0x9e, 0x12));
	assert_int_equal(rsoc(f, 1, 0x42, 0, 512), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[1] & 0x07, 3);
}

static void test_rtpg(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[12] = { 0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	const uint8_t *p;

	assert_int_equal(fx_run(f, cdb, 12, NULL, 0), SAM_STAT_GOOD);
	p = f->cmd.buf;
	assert_int_equal(f->cmd.data_len, 16);
	assert_int_equal(get32(p), 12);
	assert_int_equal(p[4] & 0x0f, 0);		/* active/optimized */
	assert_int_equal(p[5] & 0x01, 1);		/* AO_SUP */
	assert_int_equal(get16(p + 6), 7);
	assert_int_equal(p[11], 1);
	assert_int_equal(get16(p + 14), 3);

	cdb[1] = 0x2a;					/* extended header */
	assert_int_equal(fx_run(f, cdb, 12, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 20);
	assert_int_equal(f->cmd.buf[4], 0x10);
	assert_int_equal(get16(f->cmd.buf + 8 + 2), 7);
	cdb[1] = 0x4a;
	assert_int_equal(fx_run(f, cdb, 12, NULL, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_standard_inquiry, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inquiry_alloc_length, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inquiry_invalid, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vpd_supported, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vpd_serial, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vpd_device_id, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vpd_block_limits, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vpd_block_limits_thin, fx_setup_tpu, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vpd_block_dev_char, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vpd_lbp, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vpd_lbp_thin, fx_setup_tpu, fx_teardown),
		cmocka_unit_test_setup_teardown(test_report_luns, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_report_luns_invalid, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rsoc_all, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rsoc_one, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rsoc_thin, fx_setup_tpu, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rtpg, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
