/* Persistent reservations (SPC-4) and SPC-2 RESERVE and
 * RELEASE: what pr.c (commands, conflicts), pr_out.c (PERSISTENT RESERVE
 * OUT), pr_state.c (registrations, TransportIDs, printing) and pr_store.c
 * (the durable store) share, and what their unit tests and the daemon's
 * `tandemd pr` tool reach. Outside them only atomic_journal.c includes it,
 * for the part of the store's area it borrows.
 *
 * A LU's state is one struct pr_state under lu->lock. A PERSISTENT RESERVE
 * OUT works on a copy, writes the copy to the store, and only once the
 * write has completed replaces the state with it: no nexus ever sees a
 * reservation that a crash could take back. */
#ifndef TANDEM_SCSI_PR_H
#define TANDEM_SCSI_PR_H

#include <stdatomic.h>
#include <stdio.h>

#include "scsi/core.h"

/* Reservation types (SPC-4). */
enum {
	PR_TYPE_WE = 0x1,	/* Write Exclusive */
	PR_TYPE_EA = 0x3,	/* Exclusive Access */
	PR_TYPE_WE_RO = 0x5,	/* Write Exclusive - Registrants Only */
	PR_TYPE_EA_RO = 0x6,	/* Exclusive Access - Registrants Only */
	PR_TYPE_WE_AR = 0x7,	/* Write Exclusive - All Registrants */
	PR_TYPE_EA_AR = 0x8,	/* Exclusive Access - All Registrants */
};

/* PERSISTENT RESERVE OUT service actions (SPC-4). */
enum {
	PRO_REGISTER = 0x0,
	PRO_RESERVE = 0x1,
	PRO_RELEASE = 0x2,
	PRO_CLEAR = 0x3,
	PRO_PREEMPT = 0x4,
	PRO_PREEMPT_AND_ABORT = 0x5,
	PRO_REGISTER_IGNORE = 0x6,
	PRO_REGISTER_AND_MOVE = 0x7,
};

/* PERSISTENT RESERVE IN service actions (SPC-4). */
enum {
	PRI_READ_KEYS = 0x0,
	PRI_READ_RESERVATION = 0x1,
	PRI_REPORT_CAPABILITIES = 0x2,
	PRI_READ_FULL_STATUS = 0x3,
};

/* What a reservation does to a command from a nexus that does not hold
 * it (pr_class). A command that is neither READ nor WRITE is allowed
 * through every persistent reservation type (INQUIRY, TEST UNIT READY,
 * READ CAPACITY...); READ ones (media reads and the MODE SENSE family)
 * conflict with Exclusive Access types only, WRITE ones with every type. */
#define PRC_SET 0x01u		/* classified: every opcode of scsi_optab is */
#define PRC_READ 0x02u
#define PRC_WRITE 0x04u
#define PRC_SPC2_OK 0x08u	/* allowed under another nexus's RESERVE */
#define PRC_PR 0x10u		/* PERSISTENT RESERVE IN/OUT */
unsigned pr_class(const uint8_t *cdb);

/* Registrations a LU holds at most; one more is INSUFFICIENT REGISTRATION
 * RESOURCES. A two-node cluster with a few paths each needs a handful. */
#define PR_MAX_REGS 256u
/* Largest PERSISTENT RESERVE OUT parameter list: the 24-byte list, the
 * TransportID length and as many iSCSI TransportIDs as registrations. */
#define PR_OUT_MAX_LEN (28u + PR_MAX_REGS * PR_TID_MAX)
/* An iSCSI TransportID: 4 header bytes, the name (223), ",i,0x", 12 ISID
 * digits and a NUL, padded to a multiple of 4. */
#define PR_TID_MAX 248u

/* One registered I_T nexus (or, made by name alone, all of an initiator's
 * ports). Names compare without regard to case, as iSCSI names do. */
struct pr_reg {
	uint64_t key;
	char i_name[SCSI_NAME_MAX];
	/* i_name ",i,0x" ISID; "" for a registration made with a TransportID
	 * of format 00b (SPEC_I_PT, REGISTER AND MOVE), which every ISID of
	 * that initiator matches. */
	char i_port[SCSI_PORT_NAME_MAX];
	char t_port[SCSI_PORT_NAME_MAX];	/* target port registered through */
	uint16_t rtpi;				/* its relative port identifier */
	bool all_tg_pt;				/* registered for every target port */
	bool holder;				/* holds a reservation that is not
						   of an all-registrants type */
};

