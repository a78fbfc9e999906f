/* Sessions: the table logins search (for reinstatement and for connections
 * joining a session), TSIH allocation, and the CmdSN window. The table is
 * the only fabric state shared between workers; it is touched at login and
 * logout, never per command. */
#include "iscsi/conn.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct list_head table = LIST_HEAD_INIT(table);
static uint16_t next_tsih = 1;
static atomic_uint_fast64_t next_nexus_id = 1;

static bool tsih_in_use(uint16_t tsih)
{
	struct iscsi_session *s;

	list_for_each_entry(s, &table, link)
		if (s->tsih == tsih)
			return true;
	return false;
}

struct iscsi_session *session_create(struct iscsi_conn *c,
				     const struct session_identity *id)
{
	struct iscsi_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	list_init(&s->conns);
	list_init(&s->pending);
	s->worker = c->w;
	s->refs = 1;
	/* Everything other workers read under the table lock is in place
	 * before the session enters the table. */
	memcpy(s->iname, id->iname, sizeof(s->iname));
	memcpy(s->isid, id->isid, 6);
	s->discovery = id->tpg == NULL;
	s->reg = id->reg;
	s->tpg = id->tpg;
	s->acl = id->acl;
	if (id->tpg)
		s->tport = id->tpg->tport;
	s->nexus.id = atomic_fetch_add(&next_nexus_id, 1);
	s->nexus.ops = &session_nexus_ops;
	s->nexus.inbox = c->w->inbox;
	atomic_init(&s->task_seq, 0);
	pthread_mutex_lock(&table_lock);
	do {
		s->tsih = next_tsih++;
		if (next_tsih == 0)
			next_tsih = 1;
	} while (tsih_in_use(s->tsih));
	list_add_tail(&s->link, &table);
	pthread_mutex_unlock(&table_lock);
	list_add_tail(&s->wlink, &c->w->sessions);
	return s;
}

bool session_in_tpg(struct iscsi_session *s, const struct iscsi_tpg *tpg)
{
	bool same;

	pthread_mutex_lock(&table_lock);
	same = !s->discovery && iscsi_tpg_same(s->tpg, tpg);
	pthread_mutex_unlock(&table_lock);
	return same;
}

struct iscsi_session *session_find_tsih(uint16_t tsih)
{
	struct iscsi_session *s, *found = NULL;

	pthread_mutex_lock(&table_lock);
	list_for_each_entry(s, &table, link)
		if (s->tsih == tsih && !s->closing) {
			found = s;
			s->refs++;
			break;
		}
	pthread_mutex_unlock(&table_lock);
	return found;
}

struct iscsi_session *session_find_isid(const char *iname, const uint8_t *isid,
					const struct iscsi_tpg *tpg)
{
	struct iscsi_session *s, *found = NULL;

	pthread_mutex_lock(&table_lock);
	list_for_each_entry(s, &table, link)
		if (!s->closing && !s->discovery && iscsi_tpg_same(s->tpg, tpg) &&
		    !memcmp(s->isid, isid, 6) &&
		    !strcmp(s->iname, iname)) {
			found = s;
			s->refs++;
			break;
		}
	pthread_mutex_unlock(&table_lock);
	return found;
}

/* Joining logins run on other workers: the count they check and the count
 * the session's own worker changes are both kept under the table lock, so
 * two joins at once cannot both take the last place. */
bool session_reserve_conn(struct iscsi_session *s)
{
	bool ok;

	pthread_mutex_lock(&table_lock);
	ok = !s->closing && s->nconns + s->joining < s->params.max_connections;
	if (ok)
		s->joining++;
	pthread_mutex_unlock(&table_lock);
	return ok;
}

void session_unreserve(struct iscsi_session *s)
{
	pthread_mutex_lock(&table_lock);
	s->joining--;
	pthread_mutex_unlock(&table_lock);
}

/* The connection lists change under the table lock too, so that the
 * control socket's status can walk them from the main thread. */
void session_join_conn(struct iscsi_session *s, struct iscsi_conn *c)
{
	c->sess = s;
	pthread_mutex_lock(&table_lock);
	list_add_tail(&c->slink, &s->conns);
	s->joining--;
	s->nconns++;
	pthread_mutex_unlock(&table_lock);
}

void session_add_conn(struct iscsi_session *s, struct iscsi_conn *c)
{
	c->sess = s;
	pthread_mutex_lock(&table_lock);
	list_add_tail(&c->slink, &s->conns);
	s->nconns++;
	pthread_mutex_unlock(&table_lock);
}

void session_put(struct iscsi_session *s)
{
	bool last;

	pthread_mutex_lock(&table_lock);
	last = --s->refs == 0;
	if (last)
		list_del(&s->link);
	pthread_mutex_unlock(&table_lock);
	if (last)
		free(s);
}

