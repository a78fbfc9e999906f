#include "daemon/workers.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "backstore/backstore.h"
#include "common/log.h"

#define RING_ENTRIES 256

struct conn_msg {
	struct evloop_msg msg;
	struct worker *w;
	int fd;
};

/* bs_ring_reap() clears the eventfd itself. */
static void ring_cb(struct ev_handler *h, uint32_t events)
{
	struct worker *w = container_of(h, struct worker, ring_h);

	bs_ring_reap(w->ring);
}

static void tick_cb(struct ev_handler *h, uint32_t events)
{
	struct worker *w = container_of(h, struct worker, tick_h);
	uint64_t v;

	if (read(h->fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	iscsi_worker_tick(&w->iw);
}

static void before_sleep(void *arg)
{
	struct worker *w = arg;

	/* Completions may have queued more I/O: reap, then submit the whole
	 * batch with one system call. */
	bs_ring_reap(w->ring);
	bs_ring_submit(w->ring);
}

static void conn_msg_fn(struct evloop_msg *m)
{
	struct conn_msg *cm = container_of(m, struct conn_msg, msg);

	if (cm->w->stopping)
		close(cm->fd);
	else
		iscsi_conn_accept(&cm->w->iw, cm->fd);
	free(cm);
}

static void stop_msg_fn(struct evloop_msg *m)
{
	struct worker *w = container_of(m, struct worker, stop_msg);

	w->stopping = true;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (!w->stopping) {
		evloop_run_once(&w->loop, -1);
	}
	/* Close every connection, then wait for the backstore to hand back
	 * every command still in flight before the buffers go away. */
	for (;;) {
		bool idle = iscsi_worker_shutdown(&w->iw);
		if (idle && bs_ring_inflight(w->ring) == 0)
			break;
		evloop_run_once(&w->loop, 100);
	}
	return NULL;
}

int worker_start(struct worker *w, unsigned id, char *err, size_t errlen)
{
	struct itimerspec one_second = {
		.it_interval = { .tv_sec = 1 },
		.it_value = { .tv_sec = 1 },
	};

	memset(w, 0, sizeof(*w));
	w->id = id;
	w->ring_h.fd = w->tick_h.fd = -1;
	if (evloop_init(&w->loop, err, errlen) < 0)
		return -1;
	if (evloop_inbox_init(&w->loop, &w->inbox, err, errlen) < 0)
		return -1;
	w->ring = bs_ring_create(RING_ENTRIES, err, errlen);
	if (!w->ring)
		return -1;
	w->ring_h.fd = bs_ring_eventfd(w->ring);
	w->ring_h.cb = ring_cb;
	w->tick_h.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	w->tick_h.cb = tick_cb;
	if (w->tick_h.fd < 0 || timerfd_settime(w->tick_h.fd, 0, &one_second, NULL) < 0 ||
	    evloop_add(&w->loop, &w->ring_h, EPOLLIN) < 0 ||
	    evloop_add(&w->loop, &w->tick_h, EPOLLIN) < 0) {
		snprintf(err, errlen, "worker %u: %s", id, strerror(errno));
		return -1;
	}
	w->loop.before_sleep = before_sleep;
	w->loop.before_sleep_arg = w;
	iscsi_worker_init(&w->iw, id, &w->loop, &w->inbox, w->ring);
	int rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc) {
		snprintf(err, errlen, "worker %u: pthread_create: %s", id, strerror(rc));
		return -1;
	}
	w->started = true;
	return 0;
}

void worker_give_conn(struct worker *w, int fd)
{
	struct conn_msg *m = malloc(sizeof(*m));

	if (!m) {
		tlog(LOG_ERR, "out of memory handing over a connection");
		close(fd);
		return;
	}
	m->msg.fn = conn_msg_fn;
	m->w = w;
	m->fd = fd;
	evloop_inbox_post(&w->inbox, &m->msg);
}

static void follow_msg_fn(struct evloop_msg *m)
{
	struct worker *w = container_of(m, struct worker, follow_msg);

	/* Cleared before following: a registry published from now on
	 * posts the message again (it is off the inbox queue already). */
	atomic_store(&w->follow_pending, false);
	iscsi_worker_follow_registry(&w->iw);
}

void worker_follow_registry(struct worker *w)
{
	/* A message still queued follows the newest registry anyway. */
	if (atomic_exchange(&w->follow_pending, true))
		return;
	w->follow_msg.fn = follow_msg_fn;
	evloop_inbox_post(&w->inbox, &w->follow_msg);
}

void worker_stop(struct worker *w)
{
	if (w->started) {
		w->stop_msg.fn = stop_msg_fn;
		evloop_inbox_post(&w->inbox, &w->stop_msg);
		pthread_join(w->thread, NULL);
		/* Messages that arrived after the last loop iteration. */
		evloop_run_once(&w->loop, 0);
		iscsi_worker_destroy(&w->iw);
	}
	if (w->tick_h.fd >= 0)
		close(w->tick_h.fd);
	if (w->ring)
		bs_ring_destroy(w->ring);
	if (w->inbox.h.fd > 0)
		evloop_inbox_destroy(&w->loop, &w->inbox);
	evloop_destroy(&w->loop);
}
