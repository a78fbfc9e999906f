/* ocf:tandem:portal - the floating portal address: added and removed
 * through rtnetlink, announced (gratuitous ARP / unsolicited NA), the port
 * gated while it moves, and the previous holder's initiator connections
 * tickled so that they reconnect at once. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_addr.h>

#include "announce.h"
#include "conns.h"
#include "gate.h"
#include "netaddr.h"
#include "ocf.h"
#include "record.h"

enum { P_IP, P_CIDR, P_NIC, P_PORT, P_ARP_COUNT, P_ARP_INTERVAL, P_TICKLE_DIR, P_GATE, P_N };

#define TICKLES_PER_CONN 3

static int check_ip(const char *v, char *err, size_t len)
{
	struct netaddr a;

	return netaddr_parse(v, &a, err, len);
}

static int check_nic(const char *v, char *err, size_t len)
{
	if (strlen(v) >= IFNAMSIZ || strpbrk(v, "/ \t:")) {
		snprintf(err, len, "\"%s\" is not an interface name", v);
		return -1;
	}
	return 0;
}

static int check_abs_dir(const char *v, char *err, size_t len)
{
	if (v[0] != '/') {
		snprintf(err, len, "\"%s\" must be an absolute path", v);
		return -1;
	}
	return 0;
}

static const struct ocf_param params[P_N] = {
	[P_IP] = { "ip", OCF_P_STRING, true, true, NULL, "portal address",
		   "The floating IPv4 or IPv6 address initiators log in to (the ip of "
		   "IPaddr2). Numeric only; brackets around an IPv6 address are accepted.",
		   .maxlen = 64, .check = check_ip },
	[P_CIDR] = { "cidr_netmask", OCF_P_STRING, false, false, NULL, "prefix length",
		     "Prefix length of the address (24), or for IPv4 a dotted netmask "
		     "(255.255.255.0), as IPaddr2's cidr_netmask. Default: the prefix of the "
		     "address this node already has in the same subnet.",
		     .maxlen = 16 },
	[P_NIC] = { "nic", OCF_P_STRING, false, false, NULL, "interface",
		    "Interface to add the address to (IPaddr2's nic). Default: the interface "
		    "that already has an address in the subnet of ip, the longest prefix winning.",
		    .maxlen = IFNAMSIZ, .check = check_nic },
	[P_PORT] = { "port", OCF_P_INTEGER, false, false, "3260", "TCP port",
		     "TCP port of the portal: the port gated during transitions and whose "
		     "connections are recorded and tickled (portblock's portno).",
		     .min = 1, .max = 65535 },
	[P_ARP_COUNT] = { "arp_count", OCF_P_INTEGER, false, false, "5", "announcements",
			  "How many gratuitous ARPs (IPv4) or unsolicited neighbour "
			  "advertisements (IPv6) start sends, as IPaddr2's arp_count.",
			  .min = 1, .max = 100 },
	[P_ARP_INTERVAL] = { "arp_interval", OCF_P_INTEGER, false, false, "200",
			     "announcement interval (ms)",
			     "Milliseconds between two announcements, as IPaddr2's arp_interval. "
			     "Start never waits past its timeout for them.",
			     .min = 10, .max = 5000 },
	[P_TICKLE_DIR] = { "tickle_dir", OCF_P_STRING, false, false, NULL, "tickle directory",
			   "Also record the connections in TICKLE_DIR/IP and tickle those found "
			   "there on start, as portblock's tickle_dir (the directory must be on "
			   "shared or replicated storage). The CIB record is kept either way.",
			   .maxlen = 256, .check = check_abs_dir },
	[P_GATE] = { "port_gate", OCF_P_BOOLEAN, false, false, "true", "gate the port",
		     "Drop new connections to ip:port (an nftables table) while the address "
		     "moves, so initiators retry instead of being refused, as portblock does. "
		     "Needs a kernel with nftables; false only where there is none (the lab's "
		     "User-Mode Linux kernel): initiators then see a refusal and retry anyway." },
};

static const struct ocf_action_def actions[] = {
	{ "start", 20, 0, -1 },
	{ "stop", 20, 0, -1 },
	{ "monitor", 20, 10, 0 },
	{ "monitor", 20, 60, 10 },
	{ "meta-data", 5, 0, -1 },
	{ "validate-all", 10, 0, -1 },
};

struct portal {
	struct netaddr addr;
	unsigned short port;
	int prefix;			/* -1 until found */
	int ifindex;
	struct gate gate;
	bool gated;			/* port_gate */
	struct record rec;
	struct nl_sock *nl;
	char err[512];
};

