/* Gratuitous ARP, unsolicited NA and TCP tickles, built by hand on
 * packet and raw sockets: the formats are fixed and small, and doing it
 * here spares the agent arping, ndsend and tickle_tcp. */
#include "announce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct arp_pkt {
	struct arphdr h;
	unsigned char sha[6], spa[4], tha[6], tpa[4];
} __attribute__((packed));

static int send_arp(int fd, const struct netaddr *a, int ifindex, const unsigned char mac[6],
		    unsigned short op, char *err, size_t errlen)
{
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = ifindex, .sll_halen = 6,
	};
	struct arp_pkt p = {
		.h = { .ar_hrd = htons(ARPHRD_ETHER), .ar_pro = htons(ETH_P_IP),
		       .ar_hln = 6, .ar_pln = 4, .ar_op = htons(op) },
	};

	memset(to.sll_addr, 0xff, 6);
	memcpy(p.sha, mac, 6);
	memcpy(p.spa, a->bytes, 4);
	memcpy(p.tpa, a->bytes, 4);
	if (op == ARPOP_REPLY)
		memcpy(p.tha, mac, 6);
	if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		snprintf(err, errlen, "sending ARP for %s: %s", a->text, strerror(errno));
		return -1;
	}
	return 0;
}

static int send_na(const struct netaddr *a, int ifindex, const unsigned char mac[6],
		   char *err, size_t errlen)
{
	struct {
		struct nd_neighbor_advert na;
		struct nd_opt_hdr opt;
		unsigned char mac[6];
	} __attribute__((packed)) p;
	struct sockaddr_in6 src = { .sin6_family = AF_INET6 }, dst = { .sin6_family = AF_INET6 };
	int hops = 255, fd, rc = -1;

	memset(&p, 0, sizeof(p));
	p.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	p.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	memcpy(&p.na.nd_na_target, a->bytes, 16);
	p.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
	p.opt.nd_opt_len = 1;
	memcpy(p.mac, mac, 6);
	memcpy(&src.sin6_addr, a->bytes, 16);
	inet_pton(AF_INET6, "ff02::1", &dst.sin6_addr);
	dst.sin6_scope_id = (uint32_t)ifindex;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0) {
		snprintf(err, errlen, "ICMPv6 socket: %s", strerror(errno));
		return -1;
	}
	/* RFC 4861 7.1.2: a receiver drops an advertisement whose hop limit
	 * is not 255; the kernel computes the ICMPv6 checksum. */
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0 ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
		snprintf(err, errlen, "ICMPv6 socket for %s: %s", a->text, strerror(errno));
		goto out;
	}
	if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		snprintf(err, errlen, "sending a neighbour advertisement for %s: %s", a->text,
			 strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int announce_once(const struct netaddr *a, int ifindex, const unsigned char mac[6],
		  char *err, size_t errlen)
{
	int fd, rc;

	if (a->family == AF_INET6)
		return send_na(a, ifindex, mac, err, errlen);
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (fd < 0) {
		snprintf(err, errlen, "packet socket: %s", strerror(errno));
		return -1;
	}
	rc = send_arp(fd, a, ifindex, mac, ARPOP_REQUEST, err, errlen);
	if (!rc)
		rc = send_arp(fd, a, ifindex, mac, ARPOP_REPLY, err, errlen);
	close(fd);
	return rc;
}

static uint32_t sum16(const void *data, size_t len, uint32_t sum)
{
	const unsigned char *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

int tickle(const struct tcp_conn *c, unsigned count, char *err, size_t errlen)
{
	union { struct sockaddr_in v4; struct sockaddr_in6 v6; } src, dst;
	struct tcphdr th;
	socklen_t slen;
	int fd, rc = -1, v6 = c->local.family == AF_INET6;

	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	memset(&th, 0, sizeof(th));
	th.source = htons(c->lport);
	th.dest = htons(c->rport);
	th.doff = sizeof(th) / 4;
	th.ack = 1;
	th.window = htons(1234);
	if (v6) {
		src.v6.sin6_family = dst.v6.sin6_family = AF_INET6;
		memcpy(&src.v6.sin6_addr, c->local.bytes, 16);
		memcpy(&dst.v6.sin6_addr, c->remote.bytes, 16);
		slen = sizeof(src.v6);
	} else {
		src.v4.sin_family = dst.v4.sin_family = AF_INET;
		memcpy(&src.v4.sin_addr, c->local.bytes, 4);
		memcpy(&dst.v4.sin_addr, c->remote.bytes, 4);
		slen = sizeof(src.v4);
		/* IPv4 raw sockets leave the TCP checksum to the sender:
		 * pseudo-header (addresses, protocol, length), then the header. */
		uint32_t s = sum16(c->local.bytes, 4, 0);
		s = sum16(c->remote.bytes, 4, s);
		s += IPPROTO_TCP + sizeof(th);
		th.check = fold(sum16(&th, sizeof(th), s));
	}
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0) {
		snprintf(err, errlen, "raw TCP socket: %s", strerror(errno));
		return -1;
	}
	if (v6) {
		int off = offsetof(struct tcphdr, check);

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) < 0) {
			snprintf(err, errlen, "IPV6_CHECKSUM: %s", strerror(errno));
			goto out;
		}
	}
	if (bind(fd, (struct sockaddr *)&src, slen) < 0) {
		snprintf(err, errlen, "binding to %s: %s", c->local.text, strerror(errno));
		goto out;
	}
	for (unsigned i = 0; i < count; i++) {
		if (sendto(fd, &th, sizeof(th), 0, (struct sockaddr *)&dst, slen) < 0) {
			snprintf(err, errlen, "tickling %s:%u: %s", c->remote.text, c->rport,
				 strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}
