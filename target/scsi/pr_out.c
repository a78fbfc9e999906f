/* PERSISTENT RESERVE OUT (SPC-4: registering, reserving, releasing,
 * clearing, preempting, registering and moving; the command itself).
 *
 * A command builds the next state in pr->next from the committed one,
 * writes it to the store and commits it when the write has completed, so
 * GOOD status always means durable. While that write is in flight the LU
 * is busy, and another PERSISTENT RESERVE OUT (or RESERVE/RELEASE) gets
 * BUSY status. Why not queue it: the write belongs to the command's own
 * worker ring, a waiting command to another worker's event loop that the
 * core cannot wake, and holding lu->lock across the I/O would stall every
 * worker's READ/WRITE. One write at a time is also what keeps the two-slot
 * store safe (only the slot being written can tear), and initiators retry
 * BUSY (SAM-5 status codes); PR commands are rare and never on the data path.
 *
 * The parameter list is hostile input: every length and count is checked
 * against the bytes that arrived before anything is read or copied. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scsi/pr.h"

#define BASIC_LEN 24u		/* the parameter list without TransportIDs */
#define SPEC_I_PT_LEN 28u	/* ... with the TransportID length field */

enum { PR_FAIL = -1, PR_SAME = 0, PR_CHANGED = 1 };

/* The CDB and the parameter list, decoded. */
struct pr_req {
	uint8_t sa, type;
	uint64_t rk, sark;
	bool spec_i_pt, all_tg_pt, aptpl, unreg;
	uint16_t rtpi;		/* REGISTER AND MOVE */
	const uint8_t *p;
	uint32_t len;
};

int pr_setup_out(struct scsi_cmd *cmd)
{
	uint8_t sa = cmd->cdb[1] & 0x1f;
	uint32_t len = get_be32(cmd->cdb + 5);

	switch (sa) {
	case PRO_RESERVE:
	case PRO_RELEASE:
	case PRO_PREEMPT:
	case PRO_PREEMPT_AND_ABORT:
		if (cmd->cdb[2] >> 4)			/* SCOPE: LU_SCOPE only */
			return scsi_fail_cdb(cmd, 2, 7);
		if (!pr_type_valid(cmd->cdb[2] & 0x0f))
			return scsi_fail_cdb(cmd, 2, 3);
		break;
	}
	/* SPC-4, PERSISTENT RESERVE OUT parameter list: 24 bytes, except
	 * for REGISTER with SPEC_I_PT (checked once
	 * the list has arrived) and REGISTER AND MOVE, which carry
	 * TransportIDs. */
	if (len < BASIC_LEN || len > PR_OUT_MAX_LEN ||
	    (len != BASIC_LEN && sa != PRO_REGISTER && sa != PRO_REGISTER_AND_MOVE))
		return scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	cmd->dir = SCSI_DIR_WRITE;
	cmd->data_len = len;
	return 0;
}

static int conflict(struct scsi_cmd *cmd)
{
	cmd->status = SAM_STAT_RESERVATION_CONFLICT;
	return PR_FAIL;
}

static int bad_param(struct scsi_cmd *cmd, unsigned byte, int bit)
{
	scsi_fail_param(cmd, byte, bit);
	return PR_FAIL;
}

static int bad_length(struct scsi_cmd *cmd)
{
	scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	return PR_FAIL;
}

static int no_room(struct scsi_cmd *cmd)
{
	scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_INSUFFICIENT_REG_RESOURCES);
	return PR_FAIL;
}

/* pr->next = a copy of the committed state with room for more. */
static int start_next(struct pr_lu *pr, struct scsi_cmd *cmd, unsigned room)
{
	if (pr_state_copy(&pr->next, &pr->st, room) < 0)
		return no_room(cmd);
	return PR_CHANGED;
}

