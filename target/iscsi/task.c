/* SCSI commands on a connection: the command PDU and its immediate data,
 * unsolicited and solicited (R2T) Data-Out, handing the command to the SCSI
 * core, and Data-In with the status collapsed into the last PDU. Buffers
 * come from the worker's pool and tasks from the connection's array, so
 * nothing here allocates per command. */
#include "iscsi/conn.h"

#include <string.h>

#include "common/log.h"

static void task_done(struct scsi_cmd *cmd);

static const struct scsi_fabric_ops task_ops = {
	.done = task_done,
};

struct iscsi_task *task_get(struct iscsi_conn *c)
{
	if (list_empty(&c->task_free))
		return NULL;
	struct iscsi_task *t = list_first_entry(&c->task_free, struct iscsi_task, link);
	list_del(&t->link);
	memset(&t->state, 0, sizeof(*t) - offsetof(struct iscsi_task, state));
	t->state = TASK_NEW;
	scsi_cmd_init(&t->cmd);
	list_init(&t->pend);
	list_add_tail(&t->link, &c->tasks);
	c->ntasks++;
	return t;
}

void task_leave_window(struct iscsi_task *t)
{
	if (t->in_window) {
		t->in_window = false;
		t->conn->sess->window_used--;
	}
}

void task_put(struct iscsi_task *t)
{
	struct iscsi_conn *c = t->conn;

	task_leave_window(t);
	scsi_cmd_release(&t->cmd);
	session_lun_release(t);
	for (unsigned i = 0; i < ISCSI_ABORT_WAITERS && t->abort_waiters[i]; i++)
		scsi_abort_release(t->abort_waiters[i]);
	t->state = TASK_FREE;
	list_del(&t->link);
	list_add(&t->link, &c->task_free);
	c->ntasks--;
	if (c->rx_paused)
		conn_resume_rx(c);
}

struct iscsi_task *task_find_itt(struct iscsi_conn *c, uint32_t itt)
{
	struct iscsi_task *t;

	list_for_each_entry(t, &c->tasks, link)
		if (t->itt == itt && t->state != TASK_FREE && !t->is_tmf)
			return t;
	return NULL;
}

/* ---- status and Data-In ---- */

static void task_final_sent(struct iscsi_conn *c, struct tx_pdu *p)
{
	task_put(p->task);
}

static void fill_residual(struct iscsi_task *t, uint8_t *hdr, uint32_t used)
{
	if (used < t->edtl) {
		hdr[1] |= ISCSI_RSP_UNDERFLOW;
		put_be32(hdr + 44, t->edtl - used);
	} else if (used > t->edtl) {
		hdr[1] |= ISCSI_RSP_OVERFLOW;
		put_be32(hdr + 44, used - t->edtl);
	}
}

static void send_scsi_response(struct iscsi_task *t)
{
	struct iscsi_conn *c = t->conn;
	struct scsi_cmd *cmd = &t->cmd;
	struct tx_pdu *p = tx_get(c);
	uint32_t dlen = 0;

	if (!p) {
		conn_close(c, "out of memory for a response");
		return;
	}
	p->task = t;
	p->sent = task_final_sent;
	task_leave_window(t);
	p->hdr[0] = ISCSI_OP_SCSI_RSP;
	p->hdr[1] = ISCSI_FLAG_FINAL;
	p->hdr[2] = 0;			/* command completed at target */
	p->hdr[3] = cmd->status;
	put_be32(p->hdr + 16, t->itt);
	conn_stamp(c, p->hdr, true);
	put_be32(p->hdr + 36, t->data_sn);
	/* Residuals describe the data transfer only when the command ran, but
	 * a write shorter than its CDB is an overflow whatever the outcome. */
	if (cmd->status == SAM_STAT_GOOD || cmd->status == SAM_STAT_CONDITION_MET) {
		fill_residual(t, p->hdr, t->write_tl ? t->write_tl : cmd->data_len);
	} else if (t->write_tl > t->edtl) {
		fill_residual(t, p->hdr, t->write_tl);
	} else if (t->edtl) {
		p->hdr[1] |= ISCSI_RSP_UNDERFLOW;
		put_be32(p->hdr + 44, t->edtl);
	}
	if (cmd->sense_len) {
		put_be16(t->sense_seg, cmd->sense_len);
		memcpy(t->sense_seg + 2, cmd->sense, cmd->sense_len);
		dlen = 2u + cmd->sense_len;
	}
	tx_queue(c, p, dlen ? t->sense_seg : NULL, dlen);
}

