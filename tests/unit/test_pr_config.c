/* The storage object keys that say where persistent reservations are kept
 * (pr_store, pr_store_dev): defaults per plugin, and every refusal, each
 * naming the offending field. Documents are written with single quotes,
 * turned into double quotes by parse(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

static char err[1024];

/* A document with the given storage objects and no targets. */
static struct tconfig *parse(const char *objects)
{
	char json[4096];
	struct tconfig *c;

	snprintf(json, sizeof(json), "{'storage_objects': [%s], 'targets': []}", objects);
	for (char *p = json; *p; p++)
		if (*p == '\'')
			*p = '"';
	err[0] = '\0';
	c = config_parse(json, strlen(json), err, sizeof(err));
	return c;
}

#define FILEIO(name, extra)                                                   \
	"{'plugin': 'fileio', 'name': '" name "', 'dev': '/srv/" name ".img', "  \
	"'wwn': 'serial-" name "'" extra "}"

static void refused(const char *objects, const char *why)
{
	struct tconfig *c = parse(objects);

	assert_null(c);
	if (!strstr(err, why))
		fail_msg("refusal \"%s\" does not say \"%s\"", err, why);
}

static void test_defaults(void **state)
{
	(void)state;
	struct tconfig *c = parse(
		FILEIO("f0", "") ","
		"{'plugin': 'ramdisk', 'name': 'r0', 'size': 1048576},"
		"{'plugin': 'block', 'name': 'b1', 'dev': '/dev/sdz', 'wwn': 'serial-b1', 'readonly': true},"
		"{'plugin': 'block', 'name': 'b0', 'dev': '/dev/drbd0', 'wwn': 'serial-b0'}");

	assert_non_null(c);
	assert_int_equal(c->storage[0].lu.pr_store, SCSI_PR_STORE_INTERNAL);
	assert_int_equal(c->storage[1].lu.pr_store, SCSI_PR_STORE_NONE);
	assert_int_equal(c->storage[2].lu.pr_store, SCSI_PR_STORE_NONE);
	assert_int_equal(c->storage[3].lu.pr_store, SCSI_PR_STORE_INTERNAL);
	assert_false(c->pr_cold_start);
	config_free(c);
}

static void test_explicit(void **state)
{
	(void)state;
	struct tconfig *c = parse(
		FILEIO("f0", ", 'pr_store': 'none'") ","
		FILEIO("f1", ", 'pr_store': 'external', 'pr_store_dev': '/dev/drbd9'") ","
		FILEIO("f2", ", 'pr_store': 'internal'") ","
		"{'plugin': 'ramdisk', 'name': 'r0', 'size': 1048576, 'pr_store': 'none'}");

	assert_non_null(c);
	assert_int_equal(c->storage[0].lu.pr_store, SCSI_PR_STORE_NONE);
	assert_int_equal(c->storage[1].lu.pr_store, SCSI_PR_STORE_EXTERNAL);
	assert_string_equal(c->storage[1].lu.pr_store_dev, "/dev/drbd9");
	assert_int_equal(c->storage[2].lu.pr_store, SCSI_PR_STORE_INTERNAL);
	assert_int_equal(c->storage[3].lu.pr_store, SCSI_PR_STORE_NONE);
	config_free(c);
}

static void test_refusals(void **state)
{
	(void)state;
	refused(FILEIO("f0", ", 'pr_store': 'shared'"),
		"storage_objects[0].pr_store: \"shared\" is not internal, external or none");
	refused(FILEIO("f0", ", 'pr_store': 1"), "storage_objects[0].pr_store:");
	refused("{'plugin': 'ramdisk', 'name': 'r0', 'size': 1048576, 'pr_store': 'internal'}",
		"storage_objects[0].pr_store: \"internal\" needs a writable fileio or block object");
	refused("{'plugin': 'block', 'name': 'b1', 'dev': '/dev/sdz', 'wwn': 'serial-b1', 'readonly': true, 'pr_store': 'internal'}",
		"a readonly object keeps its reservations in memory");
	refused(FILEIO("f0", ", 'pr_store': 'external'"),
		"storage_objects[0].pr_store_dev: missing");
	refused(FILEIO("f0", ", 'pr_store_dev': '/dev/drbd9'"),
		"storage_objects[0].pr_store_dev: given, but pr_store is not \"external\"");
	refused(FILEIO("f0", ", 'pr_store': 'external', 'pr_store_dev': 'drbd9'"),
		"must be an absolute path");
	refused(FILEIO("f0", ", 'pr_store': 'external', 'pr_store_dev': '/srv/f0.img'"),
		"is the object's own dev");
	refused(FILEIO("f0", ", 'pr_store': 'external', 'pr_store_dev': '/dev/drbd9'") ","
		FILEIO("f1", ", 'pr_store': 'external', 'pr_store_dev': '/dev/drbd9'"),
		"storage_objects[1].pr_store_dev: \"/dev/drbd9\" is already used by storage_objects[0]");
	refused(FILEIO("f0", "") ","
		FILEIO("f1", ", 'pr_store': 'external', 'pr_store_dev': '/srv/f0.img'"),
		"storage_objects[1].pr_store_dev: \"/srv/f0.img\" is already used by storage_objects[0]");
	refused(FILEIO("f0", ", 'pr_store': 'external', 'pr_store_dev': '/srv/f1.img'") ","
		FILEIO("f1", ""),
		"storage_objects[1].dev: \"/srv/f1.img\" is the PR store of storage_objects[0]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_explicit),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
