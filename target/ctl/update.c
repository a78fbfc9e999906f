#include "ctl/update.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* A retry closer to the deadline than this would only fail at it. */
#define MIN_LEFT_MS 200

long long ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long left_ms(const struct ctl_budget *b)
{
	return b->deadline_ms ? b->deadline_ms - ctl_now_ms() : -1;
}

int ctl_call_ms(const struct ctl_budget *b)
{
	long long left = left_ms(b);

	if (left < 0 || left > b->call_ms)
		return b->call_ms;
	return left > 0 ? (int)left : 1;
}

/* Two clients racing on one config would collide again at once: a random
 * pause, growing with the attempts, lets one of them through. */
static void conflict_pause(const struct ctl_budget *b, unsigned attempt)
{
	unsigned r = 0, shift = attempt < 5 ? attempt : 5;
	long long ms, left = left_ms(b);
	struct timespec ts;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned)getpid();
	ms = (long long)(r % (20u << shift)) + 5;
	if (left >= 0 && ms > left - MIN_LEFT_MS)
		ms = left > MIN_LEFT_MS ? left - MIN_LEFT_MS : 0;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static bool budget_spent(const struct ctl_budget *b, unsigned attempt)
{
	long long left = left_ms(b);

	return (b->attempts && attempt >= b->attempts) || (left >= 0 && left < MIN_LEFT_MS);
}

static enum ctl_update_rc failed(enum ctl_call_rc rc)
{
	return rc == CTL_CALL_FAILED ? CTL_UPDATE_UNREACHABLE : CTL_UPDATE_REFUSED;
}

/* The live config and its generation (a reference each way), or NULL. */
static json_t *read_config(struct ctl_client *cl, const struct ctl_budget *b,
			   json_t **gen, enum ctl_update_rc *why, struct ctl_update_res *res)
{
	json_t *req = json_pack("{s:s}", "op", "get_config"), *got, *cfg;
	enum ctl_call_rc rc;

	if (!req) {
		snprintf(res->err, sizeof(res->err), "out of memory");
		*why = CTL_UPDATE_REFUSED;
		return NULL;
	}
	rc = ctl_request(cl, req, ctl_call_ms(b), &got, res->err, sizeof(res->err));
	json_decref(req);
	if (rc != CTL_CALL_OK) {
		json_decref(got);
		*why = failed(rc);
		return NULL;
	}
	cfg = json_deep_copy(json_object_get(got, "config"));
	*gen = json_incref(json_object_get(got, "generation"));
	json_decref(got);
	if (!json_is_object(cfg) || !json_is_integer(*gen)) {
		snprintf(res->err, sizeof(res->err),
			 "tandemd's get_config answer has no config object or generation");
		json_decref(cfg);
		json_decref(*gen);
		*why = CTL_UPDATE_REFUSED;
		return NULL;
	}
	return cfg;
}

enum ctl_update_rc ctl_update(struct ctl_client *cl, ctl_mutate_fn fn, void *arg,
			      const struct ctl_budget *b, struct ctl_update_res *res)
{
	res->answer = NULL;
	res->edit_rc = 0;
	res->err[0] = '\0';
	for (unsigned attempt = 1;; attempt++) {
		enum ctl_update_rc why;
		enum ctl_call_rc rc;
		json_t *gen, *cfg = read_config(cl, b, &gen, &why, res), *req, *rsp;
		int edit;

		if (!cfg)
			return why;
		edit = fn(cfg, arg, res->err, sizeof(res->err));
		if (edit <= CTL_EDIT_SAME) {
			json_decref(cfg);
			json_decref(gen);
			res->edit_rc = edit;
			return edit == CTL_EDIT_SAME ? CTL_UPDATE_UNCHANGED : CTL_UPDATE_EDIT_FAILED;
		}
		req = json_pack("{s:s,s:o,s:o,s:b}", "op", "apply_config", "config", cfg,
				"generation", gen, "skip_unsupported", edit == CTL_EDIT_IMPORTED);
		if (!req) {
			snprintf(res->err, sizeof(res->err), "cannot build the apply_config request");
			return CTL_UPDATE_REFUSED;
		}
		rc = ctl_request(cl, req, ctl_call_ms(b), &rsp, res->err, sizeof(res->err));
		json_decref(req);
		if (rc == CTL_CALL_OK) {
			res->answer = rsp;
			return CTL_UPDATE_APPLIED;
		}
		if (rc == CTL_CALL_FAILED || !json_is_true(json_object_get(rsp, "conflict"))) {
			json_decref(rsp);
			return failed(rc);
		}
		json_decref(rsp);
		if (budget_spent(b, attempt)) {
			snprintf(res->err, sizeof(res->err), "the configuration kept changing under us "
				 "(%u attempts); nothing was applied", attempt);
			return CTL_UPDATE_CONFLICT;
		}
		if (b->on_conflict)
			b->on_conflict(attempt, b->ctx);
		conflict_pause(b, attempt);
	}
}

json_t *cfg_array(json_t *obj, const char *key)
{
	json_t *a = json_object_get(obj, key);

	if (json_is_array(a))
		return a;
	a = json_array();
	if (json_object_set_new(obj, key, a) < 0)
		return NULL;
	return a;
}

static json_t *find_str(json_t *arr, const char *key, const char *val, size_t *pos,
			int (*cmp)(const char *, const char *))
{
	json_t *o;
	size_t i;

	json_array_foreach(arr, i, o) {
		const char *s = json_string_value(json_object_get(o, key));

		if (s && !cmp(s, val)) {
			if (pos)
				*pos = i;
			return o;
		}
	}
	return NULL;
}

json_t *cfg_find(json_t *arr, const char *key, const char *val, size_t *pos)
{
	return find_str(arr, key, val, pos, strcmp);
}

json_t *cfg_find_int(json_t *arr, const char *key, json_int_t val, size_t *pos)
{
	json_t *o;
	size_t i;

	json_array_foreach(arr, i, o) {
		json_t *v = json_object_get(o, key);

		if (json_is_integer(v) && json_integer_value(v) == val) {
			if (pos)
				*pos = i;
			return o;
		}
	}
	return NULL;
}

json_t *cfg_find_target(json_t *cfg, const char *iqn)
{
	return find_str(json_object_get(cfg, "targets"), "wwn", iqn, NULL, strcasecmp);
}

json_t *cfg_find_storage(json_t *cfg, const char *name)
{
	return cfg_find(json_object_get(cfg, "storage_objects"), "name", name, NULL);
}
