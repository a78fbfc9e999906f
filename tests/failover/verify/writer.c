#include "writer.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "stamp.h"
#include "util.h"

#define PROGRESS_EVERY 0.25	/* s */
#define FLUSH_EVERY 1.0		/* s, the ack log */
#define STOP_CHECK_EVERY 0.2	/* s, the stop file */
#define MAX_REPORTS 10		/* failed I/Os and bad reads told on stderr */
#define RANDOM_TRIES 16

struct writer {
	struct io_source src;	/* first: the backend hands it back */
	struct state *st;
	const struct write_opts *o;
	pthread_mutex_t lock;
	uint8_t *busy;		/* one a block: an I/O is in flight on it */
	uint64_t rng;
	unsigned inflight;
	bool stopping, gave_up, all_uncertain_told, progress_failed;
	uint64_t acked, errors, reads, read_bad, reports;
	double start, drain_deadline, end;		/* monotonic */
	double last_done, last_done_epoch, last_ok_epoch;
	double pause, pause_from, pause_to;
	double next_progress, next_flush, next_stop_check;
	FILE *ack;
};

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: cheap and spreads blocks evenly */
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static bool eligible(const struct writer *w, uint64_t i)
{
	return !w->busy[i] && w->st->blocks[i].cand == 0;
}

/* A block with nothing in flight and a known content; -1 when none. */
static int64_t pick_block(struct writer *w)
{
	uint64_t n = w->st->nblocks, start;

	for (int t = 0; t < RANDOM_TRIES; t++) {
		uint64_t i = rng_next(&w->rng) % n;

		if (eligible(w, i))
			return (int64_t)i;
	}
	start = rng_next(&w->rng) % n;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = (start + k) % n;

		if (eligible(w, i))
			return (int64_t)i;
	}
	return -1;
}

static enum next_action writer_next(struct io_source *src, struct io *io)
{
	struct writer *w = (struct writer *)src;
	struct state *st = w->st;
	bool is_read;
	int64_t i;

	pthread_mutex_lock(&w->lock);
	if (w->stopping || w->gave_up) {
		pthread_mutex_unlock(&w->lock);
		return NEXT_END;
	}
	is_read = w->o->read_pct && rng_next(&w->rng) % 100 < w->o->read_pct;
	i = pick_block(w);
	if (i < 0) {
		if (!w->inflight && !w->all_uncertain_told) {
			w->all_uncertain_told = true;
			msg("every block of the span is uncertain after failed writes: "
			    "nothing left to write until verify settles them");
		}
		pthread_mutex_unlock(&w->lock);
		return NEXT_WAIT;
	}
	w->busy[i] = 1;
	w->inflight++;
	io->kind = is_read ? IO_READ : IO_WRITE;
	io->block = (uint64_t)i;
	io->offset = (uint64_t)i * st->bs;
	io->len = st->bs;
	if (is_read) {
		io->seq = 0;
		io->expect_acked = st->blocks[i].acked;
	} else {
		io->seq = st->next_seq++;
		st->blocks[i].cand = io->seq;
	}
	pthread_mutex_unlock(&w->lock);
	if (!is_read)
		stamp_fill(io->buf, io->len, io->offset / SECTOR, io->seq, st->run_id);
	return NEXT_ISSUE;
}

/* Called with the lock held. */
static void note_completion(struct writer *w, double now, double epoch)
{
	if (now - w->last_done > w->pause) {
		w->pause = now - w->last_done;
		w->pause_from = w->last_done_epoch;
		w->pause_to = epoch;
	}
	w->last_done = now;
	w->last_done_epoch = epoch;
}

