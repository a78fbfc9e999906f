/* One benchmark session: logs in, keeps cfg->qd READ(16)/WRITE(16) in
 * flight, each reissued from its own completion so the queue never runs
 * dry between polls. Every command slot owns its buffer from start to end;
 * libiscsi reads into and sends from it through an iovec, with no copy and
 * no allocation of ours per command. */
#include "bench.h"

#include <errno.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Once told to stop, in-flight commands must be back within this time. */
#define DRAIN_NS (10ull * 1000000000ull)

struct slot {
	struct run *run;
	struct scsi_iovec iov;
	uint64_t started;
	bool is_read;
};

struct run {
	struct session *s;
	struct iscsi_context *ctx;
	int lun;
	uint32_t block_len;
	uint64_t first_lba, nr_ios;	/* the area this session works in */
	uint64_t next_io;		/* sequential cursor, in ios */
	uint32_t io_blocks;
	uint64_t rng;
	unsigned inflight;
	struct slot *slots;
};

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fail(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct session *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->failed)
		return;
	s->failed = true;
	n = snprintf(s->err, sizeof(s->err), "session %u: ", s->idx);
	va_start(ap, fmt);
	vsnprintf(s->err + n, sizeof(s->err) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* xorshift64*: cheap, and good enough to spread offsets evenly. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static void command_done(struct iscsi_context *ctx, int status, void *data,
			 void *private_data);

static void issue(struct slot *sl)
{
	struct run *r = sl->run;
	const struct bench_cfg *cfg = r->s->cfg;
	uint64_t io, lba;
	struct scsi_task *task;

	if (cfg->one_pass && r->next_io >= r->nr_ios)
		return;
	if (cfg->random)
		io = rng_next(&r->rng) % r->nr_ios;
	else
		io = r->next_io++ % r->nr_ios;
	lba = r->first_lba + io * r->io_blocks;
	sl->is_read = cfg->read_pct == 100 ||
		      (cfg->read_pct > 0 && rng_next(&r->rng) % 100 < cfg->read_pct);
	sl->started = now_ns();
	if (sl->is_read)
		task = iscsi_read16_iov_task(r->ctx, r->lun, lba, cfg->io_bytes,
					     (int)r->block_len, 0, 0, 0, 0, 0,
					     command_done, sl, &sl->iov, 1);
	else
		task = iscsi_write16_iov_task(r->ctx, r->lun, lba, NULL,
					      cfg->io_bytes, (int)r->block_len,
					      0, 0, 0, 0, 0, command_done, sl,
					      &sl->iov, 1);
	if (!task) {
		fail(r->s, "cannot queue %s at LBA %llu: %s",
		     sl->is_read ? "READ(16)" : "WRITE(16)",
		     (unsigned long long)lba, iscsi_get_error(r->ctx));
		return;
	}
	r->inflight++;
}

static void command_done(struct iscsi_context *ctx, int status, void *data,
			 void *private_data)
{
	struct slot *sl = private_data;
	struct run *r = sl->run;
	struct session *s = r->s;
	struct scsi_task *task = data;
	uint64_t lat = now_ns() - sl->started;
	int phase = atomic_load_explicit(s->phase, memory_order_relaxed);

	r->inflight--;
	if (status != SCSI_STATUS_GOOD) {
		fail(s, "%s failed: status 0x%x, sense %s ASC/ASCQ %04x: %s",
		     sl->is_read ? "READ(16)" : "WRITE(16)", status,
		     task ? scsi_sense_key_str(task->sense.key) : "-",
		     task ? task->sense.ascq : 0, iscsi_get_error(ctx));
	} else if (task->residual_status != SCSI_RESIDUAL_NO_RESIDUAL) {
		fail(s, "%s moved %zu bytes less than asked",
		     sl->is_read ? "READ(16)" : "WRITE(16)", task->residual);
	}
	if (task)
		scsi_free_scsi_task(task);
	if (s->failed)
		return;
	if (phase == PHASE_MEASURE) {
		s->st.ios++;
		s->st.bytes += s->cfg->io_bytes;
		if (sl->is_read)
			s->st.reads++;
		else
			s->st.writes++;
		hist_add(&s->st.lat, lat);
	}
	if (phase != PHASE_STOP)
		issue(sl);
}

static int login(struct run *r)
{
	struct session *s = r->s;
	char iname[256];
	struct iscsi_url *url;
	struct scsi_task *task;
	struct scsi_readcapacity16 *rc16;
	uint64_t blocks, per;

	snprintf(iname, sizeof(iname), "%s:%u", s->cfg->iname, s->idx);
	r->ctx = iscsi_create_context(iname);
	if (!r->ctx) {
		fail(s, "cannot create an iSCSI context");
		return -1;
	}
	url = iscsi_parse_full_url(r->ctx, s->cfg->url);
	if (!url) {
		fail(s, "bad URL %s: %s", s->cfg->url, iscsi_get_error(r->ctx));
		return -1;
	}
	r->lun = url->lun;
	iscsi_set_targetname(r->ctx, url->target);
	iscsi_set_session_type(r->ctx, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(r->ctx, ISCSI_HEADER_DIGEST_NONE);
	iscsi_set_noautoreconnect(r->ctx, 1);
	if (iscsi_full_connect_sync(r->ctx, url->portal, url->lun) != 0) {
		fail(s, "login to %s failed: %s", s->cfg->url, iscsi_get_error(r->ctx));
		iscsi_destroy_url(url);
		return -1;
	}
	iscsi_destroy_url(url);

	task = iscsi_readcapacity16_sync(r->ctx, r->lun);
	if (!task || task->status != SCSI_STATUS_GOOD) {
		fail(s, "READ CAPACITY(16) failed: %s", iscsi_get_error(r->ctx));
		if (task)
			scsi_free_scsi_task(task);
		return -1;
	}
	rc16 = scsi_datain_unmarshall(task);
	if (!rc16 || rc16->block_length == 0) {
		fail(s, "READ CAPACITY(16) data cannot be decoded");
		scsi_free_scsi_task(task);
		return -1;
	}
	r->block_len = rc16->block_length;
	blocks = rc16->returned_lba + 1;
	scsi_free_scsi_task(task);

	if (s->cfg->io_bytes % r->block_len) {
		fail(s, "I/O size %u is not a multiple of the LU's %u-byte blocks",
		     s->cfg->io_bytes, r->block_len);
		return -1;
	}
	r->io_blocks = s->cfg->io_bytes / r->block_len;
	/* Random I/O roams the whole LU; sequential streams each get their
	 * own slice, as separate files on one disk would. */
	if (s->cfg->random) {
		r->first_lba = 0;
		r->nr_ios = blocks / r->io_blocks;
	} else {
		per = blocks / s->cfg->sessions;
		r->first_lba = per * s->idx;
		r->nr_ios = per / r->io_blocks;
	}
	if (r->nr_ios < s->cfg->qd) {
		fail(s, "the LU (%llu blocks of %u bytes) is too small for %u commands of %u bytes",
		     (unsigned long long)blocks, r->block_len, s->cfg->qd,
		     s->cfg->io_bytes);
		return -1;
	}
	return 0;
}

static int alloc_slots(struct run *r)
{
	unsigned qd = r->s->cfg->qd;
	size_t len = r->s->cfg->io_bytes;

	r->slots = calloc(qd, sizeof(*r->slots));
	if (!r->slots) {
		fail(r->s, "out of memory for %u command slots", qd);
		return -1;
	}
	for (unsigned i = 0; i < qd; i++) {
		struct slot *sl = &r->slots[i];

		sl->run = r;
		sl->iov.iov_len = len;
		sl->iov.iov_base = aligned_alloc(4096, (len + 4095) & ~(size_t)4095);
		if (!sl->iov.iov_base) {
			fail(r->s, "out of memory for %zu-byte buffers", len);
			return -1;
		}
		/* Not zeros: a target may not shortcut data it never looks at. */
		memset(sl->iov.iov_base, 0x5a ^ (int)i, len);
	}
	return 0;
}

static void pump(struct run *r)
{
	struct session *s = r->s;
	uint64_t stop_at = 0;
	struct pollfd pfd;
	int n;

	for (unsigned i = 0; i < s->cfg->qd && !s->failed; i++)
		issue(&r->slots[i]);
	while (r->inflight > 0) {
		if (!stop_at && (s->failed ||
		    atomic_load_explicit(s->phase, memory_order_relaxed) == PHASE_STOP))
			stop_at = now_ns();
		if (stop_at && now_ns() - stop_at > DRAIN_NS) {
			fail(s, "%u commands still outstanding 10 s after the end", r->inflight);
			return;
		}
		pfd.fd = iscsi_get_fd(r->ctx);
		pfd.events = (short)iscsi_which_events(r->ctx);
		n = poll(&pfd, 1, 100);
		if (n < 0 && errno != EINTR) {
			fail(s, "poll: %s", strerror(errno));
			return;
		}
		if (iscsi_service(r->ctx, n > 0 ? pfd.revents : 0) < 0) {
			fail(s, "connection failed: %s", iscsi_get_error(r->ctx));
			return;
		}
	}
}

void *session_run(void *arg)
{
	struct session *s = arg;
	struct run r = { .s = s };
	bool up;

	r.rng = now_ns() ^ ((uint64_t)(s->idx + 1) * 0x9E3779B97F4A7C15ull);
	up = login(&r) == 0 && alloc_slots(&r) == 0;
	/* Everyone waits here, failed or not, so the main thread can tell. */
	pthread_barrier_wait(s->connected);
	if (up && !s->failed)
		pump(&r);
	atomic_store(&s->done, true);
	if (r.ctx) {
		/* A command still out (failure) must not complete into freed
		 * slots: the context goes first. */
		if (!s->failed && iscsi_is_logged_in(r.ctx))
			iscsi_logout_sync(r.ctx);
		iscsi_destroy_context(r.ctx);
	}
	if (r.slots) {
		for (unsigned i = 0; i < s->cfg->qd; i++)
			free(r.slots[i].iov.iov_base);
		free(r.slots);
	}
	return NULL;
}
