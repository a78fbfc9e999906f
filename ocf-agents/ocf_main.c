/* Action dispatch, deadlines and logging for the tandem OCF agents. */
#include "ocf.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <qb/qblog.h>

long long ocf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ocf_sleep_ms(long long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	if (ms <= 0)
		return;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

long long ocf_left_ms(const struct ocf_ctx *c)
{
	long long left = c->deadline_ms - ocf_now_ms();

	return left > 0 ? left : 0;
}

void ocf_log(int prio, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	qb_log(prio, "%s", buf);
}

int ocf_fail(int rc, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	qb_log(LOG_ERR, "%s", buf);
	/* pacemaker-execd takes the last such stderr line as the reason it
	 * shows in crm_mon; it must be one line. */
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	fprintf(stderr, "ocf-exit-reason:%s\n", buf);
	return rc;
}

static int facility_of(const char *name)
{
	static const struct { const char *n; int f; } tab[] = {
		{ "daemon", LOG_DAEMON }, { "user", LOG_USER }, { "local0", LOG_LOCAL0 },
		{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
		{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
		{ "local7", LOG_LOCAL7 }, { "authpriv", LOG_AUTHPRIV },
	};

	for (size_t i = 0; name && i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(name, tab[i].n))
			return tab[i].f;
	return LOG_DAEMON;
}

/* As resource-agents' ocf_log: syslog under HA_LOGTAG (Pacemaker sets it
 * to "<agent>(<resource>)[pid]" style tags), HA_LOGFACILITY=none turns
 * syslog off, HA_debug=1 adds debug messages; stderr always, because that
 * is what crm_resource and pacemaker-execd show. */
static void log_setup(const struct ocf_agent *a, const char *instance)
{
	static char tag[256];
	const char *env_tag = getenv("HA_LOGTAG");
	const char *fac = getenv("HA_LOGFACILITY");
	const char *dbg = getenv("HA_debug");
	int prio = dbg && !strcmp(dbg, "1") ? LOG_DEBUG : LOG_INFO;

	if (env_tag && *env_tag)
		snprintf(tag, sizeof(tag), "%s", env_tag);
	else
		snprintf(tag, sizeof(tag), "%s(%s)", a->name, instance ? instance : "-");
	qb_log_init(tag, facility_of(fac), prio);
	qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED,
		   fac && !strcmp(fac, "none") ? QB_FALSE : QB_TRUE);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", prio);
	qb_log_format_set(QB_LOG_SYSLOG, "%p: %b");
	qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);
	qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", prio);
	qb_log_format_set(QB_LOG_STDERR, "%N[%P]: %p: %b");
}

static const struct ocf_action_def *action_def(const struct ocf_agent *a, const char *name)
{
	for (size_t i = 0; i < a->nactions; i++)
		if (!strcmp(a->actions[i].name, name))
			return &a->actions[i];
	return NULL;
}

static void on_deadline(int sig)
{
	static const char msg[] = "ocf-exit-reason:the action ran out of its timeout\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(OCF_ERR_GENERIC);
	_exit(OCF_ERR_GENERIC);
}

/* Pacemaker gives the timeout in OCF_RESKEY_CRM_meta_timeout (ms); by
 * hand the meta-data's advertised one applies. The deadline keeps a
 * margin so that the agent answers before the executor kills it; the
 * alarm is the last resort should a system call hang. */
static void set_deadline(struct ocf_ctx *c, const struct ocf_action_def *d)
{
	const char *t = getenv("OCF_RESKEY_CRM_meta_timeout");
	long long total = (d ? d->timeout_s : 20) * 1000LL, margin;
	char *end;

	if (t && *t) {
		long long v = strtoll(t, &end, 10);

		if (!*end && v > 0 && v < 86400000LL)
			total = v;
	}
	margin = total / 10 < 500 ? 500 : total / 10;
	if (margin > total / 2)
		margin = total / 2;
	c->deadline_ms = ocf_now_ms() + total - margin;
	long long fire = total - margin / 2;
	struct itimerval it = { .it_value = { .tv_sec = fire / 1000,
					      .tv_usec = (fire % 1000) * 1000 } };

	signal(SIGALRM, on_deadline);
	setitimer(ITIMER_REAL, &it, NULL);
}

static int usage(const struct ocf_agent *a, FILE *out)
{
	fprintf(out, "usage: %s {", a->name);
	for (size_t i = 0; i < a->nactions; i++)
		fprintf(out, "%s%s", i ? "|" : "", a->actions[i].name);
	fprintf(out, "}\n");
	return OCF_ERR_ARGS;
}

static int run_action(struct ocf_ctx *c)
{
	const struct ocf_agent *a = c->agent;
	int rc;

	if (!strcmp(c->action, "validate-all")) {
		rc = ocf_params_load(c);
		return rc ? rc : a->validate(c);
	}
	rc = ocf_params_load(c);
	if (rc) {
		/* Nothing can run under parameters that do not parse, so a
		 * stop succeeds (a failed stop gets the node fenced) and a
		 * probe finds it stopped. */
		if (!strcmp(c->action, "stop"))
			return OCF_SUCCESS;
		return rc;
	}
	if (!strcmp(c->action, "start")) {
		rc = a->validate(c);
		return rc ? rc : a->start(c);
	}
	if (!strcmp(c->action, "stop"))
		return a->stop(c);
	if (!strcmp(c->action, "monitor") || !strcmp(c->action, "status"))
		return a->monitor(c);
	if (!strcmp(c->action, "reload") && a->reload) {
		rc = a->validate(c);
		return rc ? rc : a->reload(c);
	}
	return OCF_ERR_UNIMPLEMENTED;
}

int ocf_run(const struct ocf_agent *a, int argc, char **argv)
{
	struct ocf_ctx c = { .agent = a };
	const char *lvl, *iv;
	int rc;

	if (argc != 2)
		return usage(a, stderr);
	c.action = argv[1];
	if (!strcmp(c.action, "meta-data")) {
		ocf_meta_data(a);
		return OCF_SUCCESS;
	}
	if (!strcmp(c.action, "usage") || !strcmp(c.action, "help")) {
		usage(a, stdout);
		return OCF_SUCCESS;
	}
	signal(SIGPIPE, SIG_IGN);
	c.instance = getenv("OCF_RESOURCE_INSTANCE");
	if (!c.instance || !*c.instance)
		c.instance = a->name;
	log_setup(a, c.instance);
	if (!action_def(a, c.action) && strcmp(c.action, "status")) {
		qb_log(LOG_ERR, "action '%.64s' is not implemented", c.action);
		qb_log_fini();
		return OCF_ERR_UNIMPLEMENTED;
	}
	lvl = getenv("OCF_CHECK_LEVEL");
	c.check_level = lvl && atoi(lvl) >= 10 ? 10 : 0;
	iv = getenv("OCF_RESKEY_CRM_meta_interval");
	c.probe = !strcmp(c.action, "monitor") && (!iv || !*iv || atoll(iv) == 0);
	set_deadline(&c, action_def(a, !strcmp(c.action, "status") ? "monitor" : c.action));
	rc = run_action(&c);
	qb_log(rc == OCF_SUCCESS || rc == OCF_NOT_RUNNING ? LOG_DEBUG : LOG_INFO,
	       "%s: exit %d", c.action, rc);
	setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, NULL);
	qb_log_fini();
	return rc;
}
