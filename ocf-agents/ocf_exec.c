/* Running the few helper programs the agents need (nft, crm_attribute,
 * drbdsetup) with a hard time limit, their output collected, their
 * stderr in the agent's log. */
#include "ocf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

bool ocf_have_binary(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(name, '/'))
		return access(name, X_OK) == 0;
	if (!path || !*path)
		path = "/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		struct stat st;

		if (n && snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name) < (int)sizeof(buf) &&
		    stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

static void child(const char *const argv[], int in_fd, int out_fd, int err_fd)
{
	dup2(in_fd, STDIN_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	dup2(err_fd, STDERR_FILENO);
	signal(SIGALRM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], (char *const *)argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Feeds in, drains out and err until both close or time runs out. */
static int pump(int *in_w, const char *in, int out_r, int err_r, char *out, size_t outlen,
		char *errbuf, size_t errbuflen, long long deadline)
{
	size_t in_left = in ? strlen(in) : 0, olen = 0, elen = 0;
	bool out_open = true, err_open = true;

	if (*in_w >= 0 && !in_left) {
		close(*in_w);
		*in_w = -1;
	}
	while (out_open || err_open) {
		struct pollfd p[3] = { { out_r, POLLIN, 0 }, { err_r, POLLIN, 0 }, { *in_w, POLLOUT, 0 } };
		long long left = deadline - ocf_now_ms();
		char tmp[4096];
		ssize_t n;

		if (!out_open)
			p[0].fd = -1;
		if (!err_open)
			p[1].fd = -1;
		if (left <= 0 || poll(p, 3, (int)left) == 0)
			return -1;
		if (p[2].revents) {
			n = write(*in_w, in, in_left);
			if (n > 0) {
				in += n;
				in_left -= (size_t)n;
			}
			if (n <= 0 || !in_left) {
				close(*in_w);
				*in_w = -1;
			}
		}
		for (int i = 0; i < 2; i++) {
			if (!p[i].revents)
				continue;
			n = read(p[i].fd, tmp, sizeof(tmp));
			if (n <= 0) {
				*(i ? &err_open : &out_open) = false;
				continue;
			}
			char *dst = i ? errbuf : out;
			size_t cap = i ? errbuflen : outlen, *len = i ? &elen : &olen;

			if (dst && cap > 1) {
				size_t take = (size_t)n < cap - 1 - *len ? (size_t)n : cap - 1 - *len;

				memcpy(dst + *len, tmp, take);
				*len += take;
				dst[*len] = '\0';
			}
		}
	}
	return 0;
}

int ocf_exec(const char *const argv[], const char *in, char *out, size_t outlen,
	     long long timeout_ms, char *err, size_t errlen)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	long long deadline = ocf_now_ms() + timeout_ms;
	char errtext[2048] = "";
	int status, rc = -1;
	pid_t pid;

	if (out && outlen)
		out[0] = '\0';
	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(argv, pin[0], pout[1], perr[1]);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	pin[0] = pout[1] = perr[1] = -1;
	if (pump(&pin[1], in, pout[0], perr[0], out, outlen, errtext, sizeof(errtext), deadline) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(err, errlen, "%s did not finish within %lld ms", argv[0], timeout_ms);
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	errtext[strcspn(errtext, "\n")] = '\0';
	if (WIFEXITED(status)) {
		rc = WEXITSTATUS(status);
		if (rc)
			snprintf(err, errlen, "%s exited with %d%s%s", argv[0], rc,
				 *errtext ? ": " : "", errtext);
	} else {
		snprintf(err, errlen, "%s killed by signal %d", argv[0], WTERMSIG(status));
	}
out:
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
		if (perr[i] >= 0)
			close(perr[i]);
	}
	return rc;
}
