/* The per-worker io_uring engine that fileio and block run on.
 *
 * Per-I/O state (where a short transfer got to, which step of a discard is
 * running) lives in a per-ring request table indexed by the SQE's
 * user_data, because struct bs_io has no room for it and the I/O path must
 * not malloc. The table starts at the CQ size and only grows (doubling) if a
 * worker keeps more I/Os outstanding than that, so a warm ring never
 * allocates. Each request has at most one SQE in the kernel at a time.
 *
 * Callbacks run only from bs_ring_reap(). When the kernel refuses a
 * submission for lack of CQ room or memory, completions are taken off the
 * CQ into a "stashed" list whose handling waits for the next reap (the
 * eventfd is kicked so the worker comes back), so a bs_submit() never runs
 * another I/O's callback underneath its caller. */
#include "backstore/backstore_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/compiler.h"

/* IORING_MAX_ENTRIES in the kernel. */
#define RING_MAX_ENTRIES 32768u
/* Keeps each SQE's length inside the kernel's MAX_RW_COUNT; the rest of a
 * bigger transfer is continued like any short one. */
#define RW_MAX_CHUNK (1u << 30)
#define ZERO_CHUNK (1u << 20)
/* -EAGAIN/-EINTR completions in a row before the error is passed on, so a
 * device that keeps refusing cannot spin a worker forever. */
#define RETRY_MAX 100
#define NO_REQ UINT32_MAX

enum step {
	STEP_RW,		/* READ or WRITE of io->buf */
	STEP_FLUSH,		/* BS_OP_FLUSH */
	STEP_PUNCH,		/* DISCARD: punch a hole */
	STEP_ZERO_RANGE,	/* WRITE_ZEROES, or DISCARD that cannot punch */
	STEP_ZERO_WRITE,	/* neither fallocate mode: write zero_buf */
	STEP_SYNC,		/* make a finished DISCARD/WRITE_ZEROES durable */
};

struct req {
	struct bs_io *io;
	struct backstore *bs;
	uint64_t done;		/* bytes of this step already transferred */
	int res;		/* a stashed CQE's result */
	uint32_t next;		/* free list or stashed list */
	uint16_t retries;
	uint8_t step;
	bool durable;
};

struct bs_ring {
	struct io_uring uring;
	int efd;
	struct req *req;
	uint32_t nreq;
	uint32_t free_head;
	uint32_t stash_head, stash_tail;
	unsigned inflight;	/* accepted, callback not yet run */
	unsigned in_kernel;	/* SQEs submitted, CQE not yet taken */
};

/* Source of zero-writes when a filesystem or device has no fallocate mode
 * for it. Never written, so it stays in .bss; 4096-aligned for O_DIRECT. */
static _Alignas(4096) unsigned char zero_buf[ZERO_CHUNK];

static int grow(struct bs_ring *r, uint32_t n)
{
	struct req *t;

	if (n <= r->nreq || n > (UINT32_MAX >> 1))
		return -ENOMEM;
	t = realloc(r->req, (size_t)n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (uint32_t i = r->nreq; i < n; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].next = i + 1 < n ? i + 1 : r->free_head;
	}
	r->free_head = r->nreq;
	r->req = t;
	r->nreq = n;
	return 0;
}

struct bs_ring *bs_ring_create(unsigned entries, char *err, size_t errlen)
{
	struct io_uring_params p;
	struct io_uring_probe *probe;
	static const struct {
		int op;
		const char *name;
	} need[] = {
		{ IORING_OP_READ, "READ" },
		{ IORING_OP_WRITE, "WRITE" },
		{ IORING_OP_FSYNC, "FSYNC" },
		{ IORING_OP_FALLOCATE, "FALLOCATE" },
	};
	struct bs_ring *r;
	int ret;

	if (entries == 0 || entries > RING_MAX_ENTRIES) {
		errf(err, errlen, "bs_ring: entries %u: must be 1..%u",
			entries, RING_MAX_ENTRIES);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		errf(err, errlen, "bs_ring: cannot allocate: %s", strerror(errno));
		return NULL;
	}
	r->efd = -1;
	r->free_head = r->stash_head = r->stash_tail = NO_REQ;

