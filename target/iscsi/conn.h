/* The fabric's internal state: connections, sessions, tasks and outgoing
 * PDUs. Private to target/iscsi/. A connection and its session live on one
 * worker thread, so none of this is locked, except the session table that
 * logins consult (session.c). */
#ifndef TANDEM_ISCSI_CONN_H
#define TANDEM_ISCSI_CONN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "common/evloop.h"
#include "common/list.h"
#include "iscsi/iscsi.h"
#include "iscsi/params.h"
#include "iscsi/pdu.h"
#include "scsi/scsi.h"

/* Commands a session may have outstanding (the CmdSN window). */
#define ISCSI_QUEUE_DEPTH 128
/* Immediate commands and NOPs beyond the window. */
#define ISCSI_TASKS_MAX (ISCSI_QUEUE_DEPTH + 32)
/* Data-In PDUs built ahead for one task before its socket drains. */
#define ISCSI_DATAIN_BATCH 16
/* Waits one task may hold up at once: its own session's TMF and a few
 * resets or preemptions from other nexuses running at the same time. */
#define ISCSI_ABORT_WAITERS 4
/* R2Ts one task may have outstanding, whatever MaxOutstandingR2T allows. */
#define ISCSI_R2T_SLOTS 4
#define ISCSI_RXBUF_SIZE (256 * 1024)
#define ISCSI_LOGIN_TIMEOUT_S 15
#define ISCSI_NOPIN_INTERVAL_S 15
#define ISCSI_NOPIN_TIMEOUT_S 30
/* Login and text data we accept across continued PDUs. */
#define ISCSI_LOGIN_TEXT_MAX (64 * 1024)
/* The data segment a target accepts before MaxRecvDataSegmentLength is
 * negotiated (RFC 7143 13.12: the default, 8192). */
#define ISCSI_LOGIN_DSL 8192

struct iscsi_conn;
struct iscsi_task;

/* Whether a non-immediate command with a given CmdSN may run now, later
 * (queued), or never (outside the window). */
enum cmdsn_verdict { CMDSN_NOW, CMDSN_LATER, CMDSN_DROP };

/* One PDU on its way out: header (+digest), data (pointing into a task's
 * buffer or into own), padding and data digest. */
struct tx_pdu {
	struct list_head link;
	uint8_t hdr[ISCSI_BHS_LEN + ISCSI_DIGEST_LEN];
	uint8_t tail[3 + ISCSI_DIGEST_LEN];
	struct iovec iov[3];
	unsigned niov;
	unsigned iov_idx;		/* first iovec not fully sent */
	struct iscsi_task *task;	/* whose buffer data points into */
	/* Runs once the PDU has left (or the connection died). */
	void (*sent)(struct iscsi_conn *c, struct tx_pdu *p);
	uint8_t *own;			/* malloc'd data freed after sending */
};

enum task_state {
	TASK_FREE,
	TASK_NEW,		/* its command PDU is still arriving */
	TASK_WAIT_CMDSN,	/* ahead of ExpCmdSN (MC/S) */
	TASK_DATA_OUT,		/* collecting write data */
	TASK_EXEC,		/* in the SCSI core / backstore */
	TASK_RESPONDING,	/* data-in and status queued */
};

struct iscsi_task {
	struct list_head link;		/* conn->tasks */
	struct list_head pend;		/* session->pending, by CmdSN */
	struct iscsi_conn *conn;
	struct scsi_cmd cmd;
	enum task_state state;
	bool immediate;
	bool is_tmf;			/* a TMF waiting for aborted tasks */
	bool in_window;			/* counted in sess->window_used */
	bool setup_failed;		/* status already set by setup */
	bool aborted;			/* by a TMF: send no status */
	bool more_unsolicited;		/* F=0 on the command: Data-Out follows */
	uint8_t flags;			/* R/W/attr from the command PDU */
	uint32_t itt;
	uint32_t cmdsn;
	uint32_t edtl;
	uint32_t xfer_len;		/* bytes that move on the wire */
	uint32_t write_tl;		/* a write's transfer length per its CDB */
	uint32_t received;		/* data-out bytes in place */
	uint32_t unsol_end;		/* unsolicited data may reach this */
	uint32_t r2t_next;		/* next offset to solicit */
	uint32_t r2t_sn;
	unsigned r2t_outstanding;
	uint32_t ttt;			/* of the newest R2T */
	uint32_t data_sn;		/* Data-In DataSN / expected Data-Out */
	uint32_t datain_off;		/* next Data-In offset to build */
	unsigned datain_queued;		/* Data-In PDUs queued, not sent */
	struct r2t_slot {
		uint32_t ttt, off, len, got, data_sn;
		bool used;
	} r2t[ISCSI_R2T_SLOTS];
	uint32_t unsol_got;		/* unsolicited bytes seen so far */
	uint32_t unsol_sn;		/* DataSN the next one must carry */
	uint8_t sense_seg[2 + SCSI_SENSE_MAX];
	uint64_t seq;			/* order of arrival in the session */
	/* Aborted while in the core: what waits for it to end. */
	struct scsi_abort *abort_waiters[ISCSI_ABORT_WAITERS];
	/* A TMF task: the tasks it aborted, on any session. */
	struct scsi_abort tmf_abort;
	uint8_t tmf_response;
	/* The LUN as looked up when the command arrived, held (the LU
	 * cannot go while a task uses it) until the task is put. */
	struct scsi_lun_entry lun;
};

