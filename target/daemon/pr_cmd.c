/* `tandemd pr show|clear [-c CONFIG] [-f] STORAGE_OBJECT`.
 *
 * show reads the store straight from the device, without taking the
 * backstore's lock, so it works while a tandemd serves the LU (it then
 * shows the last state written, which is the state in force: a PERSISTENT
 * RESERVE OUT completes only once its state is written) and while none
 * does, e.g. after tandemd refused to attach the LU because of the store.
 *
 * clear resets the store to no registrations and no reservation, for
 * recovery. It opens the backstore as tandemd does (an exclusive flock for
 * a file, O_EXCL for a block device), so it refuses while a tandemd serves
 * the LU: changing a store under a running daemon would be undone by its
 * next write, and would differ from what it enforces meanwhile. A live
 * dump or clear through the running daemon belongs to the control socket
 * (tandemctl); pr_state_print() is what it will print. */
#include "daemon/pr_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config.h"
#include "scsi/pr.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tandemd pr show [-c CONFIG] STORAGE_OBJECT\n"
		"       tandemd pr clear [-c CONFIG] [-f] STORAGE_OBJECT\n"
		"  show   print the persistent reservation store of the object\n"
		"         (registrations, holder, type, generation, APTPL, slots)\n"
		"  clear  reset it to no registrations and no reservation; refused\n"
		"         while a tandemd serves the object\n"
		"  -c CONFIG  saveconfig.json naming the object\n"
		"  -f         clear even an area that does not look like a store\n");
}

static const struct cfg_storage *find_so(const struct tconfig *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->nstorage; i++)
		if (!strcmp(cfg->storage[i].bs.name, name))
			return &cfg->storage[i];
	return NULL;
}

/* Reads the store's 1 MiB area into buf; where describes it. */
static int read_area(const struct cfg_storage *so, uint8_t *buf, char *where,
		     size_t wlen)
{
	const char *path = so->lu.pr_store == SCSI_PR_STORE_EXTERNAL ?
			   so->lu.pr_store_dev : so->bs.path;
	struct stat sb;
	uint64_t size, off = 0;
	size_t got = 0;
	int fd;

	if (stat(path, &sb) != 0) {
		fprintf(stderr, "tandemd pr: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* O_DIRECT on a block device: tandemd writes it so, and the page
	 * cache could hold an older copy. A file goes through the cache, as
	 * tandemd's fileio writes do. */
	fd = open(path, O_RDONLY | O_CLOEXEC | (S_ISBLK(sb.st_mode) ? O_DIRECT : 0));
	if (fd < 0) {
		fprintf(stderr, "tandemd pr: %s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISBLK(sb.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) != 0) {
			fprintf(stderr, "tandemd pr: %s: BLKGETSIZE64: %s\n", path, strerror(errno));
			close(fd);
			return -1;
		}
	} else {
		size = so->lu.pr_store == SCSI_PR_STORE_INTERNAL && so->bs.size ?
		       so->bs.size : (uint64_t)sb.st_size;
	}
	if (so->lu.pr_store == SCSI_PR_STORE_INTERNAL) {
		if (size < 2 * (uint64_t)PR_AREA_SIZE) {
			fprintf(stderr, "tandemd pr: %s: %" PRIu64 " bytes, too small to hold an internal store\n",
				path, size);
			close(fd);
			return -1;
		}
		off = pr_internal_area(size);
		snprintf(where, wlen, "internal, last MiB of %s (byte %" PRIu64 ")", path, off);
	} else {
		snprintf(where, wlen, "external, %s", path);
	}
	/* A file shorter than its configured size reads as zeroes past its
	 * end, as tandemd sees it. */
	memset(buf, 0, PR_AREA_SIZE);
	while (got < PR_AREA_SIZE) {
		ssize_t n = pread(fd, buf + got, PR_AREA_SIZE - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "tandemd pr: %s: read at byte %" PRIu64 ": %s\n",
				path, off + got, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return 0;
}

static int show(const struct cfg_storage *so)
{
	struct pr_area_info info;
	char where[PATH_MAX + 64];
	void *buf = NULL;
	int rc = 1;

	if (so->lu.pr_store == SCSI_PR_STORE_NONE) {
		printf("storage object %s: pr_store none: its persistent reservations live in tandemd's memory only; there is no store to show\n",
		       so->bs.name);
		return 0;
	}
	if (posix_memalign(&buf, 4096, PR_AREA_SIZE)) {
		fprintf(stderr, "tandemd pr: out of memory\n");
		return 1;
	}
	if (read_area(so, buf, where, sizeof(where)) == 0) {
		if (pr_store_inspect(buf, &so->lu, &info) < 0) {
			fprintf(stderr, "tandemd pr: out of memory\n");
		} else {
			printf("storage object %s: PR store %s\n", so->bs.name, where);
			pr_area_print(&info, stdout);
			rc = info.zero || info.current >= 0 ? 0 : 1;
			pr_state_free(&info.st);
		}
	}
	free(buf);
	return rc;
}

static int clear(const struct cfg_storage *so, bool force)
{
	struct backstore *bs;
	struct stat sb;
	char err[1024];
	int rc;

	if (so->bs.kind != BS_RAMDISK && stat(so->bs.path, &sb) != 0) {
		fprintf(stderr, "tandemd pr: %s: %s\n", so->bs.path, strerror(errno));
		return 1;
	}
	bs = bs_open(&so->bs, err, sizeof(err));
	if (!bs) {
		fprintf(stderr, "tandemd pr: refusing to clear: %s\n", err);
		return 1;
	}
	rc = pr_store_clear(bs, &so->lu, force, stdout, err, sizeof(err));
	bs_close(bs);
	if (rc < 0) {
		fprintf(stderr, "tandemd pr: %s\n", err);
		return 1;
	}
	return 0;
}

int pr_cmd_main(int argc, char **argv, const char *default_config)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = default_config, *verb;
	const struct cfg_storage *so;
	struct tconfig *cfg;
	bool force = false;
	char err[1024];
	int c, rc;

	if (argc < 2 || (strcmp(argv[1], "show") && strcmp(argv[1], "clear"))) {
		usage(argc >= 2 && !strcmp(argv[1], "help") ? stdout : stderr);
		return argc >= 2 && !strcmp(argv[1], "help") ? 0 : 2;
	}
	verb = argv[1];
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "c:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc - 1) {
		usage(stderr);
		return 2;
	}
	cfg = config_load(config, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "tandemd pr: %s: %s\n", config, err);
		return 1;
	}
	so = find_so(cfg, argv[1 + optind]);
	if (!so) {
		fprintf(stderr, "tandemd pr: %s: no storage object named \"%s\"\n",
			config, argv[1 + optind]);
		config_free(cfg);
		return 1;
	}
	if (!strcmp(verb, "clear"))
		rc = clear(so, force);
	else
		rc = show(so);
	config_free(cfg);
	return rc;
}
