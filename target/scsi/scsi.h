/* The SCSI core's interface, transport-free. A fabric (iscsi/) hands the core
 * commands as struct scsi_cmd and is called back through scsi_fabric_ops when
 * one completes; the core never sees a PDU. The daemon creates LUs
 * (scsi_lu_create) over backstores and target ports (struct scsi_tport) and
 * hands them to the fabric.
 *
 * Life of a command, on the worker that owns the connection:
 *   fabric fills the "fabric" fields, calls scsi_cmd_setup();
 *     -1: status and sense are set, the command is over (send status);
 *      0: cmd->dir and cmd->data_len say what data moves; cmd->buf holds
 *         data_len bytes. For SCSI_DIR_WRITE the fabric fills buf[0,data_len)
 *         with the data-out, then calls scsi_cmd_execute().
 *   scsi_cmd_execute() ends, maybe from inside itself, in ops->done(cmd):
 *     status/sense are set; for SCSI_DIR_READ, buf[0,data_len) is the
 *     data-in (data_len may have shrunk to what the command produced).
 *   the fabric sends data and status, then calls scsi_cmd_release(). */
#ifndef TANDEM_SCSI_SCSI_H
#define TANDEM_SCSI_SCSI_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backstore/backstore.h"
#include "common/bufpool.h"
#include "common/evloop.h"
#include "common/list.h"

#define SCSI_CDB_MAX 32
#define SCSI_SENSE_MAX 96
#define SCSI_NAME_MAX 224		/* iSCSI names are at most 223 bytes */
#define SCSI_PORT_NAME_MAX 256		/* name + ",i,0x" + 12 hex digits */
/* Largest transfer one command may ask for (Block Limits VPD). */
#define SCSI_MAX_XFER_BYTES (8u << 20)

enum scsi_status {
	SAM_STAT_GOOD = 0x00,
	SAM_STAT_CHECK_CONDITION = 0x02,
	SAM_STAT_CONDITION_MET = 0x04,
	SAM_STAT_BUSY = 0x08,
	SAM_STAT_RESERVATION_CONFLICT = 0x18,
	SAM_STAT_TASK_SET_FULL = 0x28,
	SAM_STAT_TASK_ABORTED = 0x40,
};

enum scsi_dir { SCSI_DIR_NONE, SCSI_DIR_READ, SCSI_DIR_WRITE };

/* A target port (an iSCSI TPG). Names are as SPC-4 and RFC 7143 spell them. */
struct scsi_tport {
	char target_name[SCSI_NAME_MAX];	/* "iqn.2003-01.org.example:t1" */
	char name[SCSI_PORT_NAME_MAX];		/* target_name ",t,0x0001" */
	uint16_t rtpi;				/* relative target port id */
	uint16_t tpg_id;			/* ALUA target port group */
};

struct scsi_lu;

/* LUNs one nexus may address (the TPG's LUNs, or an ACL's mapped LUNs). */
struct scsi_lun_entry {
	uint64_t lun;
	struct scsi_lu *lu;
	bool write_protect;	/* mapped read-only for this initiator */
};

struct scsi_lun_table {
	unsigned count;
	struct scsi_lun_entry *ent;	/* sorted by lun */
};

const struct scsi_lun_entry *scsi_lun_table_find(const struct scsi_lun_table *t,
						 uint64_t lun);

struct scsi_cmd;
struct scsi_nexus;

/* Waiting for tasks of other I_T nexuses to end (LOGICAL UNIT RESET,
 * TARGET WARM RESET, PREEMPT AND ABORT). Each nexus asked to abort its
 * tasks holds the wait until they are gone, on whatever worker runs them;
 * the last release posts done to the home inbox, so done runs on the
 * thread of whoever started the wait, never from inside another worker. */
struct scsi_abort {
	atomic_uint holds;
	struct evloop_inbox *home;
	void (*done)(struct scsi_abort *a);
	struct evloop_msg msg;
};

