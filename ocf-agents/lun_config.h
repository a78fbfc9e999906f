/* ocf:tandem:lun's parameters as saveconfig.json objects: one storage
 * object named after the resource, mapped as one LUN into every TPG of
 * its target and every ACL there. */
#ifndef TANDEM_OCF_LUN_CONFIG_H
#define TANDEM_OCF_LUN_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct lun_want {
	char so_name[65];
	char so_path[128];		/* "/backstores/PLUGIN/NAME" */
	const char *plugin;		/* "block" or "fileio" */
	const char *iqn;
	long long lun;
	const char *path;
	char serial[41];
	char naa[33];			/* empty: tandemd derives it from serial */
	const char *vendor, *product;
	const char *pr_store_dev;	/* NULL: internal (or none when readonly) */
	bool tpu, readonly;
};

/* ctl_mutate_fn: storage object present and mapped (arg: lun_want). */
int lcfg_attach(json_t *cfg, void *arg, char *err, size_t errlen);
/* ctl_mutate_fn: every mapping of the storage object gone. */
int lcfg_unmap(json_t *cfg, void *arg, char *err, size_t errlen);
/* ctl_mutate_fn: the storage object gone (unmapped first). */
int lcfg_remove(json_t *cfg, void *arg, char *err, size_t errlen);

/* Is the storage object mapped at w->lun in a TPG of w->iqn? */
bool lcfg_mapped(json_t *cfg, const struct lun_want *w);
/* Where the live storage object differs from the parameters. */
const char *lcfg_drift(json_t *so, const struct lun_want *w, char *buf, size_t len);

#endif
