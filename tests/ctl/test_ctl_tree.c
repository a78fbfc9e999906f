/* tandemctl's tree editing and completion on plain JSON, no daemon:
 * each test runs commands as the shell would and checks the config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl/cmd.h"
#include "ctl/complete.h"
#include "ctl/shell.h"

struct fixture {
	json_t *cfg;
	char err[CTL_ERR_MAX];
	struct names msgs;
	bool imported;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->cfg = json_pack("{s:[], s:[]}", "storage_objects", "targets");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	json_decref(f->cfg);
	names_free(&f->msgs);
	free(f);
	return 0;
}

/* Runs "COMMAND ARGS" at path as run_command would, minus the daemon. */
static int run(struct fixture *f, const char *path, const char *line)
{
	struct cmd_ctx c = { .cfg = f->cfg };
	const struct command *cmd;
	char buf[1024], *words[32];
	int n, rc;

	snprintf(buf, sizeof(buf), "%s", line);
	n = shell_split(buf, words, 32);
	assert_true(n >= 1);
	snprintf(c.cwd, sizeof(c.cwd), "/");
	if (tree_resolve(f->cfg, "/", path, &c.node, f->err, sizeof(f->err)) < 0)
		return CTL_USAGE;
	cmd = cmd_find(words[0], c.node.kind);
	if (!cmd) {
		snprintf(f->err, sizeof(f->err), "no command %s", words[0]);
		return CTL_USAGE;
	}
	c.cmd = words[0];
	c.argc = n - 1;
	c.argv = words + 1;
	rc = cmd->run(&c);
	snprintf(f->err, sizeof(f->err), "%s", c.err);
	names_free(&f->msgs);
	f->msgs = c.msgs;
	f->imported = c.imported;
	return rc;
}

#define IQN "iqn.2026-11.com.example:t1"
#define TPG "/iscsi/" IQN "/tpg1"
#define INI "iqn.1994-05.com.redhat:client1"

static json_t *first_tpg(struct fixture *f)
{
	return json_array_get(json_object_get(json_array_get(json_object_get(f->cfg, "targets"),
							      0), "tpgs"), 0);
}

static void build(struct fixture *f)
{
	assert_int_equal(run(f, "/backstores/fileio", "create disk0 /srv/d0.img 1G"), CTL_OK);
	assert_int_equal(run(f, "/backstores/ramdisk", "create name=rd0 size=64M"), CTL_OK);
	assert_int_equal(run(f, "/iscsi", "create " IQN), CTL_OK);
	assert_int_equal(run(f, TPG "/acls", "create " INI), CTL_OK);
	assert_int_equal(run(f, TPG "/luns", "create /backstores/fileio/disk0"), CTL_OK);
	assert_int_equal(run(f, TPG "/luns", "create storage_object=/backstores/ramdisk/rd0 lun=lun3"),
			 CTL_OK);
}

static void test_create_positional_and_keyword(void **state)
{
	struct fixture *f = *state;
	json_t *so;

	build(f);
	so = json_array_get(json_object_get(f->cfg, "storage_objects"), 0);
	assert_string_equal(tree_str(so, "plugin"), "fileio");
	assert_string_equal(tree_str(so, "dev"), "/srv/d0.img");
	assert_int_equal(tree_int(so, "size", 0), 1LL << 30);
	assert_false(tree_int(so, "write_back", 1));
	assert_int_equal(strlen(tree_str(so, "wwn")), 36);
	so = json_array_get(json_object_get(f->cfg, "storage_objects"), 1);
	assert_int_equal(tree_int(so, "size", 0), 64LL << 20);
	assert_null(json_object_get(so, "wwn"));
	/* A new target comes with tpg1, enabled. */
	assert_int_equal(tree_int(first_tpg(f), "tag", 0), 1);
	assert_true(tree_int(first_tpg(f), "enable", 0));
}

static void test_bad_arguments_are_named(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f, "/backstores/fileio", "create disk1 /x sise=1G"), CTL_USAGE);
	assert_non_null(strstr(f->err, "'sise'"));
	assert_int_equal(run(f, "/backstores/fileio", "create disk1"), CTL_USAGE);
	assert_non_null(strstr(f->err, "'file_or_dev'"));
	assert_int_equal(run(f, "/backstores/ramdisk", "create rd size=12Q"), CTL_USAGE);
	assert_non_null(strstr(f->err, "size='12Q'"));
	assert_int_equal(run(f, "/backstores/block", "create b0 dev=relative/path"), CTL_USAGE);
	assert_non_null(strstr(f->err, "dev='relative/path'"));
	assert_int_equal(run(f, "/iscsi", "create not-an-iqn"), CTL_USAGE);
	assert_non_null(strstr(f->err, "not-an-iqn"));
	assert_int_equal(run(f, "/backstores/ramdisk", "create rd 1M extra"), CTL_USAGE);
	assert_non_null(strstr(f->err, "'extra'"));
	assert_int_equal(run(f, "/backstores/ramdisk", "create rd 1M name=x"), CTL_USAGE);
	assert_non_null(strstr(f->err, "'name' given twice"));
}

