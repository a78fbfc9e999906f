/* Atomic config file replacement with rotated backups (savefile.c). */
#ifndef TANDEM_CTL_SAVEFILE_H
#define TANDEM_CTL_SAVEFILE_H

#include <stddef.h>

/* Replaces path with data (temp file, fsync, rename, fsync of the
 * directory); a previous file with other content is first copied to
 * DIR/backup/STEM-YYYYmmdd-HHMMSS.USEC.json, keeping the newest 10.
 * -1 with err set. */
int save_atomic(const char *path, const char *data, char *err, size_t errlen);

#endif