static void datain_build(struct iscsi_task *t);

static void datain_more(struct iscsi_conn *c, struct tx_pdu *p)
{
	struct iscsi_task *t = p->task;

	if (c->state == CONN_CLOSED) {
		task_put(t);
		return;
	}
	datain_build(t);
}

/* Builds the next batch of Data-In PDUs; the last of a batch asks for more
 * when it has been sent, so a large read never queues thousands at once. */
static void datain_build(struct iscsi_task *t)
{
	struct iscsi_conn *c = t->conn;
	struct scsi_cmd *cmd = &t->cmd;
	uint32_t total = MIN(cmd->data_len, t->edtl);
	uint32_t maxpdu = c->params.max_send_dsl;
	uint32_t burst = c->sess->params.max_burst;

	for (unsigned n = 0; n < ISCSI_DATAIN_BATCH; n++) {
		struct tx_pdu *p = tx_get(c);
		uint32_t off = t->datain_off;
		uint32_t len = MIN(maxpdu, total - off);
		/* A sequence ends at every MaxBurstLength boundary. */
		uint32_t to_burst = burst - off % burst;
		bool last;

		if (!p) {
			conn_close(c, "out of memory for Data-In");
			return;
		}
		if (len > to_burst)
			len = to_burst;
		last = off + len == total;
		p->task = t;
		p->hdr[0] = ISCSI_OP_DATA_IN;
		if (last || len == to_burst)
			p->hdr[1] |= ISCSI_FLAG_FINAL;
		iscsi_lun_encode(t->cmd.lun, p->hdr + 8);
		put_be32(p->hdr + 16, t->itt);
		put_be32(p->hdr + 20, ISCSI_RSVD_TAG);
		put_be32(p->hdr + 36, t->data_sn++);
		put_be32(p->hdr + 40, off);
		if (last) {
			task_leave_window(t);
			p->hdr[1] |= ISCSI_DATAIN_STATUS;
			p->hdr[3] = cmd->status;
			fill_residual(t, p->hdr, cmd->data_len);
			conn_stamp(c, p->hdr, true);
			p->sent = task_final_sent;
		} else {
			conn_stamp(c, p->hdr, false);
			put_be32(p->hdr + 24, 0);	/* StatSN is reserved */
			if (n == ISCSI_DATAIN_BATCH - 1)
				p->sent = datain_more;
		}
		t->datain_off = off + len;
		tx_queue(c, p, cmd->buf + off, len);
		if (last)
			return;
	}
}

static void task_respond(struct iscsi_task *t)
{
	struct scsi_cmd *cmd = &t->cmd;

	t->state = TASK_RESPONDING;
	if (cmd->dir == SCSI_DIR_READ && cmd->data_len && t->edtl &&
	    (cmd->status == SAM_STAT_GOOD || cmd->status == SAM_STAT_CONDITION_MET) &&
	    !cmd->sense_len)
		datain_build(t);
	else
		send_scsi_response(t);
	tx_schedule(t->conn);
}

static void task_done(struct scsi_cmd *cmd)
{
	struct iscsi_task *t = container_of(cmd, struct iscsi_task, cmd);
	struct iscsi_conn *c = t->conn;

	c->exec_tasks--;
	if (c->state == CONN_CLOSED) {
		task_put(t);
		conn_exec_ended(c);
		return;
	}
	if (t->aborted) {
		task_put(t);
		return;
	}
	task_respond(t);
}

