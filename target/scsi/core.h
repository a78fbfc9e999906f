/* What the files of the SCSI core share and nothing outside scsi/ may use:
 * the dispatch table's shape, the LU's private state, sense and unit
 * attention helpers, and byte-order helpers for CDBs and parameter data. */
#ifndef TANDEM_SCSI_CORE_H
#define TANDEM_SCSI_CORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "scsi/scsi.h"
#include "common/endian.h"

/* Sense keys (SPC-4 table 48). */
enum {
	SK_NO_SENSE = 0x0,
	SK_NOT_READY = 0x2,
	SK_MEDIUM_ERROR = 0x3,
	SK_HARDWARE_ERROR = 0x4,
	SK_ILLEGAL_REQUEST = 0x5,
	SK_UNIT_ATTENTION = 0x6,
	SK_DATA_PROTECT = 0x7,
	SK_COPY_ABORTED = 0xa,
	SK_MISCOMPARE = 0xe,
};

/* Additional sense code and qualifier, ASC in the high byte. */
enum {
	ASC_NO_ADDITIONAL = 0x0000,
	ASC_SANITIZE_IN_PROGRESS = 0x041b,
	ASC_OPERATION_IN_PROGRESS = 0x0016,
	ASC_COPY_TARGET_NOT_REACHABLE = 0x0d02,
	ASC_WRITE_ERROR = 0x0c00,
	ASC_UNRECOVERED_READ_ERROR = 0x1100,
	ASC_PARAM_LIST_LENGTH_ERROR = 0x1a00,
	ASC_MISCOMPARE_DURING_VERIFY = 0x1d00,
	ASC_INVALID_OPCODE = 0x2000,
	ASC_LBA_OUT_OF_RANGE = 0x2100,
	ASC_INVALID_FIELD_IN_CDB = 0x2400,
	ASC_LU_NOT_SUPPORTED = 0x2500,
	ASC_INVALID_FIELD_IN_PARAM = 0x2600,
	ASC_INVALID_RELEASE_OF_PR = 0x2604,
	ASC_TOO_MANY_TARGET_DESCRIPTORS = 0x2606,
	ASC_UNSUPPORTED_TARGET_DESCRIPTOR = 0x2607,
	ASC_TOO_MANY_SEGMENT_DESCRIPTORS = 0x2608,
	ASC_UNSUPPORTED_SEGMENT_DESCRIPTOR = 0x2609,
	ASC_UNEXPECTED_INEXACT_SEGMENT = 0x260a,
	ASC_INLINE_DATA_LENGTH_EXCEEDED = 0x260b,
	ASC_WRITE_PROTECTED = 0x2700,
	ASC_POWER_ON_RESET = 0x2900,
	ASC_BUS_DEVICE_RESET = 0x2903,
	ASC_MODE_PARAMETERS_CHANGED = 0x2a01,
	ASC_RESERVATIONS_PREEMPTED = 0x2a03,
	ASC_RESERVATIONS_RELEASED = 0x2a04,
	ASC_REGISTRATIONS_PREEMPTED = 0x2a05,
	ASC_SANITIZE_FAILED = 0x3103,
	ASC_SAVING_PARAMS_UNSUPPORTED = 0x3900,
	ASC_INTERNAL_TARGET_FAILURE = 0x4400,
	ASC_INSUFFICIENT_REG_RESOURCES = 0x5504,
};

/* Per-opcode flags of the dispatch table. */
enum {
	OPF_NO_LU = 1u << 0,	/* answered on a LUN that is not mapped */
	OPF_NO_UA = 1u << 1,	/* neither reports nor clears a unit attention */
	OPF_WRITE = 1u << 2,	/* modifies the medium: refused when protected */
	OPF_TPU = 1u << 3,	/* exists only when the LU emulates UNMAP */
	OPF_STAT_READ = 1u << 4,	/* counted as a read in the LU stats */
	OPF_STAT_WRITE = 1u << 5,	/* counted as a write */
	OPF_EXACT_DATAOUT = 1u << 6,	/* data-out must be exactly data_len */
	OPF_SANITIZE = 1u << 7,		/* exists only when the LU allows it */
	OPF_ATOMIC = 1u << 8,		/* exists only when the backstore writes
					   atomically (backstore.atomic_max) */
	OPF_3PC = 1u << 9,		/* exists only with emulate_3pc */
};

