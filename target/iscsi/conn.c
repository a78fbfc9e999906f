/* A connection's life: accepted onto a worker, into full feature phase
 * after its login, closed (its queued PDUs released, its tasks ended), and
 * freed once nothing in the SCSI core still refers to it. The receive and
 * transmit paths are in conn_rx.c and conn_tx.c. */
#include "iscsi/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

static void conn_free_deferred(struct ev_deferred *d);

static void format_peer(int fd, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
			port = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
			port = ntohs(a->sin6_port);
		}
	}
	snprintf(out, outlen, "%s:%u", host, port);
}

void iscsi_conn_accept(struct iscsi_worker *w, int fd)
{
	struct iscsi_conn *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c) {
		tlog(LOG_ERR, "out of memory accepting a connection");
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->h.fd = fd;
	c->h.cb = conn_cb;
	c->w = w;
	c->state = CONN_LOGIN;
	c->rx_state = RX_HDR;
	c->hdr_need = ISCSI_BHS_LEN;
	c->params.max_send_dsl = ISCSI_LOGIN_DSL;
	c->params.max_recv_dsl = ISCSI_LOGIN_DSL;
	c->locallen = sizeof(c->local);
	getsockname(fd, (struct sockaddr *)&c->local, &c->locallen);
	format_peer(fd, c->peer, sizeof(c->peer));
	list_init(&c->txq);
	list_init(&c->tasks);
	list_init(&c->slink);
	c->rxbuf = malloc(ISCSI_RXBUF_SIZE);
	c->tasks_mem = calloc(ISCSI_TASKS_MAX, sizeof(*c->tasks_mem));
	if (!c->rxbuf || !c->tasks_mem) {
		tlog(LOG_ERR, "out of memory accepting %s", c->peer);
		free(c->rxbuf);
		free(c->tasks_mem);
		free(c);
		close(fd);
		return;
	}
	list_init(&c->task_free);
	for (int i = 0; i < ISCSI_TASKS_MAX; i++) {
		struct iscsi_task *t = &c->tasks_mem[i];
		t->conn = c;
		list_init(&t->pend);
		list_add_tail(&t->link, &c->task_free);
	}
	c->last_rx = now_s();
	c->login_deadline = c->last_rx + ISCSI_LOGIN_TIMEOUT_S;
	list_add_tail(&c->wlink, &w->conns);
	if (evloop_add(w->loop, &c->h, EPOLLIN) < 0) {
		tlog(LOG_ERR, "epoll add for %s: %s", c->peer, strerror(errno));
		conn_close(c, "cannot poll the socket");
		return;
	}
	tlog(LOG_INFO, "connection from %s on worker %u", c->peer, w->id);
}

void conn_enter_ffp(struct iscsi_conn *c)
{
	c->state = CONN_FFP;
	c->last_rx = now_s();
}

static void conn_try_free(struct iscsi_conn *c)
{
	if (c->exec_tasks || c->free_d.fn)
		return;
	c->free_d.fn = conn_free_deferred;
	evloop_defer(c->w->loop, &c->free_d);
}

void conn_close(struct iscsi_conn *c, const char *why)
{
	if (c->state == CONN_CLOSED)
		return;
	tlog(c->state == CONN_LOGGED_OUT ? LOG_INFO : LOG_NOTICE,
	     "%s: closing connection: %s", c->peer, why);
	c->state = CONN_CLOSED;
	evloop_del(c->w->loop, &c->h);
	shutdown(c->h.fd, SHUT_RDWR);
	tx_discard(c);
	struct iscsi_task *t, *tmp;
	list_for_each_entry_safe(t, tmp, &c->tasks, link)
		task_abort(t);
	conn_try_free(c);
}

void conn_exec_ended(struct iscsi_conn *c)
{
	if (c->state == CONN_CLOSED)
		conn_try_free(c);
}

static void conn_free_deferred(struct ev_deferred *d)
{
	struct iscsi_conn *c = container_of(d, struct iscsi_conn, free_d);

	if (c->exec_tasks) {
		c->free_d.fn = NULL;
		return;
	}
	if (c->resume_d.fn)
		list_del(&c->resume_d.link);
	if (c->flush_d.fn)
		list_del(&c->flush_d.link);
	session_remove_conn(c);
	login_free(c);
	list_del(&c->wlink);
	close(c->h.fd);
	tx_pool_free(c);
	free(c->text_req);
	free(c->text_rsp);
	free(c->segbuf);
	free(c->rxbuf);
	free(c->tasks_mem);
	free(c);
}
