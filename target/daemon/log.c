#include "daemon/log.h"

#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

#include <qb/qblog.h>

#include "common/log.h"

void log_setup(bool foreground, bool debug)
{
	int prio = debug ? LOG_DEBUG : LOG_INFO;

	qb_log_init("tandemd", LOG_DAEMON, prio);
	qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, foreground ? QB_FALSE : QB_TRUE);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", prio);
	if (foreground) {
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD,
				  QB_LOG_FILTER_FILE, "*", prio);
		qb_log_format_set(QB_LOG_STDERR, "%t %p: %b");
		qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);
	}
	/* The blackbox keeps debug messages even when they are not printed,
	 * so a dump explains what led up to a problem. */
	qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_SIZE, 1024 * 1024);
	qb_log_filter_ctl(QB_LOG_BLACKBOX, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE,
			  "*", LOG_DEBUG);
	qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_ENABLED, QB_TRUE);
}

int log_blackbox_dump(const char *dir)
{
	char path[512];
	ssize_t rc;

	snprintf(path, sizeof(path), "%s/tandemd-blackbox-%d", dir, (int)getpid());
	/* The workers write the ring under this lock; reading it must too. */
	pthread_mutex_lock(&tlog_lock);
	rc = qb_log_blackbox_write_to_file(path);
	pthread_mutex_unlock(&tlog_lock);
	if (rc < 0)
		return -1;
	tlog(LOG_NOTICE, "blackbox written to %s", path);
	return 0;
}

void log_teardown(void)
{
	qb_log_fini();
}
