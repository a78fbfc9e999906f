/* saveconfig.json parsing: a targetcli-fb dump and a minimal file load with
 * the values and defaults expected; every refusal rule refuses with the
 * JSON path of the offending field. Inline documents are written with
 * single quotes (turned into double quotes by q()) to stay readable. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config.h"

#define ERRLEN 1024

static char err[ERRLEN];

static struct tconfig *q(const char *sq)
{
	char *json = strdup(sq);
	struct tconfig *c;

	assert_non_null(json);
	for (char *p = json; *p; p++)
		if (*p == '\'')
			*p = '"';
	err[0] = '\0';
	c = config_parse(json, strlen(json), err, sizeof(err));
	free(json);
	return c;
}

/* The document must be refused, err must start with "<path>: " and, if
 * given, contain why. */
static void refused(const char *sq, const char *path, const char *why)
{
	struct tconfig *c = q(sq);
	size_t n = strlen(path);

	if (c) {
		config_free(c);
		fail_msg("accepted, expected a refusal at %s", path);
	}
	if (strncmp(err, path, n) || strncmp(err + n, ": ", 2))
		fail_msg("err \"%s\" does not start with \"%s: \"", err, path);
	if (why && !strstr(err, why))
		fail_msg("err \"%s\" does not say \"%s\"", err, why);
}

static struct tconfig *accepted(const char *sq)
{
	struct tconfig *c = q(sq);

	if (!c)
		fail_msg("refused: %s", err);
	return c;
}

static const char *fixture(const char *name)
{
	/* The fixtures sit beside tests/unit; __FILE__ is the path the test
	 * was compiled from (relative to the repository root, where the
	 * tests run). */
	static char path[4096];
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 0;

	snprintf(path, sizeof(path), "%.*s%s../fixtures/config/%s", dir,
		 __FILE__, slash ? "/" : "", name);
	return path;
}

/* Building blocks of the inline documents. */
#define SERIAL0 "0f2c9a7e-5b13-4d2a-9c41-7e8f6a5b3c21"
#define SO_FILE(name, serial) \
	"{'name':'" name "','plugin':'fileio','dev':'/srv/" name ".img'," \
	"'size':1048576,'write_back':false,'wwn':'" serial "'}"
#define SO0 SO_FILE("disk0", SERIAL0)
#define SO1 SO_FILE("disk1", "7a1c3e5f-0b2d-4f6a-8c9e-1d3f5b7a9c0e")
#define TPG(extra) "{'tag':1,'attributes':{'authentication':0}" extra "}"
#define TGT(tpgs) \
	"{'fabric':'iscsi','wwn':'iqn.2003-01.org.example:t1','tpgs':[" tpgs "]}"
#define DOC(sos, tgts) "{'storage_objects':[" sos "],'targets':[" tgts "]}"
#define LUN(i, so) "{'index':" #i ",'storage_object':'" so "'}"
#define LUN0 LUN(0, "/backstores/fileio/disk0")
#define ACL(name, extra) "{'node_wwn':'" name "'" extra "}"
#define INIT1 "iqn.1994-05.com.redhat:client1"
/* A document with one TPG; extra is appended to the TPG object. */
#define ONE_TPG(extra) DOC(SO0, TGT(TPG(",'luns':[" LUN0 "]" extra)))
#define PARAM(kv) ONE_TPG(",'parameters':{" kv "}")

static void assert_limits_equal(const struct iscsi_limits *a,
				const struct iscsi_limits *b)
{
	assert_int_equal(a->header_digest_crc32c, b->header_digest_crc32c);
	assert_int_equal(a->header_digest_none, b->header_digest_none);
	assert_int_equal(a->data_digest_crc32c, b->data_digest_crc32c);
	assert_int_equal(a->data_digest_none, b->data_digest_none);
	assert_int_equal(a->max_connections, b->max_connections);
	assert_int_equal(a->initial_r2t, b->initial_r2t);
	assert_int_equal(a->immediate_data, b->immediate_data);
	assert_int_equal(a->max_recv_dsl, b->max_recv_dsl);
	assert_int_equal(a->max_burst, b->max_burst);
	assert_int_equal(a->first_burst, b->first_burst);
	assert_int_equal(a->default_time2wait, b->default_time2wait);
	assert_int_equal(a->default_time2retain, b->default_time2retain);
	assert_int_equal(a->max_outstanding_r2t, b->max_outstanding_r2t);
	assert_int_equal(a->data_pdu_in_order, b->data_pdu_in_order);
	assert_int_equal(a->data_seq_in_order, b->data_seq_in_order);
	assert_int_equal(a->error_recovery_level, b->error_recovery_level);
}

/* --- loading what targetcli writes --------------------------------- */