/* One hold, the starter's, until scsi_abort_arm(). */
void scsi_abort_init(struct scsi_abort *a, struct evloop_inbox *home,
		     void (*done)(struct scsi_abort *a));
void scsi_abort_hold(struct scsi_abort *a);
void scsi_abort_release(struct scsi_abort *a);
/* Drops the starter's hold. True: nothing was held, done will not run and
 * the starter goes on at once; false: done runs later on its thread. */
bool scsi_abort_arm(struct scsi_abort *a);

/* What the fabric does for the core on one of its nexuses. */
struct scsi_nexus_ops {
	/* Ends, with no status, every task nexus n started on lu before this
	 * call, except spare (NULL: none), and holds a until they are gone.
	 * Called with lu->lock held, from any thread: it may only post work
	 * to the thread that runs n's tasks, never block or take a lock
	 * that can be held while a LU's lock is wanted. */
	void (*abort_tasks)(const struct scsi_nexus *n, struct scsi_lu *lu,
			    const struct scsi_cmd *spare, struct scsi_abort *a);
};

/* One I_T nexus, created by the fabric when a session logs in. */
struct scsi_nexus {
	char i_name[SCSI_NAME_MAX];		/* initiator name */
	char i_port[SCSI_PORT_NAME_MAX];	/* i_name ",i,0x" ISID */
	const struct scsi_tport *tport;
	const struct scsi_lun_table *luns;
	uint64_t id;				/* unique while the daemon runs */
	const struct scsi_nexus_ops *ops;	/* NULL: no tasks to abort */
	/* The inbox of the thread running this nexus's commands. */
	struct evloop_inbox *inbox;
};

/* Where a LU keeps its persistent reservation state (pr_store.c). */
enum scsi_pr_store {
	SCSI_PR_STORE_NONE,	/* in memory only: lost when the daemon stops */
	SCSI_PR_STORE_INTERNAL,	/* the last 1 MiB of the backstore, hidden */
	SCSI_PR_STORE_EXTERNAL,	/* the first 1 MiB of pr_store_dev */
};

/* Identity and behaviour of a logical unit; identical on both nodes. */
struct scsi_lu_config {
	char name[64];			/* storage object name */
	char vendor[9];			/* INQUIRY T10 vendor, e.g. "TANDEM" */
	char product[17];
	char revision[5];
	char serial[65];		/* unit serial number (VPD 80h) */
	uint8_t naa[16];		/* NAA IEEE Registered Extended (type 6) */
	/* The atomic flags change on a running LU (daemon/storage_live.c)
	 * while workers read them: read them through scsi_lu_*() below. */
	atomic_bool write_cache;	/* WCE reported and honoured (fileio
					   write-back only) */
	bool readonly;
	atomic_bool emulate_tpu;	/* UNMAP */
	atomic_bool emulate_tpws;	/* WRITE SAME with UNMAP */
	atomic_bool emulate_3pc;	/* EXTENDED COPY, RECEIVE COPY RESULTS */
	atomic_bool emulate_sanitize;	/* SANITIZE: initiators may wipe it */
	enum scsi_pr_store pr_store;
	char pr_store_dev[PATH_MAX];	/* EXTERNAL: block device or file */
	/* Attach as after a power loss of the whole cluster: registrations
	 * made without APTPL are dropped, as SPC-4 says; without it
	 * (a failover, a daemon restart) every registration is kept. */
	bool pr_cold_start;
};

struct scsi_lu_stats {
	atomic_uint_fast64_t read_cmds, write_cmds, other_cmds;
	atomic_uint_fast64_t read_bytes, write_bytes;
	atomic_uint_fast64_t errors;
	/* Commands that hold the LU (scsi_lu_hold): the daemon waits for
	 * none before it closes a LU it unmapped. */
	atomic_uint_fast64_t inflight;
};

struct scsi_lu {
	struct scsi_lu_config cfg;
	struct backstore *bs;
	uint32_t block_size;
	uint64_t nblocks;		/* what the initiator sees */
	pthread_mutex_t lock;		/* this LU's shared state below */
	struct list_head nexus_state;	/* per-nexus UA state (core-private) */
	uint64_t ua_generation;		/* core-private */
	struct scsi_lu_stats stats;
	void *core;			/* core-private extension */
};

