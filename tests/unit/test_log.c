/* tlog(): messages logged from many threads at once all arrive, and the
 * blackbox can be written out meanwhile. Through libqb alone (qb_log from
 * several threads) some are silently dropped; that is why tlog exists. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

#define THREADS 4
#define PER_THREAD 5000

static atomic_uint received;
static atomic_bool dumping;
/* cmocka's assertions jump back into the test's own thread: a dump that
 * fails on the dumper's thread is counted and asserted from there. */
static atomic_uint dumps, dump_failures;

static void count_message(int32_t t, struct qb_log_callsite *cs, struct timespec *ts,
			  const char *msg)
{
	atomic_fetch_add(&received, 1);
}

static void *logger_thread(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;

	for (unsigned i = 0; i < PER_THREAD; i++)
		tlog(LOG_INFO, "thread %u message %u", id, i);
	return NULL;
}

/* Writes the blackbox over and over while the loggers run: the ring is
 * read under the same lock the loggers hold. */
static void *dumper_thread(void *arg)
{
	const char *path = arg;

	while (atomic_load(&dumping)) {
		ssize_t n;

		pthread_mutex_lock(&tlog_lock);
		n = qb_log_blackbox_write_to_file(path);
		pthread_mutex_unlock(&tlog_lock);
		atomic_fetch_add(&dumps, 1);
		if (n <= 0)
			atomic_fetch_add(&dump_failures, 1);
	}
	return NULL;
}

static void every_message_from_every_thread_arrives(void **state)
{
	char path[] = "/tmp/tandem-test-log-XXXXXX";
	pthread_t th[THREADS], dumper;
	int fd, target;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	qb_log_init("test_log", LOG_USER, LOG_INFO);
	qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, QB_FALSE);
	target = qb_log_custom_open(count_message, NULL, NULL, NULL);
	assert_true(target >= 0);
	qb_log_filter_ctl(target, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", LOG_INFO);
	qb_log_ctl(target, QB_LOG_CONF_ENABLED, QB_TRUE);
	qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_SIZE, 64 * 1024);
	qb_log_filter_ctl(QB_LOG_BLACKBOX, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE,
			  "*", LOG_DEBUG);
	qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_ENABLED, QB_TRUE);

	atomic_store(&dumping, true);
	assert_int_equal(pthread_create(&dumper, NULL, dumper_thread, path), 0);
	for (unsigned i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, logger_thread,
						(void *)(uintptr_t)i), 0);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	atomic_store(&dumping, false);
	pthread_join(dumper, NULL);

	assert_int_equal(atomic_load(&received), THREADS * PER_THREAD);
	assert_true(atomic_load(&dumps) > 0);
	assert_int_equal(atomic_load(&dump_failures), 0);
	qb_log_custom_close(target);
	qb_log_fini();
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_message_from_every_thread_arrives),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
