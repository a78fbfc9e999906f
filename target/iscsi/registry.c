/* The objects the daemon installed, and lookups on them. The current
 * snapshot is swapped under a mutex that only logins, discovery and the
 * daemon take; commands never look at it (a session's LUN table is moved
 * by its own worker, see session_follow()). */
#include "iscsi/conn.h"

#include <pthread.h>
#include <string.h>

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct iscsi_registry *registry;

void iscsi_registry_put(struct iscsi_registry *reg)
{
	if (reg && atomic_fetch_sub(&reg->refs, 1) == 1 && reg->release)
		reg->release(reg);
}

struct iscsi_registry *iscsi_registry_get(void)
{
	struct iscsi_registry *reg;

	pthread_mutex_lock(&registry_lock);
	reg = registry;
	if (reg)
		atomic_fetch_add(&reg->refs, 1);
	pthread_mutex_unlock(&registry_lock);
	return reg;
}

void iscsi_set_registry(struct iscsi_registry *reg)
{
	struct iscsi_registry *old;

	if (reg && !reg->release)
		atomic_store(&reg->refs, 1);
	pthread_mutex_lock(&registry_lock);
	old = registry;
	registry = reg;
	pthread_mutex_unlock(&registry_lock);
	iscsi_registry_put(old);
}

bool iscsi_tpg_same(const struct iscsi_tpg *a, const struct iscsi_tpg *b)
{
	if (a == b)
		return true;
	return a && b && a->tag == b->tag && !strcmp(a->target->name, b->target->name);
}

const struct iscsi_tpg *iscsi_registry_find_tpg(const struct iscsi_registry *reg,
						const char *target, uint16_t tag)
{
	for (unsigned i = 0; reg && i < reg->ntargets; i++) {
		const struct iscsi_target *t = &reg->targets[i];
		if (strcmp(t->name, target))
			continue;
		for (unsigned j = 0; j < t->ntpgs; j++)
			if (t->tpgs[j].tag == tag)
				return &t->tpgs[j];
	}
	return NULL;
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