static struct conn_list conns;

static long long step_ms(const struct ocf_ctx *c)
{
	long long left = ocf_left_ms(c);

	return left < 5000 ? left : 5000;
}

/* Parameters into a portal; the interface is looked up only when needed
 * (a probe on a node without it must still say "not running"). */
static int portal_init(struct ocf_ctx *c, struct portal *p, bool find_if)
{
	memset(p, 0, sizeof(*p));
	p->prefix = -1;
	netaddr_parse(ocf_str(c, P_IP), &p->addr, p->err, sizeof(p->err));
	p->port = (unsigned short)ocf_num(c, P_PORT);
	if (ocf_str(c, P_CIDR) &&
	    netaddr_parse_prefix(ocf_str(c, P_CIDR), p->addr.family, &p->prefix, p->err,
				 sizeof(p->err)) < 0)
		return ocf_fail(OCF_ERR_CONFIGURED, "parameter cidr_netmask: %s", p->err);
	gate_init(&p->gate, c->instance, &p->addr, p->port);
	p->gated = ocf_bool(c, P_GATE);
	record_init(&p->rec, c, &p->addr, p->port, ocf_str(c, P_TICKLE_DIR));
	p->nl = netaddr_open(p->err, sizeof(p->err));
	if (!p->nl)
		return ocf_fail(OCF_ERR_GENERIC, "%s", p->err);
	if (find_if && netaddr_find_if(p->nl, &p->addr, ocf_str(c, P_NIC), &p->ifindex,
				       &p->prefix, p->err, sizeof(p->err)) < 0)
		return ocf_fail(OCF_ERR_INSTALLED, "%s", p->err);
	return OCF_SUCCESS;
}

static int portal_validate(struct ocf_ctx *c)
{
	struct portal p;
	int rc = portal_init(c, &p, true);

	if (!rc && p.gated && !ocf_have_binary(GATE_NFT))
		rc = ocf_fail(OCF_ERR_INSTALLED, "%s (package nftables) is not installed; the "
			      "portal needs it to gate its port", GATE_NFT);
	netaddr_close(p.nl);
	return rc;
}

static void announce_all(struct ocf_ctx *c, struct portal *p, const unsigned char mac[6],
			 long long count)
{
	long long gap = ocf_num(c, P_ARP_INTERVAL);

	for (long long i = 1; i < count && ocf_left_ms(c) > gap; i++) {
		ocf_sleep_ms(gap);
		if (announce_once(&p->addr, p->ifindex, mac, p->err, sizeof(p->err)) < 0)
			ocf_log(LOG_WARNING, "%s", p->err);
	}
}

static void tickle_recorded(struct portal *p)
{
	size_t done = 0;

	record_load(&p->rec, &conns);
	for (size_t i = 0; i < conns.n; i++) {
		if (tickle(&conns.c[i], TICKLES_PER_CONN, p->err, sizeof(p->err)) < 0)
			ocf_log(LOG_WARNING, "%s", p->err);
		else
			done++;
	}
	if (conns.n)
		ocf_log(LOG_INFO, "tickled %zu of %zu recorded initiator connection(s)", done,
			conns.n);
}

