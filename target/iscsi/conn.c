/* One iSCSI connection: reading PDUs off the socket into the right buffers,
 * dispatching them by opcode, queueing and writing responses, and tearing
 * the connection down once nothing in the SCSI core still refers to it. */
#include "iscsi/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qb/qblog.h>

#include "common/crc32c.h"

static void conn_cb(struct ev_handler *h, uint32_t events);
static void conn_free_deferred(struct ev_deferred *d);

time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void format_peer(int fd, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
			port = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
			port = ntohs(a->sin6_port);
		}
	}
	snprintf(out, outlen, "%s:%u", host, port);
}

void iscsi_conn_accept(struct iscsi_worker *w, int fd)
{
	struct iscsi_conn *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c) {
		qb_log(LOG_ERR, "out of memory accepting a connection");
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->h.fd = fd;
	c->h.cb = conn_cb;
	c->w = w;
	c->state = CONN_LOGIN;
	c->rx_state = RX_HDR;
	c->hdr_need = ISCSI_BHS_LEN;
	c->params.max_send_dsl = ISCSI_LOGIN_DSL;
	c->params.max_recv_dsl = ISCSI_LOGIN_DSL;
	c->locallen = sizeof(c->local);
	getsockname(fd, (struct sockaddr *)&c->local, &c->locallen);
	format_peer(fd, c->peer, sizeof(c->peer));
	list_init(&c->txq);
	list_init(&c->tasks);
	list_init(&c->slink);
	c->rxbuf = malloc(ISCSI_RXBUF_SIZE);
	c->tasks_mem = calloc(ISCSI_TASKS_MAX, sizeof(*c->tasks_mem));
	if (!c->rxbuf || !c->tasks_mem) {
		qb_log(LOG_ERR, "out of memory accepting %s", c->peer);
		free(c->rxbuf);
		free(c->tasks_mem);
		free(c);
		close(fd);
		return;
	}
	list_init(&c->task_free);
	for (int i = 0; i < ISCSI_TASKS_MAX; i++) {
		struct iscsi_task *t = &c->tasks_mem[i];
		t->conn = c;
		list_init(&t->pend);
		list_add_tail(&t->link, &c->task_free);
	}
	c->last_rx = now_s();
	c->login_deadline = c->last_rx + ISCSI_LOGIN_TIMEOUT_S;
	list_add_tail(&c->wlink, &w->conns);
	if (evloop_add(w->loop, &c->h, EPOLLIN) < 0) {
		qb_log(LOG_ERR, "epoll add for %s: %s", c->peer, strerror(errno));
		conn_close(c, "cannot poll the socket");
		return;
	}
	qb_log(LOG_INFO, "connection from %s on worker %u", c->peer, w->id);
}

/* ---- sending ---- */

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

static void tx_done(struct iscsi_conn *c, struct tx_pdu *p)
{
	list_del(&p->link);
	if (p->sent)
		p->sent(c, p);
	tx_put(c, p);
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
	qb_log(LOG_NOTICE, "%s: rejecting %s (reason 0x%02x)", c->peer,
	       iscsi_opcode_name(bhs[0]), reason);
	tx_queue(c, p, copy, ISCSI_BHS_LEN);
}

/* ---- NOP, logout ---- */

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

static void nop_pdu(struct iscsi_conn *c)
{
	const uint8_t *bhs = c->hdr;
	uint32_t itt = bhs_itt(bhs), ttt = get_be32(bhs + 20);
	uint32_t len = bhs_dsl(bhs);

	if (!bhs_immediate(bhs) && itt != ISCSI_RSVD_TAG) {
		enum cmdsn_verdict v =
			session_check_cmdsn(c->sess, get_be32(bhs + 24), false);
		if (v == CMDSN_DROP)
			return;
		/* A NOP needs no ordering with SCSI tasks: answer at once. */
		if (v == CMDSN_NOW) {
			session_take_cmdsn(c->sess);
			session_run_pending(c->sess);
		}
	}
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

static void logout_pdu(struct iscsi_conn *c)
{
	const uint8_t *bhs = c->hdr;
	uint8_t reason = bhs[1] & 0x7f;
	uint16_t cid = get_be16(bhs + 20);
	uint8_t response = 0;

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
		qb_log(LOG_INFO, "%s: logout (reason %u)", c->peer, reason);
		if (reason == 0 && c->sess) {
			struct iscsi_conn *o, *tmp;
			list_for_each_entry_safe(o, tmp, &c->sess->conns, slink)
				if (o != c)
					conn_close(o, "session logged out");
		}
		c->state = CONN_LOGGED_OUT;
		c->close_after_tx = true;
	}
}

/* ---- receiving ---- */

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
		qb_log(LOG_WARNING, "%s: %s: %s (%u > %u)", c->peer,
		       iscsi_opcode_name(op), why, c->seg_len, max);
		conn_send_reject(c, bhs, (uint8_t)reason);
		c->close_after_tx = true;
		tx_flush(c);
		return -1;
	}
	if (!reason && !opcode_allowed(c, op)) {
		reason = ISCSI_REJECT_PROTOCOL_ERROR;
		why = "not allowed in this phase or session type";
	}
	if (reason) {
		qb_log(LOG_NOTICE, "%s: %s: %s", c->peer, iscsi_opcode_name(op), why);
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

static void conn_cb(struct ev_handler *h, uint32_t events)
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

void conn_enter_ffp(struct iscsi_conn *c)
{
	c->state = CONN_FFP;
	c->last_rx = now_s();
}

/* ---- teardown ---- */

static void conn_try_free(struct iscsi_conn *c)
{
	if (c->exec_tasks || c->free_d.fn)
		return;
	c->free_d.fn = conn_free_deferred;
	evloop_defer(c->w->loop, &c->free_d);
}

void conn_close(struct iscsi_conn *c, const char *why)
{
	if (c->state == CONN_CLOSED)
		return;
	qb_log(c->state == CONN_LOGGED_OUT ? LOG_INFO : LOG_NOTICE,
	       "%s: closing connection: %s", c->peer, why);
	c->state = CONN_CLOSED;
	evloop_del(c->w->loop, &c->h);
	shutdown(c->h.fd, SHUT_RDWR);
	while (!list_empty(&c->txq)) {
		struct tx_pdu *p = list_first_entry(&c->txq, struct tx_pdu, link);
		tx_done(c, p);
	}
	struct iscsi_task *t, *tmp;
	list_for_each_entry_safe(t, tmp, &c->tasks, link)
		task_abort(t);
	conn_try_free(c);
}

void conn_exec_ended(struct iscsi_conn *c)
{
	if (c->state == CONN_CLOSED)
		conn_try_free(c);
}

static void conn_free_deferred(struct ev_deferred *d)
{
	struct iscsi_conn *c = container_of(d, struct iscsi_conn, free_d);

	if (c->exec_tasks) {
		c->free_d.fn = NULL;
		return;
	}
	if (c->resume_d.fn)
		list_del(&c->resume_d.link);
	if (c->flush_d.fn)
		list_del(&c->flush_d.link);
	session_remove_conn(c);
	login_free(c);
	list_del(&c->wlink);
	close(c->h.fd);
	while (c->tx_free) {
		struct tx_pdu *p = c->tx_free;
		c->tx_free = *(struct tx_pdu **)p;
		free(p);
	}
	free(c->text_req);
	free(c->text_rsp);
	free(c->segbuf);
	free(c->rxbuf);
	free(c->tasks_mem);
	free(c);
}

/* ---- per-second housekeeping ---- */

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
