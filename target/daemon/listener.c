#include "daemon/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <qb/qblog.h>

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

	for (int i = 0; i < 64; i++) {
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				qb_log(LOG_WARNING, "accept on %s: %s", l->name,
				       strerror(errno));
			return;
		}
		struct worker *w = &l->workers[*l->next % l->nworkers];
		(*l->next)++;
		worker_give_conn(w, fd);
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

int listeners_open(struct listeners *ls, const struct iscsi_registry *reg,
		   struct evloop *loop, struct worker *workers, unsigned nworkers,
		   char *err, size_t errlen)
{
	unsigned max = 0;

	memset(ls, 0, sizeof(*ls));
	for (unsigned i = 0; i < reg->ntargets; i++)
		for (unsigned j = 0; j < reg->targets[i].ntpgs; j++)
			max += reg->targets[i].tpgs[j].nportals;
	ls->l = calloc(max ? max : 1, sizeof(*ls->l));
	if (!ls->l) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < reg->ntargets; i++)
		for (unsigned j = 0; j < reg->targets[i].ntpgs; j++) {
			const struct iscsi_tpg *g = &reg->targets[i].tpgs[j];
			for (unsigned k = 0; k < g->nportals; k++) {
				bool dup = false;
				for (unsigned m = 0; m < ls->n; m++)
					dup |= same_portal(&ls->l[m].portal, &g->portals[k]);
				if (dup)
					continue;
				struct listener *l = &ls->l[ls->n];
				l->portal = g->portals[k];
				l->workers = workers;
				l->nworkers = nworkers;
				l->next = &ls->next;
				format_portal(&l->portal, l->name, sizeof(l->name));
				if (open_one(l, err, errlen) < 0 ||
				    evloop_add(loop, &l->h, EPOLLIN) < 0) {
					listeners_close(ls, loop);
					return -1;
				}
				ls->n++;
				qb_log(LOG_INFO, "listening on %s", l->name);
			}
		}
	return 0;
}

void listeners_close(struct listeners *ls, struct evloop *loop)
{
	for (unsigned i = 0; i < ls->n; i++) {
		evloop_del(loop, &ls->l[i].h);
		close(ls->l[i].h.fd);
	}
	free(ls->l);
	memset(ls, 0, sizeof(*ls));
}
