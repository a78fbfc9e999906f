/* The WRITE ATOMIC journal: its header format and the verdicts on what
 * attach may find (valid pending entry replayed; torn, CRC-bad, done,
 * another LU's or another format's entry left alone), and WRITE ATOMIC
 * through it on an internal store of the fixture's in-memory backstore
 * (4 MiB, the area at 3 MiB): the order and durability of its four
 * writes, what each failure leaves, and a second command waiting for the
 * slot. A failover is a new LU attached to the same bytes. */
#include <errno.h>
#include <stdio.h>

#include "common/crc32c.h"
#include "scsi/atomic_journal.h"
#include "scsi/pr.h"
#include "test_scsi_fixture.h"

#define BLOCKS 8192u				/* 4 MiB */
#define LU_BLOCKS (BLOCKS - 2048u)		/* the last MiB is the area */
#define AREA (3u << 20)
#define JHDR (AREA + PR_JOURNAL_HDR_OFF)
#define JDATA (AREA + PR_JOURNAL_DATA_OFF)
#define MAX_BLOCKS (ATOMIC_JOURNAL_MAX / FX_BLOCK)

/* The writes the LU submitted, and which one to fail. */
struct wlog {
	uint64_t off, len;
	unsigned flags;
	uint32_t state;		/* a journal header's state, else 0 */
};
static struct wlog wlog[16];
static unsigned nwrites, fail_write;

static void logging_submit(struct backstore *bs, struct bs_ring *ring,
			   struct bs_io *io)
{
	if (io->op == BS_OP_WRITE) {
		unsigned i = nwrites++;

		if (i < 16) {
			wlog[i] = (struct wlog){ .off = io->offset, .len = io->len,
						 .flags = io->flags };
			if (io->offset == JHDR)
				wlog[i].state = get32((uint8_t *)io->buf + 12);
		}
		if (nwrites == fail_write) {
			io->done(io, -EIO);
			return;
		}
	}
	fake_submit(bs, ring, io);
}

static const struct bs_ops logging_ops = { .plugin = "fake", .submit = logging_submit };

static struct scsi_lu_config store_cfg(void)
{
	struct scsi_lu_config cfg = fx_default_cfg();

	cfg.pr_store = SCSI_PR_STORE_INTERNAL;
	return cfg;
}

static int setup(void **state)
{
	struct scsi_lu_config cfg = store_cfg();
	struct fx *f = fx_new_lu(&cfg, BLOCKS, FX_BLOCK);

	f->fb.bs.ops = &logging_ops;
	fx_clear_ua(f, &f->nexus);
	fx_clear_ua(f, &f->nexus2);
	nwrites = fail_write = 0;
	*state = f;
	return 0;
}

/* A failover: a new LU on the same bytes. NULL, err set, when refused. */
static struct scsi_lu *reattach(struct fx *f, char *err, size_t errlen)
{
	struct scsi_lu_config cfg = store_cfg();

	fx_release(f);
	scsi_lu_destroy(f->lu);
	nwrites = fail_write = 0;
	f->lu = scsi_lu_create(&f->fb.bs, &cfg, err, errlen);
	for (unsigned i = 0; i < 3; i++)
		f->ent[i].lu = f->lu;
	if (f->lu) {
		fx_clear_ua(f, &f->nexus);
		fx_clear_ua(f, &f->nexus2);
	}
	return f->lu;
}

static void describe(struct fx *f, char *buf, size_t len)
{
	scsi_lu_pr_describe(f->lu, buf, len);
}

static struct atomic_journal_entry entry(uint64_t seq, uint64_t lba, uint32_t n,
					 uint32_t state, const void *data)
{
	struct atomic_journal_entry e = {
		.seq = seq, .lba = lba, .nblocks = n, .block_size = FX_BLOCK,
		.state = state,
		.data_crc = data ? crc32c(0, data, (size_t)n * FX_BLOCK) : 0,
	};
	struct scsi_lu_config cfg = fx_default_cfg();

	memcpy(e.naa, cfg.naa, sizeof(e.naa));
	return e;
}

static enum atomic_journal_verdict decode(const uint8_t *hdr,
					  struct atomic_journal_entry *e,
					  char *why, size_t whylen)
{
	struct scsi_lu_config cfg = fx_default_cfg();

	return atomic_journal_decode(hdr, cfg.naa, FX_BLOCK, LU_BLOCKS, e, why,
				     whylen);
}

