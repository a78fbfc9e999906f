/* The live configuration written back as saveconfig.json (get_config). */
#ifndef TANDEM_DAEMON_CONFIG_DUMP_H
#define TANDEM_DAEMON_CONFIG_DUMP_H

#include <jansson.h>

#include "daemon/config.h"

/* A new document, or NULL when out of memory. */
json_t *config_dump(const struct tconfig *cfg);

#endif