/* The flags that change while the LU runs. Relaxed: a command reads each
 * once or twice and a change is told to initiators by a unit attention,
 * posted under lu->lock, which every command takes at setup, so a command
 * that saw the attention sees the new values. */
static inline bool scsi_lu_emulate_tpu(const struct scsi_lu *lu)
{
	return atomic_load_explicit(&lu->cfg.emulate_tpu, memory_order_relaxed);
}

static inline bool scsi_lu_emulate_tpws(const struct scsi_lu *lu)
{
	return atomic_load_explicit(&lu->cfg.emulate_tpws, memory_order_relaxed);
}

static inline bool scsi_lu_emulate_3pc(const struct scsi_lu *lu)
{
	return atomic_load_explicit(&lu->cfg.emulate_3pc, memory_order_relaxed);
}

static inline bool scsi_lu_emulate_sanitize(const struct scsi_lu *lu)
{
	return atomic_load_explicit(&lu->cfg.emulate_sanitize, memory_order_relaxed);
}

/* WCE as MODE SENSE reports it. Acquire, paired with the release store of
 * storage_live.c, which turns the backstore's write-back off first: a
 * worker that reported WCE=0 then writes through, even before the unit
 * attention is posted. */
static inline bool scsi_lu_write_cache(const struct scsi_lu *lu)
{
	return atomic_load_explicit(&lu->cfg.write_cache, memory_order_acquire);
}

/* Creates a LU over an opened backstore; NULL with err set on failure. */
struct scsi_lu *scsi_lu_create(struct backstore *bs,
			       const struct scsi_lu_config *cfg,
			       char *err, size_t errlen);
void scsi_lu_destroy(struct scsi_lu *lu);

/* The nexus is gone (session closed): forget its per-LU state. */
void scsi_lu_nexus_gone(struct scsi_lu *lu, const struct scsi_nexus *n);
/* A logical unit reset: every I_T nexus but `spared` (NULL: all) sees a
 * unit attention (BUS DEVICE RESET FUNCTION OCCURRED). */
void scsi_lu_reset(struct scsi_lu *lu, const struct scsi_nexus *spared);
/* The same, and first every nexus's tasks on the LU but by's are aborted
 * (scsi_nexus_ops.abort_tasks), a held until they are gone. LOGICAL UNIT
 * RESET gives `by` the unit attention too (SAM-5, as LIO does: libiscsi's
 * MultipathIO.Reset checks it); a target reset spares it, because
 * libiscsi's Reserve6 tests, which follow one another on one session, do
 * not expect it there, and no initiator needs told that it reset the target
 * itself. */
void scsi_lu_reset_abort(struct scsi_lu *lu, const struct scsi_nexus *by,
			 bool ua_to_by, struct scsi_abort *a);
/* Establish a unit attention for every nexus (e.g. capacity changed). */
void scsi_lu_ua_all(struct scsi_lu *lu, uint8_t asc, uint8_t ascq);
/* Establish a unit attention for one nexus, if it has addressed the LU
 * (e.g. REPORTED LUNS DATA HAS CHANGED after its LUN table changed). */
void scsi_lu_ua_nexus(struct scsi_lu *lu, const struct scsi_nexus *n,
		      uint8_t asc, uint8_t ascq);
/* A fabric command holds the LU from the LUN lookup to its end. */
void scsi_lu_hold(struct scsi_lu *lu);
void scsi_lu_unhold(struct scsi_lu *lu);
uint64_t scsi_lu_inflight(const struct scsi_lu *lu);
/* The LU is reachable through target port tp: REGISTER AND MOVE may name
 * it by its relative port identifier. The daemon calls it for every TPG
 * that maps the LU, before the fabric starts. */
