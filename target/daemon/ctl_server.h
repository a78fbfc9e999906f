/* tandemd's control socket: a libqb IPC service run from the main thread's
 * event loop (docs/control-protocol.md). It checks who connects, decodes
 * one JSON request a message and hands it to the ops (ctl_ops.c), which
 * answer at once or later through the request handle. */
#ifndef TANDEM_DAEMON_CTL_SERVER_H
#define TANDEM_DAEMON_CTL_SERVER_H

#include <stddef.h>

#include <jansson.h>

#include "common/evloop.h"

struct ctl_server;
struct ctl_request;

/* Called for every well-formed request (a JSON object with a string "op");
 * the handler must answer req exactly once, now or later. */
typedef void (*ctl_handler_fn)(struct ctl_request *req, json_t *body, void *arg);

struct ctl_server *ctl_server_start(const char *socket, struct evloop *loop,
				    ctl_handler_fn handler, void *arg,
				    char *err, size_t errlen);
void ctl_server_stop(struct ctl_server *srv);

/* Sends resp (reference stolen) and frees req. If the client has gone, the
 * response is dropped. */
void ctl_reply(struct ctl_request *req, json_t *resp);
/* {"ok": false, "error": ...} */
void ctl_reply_error(struct ctl_request *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
