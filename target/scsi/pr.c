/* Reservations as every other command meets them, SPC-2 RESERVE and
 * RELEASE, PERSISTENT RESERVE IN, and a LU's reservation lifecycle.
 *
 * The conflict check runs for every command that reaches a LU, so its
 * common case is one atomic load: `restricted` is set only while a
 * persistent or SPC-2 reservation exists, and then the check classifies
 * the command (the tables of commands allowed in the presence of various
 * reservations, SPC-4 and SBC-3) and looks the nexus up among
 * the registrations under lu->lock. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scsi/atomic_journal.h"
#include "scsi/pr.h"

#define A PRC_SET
#define R (PRC_SET | PRC_READ)
#define W (PRC_SET | PRC_WRITE)

/* Opcodes of scsi_optab; those with service actions or CDB-dependent
 * rows are refined in pr_class(). SPC-2 (Reservations) lets only INQUIRY, REQUEST
 * SENSE, REPORT LUNS, RELEASE and PREVENT ALLOW (allow) through another
 * nexus's RESERVE; REPORT TARGET PORT GROUPS joins them, as the inquiry
 * commands of multipath path checkers. */
static const uint8_t pr_classes[256] = {
	[0x00] = A,				/* TEST UNIT READY */
	[0x03] = A | PRC_SPC2_OK,		/* REQUEST SENSE */
	[0x08] = R, [0x0a] = W,			/* READ(6), WRITE(6) */
	[0x12] = A | PRC_SPC2_OK,		/* INQUIRY */
	[0x15] = W, [0x55] = W,			/* MODE SELECT */
	/* RESERVE and RELEASE check their own rules when they run. */
	[0x16] = A,				/* RESERVE(6) */
	[0x17] = A | PRC_SPC2_OK,		/* RELEASE(6) */
	[0x1a] = R, [0x5a] = R,			/* MODE SENSE */
	[0x1b] = W,				/* START STOP UNIT */
	[0x1e] = W,				/* PREVENT ALLOW MEDIUM REMOVAL */
	[0x25] = A,				/* READ CAPACITY(10) */
	[0x28] = R, [0x2a] = W, [0x2e] = W, [0x2f] = R,
	[0x34] = R, [0x35] = W, [0x37] = R,	/* PRE-FETCH, SYNC CACHE, READ DEFECT */
	[0x41] = W, [0x42] = W,			/* WRITE SAME(10), UNMAP */
	[0x48] = W,				/* SANITIZE */
	[0x56] = A,				/* RESERVE(10) */
	[0x57] = A | PRC_SPC2_OK,		/* RELEASE(10) */
	[0x5e] = PRC_SET | PRC_PR, [0x5f] = PRC_SET | PRC_PR,
	[0x83] = W, [0x84] = R,			/* EXTENDED COPY, RECEIVE COPY RESULTS */
	[0x88] = R, [0x89] = W, [0x8a] = W, [0x8b] = W, [0x8e] = W, [0x8f] = R,
	[0x90] = R, [0x91] = W, [0x93] = W, [0x9c] = W,	/* ... WRITE ATOMIC(16) */
	[0x9e] = R,				/* SERVICE ACTION IN(16) */
	[0xa0] = A | PRC_SPC2_OK,		/* REPORT LUNS */
	[0xa3] = R,				/* MAINTENANCE IN */
	[0xa8] = R, [0xaa] = W, [0xae] = W, [0xaf] = R, [0xb7] = R,
};

unsigned pr_class(const uint8_t *cdb)
{
	switch (cdb[0]) {
	case 0x1b:
		/* SBC-3: starting the unit is harmless, stopping it or
		 * changing its power condition is not. */
		return (cdb[4] & 0x01) && !(cdb[4] >> 4) ? A : W;
	case 0x1e:
		return (cdb[4] & 0x03) ? W : A | PRC_SPC2_OK;
	case 0x9e:
		return (cdb[1] & 0x1f) == 0x10 ? A : R;	/* READ CAPACITY(16) */
	case 0xa3:
		if ((cdb[1] & 0x1f) == 0x0a)		/* REPORT TARGET PORT GROUPS */
			return A | PRC_SPC2_OK;
		return R;				/* REPORT SUPPORTED OPCODES */
	}
	return pr_classes[cdb[0]];
}

#undef A
#undef R
#undef W

