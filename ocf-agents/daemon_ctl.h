/* Starting and stopping tandemd for ocf:tandem:target. The CIB is the
 * source of truth: the daemon the agent starts serves an empty
 * configuration of the agent's own, and the agents build the live objects
 * through the control socket; nothing persists across a node restart. */
#ifndef TANDEM_OCF_DAEMON_CTL_H
#define TANDEM_OCF_DAEMON_CTL_H

#include "ctlops.h"

/* The daemon (TANDEMD_BIN, default /usr/sbin/tandemd), and the config
 * file the agent owns: AGENT_CONFIG in the socket's directory. */
const char *daemon_binary(void);
void daemon_config_path(const char *socket, char *out, size_t len);

/* Connected to a running tandemd, started first when none answers.
 * Returns an OCF exit code (ocf_fail done). */
int daemon_ensure(struct ctlops *o, const struct ocf_ctx *c);

/* Stops the daemon o is connected to when it serves nothing and runs the
 * agent's own config (one started by hand is left alone). */
int daemon_stop_if_idle(struct ctlops *o);

#endif
