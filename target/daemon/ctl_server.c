/* The libqb IPC plumbing of the control socket. libqb drives its sockets
 * through a table of poll callbacks; these adapters put them on tandemd's
 * own epoll loop, so the control socket shares the main thread with the
 * listeners and never needs a thread or a lock of its own. */
#include "daemon/ctl_server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qb/qbipcs.h>

#include "common/ctlproto.h"
#include "common/log.h"

/* One fd libqb asked us to poll. A removed one is freed at the end of the
 * loop iteration: epoll may still have an event for it in this batch. */
struct qb_poll {
	struct ev_handler h;
	struct list_head link;
	qb_ipcs_dispatch_fn_t fn;
	void *data;
	bool dead;
	struct ev_deferred free_d;
};

struct qb_job {
	struct ev_deferred d;
	qb_loop_job_dispatch_fn fn;
	void *data;
};

struct ctl_server {
	qb_ipcs_service_t *svc;
	struct evloop *loop;
	struct list_head polls;
	ctl_handler_fn handler;
	void *arg;
};

struct ctl_request {
	qb_ipcs_connection_t *conn;	/* referenced until the reply */
	int32_t id;
};

/* libqb's poll callbacks carry no context: one server a process. */
static struct ctl_server *server;

static void poll_cb(struct ev_handler *h, uint32_t events)
{
	struct qb_poll *p = container_of(h, struct qb_poll, h);

	if (p->dead)
		return;
	/* epoll's and poll's event bits have the same values. */
	if (p->fn(p->h.fd, (int32_t)events, p->data) < 0 && !p->dead) {
		p->dead = true;
		evloop_del(server->loop, &p->h);
		evloop_defer(server->loop, &p->free_d);
	}
}

static void poll_free(struct ev_deferred *d)
{
	struct qb_poll *p = container_of(d, struct qb_poll, free_d);

	list_del(&p->link);
	free(p);
}

static struct qb_poll *poll_find(int32_t fd)
{
	struct qb_poll *p;

	list_for_each_entry(p, &server->polls, link)
		if (p->h.fd == fd && !p->dead)
			return p;
	return NULL;
}

static int32_t dispatch_add(enum qb_loop_priority prio, int32_t fd, int32_t events,
			    void *data, qb_ipcs_dispatch_fn_t fn)
{
	struct qb_poll *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->h.fd = fd;
	p->h.cb = poll_cb;
	p->fn = fn;
	p->data = data;
	p->free_d.fn = poll_free;
	if (evloop_add(server->loop, &p->h, (uint32_t)events) < 0) {
		int e = errno;
		free(p);
		return -e;
	}
	list_add_tail(&p->link, &server->polls);
	return 0;
}

static int32_t dispatch_mod(enum qb_loop_priority prio, int32_t fd, int32_t events,
			    void *data, qb_ipcs_dispatch_fn_t fn)
{
	struct qb_poll *p = poll_find(fd);

	if (!p)
		return -ENOENT;
	p->fn = fn;
	p->data = data;
	return evloop_mod(server->loop, &p->h, (uint32_t)events) < 0 ? -errno : 0;
}

static int32_t dispatch_del(int32_t fd)
{
	struct qb_poll *p = poll_find(fd);

	if (!p)
		return -ENOENT;
	p->dead = true;
	evloop_del(server->loop, &p->h);
	evloop_defer(server->loop, &p->free_d);
	return 0;
}

static void job_run(struct ev_deferred *d)
{
	struct qb_job *j = container_of(d, struct qb_job, d);

	j->fn(j->data);
	free(j);
}

