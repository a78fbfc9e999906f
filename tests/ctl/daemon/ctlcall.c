/* ctlcall SOCKET REQUEST [TIMEOUT_MS]: sends one JSON request to tandemd's
 * control socket through the project's client (target/ctl/client.c) and
 * prints the response on one line. Exit status: 0 "ok": true, 1 "ok":
 * false, 2 no answer (the reason on stderr). */
#include <stdio.h>
#include <stdlib.h>

#include "ctl/client.h"

int main(int argc, char **argv)
{
	char err[512];
	struct ctl_client *c;
	json_error_t jerr;
	json_t *req, *rsp;
	char *out;
	int ok;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: ctlcall SOCKET REQUEST [TIMEOUT_MS]\n");
		return 2;
	}
	req = json_loads(argv[2], 0, &jerr);
	if (!req) {
		fprintf(stderr, "ctlcall: request: %s\n", jerr.text);
		return 2;
	}
	c = ctl_connect(argv[1], err, sizeof(err));
	if (!c) {
		fprintf(stderr, "ctlcall: %s\n", err);
		json_decref(req);
		return 2;
	}
	rsp = ctl_call(c, req, argc == 4 ? atoi(argv[3]) : 60000, err, sizeof(err));
	json_decref(req);
	ctl_disconnect(c);
	if (!rsp) {
		fprintf(stderr, "ctlcall: %s\n", err);
		return 2;
	}
	out = json_dumps(rsp, JSON_COMPACT | JSON_SORT_KEYS);
	puts(out ? out : "");
	free(out);
	ok = json_is_true(json_object_get(rsp, "ok"));
	json_decref(rsp);
	return ok ? 0 : 1;
}
