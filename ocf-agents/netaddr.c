/* rtnetlink for the portal agent, through libnl-route-3. */
#include "netaddr.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

/* linux/if.h has it, but cannot be included beside net/if.h. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

int netaddr_parse(const char *s, struct netaddr *a, char *err, size_t errlen)
{
	char buf[64];
	size_t n = strlen(s);

	memset(a, 0, sizeof(*a));
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(buf)) {
		snprintf(err, errlen, "not an IPv4 or IPv6 address");
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, a->bytes) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, a->bytes) == 1)
		a->family = AF_INET6;
	else {
		snprintf(err, errlen, "\"%s\" is not a numeric IPv4 or IPv6 address", buf);
		return -1;
	}
	inet_ntop(a->family, a->bytes, a->text, sizeof(a->text));
	if (a->family == AF_INET ? !memcmp(a->bytes, "\0\0\0\0", 4)
				 : IN6_IS_ADDR_UNSPECIFIED((struct in6_addr *)a->bytes)) {
		snprintf(err, errlen, "%s is the unspecified address", a->text);
		return -1;
	}
	if (a->family == AF_INET ? a->bytes[0] >= 224
				 : IN6_IS_ADDR_MULTICAST((struct in6_addr *)a->bytes)) {
		snprintf(err, errlen, "%s is a multicast or reserved address", a->text);
		return -1;
	}
	return 0;
}

int netaddr_parse_prefix(const char *s, int family, int *prefix, char *err, size_t errlen)
{
	int max = family == AF_INET ? 32 : 128;
	struct in_addr m;
	char *end;
	long v;

	if (family == AF_INET && strchr(s, '.')) {
		uint32_t mask;

		if (inet_pton(AF_INET, s, &m) != 1)
			goto bad;
		mask = ntohl(m.s_addr);
		/* A netmask's ones are contiguous: ~mask + 1 is a power of two. */
		if (((~mask + 1) & ~mask) != 0)
			goto bad;
		*prefix = __builtin_popcount(mask);
		return 0;
	}
	v = strtol(s, &end, 10);
	if (end == s || *end || v < 1 || v > max)
		goto bad;
	*prefix = (int)v;
	return 0;
bad:
	snprintf(err, errlen, "\"%s\" is not a prefix length 1..%d%s", s, max,
		 family == AF_INET ? " or a dotted netmask" : "");
	return -1;
}

bool netaddr_covers(const struct netaddr *net, int prefix, const struct netaddr *b)
{
	int full = prefix / 8, rest = prefix % 8;

	if (net->family != b->family)
		return false;
	if (memcmp(net->bytes, b->bytes, (size_t)full))
		return false;
	if (!rest)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (net->bytes[full] & mask) == (b->bytes[full] & mask);
}

struct nl_sock *netaddr_open(char *err, size_t errlen)
{
	struct nl_sock *s = nl_socket_alloc();
	int rc;

	if (!s) {
		snprintf(err, errlen, "netlink: out of memory");
		return NULL;
	}
	rc = nl_connect(s, NETLINK_ROUTE);
	if (rc < 0) {
		snprintf(err, errlen, "netlink: %s", nl_geterror(rc));
		nl_socket_free(s);
		return NULL;
	}
	return s;
}

void netaddr_close(struct nl_sock *s)
{
	if (s)
		nl_socket_free(s);
}

static bool to_netaddr(struct rtnl_addr *ra, struct netaddr *out)
{
	struct nl_addr *l = rtnl_addr_get_local(ra);
	unsigned len;

	if (!l)
		return false;
	len = nl_addr_get_len(l);
	memset(out, 0, sizeof(*out));
	out->family = nl_addr_get_family(l);
	if ((out->family != AF_INET || len != 4) && (out->family != AF_INET6 || len != 16))
		return false;
	memcpy(out->bytes, nl_addr_get_binary_addr(l), len);
	return true;
}

int netaddr_find_if(struct nl_sock *s, const struct netaddr *a, const char *nic,
		    int *ifindex, int *prefix, char *err, size_t errlen)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int best = -1, rc;

	if (nic && *nic) {
		*ifindex = (int)if_nametoindex(nic);
		if (!*ifindex) {
			snprintf(err, errlen, "interface %s does not exist on this node", nic);
			return -1;
		}
		if (*prefix >= 0)
			return 0;
	}
	rc = rtnl_addr_alloc_cache(s, &cache);
	if (rc < 0) {
		snprintf(err, errlen, "netlink: listing addresses: %s", nl_geterror(rc));
		return -1;
	}
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		int plen = rtnl_addr_get_prefixlen(ra);
		struct netaddr have;

		if (!to_netaddr(ra, &have) || !netaddr_covers(&have, plen, a) ||
		    !memcmp(have.bytes, a->bytes, sizeof(have.bytes)))
			continue;
		if (nic && *nic && rtnl_addr_get_ifindex(ra) != *ifindex)
			continue;
		if (plen > best) {
			best = plen;
			if (!(nic && *nic))
				*ifindex = rtnl_addr_get_ifindex(ra);
		}
	}
	nl_cache_free(cache);
	if (best < 0 && !(nic && *nic)) {
		snprintf(err, errlen, "no interface has an address in the subnet of %s: set nic",
			 a->text);
		return -1;
	}
	if (*prefix < 0) {
		if (best < 0) {
			snprintf(err, errlen, "%s has no address in the subnet of %s: set cidr_netmask",
				 nic, a->text);
			return -1;
		}
		*prefix = best;
	}
	return 0;
}

