/* The stamp every 512-byte sector written by tandem-verify carries, so
 * that a sector read back tells by itself which write put it there:
 *
 *   offset  0  u64  magic "TNDVSTMP"
 *           8  u64  the sector's own LBA (in 512-byte sectors, whatever
 *                   the device's block size)
 *          16  u64  write sequence number (1, 2, ... within a run)
 *          24  u64  run id (random, fixed for the life of a state file)
 *          32  u32  CRC32C of the whole sector with these 4 bytes zero
 *          36  u32  zero
 *          40  ...  filler derived from (run, seq, LBA), so that every byte
 *                   of the sector is covered by the checksum and no two
 *                   writes look alike
 * All integers little-endian. */
#ifndef VERIFY_STAMP_H
#define VERIFY_STAMP_H

#include <stddef.h>
#include <stdint.h>

#define SECTOR 512u
#define STAMP_MAGIC 0x504d545356444e54ull	/* "TNDVSTMP" little-endian */

enum sector_kind {
	SECTOR_FOREIGN,	/* no stamp, or an intact stamp of another run */
	SECTOR_CORRUPT,	/* a stamp whose checksum does not match */
	SECTOR_OURS,	/* an intact stamp of this run */
};

struct sector_view {
	enum sector_kind kind;
	uint64_t lba, seq;	/* SECTOR_OURS only */
};

uint32_t crc32c(uint32_t crc, const void *data, size_t len);

/* Stamps len bytes (a multiple of SECTOR) starting at sector first_lba. */
void stamp_fill(unsigned char *buf, size_t len, uint64_t first_lba,
		uint64_t seq, uint64_t run_id);

void stamp_read(const unsigned char *sector, uint64_t run_id,
		struct sector_view *out);

#endif