static void writer_done(struct io_source *src, struct io *io)
{
	struct writer *w = (struct writer *)src;
	struct state *st = w->st;
	struct expect e = { .first_lba = io->offset / SECTOR, .run_id = st->run_id,
			    .acked = io->expect_acked };
	bool bad = false;
	char what[600];
	double now, epoch;

	if (io->kind == IO_READ && io->ok) {
		bad = verdict_fails(check_block(io->buf, io->len, &e));
		if (bad)
			describe_block(io->buf, io->len, &e, what, sizeof(what));
	}
	pthread_mutex_lock(&w->lock);
	if (w->gave_up) {
		pthread_mutex_unlock(&w->lock);
		return;
	}
	now = now_mono();
	epoch = now_epoch();
	note_completion(w, now, epoch);
	if (io->ok)
		w->last_ok_epoch = epoch;
	if (io->kind == IO_WRITE && io->ok) {
		st->blocks[io->block].acked = io->seq;
		st->blocks[io->block].cand = 0;
		w->acked++;
		if (w->ack)
			fprintf(w->ack, "%" PRIu64 " %" PRIu64 " %u %.6f\n", io->seq,
				io->offset / SECTOR, io->len / SECTOR, epoch);
	} else if (!io->ok) {
		/* A failed write leaves its seq as the block's candidate. */
		w->errors++;
		if (w->reports++ < MAX_REPORTS)
			msg("%s (block %" PRIu64 "%s)", io->why, io->block,
			    io->kind == IO_WRITE ? ", now uncertain" : "");
	} else {
		w->reads++;
		if (bad) {
			w->read_bad++;
			if (w->reports++ < MAX_REPORTS)
				msg("read of block %" PRIu64 " (offset %" PRIu64 ") is wrong: %s",
				    io->block, io->offset, what);
		}
	}
	w->busy[io->block] = 0;
	w->inflight--;
	pthread_mutex_unlock(&w->lock);
}

struct progress {
	uint64_t acked, errors;
	double last_ok, pause, from, to;
	unsigned inflight;
};

/* From the backend's thread only (tick, and the end). */
static void progress_write(struct writer *w, const struct progress *p)
{
	char line[256], err[256];
	int n;

	if (!w->o->progress)
		return;
	n = snprintf(line, sizeof(line), "acked %" PRIu64 " errors %" PRIu64
		     " last_ack %.6f longest_pause %.6f pause_from %.6f pause_to %.6f"
		     " inflight %u\n", p->acked, p->errors, p->last_ok, p->pause,
		     p->from, p->to, p->inflight);
	if (write_file_whole(w->o->progress, line, (size_t)n, false, err, sizeof(err)) &&
	    !w->progress_failed) {
		w->progress_failed = true;
		msg("progress: %s (not told again)", err);
	}
}

static void progress_snapshot(const struct writer *w, struct progress *p)
{
	*p = (struct progress){ w->acked, w->errors, w->last_ok_epoch, w->pause,
				w->pause_from, w->pause_to, w->inflight };
}

static bool stop_asked(struct writer *w, double now)
{
	if (now - w->start >= w->o->seconds)
		return true;
	if (w->o->signalled && *w->o->signalled)
		return true;
	if (w->o->stop_file && now >= w->next_stop_check) {
		w->next_stop_check = now + STOP_CHECK_EVERY;
		return access(w->o->stop_file, F_OK) == 0;
	}
	return false;
}

/* The drain is over and I/O is still out: written off. Lock held. */
static void write_off(struct writer *w, double now)
{
	unsigned writes = 0, reads = 0;

	for (uint64_t i = 0; i < w->st->nblocks; i++) {
		if (!w->busy[i])
			continue;
		w->busy[i] = 0;
		if (w->st->blocks[i].cand)
			writes++;
		else
			reads++;
	}
	msg("%u writes and %u reads still outstanding %.0f s after the end: counted as "
	    "failed, the writes' blocks uncertain", writes, reads, DRAIN_SECONDS);
	w->errors += writes + reads;
	w->inflight = 0;
	note_completion(w, now, now_epoch());
	w->gave_up = true;
}

