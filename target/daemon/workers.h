/* Worker threads: each runs its own event loop and io_uring, owns the
 * connections it is given from accept to close, and talks to other threads
 * only through its inbox. */
#ifndef TANDEM_DAEMON_WORKERS_H
#define TANDEM_DAEMON_WORKERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/evloop.h"
#include "iscsi/iscsi.h"

struct worker {
	unsigned id;
	pthread_t thread;
	bool started;
	struct evloop loop;
	struct evloop_inbox inbox;
	struct bs_ring *ring;
	struct ev_handler ring_h;
	struct ev_handler tick_h;
	struct iscsi_worker iw;
	bool stopping;			/* only the worker's thread reads it */
	struct evloop_msg stop_msg;
	struct evloop_msg follow_msg;
	atomic_bool follow_pending;
};

int worker_start(struct worker *w, unsigned id, char *err, size_t errlen);
/* Hands an accepted socket to w (thread-safe). */
void worker_give_conn(struct worker *w, int fd);
/* Asks w to move its sessions to the registry just published
 * (iscsi_worker_follow_registry on w's thread). */
void worker_follow_registry(struct worker *w);
/* Asks w to close its connections, drain its I/O and exit; then joins it. */
void worker_stop(struct worker *w);

#endif
