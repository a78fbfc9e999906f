/* DRBD's role of a minor, from /proc (8.4) or drbdsetup's JSON (9). */
#include "drbd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "ocf.h"

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

/* DRBD's block major from /proc/devices ("147 drbd"); -1 if not loaded. */
static long drbd_major(void)
{
	FILE *f = fopen(env_or("TANDEM_PROC_DEVICES", "/proc/devices"), "r");
	char line[128], name[64];
	bool block = false;
	long major = -1, m;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Block devices:", 14))
			block = true;
		else if (block && sscanf(line, "%ld %63s", &m, name) == 2 && !strcmp(name, "drbd"))
			major = m;
	}
	fclose(f);
	return major;
}

static enum drbd_role role_of(const char *name)
{
	if (!strcmp(name, "Primary"))
		return DRBD_PRIMARY;
	return DRBD_SECONDARY;
}

/* 8.4: " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----".
 * 1 found, 0 no line for the minor (DRBD 9 has none at all). */
static int from_proc(unsigned minor, char *name, size_t namelen)
{
	FILE *f = fopen(env_or("TANDEM_PROC_DRBD", "/proc/drbd"), "r");
	char line[512];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *end, *ro;
		unsigned long m = strtoul(line, &end, 10);

		if (end == line || *end != ':' || m != minor)
			continue;
		found = 1;
		ro = strstr(line, " ro:");
		if (ro) {
			ro += 4;
			snprintf(name, namelen, "%.*s", (int)strcspn(ro, "/ \n"), ro);
		} else {
			char *cs = strstr(line, "cs:");

			snprintf(name, namelen, "%.*s", cs ? (int)strcspn(cs + 3, " \n") : 7,
				 cs ? cs + 3 : "unknown");
		}
	}
	fclose(f);
	return found;
}

static int from_drbdsetup(unsigned minor, char *name, size_t namelen, long long timeout_ms,
			  char *err, size_t errlen)
{
	static char out[1 << 20];
	const char *argv[] = { env_or("TANDEM_DRBDSETUP", "drbdsetup"), "status", "--json", NULL };
	json_error_t jerr;
	json_t *doc, *res, *dev;
	size_t i, j;
	int found = 0;

	if (ocf_exec(argv, NULL, out, sizeof(out), timeout_ms, err, errlen) != 0)
		return -1;
	doc = json_loads(out, 0, &jerr);
	if (!json_is_array(doc)) {
		snprintf(err, errlen, "drbdsetup status --json: %s", doc ? "not a list" : jerr.text);
		json_decref(doc);
		return -1;
	}
	json_array_foreach(doc, i, res) {
		json_array_foreach(json_object_get(res, "devices"), j, dev) {
			const char *role = json_string_value(json_object_get(res, "role"));

			if (json_integer_value(json_object_get(dev, "minor")) != (json_int_t)minor)
				continue;
			snprintf(name, namelen, "%s", role ? role : "unknown");
			found = 1;
		}
	}
	json_decref(doc);
	if (!found)
		snprintf(name, namelen, "Unconfigured");
	return 0;
}

enum drbd_role drbd_role(dev_t dev, char *name, size_t namelen, long long timeout_ms,
			 char *err, size_t errlen)
{
	long drbd = drbd_major();

	if (drbd < 0 || (long)major(dev) != drbd)
		return DRBD_NOT_DRBD;
	if (from_proc(minor(dev), name, namelen))
		return role_of(name);
	if (from_drbdsetup(minor(dev), name, namelen, timeout_ms, err, errlen) < 0)
		return DRBD_UNKNOWN_ROLE;
	return role_of(name);
}
