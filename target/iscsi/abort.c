/* Ending tasks before their time: for a TMF of their own session, and for
 * the SCSI core when another nexus resets the LU or preempts-and-aborts
 * this one's registration (scsi_nexus_ops).
 *
 * A session's tasks are touched only by its worker, so a request from
 * another thread is posted to that worker's inbox, which looks the session
 * up by nexus id among its own connections: no reference to the session
 * crosses threads. A task in the core cannot be pulled back from the
 * backstore: it is marked, ends silently when it comes back (SAM-5 5.6 with
 * TAS=0, RFC 7143 4.2.3.3: no status for an aborted task), and releases
 * what waits for it then. */
#include "iscsi/conn.h"

#include <stdlib.h>

#include "common/log.h"

void task_stamp_seq(struct iscsi_task *t)
{
	struct iscsi_session *s = t->conn->sess;
	uint64_t seq = atomic_load_explicit(&s->task_seq, memory_order_relaxed) + 1;

	/* Relaxed is enough: the command's setup then takes its LU's lock,
	 * and an abort reads the counter under that same lock. A task set up
	 * before the abort took the lock is counted; one set up after it
	 * meets the reset's unit attention or the new reservations. */
	atomic_store_explicit(&s->task_seq, seq, memory_order_relaxed);
	t->seq = seq;
}

static void add_waiter(struct iscsi_task *t, struct scsi_abort *a)
{
	for (unsigned i = 0; i < ISCSI_ABORT_WAITERS; i++) {
		if (t->abort_waiters[i] == a)
			return;
		if (!t->abort_waiters[i]) {
			t->abort_waiters[i] = a;
			scsi_abort_hold(a);
			return;
		}
	}
	tlog(LOG_WARNING, "%s: ITT 0x%x aborted by more than %u functions at "
	     "once: the last one does not wait for it", t->conn->peer, t->itt,
	     ISCSI_ABORT_WAITERS);
}

void task_abort_wait(struct iscsi_task *t, struct scsi_abort *a)
{
	struct iscsi_conn *c = t->conn;

	switch (t->state) {
	case TASK_NEW:
		/* Its command PDU is still being read into its buffer (another
		 * connection of the session, or a request from another
		 * worker): task_start() drops it once the PDU is in. */
	case TASK_WAIT_CMDSN:
		/* Its CmdSN was received (RFC 7143 11.5.1): freeing it would
		 * leave a hole ExpCmdSN never passes. It keeps its place;
		 * session_run_pending() drops it when due. */
		t->aborted = true;
		break;
	case TASK_DATA_OUT:
		/* A Data-Out PDU half read into its buffer: the rest of it is
		 * read and discarded. */
		if (c->rx_task == t && c->rx_state != RX_HDR) {
			c->rx_drop = true;
			c->seg_dst = NULL;
		}
		task_put(t);
		break;
	case TASK_EXEC:
		t->aborted = true;
		add_waiter(t, a);
		/* Last: a command that ends at once (SANITIZE) frees t. */
		scsi_cmd_abort(&t->cmd);
		break;
	case TASK_RESPONDING:	/* its status is on its way already */
	case TASK_FREE:
		break;
	}
}

/* A request from the core, on its way to the worker of the nexus. */
struct abort_req {
	struct evloop_msg msg;
	struct iscsi_worker *w;
	uint64_t nexus_id;
	uint64_t upto;			/* tasks up to this seq */
	const struct scsi_lu *lu;
	const struct scsi_cmd *spare;
	struct scsi_abort *a;
};

static void abort_req_arrived(struct evloop_msg *m)
{
	struct abort_req *r = container_of(m, struct abort_req, msg);
	struct iscsi_conn *c;
	unsigned n = 0;

	list_for_each_entry(c, &r->w->conns, wlink) {
		struct iscsi_task *t, *tmp;

		if (!c->sess || c->sess->nexus.id != r->nexus_id)
			continue;
		list_for_each_entry_safe(t, tmp, &c->tasks, link)
			if (!t->is_tmf && t->state != TASK_FREE && t->cmd.lu == r->lu &&
			    &t->cmd != r->spare && t->seq <= r->upto) {
				task_abort_wait(t, r->a);
				n++;
			}
	}
	if (n)
		tlog(LOG_NOTICE, "nexus %llu: %u task(s) on LU %s aborted by "
		     "another I_T nexus", (unsigned long long)r->nexus_id, n,
		     r->lu->cfg.name);
	scsi_abort_release(r->a);
	free(r);
}

static void session_abort_tasks(const struct scsi_nexus *n, struct scsi_lu *lu,
				const struct scsi_cmd *spare, struct scsi_abort *a)
{
	const struct iscsi_session *s = container_of(n, struct iscsi_session, nexus);
	struct abort_req *r = malloc(sizeof(*r));

	if (!r) {
		tlog(LOG_ERR, "%s: out of memory: its tasks on LU %s are not "
		     "aborted", n->i_port, lu->cfg.name);
		return;
	}
	r->msg.fn = abort_req_arrived;
	r->w = s->worker;
	r->nexus_id = n->id;
	r->upto = atomic_load_explicit(&s->task_seq, memory_order_relaxed);
	r->lu = lu;
	r->spare = spare;
	r->a = a;
	scsi_abort_hold(a);
	evloop_inbox_post(s->worker->inbox, &r->msg);
}

const struct scsi_nexus_ops session_nexus_ops = {
	.abort_tasks = session_abort_tasks,
};
