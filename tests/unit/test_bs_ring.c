/* bs_ring, the per-worker io_uring engine, exercised through a fileio
 * backstore: batching past a full SQ, eventfd wake-ups, reap counts, short
 * reads and writes continued for the remainder (a pipe hands data over in
 * pieces on demand, so the test controls exactly when a transfer is short),
 * no progress at EOF reported as an error, destroy draining what is in
 * flight, and two worker threads with their own rings on one backstore. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
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

static char err[512];
static char dir[256];

static void io_init(struct bs_io *io, struct rec *r, enum bs_op op,
		    uint64_t off, uint64_t len, void *buf)
{
	memset(io, 0, sizeof(*io));
	memset(r, 0, sizeof(*r));
	io->op = op;
	io->offset = off;
	io->len = len;
	io->buf = buf;
	io->done = on_done;
	io->priv = r;
}

/* Submits what is queued, then sleeps on the eventfd and reaps until
 * *calls reaches want; returns how many callbacks bs_ring_reap counted. */
static unsigned wait_calls(struct bs_ring *ring, const int *calls, int want)
{
	unsigned reaped = 0;

	bs_ring_submit(ring);
	while (*calls < want) {
		struct pollfd p = { .fd = bs_ring_eventfd(ring), .events = POLLIN };

		if (poll(&p, 1, 10000) != 1)
			fail_msg("no completion within 10 s (%d of %d callbacks)",
				 *calls, want);
		reaped += bs_ring_reap(ring);
	}
	return reaped;
}

static int run(struct backstore *bs, struct bs_ring *ring, enum bs_op op,
	       uint64_t off, uint64_t len, void *buf)
{
	struct bs_io io;
	struct rec r;

	io_init(&io, &r, op, off, len, buf);
	bs_submit(bs, ring, &io);
	wait_calls(ring, &r.calls, 1);
	assert_int_equal(r.calls, 1);
	return r.err;
}

static struct bs_ring *ring_new(unsigned entries)
{
	struct bs_ring *ring = bs_ring_create(entries, err, sizeof(err));

	if (!ring)
		fail_msg("bs_ring_create(%u): %s", entries, err);
	return ring;
}

static void file_path(char *path, size_t len, const char *name)
{
	snprintf(path, len, "%s/%s", dir, name);
}

static struct backstore *fileio_new(const char *name, uint64_t size)
{
	struct bs_config c;
	struct backstore *bs;

	memset(&c, 0, sizeof(c));
	c.kind = BS_FILEIO;
	snprintf(c.name, sizeof(c.name), "%s", name);
	file_path(c.path, sizeof(c.path), name);
	c.size = size;
	bs = bs_open(&c, err, sizeof(err));
	if (!bs)
		fail_msg("bs_open %s: %s", c.path, err);
	return bs;
}

static int group_setup(void **state)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/tandem-bs-ring-XXXXXX", t && *t ? t : "/var/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;

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

static void test_create_refusals(void **state)
{
	struct bs_ring *ring;

	assert_null(bs_ring_create(0, err, sizeof(err)));
	assert_non_null(strstr(err, "entries 0"));
	assert_null(bs_ring_create(40000, err, sizeof(err)));
	assert_non_null(strstr(err, "entries 40000"));
	ring = ring_new(1);
	assert_true(bs_ring_eventfd(ring) >= 0);
	assert_int_equal(bs_ring_inflight(ring), 0);
	assert_int_equal(bs_ring_reap(ring), 0);
	bs_ring_submit(ring);
	bs_ring_destroy(ring);
	bs_ring_destroy(NULL);
}

#define NQ 64

/* 64 writes on a ring of 4 SQEs, none submitted by the caller: the ring
 * submits on its own when the SQ fills, runs no callback inside
 * bs_submit(), and the request table grows past its initial size. */
static void test_sq_full(void **state)
{
	struct backstore *bs = fileio_new("sqfull", MiB);
	struct bs_ring *ring = ring_new(4);
	unsigned char *w = xalloc(NQ * 4 * KiB), *r = xalloc(NQ * 4 * KiB);
	struct bs_io io[NQ];
	struct rec rec[NQ];
	int calls = 0;
	unsigned reaped;

	fill(w, NQ * 4 * KiB, 5);
	for (int i = 0; i < NQ; i++) {
		io_init(&io[i], &rec[i], BS_OP_WRITE, (uint64_t)i * 4 * KiB,
			4 * KiB, w + i * 4 * KiB);
		bs_submit(bs, ring, &io[i]);
	}
	for (int i = 0; i < NQ; i++)
		calls += rec[i].calls;
	assert_int_equal(calls, 0);
	assert_int_equal(bs_ring_inflight(ring), NQ);

	/* wait_calls needs one counter; poll the sum instead. */
	reaped = 0;
	bs_ring_submit(ring);
	while (calls < NQ) {
		struct pollfd p = { .fd = bs_ring_eventfd(ring), .events = POLLIN };

		if (poll(&p, 1, 10000) != 1)
			fail_msg("stuck at %d of %d completions", calls, NQ);
		reaped += bs_ring_reap(ring);
		calls = 0;
		for (int i = 0; i < NQ; i++)
			calls += rec[i].calls;
	}
	assert_int_equal(reaped, NQ);
	assert_int_equal(bs_ring_inflight(ring), 0);
	for (int i = 0; i < NQ; i++) {
		assert_int_equal(rec[i].calls, 1);
		assert_int_equal(rec[i].err, 0);
	}
	assert_int_equal(run(bs, ring, BS_OP_READ, 0, NQ * 4 * KiB, r), 0);
	assert_memory_equal(r, w, NQ * 4 * KiB);
	bs_ring_destroy(ring);
	bs_close(bs);
	free(w);
	free(r);
}

