/* tandemd: loads the configuration, opens the backstores, starts one worker
 * a core and the portals, and runs until SIGTERM/SIGINT, then shuts down in
 * order: portals, connections (draining I/O in flight), LUs, backstores. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ctlproto.h"
#include "common/log.h"
#include "daemon/config.h"
#include "daemon/ctl_server.h"
#include "daemon/daemon.h"
#include "daemon/listener.h"
#include "daemon/log.h"
#include "daemon/objects.h"
#include "daemon/pr_cmd.h"
#include "daemon/workers.h"

#define DEFAULT_CONFIG "/etc/tandem/saveconfig.json"
#define DEFAULT_SOCKET CTL_DEFAULT_SOCKET
#define MAX_WORKERS 64

struct options {
	bool foreground;
	bool debug;
	bool cold_start;
	const char *config;
	const char *socket;
	unsigned workers;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tandemd [-f] [-d] [-C] [-c CONFIG] [-s SOCKET] [-w WORKERS]\n"
		"       tandemd pr show|clear [-c CONFIG] [-f] STORAGE_OBJECT\n"
		"  -f          stay in the foreground and log to stderr\n"
		"  -d          debug logging\n"
		"  -C          cold start: the whole cluster was powered off; drop\n"
		"              persistent reservations made without APTPL\n"
		"  -c CONFIG   saveconfig.json to serve (default " DEFAULT_CONFIG ")\n"
		"  -s SOCKET   control socket path (default " DEFAULT_SOCKET ")\n"
		"  -w WORKERS  worker threads (default: one per CPU)\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	int c;

	o->foreground = false;
	o->debug = false;
	o->cold_start = false;
	o->config = DEFAULT_CONFIG;
	o->socket = DEFAULT_SOCKET;
	o->workers = 0;
	while ((c = getopt(argc, argv, "fdCc:s:w:hV")) != -1) {
		switch (c) {
		case 'f':
			o->foreground = true;
			break;
		case 'd':
			o->debug = true;
			break;
		case 'C':
			o->cold_start = true;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'w': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (*end || n == 0 || n > MAX_WORKERS) {
				fprintf(stderr, "tandemd: -w %s: workers must be 1..%d\n",
					optarg, MAX_WORKERS);
				return -1;
			}
			o->workers = (unsigned)n;
			break;
		}
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("tandemd 0.1\n");
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tandemd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

static const char *state_dir(void)
{
	const char *d = getenv("TANDEM_STATE_DIR");

	return d && *d ? d : "/var/lib/tandem";
}

struct signals {
	struct ev_handler h;
	bool stop;
};

static void signal_cb(struct ev_handler *h, uint32_t events)
{
	struct signals *sg = container_of(h, struct signals, h);
	struct signalfd_siginfo si;

	while (read(h->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			tlog(LOG_NOTICE, "signal %u: shutting down", si.ssi_signo);
			sg->stop = true;
			break;
		case SIGUSR1:
			mkdir(state_dir(), 0700);
			if (log_blackbox_dump(state_dir()) < 0)
				tlog(LOG_WARNING, "cannot write the blackbox to %s",
				     state_dir());
			break;
		case SIGHUP:
			tlog(LOG_NOTICE, "SIGHUP: live reconfiguration goes through "
			     "the control socket; the configuration was not reloaded");
			break;
		}
	}
}

static void fail_startup(const struct options *opt, const char *err)
{
	tlog(LOG_ERR, "%s: %s", opt->config, err);
	if (!opt->foreground)
		fprintf(stderr, "tandemd: %s: %s\n", opt->config, err);
}

int main(int argc, char **argv)
{
	struct options opt;
	struct tandemd d = { .generation = 1 };
	struct signals sg = { .h.fd = -1 };
	struct objects *objs;
	struct tconfig *cfg;
	char err[1024];
	sigset_t sigs;
	unsigned nworkers = 0;
	int rc = 1;

	if (argc > 1 && !strcmp(argv[1], "pr"))
		return pr_cmd_main(argc - 1, argv + 1, DEFAULT_CONFIG);
	if (parse_args(argc, argv, &opt) < 0)
		return 2;
	log_setup(opt.foreground, opt.debug);
	d.config_path = opt.config;
	d.socket_path = opt.socket;
	d.cold_start = opt.cold_start;
	list_init(&d.apply_queue);

	cfg = config_load(opt.config, err, sizeof(err));
	objs = calloc(1, sizeof(*objs));
	if (!cfg || !objs) {
		fail_startup(&opt, cfg ? "out of memory" : err);
		config_free(cfg);
		free(objs);
		log_teardown();
		return 1;
	}
	cfg->pr_cold_start = opt.cold_start;
	if (objects_build(objs, cfg, NULL, err, sizeof(err)) < 0) {
		fail_startup(&opt, err);
		free(objs);
		log_teardown();
		return 1;
	}
	d.live = objs;
	if (!opt.foreground && daemon(0, 0) < 0) {
		tlog(LOG_ERR, "daemon: %s", strerror(errno));
		goto out_objects;
	}

	/* Signals go to the signalfd only; threads started below inherit the
	 * mask, so none of them is interrupted. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (evloop_init(&d.loop, err, sizeof(err)) < 0) {
		tlog(LOG_ERR, "%s", err);
		goto out_objects;
	}
	if (evloop_inbox_init(&d.loop, &d.inbox, err, sizeof(err)) < 0) {
		tlog(LOG_ERR, "%s", err);
		goto out_loop;
	}
	d.live->inbox = &d.inbox;
	sg.h.fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	sg.h.cb = signal_cb;
	if (sg.h.fd < 0 || evloop_add(&d.loop, &sg.h, EPOLLIN) < 0) {
		tlog(LOG_ERR, "signalfd: %s", strerror(errno));
		goto out_inbox;
	}

	iscsi_set_registry(&d.live->reg);
	nworkers = opt.workers;
	if (!nworkers) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nworkers = n > 0 && n <= MAX_WORKERS ? (unsigned)n : 1;
	}
	d.workers = calloc(nworkers, sizeof(*d.workers));
	if (!d.workers) {
		tlog(LOG_ERR, "out of memory");
		goto out_registry;
	}
	for (unsigned i = 0; i < nworkers; i++)
		if (worker_start(&d.workers[i], i, err, sizeof(err)) < 0) {
			tlog(LOG_ERR, "%s", err);
			nworkers = i + 1;
			goto out_workers;
		}
	d.nworkers = nworkers;
	listeners_init(&d.ls, &d.loop, d.workers, nworkers);
	if (listeners_open(&d.ls, &d.live->reg, err, sizeof(err)) < 0) {
		tlog(LOG_ERR, "%s", err);
		goto out_workers;
	}
	listeners_commit(&d.ls, &d.live->reg);
	d.ctl = ctl_server_start(opt.socket, &d.loop, ctl_ops_handle, &d, err,
				 sizeof(err));
	if (!d.ctl) {
		tlog(LOG_ERR, "%s", err);
		goto out_listeners;
	}
	tlog(LOG_NOTICE, "tandemd serving %u target(s), %u storage object(s), "
	     "%u worker(s)", d.live->reg.ntargets, d.live->nstorage, nworkers);

	while (!sg.stop)
		evloop_run_once(&d.loop, -1);
	rc = 0;
out_listeners:
	listeners_close(&d.ls);
out_workers:
	for (unsigned i = 0; i < nworkers; i++)
		worker_stop(&d.workers[i]);
	/* Every session is gone: a change under way completes now. */
	apply_shutdown(&d);
	ctl_server_stop(d.ctl);
	free(d.workers);
out_registry:
	d.live->inbox = NULL;
	iscsi_set_registry(NULL);
out_inbox:
	if (sg.h.fd >= 0)
		close(sg.h.fd);
	evloop_inbox_destroy(&d.loop, &d.inbox);
out_loop:
	evloop_destroy(&d.loop);
out_objects:
	objects_free(d.live);
	free(d.live);
	tlog(LOG_NOTICE, "tandemd stopped");
	log_teardown();
	return rc;
}
