/* Operational key negotiation (RFC 7143 sections 6 and 13): every result
 * function, ranges, Reject/Irrelevant/NotUnderstood, repeated keys, leading
 * and non-leading connections, discovery sessions and finish(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "iscsi/params.h"

static struct iscsi_limits lim;
static struct iscsi_negotiation neg;
static char respbuf[16384];
static struct iscsi_text resp;
static char respcopy[sizeof(respbuf) + 1];
static struct iscsi_kv out[ISCSI_TEXT_MAX_PAIRS];
static int nout;
static char err[256];

static int setup(void **state)
{
	iscsi_limits_default(&lim);
	iscsi_neg_init(&neg, &lim, true, false);
	return 0;
}

static void start(bool leading, bool discovery)
{
	iscsi_neg_init(&neg, &lim, leading, discovery);
}

static void parse_resp(void)
{
	memcpy(respcopy, resp.buf, resp.len);
	nout = iscsi_text_parse(respcopy, resp.len, out, ISCSI_TEXT_MAX_PAIRS, err,
				sizeof(err));
	if (nout < 0)
		fail_msg("response does not parse: %s", err);
}

/* One request; the response of this request alone lands in out[]. */
static int send_len(const char *req, size_t len)
{
	static char reqbuf[4 * ISCSI_VALUE_MAX];
	struct iscsi_kv kv[ISCSI_TEXT_MAX_PAIRS];

	memcpy(reqbuf, req, len);
	int n = iscsi_text_parse(reqbuf, len, kv, ISCSI_TEXT_MAX_PAIRS, err, sizeof(err));
	if (n < 0)
		fail_msg("test request does not parse: %s", err);
	iscsi_text_init(&resp, respbuf, sizeof(respbuf));
	err[0] = '\0';
	int r = iscsi_neg_process(&neg, kv, n, &resp, err, sizeof(err));
	parse_resp();
	return r;
}

#define SEND(lit) send_len(lit, sizeof(lit) - 1)
#define SEND_OK(lit) assert_int_equal(SEND(lit), 0)

static int finish(void)
{
	iscsi_text_init(&resp, respbuf, sizeof(respbuf));
	int r = iscsi_neg_finish(&neg, &resp);
	parse_resp();
	return r;
}

static const char *answer(const char *key)
{
	const char *v = NULL;
	for (int i = 0; i < nout; i++) {
		if (strcmp(out[i].key, key) == 0) {
			if (v)
				fail_msg("%s answered twice", key);
			v = out[i].val;
		}
	}
	return v;
}

static void expect(const char *key, const char *val)
{
	const char *v = answer(key);
	if (!v)
		fail_msg("no answer for %s (want %s)", key, val);
	if (strcmp(v, val) != 0)
		fail_msg("%s=%s, want %s", key, v, val);
}

static void expect_none(const char *key)
{
	const char *v = answer(key);
	if (v)
		fail_msg("unexpected %s=%s", key, v);
}

static void assert_err_has(const char *what)
{
	if (!strstr(err, what))
		fail_msg("error \"%s\" does not mention \"%s\"", err, what);
}

static void test_limits_default(void **state)
{
	assert_true(lim.header_digest_crc32c && lim.header_digest_none);
	assert_true(lim.data_digest_crc32c && lim.data_digest_none);
	assert_int_equal(lim.max_connections, 8);
	assert_false(lim.initial_r2t);
	assert_true(lim.immediate_data);
	assert_int_equal(lim.max_recv_dsl, 262144);
	assert_int_equal(lim.max_burst, 1048576);
	assert_int_equal(lim.first_burst, 65536);
	assert_int_equal(lim.default_time2wait, 2);
	assert_int_equal(lim.default_time2retain, 20);
	assert_int_equal(lim.max_outstanding_r2t, 16);
	assert_true(lim.data_pdu_in_order && lim.data_seq_in_order);
	assert_int_equal(lim.error_recovery_level, 0);
}

static void test_init_rfc_defaults(void **state)
{
	memset(&neg, 0xa5, sizeof(neg));
	iscsi_neg_init(&neg, &lim, true, false);
	assert_ptr_equal(neg.lim, &lim);
	assert_true(neg.leading);
	assert_false(neg.discovery);
	assert_int_equal(neg.sess.max_connections, 1);
	assert_true(neg.sess.initial_r2t);
	assert_true(neg.sess.immediate_data);
	assert_int_equal(neg.sess.max_burst, 262144);
	assert_int_equal(neg.sess.first_burst, 65536);
	assert_int_equal(neg.sess.default_time2wait, 2);
	assert_int_equal(neg.sess.default_time2retain, 20);
	assert_int_equal(neg.sess.max_outstanding_r2t, 1);
	assert_true(neg.sess.data_pdu_in_order);
	assert_true(neg.sess.data_seq_in_order);
	assert_int_equal(neg.sess.error_recovery_level, 0);
	assert_false(neg.conn.header_digest);
	assert_false(neg.conn.data_digest);
	assert_int_equal(neg.conn.max_send_dsl, 8192);
	assert_int_equal(neg.conn.max_recv_dsl, 8192);
	assert_int_equal(neg.received, 0);
	assert_int_equal(neg.answered, 0);
}

