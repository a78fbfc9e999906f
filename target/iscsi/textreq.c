/* Text Request in full feature phase: SendTargets (discovery.c) and the
 * few keys that may be negotiated after login, with long responses split
 * across PDUs that the initiator pulls with its Target Transfer Tag. */
#include "iscsi/conn.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "iscsi/text.h"

#define TEXT_RSP_MAX (1024 * 1024)

static void text_reset(struct iscsi_conn *c)
{
	free(c->text_req);
	free(c->text_rsp);
	c->text_req = c->text_rsp = NULL;
	c->text_req_len = c->text_rsp_len = c->text_rsp_off = 0;
}

/* Sends the next piece of the pending response. */
static void text_send_part(struct iscsi_conn *c, const uint8_t *bhs)
{
	size_t left = c->text_rsp_len - c->text_rsp_off;
	uint32_t len = (uint32_t)MIN(left, (size_t)c->params.max_send_dsl);
	bool last = len == left;
	struct tx_pdu *p = tx_get(c);

	if (!p || (len && !(p->own = malloc(len)))) {
		if (p)
			tx_put(c, p);
		conn_close(c, "out of memory for a text response");
		return;
	}
	if (len)
		memcpy(p->own, c->text_rsp + c->text_rsp_off, len);
	c->text_rsp_off += len;
	p->hdr[0] = ISCSI_OP_TEXT_RSP;
	p->hdr[1] = last ? ISCSI_FLAG_FINAL : ISCSI_TEXT_CONTINUE;
	memcpy(p->hdr + 8, bhs + 8, 8);
	put_be32(p->hdr + 16, bhs_itt(bhs));
	if (last) {
		put_be32(p->hdr + 20, ISCSI_RSVD_TAG);
	} else {
		c->text_ttt = (c->text_ttt + 1) & 0x7fffffff;
		put_be32(p->hdr + 20, c->text_ttt);
	}
	conn_stamp(c, p->hdr, true);
	tx_queue(c, p, p->own, len);
	if (last)
		text_reset(c);
	tx_flush(c);
}

static void text_answer(struct iscsi_conn *c, const uint8_t *bhs)
{
	struct iscsi_kv kv[ISCSI_TEXT_MAX_PAIRS];
	struct iscsi_negotiation neg;
	struct iscsi_text out;
	char err[200];
	char *buf = malloc(TEXT_RSP_MAX);
	int n;

	if (!buf) {
		conn_close(c, "out of memory for a text response");
		return;
	}
	iscsi_text_init(&out, buf, TEXT_RSP_MAX);
	n = iscsi_text_parse(c->text_req, c->text_req_len, kv, ISCSI_TEXT_MAX_PAIRS,
			     err, sizeof(err));
	if (n < 0) {
		tlog(LOG_NOTICE, "%s: text request: %s", c->peer, err);
		free(buf);
		text_reset(c);
		conn_send_reject(c, bhs, ISCSI_REJECT_PROTOCOL_ERROR);
		return;
	}
	for (int i = 0; i < n; i++)
		if (!strcmp(kv[i].key, "SendTargets"))
			discovery_send_targets(c, kv[i].val, &out);
	/* After login only declarative keys may change; the negotiation
	 * answers the rest as Irrelevant or Reject. */
	iscsi_neg_init(&neg, c->sess->tpg ? &c->sess->tpg->limits : NULL, false,
		       c->sess->discovery);
	neg.conn = c->params;
	if (iscsi_neg_process(&neg, kv, n, &out, err, sizeof(err)) < 0) {
		tlog(LOG_NOTICE, "%s: text request: %s", c->peer, err);
		free(buf);
		text_reset(c);
		conn_send_reject(c, bhs, ISCSI_REJECT_PROTOCOL_ERROR);
		return;
	}
	c->params.max_send_dsl = neg.conn.max_send_dsl;
	free(c->text_req);
	c->text_req = NULL;
	c->text_req_len = 0;
	c->text_rsp = buf;
	c->text_rsp_len = out.overflow ? 0 : out.len;
	c->text_rsp_off = 0;
	if (out.overflow)
		tlog(LOG_WARNING, "%s: text response over %u bytes: sent empty",
		     c->peer, TEXT_RSP_MAX);
	text_send_part(c, bhs);
}

void text_pdu(struct iscsi_conn *c)
{
	const uint8_t *bhs = c->hdr;
	uint32_t ttt = get_be32(bhs + 20), len = c->seg_len;

	if (!bhs_immediate(bhs)) {
		enum cmdsn_verdict v =
			session_check_cmdsn(c->sess, get_be32(bhs + 24), false);
		if (v == CMDSN_DROP)
			return;
		if (v == CMDSN_NOW) {
			session_take_cmdsn(c->sess);
			session_run_pending(c->sess);
		}
	}
	if (ttt != ISCSI_RSVD_TAG) {
		if (!c->text_rsp || ttt != c->text_ttt) {
			conn_send_reject(c, bhs, ISCSI_REJECT_INVALID_PDU_FIELD);
			return;
		}
		text_send_part(c, bhs);
		return;
	}
	/* A new request cancels any response still pending. */
	free(c->text_rsp);
	c->text_rsp = NULL;
	if (c->text_req_len + len > ISCSI_LOGIN_TEXT_MAX) {
		text_reset(c);
		conn_send_reject(c, bhs, ISCSI_REJECT_PROTOCOL_ERROR);
		return;
	}
	char *t = realloc(c->text_req, c->text_req_len + len + 1);
	if (!t) {
		conn_close(c, "out of memory for a text request");
		return;
	}
	c->text_req = t;
	if (len)
		memcpy(t + c->text_req_len, c->segbuf, len);
	c->text_req_len += len;
	if (bhs[1] & ISCSI_TEXT_CONTINUE) {
		/* Acknowledge with an empty response and wait for the rest. */
		struct tx_pdu *p = tx_get(c);
		if (!p)
			return;
		p->hdr[0] = ISCSI_OP_TEXT_RSP;
		p->hdr[1] = ISCSI_FLAG_FINAL;
		memcpy(p->hdr + 8, bhs + 8, 8);
		put_be32(p->hdr + 16, bhs_itt(bhs));
		put_be32(p->hdr + 20, ISCSI_RSVD_TAG);
		conn_stamp(c, p->hdr, true);
		tx_queue(c, p, NULL, 0);
		tx_flush(c);
		return;
	}
	text_answer(c, bhs);
}
