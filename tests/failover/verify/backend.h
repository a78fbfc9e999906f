/* A device to write to and read from: a path (block device or regular
 * file, O_DIRECT from worker threads) or an iscsi:// URL (libiscsi, one
 * event loop). Both drive the same io_source: the source says what to do
 * next and hears how each I/O ended; the backend keeps up to qd in flight.
 * The write engine and verify are io_sources. */
#ifndef VERIFY_BACKEND_H
#define VERIFY_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum io_kind { IO_READ, IO_WRITE };

struct io {
	/* Set by the source in next(). */
	enum io_kind kind;
	uint64_t offset;	/* bytes, a multiple of the device block size */
	uint32_t len;
	uint64_t block, seq, expect_acked;	/* the source's own */
	/* Owned by the backend: max_len bytes, aligned for O_DIRECT. */
	unsigned char *buf;
	/* Set by the backend before done(). */
	bool ok;
	char why[200];		/* what failed, when !ok */
};

enum next_action {
	NEXT_ISSUE,	/* io is filled in: issue it */
	NEXT_WAIT,	/* nothing to issue now; ask again after a completion */
	NEXT_END,	/* nothing more, ever: drain and return */
};

struct io_source {
	uint32_t max_len;	/* the largest io->len next() will ask for */
	/* next() and done() may be called from several threads at once. */
	enum next_action (*next)(struct io_source *src, struct io *io);
	void (*done)(struct io_source *src, struct io *io);
	/* Called from the backend's own thread a few times a second. false:
	 * the source has written off what is in flight (it will ignore their
	 * done()), and the backend must return without waiting for them. */
	bool (*tick)(struct io_source *src);
};

struct backend;

struct backend_ops {
	int (*run)(struct backend *b, struct io_source *src, unsigned qd,
		   char *err, size_t errlen);
	/* Writes len bytes at offset and says, as one line, what the device
	 * answered: "status GOOD", "status CHECK_CONDITION key ...", or
	 * "error TEXT". 0 when the device answered with a status. */
	int (*probe_write)(struct backend *b, uint64_t offset, unsigned char *buf,
			   uint32_t len, char *line, size_t linelen);
	void (*close)(struct backend *b);
};

struct backend {
	const struct backend_ops *ops;
	uint64_t size;		/* bytes */
	uint32_t block_size;	/* the device's logical block */
};

/* A DEV starting with iscsi:// is an iSCSI LU, anything else a path.
 * writable false opens a path read-only. */
struct backend *backend_open(const char *dev, const char *initiator, bool writable,
			     char *err, size_t errlen);

struct backend *path_open(const char *path, bool writable, char *err, size_t errlen);
struct backend *iscsi_open(const char *url, const char *initiator, char *err,
			   size_t errlen);

static inline int backend_run(struct backend *b, struct io_source *src,
			      unsigned qd, char *err, size_t errlen)
{
	return b->ops->run(b, src, qd, err, errlen);
}

static inline void backend_close(struct backend *b)
{
	if (b)
		b->ops->close(b);
}

#endif
