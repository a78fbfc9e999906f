/* The iSCSI backend: one libiscsi session, one event loop, qd READ(16)/
 * WRITE(16) in flight, each from its own slot buffer.
 *
 * Losing the target is expected here. libiscsi (1.19) reconnects by itself
 * when the connection drops: it logs in again in the background, with a
 * back-off of 1, 2, 3 ... s (at most 30) between attempts and, with
 * iscsi_set_reconnect_max_retries(-1), no limit on them; then it re-sends
 * every SCSI command still outstanding, with its callback, on the new
 * connection. A command therefore completes once, with the status the
 * target gave it, whether it was re-sent or not: a WRITE counts as
 * acknowledged only on GOOD. The conditions a target reports for a command
 * it did not execute (UNIT ATTENTION, BUSY, TASK SET FULL, LU becoming
 * ready) are retried here with the same data, which is always safe: no
 * other write to that block is in flight. Everything else fails the
 * command and the write engine makes the block uncertain.
 *
 * A dead peer that sends no RST (a fenced node) is noticed through TCP:
 * keepalive probes while idle, a user timeout while data is unacknowledged,
 * as open-iscsi's NOP-Out timeout would. */
#include "backend.h"

#include <errno.h>
#include <inttypes.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_RETRIES 50
#define RETRY_DELAY 0.1		/* s, for BUSY and a LU becoming ready */
#define TICK 0.05		/* s between src->tick() calls */
#define TCP_USER_TIMEOUT_MS 10000
#define LOGOUT_TIMEOUT 5	/* s */

struct slot {
	struct iscsi_run *run;
	struct io io;
	struct scsi_iovec iov;
	unsigned retries;
	double retry_at;	/* monotonic; 0: not waiting to be re-sent */
	bool busy;
};

struct iscsi_backend {
	struct backend base;
	struct iscsi_context *ctx;
	int lun;
	/* Runs whose slots libiscsi may still call back into (the run gave
	 * up on them): freed only after the context is destroyed. */
	struct iscsi_run *orphans;
};

struct iscsi_run {
	struct iscsi_backend *ib;
	struct io_source *src;
	struct slot *slots;
	unsigned qd, inflight;
	uint64_t retried;
	bool gave_up;
	struct iscsi_run *next_orphan;
};

