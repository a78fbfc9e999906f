/* Shared by the test_scsi_*.c suites: an in-memory fake backstore (I/O done
 * at once or held until fx_complete(), with per-operation error injection),
 * one LU over it mapped at LUN 0 for two nexuses, and helpers to run a CDB
 * through the core's public API exactly as a fabric would. */
#ifndef TANDEM_TEST_SCSI_FIXTURE_H
#define TANDEM_TEST_SCSI_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scsi/scsi.h"

#define FX_BLOCK 512u
#define FX_BLOCKS 2048u
#define FX_MAX_PENDING 8

struct fake_bs {
	struct backstore bs;
	uint8_t *mem;			/* NULL: a capacity-only LU */
	bool defer;			/* hold I/O until fx_complete() */
	int fail[BS_OP_WRITE_ZEROES + 1];	/* errno to fail each op with */
	struct bs_io *pending[FX_MAX_PENDING];
	unsigned npending;
	unsigned count[BS_OP_WRITE_ZEROES + 1];
	unsigned last_flags;
	unsigned write_flags;		/* of the last BS_OP_WRITE */
	uint64_t last_offset, last_len;
};

struct fx {
	struct bufpool pool;
	struct fake_bs fb;
	struct scsi_lu *lu;
	struct scsi_tport tport;
	struct scsi_lun_entry ent[3];
	struct scsi_lun_table luns;
	struct scsi_nexus nexus, nexus2;
	struct scsi_cmd cmd;
	int setup_ret;
	unsigned done;
	uint32_t next_edtl;	/* EDTL for the next command set up */
};

static inline void fake_run(struct fake_bs *fb, struct bs_io *io)
{
	int err = fb->fail[io->op];

	fb->count[io->op]++;
	fb->last_flags = io->flags;
	fb->last_offset = io->offset;
	fb->last_len = io->len;
	if (!err && fb->mem) {
		switch (io->op) {
		case BS_OP_READ:
			memcpy(io->buf, fb->mem + io->offset, io->len);
			break;
		case BS_OP_WRITE:
			memcpy(fb->mem + io->offset, io->buf, io->len);
			fb->write_flags = io->flags;
			break;
		case BS_OP_DISCARD:
		case BS_OP_WRITE_ZEROES:
			memset(fb->mem + io->offset, 0, io->len);
			break;
		case BS_OP_FLUSH:
			break;
		}
	}
	io->done(io, err ? -err : 0);
}

static inline void fake_submit(struct backstore *bs, struct bs_ring *ring,
			       struct bs_io *io)
{
	struct fake_bs *fb = (struct fake_bs *)bs;

	(void)ring;
	if (fb->defer) {
		assert_true(fb->npending < FX_MAX_PENDING);
		fb->pending[fb->npending++] = io;
		return;
	}
	fake_run(fb, io);
}

static const struct bs_ops fake_ops = { .plugin = "fake", .submit = fake_submit };

/* Completes held I/O, including what completing it submits. */
static inline void fx_complete(struct fx *f)
{
	while (f->fb.npending) {
		struct bs_io *io = f->fb.pending[0];
		memmove(f->fb.pending, f->fb.pending + 1,
			--f->fb.npending * sizeof(f->fb.pending[0]));
		fake_run(&f->fb, io);
	}
}

static inline void fx_done(struct scsi_cmd *cmd)
{
	struct fx *f = (struct fx *)((char *)cmd - offsetof(struct fx, cmd));
	f->done++;
}

static const struct scsi_fabric_ops fx_ops = { .done = fx_done };

static inline struct scsi_lu_config fx_default_cfg(void)
{
	struct scsi_lu_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "disk0");
	strcpy(cfg.vendor, "TANDEM");
	strcpy(cfg.product, "tandem disk");
	strcpy(cfg.revision, "1.0");
	strcpy(cfg.serial, "0123456789abcdef");
	for (unsigned i = 0; i < sizeof(cfg.naa); i++)
		cfg.naa[i] = (uint8_t)(0x60 + i);
	cfg.emulate_3pc = true;		/* LIO's default, and the config's */
	return cfg;
}

/* Builds the fixture over a backstore of `blocks` blocks of `bsize`; the
 * medium is allocated only when small enough to test I/O on. */
static inline struct fx *fx_new_lu(const struct scsi_lu_config *cfg,
				   uint64_t blocks, uint32_t bsize)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[128];

	assert_non_null(f);
	bufpool_init(&f->pool, 4);
	f->fb.bs.ops = &fake_ops;
	f->fb.bs.cfg.kind = BS_RAMDISK;
	f->fb.bs.size = blocks * bsize;
	f->fb.bs.block_size = bsize;
	f->fb.bs.phys_block_size = bsize;
	f->fb.bs.fd = -1;
	if (f->fb.bs.size <= (64u << 20)) {
		f->fb.mem = calloc(1, f->fb.bs.size);
		assert_non_null(f->fb.mem);
	}
	f->lu = scsi_lu_create(&f->fb.bs, cfg, err, sizeof(err));
	assert_non_null(f->lu);

	strcpy(f->tport.target_name, "iqn.2003-01.org.example:t1");
	strcpy(f->tport.name, "iqn.2003-01.org.example:t1,t,0x0001");
	f->tport.rtpi = 3;
	f->tport.tpg_id = 7;
	f->ent[0] = (struct scsi_lun_entry){ .lun = 0, .lu = f->lu };
	f->ent[1] = (struct scsi_lun_entry){ .lun = 5, .lu = f->lu,
					     .write_protect = true };
	f->ent[2] = (struct scsi_lun_entry){ .lun = 300, .lu = f->lu };
	f->luns = (struct scsi_lun_table){ .count = 3, .ent = f->ent };
	strcpy(f->nexus.i_name, "iqn.1994-05.com.example:a");
	strcpy(f->nexus.i_port, "iqn.1994-05.com.example:a,i,0x23d000000001");
	f->nexus.tport = &f->tport;
	f->nexus.luns = &f->luns;
	f->nexus.id = 1;
	f->nexus2 = f->nexus;
	strcpy(f->nexus2.i_port, "iqn.1994-05.com.example:b,i,0x23d000000002");
	f->nexus2.id = 2;
	scsi_cmd_init(&f->cmd);
	return f;
}