static void session_end(struct iscsi_session *s)
{
	const struct scsi_lun_table *t = s->nexus.luns;

	if (t)
		for (unsigned i = 0; i < t->count; i++)
			scsi_lu_nexus_gone(t->ent[i].lu, &s->nexus);
	tlog(LOG_INFO, "session %s (TSIH %u) ended", s->nexus.i_port, s->tsih);
	list_del(&s->wlink);
	pthread_mutex_lock(&table_lock);
	s->closing = true;
	s->ended = true;
	pthread_mutex_unlock(&table_lock);
	/* Its LUs may go once no session points into this snapshot. */
	iscsi_registry_put(s->reg);
	s->reg = NULL;
	session_put(s);
}

void session_remove_conn(struct iscsi_conn *c)
{
	struct iscsi_session *s = c->sess;

	if (!s)
		return;
	c->sess = NULL;
	pthread_mutex_lock(&table_lock);
	list_del(&c->slink);
	bool last = --s->nconns == 0;
	pthread_mutex_unlock(&table_lock);
	if (last)
		session_end(s);
}

static void close_msg_fn(struct evloop_msg *m)
{
	struct iscsi_session *s = container_of(m, struct iscsi_session, close_msg);
	struct iscsi_conn *c, *tmp;

	list_for_each_entry_safe(c, tmp, &s->conns, slink)
		conn_close(c, "session reinstated by a new login");
	session_put(s);
}

void session_reinstate(struct iscsi_session *s, struct iscsi_worker *from)
{
	tlog(LOG_NOTICE, "reinstating session %s (TSIH %u)", s->nexus.i_port,
	     s->tsih);
	pthread_mutex_lock(&table_lock);
	if (s->closing) {
		pthread_mutex_unlock(&table_lock);
		return;
	}
	s->closing = true;
	s->refs++;
	pthread_mutex_unlock(&table_lock);
	s->close_msg.fn = close_msg_fn;
	if (s->worker == from)
		close_msg_fn(&s->close_msg);
	else
		evloop_inbox_post(s->worker->inbox, &s->close_msg);
}

uint32_t session_max_cmdsn(const struct iscsi_session *s)
{
	if (s->discovery)
		return s->exp_cmdsn;
	return s->exp_cmdsn + (ISCSI_QUEUE_DEPTH - s->window_used) - 1;
}

enum cmdsn_verdict session_check_cmdsn(struct iscsi_session *s, uint32_t cmdsn,
				       bool immediate)
{
	if (immediate)
		return CMDSN_NOW;
	if (cmdsn == s->exp_cmdsn)
		return CMDSN_NOW;
	if (sn_gt(cmdsn, s->exp_cmdsn) && !sn_gt(cmdsn, session_max_cmdsn(s)))
		return CMDSN_LATER;
	return CMDSN_DROP;
}

void session_queue_task(struct iscsi_session *s, struct iscsi_task *t)
{
	struct iscsi_task *p;

	t->state = TASK_WAIT_CMDSN;
	list_for_each_entry(p, &s->pending, pend)
		if (sn_lt(t->cmdsn, p->cmdsn)) {
			list_insert(&t->pend, p->pend.prev, &p->pend);
			return;
		}
	list_add_tail(&t->pend, &s->pending);
}

void session_take_cmdsn(struct iscsi_session *s)
{
	s->exp_cmdsn++;
}

void session_run_pending(struct iscsi_session *s)
{
	while (!list_empty(&s->pending)) {
		struct iscsi_task *t =
			list_first_entry(&s->pending, struct iscsi_task, pend);
		if (t->cmdsn != s->exp_cmdsn)
			break;
		list_del(&t->pend);
		s->exp_cmdsn++;
		if (t->aborted) {	/* by a TMF while it waited (tmf.c) */
			task_put(t);
			continue;
		}
		task_start(t);
	}
}

/* ---- following a new registry (live reconfiguration) ---- */

static bool lun_table_has(const struct scsi_lun_table *t, uint64_t lun,
			  const struct scsi_lu *lu)
{
	const struct scsi_lun_entry *e = scsi_lun_table_find(t, lun);

	return e && (!lu || e->lu == lu);
}

static bool lu_in_table(const struct scsi_lun_table *t, const struct scsi_lu *lu)
{
	for (unsigned i = 0; t && i < t->count; i++)
		if (t->ent[i].lu == lu)
			return true;
	return false;
}

/* Target-initiated logout (RFC 7143 11.9.1, AsyncEvent 1): the initiator
 * learns why its connection goes, and the connection closes as soon as the
 * message is out. */
static void session_logout(struct iscsi_session *s, const char *why)
{
	struct iscsi_conn *c, *tmp;

	tlog(LOG_NOTICE, "session %s (TSIH %u): logging out: %s", s->nexus.i_port,
	     s->tsih, why);
	pthread_mutex_lock(&table_lock);
	s->closing = true;
	pthread_mutex_unlock(&table_lock);
	list_for_each_entry_safe(c, tmp, &s->conns, slink) {
		struct tx_pdu *p;

		if (c->state != CONN_FFP || !(p = tx_get(c))) {
			conn_close(c, why);
			continue;
		}
		p->hdr[0] = ISCSI_OP_ASYNC;
		p->hdr[1] = ISCSI_FLAG_FINAL;
		put_be32(p->hdr + 16, 0xffffffffu);
		conn_stamp(c, p->hdr, true);
		p->hdr[36] = 1;			/* logout requested */
		put_be16(p->hdr + 42, 0);	/* Parameter3: log out now */
		tx_queue(c, p, NULL, 0);
		conn_close_after_tx(c);
	}
}

