/* SANITIZE (SBC-4 5.30, 4.11): OVERWRITE, BLOCK ERASE and EXIT FAILURE
 * MODE; CRYPTO ERASE is refused (the medium is not encrypted). Only on a
 * LU whose emulate_sanitize attribute is set: wiping a production LU from
 * an initiator is something an administrator opts into.
 *
 * The work belongs to the LU, not to the command: a job walks the medium
 * in bounded chunks through the backstore on the worker that received the
 * SANITIZE, and goes on if that command is aborted, its LU reset or its
 * session lost, as SBC-4 requires. Meanwhile every other command but a few
 * that leave the medium alone meets NOT READY, SANITIZE IN PROGRESS with
 * the progress indication; REQUEST SENSE reports the same with GOOD. A
 * job that fails leaves the LU in failure mode: medium access gets MEDIUM
 * ERROR, SANITIZE COMMAND FAILED until a SANITIZE succeeds or, when the
 * failed one allowed it (AUSE), EXIT FAILURE MODE. The LU's own state and
 * the job pointer are under lu->lock; the mode is also an atomic every
 * command reads without it. */
#include <stdlib.h>
#include <string.h>

#include "scsi/core.h"

/* Bytes one backstore request of the job covers: the overwrite pattern
 * buffer's size, and the unit progress moves by. */
#define SANITIZE_CHUNK (1u << 20)
#define SANITIZE_ERASE_CHUNK (64u << 20)

struct sanitize_job {
	struct scsi_lu *lu;
	struct scsi_cmd *cmd;		/* waiting for the end; NULL: IMMED
					   or aborted */
	struct bs_ring *ring;		/* the worker's the job runs on */
	struct bufpool *pool;
	struct bs_io bio;
	uint8_t sa;
	bool ause;
	bool invert;
	unsigned passes, pass;
	uint8_t *buf;
	size_t buf_cap;
	uint64_t off, end;		/* bytes of the current pass */
	uint64_t done, total;		/* bytes, all passes */
	int err;
	bool io_pending, in_pump, flushed;
};

int sanitize_parse_overwrite(const uint8_t *p, uint32_t len, uint32_t block_size,
			     struct sanitize_overwrite *ow)
{
	uint32_t ipl;

	if (len < 5 || len > block_size + 4u)
		return -1;
	ipl = get_be16(p + 2);
	memset(ow, 0, sizeof(*ow));
	ow->invert = p[0] & 0x80;
	ow->passes = p[0] & 0x1f;
	/* TEST (a vendor's test mode) and the reserved byte must be zero,
	 * at least one pass, and one pattern of 1 to block size bytes that
	 * the list holds exactly. */
	if ((p[0] & 0x60) || p[1] || ow->passes == 0 ||
	    ipl == 0 || ipl > block_size || ipl + 4u != len)
		return -1;
	ow->pattern_len = ipl;
	ow->pattern = p + 4;
	return 0;
}

int sbc_setup_sanitize(struct scsi_cmd *cmd)
{
	uint8_t sa = cmd->cdb[1] & 0x1f;
	uint32_t len = get_be16(cmd->cdb + 7);

	/* SBC-4: the parameter list of OVERWRITE is 5 to block size + 4
	 * bytes; the others take none. A wrong length is a bad CDB field. */
	if (sa == SANITIZE_OVERWRITE) {
		if (len < 5 || len > cmd->lu->block_size + 4u)
			return scsi_fail_cdb(cmd, 7, -1);
		cmd->dir = SCSI_DIR_WRITE;
		cmd->data_len = len;
	} else if (len) {
		return scsi_fail_cdb(cmd, 7, -1);
	}
	return 0;
}

/* Fills the job's buffer with whole blocks, the pattern repeated from
 * each block's start (SBC-4 5.30.3). */
static void fill_pattern(struct sanitize_job *j, const struct sanitize_overwrite *ow)
{
	uint32_t bs = j->lu->block_size;

	for (uint32_t i = 0; i < bs; i++)
		j->buf[i] = ow->pattern[i % ow->pattern_len];
	for (size_t off = bs; off + bs <= j->buf_cap; off += bs)
		memcpy(j->buf + off, j->buf, bs);
}

/* INVERT: the pattern is inverted between consecutive passes. */
static void invert_pattern(struct sanitize_job *j)
{
	for (size_t i = 0; i < j->buf_cap; i++)
		j->buf[i] = (uint8_t)~j->buf[i];
}

static void set_progress(struct sanitize_job *j)
{
	struct scsi_lu_core *c = lu_core(j->lu);
	uint64_t p = j->total ? j->done * 65536 / j->total : 0;

	atomic_store_explicit(&c->sanitize_progress, (unsigned)(p > 65535 ? 65535 : p),
			      memory_order_relaxed);
}

