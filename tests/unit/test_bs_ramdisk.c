/* ramdisk backstore: round trips across chunk boundaries, sparse reads,
 * discard and write-zeroes freeing or zeroing chunks, config refusals, and
 * several threads (each with its own ring) on one ramdisk, including
 * discards racing writes (memory safety shows under the ASan build). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backstore/backstore.h"
#include "test_bs_fixture.h"

#define MiB (1024u * 1024u)

static char err[512];

/* ramdisk I/O completes inside bs_submit(): the callback must have run
 * exactly once when it returns, else NOT_ONCE (no cmocka assert here:
 * worker threads call this too). */
#define NOT_ONCE (-100000)

static int rd_io(struct backstore *bs, struct bs_ring *ring, enum bs_op op,
		 uint64_t off, uint64_t len, void *buf)
{
	struct rec r = { 0, 1 };
	struct bs_io io = {
		.op = op, .offset = off, .len = len, .buf = buf,
		.done = on_done, .priv = &r,
	};

	bs_submit(bs, ring, &io);
	return r.calls == 1 ? r.err : NOT_ONCE;
}

static struct bs_config rd_cfg(uint64_t size)
{
	struct bs_config c;

	memset(&c, 0, sizeof(c));
	c.kind = BS_RAMDISK;
	snprintf(c.name, sizeof(c.name), "rd0");
	c.size = size;
	return c;
}

static struct backstore *rd_open(uint64_t size)
{
	struct bs_config c = rd_cfg(size);
	struct backstore *bs = bs_open(&c, err, sizeof(err));

	if (!bs)
		fail_msg("bs_open: %s", err);
	return bs;
}

static void test_geometry(void **state)
{
	struct backstore *bs = rd_open(64ull * MiB);

	assert_int_equal(bs->size, 64ull * MiB);
	assert_int_equal(bs->block_size, 512);
	assert_int_equal(bs->phys_block_size, 512);
	assert_true(bs->can_discard);
	assert_int_equal(bs->fd, -1);
	assert_string_equal(bs->ops->plugin, "ramdisk");
	bs_close(bs);
}

static void refuse(const struct bs_config *c, const char *want);

/* An atomic write across two chunks, the second never written before:
 * both are taken first, then the data lands whole. */
static void test_atomic_write(void **state)
{
	struct backstore *bs = rd_open(4ull * MiB);
	uint64_t len = 64 * 1024, off = MiB - len / 2;
	unsigned char *w = malloc(len), *r = malloc(len);
	struct rec rc = { 0, 1 };
	struct bs_io io = {
		.op = BS_OP_WRITE, .flags = BS_F_ATOMIC, .offset = off, .len = len,
		.buf = w, .done = on_done, .priv = &rc,
	};

	assert_non_null(w);
	assert_non_null(r);
	assert_int_equal(bs->atomic_max, MiB);
	for (uint64_t i = 0; i < len; i++)
		w[i] = (unsigned char)(i * 31 + 7);
	bs_submit(bs, NULL, &io);
	assert_int_equal(rc.calls, 1);
	assert_int_equal(rc.err, 0);
	assert_int_equal(rd_io(bs, NULL, BS_OP_READ, off, len, r), 0);
	assert_memory_equal(r, w, len);
	free(w);
	free(r);
	bs_close(bs);
	(void)state;
}

/* A 512e LU: 512-byte logical blocks on 4 KiB physical ones. */
static void test_physical_block_size(void **state)
{
	struct bs_config c = rd_cfg(MiB);
	struct backstore *bs;

	c.phys_block_size = 4096;
	bs = bs_open(&c, err, sizeof(err));
	if (!bs)
		fail_msg("bs_open: %s", err);
	assert_int_equal(bs->block_size, 512);
	assert_int_equal(bs->phys_block_size, 4096);
	bs_close(bs);
	c.phys_block_size = 3000;
	refuse(&c, "physical_block_size 3000");
	c.phys_block_size = 256;
	refuse(&c, "physical_block_size 256");
	c.phys_block_size = 1u << 17;
	refuse(&c, "physical_block_size 131072");
	c.block_size = 4096;
	c.phys_block_size = 2048;
	refuse(&c, "from the block size 4096");
	(void)state;
}

