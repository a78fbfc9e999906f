/* The initiators' connections to the portal: listed from the kernel's
 * socket table (sock_diag), recorded where the surviving node can read
 * them (the CIB, and portblock's tickle_dir when set), read back there. */
#ifndef TANDEM_OCF_CONNS_H
#define TANDEM_OCF_CONNS_H

#include <stddef.h>

#include "announce.h"

#define CONNS_MAX 2048

struct conn_list {
	size_t n;
	struct tcp_conn c[CONNS_MAX];
};

/* Established TCP connections whose local end is a:port. */
int conns_list(const struct netaddr *a, unsigned short port, struct conn_list *out,
	       char *err, size_t errlen);

/* Remote ends as one line, "ADDR:PORT" or "[ADDR6]:PORT" separated by
 * spaces, sorted, so that equal sets give equal text. */
void conns_format(const struct conn_list *l, char *buf, size_t len);
/* Adds the remote ends in text (as conns_format writes them) to l, with
 * a:port as their local end; bad entries are skipped and counted. */
size_t conns_parse(const char *text, const struct netaddr *a, unsigned short port,
		   struct conn_list *l);
/* portblock's tickle_dir file: "LOCAL\tREMOTE" lines. */
size_t conns_parse_tickle_file(const char *text, const struct netaddr *a, unsigned short port,
			       struct conn_list *l);

#endif