static void task_exec(struct iscsi_task *t)
{
	t->state = TASK_EXEC;
	t->conn->exec_tasks++;
	scsi_cmd_execute(&t->cmd);
}

/* ---- R2T ---- */

static void send_r2ts(struct iscsi_task *t)
{
	struct iscsi_conn *c = t->conn;
	const struct iscsi_session_params *sp = &c->sess->params;
	unsigned max = MIN(sp->max_outstanding_r2t, ISCSI_R2T_SLOTS);

	while (t->r2t_next < t->xfer_len && t->r2t_outstanding < max) {
		struct r2t_slot *slot = NULL;
		for (unsigned i = 0; i < ISCSI_R2T_SLOTS; i++)
			if (!t->r2t[i].used) {
				slot = &t->r2t[i];
				break;
			}
		struct tx_pdu *p = tx_get(c);
		if (!slot || !p) {
			if (p)
				tx_put(c, p);
			return;
		}
		uint32_t len = MIN(sp->max_burst, t->xfer_len - t->r2t_next);
		slot->used = true;
		slot->off = t->r2t_next;
		slot->len = len;
		slot->got = 0;
		slot->data_sn = 0;
		/* TTTs are unique on the connection: task index and a counter. */
		slot->ttt = (uint32_t)(t - c->tasks_mem) << 16 | (t->r2t_sn & 0xffff);
		t->r2t_outstanding++;
		p->hdr[0] = ISCSI_OP_R2T;
		p->hdr[1] = ISCSI_FLAG_FINAL;
		iscsi_lun_encode(t->cmd.lun, p->hdr + 8);
		put_be32(p->hdr + 16, t->itt);
		put_be32(p->hdr + 20, slot->ttt);
		conn_stamp(c, p->hdr, false);
		put_be32(p->hdr + 36, t->r2t_sn++);
		put_be32(p->hdr + 40, slot->off);
		put_be32(p->hdr + 44, len);
		t->data_sn++;	/* ExpDataSN counts R2Ts for writes */
		t->r2t_next += len;
		tx_queue(c, p, NULL, 0);
	}
}

void task_start(struct iscsi_task *t)
{
	if (t->aborted) {	/* while its PDU arrived (abort.c) */
		task_put(t);
		return;
	}
	if (t->setup_failed) {
		t->state = TASK_RESPONDING;
		send_scsi_response(t);
		tx_flush(t->conn);
		return;
	}
	if (t->cmd.dir == SCSI_DIR_WRITE && t->received < t->xfer_len) {
		t->state = TASK_DATA_OUT;
		t->r2t_next = MIN(t->unsol_end, t->xfer_len);
		send_r2ts(t);
		tx_schedule(t->conn);
		return;
	}
	task_exec(t);
}

/* ---- the command PDU ---- */

static void fail_setup(struct iscsi_task *t, uint8_t key, uint8_t asc, uint8_t ascq)
{
	scsi_cmd_release(&t->cmd);
	t->cmd.dir = SCSI_DIR_NONE;
	t->cmd.data_len = 0;
	t->cmd.status = SAM_STAT_CHECK_CONDITION;
	scsi_set_sense(&t->cmd, key, asc, ascq);
	t->setup_failed = true;
	t->xfer_len = 0;
}

