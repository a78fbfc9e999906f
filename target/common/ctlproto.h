/* What tandemd's control socket and its clients agree on
 * (docs/control-protocol.md): the message id, the size limit and how a
 * socket path names the libqb IPC service. */
#ifndef TANDEM_COMMON_CTLPROTO_H
#define TANDEM_COMMON_CTLPROTO_H

#include <stddef.h>
#include <stdio.h>

#define CTL_DEFAULT_SOCKET "/run/tandem/tandemd.sock"
#define CTL_SOCKET_ENV "TANDEM_SOCKET"
#define CTL_MSG_JSON 1
#define CTL_MAX_BODY (4u << 20)
/* libqb's buffers must hold a header and a whole body. */
#define CTL_MAX_MSG (CTL_MAX_BODY + 64u)

/* libqb builds per-connection file names from the service name, so it may
 * not contain '/': the path's slashes become '_'. Returns -1 when the
 * result does not fit. */
static inline int ctl_service_name(const char *socket, char *out, size_t len)
{
	size_t i;

	for (i = 0; socket[i]; i++) {
		if (i + 1 >= len)
			return -1;
		out[i] = socket[i] == '/' ? '_' : socket[i];
	}
	if (!i || i >= len)
		return -1;
	out[i] = '\0';
	return 0;
}

#endif