static inline void fx_release(struct fx *f)
{
	scsi_cmd_release(&f->cmd);
	scsi_cmd_init(&f->cmd);
}

static inline void fx_free(struct fx *f)
{
	fx_release(f);
	scsi_lu_destroy(f->lu);
	bufpool_destroy(&f->pool);
	free(f->fb.mem);
	free(f);
}

/* Sets a command up as the fabric would; returns scsi_cmd_setup()'s
 * result. */
static inline int fx_setup_cmd(struct fx *f, const struct scsi_nexus *n,
			       uint64_t lun, const uint8_t *cdb, size_t cdb_len)
{
	struct scsi_cmd *c = &f->cmd;

	fx_release(f);
	f->done = 0;
	memset(c->cdb, 0, sizeof(c->cdb));
	memcpy(c->cdb, cdb, cdb_len);
	c->cdb_len = 16;
	c->lun = lun;
	c->lun_ent = scsi_lun_table_find(n->luns, lun);
	c->nexus = n;
	c->pool = &f->pool;
	c->ring = NULL;
	c->ops = &fx_ops;
	c->edtl = f->next_edtl;
	f->next_edtl = 0;
	f->setup_ret = scsi_cmd_setup(c);
	return f->setup_ret;
}

/* Runs a command to completion: setup, data-out, execute, held I/O. Returns
 * the SCSI status. */
static inline uint8_t fx_run_on(struct fx *f, const struct scsi_nexus *n,
				uint64_t lun, const uint8_t *cdb, size_t cdb_len,
				const void *out, size_t out_len)
{
	struct scsi_cmd *c = &f->cmd;

	f->next_edtl = (uint32_t)out_len;
	if (fx_setup_cmd(f, n, lun, cdb, cdb_len) < 0)
		return c->status;
	if (c->dir == SCSI_DIR_WRITE) {
		if (!out || out_len < c->data_len) {
			fail_msg("data-out of %zu bytes, %u needed", out_len,
				 c->data_len);
			return c->status;
		}
		memcpy(c->buf, out, c->data_len);
	}
	scsi_cmd_execute(c);
	fx_complete(f);
	assert_int_equal(f->done, 1);
	return c->status;
}

static inline uint8_t fx_run(struct fx *f, const uint8_t *cdb, size_t cdb_len,
			     const void *out, size_t out_len)
{
	return fx_run_on(f, &f->nexus, 0, cdb, cdb_len, out, out_len);
}

/* The sense key and ASC/ASCQ of the last command, either format. */
static inline void fx_sense(const struct scsi_cmd *c, uint8_t *key, uint16_t *asc)
{
	assert_true(c->sense_len >= 8);
	if ((c->sense[0] & 0x7f) == 0x72) {
		*key = c->sense[1] & 0x0f;
		*asc = (uint16_t)(c->sense[2] << 8 | c->sense[3]);
	} else {
		assert_int_equal(c->sense[0] & 0x7f, 0x70);
		assert_true(c->sense_len >= 14);
		*key = c->sense[2] & 0x0f;
		*asc = (uint16_t)(c->sense[12] << 8 | c->sense[13]);
	}
}

static inline void fx_assert_check(struct fx *f, uint8_t key, uint16_t asc)
{
	uint8_t k;
	uint16_t a;

	assert_int_equal(f->cmd.status, SAM_STAT_CHECK_CONDITION);
	fx_sense(&f->cmd, &k, &a);
	assert_int_equal(k, key);
	assert_int_equal(a, asc);
}

/* A nexus's first command reports POWER ON, RESET; tests that are not
 * about that clear it first. */
static inline void fx_clear_ua(struct fx *f, const struct scsi_nexus *n)
{
	static const uint8_t tur[6];
	assert_int_equal(fx_run_on(f, n, 0, tur, 6, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x6, 0x2900);
}

static inline struct fx *fx_new_cfg(const struct scsi_lu_config *cfg)
{
	struct fx *f = fx_new_lu(cfg, FX_BLOCKS, FX_BLOCK);
	fx_clear_ua(f, &f->nexus);
	return f;
}

static inline int fx_setup(void **state)
{
	struct scsi_lu_config cfg = fx_default_cfg();
	*state = fx_new_cfg(&cfg);
	return 0;
}

static inline int fx_setup_tpu(void **state)
{
	struct scsi_lu_config cfg = fx_default_cfg();
	cfg.emulate_tpu = true;
	cfg.emulate_tpws = true;
	*state = fx_new_cfg(&cfg);
	((struct fx *)*state)->fb.bs.can_discard = true;
	return 0;
}

static inline int fx_teardown(void **state)
{
	fx_free(*state);
	return 0;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

#endif
