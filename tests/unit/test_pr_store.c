/* The durable persistent reservation store: an internal store on the
 * fixture's in-memory backstore (4 MiB, so the area is its last MiB at
 * 3 MiB), read back by attaching a new LU to the same bytes as a failover
 * does. Slot alternation, FUA, CRC, torn writes, refusal of damaged,
 * foreign, newer or someone else's stores, cold start, BUSY while a write
 * is in flight, write errors, the external store, clear, and the parsers'
 * handling of hostile TransportIDs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/crc32c.h"
#include "test_pr_fixture.h"

#define BLOCKS 8192u				/* 4 MiB */
#define AREA (3u << 20)
#define SLOT(i) (AREA + (uint32_t)PR_SLOT_OFF(i))

static struct scsi_lu_config store_cfg(void)
{
	struct scsi_lu_config cfg = fx_default_cfg();

	cfg.pr_store = SCSI_PR_STORE_INTERNAL;
	return cfg;
}

static void clear_uas(struct fx *f)
{
	fx_clear_ua(f, &f->nexus);
	fx_clear_ua(f, &f->nexus2);
	fx_clear_ua(f, &pr_nexus_c);
}

static int setup(void **state)
{
	struct scsi_lu_config cfg = store_cfg();
	struct fx *f = fx_new_lu(&cfg, BLOCKS, FX_BLOCK);

	pr_extra_nexuses(f);
	clear_uas(f);
	*state = f;
	return 0;
}

/* The LU is detached and attached again over the same bytes, as the other
 * node does after a failover. NULL with err set when refused. */
static struct scsi_lu *reattach_cfg(struct fx *f, const struct scsi_lu_config *cfg,
				    char *err, size_t errlen)
{
	fx_release(f);
	scsi_lu_destroy(f->lu);
	f->lu = scsi_lu_create(&f->fb.bs, cfg, err, errlen);
	for (unsigned i = 0; i < 3; i++)
		f->ent[i].lu = f->lu;
	if (f->lu)
		clear_uas(f);
	return f->lu;
}

static void reattach(struct fx *f)
{
	struct scsi_lu_config cfg = store_cfg();
	char err[512] = "";

	if (!reattach_cfg(f, &cfg, err, sizeof(err)))
		fail_msg("attach refused: %s", err);
}

static void expect_refused(struct fx *f, const struct scsi_lu_config *cfg,
			   const char *why)
{
	char err[1024] = "";

	assert_null(reattach_cfg(f, cfg, err, sizeof(err)));
	if (!strstr(err, why))
		fail_msg("refusal \"%s\" does not say \"%s\"", err, why);
}

