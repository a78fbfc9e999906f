/* What the backstore tests share: a completion recorder, aligned buffers,
 * patterns, and running one I/O to completion on a ring. */
#ifndef TANDEM_TEST_BS_FIXTURE_H
#define TANDEM_TEST_BS_FIXTURE_H

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "backstore/backstore.h"

struct rec {
	int calls;
	int err;
};

static inline void on_done(struct bs_io *io, int e)
{
	struct rec *r = io->priv;

	r->calls++;
	r->err = e;
}

/* 4096-aligned, as O_DIRECT needs. */
static inline void *xalloc(size_t len)
{
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, 4096, len), 0);
	return p;
}

static inline void fill(unsigned char *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 12));
}

static inline void assert_zero(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			fail_msg("byte %zu is 0x%02x, expected zero", i, p[i]);
}

/* Submits one I/O on ring and waits (20 s at most) for its completion;
 * returns its error. */
static inline int bs_run(struct bs_ring *ring, struct backstore *bs, enum bs_op op,
			 unsigned flags, uint64_t off, uint64_t len, void *buf)
{
	struct rec r = { 0, 1 };
	struct bs_io io = {
		.op = op, .flags = flags, .offset = off, .len = len, .buf = buf,
		.done = on_done, .priv = &r,
	};

	bs_submit(bs, ring, &io);
	bs_ring_submit(ring);
	while (r.calls == 0) {
		struct pollfd p = { .fd = bs_ring_eventfd(ring), .events = POLLIN };

		if (poll(&p, 1, 20000) != 1)
			fail_msg("op %d: no completion within 20 s", op);
		bs_ring_reap(ring);
	}
	assert_int_equal(r.calls, 1);
	return r.err;
}

#endif