static void job_end(struct sanitize_job *j)
{
	struct scsi_lu *lu = j->lu;
	struct scsi_lu_core *c = lu_core(lu);
	struct scsi_cmd *cmd;

	pthread_mutex_lock(&lu->lock);
	cmd = j->cmd;
	c->sanitize_job = NULL;
	if (j->err) {
		c->sanitize_ause = j->ause;
		atomic_store(&c->sanitize_mode, SANITIZE_MODE_FAILED);
	} else {
		atomic_store(&c->sanitize_erased, j->sa == SANITIZE_BLOCK_ERASE);
		atomic_store(&c->sanitize_mode, SANITIZE_MODE_IDLE);
	}
	pthread_mutex_unlock(&lu->lock);
	bufpool_put(j->pool, j->buf, j->buf_cap);
	if (cmd) {
		if (j->err)
			scsi_fail(cmd, SK_MEDIUM_ERROR, ASC_SANITIZE_FAILED);
		scsi_cmd_complete(cmd);
	}
	free(j);
	scsi_lu_unhold(lu);
}

static void job_pump(struct sanitize_job *j);

static void chunk_done(struct bs_io *io, int err)
{
	struct sanitize_job *j = io->priv;

	j->io_pending = false;
	if (err && !j->err)
		j->err = err;
	if (!j->in_pump)
		job_pump(j);
}

/* Submits the job's next request, or ends it. Requests that complete at
 * once (ramdisk, which does all its I/O inside the submission) loop here
 * instead of recursing; the others come back through the worker's ring,
 * one chunk in flight at a time. */
static void job_pump(struct sanitize_job *j)
{
	j->in_pump = true;
	for (;;) {
		struct bs_io *io = &j->bio;
		uint64_t len;

		if (!j->err && j->off == j->end && j->sa == SANITIZE_OVERWRITE &&
		    ++j->pass < j->passes) {
			j->off = 0;
			if (j->invert)
				invert_pattern(j);
		}
		if (j->err || (j->off == j->end && j->flushed)) {
			job_end(j);
			return;
		}
		*io = (struct bs_io){ .done = chunk_done, .priv = j };
		if (j->off == j->end) {
			/* Durable before GOOD, whatever the write cache. */
			io->op = BS_OP_FLUSH;
			j->flushed = true;
		} else if (j->sa == SANITIZE_OVERWRITE) {
			len = MIN(j->end - j->off, (uint64_t)j->buf_cap);
			*io = (struct bs_io){ .op = BS_OP_WRITE, .offset = j->off,
					      .len = len, .buf = j->buf,
					      .done = chunk_done, .priv = j };
			j->off += len;
			j->done += len;
		} else {
			len = MIN(j->end - j->off, (uint64_t)SANITIZE_ERASE_CHUNK);
			*io = (struct bs_io){ .op = BS_OP_DISCARD, .offset = j->off,
					      .len = len, .done = chunk_done, .priv = j };
			j->off += len;
			j->done += len;
		}
		set_progress(j);
		j->io_pending = true;
		bs_submit(j->lu->bs, j->ring, io);
		if (j->io_pending) {
			j->in_pump = false;
			return;
		}
	}
}

static void exit_failure_mode(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	struct scsi_lu_core *c = lu_core(lu);

	pthread_mutex_lock(&lu->lock);
	if (atomic_load(&c->sanitize_mode) == SANITIZE_MODE_FAILED) {
		/* SBC-4: only a failed sanitize that allowed it (AUSE) may
		 * be left this way; otherwise a new SANITIZE must succeed. */
		if (c->sanitize_ause)
			atomic_store(&c->sanitize_mode, SANITIZE_MODE_IDLE);
		else
			scsi_fail_cdb(cmd, 1, 5);
	}
	pthread_mutex_unlock(&lu->lock);
	scsi_cmd_complete(cmd);
}