static void test_full_fixture(void **state)
{
	static const uint8_t naa_drbd0[16] = {
		/* From LIO's rule by hand: 6 | 001405 | the first 25 hex
		 * digits of "b3f5c2a1-9d4e-4c7b-8a6f-0e1d2c3b4a59", i.e.
		 * b 3f 5c 2a 19 d4 e4 c7 b8 a6 f0 e1 d2. */
		0x60, 0x01, 0x40, 0x5b, 0x3f, 0x5c, 0x2a, 0x19,
		0xd4, 0xe4, 0xc7, 0xb8, 0xa6, 0xf0, 0xe1, 0xd2,
	};
	struct tconfig *c = config_load(fixture("full.json"), err, sizeof(err));
	const struct cfg_storage *s;
	const struct cfg_tpg *t;
	const struct cfg_acl *a;

	if (!c)
		fail_msg("%s", err);
	assert_int_equal(c->nstorage, 3);

	s = &c->storage[0];
	assert_int_equal(s->bs.kind, BS_BLOCK);
	assert_string_equal(s->bs.name, "drbd0");
	assert_string_equal(s->lu.name, "drbd0");
	assert_string_equal(s->bs.path, "/dev/drbd0");
	assert_int_equal(s->bs.size, 0);
	assert_int_equal(s->bs.block_size, 512);
	assert_false(s->bs.write_back);
	assert_false(s->bs.readonly);
	assert_false(s->lu.write_cache);
	assert_true(s->lu.emulate_tpu);
	assert_true(s->lu.emulate_tpws);
	assert_string_equal(s->wwn, "b3f5c2a1-9d4e-4c7b-8a6f-0e1d2c3b4a59");
	assert_string_equal(s->lu.serial, s->wwn);
	assert_string_equal(s->lu.vendor, "TANDEM");
	assert_string_equal(s->lu.product, "IBLOCK");
	assert_string_equal(s->lu.revision, "4.0");
	assert_memory_equal(s->lu.naa, naa_drbd0, 16);

	s = &c->storage[1];
	assert_int_equal(s->bs.kind, BS_FILEIO);
	assert_string_equal(s->bs.path, "/var/lib/tandem/disk0.img");
	assert_int_equal(s->bs.size, 1073741824);
	assert_int_equal(s->bs.block_size, 4096);
	assert_true(s->bs.write_back);
	assert_true(s->lu.write_cache);
	assert_false(s->lu.emulate_tpu);
	/* emulate_model_alias=1: LIO reports the object's name. */
	assert_string_equal(s->lu.product, "disk0");

	s = &c->storage[2];
	assert_int_equal(s->bs.kind, BS_RAMDISK);
	assert_int_equal(s->bs.size, 268435456);
	assert_string_equal(s->lu.product, "RAMDISK-MCP");
	assert_false(s->lu.write_cache);

	assert_int_equal(c->ntargets, 1);
	assert_string_equal(c->targets[0].wwn,
			    "iqn.2003-01.org.linux-iscsi.node1.x8664:sn.4a2b6c8d0e1f");
	assert_int_equal(c->targets[0].ntpgs, 1);
	t = &c->targets[0].tpgs[0];
	assert_int_equal(t->tag, 1);
	assert_true(t->enable);
	assert_true(t->authentication);
	assert_false(t->generate_node_acls);
	assert_true(t->demo_mode_write_protect);
	assert_true(t->auth_chap_allowed);
	assert_true(t->auth_none_allowed);
	assert_string_equal(t->alias, "LIO Target");
	assert_string_equal(t->auth.userid, "");
	assert_true(t->limits.header_digest_crc32c);
	assert_true(t->limits.header_digest_none);
	assert_true(t->limits.data_digest_crc32c);
	assert_true(t->limits.data_digest_none);
	assert_int_equal(t->limits.max_connections, 1);
	assert_true(t->limits.initial_r2t);
	assert_true(t->limits.immediate_data);
	assert_int_equal(t->limits.max_recv_dsl, 8192);
	assert_int_equal(t->limits.max_burst, 262144);
	assert_int_equal(t->limits.first_burst, 65536);
	assert_int_equal(t->limits.default_time2wait, 2);
	assert_int_equal(t->limits.default_time2retain, 20);
	assert_int_equal(t->limits.max_outstanding_r2t, 1);
	assert_true(t->limits.data_pdu_in_order);
	assert_true(t->limits.data_seq_in_order);
	assert_int_equal(t->limits.error_recovery_level, 0);

	assert_int_equal(t->nluns, 2);
	assert_int_equal(t->luns[0].index, 0);
	assert_int_equal(t->luns[0].storage, 0);
	assert_string_equal(t->luns[0].alias, "8d5c0f9e3a");
	assert_int_equal(t->luns[1].index, 1);
	assert_int_equal(t->luns[1].storage, 1);

	assert_int_equal(t->nacls, 2);
	a = &t->acls[0];
	assert_string_equal(a->node_wwn, INIT1);
	assert_string_equal(a->auth.userid, "client1");
	assert_string_equal(a->auth.password, "client1-secret-12");
	assert_string_equal(a->auth.mutual_userid, "node1-target");
	assert_string_equal(a->auth.mutual_password, "mutual-secret-34");
	assert_int_equal(a->nmapped, 2);
	assert_int_equal(a->mapped[0].index, 0);
	assert_int_equal(a->mapped[0].tpg_lun, 0);
	assert_false(a->mapped[0].write_protect);
	assert_int_equal(a->mapped[1].index, 1);
	assert_int_equal(a->mapped[1].tpg_lun, 1);
	assert_true(a->mapped[1].write_protect);
	a = &t->acls[1];
	assert_string_equal(a->node_wwn, "iqn.1998-01.com.vmware:esx02-5f3e2d1c");
	assert_string_equal(a->auth.userid, "esx02");
	assert_string_equal(a->auth.mutual_password, "esx-mutual-secret");
	assert_int_equal(a->nmapped, 1);
	assert_int_equal(a->mapped[0].index, 3);
	assert_int_equal(a->mapped[0].tpg_lun, 1);

	assert_int_equal(t->nportals, 2);
	assert_string_equal(t->portals[0].ip, "192.168.10.50");
	assert_int_equal(t->portals[0].port, 3260);
	/* rtslib dumps IPv6 portals in brackets; tandem keeps none. */
	assert_string_equal(t->portals[1].ip, "fd00::50");
	assert_int_equal(t->portals[1].port, 3260);
	config_free(c);
}

static void test_minimal_fixture(void **state)
{
	struct tconfig *c = config_load(fixture("minimal.json"), err, sizeof(err));
	struct iscsi_limits dflt;
	const struct cfg_tpg *t;

	if (!c)
		fail_msg("%s", err);
	assert_int_equal(c->nstorage, 1);
	assert_int_equal(c->storage[0].bs.kind, BS_RAMDISK);
	assert_int_equal(c->storage[0].bs.size, 1048576);
	assert_int_equal(c->storage[0].bs.block_size, 512);
	assert_string_equal(c->storage[0].lu.vendor, "TANDEM");
	assert_string_equal(c->storage[0].lu.product, "RAMDISK-MCP");
	assert_string_equal(c->storage[0].lu.revision, "4.0");
	assert_true(c->storage[0].lu.serial[0] != '\0');
	t = &c->targets[0].tpgs[0];
	/* Absent attributes and parameters take LIO's and tandem's
	 * defaults. */
	assert_true(t->enable);
	assert_true(t->authentication);
	assert_false(t->generate_node_acls);
	assert_true(t->demo_mode_write_protect);
	assert_true(t->auth_chap_allowed);
	assert_true(t->auth_none_allowed);
	assert_string_equal(t->alias, "");
	iscsi_limits_default(&dflt);
	assert_limits_equal(&t->limits, &dflt);
	assert_int_equal(t->nluns, 1);
	assert_int_equal(t->nacls, 0);
	assert_null(t->acls);
	assert_int_equal(t->nportals, 1);
	assert_string_equal(t->portals[0].ip, "127.0.0.1");
	config_free(c);
}

static void test_empty_document(void **state)
{
	struct tconfig *c = accepted("{}");

	assert_int_equal(c->nstorage, 0);
	assert_int_equal(c->ntargets, 0);
	config_free(c);
	refused("[]", "(top level)", "must be a JSON object");
	refused("{'storage_objects':[],'bogus':1}", "bogus", "unknown key");
}

