/* The backstore interface: the SCSI core submits byte-addressed reads,
 * writes, flushes and discards here and is called back on completion. A
 * backstore knows nothing of CDBs, LUNs or sense data.
 *
 * I/O goes through a per-worker bs_ring (one io_uring a worker thread), so no
 * lock is taken on the I/O path. Completions run on the worker that
 * submitted, either from bs_ring_reap() or, for backstores that finish at
 * once (ramdisk), from inside bs_submit() itself: a caller must not touch
 * the bs_io after bs_submit() unless it knows the callback has not run. */
#ifndef TANDEM_BACKSTORE_BACKSTORE_H
#define TANDEM_BACKSTORE_BACKSTORE_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bs_ring;
struct backstore;

enum bs_op {
	BS_OP_READ,
	BS_OP_WRITE,
	BS_OP_FLUSH,		/* make everything written so far durable */
	BS_OP_DISCARD,		/* unmap: later reads return zeroes */
	BS_OP_WRITE_ZEROES,	/* allocate-and-zero (or unmap if that reads zero) */
};

#define BS_F_FUA 0x1		/* WRITE: durable before completion */
/* WRITE: all of it or none of it, never a part, even on an error; only
 * for a backstore whose atomic_max is at least len. */
#define BS_F_ATOMIC 0x2

struct bs_io {
	enum bs_op op;
	unsigned flags;
	uint64_t offset;	/* bytes, multiple of the block size */
	uint64_t len;		/* bytes */
	void *buf;		/* READ/WRITE: len bytes, 4096-aligned */
	/* err is 0 or a negative errno. */
	void (*done)(struct bs_io *io, int err);
	void *priv;		/* the submitter's */
};

enum bs_kind { BS_RAMDISK, BS_FILEIO, BS_BLOCK };

/* What the daemon configures; every field checked by bs_open(). */
struct bs_config {
	enum bs_kind kind;
	char name[64];
	char path[PATH_MAX];	/* fileio, block */
	uint64_t size;		/* ramdisk: required; fileio: creates/extends
				   the file to this size if non-zero */
	uint32_t block_size;	/* logical block size: 512 or 4096; 0 = 512 */
	/* Physical block size reported to initiators (READ CAPACITY(16)
	 * LBPPBE, block limits): a power of two from block_size to 64
	 * KiB, e.g. 4096 over 512-byte blocks for a 512e LU; 0 = what the
	 * device says (block) or block_size. */
	uint32_t phys_block_size;
	/* fileio: buffered writes, flushed on SYNC CACHE or FUA; false =
	 * write-through. Changes while the backstore runs (the daemon turns
	 * it off live): read it with bs_write_back(). */
	atomic_bool write_back;
	bool readonly;
};

struct bs_ops {
	const char *plugin;	/* targetcli's plugin name */
	int (*open)(struct backstore *bs, char *err, size_t errlen);
	void (*close)(struct backstore *bs);
	void (*submit)(struct backstore *bs, struct bs_ring *ring,
		       struct bs_io *io);
};

struct backstore {
	const struct bs_ops *ops;
	struct bs_config cfg;
	uint64_t size;		/* usable bytes, a multiple of block_size */
	uint32_t block_size;
	uint32_t phys_block_size;
	bool can_discard;	/* DISCARD really frees space and reads zero */
	/* Longest BS_F_ATOMIC write in bytes, 0: none. Only a ramdisk
	 * offers it: a file or a block device would need RWF_ATOMIC, which
	 * needs O_DIRECT and a device and filesystem with atomic write
	 * units (statx STATX_WRITE_ATOMIC), and neither fileio (buffered)
	 * nor a DRBD device has them. */
	uint32_t atomic_max;
	int fd;			/* fileio, block; -1 otherwise */
	void *priv;		/* kind-specific state */
};

/* Relaxed: a write that still reads true after write-back was turned off
 * comes from an initiator that has not yet been told WCE=0, so it still
 * flushes with SYNCHRONIZE CACHE; the worker that tells it (MODE SENSE)
 * reads WCE with acquire, which orders this load after the change. */
static inline bool bs_write_back(const struct backstore *bs)
{
	return atomic_load_explicit(&bs->cfg.write_back, memory_order_relaxed);
}

/* Opens the backing store described by cfg. On failure returns NULL and
 * writes into err what failed and why (naming the path or field). */
struct backstore *bs_open(const struct bs_config *cfg, char *err, size_t errlen);
void bs_close(struct backstore *bs);

/* Submits io; bounds are checked by the caller (the SCSI core). */
void bs_submit(struct backstore *bs, struct bs_ring *ring, struct bs_io *io);

/* Per-worker completion ring. */
struct bs_ring *bs_ring_create(unsigned entries, char *err, size_t errlen);
void bs_ring_destroy(struct bs_ring *ring);
/* An eventfd that becomes readable when completions are waiting. */
int bs_ring_eventfd(const struct bs_ring *ring);
/* Submits everything queued since the last call (one syscall for a batch);
 * the worker calls it before it sleeps. */
void bs_ring_submit(struct bs_ring *ring);
/* Runs the callbacks of every finished I/O; returns how many. */
unsigned bs_ring_reap(struct bs_ring *ring);
/* I/Os submitted and not yet completed. */
unsigned bs_ring_inflight(const struct bs_ring *ring);

#endif
