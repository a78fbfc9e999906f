#include "stamp.h"

#include <pthread.h>
#include <string.h>

#include "util.h"

#define CRC_OFF 32u
#define FILL_OFF 40u

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;	/* Castagnoli */
		crc_table[i] = c;
	}
}

uint32_t crc32c(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint32_t sector_crc(const unsigned char *s)
{
	static const unsigned char zero[4];
	uint32_t c = crc32c(0, s, CRC_OFF);

	c = crc32c(c, zero, sizeof(zero));
	return crc32c(c, s + CRC_OFF + 4, SECTOR - CRC_OFF - 4);
}

void stamp_fill(unsigned char *buf, size_t len, uint64_t first_lba,
		uint64_t seq, uint64_t run_id)
{
	for (size_t off = 0; off + SECTOR <= len; off += SECTOR) {
		unsigned char *s = buf + off;
		uint64_t lba = first_lba + off / SECTOR;
		uint64_t x = run_id ^ seq * 0x9E3779B97F4A7C15ull ^
			     lba * 0xC2B2AE3D27D4EB4Full;

		put64(s, STAMP_MAGIC);
		put64(s + 8, lba);
		put64(s + 16, seq);
		put64(s + 24, run_id);
		memset(s + CRC_OFF, 0, FILL_OFF - CRC_OFF);
		for (unsigned i = FILL_OFF; i < SECTOR; i += 8) {
			/* xorshift64: cheap, and never stuck at 0 from a non-0 start */
			x = x ? x : 0x2545F4914F6CDD1Dull;
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			put64(s + i, x);
		}
		put32(s + CRC_OFF, sector_crc(s));
	}
}

void stamp_read(const unsigned char *s, uint64_t run_id, struct sector_view *out)
{
	memset(out, 0, sizeof(*out));
	if (get64(s) != STAMP_MAGIC) {
		out->kind = SECTOR_FOREIGN;
		return;
	}
	if (get32(s + CRC_OFF) != sector_crc(s)) {
		out->kind = SECTOR_CORRUPT;
		return;
	}
	if (get64(s + 24) != run_id) {
		out->kind = SECTOR_FOREIGN;
		return;
	}
	out->kind = SECTOR_OURS;
	out->lba = get64(s + 8);
	out->seq = get64(s + 16);
}