static void test_bad_json(void **state)
{
	assert_null(q("{'targets': [}"));
	assert_non_null(strstr(err, "not valid JSON: line 1"));
	/* A repeated key would let one copy win silently. */
	assert_null(q("{'targets':[],'targets':[]}"));
	assert_non_null(strstr(err, "not valid JSON"));
}

/* --- identity: serial and NAA --------------------------------------- */

static void test_naa_lio_rule(void **state)
{
	/* Non-hex characters are skipped and what the serial does not fill
	 * stays zero: "disk-01" gives the digits d, 0, 1. */
	static const uint8_t short_naa[16] = {
		0x60, 0x01, 0x40, 0x5d, 0x01,
	};
	/* An even count ends on a high nibble: "xyz-ab" gives a, b. */
	static const uint8_t even_naa[16] = {
		0x60, 0x01, 0x40, 0x5a, 0xb0,
	};
	struct tconfig *c;

	c = accepted(DOC(SO_FILE("a", "disk-01") "," SO_FILE("b", "xyz-ab"), ""));
	assert_memory_equal(c->storage[0].lu.naa, short_naa, 16);
	assert_memory_equal(c->storage[1].lu.naa, even_naa, 16);
	config_free(c);

	/* LIO's hex_to_bin takes either case. */
	c = accepted(DOC(SO_FILE("a", "B3F5C2A1-9D4E-4C7B-8A6F-0E1D2C3B4A59"), ""));
	assert_int_equal(c->storage[0].lu.naa[3], 0x5b);
	assert_int_equal(c->storage[0].lu.naa[15], 0xd2);
	config_free(c);
}

static void test_ramdisk_identity(void **state)
{
	/* Derived from the name alone, so it must never change between
	 * tandem versions: hard-coded (checked with an independent FNV-1a
	 * computation of the rule in config_storage.c). */
	static const char ram0_serial[] = "fdde5905-c09a-0c68-46a3-7434f34b0fd7";
	struct tconfig *c, *d;

	c = accepted("{'storage_objects':[{'name':'ram0','plugin':'ramdisk','size':4096}]}");
	d = accepted("{'storage_objects':[{'name':'ram1','plugin':'ramdisk','size':4096},"
		     "{'name':'ram0','plugin':'rd_mcp','size':8192}]}");
	assert_string_equal(c->storage[0].lu.serial, ram0_serial);
	assert_string_equal(c->storage[0].wwn, ram0_serial);
	assert_string_equal(d->storage[1].lu.serial, ram0_serial);
	assert_memory_equal(c->storage[0].lu.naa, d->storage[1].lu.naa, 16);
	assert_string_not_equal(d->storage[0].lu.serial, ram0_serial);
	config_free(c);
	config_free(d);
	/* Any other plugin needs its serial written down. */
	refused(DOC("{'name':'d','plugin':'fileio','dev':'/srv/d','size':4096}", ""),
		"storage_objects[0].wwn", "missing: set the LU's unit serial");
	refused(DOC("{'name':'d','plugin':'block','dev':'/dev/sdb'}", ""),
		"storage_objects[0].wwn", "would differ between the two nodes");
}

static void test_identity_extensions(void **state)
{
	struct tconfig *c = accepted(DOC(
		"{'name':'d','plugin':'block','dev':'/dev/drbd1','wwn':'" SERIAL0 "',"
		"'vendor_id':'LIO-ORG','product_id':'drbd1-volume','revision':'4.1',"
		"'naa':'6001405ABCDEF0123456789abcdef012'}", ""));
	static const uint8_t naa[16] = {
		0x60, 0x01, 0x40, 0x5a, 0xbc, 0xde, 0xf0, 0x12,
		0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12,
	};

	assert_string_equal(c->storage[0].lu.vendor, "LIO-ORG");
	assert_string_equal(c->storage[0].lu.product, "drbd1-volume");
	assert_string_equal(c->storage[0].lu.revision, "4.1");
	assert_memory_equal(c->storage[0].lu.naa, naa, 16);
	config_free(c);

	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'vendor_id':'TANDEMXYZ'}", ""),
		"storage_objects[0].vendor_id", "at most 8");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'product_id':'01234567890123456'}", ""),
		"storage_objects[0].product_id", "at most 16");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'revision':'4.0.1'}", ""),
		"storage_objects[0].revision", "at most 4");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'vendor_id':''}", ""),
		"storage_objects[0].vendor_id", "empty");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'naa':'5001405abcdef0123456789abcdef012'}", ""),
		"storage_objects[0].naa", "must start with 6");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'naa':'6001405abcdef'}", ""),
		"storage_objects[0].naa", "32 hex digits");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'naa':'6001405abcdef0123456789abcdefxyz'}", ""),
		"storage_objects[0].naa", "32 hex digits");
	/* Two serials that share their first 25 hex digits would make two
	 * LUs one disk for multipath. */
	refused(DOC(SO_FILE("a", "11111111-2222-3333-4444-555555555555") ","
		    SO_FILE("b", "11111111-2222-3333-4444-55555-xyz"), ""),
		"storage_objects[1].wwn", "same NAA designator");
	refused(DOC(SO0 "," SO_FILE("b", SERIAL0), ""),
		"storage_objects[1].wwn", "already that of storage_objects[0]");
}

/* --- storage objects ------------------------------------------------- */

