/* fileio backstore on temp files: creation and sizing rules, write-through
 * versus write-back (page-cache dirtiness seen through cachestat(2)), FUA,
 * FLUSH, DISCARD making the file sparse, WRITE_ZEROES, the write-zeroes
 * fallback on tmpfs, 8 MiB transfers, readonly, and config refusals. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cmocka.h>

#include "backstore/backstore.h"
#include "test_bs_fixture.h"

#define KiB 1024u
#define MiB (1024u * 1024u)

#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

static char err[512];
static char dir[256];
static char shm_dir[64];	/* the tmpfs test's, removed in teardown */
static struct bs_ring *ring;

static int run_flags(struct backstore *bs, enum bs_op op, unsigned flags,
		     uint64_t off, uint64_t len, void *buf)
{
	return bs_run(ring, bs, op, flags, off, len, buf);
}

static int run(struct backstore *bs, enum bs_op op, uint64_t off,
	       uint64_t len, void *buf)
{
	return run_flags(bs, op, 0, off, len, buf);
}

static void path_of(char *path, size_t len, const char *name)
{
	snprintf(path, len, "%s/%s", dir, name);
}

static struct bs_config cfg_of(const char *name, uint64_t size)
{
	struct bs_config c;

	memset(&c, 0, sizeof(c));
	c.kind = BS_FILEIO;
	snprintf(c.name, sizeof(c.name), "%s", name);
	path_of(c.path, sizeof(c.path), name);
	c.size = size;
	return c;
}

static struct backstore *open_cfg(const struct bs_config *c)
{
	struct backstore *bs = bs_open(c, err, sizeof(err));

	if (!bs)
		fail_msg("bs_open %s: %s", c->path, err);
	return bs;
}