static bool conflicts(const struct pr_lu *pr, const struct scsi_nexus *n,
		      unsigned cls)
{
	/* SPC-4, exceptions to SPC-2 RESERVE and RELEASE behavior: while an
	 * SPC-2 reservation exists, every PERSISTENT
	 * RESERVE IN and OUT conflicts, whoever sends it. */
	if (pr->spc2 && ((cls & PRC_PR) ||
			 (pr->spc2_nexus != n->id && !(cls & PRC_SPC2_OK))))
		return true;
	if (!pr->st.reserved || !(cls & (PRC_READ | PRC_WRITE)))
		return false;
	int i = pr_find(&pr->st, n);
	if (pr_holds(&pr->st, i, n))
		return false;
	switch (pr->st.type) {
	case PR_TYPE_WE:
		return cls & PRC_WRITE;
	case PR_TYPE_EA:
		return true;
	case PR_TYPE_WE_RO:
	case PR_TYPE_WE_AR:
		return i < 0 && (cls & PRC_WRITE);
	default:		/* EA_RO, EA_AR */
		return i < 0;
	}
}

static int reservation_conflict(struct scsi_cmd *cmd)
{
	cmd->status = SAM_STAT_RESERVATION_CONFLICT;
	cmd->sense_len = 0;
	return -1;
}

int scsi_pr_check(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	struct pr_lu *pr = lu_pr(lu);
	bool bad;

	if (!atomic_load_explicit(&pr->restricted, memory_order_acquire))
		return 0;
	unsigned cls = pr_class(cmd->cdb);
	pthread_mutex_lock(&lu->lock);
	bad = conflicts(pr, cmd->nexus, cls);
	pthread_mutex_unlock(&lu->lock);
	return bad ? reservation_conflict(cmd) : 0;
}

static void update_restricted(struct pr_lu *pr)
{
	atomic_store_explicit(&pr->restricted, pr->st.reserved || pr->spc2,
			      memory_order_release);
}

static bool reg_matches_nexus(const struct scsi_nexus *n, const void *arg)
{
	return pr_reg_matches(arg, n);
}

void pr_commit_locked(struct scsi_lu *lu)
{
	struct pr_lu *pr = lu_pr(lu);

	for (unsigned i = 0; i < pr->st.nregs; i++)
		if (pr->next_ua[i])
			scsi_ua_post_locked(lu, reg_matches_nexus, &pr->st.regs[i],
					    pr->next_except, pr->next_ua[i]);
	memset(pr->next_ua, 0, sizeof(pr->next_ua));
	pr_state_free(&pr->st);
	pr->st = pr->next;
	memset(&pr->next, 0, sizeof(pr->next));
	update_restricted(pr);
}

/* SPC-2 RESERVE(6)/(10) and RELEASE(6)/(10), logical unit only (the CDB
 * usage data refuses third-party and extent reservations). In memory:
 * a failover, like any I_T nexus loss or reset, ends them. */
void pr_spc2_reserve(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	struct pr_lu *pr = lu_pr(lu);

	pthread_mutex_lock(&lu->lock);
	if (pr->busy) {
		cmd->status = SAM_STAT_BUSY;
	} else if (pr->st.nregs || (pr->spc2 && pr->spc2_nexus != cmd->nexus->id)) {
		/* SPC-4 (exceptions to SPC-2 RESERVE and RELEASE): a
		 * registration makes every RESERVE conflict. */
		reservation_conflict(cmd);
	} else {
		pr->spc2 = true;
		pr->spc2_nexus = cmd->nexus->id;
		update_restricted(pr);
	}
	pthread_mutex_unlock(&lu->lock);
	scsi_cmd_complete(cmd);
}

void pr_spc2_release(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	struct pr_lu *pr = lu_pr(lu);

	pthread_mutex_lock(&lu->lock);
	if (pr->busy) {
		cmd->status = SAM_STAT_BUSY;
	} else if (pr->st.nregs) {
		reservation_conflict(cmd);
	} else if (pr->spc2 && pr->spc2_nexus == cmd->nexus->id) {
		/* From another nexus RELEASE does nothing and succeeds. */
		pr->spc2 = false;
		update_restricted(pr);
	}
	pthread_mutex_unlock(&lu->lock);
	scsi_cmd_complete(cmd);
}

