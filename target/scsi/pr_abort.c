/* PREEMPT AND ABORT's task abort (SPC-4 5.12.11.2.6), for pr_out.c: every
 * task of the I_T nexuses whose registrations the command removed is
 * aborted, except the command itself, and the command completes only once
 * they are gone. The wait lives in cmd->aux (the store slot image once it
 * is written, or a buffer of PR_ABORT_SIZE bytes), so nothing is
 * allocated on the way. */
#include "scsi/pr.h"

struct pr_abort {
	struct scsi_abort a;
	struct scsi_cmd *cmd;
	const struct pr_state *old;
	bool removed[PR_MAX_REGS];
};

_Static_assert(sizeof(struct pr_abort) <= PR_ABORT_SIZE, "cmd->aux holds the wait");

static bool preempted(const struct scsi_nexus *n, const void *arg)
{
	const struct pr_abort *pa = arg;

	for (unsigned j = 0; j < pa->old->nregs; j++)
		if (pa->removed[j] && pr_reg_matches(&pa->old->regs[j], n))
			return true;
	return false;
}

static void preempted_gone(struct scsi_abort *a)
{
	struct pr_abort *pa = container_of(a, struct pr_abort, a);

	scsi_cmd_complete(pa->cmd);
}

/* Called at the commit: a task of a preempted nexus was either set up
 * under the old state, and is aborted here, or will be under the new one. */
struct pr_abort *pr_abort_preempted_locked(struct scsi_cmd *cmd)
{
	struct pr_lu *pr = lu_pr(cmd->lu);
	struct pr_abort *pa = (struct pr_abort *)cmd->aux;
	bool any = false;
	int me;

	if ((cmd->op->sa & 0x1f) != PRO_PREEMPT_AND_ABORT)
		return NULL;
	me = pr_find(&pr->st, cmd->nexus);
	pa->cmd = cmd;
	pa->old = &pr->st;
	for (unsigned j = 0; j < pr->st.nregs; j++) {
		/* Exactly the removed registrations of other nexuses carry
		 * this unit attention (do_preempt()). */
		pa->removed[j] = pr->next_ua[j] == ASC_REGISTRATIONS_PREEMPTED;
		any |= pa->removed[j];
	}
	/* A sender that preempted its own key loses its other tasks too. */
	if (me >= 0 && pr_find(&pr->next, cmd->nexus) < 0) {
		pa->removed[me] = true;
		any = true;
	}
	if (!any)
		return NULL;
	scsi_abort_init(&pa->a, cmd->nexus->inbox, preempted_gone);
	scsi_lu_abort_locked(cmd->lu, preempted, pa, 0, cmd, &pa->a);
	return pa;
}

void pr_out_finish(struct scsi_cmd *cmd, struct pr_abort *pa)
{
	if (pa && !scsi_abort_arm(&pa->a))
		return;
	scsi_cmd_complete(cmd);
}