static void reg_from_nexus(struct pr_reg *r, const struct scsi_nexus *n,
			   uint64_t key, bool all_tg_pt)
{
	memset(r, 0, sizeof(*r));
	r->key = key;
	snprintf(r->i_name, sizeof(r->i_name), "%s", n->i_name);
	snprintf(r->i_port, sizeof(r->i_port), "%s", n->i_port);
	snprintf(r->t_port, sizeof(r->t_port), "%s", n->tport->name);
	r->rtpi = n->tport->rtpi;
	r->all_tg_pt = all_tg_pt;
}

/* Whether two registrations can cover one I_T nexus. */
static bool overlap(const struct pr_reg *a, const struct pr_reg *b)
{
	if (strcasecmp(a->i_name, b->i_name))
		return false;
	if (a->i_port[0] && b->i_port[0] && strcasecmp(a->i_port, b->i_port))
		return false;
	return a->all_tg_pt || b->all_tg_pt || !strcasecmp(a->t_port, b->t_port);
}

static bool identical(const struct pr_reg *a, const struct pr_reg *b)
{
	return !strcasecmp(a->i_name, b->i_name) &&
	       !strcasecmp(a->i_port, b->i_port) &&
	       !strcasecmp(a->t_port, b->t_port) && a->all_tg_pt == b->all_tg_pt;
}

/* Whether registration r covers every I_T nexus that d names. */
static bool covers(const struct pr_reg *r, const struct pr_reg *d)
{
	if (!r->all_tg_pt && strcasecmp(r->t_port, d->t_port))
		return false;
	if (r->i_port[0])
		return d->i_port[0] && !strcasecmp(r->i_port, d->i_port);
	return !strcasecmp(r->i_name, d->i_name);
}

static void release(struct pr_state *s)
{
	s->reserved = false;
	s->type = 0;
	s->res_tport[0] = '\0';
	for (unsigned i = 0; i < s->nregs; i++)
		s->regs[i].holder = false;
}

static void reserve_for(struct pr_state *s, unsigned i, uint8_t type,
			const struct scsi_nexus *n)
{
	release(s);
	s->reserved = true;
	s->type = type;
	/* Every registrant holds an all-registrants reservation. */
	if (!pr_type_all_reg(type)) {
		s->regs[i].holder = true;
		snprintf(s->res_tport, sizeof(s->res_tport), "%s", n->tport->name);
	}
}

/* Drops the registrations marked in drop; returns where keep moved. */
static unsigned compact(struct pr_state *s, const bool *drop, unsigned keep)
{
	unsigned n = 0, moved = keep;

	for (unsigned j = 0; j < s->nregs; j++) {
		if (drop[j])
			continue;
		if (j == keep)
			moved = n;
		s->regs[n++] = s->regs[j];
	}
	s->nregs = n;
	return moved;
}

/* SPC-4, unregistering: unregisters registration i of pr->next, which still has the
 * committed state's indices. */
static void unregister(struct pr_lu *pr, unsigned i)
{
	struct pr_state *s = &pr->next;

	if (s->reserved) {
		if (pr_type_all_reg(s->type)) {
			if (s->nregs == 1)
				release(s);	/* the last registrant left */
		} else if (s->regs[i].holder) {
			if (s->type == PR_TYPE_WE_RO || s->type == PR_TYPE_EA_RO)
				for (unsigned j = 0; j < s->nregs; j++)
					if (j != i)
						pr->next_ua[j] = ASC_RESERVATIONS_RELEASED;
			release(s);
		}
	}
	pr_state_remove(s, i);
}

/* SPEC_I_PT: registers the I_T nexuses the TransportIDs name, through the
 * receiving target port, after the receiving nexus (registration me). */
