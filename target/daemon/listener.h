/* Listening sockets, one per distinct portal address in the config. The
 * main thread accepts and deals connections to the workers in turn. */
#ifndef TANDEM_DAEMON_LISTENER_H
#define TANDEM_DAEMON_LISTENER_H

#include <stddef.h>

#include "common/evloop.h"
#include "daemon/workers.h"
#include "iscsi/iscsi.h"

struct listener {
	struct ev_handler h;
	struct iscsi_portal portal;
	char name[80];
	struct worker *workers;
	unsigned nworkers;
	unsigned *next;			/* shared round-robin cursor */
};

struct listeners {
	struct listener *l;
	unsigned n;
	unsigned next;
};

/* Binds every portal of every TPG (each distinct address once). */
int listeners_open(struct listeners *ls, const struct iscsi_registry *reg,
		   struct evloop *loop, struct worker *workers, unsigned nworkers,
		   char *err, size_t errlen);
void listeners_close(struct listeners *ls, struct evloop *loop);

#endif