struct pr_state {
	uint32_t generation;			/* PRGENERATION */
	bool aptpl;				/* last APTPL bit received */
	bool reserved;
	uint8_t type;				/* when reserved */
	/* The target port the holder reserved through: with ALL_TG_PT the
	 * holder's registration covers other ports, which do not hold. */
	char res_tport[SCSI_PORT_NAME_MAX];
	unsigned nregs;
	struct pr_reg *regs;			/* malloc'd, nregs used */
};

/* pr_state.c */
bool pr_type_valid(uint8_t type);
bool pr_type_all_reg(uint8_t type);
const char *pr_type_name(uint8_t type);
/* A copy of src with room for `room` more registrations; -1 on ENOMEM. */
int pr_state_copy(struct pr_state *dst, const struct pr_state *src,
		  unsigned room);
void pr_state_free(struct pr_state *s);
/* Registrations and reservation gone (generation and APTPL kept). */
void pr_state_clear(struct pr_state *s);
/* Removes registration i; the caller has dealt with what it held. */
void pr_state_remove(struct pr_state *s, unsigned i);
bool pr_reg_matches(const struct pr_reg *r, const struct scsi_nexus *n);
/* The registration the nexus is registered through, or -1. */
int pr_find(const struct pr_state *s, const struct scsi_nexus *n);
/* Whether nexus n, registered as registration i (or -1), holds the
 * reservation. */
bool pr_holds(const struct pr_state *s, int i, const struct scsi_nexus *n);
/* Fills r->i_name and r->i_port from the iSCSI TransportID at p (avail
 * bytes). Returns the TransportID's length, or -1 when it is not a valid
 * iSCSI TransportID of format 00b or 01b. */
int pr_tid_parse(const uint8_t *p, size_t avail, struct pr_reg *r);
/* Writes r's TransportID (format 01b, or 00b when registered by name) to
 * out (PR_TID_MAX bytes); returns its length. */
size_t pr_tid_build(const struct pr_reg *r, uint8_t *out);
/* The state, readable, one item a line, each prefixed by indent. */
void pr_state_print(const struct pr_state *s, FILE *out, const char *indent);

/* What a LU's reservations need besides the state (pr.c). */
struct pr_port {
	char name[SCSI_PORT_NAME_MAX];
	char target[SCSI_NAME_MAX];
	uint16_t rtpi;
};

/* Where the state is durable (pr_store.c). */
struct pr_store {
	enum scsi_pr_store kind;
	struct backstore *bs;		/* internal: the LU's; external: own */
	uint64_t area;			/* byte offset of the area in bs */
	unsigned cur;			/* slot holding the committed state */
	uint64_t seq;			/* its sequence number */
};

struct pr_lu {
	struct pr_state st;		/* committed; under lu->lock */
	/* Whether scsi_pr_check() must look: a persistent or an SPC-2
	 * reservation exists. Written under lu->lock, read without it. */
	atomic_bool restricted;
	bool spc2;			/* SPC-2 RESERVE held ... */
	uint64_t spc2_nexus;		/* ... by this nexus id */
	/* A PERSISTENT RESERVE OUT is writing `next` to the store; it
	 * replaces st when the write completes (see pr_out.c). */
	bool busy;
	struct pr_state next;
	/* Unit attention for each registration of st when next commits,
	 * except to the nexus that sent the command. */
	uint16_t next_ua[PR_MAX_REGS];
	uint64_t next_except;
	struct pr_store store;
	struct pr_port *ports;
	unsigned nports;
};

static inline struct pr_lu *lu_pr(const struct scsi_lu *lu)
{
	return lu_core(lu)->pr;
}

/* With lu->lock held: st becomes pr->next (which is taken over), the
 * unit attentions are established, the fast-path flag follows. */
void pr_commit_locked(struct scsi_lu *lu);

/* PREEMPT AND ABORT (pr_abort.c). The wait is built in cmd->aux, which
 * holds at least PR_ABORT_SIZE bytes (a store slot is at least that). */
