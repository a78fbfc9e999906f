/* tandem-bench: drive one LU over iSCSI (libiscsi's async API) and print
 * one line of figures for the measured window:
 *
 *   tandem-bench -u iscsi://127.0.0.1:PORT/IQN/LUN [-b BYTES] [-q DEPTH]
 *                [-r READ%] [-p rand|seq] [-t SECONDS] [-w SECONDS]
 *                [-s SESSIONS] [-P TARGET_PID] [-i INITIATOR_IQN] [-f]
 *
 * -f fills the LU: one sequential pass of writes over all of it, no
 * warm-up, measured from first to last command (-t caps its length).
 *
 * The sessions run a warm-up first (logins done, queues full, caches
 * warm), then the window opens for all of them at once. */
#include "bench.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SESSIONS 64
#define MAX_QD 1024
#define MAX_IO_BYTES (16u << 20)

static void usage(void)
{
	fprintf(stderr,
		"usage: tandem-bench -u iscsi://HOST:PORT/IQN/LUN [-b BYTES[k|m]] [-q DEPTH]\n"
		"                    [-r READ_PERCENT] [-p rand|seq] [-t SECONDS] [-w SECONDS]\n"
		"                    [-s SESSIONS] [-P TARGET_PID] [-i INITIATOR_IQN] [-f]\n");
	exit(2);
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "tandem-bench: %s: %s\n", what, why);
	exit(2);
}

static unsigned long long parse_uint(const char *opt, const char *s,
				     unsigned long long max, bool suffix)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		die(opt, "not a number");
	v = strtoull(s, &end, 10);
	if (suffix && (*end == 'k' || *end == 'K')) {
		v <<= 10;
		end++;
	} else if (suffix && (*end == 'm' || *end == 'M')) {
		v <<= 20;
		end++;
	}
	if (errno || *end || v > max)
		die(opt, "not a number in range");
	return v;
}

static double parse_seconds(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0 && v <= 86400))
		die(opt, "not a number of seconds in 0..86400");
	return v;
}

