/* Logging through libqb: syslog, or stderr in the foreground, and always
 * the blackbox (a ring of recent messages at debug level), written to a
 * file on SIGUSR1 or a fatal signal for post-mortems. */
#ifndef TANDEM_DAEMON_LOG_H
#define TANDEM_DAEMON_LOG_H

#include <stdbool.h>

void log_setup(bool foreground, bool debug);
/* Writes the blackbox to dir/tandemd-blackbox-PID; returns 0 or -1. */
int log_blackbox_dump(const char *dir);
void log_teardown(void);

#endif