	memset(&p, 0, sizeof(p));
	ret = io_uring_queue_init_params(entries, &r->uring, &p);
	if (ret < 0) {
		errf(err, errlen, "bs_ring: io_uring_queue_init(%u): %s%s", entries,
			strerror(-ret),
			ret == -EPERM ? " (io_uring disabled by sysctl kernel.io_uring_disabled?)" :
			ret == -ENOSYS ? " (kernel built without io_uring)" :
			ret == -ENOMEM ? " (RLIMIT_MEMLOCK too low on kernels before 5.12?)" : "");
		free(r);
		return NULL;
	}
	/* Without NODROP the kernel discards completions when the CQ is full,
	 * and a lost CQE is a command that never finishes. */
	if (!(p.features & IORING_FEAT_NODROP)) {
		errf(err, errlen, "bs_ring: this kernel's io_uring lacks IORING_FEAT_NODROP (Linux 5.5 or later needed)");
		goto fail;
	}
	probe = io_uring_get_probe_ring(&r->uring);
	if (!probe) {
		errf(err, errlen, "bs_ring: cannot probe io_uring opcodes (Linux 5.6 or later needed)");
		goto fail;
	}
	for (size_t i = 0; i < ARRAY_SIZE(need); i++) {
		if (!io_uring_opcode_supported(probe, need[i].op)) {
			errf(err, errlen, "bs_ring: this kernel's io_uring lacks IORING_OP_%s",
				need[i].name);
			io_uring_free_probe(probe);
			goto fail;
		}
	}
	io_uring_free_probe(probe);

	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->efd < 0) {
		errf(err, errlen, "bs_ring: eventfd: %s", strerror(errno));
		goto fail;
	}
	ret = io_uring_register_eventfd(&r->uring, r->efd);
	if (ret < 0) {
		errf(err, errlen, "bs_ring: io_uring_register_eventfd: %s",
			strerror(-ret));
		goto fail;
	}
	if (grow(r, p.cq_entries) != 0) {
		errf(err, errlen, "bs_ring: cannot allocate %u request slots",
			p.cq_entries);
		goto fail;
	}
	return r;
fail:
	if (r->efd >= 0)
		close(r->efd);
	io_uring_queue_exit(&r->uring);
	free(r->req);
	free(r);
	return NULL;
}

int bs_ring_eventfd(const struct bs_ring *ring)
{
	return ring->efd;
}

unsigned bs_ring_inflight(const struct bs_ring *ring)
{
	return ring->inflight;
}

/* Takes every available CQE off the ring without acting on it; see the
 * file comment. */
static unsigned stash_cqes(struct bs_ring *r)
{
	struct io_uring_cqe *cqe;
	unsigned n = 0;

	while (io_uring_peek_cqe(&r->uring, &cqe) == 0) {
		uint32_t idx = (uint32_t)io_uring_cqe_get_data64(cqe);

		r->req[idx].res = cqe->res;
		r->req[idx].next = NO_REQ;
		if (r->stash_tail == NO_REQ)
			r->stash_head = idx;
		else
			r->req[r->stash_tail].next = idx;
		r->stash_tail = idx;
		io_uring_cqe_seen(&r->uring, cqe);
		r->in_kernel--;
		n++;
	}
	if (n)
		eventfd_write(r->efd, 1);
	return n;
}

/* Hands every queued SQE to the kernel. Does not return until it has:
 * an SQE already in the SQ cannot be failed back to its submitter, so a
 * temporary refusal is waited out and anything else is a bug. */
static void ring_flush(struct bs_ring *r)
{
	while (io_uring_sq_ready(&r->uring) > 0) {
		int ret = io_uring_submit(&r->uring);

		if (ret > 0) {
			r->in_kernel += (unsigned)ret;
			continue;
		}
		if (ret == -EINTR)
			continue;
		if (ret != 0 && ret != -EAGAIN && ret != -EBUSY) {
			fprintf(stderr, "tandemd: bs_ring: io_uring_submit: %s; %u SQEs cannot be submitted\n",
				strerror(-ret), io_uring_sq_ready(&r->uring));
			abort();
		}
		if (stash_cqes(r))
			continue;
		if (r->in_kernel) {
			struct io_uring_cqe *cqe;

			io_uring_wait_cqe(&r->uring, &cqe);
		} else {
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
		}
	}
}