void sbc_sanitize(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	struct scsi_lu_core *c = lu_core(lu);
	uint8_t sa = cmd->cdb[1] & 0x1f;
	bool immed = cmd->cdb[1] & 0x80;
	struct sanitize_overwrite ow;
	struct sanitize_job *j;

	if (sa == SANITIZE_EXIT_FAILURE_MODE) {
		exit_failure_mode(cmd);
		return;
	}
	if (sa == SANITIZE_OVERWRITE &&
	    sanitize_parse_overwrite(cmd->buf, cmd->data_len, lu->block_size,
				     &ow) < 0) {
		/* INVALID FIELD IN CDB, not IN PARAMETER LIST: what
		 * libiscsi's conformance tests expect for a list that does
		 * not describe one pattern, the CDB's length being part of
		 * what is inconsistent. No field pointer: no single field is
		 * to blame. */
		scsi_fail(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		scsi_cmd_complete(cmd);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j || !(j->buf = bufpool_get(cmd->pool, SANITIZE_CHUNK, &j->buf_cap))) {
		free(j);
		cmd->status = SAM_STAT_BUSY;
		scsi_cmd_complete(cmd);
		return;
	}
	j->lu = lu;
	j->ring = cmd->ring;
	j->pool = cmd->pool;
	j->sa = sa;
	j->ause = cmd->cdb[1] & 0x20;
	j->end = lu->nblocks * lu->block_size;
	if (sa == SANITIZE_OVERWRITE) {
		j->invert = ow.invert;
		j->passes = ow.passes;
		fill_pattern(j, &ow);
	} else {
		j->passes = 1;
	}
	j->total = j->end * j->passes;
	pthread_mutex_lock(&lu->lock);
	if (c->sanitize_job) {
		/* Another SANITIZE started since this one was set up. */
		pthread_mutex_unlock(&lu->lock);
		bufpool_put(j->pool, j->buf, j->buf_cap);
		free(j);
		scsi_sanitize_refuse(cmd, SANITIZE_MODE_RUNNING);
		scsi_cmd_complete(cmd);
		return;
	}
	c->sanitize_job = j;
	/* Unmapping the LU waits for the job, not only for its command. */
	scsi_lu_hold(lu);
	j->cmd = immed ? NULL : cmd;
	atomic_store_explicit(&c->sanitize_progress, 0, memory_order_relaxed);
	atomic_store(&c->sanitize_mode, SANITIZE_MODE_RUNNING);
	pthread_mutex_unlock(&lu->lock);
	if (immed)
		scsi_cmd_complete(cmd);
	job_pump(j);
}

void sbc_sanitize_abort(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	struct scsi_lu_core *c = lu_core(lu);
	bool waiting;

	pthread_mutex_lock(&lu->lock);
	waiting = c->sanitize_job && c->sanitize_job->cmd == cmd;
	if (waiting)
		c->sanitize_job->cmd = NULL;
	pthread_mutex_unlock(&lu->lock);
	/* The job goes on without it (SBC-4 4.11: a reset or an abort does
	 * not stop a sanitize operation). */
	if (waiting)
		scsi_cmd_complete(cmd);
}

/* What a command may do while a sanitize runs or has failed: identify the
 * LU and its state, and (in failure mode) start a new SANITIZE. */
static bool allowed(const struct scsi_cmd *cmd, unsigned mode)
{
	switch (cmd->cdb[0]) {
	case 0x03:	/* REQUEST SENSE */
	case 0x12:	/* INQUIRY */
	case 0xa0:	/* REPORT LUNS */
	case 0xa3:	/* REPORT SUPPORTED OPCODES, TARGET PORT GROUPS */
		return true;
	case 0x48:	/* SANITIZE */
		return mode == SANITIZE_MODE_FAILED;
	}
	return false;
}

int scsi_sanitize_refuse(struct scsi_cmd *cmd, unsigned mode)
{
	struct scsi_sense s = { 0 };

	if (mode == SANITIZE_MODE_FAILED)
		return scsi_fail(cmd, SK_MEDIUM_ERROR, ASC_SANITIZE_FAILED);
	scsi_sanitize_sense(cmd->lu, &s);
	return scsi_fail_sense(cmd, &s);
}

int scsi_sanitize_check(struct scsi_cmd *cmd, unsigned mode)
{
	if (allowed(cmd, mode))
		return 0;
	return scsi_sanitize_refuse(cmd, mode);
}

bool scsi_sanitize_sense(const struct scsi_lu *lu, struct scsi_sense *s)
{
	struct scsi_lu_core *c = lu_core(lu);
	unsigned p;

	if (atomic_load(&c->sanitize_mode) != SANITIZE_MODE_RUNNING)
		return false;
	p = atomic_load_explicit(&c->sanitize_progress, memory_order_relaxed);
	memset(s, 0, sizeof(*s));
	s->key = SK_NOT_READY;
	s->asc = ASC_SANITIZE_IN_PROGRESS;
	s->sks_valid = true;
	s->sks[0] = 0x80;			/* SKSV: progress indication */
	put_be16(s->sks + 1, (uint16_t)p);
	return true;
}

bool scsi_sanitize_supported(const struct scsi_op *op, const struct scsi_lu *lu)
{
	if (!scsi_lu_emulate_sanitize(lu))
		return false;
	/* BLOCK ERASE is a discard of everything: offered where a discard
	 * really frees the blocks and reads back zeroes, and the LU says it
	 * is thin-provisioned, so GET LBA STATUS and LBPRZ mean something. */
	if (op->sa == SANITIZE_BLOCK_ERASE)
		return scsi_lu_emulate_tpu(lu) && lu->bs->can_discard;
	return true;
}