static void test_storage_refusals(void **state)
{
	refused(DOC(SO0 ",{'name':'sdb','plugin':'pscsi','dev':'/dev/sdb'}", ""),
		"storage_objects[1].plugin",
		"\"pscsi\" is not supported by tandem (pass-through SCSI needs the kernel)");
	refused(DOC("{'name':'rbd0','plugin':'user:rbd','config':'rbd/pool/img','size':4096}", ""),
		"storage_objects[0].plugin", "not supported by tandem");
	refused(DOC("{'name':'x','plugin':'nvme'}", ""),
		"storage_objects[0].plugin", "unknown plugin");
	refused(DOC("{'name':'x'}", ""), "storage_objects[0].plugin", "missing");
	refused(DOC(SO0 "," SO_FILE("disk0", "7a1c3e5f-0b2d-4f6a-8c9e-1d3f5b7a9c0e"), ""),
		"storage_objects[1].name", "\"disk0\" is already the name of storage_objects[0]");
	/* Unique per plugin in LIO, but tandem names LUs by name alone. */
	refused(DOC(SO0 ",{'name':'disk0','plugin':'ramdisk','size':4096}", ""),
		"storage_objects[1].name", "already the name");
	refused(DOC(SO0 ",{'name':'disk1','plugin':'fileio','dev':'/srv/disk0.img','size':4096,'wwn':'x1'}", ""),
		"storage_objects[1].dev", "already the backing store");
	refused(DOC("{'name':'d','plugin':'fileio','dev':'disk.img','size':4096,'wwn':'x'}", ""),
		"storage_objects[0].dev", "absolute path");
	refused(DOC("{'name':'0123456789012345678901234567890123456789012345678901234567890123',"
		    "'plugin':'ramdisk','size':4096}", ""),
		"storage_objects[0].name", "64 bytes long; at most 63 fit");
	refused(DOC("{'name':'my disk','plugin':'ramdisk','size':4096}", ""),
		"storage_objects[0].name", "spaces");
	refused(DOC("{'name':'a/b','plugin':'ramdisk','size':4096}", ""),
		"storage_objects[0].name", "'/'");
	refused(DOC("{'name':'','plugin':'ramdisk','size':4096}", ""),
		"storage_objects[0].name", "empty");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'dev':'/dev/x'}", ""),
		"storage_objects[0].dev", "unknown key");
	refused(DOC("{'name':'d','plugin':'block','dev':'/dev/sdb','wwn':'x','size':4096}", ""),
		"storage_objects[0].size", "unknown key");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':0}", ""),
		"storage_objects[0].size", "outside");
	refused(DOC("{'name':'d','plugin':'ramdisk'}", ""),
		"storage_objects[0].size", "missing");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':1000}", ""),
		"storage_objects[0].size", "not a multiple of the block size 512");
	refused(DOC("{'name':'d','plugin':'fileio','dev':'/f','wwn':'x','size':6144,"
		    "'attributes':{'block_size':4096}}", ""),
		"storage_objects[0].size", "not a multiple of the block size 4096");
	refused(DOC("{'name':'d','plugin':'fileio','dev':'/f','wwn':'x','size':'1G'}", ""),
		"storage_objects[0].size", "must be an integer");
	refused(DOC("{'name':'d','plugin':'fileio','dev':'/f','wwn':'x','size':-4096}", ""),
		"storage_objects[0].size", "outside");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'nullio':true}", ""),
		"storage_objects[0].nullio", "not supported");
	refused(DOC("{'name':'d','plugin':'block','dev':'/dev/sdb','wwn':'x','readonly':1}", ""),
		"storage_objects[0].readonly", "true or false");
	refused(DOC("{'name':'d','plugin':'fileio','dev':'/f','wwn':'x','size':4096,"
		    "'write_back':true,'attributes':{'emulate_write_cache':0}}", ""),
		"storage_objects[0].write_back", "without the initiator knowing");
	refused(DOC("{'name':'d','plugin':'fileio','dev':'/f','wwn':'x\\u0001','size':4096}", ""),
		"storage_objects[0].wwn", "control character");
	refused(DOC("{'name':'d','plugin':'fileio','dev':'/f','size':4096,"
		    "'wwn':'01234567890123456789012345678901234567890123456789012345678901234'}", ""),
		"storage_objects[0].wwn", "at most 64");
	refused(DOC("[]", ""), "storage_objects[0]", "must be a JSON object");
	refused("{'storage_objects':{}}", "storage_objects", "must be a list");
}

static void test_storage_accepts(void **state)
{
	struct tconfig *c = accepted(DOC(
		"{'name':'b','plugin':'iblock','dev':'/dev/sdb','wwn':'s1','readonly':true,"
		"'write_back':true,'exists':true,'attributes':{'emulate_write_cache':1,"
		"'fabric_max_sectors':8192,'hw_block_size':512}},"
		"{'name':'r','plugin':'rd_mcp','size':8192,'nullio':false,'alua_tpgs':[]}",
		TGT(TPG(",'luns':[" LUN(0, "/backstores/block/b") "," LUN(1, "/backstores/ramdisk/r") "]"))));

	/* "iblock" and "rd_mcp" are rtslib's restore aliases. */
	assert_int_equal(c->storage[0].bs.kind, BS_BLOCK);
	assert_true(c->storage[0].bs.readonly);
	assert_true(c->storage[0].lu.readonly);
	assert_true(c->storage[0].lu.write_cache);
	assert_int_equal(c->storage[1].bs.kind, BS_RAMDISK);
	assert_int_equal(c->targets[0].tpgs[0].luns[1].storage, 1);
	config_free(c);
	/* A LUN names the plugin as a dump does, never the alias. */
	refused(DOC("{'name':'b','plugin':'iblock','dev':'/dev/sdb','wwn':'s1'}",
		    TGT(TPG(",'luns':[" LUN(0, "/backstores/iblock/b") "]"))),
		"targets[0].tpgs[0].luns[0].storage_object", "no storage object");
}

static void test_storage_attributes(void **state)
{
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'attributes':{'emulate_bogus':1}}", ""),
		"storage_objects[0].attributes.emulate_bogus", "unknown attribute");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'attributes':{'emulate_tpu':2}}", ""),
		"storage_objects[0].attributes.emulate_tpu", "outside LIO's range 0..1");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'attributes':{'emulate_tpu':'1'}}", ""),
		"storage_objects[0].attributes.emulate_tpu", "must be an integer");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'attributes':{'block_size':1024}}", ""),
		"storage_objects[0].attributes.block_size", "512 or 4096");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'attributes':{'queue_depth':4294967296}}", ""),
		"storage_objects[0].attributes.queue_depth", "outside");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'attributes':[]}", ""),
		"storage_objects[0].attributes", "must be a JSON object");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'alua_tpgs':[{'name':'tg1','tg_pt_gp_id':2}]}", ""),
		"storage_objects[0].alua_tpgs[0].name", "not supported");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'alua_tpgs':[{'name':'default_tg_pt_gp','bogus':1}]}", ""),
		"storage_objects[0].alua_tpgs[0].bogus", "unknown key");
	refused(DOC("{'name':'d','plugin':'ramdisk','size':4096,'alua_tpgs':[{'name':'default_tg_pt_gp','preferred':'x'}]}", ""),
		"storage_objects[0].alua_tpgs[0].preferred", "must be an integer");
}

/* --- targets, TPGs, LUNs ---------------------------------------------- */

