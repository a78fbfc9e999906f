/* The small library the tandem OCF agents share: action dispatch, typed
 * OCF_RESKEY_* parameters with validation, the OCF exit codes, meta-data
 * XML, deadlines, and logging the way Pacemaker expects (syslog under
 * HA_LOGTAG, stderr for crm_resource, "ocf-exit-reason:" lines). */
#ifndef TANDEM_OCF_H
#define TANDEM_OCF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

/* The exit codes of the OCF resource agent API, section "Return codes". */
enum ocf_rc {
	OCF_SUCCESS = 0,
	OCF_ERR_GENERIC = 1,
	OCF_ERR_ARGS = 2,
	OCF_ERR_UNIMPLEMENTED = 3,
	OCF_ERR_PERM = 4,
	OCF_ERR_INSTALLED = 5,
	OCF_ERR_CONFIGURED = 6,
	OCF_NOT_RUNNING = 7,
};

enum ocf_ptype { OCF_P_STRING, OCF_P_INTEGER, OCF_P_BOOLEAN };

struct ocf_ctx;

/* One OCF_RESKEY_<name> parameter. check(), when set, sees the value
 * (the default when unset) after the type and bounds were checked. */
struct ocf_param {
	const char *name;
	enum ocf_ptype type;
	bool required;
	bool unique;
	const char *def;		/* NULL: no default */
	const char *shortdesc;
	const char *longdesc;
	long long min, max;		/* OCF_P_INTEGER */
	size_t maxlen;			/* OCF_P_STRING; 0: 1024 */
	int (*check)(const char *value, char *err, size_t errlen);
};

struct ocf_action_def {
	const char *name;
	unsigned timeout_s;
	unsigned interval_s;		/* monitor only */
	int depth;			/* monitor only; -1 otherwise */
};

struct ocf_agent {
	const char *name;
	const char *shortdesc;
	const char *longdesc;
	const struct ocf_param *params;
	size_t nparams;
	const struct ocf_action_def *actions;
	size_t nactions;
	int (*start)(struct ocf_ctx *c);
	int (*stop)(struct ocf_ctx *c);
	int (*monitor)(struct ocf_ctx *c);
	/* Node-local checks beyond the parameters' syntax (binaries, devices),
	 * run by validate-all and by start. */
	int (*validate)(struct ocf_ctx *c);
	int (*reload)(struct ocf_ctx *c);	/* NULL: not advertised */
};

#define OCF_MAX_PARAMS 24

struct ocf_ctx {
	const struct ocf_agent *agent;
	const char *action;
	const char *instance;		/* OCF_RESOURCE_INSTANCE */
	int check_level;		/* OCF_CHECK_LEVEL: 0 or 10 */
	bool probe;			/* monitor with interval 0 */
	long long deadline_ms;		/* CLOCK_MONOTONIC */
	const char *str[OCF_MAX_PARAMS];	/* NULL: unset and no default */
	long long num[OCF_MAX_PARAMS];
	bool set[OCF_MAX_PARAMS];	/* given explicitly */
};

/* Runs the action named by argv[1]; returns the process exit code. */
int ocf_run(const struct ocf_agent *a, int argc, char **argv);

const char *ocf_str(const struct ocf_ctx *c, unsigned idx);
long long ocf_num(const struct ocf_ctx *c, unsigned idx);
bool ocf_bool(const struct ocf_ctx *c, unsigned idx);

/* Milliseconds left before this action must have returned, keeping a
 * margin for the reply; never negative. */
long long ocf_left_ms(const struct ocf_ctx *c);
long long ocf_now_ms(void);
void ocf_sleep_ms(long long ms);

void ocf_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Logs at LOG_ERR, tells Pacemaker the reason (ocf-exit-reason:) and
 * returns rc, so that `return ocf_fail(OCF_ERR_..., "...")` reads well. */
int ocf_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a boolean as Pacemaker's crm_is_true and resource-agents'
 * ocf_is_true do (yes/true/on/1 and no/false/off/0, any case). */
int ocf_parse_bool(const char *s, bool *out);

/* Runs argv (argv[0] an absolute path or a name looked up in PATH) with
 * stdin from in (may be NULL), stdout collected into out (may be NULL,
 * at most outlen-1 bytes), stderr into the log; killed when timeout_ms
 * runs out. Returns the exit status, or -1 with err set. */
int ocf_exec(const char *const argv[], const char *in, char *out, size_t outlen,
	     long long timeout_ms, char *err, size_t errlen);
/* Is name an executable in PATH (or an executable absolute path)? */
bool ocf_have_binary(const char *name);

/* Used by ocf_run: loads and checks every parameter (OCF_ERR_CONFIGURED
 * on the first bad one); prints the meta-data. */
int ocf_params_load(struct ocf_ctx *c);
void ocf_meta_data(const struct ocf_agent *a);

#endif