/* Copies the CDB, extended by an AHS of type 1 (RFC 7143 11.2.1.2). */
static int parse_cdb(struct iscsi_conn *c, struct scsi_cmd *cmd)
{
	const uint8_t *bhs = c->hdr;
	uint32_t ahs_total = bhs_ahs_len(bhs), pos = 0;

	memcpy(cmd->cdb, bhs + 32, 16);
	cmd->cdb_len = 16;
	while (pos + 4 <= ahs_total) {
		const uint8_t *a = bhs + ISCSI_BHS_LEN + pos;
		uint32_t alen = get_be16(a);		/* bytes after the type */
		uint32_t span = (3 + alen + 3) & ~3u;	/* padded to 4 */
		if (pos + span > ahs_total || alen == 0)
			return -1;
		if (a[2] == 1) {		/* extended CDB */
			uint32_t ext = alen - 1;
			if (16 + ext > SCSI_CDB_MAX)
				return -1;
			memcpy(cmd->cdb + 16, a + 4, ext);
			cmd->cdb_len = (uint8_t)(16 + ext);
		} else if (a[2] != 2) {	/* bidi read length: ignored */
			return -1;
		}
		pos += span;
	}
	return pos == ahs_total ? 0 : -1;
}

int task_cmd_begin(struct iscsi_conn *c)
{
	const uint8_t *bhs = c->hdr;
	struct iscsi_session *s = c->sess;
	const struct iscsi_session_params *sp = &s->params;
	uint32_t itt = bhs_itt(bhs), cmdsn = get_be32(bhs + 24);
	uint32_t dsl = c->seg_len;
	bool imm = bhs_immediate(bhs);
	uint8_t flags = bhs[1];
	struct iscsi_task *t;
	uint64_t lun;

	c->rx_verdict = session_check_cmdsn(s, cmdsn, imm);
	if (c->rx_verdict == CMDSN_DROP) {
		tlog(LOG_DEBUG, "%s: CmdSN %u outside [%u,%u]: dropped", c->peer,
		     cmdsn, s->exp_cmdsn, session_max_cmdsn(s));
		c->rx_drop = true;
		return 0;
	}
	if (itt == ISCSI_RSVD_TAG || (flags & (ISCSI_CMD_READ | ISCSI_CMD_WRITE)) ==
					     (ISCSI_CMD_READ | ISCSI_CMD_WRITE)) {
		/* Bidirectional commands are not supported by the SCSI core. */
		conn_send_reject(c, bhs, itt == ISCSI_RSVD_TAG ?
				 ISCSI_REJECT_PROTOCOL_ERROR : ISCSI_REJECT_CMD_NOT_SUPPORTED);
		c->rx_drop = true;
		if (c->rx_verdict == CMDSN_NOW && !imm)
			session_take_cmdsn(s);
		return 0;
	}
	t = task_get(c);
	if (!t) {
		conn_send_reject(c, bhs, ISCSI_REJECT_IMM_CMD_REJECT);
		c->rx_drop = true;
		return 0;
	}
	task_stamp_seq(t);
	t->itt = itt;
	t->cmdsn = cmdsn;
	t->immediate = imm;
	if (!imm) {
		t->in_window = true;
		s->window_used++;
	}
	t->flags = flags;
	t->edtl = get_be32(bhs + 20);
	t->cmd.task_attr = flags & ISCSI_CMD_ATTR_MASK;
	t->cmd.nexus = &s->nexus;
	t->cmd.lun_ent = NULL;
	if (iscsi_lun_decode(bhs + 8, &lun)) {
		t->cmd.lun = lun;
		session_lun_lookup(s, t, lun);
	} else {
		t->cmd.lun = UINT64_MAX;
	}
	t->cmd.edtl = t->edtl;
	t->cmd.fabric_dir = flags & ISCSI_CMD_WRITE ? SCSI_DIR_WRITE :
			    flags & ISCSI_CMD_READ ? SCSI_DIR_READ : SCSI_DIR_NONE;
	t->cmd.pool = &c->w->pool;
	t->cmd.ring = c->w->ring;
	t->cmd.ops = &task_ops;
	c->rx_task = t;

	if (parse_cdb(c, &t->cmd) < 0) {
		fail_setup(t, 0x05, 0x24, 0x00);	/* INVALID FIELD IN CDB */
		return 0;
	}
	if (scsi_cmd_setup(&t->cmd) < 0) {
		t->setup_failed = true;
		t->cmd.data_len = 0;
		return 0;
	}
	if (t->cmd.dir == SCSI_DIR_WRITE) {
		t->write_tl = t->cmd.data_len;
		if (!(flags & ISCSI_CMD_WRITE)) {
			fail_setup(t, 0x05, 0x24, 0x00);	/* INVALID FIELD IN CDB */
			return 0;
		}
		/* A short EDTL writes only the whole blocks the initiator
		 * sends (RFC 7143 11.4.5.1: an overflow); never blocks it did
		 * not send. */
		if (t->edtl < t->cmd.data_len &&
		    scsi_cmd_shorten(&t->cmd, t->edtl) < 0) {
			/* INVALID FIELD IN INFORMATION UNIT */
			fail_setup(t, 0x05, 0x0e, 0x03);
			return 0;
		}
		t->xfer_len = t->cmd.data_len;
	}
	if (dsl) {
		if (!(flags & ISCSI_CMD_WRITE) || !sp->immediate_data ||
		    dsl > sp->first_burst || dsl > t->edtl) {
			tlog(LOG_NOTICE, "%s: immediate data of %u bytes not allowed "
			     "(EDTL %u, FirstBurstLength %u, ImmediateData %s)",
			     c->peer, dsl, t->edtl, sp->first_burst,
			     sp->immediate_data ? "Yes" : "No");
			fail_setup(t, 0x0b, 0x0c, 0x0d);  /* TOO MUCH WRITE DATA */
			return 0;
		}
	}
	if (!(flags & ISCSI_FLAG_FINAL)) {
		if (sp->initial_r2t || !(flags & ISCSI_CMD_WRITE)) {
			fail_setup(t, 0x0b, 0x0c, 0x0d);
			return 0;
		}
		t->more_unsolicited = true;
		t->unsol_end = MIN(sp->first_burst, t->edtl);
	} else {
		t->unsol_end = dsl;
	}
	t->unsol_got = dsl;
	if (t->cmd.dir == SCSI_DIR_WRITE && dsl) {
		c->seg_dst = t->cmd.buf;
		c->seg_dst_len = MIN(dsl, t->xfer_len);
	}
	return 0;
}