/* Bits in scsi_cmd.flags, decoded from the CDB by a setup function. */
enum {
	CMDF_FUA = 1u << 0,
	CMDF_BYTCHK = 1u << 1,		/* compare with the data-out */
	CMDF_BYTCHK_ONE = 1u << 2,	/* data-out is one block for all */
	CMDF_UNMAP = 1u << 3,
	CMDF_NDOB = 1u << 4,
	CMDF_RANGE_HELD = 1u << 5,	/* on the LU's atomic range list */
	CMDF_BLOCK_XFER = 1u << 6,	/* data-out is the blocks themselves */
	CMDF_ATOMIC_WRITE = 1u << 7,	/* WRITE ATOMIC: no read may see its
					   range half written */
};

/* One command the core implements. The CDB usage data is both what REPORT
 * SUPPORTED OPERATION CODES reports and the mask of bits scsi_cmd_setup()
 * lets through: a bit set in the CDB but clear here is INVALID FIELD IN CDB,
 * so what we claim and what we accept cannot drift apart. */
struct scsi_op {
	uint8_t opcode;
	uint8_t cdb_len;
	uint16_t sa;
	uint16_t flags;
	bool has_sa;			/* sa is meaningful */
	const struct scsi_op *sa_tab;	/* opcode with service actions */
	uint8_t n_sa;
	/* Decodes and checks the CDB: sets dir, data_len, lba, nblocks,
	 * flags. Returns -1 with the sense set on a bad CDB. */
	int (*setup)(struct scsi_cmd *cmd);
	/* Runs the command; ends, maybe from inside, in scsi_cmd_complete. */
	void (*exec)(struct scsi_cmd *cmd);
	/* The fabric aborted the command: one that would wait long for
	 * work that goes on without it completes now (scsi_cmd_abort). */
	void (*abort)(struct scsi_cmd *cmd);
	uint8_t usage[16];
};

/* The dispatch table, indexed by opcode (optab.c). */
extern const struct scsi_op scsi_optab[256];
const struct scsi_op *scsi_op_lookup(const uint8_t *cdb, bool *bad_sa);
/* Whether a table entry exists for this LU (UNMAP needs emulate_tpu). */
bool scsi_op_supported(const struct scsi_op *op, const struct scsi_lu *lu);
/* Whether the LU offers the opcode with at least one service action. */
bool scsi_opcode_supported(uint8_t opcode, const struct scsi_lu *lu);

struct pr_lu;
struct atomic_journal;

/* The LU's private state, allocated around struct scsi_lu. */
struct scsi_lu_core {
	struct scsi_lu lu;
	/* Current control mode page bits (changeable by MODE SELECT), read
	 * without the lock on every command, written under lu.lock. */
	atomic_bool d_sense;
	atomic_bool swp;
	/* Commands that must see the blocks they touch unchanged between a
	 * read and a write (COMPARE AND WRITE, ORWRITE), under lu.lock. */
	struct list_head atomic_cmds;
	atomic_uint atomic_inflight;
	/* WRITE ATOMIC's journal on a backstore that cannot write
	 * atomically itself (atomic_journal.c); NULL: none. */
	struct atomic_journal *journal;
	/* Persistent and SPC-2 reservations (pr.c, scsi/pr.h). */
	struct pr_lu *pr;
	/* SANITIZE (sanitize.c): the mode and the progress (0..65535) are
	 * read without the lock on every command; the job and the AUSE bit
	 * of a failed one are under lu.lock. */
	atomic_uint sanitize_mode;
	atomic_uint sanitize_progress;
	struct sanitize_job *sanitize_job;
	bool sanitize_ause;
	/* From a BLOCK ERASE until the first write: nothing is mapped, and
	 * GET LBA STATUS says so. */
	atomic_bool sanitize_erased;
	/* EXTENDED COPY results held for RECEIVE COPY RESULTS, under
	 * lu.lock (xcopy_results.c). */
	struct xcopy_held *xcopy_held;
	uint64_t xcopy_age;
};