/* s moves to reg: its TPG and ACL by name, and the LUN table new commands
 * look up. Only s's worker reads the table, so swapping it is safe here. */
static void session_follow(struct iscsi_session *s, struct iscsi_registry *reg)
{
	const struct iscsi_tpg *tpg;
	const struct iscsi_acl *acl;
	const struct scsi_lun_table *old, *now;
	const char *why = NULL;
	bool changed;

	if (s->discovery || s->closing || s->reg == reg)
		return;
	tpg = iscsi_registry_find_tpg(reg, s->tport.target_name, s->tpg->tag);
	acl = tpg ? tpg_find_acl(tpg, s->iname) : NULL;
	if (!tpg)
		why = "its TPG was removed";
	else if (!tpg->enabled)
		why = "its TPG was disabled";
	else if (s->acl && !acl)
		why = "its ACL was deleted";
	else if (!acl && !tpg->demo_mode)
		why = "the TPG no longer admits it";
	if (why) {
		session_logout(s, why);
		return;
	}
	old = s->nexus.luns;
	now = tpg_luns_for(tpg, acl);
	changed = old->count != now->count;
	for (unsigned i = 0; i < now->count && !changed; i++)
		changed = !lun_table_has(old, now->ent[i].lun, now->ent[i].lu);
	for (unsigned i = 0; i < old->count; i++)
		if (!lu_in_table(now, old->ent[i].lu))
			scsi_lu_nexus_gone(old->ent[i].lu, &s->nexus);
	if (changed)
		for (unsigned i = 0; i < now->count; i++)
			scsi_lu_ua_nexus(now->ent[i].lu, &s->nexus, 0x3f, 0x0e);
	pthread_mutex_lock(&table_lock);
	s->tpg = tpg;
	s->acl = acl;
	pthread_mutex_unlock(&table_lock);
	s->nexus.luns = now;
	atomic_fetch_add(&reg->refs, 1);
	iscsi_registry_put(s->reg);
	s->reg = reg;
	if (changed)
		tlog(LOG_INFO, "session %s (TSIH %u): LUNs changed (%u now)",
		     s->nexus.i_port, s->tsih, now->count);
}

void iscsi_worker_follow_registry(struct iscsi_worker *w)
{
	struct iscsi_registry *reg = iscsi_registry_get();
	struct iscsi_session *s, *stmp;
	struct iscsi_conn *c, *ctmp;

	if (!reg)
		return;
	list_for_each_entry_safe(s, stmp, &w->sessions, wlink)
		session_follow(s, reg);
	list_for_each_entry_safe(c, ctmp, &w->conns, wlink)
		if (c->state == CONN_LOGIN && c->login)
			login_follow(c, reg);
	iscsi_registry_put(reg);
}

/* ---- what the control socket reports ---- */

#define INFO_CONNS_MAX 32

void iscsi_sessions_foreach(void (*fn)(const struct iscsi_session_info *si, void *arg),
			    void *arg)
{
	struct iscsi_conn_info ci[INFO_CONNS_MAX];
	struct iscsi_session *s;
	struct iscsi_conn *c;

	pthread_mutex_lock(&table_lock);
	list_for_each_entry(s, &table, link) {
		struct iscsi_session_info si = {
			.target = s->discovery ? NULL : s->tport.target_name,
			.tag = s->discovery ? 0 : s->tpg->tag,
			.initiator = s->iname,
			.isid = s->isid,
			.tsih = s->tsih,
			.conns = ci,
		};
		if (s->ended)
			continue;
		list_for_each_entry(c, &s->conns, slink) {
			if (si.nconns == INFO_CONNS_MAX)
				break;
			ci[si.nconns++] = (struct iscsi_conn_info){
				.cid = c->cid, .local = &c->local, .peer = c->peer,
			};
		}
		fn(&si, arg);
	}
	pthread_mutex_unlock(&table_lock);
}

/* ---- the LUN of a command ---- */

void session_lun_lookup(struct iscsi_session *s, struct iscsi_task *t, uint64_t lun)
{
	const struct scsi_lun_entry *e = scsi_lun_table_find(s->nexus.luns, lun);

	t->cmd.lun_ent = NULL;
	if (!e)
		return;
	t->lun = *e;
	scsi_lu_hold(t->lun.lu);
	t->cmd.lun_ent = &t->lun;
}

void session_lun_release(struct iscsi_task *t)
{
	if (t->cmd.lun_ent) {
		scsi_lu_unhold(t->lun.lu);
		t->cmd.lun_ent = NULL;
	}
}