static void test_target_refusals(void **state)
{
	refused(DOC(SO0, "{'fabric':'loopback','wwn':'naa.5001405abcdef012','tpgs':[]}"),
		"targets[0].fabric", "\"loopback\" is not supported (tandem serves iSCSI only)");
	refused(DOC(SO0, "{'wwn':'iqn.2003-01.org.example:t1'}"),
		"targets[0].fabric", "missing");
	refused(DOC(SO0, "{'fabric':'iscsi','tpgs':[]}"), "targets[0].wwn", "missing");
	refused(DOC(SO0, TGT("") "," TGT("")), "targets[1].wwn", "already targets[0]");
	refused(DOC(SO0, "{'fabric':'iscsi','wwn':'iqn.2003-01.org.example:t1','nexus':'x'}"),
		"targets[0].nexus", "unknown key");
	refused(DOC(SO0, TGT("{'luns':[]}")), "targets[0].tpgs[0].tag",
		"must be the same on both nodes");
	refused(DOC(SO0, TGT("{'tag':0}")), "targets[0].tpgs[0].tag", "outside 1..65535");
	refused(DOC(SO0, TGT("{'tag':65536}")), "targets[0].tpgs[0].tag", "outside");
	refused(DOC(SO0, TGT("{'tag':2},{'tag':2}")), "targets[0].tpgs[1].tag",
		"tag 2 is already tpgs[0]");
	refused(DOC(SO0, TGT("{'tag':1,'enable':1}")), "targets[0].tpgs[0].enable",
		"true or false");
	refused(DOC(SO0, TGT("{'tag':1,'nexus':'x'}")), "targets[0].tpgs[0].nexus",
		"unknown key");
}

static void test_lun_refusals(void **state)
{
	refused(DOC(SO0, TGT(TPG(",'luns':[" LUN0 "," LUN(1, "/backstores/fileio/disk0") ","
				LUN(2, "/backstores/fileio/disk9") "]"))),
		"targets[0].tpgs[0].luns[2].storage_object",
		"no storage object \"/backstores/fileio/disk9\"");
	/* The exact message, as the daemon will print it. */
	assert_string_equal(err, "targets[0].tpgs[0].luns[2].storage_object: "
			    "no storage object \"/backstores/fileio/disk9\"");
	refused(DOC(SO0, TGT(TPG(",'luns':[" LUN(0, "/backstores/block/disk0") "]"))),
		"targets[0].tpgs[0].luns[0].storage_object", "no storage object");
	refused(DOC(SO0, TGT(TPG(",'luns':[" LUN(0, "/backstores/disk0") "]"))),
		"targets[0].tpgs[0].luns[0].storage_object", "not a storage object path");
	refused(DOC(SO0, TGT(TPG(",'luns':[" LUN(0, "disk0") "]"))),
		"targets[0].tpgs[0].luns[0].storage_object", "not a storage object path");
	refused(DOC(SO0 "," SO1, TGT(TPG(",'luns':[" LUN0 "," LUN(0, "/backstores/fileio/disk1") "]"))),
		"targets[0].tpgs[0].luns[1].index", "LUN 0 is already in this TPG");
	refused(DOC(SO0, TGT(TPG(",'luns':[" LUN(16384, "/backstores/fileio/disk0") "]"))),
		"targets[0].tpgs[0].luns[0].index", "outside 0..16383");
	refused(DOC(SO0, TGT(TPG(",'luns':[{'storage_object':'/backstores/fileio/disk0'}]"))),
		"targets[0].tpgs[0].luns[0].index", "missing");
	refused(DOC(SO0, TGT(TPG(",'luns':[{'index':0,'storage_object':'/backstores/fileio/disk0',"
				"'alua_tg_pt_gp_name':'tg1'}]"))),
		"targets[0].tpgs[0].luns[0].alua_tg_pt_gp_name", "not supported");
	refused(DOC(SO0, TGT(TPG(",'luns':[{'index':0,'storage_object':'/backstores/fileio/disk0',"
				"'alias':'a/b'}]"))),
		"targets[0].tpgs[0].luns[0].alias", "'/'");
	refused(DOC(SO0, TGT(TPG(",'luns':{}"))), "targets[0].tpgs[0].luns", "must be a list");
}

static void test_lun_accepts(void **state)
{
	struct tconfig *c = accepted(DOC(SO0, TGT(TPG(
		",'luns':[{'index':7,'storage_object':'/backstores/fileio/disk0',"
		"'alua_tg_pt_gp_name':null},{'index':16383,'storage_object':'/backstores/fileio/disk0'}]"))));

	assert_int_equal(c->targets[0].tpgs[0].luns[0].index, 7);
	assert_string_equal(c->targets[0].tpgs[0].luns[0].alias, "");
	assert_int_equal(c->targets[0].tpgs[0].luns[1].index, 16383);
	config_free(c);
}

/* --- iSCSI names ---------------------------------------------------------- */

static void name_refused(const char *name, const char *why)
{
	char doc[1024];

	assert_true(snprintf(doc, sizeof(doc), DOC(SO0, "{'fabric':'iscsi','wwn':'%s'}"),
			     name) < (int)sizeof(doc));
	refused(doc, "targets[0].wwn", why);
	assert_true(snprintf(doc, sizeof(doc), ONE_TPG(",'node_acls':[" ACL("%s", "") "]"),
			     name) < (int)sizeof(doc));
	refused(doc, "targets[0].tpgs[0].node_acls[0].node_wwn", why);
}

static void test_iscsi_names(void **state)
{
	static const char *const good[] = {
		"iqn.2003-01.org.linux-iscsi.node1.x8664:sn.4a2b6c8d0e1f",
		"iqn.1991-05.com.microsoft:win-host.example.com",
		"iqn.2024-12.localhost",
		"eui.02004567a425678d",
		"naa.52004567ba64678d",
		"naa.6001405b3f5c2a19d4e4c7b8a6f0e1d2",
	};
	char long_name[300];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char doc[1024];
		struct tconfig *c;

		snprintf(doc, sizeof(doc), DOC(SO0, "{'fabric':'iscsi','wwn':'%s'}"), good[i]);
		c = accepted(doc);
		assert_string_equal(c->targets[0].wwn, good[i]);
		config_free(c);
	}
	name_refused("iqn.2003-01.org.Example:t1", "lowercase");
	name_refused("iqn.2003-1.org.example:t1", "iqn.YYYY-MM");
	name_refused("iqn.2003-13.org.example:t1", "iqn.YYYY-MM");
	name_refused("iqn.2003-01", "iqn.YYYY-MM");
	name_refused("iqn.2003-01.org.example:my_target", "'_' is not allowed");
	name_refused("iqn.2003-01.org.example:my target", "' ' is not allowed");
	name_refused("iqn.2003-01.:t1", "naming authority");
	name_refused("iqn.2003-01.org.example:", "empty part");
	name_refused("eui.02004567A425678D", "lowercase hex");
	name_refused("eui.02004567a425678", "16 hex digits");
	name_refused("naa.52004567ba64678", "16 or 32 hex digits");
	name_refused("IQN.2003-01.org.example:t1", "must start with");
	name_refused("target1", "must start with");
	name_refused("", "empty");
	memset(long_name, 'a', sizeof(long_name));
	memcpy(long_name, "iqn.2003-01.org.example:", 24);
	long_name[224] = '\0';
	name_refused(long_name, "at most 223");
}