void scsi_pr_nexus_gone_locked(struct scsi_lu *lu, const struct scsi_nexus *n)
{
	struct pr_lu *pr = lu_pr(lu);

	if (pr->spc2 && pr->spc2_nexus == n->id) {
		pr->spc2 = false;
		update_restricted(pr);
	}
}

void scsi_pr_reset_locked(struct scsi_lu *lu)
{
	struct pr_lu *pr = lu_pr(lu);

	if (pr->spc2) {
		pr->spc2 = false;
		update_restricted(pr);
	}
}

/* PERSISTENT RESERVE IN (SPC-4). The response is written straight
 * into the data-in buffer, cut at the allocation length, while its length
 * fields say what the whole response would take. */
struct rsp {
	uint8_t *p;
	uint32_t cap;
	uint32_t len;
};

static void emit(struct rsp *r, const void *src, size_t n)
{
	if (r->len < r->cap) {
		size_t room = r->cap - r->len;
		memcpy(r->p + r->len, src, n < room ? n : room);
	}
	r->len += (uint32_t)n;
}

static void emit_header(struct rsp *r, const struct pr_state *s, uint32_t addl)
{
	uint8_t h[8];

	put_be32(h, s->generation);
	put_be32(h + 4, addl);
	emit(r, h, 8);
}

static void read_keys(struct rsp *r, const struct pr_state *s)
{
	emit_header(r, s, 8 * s->nregs);
	for (unsigned i = 0; i < s->nregs; i++) {
		uint8_t k[8];
		put_be64(k, s->regs[i].key);
		emit(r, k, 8);
	}
}

static uint64_t reservation_key(const struct pr_state *s)
{
	/* SPC-4, READ RESERVATION: an all-registrants reservation has key
	 * zero. */
	if (!pr_type_all_reg(s->type))
		for (unsigned i = 0; i < s->nregs; i++)
			if (s->regs[i].holder)
				return s->regs[i].key;
	return 0;
}

static void read_reservation(struct rsp *r, const struct pr_state *s)
{
	uint8_t d[16];

	emit_header(r, s, s->reserved ? 16 : 0);
	if (!s->reserved)
		return;
	memset(d, 0, sizeof(d));
	put_be64(d, reservation_key(s));
	d[13] = s->type;		/* SCOPE 0h: LU_SCOPE */
	emit(r, d, sizeof(d));
}

static void report_capabilities(struct rsp *r, const struct pr_lu *pr)
{
	uint8_t d[8];

	memset(d, 0, sizeof(d));
	put_be16(d, 8);
	/* CRH (the SPC-2 exceptions are honoured), SIP_C, ATP_C, and PTPL_C when a store
	 * exists to persist through power loss. */
	d[2] = 0x10 | 0x08 | 0x04 | (pr->store.kind != SCSI_PR_STORE_NONE ? 0x01 : 0);
	/* TMV; ALLOW COMMANDS 001b: TEST UNIT READY passes Write Exclusive
	 * and Exclusive Access reservations; PTPL_A. */
	d[3] = 0x80 | 0x10 | (pr->st.aptpl ? 0x01 : 0);
	/* WR_EX_AR, EX_AC_RO, WR_EX_RO, EX_AC, WR_EX; EX_AC_AR. */
	d[4] = 0x80 | 0x40 | 0x20 | 0x08 | 0x02;
	d[5] = 0x01;
	emit(r, d, sizeof(d));
}

static void read_full_status(struct rsp *r, const struct pr_state *s)
{
	uint8_t tid[PR_TID_MAX], d[24];
	uint32_t addl = 0;

	for (unsigned i = 0; i < s->nregs; i++)
		addl += 24 + (uint32_t)pr_tid_build(&s->regs[i], tid);
	emit_header(r, s, addl);
	for (unsigned i = 0; i < s->nregs; i++) {
		const struct pr_reg *g = &s->regs[i];
		bool holder = s->reserved && (pr_type_all_reg(s->type) || g->holder);
		size_t tlen = pr_tid_build(g, tid);

		memset(d, 0, sizeof(d));
		put_be64(d, g->key);
		d[12] = (uint8_t)((g->all_tg_pt ? 0x02 : 0) | (holder ? 0x01 : 0));
		d[13] = holder ? s->type : 0;
		put_be16(d + 18, g->rtpi);
		put_be32(d + 20, (uint32_t)tlen);
		emit(r, d, sizeof(d));
		emit(r, tid, tlen);
	}
}

