/* tandem-loopback: the ceiling of one TCP stream on 127.0.0.1 between two
 * processes, with no iSCSI at all: a child writes MSG-byte messages as
 * fast as it can, the parent reads them into one MSG-byte buffer and
 * counts what arrives in the measured window.
 *
 *   tandem-loopback -b MSG_BYTES[k|m] [-t SECONDS] [-w SECONDS]
 *
 * Prints "mibs=... msg_bytes=... seconds=...". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "tandem-loopback: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: tandem-loopback -b MSG_BYTES[k|m] [-t SECONDS] [-w SECONDS]\n");
	exit(2);
}

static size_t parse_size(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K') {
		v <<= 10;
		end++;
	} else if (*end == 'm' || *end == 'M') {
		v <<= 20;
		end++;
	}
	if (errno || end == s || *end || v == 0 || v > (64u << 20)) {
		fprintf(stderr, "tandem-loopback: -b %s: not a size in 1..64m\n", s);
		exit(2);
	}
	return (size_t)v;
}

static double parse_seconds(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0 && v <= 3600)) {
		fprintf(stderr, "tandem-loopback: '%s' is not a number of seconds in 0..3600\n", s);
		exit(2);
	}
	return v;
}

/* The child: connect and write until the reader hangs up. */
static void sender(const struct sockaddr_in *addr, size_t msg)
{
	char *buf = malloc(msg);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (!buf || fd < 0)
		_exit(1);
	memset(buf, 0x5a, msg);
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0)
		_exit(1);
	for (;;) {
		size_t off = 0;

		while (off < msg) {
			ssize_t n = send(fd, buf + off, msg - off, MSG_NOSIGNAL);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				/* The reader is done. */
				free(buf);
				close(fd);
				_exit(0);
			}
			off += (size_t)n;
		}
	}
}

/* Reads whole messages until deadline; returns the bytes read. */
static uint64_t drain_until(int fd, char *buf, size_t msg, uint64_t deadline)
{
	uint64_t total = 0;

	while (now_ns() < deadline) {
		ssize_t n = recv(fd, buf, msg, MSG_WAITALL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			die("recv");
		}
		total += (uint64_t)n;
	}
	return total;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	double seconds = 10, warmup = 1;
	size_t msg = 0;
	uint64_t t0, t1, bytes;
	int lfd, fd, c, status;
	pid_t child;
	char *buf;

	while ((c = getopt(argc, argv, "b:t:w:h")) != -1) {
		switch (c) {
		case 'b': msg = parse_size(optarg); break;
		case 't': seconds = parse_seconds(optarg); break;
		case 'w': warmup = parse_seconds(optarg); break;
		default: usage();
		}
	}
	if (optind != argc || msg == 0 || seconds <= 0)
		usage();
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lfd, 1) < 0)
		die("bind/listen on 127.0.0.1");
	if (getsockname(lfd, (struct sockaddr *)&addr, &alen) < 0)
		die("getsockname");

	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(lfd);
		sender(&addr, msg);
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	close(lfd);
	buf = malloc(msg);
	if (!buf)
		die("malloc");

	drain_until(fd, buf, msg, now_ns() + (uint64_t)(warmup * 1e9));
	t0 = now_ns();
	bytes = drain_until(fd, buf, msg, t0 + (uint64_t)(seconds * 1e9));
	t1 = now_ns();
	close(fd);
	if (waitpid(child, &status, 0) < 0)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "tandem-loopback: the sending process failed (status %d)\n", status);
		return 1;
	}
	printf("mibs=%.1f msg_bytes=%zu seconds=%.2f\n",
	       (double)bytes / ((double)(t1 - t0) / 1e9) / (1 << 20), msg,
	       (double)(t1 - t0) / 1e9);
	free(buf);
	return 0;
}
