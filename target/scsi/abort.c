/* Aborting the tasks of other I_T nexuses (SAM-5 5.6): LOGICAL UNIT RESET
 * and PREEMPT AND ABORT end every task another nexus has on the LU, and
 * the function that did it reports only once those tasks are gone.
 *
 * The core cannot reach a task: tasks belong to the fabric, on the worker
 * that runs their session. So it asks each nexus's fabric (through the
 * nexus's ops) and counts the answers with a struct scsi_abort, whose last
 * release is posted back to the starter's own thread. Nothing here runs
 * per command. */
#include "scsi/core.h"

static void abort_arrived(struct evloop_msg *m)
{
	struct scsi_abort *a = container_of(m, struct scsi_abort, msg);

	a->done(a);
}

void scsi_abort_init(struct scsi_abort *a, struct evloop_inbox *home,
		     void (*done)(struct scsi_abort *a))
{
	atomic_init(&a->holds, 1);
	a->home = home;
	a->done = done;
	a->msg.fn = abort_arrived;
}

void scsi_abort_hold(struct scsi_abort *a)
{
	atomic_fetch_add(&a->holds, 1);
}

void scsi_abort_release(struct scsi_abort *a)
{
	if (atomic_fetch_sub(&a->holds, 1) == 1)
		evloop_inbox_post(a->home, &a->msg);
}

bool scsi_abort_arm(struct scsi_abort *a)
{
	/* The starter's hold is the last one: nobody else can post done. */
	if (atomic_load(&a->holds) == 1) {
		atomic_store(&a->holds, 0);
		return true;
	}
	scsi_abort_release(a);
	return false;
}

struct abort_walk {
	struct scsi_lu *lu;
	bool (*match)(const struct scsi_nexus *n, const void *arg);
	const void *arg;
	uint64_t except_id;
	const struct scsi_cmd *spare;
	struct scsi_abort *a;
};

static void abort_nexus(const struct scsi_nexus *n, void *arg)
{
	struct abort_walk *w = arg;

	if (n->id == w->except_id || !n->ops || (w->match && !w->match(n, w->arg)))
		return;
	n->ops->abort_tasks(n, w->lu, w->spare, w->a);
}

void scsi_lu_abort_locked(struct scsi_lu *lu,
			  bool (*match)(const struct scsi_nexus *n, const void *arg),
			  const void *arg, uint64_t except_id,
			  const struct scsi_cmd *spare, struct scsi_abort *a)
{
	struct abort_walk w = {
		.lu = lu, .match = match, .arg = arg, .except_id = except_id,
		.spare = spare, .a = a,
	};

	scsi_ua_each_nexus_locked(lu, abort_nexus, &w);
}

/* The abort comes first: a command another nexus starts between the two
 * lock holds is not aborted, and meets the unit attention on its next
 * command, as if it had arrived just before the reset. The other way
 * round, a command sent after the unit attention had been reported could
 * be aborted with no status at all. */
void scsi_lu_reset_abort(struct scsi_lu *lu, const struct scsi_nexus *by,
			 bool ua_to_by, struct scsi_abort *a)
{
	pthread_mutex_lock(&lu->lock);
	scsi_lu_abort_locked(lu, NULL, NULL, by ? by->id : 0, NULL, a);
	pthread_mutex_unlock(&lu->lock);
	scsi_lu_reset(lu, ua_to_by ? NULL : by);
}

void scsi_cmd_abort(struct scsi_cmd *cmd)
{
	if (cmd->op && cmd->op->abort)
		cmd->op->abort(cmd);
}
