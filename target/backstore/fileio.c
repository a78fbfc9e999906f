/* fileio: a regular file, buffered I/O through the page cache, driven by
 * the worker's io_uring (ring.c). Write-through (the default) puts
 * RWF_DSYNC on every write, so a completed write is on stable storage;
 * write-back leaves writes in the page cache until FLUSH or a FUA write. */
#include "backstore/backstore_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int refuse_type(const struct backstore *bs, mode_t mode, char *err,
		       size_t errlen)
{
	if (S_ISREG(mode))
		return 0;
	if (S_ISBLK(mode))
		errf(err, errlen, "fileio %s: path %s is a block device; use the block backstore for it",
			bs->cfg.name, bs->cfg.path);
	else
		errf(err, errlen, "fileio %s: path %s is %s; fileio needs a regular file",
			bs->cfg.name, bs->cfg.path, bs_file_type(mode));
	return -1;
}

/* A file just created survives a crash only once its directory entry is
 * on disk too. Returns 0 or an errno. */
static int sync_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, ret = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fsync(fd) != 0)
		ret = errno;
	close(fd);
	return ret;
}

/* Punching a hole past EOF changes nothing a reader can see and fails with
 * EOPNOTSUPP exactly where a real punch would. */
static bool probe_punch(int fd, uint64_t fsize)
{
	uint64_t off = (fsize + 4095) & ~(uint64_t)4095;

	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 (off_t)off, 4096) == 0;
}

/* Opens (creating if allowed) the file; -1 with err set on failure. */
static int open_file(struct backstore *bs, bool *created, char *err,
		     size_t errlen)
{
	const struct bs_config *c = &bs->cfg;
	int flags = (c->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY;
	struct stat st;
	int fd;

	*created = false;
	if (stat(c->path, &st) == 0) {
		if (refuse_type(bs, st.st_mode, err, errlen) != 0)
			return -1;
		fd = open(c->path, flags);
	} else if (errno != ENOENT) {
		errf(err, errlen, "fileio %s: path %s: cannot stat: %s",
			c->name, c->path, strerror(errno));
		return -1;
	} else if (c->readonly) {
		errf(err, errlen, "fileio %s: path %s does not exist (a readonly backstore is never created)",
			c->name, c->path);
		return -1;
	} else if (c->size == 0) {
		errf(err, errlen, "fileio %s: path %s does not exist; give a size to create it",
			c->name, c->path);
		return -1;
	} else {
		fd = open(c->path, flags | O_CREAT | O_EXCL, 0600);
		*created = fd >= 0;
		/* Someone else created it between stat and open. */
		if (fd < 0 && errno == EEXIST)
			fd = open(c->path, flags);
	}
	if (fd < 0 && c->size && errno == ENOENT)
		errf(err, errlen, "fileio %s: path %s: cannot create it (size %llu): %s",
			c->name, c->path, (unsigned long long)c->size,
			strerror(errno));
	else if (fd < 0)
		errf(err, errlen, "fileio %s: path %s: cannot open%s: %s",
			c->name, c->path, c->readonly ? " read-only" : " read-write",
			strerror(errno));
	return fd;
}

static int fileio_open(struct backstore *bs, char *err, size_t errlen)
{
	const struct bs_config *c = &bs->cfg;
	struct stat st;
	uint64_t fsize;
	bool created, extended = false;
	int fd, e;

	if (c->size % bs->block_size) {
		errf(err, errlen, "fileio %s: size %llu is not a multiple of block_size %u",
			c->name, (unsigned long long)c->size, bs->block_size);
		return -1;
	}
	if (c->size > (uint64_t)INT64_MAX) {
		errf(err, errlen, "fileio %s: size %llu is larger than any file can be",
			c->name, (unsigned long long)c->size);
		return -1;
	}
	fd = open_file(bs, &created, err, errlen);
	if (fd < 0)
		return -1;
	/* The path may have been swapped between stat() and open(). */
	if (fstat(fd, &st) != 0) {
		errf(err, errlen, "fileio %s: path %s: fstat: %s",
			c->name, c->path, strerror(errno));
		goto fail;
	}
	if (refuse_type(bs, st.st_mode, err, errlen) != 0)
		goto fail;
	/* Two writers on one file (a second tandemd, or two backstores on the
	 * same path) would corrupt it silently; readers may share. */
	if (flock(fd, (c->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
		e = errno;
		errf(err, errlen, "fileio %s: path %s: %s",
			c->name, c->path,
			e == EWOULDBLOCK ? "in use: another process or backstore holds a lock on it (another tandemd?)" :
			strerror(e));
		goto fail;
	}
	fsize = (uint64_t)st.st_size;
	if (c->size == 0) {
		bs->size = fsize - fsize % bs->block_size;
		if (bs->size == 0) {
			errf(err, errlen, "fileio %s: path %s is %llu bytes, smaller than one block (%u bytes)",
				c->name, c->path, (unsigned long long)fsize,
				bs->block_size);
			goto fail;
		}
	} else {
		if (c->size > fsize) {
			if (c->readonly) {
				errf(err, errlen, "fileio %s: size %llu is larger than path %s (%llu bytes), and a readonly backstore cannot extend it",
					c->name, (unsigned long long)c->size, c->path,
					(unsigned long long)fsize);
				goto fail;
			}
			if (ftruncate(fd, (off_t)c->size) != 0) {
				errf(err, errlen, "fileio %s: path %s: cannot extend to size %llu: %s",
					c->name, c->path, (unsigned long long)c->size,
					strerror(errno));
				goto fail;
			}
			fsize = c->size;
			extended = true;
		}
		/* A smaller size leaves the rest of the file alone. */
		bs->size = c->size;
	}
	if ((created || extended) && fsync(fd) != 0) {
		errf(err, errlen, "fileio %s: path %s: fsync after %s: %s",
			c->name, c->path, created ? "creating" : "extending",
			strerror(errno));
		goto fail;
	}
	if (created && (e = sync_parent(c->path)) != 0) {
		errf(err, errlen, "fileio %s: path %s: fsync of its directory: %s",
			c->name, c->path, strerror(e));
		goto fail;
	}
	bs->fd = fd;
	bs->phys_block_size = bs->block_size;
	bs->can_discard = !c->readonly && probe_punch(fd, fsize);
	return 0;
fail:
	close(fd);
	if (created)
		unlink(c->path);
	return -1;
}

/* In write-back mode an orderly stop must not leave acknowledged writes
 * only in the page cache. */
static void fileio_close(struct backstore *bs)
{
	if (!bs->cfg.readonly)
		fdatasync(bs->fd);
	close(bs->fd);
	bs->fd = -1;
}

static void fileio_submit(struct backstore *bs, struct bs_ring *ring,
			  struct bs_io *io)
{
	bs_ring_queue(ring, bs, io);
}

const struct bs_ops bs_fileio_ops = {
	.plugin = "fileio",
	.open = fileio_open,
	.close = fileio_close,
	.submit = fileio_submit,
};
