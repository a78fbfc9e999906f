/* Telling the segment where the portal address lives now (gratuitous ARP,
 * unsolicited neighbour advertisement) and telling initiators their old
 * connections are gone (TCP tickle ACKs). */
#ifndef TANDEM_OCF_ANNOUNCE_H
#define TANDEM_OCF_ANNOUNCE_H

#include <stddef.h>

#include "netaddr.h"

/* One announcement: for IPv4 an ARP request and an ARP reply, both with
 * sender = target = a (RFC 5227 2.4 and what arping -U/-A send); for IPv6
 * an unsolicited neighbour advertisement with the Override flag to
 * all-nodes (RFC 4861 7.2.6). */
int announce_once(const struct netaddr *a, int ifindex, const unsigned char mac[6],
		  char *err, size_t errlen);

/* An established connection: the portal's end and the initiator's. */
struct tcp_conn {
	struct netaddr local, remote;
	unsigned short lport, rport;
};

/* Sends count ACKs from local to remote with sequence and acknowledgement
 * numbers the initiator cannot expect; it answers with an ACK carrying the
 * right ones, which this node (holding no such connection) resets, and
 * the initiator's connection is reset with it. The address must already
 * be configured here. */
int tickle(const struct tcp_conn *c, unsigned count, char *err, size_t errlen);

#endif