void bs_ring_submit(struct bs_ring *ring)
{
	ring_flush(ring);
}

/* An SQE, submitting what is queued first when the SQ is full. */
static struct io_uring_sqe *get_sqe(struct bs_ring *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->uring);

	if (!sqe) {
		ring_flush(r);
		sqe = io_uring_get_sqe(&r->uring);
	}
	if (!sqe) {
		fprintf(stderr, "tandemd: bs_ring: no SQE free after a full submit\n");
		abort();
	}
	return sqe;
}

static void queue_step(struct bs_ring *r, uint32_t idx)
{
	struct io_uring_sqe *sqe = get_sqe(r);
	const struct req *q = &r->req[idx];
	const struct bs_io *io = q->io;
	int fd = q->bs->fd;
	uint64_t left = io->len - q->done;

	switch ((enum step)q->step) {
	case STEP_RW:
		if (io->op == BS_OP_READ) {
			io_uring_prep_read(sqe, fd, (char *)io->buf + q->done,
					   (unsigned)MIN(left, RW_MAX_CHUNK),
					   io->offset + q->done);
		} else {
			io_uring_prep_write(sqe, fd, (char *)io->buf + q->done,
					    (unsigned)MIN(left, RW_MAX_CHUNK),
					    io->offset + q->done);
			if (q->durable)
				sqe->rw_flags = RWF_DSYNC;
		}
		break;
	case STEP_ZERO_WRITE:
		/* Not RWF_DSYNC: one STEP_SYNC after the last chunk is cheaper
		 * than a sync per MiB. */
		io_uring_prep_write(sqe, fd, zero_buf,
				    (unsigned)MIN(left, ZERO_CHUNK),
				    io->offset + q->done);
		break;
	case STEP_PUNCH:
		io_uring_prep_fallocate(sqe, fd,
					FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					(off_t)io->offset, (off_t)io->len);
		break;
	case STEP_ZERO_RANGE:
		io_uring_prep_fallocate(sqe, fd,
					FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
					(off_t)io->offset, (off_t)io->len);
		break;
	case STEP_FLUSH:
	case STEP_SYNC:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	}
	io_uring_sqe_set_data64(sqe, idx);
}

/* Frees the request before the callback so that the callback can submit
 * (and reuse the slot) and sees an inflight count without its own I/O. */
static unsigned finish(struct bs_ring *r, uint32_t idx, int err)
{
	struct req *q = &r->req[idx];
	struct bs_io *io = q->io;

	q->io = NULL;
	q->bs = NULL;
	q->next = r->free_head;
	r->free_head = idx;
	r->inflight--;
	io->done(io, err);
	return 1;
}

static void next_step(struct bs_ring *r, uint32_t idx, enum step step)
{
	struct req *q = &r->req[idx];

	q->step = (uint8_t)step;
	q->done = 0;
	q->retries = 0;
	queue_step(r, idx);
}

/* The range now reads as zeroes; in write-through (or for FUA) that must
 * survive a crash before the command completes, like a write. */
static unsigned zeroed(struct bs_ring *r, uint32_t idx)
{
	if (!r->req[idx].durable)
		return finish(r, idx, 0);
	next_step(r, idx, STEP_SYNC);
	return 0;
}

