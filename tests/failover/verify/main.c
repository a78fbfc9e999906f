/* tandem-verify: a verifying I/O client for failover tests. It writes
 * stamped blocks, remembers every write the target acknowledged, and later
 * reads everything back and reports any acknowledged write that is missing
 * or stale, any torn block, and the longest I/O pause (docs/failover.md,
 * "The verifying client").
 *
 *   tandem-verify write  DEV --state FILE [--qd N] [--bs BYTES] [--span BYTES]
 *                        [--seconds S] [--stop FILE] [--ack-log FILE]
 *                        [--progress FILE] [--read-pct N] [--initiator IQN]
 *                        [--seed N]
 *   tandem-verify verify DEV --state FILE [--initiator IQN]
 *   tandem-verify probe-write DEV --lba N [--initiator IQN]
 *
 * Exit status: 0 fine (verify: PASS), 1 verify FAIL or a wrong read during
 * write, 2 usage, setup or I/O errors that leave no verdict. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "stamp.h"
#include "state.h"
#include "util.h"
#include "verify.h"
#include "writer.h"

#define DEFAULT_INITIATOR "iqn.2025-01.org.tandem:verify"
#define DEFAULT_BS 4096u
#define DEFAULT_QD 32u
#define DEFAULT_SECONDS 60.0
#define MAX_QD 1024u
#define MAX_BS (1u << 20)

enum command { CMD_WRITE = 1, CMD_VERIFY = 2, CMD_PROBE = 4 };

struct args {
	enum command cmd;
	const char *dev, *state, *initiator;
	uint64_t bs, span, lba;
	bool have_bs, have_span, have_lba;
	struct write_opts w;
};

static volatile sig_atomic_t signalled;

static void on_signal(int sig)
{
	(void)sig;
	signalled = 1;
}

static void usage(void)
{
	fputs("usage: " PROG " write  DEV --state FILE [--qd N] [--bs BYTES] [--span BYTES]\n"
	      "                         [--seconds S] [--stop FILE] [--ack-log FILE]\n"
	      "                         [--progress FILE] [--read-pct N] [--initiator IQN] [--seed N]\n"
	      "       " PROG " verify DEV --state FILE [--initiator IQN]\n"
	      "       " PROG " probe-write DEV --lba N [--initiator IQN]\n"
	      "DEV is a block device, a regular file, or iscsi://HOST[:PORT]/IQN/LUN.\n",
	      stderr);
}

/* Which commands take which option. */
static const struct {
	const char *name;
	int commands;
} allowed[] = {
	['s'] = { "state", CMD_WRITE | CMD_VERIFY },
	['q'] = { "qd", CMD_WRITE },
	['b'] = { "bs", CMD_WRITE },
	['S'] = { "span", CMD_WRITE },
	['t'] = { "seconds", CMD_WRITE },
	['x'] = { "stop", CMD_WRITE },
	['a'] = { "ack-log", CMD_WRITE },
	['p'] = { "progress", CMD_WRITE },
	['r'] = { "read-pct", CMD_WRITE },
	['i'] = { "initiator", CMD_WRITE | CMD_VERIFY | CMD_PROBE },
	['e'] = { "seed", CMD_WRITE },
	['l'] = { "lba", CMD_PROBE },
};

static int bad_value(const char *opt, const char *val, const char *want)
{
	msg("--%s %s: %s", opt, val, want);
	return -1;
}

