/* apply_config: a live, atomic change of the configuration
 * (docs/control-protocol.md). Everything that can fail happens before
 * anything changes: parsing, the checks on live objects, opening new
 * backstores, binding new portals. Then, in one step on the main thread,
 * the LUs that carry on take their in-place settings (storage_live.h),
 * the new objects are published to the fabric and each worker is asked to
 * move its sessions onto them. The answer waits until the old objects are
 * released (every session moved or, for a TPG or ACL that went, logged
 * out), the LUs that lost their last LUN have no command left, and their
 * caches (and those of LUs that stopped caching writes) are flushed.
 * Requests that arrive meanwhile wait their turn. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/apply_diff.h"
#include "daemon/config_dump.h"
#include "daemon/ctl_server.h"
#include "daemon/daemon.h"
#include "daemon/storage_live.h"

#define DRAIN_POLL_MS 10

struct queued {
	struct list_head link;
	struct ctl_request *req;
	json_t *body;
};

/* A LU whose last LUN went: wait for its commands, flush, maybe close;
 * or one whose write_back was turned off: flush what it cached. */
struct drain {
	struct scsi_lu *lu;
	struct backstore *bs;
	bool wait;			/* for its commands to end first */
	bool close;			/* its storage object was removed */
};

struct apply {
	struct tandemd *d;
	struct ctl_request *req;
	json_t *changes;
	json_t *refused;
	struct objects *old;
	bool released;
	struct drain *drain;
	unsigned ndrain;
	struct ev_handler timer;
	pthread_t flusher;
	bool flushing;
	struct evloop_msg flushed;
	char flush_err[512];
};

static void apply_next(struct tandemd *d);

static void reply_done(struct apply *a)
{
	struct tandemd *d = a->d;

	ctl_reply(a->req, json_pack("{s:b,s:I,s:O,s:O}", "ok", 1,
				    "generation", (json_int_t)d->generation,
				    "changes", a->changes, "refused", a->refused));
}

static void apply_free(struct apply *a)
{
	if (a->timer.fd >= 0) {
		evloop_del(&a->d->loop, &a->timer);
		close(a->timer.fd);
	}
	json_decref(a->changes);
	json_decref(a->refused);
	free(a->drain);
	free(a);
}

static void finish(struct apply *a)
{
	struct tandemd *d = a->d;

	if (a->flushing)
		pthread_join(a->flusher, NULL);
	/* The removed storage objects close here; the drained LUs that
	 * stay were taken over by the live objects. */
	if (a->old)
		objects_free(a->old);
	free(a->old);
	if (a->flush_err[0]) {
		ctl_reply(a->req, json_pack("{s:b,s:s,s:I,s:O}", "ok", 0,
					    "error", a->flush_err,
					    "generation", (json_int_t)d->generation,
					    "changes", a->changes));
	} else {
		reply_done(a);
	}
	tlog(LOG_NOTICE, "configuration generation %llu applied (%zu change(s))",
	     (unsigned long long)d->generation, json_array_size(a->changes));
	d->applying = NULL;
	apply_free(a);
	apply_next(d);
}

static void *flush_main(void *arg)
{
	struct apply *a = arg;

	for (unsigned i = 0; i < a->ndrain; i++) {
		struct backstore *bs = a->drain[i].bs;
		if (bs->fd >= 0 && fdatasync(bs->fd) < 0 && !a->flush_err[0])
			snprintf(a->flush_err, sizeof(a->flush_err),
				 "storage object %s: flushing its cache: %s",
				 bs->cfg.name, strerror(errno));
	}
	evloop_inbox_post(&a->d->inbox, &a->flushed);
	return NULL;
}

static void flushed_fn(struct evloop_msg *m)
{
	finish(container_of(m, struct apply, flushed));
}

/* fdatasync can take seconds on a write-back file: not on this thread. */
static void start_flush(struct apply *a)
{
	int rc;

	a->flushed.fn = flushed_fn;
	rc = pthread_create(&a->flusher, NULL, flush_main, a);
	if (rc) {
		snprintf(a->flush_err, sizeof(a->flush_err),
			 "cannot start the flush: %s", strerror(rc));
		finish(a);
		return;
	}
	a->flushing = true;
}

static bool drained(const struct apply *a)
{
	for (unsigned i = 0; i < a->ndrain; i++)
		if (a->drain[i].wait && scsi_lu_inflight(a->drain[i].lu))
			return false;
	return true;
}

