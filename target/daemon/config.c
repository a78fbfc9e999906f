/* saveconfig.json -> struct tconfig. The document is what rtslib-fb's
 * RTSRoot.dump() writes (rtslib/root.py), so a file made by `targetcli
 * saveconfig` on LIO loads as it is:
 *
 *   { "fabric_modules": [...], "storage_objects": [...], "targets": [...] }
 *
 * Storage objects come first because LUNs name them; the parts live in
 * config_storage.c, config_target.c and config_params.c. */
#include "daemon/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config_priv.h"

/* A saveconfig.json with thousands of LUNs is a few MiB; anything much
 * larger is not a configuration. */
#define CONFIG_FILE_MAX (16u << 20)

static const char *const top_keys[] = {
	"fabric_modules", "storage_objects", "targets", NULL,
};
/* rtslib's FabricModule.dump() for fabrics with discovery authentication
 * (rtslib/fabric.py); only iscsi has it. */
static const char *const fabric_keys[] = {
	"name", "discovery_enable_auth", "discovery_userid",
	"discovery_password", "discovery_mutual_userid",
	"discovery_mutual_password", NULL,
};

static int parse_fabric(struct cfg_ctx *c, json_t *o)
{
	static const char *const creds[] = {
		"discovery_userid", "discovery_password",
		"discovery_mutual_userid", "discovery_mutual_password",
	};
	char name[64], buf[CFG_CHAP_MAX];
	bool enable = false;

	if (cfg_expect_object(c, o) < 0 ||
	    cfg_get_str(c, o, "name", true, 0, name, sizeof(name), NULL) < 0)
		return -1;
	if (strcmp(name, "iscsi")) {
		cfg_push_key(c, "name");
		return cfg_fail(c, "\"%s\" is not supported (tandem serves iSCSI only)",
				name);
	}
	if (cfg_check_keys(c, o, fabric_keys, NULL) < 0)
		return -1;
	for (size_t i = 0; i < 4; i++)
		if (cfg_get_str(c, o, creds[i], false, 0, buf, sizeof(buf), NULL) < 0)
			return -1;
	if (cfg_get_bool(c, o, "discovery_enable_auth", &enable, NULL) < 0)
		return -1;
	/* struct tconfig has nowhere to keep discovery credentials, and
	 * answering SendTargets to anyone where LIO demanded CHAP would
	 * widen access behind the administrator's back. */
	if (enable) {
		cfg_push_key(c, "discovery_enable_auth");
		return cfg_fail(c, "discovery authentication is not supported by tandem yet; set it false to serve discovery without CHAP");
	}
	return 0;
}

static int parse_fabrics(struct cfg_ctx *c, json_t *arr)
{
	size_t mark = cfg_push_key(c, "fabric_modules"), i;
	json_t *o;

	json_array_foreach(arr, i, o) {
		size_t imark = cfg_push_index(c, i);

		if (parse_fabric(c, o) < 0)
			return -1;
		cfg_pop(c, imark);
	}
	cfg_pop(c, mark);
	return 0;
}

static int parse_root(struct cfg_ctx *c, json_t *root, struct tconfig *cfg)
{
	json_t *storage, *fabrics, *targets;

	if (cfg_expect_object(c, root) < 0 ||
	    cfg_check_keys(c, root, top_keys, NULL) < 0 ||
	    cfg_get_array(c, root, "storage_objects", &storage) < 0 ||
	    cfg_get_array(c, root, "fabric_modules", &fabrics) < 0 ||
	    cfg_get_array(c, root, "targets", &targets) < 0)
		return -1;
	if (cfg_parse_storage(c, storage, cfg) < 0 ||
	    parse_fabrics(c, fabrics) < 0)
		return -1;
	return cfg_parse_targets(c, targets, cfg);
}

struct tconfig *config_parse(const char *json, size_t len, char *err, size_t errlen)
{
	struct cfg_ctx c = { .err = err, .errlen = errlen };
	struct tconfig *cfg;
	json_error_t jerr;
	json_t *root;

	/* Duplicate keys would let one copy silently win: refuse them. */
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "not valid JSON: line %d, column %d: %s",
			 jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
	} else if (parse_root(&c, root, cfg) < 0) {
		config_free(cfg);
		cfg = NULL;
	} else {
		cfg->doc = json_incref(root);
	}
	json_decref(root);
	return cfg;
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0, cap;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if ((uint64_t)st.st_size > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: %lld bytes is more than the %u a configuration may have",
			 path, (long long)st.st_size, CONFIG_FILE_MAX);
		goto fail;
	}
	/* One byte more than fstat said tells a file rewritten while we read
	 * it (targetcli itself writes a temporary file and renames it). */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == cap) {
		snprintf(err, errlen, "%s: grew while being read; try again", path);
		goto fail;
	}
	close(fd);
	*len = got;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

struct tconfig *config_load(const char *path, char *err, size_t errlen)
{
	struct tconfig *cfg;
	char *buf, msg[1024];
	size_t len;

	buf = read_file(path, &len, err, errlen);
	if (!buf)
		return NULL;
	cfg = config_parse(buf, len, msg, sizeof(msg));
	if (!cfg)
		snprintf(err, errlen, "%s: %s", path, msg);
	/* The file holds CHAP secrets. */
	explicit_bzero(buf, len);
	free(buf);
	return cfg;
}

void config_free(struct tconfig *c)
{
	if (!c)
		return;
	for (unsigned t = 0; t < c->ntargets; t++) {
		struct cfg_target *tg = &c->targets[t];

		for (unsigned p = 0; p < tg->ntpgs; p++) {
			struct cfg_tpg *tpg = &tg->tpgs[p];

			for (unsigned a = 0; a < tpg->nacls; a++) {
				explicit_bzero(&tpg->acls[a].auth,
					       sizeof(tpg->acls[a].auth));
				free(tpg->acls[a].mapped);
			}
			explicit_bzero(&tpg->auth, sizeof(tpg->auth));
			free(tpg->acls);
			free(tpg->luns);
			free(tpg->portals);
		}
		free(tg->tpgs);
	}
	free(c->targets);
	free(c->storage);
	json_decref(c->doc);
	free(c);
}
