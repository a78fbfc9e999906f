#include "verify.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stamp.h"
#include "util.h"

#define CHUNK (128u * 1024u)	/* bytes a READ */
#define VERIFY_QD 8
#define STALL_SECONDS 180.0	/* no read back for this long: give up */
#define MAX_REPORTS 10
#define NOT_READ 0xff

struct verifier {
	struct io_source src;	/* first: the backend hands it back */
	const struct state *st;
	pthread_mutex_t lock;
	uint64_t cursor;	/* next byte to read */
	uint8_t *verdict;	/* one a block, NOT_READ until read */
	uint64_t count[V_COUNT], reports;
	unsigned inflight;
	double last_done;
	bool gave_up;
};

static enum next_action verifier_next(struct io_source *src, struct io *io)
{
	struct verifier *v = (struct verifier *)src;
	uint64_t left;

	pthread_mutex_lock(&v->lock);
	if (v->gave_up || v->cursor >= v->st->span) {
		pthread_mutex_unlock(&v->lock);
		return NEXT_END;
	}
	left = v->st->span - v->cursor;
	io->kind = IO_READ;
	io->offset = v->cursor;
	io->len = left < v->src.max_len ? (uint32_t)left : v->src.max_len;
	v->cursor += io->len;
	v->inflight++;
	pthread_mutex_unlock(&v->lock);
	return NEXT_ISSUE;
}

static void verifier_done(struct io_source *src, struct io *io)
{
	struct verifier *v = (struct verifier *)src;
	const struct state *st = v->st;
	uint64_t first = io->offset / st->bs, n = io->len / st->bs;
	uint64_t counts[V_COUNT] = { 0 };
	char what[600];

	if (io->ok) {
		for (uint64_t k = 0; k < n; k++) {
			const struct block_state *b = &st->blocks[first + k];
			const unsigned char *buf = io->buf + k * st->bs;
			struct expect e = { .first_lba = (first + k) * st->bs / SECTOR,
					    .run_id = st->run_id, .acked = b->acked,
					    .cand = b->cand };
			enum verdict vd = check_block(buf, st->bs, &e);

			v->verdict[first + k] = (uint8_t)vd;
			counts[vd]++;
			if (!verdict_fails(vd))
				continue;
			pthread_mutex_lock(&v->lock);
			bool tell = v->reports++ < MAX_REPORTS;
			pthread_mutex_unlock(&v->lock);
			if (tell) {
				describe_block(buf, st->bs, &e, what, sizeof(what));
				msg("block %" PRIu64 " (offset %" PRIu64 ") %s: %s", first + k,
				    (first + k) * st->bs, verdict_name(vd), what);
			}
		}
	}
	pthread_mutex_lock(&v->lock);
	if (!v->gave_up) {
		for (int i = 0; i < V_COUNT; i++)
			v->count[i] += counts[i];
		if (!io->ok)
			msg("%s", io->why);
		v->inflight--;
		v->last_done = now_mono();
	}
	pthread_mutex_unlock(&v->lock);
}

static bool verifier_tick(struct io_source *src)
{
	struct verifier *v = (struct verifier *)src;
	bool keep = true;

	pthread_mutex_lock(&v->lock);
	if (v->inflight && now_mono() - v->last_done > STALL_SECONDS) {
		msg("nothing read back for %.0f s: giving up", STALL_SECONDS);
		v->gave_up = true;
		keep = false;
	}
	pthread_mutex_unlock(&v->lock);
	return keep;
}

/* Found whole, an uncertain block's content is what it holds from now on. */
static void settle(struct state *st, const uint8_t *verdict)
{
	for (uint64_t i = 0; i < st->nblocks; i++) {
		struct block_state *b = &st->blocks[i];

		if (verdict[i] == V_UNC_NEW) {
			b->acked = b->cand;
			b->cand = 0;
		} else if (verdict[i] == V_UNC_OLD) {
			b->cand = 0;
		}
	}
}

int verify_phase(struct backend *b, struct state *st, struct verify_result *res,
		 char *err, size_t errlen)
{
	struct verifier v = { .st = st };
	uint32_t chunk = CHUNK / st->bs * st->bs;
	int rc;

	memset(res, 0, sizeof(*res));
	v.src.max_len = chunk ? chunk : st->bs;
	v.src.next = verifier_next;
	v.src.done = verifier_done;
	v.src.tick = verifier_tick;
	v.verdict = malloc(st->nblocks);
	if (!v.verdict) {
		snprintf(err, errlen, "out of memory for %" PRIu64 " blocks", st->nblocks);
		return -1;
	}
	memset(v.verdict, NOT_READ, st->nblocks);
	pthread_mutex_init(&v.lock, NULL);
	v.last_done = now_mono();
	rc = backend_run(b, &v.src, VERIFY_QD, err, errlen);
	res->blocks = st->nblocks;
	for (uint64_t i = 0; i < st->nblocks; i++)
		if (st->blocks[i].acked && !st->blocks[i].cand)
			res->written++;
	memcpy(res->count, v.count, sizeof(res->count));
	/* Blocks that failed to read, and those never asked for after a
	 * give-up, were not checked. */
	for (uint64_t i = 0; i < st->nblocks; i++)
		if (v.verdict[i] == NOT_READ)
			res->read_errors++;
	res->pass = !rc && !v.gave_up && res->read_errors == 0;
	for (int i = 0; i < V_COUNT; i++)
		if (verdict_fails((enum verdict)i) && res->count[i])
			res->pass = false;
	settle(st, v.verdict);
	pthread_mutex_destroy(&v.lock);
	free(v.verdict);
	return rc;
}