static bool writer_tick(struct io_source *src)
{
	struct writer *w = (struct writer *)src;
	double now = now_mono();
	struct progress p;
	bool keep = true, show = false;

	pthread_mutex_lock(&w->lock);
	if (!w->stopping && stop_asked(w, now)) {
		w->stopping = true;
		w->drain_deadline = now + DRAIN_SECONDS;
	}
	if (w->stopping && w->inflight > 0 && now >= w->drain_deadline) {
		write_off(w, now);
		keep = false;
	}
	if (!keep || now >= w->next_progress) {
		w->next_progress = now + PROGRESS_EVERY;
		progress_snapshot(w, &p);
		show = true;
	}
	if (w->ack && now >= w->next_flush) {
		w->next_flush = now + FLUSH_EVERY;
		fflush(w->ack);
	}
	pthread_mutex_unlock(&w->lock);
	if (show)
		progress_write(w, &p);
	return keep;
}

static int writer_init(struct writer *w, struct state *st, const struct write_opts *o,
		       char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->src.max_len = st->bs;
	w->src.next = writer_next;
	w->src.done = writer_done;
	w->src.tick = writer_tick;
	w->st = st;
	w->o = o;
	w->rng = o->seed ? o->seed : 0x9E3779B97F4A7C15ull;
	w->busy = calloc(st->nblocks, 1);
	if (!w->busy) {
		snprintf(err, errlen, "out of memory for %" PRIu64 " blocks", st->nblocks);
		return -1;
	}
	if (o->ack_log) {
		w->ack = fopen(o->ack_log, "a");
		if (!w->ack) {
			snprintf(err, errlen, "cannot open the ack log %s: %s", o->ack_log,
				 strerror(errno));
			free(w->busy);
			return -1;
		}
		setvbuf(w->ack, NULL, _IOFBF, 1 << 16);
	}
	pthread_mutex_init(&w->lock, NULL);
	return 0;
}

static int ack_close(struct writer *w)
{
	int rc = 0;

	if (!w->ack)
		return 0;
	if (fflush(w->ack) || fsync(fileno(w->ack))) {
		msg("ack log %s: %s", w->o->ack_log, strerror(errno));
		rc = -1;
	}
	if (fclose(w->ack))
		rc = -1;
	w->ack = NULL;
	return rc;
}

int write_phase(struct backend *b, struct state *st, const struct write_opts *o,
		struct write_result *res, char *err, size_t errlen)
{
	struct writer w;
	struct progress p;
	double epoch;
	int rc;

	if (writer_init(&w, st, o, err, errlen))
		return -1;
	w.start = now_mono();
	epoch = now_epoch();
	w.last_done = w.start;
	w.last_done_epoch = epoch;
	w.next_progress = w.start;
	w.next_flush = w.start + FLUSH_EVERY;
	rc = backend_run(b, &w.src, o->qd, err, errlen);
	w.end = now_mono();
	/* The backend is done with the source; no lock needed from here. */
	if (rc == 0 && w.inflight) {
		snprintf(err, errlen, "%u I/Os unaccounted for after the run", w.inflight);
		rc = -1;
	}
	progress_snapshot(&w, &p);
	progress_write(&w, &p);
	if (ack_close(&w))
		msg("the ack log may be incomplete");
	*res = (struct write_result){
		.acked = w.acked, .errors = w.errors, .reads = w.reads,
		.read_bad = w.read_bad, .pause = w.pause, .pause_from = w.pause_from,
		.pause_to = w.pause_to,
		.iops = w.end > w.start ? (double)(w.acked + w.reads) / (w.end - w.start) : 0,
	};
	if (w.reports > MAX_REPORTS)
		msg("%" PRIu64 " failed I/Os and %" PRIu64 " wrong reads in all; the first %d "
		    "are told above", w.errors, w.read_bad, MAX_REPORTS);
	pthread_mutex_destroy(&w.lock);
	free(w.busy);
	return rc;
}
