/* ramdisk: memory in 1 MiB chunks allocated on first write, so a large
 * ramdisk costs nothing until written. Every I/O finishes inside
 * bs_submit().
 *
 * Several workers use one ramdisk at once with no lock. A chunk's pointer is
 * installed with a compare-and-swap (the loser frees its copy). Freeing a
 * chunk while another thread copies into it would be a use-after-free, so
 * each chunk has a state word: the number of I/Os currently using it, plus
 * a DYING bit. An I/O increments the count before loading the pointer and
 * decrements it when done. DISCARD of a whole chunk frees it only if it can
 * move the state from exactly 0 to DYING, i.e. nobody holds it; it then
 * clears the pointer, drops DYING and frees. An I/O that arrives while
 * DYING is set waits (yielding) the few instructions until it clears, then
 * sees the NULL pointer. If the chunk is busy, DISCARD zeroes it in place
 * instead: memory is reclaimed only when that is provably safe, and the
 * range reads as zeroes either way. Overlapping concurrent commands have no
 * defined order in SCSI, so an I/O racing a DISCARD may see either side. */
#include "backstore/backstore_priv.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"

#define CHUNK_SHIFT 20
#define CHUNK_SIZE ((uint64_t)1 << CHUNK_SHIFT)
#define DYING 0x80000000u
/* The chunk table costs 16 bytes a MiB whether written or not; 16 TiB keeps
 * it at 256 MiB and is far beyond any host's memory. */
#define RD_MAX_SIZE ((uint64_t)16 << 40)

struct rd_chunk {
	_Atomic(unsigned char *) data;
	atomic_uint state;	/* users, | DYING while being freed */
};

struct ramdisk {
	uint64_t size;
	size_t nchunks;
	struct rd_chunk chunk[];
};

static unsigned char *chunk_get(struct rd_chunk *c)
{
	unsigned s = atomic_fetch_add_explicit(&c->state, 1,
					       memory_order_acquire);

	while (s & DYING) {
		sched_yield();
		s = atomic_load_explicit(&c->state, memory_order_acquire);
	}
	return atomic_load_explicit(&c->data, memory_order_acquire);
}

static void chunk_put(struct rd_chunk *c)
{
	atomic_fetch_sub_explicit(&c->state, 1, memory_order_release);
}

/* Called with the chunk held; returns NULL only when out of memory. */
static unsigned char *chunk_alloc(struct rd_chunk *c)
{
	unsigned char *expect = NULL;
	unsigned char *p = calloc(1, CHUNK_SIZE);

	if (!p)
		return NULL;
	if (!atomic_compare_exchange_strong_explicit(&c->data, &expect, p,
						     memory_order_acq_rel,
						     memory_order_acquire)) {
		free(p);
		return expect;
	}
	return p;
}

/* Whole-chunk discard: free if nobody holds it, else zero in place. */
static void chunk_discard(struct rd_chunk *c)
{
	unsigned idle = 0;

	if (atomic_compare_exchange_strong_explicit(&c->state, &idle, DYING,
						    memory_order_acquire,
						    memory_order_relaxed)) {
		unsigned char *p = atomic_exchange_explicit(&c->data, NULL,
							    memory_order_acq_rel);

		atomic_fetch_sub_explicit(&c->state, DYING, memory_order_release);
		free(p);
		return;
	}
	unsigned char *p = chunk_get(c);

	if (p)
		memset(p, 0, CHUNK_SIZE);
	chunk_put(c);
}

static int ramdisk_open(struct backstore *bs, char *err, size_t errlen)
{
	const struct bs_config *cfg = &bs->cfg;
	struct ramdisk *rd;
	size_t n;

	if (cfg->size == 0) {
		errf(err, errlen, "ramdisk %s: size is 0; a ramdisk needs a size in bytes (a multiple of block_size %u)",
			cfg->name, bs->block_size);
		return -1;
	}
	if (cfg->size % bs->block_size) {
		errf(err, errlen, "ramdisk %s: size %llu is not a multiple of block_size %u",
			cfg->name, (unsigned long long)cfg->size, bs->block_size);
		return -1;
	}
	if (cfg->size > RD_MAX_SIZE) {
		errf(err, errlen, "ramdisk %s: size %llu exceeds the ramdisk limit of %llu bytes (16 TiB)",
			cfg->name, (unsigned long long)cfg->size,
			(unsigned long long)RD_MAX_SIZE);
		return -1;
	}
	n = (size_t)(cfg->size >> CHUNK_SHIFT) + !!(cfg->size & (CHUNK_SIZE - 1));
	rd = calloc(1, sizeof(*rd) + n * sizeof(rd->chunk[0]));
	if (!rd) {
		errf(err, errlen, "ramdisk %s: size %llu: cannot allocate the table of %zu chunks: %s",
			cfg->name, (unsigned long long)cfg->size, n,
			strerror(ENOMEM));
		return -1;
	}
	rd->size = cfg->size;
	rd->nchunks = n;
	for (size_t i = 0; i < n; i++) {
		atomic_init(&rd->chunk[i].data, NULL);
		atomic_init(&rd->chunk[i].state, 0);
	}
	bs->priv = rd;
	bs->size = cfg->size;
	bs->phys_block_size = bs->block_size;
	bs->can_discard = true;
	bs->atomic_max = CHUNK_SIZE;
	return 0;
}

