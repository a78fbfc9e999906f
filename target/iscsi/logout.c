/* Logout Request (RFC 7143 11.14-11.15): closing the session or this
 * connection. At ERL 0 a connection cannot be removed for recovery, nor
 * another connection closed by its CID. The response goes out first; the
 * connection closes once it has left. */
#include "iscsi/conn.h"

#include "common/log.h"

void logout_pdu(struct iscsi_conn *c)
{
	const uint8_t *bhs = c->hdr;
	uint8_t reason = bhs[1] & 0x7f;
	uint16_t cid = get_be16(bhs + 20);
	uint8_t response = 0;

	if (!conn_take_cmdsn(c))
		return;
	switch (reason) {
	case 0:		/* close the session */
		break;
	case 1:		/* close the connection */
		if (cid != c->cid)
			response = 1;	/* CID not found: ERL 0 closes only itself */
		break;
	case 2:		/* remove the connection for recovery: ERL 2 only */
		response = 2;
		break;
	default:
		conn_send_reject(c, bhs, ISCSI_REJECT_PROTOCOL_ERROR);
		return;
	}
	struct tx_pdu *p = tx_get(c);
	if (!p)
		return;
	p->hdr[0] = ISCSI_OP_LOGOUT_RSP;
	p->hdr[1] = ISCSI_FLAG_FINAL;
	p->hdr[2] = response;
	put_be32(p->hdr + 16, bhs_itt(bhs));
	conn_stamp(c, p->hdr, true);
	put_be16(p->hdr + 40, 0);	/* Time2Wait */
	put_be16(p->hdr + 42, 0);	/* Time2Retain: ERL 0 keeps nothing */
	tx_queue(c, p, NULL, 0);
	if (response == 0) {
		tlog(LOG_INFO, "%s: logout (reason %u)", c->peer, reason);
		if (reason == 0 && c->sess) {
			struct iscsi_conn *o, *tmp;
			list_for_each_entry_safe(o, tmp, &c->sess->conns, slink)
				if (o != c)
					conn_close(o, "session logged out");
		}
		c->state = CONN_LOGGED_OUT;
		conn_close_after_tx(c);
	}
}