int scsi_lu_add_port(struct scsi_lu *lu, const struct scsi_tport *tp);
/* One line on the LU's persistent reservation state and where it is kept
 * (and on the WRITE ATOMIC journal that shares its area), for the log at
 * attach time. */
void scsi_lu_pr_describe(struct scsi_lu *lu, char *buf, size_t len);

struct scsi_op;

/* Where an EXTENDED COPY stands (xcopy.c): the segment being copied, the
 * I/O in flight, and what is done. Private to the core. */
struct scsi_copy_state {
	struct scsi_lu *src, *dst;
	uint64_t src_off, dst_off;	/* bytes, next chunk of the segment */
	uint64_t left;			/* bytes of the segment still to copy */
	uint64_t copied;		/* bytes, every segment so far */
	uint32_t next_seg;		/* parameter list offset of the next
					   segment descriptor */
	uint32_t chunk;			/* bytes of the I/O in flight */
	uint16_t segs_done;
	int16_t held;			/* held results slot, -1: none */
	int err;			/* of the last I/O */
	bool active;			/* a segment has been started */
	bool writing;			/* the I/O in flight is the write */
	bool in_run;			/* inside the copy loop: a completion
					   arriving now returns to it */
	bool io_pending;
};

struct scsi_fabric_ops {
	void (*done)(struct scsi_cmd *cmd);
};

struct scsi_cmd {
	/* Set by the fabric. */
	uint8_t cdb[SCSI_CDB_MAX];
	uint8_t cdb_len;
	uint8_t task_attr;		/* SAM task attribute */
	uint64_t lun;
	const struct scsi_lun_entry *lun_ent;	/* NULL: LUN not mapped */
	const struct scsi_nexus *nexus;
	uint32_t edtl;			/* expected data transfer length; the core
					   checks it only where a command's data
					   must match its CDB exactly */
	enum scsi_dir fabric_dir;	/* what the fabric says is expected */
	struct bufpool *pool;		/* the worker's */
	struct bs_ring *ring;		/* the worker's */
	const struct scsi_fabric_ops *ops;

	/* Set by the core. */
	enum scsi_dir dir;
	uint32_t data_len;
	uint8_t *buf;
	size_t buf_cap;
	uint8_t status;
	uint8_t sense_len;
	uint8_t sense[SCSI_SENSE_MAX];

	/* Private to the core. */
	struct bs_io bio;
	struct scsi_lu *lu;
	uint64_t lba;
	uint32_t nblocks;
	uint32_t step;
	void (*next)(struct scsi_cmd *cmd, int err);
	uint8_t *aux;			/* second buffer (verify, compare) */
	size_t aux_cap;
	const struct scsi_op *op;	/* dispatch table entry */
	uint32_t flags;			/* CDB bits decoded at setup */
	struct list_head link;		/* LU-wide list of atomic commands */
	struct scsi_copy_state copy;
};

/* Prepares the fields the core owns before a command is set up. */
void scsi_cmd_init(struct scsi_cmd *cmd);
int scsi_cmd_setup(struct scsi_cmd *cmd);
void scsi_cmd_execute(struct scsi_cmd *cmd);
/* The fabric will deliver only len bytes of data-out (its expected transfer
 * length is shorter than the CDB's). For a command whose data-out is the
 * blocks to write, the command shrinks to the whole blocks in len and
 * returns 0; otherwise, or when len ends inside a block, returns -1 and the
 * fabric fails the command. */
int scsi_cmd_shorten(struct scsi_cmd *cmd, uint32_t len);
/* The fabric aborted an executing command and waits for its done(): a
 * command whose work goes on without it (SANITIZE) completes now rather
 * than when that work ends; any other runs to its end. */
void scsi_cmd_abort(struct scsi_cmd *cmd);
/* Returns buffers to the pool; the command may then be reused. */
void scsi_cmd_release(struct scsi_cmd *cmd);

/* Sense data helpers (fixed format unless the LU's D_SENSE is set). */
void scsi_set_sense(struct scsi_cmd *cmd, uint8_t key, uint8_t asc, uint8_t ascq);

#endif