static int take_option(struct args *a, int c, const char *val)
{
	const char *name = allowed[c].name;
	uint64_t v;

	if (!(allowed[c].commands & (int)a->cmd)) {
		msg("--%s does not apply to this command", name);
		return -1;
	}
	switch (c) {
	case 's': a->state = val; break;
	case 'x': a->w.stop_file = val; break;
	case 'a': a->w.ack_log = val; break;
	case 'p': a->w.progress = val; break;
	case 'i':
		if (!*val || strlen(val) > 223)
			return bad_value(name, val, "an iSCSI name of 1 to 223 bytes");
		a->initiator = val;
		break;
	case 'q':
		if (parse_u64(val, &v) || v == 0 || v > MAX_QD)
			return bad_value(name, val, "a number of commands from 1 to 1024");
		a->w.qd = (unsigned)v;
		break;
	case 'b':
		if (parse_size(val, &a->bs) || a->bs == 0 || a->bs % SECTOR || a->bs > MAX_BS)
			return bad_value(name, val, "a multiple of 512 bytes up to 1 MiB");
		a->have_bs = true;
		break;
	case 'S':
		if (parse_size(val, &a->span) || a->span == 0)
			return bad_value(name, val, "a number of bytes above 0");
		a->have_span = true;
		break;
	case 't':
		if (parse_seconds(val, &a->w.seconds))
			return bad_value(name, val, "a number of seconds");
		break;
	case 'r':
		if (parse_u64(val, &v) || v > 100)
			return bad_value(name, val, "a percentage from 0 to 100");
		a->w.read_pct = (unsigned)v;
		break;
	case 'e':
		if (parse_u64(val, &a->w.seed))
			return bad_value(name, val, "a decimal number");
		break;
	case 'l':
		if (parse_u64(val, &a->lba))
			return bad_value(name, val, "a block number");
		a->have_lba = true;
		break;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "qd", required_argument, NULL, 'q' },
		{ "bs", required_argument, NULL, 'b' },
		{ "span", required_argument, NULL, 'S' },
		{ "seconds", required_argument, NULL, 't' },
		{ "stop", required_argument, NULL, 'x' },
		{ "ack-log", required_argument, NULL, 'a' },
		{ "progress", required_argument, NULL, 'p' },
		{ "read-pct", required_argument, NULL, 'r' },
		{ "initiator", required_argument, NULL, 'i' },
		{ "seed", required_argument, NULL, 'e' },
		{ "lba", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*a = (struct args){ .initiator = DEFAULT_INITIATOR,
			    .w = { .qd = DEFAULT_QD, .seconds = DEFAULT_SECONDS } };
	if (argc < 2) {
		usage();
		return -1;
	}
	if (!strcmp(argv[1], "write"))
		a->cmd = CMD_WRITE;
	else if (!strcmp(argv[1], "verify"))
		a->cmd = CMD_VERIFY;
	else if (!strcmp(argv[1], "probe-write"))
		a->cmd = CMD_PROBE;
	else {
		msg("unknown command '%s'", argv[1]);
		usage();
		return -1;
	}
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			msg("%s: %s", argv[optind - 1],
			    c == ':' ? "needs a value" : "unknown option");
			usage();
			return -1;
		}
		if (take_option(a, c, optarg))
			return -1;
	}
	if (argc - optind != 1) {
		if (argc == optind)
			msg("DEV is missing");
		else
			msg("one DEV expected, got %d arguments", argc - optind);
		usage();
		return -1;
	}
	a->dev = argv[optind];
	if (a->cmd != CMD_PROBE && !a->state) {
		msg("--state FILE is required");
		return -1;
	}
	if (a->cmd == CMD_PROBE && !a->have_lba) {
		msg("--lba N is required");
		return -1;
	}
	return 0;
}

/* The span must lie on the device, in whole device blocks. */
static int check_geometry(const struct backend *b, const struct state *st,
			  const char *dev)
{
	if (st->bs % b->block_size) {
		msg("%s: blocks of %u bytes are not a multiple of the device's %u", dev,
		    st->bs, b->block_size);
		return -1;
	}
	if (st->span > b->size) {
		msg("%s: the span (%" PRIu64 " bytes) is larger than the device (%" PRIu64 ")",
		    dev, st->span, b->size);
		return -1;
	}
	return 0;
}

/* A state given again must be continued as it was written. */
static int check_continuation(const struct args *a, const struct state *st)
{
	if (a->have_bs && a->bs != st->bs) {
		msg("--bs %" PRIu64 ": %s was written with blocks of %u bytes", a->bs,
		    a->state, st->bs);
		return -1;
	}
	if (a->have_span && a->span != st->span) {
		msg("--span %" PRIu64 ": %s covers %" PRIu64 " bytes", a->span, a->state,
		    st->span);
		return -1;
	}
	return 0;
}

static void catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int cmd_write(struct args *a)
{
	struct state st = { 0 };
	struct write_result res;
	struct backend *b;
	uint64_t first_seq;
	char err[512];
	int loaded, rc;

	loaded = state_load(a->state, &st, err, sizeof(err));
	if (loaded < 0) {
		msg("%s", err);
		return 2;
	}
	if (loaded == 0 && check_continuation(a, &st)) {
		state_free(&st);
		return 2;
	}
	b = backend_open(a->dev, a->initiator, true, err, sizeof(err));
	if (!b) {
		msg("%s", err);
		state_free(&st);
		return 2;
	}
	if (loaded == 1) {
		uint64_t bs = a->have_bs ? a->bs : DEFAULT_BS;
		uint64_t span = a->have_span ? a->span : b->size / bs * bs;

		if (state_init(&st, (uint32_t)bs, span, random_u64(), err, sizeof(err))) {
			msg("%s", err);
			backend_close(b);
			return 2;
		}
	}
	if (check_geometry(b, &st, a->dev) || a->w.qd > st.nblocks) {
		if (a->w.qd > st.nblocks)
			msg("--qd %u: the span has only %" PRIu64 " blocks", a->w.qd, st.nblocks);
		backend_close(b);
		state_free(&st);
		return 2;
	}
	if (!a->w.seed)
		a->w.seed = random_u64();
	a->w.signalled = &signalled;
	catch_stop_signals();
	msg("write: run %016" PRIx64 " from seq %" PRIu64 ", %" PRIu64 " blocks of %u bytes, "
	    "seed %" PRIu64, st.run_id, st.next_seq, st.nblocks, st.bs, a->w.seed);
	first_seq = st.next_seq;
	rc = write_phase(b, &st, &a->w, &res, err, sizeof(err)) ? 2 : 0;
	if (rc)
		msg("%s", err);
	/* Saved after a failure too once anything was written: writes still
	 * out are recorded as uncertain, so the state is true whatever
	 * happened. */
	if ((!rc || st.next_seq != first_seq) &&
	    state_save(a->state, &st, err, sizeof(err))) {
		msg("%s", err);
		rc = 2;
	}
	if (!rc) {
		printf("write: acked %" PRIu64 " errors %" PRIu64 " reads %" PRIu64
		       " read_bad %" PRIu64 " iops %.0f longest_pause %.6f pause_from %.6f"
		       " pause_to %.6f\n", res.acked, res.errors, res.reads, res.read_bad,
		       res.iops, res.pause, res.pause_from, res.pause_to);
		rc = res.read_bad ? 1 : 0;
	}
	fflush(stdout);
	backend_close(b);
	state_free(&st);
	return rc;
}