void task_cmd_end(struct iscsi_conn *c)
{
	struct iscsi_task *t = c->rx_task;
	struct iscsi_session *s = c->sess;

	if (!t->setup_failed && t->cmd.dir == SCSI_DIR_WRITE)
		t->received = MIN(c->seg_len, t->xfer_len);
	if (t->immediate) {
		task_start(t);
		return;
	}
	if (c->rx_verdict == CMDSN_LATER) {
		session_queue_task(s, t);
		return;
	}
	session_take_cmdsn(s);
	task_start(t);
	session_run_pending(s);
}

/* ---- Data-Out ---- */

static void dataout_violation(struct iscsi_conn *c, struct iscsi_task *t,
			      const char *why)
{
	tlog(LOG_NOTICE, "%s: Data-Out for ITT 0x%x: %s", c->peer, t->itt, why);
	conn_send_reject(c, c->hdr, ISCSI_REJECT_PROTOCOL_ERROR);
	c->rx_drop = true;
}

int task_dataout_begin(struct iscsi_conn *c)
{
	const uint8_t *bhs = c->hdr;
	uint32_t ttt = get_be32(bhs + 20), data_sn = get_be32(bhs + 36);
	uint32_t off = get_be32(bhs + 40), len = c->seg_len;
	struct iscsi_task *t = task_find_itt(c, bhs_itt(bhs));

	/* A write queued for its CmdSN (MC/S) takes its unsolicited data
	 * meanwhile: dropping it left the task waiting forever for data the
	 * initiator had sent and never sends again. */
	bool queued_write = t && t->state == TASK_WAIT_CMDSN && ttt == ISCSI_RSVD_TAG &&
			    !t->aborted && !t->setup_failed;

	c->rx_drop = true;
	if (!queued_write && (!t || t->state != TASK_DATA_OUT)) {
		/* Data for a command that already ended (an early status, an
		 * abort, or data beyond what we asked for) is discarded. So is
		 * the answer to an R2T of a task another nexus aborted: its
		 * initiator was not told (abort.c). Only a TTT this connection
		 * can never have issued is refused. */
		if (!t && ttt != ISCSI_RSVD_TAG && (ttt >> 16) >= ISCSI_TASKS_MAX)
			conn_send_reject(c, bhs, ISCSI_REJECT_INVALID_PDU_FIELD);
		return 0;
	}
	if (ttt == ISCSI_RSVD_TAG) {
		if (!t->more_unsolicited)
			return dataout_violation(c, t, "unsolicited data not expected"), 0;
		if (off != t->unsol_got || off + len > t->unsol_end)
			return dataout_violation(c, t, "unsolicited data out of range"), 0;
		if (data_sn != t->unsol_sn)
			return dataout_violation(c, t, "DataSN out of order"), 0;
		c->rx_r2t = -1;
	} else {
		struct r2t_slot *slot = NULL;
		for (unsigned i = 0; i < ISCSI_R2T_SLOTS; i++)
			if (t->r2t[i].used && t->r2t[i].ttt == ttt) {
				slot = &t->r2t[i];
				c->rx_r2t = (int)i;
				break;
			}
		if (!slot)
			return dataout_violation(c, t, "unknown Target Transfer Tag"), 0;
		if (data_sn != slot->data_sn)
			return dataout_violation(c, t, "DataSN out of order"), 0;
		if (off != slot->off + slot->got || off + len > slot->off + slot->len)
			return dataout_violation(c, t, "buffer offset outside the R2T"), 0;
	}
	c->rx_drop = false;
	c->rx_task = t;
	if (off < t->xfer_len) {
		c->seg_dst = t->cmd.buf + off;
		c->seg_dst_len = MIN(len, t->xfer_len - off);
	}
	return 0;
}

