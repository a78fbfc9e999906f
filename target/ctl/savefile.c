/* Writing a config file so that a crash at any moment leaves either the
 * old file or the new one, never a torn one: temp file in the same
 * directory, fsync, rename, fsync of the directory. The file it replaces
 * is kept in DIR/backup/, the newest SAVE_BACKUPS of them. */
#include "ctl/savefile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define SAVE_BACKUPS 10
#define MAX_OLD_FILE (64u << 20)

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Writes data to path through DIR/.BASE.XXXXXX; mode 0600, as the file
 * holds CHAP secrets. */
static int replace_file(const char *dir, const char *base, const char *path,
			const char *data, size_t len, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file in %s: %s", dir, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "cannot replace %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (fsync_dir(dir) < 0) {
		snprintf(err, errlen, "cannot sync directory %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static char *read_small(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= MAX_OLD_FILE) {
		buf = malloc((size_t)st.st_size + 1);
		if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)st.st_size;
	}
	fclose(f);
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Drops the oldest backups of base beyond SAVE_BACKUPS; the timestamped
 * names sort oldest first. */
static void prune(const char *bdir, const char *stem)
{
	DIR *d = opendir(bdir);
	struct dirent *e;
	char **v = NULL, path[PATH_MAX];
	size_t n = 0, cap = 0, sl = strlen(stem);

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (strncmp(e->d_name, stem, sl) || e->d_name[sl] != '-' || l < 5 ||
		    strcmp(e->d_name + l - 5, ".json"))
			continue;
		if (n == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		if (!(v[n] = strdup(e->d_name)))
			break;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (i + SAVE_BACKUPS < n && snprintf(path, sizeof(path), "%s/%s", bdir, v[i]) <
		    (int)sizeof(path))
			unlink(path);
		free(v[i]);
	}
	free(v);
}

static int backup(const char *dir, const char *base, const char *old, size_t len,
		  char *err, size_t errlen)
{
	char bdir[PATH_MAX], stem[NAME_MAX + 1], name[NAME_MAX + 1], path[PATH_MAX], ts[32];
	struct timeval tv;
	struct tm tm;
	char *dot;

	snprintf(stem, sizeof(stem), "%s", base);
	if ((dot = strrchr(stem, '.')) && dot != stem)
		*dot = '\0';
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", &tm);
	if (snprintf(bdir, sizeof(bdir), "%s/backup", dir) >= (int)sizeof(bdir) ||
	    snprintf(name, sizeof(name), "%s-%s.%06ld.json", stem, ts, (long)tv.tv_usec) >=
	    (int)sizeof(name) ||
	    snprintf(path, sizeof(path), "%s/%s", bdir, name) >= (int)sizeof(path)) {
		snprintf(err, errlen, "%s/%s: backup path too long", dir, base);
		return -1;
	}
	if (mkdir(bdir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", bdir, strerror(errno));
		return -1;
	}
	if (replace_file(bdir, name, path, old, len, err, errlen) < 0)
		return -1;
	prune(bdir, stem);
	return 0;
}

int save_atomic(const char *path, const char *data, char *err, size_t errlen)
{
	char dbuf[PATH_MAX], bbuf[PATH_MAX], *dir, *base, *old;
	size_t len = strlen(data), oldlen = 0;
	int rc = 0;

	if (snprintf(dbuf, sizeof(dbuf), "%s", path) >= (int)sizeof(dbuf)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	snprintf(bbuf, sizeof(bbuf), "%s", path);
	dir = dirname(dbuf);
	base = basename(bbuf);
	old = read_small(path, &oldlen);
	if (old && (oldlen != len || memcmp(old, data, len)))
		rc = backup(dir, base, old, oldlen, err, errlen);
	free(old);
	if (rc == 0)
		rc = replace_file(dir, base, path, data, len, err, errlen);
	return rc;
}
