/* The state of a running tandemd that the main thread owns: its loop, the
 * live objects, the portals it listens on, the workers, and the control
 * socket with the reconfiguration it may be applying. */
#ifndef TANDEM_DAEMON_DAEMON_H
#define TANDEM_DAEMON_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/evloop.h"
#include "common/list.h"
#include "daemon/listener.h"
#include "daemon/objects.h"
#include "daemon/workers.h"

struct ctl_server;
struct apply;

struct tandemd {
	struct evloop loop;
	/* Messages to the main thread: a registry released, a flush done. */
	struct evloop_inbox inbox;
	const char *config_path;
	const char *socket_path;
	bool cold_start;
	struct worker *workers;
	unsigned nworkers;
	struct objects *live;
	struct listeners ls;
	uint64_t generation;		/* one per applied change */
	struct ctl_server *ctl;
	struct apply *applying;		/* the change being applied, or NULL */
	struct list_head apply_queue;	/* requests waiting for it */
	/* Objects replaced by a change, until their registry is released. */
	struct list_head retired;
};

/* The control socket's request handler (ctl_ops.c). */
struct ctl_request;
void ctl_ops_handle(struct ctl_request *req, json_t *body, void *arg);

/* apply_config (apply.c): answers req when the change is complete. */
void apply_request(struct tandemd *d, struct ctl_request *req, json_t *body);
/* Shutdown: finishes the change under way (the workers have stopped, so
 * nothing it waits for is still running) and refuses queued ones. */
void apply_shutdown(struct tandemd *d);

#endif
