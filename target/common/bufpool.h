/* Per-worker data buffers in power-of-two size classes. A buffer returned to
 * the pool is kept for the next command of that size, so the I/O path does
 * not call malloc once the pool is warm. Buffers are 4096-aligned, which
 * O_DIRECT needs. Not thread-safe: one pool a worker. */
#ifndef TANDEM_COMMON_BUFPOOL_H
#define TANDEM_COMMON_BUFPOOL_H

#include <stddef.h>
#include <stdint.h>

#define BUFPOOL_MIN_SHIFT 12	/* 4 KiB */
#define BUFPOOL_MAX_SHIFT 25	/* 32 MiB */
#define BUFPOOL_CLASSES (BUFPOOL_MAX_SHIFT - BUFPOOL_MIN_SHIFT + 1)

struct bufpool {
	void *free[BUFPOOL_CLASSES];	/* singly linked through the buffer */
	unsigned nfree[BUFPOOL_CLASSES];
	unsigned keep;			/* buffers kept per class at most */
};

void bufpool_init(struct bufpool *p, unsigned keep);
void bufpool_destroy(struct bufpool *p);
/* A buffer of at least len bytes (len > 0 and <= 1 << BUFPOOL_MAX_SHIFT),
 * or NULL. *cap receives its real size. */
void *bufpool_get(struct bufpool *p, size_t len, size_t *cap);
void bufpool_put(struct bufpool *p, void *buf, size_t cap);

#endif
