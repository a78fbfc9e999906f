/* The floating address through rtnetlink (libnl-route-3): parse it, find
 * the interface it belongs on, add, find, remove it, read the link. */
#ifndef TANDEM_OCF_NETADDR_H
#define TANDEM_OCF_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>

struct nl_sock;

struct netaddr {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char bytes[16];
	char text[64];			/* canonical form, no brackets */
};

int netaddr_parse(const char *s, struct netaddr *a, char *err, size_t errlen);
/* "24", or for IPv4 a dotted netmask ("255.255.255.0") as IPaddr2 takes. */
int netaddr_parse_prefix(const char *s, int family, int *prefix, char *err, size_t errlen);
/* Is b inside a/prefix? */
bool netaddr_covers(const struct netaddr *net, int prefix, const struct netaddr *b);

struct nl_sock *netaddr_open(char *err, size_t errlen);
void netaddr_close(struct nl_sock *s);

/* The interface for a: nic by name when given, else the interface that
 * already has an address of a's subnet (the longest prefix wins), whose
 * prefix is used when *prefix < 0. */
int netaddr_find_if(struct nl_sock *s, const struct netaddr *a, const char *nic,
		    int *ifindex, int *prefix, char *err, size_t errlen);

/* Where a is configured: 0 nowhere, else the ifindex; *flags gets the
 * address flags (IFA_F_*), *prefix its prefix length. -1 on a netlink
 * error. */
int netaddr_where(struct nl_sock *s, const struct netaddr *a, unsigned *flags, int *prefix,
		  char *err, size_t errlen);
int netaddr_add(struct nl_sock *s, const struct netaddr *a, int ifindex, int prefix,
		char *err, size_t errlen);
/* prefix must be the address's own: the kernel matches on it. */
int netaddr_del(struct nl_sock *s, const struct netaddr *a, int ifindex, int prefix,
		char *err, size_t errlen);
/* Administratively up and carrier present; name gets the interface name
 * (IFNAMSIZ), mac its hardware address (6 bytes, zero when none). */
int netaddr_link(struct nl_sock *s, int ifindex, bool *up, bool *carrier, char *name,
		 unsigned char mac[6], char *err, size_t errlen);

#endif
