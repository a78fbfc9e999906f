#include "daemon/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

static void format_portal(const struct iscsi_portal *p, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (p->addr.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&p->addr;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(out, len, "%s:%u", host, ntohs(a->sin_port));
	} else {
		const struct sockaddr_in6 *a = (const void *)&p->addr;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(out, len, "[%s]:%u", host, ntohs(a->sin6_port));
	}
}

static void accept_cb(struct ev_handler *h, uint32_t events)
{
	struct listener *l = container_of(h, struct listener, h);
	struct listeners *ls = l->set;

	for (int i = 0; i < 64; i++) {
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				tlog(LOG_WARNING, "accept on %s: %s", l->name,
				     strerror(errno));
			return;
		}
		worker_give_conn(&ls->workers[ls->next++ % ls->nworkers], fd);
	}
}

static bool same_portal(const struct iscsi_portal *a, const struct iscsi_portal *b)
{
	return a->addrlen == b->addrlen && !memcmp(&a->addr, &b->addr, a->addrlen);
}

static int open_one(struct listener *l, char *err, size_t errlen)
{
	int one = 1;
	int fd = socket(l->portal.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
			SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(err, errlen, "portal %s: socket: %s", l->name, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* An IPv6 wildcard must not also claim the IPv4 port. */
	if (l->portal.addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* The floating portal address arrives after the target starts
	 * (ocf:tandem:portal runs last), so bind before it exists. */
	if (l->portal.addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	else
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&l->portal.addr, l->portal.addrlen) < 0 ||
	    listen(fd, 128) < 0) {
		snprintf(err, errlen, "portal %s: %s", l->name, strerror(errno));
		close(fd);
		return -1;
	}
	l->h.fd = fd;
	l->h.cb = accept_cb;
	return 0;
}

void listeners_init(struct listeners *ls, struct evloop *loop,
		    struct worker *workers, unsigned nworkers)
{
	memset(ls, 0, sizeof(*ls));
	ls->loop = loop;
	ls->workers = workers;
	ls->nworkers = nworkers;
}

bool listeners_serving(const struct listeners *ls, const struct iscsi_portal *p)
{
	for (unsigned i = 0; i < ls->n; i++)
		if (same_portal(&ls->l[i]->portal, p))
			return true;
	return false;
}

static bool reg_has_portal(const struct iscsi_registry *reg,
			   const struct iscsi_portal *p)
{
	for (unsigned i = 0; i < reg->ntargets; i++)
		for (unsigned j = 0; j < reg->targets[i].ntpgs; j++) {
			const struct iscsi_tpg *g = &reg->targets[i].tpgs[j];
			for (unsigned k = 0; k < g->nportals; k++)
				if (same_portal(&g->portals[k], p))
					return true;
		}
	return false;
}

static int add_one(struct listeners *ls, const struct iscsi_portal *p,
		   char *err, size_t errlen)
{
	struct listener *l;

	if (ls->n == ls->cap) {
		unsigned cap = ls->cap ? 2 * ls->cap : 8;
		struct listener **nl = realloc(ls->l, cap * sizeof(*nl));
		if (!nl) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		ls->l = nl;
		ls->cap = cap;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->portal = *p;
	l->set = ls;
	l->fresh = true;
	format_portal(&l->portal, l->name, sizeof(l->name));
	if (open_one(l, err, errlen) < 0) {
		free(l);
		return -1;
	}
	if (evloop_add(ls->loop, &l->h, EPOLLIN) < 0) {
		snprintf(err, errlen, "portal %s: epoll: %s", l->name, strerror(errno));
		close(l->h.fd);
		free(l);
		return -1;
	}
	ls->l[ls->n++] = l;
	tlog(LOG_INFO, "listening on %s", l->name);
	return 0;
}

static void drop(struct listeners *ls, unsigned i)
{
	struct listener *l = ls->l[i];

	tlog(LOG_INFO, "no longer listening on %s", l->name);
	evloop_del(ls->loop, &l->h);
	close(l->h.fd);
	free(l);
	ls->l[i] = ls->l[--ls->n];
}

int listeners_open(struct listeners *ls, const struct iscsi_registry *reg,
		   char *err, size_t errlen)
{
	for (unsigned i = 0; i < reg->ntargets; i++)
		for (unsigned j = 0; j < reg->targets[i].ntpgs; j++) {
			const struct iscsi_tpg *g = &reg->targets[i].tpgs[j];
			for (unsigned k = 0; k < g->nportals; k++) {
				if (listeners_serving(ls, &g->portals[k]))
					continue;
				if (add_one(ls, &g->portals[k], err, errlen) < 0) {
					listeners_rollback(ls);
					return -1;
				}
			}
		}
	return 0;
}

void listeners_commit(struct listeners *ls, const struct iscsi_registry *reg)
{
	for (unsigned i = ls->n; i-- > 0;) {
		ls->l[i]->fresh = false;
		if (!reg_has_portal(reg, &ls->l[i]->portal))
			drop(ls, i);
	}
}

void listeners_rollback(struct listeners *ls)
{
	for (unsigned i = ls->n; i-- > 0;)
		if (ls->l[i]->fresh)
			drop(ls, i);
}

void listeners_close(struct listeners *ls)
{
	while (ls->n)
		drop(ls, ls->n - 1);
	free(ls->l);
	ls->l = NULL;
	ls->cap = 0;
}