/* A read that gets half its bytes is resubmitted for the rest, and does
 * not complete until the rest has arrived. */
static void test_short_read_continued(void **state)
{
	struct backstore *bs = fileio_new("shortread", MiB);
	struct bs_ring *ring = ring_new(8);
	unsigned char *b = xalloc(8 * KiB), half[4 * KiB];
	int saved = bs->fd, p[2];
	struct pollfd pfd;
	struct bs_io io;
	struct rec r;

	assert_int_equal(pipe(p), 0);
	bs->fd = p[0];
	memset(half, 'A', sizeof(half));
	assert_int_equal(write(p[1], half, sizeof(half)), sizeof(half));
	io_init(&io, &r, BS_OP_READ, 64 * KiB, 8 * KiB, b);
	bs_submit(bs, ring, &io);
	bs_ring_submit(ring);

	/* The first 4 KiB come back; the remainder must be waited for. */
	pfd = (struct pollfd){ .fd = bs_ring_eventfd(ring), .events = POLLIN };
	for (int i = 0; i < 5; i++) {
		if (poll(&pfd, 1, 100) == 1)
			bs_ring_reap(ring);
	}
	assert_int_equal(r.calls, 0);
	assert_int_equal(bs_ring_inflight(ring), 1);

	memset(half, 'B', sizeof(half));
	assert_int_equal(write(p[1], half, sizeof(half)), sizeof(half));
	wait_calls(ring, &r.calls, 1);
	assert_int_equal(r.err, 0);
	for (unsigned i = 0; i < 8 * KiB; i++)
		if (b[i] != (i < 4 * KiB ? 'A' : 'B'))
			fail_msg("byte %u is '%c'", i, b[i]);
	bs->fd = saved;
	close(p[0]);
	close(p[1]);
	bs_ring_destroy(ring);
	bs_close(bs);
	free(b);
}

/* A 1 MiB write into a 64 KiB pipe can only complete in pieces; every
 * byte must arrive, in order, before the write reports success. */
static void test_short_write_continued(void **state)
{
	struct backstore *bs = fileio_new("shortwrite", 2 * MiB);
	struct bs_ring *ring = ring_new(8);
	unsigned char *w = xalloc(MiB), *got = xalloc(MiB);
	int saved = bs->fd, p[2];
	size_t have = 0;
	struct bs_io io;
	struct rec r;

	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	/* The write side blocks as a disk would; only the reader is ours. */
	assert_int_equal(fcntl(p[1], F_SETFL, 0), 0);
	bs->fd = p[1];
	fill(w, MiB, 17);
	io_init(&io, &r, BS_OP_WRITE, 0, MiB, w);
	bs_submit(bs, ring, &io);
	bs_ring_submit(ring);
	while (r.calls == 0 || have < MiB) {
		struct pollfd pfd[2] = {
			{ .fd = bs_ring_eventfd(ring), .events = POLLIN },
			{ .fd = p[0], .events = POLLIN },
		};
		ssize_t n;

		if (poll(pfd, 2, 10000) < 1)
			fail_msg("stuck: %zu bytes through the pipe, %d callbacks",
				 have, r.calls);
		n = read(p[0], got + have, MiB - have);
		if (n > 0)
			have += (size_t)n;
		bs_ring_reap(ring);
		if (r.calls && have < MiB && n <= 0)
			fail_msg("write completed (err %d) with only %zu bytes written",
				 r.err, have);
	}
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.err, 0);
	assert_memory_equal(got, w, MiB);
	bs->fd = saved;
	close(p[0]);
	close(p[1]);
	bs_ring_destroy(ring);
	bs_close(bs);
	free(w);
	free(got);
}

/* The file shrinks under the backstore: a read that stops at EOF makes no
 * progress and must fail, not report a half-filled buffer as read. */
static void test_eof_is_error(void **state)
{
	struct backstore *bs = fileio_new("eof", MiB);
	struct bs_ring *ring = ring_new(8);
	unsigned char *b = xalloc(8 * KiB);
	char path[512];

	assert_int_equal(bs->size, MiB);
	file_path(path, sizeof(path), "eof");
	assert_int_equal(truncate(path, 512 * KiB), 0);
	assert_int_equal(run(bs, ring, BS_OP_READ, 512 * KiB - 4 * KiB, 8 * KiB, b), -EIO);
	assert_int_equal(run(bs, ring, BS_OP_READ, 768 * KiB, 4 * KiB, b), -EIO);
	assert_int_equal(run(bs, ring, BS_OP_READ, 0, 8 * KiB, b), 0);
	bs_ring_destroy(ring);
	bs_close(bs);
	free(b);
}

