/* What the daemon serves, built from a parsed configuration: backstores,
 * logical units and the iSCSI targets over them. */
#ifndef TANDEM_DAEMON_OBJECTS_H
#define TANDEM_DAEMON_OBJECTS_H

#include <stddef.h>

#include "daemon/config.h"
#include "iscsi/iscsi.h"

struct objects {
	struct tconfig *cfg;
	struct backstore **bs;
	struct scsi_lu **lus;
	unsigned nstorage;
	struct iscsi_registry reg;
};

/* Opens every backstore and builds every object; on failure everything
 * built so far is released and err says which object failed and why. */
int objects_build(struct objects *o, struct tconfig *cfg, char *err, size_t errlen);
void objects_free(struct objects *o);

#endif
