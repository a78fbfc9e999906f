/* Login and Text key negotiation for the operational keys of RFC 7143
 * section 13 (13.1 HeaderDigest through 13.22 ErrorRecoveryLevel, plus the
 * iSER keys, which are answered NotUnderstood-free: RDMAExtensions=No).
 *
 * The login state machine (login.c) handles the security and identity keys
 * itself (AuthMethod, CHAP_*, InitiatorName, TargetName, SessionType,
 * InitiatorAlias); every other key goes through iscsi_neg_process(). */
#ifndef TANDEM_ISCSI_PARAMS_H
#define TANDEM_ISCSI_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iscsi/text.h"

/* What the target is willing to do: the TPG's parameters from the config,
 * already validated by the daemon. Defaults: iscsi_limits_default(). */
struct iscsi_limits {
	bool header_digest_crc32c;	/* offer/accept CRC32C */
	bool header_digest_none;	/* accept None */
	bool data_digest_crc32c;
	bool data_digest_none;
	uint32_t max_connections;	/* 1..65535 */
	bool initial_r2t;		/* Yes = target insists */
	bool immediate_data;
	uint32_t max_recv_dsl;		/* what the target receives: 512..2^24-1 */
	uint32_t max_burst;		/* 512..2^24-1 */
	uint32_t first_burst;		/* 512..2^24-1, <= max_burst */
	uint32_t default_time2wait;	/* 0..3600 */
	uint32_t default_time2retain;	/* 0..3600 */
	uint32_t max_outstanding_r2t;	/* 1..65535 */
	bool data_pdu_in_order;
	bool data_seq_in_order;
	uint32_t error_recovery_level;	/* the highest we do: 0 */
};

void iscsi_limits_default(struct iscsi_limits *l);

/* The negotiated result. Session-wide values are only negotiated on the
 * leading connection of a normal session or on a discovery session. */
struct iscsi_session_params {
	uint32_t max_connections;
	bool initial_r2t;
	bool immediate_data;
	uint32_t max_burst;
	uint32_t first_burst;
	uint32_t default_time2wait;
	uint32_t default_time2retain;
	uint32_t max_outstanding_r2t;
	bool data_pdu_in_order;
	bool data_seq_in_order;
	uint32_t error_recovery_level;
};

struct iscsi_conn_params {
	bool header_digest;		/* CRC32C in use */
	bool data_digest;
	uint32_t max_send_dsl;		/* initiator's MaxRecvDataSegmentLength */
	uint32_t max_recv_dsl;		/* ours, as declared */
};

struct iscsi_negotiation {
	const struct iscsi_limits *lim;
	bool leading;			/* session-wide keys allowed */
	bool discovery;			/* SessionType=Discovery */
	struct iscsi_session_params sess;
	struct iscsi_conn_params conn;
	uint64_t received;		/* keys the initiator has sent (bit/key) */
	uint64_t answered;		/* keys the target has sent */
};

/* Starts a negotiation; sess and conn hold the RFC defaults. */
void iscsi_neg_init(struct iscsi_negotiation *n, const struct iscsi_limits *lim,
		    bool leading, bool discovery);

/* Processes the operational keys of one request, appending the responses to
 * resp (a value the target selects; Reject for a value outside the rules;
 * NotUnderstood for an unknown key; Irrelevant where RFC 7143 says so, e.g.
 * session-wide keys on a non-leading connection or in discovery). Keys that
 * are not operational (security, identity) are ignored here.
 * Returns 0, or -1 with err set when the login must fail (a key sent twice,
 * a value so malformed that the RFC requires closing, resp overflow). */
int iscsi_neg_process(struct iscsi_negotiation *n, const struct iscsi_kv *kv,
		      int nkv, struct iscsi_text *resp, char *err, size_t errlen);

/* Called when the login moves to full feature phase: appends the declarative
 * keys the target must still send (its MaxRecvDataSegmentLength, and any
 * key whose target value differs from the RFC default and was not
 * negotiated), and fixes the final values. Returns 0 or -1 on overflow. */
int iscsi_neg_finish(struct iscsi_negotiation *n, struct iscsi_text *resp);

#endif
