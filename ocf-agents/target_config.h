/* ocf:tandem:target's parameters as saveconfig.json objects: what the
 * target should look like, merged into the live configuration without
 * touching what the lun agents own (the TPG's LUNs). */
#ifndef TANDEM_OCF_TARGET_CONFIG_H
#define TANDEM_OCF_TARGET_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct target_want {
	const char *iqn;
	long long tag;
	const char *portals;		/* "IP:PORT ..." */
	const char *initiators;		/* "IQN ..." or NULL */
	const char *in_user, *in_pass, *out_user, *out_pass;
	const char *params;		/* "Name=value ..." or NULL */
};

/* Syntax checks used by the parameter table. */
int tcfg_check_iqn(const char *v, char *err, size_t errlen);
int tcfg_check_portals(const char *v, char *err, size_t errlen);
int tcfg_check_initiators(const char *v, char *err, size_t errlen);
int tcfg_check_params(const char *v, char *err, size_t errlen);
/* CHAP rules that span parameters (RFC 7143 12.1.3). */
int tcfg_check_chap(const struct target_want *w, char *err, size_t errlen);

/* ctl_mutate_fn: the target as wanted (arg: struct target_want). */
int tcfg_upsert(json_t *cfg, void *arg, char *err, size_t errlen);
/* ctl_mutate_fn: the target gone (arg: the IQN). */
int tcfg_remove(json_t *cfg, void *arg, char *err, size_t errlen);
/* Where the live TPG differs from the wanted one; NULL when it does not. */
const char *tcfg_drift(json_t *live_tpg, const struct target_want *w, char *buf, size_t len);

#endif
