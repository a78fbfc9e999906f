#include "daemon/objects.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "daemon/storage_live.h"

static int cmp_lun(const void *a, const void *b)
{
	const struct scsi_lun_entry *x = a, *y = b;

	return x->lun < y->lun ? -1 : x->lun > y->lun;
}

static int portal_addr(const struct cfg_portal *p, struct iscsi_portal *out)
{
	memset(out, 0, sizeof(*out));
	struct sockaddr_in *a4 = (struct sockaddr_in *)&out->addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&out->addr;

	if (inet_pton(AF_INET, p->ip, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(p->port);
		out->addrlen = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, p->ip, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(p->port);
		out->addrlen = sizeof(*a6);
		return 0;
	}
	return -1;
}

static struct scsi_lu *tpg_lun_lu(const struct objects *o, const struct cfg_tpg *ct,
				  uint64_t index)
{
	for (unsigned i = 0; i < ct->nluns; i++)
		if (ct->luns[i].index == index)
			return o->lus[ct->luns[i].storage];
	return NULL;
}

/* A borrowed LU is live: sessions on other workers read its ports. */
static int add_port(struct scsi_lu *lu, const struct scsi_tport *tp)
{
	int rc;

	pthread_mutex_lock(&lu->lock);
	rc = scsi_lu_add_port(lu, tp);
	pthread_mutex_unlock(&lu->lock);
	return rc;
}

static int build_tpg(struct objects *o, struct iscsi_target *t, struct iscsi_tpg *g,
		     const struct cfg_tpg *ct, char *err, size_t errlen)
{
	g->target = t;
	g->tag = ct->tag;
	g->enabled = ct->enable;
	g->auth_required = ct->authentication;
	g->auth_none_allowed = ct->auth_none_allowed;
	g->auth_chap_allowed = ct->auth_chap_allowed;
	g->demo_mode = ct->generate_node_acls;
	memcpy(&g->auth, &ct->auth, sizeof(g->auth));
	snprintf(g->alias, sizeof(g->alias), "%s", ct->alias);
	g->limits = ct->limits;
	snprintf(g->tport.target_name, sizeof(g->tport.target_name), "%s", t->name);
	snprintf(g->tport.name, sizeof(g->tport.name), "%s,t,0x%04x", t->name, ct->tag);
	/* Both nodes derive these from the tag alone, so an initiator sees the
	 * same relative port and port group after a failover. */
	g->tport.rtpi = ct->tag;
	g->tport.tpg_id = ct->tag;

	g->luns.count = ct->nluns;
	g->luns.ent = calloc(ct->nluns ? ct->nluns : 1, sizeof(*g->luns.ent));
	g->acls = calloc(ct->nacls ? ct->nacls : 1, sizeof(*g->acls));
	g->portals = calloc(ct->nportals ? ct->nportals : 1, sizeof(*g->portals));
	if (!g->luns.ent || !g->acls || !g->portals) {
		snprintf(err, errlen, "out of memory building TPG %u", ct->tag);
		return -1;
	}
	for (unsigned i = 0; i < ct->nluns; i++) {
		g->luns.ent[i].lun = ct->luns[i].index;
		g->luns.ent[i].lu = o->lus[ct->luns[i].storage];
		g->luns.ent[i].write_protect = ct->demo_mode_write_protect;
		if (add_port(g->luns.ent[i].lu, &g->tport) < 0) {
			snprintf(err, errlen, "out of memory building TPG %u", ct->tag);
			return -1;
		}
	}
	qsort(g->luns.ent, g->luns.count, sizeof(*g->luns.ent), cmp_lun);
	g->nacls = ct->nacls;
	for (unsigned i = 0; i < ct->nacls; i++) {
		const struct cfg_acl *ca = &ct->acls[i];
		struct iscsi_acl *a = &g->acls[i];
		snprintf(a->name, sizeof(a->name), "%s", ca->node_wwn);
		memcpy(&a->auth, &ca->auth, sizeof(a->auth));
		a->luns.count = ca->nmapped;
		a->luns.ent = calloc(ca->nmapped ? ca->nmapped : 1, sizeof(*a->luns.ent));
		if (!a->luns.ent) {
			snprintf(err, errlen, "out of memory building ACL %s", a->name);
			return -1;
		}
		for (unsigned j = 0; j < ca->nmapped; j++) {
			a->luns.ent[j].lun = ca->mapped[j].index;
			a->luns.ent[j].lu = tpg_lun_lu(o, ct, ca->mapped[j].tpg_lun);
			a->luns.ent[j].write_protect = ca->mapped[j].write_protect;
		}
		qsort(a->luns.ent, a->luns.count, sizeof(*a->luns.ent), cmp_lun);
	}
	g->nportals = ct->nportals;
	for (unsigned i = 0; i < ct->nportals; i++)
		if (portal_addr(&ct->portals[i], &g->portals[i]) < 0) {
			snprintf(err, errlen, "TPG %u portal %s: not a numeric address",
				 ct->tag, ct->portals[i].ip);
			return -1;
		}
	return 0;
}

static void reg_release(struct iscsi_registry *reg)
{
	struct objects *o = container_of(reg, struct objects, reg);

	if (o->inbox)
		evloop_inbox_post(o->inbox, &o->released);
	else if (o->on_released)
		o->on_released(o);
}

static void released_fn(struct evloop_msg *m)
{
	struct objects *o = container_of(m, struct objects, released);

	if (o->on_released)
		o->on_released(o);
}

int objects_find_storage(const struct objects *o, const char *name)
{
	for (unsigned i = 0; o && i < o->nstorage; i++)
		if (!strcmp(o->cfg->storage[i].bs.name, name))
			return (int)i;
	return -1;
}

/* The same storage object, but for settings that change in place
 * (storage_live.h): its LU carries on and takes them at commit. */
static int borrowable(const struct objects *from, const struct cfg_storage *st)
{
	int j = objects_find_storage(from, st->bs.name);

	if (j < 0 || !from->lus[j] ||
	    storage_fixed_change(&from->cfg->storage[j], st, NULL))
		return -1;
	return j;
}

void objects_take_over(struct objects *o, struct objects *from)
{
	for (unsigned i = 0; i < o->nstorage; i++) {
		int j;
		if (!o->borrowed[i])
			continue;
		j = objects_find_storage(from, o->cfg->storage[i].bs.name);
		from->lus[j] = NULL;
		from->bs[j] = NULL;
		o->borrowed[i] = false;
	}
}

int objects_build(struct objects *o, struct tconfig *cfg, struct objects *from,
		  char *err, size_t errlen)
{
	char why[512];

	memset(o, 0, sizeof(*o));
	o->cfg = cfg;
	o->nstorage = cfg->nstorage;
	atomic_init(&o->reg.refs, 1);
	o->reg.release = reg_release;
	o->released.fn = released_fn;
	o->bs = calloc(cfg->nstorage ? cfg->nstorage : 1, sizeof(*o->bs));
	o->lus = calloc(cfg->nstorage ? cfg->nstorage : 1, sizeof(*o->lus));
	o->borrowed = calloc(cfg->nstorage ? cfg->nstorage : 1, sizeof(*o->borrowed));
	o->reg.targets = calloc(cfg->ntargets ? cfg->ntargets : 1, sizeof(*o->reg.targets));
	if (!o->bs || !o->lus || !o->borrowed || !o->reg.targets) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < cfg->nstorage; i++) {
		const struct cfg_storage *st = &cfg->storage[i];
		struct scsi_lu_config lc = st->lu;
		int j = borrowable(from, st);

		if (j >= 0) {
			o->bs[i] = from->bs[j];
			o->lus[i] = from->lus[j];
			o->borrowed[i] = true;
			continue;
		}

		lc.pr_cold_start = cfg->pr_cold_start;
		o->bs[i] = bs_open(&st->bs, why, sizeof(why));
		if (!o->bs[i]) {
			snprintf(err, errlen, "storage object %s: %s", st->bs.name, why);
			goto fail;
		}
		o->lus[i] = scsi_lu_create(o->bs[i], &lc, why, sizeof(why));
		if (!o->lus[i]) {
			snprintf(err, errlen, "storage object %s: %s", st->bs.name, why);
			goto fail;
		}
		tlog(LOG_INFO, "storage object %s: %llu blocks of %u bytes",
		     st->bs.name, (unsigned long long)o->lus[i]->nblocks,
		     o->lus[i]->block_size);
		scsi_lu_pr_describe(o->lus[i], why, sizeof(why));
		tlog(LOG_INFO, "storage object %s: %s", st->bs.name, why);
	}
	o->reg.ntargets = cfg->ntargets;
	for (unsigned i = 0; i < cfg->ntargets; i++) {
		const struct cfg_target *ctg = &cfg->targets[i];
		struct iscsi_target *t = &o->reg.targets[i];
		snprintf(t->name, sizeof(t->name), "%s", ctg->wwn);
		t->tpgs = calloc(ctg->ntpgs ? ctg->ntpgs : 1, sizeof(*t->tpgs));
		if (!t->tpgs) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		t->ntpgs = ctg->ntpgs;
		for (unsigned j = 0; j < ctg->ntpgs; j++)
			if (build_tpg(o, t, &t->tpgs[j], &ctg->tpgs[j], err, errlen) < 0)
				goto fail;
	}
	return 0;
fail:
	objects_free(o);
	return -1;
}

void objects_free(struct objects *o)
{
	for (unsigned i = 0; o->reg.targets && i < o->reg.ntargets; i++) {
		struct iscsi_target *t = &o->reg.targets[i];
		for (unsigned j = 0; t->tpgs && j < t->ntpgs; j++) {
			struct iscsi_tpg *g = &t->tpgs[j];
			for (unsigned k = 0; g->acls && k < g->nacls; k++)
				free(g->acls[k].luns.ent);
			free(g->acls);
			free(g->luns.ent);
			free(g->portals);
		}
		free(t->tpgs);
	}
	free(o->reg.targets);
	for (unsigned i = 0; i < o->nstorage; i++) {
		if (o->borrowed && o->borrowed[i])
			continue;
		if (o->lus && o->lus[i])
			scsi_lu_destroy(o->lus[i]);
		if (o->bs && o->bs[i])
			bs_close(o->bs[i]);
	}
	free(o->lus);
	free(o->bs);
	free(o->borrowed);
	config_free(o->cfg);
	memset(o, 0, sizeof(*o));
}