static inline struct scsi_lu_core *lu_core(const struct scsi_lu *lu)
{
	return (struct scsi_lu_core *)lu->core;
}

/* Write protection of the medium as this command's nexus sees it. */
bool scsi_cmd_write_protected(const struct scsi_cmd *cmd);

/* Ends a command that setup accepted: stats, then the fabric's done(). */
void scsi_cmd_complete(struct scsi_cmd *cmd);
/* Copies a response built in scratch space to the data-in buffer, trimmed
 * to what the allocation length allows, and completes the command. */
void scsi_cmd_respond(struct scsi_cmd *cmd, const void *data, size_t len);
/* Sets up a data-in command whose response is at most alloc_len bytes
 * (and at most max_len: what the command can ever produce). */
void scsi_cmd_datain(struct scsi_cmd *cmd, uint32_t alloc_len, uint32_t max_len);
/* Submits one backstore I/O; next(cmd, err) runs on completion, possibly
 * before this returns. The caller must not touch cmd afterwards. */
void scsi_cmd_io(struct scsi_cmd *cmd, enum bs_op op, unsigned flags,
		 uint64_t offset, uint64_t len, void *buf,
		 void (*next)(struct scsi_cmd *cmd, int err));
/* A second buffer of len bytes from the pool, into cmd->aux. */
int scsi_cmd_get_aux(struct scsi_cmd *cmd, size_t len);

/* Sense data (sense.c). Every helper sets CHECK CONDITION and returns -1 so
 * that setup functions can `return scsi_fail_...(cmd, ...)`. */
struct scsi_sense {
	uint8_t key;
	uint16_t asc;			/* ASC << 8 | ASCQ */
	bool info_valid;
	uint64_t info;			/* INFORMATION field */
	bool sks_valid;
	uint8_t sks[3];			/* sense-key specific bytes */
	bool csi_valid;
	uint32_t csi;			/* COMMAND-SPECIFIC INFORMATION */
};
/* Formats sense data; returns its length (at most SCSI_SENSE_MAX). */
size_t scsi_sense_format(uint8_t *out, bool descriptor, const struct scsi_sense *s);
bool scsi_lu_descriptor_sense(const struct scsi_lu *lu);
int scsi_fail_sense(struct scsi_cmd *cmd, const struct scsi_sense *s);
int scsi_fail(struct scsi_cmd *cmd, uint8_t key, uint16_t asc);
/* INVALID FIELD IN CDB pointing at byte and bit (bit < 0: whole byte). */
int scsi_fail_cdb(struct scsi_cmd *cmd, unsigned byte, int bit);
/* INVALID FIELD IN PARAMETER LIST pointing into the data-out. */
int scsi_fail_param(struct scsi_cmd *cmd, unsigned byte, int bit);
int scsi_fail_info(struct scsi_cmd *cmd, uint8_t key, uint16_t asc, uint64_t info);

/* Unit attentions (ua.c). On the first command of a nexus to a LU its state
 * is created with POWER ON, RESET pending. If take, the oldest pending UA is
 * removed and returned in *asc: 1. Returns 0 if none, -1 if the state could
 * not be allocated. */
int scsi_ua_check(struct scsi_lu *lu, const struct scsi_nexus *n, bool take,
		  uint16_t *asc);
/* Establishes a UA for every nexus that has addressed the LU, except
 * `except` (NULL: none). */
void scsi_ua_others(struct scsi_lu *lu, const struct scsi_nexus *except,
		    uint16_t asc);
void scsi_ua_free_all(struct scsi_lu *lu);
/* With lu->lock held: establishes a UA for every nexus that has addressed
 * the LU, is not the nexus with id except_id, and for which match(nexus,
 * arg) is true (e.g. the nexuses a preempted registration covered). */