struct iscsi_session {
	struct list_head link;		/* the global session table */
	struct list_head wlink;		/* worker->sessions */
	struct iscsi_worker *worker;
	/* The snapshot tpg and acl point into, with a reference held; the
	 * worker moves them to a new snapshot (under the table lock, since
	 * logins on other workers compare them). */
	struct iscsi_registry *reg;
	const struct iscsi_tpg *tpg;
	const struct iscsi_acl *acl;
	/* The nexus's target port: its own copy, because other workers read
	 * it (reservations, unit attentions) whatever snapshot is current. */
	struct scsi_tport tport;
	char iname[SCSI_NAME_MAX];
	uint8_t isid[6];
	uint16_t tsih;
	bool discovery;
	bool closing;
	bool ended;			/* its reg is dropped; under the lock */
	struct scsi_nexus nexus;
	struct iscsi_session_params params;
	uint32_t exp_cmdsn;
	/* Commands inside the window whose status is not queued yet: the
	 * window's right edge moves only as these finish, so MaxCmdSN never
	 * shrinks and never promises a task the pool cannot give. */
	unsigned window_used;
	struct list_head conns;
	unsigned nconns;		/* under the session table lock */
	unsigned joining;		/* logins that reserved a place */
	struct list_head pending;	/* tasks waiting for their CmdSN */
	/* The seq of the newest task; written by the session's worker only,
	 * read by others under a LU's lock (abort.c). */
	atomic_uint_fast64_t task_seq;
	struct evloop_msg close_msg;	/* reinstatement from another worker */
	int refs;			/* table + posted messages; under the
					   session table lock */
};

enum conn_state { CONN_LOGIN, CONN_FFP, CONN_LOGGED_OUT, CONN_CLOSED };

enum rx_state { RX_HDR, RX_DATA, RX_DDIGEST };

struct login_ctx;

struct iscsi_conn {
	struct ev_handler h;
	struct iscsi_worker *w;
	struct list_head wlink;		/* w->conns */
	struct list_head slink;		/* sess->conns */
	struct iscsi_session *sess;
	enum conn_state state;
	uint16_t cid;
	uint32_t stat_sn;
	struct iscsi_conn_params params;
	struct login_ctx *login;	/* during login only */
	char peer[64];			/* "addr:port" for messages */
	struct sockaddr_storage local;
	socklen_t locallen;

	/* Receiving. */
	uint8_t *rxbuf;
	size_t rx_pos, rx_len;
	enum rx_state rx_state;
	uint8_t hdr[ISCSI_BHS_LEN + ISCSI_MAX_AHS_LEN + ISCSI_DIGEST_LEN];
	uint32_t hdr_need;		/* bytes of hdr the PDU has */
	uint32_t seg_len;		/* data segment, unpadded */
	uint32_t seg_got;		/* of seg_len + pad */
	uint8_t *seg_dst;		/* where the segment goes, or NULL */
	uint32_t seg_dst_len;		/* bytes of it that go there */
	uint32_t seg_crc;
	uint8_t ddigest[ISCSI_DIGEST_LEN];
	uint32_t ddigest_got;
	uint8_t *segbuf;		/* non-SCSI PDUs' data */
	uint32_t segbuf_cap;
	struct iscsi_task *rx_task;	/* the task the segment belongs to */
	int rx_r2t;			/* its R2T slot, -1 for unsolicited */
	enum cmdsn_verdict rx_verdict;
	bool rx_drop;			/* process nothing: PDU is discarded */