static void test_roundtrip(void **state)
{
	struct backstore *bs = rd_open(64ull * MiB);
	unsigned char *w = xalloc(3 * MiB), *r = xalloc(3 * MiB);
	static const struct {
		uint64_t off, len;
	} cases[] = {
		{ 0, 512 },
		{ MiB - 4096, 8192 },		/* crosses a chunk edge */
		{ 5 * MiB + 512, 3 * MiB },	/* spans four chunks */
		{ 64ull * MiB - 4096, 4096 },	/* last block */
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fill(w, cases[i].len, i + 1);
		memset(r, 0xee, cases[i].len);
		assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE, cases[i].off,
				       cases[i].len, w), 0);
		assert_int_equal(rd_io(bs, NULL, BS_OP_READ, cases[i].off,
				       cases[i].len, r), 0);
		assert_memory_equal(r, w, cases[i].len);
	}
	/* Neighbours of a partial write within a fresh chunk read zero. */
	assert_int_equal(rd_io(bs, NULL, BS_OP_READ, MiB - 8192, 4096, r), 0);
	assert_zero(r, 4096);
	assert_int_equal(rd_io(bs, NULL, BS_OP_FLUSH, 0, 0, NULL), 0);
	free(w);
	free(r);
	bs_close(bs);
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, res = 0;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld %ld", &pages, &res), 2);
	fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* A 1 GiB ramdisk costs nothing until written, and reading all of it
 * neither allocates nor returns anything but zeroes. */
static void test_sparse(void **state)
{
	unsigned char *r = xalloc(MiB);
	long before = rss_kib();
	struct backstore *bs = rd_open(1024ull * MiB);

	for (uint64_t off = 0; off < bs->size; off += MiB) {
		memset(r, 0xa5, MiB);
		assert_int_equal(rd_io(bs, NULL, BS_OP_READ, off, MiB, r), 0);
		assert_zero(r, MiB);
	}
	if (rss_kib() - before > 16 * 1024)
		fail_msg("RSS grew by %ld KiB for an unwritten 1 GiB ramdisk",
			 rss_kib() - before);
	bs_close(bs);
	free(r);
}

static void test_discard(void **state)
{
	struct backstore *bs = rd_open(8ull * MiB);
	unsigned char *w = xalloc(4 * MiB), *r = xalloc(4 * MiB);

	fill(w, 4 * MiB, 7);
	assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE, 0, 4 * MiB, w), 0);
	/* Whole chunk 1 plus half of chunk 2. */
	assert_int_equal(rd_io(bs, NULL, BS_OP_DISCARD, MiB, MiB + MiB / 2, NULL), 0);
	assert_int_equal(rd_io(bs, NULL, BS_OP_READ, 0, 4 * MiB, r), 0);
	assert_memory_equal(r, w, MiB);
	assert_zero(r + MiB, MiB + MiB / 2);
	assert_memory_equal(r + 5 * MiB / 2, w + 5 * MiB / 2, 3 * MiB / 2);

	/* WRITE_ZEROES over a partial range and a whole chunk. */
	assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE_ZEROES, 512, 1024, NULL), 0);
	assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE_ZEROES, 3 * MiB, MiB, NULL), 0);
	assert_int_equal(rd_io(bs, NULL, BS_OP_READ, 0, 4 * MiB, r), 0);
	assert_memory_equal(r, w, 512);
	assert_zero(r + 512, 1024);
	assert_memory_equal(r + 1536, w + 1536, MiB - 1536);
	assert_zero(r + 3 * MiB, MiB);

	/* A discarded chunk can be written again. */
	assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE, MiB, MiB, w), 0);
	assert_int_equal(rd_io(bs, NULL, BS_OP_READ, MiB, MiB, r), 0);
	assert_memory_equal(r, w, MiB);
	free(w);
	free(r);
	bs_close(bs);
}

/* The last chunk of a ramdisk that is not a whole number of MiB. */
static void test_short_last_chunk(void **state)
{
	struct backstore *bs = rd_open(MiB + 8192);
	unsigned char *w = xalloc(8192), *r = xalloc(8192);

	fill(w, 8192, 3);
	assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE, MiB, 8192, w), 0);
	assert_int_equal(rd_io(bs, NULL, BS_OP_READ, MiB, 8192, r), 0);
	assert_memory_equal(r, w, 8192);
	assert_int_equal(rd_io(bs, NULL, BS_OP_DISCARD, MiB, 8192, NULL), 0);
	assert_int_equal(rd_io(bs, NULL, BS_OP_READ, MiB, 8192, r), 0);
	assert_zero(r, 8192);
	free(w);
	free(r);
	bs_close(bs);
}