/* What open-iscsi sends on a leading connection. */
static void test_open_iscsi_login(void **state)
{
	SEND_OK("HeaderDigest=None\0DataDigest=None\0MaxConnections=1\0"
		"InitialR2T=No\0ImmediateData=Yes\0MaxRecvDataSegmentLength=262144\0"
		"MaxBurstLength=16776192\0FirstBurstLength=262144\0"
		"DefaultTime2Wait=0\0DefaultTime2Retain=0\0MaxOutstandingR2T=1\0"
		"DataPDUInOrder=Yes\0DataSequenceInOrder=Yes\0ErrorRecoveryLevel=0\0"
		"IFMarker=No\0OFMarker=No\0");
	assert_int_equal(nout, 16);
	expect("HeaderDigest", "None");
	expect("DataDigest", "None");
	expect("MaxConnections", "1");
	expect("InitialR2T", "No");
	expect("ImmediateData", "Yes");
	expect("MaxRecvDataSegmentLength", "262144");
	expect("MaxBurstLength", "1048576");
	expect("FirstBurstLength", "65536");
	expect("DefaultTime2Wait", "2");
	expect("DefaultTime2Retain", "0");
	expect("MaxOutstandingR2T", "1");
	expect("DataPDUInOrder", "Yes");
	expect("DataSequenceInOrder", "Yes");
	expect("ErrorRecoveryLevel", "0");
	expect("IFMarker", "No");
	expect("OFMarker", "No");

	assert_int_equal(neg.sess.max_burst, 1048576);
	assert_int_equal(neg.sess.first_burst, 65536);
	assert_false(neg.sess.initial_r2t);
	assert_int_equal(neg.sess.default_time2wait, 2);
	assert_int_equal(neg.sess.default_time2retain, 0);
	assert_int_equal(neg.conn.max_send_dsl, 262144);
	assert_int_equal(neg.conn.max_recv_dsl, 262144);

	/* Everything was settled: finish() owes nothing. */
	assert_int_equal(finish(), 0);
	assert_int_equal(nout, 0);
}

static void test_digest_lists(void **state)
{
	SEND_OK("HeaderDigest=CRC32C,None\0DataDigest=None,CRC32C\0");
	expect("HeaderDigest", "CRC32C");
	expect("DataDigest", "None");
	assert_true(neg.conn.header_digest);
	assert_false(neg.conn.data_digest);

	start(true, false);
	SEND_OK("HeaderDigest=Foo,CRC32C\0DataDigest=crc32c,None\0");
	expect("HeaderDigest", "CRC32C");
	expect("DataDigest", "None");

	start(true, false);
	SEND_OK("HeaderDigest=Foo\0DataDigest=\0");
	expect("HeaderDigest", "Reject");
	expect("DataDigest", "Reject");
	assert_false(neg.conn.header_digest);
}

static void test_digest_target_limits(void **state)
{
	lim.header_digest_none = false;
	lim.data_digest_crc32c = false;
	start(true, false);
	SEND_OK("HeaderDigest=None,CRC32C\0DataDigest=CRC32C,None\0");
	expect("HeaderDigest", "CRC32C");
	expect("DataDigest", "None");

	start(true, false);
	SEND_OK("HeaderDigest=None\0DataDigest=CRC32C\0");
	expect("HeaderDigest", "Reject");
	expect("DataDigest", "Reject");
}

static void test_min_keys(void **state)
{
	SEND_OK("MaxConnections=100\0MaxBurstLength=512\0DefaultTime2Retain=3600\0"
		"MaxOutstandingR2T=65535\0ErrorRecoveryLevel=2\0");
	expect("MaxConnections", "8");
	expect("MaxBurstLength", "512");
	expect("DefaultTime2Retain", "20");
	expect("MaxOutstandingR2T", "16");
	expect("ErrorRecoveryLevel", "0");
	assert_int_equal(neg.sess.max_connections, 8);
	assert_int_equal(neg.sess.max_burst, 512);
	assert_int_equal(neg.sess.default_time2retain, 20);
	assert_int_equal(neg.sess.max_outstanding_r2t, 16);
	assert_int_equal(neg.sess.error_recovery_level, 0);
}

