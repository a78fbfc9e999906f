/* The BHS codec (iscsi/pdu.c, iscsi/pdu.h): field accessors, LUN
 * addressing, serial number arithmetic, padding, and the checks every PDU
 * from an initiator passes before its data segment is read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "iscsi/pdu.h"

static void test_be_roundtrip(void **state)
{
	uint8_t b[8];

	(void)state;
	put_be16(b, 0xbeef);
	assert_int_equal(b[0], 0xbe);
	assert_int_equal(get_be16(b), 0xbeef);
	put_be24(b, 0xabcdef);
	assert_memory_equal(b, "\xab\xcd\xef", 3);
	assert_int_equal(get_be24(b), 0xabcdef);
	put_be32(b, 0x01020304);
	assert_memory_equal(b, "\x01\x02\x03\x04", 4);
	assert_int_equal(get_be32(b), 0x01020304);
	put_be64(b, 0x0102030405060708ull);
	assert_memory_equal(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_true(get_be64(b) == 0x0102030405060708ull);
}

static void test_bhs_fields(void **state)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };

	(void)state;
	bhs[0] = ISCSI_OP_SCSI_CMD | ISCSI_OP_IMMEDIATE;
	bhs[4] = 3;			/* 12 bytes of AHS */
	put_be24(bhs + 5, 0x012345);
	put_be32(bhs + 16, 0xcafe0001);
	assert_int_equal(bhs_opcode(bhs), ISCSI_OP_SCSI_CMD);
	assert_true(bhs_immediate(bhs));
	assert_int_equal(bhs_ahs_len(bhs), 12);
	assert_int_equal(bhs_dsl(bhs), 0x012345);
	assert_int_equal(bhs_itt(bhs), 0xcafe0001);
}

static void test_pad(void **state)
{
	(void)state;
	assert_int_equal(iscsi_pad(0), 0);
	assert_int_equal(iscsi_pad(1), 3);
	assert_int_equal(iscsi_pad(2), 2);
	assert_int_equal(iscsi_pad(3), 1);
	assert_int_equal(iscsi_pad(4), 0);
	assert_int_equal(iscsi_pad(8193), 3);
}

/* RFC 1982 serial arithmetic, including across the 2^32 wrap. */
static void test_serial_numbers(void **state)
{
	(void)state;
	assert_true(sn_lt(1, 2));
	assert_false(sn_lt(2, 2));
	assert_true(sn_gt(3, 2));
	assert_true(sn_lt(0xfffffff0u, 5));
	assert_true(sn_gt(5, 0xfffffff0u));
	assert_false(sn_gt(7, 7));
}

static void test_lun_peripheral(void **state)
{
	uint8_t f[8];
	uint64_t lun = 99;

	(void)state;
	iscsi_lun_encode(5, f);
	assert_memory_equal(f, "\0\x05\0\0\0\0\0\0", 8);
	assert_true(iscsi_lun_decode(f, &lun));
	assert_int_equal(lun, 5);
	iscsi_lun_encode(255, f);
	assert_true(iscsi_lun_decode(f, &lun));
	assert_int_equal(lun, 255);
}

static void test_lun_flat(void **state)
{
	uint8_t f[8];
	uint64_t lun = 0;

	(void)state;
	iscsi_lun_encode(256, f);
	assert_int_equal(f[0], 0x41);	/* flat space, high bits of 256 */
	assert_int_equal(f[1], 0x00);
	assert_true(iscsi_lun_decode(f, &lun));
	assert_int_equal(lun, 256);
	iscsi_lun_encode(16383, f);
	assert_true(iscsi_lun_decode(f, &lun));
	assert_int_equal(lun, 16383);
}

static void test_lun_unsupported(void **state)
{
	uint8_t f[8] = { 0 };
	uint64_t lun = 7;

	(void)state;
	f[0] = 0x80;			/* logical unit addressing */
	assert_false(iscsi_lun_decode(f, &lun));
	f[0] = 0xc0;			/* extended addressing */
	assert_false(iscsi_lun_decode(f, &lun));
	f[0] = 0x01;			/* peripheral with a bus number */
	assert_false(iscsi_lun_decode(f, &lun));
	assert_int_equal(lun, 7);	/* untouched on refusal */
}

static void test_bhs_check(void **state)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };
	const char *why = NULL;

	(void)state;
	bhs[0] = ISCSI_OP_NOOP_OUT;
	put_be24(bhs + 5, 8192);
	assert_int_equal(iscsi_bhs_check(bhs, 8192, &why), 0);

	/* One byte more than MaxRecvDataSegmentLength. */
	put_be24(bhs + 5, 8193);
	assert_int_equal(iscsi_bhs_check(bhs, 8192, &why),
			 ISCSI_REJECT_PROTOCOL_ERROR);
	assert_non_null(why);

	/* The largest DSL the field can carry. */
	put_be24(bhs + 5, ISCSI_MAX_DSL);
	assert_int_equal(iscsi_bhs_check(bhs, 262144, &why),
			 ISCSI_REJECT_PROTOCOL_ERROR);

	/* A target opcode coming from an initiator. */
	put_be24(bhs + 5, 0);
	bhs[0] = ISCSI_OP_SCSI_RSP;
	assert_int_equal(iscsi_bhs_check(bhs, 8192, &why),
			 ISCSI_REJECT_CMD_NOT_SUPPORTED);
	bhs[0] = 0x1f;			/* undefined */
	assert_int_equal(iscsi_bhs_check(bhs, 8192, &why),
			 ISCSI_REJECT_CMD_NOT_SUPPORTED);

	/* AHS only on SCSI commands. */
	bhs[0] = ISCSI_OP_TEXT_REQ;
	bhs[4] = 1;
	assert_int_equal(iscsi_bhs_check(bhs, 8192, &why),
			 ISCSI_REJECT_PROTOCOL_ERROR);
	bhs[0] = ISCSI_OP_SCSI_CMD;
	assert_int_equal(iscsi_bhs_check(bhs, 8192, &why), 0);
}

static void test_every_initiator_opcode(void **state)
{
	static const uint8_t ops[] = {
		ISCSI_OP_NOOP_OUT, ISCSI_OP_SCSI_CMD, ISCSI_OP_TMF_REQ,
		ISCSI_OP_LOGIN_REQ, ISCSI_OP_TEXT_REQ, ISCSI_OP_DATA_OUT,
		ISCSI_OP_LOGOUT_REQ, ISCSI_OP_SNACK,
	};
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };
	const char *why;

	(void)state;
	for (unsigned op = 0; op < 64; op++) {
		bool known = memchr(ops, (int)op, sizeof(ops)) != NULL;
		bhs[0] = (uint8_t)op;
		assert_int_equal(iscsi_bhs_check(bhs, 8192, &why) == 0, known);
		assert_string_not_equal(iscsi_opcode_name((uint8_t)op), "");
	}
	assert_string_equal(iscsi_opcode_name(ISCSI_OP_DATA_OUT), "Data-Out");
	assert_string_equal(iscsi_opcode_name(0x1f), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_be_roundtrip),
		cmocka_unit_test(test_bhs_fields),
		cmocka_unit_test(test_pad),
		cmocka_unit_test(test_serial_numbers),
		cmocka_unit_test(test_lun_peripheral),
		cmocka_unit_test(test_lun_flat),
		cmocka_unit_test(test_lun_unsupported),
		cmocka_unit_test(test_bhs_check),
		cmocka_unit_test(test_every_initiator_opcode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