static void progress(struct apply *a)
{
	if (!a->released || a->flushing)
		return;
	if (!drained(a)) {
		struct itimerspec ts = { .it_value.tv_nsec = DRAIN_POLL_MS * 1000000L };
		timerfd_settime(a->timer.fd, 0, &ts, NULL);
		return;
	}
	if (a->ndrain)
		start_flush(a);
	else
		finish(a);
}

static void timer_cb(struct ev_handler *h, uint32_t events)
{
	struct apply *a = container_of(h, struct apply, timer);
	uint64_t v;

	if (read(h->fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	progress(a);
}

static void old_released(struct objects *o)
{
	struct apply *a = o->released_arg;

	a->released = true;
	progress(a);
}

/* After the take-over, old still owns the LUs of removed storage objects;
 * the live objects own the ones that stay, some of which lost every LUN
 * or stopped caching writes. */
static int plan_drain(struct apply *a, struct objects *old, struct objects *now)
{
	a->drain = calloc(old->nstorage ? old->nstorage : 1, sizeof(*a->drain));
	if (!a->drain)
		return -1;
	for (unsigned i = 0; i < old->nstorage; i++) {
		int j;
		if (old->lus[i]) {
			a->drain[a->ndrain++] = (struct drain){
				.lu = old->lus[i], .bs = old->bs[i], .wait = true, .close = true,
			};
			continue;
		}
		j = objects_find_storage(now, old->cfg->storage[i].bs.name);
		if (j < 0)
			continue;
		if (config_lun_refs(old->cfg, i) && !config_lun_refs(now->cfg, (unsigned)j))
			a->drain[a->ndrain++] = (struct drain){
				.lu = now->lus[j], .bs = now->bs[j], .wait = true,
			};
		else if (old->cfg->storage[i].bs.write_back && !now->cfg->storage[j].bs.write_back)
			a->drain[a->ndrain++] = (struct drain){ .lu = now->lus[j], .bs = now->bs[j] };
	}
	for (unsigned i = 0; i < a->ndrain; i++)
		if (a->drain[i].wait)
			tlog(LOG_INFO, "storage object %s: draining %llu command(s) before %s",
			     a->drain[i].bs->cfg.name,
			     (unsigned long long)scsi_lu_inflight(a->drain[i].lu),
			     a->drain[i].close ? "closing it" : "flushing it");
		else
			tlog(LOG_INFO, "storage object %s: write_back off, flushing what it cached",
			     a->drain[i].bs->cfg.name);
	return 0;
}

/* Before the take-over, while borrowed[] still says which LUs carry on. */
static void apply_live_settings(struct objects *old, struct objects *now)
{
	for (unsigned i = 0; i < now->nstorage; i++) {
		int j;
		if (!now->borrowed[i])
			continue;
		j = objects_find_storage(old, now->cfg->storage[i].bs.name);
		storage_apply_live(now->lus[i], now->bs[i], &old->cfg->storage[j],
				   &now->cfg->storage[i]);
	}
}

static void commit(struct apply *a, struct objects *now)
{
	struct tandemd *d = a->d;
	struct objects *old = d->live;

	apply_live_settings(old, now);
	objects_take_over(now, old);
	now->inbox = &d->inbox;
	old->on_released = old_released;
	old->released_arg = a;
	a->old = old;
	listeners_commit(&d->ls, &now->reg);
	d->live = now;
	d->generation++;
	/* From here new logins see the new objects; each worker moves its
	 * sessions, and the old registry goes when the last one left it. */
	iscsi_set_registry(&now->reg);
	for (unsigned i = 0; i < d->nworkers; i++)
		worker_follow_registry(&d->workers[i]);
}

static void refuse(struct ctl_request *req, const char *err)
{
	tlog(LOG_NOTICE, "apply_config refused: %s", err);
	ctl_reply_error(req, "%s", err);
}

static void apply_start(struct tandemd *d, struct ctl_request *req, json_t *body)
{
	json_t *doc = json_object_get(body, "config");
	json_t *gen = json_object_get(body, "generation");
	json_t *skip = json_object_get(body, "skip_unsupported");
	struct objects *now = NULL;
	struct tconfig *cfg = NULL;
	struct apply *a;
	char err[1024];

	if (!json_is_object(doc)) {
		refuse(req, "config: missing or not a JSON object");
		return;
	}
	if (gen && (!json_is_integer(gen) || json_integer_value(gen) < 0)) {
		refuse(req, "generation: not a non-negative integer");
		return;
	}
	if (skip && !json_is_boolean(skip)) {
		refuse(req, "skip_unsupported: not a boolean");
		return;
	}
	if (gen && (uint64_t)json_integer_value(gen) != d->generation) {
		ctl_reply(req, json_pack("{s:b,s:b,s:s,s:I}", "ok", 0, "conflict", 1,
			"error", "the configuration changed since it was read (generation differs); read it again",
			"generation", (json_int_t)d->generation));
		return;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		refuse(req, "out of memory");
		return;
	}
	a->d = d;
	a->req = req;
	a->timer.fd = -1;
	a->changes = json_array();
	a->refused = json_array();
	doc = json_deep_copy(doc);
	if (!doc || !a->changes || !a->refused) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	cfg = apply_parse(doc, json_is_true(skip), a->refused, err, sizeof(err));
	json_decref(doc);
	if (!cfg || apply_check_live(d->live->cfg, cfg, err, sizeof(err)) < 0)
		goto fail;
	if (!apply_describe(d->live->cfg, cfg, a->changes)) {
		/* Nothing an initiator could notice; keep the document as
		 * given all the same (aliases, ignored attributes). */
		json_t *was = config_dump(d->live->cfg), *will = config_dump(cfg);
		bool same = was && will && json_equal(was, will);
		json_decref(was);
		json_decref(will);
		if (same) {
			config_free(cfg);
			reply_done(a);
			apply_free(a);
			return;
		}
		json_array_append_new(a->changes, json_string("details without effect on initiators changed"));
	}
	now = calloc(1, sizeof(*now));
	if (!now) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (objects_build(now, cfg, d->live, err, sizeof(err)) < 0) {
		free(now);
		now = NULL;
		cfg = NULL;	/* objects_build freed it */
		goto fail;
	}
	cfg = NULL;
	if (listeners_open(&d->ls, &now->reg, err, sizeof(err)) < 0)
		goto fail;
	a->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	a->timer.cb = timer_cb;
	if (a->timer.fd < 0 || evloop_add(&d->loop, &a->timer, EPOLLIN) < 0) {
		snprintf(err, sizeof(err), "timerfd: %s", strerror(errno));
		listeners_rollback(&d->ls);
		goto fail;
	}
	d->applying = a;
	commit(a, now);
	if (plan_drain(a, a->old, now) < 0) {
		/* Committed: only the wait for the drain is lost. */
		tlog(LOG_ERR, "out of memory planning the drain; not waiting for it");
		a->ndrain = 0;
	}
	for (size_t i = 0; i < json_array_size(a->changes); i++)
		tlog(LOG_NOTICE, "apply_config: %s",
		     json_string_value(json_array_get(a->changes, i)));
	/* The old registry may already be gone (no session used it); its
	 * message is on the inbox, so progress() runs from there. */
	return;
fail:
	if (now) {
		objects_free(now);
		free(now);
	}
	config_free(cfg);
	json_decref(a->changes);
	a->changes = NULL;
	apply_free(a);
	refuse(req, err);
}

static void apply_next(struct tandemd *d)
{
	while (!d->applying && !list_empty(&d->apply_queue)) {
		struct queued *q = list_first_entry(&d->apply_queue, struct queued, link);
		list_del(&q->link);
		apply_start(d, q->req, q->body);
		json_decref(q->body);
		free(q);
	}
}

void apply_request(struct tandemd *d, struct ctl_request *req, json_t *body)
{
	struct queued *q;

	if (!d->applying) {
		apply_start(d, req, body);
		return;
	}
	q = malloc(sizeof(*q));
	if (!q) {
		ctl_reply_error(req, "out of memory");
		return;
	}
	q->req = req;
	q->body = json_incref(body);
	list_add_tail(&q->link, &d->apply_queue);
}

void apply_shutdown(struct tandemd *d)
{
	while (d->applying)
		evloop_run_once(&d->loop, 100);
	while (!list_empty(&d->apply_queue)) {
		struct queued *q = list_first_entry(&d->apply_queue, struct queued, link);
		list_del(&q->link);
		ctl_reply_error(q->req, "tandemd is shutting down");
		json_decref(q->body);
		free(q);
	}
}