int pr_setup_in(struct scsi_cmd *cmd)
{
	scsi_cmd_datain(cmd, get_be16(cmd->cdb + 7), UINT16_MAX);
	return 0;
}

void pr_in(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	struct pr_lu *pr = lu_pr(lu);
	struct rsp r = { .p = cmd->buf, .cap = cmd->data_len, .len = 0 };

	pthread_mutex_lock(&lu->lock);
	if (pr->spc2) {
		/* An SPC-2 RESERVE raced the check at setup. */
		pthread_mutex_unlock(&lu->lock);
		reservation_conflict(cmd);
		scsi_cmd_complete(cmd);
		return;
	}
	switch (cmd->op->sa) {
	case PRI_READ_KEYS:
		read_keys(&r, &pr->st);
		break;
	case PRI_READ_RESERVATION:
		read_reservation(&r, &pr->st);
		break;
	case PRI_REPORT_CAPABILITIES:
		report_capabilities(&r, pr);
		break;
	case PRI_READ_FULL_STATUS:
		read_full_status(&r, &pr->st);
		break;
	}
	pthread_mutex_unlock(&lu->lock);
	if (r.len < cmd->data_len)
		cmd->data_len = r.len;
	scsi_cmd_complete(cmd);
}

int scsi_pr_attach(struct scsi_lu *lu, char *err, size_t errlen)
{
	struct pr_lu *pr = calloc(1, sizeof(*pr));

	if (!pr) {
		snprintf(err, errlen, "%s: out of memory", lu->cfg.name);
		return -1;
	}
	atomic_init(&pr->restricted, false);
	pr->store.kind = lu->cfg.pr_store;
	if (pr->store.kind != SCSI_PR_STORE_NONE &&
	    pr_store_attach(lu, pr, err, errlen) < 0) {
		free(pr);
		return -1;
	}
	update_restricted(pr);
	lu_core(lu)->pr = pr;
	return 0;
}

void scsi_pr_detach(struct scsi_lu *lu)
{
	struct pr_lu *pr = lu_pr(lu);

	if (!pr)
		return;
	pr_store_detach(&pr->store);
	pr_state_free(&pr->st);
	pr_state_free(&pr->next);
	free(pr->ports);
	free(pr);
	lu_core(lu)->pr = NULL;
}

int scsi_lu_add_port(struct scsi_lu *lu, const struct scsi_tport *tp)
{
	struct pr_lu *pr = lu_pr(lu);
	struct pr_port *p;

	for (unsigned i = 0; i < pr->nports; i++)
		if (!strcasecmp(pr->ports[i].name, tp->name))
			return 0;
	p = realloc(pr->ports, (pr->nports + 1) * sizeof(*p));
	if (!p)
		return -1;
	pr->ports = p;
	p += pr->nports++;
	snprintf(p->name, sizeof(p->name), "%s", tp->name);
	snprintf(p->target, sizeof(p->target), "%s", tp->target_name);
	p->rtpi = tp->rtpi;
	return 0;
}

void scsi_lu_pr_describe(struct scsi_lu *lu, char *buf, size_t len)
{
	struct pr_lu *pr = lu_pr(lu);
	const struct pr_state *s = &pr->st;
	const char *where;

	switch (pr->store.kind) {
	case SCSI_PR_STORE_INTERNAL:
		where = "internal store (last MiB of the backstore, hidden from the initiator)";
		break;
	case SCSI_PR_STORE_EXTERNAL:
		where = "external store";
		break;
	default:
		where = "memory only (pr_store none: lost when tandemd stops)";
		break;
	}
	char journal[320];
	int n;

	atomic_journal_describe(lu, journal, sizeof(journal));
	pthread_mutex_lock(&lu->lock);
	n = snprintf(buf, len, "persistent reservations in %s: %u registration(s), %s%s, generation %" PRIu32 ", APTPL %s",
		     where, s->nregs, s->reserved ? "reservation " : "no reservation",
		     s->reserved ? pr_type_name(s->type) : "", s->generation,
		     s->aptpl ? "on" : "off");
	pthread_mutex_unlock(&lu->lock);
	if (journal[0] && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "; %s", journal);
}
