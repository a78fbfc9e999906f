/* One request, one response over libqb IPC; the bodies are JSON. */
#include "ctl/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qbipcc.h>

#include "common/ctlproto.h"

struct ctl_client {
	qb_ipcc_connection_t *conn;
	char *buf;			/* CTL_MAX_MSG: the largest response */
	char socket[256];
};

const char *ctl_socket_path(const char *arg)
{
	const char *env = getenv(CTL_SOCKET_ENV);

	if (arg && *arg)
		return arg;
	return env && *env ? env : CTL_DEFAULT_SOCKET;
}

struct ctl_client *ctl_connect(const char *socket, char *err, size_t errlen)
{
	struct ctl_client *c;
	char name[256];

	if (ctl_service_name(socket, name, sizeof(name)) < 0) {
		snprintf(err, errlen, "control socket '%s': name empty or too long", socket);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->buf = malloc(CTL_MAX_MSG);
	if (!c || !c->buf) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	snprintf(c->socket, sizeof(c->socket), "%s", socket);
	c->conn = qb_ipcc_connect(name, CTL_MAX_MSG);
	if (!c->conn) {
		snprintf(err, errlen, "tandemd is not running on %s: %s", socket,
			 errno == EACCES ? "permission denied (root only)" : strerror(errno));
		goto fail;
	}
	return c;
fail:
	if (c)
		free(c->buf);
	free(c);
	return NULL;
}

json_t *ctl_call(struct ctl_client *c, json_t *req, int timeout_ms,
		 char *err, size_t errlen)
{
	struct qb_ipc_request_header hdr = { .id = CTL_MSG_JSON };
	struct qb_ipc_response_header *rsp = (void *)c->buf;
	struct iovec iov[2];
	json_error_t jerr;
	json_t *out;
	char *body;
	size_t blen;
	ssize_t n;

	body = json_dumps(req, JSON_COMPACT);
	if (!body) {
		snprintf(err, errlen, "cannot encode the request");
		return NULL;
	}
	blen = strlen(body);
	if (blen > CTL_MAX_BODY) {
		snprintf(err, errlen, "request of %zu bytes is over the %u-byte limit",
			 blen, CTL_MAX_BODY);
		free(body);
		return NULL;
	}
	hdr.size = (int32_t)(sizeof(hdr) + blen);
	iov[0] = (struct iovec){ &hdr, sizeof(hdr) };
	iov[1] = (struct iovec){ body, blen };
	n = qb_ipcc_sendv_recv(c->conn, iov, 2, c->buf, CTL_MAX_MSG, timeout_ms);
	free(body);
	if (n < 0) {
		snprintf(err, errlen, "no answer from tandemd on %s: %s", c->socket,
			 strerror((int)-n));
		return NULL;
	}
	if ((size_t)n < sizeof(*rsp) || rsp->size != n || rsp->id != CTL_MSG_JSON) {
		snprintf(err, errlen, "malformed response from tandemd on %s (%zd bytes)",
			 c->socket, n);
		return NULL;
	}
	out = json_loadb(c->buf + sizeof(*rsp), (size_t)n - sizeof(*rsp), 0, &jerr);
	if (!json_is_object(out)) {
		snprintf(err, errlen, "response from tandemd is not a JSON object: %s",
			 out ? "wrong type" : jerr.text);
		json_decref(out);
		return NULL;
	}
	return out;
}

enum ctl_call_rc ctl_request(struct ctl_client *c, json_t *req, int timeout_ms,
			     json_t **rsp, char *err, size_t errlen)
{
	const char *why;

	*rsp = ctl_call(c, req, timeout_ms, err, errlen);
	if (!*rsp)
		return CTL_CALL_FAILED;
	if (json_is_true(json_object_get(*rsp, "ok")))
		return CTL_CALL_OK;
	why = json_string_value(json_object_get(*rsp, "error"));
	snprintf(err, errlen, "%s", why ? why : "tandemd refused the request without saying why");
	return CTL_CALL_REFUSED;
}

void ctl_disconnect(struct ctl_client *c)
{
	if (!c)
		return;
	qb_ipcc_disconnect(c->conn);
	free(c->buf);
	free(c);
}
