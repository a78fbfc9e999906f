/* The connection record in the CIB (crm_attribute, cibadmin) and in
 * portblock's tickle_dir. */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXEC_MS 5000LL
#define TEXT_MAX (CONNS_MAX * 56)

static char text_now[TEXT_MAX], text_old[TEXT_MAX], cib_out[4 * TEXT_MAX];

static const char *run_dir(void)
{
	const char *d = getenv("TANDEM_RUN_DIR");

	return d && *d ? d : "/run/tandem";
}

void record_init(struct record *r, const struct ocf_ctx *c, const struct netaddr *a,
		 unsigned short port, const char *tickle_dir)
{
	char clean[96];
	size_t n = 0;

	for (const char *p = c->instance; *p && n < sizeof(clean) - 1; p++)
		clean[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ? *p : '_';
	clean[n] = '\0';
	r->ctx = c;
	r->addr = a;
	r->port = port;
	r->tickle_dir = tickle_dir;
	snprintf(r->attr, sizeof(r->attr), "tandem-portal-conns-%s", clean);
	snprintf(r->cache, sizeof(r->cache), "%s/portal-%s.conns", run_dir(), clean);
}

static long long exec_ms(const struct record *r)
{
	long long left = ocf_left_ms(r->ctx);

	return left < EXEC_MS ? left : EXEC_MS;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t used = 0;
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	while (used < len - 1 && (n = read(fd, buf + used, len - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
	close(fd);
	return 0;
}

/* Written to a temporary file, flushed, renamed: a reader after a crash
 * sees the old list or the new one, never a truncated one. */
static int write_file(const char *path, const char *text, char *err, size_t errlen)
{
	char tmp[512];
	int fd;
	size_t len = strlen(text);

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0 ||
	    close(fd) < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static const char *node_name(const struct record *r, char *buf, size_t len)
{
	const char *n = getenv("OCF_RESKEY_CRM_meta_on_node");
	const char *argv[] = { "crm_node", "-n", NULL };
	char err[256];

	if (n && *n)
		return n;
	if (ocf_exec(argv, NULL, buf, len, exec_ms(r), err, sizeof(err)) != 0) {
		ocf_log(LOG_WARNING, "cannot tell this node's name: %s", err);
		return NULL;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return *buf ? buf : NULL;
}

static int save_cib(const struct record *r, const char *text)
{
	char node[256], err[512];
	const char *name = node_name(r, node, sizeof(node));
	const char *upd[] = { "crm_attribute", "--type", "nodes", "--node", name, "--name",
			      r->attr, "--update", text, NULL };
	const char *del[] = { "crm_attribute", "--type", "nodes", "--node", name, "--name",
			      r->attr, "--delete", NULL };

	if (!name)
		return -1;
	if (ocf_exec(*text ? upd : del, NULL, NULL, 0, exec_ms(r), err, sizeof(err)) != 0) {
		ocf_log(LOG_WARNING, "cannot record the portal's connections in the CIB: %s", err);
		return -1;
	}
	return 0;
}

static void save_tickle_dir(const struct record *r, const struct conn_list *l)
{
	char path[512], err[512];
	size_t used = 0;

	snprintf(path, sizeof(path), "%s/%s", r->tickle_dir, r->addr->text);
	text_now[0] = '\0';
	for (size_t i = 0; i < l->n && used < sizeof(text_now) - 1; i++) {
		const struct tcp_conn *c = &l->c[i];
		bool v6 = c->local.family == AF_INET6;
		int w = snprintf(text_now + used, sizeof(text_now) - used, "%s%s%s:%u\t%s%s%s:%u\n",
				 v6 ? "[" : "", c->local.text, v6 ? "]" : "", c->lport,
				 v6 ? "[" : "", c->remote.text, v6 ? "]" : "", c->rport);

		if (w < 0 || (size_t)w >= sizeof(text_now) - used)
			break;
		used += (size_t)w;
	}
	text_now[used] = '\0';
	if (write_file(path, text_now, err, sizeof(err)) < 0)
		ocf_log(LOG_WARNING, "tickle_dir: %s", err);
}

void record_save(struct record *r, const struct conn_list *l)
{
	char err[512];

	if (r->tickle_dir)
		save_tickle_dir(r, l);
	conns_format(l, text_now, sizeof(text_now));
	if (read_file(r->cache, text_old, sizeof(text_old)) == 0 && !strcmp(text_old, text_now))
		return;
	if (save_cib(r, text_now) < 0)
		return;
	mkdir(run_dir(), 0700);
	if (write_file(r->cache, text_now, err, sizeof(err)) < 0)
		ocf_log(LOG_WARNING, "%s", err);
	ocf_log(LOG_INFO, "recorded %zu initiator connection(s) to %s:%u", l->n, r->addr->text,
		r->port);
}

static void load_cib(struct record *r, struct conn_list *l)
{
	char xpath[256], err[512];
	const char *argv[] = { "cibadmin", "--query", "--xpath", xpath, NULL };
	size_t bad = 0;
	int rc;

	snprintf(xpath, sizeof(xpath),
		 "/cib/configuration/nodes/node/instance_attributes/nvpair[@name='%s']", r->attr);
	rc = ocf_exec(argv, NULL, cib_out, sizeof(cib_out), exec_ms(r), err, sizeof(err));
	if (rc == 105)		/* ENXIO: nothing recorded, the first start */
		return;
	if (rc != 0) {
		ocf_log(LOG_WARNING, "cannot read the recorded connections from the CIB: %s", err);
		return;
	}
	for (char *p = cib_out; (p = strstr(p, " value=\"")); ) {
		char *end;

		p += strlen(" value=\"");
		end = strchr(p, '"');
		if (!end)
			break;
		*end = '\0';
		bad += conns_parse(p, r->addr, r->port, l);
		p = end + 1;
	}
	if (bad)
		ocf_log(LOG_WARNING, "%zu malformed entries in the CIB attribute %s skipped", bad,
			r->attr);
}

void record_load(struct record *r, struct conn_list *l)
{
	char path[512];

	l->n = 0;
	load_cib(r, l);
	if (!r->tickle_dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", r->tickle_dir, r->addr->text);
	if (read_file(path, text_old, sizeof(text_old)) == 0) {
		size_t bad = conns_parse_tickle_file(text_old, r->addr, r->port, l);

		if (bad)
			ocf_log(LOG_WARNING, "%s: %zu malformed lines skipped", path, bad);
	}
}

void record_forget_cache(struct record *r)
{
	unlink(r->cache);
}
