#include "state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stamp.h"
#include "util.h"

#define STATE_MAGIC "TNDVSTAT"
#define STATE_VERSION 1u
#define HEADER_LEN 64u
#define ENTRY_LEN 16u
/* 16 bytes of state a block: far beyond this, --span is what is wanted. */
#define MAX_BLOCKS (1ull << 28)

int state_init(struct state *st, uint32_t bs, uint64_t span, uint64_t run_id,
	       char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	if (bs == 0 || bs % SECTOR || span == 0 || span % bs) {
		snprintf(err, errlen, "span %" PRIu64 " is not a non-zero multiple of the "
			 "block size %u (itself a multiple of %u)", span, bs, SECTOR);
		return -1;
	}
	if (span / bs > MAX_BLOCKS) {
		snprintf(err, errlen, "span %" PRIu64 " holds %" PRIu64 " blocks of %u "
			 "bytes, more than the %llu this tool keeps track of (use --span)",
			 span, span / bs, bs, MAX_BLOCKS);
		return -1;
	}
	st->bs = bs;
	st->span = span;
	st->nblocks = span / bs;
	st->run_id = run_id;
	st->next_seq = 1;
	st->blocks = calloc(st->nblocks, sizeof(*st->blocks));
	if (!st->blocks) {
		snprintf(err, errlen, "out of memory for %" PRIu64 " blocks", st->nblocks);
		return -1;
	}
	return 0;
}

void state_free(struct state *st)
{
	free(st->blocks);
	st->blocks = NULL;
}

static int read_whole(FILE *f, const char *path, unsigned char **out, size_t *len,
		      char *err, size_t errlen)
{
	struct stat sb;
	unsigned char *buf;

	if (fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if ((uint64_t)sb.st_size < HEADER_LEN + 4 ||
	    (uint64_t)sb.st_size > HEADER_LEN + 4 + MAX_BLOCKS * ENTRY_LEN) {
		snprintf(err, errlen, "%s: %lld bytes cannot be a state file", path,
			 (long long)sb.st_size);
		return -1;
	}
	buf = malloc((size_t)sb.st_size);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
		snprintf(err, errlen, "%s: short read", path);
		free(buf);
		return -1;
	}
	*out = buf;
	*len = (size_t)sb.st_size;
	return 0;
}

static int parse(const unsigned char *buf, size_t len, const char *path,
		 struct state *st, char *err, size_t errlen)
{
	uint32_t version, bs, crc;
	uint64_t span, nblocks, run_id, next_seq;

	if (memcmp(buf, STATE_MAGIC, 8)) {
		snprintf(err, errlen, "%s: not a tandem-verify state file", path);
		return -1;
	}
	version = (uint32_t)get64(buf + 8);
	bs = (uint32_t)(get64(buf + 8) >> 32);
	run_id = get64(buf + 16);
	next_seq = get64(buf + 24);
	span = get64(buf + 32);
	nblocks = get64(buf + 40);
	if (version != STATE_VERSION) {
		snprintf(err, errlen, "%s: format version %u, this tool reads %u", path,
			 version, STATE_VERSION);
		return -1;
	}
	if (nblocks > MAX_BLOCKS || len != HEADER_LEN + nblocks * ENTRY_LEN + 4) {
		snprintf(err, errlen, "%s: %zu bytes do not hold the %" PRIu64
			 " blocks its header announces", path, len, nblocks);
		return -1;
	}
	crc = (uint32_t)buf[len - 4] | (uint32_t)buf[len - 3] << 8 |
	      (uint32_t)buf[len - 2] << 16 | (uint32_t)buf[len - 1] << 24;
	if (crc != crc32c(0, buf, len - 4)) {
		snprintf(err, errlen, "%s: checksum mismatch (damaged file)", path);
		return -1;
	}
	if (state_init(st, bs, span, run_id, err, errlen))
		return -1;
	if (st->nblocks != nblocks || run_id == 0 || next_seq == 0) {
		snprintf(err, errlen, "%s: inconsistent header (span %" PRIu64 ", block size %u, "
			 "%" PRIu64 " blocks, run %" PRIx64 ", next seq %" PRIu64 ")",
			 path, span, bs, nblocks, run_id, next_seq);
		state_free(st);
		return -1;
	}
	st->next_seq = next_seq;
	for (uint64_t i = 0; i < nblocks; i++) {
		const unsigned char *e = buf + HEADER_LEN + i * ENTRY_LEN;

		st->blocks[i].acked = get64(e);
		st->blocks[i].cand = get64(e + 8);
		if (st->blocks[i].acked >= next_seq || st->blocks[i].cand >= next_seq) {
			snprintf(err, errlen, "%s: block %" PRIu64 " names seq %" PRIu64
				 " at or beyond the next one, %" PRIu64, path, i,
				 st->blocks[i].acked > st->blocks[i].cand ?
				 st->blocks[i].acked : st->blocks[i].cand, next_seq);
			state_free(st);
			return -1;
		}
	}
	return 0;
}

int state_load(const char *path, struct state *st, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	size_t len;
	int rc;

	if (!f) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	rc = read_whole(f, path, &buf, &len, err, errlen);
	fclose(f);
	if (rc)
		return -1;
	rc = parse(buf, len, path, st, err, errlen);
	free(buf);
	return rc;
}

int state_save(const char *path, const struct state *st, char *err, size_t errlen)
{
	size_t len = HEADER_LEN + st->nblocks * ENTRY_LEN + 4;
	unsigned char *buf = calloc(1, len);
	uint32_t crc;
	int rc;

	if (!buf) {
		snprintf(err, errlen, "out of memory writing %s", path);
		return -1;
	}
	memcpy(buf, STATE_MAGIC, 8);
	put64(buf + 8, STATE_VERSION | (uint64_t)st->bs << 32);
	put64(buf + 16, st->run_id);
	put64(buf + 24, st->next_seq);
	put64(buf + 32, st->span);
	put64(buf + 40, st->nblocks);
	for (uint64_t i = 0; i < st->nblocks; i++) {
		unsigned char *e = buf + HEADER_LEN + i * ENTRY_LEN;

		put64(e, st->blocks[i].acked);
		put64(e + 8, st->blocks[i].cand);
	}
	crc = crc32c(0, buf, len - 4);
	for (int i = 0; i < 4; i++)
		buf[len - 4 + (size_t)i] = (unsigned char)(crc >> (8 * i));
	rc = write_file_whole(path, buf, len, true, err, errlen);
	free(buf);
	return rc;
}