static int cmd_verify(struct args *a)
{
	struct state st;
	struct verify_result res;
	struct backend *b;
	char err[512];
	int loaded, rc;

	loaded = state_load(a->state, &st, err, sizeof(err));
	if (loaded) {
		if (loaded > 0)
			msg("%s: no such state file (run write first)", a->state);
		else
			msg("%s", err);
		return 2;
	}
	b = backend_open(a->dev, a->initiator, false, err, sizeof(err));
	if (!b) {
		msg("%s", err);
		state_free(&st);
		return 2;
	}
	if (check_geometry(b, &st, a->dev)) {
		backend_close(b);
		state_free(&st);
		return 2;
	}
	if (verify_phase(b, &st, &res, err, sizeof(err))) {
		msg("%s", err);
		rc = 2;
	} else {
		printf("verify: blocks %" PRIu64 " written %" PRIu64 " ok %" PRIu64
		       " missing %" PRIu64 " stale %" PRIu64 " torn %" PRIu64 " corrupt %" PRIu64
		       " misplaced %" PRIu64 " uncertain_old %" PRIu64 " uncertain_new %" PRIu64
		       " uncertain_torn %" PRIu64 " verdict %s\n", res.blocks, res.written,
		       res.count[V_OK], res.count[V_MISSING], res.count[V_STALE],
		       res.count[V_TORN], res.count[V_CORRUPT], res.count[V_MISPLACED],
		       res.count[V_UNC_OLD], res.count[V_UNC_NEW], res.count[V_UNC_TORN],
		       res.pass ? "PASS" : "FAIL");
		if (res.read_errors)
			msg("%" PRIu64 " blocks could not be read: no verdict on them", res.read_errors);
		rc = res.read_errors ? 2 : res.pass ? 0 : 1;
	}
	if (state_save(a->state, &st, err, sizeof(err))) {
		msg("%s", err);
		rc = 2;
	}
	fflush(stdout);
	backend_close(b);
	state_free(&st);
	return rc;
}

static int cmd_probe(struct args *a)
{
	struct backend *b;
	unsigned char *buf;
	char err[512], line[600];
	uint64_t offset;
	int rc;

	b = backend_open(a->dev, a->initiator, true, err, sizeof(err));
	if (!b) {
		printf("probe: error %s\n", err);
		return 2;
	}
	if (a->lba >= b->size / b->block_size) {
		printf("probe: error LBA %" PRIu64 " is beyond the device's %" PRIu64 " blocks\n",
		       a->lba, b->size / b->block_size);
		backend_close(b);
		return 2;
	}
	offset = a->lba * b->block_size;
	if (posix_memalign((void **)&buf, 4096, b->block_size)) {
		printf("probe: error out of memory\n");
		backend_close(b);
		return 2;
	}
	stamp_fill(buf, b->block_size, offset / SECTOR, 1, random_u64());
	rc = b->ops->probe_write(b, offset, buf, b->block_size, line, sizeof(line)) ? 2 : 0;
	printf("probe: %s\n", line);
	fflush(stdout);
	free(buf);
	backend_close(b);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a;

	/* libiscsi writes to its socket with writev(), which raises SIGPIPE
	 * when the target is gone; the error is what is wanted instead. */
	signal(SIGPIPE, SIG_IGN);
	if (parse_args(argc, argv, &a))
		return 2;
	switch (a.cmd) {
	case CMD_WRITE:
		return cmd_write(&a);
	case CMD_VERIFY:
		return cmd_verify(&a);
	case CMD_PROBE:
		return cmd_probe(&a);
	}
	return 2;
}
