/* The daemon's configuration: targetcli's saveconfig.json layout (rtslib-fb
 * dump format), parsed with jansson into plain objects that the daemon then
 * turns into backstores, LUs and TPGs. Every refusal names the JSON path of
 * the offending field, e.g. "targets[0].tpgs[0].luns[2].storage_object:
 * no storage object /backstores/fileio/disk9".
 *
 * What tandem cannot honour (another fabric, pscsi or user backstores, iSER,
 * offload portals) is refused with the reason. LIO attributes and
 * parameters tandem knows but does not act on are accepted (the load stays
 * faithful), and unknown keys are refused. */
#ifndef TANDEM_DAEMON_CONFIG_H
#define TANDEM_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backstore/backstore.h"
#include "iscsi/params.h"
#include "scsi/scsi.h"

#define CFG_CHAP_MAX 256

struct cfg_storage {
	struct bs_config bs;		/* kind, name, path, size, block_size,
					   write_back, readonly */
	struct scsi_lu_config lu;	/* identity and emulation flags; name
					   equals bs.name */
	char wwn[65];			/* targetcli "wwn" = unit serial */
};

struct cfg_lun {
	uint64_t index;			/* the LUN number */
	unsigned storage;		/* index into tconfig.storage */
	char alias[64];
};

struct cfg_mapped_lun {
	uint64_t index;			/* LUN the initiator sees */
	uint64_t tpg_lun;		/* cfg_lun.index it maps to */
	bool write_protect;
};

struct cfg_auth {
	char userid[CFG_CHAP_MAX];	/* empty: not set */
	char password[CFG_CHAP_MAX];
	char mutual_userid[CFG_CHAP_MAX];
	char mutual_password[CFG_CHAP_MAX];
};

struct cfg_acl {
	char node_wwn[SCSI_NAME_MAX];
	struct cfg_auth auth;
	struct cfg_mapped_lun *mapped;
	unsigned nmapped;
};

struct cfg_portal {
	char ip[64];			/* numeric IPv4 or IPv6, no brackets */
	uint16_t port;
};

struct cfg_tpg {
	uint16_t tag;
	bool enable;
	bool authentication;		/* attribute authentication: CHAP required */
	bool generate_node_acls;	/* any initiator may log in (demo mode) */
	bool demo_mode_write_protect;
	bool auth_none_allowed;		/* AuthMethod parameter lists None */
	bool auth_chap_allowed;		/* AuthMethod parameter lists CHAP */
	char alias[256];		/* TargetAlias parameter, may be empty */
	struct cfg_auth auth;		/* TPG-wide CHAP (demo mode) */
	struct iscsi_limits limits;	/* from the parameters */
	struct cfg_lun *luns;
	unsigned nluns;
	struct cfg_acl *acls;
	unsigned nacls;
	struct cfg_portal *portals;
	unsigned nportals;
};

struct cfg_target {
	char wwn[SCSI_NAME_MAX];	/* the target IQN */
	struct cfg_tpg *tpgs;
	unsigned ntpgs;
};

struct tconfig {
	struct cfg_storage *storage;
	unsigned nstorage;
	struct cfg_target *targets;
	unsigned ntargets;
	/* The document it was parsed from (a jansson json_t), kept so that
	 * the control socket's get_config gives back what was loaded, keys
	 * tandem accepts but does not act on included. */
	struct json_t *doc;
	/* Not from the file: set by `tandemd -C` when the whole cluster
	 * starts from power off (scsi_lu_config.pr_cold_start). */
	bool pr_cold_start;
};

/* Parses a saveconfig.json document. Returns a config to free with
 * config_free(), or NULL with err set. */
struct tconfig *config_parse(const char *json, size_t len, char *err, size_t errlen);
struct tconfig *config_load(const char *path, char *err, size_t errlen);
void config_free(struct tconfig *c);
/* How many TPG LUNs map storage object number `storage`. */
unsigned config_lun_refs(const struct tconfig *cfg, unsigned storage);
/* Calls fn for each of them. */
void config_lun_foreach(const struct tconfig *cfg, unsigned storage,
			void (*fn)(const struct cfg_target *t, const struct cfg_tpg *g,
				   const struct cfg_lun *l, void *arg),
			void *arg);

#endif