/* libiscsi's texts may end in or hold newlines; a report is one line. */
static const char *one_line(const char *text, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = text; *p && n + 1 < len; p++) {
		char c = *p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p;

		if (c == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		out[n++] = c;
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return out;
}

static const char *session_error(struct iscsi_context *ctx, char *out, size_t len)
{
	return one_line(iscsi_get_error(ctx), out, len);
}

static void libiscsi_log(int level, const char *message)
{
	char line[512];

	msg("libiscsi: %s", one_line(message, line, sizeof(line)));
}

/* A SCSI status and its sense, as the probe prints it. */
static void status_words(int status, const struct scsi_task *task, char *out, size_t len)
{
	switch (status) {
	case SCSI_STATUS_GOOD:
		snprintf(out, len, "GOOD");
		break;
	case SCSI_STATUS_CHECK_CONDITION:
		snprintf(out, len, "CHECK_CONDITION key 0x%02x asc 0x%02x ascq 0x%02x",
			 task ? (unsigned)task->sense.key : 0u,
			 task ? (unsigned)(task->sense.ascq >> 8) & 0xff : 0u,
			 task ? (unsigned)task->sense.ascq & 0xff : 0u);
		break;
	case SCSI_STATUS_RESERVATION_CONFLICT:
		snprintf(out, len, "RESERVATION_CONFLICT");
		break;
	case SCSI_STATUS_BUSY:
		snprintf(out, len, "BUSY");
		break;
	case SCSI_STATUS_TASK_SET_FULL:
		snprintf(out, len, "TASK_SET_FULL");
		break;
	case SCSI_STATUS_TASK_ABORTED:
		snprintf(out, len, "TASK_ABORTED");
		break;
	case SCSI_STATUS_CANCELLED:
		snprintf(out, len, "cancelled by libiscsi");
		break;
	case SCSI_STATUS_TIMEOUT:
		snprintf(out, len, "timed out in libiscsi");
		break;
	case SCSI_STATUS_ERROR:
		snprintf(out, len, "transport error");
		break;
	default:
		snprintf(out, len, "status 0x%02x", (unsigned)status);
		break;
	}
}

/* libiscsi's own outcomes are not SCSI statuses: no target answered. */
static bool is_scsi_status(int status)
{
	return status >= 0 && status <= 0xff;
}

/* Seconds to wait before sending again a command the target did not
 * execute; negative when it may have been executed or will not improve. */
static double retry_delay(int status, const struct scsi_task *task)
{
	if (status == SCSI_STATUS_BUSY || status == SCSI_STATUS_TASK_SET_FULL)
		return RETRY_DELAY;
	if (status != SCSI_STATUS_CHECK_CONDITION || !task)
		return -1;
	if (task->sense.key == SCSI_SENSE_UNIT_ATTENTION)
		return 0;
	if (task->sense.key == SCSI_SENSE_NOT_READY && (task->sense.ascq >> 8) == 0x04)
		return RETRY_DELAY;
	return -1;
}

static void finish(struct slot *sl, bool ok)
{
	struct iscsi_run *r = sl->run;

	sl->busy = false;
	sl->retry_at = 0;
	r->inflight--;
	sl->io.ok = ok;
	r->src->done(r->src, &sl->io);
}

static void command_done(struct iscsi_context *ctx, int status, void *data,
			 void *private_data);

static void submit(struct slot *sl)
{
	struct iscsi_run *r = sl->run;
	struct iscsi_backend *ib = r->ib;
	uint32_t bsz = ib->base.block_size;
	uint64_t lba = sl->io.offset / bsz;
	struct scsi_task *task;

	sl->iov.iov_base = sl->io.buf;
	sl->iov.iov_len = sl->io.len;
	if (sl->io.kind == IO_WRITE)
		task = iscsi_write16_iov_task(ib->ctx, ib->lun, lba, NULL, sl->io.len,
					      (int)bsz, 0, 0, 0, 0, 0, command_done, sl,
					      &sl->iov, 1);
	else
		task = iscsi_read16_iov_task(ib->ctx, ib->lun, lba, sl->io.len, (int)bsz,
					     0, 0, 0, 0, 0, command_done, sl, &sl->iov, 1);
	if (!task) {
		char e[160];

		snprintf(sl->io.why, sizeof(sl->io.why), "cannot queue %s at LBA %" PRIu64 ": %s",
			 sl->io.kind == IO_WRITE ? "WRITE(16)" : "READ(16)", lba,
			 session_error(ib->ctx, e, sizeof(e)));
		finish(sl, false);
	}
}

static void command_done(struct iscsi_context *ctx, int status, void *data,
			 void *private_data)
{
	struct slot *sl = private_data;
	struct iscsi_run *r = sl->run;
	struct scsi_task *task = data;
	const char *what = sl->io.kind == IO_WRITE ? "WRITE(16)" : "READ(16)";
	char words[96], e[160];
	double delay;
	bool ok = false;

	if (!sl->busy || r->gave_up) {
		/* A slot given up on: nobody waits for it any more. */
		if (task)
			scsi_free_scsi_task(task);
		return;
	}
	if (status == SCSI_STATUS_GOOD) {
		if (task && task->residual_status != SCSI_RESIDUAL_NO_RESIDUAL && task->residual)
			snprintf(sl->io.why, sizeof(sl->io.why), "%s at offset %" PRIu64
				 ": GOOD but a residual of %zu bytes", what, sl->io.offset,
				 task->residual);
		else
			ok = true;
	} else {
		delay = retry_delay(status, task);
		if (delay >= 0 && sl->retries < MAX_RETRIES) {
			if (task)
				scsi_free_scsi_task(task);
			sl->retries++;
			r->retried++;
			sl->retry_at = now_mono() + delay;
			return;
		}
		status_words(status, task, words, sizeof(words));
		snprintf(sl->io.why, sizeof(sl->io.why), "%s at offset %" PRIu64 ": %s%s%s",
			 what, sl->io.offset, words, is_scsi_status(status) ? "" : ": ",
			 is_scsi_status(status) ? "" : session_error(ctx, e, sizeof(e)));
	}
	if (task)
		scsi_free_scsi_task(task);
	finish(sl, ok);
}

/* Fills free slots from the source; false once the source has ended. */
static bool fill(struct iscsi_run *r)
{
	for (unsigned i = 0; i < r->qd && r->inflight < r->qd; i++) {
		struct slot *sl = &r->slots[i];

		if (sl->busy)
			continue;
		switch (r->src->next(r->src, &sl->io)) {
		case NEXT_END:
			return false;
		case NEXT_WAIT:
			return true;
		case NEXT_ISSUE:
			sl->busy = true;
			sl->retries = 0;
			sl->retry_at = 0;
			r->inflight++;
			submit(sl);
			break;
		}
	}
	return true;
}

static void resend_due(struct iscsi_run *r, double now)
{
	for (unsigned i = 0; i < r->qd; i++) {
		struct slot *sl = &r->slots[i];

		if (sl->busy && sl->retry_at > 0 && now >= sl->retry_at) {
			sl->retry_at = 0;
			submit(sl);
		}
	}
}

/* The source wrote off what is in flight: drop it from libiscsi. Returns
 * true when some commands are still queued somewhere (e.g. inside a
 * reconnect), so that their slots must outlive the context. */
static bool give_up(struct iscsi_run *r)
{
	bool orphans = false;

	/* Cancelled commands come back through command_done() as failures
	 * (the source ignores them now), freeing their slots; only those
	 * libiscsi does not hold in this context stay busy. */
	iscsi_scsi_cancel_all_tasks(r->ib->ctx);
	r->gave_up = true;
	for (unsigned i = 0; i < r->qd; i++) {
		if (r->slots[i].busy) {
			r->slots[i].busy = false;
			orphans = true;
		}
	}
	r->inflight = 0;
	return orphans;
}

static void run_free(struct iscsi_run *r)
{
	if (r->slots) {
		for (unsigned i = 0; i < r->qd; i++)
			free(r->slots[i].io.buf);
		free(r->slots);
	}
	free(r);
}

static struct iscsi_run *run_new(struct iscsi_backend *ib, struct io_source *src,
				 unsigned qd, char *err, size_t errlen)
{
	struct iscsi_run *r = calloc(1, sizeof(*r));

	if (!r || !(r->slots = calloc(qd, sizeof(*r->slots)))) {
		snprintf(err, errlen, "out of memory for %u command slots", qd);
		free(r);
		return NULL;
	}
	r->ib = ib;
	r->src = src;
	r->qd = qd;
	for (unsigned i = 0; i < qd; i++) {
		r->slots[i].run = r;
		r->slots[i].io.buf = malloc(src->max_len);
		if (!r->slots[i].io.buf) {
			snprintf(err, errlen, "out of memory for %u-byte buffers", src->max_len);
			run_free(r);
			return NULL;
		}
	}
	return r;
}

static int iscsi_run(struct backend *b, struct io_source *src, unsigned qd,
		     char *err, size_t errlen)
{
	struct iscsi_backend *ib = (struct iscsi_backend *)b;
	struct iscsi_run *r = run_new(ib, src, qd, err, errlen);
	double next_tick = now_mono() + TICK, service_failed = 0;
	bool more = true, orphans = false;
	int rc = 0;

	if (!r)
		return -1;
	for (;;) {
		struct pollfd pfd;
		double now = now_mono();
		int n;

		resend_due(r, now);
		if (more)
			more = fill(r);
		if (!more && r->inflight == 0)
			break;
		pfd.fd = iscsi_get_fd(ib->ctx);
		pfd.events = (short)iscsi_which_events(ib->ctx);
		pfd.revents = 0;
		/* No events: libiscsi waits out a reconnect back-off, and wants
		 * iscsi_service() called again later all the same. */
		n = poll(&pfd, pfd.events && pfd.fd >= 0 ? 1 : 0, (int)(TICK * 1000));
		if (n < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			orphans = give_up(r);
			rc = -1;
			break;
		}
		if (iscsi_service(ib->ctx, n > 0 ? pfd.revents : 0) < 0) {
			/* Reconnecting: libiscsi keeps trying by itself; say so
			 * once a second at most. */
			if (now - service_failed >= 1) {
				char e[256];

				msg("iSCSI session: %s", session_error(ib->ctx, e, sizeof(e)));
				service_failed = now;
			}
		}
		if (now >= next_tick) {
			next_tick = now + TICK;
			if (!src->tick(src)) {
				orphans = give_up(r);
				break;
			}
		}
	}
	if (r->retried)
		msg("iSCSI: %" PRIu64 " commands sent again after UNIT ATTENTION, BUSY, "
		    "TASK SET FULL or NOT READY", r->retried);
	if (orphans) {
		r->next_orphan = ib->orphans;
		ib->orphans = r;
	} else {
		run_free(r);
	}
	return rc;
}

static int iscsi_probe_write(struct backend *b, uint64_t offset, unsigned char *buf,
			     uint32_t len, char *line, size_t linelen)
{
	struct iscsi_backend *ib = (struct iscsi_backend *)b;
	uint32_t bsz = ib->base.block_size;
	struct scsi_task *task;
	char words[96], e[256];
	int rc;

	task = iscsi_write16_sync(ib->ctx, ib->lun, offset / bsz, buf, len, (int)bsz,
				  0, 0, 0, 0, 0);
	if (!task) {
		snprintf(line, linelen, "error %s", session_error(ib->ctx, e, sizeof(e)));
		return -1;
	}
	status_words(task->status, task, words, sizeof(words));
	if (is_scsi_status(task->status)) {
		snprintf(line, linelen, "status %s", words);
		rc = 0;
	} else {
		snprintf(line, linelen, "error %s: %s", words, session_error(ib->ctx, e, sizeof(e)));
		rc = -1;
	}
	scsi_free_scsi_task(task);
	return rc;
}

static void iscsi_close(struct backend *b)
{
	struct iscsi_backend *ib = (struct iscsi_backend *)b;

	if (ib->ctx) {
		if (!ib->orphans && iscsi_is_logged_in(ib->ctx)) {
			iscsi_set_timeout(ib->ctx, LOGOUT_TIMEOUT);
			iscsi_logout_sync(ib->ctx);
		}
		iscsi_destroy_context(ib->ctx);
	}
	while (ib->orphans) {
		struct iscsi_run *r = ib->orphans;

		ib->orphans = r->next_orphan;
		run_free(r);
	}
	free(ib);
}

static const struct backend_ops iscsi_ops = {
	.run = iscsi_run,
	.probe_write = iscsi_probe_write,
	.close = iscsi_close,
};

/* READ CAPACITY(16), past the unit attentions a new nexus may still see. */
static int read_capacity(struct iscsi_backend *ib, const char *url, char *err,
			 size_t errlen)
{
	for (int i = 0; i < 10; i++) {
		struct scsi_task *task = iscsi_readcapacity16_sync(ib->ctx, ib->lun);
		struct scsi_readcapacity16 *rc16;
		char words[96], e[256];

		if (!task) {
			snprintf(err, errlen, "%s: READ CAPACITY(16): %s", url,
				 session_error(ib->ctx, e, sizeof(e)));
			return -1;
		}
		if (task->status == SCSI_STATUS_GOOD) {
			rc16 = scsi_datain_unmarshall(task);
			if (!rc16 || rc16->block_length < 512 || rc16->block_length % 512 ||
			    rc16->block_length > 65536) {
				snprintf(err, errlen, "%s: READ CAPACITY(16) data cannot be used "
					 "(block length %u)", url, rc16 ? rc16->block_length : 0);
				scsi_free_scsi_task(task);
				return -1;
			}
			ib->base.block_size = rc16->block_length;
			ib->base.size = (rc16->returned_lba + 1) * rc16->block_length;
			scsi_free_scsi_task(task);
			return 0;
		}
		if (retry_delay(task->status, task) < 0) {
			status_words(task->status, task, words, sizeof(words));
			snprintf(err, errlen, "%s: READ CAPACITY(16): %s", url, words);
			scsi_free_scsi_task(task);
			return -1;
		}
		scsi_free_scsi_task(task);
		poll(NULL, 0, (int)(RETRY_DELAY * 1000));
	}
	snprintf(err, errlen, "%s: READ CAPACITY(16) keeps failing with unit attentions "
		 "or busy", url);
	return -1;
}

struct backend *iscsi_open(const char *url, const char *initiator, char *err,
			   size_t errlen)
{
	struct iscsi_backend *ib = calloc(1, sizeof(*ib));
	struct iscsi_url *u;
	char e[256];

	if (!ib || !(ib->ctx = iscsi_create_context(initiator))) {
		snprintf(err, errlen, "cannot create an iSCSI context for initiator %s",
			 initiator);
		free(ib);
		return NULL;
	}
	ib->base.ops = &iscsi_ops;
	u = iscsi_parse_full_url(ib->ctx, url);
	if (!u) {
		snprintf(err, errlen, "%s: not an iscsi://HOST[:PORT]/IQN/LUN URL: %s", url,
			 session_error(ib->ctx, e, sizeof(e)));
		iscsi_close(&ib->base);
		return NULL;
	}
	ib->lun = u->lun;
	iscsi_set_targetname(ib->ctx, u->target);
	iscsi_set_session_type(ib->ctx, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(ib->ctx, ISCSI_HEADER_DIGEST_NONE_CRC32C);
	iscsi_set_reconnect_max_retries(ib->ctx, -1);
	/* After a reconnect, TEST UNIT READYs take the new nexus's unit
	 * attentions before the outstanding commands are sent again. */
	iscsi_set_no_ua_on_reconnect(ib->ctx, 1);
	iscsi_set_tcp_keepidle(ib->ctx, 3);
	iscsi_set_tcp_keepintvl(ib->ctx, 1);
	iscsi_set_tcp_keepcnt(ib->ctx, 5);
	iscsi_set_tcp_user_timeout(ib->ctx, TCP_USER_TIMEOUT_MS);
	iscsi_set_tcp_syncnt(ib->ctx, 3);
	/* Level 2 tells of connection loss, reconnect attempts and success:
	 * what a failover test wants in its log. */
	iscsi_set_log_level(ib->ctx, 2);
	iscsi_set_log_fn(ib->ctx, libiscsi_log);
	if (iscsi_full_connect_sync(ib->ctx, u->portal, u->lun) != 0) {
		snprintf(err, errlen, "%s: login as %s failed: %s", url, initiator,
			 session_error(ib->ctx, e, sizeof(e)));
		iscsi_destroy_url(u);
		iscsi_close(&ib->base);
		return NULL;
	}
	iscsi_destroy_url(u);
	if (read_capacity(ib, url, err, errlen)) {
		iscsi_close(&ib->base);
		return NULL;
	}
	return &ib->base;
}
