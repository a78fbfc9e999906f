/* Unit attention conditions, SAM-5 5.14 and SPC-4 7.5.5: one small queue
 * per (LU, I_T nexus), kept on the LU's nexus_state list under lu->lock,
 * since every worker serving a session to this LU reads and writes it.
 *
 * A nexus that has never addressed the LU has no entry yet; its first
 * command creates one holding POWER ON, RESET, OR BUS DEVICE RESET
 * OCCURRED, which is what SAM requires a new nexus to see first. */
#include <stdlib.h>

#include "scsi/core.h"

/* Enough for a reset plus a few parameter changes; anything beyond is
 * dropped, and a reset (29h) replaces the whole queue anyway. */
#define UA_QUEUE_MAX 4

struct ua_state {
	struct list_head link;
	uint64_t nexus_id;
	/* Valid while the entry exists: the fabric calls
	 * scsi_lu_nexus_gone() before it frees a nexus. Persistent
	 * reservations match it by port names (scsi_ua_post_locked). */
	const struct scsi_nexus *nexus;
	uint8_t n;
	uint16_t q[UA_QUEUE_MAX];
};

static struct ua_state *ua_find(struct scsi_lu *lu, uint64_t nexus_id)
{
	struct ua_state *u;
	list_for_each_entry(u, &lu->nexus_state, link)
		if (u->nexus_id == nexus_id)
			return u;
	return NULL;
}

static void ua_push(struct ua_state *u, uint16_t asc)
{
	/* A power on or reset supersedes every other condition (SPC-4
	 * 7.5.5: the device server clears the others it establishes). */
	if ((asc >> 8) == (ASC_POWER_ON_RESET >> 8)) {
		u->q[0] = asc;
		u->n = 1;
		return;
	}
	for (unsigned i = 0; i < u->n; i++)
		if (u->q[i] == asc)
			return;
	if (u->n < UA_QUEUE_MAX)
		u->q[u->n++] = asc;
}

int scsi_ua_check(struct scsi_lu *lu, const struct scsi_nexus *n, bool take,
		  uint16_t *asc)
{
	int ret = 0;

	pthread_mutex_lock(&lu->lock);
	struct ua_state *u = ua_find(lu, n->id);
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u) {
			pthread_mutex_unlock(&lu->lock);
			return -1;
		}
		u->nexus_id = n->id;
		u->nexus = n;
		ua_push(u, ASC_POWER_ON_RESET);
		list_add_tail(&u->link, &lu->nexus_state);
	}
	if (take && u->n > 0) {
		*asc = u->q[0];
		u->n--;
		for (unsigned i = 0; i < u->n; i++)
			u->q[i] = u->q[i + 1];
		ret = 1;
	}
	pthread_mutex_unlock(&lu->lock);
	return ret;
}

void scsi_ua_others(struct scsi_lu *lu, const struct scsi_nexus *except,
		    uint16_t asc)
{
	struct ua_state *u;

	pthread_mutex_lock(&lu->lock);
	list_for_each_entry(u, &lu->nexus_state, link)
		if (!except || u->nexus_id != except->id)
			ua_push(u, asc);
	pthread_mutex_unlock(&lu->lock);
}

void scsi_ua_post_locked(struct scsi_lu *lu,
			 bool (*match)(const struct scsi_nexus *n, const void *arg),
			 const void *arg, uint64_t except_id, uint16_t asc)
{
	struct ua_state *u;

	list_for_each_entry(u, &lu->nexus_state, link)
		if (u->nexus_id != except_id && match(u->nexus, arg))
			ua_push(u, asc);
}

void scsi_ua_each_nexus_locked(struct scsi_lu *lu,
			       void (*fn)(const struct scsi_nexus *n, void *arg),
			       void *arg)
{
	struct ua_state *u;

	list_for_each_entry(u, &lu->nexus_state, link)
		fn(u->nexus, arg);
}

void scsi_ua_free_all(struct scsi_lu *lu)
{
	struct ua_state *u, *tmp;
	list_for_each_entry_safe(u, tmp, &lu->nexus_state, link) {
		list_del(&u->link);
		free(u);
	}
}

void scsi_lu_nexus_gone(struct scsi_lu *lu, const struct scsi_nexus *n)
{
	pthread_mutex_lock(&lu->lock);
	struct ua_state *u = ua_find(lu, n->id);
	if (u) {
		list_del(&u->link);
		free(u);
	}
	scsi_pr_nexus_gone_locked(lu, n);
	pthread_mutex_unlock(&lu->lock);
}

void scsi_lu_reset(struct scsi_lu *lu, const struct scsi_nexus *spared)
{
	scsi_ua_others(lu, spared, ASC_BUS_DEVICE_RESET);
	pthread_mutex_lock(&lu->lock);
	scsi_pr_reset_locked(lu);
	pthread_mutex_unlock(&lu->lock);
}

void scsi_lu_ua_all(struct scsi_lu *lu, uint8_t asc, uint8_t ascq)
{
	scsi_ua_others(lu, NULL, (uint16_t)(asc << 8 | ascq));
}