static int bring_up(struct ocf_ctx *c, struct portal *p)
{
	unsigned char mac[6];
	char name[IFNAMSIZ];
	bool up, carrier;

	if (netaddr_link(p->nl, p->ifindex, &up, &carrier, name, mac, p->err, sizeof(p->err)) < 0)
		return ocf_fail(OCF_ERR_GENERIC, "%s", p->err);
	if (!up)
		return ocf_fail(OCF_ERR_GENERIC, "interface %s is down", name);
	if (netaddr_add(p->nl, &p->addr, p->ifindex, p->prefix, p->err, sizeof(p->err)) < 0)
		return ocf_fail(OCF_ERR_GENERIC, "%s on %s", p->err, name);
	if (announce_once(&p->addr, p->ifindex, mac, p->err, sizeof(p->err)) < 0)
		ocf_log(LOG_WARNING, "%s", p->err);
	/* The initiators' answers to the tickles come here only once their
	 * neighbour caches point here, hence after the first announcement. */
	tickle_recorded(p);
	announce_all(c, p, mac, ocf_num(c, P_ARP_COUNT));
	ocf_log(LOG_INFO, "%s/%d is up on %s", p->addr.text, p->prefix, name);
	return OCF_SUCCESS;
}

static int portal_start(struct ocf_ctx *c)
{
	struct portal p;
	unsigned flags = 0;
	int rc = portal_init(c, &p, true), where, have_prefix;

	if (rc)
		goto out;
	where = netaddr_where(p.nl, &p.addr, &flags, &have_prefix, p.err, sizeof(p.err));
	if (where < 0) {
		rc = ocf_fail(OCF_ERR_GENERIC, "%s", p.err);
		goto out;
	}
	if (where && where != p.ifindex) {
		rc = ocf_fail(OCF_ERR_GENERIC, "%s is already on interface %d, not on %d",
			      p.addr.text, where, p.ifindex);
		goto out;
	}
	if (!where) {
		if (p.gated && gate_close(&p.gate, step_ms(c), p.err, sizeof(p.err)) < 0) {
			rc = ocf_fail(OCF_ERR_GENERIC, "closing the port gate: %s", p.err);
			goto out;
		}
		rc = bring_up(c, &p);
		if (rc && netaddr_del(p.nl, &p.addr, p.ifindex, p.prefix, p.err, sizeof(p.err)) < 0)
			ocf_log(LOG_ERR, "rolling back: %s", p.err);
	}
	if (p.gated && gate_open(&p.gate, step_ms(c), p.err, sizeof(p.err)) < 0 && !rc)
		rc = ocf_fail(OCF_ERR_GENERIC, "opening the port gate: %s", p.err);
	record_forget_cache(&p.rec);
out:
	netaddr_close(p.nl);
	return rc;
}

static int portal_stop(struct ocf_ctx *c)
{
	struct portal p;
	unsigned flags = 0;
	int rc = portal_init(c, &p, false), where, have_prefix = -1;

	if (rc)
		goto out;
	where = netaddr_where(p.nl, &p.addr, &flags, &have_prefix, p.err, sizeof(p.err));
	if (where < 0) {
		rc = ocf_fail(OCF_ERR_GENERIC, "%s", p.err);
		goto out;
	}
	/* Initiators that try while the address leaves are dropped, not
	 * refused, and retry; the next holder's start tickles the rest. */
	if (where) {
		if (p.gated && gate_close(&p.gate, step_ms(c), p.err, sizeof(p.err)) < 0)
			ocf_log(LOG_WARNING, "closing the port gate: %s", p.err);
		if (netaddr_del(p.nl, &p.addr, where, have_prefix, p.err, sizeof(p.err)) < 0) {
			rc = ocf_fail(OCF_ERR_GENERIC, "%s", p.err);
			goto out;
		}
		ocf_log(LOG_INFO, "%s removed", p.addr.text);
	}
	/* Only a gate that is there needs opening: a stop that fails gets
	 * the node fenced, so one where nftables cannot even list its tables
	 * (then no gate was ever closed) must not fail on it. */
	if (p.gated && ocf_have_binary(GATE_NFT)) {
		switch (gate_is_closed(&p.gate, step_ms(c), p.err, sizeof(p.err))) {
		case 1:
			if (gate_open(&p.gate, step_ms(c), p.err, sizeof(p.err)) < 0)
				rc = ocf_fail(OCF_ERR_GENERIC, "opening the port gate: %s", p.err);
			break;
		case -1:
			ocf_log(LOG_WARNING, "no port gate to open (nft: %s)", p.err);
			break;
		}
	}
	record_forget_cache(&p.rec);
out:
	netaddr_close(p.nl);
	return rc;
}

