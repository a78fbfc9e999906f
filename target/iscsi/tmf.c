/* Task management (RFC 7143 11.5): aborts and resets. A task that is in the
 * SCSI core cannot be pulled back from the backstore, so the TMF response
 * waits until every task it aborted has come back, and those tasks send no
 * status of their own. A reset reaches the other sessions' tasks on the LU
 * too, whatever worker runs them (abort.c): the response waits for those
 * as well, while the connection stays up for it. */
#include "iscsi/conn.h"

#include "common/log.h"

static void tmf_respond(struct iscsi_task *tmf)
{
	struct iscsi_conn *c = tmf->conn;
	struct tx_pdu *p = tx_get(c);
	bool cold_reset = tmf->flags == ISCSI_TMF_TARGET_COLD_RESET;

	if (p) {
		p->hdr[0] = ISCSI_OP_TMF_RSP;
		p->hdr[1] = ISCSI_FLAG_FINAL;
		p->hdr[2] = tmf->tmf_response;
		put_be32(p->hdr + 16, tmf->itt);
		conn_stamp(c, p->hdr, true);
		tx_queue(c, p, NULL, 0);
	}
	/* The TMF's own task goes first: a cold reset's flush closes c. */
	task_put(tmf);
	if (cold_reset)
		conn_close_after_tx(c);
	else
		tx_flush(c);
}

/* Every task the TMF aborted is gone (posted by the last one to go). */
static void tmf_aborts_done(struct scsi_abort *a)
{
	struct iscsi_task *tmf = container_of(a, struct iscsi_task, tmf_abort);
	struct iscsi_conn *c = tmf->conn;

	c->exec_tasks--;
	if (c->state == CONN_CLOSED) {
		task_put(tmf);
		conn_exec_ended(c);
		return;
	}
	tmf_respond(tmf);
}

static void abort_one(struct iscsi_task *tmf, struct iscsi_task *t)
{
	if (!t->is_tmf)
		task_abort_wait(t, &tmf->tmf_abort);
}

static void abort_matching(struct iscsi_task *tmf, bool by_lun, uint64_t lun)
{
	struct iscsi_conn *c;

	list_for_each_entry(c, &tmf->conn->sess->conns, slink) {
		struct iscsi_task *t, *tmp;
		list_for_each_entry_safe(t, tmp, &c->tasks, link)
			if (!by_lun || t->cmd.lun == lun)
				abort_one(tmf, t);
	}
}

static struct iscsi_task *find_in_session(struct iscsi_session *s, uint32_t itt)
{
	struct iscsi_conn *c;

	list_for_each_entry(c, &s->conns, slink) {
		struct iscsi_task *t = task_find_itt(c, itt);
		if (t)
			return t;
	}
	return NULL;
}

void tmf_pdu(struct iscsi_conn *c)
{
	const uint8_t *bhs = c->hdr;
	struct iscsi_session *s = c->sess;
	uint8_t function = bhs[1] & 0x7f;
	uint32_t rtt = get_be32(bhs + 20), refcmdsn = get_be32(bhs + 32);
	uint64_t lun = UINT64_MAX;
	const struct scsi_lun_entry *ent = NULL;
	struct iscsi_task *tmf, *t;

	if (!bhs_immediate(bhs)) {
		enum cmdsn_verdict v = session_check_cmdsn(s, get_be32(bhs + 24), false);
		if (v == CMDSN_DROP)
			return;
		if (v == CMDSN_NOW)
			session_take_cmdsn(s);
	}
	if (iscsi_lun_decode(bhs + 8, &lun))
		ent = scsi_lun_table_find(s->nexus.luns, lun);
	tmf = task_get(c);
	if (!tmf) {
		conn_send_reject(c, bhs, ISCSI_REJECT_IMM_CMD_REJECT);
		return;
	}
	tmf->itt = bhs_itt(bhs);
	tmf->flags = function;
	tmf->state = TASK_RESPONDING;
	tmf->is_tmf = true;
	/* Holds one count itself, so it cannot finish while aborting. */
	scsi_abort_init(&tmf->tmf_abort, c->w->inbox, tmf_aborts_done);
	tmf->tmf_response = ISCSI_TMF_RSP_COMPLETE;
	tlog(LOG_NOTICE, "%s: task management function %u (LUN %llu, RTT 0x%x)",
	     c->peer, function, (unsigned long long)lun, rtt);

	switch (function) {
	case ISCSI_TMF_ABORT_TASK:
		t = find_in_session(s, rtt);
		if (t && t->state != TASK_RESPONDING) {
			abort_one(tmf, t);
		} else if (t || sn_lt(refcmdsn, s->exp_cmdsn) ||
			   sn_gt(refcmdsn, session_max_cmdsn(s))) {
			/* Already answered (its status is on the wire), or
			 * outside the window: there is no task to abort. */
			tmf->tmf_response = ISCSI_TMF_RSP_NO_TASK;
		}
		/* Otherwise the command was lost inside the window: RFC 7143
		 * 11.5.1 b) answers Function complete. */
		break;
	case ISCSI_TMF_ABORT_TASK_SET:
	case ISCSI_TMF_CLEAR_TASK_SET:
		if (!ent)
			tmf->tmf_response = ISCSI_TMF_RSP_NO_LUN;
		else
			abort_matching(tmf, true, lun);
		break;
	case ISCSI_TMF_LUN_RESET:
		if (!ent) {
			tmf->tmf_response = ISCSI_TMF_RSP_NO_LUN;
			break;
		}
		abort_matching(tmf, true, lun);
		scsi_lu_reset_abort(ent->lu, &s->nexus, true, &tmf->tmf_abort);
		break;
	case ISCSI_TMF_TARGET_WARM_RESET:
	case ISCSI_TMF_TARGET_COLD_RESET:
		/* Every LU this nexus reaches: the others of the target are
		 * out of its view, and of its right to reset. */
		abort_matching(tmf, false, 0);
		for (unsigned i = 0; i < s->nexus.luns->count; i++)
			scsi_lu_reset_abort(s->nexus.luns->ent[i].lu, &s->nexus,
					    false, &tmf->tmf_abort);
		break;
	case ISCSI_TMF_CLEAR_ACA:
		tmf->tmf_response = ISCSI_TMF_RSP_NOT_SUPPORTED;
		break;
	case ISCSI_TMF_TASK_REASSIGN:
		tmf->tmf_response = ISCSI_TMF_RSP_NO_REASSIGN;
		break;
	default:
		tmf->tmf_response = ISCSI_TMF_RSP_REJECTED;
		break;
	}
	if (scsi_abort_arm(&tmf->tmf_abort))
		tmf_respond(tmf);
	else
		c->exec_tasks++;	/* the connection waits for the answer */
}