static int add_tids(struct pr_lu *pr, struct scsi_cmd *cmd,
		    const struct pr_req *rq, unsigned me)
{
	struct pr_state *s = &pr->next;
	uint32_t off = SPEC_I_PT_LEN;

	while (off < rq->len) {
		struct pr_reg r;
		bool skip = false;
		int n;

		memset(&r, 0, sizeof(r));
		n = pr_tid_parse(rq->p + off, rq->len - off, &r);
		if (n < 0)
			return bad_param(cmd, off, -1);
		r.key = rq->sark;
		snprintf(r.t_port, sizeof(r.t_port), "%s", s->regs[me].t_port);
		r.rtpi = s->regs[me].rtpi;
		r.all_tg_pt = rq->all_tg_pt;
		/* Naming the receiving port, or a port twice, is harmless;
		 * naming one that is registered already is not (SPC-4). */
		for (unsigned j = 0; j < s->nregs && !skip; j++) {
			if (j >= me && identical(&r, &s->regs[j]))
				skip = true;
			else if (overlap(&r, &s->regs[j]))
				return bad_param(cmd, off, -1);
		}
		if (!skip) {
			if (s->nregs >= PR_MAX_REGS)
				return no_room(cmd);
			s->regs[s->nregs++] = r;
		}
		off += (uint32_t)n;
	}
	return PR_CHANGED;
}

static int do_register(struct pr_lu *pr, struct scsi_cmd *cmd,
		       const struct pr_req *rq)
{
	const struct scsi_nexus *me = cmd->nexus;
	const struct pr_state *old = &pr->st;
	bool ignore = rq->sa == PRO_REGISTER_IGNORE;
	int i = pr_find(old, me), ret;
	unsigned room = 1;

	if (rq->spec_i_pt) {
		if (rq->len < SPEC_I_PT_LEN ||
		    SPEC_I_PT_LEN + (uint64_t)get_be32(rq->p + 24) != rq->len)
			return bad_length(cmd);
		room += (rq->len - SPEC_I_PT_LEN) / 24;
	} else if (rq->len != BASIC_LEN) {
		return bad_length(cmd);
	}
	/* SPC-4, register behaviors: an unregistered nexus must give key 0, a registered one
	 * its key; REGISTER AND IGNORE EXISTING KEY skips the check. */
	if (!ignore && rq->rk != (i < 0 ? 0 : old->regs[i].key))
		return conflict(cmd);
	if (i >= 0 && rq->spec_i_pt)
		return bad_param(cmd, 20, 3);
	if (i < 0 && rq->sark == 0)
		return PR_SAME;
	if (rq->aptpl && pr->store.kind == SCSI_PR_STORE_NONE)
		return bad_param(cmd, 20, 0);
	if ((ret = start_next(pr, cmd, room)) < 0)
		return ret;
	struct pr_state *s = &pr->next;
	if (i >= 0 && rq->sark) {
		s->regs[i].key = rq->sark;
	} else if (i >= 0) {
		unregister(pr, (unsigned)i);
	} else {
		if (s->nregs >= PR_MAX_REGS)
			return no_room(cmd);
		reg_from_nexus(&s->regs[s->nregs], me, rq->sark, rq->all_tg_pt);
		/* With ALL_TG_PT the new registration would also cover this
		 * initiator port on a port where it is registered already. */
		for (unsigned j = 0; j < s->nregs; j++)
			if (overlap(&s->regs[j], &s->regs[s->nregs]))
				return bad_param(cmd, 20, 2);
		s->nregs++;
		if (rq->spec_i_pt && add_tids(pr, cmd, rq, s->nregs - 1) < 0)
			return PR_FAIL;
	}
	s->aptpl = rq->aptpl;
	s->generation++;
	return PR_CHANGED;
}

/* The registration of the sending nexus, checked against the key given;
 * -1 with RESERVATION CONFLICT set (SPC-4: every action but REGISTER
 * needs a registered sender with its key). */
static int sender(struct pr_lu *pr, struct scsi_cmd *cmd, const struct pr_req *rq)
{
	int i = pr_find(&pr->st, cmd->nexus);

	if (i < 0 || pr->st.regs[i].key != rq->rk)
		return conflict(cmd);
	return i;
}

static int do_reserve(struct pr_lu *pr, struct scsi_cmd *cmd,
		      const struct pr_req *rq)
{
	const struct pr_state *old = &pr->st;
	int i = sender(pr, cmd, rq), ret;

	if (i < 0)
		return PR_FAIL;
	if (old->reserved) {
		/* The holder may repeat its RESERVE, not change its type. */
		if (pr_holds(old, i, cmd->nexus) && old->type == rq->type)
			return PR_SAME;
		return conflict(cmd);
	}
	if ((ret = start_next(pr, cmd, 0)) < 0)
		return ret;
	reserve_for(&pr->next, (unsigned)i, rq->type, cmd->nexus);
	return PR_CHANGED;
}