static void test_max_key(void **state)
{
	SEND_OK("DefaultTime2Wait=3600\0");
	expect("DefaultTime2Wait", "3600");
	assert_int_equal(neg.sess.default_time2wait, 3600);

	lim.default_time2wait = 10;
	start(true, false);
	SEND_OK("DefaultTime2Wait=0\0");
	expect("DefaultTime2Wait", "10");
}

static void test_numbers_in_hex(void **state)
{
	SEND_OK("MaxBurstLength=0x10000\0MaxRecvDataSegmentLength=0X2000\0");
	expect("MaxBurstLength", "65536");
	assert_int_equal(neg.conn.max_send_dsl, 8192);
}

static void test_ranges_reject(void **state)
{
	SEND_OK("MaxConnections=0\0MaxBurstLength=511\0FirstBurstLength=16777216\0"
		"DefaultTime2Wait=3601\0DefaultTime2Retain=4000\0MaxOutstandingR2T=0\0"
		"ErrorRecoveryLevel=3\0MaxRecvDataSegmentLength=511\0");
	expect("MaxConnections", "Reject");
	expect("MaxBurstLength", "Reject");
	expect("FirstBurstLength", "Reject");
	expect("DefaultTime2Wait", "Reject");
	expect("DefaultTime2Retain", "Reject");
	expect("MaxOutstandingR2T", "Reject");
	expect("ErrorRecoveryLevel", "Reject");
	expect("MaxRecvDataSegmentLength", "Reject");
	/* Nothing moved off the RFC defaults. */
	assert_int_equal(neg.sess.max_connections, 1);
	assert_int_equal(neg.sess.max_burst, 262144);
	assert_int_equal(neg.sess.first_burst, 65536);
	assert_int_equal(neg.sess.max_outstanding_r2t, 1);
	assert_int_equal(neg.conn.max_send_dsl, 8192);
}

static void test_range_edges_accepted(void **state)
{
	lim.max_connections = 65535;
	lim.max_burst = 16777215;
	lim.max_outstanding_r2t = 65535;
	start(true, false);
	SEND_OK("MaxConnections=65535\0MaxBurstLength=16777215\0MaxOutstandingR2T=65535\0"
		"MaxRecvDataSegmentLength=16777215\0DefaultTime2Retain=0\0");
	expect("MaxConnections", "65535");
	expect("MaxBurstLength", "16777215");
	expect("MaxOutstandingR2T", "65535");
	expect("DefaultTime2Retain", "0");
	assert_int_equal(neg.conn.max_send_dsl, 16777215);

	start(true, false);
	SEND_OK("MaxConnections=65536\0MaxBurstLength=16777216\0MaxRecvDataSegmentLength=16777216\0");
	expect("MaxConnections", "Reject");
	expect("MaxBurstLength", "Reject");
	expect("MaxRecvDataSegmentLength", "Reject");
}

static void test_malformed_numbers_reject(void **state)
{
	SEND_OK("MaxConnections=abc\0MaxBurstLength=0262144\0FirstBurstLength=\0"
		"DefaultTime2Wait=-1\0MaxOutstandingR2T=1 \0"
		"ErrorRecoveryLevel=99999999999999999999999\0");
	expect("MaxConnections", "Reject");
	expect("MaxBurstLength", "Reject");
	expect("FirstBurstLength", "Reject");
	expect("DefaultTime2Wait", "Reject");
	expect("MaxOutstandingR2T", "Reject");
	expect("ErrorRecoveryLevel", "Reject");
}

static void test_booleans(void **state)
{
	SEND_OK("InitialR2T=No\0ImmediateData=Yes\0DataPDUInOrder=No\0DataSequenceInOrder=No\0");
	expect("InitialR2T", "No");
	expect("ImmediateData", "Yes");
	/* OR with the target's Yes. */
	expect("DataPDUInOrder", "Yes");
	expect("DataSequenceInOrder", "Yes");
	assert_false(neg.sess.initial_r2t);
	assert_true(neg.sess.immediate_data);
	assert_true(neg.sess.data_pdu_in_order);
}

static void test_booleans_target_limits(void **state)
{
	lim.initial_r2t = true;
	lim.immediate_data = false;
	lim.data_pdu_in_order = false;
	lim.data_seq_in_order = false;
	start(true, false);
	SEND_OK("InitialR2T=No\0ImmediateData=Yes\0DataPDUInOrder=No\0DataSequenceInOrder=Yes\0");
	expect("InitialR2T", "Yes");
	expect("ImmediateData", "No");
	expect("DataPDUInOrder", "No");
	expect("DataSequenceInOrder", "Yes");
	assert_true(neg.sess.initial_r2t);
	assert_false(neg.sess.immediate_data);
	assert_false(neg.sess.data_pdu_in_order);
	assert_true(neg.sess.data_seq_in_order);
}

