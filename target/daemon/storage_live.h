/* What apply_config may change on a storage object that is open, and how
 * (docs/tandemctl.md, "Storage object settings on a live object"). Some
 * settings change in place: the LU keeps its sessions, its reservations
 * and its unit attention state, takes the new value, and every I_T nexus
 * that addressed it gets the unit attention SPC-4 asks for. The others are
 * what initiators and the peer node identify the LU by, or what its data
 * and reservation store are laid out by; they are refused with the reason.
 * write_back changes in place too, but goes on only while no LUN exports
 * the object: initiators do not look for a cache that appears. */
#ifndef TANDEM_DAEMON_STORAGE_LIVE_H
#define TANDEM_DAEMON_STORAGE_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "daemon/config.h"

/* The first setting of want (the same storage object as live, by name)
 * that cannot change while the object is open: its key under the object
 * ("attributes.block_size") with *why set to the reason, or NULL when
 * every difference can be made in place. why may be NULL. */
const char *storage_fixed_change(const struct cfg_storage *live,
				 const struct cfg_storage *want, const char **why);

/* For an object that live exports (luns: its LUNs, as the message names
 * them), and whose fixed settings want keeps: -1 with err set when want
 * changes an in-place setting that may not change while initiators use
 * the LU, i.e. turns write_back on. index: the object's place in want. */
int storage_check_exported(const struct cfg_storage *live, const struct cfg_storage *want,
			   unsigned index, const char *luns, char *err, size_t errlen);

/* Appends one line per setting that changes in place; returns how many. */
unsigned storage_describe_live(const struct cfg_storage *live,
			       const struct cfg_storage *want, json_t *changes);

/* On the main thread, once the change is committed: lu (over bs) takes
 * want's in-place settings, and every nexus that addressed it gets the
 * unit attentions they call for. Turning write_back off leaves writes
 * that were cached before it: the caller flushes bs before it answers. */
void storage_apply_live(struct scsi_lu *lu, struct backstore *bs,
			const struct cfg_storage *was, const struct cfg_storage *want);

#endif
