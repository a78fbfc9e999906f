/* Shared by config.c and the config_*.c files that parse the parts of a
 * saveconfig.json document; nothing outside daemon/config*.c includes it.
 *
 * Every parser works on a struct cfg_ctx that carries the JSON path of the
 * value being looked at ("targets[0].tpgs[1].luns[2]"), so a refusal from
 * anywhere names the exact field without each caller rebuilding it. */
#ifndef TANDEM_DAEMON_CONFIG_PRIV_H
#define TANDEM_DAEMON_CONFIG_PRIV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"

#define CFG_PATH_MAX 512
/* Bounds every array, so the duplicate checks (quadratic) stay cheap on a
 * hostile file; a two-node appliance is far from it. */
#define CFG_MAX_ENTRIES 4096
/* LUN numbers tandem accepts: SAM-5 single-level flat space addressing
 * reaches 0..16383 and every initiator decodes it; rtslib itself stops at
 * 255, so no LIO configuration is refused by this bound. */
#define CFG_LUN_MAX 16383

struct cfg_ctx {
	char *err;
	size_t errlen;
	size_t plen;
	char path[CFG_PATH_MAX];
};

/* Path bookkeeping: push returns a mark to hand back to cfg_pop. */
size_t cfg_push_key(struct cfg_ctx *c, const char *key);
size_t cfg_push_index(struct cfg_ctx *c, size_t i);
void cfg_pop(struct cfg_ctx *c, size_t mark);
/* Writes "<path>: <message>" into the caller's err; returns -1. */
int cfg_fail(struct cfg_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* String rules; every string must also fit its destination untruncated. */
#define CFG_S_NONEMPTY 0x1u
#define CFG_S_ASCII 0x2u	/* printable ASCII only (0x20..0x7e) */
#define CFG_S_NOSPACE 0x4u	/* no space */
#define CFG_S_NOSLASH 0x8u	/* no '/' */

/* Refuses any key of obj not in one of the NULL-terminated lists (b may be
 * NULL); the path is left at the object. */
int cfg_check_keys(struct cfg_ctx *c, json_t *obj, const char *const *a,
		   const char *const *b);
/* Value checks with the path already at the value. */
int cfg_expect_object(struct cfg_ctx *c, json_t *v);
int cfg_str_value(struct cfg_ctx *c, json_t *v, unsigned flags, char *dst,
		  size_t cap);
int cfg_uint_value(struct cfg_ctx *c, json_t *v, uint64_t min, uint64_t max,
		   uint64_t *out);
/* Member getters: push the key, check, pop. An absent optional member
 * leaves *dst as it was and sets *present (if given) to false. */
int cfg_get_str(struct cfg_ctx *c, json_t *obj, const char *key,
		bool required, unsigned flags, char *dst, size_t cap,
		bool *present);
int cfg_get_bool(struct cfg_ctx *c, json_t *obj, const char *key, bool *dst,
		 bool *present);
int cfg_get_uint(struct cfg_ctx *c, json_t *obj, const char *key,
		 bool required, uint64_t min, uint64_t max, uint64_t *dst,
		 bool *present);
/* An optional array member (absent: *arr = NULL); bounded by
 * CFG_MAX_ENTRIES. */
int cfg_get_array(struct cfg_ctx *c, json_t *obj, const char *key,
		  json_t **arr);

/* A LIO attribute: an integer in [min, max] (rtslib dumps every writable
 * attribute of the configfs attrib/ directory as an integer). */
struct cfg_attr_def {
	const char *name;
	long long min;
	long long max;
};

/* Checks the "attributes" member of obj (absent is fine): every name known,
 * every value an integer in range. *attrs is the object, or NULL. */
int cfg_check_attrs(struct cfg_ctx *c, json_t *obj,
		    const struct cfg_attr_def *defs, size_t ndefs,
		    json_t **attrs);
/* The value of an attribute already checked, or dflt when absent. */
long long cfg_attr(json_t *attrs, const char *name, long long dflt);

/* CHAP credentials kept as rtslib dumps them: chap_userid, chap_password,
 * chap_mutual_userid, chap_mutual_password as members of obj. */
extern const char *const cfg_auth_keys[];
int cfg_parse_auth(struct cfg_ctx *c, json_t *obj, struct cfg_auth *a);

/* RFC 3720/7143 iSCSI name in the form rtslib writes (lowercase). */
int cfg_check_iscsi_name(struct cfg_ctx *c, const char *name);

/* LIO's NAA IEEE Registered Extended designator for a unit serial. */
void cfg_naa_from_serial(const char *serial, uint8_t naa[16]);

int cfg_parse_storage(struct cfg_ctx *c, json_t *arr, struct tconfig *cfg);
int cfg_parse_targets(struct cfg_ctx *c, json_t *arr, struct tconfig *cfg);
int cfg_parse_tpg_params(struct cfg_ctx *c, json_t *tpg, struct cfg_tpg *t);

#endif