static void test_booleans_malformed(void **state)
{
	SEND_OK("InitialR2T=yes\0ImmediateData=\0DataPDUInOrder=True\0DataSequenceInOrder=1\0");
	expect("InitialR2T", "Reject");
	expect("ImmediateData", "Reject");
	expect("DataPDUInOrder", "Reject");
	expect("DataSequenceInOrder", "Reject");
	assert_true(neg.sess.initial_r2t);
}

static void test_first_burst_capped_by_limit(void **state)
{
	SEND_OK("FirstBurstLength=16777215\0");
	expect("FirstBurstLength", "65536");
	assert_int_equal(neg.sess.first_burst, 65536);
}

/* FirstBurstLength before MaxBurstLength in the same PDU: the answer for
 * it must already respect the MaxBurstLength that follows. */
static void test_first_burst_le_max_burst_same_pdu(void **state)
{
	lim.first_burst = 262144;
	start(true, false);
	SEND_OK("FirstBurstLength=131072\0MaxBurstLength=32768\0");
	expect("MaxBurstLength", "32768");
	expect("FirstBurstLength", "32768");
	assert_int_equal(neg.sess.first_burst, 32768);
	assert_int_equal(neg.sess.max_burst, 32768);
}

static void test_first_burst_le_max_burst_later_pdu(void **state)
{
	lim.first_burst = 262144;
	start(true, false);
	SEND_OK("MaxBurstLength=16384\0");
	SEND_OK("FirstBurstLength=262144\0");
	expect("FirstBurstLength", "16384");

	/* MaxBurstLength lowered after FirstBurstLength was answered. */
	start(true, false);
	SEND_OK("FirstBurstLength=131072\0");
	expect("FirstBurstLength", "131072");
	SEND_OK("MaxBurstLength=8192\0");
	expect("MaxBurstLength", "8192");
	assert_int_equal(finish(), 0);
	assert_int_equal(neg.sess.first_burst, 8192);
	assert_int_equal(neg.sess.max_burst, 8192);
}

/* Our MaxBurstLength limit below the RFC default bounds FirstBurstLength
 * even when the initiator never sends MaxBurstLength. */
static void test_first_burst_le_our_max_burst(void **state)
{
	lim.max_burst = 4096;
	lim.first_burst = 4096;
	start(true, false);
	SEND_OK("FirstBurstLength=65536\0");
	expect("FirstBurstLength", "4096");
	assert_int_equal(finish(), 0);
	expect("MaxBurstLength", "4096");
	assert_int_equal(neg.sess.max_burst, 4096);
	assert_int_equal(neg.sess.first_burst, 4096);
}

static void test_mrdsl_declarative(void **state)
{
	SEND_OK("MaxRecvDataSegmentLength=65536\0");
	expect("MaxRecvDataSegmentLength", "262144");
	assert_int_equal(neg.conn.max_send_dsl, 65536);
	assert_int_equal(neg.conn.max_recv_dsl, 262144);

	/* A target limit smaller than the initiator's is not a min: each
	 * side keeps its own. */
	lim.max_recv_dsl = 4096;
	start(true, false);
	SEND_OK("MaxRecvDataSegmentLength=1048576\0");
	expect("MaxRecvDataSegmentLength", "4096");
	assert_int_equal(neg.conn.max_send_dsl, 1048576);
	assert_int_equal(neg.conn.max_recv_dsl, 4096);
}

/* After a rejected declaration the target still owes its own. */
static void test_mrdsl_reject_then_finish_declares(void **state)
{
	SEND_OK("MaxRecvDataSegmentLength=100\0");
	expect("MaxRecvDataSegmentLength", "Reject");
	assert_int_equal(finish(), 0);
	expect("MaxRecvDataSegmentLength", "262144");
	assert_int_equal(neg.conn.max_recv_dsl, 262144);
	assert_int_equal(neg.conn.max_send_dsl, 8192);
}

/* finish() declared ours first; the initiator's later declaration is not an
 * answer to it and gets no second declaration. */
static void test_mrdsl_declared_by_finish_first(void **state)
{
	assert_int_equal(finish(), 0);
	expect("MaxRecvDataSegmentLength", "262144");
	SEND_OK("MaxRecvDataSegmentLength=16384\0");
	assert_int_equal(nout, 0);
	assert_int_equal(neg.conn.max_send_dsl, 16384);
}

