/* The fabric's per-worker state, and moving a connection that joined a
 * session (MC/S) to the worker that owns the session, so that a session's
 * state is only ever touched by one thread. */
#include "iscsi/conn.h"

#include <string.h>

#include "common/log.h"

void iscsi_worker_init(struct iscsi_worker *w, unsigned id, struct evloop *loop,
		       struct evloop_inbox *inbox, struct bs_ring *ring)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->loop = loop;
	w->inbox = inbox;
	w->ring = ring;
	bufpool_init(&w->pool, 64);
	list_init(&w->conns);
	list_init(&w->sessions);
}

bool iscsi_worker_shutdown(struct iscsi_worker *w)
{
	struct iscsi_conn *c, *tmp;

	list_for_each_entry_safe(c, tmp, &w->conns, wlink)
		conn_close(c, "target shutting down");
	return list_empty(&w->conns);
}

void iscsi_worker_destroy(struct iscsi_worker *w)
{
	bufpool_destroy(&w->pool);
}

static void handoff_arrive(struct evloop_msg *m)
{
	struct iscsi_conn *c = container_of(m, struct iscsi_conn, handoff);
	struct iscsi_session *s = c->sess;
	struct iscsi_worker *w = s->worker;

	c->sess = NULL;
	c->w = w;
	list_add_tail(&c->wlink, &w->conns);
	if (s->closing) {
		session_unreserve(s);
		session_put(s);
		conn_close(c, "session ended while the connection joined it");
		return;
	}
	session_join_conn(s, c);
	session_put(s);
	if (evloop_add(w->loop, &c->h, list_empty(&c->txq) ? EPOLLIN
						      : EPOLLIN | EPOLLOUT) < 0) {
		conn_close(c, "cannot poll the socket");
		return;
	}
	/* The old worker stopped reading after the final login PDU (see
	 * login_process()); what the initiator sent next may already sit in
	 * rxbuf, where epoll cannot see it. */
	conn_resume_rx(c);
	tlog(LOG_INFO, "%s: joined session TSIH %u (%u connections)", c->peer,
	     s->tsih, s->nconns);
}

void login_handoff(struct iscsi_conn *c, struct iscsi_session *s)
{
	if (s->worker == c->w) {
		session_join_conn(s, c);
		session_put(s);
		tlog(LOG_INFO, "%s: joined session TSIH %u (%u connections)",
		     c->peer, s->tsih, s->nconns);
		return;
	}
	/* Leave this worker; the session's worker takes over. The session
	 * pointer rides in c->sess until it arrives. */
	evloop_del(c->w->loop, &c->h);
	list_del(&c->wlink);
	c->sess = s;
	c->handoff.fn = handoff_arrive;
	evloop_inbox_post(s->worker->inbox, &c->handoff);
}
