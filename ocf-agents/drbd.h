/* Is a block device a DRBD device, and in which role? Read without a
 * running drbdadm: /proc/devices names DRBD's major, /proc/drbd gives the
 * role of an 8.4 minor, `drbdsetup status --json` that of a DRBD 9 one.
 * Tests point TANDEM_PROC_DEVICES, TANDEM_PROC_DRBD and TANDEM_DRBDSETUP
 * elsewhere. */
#ifndef TANDEM_OCF_DRBD_H
#define TANDEM_OCF_DRBD_H

#include <stddef.h>
#include <sys/types.h>

enum drbd_role { DRBD_NOT_DRBD, DRBD_PRIMARY, DRBD_SECONDARY, DRBD_UNKNOWN_ROLE };

/* The role of the device with number dev; name gets the role as DRBD
 * spells it ("Primary", "Secondary", "Unconfigured"...). DRBD_UNKNOWN_ROLE
 * with err set when it is DRBD but its role cannot be read. */
enum drbd_role drbd_role(dev_t dev, char *name, size_t namelen, long long timeout_ms,
			 char *err, size_t errlen);

#endif
