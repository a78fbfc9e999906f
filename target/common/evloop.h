/* A minimal epoll loop, one per worker thread. The daemon owns the loops and
 * their threads; the fabric registers its sockets here without knowing
 * which thread runs it. Not thread-safe: only the owning thread touches a
 * loop, other threads talk to it through an evloop_inbox. */
#ifndef TANDEM_COMMON_EVLOOP_H
#define TANDEM_COMMON_EVLOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "common/list.h"

struct ev_handler {
	int fd;
	uint32_t events;		/* EPOLLIN / EPOLLOUT currently armed */
	void (*cb)(struct ev_handler *h, uint32_t events);
};

struct evloop {
	int epfd;
	bool stop;
	struct list_head deferred;	/* evloop_defer() queue */
	/* Called once per iteration, before the loop sleeps. */
	void (*before_sleep)(void *arg);
	void *before_sleep_arg;
};

int evloop_init(struct evloop *l, char *err, size_t errlen);
void evloop_destroy(struct evloop *l);
int evloop_add(struct evloop *l, struct ev_handler *h, uint32_t events);
int evloop_mod(struct evloop *l, struct ev_handler *h, uint32_t events);
void evloop_del(struct evloop *l, struct ev_handler *h);
/* Runs one iteration: waits up to timeout_ms (-1 forever), dispatches. */
void evloop_run_once(struct evloop *l, int timeout_ms);

/* Work to run on the loop's thread at the end of this iteration (e.g. a
 * connection closing itself from inside its own callback). */
struct ev_deferred {
	struct list_head link;
	void (*fn)(struct ev_deferred *d);
};
void evloop_defer(struct evloop *l, struct ev_deferred *d);

/* Messages from other threads: a locked list plus an eventfd. Only for
 * rare events (a new connection, a session to close), never for I/O. */
struct evloop_msg {
	struct list_head link;
	void (*fn)(struct evloop_msg *m);
};

struct evloop_inbox {
	struct ev_handler h;
	pthread_mutex_t lock;
	struct list_head q;
};

int evloop_inbox_init(struct evloop *l, struct evloop_inbox *in, char *err,
		      size_t errlen);
void evloop_inbox_destroy(struct evloop *l, struct evloop_inbox *in);
/* Thread-safe. */
void evloop_inbox_post(struct evloop_inbox *in, struct evloop_msg *m);

#endif