static void test_repeated_key_same_pdu(void **state)
{
	assert_int_equal(SEND("MaxBurstLength=65536\0MaxBurstLength=65536\0"), -1);
	assert_err_has("MaxBurstLength");
	assert_err_has("twice");

	start(true, false);
	assert_int_equal(SEND("MaxRecvDataSegmentLength=8192\0MaxRecvDataSegmentLength=8192\0"), -1);
	assert_err_has("MaxRecvDataSegmentLength");

	start(true, false);
	assert_int_equal(SEND("FirstBurstLength=512\0FirstBurstLength=512\0"), -1);
	assert_err_has("FirstBurstLength");
}

static void test_repeated_key_later_pdu(void **state)
{
	SEND_OK("HeaderDigest=None\0");
	assert_int_equal(SEND("HeaderDigest=CRC32C\0"), -1);
	assert_err_has("HeaderDigest");

	/* A key the initiator answered with Reject still counts as sent. */
	start(true, false);
	SEND_OK("ImmediateData=Reject\0");
	assert_int_equal(SEND("ImmediateData=Yes\0"), -1);

	/* So does one it got Irrelevant for. */
	start(false, false);
	SEND_OK("MaxConnections=2\0");
	assert_int_equal(SEND("MaxConnections=2\0"), -1);
}

static void test_unknown_and_private_keys(void **state)
{
	SEND_OK("FooBar=1\0X-com.example.knob=7\0X#NodeArchitecture=tandem\0"
		"MaxConnections=4\0");
	expect("FooBar", "NotUnderstood");
	expect("X-com.example.knob", "NotUnderstood");
	expect("X#NodeArchitecture", "NotUnderstood");
	expect("MaxConnections", "4");
	/* Keys are case-sensitive. */
	SEND_OK("maxconnections=4\0");
	expect("maxconnections", "NotUnderstood");
}

static void test_reserved_values_are_answers(void **state)
{
	SEND_OK("MaxBurstLength=Reject\0InitialR2T=Irrelevant\0HeaderDigest=NotUnderstood\0"
		"MaxRecvDataSegmentLength=Reject\0");
	assert_int_equal(nout, 0);
	assert_int_equal(neg.sess.max_burst, 262144);
	assert_true(neg.sess.initial_r2t);
	assert_int_equal(neg.conn.max_send_dsl, 8192);
	assert_int_equal(neg.answered, 0);
}

static void test_security_keys_skipped(void **state)
{
	SEND_OK("InitiatorName=iqn.1994-05.com.redhat:abc\0InitiatorAlias=host\0"
		"SessionType=Normal\0TargetName=iqn.2024-01.org.tandem:t1\0AuthMethod=CHAP,None\0"
		"CHAP_A=5\0CHAP_N=user\0CHAP_R=0x00\0CHAP_I=1\0CHAP_C=0x01\0"
		"TargetPortalGroupTag=1\0TargetAddress=127.0.0.1\0TargetAlias=x\0"
		"SendTargets=All\0");
	assert_int_equal(nout, 0);
	assert_int_equal(neg.received, 0);
	/* login.c may see them again in a later PDU; not our business. */
	SEND_OK("AuthMethod=None\0InitiatorName=iqn.x\0");
	assert_int_equal(nout, 0);
}

static void test_non_leading_connection(void **state)
{
	start(false, false);
	SEND_OK("MaxConnections=4\0InitialR2T=No\0ImmediateData=No\0MaxBurstLength=65536\0"
		"FirstBurstLength=4096\0DefaultTime2Wait=5\0DefaultTime2Retain=5\0"
		"MaxOutstandingR2T=4\0DataPDUInOrder=No\0DataSequenceInOrder=No\0"
		"ErrorRecoveryLevel=1\0TaskReporting=RFC3720\0iSCSIProtocolLevel=1\0"
		"RDMAExtensions=No\0"
		"HeaderDigest=CRC32C\0DataDigest=CRC32C\0MaxRecvDataSegmentLength=65536\0"
		"OFMarker=No\0");
	static const char *irr[] = {
		"MaxConnections", "InitialR2T", "ImmediateData", "MaxBurstLength",
		"FirstBurstLength", "DefaultTime2Wait", "DefaultTime2Retain",
		"MaxOutstandingR2T", "DataPDUInOrder", "DataSequenceInOrder",
		"ErrorRecoveryLevel", "TaskReporting", "iSCSIProtocolLevel",
		"RDMAExtensions",
	};
	for (size_t i = 0; i < sizeof(irr) / sizeof(irr[0]); i++)
		expect(irr[i], "Irrelevant");
	/* Connection-only keys are still negotiated. */
	expect("HeaderDigest", "CRC32C");
	expect("DataDigest", "CRC32C");
	expect("MaxRecvDataSegmentLength", "262144");
	expect("OFMarker", "No");
	assert_true(neg.conn.header_digest);
	assert_int_equal(neg.conn.max_send_dsl, 65536);
	/* Session values untouched. */
	assert_int_equal(neg.sess.max_connections, 1);
	assert_int_equal(neg.sess.max_burst, 262144);
	assert_true(neg.sess.initial_r2t);
}

