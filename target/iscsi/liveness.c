/* Whether the other end is still there: NOP-Out answered (RFC 7143 11.18),
 * a NOP-In ping to an initiator that has been quiet (11.19), and the
 * per-second check that closes a connection whose login or ping ran out of
 * time. */
#include "iscsi/conn.h"

#include <stdlib.h>
#include <string.h>

time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void nop_pdu(struct iscsi_conn *c)
{
	const uint8_t *bhs = c->hdr;
	uint32_t itt = bhs_itt(bhs), ttt = get_be32(bhs + 20);
	uint32_t len = bhs_dsl(bhs);

	if (itt != ISCSI_RSVD_TAG && !conn_take_cmdsn(c))
		return;
	if (itt == ISCSI_RSVD_TAG) {
		/* The answer to our NOP-In ping. */
		if (ttt == c->nop_ttt)
			c->nop_sent = 0;
		return;
	}
	if (ttt != ISCSI_RSVD_TAG) {
		conn_send_reject(c, bhs, ISCSI_REJECT_PROTOCOL_ERROR);
		return;
	}
	struct tx_pdu *p = tx_get(c);
	if (!p)
		return;
	p->hdr[0] = ISCSI_OP_NOOP_IN;
	p->hdr[1] = ISCSI_FLAG_FINAL;
	memcpy(p->hdr + 8, bhs + 8, 8);
	put_be32(p->hdr + 16, itt);
	put_be32(p->hdr + 20, ISCSI_RSVD_TAG);
	conn_stamp(c, p->hdr, true);
	if (len > c->params.max_send_dsl)
		len = c->params.max_send_dsl;
	if (len) {
		p->own = malloc(len);
		if (!p->own) {
			tx_put(c, p);
			return;
		}
		memcpy(p->own, c->segbuf, len);
	}
	tx_queue(c, p, p->own, len);
}

static void nop_ping(struct iscsi_conn *c)
{
	struct tx_pdu *p = tx_get(c);

	if (!p)
		return;
	c->nop_ttt = (c->nop_ttt + 1) & 0x7fffffff;
	p->hdr[0] = ISCSI_OP_NOOP_IN;
	p->hdr[1] = ISCSI_FLAG_FINAL;
	put_be32(p->hdr + 16, ISCSI_RSVD_TAG);
	put_be32(p->hdr + 20, c->nop_ttt);
	conn_stamp(c, p->hdr, false);
	tx_queue(c, p, NULL, 0);
	c->nop_sent = now_s();
	tx_flush(c);
}

void iscsi_worker_tick(struct iscsi_worker *w)
{
	struct iscsi_conn *c, *tmp;
	time_t now = now_s();

	list_for_each_entry_safe(c, tmp, &w->conns, wlink) {
		if (c->state == CONN_LOGIN && now > c->login_deadline) {
			conn_close(c, "login timed out");
		} else if (c->state == CONN_FFP) {
			if (c->nop_sent && now - c->nop_sent > ISCSI_NOPIN_TIMEOUT_S)
				conn_close(c, "initiator did not answer NOP-In");
			else if (!c->nop_sent &&
				 now - c->last_rx >= ISCSI_NOPIN_INTERVAL_S)
				nop_ping(c);
		}
	}
}