/* --- portals ---------------------------------------------------------------- */

#define PORTAL(ip, port, extra) "{'ip_address':'" ip "','port':" #port extra "}"
#define PORTALS(list) ONE_TPG(",'portals':[" list "]")

static void test_portals(void **state)
{
	struct tconfig *c = accepted(PORTALS(PORTAL("0.0.0.0", 3260, "") ","
					     PORTAL("[::]", 3260, "") ","
					     PORTAL("::1", 3261, ",'iser':false,'offload':false")));

	assert_string_equal(c->targets[0].tpgs[0].portals[0].ip, "0.0.0.0");
	assert_string_equal(c->targets[0].tpgs[0].portals[1].ip, "::");
	assert_string_equal(c->targets[0].tpgs[0].portals[2].ip, "::1");
	assert_int_equal(c->targets[0].tpgs[0].portals[2].port, 3261);
	config_free(c);

	refused(PORTALS(PORTAL("10.0.0.1", 3260, ",'iser':true")),
		"targets[0].tpgs[0].portals[0].iser", "iSER is not supported");
	refused(PORTALS(PORTAL("10.0.0.1", 3260, ",'offload':true")),
		"targets[0].tpgs[0].portals[0].offload", "not supported");
	refused(PORTALS(PORTAL("10.0.0.1", 3260, "") "," PORTAL("10.0.0.1", 3260, "")),
		"targets[0].tpgs[0].portals[1].ip_address", "already portals[0]");
	/* The same address spelt two ways is still the same portal. */
	refused(PORTALS(PORTAL("[fd00::1]", 3260, "") "," PORTAL("fd00:0:0::1", 3260, "")),
		"targets[0].tpgs[0].portals[1].ip_address", "already portals[0]");
	refused(PORTALS(PORTAL("10.0.0.256", 3260, "")),
		"targets[0].tpgs[0].portals[0].ip_address", "not a numeric IPv4 or IPv6");
	refused(PORTALS(PORTAL("portal.example.com", 3260, "")),
		"targets[0].tpgs[0].portals[0].ip_address", "not a numeric");
	refused(PORTALS(PORTAL("fe80::1%eth0", 3260, "")),
		"targets[0].tpgs[0].portals[0].ip_address", "not a numeric");
	refused(PORTALS(PORTAL("[10.0.0.1]", 3260, "")),
		"targets[0].tpgs[0].portals[0].ip_address", "not a numeric");
	refused(PORTALS(PORTAL("10.0.0.1", 0, "")),
		"targets[0].tpgs[0].portals[0].port", "outside 1..65535");
	refused(PORTALS(PORTAL("10.0.0.1", 65536, "")),
		"targets[0].tpgs[0].portals[0].port", "outside");
	refused(PORTALS("{'ip_address':'10.0.0.1'}"),
		"targets[0].tpgs[0].portals[0].port", "missing");
}

/* --- ACLs, mapped LUNs and CHAP ------------------------------------------------ */

#define ACLS(list) ONE_TPG(",'node_acls':[" list "]")
#define CHAP(u, p) ",'chap_userid':'" u "','chap_password':'" p "'"
#define MCHAP(u, p) ",'chap_mutual_userid':'" u "','chap_mutual_password':'" p "'"
#define MLUN(i, tl, wp) "{'index':" #i ",'tpg_lun':" #tl ",'write_protect':" #wp "}"

static void test_acls(void **state)
{
	struct tconfig *c;

	refused(ACLS(ACL(INIT1, "") "," ACL(INIT1, "")),
		"targets[0].tpgs[0].node_acls[1].node_wwn", "already has an ACL");
	refused(ACLS(ACL(INIT1, ",'mapped_luns':[" MLUN(0, 5, false) "]")),
		"targets[0].tpgs[0].node_acls[0].mapped_luns[0].tpg_lun", "the TPG has no LUN 5");
	refused(ACLS(ACL(INIT1, ",'mapped_luns':[" MLUN(0, 0, false) "," MLUN(0, 0, true) "]")),
		"targets[0].tpgs[0].node_acls[0].mapped_luns[1].index", "already in this ACL");
	refused(ACLS(ACL(INIT1, ",'mapped_luns':[" MLUN(0, 0, 1) "]")),
		"targets[0].tpgs[0].node_acls[0].mapped_luns[0].write_protect", "true or false");
	refused(ACLS(ACL(INIT1, ",'mapped_luns':[{'index':0}]")),
		"targets[0].tpgs[0].node_acls[0].mapped_luns[0].tpg_lun", "missing");
	refused(ACLS(ACL(INIT1, ",'tcq_depth':0")),
		"targets[0].tpgs[0].node_acls[0].tcq_depth", "outside 1..512");
	refused(ACLS(ACL(INIT1, ",'auth':{'userid':'u'}")),
		"targets[0].tpgs[0].node_acls[0].auth", "unknown key");
	refused(ACLS(ACL(INIT1, ",'attributes':{'dataout_timeout':1}")),
		"targets[0].tpgs[0].node_acls[0].attributes.dataout_timeout", "outside LIO's range 2..60");
	refused(ACLS(ACL(INIT1, ",'attributes':{'nopin_timeout':2}")),
		"targets[0].tpgs[0].node_acls[0].attributes.nopin_timeout", "0 (off) or 3..60");
	refused(ACLS(ACL(INIT1, ",'attributes':{'queue_depth':1}")),
		"targets[0].tpgs[0].node_acls[0].attributes.queue_depth", "unknown attribute");
	/* TPG authentication is 0 in these documents. */
	refused(ACLS(ACL(INIT1, ",'attributes':{'authentication':1}")),
		"targets[0].tpgs[0].node_acls[0].attributes.authentication",
		"overrides the TPG's authentication");

	c = accepted(ACLS(ACL(INIT1, ",'tag':null,'tcq_depth':16,"
			      "'attributes':{'authentication':0,'nopin_timeout':0},"
			      "'mapped_luns':[{'index':5,'tpg_lun':0,'write_protect':true,"
			      "'alias':'abc'}]") ","
			  ACL("iqn.1994-05.com.redhat:client2", ",'tag':'group1'")));
	assert_int_equal(c->targets[0].tpgs[0].nacls, 2);
	assert_int_equal(c->targets[0].tpgs[0].acls[0].mapped[0].index, 5);
	assert_true(c->targets[0].tpgs[0].acls[0].mapped[0].write_protect);
	assert_int_equal(c->targets[0].tpgs[0].acls[1].nmapped, 0);
	config_free(c);
}