static void test_luns_and_acls_map_each_other(void **state)
{
	struct fixture *f = *state;
	json_t *acl, *ml;

	build(f);
	acl = json_array_get(json_object_get(first_tpg(f), "node_acls"), 0);
	ml = json_object_get(acl, "mapped_luns");
	assert_int_equal(json_array_size(ml), 2);
	assert_int_equal(tree_int(json_array_get(ml, 1), "index", -1), 3);
	assert_int_equal(tree_int(json_array_get(ml, 1), "tpg_lun", -1), 3);
	/* A second ACL gets every existing LUN mapped at its own number. */
	assert_int_equal(run(f, TPG "/acls", "create iqn.1998-01.com.vmware:esx1"), CTL_OK);
	acl = json_array_get(json_object_get(first_tpg(f), "node_acls"), 1);
	assert_int_equal(json_array_size(json_object_get(acl, "mapped_luns")), 2);
	/* Same storage object twice in one TPG is refused. */
	assert_int_equal(run(f, TPG "/luns", "create /backstores/fileio/disk0"), CTL_USAGE);
	assert_int_equal(run(f, TPG "/luns", "create /backstores/fileio/nope"), CTL_USAGE);
	assert_non_null(strstr(f->err, "/backstores/fileio/nope"));
}

static void test_delete_cascades_like_rtslib(void **state)
{
	struct fixture *f = *state;
	json_t *acl;

	build(f);
	assert_int_equal(run(f, "/backstores/ramdisk", "delete rd0"), CTL_OK);
	assert_int_equal(json_array_size(json_object_get(f->cfg, "storage_objects")), 1);
	assert_int_equal(json_array_size(json_object_get(first_tpg(f), "luns")), 1);
	acl = json_array_get(json_object_get(first_tpg(f), "node_acls"), 0);
	assert_int_equal(json_array_size(json_object_get(acl, "mapped_luns")), 1);
	assert_int_equal(run(f, TPG "/luns", "delete lun0"), CTL_OK);
	assert_int_equal(json_array_size(json_object_get(acl, "mapped_luns")), 0);
	assert_int_equal(run(f, TPG "/acls", "delete " INI), CTL_OK);
	assert_int_equal(json_array_size(json_object_get(first_tpg(f), "node_acls")), 0);
	assert_int_equal(run(f, "/iscsi/" IQN, "delete tpg1"), CTL_OK);
	assert_int_equal(run(f, "/iscsi", "delete " IQN), CTL_OK);
	assert_int_equal(json_array_size(json_object_get(f->cfg, "targets")), 0);
	assert_int_equal(run(f, "/iscsi", "delete " IQN), CTL_USAGE);
}

static void assert_msg(struct fixture *f, const char *want)
{
	for (size_t i = 0; i < f->msgs.n; i++)
		if (!strcmp(f->msgs.v[i], want))
			return;
	fail_msg("no line '%s' (%zu lines, first '%s')", want, f->msgs.n,
		 f->msgs.n ? f->msgs.v[0] : "");
}

static void test_delete_names_what_it_deletes(void **state)
{
	struct fixture *f = *state;

	build(f);
	assert_int_equal(run(f, TPG "/luns", "delete lun7"), CTL_USAGE);
	assert_string_equal(f->err, "delete: lun='lun7': no such LUN");
	assert_int_equal(run(f, TPG "/luns", "delete lunX"), CTL_USAGE);
	assert_string_equal(f->err, "delete: lun='lunX' is not a number in 0..16383");
	assert_int_equal(run(f, TPG "/acls/" INI, "delete mapped_lun=mapped_lun3"), CTL_OK);
	assert_msg(f, "Deleted Mapped LUN 3.");
	assert_int_equal(run(f, TPG "/acls/" INI, "delete 3"), CTL_USAGE);
	assert_string_equal(f->err, "delete: mapped_lun='3': no such mapped LUN");
	assert_int_equal(run(f, TPG "/luns", "delete 3"), CTL_OK);
	assert_msg(f, "Deleted LUN 3.");
	assert_int_equal(run(f, TPG "/acls", "delete wwn=" INI), CTL_OK);
	assert_msg(f, "Deleted Node ACL " INI ".");
	assert_int_equal(run(f, TPG "/acls", "delete " INI), CTL_USAGE);
	assert_string_equal(f->err, "delete: wwn='" INI "': no such ACL");
	assert_int_equal(run(f, "/iscsi/" IQN, "delete tpg2"), CTL_USAGE);
	assert_string_equal(f->err, "delete: tag='tpg2': no such TPG");
	assert_int_equal(run(f, "/iscsi/" IQN, "delete 1"), CTL_OK);
	assert_msg(f, "Deleted TPG 1.");
	assert_int_equal(run(f, "/iscsi", "delete " IQN), CTL_OK);
	assert_msg(f, "Deleted Target " IQN ".");
	assert_int_equal(run(f, "/iscsi", "delete " IQN), CTL_USAGE);
	assert_string_equal(f->err, "delete: wwn='" IQN "': no such target");
}

