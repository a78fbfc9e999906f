/* tandem-bench: one libiscsi session a thread keeps a fixed number of
 * commands in flight against one LU; the main thread times the phases and
 * reads the target's CPU time from /proc. */
#ifndef TANDEM_BENCH_H
#define TANDEM_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hist.h"

enum bench_phase { PHASE_WARMUP, PHASE_MEASURE, PHASE_STOP };

struct bench_cfg {
	const char *url;	/* iscsi://127.0.0.1:PORT/IQN/LUN */
	const char *iname;	/* initiator name; session n appends ":n" */
	uint32_t io_bytes;	/* bytes per command */
	unsigned qd;		/* commands in flight per session */
	unsigned read_pct;	/* 100 = reads only, 0 = writes only */
	bool random;		/* random offsets; else sequential */
	unsigned sessions;
	double seconds;		/* measured window */
	double warmup;		/* seconds run before the window opens */
	pid_t target_pid;	/* 0: no CPU figure */
	bool one_pass;		/* sequential: stop after covering the LU once */
};

struct session_stats {
	uint64_t ios, reads, writes, bytes;
	struct hist lat;	/* completion latency, ns */
};

struct session {
	pthread_t thread;
	unsigned idx;
	const struct bench_cfg *cfg;
	/* Set by the main thread, read by the session's thread. */
	_Atomic int *phase;
	pthread_barrier_t *connected;
	struct session_stats st;
	atomic_bool done;	/* the session's thread has nothing in flight */
	atomic_bool failed;	/* err says why; read err only after the join */
	char err[512];
};

void *session_run(void *arg);

/* Seconds of CPU (user + system, all threads) process pid has used, or a
 * negative value with errno set when /proc cannot tell. */
double proc_cpu_seconds(pid_t pid);

uint64_t now_ns(void);

#endif