static void test_non_leading_finish_skips_session_keys(void **state)
{
	lim.immediate_data = false;
	lim.max_burst = 4096;
	lim.first_burst = 4096;
	start(false, false);
	assert_int_equal(finish(), 0);
	assert_int_equal(nout, 1);
	expect("MaxRecvDataSegmentLength", "262144");
}

static void test_discovery_session(void **state)
{
	start(true, true);
	SEND_OK("MaxConnections=1\0InitialR2T=Yes\0ImmediateData=No\0MaxBurstLength=65536\0"
		"FirstBurstLength=4096\0DefaultTime2Wait=5\0DefaultTime2Retain=5\0"
		"MaxOutstandingR2T=4\0DataPDUInOrder=No\0DataSequenceInOrder=No\0"
		"TaskReporting=RFC3720\0"
		"ErrorRecoveryLevel=2\0HeaderDigest=None,CRC32C\0DataDigest=CRC32C\0"
		"MaxRecvDataSegmentLength=32768\0");
	static const char *irr[] = {
		"MaxConnections", "InitialR2T", "ImmediateData", "MaxBurstLength",
		"FirstBurstLength", "DefaultTime2Wait", "DefaultTime2Retain",
		"MaxOutstandingR2T", "DataPDUInOrder", "DataSequenceInOrder",
		"TaskReporting",
	};
	for (size_t i = 0; i < sizeof(irr) / sizeof(irr[0]); i++)
		expect(irr[i], "Irrelevant");
	expect("ErrorRecoveryLevel", "0");
	expect("HeaderDigest", "None");
	expect("DataDigest", "CRC32C");
	expect("MaxRecvDataSegmentLength", "262144");
	assert_int_equal(neg.conn.max_send_dsl, 32768);
	assert_true(neg.conn.data_digest);
}

static void test_discovery_finish(void **state)
{
	lim.immediate_data = false;
	lim.header_digest_none = false;
	start(true, true);
	assert_int_equal(finish(), 0);
	expect("MaxRecvDataSegmentLength", "262144");
	expect("HeaderDigest", "CRC32C");
	expect_none("ImmediateData");
	assert_int_equal(nout, 2);
}

static void test_markers(void **state)
{
	SEND_OK("OFMarker=Yes\0IFMarker=No\0OFMarkInt=2048~8192\0IFMarkInt=1\0");
	expect("OFMarker", "No");
	expect("IFMarker", "No");
	expect("OFMarkInt", "Irrelevant");
	expect("IFMarkInt", "Irrelevant");

	start(true, false);
	SEND_OK("OFMarker=maybe\0IFMarker=\0OFMarkInt=0~10\0IFMarkInt=9~2\0");
	expect("OFMarker", "Reject");
	expect("IFMarker", "Reject");
	expect("OFMarkInt", "Reject");
	expect("IFMarkInt", "Reject");

	start(true, false);
	SEND_OK("OFMarkInt=1~65536\0IFMarkInt=~5\0");
	expect("OFMarkInt", "Reject");
	expect("IFMarkInt", "Reject");

	start(true, false);
	SEND_OK("OFMarkInt=abc\0IFMarkInt=1~2~3\0");
	expect("OFMarkInt", "Reject");
	expect("IFMarkInt", "Reject");
}

static void test_task_reporting(void **state)
{
	SEND_OK("TaskReporting=FastAbort,RFC3720\0");
	expect("TaskReporting", "RFC3720");
	start(true, false);
	SEND_OK("TaskReporting=FastAbort,ResponseFence\0");
	expect("TaskReporting", "Reject");
	start(true, false);
	SEND_OK("TaskReporting=RFC37200\0");
	expect("TaskReporting", "Reject");
}

static void test_protocol_level(void **state)
{
	SEND_OK("iSCSIProtocolLevel=2\0");
	expect("iSCSIProtocolLevel", "1");
	start(true, false);
	SEND_OK("iSCSIProtocolLevel=0\0");
	expect("iSCSIProtocolLevel", "0");
	start(true, false);
	SEND_OK("iSCSIProtocolLevel=32\0");
	expect("iSCSIProtocolLevel", "Reject");
	start(true, false);
	SEND_OK("iSCSIProtocolLevel=one\0");
	expect("iSCSIProtocolLevel", "Reject");
}