static void test_chap(void **state)
{
	char userid[300];
	char doc[1024];
	struct tconfig *c;

	c = accepted(ONE_TPG(CHAP("tpguser", "tpg-secret-1") MCHAP("tgt", "tgt-secret-2")));
	assert_string_equal(c->targets[0].tpgs[0].auth.userid, "tpguser");
	assert_string_equal(c->targets[0].tpgs[0].auth.password, "tpg-secret-1");
	assert_string_equal(c->targets[0].tpgs[0].auth.mutual_userid, "tgt");
	assert_string_equal(c->targets[0].tpgs[0].auth.mutual_password, "tgt-secret-2");
	config_free(c);

	refused(ACLS(ACL(INIT1, ",'chap_userid':'u'")),
		"targets[0].tpgs[0].node_acls[0].chap_password", "missing (chap_userid is set)");
	refused(ACLS(ACL(INIT1, ",'chap_password':'secret'")),
		"targets[0].tpgs[0].node_acls[0].chap_userid", "missing (chap_password is set)");
	refused(ACLS(ACL(INIT1, CHAP("u", "p") ",'chap_mutual_userid':'m'")),
		"targets[0].tpgs[0].node_acls[0].chap_mutual_password", "missing");
	refused(ACLS(ACL(INIT1, MCHAP("m", "mutual-secret"))),
		"targets[0].tpgs[0].node_acls[0].chap_mutual_userid", "needs chap_userid");
	refused(ACLS(ACL(INIT1, CHAP("u", "same-secret") MCHAP("m", "same-secret"))),
		"targets[0].tpgs[0].node_acls[0].chap_mutual_password", "RFC 7143 12.1.3");
	refused(ONE_TPG(",'chap_userid':'u'"),
		"targets[0].tpgs[0].chap_password", "missing");
	refused(ACLS(ACL(INIT1, ",'chap_userid':1,'chap_password':'p'")),
		"targets[0].tpgs[0].node_acls[0].chap_userid", "must be a string");
	memset(userid, 'u', sizeof(userid));
	userid[256] = '\0';
	assert_true(snprintf(doc, sizeof(doc), ACLS(ACL(INIT1, CHAP("%s", "p"))), userid) <
		    (int)sizeof(doc));
	refused(doc, "targets[0].tpgs[0].node_acls[0].chap_userid", "at most 255");
}

/* --- TPG attributes and parameters --------------------------------------------- */

static void test_tpg_attributes(void **state)
{
	struct tconfig *c = accepted(DOC(SO0, TGT("{'tag':3,'enable':false,'attributes':{"
		"'authentication':0,'generate_node_acls':1,'demo_mode_write_protect':0,"
		"'cache_dynamic_acls':1,'default_cmdsn_depth':128,'login_timeout':30,"
		"'fabric_prot_type':3,'crc32c_x86_offload':1}}")));
	const struct cfg_tpg *t = &c->targets[0].tpgs[0];

	assert_int_equal(t->tag, 3);
	assert_false(t->enable);
	assert_false(t->authentication);
	assert_true(t->generate_node_acls);
	assert_false(t->demo_mode_write_protect);
	config_free(c);

	refused(DOC(SO0, TGT("{'tag':1,'attributes':{'login_timeout':4}}")),
		"targets[0].tpgs[0].attributes.login_timeout", "outside LIO's range 5..30");
	refused(DOC(SO0, TGT("{'tag':1,'attributes':{'bogus':1}}")),
		"targets[0].tpgs[0].attributes.bogus", "unknown attribute");
	refused(DOC(SO0, TGT("{'tag':1,'attributes':{'fabric_prot_type':2}}")),
		"targets[0].tpgs[0].attributes.fabric_prot_type", "0, 1 or 3");
	refused(DOC(SO0, TGT("{'tag':1,'attributes':{'authentication':true}}")),
		"targets[0].tpgs[0].attributes.authentication", "must be an integer");
	/* CHAP required while the parameters refuse it. */
	refused(DOC(SO0, TGT("{'tag':1,'attributes':{'authentication':1},"
			     "'parameters':{'AuthMethod':'None'}}")),
		"targets[0].tpgs[0].parameters.AuthMethod", "does not list CHAP");
}

