/* block: a block device (in production a DRBD device) opened O_DIRECT and
 * driven by the worker's io_uring (ring.c), so a completed write has left
 * this host's page cache and, on DRBD protocol C, reached both nodes.
 *
 * Write-through (write_back false, the default) puts RWF_DSYNC on every
 * write: O_DIRECT completion alone still allows the data to sit in the
 * disk's volatile cache, which WCE=0 promises it does not. The block layer
 * turns RWF_DSYNC into FUA, or into a cache flush when the device has no
 * FUA, and drops it for free when the device has no volatile cache. */
#include "backstore/backstore_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/compiler.h"

/* What open(2) of a block device fails with, said in terms of what to do. */
static const char *open_error(int e, bool readonly)
{
	switch (e) {
	case EBUSY:
		return "device is busy: something holds it exclusively (a mounted filesystem, LVM, md, DRBD on top of it, or another tandemd), and tandem opens with O_EXCL so it never shares a device";
	case EROFS:
	case EACCES:
		return readonly ? strerror(e) :
		       "device refuses writers: it is read-only, or a DRBD device that is not Primary (promote it first)";
	case EMEDIUMTYPE:
		return "device refuses to be opened: a DRBD device in the Secondary role (promote it to Primary first)";
	case ENXIO:
	case ENODEV:
		return "no such device behind this node (the device node exists but the driver has no disk)";
	case EINVAL:
		return "the device does not support O_DIRECT";
	default:
		return strerror(e);
	}
}

/* The value of a /sys/dev/block/MAJ:MIN queue attribute, or 0. A partition
 * has no queue directory of its own; its disk's is one level up. */
static uint64_t queue_attr(dev_t rdev, const char *attr)
{
	static const char *const up[] = { "", "../" };

	for (size_t i = 0; i < ARRAY_SIZE(up); i++) {
		char path[128];
		unsigned long long v;
		FILE *f;
		int n;

		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%squeue/%s",
			 major(rdev), minor(rdev), up[i], attr);
		f = fopen(path, "re");
		if (!f)
			continue;
		n = fscanf(f, "%llu", &v);
		fclose(f);
		return n == 1 ? v : 0;
	}
	return 0;
}

/* DISCARD is a punch-hole, which the kernel turns into WRITE ZEROES with
 * unmap allowed (reads zero afterwards, guaranteed); only a device that can
 * both discard and write zeroes really frees space that way. */
static bool device_can_discard(dev_t rdev)
{
	return queue_attr(rdev, "discard_max_bytes") > 0 &&
	       queue_attr(rdev, "write_zeroes_max_bytes") > 0;
}

/* Fills size, block sizes and can_discard from the open device. */
static int probe_device(struct backstore *bs, const struct stat *st,
			char *err, size_t errlen)
{
	const struct bs_config *c = &bs->cfg;
	uint64_t dev_size;
	unsigned int pbs;
	int lbs, ro;

	if (!c->readonly) {
		if (ioctl(bs->fd, BLKROGET, &ro) != 0) {
			errf(err, errlen, "block %s: path %s: BLKROGET: %s",
				c->name, c->path, strerror(errno));
			return -1;
		}
		if (ro) {
			errf(err, errlen, "block %s: path %s: device is read-only (BLKROGET); set readonly to serve it read-only",
				c->name, c->path);
			return -1;
		}
	}
	if (ioctl(bs->fd, BLKGETSIZE64, &dev_size) != 0 ||
	    ioctl(bs->fd, BLKSSZGET, &lbs) != 0 ||
	    ioctl(bs->fd, BLKPBSZGET, &pbs) != 0) {
		errf(err, errlen, "block %s: path %s: cannot read the device geometry: %s",
			c->name, c->path, strerror(errno));
		return -1;
	}
	if (lbs < 512 || lbs > 4096 || (lbs & (lbs - 1))) {
		errf(err, errlen, "block %s: path %s: device logical block size %d is not supported (512 to 4096)",
			c->name, c->path, lbs);
		return -1;
	}
	if (c->block_size == 0) {
		bs->block_size = lbs <= 512 ? 512 : 4096;
	} else if (c->block_size < (unsigned)lbs) {
		/* O_DIRECT cannot address less than the device's block. */
		errf(err, errlen, "block %s: block_size %u is smaller than the logical block size %d of %s",
			c->name, c->block_size, lbs, c->path);
		return -1;
	} else {
		bs->block_size = c->block_size;
	}
	bs->size = dev_size - dev_size % bs->block_size;
	if (bs->size == 0) {
		errf(err, errlen, "block %s: path %s: device has %" PRIu64 " bytes, less than one block (%u): is a disk attached behind it?",
			c->name, c->path, dev_size, bs->block_size);
		return -1;
	}
	if (c->size) {
		if (c->size % bs->block_size || c->size > bs->size) {
			errf(err, errlen, "block %s: size %" PRIu64 " must be a multiple of block_size %u and at most the device's %" PRIu64 " bytes",
				c->name, c->size, bs->block_size, bs->size);
			return -1;
		}
		bs->size = c->size;
	}
	bs->phys_block_size = bs->block_size;
	if (pbs > bs->block_size && !(pbs & (pbs - 1)) && pbs <= 65536)
		bs->phys_block_size = pbs;
	bs->can_discard = !c->readonly && device_can_discard(st->st_rdev);
	return 0;
}

static int block_open(struct backstore *bs, char *err, size_t errlen)
{
	const struct bs_config *c = &bs->cfg;
	struct stat st, fst;
	int flags = (c->readonly ? O_RDONLY : O_RDWR) | O_DIRECT | O_EXCL |
		    O_CLOEXEC;

	if (stat(c->path, &st) != 0) {
		errf(err, errlen, "block %s: path %s: %s",
			c->name, c->path, strerror(errno));
		return -1;
	}
	if (!S_ISBLK(st.st_mode)) {
		errf(err, errlen, "block %s: path %s is %s, not a block device%s",
			c->name, c->path, bs_file_type(st.st_mode),
			S_ISREG(st.st_mode) ? " (use the fileio backstore for a file)" : "");
		return -1;
	}
	/* O_EXCL on a block device claims it: a mounted filesystem, a device
	 * mapper or a second tandemd cannot use it behind our back. */
	bs->fd = open(c->path, flags);
	if (bs->fd < 0) {
		errf(err, errlen, "block %s: path %s: cannot open %s: %s",
			c->name, c->path, c->readonly ? "read-only" : "read-write",
			open_error(errno, c->readonly));
		return -1;
	}
	if (fstat(bs->fd, &fst) != 0 || !S_ISBLK(fst.st_mode) ||
	    fst.st_rdev != st.st_rdev) {
		errf(err, errlen, "block %s: path %s changed while being opened",
			c->name, c->path);
		goto fail;
	}
	if (probe_device(bs, &fst, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	close(bs->fd);
	bs->fd = -1;
	return -1;
}

/* Writes were O_DIRECT; this empties the device's volatile cache so a
 * write-back LU loses nothing on an orderly stop. */
static void block_close(struct backstore *bs)
{
	if (!bs->cfg.readonly)
		fsync(bs->fd);
	close(bs->fd);
	bs->fd = -1;
}

static void block_submit(struct backstore *bs, struct bs_ring *ring,
			 struct bs_io *io)
{
	bs_ring_queue(ring, bs, io);
}

const struct bs_ops bs_block_ops = {
	.plugin = "block",
	.open = block_open,
	.close = block_close,
	.submit = block_submit,
};