static int32_t job_add(enum qb_loop_priority prio, void *data,
		       qb_loop_job_dispatch_fn fn)
{
	struct qb_job *j = malloc(sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->d.fn = job_run;
	j->fn = fn;
	j->data = data;
	evloop_defer(server->loop, &j->d);
	return 0;
}

static int32_t conn_accept(qb_ipcs_connection_t *c, uid_t uid, gid_t gid)
{
	struct qb_ipcs_connection_stats st = { .client_pid = 0 };

	if (uid == 0 || uid == geteuid())
		return 0;
	qb_ipcs_connection_stats_get(c, &st, 0);
	if (geteuid() == 0)
		tlog(LOG_WARNING, "control socket: refused uid %u (pid %d): only "
		     "root may control tandemd", (unsigned)uid, (int)st.client_pid);
	else
		tlog(LOG_WARNING, "control socket: refused uid %u (pid %d): only "
		     "root and uid %u may control tandemd", (unsigned)uid,
		     (int)st.client_pid, (unsigned)geteuid());
	return -EACCES;
}

static void send_response(qb_ipcs_connection_t *c, int32_t id, json_t *resp)
{
	struct qb_ipc_response_header hdr = { .id = id, .error = 0 };
	char *body = json_dumps(resp, JSON_COMPACT);
	struct iovec iov[2];
	ssize_t n;

	if (body && strlen(body) > CTL_MAX_BODY) {
		free(body);
		body = strdup("{\"ok\":false,\"error\":\"response is over the 4 MiB limit\"}");
	}
	if (!body) {
		tlog(LOG_ERR, "control socket: cannot encode a response");
		return;
	}
	hdr.size = (int32_t)(sizeof(hdr) + strlen(body));
	iov[0] = (struct iovec){ &hdr, sizeof(hdr) };
	iov[1] = (struct iovec){ body, strlen(body) };
	n = qb_ipcs_response_sendv(c, iov, 2);
	if (n < 0)
		tlog(LOG_INFO, "control socket: response not delivered: %s",
		     strerror((int)-n));
	free(body);
}

void ctl_reply(struct ctl_request *req, json_t *resp)
{
	if (!resp)
		resp = json_pack("{s:b,s:s}", "ok", 0, "error", "out of memory");
	if (resp)
		send_response(req->conn, req->id, resp);
	json_decref(resp);
	qb_ipcs_connection_unref(req->conn);
	free(req);
}

void ctl_reply_error(struct ctl_request *req, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl_reply(req, json_pack("{s:b,s:s}", "ok", 0, "error", msg));
}

static int32_t msg_process(qb_ipcs_connection_t *c, void *data, size_t size)
{
	const struct qb_ipc_request_header *hdr = data;
	struct ctl_request *req = calloc(1, sizeof(*req));
	json_error_t jerr;
	json_t *body;

	if (!req)
		return 0;
	qb_ipcs_connection_ref(c);
	req->conn = c;
	req->id = CTL_MSG_JSON;
	if (size < sizeof(*hdr) || hdr->id != CTL_MSG_JSON) {
		ctl_reply_error(req, "not a tandem control request (message id %d)",
				size < sizeof(*hdr) ? -1 : (int)hdr->id);
		return 0;
	}
	if (size - sizeof(*hdr) > CTL_MAX_BODY) {
		ctl_reply_error(req, "request of %zu bytes is over the %u-byte limit",
				size - sizeof(*hdr), CTL_MAX_BODY);
		return 0;
	}
	body = json_loadb((const char *)data + sizeof(*hdr), size - sizeof(*hdr),
			  JSON_REJECT_DUPLICATES, &jerr);
	if (!body) {
		ctl_reply_error(req, "request is not valid JSON: line %d, column %d: %s",
				jerr.line, jerr.column, jerr.text);
		return 0;
	}
	if (!json_is_object(body) || !json_is_string(json_object_get(body, "op"))) {
		json_decref(body);
		ctl_reply_error(req, "request must be a JSON object with a string \"op\"");
		return 0;
	}
	server->handler(req, body, server->arg);
	json_decref(body);
	return 0;
}

struct ctl_server *ctl_server_start(const char *socket, struct evloop *loop,
				    ctl_handler_fn handler, void *arg,
				    char *err, size_t errlen)
{
	static struct qb_ipcs_service_handlers svc_handlers = {
		/* A request's handle holds its own reference on the
		 * connection, so nothing is kept per connection. */
		.connection_accept = conn_accept,
		.msg_process = msg_process,
	};
	static struct qb_ipcs_poll_handlers poll_handlers = {
		.job_add = job_add,
		.dispatch_add = dispatch_add,
		.dispatch_mod = dispatch_mod,
		.dispatch_del = dispatch_del,
	};
	char name[256];
	int rc;

	if (server) {
		snprintf(err, errlen, "control socket: already serving");
		return NULL;
	}
	if (ctl_service_name(socket, name, sizeof(name)) < 0) {
		snprintf(err, errlen, "control socket '%s': name empty or too long", socket);
		return NULL;
	}
	server = calloc(1, sizeof(*server));
	if (!server) {
		snprintf(err, errlen, "control socket: out of memory");
		return NULL;
	}
	server->loop = loop;
	server->handler = handler;
	server->arg = arg;
	list_init(&server->polls);
	server->svc = qb_ipcs_create(name, 0, QB_IPC_SOCKET, &svc_handlers);
	if (!server->svc) {
		snprintf(err, errlen, "control socket %s: %s", socket, strerror(errno));
		goto fail;
	}
	/* Every connection gets buffers for the largest message, whatever
	 * the client asked for. */
	qb_ipcs_enforce_buffer_size(server->svc, CTL_MAX_MSG);
	qb_ipcs_poll_handlers_set(server->svc, &poll_handlers);
	rc = qb_ipcs_run(server->svc);
	if (rc < 0) {
		/* qb_ipcs_run() has released the service itself. */
		snprintf(err, errlen, "control socket %s: %s (is another tandemd "
			 "serving it?)", socket, strerror(-rc));
		goto fail;
	}
	tlog(LOG_INFO, "control socket %s (libqb service %s)", socket, name);
	return server;
fail:
	free(server);
	server = NULL;
	return NULL;
}

void ctl_server_stop(struct ctl_server *srv)
{
	struct qb_poll *p, *tmp;

	if (!srv)
		return;
	qb_ipcs_destroy(srv->svc);
	/* Frees the adapters libqb removed, and runs its last jobs. */
	evloop_run_once(srv->loop, 0);
	list_for_each_entry_safe(p, tmp, &srv->polls, link) {
		if (!p->dead)
			evloop_del(srv->loop, &p->h);
		list_del(&p->link);
		free(p);
	}
	free(srv);
	server = NULL;
}
