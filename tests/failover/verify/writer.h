/* The write phase: random stamped writes (and optionally checked reads) of
 * whole blocks, never two I/Os on one block at a time, until the time is
 * up or a stop is asked for; then a bounded drain. The state in memory is
 * safe to save at any moment: a write in flight is recorded as the block's
 * uncertain candidate until it is acknowledged. */
#ifndef VERIFY_WRITER_H
#define VERIFY_WRITER_H

#include <signal.h>
#include <stdint.h>

#include "backend.h"
#include "state.h"

/* How long in-flight I/O may take to come back once the phase ends. */
#define DRAIN_SECONDS 180.0

struct write_opts {
	unsigned qd, read_pct;
	double seconds;
	const char *stop_file, *ack_log, *progress;	/* NULL: none */
	uint64_t seed;
	volatile sig_atomic_t *signalled;	/* non-zero: stop as with --stop */
};

struct write_result {
	uint64_t acked, errors, reads, read_bad;
	double iops;
	double pause, pause_from, pause_to;	/* s; epoch seconds */
};

/* 0 when the phase ran (whatever the I/O outcome); -1 with err set when it
 * could not start. */
int write_phase(struct backend *b, struct state *st, const struct write_opts *o,
		struct write_result *res, char *err, size_t errlen);

#endif
