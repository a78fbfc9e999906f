/* The state file: what every block of the span must hold. It is what
 * `verify` checks against and what a later `write` continues from.
 *
 * Layout (little-endian): a 64-byte header
 *   magic "TNDVSTAT", u32 version (1), u32 block size, u64 run id,
 *   u64 next sequence number, u64 span in bytes, u64 number of blocks,
 *   16 bytes zero
 * then 16 bytes a block: u64 acknowledged sequence (0: never), u64
 * uncertain sequence (0: none), then a CRC32C of all that came before. */
#ifndef VERIFY_STATE_H
#define VERIFY_STATE_H

#include <stddef.h>
#include <stdint.h>

struct block_state {
	uint64_t acked;	/* last acknowledged write, 0 when none */
	/* A write whose outcome is unknown (failed, timed out, or in flight
	 * while the state is in memory): either it or acked may be there. */
	uint64_t cand;
};

struct state {
	uint64_t run_id;
	uint64_t next_seq;
	uint32_t bs;
	uint64_t span, nblocks;
	struct block_state *blocks;
};

int state_init(struct state *st, uint32_t bs, uint64_t span, uint64_t run_id,
	       char *err, size_t errlen);
/* 1 when the file does not exist, 0 when loaded, -1 on errors. */
int state_load(const char *path, struct state *st, char *err, size_t errlen);
int state_save(const char *path, const struct state *st, char *err, size_t errlen);
void state_free(struct state *st);

#endif
