/* A connection's receive path: bytes off the socket into a staging buffer
 * (or, for a large data segment, straight into the command's buffer), cut
 * into PDUs by a small state machine that checks header and data digests,
 * each PDU's data segment sent where its opcode's handler wants it, and
 * reading paused while no task is free to take a new command. */
#include "iscsi/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crc32c.h"
#include "common/log.h"

int conn_segbuf_reserve(struct iscsi_conn *c)
{
	uint32_t len = c->seg_len;

	if (len > c->segbuf_cap) {
		uint8_t *b = realloc(c->segbuf, len + 8);
		if (!b)
			return -1;
		c->segbuf = b;
		c->segbuf_cap = len;
	}
	c->seg_dst = c->segbuf;
	c->seg_dst_len = len;
	return 0;
}

bool conn_take_cmdsn(struct iscsi_conn *c)
{
	const uint8_t *bhs = c->hdr;
	enum cmdsn_verdict v;

	if (bhs_immediate(bhs))
		return true;
	v = session_check_cmdsn(c->sess, get_be32(bhs + 24), false);
	if (v == CMDSN_DROP)
		return false;
	/* Nothing else orders such a request against SCSI tasks: it runs
	 * at once, and the commands queued behind it may run too. */
	if (v == CMDSN_NOW) {
		session_take_cmdsn(c->sess);
		session_run_pending(c->sess);
	}
	return true;
}

static bool opcode_allowed(struct iscsi_conn *c, uint8_t op)
{
	if (c->state == CONN_LOGIN)
		return op == ISCSI_OP_LOGIN_REQ;
	if (op == ISCSI_OP_LOGIN_REQ)
		return false;
	if (c->sess && c->sess->discovery)
		return op == ISCSI_OP_TEXT_REQ || op == ISCSI_OP_LOGOUT_REQ ||
		       op == ISCSI_OP_NOOP_OUT;
	return true;
}

/* The header is complete: decide where the data segment goes. */
static int pdu_begin(struct iscsi_conn *c)
{
	uint8_t *bhs = c->hdr;
	uint8_t op = bhs_opcode(bhs);
	const char *why = NULL;
	uint32_t max = c->state == CONN_LOGIN ? ISCSI_LOGIN_DSL
					      : c->params.max_recv_dsl;
	int reason = iscsi_bhs_check(bhs, max, &why);

	c->seg_len = bhs_dsl(bhs);
	c->seg_dst = NULL;
	c->seg_dst_len = 0;
	c->rx_task = NULL;
	c->rx_drop = false;
	if (reason == ISCSI_REJECT_PROTOCOL_ERROR && c->seg_len > max) {
		/* We cannot skip a segment we never agreed to buffer sanely:
		 * the stream is no longer trustworthy. */
		tlog(LOG_WARNING, "%s: %s: %s (%u > %u)", c->peer,
		     iscsi_opcode_name(op), why, c->seg_len, max);
		conn_send_reject(c, bhs, (uint8_t)reason);
		conn_close_after_tx(c);
		return -1;
	}
	if (!reason && !opcode_allowed(c, op)) {
		reason = ISCSI_REJECT_PROTOCOL_ERROR;
		why = "not allowed in this phase or session type";
	}
	if (reason) {
		tlog(LOG_NOTICE, "%s: %s: %s", c->peer, iscsi_opcode_name(op), why);
		if (c->state == CONN_LOGIN) {
			conn_close(c, "non-login PDU during login");
			return -1;
		}
		conn_send_reject(c, bhs, (uint8_t)reason);
		c->rx_drop = true;
		return 0;
	}
	switch (op) {
	case ISCSI_OP_LOGIN_REQ:
		return login_begin(c);
	case ISCSI_OP_SCSI_CMD:
		return task_cmd_begin(c);
	case ISCSI_OP_DATA_OUT:
		return task_dataout_begin(c);
	case ISCSI_OP_TEXT_REQ:
	case ISCSI_OP_NOOP_OUT:
		return conn_segbuf_reserve(c);
	case ISCSI_OP_SNACK:
		/* ERL 0 offers no SNACK recovery (RFC 7143 11.16). */
		conn_send_reject(c, bhs, ISCSI_REJECT_CMD_NOT_SUPPORTED);
		c->rx_drop = true;
		return 0;
	default:	/* TMF, logout: no data segment expected */
		return 0;
	}
}

