/* The portal gate as an nftables table, loaded atomically by `nft -f -`. */
#include "gate.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ocf.h"

void gate_init(struct gate *g, const char *instance, const struct netaddr *a,
	       unsigned short port)
{
	uint32_t h = 2166136261u;	/* FNV-1a: two names that sanitise alike still differ */
	size_t n = 0;
	char clean[32];

	for (const char *p = instance; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (const char *p = instance; *p && n < sizeof(clean) - 1; p++)
		clean[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') ? *p : '_';
	clean[n] = '\0';
	snprintf(g->table, sizeof(g->table), "tandem_gate_%s_%08x", clean, h);
	g->addr = a;
	g->port = port;
}

static int nft(const char *script, long long timeout_ms, char *err, size_t errlen)
{
	const char *argv[] = { GATE_NFT, "-f", "-", NULL };

	return ocf_exec(argv, script, NULL, 0, timeout_ms, err, errlen) == 0 ? 0 : -1;
}

int gate_close(const struct gate *g, long long timeout_ms, char *err, size_t errlen)
{
	char script[1024];

	/* Declaring, deleting and re-creating the table in one transaction
	 * replaces any earlier gate without a moment with none. Priority
	 * -300 runs before connection tracking, so a dropped SYN leaves no
	 * conntrack entry behind. */
	snprintf(script, sizeof(script),
		 "table inet %s\n"
		 "delete table inet %s\n"
		 "table inet %s {\n"
		 "\tchain gate {\n"
		 "\t\ttype filter hook input priority -300; policy accept;\n"
		 "\t\t%s daddr %s tcp dport %u tcp flags & (fin | syn | rst | ack) == syn drop\n"
		 "\t}\n"
		 "}\n",
		 g->table, g->table, g->table, g->addr->family == AF_INET6 ? "ip6" : "ip",
		 g->addr->text, g->port);
	return nft(script, timeout_ms, err, errlen);
}

int gate_open(const struct gate *g, long long timeout_ms, char *err, size_t errlen)
{
	char script[256];

	snprintf(script, sizeof(script), "table inet %s\ndelete table inet %s\n", g->table, g->table);
	return nft(script, timeout_ms, err, errlen);
}

int gate_is_closed(const struct gate *g, long long timeout_ms, char *err, size_t errlen)
{
	const char *argv[] = { GATE_NFT, "list", "tables", "inet", NULL };
	char out[8192], line[128];
	const char *p;

	if (ocf_exec(argv, NULL, out, sizeof(out), timeout_ms, err, errlen) != 0)
		return -1;
	snprintf(line, sizeof(line), "table inet %s\n", g->table);
	for (p = out; (p = strstr(p, line)); p++)
		if (p == out || p[-1] == '\n')
			return 1;
	return 0;
}
