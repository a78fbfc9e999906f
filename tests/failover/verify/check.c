#include "check.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "stamp.h"

/* A sector reduced to what decides the verdict: its kind, and for a stamp
 * of this run, the write's sequence (0 stands for "no stamp of this run"). */
static uint64_t sector_seq(const struct sector_view *v)
{
	return v->kind == SECTOR_OURS ? v->seq : 0;
}

enum verdict check_block(const unsigned char *buf, size_t bs,
			 const struct expect *e)
{
	size_t n = bs / SECTOR;
	bool corrupt = false, misplaced = false, same = true;
	bool all_acked = true, all_cand = e->cand != 0, all_legal = e->cand != 0;
	uint64_t first = 0;

	for (size_t i = 0; i < n; i++) {
		struct sector_view v;
		uint64_t s;

		stamp_read(buf + i * SECTOR, e->run_id, &v);
		if (v.kind == SECTOR_CORRUPT) {
			corrupt = true;
			continue;
		}
		if (v.kind == SECTOR_OURS && v.lba != e->first_lba + i)
			misplaced = true;
		s = sector_seq(&v);
		if (i == 0)
			first = s;
		same = same && s == first;
		all_acked = all_acked && s == e->acked;
		all_cand = all_cand && s == e->cand;
		all_legal = all_legal && (s == e->acked || s == e->cand);
	}
	if (corrupt)
		return V_CORRUPT;
	if (misplaced)
		return V_MISPLACED;
	if (e->cand) {
		if (all_cand)
			return V_UNC_NEW;
		if (all_acked)
			return V_UNC_OLD;
		if (all_legal)
			return V_UNC_TORN;
	} else if (all_acked) {
		return e->acked ? V_OK : V_UNWRITTEN;
	}
	/* What is left is illegal content; say what kind. */
	if (!same)
		return V_TORN;
	if (first == 0)
		return V_MISSING;
	/* One whole write of this run that the state never acknowledged or
	 * let fail here: older than the acknowledged one is a lost write;
	 * anything else no write of this run put here. */
	if (e->acked && first < e->acked)
		return V_STALE;
	return V_MISPLACED;
}

int verdict_fails(enum verdict v)
{
	switch (v) {
	case V_OK: case V_UNWRITTEN: case V_UNC_OLD: case V_UNC_NEW: case V_UNC_TORN:
		return 0;
	default:
		return 1;
	}
}

const char *verdict_name(enum verdict v)
{
	static const char *const names[V_COUNT] = {
		[V_OK] = "ok", [V_UNWRITTEN] = "unwritten", [V_MISSING] = "missing",
		[V_STALE] = "stale", [V_TORN] = "torn", [V_CORRUPT] = "corrupt",
		[V_MISPLACED] = "misplaced", [V_UNC_OLD] = "uncertain_old",
		[V_UNC_NEW] = "uncertain_new", [V_UNC_TORN] = "uncertain_torn",
	};

	return (unsigned)v < V_COUNT ? names[v] : "?";
}

/* One sector in words; equal words for equal sectors, so runs compress. */
static void sector_words(const struct sector_view *v, uint64_t want_lba,
			 char *out, size_t len)
{
	switch (v->kind) {
	case SECTOR_FOREIGN:
		snprintf(out, len, "no stamp of this run");
		break;
	case SECTOR_CORRUPT:
		snprintf(out, len, "checksum mismatch");
		break;
	case SECTOR_OURS:
		/* As an offset, so that a whole block copied elsewhere reads
		 * as one run of sectors. */
		if (v->lba != want_lba)
			snprintf(out, len, "seq %" PRIu64 " stamped for LBA %+" PRId64,
				 v->seq, (int64_t)(v->lba - want_lba));
		else
			snprintf(out, len, "seq %" PRIu64, v->seq);
		break;
	}
}

void describe_block(const unsigned char *buf, size_t bs, const struct expect *e,
		    char *out, size_t outlen)
{
	size_t n = bs / SECTOR, used, start = 0;
	char prev[64] = "", cur[64];

	if (e->cand)
		used = (size_t)snprintf(out, outlen, "expected seq %" PRIu64
					" or %" PRIu64 ", found", e->acked, e->cand);
	else if (e->acked)
		used = (size_t)snprintf(out, outlen, "expected seq %" PRIu64 ", found",
					e->acked);
	else
		used = (size_t)snprintf(out, outlen, "expected no stamp of this run, found");
	for (size_t i = 0; i <= n && used < outlen; i++) {
		if (i < n) {
			struct sector_view v;

			stamp_read(buf + i * SECTOR, e->run_id, &v);
			sector_words(&v, e->first_lba + i, cur, sizeof(cur));
			if (i == 0 || !strcmp(cur, prev))
				goto next;
		}
		if (start == i - 1)
			used += (size_t)snprintf(out + used, outlen - used, "%s sector %zu %s",
						 start ? "," : "", start, prev);
		else
			used += (size_t)snprintf(out + used, outlen - used, "%s sectors %zu-%zu %s",
						 start ? "," : "", start, i - 1, prev);
		start = i;
next:
		memcpy(prev, cur, sizeof(prev));
	}
}