static void pdu_end(struct iscsi_conn *c)
{
	if (c->rx_drop)
		return;
	switch (bhs_opcode(c->hdr)) {
	case ISCSI_OP_LOGIN_REQ:
		login_pdu(c);
		break;
	case ISCSI_OP_SCSI_CMD:
		task_cmd_end(c);
		break;
	case ISCSI_OP_DATA_OUT:
		task_dataout_end(c);
		break;
	case ISCSI_OP_TEXT_REQ:
		text_pdu(c);
		break;
	case ISCSI_OP_NOOP_OUT:
		nop_pdu(c);
		break;
	case ISCSI_OP_TMF_REQ:
		tmf_pdu(c);
		break;
	case ISCSI_OP_LOGOUT_REQ:
		logout_pdu(c);
		break;
	}
}

static bool header_digest_ok(struct iscsi_conn *c)
{
	uint32_t len = ISCSI_BHS_LEN + bhs_ahs_len(c->hdr), crc, got;

	crc = crc32c(0, c->hdr, len);
	memcpy(&got, c->hdr + len, 4);
	return crc == got;
}

static bool data_digest_used(const struct iscsi_conn *c)
{
	return c->params.data_digest && c->seg_len;
}

/* Consumes buffered bytes; returns false when the connection went away or
 * more input is needed. */
static bool rx_step(struct iscsi_conn *c)
{
	size_t avail = c->rx_len - c->rx_pos;
	uint8_t *in = c->rxbuf + c->rx_pos;

	switch (c->rx_state) {
	case RX_HDR: {
		if (avail < c->hdr_need)
			return false;
		memcpy(c->hdr, in, c->hdr_need);
		if (c->hdr_need == ISCSI_BHS_LEN) {
			uint32_t extra = bhs_ahs_len(c->hdr) +
				(c->params.header_digest ? ISCSI_DIGEST_LEN : 0);
			if (extra) {
				c->hdr_need += extra;
				return avail >= c->hdr_need;
			}
		}
		c->rx_pos += c->hdr_need;
		c->hdr_need = ISCSI_BHS_LEN;
		if (c->params.header_digest && !header_digest_ok(c)) {
			/* Lengths in a corrupt header cannot be trusted. */
			conn_close(c, "header digest error");
			return false;
		}
		c->last_rx = now_s();
		if (pdu_begin(c) < 0 || c->state == CONN_CLOSED)
			return false;
		c->seg_got = 0;
		c->seg_crc = 0;
		if (c->seg_len) {
			c->rx_state = RX_DATA;
		} else {
			pdu_end(c);
		}
		return c->state != CONN_CLOSED;
	}
	case RX_DATA: {
		uint32_t total = c->seg_len + iscsi_pad(c->seg_len);
		uint32_t n = total - c->seg_got;
		if (n > avail)
			n = (uint32_t)avail;
		if (n == 0)
			return false;
		if (c->params.data_digest)
			c->seg_crc = crc32c(c->seg_crc, in, n);
		if (c->seg_dst && c->seg_got < c->seg_dst_len) {
			uint32_t k = MIN(n, c->seg_dst_len - c->seg_got);
			memcpy(c->seg_dst + c->seg_got, in, k);
		}
		c->seg_got += n;
		c->rx_pos += n;
		if (c->seg_got < total)
			return false;
		if (data_digest_used(c)) {
			c->rx_state = RX_DDIGEST;
			c->ddigest_got = 0;
			return true;
		}
		c->rx_state = RX_HDR;
		pdu_end(c);
		return c->state != CONN_CLOSED;
	}
	case RX_DDIGEST: {
		uint32_t n = MIN((uint32_t)avail, ISCSI_DIGEST_LEN - c->ddigest_got);
		uint32_t got;
		if (n == 0)
			return false;
		memcpy(c->ddigest + c->ddigest_got, in, n);
		c->ddigest_got += n;
		c->rx_pos += n;
		if (c->ddigest_got < ISCSI_DIGEST_LEN)
			return false;
		c->rx_state = RX_HDR;
		memcpy(&got, c->ddigest, 4);
		if (got != c->seg_crc) {
			uint8_t op = bhs_opcode(c->hdr);
			/* At ERL 0 lost data means session recovery. */
			if (op == ISCSI_OP_SCSI_CMD || op == ISCSI_OP_DATA_OUT) {
				conn_close(c, "data digest error on SCSI data");
				return false;
			}
			conn_send_reject(c, c->hdr, ISCSI_REJECT_DIGEST_ERROR);
			return true;
		}
		pdu_end(c);
		return c->state != CONN_CLOSED;
	}
	}
	return false;
}

