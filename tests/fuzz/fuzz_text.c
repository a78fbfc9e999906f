/* libFuzzer target: a Login/Text data segment through the pair parser, the
 * value decoders and key negotiation (leading, non-leading, discovery; in
 * one PDU and split over two), checking what must hold for any input.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
 *   -Itarget tests/fuzz/fuzz_text.c target/iscsi/text.c \
 *   target/iscsi/params.c target/common/crc32c.c -o /tmp/fuzz_text */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iscsi/params.h"
#include "iscsi/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEGMENT_MAX (4 * ISCSI_VALUE_MAX)

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* Whatever decodes must survive a round trip through our own encoder. */
static void fuzz_values(const struct iscsi_kv *kv, int n)
{
	static uint8_t bin[ISCSI_VALUE_MAX], again[ISCSI_VALUE_MAX];
	static char hex[2 * ISCSI_VALUE_MAX + 3];

	for (int i = 0; i < n; i++) {
		uint64_t v;
		if (iscsi_text_number(kv[i].val, 65535, &v) == 0)
			check(v <= 65535);
		iscsi_text_number(kv[i].val, UINT64_MAX, &v);
		int len = iscsi_text_binary(kv[i].val, bin, sizeof(bin));
		check(len <= (int)sizeof(bin));
		if (len > 0) {
			check(iscsi_text_hex(bin, (size_t)len, hex, sizeof(hex)) == 0);
			check(iscsi_text_binary(hex, again, sizeof(again)) == len);
			check(memcmp(bin, again, (size_t)len) == 0);
		}
	}
}

/* A response must itself be a well-formed segment. */
static void check_response(const struct iscsi_text *resp)
{
	static char copy[SEGMENT_MAX + 1];
	static struct iscsi_kv kv[4 * ISCSI_TEXT_MAX_PAIRS];

	if (resp->overflow)
		return;
	check(resp->len <= resp->cap);
	memcpy(copy, resp->buf, resp->len);
	check(iscsi_text_parse(copy, resp->len, kv, 4 * ISCSI_TEXT_MAX_PAIRS, NULL, 0) >= 0);
}

static void check_result(const struct iscsi_negotiation *n)
{
	const struct iscsi_session_params *s = &n->sess;
	check(s->first_burst <= s->max_burst);
	check(s->max_burst >= 512 && s->max_burst <= 16777215);
	check(s->first_burst >= 512);
	check(s->max_connections >= 1 && s->max_connections <= 65535);
	check(s->max_outstanding_r2t >= 1 && s->max_outstanding_r2t <= 65535);
	check(s->default_time2wait <= 3600 && s->default_time2retain <= 3600);
	check(s->error_recovery_level <= n->lim->error_recovery_level);
	check(n->conn.max_send_dsl >= 512 && n->conn.max_send_dsl <= 16777215);
	check(n->conn.max_recv_dsl == n->lim->max_recv_dsl);
}

static void negotiate(const struct iscsi_limits *lim, const struct iscsi_kv *kv, int n,
		      bool leading, bool discovery, int split)
{
	static char respbuf[SEGMENT_MAX];
	struct iscsi_negotiation neg;
	struct iscsi_text resp;
	char err[256];

	iscsi_neg_init(&neg, lim, leading, discovery);
	iscsi_text_init(&resp, respbuf, sizeof(respbuf));
	if (iscsi_neg_process(&neg, kv, split, &resp, err, sizeof(err)) < 0)
		return;
	check_response(&resp);
	/* The target's offers go out between the two halves, so the second
	 * half's keys can be answers to them. */
	iscsi_text_init(&resp, respbuf, sizeof(respbuf));
	if (split < n)
		check(iscsi_neg_finish(&neg, &resp) == 0);
	if (iscsi_neg_process(&neg, kv + split, n - split, &resp, err, sizeof(err)) < 0)
		return;
	check(iscsi_neg_finish(&neg, &resp) == 0 || resp.overflow);
	check_response(&resp);
	check_result(&neg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[SEGMENT_MAX + 1];
	static struct iscsi_kv kv[ISCSI_TEXT_MAX_PAIRS];
	char err[256];

	if (size < 1 || size > SEGMENT_MAX)
		return 0;
	/* The first byte picks the target's limits and where to split. */
	uint8_t knobs = data[0];
	data++;
	size--;

	memcpy(buf, data, size);
	buf[size] = 'Z';
	int n = iscsi_text_parse(buf, size, kv, ISCSI_TEXT_MAX_PAIRS, err, sizeof(err));
	if (n < 0)
		return 0;
	check(n <= ISCSI_TEXT_MAX_PAIRS);
	for (int i = 0; i < n; i++) {
		check(kv[i].key >= buf && kv[i].val > kv[i].key && kv[i].val <= buf + size);
		check(strlen(kv[i].key) >= 1 && strlen(kv[i].key) <= ISCSI_KEY_MAX);
		check(strlen(kv[i].val) <= ISCSI_VALUE_MAX);
	}
	fuzz_values(kv, n);

	struct iscsi_limits lim;
	iscsi_limits_default(&lim);
	if (knobs & 1) {
		lim.header_digest_none = false;
		lim.data_digest_crc32c = false;
		lim.initial_r2t = true;
		lim.immediate_data = false;
		lim.max_recv_dsl = 4096;
		lim.max_burst = 8192;
		lim.first_burst = 4096;
		lim.default_time2wait = 10;
		lim.default_time2retain = 0;
		lim.data_pdu_in_order = false;
	}
	int split = n ? (knobs >> 1) % (n + 1) : 0;
	negotiate(&lim, kv, n, true, false, n);
	negotiate(&lim, kv, n, false, false, n);
	negotiate(&lim, kv, n, true, true, n);
	negotiate(&lim, kv, n, true, false, split);
	negotiate(&lim, kv, n, false, false, split);
	return 0;
}