/* rtslib's write_back is emulate_write_cache: setting one sets both. */
static void test_write_cache_attribute_sets_write_back(void **state)
{
	struct fixture *f = *state;
	json_t *so;

	build(f);
	so = json_array_get(json_object_get(f->cfg, "storage_objects"), 0);
	assert_int_equal(run(f, "/backstores/fileio/disk0", "set attribute emulate_write_cache=1"),
			 CTL_OK);
	assert_true(json_is_true(json_object_get(so, "write_back")));
	assert_int_equal(run(f, "/backstores/fileio/disk0", "set attribute emulate_write_cache=0"),
			 CTL_OK);
	assert_true(json_is_false(json_object_get(so, "write_back")));
	/* A ramdisk has no write_back key for tandemd to refuse. */
	so = json_array_get(json_object_get(f->cfg, "storage_objects"), 1);
	assert_int_equal(run(f, "/backstores/ramdisk/rd0", "set attribute emulate_write_cache=1"),
			 CTL_OK);
	assert_null(json_object_get(so, "write_back"));
}

static void test_restore_and_clear_edit_the_config(void **state)
{
	struct fixture *f = *state;
	char path[] = "/tmp/test_ctl_tree.XXXXXX", line[128];
	int fd = mkstemp(path);
	FILE *fp;

	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs("{\"storage_objects\": [{\"plugin\": \"ramdisk\", \"name\": \"r9\", "
	      "\"size\": 1048576}], \"targets\": []}", fp);
	fclose(fp);
	build(f);
	snprintf(line, sizeof(line), "restoreconfig %s", path);
	assert_int_equal(run(f, "/", line), CTL_USAGE);
	assert_non_null(strstr(f->err, "not restoring"));
	assert_int_equal(json_array_size(json_object_get(f->cfg, "storage_objects")), 2);
	snprintf(line, sizeof(line), "restoreconfig %s clear_existing", path);
	assert_int_equal(run(f, "/", line), CTL_OK);
	unlink(path);
	assert_true(f->imported);
	assert_int_equal(json_array_size(json_object_get(f->cfg, "storage_objects")), 1);
	assert_int_equal(json_array_size(json_object_get(f->cfg, "targets")), 0);
	assert_int_equal(run(f, "/", "clearconfig"), CTL_USAGE);
	assert_int_equal(run(f, "/", "clearconfig confirm=true"), CTL_OK);
	assert_false(f->imported);
	assert_int_equal(json_array_size(json_object_get(f->cfg, "storage_objects")), 0);
}

static void test_set_and_get_groups(void **state)
{
	struct fixture *f = *state;
	json_t *acl;

	build(f);
	assert_int_equal(run(f, TPG, "set attribute authentication=1 generate_node_acls=0"), CTL_OK);
	assert_int_equal(tree_int(json_object_get(first_tpg(f), "attributes"), "authentication", 0), 1);
	assert_int_equal(run(f, TPG, "set parameter MaxRecvDataSegmentLength=65536"), CTL_OK);
	assert_string_equal(tree_str(json_object_get(first_tpg(f), "parameters"),
				     "MaxRecvDataSegmentLength"), "65536");
	assert_int_equal(run(f, TPG "/acls/" INI, "set auth userid=host1 password=secret-12345"),
			 CTL_OK);
	acl = json_array_get(json_object_get(first_tpg(f), "node_acls"), 0);
	assert_string_equal(tree_str(acl, "chap_userid"), "host1");
	assert_int_equal(run(f, TPG "/acls/" INI, "get auth userid"), CTL_OK);
	assert_string_equal(f->msgs.v[0], "userid=host1");
	/* An empty value removes the key, as an unset CHAP credential. */
	assert_int_equal(run(f, TPG "/acls/" INI, "set auth password="), CTL_OK);
	assert_null(json_object_get(acl, "chap_password"));
	assert_int_equal(run(f, TPG, "set attribute nosuch=1"), CTL_USAGE);
	assert_non_null(strstr(f->err, "'nosuch'"));
	assert_int_equal(run(f, TPG, "set attribute authentication=yes"), CTL_USAGE);
	assert_int_equal(run(f, "/backstores/fileio/disk0", "set parameter x=1"), CTL_USAGE);
	assert_non_null(strstr(f->err, "'parameter'"));
	assert_int_equal(run(f, TPG, "disable"), CTL_OK);
	assert_false(tree_int(first_tpg(f), "enable", 1));
}

