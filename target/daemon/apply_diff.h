/* What apply_config compares before it changes anything: the parts of a
 * desired configuration tandem cannot serve (dropped when the client asked
 * for skip_unsupported), settings that cannot change on a live object, and
 * the one-line descriptions of what will change. */
#ifndef TANDEM_DAEMON_APPLY_DIFF_H
#define TANDEM_DAEMON_APPLY_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "daemon/config.h"

/* Parses doc. With skip, an object the parser refuses as unsupported (and
 * what then refers to it) is removed from doc and recorded in refused as
 * {"path", "reason"}. NULL with err set when doc cannot be served. */
struct tconfig *apply_parse(json_t *doc, bool skip, json_t *refused,
			    char *err, size_t errlen);
/* -1 with err set if a storage object of both configurations differs in
 * a setting that cannot change while it is open, or while a LUN exports
 * it (storage_live.h): the error names the JSON path, the LUNs exporting
 * it, and why. */
int apply_check_live(const struct tconfig *live, const struct tconfig *want,
		     char *err, size_t errlen);
/* Appends one string per change from live to want; returns how many. */
unsigned apply_describe(const struct tconfig *live, const struct tconfig *want,
			json_t *changes);

#endif