/* Acts on one CQE; returns 1 when the I/O's callback ran. */
static unsigned handle(struct bs_ring *r, uint32_t idx, int res)
{
	struct req *q = &r->req[idx];

	if ((res == -EAGAIN || res == -EINTR) && q->retries < RETRY_MAX) {
		q->retries++;
		queue_step(r, idx);
		return 0;
	}
	switch ((enum step)q->step) {
	case STEP_RW:
	case STEP_ZERO_WRITE:
		if (res < 0)
			return finish(r, idx, res);
		/* No progress (EOF under a truncated file) or more than asked
		 * for: the transfer cannot be completed honestly. */
		if (res == 0 || (uint64_t)res > q->io->len - q->done)
			return finish(r, idx, -EIO);
		q->done += (uint64_t)res;
		q->retries = 0;
		if (q->done < q->io->len) {
			queue_step(r, idx);
			return 0;
		}
		return q->step == STEP_RW ? finish(r, idx, 0) : zeroed(r, idx);
	case STEP_PUNCH:
		if (res == -EOPNOTSUPP) {
			next_step(r, idx, STEP_ZERO_RANGE);
			return 0;
		}
		return res < 0 ? finish(r, idx, res) : zeroed(r, idx);
	case STEP_ZERO_RANGE:
		if (res == -EOPNOTSUPP) {
			next_step(r, idx, STEP_ZERO_WRITE);
			return 0;
		}
		return res < 0 ? finish(r, idx, res) : zeroed(r, idx);
	case STEP_FLUSH:
	case STEP_SYNC:
		return finish(r, idx, res < 0 ? res : 0);
	}
	return finish(r, idx, -EIO);
}

void bs_ring_queue(struct bs_ring *r, struct backstore *bs, struct bs_io *io)
{
	struct req *q;
	uint32_t idx;

	if (r->free_head == NO_REQ && grow(r, r->nreq * 2) != 0) {
		io->done(io, -ENOMEM);
		return;
	}
	idx = r->free_head;
	q = &r->req[idx];
	r->free_head = q->next;
	q->io = io;
	q->bs = bs;
	q->done = 0;
	q->retries = 0;
	q->next = NO_REQ;
	q->durable = !bs_write_back(bs) || (io->flags & BS_F_FUA);
	switch (io->op) {
	case BS_OP_READ:
	case BS_OP_WRITE:
		q->step = STEP_RW;
		break;
	case BS_OP_FLUSH:
		q->step = STEP_FLUSH;
		break;
	case BS_OP_DISCARD:
		/* Without discard support a punch would fail every time. */
		q->step = bs->can_discard ? STEP_PUNCH : STEP_ZERO_RANGE;
		break;
	case BS_OP_WRITE_ZEROES:
		q->step = STEP_ZERO_RANGE;
		break;
	}
	r->inflight++;
	queue_step(r, idx);
}

unsigned bs_ring_reap(struct bs_ring *r)
{
	struct io_uring_cqe *cqe;
	eventfd_t ignored;
	unsigned n = 0;

	/* Reset the eventfd before draining, so a CQE posted after the last
	 * peek makes it readable again and the worker is not left asleep. */
	eventfd_read(r->efd, &ignored);
	for (;;) {
		uint32_t idx;
		int res;

		if (r->stash_head != NO_REQ) {
			idx = r->stash_head;
			r->stash_head = r->req[idx].next;
			if (r->stash_head == NO_REQ)
				r->stash_tail = NO_REQ;
			res = r->req[idx].res;
		} else if (io_uring_peek_cqe(&r->uring, &cqe) == 0) {
			idx = (uint32_t)io_uring_cqe_get_data64(cqe);
			res = cqe->res;
			io_uring_cqe_seen(&r->uring, cqe);
			r->in_kernel--;
		} else {
			break;
		}
		n += handle(r, idx, res);
	}
	/* Continuations and retries queued above must not wait for a submit
	 * the worker may not make before it sleeps on the eventfd. */
	ring_flush(r);
	return n;
}

/* The caller drains first; anything still in flight is waited for and
 * its callback run here, because freeing the ring under a kernel request
 * would let the kernel write into buffers their owner has reused. */
void bs_ring_destroy(struct bs_ring *ring)
{
	if (!ring)
		return;
	while (ring->inflight) {
		struct io_uring_cqe *cqe;

		ring_flush(ring);
		if (ring->stash_head == NO_REQ)
			io_uring_wait_cqe(&ring->uring, &cqe);
		bs_ring_reap(ring);
	}
	io_uring_queue_exit(&ring->uring);
	close(ring->efd);
	free(ring->req);
	free(ring);
}
