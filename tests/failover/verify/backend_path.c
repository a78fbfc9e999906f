/* The path backend: a block device or a regular file, opened O_DIRECT |
 * O_DSYNC (a write returns once the device holds it, as far as the kernel
 * knows the device), one worker thread a queue slot doing pread/pwrite. */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stamp.h"
#include "util.h"

/* O_DIRECT wants buffers aligned to the logical block; a page covers all. */
#define BUF_ALIGN 4096u
/* After giving up on what is in flight, how long workers get to notice. */
#define EXIT_GRACE_MS 1000

struct path_backend {
	struct backend base;
	int fd;
};

struct worker {
	pthread_t tid;
	struct path_run *run;
	struct io io;
	bool started, exited;
};

struct path_run {
	pthread_mutex_t lock;
	struct io_source *src;
	int fd;
	bool give_up;
	unsigned alive;
};

static void do_io(int fd, struct io *io)
{
	size_t done = 0;

	while (done < io->len) {
		ssize_t n = io->kind == IO_WRITE ?
			pwrite(fd, io->buf + done, io->len - done, (off_t)(io->offset + done)) :
			pread(fd, io->buf + done, io->len - done, (off_t)(io->offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(io->why, sizeof(io->why), "%s of %u bytes at offset %llu: %s",
				 io->kind == IO_WRITE ? "pwrite" : "pread", io->len,
				 (unsigned long long)io->offset,
				 n < 0 ? strerror(errno) : "unexpected end of device");
			io->ok = false;
			return;
		}
		/* O_DIRECT moves whole blocks or fails; a short transfer is
		 * taken as it comes, the rest asked for again. */
		done += (size_t)n;
	}
	io->ok = true;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct path_run *r = w->run;

	for (;;) {
		enum next_action a;
		bool give_up;

		pthread_mutex_lock(&r->lock);
		give_up = r->give_up;
		pthread_mutex_unlock(&r->lock);
		if (give_up)
			break;
		a = r->src->next(r->src, &w->io);
		if (a == NEXT_END)
			break;
		if (a == NEXT_WAIT) {
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
			continue;
		}
		do_io(r->fd, &w->io);
		/* After a give-up the source may be gone: a worker that was
		 * stuck in the kernel until then must not call it. */
		pthread_mutex_lock(&r->lock);
		give_up = r->give_up;
		pthread_mutex_unlock(&r->lock);
		if (give_up)
			break;
		r->src->done(r->src, &w->io);
	}
	pthread_mutex_lock(&r->lock);
	w->exited = true;
	r->alive--;
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static unsigned alive(struct path_run *r)
{
	unsigned n;

	pthread_mutex_lock(&r->lock);
	n = r->alive;
	pthread_mutex_unlock(&r->lock);
	return n;
}

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 }, NULL);
}