static void expect_ignored(const uint8_t *hdr, const char *why_part)
{
	struct atomic_journal_entry e;
	char why[256];

	assert_int_equal(decode(hdr, &e, why, sizeof(why)), ATOMIC_JOURNAL_IGNORE);
	if (!strstr(why, why_part))
		fail_msg("ignored because \"%s\", expected \"%s\"", why, why_part);
}

static void reseal(uint8_t *hdr)
{
	uint32_t c = crc32c(0, hdr, ATOMIC_JOURNAL_HDR_LEN - 4);

	put32(hdr + ATOMIC_JOURNAL_HDR_LEN - 4, c);
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 13 + (i >> 9));
}

/* The documented layout, built byte by byte, is what the decoder reads. */
static void test_layout(void **state)
{
	static uint8_t hdr[ATOMIC_JOURNAL_HDR_BLOCK];
	struct scsi_lu_config cfg = fx_default_cfg();
	struct atomic_journal_entry e = entry(7, 100, 3, ATOMIC_JOURNAL_PENDING, NULL);
	static uint8_t enc[ATOMIC_JOURNAL_HDR_BLOCK];
	char why[256];

	(void)state;
	memcpy(hdr, "TDATOMJL", 8);
	put32(hdr + 8, 1);
	put32(hdr + 12, 1);
	put32(hdr + 16, FX_BLOCK);
	put32(hdr + 20, 3);
	put64(hdr + 24, 7);
	put64(hdr + 32, 100);
	put32(hdr + 40, 0xdeadbeef);
	memcpy(hdr + 48, cfg.naa, 16);
	reseal(hdr);
	assert_int_equal(decode(hdr, &e, why, sizeof(why)), ATOMIC_JOURNAL_REPLAY);
	assert_int_equal(e.seq, 7);
	assert_int_equal(e.lba, 100);
	assert_int_equal(e.nblocks, 3);
	assert_int_equal(e.data_crc, 0xdeadbeef);
	atomic_journal_encode(enc, &e);
	assert_memory_equal(enc, hdr, sizeof(hdr));
}

static void test_verdicts(void **state)
{
	static uint8_t hdr[ATOMIC_JOURNAL_HDR_BLOCK];
	struct atomic_journal_entry e = entry(3, 10, 8, ATOMIC_JOURNAL_PENDING, NULL), d;
	char why[256];

	(void)state;
	memset(hdr, 0, sizeof(hdr));
	assert_int_equal(decode(hdr, &d, why, sizeof(why)), ATOMIC_JOURNAL_EMPTY);
	fill(hdr, ATOMIC_JOURNAL_HDR_LEN, 1);
	expect_ignored(hdr, "no journal magic");

	atomic_journal_encode(hdr, &e);
	assert_int_equal(decode(hdr, &d, why, sizeof(why)), ATOMIC_JOURNAL_REPLAY);
	hdr[33] ^= 0x01;				/* torn: LBA changed */
	expect_ignored(hdr, "header CRC32C mismatch");

	e.state = ATOMIC_JOURNAL_DONE;
	atomic_journal_encode(hdr, &e);
	assert_int_equal(decode(hdr, &d, why, sizeof(why)), ATOMIC_JOURNAL_SETTLED);
	assert_int_equal(d.seq, 3);

	e.state = ATOMIC_JOURNAL_PENDING;
	e.naa[15] ^= 0xff;
	atomic_journal_encode(hdr, &e);
	expect_ignored(hdr, "another LU");
	e.naa[15] ^= 0xff;

	atomic_journal_encode(hdr, &e);
	put32(hdr + 8, 2);
	reseal(hdr);
	expect_ignored(hdr, "format 2");

	e.state = 9;
	atomic_journal_encode(hdr, &e);
	expect_ignored(hdr, "unknown state 9");
	e.state = ATOMIC_JOURNAL_PENDING;
	e.block_size = 4096;
	atomic_journal_encode(hdr, &e);
	expect_ignored(hdr, "4096-byte blocks");
	e.block_size = FX_BLOCK;
	e.nblocks = 0;
	atomic_journal_encode(hdr, &e);
	expect_ignored(hdr, "0 blocks");
	e.nblocks = MAX_BLOCKS + 1;
	atomic_journal_encode(hdr, &e);
	expect_ignored(hdr, "blocks, not 1 to");
	e.nblocks = 2;
	e.lba = LU_BLOCKS - 1;
	atomic_journal_encode(hdr, &e);
	expect_ignored(hdr, "beyond the LU's");
	e.lba = LU_BLOCKS - 2;
	atomic_journal_encode(hdr, &e);
	assert_int_equal(decode(hdr, &d, why, sizeof(why)), ATOMIC_JOURNAL_REPLAY);
}