static void parse_args(int argc, char **argv, struct bench_cfg *cfg)
{
	int c;

	*cfg = (struct bench_cfg){
		.iname = "iqn.2026-01.org.tandem:bench",
		.io_bytes = 4096, .qd = 1, .read_pct = 100, .random = true,
		.sessions = 1, .seconds = 10, .warmup = 1,
	};
	while ((c = getopt(argc, argv, "u:b:q:r:p:t:w:s:P:i:fh")) != -1) {
		switch (c) {
		case 'u': cfg->url = optarg; break;
		case 'b': cfg->io_bytes = (uint32_t)parse_uint("-b", optarg, MAX_IO_BYTES, true); break;
		case 'q': cfg->qd = (unsigned)parse_uint("-q", optarg, MAX_QD, false); break;
		case 'r': cfg->read_pct = (unsigned)parse_uint("-r", optarg, 100, false); break;
		case 'p':
			if (!strcmp(optarg, "rand"))
				cfg->random = true;
			else if (!strcmp(optarg, "seq"))
				cfg->random = false;
			else
				die("-p", "neither rand nor seq");
			break;
		case 't': cfg->seconds = parse_seconds("-t", optarg); break;
		case 'w': cfg->warmup = parse_seconds("-w", optarg); break;
		case 's': cfg->sessions = (unsigned)parse_uint("-s", optarg, MAX_SESSIONS, false); break;
		case 'P': cfg->target_pid = (pid_t)parse_uint("-P", optarg, 1u << 22, false); break;
		case 'i': cfg->iname = optarg; break;
		case 'f': cfg->one_pass = true; break;
		default: usage();
		}
	}
	if (optind != argc || !cfg->url)
		usage();
	if (!cfg->io_bytes || !cfg->qd || !cfg->sessions || cfg->seconds <= 0)
		die("arguments", "block size, depth, sessions and duration must be above zero");
	if (cfg->one_pass) {
		cfg->random = false;
		cfg->read_pct = 0;
		cfg->warmup = 0;
	}
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
			       .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Has a session failed, or (one pass) have all of them finished? */
static bool should_end(struct session *ss, unsigned n)
{
	unsigned done = 0;

	for (unsigned i = 0; i < n; i++) {
		if (ss[i].failed)
			return true;
		done += atomic_load(&ss[i].done);
	}
	return done == n;
}

/* Sleeps up to s seconds, waking early when the run should end. */
static void watch(struct session *ss, unsigned n, double s)
{
	uint64_t end = now_ns() + (uint64_t)(s * 1e9);

	while (now_ns() < end && !should_end(ss, n))
		sleep_s(0.01);
}

static double cpu_or_fail(pid_t pid, const char *who)
{
	double v = proc_cpu_seconds(pid);

	if (v < 0) {
		fprintf(stderr, "tandem-bench: cannot read the CPU time of %s (pid %d) from /proc: %s\n",
			who, (int)pid, strerror(errno));
		exit(1);
	}
	return v;
}

int main(int argc, char **argv)
{
	static struct session ss[MAX_SESSIONS];
	static struct hist lat;
	struct bench_cfg cfg;
	pthread_barrier_t connected;
	_Atomic int phase = PHASE_WARMUP;
	double tcpu0 = 0, tcpu1 = 0, ccpu0, ccpu1, secs, gib;
	char cpu[32];
	uint64_t t0, t1, ios = 0, bytes = 0, reads = 0, writes = 0;
	unsigned started = 0;
	int rc = 0;

	parse_args(argc, argv, &cfg);
	pthread_barrier_init(&connected, NULL, cfg.sessions + 1);
	for (unsigned i = 0; i < cfg.sessions; i++) {
		ss[i] = (struct session){ .idx = i, .cfg = &cfg, .phase = &phase,
					  .connected = &connected };
		if (pthread_create(&ss[i].thread, NULL, session_run, &ss[i]) != 0) {
			fprintf(stderr, "tandem-bench: cannot start session thread %u\n", i);
			exit(1);
		}
		started++;
	}
	pthread_barrier_wait(&connected);

	watch(ss, cfg.sessions, cfg.warmup);
	if (cfg.target_pid)
		tcpu0 = cpu_or_fail(cfg.target_pid, "the target");
	ccpu0 = cpu_or_fail(getpid(), "tandem-bench");
	t0 = now_ns();
	atomic_store(&phase, PHASE_MEASURE);
	watch(ss, cfg.sessions, cfg.seconds);
	atomic_store(&phase, PHASE_STOP);
	t1 = now_ns();
	if (cfg.target_pid)
		tcpu1 = cpu_or_fail(cfg.target_pid, "the target");
	ccpu1 = cpu_or_fail(getpid(), "tandem-bench");

	for (unsigned i = 0; i < started; i++) {
		pthread_join(ss[i].thread, NULL);
		if (ss[i].failed) {
			fprintf(stderr, "tandem-bench: %s\n", ss[i].err);
			rc = 1;
		}
		ios += ss[i].st.ios;
		bytes += ss[i].st.bytes;
		reads += ss[i].st.reads;
		writes += ss[i].st.writes;
		hist_merge(&lat, &ss[i].st.lat);
	}
	pthread_barrier_destroy(&connected);
	if (rc)
		return rc;
	if (ios == 0) {
		fprintf(stderr, "tandem-bench: no command completed in the measured window\n");
		return 1;
	}

	secs = (double)(t1 - t0) / 1e9;
	gib = (double)bytes / (double)(1u << 30);
	if (cfg.target_pid)
		snprintf(cpu, sizeof(cpu), "%.3f", (tcpu1 - tcpu0) / gib);
	else
		snprintf(cpu, sizeof(cpu), "na");
	printf("iops=%.0f mibs=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f "
	       "cpu_s_per_gib=%s target_cpu_pct=%.0f client_cpu_pct=%.0f "
	       "ios=%llu reads=%llu writes=%llu seconds=%.2f\n",
	       (double)ios / secs, (double)bytes / secs / (1 << 20),
	       (double)hist_quantile(&lat, 0.50) / 1e3,
	       (double)hist_quantile(&lat, 0.99) / 1e3,
	       (double)hist_quantile(&lat, 0.999) / 1e3,
	       cpu,
	       100.0 * (tcpu1 - tcpu0) / secs, 100.0 * (ccpu1 - ccpu0) / secs,
	       (unsigned long long)ios, (unsigned long long)reads,
	       (unsigned long long)writes, secs);
	return 0;
}
