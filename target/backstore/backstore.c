/* The kind-independent half of the backstore interface: config checks that
 * every kind shares, dispatch, and the guards bs_submit() applies before a
 * kind sees an I/O. */
#include "backstore/backstore_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *bs_file_type(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "of an unknown file type";
}

static const struct bs_ops *kind_ops(enum bs_kind kind)
{
	switch (kind) {
	case BS_RAMDISK:
		return &bs_ramdisk_ops;
	case BS_FILEIO:
		return &bs_fileio_ops;
	case BS_BLOCK:
		return &bs_block_ops;
	}
	return NULL;
}

/* The name ends up in error messages, the control socket's tree
 * (/backstores/KIND/NAME) and saveconfig.json, so it must be a printable
 * path component. */
static int check_name(const char *plugin, const char *name, char *err,
		      size_t errlen)
{
	size_t n = strnlen(name, sizeof(((struct bs_config *)0)->name));

	if (n == sizeof(((struct bs_config *)0)->name)) {
		errf(err, errlen, "%s backstore: name is not NUL-terminated within %zu bytes",
			plugin, n);
		return -1;
	}
	if (n == 0) {
		errf(err, errlen, "%s backstore: name is empty", plugin);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '/' || c <= ' ' || c == 0x7f) {
			errf(err, errlen, "%s backstore: name \"%.*s\": character %zu (0x%02x) is not allowed (no '/', blanks or control characters)",
				plugin, (int)i, name, i, c);
			return -1;
		}
	}
	return 0;
}

static int check_path(const struct bs_config *cfg, const char *plugin,
		      char *err, size_t errlen)
{
	size_t n = strnlen(cfg->path, sizeof(cfg->path));

	if (n == sizeof(cfg->path)) {
		errf(err, errlen, "%s %s: path is not NUL-terminated within %zu bytes",
			plugin, cfg->name, n);
		return -1;
	}
	if (cfg->kind == BS_RAMDISK) {
		if (n != 0) {
			errf(err, errlen, "ramdisk %s: path \"%s\" given, but a ramdisk has no backing path",
				cfg->name, cfg->path);
			return -1;
		}
		return 0;
	}
	if (n == 0) {
		errf(err, errlen, "%s %s: path is required", plugin, cfg->name);
		return -1;
	}
	/* The daemon chdir()s to / when it detaches; a relative path would
	 * name a different file then than when the config was written. */
	if (cfg->path[0] != '/') {
		errf(err, errlen, "%s %s: path \"%s\" must be absolute",
			plugin, cfg->name, cfg->path);
		return -1;
	}
	return 0;
}

struct backstore *bs_open(const struct bs_config *cfg, char *err, size_t errlen)
{
	const struct bs_ops *ops;
	struct backstore *bs;

	errf(err, errlen, "%s", "");
	if (!cfg) {
		errf(err, errlen, "backstore: no configuration given");
		return NULL;
	}
	ops = kind_ops(cfg->kind);
	if (!ops) {
		errf(err, errlen, "backstore: kind %d is not ramdisk, fileio or block",
			(int)cfg->kind);
		return NULL;
	}
	if (check_name(ops->plugin, cfg->name, err, errlen) != 0 ||
	    check_path(cfg, ops->plugin, err, errlen) != 0)
		return NULL;
	if (cfg->block_size != 0 && cfg->block_size != 512 &&
	    cfg->block_size != 4096) {
		errf(err, errlen, "%s %s: block_size %u: must be 512 or 4096 (0 for the default)",
			ops->plugin, cfg->name, cfg->block_size);
		return NULL;
	}

	bs = calloc(1, sizeof(*bs));
	if (!bs) {
		errf(err, errlen, "%s %s: cannot allocate the backstore: %s",
			ops->plugin, cfg->name, strerror(errno));
		return NULL;
	}
	bs->ops = ops;
	bs->cfg = *cfg;
	bs->fd = -1;
	/* block picks its own default from the device. */
	bs->block_size = cfg->block_size ? cfg->block_size : 512;
	if (ops->open(bs, err, errlen) != 0) {
		free(bs);
		return NULL;
	}
	if (cfg->phys_block_size) {
		uint32_t p = cfg->phys_block_size;
		if ((p & (p - 1)) || p < bs->block_size || p > 65536) {
			errf(err, errlen, "%s %s: physical_block_size %u: must be a power of two from the block size %u to 65536",
				ops->plugin, cfg->name, p, bs->block_size);
			ops->close(bs);
			free(bs);
			return NULL;
		}
		bs->phys_block_size = p;
	}
	return bs;
}

/* The caller drains first: every ring that carried I/O for bs shows it
 * completed (bs_ring_inflight() reached 0 after the last submit to bs), so
 * no kernel request still holds bs->fd or, for a ramdisk, its chunks. */
void bs_close(struct backstore *bs)
{
	if (!bs)
		return;
	bs->ops->close(bs);
	free(bs);
}

static bool changes_data(enum bs_op op)
{
	return op == BS_OP_WRITE || op == BS_OP_DISCARD ||
	       op == BS_OP_WRITE_ZEROES;
}

/* The core checks bounds; these guards are one or two compares per I/O and
 * turn a core bug into an error instead of a ramdisk overrun or a write to
 * a readonly LU. */
void bs_submit(struct backstore *bs, struct bs_ring *ring, struct bs_io *io)
{
	uint64_t mask = bs->block_size - 1;

	switch (io->op) {
	case BS_OP_FLUSH:
		break;
	case BS_OP_READ:
	case BS_OP_WRITE:
		if (io->len && !io->buf) {
			io->done(io, -EFAULT);
			return;
		}
		/* fallthrough */
	case BS_OP_DISCARD:
	case BS_OP_WRITE_ZEROES:
		if (((io->offset | io->len) & mask) || io->offset > bs->size ||
		    io->len > bs->size - io->offset) {
			io->done(io, -EINVAL);
			return;
		}
		if (changes_data(io->op) && bs->cfg.readonly) {
			io->done(io, -EROFS);
			return;
		}
		if (io->len == 0) {
			io->done(io, 0);
			return;
		}
		break;
	default:
		io->done(io, -EINVAL);
		return;
	}
	if (!ring && bs->cfg.kind != BS_RAMDISK) {
		io->done(io, -EINVAL);
		return;
	}
	bs->ops->submit(bs, ring, io);
}