static void test_rdma_and_iser_keys(void **state)
{
	SEND_OK("RDMAExtensions=Yes\0TargetRecvDataSegmentLength=8192\0"
		"InitiatorRecvDataSegmentLength=8192\0MaxOutstandingUnexpectedPDUs=0\0");
	expect("RDMAExtensions", "No");
	expect("TargetRecvDataSegmentLength", "Irrelevant");
	expect("InitiatorRecvDataSegmentLength", "Irrelevant");
	expect("MaxOutstandingUnexpectedPDUs", "Irrelevant");
	start(true, false);
	SEND_OK("RDMAExtensions=Sure\0");
	expect("RDMAExtensions", "Reject");
}

static void test_finish_defaults(void **state)
{
	assert_int_equal(finish(), 0);
	assert_int_equal(nout, 1);
	expect("MaxRecvDataSegmentLength", "262144");
	assert_int_equal(resp.len, sizeof("MaxRecvDataSegmentLength=262144"));
	assert_int_equal(neg.conn.max_recv_dsl, 262144);
	/* The RFC defaults stand for what nobody sent. */
	assert_int_equal(neg.sess.max_burst, 262144);
	assert_int_equal(neg.sess.first_burst, 65536);
	assert_int_equal(neg.sess.max_outstanding_r2t, 1);
	assert_int_equal(neg.sess.max_connections, 1);
	assert_true(neg.sess.initial_r2t);
	assert_true(neg.sess.immediate_data);
	assert_false(neg.conn.header_digest);

	/* A second call owes nothing more. */
	assert_int_equal(finish(), 0);
	assert_int_equal(nout, 0);
}

static void test_finish_offers_stricter_target_values(void **state)
{
	lim.max_burst = 131072;
	lim.first_burst = 16384;
	lim.immediate_data = false;
	lim.default_time2wait = 5;
	lim.default_time2retain = 10;
	lim.header_digest_none = false;
	lim.data_digest_none = false;
	lim.initial_r2t = true;
	start(true, false);
	assert_int_equal(finish(), 0);
	expect("MaxRecvDataSegmentLength", "262144");
	expect("MaxBurstLength", "131072");
	expect("FirstBurstLength", "16384");
	expect("ImmediateData", "No");
	expect("DefaultTime2Wait", "5");
	expect("DefaultTime2Retain", "10");
	expect("HeaderDigest", "CRC32C");
	expect("DataDigest", "CRC32C");
	/* Yes is already the default, so nothing to say. */
	expect_none("InitialR2T");
	expect_none("MaxConnections");
	assert_int_equal(nout, 8);
	assert_int_equal(neg.sess.max_burst, 131072);
	assert_int_equal(neg.sess.first_burst, 16384);
	assert_false(neg.sess.immediate_data);
	assert_true(neg.sess.initial_r2t);
	assert_int_equal(neg.sess.default_time2wait, 5);
	assert_int_equal(neg.sess.default_time2retain, 10);
	assert_true(neg.conn.header_digest);
	assert_true(neg.conn.data_digest);
}

/* finish() does not re-offer what the initiator already negotiated. */
static void test_finish_skips_negotiated(void **state)
{
	lim.max_burst = 131072;
	lim.immediate_data = false;
	start(true, false);
	SEND_OK("MaxBurstLength=65536\0ImmediateData=Yes\0MaxRecvDataSegmentLength=8192\0");
	expect("ImmediateData", "No");
	assert_int_equal(finish(), 0);
	assert_int_equal(nout, 0);
	assert_int_equal(neg.sess.max_burst, 65536);
	assert_false(neg.sess.immediate_data);
}

/* The first burst default bounded by a MaxBurstLength the initiator set. */
static void test_finish_first_burst_bounded_by_negotiated_max(void **state)
{
	SEND_OK("MaxBurstLength=16384\0");
	assert_int_equal(finish(), 0);
	expect("FirstBurstLength", "16384");
	assert_int_equal(neg.sess.first_burst, 16384);
}

/* The initiator answering an offer made in finish(): the result function
 * applies, nothing is sent back, and a bad answer fails the login. */