static void test_tpg_parameters(void **state)
{
	struct tconfig *c = accepted(PARAM(
		"'AuthMethod':'None','HeaderDigest':'None','DataDigest':'CRC32C',"
		"'MaxConnections':'4','InitialR2T':'No','ImmediateData':'No',"
		"'MaxRecvDataSegmentLength':'0x10000','MaxBurstLength':'16777215',"
		"'FirstBurstLength':'512','DefaultTime2Wait':'0','DefaultTime2Retain':'3600',"
		"'MaxOutstandingR2T':'65535','DataPDUInOrder':'No','DataSequenceInOrder':'No',"
		"'ErrorRecoveryLevel':'2','IFMarkInt':'2048','OFMarker':'Yes',"
		"'TargetAlias':'tandem \u00e9','RDMAExtensions':'Yes'"));
	const struct cfg_tpg *t = &c->targets[0].tpgs[0];

	assert_false(t->auth_chap_allowed);
	assert_true(t->auth_none_allowed);
	assert_false(t->limits.header_digest_crc32c);
	assert_true(t->limits.header_digest_none);
	assert_true(t->limits.data_digest_crc32c);
	assert_false(t->limits.data_digest_none);
	assert_int_equal(t->limits.max_connections, 4);
	assert_false(t->limits.initial_r2t);
	assert_false(t->limits.immediate_data);
	assert_int_equal(t->limits.max_recv_dsl, 65536);
	assert_int_equal(t->limits.max_burst, 16777215);
	assert_int_equal(t->limits.first_burst, 512);
	assert_int_equal(t->limits.default_time2wait, 0);
	assert_int_equal(t->limits.default_time2retain, 3600);
	assert_int_equal(t->limits.max_outstanding_r2t, 65535);
	assert_false(t->limits.data_pdu_in_order);
	assert_false(t->limits.data_seq_in_order);
	/* ErrorRecoveryLevel 2 is accepted; tandem offers 0. */
	assert_int_equal(t->limits.error_recovery_level, 0);
	assert_string_equal(t->alias, "tandem \xc3\xa9");
	config_free(c);

	c = accepted(PARAM("'AuthMethod':'None,CHAP'"));
	assert_true(c->targets[0].tpgs[0].auth_chap_allowed);
	assert_true(c->targets[0].tpgs[0].auth_none_allowed);
	config_free(c);

#define P(kv, key, why) refused(PARAM(kv), "targets[0].tpgs[0].parameters." key, why)
	P("'MaxBurstLength':'511'", "MaxBurstLength", "outside 512..16777215");
	P("'MaxBurstLength':'16777216'", "MaxBurstLength", "outside");
	P("'MaxBurstLength':262144", "MaxBurstLength", "must be a string");
	P("'MaxBurstLength':'256k'", "MaxBurstLength", "not a number");
	P("'MaxBurstLength':''", "MaxBurstLength", "not a number");
	P("'MaxBurstLength':'-1'", "MaxBurstLength", "not a number");
	P("'FirstBurstLength':'131072','MaxBurstLength':'65536'", "FirstBurstLength",
	  "FirstBurstLength 131072 exceeds MaxBurstLength 65536");
	/* The default FirstBurstLength must fit a lower MaxBurstLength too. */
	P("'MaxBurstLength':'512'", "MaxBurstLength", "exceeds MaxBurstLength 512");
	P("'MaxConnections':'0'", "MaxConnections", "outside 1..65535");
	P("'DefaultTime2Wait':'3601'", "DefaultTime2Wait", "outside 0..3600");
	P("'MaxOutstandingR2T':'0'", "MaxOutstandingR2T", "outside 1..65535");
	P("'MaxRecvDataSegmentLength':'256'", "MaxRecvDataSegmentLength", "outside");
	P("'MaxXmitDataSegmentLength':'0'", "MaxXmitDataSegmentLength", "outside");
	P("'InitialR2T':'yes'", "InitialR2T", "Yes or No");
	P("'ImmediateData':'1'", "ImmediateData", "Yes or No");
	P("'ErrorRecoveryLevel':'3'", "ErrorRecoveryLevel", "outside 0..2");
	P("'AuthMethod':'KRB5,CHAP'", "AuthMethod", "\"KRB5\" is not supported");
	P("'AuthMethod':''", "AuthMethod", "empty item");
	P("'AuthMethod':'CHAP,CHAP'", "AuthMethod", "twice");
	P("'HeaderDigest':'CRC32C,,None'", "HeaderDigest", "empty item");
	P("'DataDigest':'MD5'", "DataDigest", "\"MD5\" is not supported");
	P("'IFMarkInt':'0~65535'", "IFMarkInt", "RFC 3720");
	P("'OFMarkInt':'4096~2048'", "OFMarkInt", "RFC 3720");
	P("'OFMarkInt':'2048~'", "OFMarkInt", "RFC 3720");
	P("'TargetAlias':'a\\u0007b'", "TargetAlias", "control character");
	P("'MaxCommands':'16'", "MaxCommands", "unknown parameter");
	P("'RDMAExtensions':'maybe'", "RDMAExtensions", "Yes or No");
#undef P
	refused(ONE_TPG(",'parameters':[]"), "targets[0].tpgs[0].parameters",
		"must be a JSON object");
}

/* --- fabric_modules ----------------------------------------------------------- */

static void test_fabric_modules(void **state)
{
	struct tconfig *c = accepted("{'fabric_modules':[{'name':'iscsi',"
				     "'discovery_enable_auth':false,'discovery_userid':'d',"
				     "'discovery_password':'p'}]}");

	config_free(c);
	refused("{'fabric_modules':[{'name':'iscsi','discovery_enable_auth':true,"
		"'discovery_userid':'d','discovery_password':'p'}]}",
		"fabric_modules[0].discovery_enable_auth", "not supported");
	refused("{'fabric_modules':[{'name':'qla2xxx'}]}", "fabric_modules[0].name",
		"tandem serves iSCSI only");
	refused("{'fabric_modules':[{'name':'iscsi','bogus':1}]}",
		"fabric_modules[0].bogus", "unknown key");
}

/* --- config_load ------------------------------------------------------------------ */

static void test_load_errors(void **state)
{
	static const char bad[] = "{\"targets\":[{\"fabric\":\"srpt\"}]}";
	char dir[] = "/tmp/test_config.XXXXXX", path[64];
	int fd;

	assert_null(config_load("/nonexistent/tandem/saveconfig.json", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/tandem/saveconfig.json: No such file or directory");

	assert_non_null(mkdtemp(dir));
	assert_null(config_load(dir, err, sizeof(err)));
	assert_non_null(strstr(err, "not a regular file"));

	snprintf(path, sizeof(path), "%s/big.json", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (16 << 20) + 1), 0);
	close(fd);
	assert_null(config_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "more than the 16777216"));

	/* A refusal inside the file names the file, then the field. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
	close(fd);
	assert_null(config_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "/big.json: targets[0].fabric: \"srpt\" is not supported"));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_fixture),
		cmocka_unit_test(test_minimal_fixture),
		cmocka_unit_test(test_empty_document),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_naa_lio_rule),
		cmocka_unit_test(test_ramdisk_identity),
		cmocka_unit_test(test_identity_extensions),
		cmocka_unit_test(test_storage_refusals),
		cmocka_unit_test(test_storage_accepts),
		cmocka_unit_test(test_storage_attributes),
		cmocka_unit_test(test_target_refusals),
		cmocka_unit_test(test_lun_refusals),
		cmocka_unit_test(test_lun_accepts),
		cmocka_unit_test(test_iscsi_names),
		cmocka_unit_test(test_portals),
		cmocka_unit_test(test_acls),
		cmocka_unit_test(test_chap),
		cmocka_unit_test(test_tpg_attributes),
		cmocka_unit_test(test_tpg_parameters),
		cmocka_unit_test(test_fabric_modules),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
