#include "common/evloop.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int evloop_init(struct evloop *l, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	list_init(&l->deferred);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void evloop_destroy(struct evloop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int evloop_add(struct evloop *l, struct ev_handler *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };
	h->events = events;
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, h->fd, &ev);
}

int evloop_mod(struct evloop *l, struct ev_handler *h, uint32_t events)
{
	if (h->events == events)
		return 0;
	struct epoll_event ev = { .events = events, .data.ptr = h };
	h->events = events;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, h->fd, &ev);
}

void evloop_del(struct evloop *l, struct ev_handler *h)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, h->fd, NULL);
	h->events = 0;
}

void evloop_defer(struct evloop *l, struct ev_deferred *d)
{
	list_add_tail(&d->link, &l->deferred);
}

static void run_deferred(struct evloop *l)
{
	while (!list_empty(&l->deferred)) {
		struct ev_deferred *d =
			list_first_entry(&l->deferred, struct ev_deferred, link);
		list_del(&d->link);
		d->fn(d);
	}
}

void evloop_run_once(struct evloop *l, int timeout_ms)
{
	struct epoll_event evs[64];

	if (l->before_sleep)
		l->before_sleep(l->before_sleep_arg);
	if (!list_empty(&l->deferred))
		timeout_ms = 0;
	int n = epoll_wait(l->epfd, evs, 64, timeout_ms);
	for (int i = 0; i < n; i++) {
		struct ev_handler *h = evs[i].data.ptr;
		h->cb(h, evs[i].events);
	}
	run_deferred(l);
}

static void inbox_cb(struct ev_handler *h, uint32_t events)
{
	struct evloop_inbox *in = container_of(h, struct evloop_inbox, h);
	uint64_t v;
	struct list_head q;

	if (read(h->fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	list_init(&q);
	pthread_mutex_lock(&in->lock);
	while (!list_empty(&in->q)) {
		struct list_head *e = in->q.next;
		list_del(e);
		list_add_tail(e, &q);
	}
	pthread_mutex_unlock(&in->lock);
	while (!list_empty(&q)) {
		struct evloop_msg *m = list_first_entry(&q, struct evloop_msg, link);
		list_del(&m->link);
		m->fn(m);
	}
}

int evloop_inbox_init(struct evloop *l, struct evloop_inbox *in, char *err,
		      size_t errlen)
{
	pthread_mutex_init(&in->lock, NULL);
	list_init(&in->q);
	in->h.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	in->h.cb = inbox_cb;
	if (in->h.fd < 0 || evloop_add(l, &in->h, EPOLLIN) < 0) {
		snprintf(err, errlen, "inbox eventfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void evloop_inbox_destroy(struct evloop *l, struct evloop_inbox *in)
{
	evloop_del(l, &in->h);
	close(in->h.fd);
	pthread_mutex_destroy(&in->lock);
}

void evloop_inbox_post(struct evloop_inbox *in, struct evloop_msg *m)
{
	uint64_t one = 1;

	pthread_mutex_lock(&in->lock);
	list_add_tail(&m->link, &in->q);
	pthread_mutex_unlock(&in->lock);
	if (write(in->h.fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;
}