/* Large segments bypass the staging buffer: read them straight into the
 * command's buffer. */
static bool rx_direct(struct iscsi_conn *c)
{
	if (c->rx_state != RX_DATA || c->rx_pos != c->rx_len || !c->seg_dst ||
	    c->params.data_digest || c->seg_got >= c->seg_dst_len)
		return false;
	uint32_t want = c->seg_dst_len - c->seg_got;
	if (want < 64 * 1024)
		return false;
	ssize_t r = read(c->h.fd, c->seg_dst + c->seg_got, want);
	if (r <= 0) {
		if (r == 0)
			conn_close(c, "peer closed");
		else if (errno != EAGAIN && errno != EINTR)
			conn_close(c, strerror(errno));
		return false;
	}
	c->seg_got += (uint32_t)r;
	if (c->seg_got == c->seg_len + iscsi_pad(c->seg_len)) {
		c->rx_state = RX_HDR;
		pdu_end(c);
	}
	return c->state != CONN_CLOSED;
}

/* With no free task a new command could not be taken: stop reading
 * until one is freed, so the socket pushes back on the initiator. */
static bool rx_should_pause(struct iscsi_conn *c)
{
	if (c->state != CONN_FFP || c->rx_state != RX_HDR || !list_empty(&c->task_free))
		return false;
	c->rx_paused = true;
	evloop_mod(c->w->loop, &c->h, list_empty(&c->txq) ? 0 : EPOLLOUT);
	return true;
}

static void conn_read(struct iscsi_conn *c);

static void resume_deferred(struct ev_deferred *d)
{
	struct iscsi_conn *c = container_of(d, struct iscsi_conn, resume_d);

	c->resume_d.fn = NULL;
	if (c->state == CONN_CLOSED || c->rx_paused)
		return;
	conn_read(c);
	if (c->state != CONN_CLOSED)
		tx_flush(c);
}

void conn_resume_rx(struct iscsi_conn *c)
{
	if (c->state == CONN_CLOSED)
		return;
	c->rx_paused = false;
	evloop_mod(c->w->loop, &c->h, list_empty(&c->txq) ? EPOLLIN : EPOLLIN | EPOLLOUT);
	/* PDUs may already sit in rxbuf, where epoll cannot see them. */
	if (!c->resume_d.fn) {
		c->resume_d.fn = resume_deferred;
		evloop_defer(c->w->loop, &c->resume_d);
	}
}

static void conn_read(struct iscsi_conn *c)
{
	/* Epoll sees only the socket, not the staging buffer: everything
	 * already read must be parsed before returning. So the fairness limit
	 * on reads per wake-up is checked after parsing, never between a
	 * read and its parsing (that left a PDU unseen until the next NOP-In
	 * ping woke the connection 15 s later). */
	for (int reads = 0;; reads++) {
		/* rx_paused is also set by a login handing c to another
		 * worker: nothing more may be read here. */
		while (!c->rx_paused && !rx_should_pause(c) && rx_step(c))
			;
		if (c->rx_paused || c->state == CONN_CLOSED || reads == 64)
			return;
		if (rx_direct(c))
			continue;
		if (c->state == CONN_CLOSED)
			return;
		if (c->rx_pos == c->rx_len) {
			c->rx_pos = c->rx_len = 0;
		} else if (c->rx_pos && ISCSI_RXBUF_SIZE - c->rx_len < ISCSI_RXBUF_SIZE / 2) {
			memmove(c->rxbuf, c->rxbuf + c->rx_pos, c->rx_len - c->rx_pos);
			c->rx_len -= c->rx_pos;
			c->rx_pos = 0;
		}
		ssize_t r = read(c->h.fd, c->rxbuf + c->rx_len,
				 ISCSI_RXBUF_SIZE - c->rx_len);
		if (r == 0) {
			conn_close(c, "peer closed");
			return;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(c, strerror(errno));
			return;
		}
		c->rx_len += (size_t)r;
	}
}

void conn_cb(struct ev_handler *h, uint32_t events)
{
	struct iscsi_conn *c = container_of(h, struct iscsi_conn, h);

	if (c->state == CONN_CLOSED)
		return;
	if (events & (EPOLLERR | EPOLLHUP)) {
		conn_read(c);	/* take what is still buffered, then see */
		if (c->state != CONN_CLOSED)
			conn_close(c, "socket error or hang-up");
		return;
	}
	if (events & EPOLLIN)
		conn_read(c);
	if (c->state != CONN_CLOSED)
		tx_flush(c);
}
