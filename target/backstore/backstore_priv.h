/* Shared between the backstore files only: the kinds' ops tables, the error
 * formatter and the io_uring engine that fileio and block both drive. */
#ifndef TANDEM_BACKSTORE_BACKSTORE_PRIV_H
#define TANDEM_BACKSTORE_BACKSTORE_PRIV_H

#include <stddef.h>
#include <sys/types.h>

#include "backstore/backstore.h"
#include "common/errf.h"

extern const struct bs_ops bs_ramdisk_ops;
extern const struct bs_ops bs_fileio_ops;
extern const struct bs_ops bs_block_ops;

/* "a directory", "a block device"...: what a non-regular st_mode is. */
const char *bs_file_type(mode_t mode);

/* Queues io for an fd backstore (bs->fd) on ring; the SQE goes to the
 * kernel with the next bs_ring_submit() and io->done runs from
 * bs_ring_reap(). Writes carry RWF_DSYNC unless bs_write_back(bs) and the
 * io is not FUA; DISCARD and WRITE_ZEROES are followed by an fdatasync in
 * the same cases. */
void bs_ring_queue(struct bs_ring *ring, struct backstore *bs,
		   struct bs_io *io);

#endif
