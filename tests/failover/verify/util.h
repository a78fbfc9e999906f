/* Clocks, numbers from the command line, messages, files written whole
 * (a reader sees the old file or the new one, never half of one), and the
 * little-endian fields both file formats use. */
#ifndef VERIFY_UTIL_H
#define VERIFY_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROG "tandem-verify"

/* Seconds since the epoch, the clock the harness compares with. */
double now_epoch(void);
/* Seconds on a clock that never jumps, for intervals. */
double now_mono(void);

/* Decimal, optionally with a binary suffix K, M or G. -1 on anything else,
 * including overflow. */
int parse_size(const char *s, uint64_t *out);
/* Plain decimal; -1 on anything else. */
int parse_u64(const char *s, uint64_t *out);
/* A non-negative number of seconds, fractions allowed. */
int parse_seconds(const char *s, double *out);

void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes data to PATH through a temporary file in the same directory and a
 * rename; durable adds the fsyncs that make the rename survive a crash. */
int write_file_whole(const char *path, const void *data, size_t len,
		     bool durable, char *err, size_t errlen);

/* A random 64-bit number from the kernel, never 0. */
uint64_t random_u64(void);

/* Little-endian fields of the on-disk stamp and of the state file. */
static inline void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#endif
