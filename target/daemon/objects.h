/* What the daemon serves, built from a parsed configuration: backstores,
 * logical units and the iSCSI targets over them. A live reconfiguration
 * builds a new set beside the live one, taking over the LUs of storage
 * objects that did not change, so their sessions never notice. */
#ifndef TANDEM_DAEMON_OBJECTS_H
#define TANDEM_DAEMON_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/evloop.h"
#include "daemon/config.h"
#include "iscsi/iscsi.h"

struct objects {
	struct tconfig *cfg;
	struct backstore **bs;		/* by cfg->storage index */
	struct scsi_lu **lus;
	bool *borrowed;			/* still owned by the set built from */
	unsigned nstorage;
	struct iscsi_registry reg;
	/* Posted to `inbox` when the last reference on reg goes (on
	 * whatever thread dropped it). */
	struct evloop_inbox *inbox;
	struct evloop_msg released;
	void (*on_released)(struct objects *o);
	void *released_arg;
};

/* Opens every backstore and builds every object; the LU of a storage
 * object in `from` with the same name and fixed settings is borrowed
 * rather than opened again (its in-place settings change at commit). On failure everything opened is released and err
 * says which object failed and why. */
int objects_build(struct objects *o, struct tconfig *cfg, struct objects *from,
		  char *err, size_t errlen);
/* The borrowed LUs become o's: from will not close them. */
void objects_take_over(struct objects *o, struct objects *from);
/* The index of storage object `name` in o, or -1. */
int objects_find_storage(const struct objects *o, const char *name);
/* Frees the objects and closes the LUs and backstores o owns. */
void objects_free(struct objects *o);

#endif