void scsi_ua_post_locked(struct scsi_lu *lu,
			 bool (*match)(const struct scsi_nexus *n, const void *arg),
			 const void *arg, uint64_t except_id, uint16_t asc);

/* With lu->lock held: calls fn for every nexus that has addressed the LU. */
void scsi_ua_each_nexus_locked(struct scsi_lu *lu,
			       void (*fn)(const struct scsi_nexus *n, void *arg),
			       void *arg);

/* With lu->lock held (abort.c): asks every nexus that has addressed the LU,
 * is not the nexus with id except_id (0: none) and for which match(nexus,
 * arg) is true (match NULL: every one), to abort its tasks on the LU except
 * spare; a is held until they are gone. */
void scsi_lu_abort_locked(struct scsi_lu *lu,
			  bool (*match)(const struct scsi_nexus *n, const void *arg),
			  const void *arg, uint64_t except_id,
			  const struct scsi_cmd *spare, struct scsi_abort *a);

/* Persistent reservations (pr.c): whether the nexus may run this command
 * on the LU now. 0, or -1 with RESERVATION CONFLICT set. */
int scsi_pr_check(struct scsi_cmd *cmd);
/* Attaches the LU's reservation state (loads its store; an internal store
 * shrinks lu->nblocks), and detaches it. */
int scsi_pr_attach(struct scsi_lu *lu, char *err, size_t errlen);
void scsi_pr_detach(struct scsi_lu *lu);
/* With lu->lock held: the nexus is gone; a LU reset happened. Both end an
 * SPC-2 reservation (SPC-2); persistent ones stay. */
void scsi_pr_nexus_gone_locked(struct scsi_lu *lu, const struct scsi_nexus *n);
void scsi_pr_reset_locked(struct scsi_lu *lu);

/* SANITIZE (sanitize.c). */
enum {
	SANITIZE_OVERWRITE = 0x01,
	SANITIZE_BLOCK_ERASE = 0x02,
	SANITIZE_CRYPTO_ERASE = 0x03,
	SANITIZE_EXIT_FAILURE_MODE = 0x1f,
};
enum { SANITIZE_MODE_IDLE, SANITIZE_MODE_RUNNING, SANITIZE_MODE_FAILED };
struct sanitize_overwrite {
	bool invert;
	unsigned passes;
	uint32_t pattern_len;
	const uint8_t *pattern;		/* points into the parameter list */
};
/* Decodes an OVERWRITE parameter list of len bytes: 0, or -1 when it does
 * not describe one pattern (SBC-4 5.30.3). */
int sanitize_parse_overwrite(const uint8_t *p, uint32_t len, uint32_t block_size,
			     struct sanitize_overwrite *ow);
/* While the LU's sanitize mode (read by the caller) is not idle: 0 if cmd
 * may run, or -1 with NOT READY, SANITIZE IN PROGRESS (or, in failure
 * mode, MEDIUM ERROR, SANITIZE COMMAND FAILED) set. */
int scsi_sanitize_check(struct scsi_cmd *cmd, unsigned mode);
/* Sets the sense a command refused in that mode gets; returns -1. */
int scsi_sanitize_refuse(struct scsi_cmd *cmd, unsigned mode);
/* A sanitize runs: s is NOT READY, SANITIZE IN PROGRESS with the progress
 * indication, and true is returned (for REQUEST SENSE). */
bool scsi_sanitize_sense(const struct scsi_lu *lu, struct scsi_sense *s);
/* Whether a SANITIZE service action exists on the LU (emulate_sanitize;
 * BLOCK ERASE needs thin provisioning over a discarding backstore). */
bool scsi_sanitize_supported(const struct scsi_op *op, const struct scsi_lu *lu);

/* Data is about to be written to the LU's medium: it is no longer all
 * deallocated. One relaxed load per write while nothing was erased. */
static inline void scsi_sanitize_written(struct scsi_lu *lu)
{
	atomic_bool *erased = &lu_core(lu)->sanitize_erased;

	if (atomic_load_explicit(erased, memory_order_relaxed))
		atomic_store(erased, false);
}

