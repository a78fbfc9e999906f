/* Listening sockets, one per distinct portal address in the config. The
 * main thread accepts and deals connections to the workers in turn. A live
 * reconfiguration opens the new portals before it commits (a bind that
 * fails refuses the change) and closes the ones gone after. */
#ifndef TANDEM_DAEMON_LISTENER_H
#define TANDEM_DAEMON_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/evloop.h"
#include "daemon/workers.h"
#include "iscsi/iscsi.h"

struct listener {
	struct ev_handler h;
	struct iscsi_portal portal;
	char name[80];
	struct listeners *set;
	bool fresh;			/* opened by the change under way */
};

struct listeners {
	struct listener **l;
	unsigned n, cap;
	unsigned next;			/* round-robin cursor */
	struct evloop *loop;
	struct worker *workers;
	unsigned nworkers;
};

void listeners_init(struct listeners *ls, struct evloop *loop,
		    struct worker *workers, unsigned nworkers);
/* Binds every portal of reg not bound yet (each distinct address once);
 * those are fresh until listeners_commit() or listeners_rollback(). */
int listeners_open(struct listeners *ls, const struct iscsi_registry *reg,
		   char *err, size_t errlen);
/* Keeps the fresh ones and closes those reg no longer has. */
void listeners_commit(struct listeners *ls, const struct iscsi_registry *reg);
/* Closes the fresh ones. */
void listeners_rollback(struct listeners *ls);
bool listeners_serving(const struct listeners *ls, const struct iscsi_portal *p);
void listeners_close(struct listeners *ls);

#endif