static void test_guards(void **state)
{
	struct backstore *bs = rd_open(4ull * MiB);
	unsigned char *b = xalloc(8192);

	memset(b, 1, 8192);
	assert_int_equal(rd_io(bs, NULL, BS_OP_READ, 4ull * MiB, 512, b), -EINVAL);
	assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE, 4ull * MiB - 512, 1024, b), -EINVAL);
	assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE, UINT64_MAX - 511, 1024, b), -EINVAL);
	assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE, 100, 512, b), -EINVAL);
	assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE, 0, 100, b), -EINVAL);
	assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE, 0, 512, NULL), -EFAULT);
	assert_int_equal(rd_io(bs, NULL, (enum bs_op)42, 0, 512, b), -EINVAL);
	assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE, 0, 0, b), 0);
	free(b);
	bs_close(bs);
}

static void test_readonly(void **state)
{
	struct bs_config c = rd_cfg(2 * MiB);
	struct backstore *bs;
	unsigned char *b = xalloc(4096);

	c.readonly = true;
	bs = bs_open(&c, err, sizeof(err));
	assert_non_null(bs);
	memset(b, 1, 4096);
	assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE, 0, 4096, b), -EROFS);
	assert_int_equal(rd_io(bs, NULL, BS_OP_DISCARD, 0, 4096, NULL), -EROFS);
	assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE_ZEROES, 0, 4096, NULL), -EROFS);
	assert_int_equal(rd_io(bs, NULL, BS_OP_READ, 0, 4096, b), 0);
	assert_zero(b, 4096);
	free(b);
	bs_close(bs);
}

static void refuse(const struct bs_config *c, const char *want)
{
	memset(err, 0, sizeof(err));
	if (bs_open(c, err, sizeof(err)))
		fail_msg("bs_open accepted a config that should fail with \"%s\"", want);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not mention \"%s\"", err, want);
}

static void test_config_refusals(void **state)
{
	struct bs_config c = rd_cfg(0);

	refuse(&c, "size is 0");
	c = rd_cfg(MiB + 100);
	refuse(&c, "not a multiple of block_size 512");
	c = rd_cfg(MiB + 512);
	c.block_size = 4096;
	refuse(&c, "not a multiple of block_size 4096");
	c = rd_cfg(MiB);
	c.block_size = 1000;
	refuse(&c, "block_size 1000");
	c = rd_cfg(MiB);
	snprintf(c.path, sizeof(c.path), "/tmp/x");
	refuse(&c, "has no backing path");
	c = rd_cfg(MiB);
	c.name[0] = '\0';
	refuse(&c, "name is empty");
	c = rd_cfg(MiB);
	snprintf(c.name, sizeof(c.name), "a/b");
	refuse(&c, "not allowed");
	c = rd_cfg(MiB);
	memset(c.name, 'x', sizeof(c.name));
	refuse(&c, "not NUL-terminated");
	c = rd_cfg(MiB);
	c.kind = (enum bs_kind)7;
	refuse(&c, "kind 7");
	/* Absurd sizes fail cleanly instead of crashing. */
	c = rd_cfg(UINT64_MAX - 511);
	refuse(&c, "exceeds the ramdisk limit");
	refuse(NULL, "no configuration");

	c = rd_cfg(MiB);
	c.block_size = 4096;
	struct backstore *bs = bs_open(&c, err, sizeof(err));
	assert_non_null(bs);
	assert_int_equal(bs->block_size, 4096);
	bs_close(bs);
}

struct writer {
	struct backstore *bs;
	unsigned parity;
	int errors;
};

#define CW_BLOCK 4096u
#define CW_SIZE (16u * MiB)

