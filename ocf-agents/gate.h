/* Gating the portal port while the address moves: new connections (SYN)
 * to ADDR:PORT are dropped, not refused, so initiators retry, as
 * resource-agents' portblock does with iptables. One nftables table a
 * resource, so gates of two portals never touch each other. */
#ifndef TANDEM_OCF_GATE_H
#define TANDEM_OCF_GATE_H

#include <stdbool.h>
#include <stddef.h>

#include "netaddr.h"

#define GATE_NFT "nft"

struct gate {
	char table[64];
	const struct netaddr *addr;
	unsigned short port;
};

void gate_init(struct gate *g, const char *instance, const struct netaddr *a,
	       unsigned short port);
int gate_close(const struct gate *g, long long timeout_ms, char *err, size_t errlen);
int gate_open(const struct gate *g, long long timeout_ms, char *err, size_t errlen);
/* 1 closed, 0 open, -1 unknown (err set). */
int gate_is_closed(const struct gate *g, long long timeout_ms, char *err, size_t errlen);

#endif