static int do_release(struct pr_lu *pr, struct scsi_cmd *cmd,
		      const struct pr_req *rq)
{
	const struct pr_state *old = &pr->st;
	int i = sender(pr, cmd, rq), ret;

	if (i < 0)
		return PR_FAIL;
	if (!pr_holds(old, i, cmd->nexus))
		return PR_SAME;		/* nothing of ours to release: GOOD */
	if (old->type != rq->type) {
		scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_RELEASE_OF_PR);
		return PR_FAIL;
	}
	if ((ret = start_next(pr, cmd, 0)) < 0)
		return ret;
	/* SPC-4, releasing: releasing a registrants-only or all-registrants
	 * reservation tells every other registrant. */
	if (old->type != PR_TYPE_WE && old->type != PR_TYPE_EA)
		for (unsigned j = 0; j < old->nregs; j++)
			pr->next_ua[j] = ASC_RESERVATIONS_RELEASED;
	release(&pr->next);
	return PR_CHANGED;
}

static int do_clear(struct pr_lu *pr, struct scsi_cmd *cmd,
		    const struct pr_req *rq)
{
	int ret;

	if (sender(pr, cmd, rq) < 0)
		return PR_FAIL;
	if ((ret = start_next(pr, cmd, 0)) < 0)
		return ret;
	for (unsigned j = 0; j < pr->st.nregs; j++)
		pr->next_ua[j] = ASC_RESERVATIONS_PREEMPTED;
	pr_state_clear(&pr->next);
	pr->next.generation++;
	return PR_CHANGED;
}

/* SPC-4, preempting: PREEMPT and PREEMPT AND ABORT (whose task abort is
 * done at commit, pr_abort.c). */
static int do_preempt(struct pr_lu *pr, struct scsi_cmd *cmd,
		      const struct pr_req *rq)
{
	const struct pr_state *old = &pr->st;
	bool drop[PR_MAX_REGS] = { false };
	int i = sender(pr, cmd, rq), holder = -1, ret;
	bool ar = old->reserved && pr_type_all_reg(old->type);

	if (i < 0)
		return PR_FAIL;
	if (rq->sark == 0 && !ar)
		return bad_param(cmd, 8, -1);
	for (unsigned j = 0; j < old->nregs; j++)
		if (old->regs[j].holder)
			holder = (int)j;
	if ((ret = start_next(pr, cmd, 0)) < 0)
		return ret;
	struct pr_state *s = &pr->next;
	unsigned me = (unsigned)i;

	if ((holder >= 0 && old->regs[holder].key == rq->sark) || (ar && rq->sark == 0)) {
		/* Preempting the reservation: every other registration with
		 * the key goes (all of them for an all-registrants one), and
		 * the sender holds a reservation of the type it asks for. */
		for (unsigned j = 0; j < old->nregs; j++) {
			if (j == me || (rq->sark && old->regs[j].key != rq->sark))
				continue;
			drop[j] = true;
			pr->next_ua[j] = ASC_REGISTRATIONS_PREEMPTED;
		}
		if (old->type != rq->type)
			for (unsigned j = 0; j < old->nregs; j++)
				if (j != me && !drop[j])
					pr->next_ua[j] = ASC_RESERVATIONS_RELEASED;
		me = compact(s, drop, me);
		reserve_for(s, me, rq->type, cmd->nexus);
	} else {
		/* Removing registrations: those with the key go, the
		 * reservation stays as it is. */
		bool any = false;

		for (unsigned j = 0; j < old->nregs; j++) {
			if (old->regs[j].key != rq->sark)
				continue;
			any = true;
			/* An all-registrants holder keeps its own. */
			if (ar && j == me)
				continue;
			drop[j] = true;
			if (j != me)
				pr->next_ua[j] = ASC_REGISTRATIONS_PREEMPTED;
		}
		if (!any)
			return conflict(cmd);
		compact(s, drop, me);
	}
	s->generation++;
	return PR_CHANGED;
}