static void make_file(const char *name, off_t size)
{
	char path[512];
	int fd;

	path_of(path, sizeof(path), name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static struct stat stat_of(const char *name)
{
	char path[512];
	struct stat st;

	path_of(path, sizeof(path), name);
	assert_int_equal(stat(path, &st), 0);
	return st;
}

struct cstat {
	uint64_t cache, dirty, writeback, evicted, recently_evicted;
};

/* Dirty plus under-writeback pages of [off, off+len) of the file, or -1
 * when the kernel has no cachestat(2) (Linux < 6.5). */
static long long dirty_pages(const char *name, uint64_t off, uint64_t len)
{
	struct {
		uint64_t off, len;
	} range = { off, len };
	struct cstat cs;
	char path[512];
	long rc;
	int fd;

	path_of(path, sizeof(path), name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	rc = syscall(__NR_cachestat, fd, &range, &cs, 0);
	close(fd);
	if (rc != 0) {
		print_message("cachestat unavailable (%s): durability not observed\n",
			      strerror(errno));
		return -1;
	}
	return (long long)(cs.dirty + cs.writeback);
}

static int group_setup(void **state)
{
	const char *t = getenv("TMPDIR");
	char e[256];

	snprintf(dir, sizeof(dir), "%s/tandem-bs-fileio-XXXXXX", t && *t ? t : "/var/tmp");
	if (!mkdtemp(dir))
		return -1;
	ring = bs_ring_create(32, e, sizeof(e));
	if (!ring)
		print_message("bs_ring_create: %s\n", e);
	return ring ? 0 : -1;
}

static int group_teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	bs_ring_destroy(ring);
	if (shm_dir[0]) {
		char p[128];

		snprintf(p, sizeof(p), "%s/lu", shm_dir);
		unlink(p);
		rmdir(shm_dir);
	}
	while (d && (e = readdir(d))) {
		char p[512];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	return rmdir(dir);
}

static void test_create(void **state)
{
	struct bs_config c = cfg_of("create", 4 * MiB);
	struct backstore *bs = open_cfg(&c);
	struct stat st = stat_of("create");

	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 4 * MiB);
	assert_int_equal(bs->size, 4 * MiB);
	assert_int_equal(bs->block_size, 512);
	assert_int_equal(bs->phys_block_size, 512);
	assert_true(bs->fd >= 0);
	assert_string_equal(bs->ops->plugin, "fileio");
	bs_close(bs);
}

/* Existing files: size 0 takes the file's (rounded down to a block),
 * a larger size extends it, a smaller one limits the LU and keeps the
 * file. */
static void test_sizes(void **state)
{
	struct bs_config c;
	struct backstore *bs;

	make_file("sizes", 8 * MiB);
	c = cfg_of("sizes", 0);
	bs = open_cfg(&c);
	assert_int_equal(bs->size, 8 * MiB);
	bs_close(bs);

	c.size = 4 * MiB;
	bs = open_cfg(&c);
	assert_int_equal(bs->size, 4 * MiB);
	assert_int_equal(stat_of("sizes").st_size, 8 * MiB);
	bs_close(bs);

	c.size = 16 * MiB;
	bs = open_cfg(&c);
	assert_int_equal(bs->size, 16 * MiB);
	assert_int_equal(stat_of("sizes").st_size, 16 * MiB);
	bs_close(bs);

	make_file("odd", 5000);
	c = cfg_of("odd", 0);
	bs = open_cfg(&c);
	assert_int_equal(bs->size, 4608);
	bs_close(bs);
	c.block_size = 4096;
	bs = open_cfg(&c);
	assert_int_equal(bs->size, 4096);
	assert_int_equal(bs->block_size, 4096);
	assert_int_equal(bs->phys_block_size, 4096);
	bs_close(bs);
}

/* Write-through: a completed write has left the page cache for the disk;
 * the data is there for an independent reader too. */
static void test_write_through(void **state)
{
	struct bs_config c = cfg_of("wt", 4 * MiB);
	struct backstore *bs = open_cfg(&c);
	unsigned char *w = xalloc(256 * KiB), *r = xalloc(256 * KiB);
	char path[512];
	long long d;
	int fd;

	fill(w, 256 * KiB, 1);
	assert_int_equal(run(bs, BS_OP_WRITE, 64 * KiB, 256 * KiB, w), 0);
	d = dirty_pages("wt", 0, 4 * MiB);
	if (d > 0)
		fail_msg("write-through left %lld pages dirty", d);
	assert_int_equal(run(bs, BS_OP_READ, 64 * KiB, 256 * KiB, r), 0);
	assert_memory_equal(r, w, 256 * KiB);
	path_of(path, sizeof(path), "wt");
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	memset(r, 0, 256 * KiB);
	assert_int_equal(pread(fd, r, 256 * KiB, 64 * KiB), 256 * KiB);
	assert_memory_equal(r, w, 256 * KiB);
	close(fd);
	assert_int_equal(run(bs, BS_OP_FLUSH, 0, 0, NULL), 0);
	bs_close(bs);
	free(w);
	free(r);
}

/* Write-back: a plain write stays dirty, a FUA write does not, FLUSH
 * cleans everything. */
static void test_write_back(void **state)
{
	struct bs_config c = cfg_of("wb", 4 * MiB);
	struct backstore *bs;
	unsigned char *w = xalloc(MiB);
	long long d;

	c.write_back = true;
	bs = open_cfg(&c);
	fill(w, MiB, 2);
	assert_int_equal(run(bs, BS_OP_WRITE, 0, MiB, w), 0);
	d = dirty_pages("wb", 0, MiB);
	if (d == 0)
		fail_msg("a write-back write left no dirty pages: was it synced?");
	assert_int_equal(run_flags(bs, BS_OP_WRITE, BS_F_FUA, 2 * MiB, MiB, w), 0);
	d = dirty_pages("wb", 2 * MiB, MiB);
	if (d > 0)
		fail_msg("a FUA write left %lld pages dirty", d);
	assert_int_equal(run(bs, BS_OP_FLUSH, 0, 0, NULL), 0);
	d = dirty_pages("wb", 0, 4 * MiB);
	if (d > 0)
		fail_msg("FLUSH left %lld pages dirty", d);
	bs_close(bs);
	free(w);
}

static void test_large_io(void **state)
{
	struct bs_config c = cfg_of("large", 32 * MiB);
	struct backstore *bs = open_cfg(&c);
	unsigned char *w = xalloc(8 * MiB), *r = xalloc(8 * MiB);

	fill(w, 8 * MiB, 3);
	assert_int_equal(run(bs, BS_OP_WRITE, 12 * MiB + 512, 8 * MiB, w), 0);
	memset(r, 0, 8 * MiB);
	assert_int_equal(run(bs, BS_OP_READ, 12 * MiB + 512, 8 * MiB, r), 0);
	assert_memory_equal(r, w, 8 * MiB);
	bs_close(bs);
	free(w);
	free(r);
}

/* DISCARD punches a hole: the blocks go back to the filesystem and the
 * range reads zero. */
static void test_discard_sparse(void **state)
{
	struct bs_config c = cfg_of("discard", 8 * MiB);
	struct backstore *bs = open_cfg(&c);
	unsigned char *w = xalloc(4 * MiB), *r = xalloc(4 * MiB);
	blkcnt_t before, after;

	assert_true(bs->can_discard);
	fill(w, 4 * MiB, 4);
	assert_int_equal(run(bs, BS_OP_WRITE, 0, 4 * MiB, w), 0);
	before = stat_of("discard").st_blocks;
	if (before < 8192)
		fail_msg("4 MiB written but only %lld blocks allocated",
			 (long long)before);
	assert_int_equal(run(bs, BS_OP_DISCARD, MiB, 2 * MiB, NULL), 0);
	after = stat_of("discard").st_blocks;
	if (before - after < 4096 - 16)
		fail_msg("DISCARD of 2 MiB freed %lld sectors of %lld",
			 (long long)(before - after), (long long)before);
	assert_int_equal(run(bs, BS_OP_READ, 0, 4 * MiB, r), 0);
	assert_memory_equal(r, w, MiB);
	assert_zero(r + MiB, 2 * MiB);
	assert_memory_equal(r + 3 * MiB, w + 3 * MiB, MiB);
	bs_close(bs);
	free(w);
	free(r);
}

static void test_write_zeroes(void **state)
{
	struct bs_config c = cfg_of("zeroes", 4 * MiB);
	struct backstore *bs = open_cfg(&c);
	unsigned char *w = xalloc(2 * MiB), *r = xalloc(2 * MiB);

	fill(w, 2 * MiB, 5);
	assert_int_equal(run(bs, BS_OP_WRITE, 0, 2 * MiB, w), 0);
	assert_int_equal(run(bs, BS_OP_WRITE_ZEROES, 512, MiB - 1024, NULL), 0);
	assert_int_equal(run(bs, BS_OP_READ, 0, 2 * MiB, r), 0);
	assert_memory_equal(r, w, 512);
	assert_zero(r + 512, MiB - 1024);
	assert_memory_equal(r + MiB - 512, w + MiB - 512, MiB + 512);
	bs_close(bs);
	free(w);
	free(r);
}

/* tmpfs can punch holes but has no FALLOC_FL_ZERO_RANGE: WRITE_ZEROES
 * must fall back to writing zeroes, across more than one 1 MiB chunk. */
static void test_zeroes_fallback_tmpfs(void **state)
{
	struct statfs sf;
	struct bs_config c;
	struct backstore *bs;
	unsigned char *w, *r;

	snprintf(shm_dir, sizeof(shm_dir), "/dev/shm/tandem-bs-XXXXXX");
	if (statfs("/dev/shm", &sf) != 0 || sf.f_type != TMPFS_MAGIC ||
	    !mkdtemp(shm_dir)) {
		shm_dir[0] = '\0';
		print_message("no tmpfs at /dev/shm: fallback not testable here\n");
		skip();
	}
	memset(&c, 0, sizeof(c));
	c.kind = BS_FILEIO;
	snprintf(c.name, sizeof(c.name), "shm");
	snprintf(c.path, sizeof(c.path), "%s/lu", shm_dir);
	c.size = 4 * MiB;
	bs = open_cfg(&c);
	w = xalloc(4 * MiB);
	r = xalloc(4 * MiB);
	fill(w, 4 * MiB, 6);
	assert_int_equal(run(bs, BS_OP_WRITE, 0, 4 * MiB, w), 0);
	assert_int_equal(run(bs, BS_OP_WRITE_ZEROES, 4096, 3 * MiB, NULL), 0);
	assert_int_equal(run(bs, BS_OP_READ, 0, 4 * MiB, r), 0);
	assert_memory_equal(r, w, 4096);
	assert_zero(r + 4096, 3 * MiB);
	assert_memory_equal(r + 3 * MiB + 4096, w + 3 * MiB + 4096, MiB - 4096);
	assert_int_equal(run(bs, BS_OP_DISCARD, 0, MiB, NULL), 0);
	assert_int_equal(run(bs, BS_OP_READ, 0, MiB, r), 0);
	assert_zero(r, MiB);
	bs_close(bs);
	free(w);
	free(r);
}

static void test_readonly(void **state)
{
	struct bs_config c = cfg_of("ro", 0);
	struct backstore *bs;
	unsigned char *b = xalloc(4096);

	make_file("ro", MiB);
	c.readonly = true;
	bs = open_cfg(&c);
	assert_false(bs->can_discard);
	memset(b, 1, 4096);
	assert_int_equal(run(bs, BS_OP_WRITE, 0, 4096, b), -EROFS);
	assert_int_equal(run(bs, BS_OP_DISCARD, 0, 4096, NULL), -EROFS);
	assert_int_equal(run(bs, BS_OP_READ, 0, 4096, b), 0);
	assert_zero(b, 4096);
	assert_int_equal(run(bs, BS_OP_FLUSH, 0, 0, NULL), 0);
	bs_close(bs);
	free(b);
}

static void refuse(const struct bs_config *c, const char *want)
{
	memset(err, 0, sizeof(err));
	if (bs_open(c, err, sizeof(err)))
		fail_msg("bs_open accepted %s; wanted an error with \"%s\"",
			 c->path, want);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not mention \"%s\"", err, want);
}

static void test_refusals(void **state)
{
	struct bs_config c = cfg_of("missing", 0);
	struct backstore *bs;
	char want[600];

	refuse(&c, "does not exist; give a size");
	c.readonly = true;
	c.size = MiB;
	refuse(&c, "readonly backstore is never created");

	c = cfg_of("", 0);
	snprintf(c.name, sizeof(c.name), "dir");
	refuse(&c, "is a directory");
	snprintf(c.path, sizeof(c.path), "/dev/null");
	refuse(&c, "is a character device");
	c.path[0] = '\0';
	refuse(&c, "path is required");
	snprintf(c.path, sizeof(c.path), "relative/file");
	refuse(&c, "must be absolute");
	memset(c.path, 'a', sizeof(c.path));
	refuse(&c, "path is not NUL-terminated");

	/* A block device is the block backstore's job; stat() alone tells. */
	for (int i = 0; i < 8; i++) {
		struct stat st;

		snprintf(c.path, sizeof(c.path), "/dev/loop%d", i);
		if (stat(c.path, &st) == 0 && S_ISBLK(st.st_mode)) {
			refuse(&c, "use the block backstore");
			break;
		}
	}

	make_file("tiny", 100);
	c = cfg_of("tiny", 0);
	refuse(&c, "smaller than one block");
	c = cfg_of("unaligned", MiB + 100);
	refuse(&c, "size 1048676 is not a multiple of block_size 512");
	c = cfg_of("bs", MiB);
	c.block_size = 1024;
	refuse(&c, "block_size 1024");

	make_file("rosmall", MiB);
	c = cfg_of("rosmall", 2 * MiB);
	c.readonly = true;
	refuse(&c, "cannot extend");

	/* Two writers on one file. */
	c = cfg_of("twice", MiB);
	bs = open_cfg(&c);
	refuse(&c, "in use");
	bs_close(bs);

	/* The error names the path. */
	c = cfg_of("nodir/sub", MiB);
	snprintf(c.name, sizeof(c.name), "nodir");
	snprintf(want, sizeof(want), "%s/nodir/sub", dir);
	refuse(&c, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_write_through),
		cmocka_unit_test(test_write_back),
		cmocka_unit_test(test_large_io),
		cmocka_unit_test(test_discard_sparse),
		cmocka_unit_test(test_write_zeroes),
		cmocka_unit_test(test_zeroes_fallback_tmpfs),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
