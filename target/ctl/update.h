/* The read-modify-write of tandemd's live configuration that tandemctl and
 * the OCF agents share (docs/control-protocol.md): get_config, the
 * caller's edit of a copy, apply_config with the generation read. When
 * another client changed the configuration in between (a conflict), the
 * edit is redone on the new one for as long as the caller's budget lasts.
 * And the finders over saveconfig.json objects that both edit with. */
#ifndef TANDEM_CTL_UPDATE_H
#define TANDEM_CTL_UPDATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "ctl/client.h"

/* What an edit returns: CTL_EDIT_SAME (nothing to apply), CTL_EDIT_CHANGED,
 * CTL_EDIT_IMPORTED (changed to a document from elsewhere, e.g. LIO's
 * saveconfig.json: tandemd skips, and lists, what it cannot serve), or a
 * negative code of the caller's own with err set. */
#define CTL_EDIT_SAME 0
#define CTL_EDIT_CHANGED 1
#define CTL_EDIT_IMPORTED 2
typedef int (*ctl_mutate_fn)(json_t *cfg, void *arg, char *err, size_t errlen);

/* How long an update may keep trying: a number of apply_config attempts,
 * a deadline, or both; and the longest one call may wait. */
struct ctl_budget {
	unsigned attempts;		/* 0: as many as the deadline allows */
	long long deadline_ms;		/* on ctl_now_ms()'s clock; 0: none */
	int call_ms;			/* cut to what is left of the deadline */
	/* Called before each retry after a conflict; may be NULL. */
	void (*on_conflict)(unsigned attempt, void *ctx);
	void *ctx;
};

enum ctl_update_rc {
	CTL_UPDATE_APPLIED,		/* res->answer: apply_config's answer */
	CTL_UPDATE_UNCHANGED,		/* the edit changed nothing; nothing sent */
	CTL_UPDATE_EDIT_FAILED,		/* res->edit_rc: the edit's code */
	CTL_UPDATE_REFUSED,		/* tandemd refused; res->err says why */
	CTL_UPDATE_CONFLICT,		/* still conflicting when the budget ran out */
	CTL_UPDATE_UNREACHABLE,		/* the transport failed */
};

struct ctl_update_res {
	json_t *answer;			/* a reference for the caller, or NULL */
	int edit_rc;
	char err[1024];
};

enum ctl_update_rc ctl_update(struct ctl_client *cl, ctl_mutate_fn fn, void *arg,
			      const struct ctl_budget *b, struct ctl_update_res *res);

/* Milliseconds on the monotonic clock, for ctl_budget.deadline_ms. */
long long ctl_now_ms(void);
/* How long one call within budget b may wait. */
int ctl_call_ms(const struct ctl_budget *b);

/* obj's array member key, created when missing (NULL: out of memory). */
json_t *cfg_array(json_t *obj, const char *key);
/* The element of arr whose string member key is val (its index in *pos
 * when pos is not NULL), or NULL. */
json_t *cfg_find(json_t *arr, const char *key, const char *val, size_t *pos);
/* The same for an integer member (a LUN index, a TPG tag). */
json_t *cfg_find_int(json_t *arr, const char *key, json_int_t val, size_t *pos);
/* A target by IQN (iSCSI names compare case-insensitively), a storage
 * object by name. */
json_t *cfg_find_target(json_t *cfg, const char *iqn);
json_t *cfg_find_storage(json_t *cfg, const char *name);

#endif