/* The target port REGISTER AND MOVE names: one of the LU's ports of the
 * receiving SCSI target device, by relative port identifier. */
static bool move_port(const struct pr_lu *pr, const struct scsi_nexus *n,
		      uint16_t rtpi, struct pr_reg *d)
{
	const struct scsi_tport *tp = n->tport;

	if (tp->rtpi == rtpi) {
		snprintf(d->t_port, sizeof(d->t_port), "%s", tp->name);
		d->rtpi = rtpi;
		return true;
	}
	for (unsigned i = 0; i < pr->nports; i++)
		if (pr->ports[i].rtpi == rtpi &&
		    !strcasecmp(pr->ports[i].target, tp->target_name)) {
			snprintf(d->t_port, sizeof(d->t_port), "%s", pr->ports[i].name);
			d->rtpi = rtpi;
			return true;
		}
	return false;
}

/* SPC-4, registering and moving: register the I_T nexus named by a TransportID and a relative
 * port, and hand it the sender's reservation. */
static int do_move(struct pr_lu *pr, struct scsi_cmd *cmd,
		   const struct pr_req *rq)
{
	const struct scsi_nexus *me = cmd->nexus;
	const struct pr_state *old = &pr->st;
	int i = sender(pr, cmd, rq), k = -1, ret;
	uint32_t tid_len = get_be32(rq->p + 20);
	struct pr_reg d;

	if (i < 0)
		return PR_FAIL;
	if (!old->reserved || pr_type_all_reg(old->type) || !pr_holds(old, i, me))
		return conflict(cmd);
	if (rq->sark == 0)
		return bad_param(cmd, 8, -1);
	if (tid_len < 24 || BASIC_LEN + (uint64_t)tid_len != rq->len)
		return bad_length(cmd);
	if (rq->aptpl && pr->store.kind == SCSI_PR_STORE_NONE)
		return bad_param(cmd, 17, 0);
	memset(&d, 0, sizeof(d));
	if (pr_tid_parse(rq->p + BASIC_LEN, tid_len, &d) != (int)tid_len)
		return bad_param(cmd, BASIC_LEN, -1);
	if (!move_port(pr, me, rq->rtpi, &d))
		return bad_param(cmd, 18, -1);
	d.key = rq->sark;
	/* Not to the sending I_T nexus itself, nor to one its own
	 * registration covers. */
	if (!strcasecmp(d.t_port, me->tport->name) &&
	    (d.i_port[0] ? !strcasecmp(d.i_port, me->i_port) : !strcasecmp(d.i_name, me->i_name)))
		return bad_param(cmd, BASIC_LEN, -1);
	for (unsigned j = 0; j < old->nregs && k < 0; j++)
		if (covers(&old->regs[j], &d))
			k = (int)j;
	if (k == i)
		return bad_param(cmd, BASIC_LEN, -1);
	for (unsigned j = 0; j < old->nregs && k < 0; j++)
		if (overlap(&old->regs[j], &d))
			return bad_param(cmd, BASIC_LEN, -1);
	if ((ret = start_next(pr, cmd, 1)) < 0)
		return ret;
	struct pr_state *s = &pr->next;
	if (k >= 0) {
		s->regs[k].key = rq->sark;
	} else {
		if (s->nregs >= PR_MAX_REGS)
			return no_room(cmd);
		k = (int)s->nregs;
		s->regs[s->nregs++] = d;
	}
	s->regs[i].holder = false;
	s->regs[k].holder = true;
	snprintf(s->res_tport, sizeof(s->res_tport), "%s", d.t_port);
	if (rq->unreg)
		pr_state_remove(s, (unsigned)i);
	s->aptpl = rq->aptpl;
	s->generation++;
	return PR_CHANGED;
}

