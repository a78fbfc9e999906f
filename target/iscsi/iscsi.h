/* The iSCSI fabric's public interface to the daemon: the objects it serves
 * (targets, TPGs, ACLs, built by the daemon from the config), a per-worker
 * context, and the entry point for an accepted TCP connection. */
#ifndef TANDEM_ISCSI_ISCSI_H
#define TANDEM_ISCSI_ISCSI_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/bufpool.h"
#include "common/evloop.h"
#include "common/list.h"
#include "iscsi/params.h"
#include "scsi/scsi.h"

#define ISCSI_CHAP_MAX 256

struct iscsi_auth {
	char userid[ISCSI_CHAP_MAX];		/* empty: none configured */
	char password[ISCSI_CHAP_MAX];
	char mutual_userid[ISCSI_CHAP_MAX];
	char mutual_password[ISCSI_CHAP_MAX];
};

struct iscsi_acl {
	char name[SCSI_NAME_MAX];		/* initiator IQN */
	struct iscsi_auth auth;
	struct scsi_lun_table luns;		/* its mapped LUNs */
};

struct iscsi_portal {
	struct sockaddr_storage addr;		/* wildcard address allowed */
	socklen_t addrlen;
};

struct iscsi_target;

struct iscsi_tpg {
	struct iscsi_target *target;
	uint16_t tag;
	bool enabled;
	bool auth_required;			/* CHAP is mandatory */
	bool auth_none_allowed;
	bool auth_chap_allowed;
	bool demo_mode;				/* generate_node_acls */
	struct iscsi_auth auth;			/* for demo-mode logins */
	char alias[256];
	struct iscsi_limits limits;
	struct scsi_tport tport;
	struct scsi_lun_table luns;		/* demo-mode view: every LUN */
	struct iscsi_acl *acls;
	unsigned nacls;
	struct iscsi_portal *portals;
	unsigned nportals;
};

struct iscsi_target {
	char name[SCSI_NAME_MAX];
	struct iscsi_tpg *tpgs;
	unsigned ntpgs;
};

/* What the fabric serves. Set once before workers start; the daemon keeps it
 * alive until every worker has stopped. */
struct iscsi_registry {
	struct iscsi_target *targets;
	unsigned ntargets;
};

void iscsi_set_registry(const struct iscsi_registry *reg);

/* Fabric state for one worker thread. */
struct iscsi_worker {
	struct evloop *loop;
	struct evloop_inbox *inbox;	/* for messages from other workers */
	struct bs_ring *ring;
	struct bufpool pool;
	struct list_head conns;
	unsigned id;
};

void iscsi_worker_init(struct iscsi_worker *w, unsigned id, struct evloop *loop,
		       struct evloop_inbox *inbox, struct bs_ring *ring);
/* Once a second: login and NOP-In timeouts. */
void iscsi_worker_tick(struct iscsi_worker *w);
/* Closes every connection (daemon shutdown). Returns true when none is
 * left with I/O in flight, so the worker may stop. */
bool iscsi_worker_shutdown(struct iscsi_worker *w);
void iscsi_worker_destroy(struct iscsi_worker *w);

/* Takes ownership of an accepted, connected socket on worker w's thread. */
void iscsi_conn_accept(struct iscsi_worker *w, int fd);

#endif