static void ramdisk_close(struct backstore *bs)
{
	struct ramdisk *rd = bs->priv;

	for (size_t i = 0; i < rd->nchunks; i++)
		free(atomic_load_explicit(&rd->chunk[i].data, memory_order_relaxed));
	free(rd);
	bs->priv = NULL;
}

/* An atomic write takes (allocating where needed) every chunk it touches
 * before it copies a byte, so running out of memory fails it whole. Which
 * concurrent commands may see it half-copied is the SCSI core's business:
 * it keeps overlapping commands out of the range meanwhile. */
static int ramdisk_write_atomic(struct ramdisk *rd, const struct bs_io *io)
{
	size_t first = io->offset >> CHUNK_SHIFT;
	size_t last = (io->offset + io->len - 1) >> CHUNK_SHIFT;
	int err = 0;
	size_t i;

	for (i = first; i <= last; i++) {
		struct rd_chunk *c = &rd->chunk[i];
		if (!chunk_get(c) && !chunk_alloc(c)) {
			chunk_put(c);
			err = -ENOMEM;
			break;
		}
	}
	if (!err) {
		const unsigned char *buf = io->buf;
		uint64_t off = io->offset, left = io->len;
		while (left) {
			struct rd_chunk *c = &rd->chunk[off >> CHUNK_SHIFT];
			uint64_t in = off & (CHUNK_SIZE - 1);
			size_t n = (size_t)MIN(left, CHUNK_SIZE - in);
			memcpy(atomic_load_explicit(&c->data, memory_order_acquire) + in,
			       buf, n);
			buf += n;
			off += n;
			left -= n;
		}
	}
	while (i-- > first)
		chunk_put(&rd->chunk[i]);
	return err;
}

static int ramdisk_rw(struct ramdisk *rd, const struct bs_io *io)
{
	unsigned char *buf = io->buf;
	uint64_t off = io->offset, left = io->len;

	while (left) {
		struct rd_chunk *c = &rd->chunk[off >> CHUNK_SHIFT];
		uint64_t in = off & (CHUNK_SIZE - 1);
		size_t n = (size_t)MIN(left, CHUNK_SIZE - in);
		unsigned char *p = chunk_get(c);

		if (io->op == BS_OP_READ) {
			if (p)
				memcpy(buf, p + in, n);
			else
				memset(buf, 0, n);
		} else {
			if (!p)
				p = chunk_alloc(c);
			if (!p) {
				chunk_put(c);
				return -ENOMEM;
			}
			memcpy(p + in, buf, n);
		}
		chunk_put(c);
		buf += n;
		off += n;
		left -= n;
	}
	return 0;
}

static void ramdisk_zero(struct ramdisk *rd, const struct bs_io *io)
{
	uint64_t off = io->offset, left = io->len;

	while (left) {
		struct rd_chunk *c = &rd->chunk[off >> CHUNK_SHIFT];
		uint64_t in = off & (CHUNK_SIZE - 1);
		size_t n = (size_t)MIN(left, CHUNK_SIZE - in);

		/* The last chunk may be short; covering all of it counts. */
		if (in == 0 && (n == CHUNK_SIZE || off + n == rd->size)) {
			chunk_discard(c);
		} else {
			unsigned char *p = chunk_get(c);

			if (p)
				memset(p + in, 0, n);
			chunk_put(c);
		}
		off += n;
		left -= n;
	}
}

static void ramdisk_submit(struct backstore *bs, struct bs_ring *ring,
			   struct bs_io *io)
{
	struct ramdisk *rd = bs->priv;
	int err = 0;

	switch (io->op) {
	case BS_OP_READ:
		err = ramdisk_rw(rd, io);
		break;
	case BS_OP_WRITE:
		if ((io->flags & BS_F_ATOMIC) && io->len)
			err = ramdisk_write_atomic(rd, io);
		else
			err = ramdisk_rw(rd, io);
		break;
	case BS_OP_DISCARD:
	case BS_OP_WRITE_ZEROES:
		ramdisk_zero(rd, io);
		break;
	case BS_OP_FLUSH:
		break;
	}
	io->done(io, err);
}

const struct bs_ops bs_ramdisk_ops = {
	.plugin = "ramdisk",
	.open = ramdisk_open,
	.close = ramdisk_close,
	.submit = ramdisk_submit,
};