static void test_answers_to_target_offers(void **state)
{
	lim.max_burst = 131072;
	lim.immediate_data = false;
	lim.header_digest_none = false;
	start(true, false);
	assert_int_equal(finish(), 0);
	SEND_OK("MaxBurstLength=65536\0ImmediateData=No\0HeaderDigest=CRC32C\0");
	assert_int_equal(nout, 0);
	assert_int_equal(neg.sess.max_burst, 65536);
	assert_false(neg.sess.immediate_data);
	assert_true(neg.conn.header_digest);

	start(true, false);
	assert_int_equal(finish(), 0);
	assert_int_equal(SEND("MaxBurstLength=lots\0"), -1);
	assert_err_has("MaxBurstLength");

	start(true, false);
	assert_int_equal(finish(), 0);
	assert_int_equal(SEND("HeaderDigest=None\0"), -1);
	assert_err_has("HeaderDigest");

	start(true, false);
	assert_int_equal(finish(), 0);
	SEND_OK("ImmediateData=Reject\0");
	assert_int_equal(nout, 0);
}

static void test_response_overflow(void **state)
{
	struct iscsi_kv kv[2];
	char req[] = "MaxConnections=1\0MaxBurstLength=65536";
	int n = iscsi_text_parse(req, sizeof(req) - 1, kv, 2, err, sizeof(err));
	assert_int_equal(n, 2);
	char small[20];
	iscsi_text_init(&resp, small, sizeof(small));
	assert_int_equal(iscsi_neg_process(&neg, kv, n, &resp, err, sizeof(err)), -1);
	assert_err_has("MaxBurstLength");
	assert_true(resp.overflow);

	start(true, false);
	iscsi_text_init(&resp, small, 10);
	assert_int_equal(iscsi_neg_finish(&neg, &resp), -1);
}

static void test_empty_request(void **state)
{
	iscsi_text_init(&resp, respbuf, sizeof(respbuf));
	assert_int_equal(iscsi_neg_process(&neg, NULL, 0, &resp, err, sizeof(err)), 0);
	assert_int_equal(resp.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_limits_default, setup),
		cmocka_unit_test_setup(test_init_rfc_defaults, setup),
		cmocka_unit_test_setup(test_open_iscsi_login, setup),
		cmocka_unit_test_setup(test_digest_lists, setup),
		cmocka_unit_test_setup(test_digest_target_limits, setup),
		cmocka_unit_test_setup(test_min_keys, setup),
		cmocka_unit_test_setup(test_max_key, setup),
		cmocka_unit_test_setup(test_numbers_in_hex, setup),
		cmocka_unit_test_setup(test_ranges_reject, setup),
		cmocka_unit_test_setup(test_range_edges_accepted, setup),
		cmocka_unit_test_setup(test_malformed_numbers_reject, setup),
		cmocka_unit_test_setup(test_booleans, setup),
		cmocka_unit_test_setup(test_booleans_target_limits, setup),
		cmocka_unit_test_setup(test_booleans_malformed, setup),
		cmocka_unit_test_setup(test_first_burst_capped_by_limit, setup),
		cmocka_unit_test_setup(test_first_burst_le_max_burst_same_pdu, setup),
		cmocka_unit_test_setup(test_first_burst_le_max_burst_later_pdu, setup),
		cmocka_unit_test_setup(test_first_burst_le_our_max_burst, setup),
		cmocka_unit_test_setup(test_mrdsl_declarative, setup),
		cmocka_unit_test_setup(test_mrdsl_reject_then_finish_declares, setup),
		cmocka_unit_test_setup(test_mrdsl_declared_by_finish_first, setup),
		cmocka_unit_test_setup(test_repeated_key_same_pdu, setup),
		cmocka_unit_test_setup(test_repeated_key_later_pdu, setup),
		cmocka_unit_test_setup(test_unknown_and_private_keys, setup),
		cmocka_unit_test_setup(test_reserved_values_are_answers, setup),
		cmocka_unit_test_setup(test_security_keys_skipped, setup),
		cmocka_unit_test_setup(test_non_leading_connection, setup),
		cmocka_unit_test_setup(test_non_leading_finish_skips_session_keys, setup),
		cmocka_unit_test_setup(test_discovery_session, setup),
		cmocka_unit_test_setup(test_discovery_finish, setup),
		cmocka_unit_test_setup(test_markers, setup),
		cmocka_unit_test_setup(test_task_reporting, setup),
		cmocka_unit_test_setup(test_protocol_level, setup),
		cmocka_unit_test_setup(test_rdma_and_iser_keys, setup),
		cmocka_unit_test_setup(test_finish_defaults, setup),
		cmocka_unit_test_setup(test_finish_offers_stricter_target_values, setup),
		cmocka_unit_test_setup(test_finish_skips_negotiated, setup),
		cmocka_unit_test_setup(test_finish_first_burst_bounded_by_negotiated_max, setup),
		cmocka_unit_test_setup(test_answers_to_target_offers, setup),
		cmocka_unit_test_setup(test_response_overflow, setup),
		cmocka_unit_test_setup(test_empty_request, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