/* Range locking for read-modify-write commands (sbc_atomic.c). */
void scsi_atomic_release(struct scsi_cmd *cmd);
/* Whether a plain write (or, read set, a read) must wait: it overlaps an
 * atomic command (for a read, a WRITE ATOMIC). */
bool scsi_atomic_conflict(struct scsi_cmd *cmd, bool read);
/* Largest WRITE ATOMIC in blocks, 0 when the LU cannot do it. */
uint32_t sbc_max_atomic_blocks(const struct scsi_lu *lu);

/* EXTENDED COPY (LID1) and RECEIVE COPY RESULTS, SPC-4 6.4 and 6.18:
 * what the copy manager advertises (RECEIVE COPY RESULTS OPERATING
 * PARAMETERS, VPD 8Fh) and enforces. The descriptor list limit is what the
 * two counts allow, so a longer list is a PARAMETER LIST LENGTH ERROR. */
#define XCOPY_MAX_CSCD 16u
#define XCOPY_MAX_SEGMENTS 64u
#define XCOPY_CSCD_LEN 32u
#define XCOPY_B2B_LEN 28u
#define XCOPY_MAX_DESC_LIST (XCOPY_MAX_CSCD * XCOPY_CSCD_LEN +              \
			     XCOPY_MAX_SEGMENTS * XCOPY_B2B_LEN)
#define XCOPY_HDR_LEN 16u
/* Copies whose results are held at once, per LU. */
#define XCOPY_HELD_MAX 8u

enum xcopy_state { XCOPY_FREE, XCOPY_RUNNING, XCOPY_GOOD, XCOPY_FAILED };

struct xcopy_held {
	uint64_t nexus_id;
	uint64_t age;			/* the oldest finished slot is reused */
	uint8_t list_id;
	uint8_t state;			/* enum xcopy_state */
	uint16_t segs_done;
	uint64_t copied;		/* bytes */
	uint8_t sense_len;
	uint8_t sense[SCSI_SENSE_MAX];
};

int xcopy_held_alloc(struct scsi_lu *lu);
void xcopy_held_free(struct scsi_lu *lu);
/* Claims a slot for (nexus, list id) of a copy about to run: 0, or -1 with
 * the status set (OPERATION IN PROGRESS, BUSY). */
int xcopy_hold(struct scsi_cmd *cmd, uint8_t list_id);
/* The copy is over: its results, from cmd's status and sense, replace
 * RUNNING in its slot. */
void xcopy_unhold(struct scsi_cmd *cmd);
/* The Third-party Copy VPD page (8Fh), header included; returns its
 * length. */
size_t xcopy_vpd(const struct scsi_lu *lu, uint8_t *p);
/* Submits one backstore I/O on lu (not necessarily cmd's own LU). */
void scsi_cmd_io_lu(struct scsi_cmd *cmd, struct scsi_lu *lu, enum bs_op op,
		    unsigned flags, uint64_t offset, uint64_t len, void *buf,
		    void (*next)(struct scsi_cmd *cmd, int err));

/* Command handlers, by file. */
int spc_setup_inquiry(struct scsi_cmd *cmd);
void spc_inquiry(struct scsi_cmd *cmd);
int spc_setup_mode_sense(struct scsi_cmd *cmd);
void spc_mode_sense(struct scsi_cmd *cmd);
int spc_setup_mode_select(struct scsi_cmd *cmd);
void spc_mode_select(struct scsi_cmd *cmd);
int spc_setup_none(struct scsi_cmd *cmd);
void spc_good(struct scsi_cmd *cmd);
int spc_setup_request_sense(struct scsi_cmd *cmd);
void spc_request_sense(struct scsi_cmd *cmd);
int spc_setup_report_luns(struct scsi_cmd *cmd);
void spc_report_luns(struct scsi_cmd *cmd);
int spc_setup_rsoc(struct scsi_cmd *cmd);
void spc_rsoc(struct scsi_cmd *cmd);
int spc_setup_rtpg(struct scsi_cmd *cmd);
void spc_rtpg(struct scsi_cmd *cmd);
int pr_setup_in(struct scsi_cmd *cmd);
void pr_in(struct scsi_cmd *cmd);
int pr_setup_out(struct scsi_cmd *cmd);
void pr_out(struct scsi_cmd *cmd);
void pr_spc2_reserve(struct scsi_cmd *cmd);
void pr_spc2_release(struct scsi_cmd *cmd);