/* Each thread writes every other 4 KiB block, both walking the same
 * chunks at the same time, so they race to allocate each one. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char e[256];
	struct bs_ring *ring = bs_ring_create(8, e, sizeof(e));
	unsigned char *b = NULL;

	if (!ring || posix_memalign((void **)&b, 4096, CW_BLOCK) != 0) {
		w->errors++;
		return NULL;
	}
	for (uint64_t blk = w->parity; blk < CW_SIZE / CW_BLOCK; blk += 2) {
		fill(b, CW_BLOCK, (unsigned)blk);
		if (rd_io(w->bs, ring, BS_OP_WRITE, blk * CW_BLOCK, CW_BLOCK, b))
			w->errors++;
	}
	free(b);
	bs_ring_destroy(ring);
	return NULL;
}

static void test_concurrent_writers(void **state)
{
	unsigned char *want = xalloc(CW_BLOCK), *got = xalloc(CW_BLOCK);

	for (int round = 0; round < 8; round++) {
		struct backstore *bs = rd_open(CW_SIZE);
		struct writer w[2] = { { bs, 0, 0 }, { bs, 1, 0 } };
		pthread_t t[2];

		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&t[i], NULL, writer_main, &w[i]), 0);
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[0].errors + w[1].errors, 0);
		for (uint64_t blk = 0; blk < CW_SIZE / CW_BLOCK; blk++) {
			fill(want, CW_BLOCK, (unsigned)blk);
			assert_int_equal(rd_io(bs, NULL, BS_OP_READ, blk * CW_BLOCK,
					       CW_BLOCK, got), 0);
			if (memcmp(want, got, CW_BLOCK))
				fail_msg("round %d: block %llu lost its write", round,
					 (unsigned long long)blk);
		}
		bs_close(bs);
	}
	free(want);
	free(got);
}

struct racer {
	struct backstore *bs;
	int discarder;
	atomic_int *stop;
	long iters;
	int errors;
};

/* One thread writes and reads 4 KiB blocks of chunks 0-1 while the other
 * discards those chunks whole, for half a second. Small copies mean many
 * pointer loads, each a chance for a discard to free the chunk between the
 * load and the copy; under ASan that is a use-after-free report. */
static void *racer_main(void *arg)
{
	struct racer *rc = arg;
	char e[256];
	struct bs_ring *ring = bs_ring_create(8, e, sizeof(e));
	unsigned char *b = NULL;

	if (!ring || posix_memalign((void **)&b, 4096, 4096) != 0) {
		rc->errors++;
		return NULL;
	}
	fill(b, 4096, 9);
	while (!atomic_load(rc->stop)) {
		uint64_t off = ((uint64_t)rc->iters * 4096 * 7) % (2 * MiB);

		if (rc->discarder) {
			rc->errors += rd_io(rc->bs, ring, BS_OP_DISCARD,
					    (rc->iters & 1) * MiB, MiB, NULL) != 0;
		} else {
			rc->errors += rd_io(rc->bs, ring, BS_OP_WRITE, off, 4096, b) != 0;
			rc->errors += rd_io(rc->bs, ring, BS_OP_READ, off, 4096, b) != 0;
		}
		rc->iters++;
	}
	free(b);
	bs_ring_destroy(ring);
	return NULL;
}

static void test_discard_races_io(void **state)
{
	struct backstore *bs = rd_open(4 * MiB);
	atomic_int stop;
	struct racer rc[2] = { { bs, 0, &stop, 0, 0 }, { bs, 1, &stop, 0, 0 } };
	unsigned char *w = xalloc(2 * MiB), *r = xalloc(2 * MiB);
	pthread_t t[2];

	atomic_init(&stop, 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, racer_main, &rc[i]), 0);
	usleep(500 * 1000);
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(rc[0].errors + rc[1].errors, 0);
	assert_true(rc[0].iters > 100 && rc[1].iters > 100);
	/* Quiet again, the ramdisk behaves normally. */
	fill(w, 2 * MiB, 11);
	assert_int_equal(rd_io(bs, NULL, BS_OP_WRITE, 0, 2 * MiB, w), 0);
	assert_int_equal(rd_io(bs, NULL, BS_OP_READ, 0, 2 * MiB, r), 0);
	assert_memory_equal(r, w, 2 * MiB);
	free(w);
	free(r);
	bs_close(bs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_sparse),
		cmocka_unit_test(test_discard),
		cmocka_unit_test(test_short_last_chunk),
		cmocka_unit_test(test_guards),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_config_refusals),
		cmocka_unit_test(test_physical_block_size),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_concurrent_writers),
		cmocka_unit_test(test_discard_races_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
