/* block backstore on a real block device: a loop device over a 64 MiB
 * temp file, attached per test and detached in teardown. O_DIRECT round
 * trips (checked through the backing file too), FUA, FLUSH, DISCARD
 * freeing the backing file's blocks, WRITE_ZEROES, O_EXCL refusing a
 * second opener, readonly, size limits and a 4096-byte-sector device.
 * Without root or loop devices the loop tests say why and are skipped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "backstore/backstore.h"
#include "test_bs_fixture.h"

#define KiB 1024u
#define MiB (1024u * 1024u)
#define LOOP_SIZE (64 * MiB)

static char err[512];
static char dir[256];
static struct bs_ring *ring;

struct loopdev {
	char file[300];
	char dev[256];
};

/* Why the loop tests cannot run here, when they cannot. */
static char no_loop[1024];

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

static struct bs_config cfg_of(const char *path)
{
	struct bs_config c;

	memset(&c, 0, sizeof(c));
	c.kind = BS_BLOCK;
	snprintf(c.name, sizeof(c.name), "blk0");
	snprintf(c.path, sizeof(c.path), "%s", path);
	return c;
}

static struct backstore *open_cfg(const struct bs_config *c)
{
	struct backstore *bs = bs_open(c, err, sizeof(err));

	if (!bs)
		fail_msg("bs_open %s: %s", c->path, err);
	return bs;
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

/* Attaches a fresh sparse 64 MiB file with losetup; extra is passed to
 * losetup (e.g. "-b 4096"). On failure leaves the reason in no_loop. */
static struct loopdev *attach(const char *extra)
{
	static unsigned seq;
	struct loopdev *l = calloc(1, sizeof(*l));
	char cmd[512], out[256] = "";
	FILE *p;
	int fd, status;

	if (!l)
		return NULL;
	if (geteuid() != 0) {
		snprintf(no_loop, sizeof(no_loop), "not root (euid %u): cannot attach loop devices",
			 (unsigned)geteuid());
		free(l);
		return NULL;
	}
	snprintf(l->file, sizeof(l->file), "%s/backing%u", dir, seq++);
	fd = open(l->file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, LOOP_SIZE) != 0) {
		snprintf(no_loop, sizeof(no_loop), "cannot create %s: %s",
			 l->file, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(l);
		return NULL;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "losetup -f --show %s '%s' 2>&1", extra, l->file);
	p = popen(cmd, "r");
	if (p) {
		if (!fgets(out, sizeof(out), p))
			out[0] = '\0';
		status = pclose(p);
	} else {
		status = -1;
	}
	out[strcspn(out, "\n")] = '\0';
	if (status != 0 || strncmp(out, "/dev/loop", 9) != 0) {
		snprintf(no_loop, sizeof(no_loop), "`%s` failed (status %d): %s",
			 cmd, status, out);
		unlink(l->file);
		free(l);
		return NULL;
	}
	snprintf(l->dev, sizeof(l->dev), "%s", out);
	return l;
}

static int loop_setup(void **state)
{
	*state = attach("");
	return 0;
}

static int loop4k_setup(void **state)
{
	*state = attach("-b 4096");
	return 0;
}

static int loop_teardown(void **state)
{
	struct loopdev *l = *state;
	char cmd[300];
	int rc = 0;

	if (!l)
		return 0;
	snprintf(cmd, sizeof(cmd), "losetup -d %s", l->dev);
	if (system(cmd) != 0) {
		print_message("could not detach %s\n", l->dev);
		rc = -1;
	}
	unlink(l->file);
	free(l);
	return rc;
}

/* The loop device of this test, or a skip that says why there is none. */
static struct loopdev *need_loop(void **state)
{
	struct loopdev *l = *state;