int spc_setup_xcopy(struct scsi_cmd *cmd);
void spc_xcopy(struct scsi_cmd *cmd);
int spc_setup_rcr(struct scsi_cmd *cmd);
void spc_rcr(struct scsi_cmd *cmd);

int sbc_setup_rw(struct scsi_cmd *cmd);
void sbc_read(struct scsi_cmd *cmd);
void sbc_write(struct scsi_cmd *cmd);
int sbc_setup_verify(struct scsi_cmd *cmd);
void sbc_verify(struct scsi_cmd *cmd);
int sbc_setup_write_verify(struct scsi_cmd *cmd);
void sbc_write_verify(struct scsi_cmd *cmd);
int sbc_setup_caw(struct scsi_cmd *cmd);
void sbc_caw(struct scsi_cmd *cmd);
int sbc_setup_orwrite(struct scsi_cmd *cmd);
void sbc_orwrite(struct scsi_cmd *cmd);
int sbc_setup_write_atomic(struct scsi_cmd *cmd);
void sbc_write_atomic(struct scsi_cmd *cmd);
int sbc_setup_range(struct scsi_cmd *cmd);
void sbc_sync_cache(struct scsi_cmd *cmd);
int sbc_setup_read_capacity10(struct scsi_cmd *cmd);
void sbc_read_capacity10(struct scsi_cmd *cmd);
int sbc_setup_read_capacity16(struct scsi_cmd *cmd);
void sbc_read_capacity16(struct scsi_cmd *cmd);
int sbc_setup_read_defect(struct scsi_cmd *cmd);
void sbc_read_defect(struct scsi_cmd *cmd);
int sbc_setup_unmap(struct scsi_cmd *cmd);
void sbc_unmap(struct scsi_cmd *cmd);
int sbc_setup_write_same(struct scsi_cmd *cmd);
void sbc_write_same(struct scsi_cmd *cmd);
int sbc_setup_get_lba_status(struct scsi_cmd *cmd);
void sbc_get_lba_status(struct scsi_cmd *cmd);
int sbc_setup_sanitize(struct scsi_cmd *cmd);
void sbc_sanitize(struct scsi_cmd *cmd);
void sbc_sanitize_abort(struct scsi_cmd *cmd);

/* Shared by the SBC files: the LBA and transfer length of a READ/WRITE
 * style CDB of any size; the range (and, for commands moving that much
 * data, the size) check that stores them in cmd->lba and cmd->nblocks; the
 * first differing byte of two buffers. */
void sbc_decode_lba(const struct scsi_cmd *cmd, uint64_t *lba, uint32_t *n);
int sbc_check_lba(struct scsi_cmd *cmd, uint64_t lba, uint32_t n, bool transfer);
bool sbc_find_mismatch(const uint8_t *a, const uint8_t *b, size_t len, size_t *off);

/* Block limits the core advertises (VPD B0h) and enforces. */
#define SBC_MAX_CAW_BLOCKS 255u
#define SBC_MAX_UNMAP_DESCRIPTORS 256u
#define SBC_MAX_UNMAP_BLOCKS (1u << 20)		/* per descriptor */
/* A WRITE SAME covers no more blocks than one WRITE may carry at 512-byte
 * blocks (SCSI_MAX_XFER_BYTES), so an initiator that fills a range with
 * WRITE before unmapping it with WRITE SAME never meets a limit it was not
 * told about. */
#define SBC_MAX_WRITE_SAME_BLOCKS (SCSI_MAX_XFER_BYTES / 512)

/* Whether lba .. lba+n-1 lies on the medium (n may be 0). */
static inline bool sbc_range_ok(const struct scsi_lu *lu, uint64_t lba, uint64_t n)
{
	return lba <= lu->nblocks && n <= lu->nblocks - lba;
}

#endif
