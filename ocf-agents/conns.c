/* Listing established connections with NETLINK_SOCK_DIAG (what `ss -tn`
 * reads), and their text forms. */
#include "conns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int dump_request(int fd, int family)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = (unsigned char)family, .sdiag_protocol = IPPROTO_TCP,
			 .idiag_states = 1u << TCP_ESTABLISHED },
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };

	return sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0 ? -1 : 0;
}

static void add_conn(const struct inet_diag_msg *m, const struct netaddr *a,
		     unsigned short port, struct conn_list *out)
{
	size_t alen = a->family == AF_INET ? 4 : 16;
	struct tcp_conn *c;

	if (ntohs(m->id.idiag_sport) != port || memcmp(m->id.idiag_src, a->bytes, alen) ||
	    out->n >= CONNS_MAX)
		return;
	c = &out->c[out->n++];
	memset(c, 0, sizeof(*c));
	c->local = *a;
	c->lport = port;
	c->remote.family = a->family;
	memcpy(c->remote.bytes, m->id.idiag_dst, alen);
	inet_ntop(a->family, c->remote.bytes, c->remote.text, sizeof(c->remote.text));
	c->rport = ntohs(m->id.idiag_dport);
}

int conns_list(const struct netaddr *a, unsigned short port, struct conn_list *out,
	       char *err, size_t errlen)
{
	static char buf[32768];
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	bool done = false;

	out->n = 0;
	if (fd < 0) {
		snprintf(err, errlen, "sock_diag socket: %s", strerror(errno));
		return -1;
	}
	if (dump_request(fd, a->family) < 0) {
		snprintf(err, errlen, "sock_diag request: %s", strerror(errno));
		close(fd);
		return -1;
	}
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "sock_diag: %s", strerror(errno));
			close(fd);
			return -1;
		}
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				snprintf(err, errlen, "sock_diag: %s", strerror(-e->error));
				close(fd);
				return -1;
			}
			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				add_conn(NLMSG_DATA(h), a, port, out);
		}
		if (n == 0)
			break;
	}
	close(fd);
	return 0;
}

static int cmp_text(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

void conns_format(const struct conn_list *l, char *buf, size_t len)
{
	char (*items)[80] = calloc(l->n ? l->n : 1, sizeof(*items));
	char **order = calloc(l->n ? l->n : 1, sizeof(*order));
	size_t used = 0;

	buf[0] = '\0';
	if (!items || !order)
		goto out;
	for (size_t i = 0; i < l->n; i++) {
		const struct tcp_conn *c = &l->c[i];

		bool v6 = c->remote.family == AF_INET6;

		snprintf(items[i], sizeof(items[i]), "%s%s%s:%u", v6 ? "[" : "", c->remote.text,
			 v6 ? "]" : "", c->rport);
		order[i] = items[i];
	}
	qsort(order, l->n, sizeof(*order), cmp_text);
	for (size_t i = 0; i < l->n; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? " " : "", order[i]);

		if (w < 0 || (size_t)w >= len - used) {
			buf[used] = '\0';
			break;
		}
		used += (size_t)w;
	}
out:
	free(items);
	free(order);
}

/* "ADDR:PORT" or "[ADDR]:PORT" into an address of family and a port. */
static int parse_endpoint(const char *s, size_t n, int family, struct netaddr *a,
			  unsigned short *port)
{
	char tmp[80], err[128];
	const char *colon;
	char *end;
	unsigned long p;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	colon = strrchr(tmp, ':');
	if (!colon || colon == tmp)
		return -1;
	p = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p == 0 || p > 65535)
		return -1;
	tmp[colon - tmp] = '\0';
	if (netaddr_parse(tmp, a, err, sizeof(err)) < 0 || a->family != family)
		return -1;
	*port = (unsigned short)p;
	return 0;
}

static void add_remote(struct conn_list *l, const struct netaddr *a, unsigned short port,
		       const struct netaddr *r, unsigned short rport)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->c[i].rport == rport && !memcmp(l->c[i].remote.bytes, r->bytes, 16))
			return;
	if (l->n >= CONNS_MAX)
		return;
	l->c[l->n] = (struct tcp_conn){ .local = *a, .lport = port, .remote = *r, .rport = rport };
	l->n++;
}

size_t conns_parse(const char *text, const struct netaddr *a, unsigned short port,
		   struct conn_list *l)
{
	size_t bad = 0;

	while (*text) {
		size_t n = strcspn(text, " \t\n");
		struct netaddr r;
		unsigned short rport;

		if (n) {
			if (parse_endpoint(text, n, a->family, &r, &rport) < 0)
				bad++;
			else
				add_remote(l, a, port, &r, rport);
		}
		text += n + (text[n] != '\0');
	}
	return bad;
}

size_t conns_parse_tickle_file(const char *text, const struct netaddr *a, unsigned short port,
			       struct conn_list *l)
{
	size_t bad = 0;

	while (*text) {
		size_t n = strcspn(text, "\n"), ln = strcspn(text, " \t");
		struct netaddr loc, r;
		unsigned short lport, rport;

		if (n && ln < n) {
			const char *rem = text + ln + strspn(text + ln, " \t");
			size_t rn = n - (size_t)(rem - text);

			if (parse_endpoint(text, ln, a->family, &loc, &lport) < 0 ||
			    parse_endpoint(rem, rn, a->family, &r, &rport) < 0)
				bad++;
			else if (lport == port && !memcmp(loc.bytes, a->bytes, 16))
				add_remote(l, a, port, &r, rport);
		} else if (n) {
			bad++;
		}
		text += n + (text[n] != '\0');
	}
	return bad;
}