static size_t write_atomic(uint8_t *cdb, uint64_t lba, uint16_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = 0x9c;
	put64(cdb + 2, lba);
	put16(cdb + 12, n);
	return 16;
}

static uint8_t rw16(struct fx *f, uint8_t op, uint64_t lba, uint32_t n,
		    const void *data)
{
	uint8_t cdb[16] = { op };

	put64(cdb + 2, lba);
	put32(cdb + 10, n);
	return fx_run(f, cdb, 16, data, data ? (size_t)n * FX_BLOCK : 0);
}

static uint32_t header_state(struct fx *f, struct atomic_journal_entry *e)
{
	char why[256];

	switch (decode(f->fb.mem + JHDR, e, why, sizeof(why))) {
	case ATOMIC_JOURNAL_SETTLED:
		return ATOMIC_JOURNAL_DONE;
	case ATOMIC_JOURNAL_REPLAY:
		return ATOMIC_JOURNAL_PENDING;
	default:
		fail_msg("journal header is not an entry of this LU: %s", why);
		return 0;
	}
}

/* Offered with the journal's limit; the LU keeps its capacity. */
static void test_offered(void **state)
{
	struct fx *f = *state;
	uint8_t vpd[6] = { 0x12, 0x01, 0xb0, 0, 255, 0 };
	uint8_t rc16[16] = { 0x9e, 0x10 };
	char line[640];

	put32(rc16 + 10, 32);
	assert_int_equal(fx_run(f, rc16, 16, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(get64(f->cmd.buf), LU_BLOCKS - 1);
	assert_int_equal(fx_run(f, vpd, 6, NULL, 0), SAM_STAT_GOOD);
	assert_int_equal(get32(f->cmd.buf + 44), MAX_BLOCKS);
	assert_int_equal(get32(f->cmd.buf + 48), 0);	/* alignment */
	assert_int_equal(get32(f->cmd.buf + 52), 0);	/* granularity */
	assert_int_equal(get32(f->cmd.buf + 56), 0);	/* with boundary */
	assert_int_equal(get32(f->cmd.buf + 60), 0);	/* boundary size */
	describe(f, line, sizeof(line));
	assert_non_null(strstr(line, "WRITE ATOMIC through a journal in the same area (up to 256 KiB): empty"));
}

/* Data, then pending header, into the journal; then in place; then the
 * header done: every write durable (FUA). */
static void test_write_order(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[16], data[8 * FX_BLOCK];
	struct atomic_journal_entry e;

	fill(data, sizeof(data), 5);
	write_atomic(cdb, 40, 8);
	assert_int_equal(fx_run(f, cdb, 16, data, sizeof(data)), SAM_STAT_GOOD);
	assert_int_equal(nwrites, 4);
	assert_int_equal(wlog[0].off, JDATA);
	assert_int_equal(wlog[0].len, sizeof(data));
	assert_int_equal(wlog[1].off, JHDR);
	assert_int_equal(wlog[1].state, ATOMIC_JOURNAL_PENDING);
	assert_int_equal(wlog[2].off, 40 * FX_BLOCK);
	assert_int_equal(wlog[2].len, sizeof(data));
	assert_int_equal(wlog[3].off, JHDR);
	assert_int_equal(wlog[3].state, ATOMIC_JOURNAL_DONE);
	for (unsigned i = 0; i < 4; i++)
		assert_true(wlog[i].flags & BS_F_FUA);
	assert_memory_equal(f->fb.mem + 40 * FX_BLOCK, data, sizeof(data));
	assert_int_equal(header_state(f, &e), ATOMIC_JOURNAL_DONE);
	assert_int_equal(e.seq, 1);
	assert_int_equal(e.lba, 40);
	assert_int_equal(e.nblocks, 8);
	/* The next entry has the next sequence number, across a reopen. */
	assert_non_null(reattach(f, NULL, 0));
	write_atomic(cdb, 0, 1);
	assert_int_equal(fx_run(f, cdb, 16, data, FX_BLOCK), SAM_STAT_GOOD);
	assert_int_equal(header_state(f, &e), ATOMIC_JOURNAL_DONE);
	assert_int_equal(e.seq, 2);
}

/* What a crash between the pending header and the done one leaves. */
static void craft(struct fx *f, const struct atomic_journal_entry *e,
		  const uint8_t *data)
{
	atomic_journal_encode(f->fb.mem + JHDR, e);
	memcpy(f->fb.mem + JDATA, data, (size_t)e->nblocks * FX_BLOCK);
}

static void test_replayed(void **state)
{
	struct fx *f = *state;
	uint8_t data[16 * FX_BLOCK];
	struct atomic_journal_entry e = entry(41, 300, 16, ATOMIC_JOURNAL_PENDING, NULL);
	char line[640], err[512] = "";

	fill(data, sizeof(data), 9);
	e.data_crc = crc32c(0, data, sizeof(data));
	craft(f, &e, data);
	/* A torn in-place write: half the range written. */
	memcpy(f->fb.mem + 300 * FX_BLOCK, data, 8 * FX_BLOCK);
	if (!reattach(f, err, sizeof(err)))
		fail_msg("attach refused: %s", err);
	assert_memory_equal(f->fb.mem + 300 * FX_BLOCK, data, sizeof(data));
	assert_int_equal(header_state(f, &e), ATOMIC_JOURNAL_DONE);
	assert_int_equal(e.seq, 41);
	describe(f, line, sizeof(line));
	assert_non_null(strstr(line, "replayed pending entry 41 (LBA 300, 16 blocks) in place"));
	assert_int_equal(rw16(f, 0x88, 300, 16, NULL), SAM_STAT_GOOD);
	assert_memory_equal(f->cmd.buf, data, sizeof(data));
}

/* Entries attach must leave alone: the blocks in place stay as they were. */
static void expect_left_alone(struct fx *f, const char *note)
{
	static const uint8_t zero[16 * FX_BLOCK];
	char line[640], err[512] = "";

	if (!reattach(f, err, sizeof(err)))
		fail_msg("attach refused: %s", err);
	assert_memory_equal(f->fb.mem + 300 * FX_BLOCK, zero, sizeof(zero));
	describe(f, line, sizeof(line));
	if (!strstr(line, note))
		fail_msg("attach says \"%s\", expected \"%s\"", line, note);
}

static void test_left_alone(void **state)
{
	struct fx *f = *state;
	uint8_t data[16 * FX_BLOCK];
	struct atomic_journal_entry e = entry(5, 300, 16, ATOMIC_JOURNAL_PENDING, NULL), got;

	fill(data, sizeof(data), 3);
	e.data_crc = crc32c(0, data, sizeof(data));

	/* Torn data: the header made it, the data did not. */
	craft(f, &e, data);
	f->fb.mem[JDATA + 4 * FX_BLOCK + 7] ^= 0x40;
	expect_left_alone(f, "ignored pending entry 5 (LBA 300, 16 blocks): data CRC32C mismatch");
	assert_int_equal(header_state(f, &got), ATOMIC_JOURNAL_DONE);

	/* Torn header. */
	craft(f, &e, data);
	f->fb.mem[JHDR + 40] ^= 0x01;
	expect_left_alone(f, "header ignored (header CRC32C mismatch");

	/* Done. */
	e.state = ATOMIC_JOURNAL_DONE;
	craft(f, &e, data);
	expect_left_alone(f, "last entry 5 done");
	e.state = ATOMIC_JOURNAL_PENDING;

	/* Another LU's. */
	e.naa[3] ^= 0x10;
	craft(f, &e, data);
	expect_left_alone(f, "belongs to another LU");
	e.naa[3] ^= 0x10;

	/* Another format's. */
	craft(f, &e, data);
	put32(f->fb.mem + JHDR + 8, 2);
	reseal(f->fb.mem + JHDR);
	expect_left_alone(f, "format 2, this tandemd reads format 1");
}

/* A replay that cannot be written refuses the LU. */
static void test_replay_fails(void **state)
{
	struct fx *f = *state;
	uint8_t data[2 * FX_BLOCK];
	struct atomic_journal_entry e = entry(8, 300, 2, ATOMIC_JOURNAL_PENDING, NULL);
	struct scsi_lu_config cfg = store_cfg();
	char err[512] = "";

	fill(data, sizeof(data), 4);
	e.data_crc = crc32c(0, data, sizeof(data));
	craft(f, &e, data);
	fx_release(f);
	scsi_lu_destroy(f->lu);
	f->fb.fail[BS_OP_WRITE] = EIO;
	f->lu = scsi_lu_create(&f->fb.bs, &cfg, err, sizeof(err));
	assert_null(f->lu);
	assert_non_null(strstr(err, "disk0: WRITE ATOMIC journal: replaying entry 8 (LBA 300, 2 blocks) in place; refusing to serve"));
	f->fb.fail[BS_OP_WRITE] = 0;
	assert_non_null(reattach(f, err, sizeof(err)));
	assert_memory_equal(f->fb.mem + 300 * FX_BLOCK, data, sizeof(data));
}

/* The journal's data write fails: nothing in place changed, and the
 * journal is free for the next command. */
static void test_journal_data_fails(void **state)
{
	struct fx *f = *state;
	static const uint8_t zero[4 * FX_BLOCK];
	uint8_t cdb[16], data[4 * FX_BLOCK];
	struct atomic_journal_entry e;

	fill(data, sizeof(data), 6);
	fail_write = 1;
	write_atomic(cdb, 20, 4);
	assert_int_equal(fx_run(f, cdb, 16, data, sizeof(data)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x0c00);
	assert_int_equal(nwrites, 1);
	assert_memory_equal(f->fb.mem + 20 * FX_BLOCK, zero, sizeof(zero));
	assert_int_equal(rw16(f, 0x8a, 20, 4, data), SAM_STAT_GOOD);
	assert_int_equal(fx_run(f, cdb, 16, data, sizeof(data)), SAM_STAT_GOOD);
	assert_int_equal(header_state(f, &e), ATOMIC_JOURNAL_DONE);
}

/* The pending header's write fails: the header is settled done at once,
 * nothing in place is written, the command fails. */
static void test_pending_header_fails(void **state)
{
	struct fx *f = *state;
	static const uint8_t zero[4 * FX_BLOCK];
	uint8_t cdb[16], data[4 * FX_BLOCK];
	struct atomic_journal_entry e;

	fill(data, sizeof(data), 7);
	fail_write = 2;
	write_atomic(cdb, 20, 4);
	assert_int_equal(fx_run(f, cdb, 16, data, sizeof(data)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x0c00);
	assert_int_equal(nwrites, 3);
	assert_int_equal(wlog[2].off, JHDR);
	assert_int_equal(wlog[2].state, ATOMIC_JOURNAL_DONE);
	assert_memory_equal(f->fb.mem + 20 * FX_BLOCK, zero, sizeof(zero));
	assert_int_equal(header_state(f, &e), ATOMIC_JOURNAL_DONE);
	assert_int_equal(rw16(f, 0x88, 20, 4, NULL), SAM_STAT_GOOD);
}

/* The in-place write fails: the entry stays pending, the range is fenced
 * (reads and writes BUSY), no WRITE ATOMIC may reuse the journal, and
 * the next attach makes the range whole. */
static void test_in_place_fails(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[16], data[4 * FX_BLOCK];
	struct atomic_journal_entry e;

	fill(data, sizeof(data), 8);
	fail_write = 3;
	write_atomic(cdb, 20, 4);
	assert_int_equal(fx_run(f, cdb, 16, data, sizeof(data)), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x0c00);
	assert_int_equal(nwrites, 3);
	assert_int_equal(header_state(f, &e), ATOMIC_JOURNAL_PENDING);
	assert_int_equal(rw16(f, 0x88, 22, 1, NULL), SAM_STAT_BUSY);
	assert_int_equal(rw16(f, 0x8a, 23, 2, data), SAM_STAT_BUSY);
	assert_int_equal(rw16(f, 0x88, 24, 4, NULL), SAM_STAT_GOOD);
	assert_int_equal(rw16(f, 0x8a, 16, 4, data), SAM_STAT_GOOD);
	write_atomic(cdb, 500, 1);
	assert_int_equal(fx_run(f, cdb, 16, data, FX_BLOCK), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x3, 0x0c00);
	assert_int_equal(header_state(f, &e), ATOMIC_JOURNAL_PENDING);
	assert_int_equal(e.lba, 20);

	assert_non_null(reattach(f, NULL, 0));
	assert_memory_equal(f->fb.mem + 20 * FX_BLOCK, data, sizeof(data));
	assert_int_equal(header_state(f, &e), ATOMIC_JOURNAL_DONE);
	assert_int_equal(rw16(f, 0x88, 20, 4, NULL), SAM_STAT_GOOD);
}

/* The done header's write fails: in place is whole, but the entry still
 * reads pending, so the range is fenced until the next attach. */
static void test_done_header_fails(void **state)
{
	struct fx *f = *state;
	uint8_t cdb[16], data[2 * FX_BLOCK];
	struct atomic_journal_entry e;

	fill(data, sizeof(data), 10);
	fail_write = 4;
	write_atomic(cdb, 60, 2);
	assert_int_equal(fx_run(f, cdb, 16, data, sizeof(data)), SAM_STAT_CHECK_CONDITION);
	assert_memory_equal(f->fb.mem + 60 * FX_BLOCK, data, sizeof(data));
	assert_int_equal(header_state(f, &e), ATOMIC_JOURNAL_PENDING);
	assert_int_equal(rw16(f, 0x8a, 61, 1, data), SAM_STAT_BUSY);
	assert_non_null(reattach(f, NULL, 0));
	assert_int_equal(header_state(f, &e), ATOMIC_JOURNAL_DONE);
	assert_int_equal(rw16(f, 0x8a, 61, 1, data), SAM_STAT_GOOD);
}

static unsigned second_done;

static void count_done(struct scsi_cmd *cmd)
{
	(void)cmd;
	second_done++;
}

static const struct scsi_fabric_ops count_ops = { .done = count_done };

/* A second WRITE ATOMIC elsewhere on the LU waits for the slot instead of
 * failing, and writes its entry only after the first settled its own. */
static void test_waits_for_slot(void **state)
{
	struct fx *f = *state;
	struct scsi_cmd second;
	uint8_t cdb[16], a[2 * FX_BLOCK], b[3 * FX_BLOCK];

	fill(a, sizeof(a), 11);
	fill(b, sizeof(b), 12);
	scsi_cmd_init(&second);
	write_atomic(second.cdb, 700, 3);
	second.cdb_len = 16;
	second.lun_ent = scsi_lun_table_find(f->nexus2.luns, 0);
	second.nexus = &f->nexus2;
	second.pool = &f->pool;
	second.ops = &count_ops;
	second.edtl = sizeof(b);
	assert_int_equal(scsi_cmd_setup(&second), 0);
	memcpy(second.buf, b, sizeof(b));

	f->fb.defer = true;
	f->next_edtl = sizeof(a);
	write_atomic(cdb, 100, 2);
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, cdb, 16), 0);
	memcpy(f->cmd.buf, a, sizeof(a));
	scsi_cmd_execute(&f->cmd);
	assert_int_equal(f->fb.npending, 1);
	second_done = 0;
	scsi_cmd_execute(&second);
	assert_int_equal(f->fb.npending, 1);		/* waiting, not refused */
	assert_int_equal(second_done, 0);
	fx_complete(f);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->cmd.status, SAM_STAT_GOOD);
	assert_int_equal(second_done, 1);
	assert_int_equal(second.status, SAM_STAT_GOOD);
	assert_int_equal(nwrites, 8);
	assert_int_equal(wlog[3].state, ATOMIC_JOURNAL_DONE);
	assert_int_equal(wlog[4].off, JDATA);
	assert_int_equal(wlog[4].len, sizeof(b));
	assert_memory_equal(f->fb.mem + 100 * FX_BLOCK, a, sizeof(a));
	assert_memory_equal(f->fb.mem + 700 * FX_BLOCK, b, sizeof(b));
	scsi_cmd_release(&second);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test_setup_teardown(test_offered, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_order, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_replayed, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_left_alone, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_replay_fails, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_journal_data_fails, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pending_header_fails, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_in_place_fails, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_done_header_fails, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_waits_for_slot, setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