static void test_portals(void **state)
{
	struct fixture *f = *state;
	json_t *p;

	build(f);
	assert_int_equal(run(f, TPG "/portals", "create 127.0.0.1 3261"), CTL_OK);
	assert_int_equal(run(f, TPG "/portals", "create ::1"), CTL_OK);
	p = json_array_get(json_object_get(first_tpg(f), "portals"), 1);
	assert_string_equal(tree_str(p, "ip_address"), "[::1]");
	assert_int_equal(tree_int(p, "port", 0), 3260);
	assert_int_equal(run(f, TPG "/portals", "create 127.0.0.1 3261"), CTL_USAGE);
	assert_int_equal(run(f, TPG "/portals", "create 127.0.0.1 70000"), CTL_USAGE);
	assert_non_null(strstr(f->err, "ip_port='70000'"));
	assert_int_equal(run(f, TPG "/portals", "delete ::1 3260"), CTL_OK);
	assert_int_equal(json_array_size(json_object_get(first_tpg(f), "portals")), 1);
}

static void test_resolve_relative_paths(void **state)
{
	struct fixture *f = *state;
	struct node n;
	char err[256];

	build(f);
	assert_int_equal(tree_resolve(f->cfg, TPG, "../tpg1/luns/lun3", &n, err, sizeof(err)), 0);
	assert_int_equal(n.kind, NODE_LUN);
	assert_string_equal(n.path, TPG "/luns/lun3");
	assert_int_equal(tree_resolve(f->cfg, TPG "/luns", "../../../..", &n, err, sizeof(err)), 0);
	assert_int_equal(n.kind, NODE_ROOT);
	assert_int_equal(tree_resolve(f->cfg, "/", "/iscsi/nope/tpg1", &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/iscsi/nope"));
}

static void assert_completes(struct fixture *f, const char *cwd, const char *line,
			     const char *want)
{
	struct names out = { 0 };
	bool found = false;

	assert_int_equal(complete_line(f->cfg, cwd, line, strlen(line), &out), 0);
	for (size_t i = 0; i < out.n; i++)
		found |= !strcmp(out.v[i], want);
	if (!found)
		fail_msg("'%s' at %s: no candidate '%s' (%zu candidates, first '%s')", line, cwd,
			 want, out.n, out.n ? out.v[0] : "");
	names_free(&out);
}

static void test_completion(void **state)
{
	struct fixture *f = *state;

	build(f);
	assert_completes(f, "/", "/isc", "/iscsi/");
	assert_completes(f, "/", "/iscsi/iqn", "/iscsi/" IQN "/");
	assert_completes(f, "/", "cd /backstores/f", "/backstores/fileio/");
	assert_completes(f, "/iscsi", "cd iq", IQN "/");
	assert_completes(f, TPG "/luns", "cr", "create ");
	assert_completes(f, TPG "/luns", "create /backstores/r", "/backstores/ramdisk/rd0 ");
	assert_completes(f, TPG, "set a", "attribute ");
	assert_completes(f, TPG, "set attribute gen", "generate_node_acls=");
	assert_completes(f, TPG, "set parameter MaxR", "MaxRecvDataSegmentLength=");
	assert_completes(f, TPG "/acls/" INI, "set auth mu", "mutual_userid=");
	assert_completes(f, "/backstores/fileio", "create disk9 f", "file_or_dev=");
	assert_completes(f, "/backstores/block", "create ", "dev=");
	assert_completes(f, TPG "/luns", "delete ", "lun3 ");
	assert_completes(f, "/", TPG " en", "enable ");
}

static void test_sizes(void **state)
{
	long long v;

	(void)state;
	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("1G", &v), 0);
	assert_int_equal(v, 1LL << 30);
	assert_int_equal(parse_size("512mB", &v), 0);
	assert_int_equal(v, 512LL << 20);
	assert_int_equal(parse_size("-1", &v), -1);
	assert_int_equal(parse_size("1X", &v), -1);
	assert_int_equal(parse_size("99999999999T", &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_positional_and_keyword, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments_are_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_luns_and_acls_map_each_other, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_cascades_like_rtslib, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_names_what_it_deletes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_cache_attribute_sets_write_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restore_and_clear_edit_the_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_set_and_get_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_relative_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_completion, setup, teardown),
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
