/* tandemctl: targetcli's tree and commands over tandemd's control socket.
 *   tandemctl [-s SOCKET] [--json] [PATH] COMMAND [ARGS...]   one shot
 *   tandemctl [-s SOCKET]                                    shell
 * Exit codes: 0 ok, 1 tandemd refused, 2 bad usage, 3 tandemd unreachable. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/client.h"
#include "ctl/session.h"
#include "ctl/shell.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tandemctl [-s SOCKET] [--json] [PATH] COMMAND [ARGS...]\n"
		"       tandemctl [-s SOCKET] [--json]   (interactive shell; reads\n"
		"                                         commands from stdin when it\n"
		"                                         is not a terminal)\n"
		"  -s, --socket SOCKET  tandemd's control socket (default $TANDEM_SOCKET,\n"
		"                       else /run/tandem/tandemd.sock)\n"
		"  -j, --json           machine output for ls, get and status\n"
		"  -h, --help           this text; `tandemctl help` lists the commands\n"
		"exit codes: 0 ok, 1 tandemd refused, 2 bad command or argument,\n"
		"            3 tandemd not reachable\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const char *socket = NULL, *path = NULL;
	char cwd[TREE_PATH_MAX] = "/", err[512];
	struct ctl_session *s;
	bool json = false;
	int c, rc;

	/* '+': options end at the first word, so `create size=-1` stays an
	 * argument for the command to judge. */
	while ((c = getopt_long(argc, argv, "+s:jhV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			socket = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("tandemctl 0.1\n");
			return 0;
		default:
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (session_open(&s, ctl_socket_path(socket), err, sizeof(err))) {
		fprintf(stderr, "tandemctl: %s\n", err);
		return CTL_UNREACHABLE;
	}
	if (optind == argc) {
		rc = shell_run(s, json);
	} else {
		if (argv[optind][0] == '/' || argv[optind][0] == '.')
			path = argv[optind++];
		if (optind == argc) {
			fprintf(stderr, "tandemctl: no command after path '%s' (try help)\n", path);
			rc = CTL_USAGE;
		} else {
			rc = run_command(s, cwd, path, argc - optind, argv + optind, json, NULL);
		}
	}
	session_close(s);
	return rc;
}