static int apply(struct pr_lu *pr, struct scsi_cmd *cmd, const struct pr_req *rq)
{
	switch (rq->sa) {
	case PRO_REGISTER:
	case PRO_REGISTER_IGNORE:
		return do_register(pr, cmd, rq);
	case PRO_RESERVE:
		return do_reserve(pr, cmd, rq);
	case PRO_RELEASE:
		return do_release(pr, cmd, rq);
	case PRO_CLEAR:
		return do_clear(pr, cmd, rq);
	case PRO_PREEMPT:
	case PRO_PREEMPT_AND_ABORT:
		return do_preempt(pr, cmd, rq);
	default:
		return do_move(pr, cmd, rq);
	}
}

static void written(struct scsi_cmd *cmd, int err)
{
	struct scsi_lu *lu = cmd->lu;
	struct pr_lu *pr = lu_pr(lu);
	struct pr_abort *pa = NULL;

	pthread_mutex_lock(&lu->lock);
	if (!err) {
		/* The slot image in cmd->aux is on the medium: the buffer
		 * (4 KiB at least) holds the wait now. */
		pa = pr_abort_preempted_locked(cmd);
		pr_commit_locked(lu);
	} else {
		pr_state_free(&pr->next);
		memset(pr->next_ua, 0, sizeof(pr->next_ua));
	}
	pr->busy = false;
	pthread_mutex_unlock(&lu->lock);
	if (err == -ENOMEM)
		cmd->status = SAM_STAT_BUSY;
	else if (err)
		scsi_fail(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR);
	pr_out_finish(cmd, pa);
}

void pr_out(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	struct pr_lu *pr = lu_pr(lu);
	const uint8_t *p = cmd->buf;
	struct pr_abort *pa = NULL;
	struct pr_req rq = {
		.sa = cmd->op->sa & 0x1f, .type = cmd->cdb[2] & 0x0f,
		.rk = get_be64(p), .sark = get_be64(p + 8),
		.p = p, .len = cmd->data_len,
	};
	int ret;

	if (rq.sa == PRO_REGISTER_AND_MOVE) {
		rq.aptpl = p[17] & 0x01;
		rq.unreg = p[17] & 0x02;
		rq.rtpi = get_be16(p + 18);
	} else {
		rq.spec_i_pt = p[20] & 0x08;
		rq.all_tg_pt = p[20] & 0x04;
		rq.aptpl = p[20] & 0x01;
		/* SPC-4: SPEC_I_PT is valid for REGISTER only (ALL_TG_PT and
		 * APTPL are ignored where they do not apply). */
		if (rq.spec_i_pt && rq.sa != PRO_REGISTER) {
			scsi_fail_param(cmd, 20, 3);
			scsi_cmd_complete(cmd);
			return;
		}
	}
	if (rq.sa == PRO_PREEMPT_AND_ABORT && pr->store.kind == SCSI_PR_STORE_NONE &&
	    scsi_cmd_get_aux(cmd, PR_ABORT_SIZE) < 0) {
		cmd->status = SAM_STAT_BUSY;
		scsi_cmd_complete(cmd);
		return;
	}
	pthread_mutex_lock(&lu->lock);
	if (pr->spc2) {
		ret = conflict(cmd);	/* an SPC-2 RESERVE raced setup */
	} else if (pr->busy) {
		/* pr->next belongs to the command being written. */
		cmd->status = SAM_STAT_BUSY;
		ret = PR_FAIL;
	} else {
		ret = apply(pr, cmd, &rq);
		if (ret != PR_CHANGED) {
			pr_state_free(&pr->next);
			memset(pr->next_ua, 0, sizeof(pr->next_ua));
		}
	}
	if (ret == PR_CHANGED) {
		pr->next_except = cmd->nexus->id;
		if (pr->store.kind == SCSI_PR_STORE_NONE) {
			pa = pr_abort_preempted_locked(cmd);
			pr_commit_locked(lu);
		} else {
			pr->busy = true;
		}
	}
	pthread_mutex_unlock(&lu->lock);
	if (ret == PR_CHANGED && pr->store.kind != SCSI_PR_STORE_NONE)
		pr_store_write(cmd, pr, written);
	else
		pr_out_finish(cmd, pa);
}