static int deep_checks(struct ocf_ctx *c, struct portal *p, unsigned flags)
{
	if (flags & (IFA_F_DADFAILED | IFA_F_TENTATIVE))
		return ocf_fail(OCF_ERR_GENERIC, "%s is %s", p->addr.text,
				flags & IFA_F_DADFAILED ? "a duplicate on the link (DAD failed)"
							: "still tentative");
	switch (p->gated ? gate_is_closed(&p->gate, step_ms(c), p->err, sizeof(p->err)) : 0) {
	case 1:
		return ocf_fail(OCF_ERR_GENERIC, "port %u on %s is gated: new logins are dropped",
				p->port, p->addr.text);
	case -1:
		return ocf_fail(OCF_ERR_GENERIC, "cannot read the port gate: %s", p->err);
	}
	return OCF_SUCCESS;
}

static int portal_monitor(struct ocf_ctx *c)
{
	struct portal p;
	unsigned flags = 0;
	unsigned char mac[6];
	char name[IFNAMSIZ];
	bool up, carrier;
	int rc = portal_init(c, &p, false), where, have_prefix;

	if (rc)
		goto out;
	where = netaddr_where(p.nl, &p.addr, &flags, &have_prefix, p.err, sizeof(p.err));
	if (where <= 0) {
		rc = where < 0 ? ocf_fail(OCF_ERR_GENERIC, "%s", p.err) : OCF_NOT_RUNNING;
		goto out;
	}
	if (ocf_str(c, P_NIC) && (int)if_nametoindex(ocf_str(c, P_NIC)) != where) {
		rc = ocf_fail(OCF_ERR_GENERIC, "%s is on interface %d, not on %s", p.addr.text,
			      where, ocf_str(c, P_NIC));
		goto out;
	}
	if (netaddr_link(p.nl, where, &up, &carrier, name, mac, p.err, sizeof(p.err)) < 0) {
		rc = ocf_fail(OCF_ERR_GENERIC, "%s", p.err);
		goto out;
	}
	if (!up || !carrier) {
		rc = ocf_fail(OCF_ERR_GENERIC, "%s has %s on %s", p.addr.text,
			      !up ? "its interface down" : "no carrier", name);
		goto out;
	}
	if (c->check_level >= 10 && (rc = deep_checks(c, &p, flags)))
		goto out;
	if (!c->probe) {
		if (conns_list(&p.addr, p.port, &conns, p.err, sizeof(p.err)) < 0)
			ocf_log(LOG_WARNING, "listing the portal's connections: %s", p.err);
		else
			record_save(&p.rec, &conns);
	}
out:
	netaddr_close(p.nl);
	return rc;
}

static const struct ocf_agent agent = {
	.name = "portal",
	.shortdesc = "tandem floating iSCSI portal address",
	.longdesc =
		"Adds the floating portal address on this node through rtnetlink, announces it "
		"(gratuitous ARP for IPv4, unsolicited neighbour advertisement for IPv6), and "
		"gates the portal's TCP port with an nftables rule while the address moves, so "
		"initiators retry instead of being refused. Each recurring monitor records the "
		"initiators' connections to the portal in the CIB (a permanent node attribute, "
		"replicated by Corosync); start on the next node sends each recorded connection "
		"a TCP tickle ACK, which resets it, so initiators reconnect at once instead of "
		"waiting out their NOP-Out timeout (what portblock with tickle_dir does). "
		"Parameter names follow ocf:heartbeat:IPaddr2 and portblock. Monitor depth 0: "
		"the address is on its interface, which is up with carrier; depth 10 also: the "
		"address is not tentative or a duplicate, and the port is not left gated.",
	.params = params,
	.nparams = P_N,
	.actions = actions,
	.nactions = sizeof(actions) / sizeof(actions[0]),
	.start = portal_start,
	.stop = portal_stop,
	.monitor = portal_monitor,
	.validate = portal_validate,
};

int main(int argc, char **argv)
{
	return ocf_run(&agent, argc, argv);
}
