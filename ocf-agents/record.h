/* Where the portal's connection list survives the node that wrote it: a
 * permanent node attribute in the CIB (replicated by Corosync to every
 * node, kept when the writer dies), and portblock's tickle_dir when the
 * resource names one (shared or replicated storage is the user's part). */
#ifndef TANDEM_OCF_RECORD_H
#define TANDEM_OCF_RECORD_H

#include "conns.h"
#include "ocf.h"

struct record {
	const struct ocf_ctx *ctx;
	const struct netaddr *addr;
	unsigned short port;
	const char *tickle_dir;		/* NULL: none */
	char attr[128];			/* the CIB attribute's name */
	char cache[256];		/* what this node last wrote */
};

void record_init(struct record *r, const struct ocf_ctx *c, const struct netaddr *a,
		 unsigned short port, const char *tickle_dir);
/* Writes l when it differs from what was written last; failures are
 * logged, never fatal: the record only speeds failover up. */
void record_save(struct record *r, const struct conn_list *l);
/* Every connection recorded by any node for this portal. */
void record_load(struct record *r, struct conn_list *l);
/* Forgets what this node wrote last, so the next save writes. */
void record_forget_cache(struct record *r);

#endif