int netaddr_where(struct nl_sock *s, const struct netaddr *a, unsigned *flags, int *prefix,
		  char *err, size_t errlen)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int where = 0, rc;

	rc = rtnl_addr_alloc_cache(s, &cache);
	if (rc < 0) {
		snprintf(err, errlen, "netlink: listing addresses: %s", nl_geterror(rc));
		return -1;
	}
	for (o = nl_cache_get_first(cache); o && !where; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		struct netaddr have;

		if (to_netaddr(ra, &have) && have.family == a->family &&
		    !memcmp(have.bytes, a->bytes, sizeof(have.bytes))) {
			where = rtnl_addr_get_ifindex(ra);
			*flags = rtnl_addr_get_flags(ra);
			*prefix = rtnl_addr_get_prefixlen(ra);
		}
	}
	nl_cache_free(cache);
	return where;
}

static struct rtnl_addr *build(const struct netaddr *a, int ifindex, int prefix)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *l;

	if (!ra)
		return NULL;
	l = nl_addr_build(a->family, a->bytes, a->family == AF_INET ? 4 : 16);
	if (!l) {
		rtnl_addr_put(ra);
		return NULL;
	}
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, a->family);
	rtnl_addr_set_local(ra, l);
	nl_addr_put(l);
	if (prefix >= 0)
		rtnl_addr_set_prefixlen(ra, prefix);
	return ra;
}

int netaddr_add(struct nl_sock *s, const struct netaddr *a, int ifindex, int prefix,
		char *err, size_t errlen)
{
	struct rtnl_addr *ra = build(a, ifindex, prefix);
	int rc;

	if (!ra) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (a->family == AF_INET && prefix < 31) {
		struct netaddr bc = *a;
		uint32_t host = prefix ? 0xffffffffu >> prefix : 0xffffffffu;
		uint32_t v;

		memcpy(&v, bc.bytes, 4);
		v |= htonl(host);
		memcpy(bc.bytes, &v, 4);
		struct nl_addr *b = nl_addr_build(AF_INET, bc.bytes, 4);
		if (b) {
			rtnl_addr_set_broadcast(ra, b);
			nl_addr_put(b);
		}
	}
	/* The cluster guarantees the address is nowhere else (the other node
	 * released it or was fenced); duplicate address detection would only
	 * keep an IPv6 portal unusable for a second or more. */
	if (a->family == AF_INET6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	rc = rtnl_addr_add(s, ra, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_addr_put(ra);
	if (rc < 0) {
		snprintf(err, errlen, "adding %s/%d: %s", a->text, prefix, nl_geterror(rc));
		return -1;
	}
	return 0;
}

int netaddr_del(struct nl_sock *s, const struct netaddr *a, int ifindex, int prefix,
		char *err, size_t errlen)
{
	struct rtnl_addr *ra = build(a, ifindex, prefix);
	int rc;

	if (!ra) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = rtnl_addr_delete(s, ra, 0);
	rtnl_addr_put(ra);
	if (rc < 0 && rc != -NLE_NOADDR && rc != -NLE_OBJ_NOTFOUND) {
		snprintf(err, errlen, "removing %s: %s", a->text, nl_geterror(rc));
		return -1;
	}
	return 0;
}

int netaddr_link(struct nl_sock *s, int ifindex, bool *up, bool *carrier, char *name,
		 unsigned char mac[6], char *err, size_t errlen)
{
	struct rtnl_link *l = NULL;
	struct nl_addr *hw;
	unsigned flags;
	int rc = rtnl_link_get_kernel(s, ifindex, NULL, &l);

	if (rc < 0) {
		snprintf(err, errlen, "interface %d: %s", ifindex, nl_geterror(rc));
		return -1;
	}
	flags = rtnl_link_get_flags(l);
	*up = flags & IFF_UP;
	*carrier = flags & IFF_LOWER_UP;
	snprintf(name, IFNAMSIZ, "%s", rtnl_link_get_name(l));
	memset(mac, 0, 6);
	hw = rtnl_link_get_addr(l);
	if (hw && nl_addr_get_len(hw) == 6)
		memcpy(mac, nl_addr_get_binary_addr(hw), 6);
	rtnl_link_put(l);
	return 0;
}