#define PR_ABORT_SIZE 4096u
struct pr_abort;
/* With lu->lock held, just before pr->next is committed: aborts the tasks
 * of the nexuses the command's PREEMPT AND ABORT removed. Returns the wait,
 * or NULL when the command is not one or removed nothing. */
struct pr_abort *pr_abort_preempted_locked(struct scsi_cmd *cmd);
/* Completes the command now, or once the tasks it aborted are gone. */
void pr_out_finish(struct scsi_cmd *cmd, struct pr_abort *pa);

/* The store's on-disk format (pr_store.c). An area of PR_AREA_SIZE bytes:
 * a header (magic, format, the LU's identity) in its first 512 bytes, and
 * two slots each holding a whole state with a sequence number and a
 * CRC32C. Writes alternate between the slots, so a torn write can only
 * damage the slot it was writing; the valid slot with the higher sequence
 * number is the state. Little-endian, fixed layout. */
#define PR_AREA_SIZE (1u << 20)
#define PR_SLOT_SIZE (256u << 10)
#define PR_SLOT_OFF(i) ((uint64_t)PR_SLOT_SIZE * (1u + (i)))
#define PR_REC_SIZE 512u
#define PR_FORMAT 1u
/* Where the area starts in a backstore of `size` bytes holding an internal
 * store: the last MiB, rounded down to 4 KiB so that O_DIRECT on a 4Kn
 * device can reach it whatever the LU's block size. */
uint64_t pr_internal_area(uint64_t size);
/* What the store leaves free in its area and lends to the WRITE ATOMIC
 * journal (atomic_journal.c): the 4 KiB block after the header, and the
 * last 256 KiB, past slot 1. A full slot (256 registrations) takes 132
 * KiB of its 256, so neither is ever written by the store. */
#define PR_JOURNAL_HDR_OFF 4096u
#define PR_JOURNAL_DATA_OFF (3u * PR_SLOT_SIZE)
#define PR_JOURNAL_DATA_LEN (PR_AREA_SIZE - PR_JOURNAL_DATA_OFF)
_Static_assert(512u /* slot header */ + PR_MAX_REGS * PR_REC_SIZE <= PR_SLOT_SIZE,
	       "a full slot fits in its place");
/* One I/O on bs, waited for on a ring of its own (a WRITE with FUA), for
 * attach and recovery before the LU serves anything. 0 or -errno. */
int pr_area_sync_io(struct backstore *bs, enum bs_op op, uint64_t off,
		    void *buf, size_t len);

/* What an area holds, decoded (pr_store_inspect). */
struct pr_area_info {
	bool zero;			/* never written */
	bool header_ok;
	char header_why[256];		/* why not */
	char owner[64];			/* storage object named in the header */
	bool slot_ok[2];
	bool slot_zero[2];
	uint64_t slot_seq[2];
	char slot_why[2][160];
	int current;			/* slot of the state, or -1 */
	struct pr_state st;		/* current's state (free it) */
};
/* Decodes an area read whole (PR_AREA_SIZE bytes) for the LU with this
 * configuration. Returns 0, or -1 if out of memory. */
int pr_store_inspect(const uint8_t *area, const struct scsi_lu_config *cfg,
		     struct pr_area_info *info);
/* Prints what pr_store_inspect found, readably. */
void pr_area_print(const struct pr_area_info *info, FILE *out);

/* Loads the LU's store (creating it on a never-written area) into pr->st
 * and pr->store; -1 with err set when the store cannot be trusted. */
int pr_store_attach(struct scsi_lu *lu, struct pr_lu *pr, char *err,
		    size_t errlen);
void pr_store_detach(struct pr_store *st);
/* Submits the write of pr->next on cmd's worker ring; done(cmd, err) runs
 * when it is durable or failed. The caller holds the LU busy. */
void pr_store_write(struct scsi_cmd *cmd, struct pr_lu *pr,
		    void (*done)(struct scsi_cmd *cmd, int err));
/* Resets the LU's store to an empty state (the recovery of `tandemd pr
 * clear`), bs being the LU's backstore opened exclusively. Refuses an area
 * holding data that is not a tandem store unless force. Writes what it did
 * to out; -1 with err set on failure. */
int pr_store_clear(struct backstore *bs, const struct scsi_lu_config *cfg,
		   bool force, FILE *out, char *err, size_t errlen);

#endif