/* Frees what workers use; only when none of them can touch it again. */
static void run_free(struct path_run *r, struct worker *w, unsigned qd)
{
	for (unsigned i = 0; i < qd; i++)
		free(w[i].io.buf);
	free(w);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void stop_workers(struct path_run *r)
{
	pthread_mutex_lock(&r->lock);
	r->give_up = true;
	pthread_mutex_unlock(&r->lock);
}

static int start_workers(struct path_run *r, struct worker *w, unsigned qd,
			 char *err, size_t errlen)
{
	sigset_t all, old;
	int rc = 0;

	/* Signals are for the main thread (it turns them into a stop). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned i = 0; i < qd && rc == 0; i++) {
		w[i].run = r;
		if (posix_memalign((void **)&w[i].io.buf, BUF_ALIGN, r->src->max_len)) {
			w[i].io.buf = NULL;
			snprintf(err, errlen, "out of memory for %u-byte buffers", r->src->max_len);
			rc = -1;
			break;
		}
		pthread_mutex_lock(&r->lock);
		r->alive++;
		pthread_mutex_unlock(&r->lock);
		rc = pthread_create(&w[i].tid, NULL, worker_main, &w[i]);
		if (rc) {
			snprintf(err, errlen, "cannot start a worker thread: %s", strerror(rc));
			pthread_mutex_lock(&r->lock);
			r->alive--;
			pthread_mutex_unlock(&r->lock);
			rc = -1;
		} else {
			w[i].started = true;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static int path_run(struct backend *b, struct io_source *src, unsigned qd,
		    char *err, size_t errlen)
{
	struct path_backend *pb = (struct path_backend *)b;
	struct path_run *r = calloc(1, sizeof(*r));
	struct worker *w = calloc(qd, sizeof(*w));
	bool stuck = false;
	int rc;

	if (!r || !w) {
		snprintf(err, errlen, "out of memory for %u workers", qd);
		free(r);
		free(w);
		return -1;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->src = src;
	r->fd = pb->fd;
	rc = start_workers(r, w, qd, err, errlen);
	if (rc)
		stop_workers(r);
	while (alive(r) > 0) {
		sleep_ms(50);
		if (!src->tick(src)) {
			stop_workers(r);
			for (int t = 0; t < EXIT_GRACE_MS / 50 && alive(r) > 0; t++)
				sleep_ms(50);
			break;
		}
	}
	for (unsigned i = 0; i < qd; i++) {
		bool exited;

		if (!w[i].started)
			continue;
		pthread_mutex_lock(&r->lock);
		exited = w[i].exited;
		pthread_mutex_unlock(&r->lock);
		if (exited) {
			pthread_join(w[i].tid, NULL);
		} else {
			pthread_detach(w[i].tid);
			stuck = true;
		}
	}
	if (stuck) {
		/* A worker blocked in the kernel on a device that no longer
		 * answers still owns its slot and the run: both are left to
		 * the end of the process, which is near. */
		msg("I/O still blocked in the kernel after the drain timeout: "
		    "it counts as failed");
		return rc;
	}
	run_free(r, w, qd);
	return rc;
}

static int path_probe_write(struct backend *b, uint64_t offset, unsigned char *buf,
			    uint32_t len, char *line, size_t linelen)
{
	struct path_backend *pb = (struct path_backend *)b;
	struct io io = { .kind = IO_WRITE, .offset = offset, .len = len, .buf = buf };

	do_io(pb->fd, &io);
	if (!io.ok) {
		snprintf(line, linelen, "error %s", io.why);
		return -1;
	}
	snprintf(line, linelen, "status GOOD");
	return 0;
}

static void path_close(struct backend *b)
{
	struct path_backend *pb = (struct path_backend *)b;

	close(pb->fd);
	free(pb);
}

static const struct backend_ops path_ops = {
	.run = path_run,
	.probe_write = path_probe_write,
	.close = path_close,
};

struct backend *path_open(const char *path, bool writable, char *err, size_t errlen)
{
	struct path_backend *pb;
	struct stat sb;
	uint64_t size;
	int fd, lbs = (int)SECTOR;

	fd = open(path, (writable ? O_RDWR | O_DSYNC : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s with O_DIRECT: %s%s", path, strerror(errno),
			 errno == EINVAL ? " (a file system without O_DIRECT, such as tmpfs?)" : "");
		return NULL;
	}
	if (fstat(fd, &sb)) {
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (S_ISBLK(sb.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) || ioctl(fd, BLKSSZGET, &lbs)) {
			snprintf(err, errlen, "cannot read the size of %s: %s", path,
				 strerror(errno));
			close(fd);
			return NULL;
		}
	} else if (S_ISREG(sb.st_mode)) {
		size = (uint64_t)sb.st_size;
	} else {
		snprintf(err, errlen, "%s is neither a block device nor a regular file", path);
		close(fd);
		return NULL;
	}
	if (lbs <= 0 || lbs % (int)SECTOR || lbs > (int)BUF_ALIGN) {
		snprintf(err, errlen, "%s: logical block size %d is not a multiple of %u up to %u",
			 path, lbs, SECTOR, BUF_ALIGN);
		close(fd);
		return NULL;
	}
	pb = calloc(1, sizeof(*pb));
	if (!pb) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	pb->base.ops = &path_ops;
	pb->base.size = size;
	pb->base.block_size = (uint32_t)lbs;
	pb->fd = fd;
	return &pb->base;
}