	if (!l) {
		print_message("SKIPPED: %s\n", no_loop);
		skip();
	}
	return l;
}

static void backing_read(const struct loopdev *l, void *buf, size_t len,
			 off_t off)
{
	int fd = open(l->file, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static blkcnt_t backing_blocks(const struct loopdev *l)
{
	struct stat st;

	assert_int_equal(stat(l->file, &st), 0);
	return st.st_blocks;
}

static int group_setup(void **state)
{
	const char *t = getenv("TMPDIR");
	char e[256];

	snprintf(dir, sizeof(dir), "%s/tandem-bs-block-XXXXXX", t && *t ? t : "/var/tmp");
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

static void test_not_a_block_device(void **state)
{
	struct bs_config c;
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/regular", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, MiB), 0);
	close(fd);
	c = cfg_of(path);
	refuse(&c, "is a regular file, not a block device (use the fileio backstore");
	c = cfg_of("/dev/null");
	refuse(&c, "/dev/null is a character device, not a block device");
	c = cfg_of(dir);
	refuse(&c, "is a directory, not a block device");
	c = cfg_of("/dev/no-such-disk");
	refuse(&c, "/dev/no-such-disk: No such file or directory");
	c = cfg_of("");
	refuse(&c, "path is required");
	unlink(path);
}

static void test_geometry(void **state)
{
	struct loopdev *l = need_loop(state);
	struct bs_config c = cfg_of(l->dev);
	struct backstore *bs = open_cfg(&c);

	assert_int_equal(bs->size, LOOP_SIZE);
	assert_int_equal(bs->block_size, 512);
	assert_true(bs->phys_block_size >= 512);
	assert_true(bs->fd >= 0);
	assert_string_equal(bs->ops->plugin, "block");
	/* A loop device over ext4/xfs/tmpfs discards by punching holes. */
	if (!bs->can_discard)
		fail_msg("%s reports no discard support", l->dev);
	bs_close(bs);
}

static void test_roundtrip(void **state)
{
	struct loopdev *l = need_loop(state);
	struct bs_config c = cfg_of(l->dev);
	struct backstore *bs = open_cfg(&c);
	unsigned char *w = xalloc(8 * MiB), *r = xalloc(8 * MiB);
	static const struct {
		uint64_t off, len;
	} cases[] = {
		{ 0, 512 },
		{ 512, 4096 },
		{ 3 * MiB + 1536, 129 * KiB },
		{ 16 * MiB, 8 * MiB },
		{ LOOP_SIZE - 512, 512 },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fill(w, cases[i].len, i + 1);
		assert_int_equal(run(bs, BS_OP_WRITE, cases[i].off, cases[i].len, w), 0);
		memset(r, 0, cases[i].len);
		assert_int_equal(run(bs, BS_OP_READ, cases[i].off, cases[i].len, r), 0);
		assert_memory_equal(r, w, cases[i].len);
		/* O_DIRECT really went through the device to its backing file. */
		memset(r, 0, cases[i].len);
		backing_read(l, r, cases[i].len, (off_t)cases[i].off);
		assert_memory_equal(r, w, cases[i].len);
	}
	bs_close(bs);
	free(w);
	free(r);
}

static void test_fua_flush(void **state)
{
	struct loopdev *l = need_loop(state);
	struct bs_config c = cfg_of(l->dev);
	struct backstore *bs;
	unsigned char *w = xalloc(MiB), *r = xalloc(MiB);

	c.write_back = true;
	bs = open_cfg(&c);
	fill(w, MiB, 9);
	assert_int_equal(run_flags(bs, BS_OP_WRITE, BS_F_FUA, 5 * MiB, MiB, w), 0);
	backing_read(l, r, MiB, 5 * MiB);
	assert_memory_equal(r, w, MiB);
	fill(w, MiB, 10);
	assert_int_equal(run(bs, BS_OP_WRITE, 7 * MiB, MiB, w), 0);
	assert_int_equal(run(bs, BS_OP_FLUSH, 0, 0, NULL), 0);
	backing_read(l, r, MiB, 7 * MiB);
	assert_memory_equal(r, w, MiB);
	assert_int_equal(run(bs, BS_OP_READ, 7 * MiB, MiB, r), 0);
	assert_memory_equal(r, w, MiB);
	bs_close(bs);
	free(w);
	free(r);
}

static void test_discard(void **state)
{
	struct loopdev *l = need_loop(state);
	struct bs_config c = cfg_of(l->dev);
	struct backstore *bs = open_cfg(&c);
	unsigned char *w = xalloc(4 * MiB), *r = xalloc(4 * MiB);
	blkcnt_t before, after;

	fill(w, 4 * MiB, 11);
	assert_int_equal(run(bs, BS_OP_WRITE, 8 * MiB, 4 * MiB, w), 0);
	assert_int_equal(run(bs, BS_OP_FLUSH, 0, 0, NULL), 0);
	before = backing_blocks(l);
	assert_int_equal(run(bs, BS_OP_DISCARD, 9 * MiB, 2 * MiB, NULL), 0);
	assert_int_equal(run(bs, BS_OP_READ, 8 * MiB, 4 * MiB, r), 0);
	assert_memory_equal(r, w, MiB);
	assert_zero(r + MiB, 2 * MiB);
	assert_memory_equal(r + 3 * MiB, w + 3 * MiB, MiB);
	after = backing_blocks(l);
	if (before - after < 4096 - 16)
		fail_msg("DISCARD of 2 MiB freed %lld of the backing file's %lld sectors",
			 (long long)(before - after), (long long)before);
	bs_close(bs);
	free(w);
	free(r);
}

static void test_write_zeroes(void **state)
{
	struct loopdev *l = need_loop(state);
	struct bs_config c = cfg_of(l->dev);
	struct backstore *bs = open_cfg(&c);
	unsigned char *w = xalloc(2 * MiB), *r = xalloc(2 * MiB);

	fill(w, 2 * MiB, 12);
	assert_int_equal(run(bs, BS_OP_WRITE, 0, 2 * MiB, w), 0);
	assert_int_equal(run(bs, BS_OP_WRITE_ZEROES, 512, MiB, NULL), 0);
	assert_int_equal(run(bs, BS_OP_READ, 0, 2 * MiB, r), 0);
	assert_memory_equal(r, w, 512);
	assert_zero(r + 512, MiB);
	assert_memory_equal(r + MiB + 512, w + MiB + 512, MiB - 512);
	backing_read(l, r, 2 * MiB, 0);
	assert_zero(r + 512, MiB);
	bs_close(bs);
	free(w);
	free(r);
}

/* O_EXCL: a second opener (read-write or readonly) is refused while the
 * first holds the device, with a message that says why. */
static void test_exclusive(void **state)
{
	struct loopdev *l = need_loop(state);
	struct bs_config c = cfg_of(l->dev);
	struct backstore *bs = open_cfg(&c);
	struct backstore *again;

	refuse(&c, "busy");
	assert_non_null(strstr(err, l->dev));
	c.readonly = true;
	refuse(&c, "busy");
	bs_close(bs);
	again = open_cfg(&c);
	bs_close(again);
}

static void test_readonly(void **state)
{
	struct loopdev *l = need_loop(state);
	struct bs_config c = cfg_of(l->dev);
	struct backstore *bs;
	unsigned char *b = xalloc(4096);

	c.readonly = true;
	bs = open_cfg(&c);
	assert_false(bs->can_discard);
	memset(b, 1, 4096);
	assert_int_equal(run(bs, BS_OP_WRITE, 0, 4096, b), -EROFS);
	assert_int_equal(run(bs, BS_OP_WRITE_ZEROES, 0, 4096, NULL), -EROFS);
	assert_int_equal(run(bs, BS_OP_READ, 0, 4096, b), 0);
	assert_zero(b, 4096);
	bs_close(bs);
	free(b);
}

static void test_size_limits(void **state)
{
	struct loopdev *l = need_loop(state);
	struct bs_config c = cfg_of(l->dev);
	struct backstore *bs;

	c.size = LOOP_SIZE + 512;
	refuse(&c, "at most the device's 67108864 bytes");
	c.size = MiB + 100;
	refuse(&c, "multiple of block_size 512");
	c.size = 32 * MiB;
	bs = open_cfg(&c);
	assert_int_equal(bs->size, 32 * MiB);
	bs_close(bs);
}

/* A device with 4096-byte logical blocks cannot be served as 512. */
static void test_4k_device(void **state)
{
	struct loopdev *l = need_loop(state);
	struct bs_config c = cfg_of(l->dev);
	struct backstore *bs;
	unsigned char *w = xalloc(8192), *r = xalloc(8192);

	c.block_size = 512;
	refuse(&c, "block_size 512 is smaller than the logical block size 4096");
	c.block_size = 0;
	bs = open_cfg(&c);
	assert_int_equal(bs->block_size, 4096);
	assert_int_equal(bs->phys_block_size, 4096);
	assert_int_equal(bs->size, LOOP_SIZE);
	fill(w, 8192, 13);
	assert_int_equal(run(bs, BS_OP_WRITE, 4096, 8192, w), 0);
	assert_int_equal(run(bs, BS_OP_READ, 4096, 8192, r), 0);
	assert_memory_equal(r, w, 8192);
	assert_int_equal(run(bs, BS_OP_WRITE, 512, 4096, w), -EINVAL);
	bs_close(bs);
	free(w);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_a_block_device),
		cmocka_unit_test_setup_teardown(test_geometry, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_fua_flush, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_discard, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_write_zeroes, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_exclusive, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_readonly, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_size_limits, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_4k_device, loop4k_setup, loop_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