/* READ FULL STATUS, whole, for comparing states. */
static size_t full_status(struct fx *f, uint8_t *out)
{
	assert_int_equal(prin(f, &f->nexus, PRI_READ_FULL_STATUS, 4096), SAM_STAT_GOOD);
	memcpy(out, f->cmd.buf, f->cmd.data_len);
	return f->cmd.data_len;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Re-seals a header or slot of len bytes after a test changed it. */
static void reseal(uint8_t *p, size_t len)
{
	static const uint8_t zero[4];
	uint32_t c = crc32c(0, p, 12);

	c = crc32c(c, zero, 4);
	put_le32(p + 12, crc32c(c, p + 16, len - 16));
}

static void populate(struct fx *f)
{
	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_WE_RO, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
}

static void test_fresh_store(void **state)
{
	struct fx *f = *state;
	static const uint8_t rc16[16] = { 0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32 };

	/* The last MiB is hidden from the initiator. */
	assert_int_equal(f->lu->nblocks, (BLOCKS * FX_BLOCK - (1u << 20)) / FX_BLOCK);
	assert_int_equal(fx_run(f, rc16, 16, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(get64(f->cmd.buf), f->lu->nblocks - 1);
	static const uint8_t wr_last[10] = { 0x2a, 0, 0, 0, 0x18, 0, 0, 0, 1, 0 };
	assert_int_equal(fx_run(f, wr_last, 10, (uint8_t[FX_BLOCK]){ 0 }, FX_BLOCK),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2100);
	/* Header and an empty state in slot 0 were written. */
	assert_memory_equal(f->fb.mem + AREA, "TDPRAREA", 8);
	assert_memory_equal(f->fb.mem + SLOT(0), "TDPRSLOT", 8);
	assert_int_equal(le64(f->fb.mem + SLOT(0) + 16), 1);
	assert_int_equal(f->fb.mem[SLOT(1)], 0);
	/* It can keep state through power loss: PTPL_C. */
	assert_int_equal(prin(f, &f->nexus, PRI_REPORT_CAPABILITIES, 8), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[2] & 0x01, 0x01);
}

static void test_survives_reattach(void **state)
{
	struct fx *f = *state;
	uint8_t before[4096], after[4096];

	populate(f);
	size_t n = full_status(f, before);
	reattach(f);
	assert_int_equal(full_status(f, after), n);
	assert_memory_equal(before, after, n);
	assert_int_equal(pr_generation(f), 2);
	assert_int_equal(media_write(f, &pr_nexus_c), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(media_write(f, &f->nexus2), SAM_STAT_GOOD);
	assert_int_equal(media_write(f, &f->nexus), SAM_STAT_GOOD);
}

static void test_slots_alternate(void **state)
{
	struct fx *f = *state;
	uint64_t seq = 1;

	for (unsigned i = 0; i < 6; i++) {
		unsigned before = f->fb.count[BS_OP_WRITE];
		assert_int_equal(pr_register(f, &f->nexus, KEY_A + i), SAM_STAT_GOOD);
		assert_int_equal(f->fb.count[BS_OP_WRITE], before + 1);
		assert_int_equal(f->fb.last_offset, SLOT((i + 1) % 2));
		assert_int_equal(f->fb.last_len, 4096);
		assert_true(f->fb.write_flags & BS_F_FUA);
		assert_int_equal(le64(f->fb.mem + f->fb.last_offset + 16), ++seq);
	}
	/* A command that changes nothing writes nothing. */
	unsigned before = f->fb.count[BS_OP_WRITE];
	assert_int_equal(prout(f, &f->nexus2, PRO_REGISTER, 0, 0, 0, 0), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_RELEASE, PR_TYPE_WE, KEY_A + 5, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(f->fb.count[BS_OP_WRITE], before);
}

/* The newest slot torn (overwritten with garbage): the state before it. */
static void test_torn_write(void **state)
{
	struct fx *f = *state;
	uint8_t before[4096], after[4096];

	populate(f);
	size_t n = full_status(f, before);
	assert_int_equal(pr_register(f, &pr_nexus_c, KEY_C), SAM_STAT_GOOD);
	unsigned newest = f->fb.last_offset == SLOT(0) ? 0 : 1;
	for (unsigned i = 0; i < 4096; i++)
		f->fb.mem[SLOT(newest) + i] = (uint8_t)(i * 7 + 3);
	reattach(f);
	assert_int_equal(full_status(f, after), n);
	assert_memory_equal(before, after, n);
	/* A torn write of only the tail (the registrations) is caught by the
	 * CRC too. */
	assert_int_equal(pr_register(f, &pr_nexus_c, KEY_C), SAM_STAT_GOOD);
	newest = f->fb.last_offset == SLOT(0) ? 0 : 1;
	f->fb.mem[SLOT(newest) + 512 + 2 * 512 + 40] ^= 0x01;
	reattach(f);
	assert_int_equal(full_status(f, after), n);
	assert_memory_equal(before, after, n);
	/* And the next write goes to the torn slot, not over the good one. */
	assert_int_equal(pr_register(f, &pr_nexus_c, KEY_C), SAM_STAT_GOOD);
	assert_int_equal(f->fb.last_offset, SLOT(newest));
}

static void test_write_error(void **state)
{
	struct fx *f = *state;
	uint8_t before[4096], after[4096];

	populate(f);
	size_t n = full_status(f, before);
	f->fb.fail[BS_OP_WRITE] = EIO;
	assert_int_equal(pr_register(f, &pr_nexus_c, KEY_C), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x0c00);
	/* Nothing changed, in memory or on disk, and the LU is not stuck. */
	assert_int_equal(full_status(f, after), n);
	assert_memory_equal(before, after, n);
	assert_int_equal(media_write(f, &pr_nexus_c), SAM_STAT_RESERVATION_CONFLICT);
	f->fb.fail[BS_OP_WRITE] = 0;
	reattach(f);
	assert_int_equal(full_status(f, after), n);
	assert_memory_equal(before, after, n);
	assert_int_equal(pr_register(f, &pr_nexus_c, KEY_C), SAM_STAT_GOOD);
}

static unsigned done2;

static void done_second(struct scsi_cmd *cmd)
{
	(void)cmd;
	done2++;
}

static const struct scsi_fabric_ops second_ops = { .done = done_second };

/* A second command on the fixture's LU, run to its end (its I/O is not
 * held: only the first command's write is in flight). */
static uint8_t second(struct fx *f, struct scsi_cmd *c, const struct scsi_nexus *n,
		      const uint8_t *cdb, size_t len, const void *out, size_t olen)
{
	scsi_cmd_init(c);
	memcpy(c->cdb, cdb, len);
	c->cdb_len = 16;
	c->lun_ent = scsi_lun_table_find(n->luns, 0);
	c->nexus = n;
	c->pool = &f->pool;
	c->ops = &second_ops;
	c->edtl = (uint32_t)olen;
	done2 = 0;
	if (scsi_cmd_setup(c) == 0) {
		if (c->dir == SCSI_DIR_WRITE)
			memcpy(c->buf, out, c->data_len);
		scsi_cmd_execute(c);
		assert_int_equal(done2, 1);
	}
	uint8_t st = c->status;
	scsi_cmd_release(c);
	return st;
}

static void test_busy_while_writing(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[10] = { 0x5f, PRO_REGISTER_IGNORE, 0, 0, 0, 0, 0, 0, 24, 0 };
	uint8_t p[24] = { 0 };
	static const uint8_t reserve6[6] = { 0x16 };
	static const uint8_t rk[10] = { 0x5e, PRI_READ_KEYS, 0, 0, 0, 0, 0, 0, 64, 0 };
	struct scsi_cmd c2;

	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	f->fb.defer = true;
	/* b's REGISTER is writing its state... */
	put64(p + 8, KEY_B);
	f->next_edtl = 24;
	assert_int_equal(fx_setup_cmd(f, &f->nexus2, 0, cdb, 10), 0);
	memcpy(f->cmd.buf, p, 24);
	scsi_cmd_execute(&f->cmd);
	assert_int_equal(f->done, 0);
	assert_int_equal(f->fb.npending, 1);
	/* ...meanwhile other PR OUTs and RESERVE get BUSY, PR IN sees the
	 * committed state only. */
	put64(p + 8, KEY_C);
	assert_int_equal(second(f, &c2, &pr_nexus_c, cdb, 10, p, 24), SAM_STAT_BUSY);
	assert_int_equal(second(f, &c2, &pr_nexus_c, reserve6, 6, NULL, 0), SAM_STAT_BUSY);
	assert_int_equal(second(f, &c2, &pr_nexus_c, rk, 10, NULL, 0), SAM_STAT_GOOD);
	/* The write completes: then the command does, and the state shows. */
	fx_complete(f);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->cmd.status, SAM_STAT_GOOD);
	f->fb.defer = false;
	assert_int_equal(pr_nkeys(f), 2);
	assert_int_equal(pr_register(f, &pr_nexus_c, KEY_C), SAM_STAT_GOOD);
	assert_int_equal(pr_nkeys(f), 3);
}

static void test_cold_start(void **state)
{
	struct fx *f = *state;
	struct scsi_lu_config cfg = store_cfg();
	char err[512];

	populate(f);
	/* A failover keeps everything; a cold start drops registrations
	 * made without APTPL and zeroes the generation. */
	reattach(f);
	assert_int_equal(pr_nkeys(f), 2);
	cfg.pr_cold_start = true;
	assert_non_null(reattach_cfg(f, &cfg, err, sizeof(err)));
	assert_int_equal(pr_nkeys(f), 0);
	assert_int_equal(pr_generation(f), 0);
	assert_int_equal(media_write(f, &pr_nexus_c), SAM_STAT_GOOD);
	/* With APTPL (the last REGISTER's bit governs) they stay. */
	populate(f);
	assert_int_equal(prout(f, &f->nexus2, PRO_REGISTER_IGNORE, 0, 0, KEY_B, PF_APTPL),
			 SAM_STAT_GOOD);
	assert_int_equal(prin(f, &f->nexus, PRI_REPORT_CAPABILITIES, 8), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[3] & 0x01, 0x01);	/* PTPL_A */
	assert_non_null(reattach_cfg(f, &cfg, err, sizeof(err)));
	assert_int_equal(pr_nkeys(f), 2);
	assert_int_equal(pr_generation(f), 0);
	assert_int_equal(media_write(f, &pr_nexus_c), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(media_write(f, &f->nexus2), SAM_STAT_GOOD);
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	struct scsi_lu_config cfg = store_cfg();
	uint8_t *m = f->fb.mem;

	populate(f);
	fx_release(f);
	/* Both slots bad: refused, never taken for an empty store. */
	uint8_t *saved = malloc(PR_AREA_SIZE);
	assert_non_null(saved);
	memcpy(saved, m + AREA, PR_AREA_SIZE);
	m[SLOT(0) + 100] ^= 0xff;
	m[SLOT(1) + 100] ^= 0xff;
	expect_refused(f, &cfg, "no valid state (slot 0: CRC32C mismatch");
	/* A slot of a newer format. */
	memcpy(m + AREA, saved, PR_AREA_SIZE);
	m[SLOT(0) + 8] = 2;
	m[SLOT(1) + 8] = 2;
	expect_refused(f, &cfg, "format 2, this tandemd reads format 1");
	/* A header of a newer format, properly sealed. */
	memcpy(m + AREA, saved, PR_AREA_SIZE);
	m[AREA + 8] = 2;
	reseal(m + AREA, 512);
	expect_refused(f, &cfg, "store format 2");
	/* A damaged header. */
	memcpy(m + AREA, saved, PR_AREA_SIZE);
	m[AREA + 30] ^= 1;
	expect_refused(f, &cfg, "header damaged");
	/* Another LU's store. */
	memcpy(m + AREA, saved, PR_AREA_SIZE);
	cfg.naa[15] ^= 1;
	expect_refused(f, &cfg, "belongs to storage object \"disk0\"");
	cfg.naa[15] ^= 1;
	/* A slot whose CRC is right but whose content is not (two holders):
	 * the other slot's older state is taken. */
	memcpy(m + AREA, saved, PR_AREA_SIZE);
	unsigned cur = le64(m + SLOT(0) + 16) > le64(m + SLOT(1) + 16) ? 0 : 1;
	uint8_t *s = m + SLOT(cur);
	s[512 + 512 + 10] |= 0x02;			/* second record: HOLDER */
	reseal(s, 512 + 2 * 512);
	reattach(f);
	assert_int_equal(pr_generation(f), 2);
	assert_int_equal(prin(f, &f->nexus, PRI_READ_RESERVATION, 64), SAM_STAT_GOOD);
	assert_int_equal(get32(f->cmd.buf + 4), 0);	/* the state before RESERVE */
	/* Data that is not a store at all (an initiator wrote the last MiB
	 * when the LU was bigger): refused, left alone. */
	for (unsigned i = 0; i < PR_AREA_SIZE; i++)
		m[AREA + i] = (uint8_t)(i * 13 + 1);
	memcpy(saved, m + AREA, PR_AREA_SIZE);
	expect_refused(f, &cfg, "not a tandem PR store");
	assert_memory_equal(saved, m + AREA, PR_AREA_SIZE);
	/* pr_store none takes the whole backstore and touches nothing. */
	cfg.pr_store = SCSI_PR_STORE_NONE;
	assert_non_null(reattach_cfg(f, &cfg, (char[64]){ 0 }, 64));
	assert_int_equal(f->lu->nblocks, BLOCKS);
	assert_memory_equal(saved, m + AREA, PR_AREA_SIZE);
	/* Too small for an internal store. */
	cfg.pr_store = SCSI_PR_STORE_INTERNAL;
	f->fb.bs.size = (2u << 20) - 512;
	expect_refused(f, &cfg, "too small");
	f->fb.bs.size = BLOCKS * FX_BLOCK;
	free(saved);
}

static void test_clear_and_inspect(void **state)
{
	struct fx *f = *state;
	struct scsi_lu_config cfg = store_cfg();
	struct pr_area_info info;
	char *text = NULL, err[512];
	size_t tlen = 0;
	FILE *out;

	populate(f);
	/* What `tandemd pr show` prints. */
	assert_int_equal(pr_store_inspect(f->fb.mem + AREA, &cfg, &info), 0);
	assert_true(info.header_ok);
	assert_int_equal(info.current, 1);
	assert_int_equal(info.st.nregs, 2);
	out = open_memstream(&text, &tlen);
	pr_area_print(&info, out);
	fclose(out);
	assert_non_null(strstr(text, "slot 1: valid, sequence 4 (current)"));
	assert_non_null(strstr(text, "Write Exclusive - Registrants Only"));
	assert_non_null(strstr(text, "key 0xaaaa0000000000a1  iqn.1994-05.com.example:a,i,0x23d000000001"));
	assert_non_null(strstr(text, "[reservation holder]"));
	free(text);
	pr_state_free(&info.st);
	/* Clearing a damaged store, as `tandemd pr clear` does once tandemd
	 * has refused it. */
	fx_release(f);
	scsi_lu_destroy(f->lu);
	f->lu = NULL;
	f->fb.mem[SLOT(0) + 100] ^= 0xff;
	f->fb.mem[SLOT(1) + 100] ^= 0xff;
	out = open_memstream(&text, &tlen);
	assert_int_equal(pr_store_clear(&f->fb.bs, &cfg, false, out, err, sizeof(err)), 0);
	fclose(out);
	assert_non_null(strstr(text, "state: none valid"));
	free(text);
	reattach(f);
	assert_int_equal(pr_nkeys(f), 0);
	assert_int_equal(media_write(f, &pr_nexus_c), SAM_STAT_GOOD);
	/* Foreign data: only with force. */
	fx_release(f);
	scsi_lu_destroy(f->lu);
	f->lu = NULL;
	memset(f->fb.mem + AREA, 0x5a, PR_AREA_SIZE);
	out = open_memstream(&text, &tlen);
	assert_int_equal(pr_store_clear(&f->fb.bs, &cfg, false, out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a tandem PR store"));
	assert_int_equal(pr_store_clear(&f->fb.bs, &cfg, true, out, err, sizeof(err)), 0);
	fclose(out);
	free(text);
	reattach(f);
	assert_int_equal(pr_nkeys(f), 0);
}

static void test_external_store(void **state)
{
	struct fx *f = *state;
	struct scsi_lu_config cfg = fx_default_cfg();
	char path[] = "/tmp/tandem-pr-test.XXXXXX";
	char err[1024];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (1 << 20) - 4096), 0);
	cfg.pr_store = SCSI_PR_STORE_EXTERNAL;
	snprintf(cfg.pr_store_dev, sizeof(cfg.pr_store_dev), "%s", path);
	expect_refused(f, &cfg, "less than the 1 MiB");
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	assert_non_null(reattach_cfg(f, &cfg, err, sizeof(err)));
	/* The LU keeps its whole backstore; the store is on the device. */
	assert_int_equal(f->lu->nblocks, BLOCKS);
	char magic[8];
	assert_int_equal(pread(fd, magic, 8, 0), 8);
	assert_memory_equal(magic, "TDPRAREA", 8);
	assert_int_equal(pread(fd, magic, 8, PR_SLOT_OFF(0)), 8);
	assert_memory_equal(magic, "TDPRSLOT", 8);
	/* Exclusive, like any backstore: a second attach is refused. */
	struct scsi_lu *other = scsi_lu_create(&f->fb.bs, &cfg, err, sizeof(err));
	assert_null(other);
	assert_non_null(strstr(err, "in use"));
	close(fd);
	unlink(path);
}

/* TransportIDs come from the wire: every malformed one is refused. */
static void test_tid_parse(void **state)
{
	(void)state;
	struct pr_reg r, back;
	uint8_t t[PR_TID_MAX + 8];

	memset(&r, 0, sizeof(r));
	strcpy(r.i_name, "iqn.1994-05.com.example:a");
	strcpy(r.i_port, "iqn.1994-05.com.example:a,i,0x23d000000001");
	size_t n = pr_tid_build(&r, t);
	assert_int_equal(n % 4, 0);
	assert_int_equal(pr_tid_parse(t, n, &back), (int)n);
	assert_string_equal(back.i_port, r.i_port);
	assert_string_equal(back.i_name, r.i_name);
	assert_int_equal(pr_tid_parse(t, n - 1, &back), -1);	/* cut */
	assert_int_equal(pr_tid_parse(t, 23, &back), -1);
	r.i_port[0] = '\0';
	n = pr_tid_build(&r, t);
	assert_int_equal(pr_tid_parse(t, n, &back), (int)n);
	assert_string_equal(back.i_port, "");
	/* Longest name: 223 characters, ISID, NUL, padding. */
	memset(r.i_name, 'n', 223);
	r.i_name[223] = '\0';
	snprintf(r.i_port, sizeof(r.i_port), "%s,i,0x0123456789ab", r.i_name);
	n = pr_tid_build(&r, t);
	assert_true(n <= PR_TID_MAX);
	assert_int_equal(pr_tid_parse(t, n, &back), (int)n);
	static const char *const bad[] = {
		"", "iqn.x:a b", "iqn.x,a", "iqn.x:a,i,0x123", "iqn.x:a,i,0x1234567890abc",
		"iqn.x:a,t,0x123456789abc", "iqn.x:a,i,0x12345678_abc",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i]) + 1, addl = (len + 3) & ~(size_t)3;
		if (addl < 20)
			addl = 20;
		memset(t, 0, sizeof(t));
		t[0] = (uint8_t)(strchr(bad[i], ',') ? 0x45 : 0x05);
		put16(t + 2, (uint16_t)addl);
		memcpy(t + 4, bad[i], len - 1);
		if (pr_tid_parse(t, 4 + addl, &back) != -1)
			fail_msg("TransportID \"%s\" accepted", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_store, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_survives_reattach, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_slots_alternate, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_torn_write, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_busy_while_writing, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cold_start, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_clear_and_inspect, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_external_store, setup, fx_teardown),
		cmocka_unit_test(test_tid_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
