/* tandemd's life cycle under ocf:tandem:target. */
#include "daemon_ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AGENT_CONFIG "tandemd-ocf.json"
#define EMPTY_CONFIG "{\"storage_objects\": [], \"targets\": []}\n"

const char *daemon_binary(void)
{
	const char *b = getenv("TANDEMD_BIN");

	return b && *b ? b : "/usr/sbin/tandemd";
}

void daemon_config_path(const char *socket, char *out, size_t len)
{
	const char *slash = strrchr(socket, '/');
	int dirlen = slash ? (int)(slash - socket) : 1;

	snprintf(out, len, "%.*s/%s", dirlen, slash ? socket : ".", AGENT_CONFIG);
}

static int write_empty_config(const char *path, char *err, size_t errlen)
{
	char dir[512];
	const char *slash = strrchr(path, '/');
	int fd;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "creating %s: %s", dir, strerror(errno));
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, EMPTY_CONFIG, strlen(EMPTY_CONFIG)) < 0 || close(fd) < 0) {
		snprintf(err, errlen, "writing %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return 0;
}

int daemon_ensure(struct ctlops *o, const struct ocf_ctx *c)
{
	char config[512], err[1024];
	const char *argv[] = { daemon_binary(), "-c", config, "-s", NULL, NULL };
	enum ctl_state st = ctlops_open(o, c);

	if (st == CTL_UP)
		return OCF_SUCCESS;
	if (st == CTL_BROKEN)
		return ocf_fail(OCF_ERR_GENERIC, "tandemd on %s does not answer: %s", o->socket,
				o->err);
	argv[4] = o->socket;
	daemon_config_path(o->socket, config, sizeof(config));
	if (write_empty_config(config, err, sizeof(err)) < 0)
		return ocf_fail(OCF_ERR_GENERIC, "%s", err);
	/* tandemd checks its config, then detaches: its exit status says
	 * whether it could start, its stderr why not. */
	if (ocf_exec(argv, NULL, NULL, 0, ocf_left_ms(c), err, sizeof(err)) != 0)
		return ocf_fail(OCF_ERR_GENERIC, "starting %s: %s", daemon_binary(), err);
	while ((st = ctlops_open(o, c)) != CTL_UP) {
		if (ocf_left_ms(c) < 100)
			return ocf_fail(OCF_ERR_GENERIC, "tandemd started but does not answer on %s: %s",
					o->socket, o->err);
		ocf_sleep_ms(50);
	}
	ocf_log(LOG_INFO, "started tandemd (-c %s -s %s)", config, o->socket);
	return OCF_SUCCESS;
}

static bool alive(pid_t pid)
{
	char path[64], state = '?';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	/* "pid (comm) S ...": comm may hold spaces and parentheses. */
	char line[512];
	if (fgets(line, sizeof(line), f)) {
		char *p = strrchr(line, ')');

		if (p && p[1] == ' ')
			state = p[2];
	}
	fclose(f);
	return state != 'Z' && state != 'X' && state != '?';
}

int daemon_stop_if_idle(struct ctlops *o)
{
	json_t *ping = ctlops_call(o, "ping"), *cfg;
	char mine[512];
	const char *path;
	pid_t pid;
	bool idle;

	if (!ping)
		return ocf_fail(OCF_ERR_GENERIC, "tandemd: %s", o->err);
	pid = (pid_t)json_integer_value(json_object_get(ping, "pid"));
	path = json_string_value(json_object_get(ping, "config_path"));
	daemon_config_path(o->socket, mine, sizeof(mine));
	if (!path || strcmp(path, mine) || pid <= 1) {
		json_decref(ping);
		return OCF_SUCCESS;
	}
	json_decref(ping);
	cfg = ctlops_call(o, "get_config");
	if (!cfg)
		return ocf_fail(OCF_ERR_GENERIC, "tandemd: %s", o->err);
	idle = json_array_size(json_object_get(json_object_get(cfg, "config"), "targets")) == 0 &&
	       json_array_size(json_object_get(json_object_get(cfg, "config"), "storage_objects")) == 0;
	json_decref(cfg);
	if (!idle)
		return OCF_SUCCESS;
	ctlops_close(o);
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		return ocf_fail(OCF_ERR_GENERIC, "stopping tandemd (pid %d): %s", (int)pid,
				strerror(errno));
	while (alive(pid)) {
		if (ocf_left_ms(o->ctx) < 300) {
			/* It serves nothing; a stop that fails would get this
			 * node fenced. */
			ocf_log(LOG_WARNING, "tandemd (pid %d) ignored SIGTERM; killing it", (int)pid);
			kill(pid, SIGKILL);
			break;
		}
		ocf_sleep_ms(50);
	}
	ocf_log(LOG_INFO, "stopped tandemd (pid %d): it served nothing", (int)pid);
	return OCF_SUCCESS;
}
