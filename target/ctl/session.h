/* tandemctl's conversation with tandemd: one connection, requests that
 * map the daemon's answers to exit codes, and each command run through
 * the edit cycle of ctl/update.h (get_config -> edit -> apply_config,
 * retried when someone else changed the config in between). */
#ifndef TANDEM_CTL_SESSION_H
#define TANDEM_CTL_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "ctl/cmd.h"

struct ctl_session;

/* CTL_OK, or CTL_UNREACHABLE with err set. */
int session_open(struct ctl_session **out, const char *socket, char *err, size_t errlen);
void session_close(struct ctl_session *s);

/* Sends req (a reference is taken from the caller). CTL_OK with *rsp (a
 * new reference) when the daemon said ok; CTL_REFUSED with its error in
 * err (and *rsp, for "conflict" and the like); CTL_UNREACHABLE when the
 * transport failed. */
int session_call(struct ctl_session *s, json_t *req, json_t **rsp, char *err, size_t errlen);
int session_get_config(struct ctl_session *s, json_t **cfg, json_int_t *gen,
		       char *err, size_t errlen);
/* The daemon's config_path (from ping), for saveconfig with no FILE. */
int session_config_path(struct ctl_session *s, char *out, size_t len, char *err, size_t errlen);

/* Runs one command line (PATH is where it runs, NULL for cwd) and prints
 * its output; returns the exit code. cwd is the shell's and may change. */
int run_command(struct ctl_session *s, char *cwd, const char *path, int argc, char **argv,
		bool json, bool *quit);

#endif