void task_dataout_end(struct iscsi_conn *c)
{
	struct iscsi_task *t = c->rx_task;
	const uint8_t *bhs = c->hdr;
	uint32_t off = get_be32(bhs + 40), len = c->seg_len;
	bool final = bhs[1] & ISCSI_FLAG_FINAL;

	if (off < t->xfer_len)
		t->received += MIN(len, t->xfer_len - off);
	if (c->rx_r2t < 0) {
		t->unsol_got += len;
		t->unsol_sn++;
		if (final || t->unsol_got >= t->unsol_end)
			t->more_unsolicited = false;
	} else {
		struct r2t_slot *slot = &t->r2t[c->rx_r2t];
		slot->got += len;
		slot->data_sn++;
		if (final || slot->got == slot->len) {
			if (slot->got != slot->len) {
				dataout_violation(c, t, "final PDU before the R2T's end");
				return;
			}
			slot->used = false;
			t->r2t_outstanding--;
		}
	}
	if (t->state == TASK_WAIT_CMDSN)
		return;		/* task_start() goes on from what arrived */
	if (t->received >= t->xfer_len && !t->r2t_outstanding) {
		task_exec(t);
		return;
	}
	send_r2ts(t);
	tx_flush(c);
}

/* ---- ending tasks early ---- */

void task_abort(struct iscsi_task *t)
{
	switch (t->state) {
	case TASK_WAIT_CMDSN:
		list_del(&t->pend);
		task_put(t);
		break;
	case TASK_NEW:
	case TASK_DATA_OUT:
		task_put(t);
		break;
	case TASK_EXEC:
		t->aborted = true;	/* task_done() frees it */
		scsi_cmd_abort(&t->cmd);
		break;
	case TASK_RESPONDING:	/* its PDUs' callbacks free it */
	case TASK_FREE:
		break;
	}
}
