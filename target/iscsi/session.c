/* Sessions: the table logins search (for reinstatement and for connections
 * joining a session), TSIH allocation, and the CmdSN window. The table is
 * the only fabric state shared between workers; it is touched at login and
 * logout, never per command. */
#include "iscsi/conn.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qblog.h>

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

struct iscsi_session *session_create(struct iscsi_conn *c)
{
	struct iscsi_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	list_init(&s->conns);
	list_init(&s->pending);
	s->worker = c->w;
	s->refs = 1;
	pthread_mutex_lock(&table_lock);
	do {
		s->tsih = next_tsih++;
		if (next_tsih == 0)
			next_tsih = 1;
	} while (tsih_in_use(s->tsih));
	list_add_tail(&s->link, &table);
	pthread_mutex_unlock(&table_lock);
	s->nexus.id = atomic_fetch_add(&next_nexus_id, 1);
	return s;
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
		if (!s->closing && s->tpg == tpg && !memcmp(s->isid, isid, 6) &&
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

void session_join_conn(struct iscsi_session *s, struct iscsi_conn *c)
{
	c->sess = s;
	list_add_tail(&c->slink, &s->conns);
	pthread_mutex_lock(&table_lock);
	s->joining--;
	s->nconns++;
	pthread_mutex_unlock(&table_lock);
}

void session_add_conn(struct iscsi_session *s, struct iscsi_conn *c)
{
	c->sess = s;
	list_add_tail(&c->slink, &s->conns);
	pthread_mutex_lock(&table_lock);
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
	qb_log(LOG_INFO, "session %s (TSIH %u) ended", s->nexus.i_port, s->tsih);
	pthread_mutex_lock(&table_lock);
	s->closing = true;
	pthread_mutex_unlock(&table_lock);
	session_put(s);
}

void session_remove_conn(struct iscsi_conn *c)
{
	struct iscsi_session *s = c->sess;

	if (!s)
		return;
	list_del(&c->slink);
	c->sess = NULL;
	pthread_mutex_lock(&table_lock);
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
	qb_log(LOG_NOTICE, "reinstating session %s (TSIH %u)", s->nexus.i_port,
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
