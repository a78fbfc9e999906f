/* A connection's transmit path: PDUs from a per-connection free list, their
 * digests computed as they are queued, and as many of them as the socket
 * takes written with one writev, the rest left for EPOLLOUT. */
#include "iscsi/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "common/crc32c.h"
#include "common/log.h"

struct tx_pdu *tx_get(struct iscsi_conn *c)
{
	struct tx_pdu *p = c->tx_free;

	if (p) {
		c->tx_free = *(struct tx_pdu **)p;
	} else {
		p = malloc(sizeof(*p));
		if (!p)
			return NULL;
		c->tx_allocated++;
	}
	memset(p->hdr, 0, sizeof(p->hdr));
	p->niov = 0;
	p->iov_idx = 0;
	p->task = NULL;
	p->sent = NULL;
	p->own = NULL;
	list_init(&p->link);
	return p;
}

void tx_put(struct iscsi_conn *c, struct tx_pdu *p)
{
	free(p->own);
	p->own = NULL;
	*(struct tx_pdu **)p = c->tx_free;
	c->tx_free = p;
}

void tx_pool_free(struct iscsi_conn *c)
{
	while (c->tx_free) {
		struct tx_pdu *p = c->tx_free;
		c->tx_free = *(struct tx_pdu **)p;
		free(p);
	}
}

static void tx_done(struct iscsi_conn *c, struct tx_pdu *p)
{
	list_del(&p->link);
	if (p->sent)
		p->sent(c, p);
	tx_put(c, p);
}

void tx_discard(struct iscsi_conn *c)
{
	while (!list_empty(&c->txq)) {
		struct tx_pdu *p = list_first_entry(&c->txq, struct tx_pdu, link);
		tx_done(c, p);
	}
}

void tx_queue(struct iscsi_conn *c, struct tx_pdu *p, void *data, uint32_t len)
{
	uint32_t hlen = ISCSI_BHS_LEN;

	put_be24(p->hdr + 5, len);
	if (c->params.header_digest) {
		uint32_t crc = crc32c(0, p->hdr, ISCSI_BHS_LEN);
		memcpy(p->hdr + ISCSI_BHS_LEN, &crc, 4);	/* little-endian on the wire */
		hlen += ISCSI_DIGEST_LEN;
	}
	p->iov[0].iov_base = p->hdr;
	p->iov[0].iov_len = hlen;
	p->niov = 1;
	if (len) {
		uint32_t pad = iscsi_pad(len), tl = pad;

		p->iov[1].iov_base = data;
		p->iov[1].iov_len = len;
		memset(p->tail, 0, sizeof(p->tail));
		if (c->params.data_digest) {
			uint32_t crc = crc32c(0, data, len);
			if (pad)
				crc = crc32c(crc, p->tail, pad);
			memcpy(p->tail + pad, &crc, 4);
			tl += ISCSI_DIGEST_LEN;
		}
		p->niov = 2;
		if (tl) {
			p->iov[2].iov_base = p->tail;
			p->iov[2].iov_len = tl;
			p->niov = 3;
		}
	}
	list_add_tail(&p->link, &c->txq);
	/* conn_close() released what was queued; nothing queued after it
	 * would ever be sent or freed (a command that ran once the
	 * connection had closed, e.g. from the session's CmdSN queue). */
	if (c->state == CONN_CLOSED)
		tx_done(c, p);
}

void tx_flush(struct iscsi_conn *c)
{
	struct iovec iov[64];

	while (!list_empty(&c->txq) && c->state != CONN_CLOSED) {
		unsigned n = 0;
		struct tx_pdu *p;

		list_for_each_entry(p, &c->txq, link) {
			for (unsigned i = p->iov_idx; i < p->niov && n < 64; i++)
				iov[n++] = p->iov[i];
			if (n == 64)
				break;
		}
		ssize_t w = writev(c->h.fd, iov, (int)n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				evloop_mod(c->w->loop, &c->h,
					   c->rx_paused ? EPOLLOUT : EPOLLIN | EPOLLOUT);
				return;
			}
			if (errno == EINTR)
				continue;
			conn_close(c, strerror(errno));
			return;
		}
		size_t left = (size_t)w;
		while (left && !list_empty(&c->txq)) {
			p = list_first_entry(&c->txq, struct tx_pdu, link);
			struct iovec *v = &p->iov[p->iov_idx];
			if (left < v->iov_len) {
				v->iov_base = (uint8_t *)v->iov_base + left;
				v->iov_len -= left;
				left = 0;
				break;
			}
			left -= v->iov_len;
			if (++p->iov_idx == p->niov)
				tx_done(c, p);
		}
	}
	if (c->state == CONN_CLOSED)
		return;
	evloop_mod(c->w->loop, &c->h, c->rx_paused ? 0 : EPOLLIN);
	if (c->close_after_tx && list_empty(&c->txq))
		conn_close(c, "logged out");
}

void conn_close_after_tx(struct iscsi_conn *c)
{
	c->close_after_tx = true;
	tx_flush(c);
}

static void flush_deferred(struct ev_deferred *d)
{
	struct iscsi_conn *c = container_of(d, struct iscsi_conn, flush_d);

	c->flush_d.fn = NULL;
	tx_flush(c);
}

void tx_schedule(struct iscsi_conn *c)
{
	if (c->state == CONN_CLOSED || c->flush_d.fn)
		return;
	c->flush_d.fn = flush_deferred;
	evloop_defer(c->w->loop, &c->flush_d);
}

void conn_stamp(struct iscsi_conn *c, uint8_t *hdr, bool has_status)
{
	struct iscsi_session *s = c->sess;

	if (has_status)
		put_be32(hdr + 24, c->stat_sn++);
	else
		put_be32(hdr + 24, c->stat_sn);
	if (s) {
		put_be32(hdr + 28, s->exp_cmdsn);
		put_be32(hdr + 32, session_max_cmdsn(s));
	}
}

void conn_send_reject(struct iscsi_conn *c, const uint8_t *bhs, uint8_t reason)
{
	struct tx_pdu *p = tx_get(c);
	uint8_t *copy;

	if (!p)
		return;
	copy = malloc(ISCSI_BHS_LEN);
	if (!copy) {
		tx_put(c, p);
		return;
	}
	memcpy(copy, bhs, ISCSI_BHS_LEN);
	p->own = copy;
	p->hdr[0] = ISCSI_OP_REJECT;
	p->hdr[1] = ISCSI_FLAG_FINAL;
	p->hdr[2] = reason;
	put_be32(p->hdr + 16, ISCSI_RSVD_TAG);
	conn_stamp(c, p->hdr, true);
	tlog(LOG_NOTICE, "%s: rejecting %s (reason 0x%02x)", c->peer,
	     iscsi_opcode_name(bhs[0]), reason);
	tx_queue(c, p, copy, ISCSI_BHS_LEN);
}
