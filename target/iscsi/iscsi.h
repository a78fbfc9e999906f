/* The iSCSI fabric's public interface to the daemon: the objects it serves
 * (targets, TPGs, ACLs, built by the daemon from the config), a per-worker
 * context, and the entry point for an accepted TCP connection. */
#ifndef TANDEM_ISCSI_ISCSI_H
#define TANDEM_ISCSI_ISCSI_H

#include <netinet/in.h>
#include <stdatomic.h>
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

/* What the fabric serves: one immutable snapshot of the objects. The daemon
 * publishes a new snapshot for every configuration change; sessions and
 * logins in progress hold a reference on the snapshot they point into, and
 * each worker moves its own to the newest one when told to
 * (iscsi_worker_follow_registry), so nobody reads it under a lock. */
struct iscsi_registry {
	struct iscsi_target *targets;
	unsigned ntargets;
	atomic_int refs;
	/* Runs, on any thread, when the last reference goes; NULL for a
	 * registry that is never freed. */
	void (*release)(struct iscsi_registry *reg);
};

/* Makes reg the current snapshot (one reference moves to the fabric) and
 * drops the fabric's reference on the previous one; NULL withdraws it. */
void iscsi_set_registry(struct iscsi_registry *reg);
/* The current snapshot with a reference held, or NULL. */
struct iscsi_registry *iscsi_registry_get(void);
void iscsi_registry_put(struct iscsi_registry *reg);

/* Two TPG objects, maybe from different snapshots, are the same TPG. */
bool iscsi_tpg_same(const struct iscsi_tpg *a, const struct iscsi_tpg *b);
const struct iscsi_tpg *iscsi_registry_find_tpg(const struct iscsi_registry *reg,
						const char *target, uint16_t tag);

/* A view of one session for the control socket's status. */
struct iscsi_conn_info {
	uint16_t cid;
	const struct sockaddr_storage *local;
	const char *peer;		/* "ADDR:PORT" */
};
struct iscsi_session_info {
	const char *target;		/* NULL for a discovery session */
	uint16_t tag;
	const char *initiator;
	const uint8_t *isid;
	uint16_t tsih;
	unsigned nconns;
	const struct iscsi_conn_info *conns;
};
/* Calls fn for every session, under the session table lock: fn must not
 * call back into the fabric. */
void iscsi_sessions_foreach(void (*fn)(const struct iscsi_session_info *si, void *arg),
			    void *arg);

/* Fabric state for one worker thread. */
struct iscsi_worker {
	struct evloop *loop;
	struct evloop_inbox *inbox;	/* for messages from other workers */
	struct bs_ring *ring;
	struct bufpool pool;
	struct list_head conns;
	struct list_head sessions;	/* the sessions this worker owns */
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
/* On w's thread, after a new registry was published: every session and
 * login on w moves to it. A session whose TPG is gone or disabled, or whose
 * ACL was deleted, is asked to log out and closed; one whose LUNs changed
 * gets REPORTED LUNS DATA HAS CHANGED. */
void iscsi_worker_follow_registry(struct iscsi_worker *w);

/* Takes ownership of an accepted, connected socket on worker w's thread. */
void iscsi_conn_accept(struct iscsi_worker *w, int fd);

#endif
