/* Task management (RFC 7143 11.5): aborts and resets. A task that is in the
 * SCSI core cannot be pulled back from the backstore, so the TMF response
 * waits until every task it aborted has come back, and those tasks send no
 * status of their own. */
#include "iscsi/conn.h"

#include <qb/qblog.h>

static void tmf_respond(struct iscsi_task *tmf)
{
	struct iscsi_conn *c = tmf->conn;
	struct tx_pdu *p = tx_get(c);

	if (p) {
		p->hdr[0] = ISCSI_OP_TMF_RSP;
		p->hdr[1] = ISCSI_FLAG_FINAL;
		p->hdr[2] = tmf->tmf_response;
		put_be32(p->hdr + 16, tmf->itt);
		conn_stamp(c, p->hdr, true);
		tx_queue(c, p, NULL, 0);
		tx_flush(c);
	}
	if (tmf->flags == ISCSI_TMF_TARGET_COLD_RESET)
		c->close_after_tx = true;
	task_put(tmf);
}

void tmf_task_ended(struct iscsi_task *t)
{
	struct iscsi_task *tmf = t->tmf_wait;

	t->tmf_wait = NULL;
	if (tmf && --tmf->tmf_pending == 0)
		tmf_respond(tmf);
}

/* Aborts t on behalf of tmf; counts it if its end must be waited for. */
static void abort_one(struct iscsi_task *tmf, struct iscsi_task *t)
{
	if (t->is_tmf || t->state == TASK_FREE)
		return;
	if (t->state == TASK_WAIT_CMDSN) {
		/* Its CmdSN was received (RFC 7143 11.5.1): freeing it left a
		 * hole ExpCmdSN never passed, and every later command of the
		 * session waited forever. It keeps its place in CmdSN order;
		 * session_run_pending() drops it, with no status, when due. */
		t->aborted = true;
		return;
	}
	if (t->state == TASK_EXEC) {
		if (!t->aborted) {
			t->aborted = true;
			t->tmf_wait = tmf;
			tmf->tmf_pending++;
		}
		return;
	}
	if (t->state != TASK_RESPONDING)
		task_abort(t);
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
	/* One count for the TMF itself, so it cannot finish while aborting. */
	tmf->tmf_pending = 1;
	tmf->tmf_response = ISCSI_TMF_RSP_COMPLETE;
	qb_log(LOG_NOTICE, "%s: task management function %u (LUN %llu, RTT 0x%x)",
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
		scsi_lu_reset(ent->lu, &s->nexus);
		break;
	case ISCSI_TMF_TARGET_WARM_RESET:
	case ISCSI_TMF_TARGET_COLD_RESET:
		abort_matching(tmf, false, 0);
		for (unsigned i = 0; i < s->nexus.luns->count; i++)
			scsi_lu_reset(s->nexus.luns->ent[i].lu, &s->nexus);
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
	if (--tmf->tmf_pending == 0)
		tmf_respond(tmf);
}