	/* Sending. */
	struct list_head txq;
	struct tx_pdu *tx_free;
	unsigned tx_allocated;
	bool close_after_tx;		/* conn_close_after_tx() */
	bool rx_paused;			/* no free task: stop reading */
	struct ev_deferred resume_d;
	struct ev_deferred flush_d;	/* tx_schedule() */

	/* Tasks. */
	struct iscsi_task *tasks_mem;
	struct list_head task_free;
	struct list_head tasks;
	unsigned ntasks;
	unsigned exec_tasks;		/* in the SCSI core: keep conn alive */

	/* Liveness. */
	time_t last_rx;
	time_t login_deadline;
	time_t nop_sent;		/* 0: no ping outstanding */
	uint32_t nop_ttt;

	/* A text exchange spread over several PDUs (RFC 7143 11.10). */
	char *text_req;
	size_t text_req_len;
	char *text_rsp;
	size_t text_rsp_len, text_rsp_off;
	uint32_t text_ttt;

	struct ev_deferred free_d;
	struct evloop_msg handoff;	/* to the session's worker (MC/S) */
	int closing;
};

/* conn.c: a connection's life */
void conn_enter_ffp(struct iscsi_conn *c);
void conn_close(struct iscsi_conn *c, const char *why);
/* A task left the SCSI core; frees a closed connection when it was the last. */
void conn_exec_ended(struct iscsi_conn *c);

/* conn_rx.c: the receive path */
/* The socket's epoll callback: reads and handles PDUs, then flushes. */
void conn_cb(struct ev_handler *h, uint32_t events);
/* Points the data segment of the PDU being read (c->seg_len bytes, checked
 * against the negotiated limit already) at c->segbuf, growing it; 0 or -1. */
int conn_segbuf_reserve(struct iscsi_conn *c);
void conn_resume_rx(struct iscsi_conn *c);
/* The CmdSN of the non-SCSI request being read (NOP-Out, Logout): false
 * when it lies outside the window and the PDU is dropped. */
bool conn_take_cmdsn(struct iscsi_conn *c);

/* conn_tx.c: the transmit path */
struct tx_pdu *tx_get(struct iscsi_conn *c);
void tx_put(struct iscsi_conn *c, struct tx_pdu *p);
/* Finishes p's digests and queues it; data may be NULL. */
void tx_queue(struct iscsi_conn *c, struct tx_pdu *p, void *data, uint32_t len);
void tx_flush(struct iscsi_conn *c);
/* Flushes at the end of this loop iteration: the responses of every
 * command that completed in it leave in one writev. */
void tx_schedule(struct iscsi_conn *c);
/* Releases every queued PDU unsent (their sent callbacks run). */
void tx_discard(struct iscsi_conn *c);
/* Frees the connection's spare PDUs. */
void tx_pool_free(struct iscsi_conn *c);
/* Flushes, and closes c once everything queued has left: the only way to
 * ask for that, since only a flush acts on it. */
void conn_close_after_tx(struct iscsi_conn *c);
void conn_send_reject(struct iscsi_conn *c, const uint8_t *bhs, uint8_t reason);
/* Fills the SN fields every target PDU carries and advances StatSN when
 * the PDU carries status. */
void conn_stamp(struct iscsi_conn *c, uint8_t *hdr, bool has_status);

/* liveness.c: NOP-Out answers, NOP-In pings, timeouts */
void nop_pdu(struct iscsi_conn *c);
/* The monotonic clock, in seconds. */
time_t now_s(void);

/* logout.c */
void logout_pdu(struct iscsi_conn *c);

/* login.c (login.h: the rest of the login phase) */
int login_begin(struct iscsi_conn *c);	/* prepares c->segbuf for the PDU */
void login_pdu(struct iscsi_conn *c);
void login_free(struct iscsi_conn *c);
/* login_identity.c */
bool login_portal_serves(const struct iscsi_tpg *tpg,
			 const struct sockaddr_storage *local);
/* A login in progress moves to a new registry, or is closed when what it
 * logs in to is gone. */
void login_follow(struct iscsi_conn *c, struct iscsi_registry *reg);

