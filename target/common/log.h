/* Every tandemd message goes through tlog(), never qb_log() directly.
 *
 * libqb 2.0's logger is not safe to call from two threads at once: it
 * guards against recursion with one process-wide flag, so a message
 * logged while another thread is inside the logger is silently dropped,
 * and the blackbox ring is written without a lock. tandemd logs from the
 * main thread and from every worker, so its messages take one lock. The
 * lock is off the I/O path: a command logs only when something is wrong. */
#ifndef TANDEM_COMMON_LOG_H
#define TANDEM_COMMON_LOG_H

#include <pthread.h>
#include <qb/qblog.h>

extern pthread_mutex_t tlog_lock;

#define tlog(priority, ...) do {				\
		pthread_mutex_lock(&tlog_lock);			\
		qb_log(priority, __VA_ARGS__);			\
		pthread_mutex_unlock(&tlog_lock);		\
	} while (0)

#endif
