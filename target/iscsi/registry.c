/* The objects the daemon installed, and lookups on them. */
#include "iscsi/conn.h"

#include <string.h>

static const struct iscsi_registry *registry;

void iscsi_set_registry(const struct iscsi_registry *reg)
{
	registry = reg;
}

const struct iscsi_registry *iscsi_registry(void)
{
	return registry;
}

const struct iscsi_acl *tpg_find_acl(const struct iscsi_tpg *tpg, const char *iname)
{
	for (unsigned i = 0; i < tpg->nacls; i++)
		if (!strcmp(tpg->acls[i].name, iname))
			return &tpg->acls[i];
	return NULL;
}

const struct scsi_lun_table *tpg_luns_for(const struct iscsi_tpg *tpg,
					  const struct iscsi_acl *acl)
{
	return acl ? &acl->luns : &tpg->luns;
}