/* worker.c: moves a connection that joined a session to the session's
 * worker and adds it there; consumes the session reference. */
void login_handoff(struct iscsi_conn *c, struct iscsi_session *s);

/* session.c */
struct session_identity {
	const char *iname;
	const uint8_t *isid;
	struct iscsi_registry *reg;	/* the reference moves to the session */
	const struct iscsi_tpg *tpg;	/* NULL: a discovery session */
	const struct iscsi_acl *acl;
};
struct iscsi_session *session_create(struct iscsi_conn *c,
				     const struct session_identity *id);
/* Whether s is a normal session on tpg (in any snapshot). */
bool session_in_tpg(struct iscsi_session *s, const struct iscsi_tpg *tpg);
/* The LUN a command addresses, copied into the task and its LU held. */
void session_lun_lookup(struct iscsi_session *s, struct iscsi_task *t, uint64_t lun);
void session_lun_release(struct iscsi_task *t);
struct iscsi_session *session_find_tsih(uint16_t tsih);
/* An existing session with the same initiator, ISID and TPG, or NULL. */
struct iscsi_session *session_find_isid(const char *iname, const uint8_t *isid,
					const struct iscsi_tpg *tpg);
void session_add_conn(struct iscsi_session *s, struct iscsi_conn *c);
/* Reserves a place for a connection joining s (MC/S) against
 * MaxConnections; false when s is full. A reservation ends when the
 * connection is added (session_add_conn) or gives up (session_unreserve). */
bool session_reserve_conn(struct iscsi_session *s);
void session_unreserve(struct iscsi_session *s);
/* Adds a connection that reserved its place; on the session's worker. */
void session_join_conn(struct iscsi_session *s, struct iscsi_conn *c);
void session_remove_conn(struct iscsi_conn *c);
/* Asks a session (maybe on another worker) to close all its connections. */
void session_reinstate(struct iscsi_session *s, struct iscsi_worker *from);
/* The session_find_* functions return the session with a reference held. */
void session_put(struct iscsi_session *s);
uint32_t session_max_cmdsn(const struct iscsi_session *s);
enum cmdsn_verdict session_check_cmdsn(struct iscsi_session *s, uint32_t cmdsn,
				       bool immediate);
/* A command at ExpCmdSN was taken: ExpCmdSN moves past it. */
void session_take_cmdsn(struct iscsi_session *s);
/* Starts the queued commands that became due. */
void session_run_pending(struct iscsi_session *s);
void session_queue_task(struct iscsi_session *s, struct iscsi_task *t);

/* task.c: SCSI commands, Data-Out, R2T, Data-In, status */
int task_cmd_begin(struct iscsi_conn *c);
void task_cmd_end(struct iscsi_conn *c);
int task_dataout_begin(struct iscsi_conn *c);
void task_dataout_end(struct iscsi_conn *c);
void task_start(struct iscsi_task *t);
struct iscsi_task *task_get(struct iscsi_conn *c);
void task_put(struct iscsi_task *t);
struct iscsi_task *task_find_itt(struct iscsi_conn *c, uint32_t itt);
/* Its status is queued: the task no longer holds a place in the window. */
void task_leave_window(struct iscsi_task *t);
/* Ends a task that never reached the core, or whose status is not wanted. */
void task_abort(struct iscsi_task *t);

/* tmf.c */
void tmf_pdu(struct iscsi_conn *c);

/* abort.c: ending tasks that a TMF or another nexus aborted */
extern const struct scsi_nexus_ops session_nexus_ops;
/* Ends t with no status; a is held until it is gone (tasks in the core
 * end when the backstore hands them back). */
void task_abort_wait(struct iscsi_task *t, struct scsi_abort *a);
/* Stamps a new task with the session's next seq. */
void task_stamp_seq(struct iscsi_task *t);

/* textreq.c / discovery.c */
void text_pdu(struct iscsi_conn *c);
/* Appends TargetName=/TargetAddress= pairs the initiator may see. */
int discovery_send_targets(struct iscsi_conn *c, const char *what,
			   struct iscsi_text *out);

/* The LUN table this session's initiator sees. */
const struct scsi_lun_table *tpg_luns_for(const struct iscsi_tpg *tpg,
					  const struct iscsi_acl *acl);
const struct iscsi_acl *tpg_find_acl(const struct iscsi_tpg *tpg,
				     const char *iname);

#endif