/* A ring destroyed with I/O in flight waits for it and runs every
 * callback, so no kernel request outlives the buffers. */
static void test_destroy_drains(void **state)
{
	struct backstore *bs = fileio_new("drain", MiB);
	struct bs_ring *ring = ring_new(8);
	unsigned char *w = xalloc(8 * 64 * KiB), *r = xalloc(8 * 64 * KiB);
	struct bs_io io[8];
	struct rec rec[8];

	fill(w, 8 * 64 * KiB, 23);
	for (int i = 0; i < 8; i++) {
		io_init(&io[i], &rec[i], BS_OP_WRITE, (uint64_t)i * 64 * KiB,
			64 * KiB, w + i * 64 * KiB);
		bs_submit(bs, ring, &io[i]);
	}
	bs_ring_submit(ring);
	bs_ring_destroy(ring);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(rec[i].calls, 1);
		assert_int_equal(rec[i].err, 0);
	}
	ring = ring_new(8);
	assert_int_equal(run(bs, ring, BS_OP_READ, 0, 8 * 64 * KiB, r), 0);
	assert_memory_equal(r, w, 8 * 64 * KiB);
	bs_ring_destroy(ring);
	bs_close(bs);
	free(w);
	free(r);
}

static void test_needs_ring(void **state)
{
	struct backstore *bs = fileio_new("noring", MiB);
	unsigned char *b = xalloc(4096);
	struct bs_io io;
	struct rec r;

	io_init(&io, &r, BS_OP_READ, 0, 4096, b);
	bs_submit(bs, NULL, &io);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.err, -EINVAL);
	bs_close(bs);
	free(b);
}

struct worker {
	struct backstore *bs;
	unsigned id;
	int errors;
};

#define TW_BLOCK (16 * KiB)
#define TW_SIZE (8 * MiB)

/* Each worker keeps 16 writes in flight on its own ring. */
static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	char e[256];
	struct bs_ring *ring = bs_ring_create(16, e, sizeof(e));
	unsigned char *b = NULL;
	struct bs_io io[16];
	struct rec rec[16];
	uint64_t nblk = TW_SIZE / TW_BLOCK;

	if (!ring || posix_memalign((void **)&b, 4096, 16 * TW_BLOCK) != 0) {
		wk->errors++;
		return NULL;
	}
	for (uint64_t base = wk->id; base < nblk; base += 2 * 16) {
		int n = 0, calls = 0;

		for (uint64_t blk = base; blk < nblk && n < 16; blk += 2, n++) {
			fill(b + n * TW_BLOCK, TW_BLOCK, (unsigned)blk);
			io_init(&io[n], &rec[n], BS_OP_WRITE, blk * TW_BLOCK,
				TW_BLOCK, b + n * TW_BLOCK);
			bs_submit(wk->bs, ring, &io[n]);
		}
		bs_ring_submit(ring);
		while (calls < n) {
			struct pollfd p = { .fd = bs_ring_eventfd(ring), .events = POLLIN };

			if (poll(&p, 1, 10000) != 1) {
				wk->errors++;
				break;
			}
			bs_ring_reap(ring);
			calls = 0;
			for (int i = 0; i < n; i++)
				calls += rec[i].calls;
		}
		for (int i = 0; i < n; i++)
			wk->errors += rec[i].err != 0;
	}
	free(b);
	bs_ring_destroy(ring);
	return NULL;
}

static void test_two_workers(void **state)
{
	struct backstore *bs = fileio_new("workers", TW_SIZE);
	struct worker wk[2] = { { bs, 0, 0 }, { bs, 1, 0 } };
	unsigned char *want = xalloc(TW_BLOCK), *got = xalloc(TW_BLOCK);
	char path[512];
	pthread_t t[2];
	int fd;

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &wk[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(wk[0].errors + wk[1].errors, 0);
	file_path(path, sizeof(path), "workers");
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	for (uint64_t blk = 0; blk < TW_SIZE / TW_BLOCK; blk++) {
		fill(want, TW_BLOCK, (unsigned)blk);
		assert_int_equal(pread(fd, got, TW_BLOCK, (off_t)(blk * TW_BLOCK)), TW_BLOCK);
		if (memcmp(want, got, TW_BLOCK))
			fail_msg("block %llu does not hold its write",
				 (unsigned long long)blk);
	}
	close(fd);
	bs_close(bs);
	free(want);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_refusals),
		cmocka_unit_test(test_sq_full),
		cmocka_unit_test(test_short_read_continued),
		cmocka_unit_test(test_short_write_continued),
		cmocka_unit_test(test_eof_is_error),
		cmocka_unit_test(test_destroy_drains),
		cmocka_unit_test(test_needs_ring),
		cmocka_unit_test(test_two_workers),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
