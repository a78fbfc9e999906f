/* A client of tandemd's control socket: one JSON request, one JSON
 * response (docs/control-protocol.md). Used by tandemctl and the OCF
 * agents; it links libqb and jansson, never the engine. */
#ifndef TANDEM_CTL_CLIENT_H
#define TANDEM_CTL_CLIENT_H

#include <stddef.h>

#include <jansson.h>

struct ctl_client;

/* The socket a client should use: the argument if set, else
 * $TANDEM_SOCKET, else the default. */
const char *ctl_socket_path(const char *arg);

/* NULL with err set ("tandemd is not running on SOCKET: ...") when no
 * daemon answers. */
struct ctl_client *ctl_connect(const char *socket, char *err, size_t errlen);

/* Sends req and waits up to timeout_ms (-1: forever) for the response,
 * returned as a new reference. NULL with err set only when the transport
 * failed; a refusal by the daemon is a response with "ok": false. */
json_t *ctl_call(struct ctl_client *c, json_t *req, int timeout_ms,
		 char *err, size_t errlen);

enum ctl_call_rc {
	CTL_CALL_OK,		/* the daemon said "ok": true */
	CTL_CALL_REFUSED,	/* it said no; its "error" is in err */
	CTL_CALL_FAILED,	/* the transport failed; err says how */
};

/* ctl_call, and the answer's verdict. *rsp is the answer (a new
 * reference) when the daemon gave one, ok or not, else NULL. */
enum ctl_call_rc ctl_request(struct ctl_client *c, json_t *req, int timeout_ms,
			     json_t **rsp, char *err, size_t errlen);

void ctl_disconnect(struct ctl_client *c);

#endif
